/* test_export.c: output formats (core/dsnidx.h): the CSV and JSON Lines
 * record writers, dx_format_time, and reports as text, CSV and JSON. */
#include "helpers.h"

#include "dsnidx.h"

#define FFFD "\xef\xbf\xbd"

static const char csv_header[] = "source,offset,index,timestamp,recipient,domain,action,status,reply_code,"
				 "reason,hard_bounce,reporting_mta,remote_mta,diagnostic,sender,subject,"
				 "message_id,decoder\r\n";

static dx_record full_record(void)
{
	dx_record r = {
		.source = "a,b.mbox",
		.offset = 42,
		.index = 1,
		.timestamp = 1312383815,
		.recipient = "u@x.example",
		.domain = "x.example",
		.action = "failed",
		.status = "5.1.1",
		.reply_code = 550,
		.reason = "userunknown",
		.hard_bounce = 1,
		.reporting_mta = "mx.example",
		.remote_mta = "",
		.diagnostic = "say \"hi\"\r\nbye",
		.sender = "s@x.example",
		.subject = "line1\nline2",
		.message_id = "id\xff" "x",
		.decoder = "rfc3464",
	};
	return r;
}

static dx_record sparse_record(void)
{
	dx_record r = {
		.source = "-",
		.offset = 0,
		.index = 2,
		.timestamp = DX_NO_TIME,
		.recipient = "v@y.example",
		.domain = "y.example",
		.action = "delayed",
		.status = "",
		.reply_code = 0,
		.reason = "undefined",
		.hard_bounce = 0,
		.reporting_mta = "",
		.remote_mta = "",
		.diagnostic = "tab\there \\ ctl\x01\x1f end",
		.sender = "",
		.subject = "a\rb",
		.message_id = "",
		.decoder = "exchange",
	};
	return r;
}

/* Writes records with a new writer and returns everything written. */
static char *write_records(dx_format fmt, const dx_record *recs, size_t n)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	dx_writer *w = dx_writer_new(f, fmt);
	assert_non_null(w);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(dx_writer_record(w, &recs[i]), 0);
	assert_int_equal(dx_writer_close(w), 0);
	char *s = slurp_stream(f);
	assert_non_null(s);
	fclose(f);
	return s;
}

static void test_column_names(void **state)
{
	(void)state;
	char built[512] = "";
	for (int c = 0; c < DX_NCOLUMNS; c++) {
		if (c)
			strcat(built, ",");
		strcat(built, dx_column_name((dx_column)c));
	}
	strcat(built, "\r\n");
	assert_string_equal(built, csv_header);
	assert_string_equal(dx_column_name(DX_NCOLUMNS), "");
	assert_string_equal(dx_column_name(DX_COL_REPLY_CODE), "reply_code");
}

static void test_csv_header_only(void **state)
{
	(void)state;
	char *s = write_records(DX_FMT_CSV, NULL, 0);
	assert_string_equal(s, csv_header);
	free(s);
}

static void test_csv_records(void **state)
{
	(void)state;
	dx_record recs[2] = {full_record(), sparse_record()};
	char *s = write_records(DX_FMT_CSV, recs, 2);
	static const char want[] =
		"\"a,b.mbox\",42,1,2011-08-03T15:03:35Z,u@x.example,x.example,failed,5.1.1,550,userunknown,1,"
		"mx.example,,\"say \"\"hi\"\"\r\nbye\",s@x.example,\"line1\nline2\",id" FFFD "x,rfc3464\r\n"
		"-,0,2,,v@y.example,y.example,delayed,,,undefined,0,,,"
		"tab\there \\ ctl\x01\x1f end,,\"a\rb\",,exchange\r\n";
	size_t hl = strlen(csv_header);
	assert_memory_equal(s, csv_header, hl);
	assert_string_equal(s + hl, want);
	free(s);
}

static void test_jsonl_records(void **state)
{
	(void)state;
	dx_record recs[2] = {full_record(), sparse_record()};
	char *s = write_records(DX_FMT_JSONL, recs, 2);
	static const char want[] =
		"{\"source\":\"a,b.mbox\",\"offset\":42,\"index\":1,\"timestamp\":\"2011-08-03T15:03:35Z\","
		"\"recipient\":\"u@x.example\",\"domain\":\"x.example\",\"action\":\"failed\",\"status\":\"5.1.1\","
		"\"reply_code\":550,\"reason\":\"userunknown\",\"hard_bounce\":1,\"reporting_mta\":\"mx.example\","
		"\"remote_mta\":\"\",\"diagnostic\":\"say \\\"hi\\\"\\r\\nbye\",\"sender\":\"s@x.example\","
		"\"subject\":\"line1\\nline2\",\"message_id\":\"id" FFFD "x\",\"decoder\":\"rfc3464\"}\n"
		"{\"source\":\"-\",\"offset\":0,\"index\":2,\"timestamp\":null,"
		"\"recipient\":\"v@y.example\",\"domain\":\"y.example\",\"action\":\"delayed\",\"status\":\"\","
		"\"reply_code\":null,\"reason\":\"undefined\",\"hard_bounce\":0,\"reporting_mta\":\"\","
		"\"remote_mta\":\"\",\"diagnostic\":\"tab\\there \\\\ ctl\\u0001\\u001f end\",\"sender\":\"\","
		"\"subject\":\"a\\rb\",\"message_id\":\"\",\"decoder\":\"exchange\"}\n";
	assert_string_equal(s, want);
	free(s);
}

