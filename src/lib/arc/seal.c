/*
 * ARC sealing, RFC 8617 §5.1: the next ARC Set (AAR, AMS, ARC-Seal) of a
 * message.  The header section is kept (bounded); the body is
 * canonicalized (relaxed, the DKIM canonicalizer) and hashed as it streams
 * past.  The AMS and the ARC-Seal are hashed by dkim_header_data /
 * dkim_self_data and signed by dkim_sign_hash: the DKIM signer's path.
 *
 * Output format: every tag in alphabetical order, one space after each
 * ';', no ';' after the last tag, folded only between tags; this is the
 * form the ValiMail ARC test suite fixes, so that the signatures of a test
 * can be compared byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "vouch/arc.h"
#include "vouch/authres.h"
#include "arc/internal.h"
#include "dkim/internal.h"
#include "dkim/sign_internal.h"
#include "mail/canon.h"
#include "mail/header.h"
#include "util/base64.h"
#include "util/buf.h"

/* One ARC field: AAR results and h= are bounded by the header section. */
#define FIELD_MAX (VOUCH_AUTHRES_MAX_FIELD + 16 * 1024)
/* Canonical data of an ARC-Seal: every ARC field of 50 sets and ours. */
#define SEAL_DATA_MAX (VOUCH_MAX_HEADER_BYTES + 4 * FIELD_MAX)
/* Fold before a tag that would take a line past this column. */
#define FOLD_WIDTH 78
/* A limit from limits.h as text, for the reasons given to callers. */
#define LIMIT_STR_(n) #n
#define LIMIT_STR(n) LIMIT_STR_(n)
#define TXT_AUTHSERV_ID_MAX LIMIT_STR(VOUCH_AUTHRES_MAX_ID)

/*
 * Names the AMS signs when the caller gives none: RFC 6376 §5.4.1's
 * list, with DKIM-Signature (RFC 8617 §4.1.2 SHOULD); each name as often
 * as the message has it.
 */
