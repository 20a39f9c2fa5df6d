/* maillog.c: lines of mail server logs; see maillog.h.
 *
 * A line is read left to right once: the timestamp (classic syslog, RFC
 * 5424, ISO 8601, or Exim's own), the syslog host and program, then the
 * message in the words of the program that wrote it. Every field is a span
 * of the line; a value this code does not recognise leaves its field empty
 * and the line, at worst, DX_LOGL_OTHER.
 */
#include "maillog.h"

#include <stdint.h>
#include <string.h>

#include "text.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* k decimal digits at p[*i]: their value, or -1 (nothing consumed). */
static int digits(const char *p, size_t n, size_t *i, size_t k)
{
	if (n - *i < k)
		return -1;
	int v = 0;
	for (size_t j = 0; j < k; j++) {
		if (!is_digit(p[*i + j]))
			return -1;
		v = v * 10 + (p[*i + j] - '0');
	}
	*i += k;
	return v;
}

/* The eight bytes at p as a little-endian word (one load where the
 * compiler sees it is one). */
static inline uint64_t load_le64(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint64_t)u[0] | (uint64_t)u[1] << 8 | (uint64_t)u[2] << 16 | (uint64_t)u[3] << 24 |
	       (uint64_t)u[4] << 32 | (uint64_t)u[5] << 40 | (uint64_t)u[6] << 48 | (uint64_t)u[7] << 56;
}

static int expect(const char *p, size_t n, size_t *i, char c)
{
	if (*i < n && p[*i] == c) {
		(*i)++;
		return 1;
	}
	return 0;
}

/* The month of an English abbreviation, any case: 1..12, or 0. The three
 * letters are folded into one number and compared with the twelve, which
 * costs less than a search of the names (every log line has one). */
static int month_of(const char *p)
{
	static const uint32_t names[12] = {
		'j' << 16 | 'a' << 8 | 'n', 'f' << 16 | 'e' << 8 | 'b', 'm' << 16 | 'a' << 8 | 'r',
		'a' << 16 | 'p' << 8 | 'r', 'm' << 16 | 'a' << 8 | 'y', 'j' << 16 | 'u' << 8 | 'n',
		'j' << 16 | 'u' << 8 | 'l', 'a' << 16 | 'u' << 8 | 'g', 's' << 16 | 'e' << 8 | 'p',
		'o' << 16 | 'c' << 8 | 't', 'n' << 16 | 'o' << 8 | 'v', 'd' << 16 | 'e' << 8 | 'c',
	};
	uint32_t m = (uint32_t)(unsigned char)dx_lower(p[0]) << 16 | (uint32_t)(unsigned char)dx_lower(p[1]) << 8 |
		     (uint32_t)(unsigned char)dx_lower(p[2]);
	for (int k = 0; k < 12; k++)
		if (names[k] == m)
			return k + 1;
	return 0;
}

static int valid_time(const dx_logline *l)
{
	return l->mon >= 1 && l->mon <= 12 && l->mday >= 1 && l->mday <= 31 && l->hour <= 23 && l->min <= 59 &&
	       l->sec <= 60;
}

/* "hh:mm:ss" */
static int clock_time(const char *p, size_t n, size_t *i, dx_logline *l)
{
	size_t j = *i;
	if (n - j >= 8) {
		/* As one word: the colons in place, the six digits 0x30..0x39
		 * (their high nibbles 3, and still 3 with 6 added). */
		const uint64_t digits_hi = 0xF0F000F0F000F0F0ull, want = 0x3030003030003030ull;
		uint64_t w = load_le64(p + j);
		if ((w & 0x0000FF0000FF0000ull) != 0x00003A00003A0000ull || (w & digits_hi) != want ||
		    ((w + 0x0606000606000606ull) & digits_hi) != want)
			return 0;
		l->hour = (int)(w & 15) * 10 + (int)(w >> 8 & 15);
		l->min = (int)(w >> 24 & 15) * 10 + (int)(w >> 32 & 15);
		l->sec = (int)(w >> 48 & 15) * 10 + (int)(w >> 56 & 15);
		*i = j + 8;
		return 1;
	}
	int h = digits(p, n, &j, 2), m, s;
	if (h < 0 || !expect(p, n, &j, ':') || (m = digits(p, n, &j, 2)) < 0 || !expect(p, n, &j, ':') ||
	    (s = digits(p, n, &j, 2)) < 0)
		return 0;
	l->hour = h;
	l->min = m;
	l->sec = s;
	*i = j;
	return 1;
}

