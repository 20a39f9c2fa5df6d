/* pipeline.c: dx_run(), the multithreaded path from files to records.
 *
 *   reader          splitter             workers (N - 1)        caller's thread
 *   walk paths,  -> cut the bytes of  -> split batches into  -> reorder batches by
 *   read bytes,     each source into      messages, dx_decode   sequence number, pass
 *   decompress,     batches at message    each, keep records    records and diagnostics
 *   open archives   boundaries            in the batch          to the sink; and decode
 *                                                               a batch itself when
 *                                                               none is ready to write
 *
 * The reader hands the splitter chunks of raw bytes through a bounded
 * queue; the splitter hands the workers batches: one buffer holding whole
 * messages (one or more segments: runs of mbox messages or single-message
 * files), plus, after a worker has been at it, the records and diagnostics
 * they gave. Batches are the unit of work, of memory and of ordering: the
 * splitter may not start a new batch until fewer than `max_inflight` exist,
 * and the reader may not be more than CHUNKS_AHEAD chunks ahead of it, so
 * memory is bounded whatever the size of the input; and the writer releases
 * batches strictly in reading order, so output is identical for any number
 * of threads.
 *
 * `threads` (N) counts the threads that do the work: N - 1 workers and the
 * caller's thread, which writes what is ready and otherwise decodes. The
 * writing (SQLite, for an index) is a large share of the work, so a
 * separate writer thread would make one thread of "--threads 1" a second
 * busy core, and N threads N + 1 busy ones.
 *
 * Who owns what: a chunk belongs to the reader until pushed, then to the
 * splitter, which keeps its buffer for the reader's reuse once copied; a
 * plain file's stream is handed over in a chunk (CH_STREAM) and read by
 * the splitter into its batches directly, then closed by it. A
 * batch belongs to the splitter while filled; then the work list, one
 * worker (or the caller), the done list and the caller, which empties it
 * and hands it back to the splitter for reuse. Source names are
 * reference-counted because one source spans chunks and batches.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "dsnidx.h"
#include "container.h"
#include "hash.h"
#include "input.h"
#include "decode.h"
#include "envelope.h"
#include "logdecode.h"
#include "maillog.h"
#include "mbox.h"
#include "text.h"
#include "scan.h"

enum {
	BATCH_TARGET = 2u << 20,   /* cut a batch once it holds this much */
	READ_CHUNK = 256u << 10,   /* bytes asked of a stream at once */
	CHUNKS_AHEAD = 8,          /* chunks the reader may read ahead */
	DETECT_BYTES = 4096,       /* bytes needed to tell mbox from message */
	MAX_SEGMENTS = 4096,       /* small files packed into one batch */
};

/* ---- sources ------------------------------------------------------------- */

typedef struct source {
	atomic_int refs;
	/* A top-level regular file whose progress goes to dx_sink.mark, with
	 * its identity when opened; where reading started (a resume point)
	 * and up to DX_MARK_WINDOW bytes before it, so that marks can hash
	 * the bytes before a boundary even in the first batch. */
	int markable;
	dx_source_state st;
	uint64_t base;
	unsigned char *pre;        /* malloc'd, only when resuming */
	size_t pre_len;
	unsigned char *head;       /* its first bytes (up to DX_MARK_WINDOW), only when resuming */
	size_t head_len;
	int finished;              /* a compressed file: its last line is whole,
				    * newline or not (nothing is appended to it) */
	/* When it was last written, or when the run began for a stream: the
	 * year of a log line that gives none is taken from it. */
	int64_t ref_time;
	char name[];
} source;

static source *source_new(const char *name)
{
	size_t n = strlen(name);
	source *s = calloc(1, sizeof *s + n + 1);
	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	memcpy(s->name, name, n + 1);
	return s;
}

static source *source_ref(source *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

static void source_unref(source *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
		free(s->pre);
		free(s->head);
		free(s);
	}
}

/* ---- batches -------------------------------------------------------------- */

/* What a segment holds: one message, a run of mbox messages, or whole
 * lines of a mail server log. */
enum { SEG_SINGLE, SEG_MBOX, SEG_LOG };

typedef struct segment {
	source *src;
	uint64_t base;             /* offset of data[start] in the source */
	size_t start, len;
	int kind;                  /* SEG_* */
	int truncated;             /* a single message cut at max_message_size */
	int has_mark;              /* after its records, dx_sink.mark(mark) */
	dx_source_state mark;
} segment;

typedef struct event {
	int is_record;
	int is_mark;               /* a source's progress: mark_path, mark */
	dx_record rec;
	dx_diag diag;
	dx_explanation x;          /* with explain sinks; x.record is &rec */
	const char *mark_path;
	dx_source_state mark;
} event;

/* A log fact, to be given after the batch's first `after` events. */
typedef struct fact_event {
	dx_logfact f;
	size_t after;
} fact_event;

/* What a log said of a queue id's message (its sender, its Message-ID),
 * for the records of later lines; applied after the batch's first `after`
 * events. NULL: not said by this line. */
typedef struct envelope_event {
	uint64_t queue_key;
	const char *sender, *message_id;
	int removed;               /* the log is done with the queue id */
	size_t after;
} envelope_event;

typedef struct batch {
	uint64_t seq;
	char *data;                /* alloc + a shift below one page */
	size_t len, cap;           /* cap: from data to the allocation's end */
	char *alloc;               /* page-aligned (see chunk_buf_get) */
	segment *segs;
	size_t nsegs, segcap;
	event *ev;
	size_t nev, evcap;
	fact_event *facts;         /* kept apart from ev: a log has many, and small */
	size_t nfacts, factcap;
	envelope_event *envs;
	size_t nenvs, envcap;
	dx_arena strings;          /* texts of the events */
	dx_stats delta;            /* what this batch adds to the totals */
	struct batch *next;
} batch;

static batch *batch_new(void)
{
	batch *b = calloc(1, sizeof *b);
	if (b)
		dx_arena_init(&b->strings, 0);
	return b;
}

static void batch_free(batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nsegs; i++)
		source_unref(b->segs[i].src);
	free(b->segs);
	free(b->ev);
	free(b->facts);
	free(b->envs);
	dx_arena_free(&b->strings);
	free(b->alloc);
	free(b);
}

enum { PAGE = 4096 };

static int batch_reserve(batch *b, size_t extra)
{
	if (b->cap - b->len >= extra)
		return 0;
	size_t shift = b->alloc ? (size_t)(b->data - b->alloc) : 0;
	size_t cap = b->cap ? b->cap + shift : BATCH_TARGET + READ_CHUNK;
	while (cap - shift - b->len < extra)
		cap *= 2;
	cap = (cap + PAGE - 1) / PAGE * PAGE;
	char *a = aligned_alloc(PAGE, cap);
	if (!a)
		return -1;
	if (b->len)
		memcpy(a + shift, b->data, b->len);
	free(b->alloc);
	b->alloc = a;
	b->data = a + shift;
	b->cap = cap - shift;
	return 0;
}

/* For an empty batch that will receive `lead` bytes and then reads from a
 * source at a page boundary: places the data so that those reads land on
 * a page boundary too (see chunk_buf_get: a copy 1 to 31 bytes off its
 * source's page offset is slow). A new batch gets its buffer here. */
static int batch_place(batch *b, size_t lead)
{
	if (b->len)
		return 0;
	if (!b->alloc && batch_reserve(b, lead + READ_CHUNK) < 0)
		return -1;
	size_t shift = (PAGE - lead % PAGE) % PAGE;
	size_t total = b->cap + (size_t)(b->data - b->alloc);
	if (shift + BATCH_TARGET > total)
		shift = 0;
	b->data = b->alloc + shift;
	b->cap = total - shift;
	return 0;
}

static int batch_add_segment(batch *b, source *src, uint64_t base, size_t start, size_t len, int kind, int truncated)
{
	if (b->nsegs == b->segcap) {
		size_t cap = b->segcap ? b->segcap * 2 : 16;
		segment *s = realloc(b->segs, cap * sizeof *s);
		if (!s)
			return -1;
		b->segs = s;
		b->segcap = cap;
	}
	segment *g = &b->segs[b->nsegs++];
	memset(g, 0, sizeof *g);
	g->src = source_ref(src);
	g->base = base;
	g->start = start;
	g->len = len;
	g->kind = kind;
	g->truncated = truncated;
	return 0;
}

/* Puts a mark on the batch's last segment. */
static void segment_mark(batch *b, const dx_source_state *m)
{
	segment *g = &b->segs[b->nsegs - 1];
	g->has_mark = 1;
	g->mark = *m;
}

static event *batch_event(batch *b)
{
	if (b->nev == b->evcap) {
		size_t cap = b->evcap ? b->evcap * 2 : 64;
		event *e = realloc(b->ev, cap * sizeof *e);
		if (!e)
			return NULL;
		b->ev = e;
		b->evcap = cap;
	}
	event *e = &b->ev[b->nev++];
	memset(e, 0, sizeof *e);
	return e;
}

static const char *keep(batch *b, const char *s)
{
	return s ? dx_arena_strdup(&b->strings, s) : NULL;
}

static int batch_diag(batch *b, dx_severity sev, const char *src, int64_t off, const char *msg)
{
	event *e = batch_event(b);
	if (!e)
		return -1;
	e->diag.severity = sev;
	e->diag.source = keep(b, src);
	e->diag.offset = off;
	e->diag.message = keep(b, msg);
	if (!e->diag.message || (src && !e->diag.source))
		return -1;
	return 0;
}

/* ---- a bounded queue of batches -------------------------------------------- */

/* Batches between the splitter, the workers and the caller's thread, under
 * one lock: batches to decode (in reading order) and batches decoded (in
 * any order). The caller's thread both writes and, when nothing is ready
 * to write, decodes: so `threads` is the number of threads doing the work,
 * and one thread means decoding and writing take turns. The lists need no
 * capacity of their own: the in-flight limit bounds how many batches
 * exist at all. */
typedef struct batchq {
	pthread_mutex_t mu;
	pthread_cond_t work_cv;    /* workers: there is work, or no more will come */
	pthread_cond_t caller_cv;  /* the caller: a batch is done, or there is work */
	batch *work_head, *work_tail;
	int work_closed;
	batch *done;               /* decoded, in no order */
	int workers_left;          /* worker threads still running */
} batchq;

static void bq_init(batchq *q, int workers)
{
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->work_cv, NULL);
	pthread_cond_init(&q->caller_cv, NULL);
	q->work_head = q->work_tail = q->done = NULL;
	q->work_closed = 0;
	q->workers_left = workers;
}

static void bq_destroy(batchq *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->work_cv);
	pthread_cond_destroy(&q->caller_cv);
}

static void bq_push_work(batchq *q, batch *b)
{
	pthread_mutex_lock(&q->mu);
	b->next = NULL;
	if (q->work_tail)
		q->work_tail->next = b;
	else
		q->work_head = b;
	q->work_tail = b;
	pthread_cond_signal(&q->work_cv);
	pthread_cond_signal(&q->caller_cv);
	pthread_mutex_unlock(&q->mu);
}

