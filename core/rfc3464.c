/* rfc3464.c: the standard delivery status notification (RFC 3464, and its
 * internationalised form of RFC 6533).
 *
 * Finds the message/delivery-status part, reads its per-message fields and
 * one group of per-recipient fields per recipient. Lenient where real
 * reports are broken: groups may be separated by lines of whitespace, the
 * per-message group may be missing or merged with the first recipient,
 * the part may be base64-encoded, and an address may be given only as
 * Original-Recipient or X-Actual-Recipient. Recipients without a usable
 * address are skipped. Returns 0 (not this format) when there is no
 * delivery-status part or it names no recipient.
 */
#include <string.h>

#include "bounce.h"
#include "detect.h"
#include "dsnidx.h"
#include "text.h"

static dx_mime_part *find_status_part(dx_mime_part *root, int into_messages)
{
	static const char *const subtypes[] = {"delivery-status", "global-delivery-status"};
	for (size_t i = 0; i < sizeof subtypes / sizeof subtypes[0]; i++) {
		dx_mime_part *m = dx_mime_find(root, "message", subtypes[i], into_messages);
		if (m)
			return m;
	}
	/* Some generators label the part text/delivery-status. */
	return dx_mime_find(root, "text", "delivery-status", into_messages);
}

static int blank_line(const char *p, size_t s, size_t e)
{
	for (; s < e; s++)
		if (!dx_is_wsp(p[s]))
			return 0;
	return 1;
}

/* Length of the group starting at p: up to a line that is empty or holds
 * only whitespace. *next gets where the following group starts. */
static size_t group_len(const char *p, size_t n, size_t *next)
{
	size_t i = 0;
	while (i < n) {
		size_t e = dx_line_end(p, n, i);
		if (blank_line(p, i, e)) {
			size_t len = i;
			while (i < n) {
				e = dx_line_end(p, n, i);
				if (!blank_line(p, i, e))
					break;
				i = e + 1;
			}
			*next = i < n ? i : n;
			return len;
		}
		i = e + 1;
	}
	*next = n;
	return n;
}

/* Whether an address's domain is a single label ("user@sims-ms-daemon"):
 * the name of a channel or host inside the reporting system, not one the
 * sender could have written. */
static int internal_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at && at[1] && at[1] != '[' && !strchr(at + 1, '.');
}

static const char *recipient_of(dx_arena *a, const dx_header *h)
{
	static const char *const fields[] = {"final-recipient", "original-recipient", "x-actual-recipient"};
	const char *first = NULL;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const char *v = dx_header_get(h, fields[i]);
		if (!v)
			continue;
		const char *addr = dx_typed_value(v);
		char *r = dx_addr_extract(a, addr, strlen(addr));
		if (!r)
			continue;
		/* A final recipient rewritten to an internal name (Sun's
		 * Messaging Server: "Final-recipient: rfc822;userx@sims-ms-daemon")
		 * stands for the address the sender gave, when there is one. */
		if (!internal_domain(r))
			return r;
		if (!first)
			first = r;
	}
	return first;
}

static const char *first_token_lower(dx_arena *a, const char *v)
{
	size_t n = 0;
	while (v[n] && !dx_is_space(v[n]) && v[n] != '(' && v[n] != ';')
		n++;
	if (!n)
		return NULL;
	char *t = dx_arena_strndup(a, v, n);
	if (t)
		dx_ascii_lower(t);
	return t;
}

