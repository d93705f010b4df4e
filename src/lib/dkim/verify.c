/*
 * DKIM verification, RFC 6376 §6.1, with RFC 8301 (algorithms and key
 * sizes) and RFC 8463 (Ed25519).
 *
 * Everything that depends only on the header is done in
 * vouch_dkim_verify_header(): the signature fields are checked, the keys
 * fetched and the header hashes verified.  The body is then canonicalized
 * and hashed once per distinct (canonicalization, l=, hash) combination,
 * and vouch_dkim_verify_finish() compares the body hashes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * SHA256_Init/Update/Final, deprecated in OpenSSL 3.0 but kept there, for
 * the body and header hashes of SHA-256 signatures: the same code EVP's
 * provider calls, over a context inside the hasher (dkim_hasher), as the
 * signer does (sign.c).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "vouch/dkim.h"
#include "dkim/internal.h"
#include "mail/canon.h"
#include "mail/header.h"
#include "mail/message.h"
#include "mail/tagvalue.h"
#include "util/base64.h"
#include "util/buf.h"

/* RSA modulus sizes, RFC 8301 §3.2; 512 is the smallest legacy key. */
#define RSA_MIN_BITS 1024
#define RSA_LEGACY_MIN_BITS 512
#define RSA_MAX_BITS 4096

#define DOMAINKEY "._domainkey."

/* The b= text header.b may show, and its NUL (vouch_dkim_signature.b). */
#define BPREFIX (sizeof(((struct vouch_dkim_signature *)0)->b) + 1)

/* A b= of RSA-4096 is 512 bytes; anything larger is not a signature. */
#define SIG_MAX 1024

enum alg { ALG_RSA_SHA1, ALG_RSA_SHA256, ALG_ED25519_SHA256 };

/* A signature whose verdict waits for the body hash. */
struct pending {
	size_t idx; /* in res->sig */
	size_t hasher;
	uint8_t bh[EVP_MAX_MD_SIZE];
	size_t bhlen;
	bool header_ok;
};

/* The header data: every field canonicalized once, plus one. */
#define CANON_MAX (2 * VOUCH_MAX_HEADER_BYTES + 4096)

/*
 * The header data of a usual signature fits here, on dkim_verify_parsed's
 * stack: not a buffer allocated (8 KiB) and freed per message.
 */
#define CANON_STACK 4096

struct vouch_dkim_verifier {
	struct vouch_dns *dns;
	struct vouch_dkim_options opt;
	int state; /* 0 new, 1 header given, 2 finished */
	struct vouch_dkim_result *res;
	/* b= of each signature, whitespace removed, as far as header.b can
	 * show it (RFC 6008: a prefix; the result holds BPREFIX - 1) */
	char (*bfull)[BPREFIX];
	struct pending *pend;
	size_t npend;
	struct dkim_hasher *hash;
	size_t nhash;
	struct vbuf canon; /* scratch: canonical header data */
	bool canon_fixed; /* canon is over dkim_verify_parsed's stack */
	/* Key answers of this message by name: several signatures with the
	 * same s= and d= cost one query (and one timeout, not several). */
	struct key_answer {
		char name[VOUCH_DNS_MAX_NAME + 1];
		struct vouch_dns_answer *ans;
	} * answers;
	size_t nanswers;
	/*
	 * The arrays above for a header with one signature, the usual case:
	 * four allocations per message saved.  Not cleared with the rest of
	 * the verifier (the hasher alone is over 2 KiB): alloc_result does
	 * what each needs.  Last in the struct (see vouch_dkim_verify_new).
	 */
	struct {
		char bfull[BPREFIX];
		struct pending pend;
		struct key_answer answer;
		struct dkim_hasher hash;
	} one;
};

/* The parsed tags of one DKIM-Signature that verification needs. */
struct sigtags {
	enum alg alg;
	enum canon_alg hcanon, bcanon;
	const struct tag *b, *h;
	const uint8_t *d, *s;
	size_t dlen, slen;
	char idom[VOUCH_DNS_MAX_NAME + 66]; /* domain part of i= */
	uint8_t bh[EVP_MAX_MD_SIZE + 3];
	size_t bhlen;
	size_t siglen;
	uint8_t sig[SIG_MAX]; /* last: not cleared, written by check_tags */
};

static const char *const verdict_names[] = {
    "none", "pass", "fail", "neutral", "policy", "temperror", "permerror"};

const char *
vouch_dkim_verdict_str(enum vouch_dkim_verdict v)
{
	if ((unsigned)v >= sizeof(verdict_names) / sizeof(verdict_names[0]))
		return "unknown";
	return verdict_names[v];
}

void
vouch_dkim_options_init(struct vouch_dkim_options *o)
{
	memset(o, 0, sizeof(*o));
}

