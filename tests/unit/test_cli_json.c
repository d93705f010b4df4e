/*
 * Unit tests of the command's JSON strings (src/cli/json.c): a table of
 * {name, input, mode, want} for cli_json_strn(), whose three treatments of
 * the bytes from 0x80 up every --json output of `vouch` goes through.
 * The well-formed UTF-8 is that of RFC 3629 §4; the escapes those of
 * RFC 8259 §7.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/cli/json.h"
#include "tap.h"

#define L CLI_JSON_8BIT_LATIN1
#define U CLI_JSON_8BIT_UTF8
#define F CLI_JSON_8BIT_UTF8_FFFD

static const struct {
	const char *name;
	const char *in;
	size_t len; /* 0: strlen(in) */
	enum cli_json_8bit mode;
	const char *want; /* without the quotes around it */
} rows[] = {
    {"ASCII copied", "mx.example.org", 0, U, "mx.example.org"},
    {"quote and backslash escaped", "a\"b\\c", 0, U, "a\\\"b\\\\c"},
    {"controls and DEL as \\u00XX", "\x01\t\n\x1f\x7f", 0, U,
        "\\u0001\\u0009\\u000a\\u001f\\u007f"},
    {"NUL inside as \\u0000", "a\0b", 3, F, "a\\u0000b"},
    {"empty", "", 0, U, ""},
    /* Latin-1: every byte from 0x80 as the character of that value */
    {"latin1: UTF-8 escaped byte by byte", "caf\xc3\xa9", 0, L,
        "caf\\u00c3\\u00a9"},
    {"latin1: 0xff", "\xff", 0, L, "\\u00ff"},
    /* UTF-8: well-formed sequences copied, every other byte \u00XX */
    {"utf8: two bytes copied", "caf\xc3\xa9", 0, U, "caf\xc3\xa9"},
    {"utf8: lowest two-byte (U+0080, a C1 control)", "\xc2\x80", 0, U,
        "\xc2\x80"},
    {"utf8: three bytes copied", "\xe2\x82\xac", 0, U, "\xe2\x82\xac"},
    {"utf8: lowest three-byte (U+0800)", "\xe0\xa0\x80", 0, U, "\xe0\xa0\x80"},
    {"utf8: last before the surrogates (U+D7FF)", "\xed\x9f\xbf", 0, U,
        "\xed\x9f\xbf"},
    {"utf8: first after them (U+E000)", "\xee\x80\x80", 0, U, "\xee\x80\x80"},
    {"utf8: four bytes copied", "\xf0\x9f\x98\x80", 0, U, "\xf0\x9f\x98\x80"},
    {"utf8: lowest four-byte (U+10000)", "\xf0\x90\x80\x80", 0, U,
        "\xf0\x90\x80\x80"},
    {"utf8: U+10FFFF copied", "\xf4\x8f\xbf\xbf", 0, U, "\xf4\x8f\xbf\xbf"},
    {"utf8: overlong two-byte (C0 AF)", "\xc0\xaf", 0, U, "\\u00c0\\u00af"},
    {"utf8: overlong two-byte (C1 BF)", "\xc1\xbf", 0, U, "\\u00c1\\u00bf"},
    {"utf8: overlong three-byte (E0 9F BF)", "\xe0\x9f\xbf", 0, U,
        "\\u00e0\\u009f\\u00bf"},
    {"utf8: overlong four-byte (F0 8F BF BF)", "\xf0\x8f\xbf\xbf", 0, U,
        "\\u00f0\\u008f\\u00bf\\u00bf"},
    {"utf8: a surrogate (ED A0 80)", "\xed\xa0\x80", 0, U,
        "\\u00ed\\u00a0\\u0080"},
    {"utf8: past U+10FFFF (F4 90 80 80)", "\xf4\x90\x80\x80", 0, U,
        "\\u00f4\\u0090\\u0080\\u0080"},
    {"utf8: F5 never starts a sequence", "\xf5\x80\x80\x80", 0, U,
        "\\u00f5\\u0080\\u0080\\u0080"},
    {"utf8: a stray continuation byte", "a\x80z", 0, U, "a\\u0080z"},
    {"utf8: a lead byte then ASCII", "\xc3z", 0, U, "\\u00c3z"},
    {"utf8: a sequence cut by the length", "ab\xe2\x82\xac", 4, U,
        "ab\\u00e2\\u0082"},
    {"utf8: a sequence cut by a NUL", "\xe2\0\xac", 3, U,
        "\\u00e2\\u0000\\u00ac"},
    {"utf8: a four-byte lead cut after three", "\xf0\x9f\x98", 0, U,
        "\\u00f0\\u009f\\u0098"},
    /* UTF-8, else U+FFFD: one \ufffd per byte not in a sequence */
    {"fffd: valid UTF-8 copied", "\xe2\x82\xac\xc3\xa9", 0, F,
        "\xe2\x82\xac\xc3\xa9"},
    {"fffd: 0xff", "a\xff", 0, F, "a\\ufffd"},
    {"fffd: an overlong form, each byte", "\xc0\xaf", 0, F, "\\ufffd\\ufffd"},
    {"fffd: a surrogate, each byte", "\xed\xb0\x80", 0, F,
        "\\ufffd\\ufffd\\ufffd"},
    {"fffd: a sequence cut by the end", "\xf0\x9f\x98", 0, F,
        "\\ufffd\\ufffd\\ufffd"},
};

/* s with bytes outside printable ASCII as \xNN, for a TAP line. */
static const char *
shown(const char *s, size_t len, char *buf, size_t cap)
{
	size_t n = 0, i;

	for (i = 0; i < len && n + 5 < cap; i++)
		if ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f)
			buf[n++] = s[i];
		else
			n += (size_t)snprintf(
			    buf + n, cap - n, "\\x%02x", (unsigned char)s[i]);
	buf[n] = '\0';
	return buf;
}

static void
test_strn(void)
{
	char g[512], w[512], *want, *out;
	size_t i, len, n, wlen;
	FILE *fp;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		out = NULL;
		n = 0;
		if ((fp = open_memstream(&out, &n)) == NULL) {
			tap_check(0, "%s: open_memstream", rows[i].name);
			continue;
		}
		len = rows[i].len ? rows[i].len : strlen(rows[i].in);
		cli_json_strn(fp, rows[i].in, len, rows[i].mode);
		fclose(fp);
		wlen = strlen(rows[i].want) + 2;
		if ((want = malloc(wlen + 1)) == NULL) {
			free(out);
			tap_check(0, "%s: malloc", rows[i].name);
			continue;
		}
		snprintf(want, wlen + 1, "\"%s\"", rows[i].want);
		tap_check(n == wlen && memcmp(out, want, n) == 0,
		    "strn: %s: got %s, want %s", rows[i].name,
		    shown(out, n, g, sizeof(g)),
		    shown(want, wlen, w, sizeof(w)));
		free(want);
		free(out);
	}
}

/* NULL with length 0, as the header allows, is the empty string. */
static void
test_null(void)
{
	char *out = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&out, &n);

	if (fp == NULL) {
		tap_check(0, "strn: NULL, 0: open_memstream");
		return;
	}
	cli_json_strn(fp, NULL, 0, CLI_JSON_8BIT_UTF8);
	fclose(fp);
	tap_check(n == 2 && memcmp(out, "\"\"", 2) == 0,
	    "strn: NULL, 0 is \"\" (got %zu bytes)", n);
	free(out);
}

int
main(void)
{
	test_strn();
	test_null();
	return tap_done();
}
