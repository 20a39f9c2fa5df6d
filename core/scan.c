/* scan.c: stage-1 kernels and their run-time selection; see scan.h.
 *
 * The loops live in scan_tmpl.h and are compiled once per instruction set,
 * so the SIMD variants differ from the scalar twin only in how a 64-byte
 * comparison mask is computed. */
#include "scan.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DX_X86 1
#endif

/* ---- scalar ---- */

static inline uint64_t mask_scalar(const unsigned char *p, unsigned char c)
{
	uint64_t m = 0;
	for (unsigned i = 0; i < 64; i++)
		m |= (uint64_t)(p[i] == c) << i;
	return m;
}

#define KNAME(x) x##_scalar
#define KTARGET
#define KMASK mask_scalar
#include "scan_tmpl.h"
#undef KNAME
#undef KTARGET
#undef KMASK

static const dx_scan_kernel kernel_scalar = {
	"scalar", next_from_line_scalar, header_fields_scalar,
};

#ifdef DX_X86
/* ---- SSE2 ---- */

__attribute__((target("sse2"))) static inline uint64_t mask_sse2(const unsigned char *p, unsigned char c)
{
	const __m128i needle = _mm_set1_epi8((char)c);
	uint64_t m = 0;
	for (unsigned k = 0; k < 4; k++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
		uint32_t bits = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, needle));
		m |= (uint64_t)bits << (16 * k);
	}
	return m;
}

#define KNAME(x) x##_sse2
#define KTARGET __attribute__((target("sse2")))
#define KMASK mask_sse2
#include "scan_tmpl.h"
#undef KNAME
#undef KTARGET
#undef KMASK

static const dx_scan_kernel kernel_sse2 = {
	"sse2", next_from_line_sse2, header_fields_sse2,
};

/* ---- AVX2 ---- */

__attribute__((target("avx2"))) static inline uint64_t mask_avx2(const unsigned char *p, unsigned char c)
{
	const __m256i needle = _mm256_set1_epi8((char)c);
	__m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
	uint32_t mlo = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, needle));
	uint32_t mhi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, needle));
	return (uint64_t)mlo | ((uint64_t)mhi << 32);
}

#define KNAME(x) x##_avx2
#define KTARGET __attribute__((target("avx2")))
#define KMASK mask_avx2
#include "scan_tmpl.h"
#undef KNAME
#undef KTARGET
#undef KMASK

static const dx_scan_kernel kernel_avx2 = {
	"avx2", next_from_line_avx2, header_fields_avx2,
};
#endif

const dx_scan_kernel *dx_scan_by_name(const char *name)
{
	if (!name)
		return NULL;
	if (strcmp(name, "scalar") == 0)
		return &kernel_scalar;
#ifdef DX_X86
	if (strcmp(name, "sse2") == 0 && __builtin_cpu_supports("sse2"))
		return &kernel_sse2;
	if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2"))
		return &kernel_avx2;
#endif
	return NULL;
}

const dx_scan_kernel *dx_scan_best(void)
{
	const dx_scan_kernel *k = dx_scan_by_name(getenv("DSNIDX_SIMD"));
	if (k)
		return k;
#ifdef DX_X86
	if (__builtin_cpu_supports("avx2"))
		return &kernel_avx2;
	if (__builtin_cpu_supports("sse2"))
		return &kernel_sse2;
#endif
	return &kernel_scalar;
}
