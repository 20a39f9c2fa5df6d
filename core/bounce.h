/* bounce.h: what a decoder extracts from one bounce, and the interface
 * every decoder implements.
 *
 * A decoder reads a message that detect.c found bounce-like and, if it
 * recognises its format, fills a dx_bounce: the generating server, the
 * failed recipients with what the report says of each, and where the
 * returned original is. It does not classify: classify.c gives reasons from
 * what the decoder found, so that one rule serves every format.
 *
 * Everything here lives in the per-message arena.
 */
#ifndef DX_BOUNCE_H
#define DX_BOUNCE_H

#include <stdint.h>

#include "arena.h"
#include "charset.h"
#include "lexicon.h"
#include "normalise.h"
#include "rfc2045.h"
#include "rfc5322.h"

typedef struct dx_rcpt {
	const char *recipient;   /* lower-case address */
	const char *action;      /* lower case, or NULL when the report has none */
	const char *status;      /* "5.1.1", or NULL */
	int reply_code;          /* 0 when absent */
	const char *remote_mta;  /* or NULL */
	const char *remote_by;   /* where remote_mta was read (dx_explanation), or NULL */
	const char *diagnostic;  /* the refusing server's words, or NULL */
	const char *summary;     /* the report's own wording for this recipient, or NULL */
	int64_t last_attempt;    /* DX_NO_TIME when absent */
	/* The SMTP stage the failure answered: "CONN", "HELO", "STARTTLS",
	 * "MAIL", "RCPT", "DATA", or NULL when the report does not say. */
	const char *command;
	/* Set only by decoders of reports that are not failures, whose kind
	 * is the reason ("feedback" for ARF, "vacation" for auto-replies);
	 * NULL lets classify.c decide. */
	const char *reason;
	/* When the report gives no status, code or words for this recipient:
	 * an SMTP reply naming the recipient in the returned message (a
	 * gateway that returns a bounce it could not pass on), which
	 * classify.c reads only when nothing else decides. NULL otherwise. */
	const char *evidence;
	const char *evidence_command; /* the stage the evidence answered, or NULL */
	/* Log lines only: the (host, queue id, recipient) this attempt is for. */
	uint64_t outcome_key;
} dx_rcpt;

typedef struct dx_bounce {
	const char *decoder;     /* name of the decoder that filled this */
	const char *reporting_mta;
	int64_t arrival;         /* DX_NO_TIME when absent */
	dx_rcpt *rcpts;
	unsigned nrcpts, cap;
	unsigned dropped_rcpts;  /* past max_recipients */
	unsigned max_rcpts;
	/* The returned original's header block, when the decoder found it in
	 * text rather than in a MIME part. */
	dx_text original_headers;
	/* The part under which the original is looked for, when the report
	 * is wrapped in a message of its own (a forward of the bounce); NULL:
	 * the whole bounce. */
	dx_mime_part *original_within;
} dx_bounce;

/* What a decoder may look at: the bounce, parsed once by decode.c. */
typedef struct dx_view {
	dx_arena *arena;
	dx_mime_ctx *mime;
	const dx_header *hdr;    /* top-level header of the bounce */
	dx_mime_part *root;      /* MIME tree */
	dx_text text;            /* the whole normalised message */
	dx_text from_line;       /* the mbox From_ line, or empty */
	int detected;            /* DX_DETECT_WEAK or DX_DETECT_STRONG (detect.h) */
	unsigned max_recipients; /* the limit, for helpers that list recipients */
	const dx_lexicon *lex;   /* the engine's compiled phrase sets */
	/* Filled on first use by dx_view_plain(). */
	dx_text plain;
	int plain_state;         /* 0 not yet, 1 found, -1 none */
	/* Filled on first use by dsn_text.c: where the report part of the
	 * plain text ends and the original begins, and the SMTP stage the
	 * whole report names. */
	int report_state;        /* 0 not yet, 1 known */
	size_t report_end, report_orig;
	int report_command_state;
	const char *report_command;
} dx_view;

/* The bounce's human-readable text in UTF-8: its first text/plain part
 * outside any returned message (the whole body of a single-part message),
 * else the text of its first text/html part.
 * Returns 1 and sets *out, 0 when there is none, -1 when out of memory. */
int dx_view_plain(dx_view *v, dx_text *out);

/* Returns 1 when the decoder read the bounce (b filled, at least one
 * recipient), 0 when the format is not its own, -1 when out of memory. */
typedef int (*dx_decoder_fn)(dx_view *v, dx_bounce *b);

typedef struct dx_decoder {
	const char *name;
	dx_decoder_fn decode;
} dx_decoder;

/* Adds a recipient (address already extracted); NULL when the limit is hit
 * (counted in b->dropped_rcpts) or memory runs out. Merges nothing: callers
 * that can see one address twice use dx_bounce_find(). */