/* No more work will come. */
static void bq_close_work(batchq *q)
{
	pthread_mutex_lock(&q->mu);
	q->work_closed = 1;
	pthread_cond_broadcast(&q->work_cv);
	pthread_cond_signal(&q->caller_cv);
	pthread_mutex_unlock(&q->mu);
}

static batch *take_work(batchq *q)
{
	batch *b = q->work_head;
	if (b) {
		q->work_head = b->next;
		if (!q->work_head)
			q->work_tail = NULL;
		b->next = NULL;
	}
	return b;
}

/* A worker's next batch; NULL when the work is closed and taken. */
static batch *bq_pop_work(batchq *q)
{
	pthread_mutex_lock(&q->mu);
	while (!q->work_head && !q->work_closed)
		pthread_cond_wait(&q->work_cv, &q->mu);
	batch *b = take_work(q);
	pthread_mutex_unlock(&q->mu);
	return b;
}

static void bq_push_done(batchq *q, batch *b)
{
	pthread_mutex_lock(&q->mu);
	b->next = q->done;
	q->done = b;
	pthread_cond_signal(&q->caller_cv);
	pthread_mutex_unlock(&q->mu);
}

static void bq_worker_exit(batchq *q)
{
	pthread_mutex_lock(&q->mu);
	q->workers_left--;
	pthread_cond_signal(&q->caller_cv);
	pthread_mutex_unlock(&q->mu);
}

/* The caller's next step: the decoded batches (a list, *done set), else a
 * batch to decode (*work set), else 0 when everything is over: no work will
 * come, none is left, and no worker still holds any. Decoded batches come
 * first: writing them frees their slots for the splitter. */
