/* decode.h: what decoding a message and decoding a log line share, inside
 * the library: the engine and the decoding context, and the last stage,
 * which classifies each recipient and hands out its record.
 */
#ifndef DX_DECODE_H
#define DX_DECODE_H

#include "bounce.h"
#include "charset.h"
#include "classify.h"
#include "dsnidx.h"
#include "hash.h"
#include "lexicon.h"
#include "scan.h"

/* Longest diagnostic kept in a record; servers rarely say more that
 * matters, and a hostile one can say megabytes. */
enum { MAX_DIAGNOSTIC = 2048 };

struct dx_engine {
	dx_options opts;
	char *rules_file;        /* owned copy of opts.rules_file */
	dx_rules *rules;
	dx_lexicon *lex;
	const dx_scan_kernel *kernel;
};

struct dx_dctx {
	const dx_engine *engine;
	dx_arena arena;
	dx_charset_ctx *charsets;
	dx_matcher *matcher;
	/* The last local time converted to UTC, for log lines (logdecode.c),
	 * which come in order: one conversion per hour of log. */
	int64_t tz_key;          /* year, month, day and hour as one number; -1: none */
	int64_t tz_hour_utc;     /* that hour's start in UTC seconds */
	int64_t ref_time;        /* the last reference time of a log line... */
	int ref_year;            /* ...and its year; 0: none yet */
	uint64_t decoder_key[4];   /* by dx_log_family: its decoder name's text key; 0: not yet made */
	/* The syslog host of the last delivery line, as written and as
	 * counted (host_text in logdecode.c), with its text key: one log is
	 * one server's, so the next line's is most often the same. */
	char log_host_raw[256];
	size_t log_host_raw_n;     /* 0: none kept */
	char log_host_text[256];
	uint64_t log_host_key;
};

/* Classifies every recipient of b and hands out its record: base holds
 * what the records share (source, offset, reporting_mta, sender, subject,
 * message_id, decoder); msg_time is their time unless a recipient has its
 * own; msg_id the content's hash, from which each record's key is made.
 * Successes (delivered, relayed, expanded) only with include_delivered.
 * *emitted counts the records handed out. 0, 1 when a callback asked to
 * stop, -1 when memory ran out. */
int dx_emit_records(dx_dctx *d, const dx_bounce *b, const dx_record *base, int64_t msg_time, const dx_hash *msg_id,
		    int include_delivered, dx_record_fn fn, dx_explain_fn xfn, void *arg, unsigned *emitted);

/* s cut to max bytes (at a character boundary) and made valid UTF-8, in
 * the arena; s itself when it is plain ASCII within max (so the result
 * lives as long as s); "" for NULL or when memory runs out. */
const char *dx_clean_text(dx_arena *a, const char *s, size_t max);

#endif
