/*
 * Ed25519 through libsodium (src/lib/dkim/ed25519.c, RFC 8032, RFC 8463):
 * vouch's signatures are the ones OpenSSL makes with the same key (Ed25519
 * is deterministic) and verify there; and the two places where a
 * signature is judged differently from OpenSSL 3.0, or the same, with the
 * reason in each check's name.  dkim_verify_hash is the check the DKIM
 * verifier and ARC (AMS and ARC-Seal) share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim/internal.h"
#include "dkim/sign_internal.h"
#include "util/base64.h"
#include "vouch/dkim.h"
#include "vouch/dkim_sign.h"
#include "vouch/dns.h"
#include "tap.h"

/* RFC 8032 §5.1: L, the order of the base point, little-endian. */
static const uint8_t group_order[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63,
    0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};

/* The neutral point (0, 1), encoded (RFC 8032 §5.1.2): order 1. */
static const uint8_t neutral[32] = {1};

/* OpenSSL's verdict on sig over msg with the raw public key pk: 1 or 0. */
static int
openssl_verify(const uint8_t *pk, const uint8_t *msg, size_t len,
    const uint8_t *sig, size_t siglen)
{
	EVP_PKEY *k;
	EVP_MD_CTX *mc;
	int ok = 0;

	if ((k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32)) ==
	    NULL)
		return 0;
	if ((mc = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(mc, NULL, NULL, NULL, k) == 1)
		ok = EVP_DigestVerify(mc, sig, siglen, msg, len) == 1;
	EVP_MD_CTX_free(mc);
	EVP_PKEY_free(k);
	return ok;
}

/* vouch's verdict through dkim_verify_hash, the key given raw. */
static enum dkim_sigcheck
vouch_verify(const uint8_t *pk, const uint8_t *msg, size_t len,
    const uint8_t *sig, size_t siglen)
{
	EVP_PKEY *k;
	enum dkim_sigcheck sc;

	if ((k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32)) ==
	    NULL)
		return DKIM_SIG_NOMEM;
	sc = dkim_verify_hash(k, true, DKIM_HASH_SHA256, msg, len, sig, siglen);
	EVP_PKEY_free(k);
	return sc;
}

static const char *
sigcheck_str(enum dkim_sigcheck sc)
{
	return sc == DKIM_SIG_VERIFIED ? "verified"
	       : sc == DKIM_SIG_BAD    ? "bad"
	                               : "nomem";
}

/*
 * Signing: libsodium's signature is OpenSSL's (RFC 8032 §5.1.6 is
 * deterministic), verifies with OpenSSL and with vouch, and a changed
 * digest does not.
 */
static void
check_signing(uint8_t pk[32], uint8_t sig[64], uint8_t hash[32])
{
	struct vouch_dkim_key *key = NULL;
	uint8_t ossl[64];
	size_t siglen = 64, olen = sizeof(ossl), pklen = 32;
	EVP_MD_CTX *mc;
	enum dkim_sigcheck sc;
	int same;

	memset(hash, 0x5a, 32);
	if (vouch_dkim_key_generate(VOUCH_DKIM_KEY_ED25519, 0, &key) !=
	        VOUCH_OK ||
	    EVP_PKEY_get_raw_public_key(key->pkey, pk, &pklen) != 1) {
		tap_check(0, "Ed25519 key generation");
		vouch_dkim_key_free(key);
		return;
	}
	tap_check(dkim_sign_hash(key, VOUCH_DKIM_SIGN_ED25519_SHA256, hash, 32,
	              sig, &siglen) == VOUCH_OK &&
	              siglen == 64,
	    "RFC 8463 §3: libsodium signs the 32-byte digest, 64 bytes "
	    "(got %zu)",
	    siglen);
	mc = EVP_MD_CTX_new();
	same = mc != NULL &&
	       EVP_DigestSignInit(mc, NULL, NULL, NULL, key->pkey) == 1 &&
	       EVP_DigestSign(mc, ossl, &olen, hash, 32) == 1 && olen == 64 &&
	       memcmp(ossl, sig, 64) == 0;
	EVP_MD_CTX_free(mc);
	tap_check(same,
	    "RFC 8032 §5.1.6: the signature is the one OpenSSL makes "
	    "with the same key (deterministic)");
	tap_check(openssl_verify(pk, hash, 32, sig, 64) == 1,
	    "OpenSSL verifies the signature libsodium made");
	sc = vouch_verify(pk, hash, 32, sig, 64);
	tap_check(sc == DKIM_SIG_VERIFIED, "vouch verifies it: got %s",
	    sigcheck_str(sc));
	hash[0] ^= 1;
	sc = vouch_verify(pk, hash, 32, sig, 64);
	tap_check(sc == DKIM_SIG_BAD, "another digest does not verify: got %s",
	    sigcheck_str(sc));
	hash[0] ^= 1;
	sc = vouch_verify(pk, hash, 32, sig, 63);
	tap_check(sc == DKIM_SIG_BAD,
	    "RFC 8032 §5.1.7: a signature of 63 bytes is bad: got %s",
	    sigcheck_str(sc));
	vouch_dkim_key_free(key);
}

