/* test_classify.c: rule files, the precedence of classification, the
 * built-in rules and the hard-bounce rule (core/classify.h). */
#include "helpers.h"

#include "classify.h"

static dx_rules *rules_from(const char *name, const char *text)
{
	dx_rules *r = dx_rules_new();
	assert_non_null(r);
	dx_error err = {0};
	dx_status st = dx_rules_add(r, name, text, strlen(text), &err);
	if (st != DX_OK)
		fail_msg("rules rejected: %s", err.message);
	return r;
}

/* Classifies with a fresh matcher and returns the verdict. */
static dx_verdict classify(const dx_rules *r, const dx_facts *f)
{
	dx_matcher *m = dx_matcher_new(r);
	assert_non_null(m);
	dx_verdict v;
	memset(&v, 0, sizeof v);
	dx_classify(m, f, &v);
	dx_matcher_free(m);
	return v;
}

static void test_add_valid(void **state)
{
	(void)state;
	dx_rules *r = rules_from("ok.rules", "# a comment\n"
					      "\n"
					      "   \t\n"
					      "userunknown  /no such user/i   # trailing comment\n"
					      "mailboxfull status=5.2.2\r\n"
					      "suspend code=55x action=failed\n"
					      "blocked /a\\/b/ status=*.7.* decoder=rfc3464");
	assert_int_equal(dx_rules_count(r), 4);

	dx_facts f = {.diagnostic = "550 No Such User here"};
	dx_verdict v = classify(r, &f);
	assert_string_equal(v.reason, "userunknown");
	assert_string_equal(v.rule_file, "ok.rules");
	assert_int_equal(v.rule_line, 4);
	assert_string_equal(v.rule_text, "userunknown  /no such user/i   # trailing comment");
	assert_string_equal(v.matched, "diagnostic");

	/* "\/" in a pattern is a literal slash. */
	f = (dx_facts){.status = "5.7.1", .decoder = "rfc3464", .diagnostic = "x a/b y"};
	v = classify(r, &f);
	assert_string_equal(v.reason, "blocked");
	assert_int_equal(v.rule_line, 7);

	/* A CRLF line is read like an LF one. */
	f = (dx_facts){.status = "5.2.2"};
	v = classify(r, &f);
	assert_string_equal(v.reason, "mailboxfull");
	assert_string_equal(v.matched, "status");
	assert_int_equal(v.rule_line, 5);
	dx_rules_free(r);
}

static void test_pattern_beats_status(void **state)
{
	(void)state;
	dx_rules *r = rules_from("p.rules", "mailboxfull status=5.1.1\n"
					    "userunknown /gone away/i\n");
	dx_facts f = {.status = "5.1.1", .reply_code = 550, .diagnostic = "The user has GONE AWAY"};
	dx_verdict v = classify(r, &f);
	assert_string_equal(v.reason, "userunknown");
	assert_string_equal(v.matched, "diagnostic");
	assert_int_equal(v.rule_line, 2);

	f.diagnostic = "something else";
	v = classify(r, &f);
	assert_string_equal(v.reason, "mailboxfull");
	assert_string_equal(v.matched, "status");
	assert_int_equal(v.rule_line, 1);
	assert_string_equal(v.rule_text, "mailboxfull status=5.1.1");
	dx_rules_free(r);
}

static void test_diagnostic_beats_summary(void **state)
{
	(void)state;
	dx_rules *r = rules_from("d.rules", "mailboxfull /quota/\n"
					    "userunknown /unknown/\n");
	dx_facts f = {.diagnostic = "user unknown", .summary = "over quota"};
	dx_verdict v = classify(r, &f);
	assert_string_equal(v.reason, "userunknown");
	assert_string_equal(v.matched, "diagnostic");

	/* The summary is used when the diagnostic says nothing known. */
	f.diagnostic = "no idea";
	v = classify(r, &f);
	assert_string_equal(v.reason, "mailboxfull");
	assert_string_equal(v.matched, "summary");

	f.diagnostic = "";
	v = classify(r, &f);
	assert_string_equal(v.reason, "mailboxfull");
	assert_string_equal(v.matched, "summary");

	f.diagnostic = NULL;
	v = classify(r, &f);
	assert_string_equal(v.reason, "mailboxfull");
	assert_string_equal(v.matched, "summary");
	dx_rules_free(r);
}

static void test_user_rules_first(void **state)
{
	(void)state;
	dx_facts f = {.status = "5.1.1", .reply_code = 550, .action = "failed",
		      .diagnostic = "550 5.1.1 User unknown"};
	dx_rules *r = dx_rules_new();
	dx_error err = {0};
	static const char user[] = "filtered /user unknown/i\n";
	assert_int_equal(dx_rules_add(r, "user.rules", user, sizeof user - 1, &err), DX_OK);
	assert_int_equal(dx_rules_add_builtin(r, &err), DX_OK);
	dx_verdict v = classify(r, &f);
	assert_string_equal(v.reason, "filtered");
	assert_string_equal(v.rule_file, "user.rules");
	assert_int_equal(v.rule_line, 1);
	dx_rules_free(r);

	/* Added after the built-in rules, the same rule loses. */
	r = dx_rules_new();
	assert_int_equal(dx_rules_add_builtin(r, &err), DX_OK);
	assert_int_equal(dx_rules_add(r, "user.rules", user, sizeof user - 1, &err), DX_OK);
	v = classify(r, &f);
	assert_string_equal(v.reason, "userunknown");
	assert_string_equal(v.rule_file, "builtin:reasons.rules");
	dx_rules_free(r);
}

static void test_conditions_all_hold(void **state)
{
	(void)state;
	dx_rules *r = rules_from("c.rules", "blocked /denied/ status=5.7.* code=55x action=failed decoder=exchange\n");
	const dx_facts ok = {.status = "5.7.12", .reply_code = 554, .action = "failed",
			     .decoder = "exchange", .diagnostic = "access denied"};
	dx_verdict v = classify(r, &ok);
	assert_string_equal(v.reason, "blocked");

	dx_facts f = ok;
	f.status = "4.7.1";
	assert_string_equal(classify(r, &f).reason, "onhold");
	f = ok;
	f.status = "5.1.1";
	assert_string_equal(classify(r, &f).reason, "onhold");
	f = ok;
	f.status = NULL;
	assert_string_equal(classify(r, &f).reason, "onhold");
	f = ok;
	f.reply_code = 450;
	assert_string_equal(classify(r, &f).reason, "onhold");
	f = ok;
	f.reply_code = 560;
	assert_string_equal(classify(r, &f).reason, "onhold");
	f = ok;
	f.reply_code = 0;
	assert_string_equal(classify(r, &f).reason, "onhold");
	f = ok;
	f.action = "delayed";
	assert_string_equal(classify(r, &f).reason, "onhold");
	f = ok;
	f.action = NULL;
	assert_string_equal(classify(r, &f).reason, "onhold");
	f = ok;
	f.decoder = "rfc3464";
	assert_string_equal(classify(r, &f).reason, "onhold");
	f = ok;
	f.decoder = NULL;
	assert_string_equal(classify(r, &f).reason, "onhold");
	f = ok;
	f.diagnostic = "accepted";
	assert_string_equal(classify(r, &f).reason, "onhold");
	dx_rules_free(r);

	/* Status wildcards match whole fields only. */
	r = rules_from("s.rules", "userunknown status=*.1.1\n");
	f = (dx_facts){.status = "4.1.1"};
	assert_string_equal(classify(r, &f).reason, "userunknown");
	f.status = "5.1.10";
	assert_string_equal(classify(r, &f).reason, "onhold");
	f.status = "5.11.1";
	assert_string_equal(classify(r, &f).reason, "onhold");
	dx_rules_free(r);
}

