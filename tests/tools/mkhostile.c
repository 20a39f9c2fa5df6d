/* mkhostile.c: writes the hostile inputs of tests/hostile.sh at test time,
 * deterministically, so that nothing large is kept in the repository and a
 * failure can be reproduced from the same command.
 *
 *   mkhostile longheader OUT BYTES   a bounce with one header line of BYTES
 *   mkhostile random OUT BYTES SEED  pseudo-random bytes
 *   mkhostile randommbox OUT BYTES SEED
 *                                    random bytes cut by From_ lines and
 *                                    scraps of header and MIME syntax
 *   mkhostile deepmime OUT DEPTH     a bounce whose text part is DEPTH
 *                                    multiparts deep
 *   mkhostile recipients OUT N       a bounce listing N failed recipients
 *   mkhostile broken OUT             an mbox of bounces with broken base64,
 *                                    quoted-printable, charsets, encoded words
 *   mkhostile absurd OUT             an mbox of bounces with absurd status
 *                                    codes, reply codes and addresses
 *   mkhostile mixedeol OUT           a bounce whose lines end in LF, CRLF, CR
 *   mkhostile bounce OUT [RCPT]      an ordinary bounce, with a From_ line,
 *                                    to RCPT (default user@example.com)
 *   mkhostile zipbomb OUT BYTES      a zip (deflate) whose first member is an
 *                                    mbox of BYTES zeros after a From_ line,
 *                                    then a bounce; a second member, a bounce
 *   mkhostile zeros FILTER OUT BYTES a From_ line, BYTES zeros, then a bounce,
 *                                    compressed with FILTER (gzip, xz, zstd)
 *   mkhostile empty FILTER OUT       nothing, compressed with FILTER
 *   mkhostile eviltar OUT            a tar with members named ../../x.eml,
 *                                    /abs.eml, a/../../y.eml, a symbolic
 *                                    link, a hard link and a directory
 *
 * Every bounce is addressed to user@example.com unless said otherwise.
 * Exits 0, or 1 with a message.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char from_line[] = "From MAILER-DAEMON Thu Nov 26 10:00:00 2026\n";

/* The header of a bounce; `extra` is inserted among its fields. */
static void bounce_header(FILE *f, const char *id, const char *extra)
{
	fprintf(f,
		"Return-Path: <>\n"
		"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
		"To: sender@example.org\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"Date: Thu, 26 Nov 2026 10:00:00 +0000\n"
		"Message-ID: <%s@mx.example.net>\n"
		"%s"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
		"\n",
		id, extra ? extra : "");
}

/* The parts of a one-recipient bounce, after its header. */
static void bounce_body(FILE *f, const char *rcpt)
{
	fprintf(f,
		"--B\n"
		"Content-Type: text/plain\n"
		"\n"
		"The mail system: <%s>: host mx.example.com said: 550 5.1.1 User unknown\n"
		"\n"
		"--B\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Reporting-MTA: dns; mx.example.net\n"
		"\n"
		"Final-Recipient: rfc822; %s\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"Diagnostic-Code: smtp; 550 5.1.1 <%s>: Recipient address rejected: User unknown\n"
		"\n"
		"--B--\n",
		rcpt, rcpt, rcpt);
}

static void bounce(FILE *f, const char *id, const char *rcpt)
{
	bounce_header(f, id, NULL);
	bounce_body(f, rcpt);
}

