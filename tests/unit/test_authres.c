/*
 * Unit tests of the Authentication-Results module (src/lib/authres):
 * the writer (quoting, folding, none), the parser (RFC 8601 Appendix B,
 * comments, quotes, broken input) and the forgery protection (§5).
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vouch/authres.h"
#include "vouch/limits.h"
#include "util/buf.h"

/*
 * esc - the text with CR, LF, TAB and other controls shown as escapes, so
 * that each TAP line stays one line.  Rotates over four static buffers.
 */
static const char *
esc(const char *s)
{
	static char bufs[4][4096];
	static int k;
	char *o = bufs[k++ & 3];
	size_t n = 0;

	for (; *s != '\0' && n + 5 < sizeof(bufs[0]); s++) {
		if (*s == '\r' || *s == '\n' || *s == '\t') {
			o[n++] = '\\';
			o[n++] = *s == '\r' ? 'r' : *s == '\n' ? 'n' : 't';
		} else if ((unsigned char)*s < 0x20)
			n += (size_t)snprintf(
			    o + n, 5, "\\x%02x", (unsigned char)*s);
		else
			o[n++] = *s;
	}
	o[n] = '\0';
	return o;
}

/*
 * A compact rendering of a parsed field, so that a table row can say what
 * it wants in one string:
 *   ID[ v=VERSION][ none]{; METHOD[/V]=RESULT[ reason=[R]]{ P.Q=[VALUE]}}
 */
static void
render(struct vbuf *v, const struct vouch_authres *ar)
{
	size_t i, j;

	vbuf_reset(v);
	(void)vbuf_add(v, ar->authserv_id, ar->authserv_id_len);
	if (ar->version != NULL)
		(void)vbuf_addf(v, " v=%s", ar->version);
	if (ar->none)
		(void)vbuf_adds(v, " none");
	for (i = 0; i < ar->nresults; i++) {
		const struct vouch_authres_result *r = &ar->results[i];

		(void)vbuf_addf(v, "; %s", r->method);
		if (r->method_version != NULL)
			(void)vbuf_addf(v, "/%s", r->method_version);
		(void)vbuf_addf(v, "=%s", r->result);
		if (r->reason != NULL) {
			(void)vbuf_adds(v, " reason=[");
			(void)vbuf_add(v, r->reason, r->reason_len);
			(void)vbuf_adds(v, "]");
		}
		for (j = 0; j < r->nprops; j++) {
			(void)vbuf_addf(v, " %s.%s=[", r->props[j].ptype,
			    r->props[j].property);
			(void)vbuf_add(
			    v, r->props[j].value, r->props[j].value_len);
			(void)vbuf_adds(v, "]");
		}
	}
}

/* ---- parsing ---------------------------------------------------- */

