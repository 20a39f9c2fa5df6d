/* genmaillog: writes a Postfix mail log for benchmarks, deterministically
 * (the same arguments give the same bytes).
 *
 *   genmaillog [-l LINES] [-r SEED] [-y] > maillog
 *
 * The log reads like a busy outbound relay's: each message is received
 * (smtpd connect, client=, cleanup message-id=, qmgr from=), delivered to
 * one to four recipients by smtp, then removed, with the connection's
 * disconnect line. Most deliveries are sent; about 3% are deferred (and
 * retried later: most are then sent, some bounce, some expire) and 2%
 * bounce at once, with the wordings of real servers. Recipients come from
 * a skewed pool of 2000 domains. Times advance by a fraction of a second
 * per message from 1 March, in classic syslog form (or ISO 8601 with -y).
 * It stops after the message that reaches LINES lines (default 3000000).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* A skewed draw: small numbers are much more likely. */
static unsigned skewed(unsigned n)
{
	unsigned a = below(n), b = below(n);
	return a < b ? a : b;
}

static const char *const tlds[] = {"com", "net", "org", "de", "jp", "co.uk", "fr", "example"};
static const char *const names[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
				    "ivan", "judy", "mallory", "nick", "olivia", "peggy", "rupert", "sybil",
				    "trent", "victor", "walter", "info", "sales", "support", "billing", "news"};

typedef struct failure {
	const char *dsn;
	const char *text; /* %s: the recipient, %h: the relay */
} failure;

static const failure bounces[] = {
	{"5.1.1", "host %h said: 550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)"},
	{"5.1.1", "host %h said: 550-5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. (in reply to RCPT TO command)"},
	{"5.2.2", "host %h said: 552 5.2.2 <%s>: Mailbox full (in reply to RCPT TO command)"},
	{"5.7.1", "host %h said: 554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org (in reply to RCPT TO command)"},
	{"5.7.26", "host %h said: 550 5.7.26 Unauthenticated email from example.org is not accepted due to domain's DMARC policy (in reply to end of DATA command)"},
	{"5.4.4", "Host or domain name not found. Name service error for name=%d type=MX: Host not found, try again"},
	{"5.0.0", "host %h said: 550 Requested action not taken: mailbox unavailable (in reply to RCPT TO command)"},
};

static const failure deferrals[] = {
	{"4.4.1", "connect to %h: Connection timed out"},
	{"4.7.0", "host %h said: 421 4.7.0 [TS01] Messages from 192.0.2.1 temporarily deferred due to user complaints (in reply to MAIL FROM command)"},
	{"4.2.2", "host %h said: 452 4.2.2 Mailbox full, try again later (in reply to RCPT TO command)"},
	{"4.7.1", "host %h said: 450 4.7.1 <%s>: Recipient address rejected: Greylisted, see http://postgrey.example/ (in reply to RCPT TO command)"},
	{"4.4.2", "lost connection with %h while receiving the initial server greeting"},
};

typedef struct pending {
	char qid[16];
	char rcpt[96];
	char domain[64];
	double at;
	int tries, host;
} pending;

static double now;
static int iso;
static unsigned long lines, max_lines = 3000000;

static void stamp(void)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	long t = (long)now;
	int frac = (int)((now - (double)t) * 1000000);
	int day = (int)(t / 86400), sec = (int)(t % 86400);
	int m = 2; /* March */
	while (m < 11 && day >= mdays[m]) {
		day -= mdays[m];
		m++;
	}
	if (iso)
		printf("2026-%02d-%02dT%02d:%02d:%02d.%06d+00:00 ", m + 1, day + 1, sec / 3600, sec / 60 % 60, sec % 60,
		       frac);
	else
		printf("%s %2d %02d:%02d:%02d ", mon[m], day + 1, sec / 3600, sec / 60 % 60, sec % 60);
}

static void qid(char *out)
{
	static const char a[] = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";
	for (int i = 0; i < 12; i++)
		out[i] = a[below(sizeof a - 1)];
	out[12] = '\0';
}

static void domain(char *out, size_t n)
{
	unsigned d = skewed(2000);
	snprintf(out, n, "d%u.example.%s", d, tlds[d % (sizeof tlds / sizeof tlds[0])]);
}

/* The failure text with its recipient, relay and domain put in. */
static void expand(char *out, size_t n, const char *t, const char *rcpt, const char *relay, const char *dom)
{
	size_t o = 0;
	for (; *t && o + 1 < n; t++) {
		const char *s = NULL;
		if (*t == '%' && (t[1] == 's' || t[1] == 'h' || t[1] == 'd')) {
			s = t[1] == 's' ? rcpt : t[1] == 'h' ? relay : dom;
			t++;
		}
		if (s) {
			size_t l = strlen(s);
			if (o + l >= n)
				break;
			memcpy(out + o, s, l);
			o += l;
		} else
			out[o++] = *t;
	}
	out[o] = '\0';
}

