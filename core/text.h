/* text.h: small helpers for ASCII text in mail: character classes,
 * case-insensitive search, trimming. Explicit lengths throughout; none of
 * these read past p + n or need a NUL. */
#ifndef DX_TEXT_H
#define DX_TEXT_H

#include <stddef.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static inline int dx_is_wsp(char c) { return c == ' ' || c == '\t'; }
static inline int dx_is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static inline char dx_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

int dx_strncasecmp(const char *a, const char *b, size_t n);
/* Whether p[0..n) starts with the lower-case ASCII prefix, ignoring case. */
int dx_startswith_ci(const char *p, size_t n, const char *prefix);
/* First occurrence of needle (lower-case ASCII) in p[0..n), ignoring case. */
const char *dx_memcasemem(const char *p, size_t n, const char *needle);
/* Its scalar twin, which the SIMD version must agree with (tested). */
const char *dx_memcasemem_scalar(const char *p, size_t n, const char *needle);
/* First occurrence of needle[0..k) in p[0..n), exactly; and its scalar twin. */
const char *dx_memmem(const char *p, size_t n, const char *needle, size_t k);
const char *dx_memmem_scalar(const char *p, size_t n, const char *needle, size_t k);
void dx_ascii_lower(char *s);
/* Trims whitespace on both ends of p[0..*n); returns the new start. */
const char *dx_trim(const char *p, size_t *n);
/* The line containing p[pos] ends at the returned offset (at '\n' or n). */
size_t dx_line_end(const char *p, size_t n, size_t pos);

/* ---- scans of short fields, sixteen bytes at a time --------------------------
 *
 * Every line of a mail log has a host, a program, a queue id and a relay
 * to cut out; these find where each ends. With SSE2 (every x86-64) they
 * compare sixteen bytes at once, and finish byte by byte; elsewhere, and
 * in the _scalar twins in text.c that the tests hold them to, byte by
 * byte. Each returns the first j in [from, n) where the field ends, or n;
 * from <= n. None reads at or past p + n. */

/* Where p[j] is a, b or c. */
size_t dx_find3_scalar(const char *p, size_t from, size_t n, char a, char b, char c);
/* Where p[j] is not an ASCII letter or digit. */
size_t dx_alnum_end_scalar(const char *p, size_t from, size_t n);
/* Where a host name ends: whitespace, ']', '>', ')', ';' or ','. */
size_t dx_host_end_scalar(const char *p, size_t from, size_t n);
/* Copies src[0..n) to dst with ASCII letters in lower case (not a scan,
 * but of the same kind: a host name or an address on every line). */
void dx_lower_copy_scalar(char *dst, const char *src, size_t n);

static inline size_t dx_find3(const char *p, size_t from, size_t n, char a, char b, char c)
{
	size_t j = from;
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
	for (; j + 16 <= n; j += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + j));
		__m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)), _mm_cmpeq_epi8(x, vc));
		unsigned m = (unsigned)_mm_movemask_epi8(e);
		if (m)
			return j + (size_t)__builtin_ctz(m);
	}
#endif
	for (; j < n; j++)
		if (p[j] == a || p[j] == b || p[j] == c)
			break;
	return j;
}

static inline size_t dx_alnum_end(const char *p, size_t from, size_t n)
{
	size_t j = from;
#ifdef __SSE2__
	/* Signed compares: bytes from 0x80 up are negative, in no range. */
	const __m128i fold = _mm_set1_epi8(0x20), a0 = _mm_set1_epi8('a' - 1), z1 = _mm_set1_epi8('z' + 1);
	const __m128i d0 = _mm_set1_epi8('0' - 1), d1 = _mm_set1_epi8('9' + 1);
	for (; j + 16 <= n; j += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + j));
		__m128i l = _mm_or_si128(x, fold);
		__m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(l, a0), _mm_cmplt_epi8(l, z1));
		__m128i digit = _mm_and_si128(_mm_cmpgt_epi8(x, d0), _mm_cmplt_epi8(x, d1));
		unsigned m = ~(unsigned)_mm_movemask_epi8(_mm_or_si128(alpha, digit)) & 0xffffu;
		if (m)
			return j + (size_t)__builtin_ctz(m);
	}
#endif
	for (; j < n; j++) {
		char c = p[j], l = (char)(c | 0x20);
		if (!((l >= 'a' && l <= 'z') || (c >= '0' && c <= '9')))
			break;
	}
	return j;
}

static inline void dx_lower_copy(char *dst, const char *src, size_t n)
{
	size_t j = 0;
#ifdef __SSE2__
	const __m128i a0 = _mm_set1_epi8('A' - 1), z1 = _mm_set1_epi8('Z' + 1), bit = _mm_set1_epi8(0x20);
	for (; j + 16 <= n; j += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(src + j));
		__m128i up = _mm_and_si128(_mm_cmpgt_epi8(x, a0), _mm_cmplt_epi8(x, z1));
		_mm_storeu_si128((__m128i *)(void *)(dst + j), _mm_or_si128(x, _mm_and_si128(up, bit)));
	}
#endif
	for (; j < n; j++)
		dst[j] = dx_lower(src[j]);
}

static inline int dx_host_stop(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == ']' || c == '>' || c == ')' || c == ';' || c == ',';
}

static inline size_t dx_host_end(const char *p, size_t from, size_t n)
{
	size_t j = from;
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' '), t0 = _mm_set1_epi8('\t' - 1), r1 = _mm_set1_epi8('\r' + 1);
	const __m128i c1 = _mm_set1_epi8(']'), c2 = _mm_set1_epi8('>'), c3 = _mm_set1_epi8(')');
	const __m128i c4 = _mm_set1_epi8(';'), c5 = _mm_set1_epi8(',');
	for (; j + 16 <= n; j += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + j));
		__m128i e = _mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_and_si128(_mm_cmpgt_epi8(x, t0), _mm_cmplt_epi8(x, r1)));
		e = _mm_or_si128(e, _mm_or_si128(_mm_cmpeq_epi8(x, c1), _mm_cmpeq_epi8(x, c2)));
		e = _mm_or_si128(e, _mm_or_si128(_mm_cmpeq_epi8(x, c3), _mm_or_si128(_mm_cmpeq_epi8(x, c4), _mm_cmpeq_epi8(x, c5))));
		unsigned m = (unsigned)_mm_movemask_epi8(e);
		if (m)
			return j + (size_t)__builtin_ctz(m);
	}
#endif
	for (; j < n; j++)
		if (dx_host_stop(p[j]))
			break;
	return j;
}

#endif
