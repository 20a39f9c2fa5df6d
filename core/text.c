/* text.c: ASCII text helpers; see text.h. */
#include "text.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

int dx_strncasecmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x = dx_lower(a[i]), y = dx_lower(b[i]);
		if (x != y)
			return (unsigned char)x - (unsigned char)y;
		if (!x)
			return 0;
	}
	return 0;
}

int dx_startswith_ci(const char *p, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return k <= n && dx_strncasecmp(p, prefix, k) == 0;
}

const char *dx_memcasemem_scalar(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	if (k == 0)
		return p;
	if (k > n)
		return NULL;
	char first = needle[0];
	char first_up = (first >= 'a' && first <= 'z') ? (char)(first - 32) : first;
	for (size_t i = 0; i + k <= n; i++) {
		if (p[i] != first && p[i] != first_up)
			continue;
		size_t j = 1;
		while (j < k && dx_lower(p[i + j]) == needle[j])
			j++;
		if (j == k)
			return p + i;
	}
	return NULL;
}

#ifdef __SSE2__
/* The needle's first and last bytes are looked for 16 positions at a time,
 * both sides folded with OR 0x20 (which maps A-Z onto a-z, and other bytes
 * onto some byte, the same on both sides, so no true match is missed);
 * each position where both agree is then compared in full. Searching for
 * the last byte too makes candidates rare in text where the first byte is
 * common (a space, an 'e'). */
/* The candidates of one block: bit b for position at + b where the
 * folded first and last bytes agree. */
static inline unsigned casemem_block(const char *at, size_t k, __m128i first, __m128i last)
{
	const __m128i fold = _mm_set1_epi8(0x20);
	__m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)at), fold);
	__m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(at + k - 1)), fold);
	return (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));
}

/* The first candidate in m (positions from `base`) that matches in full. */
static inline const char *casemem_verify(const char *base, unsigned m, const char *needle, size_t k)
{
	while (m) {
		const char *c = base + __builtin_ctz(m);
		size_t j = 0;
		while (j < k && dx_lower(c[j]) == needle[j])
			j++;
		if (j == k)
			return c;
		m &= m - 1;
	}
	return NULL;
}

static const char *memcasemem_sse2(const char *p, size_t n, const char *needle, size_t k)
{
	const __m128i first = _mm_set1_epi8((char)(needle[0] | 0x20));
	const __m128i last = _mm_set1_epi8((char)(needle[k - 1] | 0x20));
	size_t npos = n - k + 1; /* candidate positions: 0 .. npos - 1 */
	if (npos < 16) {
		/* Fewer than a block (most header values): the text copied
		 * into a block of its own, padded, and only the real positions
		 * kept; candidates are checked in the text itself. */
		if (n > 48)
			return dx_memcasemem_scalar(p, n, needle);
		char pad[64] = {0};
		memcpy(pad, p, n);
		unsigned m = casemem_block(pad, k, first, last) & ((1u << npos) - 1);
		return casemem_verify(p, m, needle, k);
	}
	size_t i = 0;
	for (; i + 16 <= npos; i += 16) {
		const char *r = casemem_verify(p + i, casemem_block(p + i, k, first, last), needle, k);
		if (r)
			return r;
	}
	if (i < npos) {
		/* The last positions, fewer than 16: the block that ends at the
		 * last position, less those already looked at. */
		size_t at = npos - 16;
		unsigned m = casemem_block(p + at, k, first, last) & ~((1u << (i - at)) - 1);
		return casemem_verify(p + at, m, needle, k);
	}
	return NULL;
}
#endif

const char *dx_memmem_scalar(const char *p, size_t n, const char *needle, size_t k)
{
	if (k == 0)
		return p;
	for (size_t i = 0; i + k <= n; i++) {
		const char *c = memchr(p + i, needle[0], n - k + 1 - i);
		if (!c)
			return NULL;
		i = (size_t)(c - p);
		if (memcmp(c, needle, k) == 0)
			return c;
	}
	return NULL;
}

#ifdef __SSE2__
/* As memcasemem_sse2, exact: first and last bytes 16 positions at a time. */
static const char *memmem_sse2(const char *p, size_t n, const char *needle, size_t k)
{
	const __m128i first = _mm_set1_epi8(needle[0]);
	const __m128i last = _mm_set1_epi8(needle[k - 1]);
	size_t i = 0;
	for (; i + k - 1 + 16 <= n; i += 16) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i + k - 1));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));
		while (m) {
			unsigned bit = (unsigned)__builtin_ctz(m);
			if (memcmp(p + i + bit, needle, k) == 0)
				return p + i + bit;
			m &= m - 1;
		}
	}
	return i + k <= n ? dx_memmem_scalar(p + i, n - i, needle, k) : NULL;
}
#endif

const char *dx_memmem(const char *p, size_t n, const char *needle, size_t k)
{
#ifdef __SSE2__
	if (k >= 2 && k <= n)
		return memmem_sse2(p, n, needle, k);
#endif
	return dx_memmem_scalar(p, n, needle, k);
}

const char *dx_memcasemem(const char *p, size_t n, const char *needle)
{
#ifdef __SSE2__
	size_t k = strlen(needle);
	if (k >= 2 && k <= n)
		return memcasemem_sse2(p, n, needle, k);
#endif
	return dx_memcasemem_scalar(p, n, needle);
}

void dx_ascii_lower(char *s)
{
	for (; *s; s++)
		*s = dx_lower(*s);
}

const char *dx_trim(const char *p, size_t *n)
{
	size_t len = *n;
	while (len && dx_is_space(*p)) {
		p++;
		len--;
	}
	while (len && dx_is_space(p[len - 1]))
		len--;
	*n = len;
	return p;
}

size_t dx_line_end(const char *p, size_t n, size_t pos)
{
	if (pos >= n)
		return n;
	const char *e = memchr(p + pos, '\n', n - pos);
	return e ? (size_t)(e - p) : n;
}

/* ---- the scans' scalar twins (text.h) --------------------------------------- */

size_t dx_find3_scalar(const char *p, size_t from, size_t n, char a, char b, char c)
{
	size_t j = from;
	while (j < n && p[j] != a && p[j] != b && p[j] != c)
		j++;
	return j;
}

size_t dx_alnum_end_scalar(const char *p, size_t from, size_t n)
{
	size_t j = from;
	while (j < n && ((p[j] >= 'a' && p[j] <= 'z') || (p[j] >= 'A' && p[j] <= 'Z') || (p[j] >= '0' && p[j] <= '9')))
		j++;
	return j;
}

size_t dx_host_end_scalar(const char *p, size_t from, size_t n)
{
	static const unsigned char stop[256] = {
		[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, ['\f'] = 1, ['\v'] = 1,
		[']'] = 1, ['>'] = 1, [')'] = 1, [';'] = 1, [','] = 1,
	};
	size_t j = from;
	while (j < n && !stop[(unsigned char)p[j]])
		j++;
	return j;
}

void dx_lower_copy_scalar(char *dst, const char *src, size_t n)
{
	for (size_t j = 0; j < n; j++)
		dst[j] = (src[j] >= 'A' && src[j] <= 'Z') ? (char)(src[j] + 32) : src[j];
}