/* Every kind of invalid UTF-8 (an overlong form, a surrogate, a code
 * point past U+10FFFF, a sequence cut short at the end) comes out as one
 * U+FFFD per byte, in both formats: output is always valid UTF-8. */
static void test_invalid_utf8_kinds(void **state)
{
	(void)state;
	dx_record r = sparse_record();
	r.diagnostic = "a\xc0\x80" "b\xed\xa0\x80" "c\xf4\x90\x80\x80" "d\xe2\x82";
	r.subject = "ok \xc3\xa9 \xf0\x9f\x93\xa7";
#define DIAG_OUT "a" FFFD FFFD "b" FFFD FFFD FFFD "c" FFFD FFFD FFFD FFFD "d" FFFD FFFD
	char *j = write_records(DX_FMT_JSONL, &r, 1);
	assert_non_null(strstr(j, "\"diagnostic\":\"" DIAG_OUT "\","));
	assert_non_null(strstr(j, "\"subject\":\"ok \xc3\xa9 \xf0\x9f\x93\xa7\","));
	free(j);
	char *c = write_records(DX_FMT_CSV, &r, 1);
	assert_non_null(strstr(c, "," DIAG_OUT ","));
	assert_non_null(strstr(c, ",ok \xc3\xa9 \xf0\x9f\x93\xa7,"));
	free(c);
#undef DIAG_OUT
}

static void test_writer_errors(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_null(dx_writer_new(f, DX_FMT_TEXT));
	assert_null(dx_writer_new(f, DX_FMT_JSON));
	fclose(f);
	assert_int_equal(dx_writer_close(NULL), 0);

	/* A stream that cannot be written: the failure is reported. */
	f = fopen("/dev/null", "r");
	assert_non_null(f);
	dx_writer *w = dx_writer_new(f, DX_FMT_JSONL);
	assert_non_null(w);
	dx_record r = full_record();
	assert_int_equal(dx_writer_record(w, &r), -1);
	assert_int_equal(dx_writer_close(w), -1);
	fclose(f);
}

static void check_time(int64_t t, const char *want)
{
	char buf[DX_TIME_BUFSZ];
	memset(buf, 'x', sizeof buf);
	dx_format_time(t, buf);
	assert_string_equal(buf, want);
}

static void test_format_time(void **state)
{
	(void)state;
	check_time(0, "1970-01-01T00:00:00Z");
	check_time(1312383815, "2011-08-03T15:03:35Z");
	check_time(951782400, "2000-02-29T00:00:00Z");
	check_time(-1, "1969-12-31T23:59:59Z");
	check_time(-86400, "1969-12-31T00:00:00Z");
	check_time(-86401, "1969-12-30T23:59:59Z");
	check_time(-62135596800, "0001-01-01T00:00:00Z");
	check_time(253402300799, "9999-12-31T23:59:59Z");
	check_time(DX_NO_TIME, "");
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(dx_format_parse("text"), DX_FMT_TEXT);
	assert_int_equal(dx_format_parse("csv"), DX_FMT_CSV);
	assert_int_equal(dx_format_parse("json"), DX_FMT_JSON);
	assert_int_equal(dx_format_parse("jsonl"), DX_FMT_JSONL);
	assert_int_equal(dx_format_parse("CSV"), -1);
	assert_int_equal(dx_format_parse("xml"), -1);
	assert_int_equal(dx_key_parse("reply_code"), DX_KEY_REPLY_CODE);
	assert_int_equal(dx_key_parse("hour"), DX_KEY_HOUR);
	assert_int_equal(dx_key_parse("nope"), -1);
	assert_string_equal(dx_key_name(DX_KEY_REPORTING_MTA), "reporting_mta");
	assert_string_equal(dx_key_name(DX_NKEYS), "");
}

/* ---- reports ---------------------------------------------------------------------- */

