/* store.c: the SQLite index (schema in docs/SCHEMA.md): opening and
 * creating it, adding records, the sources' progress, checking it.
 * Reading it (export, reports) is query.c's.
 *
 * Records go to `record`, one row per recipient, keyed by their content
 * so that the same bounce found twice is stored once. Reports mostly read
 * `agg`, which holds one count per combination of hour and the report
 * keys, and which is far smaller than `record` because bounces repeat (the
 * same code from the same server for the same domain in the same hour).
 * `agg` is kept up to date in the same transactions as `record`: counts
 * are gathered in memory while a transaction is open and folded in with
 * one upsert per distinct combination at commit, so a report is always
 * exactly the sum of the records.
 *
 * Errors are returned with SQLite's message and the database path.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "buf.h"
#include "classify.h"
#include "dsnidx.h"
#include "hash.h"
#include "store.h"
#include "tally.h"

enum {
	SCHEMA_VERSION = 3,
	COMMIT_EVERY = 100000,     /* records per transaction, by default */
	COMMIT_SECONDS = 5,        /* and at most this long a transaction stays open */
	/* and at most this many aggregate combinations wait to be written:
	 * a log's transaction holds few records but many counts, and writing
	 * them while the workers still decode is cheaper than all at the end */
	COMMIT_COMBOS = 16384,
	/* counts of hours that are over are written (not committed) when
	 * this many combinations wait (write_past_hours) */
	WRITE_PAST_COMBOS = 2048,
	/* and at most this many combinations and texts are held in memory,
	 * written or not (aggregate entries stay until the commit, and the
	 * texts of delivery counts) */
	HELD_COMBOS = 65536,
};

/* WAL bytes between automatic checkpoints (see dx_store_open). */
#define WAL_CHECKPOINT_BYTES ((int64_t)64 << 20)

/* WAL bytes written between two checkpoints of the background
 * checkpointer (see checkpointer_main). */
#define BACKGROUND_CHECKPOINT_BYTES ((int64_t)4 << 20)

/* The hour of records without a time: far before any real date, so that
 * no real hour (1969 included) can collide with it. */
static const int64_t unknown_hour = DX_UNKNOWN_HOUR;

static const char schema_sql[] =
	"CREATE TABLE source (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  path TEXT NOT NULL UNIQUE,\n"
	"  dev INTEGER,\n"                    /* the file as last seen */
	"  ino INTEGER,\n"
	"  size INTEGER,\n"
	"  mtime_ns INTEGER,\n"
	"  done INTEGER NOT NULL DEFAULT 0,\n" /* its records up to here are in */
	"  head BLOB,\n"                       /* hash of its first bytes */
	"  tail BLOB,\n"                       /* hash of the bytes before done */
	"  complete INTEGER NOT NULL DEFAULT 0\n" /* read to its end at that size */
	");\n"
	"CREATE TABLE record (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  key BLOB NOT NULL UNIQUE,\n"
	"  source_id INTEGER NOT NULL REFERENCES source(id),\n"
	"  offset INTEGER NOT NULL,\n"
	"  idx INTEGER NOT NULL,\n"
	"  ts INTEGER,\n"
	"  recipient TEXT NOT NULL,\n"
	"  domain TEXT NOT NULL,\n"
	"  action TEXT NOT NULL,\n"
	"  status TEXT NOT NULL,\n"
	"  reply_code INTEGER,\n"
	"  reason TEXT NOT NULL,\n"
	"  hard_bounce INTEGER NOT NULL,\n"
	"  reporting_mta TEXT NOT NULL,\n"
	"  remote_mta TEXT NOT NULL,\n"
	"  diagnostic TEXT NOT NULL,\n"
	"  sender TEXT NOT NULL,\n"
	"  subject TEXT NOT NULL,\n"
	"  message_id TEXT NOT NULL,\n"
	"  decoder TEXT NOT NULL\n"
	");\n"
	"CREATE INDEX record_ts ON record(ts);\n"
	"CREATE TABLE agg (\n"
	"  hour INTEGER NOT NULL,\n"          /* ts / 3600, or UNKNOWN_HOUR */
	"  status TEXT NOT NULL,\n"
	"  reply_code INTEGER NOT NULL,\n"    /* 0 when absent */
	"  reason TEXT NOT NULL,\n"
	"  action TEXT NOT NULL,\n"
	"  reporting_mta TEXT NOT NULL,\n"
	"  remote_mta TEXT NOT NULL,\n"
	"  domain TEXT NOT NULL,\n"
	"  count INTEGER NOT NULL,\n"
	"  PRIMARY KEY (hour, status, reply_code, reason, action, reporting_mta, remote_mta, domain)\n"
	") WITHOUT ROWID;\n";

/* Schema 3: mail server logs. A log record knows its queue id and the
 * delivery it is an attempt of (okey: host, queue id, recipient; qkey:
 * host, queue id); `final` is 0 once a later attempt or outcome of the
 * same delivery has been seen, and `agg` counts final records only.
 * Successful deliveries are counted in `delivered`, not kept one by one.
 * Applied to a new index, and to one of schema 2 by the next index run. */
static const char schema3_sql[] =
	"ALTER TABLE record ADD COLUMN queue_id TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE record ADD COLUMN okey INTEGER;\n"
	"ALTER TABLE record ADD COLUMN qkey INTEGER;\n"
	"ALTER TABLE record ADD COLUMN final INTEGER NOT NULL DEFAULT 1;\n"
	/* Partial: only what a later line can settle is looked up, so the
	 * indexes hold final log records, and final deferrals. */
	"CREATE INDEX record_okey ON record(okey) WHERE okey IS NOT NULL AND final = 1;\n"
	"CREATE INDEX record_qkey ON record(qkey) WHERE qkey IS NOT NULL AND final = 1 AND action = 'delayed';\n"
	"CREATE TABLE delivered (\n"
	"  hour INTEGER NOT NULL,\n"
	"  decoder TEXT NOT NULL,\n"
	"  reporting_mta TEXT NOT NULL,\n"
	"  remote_mta TEXT NOT NULL,\n"
	"  domain TEXT NOT NULL,\n"
	"  count INTEGER NOT NULL,\n"
	"  PRIMARY KEY (hour, domain, reporting_mta, remote_mta, decoder)\n"
	") WITHOUT ROWID;\n";

/* What mail logs said of messages still in their queues when an index run
 * ended (a queue key's sender and Message-ID), for the delivery lines the
 * next run reads. Replaced whole at the end of each run. */
static const char envelope_sql[] = "CREATE TABLE IF NOT EXISTS envelope (\n"
				   "  qkey INTEGER PRIMARY KEY,\n"
				   "  sender TEXT,\n"
				   "  message_id TEXT\n"
				   ");\n";

/* ---- in-memory aggregate of the open transaction ---------------------------- */

typedef struct agg_entry {
	char *key;                 /* agg_record()'s encoding; NULL: empty slot */
	size_t keylen;
	uint64_t hash;
	int64_t hour;
	int reply_code;
	int64_t count;
} agg_entry;

typedef struct agg_map {
	agg_entry *slots;
	size_t cap, n;
	size_t untaken;            /* entries whose count is not 0 */
} agg_map;

static void agg_clear(agg_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = m->untaken = 0;
}

/* Empties the map for the next transaction but keeps its table: a fresh
 * one would be mapped anew, and each first write to one of its pages is a
 * fault that also stops the other threads' CPUs to flush their TLBs. */
static void agg_empty(agg_map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	if (m->slots)
		memset(m->slots, 0, m->cap * sizeof *m->slots);
	m->n = m->untaken = 0;
}

static int agg_grow(agg_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	agg_entry *s = dx_table_alloc(cap, sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		agg_entry *e = &m->slots[i];
		if (!e->key)
			continue;
		size_t j = e->hash & (cap - 1);
		while (s[j].key)
			j = (j + 1) & (cap - 1);
		s[j] = *e;
	}
	free(m->slots);
	m->slots = s;
	m->cap = cap;
	return 0;
}

/* Adds delta to the combination `key`; *kept (if not NULL) is set to the
 * copy of the key the map keeps, which stays where it is until the map is
 * cleared. */
