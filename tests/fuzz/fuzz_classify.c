/* fuzz_classify.c: the classifier with the built-in rules. The input gives
 * a status, a reply code, an action and the two texts (NUL-separated); the
 * verdict must be a known reason, and the same with and without the
 * literal prefilter. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dx_rules *rules;
	static dx_matcher *with, *without;
	if (!rules) {
		dx_error err;
		rules = dx_rules_new();
		if (!rules || dx_rules_add_builtin(rules, &err) != DX_OK)
			abort();
		with = dx_matcher_new(rules);
		without = dx_matcher_new(rules);
		if (!with || !without)
			abort();
		dx_matcher_set_prefilter(without, 0);
	}
	/* Fields separated by NUL bytes: status, code, action, diagnostic, summary. */
	char *p = malloc(size + 6);
	if (!p)
		return 0;
	memcpy(p, data, size);
	memset(p + size, 0, 6);
	const char *field[5];
	size_t at = 0;
	for (int i = 0; i < 5; i++) {
		field[i] = p + at;
		at += strlen(p + at) + 1;
		if (at > size)
			at = size;
	}
	dx_facts f = {
		.status = field[0],
		.reply_code = atoi(field[1]),
		.action = *field[2] ? field[2] : NULL,
		.diagnostic = field[3],
		.summary = *field[4] ? field[4] : NULL,
	};
	dx_verdict a, b;
	dx_classify(with, &f, &a);
	dx_classify(without, &f, &b);
	if (!dx_reason_known(a.reason) || strcmp(a.reason, b.reason) != 0 || a.rule_line != b.rule_line)
		abort();
	free(p);
	return 0;
}
