/* lexicon.c: compiles the decoders' phrase sets; see lexicon.h. */
#include "lexicon.h"

#include <stdlib.h>

struct dx_lexicon {
	dx_phrases *set[DX_LEX_NSETS];
};

dx_lexicon *dx_lexicon_new(void)
{
	dx_lexicon *lx = calloc(1, sizeof *lx);
	if (!lx)
		return NULL;
	const char *const *(*lists[DX_LEX_NSETS])(size_t *) = {
		[DX_LEX_STAGE] = dx_stage_phrase_list,
		[DX_LEX_ORIGINAL] = dx_original_marker_list,
		[DX_LEX_SIGNATURE] = dx_signature_list,
		[DX_LEX_REMOTE] = dx_remote_lead_list,
	};
	for (int i = 0; i < DX_LEX_NSETS; i++) {
		size_t n;
		const char *const *list = lists[i](&n);
		lx->set[i] = dx_phrases_new(list, NULL, n, DX_PHRASES_EXACT);
		if (!lx->set[i]) {
			dx_lexicon_free(lx);
			return NULL;
		}
	}
	return lx;
}

void dx_lexicon_free(dx_lexicon *lx)
{
	if (!lx)
		return;
	for (int i = 0; i < DX_LEX_NSETS; i++)
		dx_phrases_free(lx->set[i]);
	free(lx);
}

const dx_phrases *dx_lexicon_get(const dx_lexicon *lx, dx_lex_set set)
{
	return lx->set[set];
}
