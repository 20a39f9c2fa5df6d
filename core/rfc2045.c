/* rfc2045.c: MIME parsing and transfer decoding; see rfc2045.h. */
#include "rfc2045.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

int dx_mime_is(const dx_mime_part *m, const char *type, const char *subtype)
{
	return m && strcmp(m->type, type) == 0 && (!subtype || strcmp(m->subtype, subtype) == 0);
}

/* ---- parameters ---------------------------------------------------------- */

/* Finds `name` as a parameter (name=..., name*=..., name*0=...) and returns
 * the raw value span. */
static const char *param_scan(const char *v, const char *name, size_t *vn, int *ext, int section)
{
	size_t nl = strlen(name);
	const char *p = v;
	/* Parameters come after the first ';'. Quoted strings may hold ';'. */
	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (dx_is_space(*p))
			p++;
		const char *k = p;
		while (*p && *p != '=' && *p != ';' && !dx_is_space(*p))
			p++;
		size_t kl = (size_t)(p - k);
		const char *val = p;
		while (dx_is_space(*val))
			val++;
		if (*val != '=')
			continue;
		val++;
		while (dx_is_space(*val))
			val++;
		const char *end = val;
		if (*end == '"') {
			end++;
			while (*end && *end != '"') {
				if (*end == '\\' && end[1])
					end++;
				end++;
			}
			if (*end == '"')
				end++;
		} else {
			while (*end && *end != ';' && !dx_is_space(*end))
				end++;
		}
		p = end;
		if (kl < nl || dx_strncasecmp(k, name, nl) != 0)
			continue;
		const char *rest = k + nl;
		size_t rl = kl - nl;
		int is_ext = rl && rest[rl - 1] == '*';
		if (is_ext)
			rl--;
		if (section < 0) {
			if (rl != 0)
				continue;
		} else {
			char want[16];
			int wl = snprintf(want, sizeof want, "*%d", section);
			if (rl != (size_t)wl || memcmp(rest, want, (size_t)wl) != 0)
				continue;
		}
		*vn = (size_t)(end - val);
		*ext = is_ext;
		return val;
	}
	return NULL;
}

static void unquote_append(char *o, size_t *k, const char *v, size_t n)
{
	if (n >= 1 && v[0] == '"') {
		v++;
		n--;
		if (n && v[n - 1] == '"')
			n--;
		for (size_t i = 0; i < n; i++) {
			if (v[i] == '\\' && i + 1 < n)
				i++;
			o[(*k)++] = v[i];
		}
	} else {
		memcpy(o + *k, v, n);
		*k += n;
	}
}

static void pct_decode_append(char *o, size_t *k, const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '%' && i + 2 < n && isxdigit((unsigned char)v[i + 1]) &&
		    isxdigit((unsigned char)v[i + 2])) {
			char hex[3] = {v[i + 1], v[i + 2], 0};
			o[(*k)++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else
			o[(*k)++] = v[i];
	}
}

char *dx_mime_param(dx_arena *a, const char *value, const char *name)
{
	if (!value)
		return NULL;
	size_t vn;
	int ext;
	const char *v = param_scan(value, name, &vn, &ext, -1);
	if (v) {
		char *o = dx_arena_alloc(a, vn + 1);
		if (!o)
			return NULL;
		size_t k = 0;
		if (ext) {
			/* RFC 2231: charset'language'percent-encoded */
			const char *q1 = memchr(v, '\'', vn);
			const char *q2 = q1 ? memchr(q1 + 1, '\'', (size_t)(v + vn - q1 - 1)) : NULL;
			if (q2)
				pct_decode_append(o, &k, q2 + 1, (size_t)(v + vn - q2 - 1));
			else
				pct_decode_append(o, &k, v, vn);
		} else
			unquote_append(o, &k, v, vn);
		o[k] = '\0';
		return o;
	}
	/* RFC 2231 continuations: name*0=, name*1*=, ... */
	size_t total = 0;
	int sections = 0;
	for (int s = 0; s < 64; s++) {
		if (!param_scan(value, name, &vn, &ext, s))
			break;
		total += vn;
		sections++;
	}
	if (!sections)
		return NULL;
	char *o = dx_arena_alloc(a, total + 1);
	if (!o)
		return NULL;
	size_t k = 0;
	for (int s = 0; s < sections; s++) {
		v = param_scan(value, name, &vn, &ext, s);
		if (ext) {
			if (s == 0) {
				const char *q1 = memchr(v, '\'', vn);
				const char *q2 = q1 ? memchr(q1 + 1, '\'', (size_t)(v + vn - q1 - 1)) : NULL;
				if (q2) {
					vn = (size_t)(v + vn - q2 - 1);
					v = q2 + 1;
				}
			}
			pct_decode_append(o, &k, v, vn);
		} else
			unquote_append(o, &k, v, vn);
	}
	o[k] = '\0';
	return o;
}

