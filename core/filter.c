/* filter.c: what a user asks to see: conditions on columns and times.
 *
 * dx_filter_where() reads "column=value"; dx_time_arg() reads the times of
 * --since and --until, absolute (ISO 8601, UTC) or relative to now. Both
 * return DX_ERR_USAGE with a message saying what was expected; nothing is
 * guessed (a date without a year, a time zone other than UTC, "yesterday").
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsnidx.h"

static dx_status usage(dx_error *err, const char *message)
{
	if (err) {
		err->code = DX_ERR_USAGE;
		snprintf(err->message, sizeof err->message, "%s", message);
	}
	return DX_ERR_USAGE;
}

/* Returns DX_ERR_USAGE with a formatted message. */
#define FAIL(...)                                              \
	do {                                                   \
		char fail_msg_[480];                           \
		snprintf(fail_msg_, sizeof fail_msg_, __VA_ARGS__); \
		return usage(err, fail_msg_);                  \
	} while (0)

dx_status dx_filter_where(dx_filter *f, const char *cond, dx_error *err)
{
	const char *eq = strchr(cond, '=');
	if (!eq || eq == cond)
		FAIL("'%s': expected COLUMN=VALUE (reason=userunknown, domain=example.org)", cond);
	char name[32];
	size_t n = (size_t)(eq - cond);
	if (n >= sizeof name)
		FAIL("'%s': no such column", cond);
	memcpy(name, cond, n);
	name[n] = '\0';
	int col = dx_column_parse(name);
	if (col < 0)
		FAIL("'%s': no such column (see docs/output.md)", name);
	if (col == DX_COL_OFFSET || col == DX_COL_INDEX || col == DX_COL_TIMESTAMP)
		FAIL("'%s': not a condition column (use --since and --until for times)", name);
	if (f->nwhere >= DX_MAX_WHERE)
		FAIL("'%s': too many conditions", cond);
	f->where[f->nwhere].column = (dx_column)col;
	f->where[f->nwhere].value = eq + 1;
	f->nwhere++;
	return DX_OK;
}

/* Reads exactly `digits` digits; -1 if they are not there. */
static long digits_at(const char **p, int digits)
{
	long v = 0;
	for (int i = 0; i < digits; i++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

/* Days from 1970-01-01 to a civil date (Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(long y, long m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

dx_status dx_time_arg(const char *text, int64_t now, int64_t *out, dx_error *err)
{
	const char *p = text;
	/* An age: a number and a unit. */
	if (*p >= '0' && *p <= '9') {
		char *end;
		unsigned long long v = strtoull(p, &end, 10);
		if (end != p && *end && !end[1] && strchr("smhdw", *end)) {
			static const struct {
				char unit;
				int64_t secs;
			} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
			for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
				if (units[i].unit == *end) {
					if (v > (unsigned long long)(INT64_MAX / 4) / (unsigned long long)units[i].secs)
						FAIL("'%s': too long ago", text);
					*out = now - (int64_t)v * units[i].secs;
					return DX_OK;
				}
		}
	}
	/* A date: YYYY-MM-DD, then optionally [T ]HH[:MM[:SS]], then Z. */
	long y = digits_at(&p, 4);
	long mo = (y >= 0 && *p == '-') ? (p++, digits_at(&p, 2)) : -1;
	long d = (mo >= 0 && *p == '-') ? (p++, digits_at(&p, 2)) : -1;
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		FAIL("'%s': expected a date or date-time in UTC (2026-11-27, 2026-11-27T08:30, "
			     "2026-11-27 08:30:15Z) or an age (90s, 30m, 24h, 7d, 2w)",
			     text);
	long h = 0, mi = 0, sec = 0;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		h = digits_at(&p, 2);
		if (h >= 0 && *p == ':') {
			p++;
			mi = digits_at(&p, 2);
			if (mi >= 0 && *p == ':') {
				p++;
				sec = digits_at(&p, 2);
			}
		}
		if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60)
			FAIL("'%s': bad time of day (expected HH, HH:MM or HH:MM:SS, UTC)", text);
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	if (*p)
		FAIL("'%s': unexpected text after the date (times are UTC: use Z or nothing)", text);
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec;
	return DX_OK;
}