/* Takes the recipient's fields. Returns -1 on memory exhaustion. */
static int read_recipient(dx_view *v, dx_bounce *b, const dx_header *h)
{
	dx_arena *a = v->arena;
	const char *addr = recipient_of(a, h);
	if (!addr) {
		/* "Final-Recipient: rfc822; @host": unusable, but the recipient
		 * is there; the text part may name it (see enrich_from_text). */
		const char *fr = dx_header_get(h, "final-recipient");
		if (!fr || !strchr(fr, '@'))
			return 0;
		const char *val = dx_typed_value(fr);
		char *raw = dx_squeeze(a, val, strlen(val));
		if (!raw || !*raw)
			return raw ? 0 : -1;
		dx_ascii_lower(raw);
		addr = raw;
	}
	dx_rcpt *r = dx_bounce_add(b, a, addr);
	if (!r)
		return b->dropped_rcpts ? 0 : -1;

	const char *s;
	if ((s = dx_header_get(h, "action")) != NULL)
		r->action = first_token_lower(a, s);
	if ((s = dx_header_get(h, "status")) != NULL) {
		r->status = dx_find_status(a, s, strlen(s));
		/* "Status: 5.2.1 (mailbox disabled, not accepting messages)": the
		 * generator's own words for the failure. */
		const char *c = strchr(s, '(');
		const char *e = c ? strrchr(c, ')') : NULL;
		if (c && e && e > c + 1)
			r->summary = dx_squeeze(a, c + 1, (size_t)(e - c - 1));
	}
	if ((s = dx_header_get(h, "remote-mta")) != NULL) {
		const char *host = dx_typed_value(s);
		r->remote_mta = dx_host(a, host, strlen(host));
		r->remote_by = "the Remote-MTA field";
	}
	if ((s = dx_header_get(h, "diagnostic-code")) != NULL) {
		/* "smtp; 550 5.1.1 ..." : the type is not part of the text. */
		const char *semi = strchr(s, ';');
		const char *t = s;
		if (semi && (size_t)(semi - s) < 16 && !memchr(s, ' ', (size_t)(semi - s))) {
			/* Sendmail's local mailers report an exit status ("X-Unix;
			 * 71"): keep the type, it is what makes the number mean
			 * something. */
			if (!dx_startswith_ci(s, (size_t)(semi - s), "x-unix"))
				t = semi + 1;
		}
		r->diagnostic = dx_squeeze(a, t, strlen(t));
		if (r->diagnostic && !(r->diagnostic = dx_join_reply(a, r->diagnostic)))
			return -1;
		if (r->diagnostic && !r->diagnostic[0])
			r->diagnostic = NULL;
	}
	if ((s = dx_header_get(h, "last-attempt-date")) != NULL)
		r->last_attempt = dx_date_parse(s, strlen(s));
	if (r->diagnostic) {
		const char *d = r->diagnostic;
		size_t dn = strlen(d);
		const char *rs;
		dx_remote_reply(a, d, dn, &r->reply_code, &rs);
		r->status = dx_better_status(r->status, rs ? rs : dx_find_status(a, d, dn));
		r->command = dx_smtp_command(v->lex, d, dn);
		/* No Remote-MTA, but the diagnostic names the remote (Exchange
		 * Online's "[LastAttemptedServerName=mx.example.org]"). */
		if (!r->remote_mta && (r->remote_mta = dx_text_remote_host(v->lex, a, d, dn)) != NULL)
			r->remote_by = "the diagnostic";
	}
	return 0;
}

/* The report's text part often quotes the remote server ("host X said:
 * 550 5.1.1 ..."), which is better evidence than a generic Status or a
 * Diagnostic-Code written by the local server: take what it adds. */
static int enrich_from_text(dx_view *v, dx_bounce *b)
{
	dx_text_finding *f;
	unsigned n;
	int got = dx_text_findings(v, &f, &n);
	if (got < 0)
		return -1;
	if (got == 0) {
		/* The text names no recipient, but a lone recipient's report may
		 * still quote the remote's answer (a Sendmail transcript). */
		dx_text t;
		if (b->nrcpts == 1 && !b->rcpts[0].reply_code && dx_view_plain(v, &t) > 0) {
			dx_rcpt *r = &b->rcpts[0];
			const char *st;
			size_t at = dx_remote_reply_at(v->arena, t.p, t.n, &r->reply_code, &st);
			r->status = dx_better_status(r->status, st);
			/* With no Diagnostic-Code, that answer's line is the one
			 * (a local recipient named without its domain: "550 5.1.1
			 * bob... User unknown"). */
			if (!r->diagnostic && at < t.n && r->reply_code) {
				size_t e = dx_line_end(t.p, t.n, at);
				/* "(reason: 550 ...)": not its closing bracket. */
				size_t ls = at;
				while (ls > 0 && t.p[ls - 1] != '\n')
					ls--;
				if (memchr(t.p + ls, '(', at - ls) && e > at && t.p[e - 1] == ')')
					e--;
				const char *d = dx_squeeze(v->arena, t.p + at, e - at);
				if (!d)
					return -1;
				r->diagnostic = *d ? d : NULL;
			}
		}
		return 0;
	}
	for (unsigned i = 0; i < b->nrcpts; i++) {
		dx_rcpt *r = &b->rcpts[i];
		const dx_text_finding *t = NULL;
		for (unsigned k = 0; k < n && !t; k++)
			if (strcmp(f[k].recipient, r->recipient) == 0)
				t = &f[k];
		if (!t && n == b->nrcpts && !dx_addr_valid(r->recipient))
			t = &f[i]; /* an unusable address: the text's, in the same place */
		else if (!t && n == 1 && b->nrcpts == 1)
			t = &f[0]; /* one recipient each side, named differently (an alias) */
		if (!t)
			continue;
		if (!dx_addr_valid(r->recipient))
			r->recipient = t->recipient;
		if (!r->summary || (t->text && r->summary && strlen(r->summary) < 64)) {
			/* The text part says more than a status comment. */
			if (r->summary && t->text) {
				if (!(r->summary = dx_join(v->arena, t->text, "; ", r->summary)))
					return -1;
			} else if (t->text)
				r->summary = t->text;
			if (t->sentence && r->summary &&
			    !(r->summary = dx_join(v->arena, t->sentence, "; ", r->summary)))
				return -1;
		}
		if (t->reply_code && !r->reply_code && t->diagnostic) {
			/* The remote's own reply: it becomes the diagnostic. */
			if (r->diagnostic && !r->summary)
				r->summary = r->diagnostic;
			r->diagnostic = t->diagnostic;
			r->reply_code = t->reply_code;
		} else if (!r->diagnostic)
			r->diagnostic = t->diagnostic;
		r->status = dx_better_status(r->status, t->status);
		if (r->summary && r->diagnostic && strcmp(r->summary, r->diagnostic) == 0)
			r->summary = NULL; /* the text only repeats the diagnostic */
		if (!r->remote_mta) {
			r->remote_mta = t->remote_mta;
			r->remote_by = t->remote_by;
		}
		if (!r->command)
			r->command = t->command;
	}
	return 0;
}

