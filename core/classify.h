/* classify.h: the reason of a failed recipient, from rules kept as data.
 *
 * A rule names a reason and the conditions under which it applies: a PCRE2
 * pattern on the server's text, and optional conditions on the status code,
 * reply code, action and decoder. The syntax is in docs/rules.md and at the
 * top of core/rules/reasons.rules. Rules are compiled once (with the JIT
 * where available) into a dx_rules that threads share read-only; matching
 * needs a per-thread dx_matcher.
 *
 * Precedence, in this order:
 *   1. rules with a pattern, tried on the refusing server's own text (the
 *      diagnostic), user rules first, then built-in, in file order;
 *   2. the same rules on the report's own summary for the recipient;
 *   3. rules marked `weak` (ambiguous wording), on the diagnostic, then on
 *      the summary;
 *   4. rules without a pattern (stage, status or reply code only), in file
 *      order;
 *   5. "onhold" when there is a status or reply code, else "undefined".
 * So a specific phrase beats a generic status code, and the remote's words
 * beat the local server's summary.
 *
 * On bad input: a rule file that cannot be read, a bad pattern or an unknown
 * reason fails dx_rules_add() with the file and line in the error.
 */
#ifndef DX_CLASSIFY_H
#define DX_CLASSIFY_H

#include <stddef.h>

#include "dsnidx.h"

typedef struct dx_rules dx_rules;
typedef struct dx_matcher dx_matcher;

dx_rules *dx_rules_new(void);
void dx_rules_free(dx_rules *r);
/* Rules added after this are matched by PCRE2's interpreter, not its JIT:
 * slower, but memory checkers (valgrind) can follow it, while JIT code
 * reads past the subject in whole words on purpose and is reported. */
void dx_rules_no_jit(dx_rules *r);
/* Parses and compiles rules from text; `name` is used in errors and in
 * explanations. Rules added earlier take precedence. */
dx_status dx_rules_add(dx_rules *r, const char *name, const char *text, size_t n, dx_error *err);
dx_status dx_rules_add_file(dx_rules *r, const char *path, dx_error *err);
/* The built-in rules (core/rules/reasons.rules, compiled into the library). */
dx_status dx_rules_add_builtin(dx_rules *r, dx_error *err);
size_t dx_rules_count(const dx_rules *r);
/* How many rules are matched alternative by alternative (classify.c
 * split_pattern): for the tests, which hold the split rules to the whole
 * patterns and must know there are some. */
size_t dx_rules_split_count(const dx_rules *r);

/* A matcher for the rules as they are now (add no rules after this). */
dx_matcher *dx_matcher_new(const dx_rules *r);
void dx_matcher_free(dx_matcher *m);
/* Whether patterns are first screened by their literals (rxlit.h); on by
 * default. On, only the top-level alternatives whose literals a text holds
 * are run, each compiled alone. Off, every pattern is tried whole, as
 * written: the same verdicts, slower (the tests check both agree). */
void dx_matcher_set_prefilter(dx_matcher *m, int on);

/* What classification looks at. Any pointer may be NULL. */
typedef struct dx_facts {
	const char *status;
	int reply_code;
	const char *action;
	const char *decoder;
	const char *command;     /* SMTP stage: CONN HELO STARTTLS MAIL RCPT DATA */
	const char *remote_mta;  /* the host that answered, or NULL */
	const char *diagnostic;
	const char *summary;
	/* Read last, only when neither text, status nor code decides: a
	 * reply naming the recipient in the returned message. */
	const char *evidence;
	const char *evidence_command; /* its SMTP stage, or NULL */
} dx_facts;

/* How the reason was decided, for `dsnidx explain`. */
typedef struct dx_verdict {
	const char *reason;
	const char *rule_file;  /* NULL when no rule matched */
	unsigned rule_line;
	const char *rule_text;  /* the rule as written */
	const char *matched;    /* "diagnostic", "summary", "status",
				 * "returned message" or "default" */
} dx_verdict;

void dx_classify(dx_matcher *m, const dx_facts *f, dx_verdict *v);

/* Whether name is one of the 36 reasons. */
int dx_reason_known(const char *name);
/* The hard-bounce rule of docs/reasons.md. */
int dx_hard_bounce(const char *reason, const char *status, int reply_code, const char *action);

#endif