static void verdict(struct vouch_dkim_signature *sig, enum vouch_dkim_verdict v,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
verdict(struct vouch_dkim_signature *sig, enum vouch_dkim_verdict v,
    const char *fmt, ...)
{
	va_list ap;

	sig->result = v;
	va_start(ap, fmt);
	vsnprintf(sig->reason, sizeof(sig->reason), fmt, ap);
	va_end(ap);
}

/* Copy a tag value into a fixed text field, cut to fit, NULs as '?'. */
static void
copy_text(char *dst, size_t cap, const uint8_t *p, size_t len)
{
	size_t i;

	if (len >= cap)
		len = cap - 1;
	for (i = 0; i < len; i++)
		dst[i] = p[i] == '\0' ? '?' : (char)p[i];
	dst[len] = '\0';
}

/* A domain name or selector (RFC 6376 §3.5 d=, s=): dkim_name_check. */
static int
valid_domain(const uint8_t *p, size_t len)
{
	return dkim_name_check(p, len, 0) == DKIM_NAME_OK;
}

/* 1*DIGIT into an int64; -1 on syntax error or overflow. */
static int64_t
parse_digits(const struct tag *t)
{
	int64_t v = 0;
	size_t i;

	if (t->valuelen == 0)
		return -1;
	for (i = 0; i < t->valuelen; i++) {
		if (t->value[i] < '0' || t->value[i] > '9')
			return -1;
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (t->value[i] - '0');
	}
	return v;
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decode dkim-quoted-printable (RFC 6376 §2.11): "=XX" is a byte, FWS is
 * dropped.  Returns the length, or -1 on a bad escape or overflow.
 */
static long
qp_decode(const uint8_t *p, size_t len, char *out, size_t cap)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (dkim_is_fws(p[i]))
			continue;
		if (o + 1 >= cap)
			return -1;
		if (p[i] == '=') {
			if (i + 2 >= len)
				return -1;
			hi = hexval(p[i + 1]);
			lo = hexval(p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
			continue;
		}
		out[o++] = p[i] == '\0' ? '?' : (char)p[i];
	}
	out[o] = '\0';
	return (long)o;
}

/* Does the list (colon-separated, FWS around colons) hold `want`? */
static int
list_has(const struct tag *t, const char *want)
{
	const uint8_t *p = t->value, *end = t->value + t->valuelen, *s;
	size_t n;

	while (dkim_list_next(&p, end, &s, &n))
		if (dkim_ieq(s, n, want))
			return 1;
	return 0;
}

/* Base64 into a fixed buffer; -1 when not base64 or too long. */
static int
decode_b64(const struct tag *t, uint8_t *out, size_t cap, size_t *len)
{
	return base64_decode(t->value, t->valuelen, out, cap, len) == VOUCH_OK
	           ? 0
	           : -1;
}

static const EVP_MD *
alg_md(enum alg a)
{
	return dkim_md(a == ALG_RSA_SHA1 ? DKIM_HASH_SHA1 : DKIM_HASH_SHA256);
}

/*
 * The tags of a DKIM-Signature that verification reads, found in one pass
 * over the list (tag names are unique in a list, RFC 6376 §3.2): check_tags
 * looks at about twenty, and a search each was a fixed cost per message.
 */
struct sigtag_ix {
	const struct tag *v, *a, *b, *bh, *c, *d, *h, *i, *l, *q, *s, *t, *x;
};

static void
index_tags(const struct tag_list *tl, struct sigtag_ix *ix)
{
	const struct tag *t;
	size_t k;

	memset(ix, 0, sizeof(*ix));
	for (k = 0; k < tl->ntags; k++) {
		t = &tl->tag[k];
		if (t->namelen == 2 && t->name[0] == 'b' && t->name[1] == 'h') {
			ix->bh = t;
			continue;
		}
		if (t->namelen != 1)
			continue;
		switch (t->name[0]) {
		case 'v':
			ix->v = t;
			break;
		case 'a':
			ix->a = t;
			break;
		case 'b':
			ix->b = t;
			break;
		case 'c':
			ix->c = t;
			break;
		case 'd':
			ix->d = t;
			break;
		case 'h':
			ix->h = t;
			break;
		case 'i':
			ix->i = t;
			break;
		case 'l':
			ix->l = t;
			break;
		case 'q':
			ix->q = t;
			break;
		case 's':
			ix->s = t;
			break;
		case 't':
			ix->t = t;
			break;
		case 'x':
			ix->x = t;
			break;
		default:
			break;
		}
	}
}

/*
 * RFC 6376 §6.1.1: check the fields of one DKIM-Signature.  Fills the
 * display fields of `sig` as it goes; returns 0, or -1 with the verdict
 * set.
 */
static int
check_tags(struct vouch_dkim_verifier *v, const struct sigtag_ix *ix,
    struct vouch_dkim_signature *sig, struct sigtags *st)
{
	static const char *const required[] = {"a", "b", "bh", "d", "h", "s"};
	const struct tag *const need[] = {
	    ix->a, ix->b, ix->bh, ix->d, ix->h, ix->s};
	const struct tag *t;
	char ibuf[sizeof(sig->i)];
	const char *at;
	long n;
	size_t k;
	int64_t now = v->opt.now;

	/* Display fields first, so a broken signature still shows them. */
	if ((t = ix->d) != NULL)
		copy_text(sig->d, sizeof(sig->d), t->value, t->valuelen);
	if ((t = ix->s) != NULL)
		copy_text(sig->s, sizeof(sig->s), t->value, t->valuelen);
	if ((t = ix->a) != NULL)
		copy_text(sig->a, sizeof(sig->a), t->value, t->valuelen);
	if ((t = ix->c) != NULL)
		copy_text(sig->c, sizeof(sig->c), t->value, t->valuelen);
	if ((t = ix->t) != NULL)
		sig->t = parse_digits(t);
	if ((t = ix->x) != NULL)
		sig->x = parse_digits(t);
	if ((t = ix->l) != NULL)
		sig->l = parse_digits(t);

	/*
	 * §6.1.1: v= first, then the required tags of §3.5.  The drafts
	 * before RFC 4871 had no v= (draft-ietf-dkim-base-00..04) or v=0.5;
	 * only the legacy option accepts them, for old test corpora.
	 */
	t = ix->v;
	if (t == NULL && !v->opt.legacy) {
		verdict(sig, VOUCH_DKIM_PERMERROR,
		    "signature missing required tag v= (pre-standard draft)");
		return -1;
	}
	if (t != NULL && !tag_value_eq(t, "1") &&
	    !(v->opt.legacy && tag_value_eq(t, "0.5"))) {
		verdict(sig, VOUCH_DKIM_PERMERROR,
		    "incompatible version v=%.*s",
		    (int)(t->valuelen > 16 ? 16 : t->valuelen),
		    (const char *)t->value);
		return -1;
	}
	for (k = 0; k < sizeof(required) / sizeof(required[0]); k++)
		if (need[k] == NULL) {
			verdict(sig, VOUCH_DKIM_PERMERROR,
			    "signature missing required tag %s=", required[k]);
			return -1;
		}

	/* a=: RFC 8301 §3.1, RFC 8463 §3 */
	t = ix->a;
	if (dkim_ieq(t->value, t->valuelen, "rsa-sha256"))
		st->alg = ALG_RSA_SHA256;
	else if (dkim_ieq(t->value, t->valuelen, "ed25519-sha256"))
		st->alg = ALG_ED25519_SHA256;
	else if (dkim_ieq(t->value, t->valuelen, "rsa-sha1")) {
		if (!v->opt.legacy) {
			verdict(sig, VOUCH_DKIM_PERMERROR,
			    "rsa-sha1 is not accepted (RFC 8301 section 3.1)");
			return -1;
		}
		st->alg = ALG_RSA_SHA1;
	} else {
		verdict(sig, VOUCH_DKIM_PERMERROR, "unknown algorithm a=%s",
		    sig->a);
		return -1;
	}

	/* c= (§3.5): absent = simple/simple */
	t = ix->c;
	if (canon_parse(t ? t->value : NULL, t ? t->valuelen : 0, &st->hcanon,
	        &st->bcanon) != 0) {
		verdict(sig, VOUCH_DKIM_PERMERROR,
		    "unknown canonicalization c=%s", sig->c);
		return -1;
	}

	/*
	 * q= (§3.5): must offer dns/txt, the only method defined (the
	 * pre-standard drafts said "dns": legacy only).
	 */
	if ((t = ix->q) != NULL && !list_has(t, "dns/txt") &&
	    !(v->opt.legacy && list_has(t, "dns"))) {
		verdict(
		    sig, VOUCH_DKIM_PERMERROR, "unsupported query method q=");
		return -1;
	}

	t = ix->d;
	if (!valid_domain(t->value, t->valuelen)) {
		verdict(sig, VOUCH_DKIM_PERMERROR, "bad domain in d=");
		return -1;
	}
	st->d = t->value;
	st->dlen = t->valuelen;
	t = ix->s;
	if (!valid_domain(t->value, t->valuelen)) {
		verdict(sig, VOUCH_DKIM_PERMERROR, "bad selector in s=");
		return -1;
	}
	st->s = t->value;
	st->slen = t->valuelen;

	/* i= (§3.5): dkim-quoted-printable; its domain within d= (§6.1.1). */
	if ((t = ix->i) != NULL) {
		n = qp_decode(t->value, t->valuelen, ibuf, sizeof(ibuf));
		if (n < 0 || (at = strrchr(ibuf, '@')) == NULL) {
			copy_text(
			    sig->i, sizeof(sig->i), t->value, t->valuelen);
			verdict(sig, VOUCH_DKIM_PERMERROR, "bad i= identity");
			return -1;
		}
		memcpy(sig->i, ibuf, (size_t)n + 1);
		at++;
		k = strlen(at);
		if (!(k == st->dlen &&
		        dkim_mem_ieq((const uint8_t *)at, st->d, k)) &&
		    !(k > st->dlen && at[k - st->dlen - 1] == '.' &&
		        dkim_mem_ieq((const uint8_t *)at + k - st->dlen, st->d,
		            st->dlen))) {
			verdict(sig, VOUCH_DKIM_PERMERROR,
			    "i= domain is not within d= (domain mismatch)");
			return -1;
		}
		/* at most sizeof(ibuf) - 1 bytes: it fits (idom is larger) */
		memcpy(st->idom, at, k + 1);
	} else {
		/* d= passed valid_domain: sig->d holds it whole (st->dlen) */
		sig->i[0] = '@';
		memcpy(sig->i + 1, sig->d, st->dlen + 1);
		memcpy(st->idom, sig->d, st->dlen + 1);
	}

	/* h= (§3.5): names separated by ':'; From required (§6.1.1). */
	st->h = ix->h;
	if (!list_has(st->h, "from")) {
		verdict(sig, VOUCH_DKIM_PERMERROR, "From field not signed");
		return -1;
	}

	if (ix->l != NULL && sig->l < 0) {
		verdict(sig, VOUCH_DKIM_PERMERROR, "bad l= value");
		return -1;
	}
	if (ix->t != NULL && sig->t < 0) {
		verdict(sig, VOUCH_DKIM_PERMERROR, "bad t= value");
		return -1;
	}
	if (ix->x != NULL && sig->x < 0) {
		verdict(sig, VOUCH_DKIM_PERMERROR, "bad x= value");
		return -1;
	}
	/* §3.5 x=: MUST be greater than t= */
	if (sig->t >= 0 && sig->x >= 0 && sig->x <= sig->t) {
		verdict(sig, VOUCH_DKIM_PERMERROR, "x= is not after t=");
		return -1;
	}
	if (sig->x >= 0 && sig->x < now - VOUCH_DKIM_CLOCK_SKEW) {
		verdict(sig, VOUCH_DKIM_PERMERROR, "signature expired");
		return -1;
	}
	if (sig->t >= 0 && sig->t > now + VOUCH_DKIM_CLOCK_SKEW) {
		verdict(sig, VOUCH_DKIM_PERMERROR,
		    "signature timestamp t= in the future");
		return -1;
	}

	if (decode_b64(ix->bh, st->bh, sizeof(st->bh), &st->bhlen) != 0) {
		verdict(sig, VOUCH_DKIM_PERMERROR, "bh= is not base64");
		return -1;
	}
	st->b = ix->b;
	if (decode_b64(st->b, st->sig, sizeof(st->sig), &st->siglen) != 0 ||
	    st->siglen == 0) {
		verdict(
		    sig, VOUCH_DKIM_PERMERROR, "b= is not a base64 signature");
		return -1;
	}
	return 0;
}

/* The key of a remembered record (dkim_keyrec_lookup), handed over. */
static enum vouch_status
take_key(EVP_PKEY **kpk, unsigned kbits, EVP_PKEY **pk, unsigned *bits)
{
	*pk = *kpk;
	*kpk = NULL;
	*bits = kbits;
	return VOUCH_OK;
}

/* dkim_key_decode, and the record remembered when its key decodes. */
static enum vouch_status
decode_key(const struct dkim_keyrec *kr, const uint8_t *txt, size_t len,
    EVP_PKEY **pk, unsigned *bits, const char **why)
{
	enum vouch_status s = dkim_key_decode(kr, pk, bits, why);

	if (s == VOUCH_OK)
		dkim_keyrec_remember(txt, len, kr, *pk);
	return s;
}

/*
 * RFC 6376 §6.1.2: fetch and check the key.  Returns 0 with *pk set, or -1
 * with the verdict set.  Several TXT records: the first one, in the order
 * the resolver gives them, that passes every check of §6.1.2 steps 5-8 is
 * used (step 4 allows cycling through them); when none does, the verdict
 * is that of the first record.
 */
static int
fetch_key(struct vouch_dkim_verifier *v, struct vouch_dkim_signature *sig,
    const struct sigtags *st, EVP_PKEY **pk)
{
	char name[2 * VOUCH_DNS_MAX_NAME + 16];
	struct vouch_dns_answer *ans = NULL;
	struct dkim_keyrec kr;
	const char *why = NULL, *first = NULL;
	enum vouch_dkim_verdict fv = VOUCH_DKIM_PERMERROR;
	enum vouch_status s;
	EVP_PKEY *kpk = NULL;
	unsigned bits, need, kbits = 0;
	size_t k, nlen;
	int rc = -1, hit;

	*pk = NULL;
	/* RFC 6376 §3.6.2.1: s._domainkey.d (each at most 253 bytes) */
	nlen = st->slen + sizeof(DOMAINKEY) - 1 + st->dlen;
	if (nlen > VOUCH_DNS_MAX_NAME) {
		verdict(sig, VOUCH_DKIM_PERMERROR, "key name too long");
		return -1;
	}
	memcpy(name, st->s, st->slen);
	memcpy(name + st->slen, DOMAINKEY, sizeof(DOMAINKEY) - 1);
	memcpy(name + nlen - st->dlen, st->d, st->dlen);
	name[nlen] = '\0';
	for (k = 0; k < v->nanswers; k++)
		if (strcasecmp(v->answers[k].name, name) == 0)
			ans = v->answers[k].ans;
	if (ans == NULL) {
		if (vouch_dns_query(v->dns, name, nlen, VOUCH_DNS_TXT, &ans) !=
		    VOUCH_OK)
			return -2;
		/* There is room: one entry per signature checked. */
		memcpy(v->answers[v->nanswers].name, name, nlen + 1);
		v->answers[v->nanswers++].ans = ans;
	}
	switch (ans->rcode) {
	case VOUCH_DNS_ANSWER:
		break;
	case VOUCH_DNS_NODATA:
	case VOUCH_DNS_NXDOMAIN:
		/* §6.1.2 step 3 */
		verdict(sig, VOUCH_DKIM_PERMERROR, "no key for signature");
		goto out;
	case VOUCH_DNS_TEMPFAIL:
		/* §6.1.2 step 2 */
		verdict(sig, VOUCH_DKIM_TEMPERROR, "key unavailable (%s)",
		    ans->reason ? ans->reason : "DNS error");
		goto out;
	default:
		verdict(sig, VOUCH_DKIM_PERMERROR, "key lookup failed (%s)",
		    ans->reason ? ans->reason : "DNS error");
		goto out;
	}
	need = st->alg == ALG_RSA_SHA1 ? DKIM_HASH_SHA1 : DKIM_HASH_SHA256;
	for (k = 0; k < ans->nrr && rc != 0; k++) {
		if (ans->rr[k].type != VOUCH_DNS_TXT)
			continue;
		why = NULL;
		/* a record seen before needs no parse and no key decode */
		hit = dkim_keyrec_lookup(
		    ans->rr[k].data, ans->rr[k].len, &kr, &kpk, &kbits);
		if (!hit && dkim_keyrec_parse(ans->rr[k].data, ans->rr[k].len,
		                &kr, &why) != 0) {
			/* §6.1.2 step 5; why is set */
		} else if (!(kr.hashes & need)) {
			why = "inappropriate hash algorithm (key h=)"; /* 6 */
		} else if (kr.plen == 0) {
			why = "key revoked"; /* step 7 */
		} else if ((kr.k == DKIM_KEY_ED25519) !=
		           (st->alg == ALG_ED25519_SHA256)) {
			why = "inappropriate key algorithm"; /* step 8 */
		} else if (!kr.email) {
			why = "key is not for email (key s=)"; /* §3.6.1 */
		} else if (kr.strict &&
		           !(strlen(st->idom) == st->dlen &&
		               dkim_mem_ieq((const uint8_t *)st->idom, st->d,
		                   st->dlen))) {
			why = "key t=s: i= domain must equal d="; /* §3.6.1 */
		} else if ((s = hit ? take_key(&kpk, kbits, pk, &bits)
		                    : decode_key(&kr, ans->rr[k].data,
		                          ans->rr[k].len, pk, &bits, &why)) ==
		           VOUCH_ENOMEM) {
			rc = -2;
			goto out;
		} else if (s != VOUCH_OK) {
			/* why is set: key syntax error */
		} else if (kr.k == DKIM_KEY_RSA &&
		           (bits > RSA_MAX_BITS ||
		               bits < (v->opt.legacy ? RSA_LEGACY_MIN_BITS
		                                     : RSA_MIN_BITS))) {
			why = bits > RSA_MAX_BITS
			          ? "RSA key longer than 4096 bits (RFC 8301)"
			          : "RSA key shorter than 1024 bits (RFC 8301)";
			sig->key_bits = bits;
			EVP_PKEY_free(*pk);
			*pk = NULL;
		} else {
			sig->key_bits = bits;
			sig->testing = kr.testing;
			rc = 0;
		}
		EVP_PKEY_free(kpk); /* a remembered key not used */
		kpk = NULL;
		if (rc != 0 && first == NULL)
			first = why;
	}
	if (rc != 0) {
		if (first == NULL)
			first = "no key for signature";
		verdict(sig, fv, "%s", first);
	}
out:
	return rc; /* the answer stays in v->answers */
}

/*
 * RFC 6376 §3.7, §5.4.2: the canonical header data - the fields named by
 * h=, each name taking the next instance from the bottom up, then the
 * DKIM-Signature field itself with the value of b= empty and without its
 * final CRLF (dkim_header_data, shared with ARC).  Returns 0, or -1 with
 * the verdict set, or -2 when memory ran out.
 */
static int
header_data(struct vouch_dkim_verifier *v, const struct mail_header *h,
    const struct mail_field *self, const struct sigtags *st,
    struct vouch_dkim_signature *sig)
{
	const char *why = "signed header data too large";
	int rc;

	vbuf_reset(&v->canon);
	rc = dkim_header_data(st->hcanon, h, st->h->value, st->h->valuelen,
	    self, st->b->value, st->b->valuelen, &v->canon, &why);
	if (rc == -1 && v->canon_fixed && v->canon.err == VOUCH_ELIMIT) {
		/* over the stack's room, not (yet) over the limit: again, in
		 * a buffer that grows up to CANON_MAX */
		vbuf_init(&v->canon, CANON_MAX);
		v->canon_fixed = false;
		why = "signed header data too large";
		rc = dkim_header_data(st->hcanon, h, st->h->value,
		    st->h->valuelen, self, st->b->value, st->b->valuelen,
		    &v->canon, &why);
	}
	if (rc == -1)
		verdict(sig, VOUCH_DKIM_PERMERROR, "%s", why);
	return rc;
}

/* dkim_crypto_nomem - declared in internal.h, which says why. */
enum dkim_sigcheck
dkim_crypto_nomem(void)
{
	ERR_clear_error();
	return DKIM_SIG_NOMEM;
}

/* Did an allocation fail, says OpenSSL's error queue?  It is cleared. */
static bool
openssl_nomem(void)
{
	unsigned long e;
	bool nomem = false;

	while ((e = ERR_get_error()) != 0)
		if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
			nomem = true;
	return nomem;
}

/*
 * RFC 8463 §3: PureEdDSA over the SHA-256 of the data, through libsodium
 * (dkim/ed25519.h, which says where it is stricter than OpenSSL: keys and
 * R of small order are refused).  It allocates nothing, so a signature
 * that does not verify is a fail and nothing else.
 */
static enum dkim_sigcheck
ed25519_verify(EVP_PKEY *pk, const uint8_t *hash, size_t hlen,
    const uint8_t *sig, size_t siglen)
{
	uint8_t raw[DKIM_ED25519_PK_LEN];

	if (dkim_ed25519_public(pk, raw) != 0)
		return dkim_crypto_nomem();
	switch (dkim_ed25519_verify(raw, hash, hlen, sig, siglen)) {
	case 1:
		return DKIM_SIG_VERIFIED;
	case 0:
		return DKIM_SIG_BAD;
	default:
		return DKIM_SIG_NOMEM; /* libsodium could not start: not checked
		                        */
	}
}

/*
 * dkim_verify_hash - RFC 6376 §6.1.3 step 4, shared with ARC: the
 * signature `sig` over the header hash `hash` (declared in internal.h).
 */
enum dkim_sigcheck
dkim_verify_hash(EVP_PKEY *pk, bool ed25519, unsigned hash_alg,
    const uint8_t *hash, size_t hlen, const uint8_t *sig, size_t siglen)
{
	EVP_PKEY_CTX *pc;
	int ok;

	dkim_err_clear(); /* what is left afterwards is this check's */
	if (ed25519)
		return ed25519_verify(pk, hash, hlen, sig, siglen);
	/* RFC 6376 §3.3.1: RSASSA-PKCS1-v1_5 */
	if ((pc = dkim_rsa_verify_ctx(pk, hash_alg)) == NULL)
		return dkim_crypto_nomem();
	ok = EVP_PKEY_verify(pc, sig, siglen, hash, hlen);
	EVP_PKEY_CTX_free(pc);
	if (ok == 1)
		return DKIM_SIG_VERIFIED;
	/*
	 * Not 1: a signature that does not verify (of the wrong length, say),
	 * unless an allocation failed on the way, which OpenSSL 3.0's RSA
	 * code reports as ERR_R_MALLOC_FAILURE.
	 */
	return openssl_nomem() ? DKIM_SIG_NOMEM : DKIM_SIG_BAD;
}

/*
 * §6.1.3 step 4: the signature over the header hash.  The hash is taken
 * with the digest context of the signature's body hasher, which has seen
 * no body yet and is set up again afterwards: not a context made and
 * freed for each signature (what EVP_Digest does).
 */
static enum dkim_sigcheck
check_signature(EVP_PKEY *pk, const struct sigtags *st, struct dkim_hasher *hs,
    const uint8_t *data, size_t len)
{
	uint8_t hash[EVP_MAX_MD_SIZE];
	unsigned hlen;

	dkim_err_clear();
	if (hs->ctx == NULL) {
		SHA256_Update(&hs->sha, data, len);
		SHA256_Final(hash, &hs->sha);
		SHA256_Init(&hs->sha);
		hlen = SHA256_DIGEST_LENGTH;
	} else if (EVP_DigestUpdate(hs->ctx, data, len) != 1 ||
	           EVP_DigestFinal_ex(hs->ctx, hash, &hlen) != 1 ||
	           EVP_DigestInit_ex(hs->ctx, hs->md, NULL) != 1)
		return dkim_crypto_nomem();
	return dkim_verify_hash(pk, st->alg == ALG_ED25519_SHA256,
	    st->alg == ALG_RSA_SHA1 ? DKIM_HASH_SHA1 : DKIM_HASH_SHA256, hash,
	    hlen, st->sig, st->siglen);
}

static void
hash_sink(void *arg, const uint8_t *p, size_t n)
{
	struct dkim_hasher *hs = arg;

	if (hs->ctx == NULL)
		SHA256_Update(&hs->sha, p, n);
	else if (!hs->nomem && EVP_DigestUpdate(hs->ctx, p, n) != 1)
		hs->nomem = dkim_crypto_nomem() == DKIM_SIG_NOMEM;
}

int
dkim_hasher_init(struct dkim_hasher *hs, enum canon_alg canon, uint64_t limit,
    const EVP_MD *md)
{
	/* field by field: canon_body_init leaves the 4 KiB stage as it is */
	hs->canon = canon;
	hs->limit = limit;
	hs->md = md;
	hs->dlen = 0;
	hs->nomem = false;
	hs->ctx = NULL;
	if (md != NULL && md == dkim_md(DKIM_HASH_SHA256))
		SHA256_Init(&hs->sha); /* cannot fail: nothing allocated */
	else if ((hs->ctx = EVP_MD_CTX_new()) == NULL ||
	         EVP_DigestInit_ex(hs->ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(hs->ctx);
		hs->ctx = NULL;
		ERR_clear_error();
		return -1; /* a context and a digest's init: only memory fails
		            */
	}
	canon_body_init(&hs->cb, canon, limit, hash_sink, hs);
	return 0;
}

void
dkim_hasher_final(struct dkim_hasher *hs)
{
	canon_body_final(&hs->cb);
	if (hs->ctx == NULL) {
		SHA256_Final(hs->digest, &hs->sha);
		hs->dlen = SHA256_DIGEST_LENGTH;
	} else if (!hs->nomem &&
	           EVP_DigestFinal_ex(hs->ctx, hs->digest, &hs->dlen) != 1)
		hs->nomem = dkim_crypto_nomem() == DKIM_SIG_NOMEM;
}

/* The hasher for these parameters, shared or new; SIZE_MAX on ENOMEM. */
static size_t
get_hasher(struct vouch_dkim_verifier *v, enum canon_alg canon, uint64_t limit,
    const EVP_MD *md)
{
	size_t i;

	for (i = 0; i < v->nhash; i++)
		if (v->hash[i].canon == canon && v->hash[i].limit == limit &&
		    v->hash[i].md == md)
			return i;
	if (dkim_hasher_init(&v->hash[v->nhash], canon, limit, md) != 0)
		return SIZE_MAX;
	return v->nhash++;
}

/*
 * b= without its FWS into bf (BPREFIX bytes: a prefix of at most BPREFIX -
 * 1 and a NUL), for header.b (RFC 6008).  A value holds VALCHAR and FWS
 * only (tag_list_parse): with SSE2, 16 bytes at a time while a block is
 * all VALCHAR (0x21..0x7e, signed compares), which a b= without folds is;
 * a block with another byte, and the last ones, byte by byte.
 */
static void
b_prefix(char *bf, const uint8_t *p, size_t n)
{
	size_t k = 0, hi = 0;

#ifdef __SSE2__
	const __m128i lo = _mm_set1_epi8(0x20), top = _mm_set1_epi8(0x7f);
	__m128i x;

	while (n - k >= 16 && hi + 16 <= BPREFIX - 1) {
		x = _mm_loadu_si128((const __m128i *)(const void *)(p + k));
		if (_mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(x, lo),
		        _mm_cmplt_epi8(x, top))) == 0xffff) {
			_mm_storeu_si128((__m128i *)(void *)(bf + hi), x);
			k += 16;
			hi += 16;
			continue;
		}
		for (size_t e = k + 16; k < e; k++)
			if (!dkim_is_fws(p[k]))
				bf[hi++] = (char)p[k];
	}
#endif
	for (; k < n && hi < BPREFIX - 1; k++)
		if (!dkim_is_fws(p[k]))
			bf[hi++] = (char)p[k];
	bf[hi] = '\0';
}

