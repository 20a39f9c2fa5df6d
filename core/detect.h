/* detect.h: is this message a bounce?
 *
 * Decides from the top-level header alone, so that ordinary mail is passed
 * over before its body is parsed. The answer has three levels:
 *   DX_DETECT_NO      ordinary mail; no decoder runs.
 *   DX_DETECT_WEAK    some sign of a bounce (a bounce-like subject, a daemon
 *                     sender); decoders try, and if none reads it the
 *                     message is taken as ordinary mail.
 *   DX_DETECT_STRONG  a delivery report by its structure or by sender and
 *                     subject together; if no decoder reads it, it is counted
 *                     and reported as undecoded, never dropped silently.
 */
#ifndef DX_DETECT_H
#define DX_DETECT_H

#include "normalise.h"
#include "rfc5322.h"

enum { DX_DETECT_NO = 0, DX_DETECT_WEAK = 1, DX_DETECT_STRONG = 2 };

/* subject and from are the header's values with encoded words decoded
 * (NULL when absent). */
int dx_detect(const dx_header *h, const dx_text *from_line, const char *subject, const char *from);

/* Whether a subject reads like a bounce ("Undeliverable: ...",
 * "Returned mail: ...", "Delivery Status Notification (Failure)"...). */
int dx_bounce_subject(const char *s, size_t n);
/* Whether a subject is a person's reply or forward ("Re:", "Fwd:", "AW:"...). */
int dx_reply_subject(const char *s, size_t n);
/* Whether the message is a person's reply or forward: a reply subject
 * ("Re:", "Fwd:"...), from neither a mail system nor a program
 * (Auto-Submitted), with a return path that is not null. */
int dx_persons_reply(const dx_header *h, const dx_text *from_line);
/* Whether an address or display name is a mail system's ("MAILER-DAEMON",
 * "postmaster", "Mail Delivery Subsystem"...). */
int dx_daemon_sender(const char *s, size_t n);
/* Whether the message came with a null or daemon envelope sender: its
 * Return-Path, or the mbox From_ line (from_line may be NULL). */
int dx_null_sender(const dx_header *h, const dx_text *from_line);
/* Signs of an automatic reply (rfc3834.c): header fields (Auto-Submitted:
 * auto-replied, X-Autoreply, X-Autorespond, Precedence: auto_reply), and a
 * decoded subject that starts like an auto-reply's ("Automatic reply:"). */
int dx_autoreply_header(const dx_header *h);
int dx_autoreply_subject(const char *s, size_t n);

#endif
