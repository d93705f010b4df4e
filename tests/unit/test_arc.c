/*
 * ARC (RFC 8617): ARC Set collection (§4.2.1, §5.2 steps 1 and 3), the
 * "arc" result in Authentication-Results (§6, §10), the trusted-sealer
 * hook and the sealer's refusals (§5.1 step 2, §4.2.1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/arc.h"
#include "vouch/authres.h"
#include "arc/internal.h"
#include "mail/header.h"
#include "tap.h"

#define AS(i, cv) \
	"ARC-Seal: i=" i "; a=rsa-sha256; cv=" cv "; d=example.org; s=s1;" \
	" b=AAAA\r\n"
#define AMS(i) \
	"ARC-Message-Signature: i=" i "; a=rsa-sha256; d=example.org; s=s1;" \
	" h=from; bh=AAAA; b=AAAA\r\n"
#define AAR(i) \
	"ARC-Authentication-Results: i=" i "; mx.example.org; spf=pass\r\n"
#define MSG "From: a@example.com\r\n\r\nbody\r\n"

static const struct {
	const char *name;
	const char *hdr;
	size_t nfields;
	unsigned max;
	int fault; /* a structural reason is given */
} collect_cases[] = {
    {"§5.2 step 1: no ARC field", MSG, 0, 0, 0},
    {"§4.2.1: one complete set", AS("1", "none") AMS("1") AAR("1") MSG, 3, 1,
        0},
    {"§4.2.1: two sets, any field order",
        AAR("2") AS("1", "none") AMS("2") AS("2", "pass") AMS("1") AAR("1") MSG,
        6, 2, 0},
    {"§5.2 3.1: a set without AAR", AS("1", "none") AMS("1") MSG, 2, 1, 1},
    {"§5.2 3.2: a gap (sets 1 and 3)",
        AS("1", "none") AMS("1") AAR("1") AS("3", "pass") AMS("3") AAR("3") MSG,
        6, 3, 1},
    {"§4.2.1: i=0 is not an instance", AS("0", "none") AMS("1") AAR("1") MSG, 3,
        1, 1},
    {"§4.2.1: i=51 is over the limit", AS("51", "pass") AMS("1") AAR("1") MSG,
        3, 51, 1},
    {"§4.2.1: i=999 counts as 51", AAR("999") MSG, 1, 51, 1},
    {"§4.2.1: two ARC-Seals with i=1",
        AS("1", "none") AS("1", "none") AMS("1") AAR("1") MSG, 4, 1, 1},
    {"§4.1.1: AAR without i= prefix",
        "ARC-Authentication-Results: mx.example.org; i=1; spf=pass\r\n" AS(
            "1", "none") AMS("1") MSG,
        3, 1, 1},
    {"§4.1.1: AAR with FWS around '='",
        "ARC-Authentication-Results: i = 1 ; mx.example.org\r\n" AS("1", "none")
            AMS("1") MSG,
        3, 1, 0},
    {"§4.1.2: AMS whose tag list does not parse",
        AS("1", "none") "ARC-Message-Signature: i=1; a=; a=\r\n" AAR("1") MSG,
        3, 1, 1},
    {"§4.2.1: i= with letters", AS("1x", "none") AMS("1") AAR("1") MSG, 3, 1,
        1},
};

static void
test_collect(void)
{
	struct mail_header h;
	struct arc_chain *c = malloc(sizeof(*c));
	size_t k;

	for (k = 0; k < sizeof(collect_cases) / sizeof(collect_cases[0]); k++) {
		const char *in = collect_cases[k].hdr;

		memset(&h, 0, sizeof(h));
		if (c == NULL || mail_header_parse(&h, (const uint8_t *)in,
		                     strlen(in)) != VOUCH_OK) {
			tap_check(0, "collect %s: header parses",
			    collect_cases[k].name);
			mail_header_free(&h);
			continue;
		}
		arc_collect(&h, c);
		tap_check(c->nfields == collect_cases[k].nfields &&
		              c->max == collect_cases[k].max &&
		              (c->why != NULL) == collect_cases[k].fault,
		    "collect %s: got nfields %zu max %u reason \"%s\", want "
		    "%zu "
		    "%u %s",
		    collect_cases[k].name, c->nfields, c->max,
		    c->why ? c->why : "", collect_cases[k].nfields,
		    collect_cases[k].max,
		    collect_cases[k].fault ? "a reason" : "none");
		mail_header_free(&h);
	}
	free(c);
}

