/* phrase.c: the Aho-Corasick automaton of phrase.h.
 *
 * The automaton is a full transition table over byte classes: the bytes
 * that occur in some phrase get a class each (a letter's two cases share
 * one; loosely, all digits one), every other byte
 * is class 0, which always leads back towards the root. A state's matches
 * (its own phrases and those of its suffixes) are stored flat, and a flag
 * in the table says a state has any, so the scan is one lookup per byte
 * plus one test. The table holds 16-bit entries when the states fit, which
 * halves what the scan drags through the cache.
 */
#include "phrase.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* In a table entry: the state reached has matches. */
#define MATCH16 0x8000u
#define MATCH32 0x80000000u

struct dx_phrases {
	size_t nphrases;
	uint32_t nstates;
	uint32_t nclass;
	uint8_t cls[256];
	/* nstates * nclass: the next state's row (state * nclass), with
	 * MATCH16 or MATCH32 if it has matches; 16-bit entries when the rows
	 * fit, for the cache's sake. */
	uint16_t *delta16;
	uint32_t *delta32;
	uint32_t *out_start; /* nstates + 1: matches of state s are out_ids[out_start[s] .. out_start[s+1]) */
	uint32_t *out_ids;
};

static unsigned char fold(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

void dx_phrases_free(dx_phrases *ps)
{
	if (!ps)
		return;
	free(ps->delta16);
	free(ps->delta32);
	free(ps->out_start);
	free(ps->out_ids);
	free(ps);
}

size_t dx_phrases_count(const dx_phrases *ps)
{
	return ps->nphrases;
}

/* The byte a phrase's or a text's byte stands for. */
static unsigned char canon(unsigned char c, unsigned flags)
{
	c = fold(c);
	if ((flags & DX_PHRASES_LOOSE) && c >= '0' && c <= '9')
		return '0';
	return c;
}

/* For trie_states: phrases as class strings, ordered. */
typedef struct class_string {
	const unsigned char *p;
	size_t n;
} class_string;

static int by_classes(const void *x, const void *y)
{
	const class_string *a = x, *b = y;
	size_t m = a->n < b->n ? a->n : b->n;
	int c = memcmp(a->p, b->p, m);
	return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* The number of states the trie of the phrases will have: one per
 * distinct prefix (as classes), counted over the phrases in order, so
 * that the table is made at its size. (Made for the sum of the phrases'
 * lengths, the rule literals' table was 3.4 times too large, and filling it
 * was 7% of the program's start.) total: the phrases' bytes. 0 when out
 * of memory. */
static size_t trie_states(const dx_phrases *ps, const char *const *phrases, const size_t *lens, size_t n,
			  size_t total)
{
	class_string *v = malloc((n ? n : 1) * sizeof *v);
	unsigned char *bytes = malloc(total ? total : 1);
	if (!v || !bytes) {
		free(v);
		free(bytes);
		return 0;
	}
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = lens ? lens[i] : strlen(phrases[i]);
		v[i].p = bytes + at;
		v[i].n = len;
		for (size_t j = 0; j < len; j++)
			bytes[at++] = ps->cls[(unsigned char)phrases[i][j]];
	}
	qsort(v, n, sizeof *v, by_classes);
	size_t states = 1;
	for (size_t i = 0; i < n; i++) {
		size_t common = 0;
		if (i > 0)
			while (common < v[i].n && common < v[i - 1].n && v[i].p[common] == v[i - 1].p[common])
				common++;
		states += v[i].n - common;
	}
	free(v);
	free(bytes);
	return states;
}

dx_phrases *dx_phrases_new(const char *const *phrases, const size_t *lens, size_t n, unsigned flags)
{
	dx_phrases *ps = calloc(1, sizeof *ps);
	if (!ps)
		return NULL;
	ps->nphrases = n;
	/* Classes: one per distinct byte in the phrases (as canon() sees
	 * them); every other byte is class 0. */
	size_t total = 0;
	uint32_t nclass = 1;
	for (size_t i = 0; i < n; i++) {
		size_t len = lens ? lens[i] : strlen(phrases[i]);
		total += len;
		for (size_t j = 0; j < len; j++) {
			unsigned char c = canon((unsigned char)phrases[i][j], flags);
			if (!ps->cls[c])
				ps->cls[c] = (uint8_t)nclass++;
		}
	}
	for (unsigned c = 0; c < 256; c++)
		ps->cls[c] = ps->cls[canon((unsigned char)c, flags)];
	if (total > UINT32_MAX / 4) {
		dx_phrases_free(ps);
		return NULL;
	}
	ps->nclass = nclass;
	size_t maxstates = trie_states(ps, phrases, lens, n, total);
	if (!maxstates) {
		dx_phrases_free(ps);
		return NULL;
	}
	uint32_t *delta = malloc(maxstates * nclass * sizeof *delta);
	uint32_t *fail = calloc(maxstates, sizeof *fail);
	uint32_t *own = calloc(maxstates, sizeof *own); /* first phrase ending here + 1, or 0 */
	uint32_t *queue = malloc(maxstates * sizeof *queue);
	uint32_t *count = calloc(maxstates + 1, sizeof *count);
	uint32_t *dup = calloc(n + 1, sizeof *dup); /* next phrase id with the same text + 1 */
	if (!delta || !fail || !own || !queue || !count || !dup)
		goto fail;
	/* The trie; UINT32_MAX: no edge yet. Duplicate phrases share a state
	 * and are chained, so each is reported. */
	for (size_t i = 0; i < maxstates * nclass; i++)
		delta[i] = UINT32_MAX;
	uint32_t nstates = 1;
	for (size_t i = 0; i < n; i++) {
		size_t len = lens ? lens[i] : strlen(phrases[i]);
		if (!len)
			continue;
		uint32_t s = 0;
		for (size_t j = 0; j < len; j++) {
			uint32_t c = ps->cls[(unsigned char)phrases[i][j]];
			if (delta[(size_t)s * nclass + c] == UINT32_MAX) {
				if (nstates == maxstates)
					goto fail; /* (trie_states counts them all) */
				delta[(size_t)s * nclass + c] = nstates++;
			}
			s = delta[(size_t)s * nclass + c];
		}
		if (own[s]) {
			uint32_t k = own[s] - 1;
			while (dup[k])
				k = dup[k] - 1;
			dup[k] = (uint32_t)i + 1;
		} else {
			own[s] = (uint32_t)i + 1;
		}
	}
	/* Failure links and the full table, breadth first. */
	size_t qh = 0, qt = 0;
	for (uint32_t c = 0; c < nclass; c++) {
		uint32_t t = delta[c];
		if (t == UINT32_MAX) {
			delta[c] = 0;
		} else {
			fail[t] = 0;
			queue[qt++] = t;
		}
	}
	while (qh < qt) {
		uint32_t s = queue[qh++];
		for (uint32_t c = 0; c < nclass; c++) {
			uint32_t t = delta[(size_t)s * nclass + c];
			if (t == UINT32_MAX) {
				delta[(size_t)s * nclass + c] = delta[(size_t)fail[s] * nclass + c];
			} else {
				fail[t] = delta[(size_t)fail[s] * nclass + c];
				queue[qt++] = t;
			}
		}
	}
	/* Matches per state: its own phrases, then those of its failure
	 * chain; counted first, then filled. */
	for (uint32_t s = 0; s < nstates; s++)
		for (uint32_t f = s; f; f = fail[f])
			for (uint32_t k = own[f]; k; k = dup[k - 1])
				count[s]++;
	ps->out_start = malloc(((size_t)nstates + 1) * sizeof *ps->out_start);
	if (!ps->out_start)
		goto fail;
	size_t nout = 0;
	for (uint32_t s = 0; s < nstates; s++) {
		ps->out_start[s] = (uint32_t)nout;
		nout += count[s];
	}
	ps->out_start[nstates] = (uint32_t)nout;
	ps->out_ids = malloc((nout ? nout : 1) * sizeof *ps->out_ids);
	if (!ps->out_ids)
		goto fail;
	for (uint32_t s = 0; s < nstates; s++) {
		size_t o = ps->out_start[s];
		for (uint32_t f = s; f; f = fail[f])
			for (uint32_t k = own[f]; k; k = dup[k - 1])
				ps->out_ids[o++] = k - 1;
	}
	/* The table as the scan reads it: each entry the row of the state
	 * reached (state * nclass), flagged. A row, not a state, so that the
	 * scan's chain from one byte to the next is a load and an add: a
	 * multiply there cost a third of the time per byte. */
	ps->nstates = nstates;
	size_t cells = (size_t)nstates * nclass;
	if (cells <= MATCH16) {
		ps->delta16 = malloc(cells * sizeof *ps->delta16);
		if (!ps->delta16)
			goto fail;
		for (size_t i = 0; i < cells; i++)
			ps->delta16[i] = (uint16_t)(delta[i] * nclass | (count[delta[i]] ? MATCH16 : 0));
		free(delta);
	} else if (cells <= MATCH32) {
		uint32_t *shrunk = realloc(delta, cells * sizeof *delta);
		ps->delta32 = shrunk ? shrunk : delta;
		for (size_t i = 0; i < cells; i++)
			ps->delta32[i] = ps->delta32[i] * nclass | (count[ps->delta32[i]] ? MATCH32 : 0);
	} else {
		goto fail;
	}
	free(fail);
	free(own);
	free(queue);
	free(count);
	free(dup);
	return ps;
fail:
	free(delta);
	free(fail);
	free(own);
	free(queue);
	free(count);
	free(dup);
	dx_phrases_free(ps);
	return NULL;
}

/* Reports the matches of state s, which end at i + 1; 1 if fn stopped. */
static int report(const dx_phrases *ps, uint32_t s, size_t i, dx_phrase_fn fn, void *arg)
{
	for (uint32_t a = ps->out_start[s], b = ps->out_start[s + 1]; a < b; a++)
		if (fn(arg, ps->out_ids[a], i + 1))
			return 1;
	return 0;
}

int dx_phrases_scan(const dx_phrases *ps, const char *p, size_t n, dx_phrase_fn fn, void *arg)
{
	const uint8_t *cls = ps->cls;
	size_t row = 0;
	if (ps->delta16) {
		const uint16_t *delta = ps->delta16;
		for (size_t i = 0; i < n; i++) {
			uint32_t next = delta[row + cls[(unsigned char)p[i]]];
			row = next & ~MATCH16;
			if ((next & MATCH16) && report(ps, (uint32_t)(row / ps->nclass), i, fn, arg))
				return 1;
		}
		return 0;
	}
	const uint32_t *delta = ps->delta32;
	for (size_t i = 0; i < n; i++) {
		uint32_t next = delta[row + cls[(unsigned char)p[i]]];
		row = next & ~MATCH32;
		if ((next & MATCH32) && report(ps, (uint32_t)(row / ps->nclass), i, fn, arg))
			return 1;
	}
	return 0;
}

typedef struct first_hit {
	size_t id, end;
} first_hit;

static int take_first(void *arg, size_t id, size_t end)
{
	first_hit *h = arg;
	h->id = id;
	h->end = end;
	return 1;
}

int dx_phrases_any(const dx_phrases *ps, const char *p, size_t n, size_t *id, size_t *end)
{
	first_hit h = {0, 0};
	if (!dx_phrases_scan(ps, p, n, take_first, &h))
		return 0;
	if (id)
		*id = h.id;
	if (end)
		*end = h.end;
	return 1;
}