/* ---- structure ----------------------------------------------------------- */

static const char *lower_token(dx_arena *a, const char *s, size_t n)
{
	char *t = dx_arena_strndup(a, s, n);
	if (t)
		dx_ascii_lower(t);
	return t;
}

static int parse_content_type(dx_mime_ctx *c, dx_mime_part *m, const dx_mime_part *parent)
{
	const char *ct = dx_header_get(&m->hdr, "content-type");
	/* RFC 2046 5.1.5: in multipart/digest the default is message/rfc822. */
	int digest = parent && dx_mime_is(parent, "multipart", "digest");
	m->type = digest ? "message" : "text";
	m->subtype = digest ? "rfc822" : "plain";
	m->charset = m->boundary = m->report_type = m->encoding = "";
	if (ct) {
		const char *p = ct;
		while (dx_is_space(*p))
			p++;
		const char *slash = p;
		while (*slash && *slash != '/' && *slash != ';' && !dx_is_space(*slash))
			slash++;
		if (*slash == '/' && slash > p) {
			const char *st = slash + 1;
			const char *se = st;
			while (*se && *se != ';' && !dx_is_space(*se))
				se++;
			if (se > st) {
				m->type = lower_token(c->arena, p, (size_t)(slash - p));
				m->subtype = lower_token(c->arena, st, (size_t)(se - st));
				if (!m->type || !m->subtype)
					return -1;
			}
		}
		char *v;
		if ((v = dx_mime_param(c->arena, ct, "charset")) != NULL)
			m->charset = v;
		if ((v = dx_mime_param(c->arena, ct, "boundary")) != NULL)
			m->boundary = v;
		if ((v = dx_mime_param(c->arena, ct, "report-type")) != NULL) {
			dx_ascii_lower(v);
			m->report_type = v;
		}
	}
	const char *cte = dx_header_get(&m->hdr, "content-transfer-encoding");
	if (cte) {
		size_t n = strlen(cte);
		size_t k = 0;
		while (k < n && !dx_is_space(cte[k]) && cte[k] != ';' && cte[k] != '(')
			k++;
		if (!(m->encoding = lower_token(c->arena, cte, k)))
			return -1;
	}
	return 0;
}

/* Whether the line at p[i..] is "--boundary" or "--boundary--" (leading and
 * trailing whitespace allowed). Returns 0, 1 (delimiter) or 2 (closing). */
static int delimiter_at(const char *p, size_t n, size_t i, const char *b, size_t bl)
{
	/* Some generators indent the delimiter; accept leading blanks. */
	while (i < n && dx_is_wsp(p[i]))
		i++;
	if (n - i < bl + 2 || p[i] != '-' || p[i + 1] != '-' || memcmp(p + i + 2, b, bl) != 0)
		return 0;
	size_t j = i + 2 + bl;
	int close = 0;
	if (n - j >= 2 && p[j] == '-' && p[j + 1] == '-') {
		close = 1;
		j += 2;
	}
	while (j < n && p[j] != '\n') {
		if (!dx_is_wsp(p[j]))
			return 0;
		j++;
	}
	return close ? 2 : 1;
}

static dx_mime_part *parse_part(dx_mime_ctx *c, const char *p, size_t n, unsigned depth,
				const dx_mime_part *parent);

/* When the declared boundary never occurs (mangled by a gateway or by
 * anonymisation), the body's own delimiters tell it: the first "--token"
 * line that occurs again, or closes as "--token--". NULL if none. */
