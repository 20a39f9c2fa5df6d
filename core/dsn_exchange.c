/* dsn_exchange.c: the non-delivery report of Microsoft Exchange (2007 and
 * later), Office 365 / Exchange Online and Forefront Online Protection.
 *
 * The report's readable text ends with "Diagnostic information for
 * administrators:", which holds, in this order:
 *   Generating server: HOST              the server that made the report
 *   Receiving server: HOST (IP)          optional: the server that refused
 *   user@example.com                     a failed recipient, alone on a line
 *   one or more lines about it, in one of these forms:
 *     #550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##
 *     REMOTE #<INNER #5.7.1 smtp;530 5.7.1 Client was not authenticated> #SMTP#
 *     Remote Server returned '550 5.1.1 ...'
 *     DATE - Remote Server at HOST (IP) returned '550 4.4.7 ...'
 *   Original message headers:            then the original's header block
 * Where the report also carries a message/delivery-status part, rfc3464.c
 * reads that first; this decoder serves the plain-text reports. Returns 0
 * when there is no "Generating server:" line or no recipient after it.
 */
#include <string.h>

#include "bounce.h"
#include "dsnidx.h"
#include "text.h"

typedef struct line {
	const char *p;
	size_t n;
} line;

static const char *after_label(const line *l, const char *label)
{
	if (!dx_startswith_ci(l->p, l->n, label))
		return NULL;
	return l->p + strlen(label);
}

/* Whether the line's first token is an address; returns it. */
static const char *address_line(dx_arena *a, const line *l, size_t *tok_len)
{
	size_t k = 0;
	while (k < l->n && !dx_is_space(l->p[k]))
		k++;
	if (!k || !memchr(l->p, '@', k) || l->p[0] == '#')
		return NULL;
	*tok_len = k;
	return dx_addr_extract(a, l->p, k);
}

/* Reads the first diagnostic construct in t (one recipient's lines joined
 * with spaces) into r. */
static int read_diagnostic(const dx_lexicon *lx, dx_arena *a, const char *t, size_t n, dx_rcpt *r)
{
	const char *q;
	const char *text = NULL;
	size_t tn = 0;

	if ((q = dx_memcasemem(t, n, "remote server at ")) != NULL) {
		/* "Remote Server at HOST (IP) returned 'TEXT'" */
		const char *h = q + strlen("remote server at ");
		size_t rest = (size_t)(t + n - h);
		size_t hl = 0;
		while (hl < rest && !dx_is_space(h[hl]))
			hl++;
		r->remote_mta = dx_host(a, h, hl);
		r->remote_by = "the NDR's text";
	}
	if ((q = dx_memcasemem(t, n, " returned '")) != NULL || (q = dx_memcasemem(t, n, "returned '")) == t) {
		const char *s = memchr(q, '\'', (size_t)(t + n - q)) + 1;
		const char *e = memchr(s, '\'', (size_t)(t + n - s));
		/* The quoted text may itself hold an apostrophe; the report
		 * closes it at the last quote of the attempt. */
		const char *next = dx_memcasemem(s, (size_t)(t + n - s), " returned '");
		const char *last = NULL;
		for (const char *x = s; x < (next ? next : t + n); x++)
			if (*x == '\'')
				last = x;
		if (last)
			e = last;
		text = s;
		tn = e ? (size_t)(e - s) : (size_t)(t + n - s);
	} else if ((q = memchr(t, '#', n)) != NULL) {
		/* "[REMOTE] #<INNER #STATUS smtp;TEXT> #SMTP#" or "#TEXT ##" */
		if (q > t && !r->remote_mta) {
			r->remote_mta = dx_host(a, t, (size_t)(q - t));
			r->remote_by = "the NDR's text";
		}
		const char *body = q + 1;
		const char *end = t + n;
		if (body < end && *body == '<') {
			const char *close = NULL;
			for (const char *x = end; x > body; x--)
				if (x[-1] == '>') {
					close = x - 1;
					break;
				}
			if (close)
				end = close;
			body++;
			const char *hash = memchr(body, '#', (size_t)(end - body));
			if (hash)
				body = hash + 1;
			r->status = dx_find_status(a, body, (size_t)(end - body));
			const char *smtp = dx_memcasemem(body, (size_t)(end - body), "smtp;");
			if (smtp)
				body = smtp + 5;
		} else {
			/* Strip the closing "##" or "#SMTP#". */
			while (end > body && (end[-1] == '#' || dx_is_space(end[-1])))
				end--;
		}
		text = body;
		tn = (size_t)(end - body);
	} else {
		text = t;
		tn = n;
	}
	r->diagnostic = dx_squeeze(a, text, tn);
	if (!r->diagnostic)
		return -1;
	if (!r->diagnostic[0])
		r->diagnostic = NULL;
	if (r->diagnostic) {
		size_t dn = strlen(r->diagnostic);
		const char *rs;
		dx_remote_reply(a, r->diagnostic, dn, &r->reply_code, &rs);
		if (rs && !r->status)
			r->status = rs;
		r->command = dx_smtp_command(lx, t, n);
		if (!r->status)
			r->status = dx_find_status(a, r->diagnostic, dn);
	}
	return 0;
}

