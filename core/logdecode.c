/* logdecode.c: one line of a mail server log in, records out.
 *
 * maillog.c finds the line's parts; this module turns a delivery attempt
 * into the same dx_bounce a decoder makes of a bounce (one recipient per
 * address the line names, with its action, status, reply code, remote
 * server and the server's words), and hands it to the stage every bounce
 * goes through (dx_emit_records): so a log line and a bounce with the same
 * wording get the same reason.
 *
 * Times: a line without a year (classic syslog) gets the latest year that
 * does not put it more than a day after the reference time (the log file's
 * modification time: it was written no later than that). A time without a
 * zone is this machine's local time (TZ), as syslog writes it.
 *
 * On bad input: a line that is not a delivery gives no record; nothing is
 * an error.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "hash.h"
#include "logdecode.h"
#include "tally.h"
#include "rfc5322.h"
#include "text.h"

/* UTC seconds of the line's time in year y. */
static int64_t utc_time(dx_dctx *d, const dx_logline *l, int y)
{
	int64_t clock = (int64_t)l->min * 60 + l->sec;
	if (l->zone_known)
		return dx_days_from_civil(y, (unsigned)l->mon, (unsigned)l->mday) * 86400 + (int64_t)l->hour * 3600 +
		       clock - (int64_t)l->zone * 60;
	/* Local time: one mktime per hour of log, since lines come in order. */
	int64_t key = ((int64_t)y * 13 + l->mon) * 32 * 24 + (int64_t)l->mday * 24 + l->hour;
	if (key != d->tz_key) {
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		tm.tm_year = y - 1900;
		tm.tm_mon = l->mon - 1;
		tm.tm_mday = l->mday;
		tm.tm_hour = l->hour;
		tm.tm_isdst = -1;
		time_t t = mktime(&tm);
		if (t == (time_t)-1) /* out of range for this system: read as UTC */
			t = (time_t)(dx_days_from_civil(y, (unsigned)l->mon, (unsigned)l->mday) * 86400 +
				     (int64_t)l->hour * 3600);
		d->tz_key = key;
		d->tz_hour_utc = (int64_t)t;
	}
	return d->tz_hour_utc + clock;
}

static int year_of(int64_t t)
{
	/* Civil year of UTC seconds t (Howard Hinnant's algorithm, inverted). */
	int64_t z = (t >= 0 ? t : t - 86399) / 86400 + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	return (int)(yoe + era * 400 + (m <= 2));
}

int64_t dx_logline_time(dx_dctx *d, const dx_logline *l, int64_t ref_time)
{
	if (!l->timed)
		return DX_NO_TIME;
	if (l->year)
		return utc_time(d, l, l->year);
	if (ref_time == DX_NO_TIME)
		ref_time = (int64_t)time(NULL);
	/* The same reference for every line of a file: its year once. */
	if (ref_time != d->ref_time || !d->ref_year) {
		d->ref_time = ref_time;
		d->ref_year = year_of(ref_time);
	}
	int y = d->ref_year;
	int64_t t = utc_time(d, l, y);
	if (t > ref_time + 86400)
		t = utc_time(d, l, y - 1);
	return t;
}

static char *span_dup(dx_arena *a, dx_logspan s)
{
	return s.n ? dx_arena_strndup(a, s.p, s.n) : NULL;
}

/* An enhanced status code, whole: "5.1.1". */
static int is_status(dx_logspan s)
{
	if (s.n < 5 || s.n > 9 || (s.p[0] != '2' && s.p[0] != '4' && s.p[0] != '5') || s.p[1] != '.')
		return 0;
	unsigned dots = 0, run = 0;
	for (size_t i = 2; i < s.n; i++) {
		if (s.p[i] == '.') {
			if (!run)
				return 0;
			dots++;
			run = 0;
		} else if (s.p[i] >= '0' && s.p[i] <= '9' && run < 3) {
			run++;
		} else {
			return 0;
		}
	}
	return dots == 1 && run;
}

/* The server's own words out of what the log says of the attempt:
 * Postfix's "host H[a] said: TEXT (in reply to X command)" and Exim's
 * "SMTP error from remote mail server after X: TEXT" become TEXT;
 * Sendmail's "Deferred: TEXT" becomes TEXT; anything else is kept. */
