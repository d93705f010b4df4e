/*
 * vouch check, DMARC (RFC 9989; pct= as RFC 7489 reads it): the record
 * that applies to the domain, its policy strength, and whether the
 * report destinations will receive anything (RFC 9990 §4, RFC 7489 §7.1).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "vouch/dmarc.h"

/*
 * Look up _dmarc.NAME.  Returns 1 and fills rec with the one DMARC record,
 * 0 when there is none (*ntxt: TXT records that are not DMARC records),
 * -1 after a finding (DNS failure, several records) or ENOMEM.
 */
static int
fetch(struct check_ctx *c, const char *name, struct vouch_dmarc_record *rec,
    size_t *ntxt)
{
	char q[VOUCH_DNS_MAX_NAME + 8];
	struct vouch_dns_answer *a = NULL;
	struct vouch_dmarc_record tmp;
	struct vouch_check_finding *f;
	enum vouch_status st;
	size_t i, n = 0;
	int rv = -1;

	*ntxt = 0;
	(void)snprintf(q, sizeof(q), "_dmarc.%s", name);
	if (vouch_dns_query(c->dns, q, strlen(q), VOUCH_DNS_TXT, &a) !=
	    VOUCH_OK) {
		c->err = VOUCH_ENOMEM;
		return -1;
	}
	if (a->rcode == VOUCH_DNS_TEMPFAIL || a->rcode == VOUCH_DNS_PERMFAIL) {
		check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_ERROR,
		    "dmarc-dns-error",
		    "%s could not be looked up (%s): receivers get temperror",
		    q, a->reason ? a->reason : "DNS failure");
		goto out;
	}
	for (i = 0; a->rcode == VOUCH_DNS_ANSWER && i < a->nrr; i++) {
		if (a->rr[i].type != VOUCH_DNS_TXT)
			continue;
		memset(&tmp, 0, sizeof(tmp));
		st =
		    vouch_dmarc_record_parse(a->rr[i].data, a->rr[i].len, &tmp);
		if (st == VOUCH_ENOMEM) {
			c->err = st;
			vouch_dmarc_record_free(&tmp);
			vouch_dmarc_record_free(rec);
			goto out;
		}
		if (st != VOUCH_OK) {
			(*ntxt)++;
			vouch_dmarc_record_free(&tmp);
			continue;
		}
		if (n++ == 0)
			*rec = tmp;
		else
			vouch_dmarc_record_free(&tmp);
	}
	if (n > 1) {
		vouch_dmarc_record_free(rec);
		f = check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_ERROR,
		    "dmarc-multiple-records",
		    "%s has %zu DMARC records: receivers ignore them all and "
		    "apply no policy (RFC 9989 §4.10)",
		    q, n);
		check_fix(f, "keep one record at %s", q);
		goto out;
	}
	rv = n == 1;
out:
	vouch_dns_answer_free(a);
	return rv;
}

/* Order of strength: none < quarantine < reject; UNSET ranks as p. */
static int
weaker(enum vouch_dmarc_policy x, enum vouch_dmarc_policy p)
{
	return x != VOUCH_DMARC_POLICY_UNSET && x < p;
}

static const char *
pol(enum vouch_dmarc_policy p)
{
	return p == VOUCH_DMARC_POLICY_UNSET ? "" : vouch_dmarc_policy_str(p);
}

/* Is `host` the domain `org` or a name under it?  (Both lower case.) */
static int
within(const char *host, const char *org)
{
	size_t hl = strlen(host), ol = strlen(org);

	if (hl < ol || strcasecmp(host + hl - ol, org) != 0)
		return 0;
	return hl == ol || host[hl - ol - 1] == '.';
}

/*
 * The report URIs of one tag: mailto only, and a destination outside the
 * policy's Organizational Domain must authorize the domain with a record
 * at <domain>._report._dmarc.<destination> (RFC 9990 §4, RFC 7489 §7.1).
 */