/* A result of `n` sets sealed by the domains given, with their AARs. */
static struct vouch_arc_result *
fake_result(enum vouch_arc_cv cv, size_t n, const char *const *sealer,
    const char *const *aar)
{
	struct vouch_arc_result *r = calloc(1, sizeof(*r));
	size_t k;

	if (r == NULL || (r->inst = calloc(n, sizeof(*r->inst))) == NULL)
		abort();
	r->cv = cv;
	r->ninst = n;
	for (k = 0; k < n; k++) {
		r->inst[k].i = (unsigned)k + 1;
		snprintf(r->inst[k].seal_d, sizeof(r->inst[k].seal_d), "%s",
		    sealer[k]);
		if ((r->inst[k].aar = strdup(aar[k])) == NULL)
			abort();
		r->inst[k].aar_len = strlen(aar[k]);
		r->inst[k].ams_checked = r->inst[k].ams_ok = true;
	}
	return r;
}

static const struct {
	const char *name;
	enum vouch_arc_cv cv;
	const char *trusted; /* NULL: the hook is off; "a b": both */
	int override, dmarc, dkim, spf;
	unsigned instance;
	unsigned oldest_pass; /* 0: every AMS verifies */
} override_cases[] = {
    {"off by default (no trusted domain)", VOUCH_ARC_PASS, NULL, 0, 0, 0, 0, 0,
        0},
    {"a trusted sealer recorded dmarc=pass", VOUCH_ARC_PASS, "list.example", 1,
        1, 1, 0, 2, 0},
    {"trusted domains compare without case", VOUCH_ARC_PASS, "LIST.Example", 1,
        1, 1, 0, 2, 0},
    {"a sealer not in the list is ignored", VOUCH_ARC_PASS, "other.example", 0,
        0, 0, 0, 0, 0},
    {"no subdomain match", VOUCH_ARC_PASS, "example", 0, 0, 0, 0, 0, 0},
    {"a failed chain is as no chain (RFC 8617 §5.2)", VOUCH_ARC_FAIL,
        "list.example", 0, 0, 0, 0, 0, 0},
    {"RFC 8617 7.2.1: a trusted first hop below an untrusted set speaks "
     "for nothing",
        VOUCH_ARC_PASS, "fwd.example", 0, 0, 0, 0, 0, 0},
    {"both hops trusted: the newest set speaks", VOUCH_ARC_PASS,
        "fwd.example list.example", 1, 1, 1, 0, 2, 0},
    {"RFC 8617 5.2 step 5: oldest-pass above the trusted set: changed "
     "after it, no override",
        VOUCH_ARC_PASS, "list.example", 0, 1, 1, 0, 2, 3},
};

