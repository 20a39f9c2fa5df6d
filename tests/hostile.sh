#!/bin/sh
# hostile.sh: inputs built to break a mail parser, generated at test time
# (tests/tools/mkhostile, deterministic). Each must end with exit status 0
# or 1, within HOSTILE_SECONDS and HOSTILE_RSS_MB of peak memory (measured
# by tests/tools/bounded), with no sanitizer report on stderr, and with a
# warning naming the input where a limit cut something; what can still be
# decoded must be.
#
# Run by `make check` against the normal build and by `make asan-check`
# against the AddressSanitizer/UBSan build (which needs more memory).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
abs() { case $1 in /*) echo "$1" ;; *) echo "$top/$1" ;; esac; }
DSNIDX=$(abs "${DSNIDX:-build/dsnidx}")
MKHOSTILE=$(abs "${MKHOSTILE:-build/tests/mkhostile}")
MKARCHIVE=$(abs "${MKARCHIVE:-build/tests/mkarchive}")
BOUNDED=$(abs "${BOUNDED:-build/tests/bounded}")
SECONDS_MAX=${HOSTILE_SECONDS:-120}
RSS_MB=${HOSTILE_RSS_MB:-400}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
not_ok() { failed=$((failed + 1)); echo "FAIL $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/     /' | head -n 20; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected '$3', got '$2'"; fi; }
has() { if grep -q -- "$3" "$2"; then ok "$1"; else not_ok "$1" "no '$3' in: $(head -c 2000 "$2")"; fi; }
has_text() { if grep -q -F -- "$3" "$2"; then ok "$1"; else not_ok "$1" "no '$3' in: $(head -c 2000 "$2")"; fi; }
lacks() { if grep -q -- "$3" "$2"; then not_ok "$1" "$(grep -- "$3" "$2" | head -n 5)"; else ok "$1"; fi; }
field() { sed -n "s/.*$1=\\([^ ]*\\).*/\\1/p" "$tmp/cost"; }

# run NAME ARG...: dsnidx ARG... with stdout in $tmp/out and stderr in
# $tmp/err; checks the exit status (0 or 1), time, memory and that no
# sanitizer spoke. The exit status is left in $status.
run() {
	name=$1
	shift
	"$BOUNDED" "$SECONDS_MAX" "$tmp/cost" "$DSNIDX" "$@" > "$tmp/out" 2> "$tmp/err"
	status=$(field exit)
	secs=$(field seconds)
	rss=$(field maxrss_kb)
	if [ "$(field timedout)" = 1 ]; then
		not_ok "$name: ends within ${SECONDS_MAX}s" "killed after $secs s"
	elif [ "$status" = 0 ] || [ "$status" = 1 ]; then
		ok "$name: exit $status in ${secs}s, $((rss / 1024)) MB"
	else
		not_ok "$name: exit 0 or 1" "exit $status, signal $(field signal); $(tail -n 5 "$tmp/err")"
	fi
	if [ "$rss" -gt $((RSS_MB * 1024)) ]; then
		not_ok "$name: peak memory under $RSS_MB MB" "$((rss / 1024)) MB"
	fi
	if grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error:|Sanitizer' "$tmp/err"; then
		not_ok "$name: no sanitizer report" "$(grep -E -A 10 'Sanitizer|runtime error:' "$tmp/err" | head -n 20)"
	fi
}

# records: how many records (JSON Lines) the last run printed.
records() { wc -l < "$tmp/out" | tr -d ' '; }
# valid_utf8 NAME FILE: iconv finds no invalid sequence.
valid_utf8() {
	if iconv -f UTF-8 -t UTF-8 "$2" > /dev/null 2>&1; then ok "$1"; else not_ok "$1" "iconv refuses it"; fi
}

cd "$tmp" || exit 1

# ---- a 64 MB header line ----------------------------------------------------------
"$MKHOSTILE" longheader long.eml 64000000
run "a 64 MB header line" parse --format jsonl long.eml
check "the bounce after it is still decoded" "$(records)" 1
has "its recipient is read" out '"recipient":"user@example.com"'
has "the cut is a warning naming the input" err 'long.eml:0: .*max_header_line'

# ---- no newline at all ----------------------------------------------------------------
head -c 10000000 /dev/zero | tr '\0' 'x' > nonewline
printf 'From MAILER-DAEMON Thu Nov 26 10:00:00 2026' > fromonly
printf 'Return-Path: <>' > headonly
run "10 MB with no newline, a lone From_ line, a lone header field" parse --format jsonl nonewline fromonly headonly
check "no newline: no records" "$(records)" 0
check "no newline: exit 0 (not mail, nothing wrong)" "$status" 0

# ---- random bytes -------------------------------------------------------------------------
"$MKHOSTILE" random random.bin 8000000 7
"$MKHOSTILE" randommbox random.mbox 8000000 11
run "8 MB of random bytes and 8 MB of random mbox scraps" parse --format jsonl random.bin random.mbox
valid_utf8 "whatever came out of random input is valid UTF-8" out
run "the same, indexed" index --db random.db --quiet random.bin random.mbox
run "and exported" export --db random.db --format jsonl
valid_utf8 "the export of random input is valid UTF-8" out

# ---- 20,000-deep multipart nesting ------------------------------------------------------------
"$MKHOSTILE" deepmime deep.eml 20000
run "20,000 multiparts deep" parse --format jsonl deep.eml
has "the depth limit is a warning naming the input" err 'deep.eml:0: .*max_mime_depth'
run "20,000 deep with the deepest --max-mime-depth (1000) and --max-mime-parts 100000" \
	parse --format jsonl --max-mime-depth 1000 --max-mime-parts 100000 deep.eml
has "the depth limit is still a warning" err 'deep.eml:0: .*max_mime_depth'
"$BOUNDED" 10 "$tmp/cost" "$DSNIDX" parse --max-mime-depth 1001 deep.eml > /dev/null 2> "$tmp/err"
check "a depth past 1000 is a usage error" "$(field exit)" 2

# ---- 200,000 recipients -----------------------------------------------------------------------
"$MKHOSTILE" recipients many.eml 200000
run "a bounce with 200,000 recipients" parse --format jsonl many.eml
check "max_recipients (10000) of them are read" "$(records)" 10000
has "the rest are counted in a warning naming the input" err 'many.eml:0: .*max_recipients (10000); 190000 recipients not read'
run "200,000 recipients with --max-recipients 200000" parse --format csv --max-recipients 200000 many.eml
check "all 200,000 are read (and a header row)" "$(records)" 200001

# ---- 40,000 recipients and as many session transcripts ------------------------------------------
# Each recipient's host is looked for in the transcripts only in small
# reports: over all of them, the search grew with recipients times report
# (for this one 56 s and 590 MB, and the message skipped at its arena's
# limit).
"$MKHOSTILE" transcript sessions.eml 40000
run "a Sendmail bounce with 40,000 recipients and 40,000 sessions" parse --format csv --max-recipients 40000 sessions.eml
check "all 40,000 are read (and a header row)" "$(records)" 40001

# ---- an RFC 3464 report of 5,000 recipients with a long transcript -----------------------------
# A Diagnostic-Code cut after a reply's first line is completed from the
# transcript only in small reports: over all recipients, the search copied
# the text once per recipient and ran out of the message's arena.
{
	printf 'From: MAILER-DAEMON@mx.example.org\nSubject: Returned mail\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\nContent-Type: text/plain\n\n'
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "<<< 550-5.1.1 line %d of a reply that goes on and on and on\n", i }'
	printf '\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n'
	awk 'BEGIN { for (i = 0; i < 5000; i++) printf "Final-Recipient: rfc822; u%d@example.net\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550-5.1.1 line %d of a reply that goes on and on and on\n\n", i, i }'
	printf -- '--B--\n'
} > dsn-many.eml
run "an RFC 3464 report of 5,000 recipients and a 20,000-line transcript" parse --format csv dsn-many.eml
check "all 5,000 are read (and a header row)" "$(records)" 5001