static int agg_add(agg_map *m, const char *key, size_t keylen, int64_t hour, int reply_code, int64_t delta,
		   const char **kept)
{
	if ((m->n + 1) * 2 > m->cap && agg_grow(m) < 0)
		return -1;
	uint64_t h = dx_hash128(key, keylen, 0).lo;
	size_t j = h & (m->cap - 1);
	while (m->slots[j].key) {
		agg_entry *e = &m->slots[j];
		if (e->hash == h && e->keylen == keylen && memcmp(e->key, key, keylen) == 0) {
			int64_t was = e->count;
			e->count += delta;
			m->untaken += !was && e->count;
			m->untaken -= was && !e->count;
			if (kept)
				*kept = e->key;
			return 0;
		}
		j = (j + 1) & (m->cap - 1);
	}
	char *k = malloc(keylen + 1);
	if (!k)
		return -1;
	memcpy(k, key, keylen);
	k[keylen] = '\0';
	m->slots[j] = (agg_entry){k, keylen, h, hour, reply_code, delta};
	m->n++;
	m->untaken += delta != 0;
	if (kept)
		*kept = k;
	return 0;
}

/* ---- final log records of the open transaction ------------------------------------ */

/* What settle() needs of a final log record added in the open transaction:
 * its id and time, and its combination in the transaction's aggregates
 * (the key the agg map keeps). A later attempt or outcome of the same
 * delivery then settles it without a query: most deferrals are settled a
 * few lines later, within the transaction. Emptied with the aggregates at
 * each commit, so it holds at most one transaction's records. */
typedef struct recent_final {
	uint64_t okey;   /* 0: an empty slot */
	int64_t id;      /* 0: the delivery has no final record now */
	int64_t ts;
	/* A deferral is stored with final = 0 and made final at commit if
	 * nothing settled it by then (publish_finals): most are settled
	 * within the transaction, and a row never marked final needs no
	 * UPDATE when it is superseded. */
	int provisional;
	int listed;      /* its okey is on its queue key's prov_map list */
	const char *aggkey;
	size_t aggkeylen;
	int64_t hour;
	int reply_code;
} recent_final;

typedef struct recent_map {
	recent_final *slots;
	size_t cap, n;
} recent_map;

static void recent_clear(recent_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}

/* Empties the map, keeping its table (see agg_empty). */
static void recent_empty(recent_map *m)
{
	if (m->slots)
		memset(m->slots, 0, m->cap * sizeof *m->slots);
	m->n = 0;
}

static size_t recent_slot(const recent_map *m, uint64_t okey)
{
	size_t j = (okey * 0x9E3779B97F4A7C15ull) >> 20 & (m->cap - 1);
	while (m->slots[j].okey && m->slots[j].okey != okey)
		j = (j + 1) & (m->cap - 1);
	return j;
}

static recent_final *recent_find(const recent_map *m, uint64_t okey)
{
	if (!m->n)
		return NULL;
	size_t j = recent_slot(m, okey);
	return m->slots[j].okey ? &m->slots[j] : NULL;
}

/* The slot of okey, made if new; NULL when memory runs out. */
static recent_final *recent_put(recent_map *m, uint64_t okey)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		recent_final *sl = dx_table_alloc(cap, sizeof *sl);
		if (!sl)
			return NULL;
		recent_map bigger = {sl, cap, m->n};
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].okey)
				sl[recent_slot(&bigger, m->slots[i].okey)] = m->slots[i];
		free(m->slots);
		*m = bigger;
	}
	size_t j = recent_slot(m, okey);
	if (!m->slots[j].okey) {
		m->slots[j].okey = okey;
		m->n++;
	}
	return &m->slots[j];
}

/* What an expiry reads of a deferral (expiry_take), by queue key from the
 * stored ones and by id from the open transaction's provisional ones. */
#define DEFERRAL_COLUMNS                                                                \
	"SELECT recipient, domain, status, reply_code, reporting_mta, remote_mta, "    \
	"diagnostic, sender, subject, message_id, decoder, queue_id, okey "

/* ---- provisional deferrals by queue id ----------------------------------------------- */

/* The okeys of the open transaction's provisional deferrals, by queue key:
 * an expiry of the queue id must see them, and they are not yet where
 * its query looks (final = 1). One list per queue key, through `next`. */
typedef struct prov_node {
	uint64_t okey;
	int32_t next;              /* index of the next node, or -1 */
} prov_node;

typedef struct prov_map {
	struct {
		uint64_t qkey;     /* 0: an empty slot */
		int32_t head;
	} *slots;
	size_t cap, n;
	prov_node *nodes;
	size_t nnodes, nodecap;
} prov_map;

static size_t prov_slot(const prov_map *m, uint64_t qkey)
{
	size_t j = (qkey * 0x9E3779B97F4A7C15ull) >> 20 & (m->cap - 1);
	while (m->slots[j].qkey && m->slots[j].qkey != qkey)
		j = (j + 1) & (m->cap - 1);
	return j;
}

/* The first node of qkey's list, or -1. */
static int32_t prov_head(const prov_map *m, uint64_t qkey)
{
	if (!m->n || !qkey)
		return -1;
	size_t j = prov_slot(m, qkey);
	return m->slots[j].qkey ? m->slots[j].head : -1;
}

static int prov_add(prov_map *m, uint64_t qkey, uint64_t okey)
{
	if (!qkey)
		return 0;
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		prov_map bigger = *m;
		bigger.slots = dx_table_alloc(cap, sizeof *bigger.slots);
		if (!bigger.slots)
			return -1;
		bigger.cap = cap;
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].qkey)
				bigger.slots[prov_slot(&bigger, m->slots[i].qkey)] = m->slots[i];
		free(m->slots);
		*m = bigger;
	}
	if (m->nnodes == m->nodecap) {
		size_t cap = m->nodecap ? m->nodecap * 2 : 1024;
		if (cap > INT32_MAX)
			return -1;
		prov_node *nn = realloc(m->nodes, cap * sizeof *nn);
		if (!nn)
			return -1;
		m->nodes = nn;
		m->nodecap = cap;
	}
	size_t j = prov_slot(m, qkey);
	if (!m->slots[j].qkey) {
		m->slots[j].qkey = qkey;
		m->slots[j].head = -1;
		m->n++;
	}
	m->nodes[m->nnodes].okey = okey;
	m->nodes[m->nnodes].next = m->slots[j].head;
	m->slots[j].head = (int32_t)m->nnodes++;
	return 0;
}

static void prov_empty(prov_map *m)
{
	if (m->slots)
		memset(m->slots, 0, m->cap * sizeof *m->slots);
	m->n = 0;
	m->nnodes = 0;
}

static void prov_clear(prov_map *m)
{
	free(m->slots);
	free(m->nodes);
	memset(m, 0, sizeof *m);
}

/* ---- a set of 64-bit keys ------------------------------------------------------- */

/* The okeys and qkeys of deferrals that are still final: a filter that
 * spares a query for every successful delivery of a log (almost all of
 * them settle nothing). Keys are never removed: a stale one costs one
 * query that finds nothing. 0 is never a key. */
typedef struct key_set {
	uint64_t *slots;
	size_t cap, n;
} key_set;

static int set_add(key_set *k, uint64_t v)
{
	if (!v)
		return 0;
	if ((k->n + 1) * 2 > k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 1024;
		uint64_t *sl = dx_table_alloc(cap, sizeof *sl);
		if (!sl)
			return -1;
		for (size_t i = 0; i < k->cap; i++) {
			uint64_t x = k->slots[i];
			if (!x)
				continue;
			size_t j = (x * 0x9E3779B97F4A7C15ull) >> 20 & (cap - 1);
			while (sl[j])
				j = (j + 1) & (cap - 1);
			sl[j] = x;
		}
		free(k->slots);
		k->slots = sl;
		k->cap = cap;
	}
	size_t j = (v * 0x9E3779B97F4A7C15ull) >> 20 & (k->cap - 1);
	while (k->slots[j]) {
		if (k->slots[j] == v)
			return 0;
		j = (j + 1) & (k->cap - 1);
	}
	k->slots[j] = v;
	k->n++;
	return 0;
}

static int set_has(const key_set *k, uint64_t v)
{
	if (!k->n || !v)
		return 0;
	size_t j = (v * 0x9E3779B97F4A7C15ull) >> 20 & (k->cap - 1);
	while (k->slots[j]) {
		if (k->slots[j] == v)
			return 1;
		j = (j + 1) & (k->cap - 1);
	}
	return 0;
}

/* ---- the store ------------------------------------------------------------ */

static int load_pending(dx_store *s);
static int64_t query_int(dx_store *s, const char *sql);
static int settle(dx_store *s, uint64_t okey, int64_t ts, int64_t id, int id_final, int *final);
static int settle_any(dx_store *s, uint64_t okey, int64_t ts, int64_t id, int id_final, int *final);

