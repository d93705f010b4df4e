/*
 * DKIM verification rules (RFC 6376 §6.1, RFC 8301, RFC 8463) through the
 * library API, on messages this test signs itself with a fresh Ed25519
 * key (simple/simple, so the signed bytes are plain to see in the table),
 * with the key served from an in-memory zone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/base64.h"
#include "vouch/dkim.h"
#include "vouch/dns.h"
#include "tap.h"

#define NOW 1700000000LL
#define FIELDS "From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n"

static EVP_PKEY *key;
static char pub_b64[64];

struct row {
	const char *name;
	/* DKIM-Signature tags before "; b=": %BH% is replaced by bh= */
	const char *tags;
	const char *body; /* body as sent */
	const char
	    *signbody; /* canonical body the signer hashed; NULL = body */
	const char *keyrec; /* TXT at sel._domainkey.example.com; NULL = good,
	                       "" = no record */
	int legacy, rfc_l;
	unsigned max_age;
	enum vouch_dkim_verdict want;
	const char *reason; /* substring of the reason, NULL = don't care */
	int tamper; /* 1: change Subject after signing */
};

#define BASE "v=1; a=ed25519-sha256; d=example.com; s=sel; h=from:to:subject"

static const struct row rows[] = {
    {"§6.1 a good signature passes", BASE "; bh=%BH%", "Hello\r\n", NULL, NULL,
        0, 0, 0, VOUCH_DKIM_PASS, NULL, 0},
    {"§6.1.3 step 3 body changed: fail (body hash)", BASE "; bh=%BH%",
        "Hello!\r\n", "Hello\r\n", NULL, 0, 0, 0, VOUCH_DKIM_FAIL, "body hash",
        0},
    {"§6.1.3 step 4 signed header changed: fail (signature)", BASE "; bh=%BH%",
        "Hello\r\n", NULL, NULL, 0, 0, 0, VOUCH_DKIM_FAIL,
        "signature did not verify", 1},
    {"§3.4.3 trailing empty lines ignored (simple)", BASE "; bh=%BH%",
        "Hello\r\n\r\n\r\n", "Hello\r\n", NULL, 0, 0, 0, VOUCH_DKIM_PASS, NULL,
        0},
    {"§3.4.3 empty body hashes as CRLF", BASE "; bh=%BH%", "", "\r\n", NULL, 0,
        0, 0, VOUCH_DKIM_PASS, NULL, 0},
    {"§6.1.1 v= missing: permerror",
        "a=ed25519-sha256; d=example.com; s=sel; h=from; bh=%BH%", "Hello\r\n",
        NULL, NULL, 0, 0, 0, VOUCH_DKIM_PERMERROR, "v=", 0},
    {"§6.1.1 v=2: permerror (incompatible version)",
        "v=2; a=ed25519-sha256; d=example.com; s=sel; h=from; bh=%BH%",
        "Hello\r\n", NULL, NULL, 0, 0, 0, VOUCH_DKIM_PERMERROR,
        "incompatible version", 0},
    {"§6.1.1 required tag s= missing: permerror",
        "v=1; a=ed25519-sha256; d=example.com; h=from; bh=%BH%", "Hello\r\n",
        NULL, NULL, 0, 0, 0, VOUCH_DKIM_PERMERROR, "required tag s=", 0},
    {"§3.2 duplicate tag: permerror", BASE "; bh=%BH%; d=example.com",
        "Hello\r\n", NULL, NULL, 0, 0, 0, VOUCH_DKIM_PERMERROR, "duplicate", 0},
    {"§6.1.1 h= without From: permerror",
        "v=1; a=ed25519-sha256; d=example.com; s=sel; h=to:subject; "
        "bh=%BH%",
        "Hello\r\n", NULL, NULL, 0, 0, 0, VOUCH_DKIM_PERMERROR,
        "From field not signed", 0},
    {"§3.5 h= name with a space inside: permerror",
        "v=1; a=ed25519-sha256; d=example.com; s=sel; h=from:sub ject; "
        "bh=%BH%",
        "Hello\r\n", NULL, NULL, 0, 0, 0, VOUCH_DKIM_PERMERROR,
        "bad field name", 0},
    {"§3.5 h= with FWS around the colons passes",
        "v=1; a=ed25519-sha256; d=example.com; s=sel; h=from :\r\n to : "
        "subject; bh=%BH%",
        "Hello\r\n", NULL, NULL, 0, 0, 0, VOUCH_DKIM_PASS, NULL, 0},
    {"§6.1.1 i= outside d=: permerror", BASE "; i=a@example.net; bh=%BH%",
        "Hello\r\n", NULL, NULL, 0, 0, 0, VOUCH_DKIM_PERMERROR,
        "domain mismatch", 0},
    {"§6.1.1 i= in a subdomain of d= passes",
        BASE "; i=a@mail.example.com; bh=%BH%", "Hello\r\n", NULL, NULL, 0, 0,
        0, VOUCH_DKIM_PASS, NULL, 0},
    {"§2.11 i= in dkim-quoted-printable", BASE "; i=a=3Db@example.com; bh=%BH%",
        "Hello\r\n", NULL, NULL, 0, 0, 0, VOUCH_DKIM_PASS, NULL, 0},
    {"§3.5 z= ignored, unknown tags ignored",
        BASE "; z=From:a@example.com; foo=bar; bh=%BH%", "Hello\r\n", NULL,
        NULL, 0, 0, 0, VOUCH_DKIM_PASS, NULL, 0},
    {"§3.5 x= in the past: permerror (expired)",
        BASE "; t=1600000000; x=1600000100; bh=%BH%", "Hello\r\n", NULL, NULL,
        0, 0, 0, VOUCH_DKIM_PERMERROR, "expired", 0},
    {"§3.5 x= not after t=: permerror",
        BASE "; t=1700000000; x=1700000000; bh=%BH%", "Hello\r\n", NULL, NULL,
        0, 0, 0, VOUCH_DKIM_PERMERROR, "x= is not after t=", 0},
    {"§3.5 t= far in the future: permerror", BASE "; t=1700086400; bh=%BH%",
        "Hello\r\n", NULL, NULL, 0, 0, 0, VOUCH_DKIM_PERMERROR, "future", 0},
    {"§3.5 t= within the clock skew passes", BASE "; t=1700000100; bh=%BH%",
        "Hello\r\n", NULL, NULL, 0, 0, 0, VOUCH_DKIM_PASS, NULL, 0},
    {"max_age: old t= is policy", BASE "; t=1690000000; bh=%BH%", "Hello\r\n",
        NULL, NULL, 0, 0, 3600, VOUCH_DKIM_POLICY, "maximum age", 0},
    {"max_age: recent t= passes", BASE "; t=1699999000; bh=%BH%", "Hello\r\n",
        NULL, NULL, 0, 0, 3600, VOUCH_DKIM_PASS, NULL, 0},
    {"max_age: no t= is policy", BASE "; bh=%BH%", "Hello\r\n", NULL, NULL, 0,
        0, 3600, VOUCH_DKIM_POLICY, "t=", 0},
    {"§3.5 l=: unsigned text after l= is policy", BASE "; l=7; bh=%BH%",
        "Hello\r\nappended\r\n", "Hello\r\n", NULL, 0, 0, 0, VOUCH_DKIM_POLICY,
        "l=", 0},
    {"§3.5 l=: with rfc_l it passes", BASE "; l=7; bh=%BH%",
        "Hello\r\nappended\r\n", "Hello\r\n", NULL, 0, 1, 0, VOUCH_DKIM_PASS,
        NULL, 0},
    {"§3.5 l=: only empty lines after l= pass", BASE "; l=7; bh=%BH%",
        "Hello\r\n\r\n\r\n", "Hello\r\n", NULL, 0, 0, 0, VOUCH_DKIM_PASS, NULL,
        0},
    {"§3.5 l= mid-line", BASE "; l=3; bh=%BH%", "Hello\r\n", "Hel", NULL, 0, 1,
        0, VOUCH_DKIM_PASS, NULL, 0},
    {"RFC 8301 §3.1 rsa-sha1: permerror",
        "v=1; a=rsa-sha1; d=example.com; s=sel; h=from; bh=%BH%", "Hello\r\n",
        NULL, NULL, 0, 0, 0, VOUCH_DKIM_PERMERROR, "RFC 8301", 0},
    {"unknown a=: permerror",
        "v=1; a=rsa-md5; d=example.com; s=sel; h=from; bh=%BH%", "Hello\r\n",
        NULL, NULL, 0, 0, 0, VOUCH_DKIM_PERMERROR, "unknown algorithm", 0},
    {"§6.1.2 step 3 no key record: permerror", BASE "; bh=%BH%", "Hello\r\n",
        NULL, "", 0, 0, 0, VOUCH_DKIM_PERMERROR, "no key", 0},
    {"§6.1.2 step 7 empty p=: permerror (revoked)", BASE "; bh=%BH%",
        "Hello\r\n", NULL, "v=DKIM1; k=ed25519; p=", 0, 0, 0,
        VOUCH_DKIM_PERMERROR, "revoked", 0},
    {"§6.1.2 step 8 k=rsa for ed25519-sha256: permerror", BASE "; bh=%BH%",
        "Hello\r\n", NULL, "v=DKIM1; k=rsa; p=%PUB%", 0, 0, 0,
        VOUCH_DKIM_PERMERROR, "key algorithm", 0},
    {"§6.1.2 step 6 key h=sha1 only: permerror", BASE "; bh=%BH%", "Hello\r\n",
        NULL, "v=DKIM1; k=ed25519; h=sha1; p=%PUB%", 0, 0, 0,
        VOUCH_DKIM_PERMERROR, "hash", 0},
    {"§3.6.1 key s=tlsrpt: permerror", BASE "; bh=%BH%", "Hello\r\n", NULL,
        "v=DKIM1; k=ed25519; s=tlsrpt; p=%PUB%", 0, 0, 0, VOUCH_DKIM_PERMERROR,
        "not for email", 0},
    {"§3.6.1 key t=s with i= in a subdomain: permerror",
        BASE "; i=a@mail.example.com; bh=%BH%", "Hello\r\n", NULL,
        "v=DKIM1; k=ed25519; t=s; p=%PUB%", 0, 0, 0, VOUCH_DKIM_PERMERROR,
        "t=s", 0},
    {"§3.6.1 key t=s with i= at d= passes", BASE "; i=a@example.com; bh=%BH%",
        "Hello\r\n", NULL, "v=DKIM1; k=ed25519; t=s; p=%PUB%", 0, 0, 0,
        VOUCH_DKIM_PASS, NULL, 0},
    {"§3.6.1 key v=DKIM1 not first: permerror", BASE "; bh=%BH%", "Hello\r\n",
        NULL, "k=ed25519; v=DKIM1; p=%PUB%", 0, 0, 0, VOUCH_DKIM_PERMERROR,
        "v=", 0},
    {"§6.1.2 step 2 DNS timeout: temperror", BASE "; bh=%BH%", "Hello\r\n",
        NULL, "TIMEOUT", 0, 0, 0, VOUCH_DKIM_TEMPERROR, "unavailable", 0},
};

