/* dsnidx.h: the public API of libdsnidx.
 *
 * libdsnidx finds delivery status notifications (bounces) in stored mail,
 * decodes every failed recipient into a dx_record, classifies it into one of
 * the reasons listed in docs/reasons.md, and keeps the records with aggregate
 * counts in an SQLite index from which reports are drawn.
 *
 * Conventions
 *  - Functions that can fail return a dx_status (DX_OK, 0, on success) and,
 *    when given a dx_error, fill it with a message naming the input. The
 *    library never prints and never exits.
 *  - State lives in explicit objects; there are no globals. A dx_engine is
 *    immutable once made and may be shared by any number of threads; a
 *    dx_dctx (decoding context) and a dx_store belong to one thread at a time.
 *  - Strings are NUL-terminated UTF-8. Strings handed to callbacks are valid
 *    only during the call.
 *  - Bad input is normal input: a malformed message, unreadable file or
 *    oversized part never aborts a run; it is reported through the
 *    diagnostic callback with its source and offset, counted in dx_stats,
 *    and the rest of the work is done.
 */
#ifndef DSNIDX_H
#define DSNIDX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DX_VERSION "0.1.0"

/* ---- Errors ---------------------------------------------------------- */

typedef enum dx_status {
	DX_OK = 0,
	DX_ERR_NOMEM,     /* out of memory */
	DX_ERR_IO,        /* an input or output could not be read or written */
	DX_ERR_USAGE,     /* invalid argument from the caller */
	DX_ERR_DB,        /* SQLite reported an error */
	DX_ERR_SCHEMA,    /* the database was made by an incompatible version */
	DX_ERR_RULES,     /* a rule file could not be read or compiled */
	DX_ERR_ABORTED,   /* a callback asked to stop */
	DX_ERR_BUSY       /* another run holds the index */
} dx_status;

typedef struct dx_error {
	dx_status code;
	char message[512];
} dx_error;

const char *dx_status_name(dx_status st);

/* ---- Records ----------------------------------------------------------- */

/* One recipient of one bounce. Absent text fields are "" (never NULL). */
typedef struct dx_record {
	const char *source;        /* file the bounce came from ("-" for stdin) */
	uint64_t offset;           /* byte offset of the message in the source */
	unsigned index;            /* recipient's order in the bounce, from 1 */
	int64_t timestamp;         /* UTC seconds since 1970, DX_NO_TIME if unknown */
	const char *recipient;     /* failed address, lower case */
	const char *domain;        /* its domain */
	const char *action;        /* failed, delayed, delivered, relayed, expanded */
	const char *status;        /* enhanced status code (RFC 3463), e.g. 5.1.1 */
	int reply_code;            /* SMTP reply code, e.g. 550; 0 when absent */
	const char *reason;        /* one of the reasons in docs/reasons.md */
	int hard_bounce;           /* 1 when the address itself is bad */
	const char *reporting_mta; /* server that generated the bounce */
	const char *remote_mta;    /* server that refused the message */
	const char *diagnostic;    /* the refusing server's text */
	const char *sender;        /* From of the bounced (original) message */
	const char *subject;       /* its Subject, decoded */
	const char *message_id;    /* its Message-ID */
	const char *decoder;       /* format that decoded the bounce */
	uint64_t key[2];           /* identity: a 128-bit hash of the bounce's content
				    * (line ends normalised) and this recipient; the
				    * index stores a bounce found twice once */
	/* Mail server logs only ("" and 0 for bounces): the queue id, and the
	 * identities of the delivery these attempts belong to, so that a later
	 * attempt or outcome can supersede this one: outcome_key names (logging
	 * host, queue id, recipient), queue_key (logging host, queue id). */
	const char *queue_id;
	uint64_t outcome_key, queue_key;
} dx_record;

#define DX_NO_TIME INT64_MIN

