#!/bin/sh
# logs.sh: mail server logs (Postfix, Exim, Sendmail) read like any other
# input: each sample of corpus/logs gives exactly its expected records;
# years come from the file's time and roll over at the new year; local
# times follow TZ; rotated and compressed copies give the same records;
# lines that are no log lines are counted and skipped; log records and
# bounces land in one index; a growing log is read from where it stopped.
#
# Syslog times carry no year and no zone, so every run here pins both:
# TZ=UTC (unless a test says otherwise) and the files' modification time.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
DSNIDX=${DSNIDX:-build/dsnidx}
case $DSNIDX in /*) ;; *) DSNIDX=$top/$DSNIDX ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
not_ok() { failed=$((failed + 1)); echo "FAIL $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/     /' | head -n 20; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "expected '$3', got '$2'"; fi; }
same() { if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1" "$(diff "$2" "$3" | head -n 20)"; fi; }
has() { if grep -q -- "$3" "$2"; then ok "$1"; else not_ok "$1" "no '$3' in: $(head -c 1500 "$2")"; fi; }
# ts FILE RECIPIENT: the timestamps of the recipient's records.
ts() { grep "\"recipient\":\"$2\"" "$1" | sed 's/.*"timestamp":"\([^"]*\)".*/\1/' | tr '\n' ' ' | sed 's/ $//'; }

