/*
 * vouch_verify_*: the verdict of each row through the one-call form, and
 * the same field from the streaming form fed as a milter feeds it (header
 * field by field, body one byte at a time) and from a file descriptor;
 * then the calls' argument and order errors.  Messages are signed here
 * with a fresh Ed25519 key published in an in-memory zone.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tap.h"
#include "vouch/vouch.h"

#define ID "mx.receiver.example"
#define NOW 1796000000

static const char zone_head[] =
    "$ORIGIN .\n$TTL 300\n"
    "example.com. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n"
    "bounces.example.com. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "mx.example.com. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "_dmarc.quar.example. TXT \"v=DMARC1; p=quarantine\"\n"
    "rep.example. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "_dmarc.rep.example. TXT \"v=DMARC1; p=none; "
    "rua=mailto:agg@rep.example\"\n"
    "$TIMEOUT slow.example.\n";

struct row {
	const char *name;
	const char *header; /* header section, CRLF, with the empty line */
	const char *body;
	int sign; /* sign with d=example.com s=ed */
	const char *tamper; /* replace the first byte of this in the body */
	const char *ip, *helo, *mail_from;
	const char *want_spf, *want_dkim, *want_dmarc;
	enum vouch_spf_verdict spf;
	enum vouch_dkim_verdict dkim;
	enum vouch_dmarc_verdict dmarc;
	size_t nforged;
};

#define HDR(from) \
	"From: " from "\r\nTo: b@example.org\r\nSubject: row\r\n" \
	"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n" \
	"Message-ID: <row@example.com>\r\n"

static const struct row rows[] = {
    {"SPF pass aligned, unsigned", HDR("a@example.com") "\r\n", "hi\r\n", 0,
        NULL, "192.0.2.1", "mx.example.com", "a@bounces.example.com",
        "spf=pass", "dkim=none", "dmarc=pass", VOUCH_SPF_PASS, VOUCH_DKIM_NONE,
        VOUCH_DMARC_PASS, 0},
    {"DKIM pass aligned, SPF fail", HDR("a@example.com") "\r\n",
        "body line one\r\nbody line two\r\n", 1, NULL, "203.0.113.1",
        "x.example.net", "a@example.com", "spf=fail", "dkim=pass", "dmarc=pass",
        VOUCH_SPF_FAIL, VOUCH_DKIM_PASS, VOUCH_DMARC_PASS, 0},
    {"DKIM body changed, SPF fail: DMARC fail", HDR("a@example.com") "\r\n",
        "body line one\r\nbody line two\r\n", 1, "two", "203.0.113.1",
        "x.example.net", "a@example.com", "spf=fail", "dkim=fail", "dmarc=fail",
        VOUCH_SPF_FAIL, VOUCH_DKIM_FAIL, VOUCH_DMARC_FAIL, 0},
    {"p=quarantine, nothing aligned", HDR("q@quar.example") "\r\n", "x\r\n", 0,
        NULL, "192.0.2.1", "mx.example.com", "a@example.com", "spf=pass",
        "dkim=none", "policy.dmarc=quarantine", VOUCH_SPF_PASS, VOUCH_DKIM_NONE,
        VOUCH_DMARC_FAIL, 0},
    {"null MAIL FROM: HELO checked", HDR("a@example.com") "\r\n", "x\r\n", 0,
        NULL, "192.0.2.1", "mx.example.com", "", "smtp.helo=mx.example.com",
        "dkim=none", "dmarc=pass", VOUCH_SPF_PASS, VOUCH_DKIM_NONE,
        VOUCH_DMARC_PASS, 0},
    {"SPF temperror", HDR("a@example.com") "\r\n", "x\r\n", 0, NULL,
        "192.0.2.1", "mx.example.com", "a@slow.example", "spf=temperror",
        "dkim=none", "dmarc=fail", VOUCH_SPF_TEMPERROR, VOUCH_DKIM_NONE,
        VOUCH_DMARC_FAIL, 0},
    {"unknown client: no spf result", HDR("a@example.com") "\r\n", "x\r\n", 0,
        NULL, "", "mx.example.com", "a@example.com", "dkim=none", "dkim=none",
        "dmarc=fail", VOUCH_SPF_NONE, VOUCH_DKIM_NONE, VOUCH_DMARC_FAIL, 0},
    {"two forged fields of ours",
        "Authentication-Results: " ID "; dmarc=pass\r\n" HDR(
            "a@example.com") "Authentication-Results: MX.RECEIVER.EXAMPLE;\r\n"
                             "\tspf=pass\r\n"
                             "Authentication-Results: other.example; "
                             "spf=pass\r\n\r\n",
        "x\r\n", 0, NULL, "192.0.2.1", "mx.example.com", "a@example.com",
        "spf=pass", "dkim=none", "dmarc=pass", VOUCH_SPF_PASS, VOUCH_DKIM_NONE,
        VOUCH_DMARC_PASS, 2},
    {"no From field", "Subject: none\r\n\r\n", "x\r\n", 0, NULL, "192.0.2.1",
        "mx.example.com", "a@example.com", "spf=pass", "dkim=none",
        "dmarc=permerror", VOUCH_SPF_PASS, VOUCH_DKIM_NONE,
        VOUCH_DMARC_PERMERROR, 0},
};