static const struct {
	const char *name;
	const char *in;
	enum vouch_status want_st;
	const char *want; /* render() of the result when VOUCH_OK */
} parse_rows[] = {
    /* RFC 8601 Appendix B, the fields as printed there */
    {"RFC 8601 B.2 none with version",
        "Authentication-Results: example.org 1; none", VOUCH_OK,
        "example.org v=1 none"},
    {"RFC 8601 B.3 spf",
        "Authentication-Results: example.com;\r\n"
        "          spf=pass smtp.mailfrom=example.net",
        VOUCH_OK, "example.com; spf=pass smtp.mailfrom=[example.net]"},
    {"RFC 8601 B.4 auth and spf",
        "Authentication-Results: example.com;\r\n"
        "          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
        "          spf=pass smtp.mailfrom=example.net",
        VOUCH_OK,
        "example.com; auth=pass smtp.auth=[sender@example.net]; "
        "spf=pass smtp.mailfrom=[example.net]"},
    {"RFC 8601 B.4 iprev",
        "Authentication-Results: example.com; iprev=pass\r\n"
        "          policy.iprev=192.0.2.200",
        VOUCH_OK, "example.com; iprev=pass policy.iprev=[192.0.2.200]"},
    {"RFC 8601 B.5 dkim",
        "Authentication-Results: example.com;\r\n"
        "          dkim=pass (good signature) header.d=example.com",
        VOUCH_OK, "example.com; dkim=pass header.d=[example.com]"},
    {"RFC 8601 B.5 auth and spf fail",
        "Authentication-Results: example.com;\r\n"
        "          auth=pass (cram-md5) smtp.auth=sender@example.com;\r\n"
        "          spf=fail smtp.mailfrom=example.com",
        VOUCH_OK,
        "example.com; auth=pass smtp.auth=[sender@example.com]; "
        "spf=fail smtp.mailfrom=[example.com]"},
    {"RFC 8601 B.6 reasons and header.i",
        "Authentication-Results: example.com;\r\n"
        "      dkim=pass reason=\"good signature\"\r\n"
        "        header.i=@mail-router.example.net;\r\n"
        "      dkim=fail reason=\"bad signature\"\r\n"
        "        header.i=@newyork.example.com",
        VOUCH_OK,
        "example.com; dkim=pass reason=[good signature] "
        "header.i=[@mail-router.example.net]; dkim=fail "
        "reason=[bad signature] header.i=[@newyork.example.com]"},
    {"RFC 8601 B.6 second field",
        "Authentication-Results: example.net;\r\n"
        "      dkim=pass (good signature) header.i=@newyork.example.com",
        VOUCH_OK, "example.net; dkim=pass header.i=[@newyork.example.com]"},
    {"RFC 8601 B.7 comment-heavy",
        "Authentication-Results: foo.example.net (foobar) 1 (baz);\r\n"
        "    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n"
        "      policy (A dot can go here) . (like that) expired\r\n"
        "      (this surprised me) = (as I wasn't expecting it) "
        "1362471462",
        VOUCH_OK,
        "foo.example.net v=1; dkim/1=fail policy.expired=[1362471462]"},
    /* RFC 8601 §2.2 details */
    {"body without the field name", " example.org; none\r\n", VOUCH_OK,
        "example.org none"},
    {"field name in other case and LF line ends",
        "authentication-results : mx.example;\n\tspf=pass\n", VOUCH_OK,
        "mx.example; spf=pass"},
    {"quoted authserv-id", "\"mx example\"; spf=none", VOUCH_OK,
        "mx example; spf=none"},
    {"keywords lower-cased, values kept",
        "MX.Example; DKIM=Pass Header.D=Example.COM", VOUCH_OK,
        "MX.Example; dkim=pass header.d=[Example.COM]"},
    {"nested comments everywhere",
        "(a (b (c))) mx.example (d) ; (e (f)) spf (g) = (h) pass (i)"
        " smtp (j) . (k) mailfrom (l) = (m) example.net (n (o)) ;"
        " dkim=none",
        VOUCH_OK,
        "mx.example; spf=pass smtp.mailfrom=[example.net]; "
        "dkim=none"},
    {"comment holds quotes, semicolons and quoted-pairs",
        "mx.example; spf=pass (a \"b; c\" \\) d) smtp.mailfrom=x.example",
        VOUCH_OK, "mx.example; spf=pass smtp.mailfrom=[x.example]"},
    {"quoted value with ; and quoted-pairs",
        "mx.example; dkim=pass header.b=\"Ab3;dE+f\" "
        "header.s=\"a\\\"b\\\\c\"",
        VOUCH_OK,
        "mx.example; dkim=pass header.b=[Ab3;dE+f] header.s=[a\"b\\c]"},
    {"quoted local-part",
        "mx.example; spf=pass "
        "smtp.mailfrom=\"john doe\"@example.com",
        VOUCH_OK, "mx.example; spf=pass smtp.mailfrom=[john doe@example.com]"},
    {"folded quoted-string loses its line end",
        "mx.example; dmarc=fail reason=\"no aligned\r\n identifiers\"",
        VOUCH_OK, "mx.example; dmarc=fail reason=[no aligned identifiers]"},
    {"reason as a token", "mx.example; spf=fail reason=bad", VOUCH_OK,
        "mx.example; spf=fail reason=[bad]"},
    {"quoted IPv6 value",
        "mx.example; iprev=pass policy.iprev=\"2001:db8::25\"", VOUCH_OK,
        "mx.example; iprev=pass policy.iprev=[2001:db8::25]"},
    {"unquoted IPv6 value (lenient)",
        "mx.example; iprev=pass policy.iprev=2001:db8::26", VOUCH_OK,
        "mx.example; iprev=pass policy.iprev=[2001:db8::26]"},
    {"unknown method kept",
        "mx.example; x-frob/2=maybe x.y=z; vbr=pass header.md=a.example",
        VOUCH_OK,
        "mx.example; x-frob/2=maybe x.y=[z]; vbr=pass "
        "header.md=[a.example]"},
    {"empty quoted value", "mx.example; spf=none smtp.helo=\"\"", VOUCH_OK,
        "mx.example; spf=none smtp.helo=[]"},
    {"trailing semicolon (lenient)", "mx.example; spf=pass;\r\n", VOUCH_OK,
        "mx.example; spf=pass"},
    {"only a semicolon (lenient)", "mx.google.com;", VOUCH_OK, "mx.google.com"},
    {"method named none needs =", "mx.example; none=pass", VOUCH_OK,
        "mx.example; none=pass"},
    {"UTF-8 in a quoted reason (RFC 6532)",
        "mx.example; spf=fail reason=\"caf\xc3\xa9\"", VOUCH_OK,
        "mx.example; spf=fail reason=[caf\xc3\xa9]"},
    /* shapes written by widely deployed MTAs */
    {"Gmail-style field",
        "Authentication-Results: mx.google.com;\r\n"
        "       dkim=pass header.i=@example.com header.s=20230601 "
        "header.b=AbCd12/+;\r\n"
        "       spf=pass (google.com: domain of a@example.com designates "
        "2001:db8::1 as permitted sender) smtp.mailfrom=a@example.com;\r\n"
        "       dmarc=pass (p=NONE sp=NONE dis=NONE) "
        "header.from=example.com\r\n",
        VOUCH_OK,
        "mx.google.com; dkim=pass header.i=[@example.com] "
        "header.s=[20230601] header.b=[AbCd12/+]; spf=pass "
        "smtp.mailfrom=[a@example.com]; dmarc=pass "
        "header.from=[example.com]"},
    {"OpenDMARC-style field",
        "Authentication-Results: mail.example.net; dmarc=pass (p=reject "
        "dis=none) header.from=example.com",
        VOUCH_OK, "mail.example.net; dmarc=pass header.from=[example.com]"},
    {"field without an authserv-id (Exchange Online style) refused",
        "Authentication-Results: spf=pass (sender IP is 192.0.2.1) "
        "smtp.mailfrom=example.com; dkim=none (message not signed) "
        "header.d=none;dmarc=none action=none header.from=example.com;",
        VOUCH_ESYNTAX, NULL},
    /* broken input: a clear status, never a partial result */
    {"empty input", "", VOUCH_ESYNTAX, NULL},
    {"only the field name", "Authentication-Results:", VOUCH_ESYNTAX, NULL},
    {"authserv-id alone", "mx.example", VOUCH_ESYNTAX, NULL},
    {"no authserv-id", "; spf=pass", VOUCH_ESYNTAX, NULL},
    {"empty quoted authserv-id", "\"\"; none", VOUCH_ESYNTAX, NULL},
    {"method without =", "mx.example; spf pass", VOUCH_ESYNTAX, NULL},
    {"method without result", "mx.example; spf=", VOUCH_ESYNTAX, NULL},
    {"method version not digits", "mx.example; spf/x=pass", VOUCH_ESYNTAX,
        NULL},
    {"property without value",
        "mx.example; spf=pass smtp.mailfrom=", VOUCH_ESYNTAX, NULL},
    {"property without dot", "mx.example; spf=pass smtp=x", VOUCH_ESYNTAX,
        NULL},
    {"unterminated comment", "mx.example; spf=pass (oops", VOUCH_ESYNTAX, NULL},
    {"unbalanced nested comment", "mx.example (a (b); none", VOUCH_ESYNTAX,
        NULL},
    {"unterminated quoted-string", "mx.example; spf=fail reason=\"x",
        VOUCH_ESYNTAX, NULL},
    {"quoted-pair at end", "mx.example; spf=fail reason=\"x\\", VOUCH_ESYNTAX,
        NULL},
    {"text after none", "mx.example; none spf=pass", VOUCH_ESYNTAX, NULL},
    {"two reasons", "mx.example; spf=fail reason=a reason=b", VOUCH_ESYNTAX,
        NULL},
    {"stray close paren", "mx.example; spf=pass ) x", VOUCH_ESYNTAX, NULL},
    {"control character", "mx.example; spf=pass reason=\"a\x01\"",
        VOUCH_ESYNTAX, NULL},
    {"two semicolons", "mx.example;; spf=pass", VOUCH_ESYNTAX, NULL},
};

