/* query.c: reading the index: export, reports, address lists, summaries,
 * all through one filter (a time window and conditions on columns).
 *
 * A report is answered from `agg` when it can be: its keys and conditions
 * are `agg` columns and its window falls on whole hours. Otherwise (a
 * minute key, a condition on the decoder or hard_bounce, a window of
 * 08:30 to 09:10) it counts the rows of `record`. Both give the counts of
 * dx_store_export() with the same filter, which the tests check.
 *
 * SQL is built from fixed fragments; every value a user gives is bound,
 * never spliced into the text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dsnidx.h"
#include "store.h"

/* ---- building queries -------------------------------------------------------- */

enum { MAX_BINDS = DX_MAX_WHERE + 8 };

typedef struct query {
	dx_buf sql;
	struct {
		int is_int;
		int64_t i;
		const char *s;
	} bind[MAX_BINDS];
	int nbind;
} query;

static void q_init(query *q)
{
	dx_buf_init(&q->sql);
	q->nbind = 0;
}

static void bind_int(query *q, int64_t v)
{
	if (q->nbind < MAX_BINDS) {
		q->bind[q->nbind].is_int = 1;
		q->bind[q->nbind].i = v;
		q->nbind++;
	}
}

static void bind_text(query *q, const char *v)
{
	if (q->nbind < MAX_BINDS) {
		q->bind[q->nbind].is_int = 0;
		q->bind[q->nbind].s = v;
		q->nbind++;
	}
}

