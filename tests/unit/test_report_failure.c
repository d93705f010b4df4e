/*
 * DMARC failure reports, piece by piece: redaction (RFC 6590) of texts and
 * header sections, defanging (RFC 9991 §7.3), report addresses and
 * mailto: URIs (RFC 6068), the rate limiter and its saved state, when
 * fo= calls for reports (RFC 9989 §4.7), the options, and
 * vouch_failure_build on verdicts made up here: off by default, psd=y,
 * unusable and replaced destinations, the rate limit and the cap on
 * reports per message.  The HMAC vectors were computed with Python's
 * hmac module (hmac.new(key, local, sha256), first 12 bytes, base64url).
 */
#include <stdlib.h>
#include <string.h>

#include "report/failure_internal.h"
#include "tap.h"
#include "vouch/vouch.h"

/* s with control characters shown as \xHH, for a one-line TAP message
 * (a static buffer: one use per call). */
static const char *
esc(const char *s)
{
	static char buf[512];
	size_t n = 0;

	for (; *s != '\0' && n + 5 < sizeof(buf); s++)
		if ((unsigned char)*s < 0x20)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "\\x%02x", (unsigned char)*s);
		else
			buf[n++] = *s;
	buf[n] = '\0';
	return buf;
}

/* ---- Redaction --------------------------------------------------------- */

struct redact_row {
	const char *name;
	const char *in;
	unsigned flags;
	const char *want;
};

static const struct redact_row redact_rows[] = {
    {"plain address", "alice@example.com", 0, "X@example.com"},
    {"angle brackets", "Alice <alice@example.com>", 0, "Alice <X@example.com>"},
    {"two addresses", "a.b+c@example.com, d@e.example", 0,
        "X@example.com, X@e.example"},
    {"quoted local-part", "\"john doe\"@example.com", 0, "X@example.com"},
    {"quoted with escaped quote", "\"a\\\"b\"@example.com", 0, "X@example.com"},
    {"tag kept with TAGS", "smtp.mailfrom=user@example.com",
        FAILURE_REDACT_TAGS, "smtp.mailfrom=X@example.com"},
    {"tag after ';' with TAGS", "spf=pass;smtp.mailfrom=u@x.example",
        FAILURE_REDACT_TAGS, "spf=pass;smtp.mailfrom=X@x.example"},
    {"no TAGS: '=' is part of the local-part",
        "author=gen.example@forwarder.example", 0, "X@forwarder.example"},
    {"SRS address", "SRS0=HH=TT=orig.example=user@fwd.example", 0,
        "X@fwd.example"},
    {"empty local-part kept", "i=@example.com", FAILURE_REDACT_TAGS,
        "i=@example.com"},
    {"no domain after '@'", "user@ example.com", 0, "user@ example.com"},
    {"'@' at the end", "user@", 0, "user@"},
    {"domain literal", "user@[192.0.2.1]", 0, "X@[192.0.2.1]"},
    {"UTF-8 local-part", "j\xc3\xb6rg@example.de", 0, "X@example.de"},
    {"Received for", "by mx for <bob@receiver.example>; Fri", 0,
        "by mx for <X@receiver.example>; Fri"},
    {"no address", "Subject: nothing here", 0, "Subject: nothing here"},
    {"unclosed quote: the atoms before '@'", "x\"abc@example.com", 0,
        "x\"X@example.com"},
};

static void
test_redact_text(void)
{
	struct failure_redactor r = {
	    VOUCH_FAILURE_REDACT_TOKEN, "X", 1, NULL, 0};
	struct failure_redactor none = {
	    VOUCH_FAILURE_REDACT_NONE, "X", 1, NULL, 0};
	struct vbuf out;
	size_t i;

	vbuf_init(&out, 4096);
	for (i = 0; i < sizeof(redact_rows) / sizeof(redact_rows[0]); i++) {
		const struct redact_row *t = &redact_rows[i];

		vbuf_reset(&out);
		(void)failure_redact_text(
		    &r, (const uint8_t *)t->in, strlen(t->in), t->flags, &out);
		tap_check(out.err == VOUCH_OK && out.len == strlen(t->want) &&
		              memcmp(out.p, t->want, out.len) == 0,
		    "redact: %s: got \"%s\", want \"%s\"", t->name,
		    out.p ? (const char *)out.p : "", t->want);
	}
	vbuf_reset(&out);
	(void)failure_redact_text(
	    &none, (const uint8_t *)"alice@example.com", 17, 0, &out);
	tap_check(out.len == 17 && memcmp(out.p, "alice@example.com", 17) == 0,
	    "redact: REDACT_NONE copies the text unchanged");
	vbuf_free(&out);
}

struct hash_row {
	const char *key, *local, *want;
};

static const struct hash_row hash_rows[] = {
    {"k", "alice", "7GMaVbuB9bnclqqT"},
    {"k", "bob", "c2YtzuSsrY09mDvw"},
    {"other", "alice", "gkT-GgyZzq7_ZZZX"},
    {"k", "\"john doe\"", "whgUynGE474buVTE"},
};