static struct vouch_dkim_key *key;

/* A field on one line, for TAP output (a static buffer per slot). */
static const char *
flat(const char *field, int slot)
{
	static char buf[2][2048];
	size_t i;

	if (field == NULL)
		return "(error)";
	for (i = 0; field[i] != '\0' && i < sizeof(buf[0]) - 1; i++)
		buf[slot][i] =
		    field[i] == '\r' || field[i] == '\n' || field[i] == '\t'
		        ? ' '
		        : field[i];
	buf[slot][i] = '\0';
	return buf[slot];
}

/* The message of a row: signed when asked, then tampered with. */
static char *
make_message(const struct row *r, size_t *len)
{
	struct vouch_dkim_sign_req req;
	struct vouch_dkim_sign *s = NULL;
	char *sig = NULL, *msg, *t;
	size_t siglen = 0, hl = strlen(r->header), bl = strlen(r->body);

	if (r->sign) {
		memset(&req, 0, sizeof(req));
		req.key = key;
		req.domain = "example.com";
		req.selector = "ed";
		req.header_relaxed = req.body_relaxed = true;
		if (vouch_dkim_sign_new(&req, 1, NOW - 60, &s) != VOUCH_OK ||
		    vouch_dkim_sign_update(s, (const uint8_t *)r->header, hl) !=
		        VOUCH_OK ||
		    vouch_dkim_sign_update(s, (const uint8_t *)r->body, bl) !=
		        VOUCH_OK ||
		    vouch_dkim_sign_finish(s, true, &sig, &siglen) != VOUCH_OK)
			siglen = 0;
		vouch_dkim_sign_free(s);
	}
	if ((msg = malloc(siglen + hl + bl + 1)) == NULL)
		abort();
	if (siglen)
		memcpy(msg, sig, siglen);
	memcpy(msg + siglen, r->header, hl);
	memcpy(msg + siglen + hl, r->body, bl + 1);
	free(sig);
	if (r->tamper != NULL && (t = strstr(msg + siglen + hl, r->tamper)))
		*t ^= 0x20;
	*len = siglen + hl + bl;
	return msg;
}

static struct vouch_verify_smtp
smtp_of(const struct row *r)
{
	struct vouch_verify_smtp s;

	memset(&s, 0, sizeof(s));
	s.ip = r->ip;
	s.ip_len = strlen(r->ip);
	s.helo = r->helo;
	s.helo_len = strlen(r->helo);
	s.mail_from = r->mail_from;
	s.mail_from_len = strlen(r->mail_from);
	s.now = NOW;
	return s;
}

/* As a milter: each header field alone, then the body a byte at a time. */
static char *
streamed(
    struct vouch_verify *v, const struct row *r, const char *msg, size_t len)
{
	struct vouch_verify_smtp smtp = smtp_of(r);
	struct vouch_verify_msg *m = NULL;
	struct vouch_verify_result *res = NULL;
	const char *end = strstr(msg, "\r\n\r\n"), *p, *q;
	size_t hlen, i;
	char *field = NULL;