static void
replace(
    char *out, size_t cap, const char *in, const char *pat, const char *with)
{
	const char *p = strstr(in, pat);

	if (p == NULL)
		snprintf(out, cap, "%s", in);
	else
		snprintf(out, cap, "%.*s%s%s", (int)(p - in), in, with,
		    p + strlen(pat));
}

/* Sign per RFC 8463 §3: Ed25519 over the SHA-256 of the header data. */
static int
make_message(const struct row *r, char *msg, size_t cap)
{
	uint8_t bh[32], hh[32], sig[64];
	char bh64[64], sig64[128], tags[8192], field[8400], data[8600];
	const char *signbody = r->signbody ? r->signbody : r->body;
	const char *fields = FIELDS;
	size_t siglen = sizeof(sig);
	unsigned len;
	EVP_MD_CTX *mc;
	int ok;

	if (EVP_Digest(
	        signbody, strlen(signbody), bh, &len, EVP_sha256(), NULL) != 1)
		return -1;
	bh64[base64_encode(bh, 32, bh64, sizeof(bh64))] = '\0';
	replace(tags, sizeof(tags), r->tags, "%BH%", bh64);
	snprintf(field, sizeof(field), "DKIM-Signature: %s; b=", tags);
	snprintf(data, sizeof(data), "%s%s", fields, field);
	if (EVP_Digest(data, strlen(data), hh, &len, EVP_sha256(), NULL) != 1)
		return -1;
	mc = EVP_MD_CTX_new();
	ok = mc != NULL && EVP_DigestSignInit(mc, NULL, NULL, NULL, key) == 1 &&
	     EVP_DigestSign(mc, sig, &siglen, hh, 32) == 1;
	EVP_MD_CTX_free(mc);
	if (!ok)
		return -1;
	sig64[base64_encode(sig, siglen, sig64, sizeof(sig64))] = '\0';
	snprintf(msg, cap, "%s%s\r\n%s\r\n%s", field, sig64,
	    r->tamper ? "From: a@example.com\r\nTo: b@example.org\r\n"
	                "Subject: hi!\r\n"
	              : fields,
	    r->body);
	return 0;
}

