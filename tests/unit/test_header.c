/*
 * Header section scanner (RFC 5322 §2.2): field splitting with folding,
 * bare-LF normalisation, the end of the section, and the limits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/header.h"
#include "vouch/limits.h"
#include "tap.h"

static const struct {
	const char *name;
	const char *in;
	enum vouch_status want_st;
	size_t want_nfield;
	const char *want_fields; /* raw fields joined with '|' */
	size_t want_consumed;
} cases[] = {
    {"two fields and a body", "A: 1\r\nB: 2\r\n\r\nbody\r\n", VOUCH_OK, 2,
        "A: 1\r\n|B: 2\r\n", 14},
    {"folded field kept byte-exact", "Subject: a\r\n\tb\r\n  c\r\nX: y\r\n\r\n",
        VOUCH_OK, 2, "Subject: a\r\n\tb\r\n  c\r\n|X: y\r\n", 29},
    {"bare LF normalised to CRLF", "A: 1\nB: 2\n folded\n\nbody\n", VOUCH_OK, 2,
        "A: 1\r\n|B: 2\r\n folded\r\n", 19},
    {"no body, no empty line", "A: 1\r\nB: 2", VOUCH_OK, 2, "A: 1\r\n|B: 2\r\n",
        10},
    {"empty header", "\r\nbody", VOUCH_OK, 0, "", 2},
    {"WSP before colon (obs-optional)", "Subject : x\r\n\r\n", VOUCH_OK, 1,
        "Subject : x\r\n", 15},
    {"continuation first is an error", " A: 1\r\n\r\n", VOUCH_ESYNTAX, 0, "",
        9},
    {"line without colon is an error", "A: 1\r\nnocolon\r\n\r\n", VOUCH_ESYNTAX,
        1, "A: 1\r\n", 17},
    {"empty name is an error", ": x\r\n\r\n", VOUCH_ESYNTAX, 0, "", 7},
    {"NUL byte in a value is kept", "A: x\0y\r\n\r\n", VOUCH_OK, 1,
        "A: x\0y\r\n", 10},
};

static void
check_case(size_t k)
{
	struct mail_header h;
	enum vouch_status st;
	char joined[512];
	size_t i, n = 0, inlen;
	const char *want = cases[k].want_fields;
	size_t wantlen = strlen(want);

	inlen = strlen(cases[k].in);
	if (strstr(cases[k].name, "NUL") != NULL) {
		inlen = 10;
		wantlen = 8;
	}
	st = mail_header_parse(&h, (const uint8_t *)cases[k].in, inlen);
	for (i = 0; i < h.nfield && n + h.field[i].len + 1 < sizeof(joined);
	     i++) {
		if (i > 0)
			joined[n++] = '|';
		memcpy(joined + n, h.field[i].raw, h.field[i].len);
		n += h.field[i].len;
	}
	if (st != cases[k].want_st)
		tap_check(0, "%s: got status %d (%s), want %d", cases[k].name,
		    st, h.error ? h.error : "", cases[k].want_st);
	else if (st == VOUCH_OK && h.nfield != cases[k].want_nfield)
		tap_check(0, "%s: got %zu fields, want %zu", cases[k].name,
		    h.nfield, cases[k].want_nfield);
	else if (st == VOUCH_OK && (n != wantlen || memcmp(joined, want, n)))
		tap_check(0, "%s: fields differ (%zu bytes, want %zu)",
		    cases[k].name, n, wantlen);
	else if (h.consumed != cases[k].want_consumed)
		tap_check(0, "%s: consumed %zu, want %zu", cases[k].name,
		    h.consumed, cases[k].want_consumed);
	else if (st != VOUCH_OK && h.error == NULL)
		tap_check(0, "%s: no reason given", cases[k].name);
	else
		tap_check(1, "%s", cases[k].name);
	mail_header_free(&h);
}

static void
check_names(void)
{
	struct mail_header h;
	const char *in = "Subject : hi\r\nfrom:a\r\n\r\n";

	if (mail_header_parse(&h, (const uint8_t *)in, strlen(in)) !=
	    VOUCH_OK) {
		tap_check(0, "names: parse failed");
		return;
	}
	tap_check(
	    h.nfield == 2 && h.field[0].namelen == 7 &&
	        mail_name_eq(h.field[0].name, h.field[0].namelen, "subject") &&
	        mail_name_eq(h.field[1].name, h.field[1].namelen, "From") &&
	        !mail_name_eq(h.field[1].name, h.field[1].namelen, "Fro") &&
	        h.field[0].valuelen == 3 &&
	        memcmp(h.field[0].value, " hi", 3) == 0,
	    "field name without WSP, compared without case; value after colon");
	mail_header_free(&h);
}

