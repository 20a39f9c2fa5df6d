/* test_rfc5322.c: header blocks, addresses and dates (core/rfc5322.h).
 * Expected epoch values were computed with `date -u -d ... +%s`. */
#include "helpers.h"

#include "arena.h"
#include "dsnidx.h"
#include "rfc5322.h"
#include "scan.h"

static int setup_arena(void **state)
{
	dx_arena *a = malloc(sizeof *a);
	if (!a)
		return -1;
	dx_arena_init(a, 0);
	*state = a;
	return 0;
}

static int teardown_arena(void **state)
{
	dx_arena *a = *state;
	dx_arena_free(a);
	free(a);
	return 0;
}

static int parse(dx_arena *a, const char *s, unsigned max, dx_header *h, size_t *body)
{
	dx_header_limits lim = {max, 1u << 20};
	return dx_header_parse(a, dx_scan_best(), s, strlen(s), &lim, h, body);
}

static void test_header_parse(void **state)
{
	dx_arena *a = *state;
	static const char msg[] = "From: \"Joe\" <joe@example.com>\n"
				  "SUBJECT:  hello\n world \t\n"
				  "X-Empty:\n"
				  "no colon line\n"
				  "Received: a\n"
				  "Received: b\n"
				  "Subject : obsolete\n"
				  "bad name: x\n"
				  "\n"
				  "body text\n";
	dx_header h;
	size_t body = 0;
	assert_int_equal(parse(a, msg, 100, &h, &body), 0);
	assert_int_equal(body, strstr(msg, "body text") - msg);
	assert_int_equal(h.n, 6);
	assert_int_equal(h.dropped, 0);

	assert_string_equal(h.fields[0].name, "from");
	assert_string_equal(h.fields[0].value, "\"Joe\" <joe@example.com>");
	assert_int_equal(h.fields[0].value_len, 23);
	assert_string_equal(h.fields[1].name, "subject");
	assert_string_equal(h.fields[1].value, "hello world");
	assert_int_equal(h.fields[1].value_len, 11);
	assert_string_equal(h.fields[2].name, "x-empty");
	assert_string_equal(h.fields[2].value, "");
	assert_int_equal(h.fields[2].value_len, 0);
	assert_string_equal(h.fields[3].name, "received");
	assert_string_equal(h.fields[4].name, "received");
	assert_string_equal(h.fields[5].name, "subject");
	assert_string_equal(h.fields[5].value, "obsolete");

	assert_string_equal(dx_header_get(&h, "subject"), "hello world");
	assert_string_equal(dx_header_get(&h, "x-empty"), "");
	assert_null(dx_header_get(&h, "bad name"));
	assert_null(dx_header_get(&h, "to"));
	/* Lookups take the lower-case name. */
	assert_null(dx_header_get(&h, "Subject"));

	const dx_field *f = dx_header_next(&h, "received", NULL);
	assert_non_null(f);
	assert_string_equal(f->value, "a");
	f = dx_header_next(&h, "received", f);
	assert_non_null(f);
	assert_string_equal(f->value, "b");
	assert_null(dx_header_next(&h, "received", f));

	f = dx_header_next(&h, "subject", NULL);
	f = dx_header_next(&h, "subject", f);
	assert_non_null(f);
	assert_string_equal(f->value, "obsolete");
}

static void test_header_no_body(void **state)
{
	dx_arena *a = *state;
	dx_header h;
	size_t body = 0;
	assert_int_equal(parse(a, "A: 1\nB:2", 10, &h, &body), 0);
	assert_int_equal(body, 8);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.fields[1].name, "b");
	assert_string_equal(h.fields[1].value, "2");

	assert_int_equal(parse(a, "", 10, &h, &body), 0);
	assert_int_equal(body, 0);
	assert_int_equal(h.n, 0);
	assert_null(dx_header_get(&h, "a"));
}

static void test_header_limit(void **state)
{
	dx_arena *a = *state;
	dx_header h;
	size_t body = 0;
	assert_int_equal(parse(a, "A: 1\nB: 2\nC: 3\n\nx", 2, &h, &body), 0);
	assert_int_equal(h.n, 2);
	assert_int_equal(h.dropped, 1);
	assert_int_equal(body, 16);
	assert_string_equal(dx_header_get(&h, "b"), "2");
	assert_null(dx_header_get(&h, "c"));

	/* More than 64 fields (the parser's on-stack index). */
	char big[2048];
	size_t o = 0;
	for (int i = 0; i < 70; i++)
		o += (size_t)snprintf(big + o, sizeof big - o, "F%d: v%d\n", i, i);
	o += (size_t)snprintf(big + o, sizeof big - o, "\nbody");
	assert_int_equal(parse(a, big, 1000, &h, &body), 0);
	assert_int_equal(h.n, 70);
	assert_int_equal(h.dropped, 0);
	assert_int_equal(body, o - 4);
	assert_string_equal(h.fields[69].name, "f69");
	assert_string_equal(h.fields[69].value, "v69");
	assert_string_equal(dx_header_get(&h, "f64"), "v64");

	assert_int_equal(parse(a, big, 65, &h, &body), 0);
	assert_int_equal(h.n, 65);
	assert_int_equal(h.dropped, 5);
	assert_int_equal(body, o - 4);
	assert_string_equal(h.fields[64].value, "v64");
	assert_null(dx_header_get(&h, "f65"));
}

