/* test_html.c: core/html.h, the text of HTML-only reports: tags, blocks,
 * script and style, entities, malformed markup. */
#include "helpers.h"

#include "html.h"

static char *text_of(dx_arena *a, const char *html)
{
	dx_text t;
	assert_int_equal(dx_html_text(a, html, strlen(html), &t), 0);
	assert_int_equal(strlen(t.p), t.n);
	return (char *)t.p;
}

static void test_blocks_and_tags(void **state)
{
	(void)state;
	dx_arena a;
	dx_arena_init(&a, 0);
	assert_string_equal(text_of(&a, "<p>Delivery failed</p><p><b>bob@example.org</b><br>550 5.1.1 unknown</p>"),
			    "Delivery failed\nbob@example.org\n550 5.1.1 unknown\n");
	assert_string_equal(text_of(&a, "<table><tr><td>a</td><td>b</td></tr></table>"), "a\nb\n");
	assert_string_equal(text_of(&a, "  <div>\n\n\n   x  \n\n\n</div>  "), "x\n");
	/* A source line end right after a break is that break, not a blank
	 * line (Exchange 5.5's NDR: "recipient<BR>\n&nbsp; reason<BR>"); a
	 * line end elsewhere stays, for HTML parts that are plain text. */
	assert_string_equal(text_of(&a, "a@example.org on Thu<BR>\n&nbsp;&nbsp; Not recognized<BR>\n"),
			    "a@example.org on Thu\nNot recognized\n");
	assert_string_equal(text_of(&a, "one\n\ntwo\nthree"), "one\n\ntwo\nthree\n");
	dx_arena_free(&a);
}

static void test_script_style_dropped(void **state)
{
	(void)state;
	dx_arena a;
	dx_arena_init(&a, 0);
	assert_string_equal(text_of(&a, "<style>p{color:red}</style>x<SCRIPT>var a = '<p>';</SCRIPT>y"), "xy\n");
	/* An unclosed style drops the rest, not more. */
	assert_string_equal(text_of(&a, "a<style>never closed"), "a\n");
	dx_arena_free(&a);
}

static void test_entities(void **state)
{
	(void)state;
	dx_arena a;
	dx_arena_init(&a, 0);
	assert_string_equal(text_of(&a, "&lt;bob@example.org&gt; &amp; &quot;x&quot;&nbsp;&apos;"),
			    "<bob@example.org> & \"x\" '\n");
	assert_string_equal(text_of(&a, "&#233;&#x263A;&#0;"), "\xc3\xa9\xe2\x98\xba\xef\xbf\xbd\n");
	/* Not entities: kept as written. */
	assert_string_equal(text_of(&a, "a & b &unknown; &#xZZ;"), "a & b &unknown; &#xZZ;\n");
	dx_arena_free(&a);
}

static void test_malformed(void **state)
{
	(void)state;
	dx_arena a;
	dx_arena_init(&a, 0);
	assert_string_equal(text_of(&a, "a < b and c"), "a < b and c\n");
	assert_string_equal(text_of(&a, ""), "");
	dx_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_and_tags),
		cmocka_unit_test(test_script_style_dropped),
		cmocka_unit_test(test_entities),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests_name("test_html", tests, NULL, NULL);
}
