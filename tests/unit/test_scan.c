/* test_scan.c: the stage-1 scanner (core/scan.h): next_from_line and
 * header_fields of every kernel this CPU runs, on hand-written cases with
 * known answers and differentially against the scalar kernel. */
#include "helpers.h"

#include "scan.h"
#include "text.h"

static const char *const kernel_names[] = {"scalar", "sse2", "avx2"};

/* The kernels this CPU supports; returns how many were stored. */
static size_t kernels(const dx_scan_kernel *out[3])
{
	size_t n = 0;
	for (size_t i = 0; i < NELEM(kernel_names); i++) {
		const dx_scan_kernel *k = dx_scan_by_name(kernel_names[i]);
		if (k)
			out[n++] = k;
	}
	return n;
}

/* Copies s to an exactly-sized heap buffer, so that the sanitizers see
 * any read past the end. */
static char *heap_copy(const char *s, size_t n)
{
	char *p = malloc(n ? n : 1);
	assert_non_null(p);
	if (n)
		memcpy(p, s, n);
	return p;
}

static size_t from_at(const dx_scan_kernel *k, const char *s, size_t n, size_t pos)
{
	char *p = heap_copy(s, n);
	size_t r = k->next_from_line(p, n, pos);
	free(p);
	return r;
}

static void test_selection(void **state)
{
	(void)state;
	const dx_scan_kernel *best = dx_scan_best();
	assert_non_null(best);
	assert_non_null(best->next_from_line);
	assert_non_null(best->header_fields);
	assert_true(strcmp(best->name, "scalar") == 0 || strcmp(best->name, "sse2") == 0 ||
		    strcmp(best->name, "avx2") == 0);

	const dx_scan_kernel *scalar = dx_scan_by_name("scalar");
	assert_non_null(scalar);
	assert_string_equal(scalar->name, "scalar");
	assert_null(dx_scan_by_name("neon-or-whatever"));
	assert_null(dx_scan_by_name(NULL));
	for (size_t i = 1; i < NELEM(kernel_names); i++) {
		const dx_scan_kernel *k = dx_scan_by_name(kernel_names[i]);
		if (k)
			assert_string_equal(k->name, kernel_names[i]);
	}
}

static void test_from_line_known(void **state)
{
	(void)state;
	const dx_scan_kernel *ks[3];
	size_t nk = kernels(ks);
	for (size_t i = 0; i < nk; i++) {
		const dx_scan_kernel *k = ks[i];
		/* At offset 0. */
		assert_int_equal(from_at(k, "From a@b x", 10, 0), 0);
		/* After '\n'. */
		assert_int_equal(from_at(k, "x\nFrom a", 8, 0), 2);
		/* Not after another character. */
		assert_int_equal(from_at(k, "xFrom a", 7, 0), 7);
		assert_int_equal(from_at(k, "x From a", 8, 0), 8);
		/* A bare CR ends a line too (files saved with CR endings). */
		assert_int_equal(from_at(k, "x\rFrom a", 8, 0), 2);
		/* "From" needs its space. */
		assert_int_equal(from_at(k, "a\nFrom\nFromage ", 15, 0), 15);
		/* Case matters. */
		assert_int_equal(from_at(k, "a\nfrom x\nFROM x", 15, 0), 15);
		/* Exactly at the end, and cut short at the end. */
		assert_int_equal(from_at(k, "ab\nFrom ", 8, 0), 3);
		assert_int_equal(from_at(k, "ab\nFrom", 7, 0), 7);
		/* pos skips earlier lines; a line start at pos counts. */
		assert_int_equal(from_at(k, "From a\nFrom b", 13, 1), 7);
		assert_int_equal(from_at(k, "ab\nFrom x", 9, 3), 3);
		assert_int_equal(from_at(k, "abFrom x", 8, 2), 8);
		/* Empty input and pos past the end. */
		assert_int_equal(from_at(k, "", 0, 0), 0);
		assert_int_equal(from_at(k, "From x", 6, 6), 6);
		assert_int_equal(from_at(k, "From x", 6, 9), 6);
		/* Input starting with '\n'. */
		assert_int_equal(from_at(k, "\nFrom x", 7, 0), 1);
	}
}