	if (end == NULL)
		return NULL;
	hlen = (size_t)(end - msg) + 2;
	if (vouch_verify_msg_new(v, &smtp, &m) != VOUCH_OK)
		return NULL;
	for (p = msg; p < msg + hlen; p = q) {
		q = p;
		do
			q = strstr(q, "\r\n") + 2;
		while (q < msg + hlen && (*q == ' ' || *q == '\t'));
		if (vouch_verify_msg_header(
		        m, (const uint8_t *)p, (size_t)(q - p)) != VOUCH_OK)
			goto out;
	}
	for (i = hlen + 2; i < len; i++)
		if (vouch_verify_msg_body(m, (const uint8_t *)msg + i, 1) !=
		    VOUCH_OK)
			goto out;
	if (vouch_verify_msg_finish(m, &res) == VOUCH_OK)
		field = strdup(res->field);
out:
	vouch_verify_result_free(res);
	vouch_verify_msg_free(m);
	return field;
}

static char *
from_fd(
    struct vouch_verify *v, const struct row *r, const char *msg, size_t len)
{
	struct vouch_verify_smtp smtp = smtp_of(r);
	struct vouch_verify_result *res = NULL;
	char *field = NULL;
	/* A file without a name: nothing is left behind, however this ends. */
	FILE *fp = tmpfile();
	int fd;

	if (fp == NULL)
		return NULL;
	fd = fileno(fp);
	if (write(fd, msg, len) == (ssize_t)len &&
	    lseek(fd, 0, SEEK_SET) == 0 &&
	    vouch_verify_fd(v, &smtp, fd, &res) == VOUCH_OK)
		field = strdup(res->field);
	fclose(fp);
	vouch_verify_result_free(res);
	return field;
}

/*
 * Every forged span of res (offsets into the held header, here the start
 * of msg) is a whole field: "Authentication-Results:" at its start, CRLF
 * at its end, and no continuation line after it.
 */
static int
spans_whole(const struct vouch_verify_result *res, const char *msg, size_t len)
{
	static const char name[] = "authentication-results:";
	const struct vouch_authres_span *sp;
	size_t i;

	for (i = 0; i < res->nforged; i++) {
		sp = &res->forged[i];
		if (sp->off > len || sp->len > len - sp->off ||
		    sp->len < sizeof(name) + 1 ||
		    strncasecmp(msg + sp->off, name, sizeof(name) - 1) != 0 ||
		    memcmp(msg + sp->off + sp->len - 2, "\r\n", 2) != 0 ||
		    (sp->off + sp->len < len &&
		        (msg[sp->off + sp->len] == ' ' ||
		            msg[sp->off + sp->len] == '\t')))
			return 0;
	}
	return 1;
}

static void
check_row(struct vouch_verify *v, const struct row *r)
{
	struct vouch_verify_smtp smtp = smtp_of(r);
	struct vouch_verify_result *res = NULL;
	enum vouch_status st;
	char *msg, *f2, *f3;
	size_t len;

	msg = make_message(r, &len);
	st = vouch_verify_message(v, &smtp, (const uint8_t *)msg, len, &res);
	tap_check(st == VOUCH_OK && res != NULL, "%s: verify_message: got %s",
	    r->name, vouch_status_str(st));
	if (res == NULL) {
		free(msg);
		return;
	}
	tap_check(strstr(res->field, r->want_spf) &&
	              strstr(res->field, r->want_dkim) &&
	              strstr(res->field, r->want_dmarc),
	    "%s: field holds %s, %s, %s: got %s", r->name, r->want_spf,
	    r->want_dkim, r->want_dmarc, flat(res->field, 0));
	tap_check(res->spf_checked == (r->ip[0] != '\0') &&
	              (!res->spf_checked || res->spf.verdict == r->spf),
	    "%s: spf verdict: got %s, want %s", r->name,
	    vouch_spf_verdict_str(res->spf.verdict),
	    vouch_spf_verdict_str(r->spf));
	tap_check(res->dkim->result == r->dkim, "%s: dkim: got %s, want %s",
	    r->name, vouch_dkim_verdict_str(res->dkim->result),
	    vouch_dkim_verdict_str(r->dkim));
	tap_check(res->dmarc.result == r->dmarc, "%s: dmarc: got %s, want %s",
	    r->name, vouch_dmarc_verdict_str(res->dmarc.result),
	    vouch_dmarc_verdict_str(r->dmarc));
	tap_check(res->nforged == r->nforged, "%s: forged: got %zu, want %zu",
	    r->name, res->nforged, r->nforged);
	if (r->nforged > 0)
		tap_check(spans_whole(res, msg, len),
		    "%s: each forged span is one whole Authentication-Results "
		    "field of the message",
		    r->name);
	tap_check(res->field_len == strlen(res->field) &&
	              strncmp(res->field, "Authentication-Results: " ID ";",
	                  strlen("Authentication-Results: " ID ";")) == 0 &&
	              res->field_len >= 2 &&
	              memcmp(res->field + res->field_len - 2, "\r\n", 2) == 0,
	    "%s: field starts with our id and ends in CRLF", r->name);
	f2 = streamed(v, r, msg, len);
	tap_check(f2 != NULL && strcmp(f2, res->field) == 0,
	    "%s: streamed field by field and byte by byte: same field: "
	    "got %s",
	    r->name, flat(f2, 0));
	f3 = from_fd(v, r, msg, len);
	tap_check(f3 != NULL && strcmp(f3, res->field) == 0,
	    "%s: from a file descriptor: same field: got %s", r->name,
	    flat(f3, 1));
	free(f2);
	free(f3);
	free(msg);
	vouch_verify_result_free(res);
}