/* A Diagnostic-Code that holds only the first line of a reply of several
 * ("550-5.7.1 ... an unusual rate of", Sendmail) while the report's
 * transcript has them all ("<<< 550-5.7.1 ...", "<<< 550 5.7.1 ..."): the
 * whole reply, its lines joined. 0, or -1 on memory. */
static int same_start(const char *line, size_t ln, const char *d, size_t key)
{
	/* Spaces squeezed, and the reply's "550-" read as "550 ", as the
	 * diagnostic has them. */
	size_t i = 0, k = 0;
	while (k < key && i < ln) {
		char c = line[i];
		if (c == ' ' || c == '\t') {
			while (i < ln && (line[i] == ' ' || line[i] == '\t'))
				i++;
			c = ' ';
		} else
			i++;
		if (k == 3 && c == '-')
			c = ' ';
		if (d[k] != c)
			return 0;
		k++;
	}
	return k == key;
}

enum { WHOLE_REPLY_RCPTS = 64, WHOLE_REPLY_BYTES = 256 * 1024 };

static int whole_reply(dx_view *v, dx_rcpt *r)
{
	enum { KEY = 32, MAX_LINES = 16 };
	const char *d = r->diagnostic;
	size_t dn = d ? strlen(d) : 0;
	if (dn < KEY || !(d[0] == '4' || d[0] == '5'))
		return 0;
	dx_text t;
	int got = dx_view_plain(v, &t);
	if (got <= 0)
		return got;
	/* The transcript's line with the reply's start, when the reply goes
	 * on ("<<< 550-5.7.1 ..."). */
	size_t pos = 0, start = t.n;
	while (pos < t.n) {
		size_t e = dx_line_end(t.p, t.n, pos);
		if (e - pos > 8 + KEY && memcmp(t.p + pos, "<<< ", 4) == 0 && t.p[pos + 7] == '-' &&
		    same_start(t.p + pos + 4, e - pos - 4, d, KEY)) {
			start = pos;
			break;
		}
		pos = e + 1;
	}
	if (start == t.n)
		return 0;
	char *o = dx_arena_alloc(v->arena, t.n + 1);
	if (!o)
		return -1;
	size_t k = 0;
	pos = start;
	for (int lines = 0; pos < t.n && lines < MAX_LINES; lines++) {
		size_t e = dx_line_end(t.p, t.n, pos);
		if (e - pos < 8 || memcmp(t.p + pos, "<<< ", 4) != 0 || memcmp(t.p + pos + 4, d, 3) != 0 ||
		    (t.p[pos + 7] != '-' && t.p[pos + 7] != ' '))
			break;
		if (k)
			o[k++] = ' ';
		memcpy(o + k, t.p + pos + 4, e - pos - 4);
		k += e - pos - 4;
		if (t.p[pos + 7] == ' ')
			break; /* the reply's last line */
		pos = e + 1;
	}
	o[k] = '\0';
	char *joined = dx_join_reply(v->arena, o);
	if (!joined)
		return -1;
	char *sq = dx_squeeze(v->arena, joined, strlen(joined));
	if (!sq)
		return -1;
	if (strlen(sq) > dn)
		r->diagnostic = sq;
	return 0;
}