static void
test_redact_hash(void)
{
	struct failure_redactor r = {
	    VOUCH_FAILURE_REDACT_HASH, NULL, 0, NULL, 0};
	struct vbuf out;
	size_t i;

	vbuf_init(&out, 4096);
	for (i = 0; i < sizeof(hash_rows) / sizeof(hash_rows[0]); i++) {
		r.key = (const uint8_t *)hash_rows[i].key;
		r.key_len = strlen(hash_rows[i].key);
		vbuf_reset(&out);
		(void)failure_redact_local(&r,
		    (const uint8_t *)hash_rows[i].local,
		    strlen(hash_rows[i].local), &out);
		tap_check(out.len == FAILURE_HASH_CHARS &&
		              memcmp(out.p, hash_rows[i].want, out.len) == 0,
		    "hash: key %s, local-part %s: got %s, want %s (RFC 6590 "
		    "§4, HMAC-SHA-256)",
		    hash_rows[i].key, hash_rows[i].local,
		    out.p ? (const char *)out.p : "", hash_rows[i].want);
	}
	r.key = (const uint8_t *)"k";
	r.key_len = 1;
	vbuf_reset(&out);
	(void)failure_redact_addr(
	    &r, (const uint8_t *)"alice@example.com", 17, &out);
	tap_check(out.p != NULL && strcmp((const char *)out.p,
	                               "7GMaVbuB9bnclqqT@example.com") == 0,
	    "hash: an address keeps its domain: got %s",
	    out.p ? (const char *)out.p : "");
	vbuf_reset(&out);
	(void)failure_redact_addr(
	    &r, (const uint8_t *)"@example.com", 12, &out);
	tap_check(
	    out.p != NULL && strcmp((const char *)out.p, "@example.com") == 0,
	    "hash: \"@domain\" has nothing to redact");
	vbuf_free(&out);
}

static void
test_redact_header(void)
{
	static const char in[] =
	    "From: Alice <alice@example.com>\n"
	    "Message-ID: <local.part@example.com>\r\n"
	    "References: <a@example.com>\r\n"
	    "\t<b@example.com>\r\n"
	    "DKIM-Signature: v=1; d=example.com;\r\n"
	    "\ti=user@example.com; s=sel\r\n"
	    "Received-SPF: pass envelope-from=bob@example.net\r\n"
	    "X-Other: mailfrom=eve@example.org\r\n"
	    "\r\n"
	    "body: carol@example.com\r\n";
	static const char want[] =
	    "From: Alice <X@example.com>\r\n"
	    "Message-ID: <local.part@example.com>\r\n"
	    "References: <a@example.com>\r\n"
	    "\t<b@example.com>\r\n"
	    "DKIM-Signature: v=1; d=example.com;\r\n"
	    "\ti=X@example.com; s=sel\r\n"
	    "Received-SPF: pass envelope-from=X@example.net\r\n"
	    "X-Other: X@example.org\r\n";
	struct failure_redactor r = {
	    VOUCH_FAILURE_REDACT_TOKEN, "X", 1, NULL, 0};
	struct vbuf out;

	vbuf_init(&out, 4096);
	(void)failure_redact_header(
	    &r, (const uint8_t *)in, sizeof(in) - 1, &out);
	tap_check(out.err == VOUCH_OK && out.len == sizeof(want) - 1 &&
	              memcmp(out.p, want, out.len) == 0,
	    "redact header: msg-id fields kept, tag fields keep their tags, "
	    "CRLF, stops at the empty line: got %s",
	    esc(out.p ? (const char *)out.p : ""));
	vbuf_reset(&out);
	(void)failure_redact_header(
	    &r, (const uint8_t *)"A: b@c.example", 14, &out);
	tap_check(out.p != NULL &&
	              strcmp((const char *)out.p, "A: X@c.example\r\n") == 0,
	    "redact header: a last line without its end gets CRLF");
	vbuf_reset(&out);
	(void)failure_redact_body(
	    &r, (const uint8_t *)"hi x@y.example\nbye", 18, &out);
	tap_check(out.p != NULL &&
	              strcmp((const char *)out.p, "hi X@y.example\r\nbye") == 0,
	    "redact body: line by line, LF made CRLF: got %s",
	    esc(out.p ? (const char *)out.p : ""));
	vbuf_free(&out);
}

struct defang_row {
	const char *in, *want;
};

static const struct defang_row defang_rows[] = {
    {"see http://x.example/", "see hxxp://x.example/"},
    {"HTTPS://X.EXAMPLE", "HXXPS://X.EXAMPLE"},
    {"Http: and https:", "Hxxp: and hxxps:"},
    {"http without colon, httpx:", "http without colon, httpx:"},
    {"ends with http", "ends with http"},
    {"ftp://x.example", "ftp://x.example"},
};

static void
test_defang(void)
{
	char buf[64];
	size_t i, n;

	for (i = 0; i < sizeof(defang_rows) / sizeof(defang_rows[0]); i++) {
		n = strlen(defang_rows[i].in);
		memcpy(buf, defang_rows[i].in, n + 1);
		failure_defang((uint8_t *)buf, n);
		tap_check(strcmp(buf, defang_rows[i].want) == 0,
		    "defang (RFC 9991 §7.3): \"%s\": got \"%s\", want \"%s\"",
		    defang_rows[i].in, buf, defang_rows[i].want);
	}
}

