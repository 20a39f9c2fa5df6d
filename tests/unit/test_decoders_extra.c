/* test_decoders_extra.c: the JSON parser (core/json.h) on valid and
 * invalid input, and three decoders through the public API (dx_decode on
 * whole inline messages): ARF feedback reports (arf.c), automatic replies
 * (rfc3834.c) and Amazon SES notifications (dsn_amazonses.c), including
 * delivery reports that must not be taken for auto-replies and malformed
 * JSON that must give no record. */
#include "helpers.h"

#include "arena.h"
#include "dsnidx.h"
#include "json.h"

/* ==== JSON ==================================================================== */

typedef struct jfix {
	dx_arena a;
} jfix;

static int jsetup(void **state)
{
	jfix *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	dx_arena_init(&f->a, 0);
	*state = f;
	return 0;
}

static int jteardown(void **state)
{
	jfix *f = *state;
	dx_arena_free(&f->a);
	free(f);
	return 0;
}

static const dx_json *parse_ok(jfix *f, const char *s)
{
	dx_json_error err = {DX_JSON_ESYNTAX, 99};
	const dx_json *j = dx_json_parse(&f->a, s, strlen(s), &err);
	if (!j)
		fail_msg("rejected (code %d at %zu): %s", (int)err.code, err.offset, s);
	assert_int_equal(err.code, DX_JSON_OK);
	assert_int_equal(err.offset, 0);
	return j;
}

/* Asserts that s is refused with the given code at the given offset. */
static void parse_bad(jfix *f, const char *s, size_t n, dx_json_errcode code, size_t offset)
{
	dx_json_error err = {DX_JSON_OK, 0};
	const dx_json *j = dx_json_parse(&f->a, s, n, &err);
	if (j)
		fail_msg("accepted: %.*s", (int)(n < 80 ? n : 80), s);
	if (err.code != code || err.offset != offset)
		fail_msg("%.*s: code %d at %zu, expected %d at %zu", (int)(n < 80 ? n : 80), s, (int)err.code,
			 err.offset, (int)code, offset);
}

static void test_json_document(void **state)
{
	jfix *f = *state;
	const dx_json *j = parse_ok(f, " {\"name\": \"SES\", \"n\": -12.5e+3, \"ok\": true, \"no\": false,\n"
				       "\t\"nil\": null, \"list\": [1, \"two\", [], {}], \"empty\": \"\"}\r\n");
	assert_int_equal(j->type, DX_JSON_OBJECT);
	assert_int_equal(dx_json_len(j), 7);
	assert_null(j->key);

	const dx_json *v = dx_json_get(j, "name");
	assert_non_null(v);
	assert_int_equal(v->type, DX_JSON_STRING);
	assert_string_equal(v->str, "SES");
	assert_int_equal(v->len, 3);
	assert_string_equal(v->key, "name");
	assert_int_equal(v->key_len, 4);
	assert_string_equal(dx_json_get_str(j, "name"), "SES");

	v = dx_json_get(j, "n");
	assert_int_equal(v->type, DX_JSON_NUMBER);
	assert_string_equal(v->str, "-12.5e+3");
	assert_int_equal(v->len, 8);
	assert_null(dx_json_str(v));

	assert_int_equal(dx_json_get(j, "ok")->type, DX_JSON_TRUE);
	assert_string_equal(dx_json_get(j, "ok")->str, "true");
	assert_int_equal(dx_json_get(j, "no")->type, DX_JSON_FALSE);
	assert_int_equal(dx_json_get(j, "nil")->type, DX_JSON_NULL);
	assert_string_equal(dx_json_get(j, "nil")->str, "null");
	assert_string_equal(dx_json_get_str(j, "empty"), "");
	assert_int_equal(dx_json_get(j, "empty")->len, 0);

	const dx_json *l = dx_json_get(j, "list");
	assert_int_equal(l->type, DX_JSON_ARRAY);
	assert_int_equal(dx_json_len(l), 4);
	assert_string_equal(dx_json_at(l, 0)->str, "1");
	assert_null(dx_json_at(l, 0)->key);
	assert_string_equal(dx_json_str(dx_json_at(l, 1)), "two");
	assert_int_equal(dx_json_at(l, 2)->type, DX_JSON_ARRAY);
	assert_int_equal(dx_json_len(dx_json_at(l, 2)), 0);
	assert_int_equal(dx_json_at(l, 3)->type, DX_JSON_OBJECT);
	assert_int_equal(dx_json_len(dx_json_at(l, 3)), 0);
	assert_null(dx_json_at(l, 4));
	/* Siblings are linked in order. */
	assert_ptr_equal(dx_json_at(l, 0)->next, dx_json_at(l, 1));
	assert_null(dx_json_at(l, 3)->next);
	/* Members are reachable by index too, in document order. */
	assert_string_equal(dx_json_at(j, 6)->key, "empty");

	/* Scalars at the top level. */
	assert_int_equal(parse_ok(f, "0")->type, DX_JSON_NUMBER);
	assert_string_equal(parse_ok(f, " \"x\" ")->str, "x");
	assert_int_equal(parse_ok(f, "null")->type, DX_JSON_NULL);
	assert_string_equal(parse_ok(f, "-0")->str, "-0");
	assert_string_equal(parse_ok(f, "1E5")->str, "1E5");
	assert_string_equal(parse_ok(f, "0.25e-2")->str, "0.25e-2");
}

static void test_json_lookups(void **state)
{
	jfix *f = *state;
	const dx_json *j = parse_ok(f, "{\"a\":1,\"a\":2,\"b\":{\"c\":[\"d\"]},\"k\\u00e9\":3}");
	/* The first of two members with one name. */
	assert_string_equal(dx_json_get(j, "a")->str, "1");
	/* Keys are compared after decoding. */
	assert_string_equal(dx_json_get(j, "k\xc3\xa9")->str, "3");
	assert_null(dx_json_get(j, "k"));
	assert_null(dx_json_get(j, "A"));
	/* Chains through missing members and wrong types give NULL or 0. */
	assert_string_equal(dx_json_str(dx_json_at(dx_json_get(dx_json_get(j, "b"), "c"), 0)), "d");
	assert_null(dx_json_get(dx_json_get(j, "x"), "c"));
	assert_null(dx_json_get(dx_json_get(j, "a"), "c"));
	assert_null(dx_json_get(j, NULL));
	assert_null(dx_json_get(NULL, "a"));
	assert_null(dx_json_at(NULL, 0));
	assert_null(dx_json_at(dx_json_get(j, "a"), 0));
	assert_int_equal(dx_json_len(NULL), 0);
	assert_int_equal(dx_json_len(dx_json_get(j, "a")), 0);
	assert_null(dx_json_str(NULL));
	assert_null(dx_json_str(dx_json_get(j, "b")));
	assert_null(dx_json_get_str(j, "a"));
	assert_null(dx_json_get_str(NULL, "a"));
}

