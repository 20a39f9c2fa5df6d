/* tally.c: delivery counts over interned texts (see tally.h). Two
 * open-addressing tables: texts to ids, and (hour, key of the texts) to
 * the combination's ids and count. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "hash.h"
#include "tally.h"

typedef struct text_slot {
	uint64_t hash;
	uint32_t id;               /* 0: empty; else texts[id - 1] */
} text_slot;

typedef struct count_slot {
	int64_t hour;
	uint64_t key[2];           /* dx_tally_key() of the texts */
	uint32_t ids[4];           /* ids[0] 0: empty */
	uint64_t n;
} count_slot;

struct dx_tally {
	char **texts;
	size_t ntexts, textcap;
	text_slot *tslots;
	size_t tcap;
	count_slot *cslots;
	size_t ccap, ncounts;
	size_t nuntaken;           /* combinations whose n is not 0 */
};

dx_tally *dx_tally_new(void)
{
	return calloc(1, sizeof(dx_tally));
}

void dx_tally_reset(dx_tally *t)
{
	for (size_t i = 0; i < t->ntexts; i++)
		free(t->texts[i]);
	t->ntexts = 0;
	if (t->tslots)
		memset(t->tslots, 0, t->tcap * sizeof *t->tslots);
	if (t->cslots)
		memset(t->cslots, 0, t->ccap * sizeof *t->cslots);
	t->ncounts = 0;
	t->nuntaken = 0;
}

size_t dx_tally_size(const dx_tally *t)
{
	return t ? t->ncounts : 0;
}

size_t dx_tally_untaken(const dx_tally *t)
{
	return t ? t->nuntaken : 0;
}

size_t dx_tally_texts(const dx_tally *t)
{
	return t ? t->ntexts : 0;
}

void dx_tally_free(dx_tally *t)
{
	if (!t)
		return;
	dx_tally_reset(t);
	free(t->texts);
	free(t->tslots);
	free(t->cslots);
	free(t);
}

static int grow_texts(dx_tally *t)
{
	size_t cap = t->tcap ? t->tcap * 2 : 1024;
	text_slot *s = dx_table_alloc(cap, sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0; i < t->tcap; i++) {
		if (!t->tslots[i].id)
			continue;
		size_t j = t->tslots[i].hash & (cap - 1);
		while (s[j].id)
			j = (j + 1) & (cap - 1);
		s[j] = t->tslots[i];
	}
	free(t->tslots);
	t->tslots = s;
	t->tcap = cap;
	return 0;
}

/* The id of text s, made if new; 0 when memory runs out. */
static uint32_t intern(dx_tally *t, const char *s)
{
	if ((t->ntexts + 1) * 2 > t->tcap && grow_texts(t) < 0)
		return 0;
	size_t n = strlen(s);
	uint64_t h = dx_hash64(s, n, 0);
	size_t j = h & (t->tcap - 1);
	for (; t->tslots[j].id; j = (j + 1) & (t->tcap - 1))
		if (t->tslots[j].hash == h && strcmp(t->texts[t->tslots[j].id - 1], s) == 0)
			return t->tslots[j].id;
	if (t->ntexts == t->textcap) {
		size_t cap = t->textcap ? t->textcap * 2 : 1024;
		char **x = realloc(t->texts, cap * sizeof *x);
		if (!x)
			return 0;
		t->texts = x;
		t->textcap = cap;
	}
	char *c = malloc(n + 1);
	if (!c)
		return 0;
	memcpy(c, s, n + 1);
	t->texts[t->ntexts++] = c;
	t->tslots[j].hash = h;
	t->tslots[j].id = (uint32_t)t->ntexts;
	return t->tslots[j].id;
}

uint64_t dx_tally_text_key(const char *s)
{
	if (!s)
		s = "";
	return dx_hash64(s, strlen(s), 0x7a11);
}

void dx_tally_key_of(const uint64_t text_keys[4], uint64_t key[2])
{
	/* Arithmetic on the values, not their bytes: the same on every
	 * machine (hash.h). Two chains with different seeds and order. */
	uint64_t a = 0x51ed270b27ac3a0full, b = 0x2701d4f3a5c1e8b9ull;
	for (int i = 0; i < 4; i++) {
		a = dx_mix64(a ^ text_keys[i]) + 0x9E3779B97F4A7C15ull;
		b = dx_mix64(b ^ text_keys[3 - i] ^ (uint64_t)i << 56) * 0x94D049BB133111EBull;
	}
	key[0] = a;
	key[1] = b;
}

void dx_tally_key(const char *decoder, const char *reporting_mta, const char *remote_mta, const char *domain,
		  uint64_t key[2])
{
	uint64_t k[4] = {dx_tally_text_key(decoder), dx_tally_text_key(reporting_mta), dx_tally_text_key(remote_mta),
			 dx_tally_text_key(domain)};
	dx_tally_key_of(k, key);
}

static uint64_t count_hash(int64_t hour, const uint64_t key[2])
{
	uint64_t h = (uint64_t)hour * 0x9E3779B97F4A7C15ull ^ key[0];
	h ^= h >> 29;
	return h * 0xFF51AFD7ED558CCDull ^ key[1];
}

static int grow_counts(dx_tally *t)
{
	size_t cap = t->ccap ? t->ccap * 2 : 1024;
	count_slot *s = dx_table_alloc(cap, sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0; i < t->ccap; i++) {
		if (!t->cslots[i].ids[0])
			continue;
		size_t j = count_hash(t->cslots[i].hour, t->cslots[i].key) & (cap - 1);
		while (s[j].ids[0])
			j = (j + 1) & (cap - 1);
		s[j] = t->cslots[i];
	}
	free(t->cslots);
	t->cslots = s;
	t->ccap = cap;
	return 0;
}

