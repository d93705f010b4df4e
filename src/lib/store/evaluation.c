/*
 * What a receiver records of one verdict (RFC 9990 §3.1), and the checks
 * and column texts of one evaluation before it goes into the store.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "internal.h"
#include "util/buf.h"

/* ---- Words -------------------------------------------------------------- */

const char *
vouch_store_disposition_str(enum vouch_store_disposition d)
{
	static const char *const w[] = {"none", "pass", "quarantine", "reject"};

	return (unsigned)d < sizeof(w) / sizeof(w[0]) ? w[d] : "";
}

const char *
vouch_store_override_str(enum vouch_store_override o)
{
	static const char *const w[] = {"", "local_policy", "mailing_list",
	    "other", "policy_test_mode", "trusted_forwarder", "forwarded",
	    "sampled_out"};

	return (unsigned)o < sizeof(w) / sizeof(w[0]) ? w[o] : "";
}

static const char *
policy_word(enum vouch_dmarc_policy p)
{
	switch (p) {
	case VOUCH_DMARC_POLICY_NONE:
		return "none";
	case VOUCH_DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case VOUCH_DMARC_POLICY_REJECT:
		return "reject";
	default:
		return NULL; /* absent */
	}
}

/* ---- From a verdict ---------------------------------------------------- */

/* Copies at most cap - 1 bytes of p/len, NUL-terminated. */
static void
copy_text(char *out, size_t cap, const char *p, size_t len)
{
	if (len > cap - 1)
		len = cap - 1;
	if (len > 0)
		memcpy(out, p, len);
	out[len] = '\0';
}

/* The domain of an address (after its last '@'), lower case; the whole
 * text when it has none (a bare domain). */
static void
address_domain(char *out, size_t cap, const char *p, size_t len)
{
	size_t i, at = 0;

	for (i = len; i > 0; i--)
		if (p[i - 1] == '@') {
			at = i;
			break;
		}
	copy_text(out, cap, p + at, len - at);
	for (i = 0; out[i]; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	/* a trailing dot is the same name */
	if (i > 0 && out[i - 1] == '.')
		out[i - 1] = '\0';
}

/* Appends uri to the comma-separated list out (cap bytes) if it fits
 * whole (RFC 9990 §3.5: "up to the Receiver's limits"). */
static void
add_uri(char *out, size_t cap, const char *uri)
{
	size_t have = strlen(out), n = strlen(uri), need;

	need = n + (have > 0 ? 1 : 0);
	if (n == 0 || need > cap - 1 - have)
		return;
	if (have > 0)
		out[have++] = ',';
	memcpy(out + have, uri, n + 1);
}

/*
 * The destinations after the external destination check (RFC 9990 §4):
 * kept URIs, replaced by the authorizing record's URIs when it gave some
 * (step 9), and URIs whose check failed temporarily (step 5: checked
 * again when the report is sent).
 */
static void
destinations(char *out, size_t cap, const struct vouch_dmarc_uri *u, size_t n)
{
	char one[VOUCH_STORE_MAX_DEST + 1];
	const char *p, *c;
	size_t i;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (u[i].kept && u[i].override != NULL) {
			for (p = u[i].override; *p; p = *c ? c + 1 : c) {
				c = strchr(p, ',');
				if (c == NULL)
					c = p + strlen(p);
				copy_text(one, sizeof(one), p, (size_t)(c - p));
				if ((size_t)(c - p) < sizeof(one))
					add_uri(out, cap, one);
			}
		} else if (u[i].kept || u[i].tempfail) {
			add_uri(out, cap, u[i].uri);
		}
	}
}

/* RFC 9990 §3.1.3: the rank of a signature, lower first. */
static int
dkim_rank(
    const struct vouch_dkim_signature *sig, int aligned, const char *author)
{
	if (sig->result != VOUCH_DKIM_PASS)
		return 4;
	if (aligned && strcasecmp(sig->d, author) == 0)
		return 1; /* strict alignment */
	return aligned ? 2 : 3;
}

