/* genmbox.c: writes a benchmark mbox, deterministically, from the project's
 * own sample bounces.
 *
 *   genmbox [-s SIZE] [-b PERCENT] [-a PERCENT] [-r SEED] [-i SECONDS] TEMPLATES > out.mbox
 *
 * TEMPLATES is a file of lines "PATH<TAB>RECIPIENT<TAB>RECIPIENT...": a
 * sample bounce and the addresses it reports (scripts/gen-bench.sh makes it
 * from corpus/expected). Each bounce written is a sample with each of its
 * recipients replaced, everywhere it appears, by a new address drawn from a
 * skewed pool of users and domains, and a new Message-ID in its header, so
 * that reports by domain look like real ones and no two bounces are the
 * same message.
 *
 * -s SIZE     bytes to write, about (suffix K, M, G; default 100M)
 * -b PERCENT  share of messages that are bounces (default 100)
 * -a PERCENT  share of ordinary messages with a base64 attachment (default 33)
 * -r SEED     seed of the generator (default 1): same arguments, same bytes
 * -i SECONDS  time between messages' dates (default 37), from 2025-11-01
 *
 * Ordinary messages are made up here: headers, a few paragraphs of words,
 * and for some a base64 attachment of 16-256 KB. Lines beginning "From "
 * are escaped as in mboxrd. Exits 0, or 1 with a message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct tmpl {
	char *data;
	size_t len;
	char **rcpt;
	size_t nrcpt;
} tmpl;

/* xorshift64*: small, fast, and the same on every machine. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* Skewed toward small values, like real traffic (a few big domains). */
static unsigned skewed(unsigned n)
{
	unsigned a = below(n), b = below(n);
	return a < b ? a : b;
}

static void die(const char *what)
{
	fprintf(stderr, "genmbox: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
	exit(1);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path);
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	if (!buf)
		die("out of memory");
	size_t r;
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory");
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static tmpl *load_templates(const char *list, size_t *count)
{
	FILE *f = fopen(list, "r");
	if (!f)
		die(list);
	tmpl *t = NULL;
	size_t n = 0;
	char line[8192];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line)
			continue;
		t = realloc(t, (n + 1) * sizeof *t);
		if (!t)
			die("out of memory");
		tmpl *x = &t[n++];
		memset(x, 0, sizeof *x);
		char *save = NULL;
		char *path = strtok_r(line, "\t", &save);
		x->data = read_file(path, &x->len);
		for (char *r = strtok_r(NULL, "\t", &save); r; r = strtok_r(NULL, "\t", &save)) {
			x->rcpt = realloc(x->rcpt, (x->nrcpt + 1) * sizeof *x->rcpt);
			if (!x->rcpt || !(x->rcpt[x->nrcpt] = strdup(r)))
				die("out of memory");
			x->nrcpt++;
		}
	}
	fclose(f);
	if (!n) {
		errno = 0;
		die("no templates");
	}
	*count = n;
	return t;
}

/* ---- output, with mboxrd escaping --------------------------------------------- */

static char *out;
static size_t out_len, out_cap;
static uint64_t written;

static void flush_out(void)
{
	if (out_len && fwrite(out, 1, out_len, stdout) != out_len)
		die("write");
	written += out_len;
	out_len = 0;
}

static void put(const char *p, size_t n)
{
	if (out_len + n > out_cap) {
		flush_out();
		if (n > out_cap) {
			if (fwrite(p, 1, n, stdout) != n)
				die("write");
			written += n;
			return;
		}
	}
	memcpy(out + out_len, p, n);
	out_len += n;
}

static void puts_(const char *s)
{
	put(s, strlen(s));
}

/* A message body or whole message, with lines that begin with ">*From "
 * given one more '>' (mboxrd), CR dropped before LF kept as is. */
static void put_escaped(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - p) + 1 : n;
		size_t j = i;
		while (j < end && p[j] == '>')
			j++;
		if (end - j >= 5 && memcmp(p + j, "From ", 5) == 0)
			put(">", 1);
		put(p + i, end - i);
		i = end;
	}
	if (n && p[n - 1] != '\n')
		put("\n", 1);
}

/* ---- made-up content ------------------------------------------------------------ */

static const char *const words[] = {
	"the", "report", "meeting", "quarter", "budget", "review", "please", "find", "attached",
	"schedule", "project", "update", "team", "customer", "order", "invoice", "delivery", "thanks",
	"regards", "week", "monday", "friday", "draft", "final", "version", "notes", "agenda", "call",
	"question", "answer", "server", "release", "plan", "results", "numbers", "sales", "office",
	"travel", "contract", "support", "ticket", "issue", "fixed", "tomorrow", "today", "morning",
	"afternoon", "and", "of", "to", "for", "with", "on", "in", "we", "you", "our", "this", "that",
	"will", "can", "is", "are", "be", "have", "a", "an", "not", "all", "new", "next", "last"};