/* "\nFrom " at every offset around the first two 64-byte blocks, both
 * inside a longer buffer and at its very end. */
static void test_from_line_block_boundary(void **state)
{
	(void)state;
	const dx_scan_kernel *ks[3];
	size_t nk = kernels(ks);
	char buf[256];
	for (size_t i = 0; i < nk; i++) {
		for (size_t at = 0; at <= 130; at++) {
			/* '\n' at `at`, "From " right after it. */
			memset(buf, 'a', sizeof buf);
			memcpy(buf + at, "\nFrom ", 6);
			assert_int_equal(from_at(ks[i], buf, 200, 0), at + 1);
			assert_int_equal(from_at(ks[i], buf, at + 6, 0), at + 1);
			/* Cut one byte short: no match. */
			assert_int_equal(from_at(ks[i], buf, at + 5, 0), at + 5);
			/* A decoy "\nFrox " just before in the same block must
			 * not hide the real one. */
			if (at >= 6) {
				memcpy(buf + at - 6, "\nFrox ", 6);
				assert_int_equal(from_at(ks[i], buf, 200, 0), at + 1);
			}
			/* Starting the search past it finds nothing. */
			assert_int_equal(from_at(ks[i], buf, 200, at + 2), 200);
		}
	}
}

typedef struct hdr_result {
	size_t nf;
	size_t body;
	dx_span spans[16];
} hdr_result;

static void run_header(const dx_scan_kernel *k, const char *s, size_t n, size_t cap, hdr_result *r)
{
	char *p = heap_copy(s, n);
	for (size_t i = 0; i < NELEM(r->spans); i++)
		r->spans[i] = (dx_span){0xdeadbeef, 0xdeadbeef};
	r->body = (size_t)-1;
	r->nf = k->header_fields(p, n, r->spans, cap, &r->body);
	free(p);
}

static void assert_span(const dx_span *s, uint32_t start, uint32_t end)
{
	assert_int_equal(s->start, start);
	assert_int_equal(s->end, end);
}

static void test_header_fields_known(void **state)
{
	(void)state;
	const dx_scan_kernel *ks[3];
	size_t nk = kernels(ks);
	hdr_result r;
	for (size_t i = 0; i < nk; i++) {
		const dx_scan_kernel *k = ks[i];

		run_header(k, "A: 1\nB: 2\n\nbody", 15, 16, &r);
		assert_int_equal(r.nf, 2);
		assert_span(&r.spans[0], 0, 4);
		assert_span(&r.spans[1], 5, 9);
		assert_int_equal(r.body, 11);

		/* Folded lines (space and tab) belong to their field. */
		static const char folded[] = "Subject: a\n b\n\tc\nX: y\n\nB";
		run_header(k, folded, sizeof folded - 1, 16, &r);
		assert_int_equal(r.nf, 2);
		assert_span(&r.spans[0], 0, 16);
		assert_span(&r.spans[1], 17, 21);
		assert_int_equal(r.body, 23);

		/* No blank line: the last field runs to the end. */
		run_header(k, "A: 1\nB: 2", 9, 16, &r);
		assert_int_equal(r.nf, 2);
		assert_span(&r.spans[1], 5, 9);
		assert_int_equal(r.body, 9);

		/* A final newline but no blank line. */
		run_header(k, "A: 1\n", 5, 16, &r);
		assert_int_equal(r.nf, 1);
		assert_span(&r.spans[0], 0, 4);
		assert_int_equal(r.body, 5);

		/* Blank line as the last bytes. */
		run_header(k, "A: 1\n\n", 6, 16, &r);
		assert_int_equal(r.nf, 1);
		assert_span(&r.spans[0], 0, 4);
		assert_int_equal(r.body, 6);

		/* A line of one space is a continuation, not the end. */
		run_header(k, "A: 1\n \n\nB", 9, 16, &r);
		assert_int_equal(r.nf, 1);
		assert_span(&r.spans[0], 0, 6);
		assert_int_equal(r.body, 8);

		/* Continuation at the very end. */
		run_header(k, "A: 1\n ", 6, 16, &r);
		assert_int_equal(r.nf, 1);
		assert_span(&r.spans[0], 0, 6);
		assert_int_equal(r.body, 6);

		/* Empty input; input starting with '\n'. */
		run_header(k, "", 0, 16, &r);
		assert_int_equal(r.nf, 0);
		assert_int_equal(r.body, 0);
		run_header(k, "\nbody", 5, 16, &r);
		assert_int_equal(r.nf, 0);
		assert_int_equal(r.body, 1);

		/* cap smaller than the count: the count is still exact and
		 * nothing past cap is written. */
		run_header(k, "A: 1\nB: 2\nC: 3\n\n", 16, 1, &r);
		assert_int_equal(r.nf, 3);
		assert_span(&r.spans[0], 0, 4);
		assert_span(&r.spans[1], 0xdeadbeef, 0xdeadbeef);
		assert_int_equal(r.body, 16);
		run_header(k, "A: 1\nB: 2\nC: 3\n\n", 16, 0, &r);
		assert_int_equal(r.nf, 3);
		assert_span(&r.spans[0], 0xdeadbeef, 0xdeadbeef);
	}
}

