/* fuzz_decode.c: the whole of dx_decode, on the input as a single message
 * and as an mbox entry. Every record must have its columns set (strings,
 * valid UTF-8, a known reason) and count up from 1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "classify.h"
#include "dsnidx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void valid(const char *s)
{
	if (!s || dx_utf8_valid_prefix(s, strlen(s)) != strlen(s))
		abort();
}

static int check(void *arg, const dx_record *r)
{
	unsigned *n = arg;
	if (r->index != ++*n)
		abort();
	const char *texts[] = {r->recipient, r->domain, r->action, r->status, r->reporting_mta, r->remote_mta,
			       r->diagnostic, r->sender, r->subject, r->message_id, r->decoder};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		valid(texts[i]);
	if (!dx_reason_known(r->reason) || (r->hard_bounce != 0 && r->hard_bounce != 1))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dx_engine *e;
	static dx_dctx *d;
	if (!e) {
		dx_error err;
		dx_options o;
		dx_options_default(&o);
		o.include_delivered = 1;
		if (dx_engine_new(&o, &e, &err) != DX_OK || !(d = dx_dctx_new(e)))
			abort();
	}
	char *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	for (int as_mbox = 0; as_mbox < 2; as_mbox++) {
		if (as_mbox && !(size > 5 && memcmp(p, "From ", 5) == 0))
			continue;
		dx_message m = {"fuzz", 0, p, size, as_mbox, 0};
		unsigned n = 0, got = 0;
		dx_decode(d, &m, check, &n, NULL, &got);
		if (got != n)
			abort();
	}
	free(p);
	return 0;
}