static void
test_parse(void)
{
	struct vouch_authres *ar;
	enum vouch_status st;
	struct vbuf v;
	size_t i;

	vbuf_init(&v, 1 << 16);
	for (i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		st = vouch_authres_parse((const uint8_t *)parse_rows[i].in,
		    strlen(parse_rows[i].in), &ar);
		if (st != parse_rows[i].want_st) {
			tap_check(0, "parse %s: got status %s, want %s",
			    parse_rows[i].name, vouch_status_str(st),
			    vouch_status_str(parse_rows[i].want_st));
		} else if (st != VOUCH_OK) {
			tap_check(ar == NULL, "parse %s: %s, no result",
			    parse_rows[i].name, vouch_status_str(st));
		} else {
			render(&v, ar);
			tap_check(strcmp((char *)v.p, parse_rows[i].want) == 0,
			    "parse %s: got \"%s\", want \"%s\"",
			    parse_rows[i].name, esc((char *)v.p),
			    esc(parse_rows[i].want));
		}
		vouch_authres_result_free(ar);
	}
	vbuf_free(&v);
}

/* Parse limits: each bound of limits.h gives VOUCH_ELIMIT, not a crash. */
static void
test_parse_limits(void)
{
	struct vouch_authres *ar;
	struct vbuf v;
	enum vouch_status st;
	size_t i;

	vbuf_init(&v, 1 << 20);
	(void)vbuf_adds(&v, "mx.example ");
	for (i = 0; i < VOUCH_AUTHRES_MAX_DEPTH; i++)
		(void)vbuf_addc(&v, '(');
	for (i = 0; i < VOUCH_AUTHRES_MAX_DEPTH; i++)
		(void)vbuf_addc(&v, ')');
	(void)vbuf_adds(&v, "; none");
	st = vouch_authres_parse(v.p, v.len, &ar);
	tap_check(st == VOUCH_OK, "comments nested MAX_DEPTH deep: got %s",
	    vouch_status_str(st));
	vouch_authres_result_free(ar);

	vbuf_reset(&v);
	(void)vbuf_adds(&v, "mx.example ");
	for (i = 0; i <= VOUCH_AUTHRES_MAX_DEPTH; i++)
		(void)vbuf_addc(&v, '(');
	for (i = 0; i <= VOUCH_AUTHRES_MAX_DEPTH; i++)
		(void)vbuf_addc(&v, ')');
	(void)vbuf_adds(&v, "; none");
	st = vouch_authres_parse(v.p, v.len, &ar);
	tap_check(st == VOUCH_ELIMIT && ar == NULL,
	    "comments nested deeper than MAX_DEPTH: got %s, want %s",
	    vouch_status_str(st), vouch_status_str(VOUCH_ELIMIT));

	vbuf_reset(&v);
	(void)vbuf_adds(&v, "mx.example");
	for (i = 0; i < VOUCH_AUTHRES_MAX_RESULTS; i++)
		(void)vbuf_adds(&v, "; spf=pass");
	st = vouch_authres_parse(v.p, v.len, &ar);
	tap_check(st == VOUCH_OK && ar->nresults == VOUCH_AUTHRES_MAX_RESULTS,
	    "MAX_RESULTS results: got %s", vouch_status_str(st));
	vouch_authres_result_free(ar);
	(void)vbuf_adds(&v, "; spf=pass");
	st = vouch_authres_parse(v.p, v.len, &ar);
	tap_check(st == VOUCH_ELIMIT && ar == NULL,
	    "more than MAX_RESULTS results: got %s, want %s",
	    vouch_status_str(st), vouch_status_str(VOUCH_ELIMIT));

	vbuf_reset(&v);
	(void)vbuf_adds(&v, "mx.example; dkim=pass");
	for (i = 0; i < VOUCH_AUTHRES_MAX_PROPS; i++)
		(void)vbuf_adds(&v, " header.d=x");
	st = vouch_authres_parse(v.p, v.len, &ar);
	tap_check(
	    st == VOUCH_OK && ar->results[0].nprops == VOUCH_AUTHRES_MAX_PROPS,
	    "MAX_PROPS properties: got %s", vouch_status_str(st));
	vouch_authres_result_free(ar);
	(void)vbuf_adds(&v, " header.d=x");
	st = vouch_authres_parse(v.p, v.len, &ar);
	tap_check(st == VOUCH_ELIMIT && ar == NULL,
	    "more than MAX_PROPS properties: got %s, want %s",
	    vouch_status_str(st), vouch_status_str(VOUCH_ELIMIT));

	vbuf_reset(&v);
	(void)vbuf_adds(&v, "mx.example; spf=pass (");
	for (i = 0; i < VOUCH_AUTHRES_MAX_FIELD; i++)
		(void)vbuf_addc(&v, 'x');
	(void)vbuf_adds(&v, ")");
	st = vouch_authres_parse(v.p, v.len, &ar);
	tap_check(st == VOUCH_ELIMIT && ar == NULL,
	    "field longer than MAX_FIELD: got %s, want %s",
	    vouch_status_str(st), vouch_status_str(VOUCH_ELIMIT));

	/* an embedded NUL is a control character, not the end */
	st = vouch_authres_parse(
	    (const uint8_t *)"mx.example; spf=pass\0x", 22, &ar);
	tap_check(st == VOUCH_ESYNTAX && ar == NULL,
	    "embedded NUL: got %s, want %s", vouch_status_str(st),
	    vouch_status_str(VOUCH_ESYNTAX));
	vbuf_free(&v);
}

