/* dsn_text.c: plain-text bounces, the shape most mail servers write when
 * they do not (or not only) send an RFC 3464 report.
 *
 * Nearly all of them have the same parts, whatever the wording:
 *   an introduction            "I'm afraid I wasn't able to deliver ..."
 *   recipient lines            "<user@example.org>:", "  user@example.org",
 *                              "Recipient address: user@example.org", ...
 *   what went wrong for each   indented or following lines, often holding
 *                              the remote server's reply ("host X said:
 *                              550 5.1.1 ...")
 *   a marker, then the original "--- Below this line is a copy of the message."
 * This engine finds those parts by their shape. Which server wrote the
 * bounce is told by its signature (the `signatures` table: a phrase each
 * server always writes), and names the decoder in the records: qmail,
 * exim, postfix, sendmail... A bounce-like message with no known signature
 * is read by the same engine as "text", but only when the message is a
 * bounce by its header (daemon sender and bounce subject, or structure).
 *
 * The findings also serve rfc3464.c: a standard report's text part often
 * holds the remote server's own reply, better evidence than the structured
 * fields (dx_text_findings).
 *
 * On bad input: lines are read with explicit lengths; a recipient without
 * any text gets the report's shared text; a message without a recognisable
 * recipient is not this decoder's (returns 0).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bounce.h"
#include "detect.h"
#include "dsnidx.h"
#include "hash.h"
#include "text.h"

/* Phrases by which a server's bounces are recognised, lower case, matched
 * at the start of a line of the report text (after leading blanks), and
 * the decoder each names (by index). On the first line that has one, the
 * first in this order wins: more specific first. */
static const char *const signatures[] = {
	"hi. this is the qmail-send program",
	"hi. this is the qmail",
	"this is the qmail-send program",
	"this is the mail system at host",
	"this is the postfix program at host",
	"this is the mailer-daemon, please do not reply",
	"this is the dragonfly mail agent",
	"this is a delivery status notification from",
	"courier mail server at",
	"delivery to the following recipient failed permanently",
	"delivery to the following recipients failed permanently",
	"delivery to the following recipient has been delayed",
	"** address not found **",
	"** message blocked **",
	"** message not delivered **",
	"sorry, we were unable to deliver your message to the following address",
	"this message was created automatically by mail delivery software",
	"this message was created automatically by the mail system",
	"this message was created automatically by",
	"google groups",
	"----- the following addresses had permanent fatal errors -----",
	"----- the following addresses had transient non-fatal errors -----",
	"----- transcript of session follows -----",
	"----- the following addresses had delivery problems -----",
	"this report relates to a message you sent with the following header fields",
	"your message cannot be delivered to the following recipients",
	"did not reach the following recipient(s)",
	"your message did not reach some or all of the intended recipients",
	"was not delivered to:",
	"------- failure reasons",
	"unable to deliver message to:",
	"included is a copy of the message header",
	"original message follows.",
	"-------server message",
	"error message below:",
	"transcript of session follows.",
	"duplicated message-id in",
	"sent <<< rcpt to:",
	"message could not be delivered to mobile",
	"это письмо создано автоматически сервером mail.ru",
	"your mail sent on:",
	"----- non-delivered information -----",
	/* Reports of servers whose make is unknown; their phrases still mark
	 * a bounce, read by the generic engine. */
	"your mail message to the following address(es) could not be delivered",
	"unable to deliver message to the following address(es)",
	"this is an automatically generated delivery status notification",
	"--- the header of the original message is following. ---",
};
static const char *const signature_names[] = {
	"qmail",
	"qmail",
	"qmail",
	"postfix",
	"postfix",
	"opensmtpd",
	"dragonfly",
	"courier",
	"courier",
	"gmail",
	"gmail",
	"gmail",
	"gmail",
	"gmail",
	"gmail",
	"yahoo",
	"exim",
	"exim",
	"exim",
	"googlegroups",
	"sendmail",
	"sendmail",
	"sendmail",
	"sendmail",
	"messagingserver",
	"messagingserver",
	"exchange2003",
	"exchange2003",
	"domino",
	"notes",
	"mailfoundry",
	"mxlogic",
	"imail",
	"mfilter",
	"james",
	"postfix",
	"fml",
	"interscan",
	"verizon",
	"mailru",
	"kddi",
	"biglobe",
	"text",
	"text",
	"text",
	"text",
};
_Static_assert(sizeof signatures / sizeof signatures[0] == sizeof signature_names / sizeof signature_names[0],
	       "one name per signature");

const char *const *dx_signature_list(size_t *n)
{
	*n = sizeof signatures / sizeof signatures[0];
	return signatures;
}

/* Lines that begin the returned original, lower case, matched anywhere in
 * a line of the report text. */
static const char *const original_markers[] = {
	"below this line is a copy of the message",
	"this is a copy of the message",
	"is a copy of the message",
	"original message follows",
	"----- original message -----",
	"original message headers",
	"original message header",
	"included is a copy of the message header",
	"header of the original message",
	"headers of the original message",
	"unsent message follows",
	"unsent message below",
	"message headers follow",
	"below is a copy of the original message",
	"------- returned message",
	"-------original message",
	"original message:",
	"returned message follows",
	"the original message headers are",
	"copy of the original message",
	"received message header",
	"here is a copy of the first part of the message",
	"content of the message follows",
	"original mail as follows",
};

/* Words that make the text before a colon a recipient label ("Recipient
 * address:", "Unknown user:", "Invalid final delivery userid:", "Could not
 * be delivered to:", "The following recipients returned permanent
 * errors:"), lower case. */
static const char *const label_words[] = {
	"recipient", "address", "user", "mailbox", "rcpt", "deliver", "account", "addressee", "error-for",
	"宛先", "受信者", "アドレス", "收件人", "получател", "empfänger", "destinataire", "destinatario",
};

/* Words by which a report says it has stopped trying: a temporary
 * status (qmail's "#4.4.1") then ends a failed delivery, not a delayed one. */
static const char *const gave_up_phrases[] = {
	"not going to try again", "i've given up", "i have given up", "has been in the queue too long",
	"no further attempts will be made", "will not be retried", "gave up on it",
};

/* Words by which a report says it will try again. */
static const char *const delay_phrases[] = {
	"will be retried", "will retry", "still being retried", "still trying", "this is a warning",
	"warning only", "has not yet been delivered", "not yet been delivered", "delivery has been delayed",
	"has been delayed", "will continue trying", "this is a delay", "will continue to try", "has been postponed",
	"attempts will continue",
	/* OpenSMTPD: "A message is delayed for more than 4 hours ...",
	 * "this is only a temporary failure report" */
	"is delayed for", "only a temporary failure",
};

/* Words by which a report says that a message was not delivered (or not
 * yet), lower case. A message that is a bounce only weakly by its header
 * (a bounce subject or a daemon sender, not both) and that no known server
 * signed is read when its report says so in these words: gateways and
 * providers sign their notices with names of their own
 * ("E500_SMTP_Mail_Service", "Symantec_AntiVirus_for_SMTP_Gateways"). */
static const char *const failure_phrases[] = {
	"could not be delivered", "couldn't be delivered", "cannot be delivered", "can't be delivered",
	"could not deliver", "unable to deliver", "not able to deliver", "wasn't able to deliver",
	"was not delivered", "were not delivered", "not been delivered", "failed to deliver",
	"delivery failed", "delivery has failed", "delivery failure", "delivery problem", "delivery error",
	"undeliverable", "did not reach", "failed recipient", "has been postponed", "has been returned",
	"returned to sender", "permanent error", "permanent fatal error", "non-delivery", "nondelivery",
	"n'a pas pu", "non remis", "nicht zugestellt", "unzustellbar", "no se pudo entregar",
	"non \xc3\xa8 stato possibile",                  /* it: non è stato possibile */
	"\xe6\x97\xa0\xe6\xb3\x95\xe5\x8f\x91\xe9\x80\x81",             /* zh: 无法发送 */
	"\xe6\x97\xa0\xe6\xb3\x95\xe6\x8a\x95\xe9\x80\x92",             /* zh: 无法投递 */
	"\xe4\xb8\x8d\xe8\x83\xbd\xe9\x80\x81\xe8\xbe\xbe",             /* zh: 不能送达 */
	"\xe9\x85\x8d\xe4\xbf\xa1\xe3\x81\xa7\xe3\x81\x8d\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93", /* ja: 配信できません */
};

enum {
	MAX_SHARED_TEXT = 2048,
	MAX_BLOCK_LINES = 12,
	MAX_LEAD_TEXT = 1024, /* the report's words before a lone recipient's line */
};

typedef struct tline {
	const char *p;   /* trimmed */
	size_t n;
	const char *raw; /* as in the text */
	size_t raw_n;
} tline;

static int next_line(const char *t, size_t tn, size_t *pos, tline *l)
{
	if (*pos >= tn)
		return 0;
	size_t e = dx_line_end(t, tn, *pos);
	l->raw = t + *pos;
	l->raw_n = e - *pos;
	size_t n = l->raw_n;
	l->p = dx_trim(l->raw, &n);
	l->n = n;
	*pos = e < tn ? e + 1 : tn; /* never past the end: callers take tn - *pos */
	return 1;
}

static int starts_ci(const tline *l, const char *phrase)
{
	return dx_startswith_ci(l->p, l->n, phrase);
}

typedef struct sig_search {
	const char *t;
	size_t tn;
	size_t best_line;   /* where the line of the best match starts; SIZE_MAX: none */
	size_t best_line_end;
	size_t best_id;
} sig_search;

static int sig_match(void *arg, size_t id, size_t end)
{
	sig_search *s = arg;
	if (s->best_line != SIZE_MAX && end > s->best_line_end)
		return 1; /* past the line of the best: nothing later can win */
	size_t start = end - strlen(signatures[id]);
	/* Only at the start of a line, after blanks. */
	size_t k = start;
	while (k > 0 && s->t[k - 1] != '\n' && dx_is_space(s->t[k - 1]))
		k--;
	if (k > 0 && s->t[k - 1] != '\n')
		return 0;
	if (s->best_line == SIZE_MAX || k < s->best_line || (k == s->best_line && id < s->best_id)) {
		s->best_line = k;
		s->best_id = id;
		const char *nl = memchr(s->t + end, '\n', s->tn - end);
		s->best_line_end = nl ? (size_t)(nl - s->t) : s->tn;
	}
	return 0;
}

/* The address of a "To:" line in the report's summary of the returned
 * message ("Subject: x / To: user@example.org", qmail at Yahoo), when
 * the original itself is not returned; NULL when none. */
static char *summary_to(dx_arena *a, const char *t, size_t rn)
{
	size_t pos = 0;
	tline l;
	while (next_line(t, rn, &pos, &l))
		if (l.n > 3 && dx_strncasecmp(l.p, "to:", 3) == 0 && memchr(l.p, '@', l.n))
			return dx_addr_extract(a, l.p + 3, l.n - 3);
	return NULL;
}

/* Whether a report that no known server signed, in a message that is a
 * bounce only weakly by its header, reads as a bounce: its first bytes say
 * that delivery failed, and its subject is not a person's reply or
 * forward. Bounded: a report says so at its start. */
static int reads_as_report(const dx_view *v, const char *t, size_t rn)
{
	enum { LOOK = 4096 };
	const char *subj = dx_header_get(v->hdr, "subject");
	if (subj && dx_reply_subject(subj, strlen(subj)))
		return 0;
	/* A newsletter about bounces has a bounce-like subject and the words
	 * too; it comes from a list, which no report does, unless a daemon
	 * sent it or its return path is null (a bounce passed on to a list's
	 * owner keeps those). */
	if (dx_header_get(v->hdr, "list-unsubscribe")) {
		const char *from = dx_header_get(v->hdr, "from");
		if (!dx_null_sender(v->hdr, &v->from_line) && !(from && dx_daemon_sender(from, strlen(from))))
			return 0;
	}
	size_t n = rn < LOOK ? rn : LOOK;
	for (size_t k = 0; k < sizeof failure_phrases / sizeof failure_phrases[0]; k++)
		if (dx_memcasemem(t, n, failure_phrases[k]))
			return 1;
	return 0;
}

/* The decoder named by the first signature at the start of a line of
 * t[0..tn), or NULL. One pass over the text, whatever the number of
 * signatures. */
