/*
 * Unit tests of DMARC evaluation (src/lib/dmarc): tree walk, PSL mode,
 * alignment, p/sp/np, t=, pct=, errors, several From domains, IDN, report
 * authorization.  Each row is a zone, a From field, the SPF/DKIM facts and
 * the verdict; the RFC section that decides is in the row's name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vouch/dmarc.h"

#define ZONE_HEAD "$ORIGIN .\n$TTL 300\n"
#define Z(s) ZONE_HEAD s

/* The zone most rows share. */
#define BASE \
	"_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n" \
	"example.com. A 192.0.2.1\n" \
	"mail.example.com. A 192.0.2.2\n" \
	"_dmarc.example.org. TXT \"v=DMARC1; p=quarantine; adkim=s; " \
	"aspf=s\"\n" \
	"_dmarc.example.net. TXT \"v=DMARC1; p=none; sp=quarantine; " \
	"np=reject\"\n" \
	"exists.example.net. A 192.0.2.3\n" \
	"_dmarc.test.example. TXT \"v=DMARC1; p=reject; t=y\"\n" \
	"_dmarc.testq.example. TXT \"v=DMARC1; p=quarantine; t=y\"\n" \
	"_dmarc.pct0.example. TXT \"v=DMARC1; p=reject; pct=0\"\n" \
	"_dmarc.gov.example. TXT \"v=DMARC1; p=reject; sp=none; np=reject;" \
	" psd=y\"\n" \
	"agency.gov.example. A 192.0.2.4\n" \
	"www.agency.gov.example. A 192.0.2.5\n" \
	"_dmarc.psdn.example.com. TXT \"v=DMARC1; p=reject; psd=n\"\n" \
	"_dmarc.badp.example. TXT \"v=DMARC1; p=bogus; " \
	"rua=mailto:r@badp.example\"\n" \
	"_dmarc.badpnorua.example. TXT \"v=DMARC1; p=bogus\"\n" \
	"_dmarc.two.example. TXT \"v=DMARC1; p=reject\"\n" \
	"_dmarc.two.example. TXT \"v=DMARC1; p=none\"\n" \
	"_dmarc.spf.example. TXT \"v=spf1 -all\"\n" \
	"$TIMEOUT _dmarc.slow.example.\n" \
	"_dmarc.xn--bcher-kva.example. TXT \"v=DMARC1; p=reject\"\n"