/* ---- Addresses ---------------------------------------------------------- */

struct addr_row {
	const char *addr;
	int want;
};

static const struct addr_row addr_rows[] = {
    {"ruf@example.com", 1},
    {"a.b+c@sub.example.com", 1},
    {"\"john doe\"@example.com", 1},
    {"\"a\\\"b\"@example.com", 1},
    {"@example.com", 0},
    {"user@", 0},
    {"user", 0},
    {".user@example.com", 0},
    {"us..er@example.com", 0},
    {"user@-example.com", 0},
    {"user@example-.com", 0},
    {"user@exa_mple.com", 0},
    {"user@example..com", 0},
    {"user name@example.com", 0},
    {"user@example.com\r\nBcc: x@y", 0},
    {"us<er@example.com", 0},
    {"j\xc3\xb6rg@example.de", 0},
    {"\"a\r\nb\"@example.com", 0},
};

static void
test_addr(void)
{
	char local[80];
	size_t i;

	for (i = 0; i < sizeof(addr_rows) / sizeof(addr_rows[0]); i++)
		tap_check(failure_addr_ok(addr_rows[i].addr,
		              strlen(addr_rows[i].addr)) == addr_rows[i].want,
		    "addr-spec \"%s\": want %s", esc(addr_rows[i].addr),
		    addr_rows[i].want ? "accepted" : "refused");
	memset(local, 'a', 65);
	memcpy(local + 65, "@x.example", 11);
	tap_check(!failure_addr_ok(local, strlen(local)),
	    "addr-spec: a local-part of 65 bytes is refused (RFC 5321 "
	    "§4.5.3.1.1)");
	local[1] = '@';
	local[2] = '\0';
	tap_check(!failure_addr_ok(local, 1), "addr-spec: length counts");
}

struct mailto_row {
	const char *uri, *host, *want; /* want NULL: refused */
};

static const struct mailto_row mailto_rows[] = {
    {"mailto:ruf@example.com", "example.com", "ruf@example.com"},
    {"MAILTO:ruf@Example.COM", "example.com", "ruf@Example.COM"},
    {"mailto:ruf%2Bx@example.com", "example.com", "ruf+x@example.com"},
    {"mailto:ruf@example.com?subject=x", "example.com", "ruf@example.com"},
    {"mailto:a@example.com%2Cb@example.com", "example.com", NULL},
    {"mailto:ruf@other.example", "example.com", NULL},
    {"mailto:ruf@example.com%", "example.com", NULL},
    {"mailto:ruf@example.com%zz", "example.com", NULL},
    {"mailto:r%0D%0Auf@example.com", "example.com", NULL},
    {"https://example.com/ruf", "example.com", NULL},
    {"mailto:", "example.com", NULL},
};

static void
test_mailto(void)
{
	char out[VOUCH_FAILURE_MAX_ADDR + 1];
	size_t i;
	int r;

	for (i = 0; i < sizeof(mailto_rows) / sizeof(mailto_rows[0]); i++) {
		const struct mailto_row *t = &mailto_rows[i];

		out[0] = '\0';
		r = failure_mailto(
		    t->uri, strlen(t->uri), t->host, out, sizeof(out));
		tap_check(t->want ? r == 0 && strcmp(out, t->want) == 0 : r < 0,
		    "mailto \"%s\" at %s: got %s, want %s", t->uri, t->host,
		    r == 0 ? out : "refused", t->want ? t->want : "refused");
	}
}

/* ---- Rate limiter ---------------------------------------------------------
 */

static const char bad_state[] = "vouch-failure-rate 1 2 60\n"
                                "a@b.example 1000 5\n"
                                "bad line\n"
                                "x@y.example -1 5\n"
                                "z@y.example 1 99999999999999999999\n"
                                "c@d.example 5 6 7\n";

