/* decode.c: one message in, records out.
 *
 * The stages for one message, all in the context's arena:
 *   normalise (line endings, mbox escapes) -> index the top header ->
 *   detect (stop here for ordinary mail) -> parse MIME -> run the decoders
 *   in order until one reads the bounce -> find the returned original ->
 *   classify each recipient -> emit records.
 * Also the engine (options and compiled rules shared by threads) and the
 * per-thread decoding context.
 *
 * On bad input: a message that is bounce-like by structure but that no
 * decoder reads is DX_UNDECODED; a limit hit (parts, depth, recipients,
 * header fields, arena size) is a warning through the diag callback, and
 * decoding goes on with what was read.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "bounce.h"
#include "charset.h"
#include "classify.h"
#include "hash.h"
#include "detect.h"
#include "mbox.h"
#include "dsnidx.h"
#include "decode.h"
#include "rfc2045.h"
#include "rfc2047.h"
#include "rfc5322.h"
#include "scan.h"
#include "text.h"

/* Tried in this order; the first that reads the bounce decides it. The
 * standard report first: it is structured, so it is the best evidence. */
static const dx_decoder decoders[] = {
	{"rfc3464", dx_decode_rfc3464},
	{"arf", dx_decode_arf},
	{"amazonses", dx_decode_amazonses},
	{"exchange", dx_decode_exchange},
	{"mailman", dx_decode_listmgr},
	{"rfc3834", dx_decode_rfc3834},
	{"text", dx_decode_text},
	{"rfc3464", dx_decode_rfc3464_nested},
};

void dx_limits_default(dx_limits *l)
{
	l->max_message_size = 64u << 20;
	l->max_mime_depth = 32;
	l->max_mime_parts = 1000;
	l->max_recipients = 10000;
	l->max_header_fields = 1000;
	l->max_header_line = 1u << 20;
	l->max_text = 8u << 20;
	l->max_queue_ids = 100000;
	l->max_nesting = 8;
	l->max_7z_memory = (uint64_t)256 << 20;
	l->max_expanded = (uint64_t)256 << 30;
	l->max_ratio = 1000;
}

void dx_options_default(dx_options *o)
{
	memset(o, 0, sizeof *o);
	dx_limits_default(&o->limits);
}

const char *dx_status_name(dx_status st)
{
	switch (st) {
	case DX_OK: return "ok";
	case DX_ERR_NOMEM: return "out of memory";
	case DX_ERR_IO: return "input/output error";
	case DX_ERR_USAGE: return "usage error";
	case DX_ERR_DB: return "database error";
	case DX_ERR_SCHEMA: return "incompatible database";
	case DX_ERR_RULES: return "bad rules";
	case DX_ERR_ABORTED: return "aborted";
	case DX_ERR_BUSY: return "busy";
	}
	return "unknown error";
}

dx_status dx_engine_new(const dx_options *opts, dx_engine **out, dx_error *err)
{
	*out = NULL;
	dx_engine *e = calloc(1, sizeof *e);
	if (!e)
		goto nomem;
	if (opts)
		e->opts = *opts;
	else
		dx_options_default(&e->opts);
	/* The MIME tree is built recursively, a few hundred bytes of stack a
	 * level: the depth is held where any thread's stack can take it. */
	if (e->opts.limits.max_mime_depth > DX_MAX_MIME_DEPTH)
		e->opts.limits.max_mime_depth = DX_MAX_MIME_DEPTH;
	if (e->opts.rules_file) {
		e->rules_file = strdup(e->opts.rules_file);
		if (!e->rules_file)
			goto nomem;
		e->opts.rules_file = e->rules_file;
	}
	e->kernel = dx_scan_best();
	e->rules = dx_rules_new();
	e->lex = dx_lexicon_new();
	if (!e->rules || !e->lex)
		goto nomem;
	if (e->opts.no_jit)
		dx_rules_no_jit(e->rules);
	dx_status st;
	if (e->opts.rules_file && (st = dx_rules_add_file(e->rules, e->opts.rules_file, err)) != DX_OK) {
		dx_engine_free(e);
		return st;
	}
	if ((st = dx_rules_add_builtin(e->rules, err)) != DX_OK) {
		dx_engine_free(e);
		return st;
	}
	*out = e;
	return DX_OK;
nomem:
	dx_engine_free(e);
	if (err) {
		err->code = DX_ERR_NOMEM;
		snprintf(err->message, sizeof err->message, "out of memory");
	}
	return DX_ERR_NOMEM;
}

