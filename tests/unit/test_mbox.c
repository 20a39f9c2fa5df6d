/* test_mbox.c: mbox message boundaries (core/mbox.h): From_ line
 * validation, next/last boundary search and format detection. */
#include "helpers.h"

#include "mbox.h"
#include "scan.h"

static int from_line(const char *s)
{
	return dx_mbox_from_line(s, strlen(s));
}

static void test_from_line_valid(void **state)
{
	(void)state;
	assert_int_equal(from_line("From MAILER-DAEMON Thu Sep 18 17:54:04 2008\n"), 1);
	assert_int_equal(from_line("From - Mon Jan  1 00:00:00 2024\n"), 1);
	assert_int_equal(from_line("From user@example.com  Thu Sep 18 17:54:04 2008\r\n"), 1);
	assert_int_equal(from_line("From <> Thu Sep 18 17:54:04 2008\nSubject: x\n"), 1);
	/* No sender address: the first token is the weekday. */
	assert_int_equal(from_line("From  Thu Sep 18 17:54:04 2008\n"), 1);
	/* Minutes are enough. */
	assert_int_equal(from_line("From a@b Thu Sep 18 17:54 2008\n"), 1);
}

static void test_from_line_invalid(void **state)
{
	(void)state;
	/* Body text: no time. */
	assert_int_equal(from_line("From here on we\n"), 0);
	assert_int_equal(from_line("From here on we go at 5 o'clock\nmore\n"), 0);
	assert_int_equal(from_line("From \n"), 0);
	assert_int_equal(from_line("From sender\n"), 0);
	assert_int_equal(from_line("from a@b Thu Sep 18 17:54:04 2008\n"), 0);
	assert_int_equal(from_line(">From a@b Thu Sep 18 17:54:04 2008\n"), 0);
	assert_int_equal(from_line("Frx"), 0);
	assert_int_equal(from_line(""), 0);
	/* The time must follow the sender, on the same line. */
	assert_int_equal(from_line("From a@b Thu Sep 18\n17:54:04 2008\n"), 0);
}

static void test_from_line_incomplete(void **state)
{
	(void)state;
	assert_int_equal(from_line("From MAILER-DAEMON Thu Sep 18 17:54"), -1);
	assert_int_equal(from_line("From here on we"), -1);
	assert_int_equal(from_line("Fro"), -1);
	assert_int_equal(from_line("From"), -1);
	/* Only n bytes are looked at. */
	assert_int_equal(dx_mbox_from_line("From a@b Thu Sep 18 17:54:04 2008\n", 20), -1);
}

/* A line "From a@b <pad> 17:54:04 2008\n" whose newline is at `nl`. */
static size_t long_line(char *buf, size_t nl)
{
	static const char head[] = "From a@b ";
	static const char tail[] = " 17:54:04 2008";
	size_t pad = nl - (sizeof head - 1) - (sizeof tail - 1);
	size_t o = 0;
	memcpy(buf, head, sizeof head - 1);
	o += sizeof head - 1;
	memset(buf + o, 'x', pad);
	o += pad;
	memcpy(buf + o, tail, sizeof tail - 1);
	o += sizeof tail - 1;
	buf[o++] = '\n';
	memcpy(buf + o, "Subject: x\n", 11);
	return o + 11;
}

static void test_from_line_overlong(void **state)
{
	(void)state;
	static char buf[4096];
	size_t n = long_line(buf, DX_MBOX_MAX_FROM_LINE - 1);
	assert_int_equal(dx_mbox_from_line(buf, n), 1);
	n = long_line(buf, DX_MBOX_MAX_FROM_LINE);
	assert_int_equal(dx_mbox_from_line(buf, n), 0);
	n = long_line(buf, 3000);
	assert_int_equal(dx_mbox_from_line(buf, n), 0);
	/* Without any newline: cannot tell below the limit, not a From_ line at it. */
	memset(buf, 'x', sizeof buf);
	memcpy(buf, "From a@b ", 9);
	assert_int_equal(dx_mbox_from_line(buf, DX_MBOX_MAX_FROM_LINE - 1), -1);
	assert_int_equal(dx_mbox_from_line(buf, DX_MBOX_MAX_FROM_LINE), 0);
	assert_int_equal(dx_mbox_from_line(buf, sizeof buf), 0);
}