static void
test_override(void)
{
	static const char *const sealer[] = {"fwd.example", "list.example"};
	static const char *const aar[] = {
	    "fwd.example; spf=fail smtp.mailfrom=x.example; dmarc=fail",
	    "list.example; dkim=pass header.d=x.example; dmarc=pass "
	    "(p=reject)"};
	struct vouch_arc_override o;
	struct vouch_arc_result *r;
	size_t k;

	for (k = 0; k < sizeof(override_cases) / sizeof(override_cases[0]);
	     k++) {
		const char *t = override_cases[k].trusted, *two[2];
		size_t nt = t != NULL ? 1 : 0;
		char buf[64];
		enum vouch_status st;

		if (t != NULL && strchr(t, ' ') != NULL) {
			snprintf(buf, sizeof(buf), "%s", t);
			*strchr(buf, ' ') = '\0';
			two[0] = buf;
			two[1] = strchr(t, ' ') + 1;
			nt = 2;
		} else
			two[0] = t;
		r = fake_result(override_cases[k].cv, 2, sealer, aar);
		r->oldest_pass = override_cases[k].oldest_pass;
		if (r->oldest_pass > 2)
			r->inst[1].ams_ok = false;
		st = vouch_arc_trusted_override(r, nt > 0 ? two : NULL, nt, &o);
		tap_check(st == VOUCH_OK &&
		              o.override == override_cases[k].override &&
		              o.dmarc == override_cases[k].dmarc &&
		              o.dkim == override_cases[k].dkim &&
		              o.spf == override_cases[k].spf &&
		              o.instance == override_cases[k].instance,
		    "override %s: got %s override %d dmarc %d dkim %d spf %d "
		    "i=%u, want override %d dmarc %d dkim %d spf %d i=%u",
		    override_cases[k].name, vouch_status_str(st), o.override,
		    o.dmarc, o.dkim, o.spf, o.instance,
		    override_cases[k].override, override_cases[k].dmarc,
		    override_cases[k].dkim, override_cases[k].spf,
		    override_cases[k].instance);
		vouch_arc_result_free(r);
	}
}

static const struct {
	const char *name;
	enum vouch_arc_cv cv;
	unsigned oldest_pass;
	const char *ip;
	const char *want;
} authres_cases[] = {
    {"§6: pass with remote-ip and oldest-pass 0", VOUCH_ARC_PASS, 0,
        "192.0.2.1", "arc=pass smtp.remote-ip=192.0.2.1 header.oldest-pass=0"},
    {"§6: pass, oldest-pass 2", VOUCH_ARC_PASS, 2, NULL,
        "arc=pass header.oldest-pass=2"},
    {"§4.4: none", VOUCH_ARC_NONE, 0, NULL, "arc=none"},
    {"§4.4: fail carries the reason", VOUCH_ARC_FAIL, 0, "2001:db8::1",
        "arc=fail reason=\"gap\" smtp.remote-ip=\"2001:db8::1\""},
};

