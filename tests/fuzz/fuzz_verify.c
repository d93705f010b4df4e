/*
 * libFuzzer target for the receiver's whole verdict (vouch_verify_*):
 * any bytes as a message, against a fixed in-memory zone.  Properties
 * checked, each a bug when it fails (abort):
 *  - a verdict is always produced (VOUCH_OK unless memory runs out);
 *  - (a) the Authentication-Results field written, parsed back by
 *    vouch's own parser (RFC 8601 §2.2), holds exactly the results of
 *    the verdict, in order: spf, dkim per signature (with header.d),
 *    arc, dmarc (with header.from and policy.dmarc, the disposition),
 *    and nothing else -- whatever the message;
 *  - every forged range found lies in the header, starts a line, and is
 *    a field the forgery check claims (RFC 8601 §5);
 *  - (b) in the message as written out (our field, the header without
 *    the forged fields and the orphan continuation lines, the body), no
 *    field but ours parses as claiming our authserv-id, and the forgery
 *    check finds only ours;
 *  - the same message fed as a milter feeds it (the header field by
 *    field, the body in chunks of varying sizes chosen by the input)
 *    gives byte for byte the same field and the same decisions.
 * The first input byte chooses the MAIL FROM (null or not) and the body
 * chunking.  tests/fuzz/crashes/verify/ holds inputs that once failed.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vouch/vouch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone[] =
    "$ORIGIN .\n$TTL 300\n"
    "example.com. TXT \"v=spf1 ip4:192.0.2.0/24 include:_spf.example.net "
    "-all\"\n"
    "_spf.example.net. TXT \"v=spf1 a:mx.example.net ~all\"\n"
    "mx.example.net. A 192.0.2.7\n"
    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; adkim=s\"\n"
    "_dmarc.example.org. TXT \"v=DMARC1; p=quarantine; sp=none; t=y\"\n"
    "ed._domainkey.example.com. TXT \"v=DKIM1; k=ed25519; "
    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n"
    "$TIMEOUT slow._domainkey.example.com.\n"
    "$SERVFAIL _dmarc.loop.example.net.\n";

#define ID "mx.receiver.example"

static struct vouch_dns *dns;
static struct vouch_verify *v;

static void
setup(void)
{
	struct vouch_verify_options o;

	if (v != NULL)
		return;
	if (vouch_dns_zone_new_mem("fuzz", (const uint8_t *)zone,
	        sizeof(zone) - 1, &dns, NULL, 0) != VOUCH_OK)
		abort();
	vouch_verify_options_init(&o);
	o.authserv_id = ID;
	o.dkim.now = 1796000000;
	if (vouch_verify_new(dns, &o, &v, NULL, 0) != VOUCH_OK)
		abort();
}

/*
 * Where vouch_verify_message ends the header section: after the first
 * empty line (RFC 5322 §2.1), at once when the message starts with one,
 * else the whole message.
 */