void dx_engine_free(dx_engine *e)
{
	if (!e)
		return;
	dx_rules_free(e->rules);
	dx_lexicon_free(e->lex);
	free(e->rules_file);
	free(e);
}

const dx_options *dx_engine_options(const dx_engine *e)
{
	return &e->opts;
}

dx_dctx *dx_dctx_new(const dx_engine *e)
{
	dx_dctx *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->engine = e;
	d->tz_key = -1;
	/* The arena may hold a decoded copy or two of the message, never much
	 * more; the cap stops a hostile message from taking all memory. */
	size_t cap = e->opts.limits.max_message_size;
	dx_arena_init(&d->arena, cap > SIZE_MAX / 8 ? SIZE_MAX : cap * 8 + (64u << 20));
	d->charsets = dx_charset_new();
	d->matcher = dx_matcher_new(e->rules);
	if (!d->charsets || !d->matcher) {
		dx_dctx_free(d);
		return NULL;
	}
	return d;
}

void dx_dctx_free(dx_dctx *d)
{
	if (!d)
		return;
	dx_arena_free(&d->arena);
	dx_charset_free(d->charsets);
	dx_matcher_free(d->matcher);
	free(d);
}

/* ---- helpers ------------------------------------------------------------- */

static void warn(void (*diag)(void *, const dx_diag *), void *arg, const dx_message *m, const char *what)
{
	if (!diag)
		return;
	dx_diag dg = {DX_DIAG_WARNING, m->source, (int64_t)m->offset, what};
	diag(arg, &dg);
}

static const char *normal_action(const dx_rcpt *r)
{
	static const char *const known[] = {"failed", "delayed", "delivered", "relayed", "expanded"};
	/* An abuse report or an auto-reply is no delivery attempt: no action. */
	if (r->reason && !r->action)
		return "";
	if (r->action)
		for (size_t i = 0; i < 5; i++)
			if (strcmp(r->action, known[i]) == 0)
				return known[i];
	if (r->action) {
		/* Words that generators use instead of the RFC 3464 ones. */
		if (strstr(r->action, "fail") || strstr(r->action, "bounce") || strstr(r->action, "error") ||
		    strstr(r->action, "reject"))
			return "failed";
		if (strstr(r->action, "delay") || strstr(r->action, "defer"))
			return "delayed";
	}
	char cls = r->status ? r->status[0] : (r->reply_code ? (char)('0' + r->reply_code / 100) : '5');
	return cls == '4' ? "delayed" : cls == '2' ? "delivered" : "failed";
}

