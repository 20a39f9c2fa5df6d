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

static void csv_field(out *o, const char *s)
{
	size_t n = strlen(s);
	if (strpbrk(s, ",\"\r\n")) {
		put(o, "\"", 1);
		put_utf8(o, s, n, csv_raw);
		put(o, "\"", 1);
	} else
		put_utf8(o, s, n, put);
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

dx_writer *dx_writer_new(FILE *f, dx_format fmt)
{
	if (fmt != DX_FMT_CSV && fmt != DX_FMT_JSONL)
		return NULL;
	dx_writer *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->o.f = f;
	w->fmt = fmt;
	if (fmt == DX_FMT_CSV) {
		for (int c = 0; c < DX_NCOLUMNS; c++) {
			if (c)
				put(&w->o, ",", 1);
			puts_(&w->o, column_names[c]);
		}
		put(&w->o, "\r\n", 2);
	}
	return w;
}

int dx_writer_record(dx_writer *w, const dx_record *r)
{
	char num[DX_TIME_BUFSZ];
	const char *text;
	int is_number;
	if (w->fmt == DX_FMT_CSV) {
		for (int c = 0; c < DX_NCOLUMNS; c++) {
			if (c)
				put(&w->o, ",", 1);
			record_field(r, (dx_column)c, num, &text, &is_number);
			csv_field(&w->o, text);
		}
		put(&w->o, "\r\n", 2);
	} else {
		put(&w->o, "{", 1);
		for (int c = 0; c < DX_NCOLUMNS; c++) {
			if (c)
				put(&w->o, ",", 1);
			json_string(&w->o, column_names[c]);
			put(&w->o, ":", 1);
			record_field(r, (dx_column)c, num, &text, &is_number);
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
	case DX_FMT_TEXT: report_text(&o, r); break;
	case DX_FMT_CSV: report_csv(&o, r); break;
	case DX_FMT_JSON: report_json(&o, r); break;
	default: return -1;
	}
	if (fflush(f) != 0)
		o.failed = 1;
	return o.failed ? -1 : 0;
}
