/* test_maillog.c: lines of Postfix, Exim and Sendmail logs
 * (core/maillog.h), in each timestamp form, and lines that are not. */
#include "helpers.h"

#include "envelope.h"
#include "hash.h"
#include "logdecode.h"
#include "maillog.h"

static dx_logline parse(const char *s)
{
	dx_logline l;
	dx_logline_parse(s, strlen(s), &l);
	return l;
}

#define assert_span(sp, want)                                                               \
	do {                                                                                \
		dx_logspan s_ = (sp);                                                          \
		const char *w_ = (want);                                                    \
		if (s_.n != strlen(w_) || (s_.n && memcmp(s_.p, w_, s_.n) != 0))           \
			fail_msg("expected '%s', got '%.*s'", w_, (int)s_.n, s_.p ? s_.p : ""); \
	} while (0)

static void test_postfix_bounced(void **state)
{
	(void)state;
	dx_logline l = parse("Nov 27 10:00:01 mx1 postfix/smtp[1234]: 4ABCD1234F: to=<user@example.com>, "
			     "relay=mx.example.com[192.0.2.1]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, "
			     "status=bounced (host mx.example.com[192.0.2.1] said: 550 5.1.1 <user@example.com>: "
			     "Recipient address rejected: User unknown (in reply to RCPT TO command))");
	assert_int_equal(l.family, DX_LOGF_POSTFIX);
	assert_int_equal(l.kind, DX_LOGL_DELIVERY);
	assert_int_equal(l.outcome, DX_LOGO_BOUNCED);
	assert_int_equal(l.year, 0);
	assert_int_equal(l.mon, 11);
	assert_int_equal(l.mday, 27);
	assert_int_equal(l.hour, 10);
	assert_int_equal(l.sec, 1);
	assert_false(l.zone_known);
	assert_span(l.host, "mx1");
	assert_span(l.program, "postfix/smtp");
	assert_span(l.queue_id, "4ABCD1234F");
	assert_span(l.rcpts, "user@example.com");
	assert_span(l.relay, "mx.example.com[192.0.2.1]:25");
	assert_span(dx_logline_relay_host(&l), "mx.example.com");
	assert_span(l.dsn, "5.1.1");
	assert_span(l.text, "host mx.example.com[192.0.2.1] said: 550 5.1.1 <user@example.com>: "
			    "Recipient address rejected: User unknown (in reply to RCPT TO command)");
}

static void test_postfix_other_services(void **state)
{
	(void)state;
	/* Deferred, a one-digit day, an instance name, a long queue id. */
	dx_logline l = parse("Nov  7 23:59:59 mx1 postfix-out/smtp[77]: 4Yx2Kq0Yh5z9sTb: to=<a@example.net>, "
			     "relay=none, delay=30, delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to "
			     "mx.example.net[198.51.100.7]:25: Connection timed out)");
	assert_int_equal(l.outcome, DX_LOGO_DEFERRED);
	assert_int_equal(l.mday, 7);
	assert_span(l.program, "postfix-out/smtp");
	assert_span(l.queue_id, "4Yx2Kq0Yh5z9sTb");
	assert_span(dx_logline_relay_host(&l), "none");
	assert_span(l.text, "connect to mx.example.net[198.51.100.7]:25: Connection timed out");

	/* local, with orig_to, and a text with commas and parentheses. */
	l = parse("Nov 27 10:00:01 mx1 postfix/local[88]: 5B00: to=<bob@mx1.example.org>, "
		  "orig_to=<bob@example.org>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=5.2.2, "
		  "status=bounced (cannot update mailbox /var/mail/bob for user bob. error writing message: "
		  "File too large (quota, 50 MB))");
	assert_int_equal(l.outcome, DX_LOGO_BOUNCED);
	assert_span(l.rcpts, "bob@mx1.example.org");
	assert_span(l.orig_rcpt, "bob@example.org");
	assert_span(l.relay, "local");
	assert_span(l.text, "cannot update mailbox /var/mail/bob for user bob. error writing message: "
			    "File too large (quota, 50 MB)");

	/* sent */
	l = parse("Nov 27 10:00:02 mx1 postfix/smtp[12]: 6C00: to=<c@example.com>, relay=mx[192.0.2.9]:25, "
		  "delay=0.5, delays=0/0/0.2/0.3, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 7D00)");
	assert_int_equal(l.kind, DX_LOGL_DELIVERY);
	assert_int_equal(l.outcome, DX_LOGO_SENT);
	assert_span(l.text, "250 2.0.0 Ok: queued as 7D00");

	/* Address verification probes are no deliveries. */
	l = parse("Nov 27 10:00:02 mx1 postfix/smtp[12]: 6C00: to=<c@example.com>, relay=mx[192.0.2.9]:25, "
		  "delay=0.5, dsn=2.1.5, status=deliverable (250 2.1.5 Ok)");
	assert_int_equal(l.kind, DX_LOGL_OTHER);
}

