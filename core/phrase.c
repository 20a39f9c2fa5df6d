/* phrase.c: the Aho-Corasick automaton of phrase.h.
 *
 * The automaton is a full transition table over byte classes: the bytes
 * that occur in some phrase get a class each (a letter's two cases share
 * one), every other byte is class 0, which always leads back towards the
 * root. A state's matches (its own phrase and those of its suffixes) are
 * stored flat, so the scan is one lookup per byte plus one test.
 */
#include "phrase.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* In a table entry: the state reached has matches. */
#define HAS_MATCHES 0x80000000u

struct dx_phrases {
	size_t nphrases;
	uint32_t nstates;
	uint32_t nclass;
	uint8_t cls[256];
	uint32_t *delta;     /* nstates * nclass: the next state's row (state *
			      * nclass), with HAS_MATCHES if it has any */
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
	free(ps->delta);
	free(ps->out_start);
	free(ps->out_ids);
	free(ps);
}

size_t dx_phrases_count(const dx_phrases *ps)
{
	return ps->nphrases;
}

dx_phrases *dx_phrases_new(const char *const *phrases, const size_t *lens, size_t n)
{
	dx_phrases *ps = calloc(1, sizeof *ps);
	if (!ps)
		return NULL;
	ps->nphrases = n;
	/* Classes: one per distinct folded byte in the phrases. */
	size_t total = 0;
	uint32_t nclass = 1;
	for (size_t i = 0; i < n; i++) {
		size_t len = lens ? lens[i] : strlen(phrases[i]);
		total += len;
		for (size_t j = 0; j < len; j++) {
			unsigned char c = fold((unsigned char)phrases[i][j]);
			if (!ps->cls[c])
				ps->cls[c] = (uint8_t)nclass++;
		}
	}
	for (unsigned c = 'A'; c <= 'Z'; c++)
		ps->cls[c] = ps->cls[c + 32];
	if (total > UINT32_MAX / 2) {
		dx_phrases_free(ps);
		return NULL;
	}
	ps->nclass = nclass;
	size_t maxstates = total + 1;
	uint32_t *delta = malloc(maxstates * nclass * sizeof *delta);
	uint32_t *fail = calloc(maxstates, sizeof *fail);
	uint32_t *own = malloc(maxstates * sizeof *own); /* phrase ending here + 1, or 0 */
	uint32_t *queue = malloc(maxstates * sizeof *queue);
	uint32_t *count = calloc(maxstates + 1, sizeof *count);
	if (!delta || !fail || !own || !queue || !count)
		goto oom;
	/* The trie; UINT32_MAX: no edge yet. Duplicate phrases share a state,
	 * and the later one is reported through the chain below. */
	for (size_t i = 0; i < maxstates * nclass; i++)
		delta[i] = UINT32_MAX;
	memset(own, 0, maxstates * sizeof *own);
	uint32_t nstates = 1;
	uint32_t *dup = calloc(n + 1, sizeof *dup); /* next phrase id with the same text + 1 */
	if (!dup)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		size_t len = lens ? lens[i] : strlen(phrases[i]);
		if (!len)
			continue;
		uint32_t s = 0;
		for (size_t j = 0; j < len; j++) {
			uint32_t c = ps->cls[fold((unsigned char)phrases[i][j])];
			if (delta[(size_t)s * nclass + c] == UINT32_MAX)
				delta[(size_t)s * nclass + c] = nstates++;
			s = delta[(size_t)s * nclass + c];
		}
		if (own[s]) {
			/* Chain the duplicate after the first. */
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
	 * chain. States are counted first, then filled. */
	for (uint32_t s = 0; s < nstates; s++) {
		for (uint32_t f = s; f; f = fail[f])
			for (uint32_t k = own[f]; k; k = dup[k - 1])
				count[s]++;
	}
	ps->out_start = malloc(((size_t)nstates + 1) * sizeof *ps->out_start);
	if (!ps->out_start) {
		free(dup);
		goto oom;
	}
	size_t nout = 0;
	for (uint32_t s = 0; s < nstates; s++) {
		ps->out_start[s] = (uint32_t)nout;
		nout += count[s];
	}
	ps->out_start[nstates] = (uint32_t)nout;
	ps->out_ids = malloc((nout ? nout : 1) * sizeof *ps->out_ids);
	if (!ps->out_ids) {
		free(dup);
		goto oom;
	}
	for (uint32_t s = 0; s < nstates; s++) {
		size_t o = ps->out_start[s];
		for (uint32_t f = s; f; f = fail[f])
			for (uint32_t k = own[f]; k; k = dup[k - 1])
				ps->out_ids[o++] = k - 1;
	}
	free(dup);
	/* Shrink the table to the states used, and store each next state as
	 * its row's offset, so that the scan does no multiplication; a
	 * state's matches are then at out_start[row / nclass]. */
	uint32_t *shrunk = realloc(delta, (size_t)nstates * nclass * sizeof *delta);
	ps->delta = shrunk ? shrunk : delta;
	ps->nstates = nstates;
	if ((uint64_t)nstates * nclass >= HAS_MATCHES)
		goto oom_built;
	for (size_t i = 0; i < (size_t)nstates * nclass; i++) {
		uint32_t t = ps->delta[i];
		ps->delta[i] = t * nclass | (count[t] ? HAS_MATCHES : 0);
	}
	free(fail);
	free(own);
	free(queue);
	free(count);
	return ps;
oom_built:
	free(fail);
	free(own);
	free(queue);
	free(count);
	dx_phrases_free(ps);
	return NULL;
oom:
	free(delta);
	free(fail);
	free(own);
	free(queue);
	free(count);
	dx_phrases_free(ps);
	return NULL;
}

int dx_phrases_scan(const dx_phrases *ps, const char *p, size_t n, dx_phrase_fn fn, void *arg)
{
	const uint32_t *delta = ps->delta;
	const uint32_t *out_start = ps->out_start;
	const uint32_t nclass = ps->nclass;
	const uint8_t *cls = ps->cls;
	uint32_t row = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t next = delta[row + cls[(unsigned char)p[i]]];
		row = next & ~HAS_MATCHES;
		if (next & HAS_MATCHES) {
			uint32_t s = row / nclass;
			for (uint32_t a = out_start[s], b = out_start[s + 1]; a < b; a++)
				if (fn(arg, ps->out_ids[a], i + 1))
					return 1;
		}
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
