/* detect.c: bounce detection from the header; see detect.h. */
#include "detect.h"

#include <string.h>

#include "text.h"

/* Phrases of bounce subjects, lower case. Matched anywhere in the subject,
 * so "Undeliverable: x" and "Fwd: Undelivered Mail ..." both count; the
 * sender or the structure must agree before a match is strong. */
static const char *const subject_phrases[] = {
	"undeliver",          /* Undeliverable, Undelivered Mail Returned to Sender */
	"returned mail",
	"returned to sender",
	"returning message to sender",
	"delivery status notification",
	"delivery status",
	"delivery failure",
	"delivery failed",
	"delivery has failed",
	"delivery has been delayed",
	"delivery problem",
	"delivery notification",
	"delivery report",
	"delivery error",
	"delivery delayed",
	"failure notice",
	"failure delivery",
	"failed delivery",
	"mail delivery failed",
	"mail delivery failure",
	"mail failure",
	"mail failed",                  /* "mail failed, returning to sender" */
	"failed mail",                  /* "FAILED MAIL to ..." */
	"delivery warning",             /* "Mail Delivery Warning" */
	"mail system error",
	"non-deliver",
	"nondeliver",
	"not delivered",
	"could not be delivered",
	"couldn't be delivered",
	"could not send message",
	"error sending your mail",
	"returned message",
	"message not delivered",
	"delayed mail",
	"bounce",
	"mail delivery status",
	/* other languages, as mail systems word their subjects */
	"unzustellbar",                 /* de */
	"nicht zugestellt",
	"non remis",                    /* fr */
	"non distribuable",
	"échec de la remise",
	"non recapitabile",             /* it */
	"mancata consegna",
	"no se puede entregar",         /* es */
	"no entregado",
	"não entregue",                 /* pt */
	"не доставлено",                /* ru */
	"недоставленное",
	"не может быть доставлено",
	"メールエラー",                 /* ja */
	"配信エラー",
	"配送エラー",
	"送信エラー",
	"配信できません",
	"配送できません",
	"未配信",
	"不達",
	"返送",
	"退信",                         /* zh */
	"无法投递",
	"未能送达",
};

static const char *const daemon_names[] = {
	"mailer-daemon", "mailer_daemon", "mail-daemon", "maildaemon", "postmaster", "post_master",
	"mail delivery subsystem", "mail delivery system", "mail administrator", "mail delivery",
	"mailerdaemon", "mail.delivery.system", "ndr administrator", "mail system",
	"mdaemon@", /* MDaemon sends its notices as MDaemon@host */
	"system administrator", /* Exchange 5.5 and gateways sign their NDRs so */
};

static int any_phrase(const char *s, size_t n, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (dx_memcasemem(s, n, list[i]))
			return 1;
	return 0;
}

int dx_bounce_subject(const char *s, size_t n)
{
	return s && any_phrase(s, n, subject_phrases, sizeof subject_phrases / sizeof subject_phrases[0]);
}

/* How the subject of a person's reply or forward starts, lower case: such
 * a message quotes or carries a bounce, it is not one. */
static const char *const reply_prefixes[] = {"re:", "aw:", "sv:", "vs:", "fw:", "fwd:", "wg:", "tr:", "rv:", "enc:"};

int dx_reply_subject(const char *s, size_t n)
{
	if (!s)
		return 0;
	s = dx_trim(s, &n);
	for (size_t k = 0; k < sizeof reply_prefixes / sizeof reply_prefixes[0]; k++)
		if (dx_startswith_ci(s, n, reply_prefixes[k]))
			return 1;
	return 0;
}

int dx_persons_reply(const dx_header *h, const dx_text *from_line)
{
	const char *subj = dx_header_get(h, "subject");
	if (!subj || !dx_reply_subject(subj, strlen(subj)))
		return 0;
	/* Forwarded by a mailbox rule or a program, not a person:
	 * "Auto-Submitted: auto-generated", a mail system's sender. */
	const char *as = dx_header_get(h, "auto-submitted");
	if (as) {
		size_t n = strlen(as);
		as = dx_trim(as, &n);
		if (!(n == 2 && dx_startswith_ci(as, n, "no")))
			return 0;
	}
	const char *from = dx_header_get(h, "from");
	return !(from && dx_daemon_sender(from, strlen(from))) && !dx_null_sender(h, from_line);
}