struct dx_store {
	sqlite3 *db;
	char *path;
	int in_tx;
	unsigned pending;          /* records in the open transaction */
	unsigned commit_every;
	time_t tx_started;
	sqlite3_stmt *ins_record, *ins_source, *get_source, *upsert_agg;
	sqlite3_stmt *get_state, *put_state;
	sqlite3_stmt *get_final, *set_final, *get_queue, *get_row, *upsert_delivered;
	char *last_source;
	int64_t last_source_id;
	agg_map agg;
	dx_tally *delivered;       /* deliveries counted in the open transaction */
	key_set pending_o, pending_q;
	recent_map recent;         /* final log records of the open transaction */
	prov_map prov;             /* its provisional deferrals by queue key */
	int pending_loaded;
	int negatives;             /* some agg count went down in this transaction */
	/* The latest hour counted, and the hour before which the counts are
	 * written (write_past_hours). */
	int64_t newest_hour, written_before;
	/* Log facts taken since the last mark: counts that reading the same
	 * lines again would add again, so no commit may separate them from
	 * the mark that says those lines are done. */
	int facts_since_mark;
	dx_buf key;
	/* The background checkpointer of a writing store: its own
	 * connection, woken by the WAL hook. */
	struct {
		int running;
		pthread_t thread;
		pthread_mutex_t mu;
		pthread_cond_t cv;
		int wanted, stop;
		sqlite3 *db;
		int every;             /* WAL pages between checkpoints */
		int cap;               /* WAL pages at which the writer checkpoints */
		int last;              /* WAL size at the last request */
	} ckpt;
};

static dx_status db_fail(dx_store *s, dx_error *err, const char *what)
{
	if (err) {
		err->code = DX_ERR_DB;
		snprintf(err->message, sizeof err->message, "%s: %s: %s", s->path, what,
			 s->db ? sqlite3_errmsg(s->db) : "cannot open");
	}
	return DX_ERR_DB;
}

static dx_status nomem(dx_error *err)
{
	if (err) {
		err->code = DX_ERR_NOMEM;
		snprintf(err->message, sizeof err->message, "out of memory");
	}
	return DX_ERR_NOMEM;
}

static int exec(dx_store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int user_version(dx_store *s)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int table_count(dx_store *s)
{
	sqlite3_stmt *st;
	int n = -1;
	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- the background checkpointer ------------------------------------------ */

/* A writing run's checkpoints, on a thread of their own. A checkpoint
 * copies the WAL's pages into the database and syncs both files; done by
 * the writer (SQLite's automatic checkpoint), it stops the writer, and the
 * one at the end of a run, when the WAL is largest, is all wait. Here a
 * second connection copies what the writer has committed while the
 * writer goes on (a PASSIVE checkpoint takes no lock the writer needs),
 * so that the checkpoint at close has little left to copy and sync. Any
 * failure of it is harmless: the writer's close checkpoints everything. */
static void *checkpointer_main(void *arg)
{
	dx_store *s = arg;
	pthread_mutex_lock(&s->ckpt.mu);
	for (;;) {
		while (!s->ckpt.wanted && !s->ckpt.stop)
			pthread_cond_wait(&s->ckpt.cv, &s->ckpt.mu);
		if (s->ckpt.stop)
			break;
		s->ckpt.wanted = 0;
		pthread_mutex_unlock(&s->ckpt.mu);
		sqlite3_wal_checkpoint_v2(s->ckpt.db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&s->ckpt.mu);
	}
	pthread_mutex_unlock(&s->ckpt.mu);
	return NULL;
}

/* SQLite's WAL hook on the writer, after each commit: pages is the WAL's
 * size; a checkpoint is asked for each s->ckpt.every pages written. The
 * WAL starts over only when a write begins with all of it copied, which
 * the writer, quick to begin again, seldom lets the checkpointer reach:
 * so at s->ckpt.cap pages the writer checkpoints itself, as SQLite's
 * automatic checkpoint would, with little left to copy. */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	dx_store *s = arg;
	if (pages >= s->ckpt.cap) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		s->ckpt.last = 0;
		return SQLITE_OK;
	}
	if (pages < s->ckpt.last)
		s->ckpt.last = 0; /* the WAL started over */
	if (pages - s->ckpt.last >= s->ckpt.every) {
		s->ckpt.last = pages;
		pthread_mutex_lock(&s->ckpt.mu);
		s->ckpt.wanted = 1;
		pthread_cond_signal(&s->ckpt.cv);
		pthread_mutex_unlock(&s->ckpt.mu);
	}
	return SQLITE_OK;
}

/* Starts the checkpointer of a writing store; without it (no memory, no
 * thread), SQLite's own checkpoints stay as set. */
