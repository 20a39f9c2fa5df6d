/* rfc5322.c: header fields, addresses and dates; see rfc5322.h. */
#include "rfc5322.h"

#include <ctype.h>
#include <string.h>

#include "dsnidx.h"
#include "text.h"

int dx_header_parse(dx_arena *a, const dx_scan_kernel *k, const char *p, size_t n,
		    const dx_header_limits *lim, dx_header *out, size_t *body)
{
	unsigned max_fields = lim->max_fields;
	out->fields = NULL;
	out->n = 0;
	out->dropped = 0;
	out->truncated = 0;

	/* Index first, then allocate exactly: a second pass over a header block
	 * is cheaper than growing arrays in an arena that cannot free. */
	dx_span small[64];
	size_t nf = k->header_fields(p, n, small, 64, body);
	dx_span *spans = small;
	size_t keep = nf < max_fields ? nf : max_fields;
	if (nf > 64) {
		spans = dx_arena_alloc(a, keep * sizeof *spans);
		if (!spans)
			return -1;
		k->header_fields(p, n, spans, keep, body);
	}
	out->dropped = (unsigned)(nf - keep);
	out->fields = dx_arena_alloc(a, (keep ? keep : 1) * sizeof *out->fields);
	if (!out->fields)
		return -1;

	for (size_t i = 0; i < keep; i++) {
		const char *f = p + spans[i].start;
		size_t len = spans[i].end - spans[i].start;
		if (len > lim->max_line) {
			/* A field longer than any real one: its start is kept. */
			len = lim->max_line;
			out->truncated++;
		}
		const char *colon = memchr(f, ':', len);
		if (!colon)
			continue; /* not a field: a stray line or an mbox From_ line */
		size_t nlen = (size_t)(colon - f);
		while (nlen && (f[nlen - 1] == ' ' || f[nlen - 1] == '\t'))
			nlen--; /* "Subject : x" is obsolete syntax but seen */
		if (nlen == 0 || memchr(f, ' ', nlen) || memchr(f, '\t', nlen))
			continue;
		const char *v = colon + 1;
		size_t vlen = len - (size_t)(v - f);
		/* One allocation for the name and the value. */
		char *name = dx_arena_alloc(a, nlen + 1 + vlen + 1);
		if (!name)
			return -1;
		for (size_t j = 0; j < nlen; j++)
			name[j] = dx_lower(f[j]);
		name[nlen] = '\0';
		char *val = name + nlen + 1;
		/* Unfold: drop each newline, keep the whitespace that follows;
		 * copied in runs between newlines. */
		size_t o = 0;
		for (size_t j = 0; j < vlen;) {
			const char *nl = memchr(v + j, '\n', vlen - j);
			size_t run = nl ? (size_t)(nl - (v + j)) : vlen - j;
			memcpy(val + o, v + j, run);
			o += run;
			j += run + 1;
		}
		val[o] = '\0';
		size_t s = 0;
		while (s < o && dx_is_wsp(val[s]))
			s++;
		while (o > s && dx_is_wsp(val[o - 1]))
			o--;
		val[o] = '\0';
		dx_field *fd = &out->fields[out->n++];
		fd->name = name;
		fd->value = val + s;
		fd->value_len = o - s;
	}
	return 0;
}

const dx_field *dx_header_next(const dx_header *h, const char *lname, const dx_field *prev)
{
	if (!h || !h->fields)
		return NULL;
	unsigned i = prev ? (unsigned)(prev - h->fields) + 1 : 0;
	/* The first letters compared here: most fields differ there (strcmp
	 * on the first 10 MB of bounces.mbox: 21M instructions before, 10M). */
	for (; i < h->n; i++)
		if (h->fields[i].name[0] == lname[0] && strcmp(h->fields[i].name, lname) == 0)
			return &h->fields[i];
	return NULL;
}

const char *dx_header_get(const dx_header *h, const char *lname)
{
	const dx_field *f = dx_header_next(h, lname, NULL);
	return f ? f->value : NULL;
}

/* ---- addresses ---------------------------------------------------------- */

static int addr_char(unsigned char c)
{
	/* Characters of a dot-atom local part or domain, plus those seen in
	 * real addresses; quotes, brackets and separators end a candidate. */
	if (c >= 0x80)
		return 1; /* SMTPUTF8 */
	if (isalnum(c))
		return 1;
	return strchr("!#$%&'*+-/=?^_`{|}~.@", c) != NULL && c != '\0';
}

int dx_addr_valid(const char *s)
{
	const char *at = strrchr(s, '@');
	if (!at || at == s || !at[1])
		return 0;
	for (const char *q = s; *q; q++)
		if (!addr_char((unsigned char)*q))
			return 0;
	const char *d = at + 1;
	if (*d == '.' || d[strlen(d) - 1] == '.' || strstr(d, ".."))
		return 0;
	return strchr(d, '.') != NULL || strcmp(d, "localhost") == 0 ||
	       strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(d);
}