static void test_defaults(void **state)
{
	(void)state;
	dx_rules *r = dx_rules_new();
	dx_facts f = {.status = "5.9.9"};
	dx_verdict v = classify(r, &f);
	assert_string_equal(v.reason, "onhold");
	assert_string_equal(v.matched, "default");
	assert_null(v.rule_file);
	assert_null(v.rule_text);
	assert_int_equal(v.rule_line, 0);

	f = (dx_facts){.reply_code = 550, .diagnostic = "whatever"};
	assert_string_equal(classify(r, &f).reason, "onhold");

	f = (dx_facts){.status = "", .action = "failed", .diagnostic = "whatever"};
	v = classify(r, &f);
	assert_string_equal(v.reason, "undefined");
	assert_string_equal(v.matched, "default");

	f = (dx_facts){0};
	assert_string_equal(classify(r, &f).reason, "undefined");
	dx_rules_free(r);
}

/* Adds bad rules and checks the error: code, "name:LINE: " and a word
 * of the message. */
static void check_error(const char *text, unsigned line, const char *what)
{
	dx_rules *r = dx_rules_new();
	dx_error err;
	memset(&err, 0, sizeof err);
	dx_status st = dx_rules_add(r, "bad.rules", text, strlen(text), &err);
	assert_int_equal(st, DX_ERR_RULES);
	assert_int_equal(err.code, DX_ERR_RULES);
	char where[64];
	snprintf(where, sizeof where, "bad.rules:%u: ", line);
	if (strncmp(err.message, where, strlen(where)) != 0 || !strstr(err.message, what))
		fail_msg("error for '%s': got '%s', expected '%s...%s'", text, err.message, where, what);
	dx_rules_free(r);
}

static void test_errors(void **state)
{
	(void)state;
	check_error("userunknown status=5.1.1\nnosuchreason status=5.1.1\n", 2, "nosuchreason");
	check_error("\n\nuserunknown /a(b/\n", 3, "bad pattern");
	check_error("userunknown /abc\n", 1, "closing '/'");
	check_error("userunknown /abc/x\n", 1, "flag");
	check_error("# c\nuserunknown color=red\n", 2, "color");
	check_error("userunknown status=5.x.1\n", 1, "5.x.1");
	check_error("userunknown status=5.1\n", 1, "5.1");
	check_error("userunknown status=5.1.1.1\n", 1, "5.1.1.1");
	check_error("userunknown status=5.1.1\nuserunknown code=650\n", 2, "650");
	check_error("userunknown\n", 1, "condition");
	check_error("userunknown /a/ /b/\n", 1, "one pattern");
	check_error("userunknown status=\n", 1, "value");
	check_error("UserUnknown status=5.1.1\n", 1, "UserUnknown");
	check_error("filtered rhost=.example.net\n", 1, "host name");
	check_error("filtered rhost=mx_1.example.net\n", 1, "host name");
}

/* rhost=: the remote host is the name or a host under it, any case. */
static void test_rhost(void **state)
{
	(void)state;
	dx_rules *r = rules_from("h.rules", "filtered rhost=Example.NET /user unknown/i\n"
					    "userunknown /user unknown/i\n");
	static const struct {
		const char *host, *reason;
	} hosts[] = {
		{"example.net", "filtered"},      {"mx1.example.net", "filtered"}, {"MX1.EXAMPLE.NET.", "filtered"},
		{"myexample.net", "userunknown"}, {"example.net.org", "userunknown"}, {"net", "userunknown"},
		{NULL, "userunknown"},
	};
	for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		dx_facts f = {.remote_mta = hosts[i].host, .diagnostic = "550 User unknown"};
		dx_verdict v = classify(r, &f);
		if (strcmp(v.reason, hosts[i].reason) != 0)
			fail_msg("remote %s: %s, not %s", hosts[i].host ? hosts[i].host : "(none)", v.reason, hosts[i].reason);
	}
	dx_rules_free(r);

	/* Built in: au's "550 : User unknown" (no address: after DATA) is its
	 * filter, even where the report's summary says the address could not
	 * be found; the same words from another host are not. */
	r = dx_rules_new();
	dx_error err = {0};
	assert_int_equal(dx_rules_add_builtin(r, &err), DX_OK);
	dx_facts f = {.status = "5.0.0", .reply_code = 550, .remote_mta = "lsean.ezweb.ne.jp",
		      .diagnostic = "550 : User unknown",
		      .summary = "Your message wasn't delivered because the address couldn't be found."};
	assert_string_equal(classify(r, &f).reason, "filtered");
	f.remote_mta = "mx.example.com";
	assert_string_equal(classify(r, &f).reason, "userunknown");
	dx_rules_free(r);
}

