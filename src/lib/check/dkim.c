/*
 * vouch check, DKIM: the key record of each selector the owner names
 * (RFC 6376 §3.6.1), judged by RFC 8301 (RSA sizes, SHA-1) and RFC 8463.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim/internal.h"
#include "internal.h"
#include "vouch/dkim_sign.h"

void
check_lint_dkim(struct check_ctx *c, const char *selector)
{
	struct vouch_check_report *r = c->r;
	struct vouch_check_dkim *k;
	struct vouch_check_finding *f;
	struct vouch_dns_answer *a = NULL;
	struct dkim_keyrec kr;
	char q[2 * VOUCH_DNS_MAX_NAME + 16];
	const char *why = "";
	EVP_PKEY *pk = NULL;
	unsigned bits = 0;
	size_t i, n = 0, first = 0;
	enum vouch_status st;

	if (r->ndkim >= VOUCH_CHECK_MAX_SELECTORS)
		return;
	k = &r->dkim[r->ndkim++];
	(void)snprintf(k->selector, sizeof(k->selector), "%s", selector);
	(void)snprintf(q, sizeof(q), "%s._domainkey.%s", selector, r->domain);
	if (vouch_dns_query(c->dns, q, strlen(q), VOUCH_DNS_TXT, &a) !=
	    VOUCH_OK) {
		c->err = VOUCH_ENOMEM;
		return;
	}
	if (a->rcode == VOUCH_DNS_TEMPFAIL || a->rcode == VOUCH_DNS_PERMFAIL) {
		check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_ERROR,
		    "dkim-dns-error",
		    "%s could not be looked up (%s): signatures get "
		    "temperror",
		    q, a->reason ? a->reason : "DNS failure");
		goto out;
	}
	for (i = 0; a->rcode == VOUCH_DNS_ANSWER && i < a->nrr; i++)
		if (a->rr[i].type == VOUCH_DNS_TXT && n++ == 0)
			first = i;
	if (n == 0) {
		f = check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_ERROR,
		    "dkim-missing",
		    "no key at %s: signatures with s=%s fail (RFC 6376 "
		    "§6.1.2)",
		    q, selector);
		check_fix(f,
		    "publish the key: 'vouch keygen -d %s -s %s' writes the "
		    "record",
		    r->domain, selector);
		goto out;
	}
	k->found = 1;
	if (n > 1)
		check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_WARNING,
		    "dkim-multiple-records",
		    "%s has %zu TXT records: which key a verifier uses is "
		    "undefined (RFC 6376 §3.6.2.2)",
		    q, n);
	if (dkim_keyrec_parse(a->rr[first].data, a->rr[first].len, &kr, &why) !=
	    0) {
		f = check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_ERROR,
		    "dkim-syntax", "%s: the key record is not valid: %s", q,
		    why);
		check_fix(f, "publish the record as 'vouch keygen' writes it");
		goto out;
	}
	(void)snprintf(k->key_type, sizeof(k->key_type), "%s",
	    kr.k == DKIM_KEY_ED25519 ? "ed25519" : "rsa");
	k->testing = kr.testing;
	k->revoked = kr.plen == 0;
	k->sha1_only = kr.hashes == DKIM_HASH_SHA1;
	if (k->revoked) {
		f = check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_WARNING,
		    "dkim-revoked",
		    "%s: p= is empty, the key is revoked: signatures with "
		    "s=%s fail (RFC 6376 §3.6.1)",
		    q, selector);
		check_fix(f,
		    "stop signing with s=%s, or publish a new key under a "
		    "new selector",
		    selector);
		goto flags;
	}
	st = dkim_key_decode(&kr, &pk, &bits, &why);
	if (st == VOUCH_ENOMEM) {
		c->err = st;
		goto out;
	}
	if (st != VOUCH_OK) {
		f = check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_ERROR,
		    "dkim-bad-key", "%s: p= does not hold a usable key: %s", q,
		    why);
		check_fix(f, "publish the record as 'vouch keygen' writes it");
		goto flags;
	}
	k->bits = bits;
	if (kr.k == DKIM_KEY_RSA && bits < VOUCH_DKIM_RSA_MIN_BITS) {
		f = check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_ERROR,
		    "dkim-key-too-short",
		    "%s: the RSA key has %u bits: verifiers MUST NOT accept "
		    "keys under 1024 bits (RFC 8301 §3.2)",
		    q, bits);
		check_fix(f,
		    "make a 2048-bit key: 'vouch keygen -b 2048 -d %s -s "
		    "NEWSELECTOR'",
		    r->domain);
	} else if (kr.k == DKIM_KEY_RSA && bits > VOUCH_DKIM_RSA_MAX_BITS) {
		f = check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_WARNING,
		    "dkim-key-too-long",
		    "%s: the RSA key has %u bits: verifiers need only handle "
		    "4096 (RFC 8301 §3.2), so some will fail its signatures",
		    q, bits);
		check_fix(f,
		    "use a 2048-bit key: 'vouch keygen -b 2048 -d %s -s "
		    "NEWSELECTOR'",
		    r->domain);
	} else if (kr.k == DKIM_KEY_RSA && bits < 2048) {
		f = check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_WARNING,
		    "dkim-key-weak",
		    "%s: the RSA key has %u bits: accepted, but signers "
		    "SHOULD use 2048 (RFC 8301 §3.2)",
		    q, bits);
		check_fix(f,
		    "rotate to a 2048-bit key: 'vouch keygen -b 2048 -d %s "
		    "-s NEWSELECTOR'",
		    r->domain);
	}
	/* an Ed25519 key's finding waits for check_dkim_ed25519, which
	 * knows whether an RSA key was found beside it */
