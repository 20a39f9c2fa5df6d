/* rxlit.c: required literals of a PCRE2 pattern; see rxlit.h.
 *
 * A recursive descent over the pattern's syntax. A sequence of atoms gives
 * sets that are all required: each run of plain characters that are all
 * required (not under ?, * or {0,...}) is a set of one, and each required
 * group gives the set of its alternatives. The sequence keeps its best two
 * (the best: the set whose shortest literal is longest). Inside a group,
 * an alternation is the union of its branches' best sets, and has none if
 * one branch has none; at the top, each branch keeps its own sets.
 */
#include "rxlit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct lset {
	int ok;                         /* a set was found */
	size_t n;
	uint32_t off[DX_RXLIT_MAX];     /* into the pool */
	uint32_t len[DX_RXLIT_MAX];
} lset;

enum { KEEP = 2 };

/* Sets that are all required: the best KEEP of a sequence. */
typedef struct conj {
	size_t n;
	lset s[KEEP];
} conj;

typedef struct rx {
	const char *p;
	size_t n, i;
	char *pool;                     /* literal bytes, folded */
	size_t pool_n;
	int giveup;
	int depth;
} rx;

typedef struct run {
	size_t start, len;
} run;

static lset parse_alt(rx *r);

static size_t shortest(const lset *s)
{
	size_t m = SIZE_MAX;
	for (size_t k = 0; k < s->n; k++)
		if (s->len[k] < m)
			m = s->len[k];
	return m;
}

static int better(const lset *a, const lset *b)
{
	size_t x = shortest(a), y = shortest(b);
	return x > y || (x == y && a->n < b->n);
}

static void consider(conj *c, const lset *x)
{
	if (!x->ok || x->n == 0)
		return;
	if (c->n < KEEP) {
		c->s[c->n++] = *x;
		return;
	}
	size_t worst = 0;
	for (size_t k = 1; k < c->n; k++)
		if (better(&c->s[worst], &c->s[k]))
			worst = k;
	if (better(x, &c->s[worst]))
		c->s[worst] = *x;
}

static lset best_of(const conj *c)
{
	lset none = {0};
	if (!c->n)
		return none;
	size_t b = 0;
	for (size_t k = 1; k < c->n; k++)
		if (better(&c->s[k], &c->s[b]))
			b = k;
	return c->s[b];
}