# ---- broken base64, quoted-printable, charsets, encoded words -----------------------------------
"$MKHOSTILE" broken broken.mbox
run "broken base64, quoted-printable, charsets and encoded words" parse --format jsonl broken.mbox
check "each of the 4 bounces gives its recipient" "$(grep -c '"recipient":"user@example.com"' out)" 4
valid_utf8 "what comes out of broken charsets is valid UTF-8" out
run "the same, indexed and exported as CSV" index --db broken.db --quiet broken.mbox
run "export" export --db broken.db --format csv
valid_utf8 "the CSV export is valid UTF-8" out

# ---- absurd status codes and addresses ---------------------------------------------------------
"$MKHOSTILE" absurd absurd.mbox
run "absurd status codes, reply codes and addresses" parse --format jsonl absurd.mbox
valid_utf8 "the records are valid UTF-8" out
n=$(grep -c '"recipient":"user@example.com"' out)
if [ "$n" -ge 10 ]; then ok "each absurd status still gives its recipient's record"; else not_ok "each absurd status still gives its recipient's record" "$n of 10"; fi
has "a bounce with no usable recipient is named, with its offset" err 'absurd.mbox:[0-9]*: looks like a bounce but no decoder could read it'
lacks "no status outside class.subject.detail of 1-3 digits" out '"status":"[^"]*[^0-9."][^"]*"'
lacks "no status with a class other than 2, 4 or 5" out '"status":"[^245"]'
lacks "no reply code outside 200-599" out '"reply_code":\([0-1][0-9]*\|[6-9][0-9][0-9]\|[0-9]\{4,\}\),'
lacks "no control character in any field" out "$(printf '[\001-\010\016-\037]')"
if awk 'length($0) > 20000 { exit 1 }' out; then ok "no field carries a 10,000-byte address whole"; else not_ok "no field carries a 10,000-byte address whole"; fi
run "the same, indexed" index --db absurd.db --quiet absurd.mbox
run "report by status and domain" report --db absurd.db --by status,domain --format csv