const char *dx_addr_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	return at ? at + 1 : "";
}

static char *addr_take(dx_arena *a, const char *s, size_t n)
{
	/* Strip what surrounds addresses in prose: quotes, brackets, a trailing
	 * dot or colon, a "mailto:" prefix. */
	while (n && strchr("<([\"'", s[0])) {
		s++;
		n--;
	}
	while (n && strchr(">)]\"'.,;:", s[n - 1]))
		n--;
	if (n >= 7 && dx_strncasecmp(s, "mailto:", 7) == 0) {
		s += 7;
		n -= 7;
	}
	if (n == 0 || n > 320)
		return NULL;
	char *r = dx_arena_strndup(a, s, n);
	if (!r)
		return NULL;
	dx_ascii_lower(r);
	return dx_addr_valid(r) ? r : NULL;
}

char *dx_addr_extract(dx_arena *a, const char *p, size_t n)
{
	/* Prefer an address in angle brackets: it is the machine-readable one
	 * ("Joe <joe@x>", and "<joe@x>: reason" in Postfix text). */
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '<')
			continue;
		const char *e = memchr(p + i + 1, '>', n - i - 1);
		if (!e)
			break;
		size_t len = (size_t)(e - (p + i + 1));
		if (len && memchr(p + i + 1, '@', len) && !memchr(p + i + 1, ' ', len)) {
			char *r = addr_take(a, p + i + 1, len);
			if (r)
				return r;
		}
		i = (size_t)(e - p);
	}
	/* Else the first whitespace-delimited token holding an '@'. */
	size_t i = 0;
	while (i < n) {
		while (i < n && (dx_is_space(p[i]) || p[i] == ';' || p[i] == ','))
			i++;
		size_t s = i;
		while (i < n && !dx_is_space(p[i]) && p[i] != ';' && p[i] != ',')
			i++;
		if (i > s && memchr(p + s, '@', i - s)) {
			char *r = addr_take(a, p + s, i - s);
			if (r)
				return r;
		}
	}
	return NULL;
}

/* ---- dates --------------------------------------------------------------- */

int64_t dx_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's days_from_civil, an exact proleptic Gregorian count. */
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int month_of(const char *s, size_t n)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	if (n < 3)
		return 0;
	for (int i = 0; i < 12; i++)
		if (dx_strncasecmp(s, names + 3 * i, 3) == 0)
			return i + 1;
	return 0;
}

typedef struct date_lexer {
	const char *p, *e;
} date_lexer;

/* Next token: a run of digits, or of letters, or one other character;
 * whitespace and commas separate, (comments) are skipped. */
static int next_tok(date_lexer *lx, const char **t, size_t *tn)
{
	for (;;) {
		while (lx->p < lx->e && (dx_is_space(*lx->p) || *lx->p == ','))
			lx->p++;
		if (lx->p < lx->e && *lx->p == '(') {
			int depth = 0;
			while (lx->p < lx->e) {
				if (*lx->p == '(')
					depth++;
				else if (*lx->p == ')' && --depth == 0) {
					lx->p++;
					break;
				}
				lx->p++;
			}
			continue;
		}
		break;
	}
	if (lx->p >= lx->e)
		return 0;
	const char *s = lx->p;
	if (isdigit((unsigned char)*s))
		while (lx->p < lx->e && isdigit((unsigned char)*lx->p))
			lx->p++;
	else if (isalpha((unsigned char)*s))
		while (lx->p < lx->e && isalpha((unsigned char)*lx->p))
			lx->p++;
	else
		lx->p++;
	*t = s;
	*tn = (size_t)(lx->p - s);
	return 1;
}

static long num(const char *t, size_t n)
{
	long v = 0;
	for (size_t i = 0; i < n && i < 9; i++)
		v = v * 10 + (t[i] - '0');
	return v;
}