static void
test_rate(void)
{
	struct failure_rate *r = NULL, *r2 = NULL;
	char *text = NULL, dest[32];
	size_t len = 0, nbad = 9;
	int a, b, c, d, e;
	unsigned i;
	enum vouch_status st;

	tap_check(failure_rate_new(0, 60, &r) == VOUCH_EINVAL && r == NULL,
	    "rate: 0 reports is refused");
	if (failure_rate_new(2, 3600, &r) != VOUCH_OK)
		return;
	a = failure_rate_take(r, "ruf@example.com", 1000);
	b = failure_rate_take(r, "RUF@EXAMPLE.COM", 1000);
	c = failure_rate_take(r, "ruf@example.com", 1000);
	d = failure_rate_take(r, "other@example.com", 1000);
	tap_check(a == 1 && b == 1 && c == 0 && d == 1,
	    "rate 2/h: two at once, the third refused, case ignored, another "
	    "destination its own: got %d %d %d %d",
	    a, b, c, d);
	a = failure_rate_take(r, "ruf@example.com", 1000 + 1799);
	b = failure_rate_take(r, "ruf@example.com", 1000 + 1800);
	c = failure_rate_take(r, "ruf@example.com", 1000 + 1800);
	tap_check(a == 0 && b == 1 && c == 0,
	    "rate 2/h: one token back after 1800 s, not before: got %d %d %d",
	    a, b, c);
	a = failure_rate_take(r, "ruf@example.com", 10);
	tap_check(a == 0, "rate: a clock gone back gives no token");
	st = failure_rate_save(r, &text, &len);
	tap_check(st == VOUCH_OK && text != NULL &&
	              strncmp(text, "vouch-failure-rate 1 2 3600\n", 28) == 0 &&
	              strstr(text, "ruf@example.com 0 2800\n") != NULL &&
	              strstr(text, "other@example.com 1000 1000\n") != NULL,
	    "rate: the saved state: got %s", esc(text ? text : "(null)"));
	/* the same state under 4/h: the same fullness */
	if (failure_rate_new(4, 3600, &r2) == VOUCH_OK && text != NULL) {
		st = failure_rate_load(r2, (const uint8_t *)text, len, &nbad);
		tap_check(st == VOUCH_OK && nbad == 0,
		    "rate: a saved state loads: nbad %zu", nbad);
		a = failure_rate_take(r2, "ruf@example.com", 2800);
		b = failure_rate_take(r2, "other@example.com", 1000);
		c = failure_rate_take(r2, "other@example.com", 1000);
		d = failure_rate_take(r2, "other@example.com", 1000);
		e = failure_rate_take(r2, "other@example.com", 1000);
		tap_check(a == 0 && b == 1 && c == 1 && d == 0 && e == 0,
		    "rate: loaded under 4/h, an empty bucket stays empty and a "
		    "half-full one has 2 of 4: got %d %d %d %d %d",
		    a, b, c, d, e);
	}
	free(text);
	st = failure_rate_load(r2, (const uint8_t *)"nope\n", 5, NULL);
	tap_check(st == VOUCH_ESYNTAX,
	    "rate: a state without its header line is refused");
	st = failure_rate_load(
	    r2, (const uint8_t *)bad_state, sizeof(bad_state) - 1, &nbad);
	tap_check(st == VOUCH_OK && nbad == 4,
	    "rate: lines that do not parse are counted: nbad %zu, want 4",
	    nbad);
	/* a@b.example was half full under 2/60: 2 of 4 now */
	a = failure_rate_take(r2, "a@b.example", 5);
	b = failure_rate_take(r2, "a@b.example", 5);
	c = failure_rate_take(r2, "a@b.example", 5);
	tap_check(a == 1 && b == 1 && c == 0,
	    "rate: the good line of that state was loaded and rescaled: got "
	    "%d %d %d",
	    a, b, c);
	failure_rate_free(r2);
	failure_rate_free(r);
	/* a full table: a new destination gets nothing, until buckets fill */
	if (failure_rate_new(1, 60, &r) != VOUCH_OK)
		return;
	for (i = 0, a = 1; i < VOUCH_FAILURE_MAX_TRACKED; i++) {
		snprintf(dest, sizeof(dest), "d%u@example.com", i);
		a &= failure_rate_take(r, dest, 100) == 1;
	}
	b = failure_rate_take(r, "new@example.com", 100);
	c = failure_rate_take(r, "new@example.com", 160);
	tap_check(a == 1 && b == 0 && c == 1,
	    "rate: with %d destinations tracked a new one gets nothing (fail "
	    "closed) until the others' buckets are full again: got %d %d %d",
	    VOUCH_FAILURE_MAX_TRACKED, a, b, c);
	failure_rate_free(r);
}

/* ---- Verdicts made up here --------------------------------------------- */

struct world {
	struct vouch_verify_result res;
	struct vouch_dkim_result dkim;
	struct vouch_dkim_signature sig[VOUCH_DKIM_MAX_SIGNATURES];
};

/* One author domain with the record `rec`, kept as the DMARC evaluation
 * would (every ruf= URI usable unless marked otherwise). */
static int
make_world(struct world *w, const char *rec, enum vouch_dmarc_verdict v,
    int spf_aligned, int dkim_aligned)
{
	struct vouch_dmarc_domain_result *dr = &w->res.dmarc.domain[0];
	size_t i;

	memset(w, 0, sizeof(*w));
	memcpy(w->res.authserv_id, "mx.receiver.example", 20);
	w->res.dkim = &w->dkim;
	w->dkim.sig = w->sig;
	w->res.dmarc.ndomains = 1;
	memcpy(dr->author_domain, "victim.example", 15);
	memcpy(dr->org_domain, "victim.example", 15);
	memcpy(dr->policy_domain, "victim.example", 15);
	if (vouch_dmarc_record_parse(
	        (const uint8_t *)rec, strlen(rec), &dr->record) != VOUCH_OK)
		return -1;
	for (i = 0; i < dr->record.nruf; i++)
		dr->record.ruf[i].kept = 1;
	dr->has_record = 1;
	dr->result = v;
	w->res.dmarc.result = v;
	dr->policy = dr->disposition = VOUCH_DMARC_POLICY_REJECT;
	dr->spf_aligned = spf_aligned;
	dr->dkim_aligned = dkim_aligned;
	w->res.spf_checked = true;
	w->res.spf.verdict = spf_aligned ? VOUCH_SPF_PASS : VOUCH_SPF_FAIL;
	memcpy(w->res.spf.domain, "victim.example", 15);
	memcpy(w->res.spf.sender, "bounce@victim.example", 22);
	return 0;
}

