#!/bin/sh
# incremental.sh: index runs over time, as cron makes them.
#
# Reruns add nothing and read nothing unchanged; an mbox that grew is read
# from where the last run stopped; a rewritten one is read again and only
# its new bounces added; the same bounce in a copy, a Maildir or a CRLF
# file counts once; a run killed (SIGKILL) at any moment and run again
# ends with the records of one uninterrupted run and a sound database; two
# runs at once never corrupt the index: the second exits 75 or waits.
#
# The mboxes are generated from corpus/ by scripts/genmbox.c.
set -u
DSNIDX=${DSNIDX:-build/dsnidx}
top=$(pwd)
case $DSNIDX in /*) ;; *) DSNIDX=$top/$DSNIDX ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
not_ok() { failed=$((failed + 1)); echo "FAIL $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/     /' | head -n 30; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected [$3], got [$2]"; fi; }
# idx ARGS...: dsnidx index, which must exit 0 (a crash must not pass for
# "nothing added").
idx() {
	"$DSNIDX" index "$@"
	st=$?
	[ $st -eq 0 ] || not_ok "dsnidx index $* exits 0" "exit $st"
	return $st
}

cc -O2 -std=c17 -D_DEFAULT_SOURCE -o "$tmp/genmbox" scripts/genmbox.c || exit 1
sh scripts/templates.sh "$top/corpus" > "$tmp/templates"
# Distinct bounces, about 8 MB, and 300 more to append.
"$tmp/genmbox" -s 8M -b 100 -r 11 "$tmp/templates" > "$tmp/base.mbox"
"$tmp/genmbox" -s 600K -b 100 -r 12 "$tmp/templates" > "$tmp/more.mbox"
cd "$tmp" || exit 1

# records DB: the records of an index without their source and offset (the
# same bounces may be found in other files), sorted.
records() { "$DSNIDX" export --db "$1" --format jsonl | sed 's/^{"source":"[^"]*","offset":[0-9]*,//' | sort; }
count() { "$DSNIDX" export --db "$1" --format csv | tail -n +2 | wc -l | tr -d ' '; }
# stat LINE FIELD: a number from the --stats line ("47 files unchanged").
stat_of() { sed -n "s/.* \([0-9][0-9]*\) $2.*/\1/p" "$1" | head -n 1; }

# ---- reruns read nothing unchanged -------------------------------------------
cp base.mbox a.mbox
idx --stats --db i.db a.mbox "$top/corpus/mail" 2> run1.txt
st=$?
check "first run exits 0" "$st" 0
n1=$(count i.db)
idx --stats --db i.db a.mbox "$top/corpus/mail" 2> run2.txt
check "a rerun adds no record" "$(count i.db)" "$n1"
check "a rerun reads no message" "$(sed -n 's/.*indexed \([0-9]*\) messages.*/\1/p' run2.txt)" 0
files=$(ls "$top/corpus/mail" | wc -l)
maildir=$(find "$top/corpus/mail/maildir" -type f -path '*/cur/*' -o -type f -path '*/new/*' | wc -l)
check "a rerun leaves every file unread, unchanged" "$(stat_of run2.txt 'files unchanged')" "$((files - 1 + maildir + 1))"

# ---- an mbox that grew is read from where the last run stopped --------------------
cat more.mbox >> a.mbox
idx --stats --db i.db a.mbox 2> run3.txt
check "an appended mbox is resumed" "$(stat_of run3.txt 'files resumed')" 1
n_more=$(grep -c '^From ' more.mbox)
read_now=$(sed -n 's/.*indexed \([0-9]*\) messages.*/\1/p' run3.txt)
# The last message of the earlier run is read again (it may have been half
# written then); nothing else old is.
check "only the new messages (and the last old one) are read" "$read_now" "$((n_more + 1))"
idx --quiet --db clean.db a.mbox "$top/corpus/mail"
records i.db > got.txt
records clean.db > want.txt
if cmp -s got.txt want.txt; then ok "after the append, the index holds what one run over the file gives"; else not_ok "after the append, the index holds what one run over the file gives" "$(diff got.txt want.txt | head -n 5)"; fi

# ---- a rewritten mbox is read again; only new bounces are added ----------------------
before=$(count i.db)
awk '/^From /{n++} n != 7' a.mbox > b.mbox # one message gone, from the middle
"$tmp/genmbox" -s 100K -b 100 -r 13 templates >> b.mbox
mv b.mbox a.mbox
idx --stats --db i.db a.mbox 2> run4.txt
check "a rewritten mbox is not resumed" "$(stat_of run4.txt 'files resumed')" ""
new4=$(sed -n 's/.*(\([0-9]*\) new.*/\1/p' run4.txt)
"$tmp/genmbox" -s 100K -b 100 -r 13 templates > added.mbox
idx --quiet --db added.db added.mbox
check "a rewritten mbox adds only its new bounces" "$new4" "$(count added.db)"
check "and the index keeps the records of the message removed" "$(count i.db)" "$((before + new4))"

