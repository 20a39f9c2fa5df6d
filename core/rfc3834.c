/* rfc3834.c: automatic replies (out-of-office and vacation notices), as
 * RFC 3834 describes them and as mail clients and servers write them.
 *
 * Recognised from the top-level header: Auto-Submitted: auto-replied (not
 * auto-generated, which delivery reports and other machine mail carry),
 * X-Autoreply or X-Autorespond, Precedence: auto_reply, or a subject that
 * starts the way auto-replies do ("Automatic reply:", "Auto:", "Out of
 * Office", "Abwesenheitsnotiz:", "Réponse automatique :", "Автоответ:", "自動返信"...,
 * compared ignoring ASCII case, after RFC 2047 decoding); or, from a null
 * sender (Return-Path <>), a subject that acknowledges the message ("Thank
 * you for your e-mail", "Thanks for contacting us"): people thank with
 * those words too, but never with an empty envelope sender.
 *
 * Delivery reports carry Auto-Submitted: auto-replied too, so the decoder
 * steps aside (returns 0) for any message that is a multipart/report or
 * holds a delivery-status or feedback-report part, has X-Failed-Recipients,
 * has a bounce-like subject (dx_bounce_subject) or a mail system as sender
 * (dx_daemon_sender), for a mailing list's robot as sender (a post
 * held for moderation), and for a challenge-response service (its text
 * asks the sender to prove to be a person). Otherwise it gives one recipient, the address in
 * From (the person who is away), with the reason "vacation", the subject
 * (decoded, whitespace squeezed) as diagnostic, and no action, status or
 * reply code. The message replied to is described by the auto-reply's To
 * (its author), In-Reply-To (its Message-ID) and the subject after the
 * prefix. Returns 0 when there is no sign of an auto-reply or From
 * holds no address, -1 when the arena is exhausted.
 *
 * The signs themselves are tested by dx_autoreply_header() and
 * dx_autoreply_subject() in detect.c, which also uses them so that
 * auto-replies reach the decoders at all.
 */
#include <string.h>

#include "bounce.h"
#include "detect.h"
#include "dsnidx.h"
#include "rfc2047.h"
#include "text.h"

/* Whether the message is, or holds, a delivery or feedback report. */
static int is_report(const dx_view *v)
{
	if (dx_mime_is(v->root, "multipart", "report"))
		return 1;
	static const char *const parts[] = {"delivery-status", "global-delivery-status", "feedback-report"};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (dx_mime_find(v->root, "message", parts[i], 0))
			return 1;
	return dx_mime_find(v->root, "text", "delivery-status", 0) != NULL;
}

/* Whether the reply is a challenge-response service holding the message
 * until its sender proves to be a person ("held until you confirm that you
 * are a human"): no one is away, and the message is not refused either.
 * 1, 0, or -1 on memory. */
static int challenge_response(dx_view *v)
{
	static const char *const phrases[] = {
		"that you are a human", "that you are human", "that you are not a robot",
		"challenge-response", "challenge/response", "sender verification",
		"verify your message", "confirm your message", "held until you",
		"until you verify", "until you confirm",
	};
	dx_text t;
	int got = dx_view_plain(v, &t);
	if (got <= 0)
		return got;
	size_t n = t.n < 4096 ? t.n : 4096;
	for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
		if (dx_memcasemem(t.p, n, phrases[i]))
			return 1;
	return 0;
}

/* Whether an address is a mailing list's robot (its owner, request or
 * bounce address, or a list manager's own): its automatic replies (a post
 * held for moderation, a subscription to confirm) tell of no one away. */
static int list_robot(const char *addr)
{
	const char *at = strchr(addr, '@');
	size_t n = at ? (size_t)(at - addr) : strlen(addr);
	static const char *const suffixes[] = {"-owner", "-request", "-bounces", "-admin", "-confirm"};
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t k = strlen(suffixes[i]);
		if (n > k && dx_strncasecmp(addr + n - k, suffixes[i], k) == 0)
			return 1;
	}
	if (n > 6 && dx_strncasecmp(addr, "owner-", 6) == 0)
		return 1;
	static const char *const managers[] = {"listserv", "majordomo", "mailman", "sympa", "ezmlm", "lyris", "listproc"};
	for (size_t i = 0; i < sizeof managers / sizeof managers[0]; i++)
		if (n == strlen(managers[i]) && dx_strncasecmp(addr, managers[i], n) == 0)
			return 1;
	return 0;
}