static const char *const default_headers[] = {
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "reply-to",
    "in-reply-to",
    "references",
    "sender",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "list-id",
    "list-post",
    "list-unsubscribe",
    "dkim-signature",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct vouch_arc_sealer {
	const struct vouch_dkim_key *key;
	enum vouch_dkim_sign_alg alg;
	char *domain, *selector, *authserv_id, *auth_results;
	char **headers;
	size_t nheaders;
	int64_t now;
	struct canon_body cb;
	EVP_MD_CTX *md;
	bool md_failed;
	struct vbuf hdr;
	struct dkim_header_split hs;
	bool finished;
	enum vouch_status err;
	const char *reason;
};

static void
body_sink(void *arg, const uint8_t *p, size_t n)
{
	struct vouch_arc_sealer *s = arg;

	if (EVP_DigestUpdate(s->md, p, n) != 1)
		s->md_failed = true;
}

/*
 * Why `id` cannot be written as the AAR's authserv-id, or NULL: it must be
 * a token (RFC 8601 §2.2 value, RFC 2045 §5.1): visible ASCII or UTF-8,
 * no tspecial.
 */
static const char *
authserv_id_problem(const char *id)
{
	size_t i;

	if (id == NULL)
		return "no authserv-id";
	for (i = 0; id[i] != '\0'; i++) {
		if (i >= VOUCH_AUTHRES_MAX_ID)
			return "longer than " TXT_AUTHSERV_ID_MAX " bytes";
		if ((unsigned char)id[i] <= ' ' || id[i] == 0x7f ||
		    strchr("()<>@,;:\\\"/[]?=", id[i]) != NULL)
			return "not a token: no space, control character or "
			       "any of ()<>@,;:\\\"/[]?= (RFC 8601 §2.2, "
			       "RFC 2045 §5.1)";
	}
	return i > 0 ? NULL : "empty (RFC 8601 §2.2)";
}

/*
 * Why the AMS cannot sign the n names, or NULL: the DKIM signer's rules
 * for h=, and RFC 8617 §4.1.2: ARC fields and Authentication-Results are
 * never signed.
 */
static const char *
hnames_problem(const char *const *names, size_t n)
{
	const char *why;
	size_t i;

	if ((why = dkim_hnames_problem(names, n)) != NULL)
		return why;
	for (i = 0; i < n; i++)
		if (strncasecmp(names[i], "arc-", 4) == 0 ||
		    strcasecmp(names[i], "authentication-results") == 0)
			return "ARC fields and Authentication-Results are "
			       "never signed in the AMS (RFC 8617 §4.1.2)";
	return NULL;
}

/* The rules of a sealing request beyond the DKIM signer's. */
static enum vouch_arc_seal_req_part
own_problem(const struct vouch_arc_seal_req *r, const char **why)
{
	if ((*why = authserv_id_problem(r->authserv_id)) != NULL)
		return VOUCH_ARC_SEAL_REQ_AUTHSERV_ID;
	if (r->headers != NULL &&
	    (*why = hnames_problem(r->headers, r->nheaders)) != NULL)
		return VOUCH_ARC_SEAL_REQ_HEADERS;
	if (r->now < 0) {
		*why = "before 1970: want seconds since the epoch, or 0 for "
		       "the clock";
		return VOUCH_ARC_SEAL_REQ_NOW;
	}
	return VOUCH_ARC_SEAL_REQ_OK;
}

/* The DKIM signer's names for the members its rules can find wrong. */
static const enum vouch_arc_seal_req_part of_dkim[] = {
    [VOUCH_DKIM_SIGN_REQ_OK] = VOUCH_ARC_SEAL_REQ_OK,
    [VOUCH_DKIM_SIGN_REQ_KEY] = VOUCH_ARC_SEAL_REQ_KEY,
    [VOUCH_DKIM_SIGN_REQ_DOMAIN] = VOUCH_ARC_SEAL_REQ_DOMAIN,
    [VOUCH_DKIM_SIGN_REQ_SELECTOR] = VOUCH_ARC_SEAL_REQ_SELECTOR,
    [VOUCH_DKIM_SIGN_REQ_ALG] = VOUCH_ARC_SEAL_REQ_ALG,
    /* dkim_sign_req_problem finds no other */
    [VOUCH_DKIM_SIGN_REQ_AUID] = VOUCH_ARC_SEAL_REQ_OK,
    [VOUCH_DKIM_SIGN_REQ_HEADERS] = VOUCH_ARC_SEAL_REQ_OK,
};

enum vouch_status
vouch_arc_seal_req_check(const struct vouch_arc_seal_req *r,
    enum vouch_arc_seal_req_part *part, const char **reason)
{
	enum vouch_arc_seal_req_part bad = VOUCH_ARC_SEAL_REQ_OK;
	const char *why = NULL;

	if (part != NULL)
		*part = VOUCH_ARC_SEAL_REQ_OK;
	if (reason != NULL)
		*reason = "";
	if (r == NULL || part == NULL || reason == NULL)
		return VOUCH_EINVAL;
	/* the DKIM signer's rules first (RFC 8617 §4.1.2, §4.1.3) */
	bad = of_dkim[dkim_sign_req_problem(
	    r->key, r->alg, r->domain, r->selector, &why)];
	if (bad == VOUCH_ARC_SEAL_REQ_OK)
		bad = own_problem(r, &why);
	if (bad == VOUCH_ARC_SEAL_REQ_OK)
		return VOUCH_OK;
	*part = bad;
	*reason = why;
	return VOUCH_EINVAL;
}

void
vouch_arc_seal_free(struct vouch_arc_sealer *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->domain);
	free(s->selector);
	free(s->authserv_id);
	free(s->auth_results);
	for (i = 0; i < s->nheaders; i++)
		free(s->headers[i]);
	free(s->headers);
	EVP_MD_CTX_free(s->md);
	vbuf_free(&s->hdr);
	free(s);
}

static char *
lower_dup(const char *p)
{
	char *d = strdup(p);
	size_t i;

	for (i = 0; d != NULL && d[i] != '\0'; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] + 32);
	return d;
}