# ---- mixed CR, LF and CRLF -------------------------------------------------------------------------
"$MKHOSTILE" mixedeol mixed.eml
run "lines ending in LF, CRLF and CR in turn" parse --format jsonl mixed.eml
check "the bounce is decoded" "$(records)" 1
has "with its status" out '"status":"5.1.1"'

# ---- a gzip and a zip that expand to a gigabyte -------------------------------------------------
"$MKHOSTILE" zeros gzip bomb.mbox.gz 1000000000
run "a gzip expanding to 1 GB" parse --format jsonl bomb.mbox.gz
has "the giant message is cut with a warning naming the input" err 'bomb.mbox.gz:0: message larger than max_message_size'
check "the bounce after it is read" "$(records)" 1
run "the gzip with --max-expanded 100M" parse --format jsonl --max-expanded 100M bomb.mbox.gz
has "the expansion limit is a warning naming the input and offset" err 'bomb.mbox.gz:104857600: more than max_expanded'
check "the limit is not an error" "$status" 0
run "indexed with --max-expanded 100M" index --db bomb.db --stats --max-expanded 100M bomb.mbox.gz
run "and again" index --db bomb.db --stats --max-expanded 100M bomb.mbox.gz
has "a source stopped by a limit counts as read: the next run skips it" err '1 files unchanged'

"$MKHOSTILE" zipbomb bomb.zip 1000000000
run "a zip expanding to 1 GB" parse --format jsonl bomb.zip
check "both bounces are read (after the giant message, and the next member)" "$(records)" 2
run "the zip with --max-expanded 100M" parse --format jsonl --max-expanded 100M bomb.zip
has "the member is cut with a warning naming it" err 'bomb.zip:bomb.mbox:104857600: more than max_expanded'
has "the next member is still read" out '"recipient":"after@example.com"'

# Past 1 GiB out, more than 1000 bytes per compressed byte is a bomb.
"$MKHOSTILE" zeros zstd ratio.zst 1200000000
run "a zstd stream expanding 10,000 times to 1.2 GB" parse --format jsonl ratio.zst
has "max_ratio stops it with a warning naming the input" err 'ratio.zst:[0-9]*: expands more than max_ratio (1000)'
run "with --max-ratio 0 it is read to its end" parse --format jsonl --max-ratio 0 ratio.zst
lacks "and no ratio warning" err 'max_ratio'
check "the bounce after the zeros is read" "$(records)" 1

