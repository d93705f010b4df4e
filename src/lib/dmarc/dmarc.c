/*
 * DMARC evaluation: author domain (RFC 9989 §5.3.1), policy discovery
 * (§4.10.1, RFC 7489 §6.6.3), identifier alignment (§4.10.2, RFC 7489
 * §3.1), policy and disposition (§4.7, §5.3.6; RFC 7489 §6.6.4 pct=),
 * external report destinations (RFC 9990 §4, RFC 7489 §7.1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <libpsl.h>

#include "dmarc/internal.h"
#include "mail/hdrscan.h"

/* splitmix64: a small, well-mixed generator; enough for pct= sampling. */
static uint64_t
next_random(struct vouch_dmarc *d)
{
	uint64_t z = (d->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

enum vouch_status
vouch_dmarc_new(const struct vouch_dmarc_options *opts,
    struct vouch_dmarc **out, char *err, size_t errlen)
{
	struct vouch_dmarc *d;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return VOUCH_ENOMEM;
	if (opts != NULL)
		d->opts = *opts;
	d->opts.psl_file = NULL; /* not kept: read now */
	if (opts != NULL && opts->mode == VOUCH_DMARC_MODE_RFC7489) {
		if (opts->psl_file != NULL) {
			d->psl = psl_load_file(opts->psl_file);
			if (d->psl == NULL) {
				if (err != NULL && errlen > 0)
					snprintf(err, errlen,
					    "%s: cannot load the Public "
					    "Suffix List",
					    opts->psl_file);
				free(d);
				return VOUCH_EIO;
			}
			d->psl_owned = 1;
		} else {
			/* the system's list, else the one built in */
			d->psl = psl_latest(NULL);
			d->psl_owned = d->psl != NULL;
			if (d->psl == NULL)
				d->psl = psl_builtin();
		}
	}
	if (opts != NULL && opts->seed != 0)
		d->rng = opts->seed;
	else if (getrandom(&d->rng, sizeof(d->rng), 0) !=
	         (ssize_t)sizeof(d->rng))
		d->rng = (uint64_t)time(NULL);
	*out = d;
	return VOUCH_OK;
}

void
vouch_dmarc_free(struct vouch_dmarc *d)
{
	if (d == NULL)
		return;
	if (d->psl_owned)
		psl_free((psl_ctx_t *)d->psl);
	free(d->spare);
	free(d);
}

/*
 * An evaluation's scratch: the one the evaluator keeps, or a new one.  A
 * message's verdict took one allocation (and free) of 17 KB for it; an
 * evaluator evaluates one message at a time, and the exchange keeps even
 * a caller that breaks that rule safe.
 */
static struct dmarc_eval *
eval_take(struct vouch_dmarc *d)
{
	struct dmarc_eval *ev = __atomic_exchange_n(
	    &d->spare, (struct dmarc_eval *)NULL, __ATOMIC_ACQ_REL);

	return ev != NULL ? ev : malloc(sizeof(*ev));
}

/* Gives the scratch back (dmarc_eval_free done), or frees it. */
static void
eval_give(struct vouch_dmarc *d, struct dmarc_eval *ev)
{
	struct dmarc_eval *none = NULL;

	if (!__atomic_compare_exchange_n(
	        &d->spare, &none, ev, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		free(ev);
}

void
vouch_dmarc_result_free(struct vouch_dmarc_result *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->ndomains && i < VOUCH_DMARC_MAX_AUTHOR_DOMAINS;
	     i++)
		vouch_dmarc_record_free(&res->domain[i].record);
	res->ndomains = 0;
}

__attribute__((format(printf, 2, 3))) static void
reason(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(
	    buf, sizeof(((struct vouch_dmarc_result *)0)->reason), fmt, ap);
	va_end(ap);
}

/*
 * reason() for a text made of plain pieces (a NULL-terminated list): no
 * printf on the path of every pass.  Cut to fit, as vsnprintf cuts.
 */
static void
reason_cat(char *buf, const char *const *part)
{
	size_t cap = sizeof(((struct vouch_dmarc_result *)0)->reason), n = 0, k;

	for (; *part != NULL && n + 1 < cap; part++) {
		k = strlen(*part);
		if (k > cap - 1 - n)
			k = cap - 1 - n;
		memcpy(buf + n, *part, k);
		n += k;
	}
	buf[n] = '\0';
}

/* Is `sub` equal to `dom` or below it? */
static int
is_within(const char *sub, const char *dom)
{
	size_t ls = strlen(sub), ld = strlen(dom);

	if (ls == ld)
		return strcmp(sub, dom) == 0;
	return ls > ld && sub[ls - ld - 1] == '.' &&
	       strcmp(sub + ls - ld, dom) == 0;
}

/*
 * Identifier alignment (RFC 9989 §3.2.10, §4.10.2; RFC 7489 §3.1): strict
 * is string equality of the normalized names; relaxed compares the
 * Organizational Domains.  Strict never falls back to the Organizational
 * Domain.  Returns 1 aligned, 0 not, -1 a DNS query failed, -2 ENOMEM.
 */
static int
aligned(struct dmarc_eval *ev, const char *author, const char *author_org,
    const char *ident, enum vouch_dmarc_alignment mode)
{
	struct dmarc_org org;

	if (strcmp(author, ident) == 0)
		return 1;
	if (mode == VOUCH_DMARC_STRICT)
		return 0;
	/*
	 * An Organizational Domain is the name itself or one of its parents
	 * (RFC 9989 §4.10.2, RFC 7489 §3.2), so the identifier's can equal
	 * the author's only when the identifier is that domain or below it.
	 * Otherwise no query is made: its answer could not change the
	 * outcome, and a query the identifier's owner can make fail must not
	 * turn a fail into a temperror (doc/threat-model.md, class 2).
	 */
	if (!is_within(ident, author_org))
		return 0;
	if (dmarc_org_domain(ev, ident, &org) != VOUCH_OK)
		return -2;
	if (org.temp || org.perm)
		return -1;
	return strcmp(org.org, author_org) == 0;
}

/*
 * An authorizing record (RFC 9990 §4 steps 8-9; RFC 7489 §7.1): the URI is
 * kept, and a rua= (ruf=) there replaces it, if every replacement URI has
 * the same destination host; "if the confirming record includes a URI whose
 * host is again different ... MUST NOT generate a report to either the
 * original or the override URI".
 */
static enum vouch_status
apply_override(
    struct vouch_dmarc_uri *u, const struct vouch_dmarc_uri *repl, size_t n)
{
	size_t i, k, len = 0;
	char *o;

	for (i = 0; i < n; i++) {
		if (strcmp(repl[i].host, u->host) != 0)
			return VOUCH_OK; /* neither is used */
		len += strlen(repl[i].uri) + 1;
	}
	u->kept = 1;
	if (n == 0)
		return VOUCH_OK;
	if ((o = malloc(len)) == NULL)
		return VOUCH_ENOMEM;
	for (i = 0, len = 0; i < n; i++) {
		if (i > 0)
			o[len++] = ',';
		k = strlen(repl[i].uri);
		memcpy(o + len, repl[i].uri, k);
		len += k;
	}
	o[len] = '\0';
	free(u->override);
	u->override = o;
	return VOUCH_OK;
}

/*
 * External report destinations (RFC 9990 §4; RFC 7489 §7.1): a mailto URI
 * whose host has another Organizational Domain than the policy domain is
 * kept only when <policy domain>._report._dmarc.<host> holds a TXT record
 * that starts with v=DMARC1.  Other schemes are not supported for sending
 * and are not kept (RFC 9989 §4.7 "MUST be ignored").
 */
static enum vouch_status
check_uris(struct dmarc_eval *ev, struct vouch_dmarc_domain_result *dr,
    const char *policy_org, struct vouch_dmarc_uri *list, size_t n, int is_ruf)
{
	char qname[2 * VOUCH_DNS_MAX_NAME + 32];
	struct vouch_dns_answer *ans;
	struct vouch_dmarc_record rec;
	struct dmarc_org org;
	const char *why;
	char host[VOUCH_DNS_MAX_NAME + 1];
	enum vouch_status st;
	size_t i, j, ql;

	for (i = 0; i < n; i++) {
		struct vouch_dmarc_uri *u = &list[i];

		u->kept = 0;
		if (strncmp(u->uri, "mailto:", 7) != 0 &&
		    strncmp(u->uri, "MAILTO:", 7) != 0)
			continue;
		if (dmarc_normalize((const uint8_t *)u->host, strlen(u->host),
		        host, sizeof(host), &why) < 0)
			continue;
		if (is_within(host, policy_org)) {
			u->kept = 1;
			continue;
		}
		if (dmarc_org_domain(ev, host, &org) != VOUCH_OK)
			return VOUCH_ENOMEM;
		if (!org.temp && strcmp(org.org, policy_org) == 0) {
			u->kept = 1;
			continue;
		}
		u->external = 1;
		if (ev->d->opts.skip_report_check)
			continue;
		ql = (size_t)snprintf(qname, sizeof(qname),
		    "%s._report._dmarc.%s", dr->policy_domain, host);
		/* "If the length of the constructed name exceed DNS limits, a
		 * positive determination ... cannot be made" (RFC 9990 §4) */
		if (ql > VOUCH_DNS_MAX_NAME)
			continue;
		st = dmarc_dns_query(ev, qname, ql, VOUCH_DNS_TXT, &ans);
		if (st == VOUCH_ELIMIT) {
			u->tempfail = 1;
			continue;
		}
		if (st != VOUCH_OK)
			return st;
		if (ans->rcode == VOUCH_DNS_TEMPFAIL)
			u->tempfail = 1;
		for (j = 0; ans->rcode == VOUCH_DNS_ANSWER && j < ans->nrr;
		     j++) {
			if (ans->rr[j].type != VOUCH_DNS_TXT)
				continue;
			st = vouch_dmarc_record_parse(
			    ans->rr[j].data, ans->rr[j].len, &rec);
			if (st == VOUCH_OK && !u->kept)
				st = apply_override(u,
				    is_ruf ? rec.ruf : rec.rua,
				    is_ruf ? rec.nruf : rec.nrua);
			vouch_dmarc_record_free(&rec);
			if (st == VOUCH_ENOMEM) {
				vouch_dns_answer_free(ans);
				return st;
			}
		}
		vouch_dns_answer_free(ans);
	}
	return VOUCH_OK;
}

/* The rua= and ruf= URIs of the record a domain's verdict used. */
static enum vouch_status
report_destinations(struct dmarc_eval *ev, struct vouch_dmarc_domain_result *dr)
{
	struct vouch_dmarc_record *rec = &dr->record;
	struct dmarc_org porg;
	enum vouch_status st;

	if ((st = dmarc_org_domain(ev, dr->policy_domain, &porg)) != VOUCH_OK)
		return st;
	if ((st = check_uris(ev, dr, porg.org, rec->rua, rec->nrua, 0)) !=
	    VOUCH_OK)
		return st;
	return check_uris(ev, dr, porg.org, rec->ruf, rec->nruf, 1);
}

/* Does the author domain exist (RFC 9989 §3.2.13, Appendix A.4)?  Any
 * answer but NXDOMAIN says it does.  1 yes, 0 no, -1 temporary failure. */
static int
domain_exists(struct dmarc_eval *ev, const char *name)
{
	struct vouch_dns_answer *ans;
	enum vouch_status st;
	int r;

	st = dmarc_dns_query(ev, name, strlen(name), VOUCH_DNS_A, &ans);
	if (st != VOUCH_OK)
		return -1;
	if (ans->rcode == VOUCH_DNS_NXDOMAIN)
		r = 0;
	else if (ans->rcode == VOUCH_DNS_TEMPFAIL)
		r = -1;
	else
		r = 1;
	vouch_dns_answer_free(ans);
	return r;
}

static enum vouch_dmarc_policy
one_level_below(enum vouch_dmarc_policy p)
{
	if (p == VOUCH_DMARC_POLICY_REJECT)
		return VOUCH_DMARC_POLICY_QUARANTINE;
	return VOUCH_DMARC_POLICY_NONE;
}

/* Evaluation of one normalized author domain into *dr. */
static enum vouch_status
evaluate_domain(struct dmarc_eval *ev, const struct vouch_dmarc_facts *facts,
    struct vouch_dmarc_domain_result *dr)
{
	const struct vouch_dmarc_options *o = &ev->d->opts;
	const struct dmarc_lookup *l, *use = NULL;
	struct dmarc_org org;
	const char *author = dr->author_domain, *why;
	char ident[VOUCH_DNS_MAX_NAME + 1];
	struct vouch_dmarc_record *rec;
	enum vouch_status st;
	unsigned bad;
	int a, temp = 0, rfc7489 = o->mode == VOUCH_DMARC_MODE_RFC7489;
	size_t i;

	dr->author_exists = -1;
	/* Policy discovery: the author domain first (RFC 9989 §4.10.1,
	 * RFC 7489 §6.6.3 step 1). */
	if ((l = dmarc_lookup(ev, author)) == NULL)
		return VOUCH_ENOMEM;
	if (l->outcome == DL_TEMP) {
		dr->result = VOUCH_DMARC_TEMPERROR;
		reason(dr->reason,
		    "DNS lookup of _dmarc.%s failed "
		    "temporarily",
		    author);
		return VOUCH_OK;
	}
	if (l->outcome == DL_PERM) {
		dr->result = VOUCH_DMARC_PERMERROR;
		reason(dr->reason, "DNS lookup of _dmarc.%s failed", author);
		return VOUCH_OK;
	}
	if ((st = dmarc_org_domain(ev, author, &org)) != VOUCH_OK)
		return st;
	memcpy(dr->org_domain, org.org, strlen(org.org) + 1);
	/* A walk that failed part-way may have missed the Organizational
	 * Domain: without an aligned pass, no verdict can be given. */
	temp = org.temp || org.perm;
	if (l->outcome == DL_ONE) {
		use = l;
	} else if (rfc7489 && l->nrecords > 1) {
		/* "If the remaining set contains multiple records ... policy
		 * discovery terminates" (RFC 7489 §6.6.3 step 5); RFC 9989
		 * discards them and walks on. */
		dr->result = VOUCH_DMARC_NONE;
		reason(
		    dr->reason, "several DMARC records at _dmarc.%s", author);
		return VOUCH_OK;
	} else if (rfc7489) {
		/* step 3: the Organizational Domain's record, if different */
		if (strcmp(org.org, author) != 0) {
			if ((l = dmarc_lookup(ev, org.org)) == NULL)
				return VOUCH_ENOMEM;
			if (l->outcome == DL_TEMP) {
				dr->result = VOUCH_DMARC_TEMPERROR;
				reason(dr->reason,
				    "DNS lookup of _dmarc.%s failed "
				    "temporarily",
				    org.org);
				return VOUCH_OK;
			}
			if (l->outcome == DL_ONE)
				use = l;
		}
	} else {
		/* The tree walk: the Organizational Domain's record, else the
		 * PSD's (RFC 9989 §4.10.1). */
		if (org.temp) {
			dr->result = VOUCH_DMARC_TEMPERROR;
			reason(dr->reason,
			    "DNS tree walk for %s failed "
			    "temporarily",
			    author);
			return VOUCH_OK;
		}
		for (i = 0; i < org.nfound; i++)
			if (strcmp(org.found[i]->name, org.org) == 0)
				use = org.found[i];
		if (use == NULL && org.psd != NULL)
			use = org.psd;
	}
	if (use == NULL) {
		dr->result = VOUCH_DMARC_NONE;
		reason(dr->reason, "no DMARC record for %s", author);
		return VOUCH_OK;
	}
	memcpy(dr->policy_domain, use->name, strlen(use->name) + 1);

	/* A copy of the record for the result (its URIs are marked below). */
	st = dmarc_record_copy(&dr->record, &use->rec);
	if (st != VOUCH_OK) {
		vouch_dmarc_record_free(&dr->record);
		return st == VOUCH_ENOMEM ? st : VOUCH_EINVAL;
	}
	dr->has_record = 1;
	rec = &dr->record;

	/*
	 * No valid p=, or an invalid sp= (np=): with a valid rua= act as if
	 * p=none, else no DMARC processing (RFC 9989 §4.10.1, RFC 7489
	 * §6.6.3 step 6).
	 */
	bad = rec->invalid & (VOUCH_DMARC_BAD_P | VOUCH_DMARC_BAD_SP |
	                         (rfc7489 ? 0 : VOUCH_DMARC_BAD_NP));
	if (bad) {
		if (rec->nrua == 0) {
			dr->result = VOUCH_DMARC_NONE;
			reason(dr->reason,
			    "record at _dmarc.%s has no valid "
			    "%s and no rua=: DMARC not applied",
			    dr->policy_domain,
			    (bad & VOUCH_DMARC_BAD_P) ? "p=" : "sp=/np=");
			return VOUCH_OK;
		}
		rec->p = rec->sp = rec->np = VOUCH_DMARC_POLICY_NONE;
	}

	/* Which policy applies (RFC 9989 §4.10.1; RFC 7489 §6.3 sp=). */
	if (strcmp(dr->policy_domain, author) == 0) {
		dr->policy = rec->p;
		dr->policy_tag = VOUCH_DMARC_TAG_P;
	} else {
		if (!rfc7489 && rec->np != VOUCH_DMARC_POLICY_UNSET) {
			dr->author_exists = domain_exists(ev, author);
			if (dr->author_exists < 0) {
				dr->result = VOUCH_DMARC_TEMPERROR;
				reason(dr->reason,
				    "DNS lookup of %s failed "
				    "temporarily",
				    author);
				return VOUCH_OK;
			}
		}
		if (dr->author_exists == 0) {
			dr->policy = rec->np;
			dr->policy_tag = VOUCH_DMARC_TAG_NP;
		} else if (!rfc7489 && strcmp(org.org, author) == 0) {
			/*
			 * A PSD's record (psd=y) for a name that is itself
			 * the Organizational Domain: sp= applies "not to the
			 * Organizational Domain itself" (RFC 9989 §4.7 sp).
			 */
			dr->policy = rec->p;
			dr->policy_tag = VOUCH_DMARC_TAG_P;
		} else if (rec->sp != VOUCH_DMARC_POLICY_UNSET) {
			dr->policy = rec->sp;
			dr->policy_tag = VOUCH_DMARC_TAG_SP;
		} else {
			dr->policy = rec->p;
			dr->policy_tag = VOUCH_DMARC_TAG_P;
		}
	}

	/* Alignment (RFC 9989 §4.4, §4.10.2; RFC 7489 §3.1). */
	if (facts->spf != NULL && facts->spf->domainlen > 0 &&
	    dmarc_normalize((const uint8_t *)facts->spf->domain,
	        facts->spf->domainlen, ident, sizeof(ident), &why) == 0) {
		a = aligned(ev, author, org.org, ident, rec->aspf);
		if (a == -2)
			return VOUCH_ENOMEM;
		if (facts->spf->result == VOUCH_DMARC_AUTH_PASS) {
			if (a == 1)
				dr->spf_aligned = 1;
			else if (a == -1)
				temp = 1;
		} else if (facts->spf->result == VOUCH_DMARC_AUTH_TEMPERROR &&
		           a != 0)
			temp = 1;
	}
	for (i = 0; i < facts->ndkim && i < VOUCH_DKIM_MAX_SIGNATURES; i++) {
		const struct vouch_dmarc_ident *k = &facts->dkim[i];

		if (k->result != VOUCH_DMARC_AUTH_PASS &&
		    k->result != VOUCH_DMARC_AUTH_TEMPERROR)
			continue;
		if (dmarc_normalize((const uint8_t *)k->domain, k->domainlen,
		        ident, sizeof(ident), &why) < 0)
			continue;
		a = aligned(ev, author, org.org, ident, rec->adkim);
		if (a == -2)
			return VOUCH_ENOMEM;
		if (k->result == VOUCH_DMARC_AUTH_PASS && a == 1) {
			dr->dkim_aligned = 1;
			dr->dkim_aligned_each[i] = 1;
		} else if (a != 0)
			temp = 1;
	}

	if (dr->spf_aligned || dr->dkim_aligned) {
		dr->result = VOUCH_DMARC_PASS;
		dr->disposition = VOUCH_DMARC_POLICY_NONE;
		reason_cat(dr->reason,
		    (const char *const[]){dr->spf_aligned ? "SPF" : "",
		        dr->spf_aligned && dr->dkim_aligned ? " and " : "",
		        dr->dkim_aligned ? "DKIM" : "", " aligned with ",
		        author, NULL});
		return VOUCH_OK;
	}
	/* No aligned pass, but an identifier that might have aligned failed
	 * for now: no conclusion (RFC 7489 §6.6.2, RFC 9989 §5.3.6). */
	if (temp) {
		dr->result = VOUCH_DMARC_TEMPERROR;
		reason(dr->reason, "no aligned pass; a check that could align "
		                   "failed temporarily");
		return VOUCH_OK;
	}
	dr->result = VOUCH_DMARC_FAIL;
	dr->disposition = dr->policy;
	reason(dr->reason,
	    "no aligned SPF or DKIM pass for %s; %s=%s from "
	    "_dmarc.%s",
	    author,
	    dr->policy_tag == VOUCH_DMARC_TAG_NP   ? "np"
	    : dr->policy_tag == VOUCH_DMARC_TAG_SP ? "sp"
	                                           : "p",
	    vouch_dmarc_policy_str(dr->policy), dr->policy_domain);
	if (!rfc7489 && rec->testing &&
	    dr->disposition != VOUCH_DMARC_POLICY_NONE) {
		/* t=y: one level below (RFC 9989 §4.7) */
		dr->disposition = one_level_below(dr->disposition);
		strncat(dr->reason, "; t=y: testing",
		    sizeof(dr->reason) - strlen(dr->reason) - 1);
	} else if (rfc7489 && rec->pct < 100 &&
	           dr->disposition != VOUCH_DMARC_POLICY_NONE &&
	           next_random(ev->d) % 100 >= rec->pct) {
		/* Not selected by pct=: reject becomes quarantine, quarantine
		 * becomes local classification (RFC 7489 §6.6.4). */
		dr->disposition = one_level_below(dr->disposition);
		dr->override = VOUCH_DMARC_OVERRIDE_SAMPLED_OUT;
		strncat(dr->reason, "; sampled out by pct=",
		    sizeof(dr->reason) - strlen(dr->reason) - 1);
	}
	if (o->local_override != VOUCH_DMARC_OVERRIDE_NONE) {
		dr->disposition = o->local_disposition;
		dr->override = o->local_override;
	}
	return VOUCH_OK;
}

/* Rank of a per-domain verdict, for the strictest of several domains. */
static int
rank(const struct vouch_dmarc_domain_result *dr)
{
	switch (dr->result) {
	case VOUCH_DMARC_FAIL:
		return 100 + 10 * (int)dr->disposition + (int)dr->policy;
	case VOUCH_DMARC_TEMPERROR:
		return 50;
	case VOUCH_DMARC_PERMERROR:
		return 40;
	case VOUCH_DMARC_PASS:
		return 20;
	default:
		return 10;
	}
}

static void
permerror(struct vouch_dmarc_result *res, const char *why)
{
	res->result = VOUCH_DMARC_PERMERROR;
	res->disposition = VOUCH_DMARC_POLICY_NONE;
	reason(res->reason, "%s", why);
}

/*
 * The receiver's rule for an author that cannot be read safely (RFC 9989
 * §4.4, §11.5 leave it to the receiver; doc/threat-model.md, class 4): no
 * pass, and at least the configured disposition.  A fail keeps the
 * domain's policy when it is stricter; a temperror stays one (a retry may
 * give fail); pass, none and permerror become permerror.
 */
static void
apply_unsafe(const struct vouch_dmarc *d, struct vouch_dmarc_result *res)
{
	enum vouch_dmarc_policy least = d->opts.unsafe_disposition;

	if (res->unsafe == VOUCH_DMARC_SAFE)
		return;
	if (least == VOUCH_DMARC_POLICY_UNSET ||
	    least > VOUCH_DMARC_POLICY_REJECT)
		least = VOUCH_DMARC_POLICY_QUARANTINE;
	if (res->result != VOUCH_DMARC_FAIL) {
		if (res->result != VOUCH_DMARC_TEMPERROR) {
			res->result = VOUCH_DMARC_PERMERROR;
			reason(res->reason, "%s", res->unsafe_reason);
		}
		res->disposition = VOUCH_DMARC_POLICY_NONE;
		res->override = VOUCH_DMARC_OVERRIDE_NONE;
	}
	if (least > res->disposition) {
		/* a local decision stricter than the policy: RFC 9989 §5.4
		 * asks receivers to report deviations as a policy override */
		res->disposition = least;
		res->override = VOUCH_DMARC_OVERRIDE_LOCAL_POLICY;
	}
}

/* The verdict of the domain that decides becomes the message's. */
static void
decide(struct vouch_dmarc_result *res)
{
	size_t i, best = 0;

	/* Several domains: the strictest failing policy decides (RFC 7489
	 * §6.6.1, RFC 9989 §11.5). */
	for (i = 1; i < res->ndomains; i++)
		if (rank(&res->domain[i]) > rank(&res->domain[best]))
			best = i;
	res->decisive = best;
	res->result = res->domain[best].result;
	res->policy = res->domain[best].policy;
	res->policy_tag = res->domain[best].policy_tag;
	res->disposition = res->domain[best].disposition;
	res->override = res->domain[best].override;
	memcpy(res->reason, res->domain[best].reason, sizeof(res->reason));
}

/*
 * The result emptied: every field but the author domains past the first,
 * which dmarc_read_authors clears as it adds them (dmarc.h: only
 * domain[0..ndomains) is set).
 */
static void
result_clear(struct vouch_dmarc_result *res)
{
	size_t head = offsetof(struct vouch_dmarc_result, domain[1]);
	size_t tail = offsetof(struct vouch_dmarc_result, nlookups);

	memset(res, 0, head);
	memset((char *)res + tail, 0, sizeof(*res) - tail);
}

enum vouch_status
vouch_dmarc_evaluate(struct vouch_dmarc *d, struct vouch_dns *dns,
    const uint8_t *const *from, const size_t *fromlen, size_t nfrom,
    const struct vouch_dmarc_facts *facts, struct vouch_dmarc_result *res)
{
	static const struct vouch_dmarc_facts nofacts;
	struct dmarc_eval *ev = NULL;
	enum vouch_status st = VOUCH_OK;
	size_t i;

	if (d == NULL || res == NULL ||
	    (nfrom > 0 && (from == NULL || fromlen == NULL)))
		return VOUCH_EINVAL;
	result_clear(res);
	if (facts == NULL)
		facts = &nofacts;
	if (facts->unsafe != VOUCH_DMARC_SAFE)
		dmarc_set_unsafe(res, facts->unsafe, "%s",
		    facts->unsafe_reason != NULL
		        ? facts->unsafe_reason
		        : vouch_dmarc_unsafe_str(facts->unsafe));
	if ((st = dmarc_read_authors(from, fromlen, nfrom, res)) != VOUCH_OK)
		goto out;
	if (res->ndomains == 0) {
		/* RFC 9989 §5.3.1: no Author Domain, no DMARC validation */
		permerror(res, res->unsafe_reason[0] ? res->unsafe_reason
		                                     : "no author domain");
		goto out;
	}
	if (res->ndomains > 1 && d->opts.multi_domain_permerror) {
		permerror(res, "several author domains in From");
		goto out;
	}
	if ((ev = eval_take(d)) == NULL) {
		st = VOUCH_ENOMEM;
		goto out;
	}
	dmarc_eval_init(ev, d, dns);
	for (i = 0; i < res->ndomains; i++)
		if ((st = evaluate_domain(ev, facts, &res->domain[i])) !=
		    VOUCH_OK)
			goto out;
	/*
	 * Report destinations last, whatever the verdicts: their lookups
	 * (chosen by whoever publishes the record) must not use up the
	 * lookup budget or the cache that the verdicts need.
	 */
	for (i = 0; i < res->ndomains; i++)
		if (res->domain[i].has_record &&
		    (st = report_destinations(ev, &res->domain[i])) != VOUCH_OK)
			goto out;
	decide(res);
out:
	if (st == VOUCH_OK)
		apply_unsafe(d, res);
	if (ev != NULL) {
		res->nlookups = ev->nlookups;
		dmarc_eval_free(ev);
		eval_give(d, ev);
	}
	if (st != VOUCH_OK)
		vouch_dmarc_result_free(res);
	return st;
}

enum vouch_status
vouch_dmarc_evaluate_message(struct vouch_dmarc *d, struct vouch_dns *dns,
    const uint8_t *msg, size_t len, const struct vouch_dmarc_facts *facts,
    struct vouch_dmarc_result *res)
{
	static const struct vouch_dmarc_facts nofacts;
	struct vouch_dmarc_facts f;
	struct mail_hdr_scan scan;
	const uint8_t *p[MAIL_SCAN_MAX_FROM];
	size_t l[MAIL_SCAN_MAX_FROM], n, i;
	char why[160];

	if (res == NULL || (msg == NULL && len > 0))
		return VOUCH_EINVAL;
	f = facts != NULL ? *facts : nofacts;
	/* every field, however many: nothing is held but offsets */
	mail_hdr_scan_init(&scan);
	(void)mail_hdr_scan_feed(&scan, msg, len);
	mail_hdr_scan_end(&scan);
	if (f.unsafe == VOUCH_DMARC_SAFE && scan.malformed != NULL) {
		snprintf(why, sizeof(why), "header section not RFC 5322: %s",
		    scan.malformed);
		f.unsafe = VOUCH_DMARC_UNSAFE_HEADER;
		f.unsafe_reason = why;
	}
	n = scan.nfrom < MAIL_SCAN_MAX_FROM ? scan.nfrom : MAIL_SCAN_MAX_FROM;
	if (f.unsafe == VOUCH_DMARC_SAFE && scan.nfrom > n) {
		snprintf(why, sizeof(why),
		    "%zu From fields, only the first %d read", scan.nfrom,
		    MAIL_SCAN_MAX_FROM);
		f.unsafe = VOUCH_DMARC_UNSAFE_INCOMPLETE;
		f.unsafe_reason = why;
	}
	for (i = 0; i < n; i++) {
		p[i] = msg + scan.from[i].off;
		l[i] = scan.from[i].len;
	}
	return vouch_dmarc_evaluate(d, dns, p, l, n, &f, res);
}

enum vouch_status
vouch_dmarc_org_domain(struct vouch_dmarc *d, struct vouch_dns *dns,
    const char *name, size_t len, char *out, size_t outlen)
{
	char norm[VOUCH_DNS_MAX_NAME + 1];
	struct dmarc_eval *ev;
	struct dmarc_org org;
	enum vouch_status st;
	const char *why;

	if (d == NULL || out == NULL || outlen < VOUCH_DNS_MAX_NAME + 1)
		return VOUCH_EINVAL;
	out[0] = '\0';
	if (dmarc_normalize(
	        (const uint8_t *)name, len, norm, sizeof(norm), &why) < 0)
		return VOUCH_EINVAL;
	if (d->opts.mode == VOUCH_DMARC_MODE_RFC9989 && dns == NULL)
		return VOUCH_EINVAL;
	if ((ev = eval_take(d)) == NULL)
		return VOUCH_ENOMEM;
	dmarc_eval_init(ev, d, dns);
	st = dmarc_org_domain(ev, norm, &org);
	if (st == VOUCH_OK && (org.temp || org.perm))
		st = VOUCH_ETEMP;
	if (st == VOUCH_OK) {
		/* RFC 7489: a public suffix has no Organizational Domain */
		if (d->opts.mode == VOUCH_DMARC_MODE_RFC7489 && d->psl &&
		    psl_registrable_domain(d->psl, norm) == NULL)
			org.org[0] = '\0';
		memcpy(out, org.org, strlen(org.org) + 1);
	}
	dmarc_eval_free(ev);
	eval_give(d, ev);
	return st;
}

const char *
vouch_dmarc_verdict_str(enum vouch_dmarc_verdict v)
{
	switch (v) {
	case VOUCH_DMARC_PASS:
		return "pass";
	case VOUCH_DMARC_FAIL:
		return "fail";
	case VOUCH_DMARC_TEMPERROR:
		return "temperror";
	case VOUCH_DMARC_PERMERROR:
		return "permerror";
	default:
		return "none";
	}
}

const char *
vouch_dmarc_policy_str(enum vouch_dmarc_policy p)
{
	switch (p) {
	case VOUCH_DMARC_POLICY_NONE:
		return "none";
	case VOUCH_DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case VOUCH_DMARC_POLICY_REJECT:
		return "reject";
	default:
		return "";
	}
}

const char *
vouch_dmarc_unsafe_str(enum vouch_dmarc_unsafe u)
{
	static const char *const s[] = {"", "header-malformed", "no-from",
	    "several-from", "from-malformed", "no-author-domain",
	    "from-ambiguous", "from-hidden-characters", "from-incomplete"};

	return (unsigned)u < sizeof(s) / sizeof(s[0]) ? s[u] : "";
}

const char *
vouch_dmarc_override_str(enum vouch_dmarc_override o)
{
	static const char *const s[] = {"", "forwarded", "sampled_out",
	    "trusted_forwarder", "mailing_list", "local_policy", "other"};

	return (unsigned)o < sizeof(s) / sizeof(s[0]) ? s[o] : "";
}

static const char *const auth_words[] = {"none", "pass", "fail", "softfail",
    "neutral", "policy", "temperror", "permerror"};

const char *
vouch_dmarc_auth_str(enum vouch_dmarc_auth a)
{
	return (unsigned)a < sizeof(auth_words) / sizeof(auth_words[0])
	           ? auth_words[a]
	           : "none";
}

int
vouch_dmarc_auth_parse(const char *s, size_t len, enum vouch_dmarc_auth *out)
{
	size_t i, k;

	for (i = 0; i < sizeof(auth_words) / sizeof(auth_words[0]); i++) {
		if (strlen(auth_words[i]) != len)
			continue;
		for (k = 0; k < len; k++) {
			char c = s[k];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (c != auth_words[i][k])
				break;
		}
		if (k == len) {
			*out = (enum vouch_dmarc_auth)i;
			return 0;
		}
	}
	/* RFC 8601 §2.7.1 spells the old SPF words too */
	if (len == 5 && strncasecmp(s, "error", 5) == 0) {
		*out = VOUCH_DMARC_AUTH_TEMPERROR;
		return 0;
	}
	return -1;
}