static void checkpointer_start(dx_store *s, int64_t page)
{
	if (sqlite3_open_v2(s->path, &s->ckpt.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		sqlite3_close(s->ckpt.db);
		s->ckpt.db = NULL;
		return;
	}
	/* (A connection learns that the file is in WAL mode, and can
	 * checkpoint it, when it first reads it.) */
	if (sqlite3_exec(s->ckpt.db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_db;
	if (pthread_mutex_init(&s->ckpt.mu, NULL) != 0)
		goto fail_db;
	if (pthread_cond_init(&s->ckpt.cv, NULL) != 0)
		goto fail_mu;
	s->ckpt.every = (int)(BACKGROUND_CHECKPOINT_BYTES / (page > 0 ? page : 4096));
	s->ckpt.cap = (int)(WAL_CHECKPOINT_BYTES / (page > 0 ? page : 4096));
	if (pthread_create(&s->ckpt.thread, NULL, checkpointer_main, s) != 0)
		goto fail_cv;
	s->ckpt.running = 1;
	sqlite3_wal_hook(s->db, on_wal_commit, s); /* (replaces the automatic checkpoint) */
	return;
fail_cv:
	pthread_cond_destroy(&s->ckpt.cv);
fail_mu:
	pthread_mutex_destroy(&s->ckpt.mu);
fail_db:
	sqlite3_close(s->ckpt.db);
	s->ckpt.db = NULL;
}

/* Waits for a checkpoint under way and ends the thread; its connection
 * closes before the writer's, whose close then checkpoints the rest and
 * removes the WAL. */
static void checkpointer_stop(dx_store *s)
{
	if (!s->ckpt.running)
		return;
	pthread_mutex_lock(&s->ckpt.mu);
	s->ckpt.stop = 1;
	pthread_cond_signal(&s->ckpt.cv);
	pthread_mutex_unlock(&s->ckpt.mu);
	pthread_join(s->ckpt.thread, NULL);
	pthread_cond_destroy(&s->ckpt.cv);
	pthread_mutex_destroy(&s->ckpt.mu);
	sqlite3_close(s->ckpt.db);
	s->ckpt.db = NULL;
	s->ckpt.running = 0;
}

static void checkpointer_stop(dx_store *s);

static void store_free(dx_store *s)
{
	checkpointer_stop(s);
	sqlite3_finalize(s->ins_record);
	sqlite3_finalize(s->ins_source);
	sqlite3_finalize(s->get_source);
	sqlite3_finalize(s->upsert_agg);
	sqlite3_finalize(s->get_state);
	sqlite3_finalize(s->put_state);
	sqlite3_finalize(s->get_final);
	sqlite3_finalize(s->set_final);
	sqlite3_finalize(s->get_queue);
	sqlite3_finalize(s->get_row);
	sqlite3_finalize(s->upsert_delivered);
	sqlite3_close(s->db);
	agg_clear(&s->agg);
	recent_clear(&s->recent);
	prov_clear(&s->prov);
	dx_tally_free(s->delivered);
	free(s->pending_o.slots);
	free(s->pending_q.slots);
	dx_buf_free(&s->key);
	free(s->last_source);
	free(s->path);
	free(s);
}

dx_status dx_store_open(const char *path, int flags, dx_store **out, dx_error *err)
{
	*out = NULL;
	dx_store *s = calloc(1, sizeof *s);
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return nomem(err);
	}
	dx_buf_init(&s->key);
	s->commit_every = COMMIT_EVERY;
	s->newest_hour = s->written_before = INT64_MIN;
	int create = flags & DX_STORE_CREATE;
	int oflags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
	if (sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		dx_status st = DX_ERR_DB;
		if (err) {
			err->code = st;
			if (!create)
				snprintf(err->message, sizeof err->message,
					 "%s: cannot open the index (%s); run 'dsnidx index' first or give --db",
					 path, s->db ? sqlite3_errmsg(s->db) : "error");
			else
				snprintf(err->message, sizeof err->message, "%s: cannot create the index: %s", path,
					 s->db ? sqlite3_errmsg(s->db) : "error");
		}
		store_free(s);
		return st;
	}
	/* Another dsnidx may hold the write lock for a commit; wait for it. */
	sqlite3_busy_timeout(s->db, 30000);

	int v = user_version(s);
	int tables = table_count(s);
	if (v < 0 || tables < 0) {
		dx_status st = db_fail(s, err, "not an SQLite database");
		store_free(s);
		return st;
	}
	if (v == 0 && tables == 0) {
		if (!create) {
			if (err) {
				err->code = DX_ERR_DB;
				snprintf(err->message, sizeof err->message,
					 "%s: the index is empty; run 'dsnidx index' first", path);
			}
			store_free(s);
			return DX_ERR_DB;
		}
		char ver[64];
		snprintf(ver, sizeof ver, "PRAGMA user_version = %d;", SCHEMA_VERSION);
		/* Pages of 16 KB rather than 4: a record's insert touches five
		 * b-trees (the table and its indexes), and larger pages make them
		 * shallower and split less (5% less CPU for an index run on the
		 * bench's log and bounces, bench/README.md). Set before the first
		 * table; an index made with other pages keeps them. */
		if (exec(s, "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL;") < 0 || exec(s, "BEGIN;") < 0 ||
		    exec(s, schema_sql) < 0 ||
		    exec(s, schema3_sql) < 0 || exec(s, ver) < 0 || exec(s, "COMMIT;") < 0) {
			dx_status st = db_fail(s, err, "cannot create the schema");
			store_free(s);
			return st;
		}
	} else if (v == 2 && create) {
		/* Upgrade in place: every record of schema 2 is a final one. */
		if (exec(s, "BEGIN IMMEDIATE;") < 0 || exec(s, schema3_sql) < 0 ||
		    exec(s, "PRAGMA user_version = 3;") < 0 || exec(s, "COMMIT;") < 0) {
			dx_status st = db_fail(s, err, "cannot upgrade the index to schema version 3");
			exec(s, "ROLLBACK");
			store_free(s);
			return st;
		}
	} else if (v == 2) {
		if (err) {
			err->code = DX_ERR_SCHEMA;
			snprintf(err->message, sizeof err->message,
				 "%s: an index of schema version 2; the next 'dsnidx index' run upgrades it to %d", path,
				 SCHEMA_VERSION);
		}
		store_free(s);
		return DX_ERR_SCHEMA;
	} else if (v != SCHEMA_VERSION) {
		if (err) {
			err->code = DX_ERR_SCHEMA;
			snprintf(err->message, sizeof err->message,
				 "%s: not a dsnidx index of schema version %d (found user_version %d)", path,
				 SCHEMA_VERSION, v);
		}
		store_free(s);
		return DX_ERR_SCHEMA;
	}
	if (create) {
		/* WAL lets reports read while an index run writes; NORMAL sync is
		 * durable at each checkpoint and safe against corruption. A
		 * checkpoint copies every page the WAL holds into the database:
		 * at SQLite's default (every 1000 pages) an index run copies the
		 * pages it keeps changing (aggregates, the key index) again and
		 * again; every 64 MB of WAL (16384 pages of 4 KB) cut 6 to 9% of
		 * the bench's wall time (bench/README.md). */
		int64_t page = query_int(s, "PRAGMA page_size");
		char pragmas[160];
		snprintf(pragmas, sizeof pragmas,
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = %lld;",
			 (long long)(WAL_CHECKPOINT_BYTES / (page > 0 ? page : 4096)));
		if (exec(s, pragmas) < 0) {
			dx_status st = db_fail(s, err, "cannot set the journal mode");
			store_free(s);
			return st;
		}
		checkpointer_start(s, page);
		/* Added within schema 3: readers never look at it, so an index
		 * made before it gains it at its next index run. */
		if (exec(s, envelope_sql) < 0) {
			dx_status st = db_fail(s, err, "cannot create the envelope table");
			store_free(s);
			return st;
		}
		if (sqlite3_prepare_v2(s->db,
				       "INSERT OR IGNORE INTO record (source_id, offset, idx, ts, recipient, domain, "
				       "action, status, reply_code, reason, hard_bounce, reporting_mta, remote_mta, "
				       "diagnostic, sender, subject, message_id, decoder, key, queue_id, okey, qkey, final) "
				       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
				       -1, &s->ins_record, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO source (path) VALUES (?)", -1, &s->ins_source,
				       NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(s->db, "SELECT id FROM source WHERE path = ?", -1, &s->get_source, NULL) !=
			    SQLITE_OK ||
		    sqlite3_prepare_v2(s->db,
				       "INSERT INTO agg (hour, status, reply_code, reason, action, reporting_mta, "
				       "remote_mta, domain, count) VALUES (?,?,?,?,?,?,?,?,?) "
				       "ON CONFLICT (hour, status, reply_code, reason, action, reporting_mta, remote_mta, domain) "
				       "DO UPDATE SET count = count + excluded.count",
				       -1, &s->upsert_agg, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(s->db,
				       "SELECT id, ts, status, reply_code, reason, action, reporting_mta, remote_mta, "
				       "domain FROM record WHERE okey = ? AND final = 1",
				       -1, &s->get_final, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(s->db, "UPDATE record SET final = ? WHERE id = ?", -1, &s->set_final, NULL) !=
			    SQLITE_OK ||
		    sqlite3_prepare_v2(s->db,
				       DEFERRAL_COLUMNS
				       "FROM record WHERE qkey = ? AND final = 1 AND action = 'delayed' ORDER BY id",
				       -1, &s->get_queue, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(s->db,
				       DEFERRAL_COLUMNS
				       "FROM record WHERE id = ?",
				       -1, &s->get_row, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(s->db,
				       "INSERT INTO delivered (hour, decoder, reporting_mta, remote_mta, domain, count) "
				       "VALUES (?,?,?,?,?,?) ON CONFLICT (hour, domain, reporting_mta, remote_mta, decoder) "
				       "DO UPDATE SET count = count + excluded.count",
				       -1, &s->upsert_delivered, NULL) != SQLITE_OK) {
			dx_status st = db_fail(s, err, "cannot prepare statements");
			store_free(s);
			return st;
		}
	}
	if (sqlite3_prepare_v2(s->db,
			       "SELECT dev, ino, size, mtime_ns, done, head, tail, complete FROM source WHERE path = ?", -1,
			       &s->get_state, NULL) != SQLITE_OK ||
	    (create && sqlite3_prepare_v2(s->db,
					  "INSERT INTO source (path, dev, ino, size, mtime_ns, done, head, tail, complete) "
					  "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (path) DO UPDATE SET dev = excluded.dev, "
					  "ino = excluded.ino, size = excluded.size, mtime_ns = excluded.mtime_ns, "
					  "done = excluded.done, head = excluded.head, tail = excluded.tail, "
					  "complete = excluded.complete",
					  -1, &s->put_state, NULL) != SQLITE_OK)) {
		dx_status st = db_fail(s, err, "cannot prepare statements");
		store_free(s);
		return st;
	}
	*out = s;
	return DX_OK;
}

static int source_id(dx_store *s, const char *path, int64_t *id)
{
	if (s->last_source && strcmp(s->last_source, path) == 0) {
		*id = s->last_source_id;
		return 0;
	}
	sqlite3_reset(s->ins_source);
	sqlite3_bind_text(s->ins_source, 1, path, -1, SQLITE_STATIC);
	if (sqlite3_step(s->ins_source) != SQLITE_DONE)
		return -1;
	sqlite3_reset(s->get_source);
	sqlite3_bind_text(s->get_source, 1, path, -1, SQLITE_STATIC);
	if (sqlite3_step(s->get_source) != SQLITE_ROW)
		return -1;
	*id = sqlite3_column_int64(s->get_source, 0);
	sqlite3_reset(s->get_source);
	char *copy = strdup(path);
	if (!copy)
		return -1;
	free(s->last_source);
	s->last_source = copy;
	s->last_source_id = *id;
	return 0;
}

static int64_t hour_of(int64_t ts)
{
	if (ts == DX_NO_TIME)
		return unknown_hour;
	/* Floor division: times before 1970 still fall in their own hour. */
	return ts >= 0 ? ts / 3600 : -((-ts + 3599) / 3600);
}

/* Adds delta to r's combination; rf (if not NULL) gets what settling r
 * later needs of it. */
static int agg_record(dx_store *s, const dx_record *r, int64_t delta, recent_final *rf)
{
	dx_buf *k = &s->key;
	dx_buf_clear(k);
	int64_t hour = hour_of(r->timestamp);
	if (delta > 0 && r->timestamp != DX_NO_TIME && hour > s->newest_hour)
		s->newest_hour = hour;
	/* The key holds every agg column, in binary: the hour and reply code,
	 * then each text after its length, so that no byte inside one can be
	 * mistaken for a boundary. (The writer does this for every record:
	 * no printf.) */
	int32_t code = r->reply_code;
	dx_buf_append(k, &hour, sizeof hour);
	dx_buf_append(k, &code, sizeof code);
	const char *texts[] = {r->status, r->reason, r->action, r->reporting_mta, r->remote_mta, r->domain};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		uint32_t len = (uint32_t)strlen(texts[i]);
		dx_buf_append(k, &len, sizeof len);
		dx_buf_append(k, texts[i], len);
	}
	if (dx_buf_failed(k))
		return -1;
	if (!rf)
		return agg_add(&s->agg, k->data, k->len, hour, r->reply_code, delta, NULL);
	rf->aggkeylen = k->len;
	rf->hour = hour;
	rf->reply_code = r->reply_code;
	return agg_add(&s->agg, k->data, k->len, hour, r->reply_code, delta, &rf->aggkey);
}

/* Splits an aggregate key back into its n text fields, with their
 * lengths. */
static void key_fields(const char *key, int n, const char *f[], int len[])
{
	const char *p = key + sizeof(int64_t) + sizeof(int32_t);
	for (int i = 0; i < n; i++) {
		uint32_t l;
		memcpy(&l, p, sizeof l);
		f[i] = p + sizeof l;
		len[i] = (int)l;
		p += sizeof l + l;
	}
}

static int upsert_delivered(void *arg, int64_t hour, const char *decoder, const char *reporting_mta,
			    const char *remote_mta, const char *domain, uint64_t n)
{
	dx_store *s = arg;
	sqlite3_stmt *st = s->upsert_delivered;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, hour);
	sqlite3_bind_text(st, 2, decoder, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, reporting_mta, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, remote_mta, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)n);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

/* SQLite's BINARY order of two texts. */
static int text_cmp(const char *a, int an, const char *b, int bn)
{
	int c = memcmp(a, b, (size_t)(an < bn ? an : bn));
	return c ? c : (an > bn) - (an < bn);
}

/* An aggregate entry with its fields found, for sorting. */
typedef struct agg_row {
	agg_entry *e;
	const char *f[6];
	int len[6];
} agg_row;

/* Orders entries as the agg table's primary key does: (hour, status,
 * reply_code, reason, action, reporting_mta, remote_mta, domain). */
static int agg_order(const void *x, const void *y)
{
	const agg_row *a = x, *b = y;
	if (a->e->hour != b->e->hour)
		return a->e->hour < b->e->hour ? -1 : 1;
	int c = text_cmp(a->f[0], a->len[0], b->f[0], b->len[0]);
	if (c)
		return c;
	if (a->e->reply_code != b->e->reply_code)
		return a->e->reply_code < b->e->reply_code ? -1 : 1;
	for (int i = 1; i < 6; i++)
		if ((c = text_cmp(a->f[i], a->len[i], b->f[i], b->len[i])) != 0)
			return c;
	return 0;
}

/* Writes the counts of the combinations of hours before `before` that
 * have one, and takes them (their entries stay: recent_final points at
 * their keys). */
static int write_agg(dx_store *s, int64_t before)
{
	/* In the table's key order: each upsert lands next to the last, in
	 * pages already at hand, rather than anywhere in the b-tree. */
	agg_row *rows = s->agg.n ? malloc(s->agg.n * sizeof *rows) : NULL;
	if (s->agg.n && !rows)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < s->agg.cap; i++) {
		agg_entry *e = &s->agg.slots[i];
		if (!e->key || !e->count || e->hour >= before)
			continue;
		rows[n].e = e;
		key_fields(e->key, 6, rows[n].f, rows[n].len);
		n++;
	}
	if (n > 1)
		qsort(rows, n, sizeof *rows, agg_order);
	for (size_t i = 0; i < n; i++) {
		const agg_row *w = &rows[i];
		sqlite3_stmt *st = s->upsert_agg;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, w->e->hour);
		sqlite3_bind_text(st, 2, w->f[0], w->len[0], SQLITE_STATIC);
		sqlite3_bind_int(st, 3, w->e->reply_code);
		for (int j = 1; j < 6; j++)
			sqlite3_bind_text(st, 3 + j, w->f[j], w->len[j], SQLITE_STATIC);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)w->e->count);
		if (sqlite3_step(st) != SQLITE_DONE) {
			free(rows);
			return -1;
		}
		/* Taking back a count already written may leave a row at 0,
		 * which the commit deletes. */
		if (w->e->count < 0)
			s->negatives = 1;
		w->e->count = 0;
		s->agg.untaken--;
	}
	free(rows);
	return 0;
}

/* Writes the counts (aggregates and deliveries) of hours before
 * `before`, in the open transaction. */
static int write_counts(dx_store *s, int64_t before)
{
	if (write_agg(s, before) < 0)
		return -1;
	return s->delivered && dx_tally_take(s->delivered, before, upsert_delivered, s) != 0 ? -1 : 0;
}

/* A log is read in the order of its time: once an hour has begun, the
 * counts of the hours before it are complete, or nearly. Writing them then
 * (in the open transaction), rather than all at a commit that falls in the
 * middle of an hour, writes most combinations once where they were written
 * twice: on the bench log, 41,601 upserts of deliveries became 31,094, one
 * per row (and the written ones leave the tally, so memory calls for fewer
 * commits). Only with 2,048 combinations waiting or more, so that the walk
 * over the maps pays for itself, and once per hour that begins. A line out
 * of order only writes its combination again (the upserts add up); after a
 * time far ahead, counts wait for the commits, as they did before. */
static int write_past_hours(dx_store *s)
{
	if (s->newest_hour <= s->written_before ||
	    s->agg.untaken + dx_tally_untaken(s->delivered) < WRITE_PAST_COMBOS)
		return 0;
	s->written_before = s->newest_hour;
	return write_counts(s, s->newest_hour);
}

static int flush_agg(dx_store *s)
{
	if (write_counts(s, INT64_MAX) < 0)
		return -1;
	agg_empty(&s->agg);
	recent_empty(&s->recent); /* its keys were the agg map's */
	prov_empty(&s->prov);
	if (s->delivered)
		dx_tally_reset(s->delivered);
	/* Superseded records may leave combinations counted zero times. */
	if (s->negatives && exec(s, "DELETE FROM agg WHERE count = 0") < 0)
		return -1;
	s->negatives = 0;
	return 0;
}

/* A key as stored: 16 bytes, little-endian, the same on every machine. */
static void key_bytes(const uint64_t k[2], unsigned char out[16])
{
	for (int i = 0; i < 8; i++) {
		out[i] = (unsigned char)(k[0] >> (8 * i));
		out[8 + i] = (unsigned char)(k[1] >> (8 * i));
	}
}

void dx_store_key_words(const unsigned char *b, int n, uint64_t k[2])
{
	k[0] = k[1] = 0;
	if (n != 16)
		return;
	for (int i = 0; i < 8; i++) {
		k[0] |= (uint64_t)b[i] << (8 * i);
		k[1] |= (uint64_t)b[8 + i] << (8 * i);
	}
}

static const char *col_text_of(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

static int begin(dx_store *s)
{
	if (s->in_tx)
		return 0;
	if (exec(s, "BEGIN IMMEDIATE") < 0)
		return -1;
	s->in_tx = 1;
	s->tx_started = time(NULL);
	return 0;
}

/* Commits when enough records are pending or the transaction is old,
 * unless log facts since the last mark hold it open. */
static dx_status commit_if_due(dx_store *s, int check_clock, dx_error *err)
{
	if (s->facts_since_mark || !s->in_tx)
		return DX_OK;
	if (s->pending >= s->commit_every || s->agg.untaken + dx_tally_untaken(s->delivered) >= COMMIT_COMBOS ||
	    s->agg.n + dx_tally_size(s->delivered) + dx_tally_texts(s->delivered) >= HELD_COMBOS ||
	    ((check_clock || s->pending % 1024 == 0) && time(NULL) - s->tx_started >= COMMIT_SECONDS))
		return dx_store_commit(s, err);
	return DX_OK;
}

static void read_state(sqlite3_stmt *st, dx_source_state *state)
{
	state->known = 1;
	state->dev = (uint64_t)sqlite3_column_int64(st, 0);
	state->ino = (uint64_t)sqlite3_column_int64(st, 1);
	state->size = (uint64_t)sqlite3_column_int64(st, 2);
	state->mtime_ns = sqlite3_column_int64(st, 3);
	state->done = (uint64_t)sqlite3_column_int64(st, 4);
	if (sqlite3_column_bytes(st, 5) == 16) {
		dx_store_key_words(sqlite3_column_blob(st, 5), 16, state->head);
		state->has_head = 1;
	}
	if (sqlite3_column_bytes(st, 6) == 16) {
		dx_store_key_words(sqlite3_column_blob(st, 6), 16, state->tail);
		state->has_tail = 1;
	}
	state->complete = sqlite3_column_int(st, 7);
}

dx_status dx_store_source_get(dx_store *s, const char *path, dx_source_state *state, dx_error *err)
{
	memset(state, 0, sizeof *state);
	sqlite3_stmt *st = s->get_state;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_state(st, state);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "cannot read a source's state");
	return DX_OK;
}

#define STATE_COLUMNS "SELECT dev, ino, size, mtime_ns, done, head, tail, complete FROM source "

/* Runs st (its parameters bound) for at most one source's state, and
 * finalizes it. */
static dx_status one_state(dx_store *s, sqlite3_stmt *st, dx_source_state *state, dx_error *err)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		read_state(st, state);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(s, err, "cannot read a source's state");
	return DX_OK;
}