static const char *infer_boundary(dx_arena *a, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t e = dx_line_end(p, n, i);
		size_t len = e - i;
		while (len && dx_is_space(p[i + len - 1]))
			len--;
		if (len >= 6 && p[i] == '-' && p[i + 1] == '-' && !dx_is_space(p[i + 2])) {
			const char *b = p + i + 2;
			size_t bl = len - 2;
			if (bl > 2 && b[bl - 1] == '-' && b[bl - 2] == '-')
				bl -= 2;
			/* Another line with the same delimiter after this one? */
			size_t j = e + 1;
			while (j < n) {
				size_t e2 = dx_line_end(p, n, j);
				if (e2 - j >= bl + 2 && p[j] == '-' && p[j + 1] == '-' && memcmp(p + j + 2, b, bl) == 0)
					return dx_arena_strndup(a, b, bl);
				j = e2 + 1;
			}
		}
		i = e + 1;
	}
	return NULL;
}

/* The start of the next line at or after `from` that is a delimiter of b,
 * with its kind in *d (delimiter_at), or n. The boundary is looked for
 * with dx_memmem, not line by line: base64 bodies have many lines and few
 * delimiters. Every line start where delimiter_at() would say yes has
 * "--b" after its blanks, so none is missed. */
static size_t next_delimiter(const char *p, size_t n, size_t from, const char *b, size_t bl, int *d)
{
	size_t at = from + 2;
	while (at < n) {
		const char *q = dx_memmem(p + at, n - at, b, bl);
		if (!q)
			break;
		size_t h = (size_t)(q - p);
		at = h + 1;
		if (p[h - 1] != '-' || p[h - 2] != '-')
			continue;
		size_t ls = h - 2;
		while (ls > from && dx_is_wsp(p[ls - 1]))
			ls--;
		if (ls > 0 && p[ls - 1] != '\n')
			continue;
		if (ls < from)
			continue;
		if ((*d = delimiter_at(p, n, ls, b, bl)) != 0)
			return ls;
	}
	*d = 0;
	return n;
}

static int parse_multipart(dx_mime_ctx *c, dx_mime_part *m)
{
	const char *p = m->body;
	size_t n = m->body_len;
	const char *b = m->boundary;
	size_t bl = strlen(b);
	dx_mime_part **tail = &m->child;

	int d;
	int found = bl && next_delimiter(p, n, 0, b, bl, &d) < n;
	if (!found) {
		const char *guess = infer_boundary(c->arena, p, n);
		if (!guess)
			return 0; /* no parts: the body stays one opaque part */
		m->boundary = b = guess;
		bl = strlen(b);
	}

	size_t part_start = 0;
	int in_part = 0;
	size_t i = 0;
	while ((i = next_delimiter(p, n, i, b, bl, &d)) < n) {
		size_t eol = dx_line_end(p, n, i);
		if (in_part) {
			/* The newline before a delimiter belongs to it (RFC 2046 5.1.1). */
			size_t end = i > part_start ? i - 1 : part_start;
			if (c->parts >= c->max_parts) {
				c->limits_hit++;
				return 0;
			}
			dx_mime_part *sub = parse_part(c, p + part_start, end - part_start, m->depth + 1, m);
			if (!sub)
				return -1;
			*tail = sub;
			tail = &sub->next;
		}
		if (d == 2)
			return 0; /* the epilogue is ignored */
		in_part = 1;
		part_start = eol < n ? eol + 1 : n;
		i = eol + 1;
	}
	if (in_part && part_start < n) {
		/* No closing delimiter: a truncated message. Keep what is there. */
		if (c->parts >= c->max_parts) {
			c->limits_hit++;
			return 0;
		}
		dx_mime_part *sub = parse_part(c, p + part_start, n - part_start, m->depth + 1, m);
		if (!sub)
			return -1;
		*tail = sub;
	}
	return 0;
}

/* Whether a body opens as MIME does: its first line a delimiter, or the
 * note for readers without MIME ("This is a multi-part message in MIME
 * format"). */
static int mime_preamble(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && dx_is_space(p[i]))
		i++;
	size_t e = dx_line_end(p, n, i);
	return (e - i > 2 && p[i] == '-' && p[i + 1] == '-') || dx_memcasemem(p + i, e - i, "mime");
}

/* A part of p[0..n); its header already indexed when hdr is given (the
 * root, whose header the caller has read: body is then its offset). */
