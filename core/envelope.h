/* envelope.h: what mail logs say of each queue id's message (its sender
 * and Message-ID), remembered for the delivery lines that follow, which
 * do not repeat them.
 *
 * The memory is bounded: two generations of at most `cap` queue ids each;
 * when the newer is full the older is dropped. A queue id not seen for
 * that long is forgotten (Postfix names the sender again each time a
 * deferred message is retried). Returns -1 only when memory runs out.
 */
#ifndef DX_ENVELOPE_H
#define DX_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

typedef struct dx_envmap dx_envmap;

dx_envmap *dx_envmap_new(size_t cap);
void dx_envmap_free(dx_envmap *m);

/* Records what a line said of queue key k (not 0); NULL leaves a value
 * as it was. */
int dx_envmap_put(dx_envmap *m, uint64_t k, const char *sender, const char *message_id);

/* 1 with *sender and *message_id set ("" when never said), or 0. The
 * strings live until the next put or remove. */
int dx_envmap_get(dx_envmap *m, uint64_t k, const char **sender, const char **message_id);

/* Forgets queue key k (the log said its message is done with). */
void dx_envmap_remove(dx_envmap *m, uint64_t k);

/* How many queue keys are remembered. */
size_t dx_envmap_size(const dx_envmap *m);

/* Calls fn for each queue key remembered, the older generation first
 * (NULL for what was never said); stops at, and returns, fn's first
 * non-zero. */
int dx_envmap_each(const dx_envmap *m, int (*fn)(void *arg, uint64_t k, const char *sender, const char *message_id),
		   void *arg);

#endif