/* A field longer than max_line keeps its first max_line bytes, counted;
 * the fields after it are read as usual. */
static void test_header_line_limit(void **state)
{
	dx_arena *a = *state;
	enum { LONG = 5000, MAX = 1024 };
	char *msg = malloc(LONG + 64);
	assert_non_null(msg);
	size_t o = (size_t)sprintf(msg, "A: 1\nX-Long: ");
	memset(msg + o, 'a', LONG);
	o += LONG;
	o += (size_t)sprintf(msg + o, "\nB: 2\n\nbody");
	dx_header_limits lim = {1000, MAX};
	dx_header h;
	size_t body;
	assert_int_equal(dx_header_parse(a, dx_scan_best(), msg, o, &lim, &h, &body), 0);
	assert_int_equal(h.n, 3);
	assert_int_equal(h.truncated, 1);
	assert_int_equal(body, o - 4);
	const char *v = dx_header_get(&h, "x-long");
	assert_non_null(v);
	assert_int_equal(strlen(v), MAX - strlen("X-Long: "));
	assert_string_equal(dx_header_get(&h, "b"), "2");

	/* At the limit exactly, nothing is cut. */
	lim.max_line = strlen("X-Long: ") + LONG;
	assert_int_equal(dx_header_parse(a, dx_scan_best(), msg, o, &lim, &h, &body), 0);
	assert_int_equal(h.truncated, 0);
	assert_int_equal(strlen(dx_header_get(&h, "x-long")), LONG);
	free(msg);
}

static void check_addr(dx_arena *a, const char *in, const char *want)
{
	char *got = dx_addr_extract(a, in, strlen(in));
	if (!want) {
		if (got)
			fail_msg("'%s': expected no address, got '%s'", in, got);
		return;
	}
	if (!got)
		fail_msg("'%s': expected '%s', got NULL", in, want);
	assert_string_equal(got, want);
}

static void test_addr_extract(void **state)
{
	dx_arena *a = *state;
	check_addr(a, "Name <A@B.Example>", "a@b.example");
	check_addr(a, "rfc822; x@y.z", "x@y.z");
	check_addr(a, "rfc822;x@y.z", "x@y.z");
	check_addr(a, "<x@y.z>: reason", "x@y.z");
	check_addr(a, "<x@y.z>: Recipient address rejected: user@other.example", "x@y.z");
	check_addr(a, "mailto:User@Host.Example", "user@host.example");
	check_addr(a, "<mailto:u@h.example>", "u@h.example");
	check_addr(a, "u@h.example (Joe Q)", "u@h.example");
	check_addr(a, "\"Doe, John\" <john@x.example>", "john@x.example");
	check_addr(a, "\"Doe, John <nope>\" <john@x.example>", "john@x.example");
	check_addr(a, "\"a@b, c\" <real@x.example>", "real@x.example");
	check_addr(a, "mail for 'bob@site.example'.", "bob@site.example");
	check_addr(a, "no address here", NULL);
	check_addr(a, "", NULL);
	check_addr(a, "<not an address>", NULL);
	check_addr(a, "@ alone", NULL);
	/* Only the first n bytes are read. */
	const char *s = "x@y.zz";
	char *r = dx_addr_extract(a, s, 5);
	assert_non_null(r);
	assert_string_equal(r, "x@y.z");
}

static void test_addr_valid_domain(void **state)
{
	(void)state;
	assert_true(dx_addr_valid("a@b.c"));
	assert_true(dx_addr_valid("first.last+tag@sub.example.org"));
	assert_true(dx_addr_valid("postmaster@localhost"));
	assert_false(dx_addr_valid("@b.c"));
	assert_false(dx_addr_valid("a@"));
	assert_false(dx_addr_valid("abc"));
	assert_false(dx_addr_valid("a b@c.d"));
	assert_false(dx_addr_valid("a@.b.c"));
	assert_false(dx_addr_valid("a@b.c."));
	assert_false(dx_addr_valid("a@b..c"));
	assert_false(dx_addr_valid("<a@b.c>"));
	assert_false(dx_addr_valid("a@b_c"));

	assert_string_equal(dx_addr_domain("a@b.example"), "b.example");
	assert_string_equal(dx_addr_domain("\"x@y\"@z.example"), "z.example");
	assert_string_equal(dx_addr_domain("nodomain"), "");
	assert_string_equal(dx_addr_domain(NULL), "");
}

