/* cli.c: messages and option values for the command line; see cli.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *prog = "dsnidx";

void msg(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s--help' for more information.\n", prog, cmd ? cmd : "");
	return EXIT_USAGE;
}

int parse_uint(const char *s, unsigned long long max, unsigned long long *out, int allow_suffix)
{
	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	if (allow_suffix && *end) {
		unsigned long long mul = 1;
		switch (*end) {
		case 'k': case 'K': mul = 1ull << 10; break;
		case 'm': case 'M': mul = 1ull << 20; break;
		case 'g': case 'G': mul = 1ull << 30; break;
		case 't': case 'T': mul = 1ull << 40; break;
		default: return -1;
		}
		end++;
		if (v > max / mul)
			return -1;
		v *= mul;
	}
	if (*end || v > max)
		return -1;
	*out = v;
	return 0;
}

const char *default_db(void)
{
	const char *e = getenv("DSNIDX_DB");
	return e && *e ? e : "dsnidx.db";
}

