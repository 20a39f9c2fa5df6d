/* test_prefilter.c: the literal prefilter of classification.
 *
 * - rxlit: the literals found for patterns with known answers, and none
 *   where the analysis must give up;
 * - soundness: for every built-in rule and every line and paragraph of the
 *   project's sample mail, when the pattern matches, one of its literals is
 *   in the text (else the prefilter would lose a verdict);
 * - phrase: the automaton against a naive search on random texts;
 * - classify: the same verdicts with and without the prefilter.
 */
#include "helpers.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <pcre2.h>

#include "classify.h"
#include "lexicon.h"
#include "phrase.h"
#include "rxlit.h"
#include "text.h"

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static int high_byte(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The answer for pattern written out: branches joined with " || ", the
 * sets of a branch with " & " (in the order found), the literals of a set
 * sorted and joined with '|'; "-" for none. */
static char *lits_of(const char *pattern)
{
	dx_rxlit l;
	assert_int_equal(dx_rxlit_find(pattern, strlen(pattern), &l), 0);
	static char out[2048];
	if (!l.n) {
		strcpy(out, "-");
		return out;
	}
	out[0] = '\0';
	for (size_t s = 0; s < l.nsets; s++) {
		if (s)
			strcat(out, l.branch[s] == l.branch[s - 1] ? " & " : " || ");
		const char *v[DX_RXLIT_MAX];
		size_t k = 0;
		for (size_t j = 0; j < l.n; j++)
			if (l.set[s] >> j & 1)
				v[k++] = l.lit[j];
		qsort(v, k, sizeof v[0], cmp_str);
		for (size_t j = 0; j < k; j++) {
			if (j)
				strcat(out, "|");
			strcat(out, v[j]);
		}
	}
	dx_rxlit_clear(&l);
	return out;
}

static void test_rxlit_known(void **state)
{
	(void)state;
	assert_string_equal(lits_of("user unknown"), "user unknown");
	/* Runs separated by a class are each required. */
	assert_string_equal(lits_of("\\bUser\\s+Unknown\\b"), "user & unknown");
	/* A top-level alternation gives branches. */
	assert_string_equal(lits_of("mailbox\\s+(?:is\\s+)?full|quota\\s+exceeded"),
			    "mailbox & full || quota & exceeded");
	/* An optional character ends the run before it. */
	assert_string_equal(lits_of("recipients?\\s+rejected"), "recipient & rejected");
	assert_string_equal(lits_of("mx?\\s+rejected"), "m & rejected");
	assert_string_equal(lits_of("abcdx?"), "abcd");
	/* The best two sets of a branch are kept: two required words cut
	 * false alarms, more cost more than they save (measured). */
	assert_string_equal(lits_of("alpha beta\\s+gamma\\s+de\\s+epsilon\\s+z"), "alpha beta & epsilon");
	/* A required group gives a set of its alternatives. */
	assert_string_equal(lits_of("\\b(?:disabled|suspended)\\b"), "disabled|suspended");
	/* An optional group gives nothing. */
	assert_string_equal(lits_of("(?:blocked)?\\s+x"), "x");
	assert_string_equal(lits_of("ab(?:blocked){0,2}c"), "ab & c");
	/* Escaped punctuation is literal; classes and dots end a run. */
	assert_string_equal(lits_of("RESOLVER\\.ADR\\.RecipNotFound"), "resolver.adr.recipnotfound");
	assert_string_equal(lits_of("5[0-9][0-9] spam"), "5 &  spam");
	assert_string_equal(lits_of("\\Qa+b\\E"), "a+b");
	/* An empty branch, a lookahead alone, inline options: nothing. */
	assert_string_equal(lits_of("abc|"), "-");
	assert_string_equal(lits_of("(?=abc)"), "-");
	assert_string_equal(lits_of("(?i)abc"), "-");
	assert_string_equal(lits_of("(*UTF)abc"), "-");
	assert_string_equal(lits_of(".*"), "-");
	/* Non-ASCII letters (which have other cases) end a run and stand for
	 * "some non-ASCII byte" (ranked last: its literal is one byte); CJK
	 * is literal; the Kelvin sign and the long s, which fold to ASCII,
	 * give nothing. */
	assert_string_equal(lits_of("empf\xc3\xa4nger unbekannt"), "empf & nger unbekannt");
	assert_string_equal(lits_of("\xd0\x9f\xd0\xbe\xd1\x87\xd1\x82\xd0\xb0"), DX_RXLIT_HIGH " & " DX_RXLIT_HIGH);
	assert_string_equal(lits_of("ab|\xd0\x9f\xd0\xbe"), "ab || " DX_RXLIT_HIGH " & " DX_RXLIT_HIGH);
	assert_string_equal(lits_of("(?:\xc3\xbc|ue)ber"), "ue|" DX_RXLIT_HIGH " & ber");
	assert_string_equal(lits_of("\xd0\x9f?x"), "x");
	assert_string_equal(lits_of("\xe2\x84\xaa\xc5\xbf"), "-");
	assert_string_equal(lits_of("\xe5\xae\x9b\xe5\x85\x88.{0,10}\xe4\xb8\x8d\xe6\x98\x8e"),
			    "\xe5\xae\x9b\xe5\x85\x88 & \xe4\xb8\x8d\xe6\x98\x8e");
	/* Counted repeats: {2} keeps the character, {0,3} drops it. */
	assert_string_equal(lits_of("ab{2}c"), "ab & c");
	assert_string_equal(lits_of("abc{0,3}d"), "ab & d");
	/* A '{' that is not a quantifier is literal. */
	assert_string_equal(lits_of("x{y}z"), "x{y}z");
}

static void test_rxlit_possible(void **state)
{
	(void)state;
	dx_rxlit l;
	const char *p = "mailbox\\s+(?:is\\s+)?full|quota\\s+exceeded";
	assert_int_equal(dx_rxlit_find(p, strlen(p), &l), 0);
	assert_int_equal(l.n, 4); /* mailbox, full, quota, exceeded */
	uint64_t all = (1u << l.n) - 1;
	assert_true(dx_rxlit_possible(&l, all));
	assert_false(dx_rxlit_possible(&l, 0));
	/* One whole branch is enough; half of each is not. */
	uint64_t mailbox = 0, full = 0, quota = 0, exceeded = 0;
	for (size_t k = 0; k < l.n; k++) {
		uint64_t b = (uint64_t)1 << k;
		if (!strcmp(l.lit[k], "mailbox"))
			mailbox = b;
		else if (!strcmp(l.lit[k], "full"))
			full = b;
		else if (!strcmp(l.lit[k], "quota"))
			quota = b;
		else if (!strcmp(l.lit[k], "exceeded"))
			exceeded = b;
	}
	assert_true(dx_rxlit_possible(&l, mailbox | full));
	assert_true(dx_rxlit_possible(&l, quota | exceeded));
	assert_false(dx_rxlit_possible(&l, mailbox | exceeded));
	assert_false(dx_rxlit_possible(&l, full | quota));
	/* Which branches: bit 0 the first, bit 1 the second. */
	assert_int_equal(dx_rxlit_branches(&l, mailbox | full), 1);
	assert_int_equal(dx_rxlit_branches(&l, quota | exceeded), 2);
	assert_int_equal(dx_rxlit_branches(&l, mailbox | full | quota | exceeded), 3);
	assert_int_equal(dx_rxlit_branches(&l, mailbox | quota), 0);
	/* The branches' bytes in the pattern, for compiling each alone. */
	assert_int_equal(l.nbranches, 2);
	assert_int_equal(l.bstart[0], 0);
	assert_int_equal(l.bend[0], strlen("mailbox\\s+(?:is\\s+)?full"));
	assert_int_equal(l.bstart[1], l.bend[0] + 1);
	assert_int_equal(l.bend[1], strlen(p));
	dx_rxlit_clear(&l);
	/* No literals: always possible, every branch. */
	assert_int_equal(dx_rxlit_find(".*", 2, &l), 0);
	assert_true(dx_rxlit_possible(&l, 0));
	assert_int_equal(dx_rxlit_branches(&l, 0), UINT32_MAX);
}

/* ---- texts: lines and paragraphs of the sample mail ------------------------- */

typedef struct texts {
	char **v;
	size_t n, cap;
} texts;

static void add_text(texts *t, const char *p, size_t n)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->v = realloc(t->v, t->cap * sizeof *t->v);
		assert_non_null(t->v);
	}
	char *s = malloc(n + 1);
	assert_non_null(s);
	memcpy(s, p, n);
	s[n] = '\0';
	t->v[t->n++] = s;
}

