/* test_pipeline.c: dx_run() over containers, checked through its stats and
 * diagnostics: records from archives, limits counted as limits (a warning,
 * not an input error), damage counted as an input error with the records
 * before it kept. The archives are written here with libarchive. */
#include "helpers.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

/* A bounce with one failed recipient, numbered n. */
static char *bounce(int n, size_t *len)
{
	char *s = malloc(2048);
	assert_non_null(s);
	int k = snprintf(s, 2048,
			 "From: MAILER-DAEMON@mx.example.net\n"
			 "To: sender@example.net\n"
			 "Subject: Undelivered Mail Returned to Sender\n"
			 "MIME-Version: 1.0\n"
			 "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n"
			 "\n"
			 "--b\n"
			 "Content-Type: text/plain\n"
			 "\n"
			 "Your message could not be delivered.\n"
			 "--b\n"
			 "Content-Type: message/delivery-status\n"
			 "\n"
			 "Reporting-MTA: dns; mx.example.net\n"
			 "\n"
			 "Final-Recipient: rfc822; user%d@example.org\n"
			 "Action: failed\n"
			 "Status: 5.1.1\n"
			 "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n"
			 "--b--\n",
			 n);
	*len = (size_t)k;
	return s;
}

/* Writes an archive of `n` bounces to path, in the format and filter given
 * (libarchive codes); with `inner` set, the archive holds that file instead. */
