/*
 * The verify role: the library's one verify path (vouch_verify_msg_*),
 * then what to do with the verdict.
 *
 * Dispositions are safe by default.  RFC 9989 §7.4: a receiver MUST NOT
 * reject solely because of p=reject and, lacking other knowledge, treats
 * such failures as quarantine; so a DMARC failure under p=reject or
 * p=quarantine is quarantined (QuarantineAction), and rejected only when
 * the operator sets RejectFailures, and even then not for mailing lists
 * (List-Id, RFC 2919), trusted forwarders, or a passing ARC chain sealed
 * by a trusted sealer: those carry the override reason of RFC 9990
 * §3.1.1.14 in the log and the record.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "milter.h"

int
verify_start(struct vouchd_conn *c, struct vouchd_msg *m)
{
	struct vouch_verify_smtp smtp;
	const struct vouchd_conf *cf = c->rt->conf;
	const struct vouchd_key *k;
	struct vouch_arc_seal_req req;

	if ((m->v = runtime_verifier(c->rt)) == NULL)
		return -1;
	memset(&smtp, 0, sizeof(smtp));
	smtp.ip = c->ip;
	smtp.ip_len = strlen(c->ip);
	smtp.helo = c->helo;
	smtp.helo_len = strlen(c->helo);
	smtp.mail_from = m->mail_from;
	smtp.mail_from_len = strlen(m->mail_from);
	if (vouch_verify_msg_new(m->v, &smtp, &m->vm) != VOUCH_OK)
		return -1;
	if (cf->arc_domain == NULL || cf->dryrun ||
	    (k = runtime_key(c->rt, cf->arc_key_file)) == NULL)
		return 0;
	memset(&req, 0, sizeof(req));
	req.key = k->ext;
	req.domain = cf->arc_domain;
	req.selector = cf->arc_selector;
	req.authserv_id = c->rt->authserv_id;
	req.auth_results = "none";
	return vouch_arc_seal_new(&req, &m->seal) == VOUCH_OK ? 0 : -1;
}

int
verify_eoh(struct vouchd_conn *c, struct vouchd_msg *m)
{
	(void)c;
	if (m->seal == NULL)
		return 0;
	if (vouch_arc_seal_update(m->seal, m->hdr.p, m->hdr.len) != VOUCH_OK ||
	    vouch_arc_seal_update(m->seal, (const uint8_t *)"\r\n", 2) !=
	        VOUCH_OK)
		return -1;
	return 0;
}

/* What the message gets. */
struct decision {
	enum vouchd_verdict verdict;
	enum vouch_dmarc_override override;
	const char *xcode; /* for reject and tempfail */
	char why[512]; /* the reason in words: log, reply, field */
	char comment[256]; /* the override's comment in reports, "" = why */
};

static int
any_dkim_temperror(const struct vouch_verify_result *res)
{
	size_t i;

	for (i = 0; res->dkim != NULL && i < res->dkim->nsig; i++)
		if (res->dkim->sig[i].result == VOUCH_DKIM_TEMPERROR)
			return 1;
	return 0;
}

/*
 * Why DMARC failed, in words: which identifiers passed but did not
 * align, and which did not pass (RFC 9989 §4.4: an aligned pass of
 * either is needed).
 */
static void
dmarc_why(const struct vouch_verify_result *res, char *buf, size_t cap)
{
	const struct vouch_dmarc_domain_result *d =
	    &res->dmarc.domain[res->dmarc.decisive];
	size_t i, npass = 0, n;
	const char *pass_d = "";

	for (i = 0; res->dkim != NULL && i < res->dkim->nsig; i++)
		if (res->dkim->sig[i].result == VOUCH_DKIM_PASS) {
			npass++;
			pass_d = res->dkim->sig[i].d;
		}
	if (res->dkim == NULL || res->dkim->nsig == 0)
		n = (size_t)snprintf(buf, cap, "no DKIM signature");
	else if (npass > 0)
		n = (size_t)snprintf(buf, cap,
		    "DKIM passed for %s, not aligned with %s", pass_d,
		    d->author_domain);
	else
		n = (size_t)snprintf(buf, cap, "no DKIM signature passed");
	if (n >= cap)
		return;
	if (!res->spf_checked)
		snprintf(buf + n, cap - n, "; SPF not checked");
	else if (res->spf.verdict == VOUCH_SPF_PASS)
		snprintf(buf + n, cap - n, "; SPF passed for %s, not aligned",
		    res->spf.domain);
	else
		snprintf(buf + n, cap - n, "; SPF %s for %s",
		    vouch_spf_verdict_str(res->spf.verdict), res->spf.domain);
}

