/* normalise.h: raw message bytes to the text the parsers read.
 *
 * Mail arrives with LF, CRLF or bare CR line endings (or CR CR LF, a CRLF
 * file converted to CRLF again: one line end too), and from an mbox with
 * a leading From_ line and ">From " escapes. Every parser after this one
 * sees LF endings only, so that "a message saved with CRLF gives the same
 * records as with LF" holds by construction rather than by care in each
 * decoder.
 *
 * When the input needs no change the result points into it (no copy).
 * Fails (returns -1) only when the arena is exhausted.
 */
#ifndef DX_NORMALISE_H
#define DX_NORMALISE_H

#include <stddef.h>

#include "arena.h"

typedef struct dx_text {
	const char *p;
	size_t n;
} dx_text;

/* Normalises raw[0..n). With from_mbox, the first line (the From_ line) is
 * removed and stored in *from_line (NULL otherwise), and lines matching
 * ">+From " lose one '>' (mboxrd; for mboxo this undoes the escape too). */
int dx_normalise(dx_arena *a, const char *raw, size_t n, int from_mbox, dx_text *out, dx_text *from_line);

/* Line endings only (CRLF and bare CR to LF), for decoded MIME bodies. */
int dx_normalise_eol(dx_arena *a, const char *p, size_t n, dx_text *out);

#endif