static void
fill_dkim(struct vouch_store_evaluation *e,
    const struct vouch_verify_result *res,
    const struct vouch_dmarc_domain_result *dr)
{
	const struct vouch_dkim_result *k = res->dkim;
	size_t i, n = 0;
	int rank;

	e->ndkim = 0;
	if (k == NULL)
		return;
	/* four passes keep the verifier's order within a rank */
	for (rank = 1; rank <= 4; rank++) {
		for (i = 0; i < k->nsig && n < VOUCH_DKIM_MAX_SIGNATURES; i++) {
			const struct vouch_dkim_signature *sig = &k->sig[i];
			int aligned = i < VOUCH_DKIM_MAX_SIGNATURES &&
			              dr->dkim_aligned_each[i];
			struct vouch_store_dkim *d = &e->dkim[n];

			/* not checked (over the verifier's limit): RFC 9990
			 * §3.1.1.11 asks for the signatures validated */
			if (sig->result == VOUCH_DKIM_NONE)
				continue;
			if (dkim_rank(sig, aligned, dr->author_domain) != rank)
				continue;
			copy_text(d->domain, sizeof(d->domain), sig->d,
			    strlen(sig->d));
			copy_text(d->selector, sizeof(d->selector), sig->s,
			    strlen(sig->s));
			d->result = sig->result;
			copy_text(d->human_result, sizeof(d->human_result),
			    sig->reason, strlen(sig->reason));
			n++;
		}
	}
	e->ndkim = n;
}

static void
add_reason(struct vouch_store_evaluation *e, enum vouch_store_override t,
    const char *comment)
{
	struct vouch_store_reason *r;

	if (e->nreasons >= VOUCH_STORE_MAX_REASONS)
		return;
	r = &e->reason[e->nreasons++];
	r->type = t;
	copy_text(r->comment, sizeof(r->comment), comment ? comment : "",
	    comment ? strlen(comment) : 0);
}

static enum vouch_store_override
override_of(enum vouch_dmarc_override o)
{
	switch (o) {
	case VOUCH_DMARC_OVERRIDE_FORWARDED:
		return VOUCH_STORE_OVERRIDE_FORWARDED;
	case VOUCH_DMARC_OVERRIDE_SAMPLED_OUT:
		return VOUCH_STORE_OVERRIDE_SAMPLED_OUT;
	case VOUCH_DMARC_OVERRIDE_TRUSTED_FORWARDER:
		return VOUCH_STORE_OVERRIDE_TRUSTED_FORWARDER;
	case VOUCH_DMARC_OVERRIDE_MAILING_LIST:
		return VOUCH_STORE_OVERRIDE_MAILING_LIST;
	case VOUCH_DMARC_OVERRIDE_LOCAL_POLICY:
		return VOUCH_STORE_OVERRIDE_LOCAL_POLICY;
	default:
		return VOUCH_STORE_OVERRIDE_OTHER;
	}
}

static enum vouch_store_disposition
disposition_of(enum vouch_dmarc_policy p)
{
	switch (p) {
	case VOUCH_DMARC_POLICY_QUARANTINE:
		return VOUCH_STORE_DISP_QUARANTINE;
	case VOUCH_DMARC_POLICY_REJECT:
		return VOUCH_STORE_DISP_REJECT;
	default:
		return VOUCH_STORE_DISP_NONE;
	}
}

/* The disposition and reasons of RFC 9990 §3.1.1.9 and §3.1.6. */
static void
fill_policy_evaluated(struct vouch_store_evaluation *e,
    const struct vouch_verify_result *res,
    const struct vouch_dmarc_domain_result *dr, size_t i,
    enum vouch_dmarc_mode mode)
{
	const struct vouch_dmarc_record *rec = &dr->record;

	e->result = dr->result;
	e->dkim_aligned = dr->dkim_aligned != 0;
	e->spf_aligned = dr->spf_aligned != 0;
	e->nreasons = 0;
	if (dr->result == VOUCH_DMARC_PASS) {
		/* "pass": no action, passing DMARC w/enforcing policy */
		e->disposition = dr->policy == VOUCH_DMARC_POLICY_QUARANTINE ||
		                         dr->policy == VOUCH_DMARC_POLICY_REJECT
		                     ? VOUCH_STORE_DISP_PASS
		                     : VOUCH_STORE_DISP_NONE;
		return;
	}
	e->disposition = disposition_of(dr->disposition);
	if (dr->result != VOUCH_DMARC_FAIL)
		return;
	/* t=y lowered the policy one level (RFC 9989 §4.7) */
	if (mode == VOUCH_DMARC_MODE_RFC9989 && rec->testing &&
	    disposition_of(dr->policy) != VOUCH_STORE_DISP_NONE)
		add_reason(e, VOUCH_STORE_OVERRIDE_POLICY_TEST_MODE, NULL);
	if (dr->override != VOUCH_DMARC_OVERRIDE_NONE)
		add_reason(e, override_of(dr->override),
		    res->arc_override && i == res->dmarc.decisive
		        ? res->override_comment
		        : NULL);
}