/*
 * One DKIM-Signature field.  Returns 0 (verdict set, or pending added) or
 * -1 on ENOMEM.
 */
static int
check_one(struct vouch_dkim_verifier *v, const struct mail_header *h,
    const struct mail_field *f, size_t idx)
{
	struct vouch_dkim_signature *sig = &v->res->sig[idx];
	struct sigtags st;
	struct tag_list tl;
	struct sigtag_ix ix;
	const struct tag *t;
	const char *why = NULL;
	EVP_PKEY *pk = NULL;
	struct pending *pd;
	enum dkim_sigcheck sc;
	size_t hi;
	int rc;
	char *bf;

	memset(&st, 0, offsetof(struct sigtags, sig));
	if (tag_list_parse(f->value, f->valuelen, &tl, &why) != VOUCH_OK) {
		verdict(sig, VOUCH_DKIM_PERMERROR, "signature syntax error: %s",
		    why ? why : "bad tag list");
		return 0;
	}
	index_tags(&tl, &ix);
	if ((t = ix.b) != NULL) {
		/* b= without its whitespace, for header.b (RFC 6008). */
		bf = v->bfull[idx];
		b_prefix(bf, t->value, t->valuelen);
	}
	if (idx >= (v->opt.max_signatures ? v->opt.max_signatures
	                                  : VOUCH_DKIM_MAX_SIGNATURES)) {
		if ((t = ix.d) != NULL)
			copy_text(
			    sig->d, sizeof(sig->d), t->value, t->valuelen);
		if ((t = ix.s) != NULL)
			copy_text(
			    sig->s, sizeof(sig->s), t->value, t->valuelen);
		verdict(
		    sig, VOUCH_DKIM_NONE, "not checked: too many signatures");
		return 0;
	}
	if (check_tags(v, &ix, sig, &st) != 0)
		return 0;
	if ((rc = fetch_key(v, sig, &st, &pk)) != 0)
		return rc == -2 ? -1 : 0;
	rc = header_data(v, h, f, &st, sig);
	if (rc != 0) {
		EVP_PKEY_free(pk);
		return rc == -2 ? -1 : 0;
	}
	hi = get_hasher(v, st.bcanon,
	    sig->l >= 0 ? (uint64_t)sig->l : UINT64_MAX, alg_md(st.alg));
	if (hi == SIZE_MAX) {
		EVP_PKEY_free(pk);
		return -1;
	}
	sc = check_signature(pk, &st, &v->hash[hi], v->canon.p, v->canon.len);
	EVP_PKEY_free(pk);
	if (sc == DKIM_SIG_NOMEM)
		return -1; /* not checked, so not a fail (STYLE.md) */
	pd = &v->pend[v->npend];
	pd->idx = idx;
	pd->header_ok = sc == DKIM_SIG_VERIFIED;
	memcpy(pd->bh, st.bh, st.bhlen);
	pd->bhlen = st.bhlen;
	pd->hasher = hi;
	v->npend++;
	return 0;
}

