/*
 * vouch check, the sender's question: "if my mail leaves from this
 * address (--ip) or through this provider (--via), does it pass SPF, and
 * does it align for DMARC?"  With a MAIL FROM in the domain itself, SPF
 * checks the domain's own record and is aligned (RFC 9989 §3.2.4); with
 * the provider's own MAIL FROM, only a DKIM signature with d= the domain
 * aligns.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Is `name` in the domain's SPF tree? */
static int
in_tree(const struct check_ctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->r->spf.ntree; i++)
		if (check_name_eq(c->r->spf.tree[i], strlen(c->r->spf.tree[i]),
		        name, strlen(name)))
			return 1;
	return 0;
}

/* A fix: the domain's record with `term` added. */
static void
fix_record(
    const struct check_ctx *c, struct vouch_check_finding *f, const char *term)
{
	char rec[VOUCH_CHECK_MAX_TEXT / 2];

	if (c->r->spf.record != NULL && c->r->spf.nrecords == 1)
		check_spf_suggest(c->r->spf.record, term, rec, sizeof(rec));
	else
		(void)snprintf(rec, sizeof(rec), "v=spf1 %s ~all", term);
	check_fix(f, "add %s to the SPF record of %s: \"%s\"", term,
	    c->r->domain, rec);
}

/*
 * check_host() for the sender postmaster@domain from `ip` (RFC 7208 §4),
 * into *res.  0, or -1 with the context's sticky error set.
 */
static int
spf_from(struct check_ctx *c, const char *domain, const char *ip,
    struct vouch_spf_result *res)
{
	struct vouch_spf_request req;
	struct vouch_spf *spf = NULL;
	char sender[VOUCH_DNS_MAX_NAME + 16];
	enum vouch_status st;

	if ((st = vouch_spf_new(c->dns, &spf)) != VOUCH_OK) {
		c->err = st;
		return -1;
	}
	(void)snprintf(sender, sizeof(sender), "postmaster@%s", domain);
	memset(&req, 0, sizeof(req));
	req.ip = ip;
	req.ip_len = strlen(ip);
	req.mail_from = sender;
	req.mail_from_len = strlen(sender);
	req.helo = domain;
	req.helo_len = strlen(domain);
	st = vouch_spf_check(spf, &req, res);
	vouch_spf_free(spf);
	if (st != VOUCH_OK) {
		/* the address was checked before: only memory can fail */
		c->err = st == VOUCH_ENOMEM ? st : VOUCH_EINVAL;
		return -1;
	}
	return 0;
}

/* --ip: check_host() for postmaster@domain from that address. */
static void
send_ip(struct check_ctx *c, const char *term)
{
	struct vouch_check_report *r = c->r;
	struct vouch_spf_result res;
	struct vouch_check_finding *f;
	char own[80];
	const char *ip = c->opts->ip;

	if (spf_from(c, r->domain, ip, &res) != 0)
		return;
	r->spf.ip_checked = 1;
	r->spf.ip_verdict = res.verdict;
	(void)snprintf(r->spf.ip_mechanism, sizeof(r->spf.ip_mechanism), "%s",
	    res.mechanism);
	if (res.verdict == VOUCH_SPF_PASS) {
		check_add(c, VOUCH_CHECK_SEND, VOUCH_CHECK_INFO,
		    "send-spf-pass",
		    "mail from %s with a MAIL FROM in %s passes SPF (%s) and "
		    "is aligned for DMARC",
		    ip, r->domain, res.mechanism);
		return;
	}
	f = check_add(c, VOUCH_CHECK_SEND, VOUCH_CHECK_ERROR, "send-spf-fail",
	    "mail from %s with a MAIL FROM in %s gets SPF %s (%s): SPF does "
	    "not authenticate it, so DMARC rests on DKIM alone",
	    ip, r->domain, vouch_spf_verdict_str(res.verdict),
	    res.reason[0] != '\0'      ? res.reason
	    : res.mechanism[0] != '\0' ? res.mechanism
	                               : "no record");
	if (res.verdict == VOUCH_SPF_PERMERROR ||
	    res.verdict == VOUCH_SPF_TEMPERROR) {
		/* No added term helps a record that cannot be evaluated. */
		check_fix(f, "repair the SPF errors listed above first: a "
		             "record in error authenticates no sender");
		return;
	}
	if (term == NULL) {
		(void)snprintf(own, sizeof(own), "%s:%s",
		    strchr(ip, ':') != NULL ? "ip6" : "ip4", ip);
		term = own;
	}
	fix_record(c, f, term);
}

