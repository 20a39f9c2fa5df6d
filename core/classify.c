/* classify.c: rule files and reason classification; see classify.h. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "classify.h"

#include <errno.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "phrase.h"
#include "rxlit.h"
#include "text.h"

static const char *const reasons[] = {
	"userunknown", "hostunknown", "hasmoved", "notaccept", "mailboxfull", "exceedlimit",
	"mesgtoobig", "suspend", "filtered", "rejected", "blocked", "requireptr",
	"badreputation", "authfailure", "securityerror", "failedstarttls", "norelaying",
	"spamdetected", "virusdetected", "policyviolation", "contenterror", "notcompliantrfc",
	"syntaxerror", "toomanyconn", "speeding", "expired", "networkerror", "systemerror",
	"systemfull", "mailererror", "suppressed", "onhold", "undefined", "delivered",
	"vacation", "feedback",
};

/* The interned name, so that rules and records share one pointer. */
static const char *reason_lookup(const char *name, size_t n)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (strlen(reasons[i]) == n && memcmp(reasons[i], name, n) == 0)
			return reasons[i];
	return NULL;
}

int dx_reason_known(const char *name)
{
	return name && reason_lookup(name, strlen(name)) != NULL;
}

int dx_hard_bounce(const char *reason, const char *status, int reply_code, const char *action)
{
	if (!reason)
		return 0;
	if (!strcmp(reason, "userunknown") || !strcmp(reason, "hostunknown") || !strcmp(reason, "hasmoved"))
		return 1;
	if (strcmp(reason, "notaccept") != 0)
		return 0;
	/* notaccept is hard only when the failure is permanent. */
	if (status && status[0])
		return status[0] == '5';
	if (reply_code)
		return reply_code >= 500;
	return action && strcmp(action, "failed") == 0;
}

/* ---- rules ---------------------------------------------------------------- */

typedef struct dx_rule {
	const char *reason;
	pcre2_code *re;          /* NULL: no pattern */
	char status[16];         /* "" or a pattern like "5.7.*" */
	char code[4];            /* "" or a pattern like "55x" */
	char *action;            /* NULL or a word */
	char *command;           /* NULL or an SMTP stage */
	int weak;                /* tried after every other pattern rule */
	char *decoder;           /* NULL or a name */
	char *rhost;             /* NULL or a host name, lower case: the
				  * remote host is it or ends in "." and it */
	const char *file;
	unsigned line;
	char *text;              /* the rule as written */
	dx_rxlit lits;           /* one of these is in every text the pattern
				  * matches; none: always try it */
	/* The pattern's top-level alternatives compiled one by one (the
	 * branches of lits), or none (nparts 0): see split_pattern. */
	pcre2_code *part[DX_RXLIT_SETS];
	size_t nparts;
	/* Whether the JIT has compiled each code: [0] the whole pattern,
	 * [1 + b] part b; NULL when patterns are interpreted (see
	 * jit_ready). */
	atomic_uchar *jitted;
} dx_rule;

_Static_assert(DX_RXLIT_SETS < 32, "a rule's branches are bits of a uint32_t");

struct dx_rules {
	dx_rule *v;
	size_t n, cap;
	char **files;            /* names, owned */
	size_t nfiles;
	uint32_t max_captures;
	/* The prefilter: every literal of every rule in one automaton, and
	 * for each literal the rule it belongs to. Rebuilt after each add. */
	dx_phrases *lits;
	size_t *lit_rule;
	unsigned char *lit_bit;  /* the literal's index within its rule */
	/* Literals that stand for any non-ASCII byte (DX_RXLIT_HIGH): not in
	 * the automaton; present when the text has such a byte. */
	size_t *high_rule;
	unsigned char *high_bit;
	size_t nhigh;
	int no_jit;              /* interpret patterns; see dx_rules_no_jit */
	/* Taken to JIT-compile a pattern on its first use (jit_ready); a
	 * pointer, so that matchers holding the rules as const may take it. */
	pthread_mutex_t *jit_mu;
};

/* In a matcher's cand[]: every branch, or a rule not split. */
#define ALL_BRANCHES UINT32_MAX

/* The rules worth trying on a text: bit i of `on` for rule i, and its
 * may[i]: which of its branches (dx_rxlit_branches), ALL_BRANCHES for the
 * whole pattern (may[] is read only where the bit is set). A text has a
 * literal of a few dozen of the hundreds of rules: the matcher walks the
 * bits, not every rule. */
typedef struct cand_set {
	uint32_t *may;
	uint64_t *on;
} cand_set;

