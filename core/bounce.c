/* bounce.c: the bounce model's helpers shared by decoders; see bounce.h. */
#include "bounce.h"

#include <ctype.h>
#include <string.h>

#include "dsnidx.h"
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
	int generic = strcmp(given + 1, ".0.0") == 0;
	int specific = strcmp(from_text + 1, ".0.0") != 0;
	return generic && specific ? from_text : given;
}

int dx_find_reply_code(const char *p, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		char c = p[i];
		if (c != '2' && c != '4' && c != '5')
			continue;
		if (i > 0 && (isalnum((unsigned char)p[i - 1]) || p[i - 1] == '.' || p[i - 1] == '#' || p[i - 1] == '-'))
			continue;
		if (!is_digit(p[i + 1]) || !is_digit(p[i + 2]))
			continue;
		if (i + 3 < n && !(p[i + 3] == ' ' || p[i + 3] == '-' || p[i + 3] == '\t' || p[i + 3] == '\n' ||
				   p[i + 3] == ';' || p[i + 3] == ','))
			continue;
		if (p[i + 1] > '5')
			continue; /* reply codes are x0z to x5z */
		return (c - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
	}
	return 0;
}

const char *dx_typed_value(const char *v)
{
	const char *semi = strchr(v, ';');
	const char *r = semi ? semi + 1 : v;
	while (dx_is_space(*r))
		r++;
	return r;
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
	/* A host is one token: stop at whitespace or a bracket. */
	size_t k = 0;
	while (k < n && !dx_is_space(p[k]) && !strchr("]>);,", p[k]))
		k++;
	while (k && p[k - 1] == '.')
		k--;
	if (!k)
		return NULL;
	char *h = dx_arena_strndup(a, p, k);
	if (h)
		dx_ascii_lower(h);
	return h;
}

static dx_mime_part *first_text(dx_mime_part *m, const char *subtype)
{
	for (; m; m = m->next) {
		if (dx_mime_is(m, "text", subtype))
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
		}
	}
	if (v->plain_state < 0)
		return 0;
	*out = v->plain;
	return 1;
}