static size_t
header_len(const uint8_t *p, size_t n)
{
	size_t i;

	if (n > 0 && (p[0] == '\n' || (n > 1 && p[0] == '\r' && p[1] == '\n')))
		return p[0] == '\n' ? 1 : 2;
	for (i = 0; i < n; i++) {
		if (p[i] != '\n')
			continue;
		if (i + 1 < n && p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return n;
}

/* The message fed field by field, the body in chunks of varying sizes. */
static struct vouch_verify_result *
streamed(const struct vouch_verify_smtp *smtp, const uint8_t *p, size_t n,
    unsigned seed)
{
	struct vouch_verify_msg *m = NULL;
	struct vouch_verify_result *res = NULL;
	size_t h = header_len(p, n), i, start = 0, step;

	if (vouch_verify_msg_new(v, smtp, &m) != VOUCH_OK)
		abort();
	/* a piece ends at each line end that a non-blank line follows */
	for (i = 0; i < h; i++)
		if (p[i] == '\n' &&
		    (i + 1 >= h || (p[i + 1] != ' ' && p[i + 1] != '\t'))) {
			if (vouch_verify_msg_header(
			        m, p + start, i + 1 - start) != VOUCH_OK)
				abort();
			start = i + 1;
		}
	if (start < h &&
	    vouch_verify_msg_header(m, p + start, h - start) != VOUCH_OK)
		abort();
	for (i = h; i < n; i += step) {
		seed = seed * 1103515245u + 12345u;
		step = 1 + (seed >> 16) % 97;
		if (step > n - i)
			step = n - i;
		if (vouch_verify_msg_body(m, p + i, step) != VOUCH_OK)
			abort();
	}
	if (vouch_verify_msg_finish(m, &res) != VOUCH_OK)
		abort();
	vouch_verify_msg_free(m);
	return res;
}

/* The decisions two ways of feeding must agree on, besides the field. */
static int
same_verdict(
    const struct vouch_verify_result *a, const struct vouch_verify_result *b)
{
	size_t i;

	if (a->field_len != b->field_len ||
	    memcmp(a->field, b->field, a->field_len) != 0 ||
	    a->nforged != b->nforged || a->orphan_len != b->orphan_len ||
	    a->header_too_large != b->header_too_large ||
	    a->dmarc.result != b->dmarc.result ||
	    a->dmarc.disposition != b->dmarc.disposition ||
	    a->dmarc.unsafe != b->dmarc.unsafe ||
	    strcmp(a->dmarc.unsafe_reason, b->dmarc.unsafe_reason) != 0)
		return 0;
	for (i = 0; i < a->nforged; i++)
		if (a->forged[i].off != b->forged[i].off ||
		    a->forged[i].len != b->forged[i].len)
			return 0;
	return 1;
}

static const char *
prop(const struct vouch_authres_result *r, const char *ptype,
    const char *property)
{
	size_t j;

	for (j = 0; j < r->nprops; j++)
		if (strcmp(r->props[j].ptype, ptype) == 0 &&
		    strcmp(r->props[j].property, property) == 0)
			return r->props[j].value;
	return NULL;
}

/* Printable ASCII: written as is, so it must read back the same. */
static int
plain(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* Result k of the parsed field is method=result; abort otherwise. */
static const struct vouch_authres_result *
expect(const struct vouch_authres *ar, size_t *k, const char *method,
    const char *result)
{
	const struct vouch_authres_result *r;

	if (*k >= ar->nresults)
		abort();
	r = &ar->results[(*k)++];
	if (strcmp(r->method, method) != 0 || strcmp(r->result, result) != 0)
		abort();
	return r;
}

/* Property (a): the field says exactly what the verdict says. */
static void
check_field(const struct vouch_verify_result *res)
{
	const struct vouch_dmarc_result *d = &res->dmarc;
	const struct vouch_dkim_result *dk = res->dkim;
	const struct vouch_authres_result *r;
	struct vouch_authres *ar = NULL;
	const char *val, *want;
	size_t k = 0, i, n;

	if (vouch_authres_parse(
	        (const uint8_t *)res->field, res->field_len, &ar) != VOUCH_OK)
		abort();
	if (ar->authserv_id_len != strlen(ID) ||
	    memcmp(ar->authserv_id, ID, strlen(ID)) != 0)
		abort();
	if (res->spf_checked)
		(void)expect(
		    ar, &k, "spf", vouch_spf_verdict_str(res->spf.verdict));
	if (res->helo_checked)
		(void)expect(
		    ar, &k, "spf", vouch_spf_verdict_str(res->helo.verdict));
	n = dk->nsig < VOUCH_DKIM_MAX_SIGNATURES ? dk->nsig
	                                         : VOUCH_DKIM_MAX_SIGNATURES;
	if (n == 0)
		(void)expect(
		    ar, &k, "dkim", vouch_dkim_verdict_str(dk->result));
	for (i = 0; i < n; i++) {
		r = expect(
		    ar, &k, "dkim", vouch_dkim_verdict_str(dk->sig[i].result));
		val = prop(r, "header", "d");
		if (plain(dk->sig[i].d) &&
		    (dk->sig[i].d[0] != '\0'
		            ? val == NULL || strcmp(val, dk->sig[i].d) != 0
		            : val != NULL))
			abort();
	}
	if (res->arc != NULL)
		(void)expect(ar, &k, "arc", vouch_arc_cv_str(res->arc->cv));
	r = expect(ar, &k, "dmarc", vouch_dmarc_verdict_str(d->result));
	val = prop(r, "header", "from");
	if (d->ndomains > 0
	        ? val == NULL ||
	              strcmp(val, d->domain[d->decisive].author_domain) != 0
	        : val != NULL)
		abort();
	/* policy.dmarc is the disposition wherever one was decided */
	want = d->result == VOUCH_DMARC_PASS ? "none"
	       : d->result == VOUCH_DMARC_FAIL || d->unsafe != VOUCH_DMARC_SAFE
	           ? vouch_dmarc_policy_str(d->disposition)
	           : NULL;
	val = prop(r, "policy", "dmarc");
	if (want != NULL ? val == NULL || strcmp(val, want) != 0 : val != NULL)
		abort();
	/* an author that cannot be read safely never passes */
	if (d->unsafe != VOUCH_DMARC_SAFE &&
	    (d->result == VOUCH_DMARC_PASS ||
	        d->disposition < VOUCH_DMARC_POLICY_QUARANTINE))
		abort();
	if (k != ar->nresults)
		abort();
	vouch_authres_result_free(ar);
}

/* Each forged range is a whole field, at a line start, that is ours. */
static void
check_forged(
    const struct vouch_verify_result *res, const uint8_t *msg, size_t len)
{
	size_t i, off;

	for (i = 0; i < res->nforged; i++) {
		off = res->forged[i].off;
		if (off > len || res->forged[i].len > len - off ||
		    res->forged[i].len == 0 ||
		    (off > 0 && msg[off - 1] != '\n') ||
		    !vouch_verify_forged_field(
		        v, msg + off, res->forged[i].len))
			abort();
	}
}

/*
 * Property (b): the message as vouch writes it out (cmd_verify.c
 * write_header) holds no field but ours that claims our authserv-id.
 */
static void
check_output(
    const struct vouch_verify_result *res, const uint8_t *msg, size_t len)
{
	struct vouch_authres_field *f = NULL;
	struct vouch_authres_span sp[2];
	uint8_t *out;
	size_t n = 0, i, at, nf = 0, nsp = 0;
	enum vouch_status st;

	if (res->header_too_large)
		return; /* the command filters those as it copies */
	if ((out = malloc(res->field_len + len + 1)) == NULL)
		abort();
	memcpy(out, res->field, res->field_len);
	n = res->field_len;
	at = res->orphan_len < len ? res->orphan_len : len;
	for (i = 0; i < res->nforged; i++) {
		memcpy(out + n, msg + at, res->forged[i].off - at);
		n += res->forged[i].off - at;
		at = res->forged[i].off + res->forged[i].len;
	}
	memcpy(out + n, msg + at, len - at);
	n += len - at;
	st = vouch_authres_parse_header(out, n, &f, &nf);
	if (st == VOUCH_OK) {
		for (i = 0; i < nf; i++)
			if (f[i].ar != NULL && i > 0 &&
			    f[i].ar->authserv_id_len == strlen(ID) &&
			    strncasecmp(f[i].ar->authserv_id, ID, strlen(ID)) ==
			        0)
				abort();
		if (nf == 0 || f[0].span.off != 0 || f[0].ar == NULL)
			abort();
	} else if (st != VOUCH_ELIMIT)
		abort();
	vouch_authres_fields_free(f, nf);
	st = vouch_authres_find_ours(out, n, ID, strlen(ID), sp, 2, &nsp);
	if (st != VOUCH_OK || nsp != 1 || sp[0].off != 0 ||
	    sp[0].len != res->field_len)
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vouch_verify_smtp smtp;
	struct vouch_verify_result *res = NULL, *again;
	const uint8_t *msg;
	size_t len;

	if (size < 1)
		return 0;
	setup();
	memset(&smtp, 0, sizeof(smtp));
	smtp.ip = "192.0.2.7";
	smtp.ip_len = strlen(smtp.ip);
	smtp.helo = "mx.example.net";
	smtp.helo_len = strlen(smtp.helo);
	smtp.mail_from = data[0] & 1 ? "" : "a@example.com";
	smtp.mail_from_len = strlen(smtp.mail_from);
	smtp.now = 1796000000;
	msg = data + 1;
	len = size - 1;

	if (vouch_verify_message(v, &smtp, msg, len, &res) != VOUCH_OK)
		abort();
	check_field(res);
	check_forged(res, msg, len);
	check_output(res, msg, len);
	again = streamed(&smtp, msg, len, data[0]);
	if (!same_verdict(res, again))
		abort();
	vouch_verify_result_free(again);
	vouch_verify_result_free(res);
	return 0;
}
