/* query.c: the commands that read the index: report, export, summary,
 * recipients, check. Each opens the index read-only (an index run may be
 * writing it: SQLite's WAL lets both go on), takes the same window and
 * conditions (--since, --until, --where), and prints.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dsnidx.h"

#define FILTER_HELP                                                                            \
	"  -s, --since TIME         records at or after TIME: a date or date-time in UTC\n"       \
	"                           (2026-11-27, 2026-11-27T08:30) or an age (30m, 24h, 7d)\n"    \
	"  -u, --until TIME         records before TIME (same forms)\n"                          \
	"  -w, --where COL=VALUE    only records whose COL is VALUE; repeat it: the same\n"        \
	"                           column means any of the values, columns must all match\n"   \
	"                           (reason=userunknown, domain=example.org, hard_bounce=1)\n"  \
	"  -A, --attempts           every attempt a mail log recorded: a deferral later\n"    \
	"                           delivered or failed counts too (by default only the\n"   \
	"                           final outcome of each queue id and recipient does)\n"    \
	"  -d, --db FILE            the index (default $DSNIDX_DB, else ./dsnidx.db)\n"

static const char help_report[] =
	"Usage: dsnidx report [OPTION]... --by KEY[,KEY]...\n"
	"Count the indexed records grouped by the given keys.\n"
	"\n"
	"  -b, --by KEYS            comma-separated keys: status, reply_code, reason,\n"
	"                           action, reporting_mta, remote_mta, domain,\n"
	"                           hard_bounce, decoder, and the times day, hour, minute\n"
	"  -n, --top N              show the first N rows (the rest are summed in one line)\n"
	"  -f, --format FORMAT      text (default: aligned table with a total), csv or json\n"
	"  -r, --rates              outcomes with the successful deliveries read from mail\n"
	"                           logs: columns delivered, failed, delayed, count and\n"
	"                           failure_rate (failed / count); keys among domain,\n"
	"                           reporting_mta, remote_mta, day and hour\n"
	FILTER_HELP
	"  -h, --help               show this help\n"
	"\n"
	"Rows are ordered by time when a time is a key, then by count, largest first.\n"
	"Times are UTC. The count column is named 'count'. The counts are those of\n"
	"'dsnidx export' with the same window and conditions; records whose time is\n"
	"unknown are counted only when no window is given.\n";

static const char help_export[] =
	"Usage: dsnidx export [OPTION]...\n"
	"Print the indexed records, in the order they were indexed.\n"
	"\n"
	"  -f, --format FORMAT      csv (default) or jsonl\n"
	"  -c, --columns LIST       these columns only, in this order (comma-separated;\n"
	"                           see docs/output.md)\n"
	"      --spreadsheet-safe   CSV cells that begin with = + - @ get a leading\n"
	"                           apostrophe, so that a spreadsheet shows them as text\n"
	FILTER_HELP
	"  -h, --help               show this help\n";

static const char help_summary[] =
	"Usage: dsnidx summary [OPTION]...\n"
	"The outage view: what failed in a window, in one screen. Totals by action and\n"
	"hard or soft, the top status codes, reasons, generating servers, refusing\n"
	"servers and domains, and a histogram per hour (per day over 3 days).\n"
	"\n"
	"  -n, --top N              rows per list (default 10)\n"
	"  -f, --format FORMAT      text (default) or json\n"
	"  -a, --all                every record, not the last 24 hours\n"
	FILTER_HELP
	"  -h, --help               show this help\n"
	"\n"
	"Without --since, --until or --all, the window is the last 24 hours.\n";

static const char help_recipients[] =
	"Usage: dsnidx recipients [OPTION]...\n"
	"Print the addresses that failed, one a line, sorted, each once: a list to\n"
	"suppress or to send again. Delayed recipients are left out unless\n"
	"--where action=delayed (or another action) is given.\n"
	"\n"
	"      --hard               hard bounces only (the address itself is bad)\n"
	FILTER_HELP
	"  -h, --help               show this help\n";

static const char help_check[] =
	"Usage: dsnidx check [OPTION]...\n"
	"Check the index: SQLite's integrity check, the report counts against the\n"
	"records (combination by combination), every record's source. Prints\n"
	"'FILE: ok' and exits 0, or names each problem on stderr and exits 1.\n"
	"\n"
	"  -d, --db FILE            the index (default $DSNIDX_DB, else ./dsnidx.db)\n"
	"  -h, --help               show this help\n";

const char *query_help(const char *cmd)
{
	if (!strcmp(cmd, "report"))
		return help_report;
	if (!strcmp(cmd, "export"))
		return help_export;
	if (!strcmp(cmd, "summary"))
		return help_summary;
	if (!strcmp(cmd, "recipients"))
		return help_recipients;
	if (!strcmp(cmd, "check"))
		return help_check;
	return NULL;
}

/* ---- the options they share ---------------------------------------------------- */