static void
fill_policy(struct vouch_store_policy *p,
    const struct vouch_dmarc_domain_result *dr, enum vouch_dmarc_mode mode)
{
	const struct vouch_dmarc_record *rec = &dr->record;

	copy_text(p->domain, sizeof(p->domain), dr->policy_domain,
	    strlen(dr->policy_domain));
	p->discovery = mode;
	p->p = rec->p;
	p->sp = rec->sp;
	p->np = rec->np;
	p->adkim = rec->adkim;
	p->aspf = rec->aspf;
	p->fo = rec->fo;
	p->testing = rec->testing != 0;
	p->psd = rec->psd;
	p->pct = rec->pct;
	destinations(p->rua, sizeof(p->rua), rec->rua, rec->nrua);
	destinations(p->ruf, sizeof(p->ruf), rec->ruf, rec->nruf);
}

enum vouch_status
vouch_store_evaluations_from_verify(const struct vouch_verify_result *res,
    const struct vouch_store_envelope *env, struct vouch_store_evaluation *out,
    size_t cap, size_t *n)
{
	const struct vouch_verify_smtp *smtp;
	struct vouch_store_evaluation *e;
	size_t i;
	int64_t t;

	if (n != NULL)
		*n = 0;
	if (res == NULL || env == NULL || env->smtp == NULL || n == NULL ||
	    (out == NULL && cap > 0))
		return VOUCH_EINVAL;
	smtp = env->smtp;
	if ((smtp->ip == NULL && smtp->ip_len > 0) ||
	    (smtp->mail_from == NULL && smtp->mail_from_len > 0) ||
	    (env->rcpt_to == NULL && env->rcpt_to_len > 0))
		return VOUCH_EINVAL;
	t = env->time   ? env->time
	    : smtp->now ? (int64_t)smtp->now
	                : (int64_t)time(NULL);
	for (i = 0; i < res->dmarc.ndomains; i++) {
		const struct vouch_dmarc_domain_result *dr =
		    &res->dmarc.domain[i];

		if (!dr->has_record)
			continue;
		if (*n >= cap)
			return VOUCH_ELIMIT;
		e = &out[*n];
		memset(e, 0, sizeof(*e));
		fill_policy(&e->policy, dr, env->mode);
		if (e->policy.rua[0] == '\0' && e->policy.ruf[0] == '\0')
			continue; /* nobody to report to */
		e->time = t;
		copy_text(
		    e->source_ip, sizeof(e->source_ip), smtp->ip, smtp->ip_len);
		copy_text(e->header_from, sizeof(e->header_from),
		    dr->author_domain, strlen(dr->author_domain));
		e->has_envelope_from = true;
		if (smtp->mail_from_len > 0)
			address_domain(e->envelope_from,
			    sizeof(e->envelope_from), smtp->mail_from,
			    smtp->mail_from_len);
		if (env->rcpt_to_len > 0)
			address_domain(e->envelope_to, sizeof(e->envelope_to),
			    env->rcpt_to, env->rcpt_to_len);
		fill_policy_evaluated(e, res, dr, i, env->mode);
		if (res->spf_checked) {
			e->spf_checked = true;
			/* postmaster@HELO stands for a null MAIL FROM (RFC
			 * 7208 §2.4): the HELO scope of RFC 7489 */
			e->spf_helo = smtp->mail_from_len == 0;
			copy_text(e->spf_domain, sizeof(e->spf_domain),
			    res->spf.domain, strlen(res->spf.domain));
			e->spf_result = res->spf.verdict;
		}
		fill_dkim(e, res, dr);
		(*n)++;
	}
	return VOUCH_OK;
}

