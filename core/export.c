/* export.c: records and reports as text, CSV (RFC 4180) and JSON.
 *
 * Every byte written is valid UTF-8: the decoders already clean what they
 * extract, and the few strings that come from elsewhere (file names) are
 * cleaned here, invalid sequences becoming U+FFFD. CSV quotes a field when
 * it holds a comma, quote, CR or LF, and ends rows with CRLF as RFC 4180
 * asks. JSON escapes quotes, backslashes and control characters.
 *
 * Write errors are remembered and returned at the end (-1), so that a full
 * disk or a closed pipe makes the command fail instead of passing silently.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "charset.h"
#include "dsnidx.h"

static const char *const column_names[DX_NCOLUMNS] = {
	"source", "offset", "index", "timestamp", "recipient", "domain", "action", "status",
	"reply_code", "reason", "hard_bounce", "reporting_mta", "remote_mta", "diagnostic",
	"sender", "subject", "message_id", "decoder",
};

const char *dx_column_name(dx_column col)
{
	return (unsigned)col < DX_NCOLUMNS ? column_names[col] : "";
}

int dx_column_parse(const char *name)
{
	for (int i = 0; i < DX_NCOLUMNS; i++)
		if (strcmp(name, column_names[i]) == 0)
			return i;
	return -1;
}

int dx_format_parse(const char *name)
{
	static const char *const names[] = {"text", "csv", "json", "jsonl"};
	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

void dx_format_time(int64_t t, char *buf)
{
	if (t == DX_NO_TIME) {
		buf[0] = '\0';
		return;
	}
	/* Civil from days (Hinnant), exact for any year in range, no libc. */
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	char tmp[96];
	snprintf(tmp, sizeof tmp, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
		 (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
	size_t n = strlen(tmp);
	if (n >= DX_TIME_BUFSZ)
		n = DX_TIME_BUFSZ - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
}

/* ---- low-level output ------------------------------------------------------- */

typedef struct out {
	FILE *f;
	int failed;
} out;

static void put(out *o, const char *s, size_t n)
{
	if (n && fwrite(s, 1, n, o->f) != n)
		o->failed = 1;
}

static void puts_(out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Writes s, replacing invalid UTF-8 with U+FFFD. */
static void put_utf8(out *o, const char *s, size_t n, void (*emit)(out *, const char *, size_t))
{
	while (n) {
		size_t ok = dx_utf8_valid_prefix(s, n);
		emit(o, s, ok);
		s += ok;
		n -= ok;
		if (n) {
			put(o, "\xef\xbf\xbd", 3);
			s++;
			n--;
		}
	}
}

static void csv_raw(out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			put(o, "\"\"", 2);
		else
			put(o, s + i, 1);
	}
}

/* A CSV field. Safe for spreadsheets: a text that begins like a formula
 * (= + - @, or a tab or CR a spreadsheet may drop first) is prefixed with
 * an apostrophe, which spreadsheets show as text and hide. */
static void csv_field_as(out *o, const char *s, int safe)
{
	size_t n = strlen(s);
	int formula = safe && n && strchr("=+-@\t\r", s[0]);
	if (formula || strpbrk(s, ",\"\r\n")) {
		put(o, "\"", 1);
		if (formula)
			put(o, "'", 1);
		put_utf8(o, s, n, csv_raw);
		put(o, "\"", 1);
	} else
		put_utf8(o, s, n, put);
}

static void csv_field(out *o, const char *s)
{
	csv_field_as(o, s, 0);
}

static void json_raw(out *o, const char *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(o, s + run, i - run);
		run = i + 1;
		char esc[8];
		switch (c) {
		case '"': put(o, "\\\"", 2); break;
		case '\\': put(o, "\\\\", 2); break;
		case '\n': put(o, "\\n", 2); break;
		case '\r': put(o, "\\r", 2); break;
		case '\t': put(o, "\\t", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(o, esc, 6);
		}
	}
	put(o, s + run, n - run);
}

static void json_string(out *o, const char *s)
{
	put(o, "\"", 1);
	put_utf8(o, s, strlen(s), json_raw);
	put(o, "\"", 1);
}

/* ---- records ------------------------------------------------------------------ */

struct dx_writer {
	out o;
	dx_format fmt;
	dx_column cols[DX_NCOLUMNS];
	size_t ncols;
	unsigned flags;
};

static void record_field(const dx_record *r, dx_column c, char *num, const char **text, int *is_number)
{
	*is_number = 0;
	*text = num;
	switch (c) {
	case DX_COL_SOURCE: *text = r->source; break;
	case DX_COL_OFFSET:
		snprintf(num, 32, "%llu", (unsigned long long)r->offset);
		*is_number = 1;
		break;
	case DX_COL_INDEX:
		snprintf(num, 32, "%u", r->index);
		*is_number = 1;
		break;
	case DX_COL_TIMESTAMP: dx_format_time(r->timestamp, num); break;
	case DX_COL_RECIPIENT: *text = r->recipient; break;
	case DX_COL_DOMAIN: *text = r->domain; break;
	case DX_COL_ACTION: *text = r->action; break;
	case DX_COL_STATUS: *text = r->status; break;
	case DX_COL_REPLY_CODE:
		if (r->reply_code)
			snprintf(num, 32, "%d", r->reply_code);
		else
			num[0] = '\0';
		*is_number = 1;
		break;
	case DX_COL_REASON: *text = r->reason; break;
	case DX_COL_HARD_BOUNCE:
		snprintf(num, 32, "%d", r->hard_bounce ? 1 : 0);
		*is_number = 1;
		break;
	case DX_COL_REPORTING_MTA: *text = r->reporting_mta; break;
	case DX_COL_REMOTE_MTA: *text = r->remote_mta; break;
	case DX_COL_DIAGNOSTIC: *text = r->diagnostic; break;
	case DX_COL_SENDER: *text = r->sender; break;
	case DX_COL_SUBJECT: *text = r->subject; break;
	case DX_COL_MESSAGE_ID: *text = r->message_id; break;
	case DX_COL_DECODER: *text = r->decoder; break;
	case DX_NCOLUMNS: break;
	}
	if (!*text)
		*text = "";
}

dx_writer *dx_writer_new_columns(FILE *f, dx_format fmt, const dx_column *cols, size_t ncols, unsigned flags)
{
	if (fmt != DX_FMT_CSV && fmt != DX_FMT_JSONL)
		return NULL;
	if (ncols > DX_NCOLUMNS)
		return NULL;
	dx_writer *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->o.f = f;
	w->fmt = fmt;
	w->flags = flags;
	if (ncols) {
		for (size_t i = 0; i < ncols; i++) {
			if ((unsigned)cols[i] >= DX_NCOLUMNS) {
				free(w);
				return NULL;
			}
			w->cols[i] = cols[i];
		}
		w->ncols = ncols;
	} else {
		for (int c = 0; c < DX_NCOLUMNS; c++)
			w->cols[c] = (dx_column)c;
		w->ncols = DX_NCOLUMNS;
	}
	if (fmt == DX_FMT_CSV) {
		for (size_t i = 0; i < w->ncols; i++) {
			if (i)
				put(&w->o, ",", 1);
			puts_(&w->o, column_names[w->cols[i]]);
		}
		put(&w->o, "\r\n", 2);
	}
	return w;
}

dx_writer *dx_writer_new(FILE *f, dx_format fmt)
{
	return dx_writer_new_columns(f, fmt, NULL, 0, 0);
}

int dx_writer_record(dx_writer *w, const dx_record *r)
{
	char num[DX_TIME_BUFSZ];
	const char *text;
	int is_number;
	if (w->fmt == DX_FMT_CSV) {
		for (size_t i = 0; i < w->ncols; i++) {
			if (i)
				put(&w->o, ",", 1);
			record_field(r, w->cols[i], num, &text, &is_number);
			csv_field_as(&w->o, text, (w->flags & DX_WRITE_SPREADSHEET_SAFE) && !is_number);
		}
		put(&w->o, "\r\n", 2);
	} else {
		put(&w->o, "{", 1);
		for (size_t i = 0; i < w->ncols; i++) {
			dx_column c = w->cols[i];
			if (i)
				put(&w->o, ",", 1);
			json_string(&w->o, column_names[c]);
			put(&w->o, ":", 1);
			record_field(r, c, num, &text, &is_number);
			if (is_number)
				puts_(&w->o, text[0] ? text : "null");
			else if (c == DX_COL_TIMESTAMP && !text[0])
				puts_(&w->o, "null");
			else
				json_string(&w->o, text);
		}
		put(&w->o, "}\n", 2);
	}
	return w->o.failed ? -1 : 0;
}

int dx_writer_close(dx_writer *w)
{
	if (!w)
		return 0;
	if (fflush(w->o.f) != 0)
		w->o.failed = 1;
	int r = w->o.failed ? -1 : 0;
	free(w);
	return r;
}

/* ---- reports --------------------------------------------------------------------- */

/* Columns of a text table count characters, not bytes. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void pad(out *o, size_t n)
{
	static const char spaces[] = "                                ";
	while (n) {
		size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
		put(o, spaces, k);
		n -= k;
	}
}

static void text_cell(out *o, const char *s, size_t w, int right, int last)
{
	size_t n = width(s);
	if (right)
		pad(o, w > n ? w - n : 0);
	put_utf8(o, s, strlen(s), put);
	if (!right && !last)
		pad(o, w > n ? w - n : 0);
}

static void rule_line(out *o, const size_t *w, unsigned ncols)
{
	for (unsigned c = 0; c < ncols; c++) {
		if (c)
			put(o, "  ", 2);
		for (size_t i = 0; i < w[c]; i++)
			put(o, "-", 1);
	}
	put(o, "\n", 1);
}

static void report_text(out *o, const dx_report *r)
{
	unsigned nk = r->nkeys;
	size_t w[DX_NKEYS + 1];
	char num[32], rest_label[64], total[32];
	for (unsigned k = 0; k < nk; k++)
		w[k] = width(dx_key_name(r->keys[k]));
	w[nk] = strlen("count");
	for (size_t i = 0; i < r->nrows; i++) {
		for (unsigned k = 0; k < nk; k++) {
			const char *v = r->rows[i].values[k][0] ? r->rows[i].values[k] : "(none)";
			size_t n = width(v);
			if (n > w[k])
				w[k] = n;
		}
		snprintf(num, sizeof num, "%llu", (unsigned long long)r->rows[i].count);
		if (strlen(num) > w[nk])
			w[nk] = strlen(num);
	}
	snprintf(total, sizeof total, "%llu", (unsigned long long)r->total);
	if (strlen(total) > w[nk])
		w[nk] = strlen(total);
	snprintf(rest_label, sizeof rest_label, "(%llu more)", (unsigned long long)r->rest_rows);
	if (r->rest_rows && width(rest_label) > w[0])
		w[0] = width(rest_label);

	for (unsigned k = 0; k < nk; k++) {
		text_cell(o, dx_key_name(r->keys[k]), w[k], 0, 0);
		put(o, "  ", 2);
	}
	text_cell(o, "count", w[nk], 1, 1);
	put(o, "\n", 1);
	rule_line(o, w, nk + 1);
	for (size_t i = 0; i < r->nrows; i++) {
		for (unsigned k = 0; k < nk; k++) {
			const char *v = r->rows[i].values[k][0] ? r->rows[i].values[k] : "(none)";
			text_cell(o, v, w[k], 0, 0);
			put(o, "  ", 2);
		}
		snprintf(num, sizeof num, "%llu", (unsigned long long)r->rows[i].count);
		text_cell(o, num, w[nk], 1, 1);
		put(o, "\n", 1);
	}
	if (r->rest_rows) {
		text_cell(o, rest_label, w[0], 0, 0);
		put(o, "  ", 2);
		for (unsigned k = 1; k < nk; k++) {
			pad(o, w[k]);
			put(o, "  ", 2);
		}
		snprintf(num, sizeof num, "%llu", (unsigned long long)r->rest_count);
		text_cell(o, num, w[nk], 1, 1);
		put(o, "\n", 1);
	}
	rule_line(o, w, nk + 1);
	text_cell(o, "total", w[0], 0, 0);
	put(o, "  ", 2);
	for (unsigned k = 1; k < nk; k++) {
		pad(o, w[k]);
		put(o, "  ", 2);
	}
	text_cell(o, total, w[nk], 1, 1);
	put(o, "\n", 1);
}

/* ---- rates: outcomes with deliveries ------------------------------------------------ */

enum { NRATE = 5 };
static const char *const rate_names[NRATE] = {"delivered", "failed", "delayed", "count", "failure_rate"};

/* The numbers of a rates row as text: failure_rate is failed / count, a
 * fraction with four decimals ("" when count is 0). */
static void rate_cells(const dx_report_row *row, char cells[NRATE][32], int percent)
{
	snprintf(cells[0], 32, "%llu", (unsigned long long)row->delivered);
	snprintf(cells[1], 32, "%llu", (unsigned long long)row->failed);
	snprintf(cells[2], 32, "%llu", (unsigned long long)row->delayed);
	snprintf(cells[3], 32, "%llu", (unsigned long long)row->count);
	if (!row->count)
		cells[4][0] = '\0';
	else if (percent)
		snprintf(cells[4], 32, "%.2f%%", 100.0 * (double)row->failed / (double)row->count);
	else
		snprintf(cells[4], 32, "%.4f", (double)row->failed / (double)row->count);
}

static void rates_text(out *o, const dx_report *r)
{
	unsigned nk = r->nkeys;
	size_t w[DX_NKEYS + NRATE];
	char cells[NRATE][32], rest_label[64];
	for (unsigned k = 0; k < nk; k++)
		w[k] = width(dx_key_name(r->keys[k]));
	for (unsigned c = 0; c < NRATE; c++)
		w[nk + c] = strlen(rate_names[c]);
	for (size_t i = 0; i <= r->nrows + 1; i++) {
		const dx_report_row *row = i < r->nrows ? &r->rows[i] : i == r->nrows ? &r->rest : &r->all;
		if (i < r->nrows)
			for (unsigned k = 0; k < nk; k++) {
				size_t n = width(row->values[k][0] ? row->values[k] : "(none)");
				if (n > w[k])
					w[k] = n;
			}
		rate_cells(row, cells, 1);
		for (unsigned c = 0; c < NRATE; c++)
			if (strlen(cells[c]) > w[nk + c])
				w[nk + c] = strlen(cells[c]);
	}
	snprintf(rest_label, sizeof rest_label, "(%llu more)", (unsigned long long)r->rest_rows);
	if (r->rest_rows && width(rest_label) > w[0])
		w[0] = width(rest_label);
	for (unsigned k = 0; k < nk; k++) {
		text_cell(o, dx_key_name(r->keys[k]), w[k], 0, 0);
		put(o, "  ", 2);
	}
	for (unsigned c = 0; c < NRATE; c++) {
		text_cell(o, rate_names[c], w[nk + c], 1, c == NRATE - 1);
		if (c < NRATE - 1)
			put(o, "  ", 2);
	}
	put(o, "\n", 1);
	rule_line(o, w, nk + NRATE);
	for (size_t i = 0; i <= r->nrows + 1; i++) {
		if (i == r->nrows && !r->rest_rows)
			continue;
		if (i == r->nrows + 1)
			rule_line(o, w, nk + NRATE);
		const dx_report_row *row = i < r->nrows ? &r->rows[i] : i == r->nrows ? &r->rest : &r->all;
		for (unsigned k = 0; k < nk; k++) {
			const char *v = i < r->nrows ? (row->values[k][0] ? row->values[k] : "(none)")
				       : k ? ""
				       : i == r->nrows ? rest_label
						       : "total";
			text_cell(o, v, w[k], 0, 0);
			put(o, "  ", 2);
		}
		rate_cells(row, cells, 1);
		for (unsigned c = 0; c < NRATE; c++) {
			text_cell(o, cells[c], w[nk + c], 1, c == NRATE - 1);
			if (c < NRATE - 1)
				put(o, "  ", 2);
		}
		put(o, "\n", 1);
	}
}

static void rates_csv(out *o, const dx_report *r)
{
	for (unsigned k = 0; k < r->nkeys; k++) {
		csv_field(o, dx_key_name(r->keys[k]));
		put(o, ",", 1);
	}
	puts_(o, "delivered,failed,delayed,count,failure_rate\r\n");
	char cells[NRATE][32];
	for (size_t i = 0; i < r->nrows; i++) {
		for (unsigned k = 0; k < r->nkeys; k++) {
			csv_field(o, r->rows[i].values[k]);
			put(o, ",", 1);
		}
		rate_cells(&r->rows[i], cells, 0);
		for (unsigned c = 0; c < NRATE; c++) {
			puts_(o, cells[c]);
			puts_(o, c < NRATE - 1 ? "," : "\r\n");
		}
	}
}

static void rate_json(out *o, const dx_report_row *row)
{
	char cells[NRATE][32], num[256];
	rate_cells(row, cells, 0);
	snprintf(num, sizeof num, "\"delivered\":%s,\"failed\":%s,\"delayed\":%s,\"count\":%s,\"failure_rate\":%s}",
		 cells[0], cells[1], cells[2], cells[3], cells[4][0] ? cells[4] : "null");
	puts_(o, num);
}

static void rates_json(out *o, const dx_report *r)
{
	puts_(o, "{\"by\":[");
	for (unsigned k = 0; k < r->nkeys; k++) {
		if (k)
			put(o, ",", 1);
		json_string(o, dx_key_name(r->keys[k]));
	}
	puts_(o, "],\"total\":{");
	rate_json(o, &r->all);
	puts_(o, ",\"rows\":[");
	for (size_t i = 0; i < r->nrows; i++) {
		put(o, i ? ",{" : "{", i ? 2 : 1);
		for (unsigned k = 0; k < r->nkeys; k++) {
			json_string(o, dx_key_name(r->keys[k]));
			put(o, ":", 1);
			json_string(o, r->rows[i].values[k]);
			put(o, ",", 1);
		}
		rate_json(o, &r->rows[i]);
	}
	char num[64];
	snprintf(num, sizeof num, "],\"other\":{\"rows\":%llu,", (unsigned long long)r->rest_rows);
	puts_(o, num);
	rate_json(o, &r->rest);
	puts_(o, "}\n");
}

static void report_csv(out *o, const dx_report *r)
{
	for (unsigned k = 0; k < r->nkeys; k++) {
		csv_field(o, dx_key_name(r->keys[k]));
		put(o, ",", 1);
	}
	puts_(o, "count\r\n");
	char num[32];
	for (size_t i = 0; i < r->nrows; i++) {
		for (unsigned k = 0; k < r->nkeys; k++) {
			csv_field(o, r->rows[i].values[k]);
			put(o, ",", 1);
		}
		snprintf(num, sizeof num, "%llu\r\n", (unsigned long long)r->rows[i].count);
		puts_(o, num);
	}
}

static void report_json(out *o, const dx_report *r)
{
	char num[64];
	puts_(o, "{\"by\":[");
	for (unsigned k = 0; k < r->nkeys; k++) {
		if (k)
			put(o, ",", 1);
		json_string(o, dx_key_name(r->keys[k]));
	}
	snprintf(num, sizeof num, "],\"total\":%llu,\"rows\":[", (unsigned long long)r->total);
	puts_(o, num);
	for (size_t i = 0; i < r->nrows; i++) {
		put(o, i ? ",{" : "{", i ? 2 : 1);
		for (unsigned k = 0; k < r->nkeys; k++) {
			json_string(o, dx_key_name(r->keys[k]));
			put(o, ":", 1);
			json_string(o, r->rows[i].values[k]);
			put(o, ",", 1);
		}
		snprintf(num, sizeof num, "\"count\":%llu}", (unsigned long long)r->rows[i].count);
		puts_(o, num);
	}
	snprintf(num, sizeof num, "],\"other\":{\"rows\":%llu,\"count\":%llu}}\n", (unsigned long long)r->rest_rows,
		 (unsigned long long)r->rest_count);
	puts_(o, num);
}

int dx_report_write(FILE *f, const dx_report *r, dx_format fmt)
{
	out o = {f, 0};
	switch (fmt) {
	case DX_FMT_TEXT: r->rates ? rates_text(&o, r) : report_text(&o, r); break;
	case DX_FMT_CSV: r->rates ? rates_csv(&o, r) : report_csv(&o, r); break;
	case DX_FMT_JSON: r->rates ? rates_json(&o, r) : report_json(&o, r); break;
	default: return -1;
	}
	if (fflush(f) != 0)
		o.failed = 1;
	return o.failed ? -1 : 0;
}

/* ---- summaries --------------------------------------------------------------------- */

/* A time as the histogram labels it: "2026-11-27T08:00Z" or "2026-11-27". */
static void bucket_label(int64_t t, int days, char *buf)
{
	char full[DX_TIME_BUFSZ];
	dx_format_time(t, full);
	if (days)
		snprintf(buf, DX_TIME_BUFSZ, "%.10s", full);
	else
		snprintf(buf, DX_TIME_BUFSZ, "%.13s:00Z", full);
}

static int64_t floor_to(int64_t t, int64_t unit)
{
	return t >= 0 ? t - t % unit : t - ((t % unit) + unit) % unit;
}

static uint64_t bucket_count(const dx_report *h, const char *label)
{
	for (size_t i = 0; i < h->nrows; i++)
		if (strcmp(h->rows[i].values[0], label) == 0)
			return h->rows[i].count;
	return 0;
}

/* The buckets to show: from the window's start (or the first record) to
 * its end (or the last), every one, empty or not; at most this many. */
enum { MAX_BUCKETS = 24 * 14 };

static size_t bucket_range(const dx_summary *sm, int64_t *from, int64_t *unit)
{
	*unit = sm->histogram_days ? 86400 : 3600;
	int64_t a = sm->filter.has_since ? sm->filter.since : sm->first;
	int64_t b = sm->filter.has_until ? sm->filter.until - 1 : sm->last;
	if (a == DX_NO_TIME || b == DX_NO_TIME || b < a)
		return 0;
	a = floor_to(a, *unit);
	b = floor_to(b, *unit);
	uint64_t n = (uint64_t)((b - a) / *unit) + 1;
	if (n > MAX_BUCKETS) {
		a = b - (int64_t)(MAX_BUCKETS - 1) * *unit; /* the latest ones */
		n = MAX_BUCKETS;
	}
	*from = a;
	return (size_t)n;
}

static void pct(out *o, uint64_t n, uint64_t total)
{
	char b[32];
	snprintf(b, sizeof b, "%5.1f%%", total ? 100.0 * (double)n / (double)total : 0.0);
	puts_(o, b);
}

static void summary_section(out *o, const char *title, const dx_report *r, uint64_t total)
{
	char num[32];
	puts_(o, "\n");
	puts_(o, title);
	puts_(o, "\n");
	if (!r || !r->nrows) {
		puts_(o, "  (none)\n");
		return;
	}
	size_t w = 0, wn = 0;
	for (size_t i = 0; i < r->nrows; i++) {
		const char *v = r->rows[i].values[0][0] ? r->rows[i].values[0] : "(none)";
		if (width(v) > w)
			w = width(v);
		snprintf(num, sizeof num, "%llu", (unsigned long long)r->rows[i].count);
		if (strlen(num) > wn)
			wn = strlen(num);
	}
	if (w > 60)
		w = 60;
	for (size_t i = 0; i < r->nrows; i++) {
		const char *v = r->rows[i].values[0][0] ? r->rows[i].values[0] : "(none)";
		puts_(o, "  ");
		text_cell(o, v, w, 0, 0);
		puts_(o, "  ");
		snprintf(num, sizeof num, "%llu", (unsigned long long)r->rows[i].count);
		text_cell(o, num, wn, 1, 0);
		puts_(o, "  ");
		pct(o, r->rows[i].count, total);
		puts_(o, "\n");
	}
	if (r->rest_rows) {
		char rest[96];
		snprintf(rest, sizeof rest, "  (%llu more: %llu records)\n", (unsigned long long)r->rest_rows,
			 (unsigned long long)r->rest_count);
		puts_(o, rest);
	}
}

static void summary_text(out *o, const dx_summary *sm)
{
	char a[DX_TIME_BUFSZ], b[DX_TIME_BUFSZ], line[256];
	if (sm->filter.has_since || sm->filter.has_until) {
		dx_format_time(sm->filter.has_since ? sm->filter.since : sm->first, a);
		dx_format_time(sm->filter.has_until ? sm->filter.until : sm->last, b);
		snprintf(line, sizeof line, "Bounces from %s to %s\n", a[0] ? a : "the start", b[0] ? b : "now");
	} else {
		dx_format_time(sm->first, a);
		dx_format_time(sm->last, b);
		if (a[0])
			snprintf(line, sizeof line, "All indexed bounces, %s to %s\n", a, b);
		else
			snprintf(line, sizeof line, "All indexed bounces\n");
	}
	puts_(o, line);
	snprintf(line, sizeof line, "  %llu records (recipients) from %llu messages, %llu distinct addresses\n",
		 (unsigned long long)sm->records, (unsigned long long)sm->bounces, (unsigned long long)sm->addresses);
	puts_(o, line);
	snprintf(line, sizeof line, "  hard bounces %llu (", (unsigned long long)sm->hard);
	puts_(o, line);
	pct(o, sm->hard, sm->records);
	snprintf(line, sizeof line, "), soft %llu (", (unsigned long long)sm->soft);
	puts_(o, line);
	pct(o, sm->soft, sm->records);
	puts_(o, ")\n");
	summary_section(o, "By action", sm->by_action, sm->records);
	summary_section(o, "Top status codes", sm->by_status, sm->records);
	summary_section(o, "Top reasons", sm->by_reason, sm->records);
	summary_section(o, "Top generating servers (reporting MTA)", sm->by_reporting_mta, sm->records);
	summary_section(o, "Top refusing servers (remote MTA)", sm->by_remote_mta, sm->records);
	summary_section(o, "Top domains", sm->by_domain, sm->records);

	puts_(o, sm->histogram_days ? "\nPer day (UTC)\n" : "\nPer hour (UTC)\n");
	int64_t from, unit;
	size_t n = bucket_range(sm, &from, &unit);
	if (!n) {
		puts_(o, "  (no records with a time)\n");
		return;
	}
	uint64_t max = 0;
	for (size_t i = 0; i < n; i++) {
		bucket_label(from + (int64_t)i * unit, sm->histogram_days, a);
		uint64_t c = bucket_count(sm->histogram, a);
		if (c > max)
			max = c;
	}
	enum { BAR = 50 };
	for (size_t i = 0; i < n; i++) {
		bucket_label(from + (int64_t)i * unit, sm->histogram_days, a);
		uint64_t c = bucket_count(sm->histogram, a);
		size_t len = max ? (size_t)((c * BAR + max - 1) / max) : 0;
		puts_(o, "  ");
		puts_(o, a);
		puts_(o, " |");
		for (size_t k = 0; k < BAR; k++)
			put(o, k < len ? "#" : " ", 1);
		snprintf(line, sizeof line, "| %llu\n", (unsigned long long)c);
		puts_(o, line);
	}
	uint64_t none = bucket_count(sm->histogram, "");
	if (none) {
		snprintf(line, sizeof line, "  (no time: %llu)\n", (unsigned long long)none);
		puts_(o, line);
	}
}

static void json_rows(out *o, const char *name, const dx_report *r)
{
	char num[96];
	put(o, ",", 1);
	json_string(o, name);
	puts_(o, ":[");
	for (size_t i = 0; r && i < r->nrows; i++) {
		puts_(o, i ? ",{\"value\":" : "{\"value\":");
		json_string(o, r->rows[i].values[0]);
		snprintf(num, sizeof num, ",\"count\":%llu}", (unsigned long long)r->rows[i].count);
		puts_(o, num);
	}
	puts_(o, "]");
}

static void json_time(out *o, const char *name, int64_t t, int known)
{
	char b[DX_TIME_BUFSZ];
	put(o, ",", 1);
	json_string(o, name);
	put(o, ":", 1);
	if (!known || t == DX_NO_TIME) {
		puts_(o, "null");
		return;
	}
	dx_format_time(t, b);
	json_string(o, b);
}

static void summary_json(out *o, const dx_summary *sm)
{
	char num[256];
	snprintf(num, sizeof num,
		 "{\"records\":%llu,\"bounces\":%llu,\"addresses\":%llu,\"hard\":%llu,\"soft\":%llu",
		 (unsigned long long)sm->records, (unsigned long long)sm->bounces, (unsigned long long)sm->addresses,
		 (unsigned long long)sm->hard, (unsigned long long)sm->soft);
	puts_(o, num);
	json_time(o, "since", sm->filter.since, sm->filter.has_since);
	json_time(o, "until", sm->filter.until, sm->filter.has_until);
	json_time(o, "first", sm->first, 1);
	json_time(o, "last", sm->last, 1);
	json_rows(o, "by_action", sm->by_action);
	json_rows(o, "by_status", sm->by_status);
	json_rows(o, "by_reason", sm->by_reason);
	json_rows(o, "by_reporting_mta", sm->by_reporting_mta);
	json_rows(o, "by_remote_mta", sm->by_remote_mta);
	json_rows(o, "by_domain", sm->by_domain);
	puts_(o, sm->histogram_days ? ",\"histogram\":{\"unit\":\"day\",\"buckets\":["
				    : ",\"histogram\":{\"unit\":\"hour\",\"buckets\":[");
	int64_t from, unit;
	size_t n = bucket_range(sm, &from, &unit);
	char a[DX_TIME_BUFSZ];
	for (size_t i = 0; i < n; i++) {
		bucket_label(from + (int64_t)i * unit, sm->histogram_days, a);
		puts_(o, i ? ",{\"time\":" : "{\"time\":");
		json_string(o, a);
		snprintf(num, sizeof num, ",\"count\":%llu}", (unsigned long long)bucket_count(sm->histogram, a));
		puts_(o, num);
	}
	snprintf(num, sizeof num, "],\"no_time\":%llu}}\n", (unsigned long long)bucket_count(sm->histogram, ""));
	puts_(o, num);
}

int dx_summary_write(FILE *f, const dx_summary *sm, dx_format fmt)
{
	out o = {f, 0};
	switch (fmt) {
	case DX_FMT_TEXT: summary_text(&o, sm); break;
	case DX_FMT_JSON: summary_json(&o, sm); break;
	default: return -1;
	}
	if (fflush(f) != 0)
		o.failed = 1;
	return o.failed ? -1 : 0;
}