/* The record's columns, in output order. */
typedef enum dx_column {
	DX_COL_SOURCE, DX_COL_OFFSET, DX_COL_INDEX, DX_COL_TIMESTAMP,
	DX_COL_RECIPIENT, DX_COL_DOMAIN, DX_COL_ACTION, DX_COL_STATUS,
	DX_COL_REPLY_CODE, DX_COL_REASON, DX_COL_HARD_BOUNCE,
	DX_COL_REPORTING_MTA, DX_COL_REMOTE_MTA, DX_COL_DIAGNOSTIC,
	DX_COL_SENDER, DX_COL_SUBJECT, DX_COL_MESSAGE_ID, DX_COL_DECODER,
	DX_NCOLUMNS
} dx_column;

const char *dx_column_name(dx_column col);
/* Returns the column for a name, or -1. */
int dx_column_parse(const char *name);

/* Formats a timestamp as ISO 8601 UTC ("2011-08-03T15:03:33Z") into buf,
 * which must hold at least DX_TIME_BUFSZ bytes; "" for DX_NO_TIME. */
#define DX_TIME_BUFSZ 32
void dx_format_time(int64_t t, char *buf);

typedef int (*dx_record_fn)(void *arg, const dx_record *rec);

/* ---- Diagnostics --------------------------------------------------------- */

typedef enum dx_severity {
	DX_DIAG_WARNING,   /* something was skipped or truncated; run goes on */
	DX_DIAG_ERROR      /* an input or message could not be read or decoded */
} dx_severity;

typedef struct dx_diag {
	dx_severity severity;
	const char *source;
	int64_t offset;          /* -1 when the problem is not at one message */
	const char *message;
} dx_diag;

/* ---- Limits and options -------------------------------------------------- */

/* Every limit is counted when hit (dx_stats) and reported as a warning
 * naming the source and offset; none of them stops a run. */
/* The deepest MIME nesting max_mime_depth may allow: the tree is built
 * recursively, and this keeps it well inside any thread's stack. */
#define DX_MAX_MIME_DEPTH 1000

typedef struct dx_limits {
	size_t max_message_size;   /* bytes; larger messages are truncated */
	unsigned max_mime_depth;   /* nesting of multiparts and message/rfc822;
				    * at most DX_MAX_MIME_DEPTH */
	unsigned max_mime_parts;   /* parts in one message */
	unsigned max_recipients;   /* recipients taken from one bounce */
	unsigned max_header_fields;/* header fields indexed per header block */
	size_t max_header_line;    /* bytes of one header field (folded lines and all) */
	size_t max_text;           /* bytes of one text part decoded and converted
				    * for the decoders to read (its start) */
	unsigned max_queue_ids;    /* mail logs: queue ids whose sender and
				    * Message-ID are remembered for later lines
				    * (twice this, in two generations) */
	unsigned max_nesting;      /* compression and archive layers in one input */
	uint64_t max_7z_memory;    /* bytes of a 7z held in memory when it cannot be
				    * read from its own file (a pipe, or inside
				    * another container): 7z keeps its index at
				    * the end, so it is not streamed */
	uint64_t max_expanded;     /* bytes decompressed from one compressed
				    * stream or archive member; 0 = no limit */
	unsigned max_ratio;        /* decompressed bytes per compressed byte
				    * allowed once past 1 GiB out (a bomb
				    * guard); 0 = no limit */
} dx_limits;

void dx_limits_default(dx_limits *l);

typedef struct dx_options {
	dx_limits limits;
	int include_delivered;     /* keep success notices (action delivered etc.) */
	const char *rules_file;    /* user rules taken ahead of the built-in ones, or NULL */
	int no_jit;                /* match rules with PCRE2's interpreter, not its JIT
				    * (slower; for valgrind, which cannot follow JIT code) */
} dx_options;

void dx_options_default(dx_options *o);

/* ---- Engine and decoding ------------------------------------------------- */

/* The engine holds what every thread shares read-only: options and the
 * compiled classification rules. */
typedef struct dx_engine dx_engine;

