/* listmgr.c: a mailing-list manager's notice that it refused a post
 * (Mailman's "Your message to LIST was rejected" to a non-member; fml's
 * "You are not a member of this mailing list <LIST>").
 *
 * Such a notice is no delivery report: it comes from the list's own
 * address, names no failed recipient and carries no status. It is read as
 * the list refusing the sender: one recipient, the list's address, with
 * the notice's text as the diagnostic (the rules make it rejected, in any
 * language they know, and failing that the decoder's rule does).
 *
 * Recognised by the list manager's own header fields together: an
 * administrative notice (X-List-Administrivia: yes, which Mailman puts on
 * its notices to posters and owners), the list's address (X-BeenThere, or
 * the mailto: of List-Post), and the refused post returned whole as a
 * message/rfc822 part. A notice without the post (a post held for the
 * moderator, a subscription or password notice) is not a refusal and is
 * left alone, and so is a bounce the list passes on to its owner with the
 * same fields (decoded as that bounce). Returns 0 when the message is not such a notice, -1 when the
 * arena is exhausted.
 */
#include <string.h>

#include "bounce.h"
#include "detect.h"
#include "dsnidx.h"
#include "text.h"

/* How much of the notice's text is kept as the diagnostic. */
enum { NOTICE_TEXT_MAX = 1024 };

/* The list's address: X-BeenThere, else List-Post's "<mailto:x>". */
static const char *list_address(dx_view *v)
{
	const char *s = dx_header_get(v->hdr, "x-beenthere");
	if (!s) {
		const char *post = dx_header_get(v->hdr, "list-post");
		const char *m = post ? dx_memcasemem(post, strlen(post), "mailto:") : NULL;
		if (!m)
			return NULL;
		s = m + 7;
	}
	return dx_addr_extract(v->arena, s, strlen(s));
}

/* fml (X-MLServer: fml ...) answers a post from a non-member with the
 * list's address in its first sentence, and no post attached: the line
 * that says so is the diagnostic, its address the recipient. */
static int decode_fml(dx_view *v, dx_bounce *b)
{
	static const char phrase[] = "not a member of this mailing list";
	dx_text t;
	int got = dx_view_plain(v, &t);
	if (got <= 0)
		return got;
	const char *hit = dx_memcasemem(t.p, t.n, phrase);
	if (!hit)
		return 0;
	size_t ls = (size_t)(hit - t.p), le = dx_line_end(t.p, t.n, ls);
	while (ls > 0 && t.p[ls - 1] != '\n')
		ls--;
	dx_arena *a = v->arena;
	const char *open = memchr(hit, '<', (size_t)(t.p + le - hit));
	const char *close = open ? memchr(open, '>', (size_t)(t.p + le - open)) : NULL;
	const char *list = close ? dx_addr_extract(a, open, (size_t)(close - open + 1)) : NULL;
	if (!list || !strchr(list, '@'))
		return 0;
	dx_rcpt *r = dx_bounce_add(b, a, list);
	if (!r)
		return b->dropped_rcpts ? 1 : -1;
	r->action = "failed";
	r->diagnostic = dx_squeeze(a, t.p + ls, le - ls);
	if (!r->diagnostic)
		return -1;
	if (dx_text_original_headers(v, b) < 0)
		return -1;
	b->decoder = "fml";
	return 1;
}

int dx_decode_listmgr(dx_view *v, dx_bounce *b)
{
	const char *mls = dx_header_get(v->hdr, "x-mlserver");
	if (mls && dx_startswith_ci(mls, strlen(mls), "fml"))
		return decode_fml(v, b);
	const char *adm = dx_header_get(v->hdr, "x-list-administrivia");
	size_t an = adm ? strlen(adm) : 0;
	adm = adm ? dx_trim(adm, &an) : NULL;
	if (!adm || !dx_startswith_ci(adm, an, "yes"))
		return 0;
	/* The post returned; not a bounce the list got and passes on to its
	 * owner ("Uncaught bounce notification"), which is decoded as the
	 * bounce it carries (decode.c). */
	dx_mime_part *m = dx_mime_find(v->root, "message", "rfc822", 0);
	const dx_mime_part *post = m ? m->child : NULL;
	if (!post || dx_detect(&post->hdr, NULL, dx_header_get(&post->hdr, "subject"),
			       dx_header_get(&post->hdr, "from")) == DX_DETECT_STRONG)
		return 0;
	dx_arena *a = v->arena;
	const char *list = list_address(v);
	if (!list || !*list)
		return 0;
	dx_text t;
	int got = dx_view_plain(v, &t);
	if (got < 0)
		return -1;
	dx_rcpt *r = dx_bounce_add(b, a, list);
	if (!r)
		return b->dropped_rcpts ? 1 : -1;
	r->action = "failed";
	if (got > 0 && t.n) {
		const char *d = dx_squeeze(a, t.p, t.n < NOTICE_TEXT_MAX ? t.n : NOTICE_TEXT_MAX);
		if (!d)
			return -1;
		r->diagnostic = *d ? d : NULL;
	}
	const char *from = dx_header_get(v->hdr, "from");
	const char *sender = from ? dx_addr_extract(a, from, strlen(from)) : NULL;
	const char *at = sender ? strchr(sender, '@') : NULL;
	if (at && at[1])
		b->reporting_mta = at + 1;
	b->decoder = "mailman";
	return 1;
}
