/* dsn_amazonses.c: Amazon SES bounce, complaint and delivery notifications
 * delivered by e-mail through Amazon SNS ("AWS Notification Message" from
 * an sns.amazonaws.com address).
 *
 * The body (the first text/plain part, or the whole body of a single-part
 * message of another type) is one JSON object, possibly after blank lines
 * and followed by SNS's "--" unsubscribe footer. It is either the
 * notification itself or an SNS envelope whose "Message" member is the
 * notification as a JSON string, which is parsed again. The notification
 * is recognised by "notificationType" (or "eventType", for event
 * publishing) of "Bounce", "Complaint" or "Delivery":
 *   Bounce     one recipient per bounce.bouncedRecipients[]: emailAddress,
 *              action, status, diagnosticCode (without its "smtp; "), the
 *              reply code in it; bounceType Transient means "delayed" when
 *              no action is given; bounce.remoteMtaIp is the remote server,
 *              bounce.reportingMTA the reporting one.
 *   Complaint  one recipient per complaint.complainedRecipients[], reason
 *              "feedback", complaintFeedbackType as diagnostic.
 *   Delivery   one recipient per delivery.recipients[], action
 *              "delivered", the reply code, status (2.6.0 when it gives
 *              none) and text of delivery.smtpResponse.
 * The returned original is described by mail.commonHeaders (from[0],
 * subject, messageId; else mail.headers[], else mail.source): a small
 * header block is made from it for decode.c to read. Times (the event's
 * timestamp, else mail.timestamp) go to last_attempt.
 *
 * Long lines that a relay split with "!" + newline + space (sendmail does
 * this past its line limit) are joined again when the JSON does not parse
 * as it is. Returns 0 when the body is not such a JSON notification
 * (malformed, too deep, too large, another type) or names no recipient,
 * -1 when the arena is exhausted.
 */
#include <string.h>

#include "bounce.h"
#include "dsnidx.h"
#include "json.h"
#include "text.h"

/* The text that should hold the JSON. Returns 1, 0 when there is none, -1
 * on memory exhaustion. */
static int notification_text(dx_view *v, dx_text *out)
{
	int got = dx_view_plain(v, out);
	if (got != 0)
		return got;
	if (!v->root || v->root->child)
		return 0; /* a multipart without text/plain */
	return dx_mime_body(v->mime, v->root, out) < 0 ? -1 : 1;
}

/* A copy of p[0..n) with every "!\n" (and one space after it) removed:
 * the marks of a line split by a relay. */
static char *join_split_lines(dx_arena *a, const char *p, size_t n, size_t *out_n)
{
	char *o = dx_arena_alloc(a, n + 1);
	if (!o)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		if (p[i] == '!' && i + 1 < n && p[i + 1] == '\n') {
			i += 2;
			if (i < n && p[i] == ' ')
				i++;
			continue;
		}
		o[k++] = p[i++];
	}
	o[k] = '\0';
	*out_n = k;
	return o;
}

/* Parses the JSON object at the start of t (after whitespace). Returns 1
 * with *out set, 0 when it is not JSON, -1 on memory exhaustion. */
static int parse_body(dx_arena *a, const char *p, size_t n, const dx_json **out)
{
	size_t i = 0;
	while (i < n && dx_is_space(p[i]))
		i++;
	if (i >= n || p[i] != '{')
		return 0;
	dx_json_error err;
	dx_json *j = dx_json_parse_prefix(a, p + i, n - i, NULL, &err);
	if (!j && err.code == DX_JSON_ENOMEM)
		return -1;
	if (!j && err.code == DX_JSON_ESYNTAX && memchr(p + i, '!', n - i)) {
		size_t jn;
		char *joined = join_split_lines(a, p + i, n - i, &jn);
		if (!joined)
			return -1;
		j = dx_json_parse_prefix(a, joined, jn, NULL, &err);
		if (!j && err.code == DX_JSON_ENOMEM)
			return -1;
	}
	if (!j || j->type != DX_JSON_OBJECT)
		return 0;
	*out = j;
	return 1;
}