static void test_postfix_queue_lines(void **state)
{
	(void)state;
	dx_logline l = parse("Nov 27 10:00:00 mx1 postfix/qmgr[99]: 4ABCD: from=<s@example.org>, size=1234, "
			     "nrcpt=2 (queue active)");
	assert_int_equal(l.kind, DX_LOGL_SENDER);
	assert_span(l.sender, "s@example.org");
	l = parse("Dec  2 10:00:00 mx1 postfix/qmgr[99]: 4ABCD: from=<s@example.org>, status=expired, "
		  "returned to sender");
	assert_int_equal(l.kind, DX_LOGL_EXPIRED);
	assert_span(l.queue_id, "4ABCD");
	/* Without a count of recipients (or with an empty one) the queue
	 * manager has not taken the message: no sender to keep. */
	l = parse("Nov 27 10:00:00 mx1 postfix/qmgr[99]: 4ABCD: from=<s@example.org>, size=1234");
	assert_int_equal(l.kind, DX_LOGL_OTHER);
	l = parse("Nov 27 10:00:00 mx1 postfix/qmgr[99]: 4ABCD: from=<s@example.org>, nrcpt=, size=1");
	assert_int_equal(l.kind, DX_LOGL_OTHER);
	l = parse("Nov 27 10:00:00 mx1 postfix/cleanup[98]: 4ABCD: message-id=<abc@example.org>");
	assert_int_equal(l.kind, DX_LOGL_MESSAGE_ID);
	assert_span(l.message_id, "<abc@example.org>");
	/* An inbound refusal by smtpd is not a delivery of ours. */
	l = parse("Nov 27 10:00:00 mx1 postfix/smtpd[97]: NOQUEUE: reject: RCPT from x[192.0.2.3]: 550 5.1.1 "
		  "<u@example.org>: Recipient address rejected; from=<a@b> to=<u@example.org> proto=ESMTP");
	assert_int_equal(l.kind, DX_LOGL_OTHER);
	assert_int_equal(l.family, DX_LOGF_POSTFIX);
}