const char *dx_clean_text(dx_arena *a, const char *s, size_t max)
{
	if (!s)
		return "";
	size_t n = strlen(s);
	/* Most texts are clean already: no copy then. */
	if (n <= max && dx_utf8_is_plain(s, n))
		return s;
	if (n > max) {
		/* Cut at a character boundary. */
		n = max;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	const char *c = dx_utf8_clean(a, s, n);
	return c ? c : "";
}

static const char *strip_angles(dx_arena *a, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	s = dx_trim(s, &n);
	if (n >= 2 && s[0] == '<') {
		const char *e = memchr(s, '>', n);
		if (e)
			return dx_arena_strndup(a, s + 1, (size_t)(e - s - 1));
	}
	return dx_arena_strndup(a, s, n);
}

/* Whether host is an IPv4 or IPv6 address rather than a name. */
static int is_address_literal(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

/* The host of a Received field's "from" clause when the bounce's daemon
 * address (From: postmaster@gw.example.org) is at that very host; NULL
 * otherwise, or on memory. */
static const char *gateway_host(dx_arena *a, const dx_field *rcv, const char *from)
{
	if (!dx_daemon_sender(from, strlen(from)))
		return NULL;
	const char *v = rcv->value;
	size_t n = rcv->value_len;
	while (n && dx_is_space(*v)) {
		v++;
		n--;
	}
	if (n < 6 || dx_strncasecmp(v, "from ", 5) != 0)
		return NULL;
	size_t hl = 0;
	while (5 + hl < n && !dx_is_space(v[5 + hl]))
		hl++;
	const char *host = dx_host(a, v + 5, hl);
	const char *addr = dx_addr_extract(a, from, strlen(from));
	const char *dom = addr ? dx_addr_domain(addr) : NULL;
	if (!host || !dom || !strchr(host, '.') || is_address_literal(host) || strcasecmp(host, dom) != 0)
		return NULL;
	return host;
}

/* A bounce without an enhanced status code still gets one, so that every
 * record can be counted by status: CLASS.0.9SD, where SD are the subject
 * and detail digits of the reason's representative RFC 3463 code and CLASS
 * comes from the reply code or the action. This is the convention of the
 * sisimai project (x.0.9xx cannot clash with registered codes), kept so
 * that counts compare with tools built on it. */
static const char *pseudo_status(dx_arena *a, const char *reason, int reply_code, const char *action)
{
	static const struct {
		const char *reason;
		const char *sd;
	} table[] = {
		{"undefined", "00"}, {"onhold", "01"}, {"filtered", "10"}, {"userunknown", "11"},
		{"hostunknown", "12"}, {"hasmoved", "16"}, {"rejected", "18"}, {"suspend", "21"},
		{"mailboxfull", "22"}, {"exceedlimit", "23"}, {"systemerror", "30"}, {"systemfull", "31"},
		{"notaccept", "32"}, {"mesgtoobig", "34"}, {"mailererror", "39"}, {"networkerror", "40"},
		{"expired", "47"}, {"syntaxerror", "50"}, {"toomanyconn", "53"}, {"contenterror", "60"},
		{"securityerror", "70"}, {"blocked", "71"}, {"policyviolation", "72"}, {"requireptr", "73"},
		{"authfailure", "74"}, {"badreputation", "75"}, {"failedstarttls", "76"}, {"norelaying", "77"},
		{"spamdetected", "78"}, {"virusdetected", "79"}, {"speeding", "80"}, {"suppressed", "81"},
		{"notcompliantrfc", "82"},
	};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (strcmp(table[i].reason, reason) != 0)
			continue;
		char cls = '5';
		if (reply_code >= 400 && reply_code < 500)
			cls = '4';
		else if (!reply_code && strcmp(action, "delayed") == 0)
			cls = '4';
		char buf[16];
		snprintf(buf, sizeof buf, "%c.0.9%s", cls, table[i].sd);
		return dx_arena_strdup(a, buf);
	}
	return NULL; /* delivered, vacation, feedback: no failure, no code */
}

/* ---- decoding ------------------------------------------------------------- */

static int run_decoders(dx_view *v, dx_bounce *b, const dx_options *o)
{
	for (size_t i = 0; i < sizeof decoders / sizeof decoders[0]; i++) {
		memset(b, 0, sizeof *b);
		b->arrival = DX_NO_TIME;
		b->max_rcpts = o->limits.max_recipients;
		int got = decoders[i].decode(v, b);
		if (got > 0 && !b->decoder)
			b->decoder = decoders[i].name;
		if (got)
			return got;
	}
	return 0;
}

/* *inner: the view of a message inside v (header hdr, text p[0..n)),
 * with nothing of v's cached views; the caller sets its MIME root. */
static void inner_view(const dx_view *v, dx_view *inner, const dx_header *hdr, const char *p, size_t n)
{
	*inner = *v;
	inner->hdr = hdr;
	inner->text.p = p;
	inner->text.n = n;
	inner->from_line.p = NULL;
	inner->from_line.n = 0;
	inner->plain_state = 0;
	inner->report_state = 0;
	inner->report_command_state = 0;
}

/* Finds a whole message inside the bounce's text (a From_ line, or a
 * header block that starts with "Return-Path: <>"), and decodes it as a
 * bounce of its own. Returns 1 with *inner set, 0, or -1 on memory. */
static int embedded_bounce(dx_view *v, dx_view *inner, dx_bounce *b, const dx_options *o)
{
	dx_text t;
	int got = dx_view_plain(v, &t);
	if (got <= 0)
		return got;
	size_t pos = 0, start = t.n;
	while (pos < t.n) {
		size_t e = dx_line_end(t.p, t.n, pos);
		if (pos > 0 && dx_mbox_from_line(t.p + pos, t.n - pos) == 1) {
			start = e < t.n ? e + 1 : t.n;
			break;
		}
		if (pos > 0 && e - pos >= 15 && dx_strncasecmp(t.p + pos, "return-path: <>", 15) == 0) {
			start = pos;
			break;
		}
		pos = e + 1;
	}
	if (start >= t.n)
		return 0;
	dx_header *hdr = dx_arena_alloc(v->arena, sizeof *hdr);
	if (!hdr)
		return -1;
	size_t body;
	if (dx_header_parse(v->arena, v->mime->kernel, t.p + start, t.n - start, &v->mime->header, hdr, &body) < 0)
		return -1;
	inner_view(v, inner, hdr, t.p + start, t.n - start);
	inner->root = dx_mime_parse_under(v->mime, inner->text.p, inner->text.n, hdr, body);
	if (!inner->root)
		return -1;
	return run_decoders(inner, b, o);
}


/* A bounce attached whole to a message about it (a list manager's
 * "Uncaught bounce notification", a gateway that returns the bounce it
 * got): the first message/rfc822 part that is a bounce by its own header,
 * decoded as the bounce. Not for a person's forward ("Fwd: ..."): that is
 * mail about a bounce; a mailbox rule's forward (Auto-Submitted) is read.
 * Returns 1 with *inner set, 0, or -1 on memory. */
static int attached_bounce(dx_view *v, dx_view *inner, dx_bounce *b, const dx_options *o)
{
	if (dx_persons_reply(v->hdr, &v->from_line))
		return 0;
	/* Only the first attached message: a notice carries one bounce. */
	dx_mime_part *m = dx_mime_find(v->root, "message", "rfc822", 0);
	dx_mime_part *msg = m ? m->child : NULL;
	if (!msg)
		return 0;
	const char *is = dx_header_get(&msg->hdr, "subject");
	const char *ifrom = dx_header_get(&msg->hdr, "from");
	if (dx_detect(&msg->hdr, NULL, is, ifrom) != DX_DETECT_STRONG)
		return 0;
	inner_view(v, inner, &msg->hdr, m->body, m->body_len);
	inner->detected = DX_DETECT_STRONG;
	inner->root = msg;
	return run_decoders(inner, b, o);
}

/* Where a line's SMTP reply begins: after indentation and a transcript's
 * "<<<", a 4xx or 5xx code standing alone; NULL when the line is none. */
static const char *reply_start(const char *p, const char *e)
{
	while (p < e && dx_is_space(*p))
		p++;
	if (e - p >= 3 && memcmp(p, "<<<", 3) == 0)
		p += 3;
	while (p < e && dx_is_space(*p))
		p++;
	if (e - p < 3 || (p[0] != '4' && p[0] != '5') || (unsigned)(p[1] - '0') > 9 || (unsigned)(p[2] - '0') > 9)
		return NULL;
	if (e - p > 3 && p[3] != ' ' && p[3] != '-' && p[3] != '\t')
		return NULL;
	return p;
}

/* The returned message of a bounce as text: a message/rfc822 (or global)
 * part as written, else what follows the report in the plain text. */
static dx_text returned_text(const dx_view *v)
{
	dx_text t = {NULL, 0};
	static const char *const msg_types[] = {"rfc822", "global"};
	for (size_t i = 0; i < 2; i++) {
		dx_mime_part *m = dx_mime_find(v->root, "message", msg_types[i], 0);
		if (m && m->body_len) {
			t.p = m->body;
			t.n = m->body_len;
			return t;
		}
	}
	if (v->plain_state == 1 && v->report_state == 1 && v->report_orig < v->plain.n) {
		t.p = v->plain.p + v->report_orig;
		t.n = v->plain.n - v->report_orig;
	}
	return t;
}

/* Bytes of the returned message searched for a reply: transcripts come
 * first in a returned bounce, and an attachment is no evidence. */
#define RETURNED_SEARCH (64u << 10)
/* And for at most this many recipients of a bounce: the gateway that
 * returns a bounce names a few; a report of thousands of recipients
 * without a cause would otherwise search it thousands of times. */
#define RETURNED_RCPTS 32u

/* The reply at `reply` on the line ending at e, with the indented lines
 * it is folded onto (Postfix's "said:" text, at most three), as one line
 * in the arena; *command gets the stage named from `from` to its end. */
static const char *reply_evidence(dx_arena *a, const dx_lexicon *lx, const char *p, size_t n, const char *reply,
				  size_t e, size_t from, const char **command)
{
	size_t end = e;
	for (int k = 0; k < 3 && end + 1 < n && (p[end + 1] == ' ' || p[end + 1] == '\t'); k++) {
		size_t ne = dx_line_end(p, n, end + 1);
		size_t f = end + 1;
		while (f < ne && dx_is_space(p[f]))
			f++;
		if (f == ne || (f + 3 <= ne && (!memcmp(p + f, "<<<", 3) || !memcmp(p + f, ">>>", 3))))
			break;
		end = ne;
	}
	size_t len = (size_t)(p + end - reply);
	while (len && dx_is_space(reply[len - 1]))
		len--;
	*command = dx_smtp_command(lx, p + from, end - from);
	char *ev = dx_arena_strndup(a, reply, len < 998 ? len : 998);
	if (!ev)
		return NULL;
	/* One line: a fold and its indentation are one space. */
	size_t o = 0;
	for (size_t i = 0; ev[i]; i++) {
		if (dx_is_space(ev[i]) && o && ev[o - 1] == ' ')
			continue;
		ev[o++] = dx_is_space(ev[i]) ? ' ' : ev[i];
	}
	ev[o] = '\0';
	return ev;
}

/* 1 when the line p[pos..e) begins (after indentation) with ">>>". */
static int sent_line(const char *p, size_t pos, size_t e)
{
	while (pos < e && dx_is_space(p[pos]))
		pos++;
	return e - pos >= 3 && memcmp(p + pos, ">>>", 3) == 0;
}

/* Lines above a reply searched for the transcript's command it answers
 * (">>> DATA", then "<<< 354 ...", the message, "<<< 550 ..."). */
#define COMMAND_LINES 8

/* An SMTP reply in the returned message t that is about recipient: a
 * line "550 5.1.1 <rcpt>... Unknown" (after "<<<" or indentation) or a
 * line "<rcpt>: host ... said: 550 ..." naming it, or the reply line right
 * after a ">>> RCPT To:<rcpt>" line. A copy of the reply, or NULL when
 * there is none; *command gets the SMTP stage that the transcript's last
 * command before it names (or NULL). This is the evidence of a gateway
 * that returns, undelivered, a bounce about the same recipient. */
static const char *returned_reply(dx_arena *a, const dx_lexicon *lx, dx_text t, const char *rcpt,
				  const char **command)
{
	size_t n = t.n < RETURNED_SEARCH ? t.n : RETURNED_SEARCH;
	*command = NULL;
	if (!*rcpt)
		return NULL;
	/* From one mention of the recipient to the next: most returned
	 * messages name it once or twice, and hold no reply at all. */
	const char *hit;
	for (size_t at = 0; at < n && (hit = dx_memcasemem(t.p + at, n - at, rcpt)) != NULL;) {
		size_t pos = (size_t)(hit - t.p);
		while (pos > 0 && t.p[pos - 1] != '\n')
			pos--;
		size_t e = dx_line_end(t.p, n, pos);
		const char *l = t.p + pos, *le = t.p + e;
		const char *reply = reply_start(l, le);
		if (!reply) {
			/* "<rcpt>: host mx.example.org[192.0.2.1] said: 550 ..." */
			const char *said = dx_memcasemem(l, (size_t)(le - l), " said:");
			if (said)
				reply = reply_start(said + 6, le);
		}
		if (reply) {
			/* The stage: from the transcript's last command before it. */
			size_t from = (size_t)(reply - t.p);
			int up = 0;
			for (size_t b = pos; b > 0 && up < COMMAND_LINES; up++) {
				size_t bs = b - 1;
				while (bs > 0 && t.p[bs - 1] != '\n')
					bs--;
				if (sent_line(t.p, bs, b - 1)) {
					from = bs;
					break;
				}
				b = bs;
			}
			return reply_evidence(a, lx, t.p, n, reply, e, from, command);
		}
		/* ">>> RCPT To:<rcpt>", answered on the next line. */
		if (sent_line(t.p, pos, e) && dx_memcasemem(l, (size_t)(le - l), "rcpt to") && e + 1 < n) {
			size_t ne = dx_line_end(t.p, n, e + 1);
			const char *next = reply_start(t.p + e + 1, t.p + ne);
			if (next)
				return reply_evidence(a, lx, t.p, n, next, ne, pos, command);
		}
		at = e + 1;
	}
	return NULL;
}

/* A record's key: the bounce's identity, the recipient's place in it and
 * the address. */
static void record_key(const dx_hash *msg, unsigned index, const char *recipient, uint64_t key[2])
{
	dx_hasher h;
	dx_hasher_init(&h, 1);
	unsigned char head[20];
	for (int i = 0; i < 8; i++) {
		head[i] = (unsigned char)(msg->lo >> (8 * i));
		head[8 + i] = (unsigned char)(msg->hi >> (8 * i));
	}
	for (int i = 0; i < 4; i++)
		head[16 + i] = (unsigned char)(index >> (8 * i));
	dx_hasher_add(&h, head, sizeof head);
	dx_hasher_add(&h, recipient, strlen(recipient));
	dx_hash k = dx_hasher_end(&h);
	key[0] = k.lo;
	key[1] = k.hi;
}

int dx_emit_records(dx_dctx *d, const dx_bounce *b, const dx_record *base, int64_t msg_time, const dx_hash *msg_id,
		    int include_delivered, dx_record_fn fn, dx_explain_fn xfn, void *arg, unsigned *emitted)
{
	dx_arena *a = &d->arena;
	dx_record rec = *base;
	for (unsigned i = 0; i < b->nrcpts; i++) {
		const dx_rcpt *r = &b->rcpts[i];
		const char *action = normal_action(r);
		int success = strcmp(action, "delivered") == 0 || strcmp(action, "relayed") == 0 ||
			      strcmp(action, "expanded") == 0;
		if (success && !include_delivered)
			continue;
		dx_facts facts = {
			.status = r->status,
			.reply_code = r->reply_code,
			.action = action,
			.decoder = b->decoder,
			.command = r->command,
			.remote_mta = r->remote_mta,
			.diagnostic = r->diagnostic,
			.summary = r->summary,
			.evidence = r->evidence,
			.evidence_command = r->evidence_command,
		};
		dx_verdict verdict, *v = &verdict;
		if (r->reason) {
			memset(v, 0, sizeof *v);
			v->reason = r->reason;
			v->matched = "decoder";
		} else
			dx_classify(d->matcher, &facts, v);
		const char *status = r->status;
		if (!status && !r->reason)
			status = pseudo_status(a, v->reason, r->reply_code, action);

		rec.index = ++*emitted;
		rec.timestamp = r->last_attempt != DX_NO_TIME ? r->last_attempt : msg_time;
		rec.recipient = dx_clean_text(a, r->recipient, 320);
		record_key(msg_id, rec.index, rec.recipient, rec.key);
		rec.domain = dx_clean_text(a, dx_addr_domain(r->recipient), 255);
		rec.action = action;
		rec.status = status ? dx_clean_text(a, status, 16) : "";
		rec.reply_code = r->reply_code;
		rec.reason = v->reason;
		rec.hard_bounce = dx_hard_bounce(v->reason, status, r->reply_code, action);
		rec.remote_mta = dx_clean_text(a, r->remote_mta, 255);
		/* A domain without a mail host names no server: the name the
		 * report gives as the one it tried ("LastAttemptedServerName=
		 * example.net" of a domain that does not exist) is the domain. */
		if (strcmp(v->reason, "hostunknown") == 0 && strcasecmp(rec.remote_mta, rec.domain) == 0)
			rec.remote_mta = "";
		rec.diagnostic = dx_clean_text(a, r->diagnostic, MAX_DIAGNOSTIC);
		rec.outcome_key = r->outcome_key;
		if (fn && fn(arg, &rec) != 0)
			return 1;
		if (xfn) {
			dx_explanation x = {
				.record = &rec,
				.command = r->command ? r->command : "",
				.summary = dx_clean_text(a, r->summary, MAX_DIAGNOSTIC),
				.reason_by = v->matched,
				.evidence = v->matched && !strcmp(v->matched, "returned message") && r->evidence
						    ? dx_clean_text(a, r->evidence, MAX_DIAGNOSTIC)
						    : "",
				.rule_file = v->rule_file ? v->rule_file : "",
				.rule_line = v->rule_line,
				.rule_text = v->rule_text ? v->rule_text : "",
				.status_pseudo = !r->status && status,
				.remote_by = !rec.remote_mta[0] ? "" : r->remote_by ? r->remote_by : "the report",
			};
			if (xfn(arg, &x) != 0)
				return 1;
		}
	}
	return 0;
}

static dx_outcome decode(dx_dctx *d, const dx_message *msg, dx_record_fn fn, dx_explain_fn xfn, void *arg,
			 void (*diag)(void *arg, const dx_diag *dg), unsigned *nrecords)
{
	const dx_options *o = &d->engine->opts;
	dx_arena *a = &d->arena;
	unsigned emitted = 0;
	dx_outcome outcome = DX_NOT_BOUNCE;
	if (nrecords)
		*nrecords = 0;
	dx_arena_reset(a);

	dx_text text, from_line;
	if (dx_normalise(a, msg->data, msg->len, msg->from_mbox, &text, &from_line) < 0)
		goto nomem;
	dx_header hdr;
	size_t body;
	dx_header_limits hlim = {o->limits.max_header_fields, o->limits.max_header_line};
	if (dx_header_parse(a, d->engine->kernel, text.p, text.n, &hlim, &hdr, &body) < 0)
		goto nomem;
	/* Subjects and sender names are often encoded words ("=?utf-8?...");
	 * decoding them costs nothing for the rest, which have no "=?". */
	const char *subj = dx_header_get(&hdr, "subject");
	const char *from = dx_header_get(&hdr, "from");
	if (subj && strstr(subj, "=?") && !(subj = dx_rfc2047_decode(a, d->charsets, subj, strlen(subj))))
		goto nomem;
	if (from && strstr(from, "=?") && !(from = dx_rfc2047_decode(a, d->charsets, from, strlen(from))))
		goto nomem;
	int detected = dx_detect(&hdr, &from_line, subj, from);
	if (detected == DX_DETECT_NO)
		return DX_NOT_BOUNCE;

	dx_mime_ctx mime = {
		.arena = a,
		.kernel = d->engine->kernel,
		.charsets = d->charsets,
		.max_depth = o->limits.max_mime_depth,
		.max_parts = o->limits.max_mime_parts,
		.header = hlim,
		.max_text = o->limits.max_text,
	};
	dx_view view = {.arena = a, .mime = &mime, .hdr = &hdr, .text = text, .from_line = from_line,
			.detected = detected, .max_recipients = o->limits.max_recipients, .lex = d->engine->lex};
	view.root = dx_mime_parse_under(&mime, text.p, text.n, &hdr, body);
	if (!view.root)
		goto nomem;
	if (mime.limits_hit)
		warn(diag, arg, msg, "MIME structure past max_mime_depth or max_mime_parts; the rest is not parsed");
	if (hdr.dropped)
		warn(diag, arg, msg, "more header fields than max_header_fields; the rest are ignored");
	if (hdr.truncated || mime.fields_truncated)
		warn(diag, arg, msg, "a header field longer than max_header_line; only its start is read");

	dx_bounce b;
	dx_view *vp = &view;
	int got = run_decoders(vp, &b, o);
	dx_view inner;
	if (!got && detected == DX_DETECT_STRONG) {
		/* A bounce forwarded as text (by a help desk, or a provider that
		 * returns the bounce it received): decode the message inside. */
		got = embedded_bounce(vp, &inner, &b, o);
		if (got > 0)
			vp = &inner;
	}
	if (!got) {
		got = attached_bounce(vp, &inner, &b, o);
		if (got > 0)
			vp = &inner;
	}
	if (got < 0)
		goto nomem;
	/* Said only of bounces: cutting the text of other mail changes nothing. */
	if (mime.texts_truncated && (got || detected == DX_DETECT_STRONG))
		warn(diag, arg, msg, "a text part longer than max_text; only its start is read");
	if (!got)
		return detected == DX_DETECT_STRONG ? DX_UNDECODED : DX_NOT_BOUNCE;
	outcome = DX_DECODED;
	if (b.dropped_rcpts) {
		char w[160];
		snprintf(w, sizeof w, "bounce lists more than max_recipients (%u); %u recipients not read",
			 o->limits.max_recipients, b.dropped_rcpts);
		warn(diag, arg, msg, w);
	}

	/* A recipient the report names without a word of why: look for the
	 * reason in the returned message (see returned_reply). */
	dx_text returned = {NULL, 0};
	int returned_found = 0;
	unsigned searched = 0;
	for (unsigned i = 0; i < b.nrcpts && searched < RETURNED_RCPTS; i++) {
		dx_rcpt *r = &b.rcpts[i];
		if (r->status || r->reply_code || r->reason)
			continue;
		searched++;
		if (!returned_found) {
			returned = returned_text(vp);
			returned_found = 1;
		}
		if (returned.n)
			r->evidence = returned_reply(a, vp->lex, returned, r->recipient, &r->evidence_command);
	}

	/* What every record of this bounce shares. */
	dx_header orig;
	if (dx_original_header(vp, &b, &orig) < 0)
		goto nomem;
	const char *of = dx_header_get(&orig, "from");
	const char *sender = of ? dx_addr_extract(a, of, strlen(of)) : NULL;
	const char *os = dx_header_get(&orig, "subject");
	const char *subject = os ? dx_rfc2047_decode(a, d->charsets, os, strlen(os)) : NULL;
	const char *message_id = strip_angles(a, dx_header_get(&orig, "message-id"));

	const char *date = dx_header_get(&hdr, "date");
	int64_t msg_time = date ? dx_date_parse(date, strlen(date)) : DX_NO_TIME;
	if (msg_time == DX_NO_TIME)
		msg_time = b.arrival;
	if (msg_time == DX_NO_TIME && from_line.n > 5) {
		/* "From sender DATE": the date follows the first token. */
		const char *sp = memchr(from_line.p + 5, ' ', from_line.n - 5);
		if (sp)
			msg_time = dx_date_parse_ctime(sp, (size_t)(from_line.p + from_line.n - sp));
	}

	/* A report that does not name its generating server: the host that
	 * stamped the bounce's first Received field (the bottom one), where
	 * the bounce entered the mail system. */
	if (!b.reporting_mta) {
		const dx_field *last = NULL;
		for (const dx_field *f = dx_header_next(vp->hdr, "received", NULL); f;
		     f = dx_header_next(vp->hdr, "received", f))
			last = f;
		const char *by = last ? dx_memcasemem(last->value, last->value_len, "by ") : NULL;
		if (by && (by == last->value || by[-1] == ' ' || by[-1] == ')' || by[-1] == '\t')) {
			char *h = dx_host(a, by + 3, last->value_len - (size_t)(by + 3 - last->value));
			/* "by smtp.example.com(127.0.0.1);" (Aliyun): the name only. */
			char *paren = h ? strpbrk(h, "([") : NULL;
			if (paren)
				*paren = '\0';
			b.reporting_mta = h && *h ? h : NULL;
		}
		/* "from gw.example.org ... by mail.example.org" in a bounce
		 * whose daemon address is at gw.example.org: the gateway made
		 * it, and the mail server it passed it to stamped the field. */
		const char *gw = last && from ? gateway_host(a, last, from) : NULL;
		if (gw)
			b.reporting_mta = gw;
		/* An address literal names no server (Google stamps its own
		 * with an IPv6 address that differs from one bounce to the
		 * next); the From domain does better. */
		if (b.reporting_mta && is_address_literal(b.reporting_mta))
			b.reporting_mta = NULL;
	}
	/* Else the domain of the mail system's own address
	 * (MAILER-DAEMON@mx.example.org). */
	if (!b.reporting_mta && from && dx_daemon_sender(from, strlen(from))) {
		const char *addr = dx_addr_extract(a, from, strlen(from));
		if (addr && *dx_addr_domain(addr))
			b.reporting_mta = dx_addr_domain(addr);
	}

	/* The bounce's identity: its normalised text (line ends LF, no From_
	 * line, >From unescaped) without the blank lines an mbox adds at the
	 * end, so that the same bounce in an mbox, a Maildir or a CRLF copy
	 * is the same. Each record's key adds the recipient. */
	size_t idn = text.n;
	while (idn && dx_is_space(text.p[idn - 1]))
		idn--;
	dx_hash msg_id = dx_hash128(text.p, idn, 0);

	dx_record rec;
	memset(&rec, 0, sizeof rec);
	rec.source = msg->source;
	rec.offset = msg->offset;
	rec.reporting_mta = dx_clean_text(a, b.reporting_mta, 255);
	rec.sender = dx_clean_text(a, sender, 320);
	rec.subject = dx_clean_text(a, subject, 998);
	rec.message_id = dx_clean_text(a, message_id, 998);
	rec.queue_id = "";
	rec.decoder = b.decoder;
	if (dx_emit_records(d, &b, &rec, msg_time, &msg_id, o->include_delivered, fn, xfn, arg, &emitted) < 0)
		goto nomem;
	if (nrecords)
		*nrecords = emitted;
	return outcome;

nomem:
	warn(diag, arg, msg, "message needs more memory than its arena allows (max_message_size); skipped");
	if (nrecords)
		*nrecords = emitted;
	return outcome == DX_DECODED ? DX_DECODED : DX_UNDECODED;
}

dx_outcome dx_decode(dx_dctx *d, const dx_message *msg, dx_record_fn fn, void *arg,
		     void (*diag)(void *arg, const dx_diag *dg), unsigned *nrecords)
{
	return decode(d, msg, fn, NULL, arg, diag, nrecords);
}

dx_outcome dx_decode_explain(dx_dctx *d, const dx_message *msg, dx_explain_fn fn, void *arg,
			     void (*diag)(void *arg, const dx_diag *dg), unsigned *nrecords)
{
	return decode(d, msg, NULL, fn, arg, diag, nrecords);
}
