/* dsnidx.c: the command line. It parses arguments, calls libdsnidx and
 * prints; everything else is in core/.
 *
 * Exit status: 0 every input was read and every bounce decoded; 1 some
 * input, message or the index could not be read or written (each named on
 * stderr, the rest still done); 2 usage error; 75 the index is busy; 128 +
 * the signal when SIGINT or SIGTERM stopped a run between two batches.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "dsnidx.h"
#include "cli.h"

/* ---- help texts ---------------------------------------------------------- */

static const char help_main[] =
	"Usage: dsnidx COMMAND [OPTION]... [ARG]...\n"
	"Find the bounces (delivery status notifications) in stored mail, decode\n"
	"every failed recipient, index the results in SQLite and report on them.\n"
	"\n"
	"Commands:\n"
	"  parse       decode PATHs and print one record per failed recipient\n"
	"  index       decode PATHs and add the records to the index (only what is new)\n"
	"  report      count indexed records grouped by status, server, domain, time...\n"
	"  summary     the outage view: totals, top codes, servers, domains, per hour\n"
	"  recipients  the failed addresses, one a line (suppression lists, resends)\n"
	"  export      print indexed records (CSV or JSON Lines)\n"
	"  explain     decode PATHs and show how each record's values were decided\n"
	"  check       check the index: database integrity, counts against records\n"
	"  help        show help for a command: dsnidx help COMMAND\n"
	"\n"
	"A PATH is an mbox file or a single message (told apart by content), a\n"
	"Maildir, a directory (walked recursively), any of these compressed (zstd,\n"
	"gzip, bzip2, xz, lz4, lzip, compress) or archived (tar, zip, cpio, 7z),\n"
	"nested, or '-' for standard input, which takes any of them. Archive\n"
	"members are named ARCHIVE:MEMBER in the records' source.\n"
	"\n"
	"Options:\n"
	"  -h, --help     show this help and exit\n"
	"  -V, --version  show the version and exit\n"
	"\n"
	"Exit status: 0 all inputs done; 1 some input, message or the index could\n"
	"not be read, decoded or written (each is named on stderr, the rest is still\n"
	"done); 2 usage error; 75 another index run holds the index; 130 (143)\n"
	"interrupted by Ctrl-C, SIGINT (SIGTERM): parse, explain and index stop\n"
	"between two batches of input, with what was read up to there printed or\n"
	"indexed; an index run goes on from there next time. A second signal kills.\n"
	"\n"
	"Environment: DSNIDX_DB is the index used when --db is not given (default\n"
	"./dsnidx.db). DSNIDX_NO_JIT=1 matches reason rules without PCRE2's JIT\n"
	"(slower; for valgrind).\n"
	"\n"
	"Examples:\n"
	"  dsnidx parse --format csv bounces.mbox > bounces.csv\n"
	"  dsnidx index --db bounces.db ~/Maildir /var/mail/postmaster\n"
	"  dsnidx report --db bounces.db --by status,reason --top 20\n"
	"  dsnidx report --by day,domain --format csv\n"
	"\n"
	"See dsnidx(1) for the full manual.\n";

