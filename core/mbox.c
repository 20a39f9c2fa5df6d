/* mbox.c: mbox boundaries; see mbox.h. */
#include "mbox.h"

#include <string.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int dx_mbox_from_line(const char *p, size_t n)
{
	if (n < 5)
		return n == 0 || memcmp(p, "From ", n) != 0 ? 0 : -1;
	if (memcmp(p, "From ", 5) != 0)
		return 0;
	size_t lim = n < DX_MBOX_MAX_FROM_LINE ? n : DX_MBOX_MAX_FROM_LINE;
	size_t len = 0;
	while (len < lim && p[len] != '\n' && p[len] != '\r')
		len++;
	if (len == lim)
		return n < DX_MBOX_MAX_FROM_LINE ? -1 : 0;
	/* The sender: a token after "From ". */
	size_t i = 5;
	while (i < len && p[i] == ' ')
		i++;
	size_t s = i;
	while (i < len && p[i] != ' ' && p[i] != '\t')
		i++;
	if (i == s || i == len)
		return 0;
	/* The date: somewhere after the sender, a time "hh:mm". */
	for (size_t j = i; j + 4 < len; j++) {
		if (is_digit(p[j]) && is_digit(p[j + 1]) && p[j + 2] == ':' && is_digit(p[j + 3]) &&
		    is_digit(p[j + 4]))
			return 1;
	}
	return 0;
}

size_t dx_mbox_next(const dx_scan_kernel *k, const char *p, size_t n, size_t pos)
{
	while (pos < n) {
		size_t at = k->next_from_line(p, n, pos);
		if (at >= n)
			return n;
		if (dx_mbox_from_line(p + at, n - at) == 1)
			return at;
		pos = at + 1;
	}
	return n;
}

/* The last line end ('\n', or '\r' of a bare-CR file) in p[0..n). */
static const char *last_newline(const char *p, size_t n)
{
	while (n) {
		--n;
		if (p[n] == '\n' || p[n] == '\r')
			return p + n;
	}
	return NULL;
}

size_t dx_mbox_last(const char *p, size_t n, size_t after)
{
	size_t end = n;
	while (end > after + 1) {
		const char *nl = last_newline(p + after, end - after - 1);
		if (!nl)
			return 0;
		size_t at = (size_t)(nl - p) + 1;
		if (at < n && p[at] == 'F' && dx_mbox_from_line(p + at, n - at) == 1)
			return at;
		end = (size_t)(nl - p);
	}
	return 0;
}

int dx_mbox_detect(const char *p, size_t n, size_t *skip)
{
	size_t i = 0;
	while (i < n && (p[i] == '\n' || p[i] == '\r'))
		i++;
	*skip = i;
	return dx_mbox_from_line(p + i, n - i) == 1;
}