static void add_file(texts *t, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	size_t para = 0;
	for (size_t i = 0, start = 0; i <= n; i++) {
		if (i == n || buf[i] == '\n') {
			add_text(t, buf + start, i - start);
			/* A paragraph ends at a blank line: diagnostics span lines. */
			if (i == n || (i + 1 < n && buf[i + 1] == '\n')) {
				add_text(t, buf + para, i - para);
				para = i + 1;
			}
			start = i + 1;
		}
	}
}

static void add_dir(texts *t, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		add_file(t, path);
		add_dir(t, path); /* the Maildir */
	}
	closedir(d);
}

static void load_texts(texts *t)
{
	memset(t, 0, sizeof *t);
	add_dir(t, "corpus/mail");
	/* Wordings with the characters the folding trap is about. */
	static const char *const extra[] = {
		"550 5.1.1 user unknown", "552 mailbox full", "554 5.7.1 Message rejected as spam",
		"MAILBOX FULL", "Mailbox Is Full", "550 Requested action not taken: mailbox unavailable",
		"421 Too many connections", "550 5.7.26 Unauthenticated email is not accepted",
		"This user doesn't have a yahoo.com account", "Host unknown", "Name service error",
	};
	for (size_t i = 0; i < NELEM(extra); i++)
		add_text(t, extra[i], strlen(extra[i]));
	assert_true(t->n > 2000);
}