#define DECODE_OPTIONS                                                                      \
	"  -t, --threads N          decode and write on N threads (default: online CPUs)\n" \
	"  -q, --quiet              no progress, summary or warnings; errors only\n"          \
	"  -r, --rules FILE         take reason rules from FILE before the built-in ones\n"   \
	"      --delivered          keep success notices and logged deliveries (action\n"       \
	"                           delivered, relayed, expanded), left out by default\n"              \
	"Limits (hitting one skips or truncates that item with a warning):\n"                 \
	"      --max-message-size SIZE   bytes of a message read (default 64M;\n"            \
	"                                suffixes K, M, G)\n"                                 \
	"      --max-recipients N        recipients read from one bounce (default 10000)\n"  \
	"      --max-mime-depth N        nesting of MIME parts (default 32, at most 1000)\n" \
	"      --max-mime-parts N        MIME parts in one message (default 1000)\n"        \
	"      --max-header-fields N     header fields per header block (default 1000)\n"      \
	"      --max-header-line SIZE    bytes of one header field, folded lines and all\n"  \
	"                                (default 1M); the rest of the field is dropped\n"  \
	"      --max-text SIZE           bytes of one text part decoded and read (its\n"     \
	"                                start, where a report is) (default 8M)\n"          \
	"      --max-queue-ids N         mail logs: queue ids whose sender and Message-ID\n" \
	"                                are remembered for their later lines (default\n"  \
	"                                100000, twice that at most)\n"                    \
	"      --max-nesting N           compression and archive layers in one input\n"      \
	"                                (default 8)\n"                                         \
	"      --max-7z-memory SIZE      bytes of a 7z archive held in memory when it is\n"    \
	"                                not a regular file (a pipe, or inside another\n"    \
	"                                archive; 7z cannot be streamed) (default 256M)\n"    \
	"      --max-expanded SIZE       bytes decompressed from one compressed stream or\n" \
	"                                archive member; the rest is not read (default\n"   \
	"                                256G; suffixes K, M, G, T; 0: no limit)\n"         \
	"      --max-ratio N             decompressed bytes per compressed byte, checked\n" \
	"                                once 1G has come out: a decompression bomb guard\n" \
	"                                (default 1000; 0: no limit)\n"

static const char help_parse[] =
	"Usage: dsnidx parse [OPTION]... PATH...\n"
	"Decode the bounces and mail server logs (Postfix, Exim, Sendmail) in PATHs\n"
	"and print one record per failed or delayed recipient on standard output, in\n"
	"input order. Nothing is stored.\n"
	"\n"
	"  -f, --format FORMAT      csv (default; RFC 4180 with a header row) or jsonl\n"
	DECODE_OPTIONS
	"  -h, --help               show this help\n"
	"\n"
	"Columns: source, offset, index, timestamp, recipient, domain, action, status,\n"
	"reply_code, reason, hard_bounce, reporting_mta, remote_mta, diagnostic,\n"
	"sender, subject, message_id, decoder.\n";

static const char help_explain[] =
	"Usage: dsnidx explain [OPTION]... PATH...\n"
	"Decode the bounces in PATHs and show, for each recipient, which decoder read\n"
	"the bounce, which rule gave the reason and on which text it matched (the\n"
	"server's words, the report's summary, the status, or, when the report gives\n"
	"no cause and no code, a reply about the recipient in the returned message,\n"
	"shown as evidence), where the status came from, the SMTP stage of the\n"
	"failure, and where the refusing server's name was read (the Remote-MTA\n"
	"field, the recipient's lines, a Sendmail session transcript, the report's\n"
	"text, a log line's relay). This is how to debug a surprising count, or\n"
	"check a rule file given with --rules.\n"
	"\n"
	DECODE_OPTIONS
	"  -h, --help               show this help\n";

static const char help_index[] =
	"Usage: dsnidx index [OPTION]... PATH...\n"
	"Decode the bounces and mail server logs in PATHs and add their records to the\n"
	"index, reading only what is new: a file unchanged since it was read to its\n"
	"end is skipped; an mbox or log that grew, was renamed (a rotation), copied or\n"
	"compressed is read from where the last run stopped; a bounce the index has\n"
	"(the same message, in any file) is not added again. A run that is killed\n"
	"loses nothing: the next one goes on from what was committed. Successful\n"
	"deliveries in logs are counted, not kept (see 'dsnidx report --rates').\n"
	"\n"
	"  -d, --db FILE            the index (default $DSNIDX_DB, else ./dsnidx.db)\n"
	"  -w, --wait SECONDS       wait that long for another index run on the same\n"
	"                           index to finish (default 0: exit at once, status 75)\n"
	"      --reread             read every file whole, whatever the index knows\n"
	"      --stats              print the one-line summary even when stderr is not\n"
	"                           a terminal (for cron logs)\n"
	"      --commit-every N     records per transaction (default 100000; also every\n"
	"                           5 s): what a killed run loses and the next redoes\n"
	DECODE_OPTIONS
	"  -h, --help               show this help\n"
	"\n"
	"Progress (bytes, MB/s, records, time left) is shown on stderr when it is a\n"
	"terminal, unless --quiet. Ctrl-C (SIGINT) or SIGTERM stops the run between two\n"
	"batches of input with what was read up to there indexed; the next run goes on\n"
	"from there (a second signal kills at once). Exit status: 0, 1 (some input,\n"
	"bounce or the index could not be read or written; named on stderr), 2\n"
	"(usage), 75 (another index run holds the index), 130 or 143 (interrupted by\n"
	"SIGINT or SIGTERM).\n";