/* "Nov 27 10:00:01" or "Nov  7 10:00:01". */
static int classic_time(const char *p, size_t n, size_t *i, dx_logline *l)
{
	size_t j = *i;
	if (n - j < 15 || !(l->mon = month_of(p + j)) || p[j + 3] != ' ')
		return 0;
	j += 4;
	if (p[j] == ' ')
		j++;
	int d = is_digit(p[j]) && is_digit(p[j + 1]) ? digits(p, n, &j, 2) : digits(p, n, &j, 1);
	if (d < 0 || !expect(p, n, &j, ' ') || !clock_time(p, n, &j, l))
		return 0;
	l->mday = d;
	l->year = 0;
	*i = j;
	return valid_time(l);
}

/* "2026-11-27" then sep then "10:00:01", a fraction, and a zone: "Z",
 * "+01:00", or (Exim) " +0100". */
static int iso_time(const char *p, size_t n, size_t *i, dx_logline *l, char sep)
{
	size_t j = *i;
	int y = digits(p, n, &j, 4), mo, d;
	if (y < 0 || !expect(p, n, &j, '-') || (mo = digits(p, n, &j, 2)) < 0 || !expect(p, n, &j, '-') ||
	    (d = digits(p, n, &j, 2)) < 0 || !expect(p, n, &j, sep) || !clock_time(p, n, &j, l))
		return 0;
	l->year = y;
	l->mon = mo;
	l->mday = d;
	if (j < n && p[j] == '.') {
		j++;
		while (j < n && is_digit(p[j]))
			j++;
	}
	l->zone_known = 0;
	size_t z = j;
	if (sep == ' ' && z + 1 < n && p[z] == ' ' && (p[z + 1] == '+' || p[z + 1] == '-'))
		z++; /* Exim's log_timezone: " +0100" */
	if (z < n && p[z] == 'Z') {
		l->zone_known = 1;
		l->zone = 0;
		j = z + 1;
	} else if (z < n && (p[z] == '+' || p[z] == '-')) {
		size_t k = z + 1;
		int zh = digits(p, n, &k, 2), zm;
		if (zh >= 0) {
			expect(p, n, &k, ':');
			if ((zm = digits(p, n, &k, 2)) >= 0 && zh <= 14 && zm <= 59) {
				l->zone_known = 1;
				l->zone = (p[z] == '-' ? -1 : 1) * (zh * 60 + zm);
				j = k;
			}
		}
	}
	*i = j;
	return valid_time(l);
}

/* A token up to the next space: its span, and *i after the space. */
static int token(const char *p, size_t n, size_t *i, dx_logspan *t)
{
	size_t j = *i < n ? dx_find3(p, *i, n, ' ', ' ', ' ') : n;
	if (j == *i || j == n)
		return 0;
	t->p = p + *i;
	t->n = j - *i;
	*i = j + 1;
	return 1;
}


/* After a syslog timestamp: "host program[pid]: " (the pid optional). */
static int host_program(const char *p, size_t n, size_t *i, dx_logline *l)
{
	size_t j = *i;
	if (!token(p, n, &j, &l->host))
		return 0;
	size_t s = j;
	j = dx_find3(p, j, n, '[', ':', ' ');
	if (j == s || j == n)
		return 0;
	l->program.p = p + s;
	l->program.n = j - s;
	if (p[j] == '[') {
		j = dx_find3(p, j, n, ']', ']', ']');
		if (j == n)
			return 0;
		j++;
	}
	if (!expect(p, n, &j, ':'))
		return 0;
	expect(p, n, &j, ' ');
	*i = j;
	return 1;
}