static void test_builtin(void **state)
{
	(void)state;
	dx_rules *r = dx_rules_new();
	dx_error err = {0};
	assert_int_equal(dx_rules_add_builtin(r, &err), DX_OK);
	assert_true(dx_rules_count(r) > 50);

	dx_facts f = {.status = "5.1.1", .diagnostic = "550 5.1.1 User unknown"};
	dx_verdict v = classify(r, &f);
	assert_string_equal(v.reason, "userunknown");
	assert_string_equal(v.matched, "diagnostic");
	assert_string_equal(v.rule_file, "builtin:reasons.rules");

	/* "User unknown" without a x.1.1 status depends on the SMTP stage:
	 * refused at RCPT, the address is unknown; refused after DATA, or when
	 * the report does not say, a filter refused the message. */
	f = (dx_facts){.status = "5.0.0", .command = "RCPT", .diagnostic = "550 User unknown"};
	assert_string_equal(classify(r, &f).reason, "userunknown");
	f = (dx_facts){.status = "5.0.0", .command = "DATA", .diagnostic = "550 User unknown"};
	assert_string_equal(classify(r, &f).reason, "filtered");
	f = (dx_facts){.status = "5.0.0", .diagnostic = "550 User unknown"};
	assert_string_equal(classify(r, &f).reason, "filtered");
	/* The report's own specific words beat that weak inference. */
	f = (dx_facts){.status = "5.0.0", .diagnostic = "550 User unknown",
		       .summary = "the address couldn't be found"};
	v = classify(r, &f);
	assert_string_equal(v.reason, "userunknown");
	assert_string_equal(v.matched, "summary");

	/* A specific enhanced code beats ambiguous (weak) wording; an "other or
	 * undefined" code (X.Y.0) does not. */
	f = (dx_facts){.status = "5.7.1", .summary = "5.1.0 - Unknown address error 550 Access denied"};
	v = classify(r, &f);
	assert_string_equal(v.reason, "securityerror");
	assert_string_equal(v.matched, "status");
	f = (dx_facts){.status = "5.1.0", .summary = "5.1.0 - Unknown address error 550 Access denied"};
	assert_string_equal(classify(r, &f).reason, "filtered");

	/* A stage or action rule before the status rules keeps its place:
	 * a delay that names no cause counts as expiring. */
	f = (dx_facts){.status = "4.7.1", .action = "delayed", .diagnostic = "451 4.7.1 Greylisted, please try again"};
	assert_string_equal(classify(r, &f).reason, "expired");

	/* The resolver's temporary failure defers: the network, not a domain
	 * known not to exist; without "try again", or given up, the domain. */
	static const char dns_try_again[] =
		"Host or domain name not found. Name service error for name=example.net type=MX: Host not found, try again";
	f = (dx_facts){.status = "4.4.3", .action = "delayed", .diagnostic = dns_try_again};
	assert_string_equal(classify(r, &f).reason, "networkerror");
	/* Exchange's delay notice gives its last attempt's cause in its
	 * text; once expired, its QUEUE.Expired says so. */
	static const char winsock[] = "441 4.4.1 Error encountered while communicating with primary target IP "
				      "address: \"Failed to connect. Winsock error code: 10060\"";
	f = (dx_facts){.status = "4.4.7", .action = "delayed", .diagnostic = "400 4.4.7 Message delayed",
		       .summary = winsock};
	assert_string_equal(classify(r, &f).reason, "networkerror");
	f = (dx_facts){.status = "4.4.7", .action = "failed", .diagnostic = "550 4.4.7 QUEUE.Expired; message expired",
		       .summary = winsock};
	assert_string_equal(classify(r, &f).reason, "expired");
	f = (dx_facts){.status = "5.4.4", .action = "failed", .diagnostic = dns_try_again};
	assert_string_equal(classify(r, &f).reason, "hostunknown");
	f = (dx_facts){.status = "4.4.3", .action = "delayed",
		       .diagnostic = "Host or domain name not found. Name service error for name=example.net type=MX: Host not found"};
	assert_string_equal(classify(r, &f).reason, "hostunknown");

	/* A policy code said together with "user unknown" is a filter, at
	 * any stage; the same words with another code stay the address. */
	f = (dx_facts){.status = "5.7.1", .command = "RCPT", .diagnostic = "550 5.7.1 User Unknown: a@example.org"};
	assert_string_equal(classify(r, &f).reason, "filtered");
	f = (dx_facts){.status = "5.7.1", .command = "RCPT", .diagnostic = "550 5.7.1 <a@example.org>... Unknown user"};
	assert_string_equal(classify(r, &f).reason, "filtered");
	f = (dx_facts){.status = "5.1.1", .command = "RCPT", .diagnostic = "550 5.1.1 User Unknown: a@example.org"};
	assert_string_equal(classify(r, &f).reason, "userunknown");
	f = (dx_facts){.command = "RCPT", .diagnostic = "550 User not known"};
	assert_string_equal(classify(r, &f).reason, "userunknown");
	f = (dx_facts){.command = "RCPT", .diagnostic = "550 this email address is no longer valid"};
	assert_string_equal(classify(r, &f).reason, "userunknown");

	/* Wordings of conditions: an address on a sending service's
	 * suppression list; a banned attachment; qmail's refusal to relay; the
	 * recipient's own block list (not a list of sending hosts); invalid
	 * headers; a local problem of the remote. */
	static const struct {
		const char *status, *text, *reason;
	} words[] = {
		{"5.0.0", "554 Transaction failed: the address is on the suppression list for your account", "suppressed"},
		{"5.7.0", "554 5.7.0 Reject, id=1234-05 - BANNED: application/x-msdownload,.exe", "policyviolation"},
		{"5.0.0", "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", "norelaying"},
		{"5.7.1", "550 5.7.1 Recipient address rejected: Sender is on recipient's block list", "filtered"},
		{"5.7.1", "550 5.7.1 Client host [192.0.2.1] is on our block list", "blocked"},
		{"5.6.0", "554 5.6.0 Message contains invalid header", "notcompliantrfc"},
		{"4.0.0", "451 Temporary local problem - please try later", "systemerror"},
		/* An IP address blocked is a sending host, not a mailbox. */
		{"5.0.0", "550 Your IP address has been blocked due to excessive spam", "blocked"},
		{"5.0.0", "550 Mailbox has been suspended", "suspend"},
		/* A sending quota is a rate; a mailbox quota is the recipient's. */
		{"5.4.5", "550 5.4.5 Daily user sending quota exceeded.", "speeding"},
		{"5.0.0", "552 Quota exceeded. The recipient's mailbox is full.", "mailboxfull"},
		{"5.6.0", "554 5.6.0 Mail message is malformed. Not accepted.", "notcompliantrfc"},
		{"5.7.133", "550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required", "filtered"},
		{"5.7.1", "554 5.7.1 [CS01] Message rejected due to local policy.", "policyviolation"},
		{"5.0.0", "550 Your message has been rejected because it contains a prohibited attachment", "policyviolation"},
		{"5.7.1", "550 5.7.1 Recipient mailbox is protected by a whitelist and you are not on it", "filtered"},
		{"5.7.1", "550 5.7.1 Email rejected because the sender is not in the recipient's allowed senders list",
		 "filtered"},
		{"5.7.1", "554 5.7.1 : (DYN:T1) http://postmaster.example/errors/554dynt1.html", "blocked"},
		{"5.0.0", "554 comcast 192.0.2.1 Comcast block for spam. Please see smtp-error-codes.php#BL000000", "blocked"},
		{"5.0.0", "550 Host name lookup failed", "networkerror"},
		/* The sender or its domain refused, in words that also name a
		 * block list: the sender, not the sending host. */
		{"5.7.1", "550 5.7.1 Sender address is blacklisted", "rejected"},
		{"5.7.1", "554 5.7.1 Service unavailable; Sender address [a@example.com] blocked using Trend Micro Email "
			  "Reputation database", "rejected"},
		{"5.0.0", "550 Your domain has been blacklisted", "rejected"},
		{"5.7.1", "550 5.7.1 Email from your domain is blocked; please contact the postmaster", "rejected"},
		{"5.7.1", "550 5.7.1 Sender domain example.com does not exist", "rejected"},
		/* Proofpoint's refusal of a sending IP. */
		{"5.7.1", "554 5.7.1 Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1", "blocked"},
		{"5.7.0", "552 5.7.0 Our system detected an illegal attachment on your message.", "policyviolation"},
		/* The mailbox's size limit is its quota, not the message's size. */
		{"5.2.2", "552 5.2.2 Mailbox size limit exceeded", "mailboxfull"},
		{"5.2.2", "552 5.2.2 <a@example.org>: Recipient mailbox is over its quota", "mailboxfull"},
		{"5.3.4", "552 5.3.4 Message size exceeds fixed limit", "mesgtoobig"},
		/* A relay refused for want of authentication is a relay refused. */
		{"5.7.1", "550 5.7.1 Relaying denied. Proper authentication required.", "norelaying"},
		{"5.7.0", "530 5.7.0 Authentication required", "securityerror"},
		/* A failed check names the cause of a refused sender. */
		{"5.7.1", "550 5.7.1 Sender rejected: SPF fail", "authfailure"},
		{"5.7.1", "550 5.7.1 DKIM signature verification failed", "authfailure"},
		{"4.3.0", "451 4.3.0 Temporary system failure", "systemerror"},
		{"5.7.0", "550 5.7.0 Message Size Violation", "mesgtoobig"},
		{"5.7.1", "554 5.7.1 This message has been blocked because it contains a banned word", "policyviolation"},
		{"5.7.0", "550 5.7.0 Content-Policy reject", "policyviolation"},
		{"4.7.1", "451 4.7.1 Too many messages from your IP, slow down", "speeding"},
		{"4.7.1", "450 4.7.1 Recipient address rejected: too many messages to this recipient", "speeding"},
		{"5.0.0", "551 User not local; please try <x@example.org>", "hasmoved"},
		{"5.7.27", "550 5.7.27 Sender address has null MX", "rejected"},
		{"5.1.10", "556 5.1.10 Recipient address x@example.com has null MX", "notaccept"},
		/* "was not found" as "is not found": decided by the status as the
		 * present tense is (x.1.1 the address, x.7.y a filter). */
		{"5.1.1", "550 5.1.1 The recipient was not found on this system", "userunknown"},
		{"5.7.1", "550 5.7.1 Mailbox was not found", "filtered"},
		{"5.7.1", "550 5.7.1 Your message was rejected because your domain is in our blacklist", "rejected"},
		{"5.7.1", "550 5.7.1 Infected attachment detected", "virusdetected"},
		{"4.4.0", "451 4.4.0 DNS resolving error", "networkerror"},
		{"4.7.0", "454 4.7.0 TLS not available due to local problem", "failedstarttls"},
		{"5.0.0", "550 Your message has been rejected as it was identified as phishing", "spamdetected"},
		{"5.7.520", "550 5.7.520 Access denied, Your organization does not allow external forwarding.", "policyviolation"},
		{"5.2.252", "554 5.2.252 SendAsDeniedException.Mapi.SendAsDenied; The user account does not have permission "
			    "to send as this sender.", "rejected"},
		{"4.0.0", "451 Internal resource temporarily unavailable", "systemerror"},
		{"4.7.500", "451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (S77714)", "systemerror"},
		{"4.7.0", "421 4.7.0 Server busy, too many connections", "toomanyconn"},
		{"5.7.1", "550 5.7.1 Message rejected due to DMARC.", "authfailure"},
		{"5.0.0", "Unable to deliver message to the following recipients, due to being unable to connect "
		     "successfully to the destination mail server.", "networkerror"},
		{"4.4.1", "Failed to connect to the remote mail server", "networkerror"},
		{"4.0.0", "Network error on destination MXs", "networkerror"},
		{"5.0.0", "554-Transaction failed 554-Reject due to policy restrictions. 554 For explanation visit "
			  "https://postmaster.example.de/error-messages", "policyviolation"},
		{"5.0.0", "553 relaying disallowed. Invalid Domain - example.jp", "norelaying"},
		{"4.3.0", "451 4.3.0 <jun@example.com>: Temporary lookup failure", "systemerror"},
		{"5.0.0", "SMTP login to smtp.example.com failed", "securityerror"},
		{"5.0.0", "550-This message has been rejected because it has potentially executable content "
			  "statement.scr", "policyviolation"},
		{"5.0.0", "Mailing to pipes is not permitted", "mailererror"},
		{"4.4.3", "451 4.4.3 Temporary DNS failure", "networkerror"},
		{"5.0.0", "554 IP=198.51.100.77 - A problem occurred. (Ask your postmaster for help or to contact "
			  "tosa@rx.t-online.de to clarify.) (BL)", "blocked"},
		{"5.7.1", "554 5.7.1 - ERROR: Mail refused - <203.0.113.25> - See https://www.example.net/errors AUP#I-1000",
		 "blocked"},
		{"5.0.0", "DNS lookup failure: host nxdomain.example not found", "hostunknown"},
		{"5.0.0", "<a@nxdomain.example>: No MX or A records for nxdomain.example", "hostunknown"},
		{"5.0.0", "There are no DNS entries for the hostname nxdomain.example.  I cannot determine where to send "
			  "this message.", "hostunknown"},
		/* Exchange Online's directory refuses an unknown recipient with
		 * 5.4.1 "Access denied"; Postfix's access table says those words
		 * of a recipient it refuses by policy. */
		{"5.4.1", "550 5.4.1 Recipient address rejected: Access denied. [AM0PR01MB1234.eurprd01.prod.outlook.com]",
		 "userunknown"},
		{"5.7.1", "554 5.7.1 <all-staff@example.org>: Recipient address rejected: Access denied", "securityerror"},
		/* The remote refusing our connections, even when the message then
		 * expired (Exchange Online's 5.4.316). */
		{"5.4.316", "550 5.4.316 Message expired, connection refused(Socket error code 10061)", "blocked"},
		{"4.4.1", "connect to mx.example.net[192.0.2.8]:25: Network is unreachable", "networkerror"},
		{"5.7.0", "554 5.7.0 Reject, id=12345-01 - INFECTED: Eicar-Test-Signature", "virusdetected"},
		{"5.7.1", "550 5.7.1 Sender domain not allowed", "rejected"},
		{"4.7.5", "454 4.7.5 Cannot establish TLS session", "failedstarttls"},
		{"5.0.0", "552 Requested mail action aborted: exceeded mailsize limit", "mesgtoobig"},
		{"5.0.0", "554 DT:SPM 163 smtp14,EsCowACHbDdx1a5kXTZ3AA--.5871S2 1689146738, please see "
			  "http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.1", "spamdetected"},
		{"5.0.0", "550 Mail content denied", "spamdetected"},
		{"5.0.0", "550 Requested action not taken: mailbox unavailable / invalid DNS MX or A/AAAA resource record",
		 "rejected"},
		{"5.0.0", "554-IP address is black listed.", "blocked"},
		{"5.7.1", "550 5.7.1 Policy rejection on Target Address", "policyviolation"},
		{"5.0.0", "552 Mail rejected, OFR_999 [506]", "spamdetected"},
		{"4.7.0", "451 4.7.0 Temporary server error. Please try again later. PRX4", "systemerror"},
		{"5.7.1", "554 5.7.1 Rejected by SpamAssassin", "spamdetected"},
		{"5.7.1", "554 5.7.1 Your message was rejected because the DKIM signature is invalid", "authfailure"},
		{"5.7.1", "550 5.7.1 SPF: 192.0.2.1 is not allowed to send mail from example.com", "authfailure"},
		{"5.7.26", "550 5.7.26 This mail is unauthenticated, which poses a security risk to the sender and Gmail "
			   "users, and has been blocked. The sender must authenticate with at least one of SPF or DKIM.",
		 "authfailure"},
		{"5.7.26", "550 5.7.26 This message does not pass authentication checks (SPF and DKIM both do not pass).",
		 "authfailure"},
		{"5.7.0", "530 5.7.0 You must authenticate before sending mail", "securityerror"},
		{"5.7.1", "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using b.barracudacentral.org; "
			  "http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.1", "blocked"},
		{"5.0.0", "554 Your access to this mail system has been rejected due to the sending MTA's poor reputation.",
		 "badreputation"},
		{"4.0.0", "421 Too many messages from 192.0.2.1 this hour", "speeding"},
		{"4.0.0", "452 Insufficient system resources", "systemfull"},
		{"5.0.0", "550 Mailbox existiert nicht", "userunknown"},
		{"5.0.0", "550 Adresse destinataire inconnue", "userunknown"},
		{"5.0.0", "550 \xd0\x9d\xd0\xb5\xd1\x82 \xd1\x82\xd0\xb0\xd0\xba\xd0\xbe\xd0\xb3\xd0\xbe "
			  "\xd0\xbf\xd0\xbe\xd0\xbb\xd1\x8c\xd0\xb7\xd0\xbe\xd0\xb2\xd0\xb0\xd1\x82\xd0\xb5\xd0\xbb\xd1\x8f",
		 "userunknown"}, /* ru: Нет такого пользователя */
		{"5.7.124", "550 5.7.124 Sender not in allowed-senders list", "filtered"},
		{"5.7.129", "550 5.7.129 RESOLVER.RST.RestrictedToRecipientsPermission; you don't have permission to send "
			    "to this recipient", "filtered"},
		{"5.4.310", "550 5.4.310 DNS domain example.com does not exist", "hostunknown"},
		{"5.7.1", "550 5.7.1 Message rejected by policy", "policyviolation"},
		{"5.7.1", "554 5.7.1 Message Rejected Class=size limit=15728640 Subclass=reject size=18571048", "mesgtoobig"},
		{"5.0.0", "550 Your server requires confirmation. Visit http://www.example.com/Whitelist.aspx?IP=192.0.2.1",
		 "blocked"},
		{"5.0.0", "550 Unknown local part x in <x@example.com>", "userunknown"},
		{"5.2.2", "552 5.2.2 This message is larger than the current system limit or the recipient's mailbox is full.",
		 "mailboxfull"},
		{"5.3.4", "552 5.3.4 This message is larger than the current system limit.", "mesgtoobig"},
		{"5.7.1", "554 5.7.1 Your IP is in a dynamic range", "blocked"},
		{"4.0.0", "451 DNS temporary failure", "networkerror"},
		{"5.0.0", "Amazon SES has suppressed sending to this address because it has a recent history of bouncing "
			  "as an invalid address.", "suppressed"},
		{"5.7.1", "550 5.7.1 Message does not conform to RFC 5322", "notcompliantrfc"},
		{"5.6.0", "554 5.6.0 Missing required header field: Date", "notcompliantrfc"},
		{"4.2.1", "450 4.2.1 You have exceeded your messaging limits", "speeding"},
		{"5.0.0", "550 Mailbox quota usage exceeded", "mailboxfull"},
		{"5.0.0", "Command died with signal 9: \"/usr/lib/dovecot/deliver\"", "mailererror"},
		{"5.7.1", "550 5.7.1 Recipient rejects mail from this sender", "filtered"},
		{"5.7.1", "550 5.7.1 Sender blocked by recipient", "filtered"},
		{"5.0.0", "user@example.edu Does not have a final email delivery point, please contact this person by "
			  "alternate means.", "userunknown"},
		{"5.0.0", "but this email address is wrong or no longer valid.", "userunknown"},
		{"5.0.0", "550 Gebruiker onbekend", "userunknown"},
		{"5.7.1", "550 5.7.1 Message rejected because of unacceptable content. For help, please quote incident ID "
			  "22492290.", "spamdetected"},
		{"5.0.0", "550 OU-001 (SNT004-MC1F43) Unfortunately, messages from 192.0.2.1 weren't sent. Please contact your "
			  "Internet service provider.", "blocked"},
		{"5.0.0", "550 U\xc5\xbcytkownik nie istnieje", "userunknown"},                  /* pl */
		{"5.0.0", "550 Al\xc4\xb1" "c\xc4\xb1 bulunamad\xc4\xb1", "userunknown"},           /* tr */
		{"5.0.0", "550 \xec\xa1\xb4\xec\x9e\xac\xed\x95\x98\xec\xa7\x80 \xec\x95\x8a\xeb\x8a\x94 "
			  "\xec\x82\xac\xec\x9a\xa9\xec\x9e\x90\xec\x9e\x85\xeb\x8b\x88\xeb\x8b\xa4", "userunknown"}, /* ko */
		{"5.0.0", "554 \xe6\x82\xa8\xe7\x9a\x84IP\xe5\xb7\xb2\xe8\xa2\xab\xe5\x88\x97\xe5\x85\xa5"
			  "\xe9\xbb\x91\xe5\x90\x8d\xe5\x8d\x95", "blocked"},                                  /* zh */
		{"5.7.1", "550 5.7.1 Sender IP reverse lookup rejected", "requireptr"},
		{"4.7.1", "452 4.7.1 Too many recipients received this hour", "speeding"},
		{"5.0.0", "550 Recipient is over the limit of messages per hour", "speeding"},
		{"4.3.5", "451 4.3.5 Server configuration problem", "systemerror"},
		{"5.0.0", "550 Access denied - Invalid HELO name (See RFC2821 4.1.1.1)", "blocked"},
		{"5.0.0", "553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)", "rejected"},
		{"4.0.0", "451 qq temporary problem (#4.3.0)", "systemerror"},
		{"5.0.0", "Your message to the list was rejected because you are not a member", "rejected"},
		{"5.0.0", "550 You are not allowed to post to this mailing list", "rejected"},
		{"5.7.1", "554 5.7.1 You are not allowed to connect.", "blocked"},
		{"4.3.2", "421 4.3.2 The maximum number of concurrent server connections has been exceeded", "toomanyconn"},
		{"5.0.0", "554 Message not allowed - Headers are not RFC compliant[291]", "notcompliantrfc"},
		{"5.7.1", "554 5.7.1 Message refused: the sender's domain has no valid MX", "rejected"},
		{"5.1.8", "553 5.1.8 Sender address domain does not exist", "rejected"},
		{"5.2.121", "550 5.2.121 Recipient's per hour message receive limit from specific sender exceeded.", "speeding"},
		{"5.2.122", "550 5.2.122 The recipient has exceeded their limit for the number of messages they can receive "
			    "per hour.", "speeding"},
		{"5.1.90", "550 5.1.90 Your message can't be sent because you've reached your daily limit for message "
			   "recipients.", "speeding"},
		{"5.7.511", "550 5.7.511 Access denied, banned sender[192.0.2.1]. To request removal from this list please "
			    "forward this message to delist@messaging.microsoft.com.", "blocked"},
		{"5.7.1", "550 5.7.1 The user or domain that you are sending to (or from) has a policy that prohibited "
			  "the mail that you sent.", "policyviolation"},
		{"5.0.0", "550 该邮件被判定为垃圾邮件", "spamdetected"},
		{"5.7.1", "550 5.7.1 Delivery not authorized, message refused: Message content contains a blocked attachment",
		 "policyviolation"},
		/* Local servers' own languages. */
		{"5.0.0", "550 Benutzer unbekannt", "userunknown"},
		/* localised NDRs: words between the box and "full"; Office
		 * 365's summary of an unknown recipient */
		{"5.0.0", "Das Postfach des Empfängers ist voll und kann derzeit keine Nachrichten annehmen", "mailboxfull"},
		{"5.0.0", "La boîte aux lettres du destinataire est pleine", "mailboxfull"},
		{"5.0.0", "El buzón del destinatario está lleno", "mailboxfull"},
		{"5.0.0", "max wasn't found at dest.example.com.", "userunknown"},
		{"5.0.0", "max wurde bei dest.example.de nicht gefunden.", "userunknown"},
		{"5.0.0", "Der Empfänger wurde nicht gefunden", "userunknown"},
		{"5.0.0", "550 Utilisateur inconnu", "userunknown"},
		{"4.0.0", "452 Postfach ist voll", "mailboxfull"},
		{"5.0.0", "550 Пользователь не найден", "userunknown"},
		{"5.0.0", "550 ユーザが見つかりません", "userunknown"},
		{"5.0.0", "550 Empfänger unbekannt", "userunknown"},
		{"5.0.0", "550 Mailbox voll", "mailboxfull"},
		{"5.0.0", "550 Adresse inconnue", "userunknown"},
		{"5.0.0", "550 Destinatario desconocido", "userunknown"},
		{"5.0.0", "550 El usuario no existe", "userunknown"},
		{"5.0.0", "550 Indirizzo inesistente", "userunknown"},
		{"5.0.0", "550 邮箱不存在", "userunknown"},
		{"5.0.0", "550 受信拒否されました", "filtered"},
		/* Older servers' wordings: quota reached or being exceeded, a
		 * mail box out of space, a size limit named "maximum incoming",
		 * retries exhausted, a loop, RFC 3463's words for X.4.1, an
		 * address "not known" or "no longer valid" at RCPT, French. */
		{"5.0.0", "Reason: recipient reached disk quota", "mailboxfull"},
		{"5.0.0", "This person's account is exceeding their quota.", "mailboxfull"},
		{"5.0.0", "ErrMsg=mail box space not enough, account=ann", "mailboxfull"},
		{"5.0.0", "Delivery of email to this address has been postponed due to a full mailbox.", "mailboxfull"},
		{"5.0.0", "This mail message has exceeded the maximum incoming message size.", "mesgtoobig"},
		{"5.0.0", "Reason: Exceeded Maximum Delivery Attempts.", "expired"},
		{"5.0.0", "Delivery failed 12 attempts: ann@dest.example.com", "expired"},
		{"5.0.0", "554 Message looping (received 7 times)", "networkerror"},
		{"4.4.1", "Persistent transient failure - routing/network: no answer from host", "networkerror"},
		{"5.0.0", "L'adresse de messagerie indiquée n'existe pas.", "userunknown"},
		{"5.7.1", "550 5.7.1 The message was rejected due to classification as Bulk mail.", "spamdetected"},
		/* The address named, then said not to exist or not to be a
		 * user; spam in other words; relaying in a sentence; getaddrinfo's
		 * failure; quotas; a challenge-response service; "currently". */
		{"5.0.0", "550 User [ann@dest.example.net] does not exist", "userunknown"},
		{"5.0.0", "554 Rcpt <ann@dest.example.net> does not exist", "userunknown"},
		{"5.0.0", "550 <ann@dest.example.net> is not a known user on this system", "userunknown"},
		{"5.0.0", "550 ** No mail box available for this user **", "userunknown"},
		{"5.0.0", "550 Recipient Rejected: No account by that name here", "userunknown"},
		{"5.7.1", "550 5.7.1 No mailbox found", "userunknown"},
		{"5.0.0", "550 BAD_RECIPIENT - see the web page", "userunknown"},
		{"5.7.1", "554 5.7.1 Mail appears to be unsolicited - Score (59) over the limit", "spamdetected"},
		{"5.7.1", "554 5.7.1 Your message failed several antispam checks and was rejected", "spamdetected"},
		{"5.7.1", "550 5.7.1 You're using a mass mailer, therefore you're bounced.", "spamdetected"},
		{"5.7.1", "550 5.7.1 Your email breaches local URIBL policy.", "spamdetected"},
		{"5.0.0", "550 Spamming not allowed", "spamdetected"},
		{"5.0.0", "553-you are trying to use me [mx.example.com] as a relay, but I have not been configured",
		 "norelaying"},
		{"5.0.0", "[dest.example.com]: Name or service not known", "hostunknown"},
		{"5.0.0", "550 User has too many messages on the server.", "mailboxfull"},
		{"5.0.0", "User mailbox exceeds allowed size: ann@dest.example.com", "mailboxfull"},
		{"4.7.0", "Sender not pre-approved. Follow instructions in above notice", "filtered"},
		/* A filter's spam wording beside "blocked", and a spam signature. */
		{"5.0.0", "553 Blocked using spam pattern, your message may contain the spam contents", "spamdetected"},
		{"5.0.0", "554 email rejected due to security policies - MCSpamSignature.sa.5.6", "spamdetected"},
		{"5.0.0", "550 x@example.net is not an active address at this host", "userunknown"},
		{"5.1.1", "550 [SUSPEND] Mailbox currently suspended - Please contact correspondent directly", "suspend"},
		{"4.0.0", "host mx.dest.example.de[192.0.2.7]: connection to mail exchanger failed", "networkerror"},
		{"5.0.0", "could not be delivered because they are not accepting mail with attachments", "filtered"},
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		f = (dx_facts){.status = words[i].status, .action = "failed", .diagnostic = words[i].text};
		v = classify(r, &f);
		if (strcmp(v.reason, words[i].reason) != 0)
			fail_msg("\"%s\": %s, not %s", words[i].text, v.reason, words[i].reason);
	}

	/* A deferral's own words beat the convention that a delay naming no
	 * cause is expiring delivery (Postfix's loop wording). */
	f = (dx_facts){.status = "4.4.6", .action = "delayed", .diagnostic = "mail forwarding loop for x@example.com"};
	assert_string_equal(classify(r, &f).reason, "networkerror");

	/* X.3.0 names no reason: with no words deciding, onhold. */
	f = (dx_facts){.status = "4.3.0", .reply_code = 451,
		       .diagnostic = "451 4.3.0 This message could not be delivered. Please try again later."};
	assert_string_equal(classify(r, &f).reason, "onhold");
	f = (dx_facts){.status = "4.3.1", .reply_code = 452};
	assert_string_equal(classify(r, &f).reason, "systemfull");

	f = (dx_facts){.status = "5.2.2"};
	v = classify(r, &f);
	assert_string_equal(v.reason, "mailboxfull");
	assert_string_equal(v.matched, "status");

	f = (dx_facts){.status = "5.7.1", .reply_code = 530, .action = "failed",
		       .diagnostic = "530 5.7.1 Client was not authenticated"};
	v = classify(r, &f);
	assert_string_equal(v.reason, "securityerror");
	assert_string_equal(v.matched, "diagnostic");

	/* The sending host refused as an open relay is blocked; a remote
	 * that is not an open relay refuses to relay. */
	f = (dx_facts){.command = "MAIL",
		       .diagnostic = "501 <a@example.co.jp>... no access from mail server [192.0.2.55] which is an open relay."};
	assert_string_equal(classify(r, &f).reason, "blocked");
	f = (dx_facts){.status = "5.7.1", .diagnostic = "550 5.7.1 Unable to relay; we are not an open relay"};
	assert_string_equal(classify(r, &f).reason, "norelaying");

	/* The phrase beats the status code. */
	f = (dx_facts){.status = "5.1.1", .action = "failed", .diagnostic = "552 Mailbox is full"};
	assert_string_equal(classify(r, &f).reason, "mailboxfull");

	/* Servers' wordings, each with the reason it gives in a report with a
	 * generic code. */
	static const struct {
		const char *text, *reason;
	} wordings[] = {
		/* A list or group refusing a post from this sender is rejected, in
		 * list managers' wordings and by x.7.2 (mailing list expansion
		 * prohibited) alone. */
		{"Sorry, only subscribers may post. (#5.7.2)", "rejected"},
		{"Only members can post to this list.", "rejected"},
		{"You are not authorized to send messages to this mailing list", "rejected"},
		{"you are not permitted to post to the group", "rejected"},
		/* A list of blocked senders kept by the recipient or its organisation
		 * is the recipient's choice. */
		{"550 Rejected by header based Blocked Senders - https://community.example.com/docs#550", "filtered"},
		{"550 Envelope blocked - User Domain Entry", "filtered"},
		{"550 5.7.1 The sender is on the recipient's Blocked Senders list", "filtered"},
		/* A disabled, suspended or dormant account in the words of local
		 * servers. */
		{"Das Konto des Empfängers ist deaktiviert", "suspend"},
		{"Le compte du destinataire a été désactivé", "suspend"},
		{"La cuenta del destinatario está suspendida", "suspend"},
		{"A conta do destinatário foi desativada", "suspend"},
		{"La casella del destinatario è stata disattivata", "suspend"},
		{"Учётная запись получателя отключена", "suspend"},
		{"почтовый ящик получателя заблокирован", "suspend"},
		{"받는 사람의 계정이 휴면 상태로 전환되었습니다", "suspend"},
		{"このアカウントは利用停止されています", "suspend"},
		{"该邮箱已被冻结", "suspend"},
		/* The recipient's domain or mail server not found, in the same
		 * way. */
		{"받는 사람의 도메인(example.kr)이 존재하지 않거나 메일 서버 정보가 없습니다", "hostunknown"},
		{"받는 사람의 메일 서버를 찾을 수 없습니다", "hostunknown"},
		{"宛先のドメイン（example.jp）は存在しません", "hostunknown"},
		{"收件人域名不存在", "hostunknown"},
		{"Die Domain example.de existiert nicht", "hostunknown"},
		{"Le domaine example.fr n'existe pas", "hostunknown"},
		{"El dominio example.es no existe", "hostunknown"},
		/* The receiving organisation's rules, set by its administrator. */
		{"550 5.7.1 Message rejected by the recipient domain's administrator. Please contact the administrator", "policyviolation"},
		{"550 5.7.1 The message was blocked by the recipient's administrator", "policyviolation"},
		{"550 5.7.0 Message blocked due to the receiving domain's policy", "policyviolation"},
		{"550 5.7.1 Delivery not authorized, message refused by a transport rule", "policyviolation"},
		/* Domino's directory does not list the user, in German and
		 * French. */
		{"Benutzer rcpt2 (rcpt2@example.com) nicht im Domino-Verzeichnis aufgeführt", "userunknown"},
		{"L'utilisateur rcpt2 n'est pas répertorié dans l'annuaire Domino", "userunknown"},
		/* qmail's notice for a retired address. */
		{"This address no longer accepts mail.", "hasmoved"},
		/* An Exchange Online transport rule. */
		{"550 5.7.1 TRANSPORT.RULES.RejectMessage; the message was rejected by organization policy",
		 "policyviolation"},
		/* Exim's own words for a DNS lookup that did not finish. */
		{"host lookup did not complete", "networkerror"},
		/* A full mailbox in more languages. */
		{"452 Skrzynka odbiorcy jest przepełniona", "mailboxfull"},
		{"552 Schránka příjemce je plná", "mailboxfull"},
		{"552 De mailbox van de ontvanger is vol", "mailboxfull"},
		{"552 Почтовый ящик получателя переполнен", "mailboxfull"},
		{"552 Alıcının posta kutusu dolu", "mailboxfull"},
		{"552 收件人邮箱已满", "mailboxfull"},
		{"552 받는 사람의 메일함이 가득 찼습니다", "mailboxfull"},
	};
	for (size_t i = 0; i < sizeof wordings / sizeof wordings[0]; i++) {
		f = (dx_facts){.status = "5.0.0", .diagnostic = wordings[i].text};
		assert_string_equal(classify(r, &f).reason, wordings[i].reason);
	}
	f = (dx_facts){.status = "5.7.2", .reply_code = 550};
	v = classify(r, &f);
	assert_string_equal(v.reason, "rejected");
	assert_string_equal(v.matched, "status");

	/* "blocked using <list>" is a block list, whatever the list is
	 * called; "blocked using spam patterns" is about the content. */
	f = (dx_facts){.status = "5.7.1",
		       .diagnostic = "554 5.7.1 Service unavailable; Client host [192.0.2.8] blocked using Barracuda "
				     "Reputation; http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.8"};
	assert_string_equal(classify(r, &f).reason, "blocked");
	f = (dx_facts){.diagnostic = "554 Blocked using spam pattern, your message may contain the spam contents"};
	assert_string_equal(classify(r, &f).reason, "spamdetected");
	f = (dx_facts){.diagnostic = "550 5.7.1 The IP address has a poor reputation"};
	assert_string_equal(classify(r, &f).reason, "badreputation");

	/* Too many connections, though the reply also asks to slow down; a
	 * sending rate is speeding. */
	f = (dx_facts){.status = "4.0.0",
		       .diagnostic = "421 mwinf5c20 ME Trop de connexions, ralentissez. Too many connections, slow down. "
				     "OFR005_104 [104]"};
	assert_string_equal(classify(r, &f).reason, "toomanyconn");
	f = (dx_facts){.status = "4.0.0", .diagnostic = "421 4.7.0 You are sending too fast, slow down"};
	assert_string_equal(classify(r, &f).reason, "speeding");

	/* Breaking RFC 5322 is the reason, though the refusal also says
	 * "spam" (Gmail's wording). */
	f = (dx_facts){.status = "5.7.1",
		       .diagnostic = "550-5.7.1 Our system has detected that this message is not RFC 5322 compliant: "
				     "Multiple 'From' headers found. To reduce the amount of spam sent to Gmail, this "
				     "message has been blocked."};
	assert_string_equal(classify(r, &f).reason, "notcompliantrfc");

	f = (dx_facts){.status = "2.0.0", .action = "delivered"};
	assert_string_equal(classify(r, &f).reason, "delivered");
	dx_rules_free(r);
}

