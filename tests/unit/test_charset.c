/* test_charset.c: core/charset.h and rfc2047.h on the charsets mail uses:
 * Japanese (ISO-2022-JP, Shift_JIS, EUC-JP, and the mislabelled kind),
 * ISO-8859-*, Windows-125*, KOI8-R, GB2312/GBK, Big5, UTF-16; unknown
 * charsets and invalid bytes replaced, never fatal. */
#include "helpers.h"

#include "charset.h"
#include "rfc2047.h"

static const struct {
	const char *charset;
	const char *in;
	size_t n;
	const char *utf8;
} cases[] = {
	{"iso-2022-jp", "\x1b\x24\x42\x25\x61\x21\x3c\x25\x6b\x47\x5b\x3f\x2e\x25\x28\x25\x69\x21\x3c\x1b\x28\x42", 22, "\xe3\x83\xa1\xe3\x83\xbc\xe3\x83\xab\xe9\x85\x8d\xe4\xbf\xa1\xe3\x82\xa8\xe3\x83\xa9\xe3\x83\xbc"},  /* メール配信エラー */
	{"shift_jis", "\x88\xb6\x90\xe6\x95\x73\x96\xbe\x82\xc5\x82\xb7", 12, "\xe5\xae\x9b\xe5\x85\x88\xe4\xb8\x8d\xe6\x98\x8e\xe3\x81\xa7\xe3\x81\x99"},  /* 宛先不明です */
	{"euc-jp", "\xa5\xe1\xa1\xbc\xa5\xeb\xa5\xdc\xa5\xc3\xa5\xaf\xa5\xb9\xcd\xc6\xce\xcc", 18, "\xe3\x83\xa1\xe3\x83\xbc\xe3\x83\xab\xe3\x83\x9c\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9\xe5\xae\xb9\xe9\x87\x8f"},  /* メールボックス容量 */
	{"iso-8859-1", "\x44\xe9\x6a\xe0\x20\x72\x65\xe7\x75", 9, "\x44\xc3\xa9\x6a\xc3\xa0\x20\x72\x65\xc3\xa7\x75"},  /* Déjà reçu */
	{"iso-8859-2", "\x5a\x61\xbf\xf3\xb3\xe6", 6, "\x5a\x61\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87"},  /* Zażółć */
	{"iso-8859-15", "\x50\x72\x69\x78\x3a\x20\x31\x30\xa4", 9, "\x50\x72\x69\x78\x3a\x20\x31\x30\xe2\x82\xac"},  /* Prix: 10€ */
	{"windows-1251", "\xcd\xe5\xe4\xee\xf1\xf2\xe0\xe2\xeb\xe5\xed\xee", 12, "\xd0\x9d\xd0\xb5\xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xbe"},  /* Недоставлено */
	{"windows-1252", "\x93\x51\x75\x6f\x74\x65\x64\x94\x20\x97\x20\x64\x61\x73\x68", 15, "\xe2\x80\x9c\x51\x75\x6f\x74\x65\x64\xe2\x80\x9d\x20\xe2\x80\x94\x20\x64\x61\x73\x68"},  /* “Quoted” — dash */
	{"koi8-r", "\xf0\xcf\xde\xd4\xc1", 5, "\xd0\x9f\xd0\xbe\xd1\x87\xd1\x82\xd0\xb0"},  /* Почта */
	{"gb2312", "\xcd\xcb\xd0\xc5\xcd\xa8\xd6\xaa", 8, "\xe9\x80\x80\xe4\xbf\xa1\xe9\x80\x9a\xe7\x9f\xa5"},  /* 退信通知 */
	{"gbk", "\xd3\xca\xbc\xfe\xce\xde\xb7\xa8\xcd\xb6\xb5\xdd", 12, "\xe9\x82\xae\xe4\xbb\xb6\xe6\x97\xa0\xe6\xb3\x95\xe6\x8a\x95\xe9\x80\x92"},  /* 邮件无法投递 */
	{"big5", "\xb6\x6c\xa5\xf3\xb0\x68\xa6\x5e", 8, "\xe9\x83\xb5\xe4\xbb\xb6\xe9\x80\x80\xe5\x9b\x9e"},  /* 郵件退回 */
	{"utf-16", "\xff\xfe\x42\x00\x6f\x00\x75\x00\x6e\x00\x63\x00\x65\x00\x20\x00\x13\x27", 18, "\x42\x6f\x75\x6e\x63\x65\x20\xe2\x9c\x93"},  /* Bounce ✓ */
	/* Names as mail spells them. */
	{"Shift-JIS", "\x88\xb6\x90\xe6", 4, "\xe5\xae\x9b\xe5\x85\x88"},
	{"X-SJIS", "\x88\xb6\x90\xe6", 4, "\xe5\xae\x9b\xe5\x85\x88"},
	{"ISO-2022-JP", "\x1b\x24\x42\x25\x61\x1b\x28\x42", 8, "\xe3\x83\xa1"},
};