static int
from_addresses(const struct vouchd_msg *m)
{
	char addrs[VOUCHD_MAX_AUTHORS][VOUCH_DNS_MAX_NAME + 130];
	size_t n = 0;

	if (msg_authors(m, "From", addrs, VOUCHD_MAX_AUTHORS, &n) != 0)
		return (int)n > 1 ? (int)n : 1;
	return (int)n;
}

static int
required_headers_ok(const struct vouchd_msg *m, char *why, size_t cap)
{
	static const char *const once[RF_COUNT] = {"From", "Date", "Sender",
	    "Reply-To", "To", "Cc", "Bcc", "Message-ID", "In-Reply-To",
	    "References", "Subject"};
	size_t i;

	/* RFC 5322 §3.6: exactly one From and one Date; the others at
	 * most once */
	for (i = 0; i < RF_COUNT; i++) {
		if ((i == RF_FROM || i == RF_DATE) && m->counts[i] != 1) {
			snprintf(why, cap,
			    "the message has %u %s fields, RFC 5322 3.6 "
			    "requires exactly one",
			    m->counts[i], once[i]);
			return 0;
		}
		if (m->counts[i] > 1) {
			snprintf(why, cap,
			    "the message has %u %s fields, RFC 5322 3.6 "
			    "allows one",
			    m->counts[i], once[i]);
			return 0;
		}
	}
	return 1;
}

static void
quarantine_or(const struct vouchd_conf *cf, struct decision *d)
{
	d->verdict = cf->quarantine == VOUCHD_QUARANTINE_NONE
	                 ? VERDICT_ACCEPT
	                 : VERDICT_QUARANTINE;
}

/*
 * Fail closed (doc/threat-model.md): a From field that cannot be read
 * safely (several From fields, an address that does not parse, hidden
 * characters, ...) never passes, and gets at least UnsafeFromDisposition:
 * the library raised the disposition (override local_policy, the reason
 * in unsafe_reason); vouchd applies it as its quarantine, or rejects when
 * the operator chose reject, whatever the policy and RejectFailures say.
 * A trusted forwarder does not lift it: the problem is the author, not
 * the path.  Returns 1 when this decided.
 */
static int
decide_unsafe(const struct vouchd_conf *cf,
    const struct vouch_verify_result *res, struct decision *d)
{
	const struct vouch_dmarc_result *dm = &res->dmarc;
	const char *word = vouch_dmarc_unsafe_str(dm->unsafe);

	if (dm->unsafe == VOUCH_DMARC_SAFE)
		return 0;
	if (cf->unsafe_from == VOUCHD_UNSAFE_REJECT) {
		d->verdict = VERDICT_REJECT;
		d->xcode = "5.7.1";
		d->override = VOUCH_DMARC_OVERRIDE_LOCAL_POLICY;
		snprintf(d->why, sizeof(d->why),
		    "the From field cannot be read safely (%s: %s); "
		    "refused (UnsafeFromDisposition reject)",
		    word, dm->unsafe_reason);
		snprintf(d->comment, sizeof(d->comment), "%s: %s", word,
		    dm->unsafe_reason);
		return 1;
	}
	if (dm->override != VOUCH_DMARC_OVERRIDE_LOCAL_POLICY ||
	    dm->disposition != VOUCH_DMARC_POLICY_QUARANTINE)
		return 0; /* the policy itself is stricter, or none asked */
	d->override = VOUCH_DMARC_OVERRIDE_LOCAL_POLICY;
	quarantine_or(cf, d);
	snprintf(d->why, sizeof(d->why),
	    "the From field cannot be read safely (%s: %s); quarantined "
	    "(UnsafeFromDisposition quarantine)",
	    word, dm->unsafe_reason);
	snprintf(
	    d->comment, sizeof(d->comment), "%s: %s", word, dm->unsafe_reason);
	return 1;
}

/* The DMARC part: policy, vouchd's overrides, RejectFailures. */
static void
decide_dmarc(const struct vouchd_conf *cf, const struct vouchd_conn *c,
    const struct vouchd_msg *m, const struct vouch_verify_result *res,
    struct decision *d)
{
	const struct vouch_dmarc_result *dm = &res->dmarc;
	const char *author = dm->domain[dm->decisive].author_domain;
	char because[300];