export TZ=UTC
REF='2027-01-05 06:00:00'
mkdir -p "$tmp/logs"
cp "$top"/corpus/logs/* "$tmp/logs/"
for f in "$tmp"/logs/*; do touch -d "$REF" "$f"; done
cd "$tmp" || exit 1

# ---- every sample gives exactly its expected records ------------------------------
for f in logs/*; do
	name=$(basename "$f")
	"$DSNIDX" parse --format jsonl "$f" > got.jsonl 2> err
	st=$?
	same "parse $f gives corpus/expected/$name.jsonl" "$top/corpus/expected/$name.jsonl" got.jsonl
	check "parse $f exits 0" "$st" 0
	if [ "$name" = postfix-maillog ]; then
		check "the one line that is no log line is a warning with its offset" "$(cat err)" \
			"dsnidx: warning: logs/postfix-maillog:3952: 1 line not in a log format, the first here; skipped"
	elif [ -s err ]; then
		not_ok "parse $f writes nothing on stderr" "$(cat err)"
	fi
done

# ---- years: from the file's time, rolling over at the new year ----------------------
"$DSNIDX" parse --format jsonl logs/postfix-maillog > p.jsonl
check "Dec 31 in a file last written on 5 January 2027 is in 2026" "$(ts p.jsonl no.such.person@example.com)" \
	"2026-12-31T23:58:41Z"
check "Jan 1 in it is in 2027" "$(ts p.jsonl carol@mx1.example.org)" "2027-01-01T00:00:03Z"
cp logs/postfix-maillog old-maillog
touch -d '2026-06-01 00:00:00' old-maillog
"$DSNIDX" parse --format jsonl old-maillog > old.jsonl
check "written in June 2026, the same lines are December 2025..." "$(ts old.jsonl no.such.person@example.com)" \
	"2025-12-31T23:58:41Z"
check "... and January 2026" "$(ts old.jsonl carol@mx1.example.org)" "2026-01-01T00:00:03Z"
# Exim's own log and ISO 8601 lines say their year: the file's time does not matter.
cp logs/exim-mainlog old-mainlog
touch -d '2030-06-01 00:00:00' old-mainlog
"$DSNIDX" parse --format jsonl old-mainlog > e.jsonl
check "Exim's dated lines keep their year" "$(ts e.jsonl alias-target@lists.example)" "2026-11-27T10:00:33Z"

# ---- zones: classic syslog is local time; zoned lines are exact -----------------------
TZ=JST-9 "$DSNIDX" parse --format jsonl logs/postfix-maillog > jst.jsonl
check "with TZ=JST-9, 00:00:03 local is 15:00:03 UTC the day before" "$(ts jst.jsonl carol@mx1.example.org)" \
	"2026-12-31T15:00:03Z"
TZ=JST-9 "$DSNIDX" parse --format jsonl logs/rsyslog-postfix.log > jst2.jsonl
same "lines with their own zone do not depend on TZ" "$top/corpus/expected/rsyslog-postfix.log.jsonl" jst2.jsonl

# ---- successful deliveries ------------------------------------------------------------------
"$DSNIDX" parse --format jsonl --delivered logs/postfix-maillog > d.jsonl
check "--delivered adds the three sent lines" "$(grep -c '"action":"delivered"' d.jsonl)" 3
check "with reason delivered and status 2.0.0" \
	"$(grep '"action":"delivered"' d.jsonl | grep -c '"status":"2.0.0","reply_code":[0-9a-z]*,"reason":"delivered"')" 3
check "and the failures as before" "$(grep -vc '"action":"delivered"' d.jsonl)" "$(wc -l < p.jsonl | tr -d ' ')"

# ---- the same lines in a rotated, compressed copy -------------------------------------
cp logs/postfix-maillog maillog.1
gzip -c logs/postfix-maillog > maillog.2.gz
touch -d "$REF" maillog.1 maillog.2.gz
for f in maillog.1 maillog.2.gz; do
	"$DSNIDX" parse --format jsonl "$f" 2> /dev/null | sed "s|\"source\":\"$f\"|\"source\":\"logs/postfix-maillog\"|" > r.jsonl
	same "$f gives the records of the log" p.jsonl r.jsonl
done

# ---- told by content, not by name; several families in one file ---------------------
cp logs/sendmail-maillog looks-like-mail.eml
touch -d "$REF" looks-like-mail.eml
check "a log named .eml is read as a log" "$("$DSNIDX" parse --format jsonl looks-like-mail.eml | grep -c sendmail-log)" 5
cat logs/postfix-maillog logs/sendmail-maillog logs/rsyslog-postfix.log > all.log
touch -d "$REF" all.log
"$DSNIDX" parse --format jsonl all.log 2> /dev/null > all.jsonl
check "one file of Postfix, Sendmail and rsyslog lines gives all their records" "$(wc -l < all.jsonl | tr -d ' ')" \
	$((8 + 5 + 3))

# ---- lines that are no log lines ------------------------------------------------------------
{
	head -n 3 logs/postfix-maillog
	printf 'binary \001\002\377 junk\n\n   \nNov 27 1 garbage\n'
	tail -n 4 logs/postfix-maillog
} > junk.log
touch -d "$REF" junk.log
"$DSNIDX" index --db junk.db --stats junk.log > /dev/null 2> err
check "junk lines leave the exit status 0" "$?" 0
has "they are counted in the summary (blank lines are not)" err "log lines (0 delivered, 3 not in a log format)"
has "with a warning naming the file and the first one's offset" err "junk.log:280: 3 lines not in a log format"

# ---- one index for bounces and logs ------------------------------------------------------
"$DSNIDX" index --db mixed.db --quiet "$top/corpus/mail" logs
"$DSNIDX" report --db mixed.db --by decoder --format csv > dec.csv
for d in postfix-log exim-log sendmail-log rfc3464; do
	has "a report over bounces and logs counts $d" dec.csv "^$d,"
done
# (exim-mainlog's records: the other Exim sample has its own.)
"$DSNIDX" export --db mixed.db --format jsonl --attempts --where decoder=exim-log |
	grep '"source":"logs/exim-mainlog"' > ex.jsonl
"$DSNIDX" parse --format jsonl logs/exim-mainlog > exp.jsonl
same "with --attempts the index keeps the log records as parse gives them" exp.jsonl ex.jsonl
"$DSNIDX" export --db mixed.db --format jsonl --where decoder=exim-log | grep '"source":"logs/exim-mainlog"' > exf.jsonl
check "without, the two deferrals that a later failure settled are left out" \
	"$(grep -c '"recipient":"ops@broken.example"' exf.jsonl) $(wc -l < exf.jsonl | tr -d ' ')" "1 5"
"$DSNIDX" report --db mixed.db --by action --format csv > act.csv
if grep -q '^delivered,' act.csv; then not_ok "successful deliveries are not stored as records" "$(cat act.csv)"; else ok "successful deliveries are not stored as records"; fi

# ---- final outcomes and attempts ---------------------------------------------------------------
# postfix-maillog, decided by hand: 5 recipients fail at once; marta is
# deferred, then sent; ops is deferred twice, then the queue id expires.
"$DSNIDX" index --db fin.db --quiet logs/postfix-maillog
"$DSNIDX" report --db fin.db --by action --format csv | tr -d '\r' > fin.csv
check "final outcomes: 6 failed (the expiry one of them), nothing still delayed" "$(cat fin.csv | tr '\n' ' ')" \
	"action,count failed,6 "
"$DSNIDX" report --db fin.db --by action --attempts --format csv | tr -d '\r' > att.csv
check "--attempts: the 3 deferrals too" "$(cat att.csv | tr '\n' ' ')" "action,count failed,6 delayed,3 "
"$DSNIDX" export --db fin.db --format csv --columns timestamp,recipient,action,status,reason,hard_bounce,decoder \
	--where reason=expired --where action=failed | tr -d '\r' | tail -n +2 > exp.csv
check "the expiry fails ops@broken.example at its own time, with the last deferral's status" "$(cat exp.csv)" \
	"2027-01-05T00:09:40Z,ops@broken.example,failed,4.4.1,expired,0,postfix-log"
"$DSNIDX" recipients --db fin.db --where action=delayed > still.txt
check "no recipient is still delayed" "$(wc -l < still.txt | tr -d ' ')" 0
"$DSNIDX" check --db fin.db > /dev/null 2> chk.txt
check "dsnidx check: agg counts the final records" "$?" 0

# Rotated: a directory's maillog.2.gz, maillog.1 and maillog are read
# oldest first, whatever their names' order, so each delivery's attempts
# come in the order they happened.
mkdir rot
head -n 9 logs/postfix-maillog | gzip > rot/maillog.2.gz
sed -n '10,14p' logs/postfix-maillog > rot/maillog.1
tail -n +15 logs/postfix-maillog > rot/maillog
"$DSNIDX" index --db rot.db --quiet rot 2> /dev/null
"$DSNIDX" report --db rot.db --by action,reason --format csv > rot.csv
"$DSNIDX" report --db fin.db --by action,reason --format csv > fin2.csv
same "a rotated log split in three gives the final outcomes of the whole" fin2.csv rot.csv
"$DSNIDX" check --db rot.db > /dev/null 2>&1
check "and dsnidx check passes" "$?" 0
# Given newest first by hand, a failure read after a later one is still
# not final: the latest attempt in time is.
head -n 14 logs/postfix-maillog > older.log
tail -n +15 logs/postfix-maillog > newer.log
"$DSNIDX" index --db ooo.db --quiet newer.log older.log 2> /dev/null
check "read newest first, the deferral of ops before its expiry is not final" \
	"$("$DSNIDX" export --db ooo.db --format csv --columns action,reason --where recipient=ops@broken.example | tr -d '\r' | tail -n +2)" \
	"failed,expired"

# ---- successful deliveries counted: rates ------------------------------------------------------
"$DSNIDX" report --db fin.db --by domain --rates --format csv | tr -d '\r' > rates.csv
has "rates have their columns" rates.csv "^domain,delivered,failed,delayed,count,failure_rate$"
has "marta was deferred then delivered: example.net counts one delivery, no failure" rates.csv \
	"^example.net,1,0,0,1,0.0000$"
has "hosted.example: one delivered (virtual), one failed (lmtp)" rates.csv "^hosted.example,1,1,0,2,0.5000$"
has "broken.example: the expired recipient, failed" rates.csv "^broken.example,0,1,0,1,1.0000$"
"$DSNIDX" report --db fin.db --by hour --rates --format csv --where domain=example.jp | tr -d '\r' > hr.csv
check "by hour, with a condition" "$(tail -n +2 hr.csv)" "2026-12-31T23:00Z,1,0,0,1,0.0000"
"$DSNIDX" report --db fin.db --by reason --rates > /dev/null 2> err
check "--rates by a key deliveries do not have is a usage error" "$?" 2
"$DSNIDX" report --db fin.db --by domain --rates --attempts > /dev/null 2> err
check "--rates with --attempts is a usage error" "$?" 2
"$DSNIDX" index --db fin.db --quiet logs/postfix-maillog
"$DSNIDX" report --db fin.db --by domain --rates --format csv | tr -d '\r' > rates2.csv
same "a rerun counts no delivery twice" rates.csv rates2.csv

# ---- a growing log, read from where it stopped ------------------------------------------------
head -n 8 logs/postfix-maillog > grow.log
"$DSNIDX" index --db grow.db --stats grow.log > /dev/null 2> err1
has "the first part gives its 2 records" err1 "2 records (2 new"
tail -n +9 logs/postfix-maillog | head -n 4 > rest
# Half a line: it may still be being written, so it waits.
head -c 60 rest >> grow.log
"$DSNIDX" index --db grow.db --stats grow.log > /dev/null 2> err2
has "a half-written last line is not read yet" err2 "0 records (0 new"
tail -c +61 rest >> grow.log
"$DSNIDX" index --db grow.db --stats grow.log > /dev/null 2> err3
has "once whole, it and the lines after it are read" err3 "files resumed"
"$DSNIDX" export --db grow.db --format jsonl > g.jsonl
head -n 12 logs/postfix-maillog > whole.log
"$DSNIDX" parse --format jsonl whole.log | sed 's/"source":"whole.log"/"source":"grow.log"/' > w.jsonl
# (Senders named before where a run stopped are not carried to the next
# run: compared without them.)
nosender() { sed 's/"sender":"[^"]*","subject":"[^"]*","message_id":"[^"]*"//' "$1"; }
nosender w.jsonl > w2.jsonl
nosender g.jsonl > g2.jsonl
same "the index holds the records of the whole log, once each" w2.jsonl g2.jsonl
"$DSNIDX" index --db whole.db --quiet whole.log
"$DSNIDX" report --db whole.db --by domain --rates --format csv > rw.csv
"$DSNIDX" report --db grow.db --by domain --rates --format csv > rg.csv
same "and counts its deliveries once each" rw.csv rg.csv

# ---- sender and Message-ID: from the queue id's earlier lines ---------------------------------
# rsm FILE: recipient,sender,message_id of each record of a JSON Lines file.
rsm() { sed 's/.*"recipient":"\([^"]*\)".*"sender":"\([^"]*\)","subject":"[^"]*","message_id":"\([^"]*\)".*/\1,\2,\3/' "$1"; }
"$DSNIDX" parse --format jsonl logs/postfix-maillog 2> /dev/null > env.jsonl
rsm env.jsonl > env.csv
has "a delivery line gets its sender (qmgr from=) and Message-ID (cleanup)" env.csv \
	"^no.such.person@example.com,news@example.org,newsletter-2026-12@example.org$"