static void test_timestamp_forms(void **state)
{
	(void)state;
	/* rsyslog's high-precision ISO 8601. */
	dx_logline l = parse("2026-11-27T10:00:01.123456+01:00 mx1 postfix/smtp[1]: 4A: to=<u@x.example>, "
			     "relay=none, delay=1, dsn=4.4.1, status=deferred (no route)");
	assert_int_equal(l.outcome, DX_LOGO_DEFERRED);
	assert_int_equal(l.year, 2026);
	assert_true(l.zone_known);
	assert_int_equal(l.zone, 60);
	assert_span(l.host, "mx1");
	l = parse("2026-11-27T10:00:01Z mx1 postfix/smtp[1]: 4A: to=<u@x.example>, relay=none, dsn=4.4.1, "
		  "status=deferred (no route)");
	assert_true(l.zone_known);
	assert_int_equal(l.zone, 0);
	l = parse("2026-11-27T10:00:01-05:30 mx1 postfix/smtp[1]: 4A: to=<u@x.example>, relay=none, dsn=4.4.1, "
		  "status=deferred (no route)");
	assert_int_equal(l.zone, -330);

	/* RFC 5424, with and without structured data. */
	l = parse("<22>1 2026-11-27T10:00:01.5Z mx1 postfix/smtp 1234 - - 4A: to=<u@x.example>, relay=none, "
		  "dsn=5.1.1, status=bounced (unknown)");
	assert_int_equal(l.kind, DX_LOGL_DELIVERY);
	assert_span(l.host, "mx1");
	assert_span(l.program, "postfix/smtp");
	assert_span(l.text, "unknown");
	l = parse("<22>1 2026-11-27T10:00:01Z mx1 sm-mta 42 - [meta sequenceId=\"7\" x=\"a\\]b\"] 2ARA01: "
		  "to=<u@x.example>, delay=00:00:01, mailer=esmtp, dsn=5.1.1, stat=User unknown");
	assert_int_equal(l.family, DX_LOGF_SENDMAIL);
	assert_int_equal(l.outcome, DX_LOGO_BOUNCED);
	assert_span(l.text, "User unknown");

	/* Not logs: a header field, a bad month, a bad clock, empty. */
	assert_int_equal(parse("Received: from x by y; Thu, 27 Nov 2026").timed, 0);
	assert_int_equal(parse("Nox 27 10:00:01 mx1 postfix/smtp[1]: 4A: to=<u@x>").timed, 0);
	assert_int_equal(parse("Nov 27 10:0:01 mx1 postfix/smtp[1]: 4A: to=<u@x>").timed, 0);
	assert_int_equal(parse("Nov 32 10:00:01 mx1 postfix/smtp[1]: x").timed, 0);
	assert_int_equal(parse("").timed, 0);
	/* A timestamped line of another program. */
	l = parse("Nov 27 10:00:01 mx1 sshd[5]: Accepted publickey for root");
	assert_int_equal(l.timed, 1);
	assert_int_equal(l.family, DX_LOGF_NONE);
	assert_int_equal(l.kind, DX_LOGL_OTHER);
}

/* The syslog header as a byte-at-a-time reader takes it: the reference
 * for the parser's word-at-a-time scans (clock, host, program). Classic
 * lines only ("Mmm dd hh:mm:ss host program[pid]: "); 1 when the header
 * is whole, with its parts. */
typedef struct ref_header {
	int hour, min, sec;
	size_t host_at, host_n, prog_at, prog_n;
} ref_header;

static int ref_parse(const char *p, size_t n, ref_header *h)
{
	/* "Nov 27 " is fixed in the generated lines: the clock is at 7. */
	size_t i = 7;
	if (n < i + 8)
		return 0;
	for (int k = 0; k < 8; k++) {
		char c = p[i + k];
		if (k == 2 || k == 5 ? c != ':' : (c < '0' || c > '9'))
			return 0;
	}
	h->hour = (p[i] - '0') * 10 + p[i + 1] - '0';
	h->min = (p[i + 3] - '0') * 10 + p[i + 4] - '0';
	h->sec = (p[i + 6] - '0') * 10 + p[i + 7] - '0';
	if (h->hour > 23 || h->min > 59 || h->sec > 60)
		return 0;
	i += 8;
	if (i >= n || p[i] != ' ')
		return 0;
	i++;
	size_t s = i;
	while (i < n && p[i] != ' ')
		i++;
	if (i == s || i == n)
		return 0;
	h->host_at = s;
	h->host_n = i - s;
	s = ++i;
	while (i < n && p[i] != '[' && p[i] != ':' && p[i] != ' ')
		i++;
	if (i == s || i == n)
		return 0;
	h->prog_at = s;
	h->prog_n = i - s;
	if (p[i] == '[') {
		while (i < n && p[i] != ']')
			i++;
		if (i == n)
			return 0;
		i++;
	}
	return i < n && p[i] == ':';
}