struct dx_matcher {
	const dx_rules *rules;
	pcre2_match_data *md;
	/* The candidates for the diagnostic and the summary. */
	cand_set cand[2];
	size_t nwords;           /* of a cand_set's bits */
	uint64_t *always;        /* bit i: rule i has no literals, always tried */
	uint64_t *present;       /* per rule: which of its literals the text has */
	size_t *touched;         /* rules with a literal present, each once */
	size_t ntouched;
	int no_prefilter;
};

dx_rules *dx_rules_new(void)
{
	dx_rules *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->jit_mu = malloc(sizeof *r->jit_mu);
	if (!r->jit_mu || pthread_mutex_init(r->jit_mu, NULL) != 0) {
		free(r->jit_mu);
		free(r);
		return NULL;
	}
	return r;
}

void dx_rules_no_jit(dx_rules *r)
{
	r->no_jit = 1;
}

static void rule_clear(dx_rule *rule);

void dx_rules_free(dx_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		rule_clear(&r->v[i]);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	free(r->v);
	dx_phrases_free(r->lits);
	free(r->lit_rule);
	free(r->lit_bit);
	free(r->high_rule);
	free(r->high_bit);
	pthread_mutex_destroy(r->jit_mu);
	free(r->jit_mu);
	free(r);
}

size_t dx_rules_split_count(const dx_rules *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += r->v[i].nparts > 0;
	return n;
}

size_t dx_rules_count(const dx_rules *r)
{
	return r->n;
}

static dx_status fail(dx_error *err, dx_status st, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static dx_status fail(dx_error *err, dx_status st, const char *file, unsigned line, const char *fmt, ...)
{
	if (err) {
		char what[400];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(what, sizeof what, fmt, ap);
		va_end(ap);
		err->code = st;
		if (line)
			snprintf(err->message, sizeof err->message, "%s:%u: %s", file, line, what);
		else
			snprintf(err->message, sizeof err->message, "%s: %s", file, what);
	}
	return st;
}

/* "5.7.*": three dot-separated fields, each a number or '*'. */
static int valid_status_pattern(const char *s)
{
	int fields = 0;
	while (*s) {
		if (*s == '*')
			s++;
		else {
			int digits = 0;
			while (*s >= '0' && *s <= '9') {
				s++;
				digits++;
			}
			if (!digits || digits > 3)
				return 0;
		}
		fields++;
		if (*s == '.')
			s++;
		else if (*s)
			return 0;
	}
	return fields == 3;
}

static int status_matches(const char *pat, const char *st)
{
	if (!st)
		return 0;
	for (int f = 0; f < 3; f++) {
		const char *pe = pat;
		while (*pe && *pe != '.')
			pe++;
		const char *se = st;
		while (*se && *se != '.')
			se++;
		if (!(pe - pat == 1 && *pat == '*')) {
			if (pe - pat != se - st || memcmp(pat, st, (size_t)(pe - pat)) != 0)
				return 0;
		}
		if (f < 2) {
			if (*pe != '.' || *se != '.')
				return 0;
			pat = pe + 1;
			st = se + 1;
		} else if (*pe || *se)
			return 0;
	}
	return 1;
}

static int code_matches(const char *pat, int code)
{
	if (code < 100 || code > 999)
		return 0;
	char c[4];
	snprintf(c, sizeof c, "%d", code);
	for (int i = 0; i < 3; i++)
		if (pat[i] != 'x' && pat[i] != c[i])
			return 0;
	return 1;
}

static dx_status add_rule(dx_rules *r, dx_rule *rule, dx_error *err)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		dx_rule *v = realloc(r->v, cap * sizeof *v);
		if (!v)
			return fail(err, DX_ERR_NOMEM, rule->file, rule->line, "%s", "out of memory");
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = *rule;
	return DX_OK;
}

static void rule_clear(dx_rule *rule)
{
	pcre2_code_free(rule->re);
	for (size_t b = 0; b < rule->nparts; b++)
		pcre2_code_free(rule->part[b]);
	free(rule->jitted);
	dx_rxlit_clear(&rule->lits);
	free(rule->action);
	free(rule->command);
	free(rule->decoder);
	free(rule->rhost);
	free(rule->text);
	memset(rule, 0, sizeof *rule);
}