static char *write_report(const dx_report *r, dx_format fmt)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(dx_report_write(f, r, fmt), 0);
	char *s = slurp_stream(f);
	assert_non_null(s);
	fclose(f);
	return s;
}

/* status x reason: two rows shown, two more left out by `top`. */
static void two_key_report(dx_report *r, dx_report_row rows[2])
{
	memset(r, 0, sizeof *r);
	r->keys[0] = DX_KEY_STATUS;
	r->keys[1] = DX_KEY_REASON;
	r->nkeys = 2;
	memset(rows, 0, 2 * sizeof *rows);
	rows[0].values[0] = "5.1.1";
	rows[0].values[1] = "userunknown";
	rows[0].count = 12;
	rows[1].values[0] = "";
	rows[1].values[1] = "onhold";
	rows[1].count = 3;
	r->rows = rows;
	r->nrows = 2;
	r->total = 20;
	r->rest_rows = 2;
	r->rest_count = 5;
}

static void test_report_text(void **state)
{
	(void)state;
	dx_report r;
	dx_report_row rows[2];
	two_key_report(&r, rows);
	char *s = write_report(&r, DX_FMT_TEXT);
	static const char want[] = "status    reason       count\n"
				   "--------  -----------  -----\n"
				   "5.1.1     userunknown     12\n"
				   "(none)    onhold           3\n"
				   "(2 more)                   5\n"
				   "--------  -----------  -----\n"
				   "total                     20\n";
	assert_string_equal(s, want);
	free(s);

	/* Without left-out rows there is no "(N more)" line. */
	r.rest_rows = 0;
	r.rest_count = 0;
	r.total = 15;
	s = write_report(&r, DX_FMT_TEXT);
	static const char want2[] = "status  reason       count\n"
				    "------  -----------  -----\n"
				    "5.1.1   userunknown     12\n"
				    "(none)  onhold           3\n"
				    "------  -----------  -----\n"
				    "total                   15\n";
	assert_string_equal(s, want2);
	free(s);
}

/* Columns are as wide as their characters, not their bytes. */
static void test_report_text_utf8(void **state)
{
	(void)state;
	dx_report_row row = {.values = {"\xc3\xa9t\xc3\xa9.example"}, .count = 1234567};
	dx_report r = {.keys = {DX_KEY_DOMAIN}, .nkeys = 1, .rows = &row, .nrows = 1, .total = 1234567};
	char *s = write_report(&r, DX_FMT_TEXT);
	static const char want[] = "domain         count\n"
				   "-----------  -------\n"
				   "\xc3\xa9t\xc3\xa9.example  1234567\n"
				   "-----------  -------\n"
				   "total        1234567\n";
	assert_string_equal(s, want);
	free(s);
}

static void test_report_csv(void **state)
{
	(void)state;
	dx_report r;
	dx_report_row rows[2];
	two_key_report(&r, rows);
	rows[1].values[1] = "on,hold \"x\"";
	char *s = write_report(&r, DX_FMT_CSV);
	assert_string_equal(s, "status,reason,count\r\n"
			       "5.1.1,userunknown,12\r\n"
			       ",\"on,hold \"\"x\"\"\",3\r\n");
	free(s);
}

static void test_report_json(void **state)
{
	(void)state;
	dx_report r;
	dx_report_row rows[2];
	two_key_report(&r, rows);
	rows[1].values[1] = "on\"hold\\\n";
	char *s = write_report(&r, DX_FMT_JSON);
	assert_string_equal(s, "{\"by\":[\"status\",\"reason\"],\"total\":20,\"rows\":["
			       "{\"status\":\"5.1.1\",\"reason\":\"userunknown\",\"count\":12},"
			       "{\"status\":\"\",\"reason\":\"on\\\"hold\\\\\\n\",\"count\":3}],"
			       "\"other\":{\"rows\":2,\"count\":5}}\n");
	free(s);

	/* An empty report. */
	dx_report e = {.keys = {DX_KEY_DAY}, .nkeys = 1};
	s = write_report(&e, DX_FMT_JSON);
	assert_string_equal(s, "{\"by\":[\"day\"],\"total\":0,\"rows\":[],\"other\":{\"rows\":0,\"count\":0}}\n");
	free(s);

	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(dx_report_write(f, &e, DX_FMT_JSONL), -1);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_column_names),
		cmocka_unit_test(test_csv_header_only),
		cmocka_unit_test(test_csv_records),
		cmocka_unit_test(test_jsonl_records),
		cmocka_unit_test(test_invalid_utf8_kinds),
		cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_format_time),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_report_text),
		cmocka_unit_test(test_report_text_utf8),
		cmocka_unit_test(test_report_csv),
		cmocka_unit_test(test_report_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