/* ---- shared option parsing ------------------------------------------------ */

enum {
	OPT_DELIVERED = 1000,
	OPT_MAX_MESSAGE_SIZE,
	OPT_MAX_RECIPIENTS,
	OPT_MAX_MIME_DEPTH,
	OPT_MAX_MIME_PARTS,
	OPT_MAX_HEADER_FIELDS,
	OPT_MAX_NESTING,
	OPT_MAX_7Z_MEMORY,
	OPT_MAX_HEADER_LINE,
	OPT_MAX_TEXT,
	OPT_MAX_QUEUE_IDS,
	OPT_MAX_EXPANDED,
	OPT_MAX_RATIO,
	OPT_REREAD,
	OPT_STATS,
	OPT_COMMIT_EVERY,
};

typedef struct decode_args {
	dx_options opts;
	unsigned threads;
	int quiet;
	dx_format format;
	const char *db;
} decode_args;

/* Handles an option shared by parse and index; returns 1 if it was one,
 * 0 if not, -1 on a bad value (already reported). */
static int decode_option(const char *cmd, int c, decode_args *a)
{
	unsigned long long v;
	switch (c) {
	case 't':
		if (parse_uint(optarg, 256, &v, 0) < 0)
			return usage_error(cmd, "--threads: expected a number from 0 to 256, got '%s'", optarg), -1;
		a->threads = (unsigned)v;
		return 1;
	case 'q':
		a->quiet = 1;
		return 1;
	case 'r':
		a->opts.rules_file = optarg;
		return 1;
	case OPT_DELIVERED:
		a->opts.include_delivered = 1;
		return 1;
	case OPT_MAX_MESSAGE_SIZE:
		if (parse_uint(optarg, 1ull << 31, &v, 1) < 0 || v < 1024)
			return usage_error(cmd, "--max-message-size: expected 1K to 2G, got '%s'", optarg), -1;
		a->opts.limits.max_message_size = (size_t)v;
		return 1;
	case OPT_MAX_7Z_MEMORY:
		if (parse_uint(optarg, 1ull << 40, &v, 1) < 0)
			return usage_error(cmd, "--max-7z-memory: expected 0 to 1024G, got '%s'", optarg), -1;
		a->opts.limits.max_7z_memory = v;
		return 1;
	case OPT_MAX_HEADER_LINE:
		if (parse_uint(optarg, 1ull << 30, &v, 1) < 0 || v < 1024)
			return usage_error(cmd, "--max-header-line: expected 1K to 1G, got '%s'", optarg), -1;
		a->opts.limits.max_header_line = (size_t)v;
		return 1;
	case OPT_MAX_TEXT:
		if (parse_uint(optarg, 1ull << 31, &v, 1) < 0 || v < 1024)
			return usage_error(cmd, "--max-text: expected 1K to 2G, got '%s'", optarg), -1;
		a->opts.limits.max_text = (size_t)v;
		return 1;
	case OPT_MAX_QUEUE_IDS:
		if (parse_uint(optarg, 1u << 24, &v, 0) < 0 || v < 1)
			return usage_error(cmd, "--max-queue-ids: expected 1 to 16777216, got '%s'", optarg), -1;
		a->opts.limits.max_queue_ids = (unsigned)v;
		return 1;
	case OPT_MAX_EXPANDED:
		if (parse_uint(optarg, 1ull << 60, &v, 1) < 0)
			return usage_error(cmd, "--max-expanded: expected a size (suffixes K, M, G, T), got '%s'", optarg),
			       -1;
		a->opts.limits.max_expanded = v;
		return 1;
	case OPT_MAX_RATIO:
		if (parse_uint(optarg, 1000000000, &v, 0) < 0)
			return usage_error(cmd, "--max-ratio: expected a number (0: no limit), got '%s'", optarg), -1;
		a->opts.limits.max_ratio = (unsigned)v;
		return 1;
	case OPT_MAX_MIME_DEPTH:
		if (parse_uint(optarg, DX_MAX_MIME_DEPTH, &v, 0) < 0 || v == 0)
			return usage_error(cmd, "--max-mime-depth: expected 1 to %d, got '%s'", DX_MAX_MIME_DEPTH, optarg),
			       -1;
		a->opts.limits.max_mime_depth = (unsigned)v;
		return 1;
	case OPT_MAX_RECIPIENTS:
	case OPT_MAX_MIME_PARTS:
	case OPT_MAX_HEADER_FIELDS:
	case OPT_MAX_NESTING:
		if (parse_uint(optarg, 1000000000, &v, 0) < 0 || v == 0)
			return usage_error(cmd, "expected a positive number, got '%s'", optarg), -1;
		if (c == OPT_MAX_RECIPIENTS)
			a->opts.limits.max_recipients = (unsigned)v;
		else if (c == OPT_MAX_MIME_PARTS)
			a->opts.limits.max_mime_parts = (unsigned)v;
		else if (c == OPT_MAX_NESTING)
			a->opts.limits.max_nesting = (unsigned)v;
		else
			a->opts.limits.max_header_fields = (unsigned)v;
		return 1;
	}
	return 0;
}

