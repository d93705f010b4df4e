/*
 * DMARC failure reports (RFC 9991): the handle, when reports are due
 * (RFC 9989 §4.7 fo=), where they go (ruf=, RFC 9991 §2 and §5), the rate
 * limit, and one report per (kind, destination).  The messages themselves
 * are written by failure_arf.c.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "failure_internal.h"
#include "mail/address.h"
#include "mail/header.h"
#include "report/failure_version.h"

/* The default key of REDACT_HASH, drawn at vouch_failure_new. */
#define RANDOM_KEY_BYTES 32
/* rate: bounds that keep the token arithmetic in 64 bits */
#define MAX_RATE 1000000u
#define MAX_PERIOD (400u * 86400u)

void
vouch_failure_options_init(struct vouch_failure_options *o)
{
	memset(o, 0, sizeof(*o));
	o->enabled = false;
	o->kinds = VOUCH_FAILURE_ALL;
	o->redact = VOUCH_FAILURE_REDACT_HASH;
	o->rate = 10;
	o->rate_period = 3600;
}

static void
set_err(char *err, size_t errlen, const char *msg)
{
	size_t n;

	if (err == NULL || errlen == 0)
		return;
	n = strlen(msg);
	if (n >= errlen)
		n = errlen - 1;
	memcpy(err, msg, n);
	err[n] = '\0';
}

/* Printable ASCII of 1..VOUCH_FAILURE_MAX_TEXT bytes: fit for a field. */
static int
text_ok(const char *s)
{
	size_t n = strnlen(s, VOUCH_FAILURE_MAX_TEXT + 1), i;

	if (n == 0 || n > VOUCH_FAILURE_MAX_TEXT)
		return 0;
	for (i = 0; i < n; i++)
		if ((uint8_t)s[i] < 0x20 || (uint8_t)s[i] > 0x7e)
			return 0;
	return 1;
}

static enum vouch_status
dup_str(const char *s, char **out)
{
	size_t n = strlen(s);

	if ((*out = malloc(n + 1)) == NULL)
		return VOUCH_ENOMEM;
	memcpy(*out, s, n + 1);
	return VOUCH_OK;
}

/* The checks of vouch_failure_new; a message for the first failure. */
static const char *
check_options(const struct vouch_failure_options *o)
{
	const char *tok = o->redact_token ? o->redact_token : "redacted";

	if (o->enabled &&
	    (o->from == NULL ||
	        !failure_addr_ok(
	            o->from, strnlen(o->from, VOUCH_FAILURE_MAX_ADDR + 1))))
		return "failure reports need a valid From address";
	if (o->user_agent != NULL && !text_ok(o->user_agent))
		return "the User-Agent must be printable ASCII";
	if (o->reporting_mta != NULL &&
	    (!text_ok(o->reporting_mta) || strchr(o->reporting_mta, ';')))
		return "the Reporting-MTA name must be printable ASCII "
		       "without ';'";
	if (o->redact != VOUCH_FAILURE_REDACT_HASH &&
	    o->redact != VOUCH_FAILURE_REDACT_TOKEN &&
	    o->redact != VOUCH_FAILURE_REDACT_NONE)
		return "unknown redaction method";
	if (strnlen(tok, 65) > 64 || !failure_dot_atom_ok(tok, strlen(tok)))
		return "the redaction token must be a dot-atom of 1 to 64 "
		       "characters";
	if (o->redact_key_len > VOUCH_FAILURE_MAX_KEY ||
	    (o->redact_key == NULL && o->redact_key_len > 0))
		return "the redaction key is too long";
	if (o->rate == 0 || o->rate > MAX_RATE || o->rate_period == 0 ||
	    o->rate_period > MAX_PERIOD)
		return "the rate must be 1 to 1000000 reports per 1 s to 400 "
		       "days";
	return NULL;
}

