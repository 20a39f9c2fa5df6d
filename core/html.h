/* html.h: the text of an HTML part, for bounces that come only as HTML.
 *
 * Good enough to read a report, not to render a page: <script> and <style>
 * contents are dropped, block-level tags (<br>, <p>, <div>, <tr>, <li>,
 * <h1>...) become line breaks, other tags disappear, the common entities
 * (&lt; &gt; &amp; &quot; &apos; &nbsp; and numeric ones) are decoded.
 * Malformed markup (an unclosed tag, a stray '<') is kept as text. Fails
 * only when the arena is exhausted (-1).
 */
#ifndef DX_HTML_H
#define DX_HTML_H

#include <stddef.h>

#include "arena.h"
#include "normalise.h"

int dx_html_text(dx_arena *a, const char *p, size_t n, dx_text *out);

#endif