static dx_mime_part *parse_part_with(dx_mime_ctx *c, const char *p, size_t n, unsigned depth,
				     const dx_mime_part *parent, const dx_header *hdr, size_t body)
{
	dx_mime_part *m = dx_arena_alloc(c->arena, sizeof *m);
	if (!m)
		return NULL;
	memset(m, 0, sizeof *m);
	m->depth = depth;
	c->parts++;
	if (hdr)
		m->hdr = *hdr;
	else if (dx_header_parse(c->arena, c->kernel, p, n, &c->header, &m->hdr, &body) < 0)
		return NULL;
	c->fields_truncated += m->hdr.truncated;
	/* A part that starts with a blank line has no header at all. */
	m->body = p + body;
	m->body_len = n - body;
	if (parse_content_type(c, m, parent) < 0)
		return NULL;

	/* A message without Content-Type whose body is plainly MIME parts
	 * ("This is a MIME-encapsulated message", then "--boundary" lines
	 * each followed by a part header) lost its header field, not its
	 * structure. */
	if (depth == 0 && !dx_header_get(&m->hdr, "content-type") && mime_preamble(m->body, m->body_len)) {
		const char *guess = infer_boundary(c->arena, m->body, m->body_len);
		if (guess) {
			size_t gl = strlen(guess);
			int typed_part = 0;
			for (size_t i = 0; i < m->body_len && !typed_part; i = dx_line_end(m->body, m->body_len, i) + 1) {
				if (delimiter_at(m->body, m->body_len, i, guess, gl) != 1)
					continue;
				size_t after = dx_line_end(m->body, m->body_len, i) + 1;
				typed_part = after < m->body_len &&
					     dx_startswith_ci(m->body + after, m->body_len - after, "content-type:");
			}
			if (typed_part) {
				m->type = "multipart";
				m->subtype = "mixed";
				m->boundary = guess;
			}
		}
	}
	if (depth + 1 > c->max_depth) {
		if (dx_mime_is(m, "multipart", NULL) || dx_mime_is(m, "message", NULL))
			c->limits_hit++;
		return m;
	}
	if (strcmp(m->type, "multipart") == 0) {
		/* Without a boundary parameter (a folded line that lost its
		 * indentation) the body's delimiters tell it. */
		if (parse_multipart(c, m) < 0)
			return NULL;
	} else if (dx_mime_is(m, "message", "rfc822") || dx_mime_is(m, "message", "global")) {
		/* The returned original. Encoded message parts are rare and not
		 * allowed (RFC 2046 5.2.1) but are decoded rather than lost. */
		const char *mp = m->body;
		size_t mn = m->body_len;
		if (strcmp(m->encoding, "base64") == 0 || strcmp(m->encoding, "quoted-printable") == 0) {
			dx_text t;
			if (dx_mime_body(c, m, &t) < 0)
				return NULL;
			mp = t.p;
			mn = t.n;
		}
		if (c->parts >= c->max_parts) {
			c->limits_hit++;
			return m;
		}
		m->child = parse_part(c, mp, mn, depth + 1, NULL);
		if (!m->child)
			return NULL;
	}
	return m;
}

static dx_mime_part *parse_part(dx_mime_ctx *c, const char *p, size_t n, unsigned depth,
				const dx_mime_part *parent)
{
	return parse_part_with(c, p, n, depth, parent, NULL, 0);
}

dx_mime_part *dx_mime_parse(dx_mime_ctx *c, const char *p, size_t n)
{
	c->parts = 0;
	c->limits_hit = 0;
	return parse_part(c, p, n, 0, NULL);
}

dx_mime_part *dx_mime_parse_under(dx_mime_ctx *c, const char *p, size_t n, const dx_header *hdr, size_t body)
{
	c->parts = 0;
	c->limits_hit = 0;
	return parse_part_with(c, p, n, 0, NULL, hdr, body);
}

dx_mime_part *dx_mime_find(dx_mime_part *m, const char *type, const char *subtype, int into_messages)
{
	for (; m; m = m->next) {
		if (dx_mime_is(m, type, subtype))
			return m;
		if (m->child && (into_messages || strcmp(m->type, "message") != 0)) {
			dx_mime_part *r = dx_mime_find(m->child, type, subtype, into_messages);
			if (r)
				return r;
		}
	}
	return NULL;
}

