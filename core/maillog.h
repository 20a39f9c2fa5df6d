/* maillog.h: lines of mail server logs.
 *
 * dx_logline_parse() reads one line of a Postfix, Exim or Sendmail log, as
 * written through syslog (classic "Nov 27 10:00:01 host prog[pid]: ",
 * RFC 5424, or rsyslog's ISO 8601 form) or, for Exim, its own main log
 * ("2026-11-27 10:00:01 1tGxyz-000ABC-12 ** ..."), into a dx_logline: when
 * it was logged, by which host, the queue id, and what it says of a
 * delivery. Nothing is copied: every field points into the line.
 *
 * A line that is not a mail server's, or says nothing this module uses,
 * is DX_LOGL_OTHER. Nothing is an error: a malformed line is just not a
 * delivery. No function here reads outside p[0..n) or needs a NUL.
 */
#ifndef DX_MAILLOG_H
#define DX_MAILLOG_H

#include <stddef.h>
#include <stdint.h>

typedef enum dx_log_family {
	DX_LOGF_NONE = 0,
	DX_LOGF_POSTFIX,
	DX_LOGF_EXIM,
	DX_LOGF_SENDMAIL,
} dx_log_family;

typedef enum dx_log_kind {
	DX_LOGL_OTHER = 0,
	DX_LOGL_DELIVERY,   /* an attempt to deliver to the recipients in rcpts */
	DX_LOGL_EXPIRED,    /* Postfix gave up on the queue id: its deferred
			     * recipients failed ("status=expired") */
	DX_LOGL_SENDER,     /* the queue id's sender (and Message-ID, when said) */
	DX_LOGL_MESSAGE_ID, /* the queue id's Message-ID (Postfix cleanup) */
	DX_LOGL_REMOVED,    /* the queue id is done with (Postfix "removed",
			     * Exim "Completed") */
} dx_log_kind;

typedef enum dx_log_outcome {
	DX_LOGO_NONE = 0,
	DX_LOGO_SENT,       /* delivered (Postfix sent, Exim => ->, Sendmail Sent) */
	DX_LOGO_DEFERRED,   /* will be tried again */
	DX_LOGO_BOUNCED,    /* failed for good */
} dx_log_outcome;

/* A span of the line. */
typedef struct dx_logspan {
	const char *p;
	size_t n;
} dx_logspan;

typedef struct dx_logline {
	dx_log_family family;
	dx_log_kind kind;
	int timed;          /* it began with a timestamp (and a syslog host and
			     * program, where the form has them) */
	/* When, as the line says it: year 0 when it does not (classic
	 * syslog); zone_known with zone (minutes east of UTC) when it gives
	 * one, else the time is the logging host's local time. */
	int year, mon, mday, hour, min, sec;
	int zone_known, zone;
	dx_logspan host;       /* the logging host; empty in Exim's own log */
	dx_logspan program;    /* "postfix/smtp", "exim", "sm-mta"...; empty in Exim's own log */
	dx_logspan queue_id;
	/* DX_LOGL_DELIVERY */
	dx_log_outcome outcome;
	dx_logspan rcpts;      /* the recipient: Sendmail may list several
			     * ("<a@x>,<b@y>"): dx_logline_rcpt() takes them apart */
	dx_logspan orig_rcpt;  /* Postfix orig_to=, Exim's parent address */
	dx_logspan relay;      /* the server delivered to: "mx.example.com[192.0.2.1]:25" */
	dx_logspan dsn;        /* Postfix and Sendmail dsn= */
	dx_logspan text;       /* what the attempt ended with: Postfix's words in
			     * parentheses, Exim's after ": ", Sendmail's stat= */
	/* DX_LOGL_SENDER, DX_LOGL_MESSAGE_ID */
	dx_logspan sender;
	dx_logspan message_id;
} dx_logline;

/* Parses the line p[0..n) (without its line end). Returns its kind, also
 * in out->kind; out is always filled (zero where nothing was found). */
dx_log_kind dx_logline_parse(const char *p, size_t n, dx_logline *out);

/* The next recipient of l->rcpts from *pos on, without angle brackets:
 * 1 with *addr set, 0 when there are no more. */
int dx_logline_rcpt(const dx_logline *l, size_t *pos, dx_logspan *addr);

/* The relay's host name, without "[address]:port" ("none" and "local"
 * are kept as they are, since Postfix uses them for no relay). */
dx_logspan dx_logline_relay_host(const dx_logline *l);

/* Whether p[0..n) looks like a mail server log: of its first complete
 * lines (at most 16), most parse with a timestamp and at least one is a
 * Postfix, Exim or Sendmail line. For telling a log file from mail. */
int dx_log_detect(const char *p, size_t n);

#endif