/* ---- Checks and column texts ------------------------------------------- */

int
store_domain_check(const char *p, size_t len, char *out, size_t cap)
{
	size_t i, label = 0;

	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len == 0 || len > VOUCH_DNS_MAX_NAME || cap < len + 1)
		return -1;
	for (i = 0; i < len; i++) {
		char c = p[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		           c == '-' || c == '_') {
			label++;
		} else if (c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
			label++;
		} else {
			return -1;
		}
		if (label > VOUCH_DNS_MAX_LABEL)
			return -1;
		out[i] = c;
	}
	if (label == 0)
		return -1;
	out[len] = '\0';
	return 0;
}

/* The field must be NUL-terminated within its array. */
static bool
terminated(const char *p, size_t cap)
{
	return memchr(p, '\0', cap) != NULL;
}

#define TERMINATED(a) terminated((a), sizeof(a))

static void
why(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* A column text: escaped, then a NUL; offsets noted in off[]. */
struct builder {
	struct vbuf b;
	long off[COL_COUNT]; /* -1: SQL NULL */
};

static void
col_begin(struct builder *bd, enum store_col c)
{
	bd->off[c] = (long)bd->b.len;
}

static void
col_end(struct builder *bd)
{
	vbuf_addc(&bd->b, '\0');
}

static void
col_str(struct builder *bd, enum store_col c, const char *s)
{
	if (s == NULL) {
		bd->off[c] = -1;
		return;
	}
	col_begin(bd, c);
	store_escape(&bd->b, s, strlen(s));
	col_end(bd);
}

static const char *
fo_text(unsigned fo, char *buf, size_t cap)
{
	static const struct {
		unsigned bit;
		const char *w;
	} f[] = {{VOUCH_DMARC_FO_0, "0"}, {VOUCH_DMARC_FO_1, "1"},
	    {VOUCH_DMARC_FO_D, "d"}, {VOUCH_DMARC_FO_S, "s"}};
	size_t i, n = 0;

	if (fo == 0)
		return NULL;
	buf[0] = '\0';
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (fo & f[i].bit)
			n += (size_t)snprintf(
			    buf + n, cap - n, "%s%s", n ? ":" : "", f[i].w);
	return buf;
}

static const char *
psd_word(enum vouch_dmarc_psd p)
{
	return p == VOUCH_DMARC_PSD_YES  ? "y"
	       : p == VOUCH_DMARC_PSD_NO ? "n"
	                                 : "u";
}

/* key_hash: SHA-256 of the policy columns, as text, hex. */
static int
policy_hash(struct builder *bd, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;
	struct vbuf k;
	int c;

	vbuf_init(&k, VOUCH_STORE_MAX_EVAL_TEXT);
	for (c = COL_P_DOMAIN; c <= COL_P_RUF; c++) {
		if (bd->off[c] < 0)
			vbuf_adds(&k, "\x01"); /* NULL, unlike "" */
		else
			vbuf_adds(&k, (const char *)bd->b.p + bd->off[c]);
		vbuf_addc(&k, '\n');
	}
	if (k.err != VOUCH_OK ||
	    EVP_Digest(k.p, k.len, md, &mdlen, EVP_sha256(), NULL) != 1) {
		vbuf_free(&k);
		return -1;
	}
	vbuf_free(&k);
	for (i = 0; i < 32 && i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
	return 0;
}

static enum vouch_status
check(const struct vouch_store_evaluation *ev, char *err, size_t errlen)
{
	const struct vouch_store_policy *p = &ev->policy;
	size_t i;

	if (!TERMINATED(ev->source_ip) || !TERMINATED(ev->header_from) ||
	    !TERMINATED(ev->envelope_from) || !TERMINATED(ev->envelope_to) ||
	    !TERMINATED(ev->spf_domain) || !TERMINATED(p->domain) ||
	    !TERMINATED(p->rua) || !TERMINATED(p->ruf)) {
		why(err, errlen, "a text field is not NUL-terminated");
		return VOUCH_EINVAL;
	}
	if (ev->nreasons > VOUCH_STORE_MAX_REASONS ||
	    ev->ndkim > VOUCH_DKIM_MAX_SIGNATURES) {
		why(err, errlen, "too many reasons or DKIM results");
		return VOUCH_EINVAL;
	}
	for (i = 0; i < ev->nreasons; i++)
		if (!TERMINATED(ev->reason[i].comment) ||
		    vouch_store_override_str(ev->reason[i].type)[0] == '\0') {
			why(err, errlen, "a bad override reason");
			return VOUCH_EINVAL;
		}
	for (i = 0; i < ev->ndkim; i++)
		if (!TERMINATED(ev->dkim[i].domain) ||
		    !TERMINATED(ev->dkim[i].selector) ||
		    !TERMINATED(ev->dkim[i].human_result) ||
		    (unsigned)ev->dkim[i].result > VOUCH_DKIM_PERMERROR) {
			why(err, errlen, "a bad DKIM result");
			return VOUCH_EINVAL;
		}
	if ((unsigned)ev->result > VOUCH_DMARC_PERMERROR ||
	    ev->result == VOUCH_DMARC_NONE ||
	    vouch_store_disposition_str(ev->disposition)[0] == '\0' ||
	    (unsigned)p->p > VOUCH_DMARC_POLICY_REJECT ||
	    (unsigned)p->sp > VOUCH_DMARC_POLICY_REJECT ||
	    (unsigned)p->np > VOUCH_DMARC_POLICY_REJECT ||
	    (unsigned)p->psd > VOUCH_DMARC_PSD_NO ||
	    (unsigned)p->discovery > VOUCH_DMARC_MODE_RFC7489 || p->pct > 100 ||
	    (ev->spf_checked &&
	        (unsigned)ev->spf_result > VOUCH_SPF_PERMERROR)) {
		why(err, errlen, "a value out of range");
		return VOUCH_EINVAL;
	}
	return VOUCH_OK;
}

static void
build_policy(
    struct builder *bd, const struct vouch_store_policy *p, const char *domain)
{
	char fo[16], pct[16];

	col_str(bd, COL_P_DOMAIN, domain);
	col_str(bd, COL_P_DISCOVERY,
	    p->discovery == VOUCH_DMARC_MODE_RFC7489 ? "psl" : "treewalk");
	col_str(bd, COL_P_P, policy_word(p->p));
	col_str(bd, COL_P_SP, policy_word(p->sp));
	col_str(bd, COL_P_NP, policy_word(p->np));
	col_str(bd, COL_P_ADKIM, p->adkim == VOUCH_DMARC_STRICT ? "s" : "r");
	col_str(bd, COL_P_ASPF, p->aspf == VOUCH_DMARC_STRICT ? "s" : "r");
	col_str(bd, COL_P_FO, fo_text(p->fo, fo, sizeof(fo)));
	col_str(bd, COL_P_TESTING, p->testing ? "y" : "n");
	col_str(bd, COL_P_PSD, psd_word(p->psd));
	snprintf(pct, sizeof(pct), "%u", p->pct);
	col_str(bd, COL_P_PCT, pct);
	col_str(bd, COL_P_RUA, p->rua);
	col_str(bd, COL_P_RUF, p->ruf);
}

static void
build_lists(struct builder *bd, const struct vouch_store_evaluation *ev)
{
	size_t i;

	col_begin(bd, COL_E_REASONS);
	for (i = 0; i < ev->nreasons; i++) {
		const struct vouch_store_reason *r = &ev->reason[i];

		if (i > 0)
			vbuf_addc(&bd->b, ';');
		vbuf_adds(&bd->b, vouch_store_override_str(r->type));
		vbuf_addc(&bd->b, ' ');
		store_escape(&bd->b, r->comment, strlen(r->comment));
	}
	col_end(bd);
	col_begin(bd, COL_E_DKIM);
	for (i = 0; i < ev->ndkim; i++) {
		const struct vouch_store_dkim *d = &ev->dkim[i];

		if (i > 0)
			vbuf_addc(&bd->b, ';');
		store_escape(&bd->b, d->domain, strlen(d->domain));
		vbuf_addc(&bd->b, ' ');
		store_escape(&bd->b, d->selector, strlen(d->selector));
		vbuf_addc(&bd->b, ' ');
		vbuf_adds(&bd->b, vouch_dkim_verdict_str(d->result));
		vbuf_addc(&bd->b, ' ');
		store_escape(&bd->b, d->human_result, strlen(d->human_result));
	}
	col_end(bd);
}

/* Normalizes an IP address (inet_ntop's form); -1 when it is none. */
static int
ip_norm(const char *ip, char *out, size_t cap)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, ip, a) == 1)
		return inet_ntop(AF_INET, a, out, (socklen_t)cap) ? 0 : -1;
	if (inet_pton(AF_INET6, ip, a) == 1)
		return inet_ntop(AF_INET6, a, out, (socklen_t)cap) ? 0 : -1;
	return -1;
}

