/* rxlit.h: literals that every match of a regular expression contains.
 *
 * For a PCRE2 pattern, finds a small set of byte strings such that any text
 * the pattern matches contains at least one of them: /\bmailbox\s+(?:is\s+)?
 * full\b|\bquota\s+exceeded\b/ gives {"mailbox", "quota"} (or an equally
 * good choice). Classification uses it to skip the patterns whose literals
 * are absent from a text, which is most of them, without running them.
 *
 * The analysis is conservative: whatever it does not understand (inline
 * options, conditionals, verbs, escapes for control characters) ends a
 * literal, and a branch without a literal makes the whole answer "none",
 * meaning the pattern must always be tried. Letters
 * are given in lower case; the caller compares ignoring ASCII case. (With
 * PCRE2's Unicode case folding, 'k' and 's' also match U+212A and U+017F;
 * the caller tries every pattern on a text that has either.)
 */
#ifndef DX_RXLIT_H
#define DX_RXLIT_H

#include <stddef.h>
#include <stdint.h>

enum { DX_RXLIT_MAX = 48, DX_RXLIT_SETS = 16 };

/* A literal that stands for any byte from 0x80 up: where a pattern needs a
 * non-ASCII character that has other cases ("Почтовый"), the text must
 * hold some non-ASCII byte, whichever case it is written in. (Characters
 * without case, kana and CJK ideographs, are literals themselves; U+212A
 * and U+017F, which fold to ASCII 'k' and 's', give nothing.) The caller
 * tests for it by hand: it is no string to search for. */
#define DX_RXLIT_HIGH "\x80"

/* The answer is in disjunctive normal form over sets of literals: the
 * pattern can match a text only if, for some branch, every set of that
 * branch has one of its literals in the text. A top-level alternation
 * gives the branches; within a branch, each required run of plain
 * characters and each required group is a set (a group's alternatives are
 * the set's literals), of which the best two are kept. */
typedef struct dx_rxlit {
	size_t n;                      /* literals; 0: none found, always try */
	char *lit[DX_RXLIT_MAX];       /* malloc'd, NUL-terminated, lower case */
	size_t nsets;
	uint64_t set[DX_RXLIT_SETS];   /* bit k: lit[k] belongs to the set */
	unsigned char branch[DX_RXLIT_SETS]; /* the branch each set belongs to */
	size_t nbranches;
	/* Branch b is the pattern's bytes [bstart[b], bend[b]): a top-level
	 * alternative, which the caller may compile alone (see classify.c). */
	uint32_t bstart[DX_RXLIT_SETS], bend[DX_RXLIT_SETS];
} dx_rxlit;

/* Whether the literals present (bit k: lit[k] is in the text) allow a
 * match. */
int dx_rxlit_possible(const dx_rxlit *l, uint64_t present);

/* Which branches the literals present allow: bit b for branch b; 0 when
 * none can match. Without literals (n == 0), every bit is set: nothing is
 * known, every branch may match. */
uint32_t dx_rxlit_branches(const dx_rxlit *l, uint64_t present);

/* Fills out for pattern p[0..n); 0, or -1 when out of memory (out is then
 * empty). A pattern that is not valid PCRE2 gives some answer or none; the
 * caller compiles it first. */
int dx_rxlit_find(const char *p, size_t n, dx_rxlit *out);
void dx_rxlit_clear(dx_rxlit *l);

#endif