static const char *const tlds[] = {"com", "net", "org", "de", "fr", "jp", "co.uk", "com.br", "io", "nl"};
static const char *const first[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
				   "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert",
				   "sybil", "trent", "victor", "walter", "yuki"};

static void put_words(unsigned n)
{
	unsigned col = 0;
	for (unsigned i = 0; i < n; i++) {
		const char *w = words[skewed(sizeof words / sizeof words[0])];
		size_t wl = strlen(w);
		if (col + wl > 72) {
			put("\n", 1);
			col = 0;
		} else if (col) {
			put(" ", 1);
			col++;
		}
		put(w, wl);
		col += (unsigned)wl;
	}
	put("\n", 1);
}

static void make_address(char *buf, size_t n)
{
	unsigned d = skewed(400);
	snprintf(buf, n, "%s.%u@%s%u.%s", first[below(20)], below(5000), d < 3 ? "mail" : "example", d,
		 tlds[d % 10]);
}

static uint64_t date_step = 37;

static void put_date(uint64_t seq)
{
	/* One message every date_step seconds from 2025-11-01T00:00:00Z, in
	 * the 28 days that follow. */
	static const char *const days[] = {"Sat", "Sun", "Mon", "Tue", "Wed", "Thu", "Fri"};
	uint64_t t = seq * date_step % (28 * 86400);
	unsigned day = (unsigned)(t / 86400), rest = (unsigned)(t % 86400);
	char b[80];
	snprintf(b, sizeof b, "Date: %s, %u Nov 2025 %02u:%02u:%02u +0000\n", days[day % 7], day + 1, rest / 3600,
		 rest / 60 % 60, rest % 60);
	puts_(b);
}

static void put_base64(size_t bytes)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char line[77];
	size_t k = 0;
	for (size_t i = 0; i < bytes; i += 3) {
		uint64_t r = rnd();
		for (int j = 0; j < 4; j++)
			line[k++] = b64[(r >> (6 * j)) & 63];
		if (k == 76) {
			line[k++] = '\n';
			put(line, k);
			k = 0;
		}
	}
	if (k) {
		line[k++] = '\n';
		put(line, k);
	}
}

static void ordinary(uint64_t seq, int attach)
{
	char from[96], to[96], b[256];
	make_address(from, sizeof from);
	make_address(to, sizeof to);
	snprintf(b, sizeof b, "From %s Sat Nov  1 00:00:00 2025\n", from);
	puts_(b);
	snprintf(b, sizeof b, "From: %s\nTo: %s\n", from, to);
	puts_(b);
	put_date(seq);
	puts_("Subject: ");
	put_words(3 + below(6));
	snprintf(b, sizeof b, "Message-ID: <%llu.%08x@bench.example>\nMIME-Version: 1.0\n", (unsigned long long)seq,
		 (unsigned)rnd());
	puts_(b);
	if (!attach) {
		puts_("Content-Type: text/plain; charset=utf-8\n\n");
		for (unsigned p = 2 + below(5); p; p--) {
			put_words(30 + below(120));
			put("\n", 1);
		}
		put("\n", 1);
		return;
	}
	snprintf(b, sizeof b, "Content-Type: multipart/mixed; boundary=\"=_b%llu\"\n\n", (unsigned long long)seq);
	puts_(b);
	snprintf(b, sizeof b, "--=_b%llu\nContent-Type: text/plain; charset=utf-8\n\n", (unsigned long long)seq);
	puts_(b);
	put_words(40 + below(200));
	snprintf(b, sizeof b,
		 "\n--=_b%llu\nContent-Type: application/octet-stream; name=\"file%llu.bin\"\n"
		 "Content-Disposition: attachment; filename=\"file%llu.bin\"\nContent-Transfer-Encoding: base64\n\n",
		 (unsigned long long)seq, (unsigned long long)seq, (unsigned long long)seq);
	puts_(b);
	put_base64(16384 + below(240 * 1024));
	snprintf(b, sizeof b, "--=_b%llu--\n\n", (unsigned long long)seq);
	puts_(b);
}

