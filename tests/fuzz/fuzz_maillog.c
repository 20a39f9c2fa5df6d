/* fuzz_maillog.c: mail server log lines. Each line of the input goes
 * through dx_logline_parse (every span it gives must lie inside the line)
 * and dx_decode_logline, as records and as facts, with and without
 * include_delivered: every record must have its columns set (valid UTF-8,
 * a known reason, indexes from 1, a queue key when it has an outcome key)
 * and every fact its strings; with include_delivered, each delivery's
 * fact names the same domain and hosts as its record (the decoder makes
 * a fact's texts and a record's on different paths); dx_log_detect runs
 * on the whole input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "charset.h"
#include "classify.h"
#include "dsnidx.h"
#include "maillog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void valid(const char *s)
{
	if (!s || dx_utf8_valid_prefix(s, strlen(s)) != strlen(s))
		abort();
}

/* What one line gave: its records counted, and its facts' texts. */
typedef struct line_out {
	unsigned n;
	unsigned nfacts, nchecked;
	char *texts[64][3];        /* domain, reporting_mta, remote_mta */
} line_out;

static void same_text(const char *a, const char *b)
{
	if (strcmp(a ? a : "", b ? b : "") != 0)
		abort();
}

static int check(void *arg, const dx_record *r)
{
	line_out *o = arg;
	unsigned *n = &o->n;
	if (r->index != ++*n)
		abort();
	if (strcmp(r->action, "delivered") == 0 && o->nchecked < o->nfacts) {
		char **t = o->texts[o->nchecked++];
		same_text(t[0], r->domain);
		same_text(t[1], r->reporting_mta);
		same_text(t[2], r->remote_mta);
	}
	const char *texts[] = {r->recipient, r->domain, r->action, r->status, r->reporting_mta, r->remote_mta,
			       r->diagnostic, r->sender, r->subject, r->message_id, r->decoder, r->queue_id};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		valid(texts[i]);
	if (!dx_reason_known(r->reason) || (r->hard_bounce != 0 && r->hard_bounce != 1))
		abort();
	if (r->outcome_key && !r->queue_key)
		abort();
	return 0;
}

static void fact(void *arg, const dx_logfact *f)
{
	line_out *o = arg;
	if (f->kind != DX_LOGFACT_SENT && f->kind != DX_LOGFACT_EXPIRED)
		abort();
	if (f->kind == DX_LOGFACT_SENT) {
		valid(f->domain);
		valid(f->reporting_mta);
		valid(f->remote_mta);
		valid(f->decoder);
		if (o->nfacts < 64) {
			char **t = o->texts[o->nfacts++];
			t[0] = strdup(f->domain);
			t[1] = strdup(f->reporting_mta);
			t[2] = strdup(f->remote_mta);
			if (!t[0] || !t[1] || !t[2])
				abort();
		}
	}
	if (!f->key && f->kind == DX_LOGFACT_EXPIRED)
		abort();
}

static void inside(const char *line, size_t n, dx_logspan s)
{
	if (s.n && (s.p < line || s.p + s.n > line + n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static dx_engine *e[2];
	static dx_dctx *d[2];
	if (!e[0]) {
		for (int k = 0; k < 2; k++) {
			dx_error err;
			dx_options o;
			dx_options_default(&o);
			o.include_delivered = k;
			if (dx_engine_new(&o, &e[k], &err) != DX_OK || !(d[k] = dx_dctx_new(e[k])))
				abort();
		}
	}
	char *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	(void)dx_log_detect(p, size);
	size_t at = 0;
	while (at < size) {
		const char *nl = memchr(p + at, '\n', size - at);
		size_t end = nl ? (size_t)(nl - p) : size;
		/* The line alone in a buffer of its own size, so that reading
		 * past it shows. */
		size_t n = end - at;
		char *line = malloc(n ? n : 1);
		if (!line)
			break;
		memcpy(line, p + at, n);
		dx_logline l;
		dx_logline_parse(line, n, &l);
		dx_logspan spans[] = {l.host, l.program, l.queue_id, l.rcpts, l.orig_rcpt, l.relay,
				      l.dsn, l.text, l.sender, l.message_id};
		for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
			inside(line, n, spans[i]);
		size_t pos = 0;
		dx_logspan addr;
		unsigned guard = 0;
		while (dx_logline_rcpt(&l, &pos, &addr) && guard++ < 100000)
			inside(line, n, addr);
		inside(line, n, dx_logline_relay_host(&l));
		dx_message m = {.source = "fuzz", .offset = at, .data = line, .len = n};
		for (int k = 0; k < 2; k++) {
			line_out o;
			memset(&o, 0, sizeof o);
			unsigned got = 0;
			dx_decode_logline(d[k], &m, 1800000000, check, fact, &o, &got);
			if (got != o.n && !(l.outcome == DX_LOGO_SENT && !k))
				abort();
			/* Records come after the facts: all were compared. */
			if (k && o.nchecked != (o.nfacts < got ? o.nfacts : got))
				abort();
			for (unsigned i = 0; i < o.nfacts; i++)
				for (int j = 0; j < 3; j++)
					free(o.texts[i][j]);
		}
		free(line);
		at = end + 1;
	}
	free(p);
	return 0;
}
