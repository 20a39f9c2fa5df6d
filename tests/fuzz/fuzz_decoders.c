/* fuzz_decoders.c: one decoder family, chosen by the first byte, on a
 * parsed view of the rest. A decoder must return -1, 0 or 1; with 1, every
 * recipient must have an address, and every text it gives must be a
 * NUL-terminated string (read whole here, so that a bad pointer shows). */
#include <stdint.h>

#include "fuzz_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch(const char *s)
{
	if (s) {
		volatile size_t n = strlen(s);
		(void)n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const dx_decoder_fn decoders[] = {
		dx_decode_rfc3464, dx_decode_exchange, dx_decode_text, dx_decode_arf,
		dx_decode_amazonses, dx_decode_rfc3834, dx_decode_rfc3464_nested, dx_decode_listmgr,
	};
	dx_decoder_fn fn = decoders[data[0] % (sizeof decoders / sizeof decoders[0])];
	fuzz_env *e = fuzz_env_get();
	char *p = malloc(size);
	if (!p)
		return 0;
	memcpy(p, data + 1, size - 1);
	dx_mime_ctx mime;
	dx_header hdr;
	dx_view v;
	if (fuzz_view(e, p, size - 1, &mime, &hdr, &v) == 0) {
		dx_bounce b;
		memset(&b, 0, sizeof b);
		b.max_rcpts = 10000;
		b.arrival = INT64_MIN;
		int got = fn(&v, &b);
		if (got < -1 || got > 1)
			abort();
		if (got == 1) {
			if (b.nrcpts == 0 && !b.dropped_rcpts)
				abort();
			touch(b.reporting_mta);
			for (unsigned i = 0; i < b.nrcpts; i++) {
				const dx_rcpt *r = &b.rcpts[i];
				if (!r->recipient)
					abort();
				touch(r->recipient);
				touch(r->status);
				touch(r->diagnostic);
				touch(r->summary);
				touch(r->remote_mta);
			}
		}
	}
	free(p);
	return 0;
}