/* Prepares and binds; NULL with err set. */
static sqlite3_stmt *q_prepare(dx_store *s, query *q, dx_error *err)
{
	if (dx_buf_failed(&q->sql)) {
		if (err) {
			err->code = DX_ERR_NOMEM;
			snprintf(err->message, sizeof err->message, "out of memory");
		}
		return NULL;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(dx_store_sqlite(s), q->sql.data, -1, &st, NULL) != SQLITE_OK) {
		dx_store_fail(s, err, "cannot prepare a query");
		return NULL;
	}
	for (int i = 0; i < q->nbind; i++) {
		if (q->bind[i].is_int)
			sqlite3_bind_int64(st, i + 1, q->bind[i].i);
		else
			sqlite3_bind_text(st, i + 1, q->bind[i].s, -1, SQLITE_STATIC);
	}
	return st;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

/* The record-table expression of a column (`r` is record, `s` source). */
static const char *record_expr(dx_column c)
{
	switch (c) {
	case DX_COL_SOURCE: return "s.path";
	case DX_COL_RECIPIENT: return "r.recipient";
	case DX_COL_DOMAIN: return "r.domain";
	case DX_COL_ACTION: return "r.action";
	case DX_COL_STATUS: return "r.status";
	case DX_COL_REPLY_CODE: return "r.reply_code";
	case DX_COL_REASON: return "r.reason";
	case DX_COL_HARD_BOUNCE: return "r.hard_bounce";
	case DX_COL_REPORTING_MTA: return "r.reporting_mta";
	case DX_COL_REMOTE_MTA: return "r.remote_mta";
	case DX_COL_DIAGNOSTIC: return "r.diagnostic";
	case DX_COL_SENDER: return "r.sender";
	case DX_COL_SUBJECT: return "r.subject";
	case DX_COL_MESSAGE_ID: return "r.message_id";
	case DX_COL_DECODER: return "r.decoder";
	default: return NULL;
	}
}

/* The agg expression of a column, or NULL when agg does not hold it. */
static const char *agg_expr(dx_column c)
{
	switch (c) {
	case DX_COL_DOMAIN: return "domain";
	case DX_COL_ACTION: return "action";
	case DX_COL_STATUS: return "status";
	case DX_COL_REPLY_CODE: return "reply_code";
	case DX_COL_REASON: return "reason";
	case DX_COL_REPORTING_MTA: return "reporting_mta";
	case DX_COL_REMOTE_MTA: return "remote_mta";
	default: return NULL;
	}
}

static int is_number_column(dx_column c)
{
	return c == DX_COL_REPLY_CODE || c == DX_COL_HARD_BOUNCE;
}

/* Appends " AND (...)" for each condition and the window, over the record
 * table (on_agg 0) or agg (1). A reply code written "" is the absent one:
 * NULL in record, 0 in agg. */
static void add_filter(query *q, const dx_filter *f, int on_agg)
{
	if (!f)
		return;
	/* agg counts final records only. */
	if (!on_agg && !f->attempts)
		dx_buf_puts(&q->sql, " AND r.final = 1");
	if (on_agg && (f->has_since || f->has_until))
		dx_buf_puts(&q->sql, " AND hour != " DX_UNKNOWN_HOUR_SQL);
	if (f->has_since) {
		dx_buf_puts(&q->sql, on_agg ? " AND hour >= ?" : " AND r.ts >= ?");
		bind_int(q, on_agg ? f->since / 3600 : f->since);
	}
	if (f->has_until) {
		dx_buf_puts(&q->sql, on_agg ? " AND hour < ?" : " AND r.ts < ?");
		bind_int(q, on_agg ? f->until / 3600 : f->until);
	}
	for (unsigned i = 0; i < f->nwhere; i++) {
		dx_column c = f->where[i].column;
		int first = 1;
		for (unsigned k = 0; k < i; k++)
			if (f->where[k].column == c)
				first = 0;
		if (!first)
			continue; /* taken with the first condition on its column */
		const char *e = on_agg ? agg_expr(c) : record_expr(c);
		if (!e)
			continue; /* cannot happen: the caller checked */
		dx_buf_puts(&q->sql, " AND (");
		int n = 0;
		for (unsigned k = i; k < f->nwhere; k++) {
			if (f->where[k].column != c)
				continue;
			const char *v = f->where[k].value;
			if (n++)
				dx_buf_puts(&q->sql, " OR ");
			if (is_number_column(c)) {
				if (!*v && !on_agg && c == DX_COL_REPLY_CODE) {
					dx_buf_printf(&q->sql, "%s IS NULL", e);
					continue;
				}
				char *end;
				long long num = strtoll(v, &end, 10);
				if (*v && *end)
					num = -1; /* not a number: matches nothing */
				dx_buf_printf(&q->sql, "%s = ?", e);
				bind_int(q, *v ? num : 0);
			} else {
				dx_buf_printf(&q->sql, "%s = ?", e);
				bind_text(q, v);
			}
		}
		dx_buf_puts(&q->sql, ")");
	}
}

/* ---- export -------------------------------------------------------------------- */


dx_status dx_store_export(dx_store *s, const dx_filter *f, dx_record_fn fn, void *arg, dx_error *err)
{
	query q;
	q_init(&q);
	dx_buf_puts(&q.sql, "SELECT s.path, r.offset, r.idx, r.ts, r.recipient, r.domain, r.action, r.status, "
			    "r.reply_code, r.reason, r.hard_bounce, r.reporting_mta, r.remote_mta, r.diagnostic, "
			    "r.sender, r.subject, r.message_id, r.decoder, r.key "
			    "FROM record r JOIN source s ON s.id = r.source_id WHERE 1");
	add_filter(&q, f, 0);
	dx_buf_puts(&q.sql, " ORDER BY r.id");
	sqlite3_stmt *st = q_prepare(s, &q, err);
	dx_buf_free(&q.sql);
	if (!st)
		return err ? err->code : DX_ERR_DB;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		dx_record r = {
			.source = col_text(st, 0),
			.offset = (uint64_t)sqlite3_column_int64(st, 1),
			.index = (unsigned)sqlite3_column_int(st, 2),
			.timestamp = sqlite3_column_type(st, 3) == SQLITE_NULL ? DX_NO_TIME : sqlite3_column_int64(st, 3),
			.recipient = col_text(st, 4),
			.domain = col_text(st, 5),
			.action = col_text(st, 6),
			.status = col_text(st, 7),
			.reply_code = sqlite3_column_int(st, 8),
			.reason = col_text(st, 9),
			.hard_bounce = sqlite3_column_int(st, 10),
			.reporting_mta = col_text(st, 11),
			.remote_mta = col_text(st, 12),
			.diagnostic = col_text(st, 13),
			.sender = col_text(st, 14),
			.subject = col_text(st, 15),
			.message_id = col_text(st, 16),
			.decoder = col_text(st, 17),
		};
		dx_store_key_words(sqlite3_column_blob(st, 18), sqlite3_column_bytes(st, 18), r.key);
		if (fn(arg, &r) != 0) {
			sqlite3_finalize(st);
			if (err) {
				err->code = DX_ERR_ABORTED;
				snprintf(err->message, sizeof err->message, "stopped by the output");
			}
			return DX_ERR_ABORTED;
		}
	}
	dx_status ret = rc == SQLITE_DONE ? DX_OK : dx_store_fail(s, err, "cannot read records");
	sqlite3_finalize(st);
	return ret;
}