dx_status dx_store_source_by_head(dx_store *s, const uint64_t head[2], size_t window, dx_source_state *state,
				  dx_error *err)
{
	memset(state, 0, sizeof *state);
	sqlite3_stmt *st;
	/* A head hash covers min(done, DX_MARK_WINDOW) bytes: the window
	 * must be the same. */
	if (sqlite3_prepare_v2(s->db,
			       STATE_COLUMNS "WHERE head = ? AND (done = ? OR (? = ? AND done >= ?)) ORDER BY done DESC LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "cannot read a source's state");
	unsigned char h[16];
	key_bytes(head, h);
	sqlite3_bind_blob(st, 1, h, 16, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)window);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)window);
	sqlite3_bind_int64(st, 4, DX_MARK_WINDOW);
	sqlite3_bind_int64(st, 5, DX_MARK_WINDOW);
	return one_state(s, st, state, err);
}

dx_status dx_store_source_by_file(dx_store *s, uint64_t dev, uint64_t ino, dx_source_state *state, dx_error *err)
{
	memset(state, 0, sizeof *state);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, STATE_COLUMNS "WHERE dev = ? AND ino = ? ORDER BY id DESC LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK)
		return db_fail(s, err, "cannot read a source's state");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)dev);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ino);
	return one_state(s, st, state, err);
}