int dx_daemon_sender(const char *s, size_t n)
{
	return s && any_phrase(s, n, daemon_names, sizeof daemon_names / sizeof daemon_names[0]);
}

int dx_null_sender(const dx_header *h, const dx_text *from_line)
{
	const char *rp = dx_header_get(h, "return-path");
	if (rp) {
		size_t n = strlen(rp);
		const char *t = dx_trim(rp, &n);
		if (n == 2 && t[0] == '<' && t[1] == '>')
			return 1;
		if (dx_daemon_sender(t, n))
			return 1;
	}
	/* "From MAILER-DAEMON Thu Sep 18 ..." and "From <> ..." in mboxes. */
	if (from_line && from_line->n > 5) {
		const char *p = from_line->p + 5;
		size_t n = from_line->n - 5;
		size_t k = 0;
		while (k < n && p[k] != ' ')
			k++;
		if ((k == 2 && p[0] == '<' && p[1] == '>') || dx_daemon_sender(p, k))
			return 1;
	}
	return 0;
}

/* How auto-reply subjects start, lower case. `colon`: the words must be
 * followed by a colon (after optional spaces), because they could start
 * an ordinary subject too. */
static const struct {
	const char *prefix;
	int colon;
} subject_prefixes[] = {
	{"auto:", 0},
	{"automatic reply", 1},
	{"auto reply", 1},
	{"auto-reply", 1},
	{"autoreply", 1},
	{"auto response", 1},
	{"auto-response", 1},
	{"autoresponse", 1},
	{"automated reply", 1},
	{"out of office", 0},
	{"out of the office", 0},
	{"abwesenheitsnotiz", 0},
	{"automatische antwort", 1},
	{"automatisch antwoord", 1},
	{"r\xc3\xa9ponse automatique", 1},   /* réponse */
	{"risposta automatica", 1},
	{"respuesta autom\xc3\xa1tica", 1},  /* automática */
	{"resposta autom\xc3\xa1tica", 1},
	{"autosvar", 1},
	{"automatisk svar", 1},
	{"automatiskt svar", 1},
	{"automaattinen vastaus", 1},
	{"automatick\xc3\xa1 odpov\xc4\x9b\xc4\x8f", 1},                        /* cs: automatická odpověď */
	{"odpowied\xc5\xba automatyczna", 1},                                      /* pl: odpowiedź automatyczna */
	{"otomatik yan\xc4\xb1t", 1},                                               /* tr: otomatik yanıt */
	/* ru: Автоответ, Автоматический ответ; the comparison folds ASCII only. */
	{"\xd0\x90\xd0\xb2\xd1\x82\xd0\xbe\xd0\xbe\xd1\x82\xd0\xb2\xd0\xb5\xd1\x82", 1},
	{"\xd0\xb0\xd0\xb2\xd1\x82\xd0\xbe\xd0\xbe\xd1\x82\xd0\xb2\xd0\xb5\xd1\x82", 1},
	{"\xd0\x90\xd0\xb2\xd1\x82\xd0\xbe\xd0\xbc\xd0\xb0\xd1\x82\xd0\xb8\xd1\x87\xd0\xb5\xd1\x81\xd0\xba\xd0\xb8\xd0\xb9 "
	 "\xd0\xbe\xd1\x82\xd0\xb2\xd0\xb5\xd1\x82", 1},
	{"\xe8\x87\xaa\xe5\x8b\x95\xe8\xbf\x94\xe4\xbf\xa1", 0}, /* 自動返信 */
	{"\xe8\x87\xaa\xe5\x8b\x95\xe5\xbf\x9c\xe7\xad\x94", 0}, /* 自動応答 */
	{"\xe8\x87\xaa\xe5\x8a\xa8\xe5\x9b\x9e\xe5\xa4\x8d", 0}, /* 自动回复 */
};

