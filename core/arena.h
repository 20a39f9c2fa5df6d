/* arena.h: per-message bump allocation.
 *
 * A dx_arena hands out memory from large chunks and frees it all at once
 * with dx_arena_reset(). Decoding a message allocates many small strings
 * whose lifetime is exactly the message's; an arena makes that one pointer
 * bump each and one reset per message instead of thousands of free() calls.
 *
 * Allocation fails (returns NULL) only when malloc fails or when the arena
 * would grow past its byte limit; callers treat that as "message too large".
 *
 * Also here, the one other allocation the hot paths share: zeroed tables
 * for open addressing (dx_table_alloc).
 */
#ifndef DX_ARENA_H
#define DX_ARENA_H

#include <stddef.h>

typedef struct dx_arena_chunk dx_arena_chunk;

typedef struct dx_arena {
	dx_arena_chunk *head;   /* chunk being filled; older chunks follow */
	size_t used;            /* bytes used in head */
	size_t total;           /* bytes in all chunks */
	size_t limit;           /* refuse to grow past this many bytes (0: none) */
} dx_arena;

void dx_arena_init(dx_arena *a, size_t limit);
/* Frees every chunk but the first, which is kept for reuse. */
void dx_arena_reset(dx_arena *a);
void dx_arena_free(dx_arena *a);

void *dx_arena_alloc(dx_arena *a, size_t n);
/* Copies n bytes and appends a NUL. */
char *dx_arena_strndup(dx_arena *a, const char *s, size_t n);
char *dx_arena_strdup(dx_arena *a, const char *s);

/* n zeroed objects of size bytes on the heap (free() them), for a hash
 * table: NULL when malloc fails or n * size overflows. Unlike calloc,
 * every page is written now: a fresh page that calloc leaves mapped to
 * the kernel's shared zero page is read by the table's first probes and
 * copied at its first write, with a TLB flush on every CPU of a threaded
 * run; written at once, it is faulted in once, as the table's own. */
void *dx_table_alloc(size_t n, size_t size);

#endif
