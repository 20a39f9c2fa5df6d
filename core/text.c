/* text.c: ASCII text helpers; see text.h. */
#include "text.h"

#include <string.h>

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

const char *dx_memcasemem(const char *p, size_t n, const char *needle)
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