/* Whether part p is q or under it. */
static int part_under(const dx_mime_part *q, const dx_mime_part *p)
{
	for (; q; q = q->next) {
		if (q == p || (q->child && part_under(q->child, p)))
			return 1;
	}
	return 0;
}

static int decode(dx_view *v, dx_bounce *b, int nested)
{
	dx_mime_part *ds = find_status_part(v->root, nested);
	if (!ds)
		return 0;
	if (nested) {
		/* A report wrapped in a message: its original is in there. */
		dx_mime_part *m = dx_mime_find(v->root, "message", "rfc822", 0);
		if (m && m->child && part_under(m->child, ds))
			b->original_within = m->child;
	}
	dx_text body;
	if (dx_mime_body(v->mime, ds, &body) < 0)
		return -1;

	size_t i = 0;
	/* Leading blank lines are not a group. */
	while (i < body.n && (body.p[i] == '\n' || dx_is_wsp(body.p[i])))
		i++;
	while (i < body.n) {
		size_t next;
		size_t len = group_len(body.p + i, body.n - i, &next);
		dx_header h;
		size_t hb;
		if (dx_header_parse(v->arena, v->mime->kernel, body.p + i, len, &v->mime->header, &h, &hb) < 0)
			return -1;
		if (dx_header_get(&h, "reporting-mta") && !b->reporting_mta) {
			const char *m = dx_typed_value(dx_header_get(&h, "reporting-mta"));
			b->reporting_mta = dx_host(v->arena, m, strlen(m));
		}
		const char *arr = dx_header_get(&h, "arrival-date");
		if (arr && b->arrival == DX_NO_TIME)
			b->arrival = dx_date_parse(arr, strlen(arr));
		/* Some generators (AOL's, for one) write the recipients' fields
		 * without the blank lines between them: a second Final-Recipient
		 * in one group starts the next recipient. */
		unsigned first = 0;
		int has_final = 0, has_orig = 0;
		for (unsigned k = 0; k <= h.n; k++) {
			int is_final = k < h.n && strcmp(h.fields[k].name, "final-recipient") == 0;
			int is_orig = k < h.n && strcmp(h.fields[k].name, "original-recipient") == 0;
			if (k == h.n || (is_final && has_final) || (is_orig && has_final && has_orig)) {
				dx_header slice = {h.fields + first, k - first, 0, 0};
				if ((dx_header_get(&slice, "final-recipient") || dx_header_get(&slice, "original-recipient") ||
				     dx_header_get(&slice, "x-actual-recipient")) &&
				    read_recipient(v, b, &slice) < 0)
					return -1;
				first = k;
				has_final = has_orig = 0;
			}
			has_final |= is_final;
			has_orig |= is_orig;
		}
		i += next;
	}
	if (b->nrcpts == 0)
		return 0;
	if (enrich_from_text(v, b) < 0)
		return -1;
	/* Each recipient's search reads the report's text: bounded, so that
	 * a report of thousands of recipients costs no more than a small one
	 * (a transcript is short, and names few hosts). */
	dx_text plain;
	int has_plain = b->nrcpts <= WHOLE_REPLY_RCPTS ? dx_view_plain(v, &plain) : 0;
	if (has_plain < 0)
		return -1;
	if (has_plain && plain.n <= WHOLE_REPLY_BYTES && dx_memmem(plain.p, plain.n, "<<< ", 4))
		for (unsigned k = 0; k < b->nrcpts; k++)
			if (whole_reply(v, &b->rcpts[k]) < 0)
				return -1;
	b->decoder = "rfc3464";
	return 1;
}

int dx_decode_rfc3464(dx_view *v, dx_bounce *b)
{
	return decode(v, b, 0);
}

/* A gateway may wrap the real report in a message of its own, with only
 * an introduction outside it. Tried after every other decoder, so that a
 * bounce whose returned original happens to be a report is read as the
 * outer bounce. */
int dx_decode_rfc3464_nested(dx_view *v, dx_bounce *b)
{
	/* Not a person's reply or forward ("Fwd: Undelivered Mail ..."), which
	 * is mail about a bounce, as for a bounce attached whole (decode.c). */
	if (dx_persons_reply(v->hdr, &v->from_line))
		return 0;
	return decode(v, b, 1);
}
