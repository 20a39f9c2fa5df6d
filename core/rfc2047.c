/* rfc2047.c: encoded-word decoding; see rfc2047.h. */
#include "rfc2047.h"

#include <string.h>

#include "buf.h"
#include "rfc2045.h"
#include "text.h"

/* Parses an encoded word at p[0..n). On success returns its length and sets
 * the charset, encoding letter and text spans. */
static size_t encoded_word(const char *p, size_t n, const char **cs, size_t *csn, char *enc,
			   const char **txt, size_t *txtn)
{
	if (n < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	size_t i = 2;
	while (i < n && p[i] != '?' && !dx_is_space(p[i]))
		i++;
	if (i >= n || p[i] != '?' || i == 2)
		return 0;
	*cs = p + 2;
	*csn = i - 2;
	if (i + 3 >= n || p[i + 2] != '?')
		return 0;
	char e = dx_lower(p[i + 1]);
	if (e != 'b' && e != 'q')
		return 0;
	*enc = e;
	size_t t = i + 3;
	size_t j = t;
	/* Encoded words may not contain spaces, but mailers write them. */
	while (j + 1 < n && !(p[j] == '?' && p[j + 1] == '=') && p[j] != '\n')
		j++;
	if (j + 1 >= n || p[j] != '?' || p[j + 1] != '=')
		return 0;
	*txt = p + t;
	*txtn = j - t;
	return j + 2;
}

static int append_converted(dx_buf *b, dx_arena *a, dx_charset_ctx *cs, const char *charset,
			    const char *p, size_t n)
{
	char *u;
	size_t un;
	if (dx_to_utf8(cs, a, charset, p, n, &u, &un) < 0)
		return -1;
	return dx_buf_append(b, u, un);
}

static int append_raw(dx_buf *b, dx_arena *a, dx_charset_ctx *cs, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	const char *charset = NULL;
	if (memchr(p, 0x1b, n))
		charset = "iso-2022-jp";
	return append_converted(b, a, cs, charset, p, n);
}

char *dx_rfc2047_decode(dx_arena *a, dx_charset_ctx *cs, const char *p, size_t n)
{
	if (!memchr(p, '=', n) && !memchr(p, 0x1b, n) && dx_utf8_valid_prefix(p, n) == n)
		return dx_utf8_clean(a, p, n); /* the common case: plain ASCII */

	dx_buf out;
	dx_buf_init(&out);
	size_t lit = 0;        /* start of pending literal text */
	size_t i = 0;
	int last_was_word = 0; /* for dropping whitespace between words */
	while (i < n) {
		const char *csn_p, *txt;
		size_t csn, txtn;
		char enc;
		size_t len = (p[i] == '=') ? encoded_word(p + i, n - i, &csn_p, &csn, &enc, &txt, &txtn) : 0;
		if (!len) {
			i++;
			continue;
		}
		/* Flush the literal before this word, unless it is only the
		 * whitespace separating two encoded words (RFC 2047 6.2). */
		int only_space = 1;
		for (size_t k = lit; k < i; k++)
			if (!dx_is_space(p[k]))
				only_space = 0;
		if (!(last_was_word && only_space))
			append_raw(&out, a, cs, p + lit, i - lit);

		char charset[64];
		size_t cl = csn < sizeof charset - 1 ? csn : sizeof charset - 1;
		memcpy(charset, csn_p, cl);
		charset[cl] = '\0';
		char *star = strchr(charset, '*'); /* RFC 2231 language suffix */
		if (star)
			*star = '\0';
		char *dec = dx_arena_alloc(a, txtn + 1);
		if (!dec) {
			dx_buf_free(&out);
			return NULL;
		}
		size_t dn = enc == 'b' ? dx_base64_decode(txt, txtn, dec) : dx_qp_decode(txt, txtn, dec, 1);
		append_converted(&out, a, cs, charset, dec, dn);
		i += len;
		lit = i;
		last_was_word = 1;
	}
	append_raw(&out, a, cs, p + lit, n - lit);
	if (dx_buf_failed(&out)) {
		dx_buf_free(&out);
		return NULL;
	}
	char *r = dx_arena_strndup(a, out.data ? out.data : "", out.len);
	dx_buf_free(&out);
	return r;
}