dx_status dx_engine_new(const dx_options *opts, dx_engine **out, dx_error *err);
void dx_engine_free(dx_engine *e);
const dx_options *dx_engine_options(const dx_engine *e);

/* A decoding context: the per-thread scratch (arena, match data) that
 * decoding one message needs. */
typedef struct dx_dctx dx_dctx;

dx_dctx *dx_dctx_new(const dx_engine *e);
void dx_dctx_free(dx_dctx *d);

typedef struct dx_message {
	const char *source;
	uint64_t offset;
	const char *data;          /* raw bytes, any line ending */
	size_t len;
	int from_mbox;             /* starts with a From_ line; >From is unescaped */
	int truncated;             /* the reader cut it at max_message_size */
} dx_message;

typedef enum dx_outcome {
	DX_NOT_BOUNCE = 0,         /* ordinary mail: no record */
	DX_DECODED,                /* a bounce; its records were emitted */
	DX_UNDECODED               /* looks like a bounce, but no decoder could read it */
} dx_outcome;

/* Decodes one message, calling fn for each record in recipient order.
 * Returns the outcome; *nrecords (if given) gets the number emitted.
 * A warning about the message (a limit hit) is passed to diag if given. */
dx_outcome dx_decode(dx_dctx *d, const dx_message *msg, dx_record_fn fn, void *arg,
		     void (*diag)(void *arg, const dx_diag *dg), unsigned *nrecords);

/* How a record's values were decided, for `dsnidx explain`. */
typedef struct dx_explanation {
	const dx_record *record;
	const char *command;       /* SMTP stage the failure answered, or "" */
	const char *summary;       /* the report's own words for the recipient, or "" */
	const char *reason_by;     /* what decided the reason: "diagnostic", "summary",
				      "status", "returned message", "decoder" or
				      "default" */
	const char *evidence;      /* with "returned message": the reply in the
				      returned message that decided; else "" */
	const char *rule_file;     /* the rule that matched, or "" */
	unsigned rule_line;
	const char *rule_text;
	int status_pseudo;         /* the status was derived from the reason */
	const char *remote_by;     /* where remote_mta was read: "the Remote-MTA
				      field", "the recipient's lines", "the
				      session transcript", "a later block about
				      the recipient", "the report's text", "the
				      NDR's text", "the notification", "the log
				      line's relay"; "" when remote_mta is */
} dx_explanation;

typedef int (*dx_explain_fn)(void *arg, const dx_explanation *x);

/* dx_decode() that reports explanations instead of bare records. */
dx_outcome dx_decode_explain(dx_dctx *d, const dx_message *msg, dx_explain_fn fn, void *arg,
			     void (*diag)(void *arg, const dx_diag *dg), unsigned *nrecords);

/* ---- Mail server logs ----------------------------------------------------- */

/* What a log line says that is no record of a failure, for an index to
 * count and to settle earlier attempts by (dx_sink.logfact). */
typedef enum dx_logfact_kind {
	DX_LOGFACT_SENT = 1,       /* a recipient was delivered */
	DX_LOGFACT_EXPIRED,        /* the queue id's still-deferred recipients failed
				    * (Postfix "status=expired") */
} dx_logfact_kind;

typedef struct dx_logfact {
	dx_logfact_kind kind;
	int64_t timestamp;         /* UTC seconds, DX_NO_TIME if unknown */
	uint64_t key;              /* SENT: the record outcome_key it settles;
				    * EXPIRED: the records' queue_key */
	const char *source;        /* where the line is */
	uint64_t offset;
	uint64_t line_key[2];      /* a hash of the line (EXPIRED: for the keys
				    * of the records it makes) */
	/* SENT: what the aggregates count the delivery by. */
	const char *domain, *reporting_mta, *remote_mta, *decoder;
	/* SENT: a 128-bit hash of those four texts, made by the decoder so
	 * that the index counts the delivery without reading them again;
	 * {0, 0}: not made (the index then hashes the texts itself). */
	uint64_t count_key[2];
} dx_logfact;

