/* test_store.c: the SQLite index (dx_store_* in core/dsnidx.h): creating,
 * adding with duplicate detection, reopening read-only, exporting in
 * insertion order, reports by one and two keys with `top`, the errors for
 * a missing file and a foreign schema, delivery counts (tally.h) and the
 * counts of a log's past hours written before the commit, and check. */
#include "helpers.h"

#include "tally.h"

#include "hash.h"

#include <sqlite3.h>
#include <unistd.h>

#include "dsnidx.h"

/* ---- temporary database ------------------------------------------------------- */

typedef struct tmpdb {
	char path[64];
} tmpdb;

static void remove_db(const char *path)
{
	char side[96];
	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-journal", path);
	unlink(side);
}

static int setup_tmp(void **state)
{
	tmpdb *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	strcpy(t->path, "/tmp/dsnidx-test-XXXXXX");
	int fd = mkstemp(t->path);
	if (fd < 0) {
		free(t);
		return -1;
	}
	close(fd);
	*state = t;
	return 0;
}

static int teardown_tmp(void **state)
{
	tmpdb *t = *state;
	remove_db(t->path);
	free(t);
	return 0;
}

/* ---- records ---------------------------------------------------------------------- */

/* A record's identity is its bounce's content and recipient (decode.c);
 * here, with no message, its place stands for it. */
static void rekey(dx_record *r)
{
	char id[600];
	int n = snprintf(id, sizeof id, "%s\n%llu\n%u", r->source, (unsigned long long)r->offset, r->index);
	dx_hash h = dx_hash128(id, (size_t)n, 0);
	r->key[0] = h.lo;
	r->key[1] = h.hi;
}

static dx_record make(const char *source, uint64_t offset, unsigned index, int64_t ts, const char *rcpt,
		      const char *domain, const char *status, int code, const char *reason, int hard)
{
	dx_record r = {
		.source = source,
		.offset = offset,
		.index = index,
		.timestamp = ts,
		.recipient = rcpt,
		.domain = domain,
		.action = "failed",
		.status = status,
		.reply_code = code,
		.reason = reason,
		.hard_bounce = hard,
		.reporting_mta = "mx.example.jp",
		.remote_mta = "192.0.2.25",
		.diagnostic = "550 5.1.1 <u@x>: \"quoted\", comma",
		.sender = "sender@example.org",
		.subject = "\xc3\xa9t\xc3\xa9 report",
		.message_id = "abc.123@example.org",
		.decoder = "rfc3464",
	};
	rekey(&r);
	return r;
}

static dx_record records[5];

static void init_records(void)
{
	records[0] = make("a.mbox", 0, 1, 1221728040, "u1@example.net", "example.net", "5.1.1", 550, "userunknown", 1);
	records[1] = make("a.mbox", 0, 2, 1221728044, "u2@example.com", "example.com", "5.2.2", 552, "mailboxfull", 0);
	records[2] = make("b.mbox", 500, 1, DX_NO_TIME, "x@example.net", "example.net", "5.1.1", 0, "userunknown", 1);
	records[3] = make("a.mbox", 900, 1, 1312383815, "bob@partner.example", "partner.example", "5.7.1", 530,
			  "securityerror", 0);
	records[3].decoder = "exchange";
	records[3].remote_mta = "";
	records[4] = make("a.mbox", 1000, 1, 1312387200, "u3@example.net", "example.net", "5.1.1", 550,
			  "userunknown", 1);
}

static void add(dx_store *s, const dx_record *r, int want_added)
{
	dx_error err = {0};
	int added = -1;
	dx_status st = dx_store_add(s, r, &added, &err);
	if (st != DX_OK)
		fail_msg("dx_store_add: %s", err.message);
	assert_int_equal(added, want_added);
}

/* Creates the database with the five records (and one duplicate). */
static void fill(const char *path)
{
	init_records();
	dx_store *s = NULL;
	dx_error err = {0};
	assert_int_equal(dx_store_open(path, DX_STORE_CREATE, &s, &err), DX_OK);
	assert_non_null(s);
	for (size_t i = 0; i < NELEM(records); i++)
		add(s, &records[i], 1);
	/* Same source, offset and index: not added, whatever else differs. */
	dx_record dup = records[0];
	dup.recipient = "other@example.org";
	dup.status = "4.4.7";
	add(s, &dup, 0);
	assert_int_equal(dx_store_close(s, &err), DX_OK);
}

static dx_store *open_ro(const char *path)
{
	dx_store *s = NULL;
	dx_error err = {0};
	dx_status st = dx_store_open(path, DX_STORE_READONLY, &s, &err);
	if (st != DX_OK)
		fail_msg("open read-only: %s", err.message);
	return s;
}

/* ---- export ------------------------------------------------------------------------ */

typedef struct exported {
	dx_record r[8];
	char *strs[8][14];
	size_t n;
} exported;