static int zone_name(const char *t, size_t n, long *minutes)
{
	static const struct {
		const char *name;
		int off;
	} zones[] = {
		{"ut", 0}, {"gmt", 0}, {"utc", 0}, {"z", 0},
		{"est", -300}, {"edt", -240}, {"cst", -360}, {"cdt", -300},
		{"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420},
		{"jst", 540}, {"cet", 60}, {"cest", 120}, {"bst", 60},
	};
	for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
		if (strlen(zones[i].name) == n && dx_strncasecmp(t, zones[i].name, n) == 0) {
			*minutes = zones[i].off;
			return 1;
		}
	return 0;
}

static int64_t make_time(long y, int mon, long d, long hh, long mm, long ss, long zone_min)
{
	if (y < 100)
		y += y < 50 ? 2000 : 1900; /* RFC 5322 4.3 */
	else if (y < 1000)
		y += 1900;
	if (mon < 1 || mon > 12 || d < 1 || d > 31 || hh > 23 || mm > 59 || ss > 60 || y > 9999)
		return DX_NO_TIME;
	return dx_days_from_civil(y, (unsigned)mon, (unsigned)d) * 86400 + hh * 3600 + mm * 60 + ss -
	       zone_min * 60;
}

/* "2013-10-16T14:15:35Z" or "2013-10-16 14:15:35+09:00": seen in the date
 * fields of some generated reports, though RFC 3464 asks for RFC 5322 dates. */
static int64_t iso_date(const char *s, size_t n)
{
	long f[6] = {0};
	size_t i = 0;
	int k = 0;
	static const int width[6] = {4, 2, 2, 2, 2, 2};
	static const char sep[6] = {'-', '-', 'T', ':', ':', 0};
	for (k = 0; k < 6; k++) {
		if (i + (size_t)width[k] > n)
			return k >= 5 ? 0 : DX_NO_TIME;
		for (int j = 0; j < width[k]; j++)
			if (!isdigit((unsigned char)s[i + (size_t)j]))
				return DX_NO_TIME;
		f[k] = num(s + i, (size_t)width[k]);
		i += (size_t)width[k];
		if (k == 5)
			break;
		if (i >= n || (s[i] != sep[k] && !(k == 2 && s[i] == ' ')))
			return DX_NO_TIME;
		i++;
	}
	while (i < n && (s[i] == '.' || isdigit((unsigned char)s[i])))
		i++; /* fractions of a second */
	long zone = 0;
	if (i < n && (s[i] == '+' || s[i] == '-') && i + 3 <= n) {
		long h = num(s + i + 1, 2), m = 0;
		size_t j = i + 3;
		if (j < n && s[j] == ':')
			j++;
		if (j + 2 <= n && isdigit((unsigned char)s[j]))
			m = num(s + j, 2);
		zone = (h * 60 + m) * (s[i] == '-' ? -1 : 1);
	}
	return make_time(f[0], (int)f[1], f[2], f[3], f[4], f[5], zone);
}

int64_t dx_date_parse(const char *s, size_t n)
{
	while (n && dx_is_space(*s)) {
		s++;
		n--;
	}
	if (n >= 19 && isdigit((unsigned char)s[0]) && s[4] == '-')
		return iso_date(s, n);
	date_lexer lx = {s, s + n};
	const char *t;
	size_t tn;
	long day = -1, year = -1, hh = -1, mm = 0, ss = 0, zone = 0;
	int mon = 0;

	while (next_tok(&lx, &t, &tn)) {
		if (isalpha((unsigned char)t[0])) {
			int m = month_of(t, tn);
			long z;
			if (m && !mon && tn <= 9)
				mon = m;
			else if (hh >= 0 && zone_name(t, tn, &z))
				zone = z;
			continue; /* weekday or noise */
		}
		if ((t[0] == '+' || t[0] == '-') && hh >= 0) {
			const char *z;
			size_t zn;
			if (next_tok(&lx, &z, &zn) && zn == 4 && isdigit((unsigned char)z[0])) {
				long v = num(z, 2) * 60 + num(z + 2, 2);
				zone = t[0] == '-' ? -v : v;
			}
			continue;
		}
		if (!isdigit((unsigned char)t[0]))
			continue;
		/* A number followed by ':' starts the time of day. */
		if (lx.p < lx.e && *lx.p == ':' && hh < 0) {
			hh = num(t, tn);
			lx.p++;
			if (next_tok(&lx, &t, &tn) && isdigit((unsigned char)t[0]))
				mm = num(t, tn);
			if (lx.p < lx.e && *lx.p == ':') {
				lx.p++;
				if (next_tok(&lx, &t, &tn) && isdigit((unsigned char)t[0]))
					ss = num(t, tn);
			}
			continue;
		}
		if (day < 0 && tn <= 2 && !mon)
			day = num(t, tn);
		else if (day < 0 && tn <= 2 && mon && year < 0)
			day = num(t, tn); /* "Oct 16 ..." */
		else if (year < 0 && (tn == 4 || (tn == 2 && day >= 0 && mon)))
			year = num(t, tn);
	}
	if (day < 0 || year < 0 || !mon || hh < 0)
		return DX_NO_TIME;
	return make_time(year, mon, day, hh, mm, ss, zone);
}

int64_t dx_date_parse_ctime(const char *s, size_t n)
{
	/* "Thu Sep 18 17:54:04 2008": the same tokens in another order, and no
	 * zone, which the lenient parser above already accepts. */
	return dx_date_parse(s, n);
}