/* The blank line at every position from 3 to 140: a first field of 3 to 9
 * bytes ("A:" padded with 'v', then '\n') and then fields "Xnn: v\n" of 7. */
static void test_header_fields_blank_positions(void **state)
{
	(void)state;
	const dx_scan_kernel *ks[3];
	size_t nk = kernels(ks);
	char buf[200];
	hdr_result r;
	for (size_t i = 0; i < nk; i++) {
		for (size_t blank = 3; blank <= 140; blank++) {
			size_t first = 3 + (blank - 3) % 7;
			size_t full = (blank - first) / 7;
			size_t o = 0;
			buf[o++] = 'A';
			buf[o++] = ':';
			while (o < first - 1)
				buf[o++] = 'v';
			buf[o++] = '\n';
			for (size_t f = 0; f < full; f++) {
				memcpy(buf + o, "X00: v\n", 7);
				buf[o + 1] = (char)('0' + f / 10 % 10);
				buf[o + 2] = (char)('0' + f % 10);
				o += 7;
			}
			assert_int_equal(o, blank);
			memcpy(buf + o, "\nbody", 5);
			o += 5;
			run_header(ks[i], buf, o, 16, &r);
			assert_int_equal(r.nf, full + 1);
			assert_int_equal(r.body, blank + 1);
			assert_span(&r.spans[0], 0, (uint32_t)(first - 1));
			if (full > 0 && full < 16)
				assert_span(&r.spans[full], (uint32_t)(blank - 7), (uint32_t)(blank - 1));
		}
	}
}

/* Random buffers over an alphabet rich in the bytes the kernels look for. */
static size_t random_buffer(uint64_t *rng, char *buf, size_t max)
{
	static const char alphabet[] = "\n\n\n\nFFrom  \t::aa";
	size_t n = (size_t)(xorshift64(rng) % (max + 1));
	for (size_t i = 0; i < n; i++) {
		uint64_t x = xorshift64(rng);
		if (x % 23 == 0 && i + 6 <= n) {
			memcpy(buf + i, "\nFrom ", 6);
			i += 5;
			continue;
		}
		buf[i] = alphabet[(x >> 8) % (sizeof alphabet - 1)];
	}
	return n;
}