static const char *const all_reasons[] = {
	"userunknown", "hostunknown", "hasmoved", "notaccept", "mailboxfull", "exceedlimit",
	"mesgtoobig", "suspend", "filtered", "rejected", "blocked", "requireptr",
	"badreputation", "authfailure", "securityerror", "failedstarttls", "norelaying",
	"spamdetected", "virusdetected", "policyviolation", "contenterror", "notcompliantrfc",
	"syntaxerror", "toomanyconn", "speeding", "expired", "networkerror", "systemerror",
	"systemfull", "mailererror", "suppressed", "onhold", "undefined", "delivered",
	"vacation", "feedback",
};

static void test_reason_known(void **state)
{
	(void)state;
	assert_int_equal(NELEM(all_reasons), 36);
	char text[64];
	for (size_t i = 0; i < NELEM(all_reasons); i++) {
		assert_true(dx_reason_known(all_reasons[i]));
		/* And a rule may name it. */
		snprintf(text, sizeof text, "%s status=5.1.1\n", all_reasons[i]);
		dx_rules *r = rules_from("each.rules", text);
		assert_int_equal(dx_rules_count(r), 1);
		dx_rules_free(r);
	}
	assert_false(dx_reason_known("UserUnknown"));
	assert_false(dx_reason_known("userunknownx"));
	assert_false(dx_reason_known("user"));
	assert_false(dx_reason_known(""));
	assert_false(dx_reason_known(NULL));
}