static enum vouch_status
copy_options(struct vouch_failure *f, const struct vouch_failure_options *o)
{
	enum vouch_status st = VOUCH_OK;

	f->opts = *o;
	f->opts.kinds &= VOUCH_FAILURE_ALL;
	if (o->from != NULL && (st = dup_str(o->from, &f->from)) != VOUCH_OK)
		return st;
	if ((st = dup_str(
	         o->user_agent ? o->user_agent : "vouch/" VOUCH_FAILURE_VERSION,
	         &f->user_agent)) != VOUCH_OK)
		return st;
	if (o->reporting_mta != NULL &&
	    (st = dup_str(o->reporting_mta, &f->reporting_mta)) != VOUCH_OK)
		return st;
	if ((st = dup_str(o->redact_token ? o->redact_token : "redacted",
	         &f->redact_token)) != VOUCH_OK)
		return st;
	f->opts.from = f->from;
	f->opts.user_agent = f->user_agent;
	f->opts.reporting_mta = f->reporting_mta;
	f->opts.redact_token = f->redact_token;
	f->key_len =
	    o->redact_key != NULL ? o->redact_key_len : RANDOM_KEY_BYTES;
	if ((f->key = malloc(f->key_len ? f->key_len : 1)) == NULL)
		return VOUCH_ENOMEM;
	if (o->redact_key != NULL)
		memcpy(f->key, o->redact_key, f->key_len);
	else if (RAND_bytes(f->key, (int)f->key_len) != 1)
		return VOUCH_ECRYPTO;
	f->opts.redact_key = f->key;
	return failure_rate_new(o->rate, o->rate_period, &f->rate);
}

enum vouch_status
vouch_failure_new(const struct vouch_failure_options *opts,
    struct vouch_failure **out, char *err, size_t errlen)
{
	struct vouch_failure_options def;
	struct vouch_failure *f;
	const char *why;
	enum vouch_status st;

	set_err(err, errlen, "");
	if (out == NULL)
		return VOUCH_EINVAL;
	*out = NULL;
	if (opts == NULL) {
		vouch_failure_options_init(&def);
		opts = &def;
	}
	if ((why = check_options(opts)) != NULL) {
		set_err(err, errlen, why);
		return VOUCH_EINVAL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return VOUCH_ENOMEM;
	if ((st = copy_options(f, opts)) != VOUCH_OK) {
		set_err(err, errlen,
		    st == VOUCH_ECRYPTO ? "no random bytes for the key"
		                        : vouch_status_str(st));
		vouch_failure_free(f);
		return st;
	}
	*out = f;
	return VOUCH_OK;
}

void
vouch_failure_free(struct vouch_failure *f)
{
	if (f == NULL)
		return;
	free(f->from);
	free(f->user_agent);
	free(f->reporting_mta);
	free(f->redact_token);
	if (f->key != NULL)
		OPENSSL_cleanse(f->key, f->key_len);
	free(f->key);
	failure_rate_free(f->rate);
	free(f);
}

const char *
vouch_failure_kind_str(unsigned kind)
{
	switch (kind) {
	case VOUCH_FAILURE_DMARC:
		return "dmarc";
	case VOUCH_FAILURE_DKIM:
		return "dkim";
	case VOUCH_FAILURE_SPF:
		return "spf";
	default:
		return "";
	}
}

/* ---- When reports are due --------------------------------------------- */

const char *
failure_dkim_type(const struct vouch_dkim_signature *s)
{
	/* the reasons the verifier gives (src/lib/dkim/verify.c) */
	if (s->result == VOUCH_DKIM_FAIL)
		return strcmp(s->reason, "body hash did not verify") == 0
		           ? "bodyhash"
		           : "signature";
	if (s->result == VOUCH_DKIM_PERMERROR &&
	    strcmp(s->reason, "key revoked") == 0)
		return "revoked";
	return NULL;
}

static int
ieq_str(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;

		if (x != y)
			return 0;
	}
	return *a == *b;
}

int
failure_aligned(const struct vouch_dmarc_domain_result *dr, const char *name,
    enum vouch_dmarc_alignment mode)
{
	const char *org =
	    dr->org_domain[0] ? dr->org_domain : dr->author_domain;
	size_t n = strnlen(name, VOUCH_DNS_MAX_NAME + 2), o = strlen(org);
	char buf[VOUCH_DNS_MAX_NAME + 2];