enum vouch_status
vouch_dkim_verify_new(struct vouch_dns *dns,
    const struct vouch_dkim_options *opts, struct vouch_dkim_verifier **out)
{
	struct vouch_dkim_verifier *v;

	*out = NULL;
	if (dns == NULL)
		return VOUCH_EINVAL;
	if ((v = malloc(sizeof(*v))) == NULL)
		return VOUCH_ENOMEM;
	memset(v, 0, offsetof(struct vouch_dkim_verifier, one));
	v->dns = dns;
	if (opts != NULL)
		v->opt = *opts;
	if (v->opt.now == 0)
		v->opt.now = (int64_t)time(NULL);
	if (v->opt.max_signatures == 0 ||
	    v->opt.max_signatures > VOUCH_MAX_HEADER_FIELDS)
		v->opt.max_signatures = v->opt.max_signatures == 0
		                            ? VOUCH_DKIM_MAX_SIGNATURES
		                            : VOUCH_MAX_HEADER_FIELDS;
	vbuf_init(&v->canon, CANON_MAX);
	*out = v;
	return VOUCH_OK;
}

/*
 * The result and the per-signature arrays.  The result and its signatures
 * are one allocation (vouch_dkim_result_free knows); with one signature
 * the arrays are those inside the verifier.  Only bfull must start empty
 * (set_b_prefixes reads every entry); the others are written before they
 * are read (pend, answers: up to npend, nanswers; hash: dkim_hasher_init).
 */