enum { OPT_SPREADSHEET_SAFE = 2000, OPT_HARD };

#define FILTER_LONGOPTS                                  \
	{"since", required_argument, NULL, 's'},          \
	{"until", required_argument, NULL, 'u'},          \
	{"where", required_argument, NULL, 'w'},          \
	{"attempts", no_argument, NULL, 'A'},             \
	{"db", required_argument, NULL, 'd'},             \
	{"help", no_argument, NULL, 'h'}

typedef struct common {
	const char *cmd;           /* "report " etc., for messages */
	const char *db;
	dx_filter filter;
	int64_t now;
} common;

/* Handles -s -u -w -A -d; 1 if it was one, 0 if not, -1 on a bad value
 * (reported). */
static int common_option(common *co, int c)
{
	dx_error err;
	int64_t t;
	switch (c) {
	case 's':
	case 'u':
		if (dx_time_arg(optarg, co->now, &t, &err) != DX_OK)
			return usage_error(co->cmd, "--%s: %s", c == 's' ? "since" : "until", err.message), -1;
		if (c == 's') {
			co->filter.has_since = 1;
			co->filter.since = t;
		} else {
			co->filter.has_until = 1;
			co->filter.until = t;
		}
		return 1;
	case 'w':
		if (dx_filter_where(&co->filter, optarg, &err) != DX_OK)
			return usage_error(co->cmd, "--where: %s", err.message), -1;
		return 1;
	case 'd':
		co->db = optarg;
		return 1;
	case 'A':
		co->filter.attempts = 1;
		return 1;
	}
	return 0;
}

static void common_init(common *co, const char *cmd)
{
	memset(co, 0, sizeof *co);
	co->cmd = cmd;
	co->db = default_db();
	co->now = (int64_t)time(NULL);
}

static int open_index(const common *co, dx_store **s)
{
	dx_error err = {0};
	if (co->filter.has_since && co->filter.has_until && co->filter.until <= co->filter.since)
		return usage_error(co->cmd, "--until must be after --since");
	if (dx_store_open(co->db, DX_STORE_READONLY, s, &err) != DX_OK) {
		msg("%s", err.message);
		return EXIT_PARTIAL;
	}
	return 0;
}

/* ---- report ------------------------------------------------------------------------- */

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"by", required_argument, NULL, 'b'},
		{"top", required_argument, NULL, 'n'},
		{"format", required_argument, NULL, 'f'},
		{"rates", no_argument, NULL, 'r'},
		FILTER_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	common co;
	common_init(&co, "report ");
	dx_report_query q;
	memset(&q, 0, sizeof q);
	dx_format fmt = DX_FMT_TEXT;
	int c;
	unsigned long long v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:n:f:rs:u:w:Ad:h", opts, NULL)) != -1) {
		int r = common_option(&co, c);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case 'b': {
			char *list = strdup(optarg);
			if (!list)
				return EXIT_PARTIAL;
			char *save = NULL;
			for (char *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
				int key = dx_key_parse(k);
				if (key < 0) {
					usage_error("report ",
						    "--by: unknown key '%s' (status, reply_code, reason, action, "
						    "reporting_mta, remote_mta, domain, hard_bounce, decoder, day, hour, minute)",
						    k);
					free(list);
					return EXIT_USAGE;
				}
				for (unsigned i = 0; i < q.nkeys; i++)
					if (q.keys[i] == (dx_key)key) {
						usage_error("report ", "--by: key '%s' given twice", k);
						free(list);
						return EXIT_USAGE;
					}
				q.keys[q.nkeys++] = (dx_key)key;
			}
			free(list);
			break;
		}
		case 'n':
			if (parse_uint(optarg, ULLONG_MAX, &v, 0) < 0 || v == 0)
				return usage_error("report ", "--top: expected a positive number, got '%s'", optarg);
			q.top = v;
			break;
		case 'f': {
			int f = dx_format_parse(optarg);
			if (f != DX_FMT_TEXT && f != DX_FMT_CSV && f != DX_FMT_JSON)
				return usage_error("report ", "--format: expected text, csv or json, got '%s'", optarg);
			fmt = (dx_format)f;
			break;
		}
		case 'r':
			q.rates = 1;
			break;
		case 'h':
			fputs(help_report, stdout);
			return 0;
		default:
			return usage_error("report ", "unknown option");
		}
	}
	if (optind < argc)
		return usage_error("report ", "unexpected argument '%s'", argv[optind]);
	if (q.nkeys == 0)
		return usage_error("report ", "--by is required");
	q.filter = co.filter;

	dx_store *s;
	int st = open_index(&co, &s);
	if (st)
		return st;
	dx_error err = {0};
	dx_report *r;
	if (dx_store_report(s, &q, &r, &err) != DX_OK) {
		if (err.code == DX_ERR_USAGE)
			usage_error("report ", "%s", err.message);
		else
			msg("%s", err.message);
		dx_store_close(s, NULL);
		return err.code == DX_ERR_USAGE ? EXIT_USAGE : EXIT_PARTIAL;
	}
	int status = 0;
	if (dx_report_write(stdout, r, fmt) < 0) {
		msg("cannot write the report: %s", strerror(errno));
		status = EXIT_PARTIAL;
	}
	dx_report_free(r);
	dx_store_close(s, NULL);
	return status;
}

