#!/usr/bin/env python3
"""bench/ab.py: two or more dsnidx binaries timed in turn on one input.

    python3 bench/ab.py [--grep PATTERN] INPUT ROUNDS DSNIDX...

Each round runs `DSNIDX index --quiet --db <scratch>` on INPUT for each
binary in turn (a fresh index each time), and with --grep first
`grep -c PATTERN INPUT` (output to a file: GNU grep stops at the first
match when it writes to /dev/null). Prints, per binary, the fastest and
median wall time and CPU time (user + system, from wait4), and with --grep
the ratio of each round's time to that round's grep. Taking the binaries
in turn, rather than one after the other, keeps them on the same machine
when its speed drifts within minutes (bench/README.md).
"""
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time


def timed(cmd, out):
    t0 = time.perf_counter()
    with open(out, "w") as f:
        p = subprocess.Popen(cmd, stdout=f)
        _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit(f"ab.py: failed: {' '.join(cmd)}")
    return time.perf_counter() - t0, ru.ru_utime + ru.ru_stime


def main():
    args = sys.argv[1:]
    pattern = None
    if args[:1] == ["--grep"]:
        pattern, args = args[1], args[2:]
    if len(args) < 3:
        sys.exit(__doc__)
    inp, rounds, bins = args[0], int(args[1]), args[2:]
    scratch = tempfile.mkdtemp(prefix="dsnidx-ab.")
    db, out = os.path.join(scratch, "ab.db"), os.path.join(scratch, "out")
    wall = {b: [] for b in bins}
    cpu = {b: [] for b in bins}
    grep = []
    for _ in range(rounds):
        if pattern is not None:
            grep.append(timed(["grep", "-c", pattern, inp], out)[0])
        for b in bins:
            for f in glob.glob(db + "*"):
                os.remove(f)
            w, c = timed([b, "index", "--quiet", "--db", db, inp], out)
            wall[b].append(w)
            cpu[b].append(c)
    for b in bins:
        line = (f"{b}: wall fastest {min(wall[b]):.3f} median {statistics.median(wall[b]):.3f} s, "
                f"cpu fastest {min(cpu[b]):.3f} median {statistics.median(cpu[b]):.3f} s")
        if grep:
            r = [w / g for w, g in zip(wall[b], grep)]
            line += f"; / grep: fastest/fastest {min(wall[b]) / min(grep):.2f}, median of rounds {statistics.median(r):.2f}"
        print(line)
    if grep:
        print(f"grep -c {pattern!r}: fastest {min(grep):.3f} median {statistics.median(grep):.3f} s")
    for f in glob.glob(os.path.join(scratch, "*")):
        os.remove(f)
    os.rmdir(scratch)


if __name__ == "__main__":
    main()
