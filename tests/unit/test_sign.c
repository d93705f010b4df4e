/*
 * Unit tests of the DKIM signer (src/lib/dkim/sign.c, RFC 6376 §5,
 * RFC 8463).  Ed25519 signatures are deterministic (RFC 8032 §5.1.6), so
 * with a fixed t= the whole field is reproducible.  Verification against
 * other implementations is in tests/interop/dkim_interop.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "tap.h"
#include "vouch/dkim_sign.h"
#include "vouch/limits.h"

/* RFC 8032 §7.1 TEST 1 secret key, dkimpy's base64 seed format. */
#define RFC8032_SEED "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="

/* The RFC 6376 / RFC 8463 Appendix A example message. */
static const char rfc8463_msg[] =
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n";

static struct vouch_dkim_key *edkey;

/* Sign `msg` fed in chunks of `chunk` bytes; returns the fields or NULL. */
static char *
sign(const char *msg, size_t len, const struct vouch_dkim_sign_req *req,
    size_t nreq, size_t chunk, bool crlf, enum vouch_status *stp, char *reason,
    size_t reasonlen)
{
	struct vouch_dkim_sign *s;
	enum vouch_status st;
	char *fields = NULL;
	size_t off, n, flen;

	if (reason != NULL)
		reason[0] = '\0';
	st = vouch_dkim_sign_new(req, nreq, 1528637909, &s);
	if (st != VOUCH_OK) {
		*stp = st;
		return NULL;
	}
	for (off = 0; off < len && st == VOUCH_OK; off += n) {
		n = len - off < chunk ? len - off : chunk;
		st = vouch_dkim_sign_update(s, (const uint8_t *)msg + off, n);
	}
	if (st == VOUCH_OK)
		st = vouch_dkim_sign_finish(s, crlf, &fields, &flen);
	if (st == VOUCH_OK && strlen(fields) != flen)
		st = VOUCH_EINVAL;
	if (reason != NULL)
		snprintf(reason, reasonlen, "%s", vouch_dkim_sign_error(s));
	vouch_dkim_sign_free(s);
	*stp = st;
	return fields;
}

/* The value of tag `tag` ("bh", "h", ...) of an unfolded copy. */
static void
tag_value(const char *field, const char *tag, char *out, size_t cap)
{
	char flat[4096], key[16];
	const char *p, *e;
	size_t i, j = 0;

	out[0] = '\0';
	/* a folded line starts with TAB: unfold to one SP */
	for (i = 0; field[i] != '\0' && j + 1 < sizeof(flat); i++)
		if (field[i] != '\r' && field[i] != '\n')
			flat[j++] = field[i] == '\t' ? ' ' : field[i];
	flat[j] = '\0';
	snprintf(key, sizeof(key), " %s=", tag);
	if ((p = strstr(flat, key)) == NULL)
		return;
	p += strlen(key);
	e = strchr(p, ';');
	if (e == NULL)
		e = p + strlen(p);
	/* FWS inside a value (h=, b=) is not part of it */
	for (j = 0; p < e && j + 1 < cap; p++)
		if (*p != ' ')
			out[j++] = *p;
	out[j] = '\0';
}

static struct vouch_dkim_sign_req
ed_req(bool hrel, bool brel)
{
	struct vouch_dkim_sign_req r;

	memset(&r, 0, sizeof(r));
	r.key = edkey;
	r.domain = "football.example.com";
	r.selector = "brisbane";
	r.header_relaxed = hrel;
	r.body_relaxed = brel;
	return r;
}