static enum vouch_status
seal_new_inner(
    const struct vouch_arc_seal_req *req, struct vouch_arc_sealer **out)
{
	struct vouch_arc_sealer *s;
	enum vouch_arc_seal_req_part part;
	enum vouch_status st = VOUCH_ENOMEM;
	const char *why;
	size_t i;

	*out = NULL;
	if (vouch_arc_seal_req_check(req, &part, &why) != VOUCH_OK)
		return VOUCH_EINVAL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return VOUCH_ENOMEM;
	s->key = req->key;
	s->alg = dkim_sign_alg_of(req->key, req->alg);
	s->now = req->now != 0 ? req->now : (int64_t)time(NULL);
	vbuf_init(&s->hdr, VOUCH_MAX_HEADER_BYTES);
	dkim_header_split_init(&s->hs);
	if ((s->domain = lower_dup(req->domain)) == NULL ||
	    (s->selector = strdup(req->selector)) == NULL ||
	    (s->authserv_id = strdup(req->authserv_id)) == NULL ||
	    (req->auth_results != NULL &&
	        (s->auth_results = strdup(req->auth_results)) == NULL))
		goto fail;
	if (req->headers != NULL) {
		if ((s->headers = calloc(req->nheaders, sizeof(char *))) ==
		    NULL)
			goto fail;
		for (i = 0; i < req->nheaders; i++) {
			if ((s->headers[i] = lower_dup(req->headers[i])) ==
			    NULL)
				goto fail;
			s->nheaders++;
		}
	}
	if ((s->md = EVP_MD_CTX_new()) == NULL)
		goto fail;
	if (EVP_DigestInit_ex(s->md, dkim_md(DKIM_HASH_SHA256), NULL) != 1) {
		st = VOUCH_ECRYPTO;
		goto fail;
	}
	/* The AMS is relaxed/relaxed. */
	canon_body_init(&s->cb, CANON_RELAXED, UINT64_MAX, body_sink, s);
	*out = s;
	return VOUCH_OK;
fail:
	vouch_arc_seal_free(s);
	return st;
}

enum vouch_status
vouch_arc_seal_new(
    const struct vouch_arc_seal_req *req, struct vouch_arc_sealer **out)
{
	enum vouch_status st;

	ERR_set_mark();
	st = seal_new_inner(req, out);
	ERR_pop_to_mark();
	return st;
}

enum vouch_status
vouch_arc_seal_update(struct vouch_arc_sealer *s, const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;

	if (s->err != VOUCH_OK)
		return s->err;
	if (s->finished || (p == NULL && len > 0)) {
		s->reason = s->finished ? "update after finish" : "no data";
		return s->err = VOUCH_EINVAL;
	}
	if (len == 0)
		return VOUCH_OK;
	/* the header section kept whole, the body canonicalized as it comes */
	if (dkim_header_split_add(&s->hs, &s->hdr, p, end, &p) != VOUCH_OK)
		goto toolarge;
	if (p < end)
		canon_body_update(&s->cb, p, (size_t)(end - p));
	return VOUCH_OK;
toolarge:
	s->reason = s->hdr.err == VOUCH_ELIMIT ? "header section too large"
	                                       : "out of memory";
	return s->err = s->hdr.err;
}

/* Append a tag, folding before it when the line would grow too long. */
static void
add_tag(struct vbuf *b, size_t *col, bool first, const char *txt, size_t n)
{
	if (!first) {
		vbuf_addc(b, ';');
		(*col)++;
		if (*col + 1 + n > FOLD_WIDTH) {
			vbuf_adds(b, "\r\n\t");
			*col = 8;
		} else {
			vbuf_addc(b, ' ');
			(*col)++;
		}
	}
	vbuf_add(b, txt, n);
	*col += n;
}