has "a queue id never introduced gives none" env.csv "^carol@mx1.example.org,,$"
# Two messages' lines interleaved, as a busy server writes them: each
# delivery gets its own message's sender.
cat > inter.log <<'LOG'
Mar  3 10:00:00 mx9 postfix/cleanup[1]: 4QINTAAAAAz1: message-id=<a-msg@example.org>
Mar  3 10:00:00 mx9 postfix/cleanup[1]: 4QINTBBBBBz1: message-id=<b-msg@example.org>
Mar  3 10:00:00 mx9 postfix/qmgr[2]: 4QINTBBBBBz1: from=<b-sender@example.org>, size=1, nrcpt=2 (queue active)
Mar  3 10:00:00 mx9 postfix/qmgr[2]: 4QINTAAAAAz1: from=<a-sender@example.org>, size=1, nrcpt=1 (queue active)
Mar  3 10:00:01 mx9 postfix/smtp[4]: 4QINTBBBBBz1: to=<b1@example.com>, relay=mx.example.com[192.0.2.50]:25, delay=1, delays=0/0/1/0, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.50] said: 550 5.1.1 No such user (in reply to RCPT TO command))
Mar  3 10:00:01 mx9 postfix/smtp[5]: 4QINTAAAAAz1: to=<a1@example.net>, relay=mx.example.net[192.0.2.51]:25, delay=1, delays=0/0/1/0, dsn=5.2.2, status=bounced (host mx.example.net[192.0.2.51] said: 552 5.2.2 Mailbox full (in reply to RCPT TO command))
Mar  3 10:00:01 mx9 postfix/qmgr[2]: 4QINTAAAAAz1: removed
Mar  3 10:00:02 mx9 postfix/smtp[4]: 4QINTBBBBBz1: to=<b2@example.com>, relay=mx.example.com[192.0.2.50]:25, delay=2, delays=0/0/1/1, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.50] said: 550 5.1.1 No such user (in reply to RCPT TO command))
LOG
"$DSNIDX" parse --format jsonl inter.log > inter.jsonl
check "interleaved messages: each delivery gets its own sender and Message-ID" "$(rsm inter.jsonl | tr '\n' ' ')" \
	"b1@example.com,b-sender@example.org,b-msg@example.org a1@example.net,a-sender@example.org,a-msg@example.org b2@example.com,b-sender@example.org,b-msg@example.org "
