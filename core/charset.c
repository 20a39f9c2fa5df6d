/* charset.c: conversion to UTF-8 through iconv; see charset.h. */
#include "charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "text.h"

enum { CACHE_SLOTS = 8 };

struct dx_charset_ctx {
	struct {
		char name[40];
		iconv_t cd;       /* (iconv_t)-1 when the charset is unknown */
		unsigned long used;
	} slot[CACHE_SLOTS];
	unsigned long clock;
};

dx_charset_ctx *dx_charset_new(void)
{
	dx_charset_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	for (int i = 0; i < CACHE_SLOTS; i++)
		c->slot[i].cd = (iconv_t)-1;
	return c;
}

void dx_charset_free(dx_charset_ctx *c)
{
	if (!c)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (c->slot[i].name[0] && c->slot[i].cd != (iconv_t)-1)
			iconv_close(c->slot[i].cd);
	free(c);
}

size_t dx_utf8_encode(char *o, uint32_t cp)
{
	if (cp >= 0xd800 && cp <= 0xdfff)
		cp = 0xfffd;
	if (cp > 0x10ffff)
		cp = 0xfffd;
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Bytes from p that are plain: printable ASCII, tab or newline, looked at
 * 16 at a time (mail text is mostly that). */
static size_t plain_ascii_run(const unsigned char *p, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i space = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
	const __m128i tab = _mm_set1_epi8('\t'), nl = _mm_set1_epi8('\n');
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		/* Signed: bytes of 0x80 and up are negative, so below 0x20 too. */
		unsigned bad = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(v, space), _mm_cmpeq_epi8(v, del)));
		unsigned ok = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_cmpeq_epi8(v, nl)));
		bad &= ~ok;
		if (bad)
			return i + (size_t)__builtin_ctz(bad);
	}
#endif
	for (; i < n; i++) {
		unsigned char c = p[i];
		if ((c < 0x20 && c != '\t' && c != '\n') || c >= 0x7f)
			break;
	}
	return i;
}

int dx_utf8_is_plain(const char *p, size_t n)
{
	return plain_ascii_run((const unsigned char *)p, n) == n;
}

size_t dx_utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		if (c < 0x80) {
			size_t k = plain_ascii_run(p + i, n - i);
			i += k ? k : 1;
			continue;
		}
		size_t len;
		uint32_t cp;
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else
			return i;
		if (n - i < len)
			return i;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += len;
	}
	return n;
}

char *dx_utf8_clean(dx_arena *a, const char *p, size_t n)
{
	/* Worst case every byte becomes the 3-byte U+FFFD. */
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	char *o = dx_arena_alloc(a, 3 * n + 1);
	if (!o)
		return NULL;
	size_t k = 0, i = 0;
	while (i < n) {
		/* Plain ASCII is copied as it is, in runs. */
		size_t run = plain_ascii_run((const unsigned char *)p + i, n - i);
		if (run) {
			memcpy(o + k, p + i, run);
			k += run;
			i += run;
			if (i == n)
				break;
		}
		size_t ok = dx_utf8_valid_prefix(p + i, n - i);
		for (size_t j = 0; j < ok; j++) {
			unsigned char c = (unsigned char)p[i + j];
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
				memcpy(o + k, "\xef\xbf\xbd", 3);
				k += 3;
			} else
				o[k++] = (char)c;
		}
		i += ok;
		if (i < n) {
			memcpy(o + k, "\xef\xbf\xbd", 3);
			k += 3;
			i++;
		}
	}
	o[k] = '\0';
	return o;
}

static int is_utf8_name(const char *cs)
{
	return !cs || !*cs || dx_strncasecmp(cs, "utf-8", 6) == 0 || dx_strncasecmp(cs, "utf8", 5) == 0 ||
	       dx_strncasecmp(cs, "us-ascii", 9) == 0 || dx_strncasecmp(cs, "ascii", 6) == 0;
}

static iconv_t lookup(dx_charset_ctx *c, const char *charset)
{
	char name[40];
	size_t len = strlen(charset);
	if (len >= sizeof name)
		return (iconv_t)-1;
	memcpy(name, charset, len + 1);
	dx_ascii_lower(name);
	/* Names that mail uses and iconv spells otherwise, or that are
	 * supersets worth reading as such (windows-874 for tis-620 text...). */
	if (strcmp(name, "ks_c_5601-1987") == 0)
		strcpy(name, "cp949");
	else if (strcmp(name, "x-sjis") == 0 || strcmp(name, "shift-jis") == 0)
		strcpy(name, "shift_jis");
	else if (strcmp(name, "gb2312") == 0)
		strcpy(name, "gbk");

	int victim = 0;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		if (strcmp(c->slot[i].name, name) == 0) {
			c->slot[i].used = ++c->clock;
			return c->slot[i].cd;
		}
		if (c->slot[i].used < c->slot[victim].used)
			victim = i;
	}
	if (c->slot[victim].name[0] && c->slot[victim].cd != (iconv_t)-1)
		iconv_close(c->slot[victim].cd);
	/* Shift_JIS text from Japanese carriers uses the Microsoft extensions. */
	const char *from = strcmp(name, "shift_jis") == 0 ? "CP932" : name;
	c->slot[victim].cd = iconv_open("UTF-8", from);
	memcpy(c->slot[victim].name, name, strlen(name) + 1);
	c->slot[victim].used = ++c->clock;
	return c->slot[victim].cd;
}

/* Converts with one descriptor; *errors gets the bytes replaced. */
static int convert_with(iconv_t cd, dx_arena *a, const char *p, size_t n, char **out, size_t *outlen,
			size_t *errors);