typedef struct date_case {
	const char *text;
	int64_t want;
} date_case;

static void test_date_parse(void **state)
{
	(void)state;
	static const date_case cases[] = {
		{"Thu, 18 Sep 2008 17:54:04 +0900", 1221728044},
		{"Thu, 18 Sep 2008 17:54:04 -0500", 1221778444},
		{"Thu, 18 Sep 2008 17:54:04 +0530", 1221740644},
		{"Thu, 18 Sep 2008 17:54:04 +0000", 1221760444},
		{"Thu, 18 Sep 2008 17:54:04 -0000", 1221760444},
		{"Thu, 18 Sep 2008 17:54:04 EST", 1221778444},
		{"Thu, 18 Sep 2008 17:54:04 EDT", 1221774844},
		{"Thu, 18 Sep 2008 17:54:04 PST", 1221789244},
		{"Thu, 18 Sep 2008 17:54:04 GMT", 1221760444},
		{"Thu, 18 Sep 2008 17:54:04 UT", 1221760444},
		{"Thu, 18 Sep 2008 17:54:04 +0900 (JST)", 1221728044},
		{"Thu, 18 Sep 2008 17:54:04 (comment (nested)) +0900", 1221728044},
		{"18 Sep 2008 17:54:04 +0000", 1221760444},
		{"  18 sep 2008 17:54:04 +0000", 1221760444},
		{"Thu, 18 Sep 2008 17:54 +0000", 1221760440},
		{"18 Sep 98 17:54:04 +0000", 906141244},
		{"18 Sep 08 17:54:04 +0000", 1221760444},
		{"1 Jan 50 00:00:00 +0000", -631152000},
		{"31 Dec 49 00:00:00 +0000", 2524521600},
		{"Tue, 29 Feb 2000 12:00:00 +0100", 951822000},
		{"Thu, 1 Jan 1970 00:00:00 +0000", 0},
		{"2013-10-16T14:15:35Z", 1381932935},
		{"2013-10-16T14:15:35+09:00", 1381900535},
		{"2013-10-16 14:15:35+09:00", 1381900535},
		{"2013-10-16T14:15:35.123Z", 1381932935},
		{"2013-10-16T14:15:35", 1381932935},
		{"", DX_NO_TIME},
		{"yesterday", DX_NO_TIME},
		{"Thu, 18 Sep 2008", DX_NO_TIME},
		{"Thu, 18 2008 17:54:04 +0000", DX_NO_TIME},
		{"Thu, 32 Sep 2008 17:54:04 +0000", DX_NO_TIME},
		{"Thu, 18 Sep 2008 25:54:04 +0000", DX_NO_TIME},
		{"Thu, 18 Sep 2008 17:61:04 +0000", DX_NO_TIME},
		{"2013-1x-16T14:15:35Z", DX_NO_TIME},
		{"2013-13-16T14:15:35Z", DX_NO_TIME},
	};
	for (size_t i = 0; i < NELEM(cases); i++) {
		int64_t got = dx_date_parse(cases[i].text, strlen(cases[i].text));
		if (got != cases[i].want)
			fail_msg("'%s': expected %lld, got %lld", cases[i].text, (long long)cases[i].want,
				 (long long)got);
	}
	/* Only the first n bytes are read: the second zone is out of range. */
	const char *s = "18 Sep 2008 17:54:04 +0000 -0500";
	assert_int_equal(dx_date_parse(s, 26), 1221760444);
}

static void test_date_parse_ctime(void **state)
{
	(void)state;
	static const date_case cases[] = {
		{"Thu Sep 18 17:54:04 2008", 1221760444},
		{"Mon Jan  1 00:00:00 2024", 1704067200},
		{"Wed Aug  3 15:03:35 2011", 1312383815},
		{"Thu Sep 18 2008", DX_NO_TIME},
		{"not a date", DX_NO_TIME},
	};
	for (size_t i = 0; i < NELEM(cases); i++) {
		int64_t got = dx_date_parse_ctime(cases[i].text, strlen(cases[i].text));
		if (got != cases[i].want)
			fail_msg("'%s': expected %lld, got %lld", cases[i].text, (long long)cases[i].want,
				 (long long)got);
	}
}

static void test_days_from_civil(void **state)
{
	(void)state;
	assert_int_equal(dx_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(dx_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(dx_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(dx_days_from_civil(2024, 1, 1), 19723);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header_parse, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_header_no_body, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_header_limit, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_header_line_limit, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_addr_extract, setup_arena, teardown_arena),
		cmocka_unit_test(test_addr_valid_domain),
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_date_parse_ctime),
		cmocka_unit_test(test_days_from_civil),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