static void test_header_scans(void **state)
{
	(void)state;
	/* Lines made of the bytes the scans look for, and bytes one off
	 * them, at every length and place, truncated anywhere: the parser
	 * reads 8 bytes at a time where it can, and must agree with the
	 * byte-at-a-time reference, and never read past the line (ASan). */
	static const char alphabet[] = "0919:;/ []\\Zam\x80\xff";
	uint64_t rng = 0x5eed;
	char buf[96];
	unsigned agreed_whole = 0;
	for (int iter = 0; iter < 200000; iter++) {
		/* A well-formed header of random lengths, then some of its
		 * bytes replaced by the alphabet's. */
		char good[96];
		size_t g = 0;
		memcpy(good, "Nov 27 10:59:07 ", 16);
		g = 16;
		for (size_t k = 1 + xorshift64(&rng) % 12; k; k--)
			good[g++] = "ab.-x1"[xorshift64(&rng) % 6];
		good[g++] = ' ';
		for (size_t k = 1 + xorshift64(&rng) % 20; k; k--)
			good[g++] = "postfix/smtpd"[xorshift64(&rng) % 13];
		if (xorshift64(&rng) % 2) {
			memcpy(good + g, "[4213]", 6);
			g += 6;
		}
		memcpy(good + g, ": to=<a@b>", 10);
		g += 10;
		memcpy(buf, good, g);
		size_t n = g;
		unsigned rate = 4 + (unsigned)(xorshift64(&rng) % 60);
		for (size_t k = 7; k < n; k++)
			if (xorshift64(&rng) % rate == 0)
				buf[k] = alphabet[xorshift64(&rng) % (sizeof alphabet - 1)];
		/* Every truncation, each in a buffer of its own size. */
		for (size_t cut = 7; cut <= n; cut++) {
			char *line = malloc(cut ? cut : 1);
			assert_non_null(line);
			memcpy(line, buf, cut);
			dx_logline l;
			dx_logline_parse(line, cut, &l);
			ref_header h;
			int whole = ref_parse(line, cut, &h);
			assert_int_equal(l.timed, whole);
			if (whole) {
				agreed_whole++;
				assert_int_equal(l.hour, h.hour);
				assert_int_equal(l.min, h.min);
				assert_int_equal(l.sec, h.sec);
				assert_true(l.host.p == line + h.host_at && l.host.n == h.host_n);
				assert_true(l.program.p == line + h.prog_at && l.program.n == h.prog_n);
			}
			free(line);
		}
	}
	/* Not only refusals: many lines have a whole header. */
	assert_true(agreed_whole > 10000);
}