	/* a trailing dot is the same name */
	if (n == 0 || n > VOUCH_DNS_MAX_NAME + 1)
		return 0;
	memcpy(buf, name, n);
	if (buf[n - 1] == '.')
		n--;
	buf[n] = '\0';
	if (ieq_str(buf, dr->author_domain))
		return 1;
	if (mode == VOUCH_DMARC_STRICT)
		return 0;
	/* relaxed: the same Organizational Domain (RFC 9989 §4.4.1) */
	if (ieq_str(buf, org))
		return 1;
	return n > o + 1 && buf[n - o - 1] == '.' && ieq_str(buf + n - o, org);
}

static int
spf_failed(const struct vouch_verify_result *res)
{
	enum vouch_spf_verdict v = res->spf.verdict;

	/* RFC 6591 §3.3 spf, less "none", not strictly a failure */
	return res->spf_checked &&
	       (v == VOUCH_SPF_FAIL || v == VOUCH_SPF_SOFTFAIL ||
	           v == VOUCH_SPF_TEMPERROR || v == VOUCH_SPF_PERMERROR);
}

static size_t
nsigs(const struct vouch_verify_result *res)
{
	if (res->dkim == NULL)
		return 0;
	return res->dkim->nsig < VOUCH_DKIM_MAX_SIGNATURES
	           ? res->dkim->nsig
	           : VOUCH_DKIM_MAX_SIGNATURES;
}

static int
dkim_failed(const struct vouch_verify_result *res)
{
	size_t i;

	for (i = 0; i < nsigs(res); i++)
		if (failure_dkim_type(&res->dkim->sig[i]) != NULL)
			return 1;
	return 0;
}

unsigned
vouch_failure_due(const struct vouch_verify_result *res, size_t i)
{
	const struct vouch_dmarc_domain_result *dr;
	unsigned fo, due = 0;

	if (res == NULL || i >= res->dmarc.ndomains)
		return 0;
	dr = &res->dmarc.domain[i];
	/* fo= is ignored without ruf= (RFC 9989 §4.7); no ruf= of a PSD's
	 * record (RFC 9991 §2); reports only where DMARC applied */
	if (!dr->has_record || dr->record.nruf == 0 ||
	    dr->record.psd == VOUCH_DMARC_PSD_YES ||
	    (dr->result != VOUCH_DMARC_PASS && dr->result != VOUCH_DMARC_FAIL))
		return 0;
	fo = dr->record.fo;
	if (fo == 0)
		fo = VOUCH_DMARC_FO_0; /* the default, RFC 9989 §4.7 */
	if ((fo & VOUCH_DMARC_FO_0) && dr->result == VOUCH_DMARC_FAIL)
		due |= VOUCH_FAILURE_DMARC;
	if ((fo & VOUCH_DMARC_FO_1) && (!dr->spf_aligned || !dr->dkim_aligned))
		due |= VOUCH_FAILURE_DMARC;
	if ((fo & VOUCH_DMARC_FO_D) && dkim_failed(res))
		due |= VOUCH_FAILURE_DKIM;
	if ((fo & VOUCH_DMARC_FO_S) && spf_failed(res))
		due |= VOUCH_FAILURE_SPF;
	return due;
}

/* ---- Destinations ----------------------------------------------------- */

struct dests {
	size_t n;
	char addr[VOUCH_DMARC_MAX_URIS][VOUCH_FAILURE_MAX_ADDR + 1];
	const char *uri[VOUCH_DMARC_MAX_URIS];
	char *uri_copy[VOUCH_DMARC_MAX_URIS]; /* a replacement URI, owned */
};

static void
dests_free(struct dests *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->uri_copy[i]);
	d->n = 0;
}

/* Adds one URI (uri/n, copied when `copy`) unless it is a duplicate;
 * -1 when it is unusable, -2 out of memory. */
static int
dests_add(
    struct dests *d, const char *uri, size_t n, const char *host, int copy)
{
	char addr[VOUCH_FAILURE_MAX_ADDR + 1];
	size_t i;