static const char mbox[] = "From a@x Thu Sep 18 17:54:04 2008\n"
			   "Subject: one\n"
			   "\n"
			   "From here on we go\n"
			   "\n"
			   "From b@x Fri Sep 19 10:00:00 2008\n"
			   "Subject: two\n"
			   "\n"
			   ">From escaped\n"
			   "From the top\n"
			   "\n"
			   "From c@x Sat Sep 20 10:00:00 2008\n"
			   "Subject: three\n"
			   "\n"
			   "body\n";

static void test_next(void **state)
{
	(void)state;
	static const char *const names[] = {"scalar", "sse2", "avx2"};
	const size_t n = sizeof mbox - 1;
	const size_t x = (size_t)(strstr(mbox, "From b@x") - mbox);
	const size_t y = (size_t)(strstr(mbox, "From c@x") - mbox);
	assert_int_equal(x, 68);
	assert_int_equal(y, 144);
	for (size_t i = 0; i < NELEM(names); i++) {
		const dx_scan_kernel *k = dx_scan_by_name(names[i]);
		if (!k)
			continue;
		assert_int_equal(dx_mbox_next(k, mbox, n, 0), 0);
		assert_int_equal(dx_mbox_next(k, mbox, n, 1), x);
		assert_int_equal(dx_mbox_next(k, mbox, n, x), x);
		assert_int_equal(dx_mbox_next(k, mbox, n, x + 1), y);
		assert_int_equal(dx_mbox_next(k, mbox, n, y + 1), n);
		assert_int_equal(dx_mbox_next(k, mbox, n, n), n);
		/* Cut inside the third From_ line: it cannot be told yet. */
		assert_int_equal(dx_mbox_next(k, mbox, y + 10, x + 1), y + 10);
		/* No boundary at all. */
		assert_int_equal(dx_mbox_next(k, "Subject: x\n\nFrom here\n", 22, 0), 22);
	}
}

static void test_last(void **state)
{
	(void)state;
	const size_t n = sizeof mbox - 1;
	const size_t x = 68, y = 144;
	assert_int_equal(dx_mbox_last(mbox, n, 0), y);
	assert_int_equal(dx_mbox_last(mbox, n, x), y);
	assert_int_equal(dx_mbox_last(mbox, n, y - 1), y);
	assert_int_equal(dx_mbox_last(mbox, n, y), 0);
	/* The third From_ line incomplete: the second is the last. */
	assert_int_equal(dx_mbox_last(mbox, y + 10, 0), x);
	/* The first line is never "after" anything. */
	assert_int_equal(dx_mbox_last(mbox, x, 0), 0);
	assert_int_equal(dx_mbox_last("", 0, 0), 0);
}

static void test_detect(void **state)
{
	(void)state;
	size_t skip = 99;
	static const char m1[] = "\n\r\nFrom a@x Thu Sep 18 17:54:04 2008\nSubject: x\n";
	assert_int_equal(dx_mbox_detect(m1, sizeof m1 - 1, &skip), 1);
	assert_int_equal(skip, 3);
	assert_int_equal(dx_mbox_detect(mbox, sizeof mbox - 1, &skip), 1);
	assert_int_equal(skip, 0);
	assert_int_equal(dx_mbox_detect("Subject: x\n\n", 12, &skip), 0);
	assert_int_equal(skip, 0);
	assert_int_equal(dx_mbox_detect("\n\nFrom here on\n", 15, &skip), 0);
	assert_int_equal(skip, 2);
	assert_int_equal(dx_mbox_detect("\n\n", 2, &skip), 0);
	assert_int_equal(skip, 2);
	assert_int_equal(dx_mbox_detect("", 0, &skip), 0);
	assert_int_equal(skip, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_line_valid),
		cmocka_unit_test(test_from_line_invalid),
		cmocka_unit_test(test_from_line_incomplete),
		cmocka_unit_test(test_from_line_overlong),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_last),
		cmocka_unit_test(test_detect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
