#!/usr/bin/env python3
"""crosscheck.py DSNIDX FLUFL_DIR BOUNCEPARSER_CORPUS [SISIMAI_TSV]

Scores dsnidx on flufl.bounce's test data (its expected addresses) and
compares it with Sisimai on BounceParser's corpus; see crosscheck.sh.
Prints each disagreement, then the figures. Auto-replies and abuse
reports are no failed recipients: their records are left out.
"""
import ast
import csv
import io
import os
import subprocess
import sys


def records(dsnidx, path):
    out = subprocess.run([dsnidx, "parse", "--quiet", "--format", "csv", path],
                         capture_output=True, text=True)
    rows = csv.DictReader(io.StringIO(out.stdout))
    return {r["recipient"].lower(): r for r in rows if r["reason"] not in ("vacation", "feedback")}


def flufl(dsnidx, base):
    src = open(os.path.join(base, "testing", "helpers.py"), encoding="utf-8").read()
    data = ast.literal_eval(src[src.index("DATA = (") + 7:].strip())
    want = {}
    for entry in data:
        temporary = len(entry) > 3 and entry[3]
        w = want.setdefault(entry[1], {"P": set(), "T": set()})
        w["T" if temporary else "P"] |= {a.decode().lower() for a in entry[2]}
    tp = fp = fn = wrong_action = 0
    for name in sorted(want):
        got = records(dsnidx, os.path.join(base, "tests", "data", name))
        exp = want[name]["P"] | want[name]["T"]
        g = set(got)
        tp += len(g & exp)
        fp += len(g - exp)
        fn += len(exp - g)
        if g != exp:
            print(f"flufl {name}: expected {sorted(exp)}, got {sorted(g)}")
        for a in g & exp:
            delayed = got[a]["action"] == "delayed"
            if delayed != (a in want[name]["T"]):
                wrong_action += 1
                print(f"flufl {name}: {a} given as {got[a]['action']}")
    print(f"flufl.bounce: {len(want)} bounces, {tp + fn} expected recipients; "
          f"precision {100.0 * tp / max(tp + fp, 1):.1f}%, recall {100.0 * tp / max(tp + fn, 1):.1f}% "
          f"({fp} extra, {fn} missing); {wrong_action} given as delayed/failed the other way")


def bounceparser(dsnidx, corpus, sisimai_tsv):
    peer = {}
    if sisimai_tsv and os.path.exists(sisimai_tsv):
        for line in open(sisimai_tsv, encoding="utf-8"):
            path, addrs = line.rstrip("\n").split("\t")
            peer[os.path.basename(path)] = dict(a.split("=", 1) for a in addrs.split(",") if a)
    names = sorted(n for n in os.listdir(corpus) if n.endswith(".msg"))
    with_records = same = both = same_reason = 0
    for name in names:
        got = records(dsnidx, os.path.join(corpus, name))
        with_records += bool(got)
        if name in peer:
            theirs = peer[name]
            if set(got) == set(theirs):
                same += 1
            else:
                print(f"bounceparser {name}: dsnidx {sorted(got)}, sisimai {sorted(theirs)}")
            for a in set(got) & set(theirs):
                both += 1
                if got[a]["reason"] == theirs[a]:
                    same_reason += 1
                else:
                    print(f"bounceparser {name}: {a}: reason {got[a]['reason']}, sisimai {theirs[a]}"
                          f" ({got[a]['diagnostic'][:100]})")
    line = f"BounceParser corpus: {len(names)} messages, {with_records} with failed recipients"
    if peer:
        line += (f"; the same recipients as Sisimai in {same} ({100.0 * same / max(len(names), 1):.1f}%), "
                 f"the same reason for {same_reason} of the {both} recipients both find "
                 f"({100.0 * same_reason / max(both, 1):.1f}%)")
    print(line)


def main():
    dsnidx, flufl_dir, bp_corpus = sys.argv[1:4]
    sisimai_tsv = sys.argv[4] if len(sys.argv) > 4 else ""
    flufl(dsnidx, flufl_dir)
    bounceparser(dsnidx, bp_corpus, sisimai_tsv)


if __name__ == "__main__":
    main()