dx_status dx_store_source_put(dx_store *s, const char *path, const dx_source_state *state, dx_error *err)
{
	if (!s->put_state)
		return db_fail(s, err, "the index is open read-only");
	if (begin(s) < 0)
		return db_fail(s, err, "cannot begin a transaction");
	sqlite3_stmt *st = s->put_state;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)state->dev);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)state->ino);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)state->size);
	sqlite3_bind_int64(st, 5, state->mtime_ns);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)state->done);
	unsigned char head[16], tail[16];
	key_bytes(state->head, head);
	key_bytes(state->tail, tail);
	if (state->has_head)
		sqlite3_bind_blob(st, 7, head, 16, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 7);
	if (state->has_tail)
		sqlite3_bind_blob(st, 8, tail, 16, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_int(st, 9, state->complete);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(s, err, "cannot record a source's state");
	s->facts_since_mark = 0;
	if (write_past_hours(s) < 0)
		return db_fail(s, err, "cannot update the aggregates");
	return commit_if_due(s, 1, err);
}

dx_status dx_store_add(dx_store *s, const dx_record *r, int *added, dx_error *err)
{
	if (added)
		*added = 0;
	if (!s->ins_record)
		return db_fail(s, err, "the index is open read-only");
	if (begin(s) < 0)
		return db_fail(s, err, "cannot begin a transaction");
	int64_t sid;
	if (source_id(s, r->source, &sid) < 0)
		return db_fail(s, err, "cannot add a source");
	sqlite3_stmt *st = s->ins_record;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, sid);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->offset);
	sqlite3_bind_int(st, 3, (int)r->index);
	if (r->timestamp == DX_NO_TIME)
		sqlite3_bind_null(st, 4);
	else
		sqlite3_bind_int64(st, 4, r->timestamp);
	const char *texts[] = {r->recipient, r->domain, r->action, r->status};
	for (int i = 0; i < 4; i++)
		sqlite3_bind_text(st, 5 + i, texts[i], -1, SQLITE_STATIC);
	if (r->reply_code)
		sqlite3_bind_int(st, 9, r->reply_code);
	else
		sqlite3_bind_null(st, 9);
	sqlite3_bind_text(st, 10, r->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 11, r->hard_bounce);
	const char *more[] = {r->reporting_mta, r->remote_mta, r->diagnostic, r->sender,
			      r->subject, r->message_id, r->decoder};
	for (int i = 0; i < 7; i++)
		sqlite3_bind_text(st, 12 + i, more[i], -1, SQLITE_STATIC);
	unsigned char key[16];
	key_bytes(r->key, key);
	sqlite3_bind_blob(st, 19, key, sizeof key, SQLITE_STATIC);
	sqlite3_bind_text(st, 20, r->queue_id ? r->queue_id : "", -1, SQLITE_STATIC);
	if (r->outcome_key) {
		sqlite3_bind_int64(st, 21, (sqlite3_int64)r->outcome_key);
		sqlite3_bind_int64(st, 22, (sqlite3_int64)r->queue_key);
	} else {
		sqlite3_bind_null(st, 21);
		sqlite3_bind_null(st, 22);
	}
	/* A log's deferral goes in provisional (see recent_final). */
	int provisional = r->outcome_key && strcmp(r->action, "delayed") == 0;
	sqlite3_bind_int(st, 23, !provisional);
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_fail(s, err, "cannot insert a record");
	if (sqlite3_changes(s->db) == 1) {
		int final = 1;
		int64_t id = sqlite3_last_insert_rowid(s->db);
		/* Only a delivery with a final record in reach has anything to
		 * settle (load_pending). */
		if (r->outcome_key && load_pending(s) < 0)
			return db_fail(s, err, "cannot read the deferrals");
		if (r->outcome_key && set_has(&s->pending_o, r->outcome_key) &&
		    settle_any(s, r->outcome_key, r->timestamp, id, !provisional, &final) < 0)
			return db_fail(s, err, "cannot settle earlier attempts");
		if (final) {
			recent_final keep;
			if (agg_record(s, r, 1, r->outcome_key ? &keep : NULL) < 0)
				return nomem(err);
			/* Any final attempt may be settled by a later delivery; only
			 * deferrals by an expiry. */
			if (r->outcome_key) {
				recent_final *rf = recent_put(&s->recent, r->outcome_key);
				if (!rf || set_add(&s->pending_o, r->outcome_key) < 0 ||
				    (provisional && set_add(&s->pending_q, r->queue_key) < 0))
					return nomem(err);
				/* A queue key lists each delivery once, when it
				 * first has a provisional record. */
				int listed = rf->listed;
				if (provisional && !listed) {
					if (prov_add(&s->prov, r->queue_key, r->outcome_key) < 0)
						return nomem(err);
					listed = 1;
				}
				keep.okey = r->outcome_key;
				keep.id = id;
				keep.ts = r->timestamp;
				keep.provisional = provisional;
				keep.listed = listed;
				*rf = keep;
			}
		}
		if (added)
			*added = 1;
	}
	/* Commit every so many records, and every few seconds: a run that is
	 * killed loses at most that much work, which the next run redoes. */
	++s->pending;
	return commit_if_due(s, 0, err);
}

/* ---- attempts and outcomes of logs ------------------------------------------------- */

