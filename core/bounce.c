/* bounce.c: the bounce model's helpers shared by decoders; see bounce.h. */
#include "bounce.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "dsnidx.h"
#include "html.h"
#include "text.h"

dx_rcpt *dx_bounce_add(dx_bounce *b, dx_arena *a, const char *recipient)
{
	if (b->nrcpts >= b->max_rcpts) {
		b->dropped_rcpts++;
		return NULL;
	}
	if (b->nrcpts == b->cap) {
		unsigned cap = b->cap ? b->cap * 2 : 8;
		dx_rcpt *r = dx_arena_alloc(a, cap * sizeof *r);
		if (!r)
			return NULL;
		if (b->nrcpts)
			memcpy(r, b->rcpts, b->nrcpts * sizeof *r);
		b->rcpts = r;
		b->cap = cap;
	}
	dx_rcpt *r = &b->rcpts[b->nrcpts++];
	memset(r, 0, sizeof *r);
	r->recipient = recipient;
	r->last_attempt = DX_NO_TIME;
	return r;
}

dx_rcpt *dx_bounce_find(dx_bounce *b, const char *recipient)
{
	for (unsigned i = 0; i < b->nrcpts; i++)
		if (strcmp(b->rcpts[i].recipient, recipient) == 0)
			return &b->rcpts[i];
	return NULL;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

const char *dx_find_status(dx_arena *a, const char *p, size_t n)
{
	for (size_t i = 0; i + 5 <= n; i++) {
		char c = p[i];
		if ((c != '2' && c != '4' && c != '5') || p[i + 1] != '.')
			continue;
		if (i > 0 && (is_digit(p[i - 1]) || p[i - 1] == '.'))
			continue;
		size_t j = i + 2, k;
		for (k = j; k < n && is_digit(p[k]); k++)
			;
		if (k == j || k - j > 3 || k >= n || p[k] != '.')
			continue;
		size_t l = k + 1, m;
		for (m = l; m < n && is_digit(p[m]); m++)
			;
		if (m == l || m - l > 3)
			continue;
		if (m + 1 < n && p[m] == '.' && is_digit(p[m + 1]))
			continue; /* part of a longer number, like an IP address */
		return dx_arena_strndup(a, p + i, m - i);
	}
	return NULL;
}

const char *dx_better_status(const char *given, const char *from_text)
{
	if (!given)
		return from_text;
	if (!from_text || given[0] != from_text[0])
		return given;
	/* The remote's own code is the more exact evidence, unless it says
	 * less: the generic x.0.0 where the report gave a specific code, or
	 * x.Y.0 where the report gave x.Y.Z ("4.4.0" in the text of a report
	 * whose Status is 4.4.7). */
	int text_generic = strcmp(from_text + 1, ".0.0") == 0;
	int given_generic = strcmp(given + 1, ".0.0") == 0;
	if (text_generic && !given_generic)
		return given;
	const char *gd = strrchr(given, '.'), *td = strrchr(from_text, '.');
	if (gd && td && gd - given == td - from_text && strncmp(given, from_text, (size_t)(gd - given)) == 0 &&
	    strcmp(td, ".0") == 0 && strcmp(gd, ".0") != 0)
		return given;
	return from_text;
}

/* Phrases naming the stage, lower case, and the command each names (by
 * index). Order matters: "end of data" before "data", explicit phrases
 * before the bare command names of a transcript. */
static const char *const stage_phrases[] = {
	"in reply to end of data",
	"in reply to data",
	"in reply to rcpt to",
	"in reply to mail from",
	"in reply to helo",
	"in reply to ehlo",
	"in reply to starttls",
	"recipient address rejected",
	"has rejected address",
	"rejected the recipient",
	"after end of data",
	"after data",
	"after rcpt to",
	"after mail from",
	"after helo",
	"after ehlo",
	"after starttls",
	"after initial connection",
	"after pipelined end of data",
	"after pipelined data",
	"after pipelined",
	"after rcpt command",
	"after data command",
	"most progress was rcpt to response",
	"smtp:rcpt",
	"[rcpt_to]",
	"(state 18)",   /* Gmail's session states */
	"(state 17)",
	"(state 14)",
	"(state 13)",
	"(state 9)",
	"(state 8)",
	"(state 6)",
	"did not like our final data",
	"did not like our data",
	"did not like our rcpt to",
	"did not like our mail from",
	"refused to talk to me",
	"greeting failed",
	"but my name was rejected",
	"but sender was rejected",
	"rejected after data",
	"rejected after rcpt",
	"while sending rcpt to",
	"while sending mail from",
	"while sending end of data",
	"while sending data",
	"does not like recipient",
	"does not like sender",
	"connect to ",
	/* Postfix: "conversation with mx.example.org[192.0.2.2] timed out
	 * while receiving the initial server greeting" */
	"initial server greeting",
	/* GMX, web.de: "SMTP error from remote server for RCPT TO command" */
	"for rcpt to command",
	"for mail from command",
	"for data command",
	/* hMailServer: "hMailServer sent: RCPT TO:<x>", then the reply */
	"sent: rcpt to:",
	"sent: mail from:",
};
static const char *const stage_commands[] = {
	"DATA",
	"DATA",
	"RCPT",
	"MAIL",
	"HELO",
	"HELO",
	"STARTTLS",
	"RCPT",
	"RCPT",
	"RCPT",
	"DATA",
	"DATA",
	"RCPT",
	"MAIL",
	"HELO",
	"HELO",
	"STARTTLS",
	"CONN",
	"DATA",
	"DATA",
	"RCPT",
	"RCPT",
	"DATA",
	"RCPT",
	"RCPT",
	"RCPT",
	"DATA",
	"DATA",
	"RCPT",
	"RCPT",
	"MAIL",
	"MAIL",
	"STARTTLS",
	"DATA",
	"DATA",
	"RCPT",
	"MAIL",
	"CONN",
	"CONN",
	"HELO",
	"MAIL",
	"DATA",
	"RCPT",
	"RCPT",
	"MAIL",
	"DATA",
	"DATA",
	"RCPT",
	"MAIL",
	"CONN",
	"CONN",
	"RCPT",
	"MAIL",
	"DATA",
	"RCPT",
	"MAIL",
};
_Static_assert(sizeof stage_phrases / sizeof stage_phrases[0] == sizeof stage_commands / sizeof stage_commands[0],
	       "one command per stage phrase");

const char *const *dx_stage_phrase_list(size_t *n)
{
	*n = sizeof stage_phrases / sizeof stage_phrases[0];
	return stage_phrases;
}

/* The command of the last ">>> CMD" (or "Sent <<< CMD") line before the
 * first rejection in a session transcript. */
static const char *transcript_command(const char *p, size_t n)
{
	const char *last = NULL;
	int session = 0; /* a session's header was seen, no command since */
	size_t i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && p[e] != '\n')
			e++;
		const char *l = p + i;
		size_t ln = e - i;
		while (ln && (*l == ' ' || *l == '\t')) {
			l++;
			ln--;
		}
		const char *cmd = NULL;
		if (ln > 17 && (dx_startswith_ci(l, ln, "... while talking to ") ||
				dx_startswith_ci(l, ln, "while talking to "))) {
			/* A new session: a refusal before any command of
			 * it is the server's greeting. */
			session = 1;
			last = NULL;
		} else if (ln > 4 && memcmp(l, ">>> ", 4) == 0)
			cmd = l + 4;
		else if (ln > 9 && dx_strncasecmp(l, "sent <<< ", 9) == 0)
			cmd = l + 9;
		if (cmd) {
			session = 0;
			size_t cn = (size_t)(l + ln - cmd);
			if (dx_startswith_ci(cmd, cn, "rcpt"))
				last = "RCPT";
			else if (dx_startswith_ci(cmd, cn, "mail"))
				last = "MAIL";
			else if (dx_startswith_ci(cmd, cn, "data") || dx_startswith_ci(cmd, cn, "."))
				last = "DATA";
			else if (dx_startswith_ci(cmd, cn, "helo") || dx_startswith_ci(cmd, cn, "ehlo"))
				last = "HELO";
			else if (dx_startswith_ci(cmd, cn, "starttls"))
				last = "STARTTLS";
		} else if ((last || session) && ln > 4 &&
			   (memcmp(l, "<<< 4", 5) == 0 || memcmp(l, "<<< 5", 5) == 0 ||
			    dx_startswith_ci(l, ln, "received >>> 4") || dx_startswith_ci(l, ln, "received >>> 5")))
			return last ? last : "CONN";
		i = e + 1;
	}
	return NULL;
}

