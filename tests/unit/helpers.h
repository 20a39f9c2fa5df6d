/* helpers.h: what every unit test includes: cmocka (with the headers it
 * needs, in the order it needs them) and a few small shared helpers. */
#ifndef DX_TEST_HELPERS_H
#define DX_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>

#include "dsnidx.h"

/* Number of elements of an array. */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The whole content of a stream written so far, as a malloc'd
 * NUL-terminated string (the stream is rewound first). */
static inline char *slurp_stream(FILE *f)
{
	if (fflush(f) != 0 || fseek(f, 0, SEEK_END) != 0)
		return NULL;
	long len = ftell(f);
	if (len < 0 || fseek(f, 0, SEEK_SET) != 0)
		return NULL;
	char *s = malloc((size_t)len + 1);
	if (!s)
		return NULL;
	size_t got = fread(s, 1, (size_t)len, f);
	s[got] = '\0';
	return s;
}

/* A record whose strings outlive the callback: each is strdup'd. */
static inline dx_record record_copy(const dx_record *r)
{
	dx_record d = *r;
	const char **strs[] = {&d.source, &d.recipient, &d.domain, &d.action, &d.status, &d.reason,
			       &d.reporting_mta, &d.remote_mta, &d.diagnostic, &d.sender, &d.subject,
			       &d.message_id, &d.decoder};
	for (size_t k = 0; k < NELEM(strs); k++) {
		assert_non_null(*strs[k]);
		char *copy = strdup(*strs[k]);
		assert_non_null(copy);
		*strs[k] = copy;
	}
	return d;
}

/* Frees the strings of a record_copy(). */
static inline void record_free(dx_record *d)
{
	const char *strs[] = {d->source, d->recipient, d->domain, d->action, d->status, d->reason,
			      d->reporting_mta, d->remote_mta, d->diagnostic, d->sender, d->subject,
			      d->message_id, d->decoder};
	for (size_t k = 0; k < NELEM(strs); k++)
		free((char *)strs[k]);
	memset(d, 0, sizeof *d);
}

/* Deterministic xorshift64 generator for differential tests. */
static inline uint64_t xorshift64(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

#endif