static char *convert(dx_charset_ctx *cs, dx_arena *a, const char *charset, const char *in, size_t n)
{
	char *out;
	size_t outn;
	assert_int_equal(dx_to_utf8(cs, a, charset, in, n, &out, &outn), 0);
	assert_int_equal(strlen(out), outn);
	assert_int_equal(dx_utf8_valid_prefix(out, outn), outn);
	return out;
}

static void test_charsets(void **state)
{
	(void)state;
	dx_charset_ctx *cs = dx_charset_new();
	dx_arena a;
	dx_arena_init(&a, 0);
	for (size_t i = 0; i < NELEM(cases); i++) {
		const char *got = convert(cs, &a, cases[i].charset, cases[i].in, cases[i].n);
		if (strcmp(got, cases[i].utf8) != 0)
			fail_msg("%s: got '%s', expected '%s'", cases[i].charset, got, cases[i].utf8);
	}
	dx_arena_free(&a);
	dx_charset_free(cs);
}

/* Japanese labelled with the wrong one of its encodings reads right. */
static void test_japanese_mislabelled(void **state)
{
	(void)state;
	dx_charset_ctx *cs = dx_charset_new();
	dx_arena a;
	dx_arena_init(&a, 0);
	/* EUC-JP bytes declared ISO-2022-JP (7-bit), and Shift_JIS declared EUC-JP. */
	assert_string_equal(convert(cs, &a, "iso-2022-jp", cases[2].in, cases[2].n), cases[2].utf8);
	assert_string_equal(convert(cs, &a, "euc-jp", cases[1].in, cases[1].n), cases[1].utf8);
	dx_arena_free(&a);
	dx_charset_free(cs);
}

static void test_unknown_and_invalid(void **state)
{
	(void)state;
	dx_charset_ctx *cs = dx_charset_new();
	dx_arena a;
	dx_arena_init(&a, 0);
	/* An unknown charset: valid UTF-8 kept, else read as Latin-1. */
	assert_string_equal(convert(cs, &a, "x-no-such-charset", "caf\xc3\xa9", 5), "caf\xc3\xa9");
	assert_string_equal(convert(cs, &a, "x-no-such-charset", "caf\xe9", 4), "caf\xc3\xa9");
	/* Bytes invalid in their charset become U+FFFD, the rest is kept. */
	assert_string_equal(convert(cs, &a, "utf-8", "a\xff" "b", 3), "a\xef\xbf\xbd" "b");
	assert_string_equal(convert(cs, &a, "shift_jis", "A\x82", 2), "A\xef\xbf\xbd");
	/* Control characters other than tab and newline are replaced too. */
	assert_string_equal(convert(cs, &a, "us-ascii", "a\x01\tb\n", 5), "a\xef\xbf\xbd\tb\n");
	/* Line ends that only appear after conversion (UTF-16) become LF. */
	assert_string_equal(convert(cs, &a, "utf-16le", "a\0\r\0\n\0b\0\r\0c\0", 12), "a\nb\nc");
	dx_arena_free(&a);
	dx_charset_free(cs);
}