int dx_tally_add(dx_tally *t, int64_t hour, const uint64_t key[2], const char *decoder, const char *reporting_mta,
		 const char *remote_mta, const char *domain, uint64_t n)
{
	uint64_t own[2];
	if (!key) {
		dx_tally_key(decoder, reporting_mta, remote_mta, domain, own);
		key = own;
	}
	if ((t->ncounts + 1) * 2 > t->ccap && grow_counts(t) < 0)
		return -1;
	size_t j = count_hash(hour, key) & (t->ccap - 1);
	for (; t->cslots[j].ids[0]; j = (j + 1) & (t->ccap - 1)) {
		count_slot *c = &t->cslots[j];
		if (c->hour == hour && c->key[0] == key[0] && c->key[1] == key[1]) {
			if (!c->n && n)
				t->nuntaken++;
			c->n += n;
			return 0;
		}
	}
	/* A new combination: its texts are interned now, once. */
	uint32_t ids[4] = {intern(t, decoder ? decoder : ""), intern(t, reporting_mta ? reporting_mta : ""),
			   intern(t, remote_mta ? remote_mta : ""), intern(t, domain ? domain : "")};
	if (!ids[0] || !ids[1] || !ids[2] || !ids[3])
		return -1;
	count_slot *c = &t->cslots[j];
	c->hour = hour;
	c->key[0] = key[0];
	c->key[1] = key[1];
	memcpy(c->ids, ids, sizeof ids);
	c->n = n;
	t->ncounts++;
	if (n)
		t->nuntaken++;
	return 0;
}

/* A combination with its texts, for sorting. */
typedef struct combo {
	int64_t hour;
	const char *text[4];       /* decoder, reporting_mta, remote_mta, domain */
	uint64_t n;
	count_slot *slot;
} combo;

/* Orders combinations as the delivered table's key: hour, domain,
 * reporting_mta, remote_mta, decoder. */
static int order_combos(const void *x, const void *y)
{
	const combo *a = x, *b = y;
	if (a->hour != b->hour)
		return a->hour < b->hour ? -1 : 1;
	static const int by[4] = {3, 1, 2, 0};
	for (int i = 0; i < 4; i++) {
		/* strcmp is SQLite's BINARY order for texts without a NUL. */
		int c = strcmp(a->text[by[i]], b->text[by[i]]);
		if (c)
			return c;
	}
	return 0;
}

/* Calls fn for the combinations of hours before `before` with a count,
 * in the delivered table's key order, and zeroes each count once fn has
 * had it. */
static int walk(dx_tally *t, int64_t before, dx_tally_fn fn, void *arg)
{
	/* In the order of the table the counts go to, so that each insert
	 * lands next to the last; without the memory to sort, in any order. */
	combo *order = t->ncounts ? malloc(t->ncounts * sizeof *order) : NULL;
	size_t n = 0;
	for (size_t i = 0; i < t->ccap; i++) {
		count_slot *c = &t->cslots[i];
		if (!c->ids[0] || !c->n || c->hour >= before)
			continue;
		combo k = {c->hour,
			   {t->texts[c->ids[0] - 1], t->texts[c->ids[1] - 1], t->texts[c->ids[2] - 1], t->texts[c->ids[3] - 1]},
			   c->n, c};
		if (order) {
			order[n++] = k;
			continue;
		}
		int r = fn(arg, k.hour, k.text[0], k.text[1], k.text[2], k.text[3], k.n);
		if (r)
			return r;
		c->n = 0;
		t->nuntaken--;
	}
	if (!order)
		return 0;
	qsort(order, n, sizeof *order, order_combos);
	int r = 0;
	for (size_t i = 0; i < n && !r; i++) {
		r = fn(arg, order[i].hour, order[i].text[0], order[i].text[1], order[i].text[2], order[i].text[3],
		       order[i].n);
		if (!r) {
			order[i].slot->n = 0;
			t->nuntaken--;
		}
	}
	free(order);
	return r;
}

/* Drops the combinations whose counts were taken, keeping the table (a
 * fresh one would be mapped anew: see store.c, agg_empty): the table then
 * holds the hour in progress, and stays small enough for the caches. Their
 * texts stay interned until the reset. Without the memory to do it, they
 * stay, at zero, as harmless as before. */
static void drop_taken(dx_tally *t)
{
	if (t->ncounts == t->nuntaken)
		return;
	count_slot *live = t->nuntaken ? malloc(t->nuntaken * sizeof *live) : NULL;
	if (t->nuntaken && !live)
		return;
	size_t n = 0;
	for (size_t i = 0; i < t->ccap; i++)
		if (t->cslots[i].ids[0] && t->cslots[i].n && n < t->nuntaken)
			live[n++] = t->cslots[i];
	memset(t->cslots, 0, t->ccap * sizeof *t->cslots);
	for (size_t k = 0; k < n; k++) {
		size_t j = count_hash(live[k].hour, live[k].key) & (t->ccap - 1);
		while (t->cslots[j].ids[0])
			j = (j + 1) & (t->ccap - 1);
		t->cslots[j] = live[k];
	}
	t->ncounts = n;
	free(live);
}

int dx_tally_take(dx_tally *t, int64_t before, dx_tally_fn fn, void *arg)
{
	int r = walk(t, before, fn, arg);
	if (!r)
		drop_taken(t);
	return r;
}