	if (failure_mailto(uri, n, host, addr, sizeof(addr)) < 0)
		return -1;
	for (i = 0; i < d->n; i++)
		if (ieq_str(d->addr[i], addr))
			return 0;
	if (d->n == VOUCH_DMARC_MAX_URIS)
		return -1;
	memcpy(d->addr[d->n], addr, strlen(addr) + 1);
	d->uri_copy[d->n] = NULL;
	if (copy) {
		if ((d->uri_copy[d->n] = malloc(n + 1)) == NULL)
			return -2;
		memcpy(d->uri_copy[d->n], uri, n);
		d->uri_copy[d->n][n] = '\0';
		d->uri[d->n] = d->uri_copy[d->n];
	} else
		d->uri[d->n] = uri;
	d->n++;
	return 0;
}

/*
 * The addresses of a record's ruf= URIs that may receive reports: those
 * the DMARC evaluation kept (internal, or authorized: RFC 9991 §5, RFC
 * 9990 §4), each replaced by the authorizing record's ruf= when it had
 * one (step 9; the evaluation checked they share the host).
 */
static enum vouch_status
destinations(
    const struct vouch_dmarc_record *rec, struct dests *d, size_t *nunusable)
{
	const struct vouch_dmarc_uri *u;
	const char *p, *comma;
	size_t i;
	int r;

	d->n = 0;
	for (i = 0; i < rec->nruf; i++) {
		u = &rec->ruf[i];
		if (!u->kept || u->tempfail) {
			(*nunusable)++;
			continue;
		}
		if (u->override == NULL) {
			r = dests_add(d, u->uri,
			    strnlen(u->uri, VOUCH_DNS_MAX_TXT), u->host, 0);
			if (r == -2)
				return VOUCH_ENOMEM;
			if (r < 0)
				(*nunusable)++;
			continue;
		}
		for (p = u->override; *p != '\0';
		     p = *comma ? comma + 1 : comma) {
			comma = strchr(p, ',');
			if (comma == NULL)
				comma = p + strlen(p);
			r = dests_add(d, p, (size_t)(comma - p), u->host, 1);
			if (r == -2)
				return VOUCH_ENOMEM;
			if (r < 0)
				(*nunusable)++;
		}
	}
	return VOUCH_OK;
}

/* ---- Building --------------------------------------------------------- */

static enum vouch_status
push_report(struct vouch_failure_result *out, const struct failure_item *it,
    const char *to, const char *uri, char *data, size_t len)
{
	struct vouch_failure_report *r, *nr;
	size_t ul = strlen(uri);

	nr = realloc(out->report, (out->nreports + 1) * sizeof(*nr));
	if (nr == NULL)
		return VOUCH_ENOMEM;
	out->report = nr;
	r = &nr[out->nreports];
	memset(r, 0, sizeof(*r));
	if ((r->uri = malloc(ul + 1)) == NULL)
		return VOUCH_ENOMEM;
	memcpy(r->uri, uri, ul + 1);
	r->kind = it->kind;
	memcpy(r->to, to, strlen(to) + 1);
	memcpy(r->domain, it->dr->author_domain,
	    strlen(it->dr->author_domain) + 1);
	r->data = data;
	r->len = len;
	out->nreports++;
	return VOUCH_OK;
}

/*
 * One report (`it`) to every destination that still has a token: the
 * body is written once, the header once per destination.
 */
