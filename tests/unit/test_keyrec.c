/*
 * DKIM key records, RFC 6376 §3.6.1 (and RFC 8463 §4 for k=ed25519):
 * tags, defaults, and the public key decoding.
 */
#include <stdio.h>
#include <string.h>

#include "vouch/limits.h"
#include "dkim/internal.h"
#include "tap.h"

#define RSA1024 \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08" \
	"a" \
	"5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsC" \
	"R+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIK" \
	"T+l/K4w3QIDAQAB"
#define ED25519 "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

static const struct {
	const char *name;
	const char *rec;
	int want_ok;
	enum dkim_keytype k;
	unsigned hashes;
	int email, testing, strict;
	unsigned bits; /* 0: p= empty or not decodable */
} cases[] = {
    {"§3.6.1 defaults: k=rsa, any hash, any service", "p=" RSA1024, 1,
        DKIM_KEY_RSA, DKIM_HASH_SHA1 | DKIM_HASH_SHA256, 1, 0, 0, 1024},
    {"§3.6.1 v=DKIM1 first", "v=DKIM1; k=rsa; p=" RSA1024, 1, DKIM_KEY_RSA,
        DKIM_HASH_SHA1 | DKIM_HASH_SHA256, 1, 0, 0, 1024},
    {"§3.6.1 v= not first is an error", "k=rsa; v=DKIM1; p=" RSA1024, 0, 0, 0,
        0, 0, 0, 0},
    {"§3.6.1 v=DKIM2 is an error", "v=DKIM2; p=" RSA1024, 0, 0, 0, 0, 0, 0, 0},
    {"§3.6.1 unknown k= is an error", "k=dsa; p=" RSA1024, 0, 0, 0, 0, 0, 0, 0},
    {"§3.6.1 no p= is an error", "v=DKIM1; k=rsa", 0, 0, 0, 0, 0, 0, 0},
    {"§3.6.1 empty p= is revoked (parses)", "v=DKIM1; p=", 1, DKIM_KEY_RSA,
        DKIM_HASH_SHA1 | DKIM_HASH_SHA256, 1, 0, 0, 0},
    {"§3.6.1 h=sha256 only", "h=sha256; p=" RSA1024, 1, DKIM_KEY_RSA,
        DKIM_HASH_SHA256, 1, 0, 0, 1024},
    {"§3.6.1 h= unknown names ignored", "h=md5 : sha1; p=" RSA1024, 1,
        DKIM_KEY_RSA, DKIM_HASH_SHA1, 1, 0, 0, 1024},
    {"§3.6.1 s=email", "s=email; p=" RSA1024, 1, DKIM_KEY_RSA,
        DKIM_HASH_SHA1 | DKIM_HASH_SHA256, 1, 0, 0, 1024},
    {"§3.6.1 s=* ", "s=*; p=" RSA1024, 1, DKIM_KEY_RSA,
        DKIM_HASH_SHA1 | DKIM_HASH_SHA256, 1, 0, 0, 1024},
    {"§3.6.1 s=tlsrpt is not email", "s=tlsrpt; p=" RSA1024, 1, DKIM_KEY_RSA,
        DKIM_HASH_SHA1 | DKIM_HASH_SHA256, 0, 0, 0, 1024},
    {"§3.6.1 t=y:s with FWS and unknown flags", "t = y : s : z; p=" RSA1024, 1,
        DKIM_KEY_RSA, DKIM_HASH_SHA1 | DKIM_HASH_SHA256, 1, 1, 1, 1024},
    {"§3.6.1 whitespace inside p=",
        "p="
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a"
        "5qhdR6wy5bd OKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsC"
        "R+yz1Lxj+PL6lHvqMKrM3rG4hst\tT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIK"
        "T+l/K4w3QIDAQAB ;",
        1, DKIM_KEY_RSA, DKIM_HASH_SHA1 | DKIM_HASH_SHA256, 1, 0, 0, 1024},
    {"RFC 8463 §4 k=ed25519, raw 32-byte key", "v=DKIM1; k=ed25519; p=" ED25519,
        1, DKIM_KEY_ED25519, DKIM_HASH_SHA1 | DKIM_HASH_SHA256, 1, 0, 0, 256},
    {"RFC 8463 §4 Ed25519 SPKI is not a raw key",
        "k=ed25519; p=MCowBQYDK2VwAyEA3SUqa9UbfciWkk7tlcJ9P1VD5pXAasg0JUn/"
        "OgjVbKE=",
        1, DKIM_KEY_ED25519, DKIM_HASH_SHA1 | DKIM_HASH_SHA256, 1, 0, 0, 0},
    {"RSA p= that is not a key", "p=AAAAAAAA", 1, DKIM_KEY_RSA,
        DKIM_HASH_SHA1 | DKIM_HASH_SHA256, 1, 0, 0, 0},
    {"tag without '=' is a syntax error", "k=rsa; t; p=" RSA1024, 0, 0, 0, 0, 0,
        0, 0},
    {"unknown tags ignored (g= of RFC 4871)", "g=*; n=notes here; p=" RSA1024,
        1, DKIM_KEY_RSA, DKIM_HASH_SHA1 | DKIM_HASH_SHA256, 1, 0, 0, 1024},
    {"empty record", "", 0, 0, 0, 0, 0, 0, 0},
};