typedef void (*dx_logfact_fn)(void *arg, const dx_logfact *f);

/* What logs said of a message still in the queue: its queue key (that of
 * dx_record.queue_key), sender and Message-ID (NULL when not said). Kept
 * from one run to the next, so that a delivery line read by a later run
 * gets the sender a line read by an earlier one named. */
typedef struct dx_envelope {
	uint64_t queue_key;
	const char *sender, *message_id;
} dx_envelope;

/* Takes one envelope; non-zero when memory runs out. */
typedef int (*dx_envelope_fn)(void *ctx, const dx_envelope *env);

/* Decodes one line of a Postfix, Exim or Sendmail log (line->data, without
 * its line end; from_mbox and truncated are not used): a delivery attempt
 * gives one record per recipient it names, action "failed", "delayed" or
 * "delivered", with decoder "postfix-log", "exim-log" or "sendmail-log".
 * Successful deliveries (reason "delivered") are records only with
 * include_delivered; otherwise, and for an expiry, the line is a fact
 * passed to factfn (if given). The failures go through the same
 * classifier as bounces. A line without a year in its time
 * (classic syslog) gets the latest year that does not put it more than a
 * day after ref_time (the log file's modification time; DX_NO_TIME for
 * now); a time without a zone is local time (TZ). Returns DX_DECODED, or
 * DX_NOT_BOUNCE for any other line. */
dx_outcome dx_decode_logline(dx_dctx *d, const dx_message *line, int64_t ref_time, dx_record_fn fn,
			     dx_logfact_fn factfn, void *arg, unsigned *nrecords);
dx_outcome dx_decode_logline_explain(dx_dctx *d, const dx_message *line, int64_t ref_time, dx_explain_fn fn,
				     void *arg, unsigned *nrecords);

/* ---- Runs over paths ----------------------------------------------------- */

typedef struct dx_stats {
	uint64_t sources;          /* files and streams read */
	uint64_t bytes;            /* bytes read */
	uint64_t messages;         /* messages seen */
	uint64_t bounces;          /* messages decoded as bounces */
	uint64_t records;          /* records emitted */
	uint64_t undecoded;        /* bounce-like messages no decoder could read */
	uint64_t input_errors;     /* paths or streams that could not be read */
	uint64_t limits_hit;       /* items skipped or truncated by a dx_limits value */
	uint64_t sources_skipped;  /* files not read: unchanged since the last run */
	uint64_t sources_resumed;  /* files read from where the last run stopped */
	uint64_t bytes_skipped;    /* bytes of files left unread, or before where they were resumed */
	uint64_t log_lines;        /* lines read from mail server logs */
	uint64_t log_malformed;    /* lines of logs that are no log lines (skipped) */
	uint64_t delivered;        /* successful deliveries read from logs (in no record count) */
} dx_stats;

/* The size of what the paths hold (regular files, walked as dx_run walks
 * them; standard input is not counted): for a progress bar. */
uint64_t dx_input_size(const char *const *paths, size_t npaths);

/* A regular file about to be read, for dx_sink.plan. */
typedef struct dx_source_info {
	const char *path;
	uint64_t dev, ino, size;
	int64_t mtime_ns;
	int plain;                 /* mail (an mbox or a message), not compressed or archived */
	int fd;                    /* open for reading; read it with pread() only */
} dx_source_info;

enum { DX_PLAN_READ = 0, DX_PLAN_SKIP = 1 };

/* What a run knows of how far a source has been read, for dx_sink.mark;
 * and what an index remembers of it, to read only what is new next time
 * (dx_index_run). */
typedef struct dx_source_state {
	int known;                 /* (in the index) it has this path */
	uint64_t dev, ino, size;   /* the file when opened */
	int64_t mtime_ns;
	uint64_t done;             /* its records before this offset have all been given */
	int complete;              /* it was read to its end without error */
	int has_head, has_tail;
	uint64_t head[2];          /* hash of its first min(done, DX_MARK_WINDOW) bytes */
	uint64_t tail[2];          /* hash of the min(done, DX_MARK_WINDOW) bytes before done */
} dx_source_state;