/* ---- export -------------------------------------------------------------------------- */

static int export_record(void *arg, const dx_record *r)
{
	return dx_writer_record(arg, r);
}

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"columns", required_argument, NULL, 'c'},
		{"spreadsheet-safe", no_argument, NULL, OPT_SPREADSHEET_SAFE},
		FILTER_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	common co;
	common_init(&co, "export ");
	dx_format fmt = DX_FMT_CSV;
	dx_column cols[DX_NCOLUMNS];
	size_t ncols = 0;
	unsigned flags = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:c:s:u:w:Ad:h", opts, NULL)) != -1) {
		int r = common_option(&co, c);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case 'f': {
			int f = dx_format_parse(optarg);
			if (f != DX_FMT_CSV && f != DX_FMT_JSONL)
				return usage_error("export ", "--format: expected csv or jsonl, got '%s'", optarg);
			fmt = (dx_format)f;
			break;
		}
		case 'c': {
			char *list = strdup(optarg);
			if (!list)
				return EXIT_PARTIAL;
			char *save = NULL;
			ncols = 0;
			for (char *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
				int col = dx_column_parse(k);
				if (col < 0 || ncols == DX_NCOLUMNS) {
					usage_error("export ", "--columns: unknown column '%s' (see docs/output.md)", k);
					free(list);
					return EXIT_USAGE;
				}
				cols[ncols++] = (dx_column)col;
			}
			free(list);
			if (!ncols)
				return usage_error("export ", "--columns: no column given");
			break;
		}
		case OPT_SPREADSHEET_SAFE:
			flags |= DX_WRITE_SPREADSHEET_SAFE;
			break;
		case 'h':
			fputs(help_export, stdout);
			return 0;
		default:
			return usage_error("export ", "unknown option");
		}
	}
	if (optind < argc)
		return usage_error("export ", "unexpected argument '%s'", argv[optind]);
	dx_store *s;
	int st = open_index(&co, &s);
	if (st)
		return st;
	dx_writer *w = dx_writer_new_columns(stdout, fmt, cols, ncols, flags);
	if (!w) {
		dx_store_close(s, NULL);
		msg("out of memory");
		return EXIT_PARTIAL;
	}
	int status = 0;
	dx_error err = {0};
	dx_status rs = dx_store_export(s, &co.filter, export_record, w, &err);
	if (rs != DX_OK) {
		if (rs == DX_ERR_ABORTED)
			msg("cannot write the output: %s", strerror(errno));
		else
			msg("%s", err.message);
		status = EXIT_PARTIAL;
	}
	if (dx_writer_close(w) < 0 && status == 0) {
		msg("cannot write the output: %s", strerror(errno));
		status = EXIT_PARTIAL;
	}
	dx_store_close(s, NULL);
	return status;
}

/* ---- summary ----------------------------------------------------------------------------- */