/* RFC 5424: "<pri>1 TIMESTAMP HOST APP PROCID MSGID SD MSG". */
static int rfc5424(const char *p, size_t n, size_t *i, dx_logline *l)
{
	size_t j = *i;
	if (!expect(p, n, &j, '<'))
		return 0;
	while (j < n && is_digit(p[j]))
		j++;
	if (!expect(p, n, &j, '>') || !expect(p, n, &j, '1') || !expect(p, n, &j, ' '))
		return 0;
	if (!iso_time(p, n, &j, l, 'T') || !expect(p, n, &j, ' '))
		return 0;
	dx_logspan procid, msgid;
	if (!token(p, n, &j, &l->host) || !token(p, n, &j, &l->program) || !token(p, n, &j, &procid) ||
	    !token(p, n, &j, &msgid))
		return 0;
	if (j < n && p[j] == '-') {
		j++;
	} else {
		/* Structured data: [id k="v" ...], any number, with \] escaped. */
		while (j < n && p[j] == '[') {
			j++;
			while (j < n && p[j] != ']') {
				if (p[j] == '\\' && j + 1 < n)
					j++;
				j++;
			}
			if (j == n)
				return 0;
			j++;
		}
	}
	expect(p, n, &j, ' ');
	/* An optional UTF-8 byte order mark before the message. */
	if (n - j >= 3 && memcmp(p + j, "\xef\xbb\xbf", 3) == 0)
		j += 3;
	if (l->program.n == 1 && l->program.p[0] == '-')
		l->program.n = 0;
	*i = j;
	return 1;
}

static int span_has(dx_logspan s, const char *needle)
{
	return dx_memmem(s.p, s.n, needle, strlen(needle)) != NULL;
}

static dx_log_family family_of(dx_logspan prog)
{
	if ((prog.n >= 7 && memcmp(prog.p, "postfix", 7) == 0) || span_has(prog, "postfix"))
		return DX_LOGF_POSTFIX;
	if (span_has(prog, "exim"))
		return DX_LOGF_EXIM;
	if (span_has(prog, "sendmail") || span_has(prog, "sm-mta") || span_has(prog, "sm-msp"))
		return DX_LOGF_SENDMAIL;
	return DX_LOGF_NONE;
}

/* Where a ", "-separated value that starts at p[from] ends: at the next
 * ", " or the end. */
static size_t value_end(const char *p, size_t n, size_t from)
{
	while (from < n) {
		const char *c = memchr(p + from, ',', n - from);
		if (!c)
			return n;
		size_t at = (size_t)(c - p);
		if (at + 1 < n && p[at + 1] == ' ')
			return at;
		from = at + 1;
	}
	return n;
}

static int bracketed(const char *p, size_t n, size_t *i, dx_logspan *out)
{
	size_t j = *i;
	if (!expect(p, n, &j, '<'))
		return 0;
	size_t s = j;
	for (;;) {
		const char *gt = j < n ? memchr(p + j, '>', n - j) : NULL;
		if (!gt)
			return 0;
		j = (size_t)(gt - p);
		if (j + 1 == n || p[j + 1] == ',')
			break;
		j++;
	}
	out->p = p + s;
	out->n = j - s;
	*i = j + 1;
	return 1;
}


/* A queue id: letters and digits, then ": ". */
static int queue_id(const char *p, size_t n, size_t *i, dx_logspan *q)
{
	size_t j = *i;
	j = dx_alnum_end(p, j, n);
	if (j == *i || j - *i > 64 || j + 1 >= n || p[j] != ':' || p[j + 1] != ' ')
		return 0;
	q->p = p + *i;
	q->n = j - *i;
	*i = j + 2;
	return 1;
}