# Megabytes of other lines between them: the delivery is in another batch.
{
	echo "Mar  3 10:00:00 mx9 postfix/cleanup[1]: 4QFAR0AAAAz1: message-id=<far@example.org>"
	echo "Mar  3 10:00:00 mx9 postfix/qmgr[2]: 4QFAR0AAAAz1: from=<far-sender@example.org>, size=1, nrcpt=1 (queue active)"
	awk 'BEGIN { for (i = 0; i < 40000; i++) printf "Mar  3 10:00:01 mx9 postfix/smtpd[3]: connect from client%d.example.net[192.0.2.%d]\n", i, i % 250 }'
	echo "Mar  3 10:00:02 mx9 postfix/smtp[4]: 4QFAR0AAAAz1: to=<far@example.com>, relay=mx.example.com[192.0.2.50]:25, delay=2, delays=0/0/1/1, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.50] said: 550 5.1.1 No such user (in reply to RCPT TO command))"
} > far.log
for t in 1 2; do
	"$DSNIDX" parse --threads $t --format jsonl far.log > far.jsonl
	rsm far.jsonl > far.csv
	check "$(wc -c < far.log | tr -d ' ') bytes later, with $t thread(s), the sender is still known" "$(cat far.csv)" \
		"far@example.com,far-sender@example.org,far@example.org"