static int same_word(const char *s, const char *word)
{
	return s && strlen(s) == strlen(word) && dx_startswith_ci(s, strlen(s), word);
}

static const char *event_type(const dx_json *j)
{
	const char *t = dx_json_get_str(j, "notificationType");
	return t ? t : dx_json_get_str(j, "eventType");
}

/* "smtp; 550 5.1.1 ..." -> "550 5.1.1 ...", whitespace squeezed; NULL when
 * empty. Sets *nomem when the arena is exhausted. */
static const char *diagnostic_text(dx_arena *a, const char *s, int *nomem)
{
	if (!s)
		return NULL;
	const char *semi = strchr(s, ';');
	if (semi && (size_t)(semi - s) < 16 && !memchr(s, ' ', (size_t)(semi - s)))
		s = semi + 1;
	char *d = dx_squeeze(a, s, strlen(s));
	if (!d) {
		*nomem = 1;
		return NULL;
	}
	return d[0] ? d : NULL;
}

static const char *host_of(dx_arena *a, const char *s)
{
	if (!s)
		return NULL;
	const char *h = dx_typed_value(s);
	return dx_host(a, h, strlen(h));
}

static int64_t time_of(const dx_json *obj, const char *key)
{
	const char *s = dx_json_get_str(obj, key);
	return s ? dx_date_parse(s, strlen(s)) : DX_NO_TIME;
}

/* Adds the recipient named by s, or returns NULL: *nomem tells memory
 * exhaustion from an unusable address or the recipient limit. */
static dx_rcpt *add_rcpt(dx_view *v, dx_bounce *b, const char *s, int *nomem)
{
	if (!s)
		return NULL;
	char *addr = dx_addr_extract(v->arena, s, strlen(s));
	if (!addr)
		return NULL;
	dx_rcpt *r = dx_bounce_add(b, v->arena, addr);
	if (!r && !b->dropped_rcpts)
		*nomem = 1;
	return r;
}

static const char *lower_token(dx_arena *a, const char *s, int *nomem)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	s = dx_trim(s, &n);
	if (!n)
		return NULL;
	char *t = dx_arena_strndup(a, s, n);
	if (!t) {
		*nomem = 1;
		return NULL;
	}
	dx_ascii_lower(t);
	return t;
}

static int read_bounce(dx_view *v, dx_bounce *b, const dx_json *ev, int64_t when)
{
	dx_arena *a = v->arena;
	int nomem = 0;
	int transient = same_word(dx_json_get_str(ev, "bounceType"), "transient");
	const char *remote = host_of(a, dx_json_get_str(ev, "remoteMtaIp"));
	const dx_json *list = dx_json_get(ev, "bouncedRecipients");
	for (size_t i = 0; i < dx_json_len(list) && !nomem; i++) {
		const dx_json *e = dx_json_at(list, i);
		/* An entry may be an object or just the address. */
		const char *addr = e->type == DX_JSON_STRING ? e->str : dx_json_get_str(e, "emailAddress");
		dx_rcpt *r = add_rcpt(v, b, addr, &nomem);
		if (!r)
			continue;
		r->action = lower_token(a, dx_json_get_str(e, "action"), &nomem);
		if (!r->action && transient)
			r->action = "delayed";
		const char *st = dx_json_get_str(e, "status");
		if (st)
			r->status = dx_find_status(a, st, strlen(st));
		r->diagnostic = diagnostic_text(a, dx_json_get_str(e, "diagnosticCode"), &nomem);
		if (r->diagnostic) {
			size_t dn = strlen(r->diagnostic);
			r->reply_code = dx_find_reply_code(r->diagnostic, dn);
			r->status = dx_better_status(r->status, dx_find_status(a, r->diagnostic, dn));
		}
		const char *rm = host_of(a, dx_json_get_str(e, "remoteMtaIp"));
		r->remote_mta = rm ? rm : remote;
		r->remote_by = "the notification";
		r->last_attempt = when;
	}
	return nomem ? -1 : 0;
}