static int starts(const char *p, size_t n, size_t i, const char *s)
{
	size_t k = strlen(s);
	return n - i >= k && memcmp(p + i, s, k) == 0;
}

/* ---- Postfix ---------------------------------------------------------------------- */

/* Whether the program is a Postfix daemon that logs no delivery and no
 * envelope (the SMTP server's connections and rejections, postscreen,
 * anvil...): most lines of a busy log, left at once. */
static int postfix_silent(dx_logspan prog)
{
	/* The daemon's name: after the last '/' ("postfix/smtpd",
	 * "postfix-out/smtpd"). */
	size_t k = prog.n;
	while (k && prog.p[k - 1] != '/')
		k--;
	const char *d = prog.p + k;
	size_t dn = prog.n - k;
	switch (dn) {
	case 5:
		return memcmp(d, "smtpd", 5) == 0 || memcmp(d, "anvil", 5) == 0;
	case 6:
		return memcmp(d, "tlsmgr", 6) == 0 || memcmp(d, "scache", 6) == 0 || memcmp(d, "verify", 6) == 0 ||
		       memcmp(d, "master", 6) == 0 || memcmp(d, "pickup", 6) == 0;
	case 7:
		return memcmp(d, "dnsblog", 7) == 0;
	case 8:
		return memcmp(d, "tlsproxy", 8) == 0;
	case 10:
		return memcmp(d, "postscreen", 10) == 0;
	default:
		return 0;
	}
}