/* Whether each top-level alternative of pat[0..n) means alone what it
 * means within the whole: nothing in it may refer to another branch or
 * change options for the branches after it. So no inline option settings
 * or conditions ("(?i)", "(?(1)"), no back references or recursion ("\1",
 * "\g", "\k", "(?1)", "(?&name)", "(?P=name)"), no verbs ("(*...)"), no
 * quoting ("\Q"); the groups "(?:", "(?=", "(?!", "(?<=", "(?<!", "(?>",
 * "(?#" are fine. Conservative: a "(?" inside a character class also
 * refuses. */
static int splittable(const char *pat, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (pat[i] == '\\') {
			if (i + 1 < n && strchr("123456789gkQ", pat[i + 1]))
				return 0;
			i++;
			continue;
		}
		if (pat[i] != '(' || i + 1 >= n)
			continue;
		if (pat[i + 1] == '*')
			return 0;
		if (pat[i + 1] != '?')
			continue;
		char c = i + 2 < n ? pat[i + 2] : '\0';
		if (c == ':' || c == '=' || c == '!' || c == '>' || c == '#')
			continue;
		if (c == '<' && i + 3 < n && (pat[i + 3] == '=' || pat[i + 3] == '!'))
			continue;
		return 0;
	}
	return 1;
}

/* Compiles each top-level alternative of a rule's pattern alone, so that
 * only those whose literals a text holds are run: PCRE2 tries every
 * alternative of /\bspam\b|\bphishing\b|.../ at every position a word
 * starts (that rule of sixteen took 14,800 cycles a call on the bench
 * log's failure texts, the average rule 1,900; run alone, the
 * alternatives cut PCRE2's share of the log's instructions from 8.2% to
 * 2.0%: bench/README.md). A text matches the pattern exactly when it
 * matches one of its alternatives. Nothing is split that splittable() refuses, and
 * any failure leaves the rule whole (nparts 0): never a different answer. */
static void split_pattern(dx_rule *rule, const char *pat, size_t n, uint32_t opts)
{
	const dx_rxlit *l = &rule->lits;
	if (l->n == 0 || l->nbranches < 2 || !splittable(pat, n))
		return;
	for (size_t b = 0; b < l->nbranches; b++) {
		int ec;
		PCRE2_SIZE eo;
		if (l->bend[b] > n || l->bstart[b] > l->bend[b])
			break;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)(pat + l->bstart[b]), l->bend[b] - l->bstart[b], opts, &ec,
					       &eo, NULL);
		if (!re)
			break;
		rule->part[rule->nparts++] = re;
	}
	if (rule->nparts != l->nbranches) {
		for (size_t b = 0; b < rule->nparts; b++)
			pcre2_code_free(rule->part[b]);
		rule->nparts = 0;
	}
}

static char *dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Parses one line into a rule; returns DX_OK with rule->reason NULL for a
 * blank or comment line. */