/* vouch_verify_forged_field: one field at a time, as a milter sees it. */
static void
check_forged_field(struct vouch_verify *v)
{
	static const struct {
		const char *field;
		int want;
	} t[] = {
	    {"Authentication-Results: " ID "; dkim=pass\r\n", 1},
	    {"authentication-results: MX.Receiver.EXAMPLE; spf=pass", 1},
	    {"Authentication-Results : " ID "; none\r\n", 1},
	    {"Authentication-Results:\r\n (c) \"" ID
	     "\" (d);\r\n\tdmarc=pass\r\n",
	        1},
	    {"Authentication-Results: " ID "; (((", 1},
	    {"Authentication-Results: other.example; dkim=pass\r\n", 0},
	    {"Authentication-Results: " ID ".evil.example; dkim=pass\r\n", 0},
	    {"X-Authentication-Results: " ID "; dkim=pass\r\n", 0},
	    {"Authentication-Results-X: " ID "; dkim=pass\r\n", 0},
	    {"Subject: Authentication-Results: " ID ";\r\n", 0},
	    {"", 0},
	    /* what cannot be ruled out is ours (RFC 8601 5, threat model
	     * class 5) */
	    {"Authentication-Results: ((((((((((((((((((((((((((((((((((()))"
	     ")))))))))))))))))))))))))))))))) " ID "; dmarc=pass\r\n",
	        1},
	    {"Authentication-Results: ; dmarc=pass\r\n", 1},
	    {"Authentication-Results: " ID "/x; dmarc=pass\r\n", 1},
	    {"Authentication-Results: " ID ".; dmarc=pass\r\n", 1},
	    {"X-A: a\rAuthentication-Results: " ID "; dmarc=pass\r\n", 1},
	    {"X-A: a\r Authentication-Results: " ID "; dmarc=pass\r\n", 0},
	};
	size_t i;
	int got;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = vouch_verify_forged_field(
		    v, (const uint8_t *)t[i].field, strlen(t[i].field));
		tap_check(got == t[i].want,
		    "forged_field %s: got %d, want %d (RFC 8601 5)",
		    flat(t[i].field, 0), got, t[i].want);
	}
}

/* The verdict of `msg` by a handle whose unsafe disposition is `least`. */
static struct vouch_verify_result *
verdict_with(struct vouch_dns *dns, enum vouch_dmarc_policy least,
    const char *msg, size_t len, size_t piece)
{
	struct vouch_verify_options o;
	struct vouch_verify *v = NULL;
	struct vouch_verify_msg *m = NULL;
	struct vouch_verify_result *res = NULL;
	struct vouch_verify_smtp smtp = smtp_of(&rows[0]);
	size_t i, h = strstr(msg, "\r\n\r\n") != NULL
	                  ? (size_t)(strstr(msg, "\r\n\r\n") - msg) + 4
	                  : len;

	vouch_verify_options_init(&o);
	o.authserv_id = ID;
	o.dkim.now = NOW;
	o.dmarc.unsafe_disposition = least;
	if (vouch_verify_new(dns, &o, &v, NULL, 0) != VOUCH_OK ||
	    vouch_verify_msg_new(v, &smtp, &m) != VOUCH_OK)
		abort();
	for (i = 0; i < h; i += piece)
		if (vouch_verify_msg_header(m, (const uint8_t *)msg + i,
		        h - i < piece ? h - i : piece) != VOUCH_OK)
			abort();
	if (vouch_verify_msg_body(m, (const uint8_t *)msg + h, len - h) !=
	        VOUCH_OK ||
	    vouch_verify_msg_finish(m, &res) != VOUCH_OK)
		abort();
	vouch_verify_msg_free(m);
	vouch_verify_free(v);
	return res;
}