static struct vouch_dns *
make_zone(const struct row *r)
{
	char rec[512], txt[600], zone[1024];
	struct vouch_dns *dns = NULL;
	char err[256];

	if (r->keyrec != NULL && strcmp(r->keyrec, "TIMEOUT") == 0)
		snprintf(zone, sizeof(zone),
		    "$ORIGIN .\n$TIMEOUT sel._domainkey.example.com.\n"
		    "example.com. 300 IN A 192.0.2.1\n");
	else if (r->keyrec != NULL && r->keyrec[0] == '\0')
		snprintf(zone, sizeof(zone),
		    "$ORIGIN .\nexample.com. 300 IN A 192.0.2.1\n");
	else {
		replace(rec, sizeof(rec),
		    r->keyrec ? r->keyrec : "v=DKIM1; k=ed25519; p=%PUB%",
		    "%PUB%", pub_b64);
		snprintf(txt, sizeof(txt), "\"%s\"", rec);
		snprintf(zone, sizeof(zone),
		    "$ORIGIN .\nsel._domainkey.example.com. 300 IN TXT %s\n",
		    txt);
	}
	if (vouch_dns_zone_new_mem("test", (const uint8_t *)zone, strlen(zone),
	        &dns, err, sizeof(err)) != VOUCH_OK) {
		fprintf(stderr, "zone: %s\n", err);
		return NULL;
	}
	return dns;
}