static void
add_sig(struct world *w, enum vouch_dkim_verdict v, const char *reason,
    const char *d)
{
	struct vouch_dkim_signature *s = &w->sig[w->dkim.nsig++];

	s->result = v;
	snprintf(s->reason, sizeof(s->reason), "%s", reason);
	snprintf(s->d, sizeof(s->d), "%s", d);
	snprintf(s->s, sizeof(s->s), "sel");
	snprintf(s->i, sizeof(s->i), "@%s", d);
	s->l = -1;
}

static void
free_world(struct world *w)
{
	vouch_dmarc_record_free(&w->res.dmarc.domain[0].record);
}

struct due_row {
	const char *name;
	const char *rec;
	enum vouch_dmarc_verdict v;
	int spf_aligned, dkim_aligned;
	enum vouch_dkim_verdict sig; /* VOUCH_DKIM_NONE: no signature */
	const char *sig_reason;
	unsigned want;
};

#define RUF "; ruf=mailto:ruf@victim.example"

static const struct due_row due_rows[] = {
    {"fo absent, DMARC fail", "v=DMARC1; p=reject" RUF, VOUCH_DMARC_FAIL, 0, 0,
        VOUCH_DKIM_NONE, "", VOUCH_FAILURE_DMARC},
    {"fo absent, DMARC pass", "v=DMARC1; p=reject" RUF, VOUCH_DMARC_PASS, 1, 0,
        VOUCH_DKIM_NONE, "", 0},
    {"fo=0, DMARC pass by DKIM alone", "v=DMARC1; p=reject; fo=0" RUF,
        VOUCH_DMARC_PASS, 0, 1, VOUCH_DKIM_PASS, "", 0},
    {"fo=1, DMARC pass by DKIM alone", "v=DMARC1; p=reject; fo=1" RUF,
        VOUCH_DMARC_PASS, 0, 1, VOUCH_DKIM_PASS, "", VOUCH_FAILURE_DMARC},
    {"fo=1, both aligned", "v=DMARC1; p=reject; fo=1" RUF, VOUCH_DMARC_PASS, 1,
        1, VOUCH_DKIM_PASS, "", 0},
    {"fo=d, body hash failed", "v=DMARC1; p=reject; fo=d" RUF, VOUCH_DMARC_PASS,
        1, 0, VOUCH_DKIM_FAIL, "body hash did not verify", VOUCH_FAILURE_DKIM},
    {"fo=d, key revoked", "v=DMARC1; p=reject; fo=d" RUF, VOUCH_DMARC_FAIL, 0,
        0, VOUCH_DKIM_PERMERROR, "key revoked", VOUCH_FAILURE_DKIM},
    {"fo=d, no key: no Auth-Failure type", "v=DMARC1; p=reject; fo=d" RUF,
        VOUCH_DMARC_FAIL, 0, 0, VOUCH_DKIM_PERMERROR, "no key for signature",
        0},
    {"fo=d, DKIM policy verdict", "v=DMARC1; p=reject; fo=d" RUF,
        VOUCH_DMARC_FAIL, 0, 0, VOUCH_DKIM_POLICY, "signature too old", 0},
    {"fo=s, SPF fail", "v=DMARC1; p=reject; fo=s" RUF, VOUCH_DMARC_PASS, 0, 1,
        VOUCH_DKIM_PASS, "", VOUCH_FAILURE_SPF},
    {"fo=0:d:s, all", "v=DMARC1; p=reject; fo=0:d:s" RUF, VOUCH_DMARC_FAIL, 0,
        0, VOUCH_DKIM_FAIL, "signature did not verify", VOUCH_FAILURE_ALL},
    {"fo=0:1 invalid: default 0", "v=DMARC1; p=reject; fo=0:1:s" RUF,
        VOUCH_DMARC_PASS, 0, 1, VOUCH_DKIM_PASS, "", 0},
    {"no ruf=", "v=DMARC1; p=reject; fo=1", VOUCH_DMARC_FAIL, 0, 0,
        VOUCH_DKIM_NONE, "", 0},
    {"psd=y", "v=DMARC1; p=reject; psd=y; fo=1" RUF, VOUCH_DMARC_FAIL, 0, 0,
        VOUCH_DKIM_NONE, "", 0},
    {"temperror", "v=DMARC1; p=reject; fo=1" RUF, VOUCH_DMARC_TEMPERROR, 0, 0,
        VOUCH_DKIM_NONE, "", 0},
};