/*
 * Fail closed (doc/threat-model.md): the decisions and the API that
 * carries them -- dmarc.unsafe and its reason, the least disposition of
 * the options, vouch_verify_override_comment, orphan_len, a From past the
 * header limit.
 */
static void
check_fail_closed(struct vouch_dns *dns)
{
	static const struct {
		enum vouch_dmarc_policy least;
		enum vouch_dmarc_policy want;
	} leasts[] = {
	    {VOUCH_DMARC_POLICY_UNSET, VOUCH_DMARC_POLICY_QUARANTINE},
	    {VOUCH_DMARC_POLICY_QUARANTINE, VOUCH_DMARC_POLICY_QUARANTINE},
	    {VOUCH_DMARC_POLICY_REJECT, VOUCH_DMARC_POLICY_REJECT},
	    {VOUCH_DMARC_POLICY_NONE, VOUCH_DMARC_POLICY_NONE},
	};
	/* SPF passes aligned: well formed, this would pass */
	static const char hidden[] =
	    HDR("a@example.com\xe2\x80\x8b") "\r\nbody\r\n";
	static const char orphan[] =
	    " ; dmarc=pass\r\n" HDR("a@example.com") "\r\nbody\r\n";
	struct vouch_verify_result *res;
	const char *c;
	char *big;
	size_t i, n;

	for (i = 0; i < sizeof(leasts) / sizeof(leasts[0]); i++) {
		res = verdict_with(
		    dns, leasts[i].least, hidden, sizeof(hidden) - 1, 4096);
		c = vouch_verify_override_comment(res);
		tap_check(
		    res->dmarc.result == VOUCH_DMARC_PERMERROR &&
		        res->dmarc.unsafe == VOUCH_DMARC_UNSAFE_HIDDEN_CHARS &&
		        res->dmarc.disposition == leasts[i].want &&
		        strstr(res->dmarc.unsafe_reason, "U+200B") != NULL &&
		        (leasts[i].want == VOUCH_DMARC_POLICY_NONE
		                ? c == NULL
		                : c == res->dmarc.unsafe_reason) &&
		        strstr(res->field, "from-hidden-characters") != NULL,
		    "U+200B in From, unsafe_disposition %d: permerror, "
		    "disposition %s, the reason as the override comment; got "
		    "%s %s \"%s\"",
		    (int)leasts[i].least,
		    vouch_dmarc_policy_str(leasts[i].want),
		    vouch_dmarc_verdict_str(res->dmarc.result),
		    vouch_dmarc_policy_str(res->dmarc.disposition),
		    res->dmarc.unsafe_reason);
		vouch_verify_result_free(res);
	}
	res = verdict_with(
	    dns, VOUCH_DMARC_POLICY_UNSET, orphan, sizeof(orphan) - 1, 1);
	tap_check(res->orphan_len == 15 &&
	              res->dmarc.unsafe == VOUCH_DMARC_UNSAFE_HEADER &&
	              res->dmarc.result == VOUCH_DMARC_PERMERROR,
	    "a continuation line first, fed a byte at a time: orphan_len 15, "
	    "header-malformed, no pass (RFC 5322 2.2.3); got %zu %s",
	    res->orphan_len, vouch_dmarc_unsafe_str(res->dmarc.unsafe));
	vouch_verify_result_free(res);
	res = verdict_with(dns, VOUCH_DMARC_POLICY_UNSET,
	    HDR("a@example.com") "\r\nx\r\n", strlen(HDR("a@example.com")) + 5,
	    7);
	tap_check(res->dmarc.result == VOUCH_DMARC_PASS &&
	              vouch_verify_override_comment(res) == NULL &&
	              vouch_verify_override_comment(NULL) == NULL,
	    "a pass has no override comment");
	vouch_verify_result_free(res);
	/* the From past 1 MiB of fields, fed a field at a time */
	n = 0;
	if ((big = malloc(1200000)) == NULL)
		abort();
	while (n < (1u << 20) + 1000) {
		/* 40 bytes, the NUL not copied */
		memcpy(
		    big + n, "X-Pad: 0123456789012345678901234567890\r\n", 40);
		n += 40;
	}
	n += (size_t)snprintf(
	    big + n, 1200000 - n, "From: q@quar.example\r\n\r\nx\r\n");
	res = verdict_with(dns, VOUCH_DMARC_POLICY_UNSET, big, n, 40);
	tap_check(
	    res->header_too_large && res->dmarc.result == VOUCH_DMARC_FAIL &&
	        res->dmarc.disposition == VOUCH_DMARC_POLICY_QUARANTINE &&
	        res->dmarc.unsafe == VOUCH_DMARC_SAFE &&
	        strcmp(res->dmarc.domain[0].author_domain, "quar.example") == 0,
	    "a From past 1 MiB of fields is evaluated (RFC 9989 5.3.1): got "
	    "%s %s",
	    vouch_dmarc_verdict_str(res->dmarc.result),
	    res->dmarc.ndomains ? res->dmarc.domain[0].author_domain : "-");
	vouch_verify_result_free(res);
	free(big);
}