static void test_hard_bounce(void **state)
{
	(void)state;
	static const char *const hard[] = {"userunknown", "hostunknown", "hasmoved"};
	for (size_t i = 0; i < NELEM(hard); i++) {
		assert_int_equal(dx_hard_bounce(hard[i], "5.1.1", 550, "failed"), 1);
		assert_int_equal(dx_hard_bounce(hard[i], "4.1.1", 450, "delayed"), 1);
		assert_int_equal(dx_hard_bounce(hard[i], NULL, 0, NULL), 1);
		assert_int_equal(dx_hard_bounce(hard[i], "", 0, "delayed"), 1);
	}
	assert_int_equal(dx_hard_bounce("notaccept", "5.3.2", 0, "failed"), 1);
	assert_int_equal(dx_hard_bounce("notaccept", "5.3.2", 421, "delayed"), 1);
	assert_int_equal(dx_hard_bounce("notaccept", "4.3.2", 0, "delayed"), 0);
	assert_int_equal(dx_hard_bounce("notaccept", "4.3.2", 550, "failed"), 0);
	assert_int_equal(dx_hard_bounce("notaccept", NULL, 556, "failed"), 1);
	assert_int_equal(dx_hard_bounce("notaccept", "", 521, NULL), 1);
	assert_int_equal(dx_hard_bounce("notaccept", NULL, 421, "delayed"), 0);
	assert_int_equal(dx_hard_bounce("notaccept", NULL, 0, "delayed"), 0);

	assert_int_equal(dx_hard_bounce("mailboxfull", "5.2.2", 552, "failed"), 0);
	assert_int_equal(dx_hard_bounce("suspend", "5.2.1", 550, "failed"), 0);
	assert_int_equal(dx_hard_bounce("securityerror", "5.7.1", 530, "failed"), 0);
	assert_int_equal(dx_hard_bounce("onhold", "5.0.0", 550, "failed"), 0);
	assert_int_equal(dx_hard_bounce("undefined", NULL, 0, "failed"), 0);
	assert_int_equal(dx_hard_bounce(NULL, "5.1.1", 550, "failed"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_valid),
		cmocka_unit_test(test_pattern_beats_status),
		cmocka_unit_test(test_diagnostic_beats_summary),
		cmocka_unit_test(test_user_rules_first),
		cmocka_unit_test(test_conditions_all_hold),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_rhost),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_reason_known),
		cmocka_unit_test(test_hard_bounce),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
