/* hash.h: a 128-bit hash of bytes, for identities stored in the index.
 *
 * A record's identity in the index is a hash of the bounce's content and
 * the recipient, so that the same bounce found twice (a copy of a mailbox,
 * overlapping backups) is stored once; a source's progress is checked
 * against hashes of its bytes. The hash is not cryptographic: it only has
 * to make accidental collisions negligible (128 bits: about 1 in 10^20
 * for a billion records) and to be the same on every machine (bytes are
 * read as little-endian words whatever the CPU), because indexes move.
 */
#ifndef DX_HASH_H
#define DX_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct dx_hash {
	uint64_t lo, hi;
} dx_hash;

/* The hash of p[0..n), with a seed (0 for most uses). */
dx_hash dx_hash128(const void *p, size_t n, uint64_t seed);

/* Incremental: the same result as one dx_hash128() over the bytes given in
 * any number of pieces. */
typedef struct dx_hasher {
	uint64_t h1, h2;
	uint64_t total;
	unsigned char tail[16];
	size_t ntail;
} dx_hasher;

void dx_hasher_init(dx_hasher *h, uint64_t seed);
void dx_hasher_add(dx_hasher *h, const void *p, size_t n);
dx_hash dx_hasher_end(dx_hasher *h);

/* A 64-bit hash of p[0..n) for short keys (a log's queue ids): faster
 * than dx_hash128 on a few dozen bytes, and the same on every machine. */
uint64_t dx_hash64(const void *p, size_t n, uint64_t seed);

/* A 64-bit value's bits mixed (SplitMix64's finaliser: every input bit
 * moves every output bit), for keys made of other keys. */
uint64_t dx_mix64(uint64_t x);

#endif