dx_rcpt *dx_bounce_add(dx_bounce *b, dx_arena *a, const char *recipient);
dx_rcpt *dx_bounce_find(dx_bounce *b, const char *recipient);

/* Helpers shared by decoders. */

/* First enhanced status code ("5.1.1", class 2, 4 or 5) in p[0..n), copied
 * to the arena, or NULL. */
const char *dx_find_status(dx_arena *a, const char *p, size_t n);
/* The better of a report's status and one found in the server's text: a
 * generic code (x.0.0) gives way to a specific one of the same class,
 * because the remote server's own code is the more exact evidence. */
const char *dx_better_status(const char *given, const char *from_text);
/* The SMTP stage a server's text says a failure answered ("in reply to
 * RCPT TO command", "after end of data", a transcript's last ">>> DATA"),
 * as a static string, or NULL. */
const char *dx_smtp_command(const dx_lexicon *lx, const char *p, size_t n);
/* The SMTP reply code that answers for a failure in p[0..n): the first
 * known 4xx/5xx code standing alone (a 2xx only when there is none), or a
 * remote's answer the text quotes in brackets; 0 when there is none. */
int dx_find_reply_code(const char *p, size_t n);
/* The same, with the enhanced status code written right after the reply
 * code (NULL when none; in the arena, which may be NULL for no status). */
void dx_remote_reply(dx_arena *a, const char *p, size_t n, int *code, const char **status);
/* The same, returning where that reply starts in p (n when none). */
size_t dx_remote_reply_at(dx_arena *a, const char *p, size_t n, int *code, const char **status);
/* The value after "type;" in a typed DSN field ("dns; mx.example" ->
 * "mx.example"), trimmed. Points into the argument. */
const char *dx_typed_value(const char *v);
/* Joins a multi-line SMTP reply: "550-5.7.26 a 550-5.7.26 b 550 5.7.26 c"
 * becomes "550 5.7.26 a b c" (in the arena; NULL on memory). */
char *dx_join_reply(dx_arena *a, const char *s);
/* x, sep and y joined, in the arena; NULL on memory. */
char *dx_join(dx_arena *a, const char *x, const char *sep, const char *y);
/* Collapses runs of whitespace to one space and trims; in the arena. */
char *dx_squeeze(dx_arena *a, const char *p, size_t n);
/* A lower-case copy of a host name, without brackets or a trailing dot;
 * NULL for an empty one. */
char *dx_host(dx_arena *a, const char *p, size_t n);

/* The returned original's header block: from the text the decoder found
 * (b->original_headers), else a message/rfc822 part, else a
 * text/rfc822-headers part; empty when there is none. 0, or -1 on memory. */
int dx_original_header(dx_view *v, const dx_bounce *b, dx_header *out);

/* What the plain-text part says of each recipient it names (dsn_text.c),
 * for decoders of structured reports to take the remote's own words from. */
typedef struct dx_text_finding {
	const char *recipient;
	const char *text;        /* the recipient's whole text, or NULL */
	const char *diagnostic;  /* the remote's reply within it, or NULL */
	const char *status;
	int reply_code;
	const char *remote_mta;
	const char *remote_by;   /* where it was read, as dx_rcpt.remote_by */
	const char *command;
	/* A sentence of the report naming the recipient apart from its own
	 * line ("Your message wasn't delivered to x because ..."), or NULL. */
	const char *sentence;
} dx_text_finding;

/* Returns 1 with the findings, 0 when the text names no recipient, -1 on
 * memory exhaustion. */
int dx_text_findings(dx_view *v, dx_text_finding **out, unsigned *n);

/* The remote host a server's text names by a phrase that can only be
 * about the remote ("remote host X", "[LastAttemptedServerName=X]"...,
 * dsn_text.c), as a lowercase host in the arena; NULL if none. */
const char *dx_text_remote_host(const dx_lexicon *lx, dx_arena *a, const char *p, size_t n);

/* Sets b->original_headers to the original's header block that follows
 * the report's text after a marker ("Original mail as follows:"), when
 * there is one. 0, or -1 on memory. */
int dx_text_original_headers(dx_view *v, dx_bounce *b);

/* The decoders, tried in order by decode.c. */
int dx_decode_rfc3464(dx_view *v, dx_bounce *b);
int dx_decode_rfc3464_nested(dx_view *v, dx_bounce *b);
int dx_decode_exchange(dx_view *v, dx_bounce *b);
int dx_decode_listmgr(dx_view *v, dx_bounce *b);
int dx_decode_text(dx_view *v, dx_bounce *b);
int dx_decode_arf(dx_view *v, dx_bounce *b);
int dx_decode_amazonses(dx_view *v, dx_bounce *b);
int dx_decode_rfc3834(dx_view *v, dx_bounce *b);

#endif