/* xorshift64*: the same bytes for the same seed, everywhere. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void put_repeated(FILE *f, int c, unsigned long long n)
{
	char buf[65536];
	memset(buf, c, sizeof buf);
	while (n) {
		size_t k = n < sizeof buf ? (size_t)n : sizeof buf;
		fwrite(buf, 1, k, f);
		n -= k;
	}
}

static int longheader(FILE *f, unsigned long long bytes)
{
	fputs("X-Hostile: ", f);
	put_repeated(f, 'a', bytes);
	fputc('\n', f);
	bounce(f, "longheader", "user@example.com");
	return 0;
}

static int random_bytes(FILE *f, unsigned long long bytes, uint64_t seed)
{
	uint64_t s = seed ? seed : 1;
	while (bytes) {
		uint64_t r = next_rand(&s);
		size_t k = bytes < 8 ? (size_t)bytes : 8;
		fwrite(&r, 1, k, f);
		bytes -= k;
	}
	return 0;
}

static int random_mbox(FILE *f, unsigned long long bytes, uint64_t seed)
{
	static const char *const scraps[] = {
		"\nFrom MAILER-DAEMON Thu Nov 26 10:00:00 2026\n",
		"\nContent-Type: multipart/report; boundary=\"B\"\n\n",
		"\n--B\nContent-Type: message/delivery-status\n\n",
		"\nFinal-Recipient: rfc822; ",
		"\nStatus: 5.1.1\n",
		"\nAction: failed\n",
		"=?utf-8?B?",
		"=?iso-2022-jp?Q?=1B$B",
		"\nContent-Transfer-Encoding: base64\n\n",
		"\n--B--\n",
		"\r\n\r\n",
		"\n\n",
		"Diagnostic-Code: smtp; 550 ",
		"\n>From x\n",
	};
	uint64_t s = seed ? seed : 1;
	unsigned long long put = 0;
	while (put < bytes) {
		uint64_t r = next_rand(&s);
		if (r % 4 == 0) {
			const char *sc = scraps[(r >> 8) % (sizeof scraps / sizeof scraps[0])];
			fputs(sc, f);
			put += strlen(sc);
		} else {
			size_t k = 1 + (size_t)((r >> 16) % 200);
			for (size_t i = 0; i < k; i++) {
				uint64_t b = next_rand(&s);
				fputc((int)(b & 0xff), f);
			}
			put += k;
		}
	}
	return 0;
}

static int deepmime(FILE *f, unsigned long depth)
{
	bounce_header(f, "deepmime", NULL);
	fputs("--B\nContent-Type: multipart/mixed; boundary=\"d0\"\n\n", f);
	for (unsigned long i = 0; i < depth; i++)
		fprintf(f, "--d%lu\nContent-Type: multipart/mixed; boundary=\"d%lu\"\n\n", i, i + 1);
	fprintf(f, "--d%lu\nContent-Type: text/plain\n\ndeep\n", depth);
	for (unsigned long i = depth + 1; i-- > 0;)
		fprintf(f, "--d%lu--\n", i);
	fputs("--B\n"
	      "Content-Type: message/delivery-status\n"
	      "\n"
	      "Reporting-MTA: dns; mx.example.net\n"
	      "\n"
	      "Final-Recipient: rfc822; user@example.com\n"
	      "Action: failed\n"
	      "Status: 5.1.1\n"
	      "\n"
	      "--B--\n",
	      f);
	return 0;
}

static int recipients(FILE *f, unsigned long n)
{
	bounce_header(f, "recipients", NULL);
	fputs("--B\nContent-Type: text/plain\n\nDelivery failed for many recipients.\n\n"
	      "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n",
	      f);
	for (unsigned long i = 0; i < n; i++)
		fprintf(f,
			"\nFinal-Recipient: rfc822; user%lu@example.com\nAction: failed\nStatus: 5.1.1\n"
			"Diagnostic-Code: smtp; 550 5.1.1 User unknown\n",
			i);
	fputs("\n--B--\n", f);
	return 0;
}

/* A Sendmail text bounce listing n recipients, each with a reply and no
 * host, then n session transcripts with other hosts: the recipients'
 * hosts are looked for in the transcripts, which must not cost the
 * recipients times the report. */
static int transcript(FILE *f, unsigned long n)
{
	fputs("From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\n"
	      "To: sender@example.org\n"
	      "Subject: Returned mail: see transcript for details\n"
	      "Date: Thu, 26 Nov 2026 10:00:00 +0000\n"
	      "\n"
	      "   ----- The following addresses had permanent fatal errors -----\n",
	      f);
	for (unsigned long i = 0; i < n; i++)
		fprintf(f, "<user%lu@dest%lu.example.org>\n    (reason: 550 5.1.1 User unknown %lu)\n", i, i % 97, i);
	fputs("\n   ----- Transcript of session follows -----\n", f);
	for (unsigned long i = 0; i < n; i++)
		fprintf(f, "... while talking to mx%lu.example.org.:\n>>> DATA\n<<< 554 5.7.1 refused %lu\n", i, i);
	fputs("\n   ----- Original message follows -----\nFrom: sender@example.org\nSubject: hi\n\nhi\n", f);
	return 0;
}

/* A bounce whose parts are given whole. */
static void custom(FILE *f, const char *id, const char *extra, const char *parts)
{
	fputs(from_line, f);
	bounce_header(f, id, extra);
	fputs(parts, f);
	fputs("\n", f);
}

