#!/bin/sh
# reports.sh: reading the index over time windows and conditions: report,
# export, summary and recipients agree with each other for every window
# and filter; times, keys and columns behave as documented.
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

cc -O2 -std=c17 -D_DEFAULT_SOURCE -o "$tmp/genmbox" scripts/genmbox.c || exit 1
sh scripts/templates.sh "$top/corpus" > "$tmp/templates"
# Bounces spread over three weeks of November 2025 (one every 25 minutes).
"$tmp/genmbox" -s 3M -b 100 -r 21 -i 1500 "$tmp/templates" > "$tmp/b.mbox"
cd "$tmp" || exit 1
db=i.db
"$DSNIDX" index --quiet --db $db b.mbox "$top/corpus/mail" || exit 1

# n_export ARGS...: records export gives; n_report KEY ARGS...: the sum of
# a report's counts.
n_export() { "$DSNIDX" export --db $db --format csv "$@" | tail -n +2 | wc -l | tr -d ' '; }
n_report() {
	key=$1
	shift
	"$DSNIDX" report --db $db --by "$key" --format csv "$@" | tail -n +2 | awk -F, '{ s += $NF } END { print s + 0 }'
}

# ---- reports count what export gives, for every window and filter --------------
agree() {
	name=$1
	key=$2
	shift 2
	e=$(n_export "$@")
	r=$(n_report "$key" "$@")
	if [ "$e" = "$r" ]; then ok "report --by $key $name counts what export gives ($e)"; else not_ok "report --by $key $name counts what export gives" "export $e, report $r"; fi
}
all=$(n_export)
[ "$all" -gt 1000 ] && ok "the test index holds $all records" || not_ok "the test index holds enough records" "$all"
agree "(no filter)" reason
agree "in a window of whole hours (from agg)" status --since 2025-11-05 --until 2025-11-09T12:00
agree "in a window of minutes (from the records)" hour --since 2025-11-05T08:30 --until 2025-11-09T12:10:30Z
agree "with two values of one column (either)" domain --where reason=userunknown --where reason=mailboxfull
agree "with two columns (both)" reason --where reason=userunknown --where action=failed --since 2025-11-03
agree "on hard_bounce (not in agg)" decoder --where hard_bounce=1
agree "by minute" minute --since 2025-11-10 --until 2025-11-10T06:00
agree "with an absent reply code" status --where reply_code=
agree "with an age (800d)" reason --since 800d
# The two ways to answer give the same rows: from agg, and (a condition
# that holds for every record forces it) from the records.
"$DSNIDX" report --db $db --by status,reason --format csv --since 2025-11-06 --until 2025-11-12 > agg.csv
"$DSNIDX" report --db $db --by status,reason --format csv --since 2025-11-06 --until 2025-11-12 --where hard_bounce=0 --where hard_bounce=1 > rec.csv
cmp -s agg.csv rec.csv && ok "a report from agg and one from the records are the same rows" || not_ok "a report from agg and one from the records are the same rows" "$(diff agg.csv rec.csv | head)"
# A window excludes what lies outside it, and the two halves make the whole.
a=$(n_export --until 2025-11-10)
b=$(n_export --since 2025-11-10)
none=$(n_export --where timestamp= 2> /dev/null; true)
dated=$("$DSNIDX" export --db $db --format jsonl | grep -vc '"timestamp":null')
check "a window split in two gives all the dated records" "$((a + b))" "$dated"

# ---- times ---------------------------------------------------------------------------
"$DSNIDX" report --db $db --by day,reason --format csv > days.csv
tail -n +2 days.csv > days.body
sort -t, -k1,1 -s days.body | cmp -s - days.body && ok "rows are in time order when day is a key" || not_ok "rows are in time order when day is a key"
"$DSNIDX" report --db $db --by minute --since 2025-11-10 --until 2025-11-10T01:00 --format csv | sed -n 2p > m.txt
grep -q '^2025-11-10T00:[0-5][0-9]Z,' m.txt && ok "minute keys read 2025-11-10T00:MMZ" || not_ok "minute keys read 2025-11-10T00:MMZ" "$(cat m.txt)"
for bad in yesterday 2025-13-01 2025-02-30 "2025-11-10T25:00" "2025-11-10+02:00" 12x; do
	"$DSNIDX" export --db $db --since "$bad" > /dev/null 2> err.txt
	st=$?
	if [ $st -eq 2 ] && grep -q "since" err.txt; then ok "--since '$bad' is refused (exit 2, a message)"; else not_ok "--since '$bad' is refused (exit 2, a message)" "exit $st: $(cat err.txt)"; fi
done
"$DSNIDX" report --db $db --by reason --since 2025-11-10 --until 2025-11-09 > /dev/null 2> err.txt
check "--until before --since is a usage error" "$?" 2
"$DSNIDX" export --db $db --where colour=red > /dev/null 2> err.txt
st=$?
[ $st -eq 2 ] && grep -q "colour" err.txt && ok "--where on an unknown column is a usage error naming it" || not_ok "--where on an unknown column is a usage error naming it" "exit $st: $(cat err.txt)"
"$DSNIDX" export --db $db --where offset=0 > /dev/null 2> err.txt
check "--where on offset is refused" "$?" 2

# ---- summary ----------------------------------------------------------------------------
"$DSNIDX" summary --db $db --since 2025-11-05 --until 2025-11-06T12:00 > sum.txt
w=$(n_export --since 2025-11-05 --until 2025-11-06T12:00)
grep -q "^  $w records" sum.txt && ok "summary counts the window's records ($w)" || not_ok "summary counts the window's records" "$(head -n 3 sum.txt)"
for section in "By action" "Top status codes" "Top reasons" "Top generating servers" "Top refusing servers" "Top domains" "Per hour (UTC)"; do
	grep -q "^$section" sum.txt && ok "summary has '$section'" || not_ok "summary has '$section'"