static void flush(rx *r, run *u, conj *best)
{
	if (u->len) {
		lset c = {.ok = 1, .n = 1};
		c.off[0] = (uint32_t)u->start;
		c.len[0] = (uint32_t)u->len;
		consider(best, &c);
	}
	u->start = r->pool_n;
	u->len = 0;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A quantifier at r->i: consumed, with *min its lower bound; 0 if none. */
static int quantifier(rx *r, unsigned *min)
{
	if (r->i >= r->n)
		return 0;
	char c = r->p[r->i];
	size_t j = r->i;
	if (c == '?' || c == '*') {
		*min = 0;
		j++;
	} else if (c == '+') {
		*min = 1;
		j++;
	} else if (c == '{') {
		/* {n}, {n,}, {n,m}, and {,m} (which is {0,m} in newer PCRE2 and
		 * a literal in older ones: taken as a quantifier either way,
		 * which can only lose a literal, never invent one). */
		size_t k = j + 1;
		unsigned v = 0;
		int digits = 0;
		while (k < r->n && is_digit(r->p[k])) {
			if (v < 100000)
				v = v * 10 + (unsigned)(r->p[k] - '0');
			k++;
			digits = 1;
		}
		int comma = 0;
		if (k < r->n && r->p[k] == ',') {
			comma = 1;
			k++;
			while (k < r->n && is_digit(r->p[k])) {
				k++;
				digits = 1;
			}
		}
		if (!digits || k >= r->n || r->p[k] != '}')
			return 0; /* a literal '{' */
		(void)comma;
		*min = v;
		j = k + 1;
	} else {
		return 0;
	}
	/* Lazy or possessive. */
	if (j < r->n && (r->p[j] == '?' || r->p[j] == '+'))
		j++;
	r->i = j;
	return 1;
}

/* Skips a bracketed argument at r->i ("{...}", "<...>", "'...'"). */
static void skip_arg(rx *r)
{
	if (r->i >= r->n)
		return;
	char open = r->p[r->i], close;
	if (open == '{')
		close = '}';
	else if (open == '<')
		close = '>';
	else if (open == '\'')
		close = '\'';
	else
		return;
	const char *e = memchr(r->p + r->i + 1, close, r->n - r->i - 1);
	if (!e) {
		r->giveup = 1;
		r->i = r->n;
		return;
	}
	r->i = (size_t)(e - r->p) + 1;
}

enum atom_kind { ATOM_LITERAL, ATOM_OTHER, ATOM_ZERO_WIDTH };

/* An escape at r->i (just past the backslash). Returns the kind; a literal
 * byte goes to *c. */
static enum atom_kind escape(rx *r, char *c)
{
	if (r->i >= r->n) {
		r->giveup = 1;
		return ATOM_OTHER;
	}
	char e = r->p[r->i++];
	if ((unsigned char)e >= 0x80)
		return ATOM_OTHER;
	if (!((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || is_digit(e))) {
		*c = e; /* an escaped punctuation character stands for itself */
		return ATOM_LITERAL;
	}
	switch (e) {
	case 'b': case 'B': case 'A': case 'z': case 'Z': case 'G': case 'K':
		return ATOM_ZERO_WIDTH;
	case 'x': case 'o': case 'N': case 'p': case 'P': case 'g': case 'k':
		if (r->i < r->n && (r->p[r->i] == '{' || r->p[r->i] == '<' || r->p[r->i] == '\''))
			skip_arg(r);
		else if (e == 'x')
			for (int k = 0; k < 2 && r->i < r->n && strchr("0123456789abcdefABCDEF", r->p[r->i]); k++)
				r->i++;
		else if ((e == 'p' || e == 'P') && r->i < r->n)
			r->i++;
		else if (e == 'g')
			while (r->i < r->n && (is_digit(r->p[r->i]) || r->p[r->i] == '-' || r->p[r->i] == '+'))
				r->i++;
		return ATOM_OTHER;
	case 'c':
		if (r->i < r->n)
			r->i++;
		return ATOM_OTHER;
	case 'Q':
	case 'E':
		/* Handled by the caller (\Q) or nothing (a stray \E). */
		return ATOM_ZERO_WIDTH;
	default:
		if (is_digit(e))
			while (r->i < r->n && is_digit(r->p[r->i]))
				r->i++;
		/* \s \d \w \h \v \R \X \C, their negations, \t \n \e... */
		return ATOM_OTHER;
	}
}

static void skip_class(rx *r)
{
	size_t i = r->i + 1;
	if (i < r->n && r->p[i] == '^')
		i++;
	if (i < r->n && r->p[i] == ']')
		i++;
	while (i < r->n) {
		char c = r->p[i];
		if (c == '\\') {
			i += 2;
		} else if (c == '[' && i + 1 < r->n && r->p[i + 1] == ':') {
			const char *e = NULL;
			for (size_t k = i + 2; k + 1 < r->n; k++)
				if (r->p[k] == ':' && r->p[k + 1] == ']') {
					e = r->p + k;
					break;
				}
			if (!e)
				break;
			i = (size_t)(e - r->p) + 2;
		} else if (c == ']') {
			r->i = i + 1;
			return;
		} else {
			i++;
		}
	}
	r->giveup = 1;
	r->i = r->n;
}

static void append(rx *r, run *u, char c)
{
	if (c >= 'A' && c <= 'Z')
		c = (char)(c + 32);
	r->pool[r->pool_n++] = c;
	u->len++;
}

/* A literal byte c just read: kept in the run unless a quantifier makes
 * it optional; a repeat ends the run after it. */
static void literal(rx *r, run *u, conj *best, char c)
{
	unsigned min;
	if (quantifier(r, &min)) {
		if (min == 0) {
			flush(r, u, best);
			return;
		}
		append(r, u, c);
		flush(r, u, best);
		return;
	}
	append(r, u, c);
}

static lset parse_group(rx *r)
{
	lset none = {0};
	/* r->i is past '('. */
	int discard = 0;
	if (r->i < r->n && r->p[r->i] == '*') {
		r->giveup = 1;
		return none;
	}
	if (r->i < r->n && r->p[r->i] == '?') {
		char t = r->i + 1 < r->n ? r->p[r->i + 1] : '\0';
		if (t == ':' || t == '>' || t == '|') {
			r->i += 2;
		} else if (t == '=' || t == '!') {
			r->i += 2;
			discard = 1;
		} else if (t == '<' && r->i + 2 < r->n && (r->p[r->i + 2] == '=' || r->p[r->i + 2] == '!')) {
			r->i += 3;
			discard = 1;
		} else if (t == '<' || t == '\'') {
			r->i += 1;
			skip_arg(r);
		} else if (t == 'P' && r->i + 2 < r->n && r->p[r->i + 2] == '<') {
			r->i += 2;
			skip_arg(r);
		} else if (t == '#') {
			const char *e = memchr(r->p + r->i, ')', r->n - r->i);
			if (!e) {
				r->giveup = 1;
				return none;
			}
			r->i = (size_t)(e - r->p); /* at ')' */
			discard = 1;
			r->i++;
			return none;
		} else {
			/* Inline options, conditionals, recursion, callouts. */
			r->giveup = 1;
			return none;
		}
	}
	if (++r->depth > 64) {
		r->giveup = 1;
		return none;
	}
	lset g = parse_alt(r);
	r->depth--;
	if (r->i >= r->n || r->p[r->i] != ')') {
		r->giveup = 1;
		return none;
	}
	r->i++;
	return discard ? none : g;
}

/* Whether p starts with a three-byte UTF-8 character in a script without
 * case (kana, CJK ideographs), which matches only itself, with or without
 * caseless matching. Other non-ASCII characters end a literal: under
 * Unicode case folding they may match other bytes (a set of their own,
 * DX_RXLIT_HIGH, says that some non-ASCII byte is needed). */
static int caseless_free(const char *p, size_t n)
{
	if (n < 3 || ((unsigned char)p[0] & 0xf0) != 0xe0 || ((unsigned char)p[1] & 0xc0) != 0x80 ||
	    ((unsigned char)p[2] & 0xc0) != 0x80)
		return 0;
	unsigned cp = ((unsigned)(p[0] & 0x0f) << 12) | ((unsigned)(p[1] & 0x3f) << 6) | (unsigned)(p[2] & 0x3f);
	return (cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff);
}

static conj parse_seq(rx *r)
{
	conj best = {0};
	run u = {r->pool_n, 0};
	while (r->i < r->n && !r->giveup) {
		char c = r->p[r->i];
		if (c == '|' || c == ')')
			break;
		unsigned min;
		if (c == '(') {
			flush(r, &u, &best);
			r->i++;
			lset g = parse_group(r);
			int optional = quantifier(r, &min) && min == 0;
			if (!optional)
				consider(&best, &g);
			u.start = r->pool_n;
			continue;
		}
		if (c == '[') {
			flush(r, &u, &best);
			skip_class(r);
			quantifier(r, &min);
			continue;
		}
		if (c == '\\') {
			r->i++;
			if (r->i < r->n && r->p[r->i] == 'Q') {
				/* \Q...\E: every byte literal. */
				r->i++;
				while (r->i < r->n && !(r->p[r->i] == '\\' && r->i + 1 < r->n && r->p[r->i + 1] == 'E')) {
					char q = r->p[r->i++];
					if ((unsigned char)q >= 0x80)
						flush(r, &u, &best);
					else
						append(r, &u, q);
				}
				if (r->i < r->n)
					r->i += 2;
				/* A quantifier after \E applies to the last byte quoted
				 * (or its last character: then the run is lost, which
				 * only weakens the filter). */
				if (quantifier(r, &min)) {
					if (u.len) {
						u.len--;
						r->pool_n--;
					}
					flush(r, &u, &best);
				}
				continue;
			}
			char lit = 0;
			enum atom_kind k = escape(r, &lit);
			if (k == ATOM_LITERAL) {
				literal(r, &u, &best, lit);
			} else {
				flush(r, &u, &best);
				quantifier(r, &min);
			}
			continue;
		}
		if ((unsigned char)c >= 0x80 && caseless_free(r->p + r->i, r->n - r->i)) {
			/* A CJK character, which has no other case: its three bytes
			 * are literal, and a quantifier applies to all of them. */
			size_t at = r->i;
			r->i += 3;
			if (quantifier(r, &min) && min == 0) {
				flush(r, &u, &best);
				continue;
			}
			for (size_t k = 0; k < 3; k++)
				append(r, &u, r->p[at + k]);
			if (r->i > at + 3)
				flush(r, &u, &best); /* repeated */
			continue;
		}
		if ((unsigned char)c >= 0x80) {
			/* Another non-ASCII character: under Unicode case folding
			 * it may match other bytes, but always non-ASCII ones,
			 * unless it is the Kelvin sign or the long s. */
			size_t len = (unsigned char)c >= 0xf0 ? 4 : (unsigned char)c >= 0xe0 ? 3 : (unsigned char)c >= 0xc0 ? 2 : 1;
			if (len > r->n - r->i)
				len = r->n - r->i;
			int folds_ascii = (len == 3 && memcmp(r->p + r->i, "\xe2\x84\xaa", 3) == 0) ||
					  (len == 2 && memcmp(r->p + r->i, "\xc5\xbf", 2) == 0);
			r->i += len;
			flush(r, &u, &best);
			if ((quantifier(r, &min) && min == 0) || folds_ascii)
				continue;
			run h = {r->pool_n, 1};
			r->pool[r->pool_n++] = DX_RXLIT_HIGH[0];
			flush(r, &h, &best);
			u.start = r->pool_n;
			continue;
		}
		r->i++;
		if (c == '.' || c == '^' || c == '$') {
			flush(r, &u, &best);
			quantifier(r, &min);
			continue;
		}
		if (c == '*' || c == '+' || c == '?') {
			r->giveup = 1; /* a quantifier with nothing to repeat */
			break;
		}
		literal(r, &u, &best, c);
	}
	flush(r, &u, &best);
	return best;
}

static lset parse_alt(rx *r)
{
	lset all = {.ok = 1, .n = 0};
	for (;;) {
		conj c = parse_seq(r);
		lset b = best_of(&c);
		if (!b.ok || all.n + b.n > DX_RXLIT_MAX)
			all.ok = 0;
		else if (all.ok) {
			for (size_t k = 0; k < b.n; k++) {
				all.off[all.n] = b.off[k];
				all.len[all.n] = b.len[k];
				all.n++;
			}
		}
		if (r->giveup || r->i >= r->n || r->p[r->i] != '|')
			break;
		r->i++; /* '|' */
	}
	return all;
}

void dx_rxlit_clear(dx_rxlit *l)
{
	for (size_t k = 0; k < l->n; k++)
		free(l->lit[k]);
	l->n = 0;
	l->nsets = 0;
	l->nbranches = 0;
}

uint32_t dx_rxlit_branches(const dx_rxlit *l, uint64_t present)
{
	if (!l->n)
		return UINT32_MAX;
	/* Every branch, less each one a set of which has no literal present:
	 * one pass over the sets, without a branch per set (this runs for
	 * every rule a text has a literal of, most of them to say no). */
	uint32_t may = l->nbranches >= 32 ? UINT32_MAX : ((uint32_t)1 << l->nbranches) - 1;
	for (size_t s = 0; s < l->nsets; s++)
		may &= ~((uint32_t)((l->set[s] & present) == 0) << l->branch[s]);
	return may;
}

int dx_rxlit_possible(const dx_rxlit *l, uint64_t present)
{
	return dx_rxlit_branches(l, present) != 0;
}

enum { MAX_BRANCHES = DX_RXLIT_SETS };

/* Copies the chosen sets out; -1 when out of memory, 1 when they do not
 * fit (the caller tries fewer). */
static int emit(const rx *r, const conj *br, size_t nb, const uint32_t *span, dx_rxlit *out)
{
	size_t nlit = 0, nsets = 0;
	for (size_t b = 0; b < nb; b++)
		for (size_t k = 0; k < br[b].n; k++) {
			nsets++;
			nlit += br[b].s[k].n;
		}
	if (nlit > DX_RXLIT_MAX || nsets > DX_RXLIT_SETS)
		return 1;
	for (size_t b = 0; b < nb; b++)
		for (size_t k = 0; k < br[b].n; k++) {
			const lset *x = &br[b].s[k];
			uint64_t mask = 0;
			for (size_t j = 0; j < x->n; j++) {
				char *l = malloc(x->len[j] + 1);
				if (!l) {
					dx_rxlit_clear(out);
					return -1;
				}
				memcpy(l, r->pool + x->off[j], x->len[j]);
				l[x->len[j]] = '\0';
				mask |= (uint64_t)1 << out->n;
				out->lit[out->n++] = l;
			}
			out->set[out->nsets] = mask;
			out->branch[out->nsets++] = (unsigned char)b;
		}
	out->nbranches = nb;
	for (size_t b = 0; b < nb; b++) {
		out->bstart[b] = span[2 * b];
		out->bend[b] = span[2 * b + 1];
	}
	return 0;
}

int dx_rxlit_find(const char *p, size_t n, dx_rxlit *out)
{
	memset(out, 0, sizeof *out);
	rx r = {.p = p, .n = n};
	r.pool = malloc(n + 1);
	if (!r.pool)
		return -1;
	conj br[MAX_BRANCHES];
	uint32_t span[2 * MAX_BRANCHES];
	size_t nb = 0;
	int none = 0;
	for (;;) {
		size_t from = r.i;
		conj c = parse_seq(&r);
		if (c.n == 0 || nb == MAX_BRANCHES) {
			none = 1;
		} else {
			span[2 * nb] = (uint32_t)from;
			span[2 * nb + 1] = (uint32_t)r.i;
			br[nb++] = c;
		}
		if (r.giveup || r.i >= n || p[r.i] != '|')
			break;
		r.i++;
	}
	int rc = 0;
	if (!none && !r.giveup && r.i == n) {
		rc = emit(&r, br, nb, span, out);
		if (rc == 1) {
			/* Too many: each branch's best set alone. */
			for (size_t b = 0; b < nb; b++) {
				br[b].s[0] = best_of(&br[b]);
				br[b].n = 1;
			}
			rc = emit(&r, br, nb, span, out);
			if (rc == 1)
				rc = 0; /* still too many: none, always try */
		}
	}
	free(r.pool);
	return rc < 0 ? -1 : 0;
}