/* ---- generation ------------------------------------------------- */

/* One builder call: 'a' add, 'p' prop, 'c' comment, 'n' none. */
struct op {
	char kind;
	const char *a, *b, *c;
};

static const struct {
	const char *name;
	const char *id;
	struct op ops[12];
	const char *want;
} gen_rows[] = {
    {"no result gives none (RFC 8601 §2.2 no-result)", "mx.example",
        {{0, NULL, NULL, NULL}},
        "Authentication-Results: mx.example; none\r\n"},
    {"explicit none", "mx.example", {{'n', NULL, NULL, NULL}},
        "Authentication-Results: mx.example; none\r\n"},
    {"one result per line", "mx.example.org",
        {{'a', "dkim", "pass", NULL}, {'p', "header", "d", "example.com"},
            {'p', "header", "s", "sel1"}, {'p', "header", "b", "AbCdEfGh"},
            {'a', "spf", "pass", NULL},
            {'p', "smtp", "mailfrom", "example.com"}},
        "Authentication-Results: mx.example.org;\r\n"
        "\tdkim=pass header.d=example.com header.s=sel1 "
        "header.b=AbCdEfGh;\r\n"
        "\tspf=pass smtp.mailfrom=example.com\r\n"},
    {"values that are not tokens are quoted (RFC 2045 §5.1)", "mx",
        {{'a', "dkim", "pass", NULL}, {'p', "header", "b", "Ab3+dE/f"},
            {'a', "iprev", "pass", NULL},
            {'p', "policy", "iprev", "2001:db8::25"}, {'a', "x", "y", NULL},
            {'p', "policy", "q", "a\"b\\c d"}, {'p', "policy", "e", ""}},
        "Authentication-Results: mx;\r\n"
        "\tdkim=pass header.b=\"Ab3+dE/f\";\r\n"
        "\tiprev=pass policy.iprev=\"2001:db8::25\";\r\n"
        "\tx=y policy.q=\"a\\\"b\\\\c d\" policy.e=\"\"\r\n"},
    {"addresses as local-part@domain (RFC 8601 §2.2 pvalue)", "mx",
        {{'a', "spf", "pass", NULL},
            {'p', "smtp", "mailfrom", "user.name+tag@example.com"},
            {'a', "spf", "pass", NULL},
            {'p', "smtp", "mailfrom", "john doe@example.com"},
            {'a', "dkim", "pass", NULL}, {'p', "header", "i", "@example.com"},
            {'a', "auth", "pass", NULL},
            {'p', "smtp", "auth", "a@b@[192.0.2.1]"}},
        "Authentication-Results: mx;\r\n"
        "\tspf=pass smtp.mailfrom=user.name+tag@example.com;\r\n"
        "\tspf=pass smtp.mailfrom=\"john doe\"@example.com;\r\n"
        "\tdkim=pass header.i=@example.com;\r\n"
        "\tauth=pass smtp.auth=\"a@b@[192.0.2.1]\"\r\n"},
    {"reason always quoted, CR LF neutralised", "mx",
        {{'a', "dmarc", "fail", "no \"aligned\"\r\nX-Evil: 1"},
            {'p', "header", "from", "example.com"}},
        "Authentication-Results: mx;\r\n"
        "\tdmarc=fail reason=\"no \\\"aligned\\\"  X-Evil: 1\" "
        "header.from=example.com\r\n"},
    {"comments after id and result, parens escaped", "mx",
        {{'c', "vouch 0.1", NULL, NULL}, {'a', "dkim", "pass", NULL},
            {'c', "2048-bit (rsa) key", NULL, NULL},
            {'p', "header", "d", "example.com"}},
        "Authentication-Results: mx (vouch 0.1);\r\n"
        "\tdkim=pass (2048-bit \\(rsa\\) key) header.d=example.com\r\n"},
    {"quoted authserv-id", "mx/1", {{'a', "spf", "none", NULL}},
        "Authentication-Results: \"mx/1\";\r\n\tspf=none\r\n"},
    {"long reason folds inside the quoted-string", "mx",
        {{'a', "dmarc", "fail",
            "no aligned identifiers; the policy of example.com is "
            "reject and the message was quarantined instead"}},
        "Authentication-Results: mx;\r\n"
        "\tdmarc=fail\r\n"
        "\treason=\"no aligned identifiers; the policy of example.com is "
        "reject\r\n and the message was quarantined instead\"\r\n"},
};

