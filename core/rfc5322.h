/* rfc5322.h: Internet message format: header fields, addresses, dates.
 *
 * Works on text whose lines end in LF (see normalise.h). Header names are
 * normalised to lower case once, when the block is indexed, so that every
 * later lookup is a plain comparison. Values are unfolded (RFC 5322 2.2.3)
 * and trimmed.
 *
 * On bad input: lines without a colon are skipped, fields beyond the limit
 * are counted in `dropped` and ignored, an unparseable date gives DX_NO_TIME,
 * text without an address gives NULL. Nothing here fails but allocation.
 */
#ifndef DX_RFC5322_H
#define DX_RFC5322_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "scan.h"

typedef struct dx_field {
	const char *name;      /* lower case */
	const char *value;     /* unfolded, trimmed, NUL-terminated */
	size_t value_len;
} dx_field;

typedef struct dx_header {
	dx_field *fields;
	unsigned n;
	unsigned dropped;      /* fields past the limit, not indexed */
	unsigned truncated;    /* fields whose value was cut at max_line */
} dx_header;

/* How much of a header block is indexed. */
typedef struct dx_header_limits {
	unsigned max_fields;   /* fields; the rest are counted in `dropped` */
	size_t max_line;       /* bytes of one field, folded lines and all */
} dx_header_limits;

/* Indexes the header block at p[0..n). *body gets the offset just after the
 * blank line (n if none). Returns 0, or -1 when the arena is exhausted. */
int dx_header_parse(dx_arena *a, const dx_scan_kernel *k, const char *p, size_t n,
		    const dx_header_limits *lim, dx_header *out, size_t *body);

/* The value of the first field named `lname` (lower case), or NULL. */
const char *dx_header_get(const dx_header *h, const char *lname);
/* Iterates fields of one name: pass prev = NULL first. */
const dx_field *dx_header_next(const dx_header *h, const char *lname, const dx_field *prev);

/* The first addr-spec in p[0..n) ("Name <a@b>", "a@b (c)", "rfc822; a@b"),
 * in lower case, or NULL when there is none. */
char *dx_addr_extract(dx_arena *a, const char *p, size_t n);
/* Whether s looks like local@domain.tld with sane characters. */
int dx_addr_valid(const char *s);
/* The domain of an address (after the last '@'), or "". */
const char *dx_addr_domain(const char *addr);

/* RFC 5322 date-time (lenient: obsolete zones, missing weekday or seconds,
 * two-digit years, trailing comments) to UTC seconds, or DX_NO_TIME. */
int64_t dx_date_parse(const char *s, size_t n);
/* The asctime-style date of an mbox From_ line ("Thu Sep 18 17:54:04 2008"),
 * taken as UTC, or DX_NO_TIME. */
int64_t dx_date_parse_ctime(const char *s, size_t n);
/* Days from 1970-01-01 to a proleptic Gregorian date. */
int64_t dx_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