/*
 * Of the selectors given, the first whose key the provider publishes
 * under its own domain (SEL._domainkey.VIA, RFC 6376 §3.6.2.1): the one a
 * CNAME can point at.  1 and its name in sel/cap, or 0.
 */
static int
provider_key(struct check_ctx *c, char *sel, size_t cap)
{
	char q[2 * VOUCH_DNS_MAX_NAME + 16];
	struct vouch_dns_answer *a = NULL;
	size_t i, k;
	int found = 0;

	for (i = 0; i < c->r->ndkim && !found && c->err == VOUCH_OK; i++) {
		(void)snprintf(q, sizeof(q), "%s._domainkey.%s",
		    c->r->dkim[i].selector, c->opts->via);
		if (vouch_dns_query(c->dns, q, strlen(q), VOUCH_DNS_TXT, &a) !=
		    VOUCH_OK) {
			c->err = VOUCH_ENOMEM;
			return 0;
		}
		for (k = 0; a->rcode == VOUCH_DNS_ANSWER && k < a->nrr; k++)
			if (a->rr[k].type == VOUCH_DNS_TXT &&
			    memmem(a->rr[k].data, a->rr[k].len, "p=", 2))
				found = 1;
		if (found)
			(void)snprintf(sel, cap, "%s", c->r->dkim[i].selector);
		vouch_dns_answer_free(a);
		a = NULL;
	}
	return found;
}

