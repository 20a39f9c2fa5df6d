/* phrase.c: the Aho-Corasick automaton of phrase.h.
 *
 * The automaton is a full transition table over byte classes: the bytes
 * that occur in some phrase get a class each (a letter's two cases share
 * one; loosely, all digits one), every other byte
 * is class 0, which always leads back towards the root. A state's matches
 * (its own phrases and those of its suffixes) are stored flat. States
 * with matches are numbered last, so that "has matches" is a comparison
 * of the state reached with the first of them: the scan is one lookup per
 * byte plus one test. The table holds 16-bit entries when the states fit,
 * which halves what the scan drags through the cache.
 *
 * A scan is a chain of dependent loads (each byte's lookup needs the
 * state the last one gave), so it runs at the memory's latency, not its
 * speed: a text longer than a few phrases is read as two halves at once,
 * two chains side by side (see dx_phrases_scan).
 */
#include "phrase.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct dx_phrases {
	size_t nphrases;
	uint32_t nstates;
	uint32_t nclass;
	uint8_t cls[256];
	size_t maxlen;           /* bytes of the longest phrase */
	/* nstates * nclass: the next state's row (state * nclass); 16-bit
	 * entries when the rows fit, for the cache's sake. */
	uint16_t *delta16;
	uint32_t *delta32;
	uint32_t match_row;      /* rows from here on are of states with matches */
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

int dx_phrases_has_byte(const dx_phrases *ps, unsigned char c)
{
	return ps->cls[c] != 0;
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
		if (len > ps->maxlen)
			ps->maxlen = len;
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
	uint32_t *inv = NULL;
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
	/* States renumbered: those without matches first (the root, which
	 * has none, stays 0), in the order they had; queue, done with, maps
	 * an old number to a new one, inv the other way. */
	uint32_t *nid = queue;
	inv = malloc(nstates * sizeof *inv);
	if (!inv)
		goto fail;
	uint32_t plain = 0;
	for (uint32_t s = 0; s < nstates; s++)
		if (!count[s])
			plain++;
	for (uint32_t s = 0, lo = 0, hi = plain; s < nstates; s++) {
		nid[s] = count[s] ? hi++ : lo++;
		inv[nid[s]] = s;
	}
	ps->out_start = malloc(((size_t)nstates + 1) * sizeof *ps->out_start);
	if (!ps->out_start)
		goto fail;
	size_t nout = 0;
	for (uint32_t t = 0; t < nstates; t++) {
		ps->out_start[t] = (uint32_t)nout;
		nout += count[inv[t]];
	}
	ps->out_start[nstates] = (uint32_t)nout;
	ps->out_ids = malloc((nout ? nout : 1) * sizeof *ps->out_ids);
	if (!ps->out_ids)
		goto fail;
	for (uint32_t t = 0; t < nstates; t++) {
		size_t o = ps->out_start[t];
		for (uint32_t f = inv[t]; f; f = fail[f])
			for (uint32_t k = own[f]; k; k = dup[k - 1])
				ps->out_ids[o++] = k - 1;
	}
	/* The table as the scan reads it: each entry the row of the state
	 * reached (state * nclass). A row, not a state, so that the scan's
	 * chain from one byte to the next is a load and an add: a multiply
	 * there cost a third of the time per byte. */
	ps->nstates = nstates;
	ps->match_row = plain * nclass;
	size_t cells = (size_t)nstates * nclass;
	if (cells <= 65536) {
		ps->delta16 = malloc(cells * sizeof *ps->delta16);
		if (!ps->delta16)
			goto fail;
		for (uint32_t t = 0; t < nstates; t++)
			for (uint32_t c = 0; c < nclass; c++)
				ps->delta16[(size_t)t * nclass + c] =
					(uint16_t)(nid[delta[(size_t)inv[t] * nclass + c]] * nclass);
	} else if (cells <= UINT32_MAX) {
		ps->delta32 = malloc(cells * sizeof *ps->delta32);
		if (!ps->delta32)
			goto fail;
		for (uint32_t t = 0; t < nstates; t++)
			for (uint32_t c = 0; c < nclass; c++)
				ps->delta32[(size_t)t * nclass + c] = nid[delta[(size_t)inv[t] * nclass + c]] * nclass;
	} else {
		goto fail;
	}
	free(delta);
	free(inv);
	free(fail);
	free(own);
	free(queue);
	free(count);
	free(dup);
	return ps;
fail:
	free(delta);
	free(inv);
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

/* One chain over p[from..to), from the row *row (left at the row
 * reached); matches that end before report_from + 1 are not reported
 * (they are another chain's). 1 if fn stopped the scan. */
#define SCAN_RUN(T)                                                                                                \
	static int run_##T(const dx_phrases *ps, const T *delta, const char *p, size_t from, size_t to,              \
			   size_t *row, size_t report_from, dx_phrase_fn fn, void *arg)                              \
	{                                                                                                          \
		const uint8_t *cls = ps->cls;                                                                      \
		size_t r = *row, match_row = ps->match_row;                                                        \
		for (size_t i = from; i < to; i++) {                                                               \
			r = delta[r + cls[(unsigned char)p[i]]];                                                   \
			if (r >= match_row && i >= report_from && report(ps, (uint32_t)(r / ps->nclass), i, fn, arg)) \
				return 1;                                                                          \
		}                                                                                                  \
		*row = r;                                                                                          \
		return 0;                                                                                          \
	}

