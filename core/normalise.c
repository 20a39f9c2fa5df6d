/* normalise.c: line endings and mbox escapes; see normalise.h. */
#include "normalise.h"

#include <string.h>

static int has_escaped_from(const char *p, size_t n)
{
	for (const char *q = p; (q = memchr(q, '>', (size_t)(p + n - q))) != NULL; q++) {
		if (q != p && q[-1] != '\n' && q[-1] != '\r')
			continue;
		const char *r = q;
		while (r < p + n && *r == '>')
			r++;
		if ((size_t)(p + n - r) >= 5 && memcmp(r, "From ", 5) == 0)
			return 1;
	}
	return 0;
}

static int convert(dx_arena *a, const char *p, size_t n, int unescape, dx_text *out)
{
	char *o = dx_arena_alloc(a, n + 1);
	if (!o)
		return -1;
	size_t k = 0;
	int bol = 1;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (bol && unescape && c == '>') {
			size_t j = i;
			while (j < n && p[j] == '>')
				j++;
			if (n - j >= 5 && memcmp(p + j, "From ", 5) == 0) {
				bol = 0; /* drop this one '>'; the rest are text */
				continue;
			}
		}
		bol = 0;
		if (c == '\r') {
			/* CRLF is one line end, and so is CR CR LF: a CRLF
			 * file converted to CRLF once more, which would
			 * otherwise put a blank line after every line and end
			 * the header at its first field. */
			size_t j = i + 1;
			while (j < n && p[j] == '\r')
				j++;
			if (j < n && p[j] == '\n') {
				i = j - 1;
				continue; /* the '\n' comes next */
			}
			c = '\n';
		}
		o[k++] = c;
		if (c == '\n')
			bol = 1;
	}
	o[k] = '\0';
	out->p = o;
	out->n = k;
	return 0;
}

int dx_normalise(dx_arena *a, const char *raw, size_t n, int from_mbox, dx_text *out, dx_text *from_line)
{
	from_line->p = NULL;
	from_line->n = 0;
	if (from_mbox && n >= 5 && memcmp(raw, "From ", 5) == 0) {
		/* The From_ line ends at LF, CRLF (or CR CR LF, as in
		 * convert) or a bare CR. */
		size_t len = 0;
		while (len < n && raw[len] != '\n' && raw[len] != '\r')
			len++;
		size_t crs = len;
		while (crs < n && raw[crs] == '\r')
			crs++;
		if (crs > len && crs < n && raw[crs] == '\n')
			len = crs;
		if (len < n)
			len++;
		size_t flen = len;
		while (flen && (raw[flen - 1] == '\n' || raw[flen - 1] == '\r'))
			flen--;
		from_line->p = raw;
		from_line->n = flen;
		raw += len;
		n -= len;
	}
	int unescape = from_mbox && has_escaped_from(raw, n);
	if (!unescape && !memchr(raw, '\r', n)) {
		out->p = raw;
		out->n = n;
		return 0;
	}
	return convert(a, raw, n, unescape, out);
}

int dx_normalise_eol(dx_arena *a, const char *p, size_t n, dx_text *out)
{
	if (!memchr(p, '\r', n)) {
		out->p = p;
		out->n = n;
		return 0;
	}
	return convert(a, p, n, 0, out);
}