static void write_archive(const char *path, int format, int filter, int n, const char *inner)
{
	struct archive *a = archive_write_new();
	assert_non_null(a);
	assert_int_equal(archive_write_set_format(a, format), ARCHIVE_OK);
	if (filter != ARCHIVE_FILTER_NONE)
		assert_int_equal(archive_write_add_filter(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (int i = 0; i < (inner ? 1 : n); i++) {
		char name[64];
		char *data;
		size_t len;
		if (inner) {
			FILE *f = fopen(inner, "rb");
			assert_non_null(f);
			data = malloc(1 << 20);
			assert_non_null(data);
			len = fread(data, 1, 1 << 20, f);
			fclose(f);
			const char *base = strrchr(inner, '/');
			snprintf(name, sizeof name, "%s", base ? base + 1 : inner);
		} else {
			data = bounce(i, &len);
			snprintf(name, sizeof name, "mail/%03d.eml", i);
		}
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
		archive_entry_free(e);
		free(data);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

typedef struct seen {
	unsigned records, warnings, errors;
	char last_warning[1024];
	char last_error[1024];
	char first_source[512];
} seen;

static int on_record(void *arg, const dx_record *r)
{
	seen *s = arg;
	if (s->records++ == 0)
		snprintf(s->first_source, sizeof s->first_source, "%s", r->source);
	return 0;
}

static void on_diag(void *arg, const dx_diag *d)
{
	seen *s = arg;
	if (d->severity == DX_DIAG_WARNING) {
		s->warnings++;
		snprintf(s->last_warning, sizeof s->last_warning, "%s", d->message);
	} else {
		s->errors++;
		snprintf(s->last_error, sizeof s->last_error, "%s", d->message);
	}
}

static void run(const char *path, const dx_limits *limits, seen *s, dx_stats *st)
{
	dx_options o;
	dx_options_default(&o);
	if (limits)
		o.limits = *limits;
	dx_engine *e;
	dx_error err;
	assert_int_equal(dx_engine_new(&o, &e, &err), DX_OK);
	memset(s, 0, sizeof *s);
	dx_sink sink = {.arg = s, .record = on_record, .diag = on_diag};
	const char *paths[] = {path};
	assert_int_equal(dx_run(e, paths, 1, 2, &sink, st, &err), DX_OK);
	dx_engine_free(e);
}

typedef struct dir {
	char path[64];
} dir;

static int setup(void **state)
{
	dir *d = malloc(sizeof *d);
	if (!d)
		return -1;
	snprintf(d->path, sizeof d->path, "/tmp/dsnidx-test-XXXXXX");
	if (!mkdtemp(d->path)) {
		free(d);
		return -1;
	}
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	dir *d = *state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->path);
	int rc = system(cmd);
	free(d);
	return rc == 0 ? 0 : -1;
}

/* dx_sink.interrupted: asked after each batch; a yes stops the run there,
 * between two batches, with every record and mark of what was given. */
typedef struct stopper {
	unsigned records, asked, bad_order;
	uint64_t last_done;
	int last_complete;
	unsigned marks;
} stopper;

static int stop_record(void *arg, const dx_record *r)
{
	stopper *s = arg;
	char want[64];
	snprintf(want, sizeof want, "user%u@example.org", s->records);
	if (strcmp(r->recipient, want) != 0)
		s->bad_order++;
	s->records++;
	return 0;
}

static int stop_asked(void *arg)
{
	stopper *s = arg;
	return ++s->asked >= 2; /* stop after the second batch */
}

static void stop_mark(void *arg, const char *path, const dx_source_state *st)
{
	(void)path;
	stopper *s = arg;
	s->marks++;
	s->last_done = st->done;
	s->last_complete = st->complete;
}

static void test_interrupted(void **state)
{
	dir *d = *state;
	char path[128];
	snprintf(path, sizeof path, "%s/big.mbox", d->path);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	/* About 8 MB: several batches of 2 MB. */
	const unsigned n = 12000;
	for (unsigned i = 0; i < n; i++) {
		size_t len;
		char *b = bounce((int)i, &len);
		fprintf(f, "From MAILER-DAEMON Sat Nov 28 10:00:00 2026\n");
		fwrite(b, 1, len, f);
		fputs("\n", f);
		free(b);
	}
	long size = ftell(f);
	fclose(f);
	dx_options o;
	dx_options_default(&o);
	dx_engine *e;
	dx_error err;
	assert_int_equal(dx_engine_new(&o, &e, &err), DX_OK);
	const char *paths[] = {path};
	for (unsigned threads = 1; threads <= 2; threads++) {
		stopper s = {0};
		dx_sink sink = {.arg = &s, .record = stop_record, .mark = stop_mark, .interrupted = stop_asked};
		dx_stats st;
		memset(&err, 0, sizeof err);
		assert_int_equal(dx_run(e, paths, 1, threads, &sink, &st, &err), DX_ERR_ABORTED);
		assert_string_equal(err.message, "interrupted");
		assert_int_equal(s.asked, 2);
		/* The records of the first two batches, in order, and no more. */
		assert_true(s.records > 0 && s.records < n);
		assert_int_equal(s.bad_order, 0);
		assert_int_equal(st.records, s.records);
		/* Their marks: the file done up to a point short of its end. */
		assert_true(s.marks >= 2);
		assert_true(s.last_done > 0 && s.last_done < (uint64_t)size);
		assert_int_equal(s.last_complete, 0);
	}
	/* Asked and never stopped: the whole file. */
	stopper s = {0};
	dx_sink sink = {.arg = &s, .record = stop_record, .mark = stop_mark, .interrupted = NULL};
	dx_stats st;
	assert_int_equal(dx_run(e, paths, 1, 2, &sink, &st, &err), DX_OK);
	assert_int_equal(s.records, n);
	assert_int_equal(s.bad_order, 0);
	dx_engine_free(e);
}

static void test_archive_records(void **state)
{
	dir *d = *state;
	char tgz[128];
	snprintf(tgz, sizeof tgz, "%s/mail.tar.gz", d->path);
	write_archive(tgz, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_GZIP, 25, NULL);
	seen s;
	dx_stats st;
	run(tgz, NULL, &s, &st);
	assert_int_equal(s.records, 25);
	assert_int_equal(st.records, 25);
	assert_int_equal(st.bounces, 25);
	assert_int_equal(st.input_errors, 0);
	assert_int_equal(st.limits_hit, 0);
	assert_int_equal(s.errors + s.warnings, 0);
	char want[160];
	snprintf(want, sizeof want, "%s:mail/000.eml", tgz);
	assert_string_equal(s.first_source, want);
}

static void test_nesting_limit(void **state)
{
	dir *d = *state;
	char inner[128], outer[128];
	snprintf(inner, sizeof inner, "%s/inner.tar.xz", d->path);
	snprintf(outer, sizeof outer, "%s/outer.zip", d->path);
	write_archive(inner, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_XZ, 3, NULL);
	write_archive(outer, ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, 0, inner);
	seen s;
	dx_stats st;
	dx_limits l;
	dx_limits_default(&l);
	/* zip (1), xz (2), tar (3): three layers are read with the default... */
	run(outer, &l, &s, &st);
	assert_int_equal(s.records, 3);
	assert_int_equal(st.limits_hit, 0);
	/* ...and with a limit of 2, the xz member is skipped: a counted
	 * warning naming it, not an input error. */
	l.max_nesting = 2;
	run(outer, &l, &s, &st);
	assert_int_equal(s.records, 0);
	assert_int_equal(st.limits_hit, 1);
	assert_int_equal(st.input_errors, 0);
	assert_int_equal(s.warnings, 1);
	assert_non_null(strstr(s.last_warning, "outer.zip:inner.tar.xz"));
	assert_non_null(strstr(s.last_warning, "max_nesting (2)"));
}

static void test_7z_memory_limit(void **state)
{
	dir *d = *state;
	char sevenz[128], tar[128];
	snprintf(sevenz, sizeof sevenz, "%s/mail.7z", d->path);
	snprintf(tar, sizeof tar, "%s/holds7z.tar", d->path);
	write_archive(sevenz, ARCHIVE_FORMAT_7ZIP, ARCHIVE_FILTER_NONE, 4, NULL);
	write_archive(tar, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_NONE, 0, sevenz);
	seen s;
	dx_stats st;
	dx_limits l;
	dx_limits_default(&l);
	run(tar, &l, &s, &st); /* inside a tar: held in memory */
	assert_int_equal(s.records, 4);
	assert_int_equal(st.limits_hit, 0);
	l.max_7z_memory = 100;
	run(tar, &l, &s, &st);
	assert_int_equal(s.records, 0);
	assert_int_equal(st.limits_hit, 1);
	assert_int_equal(st.input_errors, 0);
	assert_non_null(strstr(s.last_warning, "holds7z.tar:mail.7z"));
	assert_non_null(strstr(s.last_warning, "max_7z_memory (100 bytes)"));
	run(sevenz, &l, &s, &st); /* its own file: read in place, no limit */
	assert_int_equal(s.records, 4);
	assert_int_equal(st.limits_hit, 0);
}

static void test_truncated_archive(void **state)
{
	dir *d = *state;
	char tar[128], cut[128];
	snprintf(tar, sizeof tar, "%s/whole.tar", d->path);
	snprintf(cut, sizeof cut, "%s/cut.tar", d->path);
	write_archive(tar, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_NONE, 20, NULL);
	FILE *in = fopen(tar, "rb"), *out = fopen(cut, "wb");
	assert_non_null(in);
	assert_non_null(out);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	size_t n = fread(buf, 1, 1 << 20, in);
	assert_int_equal(fwrite(buf, 1, n / 2, out), n / 2);
	fclose(in);
	fclose(out);
	free(buf);
	seen s;
	dx_stats st;
	run(cut, NULL, &s, &st);
	/* Records before the cut are kept, the damage is an input error
	 * naming the archive. */
	assert_true(s.records >= 8 && s.records < 20);
	assert_int_equal(st.input_errors, 1);
	assert_int_equal(s.errors, 1);
	assert_non_null(strstr(s.last_error, "cut.tar"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_archive_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nesting_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_7z_memory_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_archive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
