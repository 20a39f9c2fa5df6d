/* index.c: an index run, dx_index_run(): the pipeline's records into the
 * store, reading only what is new.
 *
 * What makes a rerun cheap and a killed run harmless:
 *   - Records are keyed by their content (decode.c); the store ignores a
 *     key it has, so anything read twice is counted once.
 *   - A regular file's progress (the offset up to which its records have
 *     been given, at a message boundary, with hashes of the bytes at its
 *     start and before that offset) reaches the store after those records,
 *     in the same transactions. A run killed at any moment leaves a store
 *     whose progress never runs ahead of its records.
 *   - Before reading a file, the plan compares it with what the store
 *     remembers: unchanged (same file, size and time, read to its end):
 *     skipped unread; grown with the same bytes where the last run stopped
 *     (the hashes match): read from there; anything else: read whole, the
 *     keys keeping what is already there from being added twice.
 *   - One run at a time writes an index: a lock file beside it (flock),
 *     waited for up to a bound, else DX_ERR_BUSY.
 *
 * The plan runs on the pipeline's reader thread, with a read-only
 * connection of its own; records and marks go through the store's
 * connection on the calling thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "dsnidx.h"
#include "hash.h"

typedef struct index_run {
	dx_store *store;            /* the calling thread's */
	dx_store *look;             /* the reader thread's, read-only */
	const dx_index_options *o;
	const dx_sink *user;
	uint64_t added, already;
	int failed;
	dx_error store_err;
} index_run;

static int on_record(void *arg, const dx_record *r)
{
	index_run *x = arg;
	int added;
	/* A log's successful deliveries are counted (as facts: on_logfact),
	 * not kept one by one. */
	size_t dl = strlen(r->decoder);
	if (dl > 4 && strcmp(r->decoder + dl - 4, "-log") == 0 && strcmp(r->action, "delivered") == 0)
		return 0;
	if (dx_store_add(x->store, r, &added, &x->store_err) != DX_OK) {
		x->failed = 1;
		return -1;
	}
	if (added)
		x->added++;
	else
		x->already++;
	return 0;
}

static void on_logfact(void *arg, const dx_logfact *f)
{
	index_run *x = arg;
	if (x->failed)
		return;
	if (dx_store_logfact(x->store, f, &x->store_err) != DX_OK)
		x->failed = 1;
}

static void on_mark(void *arg, const char *path, const dx_source_state *m)
{
	index_run *x = arg;
	if (x->failed)
		return;
	if (dx_store_source_put(x->store, path, m, &x->store_err) != DX_OK)
		x->failed = 1;
}

/* Senders named by log lines an earlier run read, for the deliveries this
 * one reads: kept in the index between runs. */
static int on_load_envelopes(void *arg, dx_envelope_fn put, void *ctx)
{
	index_run *x = arg;
	dx_status st = dx_store_envelopes_load(x->store, put, ctx, &x->store_err);
	if (st == DX_OK)
		return 0;
	x->failed = 1;
	return -1;
}

static int on_save_envelopes(void *arg, const dx_envelope *envs, size_t n)
{
	index_run *x = arg;
	if (x->failed)
		return -1;
	if (dx_store_envelopes_save(x->store, envs, n, &x->store_err) != DX_OK) {
		x->failed = 1;
		return -1;
	}
	return 0;
}

static int on_interrupted(void *arg)
{
	index_run *x = arg;
	return x->user && x->user->interrupted && x->user->interrupted(x->user->arg);
}

static void on_diag(void *arg, const dx_diag *d)
{
	index_run *x = arg;
	if (x->user && x->user->diag)
		x->user->diag(x->user->arg, d);
}

static void on_progress(void *arg, const dx_stats *st)
{
	index_run *x = arg;
	if (x->user && x->user->progress)
		x->user->progress(x->user->arg, st);
}

/* Whether the n bytes of fd at off hash to want. */
static int bytes_match(int fd, uint64_t off, size_t n, const uint64_t want[2])
{
	unsigned char buf[DX_MARK_WINDOW];
	if (n > sizeof buf)
		return 0;
	ssize_t got = pread(fd, buf, n, (off_t)off);
	if (got != (ssize_t)n)
		return 0;
	dx_hash h = dx_hash128(buf, n, 0);
	return h.lo == want[0] && h.hi == want[1];
}

