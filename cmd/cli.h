/* cli.h: what the command line's files share: messages, option values,
 * exit statuses, and the commands that read the index (query.c). */
#ifndef DX_CLI_H
#define DX_CLI_H

#include <stdio.h>

/* Exit statuses (documented in README and dsnidx(1)). */
enum { EXIT_PARTIAL = 1, EXIT_USAGE = 2, EXIT_BUSY = 75 /* EX_TEMPFAIL */ };

extern const char *prog;

/* "dsnidx: ..." on stderr. */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The message, a pointer to --help for cmd ("report " or NULL); EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A number up to max, with K/M/G suffixes when allowed; -1 if not one. */
int parse_uint(const char *s, unsigned long long max, unsigned long long *out, int allow_suffix);
/* $DSNIDX_DB, else ./dsnidx.db. */
const char *default_db(void);

/* The commands that read the index. */
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_summary(int argc, char **argv);
int cmd_recipients(int argc, char **argv);
int cmd_check(int argc, char **argv);
/* Their help, or NULL for another command. */
const char *query_help(const char *cmd);

#endif