static void test_json_strings(void **state)
{
	jfix *f = *state;
	assert_string_equal(parse_ok(f, "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"")->str, "\"\\/\b\f\n\r\t");
	assert_string_equal(parse_ok(f, "\"caf\\u00e9 \\u20AC\"")->str, "caf\xc3\xa9 \xe2\x82\xac");
	assert_string_equal(parse_ok(f, "\"\\u0041\\u007f\\u0080\\u07ff\\u0800\\uffff\"")->str,
			    "A\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
	/* A surrogate pair is one character of four bytes. */
	const dx_json *v = parse_ok(f, "\"\\ud83d\\ude00!\"");
	assert_string_equal(v->str, "\xf0\x9f\x98\x80!");
	assert_int_equal(v->len, 5);
	assert_string_equal(parse_ok(f, "\"\\uDBFF\\uDFFF\"")->str, "\xf4\x8f\xbf\xbf");
	/* Raw UTF-8 is copied as it is. */
	assert_string_equal(parse_ok(f, "\"\xe8\x87\xaa\xe5\x8b\x95\"")->str, "\xe8\x87\xaa\xe5\x8b\x95");
	/* \u0000 is kept: len tells it from the end. */
	v = parse_ok(f, "\"a\\u0000b\"");
	assert_int_equal(v->len, 3);
	assert_memory_equal(v->str, "a\0b", 4);

	/* Invalid escapes become U+FFFD. */
	assert_string_equal(parse_ok(f, "\"a\\xb\"")->str, "a\xef\xbf\xbd" "b");
	assert_string_equal(parse_ok(f, "\"\\u12G4\"")->str, "\xef\xbf\xbd" "12G4");
	assert_string_equal(parse_ok(f, "\"\\u12\"")->str, "\xef\xbf\xbd" "12");
	assert_string_equal(parse_ok(f, "\"\\u\"")->str, "\xef\xbf\xbd");
	/* Lone surrogates, high or low, and a high one followed by a non-low. */
	assert_string_equal(parse_ok(f, "\"\\ud800x\"")->str, "\xef\xbf\xbdx");
	assert_string_equal(parse_ok(f, "\"\\udc00\"")->str, "\xef\xbf\xbd");
	assert_string_equal(parse_ok(f, "\"\\ud800\\u0041\"")->str, "\xef\xbf\xbd" "A");
	assert_string_equal(parse_ok(f, "\"\\ud800\\ud800\"")->str, "\xef\xbf\xbd\xef\xbf\xbd");
	/* A backslash before a non-ASCII byte: the byte is kept. */
	assert_string_equal(parse_ok(f, "\"\\\xc3\xa9\"")->str, "\xef\xbf\xbd\xc3\xa9");
	/* The worst cases for the output size: every escape invalid, or a
	 * backslash before every non-ASCII byte (two bytes out per byte in). */
	assert_string_equal(parse_ok(f, "\"\\q\\q\\q\"")->str, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	enum { PAIRS = 1000 };
	char *in = malloc(2 * PAIRS + 3), *want = malloc(4 * PAIRS + 1);
	assert_non_null(in);
	assert_non_null(want);
	in[0] = '"';
	for (size_t i = 0; i < PAIRS; i++) {
		in[1 + 2 * i] = '\\';
		in[2 + 2 * i] = '\xff';
		memcpy(want + 4 * i, "\xef\xbf\xbd\xff", 4);
	}
	in[2 * PAIRS + 1] = '"';
	in[2 * PAIRS + 2] = '\0';
	want[4 * PAIRS] = '\0';
	v = parse_ok(f, in);
	assert_int_equal(v->len, 4 * PAIRS);
	assert_string_equal(v->str, want);
	/* What follows in the arena is intact. */
	const dx_json *after = parse_ok(f, "\"next\"");
	assert_string_equal(after->str, "next");
	assert_string_equal(v->str, want);
	free(in);
	free(want);
}

static void test_json_invalid(void **state)
{
	jfix *f = *state;
	static const struct {
		const char *text;
		size_t offset;
	} bad[] = {
		{"", 0},
		{"   ", 3},
		{"{", 1},
		{"[", 1},
		{"[1,]", 3},
		{"[1 2]", 3},
		{"{\"a\":}", 5},
		{"{\"a\" 1}", 5},
		{"{\"a\":1,}", 7},
		{"{a:1}", 1},
		{"{'a':1}", 1},
		{"{\"a\":1", 6},
		{"{\"a\":1]", 6},
		{"[1}", 2},
		{"tru", 0},
		{"nul", 0},
		{"True", 0},
		{"NaN", 0},
		{"\"abc", 0},
		{"\"a\nb\"", 2},
		{"\"a\tb\"", 2},
		{"\"a\\", 2},
		{"\"\\\n\"", 1},
		{"01", 1},
		{"1.", 2},
		{".5", 0},
		{"-", 1},
		{"1e", 2},
		{"1e+", 3},
		{"+1", 0},
		{"0x10", 1},
		{"[1]x", 3},
		{"{} {}", 3},
		{"\"a\" \"b\"", 4},
	};
	for (size_t i = 0; i < NELEM(bad); i++)
		parse_bad(f, bad[i].text, strlen(bad[i].text), DX_JSON_ESYNTAX, bad[i].offset);
	/* The length is explicit: nothing past it is read, a NUL is a byte. */
	parse_bad(f, "[1]", 2, DX_JSON_ESYNTAX, 2);
	parse_bad(f, "\"ab\"", 3, DX_JSON_ESYNTAX, 0);
	parse_bad(f, "[1]\0", 4, DX_JSON_ESYNTAX, 3);
	parse_bad(f, "tr", 2, DX_JSON_ESYNTAX, 0);
	/* NULL input. */
	dx_json_error err;
	assert_null(dx_json_parse(&f->a, NULL, 3, &err));
	assert_int_equal(err.code, DX_JSON_ESYNTAX);
	/* The error argument is optional. */
	assert_null(dx_json_parse(&f->a, "[", 1, NULL));
}

static void test_json_prefix(void **state)
{
	jfix *f = *state;
	static const char text[] = "\n\n{\"a\":[1,2]}\n\n--\nIf you wish to stop receiving notifications";
	size_t used = 99;
	dx_json_error err;
	const dx_json *j = dx_json_parse_prefix(&f->a, text, strlen(text), &used, &err);
	assert_non_null(j);
	assert_int_equal(err.code, DX_JSON_OK);
	assert_int_equal(used, 13);
	assert_int_equal(dx_json_len(dx_json_get(j, "a")), 2);
	/* The whole text is not JSON. */
	parse_bad(f, text, strlen(text), DX_JSON_ESYNTAX, 15);
	/* A bad value is bad as a prefix too. */
	used = 99;
	assert_null(dx_json_parse_prefix(&f->a, "{\"a\":x}", 7, &used, &err));
	assert_int_equal(err.code, DX_JSON_ESYNTAX);
	assert_int_equal(err.offset, 5);
	assert_int_equal(used, 0);
	/* used is optional. */
	assert_non_null(dx_json_parse_prefix(&f->a, "1 2", 3, NULL, NULL));
}

/* "[[[...]]]" with `depth` levels, malloc'd. */
static char *nested(size_t depth, char open, char close)
{
	char *s = malloc(2 * depth + 1);
	assert_non_null(s);
	memset(s, open, depth);
	memset(s + depth, close, depth);
	s[2 * depth] = '\0';
	return s;
}

static void test_json_depth(void **state)
{
	jfix *f = *state;
	char *s = nested(DX_JSON_MAX_DEPTH, '[', ']');
	const dx_json *j = parse_ok(f, s);
	for (int d = 1; d < DX_JSON_MAX_DEPTH; d++)
		j = dx_json_at(j, 0);
	assert_non_null(j);
	assert_int_equal(j->type, DX_JSON_ARRAY);
	assert_int_equal(dx_json_len(j), 0);
	free(s);

	s = nested(DX_JSON_MAX_DEPTH + 1, '[', ']');
	parse_bad(f, s, strlen(s), DX_JSON_EDEPTH, DX_JSON_MAX_DEPTH);
	free(s);
	s = nested(1000, '[', ']');
	parse_bad(f, s, strlen(s), DX_JSON_EDEPTH, DX_JSON_MAX_DEPTH);
	free(s);
	/* Unclosed: the depth limit comes first. */
	s = nested(100000, '[', ']');
	parse_bad(f, s, 100000, DX_JSON_EDEPTH, DX_JSON_MAX_DEPTH);
	free(s);

	/* Objects count as levels too: {"a":{"a":...}}. */
	size_t levels = DX_JSON_MAX_DEPTH + 1;
	char *o = malloc(levels * 6 + 2);
	assert_non_null(o);
	size_t k = 0;
	for (size_t i = 0; i < levels; i++) {
		memcpy(o + k, "{\"a\":", 5);
		k += 5;
	}
	o[k++] = '1';
	memset(o + k, '}', levels);
	k += levels;
	parse_bad(f, o, k, DX_JSON_EDEPTH, (DX_JSON_MAX_DEPTH) * 5);
	free(o);
}

static void test_json_limits(void **state)
{
	jfix *f = *state;
	/* Too long: refused before reading. */
	size_t big = DX_JSON_MAX_SIZE + 1;
	char *s = malloc(big);
	assert_non_null(s);
	memset(s, ' ', big);
	s[0] = '0';
	parse_bad(f, s, big, DX_JSON_ELIMIT, 0);
	/* Exactly the size limit is fine. */
	assert_non_null(dx_json_parse(&f->a, s, DX_JSON_MAX_SIZE, NULL));
	free(s);

	/* Values: an array of MAX_NODES - 1 elements is MAX_NODES values. */
	size_t count = DX_JSON_MAX_NODES - 1;
	s = malloc(2 * (count + 1) + 2);
	assert_non_null(s);
	size_t k = 0;
	s[k++] = '[';
	for (size_t i = 0; i < count; i++) {
		s[k++] = '0';
		s[k++] = ',';
	}
	s[k - 1] = ']';
	const dx_json *j = dx_json_parse(&f->a, s, k, NULL);
	assert_non_null(j);
	assert_int_equal(dx_json_len(j), count);
	assert_string_equal(dx_json_at(j, count - 1)->str, "0");
	/* One more is too many. */
	s[k - 1] = ',';
	s[k++] = '0';
	s[k++] = ']';
	dx_json_error err;
	assert_null(dx_json_parse(&f->a, s, k, &err));
	assert_int_equal(err.code, DX_JSON_ELIMIT);
	assert_int_equal(err.offset, k - 2);
	free(s);
}

static void test_json_nomem(void **state)
{
	(void)state;
	/* An arena that cannot grow past its first chunk. */
	dx_arena a;
	dx_arena_init(&a, 64 * 1024);
	char *s = malloc(200000);
	assert_non_null(s);
	size_t k = 0;
	s[k++] = '[';
	while (k < 199990) {
		memcpy(s + k, "\"abc\",", 6);
		k += 6;
	}
	s[k - 1] = ']';
	dx_json_error err;
	assert_null(dx_json_parse(&a, s, k, &err));
	assert_int_equal(err.code, DX_JSON_ENOMEM);
	free(s);
	dx_arena_free(&a);
}

/* ==== decoders through dx_decode ================================================= */

#define MAX_RECS 8

typedef struct collected {
	dx_record recs[MAX_RECS];
	unsigned n;
	unsigned ndiags;
} collected;

static int collect(void *arg, const dx_record *r)
{
	collected *c = arg;
	assert_true(c->n < MAX_RECS);
	c->recs[c->n++] = record_copy(r);
	return 0;
}

static void on_diag(void *arg, const dx_diag *dg)
{
	(void)dg;
	collected *c = arg;
	c->ndiags++;
}

static void collected_free(collected *c)
{
	for (unsigned i = 0; i < c->n; i++)
		record_free(&c->recs[i]);
	memset(c, 0, sizeof *c);
}

typedef struct fixture {
	dx_engine *engine;
	dx_dctx *dctx;
	collected c;
} fixture;

static int make_fixture(void **state, int include_delivered)
{
	fixture *f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	dx_options o;
	dx_options_default(&o);
	o.include_delivered = include_delivered;
	dx_error err;
	if (dx_engine_new(&o, &f->engine, &err) != DX_OK) {
		free(f);
		return -1;
	}
	f->dctx = dx_dctx_new(f->engine);
	if (!f->dctx) {
		dx_engine_free(f->engine);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return make_fixture(state, 0);
}

static int setup_delivered(void **state)
{
	return make_fixture(state, 1);
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

/* Decodes a message (after forgetting the previous one's records) and
 * checks that dx_decode's count agrees with the records seen. */
static dx_outcome decode_len(fixture *f, const char *data, size_t len)
{
	collected_free(&f->c);
	dx_message m = {.source = "extra.eml", .offset = 0, .data = data, .len = len};
	unsigned n = 999;
	dx_outcome o = dx_decode(f->dctx, &m, collect, &f->c, on_diag, &n);
	assert_int_equal(n, f->c.n);
	return o;
}

static dx_outcome decode(fixture *f, const char *data)
{
	return decode_len(f, data, strlen(data));
}

/* The fields every record of a report that is not a failure has. */
static void assert_not_failure(const dx_record *r)
{
	assert_string_equal(r->status, "");
	assert_int_equal(r->reply_code, 0);
	assert_int_equal(r->hard_bounce, 0);
	assert_string_equal(r->remote_mta, "");
	/* A complaint or an auto-reply is no delivery attempt: no action. */
	assert_string_equal(r->action, "");
}

/* ---- ARF ------------------------------------------------------------------------ */

static const char arf_two[] =
	"Date: Wed, 06 Mar 2024 12:00:00 +0000\n"
	"From: Feedback Loop <fbl@isp.example.net>\n"
	"To: abuse-desk@example.com\n"
	"Subject: Abuse report\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=feedback-report;\n"
	"\tboundary=\"ARFB\"\n"
	"\n"
	"--ARFB\n"
	"Content-Type: text/plain\n"
	"\n"
	"A user of isp.example.net reported this message as spam.\n"
	"\n"
	"--ARFB\n"
	"Content-Type: message/feedback-report\n"
	"\n"
	"Feedback-Type: abuse\n"
	"User-Agent: TestFBL/1.0\n"
	"Version: 1\n"
	"Original-Mail-From: <list@example.com>\n"
	"Original-Rcpt-To: <First.User@example.net>\n"
	"\n"
	"Original-Rcpt-To: second.user@example.org\n"
	"Original-Rcpt-To: first.user@example.net\n"
	"Arrival-Date: Tue, 05 Mar 2024 08:30:00 +0000\n"
	"Reporting-MTA: dns; MTA1.isp.example.net\n"
	"Source-IP: 192.0.2.7\n"
	"\n"
	"--ARFB\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: List Sender <list@example.com>\n"
	"To: undisclosed-recipients:;\n"
	"Subject: Spring offers\n"
	"Message-ID: <offer-1@example.com>\n"
	"\n"
	"Buy now.\n"
	"\n"
	"--ARFB--\n";

static void test_arf_two_recipients(void **state)
{
	fixture *f = *state;
	assert_int_equal(decode(f, arf_two), DX_DECODED);
	/* The third Original-Rcpt-To repeats the first: taken once. */
	assert_int_equal(f->c.n, 2);
	assert_int_equal(f->c.ndiags, 0);
	static const char *const rcpt[] = {"first.user@example.net", "second.user@example.org"};
	static const char *const dom[] = {"example.net", "example.org"};
	for (unsigned i = 0; i < 2; i++) {
		const dx_record *r = &f->c.recs[i];
		assert_int_equal(r->index, i + 1);
		assert_string_equal(r->source, "extra.eml");
		assert_int_equal(r->timestamp, 1709726400); /* the report's Date */
		assert_string_equal(r->recipient, rcpt[i]);
		assert_string_equal(r->domain, dom[i]);
		assert_string_equal(r->reason, "feedback");
		assert_string_equal(r->decoder, "arf");
		assert_string_equal(r->diagnostic, "abuse");
		assert_string_equal(r->reporting_mta, "mta1.isp.example.net");
		assert_string_equal(r->sender, "list@example.com");
		assert_string_equal(r->subject, "Spring offers");
		assert_string_equal(r->message_id, "offer-1@example.com");
		assert_not_failure(r);
	}
}

static const char arf_none[] =
	"From: Feedback Loop <fbl@isp.example.net>\n"
	"To: abuse-desk@example.com\n"
	"Subject: Report\n"
	"Content-Type: multipart/report; report-type=feedback-report; boundary=\"N\"\n"
	"\n"
	"--N\n"
	"Content-Type: message/feedback-report\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	/* "Feedback-Type: Fraud\nUser-Agent: T/1\nVersion: 1\n" */
	"RmVlZGJhY2stVHlwZTogRnJhdWQKVXNlci1BZ2VudDogVC8xClZlcnNpb246IDEK\n"
	"\n"
	"--N\n"
	"Content-Type: text/rfc822-headers\n"
	"\n"
	"From: shop@example.com\n"
	"To: undisclosed-recipients:;\n"
	"Subject: Deal\n"
	"\n"
	"--N--\n";

static void test_arf_without_recipient(void **state)
{
	fixture *f = *state;
	assert_int_equal(decode(f, arf_none), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	const dx_record *r = &f->c.recs[0];
	assert_int_equal(r->index, 1);
	assert_string_equal(r->recipient, "");
	assert_string_equal(r->domain, "");
	assert_string_equal(r->reason, "feedback");
	assert_string_equal(r->decoder, "arf");
	assert_string_equal(r->diagnostic, "fraud");
	assert_string_equal(r->reporting_mta, "");
	assert_string_equal(r->sender, "shop@example.com");
	assert_string_equal(r->subject, "Deal");
	assert_string_equal(r->message_id, "");
	assert_int_equal(r->timestamp, DX_NO_TIME);
	assert_not_failure(r);
}

/* Removal-Recipient when there is no Original-Rcpt-To; the original's To
 * when there is neither; a feedback-report part in a multipart/mixed. */
static void test_arf_fallbacks(void **state)
{
	fixture *f = *state;
	static const char removal[] =
		"From: Feedback Loop <fbl@isp.example.net>\n"
		"Subject: Report\n"
		"Content-Type: multipart/report; report-type=feedback-report; boundary=\"R\"\n"
		"\n"
		"--R\n"
		"Content-Type: message/feedback-report\n"
		"\n"
		"Feedback-Type: opt-out\n"
		"Removal-Recipient: rfc822; Leaver@Example.org\n"
		"Removal-Recipient: not an address\n"
		"\n"
		"--R\n"
		"Content-Type: message/rfc822\n"
		"\n"
		"From: news@example.com\n"
		"To: someone.else@example.org\n"
		"\n"
		"x\n"
		"--R--\n";
	assert_int_equal(decode(f, removal), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	assert_string_equal(f->c.recs[0].recipient, "leaver@example.org");
	assert_string_equal(f->c.recs[0].diagnostic, "opt-out");
	assert_string_equal(f->c.recs[0].sender, "news@example.com");

	static const char original_to[] =
		"From: postmaster@isp.example.net\n"
		"Subject: Report\n"
		"Content-Type: multipart/mixed; boundary=\"M\"\n"
		"\n"
		"--M\n"
		"Content-Type: message/feedback-report\n"
		"\n"
		"Feedback-Type: abuse\n"
		"Received-Date: 7 Mar 2024 09:00:00 +0000\n"
		"\n"
		"--M\n"
		"Content-Type: message/rfc822\n"
		"\n"
		"From: news@example.com\n"
		"To: \"Reader, Ann\" <Ann.Reader@example.org>, bob@example.org\n"
		"Subject: News\n"
		"\n"
		"x\n"
		"--M--\n";
	assert_int_equal(decode(f, original_to), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	assert_string_equal(f->c.recs[0].recipient, "ann.reader@example.org");
	assert_string_equal(f->c.recs[0].decoder, "arf");
	assert_string_equal(f->c.recs[0].reason, "feedback");
	/* No Date: the report's Received-Date. */
	assert_int_equal(f->c.recs[0].timestamp, 1709802000);
}

/* ---- automatic replies ------------------------------------------------------------ */

static const char ooo[] =
	"Date: Mon, 18 Mar 2024 14:00:00 +0000\n"
	"From: Maria Keller <Maria.Keller@Example.org>\n"
	"To: jens@example.com\n"
	"Subject: Out of Office: Budget   review\n"
	"Auto-Submitted: auto-replied\n"
	"In-Reply-To: <budget@example.com>\n"
	"\n"
	"I am away until 25 March.\n";

static void test_vacation(void **state)
{
	fixture *f = *state;
	assert_int_equal(decode(f, ooo), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	const dx_record *r = &f->c.recs[0];
	assert_int_equal(r->index, 1);
	assert_int_equal(r->timestamp, 1710770400);
	assert_string_equal(r->recipient, "maria.keller@example.org");
	assert_string_equal(r->domain, "example.org");
	assert_string_equal(r->reason, "vacation");
	assert_string_equal(r->decoder, "rfc3834");
	assert_string_equal(r->diagnostic, "Out of Office: Budget review");
	assert_string_equal(r->reporting_mta, "");
	/* The message replied to: its author (the auto-reply's To), its
	 * subject (after the prefix) and Message-ID (In-Reply-To). */
	assert_string_equal(r->sender, "jens@example.com");
	assert_string_equal(r->subject, "Budget   review");
	assert_string_equal(r->message_id, "budget@example.com");
	assert_not_failure(r);
}

/* Each sign alone is enough. */
static void test_vacation_signs(void **state)
{
	fixture *f = *state;
	static const struct {
		const char *msg;
		const char *recipient;
		const char *diagnostic;
	} cases[] = {
		{"From: a@example.org\nSubject: Thanks\nX-Autoreply: yes\n\nAway.\n", "a@example.org", "Thanks"},
		{"From: b@example.org\nSubject: Re: order\nX-Autorespond: Re: order\n\nAway.\n", "b@example.org",
		 "Re: order"},
		{"From: c@example.org\nSubject: Away\nPrecedence: auto_reply\n\nAway.\n", "c@example.org", "Away"},
		{"From: d@example.org\nSubject: Automatic reply: Budget\n\nAway.\n", "d@example.org",
		 "Automatic reply: Budget"},
		{"From: e@example.org\nSubject: AUTO-REPLY : Budget\n\nAway.\n", "e@example.org", "AUTO-REPLY : Budget"},
		{"From: f@example.org\nSubject: Abwesenheitsnotiz: Budget\n\nAway.\n", "f@example.org",
		 "Abwesenheitsnotiz: Budget"},
		{"From: g@example.org\nSubject: =?utf-8?Q?R=C3=A9ponse_automatique_:_Devis?=\n\nAway.\n",
		 "g@example.org", "R\xc3\xa9ponse automatique : Devis"},
		{"From: h@example.org\nSubject: =?utf-8?B?6Ieq5YuV6L+U5L+hOiDjgYrnn6XjgonjgZs=?=\n\nAway.\n",
		 "h@example.org", "\xe8\x87\xaa\xe5\x8b\x95\xe8\xbf\x94\xe4\xbf\xa1: \xe3\x81\x8a\xe7\x9f\xa5\xe3\x82\x89\xe3\x81\x9b"},
		{"From: i@example.org\nSubject: Auto: Budget\n\nAway.\n", "i@example.org", "Auto: Budget"},
		{"From: n@example.org\nSubject: =?utf-8?B?0JDQstGC0L7QvtGC0LLQtdGCOiBNZWV0aW5n?=\n\nAway.\n", "n@example.org",
		 "\xd0\x90\xd0\xb2\xd1\x82\xd0\xbe\xd0\xbe\xd1\x82\xd0\xb2\xd0\xb5\xd1\x82: Meeting"}, /* ru: Автоответ */
		{"From: o@example.org\nSubject: =?utf-8?Q?Odpowied=C5=BA_automatyczna:_Spotkanie?=\n\nAway.\n", "o@example.org",
		 "Odpowied\xc5\xba automatyczna: Spotkanie"},
		{"From: j@example.org\nSubject: Jane Roe is out of the office.\n\nAway.\n", "j@example.org",
		 "Jane Roe is out of the office."},
		{"From: k@example.org\nAuto-Submitted: Auto-Replied; owner-email=\"k@example.org\"\n\nAway.\n",
		 "k@example.org", ""},
		/* An acknowledgement from a null sender. */
		{"Return-Path: <>\nFrom: John Smith <l@example.org>\nSubject: Thank you for your e-mail\n"
		 "Precedence: bulk\n\nI will reply as soon as possible.\n",
		 "l@example.org", "Thank you for your e-mail"},
		{"Return-Path: <>\nFrom: m@example.org\nSubject: Thanks for contacting Example Ltd\n\nTicket 7.\n",
		 "m@example.org", "Thanks for contacting Example Ltd"},
	};
	for (size_t i = 0; i < NELEM(cases); i++) {
		if (decode(f, cases[i].msg) != DX_DECODED || f->c.n != 1)
			fail_msg("case %zu not decoded: %s", i, cases[i].msg);
		assert_string_equal(f->c.recs[0].recipient, cases[i].recipient);
		assert_string_equal(f->c.recs[0].reason, "vacation");
		assert_string_equal(f->c.recs[0].decoder, "rfc3834");
		assert_string_equal(f->c.recs[0].diagnostic, cases[i].diagnostic);
	}
}

/* Mail that is not an auto-reply gives no vacation record. */
static void test_not_vacation(void **state)
{
	fixture *f = *state;
	static const char *const plain[] = {
		/* auto-generated is not auto-replied */
		"From: robot@example.org\nSubject: Your invoice\nAuto-Submitted: auto-generated\n\nHello.\n",
		"From: a@example.org\nSubject: Thanks\nX-Autoreply: no\n\nHi.\n",
		"From: a@example.org\nSubject: Automatic replies are annoying\n\nHi.\n",
		"From: a@example.org\nSubject: Autoresponder setup\nPrecedence: bulk\n\nHi.\n",
		/* no address in From */
		"From: Someone\nSubject: Automatic reply: x\nAuto-Submitted: auto-replied\n\nHi.\n",
		/* a mailing list's robots: a post held for moderation, a
		 * subscription to confirm */
		"From: staff-owner@lists.example.org\nSubject: Your message to Staff awaits moderator approval\n"
		"Auto-Submitted: auto-replied\n\nHeld.\n",
		"From: Mailman <mailman@lists.example.org>\nSubject: Auto-response for your message\n"
		"Auto-Submitted: auto-replied\n\nHi.\n",
		"From: owner-news@lists.example.org\nSubject: Auto: confirm\nX-Autoreply: yes\n\nHi.\n",
		"From: news-request@lists.example.org\nSubject: Automatic reply: subscribe\nAuto-Submitted: auto-replied\n\nHi.\n",
		/* a challenge-response service holding the message */
		"From: verify@cr.example.net\nSubject: Re: contract\nAuto-Submitted: auto-replied\n\n"
		"Your message is being held until you confirm that you are a human.\n",
		"From: gate@cr.example.net\nSubject: Automatic reply: contract\nX-Autoreply: yes\n\n"
		"This address uses challenge-response filtering. Please verify your message.\n",
		/* a person's thanks: a sender of their own */
		"Return-Path: <ann@example.org>\nFrom: ann@example.org\nSubject: Thank you for your e-mail\n\nHi.\n",
		"From: ann@example.org\nSubject: Thanks for your message\n\nHi.\n",
		/* a null sender, but no acknowledgement */
		"Return-Path: <>\nFrom: ann@example.org\nSubject: Thank you\n\nHi.\n",
		"Return-Path: <>\nFrom: ann@example.org\nSubject: Thanks for your help with the budget\n\nHi.\n",
	};
	for (size_t i = 0; i < NELEM(plain); i++) {
		if (decode(f, plain[i]) != DX_NOT_BOUNCE || f->c.n != 0)
			fail_msg("case %zu decoded: %s", i, plain[i]);
	}
}

static const char dsn_auto_replied[] =
	"Date: Tue, 19 Mar 2024 10:00:00 +0000\n"
	"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
	"To: sender@example.com\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"Auto-Submitted: auto-replied\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"D\"\n"
	"\n"
	"--D\n"
	"Content-Type: text/plain\n"
	"\n"
	"Your message could not be delivered.\n"
	"\n"
	"--D\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Reporting-MTA: dns; mx.example.net\n"
	"\n"
	"Final-Recipient: rfc822; gone@example.net\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"Diagnostic-Code: smtp; 550 5.1.1 <gone@example.net>: Recipient address rejected: User unknown\n"
	"\n"
	"--D--\n";

/* Delivery reports carry Auto-Submitted: auto-replied too. */
static void test_dsn_is_not_vacation(void **state)
{
	fixture *f = *state;
	assert_int_equal(decode(f, dsn_auto_replied), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	const dx_record *r = &f->c.recs[0];
	assert_string_equal(r->decoder, "rfc3464");
	assert_string_equal(r->recipient, "gone@example.net");
	assert_string_equal(r->reason, "userunknown");
	assert_string_equal(r->status, "5.1.1");
	assert_int_equal(r->reply_code, 550);
	assert_int_equal(r->hard_bounce, 1);

	/* Neither is a bounce without a report part: by subject, by sender, by
	 * X-Failed-Recipients, or with a delivery-status part in a multipart. */
	static const char *const bounces[] = {
		"From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
		"Subject: Mail delivery failed: returning message to sender\n"
		"Auto-Submitted: auto-replied\n\nThis message was created automatically.\n",
		"From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
		"Subject: Automatic reply: x\nAuto-Submitted: auto-replied\n\nx\n",
		"From: Ann <ann@example.org>\nSubject: Undeliverable: x\nAuto-Submitted: auto-replied\n\nx\n",
		"From: Ann <ann@example.org>\nSubject: Automatic reply: x\nX-Failed-Recipients: bob@example.org\n"
		"Auto-Submitted: auto-replied\n\nx\n",
		"From: Ann <ann@example.org>\nSubject: Automatic reply: x\nAuto-Submitted: auto-replied\n"
		"Content-Type: multipart/mixed; boundary=\"Q\"\n\n--Q\nContent-Type: text/plain\n\nx\n"
		"--Q\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; a.example.org\n--Q--\n",
	};
	for (size_t i = 0; i < NELEM(bounces); i++) {
		decode(f, bounces[i]);
		for (unsigned k = 0; k < f->c.n; k++) {
			if (strcmp(f->c.recs[k].decoder, "rfc3834") == 0 || strcmp(f->c.recs[k].reason, "vacation") == 0)
				fail_msg("case %zu taken for a vacation notice", i);
		}
	}
}

/* ---- Amazon SES ------------------------------------------------------------------- */

#define SNS_HEADER                                                                      \
	"Date: Fri, 15 Mar 2024 10:21:07 +0000\n"                                       \
	"From: AWS Notifications <no-reply@sns.amazonaws.com>\n"                        \
	"To: ses-notices@example.com\n"                                                 \
	"Subject: AWS Notification Message\n"                                           \
	"Content-Type: text/plain; charset=UTF-8\n"                                     \
	"x-amz-sns-message-id: 6f1d2c3b-4a5e-5f60-8172-93a4b5c6d7e8\n"                   \
	"\n"

#define SNS_FOOTER                                                                      \
	"\n\n--\nIf you wish to stop receiving notifications from this topic, please "  \
	"click or visit the link below to unsubscribe:\nhttps://sns.example.com/u\n"

#define SES_MAIL                                                                        \
	"\"mail\":{\"timestamp\":\"2024-03-15T10:21:04.902Z\",\"source\":\"orders@example.com\","  \
	"\"messageId\":\"0100018e3b2f7b55-000000\",\"commonHeaders\":{\"from\":[\"Example Store " \
	"<Orders@Example.com>\"],\"to\":[\"ada@example.org\"],\"messageId\":\"<order-48213@example.com>\"," \
	"\"subject\":\"Your order #48213\\nhas shipped\"}}"

static const char ses_bounce[] =
	SNS_HEADER
	"\n"
	"{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bounceSubType\":\"General\","
	"\"bouncedRecipients\":[{\"emailAddress\":\"Ada@Example.org\",\"action\":\"failed\",\"status\":\"5.1.1\","
	"\"diagnosticCode\":\"smtp; 550 5.1.1 <ada@example.org>: Recipient address rejected: User unknown\"},"
	"{\"emailAddress\":\"Charles Babbage <charles@example.net>\",\"action\":\"failed\",\"status\":\"5.0.0\","
	"\"diagnosticCode\":\"smtp;  552   5.2.2 Mailbox full\"}],"
	"\"timestamp\":\"2024-03-15T10:21:06.418Z\",\"remoteMtaIp\":\"198.51.100.17\","
	"\"reportingMTA\":\"dsn; A48-110.smtp-out.example.com\"}," SES_MAIL "}"
	SNS_FOOTER;

static void test_ses_bounce(void **state)
{
	fixture *f = *state;
	assert_int_equal(decode(f, ses_bounce), DX_DECODED);
	assert_int_equal(f->c.n, 2);
	assert_int_equal(f->c.ndiags, 0);
	static const struct {
		const char *recipient, *domain, *status;
		int reply_code;
		const char *reason;
		int hard;
		const char *diagnostic;
	} want[] = {
		{"ada@example.org", "example.org", "5.1.1", 550, "userunknown", 1,
		 "550 5.1.1 <ada@example.org>: Recipient address rejected: User unknown"},
		/* The generic 5.0.0 gives way to the diagnostic's 5.2.2. */
		{"charles@example.net", "example.net", "5.2.2", 552, "mailboxfull", 0, "552 5.2.2 Mailbox full"},
	};
	for (unsigned i = 0; i < 2; i++) {
		const dx_record *r = &f->c.recs[i];
		assert_int_equal(r->index, i + 1);
		assert_int_equal(r->timestamp, 1710498066); /* bounce.timestamp */
		assert_string_equal(r->recipient, want[i].recipient);
		assert_string_equal(r->domain, want[i].domain);
		assert_string_equal(r->action, "failed");
		assert_string_equal(r->status, want[i].status);
		assert_int_equal(r->reply_code, want[i].reply_code);
		assert_string_equal(r->reason, want[i].reason);
		assert_int_equal(r->hard_bounce, want[i].hard);
		assert_string_equal(r->reporting_mta, "a48-110.smtp-out.example.com");
		assert_string_equal(r->remote_mta, "198.51.100.17");
		assert_string_equal(r->diagnostic, want[i].diagnostic);
		assert_string_equal(r->sender, "orders@example.com");
		/* A newline in the JSON subject cannot break the header. */
		assert_string_equal(r->subject, "Your order #48213 has shipped");
		assert_string_equal(r->message_id, "order-48213@example.com");
		assert_string_equal(r->decoder, "amazonses");
	}
}

static void test_ses_variants(void **state)
{
	fixture *f = *state;
	/* Transient without an action is delayed; no commonHeaders: the
	 * headers list, then mail.source; the mail timestamp when the bounce
	 * has none; a split line joined again. */
	static const char transient[] =
		SNS_HEADER
		"{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Transient\",\"bouncedRecipients\":"
		"[{\"emailAddress\":\"full@example.org\",\"diagnosticCode\":\"452 4.2.2 Over quota\"}]},"
		"\"mail\":{\"timestamp\":\"2024-03-15T10:21:04Z\",\"source\":\"src@example.com\",\"head!\n"
		" ers\":[{\"name\":\"subject\",\"value\":\"Hello\"},{\"name\":\"Message-Id\",\"value\":\"abc@example.com\"}]}}\n";
	assert_int_equal(decode(f, transient), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	const dx_record *r = &f->c.recs[0];
	assert_string_equal(r->recipient, "full@example.org");
	assert_string_equal(r->action, "delayed");
	assert_string_equal(r->status, "4.2.2");
	assert_int_equal(r->reply_code, 452);
	assert_string_equal(r->diagnostic, "452 4.2.2 Over quota");
	assert_int_equal(r->timestamp, 1710498064);
	assert_string_equal(r->sender, "src@example.com");
	assert_string_equal(r->subject, "Hello");
	assert_string_equal(r->message_id, "abc@example.com");
	assert_string_equal(r->reporting_mta, "");
	assert_string_equal(r->remote_mta, "");

	/* An SNS envelope whose Message is the notification as a string;
	 * eventType (event publishing) instead of notificationType. */
	static const char envelope[] =
		SNS_HEADER
		"{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"1d2e3f\",\n"
		"  \"Message\" : \"{\\\"eventType\\\":\\\"Bounce\\\",\\\"bounce\\\":{\\\"bounceType\\\":\\\"Permanent\\\","
		"\\\"bouncedRecipients\\\":[{\\\"emailAddress\\\":\\\"nobody@example.net\\\",\\\"status\\\":\\\"5.1.1\\\"}],"
		"\\\"timestamp\\\":\\\"2024-03-16T07:45:10Z\\\"}}\"\n}\n" SNS_FOOTER;
	assert_int_equal(decode(f, envelope), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	r = &f->c.recs[0];
	assert_string_equal(r->recipient, "nobody@example.net");
	assert_string_equal(r->action, "failed");
	assert_string_equal(r->status, "5.1.1");
	assert_int_equal(r->reply_code, 0);
	assert_string_equal(r->diagnostic, "");
	assert_int_equal(r->timestamp, 1710575110);
	assert_string_equal(r->sender, "");
	assert_string_equal(r->decoder, "amazonses");

	/* Other event types, and a bounce without recipients, are not read. */
	static const char *const others[] = {
		SNS_HEADER "{\"notificationType\":\"Received\",\"receipt\":{}}\n",
		SNS_HEADER "{\"eventType\":\"Open\",\"open\":{}}\n",
		SNS_HEADER "{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":[]}}\n",
		SNS_HEADER "{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":[{\"emailAddress\":\"x\"}]}}\n",
		SNS_HEADER "[{\"notificationType\":\"Bounce\"}]\n",
		SNS_HEADER "Hello, notificationType is a word.\n",
	};
	for (size_t i = 0; i < NELEM(others); i++) {
		if (decode(f, others[i]) != DX_NOT_BOUNCE || f->c.n != 0)
			fail_msg("case %zu decoded", i);
	}
}

static const char ses_complaint[] =
	SNS_HEADER
	"{\"notificationType\":\"Complaint\",\"complaint\":{\"complainedRecipients\":"
	"[{\"emailAddress\":\"Grumpy@Example.net\"}],\"timestamp\":\"2024-03-16T07:45:09.000Z\","
	"\"feedbackId\":\"0100018e\",\"userAgent\":\"ExampleISP FBL\",\"complaintFeedbackType\":\"abuse\"},"
	SES_MAIL "}" SNS_FOOTER;

static void test_ses_complaint(void **state)
{
	fixture *f = *state;
	assert_int_equal(decode(f, ses_complaint), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	const dx_record *r = &f->c.recs[0];
	assert_int_equal(r->timestamp, 1710575109);
	assert_string_equal(r->recipient, "grumpy@example.net");
	assert_string_equal(r->domain, "example.net");
	assert_string_equal(r->reason, "feedback");
	assert_string_equal(r->diagnostic, "abuse");
	assert_string_equal(r->reporting_mta, "");
	assert_string_equal(r->sender, "orders@example.com");
	assert_string_equal(r->subject, "Your order #48213 has shipped");
	assert_string_equal(r->message_id, "order-48213@example.com");
	assert_string_equal(r->decoder, "amazonses");
	assert_not_failure(r);
}

static const char ses_delivery[] =
	SNS_HEADER
	"{\"notificationType\":\"Delivery\"," SES_MAIL ",\"delivery\":{\"timestamp\":\"2024-03-15T10:21:06.1Z\","
	"\"processingTimeMillis\":1200,\"recipients\":[\"ada@example.org\"],"
	"\"smtpResponse\":\"250 Ok: queued as 4QpB9c3\",\"remoteMtaIp\":\"198.51.100.17\","
	"\"reportingMTA\":\"a48-110.smtp-out.example.com\"}}" SNS_FOOTER;

/* Without include_delivered: decoded, but no record. */
static void test_ses_delivery_hidden(void **state)
{
	fixture *f = *state;
	assert_int_equal(decode(f, ses_delivery), DX_DECODED);
	assert_int_equal(f->c.n, 0);
}

static void test_ses_delivery(void **state)
{
	fixture *f = *state;
	assert_int_equal(decode(f, ses_delivery), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	const dx_record *r = &f->c.recs[0];
	assert_int_equal(r->timestamp, 1710498066);
	assert_string_equal(r->recipient, "ada@example.org");
	assert_string_equal(r->action, "delivered");
	assert_string_equal(r->status, "2.6.0");
	assert_int_equal(r->reply_code, 250);
	assert_string_equal(r->reason, "delivered");
	assert_int_equal(r->hard_bounce, 0);
	assert_string_equal(r->diagnostic, "250 Ok: queued as 4QpB9c3");
	assert_string_equal(r->reporting_mta, "a48-110.smtp-out.example.com");
	assert_string_equal(r->remote_mta, "198.51.100.17");
	assert_string_equal(r->sender, "orders@example.com");
	assert_string_equal(r->decoder, "amazonses");

	/* A status in the response is taken instead of 2.6.0. */
	static const char with_status[] =
		SNS_HEADER "{\"notificationType\":\"Delivery\",\"delivery\":{\"recipients\":[\"b@example.org\"],"
		"\"smtpResponse\":\"250 2.0.0 OK 1710498066\"}}\n";
	assert_int_equal(decode(f, with_status), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	assert_string_equal(f->c.recs[0].status, "2.0.0");
	assert_int_equal(f->c.recs[0].reply_code, 250);
	assert_int_equal(f->c.recs[0].timestamp, 1710498067); /* the message's Date */
}

/* Broken JSON: no record, no crash. */
static void test_ses_malformed(void **state)
{
	fixture *f = *state;
	/* Truncated at every length. */
	const char *body = strstr(ses_bounce, "\n\n{") + 2;
	size_t head = (size_t)(body - ses_bounce);
	size_t json_len = (size_t)(strstr(body, "}\n\n--") + 1 - body);
	for (size_t cut = 0; cut < json_len; cut++) {
		if (decode_len(f, ses_bounce, head + cut) != DX_NOT_BOUNCE || f->c.n != 0)
			fail_msg("truncated at %zu decoded", cut);
	}

	/* Nested 1000 levels deep, in the notification and in the SNS
	 * envelope's string. */
	static const char pre[] = SNS_HEADER "{\"notificationType\":\"Bounce\",\"bounce\":";
	size_t depth = 1000;
	char *m = malloc(sizeof pre + 2 * depth + 8);
	assert_non_null(m);
	memcpy(m, pre, sizeof pre - 1);
	size_t k = sizeof pre - 1;
	memset(m + k, '[', depth);
	k += depth;
	memset(m + k, ']', depth);
	k += depth;
	memcpy(m + k, "}\n", 3);
	assert_int_equal(decode(f, m), DX_NOT_BOUNCE);
	assert_int_equal(f->c.n, 0);
	free(m);

	static const char env_pre[] = SNS_HEADER "{\"Type\":\"Notification\",\"Message\":\"{\\\"eventType\\\":\\\"Bounce\\\",\\\"x\\\":";
	m = malloc(sizeof env_pre + 2 * depth + 8);
	assert_non_null(m);
	memcpy(m, env_pre, sizeof env_pre - 1);
	k = sizeof env_pre - 1;
	/* {\"a\":{\"a\":{ ... }}} inside the string: 125 levels, closed. */
	size_t levels = depth / 8;
	m[k++] = '{';
	for (size_t i = 1; i < levels; i++) {
		memcpy(m + k, "\\\"a\\\":{", 7);
		k += 7;
	}
	memset(m + k, '}', levels);
	k += levels;
	memcpy(m + k, "\"}\n", 4);
	assert_int_equal(decode(f, m), DX_NOT_BOUNCE);
	assert_int_equal(f->c.n, 0);
	free(m);

	/* Invalid escapes: where they make the JSON malformed, and where they
	 * spoil the type or the address. */
	static const char *const bad[] = {
		SNS_HEADER "{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":"
			   "[{\"emailAddress\":\"a@example.org\\\"}]}}\n",
		SNS_HEADER "{\"notificationType\":\"Bo\\unce\",\"bounce\":{\"bouncedRecipients\":"
			   "[{\"emailAddress\":\"a@example.org\"}]}}\n",
		SNS_HEADER "{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":"
			   "[{\"emailAddress\":\"\\x\\ud800\\q\"}]}}\n",
		SNS_HEADER "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounced\\Recipients\":"
			   "[{\"emailAddress\":\"a@example.org\"}]}}\n",
		SNS_HEADER "{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":"
			   "[{\"emailAddress\":\"a@example.org\"}]}\\u}\n",
		SNS_HEADER "{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":"
			   "[{\"emailAddress\":\"a@example.org\",}]}}\n",
		SNS_HEADER "{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":"
			   "[{\"emailAddress\":\"a@exa\nmple.org\"}]}}\n",
	};
	for (size_t i = 0; i < NELEM(bad); i++) {
		if (decode(f, bad[i]) != DX_NOT_BOUNCE || f->c.n != 0)
			fail_msg("case %zu decoded", i);
	}
}

/* ---- Sendmail session transcripts: the host each recipient failed at --------- */

/* v8: the recipient's line gives the remote's reply, not its host; the
 * transcript of the session with the host holds the same reply (with the
 * blanks as the remote wrote them) but names no recipient: the failure
 * came at MAIL FROM. */
static const char session_v8[] =
	"From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.jp>\n"
	"To: sender@example.jp\n"
	"Subject: Returned mail: see transcript for details\n"
	"Date: Tue, 3 Mar 2026 10:00:00 +0900\n"
	"\n"
	"The original message was received at Tue, 3 Mar 2026 09:59:00 +0900\n"
	"from client.example.jp [192.0.2.3]\n"
	"\n"
	"   ----- The following addresses had permanent fatal errors -----\n"
	"<big@dest.example.org>\n"
	"    (reason: 552 5.2.3 Message size exceeds fixed maximum message size (10485760))\n"
	"<other@elsewhere.example.net>\n"
	"    (reason: 550 5.1.1 User unknown)\n"
	"\n"
	"   ----- Transcript of session follows -----\n"
	"... while talking to mx.dest.example.org.:\n"
	">>> MAIL From:<sender@example.jp> SIZE=16600348\n"
	"<<< 552 5.2.3 Message  size exceeds fixed maximum message size (10485760)\n"
	"554 5.0.0 Service unavailable\n"
	"\n"
	"   ----- Original message follows -----\n"
	"From: sender@example.jp\n"
	"To: big@dest.example.org\n"
	"Subject: photos\n"
	"\n"
	"...\n";

/* Two sessions, each refused at its own stage: the sender at one host,
 * the recipient at the other. */
static const char sessions_two_stages[] =
	"From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.jp>\n"
	"To: sender@example.jp\n"
	"Subject: Returned mail: see transcript for details\n"
	"Date: Tue, 3 Mar 2026 10:00:00 +0900\n"
	"\n"
	"   ----- The following addresses had permanent fatal errors -----\n"
	"<one@alpha.example.org>\n"
	"    (reason: 553 5.1.8 Domain of sender address sender@example.jp does not exist)\n"
	"<two@beta.example.net>\n"
	"    (reason: 550 5.1.1 User unknown)\n"
	"\n"
	"   ----- Transcript of session follows -----\n"
	"... while talking to mx.alpha.example.org.:\n"
	">>> MAIL From:<sender@example.jp> SIZE=1200\n"
	"<<< 553 5.1.8 Domain of sender address sender@example.jp does not exist\n"
	"... while talking to mx.beta.example.net.:\n"
	">>> RCPT To:<two@beta.example.net>\n"
	"<<< 550 5.1.1 User unknown\n"
	"550 5.1.1 <two@beta.example.net>... User unknown\n"
	"\n"
	"   ----- Original message follows -----\n"
	"From: sender@example.jp\n"
	"Subject: hello\n"
	"\n"
	"...\n";

/* A host that refuses the connection in its greeting, before any command;
 * another recipient in no session. */
static const char session_greeting[] =
	"From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.jp>\n"
	"To: sender@example.jp\n"
	"Subject: Returned mail: see transcript for details\n"
	"\n"
	"   ----- The following addresses had permanent fatal errors -----\n"
	"<gone@nxdomain.example>\n"
	"    (reason: 550 Host unknown)\n"
	"<two@beta.example.net>\n"
	"    (reason: 554 mx.beta.example.net ESMTP not accepting messages)\n"
	"\n"
	"   ----- Transcript of session follows -----\n"
	"550 5.1.2 <gone@nxdomain.example>... Host unknown (Name server: nxdomain.example: host not found)\n"
	"... while talking to mx.beta.example.net.:\n"
	"<<< 554 mx.beta.example.net ESMTP not accepting messages\n"
	"554 5.0.0 <two@beta.example.net>... Service unavailable\n";

/* v5: one host's session after another's, each with the summary lines
 * Sendmail writes; a recipient whose domain has no host is in none. */
static const char session_v5[] =
	"From: Mail Delivery Subsystem <MAILER-DAEMON@mx5.example.com>\n"
	"To: sender@example.jp\n"
	"Subject: Returned mail: User unknown\n"
	"Date: Thu, 29 Apr 1999 23:34:45 +0900\n"
	"\n"
	"   ----- Transcript of session follows -----\n"
	"While talking to mx.one.example.edu:\n"
	">>> DATA\n"
	"<<< 554 Message refused by policy\n"
	"554 <a@one.example.edu>... Service unavailable\n"
	"550 gone.example.org (smtp)... 550 Host unknown\n"
	"554 <b@gone.example.org>... 550 Host unknown (Authoritative answer from name server)\n"
	"While talking to mail.two.example.co.jp:\n"
	">>> RCPT To:<c@two.example.co.jp>\n"
	"<<< 550 Requested mailbox not found\n"
	"550 <c@two.example.co.jp>... User unknown\n"
	"\n"
	"   ----- Unsent message follows -----\n"
	"From: sender@example.jp\n"
	"Subject: hi\n"
	"\n"
	"hi\n";

/* The same reply from two hosts' sessions: which host a recipient whose
 * line only repeats it failed at is not known. */
static const char session_twice[] =
	"From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.jp>\n"
	"To: sender@example.jp\n"
	"Subject: Returned mail: see transcript for details\n"
	"Date: Tue, 3 Mar 2026 10:00:00 +0900\n"
	"\n"
	"   ----- The following addresses had permanent fatal errors -----\n"
	"<x@dest.example.org>\n"
	"    (reason: 554 5.7.1 Rejected by policy)\n"
	"\n"
	"   ----- Transcript of session follows -----\n"
	"... while talking to mx1.dest.example.org.:\n"
	">>> DATA\n"
	"<<< 554 5.7.1 Rejected by policy\n"
	"\n"
	"... while talking to mx2.dest.example.org.:\n"
	">>> DATA\n"
	"<<< 554 5.7.1 Rejected by policy\n"
	"554 5.0.0 Service unavailable\n"
	"\n"
	"   ----- Original message follows -----\n"
	"From: sender@example.jp\n"
	"Subject: hi\n"
	"\n"
	"hi\n";

/* A gateway that quotes the remote's reply line, its code before the
 * address, then lists the recipients again with its own details. */
static const char quoted_reply[] =
	"From: postmaster@gw.example.com\n"
	"To: sender@example.org\n"
	"Subject: Undeliverable Mail: \"Project plan\"\n"
	"Date: Mon, 9 Mar 2015 08:30:12 +0900\n"
	"\n"
	"Your message:\n"
	"\n"
	"   From:    sender@example.org\n"
	"   Subject: Project plan\n"
	"\n"
	"Could not be delivered because of\n"
	"\n"
	"550 5.1.1 <kenji@dest.example.jp>... User unknown\n"
	"\n"
	"The following recipients were affected: \n"
	"    kenji@dest.example.jp\n"
	"\n"
	"Additional Information\n"
	"======================\n"
	"\n"
	"Original Sender:    <sender@example.org>\n"
	"Recipient:          <kenji@dest.example.jp>\n";

/* Sendmail's summary of the session's own host ("421 host (smtp)...
 * Deferred") does not end the session: the recipient line after it gets
 * the host's answer and the host. */
static const char session_same_host[] =
	"From: Mail Delivery Subsystem <MAILER-DAEMON@mx5.example.com>\n"
	"To: sender@example.jp\n"
	"Subject: Returned mail: Remote protocol error\n"
	"Date: Thu, 29 Apr 1999 23:34:45 +0900\n"
	"\n"
	"   ----- Transcript of session follows -----\n"
	"While talking to mx.one.example.edu:\n"
	">>> DATA\n"
	"<<< 550 You may not send mail to yourself\n"
	"421 mx.one.example.edu (smtp)... Deferred: Connection reset by peer\n"
	"554 <a@one.example.edu>... Remote protocol error\n"
	"\n"
	"   ----- Unsent message follows -----\n"
	"From: sender@example.jp\n"
	"Subject: hi\n"
	"\n"
	"hi\n";

/* A localised NDR no decoder is named after, quoting the remote's reply. */
static const char quoted_in_quotes[] =
	"From: postmaster@corp.example.fr\n"
	"To: sender@example.org\n"
	"Subject: Non remis : Rapport\n"
	"\n"
	"La remise a \xc3\xa9" "chou\xc3\xa9 pour ces destinataires ou groupes :\n"
	"\n"
	"claire@dest.example.fr\n"
	"Le serveur distant mx.dest.example.fr a retourn\xc3\xa9 '550 5.2.2 Mailbox full'\n";

static void test_reply_lines(void **state)
{
	fixture *f = *state;
	assert_int_equal(decode(f, quoted_in_quotes), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	assert_string_equal(f->c.recs[0].diagnostic, "550 5.2.2 Mailbox full");
	assert_string_equal(f->c.recs[0].reason, "mailboxfull");
	assert_string_equal(f->c.recs[0].remote_mta, "mx.dest.example.fr");
	assert_int_equal(decode(f, quoted_reply), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	/* The quoted line alone: not its words twice, nor the gateway's
	 * details after it. */
	assert_string_equal(f->c.recs[0].diagnostic, "550 5.1.1 <kenji@dest.example.jp>... User unknown");
	assert_int_equal(f->c.recs[0].reply_code, 550);
	assert_string_equal(f->c.recs[0].status, "5.1.1");
	assert_string_equal(f->c.recs[0].reason, "userunknown");

	assert_int_equal(decode(f, session_same_host), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	assert_int_equal(f->c.recs[0].reply_code, 550);
	assert_string_equal(f->c.recs[0].remote_mta, "mx.one.example.edu");
	assert_non_null(strstr(f->c.recs[0].diagnostic, "550 You may not send mail to yourself"));
}

static const dx_record *rec_for(const fixture *f, const char *rcpt)
{
	for (unsigned i = 0; i < f->c.n; i++)
		if (strcmp(f->c.recs[i].recipient, rcpt) == 0)
			return &f->c.recs[i];
	fail_msg("no record for %s", rcpt);
	return NULL;
}

static void test_session_hosts(void **state)
{
	fixture *f = *state;
	assert_int_equal(decode(f, session_v8), DX_DECODED);
	assert_int_equal(f->c.n, 2);
	const dx_record *big = rec_for(f, "big@dest.example.org");
	assert_string_equal(big->remote_mta, "mx.dest.example.org");
	assert_string_equal(big->status, "5.2.3");
	/* Its reply is in no session, nor is its address. */
	assert_string_equal(rec_for(f, "other@elsewhere.example.net")->remote_mta, "");

	assert_int_equal(decode(f, session_v5), DX_DECODED);
	assert_int_equal(f->c.n, 3);
	assert_string_equal(rec_for(f, "a@one.example.edu")->remote_mta, "mx.one.example.edu");
	/* After another host's summary line, the first session is over. */
	assert_string_equal(rec_for(f, "b@gone.example.org")->remote_mta, "");
	assert_string_equal(rec_for(f, "c@two.example.co.jp")->remote_mta, "mail.two.example.co.jp");

	assert_int_equal(decode(f, session_twice), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	assert_string_equal(f->c.recs[0].remote_mta, "");
}

/* qmail names the host before what it did; Exchange after "Remote Server
 * at". */
static const char qmail_hosts[] =
	"From: MAILER-DAEMON@mail.example.jp\n"
	"To: sender@example.jp\n"
	"Subject: failure notice\n"
	"Date: Mon, 24 Jun 2024 17:58:07 +0900\n"
	"\n"
	"Hi. This is the qmail-send program at mail.example.jp.\n"
	"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
	"This is a permanent error; I've given up. Sorry it didn't work out.\n"
	"\n"
	"<one@dest.example.com>:\n"
	"192.0.2.24 failed after I sent the message.\n"
	"Remote host said: 550 5.7.1 Message rejected as spam\n"
	"\n"
	"<two@dest.example.net>:\n"
	"198.51.100.7 does not like recipient.\n"
	"Remote host said: 550 5.1.1 <two@dest.example.net>: Recipient address rejected\n"
	"Giving up on 198.51.100.7.\n"
	"\n"
	"--- Below this line is a copy of the message.\n"
	"\n"
	"From: sender@example.jp\n"
	"Subject: hi\n"
	"\n"
	"hi\n";

static const char exchange_history[] =
	"From: postmaster@school.example.edu\n"
	"To: sender@example.org\n"
	"Subject: Undeliverable: news\n"
	"Date: Sun, 4 Sep 2016 06:05:56 +1000\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"xb\"\n"
	"\n"
	"--xb\n"
	"Content-Type: text/plain; charset=us-ascii\n"
	"\n"
	"Delivery has failed to these recipients or groups:\n"
	"\n"
	"pupil@student.example.edu\n"
	"The server has tried to deliver this message, without success, and has stopped trying.\n"
	"\n"
	"Diagnostic information for administrators:\n"
	"\n"
	"Generating server: exchange1.school.example.edu\n"
	"\n"
	"pupil@student.example.edu\n"
	"3/09/2016 8:05:56 PM - Remote Server at mx.student.example.edu (10.1.1.3) returned '550 4.4.7 QUEUE.Expired; message expired'\n"
	"\n"
	"--xb\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Reporting-MTA: dns;exchange1.school.example.edu\n"
	"\n"
	"Final-Recipient: rfc822;pupil@student.example.edu\n"
	"Action: failed\n"
	"Status: 4.4.7\n"
	"Diagnostic-Code: smtp;550 4.4.7 QUEUE.Expired; message expired\n"
	"\n"
	"--xb--\n";

/* A host in brackets after its lead, with a port. */
static const char bracket_host[] =
	"From: MAILER-DAEMON@mail.example.co.jp\n"
	"To: sender@example.jp\n"
	"Subject: Delivery failure\n"
	"Date: Thu, 9 Apr 2008 23:34:45 -0800\n"
	"\n"
	"Message from example.co.jp.\n"
	"Unable to deliver message to the following address(es).\n"
	"\n"
	"<far@dest.example.org>:\n"
	"unable to connect to remote server [192.0.2.222:25]: Operation timed out\n"
	"\n"
	"--- Original message follows.\n"
	"\n"
	"Subject: hi\n";

/* A lone recipient's host, named in the report's words apart from its
 * own lines: a name before its bracketed address ("did not like our"), and
 * Gmail's sentence (the domain, then "by" the host). */
static const char did_not_like[] =
	"From: MAILER-DAEMON@mail.example.jp\n"
	"To: sender@example.jp\n"
	"Subject: Mail delivery failed\n"
	"Date: Thu, 9 Apr 2020 23:34:45 +0900\n"
	"\n"
	"There was an error delivering your mail to <pat@dest.example.net>.\n"
	"\n"
	"mx.dest.example.net [192.0.2.25] did not like our RCPT TO:\n"
	"550 5.1.1 <pat@dest.example.net>: Recipient address rejected: User unknown\n"
	"\n"
	"Original message follows.\n"
	"\n"
	"Subject: hi\n";

static const char gmail_sentence[] =
	"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
	"To: sender@gmail.com\n"
	"Subject: Delivery Status Notification (Failure)\n"
	"Date: Thu, 9 Apr 2020 23:34:45 +0000\n"
	"\n"
	"Delivery to the following recipient failed permanently:\n"
	"\n"
	"     lee@dest.example.jp\n"
	"\n"
	"Technical details of permanent failure:\n"
	"Google tried to deliver your message, but it was rejected by the server for the recipient domain "
	"dest.example.jp by mx.dest.example.jp. [192.0.2.153].\n"
	"\n"
	"The error that the other server returned was:\n"
	"550 5.1.1 <lee@dest.example.jp>... User Unknown\n"
	"\n"
	"----- Original message -----\n"
	"\n"
	"Subject: hi\n";

static const char gmail_deferral[] =
	"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
	"To: sender@gmail.com\n"
	"Subject: Delivery Status Notification (Delay)\n"
	"Date: Thu, 9 Apr 2020 23:34:45 +0000\n"
	"\n"
	"Delivery to the following recipient has been delayed:\n"
	"\n"
	"     kim@dest.example.com\n"
	"\n"
	"Message will be retried for 2 more day(s)\n"
	"\n"
	"Technical details of temporary failure:\n"
	"The recipient server did not accept our requests to connect. "
	"[(10) mx.dest.example.com. [192.0.2.135]:25: Connection timed out]\n"
	"\n"
	"----- Original message -----\n"
	"\n"
	"Subject: hi\n";

/* A block list names the sender's own host ("Client host [ip]"): no
 * remote host. */
static const char client_host[] =
	"From: MAILER-DAEMON@mx.example.net\n"
	"To: sender@example.net\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"Date: Thu, 9 Apr 2020 23:34:45 +0000\n"
	"\n"
	"This is the mail system at host mx.example.net.\n"
	"\n"
	"<ann@dest.example.com>: 554 5.7.1 Service unavailable; Client host [192.0.2.5]\n"
	"    blocked using zen.spamhaus.org\n"
	"\n"
	"--- Below this line is a copy of the message.\n"
	"\n"
	"Subject: hi\n";

/* The remote named only in the sending server's own words: a greeting
 * that timed out and a connection lost mid-session (Postfix, one host
 * each), a connection refused (Sendmail). */
static const char postfix_own_words[] =
	"From: MAILER-DAEMON@out.example.com (Mail Delivery System)\n"
	"To: sender@example.com\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"Date: Mon, 3 Feb 2025 10:00:00 +0000\n"
	"\n"
	"This is the mail system at host out.example.com.\n"
	"\n"
	"<lee@dest.example.org>: conversation with mx2.dest.example.org[192.0.2.40]\n"
	"    timed out while receiving the initial server greeting\n"
	"\n"
	"<max@dest.example.net>: lost connection with mx.dest.example.net[192.0.2.41]\n"
	"    while sending RCPT TO\n"
	"\n"
	"--- Below this line is a copy of the message.\n";
static const char refused_by[] =
	"From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.com>\n"
	"To: sender@example.com\n"
	"Subject: Returned mail: see transcript for details\n"
	"Date: Mon, 3 Feb 2025 10:00:00 +0000\n"
	"\n"
	"   ----- The following addresses had permanent fatal errors -----\n"
	"<kit@dest.example.com>\n"
	"\n"
	"   ----- Transcript of session follows -----\n"
	"<kit@dest.example.com>... Deferred: Connection refused by mail.dest.example.com.\n"
	"Message could not be delivered for 5 days\n"
	"\n"
	"   ----- Original message follows -----\n";

/* A recipient named first in the returned message's details, then in the
 * list with its failure: the list is its account, which ends at the rule
 * line under it (not the report's closing words). */
static const char named_twice[] =
	"From: postmaster@mail.example.com\n"
	"To: sender@mail.example.com\n"
	"Subject: Undelivered mail returned to sender\n"
	"Date: Tue, 16 Sep 2025 10:31:09 +0800\n"
	"\n"
	"Sorry, your message could not be delivered.\n"
	"\n"
	"Original message details:\n"
	"Recipient: pat@dest.example\n"
	"\n"
	"Reason:\n"
	"The recipient's mailbox was not found.\n"
	"\n"
	"----------------------------------------\n"
	"Technical details:\n"
	"\n"
	"  pat@dest.example\n"
	"    SMTP error from remote mail server after RCPT TO:<pat@dest.example>:\n"
	"    host mx.dest.example [192.0.2.9]: 550 Mailbox not found\n"
	"----------------------------------------\n"
	"\n"
	"This message was sent automatically; please do not reply.\n";

/* Decodes a bounce that must give one record, and returns it. */
static const dx_record *only_record(fixture *f, const char *msg)
{
	assert_int_equal(decode(f, msg), DX_DECODED);
	assert_int_equal(f->c.n, 1);
	return &f->c.recs[0];
}

/* ...whose remote host must be `host` ("" for none). */
static const dx_record *lone_remote(fixture *f, const char *msg, const char *host)
{
	const dx_record *r = only_record(f, msg);
	assert_string_equal(r->remote_mta, host);
	return r;
}

/* ...whose recipient must be `rcpt`. */
static const dx_record *lone(fixture *f, const char *msg, const char *rcpt)
{
	const dx_record *r = only_record(f, msg);
	assert_string_equal(r->recipient, rcpt);
	return r;
}

static void test_remote_hosts_in_text(void **state)
{
	fixture *f = *state;
	assert_string_equal(lone_remote(f, client_host, "")->reason, "blocked");
	static const char your_host[] = "From: MAILER-DAEMON@mx.example.net\n"
					"Subject: Undelivered Mail Returned to Sender\n"
					"\n"
					"<ann@dest.example.com>: 550 5.7.1 Your host mail.example.net is not allowed\n"
					"\n"
					"--- Below this line is a copy of the message.\n";
	lone_remote(f, your_host, "");
	assert_string_equal(lone_remote(f, gmail_deferral, "mx.dest.example.com")->action, "delayed");
	lone_remote(f, did_not_like, "mx.dest.example.net");
	lone_remote(f, gmail_sentence, "mx.dest.example.jp");
	lone_remote(f, bracket_host, "192.0.2.222");
	assert_string_equal(lone_remote(f, exchange_history, "mx.student.example.edu")->status, "4.4.7");
	assert_int_equal(decode(f, postfix_own_words), DX_DECODED);
	assert_int_equal(f->c.n, 2);
	assert_string_equal(rec_for(f, "lee@dest.example.org")->remote_mta, "mx2.dest.example.org");
	assert_string_equal(rec_for(f, "max@dest.example.net")->remote_mta, "mx.dest.example.net");
	lone_remote(f, refused_by, "mail.dest.example.com");
	const dx_record *twice = lone_remote(f, named_twice, "mx.dest.example");
	assert_string_equal(twice->diagnostic, "550 Mailbox not found");
	assert_int_equal(twice->reply_code, 550);
	assert_int_equal(decode(f, qmail_hosts), DX_DECODED);
	assert_int_equal(f->c.n, 2);
	assert_string_equal(rec_for(f, "one@dest.example.com")->remote_mta, "192.0.2.24");
	assert_string_equal(rec_for(f, "two@dest.example.net")->remote_mta, "198.51.100.7");
}

/* A mailing-list manager's notices to a poster and to the list's owner,
 * with its own header fields: a refusal (the post returned), a hold (no
 * post), a bounce passed on to the owner (the bounce returned). */
#define MAILMAN_HEAD(subject, to)                                                                       \
	"From: birders-owner@lists.example.org\n"                                                       \
	"To: " to "\n"                                                                                   \
	"Subject: " subject "\n"                                                                         \
	"Date: Sat, 29 Nov 2025 12:30:11 +0000\n"                                                        \
	"X-BeenThere: birders@lists.example.org\n"                                                       \
	"X-Mailman-Version: 2.1.39\n"                                                                    \
	"List-Post: <mailto:birders@lists.example.org>\n"                                                \
	"X-List-Administrivia: yes\n"                                                                    \
	"MIME-Version: 1.0\n"
static const char mailman_reject[] =
	MAILMAN_HEAD("Your message to Birders rejected", "ann@example.net")
	"Content-Type: multipart/mixed; boundary=\"mm\"\n"
	"\n"
	"--mm\n"
	"Content-Type: text/plain; charset=us-ascii\n"
	"\n"
	"You are not allowed to post to this mailing list, and your message has\n"
	"been automatically rejected.  If you think that your messages are\n"
	"being rejected in error, contact the mailing list owner at\n"
	"birders-owner@lists.example.org.\n"
	"\n"
	"--mm\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: ann@example.net\n"
	"To: birders@lists.example.org\n"
	"Subject: herons\n"
	"\n"
	"Seen two this morning.\n"
	"--mm--\n";
static const char mailman_hold[] =
	MAILMAN_HEAD("Your message to Birders awaits moderator approval", "ann@example.net")
	"Content-Type: text/plain; charset=us-ascii\n"
	"\n"
	"Your mail to 'Birders' with the subject\n"
	"\n"
	"    herons\n"
	"\n"
	"Is being held until the list moderator can review it for approval.\n";
static const char mailman_uncaught[] =
	MAILMAN_HEAD("Uncaught bounce notification", "birders-owner@lists.example.org")
	"Content-Type: multipart/mixed; boundary=\"mm\"\n"
	"\n"
	"--mm\n"
	"Content-Type: text/plain; charset=us-ascii\n"
	"\n"
	"The attached message was received as a bounce, but either the bounce\n"
	"format was not recognized, or no member addresses could be extracted\n"
	"from it.\n"
	"\n"
	"--mm\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\n"
	"To: birders-bounces@lists.example.org\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"\n"
	"This is the mail system at host mx.example.com.\n"
	"\n"
	"<gone@example.com>: host mail.example.com[192.0.2.30] said: 550 5.1.1\n"
	"    <gone@example.com>: Recipient address rejected: User unknown (in reply to\n"
	"    RCPT TO command)\n"
	"--mm--\n";

/* fml's answer to a post from a non-member, the post quoted after it. */
static const char fml_not_member[] =
	"From: birds-admin@ml.example.jp\n"
	"To: poster@example.org\n"
	"Subject: You poster@example.org are not member (birds ML)\n"
	"Date: Fri, 17 May 2024 14:02:10 +0900\n"
	"X-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]; post only (only members can post)\n"
	"\n"
	"You are not a member of this mailing list <birds@ml.example.jp>.\n"
	"\n"
	"If you know the general guide of this list, please send mail with\n"
	"the mail body \"guide\" to birds-ctl@ml.example.jp\n"
	"\n"
	"Original mail as follows:\n"
	"\n"
	"From: poster@example.org\n"
	"To: birds@ml.example.jp\n"
	"Subject: spring count\n"
	"Message-ID: <count.1@example.org>\n"
	"\n"
	"Thirty swallows.\n";

static void test_list_manager(void **state)
{
	fixture *f = *state;
	const dx_record *r = lone(f, mailman_reject, "birders@lists.example.org");
	assert_string_equal(r->decoder, "mailman");
	assert_string_equal(r->action, "failed");
	assert_string_equal(r->reason, "rejected");
	assert_string_equal(r->reporting_mta, "lists.example.org");
	assert_int_equal(decode(f, mailman_hold), DX_NOT_BOUNCE);
	r = lone(f, mailman_uncaught, "gone@example.com");
	assert_string_equal(r->reason, "userunknown");
	/* fml: the list's address, not its -ctl or -admin address. */
	r = lone(f, fml_not_member, "birds@ml.example.jp");
	assert_string_equal(r->decoder, "fml");
	assert_string_equal(r->reason, "rejected");
	assert_string_equal(r->sender, "poster@example.org");
	assert_string_equal(r->subject, "spring count");
}

/* explain says where each remote host was read. */
typedef struct remote_seen {
	char by[8][64];
	char host[8][64];
	char command[8][8];
	unsigned n;
} remote_seen;

static int keep_remote_by(void *arg, const dx_explanation *x)
{
	remote_seen *rs = arg;
	assert_true(rs->n < 8);
	snprintf(rs->by[rs->n], sizeof rs->by[0], "%s", x->remote_by);
	snprintf(rs->host[rs->n], sizeof rs->host[0], "%s", x->record->remote_mta);
	snprintf(rs->command[rs->n], sizeof rs->command[0], "%s", x->command);
	rs->n++;
	return 0;
}

static void explain_remote(fixture *f, const char *msg, remote_seen *rs)
{
	memset(rs, 0, sizeof *rs);
	dx_message m = {.source = "extra.eml", .data = msg, .len = strlen(msg)};
	unsigned n = 0;
	assert_int_equal(dx_decode_explain(f->dctx, &m, keep_remote_by, rs, NULL, &n), DX_DECODED);
	assert_int_equal(n, rs->n);
}

static void test_remote_by(void **state)
{
	fixture *f = *state;
	remote_seen rs;
	/* A greeting that timed out failed at the connection. */
	explain_remote(f, postfix_own_words, &rs);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.command[0], "CONN");
	assert_string_equal(rs.command[1], "RCPT");
	explain_remote(f, session_v8, &rs);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.host[0], "mx.dest.example.org");
	assert_string_equal(rs.by[0], "the session transcript");
	assert_string_equal(rs.host[1], "");
	assert_string_equal(rs.by[1], "");
	/* Each recipient at the stage of its own session. */
	explain_remote(f, sessions_two_stages, &rs);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.host[0], "mx.alpha.example.org");
	assert_string_equal(rs.command[0], "MAIL");
	assert_string_equal(rs.host[1], "mx.beta.example.net");
	assert_string_equal(rs.command[1], "RCPT");
	explain_remote(f, session_greeting, &rs);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.command[0], "");
	assert_string_equal(rs.command[1], "CONN");
	assert_int_equal(decode(f, session_greeting), DX_DECODED);
	assert_int_equal(f->c.n, 2);
	assert_string_equal(f->c.recs[0].reason, "hostunknown");
	assert_string_equal(f->c.recs[1].reason, "blocked");
	/* Exim's pipelined stages: the end of data, or a recipient. */
	static const char exim_pipelined[] =
		"From: Mail Delivery System <Mailer-Daemon@relay.example.jp>\n"
		"Subject: Mail delivery failed: returning message to sender\n"
		"\n"
		"This message was created automatically by mail delivery software.\n"
		"\n"
		"A message that you sent could not be delivered to one or more of its\n"
		"recipients. This is a permanent error. The following address(es) failed:\n"
		"\n"
		"  a@b.example\n"
		"    SMTP error from remote mail server after pipelined %s:\n"
		"    host mx.b.example [192.0.2.1]: 550 5.7.1 Rejected\n";
	char pipelined[sizeof exim_pipelined + 32];
	snprintf(pipelined, sizeof pipelined, exim_pipelined, "end of data");
	explain_remote(f, pipelined, &rs);
	assert_string_equal(rs.command[0], "DATA");
	snprintf(pipelined, sizeof pipelined, exim_pipelined, "RCPT TO:<a@b.example>");
	explain_remote(f, pipelined, &rs);
	assert_string_equal(rs.command[0], "RCPT");
	explain_remote(f, did_not_like, &rs);
	assert_string_equal(rs.by[0], "the report's text");
	explain_remote(f, qmail_hosts, &rs);
	assert_string_equal(rs.by[0], "the recipient's lines");
	/* Named alone again further down, with its failure: that block is
	 * the recipient's account (its first words come before it). */
	explain_remote(f, exchange_history, &rs);
	assert_string_equal(rs.by[0], "the recipient's lines");
	/* Named again with words of its own on that line: the block after it
	 * still gives the remote host. */
	char again[sizeof exchange_history + 16];
	const char *second = strstr(strstr(exchange_history, "\npupil@") + 1, "\npupil@");
	assert_non_null(second);
	size_t head = (size_t)(second - exchange_history) + strlen("\npupil@student.example.edu");
	snprintf(again, sizeof again, "%.*s (failed)%s", (int)head, exchange_history, exchange_history + head);
	explain_remote(f, again, &rs);
	assert_string_equal(rs.host[0], "mx.student.example.edu");
	assert_string_equal(rs.by[0], "a later block about the recipient");
	explain_remote(f, arf_two, &rs);
	assert_string_equal(rs.by[0], "");
}

/* Reports that no known server signs, in messages that are bounces only
 * weakly by their header (a bounce subject from a sender named otherwise,
 * a daemon sender with another subject): read when the report says that
 * delivery failed, not when the message is a person's reply. */
static const char gateway_signed[] = "From: Relay_Mail_Service@gw.example.org\n"
				     "To: <list-bounces@example.org>\n"
				     "Subject: Returned Mail - Error During Delivery\n"
				     "\n"
				     "------ Failed Recipients ------\n"
				     "\n"
				     "<ann@dest.example.com>: Requested action not taken: mailbox unavailable. [SMTP Error Code 550]\n"
				     "-------- Returned Mail --------\n"
				     "\n"
				     "Subject: hello\n";
static const char scanner_delay[] = "From: Virus_Scanner_Gateway@gw.example.org\n"
				    "To: list-bounces@example.org\n"
				    "Subject: =?utf-8?B?RGVsaXZlcnkgZmFpbHVyZSBub3RpZmljYXRpb24=?=\n"
				    "\n"
				    "Your message with Subject: weekly notes\n"
				    "could not be delivered to the following recipients:\n"
				    "\n"
				    "Bob@dest.example.net\n"
				    "\n"
				    "Please do not resend your original message.\n"
				    "Delivery attempts will continue to be made for 5 day(s).\n";
static const char daemon_other_subject[] = "From: MAILER-DAEMON@mail.example.net\n"
					   "To: list-admin@example.org\n"
					   "Subject: Processing Error\n"
					   "\n"
					   "Intended recipient: cat@dest.example.net\n"
					   "\n"
					   "The following mail has been returned because it encountered an error\n"
					   "while being processed.\n";
static const char person_reply[] = "From: Dan <dan@example.org>\n"
				   "To: ann@example.net\n"
				   "Subject: Re: Returned mail - could not be delivered\n"
				   "\n"
				   "Ann, the message could not be delivered to\n"
				   "\n"
				   "eve@dest.example.com\n"
				   "\n"
				   "because she left. Write to me instead.\n";
static const char person_no_words[] = "From: Dan <dan@example.org>\n"
				      "To: ann@example.net\n"
				      "Subject: bounce house booking\n"
				      "\n"
				      "Please confirm with\n"
				      "\n"
				      "eve@dest.example.com\n"
				      "\n"
				      "for Saturday.\n";

static const char newsletter_quoting[] = "From: \"Deliverability Weekly\" <news@lists.example.org>\n"
					 "To: ann@example.net\n"
					 "Subject: Why mail is undeliverable\n"
					 "List-Unsubscribe: <mailto:unsubscribe@lists.example.org>\n"
					 "\n"
					 "A typical notice reads: your message could not be delivered to\n"
					 "\n"
					 "someone@example.com\n"
					 "\n"
					 "and the reason follows.\n";

/* A bounce attached whole to a list manager's notice about it is read;
 * the same bounce forwarded by a person is mail about a bounce. */
#define ATTACHED_QMAIL_BOUNCE \
	"--b1\n" \
	"Content-Type: message/rfc822\n" \
	"\n" \
	"Return-Path: <>\n" \
	"From: MAILER-DAEMON@mx.dest.example.com\n" \
	"Subject: failure notice\n" \
	"\n" \
	"Hi. This is the qmail-send program at mx.dest.example.com.\n" \
	"I'm afraid I wasn't able to deliver your message to the following addresses.\n" \
	"This is a permanent error; I've given up. Sorry it didn't work out.\n" \
	"\n" \
	"<dan@dest.example.com>:\n" \
	"Sorry, no mailbox here by that name. (#5.1.1)\n" \
	"\n" \
	"--- Below this line is a copy of the message.\n" \
	"\n" \
	"Subject: hello\n" \
	"\n" \
	"--b1--\n"
static const char list_uncaught[] = "From: list-bounces@lists.example.org\n"
				    "Subject: Uncaught bounce notification\n"
				    "MIME-Version: 1.0\n"
				    "Content-Type: multipart/mixed; boundary=\"b1\"\n"
				    "\n"
				    "--b1\n"
				    "Content-Type: text/plain\n"
				    "\n"
				    "The attached message was received as a bounce, but its format was not\n"
				    "recognized.\n"
				    "\n" ATTACHED_QMAIL_BOUNCE;
static const char person_forward[] = "From: Eve <eve@example.org>\n"
				     "Subject: Fwd: failure notice\n"
				     "MIME-Version: 1.0\n"
				     "Content-Type: multipart/mixed; boundary=\"b1\"\n"
				     "\n"
				     "--b1\n"
				     "Content-Type: text/plain\n"
				     "\n"
				     "Can you tell me what this means?\n"
				     "\n" ATTACHED_QMAIL_BOUNCE;

/* The same report quoted inline by a person's mail program. */
static const char person_forward_inline[] = "From: Eve <eve@example.org>\n"
					    "Return-Path: <eve@example.org>\n"
					    "User-Agent: Mozilla Thunderbird\n"
					    "Subject: Fwd: Undelivered Mail Returned to Sender\n"
					    "\n"
					    "Is something wrong with our server?\n"
					    "\n"
					    "-------- Forwarded Message --------\n"
					    "From: Mail Delivery System <MAILER-DAEMON@mail.example.org>\n"
					    "\n"
					    "This is the mail system at host mail.example.org.\n"
					    "\n"
					    "<dan@dest.example.com>: host mx.dest.example.com[192.0.2.7] said: 550 5.1.1\n"
					    "    <dan@dest.example.com>: Recipient address rejected: User unknown (in reply\n"
					    "    to RCPT TO command)\n";

static void test_unsigned_reports(void **state)
{
	fixture *f = *state;
	const dx_record *r = lone(f, gateway_signed, "ann@dest.example.com");
	assert_string_equal(r->action, "failed");
	assert_int_equal(r->reply_code, 550);
	assert_string_equal(lone(f, scanner_delay, "bob@dest.example.net")->action, "delayed");
	lone(f, daemon_other_subject, "cat@dest.example.net");

	assert_int_equal(decode(f, person_reply), DX_NOT_BOUNCE);
	assert_int_equal(f->c.n, 0);
	assert_int_equal(decode(f, person_no_words), DX_NOT_BOUNCE);
	assert_int_equal(f->c.n, 0);
	assert_int_equal(decode(f, newsletter_quoting), DX_NOT_BOUNCE);
	assert_int_equal(f->c.n, 0);
	r = lone(f, list_uncaught, "dan@dest.example.com");
	assert_string_equal(r->reason, "userunknown");
	assert_string_equal(r->decoder, "qmail");
	assert_int_equal(decode(f, person_forward), DX_NOT_BOUNCE);
	assert_int_equal(f->c.n, 0);
	assert_int_equal(decode(f, person_forward_inline), DX_NOT_BOUNCE);
	assert_int_equal(f->c.n, 0);
	/* A mailbox rule's forward says it is automatic: the bounce it
	 * carries is read. */
	char rule_forward[sizeof person_forward + 64];
	snprintf(rule_forward, sizeof rule_forward, "Auto-Submitted: auto-generated\n%s", person_forward);
	lone(f, rule_forward, "dan@dest.example.com");
	/* Sent by the mail system under such a subject, it is a bounce. */
	char daemon_sent[sizeof person_forward_inline + 64];
	const char *rest = strstr(person_forward_inline, "User-Agent:");
	snprintf(daemon_sent, sizeof daemon_sent, "From: MAILER-DAEMON@example.org\nReturn-Path: <>\n%s", rest);
	lone(f, daemon_sent, "dan@dest.example.com");
}

/* Ways of naming the recipient that older servers have: the address an
 * undisclosed one was made from (Exim) or that a local user was addressed
 * as, L-Soft's "Error-for:", a count of attempts in the label (IMail), an
 * X.400 address with the SMTP one inside (Exchange 5.5), a sentence about
 * the mailbox (mail.ru), the summary of the returned message (qmail at
 * Yahoo), and a final recipient rewritten to an internal name. */
static const char exim_undisclosed[] = "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
				       "Subject: Mail delivery failed: returning message to sender\n"
				       "\n"
				       "This message was created automatically by mail delivery software.\n"
				       "\n"
				       "A message that you sent could not be delivered to one or more of its\n"
				       "recipients. This is a permanent error. The following address(es) failed:\n"
				       "\n"
				       "  an undisclosed address\n"
				       "    (generated from ann@dest.example.com)\n"
				       "\n"
				       "------ This is a copy of the message, including all the headers. ------\n";
static const char exim_generated[] = "From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
				     "Subject: Mail delivery failed: returning message to sender\n"
				     "\n"
				     "This message was created automatically by mail delivery software.\n"
				     "\n"
				     "A message that you sent could not be delivered to one or more of its\n"
				     "recipients. This is a permanent error. The following address(es) failed:\n"
				     "\n"
				     "  bob@remote.example.org\n"
				     "    (generated from alias@dest.example.com)\n"
				     "    SMTP error from remote mail server after RCPT TO:<bob@remote.example.org>:\n"
				     "    550 5.1.1 No such user\n"
				     "\n"
				     "------ This is a copy of the message, including all the headers. ------\n";
static const char local_user[] = "From: postmaster@mail.example.it\n"
				 "Subject: Delivery failure\n"
				 "Return-Path: <>\n"
				 "\n"
				 "Your message has encountered delivery problems\n"
				 "to local user cat.\n"
				 "(Originally addressed to cat@dest.example.it)\n"
				 "\n"
				 "User not known\n";
static const char lsoft_error_for[] = "From: \"LSMTP for Windows\" <postmaster@mail.example.com>\n"
				      "Subject: Undelivered mail\n"
				      "\n"
				      "An error was detected while processing the enclosed message.\n"
				      "\n"
				      "--> Error description:\n"
				      "Error-for:  dan@dest.example.com\n"
				      "Error-Code: 0\n"
				      "Error-Text: Mailer mx.dest.example.com said:\n"
				      "            \"554 Message looping (received 6 times)\"\n"
				      "\n"
				      "Error-End:  One error reported.\n";
static const char imail_attempts[] = "From: \"Postmaster\" <postmaster@mail.example.com>\n"
				     "Subject: Undeliverable Mail\n"
				     "\n"
				     "Delivery failed 20 attempts: eve@dest.example.ph\n"
				     "\n"
				     "\n"
				     "Original message follows.\n";
static const char x400_ims[] = "From: System Administrator <postmaster@example.com>\n"
			       "Subject: Undeliverable: weekly notes\n"
			       "Return-Path: <>\n"
			       "\n"
			       "Your message\n"
			       "\n"
			       "  To:      list@example.org\n"
			       "  Subject: weekly notes\n"
			       "\n"
			       "did not reach the following recipient(s):\n"
			       "\n"
			       "c=US;a= ;p=Example;o=Site;dda:SMTP=fay@dest.EXAMPLE.com; on Fri, 4 Oct 2002\n"
			       "17:12:28 -0400\n"
			       "    The recipient name is not recognized\n";
static const char mailbox_sentence[] = "From: Mail Delivery System <Mailer-Daemon@mx.example.ru>\n"
				       "Subject: Undelivered Mail\n"
				       "\n"
				       "A message that you sent was rejected by the local scanning code that\n"
				       "checks incoming messages on this system. The following error was given:\n"
				       "\n"
				       "  Message was not accepted -- invalid mailbox.\n"
				       " Local mailbox gil@dest.example.ru is unavailable: user not found\n";
static const char qmail_summary[] = "From: MAILER-DAEMON@mx.example.com\n"
				    "To: list-bounces@example.org\n"
				    "\n"
				    "I'm afraid I wasn't able to deliver the following message.\n"
				    "This is a permanent error; I've given up. Sorry it didn't work out.\n"
				    "\n"
				    "Subject: weekly notes\n"
				    "To: hal@dest.example.com\n"
				    "\n"
				    "---Below this line is a copy of the message.\n";
static const char internal_final[] = "From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.com>\n"
				     "Subject: Delivery Notification: Delivery has failed\n"
				     "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n"
				     "\n"
				     "--b\n"
				     "Content-Type: text/plain\n"
				     "\n"
				     "Your message cannot be delivered to the following recipients.\n"
				     "\n"
				     "--b\n"
				     "Content-Type: message/delivery-status\n"
				     "\n"
				     "Reporting-MTA: dns;mail.example.com\n"
				     "\n"
				     "Action: failed\n"
				     "Status: 5.0.0 (recipient reached disk quota)\n"
				     "Original-recipient: rfc822;ivy@dest.example.com\n"
				     "Final-recipient: rfc822;ivy@ms-store\n"
				     "\n"
				     "--b--\n";

/* Local parts alone, under a line that introduces recipients: the
 * daemon's domain completes them; not when the sender is no daemon. */
static const char aol_screen_names[] = "From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.com>\n"
				       "Subject: Mail Delivery Problem\n"
				       "Return-Path: <>\n"
				       "\n"
				       "Your mail to the following recipients could not be delivered because they are "
				       "not accepting mail from list@example.org:\n"
				       "\tscreenname\n"
				       "\tother.name\n";
static const char sendmail_local[] = "From: Mail Delivery Subsystem <MAILER-DAEMON@host.example.edu>\n"
				     "Subject: Returned mail: see transcript for details\n"
				     "Return-Path: <>\n"
				     "\n"
				     "   ----- The following addresses had permanent fatal errors -----\n"
				     "jdoe\n"
				     "    (reason: 550 5.1.1 jdoe... User unknown)\n"
				     "\n"
				     "   ----- Transcript of session follows -----\n"
				     "550 5.1.1 jdoe... User unknown\n";
static const char bare_not_daemon[] = "From: Help Desk <help@example.com>\n"
				      "Subject: Mail Delivery Problem\n"
				      "Return-Path: <>\n"
				      "\n"
				      "Your mail to the following recipients could not be delivered:\n"
				      "\tscreenname\n";

/* An address that a wrapped sentence of the report's explanation puts at
 * the start of a line is no recipient line. */
static const char wrapped_sentence[] = "From: MAILER-DAEMON@mx.example.edu\n"
				       "Subject: Returned mail - nameserver error report\n"
				       "Return-Path: <>\n"
				       "\n"
				       " --------Message not delivered to the following:\n"
				       "\n"
				       " kim@dest.example.edu    No matches to nameserver query\n"
				       "\n"
				       " --------Error Detail:\n"
				       "\n"
				       " If no lookup tools are available to you, try the most explicit form of the name, e.g., if\n"
				       " ann.b@dest.example.edu fails, try ann.c.b@dest.example.edu.\n";

static void test_recipient_forms(void **state)
{
	fixture *f = *state;
	lone(f, exim_undisclosed, "ann@dest.example.com");
	/* A shown address keeps its origin as text, not as a recipient. */
	assert_string_equal(lone(f, exim_generated, "bob@remote.example.org")->reason, "userunknown");
	lone(f, local_user, "cat@dest.example.it");
	assert_string_equal(lone(f, lsoft_error_for, "dan@dest.example.com")->reason, "networkerror");
	assert_string_equal(lone(f, imail_attempts, "eve@dest.example.ph")->reason, "expired");
	assert_string_equal(lone(f, x400_ims, "fay@dest.example.com")->reason, "userunknown");
	lone(f, mailbox_sentence, "gil@dest.example.ru");
	lone(f, qmail_summary, "hal@dest.example.com");
	assert_string_equal(lone(f, internal_final, "ivy@dest.example.com")->reason, "mailboxfull");

	assert_int_equal(decode(f, aol_screen_names), DX_DECODED);
	assert_int_equal(f->c.n, 2);
	assert_string_equal(rec_for(f, "screenname@mail.example.com")->reason, "filtered");
	assert_string_equal(rec_for(f, "other.name@mail.example.com")->reason, "filtered");
	assert_string_equal(lone(f, sendmail_local, "jdoe@host.example.edu")->reason, "userunknown");
	lone(f, wrapped_sentence, "kim@dest.example.edu");
	assert_int_equal(decode(f, bare_not_daemon), DX_UNDECODED);
	assert_int_equal(f->c.n, 0);
}

/* qmail gives up on a temporary failure after its queue lifetime: the
 * status stays temporary, the delivery has failed. */
static const char qmail_gave_up[] = "From: MAILER-DAEMON@mx.example.com\n"
				    "Subject: failure notice\n"
				    "\n"
				    "Hi. This is the qmail-send program at mx.example.com.\n"
				    "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
				    "This is a permanent error; I've given up. Sorry it didn't work out.\n"
				    "\n"
				    "<joe@dest.example.com>:\n"
				    "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"
				    "I'm not going to try again; this message has been in the queue too long.\n"
				    "\n"
				    "--- Below this line is a copy of the message.\n";

static void test_gave_up(void **state)
{
	fixture *f = *state;
	const dx_record *r = lone(f, qmail_gave_up, "joe@dest.example.com");
	assert_string_equal(r->status, "4.4.1");
	assert_string_equal(r->action, "failed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_document, jsetup, jteardown),
		cmocka_unit_test_setup_teardown(test_json_lookups, jsetup, jteardown),
		cmocka_unit_test_setup_teardown(test_json_strings, jsetup, jteardown),
		cmocka_unit_test_setup_teardown(test_json_invalid, jsetup, jteardown),
		cmocka_unit_test_setup_teardown(test_json_prefix, jsetup, jteardown),
		cmocka_unit_test_setup_teardown(test_json_depth, jsetup, jteardown),
		cmocka_unit_test_setup_teardown(test_json_limits, jsetup, jteardown),
		cmocka_unit_test(test_json_nomem),
		cmocka_unit_test_setup_teardown(test_arf_two_recipients, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arf_without_recipient, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arf_fallbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vacation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vacation_signs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_vacation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsn_is_not_vacation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ses_bounce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ses_variants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ses_complaint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ses_delivery_hidden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ses_delivery, setup_delivered, teardown),
		cmocka_unit_test_setup_teardown(test_ses_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_hosts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_hosts_in_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remote_by, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_manager, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsigned_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recipient_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gave_up, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