/* Marks the record `id` final or not. */
static int set_final(dx_store *s, int64_t id, int final)
{
	sqlite3_stmt *st = s->set_final;
	sqlite3_reset(st);
	sqlite3_bind_int(st, 1, final);
	sqlite3_bind_int64(st, 2, id);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The delivery okey has a new attempt or outcome at time ts (the record
 * `id`, or 0 for a successful delivery, which has none). The latest in
 * time is the final one: earlier final records are superseded (and leave
 * agg); if one is later than ts, the newcomer is the superseded one
 * (*final = 0: logs read out of order). A time unknown counts as latest. */
static int settle(dx_store *s, uint64_t okey, int64_t ts, int64_t id, int id_final, int *final)
{
	*final = 1;
	sqlite3_stmt *st = s->get_final;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)okey);
	/* Few rows (one, mostly): gather them before changing any. */
	struct old {
		int64_t id;
		dx_record r;
	} olds[8];
	char texts[8][6][256];
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 8) {
		int64_t oid = sqlite3_column_int64(st, 0);
		if (oid == id)
			continue;
		struct old *o = &olds[n];
		memset(o, 0, sizeof *o);
		o->id = oid;
		o->r.timestamp = sqlite3_column_type(st, 1) == SQLITE_NULL ? DX_NO_TIME : sqlite3_column_int64(st, 1);
		o->r.reply_code = sqlite3_column_int(st, 3);
		const char **dst[] = {&o->r.status, &o->r.reason, &o->r.action, &o->r.reporting_mta, &o->r.remote_mta,
				      &o->r.domain};
		const int cols[] = {2, 4, 5, 6, 7, 8};
		for (int i = 0; i < 6; i++) {
			snprintf(texts[n][i], sizeof texts[n][i], "%s", col_text_of(st, cols[i]));
			*dst[i] = texts[n][i];
		}
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return -1;
	for (int i = 0; i < n; i++) {
		struct old *o = &olds[i];
		int newer = ts == DX_NO_TIME || (o->r.timestamp != DX_NO_TIME && o->r.timestamp <= ts);
		if (newer) {
			if (set_final(s, o->id, 0) < 0 || agg_record(s, &o->r, -1, NULL) < 0)
				return -1;
			s->negatives = 1;
		} else if (*final) {
			*final = 0;
			if (id && id_final && set_final(s, id, 0) < 0)
				return -1;
		}
	}
	return 0;
}

/* settle(), for a delivery whose final record was added in the open
 * transaction (rf): the same decision, from memory. */
static int settle_recent(dx_store *s, recent_final *rf, int64_t ts, int64_t id, int id_final, int *final)
{
	*final = 1;
	if (!rf->id)
		return 0; /* settled already: no final record left */
	int newer = ts == DX_NO_TIME || (rf->ts != DX_NO_TIME && rf->ts <= ts);
	if (newer) {
		/* The combination was counted in this transaction: it cannot go
		 * below what the index holds (no `negatives`), but its count may
		 * have been written already (write_past_hours), and then what is
		 * taken back is written as a negative count (write_agg). */
		if ((!rf->provisional && set_final(s, rf->id, 0) < 0) ||
		    agg_add(&s->agg, rf->aggkey, rf->aggkeylen, rf->hour, rf->reply_code, -1, NULL) < 0)
			return -1;
		rf->id = 0;
	} else {
		*final = 0;
		if (id && id_final && set_final(s, id, 0) < 0)
			return -1;
	}
	return 0;
}

/* id_final: whether the record id (if any) is stored final (not
 * provisional), so that superseding it takes an UPDATE. */
static int settle_any(dx_store *s, uint64_t okey, int64_t ts, int64_t id, int id_final, int *final)
{
	recent_final *rf = recent_find(&s->recent, okey);
	return rf ? settle_recent(s, rf, ts, id, id_final, final) : settle(s, okey, ts, id, id_final, final);
}

/* The okeys of final log records and the qkeys of final deferrals, read
 * once per run: those a delivery or an expiry may settle. A queue id
 * lives a few days (Postfix gives up after 5 by default): records more
 * than SETTLE_DAYS older than the newest log record are left out, so
 * that the set does not grow with the index's history. */
enum { SETTLE_DAYS = 10 };

static int load_pending(dx_store *s)
{
	if (s->pending_loaded)
		return 0;
	s->pending_loaded = 1;
	sqlite3_stmt *st;
	char sql[400];
	snprintf(sql, sizeof sql,
		 "SELECT okey, qkey, action FROM record WHERE okey IS NOT NULL AND final = 1 AND "
		 "(ts IS NULL OR ts >= (SELECT max(ts) FROM record WHERE okey IS NOT NULL) - %d)",
		 SETTLE_DAYS * 86400);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *action = sqlite3_column_text(st, 2);
		int delayed = action && strcmp((const char *)action, "delayed") == 0;
		if (set_add(&s->pending_o, (uint64_t)sqlite3_column_int64(st, 0)) < 0 ||
		    (delayed && set_add(&s->pending_q, (uint64_t)sqlite3_column_int64(st, 1)) < 0)) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int count_delivered(dx_store *s, const dx_logfact *f)
{
	if (!s->delivered && !(s->delivered = dx_tally_new()))
		return -1;
	const uint64_t *key = f->count_key[0] || f->count_key[1] ? f->count_key : NULL;
	int64_t hour = hour_of(f->timestamp);
	if (f->timestamp != DX_NO_TIME && hour > s->newest_hour)
		s->newest_hour = hour;
	return dx_tally_add(s->delivered, hour, key, f->decoder, f->reporting_mta, f->remote_mta,
			    f->domain, 1);
}

/* A deferral that an expiry turns into a failed record, copied out of
 * its row (adding records reuses the statements). */
enum { EXPIRY_TEXTS = 11 };
typedef struct expiry_row {
	char *t[EXPIRY_TEXTS];
	int reply_code;
	uint64_t okey;
} expiry_row;

/* Appends the row st is on to *rows; -1 when memory runs out. */
static int expiry_take(sqlite3_stmt *st, expiry_row **rows, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		expiry_row *nr = realloc(*rows, c * sizeof *nr);
		if (!nr)
			return -1;
		*rows = nr;
		*cap = c;
	}
	expiry_row *w = &(*rows)[(*n)++];
	memset(w, 0, sizeof *w);
	/* recipient, domain, status, reporting_mta, remote_mta, diagnostic,
	 * sender, subject, message_id, decoder, queue_id */
	const int cols[EXPIRY_TEXTS] = {0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11};
	int failed = 0;
	for (int i = 0; i < EXPIRY_TEXTS; i++)
		if (!(w->t[i] = strdup(col_text_of(st, cols[i]))))
			failed = 1;
	w->reply_code = sqlite3_column_int(st, 3);
	w->okey = (uint64_t)sqlite3_column_int64(st, 12);
	return failed ? -1 : 0;
}

static int by_id(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* Postfix gave up on a queue id: each of its deferrals still final
 * becomes a failed record (reason expired, the deferral's status and
 * words) at the time and place of the expiry line, which supersedes the
 * deferral. The deferrals are those stored final, then those of the open
 * transaction still provisional (recent_final), in the order they came. */
static dx_status expire(dx_store *s, const dx_logfact *f, dx_error *err)
{
	sqlite3_stmt *st = s->get_queue;
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)f->key);
	expiry_row *rows = NULL;
	size_t n = 0, cap = 0;
	int rc, failed = 0;
	while (!failed && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if (expiry_take(st, &rows, &n, &cap) < 0)
			failed = 1;
	sqlite3_reset(st);
	int64_t *ids = NULL;
	size_t nids = 0, idcap = 0;
	for (int32_t node = prov_head(&s->prov, f->key); node >= 0 && !failed && rc == SQLITE_DONE;
	     node = s->prov.nodes[node].next) {
		recent_final *rf = recent_find(&s->recent, s->prov.nodes[node].okey);
		if (!rf || !rf->id || !rf->provisional)
			continue; /* settled since */
		if (nids == idcap) {
			size_t c = idcap ? idcap * 2 : 8;
			int64_t *ni = realloc(ids, c * sizeof *ni);
			if (!ni) {
				failed = 1;
				break;
			}
			ids = ni;
			idcap = c;
		}
		ids[nids++] = rf->id;
	}
	if (nids > 1)
		qsort(ids, nids, sizeof *ids, by_id);
	for (size_t k = 0; k < nids && !failed && rc == SQLITE_DONE; k++) {
		st = s->get_row;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, ids[k]);
		int got = sqlite3_step(st);
		if (got == SQLITE_ROW)
			failed = expiry_take(st, &rows, &n, &cap) < 0;
		else if (got != SQLITE_DONE)
			rc = got;
		sqlite3_reset(st);
	}
	free(ids);
	dx_status out = failed ? nomem(err) : rc != SQLITE_DONE ? db_fail(s, err, "cannot read deferrals") : DX_OK;
	for (size_t i = 0; i < n && out == DX_OK; i++) {
		expiry_row *w = &rows[i];
		dx_record r;
		memset(&r, 0, sizeof r);
		r.source = f->source;
		r.offset = f->offset;
		r.index = (unsigned)i + 1;
		r.timestamp = f->timestamp;
		r.recipient = w->t[0];
		r.domain = w->t[1];
		r.action = "failed";
		r.status = w->t[2];
		r.reply_code = w->reply_code;
		r.reason = "expired";
		r.hard_bounce = dx_hard_bounce(r.reason, r.status, r.reply_code, r.action);
		r.reporting_mta = w->t[3];
		r.remote_mta = w->t[4];
		r.diagnostic = w->t[5];
		r.sender = w->t[6];
		r.subject = w->t[7];
		r.message_id = w->t[8];
		r.decoder = w->t[9];
		r.queue_id = w->t[10];
		r.outcome_key = w->okey;
		r.queue_key = f->key;
		/* The same expiry line read again makes the same keys. */
		dx_hash k = dx_hash128(r.recipient, strlen(r.recipient), f->line_key[0] ^ f->line_key[1]);
		r.key[0] = k.lo;
		r.key[1] = k.hi;
		out = dx_store_add(s, &r, NULL, err);
	}
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < EXPIRY_TEXTS; j++)
			free(rows[i].t[j]);
	free(rows);
	return out;
}