	d->override = dm->override;
	if (decide_unsafe(cf, res, d))
		return;
	if (dm->result != VOUCH_DMARC_FAIL ||
	    dm->disposition == VOUCH_DMARC_POLICY_NONE ||
	    dm->disposition == VOUCH_DMARC_POLICY_UNSET) {
		if (res->arc_override)
			snprintf(d->why, sizeof(d->why),
			    "DMARC failed for %s; trusted ARC sealer %s: "
			    "local_policy",
			    author, res->arc_trust.sealer);
		return;
	}
	dmarc_why(res, because, sizeof(because));
	if (c->family != 0 &&
	    vouchd_nets_match(&cf->trusted_forwarders, c->family, c->addr)) {
		d->override = VOUCH_DMARC_OVERRIDE_TRUSTED_FORWARDER;
		snprintf(d->why, sizeof(d->why),
		    "DMARC failed for %s (%s); client %s is a trusted "
		    "forwarder",
		    author, because, c->ip);
		snprintf(d->comment, sizeof(d->comment),
		    "client %s is a trusted forwarder (TrustedForwarders)",
		    c->ip);
		return;
	}
	if (dm->disposition == VOUCH_DMARC_POLICY_REJECT) {
		if (cf->reject_failures && !m->list_id) {
			d->verdict = VERDICT_REJECT;
			d->xcode = "5.7.1";
			snprintf(d->why, sizeof(d->why),
			    "DMARC policy of %s is reject and the message "
			    "failed it: %s",
			    author, because);
			return;
		}
		/* RFC 9989 §7.4: treated as quarantine */
		d->override = m->list_id ? VOUCH_DMARC_OVERRIDE_MAILING_LIST
		                         : VOUCH_DMARC_OVERRIDE_LOCAL_POLICY;
		quarantine_or(cf, d);
		snprintf(d->comment, sizeof(d->comment), "%s",
		    m->list_id ? "a mailing list (List-Id): quarantined, "
		                 "not rejected"
		               : "p=reject: quarantined, not rejected on "
		                 "p=reject alone (RFC 9989 7.4)");
		snprintf(d->why, sizeof(d->why),
		    "DMARC failed for %s, p=reject (%s); quarantined: %s",
		    author, because,
		    m->list_id
		        ? "mailing list"
		        : "not rejected on p=reject alone (RFC 9989 7.4)");
		return;
	}
	quarantine_or(cf, d);
	snprintf(d->why, sizeof(d->why),
	    "DMARC failed for %s, p=quarantine: %s", author, because);
}

static void
decide(const struct vouchd_conf *cf, const struct vouchd_conn *c,
    const struct vouchd_msg *m, const struct vouch_verify_result *res,
    struct decision *d)
{
	memset(d, 0, sizeof(*d));
	d->verdict = VERDICT_ACCEPT;
	if (cf->required_headers &&
	    !required_headers_ok(m, d->why, sizeof(d->why))) {
		d->verdict = VERDICT_REJECT;
		d->xcode = "5.7.1";
		return;
	}
	if (cf->reject_multi_from &&
	    (m->counts[RF_FROM] > 1 || from_addresses(m) > 1)) {
		d->verdict = VERDICT_REJECT;
		d->xcode = "5.7.1";
		snprintf(d->why, sizeof(d->why),
		    "several From addresses: the author must be one mailbox "
		    "here (RejectMultiValueFrom)");
		return;
	}
	if (cf->dns_temperror == VOUCHD_ACT_TEMPFAIL &&
	    ((res->spf_checked && res->spf.verdict == VOUCH_SPF_TEMPERROR) ||
	        any_dkim_temperror(res) ||
	        res->dmarc.result == VOUCH_DMARC_TEMPERROR)) {
		d->verdict = VERDICT_TEMPFAIL;
		d->xcode = "4.7.5";
		snprintf(d->why, sizeof(d->why),
		    "temporary DNS failure while checking %s",
		    res->spf.verdict == VOUCH_SPF_TEMPERROR ? "SPF"
		    : any_dkim_temperror(res)               ? "DKIM"
		                                            : "DMARC");
		return;
	}
	if (cf->reject_spf_fail && res->spf_checked &&
	    res->spf.verdict == VOUCH_SPF_FAIL) {
		d->verdict = VERDICT_REJECT;
		d->xcode = "5.7.1";
		snprintf(d->why, sizeof(d->why),
		    "SPF check failed: %s is not allowed to send mail for %s",
		    c->ip, res->spf.domain);
		return;
	}
	decide_dmarc(cf, c, m, res, d);
}

/* Remove our forged fields, bottom up so that indices hold. */
static int
remove_forged(SMFICTX *ctx, const struct vouchd_msg *m)
{
	size_t i;

	for (i = m->nforged; i-- > 0;)
		if (smfi_chgheader(ctx, "Authentication-Results",
		        (int)m->forged[i], NULL) != MI_SUCCESS)
			return -1;
	return 0;
}