static void
run_row(const struct row *r, int bytewise)
{
	char msg[16384];
	struct vouch_dns *dns;
	struct vouch_dkim_options opt;
	struct vouch_dkim_verifier *v = NULL;
	struct vouch_dkim_result *res = NULL;
	const char *body;
	size_t k, hlen;
	int good;

	if (make_message(r, msg, sizeof(msg)) != 0 ||
	    (dns = make_zone(r)) == NULL) {
		tap_check(0, "%s: set-up failed", r->name);
		return;
	}
	vouch_dkim_options_init(&opt);
	opt.now = NOW;
	opt.legacy = r->legacy;
	opt.rfc_l = r->rfc_l;
	opt.max_age = r->max_age;
	body = strstr(msg, "\r\n\r\n") + 4;
	hlen = (size_t)(body - msg);
	if (vouch_dkim_verify_new(dns, &opt, &v) != VOUCH_OK ||
	    vouch_dkim_verify_header(v, (const uint8_t *)msg, hlen) !=
	        VOUCH_OK) {
		tap_check(0, "%s: verifier failed", r->name);
		goto out;
	}
	if (bytewise) {
		for (k = 0; body[k] != '\0'; k++)
			if (vouch_dkim_verify_body(
			        v, (const uint8_t *)body + k, 1) != VOUCH_OK)
				break;
	} else if (vouch_dkim_verify_body(
	               v, (const uint8_t *)body, strlen(body)) != VOUCH_OK) {
		tap_check(0, "%s: body refused", r->name);
		goto out;
	}
	if (vouch_dkim_verify_finish(v, &res) != VOUCH_OK || res->nsig != 1) {
		tap_check(0, "%s: no result", r->name);
		goto out;
	}
	good = res->sig[0].result == r->want &&
	       (r->reason == NULL || strstr(res->sig[0].reason, r->reason));
	tap_check(good, "%s%s: got %s (%s), want %s%s%s", r->name,
	    bytewise ? " (body byte by byte)" : "",
	    vouch_dkim_verdict_str(res->sig[0].result), res->sig[0].reason,
	    vouch_dkim_verdict_str(r->want), r->reason ? " with " : "",
	    r->reason ? r->reason : "");
out:
	vouch_dkim_result_free(res);
	vouch_dkim_verify_free(v);
	vouch_dns_free(dns);
}

