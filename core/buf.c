/* buf.c: growable byte buffer; see buf.h. */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dx_buf_init(dx_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void dx_buf_free(dx_buf *b)
{
	free(b->data);
	dx_buf_init(b);
}

void dx_buf_clear(dx_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

int dx_buf_reserve(dx_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1) {
		b->failed = 1;
		return -1;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int dx_buf_append(dx_buf *b, const void *p, size_t n)
{
	if (dx_buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int dx_buf_puts(dx_buf *b, const char *s)
{
	return dx_buf_append(b, s, strlen(s));
}

int dx_buf_putc(dx_buf *b, char c)
{
	return dx_buf_append(b, &c, 1);
}

int dx_buf_printf(dx_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return -1;
	}
	if ((size_t)n < sizeof small)
		return dx_buf_append(b, small, (size_t)n);
	if (dx_buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}
