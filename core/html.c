/* html.c: text out of HTML; see html.h. */
#include "html.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "text.h"

static int tag_is(const char *t, size_t n, const char *name)
{
	size_t k = strlen(name);
	if (n < k || dx_strncasecmp(t, name, k) != 0)
		return 0;
	return n == k || !((t[k] >= 'a' && t[k] <= 'z') || (t[k] >= 'A' && t[k] <= 'Z') || (t[k] >= '0' && t[k] <= '9'));
}

static int block_tag(const char *t, size_t n)
{
	static const char *const blocks[] = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
					     "table", "pre", "blockquote", "hr", "ul", "ol", "td"};
	if (n && t[0] == '/') {
		t++;
		n--;
	}
	for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
		if (tag_is(t, n, blocks[i]))
			return 1;
	return 0;
}


/* Decodes the entity at p[0..n) (p[0] == '&'); returns its length, 0 if
 * it is not one, with the text in out (at most 4 bytes). */
static size_t entity(const char *p, size_t n, char *out, size_t *outn)
{
	static const struct {
		const char *name;
		uint32_t cp;
	} named[] = {{"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", ' '}};
	size_t e = 1;
	while (e < n && e < 12 && p[e] != ';')
		e++;
	if (e >= n || p[e] != ';' || e == 1)
		return 0;
	if (p[1] == '#') {
		uint32_t cp = 0;
		int hex = e > 2 && (p[2] == 'x' || p[2] == 'X');
		for (size_t i = hex ? 3 : 2; i < e; i++) {
			char c = p[i];
			int d = c >= '0' && c <= '9' ? c - '0' : hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
			if (d < 0 || cp > 0x10ffff)
				return 0;
			cp = cp * (hex ? 16 : 10) + (uint32_t)d;
		}
		*outn = dx_utf8_encode(out, cp ? cp : 0xfffd);
		return e + 1;
	}
	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (strlen(named[i].name) == e - 1 && memcmp(p + 1, named[i].name, e - 1) == 0) {
			*outn = dx_utf8_encode(out, named[i].cp);
			return e + 1;
		}
	return 0;
}

int dx_html_text(dx_arena *a, const char *p, size_t n, dx_text *out)
{
	/* Text only shrinks, but entities can grow to 4 bytes: bound by n+4. */
	char *o = dx_arena_alloc(a, n + 5);
	if (!o)
		return -1;
	size_t k = 0;
	/* A line end of the source right after a tag's break ("<BR>\n") is
	 * the same break: in HTML a line end is only a space. Other line ends
	 * are kept, for the HTML parts that are plain text in fact. */
	int tag_break = 0;
	for (size_t i = 0; i < n;) {
		char c = p[i];
		if ((c == '\n' || c == '\r') && tag_break) {
			i++;
			continue;
		}
		if (c == '<') {
			const char *gt = memchr(p + i, '>', n - i);
			if (!gt) {
				o[k++] = p[i++]; /* a stray '<' */
				continue;
			}
			const char *t = p + i + 1;
			size_t tn = (size_t)(gt - t);
			if (tag_is(t, tn, "script") || tag_is(t, tn, "style")) {
				/* Skip to the closing tag. */
				const char *close = dx_memcasemem(gt, (size_t)(p + n - gt), tag_is(t, tn, "script") ? "</script" : "</style");
				const char *end = close ? memchr(close, '>', (size_t)(p + n - close)) : NULL;
				i = end ? (size_t)(end - p) + 1 : n;
				continue;
			}
			if (block_tag(t, tn)) {
				if (k && o[k - 1] != '\n')
					o[k++] = '\n';
				tag_break = 1;
			}
			i = (size_t)(gt - p) + 1;
			continue;
		}
		if (c != ' ' && c != '\t')
			tag_break = 0;
		if (c == '&') {
			char buf[4];
			size_t bn;
			size_t len = entity(p + i, n - i, buf, &bn);
			if (len) {
				memcpy(o + k, buf, bn);
				k += bn;
				i += len;
				continue;
			}
		}
		o[k++] = c;
		i++;
	}
	o[k] = '\0';
	/* Indentation and runs of blank lines from the markup mean nothing. */
	size_t w = 0;
	int blank = 0;
	for (size_t i = 0; i < k;) {
		size_t e = i;
		while (e < k && o[e] != '\n')
			e++;
		size_t len = e - i;
		const char *line = dx_trim(o + i, &len);
		if (len) {
			memmove(o + w, line, len);
			w += len;
			o[w++] = '\n';
			blank = 0;
		} else if (!blank && w) {
			o[w++] = '\n';
			blank = 1;
		}
		i = e + 1;
	}
	while (w >= 2 && o[w - 1] == '\n' && o[w - 2] == '\n')
		w--; /* no blank line at the end */
	o[w] = '\0';
	out->p = o;
	out->n = w;
	return 0;
}