/* Every line at most 78 columns (TAB = 8), every line end CRLF. */
static int
check_shape(const char *f, size_t len, size_t *worst)
{
	size_t i, col = 0;

	*worst = 0;
	for (i = 0; i < len; i++) {
		if (f[i] == '\r') {
			if (i + 1 >= len || f[i + 1] != '\n')
				return 0;
			i++;
			col = 0;
			continue;
		}
		if (f[i] == '\n')
			return 0;
		col += f[i] == '\t' ? 8 : 1;
		if (col > *worst)
			*worst = col;
	}
	return len >= 2 && f[len - 2] == '\r' && f[len - 1] == '\n' &&
	       *worst <= 78;
}

static enum vouch_status
build(const char *id, const struct op *ops, size_t nops, char **f, size_t *len)
{
	struct vouch_authres_builder *b;
	enum vouch_status st;
	size_t i;

	if ((st = vouch_authres_new(id, strlen(id), &b)) != VOUCH_OK)
		return st;
	for (i = 0; i < nops && ops[i].kind != 0; i++) {
		switch (ops[i].kind) {
		case 'a':
			(void)vouch_authres_add(
			    b, ops[i].a, ops[i].b, ops[i].c);
			break;
		case 'p':
			(void)vouch_authres_prop(b, ops[i].a, ops[i].b,
			    (const uint8_t *)ops[i].c, strlen(ops[i].c));
			break;
		case 'c':
			(void)vouch_authres_comment(
			    b, ops[i].a, strlen(ops[i].a));
			break;
		case 'n':
			(void)vouch_authres_none(b);
			break;
		}
	}
	st = vouch_authres_finish(b, f, len);
	vouch_authres_free(b);
	return st;
}