static void test_exim(void **state)
{
	(void)state;
	dx_logline l = parse("2026-11-27 10:00:02 1tGxyz-000ABC-12 ** user@example.com R=dnslookup T=remote_smtp "
			     "H=mx.example.com [192.0.2.1] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes "
			     "DN=\"CN=mx.example.com: x\": SMTP error from remote mail server after RCPT "
			     "TO:<user@example.com>: 550 5.1.1 User unknown");
	assert_int_equal(l.family, DX_LOGF_EXIM);
	assert_int_equal(l.kind, DX_LOGL_DELIVERY);
	assert_int_equal(l.outcome, DX_LOGO_BOUNCED);
	assert_int_equal(l.year, 2026);
	assert_int_equal(l.host.n, 0);
	assert_span(l.queue_id, "1tGxyz-000ABC-12");
	assert_span(l.rcpts, "user@example.com");
	assert_span(dx_logline_relay_host(&l), "mx.example.com");
	assert_span(l.text, "SMTP error from remote mail server after RCPT TO:<user@example.com>: 550 5.1.1 User "
			    "unknown");

	/* Deferred, with a pid, a zone and the 4.97 id form. */
	l = parse("2026-11-27 10:00:02.123 +0100 [4321] 1tGxyz-00000000ABC-1234 == a@example.net "
		  "R=dnslookup T=remote_smtp defer (-45) H=mx.example.net [198.51.100.1]: SMTP error from remote "
		  "mail server after RCPT TO:<a@example.net>: 451 4.7.1 Greylisted");
	assert_int_equal(l.outcome, DX_LOGO_DEFERRED);
	assert_true(l.zone_known);
	assert_int_equal(l.zone, 60);
	assert_span(l.queue_id, "1tGxyz-00000000ABC-1234");
	assert_span(l.text, "SMTP error from remote mail server after RCPT TO:<a@example.net>: 451 4.7.1 "
			    "Greylisted");

	/* An address right before its text, and a parent address. */
	l = parse("2026-11-27 10:00:03 1tGxyz-000ABC-12 ** nobody@example.org: Unrouteable address");
	assert_span(l.rcpts, "nobody@example.org");
	assert_span(l.text, "Unrouteable address");
	l = parse("2026-11-27 10:00:03 1tGxyz-000ABC-12 ** box@local.example <alias@example.org> R=local "
		  "T=local_delivery: mailbox is full");
	assert_span(l.rcpts, "box@local.example");
	assert_span(l.orig_rcpt, "alias@example.org");
	assert_span(l.text, "mailbox is full");
	/* A local delivery names the local part, then the whole address. */
	l = parse("2026-11-27 10:00:03 1tGxyz-000ABC-12 == bob <bob@shop.example> R=local_user "
		  "T=maildir_home defer (-22): mailbox is full");
	assert_span(l.rcpts, "bob@shop.example");
	assert_int_equal(l.orig_rcpt.n, 0);
	assert_span(l.text, "mailbox is full");

	/* Delivered, with its server's answer; the sender line. */
	l = parse("2026-11-27 10:00:04 1tGxyz-000ABC-12 => ok@example.com R=dnslookup T=remote_smtp "
		  "H=mx.example.com [192.0.2.1] C=\"250 2.0.0 OK id=1tGabc\"");
	assert_int_equal(l.outcome, DX_LOGO_SENT);
	assert_span(l.text, "250 2.0.0 OK id=1tGabc");
	l = parse("2026-11-27 10:00:00 1tGxyz-000ABC-12 <= s@example.org H=client [192.0.2.5] P=esmtp S=1234 "
		  "id=abc@example.org");
	assert_int_equal(l.kind, DX_LOGL_SENDER);
	assert_span(l.sender, "s@example.org");
	assert_span(l.message_id, "abc@example.org");

	/* Through syslog, with and without Exim's own time. */
	l = parse("Nov 27 10:00:02 mx2 exim[77]: 2026-11-27 10:00:02 1tGxyz-000ABC-12 ** u@example.com: "
		  "Unrouteable address");
	assert_int_equal(l.outcome, DX_LOGO_BOUNCED);
	assert_span(l.host, "mx2");
	l = parse("Nov 27 10:00:02 mx2 exim4[77]: 1tGxyz-000ABC-12 == u@example.com routing defer (-51): retry "
		  "time not reached");
	assert_int_equal(l.outcome, DX_LOGO_DEFERRED);
	assert_span(l.text, "retry time not reached");

	/* A Postfix delivery line that ends in ", " (found by fuzzing: the
	 * key after it was read past the line). */
	l = parse("Nov 27 10:00:01 mx1 postfix/smtp[9]: 4P2QmR0vxXz9s: to=<a@b.example>, ");
	assert_int_equal(l.kind, DX_LOGL_OTHER);
	assert_span(l.queue_id, "4P2QmR0vxXz9s");

	/* An address ending in ':' at the end of the line: no text (found by
	 * fuzzing: the text's length was computed below zero). */
	l = parse("2026-11-27 10:00:02 1tGq2X-003Ab7-5K == someone@example.jp:");
	assert_int_equal(l.kind, DX_LOGL_DELIVERY);
	assert_span(l.rcpts, "someone@example.jp");
	assert_int_equal(l.text.n, 0);

	/* The end of a message; Exim notes that are not deliveries, and not
	 * Exim at all. */
	assert_int_equal(parse("2026-11-27 10:00:05 1tGxyz-000ABC-12 Completed").kind, DX_LOGL_REMOVED);
	assert_int_equal(parse("2026-11-27 10:00:05 1tGxyz-000ABC-12 Completed QT=2s").kind, DX_LOGL_REMOVED);
	assert_int_equal(parse("2026-11-27 10:00:05 1tGxyz-000ABC-12 Completedness").kind, DX_LOGL_OTHER);
	assert_int_equal(parse("Nov 27 10:00:05 mx1 postfix/qmgr[9]: 4P2QmR0vxXz9s: removed").kind, DX_LOGL_REMOVED);
	assert_int_equal(parse("Nov 27 10:00:05 mx1 postfix/qmgr[9]: 4P2QmR0vxXz9s: removed twice").kind,
			 DX_LOGL_OTHER);
	assert_int_equal(parse("2026-11-27 10:00:05 1tGxyz-000ABC-12 => x@y.example R=r T=t").kind, DX_LOGL_DELIVERY);
	assert_int_equal(parse("2026-11-27 10:00:05 exim 4.96 daemon started: pid=1").family, DX_LOGF_NONE);
	assert_int_equal(parse("2026-11-27 10:00:05 1tGxyz-000AB-12 ** a@b: x").kind, DX_LOGL_OTHER);
}