static void free_texts(texts *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
}

/* Every built-in pattern, compiled as classify.c does, with its literals. */
static void test_rxlit_sound(void **state)
{
	(void)state;
	texts t;
	load_texts(&t);
	FILE *f = fopen("core/rules/reasons.rules", "r");
	assert_non_null(f);
	char line[4096];
	size_t patterns = 0, matches = 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#')
			continue;
		char *a = strchr(line, '/');
		char *b = strrchr(line, '/');
		if (!a || a == b)
			continue;
		/* Unescape "\/" as the rule parser does. */
		char pat[4096];
		size_t k = 0;
		for (char *p = a + 1; p < b; p++) {
			if (*p == '\\' && p + 1 < b && p[1] == '/')
				p++;
			pat[k++] = *p;
		}
		uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
		if (strchr(b, 'i'))
			opts |= PCRE2_CASELESS;
		int ec;
		PCRE2_SIZE eo;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, k, opts, &ec, &eo, NULL);
		assert_non_null(re);
		pcre2_match_data *md = pcre2_match_data_create(1, NULL);
		dx_rxlit l;
		assert_int_equal(dx_rxlit_find(pat, k, &l), 0);
		patterns++;
		for (size_t i = 0; i < t.n; i++) {
			if (pcre2_match(re, (PCRE2_SPTR)t.v[i], strlen(t.v[i]), 0, 0, md, NULL) < 0)
				continue;
			matches++;
			if (!l.n)
				continue;
			uint64_t present = 0;
			for (size_t j = 0; j < l.n; j++)
				if (strcmp(l.lit[j], DX_RXLIT_HIGH) == 0 ? high_byte(t.v[i])
									 : dx_memcasemem(t.v[i], strlen(t.v[i]), l.lit[j]) != NULL)
					present |= (uint64_t)1 << j;
			if (!dx_rxlit_possible(&l, present))
				fail_msg("pattern /%.*s/ matches \"%s\", which its literals rule out", (int)k, pat,
					 t.v[i]);
		}
		dx_rxlit_clear(&l);
		pcre2_match_data_free(md);
		pcre2_code_free(re);
	}
	fclose(f);
	assert_true(patterns > 100);
	assert_true(matches > 200); /* the texts exercise the patterns */
	free_texts(&t);
}

/* ---- the automaton ---------------------------------------------------------- */

typedef struct hits {
	size_t n;
	size_t id[4096], end[4096];
} hits;

static int collect(void *arg, size_t id, size_t end)
{
	hits *h = arg;
	if (h->n < 4096) {
		h->id[h->n] = id;
		h->end[h->n] = end;
		h->n++;
	}
	return 0;
}

/* The occurrences of phrases ph[0..np) (lower case) in text[0..n) by a
 * naive search, each of which must be among the automaton's hits h;
 * returns their number. The automaton's order within one end is not
 * specified, so membership is checked, and the caller compares counts. */
static size_t naive_occurrences(const char *const *ph, size_t np, const char *text, size_t n, const hits *h)
{
	size_t found = 0;
	for (size_t e = 1; e <= n; e++) {
		for (size_t i = 0; i < np; i++) {
			size_t len = strlen(ph[i]);
			if (len > e)
				continue;
			int eq = 1;
			for (size_t j = 0; j < len && eq; j++)
				eq = dx_lower(text[e - len + j]) == ph[i][j];
			if (!eq)
				continue;
			found++;
			int seen = 0;
			for (size_t k = 0; k < h->n && !seen; k++)
				seen = h->end[k] == e && h->id[k] == i;
			assert_true(seen);
		}
	}
	return found;
}