static enum vouch_status
emit(const struct failure_ctx *c, const struct failure_item *it,
    const struct dests *d, struct vouch_failure_result *out)
{
	struct vbuf common, body;
	int allowed[VOUCH_DMARC_MAX_URIS], any = 0, r;
	enum vouch_status st = VOUCH_OK;
	char *data;
	size_t i, len;

	for (i = 0; i < d->n; i++) {
		allowed[i] = 0;
		if (out->nreports + (size_t)any >= VOUCH_FAILURE_MAX_REPORTS) {
			out->nover_limit++;
			continue;
		}
		r = failure_rate_take(c->f->rate, d->addr[i], c->now);
		if (r < 0)
			return VOUCH_ENOMEM;
		if (r == 0)
			out->nrate_limited++;
		allowed[i] = r;
		any += r;
	}
	if (!any)
		return VOUCH_OK;
	vbuf_init(&common, VOUCH_FAILURE_MAX_REPORT);
	vbuf_init(&body, VOUCH_FAILURE_MAX_REPORT);
	st = failure_arf_body(c, it, &common, &body);
	for (i = 0; i < d->n && (st == VOUCH_OK || st == VOUCH_ELIMIT); i++) {
		if (!allowed[i])
			continue;
		if (st == VOUCH_OK)
			st = failure_arf_message(
			    c, d->addr[i], &common, &body, &data, &len);
		if (st == VOUCH_ELIMIT) {
			out->nover_limit++;
			continue;
		}
		if (st != VOUCH_OK)
			break;
		if ((st = push_report(out, it, d->addr[i], d->uri[i], data,
		         len)) != VOUCH_OK)
			free(data);
	}
	vbuf_free(&common);
	vbuf_free(&body);
	return st == VOUCH_ELIMIT ? VOUCH_OK : st;
}

/* The reports of one author domain: DMARC, DKIM per failed signature,
 * SPF, as fo= asks and the operator allows. */
static enum vouch_status
domain_reports(const struct failure_ctx *c,
    const struct vouch_dmarc_domain_result *dr, unsigned due,
    const struct dests *d, struct vouch_failure_result *out)
{
	const struct vouch_verify_result *res = c->res;
	const struct vouch_dkim_signature *s;
	struct failure_item it;
	enum vouch_status st;
	size_t i;
	int spf_aligned_fail;

	spf_aligned_fail =
	    res->spf_checked && res->spf.verdict != VOUCH_SPF_PASS &&
	    failure_aligned(dr, res->spf.domain, dr->record.aspf);
	if (due & VOUCH_FAILURE_DMARC) {
		memset(&it, 0, sizeof(it));
		it.kind = VOUCH_FAILURE_DMARC;
		it.auth_failure = "dmarc";
		it.dr = dr;
		/* RFC 9991 §4: DKIM-* for a DKIM failure of an aligned
		 * identifier, SPF-DNS for an SPF failure of one */
		for (i = 0; i < nsigs(res) && it.sig == NULL; i++) {
			s = &res->dkim->sig[i];
			if (failure_dkim_type(s) != NULL &&
			    failure_aligned(dr, s->d, dr->record.adkim)) {
				it.sig = s;
				it.sigi = i;
			}
		}
		it.spf_dns = spf_aligned_fail;
		if ((st = emit(c, &it, d, out)) != VOUCH_OK)
			return st;
	}
	for (i = 0; (due & VOUCH_FAILURE_DKIM) && i < nsigs(res); i++) {
		s = &res->dkim->sig[i];
		memset(&it, 0, sizeof(it));
		if ((it.auth_failure = failure_dkim_type(s)) == NULL)
			continue;
		it.kind = VOUCH_FAILURE_DKIM;
		it.dr = dr;
		it.sig = s;
		it.sigi = i;
		if ((st = emit(c, &it, d, out)) != VOUCH_OK)
			return st;
	}
	if (due & VOUCH_FAILURE_SPF) {
		memset(&it, 0, sizeof(it));
		it.kind = VOUCH_FAILURE_SPF;
		it.auth_failure = "spf";
		it.dr = dr;
		it.spf_dns = true;
		if ((st = emit(c, &it, d, out)) != VOUCH_OK)
			return st;
	}
	return VOUCH_OK;
}

/* The header section of msg, cut at its end and at the library's limit. */
static void
cut_header(const struct vouch_failure_message *msg, struct failure_ctx *c)
{
	size_t len = msg->header_len, end;

	c->hdr = msg->header;
	if (c->hdr == NULL)
		len = 0;
	if (len > VOUCH_MAX_HEADER_BYTES)
		len = VOUCH_MAX_HEADER_BYTES;
	end = len > 0 ? mail_header_end(c->hdr, len) : 0;
	c->hlen = end > 0 ? end : len;
}