static void test_differential(void **state)
{
	(void)state;
	const dx_scan_kernel *ks[3];
	size_t nk = kernels(ks);
	const dx_scan_kernel *scalar = dx_scan_by_name("scalar");
	assert_non_null(scalar);
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	char tmp[300];
	size_t matches = 0, blanks = 0;
	for (int iter = 0; iter < 4000; iter++) {
		size_t n = random_buffer(&rng, tmp, sizeof tmp);
		char *p = heap_copy(tmp, n);

		for (size_t pos = 0; pos <= n + 1; pos++) {
			size_t want = scalar->next_from_line(p, n, pos);
			if (want < n)
				matches++;
			for (size_t i = 0; i < nk; i++)
				assert_int_equal(ks[i]->next_from_line(p, n, pos), want);
		}

		dx_span want_spans[320], got_spans[320];
		size_t want_body;
		size_t want_nf = scalar->header_fields(p, n, want_spans, NELEM(want_spans), &want_body);
		if (want_body < n)
			blanks++;
		size_t caps[] = {NELEM(got_spans), want_nf / 2, 1, 0};
		for (size_t i = 0; i < nk; i++) {
			for (size_t c = 0; c < NELEM(caps); c++) {
				size_t cap = caps[c];
				for (size_t j = 0; j < NELEM(got_spans); j++)
					got_spans[j] = (dx_span){7777, 7777};
				size_t body = (size_t)-1;
				size_t nf = ks[i]->header_fields(p, n, got_spans, cap, &body);
				assert_int_equal(nf, want_nf);
				assert_int_equal(body, want_body);
				size_t kept = nf < cap ? nf : cap;
				for (size_t j = 0; j < kept; j++) {
					assert_int_equal(got_spans[j].start, want_spans[j].start);
					assert_int_equal(got_spans[j].end, want_spans[j].end);
				}
				if (kept < NELEM(got_spans))
					assert_int_equal(got_spans[kept].start, 7777);
			}
		}
		free(p);
	}
	/* The generator must exercise both outcomes, or the test is void. */
	assert_true(matches > 1000);
	assert_true(blanks > 500);
}

/* dx_memcasemem (SIMD where the CPU has it) against its scalar twin, on
 * random text over a small alphabet with both cases and the bytes that
 * OR 0x20 folds together ('@' and '`', '[' and '{'), for needles drawn from
 * the same alphabet, of every length from 1 to longer than the text. */
static void test_memcasemem_differential(void **state)
{
	(void)state;
	static const char alphabet[] = "aAbB@`[{ \n5";
	uint64_t rng = 0x2545f4914f6cdd1dull;
	char text[200], needle[24];
	size_t found = 0, missed = 0;
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = (size_t)(xorshift64(&rng) % sizeof text);
		for (size_t i = 0; i < n; i++)
			text[i] = alphabet[xorshift64(&rng) % (sizeof alphabet - 1)];
		size_t k = 1 + (size_t)(xorshift64(&rng) % (sizeof needle - 1));
		for (size_t i = 0; i < k; i++)
			needle[i] = dx_lower(alphabet[xorshift64(&rng) % (sizeof alphabet - 1)]);
		needle[k] = '\0';
		/* Often take the needle from the text, so that matches happen. */
		if (n >= k && xorshift64(&rng) % 2) {
			size_t at = (size_t)(xorshift64(&rng) % (n - k + 1));
			for (size_t i = 0; i < k; i++)
				needle[i] = dx_lower(text[at + i]);
		}
		char *p = heap_copy(text, n); /* so that reads past the end are caught */
		const char *want = dx_memcasemem_scalar(p, n, needle);
		const char *got = dx_memcasemem(p, n, needle);
		assert_ptr_equal(got, want);
		if (want)
			found++;
		else
			missed++;
		free(p);
	}
	assert_true(found > 2000);
	assert_true(missed > 2000);
	/* dx_memmem against its twin on the same kind of text. */
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = (size_t)(xorshift64(&rng) % sizeof text);
		for (size_t i = 0; i < n; i++)
			text[i] = alphabet[xorshift64(&rng) % (sizeof alphabet - 1)];
		size_t k = 1 + (size_t)(xorshift64(&rng) % (sizeof needle - 1));
		for (size_t i = 0; i < k; i++)
			needle[i] = alphabet[xorshift64(&rng) % (sizeof alphabet - 1)];
		if (n >= k && xorshift64(&rng) % 2) {
			size_t at = (size_t)(xorshift64(&rng) % (n - k + 1));
			memcpy(needle, text + at, k);
		}
		char *p = heap_copy(text, n);
		const char *want = dx_memmem_scalar(p, n, needle, k);
		assert_ptr_equal(dx_memmem(p, n, needle, k), want);
		if (want)
			found++;
		free(p);
	}
	/* And known answers, beside the twins agreeing. */
	const char *t = "Delivery to the following RECIPIENTS failed permanently";
	assert_ptr_equal(dx_memcasemem(t, strlen(t), "recipients failed"), t + 26);
	assert_ptr_equal(dx_memcasemem(t, strlen(t), "recipient  failed"), NULL);
	assert_ptr_equal(dx_memcasemem(t, strlen(t), "recipients"), t + 26);
	assert_ptr_equal(dx_memcasemem(t, strlen(t), "permanently"), t + strlen(t) - 11);
}