static void delivery(int host, const char *q, const char *rcpt, const char *dom, int pid, double delay, const char *status,
		     const char *dsn, const char *text)
{
	char relay[160];
	unsigned ip = (unsigned)(rcpt[0] * 7 + strlen(dom)) % 250 + 1;
	snprintf(relay, sizeof relay, "mx%u.%s[198.51.100.%u]:25", (unsigned)(dom[1] % 3) + 1, dom, ip);
	stamp();
	printf("mx%d postfix/smtp[%d]: %s: to=<%s>, relay=%s, delay=%.1f, delays=0.05/0.01/%.1f/%.2f, dsn=%s, "
	       "status=%s (",
	       host, pid, q, rcpt, strcmp(dsn, "4.4.1") == 0 ? "none" : relay, delay, delay / 2, delay / 3,
	       dsn, status);
	char relayhost[160];
	snprintf(relayhost, sizeof relayhost, "mx%u.%s[198.51.100.%u]", (unsigned)(dom[1] % 3) + 1, dom, ip);
	if (text) {
		char buf[512];
		expand(buf, sizeof buf, text, rcpt, relayhost, dom);
		fputs(buf, stdout);
	} else {
		char id[16];
		qid(id);
		printf("250 2.0.0 Ok: queued as %s", id);
	}
	puts(")");
	lines++;
}

int main(int argc, char **argv)
{
	int c;
	while ((c = getopt(argc, argv, "l:r:y")) != -1) {
		switch (c) {
		case 'l':
			max_lines = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rng_state ^= strtoull(optarg, NULL, 10) * 0x9E3779B97F4A7C15ull;
			if (!rng_state)
				rng_state = 1;
			break;
		case 'y':
			iso = 1;
			break;
		default:
			fprintf(stderr, "usage: genmaillog [-l LINES] [-r SEED] [-y] > maillog\n");
			return 2;
		}
	}
	static pending retry[4096];
	size_t nretry = 0;
	int pid = 1000;
	while (lines < max_lines) {
		now += 0.02 + (double)below(100) / 1000.0;
		pid = 1000 + (int)below(30000);
		char q[16], client[64];
		qid(q);
		snprintf(client, sizeof client, "app%u.example.org[192.0.2.%u]", below(8) + 1, below(8) + 10);
		int host = 1 + (int)below(2);
		stamp();
		printf("mx%d postfix/smtpd[%d]: connect from %s\n", host, pid, client);
		stamp();
		printf("mx%d postfix/smtpd[%d]: %s: client=%s\n", host, pid, q, client);
		stamp();
		printf("mx%d postfix/cleanup[%d]: %s: message-id=<%08x.%u@example.org>\n", host, pid + 4, q,
		       (unsigned)rnd(), below(100000));
		unsigned nrcpt = 1 + skewed(4);
		stamp();
		printf("mx%d postfix/qmgr[%d]: %s: from=<%s@example.org>, size=%u, nrcpt=%u (queue active)\n", host, 900, q,
		       names[below(sizeof names / sizeof names[0])], 2000 + below(60000), nrcpt);
		stamp();
		printf("mx%d postfix/smtpd[%d]: disconnect from %s ehlo=1 mail=1 rcpt=%u data=1 quit=1 commands=%u\n", host,
		       pid, client, nrcpt, nrcpt + 4);
		lines += 5;
		for (unsigned i = 0; i < nrcpt; i++) {
			char dom[64], rcpt[96];
			domain(dom, sizeof dom);
			snprintf(rcpt, sizeof rcpt, "%s%u@%s", names[below(sizeof names / sizeof names[0])], below(500), dom);
			unsigned roll = below(1000);
			double delay = 0.2 + (double)below(30) / 10.0;
			if (roll < 20) {
				const failure *f = &bounces[below(sizeof bounces / sizeof bounces[0])];
				delivery(host, q, rcpt, dom, pid + 10 + (int)i, delay, "bounced", f->dsn, f->text);
			} else if (roll < 50 && nretry < sizeof retry / sizeof retry[0]) {
				const failure *f = &deferrals[below(sizeof deferrals / sizeof deferrals[0])];
				delivery(host, q, rcpt, dom, pid + 10 + (int)i, delay, "deferred", f->dsn, f->text);
				pending *p = &retry[nretry++];
				snprintf(p->qid, sizeof p->qid, "%s", q);
				snprintf(p->rcpt, sizeof p->rcpt, "%s", rcpt);
				snprintf(p->domain, sizeof p->domain, "%s", dom);
				p->at = now + 300 + below(600);
				p->tries = 1;
				p->host = host;
			} else
				delivery(host, q, rcpt, dom, pid + 10 + (int)i, delay, "sent", "2.0.0", NULL);
		}
		stamp();
		printf("mx%d postfix/qmgr[%d]: %s: removed\n", host, 900, q);
		lines++;
		/* Retries that are due: most are then sent; some fail for good. */
		for (size_t i = 0; i < nretry;) {
			pending *p = &retry[i];
			if (p->at > now) {
				i++;
				continue;
			}
			double delay = now - p->at + 300;
			unsigned roll = below(100);
			if (roll < 70)
				delivery(p->host, p->qid, p->rcpt, p->domain, 2000 + (int)below(20000), delay, "sent", "2.0.0", NULL);
			else if (roll < 80)
				delivery(p->host, p->qid, p->rcpt, p->domain, 2000 + (int)below(20000), delay, "bounced", "5.1.1",
					 bounces[0].text);
			else if (roll < 90 && p->tries < 3) {
				delivery(p->host, p->qid, p->rcpt, p->domain, 2000 + (int)below(20000), delay, "deferred", "4.4.1",
					 deferrals[0].text);
				p->tries++;
				p->at = now + 900;
				i++;
				continue;
			} else {
				stamp();
				printf("mx%d postfix/qmgr[900]: %s: from=<news@example.org>, status=expired, returned to sender\n",
				       p->host, p->qid);
				lines++;
			}
			retry[i] = retry[--nretry];
		}
	}
	return 0;
}