static dx_status parse_line(const char *file, unsigned lineno, const char *p, size_t n, int jit, dx_rule *rule,
			    dx_error *err)
{
	memset(rule, 0, sizeof *rule);
	rule->file = file;
	rule->line = lineno;
	size_t i = 0;
	while (i < n && dx_is_space(p[i]))
		i++;
	if (i == n || p[i] == '#')
		return DX_OK;
	size_t rs = i;
	while (i < n && !dx_is_space(p[i]))
		i++;
	const char *reason = reason_lookup(p + rs, i - rs);
	if (!reason) {
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)(i - rs < 60 ? i - rs : 60), p + rs);
		return fail(err, DX_ERR_RULES, file, lineno, "unknown reason '%s' (see docs/reasons.md)", name);
	}
	rule->reason = reason;
	size_t end = n;
	while (end > rs && dx_is_space(p[end - 1]))
		end--;
	rule->text = dup_n(p + rs, end - rs);
	if (!rule->text)
		return fail(err, DX_ERR_NOMEM, file, lineno, "%s", "out of memory");

	int conditions = 0;
	for (;;) {
		while (i < n && dx_is_space(p[i]))
			i++;
		if (i >= n || p[i] == '#')
			break;
		if (n - i >= 4 && memcmp(p + i, "weak", 4) == 0 && (n - i == 4 || dx_is_space(p[i + 4]))) {
			rule->weak = 1;
			i += 4;
			continue;
		}
		conditions++;
		if (p[i] == '/') {
			/* /pattern/flags; a '/' inside is written '\/'. */
			size_t s = ++i;
			while (i < n && p[i] != '/') {
				if (p[i] == '\\' && i + 1 < n)
					i++;
				i++;
			}
			if (i >= n) {
				rule_clear(rule);
				return fail(err, DX_ERR_RULES, file, lineno, "%s", "pattern has no closing '/'");
			}
			size_t pe = i++;
			uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
			while (i < n && !dx_is_space(p[i])) {
				if (p[i] == 'i')
					opts |= PCRE2_CASELESS;
				else {
					char f[2] = {p[i], 0};
					rule_clear(rule);
					return fail(err, DX_ERR_RULES, file, lineno, "unknown pattern flag '%s'", f);
				}
				i++;
			}
			if (rule->re) {
				rule_clear(rule);
				return fail(err, DX_ERR_RULES, file, lineno, "%s", "a rule has at most one pattern");
			}
			/* Unescape "\/" only; PCRE2 sees everything else as written. */
			char *pat = malloc(pe - s + 1);
			if (!pat) {
				rule_clear(rule);
				return fail(err, DX_ERR_NOMEM, file, lineno, "%s", "out of memory");
			}
			size_t k = 0;
			for (size_t j = s; j < pe; j++) {
				if (p[j] == '\\' && j + 1 < pe && p[j + 1] == '/')
					j++;
				pat[k++] = p[j];
			}
			int ec;
			PCRE2_SIZE eo;
			rule->re = pcre2_compile((PCRE2_SPTR)pat, k, opts, &ec, &eo, NULL);
			if (rule->re && dx_rxlit_find(pat, k, &rule->lits) < 0) {
				free(pat);
				rule_clear(rule);
				return fail(err, DX_ERR_NOMEM, file, lineno, "%s", "out of memory");
			}
			if (rule->re)
				split_pattern(rule, pat, k, opts);
			free(pat);
			if (!rule->re) {
				PCRE2_UCHAR msg[256];
				pcre2_get_error_message(ec, msg, sizeof msg);
				char what[300];
				snprintf(what, sizeof what, "bad pattern at offset %zu: %s", (size_t)eo, (char *)msg);
				rule_clear(rule);
				return fail(err, DX_ERR_RULES, file, lineno, "%s", what);
			}
			/* The JIT compiles a pattern when it is first tried
			 * (jit_ready): of some three hundred codes a run tries a
			 * few dozen, and compiling them all was three quarters of
			 * the start-up. */
			if (jit) {
				rule->jitted = calloc(1 + rule->nparts, sizeof *rule->jitted);
				if (!rule->jitted) {
					rule_clear(rule);
					return fail(err, DX_ERR_NOMEM, file, lineno, "%s", "out of memory");
				}
			}
			continue;
		}
		size_t ks = i;
		while (i < n && p[i] != '=' && !dx_is_space(p[i]))
			i++;
		size_t kl = i - ks;
		if (i >= n || p[i] != '=') {
			char word[64];
			snprintf(word, sizeof word, "%.*s", (int)(kl < 60 ? kl : 60), p + ks);
			rule_clear(rule);
			return fail(err, DX_ERR_RULES, file, lineno,
				    "expected /pattern/ or key=value, found '%s'", word);
		}
		size_t vs = ++i;
		while (i < n && !dx_is_space(p[i]))
			i++;
		size_t vl = i - vs;
		char val[64];
		if (vl == 0 || vl >= sizeof val) {
			rule_clear(rule);
			return fail(err, DX_ERR_RULES, file, lineno, "%s", "empty or overlong value");
		}
		memcpy(val, p + vs, vl);
		val[vl] = '\0';
		if (kl == 6 && memcmp(p + ks, "status", 6) == 0) {
			if (!valid_status_pattern(val) || vl >= sizeof rule->status) {
				rule_clear(rule);
				return fail(err, DX_ERR_RULES, file, lineno,
					    "bad status pattern '%s' (like 5.1.1, *.1.1 or 5.7.*)", val);
			}
			memcpy(rule->status, val, vl + 1);
		} else if (kl == 4 && memcmp(p + ks, "code", 4) == 0) {
			int ok = vl == 3 && (val[0] >= '2' && val[0] <= '5');
			for (int j = 1; ok && j < 3; j++)
				ok = (val[j] >= '0' && val[j] <= '9') || val[j] == 'x';
			if (!ok) {
				rule_clear(rule);
				return fail(err, DX_ERR_RULES, file, lineno, "bad reply code pattern '%s' (like 550 or 55x)", val);
			}
			memcpy(rule->code, val, 4);
		} else if (kl == 6 && memcmp(p + ks, "action", 6) == 0) {
			dx_ascii_lower(val);
			rule->action = dup_n(val, vl);
		} else if (kl == 7 && memcmp(p + ks, "command", 7) == 0) {
			static const char *const known[] = {"CONN", "HELO", "STARTTLS", "MAIL", "RCPT", "DATA", "NONE"};
			for (size_t j = 0; j < vl; j++)
				val[j] = (char)(val[j] >= 'a' && val[j] <= 'z' ? val[j] - 32 : val[j]);
			int ok = 0;
			for (size_t j = 0; j < sizeof known / sizeof known[0]; j++)
				ok |= strcmp(val, known[j]) == 0;
			if (!ok) {
				rule_clear(rule);
				return fail(err, DX_ERR_RULES, file, lineno,
					    "bad command '%s' (CONN, HELO, STARTTLS, MAIL, RCPT, DATA or NONE)", val);
			}
			rule->command = dup_n(val, vl);
		} else if (kl == 7 && memcmp(p + ks, "decoder", 7) == 0) {
			rule->decoder = dup_n(val, vl);
		} else if (kl == 5 && memcmp(p + ks, "rhost", 5) == 0) {
			dx_ascii_lower(val);
			int ok = val[0] != '.' && val[vl - 1] != '.';
			for (size_t j = 0; ok && j < vl; j++)
				ok = (val[j] >= 'a' && val[j] <= 'z') || (val[j] >= '0' && val[j] <= '9') || val[j] == '-' ||
				     val[j] == '.';
			if (!ok) {
				rule_clear(rule);
				return fail(err, DX_ERR_RULES, file, lineno,
					    "bad host name '%s' (letters, digits, '-' and inner dots, like example.net)", val);
			}
			rule->rhost = dup_n(val, vl);
		} else {
			char word[64];
			snprintf(word, sizeof word, "%.*s", (int)(kl < 60 ? kl : 60), p + ks);
			rule_clear(rule);
			return fail(err, DX_ERR_RULES, file, lineno,
				    "unknown condition '%s' (status, code, action, command, decoder, rhost)", word);
		}
	}
	if (!conditions) {
		rule_clear(rule);
		return fail(err, DX_ERR_RULES, file, lineno, "%s", "a rule needs at least one condition");
	}
	if (rule->weak && !rule->re) {
		rule_clear(rule);
		return fail(err, DX_ERR_RULES, file, lineno, "%s", "'weak' applies only to a rule with a pattern");
	}
	return DX_OK;
}