int cmd_summary(int argc, char **argv)
{
	static const struct option opts[] = {
		{"top", required_argument, NULL, 'n'},
		{"format", required_argument, NULL, 'f'},
		{"all", no_argument, NULL, 'a'},
		FILTER_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	common co;
	common_init(&co, "summary ");
	dx_format fmt = DX_FMT_TEXT;
	unsigned top = 10;
	int all = 0;
	int c;
	unsigned long long v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:f:as:u:w:Ad:h", opts, NULL)) != -1) {
		int r = common_option(&co, c);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case 'n':
			if (parse_uint(optarg, 100000, &v, 0) < 0 || v == 0)
				return usage_error("summary ", "--top: expected a positive number, got '%s'", optarg);
			top = (unsigned)v;
			break;
		case 'f': {
			int f = dx_format_parse(optarg);
			if (f != DX_FMT_TEXT && f != DX_FMT_JSON)
				return usage_error("summary ", "--format: expected text or json, got '%s'", optarg);
			fmt = (dx_format)f;
			break;
		}
		case 'a':
			all = 1;
			break;
		case 'h':
			fputs(help_summary, stdout);
			return 0;
		default:
			return usage_error("summary ", "unknown option");
		}
	}
	if (optind < argc)
		return usage_error("summary ", "unexpected argument '%s'", argv[optind]);
	if (all && (co.filter.has_since || co.filter.has_until))
		return usage_error("summary ", "--all and a window (--since, --until) exclude each other");
	if (!all && !co.filter.has_since && !co.filter.has_until) {
		co.filter.has_since = 1;
		co.filter.since = co.now - 86400;
	}
	dx_store *s;
	int st = open_index(&co, &s);
	if (st)
		return st;
	dx_error err = {0};
	dx_summary *sm;
	if (dx_store_summary(s, &co.filter, top, &sm, &err) != DX_OK) {
		msg("%s", err.message);
		dx_store_close(s, NULL);
		return EXIT_PARTIAL;
	}
	int status = 0;
	if (dx_summary_write(stdout, sm, fmt) < 0) {
		msg("cannot write the summary: %s", strerror(errno));
		status = EXIT_PARTIAL;
	}
	dx_summary_free(sm);
	dx_store_close(s, NULL);
	return status;
}

/* ---- recipients --------------------------------------------------------------------------- */

static int print_address(void *arg, const char *address)
{
	(void)arg;
	return fputs(address, stdout) < 0 || fputc('\n', stdout) == EOF ? -1 : 0;
}

int cmd_recipients(int argc, char **argv)
{
	static const struct option opts[] = {
		{"hard", no_argument, NULL, OPT_HARD},
		FILTER_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	common co;
	common_init(&co, "recipients ");
	int hard = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:u:w:Ad:h", opts, NULL)) != -1) {
		int r = common_option(&co, c);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case OPT_HARD:
			hard = 1;
			break;
		case 'h':
			fputs(help_recipients, stdout);
			return 0;
		default:
			return usage_error("recipients ", "unknown option");
		}
	}
	if (optind < argc)
		return usage_error("recipients ", "unexpected argument '%s'", argv[optind]);
	dx_store *s;
	int st = open_index(&co, &s);
	if (st)
		return st;
	dx_error err = {0};
	int status = 0;
	dx_status rs = dx_store_recipients(s, &co.filter, hard, print_address, NULL, &err);
	if (rs == DX_ERR_ABORTED || fflush(stdout) != 0) {
		msg("cannot write the output: %s", strerror(errno));
		status = EXIT_PARTIAL;
	} else if (rs != DX_OK) {
		msg("%s", err.message);
		status = EXIT_PARTIAL;
	}
	dx_store_close(s, NULL);
	return status;
}

/* ---- check --------------------------------------------------------------------------------- */

static void print_problem(void *arg, const char *what)
{
	(void)arg;
	msg("%s", what);
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *db = default_db();
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'h':
			fputs(help_check, stdout);
			return 0;
		default:
			return usage_error("check ", "unknown option");
		}
	}
	if (optind < argc)
		return usage_error("check ", "unexpected argument '%s'", argv[optind]);
	dx_error err = {0};
	dx_store *s;
	if (dx_store_open(db, DX_STORE_READONLY, &s, &err) != DX_OK) {
		msg("%s", err.message);
		return EXIT_PARTIAL;
	}
	dx_status st = dx_store_check(s, print_problem, NULL, &err);
	dx_store_close(s, NULL);
	if (st != DX_OK) {
		msg("%s", err.message);
		return EXIT_PARTIAL;
	}
	printf("%s: ok\n", db);
	return 0;
}