static int next_line(const dx_text *t, size_t *pos, line *l)
{
	if (*pos >= t->n)
		return 0;
	size_t e = dx_line_end(t->p, t->n, *pos);
	size_t n = e - *pos;
	l->p = dx_trim(t->p + *pos, &n);
	l->n = n;
	*pos = e < t->n ? e + 1 : t->n; /* never past the end: callers take t->n - *pos */
	return 1;
}

int dx_decode_exchange(dx_view *v, dx_bounce *b)
{
	dx_text t;
	int got = dx_view_plain(v, &t);
	if (got <= 0)
		return got;
	const char *gen = dx_memcasemem(t.p, t.n, "generating server:");
	if (!gen)
		return 0;
	dx_arena *a = v->arena;
	size_t pos = (size_t)(gen - t.p);
	line l;
	next_line(&t, &pos, &l);
	const char *h = after_label(&l, "generating server:");
	b->reporting_mta = h ? dx_host(a, h, (size_t)(l.p + l.n - h)) : NULL;

	const char *receiving = NULL;
	dx_rcpt *cur = NULL;
	size_t cur_start = 0, cur_end = 0; /* the current recipient's lines */

	/* Finishes the recipient being read. */
#define FINISH()                                                                            \
	do {                                                                                \
		if (cur && cur_end > cur_start) {                                           \
			char *joined = dx_squeeze(a, t.p + cur_start, cur_end - cur_start); \
			if (!joined || read_diagnostic(v->lex, a, joined, strlen(joined), cur) < 0) \
				return -1;                                                  \
		}                                                                           \
		cur = NULL;                                                                 \
	} while (0)

	while (next_line(&t, &pos, &l)) {
		if (after_label(&l, "original message headers:")) {
			size_t start = pos;
			/* Skip blank lines before the headers. */
			while (start < t.n && t.p[start] == '\n')
				start++;
			b->original_headers.p = t.p + start;
			b->original_headers.n = t.n - start;
			break;
		}
		if (l.n == 0)
			continue;
		const char *rs = after_label(&l, "receiving server:");
		if (rs) {
			receiving = dx_host(a, rs, (size_t)(l.p + l.n - rs));
			continue;
		}
		size_t tok;
		const char *addr = address_line(a, &l, &tok);
		if (addr) {
			FINISH();
			if (dx_bounce_find(b, addr))
				continue;
			cur = dx_bounce_add(b, a, addr);
			if (!cur && !b->dropped_rcpts)
				return -1;
			/* Text after the address on its line belongs to it. */
			cur_start = (size_t)(l.p + tok - t.p);
			cur_end = (size_t)(l.p + l.n - t.p);
			continue;
		}
		if (cur) {
			if (cur_end <= cur_start)
				cur_start = (size_t)(l.p - t.p);
			cur_end = (size_t)(l.p + l.n - t.p);
		}
	}
	FINISH();
#undef FINISH
	if (b->nrcpts == 0)
		return 0;

	/* "The following organization rejected your message: HOST" names the
	 * refusing side in the readable part. */
	const char *org = dx_memcasemem(t.p, (size_t)(gen - t.p), "rejected your message:");
	const char *org_host = NULL;
	if (org) {
		size_t p2 = (size_t)(org - t.p) + strlen("rejected your message:");
		size_t e = dx_line_end(t.p, t.n, p2);
		org_host = dx_host(a, t.p + p2, e - p2);
	}
	for (unsigned i = 0; i < b->nrcpts; i++) {
		dx_rcpt *r = &b->rcpts[i];
		if (!r->remote_mta) {
			r->remote_mta = receiving ? receiving : org_host;
			r->remote_by = "the NDR's text";
		}
	}
	b->decoder = "exchange";
	return 1;
}
