/* hash.c: the 128-bit hash of hash.h.
 *
 * Two 64-bit lanes take 16 bytes per step; each word is scrambled by a
 * strong 64-bit mixer (the finaliser of the splitmix64 generator:
 * multiply, xor-shift, twice), folded into its lane with a rotation and a
 * multiply by an odd constant, and the lanes feed each other. The length
 * is folded in at the end and both lanes mixed again, so that inputs that
 * differ only in trailing zero bytes differ.
 */
#include "hash.h"

#include <string.h>

#define K1 0x9e3779b97f4a7c15ull
#define K2 0xc2b2ae3d27d4eb4full
#define K3 0x165667b19e3779f9ull
#define K4 0xd6e8feb86659fd93ull

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

static uint64_t rotl(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

/* A little-endian word, on any CPU. */
static uint64_t load64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* One 16-byte step of both lanes. */
static inline void step(uint64_t *h1, uint64_t *h2, const unsigned char *p)
{
	*h1 = rotl(*h1 ^ mix(load64(p) + K1), 23) * K3 + *h2;
	*h2 = rotl(*h2 ^ mix(load64(p + 8) + K2), 29) * K4 + *h1;
}

/* The length folded in, both lanes mixed again. */
static inline dx_hash finish(uint64_t h1, uint64_t h2, uint64_t total)
{
	h1 ^= total;
	h2 ^= total * K3;
	uint64_t a = mix(h1 + h2);
	uint64_t b = mix(h2 + a);
	dx_hash out = {a, b};
	return out;
}

static void block(dx_hasher *h, const unsigned char *p)
{
	step(&h->h1, &h->h2, p);
}

void dx_hasher_init(dx_hasher *h, uint64_t seed)
{
	h->h1 = mix(seed ^ K1);
	h->h2 = mix(seed ^ K2);
	h->total = 0;
	h->ntail = 0;
}

void dx_hasher_add(dx_hasher *h, const void *data, size_t n)
{
	const unsigned char *p = data;
	h->total += n;
	if (h->ntail) {
		size_t k = 16 - h->ntail < n ? 16 - h->ntail : n;
		memcpy(h->tail + h->ntail, p, k);
		h->ntail += k;
		p += k;
		n -= k;
		if (h->ntail < 16)
			return;
		block(h, h->tail);
		h->ntail = 0;
	}
	for (; n >= 16; p += 16, n -= 16)
		block(h, p);
	memcpy(h->tail, p, n);
	h->ntail = n;
}

dx_hash dx_hasher_end(dx_hasher *h)
{
	/* The last bytes, padded with zeros: the length tells them apart from
	 * real zeros. */
	if (h->ntail) {
		memset(h->tail + h->ntail, 0, 16 - h->ntail);
		block(h, h->tail);
	}
	return finish(h->h1, h->h2, h->total);
}

/* One shot: the same steps as the hasher, with the state in registers
 * (a hash per delivery line of a log, where the hasher's bookkeeping cost
 * as much as the hashing). */
dx_hash dx_hash128(const void *data, size_t n, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h1 = mix(seed ^ K1), h2 = mix(seed ^ K2);
	uint64_t total = n;
	for (; n >= 16; p += 16, n -= 16)
		step(&h1, &h2, p);
	if (n) {
		unsigned char t[16] = {0};
		memcpy(t, p, n);
		step(&h1, &h2, t);
	}
	return finish(h1, h2, total);
}

/* Eight bytes at a time, each word multiplied into the state and folded;
 * a final avalanche (the murmur3 finaliser) so that nearby keys spread. */
static uint64_t read_le64(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
	       (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

uint64_t dx_hash64(const void *data, size_t n, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = seed ^ (n * 0x9E3779B97F4A7C15ull);
	while (n >= 8) {
		uint64_t w = read_le64(p) * 0x87C37B91114253D5ull;
		w = (w << 31 | w >> 33) * 0x4CF5AD432745937Full;
		h ^= w;
		h = (h << 27 | h >> 37) * 5 + 0x52DCE729;
		p += 8;
		n -= 8;
	}
	/* The last 0-7 bytes as a little-endian word. When the text is eight
	 * bytes or more, in one load of its last eight, shifted: the same
	 * value, without a loop over the bytes. (The value must not change:
	 * queue and delivery keys made with it are kept in indexes.) */
	uint64_t w = 0;
	if (n && p - (const unsigned char *)data >= 8)
		w = read_le64(p + n - 8) >> (64 - 8 * n);
	else
		for (size_t i = 0; i < n; i++)
			w |= (uint64_t)p[i] << (8 * i);
	w *= 0x87C37B91114253D5ull;
	w = (w << 31 | w >> 33) * 0x4CF5AD432745937Full;
	h ^= w;
	h ^= h >> 33;
	h *= 0xFF51AFD7ED558CCDull;
	h ^= h >> 33;
	h *= 0xC4CEB9FE1A85EC53ull;
	h ^= h >> 33;
	return h;
}

uint64_t dx_mix64(uint64_t x)
{
	return mix(x);
}