static int on_export(void *arg, const dx_record *r)
{
	exported *e = arg;
	assert_true(e->n < 8);
	dx_record *d = &e->r[e->n];
	*d = *r;
	const char **fields[] = {&d->source, &d->recipient, &d->domain, &d->action, &d->status,
				 &d->reason, &d->reporting_mta, &d->remote_mta, &d->diagnostic,
				 &d->sender, &d->subject, &d->message_id, &d->decoder};
	for (size_t i = 0; i < NELEM(fields); i++) {
		e->strs[e->n][i] = strdup(*fields[i]);
		assert_non_null(e->strs[e->n][i]);
		*fields[i] = e->strs[e->n][i];
	}
	e->n++;
	return 0;
}

static void exported_free(exported *e)
{
	for (size_t i = 0; i < e->n; i++)
		for (size_t k = 0; k < 13; k++)
			free(e->strs[i][k]);
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

static void test_export_roundtrip(void **state)
{
	tmpdb *t = *state;
	fill(t->path);
	dx_store *s = open_ro(t->path);
	exported e = {0};
	dx_error err = {0};
	assert_int_equal(dx_store_export(s, NULL, on_export, &e, &err), DX_OK);
	assert_int_equal(e.n, 5);
	for (size_t i = 0; i < 5; i++)
		assert_same_record(&e.r[i], &records[i]);
	assert_int_equal(e.r[2].timestamp, DX_NO_TIME);
	assert_int_equal(e.r[2].reply_code, 0);

	/* Read-only: nothing can be added. */
	int added = -1;
	assert_int_equal(dx_store_add(s, &records[0], &added, &err), DX_ERR_DB);
	assert_int_equal(added, 0);
	assert_int_equal(dx_store_close(s, &err), DX_OK);
	exported_free(&e);
}

static int stop_export(void *arg, const dx_record *r)
{
	(void)r;
	(*(int *)arg)++;
	return 1;
}

static void test_export_stopped(void **state)
{
	tmpdb *t = *state;
	fill(t->path);
	dx_store *s = open_ro(t->path);
	int calls = 0;
	dx_error err = {0};
	assert_int_equal(dx_store_export(s, NULL, stop_export, &calls, &err), DX_ERR_ABORTED);
	assert_int_equal(calls, 1);
	assert_int_equal(err.code, DX_ERR_ABORTED);
	dx_store_close(s, NULL);
}

/* Reopening for writing and adding the same records again adds nothing,
 * and the reports do not count them twice. */
static void test_duplicates_across_sessions(void **state)
{
	tmpdb *t = *state;
	fill(t->path);
	dx_store *s = NULL;
	dx_error err = {0};
	assert_int_equal(dx_store_open(t->path, DX_STORE_CREATE, &s, &err), DX_OK);
	for (size_t i = 0; i < NELEM(records); i++)
		add(s, &records[i], 0);
	dx_record extra = records[4];
	extra.index = 2;
	rekey(&extra);
	add(s, &extra, 1);
	assert_int_equal(dx_store_commit(s, &err), DX_OK);

	dx_report_query q = {.keys = {DX_KEY_STATUS}, .nkeys = 1};
	dx_report *r = NULL;
	assert_int_equal(dx_store_report(s, &q, &r, &err), DX_OK);
	assert_int_equal(r->total, 6);
	assert_int_equal(r->nrows, 3);
	assert_string_equal(r->rows[0].values[0], "5.1.1");
	assert_int_equal(r->rows[0].count, 4);
	dx_report_free(r);
	assert_int_equal(dx_store_close(s, &err), DX_OK);
}

/* ---- reports -------------------------------------------------------------------------- */

typedef struct row_want {
	const char *v0, *v1;
	uint64_t count;
} row_want;

static dx_report *report(dx_store *s, const dx_key *keys, unsigned nkeys, uint64_t top)
{
	dx_report_query q = {.nkeys = nkeys, .top = top};
	for (unsigned i = 0; i < nkeys; i++)
		q.keys[i] = keys[i];
	dx_report *r = NULL;
	dx_error err = {0};
	dx_status st = dx_store_report(s, &q, &r, &err);
	if (st != DX_OK)
		fail_msg("report: %s", err.message);
	assert_int_equal(r->nkeys, nkeys);
	for (unsigned i = 0; i < nkeys; i++)
		assert_int_equal(r->keys[i], keys[i]);
	return r;
}

static void assert_rows(const dx_report *r, const row_want *want, size_t n)
{
	assert_int_equal(r->nrows, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(r->rows[i].values[0], want[i].v0);
		if (want[i].v1)
			assert_string_equal(r->rows[i].values[1], want[i].v1);
		assert_int_equal(r->rows[i].count, want[i].count);
	}
}

static void test_report_one_key(void **state)
{
	tmpdb *t = *state;
	fill(t->path);
	dx_store *s = open_ro(t->path);

	dx_report *r = report(s, (dx_key[]){DX_KEY_STATUS}, 1, 0);
	static const row_want by_status[] = {{"5.1.1", NULL, 3}, {"5.2.2", NULL, 1}, {"5.7.1", NULL, 1}};
	assert_rows(r, by_status, NELEM(by_status));
	assert_int_equal(r->total, 5);
	assert_int_equal(r->rest_rows, 0);
	assert_int_equal(r->rest_count, 0);
	dx_report_free(r);

	/* reply_code 0 is shown as "". */
	r = report(s, (dx_key[]){DX_KEY_REPLY_CODE}, 1, 0);
	static const row_want by_code[] = {{"550", NULL, 2}, {"", NULL, 1}, {"530", NULL, 1}, {"552", NULL, 1}};
	assert_rows(r, by_code, NELEM(by_code));
	dx_report_free(r);

	/* Time keys order by time, unknown last. */
	r = report(s, (dx_key[]){DX_KEY_DAY}, 1, 0);
	static const row_want by_day[] = {{"2008-09-18", NULL, 2}, {"2011-08-03", NULL, 2}, {"", NULL, 1}};
	assert_rows(r, by_day, NELEM(by_day));
	assert_int_equal(r->total, 5);
	dx_report_free(r);

	r = report(s, (dx_key[]){DX_KEY_HOUR}, 1, 0);
	static const row_want by_hour[] = {{"2008-09-18T08:00Z", NULL, 2},
					   {"2011-08-03T15:00Z", NULL, 1},
					   {"2011-08-03T16:00Z", NULL, 1},
					   {"", NULL, 1}};
	assert_rows(r, by_hour, NELEM(by_hour));
	dx_report_free(r);

	r = report(s, (dx_key[]){DX_KEY_REMOTE_MTA}, 1, 0);
	static const row_want by_remote[] = {{"192.0.2.25", NULL, 4}, {"", NULL, 1}};
	assert_rows(r, by_remote, NELEM(by_remote));
	dx_report_free(r);

	r = report(s, (dx_key[]){DX_KEY_ACTION}, 1, 0);
	static const row_want by_action[] = {{"failed", NULL, 5}};
	assert_rows(r, by_action, NELEM(by_action));
	dx_report_free(r);
	dx_store_close(s, NULL);
}

static void test_report_two_keys(void **state)
{
	tmpdb *t = *state;
	fill(t->path);
	dx_store *s = open_ro(t->path);

	dx_report *r = report(s, (dx_key[]){DX_KEY_REASON, DX_KEY_DOMAIN}, 2, 0);
	static const row_want want[] = {{"userunknown", "example.net", 3},
					{"mailboxfull", "example.com", 1},
					{"securityerror", "partner.example", 1}};
	assert_rows(r, want, NELEM(want));
	assert_int_equal(r->total, 5);
	dx_report_free(r);

	/* With a time key, time comes first even when it is not the first key. */
	r = report(s, (dx_key[]){DX_KEY_STATUS, DX_KEY_DAY}, 2, 0);
	static const row_want by_time[] = {{"5.1.1", "2008-09-18", 1},
					   {"5.2.2", "2008-09-18", 1},
					   {"5.1.1", "2011-08-03", 1},
					   {"5.7.1", "2011-08-03", 1},
					   {"5.1.1", "", 1}};
	assert_rows(r, by_time, NELEM(by_time));
	dx_report_free(r);
	dx_store_close(s, NULL);
}

static void test_report_top(void **state)
{
	tmpdb *t = *state;
	fill(t->path);
	dx_store *s = open_ro(t->path);

	dx_report *r = report(s, (dx_key[]){DX_KEY_STATUS}, 1, 1);
	static const row_want one[] = {{"5.1.1", NULL, 3}};
	assert_rows(r, one, 1);
	assert_int_equal(r->total, 5);
	assert_int_equal(r->rest_rows, 2);
	assert_int_equal(r->rest_count, 2);
	dx_report_free(r);

	r = report(s, (dx_key[]){DX_KEY_DOMAIN}, 1, 2);
	static const row_want two[] = {{"example.net", NULL, 3}, {"example.com", NULL, 1}};
	assert_rows(r, two, 2);
	assert_int_equal(r->total, 5);
	assert_int_equal(r->rest_rows, 1);
	assert_int_equal(r->rest_count, 1);
	dx_report_free(r);

	/* top larger than the rows: nothing left out. */
	r = report(s, (dx_key[]){DX_KEY_DOMAIN}, 1, 10);
	assert_int_equal(r->nrows, 3);
	assert_int_equal(r->rest_rows, 0);
	assert_int_equal(r->rest_count, 0);
	dx_report_free(r);

	/* No keys: a usage error. */
	dx_report_query q = {.nkeys = 0};
	dx_error err = {0};
	r = (dx_report *)(void *)&q; /* must be reset to NULL */
	assert_int_equal(dx_store_report(s, &q, &r, &err), DX_ERR_USAGE);
	assert_null(r);
	dx_store_close(s, NULL);
}

/* ---- errors ----------------------------------------------------------------------------- */

static void test_open_missing(void **state)
{
	tmpdb *t = *state;
	char path[96];
	snprintf(path, sizeof path, "%s.missing.db", t->path);
	dx_store *s = (dx_store *)(void *)path;
	dx_error err = {0};
	assert_int_equal(dx_store_open(path, DX_STORE_READONLY, &s, &err), DX_ERR_DB);
	assert_null(s);
	assert_int_equal(err.code, DX_ERR_DB);
	assert_non_null(strstr(err.message, path));
	/* It was not created by the attempt. */
	assert_int_equal(access(path, F_OK), -1);

	/* An empty file is no index either. */
	assert_int_equal(dx_store_open(t->path, DX_STORE_READONLY, &s, &err), DX_ERR_DB);
	assert_non_null(strstr(err.message, t->path));
}

static void make_foreign_db(const char *path, int version)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char sql[128];
	snprintf(sql, sizeof sql, "CREATE TABLE t(x); PRAGMA user_version = %d;", version);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_other_schema(void **state)
{
	tmpdb *t = *state;
	make_foreign_db(t->path, 7);
	dx_store *s = NULL;
	dx_error err = {0};
	assert_int_equal(dx_store_open(t->path, DX_STORE_READONLY, &s, &err), DX_ERR_SCHEMA);
	assert_null(s);
	assert_int_equal(err.code, DX_ERR_SCHEMA);
	assert_non_null(strstr(err.message, t->path));
	assert_non_null(strstr(err.message, "7"));
	/* Nor for writing. */
	assert_int_equal(dx_store_open(t->path, DX_STORE_CREATE, &s, &err), DX_ERR_SCHEMA);
	assert_null(s);
}

static int count_record(void *arg, const dx_record *r)
{
	(*(int *)arg)++;
	assert_string_equal(r->recipient, "old@example.com");
	return 0;
}

static void no_problem(void *arg, const char *what)
{
	(void)arg;
	fail_msg("check: %s", what);
}

/* An index of schema 2 (before mail logs): read-only it is refused with
 * a message saying what upgrades it; the next writer upgrades it in
 * place, its records kept and final. */
static void test_upgrade_v2(void **state)
{
	tmpdb *t = *state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	const char *v2 =
		"CREATE TABLE source (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, dev INTEGER, ino INTEGER,"
		" size INTEGER, mtime_ns INTEGER, done INTEGER NOT NULL DEFAULT 0, head BLOB, tail BLOB,"
		" complete INTEGER NOT NULL DEFAULT 0);"
		"CREATE TABLE record (id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, source_id INTEGER NOT NULL"
		" REFERENCES source(id), offset INTEGER NOT NULL, idx INTEGER NOT NULL, ts INTEGER, recipient TEXT NOT"
		" NULL, domain TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL, reply_code INTEGER, reason"
		" TEXT NOT NULL, hard_bounce INTEGER NOT NULL, reporting_mta TEXT NOT NULL, remote_mta TEXT NOT NULL,"
		" diagnostic TEXT NOT NULL, sender TEXT NOT NULL, subject TEXT NOT NULL, message_id TEXT NOT NULL,"
		" decoder TEXT NOT NULL);"
		"CREATE INDEX record_ts ON record(ts);"
		"CREATE TABLE agg (hour INTEGER NOT NULL, status TEXT NOT NULL, reply_code INTEGER NOT NULL, reason"
		" TEXT NOT NULL, action TEXT NOT NULL, reporting_mta TEXT NOT NULL, remote_mta TEXT NOT NULL, domain"
		" TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (hour, status, reply_code, reason, action,"
		" reporting_mta, remote_mta, domain)) WITHOUT ROWID;"
		"INSERT INTO source (path) VALUES ('old.mbox');"
		"INSERT INTO record (key, source_id, offset, idx, ts, recipient, domain, action, status, reply_code,"
		" reason, hard_bounce, reporting_mta, remote_mta, diagnostic, sender, subject, message_id, decoder)"
		" VALUES (x'00112233445566778899aabbccddeeff', 1, 0, 1, 3600, 'old@example.com', 'example.com',"
		" 'failed', '5.1.1', 550, 'userunknown', 1, 'mx', 'mx2', 'no such user', '', '', '', 'rfc3464');"
		"INSERT INTO agg VALUES (1, '5.1.1', 550, 'userunknown', 'failed', 'mx', 'mx2', 'example.com', 1);"
		"PRAGMA user_version = 2;";
	assert_int_equal(sqlite3_exec(db, v2, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	dx_store *s = NULL;
	dx_error err = {0};
	assert_int_equal(dx_store_open(t->path, DX_STORE_READONLY, &s, &err), DX_ERR_SCHEMA);
	assert_non_null(strstr(err.message, "dsnidx index"));
	assert_int_equal(dx_store_open(t->path, DX_STORE_CREATE, &s, &err), DX_OK);
	assert_int_equal(dx_store_close(s, &err), DX_OK);
	assert_int_equal(dx_store_open(t->path, DX_STORE_READONLY, &s, &err), DX_OK);
	int n = 0;
	assert_int_equal(dx_store_export(s, NULL, count_record, &n, &err), DX_OK);
	assert_int_equal(n, 1);
	assert_int_equal(dx_store_check(s, no_problem, NULL, &err), DX_OK);
	dx_report_query q = {.keys = {DX_KEY_DOMAIN}, .nkeys = 1, .rates = 1};
	dx_report *r;
	assert_int_equal(dx_store_report(s, &q, &r, &err), DX_OK);
	assert_int_equal(r->nrows, 1);
	assert_int_equal(r->rows[0].failed, 1);
	assert_int_equal(r->rows[0].delivered, 0);
	dx_report_free(r);
	dx_store_close(s, NULL);
}

static void test_other_sqlite_db(void **state)
{
	tmpdb *t = *state;
	make_foreign_db(t->path, 0);
	dx_store *s = NULL;
	dx_error err = {0};
	assert_int_equal(dx_store_open(t->path, DX_STORE_CREATE, &s, &err), DX_ERR_SCHEMA);
	assert_null(s);
}

/* Regression (found by review, fixed): a timestamp
 * before 1970 is a known time, but reports show it as unknown (""), and
 * one in the hour before the epoch shares the "unknown" hour -1. */
static void test_report_before_epoch(void **state)
{
	tmpdb *t = *state;
	init_records();
	dx_record r = records[0];
	r.timestamp = -1800; /* 1969-12-31T23:30:00Z */
	dx_store *s = NULL;
	dx_error err = {0};
	assert_int_equal(dx_store_open(t->path, DX_STORE_CREATE, &s, &err), DX_OK);
	add(s, &r, 1);
	assert_int_equal(dx_store_commit(s, &err), DX_OK);
	dx_report *rep = report(s, (dx_key[]){DX_KEY_DAY}, 1, 0);
	static const row_want day[] = {{"1969-12-31", NULL, 1}};
	assert_rows(rep, day, 1);
	dx_report_free(rep);
	rep = report(s, (dx_key[]){DX_KEY_HOUR}, 1, 0);
	static const row_want hour[] = {{"1969-12-31T23:00Z", NULL, 1}};
	assert_rows(rep, hour, 1);
	dx_report_free(rep);
	dx_store_close(s, NULL);
}

/* KNOWN BUG: the in-memory aggregate joins fields with '\x1f'; a record
 * whose text holds that byte is counted under shifted, wrong key values. */
static void test_report_unit_separator(void **state)
{
	tmpdb *t = *state;
	init_records();
	dx_record r = records[0];
	r.reporting_mta = "mx\x1fone";
	dx_store *s = NULL;
	dx_error err = {0};
	assert_int_equal(dx_store_open(t->path, DX_STORE_CREATE, &s, &err), DX_OK);
	add(s, &r, 1);
	assert_int_equal(dx_store_commit(s, &err), DX_OK);
	dx_report *rep = report(s, (dx_key[]){DX_KEY_REPORTING_MTA, DX_KEY_DOMAIN}, 2, 0);
	static const row_want want[] = {{"mx\x1fone", "example.net", 1}};
	assert_rows(rep, want, 1);
	dx_report_free(rep);
	dx_store_close(s, NULL);
}

typedef struct tally_seen {
	int n;
	int64_t hour[4];
	char domain[4][32];
	uint64_t count[4];
} tally_seen;

static int tally_collect(void *arg, int64_t hour, const char *decoder, const char *reporting_mta,
			 const char *remote_mta, const char *domain, uint64_t n)
{
	tally_seen *t = arg;
	assert_true(t->n < 4);
	assert_string_equal(decoder, "postfix-log");
	assert_string_equal(reporting_mta, "mx1");
	assert_string_equal(remote_mta, strcmp(domain, "b.example") == 0 ? "" : "relay.a.example");
	t->hour[t->n] = hour;
	snprintf(t->domain[t->n], sizeof t->domain[t->n], "%s", domain);
	t->count[t->n] = n;
	t->n++;
	return 0;
}

static int tally_sum(void *arg, int64_t hour, const char *decoder, const char *reporting_mta, const char *remote_mta,
		     const char *domain, uint64_t n)
{
	uint64_t *sums = arg;
	(void)hour, (void)decoder, (void)reporting_mta, (void)remote_mta;
	assert_int_equal(n, 2);
	assert_true(strncmp(domain, "d", 1) == 0);
	sums[0]++;
	sums[1] += n;
	return 0;
}

/* A run that stops between a log's counts and the mark of their lines:
 * dx_store_close_stopped leaves that transaction out (the next run reads
 * the lines again from the mark), and keeps a transaction whose counts
 * all precede a mark. */
static uint64_t delivered_sum(const char *path)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT coalesce(sum(count), 0) FROM delivered", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	uint64_t n = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* A delivery to domain at ts by relay; okey: the outcome it settles (0:
 * none). */
static void sent_to(dx_store *s, int64_t ts, const char *domain, const char *relay, uint64_t okey)
{
	dx_logfact f;
	memset(&f, 0, sizeof f);
	f.kind = DX_LOGFACT_SENT;
	f.timestamp = ts;
	f.source = "maillog";
	f.key = okey;
	f.domain = domain;
	f.reporting_mta = "mx1";
	f.remote_mta = relay;
	f.decoder = "postfix-log";
	dx_error err = {0};
	assert_int_equal(dx_store_logfact(s, &f, &err), DX_OK);
}

/* count deliveries of one combination at ts. */
static void sent(dx_store *s, int64_t ts, uint64_t count)
{
	for (uint64_t i = 0; i < count; i++)
		sent_to(s, ts, "example.com", "mx.example.com", 0);
}

static void test_close_stopped(void **state)
{
	tmpdb *t = *state;
	dx_store *s = NULL;
	dx_error err = {0};
	dx_source_state m;
	memset(&m, 0, sizeof m);
	m.known = 1;
	/* Counts, a mark, more counts, and the run stops. */
	assert_int_equal(dx_store_open(t->path, DX_STORE_CREATE, &s, &err), DX_OK);
	sent(s, 1800000000, 3);
	m.done = 100;
	assert_int_equal(dx_store_source_put(s, "maillog", &m, &err), DX_OK);
	assert_int_equal(dx_store_commit(s, &err), DX_OK);
	sent(s, 1800000100, 5);
	m.done = 200;
	assert_int_equal(dx_store_source_put(s, "maillog", &m, &err), DX_OK);
	sent(s, 1800000200, 7);
	assert_int_equal(dx_store_close_stopped(s, &err), DX_OK);
	/* The committed counts stay; the open transaction, whose last counts
	 * no mark covers, is left out with its mark. */
	assert_int_equal(delivered_sum(t->path), 3);
	assert_int_equal(dx_store_open(t->path, DX_STORE_CREATE, &s, &err), DX_OK);
	dx_source_state got;
	assert_int_equal(dx_store_source_get(s, "maillog", &got, &err), DX_OK);
	assert_int_equal(got.done, 100);
	/* Counts that a mark covers are kept by a stopped run. */
	sent(s, 1800000300, 11);
	m.done = 300;
	assert_int_equal(dx_store_source_put(s, "maillog", &m, &err), DX_OK);
	assert_int_equal(dx_store_close_stopped(s, &err), DX_OK);
	assert_int_equal(delivered_sum(t->path), 14);
}

/* Deliveries are counted by hour and the key of their texts: a key made
 * by the decoder and one made by the tally agree, and any change of hour
 * or text is another combination. */
static void test_tally(void **state)
{
	(void)state;
	dx_tally *t = dx_tally_new();
	assert_non_null(t);
	uint64_t k[2];
	dx_tally_key("postfix-log", "mx1", "relay.a.example", "a.example", k);
	assert_int_equal(dx_tally_add(t, 10, k, "postfix-log", "mx1", "relay.a.example", "a.example", 1), 0);
	assert_int_equal(dx_tally_add(t, 10, NULL, "postfix-log", "mx1", "relay.a.example", "a.example", 2), 0);
	assert_int_equal(dx_tally_add(t, 11, k, "postfix-log", "mx1", "relay.a.example", "a.example", 1), 0);
	assert_int_equal(dx_tally_add(t, 10, NULL, "postfix-log", "mx1", NULL, "b.example", 5), 0);
	/* Texts run together differently are different combinations. */
	uint64_t k2[2];
	dx_tally_key("postfix-log", "mx1", "relay.a.examplea", ".example", k2);
	assert_false(k2[0] == k[0] && k2[1] == k[1]);
	/* In two steps (a decoder keeping its texts' keys), the same key. */
	uint64_t tk[4] = {dx_tally_text_key("postfix-log"), dx_tally_text_key("mx1"),
			  dx_tally_text_key("relay.a.example"), dx_tally_text_key("a.example")};
	uint64_t k3[2];
	dx_tally_key_of(tk, k3);
	assert_true(k3[0] == k[0] && k3[1] == k[1]);
	/* The same texts in other places are another combination. */
	dx_tally_key("postfix-log", "relay.a.example", "mx1", "a.example", k2);
	assert_false(k2[0] == k[0] || k2[1] == k[1]);
	dx_tally_key("postfix-log", "mx1", "relay.a.example", "", k2);
	assert_false(k2[0] == k[0] || k2[1] == k[1]);
	tally_seen seen = {0};
	assert_int_equal(dx_tally_take(t, INT64_MAX, tally_collect, &seen), 0);
	assert_int_equal(seen.n, 3);
	uint64_t a10 = 0, a11 = 0, b10 = 0;
	for (int i = 0; i < seen.n; i++) {
		if (strcmp(seen.domain[i], "a.example") == 0 && seen.hour[i] == 10)
			a10 = seen.count[i];
		else if (strcmp(seen.domain[i], "a.example") == 0 && seen.hour[i] == 11)
			a11 = seen.count[i];
		else if (strcmp(seen.domain[i], "b.example") == 0 && seen.hour[i] == 10)
			b10 = seen.count[i];
	}
	assert_int_equal(a10, 3);
	assert_int_equal(a11, 1);
	assert_int_equal(b10, 5);
	/* Many combinations: the table grows and keeps every count. */
	dx_tally_reset(t);
	char dom[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(dom, sizeof dom, "d%d.example", i % 2500);
		assert_int_equal(dx_tally_add(t, 12, NULL, "postfix-log", "mx1", "relay.a.example", dom, 1), 0);
	}
	uint64_t sums[2] = {0, 0};
	assert_int_equal(dx_tally_take(t, INT64_MAX, tally_sum, sums), 0);
	assert_int_equal(sums[0], 2500); /* combinations */
	assert_int_equal(sums[1], 5000); /* deliveries */
	dx_tally_reset(t);
	seen.n = 0;
	assert_int_equal(dx_tally_take(t, INT64_MAX, tally_collect, &seen), 0);
	assert_int_equal(seen.n, 0);
	dx_tally_free(t);
}

/* Counts of hours that are over can be taken (written) while the hour in
 * progress goes on: a take hands over the counts of the earlier hours in
 * the delivered table's key order, exactly once, and forgets them; what
 * is added to a taken combination later is handed over by the next take,
 * alone. */
typedef struct taken {
	int n;
	int64_t hour[8];
	char domain[8][32];
	uint64_t count[8];
	int stop_at;               /* fn returns 1 at this call (1-based), 0: never */
} taken;

static int take_collect(void *arg, int64_t hour, const char *decoder, const char *reporting_mta,
			const char *remote_mta, const char *domain, uint64_t n)
{
	taken *t = arg;
	(void)decoder, (void)reporting_mta, (void)remote_mta;
	if (t->stop_at && t->n + 1 == t->stop_at)
		return 1;
	assert_true(t->n < 8);
	t->hour[t->n] = hour;
	snprintf(t->domain[t->n], sizeof t->domain[t->n], "%s", domain);
	t->count[t->n] = n;
	t->n++;
	return 0;
}

static void add_sent(dx_tally *t, int64_t hour, const char *domain, uint64_t n)
{
	assert_int_equal(dx_tally_add(t, hour, NULL, "postfix-log", "mx1", "relay.example", domain, n), 0);
}

static void test_tally_take(void **state)
{
	(void)state;
	dx_tally *t = dx_tally_new();
	assert_non_null(t);
	add_sent(t, 11, "b.example", 2);
	add_sent(t, 10, "c.example", 1);
	add_sent(t, 12, "a.example", 4);
	add_sent(t, 10, "a.example", 3);
	assert_int_equal(dx_tally_untaken(t), 4);
	taken got = {0};
	assert_int_equal(dx_tally_take(t, 12, take_collect, &got), 0);
	/* Hours before 12 only, by hour then domain. */
	assert_int_equal(got.n, 3);
	assert_int_equal(got.hour[0], 10);
	assert_string_equal(got.domain[0], "a.example");
	assert_int_equal(got.count[0], 3);
	assert_int_equal(got.hour[1], 10);
	assert_string_equal(got.domain[1], "c.example");
	assert_int_equal(got.count[1], 1);
	assert_int_equal(got.hour[2], 11);
	assert_string_equal(got.domain[2], "b.example");
	assert_int_equal(got.count[2], 2);
	assert_int_equal(dx_tally_untaken(t), 1);
	assert_int_equal(dx_tally_size(t), 1); /* the taken ones are dropped */
	assert_int_equal(dx_tally_texts(t), 6); /* their texts kept */
	/* Taken again: nothing more of those hours. */
	memset(&got, 0, sizeof got);
	assert_int_equal(dx_tally_take(t, 12, take_collect, &got), 0);
	assert_int_equal(got.n, 0);
	/* A late line of hour 10: only what came since. */
	add_sent(t, 10, "a.example", 5);
	assert_int_equal(dx_tally_untaken(t), 2);
	memset(&got, 0, sizeof got);
	assert_int_equal(dx_tally_take(t, 12, take_collect, &got), 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.hour[0], 10);
	assert_string_equal(got.domain[0], "a.example");
	assert_int_equal(got.count[0], 5);
	/* A take that fn stops keeps what fn did not take. */
	add_sent(t, 13, "b.example", 7);
	memset(&got, 0, sizeof got);
	got.stop_at = 2;
	assert_int_equal(dx_tally_take(t, INT64_MAX, take_collect, &got), 1);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.hour[0], 12);
	assert_int_equal(dx_tally_untaken(t), 1);
	memset(&got, 0, sizeof got);
	assert_int_equal(dx_tally_take(t, INT64_MAX, take_collect, &got), 0);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.hour[0], 13);
	assert_string_equal(got.domain[0], "b.example");
	assert_int_equal(got.count[0], 7);
	assert_int_equal(dx_tally_untaken(t), 0);
	dx_tally_free(t);
}