/* The scans of log fields (text.h: sixteen bytes at a time with SSE2)
 * against their scalar twins, on random text over the bytes at the edges
 * of their classes (the whitespace range 9-13 and its neighbours, the
 * letters' and digits' neighbours, bytes from 0x80 up), at every start
 * and length up to more than two blocks; and dx_lower_copy against its
 * twin. Each text is a copy of its own on the heap, so that a read past
 * its end is caught under ASan. */
static void test_field_scans_differential(void **state)
{
	(void)state;
	static const char alphabet[] = " \t\n\v\f\r\b\x0e][>);,:/@`{aAzZ09-.\x80\xff";
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	char text[48], low_want[48], low_got[48];
	size_t stopped = 0, ran_out = 0;
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = (size_t)(xorshift64(&rng) % sizeof text);
		/* Runs of one class, so that fields are long enough to cross a block. */
		int plain = (int)(xorshift64(&rng) % 3);
		for (size_t i = 0; i < n; i++) {
			if (plain && xorshift64(&rng) % 8)
				text[i] = "abcXYZ0189"[xorshift64(&rng) % 10];
			else
				text[i] = alphabet[xorshift64(&rng) % (sizeof alphabet - 1)];
		}
		char *p = heap_copy(text, n);
		size_t from = n ? (size_t)(xorshift64(&rng) % (n + 1)) : 0;
		char a = alphabet[xorshift64(&rng) % (sizeof alphabet - 1)];
		char b = alphabet[xorshift64(&rng) % (sizeof alphabet - 1)];
		char c = alphabet[xorshift64(&rng) % (sizeof alphabet - 1)];
		size_t want = dx_find3_scalar(p, from, n, a, b, c);
		assert_int_equal(dx_find3(p, from, n, a, b, c), want);
		want = dx_alnum_end_scalar(p, from, n);
		assert_int_equal(dx_alnum_end(p, from, n), want);
		want = dx_host_end_scalar(p, from, n);
		assert_int_equal(dx_host_end(p, from, n), want);
		if (want < n)
			stopped++;
		else
			ran_out++;
		dx_lower_copy_scalar(low_want, p, n);
		dx_lower_copy(low_got, p, n);
		assert_memory_equal(low_got, low_want, n);
		free(p);
	}
	assert_true(stopped > 2000 && ran_out > 2000);
	/* Known answers. */
	const char *line = "Dec  7 10:00:01 mta1 postfix/smtp[1234]: 4Bk2xQ1234ABCDEFG: to=<a@b.c>";
	size_t n = strlen(line);
	assert_int_equal(dx_find3(line, 21, n, '[', ':', ' '), 33);
	assert_int_equal(dx_alnum_end(line, 41, n), 58);
	assert_int_equal(dx_host_end("mx.example.org]:25", 0, 18), 14);
	char low[32];
	dx_lower_copy(low, "MX1.Example.ORG[192.0.2.1]:25 @Z", 32);
	assert_memory_equal(low, "mx1.example.org[192.0.2.1]:25 @z", 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_from_line_known),
		cmocka_unit_test(test_from_line_block_boundary),
		cmocka_unit_test(test_header_fields_known),
		cmocka_unit_test(test_header_fields_blank_positions),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_memcasemem_differential),
		cmocka_unit_test(test_field_scans_differential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
