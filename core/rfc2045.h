/* rfc2045.h: MIME structure (RFC 2045, 2046): Content-Type and its
 * parameters, multipart bodies, message/rfc822 parts, and the transfer
 * encodings base64 and quoted-printable.
 *
 * dx_mime_parse() turns a normalised message into a tree of parts that
 * point into the message text. Limits on depth and part count are explicit;
 * a part past them is left unparsed (its body kept as one opaque part) and
 * counted in the context. On bad input: a multipart without a usable
 * boundary is treated as a single part, a missing closing delimiter ends
 * the last part at the end of the text, invalid base64 characters are
 * skipped and invalid quoted-printable escapes are kept as they are.
 */
#ifndef DX_RFC2045_H
#define DX_RFC2045_H

#include <stddef.h>

#include "arena.h"
#include "charset.h"
#include "normalise.h"
#include "rfc5322.h"
#include "scan.h"

typedef struct dx_mime_part dx_mime_part;

struct dx_mime_part {
	dx_header hdr;
	const char *type;       /* lower case, "text" when absent */
	const char *subtype;    /* lower case, "plain" when absent */
	const char *charset;    /* parameter, or "" */
	const char *boundary;   /* parameter, or "" */
	const char *report_type;/* parameter of multipart/report, lower case, or "" */
	const char *encoding;   /* Content-Transfer-Encoding, lower case, or "" */
	const char *body;       /* the undecoded body */
	size_t body_len;
	dx_mime_part *child;    /* first subpart, or the message of message/rfc822 */
	dx_mime_part *next;     /* next sibling */
	unsigned depth;
};

typedef struct dx_mime_ctx {
	dx_arena *arena;
	const dx_scan_kernel *kernel;
	dx_charset_ctx *charsets;
	unsigned max_depth;
	unsigned max_parts;
	dx_header_limits header;
	unsigned parts;         /* parts made so far */
	unsigned limits_hit;    /* depth or part limit reached */
	unsigned fields_truncated; /* header fields of parts cut at max_line */
	size_t max_text;        /* bytes of a body read by dx_mime_text (0: all) */
	unsigned texts_truncated; /* bodies dx_mime_text cut at max_text */
} dx_mime_ctx;

/* Parses the message p[0..n) (LF line endings). Returns the root part, or
 * NULL when the arena is exhausted. */
dx_mime_part *dx_mime_parse(dx_mime_ctx *c, const char *p, size_t n);
/* The same, for a message whose header block the caller has indexed with
 * dx_header_parse and c's limits (*hdr, the body at offset body): the
 * root part takes a copy of *hdr instead of indexing it again. */
dx_mime_part *dx_mime_parse_under(dx_mime_ctx *c, const char *p, size_t n, const dx_header *hdr, size_t body);

/* Whether the part is type/subtype (lower case). */
int dx_mime_is(const dx_mime_part *m, const char *type, const char *subtype);

/* Depth-first search for the first part of the given type and subtype
 * (subtype NULL matches any), not descending into message/rfc822 parts
 * unless into_messages is set. */
dx_mime_part *dx_mime_find(dx_mime_part *root, const char *type, const char *subtype, int into_messages);

/* The body with its transfer encoding undone and line endings normalised. */
int dx_mime_body(dx_mime_ctx *c, const dx_mime_part *m, dx_text *out);
/* The body decoded and converted to UTF-8 from the part's charset: its
 * first max_text bytes (cut at a line end) when it is longer, counted in
 * texts_truncated. A report is at the top of its text; what follows in a
 * huge part is a returned message or padding, and converting all of it
 * would cost up to three times its size. */
int dx_mime_text(dx_mime_ctx *c, const dx_mime_part *m, dx_text *out);

/* A parameter of a structured field value ("text/plain; charset=x"), with
 * quotes removed, or NULL. RFC 2231 continuations are joined. */
char *dx_mime_param(dx_arena *a, const char *value, const char *name);

/* Transfer decodings, usable on any text. */
size_t dx_base64_decode(const char *in, size_t n, char *out);
size_t dx_qp_decode(const char *in, size_t n, char *out, int underscore_is_space);

#endif