done
{
	for q in A B C; do echo "Mar  3 10:00:00 mx9 postfix/qmgr[2]: 4QLIM${q}AAAz1: from=<$q@example.org>, size=1, nrcpt=1 (queue active)"; done
	# (a batch later: the writer remembers them, not the worker)
	awk 'BEGIN { for (i = 0; i < 40000; i++) printf "Mar  3 10:00:01 mx9 postfix/smtpd[3]: connect from client%d.example.net[192.0.2.%d]\n", i, i % 250 }'
	echo "Mar  3 10:00:02 mx9 postfix/smtp[4]: 4QLIMAAAAz1: to=<lim@example.com>, relay=none, delay=2, delays=0/0/1/1, dsn=4.4.1, status=deferred (connect to mx.example.com[192.0.2.50]:25: Connection refused)"
} > lim.log
"$DSNIDX" parse --format jsonl lim.log > lim.jsonl
check "three queue ids are remembered by default" "$(rsm lim.jsonl)" "lim@example.com,A@example.org,"
"$DSNIDX" parse --max-queue-ids 1 --format jsonl lim.log > lim.jsonl
check "--max-queue-ids 1 keeps two at most: the first is forgotten" "$(rsm lim.jsonl)" "lim@example.com,,"

# ---- senders across runs: a growing log whose messages are named before the cut -------------
# A bounced line for a queue id the log said was removed gets no sender: the
# index keeps only messages still in the queue.
cross1() {
	echo "Mar  3 10:00:00 mx9 postfix/cleanup[1]: 4QCROSSAAz1: message-id=<cross@example.org>"
	echo "Mar  3 10:00:00 mx9 postfix/qmgr[2]: 4QCROSSAAz1: from=<cross-sender@example.org>, size=1, nrcpt=1 (queue active)"
	echo "Mar  3 10:00:00 mx9 postfix/qmgr[2]: 4QDONEAAAz1: from=<done-sender@example.org>, size=1, nrcpt=1 (queue active)"
}
cross2() {
	echo "Mar  3 10:00:01 mx9 postfix/smtp[4]: 4QDONEAAAz1: to=<d@example.com>, relay=mx.example.com[192.0.2.50]:25, delay=2, delays=0/0/1/1, dsn=2.0.0, status=sent (250 ok)"
	echo "Mar  3 10:00:01 mx9 postfix/qmgr[2]: 4QDONEAAAz1: removed"
	echo "Mar  3 10:05:02 mx9 postfix/smtp[4]: 4QCROSSAAz1: to=<cross@example.com>, relay=mx.example.com[192.0.2.50]:25, delay=2, delays=0/0/1/1, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.50] said: 550 5.1.1 No such user (in reply to RCPT TO command))"
}
cross3() {
	echo "Mar  3 10:09:00 mx9 postfix/smtp[4]: 4QDONEAAAz1: to=<after@example.com>, relay=mx.example.com[192.0.2.50]:25, delay=2, delays=0/0/1/1, dsn=5.1.1, status=bounced (host mx.example.com[192.0.2.50] said: 550 5.1.1 No such user (in reply to RCPT TO command))"
}
cross1 > cross.log
touch -d "$REF" cross.log
"$DSNIDX" index --quiet --db cross.db cross.log
cross2 >> cross.log
touch -d "$REF" cross.log
"$DSNIDX" index --quiet --db cross.db cross.log
cross3 >> cross.log
touch -d "$REF" cross.log
"$DSNIDX" index --quiet --db cross.db cross.log
"$DSNIDX" export --db cross.db --format jsonl > cross.jsonl
check "a delivery line gets the sender and Message-ID a line of an earlier run named" \
	"$(grep cross@example.com cross.jsonl | rsm /dev/stdin)" "cross@example.com,cross-sender@example.org,cross@example.org"
check "a queue id removed in an earlier run is not remembered" "$(grep after@ cross.jsonl | rsm /dev/stdin)" \
	"after@example.com,,"
"$DSNIDX" parse --format jsonl cross.log > crossp.jsonl
check "three runs give what one run over the whole log gives" "$(rsm crossp.jsonl)" "$(rsm cross.jsonl)"

# ---- rotation: maillog renamed maillog.1, a new maillog begun -------------------------------
mkdir rotd
head -n 10 logs/postfix-maillog > rotd/maillog
"$DSNIDX" index --db rotd.db --quiet rotd
sed -n '11,14p' logs/postfix-maillog >> rotd/maillog   # written after the run, before the rotation
mv rotd/maillog rotd/maillog.1
tail -n +15 logs/postfix-maillog > rotd/maillog
"$DSNIDX" index --db rotd.db --stats rotd > /dev/null 2> rot.err
has "the renamed file is known by its inode and read from where it stopped" rot.err "1 files resumed"
"$DSNIDX" report --db rotd.db --by domain --rates --format csv > rr.csv
"$DSNIDX" report --db fin.db --by domain --rates --format csv > rf.csv
same "across the rotation, every delivery counted once and the same outcomes" rf.csv rr.csv
"$DSNIDX" index --db rotd.db --stats rotd > /dev/null 2> rot2.err
has "a rerun reads neither again" rot2.err "2 files unchanged"
"$DSNIDX" report --db rotd.db --by domain --rates --format csv > rr2.csv
same "and counts nothing again" rf.csv rr2.csv

