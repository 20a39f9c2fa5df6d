/* phrase.h: a set of phrases found in one pass over a text, ignoring ASCII
 * case (an Aho-Corasick automaton).
 *
 * Classification tries about two hundred patterns on every diagnostic, and
 * decoders look for dozens of phrases in every report. Looking for each in
 * turn costs a pass per phrase; this finds all of them in one pass, at a
 * table lookup per byte. The automaton is built once (per engine) and read
 * by every thread.
 *
 * Phrases are bytes; A-Z in a phrase or a text match a-z and the other way
 * round, every other byte only itself. An empty phrase is ignored.
 */
#ifndef DX_PHRASE_H
#define DX_PHRASE_H

#include <stddef.h>

typedef struct dx_phrases dx_phrases;

/* Flags of dx_phrases_new(). LOOSE: all digits count as one byte: every
 * occurrence is still found, and some places that only look alike are
 * reported too. For a prefilter, where a smaller automaton (which stays in
 * cache) is worth the odd false alarm. (Bytes from 0x80 are kept apart:
 * merged, a CJK phrase would match anywhere in CJK text.) */
enum { DX_PHRASES_EXACT = 0, DX_PHRASES_LOOSE = 1 };

/* Builds the automaton for phrases[0..n) (each phrases[i], lens[i] bytes;
 * lens NULL: NUL-terminated). Phrase ids are the indexes. NULL when out of
 * memory. */
dx_phrases *dx_phrases_new(const char *const *phrases, const size_t *lens, size_t n, unsigned flags);
void dx_phrases_free(dx_phrases *ps);
size_t dx_phrases_count(const dx_phrases *ps);
/* Whether some phrase holds the byte c (or what c stands for: the other
 * case of a letter, loosely another digit). */
int dx_phrases_has_byte(const dx_phrases *ps, unsigned char c);

/* Called for each occurrence, in order of where it ends (end = offset just
 * past it); non-zero stops the scan. */
typedef int (*dx_phrase_fn)(void *arg, size_t id, size_t end);

/* Reports every occurrence in p[0..n); returns 1 if fn stopped it, else 0. */
int dx_phrases_scan(const dx_phrases *ps, const char *p, size_t n, dx_phrase_fn fn, void *arg);

/* Whether any phrase occurs in p[0..n); *id and *end (if given) get the one
 * that ends first. */
int dx_phrases_any(const dx_phrases *ps, const char *p, size_t n, size_t *id, size_t *end);

#endif