_Static_assert(
    sizeof(struct vouch_dkim_result) % _Alignof(struct vouch_dkim_signature) ==
        0,
    "the signatures follow the result in one allocation");

static enum vouch_status
alloc_result(struct vouch_dkim_verifier *v, size_t nsig)
{
	size_t k, nmax = v->opt.max_signatures, n;

	if (nsig > SIZE_MAX / sizeof(*v->res->sig) - 1 ||
	    (v->res = calloc(
	         1, sizeof(*v->res) + nsig * sizeof(*v->res->sig))) == NULL)
		return VOUCH_ENOMEM;
	if (nsig == 0)
		return VOUCH_OK;
	v->res->sig = (struct vouch_dkim_signature *)(void *)(v->res + 1);
	n = nsig < nmax ? nsig : nmax;
	if (nsig == 1) {
		v->one.bfull[0] = '\0';
		v->bfull = &v->one.bfull;
		v->pend = &v->one.pend;
		v->hash = &v->one.hash;
		v->answers = &v->one.answer;
	} else if ((v->bfull = calloc(nsig, sizeof(*v->bfull))) == NULL ||
	           (v->pend = malloc(n * sizeof(*v->pend))) == NULL ||
	           (v->hash = malloc(n * sizeof(*v->hash))) == NULL ||
	           (v->answers = malloc(n * sizeof(*v->answers))) == NULL)
		return VOUCH_ENOMEM;
	v->res->nsig = nsig;
	for (k = 0; k < nsig; k++) {
		v->res->sig[k].t = v->res->sig[k].x = v->res->sig[k].l = -1;
		v->res->sig[k].body_length = -1;
	}
	return VOUCH_OK;
}