static void postfix(const char *p, size_t n, size_t i, dx_logline *l)
{
	if (postfix_silent(l->program) || !queue_id(p, n, &i, &l->queue_id))
		return;
	if (starts(p, n, i, "to=")) {
		size_t j = i + 3;
		if (!bracketed(p, n, &j, &l->rcpts))
			return;
		/* One pass over ", key=value" after the address: the keys
		 * Postfix writes, each value up to the next ", ". The status is
		 * the last, and its text may hold ", " itself: it runs to the end. */
		dx_logspan orig = {NULL, 0}, st = {NULL, 0};
		size_t k = j;
		while (k + 2 < n && !st.n) {
			const char *c = memchr(p + k, ',', n - k);
			if (!c)
				break;
			k = (size_t)(c - p) + 1;
			if (k >= n || p[k] != ' ')
				continue;
			if (++k >= n)
				break; /* ", " ends the line */
			dx_logspan *dst = NULL;
			size_t klen = 0;
			switch (p[k]) {
			case 'o':
				if (starts(p, n, k, "orig_to="))
					dst = &orig, klen = 8;
				break;
			case 'r':
				if (starts(p, n, k, "relay="))
					dst = &l->relay, klen = 6;
				break;
			case 'd':
				if (starts(p, n, k, "dsn="))
					dst = &l->dsn, klen = 4;
				break;
			case 's':
				if (starts(p, n, k, "status="))
					dst = &st, klen = 7;
				break;
			}
			if (!dst || dst->p)
				continue;
			/* Up to the next ", "; the status to the end of the line. */
			size_t vs = k + klen, ve = n;
			if (dst != &st)
				ve = value_end(p, n, vs);
			dst->p = p + vs;
			dst->n = ve - vs;
			k = ve;
		}
		if (orig.n >= 2 && orig.p[0] == '<' && orig.p[orig.n - 1] == '>') {
			l->orig_rcpt.p = orig.p + 1;
			l->orig_rcpt.n = orig.n - 2;
		}
		if (!st.n)
			return;
		/* "status=bounced (text)": the word, then the text in parentheses
		 * to the end of the line. */
		size_t w = 0;
		while (w < st.n && st.p[w] != ' ')
			w++;
		const char *rest = st.p + w;
		size_t rn = (size_t)(p + n - rest);
		if (rn >= 2 && rest[0] == ' ' && rest[1] == '(') {
			size_t tn = rn - 2;
			if (tn && rest[2 + tn - 1] == ')')
				tn--;
			l->text.p = rest + 2;
			l->text.n = tn;
		}
		if (w == 4 && memcmp(st.p, "sent", 4) == 0)
			l->outcome = DX_LOGO_SENT;
		else if (w == 8 && memcmp(st.p, "deferred", 8) == 0)
			l->outcome = DX_LOGO_DEFERRED;
		else if ((w == 7 && memcmp(st.p, "bounced", 7) == 0) || (w == 7 && memcmp(st.p, "expired", 7) == 0))
			l->outcome = DX_LOGO_BOUNCED;
		else
			return; /* deliverable/undeliverable: address probes, not deliveries */
		l->kind = DX_LOGL_DELIVERY;
		return;
	}
	if (starts(p, n, i, "from=")) {
		size_t j = i + 5;
		if (!bracketed(p, n, &j, &l->sender))
			return;
		/* One pass over the ", key=value" list (a search of the line
		 * for each key cost twice as much): the status, if any, comes
		 * first; nrcpt= says the queue manager took the message. */
		dx_logspan st = {NULL, 0};
		int nrcpt = -1; /* the first nrcpt= has a value: 1 */
		for (size_t k = j; k + 2 < n && !st.p;) {
			const char *c = memchr(p + k, ',', n - k);
			if (!c)
				break;
			k = (size_t)(c - p) + 1;
			if (k + 1 >= n || p[k] != ' ')
				continue;
			k++;
			if (starts(p, n, k, "status=")) {
				st.p = p + k + 7;
				st.n = value_end(p, n, k + 7) - (k + 7);
			} else if (nrcpt < 0 && starts(p, n, k, "nrcpt=")) {
				nrcpt = value_end(p, n, k + 6) > k + 6;
			}
		}
		if (st.n >= 7 && memcmp(st.p, "expired", 7) == 0)
			l->kind = DX_LOGL_EXPIRED;
		else if (nrcpt > 0)
			l->kind = DX_LOGL_SENDER;
		return;
	}
	if (n - i == 7 && memcmp(p + i, "removed", 7) == 0) {
		l->kind = DX_LOGL_REMOVED;
		return;
	}
	if (starts(p, n, i, "message-id=")) {
		l->message_id.p = p + i + 11;
		l->message_id.n = n - i - 11;
		while (l->message_id.n && dx_is_space(l->message_id.p[l->message_id.n - 1]))
			l->message_id.n--;
		l->kind = DX_LOGL_MESSAGE_ID;
	}
}

/* ---- Exim --------------------------------------------------------------------------- */

/* An Exim message id: "1tGxyz-000ABC-12" (6-6-2) or, from 4.97 on,
 * "1tGxyz-00000000ABC-1234" (6-11-4). */
static int exim_id(const char *p, size_t n, size_t *i, dx_logspan *q)
{
	size_t j = *i, parts[3], k = 0;
	while (k < 3) {
		size_t s = j;
		j = dx_alnum_end(p, j, n);
		parts[k++] = j - s;
		if (k < 3 && !expect(p, n, &j, '-'))
			return 0;
	}
	if (parts[0] != 6 || !((parts[1] == 6 && parts[2] == 2) || (parts[1] == 11 && parts[2] == 4)))
		return 0;
	if (j >= n || p[j] != ' ')
		return 0;
	q->p = p + *i;
	q->n = j - *i;
	*i = j + 1;
	return 1;
}

/* The value of "KEY=" among Exim's tokens in p[from..to): up to a space,
 * or a quoted string; for H=, with the " [address]" after it. */