/* Puts the literals of every rule into one automaton. */
static int build_prefilter(dx_rules *r)
{
	dx_phrases_free(r->lits);
	free(r->lit_rule);
	free(r->lit_bit);
	free(r->high_rule);
	free(r->high_bit);
	r->lits = NULL;
	r->lit_rule = NULL;
	r->lit_bit = NULL;
	r->high_rule = NULL;
	r->high_bit = NULL;
	r->nhigh = 0;
	size_t total = 0;
	for (size_t i = 0; i < r->n; i++)
		total += r->v[i].lits.n;
	const char **lits = malloc((total ? total : 1) * sizeof *lits);
	r->lit_rule = malloc((total ? total : 1) * sizeof *r->lit_rule);
	r->lit_bit = malloc(total ? total : 1);
	r->high_rule = malloc((total ? total : 1) * sizeof *r->high_rule);
	r->high_bit = malloc(total ? total : 1);
	if (!lits || !r->lit_rule || !r->lit_bit || !r->high_rule || !r->high_bit) {
		free(lits);
		return -1;
	}
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++)
		for (size_t j = 0; j < r->v[i].lits.n; j++) {
			if (strcmp(r->v[i].lits.lit[j], DX_RXLIT_HIGH) == 0) {
				r->high_bit[r->nhigh] = (unsigned char)j;
				r->high_rule[r->nhigh++] = i;
				continue;
			}
			lits[k] = r->v[i].lits.lit[j];
			r->lit_bit[k] = (unsigned char)j;
			r->lit_rule[k++] = i;
		}
	r->lits = dx_phrases_new(lits, NULL, k, DX_PHRASES_LOOSE);
	free(lits);
	return r->lits ? 0 : -1;
}

