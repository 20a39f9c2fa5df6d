/* test_hash.c: core/hash.h. Record keys and source checks are stored in
 * indexes, so the hash must never change: its values for fixed inputs are
 * pinned here (from the implementation of the first index format), and the
 * one-shot and incremental forms must agree for every length and split. */
#include "helpers.h"

#include "hash.h"

/* Input i of the pinned values: bytes i * 37 + 11. */
static void fill(unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 37 + 11);
}

static void test_pinned_values(void **state)
{
	(void)state;
	static const struct {
		size_t n;
		uint64_t seed, lo, hi;
	} pinned[] = {
		{0, 0u, 0x3c278ece6af78cd4ull, 0x18fae71fed7160d4ull},
		{1, 1000003u, 0x663babdda151cc34ull, 0x3655828a38b63a55ull},
		{7, 2000006u, 0x7d0912c7b220cee1ull, 0x566e0aed20ea66f0ull},
		{8, 3000009u, 0x9252e3f72af3c3a0ull, 0x8d213174794d9b8cull},
		{15, 4000012u, 0x7dd95dc1770e9cecull, 0x23e51a1b912de273ull},
		{16, 5000015u, 0x4ffae1dbf0a5144dull, 0x003613596b8c976cull},
		{17, 6000018u, 0xbfe42c0626d2428cull, 0xd1d63fb4fecfec88ull},
		{31, 7000021u, 0x2330132ef0bae7d8ull, 0xc6160b38f778d24aull},
		{32, 8000024u, 0x377baf762db8580cull, 0x91726ff2dc23b143ull},
		{33, 9000027u, 0x6677fc282f351d53ull, 0xa77af51a1c37b6c5ull},
		{64, 10000030u, 0x03e6e473046a9063ull, 0xa125046f9767b0cdull},
		{99, 11000033u, 0x86d47a316a277e44ull, 0x66dd9beeddaf840bull},
		{100, 12000036u, 0xe0c1909b72f80834ull, 0xb5fa6fb1cf0c6cabull},
	};
	unsigned char b[100];
	fill(b, sizeof b);
	for (size_t i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
		dx_hash h = dx_hash128(b, pinned[i].n, pinned[i].seed);
		assert_true(h.lo == pinned[i].lo);
		assert_true(h.hi == pinned[i].hi);
	}
}

/* Every length up to 300 and three ways of splitting the input. */
static void test_one_shot_equals_incremental(void **state)
{
	(void)state;
	unsigned char b[300];
	fill(b, sizeof b);
	for (size_t n = 0; n <= sizeof b; n++) {
		dx_hash whole = dx_hash128(b, n, n);
		size_t cuts[3] = {n / 2, n / 3, n > 5 ? 5 : n};
		for (int c = 0; c < 3; c++) {
			dx_hasher h;
			dx_hasher_init(&h, n);
			dx_hasher_add(&h, b, cuts[c]);
			/* the rest in pieces of 1, 2, 3... bytes */
			size_t pos = cuts[c];
			for (size_t step = 1; pos < n; step++) {
				size_t k = n - pos < step ? n - pos : step;
				dx_hasher_add(&h, b + pos, k);
				pos += k;
			}
			dx_hash inc = dx_hasher_end(&h);
			assert_true(inc.lo == whole.lo && inc.hi == whole.hi);
		}
	}
}

/* Inputs that differ by trailing zeros, or by the seed, hash apart. */
static void test_lengths_and_seeds_differ(void **state)
{
	(void)state;
	unsigned char z[32] = {0};
	for (size_t n = 0; n < 32; n++) {
		dx_hash a = dx_hash128(z, n, 0), b = dx_hash128(z, n + 1, 0), c = dx_hash128(z, n, 1);
		assert_false(a.lo == b.lo && a.hi == b.hi);
		assert_false(a.lo == c.lo && a.hi == c.hi);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pinned_values),
		cmocka_unit_test(test_one_shot_equals_incremental),
		cmocka_unit_test(test_lengths_and_seeds_differ),
	};
	return cmocka_run_group_tests_name("test_hash", tests, NULL, NULL);
}