static int bq_caller_next(batchq *q, batch **done, batch **work)
{
	*done = *work = NULL;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		if (q->done) {
			*done = q->done;
			q->done = NULL;
			break;
		}
		if (q->work_head) {
			*work = take_work(q);
			break;
		}
		if (q->work_closed && q->workers_left == 0)
			break;
		pthread_cond_wait(&q->caller_cv, &q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return *done || *work;
}

/* ---- chunks: the reader's bytes, on their way to the splitter ------------------ */

typedef enum chunk_kind {
	CH_START,                  /* a source begins (src set) */
	CH_DATA,                   /* bytes of the current source */
	CH_ERROR,                  /* the current source failed to read: message */
	CH_STOPPED,                /* the current source was stopped by a limit: message */
	CH_END,                    /* the current source ends */
	CH_STREAM,                 /* the rest of the current source, and its end, are
				    * read by the splitter from this stream */
	CH_NOTICE,                 /* a path could not be walked or opened: message */
	CH_LIMIT,                  /* an input skipped for a limit: message */
	CH_SKIPPED,                /* a file left unread (dx_sink.plan) */
	CH_MARK                    /* a container file read to its end: src's mark */
} chunk_kind;

typedef struct chunk {
	chunk_kind kind;
	source *src;               /* CH_START, CH_MARK, CH_NOTICE (may be NULL) */
	char *data;                /* CH_DATA */
	size_t len;
	char *message;             /* CH_ERROR, CH_STOPPED, CH_NOTICE, CH_LIMIT */
	dx_stream *stream;         /* CH_STREAM: owned */
	struct chunk *next;
} chunk;

static void chunk_free(chunk *c);

struct run;
/* A READ_CHUNK buffer: a spare one if there is, else a new one. */
static char *chunk_buf_get(struct run *r);
/* Gives the buffer back for reuse, or frees it when enough are kept. */
static void chunk_buf_put(struct run *r, char *buf);

/* Frees a chunk, keeping its data buffer (READ_CHUNK bytes) for reuse. */
static void chunk_release(struct run *r, chunk *c)
{
	if (c && c->kind == CH_DATA && c->data) {
		chunk_buf_put(r, c->data);
		c->data = NULL;
	}
	chunk_free(c);
}

static void chunk_free(chunk *c)
{
	if (!c)
		return;
	source_unref(c->src);
	free(c->data);
	free(c->message);
	if (c->stream)
		dx_stream_close(c->stream);
	free(c);
}

/* A queue that holds at most `cap` chunks: the reader waits when the
 * splitter is behind. Closing wakes both sides; a push to a closed queue
 * fails, a pop from a closed, empty one returns NULL. */
typedef struct chunk_queue {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	chunk *head, *tail;
	unsigned n, cap;
	int closed;
} chunk_queue;

static void cq_init(chunk_queue *q, unsigned cap)
{
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	q->head = q->tail = NULL;
	q->n = 0;
	q->cap = cap;
	q->closed = 0;
}

static void cq_destroy(chunk_queue *q)
{
	while (q->head) {
		chunk *c = q->head;
		q->head = c->next;
		chunk_free(c);
	}
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
}

static int cq_push(chunk_queue *q, chunk *c)
{
	pthread_mutex_lock(&q->mu);
	while (q->n >= q->cap && !q->closed)
		pthread_cond_wait(&q->not_full, &q->mu);
	if (q->closed) {
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	c->next = NULL;
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	q->n++;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

static chunk *cq_pop(chunk_queue *q)
{
	pthread_mutex_lock(&q->mu);
	while (!q->head && !q->closed)
		pthread_cond_wait(&q->not_empty, &q->mu);
	chunk *c = q->head;
	if (c) {
		q->head = c->next;
		if (!q->head)
			q->tail = NULL;
		q->n--;
		pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->mu);
	return c;
}

static void cq_close(chunk_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->not_empty);
	pthread_cond_broadcast(&q->not_full);
	pthread_mutex_unlock(&q->mu);
}

/* ---- the run ---------------------------------------------------------------- */

typedef struct run {
	const dx_engine *engine;
	const dx_limits *limits;
	const dx_scan_kernel *kernel;
	int explain;               /* keep explanations, not only records */
	const dx_sink *sink;
	unsigned errors_pushed;    /* reader's thread: errors about inputs so far */
	dx_expand_limits expand;   /* from limits: how far decompression may go */
	int64_t started;           /* UTC seconds: the reference time of streams */
	const char *const *paths;
	size_t npaths;

	chunk_queue chunks;        /* reader -> splitter */
	batchq batches;            /* splitter -> workers and caller -> caller */
	atomic_int aborted;
	atomic_int nomem;

	/* In-flight batches, for bounded memory. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned inflight, max_inflight;
	/* Buffers kept for reuse (under mu): batches done with, and chunks'
	 * data. Fresh memory costs a page fault per page on first touch;
	 * reusing it keeps the reader and splitter at copying speed. */
	struct batch *spare_batches;
	char *spare_chunks[CHUNKS_AHEAD + 4];
	unsigned nspare_chunks;

	uint64_t next_seq;         /* reader's numbering */
} run;

static int acquire_slot(run *r)
{
	pthread_mutex_lock(&r->mu);
	while (r->inflight >= r->max_inflight && !atomic_load(&r->aborted))
		pthread_cond_wait(&r->cv, &r->mu);
	int ok = !atomic_load(&r->aborted);
	if (ok)
		r->inflight++;
	pthread_mutex_unlock(&r->mu);
	return ok;
}

static void release_slot(run *r)
{
	pthread_mutex_lock(&r->mu);
	r->inflight--;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* The writer is done with b: emptied, kept for the splitter's next batch,
 * and its slot released. At most max_inflight batches exist, so the spare
 * list is bounded too. */
static void batch_recycle(run *r, batch *b)
{
	for (size_t i = 0; i < b->nsegs; i++)
		source_unref(b->segs[i].src);
	b->nsegs = 0;
	b->nev = 0;
	b->nfacts = 0;
	b->nenvs = 0;
	b->len = 0;
	if (b->alloc) { /* unplaced: data at the allocation's start */
		b->cap += (size_t)(b->data - b->alloc);
		b->data = b->alloc;
	}
	b->seq = 0;
	dx_arena_reset(&b->strings);
	memset(&b->delta, 0, sizeof b->delta);
	pthread_mutex_lock(&r->mu);
	b->next = r->spare_batches;
	r->spare_batches = b;
	r->inflight--;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static batch *spare_batch(run *r)
{
	pthread_mutex_lock(&r->mu);
	batch *b = r->spare_batches;
	if (b)
		r->spare_batches = b->next;
	pthread_mutex_unlock(&r->mu);
	if (b)
		b->next = NULL;
	return b;
}

static char *chunk_buf_get(run *r)
{
	char *buf = NULL;
	pthread_mutex_lock(&r->mu);
	if (r->nspare_chunks)
		buf = r->spare_chunks[--r->nspare_chunks];
	pthread_mutex_unlock(&r->mu);
	/* Page-aligned: a large malloc() is its own mapping, whose data starts
	 * 16 bytes into a page, and on some CPUs (AMD's with fast short rep
	 * movsb) a copy whose destination is 1 to 31 bytes past its source's
	 * position in a page runs several times slower. read() copies from
	 * the page cache, page-aligned: reading a log into such a buffer cost
	 * 0.25 s per 394 MB instead of 0.04 s (measured with a read loop on
	 * this machine; see bench/README.md). */
	return buf ? buf : aligned_alloc(PAGE, READ_CHUNK);
}

static void chunk_buf_put(run *r, char *buf)
{
	pthread_mutex_lock(&r->mu);
	if (r->nspare_chunks < sizeof r->spare_chunks / sizeof r->spare_chunks[0]) {
		r->spare_chunks[r->nspare_chunks++] = buf;
		buf = NULL;
	}
	pthread_mutex_unlock(&r->mu);
	free(buf);
}

static void abort_run(run *r)
{
	atomic_store(&r->aborted, 1);
	cq_close(&r->chunks);
	pthread_mutex_lock(&r->mu);
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

/* ---- reader: paths to chunks of bytes -------------------------------------- */

static int push_chunk(run *r, chunk_kind kind, source *src, char *data, size_t len, const char *message)
{
	if (kind == CH_ERROR || kind == CH_NOTICE)
		r->errors_pushed++;
	chunk *c = calloc(1, sizeof *c);
	char *m = message ? strdup(message) : NULL;
	if (!c || (message && !m)) {
		free(c);
		free(m);
		free(data);
		return -1;
	}
	c->kind = kind;
	c->src = src ? source_ref(src) : NULL;
	c->data = data;
	c->len = len;
	c->message = m;
	if (cq_push(&r->chunks, c) < 0) {
		chunk_free(c);
		return -1;
	}
	return 0;
}

/* Reads a plain source (mail) into chunks: start, data, an error if
 * reading failed, end. With `handoff` (a file on disk, where reading is
 * one copy and needs no thread of its own), start and the stream itself:
 * the splitter reads it into its batches, without the copy through
 * chunks, and closes it; *taken is then set. Returns -1 when the run must
 * stop. */
static int read_plain(run *r, dx_stream *st, const char *name, const source *top, int64_t ref_time, char *err,
		      size_t errsz, int handoff, int *taken)
{
	*taken = 0;
	source *src = source_new(name);
	if (!src)
		return -1;
	src->ref_time = ref_time;
	if (top) {
		src->markable = top->markable;
		src->finished = top->finished;
		src->st = top->st;
		src->base = top->base;
		if (top->pre_len) {
			src->pre = malloc(top->pre_len);
			if (!src->pre) {
				source_unref(src);
				return -1;
			}
			memcpy(src->pre, top->pre, top->pre_len);
			src->pre_len = top->pre_len;
		}
		if (top->head_len) {
			src->head = malloc(top->head_len);
			if (!src->head) {
				source_unref(src);
				return -1;
			}
			memcpy(src->head, top->head, top->head_len);
			src->head_len = top->head_len;
		}
	}
	int ok = push_chunk(r, CH_START, src, NULL, 0, NULL);
	if (ok == 0 && handoff) {
		chunk *c = calloc(1, sizeof *c);
		if (!c) {
			source_unref(src);
			return -1;
		}
		c->kind = CH_STREAM;
		c->stream = st;
		*taken = 1;
		if (cq_push(&r->chunks, c) < 0) {
			chunk_free(c); /* closes the stream */
			ok = -1;
		}
		source_unref(src);
		return ok;
	}
	while (ok == 0) {
		char *data = chunk_buf_get(r);
		if (!data) {
			ok = -1;
			break;
		}
		ssize_t got = dx_stream_read(st, data, READ_CHUNK, err, errsz);
		if (got <= 0) {
			chunk_buf_put(r, data);
			if (got < 0)
				ok = push_chunk(r, dx_stream_limited(st) ? CH_STOPPED : CH_ERROR, NULL, NULL, 0, err);
			break;
		}
		ok = push_chunk(r, CH_DATA, NULL, data, (size_t)got, NULL);
	}
	if (ok == 0)
		ok = push_chunk(r, CH_END, NULL, NULL, 0, NULL);
	source_unref(src);
	return ok;
}

/* A problem with an input that is not one message's: reported with the
 * input's name, then what (a layer like "gzip", or NULL) and why; an error,
 * or with kind CH_LIMIT a warning counted as a limit hit. */
static int notice_as(run *r, chunk_kind kind, const char *name, const char *what, const char *why)
{
	size_t n = strlen(name) + (what ? strlen(what) : 0) + strlen(why) + 8;
	char *msg = malloc(n);
	if (!msg)
		return -1;
	snprintf(msg, n, "%s: %s%s%s", name, what ? what : "", what ? ": " : "", why);
	int ok = push_chunk(r, kind, NULL, NULL, 0, msg);
	free(msg);
	return ok;
}

static int notice(run *r, const char *name, const char *what, const char *why)
{
	return notice_as(r, CH_NOTICE, name, what, why);
}

/* Reads whatever the stream holds: mail, or a compressed stream or an
 * archive to open and read in turn. Takes the stream over (closes it).
 * `name` is the source's name: a path, then "archive:member" inside an
 * archive; decompression keeps the name. Returns -1 when the run must stop. */
static int read_tree(run *r, dx_stream *st, const char *name, unsigned depth, const source *top, int64_t ref_time,
		     char *err, size_t errsz)
{
	int kind = dx_stream_kind(st, err, errsz);
	if (kind < 0) {
		int ok = notice(r, name, NULL, err);
		dx_stream_close(st);
		return ok;
	}
	if (kind != DX_KIND_PLAIN && depth >= r->limits->max_nesting) {
		char why[128];
		snprintf(why, sizeof why, "compression and archives nested deeper than max_nesting (%u); not read",
			 r->limits->max_nesting);
		int ok = notice_as(r, CH_LIMIT, name, NULL, why);
		dx_stream_close(st);
		return ok;
	}
	if (kind == DX_KIND_PLAIN) {
		/* A file named by the walk is read by the splitter itself. */
		struct stat sb;
		int fd = dx_stream_fd(st);
		int handoff = depth == 0 && fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
		int taken;
		int ok = read_plain(r, st, name, depth == 0 ? top : NULL, ref_time, err, errsz, handoff, &taken);
		if (!taken)
			dx_stream_close(st);
		return ok;
	}
	if (kind == DX_KIND_ZSTD || kind == DX_KIND_COMPRESSED) {
		const char *what = dx_kind_name(st, (dx_kind)kind);
		dx_stream *inner = dx_decompress(st, (dx_kind)kind, &r->expand, err, errsz);
		if (!inner)
			return notice(r, name, what, err);
		return read_tree(r, inner, name, depth + 1, NULL, ref_time, err, errsz);
	}
	const char *what = dx_kind_name(st, (dx_kind)kind);
	char what_copy[16];
	snprintf(what_copy, sizeof what_copy, "%s", what);
	int too_big = 0;
	dx_archive *ar = dx_archive_open(st, (dx_kind)kind, r->limits->max_7z_memory, &r->expand, &too_big, err, errsz);
	if (!ar)
		return notice_as(r, too_big ? CH_LIMIT : CH_NOTICE, name, what_copy, err);
	int ok = 0;
	const char *mpath = NULL;
	char last[512] = "";
	for (;;) {
		dx_stream *member;
		int got = dx_archive_next(ar, &mpath, &member, err, errsz);
		if (got == 0)
			break;
		if (got < 0) {
			char why[1200];
			if (last[0])
				snprintf(why, sizeof why, "%s (after member %s)", err, last);
			else
				snprintf(why, sizeof why, "%s", err);
			ok = notice(r, name, what_copy, why);
			break;
		}
		snprintf(last, sizeof last, "%s", mpath);
		size_t nl = strlen(name) + 1 + strlen(mpath) + 1;
		char *mname = malloc(nl);
		if (!mname) {
			dx_stream_close(member);
			ok = -1;
			break;
		}
		snprintf(mname, nl, "%s:%s", name, mpath);
		int64_t mtime = dx_archive_mtime(ar);
		ok = read_tree(r, member, mname, depth + 1, NULL, mtime != INT64_MIN ? mtime : ref_time, err, errsz);
		free(mname);
		if (ok < 0)
			break;
	}
	dx_archive_close(ar);
	return ok;
}

/* A compressed file at the top (one stream: gzip, zstd...): read like a
 * plain file, its marks counting decompressed bytes, so that a run killed
 * half-way, or a compressed copy of a file already read (a rotated log),
 * is read from where the index stopped: dx_sink.resume names the point,
 * the bytes before it are decompressed and dropped, and the bytes just
 * before it must hash as they did (else the file is read whole). What
 * holds an archive or more layers is read as before, with one mark at its
 * end. */
static int read_compressed(run *r, dx_stream *st, const char *path, source *top, dx_kind kind, int64_t ref_time,
			   char *err, size_t errsz)
{
	char what[16];
	snprintf(what, sizeof what, "%s", dx_kind_name(st, kind));
	dx_stream *inner = dx_decompress(st, kind, &r->expand, err, errsz);
	if (!inner)
		return notice(r, path, what, err);
	const char *p = NULL;
	size_t n = 0;
	int ikind = dx_stream_peek(inner, DX_MARK_WINDOW, &p, &n, err, errsz) < 0 ? -1 : dx_stream_kind(inner, err, errsz);
	if (ikind != DX_KIND_PLAIN) {
		unsigned errors_before = r->errors_pushed;
		int ok = read_tree(r, inner, path, 1, NULL, ref_time, err, errsz);
		if (ok == 0) {
			top->st.done = top->st.size;
			top->st.complete = r->errors_pushed == errors_before;
			ok = push_chunk(r, CH_MARK, top, NULL, 0, NULL);
		}
		return ok;
	}
	top->finished = 1;
	dx_source_state want;
	memset(&want, 0, sizeof want);
	int have = 0;
	if (n && r->sink->resume) {
		dx_hash h = dx_hash128(p, n, 0);
		uint64_t hh[2] = {h.lo, h.hi};
		have = r->sink->resume(r->sink->arg, path, hh, n, &want) && want.done >= n && want.has_tail;
	}
	if (have) {
		unsigned char head[DX_MARK_WINDOW], last[DX_MARK_WINDOW];
		size_t head_len = n, last_len = 0;
		memcpy(head, p, n);
		enum { SKIP_BUF = 64 * 1024 };
		char *buf = malloc(SKIP_BUF);
		uint64_t left = want.done;
		while (buf && left) {
			ssize_t g = dx_stream_read(inner, buf, left < SKIP_BUF ? (size_t)left : SKIP_BUF, err, errsz);
			if (g <= 0)
				break;
			size_t k = (size_t)g;
			/* The last DX_MARK_WINDOW bytes skipped, for the check. */
			if (k >= DX_MARK_WINDOW) {
				memcpy(last, buf + k - DX_MARK_WINDOW, DX_MARK_WINDOW);
				last_len = DX_MARK_WINDOW;
			} else {
				size_t keep_n = last_len + k > DX_MARK_WINDOW ? DX_MARK_WINDOW - k : last_len;
				memmove(last, last + last_len - keep_n, keep_n);
				memcpy(last + keep_n, buf, k);
				last_len = keep_n + k;
			}
			left -= k;
		}
		free(buf);
		size_t win = want.done < DX_MARK_WINDOW ? (size_t)want.done : DX_MARK_WINDOW;
		int same = 0;
		if (left == 0 && last_len >= win) {
			dx_hash t = dx_hash128(last + last_len - win, win, 0);
			same = t.lo == want.tail[0] && t.hi == want.tail[1];
		}
		if (same) {
			top->base = want.done;
			top->pre = malloc(win);
			top->head = malloc(head_len);
			if (!top->pre || !top->head) {
				dx_stream_close(inner);
				return -1;
			}
			memcpy(top->pre, last + last_len - win, win);
			top->pre_len = win;
			memcpy(top->head, head, head_len);
			top->head_len = head_len;
			int taken;
			int ok = read_plain(r, inner, path, top, ref_time, err, errsz, 0, &taken);
			dx_stream_close(inner);
			return ok;
		}
		/* Not the bytes seen then: from the start, whole. */
		dx_stream_close(inner);
		st = dx_stream_open(path, err, errsz);
		if (!st)
			return push_chunk(r, CH_NOTICE, NULL, NULL, 0, err);
		int k2 = dx_stream_kind(st, err, errsz);
		if (k2 != (int)kind) {
			int ok = notice(r, path, NULL, k2 < 0 ? err : "changed while it was read");
			dx_stream_close(st);
			return ok;
		}
		inner = dx_decompress(st, kind, &r->expand, err, errsz);
		if (!inner)
			return notice(r, path, what, err);
	}
	int taken;
	int ok = read_plain(r, inner, path, top, ref_time, err, errsz, 0, &taken);
	dx_stream_close(inner);
	return ok;
}

/* Reads one path named by the walk. A regular file is first shown to
 * dx_sink.plan, which may skip it or have a plain one read from a resume
 * point; its progress goes to dx_sink.mark. */
static int read_source(run *r, const char *path, char *err, size_t errsz)
{
	dx_stream *st = dx_stream_open(path, err, errsz);
	if (!st)
		return push_chunk(r, CH_NOTICE, NULL, NULL, 0, err);
	int fd = dx_stream_fd(st);
	struct stat sb;
	int stated = fd >= 0 && fstat(fd, &sb) == 0;
	int64_t ref_time = stated ? (int64_t)sb.st_mtim.tv_sec : r->started;
	if (!stated || (!r->sink->plan && !r->sink->mark))
		return read_tree(r, st, path, 0, NULL, ref_time, err, errsz);
	source *top = source_new(path);
	if (!top) {
		dx_stream_close(st);
		return -1;
	}
	top->markable = r->sink->mark != NULL;
	top->st.dev = (uint64_t)sb.st_dev;
	top->st.ino = (uint64_t)sb.st_ino;
	top->st.size = (uint64_t)sb.st_size;
	top->st.mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	int kind = dx_stream_kind(st, err, errsz);
	uint64_t start = 0;
	if (r->sink->plan && kind >= 0) {
		dx_source_info si = {path, top->st.dev, top->st.ino, top->st.size, top->st.mtime_ns,
				     kind == DX_KIND_PLAIN, fd};
		if (r->sink->plan(r->sink->arg, &si, &start) == DX_PLAN_SKIP) {
			dx_stream_close(st);
			int ok = push_chunk(r, CH_SKIPPED, top, NULL, 0, NULL);
			source_unref(top);
			return ok;
		}
		if (kind != DX_KIND_PLAIN || start > top->st.size)
			start = 0;
	}
	if (start > 0) {
		/* The bytes before the resume point, for the marks' hashes. */
		size_t want = start < DX_MARK_WINDOW ? (size_t)start : DX_MARK_WINDOW;
		size_t hwant = top->st.size < DX_MARK_WINDOW ? (size_t)top->st.size : DX_MARK_WINDOW;
		top->pre = malloc(want);
		top->head = malloc(hwant);
		ssize_t got = top->pre ? pread(fd, top->pre, want, (off_t)(start - want)) : -1;
		ssize_t hgot = top->head ? pread(fd, top->head, hwant, 0) : -1;
		if (got == (ssize_t)want && hgot == (ssize_t)hwant && dx_stream_seek(st, start, err, errsz) == 0) {
			top->base = start;
			top->pre_len = want;
			top->head_len = hwant;
		} else if (dx_stream_seek(st, 0, err, errsz) < 0) {
			int ok = notice(r, path, NULL, err);
			dx_stream_close(st);
			source_unref(top);
			return ok;
		}
	}
	if ((kind == DX_KIND_ZSTD || kind == DX_KIND_COMPRESSED) && top->markable && r->limits->max_nesting > 0) {
		int ok = read_compressed(r, st, path, top, (dx_kind)kind, ref_time, err, errsz);
		source_unref(top);
		return ok;
	}
	unsigned errors_before = r->errors_pushed;
	int ok = read_tree(r, st, path, 0, top, ref_time, err, errsz);
	if (ok == 0 && kind != DX_KIND_PLAIN && top->markable) {
		/* A compressed file or an archive: one mark, at its end. */
		top->st.done = top->st.size;
		top->st.complete = r->errors_pushed == errors_before;
		ok = push_chunk(r, CH_MARK, top, NULL, 0, NULL);
	}
	source_unref(top);
	return ok;
}

static void *reader_main(void *arg)
{
	run *r = arg;
	char err[600];
	dx_walk *w = dx_walk_new(r->paths, r->npaths);
	int ok = w ? 0 : -1;
	while (ok == 0 && !atomic_load(&r->aborted)) {
		const char *path;
		int got = dx_walk_next(w, &path, err, sizeof err);
		if (got == 0)
			break;
		if (got < 0)
			ok = push_chunk(r, CH_NOTICE, NULL, NULL, 0, err);
		else
			ok = read_source(r, path, err, sizeof err);
	}
	dx_walk_free(w);
	if (ok < 0 && !atomic_load(&r->aborted)) {
		atomic_store(&r->nomem, 1);
		abort_run(r);
	}
	/* No more chunks: the splitter ends when it has taken the last. */
	cq_close(&r->chunks);
	return NULL;
}

/* ---- splitter: chunks to batches of whole messages ---------------------------- */

/* What the splitter keeps of a markable source to hash around its marks:
 * its first bytes, and the bytes just before the current segment. */
typedef struct markctx {
	int on;
	unsigned char head[DX_MARK_WINDOW];
	size_t head_len;
	unsigned char ctx[DX_MARK_WINDOW];
	size_t ctx_len;
} markctx;

typedef struct splitter {
	run *r;
	markctx mark;              /* of the source being cut */
	batch *cur;
	chunk *ch;                 /* the chunk being taken, or NULL */
	size_t pos;                /* how much of it is taken */
	int at_end;                /* the current source's CH_END was taken */
	int err_limit;             /* the -1 was a limit stopping the source */
	char err[600];
} splitter;

/* Reads up to n bytes of the current source from the reader's chunks, like
 * read(2): the count, 0 at the source's end, -1 when reading it failed
 * (the message in sp->err). */
static ssize_t chunk_read(splitter *sp, char *buf, size_t n)
{
	size_t got = 0;
	while (got < n && !sp->at_end) {
		if (!sp->ch) {
			sp->ch = cq_pop(&sp->r->chunks);
			sp->pos = 0;
			if (!sp->ch) {
				sp->at_end = 1; /* closed early (an abort): an end */
				break;
			}
		}
		chunk *c = sp->ch;
		if (c->kind == CH_STREAM) {
			ssize_t k = dx_stream_read(c->stream, buf + got, n - got, sp->err, sizeof sp->err);
			if (k > 0) {
				got += (size_t)k;
				continue;
			}
			if (k < 0 && got)
				break; /* the stream repeats its error on the next call */
			/* The stream's end (or failure) is the source's end. */
			sp->err_limit = k < 0 && dx_stream_limited(c->stream);
			sp->ch = NULL;
			chunk_release(sp->r, c); /* closes the stream */
			sp->at_end = 1;
			if (k < 0)
				return -1;
			break;
		}
		if (c->kind == CH_DATA) {
			size_t k = c->len - sp->pos < n - got ? c->len - sp->pos : n - got;
			memcpy(buf + got, c->data + sp->pos, k);
			got += k;
			sp->pos += k;
			if (sp->pos == c->len) {
				chunk_release(sp->r, c);
				sp->ch = NULL;
			}
			continue;
		}
		if (got)
			break; /* report the end or the error on the next call */
		sp->ch = NULL;
		if (c->kind == CH_ERROR || c->kind == CH_STOPPED) {
			snprintf(sp->err, sizeof sp->err, "%s", c->message ? c->message : "read error");
			sp->err_limit = c->kind == CH_STOPPED;
			chunk_release(sp->r, c);
			return -1;
		}
		/* CH_END (or a stray kind: end the source all the same). */
		chunk_release(sp->r, c);
		sp->at_end = 1;
	}
	return (ssize_t)got;
}

/* Records why chunk_read returned -1 at file_pos: an input error, or a
 * warning counted as a limit hit when a limit stopped the source. */
static int read_failed(splitter *sp, const char *path, uint64_t file_pos)
{
	if (sp->err_limit) {
		sp->cur->delta.limits_hit++;
		return batch_diag(sp->cur, DX_DIAG_WARNING, path, (int64_t)file_pos, sp->err);
	}
	sp->cur->delta.input_errors++;
	return batch_diag(sp->cur, DX_DIAG_ERROR, path, (int64_t)file_pos, sp->err);
}

/* Takes the rest of the current source, unread. */
static void drain_source(splitter *sp)
{
	char sink[16384];
	while (!sp->at_end) {
		ssize_t n = chunk_read(sp, sink, sizeof sink);
		if (n > 0 && sp->cur)
			sp->cur->delta.bytes += (uint64_t)n;
	}
}

static batch *fresh_batch(run *r)
{
	if (!acquire_slot(r))
		return NULL;
	batch *b = spare_batch(r);
	if (!b)
		b = batch_new();
	if (!b) {
		atomic_store(&r->nomem, 1);
		release_slot(r);
		abort_run(r);
	}
	return b;
}

/* Hands the current batch to the workers and starts another. */
static int ship(splitter *sp)
{
	batch *b = sp->cur;
	sp->cur = NULL;
	b->seq = sp->r->next_seq++;
	bq_push_work(&sp->r->batches, b);
	sp->cur = fresh_batch(sp->r);
	return sp->cur ? 0 : -1;
}

static void nomem(splitter *sp)
{
	atomic_store(&sp->r->nomem, 1);
	abort_run(sp->r);
}

/* Reads and discards until a From_ line, then appends the bytes from it on
 * to the current batch. `tail` is the end of what was already discarded (a
 * From_ line may straddle the cut); only line starts after its first byte
 * are considered. Returns 1 when found (*found_len bytes appended), 0 at the
 * end of the stream, -1 on a read error (reported) or memory exhaustion. */
static int skip_to_boundary(splitter *sp, const char *path, const char *tail, size_t tail_len, int lines,
			    uint64_t *file_pos, size_t *found_len)
{
	enum { KEEP = DX_MBOX_MAX_FROM_LINE + 1 };
	size_t cap = READ_CHUNK + KEEP;
	char *buf = malloc(cap);
	if (!buf) {
		nomem(sp);
		return -1;
	}
	size_t have = tail_len < KEEP ? tail_len : KEEP;
	memcpy(buf, tail + tail_len - have, have);
	int eof = 0;
	for (;;) {
		size_t at = 0;
		int undecided = 0;
		for (size_t i = 1; i < have; i++) {
			if (lines) {
				/* A log: the next line begins after any '\n'. */
				if (buf[i - 1] == '\n') {
					at = i;
					break;
				}
				continue;
			}
			if ((buf[i - 1] != '\n' && buf[i - 1] != '\r') || buf[i] != 'F')
				continue;
			int v = dx_mbox_from_line(buf + i, have - i);
			if (v == 1 || (v == -1 && !eof)) {
				at = i;
				undecided = v == -1;
				break;
			}
		}
		if (at && !undecided) {
			if (batch_reserve(sp->cur, have - at) < 0) {
				free(buf);
				nomem(sp);
				return -1;
			}
			memcpy(sp->cur->data + sp->cur->len, buf + at, have - at);
			sp->cur->len += have - at;
			*found_len = have - at;
			free(buf);
			return 1;
		}
		if (eof) {
			free(buf);
			return 0;
		}
		/* Keep what may begin a From_ line, with the byte before it. */
		size_t keep_from = undecided ? at - 1 : (have > KEEP ? have - KEEP : 0);
		memmove(buf, buf + keep_from, have - keep_from);
		have -= keep_from;
		ssize_t got = chunk_read(sp, buf + have, cap - have);
		if (got < 0) {
			if (read_failed(sp, path, *file_pos) < 0)
				nomem(sp);
			free(buf);
			return -1;
		}
		if (got == 0)
			eof = 1;
		have += (size_t)got;
		*file_pos += (uint64_t)got;
		sp->cur->delta.bytes += (uint64_t)got;
	}
}

static void mark_begin(markctx *mc, const source *src)
{
	mc->on = src->markable;
	mc->head_len = 0;
	mc->ctx_len = 0;
	if (!mc->on)
		return;
	if (src->head_len)
		memcpy(mc->head, src->head, src->head_len);
	mc->head_len = src->head_len;
	if (src->pre_len)
		memcpy(mc->ctx, src->pre, src->pre_len);
	mc->ctx_len = src->pre_len;
}

/* Bytes p[0..n) just read, which begin at source offset `at`. */
static void mark_feed(markctx *mc, const char *p, size_t n, uint64_t at)
{
	if (!mc->on || at >= DX_MARK_WINDOW || at != mc->head_len)
		return;
	size_t k = DX_MARK_WINDOW - (size_t)at < n ? DX_MARK_WINDOW - (size_t)at : n;
	memcpy(mc->head + at, p, k);
	mc->head_len += k;
}

/* The state at a boundary `done` (a source offset), where seg[0..cut) are
 * the bytes before it since the current segment began. */
static void mark_at(const markctx *mc, const source *src, const char *seg, size_t cut, uint64_t done,
		    int complete, dx_source_state *m)
{
	*m = src->st;
	m->done = done;
	m->complete = complete;
	size_t win = done < DX_MARK_WINDOW ? (size_t)done : DX_MARK_WINDOW;
	if (mc->head_len >= win) {
		dx_hash h = dx_hash128(mc->head, win, 0);
		m->head[0] = h.lo;
		m->head[1] = h.hi;
		m->has_head = 1;
	}
	if (cut >= win) {
		dx_hash h = dx_hash128(seg + cut - win, win, 0);
		m->tail[0] = h.lo;
		m->tail[1] = h.hi;
		m->has_tail = 1;
	} else if (mc->ctx_len >= win - cut) {
		dx_hasher hs;
		dx_hasher_init(&hs, 0);
		dx_hasher_add(&hs, mc->ctx + mc->ctx_len - (win - cut), win - cut);
		dx_hasher_add(&hs, seg, cut);
		dx_hash h = dx_hasher_end(&hs);
		m->tail[0] = h.lo;
		m->tail[1] = h.hi;
		m->has_tail = 1;
	}
}

/* The segment seg[0..cut) is behind us: keep its last bytes as context. */
static void mark_advance(markctx *mc, const char *seg, size_t cut)
{
	if (!mc->on)
		return;
	if (cut >= DX_MARK_WINDOW) {
		memcpy(mc->ctx, seg + cut - DX_MARK_WINDOW, DX_MARK_WINDOW);
		mc->ctx_len = DX_MARK_WINDOW;
		return;
	}
	size_t keep = DX_MARK_WINDOW - cut < mc->ctx_len ? DX_MARK_WINDOW - cut : mc->ctx_len;
	memmove(mc->ctx, mc->ctx + mc->ctx_len - keep, keep);
	memcpy(mc->ctx + keep, seg, cut);
	mc->ctx_len = keep + cut;
}

/* Cuts one source, from its CH_START to its CH_END, into batches. */
/* Just past the last '\n' in p[from..n), or 0 when there is none. */
static size_t last_line_end(const char *p, size_t n, size_t from)
{
	for (size_t i = n; i > from; i--)
		if (p[i - 1] == '\n')
			return i;
	return 0;
}

static void split_source(splitter *sp, source *src)
{
	run *r = sp->r;
	size_t max_msg = r->limits->max_message_size;
	const char *path = src->name;
	sp->cur->delta.sources++;
	sp->at_end = 0;

	enum { UNKNOWN, MBOX, SINGLE, LOG } kind = UNKNOWN;
	size_t seg_start = sp->cur->len;   /* where this source's pending data begins */
	/* Bytes of the pending data searched for a message start in vain:
	 * the next search covers only what came after, so one huge message
	 * costs one pass, not one per read. */
	size_t searched = 0;
	uint64_t file_pos = src->base;     /* source offset reached */
	int eof = 0, truncated = 0, failed = 0;
	if (src->base) {
		sp->cur->delta.sources_resumed++;
		sp->cur->delta.bytes_skipped += src->base;
	}
	markctx *mc = &sp->mark;
	mark_begin(mc, src);

/* The source offset of batch position x (a byte of this source). */
#define OFFSET_OF(x) (file_pos - (uint64_t)(sp->cur->len - (x)))

	while (!eof && !atomic_load(&r->aborted)) {
		if (batch_reserve(sp->cur, READ_CHUNK) < 0) {
			nomem(sp);
			break;
		}
		ssize_t got = chunk_read(sp, sp->cur->data + sp->cur->len, READ_CHUNK);
		if (got < 0) {
			/* Keep what was read; the message cut short is decoded as
			 * far as it goes. A limit is a decision, not damage: the
			 * source counts as read, so a later run does not retry it. */
			if (read_failed(sp, path, file_pos) < 0)
				nomem(sp);
			eof = 1;
			failed = !sp->err_limit;
			got = 0;
		}
		if (got == 0)
			eof = 1;
		mark_feed(mc, sp->cur->data + sp->cur->len, (size_t)got, file_pos);
		sp->cur->len += (size_t)got;
		file_pos += (uint64_t)got;
		sp->cur->delta.bytes += (uint64_t)got;

		size_t pending = sp->cur->len - seg_start;
		if (kind == UNKNOWN) {
			if (!eof && pending < DETECT_BYTES)
				continue;
			size_t skip;
			if (dx_mbox_detect(sp->cur->data + seg_start, pending, &skip))
				kind = MBOX;
			else if (dx_log_detect(sp->cur->data + seg_start, pending))
				kind = LOG;
			/* A log read from where the last run stopped may show only
			 * a line being written: its first bytes tell. */
			else if (src->base && src->head_len && dx_log_detect((const char *)src->head, src->head_len))
				kind = LOG;
			else
				kind = SINGLE;
			if (kind == MBOX) {
				mark_advance(mc, sp->cur->data + seg_start, skip);
				seg_start += skip;
			}
			pending = sp->cur->len - seg_start;
		}
		if (kind == SINGLE) {
			if (pending > max_msg) {
				/* Keep the head, where the report parts are; drain the rest. */
				sp->cur->len = seg_start + max_msg;
				truncated = 1;
				drain_source(sp);
				eof = 1;
			}
			continue;
		}
		/* mbox or log: cut when the batch is full, at the last complete
		 * message or line. */
		if (eof || sp->cur->len < BATCH_TARGET)
			continue;
		size_t cut = kind == MBOX ? dx_mbox_last(sp->cur->data + seg_start, pending, searched)
					  : last_line_end(sp->cur->data + seg_start, pending, searched);
		if (cut == 0) {
			/* A From_ line cut short at the end is looked at again. */
			if (kind == LOG)
				searched = pending;
			else
				searched = pending > DX_MBOX_MAX_FROM_LINE + 2 ? pending - DX_MBOX_MAX_FROM_LINE - 2 : 0;
		} else {
			searched = 0;
			batch *b = sp->cur;
			uint64_t base = OFFSET_OF(seg_start);
			size_t tail = pending - cut;
			if (batch_add_segment(b, src, base, seg_start, cut, kind == MBOX ? SEG_MBOX : SEG_LOG, 0) < 0) {
				nomem(sp);
				break;
			}
			if (mc->on) {
				dx_source_state m;
				mark_at(mc, src, b->data + seg_start, cut, base + cut, 0, &m);
				segment_mark(b, &m);
				mark_advance(mc, b->data + seg_start, cut);
			}
			b->len = seg_start + cut;
			/* The next batch begins with the unfinished message. */
			char *carry = malloc(tail ? tail : 1);
			if (!carry) {
				nomem(sp);
				break;
			}
			memcpy(carry, b->data + seg_start + cut, tail);
			if (ship(sp) < 0) {
				free(carry);
				break;
			}
			if (batch_place(sp->cur, tail) < 0 || batch_reserve(sp->cur, tail + READ_CHUNK) < 0) {
				free(carry);
				nomem(sp);
				break;
			}
			memcpy(sp->cur->data, carry, tail);
			free(carry);
			sp->cur->len = tail;
			seg_start = 0;
			continue;
		}
		if (pending >= max_msg && kind == LOG) {
			/* A log line longer than any real one: skipped whole. */
			mc->ctx_len = 0;
			uint64_t base = OFFSET_OF(seg_start);
			char w[200];
			snprintf(w, sizeof w, "log line longer than max_message_size (%zu bytes); skipped", max_msg);
			if (batch_diag(sp->cur, DX_DIAG_WARNING, path, (int64_t)base, w) < 0)
				nomem(sp);
			sp->cur->delta.limits_hit++;
			sp->cur->len = seg_start;
			size_t found;
			int got2 = skip_to_boundary(sp, path, NULL, 0, 1, &file_pos, &found);
			searched = 0;
			if (got2 <= 0) {
				eof = 1;
				continue;
			}
			seg_start = sp->cur->len - found;
			continue;
		}
		if (pending >= max_msg) {
			/* One message bigger than the limit: keep its head as a
			 * truncated message of its own and skip to the next one.
			 * The bytes dropped break the context marks hash. */
			mc->ctx_len = 0;
			uint64_t base = OFFSET_OF(seg_start);
			if (batch_add_segment(sp->cur, src, base, seg_start, max_msg, 0, 1) < 0) {
				nomem(sp);
				break;
			}
			char w[200];
			snprintf(w, sizeof w, "message larger than max_message_size (%zu bytes); only its start is read",
				 max_msg);
			if (batch_diag(sp->cur, DX_DIAG_WARNING, path, (int64_t)base, w) < 0)
				nomem(sp);
			sp->cur->delta.limits_hit++;
			/* The bytes past the cut are dropped, but the search for the
			 * next message starts among them. */
			size_t old_len = sp->cur->len;
			size_t cut_at = seg_start + max_msg;
			size_t tail_len = old_len - seg_start;
			char *tail = malloc(tail_len > DX_MBOX_MAX_FROM_LINE + 1 ? DX_MBOX_MAX_FROM_LINE + 1 : tail_len);
			if (!tail) {
				nomem(sp);
				break;
			}
			size_t tl = tail_len > DX_MBOX_MAX_FROM_LINE + 1 ? DX_MBOX_MAX_FROM_LINE + 1 : tail_len;
			memcpy(tail, sp->cur->data + old_len - tl, tl);
			sp->cur->len = cut_at;
			size_t found;
			int got2 = skip_to_boundary(sp, path, tail, tl, 0, &file_pos, &found);
			free(tail);
			searched = 0;
			seg_start = sp->cur->len;
			if (got2 <= 0) {
				eof = 1;
				continue;
			}
			seg_start = sp->cur->len - found;
		}
	}
	/* What remains of the source is its last segment. */
	if (!atomic_load(&r->aborted) && sp->cur && sp->cur->len > seg_start) {
		size_t pending = sp->cur->len - seg_start;
		/* A single message always starts at 0; an mbox run where the
		 * bytes after it end, since nothing after seg_start was dropped. */
		uint64_t base = kind == MBOX || kind == LOG ? OFFSET_OF(seg_start) : 0;
		/* A log line without its line end may be half written: in a file
		 * whose progress is kept, it waits for the next run. */
		size_t lines_end = kind == LOG && mc->on && !src->finished
					   ? last_line_end(sp->cur->data + seg_start, pending, 0)
					   : pending;
		int seg_kind = kind == MBOX ? SEG_MBOX : kind == LOG ? SEG_LOG : SEG_SINGLE;
		if (batch_add_segment(sp->cur, src, base, seg_start, lines_end, seg_kind, truncated) < 0) {
			nomem(sp);
			truncated = 0;
		} else if (mc->on) {
			/* An mbox is done up to its last message, which is read again
			 * next time: it may have been half written when read. A single
			 * message is done whole; a log up to its last line end. */
			dx_source_state m;
			const char *seg = sp->cur->data + seg_start;
			if (kind == MBOX) {
				size_t last = dx_mbox_last(seg, pending, 0);
				mark_at(mc, src, seg, last, base + last, !failed, &m);
			} else if (kind == LOG) {
				mark_at(mc, src, seg, lines_end, base + lines_end, !failed && lines_end == pending, &m);
			} else {
				mark_at(mc, src, seg, pending, file_pos, !failed, &m);
			}
			segment_mark(sp->cur, &m);
		}
		if (truncated) {
			char w[200];
			snprintf(w, sizeof w, "message larger than max_message_size (%zu bytes); only its start is read",
				 max_msg);
			if (batch_diag(sp->cur, DX_DIAG_WARNING, path, 0, w) < 0)
				nomem(sp);
			sp->cur->delta.limits_hit++;
		}
	} else if (!atomic_load(&r->aborted) && sp->cur && mc->on) {
		/* Nothing left to decode (what remained was skipped to a limit):
		 * the source is done where reading stopped. */
		dx_source_state m;
		mark_at(mc, src, sp->cur->data + seg_start, 0, file_pos, !failed, &m);
		if (batch_add_segment(sp->cur, src, file_pos, sp->cur->len, 0, SEG_SINGLE, 0) < 0)
			nomem(sp);
		else
			segment_mark(sp->cur, &m);
	}
#undef OFFSET_OF
	drain_source(sp);
	if (sp->cur && !atomic_load(&r->aborted) && (sp->cur->len >= BATCH_TARGET || sp->cur->nsegs >= MAX_SEGMENTS))
		ship(sp);
}

static void *splitter_main(void *arg)
{
	run *r = arg;
	splitter sp = {.r = r};
	sp.cur = fresh_batch(r);
	chunk *c;
	while (sp.cur && !atomic_load(&r->aborted) && (c = cq_pop(&r->chunks)) != NULL) {
		if (c->kind == CH_START) {
			split_source(&sp, c->src);
		} else if (c->kind == CH_NOTICE) {
			/* A path that could not be walked, or a source not opened. */
			if (c->src)
				sp.cur->delta.sources++;
			sp.cur->delta.input_errors++;
			if (batch_diag(sp.cur, DX_DIAG_ERROR, NULL, -1, c->message) < 0)
				nomem(&sp);
		} else if (c->kind == CH_LIMIT) {
			/* Skipped on purpose: a warning, like the other limits. */
			sp.cur->delta.limits_hit++;
			if (batch_diag(sp.cur, DX_DIAG_WARNING, NULL, -1, c->message) < 0)
				nomem(&sp);
		} else if (c->kind == CH_SKIPPED) {
			sp.cur->delta.sources_skipped++;
			sp.cur->delta.bytes_skipped += c->src->st.size;
		} else if (c->kind == CH_MARK) {
			/* A container read to its end: a segment of no bytes that
			 * carries its mark, in order after its members' records. */
			if (batch_add_segment(sp.cur, c->src, 0, sp.cur->len, 0, 0, 0) < 0)
				nomem(&sp);
			else
				segment_mark(sp.cur, &c->src->st);
		}
		chunk_free(c);
	}
	if (sp.ch) {
		chunk_free(sp.ch);
		sp.ch = NULL;
	}
	if (sp.cur) {
		if (atomic_load(&r->aborted)) {
			batch_free(sp.cur);
			release_slot(r);
		} else {
			sp.cur->seq = r->next_seq++;
			bq_push_work(&r->batches, sp.cur);
		}
	}
	bq_close_work(&r->batches);
	return NULL;
}

/* ---- workers -------------------------------------------------------------- */

/* The senders and Message-IDs a batch's log lines name, by queue key:
 * most deliveries follow their queue id's first lines within the same
 * batch, so they are joined here, on the worker; the queue ids the batch
 * leaves open (not "removed") go on to the writer, and so does the removal
 * of one named before the batch, so that the writer remembers only
 * messages still in the queue. Strings are in the batch's arena. */
typedef struct env_slot {
	uint64_t key;              /* 0: empty */
	/* As the line has them (in the batch's data), made text only when a
	 * record or the writer needs them: most are never needed. */
	const char *sender, *message_id;
	size_t sender_len, message_id_len;
	int has_sender;
	int removed;               /* a line said the queue id is done with... */
	size_t removed_at;         /* ...before the batch's event of this index */
	const char *sender_text, *message_id_text; /* once made */
} env_slot;

typedef struct env_table {
	env_slot *slots;
	size_t cap, n;
	uint64_t *order;           /* keys in the order first named */
	size_t norder, ordcap;
} env_table;

static env_slot *env_find(env_table *t, uint64_t k, int add)
{
	if (add && (t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		env_slot *s = dx_table_alloc(cap, sizeof *s);
		if (!s)
			return NULL;
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slots[i].key)
				continue;
			size_t j = (size_t)(t->slots[i].key >> 7) & (cap - 1);
			while (s[j].key)
				j = (j + 1) & (cap - 1);
			s[j] = t->slots[i];
		}
		free(t->slots);
		t->slots = s;
		t->cap = cap;
	}
	if (!t->cap)
		return NULL;
	size_t j = (size_t)(k >> 7) & (t->cap - 1);
	while (t->slots[j].key) {
		if (t->slots[j].key == k)
			return &t->slots[j];
		j = (j + 1) & (t->cap - 1);
	}
	if (!add)
		return NULL;
	if (t->norder == t->ordcap) {
		size_t cap = t->ordcap ? t->ordcap * 2 : 256;
		uint64_t *o = realloc(t->order, cap * sizeof *o);
		if (!o)
			return NULL;
		t->order = o;
		t->ordcap = cap;
	}
	t->order[t->norder++] = k;
	t->slots[j].key = k;
	t->n++;
	return &t->slots[j];
}

/* Empties the table for the next batch, keeping its memory: only the
 * slots in use are cleared (the order list names them), so a table sized
 * by a large batch costs nothing to clear after a small one, and a batch
 * like the last needs no growth. */
static void env_reset(env_table *t)
{
	for (size_t i = 0; i < t->norder; i++) {
		size_t j = (size_t)(t->order[i] >> 7) & (t->cap - 1);
		while (t->slots[j].key != t->order[i])
			j = (j + 1) & (t->cap - 1);
		t->slots[j] = (env_slot){0};
	}
	/* Open addressing: a cleared slot may have broken a probe run of a
	 * key cleared later, but every key is cleared, so none is left. */
	t->n = 0;
	t->norder = 0;
}

static void env_free(env_table *t)
{
	free(t->slots);
	free(t->order);
	memset(t, 0, sizeof *t);
}


typedef struct worker_ctx {
	batch *b;
	int failed;
	env_table envs;
	dx_dctx *d;
} worker_ctx;
/* The slot's sender and Message-ID as text in the batch (cleaned, the
 * Message-ID without angle brackets); -1 when memory runs out. */
static int env_texts(worker_ctx *w, dx_dctx *d, env_slot *e);

static int keep_record(void *arg, const dx_record *rec)
{
	worker_ctx *w = arg;
	batch *b = w->b;
	event *e = batch_event(b);
	if (!e) {
		w->failed = 1;
		return -1;
	}
	e->is_record = 1;
	dx_record *k = &e->rec;
	*k = *rec;
	if (k->queue_key && !*k->sender) {
		/* (A queue id said to be done with names no message until it is
		 * named again.) */
		env_slot *en = env_find(&w->envs, k->queue_key, 0);
		if (en && !en->removed) {
			if (env_texts(w, w->d, en) < 0) {
				w->failed = 1;
				return -1;
			}
			k->sender = en->sender_text ? en->sender_text : "";
			if (!*k->message_id && en->message_id_text)
				k->message_id = en->message_id_text;
		}
	}
	/* rec.source points at the segment's source, alive as long as the batch. */
	const char **texts[] = {&k->recipient, &k->domain, &k->status, &k->reporting_mta,
				&k->remote_mta, &k->diagnostic, &k->sender, &k->subject, &k->message_id,
				&k->queue_id};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		*texts[i] = keep(b, *texts[i]);
		if (!*texts[i]) {
			w->failed = 1;
			return -1;
		}
	}
	/* action, reason and decoder are static strings of the library. */
	return 0;
}

static void keep_fact(void *arg, const dx_logfact *f)
{
	worker_ctx *w = arg;
	batch *b = w->b;
	if (w->failed)
		return;
	if (b->nfacts == b->factcap) {
		size_t cap = b->factcap ? b->factcap * 2 : 256;
		fact_event *e = realloc(b->facts, cap * sizeof *e);
		if (!e) {
			w->failed = 1;
			return;
		}
		b->facts = e;
		b->factcap = cap;
	}
	fact_event *e = &b->facts[b->nfacts];
	e->f = *f;
	e->after = b->nev;
	/* source is the segment's, decoder a static string. */
	if (f->kind == DX_LOGFACT_SENT) {
		e->f.domain = keep(b, f->domain);
		e->f.reporting_mta = keep(b, f->reporting_mta);
		e->f.remote_mta = keep(b, f->remote_mta);
		if (!e->f.domain || !e->f.reporting_mta || !e->f.remote_mta) {
			w->failed = 1;
			return;
		}
	}
	b->nfacts++;
}

static int keep_explanation(void *arg, const dx_explanation *x)
{
	worker_ctx *w = arg;
	if (keep_record(arg, x->record) != 0)
		return -1;
	event *e = &w->b->ev[w->b->nev - 1];
	e->x = *x;
	const char **texts[] = {&e->x.command, &e->x.summary, &e->x.reason_by, &e->x.rule_file, &e->x.rule_text,
				&e->x.evidence};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		*texts[i] = keep(w->b, *texts[i]);
		if (!*texts[i]) {
			w->failed = 1;
			return -1;
		}
	}
	return 0;
}

static void keep_diag(void *arg, const dx_diag *dg)
{
	worker_ctx *w = arg;
	if (dg->severity == DX_DIAG_WARNING)
		w->b->delta.limits_hit++;
	if (batch_diag(w->b, dg->severity, dg->source, dg->offset, dg->message) < 0)
		w->failed = 1;
}

static void decode_one(run *r, dx_dctx *d, worker_ctx *w, const segment *s, size_t off, size_t len,
		       int from_mbox, int truncated)
{
	batch *b = w->b;
	if (len > r->limits->max_message_size) {
		len = r->limits->max_message_size;
		truncated = 1;
		char msg[200];
		snprintf(msg, sizeof msg, "message larger than max_message_size (%zu bytes); only its start is read",
			 r->limits->max_message_size);
		keep_diag(w, &(dx_diag){DX_DIAG_WARNING, s->src->name, (int64_t)(s->base + off), msg});
	}
	dx_message m = {
		.source = s->src->name,
		.offset = s->base + off,
		.data = b->data + s->start + off,
		.len = len,
		.from_mbox = from_mbox,
		.truncated = truncated,
	};
	unsigned n = 0;
	b->delta.messages++;
	dx_outcome o = r->explain ? dx_decode_explain(d, &m, keep_explanation, w, keep_diag, &n)
				  : dx_decode(d, &m, keep_record, w, keep_diag, &n);
	if (o == DX_DECODED) {
		b->delta.bounces++;
		b->delta.records += n;
	} else if (o == DX_UNDECODED) {
		b->delta.undecoded++;
		if (batch_diag(b, DX_DIAG_ERROR, m.source, (int64_t)m.offset,
			       "looks like a bounce but no decoder could read it (undecoded)") < 0)
			w->failed = 1;
	}
}

/* A log line that names a queue id's sender or Message-ID, or ends it:
 * into the worker's table (see env_table). A Message-ID loses its angle
 * brackets, as in bounces. */
static int keep_envelope(worker_ctx *w, const dx_logline *l)
{
	uint64_t qkey = dx_logline_queue_key(l);
	if (!qkey)
		return 0;
	env_slot *e = env_find(&w->envs, qkey, 1);
	if (!e)
		return -1;
	if (l->kind == DX_LOGL_REMOVED) {
		e->removed = 1;
		e->removed_at = w->b->nev;
		return 0;
	}
	e->removed = 0;
	if (l->kind == DX_LOGL_SENDER) {
		/* "<>" (a bounce's own null sender) is said, and empty. */
		e->has_sender = 1;
		e->sender = l->sender.p;
		e->sender_len = l->sender.n;
		e->sender_text = NULL;
	}
	if (l->message_id.n) {
		const char *p = l->message_id.p;
		size_t n = l->message_id.n;
		if (n >= 2 && p[0] == '<' && p[n - 1] == '>') {
			p++;
			n -= 2;
		}
		e->message_id = p;
		e->message_id_len = n;
		e->message_id_text = NULL;
	}
	return 0;
}

static int env_texts(worker_ctx *w, dx_dctx *d, env_slot *e)
{
	batch *b = w->b;
	dx_arena *a = &d->arena;
	if (e->has_sender && !e->sender_text) {
		char *t = dx_arena_strndup(a, e->sender ? e->sender : "", e->sender_len);
		e->sender_text = t ? keep(b, dx_clean_text(a, t, 320)) : NULL;
		if (!e->sender_text)
			return -1;
	}
	if (e->message_id && !e->message_id_text) {
		char *t = dx_arena_strndup(a, e->message_id, e->message_id_len);
		e->message_id_text = t ? keep(b, dx_clean_text(a, t, 998)) : NULL;
		if (!e->message_id_text)
			return -1;
	}
	return 0;
}

static int by_place(const void *x, const void *y)
{
	size_t a = ((const envelope_event *)x)->after, b = ((const envelope_event *)y)->after;
	return (a > b) - (a < b);
}

/* For the writer: the queue ids the batch says are done with, each at its
 * line's place (it counts from there on, for the writer's remembered
 * messages too), then those it leaves open, in the order they were named,
 * after the batch's records (they are for later batches). */
static int pass_envelopes(worker_ctx *w)
{
	batch *b = w->b;
	env_table *t = &w->envs;
	size_t nremoved = 0;
	for (int open = 0; open < 2; open++) {
		for (size_t i = 0; i < t->norder; i++) {
			env_slot *s = env_find(t, t->order[i], 0);
			if (!s || s->removed == open)
				continue;
			if (open && env_texts(w, w->d, s) < 0)
				return -1;
			if (b->nenvs == b->envcap) {
				size_t cap = b->envcap ? b->envcap * 2 : 64;
				envelope_event *e = realloc(b->envs, cap * sizeof *e);
				if (!e)
					return -1;
				b->envs = e;
				b->envcap = cap;
			}
			if (!open)
				b->envs[b->nenvs++] = (envelope_event){s->key, NULL, NULL, 1, s->removed_at};
			else
				b->envs[b->nenvs++] = (envelope_event){s->key, s->has_sender ? s->sender_text : NULL,
								       s->message_id_text, 0, b->nev};
		}
		if (!open)
			nremoved = b->nenvs;
	}
	/* Removals were met in the order their queue ids were named. */
	if (nremoved > 1)
		qsort(b->envs, nremoved, sizeof *b->envs, by_place);
	return 0;
}

/* Decodes the lines of a log segment. Lines that are no log lines are
 * counted, with one warning per segment that names the first. */
static void decode_log(run *r, dx_dctx *d, worker_ctx *w, const segment *s)
{
	batch *b = w->b;
	const char *p = b->data + s->start;
	size_t at = 0;
	uint64_t bad = 0, first_bad = 0;
	while (at < s->len && !w->failed) {
		const char *nl = memchr(p + at, '\n', s->len - at);
		size_t end = nl ? (size_t)(nl - p) : s->len;
		size_t len = end - at;
		if (len && p[at + len - 1] == '\r')
			len--;
		size_t blank = 0;
		while (blank < len && dx_is_space(p[at + blank]))
			blank++;
		if (blank < len) {
			dx_message m = {
				.source = s->src->name,
				.offset = s->base + at,
				.data = p + at,
				.len = len,
			};
			unsigned n = 0;
			dx_logline l;
			b->delta.log_lines++;
			dx_outcome o = dx_logline_decode(d, &m, s->src->ref_time, r->explain ? NULL : keep_record,
							 r->explain ? keep_explanation : NULL, keep_fact, w, &n, &l);
			if (o == DX_DECODED) {
				if (l.outcome == DX_LOGO_SENT)
					b->delta.delivered += n;
				else
					b->delta.records += n;
			} else if (!l.timed) {
				if (!bad++)
					first_bad = s->base + at;
			} else if ((l.kind == DX_LOGL_SENDER || l.kind == DX_LOGL_MESSAGE_ID || l.kind == DX_LOGL_REMOVED) &&
				   keep_envelope(w, &l) < 0)
				w->failed = 1;
		}
		at = end + 1;
	}
	b->delta.log_malformed += bad;
	if (bad && !w->failed) {
		char msg[160];
		snprintf(msg, sizeof msg, "%llu line%s not in a log format, the first here; skipped",
			 (unsigned long long)bad, bad == 1 ? "" : "s");
		if (batch_diag(b, DX_DIAG_WARNING, s->src->name, (int64_t)first_bad, msg) < 0)
			w->failed = 1;
	}
}

/* Decodes every message of b with d; records and diagnostics go into b.
 * envs: the calling thread's envelope table, empty, kept for its next
 * batch. */
static void decode_batch(run *r, dx_dctx *d, batch *b, env_table *envs)
{
	worker_ctx w = {b, 0, *envs, d};
	for (size_t i = 0; d && i < b->nsegs && !atomic_load(&r->aborted) && !w.failed; i++) {
		const segment *s = &b->segs[i];
		if (s->kind == SEG_LOG) {
			decode_log(r, d, &w, s);
		} else if (s->kind == SEG_SINGLE) {
			if (s->len)
				decode_one(r, d, &w, s, 0, s->len, 0, s->truncated);
		} else {
			const char *p = b->data + s->start;
			size_t at = 0;
			while (at < s->len && !w.failed) {
				size_t next = dx_mbox_next(r->kernel, p, s->len, at + 1);
				decode_one(r, d, &w, s, at, next - at, 1, 0);
				at = next;
			}
		}
		if (s->has_mark && !w.failed) {
			/* After the segment's records: the sink may now take the
			 * source as read up to the mark. */
			event *e = batch_event(b);
			if (!e) {
				w.failed = 1;
				break;
			}
			e->is_mark = 1;
			e->mark_path = s->src->name; /* the source lives as long as the batch */
			e->mark = s->mark;
		}
	}
	if (!w.failed && d && pass_envelopes(&w) < 0)
		w.failed = 1;
	env_reset(&w.envs);
	*envs = w.envs;
	if (w.failed || !d) {
		atomic_store(&r->nomem, 1);
		abort_run(r);
	}
}

static void *worker_main(void *arg)
{
	run *r = arg;
	dx_dctx *d = dx_dctx_new(r->engine);
	env_table envs = {0};
	batch *b;
	while ((b = bq_pop_work(&r->batches)) != NULL) {
		decode_batch(r, d, b, &envs);
		bq_push_done(&r->batches, b);
	}
	env_free(&envs);
	dx_dctx_free(d);
	bq_worker_exit(&r->batches);
	return NULL;
}

/* ---- writer (the caller's thread) --------------------------------------------- */

static void add_stats(dx_stats *t, const dx_stats *d)
{
	t->sources += d->sources;
	t->bytes += d->bytes;
	t->messages += d->messages;
	t->bounces += d->bounces;
	t->records += d->records;
	t->undecoded += d->undecoded;
	t->input_errors += d->input_errors;
	t->limits_hit += d->limits_hit;
	t->sources_skipped += d->sources_skipped;
	t->sources_resumed += d->sources_resumed;
	t->bytes_skipped += d->bytes_skipped;
	t->log_lines += d->log_lines;
	t->log_malformed += d->log_malformed;
	t->delivered += d->delivered;
}

/* Loading envelopes kept by earlier runs into the writer's map. */
typedef struct env_load {
	dx_envmap *map;
	int nomem;
} env_load;

static int put_envelope(void *ctx, const dx_envelope *env)
{
	env_load *ld = ctx;
	if (dx_envmap_put(ld->map, env->queue_key, env->sender, env->message_id) < 0) {
		ld->nomem = 1;
		return -1;
	}
	return 0;
}

typedef struct env_list {
	dx_envelope *v;
	size_t n;
} env_list;

static int list_envelope(void *arg, uint64_t k, const char *sender, const char *message_id)
{
	env_list *l = arg;
	l->v[l->n++] = (dx_envelope){k, sender, message_id};
	return 0;
}

/* Gives the sink the envelopes still open: 0, or the sink's non-zero, or
 * -1 with *nomem set when memory runs out here. */
static int save_envelopes(const dx_sink *sink, const dx_envmap *m, int *nomem)
{
	size_t n = dx_envmap_size(m);
	env_list l = {n ? malloc(n * sizeof *l.v) : NULL, 0};
	if (n && !l.v) {
		*nomem = 1;
		return -1;
	}
	dx_envmap_each(m, list_envelope, &l);
	int rc = sink->save_envelopes(sink->arg, l.v, l.n);
	free(l.v);
	return rc;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

dx_status dx_run(const dx_engine *e, const char *const *paths, size_t npaths, unsigned threads,
		 const dx_sink *sink, dx_stats *stats, dx_error *err)
{
	dx_stats local;
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof *stats);
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (unsigned)n : 1;
	}
	if (threads > 256)
		threads = 256;

	run r;
	memset(&r, 0, sizeof r);
	r.engine = e;
	r.limits = &dx_engine_options(e)->limits;
	r.kernel = dx_scan_best();
	r.explain = sink->explain != NULL;
	r.sink = sink;
	r.expand.max_expanded = r.limits->max_expanded;
	r.expand.max_ratio = r.limits->max_ratio;
	r.started = (int64_t)time(NULL);
	r.paths = paths;
	r.npaths = npaths;
	/* Enough batches that the workers go on decoding while the writer
	 * commits (an index run's commit writes thousands of aggregate rows
	 * and holds the writer for 15-25 ms on the bench's log): with 2 per
	 * thread and 2 more, the one worker of --threads 2 waited 70-100 ms in
	 * all for batches during a 0.7 s run; with 3 and 3, 42-48 ms, and the
	 * run took 4-7% less time. More cost more than they save: each batch
	 * read further ahead is further out of the caches when decoded
	 * (mixed.mbox: 3% more CPU with 3 and 3, more again with 4 and 4). */
	r.max_inflight = 3 * threads + 3;
	cq_init(&r.chunks, CHUNKS_AHEAD);
	/* The caller's thread is one of the `threads`: it decodes when it has
	 * nothing to write. */
	unsigned nworkers = threads - 1;
	bq_init(&r.batches, (int)nworkers);
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	atomic_init(&r.aborted, 0);
	atomic_init(&r.nomem, 0);

	pthread_t rd, sp, *wk = calloc(nworkers ? nworkers : 1, sizeof *wk);
	unsigned started = 0;
	int reader_started = 0, splitter_started = 0;
	dx_dctx *own = dx_dctx_new(e);
	env_table own_envs = {0}; /* the caller's, when it decodes */
	dx_envmap *envelopes = NULL; /* made by the sink's load, or when a log names its first sender */
	int envelopes_changed = 0, sink_stopped = 0, interrupted = 0;
	if (!wk || !own)
		goto fail_threads;
	if (sink->load_envelopes) {
		/* What earlier runs left open, before any line is read. */
		env_load ld = {dx_envmap_new(e->opts.limits.max_queue_ids), 0};
		if (!(envelopes = ld.map))
			goto fail_threads;
		if (sink->load_envelopes(sink->arg, put_envelope, &ld) != 0) {
			/* Nothing is read: the threads see the abort and end. */
			if (ld.nomem)
				atomic_store(&r.nomem, 1);
			else
				sink_stopped = 1;
			abort_run(&r);
		}
	}
	for (; started < nworkers; started++)
		if (pthread_create(&wk[started], NULL, worker_main, &r) != 0)
			break;
	if (started < nworkers) { /* run with the workers we could start */
		pthread_mutex_lock(&r.batches.mu);
		r.batches.workers_left -= (int)(nworkers - started);
		pthread_mutex_unlock(&r.batches.mu);
	}
	if (pthread_create(&sp, NULL, splitter_main, &r) != 0) {
		bq_close_work(&r.batches);
	} else {
		splitter_started = 1;
		if (pthread_create(&rd, NULL, reader_main, &r) != 0)
			cq_close(&r.chunks); /* the splitter sees no input and ends */
		else
			reader_started = 1;
	}

	/* Batches arrive in any order; they leave in reading order. */
	batch *pending = NULL;
	uint64_t next = 0;
	double last_progress = now_seconds();
	batch *b, *done, *work;
	while (bq_caller_next(&r.batches, &done, &work)) {
		if (work) {
			/* Nothing decoded to write: decode one batch here. */
			decode_batch(&r, own, work, &own_envs);
			work->next = NULL;
			done = work;
		}
		while ((b = done) != NULL) {
			done = b->next;
			batch **pp = &pending;
			while (*pp && (*pp)->seq < b->seq)
				pp = &(*pp)->next;
			b->next = *pp;
			*pp = b;
		}
		while (pending && pending->seq == next) {
			batch *h = pending;
			pending = h->next;
			next++;
			if (interrupted) {
				/* Read past the interruption: given to no one. */
				batch_recycle(&r, h);
				continue;
			}
			size_t fi = 0, ei = 0;
			for (size_t i = 0; i <= h->nev && !atomic_load(&r.aborted); i++) {
				for (; fi < h->nfacts && h->facts[fi].after == i; fi++)
					if (sink->logfact)
						sink->logfact(sink->arg, &h->facts[fi].f);
				for (; ei < h->nenvs && h->envs[ei].after == i; ei++) {
					const envelope_event *en = &h->envs[ei];
					if (en->removed) {
						if (envelopes)
							dx_envmap_remove(envelopes, en->queue_key);
						envelopes_changed = 1;
						continue;
					}
					if (!envelopes)
						envelopes = dx_envmap_new(e->opts.limits.max_queue_ids);
					envelopes_changed = 1;
					if (!envelopes ||
					    dx_envmap_put(envelopes, en->queue_key, en->sender, en->message_id) < 0) {
						atomic_store(&r.nomem, 1);
						abort_run(&r);
						break;
					}
				}
				if (i == h->nev)
					break;
				const event *ev = &h->ev[i];
				if (ev->is_record) {
					int stop;
					/* A log record gets its message's sender and
					 * Message-ID from the lines before it. */
					dx_record rec = ev->rec;
					const char *snd, *mid;
					if (rec.queue_key && envelopes && !*rec.sender &&
					    dx_envmap_get(envelopes, rec.queue_key, &snd, &mid)) {
						rec.sender = snd;
						if (!*rec.message_id)
							rec.message_id = mid;
					}
					if (sink->explain) {
						dx_explanation x = ev->x;
						x.record = &rec;
						stop = sink->explain(sink->arg, &x) != 0;
					} else
						stop = sink->record && sink->record(sink->arg, &rec) != 0;
					if (stop) {
						sink_stopped = 1;
						abort_run(&r);
					}
				} else if (ev->is_mark) {
					if (sink->mark)
						sink->mark(sink->arg, ev->mark_path, &ev->mark);
				} else if (sink->diag)
					sink->diag(sink->arg, &ev->diag);
			}
			add_stats(stats, &h->delta);
			batch_recycle(&r, h);
			if (sink->interrupted && !atomic_load(&r.aborted) && sink->interrupted(sink->arg)) {
				interrupted = 1;
				abort_run(&r);
			}
		}
		if (sink->progress) {
			double t = now_seconds();
			if (t - last_progress >= 0.25) {
				sink->progress(sink->arg, stats);
				last_progress = t;
			}
		}
	}
	while (pending) {
		b = pending;
		pending = b->next;
		batch_free(b);
	}
	int stopped_between = interrupted && !atomic_load(&r.nomem);
	if (envelopes && envelopes_changed && sink->save_envelopes && !sink_stopped &&
	    (!atomic_load(&r.aborted) || stopped_between)) {
		/* The run read everything, or stopped between batches: what is
		 * still open after the last batch given is kept. */
		int nomem = 0;
		if (save_envelopes(sink, envelopes, &nomem) != 0) {
			if (nomem)
				atomic_store(&r.nomem, 1);
			else
				sink_stopped = 1;
		}
	}
	dx_envmap_free(envelopes);
	env_free(&own_envs);
	dx_dctx_free(own);
	if (reader_started)
		pthread_join(rd, NULL);
	if (splitter_started)
		pthread_join(sp, NULL);
	for (unsigned i = 0; i < started; i++)
		pthread_join(wk[i], NULL);
	free(wk);
	/* Batches the splitter pushed after an abort may still sit in the
	 * lists. */
	while ((b = r.batches.work_head) != NULL) {
		r.batches.work_head = b->next;
		batch_free(b);
	}
	while ((b = r.batches.done) != NULL) {
		r.batches.done = b->next;
		batch_free(b);
	}
	while ((b = r.spare_batches) != NULL) {
		r.spare_batches = b->next;
		batch_free(b);
	}
	while (r.nspare_chunks)
		free(r.spare_chunks[--r.nspare_chunks]);
	cq_destroy(&r.chunks);
	bq_destroy(&r.batches);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	if (sink->progress)
		sink->progress(sink->arg, stats);

	if (atomic_load(&r.nomem)) {
		if (err) {
			err->code = DX_ERR_NOMEM;
			snprintf(err->message, sizeof err->message, "out of memory; the run was stopped");
		}
		return DX_ERR_NOMEM;
	}
	if (sink_stopped) {
		if (err && err->code == DX_OK) {
			err->code = DX_ERR_ABORTED;
			snprintf(err->message, sizeof err->message, "stopped by the output");
		}
		return DX_ERR_ABORTED;
	}
	if (interrupted) {
		if (err) {
			err->code = DX_ERR_ABORTED;
			snprintf(err->message, sizeof err->message, "interrupted");
		}
		return DX_ERR_ABORTED;
	}
	if (!reader_started || !splitter_started) {
		if (err) {
			err->code = DX_ERR_NOMEM;
			snprintf(err->message, sizeof err->message, "cannot start the reader or splitter thread");
		}
		return DX_ERR_NOMEM;
	}
	return DX_OK;

fail_threads:
	dx_envmap_free(envelopes);
	free(wk);
	dx_dctx_free(own);
	cq_destroy(&r.chunks);
	bq_destroy(&r.batches);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	if (err) {
		err->code = DX_ERR_NOMEM;
		snprintf(err->message, sizeof err->message, "cannot start worker threads: %s", strerror(errno));
	}
	return DX_ERR_NOMEM;
}
