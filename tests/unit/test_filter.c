/* test_filter.c: dx_time_arg (dates, date-times, ages) and dx_filter_where. */
#include "helpers.h"

static int64_t t_of(const char *s, int64_t now)
{
	int64_t t = 0;
	dx_error err;
	assert_int_equal(dx_time_arg(s, now, &t, &err), DX_OK);
	return t;
}

static void test_absolute(void **state)
{
	(void)state;
	assert_int_equal(t_of("1970-01-01", 0), 0);
	assert_int_equal(t_of("2000-03-01", 0), 951868800);
	assert_int_equal(t_of("2024-02-29T12", 0), 1709208000);
	assert_int_equal(t_of("2026-11-27T08:30", 0), 1795768200);
	assert_int_equal(t_of("2026-11-27 08:30:15Z", 0), 1795768215);
	assert_int_equal(t_of("2026-11-27T08:30:15z", 0), 1795768215);
	assert_int_equal(t_of("1969-12-31T23:00", 0), -3600);
}

static void test_relative(void **state)
{
	(void)state;
	int64_t now = 1795768215;
	assert_int_equal(t_of("90s", now), now - 90);
	assert_int_equal(t_of("30m", now), now - 1800);
	assert_int_equal(t_of("24h", now), now - 86400);
	assert_int_equal(t_of("7d", now), now - 7 * 86400);
	assert_int_equal(t_of("2w", now), now - 14 * 86400);
	assert_int_equal(t_of("0h", now), now);
}

static void test_bad_times(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "yesterday", "2026", "2026-11", "2026-13-01", "2026-02-29", "2026-04-31", "2026-11-27T24",
		"2026-11-27T10:60", "2026-11-27T10:30+02:00", "2026-11-27T10:30 UTC", "12", "12y", "-3d", "3dd",
		"99999999999999999999d",
	};
	for (size_t i = 0; i < NELEM(bad); i++) {
		int64_t t = 42;
		dx_error err = {0};
		assert_int_equal(dx_time_arg(bad[i], 0, &t, &err), DX_ERR_USAGE);
		assert_int_equal(err.code, DX_ERR_USAGE);
		assert_true(err.message[0] != '\0');
		assert_int_equal(t, 42); /* untouched */
	}
}

static void test_where(void **state)
{
	(void)state;
	dx_filter f;
	memset(&f, 0, sizeof f);
	dx_error err;
	assert_int_equal(dx_filter_where(&f, "reason=userunknown", &err), DX_OK);
	assert_int_equal(dx_filter_where(&f, "domain=", &err), DX_OK);
	assert_int_equal(dx_filter_where(&f, "diagnostic=550 x=y", &err), DX_OK);
	assert_int_equal(f.nwhere, 3);
	assert_int_equal(f.where[0].column, DX_COL_REASON);
	assert_string_equal(f.where[0].value, "userunknown");
	assert_string_equal(f.where[1].value, "");
	assert_string_equal(f.where[2].value, "550 x=y"); /* the first '=' divides */
	assert_int_equal(dx_filter_where(&f, "colour=red", &err), DX_ERR_USAGE);
	assert_non_null(strstr(err.message, "colour"));
	assert_int_equal(dx_filter_where(&f, "offset=0", &err), DX_ERR_USAGE);
	assert_int_equal(dx_filter_where(&f, "timestamp=0", &err), DX_ERR_USAGE);
	assert_int_equal(dx_filter_where(&f, "=x", &err), DX_ERR_USAGE);
	assert_int_equal(dx_filter_where(&f, "reason", &err), DX_ERR_USAGE);
	assert_int_equal(f.nwhere, 3);
	while (f.nwhere < DX_MAX_WHERE)
		assert_int_equal(dx_filter_where(&f, "reason=x", &err), DX_OK);
	assert_int_equal(dx_filter_where(&f, "reason=y", &err), DX_ERR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absolute),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_bad_times),
		cmocka_unit_test(test_where),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