static const struct row {
	const char *name;
	const char *zone;
	const char *from; /* one raw From field; NULL = none; "2" = two,
	                     "2v" = two of different domains */
	const char *spf; /* "result:domain" or NULL */
	const char *dkim; /* "result:domain,result:domain" or NULL */
	int rfc7489;
	const char *want; /* "result policy disposition org" ('-' = empty) */
} rows[] = {
    {"aligned DKIM pass at the author domain", Z(BASE),
        "From: a@example.com\r\n", NULL, "pass:example.com", 0,
        "pass reject - example.com"},
    {"no authenticated identifier: fail with p (RFC 9989 5.3.5)", Z(BASE),
        "From: a@example.com\r\n", NULL, NULL, 0,
        "fail reject reject example.com"},
    {"relaxed: subdomain d= aligns through the org domain (4.10.2)", Z(BASE),
        "From: a@example.com\r\n", NULL, "pass:mail.example.com", 0,
        "pass reject - example.com"},
    {"relaxed SPF: parent domain aligns", Z(BASE),
        "From: a@mail.example.com\r\n", "pass:example.com", NULL, 0,
        "pass reject - example.com"},
    {"SPF fail does not align", Z(BASE), "From: a@example.com\r\n",
        "fail:example.com", NULL, 0, "fail reject reject example.com"},
    {"DKIM fail does not align", Z(BASE), "From: a@example.com\r\n", NULL,
        "fail:example.com", 0, "fail reject reject example.com"},
    {"strict DKIM must not fall back to the org domain (3.2.10.2)", Z(BASE),
        "From: a@example.org\r\n", NULL, "pass:mail.example.org", 0,
        "fail quarantine quarantine example.org"},
    {"strict SPF: subdomain From does not align with parent", Z(BASE),
        "From: a@mail.example.org\r\n", "pass:example.org", NULL, 0,
        "fail quarantine quarantine example.org"},
    {"strict, identical names align", Z(BASE), "From: a@example.org\r\n",
        "pass:example.org", NULL, 0, "pass quarantine - example.org"},
    {"unrelated domain does not align", Z(BASE), "From: a@example.com\r\n",
        "pass:example.net", "pass:example.org", 0,
        "fail reject reject example.com"},
    {"case and trailing dot do not matter", Z(BASE), "From: a@EXAMPLE.Com.\r\n",
        NULL, "pass:Example.COM.", 0, "pass reject - example.com"},
    {"sp for an existing subdomain (4.10.1)", Z(BASE),
        "From: a@exists.example.net\r\n", NULL, NULL, 0,
        "fail quarantine quarantine example.net"},
    {"np for a non-existent subdomain (RFC 9989 4.7)", Z(BASE),
        "From: a@nx.example.net\r\n", NULL, NULL, 0,
        "fail reject reject example.net"},
    {"RFC 7489 mode: np is not a tag, sp applies", Z(BASE),
        "From: a@nx.example.net\r\n", NULL, NULL, 1,
        "fail quarantine quarantine example.net"},
    {"p at the author domain itself", Z(BASE), "From: a@example.net\r\n", NULL,
        NULL, 0, "fail none none example.net"},
    {"t=y: reject becomes quarantine (RFC 9989 4.7 t)", Z(BASE),
        "From: a@test.example\r\n", NULL, NULL, 0,
        "fail reject quarantine test.example"},
    {"t=y: quarantine becomes none", Z(BASE), "From: a@testq.example\r\n", NULL,
        NULL, 0, "fail quarantine none testq.example"},
    {"RFC 7489 mode ignores t=y", Z(BASE), "From: a@test.example\r\n", NULL,
        NULL, 1, "fail reject reject test.example"},
    {"pct=0 in RFC 7489 mode: sampled out, reject to quarantine (6.6.4)",
        Z(BASE), "From: a@pct0.example\r\n", NULL, NULL, 1,
        "fail reject quarantine pct0.example"},
    {"pct= is not applied in RFC 9989 mode (A.6)", Z(BASE),
        "From: a@pct0.example\r\n", NULL, NULL, 0,
        "fail reject reject pct0.example"},
    {"psd=y: org domain is one label below the PSD (4.10.2)", Z(BASE),
        "From: a@agency.gov.example\r\n", NULL, NULL, 0,
        "fail reject reject agency.gov.example"},
    {"psd=y: subdomain of the org domain gets sp", Z(BASE),
        "From: a@www.agency.gov.example\r\n", NULL, "pass:agency.gov.example",
        0, "pass none - agency.gov.example"},
    {"psd=y: non-existent subdomain of the org domain gets np", Z(BASE),
        "From: a@nx.agency.gov.example\r\n", NULL, NULL, 0,
        "fail reject reject agency.gov.example"},
    {"psd=y: another agency does not align", Z(BASE),
        "From: a@agency.gov.example\r\n", NULL, "pass:other.gov.example", 0,
        "fail reject reject agency.gov.example"},
    {"psd=n stops the walk: that domain is the org domain", Z(BASE),
        "From: a@x.psdn.example.com\r\n", NULL, "pass:example.com", 0,
        "fail reject reject psdn.example.com"},
    {"invalid p with valid rua: as p=none (4.10.1)", Z(BASE),
        "From: a@badp.example\r\n", NULL, NULL, 0,
        "fail none none badp.example"},
    {"invalid p without rua: DMARC not applied", Z(BASE),
        "From: a@badpnorua.example\r\n", NULL, NULL, 0, "none - - -"},
    {"two records at the author domain: RFC 9989 discards, walks on", Z(BASE),
        "From: a@two.example\r\n", NULL, NULL, 0, "none - - -"},
    {"two records at the author domain: RFC 7489 stops (6.6.3 step 5)", Z(BASE),
        "From: a@two.example\r\n", NULL, NULL, 1, "none - - -"},
    {"a record not starting with v=DMARC1 is ignored", Z(BASE),
        "From: a@spf.example\r\n", NULL, NULL, 0, "none - - -"},
    {"no record anywhere: none", Z(BASE), "From: a@nowhere.example\r\n", NULL,
        "pass:nowhere.example", 0, "none - - -"},
    {"DNS timeout: temperror", Z(BASE), "From: a@slow.example\r\n", NULL, NULL,
        0, "temperror - - -"},
    {"aligned DKIM temperror and no pass: temperror", Z(BASE),
        "From: a@example.com\r\n", NULL, "temperror:example.com", 0,
        "temperror reject - -"},
    {"U-label From and A-label d= are one domain (5.3.1)", Z(BASE),
        "From: a@b\xc3\xbc"
        "cher.example\r\n",
        NULL, "pass:xn--bcher-kva.example", 0,
        "pass reject - xn--bcher-kva.example"},
    {"A-label From and U-label d=", Z(BASE),
        "From: a@XN--BCHER-KVA.example\r\n", NULL,
        "pass:b\xc3\xbc"
        "cher.example",
        0, "pass reject - xn--bcher-kva.example"},
    /* fail closed (RFC 9989 4.4, 11.5: left to the receiver): no pass,
     * at least quarantine */
    {"no From field: permerror, quarantine", Z(BASE), NULL, NULL, NULL, 0,
        "permerror - quarantine - no-from"},
    {"two From fields: each evaluated, no pass, quarantine", Z(BASE), "2", NULL,
        "pass:example.com", 0, "permerror reject quarantine - several-from"},
    {"two From fields, one failing: its policy (RFC 9989 11.5)", Z(BASE), "2v",
        NULL, "pass:example.org", 0,
        "fail reject reject example.com several-from"},
    {"From without address: permerror, quarantine", Z(BASE),
        "From: \"Test User\"\r\n", NULL, NULL, 0,
        "permerror - quarantine - from-malformed"},
    {"empty group: permerror, quarantine", Z(BASE), "From: undisclosed:;\r\n",
        NULL, NULL, 0, "permerror - quarantine - no-author-domain"},
    {"domain literal: permerror, quarantine", Z(BASE),
        "From: a@[192.0.2.1]\r\n", NULL, NULL, 0,
        "permerror - quarantine - no-author-domain"},
    {"RFC 9989 4.10.2: an identifier outside the author's org domain is "
     "not looked up, its SERVFAIL is no temperror",
        Z(BASE "$SERVFAIL _dmarc.x.attacker.example.\n"),
        "From: a@example.com\r\n", "pass:x.attacker.example",
        "temperror:attacker.example", 0, "fail reject reject example.com"},
    {"RFC 9989 4.10.2: a SERVFAIL below the author's org domain is still "
     "a temperror",
        Z(BASE "$SERVFAIL _dmarc.x.example.com.\n"), "From: a@example.com\r\n",
        "pass:x.example.com", NULL, 0, "temperror reject - -"},
    {"U+200E after the domain: evaluated as shown, fail", Z(BASE),
        "From: CEO <a@example.com\xe2\x80\x8e>\r\n", NULL, NULL, 0,
        "fail reject reject example.com from-hidden-characters"},
    {"U+00A0 after the domain: evaluated as shown, fail", Z(BASE),
        "From: a@example.com\xc2\xa0\r\n", NULL, NULL, 0,
        "fail reject reject example.com from-hidden-characters"},
    {"U+200B inside the domain: evaluated as shown, fail", Z(BASE),
        "From: a@exam\xe2\x80\x8bple.com\r\n", NULL, NULL, 0,
        "fail reject reject example.com from-hidden-characters"},
    {"U+FEFF with an aligned pass: no pass, quarantine", Z(BASE),
        "From: a@example.com\xef\xbb\xbf\r\n", NULL, "pass:example.com", 0,
        "permerror reject quarantine - from-hidden-characters"},
    {"U+202E in the display name reorders what is shown: no pass", Z(BASE),
        "From: \xe2\x80\xae moc.elpmaxe <a@example.com>\r\n", NULL,
        "pass:example.com", 0,
        "permerror reject quarantine - from-hidden-characters"},
    {"encoded-word look-alike: RFC 5322 finds the victim, its policy", Z(BASE),
        "From: =?utf-8?q?ceo@example.com,?= <a@nowhere.example>\r\n", NULL,
        "pass:nowhere.example", 0,
        "fail reject reject example.com from-ambiguous"},
    {"encoded-word look-alike that RFC 5322 cannot parse: no pass", Z(BASE),
        "From: =?utf-8?q?ceo@example.com?= <a@nowhere.example>\r\n", NULL,
        "pass:nowhere.example", 0, "permerror - quarantine - from-malformed"},
    {"B encoded-word that shows an address: no pass", Z(BASE),
        "From: =?utf-8?b?Y2VvQGV4YW1wbGUuY29t?= <a@example.org>\r\n", NULL,
        "pass:example.org", 0,
        "permerror quarantine quarantine - from-ambiguous"},
    {"well-formed encoded-word display name: pass", Z(BASE),
        "From: =?utf-8?q?J=C3=B6rg?= <a@example.com>\r\n", NULL,
        "pass:example.com", 0, "pass reject - example.com"},
    {"quoted display name with an address: the real address counts", Z(BASE),
        "From: \"a@example.org\" <a@example.com>\r\n", NULL, "pass:example.org",
        0, "fail reject reject example.com"},
    {"unquoted address before angle address: the address read before the "
     "error is evaluated, no pass",
        Z(BASE), "From: a@example.org <a@example.com>\r\n", NULL,
        "pass:example.org", 0,
        "permerror quarantine quarantine - from-malformed"},
    {"two addresses, one domain in two cases: one domain", Z(BASE),
        "From: a@example.com, b@EXAMPLE.COM\r\n", NULL, "pass:example.com", 0,
        "pass reject - example.com"},
    {"two domains: the strictest failing policy (RFC 7489 6.6.1)", Z(BASE),
        "From: a@example.net, b@example.com\r\n", NULL, "pass:example.net", 0,
        "fail reject reject example.com"},
    {"two domains both passing: pass", Z(BASE),
        "From: a@example.net, b@example.com\r\n", NULL,
        "pass:example.net,pass:example.com", 0, "pass none - example.net"},
    {"PSL mode: org domain from the list", Z(BASE),
        "From: a@deep.mail.example.com\r\n", NULL, "pass:example.com", 1,
        "pass reject - example.com"},
};

