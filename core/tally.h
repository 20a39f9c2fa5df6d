/* tally.h: counts of successful deliveries by (hour, decoder, logging
 * host, relay, domain), gathered in memory while an index transaction is
 * open and written out at its commit (store.c).
 *
 * A log has millions of deliveries over far fewer combinations, and the
 * same few hosts and domains again and again: each text is interned once
 * (a small id), so that counting one delivery is three short lookups in
 * tables that stay in cache, and a combination is a fixed-size key.
 * Returns -1 only when memory runs out.
 */
#ifndef DX_TALLY_H
#define DX_TALLY_H

#include <stddef.h>
#include <stdint.h>

typedef struct dx_tally dx_tally;

dx_tally *dx_tally_new(void);
void dx_tally_free(dx_tally *t);

/* Adds n deliveries of this combination (texts NUL-terminated). */
int dx_tally_add(dx_tally *t, int64_t hour, const char *decoder, const char *reporting_mta, const char *remote_mta,
		 const char *domain, uint64_t n);

/* Calls fn for each combination counted since the last reset; stops at
 * (and returns) fn's first non-zero. */
int dx_tally_each(const dx_tally *t,
		  int (*fn)(void *arg, int64_t hour, const char *decoder, const char *reporting_mta,
			    const char *remote_mta, const char *domain, uint64_t n),
		  void *arg);

/* Forgets every count and text. */
void dx_tally_reset(dx_tally *t);

#endif