static void test_phrase_differential(void **state)
{
	(void)state;
	static const char alphabet[] = "abAB 07\xe5\xae";
	uint64_t rng = 42;
	for (int iter = 0; iter < 3000; iter++) {
		size_t np = 1 + rng_next(&rng) % 12;
		char store[12][8];
		const char *ph[12];
		for (size_t i = 0; i < np; i++) {
			/* Short phrases match everywhere (hundreds of hits in a
			 * long text); longer ones now and then. */
			size_t len = iter % 2 ? 1 + rng_next(&rng) % 5 : 3 + rng_next(&rng) % 5;
			for (size_t j = 0; j < len; j++)
				store[i][j] = dx_lower(alphabet[rng_next(&rng) % (sizeof alphabet - 1)]);
			store[i][len] = '\0';
			ph[i] = store[i];
		}
		dx_phrases *ps = dx_phrases_new(ph, NULL, np, DX_PHRASES_EXACT);
		assert_non_null(ps);
		/* Texts as long as a report's parts, not only a line's. */
		char text[700];
		size_t n = rng_next(&rng) % sizeof text;
		for (size_t i = 0; i < n; i++)
			text[i] = alphabet[rng_next(&rng) % (sizeof alphabet - 1)];
		static hits h;
		h.n = 0;
		dx_phrases_scan(ps, text, n, collect, &h);
		size_t want = naive_occurrences(ph, np, text, n, &h);
		assert_int_equal(h.n, want);
		for (size_t k = 1; k < h.n; k++)
			assert_true(h.end[k] >= h.end[k - 1]);
		size_t id, end;
		int any = dx_phrases_any(ps, text, n, &id, &end);
		assert_int_equal(any, want > 0);
		if (any)
			assert_int_equal(end, h.end[0]);
		/* Loose: every exact occurrence is among its reports. */
		dx_phrases *loose = dx_phrases_new(ph, NULL, np, DX_PHRASES_LOOSE);
		assert_non_null(loose);
		static hits lh;
		lh.n = 0;
		dx_phrases_scan(loose, text, n, collect, &lh);
		assert_true(lh.n >= h.n);
		for (size_t k = 0; k < h.n; k++) {
			int seen = 0;
			for (size_t j = 0; j < lh.n && !seen; j++)
				seen = lh.end[j] == h.end[k] && lh.id[j] == h.id[k];
			assert_true(seen);
		}
		dx_phrases_free(loose);
		dx_phrases_free(ps);
	}
}

/* An automaton too large for 16-bit table entries (over 32768 cells):
 * the 32-bit form finds the same as a naive search. */
static void test_phrase_large(void **state)
{
	(void)state;
	static const char alphabet[] = "abcdAB 07";
	uint64_t rng = 7;
	enum { NP = 1000, LEN = 20 };
	static char store[NP][LEN + 1];
	static const char *ph[NP];
	for (size_t i = 0; i < NP; i++) {
		size_t len = 6 + rng_next(&rng) % (LEN - 6);
		for (size_t j = 0; j < len; j++)
			store[i][j] = dx_lower(alphabet[rng_next(&rng) % (sizeof alphabet - 1)]);
		store[i][len] = '\0';
		ph[i] = store[i];
	}
	dx_phrases *ps = dx_phrases_new(ph, NULL, NP, DX_PHRASES_EXACT);
	assert_non_null(ps);
	/* A text that holds some phrases whole, among random bytes. */
	static char text[20000];
	size_t n = 0;
	while (n + LEN + 8 < sizeof text) {
		if (rng_next(&rng) % 3 == 0) {
			const char *q = ph[rng_next(&rng) % NP];
			for (size_t j = 0; q[j]; j++)
				text[n++] = (rng_next(&rng) & 1) ? q[j] : (char)(q[j] >= 'a' && q[j] <= 'z' ? q[j] - 32 : q[j]);
		} else {
			for (int j = 0; j < 8; j++)
				text[n++] = alphabet[rng_next(&rng) % (sizeof alphabet - 1)];
		}
	}
	static hits h;
	h.n = 0;
	dx_phrases_scan(ps, text, n, collect, &h);
	size_t want = naive_occurrences(ph, NP, text, n, &h);
	assert_true(want > 100 && want < 4096); /* phrases, all of them recorded */
	assert_int_equal(h.n, want);
	dx_phrases_free(ps);
}

/* dsn_text.c's report_end searches blocks of lines at once, which is right
 * only while no marker of the returned message holds a line break. */