dx_status dx_store_logfact(dx_store *s, const dx_logfact *f, dx_error *err)
{
	if (!s->ins_record)
		return db_fail(s, err, "the index is open read-only");
	if (begin(s) < 0)
		return db_fail(s, err, "cannot begin a transaction");
	if (load_pending(s) < 0)
		return db_fail(s, err, "cannot read the deferrals");
	s->facts_since_mark = 1;
	if (f->kind == DX_LOGFACT_SENT) {
		if (count_delivered(s, f) < 0)
			return nomem(err);
		int final;
		if (set_has(&s->pending_o, f->key) && settle_any(s, f->key, f->timestamp, 0, 0, &final) < 0)
			return db_fail(s, err, "cannot settle earlier attempts");
		return DX_OK;
	}
	if (f->kind == DX_LOGFACT_EXPIRED && set_has(&s->pending_q, f->key))
		return expire(s, f, err);
	return DX_OK;
}

dx_status dx_store_envelopes_load(dx_store *s, dx_envelope_fn put, void *ctx, dx_error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT qkey, sender, message_id FROM envelope", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "cannot read the envelopes");
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		dx_envelope e = {(uint64_t)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
				 (const char *)sqlite3_column_text(st, 2)};
		if (put(ctx, &e) != 0) {
			sqlite3_finalize(st);
			return nomem(err);
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? DX_OK : db_fail(s, err, "cannot read the envelopes");
}

dx_status dx_store_envelopes_save(dx_store *s, const dx_envelope *envs, size_t n, dx_error *err)
{
	if (!s->ins_record)
		return db_fail(s, err, "the index is open read-only");
	if (begin(s) < 0)
		return db_fail(s, err, "cannot begin a transaction");
	if (exec(s, "DELETE FROM envelope") < 0)
		return db_fail(s, err, "cannot replace the envelopes");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO envelope (qkey, sender, message_id) VALUES (?, ?, ?)", -1,
			       &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "cannot replace the envelopes");
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)envs[i].queue_key);
		if (envs[i].sender)
			sqlite3_bind_text(st, 2, envs[i].sender, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 2);
		if (envs[i].message_id)
			sqlite3_bind_text(st, 3, envs[i].message_id, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 3);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return db_fail(s, err, "cannot replace the envelopes");
		}
	}
	sqlite3_finalize(st);
	return DX_OK;
}

void dx_store_set_commit_every(dx_store *s, unsigned records)
{
	s->commit_every = records ? records : COMMIT_EVERY;
}

/* The transaction's provisional deferrals that nothing settled are made
 * final, as they are (see recent_final). */
static int publish_finals(dx_store *s)
{
	for (size_t i = 0; i < s->recent.cap; i++) {
		recent_final *rf = &s->recent.slots[i];
		if (rf->okey && rf->id && rf->provisional) {
			if (set_final(s, rf->id, 1) < 0)
				return -1;
			rf->provisional = 0;
		}
	}
	return 0;
}

dx_status dx_store_commit(dx_store *s, dx_error *err)
{
	if (!s->in_tx)
		return DX_OK;
	if (publish_finals(s) < 0)
		return db_fail(s, err, "cannot mark the deferrals final");
	if (flush_agg(s) < 0)
		return db_fail(s, err, "cannot update the aggregates");
	if (exec(s, "COMMIT") < 0)
		return db_fail(s, err, "cannot commit");
	s->in_tx = 0;
	s->pending = 0;
	return DX_OK;
}

dx_status dx_store_close_stopped(dx_store *s, dx_error *err)
{
	if (s && s->in_tx && s->facts_since_mark) {
		int failed = exec(s, "ROLLBACK") < 0;
		dx_status st = failed ? db_fail(s, err, "cannot roll back") : DX_OK;
		s->in_tx = 0;
		store_free(s);
		return st;
	}
	return dx_store_close(s, err);
}

dx_status dx_store_close(dx_store *s, dx_error *err)
{
	if (!s)
		return DX_OK;
	dx_status st = dx_store_commit(s, err);
	if (st != DX_OK)
		exec(s, "ROLLBACK");
	store_free(s);
	return st;
}

/* ---- checking ---------------------------------------------------------------- */

/* One integer from a query, or -1. */
static int64_t query_int(dx_store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

dx_status dx_store_check(dx_store *s, void (*problem)(void *arg, const char *what), void *arg, dx_error *err)
{
	int bad = 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return db_fail(s, err, "cannot check the database");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = col_text_of(st, 0);
		if (strcmp(t, "ok") != 0) {
			bad++;
			if (problem)
				problem(arg, t);
		}
	}
	sqlite3_finalize(st);
	/* The aggregates count exactly the records; every record has its
	 * source. */
	int64_t records = query_int(s, "SELECT count(*) FROM record WHERE final = 1");
	int64_t counted = query_int(s, "SELECT coalesce(sum(count), 0) FROM agg");
	if (records < 0 || counted < 0)
		return db_fail(s, err, "cannot check the database");
	if (records != counted) {
		char m[160];
		snprintf(m, sizeof m, "the aggregates count %lld records, the record table holds %lld final ones",
			 (long long)counted, (long long)records);
		bad++;
		if (problem)
			problem(arg, m);
	}
	/* And combination by combination: a count written to the wrong hour or
	 * twice for one combination and missing from another adds up all the
	 * same. (Records without a time count in the unknown hour; a record
	 * without a reply code in code 0, as agg_record() counts them.) */
	int64_t differ = query_int(
		s, "SELECT count(*) FROM (SELECT sum(n) AS d FROM ("
		   "SELECT CASE WHEN ts IS NULL THEN " DX_UNKNOWN_HOUR_SQL " WHEN ts >= 0 THEN ts / 3600"
		   " ELSE -((-ts + 3599) / 3600) END AS h, status, coalesce(reply_code, 0) AS rc, reason, action,"
		   " reporting_mta, remote_mta, domain, 1 AS n FROM record WHERE final = 1"
		   " UNION ALL SELECT hour, status, reply_code, reason, action, reporting_mta, remote_mta, domain,"
		   " -count FROM agg)"
		   " GROUP BY h, status, rc, reason, action, reporting_mta, remote_mta, domain HAVING d != 0)");
	if (differ < 0)
		return db_fail(s, err, "cannot check the database");
	if (differ > 0) {
		char m[160];
		snprintf(m, sizeof m, "%lld combinations of the aggregates count other than their records",
			 (long long)differ);
		bad++;
		if (problem)
			problem(arg, m);
	}
	int64_t orphans = query_int(s, "SELECT count(*) FROM record WHERE source_id NOT IN (SELECT id FROM source)");
	if (orphans > 0) {
		char m[120];
		snprintf(m, sizeof m, "%lld records name no source", (long long)orphans);
		bad++;
		if (problem)
			problem(arg, m);
	}
	if (bad) {
		if (err) {
			err->code = DX_ERR_DB;
			snprintf(err->message, sizeof err->message, "%s: %d problem%s found", s->path, bad,
				 bad == 1 ? "" : "s");
		}
		return DX_ERR_DB;
	}
	return DX_OK;
}

/* ---- for query.c ---------------------------------------------------------------- */

sqlite3 *dx_store_sqlite(dx_store *s)
{
	return s->db;
}

dx_status dx_store_fail(dx_store *s, dx_error *err, const char *what)
{
	return db_fail(s, err, what);
}