# ---- compressed copies: maillog.1 becomes maillog.2.gz (delaycompress) ------------------------
mkdir rotz
head -n 10 logs/postfix-maillog > rotz/maillog
"$DSNIDX" index --db rotz.db --quiet rotz
mv rotz/maillog rotz/maillog.1
sed -n '11,16p' logs/postfix-maillog > rotz/maillog
"$DSNIDX" index --db rotz.db --quiet rotz
gzip -c rotz/maillog.1 > rotz/maillog.2.gz
rm rotz/maillog.1
mv rotz/maillog rotz/maillog.1
tail -n +17 logs/postfix-maillog > rotz/maillog
"$DSNIDX" index --db rotz.db --stats rotz > /dev/null 2> rotz.err
has "the compressed copy is known by its content and skipped to its end" rotz.err "2 files resumed"
"$DSNIDX" report --db rotz.db --by domain --rates --format csv > rz.csv
same "after two rotations and a compression, every delivery counted once" rf.csv rz.csv
"$DSNIDX" index --db rotz.db --stats rotz > /dev/null 2> rotz2.err
has "a rerun reads none of the three" rotz2.err "3 files unchanged"

# A copy under another name (cp maillog old/) is known by its first bytes.
mkdir cpy
cp rotd/maillog cpy/maillog-copy
"$DSNIDX" index --db rotd.db --stats cpy > /dev/null 2> cpy.err
has "a copy of a log read before is read from where that one stopped" cpy.err "1 files resumed"
"$DSNIDX" report --db rotd.db --by domain --rates --format csv > rr3.csv
same "and counts no delivery twice" rf.csv rr3.csv

# A compressed log whose last line has no line end: it is whole (nothing
# is appended to a compressed file).
printf '%s\n%s' "$(sed -n 6p logs/postfix-maillog)" "$(sed -n 7p logs/postfix-maillog)" | gzip > cut.log.gz
"$DSNIDX" index --db cut.db --stats cut.log.gz > /dev/null 2> cut.err
has "its last line is read" cut.err "1 records (1 new"

# ---- a compressed log, killed mid-way and run again: nothing counted twice -------------------
cc -O2 -std=c17 -D_DEFAULT_SOURCE -o genmaillog "$top/scripts/genmaillog.c" || exit 1
./genmaillog -l 600000 -r 5 | gzip -1 > big.log.gz
t0=$(date +%s%N)
"$DSNIDX" index --db bigref.db --quiet --threads 1 --commit-every 500 big.log.gz
t1=$(date +%s%N)
run_ms=$(( (t1 - t0) / 1000000 ))
"$DSNIDX" report --db bigref.db --by domain,hour --rates --format csv > bigref.csv
kills=0 resumed=0
for pct in 20 45 70; do
	t=$(awk -v ms=$run_ms -v p=$pct 'BEGIN { printf "%.3f", ms * p / 100000 }')
	rm -f bigk.db bigk.db-wal bigk.db-shm bigk.db.lock
	"$DSNIDX" index --db bigk.db --quiet --threads 1 --commit-every 500 big.log.gz &
	pid=$!
	sleep "$t"
	killed=0
	kill -9 $pid 2> /dev/null && killed=1 && kills=$((kills + 1))
	wait $pid 2> /dev/null
	"$DSNIDX" index --db bigk.db --stats --threads 1 big.log.gz > /dev/null 2> bigk.err
	[ $killed = 1 ] && grep -q "1 files resumed" bigk.err && resumed=$((resumed + 1))
	"$DSNIDX" report --db bigk.db --by domain,hour --rates --format csv > bigk.csv
	same "killed after ${t}s and run again: every delivery and failure counted once" bigref.csv bigk.csv
done
[ $kills -ge 2 ] && ok "at least 2 runs were killed mid-way ($kills; a whole run takes $run_ms ms)" ||
	not_ok "at least 2 runs were killed mid-way" "only $kills (a whole run takes $run_ms ms)"
# (On a machine whose speed wanders, a run may be killed before its first
# commit, or end before the kill: then nothing is resumed, rightly.)
[ $resumed -ge 1 ] && ok "a run after a killed one went on from where it stopped ($resumed of $kills)" ||
	not_ok "a run after a killed one went on from where it stopped" "none of the $kills did"