enum vouch_status
vouch_dkim_verify_header(
    struct vouch_dkim_verifier *v, const uint8_t *hdr, size_t len)
{
	struct mail_header h;
	enum vouch_status st;

	if (v->state != 0 || (hdr == NULL && len > 0))
		return VOUCH_EINVAL;
	st = mail_header_parse(&h, hdr, len);
	st = dkim_verify_parsed(v, &h, st);
	mail_header_free(&h);
	return st;
}

/*
 * A DKIM-Signature field?  Its length first: most fields of a header are
 * not, and each was a call to compare names.
 */
static bool
is_dkim_sig(const struct mail_field *f)
{
	return f->namelen == sizeof("DKIM-Signature") - 1 &&
	       mail_name_eq(f->name, f->namelen, "DKIM-Signature");
}

/* dkim_verify_parsed - in internal.h, which says why. */
enum vouch_status
dkim_verify_parsed(struct vouch_dkim_verifier *v, const struct mail_header *h,
    enum vouch_status parsed)
{
	enum vouch_status st = parsed;
	size_t k, nsig = 0, idx = 0;
	uint8_t stack[CANON_STACK];

	if (v->state != 0)
		return VOUCH_EINVAL;
	v->state = 1;
	if (st == VOUCH_ENOMEM)
		goto out;
	if (st != VOUCH_OK) {
		/* A header beyond the limits: a verdict, not a failure. */
		if ((st = alloc_result(v, 0)) != VOUCH_OK)
			goto out;
		v->res->result = VOUCH_DKIM_PERMERROR;
		snprintf(v->res->reason, sizeof(v->res->reason), "%s",
		    h->error ? h->error : "malformed header");
		st = VOUCH_OK;
		goto out;
	}
	for (k = 0; k < h->nfield; k++)
		if (is_dkim_sig(&h->field[k]))
			nsig++;
	if ((st = alloc_result(v, nsig)) != VOUCH_OK)
		goto out;
	/* usual header data on the stack; header_data goes on to a buffer
	 * that grows when it is not enough */
	if (nsig > 0) {
		vbuf_init_fixed(&v->canon, stack, sizeof(stack));
		v->canon_fixed = true;
	}
	/*
	 * The same fields as counted above; idx < nsig says so to the
	 * analyzer, which otherwise follows a path where nsig is 0 and
	 * res->sig NULL into check_one.
	 */
	for (k = 0; k < h->nfield && idx < nsig; k++) {
		if (!is_dkim_sig(&h->field[k]))
			continue;
		if (check_one(v, h, &h->field[k], idx++) != 0) {
			st = VOUCH_ENOMEM;
			goto out;
		}
	}
out:
	if (v->canon_fixed) {
		/* the stack goes: nothing may point into it */
		vbuf_init(&v->canon, CANON_MAX);
		v->canon_fixed = false;
	} else
		vbuf_free(&v->canon);
	return st;
}