static const char *signature_of(const dx_lexicon *lx, const char *t, size_t tn)
{
	sig_search s = {t, tn, SIZE_MAX, 0, 0};
	dx_phrases_scan(dx_lexicon_get(lx, DX_LEX_SIGNATURE), t, tn, sig_match, &s);
	return s.best_line == SIZE_MAX ? NULL : signature_names[s.best_id];
}

const char *const *dx_original_marker_list(size_t *n)
{
	*n = sizeof original_markers / sizeof original_markers[0];
	return original_markers;
}

/* The bytes of a horizontal rule ("-----", "=====", "*****", "_____"). */
static int rule_byte(char c)
{
	return c == '-' || c == '=' || c == '*' || c == '_';
}

/* Whether the line is rule bytes and spaces only (or empty). */
static int rule_line(const tline *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!rule_byte(l->p[i]) && l->p[i] != ' ')
			return 0;
	return 1;
}

/* A header field line of a returned original ("Received: from ..."): a
 * known field name and its colon at the start of the line, or "X-". Asked
 * of every line of a report, so the name is found first and compared by
 * length. */
static int header_like(const tline *l)
{
	static const struct {
		const char *name;
		size_t len;
	} names[] = {
#define N(s) {s, sizeof s - 1}
		N("return-path:"), N("received:"), N("message-id:"), N("from:"), N("to:"), N("subject:"), N("date:"),
		N("mime-version:"), N("content-type:"), N("dkim-signature:"), N("delivered-to:"), N("reply-to:"),
		N("arc-seal:"), N("authentication-results:"), N("cc:"),
#undef N
	};
	if (l->raw_n < 2 || dx_is_space(l->raw[0]))
		return 0;
	if ((l->raw[0] == 'x' || l->raw[0] == 'X') && l->raw[1] == '-')
		return 1;
	const char *colon = memchr(l->raw, ':', l->raw_n < 24 ? l->raw_n : 24);
	if (!colon)
		return 0;
	size_t len = (size_t)(colon - l->raw) + 1;
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
		if (names[k].len == len && dx_strncasecmp(l->raw, names[k].name, len) == 0)
			return 1;
	return 0;
}

/* Where the returned original's header block starts when no marker says:
 * header lines in a row, three at least, one of them a field that only a
 * message has (Received, Return-Path, Message-ID, MIME-Version); a copy
 * may leave out its trace fields and begin with From, To, Cc, Subject and
 * Date, so the block is read up to its end (a blank line), 16 lines at
 * most. */
static int header_block_at(const char *t, size_t tn, size_t pos)
{
	tline l;
	int lines = 0, strong = 0;
	while (lines < 16 && next_line(t, tn, &pos, &l)) {
		if (l.raw_n && dx_is_space(l.raw[0]) && lines)
			continue; /* folded */
		if (!l.raw_n)
			break; /* the block's end */
		if (!header_like(&l))
			return 0;
		if (dx_startswith_ci(l.raw, l.raw_n, "received:") || dx_startswith_ci(l.raw, l.raw_n, "return-path:") ||
		    dx_startswith_ci(l.raw, l.raw_n, "message-id:") || dx_startswith_ci(l.raw, l.raw_n, "mime-version:"))
			strong = 1;
		lines++;
		if (lines >= 3 && strong)
			return 1;
	}
	return 0;
}

/* The report part of the text: from the start to the line that begins the
 * original. *orig gets where the original's header block begins (or tn). */
static size_t report_end(const dx_lexicon *lx, const char *t, size_t tn, size_t *orig);

/* report_end() of the view's plain text t, worked out once per message. */
static size_t view_report_end(dx_view *v, dx_text t, size_t *orig)
{
	if (!v->report_state) {
		v->report_end = report_end(v->lex, t.p, t.n, &v->report_orig);
		v->report_state = 1;
	}
	*orig = v->report_orig;
	return v->report_end;
}

/* The SMTP stage the report part names as a whole, worked out once. */
static const char *view_report_command(dx_view *v, dx_text t, size_t rn)
{
	if (!v->report_command_state) {
		v->report_command = dx_smtp_command(v->lex, t.p, rn);
		v->report_command_state = 1;
	}
	return v->report_command;
}

/* Bytes of a report searched for markers at a time (to a line end). */
#define REPORT_BLOCK 2048

static size_t report_end(const dx_lexicon *lx, const char *t, size_t tn, size_t *orig)
{
	size_t pos = 0, start;
	tline l;
	*orig = tn;
	const dx_phrases *markers = dx_lexicon_get(lx, DX_LEX_ORIGINAL);
	/* Markers hold no line break (test_markers_one_line), so a match
	 * never spans lines: lines are searched a block at a time (it was a
	 * call per line, 62,054 calls on the first 10 MB of bounces.mbox), and
	 * the first line that holds the end of the first match is the first
	 * that holds a marker. Blocks go a little past the line that ends the
	 * report, and what follows (most often the whole returned message) is
	 * not read. */
	size_t searched = 0, mark = SIZE_MAX; /* mark: last byte of the first marker in t[..searched) */
	while (start = pos, next_line(t, tn, &pos, &l)) {
		if (start >= searched && mark == SIZE_MAX) {
			size_t to = tn - start > REPORT_BLOCK ? dx_line_end(t, tn, start + REPORT_BLOCK) : tn;
			size_t end;
			if (dx_phrases_any(markers, t + start, to - start, NULL, &end))
				mark = start + end - 1;
			searched = to;
		}
		int marked = mark < pos;
		if (marked) {
			/* The header block follows the marker, after blank lines or a
			 * line of dashes. */
			size_t h = pos;
			tline m;
			size_t p2 = h;
			while (next_line(t, tn, &p2, &m) && rule_line(&m))
				h = p2;
			*orig = h;
			return start;
		}
		if (header_block_at(t, tn, start)) {
			*orig = start;
			return start;
		}
	}
	return tn;
}

static int is_bullet(char c)
{
	return c == '*' || c == '-' || c == '>' || c == '#' || c == '+';
}

/* If the line names a recipient, returns the address and sets *rest_at to
 * the offset in the line just after it. */
static size_t reply_start(const char *p, size_t n);

static char *recipient_on(dx_arena *a, const tline *l, size_t *rest_at, size_t *label_at, int *has_label,
			  int *source)
{
	const char *p = l->p;
	size_t n = l->n, i = 0;
	*source = 0;
	if (n == 0 || !memchr(p, '@', n))
		return NULL;
	/* Quoted text of a person's reply ("> ...") is not the report. */
	if (n >= 2 && p[0] == '>' && p[1] == ' ')
		return NULL;
	while (i < n && (is_bullet(p[i]) || dx_is_space(p[i])))
		i++;
	/* Sendmail's "550 <user@x>... User unknown": a reply code, then the
	 * address in brackets; the reply is part of what the line says. */
	size_t reply_at = SIZE_MAX;
	if (n - i > 5 && p[i] >= '2' && p[i] <= '5' && p[i + 1] >= '0' && p[i + 1] <= '9' && p[i + 2] >= '0' &&
	    p[i + 2] <= '9' && p[i + 3] == ' ') {
		/* ... or "554 5.0.0 <user@x>... Service unavailable" */
		size_t k = i + 4;
		if (k < n && p[k] >= '2' && p[k] <= '5' && k + 1 < n && p[k + 1] == '.') {
			size_t e = k;
			while (e < n && (p[e] == '.' || (p[e] >= '0' && p[e] <= '9')))
				e++;
			if (e < n && p[e] == ' ')
				k = e + 1;
		}
		if (k < n && p[k] == '<') {
			reply_at = i;
			i = k;
		}
	}
	if (i + 3 <= n && (unsigned char)p[i] == 0xe2 && (unsigned char)p[i + 1] == 0x80 &&
	    (unsigned char)p[i + 2] == 0xa2)
		i += 3; /* U+2022 bullet */
	while (i < n && dx_is_space(p[i]))
		i++;
	/* A label: a short phrase with a recipient word, then a colon. */
	*label_at = i;
	*has_label = 0;
	size_t colon = i;
	size_t colon_len = 1;
	while (colon < n && colon - i <= 64 && p[colon] != ':' && p[colon] != '@' && p[colon] != '<') {
		if (n - colon >= 3 && (unsigned char)p[colon] == 0xef && (unsigned char)p[colon + 1] == 0xbc &&
		    (unsigned char)p[colon + 2] == 0x9a) {
			colon_len = 3; /* the full-width colon of CJK text */
			break;
		}
		colon++;
	}
	if (colon < n && (p[colon] == ':' || colon_len == 3) && colon > i && colon - i <= 64) {
		/* Words, and numbers after the first ("Delivery failed 20
		 * attempts: x@y"); a line that starts with a number is a reply. */
		int words_only = 1;
		for (size_t j = i; j < colon && words_only; j++) {
			unsigned char c = (unsigned char)p[j];
			words_only = c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ' ' ||
				     c == '-' || c == '\'' || c == '(' || c == ')' || c == '/' || c == '_' ||
				     (j > i && c >= '0' && c <= '9');
		}
		int has_word = 0;
		for (size_t k = 0; words_only && !has_word && k < sizeof label_words / sizeof label_words[0]; k++)
			has_word = dx_memcasemem(p + i, colon - i, label_words[k]) != NULL;
		if (words_only && has_word) {
			*has_label = 1;
			i = colon + colon_len;
			while (i < n && dx_is_space(p[i]))
				i++;
			/* "rfc822; user@x" as in the structured fields */
			if (n - i > 7 && dx_strncasecmp(p + i, "rfc822;", 7) == 0) {
				i += 7;
				while (i < n && dx_is_space(p[i]))
					i++;
			}
		}
	}
	/* Exim names the address a pipe or file delivery came from. */
	if (n - i > 13 && dx_strncasecmp(p + i, "generated by ", 13) == 0)
		i += 13;
	/* The address token. */
	size_t s = i;
	char open = 0;
	if (i < n && (p[i] == '<' || p[i] == '"' || p[i] == '\'' || p[i] == '[' || p[i] == '(')) {
		open = p[i];
		i++;
	}
	/* An address with its type, as Exchange and MailEnable write it:
	 * "[SMTP:user@x]". */
	if (n - i > 5 && dx_strncasecmp(p + i, "smtp:", 5) == 0)
		i += 5;
	/* The address a failed one stood for, when that one is not shown:
	 * Exim's "an undisclosed address (generated from x@y)", "to local
	 * user x. (Originally addressed to x@y)". The caller decides. */
	if (open == '(') {
		static const char *const leads[] = {"generated from ", "originally addressed to "};
		for (size_t k = 0; k < 2 && !*source; k++) {
			size_t kn = strlen(leads[k]);
			if (n - i > kn && dx_strncasecmp(p + i, leads[k], kn) == 0) {
				i += kn;
				*source = 1;
			}
		}
	}
	/* An X.400 address with the SMTP address as a domain-defined
	 * attribute (Exchange 5.5): "c=US;a= ;p=Org;o=Site;dda:SMTP=x@y;". */
	if (!open && n - i > 2 && (p[i] == 'c' || p[i] == 'C') && p[i + 1] == '=') {
		const char *dda = dx_memcasemem(p + i, n - i, "dda:smtp=");
		if (dda)
			i = (size_t)(dda - p) + 9;
	}
	size_t as = i;
	while (i < n && !dx_is_space(p[i]) && p[i] != '>' && p[i] != '"' && p[i] != '\'' && p[i] != ']' &&
	       p[i] != ')' && p[i] != ',' && p[i] != ';')
		i++;
	size_t ae = i;
	/* A trailing colon ends the address ("user@x:"), unless it is all. */
	while (ae > as && (p[ae - 1] == ':' || p[ae - 1] == '.'))
		ae--;
	if (ae <= as || !memchr(p + as, '@', ae - as))
		return NULL;
	if (open && i < n && (p[i] == '>' || p[i] == '"' || p[i] == '\'' || p[i] == ']' || p[i] == ')'))
		i++;
	(void)s;
	char *addr = dx_addr_extract(a, p + as, ae - as);
	if (!addr)
		return NULL;
	/* What follows the address must read as its explanation, not as more
	 * of a sentence: end of line, a separator, or a space. */
	if (i < n && !(p[i] == ':' || p[i] == '.' || dx_is_space(p[i]) || p[i] == '(' || p[i] == '[' ||
		       p[i] == ',' || p[i] == '<' || p[i] == '-' || p[i] == ';'))
		return NULL;
	*rest_at = (size_t)(p + i - l->p);
	/* Unless what follows has a reply of its own (Sendmail's "554
	 * <x>... 550 Host unknown": the remote's is the inner one). */
	if (reply_at != SIZE_MAX && !*has_label && reply_start(p + i, n - i) == n - i) {
		*has_label = 1;
		*label_at = reply_at;
	}
	return addr;
}