static void
lint_uris(struct check_ctx *c, struct vouch_dmarc *d, const char *policy_domain,
    const char *org, const char *tag, const struct vouch_dmarc_uri *u, size_t n)
{
	char horg[VOUCH_DNS_MAX_NAME + 1], q[2 * VOUCH_DNS_MAX_NAME + 32];
	char uri[256], host[VOUCH_DNS_MAX_NAME + 1];
	struct vouch_check_finding *f;
	struct vouch_dns_answer *a = NULL;
	enum vouch_status st;
	size_t i, k;
	int authorized;

	for (i = 0; i < n && c->err == VOUCH_OK; i++) {
		/* The URI is the publisher's text: shown as printable. */
		check_text(uri, sizeof(uri), (const uint8_t *)u[i].uri,
		    strlen(u[i].uri));
		if (u[i].host != NULL)
			check_text(host, sizeof(host),
			    (const uint8_t *)u[i].host, strlen(u[i].host));
		if (strncasecmp(u[i].uri, "mailto:", 7) != 0 ||
		    u[i].host == NULL || u[i].host[0] == '\0' ||
		    strcmp(host, u[i].host) != 0) {
			f = check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_WARNING,
			    "dmarc-uri-not-mailto",
			    "%s=%s is not a valid mailto: URI: receivers send "
			    "reports only by mail",
			    tag, uri);
			check_fix(f, "use %s=mailto:ADDRESS", tag);
			continue;
		}
		if (strcmp(tag, "rua") == 0)
			c->r->dmarc.nrua_usable++;
		if (within(u[i].host, org))
			continue; /* no DNS needed: the same organization */
		st = vouch_dmarc_org_domain(d, c->dns, u[i].host,
		    strlen(u[i].host), horg, sizeof(horg));
		if (st == VOUCH_ENOMEM) {
			c->err = st;
			return;
		}
		if (st != VOUCH_OK)
			horg[0] = '\0';
		if (horg[0] != '\0' && strcmp(horg, org) == 0)
			continue;
		(void)snprintf(q, sizeof(q), "%s._report._dmarc.%s",
		    policy_domain, u[i].host);
		if (vouch_dns_query(c->dns, q, strlen(q), VOUCH_DNS_TXT, &a) !=
		    VOUCH_OK) {
			c->err = VOUCH_ENOMEM;
			return;
		}
		authorized = 0;
		for (k = 0; a->rcode == VOUCH_DNS_ANSWER && k < a->nrr; k++)
			if (a->rr[k].len >= 8 &&
			    memcmp(a->rr[k].data, "v=DMARC1", 8) == 0)
				authorized = 1;
		if (a->rcode == VOUCH_DNS_TEMPFAIL ||
		    a->rcode == VOUCH_DNS_PERMFAIL)
			check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_WARNING,
			    "dmarc-dns-error",
			    "%s could not be looked up (%s): the reports to "
			    "%s may not be sent",
			    q, a->reason ? a->reason : "DNS failure", uri);
		else if (authorized)
			check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_INFO,
			    "dmarc-report-authorized",
			    "%s=%s is outside %s and authorized by %s", tag,
			    uri, org, q);
		else {
			if (strcmp(tag, "rua") == 0)
				c->r->dmarc.nrua_usable--;
			f = check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_WARNING,
			    strcmp(tag, "rua") == 0 ? "dmarc-rua-unauthorized"
			                            : "dmarc-ruf-unauthorized",
			    "%s=%s is outside %s and %s does not authorize "
			    "it: receivers will not send these reports (RFC "
			    "9990 §4)",
			    tag, uri, org, u[i].host);
			check_fix(f,
			    "ask %s to publish %s. TXT \"v=DMARC1\", or "
			    "send the reports to an address in %s",
			    u[i].host, q, org);
		}
		vouch_dns_answer_free(a);
		a = NULL;
	}
}