static void
test_gen(void)
{
	struct vouch_authres *ar;
	enum vouch_status st;
	size_t i, len, worst;
	char *f;
	int shaped;

	for (i = 0; i < sizeof(gen_rows) / sizeof(gen_rows[0]); i++) {
		st = build(gen_rows[i].id, gen_rows[i].ops, 12, &f, &len);
		if (st != VOUCH_OK) {
			tap_check(0, "gen %s: got status %s", gen_rows[i].name,
			    vouch_status_str(st));
			continue;
		}
		tap_check(len == strlen(f) && strcmp(f, gen_rows[i].want) == 0,
		    "gen %s: got \"%s\", want \"%s\"", gen_rows[i].name, esc(f),
		    esc(gen_rows[i].want));
		shaped = check_shape(f, len, &worst);
		tap_check(shaped,
		    "gen %s: lines <= 78 columns, CRLF (widest %zu)",
		    gen_rows[i].name, worst);
		st = vouch_authres_parse((const uint8_t *)f, len, &ar);
		tap_check(st == VOUCH_OK, "gen %s: parses back: got status %s",
		    gen_rows[i].name, vouch_status_str(st));
		vouch_authres_result_free(ar);
		free(f);
	}
}

/*
 * Round trip: what the writer makes, the parser reads back to the same
 * values, for awkward values, and the folding holds for many results.
 */
static void
test_roundtrip(void)
{
	static const char *values[] = {"example.com", "2001:db8::1",
	    "john doe@example.com", "a\"b\\c", "@example.com", "x;y(z)",
	    "caf\xc3\xa9@example.com", "user@sub.example.com", "AbCdEf+/==", "",
	    "a b  c", "\"q\"@example.com"};
	struct vouch_authres_builder *b;
	struct vouch_authres *ar;
	enum vouch_status st;
	size_t i, len, worst = 0;
	int shaped;
	char *f = NULL;

	if (vouch_authres_new("mx.example.org", 14, &b) != VOUCH_OK) {
		tap_check(0, "roundtrip: builder");
		return;
	}
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		(void)vouch_authres_add(b, "x-test", "pass",
		    "a reason with \"quotes\" and \\ (parens)");
		(void)vouch_authres_prop(b, "policy", "v",
		    (const uint8_t *)values[i], strlen(values[i]));
	}
	st = vouch_authres_finish(b, &f, &len);
	vouch_authres_free(b);
	if (st != VOUCH_OK) {
		tap_check(0, "roundtrip: finish: %s", vouch_status_str(st));
		return;
	}
	shaped = check_shape(f, len, &worst);
	tap_check(
	    shaped, "roundtrip: lines <= 78 columns, CRLF (widest %zu)", worst);
	st = vouch_authres_parse((const uint8_t *)f, len, &ar);
	if (st != VOUCH_OK) {
		tap_check(0, "roundtrip: parse: %s", vouch_status_str(st));
		free(f);
		return;
	}
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		const struct vouch_authres_result *r = &ar->results[i];
		const char *want = values[i];

		tap_check(
		    i < ar->nresults && r->nprops == 1 &&
		        r->props[0].value_len == strlen(want) &&
		        memcmp(r->props[0].value, want, strlen(want)) == 0 &&
		        strcmp(r->reason,
		            "a reason with \"quotes\" and \\ (parens)") == 0,
		    "roundtrip value \"%s\": got \"%s\"", values[i],
		    i < ar->nresults && r->nprops == 1 ? r->props[0].value
		                                       : "(missing)");
	}
	vouch_authres_result_free(ar);
	free(f);
}