enum { DX_MARK_WINDOW = 4096 };

typedef struct dx_sink {
	void *arg;
	/* Called in input order from one thread. Non-zero stops the run. */
	int (*record)(void *arg, const dx_record *rec);
	/* Errors and warnings, in input order from the same thread. */
	void (*diag)(void *arg, const dx_diag *dg);
	/* Optional; called from the same thread about every 250 ms. */
	void (*progress)(void *arg, const dx_stats *st);
	/* Optional; when set, it is called instead of record, with how each
	 * record was decided. */
	int (*explain)(void *arg, const dx_explanation *x);
	/* Optional; called ON THE READER'S THREAD before a regular file given
	 * or found by the walk is read: DX_PLAN_SKIP to leave it, or
	 * DX_PLAN_READ with *start the offset to read a plain file from (a
	 * message boundary; 0 for the whole file). */
	int (*plan)(void *arg, const dx_source_info *si, uint64_t *start);
	/* Optional; called in input order from the calling thread once every
	 * record of a regular file up to state->done has been given: at
	 * message boundaries as the file is read (plain files), and at its
	 * end with state->complete set if it was read without error. */
	void (*mark)(void *arg, const char *path, const dx_source_state *state);
	/* Optional; what logs say besides records (dx_logfact), in input
	 * order with the records, from the same thread. */
	void (*logfact)(void *arg, const dx_logfact *f);
	/* Optional; called ON THE READER'S THREAD for a compressed file
	 * (one stream, not an archive) that dx_sink.plan did not skip, with
	 * the hash of the first `window` bytes of what it decompresses to: 1
	 * with *state set to a source read before (this file, or one it is a
	 * compressed copy of: a rotated log) whose content these bytes may
	 * continue. Its first state->done bytes are then skipped if the
	 * bytes before that point hash to state->tail; otherwise the file is
	 * read whole. Marks of compressed files count decompressed bytes. */
	int (*resume)(void *arg, const char *path, const uint64_t head[2], size_t window, dx_source_state *state);
	/* Optional: envelopes kept between runs. load_envelopes is called once,
	 * from the calling thread, before the input is read: it gives what an
	 * earlier run kept to put(ctx, env) (non-zero from it: stop and
	 * return it). save_envelopes is called once, from the same thread,
	 * when the run read its input to the end and its envelopes changed,
	 * with those of messages the logs did not say were done with (at most
	 * twice max_queue_ids). Non-zero from either is the sink's failure, as
	 * from record: the run stops. */
	int (*load_envelopes)(void *arg, dx_envelope_fn put, void *ctx);
	int (*save_envelopes)(void *arg, const dx_envelope *envs, size_t n);
	/* Optional; asked from the calling thread after each batch of input
	 * is given (every few MB): non-zero stops the run there, between
	 * batches, as if the input ended (every record, fact and mark of what
	 * was read is given; envelopes are saved), and dx_run returns
	 * DX_ERR_ABORTED. For a signal handler's flag: an interrupted index
	 * run goes on from there next time. */
	int (*interrupted)(void *arg);
} dx_sink;

/* Reads every path (a file, a Maildir, a directory walked recursively, or
 * "-" for standard input), decodes its messages on `threads` threads (0:
 * the number of online CPUs), the calling thread one of them, and passes
 * records to the sink in input order, from the calling thread. (Reading
 * and cutting the input into messages take two more, light, threads.)
 * Problems with single inputs are diagnostics, not failures: the return is
 * DX_OK unless the sink stopped the run or memory ran out. */
dx_status dx_run(const dx_engine *e, const char *const *paths, size_t npaths,
		 unsigned threads, const dx_sink *sink, dx_stats *stats, dx_error *err);

/* ---- The index ----------------------------------------------------------- */