static dx_logspan server_words(const dx_logline *l)
{
	dx_logspan t = l->text;
	if (l->family == DX_LOGF_POSTFIX && dx_startswith_ci(t.p, t.n, "host ")) {
		const char *said = dx_memmem(t.p, t.n, " said: ", 7);
		if (said) {
			size_t cut = (size_t)(said + 7 - t.p);
			t.p += cut;
			t.n -= cut;
		}
		const char *inr = NULL;
		for (const char *q = t.p; (q = dx_memmem(q, (size_t)(t.p + t.n - q), " (in reply to ", 14)) != NULL; q++)
			inr = q;
		if (inr && t.n && t.p[t.n - 1] == ')')
			t.n = (size_t)(inr - t.p);
	} else if (l->family == DX_LOGF_EXIM) {
		const char *after = dx_memcasemem(t.p, t.n, "smtp error from remote mail server after ");
		if (after) {
			const char *colon = dx_memmem(after, (size_t)(t.p + t.n - after), ": ", 2);
			if (colon) {
				size_t cut = (size_t)(colon + 2 - t.p);
				t.p += cut;
				t.n -= cut;
			}
		}
	} else if (l->family == DX_LOGF_SENDMAIL && dx_startswith_ci(t.p, t.n, "deferred: ")) {
		t.p += 10;
		t.n -= 10;
	}
	return t;
}

/* The server's words as one line. Exim writes a multi-line reply with its
 * line ends as a backslash and an n ("550-5.1.1 a\n550 5.1.1 b"): those
 * become spaces and the reply is joined ("550 5.1.1 a b"), as a bounce's
 * is. */
static char *exim_unescape_lines(dx_arena *a, const dx_logline *l, dx_logspan w)
{
	if (l->family != DX_LOGF_EXIM || !dx_memmem(w.p, w.n, "\\n", 2))
		return dx_squeeze(a, w.p, w.n);
	char *c = dx_arena_strndup(a, w.p, w.n);
	if (!c)
		return NULL;
	for (char *q = c; (q = strstr(q, "\\n")) != NULL; q += 2)
		q[0] = q[1] = ' ';
	char *sq = dx_squeeze(a, c, strlen(c));
	return sq ? dx_join_reply(a, sq) : NULL;
}

static const char *family_decoder(dx_log_family f)
{
	switch (f) {
	case DX_LOGF_POSTFIX:
		return "postfix-log";
	case DX_LOGF_EXIM:
		return "exim-log";
	case DX_LOGF_SENDMAIL:
		return "sendmail-log";
	default:
		return "log";
	}
}

/* The identity of a queue id on its logging host, and of one recipient's
 * delivery in it: the keys by which a later line settles an earlier one.
 * The host is as written (case folded), the recipient in lower case. */
