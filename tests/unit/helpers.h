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