static void
test_gen_errors(void)
{
	struct vouch_authres_builder *b;
	enum vouch_status st;
	char *f;
	size_t len, i;
	char big[VOUCH_AUTHRES_MAX_VALUE + 2];

	tap_check(vouch_authres_new("", 0, &b) == VOUCH_EINVAL && b == NULL,
	    "gen: empty authserv-id is EINVAL");
	tap_check(vouch_authres_new("a\r\nb", 4, &b) == VOUCH_EINVAL,
	    "gen: authserv-id with CR LF is EINVAL");

	if (vouch_authres_new("mx", 2, &b) != VOUCH_OK)
		return;
	st = vouch_authres_prop(b, "header", "d", (const uint8_t *)"x", 1);
	tap_check(st == VOUCH_EINVAL, "gen: property before a result: got %s",
	    vouch_status_str(st));
	st = vouch_authres_finish(b, &f, &len);
	tap_check(st == VOUCH_EINVAL && f == NULL,
	    "gen: first error is sticky until finish: got %s",
	    vouch_status_str(st));
	vouch_authres_free(b);

	if (vouch_authres_new("mx", 2, &b) != VOUCH_OK)
		return;
	st = vouch_authres_add(b, "dkim;x", "pass", NULL);
	tap_check(st == VOUCH_EINVAL, "gen: method not a Keyword: got %s",
	    vouch_status_str(st));
	vouch_authres_free(b);

	if (vouch_authres_new("mx", 2, &b) != VOUCH_OK)
		return;
	(void)vouch_authres_none(b);
	st = vouch_authres_add(b, "spf", "pass", NULL);
	tap_check(st == VOUCH_EINVAL, "gen: result after none: got %s",
	    vouch_status_str(st));
	vouch_authres_free(b);

	if (vouch_authres_new("mx", 2, &b) != VOUCH_OK)
		return;
	for (i = 0; i < VOUCH_AUTHRES_MAX_RESULTS; i++)
		(void)vouch_authres_add(b, "spf", "pass", NULL);
	st = vouch_authres_add(b, "spf", "pass", NULL);
	tap_check(st == VOUCH_ELIMIT,
	    "gen: more than MAX_RESULTS results: got %s", vouch_status_str(st));
	vouch_authres_free(b);

	if (vouch_authres_new("mx", 2, &b) != VOUCH_OK)
		return;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	(void)vouch_authres_add(b, "spf", "pass", NULL);
	st = vouch_authres_prop(
	    b, "smtp", "helo", (const uint8_t *)big, sizeof(big) - 1);
	tap_check(st == VOUCH_ELIMIT,
	    "gen: value longer than MAX_VALUE: got %s", vouch_status_str(st));
	vouch_authres_free(b);

	if (vouch_authres_new("mx", 2, &b) != VOUCH_OK)
		return;
	(void)vouch_authres_add(b, "spf", "pass", NULL);
	st = vouch_authres_prop(
	    b, "smtp", "helo", (const uint8_t *)"a\0b\xff", 4);
	st = st == VOUCH_OK ? vouch_authres_finish(b, &f, &len) : st;
	tap_check(st == VOUCH_OK && strstr(f, "smtp.helo=\"a?b?\"") != NULL,
	    "gen: NUL and non-UTF-8 bytes replaced: got %s",
	    st == VOUCH_OK ? esc(f) : vouch_status_str(st));
	if (st == VOUCH_OK)
		free(f);
	vouch_authres_free(b);

	/*
	 * The largest pieces the builder must take (its piece has a fixed
	 * size, AR_PIECE_MAX): 63-byte names and a value, a reason and a
	 * comment of MAX_VALUE bytes that each need an escape.
	 */
	if (vouch_authres_new("mx", 2, &b) != VOUCH_OK)
		return;
	memset(big, '"', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\0';
	st = vouch_authres_add(b, "spf", "pass", big);
	if (st == VOUCH_OK)
		st = vouch_authres_prop(b,
		    "p234567890123456789012345678901234567890123456789012345678"
		    "90123",
		    "q234567890123456789012345678901234567890123456789012345678"
		    "90123",
		    (const uint8_t *)big, sizeof(big) - 2);
	memset(big, '(', sizeof(big) - 2);
	if (st == VOUCH_OK)
		st = vouch_authres_comment(b, big, sizeof(big) - 2);
	st = st == VOUCH_OK ? vouch_authres_finish(b, &f, &len) : st;
	tap_check(st == VOUCH_OK && len > 6 * VOUCH_AUTHRES_MAX_VALUE,
	    "gen: largest escaped reason, property and comment: got %s, %zu "
	    "bytes; want ok, over %d",
	    vouch_status_str(st), st == VOUCH_OK ? len : 0,
	    6 * VOUCH_AUTHRES_MAX_VALUE);
	if (st == VOUCH_OK)
		free(f);
	vouch_authres_free(b);
	vouch_authres_free(NULL);
}

/* ---- forgery protection (RFC 8601 §5) ----------------------------- */

static void
test_forgery(void)
{
	static const char hdr[] =
	    "Authentication-Results: mx.example.org; spf=pass\r\n"
	    "Received: from a by b\r\n"
	    "authentication-results: (forged) \"MX.Example.ORG\";\r\n"
	    "\tdkim=pass header.d=bank.example\r\n"
	    "Authentication-Results: other.example; dkim=fail\r\n"
	    "ARC-Authentication-Results: i=1; mx.example.org; spf=pass\r\n"
	    "Authentication-Results: mx.example.org; this does not parse\r\n"
	    "Authentication-Results: mx.example.org.evil; none\r\n"
	    "Subject: x\r\n"
	    "\r\n"
	    "Authentication-Results: mx.example.org; in the body\r\n";
	static const char want[] =
	    "Received: from a by b\r\n"
	    "Authentication-Results: other.example; dkim=fail\r\n"
	    "ARC-Authentication-Results: i=1; mx.example.org; spf=pass\r\n"
	    "Authentication-Results: mx.example.org.evil; none\r\n"
	    "Subject: x\r\n"
	    "\r\n"
	    "Authentication-Results: mx.example.org; in the body\r\n";
	struct vouch_authres_span spans[8];
	uint8_t out[sizeof(hdr)];
	size_t n, outlen, nremoved, len = sizeof(hdr) - 1;
	enum vouch_status st;

	st = vouch_authres_find_ours(
	    (const uint8_t *)hdr, len, "mx.example.org", 14, spans, 8, &n);
	tap_check(st == VOUCH_OK && n == 3,
	    "RFC 8601 §5 find ours: got %s, %zu fields, want 3",
	    vouch_status_str(st), n);
	tap_check(n == 3 && spans[0].off == 0 && spans[0].len == 50 &&
	              memcmp(hdr + spans[1].off,
	                  "authentication-results: (forged)", 32) == 0 &&
	              spans[1].len == 86 &&
	              memcmp(hdr + spans[2].off + spans[2].len - 16,
	                  "does not parse", 14) == 0,
	    "RFC 8601 §5 find ours: byte ranges (folded field whole)");
	st = vouch_authres_find_ours(
	    (const uint8_t *)hdr, len, "mx.example.org", 14, spans, 1, &n);
	tap_check(st == VOUCH_ELIMIT && n == 3 && spans[0].off == 0,
	    "find ours with too little room: got %s, n %zu",
	    vouch_status_str(st), n);
	st = vouch_authres_strip_ours((const uint8_t *)hdr, len,
	    "mx.example.org", 14, out, sizeof(out), &outlen, &nremoved);
	tap_check(st == VOUCH_OK && nremoved == 3 &&
	              outlen == sizeof(want) - 1 &&
	              memcmp(out, want, outlen) == 0,
	    "RFC 8601 §5 strip ours: got %s, %zu removed", vouch_status_str(st),
	    nremoved);
	st = vouch_authres_strip_ours((const uint8_t *)hdr, len,
	    "mx.example.org", 14, out, 10, &outlen, &nremoved);
	tap_check(st == VOUCH_ELIMIT, "strip ours into a small buffer: got %s",
	    vouch_status_str(st));
	st = vouch_authres_strip_ours((const uint8_t *)"Subject: x\n", 11, "mx",
	    2, out, sizeof(out), &outlen, &nremoved);
	tap_check(st == VOUCH_OK && nremoved == 0 && outlen == 11 &&
	              memcmp(out, "Subject: x\n", 11) == 0,
	    "strip ours, none present, LF line ends: copy unchanged");
	st = vouch_authres_find_ours(
	    (const uint8_t *)"Authentication-Results: mx;none", 31, "mx", 2,
	    spans, 8, &n);
	tap_check(st == VOUCH_OK && n == 1 && spans[0].len == 31,
	    "find ours in a header without a final line end");
	st = vouch_authres_find_ours(
	    (const uint8_t *)hdr, len, "", 0, spans, 8, &n);
	tap_check(st == VOUCH_EINVAL, "find ours with an empty id: EINVAL");
	{
		char longid[VOUCH_AUTHRES_MAX_ID + 2];

		memset(longid, 'a', sizeof(longid));
		st = vouch_authres_strip_ours((const uint8_t *)hdr, len, longid,
		    sizeof(longid), out, sizeof(out), &outlen, &nremoved);
		tap_check(st == VOUCH_ELIMIT,
		    "strip ours with an id longer than MAX_ID: got %s, want %s",
		    vouch_status_str(st), vouch_status_str(VOUCH_ELIMIT));
	}
}

int
main(void)
{
	test_parse();
	test_parse_limits();
	test_gen();
	test_roundtrip();
	test_gen_errors();
	test_forgery();
	return tap_done();
}
