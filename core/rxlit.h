/* rxlit.h: literals that every match of a regular expression contains.
 *
 * For a PCRE2 pattern, finds a small set of byte strings such that any text
 * the pattern matches contains at least one of them: /\bmailbox\s+(?:is\s+)?
 * full\b|\bquota\s+exceeded\b/ gives {"mailbox", "quota"} (or an equally
 * good choice). Classification uses it to skip the patterns whose literals
 * are absent from a text, which is most of them, without running them.
 *
 * The analysis is conservative: whatever it does not understand (inline
 * options, conditionals, verbs, escapes for control characters, non-ASCII
 * characters) ends a literal, and a branch without a literal makes the
 * whole answer "none", meaning the pattern must always be tried. Letters
 * are given in lower case; the caller compares ignoring ASCII case. (With
 * PCRE2's Unicode case folding, 'k' and 's' also match U+212A and U+017F;
 * the caller tries every pattern on a text that has either.)
 */
#ifndef DX_RXLIT_H
#define DX_RXLIT_H

#include <stddef.h>

enum { DX_RXLIT_MAX = 48 };

typedef struct dx_rxlit {
	size_t n;                    /* 0: none found, always try the pattern */
	char *lit[DX_RXLIT_MAX];     /* malloc'd, NUL-terminated, lower case */
} dx_rxlit;

/* Fills out for pattern p[0..n); 0, or -1 when out of memory (out is then
 * empty). A pattern that is not valid PCRE2 gives some answer or none; the
 * caller compiles it first. */
int dx_rxlit_find(const char *p, size_t n, dx_rxlit *out);
void dx_rxlit_clear(dx_rxlit *l);

#endif
