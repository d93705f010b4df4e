/*
 * ARC chain validation, RFC 8617 §5.2.
 *
 * vouch_arc_verify_header() collects the ARC Sets, checks the structure
 * (steps 1-3), fetches the keys, verifies every ARC-Seal (step 6) and the
 * header part of every AMS; the AMS body hashes are computed as the body
 * streams past and compared in vouch_arc_verify_finish(), which applies
 * steps 4, 5 and 7 in the RFC's order.  Canonicalization, the h= walk and
 * the signature checks are the DKIM verifier's (dkim/internal.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "vouch/arc.h"
#include "arc/internal.h"
#include "authres/internal.h"
#include "dkim/internal.h"
#include "mail/canon.h"
#include "mail/header.h"
#include "mail/message.h"
#include "mail/tagvalue.h"
#include "util/base64.h"
#include "util/buf.h"

/* RSA modulus sizes, RFC 8301 §3.2 (ARC imports DKIM's, RFC 8617 §4.1). */
#define RSA_MIN_BITS 1024
#define RSA_LEGACY_MIN_BITS 512
#define RSA_MAX_BITS 4096

/* A b= of RSA-4096 is 512 bytes; anything larger is not a signature. */
#define SIG_MAX 1024

/* Canonical header data: a whole header section plus one field. */
#define CANON_MAX (VOUCH_MAX_HEADER_BYTES + 64 * 1024)

/* The AMS of one instance, waiting for its body hash. */
struct ams_state {
	bool header_ok; /* tags, key and header signature all good */
	size_t hasher;
	uint8_t bh[EVP_MAX_MD_SIZE + 3];
	size_t bhlen;
	char why[128]; /* why this AMS failed, "" if it did not */
};

struct vouch_arc_verifier {
	struct vouch_dns *dns;
	struct vouch_arc_options opt;
	int state; /* 0 new, 1 header given, 2 finished */
	struct vouch_arc_result *res;
	bool decided; /* res->cv and reason final (none, or fail early) */
	unsigned seal_fail; /* instance of the newest ARC-Seal that failed */
	char seal_why[128];
	/* Made only for a header with ARC Sets to check (most mail has
	 * none): VOUCH_ARC_MAX_INSTANCES + 1 and VOUCH_ARC_MAX_BODY_HASHES */
	struct ams_state *ams;
	struct dkim_hasher *hash;
	size_t nhash;
	struct vbuf canon;
};

/* The tags of an AMS or ARC-Seal that verification needs. */
struct arcsig {
	bool ed25519;
	enum canon_alg hcanon, bcanon;
	uint64_t limit;
	const struct tag *b, *h;
	const uint8_t *d, *s;
	size_t dlen, slen;
	uint8_t sig[SIG_MAX];
	size_t siglen;
	uint8_t bh[EVP_MAX_MD_SIZE + 3];
	size_t bhlen;
};

static const char *const cv_names[] = {"none", "pass", "fail"};

const char *
vouch_arc_cv_str(enum vouch_arc_cv cv)
{
	if ((unsigned)cv >= sizeof(cv_names) / sizeof(cv_names[0]))
		return "unknown";
	return cv_names[cv];
}

void
vouch_arc_options_init(struct vouch_arc_options *o)
{
	memset(o, 0, sizeof(*o));
}