#define DECODE_LONGOPTS                                                   \
	{"threads", required_argument, NULL, 't'},                         \
	{"quiet", no_argument, NULL, 'q'},                                 \
	{"rules", required_argument, NULL, 'r'},                           \
	{"delivered", no_argument, NULL, OPT_DELIVERED},                   \
	{"max-message-size", required_argument, NULL, OPT_MAX_MESSAGE_SIZE}, \
	{"max-recipients", required_argument, NULL, OPT_MAX_RECIPIENTS},   \
	{"max-mime-depth", required_argument, NULL, OPT_MAX_MIME_DEPTH},   \
	{"max-mime-parts", required_argument, NULL, OPT_MAX_MIME_PARTS},   \
	{"max-header-fields", required_argument, NULL, OPT_MAX_HEADER_FIELDS}, \
	{"max-nesting", required_argument, NULL, OPT_MAX_NESTING},         \
	{"max-7z-memory", required_argument, NULL, OPT_MAX_7Z_MEMORY},     \
	{"max-header-line", required_argument, NULL, OPT_MAX_HEADER_LINE}, \
	{"max-text", required_argument, NULL, OPT_MAX_TEXT},               \
	{"max-queue-ids", required_argument, NULL, OPT_MAX_QUEUE_IDS},     \
	{"max-expanded", required_argument, NULL, OPT_MAX_EXPANDED},       \
	{"max-ratio", required_argument, NULL, OPT_MAX_RATIO}

/* ---- running decode commands ---------------------------------------------- */

typedef struct sink_state {
	int quiet;
	int tty;
	int progress_shown;
	double started;
	int failed;                /* an error was reported */
	int stats;                 /* the summary even when stderr is not a terminal */
	uint64_t total_bytes;      /* of the inputs, for the progress line; 0: unknown */
	dx_writer *writer;         /* parse */
	int indexing;              /* index */
	uint64_t added, already;
	int delivered;             /* print records of successful deliveries too */
} sink_state;