/* ---- addresses ------------------------------------------------------------------- */

dx_status dx_store_recipients(dx_store *s, const dx_filter *f, int hard_only,
			      int (*fn)(void *arg, const char *address), void *arg, dx_error *err)
{
	int names_action = 0;
	for (unsigned i = 0; f && i < f->nwhere; i++)
		if (f->where[i].column == DX_COL_ACTION)
			names_action = 1;
	query q;
	q_init(&q);
	dx_buf_puts(&q.sql, "SELECT DISTINCT r.recipient FROM record r JOIN source s ON s.id = r.source_id "
			    "WHERE r.recipient != ''");
	if (!names_action)
		dx_buf_puts(&q.sql, " AND r.action = 'failed'");
	if (hard_only)
		dx_buf_puts(&q.sql, " AND r.hard_bounce = 1");
	add_filter(&q, f, 0);
	dx_buf_puts(&q.sql, " ORDER BY 1");
	sqlite3_stmt *st = q_prepare(s, &q, err);
	dx_buf_free(&q.sql);
	if (!st)
		return err ? err->code : DX_ERR_DB;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(arg, col_text(st, 0)) != 0) {
			sqlite3_finalize(st);
			if (err) {
				err->code = DX_ERR_ABORTED;
				snprintf(err->message, sizeof err->message, "stopped by the output");
			}
			return DX_ERR_ABORTED;
		}
	}
	dx_status ret = rc == SQLITE_DONE ? DX_OK : dx_store_fail(s, err, "cannot read records");
	sqlite3_finalize(st);
	return ret;
}

/* ---- reports --------------------------------------------------------------------- */

static const char *const key_names[DX_NKEYS] = {
	"status", "reply_code", "reason", "action", "reporting_mta", "remote_mta", "domain",
	"day", "hour", "minute", "hard_bounce", "decoder",
};

/* Each key as text ("" when unknown), over agg (NULL: not there) and over
 * the record table. */
static const char *const key_agg[DX_NKEYS] = {
	"status",
	"CASE WHEN reply_code = 0 THEN '' ELSE CAST(reply_code AS TEXT) END",
	"reason",
	"action",
	"reporting_mta",
	"remote_mta",
	"domain",
	"CASE WHEN hour = " DX_UNKNOWN_HOUR_SQL " THEN '' ELSE strftime('%Y-%m-%d', hour * 3600, 'unixepoch') END",
	"CASE WHEN hour = " DX_UNKNOWN_HOUR_SQL " THEN '' ELSE strftime('%Y-%m-%dT%H:00Z', hour * 3600, 'unixepoch') END",
	NULL,
	NULL,
	NULL,
};

static const char *const key_record[DX_NKEYS] = {
	"r.status",
	"CASE WHEN r.reply_code IS NULL THEN '' ELSE CAST(r.reply_code AS TEXT) END",
	"r.reason",
	"r.action",
	"r.reporting_mta",
	"r.remote_mta",
	"r.domain",
	"CASE WHEN r.ts IS NULL THEN '' ELSE strftime('%Y-%m-%d', r.ts, 'unixepoch') END",
	"CASE WHEN r.ts IS NULL THEN '' ELSE strftime('%Y-%m-%dT%H:00Z', r.ts, 'unixepoch') END",
	"CASE WHEN r.ts IS NULL THEN '' ELSE strftime('%Y-%m-%dT%H:%MZ', r.ts, 'unixepoch') END",
	"CAST(r.hard_bounce AS TEXT)",
	"r.decoder",
};

const char *dx_key_name(dx_key k)
{
	return (unsigned)k < DX_NKEYS ? key_names[k] : "";
}