static void test_encoded_words(void **state)
{
	(void)state;
	dx_charset_ctx *cs = dx_charset_new();
	dx_arena a;
	dx_arena_init(&a, 0);
	/* ISO-2022-JP in B encoding, KOI8-R in Q, Big5 in B, adjacent words joined. */
	assert_string_equal(dx_rfc2047_decode(&a, cs, "=?ISO-2022-JP?B?GyRCJWEhPCVrGyhC?=", strlen("=?ISO-2022-JP?B?GyRCJWEhPCVrGyhC?=")),
			    "\xe3\x83\xa1\xe3\x83\xbc\xe3\x83\xab");
	assert_string_equal(dx_rfc2047_decode(&a, cs, "=?koi8-r?Q?=F0=CF=DE=D4=C1?=", strlen("=?koi8-r?Q?=F0=CF=DE=D4=C1?=")), "\xd0\x9f\xd0\xbe\xd1\x87\xd1\x82\xd0\xb0");
	const char *two = "=?utf-8?Q?Bounce?= =?utf-8?Q?_report?=";
	assert_string_equal(dx_rfc2047_decode(&a, cs, two, strlen(two)), "Bounce report");
	dx_arena_free(&a);
	dx_charset_free(cs);
}

/* A reference of dx_utf8_clean, byte by byte, as documented: valid UTF-8
 * kept, control characters but tab and newline and invalid bytes replaced
 * with U+FFFD. The library's version copies ASCII runs 16 bytes at a time;
 * they must agree on random input rich in the bytes that matter. */
static size_t ref_clean(const unsigned char *p, size_t n, char *o)
{
	size_t k = 0, i = 0;
	while (i < n) {
		unsigned char c = p[i];
		size_t len = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3
						: (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
		if (len && i + len <= n && dx_utf8_valid_prefix((const char *)p + i, len) == len) {
			if (len == 1 && ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)) {
				memcpy(o + k, "\xef\xbf\xbd", 3);
				k += 3;
			} else {
				memcpy(o + k, p + i, len);
				k += len;
			}
			i += len;
		} else {
			memcpy(o + k, "\xef\xbf\xbd", 3);
			k += 3;
			i++;
		}
	}
	o[k] = '\0';
	return k;
}

static void test_clean_differential(void **state)
{
	(void)state;
	static const unsigned char bytes[] = {'a', 'b', ' ', '\t', '\n', '\r', 0x01, 0x7f, 0x80, 0xbf, 0xc3,
					      0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0xed, 0xa0};
	uint64_t x = 88172645463325252ull;
	dx_arena a;
	dx_arena_init(&a, 0);
	unsigned char in[100];
	char want[400];
	for (int iter = 0; iter < 20000; iter++) {
		size_t n = 0, len;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		len = x % sizeof in;
		for (size_t i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			/* Long ASCII stretches, so that the 16-byte path runs. */
			in[n++] = (x >> 8) % 4 ? (unsigned char)('a' + x % 26) : bytes[(x >> 16) % sizeof bytes];
		}
		ref_clean(in, n, want);
		char *got = dx_utf8_clean(&a, (const char *)in, n);
		assert_non_null(got);
		assert_string_equal(got, want);
		/* And the valid prefix: what clean keeps as is up to the first
		 * replacement of an invalid byte. */
		size_t vp = dx_utf8_valid_prefix((const char *)in, n);
		size_t j = 0;
		while (j < n) {
			unsigned char c = in[j];
			size_t l2 = c < 0x80 ? 1 : (c >= 0xc2 && c <= 0xdf) ? 2 : (c >= 0xe0 && c <= 0xef) ? 3
						: (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
			if (!l2 || j + l2 > n)
				break;
			int good = 1;
			for (size_t q = 1; q < l2; q++)
				good &= (in[j + q] & 0xc0) == 0x80;
			if (good && l2 == 3) {
				unsigned cp = ((unsigned)(c & 0x0f) << 12) | ((unsigned)(in[j + 1] & 0x3f) << 6);
				good = cp >= 0x800 && !(cp >= 0xd800 && cp <= 0xdfff);
			}
			if (good && l2 == 4) {
				unsigned cp = ((unsigned)(c & 0x07) << 18) | ((unsigned)(in[j + 1] & 0x3f) << 12);
				good = cp >= 0x10000 && cp <= 0x10ffff;
			}
			if (!good)
				break;
			j += l2;
		}
		assert_int_equal(vp, j);
	}
	dx_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_japanese_mislabelled),
		cmocka_unit_test(test_unknown_and_invalid),
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_clean_differential),
	};
	return cmocka_run_group_tests_name("test_charset", tests, NULL, NULL);
}