static int read_complaint(dx_view *v, dx_bounce *b, const dx_json *ev, int64_t when)
{
	int nomem = 0;
	const char *type = dx_json_get_str(ev, "complaintFeedbackType");
	const dx_json *list = dx_json_get(ev, "complainedRecipients");
	for (size_t i = 0; i < dx_json_len(list) && !nomem; i++) {
		const dx_json *e = dx_json_at(list, i);
		const char *addr = e->type == DX_JSON_STRING ? e->str : dx_json_get_str(e, "emailAddress");
		dx_rcpt *r = add_rcpt(v, b, addr, &nomem);
		if (!r)
			continue;
		r->reason = "feedback";
		r->diagnostic = type && type[0] ? type : NULL;
		r->last_attempt = when;
	}
	return nomem ? -1 : 0;
}

/* The reply code a response starts with ("250 Ok", "250-2.0.0 ..."), else
 * the one dx_find_reply_code finds in it, or 0. */
static int response_code(const char *s)
{
	if (s[0] >= '2' && s[0] <= '5' && s[1] >= '0' && s[1] <= '5' && s[2] >= '0' && s[2] <= '9' &&
	    (s[3] == '\0' || s[3] == ' ' || s[3] == '-'))
		return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	return dx_find_reply_code(s, strlen(s));
}

static int read_delivery(dx_view *v, dx_bounce *b, const dx_json *ev, int64_t when)
{
	dx_arena *a = v->arena;
	int nomem = 0;
	const char *diag = diagnostic_text(a, dx_json_get_str(ev, "smtpResponse"), &nomem);
	int code = diag ? response_code(diag) : 0;
	const char *status = diag ? dx_find_status(a, diag, strlen(diag)) : NULL;
	const char *remote = host_of(a, dx_json_get_str(ev, "remoteMtaIp"));
	const dx_json *list = dx_json_get(ev, "recipients");
	for (size_t i = 0; i < dx_json_len(list) && !nomem; i++) {
		const dx_json *e = dx_json_at(list, i);
		const char *addr = e->type == DX_JSON_STRING ? e->str : dx_json_get_str(e, "emailAddress");
		dx_rcpt *r = add_rcpt(v, b, addr, &nomem);
		if (!r)
			continue;
		r->action = "delivered";
		r->status = status ? status : "2.6.0";
		r->reply_code = code;
		r->diagnostic = diag;
		r->remote_mta = remote;
		r->remote_by = "the notification";
		r->last_attempt = when;
	}
	return nomem ? -1 : 0;
}

/* The value of the header `name` in mail.headers[] ({"name", "value"}). */
static const char *listed_header(const dx_json *mail, const char *name)
{
	const dx_json *list = dx_json_get(mail, "headers");
	for (size_t i = 0; i < dx_json_len(list); i++) {
		const dx_json *e = dx_json_at(list, i);
		const char *n = dx_json_get_str(e, "name");
		if (same_word(n, name))
			return dx_json_get_str(e, "value");
	}
	return NULL;
}

/* Appends "Name: value\n" with control characters made spaces, so that a
 * value cannot end the header block or add a field. */
