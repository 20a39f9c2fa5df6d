/* text.h: small helpers for ASCII text in mail: character classes,
 * case-insensitive search, trimming. Explicit lengths throughout; none of
 * these read past p + n or need a NUL. */
#ifndef DX_TEXT_H
#define DX_TEXT_H

#include <stddef.h>

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

#endif