/* Body hashes, RFC 6376 §3.4.3-§3.4.4 and RFC 8463 A.3. */
static const struct {
	const char *name;
	const char *msg;
	bool relaxed;
	const char *want_bh;
} bh_tests[] = {
    /* §3.4.3: an empty body is one CRLF for simple */
    {"empty body, simple", "From: a@b.example\r\n\r\n", false,
        "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY="},
    /* §3.4.4: and nothing for relaxed */
    {"empty body, relaxed", "From: a@b.example\r\n\r\n", true,
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
    {"no separator, relaxed", "From: a@b.example\r\n", true,
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
    {"trailing empty lines, simple", "From: a@b.example\r\n\r\n\r\n\r\n", false,
        "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY="},
    {"RFC 8463 A.3 body, relaxed", rfc8463_msg, true,
        "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="},
    {"bare LF body same as CRLF",
        "From: Joe SixPack <joe@football.example.com>\n\nHi.\n\nWe lost "
        "the game.  Are you hungry yet?\n\nJoe.\n\n\n",
        true, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="},
};

/*
 * A body whose canonical form (simple and relaxed alike) is itself: short
 * lines, and lines of 3,000 and 9,000 bytes without WSP, with empty lines
 * between them (which end a run).  Canonical bytes come out in long runs
 * after short ones; they must be hashed in order.  The signer before
 * perf6s (main at c5cebe3) hashed a run of 2 to 4 KiB before the short
 * runs it still held back: a wrong bh= for such bodies.
 */
static void
long_run_tests(void)
{
	static char msg[16384];
	static const size_t chunks[] = {SIZE_MAX, 1000, 7};
	struct vouch_dkim_sign_req req;
	uint8_t md[SHA256_DIGEST_LENGTH];
	char want[64], got[512], *f;
	size_t hlen, len, i, c;
	enum vouch_status st;
	int rel;

	hlen = (size_t)snprintf(msg, sizeof(msg), "From: a@b.example\r\n\r\n");
	len = hlen;
	len += (size_t)snprintf(msg + len, sizeof(msg) - len, "x\r\n\r\n");
	for (c = 0; c < 2; c++) {
		for (i = 0; i < (c == 0 ? 3000u : 9000u); i++)
			msg[len++] = (char)('a' + i % 26);
		len += (size_t)snprintf(
		    msg + len, sizeof(msg) - len, "\r\n\r\ny\r\n\r\n");
	}
	/* the body ends in an empty line, which is not part of it (§3.4.3) */
	SHA256((const uint8_t *)msg + hlen, len - hlen - 2, md);
	EVP_EncodeBlock((unsigned char *)want, md, sizeof(md));
	for (rel = 0; rel < 2; rel++)
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
			req = ed_req(true, rel);
			f = sign(
			    msg, len, &req, 1, chunks[c], true, &st, NULL, 0);
			got[0] = '\0';
			if (f != NULL)
				tag_value(f, "bh", got, sizeof(got));
			tap_check(st == VOUCH_OK && strcmp(got, want) == 0,
			    "bh= of long runs after short ones, %s body, "
			    "chunks of %zu: got %s, want %s",
			    rel ? "relaxed" : "simple", chunks[c], got, want);
			free(f);
		}
}

/* The default header list, RFC 6376 §5.4.1 and oversigning (§8.15). */
static const struct {
	const char *name;
	const char *msg;
	const char *want_h;
} h_tests[] = {
    {"minimal message", "From: a@b.example\r\n\r\nx\r\n",
        "From:From:To:Subject:Date:Message-ID:MIME-Version:Content-Type:"
        "Content-Transfer-Encoding"},
    {"repeated To, Cc and List-Id",
        "From: a@b.example\r\nTo: c@d.example\r\nto: e@f.example\r\n"
        "Cc: g@h.example\r\nList-Id: <l.example>\r\nReceived: x\r\n"
        "X-Mailer: y\r\n\r\nbody\r\n",
        "From:From:To:To:To:Subject:Date:Message-ID:MIME-Version:"
        "Content-Type:Content-Transfer-Encoding:Cc:List-Id"},
};

/* Messages the signer must refuse (RFC 6376 §5.4, RFC 5322 §3.6). */
static const struct {
	const char *name;
	const char *msg;
	enum vouch_status want;
} refuse_tests[] = {
    {"no From", "To: a@b.example\r\nSubject: x\r\n\r\nbody\r\n", VOUCH_ESYNTAX},
    {"two From", "From: a@b.example\r\nFrom: c@d.example\r\n\r\nx\r\n",
        VOUCH_ESYNTAX},
    {"empty message", "", VOUCH_ESYNTAX},
    {"no header", "\r\nbody\r\n", VOUCH_ESYNTAX},
};

/*
 * Requests vouch_dkim_sign_req_check must refuse, each naming the member
 * that is wrong, so that a caller can name the option (vouch dkim sign
 * once said the same for all of them).  Built on ed_req (Ed25519 key,
 * d=football.example.com); key_rsa swaps in the RSA key.
 */
static const char *const no_from[] = {"Subject", "To"};
static const char *const bad_name[] = {"From", "Sub ject"};
static const char *const empty_name[] = {"From", "", "To"};
/* d= of 240 and 233 bytes: with s=brisbane, key names of 260 and 253 */
#define D240 \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" \
	"bbbbbbbbbbbbbbbbbbb.cccccccccccccccccccccccccccccc" \
	"ccccccccccccccccccccccccccccc.dddddddddddddddddddd" \
	"dddddddddddddddddddddddddddddddddddddddd"
#define D233 \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" \
	"bbbbbbbbbbbbbbbbbbb.cccccccccccccccccccccccccccccc" \
	"ccccccccccccccccccccccccccccc.dddddddddddddddddddd" \
	"ddddddddddddddddddddddddddddddddd"
static const struct {
	const char *name;
	bool key_rsa;
	enum vouch_dkim_sign_alg alg;
	const char *domain, *selector, *auid;
	const char *const *headers;
	size_t nheaders;
	enum vouch_dkim_sign_req_part want;
	const char *want_reason; /* a part of the reason */
} check_tests[] = {
    {"the default request", false, 0, NULL, NULL, NULL, NULL, 0,
        VOUCH_DKIM_SIGN_REQ_OK, ""},
    {"i= a subdomain of d= (RFC 6376 §3.5)", false, 0, NULL, NULL,
        "joe@eng.football.example.com", NULL, 0, VOUCH_DKIM_SIGN_REQ_OK, ""},
    {"i= of d= in other case (RFC 6376 §3.5)", false, 0, NULL, NULL,
        "@Football.Example.COM", NULL, 0, VOUCH_DKIM_SIGN_REQ_OK, ""},
    {"d= with a space", false, 0, "foot ball.example", NULL, NULL, NULL, 0,
        VOUCH_DKIM_SIGN_REQ_DOMAIN, "not a domain name"},
    {"d= with an empty label", false, 0, "foot..example", NULL, NULL, NULL, 0,
        VOUCH_DKIM_SIGN_REQ_DOMAIN, "at most 63 bytes each"},
    {"empty d=", false, 0, "", NULL, NULL, NULL, 0, VOUCH_DKIM_SIGN_REQ_DOMAIN,
        "not a domain name"},
    {"s= with a slash", false, 0, NULL, "a/b", NULL, NULL, 0,
        VOUCH_DKIM_SIGN_REQ_SELECTOR, "not a domain name"},
    {"rsa-sha256 with an Ed25519 key", false, VOUCH_DKIM_SIGN_RSA_SHA256, NULL,
        NULL, NULL, NULL, 0, VOUCH_DKIM_SIGN_REQ_ALG, "an Ed25519 key"},
    {"ed25519-sha256 with an RSA key", true, VOUCH_DKIM_SIGN_ED25519_SHA256,
        NULL, NULL, NULL, NULL, 0, VOUCH_DKIM_SIGN_REQ_ALG, "an RSA key"},
    {"an unknown algorithm", false, (enum vouch_dkim_sign_alg)7, NULL, NULL,
        NULL, NULL, 0, VOUCH_DKIM_SIGN_REQ_ALG, "not an algorithm"},
    /* RFC 6376 §3.5: i= is d= or a subdomain of it */
    {"i= outside d= (RFC 6376 §3.5)", false, 0, NULL, NULL, "joe@example.com",
        NULL, 0, VOUCH_DKIM_SIGN_REQ_AUID,
        "not the same as d= or a subdomain of it (RFC 6376 §3.5)"},
    {"i= in a look-alike of d= (RFC 6376 §3.5)", false, 0, NULL, NULL,
        "joe@xfootball.example.com", NULL, 0, VOUCH_DKIM_SIGN_REQ_AUID,
        "not the same as d="},
    {"i= without '@'", false, 0, NULL, NULL, "football.example.com", NULL, 0,
        VOUCH_DKIM_SIGN_REQ_AUID, "[local-part]@domain"},
    {"i= with a bad domain", false, 0, NULL, NULL, "joe@foot..example.com",
        NULL, 0, VOUCH_DKIM_SIGN_REQ_AUID, "after '@' is not a domain"},
    {"i= with '='", false, 0, NULL, NULL, "a=b@football.example.com", NULL, 0,
        VOUCH_DKIM_SIGN_REQ_AUID, "without ';' or '='"},
    /* RFC 6376 §5.4: From MUST be signed */
    {"a header list without From (RFC 6376 §5.4)", false, 0, NULL, NULL, NULL,
        no_from, 2, VOUCH_DKIM_SIGN_REQ_HEADERS, "From"},
    {"a header name with a space (RFC 5322 §3.6.8)", false, 0, NULL, NULL, NULL,
        bad_name, 2, VOUCH_DKIM_SIGN_REQ_HEADERS, "not a header field name"},
    {"an empty header list", false, 0, NULL, NULL, NULL, no_from, 0,
        VOUCH_DKIM_SIGN_REQ_HEADERS, "want 1 to 64"},
    /*
     * What the verifiers refuse (dkim/verify.c valid_domain: "bad domain
     * in d=", "bad selector in s="; arc/verify.c valid_name: "AMS: d= is
     * not a domain name") is never signed: a final dot, and a key name
     * over 253 bytes ("key name too long").
     */
    {"d= with a final dot (verifier: bad domain in d=)", false, 0,
        "football.example.com.", NULL, NULL, NULL, 0,
        VOUCH_DKIM_SIGN_REQ_DOMAIN, "a final dot"},
    {"s= with a final dot (verifier: bad selector in s=)", false, 0, NULL,
        "brisbane.", NULL, NULL, 0, VOUCH_DKIM_SIGN_REQ_SELECTOR,
        "a final dot"},
    {"d= of a dot alone", false, 0, ".", NULL, NULL, NULL, 0,
        VOUCH_DKIM_SIGN_REQ_DOMAIN, "an empty label"},
    {"key name of 260 bytes (verifier: key name too long)", false, 0, D240,
        NULL, NULL, NULL, 0, VOUCH_DKIM_SIGN_REQ_SELECTOR,
        "longer than 253 bytes"},
    {"key name of 253 bytes", false, 0, D233, NULL, NULL, NULL, 0,
        VOUCH_DKIM_SIGN_REQ_OK, ""},
    /*
     * Stricter than our verifier, which takes any '-': RFC 6376 §3.5 d=
     * and §3.1 s= are sub-domains of RFC 5321 §4.1.2, whose labels
     * neither start nor end with '-' (RFC 1035 §2.3.1).
     */
    {"d= label starting with '-' (RFC 5321 §4.1.2)", false, 0,
        "-football.example.com", NULL, NULL, NULL, 0,
        VOUCH_DKIM_SIGN_REQ_DOMAIN, "starts with '-'"},
    {"d= inner label ending with '-' (RFC 5321 §4.1.2)", false, 0,
        "football-.example.com", NULL, NULL, NULL, 0,
        VOUCH_DKIM_SIGN_REQ_DOMAIN, "ends with '-'"},
    {"d= last label ending with '-' (RFC 5321 §4.1.2)", false, 0,
        "football.example-", NULL, NULL, NULL, 0, VOUCH_DKIM_SIGN_REQ_DOMAIN,
        "ends with '-'"},
    {"s= starting with '-' (RFC 6376 §3.1, RFC 5321 §4.1.2)", false, 0, NULL,
        "-brisbane", NULL, NULL, 0, VOUCH_DKIM_SIGN_REQ_SELECTOR,
        "starts with '-'"},
    {"d= with '-' inside a label", false, 0, "foot-ball.example.com", NULL,
        "@foot-ball.example.com", NULL, 0, VOUCH_DKIM_SIGN_REQ_OK, ""},
    /* '_' as our verifier and others take it (published selectors) */
    {"s= with '_' (verifiers take it)", false, 0, NULL, "_bris_bane", NULL,
        NULL, 0, VOUCH_DKIM_SIGN_REQ_OK, ""},
    {"a header list with an empty name (RFC 5322 §3.6.8)", false, 0, NULL, NULL,
        NULL, empty_name, 3, VOUCH_DKIM_SIGN_REQ_HEADERS, "an empty name"},
    /* the first member found wrong is the one named */
    {"bad d= and bad i=: d= named", false, 0, "a b", NULL, "x", NULL, 0,
        VOUCH_DKIM_SIGN_REQ_DOMAIN, "not a domain name"},
};

/* vouch_dkim_sign_req_check, and vouch_dkim_sign_new agreeing with it. */
static void
check_req_tests(struct vouch_dkim_key *rsakey)
{
	struct vouch_dkim_sign_req r;
	struct vouch_dkim_sign *s;
	enum vouch_dkim_sign_req_part part;
	enum vouch_status st, st_new;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(check_tests) / sizeof(check_tests[0]); i++) {
		r = ed_req(true, true);
		if (check_tests[i].key_rsa)
			r.key = rsakey;
		r.alg = check_tests[i].alg;
		if (check_tests[i].domain != NULL)
			r.domain = check_tests[i].domain;
		if (check_tests[i].selector != NULL)
			r.selector = check_tests[i].selector;
		r.auid = check_tests[i].auid;
		r.headers = check_tests[i].headers;
		r.nheaders = check_tests[i].nheaders;
		st = vouch_dkim_sign_req_check(&r, &part, &why);
		tap_check(part == check_tests[i].want &&
		              (st == VOUCH_OK) == (check_tests[i].want ==
		                                      VOUCH_DKIM_SIGN_REQ_OK) &&
		              strstr(why, check_tests[i].want_reason) != NULL,
		    "check %s: got part %d (%s), want %d (%s)",
		    check_tests[i].name, (int)part, why,
		    (int)check_tests[i].want, check_tests[i].want_reason);
		s = NULL;
		st_new = vouch_dkim_sign_new(&r, 1, 0, &s);
		tap_check(st_new == st, "sign_new agrees, %s: got %s, want %s",
		    check_tests[i].name, vouch_status_str(st_new),
		    vouch_status_str(st));
		vouch_dkim_sign_free(s);
	}
	st = vouch_dkim_sign_req_check(NULL, &part, &why);
	tap_check(st == VOUCH_EINVAL && part == VOUCH_DKIM_SIGN_REQ_OK &&
	              strcmp(why, "") == 0,
	    "check of no request: got %s", vouch_status_str(st));
}

static int
lines_under_78(const char *f)
{
	size_t col = 0;

	for (; *f != '\0'; f++) {
		if (*f == '\r' || *f == '\n')
			col = 0;
		else
			col += *f == '\t' ? 8 - col % 8 : 1;
		if (col >= 78)
			return 0;
	}
	return 1;
}

/* The signature function of an external key: the "holder" is a loaded key
 * signing the digest, as vouchd's signer process does. */
static enum vouch_status
holder_sign(void *arg, enum vouch_dkim_sign_alg alg, const uint8_t *digest,
    size_t dlen, uint8_t *sig, size_t cap, size_t *siglen)
{
	return vouch_dkim_key_sign_digest(
	    arg, alg, digest, dlen, sig, cap, siglen);
}

/* Every signature made through an external key equals the one the key
 * itself makes (RSASSA-PKCS1-v1_5 and Ed25519 are deterministic). */
static void
external_tests(struct vouch_dkim_key *rsakey)
{
	struct vouch_dkim_key *keys[2] = {edkey, rsakey}, *ext = NULL;
	struct vouch_dkim_sign_req req;
	enum vouch_status st, st2;
	uint8_t digest[32] = {1}, sig[8];
	char *f, *g;
	size_t i, n;

	for (i = 0; i < 2; i++) {
		st = vouch_dkim_key_new_external(vouch_dkim_key_type(keys[i]),
		    vouch_dkim_key_bits(keys[i]), holder_sign, keys[i], &ext);
		req = ed_req(true, true);
		req.key = keys[i];
		f = sign(rfc8463_msg, strlen(rfc8463_msg), &req, 1, 7, true,
		    &st2, NULL, 0);
		req.key = ext;
		g = st == VOUCH_OK ? sign(rfc8463_msg, strlen(rfc8463_msg),
		                         &req, 1, 7, true, &st2, NULL, 0)
		                   : NULL;
		tap_check(f != NULL && g != NULL && strcmp(f, g) == 0,
		    "external %s key: the same DKIM-Signature as the key's own",
		    i == 0 ? "Ed25519" : "RSA");
		tap_check(ext != NULL && vouch_dkim_key_write_private(ext,
		                             "/nonexistent/x") == VOUCH_EINVAL,
		    "an external key has no private half to write");
		free(f);
		free(g);
		vouch_dkim_key_free(ext);
		ext = NULL;
	}
	/* OversignHeaders: only the names given get the extra entry */
	{
		static const char *const over[] = {"Subject", "X-Late"};
		char h[512];

		req = ed_req(true, true);
		req.oversign_headers = over;
		req.noversign_headers = 2;
		f = sign(rfc8463_msg, strlen(rfc8463_msg), &req, 1, 64, true,
		    &st2, NULL, 0);
		h[0] = '\0';
		if (f != NULL)
			tag_value(f, "h", h, sizeof(h));
		tap_check(strcmp(h, "from:to:subject:subject:date:message-id:"
		                    "x-late") == 0 ||
		              strcmp(h, "From:To:Subject:Subject:Date:"
		                        "Message-ID:X-Late") == 0,
		    "oversign_headers: got h=%s", h);
		free(f);
	}
	tap_check(vouch_dkim_key_new_external(VOUCH_DKIM_KEY_RSA, 512,
	              holder_sign, rsakey, &ext) == VOUCH_EINVAL &&
	              ext == NULL,
	    "external RSA key of 512 bits refused (RFC 8301 3.2)");
	tap_check(vouch_dkim_key_sign_digest(edkey, VOUCH_DKIM_SIGN_ALG_AUTO,
	              digest, 32, sig, sizeof(sig), &n) == VOUCH_EINVAL,
	    "sign_digest: a buffer under 64 bytes for Ed25519 is refused");
	tap_check(vouch_dkim_key_sign_digest(edkey, VOUCH_DKIM_SIGN_RSA_SHA256,
	              digest, 32, sig, sizeof(sig), &n) == VOUCH_EINVAL,
	    "sign_digest: rsa-sha256 with an Ed25519 key is refused");
}

int
main(void)
{
	struct vouch_dkim_sign_req req[3];
	struct vouch_dkim_key *rsakey = NULL;
	struct vouch_dkim_sign *s;
	enum vouch_status st;
	char *f, *g, got[512], reason[256];
	const char *names[2];
	size_t i;

	if (vouch_dkim_key_load_mem((const uint8_t *)RFC8032_SEED,
	        strlen(RFC8032_SEED), &edkey, NULL, 0) != VOUCH_OK ||
	    vouch_dkim_key_generate(VOUCH_DKIM_KEY_RSA, 1024, &rsakey) !=
	        VOUCH_OK) {
		tap_check(0, "test keys");
		return tap_done();
	}

	for (i = 0; i < sizeof(bh_tests) / sizeof(bh_tests[0]); i++) {
		req[0] = ed_req(true, bh_tests[i].relaxed);
		f = sign(bh_tests[i].msg, strlen(bh_tests[i].msg), req, 1,
		    SIZE_MAX, true, &st, NULL, 0);
		got[0] = '\0';
		if (f != NULL)
			tag_value(f, "bh", got, sizeof(got));
		tap_check(
		    st == VOUCH_OK && strcmp(got, bh_tests[i].want_bh) == 0,
		    "bh= %s: got %s, want %s", bh_tests[i].name, got,
		    bh_tests[i].want_bh);
		free(f);
	}

	for (i = 0; i < sizeof(h_tests) / sizeof(h_tests[0]); i++) {
		req[0] = ed_req(true, true);
		f = sign(h_tests[i].msg, strlen(h_tests[i].msg), req, 1,
		    SIZE_MAX, true, &st, NULL, 0);
		got[0] = '\0';
		if (f != NULL)
			tag_value(f, "h", got, sizeof(got));
		tap_check(st == VOUCH_OK && strcmp(got, h_tests[i].want_h) == 0,
		    "h= %s: got %s, want %s", h_tests[i].name, got,
		    h_tests[i].want_h);
		free(f);
	}

	for (i = 0; i < sizeof(refuse_tests) / sizeof(refuse_tests[0]); i++) {
		req[0] = ed_req(true, true);
		f = sign(refuse_tests[i].msg, strlen(refuse_tests[i].msg), req,
		    1, SIZE_MAX, true, &st, reason, sizeof(reason));
		tap_check(f == NULL && st == refuse_tests[i].want &&
		              strstr(reason, "From") != NULL,
		    "refuse %s (RFC 6376 §5.4): got %s (%s), want %s",
		    refuse_tests[i].name, vouch_status_str(st), reason,
		    vouch_status_str(refuse_tests[i].want));
		free(f);
	}

	/* streaming: any chunking gives the same signature */
	req[0] = ed_req(true, false);
	f = sign(rfc8463_msg, strlen(rfc8463_msg), req, 1, SIZE_MAX, true, &st,
	    NULL, 0);
	g = sign(
	    rfc8463_msg, strlen(rfc8463_msg), req, 1, 1, true, &st, NULL, 0);
	tap_check(f != NULL && g != NULL && strcmp(f, g) == 0,
	    "one-byte chunks give the same field as one chunk");
	tap_check(f != NULL && lines_under_78(f) &&
	              strncmp(f,
	                  "DKIM-Signature: v=1; a=ed25519-sha256; "
	                  "c=relaxed/simple;\r\n\td=football.example.com; "
	                  "s=brisbane; t=1528637909;",
	                  105) == 0,
	    "field folded under 78 columns, tags in order: %.50s",
	    f ? f : "(none)");
	tap_check(f != NULL && strcmp(f + strlen(f) - 2, "\r\n") == 0 &&
	              strstr(f, "\r\n\tb=") != NULL,
	    "field ends in CRLF, b= on its own line");
	free(g);

	/* bare LF in, LF out, and the same signature (LF counts as CRLF) */
	{
		char lf[sizeof(rfc8463_msg)], *h;
		size_t j, k = 0;

		for (j = 0; rfc8463_msg[j] != '\0'; j++)
			if (rfc8463_msg[j] != '\r')
				lf[k++] = rfc8463_msg[j];
		lf[k] = '\0';
		g = sign(lf, k, req, 1, 7, false, &st, NULL, 0);
		h = NULL;
		if (f != NULL) {
			/* f without its CRs */
			h = strdup(f);
			for (j = k = 0; h != NULL && h[j] != '\0'; j++)
				if (h[j] != '\r')
					h[k++] = h[j];
			if (h != NULL)
				h[k] = '\0';
		}
		tap_check(g != NULL && h != NULL && strcmp(g, h) == 0 &&
		              strchr(g, '\r') == NULL,
		    "bare-LF message: LF field, same signature as CRLF");
		free(g);
		free(h);
	}
	free(f);

	/* optional tags: x=, i=, l= (RFC 6376 §3.5) */
	req[0] = ed_req(true, true);
	req[0].expire = 3600;
	req[0].auid = "joe@sub.football.example.com";
	req[0].body_length = true;
	f = sign(rfc8463_msg, strlen(rfc8463_msg), req, 1, SIZE_MAX, true, &st,
	    NULL, 0);
	got[0] = '\0';
	if (f != NULL)
		tag_value(f, "x", got, sizeof(got));
	tap_check(
	    strcmp(got, "1528641509") == 0, "x= is t= + 3600: got %s", got);
	if (f != NULL)
		tag_value(f, "i", got, sizeof(got));
	tap_check(strcmp(got, "joe@sub.football.example.com") == 0,
	    "i= as given: got %s", got);
	if (f != NULL)
		tag_value(f, "l", got, sizeof(got));
	/* relaxed body of A.3: 4+2+40+2+6 bytes */
	tap_check(strcmp(got, "54") == 0,
	    "l= is the canonical body length: "
	    "got %s, want 54",
	    got);
	free(f);
	req[0] = ed_req(true, true);
	f = sign(rfc8463_msg, strlen(rfc8463_msg), req, 1, SIZE_MAX, true, &st,
	    NULL, 0);
	tap_check(f != NULL && strstr(f, " l=") == NULL &&
	              strstr(f, " x=") == NULL && strstr(f, " i=") == NULL,
	    "no l=, x= or i= unless asked");
	free(f);

	/* several signatures in one pass: RSA and Ed25519 */
	req[0] = ed_req(true, true);
	req[1] = ed_req(false, false);
	req[1].key = rsakey;
	req[1].selector = "test";
	f = sign(
	    rfc8463_msg, strlen(rfc8463_msg), req, 2, 100, true, &st, NULL, 0);
	g = f != NULL ? strstr(f + 1, "DKIM-Signature:") : NULL;
	tap_check(g != NULL && strstr(g, "a=rsa-sha256; c=simple/simple") &&
	              strstr(f, "a=ed25519-sha256; c=relaxed/relaxed") < g,
	    "two signatures in one pass, in request order");
	free(f);

	/* requests the signer must refuse */
	req[0] = ed_req(true, true);
	req[0].alg = VOUCH_DKIM_SIGN_RSA_SHA256;
	tap_check(vouch_dkim_sign_new(req, 1, 0, &s) == VOUCH_EINVAL,
	    "rsa-sha256 with an ed25519 key refused");
	req[0] = ed_req(true, true);
	req[0].auid = "joe@example.com";
	/* RFC 6376 §3.5: i= must be d= or a subdomain of it */
	tap_check(vouch_dkim_sign_new(req, 1, 0, &s) == VOUCH_EINVAL,
	    "i= outside d= refused (RFC 6376 §3.5)");
	req[0].auid = "joe@xfootball.example.com";
	tap_check(vouch_dkim_sign_new(req, 1, 0, &s) == VOUCH_EINVAL,
	    "i= in a look-alike domain refused");
	req[0] = ed_req(true, true);
	names[0] = "Subject";
	names[1] = "To";
	req[0].headers = names;
	req[0].nheaders = 2;
	/* RFC 6376 §5.4: From MUST be signed */
	tap_check(vouch_dkim_sign_new(req, 1, 0, &s) == VOUCH_EINVAL,
	    "a header list without From refused (RFC 6376 §5.4)");
	req[0] = ed_req(true, true);
	req[0].domain = "foot ball.example";
	tap_check(vouch_dkim_sign_new(req, 1, 0, &s) == VOUCH_EINVAL,
	    "d= with a space refused");
	tap_check(vouch_dkim_sign_new(req, 0, 0, &s) == VOUCH_EINVAL,
	    "no request refused");

	/* update: NULL with length 0 is no input; NULL with a length is not */
	req[0] = ed_req(true, true);
	if (vouch_dkim_sign_new(req, 1, 0, &s) != VOUCH_OK)
		s = NULL;
	st = s != NULL ? vouch_dkim_sign_update(s, NULL, 0) : VOUCH_ENOMEM;
	tap_check(st == VOUCH_OK, "update with NULL, 0: got %s, want OK",
	    vouch_status_str(st));
	st = s != NULL ? vouch_dkim_sign_update(s, NULL, 5) : VOUCH_ENOMEM;
	tap_check(st == VOUCH_EINVAL && strcmp(vouch_dkim_sign_error(s),
	                                    "no data with a length") == 0,
	    "update with NULL, 5: got %s, want EINVAL", vouch_status_str(st));
	st = s != NULL
	         ? vouch_dkim_sign_update(s, (const uint8_t *)"From: a\r\n", 9)
	         : VOUCH_ENOMEM;
	tap_check(st == VOUCH_EINVAL,
	    "the error is sticky: got %s, want EINVAL", vouch_status_str(st));
	vouch_dkim_sign_free(s);
	st = vouch_dkim_sign_update(NULL, (const uint8_t *)"x", 1);
	tap_check(st == VOUCH_EINVAL,
	    "update of no context: got %s, want EINVAL", vouch_status_str(st));

	/* a given list: each name as often as present, +1 with oversign */
	req[0] = ed_req(true, true);
	names[0] = "from";
	names[1] = "x-custom";
	req[0].headers = names;
	req[0].nheaders = 2;
	req[0].oversign = true;
	f = sign("From: a@b.example\r\nX-Custom: 1\r\nX-Custom: 2\r\n\r\n", 48,
	    req, 1, SIZE_MAX, true, &st, NULL, 0);
	got[0] = '\0';
	if (f != NULL)
		tag_value(f, "h", got, sizeof(got));
	tap_check(strcmp(got, "from:from:x-custom:x-custom:x-custom") == 0,
	    "given list oversigned: got %s", got);
	free(f);

	/* the header section is bounded */
	{
		size_t big = VOUCH_MAX_HEADER_BYTES + 100, j;
		char *m = malloc(big);

		if (m != NULL) {
			memcpy(m, "From: a@b.example\r\nX: ", 22);
			for (j = 22; j < big; j++)
				m[j] = 'a';
			req[0] = ed_req(true, true);
			f = sign(m, big, req, 1, 4096, true, &st, reason,
			    sizeof(reason));
			tap_check(f == NULL && st == VOUCH_ELIMIT,
			    "header section over the limit: got %s (%s)",
			    vouch_status_str(st), reason);
			free(f);
			free(m);
		}
	}

	external_tests(rsakey);
	check_req_tests(rsakey);
	long_run_tests();
	vouch_dkim_key_free(edkey);
	vouch_dkim_key_free(rsakey);
	return tap_done();
}