# SIGTERM (as Ctrl-C's SIGINT) stops a run between two batches: what was
# read is indexed, the run says so and exits 128 + 15, and the next run
# goes on from there to the same counts as a run never stopped. (A signal
# after the last batch stops nothing: the run is whole.)
# stop_midway OUT ERR PREP CMD...: CMD run once (after eval PREP) to time
# it, then again (after PREP) with its output to OUT and ERR, and sent
# SIGTERM at 40% of that time; sets st (its exit status) and t.
stop_midway() {
	out=$1 err=$2 prep=$3
	shift 3
	eval "$prep"
	t0=$(date +%s%N)
	"$@" > /dev/null 2>&1
	t1=$(date +%s%N)
	t=$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.3f", ns * 40 / 100 / 1e9 }')
	eval "$prep"
	"$@" > "$out" 2> "$err" &
	pid=$!
	sleep "$t"
	kill -TERM $pid 2> /dev/null
	wait $pid
	st=$?
}
stop_midway /dev/null bigt1.err "rm -f bigt.db bigt.db-wal bigt.db-shm bigt.db.lock" \
	"$DSNIDX" index --db bigt.db --threads 1 big.log.gz
if [ $st -eq 143 ]; then
	ok "a run stopped by SIGTERM exits 143"
	has "and says what it kept" bigt1.err "interrupted: the index holds what was read up to here"
	n1=$("$DSNIDX" export --db bigt.db --attempts --format csv | tail -n +2 | wc -l)
	[ "$n1" -gt 0 ] && ok "what it read is indexed ($n1 records)" || not_ok "what it read is indexed" "no records"
	check "the index is whole" "$("$DSNIDX" check --db bigt.db 2>&1)" "bigt.db: ok"
	"$DSNIDX" index --db bigt.db --stats --threads 1 big.log.gz > /dev/null 2> bigt2.err
	"$DSNIDX" report --db bigt.db --by domain,hour --rates --format csv > bigt.csv
	same "run again, every delivery and failure is counted once" bigref.csv bigt.csv
	has "the next run went on from where it stopped" bigt2.err "1 files resumed"
else
	not_ok "a run stopped by SIGTERM exits 143" "exit status $st (signal after $t s); $(cat bigt1.err)"
fi
stop_midway bigp.csv bigp.err : "$DSNIDX" parse --threads 1 --format csv big.log.gz big.log.gz
if [ $st -eq 143 ]; then
	ok "parse stopped by SIGTERM exits 143"
	has "and says so" bigp.err "interrupted: the records of what was read up to here are printed"
	n=$(tail -n +2 bigp.csv | wc -l)
	last=$(tail -n 1 bigp.csv | tr -d '\r')
	case $last in
	*,postfix-log) ok "its output ends with a whole record ($n records)" ;;
	*) not_ok "its output ends with a whole record" "$last" ;;
	esac
else
	not_ok "parse stopped by SIGTERM exits 143" "exit status $st (signal after $t s); $(cat bigp.err)"
fi

# ---- many relays: each delivery counted by its relay's name ---------------------------------
# Many relays, some written in capitals or with a final dot: the index
# counts each delivery (a fact, whose texts the decoder makes on a path of
# their own) under the name a record of the same line shows.
awk 'BEGIN {
	for (i = 0; i < 6000; i++) {
		r = "mx" (i % 4) ".d" (i % 1000) ".example.net"
		if (i % 7 == 0) r = toupper(r)
		if (i % 11 == 0) r = r "."
		printf "Mar  1 10:%02d:%02d mx1 postfix/smtp[%d]: Q%07d: to=<u%d@d%d.example.net>, relay=%s[192.0.2.%d]:25, delay=1, dsn=2.0.0, status=sent (250 ok)\n", (i / 60) % 60, i % 60, 100 + i % 50, i, i, i % 2500, r, i % 250
	}
}' > relays.log
touch -d "$REF" relays.log
"$DSNIDX" index --db relays.db --quiet --threads 2 relays.log
"$DSNIDX" report --db relays.db --by remote_mta --rates --format csv | tr -d '\r' | tail -n +2 |
	awk -F, '{print $1 "," $2}' | sort > relays-index.txt
"$DSNIDX" parse --format jsonl --delivered relays.log | sed 's/.*"remote_mta":"\([^"]*\)".*/\1/' |
	sort | uniq -c | awk '{print $2 "," $1}' | sort > relays-parse.txt
check "6000 deliveries to 1000 relays in 2326 spellings are counted" "$(awk -F, '{n += $2} END {print n}' relays-index.txt)" 6000
same "each relay's count in the index is that of the records parse makes of the same lines" relays-parse.txt relays-index.txt
check "capitals and a final dot make no other relay" "$(wc -l < relays-index.txt | tr -d ' ')" 1000