static size_t put_field(char *o, const char *name, const char *value, int angles)
{
	size_t k = 0;
	size_t nn = strlen(name);
	memcpy(o, name, nn);
	k += nn;
	o[k++] = ':';
	o[k++] = ' ';
	size_t vn = strlen(value);
	value = dx_trim(value, &vn);
	int wrap = angles && !(vn && value[0] == '<');
	if (wrap)
		o[k++] = '<';
	for (size_t i = 0; i < vn; i++) {
		unsigned char c = (unsigned char)value[i];
		o[k++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	if (wrap)
		o[k++] = '>';
	o[k++] = '\n';
	return k;
}

/* Makes b->original_headers from the notification's description of the
 * original. Returns -1 on memory exhaustion. */
static int original_headers(dx_view *v, dx_bounce *b, const dx_json *mail)
{
	const dx_json *ch = dx_json_get(mail, "commonHeaders");
	const dx_json *f = dx_json_get(ch, "from");
	const char *from = f && f->type == DX_JSON_ARRAY ? dx_json_str(dx_json_at(f, 0)) : dx_json_str(f);
	if (!from)
		from = listed_header(mail, "from");
	if (!from)
		from = dx_json_get_str(mail, "source");
	const char *subject = dx_json_get_str(ch, "subject");
	if (!subject)
		subject = listed_header(mail, "subject");
	const char *mid = dx_json_get_str(ch, "messageId");
	if (!mid)
		mid = listed_header(mail, "message-id");
	size_t len = 1;
	if (from)
		len += strlen(from) + 8;
	if (subject)
		len += strlen(subject) + 11;
	if (mid)
		len += strlen(mid) + 16;
	if (len == 1)
		return 0;
	char *o = dx_arena_alloc(v->arena, len);
	if (!o)
		return -1;
	size_t k = 0;
	if (from)
		k += put_field(o + k, "From", from, 0);
	if (subject)
		k += put_field(o + k, "Subject", subject, 0);
	if (mid)
		k += put_field(o + k, "Message-ID", mid, 1);
	o[k] = '\0';
	b->original_headers.p = o;
	b->original_headers.n = k;
	return 0;
}

int dx_decode_amazonses(dx_view *v, dx_bounce *b)
{
	dx_text t;
	int got = notification_text(v, &t);
	if (got <= 0)
		return got;
	/* Cheap tests before parsing anything: a notification is a JSON
	 * object (its first byte decides for most mail, whose text is not
	 * searched at all), which names its type. */
	size_t lead = 0;
	while (lead < t.n && dx_is_space(t.p[lead]))
		lead++;
	if (lead == t.n || t.p[lead] != '{')
		return 0;
	if (!dx_memcasemem(t.p, t.n, "notificationtype") && !dx_memcasemem(t.p, t.n, "eventtype"))
		return 0;
	const dx_json *j;
	if ((got = parse_body(v->arena, t.p, t.n, &j)) <= 0)
		return got;
	/* An SNS envelope holds the notification as a string. */
	const char *inner = dx_json_get_str(j, "Message");
	if (!event_type(j) && inner) {
		size_t n = dx_json_get(j, "Message")->len;
		if ((got = parse_body(v->arena, inner, n, &j)) <= 0)
			return got;
	}

	const char *type = event_type(j);
	const char *member;
	int (*reader)(dx_view *, dx_bounce *, const dx_json *, int64_t);
	if (same_word(type, "bounce")) {
		member = "bounce";
		reader = read_bounce;
	} else if (same_word(type, "complaint")) {
		member = "complaint";
		reader = read_complaint;
	} else if (same_word(type, "delivery")) {
		member = "delivery";
		reader = read_delivery;
	} else
		return 0;
	const dx_json *ev = dx_json_get(j, member);
	const dx_json *mail = dx_json_get(j, "mail");
	int64_t sent = time_of(mail, "timestamp");
	int64_t when = time_of(ev, "timestamp");
	if (when == DX_NO_TIME)
		when = sent;
	if (reader(v, b, ev, when) < 0)
		return -1;
	if (b->nrcpts == 0)
		return 0;
	const char *rmta = dx_json_get_str(ev, "reportingMTA");
	if (rmta)
		b->reporting_mta = host_of(v->arena, rmta);
	b->arrival = sent;
	if (original_headers(v, b, mail) < 0)
		return -1;
	b->decoder = "amazonses";
	return 1;
}