static int lowest_id(void *arg, size_t id, size_t end)
{
	(void)end;
	size_t *best = arg;
	if (id < *best)
		*best = id;
	return id == 0; /* nothing comes before the first */
}

/* A report that gives the failed command under a heading of its own
 * (m-FILTER: "-------SMTP command" and "DATA" on the next line). */
static const char *section_command(const char *p, size_t n)
{
	const char *h = dx_memcasemem(p, n, "-smtp command\n");
	if (!h)
		return NULL;
	const char *l = h + strlen("-smtp command\n");
	size_t ln = (size_t)(p + n - l);
	while (ln && (*l == ' ' || *l == '\t')) {
		l++;
		ln--;
	}
	static const char *const words[] = {"rcpt", "mail", "data", "helo", "ehlo"};
	static const char *const commands[] = {"RCPT", "MAIL", "DATA", "HELO", "HELO"};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (dx_startswith_ci(l, ln, words[i]))
			return commands[i];
	return NULL;
}

const char *dx_smtp_command(const dx_lexicon *lx, const char *p, size_t n)
{
	if (!p)
		return NULL;
	/* The first phrase in table order that occurs, wherever it occurs. */
	size_t best = SIZE_MAX;
	dx_phrases_scan(dx_lexicon_get(lx, DX_LEX_STAGE), p, n, lowest_id, &best);
	if (best != SIZE_MAX)
		return stage_commands[best];
	const char *c = section_command(p, n);
	return c ? c : transcript_command(p, n);
}

