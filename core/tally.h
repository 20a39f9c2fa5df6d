/* tally.h: counts of successful deliveries by (hour, decoder, logging
 * host, relay, domain), gathered in memory while an index transaction is
 * open and written out at its commit (store.c).
 *
 * A log has millions of deliveries over far fewer combinations, and the
 * same few hosts and domains again and again: a combination is found by
 * its hour and a hash of its texts (one lookup in a table that stays in
 * cache), and each text is interned once (a small id) when a combination
 * that uses it is first seen.
 * Returns -1 only when memory runs out.
 */
#ifndef DX_TALLY_H
#define DX_TALLY_H

#include <stddef.h>
#include <stdint.h>

typedef struct dx_tally dx_tally;

dx_tally *dx_tally_new(void);
void dx_tally_free(dx_tally *t);

/* The key of a combination's texts (NUL-terminated, NULL read as ""): a
 * 128-bit hash of them (see dx_tally_key_of). A decoder can compute it
 * where the texts are made (on a worker thread), so that the writer
 * counts a delivery with one lookup and no look at the texts. */
void dx_tally_key(const char *decoder, const char *reporting_mta, const char *remote_mta, const char *domain,
		  uint64_t key[2]);

/* The same in two steps, for a decoder that meets the same texts again
 * and again and keeps their keys: dx_tally_text_key() of each text (NULL
 * read as ""), then dx_tally_key_of() of the four in the order above.
 * The key is a 128-bit hash of the texts' 64-bit keys: two combinations
 * are counted together only if a text of one collides in 64 bits with
 * the other's text in the same place. */
uint64_t dx_tally_text_key(const char *s);
void dx_tally_key_of(const uint64_t text_keys[4], uint64_t key[2]);

/* Adds n deliveries of this combination. key is dx_tally_key() of the
 * texts, or NULL to have it computed here. Combinations are told apart by
 * hour and key only: two different ones would have to collide in 128
 * bits to be counted together, the same bet as the records' keys
 * (hash.h). The texts are copied when a combination is first seen. */
int dx_tally_add(dx_tally *t, int64_t hour, const uint64_t key[2], const char *decoder, const char *reporting_mta,
		 const char *remote_mta, const char *domain, uint64_t n);

typedef int (*dx_tally_fn)(void *arg, int64_t hour, const char *decoder, const char *reporting_mta,
			   const char *remote_mta, const char *domain, uint64_t n);

/* Calls fn for each combination of an hour before `before` with a count
 * not yet taken, in the order of the delivered table's key (hour, domain,
 * logging host, relay, decoder), and takes their counts: those
 * combinations are forgotten (a later delivery of one of them counts
 * anew), their texts kept until the reset. So a log's hours that are over
 * can be written out while the counts of the hour in progress go on
 * growing; INT64_MAX takes every count. Stops at (and returns) fn's first
 * non-zero, with the counts it has not yet called fn for untouched. */
int dx_tally_take(dx_tally *t, int64_t before, dx_tally_fn fn, void *arg);

/* How many combinations are held. */
size_t dx_tally_size(const dx_tally *t);

/* How many of them have a count not yet taken (after a take that fn
 * stopped, fewer than those held). */
size_t dx_tally_untaken(const dx_tally *t);

/* How many texts are interned (kept until the reset). */
size_t dx_tally_texts(const dx_tally *t);

/* Forgets every count and text. */
void dx_tally_reset(dx_tally *t);

#endif