/* The signal that asked a run to stop, or 0: set by the handler, read
 * between batches (dx_sink.interrupted). A signal handler can share
 * nothing else. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* SIGINT and SIGTERM stop the run between batches; the handler is reset
 * by its first signal, so a second one kills. A SIGINT that the shell
 * made ignored (a background job) stays ignored. */
static void catch_stop_signals(void)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
		sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int on_interrupted(void *arg)
{
	(void)arg;
	return stop_signal != 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void clear_progress(sink_state *s)
{
	if (s->progress_shown) {
		fputs("\r\033[K", stderr);
		s->progress_shown = 0;
	}
}

static void on_diag(void *arg, const dx_diag *d)
{
	sink_state *s = arg;
	if (d->severity == DX_DIAG_ERROR)
		s->failed = 1;
	else if (s->quiet)
		return;
	clear_progress(s);
	const char *kind = d->severity == DX_DIAG_WARNING ? "warning: " : "";
	if (d->source && d->offset >= 0)
		fprintf(stderr, "%s: %s%s:%lld: %s\n", prog, kind, d->source, (long long)d->offset, d->message);
	else if (d->source)
		fprintf(stderr, "%s: %s%s: %s\n", prog, kind, d->source, d->message);
	else
		fprintf(stderr, "%s: %s%s\n", prog, kind, d->message);
}

static void on_progress(void *arg, const dx_stats *st)
{
	sink_state *s = arg;
	if (s->quiet || !s->tty)
		return;
	double t = now() - s->started;
	double mb = (double)st->bytes / 1e6;
	fprintf(stderr, "\r\033[K%.1f MB  %.1f MB/s  %llu messages  %llu bounces  %llu records", mb,
		t > 0 ? mb / t : 0.0, (unsigned long long)st->messages, (unsigned long long)st->bounces,
		(unsigned long long)st->records);
	/* How far, and how long left, when the inputs' size is known. What is
	 * read of compressed files is more than their size: the share is then
	 * capped, and the estimate rough. */
	double done = (double)(st->bytes + st->bytes_skipped);
	if (s->total_bytes) {
		double share = done / (double)s->total_bytes;
		if (share > 0.99)
			share = 0.99;
		fprintf(stderr, "  %2.0f%%", share * 100);
		double rate = t > 0 ? (double)st->bytes / t : 0;
		if (rate > 0 && done < (double)s->total_bytes && t >= 1) {
			double left = ((double)s->total_bytes - done) / rate;
			if (left < 3600)
				fprintf(stderr, "  %.0f s left", left);
			else
				fprintf(stderr, "  %.1f h left", left / 3600);
		}
	}
	s->progress_shown = 1;
}

static int on_record_print(void *arg, const dx_record *r)
{
	sink_state *s = arg;
	/* Logs give their successful deliveries whatever --delivered says. */
	if (!s->delivered && strcmp(r->action, "delivered") == 0)
		return 0;
	return dx_writer_record(s->writer, r);
}

static void explain_line(const char *name, const char *value)
{
	printf("  %-14s %s\n", name, value && *value ? value : "-");
}

static int on_explain(void *arg, const dx_explanation *x)
{
	sink_state *s = arg;
	const dx_record *r = x->record;
	if (!s->delivered && strcmp(r->action, "delivered") == 0)
		return 0;
	char buf[1200];
	printf("%s, offset %llu, recipient %u: %s\n", r->source, (unsigned long long)r->offset, r->index,
	       r->recipient[0] ? r->recipient : "(unknown)");
	explain_line("decoder", r->decoder);
	explain_line("action", r->action);
	snprintf(buf, sizeof buf, "%s%s", r->status,
		 x->status_pseudo ? "  (none in the bounce; derived from the reason)" : "");
	explain_line("status", buf);
	if (r->reply_code)
		snprintf(buf, sizeof buf, "%d", r->reply_code);
	else
		buf[0] = '\0';
	explain_line("reply_code", buf);
	if (x->rule_file[0])
		snprintf(buf, sizeof buf, "%s  (%s:%u, on the %s: %s)", r->reason, x->rule_file, x->rule_line,
			 x->reason_by, x->rule_text);
	else if (!strcmp(x->reason_by, "decoder"))
		snprintf(buf, sizeof buf, "%s  (given by the decoder: the report's kind)", r->reason);
	else
		snprintf(buf, sizeof buf, "%s  (no rule matched; %s)", r->reason,
			 !strcmp(r->reason, "onhold") ? "the bounce gives a code but no rule decides"
						      : "nothing in the bounce decides");
	explain_line("reason", buf);
	if (x->evidence[0])
		explain_line("evidence", x->evidence);
	explain_line("hard_bounce", r->hard_bounce ? "1" : "0");
	explain_line("smtp_command", x->command);
	explain_line("reporting_mta", r->reporting_mta);
	if (r->remote_mta[0] && x->remote_by[0])
		snprintf(buf, sizeof buf, "%s  (from %s)", r->remote_mta, x->remote_by);
	else
		snprintf(buf, sizeof buf, "%s", r->remote_mta);
	explain_line("remote_mta", buf);
	explain_line("diagnostic", r->diagnostic);
	explain_line("summary", x->summary);
	char tbuf[DX_TIME_BUFSZ];
	dx_format_time(r->timestamp, tbuf);
	explain_line("timestamp", tbuf);
	explain_line("sender", r->sender);
	explain_line("subject", r->subject);
	explain_line("message_id", r->message_id);
	putchar('\n');
	return ferror(stdout) ? -1 : 0;
}

static void summary(sink_state *s, const dx_stats *st, const char *verb)
{
	clear_progress(s);
	if (!s->stats && (s->quiet || !s->tty))
		return;
	double t = now() - s->started;
	fprintf(stderr,
		"%s: %s %llu messages from %llu sources (%.1f MB) in %.2f s: %llu bounces, %llu records",
		prog, verb, (unsigned long long)st->messages, (unsigned long long)st->sources,
		(double)st->bytes / 1e6, t, (unsigned long long)st->bounces, (unsigned long long)st->records);
	if (s->indexing) {
		fprintf(stderr, " (%llu new, %llu already indexed)", (unsigned long long)s->added,
			(unsigned long long)s->already);
		if (st->sources_skipped)
			fprintf(stderr, ", %llu files unchanged", (unsigned long long)st->sources_skipped);
		if (st->sources_resumed)
			fprintf(stderr, ", %llu files resumed", (unsigned long long)st->sources_resumed);
	}
	if (st->log_lines) {
		fprintf(stderr, ", %llu log lines (%llu delivered", (unsigned long long)st->log_lines,
			(unsigned long long)st->delivered);
		if (st->log_malformed)
			fprintf(stderr, ", %llu not in a log format", (unsigned long long)st->log_malformed);
		fputc(')', stderr);
	}
	if (st->undecoded)
		fprintf(stderr, ", %llu undecoded", (unsigned long long)st->undecoded);
	if (st->input_errors)
		fprintf(stderr, ", %llu unreadable inputs", (unsigned long long)st->input_errors);
	if (st->limits_hit)
		fprintf(stderr, ", %llu limits hit", (unsigned long long)st->limits_hit);
	fputc('\n', stderr);
}

enum { RUN_PARSE, RUN_INDEX, RUN_EXPLAIN };

static int run_decode(const char *cmd, int argc, char **argv, int mode)
{
	int to_store = mode == RUN_INDEX;
	static const struct option parse_opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		DECODE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	static const struct option explain_opts[] = {
		{"help", no_argument, NULL, 'h'},
		DECODE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	static const struct option index_opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"wait", required_argument, NULL, 'w'},
		{"reread", no_argument, NULL, OPT_REREAD},
		{"stats", no_argument, NULL, OPT_STATS},
		{"commit-every", required_argument, NULL, OPT_COMMIT_EVERY},
		{"help", no_argument, NULL, 'h'},
		DECODE_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	decode_args a;
	memset(&a, 0, sizeof a);
	dx_options_default(&a.opts);
	const char *nojit = getenv("DSNIDX_NO_JIT");
	a.opts.no_jit = nojit && *nojit && strcmp(nojit, "0") != 0;
	a.format = DX_FMT_CSV;
	a.db = default_db();
	char usage_cmd[32];
	snprintf(usage_cmd, sizeof usage_cmd, "%s ", cmd);

	int c;
	optind = 1;
	dx_index_options io;
	dx_index_options_default(&io);
	int want_stats = 0;
	while ((c = getopt_long(argc, argv, to_store ? "d:w:t:qr:h" : mode == RUN_EXPLAIN ? "t:qr:h" : "f:t:qr:h",
				to_store ? index_opts : mode == RUN_EXPLAIN ? explain_opts : parse_opts, NULL)) != -1) {
		int r = decode_option(usage_cmd, c, &a);
		if (r < 0)
			return EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case 'f': {
			int f = dx_format_parse(optarg);
			if (f != DX_FMT_CSV && f != DX_FMT_JSONL)
				return usage_error(usage_cmd, "--format: expected csv or jsonl, got '%s'", optarg);
			a.format = (dx_format)f;
			break;
		}
		case 'd':
			a.db = optarg;
			break;
		case 'w': {
			char *end;
			errno = 0;
			double w = strtod(optarg, &end);
			if (errno || end == optarg || *end || w < 0 || w > 86400 * 7)
				return usage_error(usage_cmd, "--wait: expected seconds from 0 to 604800, got '%s'", optarg);
			io.wait_seconds = w;
			break;
		}
		case OPT_REREAD:
			io.reread = 1;
			break;
		case OPT_STATS:
			want_stats = 1;
			break;
		case OPT_COMMIT_EVERY: {
			unsigned long long v;
			if (parse_uint(optarg, 100000000, &v, 0) < 0 || v == 0)
				return usage_error(usage_cmd, "--commit-every: expected a positive number, got '%s'", optarg);
			io.commit_every = (unsigned)v;
			break;
		}
		case 'h':
			fputs(to_store ? help_index : mode == RUN_EXPLAIN ? help_explain : help_parse, stdout);
			return 0;
		default:
			return usage_error(usage_cmd, "unknown option");
		}
	}
	if (optind >= argc)
		return usage_error(usage_cmd, "no PATH given (use '-' for standard input)");

	dx_error err = {0};
	dx_engine *e;
	if (dx_engine_new(&a.opts, &e, &err) != DX_OK) {
		msg("%s", err.message);
		return err.code == DX_ERR_RULES ? EXIT_USAGE : EXIT_PARTIAL;
	}
	sink_state s = {.quiet = a.quiet, .tty = isatty(STDERR_FILENO), .started = now(), .stats = want_stats,
			.delivered = a.opts.include_delivered};
	if (s.tty && !s.quiet)
		s.total_bytes = dx_input_size((const char *const *)argv + optind, (size_t)(argc - optind));
	dx_sink sink = {.arg = &s, .diag = on_diag, .progress = on_progress, .interrupted = on_interrupted};
	catch_stop_signals();
	if (to_store) {
		io.threads = a.threads;
		dx_stats st;
		dx_index_result res;
		s.indexing = 1;
		dx_status rs = dx_index_run(e, a.db, (const char *const *)argv + optind, (size_t)(argc - optind), &io,
					    &sink, &st, &res, &err);
		int status = s.failed ? EXIT_PARTIAL : 0;
		if (rs == DX_ERR_ABORTED && stop_signal) {
			clear_progress(&s);
			msg("interrupted: the index holds what was read up to here; the same command goes on from there");
			status = 128 + stop_signal;
		} else if (rs != DX_OK) {
			clear_progress(&s);
			msg("%s", err.message);
			status = rs == DX_ERR_BUSY ? EXIT_BUSY : EXIT_PARTIAL;
		}
		s.added = res.added;
		s.already = res.already;
		if (rs != DX_ERR_BUSY)
			summary(&s, &st, "indexed");
		dx_engine_free(e);
		return status;
	} else if (mode == RUN_EXPLAIN) {
		sink.explain = on_explain;
	} else {
		s.writer = dx_writer_new(stdout, a.format);
		if (!s.writer) {
			msg("out of memory");
			dx_engine_free(e);
			return EXIT_PARTIAL;
		}
		sink.record = on_record_print;
	}

	dx_stats st;
	dx_status rs = dx_run(e, (const char *const *)argv + optind, (size_t)(argc - optind), a.threads, &sink, &st,
			      &err);
	int status = s.failed ? EXIT_PARTIAL : 0;
	if (rs == DX_ERR_ABORTED && stop_signal) {
		clear_progress(&s);
		msg("interrupted: the records of what was read up to here are printed");
		status = 128 + stop_signal;
	} else if (rs != DX_OK) {
		clear_progress(&s);
		if (!(rs == DX_ERR_ABORTED && s.writer))
			msg("%s", err.message);
		else
			msg("cannot write the output: %s", strerror(errno));
		status = EXIT_PARTIAL;
	}
	if (s.writer && dx_writer_close(s.writer) < 0) {
		if (rs == DX_OK)
			msg("cannot write the output: %s", strerror(errno));
		status = EXIT_PARTIAL;
	}
	if (mode == RUN_EXPLAIN && fflush(stdout) != 0) {
		msg("cannot write the output: %s", strerror(errno));
		status = EXIT_PARTIAL;
	}
	summary(&s, &st, "parsed");
	dx_engine_free(e);
	return status;
}