static void test_sendmail(void **state)
{
	(void)state;
	dx_logline l = parse("Nov 27 10:00:01 mx3 sendmail[1234]: 2ARA01x1001234: to=<user@example.com>, "
			     "delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=120000, relay=mx.example.com. "
			     "[192.0.2.1], dsn=5.1.1, stat=User unknown");
	assert_int_equal(l.family, DX_LOGF_SENDMAIL);
	assert_int_equal(l.outcome, DX_LOGO_BOUNCED);
	assert_span(l.queue_id, "2ARA01x1001234");
	assert_span(l.relay, "mx.example.com. [192.0.2.1]");
	assert_span(dx_logline_relay_host(&l), "mx.example.com");
	assert_span(l.dsn, "5.1.1");
	assert_span(l.text, "User unknown");

	/* Several recipients, a ctladdr with a comma-space inside, a stat
	 * with commas. */
	l = parse("Nov 27 10:00:01 mx3 sm-mta[1]: 2ARA02: to=<a@example.com>,b@example.net, ctladdr=<s@x> "
		  "(1000/1000), delay=00:05:00, mailer=esmtp, relay=mx.example.com., dsn=4.0.0, "
		  "stat=Deferred: 451 4.3.0 Temporary failure, try again");
	assert_int_equal(l.outcome, DX_LOGO_DEFERRED);
	assert_span(l.text, "Deferred: 451 4.3.0 Temporary failure, try again");
	size_t pos = 0;
	dx_logspan a;
	assert_int_equal(dx_logline_rcpt(&l, &pos, &a), 1);
	assert_span(a, "a@example.com");
	assert_int_equal(dx_logline_rcpt(&l, &pos, &a), 1);
	assert_span(a, "b@example.net");
	assert_int_equal(dx_logline_rcpt(&l, &pos, &a), 0);

	l = parse("Nov 27 10:00:01 mx3 sendmail[1]: 2ARA03: to=<ok@example.com>, delay=00:00:01, mailer=esmtp, "
		  "relay=mx.example.com. [192.0.2.1], dsn=2.0.0, stat=Sent (OK id=123)");
	assert_int_equal(l.outcome, DX_LOGO_SENT);
	l = parse("Nov 27 10:00:01 mx3 sendmail[1]: 2ARA04: to=<q@example.com>, delay=00:00:00, mailer=esmtp, "
		  "stat=queued");
	assert_int_equal(l.kind, DX_LOGL_OTHER);
	l = parse("Nov 27 10:00:00 mx3 sendmail[1]: 2ARA01x1001234: from=<s@example.org>, size=1234, class=0, "
		  "nrcpts=1, msgid=<m1@example.org>, proto=ESMTP, daemon=MTA, relay=client [192.0.2.5]");
	assert_int_equal(l.kind, DX_LOGL_SENDER);
	assert_span(l.sender, "s@example.org");
	assert_span(l.message_id, "<m1@example.org>");
}

static void test_rcpt_single(void **state)
{
	(void)state;
	/* A Postfix address with a quoted local part holding a comma is one. */
	dx_logline l = parse("Nov 27 10:00:01 mx1 postfix/smtp[1]: 4A: to=<\"a,b\"@example.com>, relay=none, "
			     "dsn=5.1.1, status=bounced (x)");
	size_t pos = 0;
	dx_logspan a;
	assert_int_equal(dx_logline_rcpt(&l, &pos, &a), 1);
	assert_span(a, "\"a,b\"@example.com");
	assert_int_equal(dx_logline_rcpt(&l, &pos, &a), 0);
}

/* The queue key names (logging host, queue id): the host's case does not
 * matter, anything else does; every key is non-zero. */