static void test_markers_one_line(void **state)
{
	(void)state;
	dx_lexicon *lx = dx_lexicon_new();
	assert_non_null(lx);
	const dx_phrases *markers = dx_lexicon_get(lx, DX_LEX_ORIGINAL);
	assert_true(dx_phrases_count(markers) > 0);
	assert_false(dx_phrases_has_byte(markers, '\n'));
	assert_true(dx_phrases_has_byte(markers, 'M')); /* "... message ..." */
	dx_lexicon_free(lx);
}

/* ---- classify with and without ------------------------------------------------ */

static void test_classify_same(void **state)
{
	(void)state;
	texts t;
	load_texts(&t);
	dx_rules *r = dx_rules_new();
	dx_error err;
	assert_int_equal(dx_rules_add_builtin(r, &err), DX_OK);
	dx_matcher *with = dx_matcher_new(r), *without = dx_matcher_new(r);
	dx_matcher_set_prefilter(without, 0);
	static const char *const statuses[] = {NULL, "5.1.1", "4.2.2", "5.7.1", "5.0.0"};
	size_t decided = 0;
	for (size_t i = 0; i < t.n; i++) {
		dx_facts f = {.status = statuses[i % NELEM(statuses)], .reply_code = (i % 3) ? 550 : 0,
			      .action = "failed", .diagnostic = t.v[i], .summary = i % 2 ? t.v[(i * 7) % t.n] : NULL};
		dx_verdict a, b;
		dx_classify(with, &f, &a);
		dx_classify(without, &f, &b);
		assert_string_equal(a.reason, b.reason);
		assert_int_equal(a.rule_line, b.rule_line);
		if (a.rule_line)
			decided++;
	}
	assert_true(decided > 1000);
	/* Many built-in rules are split, so the comparison above is one. */
	assert_true(dx_rules_split_count(r) > 30);
	dx_matcher_free(with);
	dx_matcher_free(without);
	dx_rules_free(r);
	free_texts(&t);
}

/* A rule's top-level alternatives are run one by one, only those whose
 * literals are present (classify.c split_pattern): the verdict must be the
 * whole pattern's, whichever alternative matches, and where an alternative
 * alone would mean something else (a back reference counts the groups of
 * the alternatives before it: alone, \2 would name another group). */
static void test_split_same(void **state)
{
	(void)state;
	static const char rules[] = "filtered /\\b(alpha)x\\b|\\b(beta)(gamma)\\2\\b/\n"
				    "blocked  /\\bdelta\\b|\\bepsilon\\b|\\bzeta\\s+eta\\b/i\n"
				    "expired  /\\bxyzzy\\b|\\bfoo(?i:bar)\\b|\\bquux\\b/\n";
	static const struct {
		const char *text, *reason; /* NULL: no rule matches */
	} cases[] = {
		{"it said betagammabeta", "filtered"}, /* \2 is (beta) */
		{"it said betagammagamma", NULL},
		{"alphax", "filtered"},
		{"Zeta  Eta was here", "blocked"},
		{"deltas", NULL},
		{"an epsilon b", "blocked"},
		{"fooBAR", "expired"},
		{"FOObar", NULL},
		{"Quux", NULL},
		{"xyzzy", "expired"},
	};
	dx_rules *r = dx_rules_new();
	dx_error err;
	assert_int_equal(dx_rules_add(r, "split", rules, strlen(rules), &err), DX_OK);
	/* Only the second is split: the first has a back reference, the
	 * third an option group, which splittable() refuses whole. */
	assert_int_equal(dx_rules_split_count(r), 1);
	dx_matcher *with = dx_matcher_new(r), *without = dx_matcher_new(r);
	dx_matcher_set_prefilter(without, 0);
	for (size_t i = 0; i < NELEM(cases); i++) {
		dx_facts f = {.action = "failed", .diagnostic = cases[i].text};
		dx_verdict a, b;
		dx_classify(with, &f, &a);
		dx_classify(without, &f, &b);
		const char *want = cases[i].reason ? cases[i].reason : "undefined";
		if (strcmp(a.reason, want) != 0 || strcmp(b.reason, want) != 0)
			fail_msg("'%s': with the prefilter %s, without %s, expected %s", cases[i].text, a.reason,
				 b.reason, want);
	}
	dx_matcher_free(with);
	dx_matcher_free(without);
	dx_rules_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rxlit_known),
		cmocka_unit_test(test_rxlit_possible),
		cmocka_unit_test(test_rxlit_sound),
		cmocka_unit_test(test_phrase_differential),
		cmocka_unit_test(test_phrase_large),
		cmocka_unit_test(test_markers_one_line),
		cmocka_unit_test(test_classify_same),
		cmocka_unit_test(test_split_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
