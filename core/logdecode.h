/* logdecode.h: log lines to records, inside the library (the public entry
 * points, dx_decode_logline and its explain twin, are in dsnidx.h). */
#ifndef DX_LOGDECODE_H
#define DX_LOGDECODE_H

#include "dsnidx.h"
#include "maillog.h"

/* Decodes the line: records (fn) or explanations (xfn) for a delivery
 * attempt, as dx_decode_logline; *parsed (if given) gets the parsed line
 * whatever it was, for callers that use the others (senders, expiries). */
dx_outcome dx_logline_decode(dx_dctx *d, const dx_message *line, int64_t ref_time, dx_record_fn fn,
			     dx_explain_fn xfn, dx_logfact_fn factfn, void *arg, unsigned *nrecords,
			     dx_logline *parsed);

/* The key of the line's queue id on its logging host (as in
 * dx_record.queue_key); 0 when the line has no queue id. */
uint64_t dx_logline_queue_key(const dx_logline *l);

/* The line's time in UTC seconds (DX_NO_TIME when it has none), with the
 * year and zone rules of dx_decode_logline. */
int64_t dx_logline_time(dx_dctx *d, const dx_logline *l, int64_t ref_time);

#endif