/* dx_hash64 as first written, a byte at a time, for comparison. */
static uint64_t hash64_bytewise(const void *data, size_t n, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ull);
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w = 0;
		for (int i = 0; i < 8; i++)
			w |= (uint64_t)p[i] << (8 * i);
		w *= 0x87C37B91114253D5ull;
		w = (w << 31 | w >> 33) * 0x4CF5AD432745937Full;
		h ^= w;
		h = (h << 27 | h >> 37) * 5 + 0x52DCE729;
	}
	uint64_t w = 0;
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	w *= 0x87C37B91114253D5ull;
	w = (w << 31 | w >> 33) * 0x4CF5AD432745937Full;
	h ^= w;
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDull;
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ull;
	h ^= h >> 33;
	return h;
}

static void test_queue_key(void **state)
{
	(void)state;
	dx_logline a = parse("Nov 27 10:00:05 mx1 postfix/qmgr[9]: 4P2QmR0vxXz9s: removed");
	dx_logline b = parse("Nov 27 11:00:05 MX1 postfix/smtp[9]: 4P2QmR0vxXz9s: to=<a@b.example>, relay=none, "
			     "delay=1, dsn=4.4.1, status=deferred (connect to b.example: Connection refused)");
	dx_logline c = parse("Nov 27 10:00:05 mx2 postfix/qmgr[9]: 4P2QmR0vxXz9s: removed");
	dx_logline d = parse("Nov 27 10:00:05 mx1 postfix/qmgr[9]: 4P2QmR0vxXz9t: removed");
	dx_logline none = parse("Nov 27 10:00:05 mx1 postfix/smtpd[9]: connect from x[192.0.2.1]");
	uint64_t ka = dx_logline_queue_key(&a);
	assert_true(ka != 0);
	assert_true(ka == dx_logline_queue_key(&b));
	assert_true(ka != dx_logline_queue_key(&c));
	assert_true(ka != dx_logline_queue_key(&d));
	assert_true(dx_logline_queue_key(&none) == 0);
	/* The host and the queue id are kept apart: "mx1"+"0A" is not
	 * "mx10"+"A". */
	dx_logline e = parse("Nov 27 10:00:05 mx1 postfix/qmgr[9]: 0A: removed");
	dx_logline f = parse("Nov 27 10:00:05 mx10 postfix/qmgr[9]: A: removed");
	assert_true(dx_logline_queue_key(&e) != dx_logline_queue_key(&f));
	/* dx_hash64's values are kept in indexes (queue and delivery keys):
	 * they never change. Its last bytes are read in one word when the
	 * text is long enough: the same value as byte by byte, at every
	 * length and alignment. */
	static const char line[] = "postfix/smtp[1234]: 4Bk2xQ1234: to=<ann@example.com>";
	assert_true(dx_hash64(line, 0, 7) == 0x740729cbe468d1ddull);
	assert_true(dx_hash64(line, 6, 7) == 0x853e6cb3b24ff232ull);
	assert_true(dx_hash64(line, 21, 7) == 0xefe79133e548e236ull);
	assert_true(dx_hash64(line, 51, 7) == 0xda4cf3b433b0141aull);
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; off + n < sizeof line; n++)
			assert_true(dx_hash64(line + off, n, 3) == hash64_bytewise(line + off, n, 3));
	/* dx_hash64 reads every byte, of any length, and its seed. */
	const char text[] = "0123456789abcdefghij";
	for (size_t n = 0; n < sizeof text - 1; n++) {
		assert_true(dx_hash64(text, n, 0) != dx_hash64(text, n + 1, 0));
		assert_true(dx_hash64(text, n, 0) != dx_hash64(text, n, 1));
		char copy[sizeof text];
		memcpy(copy, text, sizeof text);
		if (n) {
			copy[n - 1] ^= 1;
			assert_true(dx_hash64(text, n, 0) != dx_hash64(copy, n, 0));
		}
	}
}