/* "RCPT TO:<user@example.org>" in a session transcript names the
 * recipient the next reply is about. */
static char *recipient_in_rcpt(dx_arena *a, const tline *l, size_t *rest_at)
{
	const char *q = dx_memcasemem(l->p, l->n, "rcpt to:");
	if (!q)
		return NULL;
	size_t off = (size_t)(q - l->p) + 8;
	while (off < l->n && dx_is_space(l->p[off]))
		off++;
	if (off >= l->n || l->p[off] != '<')
		return NULL; /* the command's syntax, not a mention of it */
	const char *e = memchr(l->p + off, '>', l->n - off);
	size_t end = e ? (size_t)(e - l->p) + 1 : l->n;
	char *addr = dx_addr_extract(a, l->p + off, end - off);
	if (addr)
		*rest_at = end;
	return addr;
}

/* "... to <user@example.org>." and "Unable to deliver message to: x@y": a
 * recipient inside a sentence, for reports without recipient lines. */
static char *recipient_in_sentence(dx_arena *a, const tline *l)
{
	static const char *const leads[] = {"to: ", "to <", "to ", "for <", "for: ", "recipient ", "in <", "mailbox "};
	if (!memchr(l->p, '@', l->n))
		return NULL;
	int about_delivery = dx_memcasemem(l->p, l->n, "deliver") || dx_memcasemem(l->p, l->n, "message") ||
			     dx_memcasemem(l->p, l->n, "recipient") || dx_memcasemem(l->p, l->n, "mail");
	if (!about_delivery)
		return NULL;
	for (size_t k = 0; k < sizeof leads / sizeof leads[0]; k++) {
		const char *q = dx_memcasemem(l->p, l->n, leads[k]);
		while (q) {
			size_t off = (size_t)(q - l->p) + strlen(leads[k]);
			if (leads[k][strlen(leads[k]) - 1] == '<')
				off--;
			char *addr = dx_addr_extract(a, l->p + off, l->n - off);
			/* The address must come right after the lead. */
			if (addr) {
				const char *at = dx_memcasemem(l->p + off, l->n - off, addr);
				if (at && at - (l->p + off) <= 2)
					return addr;
			}
			size_t from = (size_t)(q - l->p) + 1;
			q = from < l->n ? dx_memcasemem(l->p + from, l->n - from, leads[k]) : NULL;
		}
	}
	return NULL;
}

/* ---- recipients and their text ------------------------------------------- */

typedef struct found {
	const char *addr;
	size_t start, end;      /* the recipient's text in the report (start == end: none) */
	int own;                /* one of the report's own addresses */
	int listed;             /* its recipient line was seen */
	const char *command;    /* the stage, when the line says (RCPT TO:<x>) */
	int sentence;           /* named inside a sentence, not on a line of its own */
	/* The remote's answers in the session transcript of its host, before
	 * its line (Sendmail: "While talking to HOST: >>> DATA <<< 554 ..."). */
	size_t pre_start, pre_end;
	int accounted;          /* its Sendmail status line was read */
	/* A sentence about it elsewhere in the report (start == end: none). */
	size_t sent_start, sent_end;
} found;

/* An SMTP reply in text: a reply code where a reply starts. Returns its
 * offset or n. */
static size_t reply_start(const char *p, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++) {
		char c = p[i];
		if (c != '4' && c != '5')
			continue;
		if (i > 0 && !(dx_is_space(p[i - 1]) || p[i - 1] == ':' || p[i - 1] == '(' || p[i - 1] == '\'' ||
			       p[i - 1] == '"' || p[i - 1] == '#' || p[i - 1] == '<'))
			continue;
		if (!(p[i + 1] >= '0' && p[i + 1] <= '5') || !(p[i + 2] >= '0' && p[i + 2] <= '9'))
			continue;
		if (p[i + 3] != ' ' && p[i + 3] != '-')
			continue;
		/* "4 days", IP addresses, years are not replies; a reply is
		 * followed by text or an enhanced code. */
		return i;
	}
	return n;
}

char *dx_join_reply(dx_arena *a, const char *s)
{
	size_t n = strlen(s);
	char *o = dx_arena_alloc(a, n + 1);
	if (!o)
		return NULL;
	if (n < 4 || !(s[0] >= '2' && s[0] <= '5') || (s[3] != '-' && s[3] != ' ')) {
		memcpy(o, s, n + 1);
		return o;
	}
	char code[4] = {s[0], s[1], s[2], 0};
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		/* At each " CODE-" or " CODE " after the first, drop the prefix
		 * and a repeated enhanced code. */
		if (i > 0 && s[i - 1] == ' ' && n - i >= 4 && memcmp(s + i, code, 3) == 0 &&
		    (s[i + 3] == '-' || s[i + 3] == ' ')) {
			size_t j = i + 4;
			size_t e = j;
			while (e < n && (s[e] == '.' || (s[e] >= '0' && s[e] <= '9')))
				e++;
			if (e > j && e < n && s[e] == ' ' && memchr(s + j, '.', e - j))
				j = e + 1;
			i = j;
			continue;
		}
		o[k++] = s[i++];
	}
	o[k] = '\0';
	if (k > 4 && o[3] == '-')
		o[3] = ' ';
	return o;
}

/* Reads host names from a server's text: "host mx.example.org [192.0.2.1]",
 * "remote host 192.0.2.1 said", "while talking to mx.example.org.",
 * "Server mx.example.org[192.0.2.1] failed", "Remote system: dns; host".
 * The phrases, in order of trust: the first that gives a host wins,
 * wherever it stands; the trails (the host is the word before them) come
 * last, so they count only when no lead has one. All found in one pass
 * (the lexicon's DX_LEX_REMOTE). */
static const char *const remote_leads[] = {
	"remote host ", "host ", "host: ", "while talking to ", "talking to ", "server ", "remote system: dns;",
	"remote server ", "remote server:", "receiving server:", "remote mta:", "mx ",
	/* qmail: "Connected to 192.0.2.1 but ...", "Giving up on 192.0.2.1." */
	"connected to ", "giving up on ",
	/* Postfix, a host that did not answer: "connect to mx.example.org[192.0.2.7]:25:
	 * Connection timed out", "conversation with mx.example.org[192.0.2.7]
	 * timed out while ...", "lost connection with mx.example.org[192.0.2.7]
	 * while ..."; Sendmail: "Connection refused by mx.example.org." */
	"connect to ", "conversation with ", "lost connection with ", "connection refused by ",
	/* Exchange Online's expiry: "... [LastAttemptedServerName=mx.example.net]" */
	"lastattemptedservername=",
	/* Gmail: "rejected by the server for the recipient domain example.jp
	 * by mx.example.jp. [192.0.2.153]" */
	"for the recipient domain ",
	/* Gmail's deferrals: "[(0) mx.example.com. [192.0.2.1]:25: socket
	 * error]" */
	"[(",
	/* "remote server" in the languages of localised NDRs: "Le serveur
	 * distant mx.example.fr a retourné ...", "El servidor remoto ..." */
	"serveur distant ", "servidor remoto ", "server remoto ",
	/* qmail: "192.0.2.1 does not like recipient.", "192.0.2.1 failed after
	 * I sent the message." */
	" does not like ", " failed after i sent the message",
	/* DragonFly: "mx.example.net [192.0.2.25] did not like our RCPT TO:" */
	" did not like our ",
	/* MDaemon's transcript: "Attempting SMTP connection to
	 * [mx.example.net : 25]" */
	"smtp connection to ",
	/* Sendmail: "Deferred: Connection timed out with mx.example.org.",
	 * "... during user open with mx.example.org", "timeout waiting for
	 * input from mx.example.org during ..." */
	"timed out with ", "user open with ", "waiting for input from ",
	/* Domino: "Error transferring to mx.example.net; SMTP Protocol
	 * Returned a Permanent Error 552 ..." */
	"error transferring to ",
};

/* Where each lead's host stands, and whether it names the remote whatever
 * text it is in (STRONG: not "host", "server", "mx"..., which a report
 * also says of its own server). */
enum {
	AFTER = 0,          /* the host follows */
	AFTER_NUMBER = 1,   /* a number and ") " come first ("[(0) host") */
	AFTER_DOMAIN_BY = 2,/* a domain and "by " come first */
	BEFORE = 3,         /* the host is the word before: a trail */
	STRONG = 4,
	PORTED = 8,         /* only with a port after the host ("[host : 25]"):
			     * MDaemon first names the domain it looks up */
};
static const unsigned char remote_lead_kinds[] = {
	AFTER | STRONG, AFTER, AFTER, AFTER, AFTER, AFTER, AFTER | STRONG,
	AFTER | STRONG, AFTER | STRONG, AFTER | STRONG, AFTER | STRONG, AFTER,
	AFTER, AFTER,
	AFTER, AFTER, AFTER, AFTER,
	AFTER | STRONG,
	AFTER_DOMAIN_BY | STRONG,
	AFTER_NUMBER | STRONG,
	AFTER | STRONG, AFTER | STRONG, AFTER | STRONG,
	BEFORE | STRONG, BEFORE | STRONG,
	BEFORE | STRONG,
	AFTER | STRONG | PORTED,
	AFTER | STRONG, AFTER | STRONG, AFTER | STRONG,
	AFTER | STRONG,
};
_Static_assert(sizeof remote_leads / sizeof remote_leads[0] == sizeof remote_lead_kinds,
	       "one kind per remote lead");

const char *const *dx_remote_lead_list(size_t *n)
{
	*n = sizeof remote_leads / sizeof remote_leads[0];
	return remote_leads;
}

typedef struct remote_search {
	const char *p;
	size_t n;
	int strong;             /* only the STRONG leads */
	size_t best;            /* the lead's index, or SIZE_MAX */
	const char *host;
	size_t host_n;
} remote_search;

/* Whether q[0..n), what follows a host name, says that it spoke: an
 * optional "[address]" or "(address)", then "said" or "says". */
static int speaks_after(const char *q, size_t n)
{
	size_t i = 0;
	if (i < n && (q[i] == ']' || q[i] == '>'))
		i++;
	while (i < n && (q[i] == ' ' || q[i] == '\t'))
		i++;
	if (i < n && (q[i] == '[' || q[i] == '(')) {
		char close = q[i] == '[' ? ']' : ')';
		const char *e = memchr(q + i, close, n - i < 64 ? n - i : 64);
		if (!e)
			return 0;
		i = (size_t)(e - q) + 1;
		while (i < n && (q[i] == ' ' || q[i] == '\t'))
			i++;
	}
	return n - i >= 4 && (dx_strncasecmp(q + i, "said", 4) == 0 || dx_strncasecmp(q + i, "says", 4) == 0);
}

/* When h[0..hl) is an IPv4 address followed by " (name)" before end,
 * the name (a dotted host, *nl its length); else NULL. */
static const char *name_after_address(const char *h, size_t hl, const char *end, size_t *nl)
{
	for (size_t i = 0; i < hl; i++)
		if (!(h[i] == '.' || (h[i] >= '0' && h[i] <= '9')))
			return NULL;
	const char *q = h + hl;
	if (q < end && *q == ']')
		q++;
	if (end - q < 6 || q[0] != ' ' || q[1] != '(')
		return NULL;
	q += 2;
	size_t k = 0;
	while (q + k < end && ((q[k] >= 'a' && q[k] <= 'z') || (q[k] >= 'A' && q[k] <= 'Z') ||
			       (q[k] >= '0' && q[k] <= '9') || q[k] == '.' || q[k] == '-' || q[k] == '_'))
		k++;
	if (q + k >= end || q[k] != ')')
		return NULL;
	while (k && q[k - 1] == '.')
		k--;
	/* A name, not another address: it has a letter and a dot. */
	int letter = 0;
	for (size_t i = 0; i < k; i++)
		letter |= (q[i] >= 'a' && q[i] <= 'z') || (q[i] >= 'A' && q[i] <= 'Z');
	if (k < 4 || !letter || !memchr(q, '.', k))
		return NULL;
	*nl = k;
	return q;
}