int
main(void)
{
	EVP_PKEY_CTX *kc;
	uint8_t raw[32];
	size_t rawlen = sizeof(raw), k;

	kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	if (kc == NULL || EVP_PKEY_keygen_init(kc) != 1 ||
	    EVP_PKEY_keygen(kc, &key) != 1 ||
	    EVP_PKEY_get_raw_public_key(key, raw, &rawlen) != 1) {
		tap_check(0, "Ed25519 key generation");
		return tap_done();
	}
	EVP_PKEY_CTX_free(kc);
	pub_b64[base64_encode(raw, rawlen, pub_b64, sizeof(pub_b64))] = '\0';
	for (k = 0; k < sizeof(rows) / sizeof(rows[0]); k++)
		run_row(&rows[k], 0);
	/*
	 * §5.4.2: h= may name fields that are absent (they hash as nothing);
	 * 300 distinct names must not be refused by a fixed cap.
	 */
	{
		static char tags[8192];
		struct row r = {
		    "§5.4.2 h= with 300 distinct absent names passes", tags,
		    "Hello\r\n", NULL, NULL, 0, 0, 0, VOUCH_DKIM_PASS, NULL, 0};
		size_t n;

		n = (size_t)snprintf(tags, sizeof(tags), "%s",
		    "v=1; a=ed25519-sha256; d=example.com; s=sel; "
		    "h=from:to:subject");
		for (k = 0; k < 300; k++)
			n += (size_t)snprintf(
			    tags + n, sizeof(tags) - n, ":x-absent-%zu", k);
		snprintf(tags + n, sizeof(tags) - n, "; bh=%%BH%%");
		run_row(&r, 0);
	}
	/*
	 * Header data over the 4 KiB the verifier holds on its stack (a
	 * DKIM-Signature of about 6 KB): the verifier goes on in a buffer
	 * that grows, and the signature still passes, not "too large".
	 */
	{
		static char tags[8192];
		struct row r = {"§3.7 header data over 4 KiB passes", tags,
		    "Hello\r\n", NULL, NULL, 0, 0, 0, VOUCH_DKIM_PASS, NULL, 0};
		size_t n;

		n = (size_t)snprintf(tags, sizeof(tags), "%s",
		    "v=1; a=ed25519-sha256; d=example.com; s=sel; "
		    "h=from:to:subject");
		for (k = 0; k < 450; k++)
			n += (size_t)snprintf(
			    tags + n, sizeof(tags) - n, ":x-absent-%zu", k);
		snprintf(tags + n, sizeof(tags) - n, "; bh=%%BH%%");
		run_row(&r, 0);
	}
	/* Two signatures with the same s= and d=: one key query. */
	{
		char msg[16384], two[32768];
		struct vouch_dns *dns = make_zone(&rows[0]);
		struct vouch_dkim_result *res = NULL;
		unsigned long before;
		enum vouch_status st;

		if (dns == NULL ||
		    make_message(&rows[0], msg, sizeof(msg)) != 0)
			tap_check(0, "one query per key name: set-up failed");
		else {
			/* The signature field twice, then the rest. */
			snprintf(two, sizeof(two), "%.*s%s",
			    (int)(strstr(msg, "\r\nFrom:") + 2 - msg), msg,
			    msg);
			before = vouch_dns_nqueries(dns);
			st = vouch_dkim_verify_mem(
			    dns, NULL, (const uint8_t *)two, strlen(two), &res);
			tap_check(st == VOUCH_OK && res->nsig == 2 &&
			              res->sig[0].result == VOUCH_DKIM_PASS &&
			              res->sig[1].result == VOUCH_DKIM_PASS &&
			              vouch_dns_nqueries(dns) - before == 1,
			    "two signatures, same key name: both pass, one DNS "
			    "query (got %lu)",
			    vouch_dns_nqueries(dns) - before);
			vouch_dkim_result_free(res);
		}
		vouch_dns_free(dns);
	}
	/* An empty message may be given as NULL, 0; NULL with a length not. */
	{
		struct vouch_dns *dns = make_zone(&rows[0]);
		struct vouch_dkim_result *res = NULL;
		enum vouch_status st;

		st = vouch_dkim_verify_mem(dns, NULL, NULL, 0, &res);
		tap_check(st == VOUCH_OK && res != NULL && res->nsig == 0 &&
		              res->result == VOUCH_DKIM_NONE,
		    "NULL, 0 is an empty message: none (got status %d)", st);
		vouch_dkim_result_free(res);
		res = NULL;
		st = vouch_dkim_verify_mem(dns, NULL, NULL, 5, &res);
		tap_check(st == VOUCH_EINVAL && res == NULL,
		    "NULL with length 5: VOUCH_EINVAL (got %d)", st);
		vouch_dns_free(dns);
	}
	/* Chunking must not matter: the first rows again, byte by byte. */
	for (k = 0; k < 5; k++)
		run_row(&rows[k], 1);
	EVP_PKEY_free(key);
	return tap_done();
}