static int broken(FILE *f)
{
	/* base64 with characters outside the alphabet, bad padding, a cut quantum. */
	custom(f, "b64", NULL,
	       "--B\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
	       "VGhlIG1h!!!aWwgc3lz\x01\xfftZW06IDx1c2VyQGV4YW1wbGUuY29tPjogNTUwIDUuMS4xIFVzZXIgdW5rbm93bgo=====\nQUJD\nQ\n"
	       "--B\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
	       "UmVwb3J0aW5nLU1UQTogZG5zOyBteC5leGFtcGxlLm5ldAoKRmluYWwtUmVjaXBpZW50OiByZmM4\n"
	       "MjI7IHVzZXJAZXhhbXBsZS5jb20KQWN0aW9uOiBmYWlsZWQKU3RhdHVzOiA1LjEuMQo*#*\nQUJ\n"
	       "--B--\n");
	/* quoted-printable with invalid escapes and a soft break at the end. */
	custom(f, "qp", NULL,
	       "--B\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
	       "The mail system =ZZ =4 =\n=G1 caf=E9 <user@example.com>: 550 5.1.1 =\n"
	       "--B\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: quoted-printable\n\n"
	       "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; user@example.com\n"
	       "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 =FF=FE=00 bad=\n"
	       "--B--\n");
	/* Declared UTF-8 that is not; an unknown charset; UTF-16 of odd length;
	 * ISO-2022-JP with broken escapes; encoded words that do not decode. */
	custom(f, "charsets", "X-Note: =?utf-8?B?####?= =?x-unknown?Q?=E9?= =?utf-8?Q?=FF=FE?=\n",
	       "--B\nContent-Type: text/plain; charset=utf-8\n\n"
	       "Delivery to <user@example.com> failed: \xff\xfe\xc3\x28 \xe2\x82 \xf0\x90\x80 \xed\xa0\x80\n"
	       "--B\nContent-Type: text/plain; charset=x-no-such-charset\n\n\xe9t\xe9 \x80\x81\n"
	       "--B\nContent-Type: text/plain; charset=utf-16\n\n\xff\xfe\x41\x00\x42\n"
	       "--B\nContent-Type: text/plain; charset=iso-2022-jp\n\n\x1b$B$3$s\x1b(J\x1b$@\x1b\x1b(B\n"
	       "--B\nContent-Type: message/delivery-status\n\n"
	       "Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; user@example.com\n"
	       "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 \xff\xfe r\xe9jet\xe9\n"
	       "--B--\n");
	/* A charset parameter of 4000 bytes. */
	fputs(from_line, f);
	bounce_header(f, "longcharset", NULL);
	fputs("--B\nContent-Type: text/plain; charset=\"", f);
	put_repeated(f, 'x', 4000);
	fputs("\"\n\ntext\n", f);
	bounce_body(f, "user@example.com");
	fputs("\n", f);
	return 0;
}

static int absurd(FILE *f)
{
	static const char *const statuses[] = {
		"9.999.99999", "5.1", "5", "55555.1.1", "4.x.y", "5.1.1.1.1", "-1.-1.-1", "", "5.1.1 extra text",
		"99999999999999999999.1.1",
	};
	for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		char id[32], parts[1024];
		snprintf(id, sizeof id, "status%zu", i);
		snprintf(parts, sizeof parts,
			 "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
			 "Final-Recipient: rfc822; user@example.com\nAction: failed\nStatus: %s\n"
			 "Diagnostic-Code: smtp; 99999 %s absurd\n--B--\n",
			 statuses[i], statuses[i]);
		custom(f, id, NULL, parts);
	}
	static const char *const addresses[] = {
		"<<<@@@>>>", "@", "user@", "@example.com", "user@@example.com", "\"quoted\\\"\"@example.com",
		"user@[999.999.999.999]", "user@-bad-.example", "user\x01\x7f@example.com", "rfc822;", "",
		"user@example.com, other@example.com", "=?utf-8?B?dXNlcg==?=@example.com", "\xff\xfe@\xc3\x28.example",
	};
	for (size_t i = 0; i < sizeof addresses / sizeof addresses[0]; i++) {
		char id[32], parts[1024];
		snprintf(id, sizeof id, "address%zu", i);
		snprintf(parts, sizeof parts,
			 "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
			 "Final-Recipient: rfc822; %s\nAction: failed\nStatus: 5.1.1\n--B--\n",
			 addresses[i]);
		custom(f, id, NULL, parts);
	}
	/* A 10,000-byte local part and a 10,000-byte domain. */
	fputs(from_line, f);
	bounce_header(f, "longaddress", NULL);
	fputs("--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
	      "Final-Recipient: rfc822; ",
	      f);
	put_repeated(f, 'u', 10000);
	fputs("@example.com\nAction: failed\nStatus: 5.1.1\n\nFinal-Recipient: rfc822; user@", f);
	put_repeated(f, 'd', 10000);
	fputs(".example\nAction: failed\nStatus: 5.1.1\n--B--\n\n", f);
	/* NUL bytes inside fields. */
	fputs(from_line, f);
	bounce_header(f, "nul", NULL);
	static const char nul_part[] = "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\0.example.net\n\n"
				       "Final-Recipient: rfc822; us\0er@example.com\nAction: fai\0led\nStatus: 5.\0001.1\n"
				       "Diagnostic-Code: smtp; 550\0 user unknown\n--B--\n\n";
	fwrite(nul_part, 1, sizeof nul_part - 1, f);
	return 0;
}