static int is_japanese(const char *cs)
{
	return cs && (dx_strncasecmp(cs, "iso-2022-jp", 11) == 0 || dx_strncasecmp(cs, "euc-jp", 6) == 0 ||
		      dx_strncasecmp(cs, "shift_jis", 9) == 0 || dx_strncasecmp(cs, "shift-jis", 9) == 0 ||
		      dx_strncasecmp(cs, "x-sjis", 6) == 0 || dx_strncasecmp(cs, "cp932", 5) == 0 ||
		      dx_strncasecmp(cs, "windows-31j", 11) == 0);
}

int dx_to_utf8(dx_charset_ctx *c, dx_arena *a, const char *charset, const char *p, size_t n,
	       char **out, size_t *outlen)
{
	/* Japanese mail is often labelled with the wrong one of its three
	 * encodings (EUC-JP bytes declared ISO-2022-JP, which is 7-bit): when
	 * the declared one fails, the one that reads the bytes best wins. */
	if (is_japanese(charset)) {
		static const char *const family[] = {NULL, "utf-8", "euc-jp", "cp932", "iso-2022-jp"};
		char *best = NULL;
		size_t best_len = 0, best_err = (size_t)-1;
		for (size_t k = 0; k < sizeof family / sizeof family[0] && best_err; k++) {
			const char *cs = k ? family[k] : charset;
			if (k && strcmp(cs, "utf-8") == 0) {
				if (dx_utf8_valid_prefix(p, n) != n)
					continue;
				char *u = dx_utf8_clean(a, p, n);
				if (!u)
					return -1;
				best = u;
				best_len = strlen(u);
				best_err = 0;
				break;
			}
			iconv_t cd = lookup(c, cs);
			if (cd == (iconv_t)-1)
				continue;
			char *o;
			size_t on, errs;
			if (convert_with(cd, a, p, n, &o, &on, &errs) < 0)
				return -1;
			if (errs < best_err) {
				best = o;
				best_len = on;
				best_err = errs;
			}
		}
		if (best) {
			*out = best;
			*outlen = best_len;
			return 0;
		}
	}

	iconv_t cd = (iconv_t)-1;
	if (!is_utf8_name(charset))
		cd = lookup(c, charset);
	if (cd == (iconv_t)-1) {
		/* Declared UTF-8 (or ASCII) is cleaned as such; an absent or
		 * unknown charset is UTF-8 if the bytes are, else Latin-1. */
		int declared_utf8 = charset && *charset && is_utf8_name(charset);
		if (declared_utf8 || dx_utf8_valid_prefix(p, n) == n) {
			*out = dx_utf8_clean(a, p, n);
		} else {
			if (n > (SIZE_MAX - 1) / 2)
				return -1;
			char *o = dx_arena_alloc(a, 2 * n + 1);
			if (!o)
				return -1;
			size_t k = 0;
			for (size_t i = 0; i < n; i++) {
				unsigned char ch = (unsigned char)p[i];
				if (ch < 0x80)
					o[k++] = (char)ch;
				else {
					o[k++] = (char)(0xc0 | (ch >> 6));
					o[k++] = (char)(0x80 | (ch & 0x3f));
				}
			}
			*out = dx_utf8_clean(a, o, k);
		}
		if (!*out)
			return -1;
		*outlen = strlen(*out);
		return 0;
	}

	size_t errors;
	return convert_with(cd, a, p, n, out, outlen, &errors);
}

static int convert_with(iconv_t cd, dx_arena *a, const char *p, size_t n, char **out, size_t *outlen,
			size_t *errors)
{
	*errors = 0;
	/* Up to 4 output bytes per input byte covers every charset iconv knows
	 * except stateful escapes, which only shrink. */
	if (n > (SIZE_MAX - 16) / 4)
		return -1;
	size_t cap = 4 * n + 16;
	char *o = dx_arena_alloc(a, cap);
	if (!o)
		return -1;
	iconv(cd, NULL, NULL, NULL, NULL); /* reset shift state (ISO-2022-JP) */
	char *in = (char *)p;
	size_t inleft = n;
	char *op = o;
	size_t outleft = cap - 1;
	while (inleft > 0) {
		size_t r = iconv(cd, &in, &inleft, &op, &outleft);
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG || outleft < 4)
			break; /* cannot happen with the bound above; stop safely */
		/* Invalid or truncated sequence: replace one byte and go on. */
		(*errors)++;
		memcpy(op, "\xef\xbf\xbd", 3);
		op += 3;
		outleft -= 3;
		in++;
		inleft--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	size_t k = (size_t)(op - o);
	/* A C1 control (U+0080..U+009F) in the output means the charset took
	 * a stray byte for one (EUC-JP does): count it as a miss, so that the
	 * Japanese family fallback does not prefer a reading that drops bytes. */
	for (size_t i = 0; i + 1 < k; i++)
		if ((unsigned char)o[i] == 0xc2 && (unsigned char)o[i + 1] >= 0x80 &&
		    (unsigned char)o[i + 1] <= 0x9f)
			(*errors)++;
	/* Line ends in a charset like UTF-16 were hidden from the byte-level
	 * normalisation done before decoding: CRLF and CR become LF here, in
	 * place (it only shrinks), before the cleaning drops other controls. */
	size_t w = 0;
	for (size_t i = 0; i < k; i++) {
		if (o[i] == '\r') {
			o[w++] = '\n';
			if (i + 1 < k && o[i + 1] == '\n')
				i++;
		} else
			o[w++] = o[i];
	}
	k = w;
	*out = dx_utf8_clean(a, o, k); /* iconv output is UTF-8; drop controls */
	if (!*out)
		return -1;
	*outlen = strlen(*out);
	return 0;
}