/* Findings about the tags of a parsed record. */
static void
lint_record(struct check_ctx *c, struct vouch_dmarc *d,
    const struct vouch_dmarc_record *rec, const char *policy_domain,
    const char *org, int inherited)
{
	static const struct {
		unsigned bit;
		const char *tag;
	} bad[] = {{VOUCH_DMARC_BAD_SP, "sp"}, {VOUCH_DMARC_BAD_NP, "np"},
	    {VOUCH_DMARC_BAD_ADKIM, "adkim"}, {VOUCH_DMARC_BAD_ASPF, "aspf"},
	    {VOUCH_DMARC_BAD_FO, "fo"}, {VOUCH_DMARC_BAD_RUA, "rua"},
	    {VOUCH_DMARC_BAD_RUF, "ruf"}, {VOUCH_DMARC_BAD_T, "t"},
	    {VOUCH_DMARC_BAD_PSD, "psd"}, {VOUCH_DMARC_BAD_PCT, "pct"},
	    {VOUCH_DMARC_BAD_RF, "rf"}, {VOUCH_DMARC_BAD_RI, "ri"}};
	struct vouch_check_finding *f;
	enum vouch_dmarc_policy applies;
	size_t i;

	if (rec->invalid & VOUCH_DMARC_BAD_P) {
		f = check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_ERROR,
		    "dmarc-bad-policy",
		    "_dmarc.%s: p= is missing or not none, quarantine or "
		    "reject: receivers apply p=none (RFC 9989 §4.8)",
		    policy_domain);
		check_fix(f, "write p=none, p=quarantine or p=reject");
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!(rec->invalid & bad[i].bit))
			continue;
		f = check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_WARNING,
		    "dmarc-invalid-tag",
		    "_dmarc.%s: the value of %s= is not valid: receivers "
		    "use the default (RFC 9989 §4.8)",
		    policy_domain, bad[i].tag);
		check_fix(f, "correct or remove %s=", bad[i].tag);
	}
	if (rec->invalid & VOUCH_DMARC_BAD_SYNTAX)
		check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_WARNING,
		    "dmarc-syntax",
		    "_dmarc.%s: a term is not tag=value: receivers skip it",
		    policy_domain);
	applies =
	    inherited && rec->sp != VOUCH_DMARC_POLICY_UNSET ? rec->sp : rec->p;
	if (applies == VOUCH_DMARC_POLICY_NONE ||
	    (applies == VOUCH_DMARC_POLICY_UNSET &&
	        !(rec->invalid & VOUCH_DMARC_BAD_P))) {
		f = check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_WARNING,
		    "dmarc-policy-none",
		    "the policy for %s is none: monitoring only, mail that "
		    "fails DMARC is still delivered",
		    c->r->domain);
		check_fix(f, "once the reports show all your mail passes, "
		             "move to p=quarantine, then p=reject");
	}
	if (rec->p != VOUCH_DMARC_POLICY_UNSET && weaker(rec->sp, rec->p)) {
		f = check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_WARNING,
		    "dmarc-sp-weaker",
		    "sp=%s is weaker than p=%s: subdomains of %s are less "
		    "protected",
		    pol(rec->sp), pol(rec->p), policy_domain);
		check_fix(f, "remove sp= or set sp=%s", pol(rec->p));
	}
	if (rec->p != VOUCH_DMARC_POLICY_UNSET &&
	    weaker(rec->np,
	        rec->sp != VOUCH_DMARC_POLICY_UNSET ? rec->sp : rec->p)) {
		f = check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_WARNING,
		    "dmarc-np-weaker",
		    "np=%s is weaker than the policy for existing "
		    "subdomains: names that do not exist can be forged "
		    "more freely",
		    pol(rec->np));
		check_fix(f, "remove np= or set np=reject");
	}
	/* pct= samples the policy; with p=none there is nothing to sample. */
	if (rec->pct < 100 && applies != VOUCH_DMARC_POLICY_NONE &&
	    applies != VOUCH_DMARC_POLICY_UNSET) {
		f = check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_WARNING,
		    "dmarc-pct",
		    "pct=%u: receivers following RFC 7489 apply the policy to "
		    "only %u%% of failing mail (the rest one step milder); "
		    "RFC 9989 dropped pct=",
		    rec->pct, rec->pct);
		check_fix(f, "remove pct= once the reports are clean");
	}
	if (rec->testing) {
		f = check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_WARNING,
		    "dmarc-testing",
		    "t=y: the policy is in test mode, receivers apply one "
		    "step milder (RFC 9989 §4.7)");
		check_fix(f, "remove t=y when testing is over");
	}
	if (rec->nrua == 0) {
		f = check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_WARNING,
		    "dmarc-no-rua",
		    "no usable rua=: you receive no aggregate reports, so you "
		    "cannot see who sends mail as %s",
		    c->r->domain);
		check_fix(f, "add rua=mailto:dmarc-reports@%s", org);
	}
	if (rec->nuris_dropped > 0)
		check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_WARNING,
		    "dmarc-bad-uri",
		    "%zu report URIs are invalid or too many: receivers skip "
		    "them",
		    rec->nuris_dropped);
	lint_uris(c, d, policy_domain, org, "rua", rec->rua, rec->nrua);
	lint_uris(c, d, policy_domain, org, "ruf", rec->ruf, rec->nruf);
}