/* An index is an SQLite database. The library configures nothing of
 * SQLite's process-wide state; an application that owns its process can
 * call sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) before any SQLite use,
 * which spares a global mutex on each of SQLite's allocations (the dsnidx
 * command does: a few percent of an index run). */

typedef struct dx_store dx_store;

enum { DX_STORE_READONLY = 0, DX_STORE_CREATE = 1 };

dx_status dx_store_open(const char *path, int flags, dx_store **out, dx_error *err);
/* Commits what is pending and closes. */
dx_status dx_store_close(dx_store *s, dx_error *err);
/* Closes the store of a run that stopped before its end (out of memory, a
 * callback's abort): what is pending is committed, unless log facts were
 * taken since the last mark (dx_store_source_put), in which case the open
 * transaction is rolled back: its lines are read again by the next run
 * from the last mark, and committing their counts now would count them
 * twice. */
dx_status dx_store_close_stopped(dx_store *s, dx_error *err);

/* Adds a record; records are written in large transactions, so a record is
 * durable only after dx_store_commit() or dx_store_close(). A record already
 * in the index (same source, offset and index) is not added twice;
 * *added (if given) says whether it was new. */
dx_status dx_store_add(dx_store *s, const dx_record *r, int *added, dx_error *err);
dx_status dx_store_commit(dx_store *s, dx_error *err);
/* Records per transaction (default 100,000; a transaction is also committed
 * when it has been open for 5 seconds). */
void dx_store_set_commit_every(dx_store *s, unsigned records);


/* The state of path (state->known 0 when the index has none). */
dx_status dx_store_source_get(dx_store *s, const char *path, dx_source_state *state, dx_error *err);
/* Records the state of path, in the transaction of the records it covers. */
/* The state of the source last read as the file (dev, ino), under any
 * path: a file renamed since (a rotated log) is known by it. */
/* The state of the source read furthest whose first min(done,
 * DX_MARK_WINDOW) bytes hash to head, `window` being that length here
 * (state->known 0 when there is none): the file a compressed copy was
 * made of. */
dx_status dx_store_source_by_head(dx_store *s, const uint64_t head[2], size_t window, dx_source_state *state,
				  dx_error *err);
dx_status dx_store_source_by_file(dx_store *s, uint64_t dev, uint64_t ino, dx_source_state *state, dx_error *err);
dx_status dx_store_source_put(dx_store *s, const char *path, const dx_source_state *state, dx_error *err);

/* ---- Index runs ---------------------------------------------------------- */

typedef struct dx_index_options {
	unsigned threads;          /* as dx_run: 0 for the number of CPUs */
	int reread;                /* read every file whole, whatever the index knows */
	double wait_seconds;       /* for another run writing the index; 0: none */
	unsigned commit_every;     /* records per transaction; 0: the default */
} dx_index_options;

void dx_index_options_default(dx_index_options *o);

typedef struct dx_index_result {
	uint64_t added;            /* records new to the index */
	uint64_t already;          /* records it had (the same bounce seen before) */
} dx_index_result;

/* Indexes paths into the index at db (created if absent), reading only
 * what is new since the last run: a file unchanged since it was read to
 * its end is skipped unread; a plain file that grew, with the same bytes
 * where the last run stopped, is read from there; anything else is read
 * whole, and a bounce the index has (by its content) is not added again.
 * Records and each file's progress are committed together, so a run that
 * is killed leaves nothing half done: the next one goes on from what was
 * committed. One run writes an index at a time: another one waits up to
 * o->wait_seconds, then returns DX_ERR_BUSY. user's diag and progress, if
 * given, are called as in dx_run. */
dx_status dx_index_run(const dx_engine *e, const char *db, const char *const *paths, size_t npaths,
		       const dx_index_options *o, const dx_sink *user, dx_stats *stats, dx_index_result *res,
		       dx_error *err);

