/* test_decode.c: the public decoding API (core/dsnidx.h): dx_engine_new,
 * dx_dctx_new and dx_decode on whole inline messages: an RFC 3464 report
 * (in LF, CRLF and CR line endings), an Exchange plain-text NDR, ordinary
 * mail, an undecodable report, status refinement, delivered actions and
 * the recipient limit. */
#include "helpers.h"

#include "bounce.h"
#include "dsnidx.h"

/* ---- collecting records ----------------------------------------------------- */

#define MAX_RECS 8

typedef struct collected {
	dx_record recs[MAX_RECS];
	unsigned n;
	unsigned calls;
	char *diags[MAX_RECS];
	dx_diag diag_info[MAX_RECS];
	unsigned ndiags;
} collected;

static char *dup_str(const char *s)
{
	assert_non_null(s);
	char *d = strdup(s);
	assert_non_null(d);
	return d;
}

static int collect(void *arg, const dx_record *r)
{
	collected *c = arg;
	c->calls++;
	assert_true(c->n < MAX_RECS);
	c->recs[c->n++] = record_copy(r);
	return 0;
}

static void on_diag(void *arg, const dx_diag *dg)
{
	collected *c = arg;
	assert_true(c->ndiags < MAX_RECS);
	c->diag_info[c->ndiags] = *dg;
	c->diags[c->ndiags] = dup_str(dg->message);
	c->diag_info[c->ndiags].message = c->diags[c->ndiags];
	c->diag_info[c->ndiags].source = NULL;
	c->ndiags++;
}

static void collected_free(collected *c)
{
	for (unsigned i = 0; i < c->n; i++)
		record_free(&c->recs[i]);
	for (unsigned i = 0; i < c->ndiags; i++)
		free(c->diags[i]);
	memset(c, 0, sizeof *c);
}

static void assert_same_record(const dx_record *a, const dx_record *b)
{
	assert_string_equal(a->source, b->source);
	assert_int_equal(a->offset, b->offset);
	assert_int_equal(a->index, b->index);
	assert_int_equal(a->timestamp, b->timestamp);
	assert_string_equal(a->recipient, b->recipient);
	assert_string_equal(a->domain, b->domain);
	assert_string_equal(a->action, b->action);
	assert_string_equal(a->status, b->status);
	assert_int_equal(a->reply_code, b->reply_code);
	assert_string_equal(a->reason, b->reason);
	assert_int_equal(a->hard_bounce, b->hard_bounce);
	assert_string_equal(a->reporting_mta, b->reporting_mta);
	assert_string_equal(a->remote_mta, b->remote_mta);
	assert_string_equal(a->diagnostic, b->diagnostic);
	assert_string_equal(a->sender, b->sender);
	assert_string_equal(a->subject, b->subject);
	assert_string_equal(a->message_id, b->message_id);
	assert_string_equal(a->decoder, b->decoder);
}

/* ---- engine fixture ----------------------------------------------------------- */

typedef struct fixture {
	dx_engine *engine;
	dx_dctx *dctx;
	collected c;
} fixture;

static int make_fixture(void **state, const dx_options *o)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	dx_error err;
	if (dx_engine_new(o, &f->engine, &err) != DX_OK) {
		free(f);
		return -1;
	}
	f->dctx = dx_dctx_new(f->engine);
	if (!f->dctx)
		return -1;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return make_fixture(state, NULL);
}

static int setup_delivered(void **state)
{
	dx_options o;
	dx_options_default(&o);
	o.include_delivered = 1;
	return make_fixture(state, &o);
}

static int setup_two_recipients(void **state)
{
	dx_options o;
	dx_options_default(&o);
	o.limits.max_recipients = 2;
	return make_fixture(state, &o);
}

static int teardown(void **state)
{
	fixture *f = *state;
	collected_free(&f->c);
	dx_dctx_free(f->dctx);
	dx_engine_free(f->engine);
	free(f);
	return 0;
}

static dx_outcome decode(fixture *f, const char *data, size_t len, unsigned *nrec)
{
	dx_message m = {.source = "test.mbox", .offset = 1234, .data = data, .len = len};
	return dx_decode(f->dctx, &m, collect, &f->c, on_diag, nrec);
}