/* --via: does the domain's SPF include the provider's, and DKIM? */
static void
send_via(struct check_ctx *c, const char *target, unsigned vlookups)
{
	struct vouch_check_report *r = c->r;
	const char *via = c->opts->via;
	struct vouch_check_finding *f;
	char term[VOUCH_DNS_MAX_NAME + 16], sel[VOUCH_DNS_MAX_NAME + 1];
	size_t i, good = 0;

	if (target == NULL) {
		f = check_add(c, VOUCH_CHECK_SEND, VOUCH_CHECK_WARNING,
		    "send-via-no-spf",
		    "%s publishes no usable SPF record, so it cannot be "
		    "included",
		    via);
		check_fix(f,
		    "ask %s which include: or addresses to add to "
		    "your SPF record",
		    via);
	} else if (in_tree(c, target) || in_tree(c, via)) {
		check_add(c, VOUCH_CHECK_SEND, VOUCH_CHECK_INFO,
		    "send-via-included",
		    "the SPF record of %s authorizes %s (include:%s): mail "
		    "sent through it with a MAIL FROM in %s passes SPF",
		    r->domain, via, target, r->domain);
	} else {
		(void)snprintf(term, sizeof(term), "include:%s", target);
		f = check_add(c, VOUCH_CHECK_SEND, VOUCH_CHECK_ERROR,
		    "send-via-not-included",
		    "the SPF record of %s does not authorize %s: mail sent "
		    "through it with a MAIL FROM in %s fails SPF%s",
		    r->domain, via, r->domain,
		    r->spf.lookups + 1 + vlookups > VOUCH_SPF_MAX_DNS_TERMS
		        ? " (and adding it goes over the 10 lookups of RFC "
		          "7208 §4.6.4)"
		        : "");
		fix_record(c, f, term);
	}
	for (i = 0; i < r->ndkim; i++)
		if (r->dkim[i].found && !r->dkim[i].revoked &&
		    !r->dkim[i].sha1_only &&
		    (r->dkim[i].bits >= 1024 ||
		        strcmp(r->dkim[i].key_type, "ed25519") == 0))
			good++;
	if (good > 0) {
		for (i = 0; i < r->ndkim; i++)
			if (r->dkim[i].found && !r->dkim[i].revoked)
				break;
		check_add(c, VOUCH_CHECK_SEND, VOUCH_CHECK_INFO,
		    "send-via-dkim",
		    "a DKIM key is published at %s._domainkey.%s: mail %s "
		    "signs with d=%s and that selector aligns for DMARC",
		    r->dkim[i].selector, r->domain, via, r->domain);
		return;
	}
	if (provider_key(c, sel, sizeof(sel))) {
		f = check_add(c, VOUCH_CHECK_SEND, VOUCH_CHECK_WARNING,
		    "send-via-no-dkim",
		    "%s publishes a DKIM key at %s._domainkey.%s, but %s has "
		    "none at that selector: mail %s signs with d=%s does not "
		    "verify",
		    via, sel, via, r->domain, via, r->domain);
		check_fix(f,
		    "point the selector at the provider's key: "
		    "%s._domainkey.%s. CNAME %s._domainkey.%s.",
		    sel, r->domain, sel, via);
		return;
	}
	f = check_add(c, VOUCH_CHECK_SEND, VOUCH_CHECK_WARNING,
	    "send-via-no-dkim",
	    "mail sent through %s aligns by SPF only when %s uses a MAIL "
	    "FROM (Return-Path) in %s; otherwise it must carry a DKIM "
	    "signature with d=%s, and no valid key was found%s",
	    via, via, r->domain, r->domain,
	    r->ndkim == 0 ? " (no selector given with -s)"
	                  : " for the selectors given");
	check_fix(f,
	    "have %s sign with d=%s: publish the key it gives you as "
	    "SELECTOR._domainkey.%s TXT, or point the selector at its key "
	    "with SELECTOR._domainkey.%s. CNAME SELECTOR._domainkey.%s.",
	    via, r->domain, r->domain, r->domain, via);
}

void
check_send(struct check_ctx *c)
{
	char target[VOUCH_DNS_MAX_NAME + 1], term[VOUCH_DNS_MAX_NAME + 16];
	const char *inc = NULL;
	unsigned vlookups = 0;
	int have_target = 0;

	if (c->opts->via != NULL) {
		have_target = check_spf_tree(c, c->opts->via, &vlookups, target,
		                  sizeof(target)) == 0;
		if (c->err != VOUCH_OK)
			return;
		if (have_target && !in_tree(c, target) &&
		    !in_tree(c, c->opts->via)) {
			(void)snprintf(
			    term, sizeof(term), "include:%s", target);
			inc = term;
		}
	}
	if (c->opts->ip != NULL && inc != NULL) {
		struct vouch_spf_result res;
		struct vouch_check_finding *f;

		/* Including the provider helps only if it sends from there. */
		if (spf_from(c, c->opts->via, c->opts->ip, &res) != 0)
			return;
		if (res.verdict != VOUCH_SPF_PASS) {
			f = check_add(c, VOUCH_CHECK_SEND, VOUCH_CHECK_WARNING,
			    "send-ip-not-via",
			    "%s is not one of %s's addresses (its SPF record "
			    "gives %s): including %s would not cover it",
			    c->opts->ip, c->opts->via,
			    vouch_spf_verdict_str(res.verdict), target);
			check_fix(f,
			    "check the address, or ask %s which "
			    "addresses it sends from",
			    c->opts->via);
			inc = NULL;
		}
	}
	if (c->opts->ip != NULL)
		send_ip(c, inc);
	if (c->err == VOUCH_OK && c->opts->via != NULL)
		send_via(c, have_target ? target : NULL, vlookups);
}