/* The record "k=ed25519; p=..." of a key made of the byte n, 32 times. */
static size_t
ed_record(unsigned n, char *out, size_t cap)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	                          "qrstuvwxyz0123456789+/";
	uint8_t raw[33];
	size_t i, o;

	memset(raw, (int)n, 32);
	raw[32] = 0;
	o = (size_t)snprintf(out, cap, "k=ed25519; p=");
	for (i = 0; i < 33; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 |
		             (unsigned)raw[i + 1] << 8 | raw[i + 2];

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = i + 2 < 32 ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

/*
 * More keys than the cache holds (VOUCH_DKIM_KEY_CACHE): the records
 * remembered with the newest keys are found again, with their key; the
 * first ones, replaced, are not, and are decoded and remembered again.
 */
static void
cache_tests(void)
{
	char txt[128];
	struct dkim_keyrec kr, kr2;
	EVP_PKEY *pk, *pk2;
	unsigned n, bits, bits2;
	size_t len;
	const char *why;
	int good = 1, hit;

	for (n = 1; n <= VOUCH_DKIM_KEY_CACHE + 6; n++) {
		len = ed_record(n, txt, sizeof(txt));
		pk = NULL;
		if (dkim_keyrec_parse((const uint8_t *)txt, len, &kr, &why) !=
		        0 ||
		    dkim_key_decode(&kr, &pk, &bits, &why) != VOUCH_OK) {
			good = 0;
			break;
		}
		dkim_keyrec_remember((const uint8_t *)txt, len, &kr, pk);
		hit = dkim_keyrec_lookup(
		    (const uint8_t *)txt, len, &kr2, &pk2, &bits2);
		if (!hit || pk2 != pk || bits2 != 256 ||
		    kr2.p !=
		        (const uint8_t *)txt + (kr.p - (const uint8_t *)txt) ||
		    kr2.plen != kr.plen || kr2.k != DKIM_KEY_ED25519)
			good = 0;
		EVP_PKEY_free(pk);
		EVP_PKEY_free(pk2);
	}
	tap_check(good,
	    "%d records remembered with their keys, each found "
	    "again at once",
	    VOUCH_DKIM_KEY_CACHE + 6);
	len = ed_record(VOUCH_DKIM_KEY_CACHE + 6, txt, sizeof(txt));
	hit = dkim_keyrec_lookup((const uint8_t *)txt, len, &kr2, &pk2, &bits2);
	tap_check(hit == 1, "the newest record is still remembered");
	if (hit)
		EVP_PKEY_free(pk2);
	len = ed_record(1, txt, sizeof(txt));
	hit = dkim_keyrec_lookup((const uint8_t *)txt, len, &kr2, &pk2, &bits2);
	tap_check(hit == 0, "the oldest record left with its key");
	if (hit)
		EVP_PKEY_free(pk2);
}

/* ASCII letters only fold: how DKIM compares names and tag values. */
static int
ascii_fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/*
 * dkim_mem_ieq and dkim_ieq on every pair of bytes against the plain
 * rule (perf7v gave a byte equal as it is a shorter path than one that
 * differs): '@' and '`', '[' and '{', 0xc1 and 0xe1 are the case bit
 * apart and still different.
 */
static void
check_ieq_pairs(void)
{
	uint8_t a, b;
	char s[2] = {0, 0};
	int x, y, want, bad = 0;

	for (x = 0; x < 256; x++)
		for (y = 0; y < 256; y++) {
			a = (uint8_t)x;
			b = (uint8_t)y;
			want = ascii_fold(x) == ascii_fold(y);
			if (dkim_mem_ieq(&a, &b, 1) != want)
				bad++;
			s[0] = (char)y;
			if (y != 0 && dkim_ieq(&a, 1, s) != want)
				bad++;
		}
	tap_check(bad == 0,
	    "dkim_mem_ieq, dkim_ieq: every byte pair as ASCII case folding "
	    "says (%d differ)",
	    bad);
	tap_check(dkim_ieq((const uint8_t *)"RSA\0", 4, "rsa") == 0 &&
	              dkim_ieq((const uint8_t *)"Ed25519", 7, "ed25519") &&
	              !dkim_ieq((const uint8_t *)"ed2551", 6, "ed25519"),
	    "dkim_ieq: a NUL in the value where the word ends, and a prefix, "
	    "are not the word");
}

int
main(void)
{
	struct dkim_keyrec kr;
	const char *why;
	EVP_PKEY *pk;
	unsigned bits;
	size_t k;
	int rc;
	enum vouch_status st;

	check_ieq_pairs();
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		why = NULL;
		rc = dkim_keyrec_parse((const uint8_t *)cases[k].rec,
		    strlen(cases[k].rec), &kr, &why);
		if ((rc == 0) != cases[k].want_ok) {
			tap_check(0, "%s: got %s (%s), want %s", cases[k].name,
			    rc == 0 ? "ok" : "error", why ? why : "",
			    cases[k].want_ok ? "ok" : "error");
			continue;
		}
		if (rc != 0) {
			tap_check(why != NULL, "%s (%s)", cases[k].name,
			    why ? why : "no reason");
			continue;
		}
		bits = 0;
		pk = NULL;
		if (kr.plen > 0) {
			st = dkim_key_decode(&kr, &pk, &bits, &why);
			if (st != VOUCH_OK)
				bits = 0;
			EVP_PKEY_free(pk);
		}
		tap_check(kr.k == cases[k].k && kr.hashes == cases[k].hashes &&
		              kr.email == cases[k].email &&
		              kr.testing == cases[k].testing &&
		              kr.strict == cases[k].strict &&
		              bits == cases[k].bits,
		    "%s: got k=%d h=%u email=%d t=y %d t=s %d bits %u, want "
		    "k=%d h=%u email=%d t=y %d t=s %d bits %u",
		    cases[k].name, kr.k, kr.hashes, kr.email, kr.testing,
		    kr.strict, bits, cases[k].k, cases[k].hashes,
		    cases[k].email, cases[k].testing, cases[k].strict,
		    cases[k].bits);
	}
	/* The cache hands out the same parsed key for the same bytes. */
	{
		EVP_PKEY *a = NULL, *b = NULL;
		unsigned ba, bb;

		(void)dkim_keyrec_parse((const uint8_t *)"p=" RSA1024,
		    strlen("p=" RSA1024), &kr, &why);
		st = dkim_key_decode(&kr, &a, &ba, &why);
		if (st == VOUCH_OK)
			st = dkim_key_decode(&kr, &b, &bb, &why);
		tap_check(st == VOUCH_OK && a == b && ba == 1024,
		    "key cache: second decode gives the cached key");
		EVP_PKEY_free(a);
		EVP_PKEY_free(b);
	}
	cache_tests();
	return tap_done();
}