done
bars=$(grep -c '^  2025-11-0[56]T[0-9][0-9]:00Z |' sum.txt)
check "summary draws one bar per hour of the window (36)" "$bars" 36
sum_bars=$(grep '^  2025-11-0[56]T' sum.txt | awk -F'|' '{ s += $NF } END { print s + 0 }')
check "the bars add up to the window's records" "$sum_bars" "$w"
grep -q '##########' sum.txt && ok "the busiest hour has a long bar" || not_ok "the busiest hour has a long bar"
"$DSNIDX" summary --db $db --since 2025-11-05 --until 2025-11-06T12:00 --format json > sum.json
grep -q "\"records\":$w," sum.json && grep -q '"histogram":{"unit":"hour"' sum.json && ok "summary --format json has the totals and the histogram" || not_ok "summary --format json has the totals and the histogram" "$(head -c 300 sum.json)"
"$DSNIDX" summary --db $db --all > all.txt
grep -q "^  $all records" all.txt && grep -q "^Per day (UTC)" all.txt && ok "summary --all counts everything, per day over a long span" || not_ok "summary --all counts everything, per day over a long span" "$(head -n 3 all.txt)"

# ---- recipients --------------------------------------------------------------------------
"$DSNIDX" recipients --db $db --hard --since 2025-11-08 > hard.txt
"$DSNIDX" export --db $db --format csv --columns recipient,action,hard_bounce --since 2025-11-08 |
	tr -d '\r' | awk -F, 'NR > 1 && $2 == "failed" && $3 == "1" { print $1 }' | LC_ALL=C sort -u > want.txt
LC_ALL=C sort -u hard.txt | cmp -s - want.txt && ok "recipients --hard lists the failed hard-bounce addresses, once each" || not_ok "recipients --hard lists the failed hard-bounce addresses, once each" "$(diff hard.txt want.txt | head)"
check "recipients prints each address once" "$(sort hard.txt | uniq -d | wc -l | tr -d ' ')" 0
"$DSNIDX" recipients --db $db --where action=delayed > delayed.txt
[ -s delayed.txt ] && ok "recipients --where action=delayed lists delayed addresses" || not_ok "recipients --where action=delayed lists delayed addresses"

# ---- export's columns and spreadsheets ----------------------------------------------------
"$DSNIDX" export --db $db --columns recipient,reason --format csv | head -n 1 > head.txt
check "export --columns gives those columns, in order" "$(tr -d '\r' < head.txt)" "recipient,reason"
"$DSNIDX" export --db $db --columns reason,recipient --format jsonl | head -n 1 | grep -q '^{"reason":"[a-z]*","recipient":"[^"]*"}$' && ok "export --columns in JSON Lines" || not_ok "export --columns in JSON Lines"
"$DSNIDX" export --db $db --columns nope > /dev/null 2>&1
check "an unknown column is a usage error" "$?" 2
sed 's/^Subject: .*/Subject: =HYPERLINK("http:\/\/x","y")/' "$top/corpus/mail/postfix-userunknown.eml" > formula.eml
sed -i 's/^Subject: Undelivered Mail Returned to Sender/Subject: Undelivered/' formula.eml
"$DSNIDX" index --quiet --db f.db formula.eml || not_ok "index of formula.eml exits 0"
"$DSNIDX" export --db f.db --columns subject --spreadsheet-safe | sed -n 2p > safe.txt
"$DSNIDX" export --db f.db --columns subject | sed -n 2p > raw.txt
grep -q "^\"'=" safe.txt && ok "--spreadsheet-safe puts an apostrophe before a formula" || not_ok "--spreadsheet-safe puts an apostrophe before a formula" "$(cat safe.txt)"
grep -q '^"=HYPERLINK' raw.txt && ok "without it, the cell is as indexed" || not_ok "without it, the cell is as indexed" "$(cat raw.txt)"

# ---- progress: on a terminal only ----------------------------------------------------------
"$DSNIDX" index --db p.db b.mbox > out.txt 2> err.txt
[ ! -s err.txt ] && [ ! -s out.txt ] && ok "index prints nothing when stderr is not a terminal" || not_ok "index prints nothing when stderr is not a terminal" "$(cat err.txt out.txt)"
if command -v script > /dev/null 2>&1; then
	rm -f p.db p.db-wal p.db-shm
	script -qec "'$DSNIDX' index --threads 1 --db p.db b.mbox" /dev/null > tty.txt 2>&1
	tr '\r' '\n' < tty.txt > tty.lines
	grep -q 'MB/s .* records .*%' tty.lines && ok "on a terminal, index shows progress with the share done" || not_ok "on a terminal, index shows progress with the share done" "$(head -c 400 tty.txt)"
	grep -q "indexed .* messages from 1 sources" tty.lines && ok "and a summary line at the end" || not_ok "and a summary line at the end" "$(tail -c 300 tty.txt)"
	rm -f p.db p.db-wal p.db-shm
	script -qec "'$DSNIDX' index --quiet --db p.db b.mbox" /dev/null > tty.txt 2>&1
	[ ! -s tty.txt ] && ok "with --quiet, nothing even on a terminal" || not_ok "with --quiet, nothing even on a terminal" "$(head -c 300 tty.txt)"
else
	echo "skip progress on a terminal: no script(1)"
fi

echo "reports: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