enum vouch_status
store_row_make(const struct vouch_store_evaluation *ev, struct store_row **out,
    char *err, size_t errlen)
{
	char dom[VOUCH_DNS_MAX_NAME + 1], from[VOUCH_DNS_MAX_NAME + 1];
	char ip[64], hash[65];
	struct builder bd;
	struct store_row *row;
	enum vouch_status st;
	size_t i;

	*out = NULL;
	if ((st = check(ev, err, errlen)) != VOUCH_OK)
		return st;
	if (store_domain_check(ev->policy.domain, strlen(ev->policy.domain),
	        dom, sizeof(dom)) < 0 ||
	    store_domain_check(ev->header_from, strlen(ev->header_from), from,
	        sizeof(from)) < 0) {
		why(err, errlen,
		    "the policy domain or header_from is not a "
		    "domain name");
		return VOUCH_EINVAL;
	}
	if (ip_norm(ev->source_ip, ip, sizeof(ip)) < 0) {
		why(err, errlen, "source_ip is not an IP address");
		return VOUCH_EINVAL;
	}
	vbuf_init(&bd.b, VOUCH_STORE_MAX_EVAL_TEXT);
	for (i = 0; i < COL_COUNT; i++)
		bd.off[i] = -1;
	build_policy(&bd, &ev->policy, dom);
	col_str(&bd, COL_E_SOURCE_IP, ip);
	col_str(&bd, COL_E_HEADER_FROM, from);
	col_str(&bd, COL_E_ENVELOPE_FROM,
	    ev->has_envelope_from ? ev->envelope_from : NULL);
	col_str(&bd, COL_E_ENVELOPE_TO,
	    ev->envelope_to[0] ? ev->envelope_to : NULL);
	col_str(&bd, COL_E_RESULT, vouch_dmarc_verdict_str(ev->result));
	col_str(&bd, COL_E_DISPOSITION,
	    vouch_store_disposition_str(ev->disposition));
	col_str(&bd, COL_E_DKIM_ALIGNED, ev->dkim_aligned ? "pass" : "fail");
	col_str(&bd, COL_E_SPF_ALIGNED, ev->spf_aligned ? "pass" : "fail");
	build_lists(&bd, ev);
	col_str(&bd, COL_E_SPF_DOMAIN, ev->spf_checked ? ev->spf_domain : NULL);
	col_str(&bd, COL_E_SPF_SCOPE,
	    ev->spf_checked ? (ev->spf_helo ? "helo" : "mfrom") : NULL);
	col_str(&bd, COL_E_SPF_RESULT,
	    ev->spf_checked ? vouch_spf_verdict_str(ev->spf_result) : NULL);
	if (bd.b.err == VOUCH_OK && policy_hash(&bd, hash) < 0)
		bd.b.err = VOUCH_ENOMEM;
	col_str(&bd, COL_P_KEY_HASH, hash);
	if ((st = bd.b.err) != VOUCH_OK) {
		vbuf_free(&bd.b);
		why(err, errlen, "the evaluation is too large");
		return st;
	}
	if ((row = malloc(sizeof(*row) + bd.b.len)) == NULL) {
		vbuf_free(&bd.b);
		return VOUCH_ENOMEM;
	}
	memcpy(row->text, bd.b.p, bd.b.len);
	row->next = NULL;
	row->time = ev->time;
	for (i = 0; i < COL_COUNT; i++)
		row->col[i] = bd.off[i] < 0 ? NULL : row->text + bd.off[i];
	vbuf_free(&bd.b);
	*out = row;
	return VOUCH_OK;
}