int dx_autoreply_subject(const char *s, size_t n)
{
	if (!s)
		return 0;
	s = dx_trim(s, &n);
	for (size_t i = 0; i < sizeof subject_prefixes / sizeof subject_prefixes[0]; i++) {
		const char *pre = subject_prefixes[i].prefix;
		if (!dx_startswith_ci(s, n, pre))
			continue;
		if (!subject_prefixes[i].colon)
			return 1;
		size_t k = strlen(pre);
		while (k < n && dx_is_wsp(s[k]))
			k++;
		if (k < n && s[k] == ':')
			return 1;
		if (k + 3 <= n && memcmp(s + k, "\xef\xbc\x9a", 3) == 0) /* fullwidth colon */
			return 1;
	}
	/* Lotus Notes: "Jane Doe is out of the office." */
	return dx_memcasemem(s, n, " is out of the office") || dx_memcasemem(s, n, " is out of office");
}

int dx_autoreply_header(const dx_header *h)
{
	const char *s = dx_header_get(h, "auto-submitted");
	if (s && dx_startswith_ci(s, strlen(s), "auto-replied"))
		return 1;
	if ((s = dx_header_get(h, "x-autoreply")) != NULL) {
		size_t n = strlen(s);
		s = dx_trim(s, &n);
		if (!(n == 2 && dx_startswith_ci(s, n, "no")) && !(n == 5 && dx_startswith_ci(s, n, "false")))
			return 1;
	}
	if (dx_header_get(h, "x-autorespond"))
		return 1;
	if ((s = dx_header_get(h, "precedence")) != NULL) {
		size_t n = strlen(s);
		s = dx_trim(s, &n);
		if (n == 10 && dx_startswith_ci(s, n, "auto_reply"))
			return 1;
	}
	return 0;
}

int dx_detect(const dx_header *h, const dx_text *from_line, const char *subject, const char *from)
{
	const char *ct = dx_header_get(h, "content-type");
	if (ct) {
		size_t n = strlen(ct);
		if (dx_memcasemem(ct, n, "multipart/report") &&
		    (dx_memcasemem(ct, n, "delivery-status") || !dx_memcasemem(ct, n, "report-type")))
			return DX_DETECT_STRONG;
	}
	if (dx_header_get(h, "x-failed-recipients"))
		return DX_DETECT_STRONG;

	int bounce_subject = subject && dx_bounce_subject(subject, strlen(subject));
	int daemon = from && dx_daemon_sender(from, strlen(from));
	int null_sender = dx_null_sender(h, from_line);

	if ((bounce_subject && (daemon || null_sender)) || (daemon && null_sender))
		return DX_DETECT_STRONG;
	if (bounce_subject || daemon || null_sender)
		return DX_DETECT_WEAK;
	if (ct && dx_memcasemem(ct, strlen(ct), "multipart/report"))
		return DX_DETECT_WEAK; /* another report type, like ARF feedback */
	if (dx_autoreply_header(h) || (subject && dx_autoreply_subject(subject, strlen(subject))))
		return DX_DETECT_WEAK; /* an out-of-office reply (rfc3834.c) */
	/* Amazon SES notifications by e-mail through SNS (dsn_amazonses.c). */
	if (dx_header_get(h, "x-amz-sns-message-id") || (from && dx_memcasemem(from, strlen(from), "@sns.amazonaws.com")))
		return DX_DETECT_WEAK;
	/* A mailing-list manager's notice to a poster, which may refuse the
	 * post (Mailman; listmgr.c). */
	const char *adm = dx_header_get(h, "x-list-administrivia");
	if (adm && dx_memcasemem(adm, strlen(adm), "yes"))
		return DX_DETECT_WEAK;
	/* A mailing-list manager's error notice to the list's owner, or its
	 * refusal of a post from a non-member ("You x@y are not member (neko
	 * ML)") (fml). */
	if (dx_header_get(h, "x-mlserver") && subject &&
	    (dx_memcasemem(subject, strlen(subject), "error") || dx_memcasemem(subject, strlen(subject), "alert") ||
	     dx_memcasemem(subject, strlen(subject), "not member")))
		return DX_DETECT_WEAK;
	return DX_DETECT_NO;
}