static void
test_due(void)
{
	struct world *w = calloc(1, sizeof(*w));
	size_t i;
	unsigned got;

	if (w == NULL)
		return;
	for (i = 0; i < sizeof(due_rows) / sizeof(due_rows[0]); i++) {
		const struct due_row *t = &due_rows[i];

		if (make_world(
		        w, t->rec, t->v, t->spf_aligned, t->dkim_aligned) < 0) {
			tap_check(0, "due: %s: record does not parse", t->name);
			continue;
		}
		if (t->sig != VOUCH_DKIM_NONE)
			add_sig(w, t->sig, t->sig_reason, "victim.example");
		got = vouch_failure_due(&w->res, 0);
		tap_check(got == t->want,
		    "due (RFC 9989 §4.7 fo=): %s: got %#x, want %#x", t->name,
		    got, t->want);
		tap_check(vouch_failure_due(&w->res, 1) == 0,
		    "due: %s: no author domain 1", t->name);
		free_world(w);
	}
	free(w);
}

struct align_row {
	const char *name;
	enum vouch_dmarc_alignment mode;
	int want;
};

static const struct align_row align_rows[] = {
    {"victim.example", VOUCH_DMARC_STRICT, 1},
    {"VICTIM.example.", VOUCH_DMARC_STRICT, 1},
    {"mail.victim.example", VOUCH_DMARC_STRICT, 0},
    {"mail.victim.example", VOUCH_DMARC_RELAXED, 1},
    {"xvictim.example", VOUCH_DMARC_RELAXED, 0},
    {"other.example", VOUCH_DMARC_RELAXED, 0},
    {"", VOUCH_DMARC_RELAXED, 0},
};

static void
test_aligned(void)
{
	struct vouch_dmarc_domain_result dr;
	size_t i;

	memset(&dr, 0, sizeof(dr));
	memcpy(dr.author_domain, "victim.example", 15);
	memcpy(dr.org_domain, "victim.example", 15);
	for (i = 0; i < sizeof(align_rows) / sizeof(align_rows[0]); i++)
		tap_check(failure_aligned(&dr, align_rows[i].name,
		              align_rows[i].mode) == align_rows[i].want,
		    "aligned (RFC 9989 §4.4) \"%s\" %s: want %d",
		    align_rows[i].name,
		    align_rows[i].mode == VOUCH_DMARC_STRICT ? "strict"
		                                             : "relaxed",
		    align_rows[i].want);
}

/* ---- Options ------------------------------------------------------------- */

static void
test_options(void)
{
	struct vouch_failure_options o;
	struct vouch_failure *f = NULL;
	uint8_t big[VOUCH_FAILURE_MAX_KEY + 1];
	char err[256];

	vouch_failure_options_init(&o);
	tap_check(!o.enabled && o.kinds == VOUCH_FAILURE_ALL &&
	              o.redact == VOUCH_FAILURE_REDACT_HASH && o.rate == 10 &&
	              o.rate_period == 3600 && !o.include_body,
	    "options: off by default, all kinds, hashed, 10/h, header only");
	tap_check(vouch_failure_new(NULL, &f, err, sizeof(err)) == VOUCH_OK &&
	              f != NULL,
	    "options: NULL gives the defaults");
	vouch_failure_free(f);
	f = NULL;
	o.enabled = true;
	tap_check(vouch_failure_new(&o, &f, err, sizeof(err)) == VOUCH_EINVAL &&
	              f == NULL && strstr(err, "From") != NULL,
	    "options: enabled without a From address is refused: %s", err);
	o.from = "dmarc@receiver.example";
	o.redact_token = "a b";
	tap_check(vouch_failure_new(&o, &f, err, sizeof(err)) == VOUCH_EINVAL,
	    "options: a token that is not a dot-atom is refused");
	o.redact_token = NULL;
	o.rate = 0;
	tap_check(vouch_failure_new(&o, &f, err, sizeof(err)) == VOUCH_EINVAL,
	    "options: rate 0 is refused (RFC 9991 §2 requires a limit)");
	o.rate = 2000000;
	tap_check(vouch_failure_new(&o, &f, err, sizeof(err)) == VOUCH_EINVAL,
	    "options: a rate over a million is refused");
	o.rate = 10;
	o.user_agent = "vouch\r\nBcc: x";
	tap_check(vouch_failure_new(&o, &f, err, sizeof(err)) == VOUCH_EINVAL,
	    "options: a User-Agent with a line end is refused");
	o.user_agent = NULL;
	o.reporting_mta = "mx; evil";
	tap_check(vouch_failure_new(&o, &f, err, sizeof(err)) == VOUCH_EINVAL,
	    "options: a Reporting-MTA with ';' is refused");
	o.reporting_mta = NULL;
	memset(big, 1, sizeof(big));
	o.redact_key = big;
	o.redact_key_len = sizeof(big);
	tap_check(vouch_failure_new(&o, &f, err, sizeof(err)) == VOUCH_EINVAL,
	    "options: a key over VOUCH_FAILURE_MAX_KEY is refused");
	o.redact_key_len = 16;
	o.redact = (enum vouch_failure_redact)7;
	tap_check(vouch_failure_new(&o, &f, err, sizeof(err)) == VOUCH_EINVAL,
	    "options: an unknown redaction method is refused");
	o.redact = VOUCH_FAILURE_REDACT_TOKEN;
	tap_check(vouch_failure_new(&o, &f, err, sizeof(err)) == VOUCH_OK,
	    "options: a valid set is accepted");
	vouch_failure_free(f);
	vouch_failure_free(NULL);
	tap_check(
	    strcmp(vouch_failure_kind_str(VOUCH_FAILURE_DKIM), "dkim") == 0 &&
	        strcmp(vouch_failure_kind_str(99), "") == 0,
	    "kind words");
}