/* The new ARC Set, recording our own results (RFC 8617 §4.1.1). */
static int
seal(SMFICTX *ctx, struct vouchd_conn *c, struct vouchd_msg *m,
    const struct vouch_verify_result *res)
{
	const char *semi;
	char *fields = NULL, *p, *end;
	size_t len;
	int rc = -1;

	semi = strchr(res->field, ';');
	if (semi == NULL ||
	    vouch_arc_seal_set_auth_results(m->seal, semi + 1) != VOUCH_OK ||
	    vouch_arc_seal_finish(m->seal, res->arc, true, &fields, &len) !=
	        VOUCH_OK)
		goto out;
	/* ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results: the
	 * last inserted at index 0 ends on top */
	rc = 0;
	for (end = fields + len; fields != NULL && end > fields;) {
		for (p = end - 2; p > fields; p--)
			if (p[-1] == '\n' && p[0] != ' ' && p[0] != '\t')
				break;
		if (milter_insert_field(ctx, c, p, (size_t)(end - p)) != 0)
			rc = -1;
		end = p;
	}
out:
	free(fields);
	return rc;
}

static sfsistat
apply(SMFICTX *ctx, struct vouchd_conn *c, struct vouchd_msg *m,
    const struct vouch_verify_result *res, struct decision *d, bool *hdr)
{
	const struct vouchd_conf *cf = c->rt->conf;
	char field[640];
	int n;

	*hdr = false;
	if (cf->dryrun)
		return SMFIS_ACCEPT;
	if (d->verdict == VERDICT_REJECT) {
		milter_reply(ctx, "550", d->xcode, "%s", d->why);
		return SMFIS_REJECT;
	}
	if (d->verdict == VERDICT_TEMPFAIL) {
		milter_reply(ctx, "451", d->xcode, "%s", d->why);
		return SMFIS_TEMPFAIL;
	}
	if (remove_forged(ctx, m) != 0 ||
	    milter_insert_field(ctx, c, res->field, res->field_len) != 0)
		return SMFIS_TEMPFAIL;
	if (m->seal != NULL && seal(ctx, c, m, res) != 0)
		log_msg(LOG_WARNING, "%s: ARC sealing failed: %s",
		    m->queue_id[0] ? m->queue_id : "-",
		    vouch_arc_seal_error(m->seal));
	if (d->verdict != VERDICT_QUARANTINE)
		return SMFIS_ACCEPT;
	if (cf->quarantine == VOUCHD_QUARANTINE_HOLD) {
		if (smfi_quarantine(ctx, d->why) != MI_SUCCESS)
			return SMFIS_TEMPFAIL;
		return SMFIS_ACCEPT;
	}
	n = snprintf(field, sizeof(field), "%s: quarantine (%s)\r\n",
	    VOUCHD_DISPOSITION_FIELD, d->why);
	if (n > 0 && (size_t)n < sizeof(field) &&
	    milter_insert_field(ctx, c, field, (size_t)n) != 0)
		return SMFIS_TEMPFAIL;
	*hdr = true;
	return SMFIS_ACCEPT;
}

sfsistat
verify_eom(SMFICTX *ctx, struct vouchd_conn *c, struct vouchd_msg *m)
{
	struct vouch_verify_result *res = NULL;
	struct vouchd_eval ev;
	struct decision d;
	sfsistat r;

	memset(&ev, 0, sizeof(ev));
	ev.role = ROLE_VERIFY;
	if (vouch_verify_msg_finish(m->vm, &res) != VOUCH_OK) {
		ev.verdict = VERDICT_TEMPFAIL;
		ev.why = "internal error: the verdict could not be made";
		milter_finish_eval(c, m, &ev);
		milter_reply(ctx, "451", "4.7.0", "vouchd: %s", ev.why);
		return SMFIS_TEMPFAIL;
	}
	decide(c->rt->conf, c, m, res, &d);
	r = apply(ctx, c, m, res, &d, &ev.header_action);
	ev.res = res;
	ev.verdict = d.verdict;
	ev.override = d.override;
	ev.why = d.why[0] ? d.why : res->dmarc.reason;
	ev.override_comment = d.comment[0] ? d.comment : NULL;
	if (r == SMFIS_TEMPFAIL && d.verdict != VERDICT_TEMPFAIL) {
		ev.verdict = VERDICT_TEMPFAIL;
		ev.why = "the MTA refused a change to the message";
		milter_reply(ctx, "451", "4.7.0", "vouchd: %s", ev.why);
	}
	milter_finish_eval(c, m, &ev);
	failure_eval(c, m, res, &ev);
	vouch_verify_result_free(res);
	return r;
}