/* ASCII letters only fold: what RFC 5322 §2.2 field names compare by. */
static int
ascii_fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/*
 * mail_name_eq on every pair of bytes against the plain rule: only
 * letters fold, so '@' and '`' (0x40, 0x60: the case bit apart) or 0xc1
 * and 0xe1 stay different.  A byte equal as it is takes a shorter path
 * since perf7v; this is what keeps the two paths the same rule.
 */
static void
check_name_pairs(void)
{
	uint8_t a;
	char b[2] = {0, 0};
	int x, y, bad = 0, first_x = 0, first_y = 0;

	for (x = 0; x < 256; x++)
		for (y = 1; y < 256; y++) {
			a = (uint8_t)x;
			b[0] = (char)y;
			if (mail_name_eq(&a, 1, b) !=
			        (ascii_fold(x) == ascii_fold(y)) &&
			    bad++ == 0) {
				first_x = x;
				first_y = y;
			}
		}
	tap_check(bad == 0,
	    "mail_name_eq: every byte pair as ASCII case folding says "
	    "(%d differ, first 0x%02x/0x%02x)",
	    bad, first_x, first_y);
}

/* The limits of include/vouch/limits.h give VOUCH_ELIMIT and a reason. */
static void
check_limits(void)
{
	struct mail_header h;
	uint8_t *big;
	size_t n, i;
	enum vouch_status st;

	n = VOUCH_MAX_LINE_BYTES + 10;
	big = malloc(n + 4);
	memcpy(big, "A: ", 3);
	memset(big + 3, 'x', n - 3);
	memcpy(big + n, "\r\n\r\n", 4);
	st = mail_header_parse(&h, big, n + 4);
	tap_check(st == VOUCH_ELIMIT && h.error != NULL &&
	              strstr(h.error, "line") != NULL,
	    "line over VOUCH_MAX_LINE_BYTES: got %d (%s)", st,
	    h.error ? h.error : "");
	mail_header_free(&h);
	free(big);

	n = (VOUCH_MAX_HEADER_FIELDS + 1) * 6;
	big = malloc(n + 2);
	for (i = 0; i <= VOUCH_MAX_HEADER_FIELDS; i++)
		memcpy(big + i * 6, "A: 1\r\n", 6);
	memcpy(big + n, "\r\n", 2);
	st = mail_header_parse(&h, big, n + 2);
	tap_check(st == VOUCH_ELIMIT && h.error != NULL,
	    "VOUCH_MAX_HEADER_FIELDS + 1 fields: got %d (%s)", st,
	    h.error ? h.error : "");
	mail_header_free(&h);
	/* Exactly the limit is fine. */
	st = mail_header_parse(&h, big + 6, n - 6 + 2);
	tap_check(st == VOUCH_OK && h.nfield == VOUCH_MAX_HEADER_FIELDS,
	    "VOUCH_MAX_HEADER_FIELDS fields accepted: got %d, %zu fields", st,
	    h.nfield);
	mail_header_free(&h);
	free(big);

	n = VOUCH_MAX_HEADER_BYTES + 100;
	big = malloc(n);
	for (i = 0; i + 100 <= n; i += 100) {
		memset(big + i, 'y', 100);
		memcpy(big + i, "X-Pad: ", 7);
		memcpy(big + i + 98, "\r\n", 2);
	}
	st = mail_header_parse(&h, big, i);
	tap_check(st == VOUCH_ELIMIT && h.error != NULL &&
	              strstr(h.error, "too large") != NULL,
	    "header over VOUCH_MAX_HEADER_BYTES: got %d (%s)", st,
	    h.error ? h.error : "");
	mail_header_free(&h);
	free(big);
}

static void
check_end(void)
{
	tap_check(mail_header_end((const uint8_t *)"A: 1\n\r\nb", 8) == 7,
	    "section end: LF then CRLF");
	tap_check(mail_header_end((const uint8_t *)"A: 1\r\n\nb", 8) == 7,
	    "section end: CRLF then LF");
	tap_check(mail_header_end((const uint8_t *)"A: 1\r\n", 6) == 0,
	    "section end: none");
}

int
main(void)
{
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		check_case(k);
	check_names();
	check_name_pairs();
	check_limits();
	check_end();
	{
		struct mail_header h;
		enum vouch_status st = mail_header_parse(&h, NULL, 0);

		tap_check(st == VOUCH_OK && h.nfield == 0 && h.consumed == 0,
		    "NULL, 0 is an empty header (got %d)", st);
		mail_header_free(&h);
		tap_check(mail_header_end(NULL, 0) == 0,
		    "mail_header_end of NULL, 0 is 0");
	}
	return tap_done();
}