dx_status dx_rules_add(dx_rules *r, const char *name, const char *text, size_t n, dx_error *err)
{
	char **files = realloc(r->files, (r->nfiles + 1) * sizeof *files);
	if (!files)
		return fail(err, DX_ERR_NOMEM, name, 0, "%s", "out of memory");
	r->files = files;
	char *fname = dup_n(name, strlen(name));
	if (!fname)
		return fail(err, DX_ERR_NOMEM, name, 0, "%s", "out of memory");
	r->files[r->nfiles++] = fname;

	unsigned lineno = 0;
	size_t i = 0;
	while (i < n) {
		size_t e = dx_line_end(text, n, i);
		lineno++;
		size_t len = e - i;
		if (len && text[i + len - 1] == '\r')
			len--;
		dx_rule rule;
		dx_status st = parse_line(fname, lineno, text + i, len, !r->no_jit, &rule, err);
		if (st != DX_OK)
			return st;
		if (rule.reason && (st = add_rule(r, &rule, err)) != DX_OK) {
			rule_clear(&rule);
			return st;
		}
		i = e + 1;
	}
	return build_prefilter(r) < 0 ? fail(err, DX_ERR_NOMEM, name, 0, "%s", "out of memory") : DX_OK;
}

dx_status dx_rules_add_file(dx_rules *r, const char *path, dx_error *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return fail(err, DX_ERR_RULES, path, 0, "cannot open: %s", strerror(errno));
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (cap - len < 4096) {
			if (cap > (64u << 20)) {
				free(buf);
				fclose(f);
				return fail(err, DX_ERR_RULES, path, 0, "%s", "rule file larger than 64 MiB");
			}
			cap = cap ? cap * 2 : 16384;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return fail(err, DX_ERR_NOMEM, path, 0, "%s", "out of memory");
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return fail(err, DX_ERR_RULES, path, 0, "%s", "read error");
	}
	dx_status st = dx_rules_add(r, path, buf ? buf : "", len, err);
	free(buf);
	return st;
}

/* Generated at build time from core/rules/reasons.rules. */
extern const char dx_builtin_rules[];
extern const size_t dx_builtin_rules_len;

dx_status dx_rules_add_builtin(dx_rules *r, dx_error *err)
{
	return dx_rules_add(r, "builtin:reasons.rules", dx_builtin_rules, dx_builtin_rules_len, err);
}

/* ---- matching -------------------------------------------------------------- */

dx_matcher *dx_matcher_new(const dx_rules *r)
{
	dx_matcher *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->rules = r;
	m->md = pcre2_match_data_create(1, NULL);
	m->nwords = (r->n + 63) / 64 + 1;
	int ok = m->md != NULL;
	for (int t = 0; t < 2; t++) {
		m->cand[t].may = calloc(r->n ? r->n : 1, sizeof *m->cand[t].may);
		m->cand[t].on = calloc(m->nwords, sizeof *m->cand[t].on);
		ok = ok && m->cand[t].may && m->cand[t].on;
	}
	m->always = calloc(m->nwords, sizeof *m->always);
	m->present = calloc(r->n ? r->n : 1, sizeof *m->present);
	m->touched = malloc((r->n ? r->n : 1) * sizeof *m->touched);
	if (!ok || !m->always || !m->present || !m->touched) {
		dx_matcher_free(m);
		return NULL;
	}
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].lits.n == 0) {
			m->always[i / 64] |= (uint64_t)1 << (i % 64);
			m->cand[0].may[i] = m->cand[1].may[i] = ALL_BRANCHES;
		}
	return m;
}

void dx_matcher_set_prefilter(dx_matcher *m, int on)
{
	m->no_prefilter = !on;
}

void dx_matcher_free(dx_matcher *m)
{
	if (!m)
		return;
	pcre2_match_data_free(m->md);
	for (int t = 0; t < 2; t++) {
		free(m->cand[t].may);
		free(m->cand[t].on);
	}
	free(m->always);
	free(m->present);
	free(m->touched);
	free(m);
}

/* Whether host (as a report names it: any case, perhaps a final dot) is
 * name or a host under it. */
static int host_within(const char *host, const char *name)
{
	if (!host)
		return 0;
	size_t hn = strlen(host), nn = strlen(name);
	if (hn && host[hn - 1] == '.')
		hn--;
	if (hn < nn || dx_strncasecmp(host + hn - nn, name, nn) != 0)
		return 0;
	return hn == nn || host[hn - nn - 1] == '.';
}

static int conditions_hold(const dx_rule *rule, const dx_facts *f)
{
	if (rule->status[0] && !status_matches(rule->status, f->status))
		return 0;
	if (rule->code[0] && !code_matches(rule->code, f->reply_code))
		return 0;
	if (rule->action && (!f->action || strcmp(rule->action, f->action) != 0))
		return 0;
	if (rule->decoder && (!f->decoder || strcmp(rule->decoder, f->decoder) != 0))
		return 0;
	if (rule->rhost && !host_within(f->remote_mta, rule->rhost))
		return 0;
	if (rule->command) {
		/* NONE: the report does not say. */
		const char *c = f->command ? f->command : "NONE";
		if (strcmp(rule->command, c) != 0)
			return 0;
	}
	return 1;
}