# ---- deferrals settled across runs and within one ------------------------------------------
# A deferral is stored final only when its run ends unsettled: an expiry
# must find the deferrals stored by an earlier run and those of its own,
# and a delivery must settle a deferral stored by an earlier run.
cat > q1.log <<'LOG'
Mar  2 10:00:00 mx1 postfix/qmgr[9]: QAAA1: from=<app@example.org>, size=100, nrcpt=3 (queue active)
Mar  2 10:00:01 mx1 postfix/smtp[10]: QAAA1: to=<a@slow.example>, relay=mx.slow.example[192.0.2.1]:25, delay=1, dsn=4.4.1, status=deferred (connect to mx.slow.example[192.0.2.1]:25: Connection timed out)
Mar  2 10:00:01 mx1 postfix/smtp[10]: QAAA1: to=<b@slow.example>, relay=mx.slow.example[192.0.2.1]:25, delay=1, dsn=4.4.1, status=deferred (connect to mx.slow.example[192.0.2.1]:25: Connection timed out)
Mar  2 10:00:02 mx1 postfix/qmgr[9]: QBBB2: from=<app@example.org>, size=100, nrcpt=1 (queue active)
Mar  2 10:00:03 mx1 postfix/smtp[10]: QBBB2: to=<d@late.example>, relay=mx.late.example[192.0.2.2]:25, delay=1, dsn=4.2.0, status=deferred (host mx.late.example[192.0.2.2] said: 450 4.2.0 Try again later (in reply to RCPT TO command))
LOG
cat > q2.log <<'LOG'
Mar  2 11:00:01 mx1 postfix/smtp[10]: QAAA1: to=<c@slow.example>, relay=mx.slow.example[192.0.2.1]:25, delay=3600, dsn=4.4.1, status=deferred (connect to mx.slow.example[192.0.2.1]:25: Connection timed out)
Mar  2 11:00:02 mx1 postfix/smtp[10]: QBBB2: to=<d@late.example>, relay=mx.late.example[192.0.2.2]:25, delay=3600, dsn=2.0.0, status=sent (250 2.0.0 Ok)
Mar  7 10:00:05 mx1 postfix/qmgr[9]: QAAA1: from=<app@example.org>, status=expired, returned to sender
LOG
touch -d "$REF" q1.log q2.log
"$DSNIDX" index --db q.db --quiet q1.log
"$DSNIDX" export --db q.db --format csv --columns recipient,action,reason | tr -d '\r' | tail -n +2 | sort > q1.csv
check "after the first run, its three deferrals are final" "$(tr '\n' ' ' < q1.csv)" \
	"a@slow.example,delayed,expired b@slow.example,delayed,expired d@late.example,delayed,expired "
cat q2.log >> q1.log
touch -d "$REF" q1.log
"$DSNIDX" index --db q.db --quiet q1.log
"$DSNIDX" export --db q.db --format csv --columns recipient,action,reason | tr -d '\r' | tail -n +2 | sort > q2.csv
check "the expiry fails the deferrals of both runs, and the delivery settles d" "$(tr '\n' ' ' < q2.csv)" \
	"a@slow.example,failed,expired b@slow.example,failed,expired c@slow.example,failed,expired "
"$DSNIDX" export --db q.db --format csv --attempts --columns recipient,action | tr -d '\r' | tail -n +2 | sort |
	uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ' > q2a.txt
check "every attempt is kept" "$(cat q2a.txt)" \
	"a@slow.example,delayedx1 a@slow.example,failedx1 b@slow.example,delayedx1 b@slow.example,failedx1 c@slow.example,delayedx1 c@slow.example,failedx1 d@late.example,delayedx1 "
"$DSNIDX" index --db q1.db --quiet q1.log
"$DSNIDX" export --db q1.db --format csv --attempts --columns recipient,action | tr -d '\r' | tail -n +2 | sort |
	uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ' > q1a.txt
same "read in one run, the same records" q2a.txt q1a.txt
check "and the index is consistent" "$("$DSNIDX" check --db q.db 2>&1)" "q.db: ok"

# A recipient that failed, then was deferred again in the same queue id
# (a later attempt by another route), then the queue id expired: the
# expiry finds the deferral, which came after a record that was no
# deferral, in the same run.
cat > qx.log <<'LOG'
Mar  3 10:00:00 mx1 postfix/smtp[10]: QXXX9: to=<e@twice.example>, relay=mx.twice.example[192.0.2.3]:25, delay=1, dsn=5.7.1, status=bounced (host mx.twice.example[192.0.2.3] said: 550 5.7.1 Service unavailable (in reply to RCPT TO command))
Mar  3 10:05:00 mx1 postfix/smtp[10]: QXXX9: to=<e@twice.example>, relay=none, delay=300, dsn=4.4.1, status=deferred (connect to mx2.twice.example[192.0.2.4]:25: Connection timed out)
Mar  8 10:05:01 mx1 postfix/qmgr[9]: QXXX9: from=<app@example.org>, status=expired, returned to sender
LOG
touch -d "$REF" qx.log
"$DSNIDX" index --db qx.db --quiet qx.log
check "failed, deferred, expired: the expiry settles the deferral" \
	"$("$DSNIDX" export --db qx.db --format csv --columns action,reason | tr -d '\r' | tail -n +2 | tr '\n' ' ')" \
	"failed,expired "

echo "logs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