enum vouch_status
vouch_dkim_verify_body(
    struct vouch_dkim_verifier *v, const uint8_t *p, size_t n)
{
	size_t k;

	if (v->state != 1 || (p == NULL && n > 0))
		return VOUCH_EINVAL;
	if (n == 0)
		return VOUCH_OK;
	for (k = 0; k < v->nhash; k++)
		canon_body_update(&v->hash[k].cb, p, n);
	return VOUCH_OK;
}

/* RFC 6008 §2.1: the shortest prefix of b=, at least 8, that is unique. */
static void
set_b_prefixes(struct vouch_dkim_verifier *v)
{
	struct vouch_dkim_result *res = v->res;
	size_t k, j, n, blen;

	for (k = 0; k < res->nsig; k++) {
		blen = strlen(v->bfull[k]); /* "" when there was no b= */
		n = blen < 8 ? blen : 8;
		for (j = 0; j < res->nsig; j++) {
			if (j == k)
				continue;
			while (n < blen &&
			       strncmp(v->bfull[k], v->bfull[j], n) == 0)
				n++;
		}
		if (n >= sizeof(res->sig[k].b))
			n = sizeof(res->sig[k].b) - 1;
		memcpy(res->sig[k].b, v->bfull[k], n);
		res->sig[k].b[n] = '\0';
	}
}