/* A sample bounce with its recipients replaced and a new Message-ID. */
static void bounce(uint64_t seq, const tmpl *t)
{
	char b[256];
	snprintf(b, sizeof b, "From MAILER-DAEMON Sat Nov  1 00:00:00 2025\n");
	puts_(b);
	char repl[16][96];
	size_t nr = t->nrcpt < 16 ? t->nrcpt : 16;
	for (size_t r = 0; r < nr; r++)
		make_address(repl[r], sizeof repl[r]);
	/* Skip the sample's own From_ line, if any. */
	const char *p = t->data;
	size_t n = t->len;
	if (n > 5 && memcmp(p, "From ", 5) == 0) {
		const char *nl = memchr(p, '\n', n);
		if (nl) {
			n -= (size_t)(nl + 1 - p);
			p = nl + 1;
		}
	}
	/* The header's Message-ID first (a new one), the rest with the
	 * recipients replaced. */
	snprintf(b, sizeof b, "X-Bench-Message-ID: <bounce.%llu.%08x@bench.example>\n", (unsigned long long)seq,
		 (unsigned)rnd());
	puts_(b);
	char *copy = malloc(n * 2 + 1024);
	if (!copy)
		die("out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		size_t hit = 0, which = 0;
		for (size_t r = 0; r < nr; r++) {
			size_t rl = strlen(t->rcpt[r]);
			if (rl && i + rl <= n && strncasecmp(p + i, t->rcpt[r], rl) == 0) {
				hit = rl;
				which = r;
				break;
			}
		}
		if (hit) {
			size_t ql = strlen(repl[which]);
			if (k + ql + (n - i) > n * 2 + 1000) {
				copy = realloc(copy, (k + ql + (n - i)) * 2);
				if (!copy)
					die("out of memory");
			}
			memcpy(copy + k, repl[which], ql);
			k += ql;
			i += hit;
		} else {
			copy[k++] = p[i++];
		}
	}
	/* Its Date: the generated one, so that bounces spread over time as a
	 * real mailbox's do (records without a date of their own take it). */
	size_t hdr_end = k;
	for (size_t i = 0; i + 1 < k; i++)
		if (copy[i] == '\n' && (copy[i + 1] == '\n' || (copy[i + 1] == '\r' && i + 2 < k && copy[i + 2] == '\n'))) {
			hdr_end = i;
			break;
		}
	size_t date_at = k, date_end = k;
	for (size_t i = 0; i < hdr_end; i++)
		if ((i == 0 || copy[i - 1] == '\n') && strncasecmp(copy + i, "date:", 5) == 0) {
			const char *nl = memchr(copy + i, '\n', k - i);
			date_at = i;
			date_end = nl ? (size_t)(nl - copy) + 1 : k;
			break;
		}
	if (date_at < k) {
		put_escaped(copy, date_at);
		put_date(seq);
		put_escaped(copy + date_end, k - date_end);
	} else {
		put_escaped(copy, k);
	}
	put("\n", 1);
	free(copy);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		die("bad size");
	switch (*end) {
	case 'k': case 'K': v <<= 10; break;
	case 'm': case 'M': v <<= 20; break;
	case 'g': case 'G': v <<= 30; break;
	case '\0': break;
	default: errno = 0; die("bad size suffix");
	}
	return v;
}

int main(int argc, char **argv)
{
	uint64_t size = 100ull << 20;
	unsigned bounce_pct = 100, attach_pct = 33;
	uint64_t seed = 1;
	int c;
	while ((c = getopt(argc, argv, "s:b:a:r:i:")) != -1) {
		switch (c) {
		case 's': size = parse_size(optarg); break;
		case 'b': bounce_pct = (unsigned)atoi(optarg); break;
		case 'a': attach_pct = (unsigned)atoi(optarg); break;
		case 'r': seed = strtoull(optarg, NULL, 10); break;
		case 'i': date_step = strtoull(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: genmbox [-s SIZE] [-b PERCENT] [-a PERCENT] [-r SEED] [-i SECONDS] TEMPLATES\n");
			return 2;
		}
	}
	if (optind != argc - 1 || bounce_pct > 100 || attach_pct > 100) {
		fprintf(stderr, "usage: genmbox [-s SIZE] [-b PERCENT] [-a PERCENT] [-r SEED] TEMPLATES\n");
		return 2;
	}
	size_t nt;
	tmpl *t = load_templates(argv[optind], &nt);
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	out_cap = 1 << 20;
	out = malloc(out_cap);
	if (!out)
		die("out of memory");
	for (uint64_t seq = 0; written + out_len < size; seq++) {
		if (below(100) < bounce_pct)
			bounce(seq, &t[below((unsigned)nt)]);
		else
			ordinary(seq, below(100) < attach_pct);
	}
	flush_out();
	if (fflush(stdout) != 0)
		die("write");
	return 0;
}