static dx_logspan exim_token(const char *p, size_t to, size_t from, const char *key)
{
	dx_logspan v = {NULL, 0};
	size_t k = strlen(key);
	for (size_t j = from; j + k <= to; j++) {
		if (p[j] == '"') { /* skip a quoted value: it may hold anything */
			j++;
			while (j < to && p[j] != '"')
				j++;
			continue;
		}
		if ((j == from || p[j - 1] == ' ') && memcmp(p + j, key, k) == 0) {
			size_t s = j + k, e = s;
			if (e < to && p[e] == '"') {
				e++;
				while (e < to && p[e] != '"')
					e++;
				if (e < to)
					e++;
			} else {
				while (e < to && p[e] != ' ')
					e++;
			}
			v.p = p + s;
			v.n = e - s;
			return v;
		}
	}
	return v;
}

static void exim(const char *p, size_t n, size_t i, dx_logline *l)
{
	/* Through syslog Exim leaves out its own time; in its own log it may
	 * add "[pid] " after it. */
	if (i < n && p[i] == '[') {
		size_t j = i + 1;
		while (j < n && is_digit(p[j]))
			j++;
		if (j < n && p[j] == ']' && j + 1 < n && p[j + 1] == ' ')
			i = j + 2;
	}
	if (!exim_id(p, n, &i, &l->queue_id))
		return;
	if (n - i >= 9 && memcmp(p + i, "Completed", 9) == 0 && (n - i == 9 || p[i + 9] == ' ')) {
		l->kind = DX_LOGL_REMOVED;
		return;
	}
	if (n - i < 3 || p[i + 2] != ' ')
		return;
	char f0 = p[i], f1 = p[i + 1];
	i += 3;
	if (f0 == '<' && f1 == '=') {
		size_t s = i;
		while (i < n && p[i] != ' ')
			i++;
		l->sender.p = p + s;
		l->sender.n = i - s;
		if (l->sender.n == 2 && memcmp(l->sender.p, "<>", 2) == 0)
			l->sender.n = 0;
		l->message_id = exim_token(p, n, i, "id=");
		l->kind = DX_LOGL_SENDER;
		return;
	}
	if (f0 == '*' && f1 == '*')
		l->outcome = DX_LOGO_BOUNCED;
	else if (f0 == '=' && f1 == '=')
		l->outcome = DX_LOGO_DEFERRED;
	else if ((f0 == '=' && f1 == '>') || (f0 == '-' && f1 == '>'))
		l->outcome = DX_LOGO_SENT;
	else
		return; /* "*>" (suppressed), "Completed", "SMTP error from..." notes */
	/* The address ends at a space, or at ':' before the text. */
	size_t s = i;
	while (i < n && p[i] != ' ')
		i++;
	size_t e = i;
	if (e > s && p[e - 1] == ':')
		e--;
	l->rcpts.p = p + s;
	l->rcpts.n = e - s;
	if (!l->rcpts.n)
		return;
	/* "<parent>" names the address it was redirected from; after a bare
	 * local part (a local delivery: "=> bob <bob@example.com> R=local"),
	 * it is the recipient's whole address. */
	if (i + 1 < n && p[i + 1] == '<') {
		size_t k = i + 2;
		while (k < n && p[k] != '>')
			k++;
		if (k < n) {
			dx_logspan parent = {p + i + 2, k - i - 2};
			if (!memchr(l->rcpts.p, '@', l->rcpts.n) && memchr(parent.p, '@', parent.n))
				l->rcpts = parent;
			else
				l->orig_rcpt = parent;
		}
	}
	/* The text: after the first ": " outside quotes (or right after an
	 * address that ends in ':'). */
	size_t t = e < i ? e : n;
	if (t == n) {
		for (size_t j = e; j + 1 < n; j++) {
			if (p[j] == '"') {
				j++;
				while (j < n && p[j] != '"')
					j++;
				continue;
			}
			if (p[j] == ':' && p[j + 1] == ' ') {
				t = j;
				break;
			}
		}
	}
	size_t tokens_end = t < n ? t : n;
	l->relay = exim_token(p, tokens_end, e, "H=");
	if (l->outcome == DX_LOGO_SENT) {
		dx_logspan c = exim_token(p, n, e, "C=");
		if (c.n >= 2 && c.p[0] == '"') {
			l->text.p = c.p + 1;
			l->text.n = c.n - 2;
		}
	} else if (t < n) {
		/* ": TEXT", or an address ending in ':' at the end of the line,
		 * with no text. */
		size_t from = t + 2 <= n ? t + 2 : n;
		l->text.p = p + from;
		l->text.n = n - from;
	}
	l->kind = DX_LOGL_DELIVERY;
}