/* The text with every "\n" replaced by eol; malloc'd. */
static char *with_eol(const char *s, const char *eol, size_t *len)
{
	size_t el = strlen(eol), n = 0;
	char *o = malloc(strlen(s) * el + 1);
	assert_non_null(o);
	for (; *s; s++) {
		if (*s == '\n') {
			memcpy(o + n, eol, el);
			n += el;
		} else
			o[n++] = *s;
	}
	o[n] = '\0';
	*len = n;
	return o;
}

/* ---- messages ------------------------------------------------------------------ */

static const char rfc3464[] =
	"Return-Path: <>\n"
	"Date: Thu, 18 Sep 2008 17:54:04 +0900\n"
	"From: Mail Delivery System <MAILER-DAEMON@mx.example.jp>\n"
	"To: sender@example.org\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=delivery-status;\n"
	"\tboundary=\"XXBOUNDXX\"\n"
	"\n"
	"This is a MIME-encapsulated message.\n"
	"\n"
	"--XXBOUNDXX\n"
	"Content-Type: text/plain; charset=us-ascii\n"
	"\n"
	"I'm sorry to have to inform you that your message could not\n"
	"be delivered to one or more recipients.\n"
	"\n"
	"--XXBOUNDXX\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Reporting-MTA: dns; MX.Example.JP\n"
	"Arrival-Date: Thu, 18 Sep 2008 17:50:00 +0900\n"
	"\n"
	"Final-Recipient: rfc822; User1@Example.NET\n"
	"Original-Recipient: rfc822;user1@example.net\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"Remote-MTA: dns; [192.0.2.25]\n"
	"Diagnostic-Code: smtp; 550 5.1.1 <user1@example.net>: Recipient address\n"
	"    rejected: User unknown in local recipient table\n"
	"Last-Attempt-Date: Thu, 18 Sep 2008 17:54:00 +0900\n"
	"\n"
	"Final-Recipient: rfc822; user2@example.com\n"
	"Action: failed\n"
	"Status: 5.2.2\n"
	"Remote-MTA: dns; mx2.example.com.\n"
	"Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n"
	"\n"
	"--XXBOUNDXX\n"
	"Content-Type: text/rfc822-headers\n"
	"\n"
	"Return-Path: <sender@example.org>\n"
	"From: \"Sender, A.\" <Sender@Example.ORG>\n"
	"To: user1@example.net, user2@example.com\n"
	"Subject: =?UTF-8?B?w6l0w6k=?= report\n"
	"Message-ID: <abc.123@example.org>\n"
	"Date: Thu, 18 Sep 2008 17:49:00 +0900\n"
	"\n"
	"--XXBOUNDXX--\n";

static void check_rfc3464_records(const collected *c)
{
	assert_int_equal(c->n, 2);
	const dx_record *r = &c->recs[0];
	assert_string_equal(r->source, "test.mbox");
	assert_int_equal(r->offset, 1234);
	assert_int_equal(r->index, 1);
	assert_int_equal(r->timestamp, 1221728040); /* Last-Attempt-Date */
	assert_string_equal(r->recipient, "user1@example.net");
	assert_string_equal(r->domain, "example.net");
	assert_string_equal(r->action, "failed");
	assert_string_equal(r->status, "5.1.1");
	assert_int_equal(r->reply_code, 550);
	assert_string_equal(r->reason, "userunknown");
	assert_int_equal(r->hard_bounce, 1);
	assert_string_equal(r->reporting_mta, "mx.example.jp");
	assert_string_equal(r->remote_mta, "192.0.2.25");
	assert_string_equal(r->diagnostic, "550 5.1.1 <user1@example.net>: Recipient address rejected: "
					    "User unknown in local recipient table");
	assert_string_equal(r->sender, "sender@example.org");
	assert_string_equal(r->subject, "\xc3\xa9t\xc3\xa9 report");
	assert_string_equal(r->message_id, "abc.123@example.org");
	assert_string_equal(r->decoder, "rfc3464");

	r = &c->recs[1];
	assert_string_equal(r->source, "test.mbox");
	assert_int_equal(r->offset, 1234);
	assert_int_equal(r->index, 2);
	assert_int_equal(r->timestamp, 1221728044); /* the report's Date */
	assert_string_equal(r->recipient, "user2@example.com");
	assert_string_equal(r->domain, "example.com");
	assert_string_equal(r->action, "failed");
	assert_string_equal(r->status, "5.2.2");
	assert_int_equal(r->reply_code, 552);
	assert_string_equal(r->reason, "mailboxfull");
	assert_int_equal(r->hard_bounce, 0);
	assert_string_equal(r->reporting_mta, "mx.example.jp");
	assert_string_equal(r->remote_mta, "mx2.example.com");
	assert_string_equal(r->diagnostic, "552 5.2.2 Mailbox full");
	assert_string_equal(r->sender, "sender@example.org");
	assert_string_equal(r->subject, "\xc3\xa9t\xc3\xa9 report");
	assert_string_equal(r->message_id, "abc.123@example.org");
	assert_string_equal(r->decoder, "rfc3464");
}