/* The rows one verdict gives for recording (store.h), and its result. */
static size_t
rows_of(struct vouch_dns *dns, enum vouch_dmarc_policy least, const char *msg,
    const char *mail_from, struct vouch_store_evaluation *e, size_t cap,
    struct vouch_verify_result **res)
{
	struct vouch_verify_options o;
	struct vouch_verify *v = NULL;
	struct vouch_verify_smtp smtp = smtp_of(&rows[0]);
	struct vouch_store_envelope env = {
	    &smtp, "bob@rcpt.example", 16, VOUCH_DMARC_MODE_RFC9989, 0};
	size_t n = 0;

	smtp.mail_from = mail_from;
	smtp.mail_from_len = strlen(mail_from);
	vouch_verify_options_init(&o);
	o.authserv_id = ID;
	o.dkim.now = NOW;
	o.dmarc.unsafe_disposition = least;
	if (vouch_verify_new(dns, &o, &v, NULL, 0) != VOUCH_OK ||
	    vouch_verify_message(
	        v, &smtp, (const uint8_t *)msg, strlen(msg), res) != VOUCH_OK ||
	    vouch_store_evaluations_from_verify(*res, &env, e, cap, &n) !=
	        VOUCH_OK)
		abort();
	vouch_verify_free(v);
	return n;
}

/*
 * What is recorded of a message whose author cannot be read safely: the
 * message's disposition, raised by the fail-closed rule, is each row's,
 * with local_policy and the reason as comment (RFC 9990 §3.1.6, RFC 9989
 * §5.4); a domain that aligned is not recorded as a pass.
 */
