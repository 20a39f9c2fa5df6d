/* arf.c: abuse feedback reports in the Abuse Reporting Format (RFC 5965),
 * sent by mailbox providers' feedback loops when a user marks a message as
 * spam, and by DMARC failure reporting (RFC 6591).
 *
 * Recognised by a message/feedback-report part (text/feedback-report too)
 * outside any returned message, or by a top-level multipart/report with
 * report-type=feedback-report. The part's fields (Feedback-Type,
 * Original-Mail-From, Original-Rcpt-To, Removal-Recipient, Arrival-Date or
 * Received-Date, Reporting-MTA, Source-IP...) are read as a header block;
 * blank lines inside it are skipped.
 *
 * One recipient per Original-Rcpt-To, in order (an address given twice is
 * taken once, a field without an address is skipped); if there is none,
 * per Removal-Recipient; if none, the address in the To of the returned
 * original (message/rfc822 or text/rfc822-headers part); if still none,
 * one recipient with an empty address, since the report still counts.
 * Every recipient has the reason "feedback", the Feedback-Type (lower
 * case) as diagnostic, the main fields as summary, and no action, status
 * or reply code: a complaint is not a delivery failure. Reporting-MTA is
 * the reporting server, Arrival-Date the arrival time. Returns 0 when the
 * message is not a feedback report, -1 when the arena is exhausted.
 */
#include <string.h>

#include "bounce.h"
#include "dsnidx.h"
#include "text.h"

static int is_feedback_report(const dx_mime_part *root)
{
	return dx_mime_is(root, "multipart", "report") && root->report_type &&
	       strcmp(root->report_type, "feedback-report") == 0;
}

/* The report's fields as one header block: the part's body with blank
 * lines (which some generators put between fields) left out. Returns -1 on
 * memory exhaustion. */
static int report_fields(dx_view *v, const dx_mime_part *m, dx_header *out)
{
	memset(out, 0, sizeof *out);
	if (!m)
		return 0;
	dx_text body;
	if (dx_mime_body(v->mime, m, &body) < 0)
		return -1;
	char *c = dx_arena_alloc(v->arena, body.n + 1);
	if (!c)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < body.n;) {
		size_t e = dx_line_end(body.p, body.n, i);
		size_t s = i;
		while (s < e && dx_is_space(body.p[s]))
			s++;
		if (s < e) {
			memcpy(c + k, body.p + i, e - i);
			k += e - i;
			c[k++] = '\n';
		}
		i = e + 1;
	}
	size_t hb;
	return dx_header_parse(v->arena, v->mime->kernel, c, k, &v->mime->header, out, &hb);
}

/* Adds one recipient per address in the fields named lname. Returns the
 * number added, or -1 on memory exhaustion. */
static int add_from_fields(dx_view *v, dx_bounce *b, const dx_header *h, const char *lname)
{
	int added = 0;
	for (const dx_field *f = dx_header_next(h, lname, NULL); f; f = dx_header_next(h, lname, f)) {
		/* Takes "user@example.com", "<user@example.com>" and the typed
		 * "rfc822; user@example.com" alike. */
		char *addr = dx_addr_extract(v->arena, f->value, f->value_len);
		if (!addr || dx_bounce_find(b, addr))
			continue;
		if (!dx_bounce_add(b, v->arena, addr)) {
			if (b->dropped_rcpts)
				continue;
			return -1;
		}
		added++;
	}
	return added;
}

/* The report's main fields on one line ("feedback-type abuse; source-ip
 * 192.0.2.1; ..."), for explanations; NULL when it has none. Sets *nomem
 * when the arena is exhausted. */
static const char *report_summary(dx_arena *a, const dx_header *h, int *nomem)
{
	static const char *const shown[] = {"feedback-type", "user-agent", "source-ip", "original-mail-from",
					    "reported-domain", "authentication-results"};
	enum { NSHOWN = sizeof shown / sizeof shown[0] };
	const char *val[NSHOWN];
	size_t len = 0;
	for (size_t i = 0; i < NSHOWN; i++)
		if ((val[i] = dx_header_get(h, shown[i])) != NULL)
			len += strlen(shown[i]) + strlen(val[i]) + 3;
	if (!len)
		return NULL;
	char *sum = dx_arena_alloc(a, len + 1);
	if (!sum) {
		*nomem = 1;
		return NULL;
	}
	size_t k = 0;
	for (size_t i = 0; i < NSHOWN; i++) {
		if (!val[i])
			continue;
		size_t nn = strlen(shown[i]), vn = strlen(val[i]);
		if (k) {
			memcpy(sum + k, "; ", 2);
			k += 2;
		}
		memcpy(sum + k, shown[i], nn);
		k += nn;
		sum[k++] = ' ';
		memcpy(sum + k, val[i], vn);
		k += vn;
	}
	const char *r = dx_squeeze(a, sum, k);
	if (!r)
		*nomem = 1;
	return r;
}

int dx_decode_arf(dx_view *v, dx_bounce *b)
{
	dx_mime_part *part = dx_mime_find(v->root, "message", "feedback-report", 0);
	if (!part)
		part = dx_mime_find(v->root, "text", "feedback-report", 0);
	if (!part && !is_feedback_report(v->root))
		return 0;
	dx_arena *a = v->arena;
	dx_header h;
	if (report_fields(v, part, &h) < 0)
		return -1;

	const char *s;
	if ((s = dx_header_get(&h, "reporting-mta")) != NULL) {
		const char *host = dx_typed_value(s);
		b->reporting_mta = dx_host(a, host, strlen(host));
	}
	if ((s = dx_header_get(&h, "arrival-date")) != NULL || (s = dx_header_get(&h, "received-date")) != NULL)
		b->arrival = dx_date_parse(s, strlen(s));

	const char *type = NULL;
	if ((s = dx_header_get(&h, "feedback-type")) != NULL) {
		size_t n = strlen(s);
		s = dx_trim(s, &n);
		if (n) {
			char *t = dx_arena_strndup(a, s, n);
			if (!t)
				return -1;
			dx_ascii_lower(t);
			type = t;
		}
	}
	int nomem = 0;
	const char *summary = report_summary(a, &h, &nomem);
	if (nomem)
		return -1;

	int got = add_from_fields(v, b, &h, "original-rcpt-to");
	if (got == 0 && !b->dropped_rcpts)
		got = add_from_fields(v, b, &h, "removal-recipient");
	if (got < 0)
		return -1;
	if (b->nrcpts == 0 && !b->dropped_rcpts) {
		/* The returned original's To (dx_original_header reads the
		 * message/rfc822 or text/rfc822-headers part). */
		dx_header orig;
		if (dx_original_header(v, b, &orig) < 0)
			return -1;
		const char *to = dx_header_get(&orig, "to");
		char *addr = to ? dx_addr_extract(a, to, strlen(to)) : NULL;
		if (!dx_bounce_add(b, a, addr ? addr : ""))
			return b->dropped_rcpts ? 0 : -1;
	}
	if (b->nrcpts == 0)
		return 0; /* max_recipients is 0 */
	for (unsigned i = 0; i < b->nrcpts; i++) {
		dx_rcpt *r = &b->rcpts[i];
		r->reason = "feedback";
		r->diagnostic = type;
		r->summary = summary;
	}
	b->decoder = "arf";
	return 1;
}