enum vouch_status
vouch_dkim_verify_finish(
    struct vouch_dkim_verifier *v, struct vouch_dkim_result **out)
{
	static const enum vouch_dkim_verdict order[] = {VOUCH_DKIM_PASS,
	    VOUCH_DKIM_TEMPERROR, VOUCH_DKIM_FAIL, VOUCH_DKIM_POLICY,
	    VOUCH_DKIM_PERMERROR, VOUCH_DKIM_NEUTRAL};
	struct vouch_dkim_result *res;
	struct vouch_dkim_signature *sig;
	struct dkim_hasher *hs;
	struct pending *pd;
	size_t k, j;

	*out = NULL;
	if (v->state != 1 || v->res == NULL)
		return VOUCH_EINVAL;
	v->state = 2;
	res = v->res;
	for (k = 0; k < v->nhash; k++) {
		hs = &v->hash[k];
		dkim_hasher_final(hs);
		/* a body hash not computed is not one that differs */
		if (hs->nomem)
			return VOUCH_ENOMEM; /* res stays v's */
	}
	for (k = 0; k < v->npend; k++) {
		pd = &v->pend[k];
		sig = &res->sig[pd->idx];
		hs = &v->hash[pd->hasher];
		sig->body_length = (int64_t)hs->cb.len;
		/* §6.1.3 steps 3 and 4, in that order */
		if (hs->dlen == 0 || pd->bhlen != hs->dlen ||
		    memcmp(pd->bh, hs->digest, hs->dlen) != 0)
			verdict(
			    sig, VOUCH_DKIM_FAIL, "body hash did not verify");
		else if (!pd->header_ok)
			verdict(
			    sig, VOUCH_DKIM_FAIL, "signature did not verify");
		else if (sig->l >= 0 && hs->cb.beyond_nonwsp && !v->opt.rfc_l)
			verdict(sig, VOUCH_DKIM_POLICY,
			    "unsigned content after l=%lld (body is %llu "
			    "bytes)",
			    (long long)sig->l, (unsigned long long)hs->cb.len);
		else if (v->opt.max_age > 0 && sig->t < 0)
			verdict(sig, VOUCH_DKIM_POLICY,
			    "no t= to check the maximum age against");
		else if (v->opt.max_age > 0 &&
		         v->opt.now - sig->t > (int64_t)v->opt.max_age)
			verdict(sig, VOUCH_DKIM_POLICY,
			    "signature older than the maximum age (%lu s)",
			    (unsigned long)v->opt.max_age);
		else {
			sig->result = VOUCH_DKIM_PASS;
			sig->reason[0] = '\0';
		}
	}
	set_b_prefixes(v);
	if (res->reason[0] == '\0') {
		res->result = VOUCH_DKIM_NONE;
		for (j = 0; j < sizeof(order) / sizeof(order[0]) &&
		            res->result == VOUCH_DKIM_NONE;
		     j++)
			for (k = 0; k < res->nsig; k++)
				if (res->sig[k].result == order[j]) {
					res->result = order[j];
					break;
				}
	}
	*out = res;
	v->res = NULL;
	return VOUCH_OK;
}

void
vouch_dkim_result_free(struct vouch_dkim_result *res)
{
	if (res == NULL)
		return;
	/* the verifier's results carry their signatures (alloc_result) */
	if (res->sig != (struct vouch_dkim_signature *)(void *)(res + 1))
		free(res->sig);
	free(res);
}

void
vouch_dkim_verify_free(struct vouch_dkim_verifier *v)
{
	size_t k;

	if (v == NULL)
		return;
	for (k = 0; k < v->nhash; k++)
		EVP_MD_CTX_free(v->hash[k].ctx);
	for (k = 0; k < v->nanswers; k++)
		vouch_dns_answer_free(v->answers[k].ans);
	if (v->bfull != &v->one.bfull) {
		free(v->bfull);
		free(v->answers);
		free(v->hash);
		free(v->pend);
	}
	vouch_dkim_result_free(v->res);
	vbuf_free(&v->canon);
	free(v);
}

static enum vouch_status
feed_header(void *v, const uint8_t *p, size_t len)
{
	return vouch_dkim_verify_header(v, p, len);
}

static enum vouch_status
feed_body(void *v, const uint8_t *p, size_t len)
{
	return vouch_dkim_verify_body(v, p, len);
}

enum vouch_status
vouch_dkim_verify_mem(struct vouch_dns *dns,
    const struct vouch_dkim_options *opts, const uint8_t *p, size_t len,
    struct vouch_dkim_result **res)
{
	struct vouch_dkim_verifier *v = NULL;
	enum vouch_status st;

	*res = NULL;
	if (p == NULL && len > 0)
		return VOUCH_EINVAL;
	if (p == NULL)
		p = (const uint8_t *)""; /* no arithmetic on NULL */
	if ((st = vouch_dkim_verify_new(dns, opts, &v)) != VOUCH_OK)
		return st;
	if ((st = mail_message_feed_mem(p, len, v, feed_header, feed_body)) !=
	    VOUCH_OK)
		goto out;
	st = vouch_dkim_verify_finish(v, res);
out:
	vouch_dkim_verify_free(v);
	return st;
}

enum vouch_status
vouch_dkim_verify_fd(struct vouch_dns *dns,
    const struct vouch_dkim_options *opts, int fd,
    struct vouch_dkim_result **res)
{
	struct vouch_dkim_verifier *v = NULL;
	enum vouch_status st;

	*res = NULL;
	if ((st = vouch_dkim_verify_new(dns, opts, &v)) != VOUCH_OK ||
	    (st = mail_message_feed(fd, v, feed_header, feed_body)) != VOUCH_OK)
		goto out;
	st = vouch_dkim_verify_finish(v, res);
out:
	vouch_dkim_verify_free(v);
	return st;
}