static int mixedeol(FILE *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return 1;
	bounce(m, "mixedeol", "user@example.com");
	fclose(m);
	static const char *const eols[] = {"\n", "\r\n", "\r"};
	unsigned line = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			fputs(eols[line++ % 3], f);
		else
			fputc(buf[i], f);
	}
	free(buf);
	return 0;
}

static int fail(struct archive *a, const char *what)
{
	fprintf(stderr, "mkhostile: %s: %s\n", what, a ? archive_error_string(a) : "error");
	return 1;
}

/* Adds an entry; data may be NULL for what has no data. */
static int add_entry(struct archive *a, const char *path, int type, const char *link, const char *data,
		     size_t len)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, (unsigned)type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_mtime(e, 1764151200, 0);
	if (type == AE_IFLNK)
		archive_entry_set_symlink(e, link);
	else if (link)
		archive_entry_set_hardlink(e, link);
	archive_entry_set_size(e, type == AE_IFREG && !link ? (la_int64_t)len : 0);
	int rc = archive_write_header(a, e);
	archive_entry_free(e);
	if (rc != ARCHIVE_OK)
		return fail(a, path);
	if (data && len && archive_write_data(a, data, len) < 0)
		return fail(a, path);
	return 0;
}

static char *bounce_text(const char *id, const char *rcpt, size_t *len)
{
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	if (!m)
		return NULL;
	bounce(m, id, rcpt);
	fclose(m);
	return buf;
}

static int zipbomb(const char *out, unsigned long long bytes)
{
	struct archive *a = archive_write_new();
	if (archive_write_set_format_zip(a) != ARCHIVE_OK || archive_write_set_options(a, "zip:compression=deflate") != ARCHIVE_OK ||
	    archive_write_open_filename(a, out) != ARCHIVE_OK)
		return fail(a, out);
	size_t blen;
	char *b = bounce_text("zipbomb", "user@example.com", &blen);
	if (!b)
		return 1;
	unsigned long long total = strlen(from_line) + bytes + 1 + strlen(from_line) + blen;
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "bomb.mbox");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)total);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return fail(a, "bomb.mbox");
	archive_entry_free(e);
	static char zeros[1 << 16];
	archive_write_data(a, from_line, strlen(from_line));
	for (unsigned long long left = bytes; left;) {
		size_t k = left < sizeof zeros ? (size_t)left : sizeof zeros;
		if (archive_write_data(a, zeros, k) < 0)
			return fail(a, "bomb.mbox");
		left -= k;
	}
	archive_write_data(a, "\n", 1);
	archive_write_data(a, from_line, strlen(from_line));
	archive_write_data(a, b, blen);
	free(b);
	size_t b2len;
	char *b2 = bounce_text("after", "after@example.com", &b2len);
	if (!b2 || add_entry(a, "after.eml", AE_IFREG, NULL, b2, b2len))
		return 1;
	free(b2);
	if (archive_write_close(a) != ARCHIVE_OK)
		return fail(a, out);
	archive_write_free(a);
	return 0;
}

/* A raw (one-stream) archive compressed with filter, at its fastest level. */
static struct archive *compressed(const char *filter, const char *out)
{
	struct archive *a = archive_write_new();
	int rc = archive_write_set_format_raw(a);
	if (rc == ARCHIVE_OK && !strcmp(filter, "gzip"))
		rc = archive_write_add_filter_gzip(a) || archive_write_set_filter_option(a, NULL, "compression-level", "1");
	else if (rc == ARCHIVE_OK && !strcmp(filter, "xz"))
		rc = archive_write_add_filter_xz(a) || archive_write_set_filter_option(a, NULL, "compression-level", "0");
	else if (rc == ARCHIVE_OK && !strcmp(filter, "zstd"))
		rc = archive_write_add_filter_zstd(a) || archive_write_set_filter_option(a, NULL, "compression-level", "1");
	else if (rc == ARCHIVE_OK)
		rc = ARCHIVE_FATAL;
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	if (rc != ARCHIVE_OK || archive_write_open_filename(a, out) != ARCHIVE_OK ||
	    archive_write_header(a, e) != ARCHIVE_OK) {
		fail(a, out);
		archive_entry_free(e);
		return NULL;
	}
	archive_entry_free(e);
	return a;
}