/* Whether a subject starts by acknowledging a message, as automatic
 * acknowledgements do; s decoded, any case. */
static int ack_subject(const char *s)
{
	size_t n = strlen(s);
	s = dx_trim(s, &n);
	/* object: the words must go on with what was received ("Thank you
	 * for your e-mail", not "... for your help"); "contacting" says it
	 * alone ("... contacting us", "... contacting Example Ltd"). */
	static const struct {
		const char *start;
		int object;
	} starts[] = {
		{"thank you for your", 1}, {"thanks for your", 1}, {"we have received your", 1},
		{"thank you for contacting", 0}, {"thanks for contacting", 0},
	};
	static const char *const what[] = {"e-mail", "email", "mail", "message", "enquiry", "inquiry", "request"};
	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
		size_t k = strlen(starts[i].start);
		if (!dx_startswith_ci(s, n, starts[i].start))
			continue;
		if (!starts[i].object)
			return 1;
		while (k < n && dx_is_wsp(s[k]))
			k++;
		for (size_t j = 0; j < sizeof what / sizeof what[0]; j++)
			if (dx_startswith_ci(s + k, n - k, what[j]))
				return 1;
	}
	return 0;
}

int dx_decode_rfc3834(dx_view *v, dx_bounce *b)
{
	const dx_header *h = v->hdr;
	if (is_report(v) || dx_header_get(h, "x-failed-recipients"))
		return 0;
	const char *from = dx_header_get(h, "from");
	if (!from || dx_daemon_sender(from, strlen(from)))
		return 0;
	const char *raw = dx_header_get(h, "subject");
	const char *subject = NULL;
	if (raw) {
		subject = dx_rfc2047_decode(v->arena, v->mime->charsets, raw, strlen(raw));
		if (!subject)
			return -1;
		if (dx_bounce_subject(raw, strlen(raw)) || dx_bounce_subject(subject, strlen(subject)))
			return 0;
	}
	if (!dx_autoreply_header(h) && !(subject && dx_autoreply_subject(subject, strlen(subject))) &&
	    !(subject && ack_subject(subject) && dx_null_sender(h, &v->from_line)))
		return 0;

	char *addr = dx_addr_extract(v->arena, from, strlen(from));
	if (!addr || list_robot(addr))
		return 0;
	int cr = challenge_response(v);
	if (cr)
		return cr < 0 ? -1 : 0;
	dx_rcpt *r = dx_bounce_add(b, v->arena, addr);
	if (!r)
		return b->dropped_rcpts ? 0 : -1;
	r->reason = "vacation";
	if (subject) {
		char *d = dx_squeeze(v->arena, subject, strlen(subject));
		if (!d)
			return -1;
		r->diagnostic = d[0] ? d : NULL;
	}
	/* The message replied to: its author is the auto-reply's To, its
	 * Message-ID the In-Reply-To, its subject what follows the prefix. */
	const char *to = dx_header_get(h, "to");
	const char *irt = dx_header_get(h, "in-reply-to");
	const char *osubj = NULL;
	if (subject) {
		const char *colon = strchr(subject, ':');
		const char *fw = strstr(subject, "\xef\xbc\x9a"); /* full-width colon */
		if (fw && (!colon || fw < colon))
			osubj = fw + 3;
		else if (colon)
			osubj = colon + 1;
		while (osubj && *osubj == ' ')
			osubj++;
	}
	char buf[2048];
	int k = snprintf(buf, sizeof buf, "%s%.*s%s%s%.*s%s%s%.*s%s", to ? "From: " : "", to ? 600 : 0, to ? to : "",
			 to ? "\n" : "", osubj && *osubj ? "Subject: " : "", osubj && *osubj ? 600 : 0,
			 osubj ? osubj : "", osubj && *osubj ? "\n" : "", irt ? "Message-ID: " : "", irt ? 600 : 0,
			 irt ? irt : "", irt ? "\n" : "");
	if (k > 0 && (size_t)k < sizeof buf) {
		char *hdr = dx_arena_strndup(v->arena, buf, (size_t)k);
		if (!hdr)
			return -1;
		b->original_headers.p = hdr;
		b->original_headers.n = (size_t)k;
	}
	b->decoder = "rfc3834";
	return 1;
}