/* A source whose first bytes are this file's (up to DX_MARK_WINDOW). */
static int same_content(index_run *x, const dx_source_info *si, dx_source_state *out)
{
	unsigned char buf[DX_MARK_WINDOW];
	size_t want = si->size < DX_MARK_WINDOW ? (size_t)si->size : DX_MARK_WINDOW;
	if (!want || pread(si->fd, buf, want, 0) != (ssize_t)want)
		return 0;
	dx_hash h = dx_hash128(buf, want, 0);
	uint64_t head[2] = {h.lo, h.hi};
	dx_error err;
	return dx_store_source_by_head(x->look, head, want, out, &err) == DX_OK && out->known && out->done > 0;
}

static int on_plan(void *arg, const dx_source_info *si, uint64_t *start)
{
	index_run *x = arg;
	*start = 0;
	if (x->o->reread || !x->look)
		return DX_PLAN_READ;
	dx_source_state st;
	dx_error err;
	if (dx_store_source_get(x->look, si->path, &st, &err) != DX_OK)
		return DX_PLAN_READ;
	if (!st.known || st.dev != si->dev || st.ino != si->ino) {
		/* Not the file last read under this path: perhaps one read under
		 * another name (maillog, now maillog.1). The same file, with the
		 * same bytes where the last run stopped, is read from there, and
		 * its progress kept under its new name. (Not skipped: its new name
		 * must be recorded.) An inode used again by another file fails the
		 * check of its bytes below. */
		dx_source_state moved;
		if (si->plain && dx_store_source_by_file(x->look, si->dev, si->ino, &moved, &err) == DX_OK &&
		    moved.known && moved.dev == si->dev && moved.ino == si->ino)
			st = moved;
		else if (si->plain && same_content(x, si, &moved))
			/* Or a copy of one (cp maillog old/): the same first bytes. */
			st = moved;
		else if (!st.known)
			return DX_PLAN_READ;
	} else if (st.complete && st.size == si->size && st.mtime_ns == si->mtime_ns)
		return DX_PLAN_SKIP;
	/* Grown: the bytes at its start and those before where the last run
	 * stopped must be the ones seen then. (Another file at the same
	 * path, or one edited in place, fails this and is read whole.) */
	if (si->plain && st.done > 0 && si->size >= st.done && st.has_head && st.has_tail) {
		size_t win = st.done < DX_MARK_WINDOW ? (size_t)st.done : DX_MARK_WINDOW;
		if (bytes_match(si->fd, 0, win, st.head) && bytes_match(si->fd, st.done - win, win, st.tail)) {
			*start = st.done;
			return DX_PLAN_READ;
		}
	}
	return DX_PLAN_READ;
}

/* A compressed file: read before, unfinished (this path, with the same
 * first bytes), or a compressed copy of a file read before (a rotated
 * log, "maillog.1" become "maillog.2.gz"). */
static int on_resume(void *arg, const char *path, const uint64_t head[2], size_t window, dx_source_state *out)
{
	index_run *x = arg;
	if (x->o->reread || !x->look)
		return 0;
	dx_error err;
	dx_source_state st;
	size_t win;
	if (dx_store_source_get(x->look, path, &st, &err) == DX_OK && st.known && st.has_head && st.done > 0) {
		win = st.done < DX_MARK_WINDOW ? (size_t)st.done : DX_MARK_WINDOW;
		if (win == window && st.head[0] == head[0] && st.head[1] == head[1]) {
			*out = st;
			return 1;
		}
	}
	if (dx_store_source_by_head(x->look, head, window, &st, &err) == DX_OK && st.known && st.done > 0) {
		*out = st;
		return 1;
	}
	return 0;
}

/* ---- one writer at a time ----------------------------------------------------------- */

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Takes the lock file beside the index, waiting up to o->wait_seconds;
 * returns its descriptor, or -1 with err set (DX_ERR_BUSY when another run
 * holds it). */