/* Per hour: deliveries to each domain (one delivery each, so more
 * combinations than write_past_hours waits for), and failures and
 * deferrals of the same domains. A deferral is superseded by a delivery
 * in the next hour, after its hour's counts were written out: the count
 * taken back must reach the index. What the index holds at the end must
 * be exactly what was counted, combination by combination. */
enum { HOURS = 4, DOMAINS = 3000 };

static void check_ok(dx_store *s)
{
	dx_error err = {0};
	int problems = 0;
	if (dx_store_check(s, no_problem, &problems, &err) != DX_OK)
		fail_msg("dx_store_check: %s", err.message);
}

static int64_t query1(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void test_hours_written_early(void **state)
{
	tmpdb *t = *state;
	dx_store *s = NULL;
	dx_error err = {0};
	assert_int_equal(dx_store_open(t->path, DX_STORE_CREATE, &s, &err), DX_OK);
	const int64_t t0 = 1800000000 / 3600 * 3600;
	dx_source_state m;
	memset(&m, 0, sizeof m);
	m.known = 1;
	char dom[DOMAINS][32], rcpt[DOMAINS][48];
	for (int d = 0; d < DOMAINS; d++) {
		snprintf(dom[d], sizeof dom[d], "d%d.example", d);
		snprintf(rcpt[d], sizeof rcpt[d], "u@d%d.example", d);
	}
	for (int h = 0; h < HOURS; h++) {
		int64_t ts = t0 + h * 3600;
		for (int d = 0; d < DOMAINS; d++)
			sent_to(s, ts + d % 3000, dom[d], "relay.example", 0);
		m.done = (uint64_t)h * 3 + 1;
		assert_int_equal(dx_store_source_put(s, "maillog", &m, &err), DX_OK);
		/* The deferrals of the hour before, now written out, are
		 * superseded by deliveries of this hour. */
		if (h > 0)
			for (int d = 0; d < DOMAINS; d += 3)
				sent_to(s, ts + 1000, dom[d], "relay.example",
					(uint64_t)(h - 1) << 32 | (uint64_t)d | 1u << 31);
		m.done = (uint64_t)h * 3 + 2;
		assert_int_equal(dx_store_source_put(s, "maillog", &m, &err), DX_OK);
		for (int d = 0; d < DOMAINS; d++) {
			int deferred = d % 3 == 0;
			dx_record r = make("maillog", (uint64_t)h * 10000 + (uint64_t)d, 1, ts + 2000, rcpt[d], dom[d],
					   deferred ? "4.4.1" : "5.1.1", deferred ? 451 : 550,
					   deferred ? "expired" : "userunknown", !deferred);
			r.action = deferred ? "delayed" : "failed";
			r.decoder = "postfix-log";
			r.queue_id = "Q";
			r.outcome_key = (uint64_t)h << 32 | (uint64_t)d | 1u << 31;
			r.queue_key = (uint64_t)h << 32 | (uint64_t)d | 1u << 30;
			add(s, &r, 1);
		}
		m.done = (uint64_t)h * 3 + 3;
		assert_int_equal(dx_store_source_put(s, "maillog", &m, &err), DX_OK);
	}
	assert_int_equal(dx_store_close(s, &err), DX_OK);
	/* Every delivery, once, in its hour. */
	assert_int_equal(delivered_sum(t->path), HOURS * DOMAINS + (HOURS - 1) * DOMAINS / 3);
	char sql[200];
	for (int h = 0; h < HOURS; h++) {
		snprintf(sql, sizeof sql, "SELECT coalesce(sum(count), 0) FROM delivered WHERE hour = %lld",
			 (long long)(t0 / 3600 + h));
		assert_int_equal(query1(t->path, sql), DOMAINS + (h ? DOMAINS / 3 : 0));
	}
	/* The deferrals of the last hour are final; the others superseded. */
	assert_int_equal(query1(t->path, "SELECT coalesce(sum(count), 0) FROM agg WHERE action = 'delayed'"),
			 DOMAINS / 3);
	assert_int_equal(query1(t->path, "SELECT coalesce(sum(count), 0) FROM agg WHERE action = 'failed'"),
			 HOURS * (DOMAINS - DOMAINS / 3));
	assert_int_equal(query1(t->path, "SELECT count(*) FROM agg WHERE count = 0"), 0);
	assert_int_equal(dx_store_open(t->path, 0, &s, &err), DX_OK);
	check_ok(s);
	dx_store_close(s, NULL);
}

/* check compares the aggregates with the records combination by
 * combination: a count moved to another combination leaves the total
 * right and is found all the same. */
static void collect_problem(void *arg, const char *what)
{
	char *buf = arg;
	snprintf(buf, 200, "%s", what);
}

static void test_check_by_combination(void **state)
{
	tmpdb *t = *state;
	fill(t->path);
	dx_store *s = NULL;
	dx_error err = {0};
	assert_int_equal(dx_store_open(t->path, 0, &s, &err), DX_OK);
	check_ok(s);
	dx_store_close(s, NULL);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE agg SET domain = 'moved.example' WHERE domain = 'example.com'", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_changes(db), 1);
	sqlite3_close(db);
	assert_int_equal(dx_store_open(t->path, 0, &s, &err), DX_OK);
	char what[200] = "";
	assert_int_equal(dx_store_check(s, collect_problem, what, &err), DX_ERR_DB);
	assert_string_equal(what, "2 combinations of the aggregates count other than their records");
	dx_store_close(s, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_export_roundtrip, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_export_stopped, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_duplicates_across_sessions, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_report_one_key, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_report_two_keys, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_report_top, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_open_missing, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_other_schema, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_other_sqlite_db, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_upgrade_v2, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_report_before_epoch, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_report_unit_separator, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_close_stopped, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_tally),
		cmocka_unit_test(test_tally_take),
		cmocka_unit_test_setup_teardown(test_hours_written_early, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_check_by_combination, setup_tmp, teardown_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
