/* fuzz_container.c: compression and archives. The input is read as
 * dsnidx reads a file: told apart by its first bytes, unwrapped and
 * walked member by member, nested, every byte read to the end or to the
 * error, which must come with a message. Output is capped (a small input
 * can expand a lot: that is the limits' business, not this target's). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct mem {
	const char *p;
	size_t n, at;
} mem;

static ssize_t mem_read(void *impl, char *buf, size_t n, char *err, size_t errsz)
{
	(void)err;
	(void)errsz;
	mem *m = impl;
	size_t k = m->n - m->at < n ? m->n - m->at : n;
	memcpy(buf, m->p + m->at, k);
	m->at += k;
	return (ssize_t)k;
}

static void mem_close(void *impl)
{
	free(impl);
}

static const dx_stream_ops mem_ops = {mem_read, mem_close};

enum { CAP = 8u << 20 };

static void drain(dx_stream *s, size_t *total)
{
	static char buf[65536];
	char err[512];
	for (;;) {
		err[0] = '\0';
		ssize_t r = dx_stream_read(s, buf, sizeof buf, err, sizeof err);
		if (r < 0) {
			if (!err[0])
				abort(); /* an error must say what */
			return;
		}
		if (r == 0)
			return;
		*total += (size_t)r;
		if (*total > CAP)
			return;
	}
}

/* Stops each layer a little past CAP, as the tool stops at max_expanded. */
static const dx_expand_limits lim = {CAP + 1, 1000};

static void tree(dx_stream *s, unsigned depth, size_t *total)
{
	char err[512];
	int kind = dx_stream_kind(s, err, sizeof err);
	if (kind < 0 || depth > 4) {
		dx_stream_close(s);
		return;
	}
	if (kind == DX_KIND_PLAIN) {
		drain(s, total);
		dx_stream_close(s);
		return;
	}
	if (kind == DX_KIND_ZSTD || kind == DX_KIND_COMPRESSED) {
		dx_stream *inner = dx_decompress(s, (dx_kind)kind, &lim, err, sizeof err);
		if (inner)
			tree(inner, depth + 1, total);
		return;
	}
	int too_big;
	dx_archive *ar = dx_archive_open(s, (dx_kind)kind, 1u << 20, &lim, &too_big, err, sizeof err);
	if (!ar)
		return;
	const char *path;
	dx_stream *member;
	int got;
	while (*total <= CAP && (got = dx_archive_next(ar, &path, &member, err, sizeof err)) > 0) {
		if (!path)
			abort();
		tree(member, depth + 1, total);
	}
	dx_archive_close(ar);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mem *m = malloc(sizeof *m);
	if (!m)
		return 0;
	m->p = (const char *)data;
	m->n = size;
	m->at = 0;
	dx_stream *s = dx_stream_new(&mem_ops, m, NULL);
	if (!s) {
		free(m);
		return 0;
	}
	size_t total = 0;
	tree(s, 0, &total);
	return 0;
}