static void
check_record_fail_closed(struct vouch_dns *dns)
{
	static const struct {
		const char *name, *msg, *mail_from;
		enum vouch_dmarc_policy least;
		enum vouch_dmarc_verdict result;
		enum vouch_store_disposition disp;
		bool reason;
	} t[] = {
	    {"U+200B in From, SPF aligned",
	        HDR("a@rep.example\xe2\x80\x8b") "\r\nx\r\n", "b@rep.example",
	        VOUCH_DMARC_POLICY_UNSET, VOUCH_DMARC_PERMERROR,
	        VOUCH_STORE_DISP_QUARANTINE, true},
	    {"U+200B in From, nothing aligned, p=none",
	        HDR("a@rep.example\xe2\x80\x8b") "\r\nx\r\n", "b@example.com",
	        VOUCH_DMARC_POLICY_REJECT, VOUCH_DMARC_FAIL,
	        VOUCH_STORE_DISP_REJECT, true},
	    {"two From fields",
	        "From: a@rep.example\r\nFrom: b@rep.example\r\n"
	        "Subject: x\r\n\r\nx\r\n",
	        "b@rep.example", VOUCH_DMARC_POLICY_UNSET,
	        VOUCH_DMARC_PERMERROR, VOUCH_STORE_DISP_QUARANTINE, true},
	    {"U+200B, unsafe disposition none",
	        HDR("a@rep.example\xe2\x80\x8b") "\r\nx\r\n", "b@rep.example",
	        VOUCH_DMARC_POLICY_NONE, VOUCH_DMARC_PERMERROR,
	        VOUCH_STORE_DISP_NONE, false},
	    {"safe and aligned", HDR("a@rep.example") "\r\nx\r\n",
	        "b@rep.example", VOUCH_DMARC_POLICY_UNSET, VOUCH_DMARC_PASS,
	        VOUCH_STORE_DISP_NONE, false},
	};
	struct vouch_store_evaluation e[4];
	struct vouch_verify_result *res = NULL;
	size_t i, n;
	bool good;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = rows_of(
		    dns, t[i].least, t[i].msg, t[i].mail_from, e, 4, &res);
		good = n >= 1 && e[0].result == t[i].result &&
		       e[0].disposition == t[i].disp &&
		       strcmp(e[0].envelope_to, "rcpt.example") == 0;
		if (good && t[i].reason)
			good = e[0].nreasons == 1 &&
			       e[0].reason[0].type ==
			           VOUCH_STORE_OVERRIDE_LOCAL_POLICY &&
			       strcmp(e[0].reason[0].comment,
			           res->dmarc.unsafe_reason) == 0 &&
			       res->dmarc.unsafe_reason[0] != '\0';
		else if (good)
			good = e[0].nreasons == 0;
		tap_check(good,
		    "recorded, %s: %s, disposition %s%s; got %zu rows, %s, "
		    "%s, %zu reasons (%s \"%s\")",
		    t[i].name, vouch_dmarc_verdict_str(t[i].result),
		    vouch_store_disposition_str(t[i].disp),
		    t[i].reason ? ", local_policy with the unsafe reason" : "",
		    n, n ? vouch_dmarc_verdict_str(e[0].result) : "-",
		    n ? vouch_store_disposition_str(e[0].disposition) : "-",
		    n ? e[0].nreasons : 0,
		    n && e[0].nreasons
		        ? vouch_store_override_str(e[0].reason[0].type)
		        : "",
		    n && e[0].nreasons ? e[0].reason[0].comment : "");
		vouch_verify_result_free(res);
	}
}

static void
check_calls(struct vouch_dns *dns, struct vouch_verify *v)
{
	struct vouch_verify_options o;
	struct vouch_verify *bad = NULL;
	struct vouch_verify_msg *m = NULL;
	struct vouch_verify_result *res = NULL;
	struct vouch_verify_smtp smtp = smtp_of(&rows[0]);
	enum vouch_status st;

	vouch_verify_options_init(&o);
	st = vouch_verify_new(NULL, &o, &bad, NULL, 0);
	tap_check(st == VOUCH_EINVAL && bad == NULL,
	    "new without a resolver: got %s, want EINVAL",
	    vouch_status_str(st));
	o.authserv_id = "mx\r\nX-Evil: 1";
	st = vouch_verify_new(dns, &o, &bad, NULL, 0);
	tap_check(st == VOUCH_EINVAL && bad == NULL,
	    "authserv-id with CRLF (RFC 8601 2.5): got %s, want EINVAL",
	    vouch_status_str(st));
	o.authserv_id = "";
	st = vouch_verify_new(dns, &o, &bad, NULL, 0);
	tap_check(st == VOUCH_EINVAL, "empty authserv-id: got %s, want EINVAL",
	    vouch_status_str(st));
	o.authserv_id = NULL;
	st = vouch_verify_new(dns, &o, &bad, NULL, 0);
	tap_check(st == VOUCH_OK && bad != NULL &&
	              vouch_verify_authserv_id(bad)[0] != '\0',
	    "default authserv-id is the host name: got %s",
	    bad ? vouch_verify_authserv_id(bad) : vouch_status_str(st));
	vouch_verify_free(bad);

	smtp.ip = "not an address";
	smtp.ip_len = strlen(smtp.ip);
	st = vouch_verify_msg_new(v, &smtp, &m);
	tap_check(st == VOUCH_EINVAL && m == NULL,
	    "client address that is not one: got %s, want EINVAL",
	    vouch_status_str(st));

	smtp = smtp_of(&rows[0]);
	st = vouch_verify_msg_new(v, &smtp, &m);
	tap_check(st == VOUCH_OK, "msg_new: got %s", vouch_status_str(st));
	if (st != VOUCH_OK)
		return;
	st = vouch_verify_msg_header(
	    m, (const uint8_t *)"From: a@example.com\r\n", 21);
	tap_check(st == VOUCH_OK, "header: got %s", vouch_status_str(st));
	st = vouch_verify_msg_body(m, (const uint8_t *)"x\r\n", 3);
	tap_check(st == VOUCH_OK, "body: got %s", vouch_status_str(st));
	st = vouch_verify_msg_header(m, (const uint8_t *)"To: b\r\n", 7);
	tap_check(st == VOUCH_EINVAL,
	    "header after the body: got %s, want "
	    "EINVAL",
	    vouch_status_str(st));
	st = vouch_verify_msg_finish(m, &res);
	tap_check(st == VOUCH_OK && res != NULL, "finish: got %s",
	    vouch_status_str(st));
	vouch_verify_result_free(res);
	res = NULL;
	st = vouch_verify_msg_finish(m, &res);
	tap_check(st == VOUCH_EINVAL && res == NULL,
	    "finish twice: got %s, want EINVAL", vouch_status_str(st));
	st = vouch_verify_msg_body(m, (const uint8_t *)"x", 1);
	tap_check(st == VOUCH_EINVAL, "body after finish: got %s, want EINVAL",
	    vouch_status_str(st));
	vouch_verify_msg_free(m);
	vouch_verify_msg_free(NULL);
	vouch_verify_result_free(NULL);
	vouch_verify_free(NULL);
	tap_check(1, "the _free functions take NULL");
}

