/* charset.h: text in any charset to valid UTF-8.
 *
 * A dx_charset_ctx caches iconv descriptors (opening one costs far more than
 * converting a header), so it belongs to one thread. Conversion never fails
 * on bad input: an unknown charset is read as UTF-8 if the bytes are valid
 * UTF-8 and as ISO-8859-1 otherwise; bytes invalid in their charset become
 * U+FFFD. Only running out of arena memory fails (-1).
 */
#ifndef DX_CHARSET_H
#define DX_CHARSET_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

typedef struct dx_charset_ctx dx_charset_ctx;

dx_charset_ctx *dx_charset_new(void);
void dx_charset_free(dx_charset_ctx *c);

/* Converts p[0..n) from charset (NULL or "" for unknown) to UTF-8 in the
 * arena; the result is NUL-terminated. */
int dx_to_utf8(dx_charset_ctx *c, dx_arena *a, const char *charset, const char *p, size_t n,
	       char **out, size_t *outlen);

/* Writes the UTF-8 encoding of a code point (1 to 4 bytes) to out and
 * returns its length; a surrogate or a value past U+10FFFF gives U+FFFD. */
size_t dx_utf8_encode(char *out, uint32_t cp);
/* Length of the valid UTF-8 prefix of p[0..n). */
size_t dx_utf8_valid_prefix(const char *p, size_t n);
/* 1 when p[0..n) is plain ASCII (printable, tab, newline): text that
 * dx_utf8_clean() would copy unchanged. */
int dx_utf8_is_plain(const char *p, size_t n);
/* Copies p[0..n) replacing invalid UTF-8 and control characters other than
 * tab and newline with U+FFFD; NUL-terminated. */
char *dx_utf8_clean(dx_arena *a, const char *p, size_t n);

#endif