/* ---- transfer encodings --------------------------------------------------- */

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

size_t dx_base64_decode(const char *in, size_t n, char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '=') {
			/* Padding ends a quantum; a later quantum (concatenated
			 * base64, seen in the wild) starts afresh. */
			acc = 0;
			bits = 0;
			continue;
		}
		int v = b64val(c);
		if (v < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (char)((acc >> bits) & 0xff);
		}
	}
	return k;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

size_t dx_qp_decode(const char *in, size_t n, char *out, int underscore_is_space)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (c == '_' && underscore_is_space) {
			out[k++] = ' ';
			continue;
		}
		if (c != '=') {
			out[k++] = c;
			continue;
		}
		/* Soft line break: '=' then optional whitespace then newline. */
		size_t j = i + 1;
		while (j < n && dx_is_wsp(in[j]))
			j++;
		if (j < n && in[j] == '\n') {
			i = j;
			continue;
		}
		if (j == n) {
			i = j;
			continue;
		}
		if (i + 2 < n && hexval((unsigned char)in[i + 1]) >= 0 && hexval((unsigned char)in[i + 2]) >= 0) {
			out[k++] = (char)(hexval((unsigned char)in[i + 1]) * 16 + hexval((unsigned char)in[i + 2]));
			i += 2;
			continue;
		}
		out[k++] = c; /* an invalid escape is kept as it is */
	}
	return k;
}

/* UTF-16 and UTF-32 text has zero bytes beside its CR and LF: normalising
 * line ends byte by byte would double every one, so it waits until the
 * text is converted. */
static int wide_charset(const char *cs)
{
	return cs && (dx_strncasecmp(cs, "utf-16", 6) == 0 || dx_strncasecmp(cs, "utf-32", 6) == 0 ||
		      dx_strncasecmp(cs, "ucs-2", 5) == 0 || dx_strncasecmp(cs, "ucs-4", 5) == 0 ||
		      dx_strncasecmp(cs, "utf16", 5) == 0 || dx_strncasecmp(cs, "utf32", 5) == 0 ||
		      dx_strncasecmp(cs, "unicode", 7) == 0);
}

/* The body of m[0..n): its transfer encoding undone, line ends normalised. */
static int body_prefix(dx_mime_ctx *c, const dx_mime_part *m, size_t n, dx_text *out)
{
	int b64 = strcmp(m->encoding, "base64") == 0;
	int qp = strcmp(m->encoding, "quoted-printable") == 0;
	if (!b64 && !qp) {
		out->p = m->body;
		out->n = n;
		return 0;
	}
	char *o = dx_arena_alloc(c->arena, n + 1);
	if (!o)
		return -1;
	size_t k = b64 ? dx_base64_decode(m->body, n, o) : dx_qp_decode(m->body, n, o, 0);
	o[k] = '\0';
	if (wide_charset(m->charset)) {
		out->p = o;
		out->n = k;
		return 0;
	}
	return dx_normalise_eol(c->arena, o, k, out);
}

int dx_mime_body(dx_mime_ctx *c, const dx_mime_part *m, dx_text *out)
{
	return body_prefix(c, m, m->body_len, out);
}

int dx_mime_text(dx_mime_ctx *c, const dx_mime_part *m, dx_text *out)
{
	size_t n = m->body_len;
	if (c->max_text && n > c->max_text) {
		/* Encoded bytes are never fewer than decoded ones, so the cut is
		 * made before decoding; at a line end, which in base64 and
		 * quoted-printable is also a whole unit. */
		n = c->max_text;
		size_t line_end = n;
		while (line_end && m->body[line_end - 1] != '\n')
			line_end--;
		if (line_end)
			n = line_end;
		if (wide_charset(m->charset))
			n &= ~(size_t)3;
		c->texts_truncated++;
	}
	dx_text raw;
	if (body_prefix(c, m, n, &raw) < 0)
		return -1;
	char *u;
	size_t un;
	if (dx_to_utf8(c->charsets, c->arena, m->charset, raw.p, raw.n, &u, &un) < 0)
		return -1;
	/* UTF-16 and the like may carry CRLF that only appears after conversion. */
	return dx_normalise_eol(c->arena, u, un, out);
}