int dx_key_parse(const char *name)
{
	for (int i = 0; i < DX_NKEYS; i++)
		if (strcmp(name, key_names[i]) == 0)
			return i;
	return -1;
}

static int is_time_key(dx_key k)
{
	return k == DX_KEY_DAY || k == DX_KEY_HOUR || k == DX_KEY_MINUTE;
}

void dx_report_free(dx_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrows; i++)
		for (unsigned k = 0; k < r->nkeys; k++)
			free((char *)r->rows[i].values[k]);
	free(r->rows);
	free(r);
}

/* Whether `delivered` holds the key too. */
static int key_rates(dx_key k)
{
	return k == DX_KEY_DOMAIN || k == DX_KEY_REPORTING_MTA || k == DX_KEY_REMOTE_MTA || k == DX_KEY_DAY ||
	       k == DX_KEY_HOUR;
}

/* Whether agg can answer: keys and conditions it holds, whole hours. */
static int agg_can(const dx_report_query *q)
{
	for (unsigned i = 0; i < q->nkeys; i++)
		if (!key_agg[q->keys[i]])
			return 0;
	const dx_filter *f = &q->filter;
	for (unsigned i = 0; i < f->nwhere; i++)
		if (!agg_expr(f->where[i].column))
			return 0;
	if ((f->has_since && f->since % 3600) || (f->has_until && f->until % 3600))
		return 0;
	return !f->attempts;
}

static dx_status bad_usage(dx_error *err, const char *m)
{
	if (err) {
		err->code = DX_ERR_USAGE;
		snprintf(err->message, sizeof err->message, "%s", m);
	}
	return DX_ERR_USAGE;
}