# ---- truncated tar and gzip ----------------------------------------------------------------------
"$MKARCHIVE" tar none mail.tar -C "$top/corpus" mail
size=$(wc -c < mail.tar)
# Cut inside a 512-byte block: a tar that ends exactly between two members
# looks whole (libarchive, like GNU tar, accepts a tar without its closing
# zero blocks, as some writers omit them), which docs/ARCHITECTURE.md notes.
head -c $((size / 2 / 512 * 512 + 300)) mail.tar > cut.tar
run "a tar cut in half" parse --format jsonl cut.tar
check "exit 1" "$status" 1
has "a message naming it" err 'cut.tar'
if [ "$(records)" -gt 0 ]; then ok "the members before the cut are read"; else not_ok "the members before the cut are read"; fi
"$MKARCHIVE" raw gzip mixed.gz -C "$top/corpus/mail" mixed.mbox
head -c $(($(wc -c < mixed.gz) * 2 / 3)) mixed.gz > cut.gz
run "a gzip cut at two thirds" parse --format jsonl cut.gz
check "exit 1" "$status" 1
has "a message naming it" err 'cut.gz'

# ---- tar members named ../../x ------------------------------------------------------------------------
mkdir -p jail/a/b
"$MKHOSTILE" eviltar jail/a/b/evil.tar
touch marker
cd jail/a/b || exit 1
run "a tar with members ../../x.eml, /abs.eml, a/../../../y.eml, links" parse --format jsonl evil.tar
cd "$tmp" || exit 1
check "each regular member is read" "$(grep -c '"recipient":"evil[0-2]@example.com"' out)" 3
has "members keep their names, under the archive's" out '"source":"evil.tar:../../x.eml"'
written=$(find "$tmp" -newer marker ! -name out ! -name err ! -name cost ! -type d | wc -l)
[ -e jail/x.eml ] || [ -e jail/y.eml ] || [ -e /abs.eml ] && written="$written+escaped"
check "nothing is written to disk" "$written" 0

# ---- empty files -------------------------------------------------------------------------------------------
mkdir -p empty/cur empty/new empty/tmp
: > empty.eml
: > empty/cur/1.eml
for f in gzip xz zstd; do "$MKHOSTILE" empty $f empty.$f; done
"$MKARCHIVE" tar none empty.tar -C empty cur
"$MKARCHIVE" zip none empty.zip -C empty cur
run "empty files, an empty Maildir, empty gzip, xz, zstd, tar and zip" parse --format jsonl empty.eml empty empty.gzip empty.xz empty.zstd empty.tar empty.zip
check "no records" "$(records)" 0
check "exit 0" "$status" 0
run "an empty index" index --db empty.db --quiet empty.eml
run "reports on it" report --db empty.db --by status
check "report on an empty index: exit 0" "$status" 0

# ---- output safety ----------------------------------------------------------------------------------
# Values reach SQLite as bound parameters only, never as SQL text.
rcpt="\"o'brien'); DROP TABLE record; --\"@example.com"
"$MKHOSTILE" bounce sql.mbox "$rcpt"
run "a recipient that is SQL text" index --db sql.db --quiet sql.mbox
run "export it" export --db sql.db --format jsonl
has_text "it is stored and exported as it is (the address in lower case)" out "\"recipient\":\"\\\"o'brien'); drop table record; --\\\"@example.com\""
run "select it with --where" export --db sql.db --format csv --where "recipient=$(sed -n 's/.*"recipient":"\(.*\)","domain".*/\1/p' out | sed 's/\\"/"/g')"
check "--where matches it exactly" "$(records)" 2
run "--where with a quote and OR" export --db sql.db --format csv --where "recipient=x' OR '1'='1"
check "matches nothing" "$(records)" 1
run "the index is intact" check --db sql.db
check "check: exit 0" "$status" 0
# Nothing in the program can start another: it imports no exec, fork,
# system or popen (and so runs no shell, whatever the input says).
if command -v nm > /dev/null 2>&1; then
	imports=$(nm -D --undefined-only "$DSNIDX" 2> /dev/null | grep -E ' (system|popen|fork|vfork|posix_spawnp?|exec[lv]p?e?)(@|$)')
	check "dsnidx imports nothing that runs a program" "$imports" ""
fi

echo "hostile: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
