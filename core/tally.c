/* tally.c: delivery counts over interned texts (see tally.h). Two
 * open-addressing tables: texts to ids, and (hour, key of the texts) to
 * the combination's ids and count. */
#include <stdlib.h>
#include <string.h>

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
	text_slot *s = calloc(cap, sizeof *s);
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

void dx_tally_key(const char *decoder, const char *reporting_mta, const char *remote_mta, const char *domain,
		  uint64_t key[2])
{
	const char *texts[4] = {decoder, reporting_mta, remote_mta, domain};
	dx_hasher h;
	dx_hasher_init(&h, 0x7a11);
	for (int i = 0; i < 4; i++) {
		const char *s = texts[i] ? texts[i] : "";
		uint32_t n = (uint32_t)strlen(s);
		dx_hasher_add(&h, &n, sizeof n);
		dx_hasher_add(&h, s, n);
	}
	dx_hash k = dx_hasher_end(&h);
	key[0] = k.lo;
	key[1] = k.hi;
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
	count_slot *s = calloc(cap, sizeof *s);
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
	return 0;
}

int dx_tally_each(const dx_tally *t,
		  int (*fn)(void *arg, int64_t hour, const char *decoder, const char *reporting_mta,
			    const char *remote_mta, const char *domain, uint64_t n),
		  void *arg)
{
	for (size_t i = 0; i < t->ccap; i++) {
		const count_slot *c = &t->cslots[i];
		if (!c->ids[0] || !c->n)
			continue;
		int r = fn(arg, c->hour, t->texts[c->ids[0] - 1], t->texts[c->ids[1] - 1], t->texts[c->ids[2] - 1],
			   t->texts[c->ids[3] - 1], c->n);
		if (r)
			return r;
	}
	return 0;
}