static int zeros(const char *filter, const char *out, unsigned long long bytes, int empty)
{
	struct archive *a = compressed(filter, out);
	if (!a)
		return 1;
	if (!empty) {
		static char z[1 << 16];
		archive_write_data(a, from_line, strlen(from_line));
		for (unsigned long long left = bytes; left;) {
			size_t k = left < sizeof z ? (size_t)left : sizeof z;
			if (archive_write_data(a, z, k) < 0)
				return fail(a, out);
			left -= k;
		}
		size_t blen;
		char *b = bounce_text("zeros", "user@example.com", &blen);
		if (!b)
			return 1;
		archive_write_data(a, "\n", 1);
		archive_write_data(a, from_line, strlen(from_line));
		archive_write_data(a, b, blen);
		free(b);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		return fail(a, out);
	archive_write_free(a);
	return 0;
}

static int eviltar(const char *out)
{
	struct archive *a = archive_write_new();
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK || archive_write_open_filename(a, out) != ARCHIVE_OK)
		return fail(a, out);
	static const char *const names[] = {"../../x.eml", "/abs.eml", "a/../../../y.eml"};
	for (size_t i = 0; i < 3; i++) {
		char rcpt[64];
		snprintf(rcpt, sizeof rcpt, "evil%zu@example.com", i);
		size_t len;
		char *b = bounce_text("eviltar", rcpt, &len);
		if (!b || add_entry(a, names[i], AE_IFREG, NULL, b, len))
			return 1;
		free(b);
	}
	if (add_entry(a, "link.eml", AE_IFLNK, "/etc/passwd", NULL, 0) ||
	    add_entry(a, "hard.eml", AE_IFREG, "../../x.eml", NULL, 0) || add_entry(a, "../dir", AE_IFDIR, NULL, NULL, 0))
		return 1;
	if (archive_write_close(a) != ARCHIVE_OK)
		return fail(a, out);
	archive_write_free(a);
	return 0;
}

static unsigned long long number(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end) {
		fprintf(stderr, "mkhostile: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: mkhostile KIND OUT [ARG]...\n");
		return 2;
	}
	const char *kind = argv[1], *out = argv[2];
	if (!strcmp(kind, "zipbomb") && argc == 4)
		return zipbomb(out, number(argv[3]));
	if (!strcmp(kind, "eviltar"))
		return eviltar(out);
	if (!strcmp(kind, "zeros") && argc == 5)
		return zeros(argv[2], argv[3], number(argv[4]), 0);
	if (!strcmp(kind, "empty") && argc == 4)
		return zeros(argv[2], argv[3], 0, 1);
	FILE *f = fopen(out, "wb");
	if (!f) {
		perror(out);
		return 1;
	}
	int rc = 2;
	if (!strcmp(kind, "longheader") && argc == 4)
		rc = longheader(f, number(argv[3]));
	else if (!strcmp(kind, "random") && argc == 5)
		rc = random_bytes(f, number(argv[3]), number(argv[4]));
	else if (!strcmp(kind, "randommbox") && argc == 5)
		rc = random_mbox(f, number(argv[3]), number(argv[4]));
	else if (!strcmp(kind, "deepmime") && argc == 4)
		rc = deepmime(f, (unsigned long)number(argv[3]));
	else if (!strcmp(kind, "recipients") && argc == 4)
		rc = recipients(f, (unsigned long)number(argv[3]));
	else if (!strcmp(kind, "transcript") && argc == 4)
		rc = transcript(f, (unsigned long)number(argv[3]));
	else if (!strcmp(kind, "broken"))
		rc = broken(f);
	else if (!strcmp(kind, "absurd"))
		rc = absurd(f);
	else if (!strcmp(kind, "mixedeol"))
		rc = mixedeol(f);
	else if (!strcmp(kind, "bounce") && argc <= 4) {
		fputs(from_line, f);
		bounce(f, "ordinary", argc == 4 ? argv[3] : "user@example.com");
		rc = 0;
	}
	else
		fprintf(stderr, "mkhostile: unknown kind or arguments: %s\n", kind);
	if (fclose(f) != 0) {
		perror(out);
		return 1;
	}
	return rc;
}
