/*
 * Base64 (RFC 4648 §4 test vectors, §10) with DKIM's whitespace rule
 * (RFC 6376 §3.5 b=: whitespace is ignored).
 */
#include <stdio.h>
#include <string.h>

#include "util/base64.h"
#include "tap.h"

static const struct {
	const char *name;
	const char *in;
	enum vouch_status want_st;
	const char *want;
} decode_cases[] = {
    {"RFC 4648 §10 empty", "", VOUCH_OK, ""},
    {"RFC 4648 §10 f", "Zg==", VOUCH_OK, "f"},
    {"RFC 4648 §10 fo", "Zm8=", VOUCH_OK, "fo"},
    {"RFC 4648 §10 foo", "Zm9v", VOUCH_OK, "foo"},
    {"RFC 4648 §10 foob", "Zm9vYg==", VOUCH_OK, "foob"},
    {"RFC 4648 §10 fooba", "Zm9vYmE=", VOUCH_OK, "fooba"},
    {"RFC 4648 §10 foobar", "Zm9vYmFy", VOUCH_OK, "foobar"},
    {"RFC 6376 §3.5 whitespace ignored", " Zm9v\r\n\tYm\tFy ", VOUCH_OK,
        "foobar"},
    {"padding omitted", "Zm9vYg", VOUCH_OK, "foob"},
    {"whitespace inside padding", "Zg= =", VOUCH_OK, "f"},
    {"byte outside alphabet", "Zm9v!", VOUCH_ESYNTAX, ""},
    {"data after padding", "Zg==Zg==", VOUCH_ESYNTAX, ""},
    {"one-character final quantum", "Zm9vY", VOUCH_ESYNTAX, ""},
    {"too much padding", "Zg===", VOUCH_ESYNTAX, ""},
    {"padding too early", "Z===", VOUCH_ESYNTAX, ""},
    {"non-zero pad bits (RFC 4648 §3.5)", "Zh==", VOUCH_ESYNTAX, ""},
    {"NUL byte", "Zm\0v", VOUCH_ESYNTAX, ""},
};

int
main(void)
{
	uint8_t out[64];
	char enc[64];
	size_t k, n, inlen;
	enum vouch_status st;
	static const char *const plain[] = {
	    "", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const coded[] = {
	    "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};

	for (k = 0; k < sizeof(decode_cases) / sizeof(decode_cases[0]); k++) {
		inlen = strlen(decode_cases[k].in);
		if (strcmp(decode_cases[k].name, "NUL byte") == 0)
			inlen = 4;
		st = base64_decode((const uint8_t *)decode_cases[k].in, inlen,
		    out, sizeof(out), &n);
		if (st != decode_cases[k].want_st)
			tap_check(0, "decode %s: got status %d, want %d",
			    decode_cases[k].name, st, decode_cases[k].want_st);
		else
			tap_check(
			    st != VOUCH_OK ||
			        (n == strlen(decode_cases[k].want) &&
			            memcmp(out, decode_cases[k].want, n) == 0),
			    "decode %s: got \"%.*s\", want \"%s\"",
			    decode_cases[k].name, (int)n, (const char *)out,
			    decode_cases[k].want);
	}
	for (k = 0; k < sizeof(plain) / sizeof(plain[0]); k++) {
		n = base64_encode((const uint8_t *)plain[k], strlen(plain[k]),
		    enc, sizeof(enc));
		tap_check(
		    n == strlen(coded[k]) && memcmp(enc, coded[k], n) == 0,
		    "encode RFC 4648 §10 \"%s\": got \"%.*s\", want \"%s\"",
		    plain[k], (int)n, enc, coded[k]);
	}
	st = base64_decode((const uint8_t *)"Zm9vYmFy", 8, out, 5, &n);
	tap_check(st == VOUCH_ELIMIT, "decode into a short buffer: got %d", st);
	n = base64_encode((const uint8_t *)"foobar", 6, enc, 7);
	tap_check(n == 0, "encode into a short buffer: got %zu", n);
	return tap_done();
}