/*
 * A non-canonical S (S + L, the same scalar mod L): RFC 8032 §5.1.7 step
 * 1 says to reject S >= L, and OpenSSL 3.0 and libsodium both do, so the
 * verdict is the one vouch gave before the move to libsodium.
 */
static void
check_noncanonical_s(
    const uint8_t pk[32], const uint8_t sig[64], const uint8_t hash[32])
{
	uint8_t bad[64];
	unsigned carry = 0, v;
	size_t i;
	enum dkim_sigcheck sc;

	memcpy(bad, sig, 64);
	for (i = 0; i < 32; i++) {
		v = bad[32 + i] + group_order[i] + carry;
		bad[32 + i] = (uint8_t)v;
		carry = v >> 8;
	}
	tap_check(openssl_verify(pk, hash, 32, bad, 64) == 0,
	    "RFC 8032 §5.1.7 step 1: OpenSSL refuses S + L too");
	sc = vouch_verify(pk, hash, 32, bad, 64);
	tap_check(sc == DKIM_SIG_BAD,
	    "RFC 8032 §5.1.7 step 1: non-canonical S (S + L) is bad: got %s",
	    sigcheck_str(sc));
}

/*
 * Small order: with A and R the neutral point and S = 0 the equation
 * [S]B = R + [k]A that OpenSSL 3.0 checks holds for every message, so
 * OpenSSL takes it for a good signature of anything.  libsodium refuses
 * keys and R of small order (RFC 8032 §8.4 leaves the check to the
 * verifier): vouch now says fail where OpenSSL said pass.
 */
static void
check_small_order(void)
{
	uint8_t sig[64] = {1}, hash[32];
	enum dkim_sigcheck sc;

	memset(hash, 0xa5, sizeof(hash));
	if (openssl_verify(neutral, hash, 32, sig, 64) == 1)
		tap_check(1,
		    "small order: OpenSSL 3.0 accepts the neutral key with "
		    "R neutral and S = 0, whatever the message");
	else
		printf("ok - small order: OpenSSL # SKIP this OpenSSL "
		       "refuses it too\n");
	sc = vouch_verify(neutral, hash, 32, sig, 64);
	tap_check(sc == DKIM_SIG_BAD,
	    "small order: vouch (libsodium) refuses the neutral key and R: "
	    "got %s",
	    sigcheck_str(sc));
}

/*
 * The same through the DKIM verifier: a message whose key record
 * publishes the neutral point; the body hash is right, so the verdict
 * comes from the header signature (RFC 6376 §6.1.3 step 4).
 */
static void
check_small_order_dkim(void)
{
	static const char body[] = "Hello\r\n";
	uint8_t bh[32], sig[64] = {1};
	char bh64[64], sig64[128], pk64[64], msg[2048], zone[512], err[256];
	struct vouch_dns *dns = NULL;
	struct vouch_dkim_options opt;
	struct vouch_dkim_result *res = NULL;
	unsigned len;
	int n;

	if (EVP_Digest(body, strlen(body), bh, &len, EVP_sha256(), NULL) != 1) {
		tap_check(0, "SHA-256");
		return;
	}
	bh64[base64_encode(bh, 32, bh64, sizeof(bh64))] = '\0';
	sig64[base64_encode(sig, 64, sig64, sizeof(sig64))] = '\0';
	pk64[base64_encode(neutral, 32, pk64, sizeof(pk64))] = '\0';
	n = snprintf(msg, sizeof(msg),
	    "DKIM-Signature: v=1; a=ed25519-sha256; d=example.com; s=sel;\r\n"
	    "\th=from:subject; bh=%s;\r\n\tb=%s\r\n"
	    "From: a@example.com\r\nSubject: small order\r\n\r\n%s",
	    bh64, sig64, body);
	snprintf(zone, sizeof(zone),
	    "$ORIGIN .\nsel._domainkey.example.com. 300 IN TXT "
	    "\"v=DKIM1; k=ed25519; p=%s\"\n",
	    pk64);
	vouch_dkim_options_init(&opt);
	opt.now = 1700000000;
	if (vouch_dns_zone_new_mem("test", (const uint8_t *)zone, strlen(zone),
	        &dns, err, sizeof(err)) != VOUCH_OK ||
	    vouch_dkim_verify_mem(
	        dns, &opt, (const uint8_t *)msg, (size_t)n, &res) != VOUCH_OK ||
	    res->nsig != 1) {
		tap_check(0, "small order through DKIM: set-up failed");
	} else {
		tap_check(res->sig[0].result == VOUCH_DKIM_FAIL &&
		              strstr(res->sig[0].reason,
		                  "signature did not verify") != NULL,
		    "small order through DKIM: a key record of the neutral "
		    "point is fail (signature did not verify), not the pass "
		    "OpenSSL would give: got %s (%s)",
		    vouch_dkim_verdict_str(res->sig[0].result),
		    res->sig[0].reason);
	}
	vouch_dkim_result_free(res);
	vouch_dns_free(dns);
}

int
main(void)
{
	uint8_t pk[32] = {0}, sig[64] = {0}, hash[32] = {0};

	check_signing(pk, sig, hash);
	check_noncanonical_s(pk, sig, hash);
	check_small_order();
	check_small_order_dkim();
	return tap_done();
}
