/* fuzz_mime.c: the MIME walker. Every part's body is read whole (a body
 * may lie in the message or, for a message inside an encoded part, in
 * memory the parse decoded it to: AddressSanitizer tells if it lies
 * anywhere else); every part's text, decoded and converted, must be valid
 * UTF-8; encoded words in every header field must decode to valid UTF-8. */
#include <stdint.h>

#include "fuzz_view.h"
#include "rfc2047.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(fuzz_env *e, dx_mime_ctx *mime, const dx_mime_part *m, int depth)
{
	for (; m; m = m->next) {
		if (depth > 64)
			abort();
		volatile unsigned char sum = 0;
		for (size_t i = 0; i < m->body_len; i++)
			sum ^= (unsigned char)m->body[i];
		dx_text t;
		if (dx_mime_text(mime, m, &t) == 0 && dx_utf8_valid_prefix(t.p, t.n) != t.n &&
		    !dx_mime_is(m, "message", NULL))
			abort();
		for (unsigned i = 0; i < m->hdr.n; i++) {
			const dx_field *f = &m->hdr.fields[i];
			char *d = dx_rfc2047_decode(&e->arena, e->charsets, f->value, f->value_len);
			if (d && dx_utf8_valid_prefix(d, strlen(d)) != strlen(d))
				abort();
		}
		walk(e, mime, m->child, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_env *e = fuzz_env_get();
	char *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	dx_mime_ctx mime;
	dx_header hdr;
	dx_view v;
	if (fuzz_view(e, p, size, &mime, &hdr, &v) == 0)
		walk(e, &mime, v.root, 0);
	free(p);
	return 0;
}