/*
 * Two handles on one SPF handle (options.shared_spf, a milter's one SPF
 * cache): each gives the rows' verdicts, and freeing them leaves the SPF
 * handle to its owner (ASan would see a double free).
 */
static void
check_shared_spf(struct vouch_dns *dns, const struct vouch_verify_options *o)
{
	struct vouch_verify_options so = *o;
	struct vouch_verify *a = NULL, *b = NULL;
	struct vouch_spf *spf = NULL;
	size_t i;

	if (dns == NULL || vouch_spf_new(dns, &spf) != VOUCH_OK) {
		tap_check(0, "shared SPF handle");
		return;
	}
	so.shared_spf = spf;
	tap_check(vouch_verify_new(dns, &so, &a, NULL, 0) == VOUCH_OK &&
	              vouch_verify_new(dns, &so, &b, NULL, 0) == VOUCH_OK,
	    "two verify handles on one shared SPF handle");
	for (i = 0; a != NULL && b != NULL && i < 2; i++) {
		check_row(a, &rows[i]);
		check_row(b, &rows[i]);
	}
	vouch_verify_free(a);
	vouch_verify_free(b);
	vouch_spf_free(spf);
}

int
main(void)
{
	struct vouch_verify_options o;
	struct vouch_verify *v = NULL;
	struct vouch_dns *dns = NULL;
	char *rec = NULL, *zone;
	size_t i, reclen = 0, zl;
	char err[256] = "";

	if (vouch_dkim_key_generate(VOUCH_DKIM_KEY_ED25519, 0, &key) !=
	        VOUCH_OK ||
	    vouch_dkim_key_record(key, "example.com", "ed", &rec, &reclen) !=
	        VOUCH_OK) {
		tap_check(0, "Ed25519 key for the tests");
		return tap_done();
	}
	zl = strlen(zone_head) + reclen;
	if ((zone = malloc(zl + 1)) == NULL)
		abort();
	memcpy(zone, zone_head, strlen(zone_head));
	memcpy(zone + strlen(zone_head), rec, reclen + 1);
	tap_check(vouch_dns_zone_new_mem("test", (const uint8_t *)zone, zl,
	              &dns, err, sizeof(err)) == VOUCH_OK,
	    "zone loads: %s", err);
	vouch_verify_options_init(&o);
	o.authserv_id = ID;
	o.dkim.now = NOW;
	if (dns != NULL &&
	    vouch_verify_new(dns, &o, &v, err, sizeof(err)) == VOUCH_OK) {
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			check_row(v, &rows[i]);
		check_forged_field(v);
		check_fail_closed(dns);
		check_record_fail_closed(dns);
		check_calls(dns, v);
	} else
		tap_check(0, "vouch_verify_new: %s", err);
	vouch_verify_free(v);
	check_shared_spf(dns, &o);
	vouch_dns_free(dns);
	vouch_dkim_key_free(key);
	free(rec);
	free(zone);
	return tap_done();
}