/* Two chains at once: A reads p[0..mid) and reports what ends there; B
 * starts at the root maxlen - 1 bytes before mid, so that from mid on it
 * is in the state a single chain would be in (a state stands for at most
 * the last maxlen bytes), and reports what ends from mid on. B's matches
 * wait in a small list until A is done, to keep the order of ends; when
 * the list is full B stops there and goes on alone after A. */
#define SCAN_TWO(T)                                                                                                \
	static int scan_two_##T(const dx_phrases *ps, const T *delta, const char *p, size_t n, dx_phrase_fn fn,      \
				void *arg)                                                                         \
	{                                                                                                          \
		enum { WAITING = 64 };                                                                             \
		struct {                                                                                           \
			size_t row, i;                                                                             \
		} wait[WAITING];                                                                                   \
		size_t nwait = 0;                                                                                  \
		const uint8_t *cls = ps->cls;                                                                      \
		size_t match_row = ps->match_row;                                                                  \
		size_t mid = n / 2, ia = 0, ib = mid + 1 - ps->maxlen, ra = 0, rb = 0;                             \
		int b_stopped = 0;                                                                                 \
		for (; ia < mid; ia++, ib++) {                                                                     \
			ra = delta[ra + cls[(unsigned char)p[ia]]];                                                \
			rb = delta[rb + cls[(unsigned char)p[ib]]];                                                \
			if (ra >= match_row && report(ps, (uint32_t)(ra / ps->nclass), ia, fn, arg))               \
				return 1;                                                                          \
			if (rb >= match_row && ib >= mid) {                                                        \
				if (nwait == WAITING) {                                                            \
					b_stopped = 1;                                                             \
					ia++;                                                                      \
					break;                                                                     \
				}                                                                                  \
				wait[nwait].row = rb;                                                              \
				wait[nwait].i = ib;                                                                \
				nwait++;                                                                           \
			}                                                                                          \
		}                                                                                                  \
		if (run_##T(ps, delta, p, ia, mid, &ra, 0, fn, arg))                                               \
			return 1;                                                                                  \
		for (size_t k = 0; k < nwait; k++)                                                                 \
			if (report(ps, (uint32_t)(wait[k].row / ps->nclass), wait[k].i, fn, arg))                  \
				return 1;                                                                          \
		if (b_stopped) {                                                                                   \
			/* The match B had no room for, then the rest. */                                          \
			if (report(ps, (uint32_t)(rb / ps->nclass), ib, fn, arg))                                  \
				return 1;                                                                          \
			ib++;                                                                                      \
		}                                                                                                  \
		return run_##T(ps, delta, p, ib, n, &rb, mid, fn, arg);                                            \
	}

SCAN_RUN(uint16_t)
SCAN_RUN(uint32_t)
SCAN_TWO(uint16_t)
SCAN_TWO(uint32_t)

int dx_phrases_scan(const dx_phrases *ps, const char *p, size_t n, dx_phrase_fn fn, void *arg)
{
	/* Two chains pay when each is much longer than B's lead-in. */
	int two = ps->maxlen && n >= 3 * ps->maxlen + 32;
	size_t row = 0;
	if (ps->delta16)
		return two ? scan_two_uint16_t(ps, ps->delta16, p, n, fn, arg)
			   : run_uint16_t(ps, ps->delta16, p, 0, n, &row, 0, fn, arg);
	return two ? scan_two_uint32_t(ps, ps->delta32, p, n, fn, arg)
		   : run_uint32_t(ps, ps->delta32, p, 0, n, &row, 0, fn, arg);
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