static void add_tagf(struct vbuf *b, size_t *col, bool first, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
add_tagf(struct vbuf *b, size_t *col, bool first, const char *fmt, ...)
{
	struct vbuf t;
	va_list ap;

	vbuf_init(&t, FIELD_MAX);
	va_start(ap, fmt);
	vbuf_vaddf(&t, fmt, ap);
	va_end(ap);
	if (t.err != VOUCH_OK)
		b->err = t.err;
	else
		add_tag(b, col, first, (const char *)t.p, t.len);
	vbuf_free(&t);
}

/*
 * Append the results of one Authentication-Results value (after the
 * authserv-id and its ';'), each result whitespace-normalised (control
 * characters other than white space become '?'), to `out`,
 * separated by ";\r\n\t".  `none` (RFC 8601 no-result) adds nothing.
 * Splits at ';' outside quoted-strings and comments (RFC 8601 §2.2).
 */
static void
add_results(struct vbuf *out, const uint8_t *p, size_t len, size_t *nres)
{
	const uint8_t *end = p + len;
	struct vbuf one;
	int depth = 0;
	bool quoted = false, esc = false, sp;

	vbuf_init(&one, FIELD_MAX);
	while (p < end) {
		vbuf_reset(&one);
		sp = false;
		for (; p < end; p++) {
			uint8_t ch = *p;

			if (esc) {
				esc = false;
			} else if (ch == '\\' && (quoted || depth > 0)) {
				esc = true;
			} else if (quoted) {
				if (ch == '"')
					quoted = false;
			} else if (ch == '"') {
				quoted = true;
			} else if (ch == '(') {
				depth++;
			} else if (ch == ')' && depth > 0) {
				depth--;
			} else if (ch == ';' && depth == 0) {
				break;
			}
			if (ch == ' ' || ch == '\t' || ch == '\r' ||
			    ch == '\n') {
				sp = one.len > 0;
				continue;
			}
			if (sp)
				vbuf_addc(&one, ' ');
			sp = false;
			/* no control character can reach the field */
			vbuf_addc(&one, ch < 0x20 || ch == 0x7f ? '?' : ch);
		}
		if (p < end)
			p++; /* the ';' */
		if (one.len == 0 ||
		    (one.len == 4 &&
		        strncasecmp((const char *)one.p, "none", 4) == 0))
			continue;
		if (*nres > 0)
			vbuf_adds(out, ";\r\n\t");
		vbuf_add(out, one.p, one.len);
		(*nres)++;
	}
	if (one.err != VOUCH_OK)
		out->err = one.err;
	vbuf_free(&one);
}

/*
 * The offset just past the authserv-id of an A-R value and the ';' after
 * it (and the optional authres-version), or 0 when there is none.
 */
static size_t
after_authserv_id(const uint8_t *p, size_t len)
{
	size_t k;
	int depth = 0;
	bool quoted = false, esc = false;

	for (k = 0; k < len; k++) {
		if (esc)
			esc = false;
		else if (p[k] == '\\' && (quoted || depth > 0))
			esc = true;
		else if (quoted)
			quoted = p[k] != '"';
		else if (p[k] == '"')
			quoted = true;
		else if (p[k] == '(')
			depth++;
		else if (p[k] == ')' && depth > 0)
			depth--;
		else if (p[k] == ';' && depth == 0)
			return k + 1;
	}
	return 0;
}

/*
 * The AAR: "i=N; authserv-id; results", the results of the caller or,
 * RFC 8617 §4.1.1, those of our Authentication-Results fields in order.
 */
static enum vouch_status
make_aar(struct vouch_arc_sealer *s, const struct mail_header *h, unsigned inst,
    struct vbuf *out)
{
	struct vbuf res;
	enum vouch_status st;
	size_t k, nres = 0, off;

	vbuf_init(&res, FIELD_MAX);
	if (s->auth_results != NULL) {
		add_results(&res, (const uint8_t *)s->auth_results,
		    strlen(s->auth_results), &nres);
	} else {
		for (k = 0; k < h->nfield; k++) {
			const struct mail_field *f = &h->field[k];
			struct vouch_authres *ar = NULL;
			bool ours;

			if (!mail_name_eq(
			        f->name, f->namelen, "Authentication-Results"))
				continue;
			st = vouch_authres_parse(f->value, f->valuelen, &ar);
			if (st == VOUCH_ENOMEM) {
				vbuf_free(&res);
				return st;
			}
			if (st != VOUCH_OK)
				continue; /* unreadable: not copied */
			ours = ar->authserv_id_len == strlen(s->authserv_id) &&
			       strncasecmp(ar->authserv_id, s->authserv_id,
			           ar->authserv_id_len) == 0;
			vouch_authres_result_free(ar);
			if (!ours || (off = after_authserv_id(
			                  f->value, f->valuelen)) == 0)
				continue;
			add_results(
			    &res, f->value + off, f->valuelen - off, &nres);
		}
	}
	vbuf_addf(out, "ARC-Authentication-Results: i=%u; %s;\r\n\t", inst,
	    s->authserv_id);
	if (nres == 0)
		vbuf_adds(out, "none");
	else
		vbuf_add(out, res.p, res.len);
	vbuf_adds(out, "\r\n");
	if (res.err != VOUCH_OK)
		out->err = res.err;
	vbuf_free(&res);
	return out->err;
}

/* The AMS h= list: the caller's names, or the default ones present. */
static void
make_hlist(const struct vouch_arc_sealer *s, const struct mail_header *h,
    struct vbuf *out)
{
	size_t i, k;
	bool first = true;

	if (s->headers != NULL) {
		for (i = 0; i < s->nheaders; i++) {
			vbuf_addf(out, "%s%s", first ? "" : ":", s->headers[i]);
			first = false;
		}
		return;
	}
	for (i = 0; i < NELEM(default_headers); i++)
		for (k = 0; k < h->nfield; k++)
			if (mail_name_eq(h->field[k].name, h->field[k].namelen,
			        default_headers[i])) {
				vbuf_addf(out, "%s%s", first ? "" : ":",
				    default_headers[i]);
				first = false;
			}
}

/* A struct mail_field over one field we made (CRLF-terminated). */
static void
field_of(struct mail_field *f, const uint8_t *p, size_t len)
{
	const uint8_t *colon = memchr(p, ':', len);

	f->name = p;
	f->namelen = (size_t)(colon - p);
	f->raw = p;
	f->len = len;
	f->value = colon + 1;
	f->valuelen = len - f->namelen - 1 - 2;
}

/* Hash `data` and sign it; the signature in base64 into `b64`. */
static enum vouch_status
sign_data(
    struct vouch_arc_sealer *s, const struct vbuf *data, char *b64, size_t cap)
{
	uint8_t hash[EVP_MAX_MD_SIZE], sig[1024];
	size_t siglen = sizeof(sig);
	unsigned hlen;
	enum vouch_status st;

	if (data->err != VOUCH_OK)
		return data->err;
	if (EVP_Digest(data->p, data->len, hash, &hlen,
	        dkim_md(DKIM_HASH_SHA256), NULL) != 1)
		return VOUCH_ECRYPTO;
	if ((st = dkim_sign_hash(s->key, s->alg, hash, hlen, sig, &siglen)) !=
	    VOUCH_OK)
		return st;
	if (base64_encode(sig, siglen, b64, cap - 1) == 0)
		return VOUCH_ELIMIT;
	b64[BASE64_ENCODED_LEN(siglen)] = '\0';
	return VOUCH_OK;
}

/*
 * A signature field: name, `head` (the tags before b=), b=`sig`, `tail`.
 * Written twice: with b= empty to be hashed, then with the signature.
 */
static void
sig_field(struct vbuf *f, const char *name, const char *head, const char *sig,
    const char *tail)
{
	vbuf_reset(f);
	vbuf_addf(f, "%s: %s", name, head);
	vbuf_addf(f, "b=%s", sig);
	vbuf_addf(f, "%s\r\n", tail);
}

/* The first sticky error of up to four buffers (NULL ones skipped). */
static enum vouch_status
first_err(const struct vbuf *a, const struct vbuf *b, const struct vbuf *c,
    const struct vbuf *d)
{
	const struct vbuf *v[4] = {a, b, c, d};
	size_t k;

	for (k = 0; k < 4; k++)
		if (v[k] != NULL && v[k]->err != VOUCH_OK)
			return v[k]->err;
	return VOUCH_OK;
}

static const char *
alg_name(enum vouch_dkim_sign_alg alg)
{
	return alg == VOUCH_DKIM_SIGN_RSA_SHA256 ? "rsa-sha256"
	                                         : "ed25519-sha256";
}

static enum vouch_status
seal_finish_inner(struct vouch_arc_sealer *s,
    const struct vouch_arc_result *chain, bool crlf, char **fields, size_t *len)
{
	struct mail_header h;
	struct arc_chain *c = NULL;
	struct vbuf aar, ams, as, data, hl, head, tail, out;
	struct mail_field self;
	uint8_t bh[EVP_MAX_MD_SIZE];
	char bhtxt[64], sig[1500];
	unsigned bhlen, inst, j;
	enum vouch_arc_cv cv;
	enum vouch_status st;
	const char *why = NULL;
	size_t col;
	int k, rc;

	*fields = NULL;
	*len = 0;
	memset(&h, 0, sizeof(h));
	vbuf_init(&aar, FIELD_MAX);
	vbuf_init(&ams, FIELD_MAX);
	vbuf_init(&as, FIELD_MAX);
	vbuf_init(&hl, FIELD_MAX);
	vbuf_init(&head, FIELD_MAX);
	vbuf_init(&tail, FIELD_MAX);
	vbuf_init(&data, SEAL_DATA_MAX);
	vbuf_init(&out, 4 * FIELD_MAX);
	if (s->err != VOUCH_OK)
		return s->err;
	if (chain == NULL || s->finished) {
		s->reason = chain == NULL ? "no chain result" : "finish twice";
		return s->err = VOUCH_EINVAL;
	}
	s->finished = true;
	/* RFC 8617 §5.1 step 2: a chain marked cv=fail is not continued. */
	if (chain->last_cv_fail)
		return VOUCH_OK;
	/* §5.1 step 3, §4.2.1 */
	inst = chain->max_instance + 1;
	if (inst > VOUCH_ARC_MAX_INSTANCES) {
		s->reason = "the chain already has 50 ARC Sets";
		st = VOUCH_ELIMIT;
		goto out;
	}
	cv = chain->cv == VOUCH_ARC_PASS   ? VOUCH_ARC_PASS
	     : chain->cv == VOUCH_ARC_NONE ? VOUCH_ARC_NONE
	                                   : VOUCH_ARC_FAIL;
	canon_body_final(&s->cb);
	if (s->md_failed || EVP_DigestFinal_ex(s->md, bh, &bhlen) != 1) {
		s->reason = "SHA-256 failed";
		st = VOUCH_ECRYPTO;
		goto out;
	}
	if ((st = mail_header_parse(&h,
	         s->hdr.p != NULL ? s->hdr.p : (const uint8_t *)"",
	         s->hdr.len)) != VOUCH_OK) {
		s->reason = h.error != NULL ? h.error : "bad header section";
		goto out;
	}
	if ((c = malloc(sizeof(*c))) == NULL) {
		st = VOUCH_ENOMEM;
		goto out;
	}
	arc_collect(&h, c);
	if (cv == VOUCH_ARC_PASS && (c->why != NULL || c->max + 1 != inst)) {
		s->reason = "the chain result is not of this message";
		st = VOUCH_EINVAL;
		goto out;
	}

	/* 1. ARC-Authentication-Results (§4.1.1) */
	if ((st = make_aar(s, &h, inst, &aar)) != VOUCH_OK) {
		s->reason = st == VOUCH_ENOMEM
		                ? "out of memory"
		                : "ARC-Authentication-Results too long";
		goto out;
	}

	/* 2. ARC-Message-Signature (§4.1.2), a=; b=; bh=; c=; d=; h=; i=; s=;
	 * t= */
	base64_encode(bh, bhlen, bhtxt, sizeof(bhtxt));
	bhtxt[BASE64_ENCODED_LEN(bhlen)] = '\0';
	make_hlist(s, &h, &hl);
	col = 0;
	add_tagf(&head, &col, true, "a=%s", alg_name(s->alg));
	vbuf_adds(&head, "; ");
	/* b= ends its line; the folding is the same with b= empty */
	vbuf_adds(&tail, ";\r\n\t");
	col = 8;
	add_tagf(&tail, &col, true, "bh=%s", bhtxt);
	add_tagf(&tail, &col, false, "c=relaxed/relaxed");
	add_tagf(&tail, &col, false, "d=%s", s->domain);
	add_tagf(&tail, &col, false, "h=%s", hl.p != NULL ? (char *)hl.p : "");
	add_tagf(&tail, &col, false, "i=%u", inst);
	add_tagf(&tail, &col, false, "s=%s", s->selector);
	add_tagf(&tail, &col, false, "t=%lld", (long long)s->now);
	sig_field(
	    &ams, "ARC-Message-Signature", (char *)head.p, "", (char *)tail.p);
	if ((st = first_err(&head, &tail, &hl, &ams)) != VOUCH_OK) {
		s->reason = "ARC-Message-Signature too long";
		goto out;
	}
	field_of(&self, ams.p, ams.len);
	rc = dkim_header_data(CANON_RELAXED, &h,
	    hl.p != NULL ? hl.p : (const uint8_t *)"", hl.len, &self,
	    self.value + 3 + head.len, 0, &data, &why);
	if (rc != 0) {
		st = rc == -2 ? VOUCH_ENOMEM : VOUCH_ELIMIT;
		s->reason =
		    why != NULL ? why : "ARC-Message-Signature too long";
		goto out;
	}
	if ((st = sign_data(s, &data, sig, sizeof(sig))) != VOUCH_OK) {
		s->reason = "the crypto library could not sign";
		goto out;
	}
	sig_field(
	    &ams, "ARC-Message-Signature", (char *)head.p, sig, (char *)tail.p);
	if ((st = ams.err) != VOUCH_OK) {
		s->reason = "ARC-Message-Signature too long";
		goto out;
	}

	/* 3. ARC-Seal (§4.1.3, §5.1.1): a=; b=; cv=; d=; i=; s=; t= */
	vbuf_reset(&tail);
	vbuf_adds(&tail, ";\r\n\t");
	col = 8;
	add_tagf(&tail, &col, true, "cv=%s", vouch_arc_cv_str(cv));
	add_tagf(&tail, &col, false, "d=%s", s->domain);
	add_tagf(&tail, &col, false, "i=%u", inst);
	add_tagf(&tail, &col, false, "s=%s", s->selector);
	add_tagf(&tail, &col, false, "t=%lld", (long long)s->now);
	sig_field(&as, "ARC-Seal", (char *)head.p, "", (char *)tail.p);
	if ((st = first_err(&tail, &as, NULL, NULL)) != VOUCH_OK) {
		s->reason = "ARC-Seal too long";
		goto out;
	}
	vbuf_reset(&data);
	/*
	 * §5.1.2: a failed chain is sealed as if ours were the only set.
	 * A failed append is sticky in data.err, seen below.
	 */
	for (j = 1; cv != VOUCH_ARC_FAIL && j < inst; j++)
		for (k = ARC_AAR; k <= ARC_AS; k++)
			if (canon_header(CANON_RELAXED, c->set[j].f[k]->raw,
			        c->set[j].f[k]->len, &data) != VOUCH_OK)
				break;
	if (canon_header(CANON_RELAXED, aar.p, aar.len, &data) == VOUCH_OK &&
	    canon_header(CANON_RELAXED, ams.p, ams.len, &data) != VOUCH_OK)
		data.err = data.err != VOUCH_OK ? data.err : VOUCH_ELIMIT;
	field_of(&self, as.p, as.len);
	rc = dkim_self_data(
	    CANON_RELAXED, &self, self.value + 3 + head.len, 0, &data);
	if (rc != 0 || data.err != VOUCH_OK) {
		st = rc == -2 || data.err == VOUCH_ENOMEM ? VOUCH_ENOMEM
		                                          : VOUCH_ELIMIT;
		s->reason = "ARC-Seal data too long";
		goto out;
	}
	if ((st = sign_data(s, &data, sig, sizeof(sig))) != VOUCH_OK) {
		s->reason = "the crypto library could not sign";
		goto out;
	}
	sig_field(&as, "ARC-Seal", (char *)head.p, sig, (char *)tail.p);
	if ((st = as.err) != VOUCH_OK) {
		s->reason = "ARC-Seal too long";
		goto out;
	}

	vbuf_add(&out, as.p, as.len);
	vbuf_add(&out, ams.p, ams.len);
	vbuf_add(&out, aar.p, aar.len);
	if ((st = out.err) != VOUCH_OK) {
		s->reason = "ARC Set too long";
		goto out;
	}
	if (!crlf)
		dkim_crlf_to_lf(&out);
	if ((*fields = vbuf_take(&out, len)) == NULL)
		st = VOUCH_ENOMEM;
out:
	if (st != VOUCH_OK)
		s->err = st;
	free(c);
	mail_header_free(&h);
	vbuf_free(&aar);
	vbuf_free(&ams);
	vbuf_free(&as);
	vbuf_free(&hl);
	vbuf_free(&head);
	vbuf_free(&tail);
	vbuf_free(&data);
	vbuf_free(&out);
	return st;
}

enum vouch_status
vouch_arc_seal_finish(struct vouch_arc_sealer *s,
    const struct vouch_arc_result *chain, bool crlf, char **fields, size_t *len)
{
	enum vouch_status st;

	ERR_set_mark();
	st = seal_finish_inner(s, chain, crlf, fields, len);
	ERR_pop_to_mark();
	return st;
}

enum vouch_status
vouch_arc_seal_set_auth_results(
    struct vouch_arc_sealer *s, const char *auth_results)
{
	char *copy;

	if (s == NULL || auth_results == NULL || s->finished)
		return VOUCH_EINVAL;
	if ((copy = strdup(auth_results)) == NULL)
		return VOUCH_ENOMEM;
	free(s->auth_results);
	s->auth_results = copy;
	return VOUCH_OK;
}

const char *
vouch_arc_seal_error(const struct vouch_arc_sealer *s)
{
	return s->reason != NULL ? s->reason : "";
}
