/* fuzz_scan.c: the stage-1 header scanner. Every SIMD kernel must give the
 * scalar twin's field spans, field count and body offset, for every cap
 * on the spans. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	static const char *const names[] = {"sse2", "avx2"};
	const dx_scan_kernel *scalar = dx_scan_by_name("scalar");
	enum { CAP = 512 };
	static dx_span want[CAP], got[CAP];
	size_t want_body, got_body;
	size_t want_n = scalar->header_fields(p, size, want, CAP, &want_body);
	if (want_body > size)
		abort();
	size_t kept = want_n < CAP ? want_n : CAP;
	for (size_t i = 0; i < kept; i++)
		if (want[i].start > want[i].end || want[i].end > size)
			abort();
	for (size_t k = 0; k < 2; k++) {
		const dx_scan_kernel *kern = dx_scan_by_name(names[k]);
		if (!kern)
			continue;
		size_t caps[] = {CAP, kept / 2, 1, 0};
		for (size_t c = 0; c < 4; c++) {
			size_t got_n = kern->header_fields(p, size, got, caps[c], &got_body);
			if (got_n != want_n || got_body != want_body)
				abort();
			size_t kk = got_n < caps[c] ? got_n : caps[c];
			for (size_t i = 0; i < kk; i++)
				if (got[i].start != want[i].start || got[i].end != want[i].end)
					abort();
		}
		for (size_t pos = 0; pos <= size; pos += 1 + pos / 4)
			if (kern->next_from_line(p, size, pos) != scalar->next_from_line(p, size, pos))
				abort();
	}
	free(p);
	return 0;
}
