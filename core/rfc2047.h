/* rfc2047.h: encoded words in header values ("=?utf-8?B?...?=").
 *
 * Decodes every encoded word, drops the whitespace between adjacent ones,
 * and converts the result to UTF-8 (see charset.h). Raw 8-bit text outside
 * encoded words is taken as UTF-8 when valid, as ISO-2022-JP when it holds
 * JIS escapes (common in Japanese mail), else as ISO-8859-1. A malformed
 * encoded word is kept as literal text. Fails only on memory (NULL).
 */
#ifndef DX_RFC2047_H
#define DX_RFC2047_H

#include <stddef.h>

#include "arena.h"
#include "charset.h"

char *dx_rfc2047_decode(dx_arena *a, dx_charset_ctx *cs, const char *p, size_t n);

#endif