/* Reply codes of RFC 5321 and its extensions (AUTH, null MX, ...), and
 * the few that widespread servers send outside them: 422 (Microsoft's
 * "The recipient's mailbox is full"), 511 (qmail's chkuser: "511 sorry, no
 * mailbox here by that name"). Any other number, like a made-up 542, is
 * not taken for the server's answer. */
static int known_reply_code(int c)
{
	static const short codes[] = {
		211, 214, 220, 221, 235, 250, 251, 252,
		421, 422, 432, 450, 451, 452, 453, 454, 455, 458, 459,
		500, 501, 502, 503, 504, 511, 521, 523, 524, 525, 530, 534, 535, 538,
		550, 551, 552, 553, 554, 555, 556, 557,
	};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (codes[i] == c)
			return 1;
	return 0;
}

/* Offset of the next reply code at or after `from`, or n. */
static size_t next_reply(const char *p, size_t n, size_t from, int *code)
{
	for (size_t i = from; i + 3 <= n; i++) {
		char c = p[i];
		if (c != '2' && c != '4' && c != '5')
			continue;
		if (i > 0 && (isalnum((unsigned char)p[i - 1]) || p[i - 1] == '.' || p[i - 1] == '#' || p[i - 1] == '-' ||
			      p[i - 1] == '/' || p[i - 1] == '='))
			continue;
		if (!is_digit(p[i + 1]) || !is_digit(p[i + 2]))
			continue;
		if (i + 3 < n && !(p[i + 3] == ' ' || p[i + 3] == '-' || p[i + 3] == '\t' || p[i + 3] == '\n' ||
				   p[i + 3] == ';' || p[i + 3] == ',' || p[i + 3] == ':' || p[i + 3] == '\'' ||
				   p[i + 3] == '>' || p[i + 3] == ')' || p[i + 3] == ']'))
			continue;
		int v = (c - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
		if (!known_reply_code(v))
			continue;
		*code = v;
		return i;
	}
	return n;
}

int dx_find_reply_code(const char *p, size_t n)
{
	int code;
	const char *st;
	dx_remote_reply(NULL, p, n, &code, &st);
	return code;
}

void dx_remote_reply(dx_arena *a, const char *p, size_t n, int *code, const char **status)
{
	dx_remote_reply_at(a, p, n, code, status);
}

size_t dx_remote_reply_at(dx_arena *a, const char *p, size_t n, int *code, const char **status)
{
	*code = 0;
	*status = NULL;
	/* A failure's answer is a 4xx or 5xx; a 2xx (a greeting, an earlier
	 * accepted command) only when there is none. */
	size_t at = n, first2 = n;
	int c = 0, c2 = 0;
	for (size_t i = 0; (i = next_reply(p, n, i, &c)) < n; i++) {
		if (c >= 400) {
			at = i;
			break;
		}
		if (first2 == n) {
			first2 = i;
			c2 = c;
		}
	}
	if (at == n && first2 < n) {
		/* A 2xx counts only as a success's answer, which carries a
		 * 2.x.x code ("250 2.6.0 Message received"), not a greeting. */
		size_t k = first2 + 3;
		while (k < n && (p[k] == ' ' || p[k] == '-'))
			k++;
		if (k + 1 < n && p[k] == '2' && p[k + 1] == '.') {
			at = first2;
			c = c2;
		}
	}
	if (at == n)
		return n;
	/* A local server quoting the remote's answer in brackets ("554 4.4.7
	 * Message expired ...<421 4.4.2 Connection timed out>"): the inner
	 * answer is the remote's own. */
	for (size_t i = at + 3; i < n; i++) {
		if (p[i] != '<')
			continue;
		int ic;
		size_t j = next_reply(p, n, i + 1, &ic);
		if (j == i + 1 && ic >= 400) {
			at = j;
			c = ic;
			break;
		}
	}
	*code = c;
	if (!a)
		return at;
	/* Its enhanced code follows it: "550 5.1.1", "550-5.7.1", "550 #5.1.0",
	 * "550-'5.7.1". */
	size_t k = at + 3;
	while (k < n && (p[k] == ' ' || p[k] == '-' || p[k] == '#' || p[k] == '\'' || p[k] == '"'))
		k++;
	const char *st = k < n ? dx_find_status(a, p + k, n - k > 12 ? 12 : n - k) : NULL;
	if (st && dx_startswith_ci(p + k, n - k, st))
		*status = st;
	return at;
}

const char *dx_typed_value(const char *v)
{
	const char *semi = strchr(v, ';');
	const char *r = semi ? semi + 1 : v;
	if (!semi) {
		/* "dns:mx.example.org" (Exchange 2007 writes a colon): a type
		 * name, with a letter that no IPv6 address has. */
		size_t k = 0;
		int named = 0;
		while (k < 12 && (isalnum((unsigned char)v[k]) || v[k] == '-')) {
			named |= isalpha((unsigned char)v[k]) && !isxdigit((unsigned char)v[k]);
			k++;
		}
		if (k && v[k] == ':' && named && v[k + 1] != '/')
			r = v + k + 1;
	}
	while (dx_is_space(*r))
		r++;
	return r;
}

char *dx_join(dx_arena *a, const char *x, const char *sep, const char *y)
{
	size_t lx = strlen(x), ls = strlen(sep), ly = strlen(y);
	char *o = dx_arena_alloc(a, lx + ls + ly + 1);
	if (!o)
		return NULL;
	memcpy(o, x, lx);
	memcpy(o + lx, sep, ls);
	memcpy(o + lx + ls, y, ly + 1);
	return o;
}

char *dx_squeeze(dx_arena *a, const char *p, size_t n)
{
	char *o = dx_arena_alloc(a, n + 1);
	if (!o)
		return NULL;
	size_t k = 0;
	int space = 0;
	for (size_t i = 0; i < n; i++) {
		if (dx_is_space(p[i])) {
			space = k > 0;
			continue;
		}
		if (space)
			o[k++] = ' ';
		space = 0;
		o[k++] = p[i];
	}
	o[k] = '\0';
	return o;
}

char *dx_host(dx_arena *a, const char *p, size_t n)
{
	p = dx_trim(p, &n);
	while (n && (*p == '[' || *p == '<' || *p == '(')) {
		p++;
		n--;
	}
	/* A host is one token: stop at whitespace or a bracket. Copied in
	 * lower case in the same pass: host names are short and many (one or
	 * two on every delivery line of a log). */
	size_t k = dx_host_end(p, 0, n);
	while (k && p[k - 1] == '.')
		k--;
	if (!k)
		return NULL;
	char *h = dx_arena_alloc(a, k + 1);
	if (!h)
		return NULL;
	dx_lower_copy(h, p, k);
	h[k] = '\0';
	return h;
}

static dx_mime_part *first_text(dx_mime_part *m, const char *subtype)
{
	for (; m; m = m->next) {
		if (dx_mime_is(m, "text", subtype))
			return m;
		/* A multipart whose parts could not be found is read as text. */
		if (strcmp(m->type, "multipart") == 0 && !m->child && m->body_len)
			return m;
		if (m->child && strcmp(m->type, "message") != 0) {
			dx_mime_part *r = first_text(m->child, subtype);
			if (r)
				return r;
		}
	}
	return NULL;
}

int dx_view_plain(dx_view *v, dx_text *out)
{
	if (v->plain_state == 0) {
		dx_mime_part *m = first_text(v->root, "plain");
		v->plain_state = -1;
		if (m) {
			if (dx_mime_text(v->mime, m, &v->plain) < 0)
				return -1;
			v->plain_state = 1;
		} else if ((m = first_text(v->root, "html")) != NULL) {
			/* Some servers send their report only as HTML. */
			dx_text h;
			if (dx_mime_text(v->mime, m, &h) < 0 || dx_html_text(v->arena, h.p, h.n, &v->plain) < 0)
				return -1;
			v->plain_state = 1;
		}
	}
	if (v->plain_state < 0)
		return 0;
	*out = v->plain;
	return 1;
}

/* The returned original's header: from the decoder's text, else from a
 * message/rfc822 part, else from a text/rfc822-headers part. A few lines
 * restated in the text without a Message-ID ("Original message headers:"
 * with To, From and Subject, Verizon) give way to the message returned
 * whole beside them. */
int dx_original_header(dx_view *v, const dx_bounce *b, dx_header *out)
{
	size_t body;
	static const char *const msg_types[] = {"rfc822", "global"};
	if (b->original_headers.n) {
		if (dx_header_parse(v->arena, v->mime->kernel, b->original_headers.p, b->original_headers.n,
				    &v->mime->header, out, &body) < 0)
			return -1;
		if (dx_header_get(out, "message-id"))
			return 0;
		for (size_t i = 0; i < 2; i++) {
			dx_mime_part *m = dx_mime_find(v->root, "message", msg_types[i], 0);
			if (m && m->child && dx_header_get(&m->child->hdr, "message-id")) {
				*out = m->child->hdr;
				return 0;
			}
		}
		return 0;
	}
	dx_mime_part *root = b->original_within ? b->original_within : v->root;
	for (size_t i = 0; i < 2; i++) {
		dx_mime_part *m = dx_mime_find(root, "message", msg_types[i], 0);
		if (m && m->child) {
			*out = m->child->hdr;
			return 0;
		}
	}
	static const struct {
		const char *type, *subtype;
	} hdr_types[] = {{"text", "rfc822-headers"}, {"message", "rfc822-headers"}, {"message", "global-headers"}};
	for (size_t i = 0; i < 3; i++) {
		dx_mime_part *m = dx_mime_find(root, hdr_types[i].type, hdr_types[i].subtype, 0);
		if (m) {
			dx_text t;
			if (dx_mime_body(v->mime, m, &t) < 0)
				return -1;
			return dx_header_parse(v->arena, v->mime->kernel, t.p, t.n, &v->mime->header, out,
					       &body);
		}
	}
	memset(out, 0, sizeof *out);
	return 0;
}