static int remote_hit(void *arg, size_t id, size_t end)
{
	remote_search *rs = arg;
	if (id >= rs->best)
		return 0; /* a lead as trusted or more already gave one */
	unsigned kind = remote_lead_kinds[id];
	/* A weak lead in text that is not the recipient's own counts only
	 * when the host is said to speak: "host mx.example.net [192.0.2.5]
	 * says:" (CommuniGate), "host X said:" (Postfix). */
	int must_speak = rs->strong && !(kind & STRONG);
	int ported = (kind & PORTED) != 0;
	kind &= ~(unsigned)(STRONG | PORTED);
	if (must_speak && kind != AFTER)
		return 0;
	const char *p = rs->p;
	size_t n = rs->n;
	const char *h;
	size_t hl = 0;
	if (kind == BEFORE) {
		const char *q = p + end - strlen(remote_leads[id]);
		while (q - hl > p && !dx_is_space(q[-(ptrdiff_t)hl - 1]))
			hl++;
		h = q - hl;
		/* "name [address]": the name, when there is one */
		if (hl > 2 && h[0] == '[' && h[hl - 1] == ']') {
			const char *e = h;
			while (e > p && dx_is_space(e[-1]) && e[-1] != '\n')
				e--;
			size_t nl = 0;
			while (e < h && e - nl > p && !dx_is_space(e[-(ptrdiff_t)nl - 1]))
				nl++;
			if (nl >= 4 && memchr(e - nl, '.', nl) && !memchr(e - nl, '@', nl)) {
				h = e - nl;
				hl = nl;
			} else {
				h++;
				hl -= 2;
			}
		}
		if (hl < 4 || !memchr(h, '.', hl) || memchr(h, '@', hl))
			return 0;
	} else {
		/* "Client host [192.0.2.5] blocked using ...", "your host":
		 * the sender's own host, of which the remote speaks. */
		const char *lead = p + end - strlen(remote_leads[id]);
		static const char *const senders[] = {"client ", "your ", "sending ", "connecting ", "originating "};
		for (size_t k = 0; k < sizeof senders / sizeof senders[0]; k++) {
			size_t kl = strlen(senders[k]);
			if ((size_t)(lead - p) >= kl && dx_strncasecmp(lead - kl, senders[k], kl) == 0)
				return 0;
		}
		h = p + end;
		while (h < p + n && dx_is_space(*h))
			h++;
		if (kind == AFTER_NUMBER) {
			while (h < p + n && *h >= '0' && *h <= '9')
				h++;
			if (p + n - h <= 2 || h[0] != ')' || h[1] != ' ')
				return 0;
			h += 2;
		} else if (kind == AFTER_DOMAIN_BY) {
			while (h < p + n && !dx_is_space(*h))
				h++; /* the domain */
			while (h < p + n && dx_is_space(*h))
				h++;
			if (p + n - h <= 3 || dx_strncasecmp(h, "by ", 3) != 0)
				return 0;
			h += 3;
		}
		/* Exchange: "Remote Server at mx.example.org (192.0.2.3)". */
		if (p + n - h > 3 && dx_strncasecmp(h, "at ", 3) == 0)
			h += 3;
		/* "Remote-MTA: <192.0.2.55>", "host [192.0.2.1] said" */
		if (h < p + n && (*h == '<' || *h == '[' || *h == '('))
			h++;
		while (h + hl < p + n && (dx_lower(h[hl]) != h[hl] || (h[hl] >= 'a' && h[hl] <= 'z') ||
					  (h[hl] >= '0' && h[hl] <= '9') || h[hl] == '.' || h[hl] == '-' || h[hl] == '_'))
			hl++;
		while (hl && h[hl - 1] == '.')
			hl--;
		/* A host has a dot and no '@' next to it. */
		if (hl < 4 || !memchr(h, '.', hl) || (h + hl < p + n && h[hl] == '@'))
			return 0;
		/* "Remote server 192.0.2.40 (mx.example.net)" (Kerio): the
		 * name, when the address is followed by one. */
		size_t nl = 0;
		const char *name = name_after_address(h, hl, p + n, &nl);
		if (name) {
			h = name;
			hl = nl;
		}
		if (must_speak && !speaks_after(h + hl, (size_t)(p + n - (h + hl))))
			return 0;
		/* "host nxdomain.example not found": a name that did not
		 * resolve is no server that answered. */
		if (p + n - (h + hl) >= 10 && dx_strncasecmp(h + hl, " not found", 10) == 0)
			return 0;
		if (ported) {
			const char *q = h + hl;
			while (q < p + n && *q == ' ')
				q++;
			if (q + 1 >= p + n || *q != ':' || !(q[1] == ' ' || (q[1] >= '0' && q[1] <= '9')))
				return 0;
		}
	}
	rs->best = id;
	rs->host = h;
	rs->host_n = hl;
	return id == 0; /* nothing beats the first lead */
}

/* The remote host named in p[0..n), NULL if none; strong: only by the
 * strong leads (for text that is not the recipient's own). */
static const char *remote_named(const dx_lexicon *lx, dx_arena *a, const char *p, size_t n, int strong)
{
	remote_search rs = {p, n, strong, SIZE_MAX, NULL, 0};
	dx_phrases_scan(dx_lexicon_get(lx, DX_LEX_REMOTE), p, n, remote_hit, &rs);
	return rs.host ? dx_host(a, rs.host, rs.host_n) : NULL;
}

static const char *remote_in(const dx_lexicon *lx, dx_arena *a, const char *p, size_t n)
{
	return remote_named(lx, a, p, n, 0);
}

const char *dx_text_remote_host(const dx_lexicon *lx, dx_arena *a, const char *p, size_t n)
{
	return remote_named(lx, a, p, n, 1);
}

static int is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* A reply in a transcript that marks commands with arrows runs on into
 * the next command once its lines are joined ("552 5.3.4 Message size
 * exceeds fixed limit Tue 2010-03-09 10:02:12: --> QUIT", MDaemon): cuts
 * d[0..dn) before that command and its time stamp. Returns the new length. */
static size_t cut_at_next_command(char *d, size_t dn)
{
	const char *arrow = dn > 8 ? dx_memmem(d + 4, dn - 4, " --> ", 5) : NULL;
	if (!arrow)
		return dn;
	size_t e = (size_t)(arrow - d);
	/* The time stamp before it: "Tue 2010-03-09 10:02:12:", digits and
	 * separators, then perhaps a day's name. */
	size_t k = e;
	while (k > 0 && ((d[k - 1] >= '0' && d[k - 1] <= '9') || d[k - 1] == ':' || d[k - 1] == '-' ||
			 d[k - 1] == '.' || d[k - 1] == ' '))
		k--;
	if (k >= 4 && d[k - 4] == ' ' && is_letter(d[k - 1]) && is_letter(d[k - 2]) && is_letter(d[k - 3]) &&
	    e - k >= 8)
		k -= 3;
	else if (e - k < 8)
		k = e; /* no time stamp: cut at the arrow only */
	while (k > 0 && d[k - 1] == ' ')
		k--;
	if (k < 4)
		return dn;
	d[k] = '\0';
	return k;
}

/* A transcript that marks the remote's lines with arrows and time stamps
 * ("Tue 2025-03-04 15:20:01.330: <-- 550 5.2.1 ..."), its lines joined:
 * a copy of text[0..n) without each stamp and arrow, so that a reply's
 * continued lines join as a reply's do. NULL on memory. */
static char *strip_reply_arrows(dx_arena *a, const char *text, size_t n)
{
	char *o = dx_arena_alloc(a, n + 1);
	if (!o)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		if (n - i >= 6 && memcmp(text + i, ": <-- ", 6) == 0) {
			/* Back over the stamp already copied: digits and
			 * separators, then a day's name. */
			size_t j = k;
			while (j > 0 && ((o[j - 1] >= '0' && o[j - 1] <= '9') || o[j - 1] == ':' || o[j - 1] == '-' ||
					 o[j - 1] == '.' || o[j - 1] == ' '))
				j--;
			if (k - j >= 8) {
				if (j >= 3 && is_letter(o[j - 1]) && is_letter(o[j - 2]) && is_letter(o[j - 3]) &&
				    (j == 3 || o[j - 4] == ' '))
					j -= 3;
				k = j;
				if (k > 0 && o[k - 1] != ' ')
					o[k++] = ' ';
				i += 6;
				continue;
			}
		}
		o[k++] = text[i++];
	}
	o[k] = '\0';
	return o;
}

/* Fills a recipient from its text block: the remote's reply as the
 * diagnostic, what precedes it as the summary. */
static int fill_from_text(const dx_lexicon *lx, dx_arena *a, dx_rcpt *r, const char *text)
{
	size_t n = strlen(text);
	/* Sendmail notes the alias a recipient came from after it, "(expanded
	 * from: <sales@example.com>)": that is no part of the failure's text. */
	const char *note = dx_memcasemem(text, n, "(expanded from:");
	if (note) {
		const char *close = memchr(note, ')', (size_t)(text + n - note));
		size_t rest = close ? (size_t)(text + n - close - 1) : 0;
		if (close && dx_trim(close + 1, &rest) && rest == 0) {
			size_t keep = (size_t)(note - text);
			while (keep && dx_is_space(text[keep - 1]))
				keep--;
			if (!(text = dx_arena_strndup(a, text, keep)))
				return -1;
			n = keep;
		}
	}
	/* Sendmail wraps each recipient's reason: "(reason: 550 ...)". */
	if (n > 9 && dx_strncasecmp(text, "(reason:", 8) == 0 && text[n - 1] == ')') {
		text = dx_squeeze(a, text + 8, n - 9);
		if (!text)
			return -1;
		n = strlen(text);
	}
	if (n > 8 && dx_memmem(text, n, ": <-- ", 6)) {
		if (!(text = strip_reply_arrows(a, text, n)))
			return -1;
		n = strlen(text);
	}
	size_t at = reply_start(text, n);
	const char *diag = text, *summary = NULL;
	if (at < n && at > 0) {
		summary = dx_squeeze(a, text, at);
		diag = text + at;
	}
	char *d = dx_join_reply(a, diag);
	if (!d)
		return -1;
	size_t dn = strlen(d);
	/* A reply quoted ("returned '550 5.2.2 Mailbox full'"): not its
	 * closing quote. */
	if (at < n && at > 0 && (text[at - 1] == '\'' || text[at - 1] == '"') && dn > 1 && d[dn - 1] == text[at - 1] &&
	    !memchr(d, text[at - 1], dn - 1))
		d[--dn] = '\0';
	dn = cut_at_next_command(d, dn);
	/* Postfix ends the remote's answer with "(in reply to RCPT TO
	 * command)": what follows is other text (a provider's footer). */
	const char *irt = dn > 20 ? dx_memcasemem(d, dn, "(in reply to ") : NULL;
	const char *irt_end = irt ? dx_memcasemem(irt, dn - (size_t)(irt - d), " command)") : NULL;
	if (irt_end && irt_end - irt < 64) {
		size_t keep = (size_t)(irt_end - d) + strlen(" command)");
		if (keep < dn) {
			d[keep] = '\0';
			dn = keep;
		}
	}
	r->diagnostic = dn ? d : NULL;
	if (!r->command)
		r->command = dx_smtp_command(lx, text, n);
	r->summary = summary && *summary ? summary : NULL;
	const char *rs;
	dx_remote_reply(a, text, n, &r->reply_code, &rs);
	if (!r->status) {
		const char *st = rs ? rs : dx_find_status(a, d, dn);
		if (!st)
			st = dx_find_status(a, text, n);
		r->status = st;
	}
	if (!r->remote_mta && (r->remote_mta = remote_in(lx, a, text, n)) != NULL)
		r->remote_by = "the recipient's lines";
	/* "x@y: [192.0.2.60], 552 ..." (SurfControl): the host in brackets
	 * right before the reply. */
	if (!r->remote_mta && at < n && at > 4) {
		size_t e = at;
		while (e > 0 && text[e - 1] == ' ')
			e--;
		if (e > 2 && (text[e - 1] == ',' || text[e - 1] == ':') && text[e - 2] == ']') {
			size_t close = e - 2, open = close;
			while (open > 0 && close - open < 64 && text[open - 1] != '[' && text[open - 1] != ' ')
				open--;
			size_t hl = close - open;
			if (open > 0 && text[open - 1] == '[' && hl >= 4 && memchr(text + open, '.', hl) &&
			    !memchr(text + open, '@', hl) && (r->remote_mta = dx_host(a, text + open, hl)) != NULL)
				r->remote_by = "the recipient's lines";
		}
	}
	return 0;
}