/* ---- Sendmail -------------------------------------------------------------------------- */

/* The value of "key=" in Sendmail's "k=v, k=v, stat=text": up to the next
 * ", word=" (a recipient list "<a>,<b>" has no space after its commas);
 * stat= takes the rest of the line. */
static dx_logspan sendmail_field(const char *p, size_t n, size_t from, const char *key)
{
	dx_logspan v = {NULL, 0};
	size_t k = strlen(key);
	size_t j = from;
	while (j < n) {
		if (n - j >= k && memcmp(p + j, key, k) == 0 && (j == from || (p[j - 1] == ' ' && p[j - 2] == ','))) {
			size_t s = j + k, e = s;
			if (strcmp(key, "stat=") == 0) {
				e = n;
			} else {
				while (e < n) {
					if (p[e] == ',' && e + 1 < n && p[e + 1] == ' ') {
						size_t w = e + 2;
						while (w < n && p[w] >= 'a' && p[w] <= 'z')
							w++;
						if (w < n && p[w] == '=' && w > e + 2)
							break;
					}
					e++;
				}
			}
			v.p = p + s;
			v.n = e - s;
			return v;
		}
		j++;
	}
	return v;
}

static void sendmail(const char *p, size_t n, size_t i, dx_logline *l)
{
	if (!queue_id(p, n, &i, &l->queue_id))
		return;
	if (starts(p, n, i, "to=")) {
		l->rcpts = sendmail_field(p, n, i, "to=");
		dx_logspan st = sendmail_field(p, n, i, "stat=");
		if (!l->rcpts.n || !st.n)
			return;
		l->relay = sendmail_field(p, n, i, "relay=");
		l->dsn = sendmail_field(p, n, i, "dsn=");
		l->text = st;
		if (dx_startswith_ci(st.p, st.n, "sent"))
			l->outcome = DX_LOGO_SENT;
		else if (dx_startswith_ci(st.p, st.n, "deferred"))
			l->outcome = DX_LOGO_DEFERRED;
		else if (dx_startswith_ci(st.p, st.n, "queued"))
			return; /* accepted for later, not an attempt */
		else
			l->outcome = DX_LOGO_BOUNCED;
		l->kind = DX_LOGL_DELIVERY;
		return;
	}
	if (starts(p, n, i, "from=")) {
		dx_logspan f = sendmail_field(p, n, i, "from=");
		if (f.n >= 2 && f.p[0] == '<' && f.p[f.n - 1] == '>') {
			f.p++;
			f.n -= 2;
		}
		l->sender = f;
		dx_logspan m = sendmail_field(p, n, i, "msgid=");
		if (m.n)
			l->message_id = m;
		l->kind = DX_LOGL_SENDER;
	}
}

/* ---- the line ---------------------------------------------------------------------------- */

/* Copied rather than memset: compilers make "rep stos" of a memset this
 * size, whose start-up costs as much as parsing a short line. */
static const dx_logline empty_line;

