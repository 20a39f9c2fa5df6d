/* scan.h: stage 1, finding message structure fast.
 *
 * The scanner finds, in raw or normalised mail text, the places a parser
 * needs: the start of each "From " line of an mbox and the span of each
 * header field up to the blank line that ends a header block. It works 64
 * bytes at a time with SIMD compares (AVX2 or SSE2, chosen at run time) and
 * has a scalar twin that must give identical results; tests check that they
 * do on random and real input.
 *
 * The scanner never fails: on input without the structure it looks for it
 * returns "not found" (the length of the input).
 */
#ifndef DX_SCAN_H
#define DX_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* A header field: bytes [start, end) hold "Name: value" including folded
 * continuation lines, without the final newline. */
typedef struct dx_span {
	uint32_t start;
	uint32_t end;
} dx_span;

typedef struct dx_scan_kernel {
	const char *name; /* "avx2", "sse2" or "scalar" */

	/* Offset of the first line at or after `pos` that starts with "From "
	 * (a line starts at 0 or after '\n' or '\r'), or n when there is none. */
	size_t (*next_from_line)(const char *p, size_t n, size_t pos);

	/* Indexes the header block that starts at p (LF line endings).
	 * Stores up to `cap` field spans in out, returns how many fields there
	 * are (which may exceed cap) and sets *body to the offset just after
	 * the blank line, or to n when the block has no end. */
	size_t (*header_fields)(const char *p, size_t n, dx_span *out, size_t cap, size_t *body);
} dx_scan_kernel;

/* The fastest kernel this CPU runs. Set DSNIDX_SIMD=scalar|sse2|avx2 in the
 * environment to choose one (for tests and measurements). */
const dx_scan_kernel *dx_scan_best(void);
/* A kernel by name, or NULL when unknown or not supported by this CPU. */
const dx_scan_kernel *dx_scan_by_name(const char *name);

#endif