/* ---- main -------------------------------------------------------------------------- */

static int help_for(const char *cmd)
{
	if (!cmd)
		fputs(help_main, stdout);
	else if (!strcmp(cmd, "parse"))
		fputs(help_parse, stdout);
	else if (!strcmp(cmd, "index"))
		fputs(help_index, stdout);
	else if (!strcmp(cmd, "explain"))
		fputs(help_explain, stdout);
	else if (query_help(cmd))
		fputs(query_help(cmd), stdout);
	else
		return usage_error(NULL, "no help for '%s': not a command", cmd);
	return 0;
}

int main(int argc, char **argv)
{
	/* SQLite's memory statistics take a global mutex on every allocation
	 * it makes (a few per row written); this program reads none of them.
	 * Only the process may say so, before SQLite's first use: not the
	 * library. 2 to 4% of an index run's time (bench/README.md). */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (argc < 2)
		return usage_error(NULL, "no command given");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		return help_for(NULL);
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("dsnidx %s\n", DX_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help"))
		return help_for(argc > 2 ? argv[2] : NULL);
	/* Subcommands parse their own options from argv[1] on. */
	argc--;
	argv++;
	if (!strcmp(cmd, "parse"))
		return run_decode("parse", argc, argv, RUN_PARSE);
	if (!strcmp(cmd, "index"))
		return run_decode("index", argc, argv, RUN_INDEX);
	if (!strcmp(cmd, "explain"))
		return run_decode("explain", argc, argv, RUN_EXPLAIN);
	if (!strcmp(cmd, "report"))
		return cmd_report(argc, argv);
	if (!strcmp(cmd, "export"))
		return cmd_export(argc, argv);
	if (!strcmp(cmd, "summary"))
		return cmd_summary(argc, argv);
	if (!strcmp(cmd, "recipients"))
		return cmd_recipients(argc, argv);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc, argv);
	return usage_error(NULL, "unknown command '%s'", cmd);
}
