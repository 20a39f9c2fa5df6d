#!/bin/sh
# e2e.sh: end-to-end tests of the dsnidx command on the project corpus.
#
# Runs $DSNIDX (default build/dsnidx) as a user would and checks its output
# against the expected records kept in corpus/expected/, and checks that
# parse, index, export and report agree with one another. Prints one line
# per check and a summary; exits 1 if any check failed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
DSNIDX=${DSNIDX:-build/dsnidx}
case $DSNIDX in /*) ;; *) DSNIDX=$top/$DSNIDX ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $1"; }
not_ok() { failed=$((failed + 1)); echo "FAIL $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/     /' | head -n 40; }
# same NAME EXPECTED_FILE GOT_FILE
same() {
	if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1" "$(diff "$2" "$3")"; fi
}
# status NAME EXPECTED GOT
status_is() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected exit status $2, got $3"; fi
}
# contains NAME FILE TEXT
contains() {
	if grep -qF -- "$3" "$2"; then ok "$1"; else not_ok "$1" "'$3' not found in: $(cat "$2")"; fi
}

cd "$top/corpus" || exit 1

# ---- every sample gives exactly its expected records ------------------------
for f in mail/*; do
	name=$(basename "$f")
	exp=expected/$name.jsonl
	if [ ! -f "$exp" ]; then
		not_ok "expected file for $f" "missing $exp"
		continue
	fi
	"$DSNIDX" parse --format jsonl "$f" > "$tmp/got.jsonl" 2> "$tmp/err"
	st=$?
	# Kept for the line-ending copies below, which must give the same.
	mkdir -p "$tmp/lf/mail" && cut -d, -f1,3- "$tmp/got.jsonl" > "$tmp/lf/$f.jsonl"
	same "parse $f gives corpus/$exp" "$exp" "$tmp/got.jsonl"
	status_is "parse $f exits 0" 0 "$st"
	if [ -s "$tmp/err" ]; then not_ok "parse $f writes nothing on stderr" "$(cat "$tmp/err")"; fi
done

# ---- the seed's example, field by field ---------------------------------------
"$DSNIDX" parse --format csv mail/exchange-fope-ndr.eml > "$tmp/seed.csv"
seed_row=$(sed -n 2p "$tmp/seed.csv" | tr -d '\r')
field() { printf '%s\n' "$seed_row" | awk -F, -v n="$1" '{print $n}'; }
check_field() {
	if [ "$(field "$2")" = "$3" ]; then ok "seed example: $1 is '$3'"; else not_ok "seed example: $1 is '$3'" "got '$(field "$2")'"; fi
}
check_field recipient 5 joepremise@contoso.com
check_field action 7 failed
check_field status 8 5.7.1
check_field reply_code 9 530
check_field reason 10 securityerror
check_field hard_bounce 11 0
check_field reporting_mta 12 bigfish.com
check_field remote_mta 13 mail.contoso.com
check_field sender 15 scott@contoso.onmicrosoft.com
check_field subject 16 'Windows Phone is awesome!'
check_field decoder 18 exchange
if [ "$(head -n 1 "$tmp/seed.csv" | tr -d '\r')" = "source,offset,index,timestamp,recipient,domain,action,status,reply_code,reason,hard_bounce,reporting_mta,remote_mta,diagnostic,sender,subject,message_id,decoder" ]; then
	ok "CSV header row has the documented columns in order"
else
	not_ok "CSV header row has the documented columns in order" "$(head -n 1 "$tmp/seed.csv")"
fi
if [ "$(tr -cd '\r' < "$tmp/seed.csv" | wc -c)" -eq 2 ]; then ok "CSV rows end in CRLF (RFC 4180)"; else not_ok "CSV rows end in CRLF (RFC 4180)"; fi

# ---- line endings: CRLF, bare CR and CR CR LF give the same records ---------------
# (E2E_LINE_ENDINGS=0 skips them: `make valgrind-check` does, as they are
# three more parses of every sample, already run under ASan/UBSan.)
if [ "${E2E_LINE_ENDINGS:-1}" = 1 ]; then
mkdir -p "$tmp/crlf/mail" "$tmp/cr/mail" "$tmp/crcrlf/mail"
for f in mail/*.eml mail/*.mbox; do
	tr -d '\r' < "$f" | sed 's/$/\r/' > "$tmp/crlf/$f"
	tr -d '\r' < "$f" | tr '\n' '\r' > "$tmp/cr/$f"
	# A CRLF file converted to CRLF again, as some Windows tools do.
	tr -d '\r' < "$f" | sed 's/$/\r\r/' > "$tmp/crcrlf/$f"
done
for f in mail/*.eml mail/*.mbox; do
	(cd "$tmp/crlf" && "$DSNIDX" parse --format jsonl "$f") | cut -d, -f1,3- > "$tmp/crlf.jsonl"
	same "CRLF copy of $f gives the same records (but offsets)" "$tmp/lf/$f.jsonl" "$tmp/crlf.jsonl"
done
for f in mail/*.eml mail/*.mbox; do
	(cd "$tmp/cr" && "$DSNIDX" parse --format jsonl "$f") | cut -d, -f1,3- > "$tmp/cr.jsonl"
	same "bare-CR copy of $f gives the same records (but offsets)" "$tmp/lf/$f.jsonl" "$tmp/cr.jsonl"
done
for f in mail/*.eml mail/*.mbox; do
	(cd "$tmp/crcrlf" && "$DSNIDX" parse --format jsonl "$f") | cut -d, -f1,3- > "$tmp/crcrlf.jsonl"
	same "CR CR LF copy of $f gives the same records (but offsets)" "$tmp/lf/$f.jsonl" "$tmp/crcrlf.jsonl"
done
fi

# ---- mbox offsets point at the From_ line of the message ----------------------------
bad=0
"$DSNIDX" parse --format csv mail/mixed.mbox | tail -n +2 | cut -d, -f2 | sort -u > "$tmp/offsets"
while read -r off; do
	line=$(tail -c +$((off + 1)) mail/mixed.mbox | head -n 1)
	case $line in "From "*) ;; *) bad=1 ;; esac
done < "$tmp/offsets"
if [ -s "$tmp/offsets" ] && [ $bad -eq 0 ]; then ok "mbox offsets point at From_ lines"; else not_ok "mbox offsets point at From_ lines"; fi

# ---- standard input ---------------------------------------------------------------
"$DSNIDX" parse --format jsonl - < mail/postfix-userunknown.eml | sed 's/^{"source":"-"/{"source":"mail\/postfix-userunknown.eml"/' > "$tmp/stdin.jsonl"
same "'-' reads a message from standard input" expected/postfix-userunknown.eml.jsonl "$tmp/stdin.jsonl"
cat mail/mixed.mbox | "$DSNIDX" parse --format jsonl - | sed 's/^{"source":"-"/{"source":"mail\/mixed.mbox"/' > "$tmp/stdin.jsonl"
same "'-' reads an mbox from standard input" expected/mixed.mbox.jsonl "$tmp/stdin.jsonl"

# ---- Maildir: cur/ and new/, never tmp/ ------------------------------------------------
"$DSNIDX" parse --format csv mail/maildir > "$tmp/md.csv"
if grep -q never-read "$tmp/md.csv"; then not_ok "Maildir tmp/ is not read"; else ok "Maildir tmp/ is not read"; fi
if [ "$(grep -c '^"\{0,1\}mail/maildir/\(cur\|new\)/' "$tmp/md.csv")" -eq 2 ]; then ok "Maildir cur/ and new/ are read"; else not_ok "Maildir cur/ and new/ are read" "$(cat "$tmp/md.csv")"; fi

# ---- threads do not change the output ----------------------------------------------------
"$DSNIDX" parse --threads 1 --format jsonl mail > "$tmp/t1.jsonl"
"$DSNIDX" parse --threads 4 --format jsonl mail > "$tmp/t4.jsonl"
# The walk goes in byte order of names (strcmp), as `LC_ALL=C ls` lists them.
for n in $(LC_ALL=C ls mail); do cat "expected/$n.jsonl"; done > "$tmp/all.jsonl"
same "a directory is walked in name order" "$tmp/all.jsonl" "$tmp/t1.jsonl"
same "--threads 4 gives the output of --threads 1" "$tmp/t1.jsonl" "$tmp/t4.jsonl"

# ---- odd charsets and bytes end as valid UTF-8 -----------------------------------------------------
# The original's Subject in raw Latin-1 (no encoded word), its From in an
# encoded word of an unknown charset, the diagnostic with a byte that is not
# UTF-8 though the part says utf-8, a NUL and a bare escape character.
printf '%s\n' 'From: MAILER-DAEMON@mx.example.net' 'To: s@example.net' 'Subject: Undelivered Mail Returned to Sender' \
	'MIME-Version: 1.0' 'Content-Type: multipart/report; report-type=delivery-status; boundary="b"' '' \
	'--b' 'Content-Type: text/plain; charset=x-no-such-charset' '' 'Not delivered.' \
	'--b' 'Content-Type: message/delivery-status; charset=utf-8' '' 'Reporting-MTA: dns; mx.example.net' '' \
	'Final-Recipient: rfc822; u@example.org' 'Action: failed' 'Status: 5.1.1' > "$tmp/odd.eml"
printf 'Diagnostic-Code: smtp; 550 5.1.1 mailbox \377unknown\000\033 here\n' >> "$tmp/odd.eml"
printf '%s\n' '' '--b' 'Content-Type: text/rfc822-headers' '' '=?x-no-such?B?Q2Fmw6k=?= <a@example.net>' >> "$tmp/odd.eml"
sed -i 's/^=?x-no-such/From: =?x-no-such/' "$tmp/odd.eml"
printf 'Subject: caf\351 cr\350me\n\n--b--\n' >> "$tmp/odd.eml"
"$DSNIDX" parse --format jsonl "$tmp/odd.eml" > "$tmp/odd.jsonl" 2> "$tmp/err"
status_is "odd charsets: exit 0" 0 $?
if iconv -f UTF-8 -t UTF-8 < "$tmp/odd.jsonl" > /dev/null 2>&1; then ok "odd charsets: the record is valid UTF-8"; else not_ok "odd charsets: the record is valid UTF-8" "$(od -c "$tmp/odd.jsonl" | head)"; fi
if grep -q '"subject":"café crème"' "$tmp/odd.jsonl"; then ok "odd charsets: raw Latin-1 in a header is read as Latin-1"; else not_ok "odd charsets: raw Latin-1 in a header is read as Latin-1" "$(cat "$tmp/odd.jsonl")"; fi
if grep -q '"diagnostic":"550 5.1.1 mailbox �unknown' "$tmp/odd.jsonl"; then ok "odd charsets: an invalid byte becomes U+FFFD, the rest is kept"; else not_ok "odd charsets: an invalid byte becomes U+FFFD, the rest is kept" "$(cat "$tmp/odd.jsonl")"; fi
if grep -q '"sender":"a@example.net"' "$tmp/odd.jsonl"; then ok "odd charsets: an unknown charset in an encoded word does not lose the address"; else not_ok "odd charsets: an unknown charset in an encoded word does not lose the address" "$(cat "$tmp/odd.jsonl")"; fi

# ---- parse, index, export and report agree ------------------------------------------------
db=$tmp/idx.db
"$DSNIDX" index --quiet --db "$db" mail
status_is "index exits 0" 0 $?
# After a run the database file alone holds the index (no write-ahead log
# left beside it), so that copying just the file copies everything.
if [ ! -s "$db-wal" ]; then ok "no write-ahead log is left after an index run"; else not_ok "no write-ahead log is left after an index run" "$(ls -l "$db"*)"; fi
mkdir -p "$tmp/copy" && cp "$db" "$tmp/copy/idx.db"
"$DSNIDX" export --db "$db" --format jsonl > "$tmp/export.jsonl"
same "export gives the records parse gives" "$tmp/t1.jsonl" "$tmp/export.jsonl"
"$DSNIDX" parse --format csv mail > "$tmp/parse.csv"
"$DSNIDX" export --db "$db" --format csv > "$tmp/export.csv"
same "export --format csv equals parse --format csv" "$tmp/parse.csv" "$tmp/export.csv"
DSNIDX_DB=$db "$DSNIDX" export --format jsonl > "$tmp/export2.jsonl"
same "DSNIDX_DB names the default index" "$tmp/export.jsonl" "$tmp/export2.jsonl"
"$DSNIDX" export --db "$tmp/copy/idx.db" --format jsonl > "$tmp/export-copy.jsonl"
same "a copy of the database file alone holds every record" "$tmp/export.jsonl" "$tmp/export-copy.jsonl"

records=$(($(wc -l < "$tmp/export.csv") - 1))
for key in status reply_code reason action reporting_mta remote_mta domain day hour; do
	"$DSNIDX" report --db "$db" --by "$key" --format csv | tail -n +2 | tr -d '\r' | sort > "$tmp/report.csv"
	total=$(awk -F, '{s += $NF} END {print s + 0}' "$tmp/report.csv")
	if [ "$total" -eq "$records" ]; then ok "report --by $key counts every record ($records)"; else not_ok "report --by $key counts every record" "total $total, records $records"; fi
done
# Counts computed from the export equal the report's. (JSON Lines, because
# CSV fields may hold commas: Maildir file names do.)
jfield() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
jfield status < "$tmp/export.jsonl" | sort | uniq -c | awk '{print $2","$1}' | sort > "$tmp/from_export"
"$DSNIDX" report --db "$db" --by status --format csv | tail -n +2 | tr -d '\r' | sort > "$tmp/from_report"
same "report --by status equals counts over the export" "$tmp/from_export" "$tmp/from_report"
jfield domain < "$tmp/export.jsonl" > "$tmp/d"
jfield reason < "$tmp/export.jsonl" > "$tmp/r"
paste -d, "$tmp/d" "$tmp/r" | sort | uniq -c | awk '{print $2","$1}' | sort > "$tmp/from_export"
"$DSNIDX" report --db "$db" --by domain,reason --format csv | tail -n +2 | tr -d '\r' | sort > "$tmp/from_report"
same "report --by domain,reason equals counts over the export" "$tmp/from_export" "$tmp/from_report"

"$DSNIDX" report --db "$db" --by reason --format text > "$tmp/report.txt"
contains "text report has a count column" "$tmp/report.txt" "count"
if grep -Eq "^total +$records\$" "$tmp/report.txt"; then ok "text report ends with the total"; else not_ok "text report ends with the total" "$(cat "$tmp/report.txt")"; fi
"$DSNIDX" report --db "$db" --by reason --top 2 --format text > "$tmp/top.txt"
if [ "$(grep -c . "$tmp/top.txt")" -eq 7 ] && grep -q "more)" "$tmp/top.txt"; then ok "--top 2 shows two rows and the rest in one line"; else not_ok "--top 2 shows two rows and the rest in one line" "$(cat "$tmp/top.txt")"; fi
"$DSNIDX" report --db "$db" --by reason --format json > "$tmp/report.json"
contains "json report holds the total" "$tmp/report.json" "\"total\":$records"
"$DSNIDX" report --db "$db" --by day --format csv | tail -n +2 | tr -d '\r' | cut -d, -f1 > "$tmp/days"
if sort -c "$tmp/days" 2>/dev/null; then ok "report --by day is in time order"; else not_ok "report --by day is in time order" "$(cat "$tmp/days")"; fi

# Indexing the same input again adds nothing.
"$DSNIDX" index --quiet --db "$db" mail
"$DSNIDX" export --db "$db" --format jsonl > "$tmp/export3.jsonl"
same "indexing the same files twice adds nothing" "$tmp/export.jsonl" "$tmp/export3.jsonl"

# ---- errors: exit status and messages ------------------------------------------------------
"$DSNIDX" parse --format csv mail/postfix-userunknown.eml does-not-exist.mbox mail/postfix-delayed.eml > "$tmp/out.csv" 2> "$tmp/err"
status_is "a missing input gives exit status 1" 1 $?
contains "a missing input is named on stderr" "$tmp/err" "does-not-exist.mbox"
if [ "$(wc -l < "$tmp/out.csv")" -eq 3 ]; then ok "the other inputs are still done"; else not_ok "the other inputs are still done" "$(cat "$tmp/out.csv")"; fi

"$DSNIDX" parse "$top/tests/data/undecodable.eml" > "$tmp/out.csv" 2> "$tmp/err"
status_is "an undecodable bounce gives exit status 1" 1 $?
contains "an undecodable bounce is named with its offset" "$tmp/err" "undecodable.eml:0: looks like a bounce"

"$DSNIDX" parse --frobnicate x > /dev/null 2>&1
status_is "an unknown option gives exit status 2" 2 $?
"$DSNIDX" report --db "$db" > /dev/null 2>&1
status_is "report without --by gives exit status 2" 2 $?
"$DSNIDX" report --db "$db" --by colour > /dev/null 2> "$tmp/err"
status_is "an unknown report key gives exit status 2" 2 $?
contains "an unknown report key is named" "$tmp/err" "colour"
"$DSNIDX" parse > /dev/null 2>&1
status_is "parse without PATH gives exit status 2" 2 $?
"$DSNIDX" nonsense > /dev/null 2>&1
status_is "an unknown command gives exit status 2" 2 $?
"$DSNIDX" report --db "$tmp/none.db" --by status > /dev/null 2> "$tmp/err"
status_is "report on a missing index gives exit status 1" 1 $?
contains "a missing index is named" "$tmp/err" "none.db"

# ---- limits are explicit and counted ---------------------------------------------------------
"$DSNIDX" parse --max-message-size 2K --format csv mail/multi-recipient.eml > "$tmp/out.csv" 2> "$tmp/err"
status_is "a truncated message is a warning, not an error" 0 $?
contains "truncation is reported with the limit" "$tmp/err" "max_message_size"
"$DSNIDX" parse --max-recipients 2 --format csv mail/multi-recipient.eml > "$tmp/out.csv" 2> "$tmp/err"
if [ "$(wc -l < "$tmp/out.csv")" -eq 3 ]; then ok "--max-recipients 2 keeps two recipients"; else not_ok "--max-recipients 2 keeps two recipients" "$(cat "$tmp/out.csv")"; fi
contains "the recipient limit is reported" "$tmp/err" "max_recipients"
"$DSNIDX" parse --quiet --max-recipients 2 --format csv mail/multi-recipient.eml > /dev/null 2> "$tmp/err"
if [ -s "$tmp/err" ]; then not_ok "--quiet silences warnings" "$(cat "$tmp/err")"; else ok "--quiet silences warnings"; fi

# ---- rules from the user come first ------------------------------------------------------------
printf '# test rule\nsuspend /Mailbox full/i\n' > "$tmp/user.rules"
"$DSNIDX" parse --rules "$tmp/user.rules" --format csv mail/multi-recipient.eml | grep dave@ | cut -d, -f10 > "$tmp/reason"
if [ "$(cat "$tmp/reason")" = suspend ]; then ok "--rules FILE overrides the built-in rules"; else not_ok "--rules FILE overrides the built-in rules" "$(cat "$tmp/reason")"; fi
printf 'suspend /unclosed(/i\n' > "$tmp/bad.rules"
"$DSNIDX" parse --rules "$tmp/bad.rules" mail/multi-recipient.eml > /dev/null 2> "$tmp/err"
status_is "a bad rule file gives exit status 2" 2 $?
contains "a bad pattern is reported with its file and line" "$tmp/err" "bad.rules:1:"

# ---- explain -----------------------------------------------------------------------------------
"$DSNIDX" explain mail/exchange-fope-ndr.eml > "$tmp/explain" 2>&1
status_is "explain exits 0" 0 $?
if grep -q "^  decoder  *exchange$" "$tmp/explain" && grep -q "^  reason  *securityerror  (builtin:reasons.rules:[0-9]*, on the diagnostic: " "$tmp/explain"; then
	ok "explain names the decoder and the rule, with its line and the text it matched"
else
	not_ok "explain names the decoder and the rule, with its line and the text it matched" "$(cat "$tmp/explain")"
fi
"$DSNIDX" explain --rules "$tmp/user.rules" mail/multi-recipient.eml > "$tmp/explain" 2>&1
if grep -q "suspend  (.*user.rules:2, on the diagnostic" "$tmp/explain"; then ok "explain shows a user rule that decided"; else not_ok "explain shows a user rule that decided" "$(cat "$tmp/explain")"; fi
"$DSNIDX" explain mail/postfix-delayed.eml > "$tmp/explain" 2>&1
if grep -q "^  smtp_command  *CONN$" "$tmp/explain"; then ok "explain shows the SMTP stage"; else not_ok "explain shows the SMTP stage" "$(cat "$tmp/explain")"; fi
"$DSNIDX" explain "$top/tests/data/no-status.eml" > "$tmp/explain" 2>&1
if grep -q "^  status  *5.0.911  (none in the bounce; derived from the reason)$" "$tmp/explain"; then ok "explain marks a derived status"; else not_ok "explain marks a derived status" "$(cat "$tmp/explain")"; fi

# ---- a report without a cause: the returned message's reply decides ----------------------------
g=mail/gateway-returned-bounce.eml
"$DSNIDX" explain "$g" > "$tmp/explain" 2>&1
if grep -q "^  reason  *userunknown  (builtin:reasons.rules:[0-9]*, on the returned message: " "$tmp/explain" &&
	grep -q "^  evidence  *550 5.1.1 No such user here$" "$tmp/explain"; then
	ok "explain: a reply in the returned message decides when the report says nothing, and is shown"
else
	not_ok "explain: a reply in the returned message decides when the report says nothing, and is shown" "$(cat "$tmp/explain")"
fi
# The stage comes from the returned transcript: the same reply after DATA
# is a refusal of the content, not an unknown recipient.
sed -e 's/^>>> RCPT To:<ravi@example.net>$/>>> RCPT To:<ravi@example.net>\n<<< 250 2.1.5 Ok\n>>> DATA/' \
	-e 's/^<<< 550 5.1.1 No such user here$/<<< 550 5.1.1 <ravi@example.net>... No such user here/' "$g" > "$tmp/gw-data.eml"
"$DSNIDX" parse --format csv "$tmp/gw-data.eml" > "$tmp/gw.csv" 2>&1
if grep -q ',filtered,0,' "$tmp/gw.csv"; then ok "the returned transcript's stage (DATA) applies to its reply"; else not_ok "the returned transcript's stage (DATA) applies to its reply" "$(cat "$tmp/gw.csv")"; fi
# Postfix's form: "<rcpt>: host ... said: 550 ...", folded.
awk '/^   ----- The following/ {exit} {print}' "$g" > "$tmp/gw-postfix.eml"
printf '%s\n' '<ravi@example.net>: host mx1.example.net[192.0.2.25] said: 552 5.2.2' \
	'    <ravi@example.net>: Recipient mailbox is over its quota (in reply to RCPT TO' '    command)' '' '--gw-7Hk2--' >> "$tmp/gw-postfix.eml"
"$DSNIDX" explain "$tmp/gw-postfix.eml" > "$tmp/explain" 2>&1
if grep -q "^  reason  *mailboxfull .*on the returned message" "$tmp/explain" &&
	grep -q '^  evidence  *552 5.2.2 <ravi@example.net>: Recipient mailbox is over its quota (in reply to RCPT TO command)$' "$tmp/explain"; then ok "a folded 'said:' reply in the returned message is read whole"; else not_ok "a folded 'said:' reply in the returned message is read whole" "$(cat "$tmp/explain")"; fi
# The report's own code wins: the returned message is not read then.
sed 's/^Reason: Unable to deliver message to <ravi@example.net>\.$/Reason: 554 5.7.1 <ravi@example.net>: message refused/' "$g" > "$tmp/gw-coded.eml"
"$DSNIDX" explain "$tmp/gw-coded.eml" > "$tmp/explain" 2>&1
if grep -q "^  reason  *securityerror .*on the status" "$tmp/explain" && ! grep -q '^  evidence' "$tmp/explain"; then
	ok "a report with its own code is not decided by the returned message"
else
	not_ok "a report with its own code is not decided by the returned message" "$(cat "$tmp/explain")"
fi
# Another recipient's reply is no evidence.
sed 's/^Reason: Unable to deliver message to <ravi@example.net>\.$/Reason: Unable to deliver message to <mina@example.net>./' "$g" > "$tmp/gw-other.eml"
"$DSNIDX" explain "$tmp/gw-other.eml" > "$tmp/explain" 2>&1
if grep -q "^  reason  *undefined " "$tmp/explain"; then ok "a reply about another recipient in the returned message decides nothing"; else not_ok "a reply about another recipient in the returned message decides nothing" "$(cat "$tmp/explain")"; fi

# ---- help --------------------------------------------------------------------------------------
# Every command the program lists has its help, and its entry in the
# man page's synopsis and COMMANDS section.
cmds=$("$DSNIDX" --help | sed -n '/^Commands:/,/^$/p' | awk 'NF && $1 != "Commands:" && $1 != "help" {print $1}')
[ -n "$cmds" ] && ok "--help lists the commands" || not_ok "--help lists the commands"
for cmd in $cmds; do
	"$DSNIDX" "$cmd" --help > "$tmp/help" 2>&1
	if [ $? -eq 0 ] && grep -q "Usage: dsnidx $cmd" "$tmp/help"; then ok "$cmd --help"; else not_ok "$cmd --help" "$(cat "$tmp/help")"; fi
	if grep -q "^\.B dsnidx $cmd\$" "$top/docs/dsnidx.1" && grep -q "^\.B $cmd\$" "$top/docs/dsnidx.1"; then
		ok "the man page documents $cmd"
	else
		not_ok "the man page documents $cmd" "no '.B dsnidx $cmd' in SYNOPSIS or no '.B $cmd' in COMMANDS"
	fi
done
"$DSNIDX" --help > "$tmp/help" && grep -q "Exit status" "$tmp/help" && ok "--help documents exit status" || not_ok "--help documents exit status"

# ---- the README's examples -----------------------------------------------------------------------
# Every "$ dsnidx ..." in the README's code blocks prints what the README
# shows after it (run with TZ=UTC, each block with a fresh default index,
# demo.db kept from block to block; commands name corpus/mail/..., or
# logs and mail as from corpus/). A time taken ("in 0.01 s") is not compared.
rx=$tmp/readme
mkdir -p "$rx"
ln -s "$top/corpus" "$rx/corpus"
ln -s "$top/corpus/logs" "$rx/logs"
ln -s "$top/corpus/mail" "$rx/mail"
awk -v dir="$tmp" '
	/^```/ { inblock = !inblock; if (inblock) { block++; n = 0 } next }
	!inblock { next }
	/^\$ dsnidx / { n++; f = sprintf("%s/rx-%02d-%02d", dir, block, n); print substr($0, 3) > (f ".cmd"); printf "" > (f ".want"); next }
	n { print >> (f ".want") }
' "$top/README.md"
examples=0
for c in "$tmp"/rx-*.cmd; do
	[ -f "$c" ] || continue
	base=${c%.cmd}
	case $base in *-01) rm -f "$rx"/dsnidx.db*;; esac
	cmd=$(cat "$c")
	# (Blank lines between commands, and times, are not compared.)
	sed -e 's/\r$//' -e '/^$/d' -e 's/ in [0-9.]* s:/ in T s:/' "$base.want" > "$base.w"
	script=$(printf '%s' "$cmd" | sed 's|^dsnidx|"$D"|')
	(cd "$rx" && env -u DSNIDX_DB TZ=UTC D="$DSNIDX" sh -c "$script") > "$base.out" 2>&1 || true
	sed -e 's/\r$//' -e '/^$/d' -e 's/ in [0-9.]* s:/ in T s:/' "$base.out" > "$base.g"
	examples=$((examples + 1))
	if cmp -s "$base.w" "$base.g"; then ok "README: $cmd"; else not_ok "README: $cmd" "$(diff "$base.w" "$base.g" | head -6)"; fi
done
[ "$examples" -ge 10 ] && ok "README: $examples examples run" || not_ok "README: examples found" "only $examples"

echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
