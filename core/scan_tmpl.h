/* scan_tmpl.h: the stage-1 loops, written once and instantiated per
 * instruction set by scan.c. Before including, define:
 *   KNAME(x)  a suffixing macro (x##_avx2 ...)
 *   KTARGET   a function attribute enabling the instruction set, or nothing
 *   KMASK     a function (const unsigned char *p, unsigned char c) -> uint64_t
 *             setting bit i when p[i] == c, for 64 readable bytes
 * The tails shorter than 64 bytes are done byte by byte in every variant so
 * that all variants agree exactly. */

static KTARGET size_t KNAME(next_from_line)(const char *p, size_t n, size_t pos)
{
	const unsigned char *u = (const unsigned char *)p;
	if (pos >= n)
		return n;
	if ((pos == 0 || u[pos - 1] == '\n' || u[pos - 1] == '\r') && n - pos >= 5 && memcmp(p + pos, "From ", 5) == 0)
		return pos;
	/* Look for "\nF" or "\rF" (bare-CR files): a candidate line start;
	 * verify the rest in scalar. */
	size_t i = pos;
	while (i + 64 + 1 <= n) {
		uint64_t eol = KMASK(u + i, '\n') | KMASK(u + i, '\r');
		uint64_t f = KMASK(u + i + 1, 'F');
		uint64_t m = eol & f;
		while (m) {
			size_t at = i + (size_t)__builtin_ctzll(m) + 1;
			if (n - at >= 5 && memcmp(p + at, "From ", 5) == 0)
				return at;
			m &= m - 1;
		}
		i += 64;
	}
	for (; i + 1 < n; i++) {
		if ((u[i] == '\n' || u[i] == '\r') && u[i + 1] == 'F') {
			size_t at = i + 1;
			if (n - at >= 5 && memcmp(p + at, "From ", 5) == 0)
				return at;
		}
	}
	return n;
}

/* Stage 2 of the header index is the walk over newline positions; each
 * position is classified by the byte that follows it. */
static KTARGET size_t KNAME(header_fields)(const char *p, size_t n, dx_span *out, size_t cap, size_t *body)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t nf = 0;
	size_t field_start = 0;
	int in_field = 0;

	if (n == 0) {
		*body = 0;
		return 0;
	}
	if (u[0] == '\n') {
		*body = 1;
		return 0;
	}
	in_field = 1;

#define DX_ON_LF(at)                                                                  \
	do {                                                                          \
		size_t lf_ = (at);                                                    \
		unsigned char next_ = lf_ + 1 < n ? u[lf_ + 1] : 0;                   \
		if (lf_ + 1 < n && (next_ == ' ' || next_ == '\t'))                   \
			break; /* folded continuation of the same field */           \
		if (in_field) {                                                       \
			if (nf < cap) {                                               \
				out[nf].start = (uint32_t)field_start;                \
				out[nf].end = (uint32_t)lf_;                          \
			}                                                             \
			nf++;                                                         \
			in_field = 0;                                                 \
		}                                                                     \
		if (lf_ + 1 >= n) {                                                   \
			*body = n;                                                    \
			return nf;                                                    \
		}                                                                     \
		if (next_ == '\n') {                                                  \
			*body = lf_ + 2;                                              \
			return nf;                                                    \
		}                                                                     \
		field_start = lf_ + 1;                                                \
		in_field = 1;                                                         \
	} while (0)

	size_t i = 0;
	while (i + 64 <= n) {
		uint64_t m = KMASK(u + i, '\n');
		while (m) {
			DX_ON_LF(i + (size_t)__builtin_ctzll(m));
			m &= m - 1;
		}
		i += 64;
	}
	for (; i < n; i++) {
		if (u[i] == '\n')
			DX_ON_LF(i);
	}
#undef DX_ON_LF
	/* No newline after the last field: it runs to the end. */
	if (in_field) {
		if (nf < cap) {
			out[nf].start = (uint32_t)field_start;
			out[nf].end = (uint32_t)n;
		}
		nf++;
	}
	*body = n;
	return nf;
}