dx_status dx_store_report(dx_store *s, const dx_report_query *q, dx_report **out, dx_error *err)
{
	*out = NULL;
	if (q->nkeys == 0 || q->nkeys > DX_NKEYS)
		return bad_usage(err, "a report needs at least one key");
	for (unsigned i = 0; i < q->nkeys; i++)
		if ((unsigned)q->keys[i] >= DX_NKEYS)
			return bad_usage(err, "unknown report key");
	for (unsigned i = 0; i < q->filter.nwhere; i++)
		if (!record_expr(q->filter.where[i].column))
			return bad_usage(err, "a condition on a column that cannot be one");
	int on_agg = agg_can(q);
	if (q->rates) {
		/* Deliveries are counted by hour in `delivered`: the keys and
		 * conditions it shares with agg, over final outcomes. */
		for (unsigned i = 0; i < q->nkeys; i++)
			if (!key_rates(q->keys[i]))
				return bad_usage(err, "--rates groups by domain, reporting_mta, remote_mta, day or hour only");
		for (unsigned i = 0; i < q->filter.nwhere; i++) {
			dx_column c = q->filter.where[i].column;
			if (c != DX_COL_DOMAIN && c != DX_COL_REPORTING_MTA && c != DX_COL_REMOTE_MTA)
				return bad_usage(err, "--rates takes conditions on domain, reporting_mta or remote_mta only");
		}
		if (q->filter.attempts)
			return bad_usage(err, "--rates counts outcomes, not --attempts");
		if ((q->filter.has_since && q->filter.since % 3600) || (q->filter.has_until && q->filter.until % 3600))
			return bad_usage(err, "--rates takes whole hours for --since and --until");
		on_agg = 1;
	}
	query qq;
	q_init(&qq);
	dx_buf_puts(&qq.sql, "SELECT ");
	for (unsigned i = 0; i < q->nkeys; i++)
		dx_buf_printf(&qq.sql, "%s AS k%u, ", on_agg ? key_agg[q->keys[i]] : key_record[q->keys[i]], i);
	if (q->rates) {
		dx_buf_puts(&qq.sql, "SUM(d) + SUM(f) + SUM(w) AS n, SUM(d), SUM(f), SUM(w) FROM ("
				     "SELECT hour, domain, reporting_mta, remote_mta, 0 AS d, "
				     "CASE WHEN action = 'failed' THEN count ELSE 0 END AS f, "
				     "CASE WHEN action = 'delayed' THEN count ELSE 0 END AS w FROM agg WHERE 1");
		add_filter(&qq, &q->filter, 1);
		dx_buf_puts(&qq.sql, " UNION ALL SELECT hour, domain, reporting_mta, remote_mta, count, 0, 0 "
				     "FROM delivered WHERE 1");
		add_filter(&qq, &q->filter, 1);
		dx_buf_puts(&qq.sql, ") WHERE 1");
	} else if (on_agg)
		dx_buf_puts(&qq.sql, "SUM(count) AS n FROM agg WHERE 1");
	else
		dx_buf_puts(&qq.sql, "count(*) AS n FROM record r JOIN source s ON s.id = r.source_id WHERE 1");
	if (!q->rates)
		add_filter(&qq, &q->filter, on_agg);
	dx_buf_puts(&qq.sql, " GROUP BY ");
	for (unsigned i = 0; i < q->nkeys; i++)
		dx_buf_printf(&qq.sql, "%sk%u", i ? ", " : "", i);
	if (q->rates) /* groups of records that are no outcome (feedback, vacation) */
		dx_buf_puts(&qq.sql, " HAVING n > 0");
	/* Time keys order the rows by time (unknown last); then the largest
	 * counts first; then the key values, so that ties are stable. */
	dx_buf_puts(&qq.sql, " ORDER BY ");
	for (unsigned i = 0; i < q->nkeys; i++)
		if (is_time_key(q->keys[i]))
			dx_buf_printf(&qq.sql, "k%u = '', k%u, ", i, i);
	dx_buf_puts(&qq.sql, "n DESC");
	for (unsigned i = 0; i < q->nkeys; i++)
		dx_buf_printf(&qq.sql, ", k%u", i);
	sqlite3_stmt *st = q_prepare(s, &qq, err);
	dx_buf_free(&qq.sql);
	if (!st)
		return err ? err->code : DX_ERR_DB;

	dx_report *r = calloc(1, sizeof *r);
	if (!r) {
		sqlite3_finalize(st);
		goto oom;
	}
	r->nkeys = q->nkeys;
	r->rates = q->rates;
	memcpy(r->keys, q->keys, q->nkeys * sizeof q->keys[0]);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t n = (uint64_t)sqlite3_column_int64(st, (int)q->nkeys);
		dx_report_row counts = {.count = n};
		if (q->rates) {
			counts.delivered = (uint64_t)sqlite3_column_int64(st, (int)q->nkeys + 1);
			counts.failed = (uint64_t)sqlite3_column_int64(st, (int)q->nkeys + 2);
			counts.delayed = (uint64_t)sqlite3_column_int64(st, (int)q->nkeys + 3);
			r->all.delivered += counts.delivered;
			r->all.failed += counts.failed;
			r->all.delayed += counts.delayed;
			r->all.count += n;
		}
		r->total += n;
		if (q->top && r->nrows >= q->top) {
			r->rest_rows++;
			r->rest_count += n;
			r->rest.delivered += counts.delivered;
			r->rest.failed += counts.failed;
			r->rest.delayed += counts.delayed;
			r->rest.count += n;
			continue;
		}
		if (r->nrows == cap) {
			cap = cap ? cap * 2 : 64;
			dx_report_row *rows = realloc(r->rows, cap * sizeof *rows);
			if (!rows) {
				sqlite3_finalize(st);
				dx_report_free(r);
				goto oom;
			}
			r->rows = rows;
		}
		dx_report_row *row = &r->rows[r->nrows];
		*row = counts;
		for (unsigned k = 0; k < q->nkeys; k++) {
			char *v = strdup(col_text(st, (int)k));
			if (!v) {
				for (unsigned j = 0; j < k; j++)
					free((char *)row->values[j]);
				sqlite3_finalize(st);
				dx_report_free(r);
				goto oom;
			}
			row->values[k] = v;
		}
		r->nrows++;
	}
	if (rc != SQLITE_DONE) {
		dx_status ret = dx_store_fail(s, err, "cannot run the report");
		sqlite3_finalize(st);
		dx_report_free(r);
		return ret;
	}
	sqlite3_finalize(st);
	*out = r;
	return DX_OK;
oom:
	if (err) {
		err->code = DX_ERR_NOMEM;
		snprintf(err->message, sizeof err->message, "out of memory");
	}
	return DX_ERR_NOMEM;
}

/* ---- summary ------------------------------------------------------------------------ */