typedef struct scan {
	found *f;
	unsigned n, cap;
	unsigned dropped;
	int fixed;              /* the list came from X-Failed-Recipients */
	/* f's addresses by hash, open addressing: index + 1, 0 empty; nslots
	 * a power of two at least twice n. Every line of a report is looked
	 * up, and reports may list (with a raised limit) 100,000 recipients. */
	unsigned *slots;
	unsigned nslots;
} scan;

static uint64_t addr_hash(const char *addr)
{
	return dx_hash64(addr, strlen(addr), 0);
}

/* Fewer recipients than this are found by a walk of the list, cheaper
 * than hashing for the one to three most reports name. */
enum { INDEX_FROM = 8 };

static int find_found(const scan *s, const char *addr)
{
	if (!s->nslots) {
		for (unsigned i = 0; i < s->n; i++)
			if (strcmp(s->f[i].addr, addr) == 0)
				return (int)i;
		return -1;
	}
	for (size_t j = addr_hash(addr) & (s->nslots - 1); s->slots[j]; j = (j + 1) & (s->nslots - 1))
		if (strcmp(s->f[s->slots[j] - 1].addr, addr) == 0)
			return (int)s->slots[j] - 1;
	return -1;
}

/* Puts f[i] in the table, which has room. */
static void slot_put(scan *s, unsigned i)
{
	size_t j = addr_hash(s->f[i].addr) & (s->nslots - 1);
	while (s->slots[j])
		j = (j + 1) & (s->nslots - 1);
	s->slots[j] = i + 1;
}

/* Indexes f[0..n) afresh, in a table of at least twice n slots (a larger
 * one from the arena when needed: the old one stays there until the
 * message is done, at most as large as the new). -1 when out of memory. */
static int index_found(dx_arena *a, scan *s)
{
	unsigned want = 16;
	while (want < 2 * s->n)
		want *= 2;
	if (want > s->nslots) {
		unsigned *t = dx_arena_alloc(a, want * sizeof *t);
		if (!t)
			return -1;
		s->slots = t;
		s->nslots = want;
	}
	memset(s->slots, 0, s->nslots * sizeof *s->slots);
	for (unsigned i = 0; i < s->n; i++)
		slot_put(s, i);
	return 0;
}

/* Appends a recipient; returns its index, or -1 (limit hit, counted) or
 * -2 (out of memory). */
static int add_found(dx_arena *a, scan *s, const char *addr, int own, unsigned max)
{
	if (s->n >= max) {
		s->dropped++;
		return -1;
	}
	if (s->n == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 8;
		found *f = dx_arena_alloc(a, cap * sizeof *f);
		if (!f)
			return -2;
		if (s->n)
			memcpy(f, s->f, s->n * sizeof *f);
		s->f = f;
		s->cap = cap;
	}
	s->f[s->n] = (found){.addr = addr, .own = own};
	s->n++;
	if (s->n >= INDEX_FROM) {
		if (2 * s->n > s->nslots) {
			if (index_found(a, s) < 0)
				return -2;
		} else {
			slot_put(s, s->n - 1);
		}
	}
	return (int)s->n - 1;
}

/* Whether an address is the report's own (its sender, the bounce's
 * recipient, the original's sender). */
static int own_address(const char *addr, const char *const *own, size_t nown)
{
	for (size_t i = 0; i < nown; i++)
		if (own[i] && strcmp(own[i], addr) == 0)
			return 1;
	return 0;
}

/* Sendmail's account of one recipient: a reply code, perhaps a status,
 * then "<user@x>..." ("550 5.1.1 <user@x>... User unknown"). */