static int take_lock(const char *db, double wait_seconds, dx_error *err)
{
	size_t n = strlen(db) + 6;
	char *path = malloc(n);
	if (!path) {
		err->code = DX_ERR_NOMEM;
		snprintf(err->message, sizeof err->message, "out of memory");
		return -1;
	}
	snprintf(path, n, "%s.lock", db);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		err->code = DX_ERR_DB;
		snprintf(err->message, sizeof err->message, "%s: cannot open the lock file: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	double waited = 0;
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			err->code = DX_ERR_DB;
			snprintf(err->message, sizeof err->message, "%s: cannot lock: %s", path, strerror(errno));
			close(fd);
			free(path);
			return -1;
		}
		if (waited >= wait_seconds) {
			char pid[32] = "";
			ssize_t k = pread(fd, pid, sizeof pid - 1, 0);
			pid[k > 0 ? k : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			const char *how = waited > 0 ? "gave up waiting" : "not waiting (see --wait)";
			err->code = DX_ERR_BUSY;
			if (pid[0])
				snprintf(err->message, sizeof err->message,
					 "%s: another dsnidx index run (pid %s) is writing to it; %s", db, pid, how);
			else
				snprintf(err->message, sizeof err->message,
					 "%s: another dsnidx index run is writing to it; %s", db, how);
			close(fd);
			free(path);
			return -1;
		}
		sleep_ms(100);
		waited += 0.1;
	}
	/* Who holds it, for the message another run would give. */
	char pid[32];
	int k = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)k, 0) < 0) {
		/* only informative */
	}
	free(path);
	return fd;
}

void dx_index_options_default(dx_index_options *o)
{
	memset(o, 0, sizeof *o);
}

dx_status dx_index_run(const dx_engine *e, const char *db, const char *const *paths, size_t npaths,
		       const dx_index_options *o, const dx_sink *user, dx_stats *stats, dx_index_result *res,
		       dx_error *err)
{
	dx_index_options defaults;
	if (!o) {
		dx_index_options_default(&defaults);
		o = &defaults;
	}
	dx_stats local;
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof *stats);
	if (res)
		memset(res, 0, sizeof *res);
	dx_error tmp;
	if (!err)
		err = &tmp;
	memset(err, 0, sizeof *err);

	int lock = take_lock(db, o->wait_seconds, err);
	if (lock < 0)
		return err->code;
	index_run x = {.o = o, .user = user};
	dx_status st = dx_store_open(db, DX_STORE_CREATE, &x.store, err);
	if (st != DX_OK) {
		close(lock);
		return st;
	}
	dx_store_set_commit_every(x.store, o->commit_every);
	/* The plan's own connection; without it every file is read whole. */
	if (dx_store_open(db, DX_STORE_READONLY, &x.look, NULL) != DX_OK)
		x.look = NULL;

	dx_sink sink = {
		.arg = &x,
		.record = on_record,
		.diag = on_diag,
		.progress = on_progress,
		.plan = on_plan,
		.mark = on_mark,
		.logfact = on_logfact,
		.resume = on_resume,
		.load_envelopes = on_load_envelopes,
		.save_envelopes = on_save_envelopes,
		.interrupted = on_interrupted,
	};
	dx_status rs = dx_run(e, paths, npaths, o->threads, &sink, stats, err);
	if (x.failed) {
		*err = x.store_err;
		rs = x.store_err.code ? x.store_err.code : DX_ERR_DB;
	}
	/* The reading connection first: the writer's close, the last one,
	 * then checkpoints the WAL into the database file and removes it, so
	 * that the file alone holds the index (a user copies just that). */
	if (x.look)
		dx_store_close(x.look, NULL);
	dx_error cerr = {0};
	dx_status cs = rs == DX_OK ? dx_store_close(x.store, &cerr) : dx_store_close_stopped(x.store, &cerr);
	if (cs != DX_OK && rs == DX_OK) {
		*err = cerr;
		rs = cs;
	}
	close(lock);
	if (res) {
		res->added = x.added;
		res->already = x.already;
	}
	return rs;
}