/* The codes servers answer with, those of RFC 5321 and a few more that
 * widespread servers send; not any three digits. */
static void test_reply_codes(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int code;
	} cases[] = {
		{"550 5.1.1 User unknown", 550},
		{"511 sorry, no mailbox here by that name (#5.1.1 - chkuser)", 511},
		{"422 The recipient's mailbox is full and can't accept messages now", 422},
		{"556 5.1.10 Recipient address has null MX", 556},
		{"542 made-up answer", 0},
		{"queued as 12345, 550 later", 550},
		{"size 512 bytes", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(dx_find_reply_code(cases[i].text, strlen(cases[i].text)), cases[i].code);
}

/* A typed field's value: after "type;", or after "type:" as Exchange 2007
 * writes it, but an IPv6 address is no type. */
static void test_typed_value(void **state)
{
	(void)state;
	assert_string_equal(dx_typed_value("dns; mx.example.org"), "mx.example.org");
	assert_string_equal(dx_typed_value("dns:EXHUB01.corp.example.com"), "EXHUB01.corp.example.com");
	assert_string_equal(dx_typed_value("rfc822:a@example.org"), "a@example.org");
	assert_string_equal(dx_typed_value("2001:db8::25"), "2001:db8::25");
	assert_string_equal(dx_typed_value("mx.example.org"), "mx.example.org");
	assert_string_equal(dx_typed_value("http://example.org/x"), "http://example.org/x");
}

/* Which status a record keeps: the remote's own code from its reply,
 * unless it says less than the report's Status. */
static void test_better_status(void **state)
{
	(void)state;
	assert_string_equal(dx_better_status("5.0.0", "5.1.1"), "5.1.1");
	assert_string_equal(dx_better_status("5.1.1", "5.0.0"), "5.1.1");
	assert_string_equal(dx_better_status("4.4.7", "4.4.0"), "4.4.7");
	assert_string_equal(dx_better_status("5.1.1", "5.1.0"), "5.1.1");
	assert_string_equal(dx_better_status("5.1.1", "5.7.0"), "5.7.0");
	assert_string_equal(dx_better_status("5.1.0", "5.1.10"), "5.1.10");
	assert_string_equal(dx_better_status("4.2.2", "5.2.2"), "4.2.2");
	assert_string_equal(dx_better_status(NULL, "5.2.2"), "5.2.2");
}

static void test_rfc3464(void **state)
{
	fixture *f = *state;
	unsigned n = 99;
	assert_int_equal(decode(f, rfc3464, sizeof rfc3464 - 1, &n), DX_DECODED);
	assert_int_equal(n, 2);
	assert_int_equal(f->c.calls, 2);
	assert_int_equal(f->c.ndiags, 0);
	check_rfc3464_records(&f->c);
}

static void test_rfc3464_line_endings(void **state)
{
	fixture *f = *state;
	collected lf = {0};
	unsigned n;
	dx_message m = {.source = "test.mbox", .offset = 1234, .data = rfc3464, .len = sizeof rfc3464 - 1};
	assert_int_equal(dx_decode(f->dctx, &m, collect, &lf, NULL, &n), DX_DECODED);
	check_rfc3464_records(&lf);

	static const char *const eols[] = {"\r\n", "\r"};
	for (size_t e = 0; e < NELEM(eols); e++) {
		size_t len;
		char *data = with_eol(rfc3464, eols[e], &len);
		assert_int_equal(decode(f, data, len, &n), DX_DECODED);
		assert_int_equal(n, 2);
		assert_int_equal(f->c.n, 2);
		for (unsigned i = 0; i < 2; i++)
			assert_same_record(&f->c.recs[i], &lf.recs[i]);
		collected_free(&f->c);
		free(data);
	}
	collected_free(&lf);
}

/* The same report read from an mbox, with its From_ line. */
static void test_rfc3464_from_mbox(void **state)
{
	fixture *f = *state;
	static const char from[] = "From MAILER-DAEMON Thu Sep 18 08:54:05 2008\n";
	size_t len = strlen(from) + sizeof rfc3464 - 1;
	char *data = malloc(len + 1);
	assert_non_null(data);
	memcpy(data, from, strlen(from));
	memcpy(data + strlen(from), rfc3464, sizeof rfc3464);
	dx_message m = {.source = "test.mbox", .offset = 1234, .data = data, .len = len, .from_mbox = 1};
	unsigned n;
	assert_int_equal(dx_decode(f->dctx, &m, collect, &f->c, on_diag, &n), DX_DECODED);
	check_rfc3464_records(&f->c);
	free(data);
}

/* Regression (found by review, fixed): the same
 * mbox message with bare CR line endings is not decoded at all, because
 * normalisation takes the whole message for its From_ line. */
static void test_rfc3464_from_mbox_bare_cr(void **state)
{
	fixture *f = *state;
	static const char from[] = "From MAILER-DAEMON Thu Sep 18 08:54:05 2008\n";
	char *joined = malloc(strlen(from) + sizeof rfc3464);
	assert_non_null(joined);
	strcpy(joined, from);
	strcat(joined, rfc3464);
	size_t len;
	char *data = with_eol(joined, "\r", &len);
	free(joined);
	dx_message m = {.source = "test.mbox", .offset = 1234, .data = data, .len = len, .from_mbox = 1};
	unsigned n;
	dx_outcome out = dx_decode(f->dctx, &m, collect, &f->c, on_diag, &n);
	free(data);
	assert_int_equal(out, DX_DECODED);
	check_rfc3464_records(&f->c);
}

static const char exchange[] =
	"Date: Wed, 3 Aug 2011 15:03:35 +0000\n"
	"From: postmaster@corp.example.com\n"
	"To: alice@corp.example.com\n"
	"Subject: Undeliverable: Quarterly report\n"
	"MIME-Version: 1.0\n"
	"Content-Type: text/plain; charset=\"us-ascii\"\n"
	"\n"
	"Delivery has failed to these recipients or groups:\n"
	"\n"
	"Bob Smith (bob.smith@partner.example)\n"
	"Your message wasn't delivered because of security policies.\n"
	"\n"
	"Diagnostic information for administrators:\n"
	"\n"
	"Generating server: EXCH01.corp.example.com\n"
	"\n"
	"bob.smith@partner.example\n"
	"mx.partner.example #<mx1.partner.example #5.7.1 smtp;530 5.7.1 Client was not authenticated> #SMTP#\n"
	"\n"
	"Original message headers:\n"
	"\n"
	"Received: from EXCH02.corp.example.com by EXCH01.corp.example.com\n"
	"From: Alice <Alice@corp.example.com>\n"
	"To: <bob.smith@partner.example>\n"
	"Subject: Quarterly report\n"
	"Message-ID: <q3.report@corp.example.com>\n"
	"Date: Wed, 3 Aug 2011 15:03:30 +0000\n";

static void test_exchange(void **state)
{
	fixture *f = *state;
	unsigned n = 0;
	assert_int_equal(decode(f, exchange, sizeof exchange - 1, &n), DX_DECODED);
	assert_int_equal(n, 1);
	assert_int_equal(f->c.n, 1);
	const dx_record *r = &f->c.recs[0];
	assert_int_equal(r->index, 1);
	assert_int_equal(r->timestamp, 1312383815);
	assert_string_equal(r->recipient, "bob.smith@partner.example");
	assert_string_equal(r->domain, "partner.example");
	assert_string_equal(r->action, "failed");
	assert_string_equal(r->status, "5.7.1");
	assert_int_equal(r->reply_code, 530);
	assert_string_equal(r->reason, "securityerror");
	assert_int_equal(r->hard_bounce, 0);
	assert_string_equal(r->reporting_mta, "exch01.corp.example.com");
	assert_string_equal(r->remote_mta, "mx.partner.example");
	assert_string_equal(r->diagnostic, "530 5.7.1 Client was not authenticated");
	assert_string_equal(r->sender, "alice@corp.example.com");
	assert_string_equal(r->subject, "Quarterly report");
	assert_string_equal(r->message_id, "q3.report@corp.example.com");
	assert_string_equal(r->decoder, "exchange");
}

/* A plain-text report longer than the block the report's end is looked
 * for in (dsn_text.c's REPORT_BLOCK): wherever the marker of the returned
 * message falls, before, across or after a block's end, the addresses
 * that follow it (a bounce of its own, quoted) are not recipients. */
static void test_long_report_end(void **state)
{
	fixture *f = *state;
	static const char head[] = "Return-Path: <>\n"
				   "Date: Mon, 2 Jun 2025 10:11:14 GMT\n"
				   "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.com>\n"
				   "To: jon@example.com\n"
				   "Subject: Returned mail: User unknown\n"
				   "\n"
				   "   ----- The following addresses had permanent fatal errors -----\n"
				   "<sam@example.org>\n"
				   "\n"
				   "   ----- Transcript of session follows -----\n"
				   "... while talking to mail.example.org.:\n"
				   ">>> RCPT To:<sam@example.org>\n"
				   "<<< 550 <sam@example.org>... User unknown\n"
				   "550 <sam@example.org>... User unknown\n";
	static const char filler[] = "   (the session above was the last attempt made for this message)\n";
	static const char tail[] = "\n   ----- Original message follows -----\n"
				   "\n"
				   "From: Jon Ames <jon@example.com>\n"
				   "To: list@example.com\n"
				   "Subject: fwd: returned mail\n"
				   "\n"
				   "   ----- The following addresses had permanent fatal errors -----\n"
				   "<carl@example.net>\n"
				   "550 <carl@example.net>... User unknown\n";
	static char msg[8192];
	/* From the marker before the first block's end to well after it. */
	for (unsigned lines = 0; lines <= 60; lines += 3) {
		size_t n = 0;
		memcpy(msg + n, head, sizeof head - 1);
		n += sizeof head - 1;
		for (unsigned i = 0; i < lines; i++) {
			memcpy(msg + n, filler, sizeof filler - 1);
			n += sizeof filler - 1;
		}
		memcpy(msg + n, tail, sizeof tail - 1);
		n += sizeof tail - 1;
		collected_free(&f->c);
		unsigned got = 99;
		assert_int_equal(decode(f, msg, n, &got), DX_DECODED);
		assert_int_equal(got, 1);
		assert_string_equal(f->c.recs[0].recipient, "sam@example.org");
		assert_string_equal(f->c.recs[0].reason, "userunknown");
	}
}

static void test_not_bounce(void **state)
{
	fixture *f = *state;
	static const char msg[] = "From: Alice <alice@example.org>\n"
				  "To: bob@example.net\n"
				  "Subject: Lunch?\n"
				  "Date: Wed, 3 Aug 2011 15:03:35 +0000\n"
				  "\n"
				  "Shall we? Final-Recipient: rfc822; x@y.example\n";
	unsigned n = 99;
	assert_int_equal(decode(f, msg, sizeof msg - 1, &n), DX_NOT_BOUNCE);
	assert_int_equal(n, 0);
	assert_int_equal(f->c.calls, 0);
	assert_int_equal(f->c.ndiags, 0);
}

static void test_undecoded(void **state)
{
	fixture *f = *state;
	static const char msg[] = "From: MAILER-DAEMON@mx.example\n"
				  "Subject: Delivery Status Notification\n"
				  "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n"
				  "\n"
				  "--b\n"
				  "Content-Type: text/plain\n"
				  "\n"
				  "Something went wrong.\n"
				  "--b\n"
				  "Content-Type: message/delivery-status\n"
				  "\n"
				  "Reporting-MTA: dns; mx.example\n"
				  "\n"
				  "Action: failed\n"
				  "Status: 5.0.0\n"
				  "--b--\n";
	unsigned n = 99;
	assert_int_equal(decode(f, msg, sizeof msg - 1, &n), DX_UNDECODED);
	assert_int_equal(n, 0);
	assert_int_equal(f->c.calls, 0);
}

static const char generic_status[] = "From: MAILER-DAEMON@mx.example\n"
				     "Subject: failure notice\n"
				     "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n"
				     "\n"
				     "--b\n"
				     "Content-Type: message/delivery-status\n"
				     "\n"
				     "Reporting-MTA: dns; mx.example\n"
				     "\n"
				     "Final-Recipient: rfc822; x@y.example\n"
				     "Action: failed\n"
				     "Status: 5.0.0\n"
				     "Diagnostic-Code: smtp; 550 #5.1.0 Address rejected\n"
				     "--b--\n";

static void test_generic_status_refined(void **state)
{
	fixture *f = *state;
	unsigned n;
	assert_int_equal(decode(f, generic_status, sizeof generic_status - 1, &n), DX_DECODED);
	assert_int_equal(n, 1);
	const dx_record *r = &f->c.recs[0];
	assert_string_equal(r->recipient, "x@y.example");
	assert_string_equal(r->status, "5.1.0");
	assert_int_equal(r->reply_code, 550);
	assert_string_equal(r->diagnostic, "550 #5.1.0 Address rejected");
	assert_string_equal(r->reporting_mta, "mx.example");
	assert_string_equal(r->remote_mta, "");
	/* No original attached, no date anywhere. */
	assert_string_equal(r->sender, "");
	assert_string_equal(r->subject, "");
	assert_string_equal(r->message_id, "");
	assert_int_equal(r->timestamp, DX_NO_TIME);
}

static const char delivered[] = "From: MAILER-DAEMON@mx.example\n"
				"Subject: Delivery Status Notification\n"
				"Content-Type: multipart/report; report-type=delivery-status; boundary=b\n"
				"\n"
				"--b\n"
				"Content-Type: message/delivery-status\n"
				"\n"
				"Reporting-MTA: dns; mx.example\n"
				"\n"
				"Final-Recipient: rfc822; ok@y.example\n"
				"Action: delivered\n"
				"Status: 2.0.0\n"
				"\n"
				"Final-Recipient: rfc822; bad@y.example\n"
				"Action: failed\n"
				"Status: 5.1.1\n"
				"--b--\n";

static void test_delivered_skipped(void **state)
{
	fixture *f = *state;
	unsigned n;
	assert_int_equal(decode(f, delivered, sizeof delivered - 1, &n), DX_DECODED);
	assert_int_equal(n, 1);
	assert_int_equal(f->c.n, 1);
	assert_string_equal(f->c.recs[0].recipient, "bad@y.example");
	assert_int_equal(f->c.recs[0].index, 1);
	assert_string_equal(f->c.recs[0].reason, "userunknown");
}

static void test_delivered_included(void **state)
{
	fixture *f = *state;
	assert_int_equal(dx_engine_options(f->engine)->include_delivered, 1);
	unsigned n;
	assert_int_equal(decode(f, delivered, sizeof delivered - 1, &n), DX_DECODED);
	assert_int_equal(n, 2);
	assert_int_equal(f->c.n, 2);
	assert_string_equal(f->c.recs[0].recipient, "ok@y.example");
	assert_int_equal(f->c.recs[0].index, 1);
	assert_string_equal(f->c.recs[0].action, "delivered");
	assert_string_equal(f->c.recs[0].status, "2.0.0");
	assert_string_equal(f->c.recs[0].reason, "delivered");
	assert_int_equal(f->c.recs[0].hard_bounce, 0);
	assert_string_equal(f->c.recs[1].recipient, "bad@y.example");
	assert_int_equal(f->c.recs[1].index, 2);
}

static void test_max_recipients(void **state)
{
	fixture *f = *state;
	static const char msg[] = "From: MAILER-DAEMON@mx.example\n"
				  "Subject: Delivery Status Notification\n"
				  "Content-Type: multipart/report; report-type=delivery-status; boundary=b\n"
				  "\n"
				  "--b\n"
				  "Content-Type: message/delivery-status\n"
				  "\n"
				  "Reporting-MTA: dns; mx.example\n"
				  "\n"
				  "Final-Recipient: rfc822; a@y.example\n"
				  "Action: failed\n"
				  "Status: 5.1.1\n"
				  "\n"
				  "Final-Recipient: rfc822; b@y.example\n"
				  "Action: failed\n"
				  "Status: 5.1.1\n"
				  "\n"
				  "Final-Recipient: rfc822; c@y.example\n"
				  "Action: failed\n"
				  "Status: 5.1.1\n"
				  "--b--\n";
	unsigned n;
	assert_int_equal(decode(f, msg, sizeof msg - 1, &n), DX_DECODED);
	assert_int_equal(n, 2);
	assert_int_equal(f->c.n, 2);
	assert_string_equal(f->c.recs[0].recipient, "a@y.example");
	assert_string_equal(f->c.recs[1].recipient, "b@y.example");
	assert_int_equal(f->c.ndiags, 1);
	assert_int_equal(f->c.diag_info[0].severity, DX_DIAG_WARNING);
	assert_int_equal(f->c.diag_info[0].offset, 1234);
	if (!strstr(f->c.diags[0], "max_recipients (2)") || !strstr(f->c.diags[0], "1 recipient"))
		fail_msg("unexpected warning: %s", f->c.diags[0]);
}

/* A callback that returns non-zero stops the emission. */
static int stop_after_one(void *arg, const dx_record *r)
{
	(void)r;
	unsigned *calls = arg;
	(*calls)++;
	return 1;
}

static void test_callback_stops(void **state)
{
	fixture *f = *state;
	unsigned calls = 0, n = 0;
	dx_message m = {.source = "s", .data = rfc3464, .len = sizeof rfc3464 - 1};
	assert_int_equal(dx_decode(f->dctx, &m, stop_after_one, &calls, NULL, &n), DX_DECODED);
	assert_int_equal(calls, 1);
	assert_int_equal(n, 1);
}

static void test_engine_errors(void **state)
{
	(void)state;
	dx_options o;
	dx_options_default(&o);
	o.rules_file = "/nonexistent/dir/my.rules";
	static char sentinel;
	dx_engine *e = (dx_engine *)(void *)&sentinel; /* must be reset to NULL */
	dx_error err;
	memset(&err, 0, sizeof err);
	assert_int_equal(dx_engine_new(&o, &e, &err), DX_ERR_RULES);
	assert_null(e);
	assert_int_equal(err.code, DX_ERR_RULES);
	assert_non_null(strstr(err.message, "/nonexistent/dir/my.rules"));

	dx_limits l;
	dx_limits_default(&l);
	assert_int_equal(l.max_recipients, 10000);
	assert_string_equal(dx_status_name(DX_OK), "ok");
	assert_string_equal(dx_status_name(DX_ERR_SCHEMA), "incompatible database");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_codes),
		cmocka_unit_test(test_better_status),
		cmocka_unit_test(test_typed_value),
		cmocka_unit_test_setup_teardown(test_rfc3464, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rfc3464_line_endings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rfc3464_from_mbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rfc3464_from_mbox_bare_cr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exchange, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_report_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_bounce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_undecoded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_generic_status_refined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivered_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivered_included, setup_delivered, teardown),
		cmocka_unit_test_setup_teardown(test_max_recipients, setup_two_recipients, teardown),
		cmocka_unit_test_setup_teardown(test_callback_stops, setup, teardown),
		cmocka_unit_test(test_engine_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