static void verdict_from(dx_verdict *v, const dx_rule *rule, const char *matched)
{
	v->reason = rule->reason;
	v->rule_file = rule->file;
	v->rule_line = rule->line;
	v->rule_text = rule->text;
	v->matched = matched;
}

/* Literal `bit` of rule `rule` is in the text. */
static void mark_present(dx_matcher *m, size_t rule, unsigned bit)
{
	if (!m->present[rule])
		m->touched[m->ntouched++] = rule;
	m->present[rule] |= (uint64_t)1 << bit;
}

static int mark_literal(void *arg, size_t id, size_t end)
{
	(void)end;
	dx_matcher *m = arg;
	mark_present(m, m->rules->lit_rule[id], m->rules->lit_bit[id]);
	return 0;
}

/* 1 when st is an enhanced status code whose detail is not 0. */
static int specific_status(const char *st)
{
	if (!st)
		return 0;
	const char *last = strrchr(st, '.');
	if (!last || last == st || !last[1])
		return 0;
	return !(last[1] == '0' && last[2] == '\0');
}

static int fold_trap(const char *s, size_t n)
{
	for (const char *p = s; (p = memchr(p, 0xe2, (size_t)(s + n - p))) != NULL; p++)
		if (s + n - p >= 3 && (unsigned char)p[1] == 0x84 && (unsigned char)p[2] == 0xaa)
			return 1;
	for (const char *p = s; (p = memchr(p, 0xc5, (size_t)(s + n - p))) != NULL; p++)
		if (s + n - p >= 2 && (unsigned char)p[1] == 0xbf)
			return 1;
	return 0;
}

/* Whether s[0..n) has a byte from 0x80 up: eight at a time. */
static int has_high_byte(const char *s, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080ull)
			return 1;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

/* Which rules are worth trying on s: those whose literals present allow a
 * match (rxlit.h), and those without literals. PCRE2's Unicode case folding lets 'k' and 's' match
 * U+212A and U+017F, which no ASCII literal finds: with either in the
 * text, every rule is tried. */
static void candidates(dx_matcher *m, const char *s, size_t sn, cand_set *c)
{
	const dx_rules *r = m->rules;
	if (m->no_prefilter || !r->lits || fold_trap(s, sn)) {
		memset(c->on, 0, m->nwords * sizeof *c->on);
		for (size_t i = 0; i < r->n; i++) {
			c->may[i] = ALL_BRANCHES;
			c->on[i / 64] |= (uint64_t)1 << (i % 64);
		}
		return;
	}
	/* Rules without literals are always tried (their may[] is set once,
	 * and no literal touches them); of the others, only those with a
	 * literal present are looked at (present[] is all zero between
	 * calls: each touched entry is cleared after use). */
	memcpy(c->on, m->always, m->nwords * sizeof *c->on);
	m->ntouched = 0;
	dx_phrases_scan(r->lits, s, sn, mark_literal, m);
	if (r->nhigh && has_high_byte(s, sn))
		for (size_t h = 0; h < r->nhigh; h++)
			mark_present(m, r->high_rule[h], r->high_bit[h]);
	for (size_t k = 0; k < m->ntouched; k++) {
		size_t i = m->touched[k];
		uint32_t may = dx_rxlit_branches(&r->v[i].lits, m->present[i]);
		m->present[i] = 0;
		if (may) {
			c->may[i] = may;
			c->on[i / 64] |= (uint64_t)1 << (i % 64);
		}
	}
}

/* Code k of rule (0: the whole pattern, 1 + b: part b), compiled by the
 * JIT first if it is not yet: once, by whichever matcher needs it first,
 * under the rules' lock; the others wait for it, so that no thread matches
 * a code while another compiles it. A code the JIT cannot compile is
 * interpreted by pcre2_match. */
static const pcre2_code *jit_ready(const dx_rules *r, const dx_rule *rule, size_t k, pcre2_code *re)
{
	if (!rule->jitted || atomic_load_explicit(&rule->jitted[k], memory_order_acquire))
		return re;
	pthread_mutex_lock(r->jit_mu);
	if (!atomic_load_explicit(&rule->jitted[k], memory_order_relaxed)) {
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
		atomic_store_explicit(&rule->jitted[k], 1, memory_order_release);
	}
	pthread_mutex_unlock(r->jit_mu);
	return re;
}