# ---- the same bounce found twice counts once ---------------------------------------------
idx --quiet --db once.db base.mbox
n_once=$(count once.db)
cp base.mbox copy.mbox
sed 's/\r$//; s/$/\r/' base.mbox > crlf.mbox # as unix2dos would: CRLF, not CR CR LF
idx --quiet --db once.db copy.mbox crlf.mbox
check "a copy and a CRLF copy of an mbox add nothing" "$(count once.db)" "$n_once"
mkdir -p md/cur md/new md/tmp
i=0
for f in "$top"/corpus/mail/*.eml; do i=$((i + 1)); cp "$f" "md/cur/$i.host:2,S"; done
idx --quiet --db md.db "$top/corpus/mail"
n_md=$(count md.db)
idx --quiet --db md.db md
check "a Maildir holding the same messages adds nothing" "$(count md.db)" "$n_md"

# ---- a run killed at any moment ------------------------------------------------------------
# The kill times are fractions of how long an uninterrupted run takes on
# this machine, so that the kills land mid-run on a fast machine as on a slow one.
cat base.mbox base.mbox base.mbox base.mbox base.mbox base.mbox > big.mbox
t0=$(date +%s%N)
idx --quiet --threads 1 --commit-every 200 --db ref.db big.mbox
t1=$(date +%s%N)
records ref.db > ref.txt
run_ms=$(( (t1 - t0) / 1000000 ))
kills=0
for pct in 3 10 20 35 50 70 90; do
	t=$(awk -v ms=$run_ms -v p=$pct 'BEGIN { printf "%.3f", ms * p / 100000 }')
	rm -f k.db k.db-wal k.db-shm k.db.lock
	"$DSNIDX" index --quiet --threads 1 --commit-every 200 --db k.db big.mbox &
	pid=$!
	sleep $t
	kill -9 $pid 2> /dev/null && kills=$((kills + 1))
	wait $pid 2> /dev/null
	idx --quiet --commit-every 200 --db k.db big.mbox
	records k.db > k.txt
	if cmp -s k.txt ref.txt; then ok "killed after ${t}s and run again: the records of one run"; else not_ok "killed after ${t}s and run again: the records of one run" "$(diff k.txt ref.txt | head -n 5)"; fi
	total=$("$DSNIDX" report --db k.db --by action --format csv | tail -n +2 | awk -F, '{ s += $NF } END { print s + 0 }')
	check "killed after ${t}s: the report counts what export gives" "$total" "$(wc -l < k.txt | tr -d ' ')"
	"$DSNIDX" check --db k.db > /dev/null 2> check.txt
	check "killed after ${t}s: dsnidx check (integrity_check, counts) passes" "$?" 0
done
[ $kills -ge 3 ] && ok "at least 3 runs were killed mid-way ($kills, a whole run takes ${run_ms} ms)" || not_ok "at least 3 runs were killed mid-way" "only $kills (a whole run takes ${run_ms} ms)"

# ---- two runs at once ------------------------------------------------------------------------
rm -f c.db c.db-wal c.db-shm c.db.lock
"$DSNIDX" index --quiet --threads 1 --db c.db big.mbox &
pid=$!
# Until the first run holds the lock (it writes its pid in the lock file).
i=0
while [ $i -lt 500 ] && ! grep -q "^$pid\$" c.db.lock 2> /dev/null; do sleep 0.01; i=$((i + 1)); done
"$DSNIDX" index --db c.db base.mbox 2> busy.txt
st=$?
check "a second run while one writes exits 75" "$st" 75
grep -q "another dsnidx index run (pid $pid) is writing to it" busy.txt && ok "and says which process holds the index" || not_ok "and says which process holds the index" "$(cat busy.txt)"
"$DSNIDX" index --quiet --wait 60 --db c.db base.mbox
check "a second run with --wait waits, then exits 0" "$?" 0
wait $pid
records c.db > c.txt
idx --quiet --db ref.db big.mbox
records ref.db > ref.txt
cmp -s c.txt ref.txt && ok "after both, the records of one run" || not_ok "after both, the records of one run"
"$DSNIDX" check --db c.db > /dev/null
check "after both, dsnidx check passes" "$?" 0

# ---- a reader holding the index does not hold up a run -------------------------------------
# A long export or a dashboard's query may be reading when cron starts a
# run: the run starts at once (WAL mode) instead of waiting for it. The
# export holds its read transaction while its reader is slow to take the
# output (more than a pipe holds).
rm -f r.db r.db-wal r.db-shm r.db.lock reader.done
"$DSNIDX" index --quiet --db r.db big.mbox
n=$("$DSNIDX" export --db r.db --format jsonl | wc -c)
("$DSNIDX" export --db r.db --format jsonl | { sleep 5; cat > /dev/null; }; touch reader.done) &
rpid=$!
sleep 1
"$DSNIDX" index --quiet --db r.db "$top/corpus/mail/exim-quota.eml"
st=$?
if [ "$n" -gt 200000 ] && [ "$st" -eq 0 ] && [ ! -e reader.done ]; then
	ok "a run starts and ends while an export reads"
else
	not_ok "a run starts and ends while an export reads" "export $n bytes, exit $st, export done first: $([ -e reader.done ] && echo yes || echo no)"
fi
wait $rpid

echo "incremental: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