static int
ifind(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s), i, j;

	for (i = 0; i + k <= n; i++) {
		for (j = 0; j < k; j++) {
			uint8_t a = p[i + j];

			if ((a >= 'A' && a <= 'Z' ? a + 32 : a) !=
			    (uint8_t)s[j])
				break;
		}
		if (j == k)
			return 1;
	}
	return 0;
}

/* Is the message a feedback report (RFC 5965 §2: multipart/report with
 * report-type=feedback-report in its top-level Content-Type)? */
static int
is_feedback_report(const uint8_t *hdr, size_t len)
{
	struct mail_field_span sp;
	size_t nsp = 0, nfound = 0;

	if (len == 0 ||
	    mail_find_fields(hdr, len, "Content-Type", 12, &sp, 1, &nsp,
	        &nfound) != VOUCH_OK ||
	    nsp == 0)
		return 0;
	return ifind(sp.p, sp.len, "multipart/report") &&
	       ifind(sp.p, sp.len, "feedback-report");
}

enum vouch_status
vouch_failure_build(struct vouch_failure *f,
    const struct vouch_verify_result *res, const struct vouch_verify_smtp *smtp,
    const struct vouch_failure_message *msg, struct vouch_dns *dns,
    struct vouch_failure_result *out)
{
	const struct vouch_dmarc_domain_result *dr;
	struct failure_ctx c;
	struct dests *d = NULL;
	enum vouch_status st = VOUCH_OK;
	unsigned due;
	size_t i;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (f == NULL || res == NULL || msg == NULL || out == NULL ||
	    (msg->header == NULL && msg->header_len > 0) ||
	    (msg->body == NULL && msg->body_len > 0))
		return VOUCH_EINVAL;
	memset(&c, 0, sizeof(c));
	c.f = f;
	c.res = res;
	c.smtp = smtp;
	c.msg = msg;
	c.dns = dns;
	c.red.mode = f->opts.redact;
	c.red.token = f->redact_token;
	c.red.token_len = strlen(f->redact_token);
	c.red.key = f->key;
	c.red.key_len = f->key_len;
	c.now = msg->now ? msg->now : time(NULL);
	c.arrival = msg->arrival ? msg->arrival : c.now;
	cut_header(msg, &c);
	out->about_report = is_feedback_report(c.hdr, c.hlen);
	for (i = 0; i < res->dmarc.ndomains && st == VOUCH_OK; i++) {
		dr = &res->dmarc.domain[i];
		if (dr->has_record && dr->record.nruf > 0 &&
		    dr->record.psd == VOUCH_DMARC_PSD_YES)
			out->npsd++; /* RFC 9991 §2 */
		due = vouch_failure_due(res, i);
		out->due |= due;
		/* off by default: nothing leaves unless the operator said */
		if (!f->opts.enabled || (due &= f->opts.kinds) == 0 ||
		    out->about_report)
			continue;
		if (d == NULL && (d = calloc(1, sizeof(*d))) == NULL) {
			st = VOUCH_ENOMEM;
			break;
		}
		st = destinations(&dr->record, d, &out->nunusable);
		if (st == VOUCH_OK && d->n > 0)
			st = domain_reports(&c, dr, due, d, out);
		dests_free(d);
	}
	free(d);
	if (st != VOUCH_OK)
		vouch_failure_result_free(out);
	return st;
}

void
vouch_failure_result_free(struct vouch_failure_result *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nreports; i++) {
		free(r->report[i].uri);
		free(r->report[i].data);
	}
	free(r->report);
	memset(r, 0, sizeof(*r));
}

enum vouch_status
vouch_failure_state_save(struct vouch_failure *f, char **text, size_t *len)
{
	if (f == NULL || text == NULL || len == NULL)
		return VOUCH_EINVAL;
	*text = NULL;
	*len = 0;
	return failure_rate_save(f->rate, text, len);
}

enum vouch_status
vouch_failure_state_load(
    struct vouch_failure *f, const uint8_t *p, size_t len, size_t *nbad)
{
	if (f == NULL || (p == NULL && len > 0))
		return VOUCH_EINVAL;
	return failure_rate_load(f->rate, p, len, nbad);
}
