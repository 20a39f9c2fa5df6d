/* json.c: a small, defensive JSON parser into an arena; see json.h.
 *
 * Recursive descent, at most DX_JSON_MAX_DEPTH levels deep. Every read is
 * checked against the input length. Bad input gives NULL and an error
 * code, never a crash; running out of arena gives DX_JSON_ENOMEM.
 */
#include "json.h"

#include <string.h>

#include "charset.h"

typedef struct parser {
	dx_arena *a;
	const char *p;
	size_t n;
	size_t i;                /* read position */
	size_t nodes;            /* values made so far */
	dx_json_errcode code;
	size_t err_at;
} parser;

static void fail(parser *ps, dx_json_errcode code, size_t at)
{
	if (ps->code == DX_JSON_OK) {
		ps->code = code;
		ps->err_at = at;
	}
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_ws(parser *ps)
{
	while (ps->i < ps->n && is_ws(ps->p[ps->i]))
		ps->i++;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static dx_json *new_node(parser *ps, dx_json_type type)
{
	if (++ps->nodes > DX_JSON_MAX_NODES) {
		fail(ps, DX_JSON_ELIMIT, ps->i);
		return NULL;
	}
	dx_json *v = dx_arena_alloc(ps->a, sizeof *v);
	if (!v) {
		fail(ps, DX_JSON_ENOMEM, ps->i);
		return NULL;
	}
	memset(v, 0, sizeof *v);
	v->type = type;
	return v;
}

/* The four hex digits at s[0..4), or -1. */
static long hex4(const char *s)
{
	long v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hex_value(s[k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}


enum { REPLACEMENT = 0xfffd };

/* Decodes the escape at s[0..end) (s[0] is the backslash) into o; returns
 * the bytes of input used and sets *out_len to the bytes written. */
static size_t unescape(const char *s, size_t end, char *o, size_t *out_len)
{
	if (end < 2) { /* cannot happen: the closing quote follows */
		*out_len = dx_utf8_encode(o, REPLACEMENT);
		return 1;
	}
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	const char *k = s[1] ? strchr(from, s[1]) : NULL;
	if (k) {
		o[0] = to[k - from];
		*out_len = 1;
		return 2;
	}
	if (s[1] != 'u') {
		*out_len = dx_utf8_encode(o, REPLACEMENT);
		/* An ASCII letter is part of the bad escape; a non-ASCII byte
		 * starts a character of its own and is kept. */
		return (unsigned char)s[1] < 0x80 ? 2 : 1;
	}
	long cp = end >= 6 ? hex4(s + 2) : -1;
	if (cp < 0) {
		*out_len = dx_utf8_encode(o, REPLACEMENT);
		return 2;
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		long lo = end >= 12 && s[6] == '\\' && s[7] == 'u' ? hex4(s + 8) : -1;
		if (lo >= 0xdc00 && lo <= 0xdfff) {
			unsigned long c = 0x10000 + (((unsigned long)cp - 0xd800) << 10) + ((unsigned long)lo - 0xdc00);
			*out_len = dx_utf8_encode(o, (uint32_t)c);
			return 12;
		}
		*out_len = dx_utf8_encode(o, REPLACEMENT);
		return 6;
	}
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		*out_len = dx_utf8_encode(o, REPLACEMENT);
		return 6;
	}
	*out_len = dx_utf8_encode(o, (uint32_t)cp);
	return 6;
}

/* The string at ps->p[ps->i] (a quote). Returns 0 with *out and *len set,
 * -1 on error. */
static int parse_string(parser *ps, const char **out, size_t *len)
{
	size_t start = ps->i + 1, j = start;
	/* Find the closing quote first, to size the output. */
	for (;;) {
		if (j >= ps->n) {
			fail(ps, DX_JSON_ESYNTAX, ps->i);
			return -1;
		}
		unsigned char c = (unsigned char)ps->p[j];
		if (c == '"')
			break;
		if (c < 0x20) {
			fail(ps, DX_JSON_ESYNTAX, j);
			return -1;
		}
		if (c == '\\') {
			if (j + 1 >= ps->n || (unsigned char)ps->p[j + 1] < 0x20) {
				fail(ps, DX_JSON_ESYNTAX, j);
				return -1;
			}
			j += 2;
		} else
			j++;
	}
	size_t m = j - start;
	/* At most two bytes out per byte in: the worst is a backslash before
	 * a non-ASCII byte, 2 bytes that give U+FFFD (3) and the byte (1). */
	char *o = dx_arena_alloc(ps->a, 2 * m + 1);
	if (!o) {
		fail(ps, DX_JSON_ENOMEM, ps->i);
		return -1;
	}
	size_t k = 0;
	const char *s = ps->p + start;
	for (size_t q = 0; q < m;) {
		if (s[q] != '\\') {
			o[k++] = s[q++];
			continue;
		}
		size_t w;
		q += unescape(s + q, m - q, o + k, &w);
		k += w;
	}
	o[k] = '\0';
	*out = o;
	*len = k;
	ps->i = j + 1;
	return 0;
}

static dx_json *parse_number(parser *ps)
{
	size_t s = ps->i, j = s;
	const char *p = ps->p;
	size_t n = ps->n;
	if (j < n && p[j] == '-')
		j++;
	if (j < n && p[j] == '0')
		j++;
	else if (j < n && p[j] >= '1' && p[j] <= '9')
		while (j < n && is_digit(p[j]))
			j++;
	else {
		fail(ps, DX_JSON_ESYNTAX, j);
		return NULL;
	}
	if (j < n && p[j] == '.') {
		j++;
		if (j >= n || !is_digit(p[j])) {
			fail(ps, DX_JSON_ESYNTAX, j);
			return NULL;
		}
		while (j < n && is_digit(p[j]))
			j++;
	}
	if (j < n && (p[j] == 'e' || p[j] == 'E')) {
		j++;
		if (j < n && (p[j] == '+' || p[j] == '-'))
			j++;
		if (j >= n || !is_digit(p[j])) {
			fail(ps, DX_JSON_ESYNTAX, j);
			return NULL;
		}
		while (j < n && is_digit(p[j]))
			j++;
	}
	dx_json *v = new_node(ps, DX_JSON_NUMBER);
	if (!v)
		return NULL;
	v->str = dx_arena_strndup(ps->a, p + s, j - s);
	if (!v->str) {
		fail(ps, DX_JSON_ENOMEM, s);
		return NULL;
	}
	v->len = j - s;
	ps->i = j;
	return v;
}

static dx_json *parse_literal(parser *ps)
{
	static const struct {
		const char *word;
		dx_json_type type;
	} words[] = {{"true", DX_JSON_TRUE}, {"false", DX_JSON_FALSE}, {"null", DX_JSON_NULL}};
	for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
		size_t k = strlen(words[w].word);
		if (ps->n - ps->i >= k && memcmp(ps->p + ps->i, words[w].word, k) == 0) {
			dx_json *v = new_node(ps, words[w].type);
			if (!v)
				return NULL;
			v->str = words[w].word;
			v->len = k;
			ps->i += k;
			return v;
		}
	}
	fail(ps, DX_JSON_ESYNTAX, ps->i);
	return NULL;
}

/* Gives the container its items array from the sibling list. */
static int collect(parser *ps, dx_json *c, dx_json *first, size_t count)
{
	c->n = count;
	if (!count)
		return 0;
	c->items = dx_arena_alloc(ps->a, count * sizeof *c->items);
	if (!c->items) {
		fail(ps, DX_JSON_ENOMEM, ps->i);
		return -1;
	}
	size_t k = 0;
	for (dx_json *e = first; e; e = e->next)
		c->items[k++] = e;
	return 0;
}

static dx_json *parse_value(parser *ps, unsigned depth);

/* An array or object at ps->p[ps->i] ('[' or '{'). */
static dx_json *parse_container(parser *ps, unsigned depth)
{
	int object = ps->p[ps->i] == '{';
	char close = object ? '}' : ']';
	if (depth + 1 > DX_JSON_MAX_DEPTH) {
		fail(ps, DX_JSON_EDEPTH, ps->i);
		return NULL;
	}
	dx_json *c = new_node(ps, object ? DX_JSON_OBJECT : DX_JSON_ARRAY);
	if (!c)
		return NULL;
	ps->i++;
	skip_ws(ps);
	if (ps->i < ps->n && ps->p[ps->i] == close) {
		ps->i++;
		return c;
	}
	dx_json *first = NULL, *last = NULL;
	size_t count = 0;
	for (;;) {
		const char *key = NULL;
		size_t key_len = 0;
		if (object) {
			if (ps->i >= ps->n || ps->p[ps->i] != '"') {
				fail(ps, DX_JSON_ESYNTAX, ps->i);
				return NULL;
			}
			if (parse_string(ps, &key, &key_len) < 0)
				return NULL;
			skip_ws(ps);
			if (ps->i >= ps->n || ps->p[ps->i] != ':') {
				fail(ps, DX_JSON_ESYNTAX, ps->i);
				return NULL;
			}
			ps->i++;
			skip_ws(ps);
		}
		dx_json *e = parse_value(ps, depth + 1);
		if (!e)
			return NULL;
		e->key = key;
		e->key_len = key_len;
		if (last)
			last->next = e;
		else
			first = e;
		last = e;
		count++;
		skip_ws(ps);
		if (ps->i >= ps->n) {
			fail(ps, DX_JSON_ESYNTAX, ps->i);
			return NULL;
		}
		char c2 = ps->p[ps->i++];
		if (c2 == close)
			break;
		if (c2 != ',') {
			fail(ps, DX_JSON_ESYNTAX, ps->i - 1);
			return NULL;
		}
		skip_ws(ps);
	}
	if (collect(ps, c, first, count) < 0)
		return NULL;
	return c;
}

/* The value at ps->p[ps->i] (whitespace already skipped); depth counts the
 * containers around it. */
static dx_json *parse_value(parser *ps, unsigned depth)
{
	if (ps->i >= ps->n) {
		fail(ps, DX_JSON_ESYNTAX, ps->i);
		return NULL;
	}
	char c = ps->p[ps->i];
	if (c == '{' || c == '[')
		return parse_container(ps, depth);
	if (c == '"') {
		dx_json *v = new_node(ps, DX_JSON_STRING);
		if (!v || parse_string(ps, &v->str, &v->len) < 0)
			return NULL;
		return v;
	}
	if (c == '-' || is_digit(c))
		return parse_number(ps);
	return parse_literal(ps);
}

static dx_json *run(dx_arena *a, const char *p, size_t n, size_t *used, int whole, dx_json_error *err)
{
	parser ps = {.a = a, .p = p, .n = n};
	dx_json *v = NULL;
	if (!p && n)
		fail(&ps, DX_JSON_ESYNTAX, 0);
	else if (n > DX_JSON_MAX_SIZE)
		fail(&ps, DX_JSON_ELIMIT, 0);
	else {
		skip_ws(&ps);
		v = parse_value(&ps, 0);
		if (v && whole) {
			skip_ws(&ps);
			if (ps.i != n)
				fail(&ps, DX_JSON_ESYNTAX, ps.i);
		}
	}
	if (ps.code != DX_JSON_OK)
		v = NULL;
	if (err) {
		err->code = ps.code;
		err->offset = ps.code != DX_JSON_OK ? ps.err_at : 0;
	}
	if (used)
		*used = v ? ps.i : 0;
	return v;
}

dx_json *dx_json_parse(dx_arena *a, const char *p, size_t n, dx_json_error *err)
{
	return run(a, p, n, NULL, 1, err);
}

dx_json *dx_json_parse_prefix(dx_arena *a, const char *p, size_t n, size_t *used, dx_json_error *err)
{
	return run(a, p, n, used, 0, err);
}

/* ---- lookups ------------------------------------------------------------- */

const dx_json *dx_json_get(const dx_json *obj, const char *key)
{
	if (!obj || obj->type != DX_JSON_OBJECT || !key)
		return NULL;
	size_t k = strlen(key);
	for (size_t i = 0; i < obj->n; i++) {
		const dx_json *m = obj->items[i];
		if (m->key_len == k && memcmp(m->key, key, k) == 0)
			return m;
	}
	return NULL;
}

size_t dx_json_len(const dx_json *v)
{
	return v && (v->type == DX_JSON_ARRAY || v->type == DX_JSON_OBJECT) ? v->n : 0;
}

const dx_json *dx_json_at(const dx_json *v, size_t i)
{
	return i < dx_json_len(v) ? v->items[i] : NULL;
}

const char *dx_json_str(const dx_json *v)
{
	return v && v->type == DX_JSON_STRING ? v->str : NULL;
}

const char *dx_json_get_str(const dx_json *obj, const char *key)
{
	return dx_json_str(dx_json_get(obj, key));
}
