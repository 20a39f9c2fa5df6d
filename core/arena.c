/* arena.c: per-message bump allocator; see arena.h. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct dx_arena_chunk {
	dx_arena_chunk *next;
	size_t size;
	/* Aligned for any object the decoders store. */
	_Alignas(max_align_t) unsigned char data[];
};

enum { DX_ARENA_FIRST_CHUNK = 64 * 1024 };

void dx_arena_init(dx_arena *a, size_t limit)
{
	a->head = NULL;
	a->used = 0;
	a->total = 0;
	a->limit = limit;
}

static void free_chain(dx_arena_chunk *c)
{
	while (c) {
		dx_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
}

void dx_arena_reset(dx_arena *a)
{
	dx_arena_chunk *c = a->head;
	if (!c)
		return;
	/* Keep the oldest chunk (the first allocated, normally the smallest)
	 * so that the next message of ordinary size needs no malloc at all. */
	dx_arena_chunk *prev = NULL;
	while (c->next) {
		prev = c;
		c = c->next;
	}
	if (prev) {
		prev->next = NULL;
		free_chain(a->head);
	}
	a->head = c;
	a->used = 0;
	a->total = c->size;
}

void dx_arena_free(dx_arena *a)
{
	free_chain(a->head);
	a->head = NULL;
	a->used = 0;
	a->total = 0;
}

void *dx_arena_alloc(dx_arena *a, size_t n)
{
	const size_t align = _Alignof(max_align_t);
	size_t need = (n + align - 1) & ~(align - 1);
	if (need < n)
		return NULL; /* overflow */
	if (a->head && a->head->size - a->used >= need) {
		void *p = a->head->data + a->used;
		a->used += need;
		return p;
	}
	size_t size = a->head ? a->head->size * 2 : DX_ARENA_FIRST_CHUNK;
	while (size < need) {
		if (size > SIZE_MAX / 2)
			return NULL;
		size *= 2;
	}
	if (a->limit && (a->total > a->limit || size > a->limit - a->total)) {
		/* Try the smallest chunk that fits before refusing. */
		size = need > DX_ARENA_FIRST_CHUNK ? need : DX_ARENA_FIRST_CHUNK;
		if (a->total > a->limit || size > a->limit - a->total)
			return NULL;
	}
	dx_arena_chunk *c = malloc(sizeof *c + size);
	if (!c)
		return NULL;
	c->size = size;
	c->next = a->head;
	a->head = c;
	a->used = need;
	a->total += size;
	return c->data;
}

char *dx_arena_strndup(dx_arena *a, const char *s, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *p = dx_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *dx_arena_strdup(dx_arena *a, const char *s)
{
	return dx_arena_strndup(a, s, strlen(s));
}

void *dx_table_alloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	size_t bytes = n * size;
	void *p = malloc(bytes ? bytes : 1);
	if (p)
		memset(p, 0, bytes);
	return p;
}
