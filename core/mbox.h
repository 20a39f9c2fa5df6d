/* mbox.h: message boundaries in mbox files (mboxo, mboxrd; LF or CRLF).
 *
 * A message starts at a From_ line: "From " at the start of a line,
 * followed by the envelope sender and a date ("From MAILER-DAEMON Thu Sep
 * 18 17:54:04 2008", "From - Mon Jan  1 00:00:00 2024"). Requiring the date
 * keeps an unescaped "From here on..." in an mboxo body from splitting a
 * message. Escaped body lines (">From ") are undone by normalise.c. Lines
 * may end in LF, CRLF or a bare CR.
 *
 * Nothing here fails: without boundaries the answer is "none" (n).
 */
#ifndef DX_MBOX_H
#define DX_MBOX_H

#include <stddef.h>

#include "scan.h"

/* Longest From_ line considered; longer lines are not From_ lines. */
enum { DX_MBOX_MAX_FROM_LINE = 1024 };

/* Whether p[0..n) starts with a valid From_ line: 1 yes, 0 no, -1 cannot
 * tell yet (the line is not complete within n bytes). */
int dx_mbox_from_line(const char *p, size_t n);

/* Offset of the first valid From_ line starting at or after pos, or n. A
 * line whose validity cannot be told within n bytes counts as none. */
size_t dx_mbox_next(const dx_scan_kernel *k, const char *p, size_t n, size_t pos);

/* Offset of the last valid, complete From_ line starting after `after`, or
 * 0 when there is none. */
size_t dx_mbox_last(const char *p, size_t n, size_t after);

/* Whether the data, after any leading blank lines, starts with a From_
 * line; *skip gets the length of the blank lines. */
int dx_mbox_detect(const char *p, size_t n, size_t *skip);

#endif
