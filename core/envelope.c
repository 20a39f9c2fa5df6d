/* envelope.c: queue ids' senders and Message-IDs, in two generations of
 * open-addressing tables (see envelope.h). */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "envelope.h"

typedef struct slot {
	uint64_t key;              /* 0: empty */
	char *sender, *message_id;
} slot;

typedef struct table {
	slot *slots;
	size_t cap, n;
} table;

struct dx_envmap {
	table cur, old;
	size_t limit;              /* entries of one generation */
};

static void table_free(table *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		free(t->slots[i].sender);
		free(t->slots[i].message_id);
	}
	free(t->slots);
	memset(t, 0, sizeof *t);
}

static size_t home(uint64_t k, size_t cap)
{
	return (size_t)((k * 0x9E3779B97F4A7C15ull) >> 17) & (cap - 1);
}

static slot *find(const table *t, uint64_t k)
{
	if (!t->n)
		return NULL;
	for (size_t j = home(k, t->cap);; j = (j + 1) & (t->cap - 1)) {
		if (t->slots[j].key == k)
			return &t->slots[j];
		if (!t->slots[j].key)
			return NULL;
	}
}

/* An empty slot for k in t (which must not hold it), growing t. */
static slot *insert(table *t, uint64_t k)
{
	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		slot *s = dx_table_alloc(cap, sizeof *s);
		if (!s)
			return NULL;
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slots[i].key)
				continue;
			size_t j = home(t->slots[i].key, cap);
			while (s[j].key)
				j = (j + 1) & (cap - 1);
			s[j] = t->slots[i];
		}
		free(t->slots);
		t->slots = s;
		t->cap = cap;
	}
	size_t j = home(k, t->cap);
	while (t->slots[j].key)
		j = (j + 1) & (t->cap - 1);
	t->slots[j].key = k;
	t->n++;
	return &t->slots[j];
}

dx_envmap *dx_envmap_new(size_t cap)
{
	dx_envmap *m = calloc(1, sizeof *m);
	if (m)
		m->limit = cap ? cap : 1;
	return m;
}

void dx_envmap_free(dx_envmap *m)
{
	if (!m)
		return;
	table_free(&m->cur);
	table_free(&m->old);
	free(m);
}

static int set(char **field, const char *v)
{
	if (!v)
		return 0;
	char *c = strdup(v);
	if (!c)
		return -1;
	free(*field);
	*field = c;
	return 0;
}

int dx_envmap_put(dx_envmap *m, uint64_t k, const char *sender, const char *message_id)
{
	if (!k)
		return 0;
	slot *s = find(&m->cur, k);
	if (!s) {
		if (m->cur.n >= m->limit) {
			table_free(&m->old);
			m->old = m->cur;
			memset(&m->cur, 0, sizeof m->cur);
		}
		slot *o = find(&m->old, k);
		s = insert(&m->cur, k);
		if (!s)
			return -1;
		if (o) {
			/* Moved up a generation, with what it held. */
			s->sender = o->sender;
			s->message_id = o->message_id;
			o->sender = o->message_id = NULL;
		}
	}
	return set(&s->sender, sender) < 0 || set(&s->message_id, message_id) < 0 ? -1 : 0;
}

int dx_envmap_get(dx_envmap *m, uint64_t k, const char **sender, const char **message_id)
{
	slot *s = k ? find(&m->cur, k) : NULL;
	if (!s && k)
		s = find(&m->old, k);
	if (!s)
		return 0;
	*sender = s->sender ? s->sender : "";
	*message_id = s->message_id ? s->message_id : "";
	return 1;
}

/* Linear probing: the slots after a removed one that would no longer be
 * found are moved back into the gap. */
static void erase(table *t, slot *s)
{
	free(s->sender);
	free(s->message_id);
	size_t gap = (size_t)(s - t->slots);
	memset(s, 0, sizeof *s);
	t->n--;
	for (size_t j = (gap + 1) & (t->cap - 1); t->slots[j].key; j = (j + 1) & (t->cap - 1)) {
		size_t h = home(t->slots[j].key, t->cap);
		/* Whether h lies cyclically in (gap, j]: then the slot stays. */
		int stays = gap <= j ? (h > gap && h <= j) : (h > gap || h <= j);
		if (stays)
			continue;
		t->slots[gap] = t->slots[j];
		memset(&t->slots[j], 0, sizeof t->slots[j]);
		gap = j;
	}
}

void dx_envmap_remove(dx_envmap *m, uint64_t k)
{
	slot *s;
	if (!k)
		return;
	if ((s = find(&m->cur, k)) != NULL)
		erase(&m->cur, s);
	if ((s = find(&m->old, k)) != NULL)
		erase(&m->old, s);
}

size_t dx_envmap_size(const dx_envmap *m)
{
	return m ? m->cur.n + m->old.n : 0;
}

int dx_envmap_each(const dx_envmap *m, int (*fn)(void *arg, uint64_t k, const char *sender, const char *message_id),
		   void *arg)
{
	const table *gens[2] = {&m->old, &m->cur};
	for (int g = 0; g < 2; g++)
		for (size_t i = 0; i < gens[g]->cap; i++) {
			const slot *s = &gens[g]->slots[i];
			if (!s->key)
				continue;
			int r = fn(arg, s->key, s->sender, s->message_id);
			if (r)
				return r;
		}
	return 0;
}