void
check_lint_dmarc(struct check_ctx *c)
{
	struct vouch_check_report *r = c->r;
	struct vouch_dmarc_record rec;
	struct vouch_check_finding *f;
	struct vouch_dmarc *d = NULL;
	char org[VOUCH_DNS_MAX_NAME + 1];
	const char *where = r->domain;
	size_t ntxt = 0, ntxt_org = 0;
	enum vouch_status st;
	int got, inherited = 0;

	memset(&rec, 0, sizeof(rec));
	if ((st = vouch_dmarc_new(NULL, &d, NULL, 0)) != VOUCH_OK) {
		c->err = st; /* no PSL is read: only memory can fail */
		return;
	}
	/* Without an answer, the domain stands for its organization. */
	st = vouch_dmarc_org_domain(
	    d, c->dns, r->domain, strlen(r->domain), org, sizeof(org));
	if (st == VOUCH_ENOMEM) {
		c->err = st;
		goto out;
	}
	if (st != VOUCH_OK || org[0] == '\0')
		(void)snprintf(org, sizeof(org), "%s", r->domain);
	got = fetch(c, r->domain, &rec, &ntxt);
	if (got == 0 && strcmp(org, r->domain) != 0) {
		got = fetch(c, org, &rec, &ntxt_org);
		where = org;
		inherited = got == 1;
	}
	if (got < 0)
		goto out;
	if (ntxt > 0)
		check_add(c, VOUCH_CHECK_DMARC,
		    got == 1 ? VOUCH_CHECK_WARNING : VOUCH_CHECK_ERROR,
		    "dmarc-syntax",
		    "_dmarc.%s has a TXT record that does not start with "
		    "v=DMARC1: receivers ignore it (RFC 9989 §4.7)",
		    r->domain);
	if (got == 0) {
		f = check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_ERROR,
		    "dmarc-missing",
		    "no DMARC record for %s: receivers apply no policy and "
		    "anyone can send mail in your name",
		    r->domain);
		check_fix(f,
		    "publish _dmarc.%s. TXT \"v=DMARC1; p=none; "
		    "rua=mailto:dmarc-reports@%s\", then move to "
		    "p=quarantine and p=reject",
		    org, org);
		goto out;
	}
	if ((r->dmarc.record = check_strdup_text(
	         (const uint8_t *)rec.text, rec.textlen)) == NULL) {
		c->err = VOUCH_ENOMEM;
		goto out;
	}
	(void)snprintf(r->dmarc.policy_domain, sizeof(r->dmarc.policy_domain),
	    "%s", where);
	(void)snprintf(r->dmarc.p, sizeof(r->dmarc.p), "%s", pol(rec.p));
	(void)snprintf(r->dmarc.sp, sizeof(r->dmarc.sp), "%s", pol(rec.sp));
	(void)snprintf(r->dmarc.np, sizeof(r->dmarc.np), "%s", pol(rec.np));
	r->dmarc.pct = rec.pct;
	r->dmarc.testing = rec.testing;
	r->dmarc.nrua = rec.nrua;
	if (inherited)
		check_add(c, VOUCH_CHECK_DMARC, VOUCH_CHECK_INFO,
		    "dmarc-inherited",
		    "no record at _dmarc.%s: the record of the "
		    "organizational domain %s applies",
		    r->domain, org);
	lint_record(c, d, &rec, where, org, inherited);
out:
	vouch_dmarc_record_free(&rec);
	vouch_dmarc_free(d);
}