/* Takes what a log line says besides records (dx_sink.logfact): a
 * successful delivery is counted (by hour, domain, logging host, relay and
 * decoder) and settles the same delivery's earlier deferral; an expiry
 * turns the queue id's deferrals that are still final into failed
 * records (reason expired). In the same transactions as records. */
dx_status dx_store_logfact(dx_store *s, const dx_logfact *f, dx_error *err);

/* The envelopes an earlier run kept (table `envelope`), each to put. */
dx_status dx_store_envelopes_load(dx_store *s, dx_envelope_fn put, void *ctx, dx_error *err);

/* Replaces the envelopes kept with envs[0..n), in the open transaction
 * (one is begun if none is). */
dx_status dx_store_envelopes_save(dx_store *s, const dx_envelope *envs, size_t n, dx_error *err);

/* Checks the index: SQLite's integrity check, the aggregates against the
 * records, every record's source. Each problem goes to problem(); DX_OK
 * when there is none. */
dx_status dx_store_check(dx_store *s, void (*problem)(void *arg, const char *what), void *arg, dx_error *err);

/* ---- Selecting records ----------------------------------------------------- */

enum { DX_MAX_WHERE = 32 };

/* Which records a report, an export or a list takes. A zeroed filter takes
 * them all. A time window leaves out the records whose time is unknown. */
typedef struct dx_filter {
	int has_since, has_until;
	int64_t since;             /* records at or after this time (UTC seconds) */
	int64_t until;             /* records before this time */
	unsigned nwhere;
	struct {
		dx_column column;
		const char *value;     /* the caller's; "" matches an absent value */
	} where[DX_MAX_WHERE];     /* same column: any of its values; columns: all */
	int attempts;              /* every attempt of a logged delivery, not only
				    * its final outcome (a deferral later delivered
				    * or failed is an attempt, not an outcome) */
} dx_filter;

/* Adds a condition written "column=value" ("reason=userunknown",
 * "hard_bounce=1"). DX_ERR_USAGE, with a message, for an unknown column, a
 * column that is not a condition (offset, index, timestamp: use the time
 * window) or too many conditions. */
dx_status dx_filter_where(dx_filter *f, const char *cond, dx_error *err);

/* A time given by a user, for --since and --until: an ISO 8601 date or
 * date-time in UTC ("2026-11-27", "2026-11-27T08:30", "2026-11-27
 * 08:30:15Z"), or an age before now ("90s", "30m", "24h", "7d", "2w").
 * DX_ERR_USAGE with a message when it is neither. */
dx_status dx_time_arg(const char *text, int64_t now, int64_t *out, dx_error *err);

/* Calls fn for every record the filter takes (NULL: all), in the order they
 * were indexed. */
dx_status dx_store_export(dx_store *s, const dx_filter *f, dx_record_fn fn, void *arg, dx_error *err);

/* Calls fn once for every failed address the filter takes (action
 * "failed" unless the filter names actions), in address order; with
 * hard_only, those of hard bounces only: a suppression list. */
dx_status dx_store_recipients(dx_store *s, const dx_filter *f, int hard_only,
			      int (*fn)(void *arg, const char *address), void *arg, dx_error *err);

/* ---- Reports ------------------------------------------------------------- */

typedef enum dx_key {
	DX_KEY_STATUS, DX_KEY_REPLY_CODE, DX_KEY_REASON, DX_KEY_ACTION,
	DX_KEY_REPORTING_MTA, DX_KEY_REMOTE_MTA, DX_KEY_DOMAIN,
	DX_KEY_DAY, DX_KEY_HOUR, DX_KEY_MINUTE,
	DX_KEY_HARD_BOUNCE, DX_KEY_DECODER,
	DX_NKEYS
} dx_key;

const char *dx_key_name(dx_key k);
/* Returns the key for a name, or -1. */
int dx_key_parse(const char *name);

typedef struct dx_report_query {
	dx_key keys[DX_NKEYS];
	unsigned nkeys;
	uint64_t top;              /* keep the first `top` rows; 0: all */
	dx_filter filter;          /* which records are counted */
	int rates;                 /* outcomes with the successful deliveries of
				    * logs: keys among domain, reporting_mta,
				    * remote_mta, day and hour; conditions on the
				    * first three; no attempts */
} dx_report_query;