dx_log_kind dx_logline_parse(const char *p, size_t n, dx_logline *out)
{
	*out = empty_line;
	while (n && (p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	size_t i = 0;
	int ok;
	if (n && p[0] == '<') {
		ok = rfc5424(p, n, &i, out);
	} else if (n >= 20 && is_digit(p[0]) && p[10] == 'T') {
		ok = iso_time(p, n, &i, out, 'T') && expect(p, n, &i, ' ') && host_program(p, n, &i, out);
	} else if (n >= 20 && is_digit(p[0]) && p[10] == ' ') {
		/* Exim's own log: no host, no program. */
		if (!iso_time(p, n, &i, out, ' ') || !expect(p, n, &i, ' ')) {
			*out = empty_line;
			return DX_LOGL_OTHER;
		}
		out->timed = 1;
		out->family = DX_LOGF_EXIM;
		exim(p, n, i, out);
		if (!out->queue_id.n)
			out->family = DX_LOGF_NONE;
		return out->kind;
	} else {
		ok = classic_time(p, n, &i, out) && expect(p, n, &i, ' ') && host_program(p, n, &i, out);
	}
	if (!ok) {
		*out = empty_line;
		return DX_LOGL_OTHER;
	}
	out->timed = 1;
	out->family = family_of(out->program);
	switch (out->family) {
	case DX_LOGF_POSTFIX:
		postfix(p, n, i, out);
		break;
	case DX_LOGF_EXIM: {
		/* Exim through syslog may still write its own time first. */
		size_t j = i;
		dx_logline t;
		t = empty_line;
		if (n - j >= 20 && is_digit(p[j]) && iso_time(p, n, &j, &t, ' ') && expect(p, n, &j, ' '))
			i = j;
		exim(p, n, i, out);
		break;
	}
	case DX_LOGF_SENDMAIL:
		sendmail(p, n, i, out);
		break;
	default:
		break;
	}
	return out->kind;
}

int dx_logline_rcpt(const dx_logline *l, size_t *pos, dx_logspan *addr)
{
	const char *p = l->rcpts.p;
	size_t n = l->rcpts.n, i = *pos;
	while (i < n) {
		while (i < n && (p[i] == ',' || p[i] == ' '))
			i++;
		if (i == n)
			break;
		size_t s = i, e;
		if (p[i] == '<') {
			s = i + 1;
			e = s;
			while (e < n && p[e] != '>')
				e++;
			i = e < n ? e + 1 : n;
		} else {
			/* Postfix and Exim give one address, which may hold commas
			 * inside quotes; Sendmail's unbracketed ones are plain. */
			if (l->family != DX_LOGF_SENDMAIL) {
				e = n;
			} else {
				e = s;
				while (e < n && p[e] != ',')
					e++;
			}
			i = e;
		}
		if (e > s) {
			addr->p = p + s;
			addr->n = e - s;
			*pos = i;
			return 1;
		}
	}
	*pos = n;
	return 0;
}

dx_logspan dx_logline_relay_host(const dx_logline *l)
{
	dx_logspan h = l->relay;
	size_t k = 0;
	if (l->family == DX_LOGF_POSTFIX)
		k = dx_find3(h.p, 0, h.n, '[', ':', ' ');
	else
		k = dx_find3(h.p, 0, h.n, '[', ' ', ' ');
	h.n = k;
	while (h.n && h.p[h.n - 1] == '.')
		h.n--;
	return h;
}

int dx_log_detect(const char *p, size_t n)
{
	unsigned lines = 0, timed = 0, mail = 0;
	size_t i = 0;
	while (i < n && lines < 16) {
		const char *nl = memchr(p + i, '\n', n - i);
		if (!nl)
			break; /* an incomplete last line says nothing */
		size_t len = (size_t)(nl - (p + i));
		if (len) {
			dx_logline l;
			dx_logline_parse(p + i, len, &l);
			lines++;
			if (l.timed)
				timed++;
			if (l.family != DX_LOGF_NONE)
				mail++;
		}
		i += len + 1;
	}
	return lines && mail && timed * 2 >= lines + 1;
}