/* ---- vouch_failure_build ------------------------------------------------- */

static const char hdr[] =
    "From: Alice <alice@victim.example>\r\n"
    "To: bob@receiver.example\r\n"
    "Subject: hello\r\n"
    "Authentication-Results: mx.receiver.example; dmarc=pass\r\n"
    "\r\n";

static const char report_hdr[] = "From: dmarc@victim.example\r\n"
                                 "content-type: Multipart/Report;\r\n"
                                 "\treport-type=feedback-report; boundary=x\r\n"
                                 "\r\n";

static struct vouch_failure *
handle(unsigned rate, int enabled)
{
	struct vouch_failure_options o;
	struct vouch_failure *f = NULL;

	vouch_failure_options_init(&o);
	o.enabled = enabled;
	o.from = "dmarc@receiver.example";
	o.rate = rate;
	o.redact = VOUCH_FAILURE_REDACT_TOKEN;
	if (vouch_failure_new(&o, &f, NULL, 0) != VOUCH_OK)
		return NULL;
	return f;
}

static void
test_build(void)
{
	struct world *w = calloc(1, sizeof(*w));
	struct vouch_verify_smtp smtp = {
	    "192.0.2.1", 9, "mx.example", 10, "bounce@victim.example", 21, 0};
	struct vouch_failure_message msg;
	struct vouch_failure_result out;
	struct vouch_dmarc_record *rec;
	struct vouch_failure *f = NULL;
	const char *d;
	size_t i;

	memset(&msg, 0, sizeof(msg));
	msg.header = (const uint8_t *)hdr;
	msg.header_len = sizeof(hdr) - 1;
	msg.now = 1800000000;
	if (w == NULL)
		return;
	tap_check(vouch_failure_build(NULL, &w->res, &smtp, &msg, NULL, &out) ==
	              VOUCH_EINVAL,
	    "build: NULL handle is EINVAL");
	if (make_world(w,
	        "v=DMARC1; p=reject; ruf=mailto:a@victim.example,"
	        "mailto:b@victim.example,mailto:c@ext.example",
	        VOUCH_DMARC_FAIL, 0, 0) < 0)
		goto done;
	rec = &w->res.dmarc.domain[0].record;
	rec->ruf[2].kept = 0; /* external, not authorized */
	/* off: due, but nothing made */
	f = handle(10, 0);
	tap_check(f != NULL &&
	              vouch_failure_build(
	                  f, &w->res, &smtp, &msg, NULL, &out) == VOUCH_OK &&
	              out.nreports == 0 && out.due == VOUCH_FAILURE_DMARC,
	    "build: disabled (the default), a report is due and none is made");
	vouch_failure_result_free(&out);
	vouch_failure_free(f);
	f = handle(1, 1);
	tap_check(f != NULL &&
	              vouch_failure_build(
	                  f, &w->res, &smtp, &msg, NULL, &out) == VOUCH_OK &&
	              out.nreports == 2 && out.nunusable == 1,
	    "build: two kept ruf= addresses get a report, the unauthorized one "
	    "is counted: %zu reports, %zu unusable",
	    out.nreports, out.nunusable);
	for (i = 0; i < out.nreports; i++) {
		d = out.report[i].data;
		tap_check(
		    out.report[i].kind == VOUCH_FAILURE_DMARC &&
		        strcmp(out.report[i].domain, "victim.example") == 0 &&
		        strlen(d) == out.report[i].len &&
		        strstr(d, "\r\nAuth-Failure: dmarc\r\n") != NULL &&
		        strstr(d, "\r\nFeedback-Type: auth-failure\r\n") !=
		            NULL &&
		        strstr(d, "\r\nOriginal-Mail-From: "
		                  "<redacted@victim.example>\r\n") != NULL &&
		        strstr(d, "\r\nSource-IP: 192.0.2.1\r\n") != NULL &&
		        strstr(d, "Subject: FW: hello\r\n") != NULL &&
		        strstr(d, "dmarc=pass") == NULL,
		    "build: report %zu to %s: the fields, the forged field "
		    "gone",
		    i, out.report[i].to);
	}
	tap_check(
	    out.nreports == 2 &&
	        strcmp(out.report[0].to, "a@victim.example") == 0 &&
	        strcmp(out.report[0].uri, "mailto:a@victim.example") == 0 &&
	        strcmp(out.report[1].to, "b@victim.example") == 0,
	    "build: destinations in the order of ruf=");
	vouch_failure_result_free(&out);
	/* a feedback report is not reported on (RFC 9991 §5.1 loops) */
	msg.header = (const uint8_t *)report_hdr;
	msg.header_len = sizeof(report_hdr) - 1;
	tap_check(vouch_failure_build(f, &w->res, &smtp, &msg, NULL, &out) ==
	                  VOUCH_OK &&
	              out.nreports == 0 && out.about_report &&
	              out.nrate_limited == 0,
	    "build: a message that is a feedback report gets none");
	vouch_failure_result_free(&out);
	msg.header = (const uint8_t *)hdr;
	msg.header_len = sizeof(hdr) - 1;
	/* rate 1 per hour: the same message again gets nothing */
	tap_check(vouch_failure_build(f, &w->res, &smtp, &msg, NULL, &out) ==
	                  VOUCH_OK &&
	              out.nreports == 0 && out.nrate_limited == 2,
	    "build: over the rate nothing is made, counted: %zu",
	    out.nrate_limited);
	vouch_failure_result_free(&out);
	vouch_failure_free(f);
	free_world(w);

	/* a replacement list (RFC 9990 §4 step 9) and a tempfail */
	if (make_world(w,
	        "v=DMARC1; p=reject; ruf=mailto:x@rep.example,"
	        "mailto:y@slow.example",
	        VOUCH_DMARC_FAIL, 0, 0) < 0)
		goto done;
	rec = &w->res.dmarc.domain[0].record;
	rec->ruf[0].override =
	    strdup("mailto:r1@rep.example,mailto:r2@rep.example,"
	           "mailto:r3@elsewhere.example");
	rec->ruf[1].kept = 0;
	rec->ruf[1].tempfail = 1;
	f = handle(10, 1);
	tap_check(f != NULL &&
	              vouch_failure_build(
	                  f, &w->res, &smtp, &msg, NULL, &out) == VOUCH_OK &&
	              out.nreports == 2 && out.nunusable == 2 &&
	              strcmp(out.report[0].to, "r1@rep.example") == 0 &&
	              strcmp(out.report[1].to, "r2@rep.example") == 0 &&
	              strcmp(out.report[1].uri, "mailto:r2@rep.example") == 0,
	    "build: a replacement list is used, a replacement at another host "
	    "and a tempfail are not: %zu reports, %zu unusable",
	    out.nreports, out.nunusable);
	vouch_failure_result_free(&out);
	vouch_failure_free(f);
	free_world(w);

	/* psd=y: counted, nothing made */
	if (make_world(w,
	        "v=DMARC1; p=reject; psd=y; ruf=mailto:a@victim.example",
	        VOUCH_DMARC_FAIL, 0, 0) < 0)
		goto done;
	f = handle(10, 1);
	tap_check(f != NULL &&
	              vouch_failure_build(
	                  f, &w->res, &smtp, &msg, NULL, &out) == VOUCH_OK &&
	              out.nreports == 0 && out.npsd == 1 && out.due == 0,
	    "build: psd=y: no report, counted (RFC 9991 §2)");
	vouch_failure_result_free(&out);
	vouch_failure_free(f);
	free_world(w);

	/* 16 destinations x (DMARC + 10 DKIM + SPF): capped per message */
	if (make_world(w,
	        "v=DMARC1; p=reject; fo=0:d:s; ruf=mailto:a@v.example,"
	        "mailto:b@v.example,mailto:c@v.example,"
	        "mailto:d@v.example,mailto:e@v.example,"
	        "mailto:f@v.example,mailto:g@v.example,"
	        "mailto:h@v.example,mailto:i@v.example,"
	        "mailto:j@v.example,mailto:k@v.example,"
	        "mailto:l@v.example,mailto:m@v.example,"
	        "mailto:n@v.example,mailto:o@v.example,"
	        "mailto:p@v.example",
	        VOUCH_DMARC_FAIL, 0, 0) < 0)
		goto done;
	for (i = 0; i < VOUCH_DKIM_MAX_SIGNATURES; i++)
		add_sig(w, VOUCH_DKIM_FAIL, "signature did not verify",
		    "victim.example");
	f = handle(100, 1);
	tap_check(f != NULL &&
	              vouch_failure_build(
	                  f, &w->res, &smtp, &msg, NULL, &out) == VOUCH_OK &&
	              out.nreports == VOUCH_FAILURE_MAX_REPORTS &&
	              out.nover_limit == 16 * 12 - VOUCH_FAILURE_MAX_REPORTS,
	    "build: at most %d reports per message, the rest counted: %zu "
	    "made, %zu over",
	    VOUCH_FAILURE_MAX_REPORTS, out.nreports, out.nover_limit);
	vouch_failure_result_free(&out);
	vouch_failure_free(f);
	free_world(w);
done:
	free(w);
}

int
main(void)
{
	test_redact_text();
	test_redact_hash();
	test_redact_header();
	test_defang();
	test_addr();
	test_mailto();
	test_rate();
	test_due();
	test_aligned();
	test_options();
	test_build();
	return tap_done();
}
