/* lexicon.h: the phrase sets decoders look for, compiled once.
 *
 * Decoders search every report for dozens of fixed phrases (where the
 * returned original begins, which SMTP stage a failure answered). Each set
 * is compiled into one automaton (phrase.h) when the engine is made, and
 * reached through the decoding view, so a search is one pass over the text
 * whatever the number of phrases. The phrases themselves stay with the
 * module that gives them meaning; this module only compiles and holds them.
 */
#ifndef DX_LEXICON_H
#define DX_LEXICON_H

#include "phrase.h"

typedef enum dx_lex_set {
	DX_LEX_STAGE,        /* bounce.c: phrases naming the SMTP stage */
	DX_LEX_ORIGINAL,     /* dsn_text.c: lines that introduce the returned original */
	DX_LEX_SIGNATURE,    /* dsn_text.c: first lines by which servers' reports are known */
	DX_LEX_REMOTE,       /* dsn_text.c: words around the name of the host that refused */
	DX_LEX_NSETS
} dx_lex_set;

typedef struct dx_lexicon dx_lexicon;

/* NULL when out of memory. */
dx_lexicon *dx_lexicon_new(void);
void dx_lexicon_free(dx_lexicon *lx);
const dx_phrases *dx_lexicon_get(const dx_lexicon *lx, dx_lex_set set);

/* The phrase lists, from their modules (lower case; the index is the
 * phrase id in the automaton). */
const char *const *dx_stage_phrase_list(size_t *n);
const char *const *dx_original_marker_list(size_t *n);
const char *const *dx_signature_list(size_t *n);
const char *const *dx_remote_lead_list(size_t *n);

#endif