static void set_reason(char *dst, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_reason(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
}

/* The chain fails here (the first reason is kept; RFC 8617 §5.2). */
static void
chain_fail(struct vouch_arc_verifier *v, const char *why)
{
	if (v->decided)
		return;
	v->decided = true;
	v->res->cv = VOUCH_ARC_FAIL;
	set_reason(v->res->reason, sizeof(v->res->reason), "%s", why);
}

static void
copy_text(char *dst, size_t cap, const uint8_t *p, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	if (len > 0)
		memcpy(dst, p, len);
	dst[len] = '\0';
}

/* A domain name or selector (RFC 6376 §3.5 d=, s=): dkim_name_check. */
static bool
valid_name(const uint8_t *p, size_t len)
{
	return dkim_name_check(p, len, 0) == DKIM_NAME_OK;
}

/* 1*DIGIT (at most 18 digits); -1 when not. */
static int64_t
digits(const struct tag *t)
{
	int64_t n = 0;
	size_t i;

	if (t->valuelen == 0 || t->valuelen > 18)
		return -1;
	for (i = 0; i < t->valuelen; i++) {
		if (t->value[i] < '0' || t->value[i] > '9')
			return -1;
		n = n * 10 + (t->value[i] - '0');
	}
	return n;
}

/* Does the h= list name `want` (without regard to case)? */
static bool
hlist_has(const struct tag *t, const char *want)
{
	const uint8_t *p = t->value, *end = t->value + t->valuelen, *s, *e;

	while (p < end) {
		s = p;
		while (p < end && *p != ':')
			p++;
		e = p;
		if (p < end)
			p++;
		while (s < e &&
		       (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' ||
		                    e[-1] == '\r' || e[-1] == '\n'))
			e--;
		if (mail_name_eq(s, (size_t)(e - s), want))
			return true;
	}
	return false;
}

/* The h= list without empty names, into `out` (room for len bytes). */
static size_t
hlist_compact(const uint8_t *p, size_t len, uint8_t *out)
{
	const uint8_t *end = p + len, *s, *e;
	size_t n = 0;

	while (p < end) {
		s = p;
		while (p < end && *p != ':')
			p++;
		e = p;
		if (p < end)
			p++;
		while (s < e &&
		       (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
			s++;
		if (s == e)
			continue;
		if (n > 0)
			out[n++] = ':';
		memcpy(out + n, s, (size_t)(e - s));
		n += (size_t)(e - s);
	}
	return n;
}

/*
 * The tags of an AMS (seal false) or an ARC-Seal (seal true): RFC 8617
 * §4.1.2, §4.1.3 and the DKIM tags they import (RFC 6376 §3.5).  Returns
 * 0, or -1 with *why set.
 */
static int
parse_sig(
    const struct tag_list *tl, bool seal, struct arcsig *as, const char **why)
{
	const struct tag *a, *t;

	memset(as, 0, sizeof(*as));
	if ((a = tag_find(tl, "a")) == NULL) {
		*why = "no a= tag";
		return -1;
	}
	if (tag_value_eq(a, "rsa-sha256")) {
		as->ed25519 = false;
	} else if (tag_value_eq(a, "ed25519-sha256")) {
		as->ed25519 = true; /* RFC 8463 */
	} else {
		/* RFC 8301 §3.1: rsa-sha1 MUST NOT be used */
		*why = tag_value_eq(a, "rsa-sha1")
		           ? "rsa-sha1 is not accepted (RFC 8301)"
		           : "unknown algorithm (a=)";
		return -1;
	}
	if ((as->b = tag_find(tl, "b")) == NULL) {
		*why = "no b= tag";
		return -1;
	}
	if (base64_decode(as->b->value, as->b->valuelen, as->sig,
	        sizeof(as->sig), &as->siglen) != VOUCH_OK ||
	    as->siglen == 0) {
		*why = "b= is not a signature in base64";
		return -1;
	}
	if ((t = tag_find(tl, "d")) == NULL ||
	    !valid_name(t->value, t->valuelen)) {
		*why = t == NULL ? "no d= tag" : "d= is not a domain name";
		return -1;
	}
	as->d = t->value;
	as->dlen = t->valuelen;
	if ((t = tag_find(tl, "s")) == NULL ||
	    !valid_name(t->value, t->valuelen)) {
		*why = t == NULL ? "no s= tag" : "s= is not a selector";
		return -1;
	}
	as->s = t->value;
	as->slen = t->valuelen;
	if ((t = tag_find(tl, "t")) != NULL && digits(t) < 0) {
		*why = "t= is not a number";
		return -1;
	}
	as->limit = UINT64_MAX;
	if (seal) {
		/* RFC 8617 §4.1.3: h= MUST result in cv fail */
		if (tag_find(tl, "h") != NULL) {
			*why = "ARC-Seal has h=";
			return -1;
		}
		as->hcanon = CANON_RELAXED; /* §4.1.3: relaxed only */
		return 0;
	}
	/*
	 * Without c=, relaxed/relaxed: what ARC sealers write and the
	 * ValiMail suite expects (ams_fields_c_na), where a DKIM-Signature
	 * would default to simple/simple (RFC 6376 §3.5).
	 */
	as->hcanon = as->bcanon = CANON_RELAXED;
	if ((t = tag_find(tl, "c")) != NULL &&
	    (t->valuelen == 0 || canon_parse(t->value, t->valuelen, &as->hcanon,
	                             &as->bcanon) != 0)) {
		*why = "c= is not a canonicalization";
		return -1;
	}
	if ((t = tag_find(tl, "l")) != NULL) {
		int64_t l = digits(t);

		if (l < 0) {
			*why = "l= is not a number";
			return -1;
		}
		as->limit = (uint64_t)l;
	}
	if ((as->h = tag_find(tl, "h")) == NULL) {
		*why = "no h= tag";
		return -1;
	}
	/* RFC 8617 §4.1.2: ARC-Seal MUST NOT be signed by an AMS */
	if (hlist_has(as->h, "ARC-Seal")) {
		*why = "AMS signs ARC-Seal (h=)";
		return -1;
	}
	if ((t = tag_find(tl, "bh")) == NULL ||
	    base64_decode(t->value, t->valuelen, as->bh, sizeof(as->bh),
	        &as->bhlen) != VOUCH_OK ||
	    as->bhlen != 32) {
		*why = t == NULL ? "no bh= tag" : "bh= is not a SHA-256 hash";
		return -1;
	}
	return 0;
}

/*
 * Fetch and check the key of d=/s= (RFC 6376 §6.1.2, with the DKIM key
 * record parser and key decoder).  Returns 0 with *pk set, -1 with `why`
 * filled in, or -2 when memory ran out: RFC 8617 §5.2.1 makes every
 * failure of the chain, DNS too, a fail, but not one of this validator.
 */
static int
fetch_key(struct vouch_arc_verifier *v, const struct arcsig *as, EVP_PKEY **pk,
    char *why, size_t whycap)
{
	char name[2 * VOUCH_DNS_MAX_NAME + 16];
	struct vouch_dns_answer *ans = NULL;
	struct dkim_keyrec kr;
	const char *w = NULL, *first = NULL;
	unsigned bits;
	enum vouch_status st;
	size_t k, nlen;
	int rc = -1;

	*pk = NULL;
	nlen = (size_t)snprintf(name, sizeof(name), "%.*s._domainkey.%.*s",
	    (int)as->slen, (const char *)as->s, (int)as->dlen,
	    (const char *)as->d);
	if (nlen > VOUCH_DNS_MAX_NAME) {
		set_reason(why, whycap, "key name too long");
		return -1;
	}
	st = vouch_dns_query(v->dns, name, nlen, VOUCH_DNS_TXT, &ans);
	if (st == VOUCH_ENOMEM)
		return -2;
	if (st != VOUCH_OK) {
		set_reason(why, whycap, "key lookup failed");
		return -1;
	}
	if (ans->rcode != VOUCH_DNS_ANSWER) {
		set_reason(why, whycap, "%s",
		    ans->rcode == VOUCH_DNS_NODATA ||
		            ans->rcode == VOUCH_DNS_NXDOMAIN
		        ? "no key for signature"
		    : ans->rcode == VOUCH_DNS_TEMPFAIL
		        ? "key unavailable (temporary DNS failure)"
		        : "key lookup failed");
		goto out;
	}
	for (k = 0; k < ans->nrr && rc != 0; k++) {
		if (ans->rr[k].type != VOUCH_DNS_TXT)
			continue;
		w = NULL;
		if (dkim_keyrec_parse(
		        ans->rr[k].data, ans->rr[k].len, &kr, &w) != 0) {
			/* w is set */
		} else if (!(kr.hashes & DKIM_HASH_SHA256)) {
			w = "inappropriate hash algorithm (key h=)";
		} else if (kr.plen == 0) {
			w = "key revoked";
		} else if ((kr.k == DKIM_KEY_ED25519) != as->ed25519) {
			w = "inappropriate key algorithm";
		} else if (!kr.email) {
			w = "key is not for email (key s=)";
		} else if ((st = dkim_key_decode(&kr, pk, &bits, &w)) ==
		           VOUCH_ENOMEM) {
			rc = -2;
			goto out;
		} else if (st != VOUCH_OK) {
			/* w is set */
		} else if (kr.k == DKIM_KEY_RSA &&
		           (bits > RSA_MAX_BITS ||
		               bits < (v->opt.legacy ? RSA_LEGACY_MIN_BITS
		                                     : RSA_MIN_BITS))) {
			w = bits > RSA_MAX_BITS
			        ? "RSA key longer than 4096 bits (RFC 8301)"
			        : "RSA key shorter than 1024 bits (RFC 8301)";
			EVP_PKEY_free(*pk);
			*pk = NULL;
		} else {
			rc = 0;
		}
		if (rc != 0 && first == NULL)
			first = w;
	}
	if (rc != 0)
		set_reason(why, whycap, "%s",
		    first != NULL ? first : "no key for signature");
out:
	vouch_dns_answer_free(ans);
	return rc;
}

/*
 * SHA-256 of the canonical data, then the signature (dkim_verify_hash):
 * verified, did not verify, or could not be checked.
 */
static enum dkim_sigcheck
check_sig(EVP_PKEY *pk, const struct arcsig *as, const struct vbuf *data)
{
	uint8_t hash[EVP_MAX_MD_SIZE];
	unsigned hlen;
	const EVP_MD *md = dkim_md(DKIM_HASH_SHA256);

	ERR_clear_error();
	if (md == NULL || EVP_Digest(data->p != NULL ? data->p : (uint8_t *)"",
	                      data->len, hash, &hlen, md, NULL) != 1)
		return dkim_crypto_nomem();
	return dkim_verify_hash(
	    pk, as->ed25519, DKIM_HASH_SHA256, hash, hlen, as->sig, as->siglen);
}

/*
 * The hasher for (canon, limit), made on first use; -1 when none left, -2
 * when memory ran out.
 */
static int
get_hasher(struct vouch_arc_verifier *v, enum canon_alg canon, uint64_t limit,
    size_t *idx)
{
	size_t k;

	for (k = 0; k < v->nhash; k++)
		if (v->hash[k].canon == canon && v->hash[k].limit == limit) {
			*idx = k;
			return 0;
		}
	if (v->nhash == VOUCH_ARC_MAX_BODY_HASHES)
		return -1;
	if (dkim_hasher_init(&v->hash[v->nhash], canon, limit,
	        dkim_md(DKIM_HASH_SHA256)) != 0)
		return -2;
	*idx = v->nhash++;
	return 0;
}

/*
 * The AMS of instance i: tags, key, header signature (RFC 8617 §4.1.2:
 * a DKIM signature under another name).  Returns -2 when memory ran out
 * (in OpenSSL too).
 */
static int
check_ams(struct vouch_arc_verifier *v, const struct mail_header *h,
    const struct arc_chain *c, unsigned i)
{
	struct vouch_arc_instance *in = &v->res->inst[i - 1];
	struct ams_state *am = &v->ams[i];
	struct arcsig as;
	EVP_PKEY *pk = NULL;
	const char *why = NULL;
	enum dkim_sigcheck sc;
	char kwhy[96];
	uint8_t *hl;
	size_t hlen;
	int rc;

	in->ams_checked = true;
	if (parse_sig(&c->set[i].tl[ARC_AMS - 1], false, &as, &why) != 0) {
		set_reason(am->why, sizeof(am->why), "AMS: %s", why);
		return 0;
	}
	if ((rc = fetch_key(v, &as, &pk, kwhy, sizeof(kwhy))) != 0) {
		if (rc == -2)
			return -2;
		set_reason(am->why, sizeof(am->why), "AMS: %s", kwhy);
		return 0;
	}
	/*
	 * An empty name in h= ("from::to") selects no field: the ValiMail
	 * suite expects a pass (ams_fields_h_mis_hdr), where the DKIM
	 * verifier refuses it; the names are copied without the empty ones.
	 */
	if ((hl = malloc(as.h->valuelen + 1)) == NULL) {
		EVP_PKEY_free(pk);
		return -2;
	}
	hlen = hlist_compact(as.h->value, as.h->valuelen, hl);
	vbuf_reset(&v->canon);
	rc = dkim_header_data(as.hcanon, h, hl, hlen, c->set[i].f[ARC_AMS],
	    as.b->value, as.b->valuelen, &v->canon, &why);
	free(hl);
	if (rc == -2) {
		EVP_PKEY_free(pk);
		return -2;
	}
	if (rc != 0) {
		set_reason(am->why, sizeof(am->why), "AMS: %s", why);
	} else if ((sc = check_sig(pk, &as, &v->canon)) == DKIM_SIG_NOMEM) {
		rc = -2; /* not checked, so not a fail (STYLE.md) */
	} else if (sc != DKIM_SIG_VERIFIED) {
		set_reason(
		    am->why, sizeof(am->why), "AMS signature did not verify");
	} else if ((rc = get_hasher(v, as.bcanon, as.limit, &am->hasher)) ==
	           -1) {
		set_reason(
		    am->why, sizeof(am->why), "AMS: too many body hashes");
		rc = 0;
	} else if (rc == 0) {
		am->header_ok = true;
		memcpy(am->bh, as.bh, as.bhlen);
		am->bhlen = as.bhlen;
	}
	EVP_PKEY_free(pk);
	return rc < -1 ? rc : 0;
}

/*
 * The ARC-Seal of instance i, RFC 8617 §5.1.1: the AAR, AMS and ARC-Seal
 * of every set 1..i in increasing instance order, relaxed, the ARC-Seal
 * of i itself with b= empty and no final CRLF.  Returns -2 on ENOMEM (in
 * OpenSSL too: the seal was not checked).
 */
static int
check_seal(struct vouch_arc_verifier *v, const struct arc_chain *c, unsigned i,
    char *why, size_t whycap)
{
	struct vouch_arc_instance *in = &v->res->inst[i - 1];
	struct arcsig as;
	EVP_PKEY *pk = NULL;
	const char *w = NULL;
	enum dkim_sigcheck sc;
	char kwhy[96];
	unsigned j;
	int k, rc = 0;

	in->seal_checked = true;
	why[0] = '\0';
	if (parse_sig(&c->set[i].tl[ARC_AS - 1], true, &as, &w) != 0) {
		set_reason(why, whycap, "ARC-Seal: %s", w);
		return 0;
	}
	if ((rc = fetch_key(v, &as, &pk, kwhy, sizeof(kwhy))) != 0) {
		if (rc == -2)
			return -2;
		set_reason(why, whycap, "ARC-Seal: %s", kwhy);
		return 0;
	}
	vbuf_reset(&v->canon);
	for (j = 1; j <= i; j++)
		for (k = ARC_AAR; k <= ARC_AS; k++) {
			const struct mail_field *f = c->set[j].f[k];

			if (j == i && k == ARC_AS)
				rc = dkim_self_data(CANON_RELAXED, f,
				    as.b->value, as.b->valuelen, &v->canon);
			else if (canon_header(CANON_RELAXED, f->raw, f->len,
			             &v->canon) != VOUCH_OK)
				rc = v->canon.err == VOUCH_ENOMEM ? -2 : -1;
			if (rc != 0)
				goto out;
		}
	sc = check_sig(pk, &as, &v->canon);
	if (sc == DKIM_SIG_VERIFIED)
		in->seal_ok = true;
	else if (sc == DKIM_SIG_BAD)
		set_reason(why, whycap, "ARC-Seal signature did not verify");
	else
		rc = -2; /* not checked, so not a fail (STYLE.md) */
out:
	if (rc == -1)
		set_reason(why, whycap, "ARC-Seal: signed data too large");
	EVP_PKEY_free(pk);
	return rc < -1 ? rc : 0;
}

/* The AAR text of a set, unfolded (TAB as SP), NUL-terminated, into in->aar. */
static enum vouch_status
copy_aar(struct vouch_arc_instance *in, const struct arc_set *s)
{
	size_t k, n = 0;

	if (s->f[ARC_AAR] == NULL)
		return VOUCH_OK;
	if ((in->aar = malloc(s->aar_restlen + 1)) == NULL)
		return VOUCH_ENOMEM;
	for (k = 0; k < s->aar_restlen; k++)
		if (s->aar_rest[k] == '\t')
			in->aar[n++] = ' ';
		else if (s->aar_rest[k] != '\r' && s->aar_rest[k] != '\n')
			in->aar[n++] = (char)s->aar_rest[k];
	in->aar[n] = '\0';
	in->aar_len = n;
	return VOUCH_OK;
}

/* What the fields of a set say, for the result. */
/* Copies the value of tag `name` of `tl`, when present, into dst. */
static void
copy_tag(const struct tag_list *tl, const char *name, char *dst, size_t cap)
{
	const struct tag *t;

	if ((t = tag_find(tl, name)) != NULL)
		copy_text(dst, cap, t->value, t->valuelen);
}

static enum vouch_status
describe_set(struct vouch_arc_instance *in, const struct arc_set *s, unsigned i)
{
	in->i = i;
	if (s->f[ARC_AS] != NULL) {
		const struct tag_list *tl = &s->tl[ARC_AS - 1];

		copy_tag(tl, "d", in->seal_d, sizeof(in->seal_d));
		copy_tag(tl, "s", in->seal_s, sizeof(in->seal_s));
		copy_tag(tl, "a", in->seal_a, sizeof(in->seal_a));
		if (arc_cv_parse(tl, &in->cv) != 0)
			in->cv = VOUCH_ARC_NONE;
	}
	if (s->f[ARC_AMS] != NULL) {
		const struct tag_list *tl = &s->tl[ARC_AMS - 1];

		copy_tag(tl, "d", in->ams_d, sizeof(in->ams_d));
		copy_tag(tl, "s", in->ams_s, sizeof(in->ams_s));
	}
	return copy_aar(in, s);
}

enum vouch_status
vouch_arc_verify_new(struct vouch_dns *dns,
    const struct vouch_arc_options *opts, struct vouch_arc_verifier **out)
{
	struct vouch_arc_verifier *v;

	*out = NULL;
	if (dns == NULL)
		return VOUCH_EINVAL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return VOUCH_ENOMEM;
	if ((v->res = calloc(1, sizeof(*v->res))) == NULL) {
		free(v);
		return VOUCH_ENOMEM;
	}
	v->dns = dns;
	if (opts != NULL)
		v->opt = *opts;
	if (v->opt.now == 0)
		v->opt.now = (int64_t)time(NULL);
	vbuf_init(&v->canon, CANON_MAX);
	*out = v;
	return VOUCH_OK;
}

/*
 * §5.2 steps 1-3 on the collected chain; fills res->inst.  Returns
 * VOUCH_ENOMEM or VOUCH_OK (a verdict is data).
 */
static enum vouch_status
structure(struct vouch_arc_verifier *v, const struct arc_chain *c)
{
	struct vouch_arc_result *res = v->res;
	enum vouch_arc_cv cv;
	unsigned i, n;
	char why[96];

	res->max_instance = c->max;
	/* The sets found, for the result, even of a broken chain. */
	n = 0;
	for (i = 1; i <= VOUCH_ARC_MAX_INSTANCES; i++)
		if (c->set[i].f[0] || c->set[i].f[1] || c->set[i].f[2])
			n++;
	if (n > 0 && (res->inst = calloc(n, sizeof(*res->inst))) == NULL)
		return VOUCH_ENOMEM;
	for (i = 1; i <= VOUCH_ARC_MAX_INSTANCES; i++) {
		if (!(c->set[i].f[0] || c->set[i].f[1] || c->set[i].f[2]))
			continue;
		if (describe_set(&res->inst[res->ninst++], &c->set[i], i) !=
		    VOUCH_OK)
			return VOUCH_ENOMEM;
	}
	/* Step 2: the newest ARC-Seal says cv=fail. */
	if (c->max >= 1 && c->max <= VOUCH_ARC_MAX_INSTANCES &&
	    c->set[c->max].f[ARC_AS] != NULL &&
	    arc_cv_parse(&c->set[c->max].tl[ARC_AS - 1], &cv) == 0 &&
	    cv == VOUCH_ARC_FAIL) {
		res->last_cv_fail = true;
		set_reason(
		    why, sizeof(why), "ARC-Seal i=%u has cv=fail", c->max);
		chain_fail(v, why);
		return VOUCH_OK;
	}
	/* Step 3.1, 3.2 (and step 1: more than 50 sets). */
	if (c->why != NULL) {
		chain_fail(v, c->why);
		return VOUCH_OK;
	}
	/* Step 3.3: cv=none at i=1, cv=pass above. */
	for (i = 1; i <= c->max; i++) {
		if (arc_cv_parse(&c->set[i].tl[ARC_AS - 1], &cv) != 0) {
			set_reason(why, sizeof(why),
			    "ARC-Seal i=%u has no valid cv=", i);
			chain_fail(v, why);
			return VOUCH_OK;
		}
		if (cv != (i == 1 ? VOUCH_ARC_NONE : VOUCH_ARC_PASS)) {
			set_reason(why, sizeof(why), "ARC-Seal i=%u has cv=%s",
			    i, vouch_arc_cv_str(cv));
			chain_fail(v, why);
			return VOUCH_OK;
		}
	}
	return VOUCH_OK;
}

enum vouch_status
vouch_arc_verify_header(
    struct vouch_arc_verifier *v, const uint8_t *hdr, size_t len)
{
	struct mail_header h;
	enum vouch_status st;

	if (v->state != 0 || (hdr == NULL && len > 0))
		return VOUCH_EINVAL;
	st =
	    mail_header_parse(&h, hdr != NULL ? hdr : (const uint8_t *)"", len);
	st = arc_verify_parsed(v, &h, st);
	mail_header_free(&h);
	return st;
}

/* arc_result_none - in internal.h. */
struct vouch_arc_result *
arc_result_none(void)
{
	struct vouch_arc_result *r = calloc(1, sizeof(*r));

	if (r != NULL) {
		r->cv = VOUCH_ARC_NONE;
		r->max_instance = 0;
	}
	return r;
}

/* arc_verify_parsed - in internal.h, which says why. */
enum vouch_status
arc_verify_parsed(struct vouch_arc_verifier *v, const struct mail_header *h,
    enum vouch_status parsed)
{
	struct arc_chain *c = NULL;
	enum vouch_status st = parsed;
	char swhy[128];
	unsigned i;

	if (v->state != 0)
		return VOUCH_EINVAL;
	v->state = 1;
	ERR_set_mark();
	if (st == VOUCH_ENOMEM)
		goto out;
	if (st != VOUCH_OK) {
		/* RFC 8617 §5.2.1: any error is a fail */
		chain_fail(v, h->error != NULL ? h->error : "malformed header");
		st = VOUCH_OK;
		goto out;
	}
	/*
	 * Step 1: no ARC Set, cv=none.  Most mail has no ARC field, and the
	 * chain (a tag list for every possible instance) is large: it is
	 * made only when there is one.
	 */
	if (arc_field_count(h) == 0) {
		v->decided = true;
		v->res->cv = VOUCH_ARC_NONE;
		v->res->max_instance = 0;
		goto out;
	}
	if ((c = malloc(sizeof(*c))) == NULL) {
		st = VOUCH_ENOMEM;
		goto out;
	}
	arc_collect(h, c);
	if ((st = structure(v, c)) != VOUCH_OK || v->decided)
		goto out;
	if ((v->ams = calloc(VOUCH_ARC_MAX_INSTANCES + 1, sizeof(*v->ams))) ==
	        NULL ||
	    (v->hash = calloc(VOUCH_ARC_MAX_BODY_HASHES, sizeof(*v->hash))) ==
	        NULL) {
		st = VOUCH_ENOMEM;
		goto out;
	}
	/* Every AMS now (step 4 and 5 wait for the body hashes). */
	for (i = c->max; i >= 1; i--) {
		if (check_ams(v, h, c, i) != 0) {
			st = VOUCH_ENOMEM;
			goto out;
		}
		/* an instance's reason is its first problem */
		set_reason(v->res->inst[i - 1].reason,
		    sizeof(v->res->inst[i - 1].reason), "%s", v->ams[i].why);
	}
	/* Step 6: each ARC-Seal, newest first; the first failure counts. */
	for (i = c->max; i >= 1; i--) {
		struct vouch_arc_instance *in = &v->res->inst[i - 1];

		if (check_seal(v, c, i, swhy, sizeof(swhy)) != 0) {
			st = VOUCH_ENOMEM;
			goto out;
		}
		if (!in->seal_ok) {
			v->seal_fail = i;
			set_reason(v->seal_why, sizeof(v->seal_why),
			    "ARC-Seal i=%u: %s", i, swhy);
			if (in->reason[0] == '\0')
				set_reason(
				    in->reason, sizeof(in->reason), "%s", swhy);
			break;
		}
	}
out:
	ERR_pop_to_mark();
	free(c);
	return st;
}

enum vouch_status
vouch_arc_verify_body(struct vouch_arc_verifier *v, const uint8_t *p, size_t n)
{
	size_t k;

	if (v->state != 1 || (p == NULL && n > 0))
		return VOUCH_EINVAL;
	for (k = 0; k < v->nhash && n > 0; k++)
		canon_body_update(&v->hash[k].cb, p, n);
	return VOUCH_OK;
}

enum vouch_status
vouch_arc_verify_finish(
    struct vouch_arc_verifier *v, struct vouch_arc_result **res)
{
	struct vouch_arc_result *r = v->res;
	struct vouch_arc_instance *in;
	struct dkim_hasher *hs;
	unsigned n, m;
	size_t k;
	char why[160];

	*res = NULL;
	if (v->state != 1)
		return VOUCH_EINVAL;
	v->state = 2;
	/* the header's ARC Sets were not checked: memory ran out there */
	if (!v->decided && v->ams == NULL)
		return VOUCH_ENOMEM;
	for (k = 0; k < v->nhash; k++) {
		hs = &v->hash[k];
		dkim_hasher_final(hs);
		/* a body hash not computed is not one that differs */
		if (hs->nomem)
			return VOUCH_ENOMEM; /* r stays v's */
	}
	if (!v->decided) {
		n = (unsigned)r->ninst;
		for (m = 1; m <= n; m++) {
			struct ams_state *am = &v->ams[m];

			in = &r->inst[m - 1];
			if (!am->header_ok)
				continue;
			hs = &v->hash[am->hasher];
			if (hs->dlen != am->bhlen ||
			    memcmp(hs->digest, am->bh, am->bhlen) != 0) {
				set_reason(am->why, sizeof(am->why),
				    "AMS body hash did not verify");
				if (in->reason[0] == '\0')
					set_reason(in->reason,
					    sizeof(in->reason), "%s", am->why);
			} else {
				in->ams_ok = true;
			}
		}
		/* Step 4: the newest AMS. */
		in = &r->inst[n - 1];
		if (!in->ams_ok) {
			set_reason(
			    why, sizeof(why), "AMS i=%u: %s", n, v->ams[n].why);
			chain_fail(v, why);
		} else if (v->seal_fail != 0) {
			/* Step 6 (computed with the header). */
			chain_fail(v, v->seal_why);
		} else {
			/* Step 5: oldest-pass; step 7: pass. */
			r->oldest_pass = 0;
			for (m = n - 1; m >= 1; m--)
				if (!r->inst[m - 1].ams_ok) {
					r->oldest_pass = m + 1;
					break;
				}
			r->cv = VOUCH_ARC_PASS;
			r->reason[0] = '\0';
			v->decided = true;
		}
	}
	*res = r;
	v->res = NULL;
	return VOUCH_OK;
}

void
vouch_arc_result_free(struct vouch_arc_result *res)
{
	size_t k;

	if (res == NULL)
		return;
	for (k = 0; k < res->ninst; k++)
		free(res->inst[k].aar);
	free(res->inst);
	free(res);
}

void
vouch_arc_verify_free(struct vouch_arc_verifier *v)
{
	size_t k;

	if (v == NULL)
		return;
	for (k = 0; k < v->nhash; k++)
		EVP_MD_CTX_free(v->hash[k].ctx);
	free(v->hash);
	free(v->ams);
	vouch_arc_result_free(v->res);
	vbuf_free(&v->canon);
	free(v);
}

static enum vouch_status
feed_header(void *v, const uint8_t *p, size_t len)
{
	return vouch_arc_verify_header(v, p, len);
}

static enum vouch_status
feed_body(void *v, const uint8_t *p, size_t len)
{
	return vouch_arc_verify_body(v, p, len);
}

enum vouch_status
vouch_arc_verify_mem(struct vouch_dns *dns,
    const struct vouch_arc_options *opts, const uint8_t *p, size_t len,
    struct vouch_arc_result **res)
{
	struct vouch_arc_verifier *v = NULL;
	enum vouch_status st;

	*res = NULL;
	if ((st = vouch_arc_verify_new(dns, opts, &v)) != VOUCH_OK)
		return st;
	if ((st = mail_message_feed_mem(p, len, v, feed_header, feed_body)) !=
	    VOUCH_OK)
		goto out;
	st = vouch_arc_verify_finish(v, res);
out:
	vouch_arc_verify_free(v);
	return st;
}

enum vouch_status
vouch_arc_verify_fd(struct vouch_dns *dns, const struct vouch_arc_options *opts,
    int fd, struct vouch_arc_result **res)
{
	struct vouch_arc_verifier *v = NULL;
	enum vouch_status st;

	*res = NULL;
	if ((st = vouch_arc_verify_new(dns, opts, &v)) != VOUCH_OK ||
	    (st = mail_message_feed(fd, v, feed_header, feed_body)) != VOUCH_OK)
		goto out;
	st = vouch_arc_verify_finish(v, res);
out:
	vouch_arc_verify_free(v);
	return st;
}

enum vouch_status
vouch_arc_authres_add(struct vouch_authres_builder *b,
    const struct vouch_arc_result *res, const char *remote_ip)
{
	enum vouch_status st;
	const char *cv;
	char num[16];
	int n;

	if (b == NULL || res == NULL)
		return VOUCH_EINVAL;
	cv = vouch_arc_cv_str(res->cv);
	/* the library's own names: not checked as keywords per message */
	st = authres_add_kw(b, "arc", 3, cv, strlen(cv),
	    res->cv == VOUCH_ARC_FAIL && res->reason[0] != '\0' ? res->reason
	                                                        : NULL);
	if (st != VOUCH_OK)
		return st;
	/* RFC 8617 §6, §10.2 */
	if (remote_ip != NULL &&
	    (st = authres_prop_kw(b, "smtp", 4, "remote-ip", 9,
	         (const uint8_t *)remote_ip, strlen(remote_ip))) != VOUCH_OK)
		return st;
	if (res->cv == VOUCH_ARC_PASS) {
		n = snprintf(num, sizeof(num), "%u", res->oldest_pass);
		st = authres_prop_kw(b, "header", 6, "oldest-pass", 11,
		    (const uint8_t *)num, (size_t)n);
	}
	return st;
}