/* Whether rule's pattern matches s[0..sn), trying only the branches in
 * `may` when the rule is split. Without the prefilter, the pattern as
 * written: the reference the tests hold the split parts to. */
static int pattern_matches(dx_matcher *m, const dx_rule *rule, uint32_t may, const char *s, size_t sn)
{
	if (!rule->nparts || m->no_prefilter)
		return pcre2_match(jit_ready(m->rules, rule, 0, rule->re), (PCRE2_SPTR)s, sn, 0, 0, m->md, NULL) >= 0;
	if (may == ALL_BRANCHES)
		may = ((uint32_t)1 << rule->nparts) - 1;
	for (; may; may &= may - 1) {
		unsigned b = (unsigned)__builtin_ctz(may);
		if (b < rule->nparts &&
		    pcre2_match(jit_ready(m->rules, rule, 1 + b, rule->part[b]), (PCRE2_SPTR)s, sn, 0, 0, m->md, NULL) >= 0)
			return 1;
	}
	return 0;
}

/* The first pattern rule (weak ones, or the others) that holds for f and
 * matches s[0..sn), among the candidates cand: 1 with v set, else 0. */
static int match_text(dx_matcher *m, const dx_facts *f, const char *s, size_t sn, const cand_set *c, int weak,
		      const char *name, dx_verdict *v)
{
	const dx_rules *r = m->rules;
	/* The candidates in the rules' order: the bits, word by word. */
	for (size_t w = 0; w < m->nwords; w++)
		for (uint64_t bits = c->on[w]; bits; bits &= bits - 1) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
			const dx_rule *rule = &r->v[i];
			if (!rule->re || rule->weak != weak || !conditions_hold(rule, f))
				continue;
			if (pattern_matches(m, rule, c->may[i], s, sn)) {
				verdict_from(v, rule, name);
				return 1;
			}
		}
	return 0;
}

void dx_classify(dx_matcher *m, const dx_facts *f, dx_verdict *v)
{
	const dx_rules *r = m->rules;
	const char *texts[2] = {f->diagnostic, f->summary};
	const char *names[2] = {"diagnostic", "summary"};

	/* Specific phrases on both texts first, then the weak inferences.
	 * Each text is screened once, for both passes. */
	size_t lens[2] = {0, 0};
	int screened[2] = {0, 0};
	for (int weak = 0; weak < 2; weak++) {
		/* Ambiguous wording is weaker evidence than a specific
		 * enhanced code (X.Y.Z with a detail other than 0, such as
		 * 5.7.1 or 5.2.2): when the first rule without a pattern that
		 * holds is one naming such a code, it decides before the weak
		 * rules. "Other or undefined" codes (X.Y.0) do not, nor does a
		 * rule of stage or action that comes first. */
		if (weak && specific_status(f->status)) {
			for (size_t i = 0; i < r->n; i++) {
				const dx_rule *rule = &r->v[i];
				if (rule->re || !conditions_hold(rule, f))
					continue;
				if (rule->status[0]) {
					verdict_from(v, rule, "status");
					return;
				}
				break;
			}
		}
		for (int t = 0; t < 2; t++) {
			const char *s = texts[t];
			if (!s || !*s)
				continue;
			if (!screened[t]) {
				lens[t] = strlen(s);
				candidates(m, s, lens[t], &m->cand[t]);
				screened[t] = 1;
			}
			if (match_text(m, f, s, lens[t], &m->cand[t], weak, names[t], v))
				return;
		}
	}
	for (size_t i = 0; i < r->n; i++) {
		const dx_rule *rule = &r->v[i];
		if (!rule->re && conditions_hold(rule, f)) {
			verdict_from(v, rule, "status");
			return;
		}
	}
	/* The report said nothing that decides, and gave no code either: a
	 * reply naming the recipient in the returned message is the only
	 * evidence left. Never read before: the report's own words are
	 * closer to the failure than anything it quotes. */
	int coded = (f->status && *f->status) || f->reply_code;
	if (!coded && f->evidence && *f->evidence) {
		dx_facts ef = *f;
		if (!ef.command)
			ef.command = f->evidence_command;
		size_t en = strlen(f->evidence);
		candidates(m, f->evidence, en, &m->cand[0]);
		for (int weak = 0; weak < 2; weak++)
			if (match_text(m, &ef, f->evidence, en, &m->cand[0], weak, "returned message", v))
				return;
	}
	v->reason = coded ? "onhold" : "undefined";
	v->rule_file = NULL;
	v->rule_line = 0;
	v->rule_text = NULL;
	v->matched = "default";
}
