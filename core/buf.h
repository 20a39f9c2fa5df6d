/* buf.h: a growable byte buffer, for building output and result sets.
 *
 * Functions return 0 on success and -1 when memory runs out; after a failure
 * the buffer keeps its earlier contents, so callers may check once at the end
 * through dx_buf_failed().
 */
#ifndef DX_BUF_H
#define DX_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct dx_buf {
	char *data;     /* NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	int failed;     /* an append ran out of memory */
} dx_buf;

void dx_buf_init(dx_buf *b);
void dx_buf_free(dx_buf *b);
void dx_buf_clear(dx_buf *b);
int dx_buf_reserve(dx_buf *b, size_t extra);
int dx_buf_append(dx_buf *b, const void *p, size_t n);
int dx_buf_puts(dx_buf *b, const char *s);
int dx_buf_putc(dx_buf *b, char c);
int dx_buf_printf(dx_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int dx_buf_failed(const dx_buf *b) { return b->failed; }

#endif
