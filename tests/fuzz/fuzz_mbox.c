/* fuzz_mbox.c: mbox boundaries. dx_mbox_next with every kernel this CPU
 * runs must give the scalar kernel's answer from every position, stay in
 * bounds and move forward; dx_mbox_last and dx_mbox_detect must stay in
 * bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbox.h"
#include "scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so that reading past the end is caught. */
	char *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	static const char *const names[] = {"scalar", "sse2", "avx2"};
	const dx_scan_kernel *scalar = dx_scan_by_name("scalar");
	size_t skip = 0;
	dx_mbox_detect(p, size, &skip);
	if (skip > size)
		abort();
	size_t last = dx_mbox_last(p, size, 0);
	if (last > size)
		abort();
	for (size_t pos = 0; pos <= size; pos += 1 + pos / 8) {
		size_t want = dx_mbox_next(scalar, p, size, pos);
		if (want > size || (want < size && want < pos))
			abort();
		for (size_t k = 1; k < 3; k++) {
			const dx_scan_kernel *kern = dx_scan_by_name(names[k]);
			if (kern && dx_mbox_next(kern, p, size, pos) != want)
				abort();
		}
	}
	free(p);
	return 0;
}