static uint64_t queue_key(const dx_logline *l)
{
	/* host, a NUL, the queue id: the host case folded. */
	char buf[255 + 1 + 64];
	size_t hn = l->host.n < 255 ? l->host.n : 255;
	size_t qn = l->queue_id.n < 64 ? l->queue_id.n : 64;
	for (size_t i = 0; i < hn; i++) {
		char c = l->host.p[i];
		buf[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
	}
	buf[hn] = '\0';
	memcpy(buf + hn + 1, l->queue_id.p, qn);
	uint64_t k = dx_hash64(buf, hn + 1 + qn, 7);
	return k ? k : 1;
}

uint64_t dx_logline_queue_key(const dx_logline *l)
{
	return l->queue_id.n ? queue_key(l) : 0;
}

static uint64_t outcome_key(uint64_t qkey, const char *rcpt)
{
	uint64_t k = dx_hash64(rcpt, strlen(rcpt), qkey);
	return k ? k : 1;
}

/* The line's identity: its bytes, without a line end; the same line in a
 * rotated or compressed copy of the log is the same record. */
static dx_hash line_id(const dx_message *line)
{
	size_t idn = line->len;
	while (idn && (line->data[idn - 1] == '\r' || line->data[idn - 1] == '\n'))
		idn--;
	return dx_hash128(line->data, idn, 0);
}

/* The host name raw as records show it (dx_host, cleaned; "" when it has
 * none), and *text_key its dx_tally_text_key(). (Remembering them by the
 * raw name saved instructions but no time on the bench log: measured
 * twice, the table missed the caches.) */
static const char *host_text(dx_arena *a, dx_logspan raw, uint64_t *text_key)
{
	const char *text = raw.n ? dx_clean_text(a, dx_host(a, raw.p, raw.n), 255) : "";
	*text_key = dx_tally_text_key(text);
	return text;
}

/* An address in lower case, in the arena; NULL when it is full. */
static char *lower_dup(dx_arena *a, dx_logspan addr)
{
	char *lower = dx_arena_alloc(a, addr.n + 1);
	if (lower) {
		dx_lower_copy(lower, addr.p, addr.n);
		lower[addr.n] = '\0';
	}
	return lower;
}

/* host_text of the line's syslog host, kept in d from one line to the
 * next (see dx_dctx.log_host_raw): the text lives in d until another host
 * is seen. A name that does not fit is made in the arena every time. */
static const char *logging_host(dx_dctx *d, dx_logspan raw, uint64_t *text_key)
{
	if (raw.n && raw.n == d->log_host_raw_n && memcmp(raw.p, d->log_host_raw, raw.n) == 0) {
		*text_key = d->log_host_key;
		return d->log_host_text;
	}
	const char *text = host_text(&d->arena, raw, text_key);
	size_t tn = strlen(text);
	if (raw.n && raw.n < sizeof d->log_host_raw && tn < sizeof d->log_host_text) {
		memcpy(d->log_host_raw, raw.p, raw.n);
		d->log_host_raw_n = raw.n;
		memcpy(d->log_host_text, text, tn + 1);
		d->log_host_key = *text_key;
	} else {
		d->log_host_raw_n = 0;
	}
	return text;
}

/* Passes a fact for each recipient of a successful delivery; returns how
 * many. */
static unsigned sent_facts(dx_dctx *d, const dx_message *line, const dx_logline *l, int64_t ref_time, uint64_t qkey,
			   dx_logfact_fn factfn, void *arg)
{
	dx_arena *a = &d->arena;
	/* The texts the delivery is counted by, and their keys (tally.h). */
	uint64_t keys[4];
	dx_logspan relay = dx_logline_relay_host(l);
	if ((relay.n == 4 && memcmp(relay.p, "none", 4) == 0) || (relay.n == 5 && memcmp(relay.p, "local", 5) == 0) ||
	    (relay.n == 7 && memcmp(relay.p, "virtual", 7) == 0))
		relay.n = 0;
	const char *remote = host_text(a, relay, &keys[2]);
	const char *host = logging_host(d, l->host, &keys[1]);
	const char *decoder = family_decoder(l->family);
	if (!d->decoder_key[l->family])
		d->decoder_key[l->family] = dx_tally_text_key(decoder);
	keys[0] = d->decoder_key[l->family];
	/* Every field set one by one: an initialiser would zero the struct
	 * first with "rep stos", slow at this size, on most lines of a log. */
	dx_logfact f;
	f.kind = DX_LOGFACT_SENT;
	f.timestamp = dx_logline_time(d, l, ref_time);
	f.key = 0;
	f.source = line->source;
	f.offset = line->offset;
	f.line_key[0] = f.line_key[1] = 0;
	f.domain = "";
	f.reporting_mta = host;
	f.remote_mta = remote;
	f.decoder = decoder;
	f.count_key[0] = f.count_key[1] = 0;
	size_t pos = 0;
	dx_logspan addr;
	unsigned n = 0;
	while (dx_logline_rcpt(l, &pos, &addr)) {
		char *lower = lower_dup(a, addr);
		if (!lower)
			break;
		f.key = qkey ? outcome_key(qkey, lower) : 0;
		f.domain = dx_clean_text(a, dx_addr_domain(lower), 255);
		if (!f.domain)
			f.domain = "";
		keys[3] = dx_tally_text_key(f.domain);
		dx_tally_key_of(keys, f.count_key);
		factfn(arg, &f);
		n++;
	}
	return n;
}

dx_outcome dx_logline_decode(dx_dctx *d, const dx_message *line, int64_t ref_time, dx_record_fn fn,
			     dx_explain_fn xfn, dx_logfact_fn factfn, void *arg, unsigned *nrecords,
			     dx_logline *parsed)
{
	dx_arena *a = &d->arena;
	const dx_options *o = &d->engine->opts;
	if (nrecords)
		*nrecords = 0;
	/* Parsed where the caller wants it: the struct is large, and this
	 * runs for every line of a log. */
	dx_logline own, *lp = parsed ? parsed : &own;
	dx_logline_parse(line->data, line->len, lp);
	if (lp->kind == DX_LOGL_EXPIRED && lp->queue_id.n) {
		if (factfn) {
			dx_hash id = line_id(line);
			dx_logfact f = {
				.kind = DX_LOGFACT_EXPIRED,
				.timestamp = dx_logline_time(d, lp, ref_time),
				.key = queue_key(lp),
				.source = line->source,
				.offset = line->offset,
				.line_key = {id.lo, id.hi},
			};
			factfn(arg, &f);
		}
		return DX_NOT_BOUNCE;
	}
	if (lp->kind != DX_LOGL_DELIVERY)
		return DX_NOT_BOUNCE;
	dx_arena_reset(a);
	uint64_t qkey = lp->queue_id.n ? queue_key(lp) : 0;
	int sent = lp->outcome == DX_LOGO_SENT;
	if (sent && factfn) {
		/* Deliveries are facts, to be counted; and records only when
		 * asked for (most lines of a log: the fast way). */
		unsigned n = sent_facts(d, line, lp, ref_time, qkey, factfn, arg);
		if (!o->include_delivered && !xfn) {
			if (nrecords)
				*nrecords = n;
			return n ? DX_DECODED : DX_NOT_BOUNCE;
		}
	}
	dx_bounce b;
	memset(&b, 0, sizeof b);
	b.decoder = family_decoder(lp->family);
	b.max_rcpts = o->limits.max_recipients;
	b.arrival = dx_logline_time(d, lp, ref_time);
	b.reporting_mta = lp->host.n ? dx_host(a, lp->host.p, lp->host.n) : NULL;

	const char *action = lp->outcome == DX_LOGO_SENT ? "delivered"
			     : lp->outcome == DX_LOGO_DEFERRED ? "delayed"
							     : "failed";
	dx_logspan words = server_words(lp);
	char *diagnostic = words.n ? exim_unescape_lines(a, lp, words) : NULL;
	const char *text_status = lp->text.n ? dx_find_status(a, lp->text.p, lp->text.n) : NULL;
	const char *status = is_status(lp->dsn) ? span_dup(a, lp->dsn) : NULL;
	status = status ? dx_better_status(status, text_status) : text_status;
	/* A status whose class says otherwise than the outcome is not this
	 * attempt's (a 2.0.0 in a deferral's text is some earlier answer). */
	if (status && ((lp->outcome == DX_LOGO_SENT) != (status[0] == '2')))
		status = NULL;
	if (!status && lp->outcome == DX_LOGO_SENT)
		status = "2.0.0";
	int reply = words.n ? dx_find_reply_code(words.p, words.n) : 0;
	if (reply && ((lp->outcome == DX_LOGO_SENT) != (reply / 100 == 2)))
		reply = 0;
	dx_logspan relay = dx_logline_relay_host(lp);
	const char *remote = NULL;
	if (relay.n && !(relay.n == 4 && memcmp(relay.p, "none", 4) == 0) &&
	    !(relay.n == 5 && memcmp(relay.p, "local", 5) == 0) &&
	    !(relay.n == 7 && memcmp(relay.p, "virtual", 7) == 0))
		remote = dx_host(a, relay.p, relay.n);
	const char *command = lp->text.n ? dx_smtp_command(d->engine->lex, lp->text.p, lp->text.n) : NULL;

	size_t pos = 0;
	dx_logspan addr;
	while (dx_logline_rcpt(lp, &pos, &addr)) {
		char *lower = lower_dup(a, addr);
		if (!lower)
			return DX_NOT_BOUNCE;
		dx_rcpt *r = dx_bounce_add(&b, a, lower);
		if (!r) {
			if (b.dropped_rcpts)
				continue;
			return DX_NOT_BOUNCE; /* memory */
		}
		r->action = action;
		r->status = status;
		r->reply_code = reply;
		r->remote_mta = remote;
		r->remote_by = "the log line's relay";
		r->diagnostic = diagnostic;
		r->command = command;
		r->last_attempt = DX_NO_TIME;
		r->outcome_key = qkey ? outcome_key(qkey, lower) : 0;
		if (lp->outcome == DX_LOGO_SENT)
			r->reason = "delivered"; /* no rule to try: nothing failed */
	}
	if (!b.nrcpts)
		return DX_NOT_BOUNCE;

	dx_hash id = line_id(line);
	dx_record base;
	memset(&base, 0, sizeof base);
	base.source = line->source;
	base.offset = line->offset;
	base.reporting_mta = dx_clean_text(a, b.reporting_mta, 255);
	base.sender = "";
	base.subject = "";
	base.message_id = "";
	base.decoder = b.decoder;
	base.queue_id = lp->queue_id.n ? dx_clean_text(a, dx_arena_strndup(a, lp->queue_id.p, lp->queue_id.n), 64) : "";
	base.queue_key = qkey;
	unsigned emitted = 0;
	if (dx_emit_records(d, &b, &base, b.arrival, &id, 1, fn, xfn, arg, &emitted) < 0)
		return DX_NOT_BOUNCE;
	if (nrecords)
		*nrecords = emitted;
	return DX_DECODED;
}

dx_outcome dx_decode_logline(dx_dctx *d, const dx_message *line, int64_t ref_time, dx_record_fn fn,
			     dx_logfact_fn factfn, void *arg, unsigned *nrecords)
{
	return dx_logline_decode(d, line, ref_time, fn, NULL, factfn, arg, nrecords, NULL);
}

dx_outcome dx_decode_logline_explain(dx_dctx *d, const dx_message *line, int64_t ref_time, dx_explain_fn fn,
				     void *arg, unsigned *nrecords)
{
	return dx_logline_decode(d, line, ref_time, NULL, fn, NULL, arg, nrecords, NULL);
}