static void test_detect(void **state)
{
	(void)state;
	static const char postfix[] =
		"Nov 27 10:00:00 mx1 postfix/qmgr[99]: 4A: from=<s@x>, size=1, nrcpt=1 (queue active)\n"
		"Nov 27 10:00:01 mx1 postfix/smtp[1]: 4A: to=<u@x>, relay=none, dsn=5.1.1, status=bounced (x)\n"
		"Nov 27 10:00:01 mx1 sshd[5]: Accepted\n";
	assert_true(dx_log_detect(postfix, sizeof postfix - 1));
	static const char exim[] = "2026-11-27 10:00:00 exim 4.96 daemon started\n"
				   "2026-11-27 10:00:02 1tGxyz-000ABC-12 ** u@example.com: Unrouteable address\n";
	assert_true(dx_log_detect(exim, sizeof exim - 1));
	/* A system log with no mail server line; a message; an mbox. */
	static const char other[] = "Nov 27 10:00:01 h sshd[5]: Accepted\nNov 27 10:00:02 h cron[6]: x\n";
	assert_false(dx_log_detect(other, sizeof other - 1));
	static const char mail[] = "Return-Path: <>\nNov 27 10:00:01 mx1 postfix/smtp[1]: 4A: to=<u@x>\nSubject: x\n"
				   "From: y\n\nbody\n";
	assert_false(dx_log_detect(mail, sizeof mail - 1));
	static const char mbox[] = "From x@y Thu Nov 27 10:00:00 2026\nSubject: x\n\n";
	assert_false(dx_log_detect(mbox, sizeof mbox - 1));
	/* A line cut short at the end says nothing. */
	assert_false(dx_log_detect(postfix, 30));
}

static int count_each(void *arg, uint64_t k, const char *sender, const char *message_id)
{
	size_t *n = arg;
	(void)k, (void)message_id;
	assert_non_null(sender);
	(*n)++;
	return 0;
}

/* The writer's map of queue keys: puts, gets, removals (which must leave
 * every other key findable: linear probing moves the ones after back),
 * the generations, and the walk over what is kept. */
static void test_envmap(void **state)
{
	(void)state;
	dx_envmap *m = dx_envmap_new(1000);
	assert_non_null(m);
	char s[32];
	for (uint64_t k = 1; k <= 600; k++) {
		snprintf(s, sizeof s, "s%llu@example.org", (unsigned long long)k);
		assert_int_equal(dx_envmap_put(m, k * 0x100000001ull, s, NULL), 0);
	}
	for (uint64_t k = 1; k <= 600; k += 2)
		dx_envmap_remove(m, k * 0x100000001ull);
	assert_int_equal(dx_envmap_size(m), 300);
	const char *snd, *mid;
	for (uint64_t k = 1; k <= 600; k++) {
		int found = dx_envmap_get(m, k * 0x100000001ull, &snd, &mid);
		assert_int_equal(found, k % 2 == 0);
		if (found) {
			snprintf(s, sizeof s, "s%llu@example.org", (unsigned long long)k);
			assert_string_equal(snd, s);
			assert_string_equal(mid, "");
		}
	}
	size_t n = 0;
	assert_int_equal(dx_envmap_each(m, count_each, &n), 0);
	assert_int_equal(n, 300);
	dx_envmap_remove(m, 12345); /* not there: nothing happens */
	assert_int_equal(dx_envmap_size(m), 300);
	dx_envmap_free(m);

	/* Two generations of one key each: the third put drops the first. */
	m = dx_envmap_new(1);
	assert_non_null(m);
	assert_int_equal(dx_envmap_put(m, 1, "a@x", "ida"), 0);
	assert_int_equal(dx_envmap_put(m, 2, "b@x", NULL), 0);
	assert_int_equal(dx_envmap_put(m, 3, NULL, "idc"), 0);
	assert_int_equal(dx_envmap_get(m, 1, &snd, &mid), 0);
	assert_int_equal(dx_envmap_get(m, 2, &snd, &mid), 1);
	assert_string_equal(snd, "b@x");
	assert_int_equal(dx_envmap_get(m, 3, &snd, &mid), 1);
	assert_string_equal(mid, "idc");
	dx_envmap_remove(m, 2);
	assert_int_equal(dx_envmap_get(m, 2, &snd, &mid), 0);
	assert_int_equal(dx_envmap_size(m), 1);
	dx_envmap_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postfix_bounced),
		cmocka_unit_test(test_postfix_other_services),
		cmocka_unit_test(test_postfix_queue_lines),
		cmocka_unit_test(test_timestamp_forms),
		cmocka_unit_test(test_header_scans),
		cmocka_unit_test(test_exim),
		cmocka_unit_test(test_sendmail),
		cmocka_unit_test(test_rcpt_single),
		cmocka_unit_test(test_queue_key),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_envmap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