static int status_line(const tline *l)
{
	const char *p = l->p;
	size_t n = l->n;
	if (n < 10 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9' || p[3] != ' ')
		return 0;
	size_t i = 4;
	if (p[i] >= '2' && p[i] <= '5' && p[i + 1] == '.') {
		while (i < n && (p[i] == '.' || (p[i] >= '0' && p[i] <= '9')))
			i++;
		if (i >= n || p[i] != ' ')
			return 0;
		i++;
	}
	if (i >= n || p[i] != '<')
		return 0;
	const char *gt = memchr(p + i, '>', n - i);
	return gt && (size_t)(gt - p) + 4 <= n && memcmp(gt + 1, "...", 3) == 0;
}

/* A line about another host, not the recipient before it: Sendmail's
 * "550 example.org (smtp)... Host unknown" (a reply code, a host, the
 * mailer in parentheses, "...") and "While talking to example.org:", which
 * begins the transcript of the next host. */
static int other_host_line(const tline *l)
{
	const char *p = l->p;
	size_t n = l->n;
	if (n > 17 && dx_startswith_ci(p, n, "while talking to "))
		return 1;
	if (n < 12 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9' || p[3] != ' ')
		return 0;
	size_t i = 4;
	if (p[i] == '<')
		return 0; /* "550 <user@x>...": a recipient */
	while (i < n && p[i] != ' ' && p[i] != '@')
		i++;
	if (i + 2 >= n || p[i] != ' ' || p[i + 1] != '(')
		return 0;
	const char *close = memchr(p + i, ')', n - i);
	return close && (size_t)(close - p) + 4 <= n && memcmp(close + 1, "...", 3) == 0;
}

/* Whether the line is the address and nothing else ("  x@y", "<x@y>"). */
static int alone_on_line(const tline *l, const char *addr)
{
	size_t n = l->n;
	const char *p = dx_trim(l->p, &n);
	if (n >= 2 && p[0] == '<' && p[n - 1] == '>') {
		p++;
		n -= 2;
	}
	return n == strlen(addr) && dx_strncasecmp(p, addr, n) == 0;
}

static int separator(const tline *l)
{
	size_t lead = 0, trail = 0;
	if (l->n >= 3 && rule_line(l))
		return 1;
	/* A titled one: "--- End Transcript ---", "===== Original =====". */
	while (lead < l->n && rule_byte(l->p[lead]))
		lead++;
	while (trail < l->n && rule_byte(l->p[l->n - 1 - trail]))
		trail++;
	if (lead >= 3 && trail >= 3 && lead + trail < l->n && l->n <= 80)
		return 1;
	/* A rule that opens a closing remark: "--- Message non-deliverable."
	 * (SurfControl), "--- Below this line is a copy of the message." */
	return lead >= 3 && lead < l->n && l->p[lead] == ' ' && l->n <= 80 && l->p[0] == '-';
}

/* A command sent in a session transcript that marks it with arrows, as
 * MDaemon's does ("Tue 2026-11-10 16:42:06.912: --> QUIT"): "--> " at the
 * start of the line or after its time stamp. */
static int arrow_command(const tline *l)
{
	const char *a = dx_memmem(l->p, l->n < 48 ? l->n : 48, "--> ", 4);
	if (!a)
		return 0;
	return a == l->p || (a - l->p >= 2 && a[-2] == ':' && a[-1] == ' ');
}

/* Exim's line for a delivery to a program or a file ("  pipe to
 * |/usr/bin/procmail", "  save to /var/mail/x"), which the address it was
 * generated by follows. */
static int delivery_item(const tline *l)
{
	const char *p = l->p;
	size_t n = l->n;
	while (n && dx_is_wsp(*p)) {
		p++;
		n--;
	}
	return (n > 9 && dx_strncasecmp(p, "pipe to |", 9) == 0) || (n > 9 && dx_strncasecmp(p, "save to /", 9) == 0);
}

/* A line a local mailer writes under its name ("procmail: Couldn't
 * create ...", "maildrop: ..."). */
static int program_line(const tline *l)
{
	size_t i = 0;
	while (i < l->n && i < 24 && ((l->p[i] >= 'a' && l->p[i] <= 'z') || l->p[i] == '-' || l->p[i] == '.' ||
				      (l->p[i] >= '0' && l->p[i] <= '9')))
		i++;
	return i >= 3 && i + 1 < l->n && l->p[i] == ':' && l->p[i + 1] == ' ';
}

/* Drops the report's own addresses, unless they are all there is (a
 * message sent to oneself, or an anonymised sample). */
static void drop_own(dx_arena *a, scan *s)
{
	unsigned others = 0;
	for (unsigned i = 0; i < s->n; i++)
		others += !s->f[i].own;
	if (!others || s->fixed)
		return;
	unsigned k = 0;
	for (unsigned i = 0; i < s->n; i++)
		if (!s->f[i].own)
			s->f[k++] = s->f[i];
	s->n = k;
	if (s->nslots)
		index_found(a, s); /* (fewer than before: the table has room) */
}

/* Where a line begins a Sendmail session transcript, the host it is with:
 * "... while talking to mx.example.org.:" (v8) or "While talking to
 * example.org:" (v5), the line (after dots and blanks) beginning so. 0
 * for any other line; *h and the length returned give the name as
 * written. */
static size_t session_header(const tline *l, const char **h)
{
	size_t i = 0;
	while (i < l->n && (l->p[i] == '.' || dx_is_space(l->p[i])))
		i++;
	static const char lead[] = "while talking to ";
	if (l->n - i <= sizeof lead - 1 || !dx_startswith_ci(l->p + i, l->n - i, lead))
		return 0;
	*h = l->p + i + sizeof lead - 1;
	size_t hn = 0, left = l->n - i - (sizeof lead - 1);
	while (hn < left && (*h)[hn] != ':' && !dx_is_space((*h)[hn]))
		hn++;
	while (hn && (*h)[hn - 1] == '.')
		hn--;
	return hn >= 4 && memchr(*h, '.', hn) ? hn : 0;
}

/* Whether Sendmail's summary line "421 example.edu (smtp)... Deferred" is
 * about host h[0..hn) (case and a final dot aside). */
static int summary_host_is(const tline *l, const char *h, size_t hn)
{
	size_t i = 4, e;
	for (e = i; e < l->n && l->p[e] != ' '; e++)
		;
	while (e > i && l->p[e - 1] == '.')
		e--;
	return e - i == hn && dx_strncasecmp(l->p + i, h, hn) == 0;
}

/* Finds recipients and their text in report[0..rn). */
/* Whether line l, which starts with an address, is the middle of a
 * sentence: the line before is prose that goes on (several words, no
 * address, ending in a lower-case letter or a comma) and the address is
 * followed by more lower-case words ("... e.g., if\n mike@example.edu
 * fails, try ..."). A recipient line stands after a blank line, a label
 * or another recipient, or is followed by its reason, not by a clause. */
static int wrapped_prose(const tline *prev, const tline *l, size_t rest)
{
	if (!prev->p || prev->n < 16 || memchr(prev->p, '@', prev->n))
		return 0;
	char last = prev->p[prev->n - 1];
	if (!((last >= 'a' && last <= 'z') || last == ','))
		return 0;
	size_t spaces = 0;
	for (size_t k = 0; k < prev->n; k++)
		spaces += prev->p[k] == ' ';
	if (spaces < 4)
		return 0;
	size_t k = rest;
	if (k >= l->n || l->p[k] != ' ')
		return 0;
	while (k < l->n && l->p[k] == ' ')
		k++;
	size_t w = k;
	while (k < l->n && l->p[k] >= 'a' && l->p[k] <= 'z')
		k++;
	/* A word of two letters or more, then more of the sentence. */
	return k - w >= 2 && k < l->n && (l->p[k] == ' ' || l->p[k] == ',');
}

static int scan_report(dx_arena *a, const char *t, size_t rn, const char *const *own, size_t nown, unsigned max,
		       scan *s)
{
	size_t pos = 0;
	tline l;
	int cur = -1;             /* recipient whose text is being read */
	int cur_lines = 0;
	/* A host's session transcript ("While talking to HOST:"): the
	 * remote's answers in it ("<<< ...") before any recipient line, which
	 * are those recipients' diagnostic. */
	int in_session = 0, session_replied = 0;
	size_t session_start = 0, session_end = 0;
	const char *talking_to = NULL;
	size_t talking_to_n = 0;
	size_t item_start = 0, item_end = 0; /* a delivery item's line, see delivery_item */
	int accounted_last = 0; /* cur's text is Sendmail's account line of it */
	tline prev = {NULL, 0, NULL, 0};
	for (; next_line(t, rn, &pos, &l); prev = l) {
		if (l.n > 17 && dx_startswith_ci(l.p, l.n, "while talking to ")) {
			/* The host's name, the commands and the answers, up to the
			 * last answer, are the account of its recipients. */
			in_session = 1;
			session_replied = 0;
			session_start = (size_t)(l.p - t);
			session_end = (size_t)(l.p + l.n - t);
			talking_to_n = session_header(&l, &talking_to);
			cur = -1;
			continue;
		}
		/* (">>> RCPT To:<x>" names its recipient: read below.) */
		if (in_session && cur < 0 && l.n > 4 &&
		    (memcmp(l.p, "<<< ", 4) == 0 || (memcmp(l.p, ">>> ", 4) == 0 && !memchr(l.p, '@', l.n)))) {
			session_replied |= l.p[0] == '<';
			session_end = (size_t)(l.p + l.n - t);
			continue;
		}
		if (delivery_item(&l)) {
			/* Exim lists a delivery to a program or a file as such,
			 * then "generated by x@y": a new item, not the text of
			 * the recipient before it. */
			cur = -1;
			item_start = (size_t)(l.p - t);
			item_end = item_start + l.n;
			continue;
		}
		size_t rest, label_at = 0;
		int has_label = 0, via_rcpt = 0, source = 0;
		char *addr = recipient_on(a, &l, &rest, &label_at, &has_label, &source);
		if (addr && source && cur >= 0)
			addr = NULL; /* the shown recipient's origin: part of its text */
		if (addr && !has_label && wrapped_prose(&prev, &l, rest))
			addr = NULL; /* a sentence wrapped before an address it mentions */
		if (!addr && (addr = recipient_in_rcpt(a, &l, &rest)) != NULL)
			via_rcpt = 1;
		if (addr) {
			/* "RCPT TO:<x>" is the SMTP command (a transcript); "RCPT
			 * TO: x" in a list of message details is not. */
			const char *rc = dx_memcasemem(l.p, l.n, "rcpt to:");
			if (rc) {
				size_t k = (size_t)(rc - l.p) + 8;
				while (k < l.n && l.p[k] == ' ')
					k++;
				if (k < l.n && l.p[k] == '<')
					via_rcpt = 1;
			}
			int idx = find_found(s, addr);
			if (idx >= 0 && s->f[idx].listed && !s->f[idx].accounted && status_line(&l) &&
			    reply_start(t + s->f[idx].start, s->f[idx].end - s->f[idx].start) ==
				    s->f[idx].end - s->f[idx].start) {
				/* Sendmail's own line for a recipient listed before (in
				 * "The following addresses had permanent fatal errors")
				 * without a reason there: its account, with the answer of
				 * its host's session. */
				s->f[idx].accounted = 1;
				s->f[idx].start = (size_t)(l.p - t);
				s->f[idx].end = (size_t)(l.p + l.n - t);
				if (in_session && session_replied) {
					s->f[idx].pre_start = session_start;
					s->f[idx].pre_end = session_end;
				}
				cur = idx;
				cur_lines = 0;
				accounted_last = 1;
				continue;
			}
			if (idx >= 0 && idx == cur) {
				/* The address again in its own text ("550 <x>... User
				 * unknown"): the text goes on. */
				s->f[cur].end = (size_t)(l.p + l.n - t);
				continue;
			}
			if (idx < 0 && !s->fixed) {
				idx = add_found(a, s, addr, own_address(addr, own, nown), max);
				if (idx == -2)
					return -1;
			}
			/* (Or named again with the reply on its line: "x@y: [192.0.2.60],
			 * 552 5.2.2 ... Mailbox full", SurfControl.) */
			int alone = alone_on_line(&l, addr);
			int with_reply = !alone && rest < l.n && reply_start(l.p + rest, l.n - rest) < l.n - rest;
			if (idx >= 0 && s->f[idx].listed && !s->f[idx].accounted && !s->f[idx].sentence &&
			    cur != idx && !via_rcpt && !in_session && (alone || with_reply) &&
			    reply_start(t + s->f[idx].start, s->f[idx].end - s->f[idx].start) ==
				    s->f[idx].end - s->f[idx].start) {
				/* Named alone on a line again, after a first mention
				 * whose text held no server reply ("Recipient: x" in
				 * the returned message's details, then the list with
				 * each failure): this is its account; what the first
				 * said comes before it. */
				s->f[idx].accounted = 1;
				if (s->f[idx].pre_end <= s->f[idx].pre_start) {
					s->f[idx].pre_start = s->f[idx].start;
					s->f[idx].pre_end = s->f[idx].end;
				}
				s->f[idx].start = (size_t)(l.p + (alone ? l.n : rest) - t);
				s->f[idx].end = (size_t)(l.p + l.n - t);
				cur = idx;
				cur_lines = 0;
				continue;
			}
			if (idx < 0 || s->f[idx].listed) {
				cur = -1; /* an address we do not follow, or met before */
				continue;
			}
			s->f[idx].listed = 1;
			if (via_rcpt)
				s->f[idx].command = "RCPT";
			if (in_session && session_replied) {
				s->f[idx].pre_start = session_start;
				s->f[idx].pre_end = session_end;
			} else if (item_end > item_start) {
				/* The delivery it stood for: "pipe to |cmd". */
				s->f[idx].pre_start = item_start;
				s->f[idx].pre_end = item_end;
			}
			item_start = item_end = 0;
			/* "<user@x>: text", "user@x... text": the separator is not text. */
			while (rest < l.n && (l.p[rest] == ':' || l.p[rest] == '.' || l.p[rest] == ',' ||
					      l.p[rest] == ';' || dx_is_space(l.p[rest])))
				rest++;
			/* A label ("Unknown user: x@y") is part of what the line says. */
			s->f[idx].start = (size_t)(l.p + (has_label ? label_at : rest) - t);
			s->f[idx].end = (size_t)(l.p + l.n - t);
			cur = idx;
			cur_lines = 0;
			accounted_last = 0;
			continue;
		}
		if (other_host_line(&l)) {
			/* Sendmail's summary of the session's own host ("421
			 * example.edu (smtp)... Deferred") leaves it open: the
			 * recipient lines after it are that host's. */
			if (in_session && talking_to_n && summary_host_is(&l, talking_to, talking_to_n))
				continue;
			/* Another host's summary: the session before it is over. */
			cur = -1;
			in_session = 0;
			session_start = session_end = 0;
			continue;
		}
		if (cur < 0)
			continue;
		if (l.n == 0 || separator(&l)) {
			if (s->f[cur].end > s->f[cur].start)
				cur = -1; /* the recipient's text ends at a blank line */
			continue;
		}
		if (s->f[cur].end > s->f[cur].start && arrow_command(&l)) {
			cur = -1; /* the next command: the reply is over */
			continue;
		}
		if (accounted_last && program_line(&l)) {
			/* After Sendmail's account line of one recipient, a local
			 * mailer's words ("procmail: ...") are the next one's. */
			cur = -1;
			continue;
		}
		if (++cur_lines > MAX_BLOCK_LINES) {
			cur = -1;
			continue;
		}
		if (s->f[cur].end <= s->f[cur].start)
			s->f[cur].start = (size_t)(l.p - t);
		s->f[cur].end = (size_t)(l.p + l.n - t);
	}
	int any_listed = 0;
	for (unsigned i = 0; i < s->n; i++)
		any_listed |= s->f[i].listed;
	/* Without recipient lines, a recipient named in a sentence is listed
	 * by it; with them, a sentence elsewhere about a listed recipient
	 * ("Your message wasn't delivered to x because the address couldn't
	 * be found") is kept as the report's own summary of it. */
	{
		pos = 0;
		while (next_line(t, rn, &pos, &l)) {
			char *addr = recipient_in_sentence(a, &l);
			if (!addr)
				continue;
			int idx = find_found(s, addr);
			if (any_listed) {
				size_t at = (size_t)(l.p - t);
				if (idx >= 0 && s->f[idx].listed && s->f[idx].sent_end == s->f[idx].sent_start &&
				    (at + l.n < s->f[idx].start || at > s->f[idx].end)) {
					s->f[idx].sent_start = at;
					s->f[idx].sent_end = at + l.n;
				}
				continue;
			}
			if (idx < 0 && !s->fixed) {
				idx = add_found(a, s, addr, own_address(addr, own, nown), max);
				if (idx == -2)
					return -1;
			}
			if (idx >= 0 && !s->f[idx].listed) {
				/* The sentence and its paragraph say what happened. */
				s->f[idx].listed = 1;
				s->f[idx].sentence = 1;
				s->f[idx].start = (size_t)(l.p - t);
				s->f[idx].end = (size_t)(l.p + l.n - t);
				size_t p2 = pos;
				tline m;
				while (next_line(t, rn, &p2, &m) && m.n && !separator(&m))
					s->f[idx].end = (size_t)(m.p + m.n - t);
			}
		}
	}
	drop_own(a, s);
	return 0;
}

/* Whether k[0..kn) stands in p[0..n), a run of blanks in either matching
 * a run in the other ("Message  size" in a transcript, "Message size" in a
 * squeezed reply). */
static int has_words(const char *p, size_t n, const char *k, size_t kn)
{
	for (size_t s = 0; s < n; s++) {
		size_t i = s, j = 0;
		while (i < n && j < kn) {
			if (dx_is_space(p[i]) && dx_is_space(k[j])) {
				while (i < n && dx_is_space(p[i]))
					i++;
				while (j < kn && dx_is_space(k[j]))
					j++;
			} else if (p[i] == k[j]) {
				i++;
				j++;
			} else {
				break;
			}
		}
		if (j == kn)
			return 1;
	}
	return 0;
}

/* Reports with more recipients than this, or longer, are not searched
 * for a recipient's host beyond its own lines (session_host, mention_host
 * run for each recipient without a host, over the report). */
enum { HOST_SEARCH_RCPTS = 64, HOST_SEARCH_BYTES = 65536 };

/* Whether session_host is worth asking for a report's recipients: a
 * report small enough (HOST_SEARCH_*) that has a session at all. */
static int may_have_sessions(const char *t, size_t rn, unsigned nrcpt)
{
	return nrcpt <= HOST_SEARCH_RCPTS && rn <= HOST_SEARCH_BYTES && dx_memcasemem(t, rn, "talking to ") != NULL;
}

/* The Sendmail session transcript (its header line and the lines after
 * it, up to a blank line, a rule, another host's summary line or the next
 * header) in which the recipient's address or the start of its reply (in
 * an answer, "<<< 552 5.2.3 ...") stands: find_session gives 1 and its
 * host and lines when exactly one session has either, 0 otherwise;
 * session_host gives that host, or NULL. For reports whose recipient lines
 * give the remote's reply ("(reason: 552 5.2.3 ...)") but not the host that
 * gave it, and whose report part, if any, has no Remote-MTA. */
typedef struct session_span {
	const char *host;
	size_t host_n;
	size_t start, end;      /* the session's lines in t */
} session_span;

static int find_session(const char *t, size_t rn, const char *addr, const char *diag, session_span *out)
{
	enum { REPLY_KEY = 48 };
	size_t kn = 0;
	if (diag && reply_start(diag, strlen(diag)) == 0)
		kn = strlen(diag) < REPLY_KEY ? strlen(diag) : REPLY_KEY;
	const char *host = NULL, *cur = NULL;
	size_t host_n = 0, cur_n = 0, cur_start = 0;
	int matched = 0, hits = 0, open = 0;
	size_t pos = 0, line_at = 0;
	tline l;
	out->start = out->end = 0;
	while (line_at = pos, next_line(t, rn, &pos, &l)) {
		const char *h = NULL;
		size_t hn = session_header(&l, &h);
		if (!hn && cur_n && other_host_line(&l) && summary_host_is(&l, cur, cur_n))
			continue; /* the session's own host's summary (see scan_report) */
		if (hn || l.n == 0 || separator(&l) || other_host_line(&l)) {
			if (open) /* the matched session ends before this line */
				out->end = line_at;
			open = 0;
			cur = h;
			cur_n = hn;
			cur_start = line_at;
			matched = 0;
			continue;
		}
		if (!cur_n || matched)
			continue;
		int here = (addr && dx_memcasemem(l.p, l.n, addr) != NULL) ||
			   (kn && l.n > 4 && memcmp(l.p, "<<< ", 4) == 0 && has_words(l.p + 4, l.n - 4, diag, kn));
		if (here) {
			matched = 1;
			if (!host || host_n != cur_n || dx_strncasecmp(host, cur, cur_n) != 0)
				hits++;
			host = cur;
			host_n = cur_n;
			out->start = cur_start;
			out->end = rn;
			open = 1;
		}
	}
	out->host = host;
	out->host_n = host_n;
	return hits == 1;
}

static const char *session_host(dx_arena *a, const char *t, size_t rn, const char *addr, const char *diag)
{
	session_span sp;
	return find_session(t, rn, addr, diag, &sp) ? dx_host(a, sp.host, sp.host_n) : NULL;
}

/* The SMTP stage of the one session in which the recipient stands (as
 * session_host finds it), else the report's as a whole: a report of
 * several sessions ends each at its own command. */
static const char *recipient_command(dx_view *v, dx_text t, size_t rn, const char *addr, const char *diag,
				     int sessions, unsigned nrcpt)
{
	session_span sp;
	const char *c = NULL;
	if (sessions) {
		if (find_session(t.p, rn, addr, diag, &sp) && sp.end > sp.start)
			c = dx_smtp_command(v->lex, t.p + sp.start, sp.end - sp.start);
		else if (nrcpt > 1)
			return NULL; /* in no session: another's stage is not its own */
	}
	return c ? c : view_report_command(v, t, rn);
}

/* The host named in the lines under a later line of the report (from
 * offset `from`, the end of the recipient's own lines) that begins with
 * the recipient's address (up to a blank line, a line naming
 * another address, at most MAX_BLOCK_LINES): Exchange lists the
 * recipients, then again under "Diagnostic information for
 * administrators" each with what its server answered ("Remote Server at
 * mx.example.org (192.0.2.3) returned '550 ...'"). NULL when no such
 * block names a host. */
static const char *mention_host(const dx_lexicon *lx, dx_arena *a, const char *t, size_t rn, const char *addr,
				size_t from)
{
	size_t an = addr ? strlen(addr) : 0;
	if (!an || from >= rn)
		return NULL;
	/* Each later line that names it, where the name begins the line. */
	const char *again;
	while (from < rn && (again = dx_memcasemem(t + from, rn - from, addr)) != NULL) {
		size_t pos = (size_t)(again - t);
		while (pos > 0 && t[pos - 1] != '\n')
			pos--;
		from = (size_t)(again - t) + an;
		tline l;
		if (!next_line(t, rn, &pos, &l))
			break;
		const char *p = l.p;
		size_t n = l.n;
		if (n && p[0] == '<') {
			p++;
			n--;
		}
		if (n < an || dx_strncasecmp(p, addr, an) != 0)
			continue;
		size_t start = pos, end = pos, p2 = pos;
		tline m;
		/* (A line with another address is the next recipient's.) */
		for (int k = 0; k < MAX_BLOCK_LINES && next_line(t, rn, &p2, &m) && m.n; k++) {
			if (memchr(m.p, '@', m.n) && !dx_memcasemem(m.p, m.n, addr))
				break;
			end = (size_t)(m.p + m.n - t);
		}
		if (end > start) {
			const char *h = remote_in(lx, a, t + start, end - start);
			if (h)
				return h;
		}
		if (end > from)
			from = end;
	}
	return NULL;
}

/* The i-th recipient's host from the report outside its own lines, when
 * those named none: the session transcript that holds its address or
 * reply (when the report has sessions), a later block under its address
 * (in a small report), the report's words for a lone recipient; NULL when
 * none does (or memory ran out). *by says which. */
static const char *host_elsewhere(const dx_lexicon *lx, dx_arena *a, const char *t, size_t rn, const scan *s,
				  unsigned i, const char *diag, int sessions, const char **by)
{
	const char *h = NULL;
	if (sessions && (h = session_host(a, t, rn, s->f[i].addr, diag)) != NULL)
		*by = "the session transcript";
	else if (s->n <= HOST_SEARCH_RCPTS && rn <= HOST_SEARCH_BYTES &&
		 (h = mention_host(lx, a, t, rn, s->f[i].addr, s->f[i].end)) != NULL)
		*by = "a later block about the recipient";
	/* A lone recipient: the report's words anywhere name its host. */
	else if (s->n == 1 && (h = remote_named(lx, a, t, rn, 1)) != NULL)
		*by = "the report's text";
	return h;
}

/* Whether text[0..n) names a recipient other than the i-th: then it is
 * that one's account (a transcript of the next host), not shared. */
static int names_other(const scan *s, unsigned i, const char *text, size_t n)
{
	for (unsigned j = 0; j < s->n; j++)
		if (j != i && s->f[j].addr && dx_memcasemem(text, n, s->f[j].addr))
			return 1;
	return 0;
}

/* The text shared by recipients that have none of their own: what follows
 * the last recipient line, else the whole report. */
static char *shared_text(dx_arena *a, const char *t, size_t rn, const scan *s, int *owner)
{
	size_t from = 0;
	for (unsigned i = 0; i < s->n; i++)
		if (s->f[i].listed && s->f[i].start > from)
			from = s->f[i].start;
	/* Skip to the line after the last recipient line. */
	size_t e = dx_line_end(t, rn, from);
	if (from && e < rn)
		from = e + 1;
	/* When the last recipient's own text runs on into it (Exim's
	 * "host ... SMTP error ..." block), it is that recipient's. */
	*owner = -1;
	for (unsigned i = 0; i < s->n; i++)
		if (s->f[i].listed && s->f[i].end > from && s->f[i].start < from)
			*owner = (int)i;
	size_t len = rn - from;
	if (len > MAX_SHARED_TEXT)
		len = MAX_SHARED_TEXT;
	return dx_squeeze(a, t + from, len);
}

/* The first reply in t[0..rn) that is not part of a recipient's text
 * other than the i-th (its line, its session), or rn. */
static size_t free_reply(const char *t, size_t rn, const scan *s, unsigned i)
{
	size_t from = 0;
	while (from < rn) {
		size_t g = from + reply_start(t + from, rn - from);
		if (g >= rn)
			return rn;
		int others = 0;
		for (unsigned j = 0; j < s->n && !others; j++)
			others = j != i && ((g >= s->f[j].start && g < s->f[j].end) ||
					    (g >= s->f[j].pre_start && g < s->f[j].pre_end));
		if (!others)
			return g;
		from = dx_line_end(t, rn, g) + 1;
	}
	return rn;
}

/* A recipient's text *txt with what came before its account in front:
 * the remote's own answer in its host's session (more specific than the
 * summary line, "554 5.0.0 Service unavailable"), or what a first mention
 * said. 0, or -1 on memory. */
static int with_before(dx_arena *a, const char *t, const found *f, const char **txt)
{
	if (f->pre_end <= f->pre_start)
		return 0;
	const char *pre = dx_squeeze(a, t + f->pre_start, f->pre_end - f->pre_start);
	if (!pre)
		return -1;
	if (!*txt || !**txt)
		*txt = pre;
	else if (*pre && !strstr(*txt, pre) && !(*txt = dx_join(a, pre, " ", *txt)))
		return -1;
	return 0;
}

/* ---- shared with other decoders ---------------------------------------- */

/* The original's header block at t[orig..) (after the report's marker):
 * parsed into *oh, and kept as the bounce's original when it has fields.
 * 0, or -1 on memory. */
static int original_at(dx_view *v, dx_text t, size_t orig, dx_bounce *b, dx_header *oh)
{
	memset(oh, 0, sizeof *oh);
	if (orig >= t.n)
		return 0;
	size_t body;
	if (dx_header_parse(v->arena, v->mime->kernel, t.p + orig, t.n - orig, &v->mime->header, oh, &body) < 0)
		return -1;
	if (oh->n) {
		b->original_headers.p = t.p + orig;
		b->original_headers.n = t.n - orig;
	}
	return 0;
}

int dx_text_original_headers(dx_view *v, dx_bounce *b)
{
	dx_text t;
	int got = dx_view_plain(v, &t);
	if (got <= 0)
		return got;
	size_t orig;
	view_report_end(v, t, &orig);
	dx_header oh;
	return original_at(v, t, orig, b, &oh);
}

int dx_text_findings(dx_view *v, dx_text_finding **out, unsigned *nout)
{
	*out = NULL;
	*nout = 0;
	dx_text t;
	int got = dx_view_plain(v, &t);
	if (got <= 0)
		return got;
	dx_arena *a = v->arena;
	size_t orig;
	size_t rn = view_report_end(v, t, &orig);
	const char *own[3] = {NULL, NULL, NULL};
	scan s = {0};
	if (scan_report(a, t.p, rn, own, 0, v->max_recipients, &s) < 0)
		return -1;
	if (!s.n)
		return 0;
	int sessions = may_have_sessions(t.p, rn, s.n);
	dx_text_finding *f = dx_arena_alloc(a, s.n * sizeof *f);
	if (!f)
		return -1;
	for (unsigned i = 0; i < s.n; i++) {
		dx_rcpt r;
		memset(&r, 0, sizeof r);
		r.command = s.f[i].command;
		const char *txt = s.f[i].end > s.f[i].start ? dx_squeeze(a, t.p + s.f[i].start, s.f[i].end - s.f[i].start)
							    : NULL;
		if (with_before(a, t.p, &s.f[i], &txt) < 0)
			return -1;
		f[i].recipient = s.f[i].addr;
		f[i].text = txt && *txt ? txt : NULL;
		f[i].diagnostic = NULL;
		f[i].status = NULL;
		f[i].reply_code = 0;
		f[i].remote_mta = NULL;
		f[i].remote_by = NULL;
		f[i].command = s.f[i].command;
		f[i].sentence = NULL;
		if (s.f[i].sent_end > s.f[i].sent_start) {
			const char *sn = dx_squeeze(a, t.p + s.f[i].sent_start, s.f[i].sent_end - s.f[i].sent_start);
			if (!sn)
				return -1;
			f[i].sentence = *sn ? sn : NULL;
		}
		if (f[i].text) {
			if (fill_from_text(v->lex, a, &r, f[i].text) < 0)
				return -1;
			f[i].diagnostic = r.diagnostic;
			f[i].status = r.status;
			f[i].reply_code = r.reply_code;
			f[i].remote_mta = r.remote_mta;
			f[i].remote_by = r.remote_by;
			f[i].command = r.command;
		}
		if (!f[i].remote_mta)
			f[i].remote_mta = host_elsewhere(v->lex, a, t.p, rn, &s, i, f[i].diagnostic, sessions, &f[i].remote_by);
		if (!f[i].command)
			f[i].command = recipient_command(v, t, rn, s.f[i].addr, f[i].diagnostic, sessions, s.n);
	}
	*out = f;
	*nout = s.n;
	return 1;
}

/* ---- the decoder ----------------------------------------------------------- */

/* Reports that return no copy often restate the original's fields: a
 * list of "Subject: ...", "Message-id: ..." lines (PMDF, Exim's delay
 * warnings) or "The subject of the message is: ..." (Exim). A small header
 * block made of them stands for the original. */
static int synth_original(dx_arena *a, const char *t, size_t rn, dx_text *out)
{
	static const struct {
		const char *label, *field;
	} labels[] = {
		{"the subject of the message is:", "Subject"},
		{"the message identifier is:", NULL},
		{"subject:", "Subject"},
		{"message-id:", "Message-ID"},
		{"from:", "From"},
	};
	char buf[2048];
	size_t k = 0;
	int have[5] = {0};
	size_t pos = 0;
	tline l;
	while (next_line(t, rn, &pos, &l)) {
		for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
			if (!labels[i].field || !starts_ci(&l, labels[i].label))
				continue;
			int slot = strcmp(labels[i].field, "Subject") == 0 ? 0 : strcmp(labels[i].field, "From") == 0 ? 2 : 1;
			if (have[slot])
				break;
			size_t ll = strlen(labels[i].label);
			size_t vn = l.n - ll;
			const char *v = dx_trim(l.p + ll, &vn);
			int w = snprintf(buf + k, sizeof buf - k, "%s: %.*s\n", labels[i].field, (int)(vn < 900 ? vn : 900), v);
			if (w > 0 && (size_t)w < sizeof buf - k) {
				k += (size_t)w;
				have[slot] = 1;
			}
			break;
		}
	}
	if (!k)
		return 0;
	char *h = dx_arena_strndup(a, buf, k);
	if (!h)
		return -1;
	out->p = h;
	out->n = k;
	return 0;
}

/* Recipients named by their local part alone, under a line that
 * introduces them ("Your mail to the following recipients could not be
 * delivered ...:" then "\tscreenname", AOL; "The following addresses had
 * permanent fatal errors" then "user", Sendmail for a local user): each
 * is a mailbox of the reporting system, so the domain of the daemon that
 * sent the report completes it. Read only when the report names no
 * address at all; lines of one token each, up to a blank line. */
static int bare_recipients(dx_arena *a, const dx_view *v, const char *t, size_t rn, scan *s, unsigned max)
{
	const char *from = dx_header_get(v->hdr, "from");
	if (!from || !dx_daemon_sender(from, strlen(from)))
		return 0;
	char *daemon = dx_addr_extract(a, from, strlen(from));
	const char *dom = daemon ? strrchr(daemon, '@') : NULL;
	if (!dom || !strchr(dom, '.'))
		return 0;
	size_t pos = 0;
	tline l;
	int listing = 0;
	while (next_line(t, rn, &pos, &l)) {
		if (!listing) {
			listing = l.n && (l.p[l.n - 1] == ':' || l.p[l.n - 1] == '-') &&
				  (dx_memcasemem(l.p, l.n, "following recipient") ||
				   dx_memcasemem(l.p, l.n, "following address") || dx_memcasemem(l.p, l.n, "following user"));
			continue;
		}
		if (l.n == 0) {
			if (s->n)
				break;
			continue;
		}
		int token = l.n <= 64;
		for (size_t k = 0; k < l.n && token; k++) {
			unsigned char c = (unsigned char)l.p[k];
			token = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
				c == '_' || c == '-' || c == '+';
		}
		if (!token || l.p[0] == '-' || l.p[0] == '.')
			break;
		char buf[64 + 256 + 2]; /* a local part of at most 64, "@" and a domain */
		int bn = snprintf(buf, sizeof buf, "%.*s%s", (int)l.n, l.p, dom);
		if (bn < 0 || (size_t)bn >= sizeof buf)
			break;
		char *addr = dx_addr_extract(a, buf, (size_t)bn);
		if (addr && find_found(s, addr) < 0 && add_found(a, s, addr, 0, max) == -2)
			return -1;
	}
	return 0;
}

int dx_decode_text(dx_view *v, dx_bounce *b)
{
	dx_text t;
	int got = dx_view_plain(v, &t);
	if (got <= 0)
		return got;
	dx_arena *a = v->arena;
	size_t orig;
	size_t rn = view_report_end(v, t, &orig);
	const char *name = signature_of(v->lex, t.p, rn);
	/* A server's report quoted in a person's reply or forward ("Fwd:
	 * Undelivered Mail Returned to Sender" from a mail program, the report
	 * inline): mail about a bounce, not one. */
	if (name && dx_persons_reply(v->hdr, &v->from_line))
		return 0;
	int bounce_worded = 0; /* weak by its header, unsigned, a bounce by its words */
	if (!name) {
		/* Without a known signature, only a message that is a bounce by
		 * its header is read, so that a person's mail about a bounce
		 * gives no record. */
		if (v->detected < 2 && !reads_as_report(v, t.p, rn))
			return 0;
		name = "text";
		bounce_worded = v->detected < 2;
	}

	/* Addresses of the report itself. */
	const char *own[3];
	const char *from = dx_header_get(v->hdr, "from");
	const char *to = dx_header_get(v->hdr, "to");
	own[0] = from ? dx_addr_extract(a, from, strlen(from)) : NULL;
	own[1] = to ? dx_addr_extract(a, to, strlen(to)) : NULL;
	own[2] = NULL;
	dx_header in_text;
	if (original_at(v, t, orig, b, &in_text) < 0)
		return -1;
	const char *of = dx_header_get(&in_text, "from");
	own[2] = of ? dx_addr_extract(a, of, strlen(of)) : NULL;

	/* (Only when the original is not returned as a part of its own:
	 * its whole header block says more than a restated Subject.) */
	if (!b->original_headers.n && !dx_mime_find(v->root, "message", "rfc822", 0) &&
	    !dx_mime_find(v->root, "text", "rfc822-headers", 0) &&
	    synth_original(a, t.p, rn, &b->original_headers) < 0)
		return -1;

	scan s = {0};
	/* Exim and Google name the failed recipients in a header field: the
	 * list is then exactly that, and the text only explains it. */
	for (const dx_field *xf = dx_header_next(v->hdr, "x-failed-recipients", NULL); xf;
	     xf = dx_header_next(v->hdr, "x-failed-recipients", xf)) {
		const char *p = xf->value;
		size_t n = xf->value_len, i = 0;
		while (i < n) {
			size_t e = i;
			while (e < n && p[e] != ',')
				e++;
			char *addr = dx_addr_extract(a, p + i, e - i);
			if (addr && find_found(&s, addr) < 0 && add_found(a, &s, addr, 0, b->max_rcpts) == -2)
				return -1;
			i = e + 1;
		}
	}
	s.fixed = s.n > 0;
	if (scan_report(a, t.p, rn, own, 3, b->max_rcpts, &s) < 0)
		return -1;
	/* ...unless the returned "original" is itself a report, which
	 * rfc3464.c reads as the real bounce wrapped by a gateway. */
	if (!s.n && (v->detected >= 2 || bounce_worded) && !dx_mime_find(v->root, "message", "delivery-status", 1)) {
		/* Nothing names the recipient but the returned original: a
		 * bounce that only says what went wrong (old Sendmail, MMS
		 * gateways). Its To is the recipient. */
		dx_header oh;
		if (dx_original_header(v, b, &oh) < 0)
			return -1;
		const char *ot = dx_header_get(&oh, "to");
		char *addr = ot ? dx_addr_extract(a, ot, strlen(ot)) : NULL;
		if (!addr)
			addr = summary_to(a, t.p, rn);
		if (addr && add_found(a, &s, addr, 0, b->max_rcpts) == -2)
			return -1;
	}
	if (!s.n && bare_recipients(a, v, t.p, rn, &s, b->max_rcpts) < 0)
		return -1;
	b->dropped_rcpts += s.dropped;
	if (!s.n)
		return 0;

	int sessions = may_have_sessions(t.p, rn, s.n);
	int delayed = 0, gave_up = 0;
	for (size_t k = 0; k < sizeof gave_up_phrases / sizeof gave_up_phrases[0] && !gave_up; k++)
		gave_up = dx_memcasemem(t.p, rn, gave_up_phrases[k]) != NULL;
	for (size_t k = 0; k < sizeof delay_phrases / sizeof delay_phrases[0] && !delayed && !gave_up; k++)
		delayed = dx_memcasemem(t.p, rn, delay_phrases[k]) != NULL;
	const char *shared = NULL;
	int shared_owner = -1; /* the recipient whose own text the shared text is, or -1 */

	for (unsigned i = 0; i < s.n; i++) {
		dx_rcpt *r = dx_bounce_add(b, a, s.f[i].addr);
		if (!r)
			return b->dropped_rcpts ? 1 : -1;
		const char *txt = NULL;
		if (s.f[i].end > s.f[i].start)
			txt = dx_squeeze(a, t.p + s.f[i].start, s.f[i].end - s.f[i].start);
		/* A recipient whose text holds no reply is explained by what
		 * follows the recipient lines (Gmail: the details come after a
		 * blank line); one without any text shares the whole report's. */
		if (with_before(a, t.p, &s.f[i], &txt) < 0)
			return -1;
		size_t tl = txt ? strlen(txt) : 0;
		int no_reply = tl && reply_start(txt, tl) == tl && !dx_find_status(a, txt, tl);
		if (!tl || no_reply) {
			if (!shared && !(shared = shared_text(a, t.p, rn, &s, &shared_owner)))
				return -1;
			size_t sl = strlen(shared);
			if (!tl)
				txt = *shared ? shared : NULL;
			else if (*shared && (shared_owner < 0 || shared_owner == (int)i) && !strstr(txt, shared) &&
				 !names_other(&s, i, shared, sl) &&
				 (reply_start(shared, sl) < sl || s.f[i].sentence || tl < 24 || txt[tl - 1] == ':')) {
				/* What follows explains a recipient whose own words only
				 * introduce it ("because:", a sentence naming it), or adds
				 * the remote's answer; a recipient with its own full
				 * explanation keeps it alone. */
				if (!(txt = dx_join(a, txt, " ", shared)))
					return -1;
			}
		}
		if (!txt || !*txt) {
			/* Nothing follows the recipients: the report's words before. */
			if (!(txt = dx_squeeze(a, t.p, rn < MAX_SHARED_TEXT ? rn : MAX_SHARED_TEXT)))
				return -1;
		} else if (reply_start(txt, strlen(txt)) == strlen(txt) && !dx_find_status(a, txt, strlen(txt))) {
			/* Still no answer of the remote's: the report's first one,
			 * wherever it stands (James writes it before the address),
			 * unless it is another recipient's. */
			size_t g = free_reply(t.p, rn, &s, i);
			if (g < rn) {
				size_t ge = dx_line_end(t.p, rn, g);
				char *reply = dx_squeeze(a, t.p + g, ge - g);
				if (!reply || !(txt = dx_join(a, reply, " ", txt)))
					return -1;
			}
		}
		r->command = s.f[i].command;
		if (txt && *txt && fill_from_text(v->lex, a, r, txt) < 0)
			return -1;
		if (!r->remote_mta)
			r->remote_mta = host_elsewhere(v->lex, a, t.p, rn, &s, i, r->diagnostic, sessions, &r->remote_by);
		if (s.n == 1 && !r->reply_code && !r->status && !r->summary && s.f[0].start > 0) {
			/* A lone recipient whose own lines say nothing of what
			 * happened: the report's words before its address do ("The
			 * user(s) account is temporarily over quota. <x@y>"). */
			size_t line = s.f[0].start;
			while (line > 0 && t.p[line - 1] != '\n')
				line--;
			size_t lead_at = line > MAX_LEAD_TEXT ? line - MAX_LEAD_TEXT : 0;
			char *lead = dx_squeeze(a, t.p + lead_at, line - lead_at);
			if (!lead)
				return -1;
			if (*lead)
				r->summary = lead;
		}
		if (delayed && (!r->status || r->status[0] == '4'))
			r->action = "delayed";
		else if (gave_up && !r->action)
			r->action = "failed";
		if (!r->command)
			r->command = recipient_command(v, t, rn, s.f[i].addr, r->diagnostic, sessions, s.n);
	}
	if (!b->reporting_mta) {
		/* "This is the mail system at host X.", "qmail-send program at X." */
		static const char *const at_phrases[] = {"system at host ", "program at host ", "program at ",
							 "mail agent v", "delivery software at "};
		for (size_t k = 0; k < sizeof at_phrases / sizeof at_phrases[0] && !b->reporting_mta; k++) {
			const char *q = dx_memcasemem(t.p, rn, at_phrases[k]);
			if (!q)
				continue;
			size_t off = (size_t)(q - t.p) + strlen(at_phrases[k]);
			if (k == 3) { /* "DragonFly Mail Agent v0.13 at host." */
				const char *at = dx_memcasemem(t.p + off, dx_line_end(t.p, rn, off) - off, " at ");
				if (!at)
					continue;
				off = (size_t)(at - t.p) + 4;
			}
			size_t e = dx_line_end(t.p, rn, off);
			b->reporting_mta = dx_host(a, t.p + off, e - off);
		}
	}
	b->decoder = name;
	return 1;
}