flags:
	if (!kr.email) {
		f = check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_ERROR,
		    "dkim-not-email",
		    "%s: s= does not list \"email\" or \"*\": the key may "
		    "not verify mail (RFC 6376 §3.6.1)",
		    q);
		check_fix(f, "remove s= from the key record");
	}
	if (k->testing) {
		f = check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_WARNING,
		    "dkim-testing",
		    "%s: t=y, the domain is testing DKIM: verifiers may "
		    "treat signatures as unsigned (RFC 6376 §3.6.1)",
		    q);
		check_fix(f, "remove t=y from the key record");
	}
	if (k->sha1_only) {
		f = check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_ERROR,
		    "dkim-sha1-only",
		    "%s: h=sha1 allows only rsa-sha1, which verifiers MUST "
		    "NOT accept (RFC 8301 §3.1)",
		    q);
		check_fix(f, "remove h= (or write h=sha256) and sign with "
		             "rsa-sha256");
	}
out:
	EVP_PKEY_free(pk);
	vouch_dns_answer_free(a);
}

/* An RSA key of the run that verifiers accept (RFC 8301 §3.1, §3.2). */
static const struct vouch_check_dkim *
usable_rsa(const struct vouch_check_report *r)
{
	size_t i;

	for (i = 0; i < r->ndkim; i++)
		if (r->dkim[i].found &&
		    strcmp(r->dkim[i].key_type, "rsa") == 0 &&
		    !r->dkim[i].revoked && !r->dkim[i].sha1_only &&
		    r->dkim[i].bits >= VOUCH_DKIM_RSA_MIN_BITS &&
		    r->dkim[i].bits <= VOUCH_DKIM_RSA_MAX_BITS)
			return &r->dkim[i];
	return NULL;
}

void
check_dkim_ed25519(struct check_ctx *c)
{
	struct vouch_check_report *r = c->r;
	const struct vouch_check_dkim *rsa = usable_rsa(r);
	size_t i;

	for (i = 0; i < r->ndkim; i++) {
		/* bits stays 0 when p= did not decode */
		if (!r->dkim[i].found || r->dkim[i].revoked ||
		    r->dkim[i].bits == 0 ||
		    strcmp(r->dkim[i].key_type, "ed25519") != 0)
			continue;
		if (rsa != NULL)
			check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_INFO,
			    "dkim-ed25519",
			    "%s._domainkey.%s: an Ed25519 key (RFC 8463), "
			    "with the RSA key of s=%s for verifiers that do "
			    "not know it yet",
			    r->dkim[i].selector, r->domain, rsa->selector);
		else
			check_add(c, VOUCH_CHECK_DKIM, VOUCH_CHECK_INFO,
			    "dkim-ed25519",
			    "%s._domainkey.%s: an Ed25519 key (RFC 8463): some "
			    "verifiers do not know it yet, so sign with an RSA "
			    "key as well",
			    r->dkim[i].selector, r->domain);
	}
}