typedef struct dx_report_row {
	const char *values[DX_NKEYS]; /* in query key order; "" for absent */
	uint64_t count;            /* with rates: delivered + failed + delayed */
	uint64_t delivered, failed, delayed; /* rates only */
} dx_report_row;

typedef struct dx_report {
	dx_key keys[DX_NKEYS];
	unsigned nkeys;
	int rates;
	dx_report_row *rows;
	size_t nrows;
	uint64_t total;            /* records counted, shown rows or not */
	uint64_t rest_rows;        /* rows left out by `top` */
	uint64_t rest_count;       /* and the records they held */
	dx_report_row all, rest;   /* rates only: the sums of every row, of the rest */
} dx_report;

/* Counts records grouped by the query's keys. Rows are ordered by time when
 * day, hour or minute is a key, then by count descending, then by key
 * values. The counts are those of dx_store_export() with the same filter. */
dx_status dx_store_report(dx_store *s, const dx_report_query *q, dx_report **out, dx_error *err);
void dx_report_free(dx_report *r);

/* The outage view: what failed in a window, in one piece. */
typedef struct dx_summary {
	dx_filter filter;          /* as asked */
	uint64_t records;          /* failed or delayed recipients */
	uint64_t bounces;          /* bounce messages they came from */
	uint64_t addresses;        /* distinct addresses */
	uint64_t hard, soft;       /* records that are hard bounces, and the others */
	int64_t first, last;       /* times of the first and last record, DX_NO_TIME if none */
	dx_report *by_action, *by_status, *by_reason, *by_reporting_mta, *by_remote_mta, *by_domain;
	dx_report *histogram;      /* by hour, or by day for windows over 3 days */
	int histogram_days;
} dx_summary;

dx_status dx_store_summary(dx_store *s, const dx_filter *f, unsigned top, dx_summary **out, dx_error *err);
void dx_summary_free(dx_summary *sm);

/* ---- Output formats ------------------------------------------------------ */

typedef enum dx_format { DX_FMT_TEXT, DX_FMT_CSV, DX_FMT_JSON, DX_FMT_JSONL } dx_format;

/* Returns the format for a name ("text", "csv", "json", "jsonl"), or -1. */
int dx_format_parse(const char *name);

/* Writes records as CSV (RFC 4180, header row first) or JSON Lines. */
typedef struct dx_writer dx_writer;

/* The version of the record formats (columns, their names and meaning),
 * documented in docs/output.md; it changes when they change. */
#define DX_OUTPUT_SCHEMA 1

enum {
	/* CSV cells that begin with = + - @ (or a tab or CR) get a leading
	 * apostrophe, so that a spreadsheet shows them instead of running
	 * them as formulas. */
	DX_WRITE_SPREADSHEET_SAFE = 1,
};

dx_writer *dx_writer_new(FILE *out, dx_format fmt);
/* A writer of the given columns only, in that order (ncols 0: all). */
dx_writer *dx_writer_new_columns(FILE *out, dx_format fmt, const dx_column *cols, size_t ncols, unsigned flags);
int dx_writer_record(dx_writer *w, const dx_record *r);   /* 0 or -1 on write error */
/* Flushes; returns 0 or -1 if any write failed. Frees the writer. */
int dx_writer_close(dx_writer *w);

/* Writes a report: an aligned table with a total (text), CSV with a header
 * row and a `count` column, or one JSON object. Returns 0 or -1. */
int dx_report_write(FILE *out, const dx_report *r, dx_format fmt);

/* Writes a summary: sections with text bars for the histogram (text), or
 * one JSON object. Returns 0 or -1. */
int dx_summary_write(FILE *out, const dx_summary *sm, dx_format fmt);

#ifdef __cplusplus
}
#endif
#endif