/* The field with its folding undone: CRLF TAB and CRLF SP removed. */
static void
unfold(char *s)
{
	char *r = s, *w = s;

	while (*r != '\0') {
		if (r[0] == '\r' && r[1] == '\n') {
			r += 2;
			if (*r == '\t' || *r == ' ')
				r++;
			if (w > s && w[-1] != ' ' && w[-1] != ';')
				*w++ = ' ';
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

static void
test_authres(void)
{
	struct vouch_authres_builder *b;
	struct vouch_arc_result r;
	char *field;
	size_t k, len;

	for (k = 0; k < sizeof(authres_cases) / sizeof(authres_cases[0]); k++) {
		memset(&r, 0, sizeof(r));
		r.cv = authres_cases[k].cv;
		r.oldest_pass = authres_cases[k].oldest_pass;
		snprintf(r.reason, sizeof(r.reason), "%s",
		    r.cv == VOUCH_ARC_FAIL ? "gap" : "");
		field = NULL;
		if (vouch_authres_new("mx.example", 10, &b) != VOUCH_OK)
			abort();
		(void)vouch_arc_authres_add(b, &r, authres_cases[k].ip);
		if (vouch_authres_finish(b, &field, &len) != VOUCH_OK)
			field = NULL;
		vouch_authres_free(b);
		if (field != NULL)
			unfold(field);
		tap_check(field != NULL && strstr(field, authres_cases[k].want),
		    "authres %s: got %s, want ... %s ...",
		    authres_cases[k].name, field ? field : "(error)",
		    authres_cases[k].want);
		free(field);
	}
}

/* RFC 8032 §7.1 TEST 1 secret key in dkimpy's seed form. */
static const char seed[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

static void
test_seal_refusals(void)
{
	struct vouch_arc_seal_req req;
	struct vouch_arc_sealer *s = NULL;
	struct vouch_dkim_key *key = NULL;
	struct vouch_arc_result chain;
	char *fields = NULL;
	size_t len = 0;
	enum vouch_status st;

	if (vouch_dkim_key_load_mem((const uint8_t *)seed, sizeof(seed) - 1,
	        &key, NULL, 0) != VOUCH_OK)
		abort();
	memset(&req, 0, sizeof(req));
	req.key = key;
	req.domain = "example.org";
	req.selector = "s1";
	req.authserv_id = "mx;evil";
	tap_check(vouch_arc_seal_new(&req, &s) == VOUCH_EINVAL,
	    "seal: an authserv-id with ';' is refused");
	req.authserv_id = "mx.example.org";
	req.alg = VOUCH_DKIM_SIGN_RSA_SHA256;
	tap_check(vouch_arc_seal_new(&req, &s) == VOUCH_EINVAL,
	    "seal: rsa-sha256 with an Ed25519 key is refused");
	req.alg = VOUCH_DKIM_SIGN_ALG_AUTO;
	{
		static const char *const bad[] = {"ARC-Seal"};

		req.headers = bad;
		req.nheaders = 1;
		tap_check(vouch_arc_seal_new(&req, &s) == VOUCH_EINVAL,
		    "seal: RFC 8617 §4.1.2, an ARC field in h= is refused");
		req.headers = NULL;
		req.nheaders = 0;
	}

	/* §5.1 step 2: a chain whose newest ARC-Seal says cv=fail */
	memset(&chain, 0, sizeof(chain));
	chain.cv = VOUCH_ARC_FAIL;
	chain.last_cv_fail = true;
	chain.max_instance = 2;
	if (vouch_arc_seal_new(&req, &s) != VOUCH_OK)
		abort();
	st = vouch_arc_seal_update(s, (const uint8_t *)MSG, strlen(MSG));
	if (st == VOUCH_OK)
		st = vouch_arc_seal_finish(s, &chain, true, &fields, &len);
	tap_check(st == VOUCH_OK && fields == NULL && len == 0,
	    "seal: RFC 8617 §5.1 step 2, no set after cv=fail: got %s, %zu "
	    "bytes",
	    vouch_status_str(st), len);
	vouch_arc_seal_free(s);
	free(fields);
	fields = NULL;

	/* §4.2.1: no 51st set */
	chain.last_cv_fail = false;
	chain.cv = VOUCH_ARC_PASS;
	chain.max_instance = VOUCH_ARC_MAX_INSTANCES;
	if (vouch_arc_seal_new(&req, &s) != VOUCH_OK)
		abort();
	st = vouch_arc_seal_update(s, (const uint8_t *)MSG, strlen(MSG));
	if (st == VOUCH_OK)
		st = vouch_arc_seal_finish(s, &chain, true, &fields, &len);
	tap_check(st == VOUCH_ELIMIT && fields == NULL,
	    "seal: RFC 8617 §4.2.1, no 51st set: got %s", vouch_status_str(st));
	vouch_arc_seal_free(s);
	free(fields);
	fields = NULL;

	/* A first set: i=1, cv=none, the three fields in order. */
	chain.cv = VOUCH_ARC_NONE;
	chain.max_instance = 0;
	if (vouch_arc_seal_new(&req, &s) != VOUCH_OK)
		abort();
	st = vouch_arc_seal_update(s, (const uint8_t *)MSG, strlen(MSG));
	if (st == VOUCH_OK)
		st = vouch_arc_seal_finish(s, &chain, true, &fields, &len);
	tap_check(
	    st == VOUCH_OK && fields != NULL &&
	        strncmp(fields, "ARC-Seal: a=ed25519-sha256; b=", 30) == 0 &&
	        strstr(fields, "cv=none; d=example.org; i=1; s=s1;") &&
	        strstr(fields, "\r\nARC-Message-Signature: ") &&
	        strstr(fields, "\r\nARC-Authentication-Results: i=1; "
	                       "mx.example.org;\r\n\tnone\r\n"),
	    "seal: a first set, ARC-Seal first, cv=none, AAR \"none\" without "
	    "results: got %s, %zu bytes",
	    vouch_status_str(st), len);
	vouch_arc_seal_free(s);
	free(fields);
	vouch_dkim_key_free(key);
}

/*
 * Requests vouch_arc_seal_req_check must refuse, each naming the member
 * that is wrong, so that a caller can name the option (vouch arc seal
 * once said the same for all of them).  Built on a good request
 * (Ed25519 key, d=example.org, s=s1, authserv-id mx.example.org); a
 * member left NULL in a row keeps the good value, `unset` sets it NULL.
 */
static const char unset[] = "(unset)";
static const char *const h_arc_seal[] = {"From", "ARC-Seal"};
static const char *const h_ams_lower[] = {"from", "arc-message-signature"};
static const char *const h_authres[] = {"From", "Authentication-Results"};
static const char *const h_space[] = {"From", "Sub ject"};
static const char *const h_colon[] = {"From:To"};
static const char *const h_null[] = {"From", NULL};
static const char *const h_empty[] = {"From", "", "To"};
static const char *h_many[VOUCH_DKIM_SIGN_MAX_HEADERS + 1];
static char long_id[VOUCH_AUTHRES_MAX_ID + 2];
static char max_id[VOUCH_AUTHRES_MAX_ID + 1];
static const struct {
	const char *name;
	bool no_key;
	enum vouch_dkim_sign_alg alg;
	const char *domain, *selector, *authserv_id;
	const char *const *headers;
	size_t nheaders;
	int64_t now;
	enum vouch_arc_seal_req_part want;
	const char *want_reason; /* a part of the reason */
} check_tests[] = {
    {"the good request", false, 0, NULL, NULL, NULL, NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_OK, ""},
    {"no key", true, 0, NULL, NULL, NULL, NULL, 0, 0, VOUCH_ARC_SEAL_REQ_KEY,
        "no key"},
    /* RFC 6376 §3.5 d=, s=: the DKIM signer's rule */
    {"d= with a space", false, 0, "ex ample.org", NULL, NULL, NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_DOMAIN, "not a domain name"},
    {"d= with an empty label", false, 0, "example..org", NULL, NULL, NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_DOMAIN, "at most 63 bytes each"},
    {"empty d=", false, 0, "", NULL, NULL, NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_DOMAIN, "not a domain name"},
    {"no d=", false, 0, unset, NULL, NULL, NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_DOMAIN, "not a domain name"},
    {"s= with a slash", false, 0, NULL, "a/b", NULL, NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_SELECTOR, "not a domain name"},
    {"no s=", false, 0, NULL, unset, NULL, NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_SELECTOR, "not a domain name"},
    /*
     * What arc/verify.c valid_name refuses ("AMS: d= is not a domain
     * name", "s= is not a selector") is never sealed: a final dot.
     */
    {"d= with a final dot (verifier: AMS: d= is not a domain name)", false, 0,
        "example.org.", NULL, NULL, NULL, 0, 0, VOUCH_ARC_SEAL_REQ_DOMAIN,
        "a final dot"},
    {"s= with a final dot (verifier: s= is not a selector)", false, 0, NULL,
        "s1.", NULL, NULL, 0, 0, VOUCH_ARC_SEAL_REQ_SELECTOR, "a final dot"},
    /* stricter than the verifier: RFC 5321 §4.1.2 labels, no edge '-' */
    {"d= label starting with '-' (RFC 5321 §4.1.2)", false, 0, "-example.org",
        NULL, NULL, NULL, 0, 0, VOUCH_ARC_SEAL_REQ_DOMAIN, "starts with '-'"},
    {"s= ending with '-' (RFC 5321 §4.1.2)", false, 0, NULL, "s1-", NULL, NULL,
        0, 0, VOUCH_ARC_SEAL_REQ_SELECTOR, "ends with '-'"},
    {"s= with '_' (verifiers take it)", false, 0, NULL, "s_1", NULL, NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_OK, ""},
    {"rsa-sha256 with an Ed25519 key (RFC 8463)", false,
        VOUCH_DKIM_SIGN_RSA_SHA256, NULL, NULL, NULL, NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_ALG, "an Ed25519 key"},
    {"ed25519-sha256 with an Ed25519 key", false,
        VOUCH_DKIM_SIGN_ED25519_SHA256, NULL, NULL, NULL, NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_OK, ""},
    {"an unknown algorithm", false, (enum vouch_dkim_sign_alg)7, NULL, NULL,
        NULL, NULL, 0, 0, VOUCH_ARC_SEAL_REQ_ALG, "not an algorithm"},
    /* RFC 8601 §2.2: the authserv-id is a value, written as a token */
    {"authserv-id with ';' (RFC 8601 §2.2)", false, 0, NULL, NULL, "mx;evil",
        NULL, 0, 0, VOUCH_ARC_SEAL_REQ_AUTHSERV_ID, "not a token"},
    {"authserv-id with a space", false, 0, NULL, NULL, "mx example", NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_AUTHSERV_ID, "RFC 8601 §2.2"},
    {"authserv-id with DEL", false, 0, NULL, NULL, "mx\x7f", NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_AUTHSERV_ID, "not a token"},
    {"empty authserv-id", false, 0, NULL, NULL, "", NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_AUTHSERV_ID, "empty"},
    {"no authserv-id", false, 0, NULL, NULL, unset, NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_AUTHSERV_ID, "no authserv-id"},
    {"authserv-id of 256 bytes", false, 0, NULL, NULL, long_id, NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_AUTHSERV_ID, "longer than 255 bytes"},
    {"authserv-id of 255 bytes", false, 0, NULL, NULL, max_id, NULL, 0, 0,
        VOUCH_ARC_SEAL_REQ_OK, ""},
    {"authserv-id in UTF-8", false, 0, NULL, NULL,
        "mx.b\xc3\xbc"
        "cher.example",
        NULL, 0, 0, VOUCH_ARC_SEAL_REQ_OK, ""},
    /* RFC 8617 §4.1.2: ARC fields, Authentication-Results never signed */
    {"h= with ARC-Seal (RFC 8617 §4.1.2)", false, 0, NULL, NULL, NULL,
        h_arc_seal, 2, 0, VOUCH_ARC_SEAL_REQ_HEADERS, "RFC 8617 §4.1.2"},
    {"h= with arc-message-signature (RFC 8617 §4.1.2)", false, 0, NULL, NULL,
        NULL, h_ams_lower, 2, 0, VOUCH_ARC_SEAL_REQ_HEADERS,
        "never signed in the AMS"},
    {"h= with Authentication-Results (RFC 8617 §4.1.2)", false, 0, NULL, NULL,
        NULL, h_authres, 2, 0, VOUCH_ARC_SEAL_REQ_HEADERS, "RFC 8617 §4.1.2"},
    {"h= name with a space (RFC 5322 §3.6.8)", false, 0, NULL, NULL, NULL,
        h_space, 2, 0, VOUCH_ARC_SEAL_REQ_HEADERS, "not a header field name"},
    {"h= name with a colon (RFC 5322 §3.6.8)", false, 0, NULL, NULL, NULL,
        h_colon, 1, 0, VOUCH_ARC_SEAL_REQ_HEADERS, "not a header field name"},
    {"h= with an empty name (-H From::To)", false, 0, NULL, NULL, NULL, h_empty,
        3, 0, VOUCH_ARC_SEAL_REQ_HEADERS, "an empty name"},
    {"h= name NULL", false, 0, NULL, NULL, NULL, h_null, 2, 0,
        VOUCH_ARC_SEAL_REQ_HEADERS, "not a header field name"},
    {"h= with no name", false, 0, NULL, NULL, NULL, h_space, 0, 0,
        VOUCH_ARC_SEAL_REQ_HEADERS, "want 1 to 64 header names"},
    {"h= with 65 names", false, 0, NULL, NULL, NULL, h_many,
        VOUCH_DKIM_SIGN_MAX_HEADERS + 1, 0, VOUCH_ARC_SEAL_REQ_HEADERS,
        "want 1 to 64 header names"},
    {"h= with 64 names", false, 0, NULL, NULL, NULL, h_many,
        VOUCH_DKIM_SIGN_MAX_HEADERS, 0, VOUCH_ARC_SEAL_REQ_OK, ""},
    {"t= before 1970", false, 0, NULL, NULL, NULL, NULL, 0, -1,
        VOUCH_ARC_SEAL_REQ_NOW, "before 1970"},
    /* the first member found wrong is the one named */
    {"bad d= and bad authserv-id: d= named", false, 0, "a b", NULL, "x;y", NULL,
        0, 0, VOUCH_ARC_SEAL_REQ_DOMAIN, "not a domain name"},
};

/* A row's value for a member: the good one, NULL (unset), or its own. */
static const char *
row_value(const char *row, const char *good)
{
	if (row == unset)
		return NULL;
	return row != NULL ? row : good;
}

/* vouch_arc_seal_req_check, and vouch_arc_seal_new agreeing with it. */
static void
test_seal_req_check(void)
{
	struct vouch_arc_seal_req r;
	struct vouch_arc_sealer *s;
	struct vouch_dkim_key *key = NULL;
	enum vouch_arc_seal_req_part part;
	enum vouch_status st, st_new;
	const char *why;
	size_t i;

	if (vouch_dkim_key_load_mem((const uint8_t *)seed, sizeof(seed) - 1,
	        &key, NULL, 0) != VOUCH_OK)
		abort();
	for (i = 0; i < VOUCH_DKIM_SIGN_MAX_HEADERS + 1; i++)
		h_many[i] = i == 0 ? "From" : "X-Name";
	memset(long_id, 'm', sizeof(long_id) - 1);
	memset(max_id, 'm', sizeof(max_id) - 1);
	for (i = 0; i < sizeof(check_tests) / sizeof(check_tests[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.key = check_tests[i].no_key ? NULL : key;
		r.alg = check_tests[i].alg;
		r.domain = row_value(check_tests[i].domain, "example.org");
		r.selector = row_value(check_tests[i].selector, "s1");
		r.authserv_id =
		    row_value(check_tests[i].authserv_id, "mx.example.org");
		r.headers = check_tests[i].headers;
		r.nheaders = check_tests[i].nheaders;
		r.now = check_tests[i].now;
		st = vouch_arc_seal_req_check(&r, &part, &why);
		tap_check(part == check_tests[i].want &&
		              (st == VOUCH_OK) == (check_tests[i].want ==
		                                      VOUCH_ARC_SEAL_REQ_OK) &&
		              strstr(why, check_tests[i].want_reason) != NULL,
		    "seal check %s: got part %d (%s), want %d (%s)",
		    check_tests[i].name, (int)part, why,
		    (int)check_tests[i].want, check_tests[i].want_reason);
		s = NULL;
		st_new = vouch_arc_seal_new(&r, &s);
		tap_check(st_new == st, "seal_new agrees, %s: got %s, want %s",
		    check_tests[i].name, vouch_status_str(st_new),
		    vouch_status_str(st));
		vouch_arc_seal_free(s);
	}
	st = vouch_arc_seal_req_check(NULL, &part, &why);
	tap_check(st == VOUCH_EINVAL && part == VOUCH_ARC_SEAL_REQ_OK &&
	              strcmp(why, "") == 0,
	    "seal check of no request: got %s", vouch_status_str(st));
	s = NULL;
	tap_check(vouch_arc_seal_new(NULL, &s) == VOUCH_EINVAL && s == NULL,
	    "seal_new of no request: EINVAL");
	vouch_dkim_key_free(key);
}

int
main(void)
{
	tap_check(
	    strcmp(vouch_arc_cv_str(VOUCH_ARC_NONE), "none") == 0 &&
	        strcmp(vouch_arc_cv_str(VOUCH_ARC_PASS), "pass") == 0 &&
	        strcmp(vouch_arc_cv_str(VOUCH_ARC_FAIL), "fail") == 0 &&
	        strcmp(vouch_arc_cv_str((enum vouch_arc_cv)9), "unknown") == 0,
	    "RFC 8617 §4.4: cv words");
	test_collect();
	test_override();
	test_authres();
	test_seal_refusals();
	test_seal_req_check();
	return tap_done();
}
