/* fuzz_view.h: what the MIME and decoder targets share: a message parsed
 * the way decode.c parses it (normalised, header indexed, MIME tree), with
 * the per-process objects a decoder needs. */
#ifndef DX_FUZZ_VIEW_H
#define DX_FUZZ_VIEW_H

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "bounce.h"
#include "charset.h"
#include "lexicon.h"
#include "normalise.h"
#include "rfc2045.h"
#include "rfc5322.h"
#include "scan.h"

typedef struct fuzz_env {
	dx_arena arena;
	dx_charset_ctx *charsets;
	dx_lexicon *lex;
	const dx_scan_kernel *kernel;
} fuzz_env;

static fuzz_env *fuzz_env_get(void)
{
	static fuzz_env env; /* one per fuzzing process */
	static int ready;
	if (!ready) {
		/* A 64 MB arena limit, as decoding has with its default limits. */
		dx_arena_init(&env.arena, 64u << 20);
		env.charsets = dx_charset_new();
		env.lex = dx_lexicon_new();
		env.kernel = dx_scan_best();
		if (!env.charsets || !env.lex)
			abort();
		ready = 1;
	}
	dx_arena_reset(&env.arena);
	return &env;
}

/* Parses data into *v (with *mime and *hdr its storage); 0, or -1 when
 * the arena is exhausted (not a bug: a limit). */
static int fuzz_view(fuzz_env *e, const char *data, size_t size, dx_mime_ctx *mime, dx_header *hdr, dx_view *v)
{
	dx_text text, from_line;
	if (dx_normalise(&e->arena, data, size, size > 5 && memcmp(data, "From ", 5) == 0, &text, &from_line) < 0)
		return -1;
	size_t body;
	dx_header_limits lim = {1000, 1u << 20};
	if (dx_header_parse(&e->arena, e->kernel, text.p, text.n, &lim, hdr, &body) < 0)
		return -1;
	memset(mime, 0, sizeof *mime);
	mime->arena = &e->arena;
	mime->kernel = e->kernel;
	mime->charsets = e->charsets;
	mime->max_depth = 32;
	mime->max_parts = 1000;
	mime->header = lim;
	memset(v, 0, sizeof *v);
	v->arena = &e->arena;
	v->mime = mime;
	v->hdr = hdr;
	v->text = text;
	v->from_line = from_line;
	v->detected = 2;
	v->max_recipients = 10000;
	v->lex = e->lex;
	v->root = dx_mime_parse(mime, text.p, text.n);
	return v->root ? 0 : -1;
}

#endif