void dx_summary_free(dx_summary *sm)
{
	if (!sm)
		return;
	dx_report_free(sm->by_action);
	dx_report_free(sm->by_status);
	dx_report_free(sm->by_reason);
	dx_report_free(sm->by_reporting_mta);
	dx_report_free(sm->by_remote_mta);
	dx_report_free(sm->by_domain);
	dx_report_free(sm->histogram);
	free(sm);
}

static dx_status one_report(dx_store *s, const dx_filter *f, dx_key key, unsigned top, dx_report **out,
			    dx_error *err)
{
	dx_report_query q;
	memset(&q, 0, sizeof q);
	q.keys[0] = key;
	q.nkeys = 1;
	q.top = top;
	if (f)
		q.filter = *f;
	return dx_store_report(s, &q, out, err);
}

dx_status dx_store_summary(dx_store *s, const dx_filter *f, unsigned top, dx_summary **out, dx_error *err)
{
	*out = NULL;
	dx_summary *sm = calloc(1, sizeof *sm);
	if (!sm) {
		if (err) {
			err->code = DX_ERR_NOMEM;
			snprintf(err->message, sizeof err->message, "out of memory");
		}
		return DX_ERR_NOMEM;
	}
	if (f)
		sm->filter = *f;
	sm->first = sm->last = DX_NO_TIME;

	/* The totals, in one pass over the records the filter takes. */
	query q;
	q_init(&q);
	dx_buf_puts(&q.sql, "SELECT count(*), coalesce(sum(r.hard_bounce), 0), count(DISTINCT r.recipient), "
			    "min(r.ts), max(r.ts), "
			    "(SELECT count(*) FROM (SELECT DISTINCT r.source_id, r.offset FROM record r "
			    "JOIN source s ON s.id = r.source_id WHERE 1");
	add_filter(&q, f, 0);
	dx_buf_puts(&q.sql, ")) FROM record r JOIN source s ON s.id = r.source_id WHERE 1");
	add_filter(&q, f, 0);
	sqlite3_stmt *st = q_prepare(s, &q, err);
	dx_buf_free(&q.sql);
	if (!st) {
		dx_summary_free(sm);
		return err ? err->code : DX_ERR_DB;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		sm->records = (uint64_t)sqlite3_column_int64(st, 0);
		sm->hard = (uint64_t)sqlite3_column_int64(st, 1);
		sm->soft = sm->records - sm->hard;
		sm->addresses = (uint64_t)sqlite3_column_int64(st, 2);
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			sm->first = sqlite3_column_int64(st, 3);
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			sm->last = sqlite3_column_int64(st, 4);
		sm->bounces = (uint64_t)sqlite3_column_int64(st, 5);
	} else {
		dx_status ret = dx_store_fail(s, err, "cannot read records");
		sqlite3_finalize(st);
		dx_summary_free(sm);
		return ret;
	}
	sqlite3_finalize(st);

	struct {
		dx_key key;
		dx_report **out;
		unsigned top;
	} parts[] = {
		{DX_KEY_ACTION, &sm->by_action, 0},
		{DX_KEY_STATUS, &sm->by_status, top},
		{DX_KEY_REASON, &sm->by_reason, top},
		{DX_KEY_REPORTING_MTA, &sm->by_reporting_mta, top},
		{DX_KEY_REMOTE_MTA, &sm->by_remote_mta, top},
		{DX_KEY_DOMAIN, &sm->by_domain, top},
	};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		dx_status rs = one_report(s, f, parts[i].key, parts[i].top, parts[i].out, err);
		if (rs != DX_OK) {
			dx_summary_free(sm);
			return rs;
		}
	}
	/* The histogram: hours, or days when the window (or, without one, the
	 * records) spans more than 3 days. */
	int64_t from = f && f->has_since ? f->since : sm->first;
	int64_t to = f && f->has_until ? f->until : sm->last;
	sm->histogram_days = from != DX_NO_TIME && to != DX_NO_TIME && to - from > 3 * 86400;
	dx_status rs = one_report(s, f, sm->histogram_days ? DX_KEY_DAY : DX_KEY_HOUR, 0, &sm->histogram, err);
	if (rs != DX_OK) {
		dx_summary_free(sm);
		return rs;
	}
	*out = sm;
	return DX_OK;
}