static int
facts_from(const char *s, struct vouch_dmarc_ident *id, size_t max, size_t *n)
{
	const char *p = s, *comma, *colon;

	*n = 0;
	while (p != NULL && *p && *n < max) {
		comma = strchr(p, ',');
		colon = strchr(p, ':');
		if (colon == NULL ||
		    vouch_dmarc_auth_parse(
		        p, (size_t)(colon - p), &id[*n].result) < 0)
			return -1;
		id[*n].domain = colon + 1;
		id[*n].domainlen =
		    comma ? (size_t)(comma - colon - 1) : strlen(colon + 1);
		(*n)++;
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static void
summary(const struct vouch_dmarc_result *r, char *buf, size_t cap)
{
	const char *pol = vouch_dmarc_policy_str(r->policy);
	const char *dis =
	    r->result == VOUCH_DMARC_FAIL || r->unsafe != VOUCH_DMARC_SAFE
	        ? vouch_dmarc_policy_str(r->disposition)
	        : "";
	const char *org = r->ndomains && r->result != VOUCH_DMARC_NONE &&
	                          r->result != VOUCH_DMARC_PERMERROR &&
	                          r->result != VOUCH_DMARC_TEMPERROR
	                      ? r->domain[r->decisive].org_domain
	                      : "";

	snprintf(buf, cap, "%s %s %s %s%s%s",
	    vouch_dmarc_verdict_str(r->result), *pol ? pol : "-",
	    *dis ? dis : "-", *org ? org : "-",
	    r->unsafe != VOUCH_DMARC_SAFE ? " " : "",
	    vouch_dmarc_unsafe_str(r->unsafe));
}

static struct vouch_dns *
zone(const char *text)
{
	struct vouch_dns *dns = NULL;
	char err[256] = "";

	if (vouch_dns_zone_new_mem("test", (const uint8_t *)text, strlen(text),
	        &dns, err, sizeof(err)) != VOUCH_OK) {
		tap_check(0, "zone: %s", err);
		return NULL;
	}
	return dns;
}

static struct vouch_dmarc *
evaluator(int rfc7489, uint64_t seed)
{
	struct vouch_dmarc_options o;
	struct vouch_dmarc *d = NULL;
	const char *shared = getenv("VOUCH_SHARED");
	static char psl[1024];

	memset(&o, 0, sizeof(o));
	o.seed = seed;
	if (rfc7489) {
		o.mode = VOUCH_DMARC_MODE_RFC7489;
		snprintf(psl, sizeof(psl),
		    "%s/testsuites/psl/public_suffix_list.dat",
		    shared ? shared : "../shared");
		o.psl_file = psl;
	}
	if (vouch_dmarc_new(&o, &d, NULL, 0) != VOUCH_OK)
		return NULL;
	return d;
}

static enum vouch_status
eval(struct vouch_dmarc *d, struct vouch_dns *dns, const char *from,
    const char *spf, const char *dkim, struct vouch_dmarc_result *res)
{
	struct vouch_dmarc_ident s, k[8];
	struct vouch_dmarc_facts f = {.spf = NULL, .dkim = k, .ndkim = 0};
	const uint8_t *fp[2];
	size_t fl[2], n, nf = 0;

	if (spf != NULL && facts_from(spf, &s, 1, &n) == 0 && n == 1)
		f.spf = &s;
	if (dkim != NULL)
		(void)facts_from(dkim, k, 8, &f.ndkim);
	if (from != NULL &&
	    (strcmp(from, "2") == 0 || strcmp(from, "2v") == 0)) {
		fp[0] = fp[1] = (const uint8_t *)"From: a@example.com\r\n";
		fl[0] = fl[1] = 21;
		if (from[1] == 'v') {
			fp[0] = (const uint8_t *)"From: a@example.org\r\n";
			fl[0] = 21;
		}
		nf = 2;
	} else if (from != NULL) {
		fp[0] = (const uint8_t *)from;
		fl[0] = strlen(from);
		nf = 1;
	}
	return vouch_dmarc_evaluate(d, dns, fp, fl, nf, &f, res);
}

/*
 * The process-wide record cache (reccache.c) is keyed on the exact text:
 * the same text read again gives the same record, a changed text for the
 * same domain is parsed anew (RFC 9989 §4.10: the policy is the one
 * published now), and more distinct records than the cache holds push
 * the oldest out without changing any verdict.
 */
static void
record_cache(void)
{
	static const char *const text[] = {
	    "v=DMARC1; p=reject; rua=mailto:r@example.com",
	    "v=DMARC1; p=none; rua=mailto:r@example.com",
	    "v=DMARC1; p=reject; rua=mailto:r@example.com",
	};
	static const enum vouch_dmarc_policy want[] = {
	    VOUCH_DMARC_POLICY_REJECT, VOUCH_DMARC_POLICY_NONE,
	    VOUCH_DMARC_POLICY_REJECT};
	struct vouch_dmarc_result res, kept;
	struct vouch_dmarc *d = evaluator(0, 1);
	struct vouch_dns *dns;
	enum vouch_status st;
	char z[512];
	size_t i, k;
	int ok;

	for (i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
		snprintf(z, sizeof(z), Z("_dmarc.example.com. TXT \"%s\"\n"),
		    text[i]);
		for (k = 0; k < 2; k++) {
			dns = zone(z);
			st = eval(d, dns, "From: a@example.com\r\n", NULL, NULL,
			    &res);
			ok = st == VOUCH_OK && res.ndomains == 1 &&
			     res.policy == want[i] &&
			     res.domain[0].record.textlen == strlen(text[i]) &&
			     strcmp(res.domain[0].record.text, text[i]) == 0 &&
			     res.domain[0].record.nrua == 1 &&
			     strcmp(res.domain[0].record.rua[0].host,
			         "example.com") == 0;
			tap_check(ok,
			    "record cache: \"%s\", evaluation %zu: got "
			    "policy %s; want %s, the record's text and rua",
			    text[i], k + 1,
			    st == VOUCH_OK ? vouch_dmarc_policy_str(res.policy)
			                   : vouch_status_str(st),
			    vouch_dmarc_policy_str(want[i]));
			if (st == VOUCH_OK)
				vouch_dmarc_result_free(&res);
			vouch_dns_free(dns);
		}
	}
	/* A result keeps its record after the cache let it go. */
	dns = zone(Z("_dmarc.example.com. TXT \"v=DMARC1; p=quarantine\"\n"));
	st = eval(d, dns, "From: a@example.com\r\n", NULL, NULL, &kept);
	vouch_dns_free(dns);
	for (i = 0; st == VOUCH_OK && i < VOUCH_DMARC_RECORD_CACHE + 8; i++) {
		snprintf(z, sizeof(z),
		    Z("_dmarc.example.com. TXT \"v=DMARC1; p=none; ri=%zu\"\n"),
		    i + 1);
		dns = zone(z);
		if (eval(d, dns, "From: a@example.com\r\n", NULL, NULL, &res) ==
		    VOUCH_OK)
			vouch_dmarc_result_free(&res);
		vouch_dns_free(dns);
	}
	tap_check(
	    st == VOUCH_OK && kept.policy == VOUCH_DMARC_POLICY_QUARANTINE &&
	        strcmp(kept.domain[0].record.text, "v=DMARC1; p=quarantine") ==
	            0,
	    "record cache: a result outlives %d newer records: got \"%s\"",
	    VOUCH_DMARC_RECORD_CACHE + 8,
	    st == VOUCH_OK ? kept.domain[0].record.text : "");
	if (st == VOUCH_OK)
		vouch_dmarc_result_free(&kept);
	vouch_dmarc_free(d);
}

int
main(void)
{
	struct vouch_dmarc_result res;
	struct vouch_dmarc *d;
	struct vouch_dns *dns;
	enum vouch_status st;
	char got[1024];
	size_t i;
	int k, nsampled;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];

		dns = zone(r->zone);
		d = evaluator(r->rfc7489, 1);
		if (dns == NULL || d == NULL) {
			tap_check(0, "%s: set-up failed", r->name);
			vouch_dns_free(dns);
			vouch_dmarc_free(d);
			continue;
		}
		st = eval(d, dns, r->from, r->spf, r->dkim, &res);
		got[0] = '\0';
		if (st == VOUCH_OK)
			summary(&res, got, sizeof(got));
		tap_check(st == VOUCH_OK && strcmp(got, r->want) == 0,
		    "%s: got \"%s\" (%s), want \"%s\"", r->name, got,
		    st == VOUCH_OK ? res.reason : vouch_status_str(st),
		    r->want);
		if (st == VOUCH_OK)
			vouch_dmarc_result_free(&res);
		vouch_dmarc_free(d);
		vouch_dns_free(dns);
	}

	/* Tree walk: a 12-label author domain costs 8 queries (RFC 9989
	 * §4.10: the author, then 7 labels, then one label at a time). */
	dns = zone(Z("_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n"));
	d = evaluator(0, 1);
	st = eval(d, dns, "From: a@a.b.c.d.e.f.g.h.i.j.mail.example.com\r\n",
	    NULL, NULL, &res);
	tap_check(st == VOUCH_OK && res.result == VOUCH_DMARC_FAIL &&
	              res.nlookups == 8 &&
	              strcmp(res.domain[0].org_domain, "example.com") == 0,
	    "tree walk of 12 labels: got %s, %lu queries, org %s; want fail, "
	    "8, example.com",
	    vouch_dmarc_verdict_str(res.result), res.nlookups,
	    res.domain[0].org_domain);
	vouch_dmarc_result_free(&res);
	/*
	 * More names than the evaluation's first block of cached lookups
	 * (DMARC_CACHE_CHUNK, 8): the walk of the author domain, then that
	 * of a DKIM domain below the same Organizational Domain (RFC 9989
	 * §4.10.2: relaxed alignment compares the two).
	 */
	st = eval(d, dns, "From: a@a.b.c.d.e.f.g.h.i.j.mail.example.com\r\n",
	    NULL, "pass:k.l.m.n.o.p.q.r.s.t.example.com", &res);
	tap_check(st == VOUCH_OK && res.result == VOUCH_DMARC_PASS &&
	              res.nlookups > 8 &&
	              strcmp(res.domain[0].org_domain, "example.com") == 0,
	    "two tree walks, over 8 names cached: got %s, %lu queries, org "
	    "%s; want pass, more than 8, example.com",
	    vouch_dmarc_verdict_str(res.result), res.nlookups,
	    res.domain[0].org_domain);
	vouch_dmarc_result_free(&res);
	/* The eighth query is _dmarc.com: a record there is still found. */
	vouch_dns_free(dns);
	dns = zone(Z("_dmarc.com. TXT \"v=DMARC1; p=quarantine\"\n"));
	st = eval(d, dns, "From: a@a.b.c.d.e.f.g.h.i.j.mail.example.com\r\n",
	    NULL, NULL, &res);
	tap_check(st == VOUCH_OK && res.result == VOUCH_DMARC_FAIL &&
	              res.policy == VOUCH_DMARC_POLICY_QUARANTINE &&
	              res.nlookups == 8,
	    "tree walk reaches the last label in 8 queries: got %s %lu",
	    vouch_dmarc_verdict_str(res.result), res.nlookups);
	vouch_dmarc_result_free(&res);
	vouch_dns_free(dns);
	vouch_dmarc_free(d);

	record_cache();

	/* pct=50 with a seed: repeatable, and near half (RFC 7489 §6.6.4). */
	dns = zone(Z("_dmarc.half.example. TXT \"v=DMARC1; p=reject; "
	             "pct=50\"\n"));
	d = evaluator(1, 42);
	nsampled = 0;
	for (k = 0; k < 200; k++) {
		if (eval(d, dns, "From: a@half.example\r\n", NULL, NULL,
		        &res) != VOUCH_OK)
			break;
		if (res.override == VOUCH_DMARC_OVERRIDE_SAMPLED_OUT &&
		    res.disposition == VOUCH_DMARC_POLICY_QUARANTINE)
			nsampled++;
		vouch_dmarc_result_free(&res);
	}
	tap_check(k == 200 && nsampled > 70 && nsampled < 130,
	    "pct=50: %d of 200 sampled out, want about 100", nsampled);
	vouch_dmarc_free(d);
	d = evaluator(1, 42);
	for (k = 0; k < 200; k++) {
		if (eval(d, dns, "From: a@half.example\r\n", NULL, NULL,
		        &res) != VOUCH_OK)
			break;
		if (res.override == VOUCH_DMARC_OVERRIDE_SAMPLED_OUT)
			nsampled--;
		vouch_dmarc_result_free(&res);
	}
	tap_check(nsampled == 0,
	    "pct=50: the same seed gives the same "
	    "decisions (difference %d)",
	    nsampled);
	vouch_dmarc_free(d);
	vouch_dns_free(dns);

	/* Several domains can be made a permerror. */
	{
		struct vouch_dmarc_options o;

		memset(&o, 0, sizeof(o));
		o.multi_domain_permerror = 1;
		dns = zone(Z(BASE));
		st = vouch_dmarc_new(&o, &d, NULL, 0);
		st =
		    st == VOUCH_OK
		        ? eval(d, dns, "From: a@example.net, b@example.com\r\n",
		              NULL, NULL, &res)
		        : st;
		tap_check(st == VOUCH_OK && res.result == VOUCH_DMARC_PERMERROR,
		    "several domains with multi_domain_permerror: got %s",
		    vouch_dmarc_verdict_str(res.result));
		vouch_dmarc_result_free(&res);
		vouch_dmarc_free(d);
		vouch_dns_free(dns);
	}

	/* External report destinations (RFC 9990 §4, RFC 7489 §7.1). */
	dns = zone(Z("_dmarc.example.com. TXT \"v=DMARC1; p=none; "
	             "rua=mailto:a@example.com,mailto:b@mail.example.com,"
	             "mailto:c@reports.example.net,mailto:d@other.example,"
	             "https://example.com/r; ruf=mailto:e@reports.example.net"
	             "\"\n"
	             "example.com._report._dmarc.reports.example.net. TXT "
	             "\"v=DMARC1\"\n"
	             "example.com._report._dmarc.other.example. TXT "
	             "\"v=spf1\"\n"));
	d = evaluator(0, 1);
	st = eval(d, dns, "From: x@example.com\r\n", NULL, NULL, &res);
	if (st == VOUCH_OK && res.domain[0].has_record &&
	    res.domain[0].record.nrua == 5 && res.domain[0].record.nruf == 1) {
		const struct vouch_dmarc_record *r = &res.domain[0].record;

		snprintf(got, sizeof(got), "%d%d%d%d%d%d ext %d%d%d%d%d%d",
		    r->rua[0].kept, r->rua[1].kept, r->rua[2].kept,
		    r->rua[3].kept, r->rua[4].kept, r->ruf[0].kept,
		    r->rua[0].external, r->rua[1].external, r->rua[2].external,
		    r->rua[3].external, r->rua[4].external, r->ruf[0].external);
	} else
		snprintf(
		    got, sizeof(got), "no record (%s)", vouch_status_str(st));
	tap_check(strcmp(got, "111001 ext 001101") == 0,
	    "report URIs kept: got %s, want 111001 ext 001101", got);
	if (st == VOUCH_OK)
		vouch_dmarc_result_free(&res);
	vouch_dmarc_free(d);
	vouch_dns_free(dns);

	/* The destination may replace the URI, at its own host only (RFC 9990
	 * §4 step 9); a replacement elsewhere drops both. */
	dns = zone(Z("_dmarc.example.com. TXT \"v=DMARC1; p=none; "
	             "rua=mailto:a@rep.example.net,mailto:b@bad.example.net\"\n"
	             "example.com._report._dmarc.rep.example.net. TXT "
	             "\"v=DMARC1; rua=mailto:x@rep.example.net!5m\"\n"
	             "example.com._report._dmarc.bad.example.net. TXT "
	             "\"v=DMARC1; rua=mailto:x@elsewhere.example\"\n"));
	d = evaluator(0, 1);
	st = eval(d, dns, "From: x@example.com\r\n", NULL, NULL, &res);
	if (st == VOUCH_OK && res.domain[0].has_record &&
	    res.domain[0].record.nrua == 2) {
		const struct vouch_dmarc_uri *u = res.domain[0].record.rua;

		snprintf(got, sizeof(got), "%d %s %d %s", u[0].kept,
		    u[0].override ? u[0].override : "-", u[1].kept,
		    u[1].override ? u[1].override : "-");
	} else
		snprintf(got, sizeof(got), "no record");
	tap_check(strcmp(got, "1 mailto:x@rep.example.net 0 -") == 0,
	    "report URI override: got \"%s\", want \"1 "
	    "mailto:x@rep.example.net 0 -\"",
	    got);
	if (st == VOUCH_OK)
		vouch_dmarc_result_free(&res);
	vouch_dmarc_free(d);
	vouch_dns_free(dns);

	/*
	 * A sender's own records full of external report URIs (lookups it
	 * chooses) must not turn the victim's fail into a temperror: report
	 * lookups come after every verdict.
	 */
	{
		static char z[65536], from[1024];
		size_t zl, fl, a, u;

		zl = (size_t)snprintf(z, sizeof(z), "%s", Z(BASE));
		fl = (size_t)snprintf(from, sizeof(from), "From: ");
		for (a = 0; a < 7; a++) {
			zl += (size_t)snprintf(z + zl, sizeof(z) - zl,
			    "_dmarc.atk%zu.example. TXT \"v=DMARC1; p=none; "
			    "rua=",
			    a);
			for (u = 0; u < VOUCH_DMARC_MAX_URIS; u++)
				zl += (size_t)snprintf(z + zl, sizeof(z) - zl,
				    "\" \"%smailto:r@h%zu.d%zu.x%zu.example",
				    u ? "," : "", u, a, u);
			zl +=
			    (size_t)snprintf(z + zl, sizeof(z) - zl, "; ruf=");
			for (u = 0; u < VOUCH_DMARC_MAX_URIS; u++)
				zl += (size_t)snprintf(z + zl, sizeof(z) - zl,
				    "\" \"%smailto:f@g%zu.e%zu.y%zu.example",
				    u ? "," : "", u, a, u);
			zl += (size_t)snprintf(z + zl, sizeof(z) - zl, "\"\n");
			fl += (size_t)snprintf(from + fl, sizeof(from) - fl,
			    "a@atk%zu.example, ", a);
		}
		snprintf(from + fl, sizeof(from) - fl, "v@example.com\r\n");
		dns = zone(z);
		d = evaluator(0, 1);
		st = eval(d, dns, from, NULL, NULL, &res);
		tap_check(st == VOUCH_OK && res.result == VOUCH_DMARC_FAIL &&
		              res.policy == VOUCH_DMARC_POLICY_REJECT,
		    "report lookups of other author domains do not starve the "
		    "verdict: got %s (%s), %lu lookups",
		    vouch_dmarc_verdict_str(res.result), res.reason,
		    res.nlookups);
		if (st == VOUCH_OK)
			vouch_dmarc_result_free(&res);
		vouch_dmarc_free(d);
		vouch_dns_free(dns);
	}

	/* The message entry point finds the From field in a header. */
	dns = zone(Z(BASE));
	d = evaluator(0, 1);
	{
		static const char msg[] = "Received: x\r\nSubject: y\r\nfrom: "
		                          "A <a@example.com>\r\n\r\nFrom: "
		                          "b@example.org\r\n";
		struct vouch_dmarc_ident sig = {
		    VOUCH_DMARC_AUTH_PASS, "example.com", 11};
		struct vouch_dmarc_facts f = {
		    .spf = NULL, .dkim = &sig, .ndkim = 1};

		st = vouch_dmarc_evaluate_message(
		    d, dns, (const uint8_t *)msg, sizeof(msg) - 1, &f, &res);
		tap_check(st == VOUCH_OK && res.result == VOUCH_DMARC_PASS,
		    "evaluate_message: got %s (%s), want pass",
		    vouch_dmarc_verdict_str(res.result), res.reason);
		if (st == VOUCH_OK)
			vouch_dmarc_result_free(&res);
	}
	vouch_dmarc_free(d);
	vouch_dns_free(dns);
	return tap_done();
}
