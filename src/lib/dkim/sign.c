/*
 * DKIM signing, RFC 6376 §5 (with RFC 8301 and RFC 8463 for the
 * algorithms).  The header section is kept (it is small and bounded); the
 * body is canonicalized and hashed as it streams past, once per body
 * canonicalization however many signatures are made.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/*
 * SHA256_Init/Update/Final, deprecated in OpenSSL 3.0 but kept there: the
 * same SHA-256 code EVP's provider calls, over a context in the signer's
 * own allocation.  Through EVP each message made a context and its
 * algorithm state (two allocations), set the digest up twice, freed both
 * and needed OpenSSL's error stack marked.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "vouch/dkim_sign.h"
#include "vouch/limits.h"
#include "dkim/internal.h"
#include "dkim/sign_internal.h"
#include "mail/canon.h"
#include "mail/header.h"
#include "util/base64.h"
#include "util/buf.h"

/* A limit from limits.h as text, for the reasons given to callers. */
#define LIMIT_STR_(n) #n
#define LIMIT_STR(n) LIMIT_STR_(n)
#define TXT_LABEL_MAX LIMIT_STR(VOUCH_DNS_MAX_LABEL)
#define TXT_NAME_MAX LIMIT_STR(VOUCH_DNS_MAX_NAME)
#define TXT_HEADERS_MAX LIMIT_STR(VOUCH_DKIM_SIGN_MAX_HEADERS)

/*
 * The default header list, RFC 6376 §5.4.1.  The first group is
 * oversigned: listed once more than it occurs, so that a copy added in
 * transit breaks the signature (§8.15).  The second group is signed as
 * often as it occurs.
 */
static const char *const default_oversigned[] = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
};
static const char *const default_signed[] = {
    "Cc",
    "Reply-To",
    "In-Reply-To",
    "References",
    "Sender",
    "Resent-Date",
    "Resent-From",
    "Resent-Sender",
    "Resent-To",
    "Resent-Cc",
    "Resent-Message-ID",
    "List-Id",
    "List-Help",
    "List-Unsubscribe",
    "List-Subscribe",
    "List-Post",
    "List-Owner",
    "List-Archive",
    "List-Unsubscribe-Post",
    "Content-ID",
    "Content-Description",
    "Keywords",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Folded lines stay under 78 columns (RFC 5322 §2.1.1 SHOULD). */
#define FOLD_WIDTH 77
/* A continuation line starts with one TAB, counted as 8 columns. */
#define FOLD_INDENT 8

/*
 * The DKIM-Signature field is small, but h= may name every field of a
 * header section of VOUCH_MAX_HEADER_FIELDS fields: 64 KiB holds that.
 */
#define SIG_FIELD_MAX (64 * 1024)

struct sign_body {
	/* the body hash (§3.7), then each signature's header data hash;
	 * SHA256_* cannot fail: no error to keep */
	SHA256_CTX md;
	int used; /* a request has this body canonicalization */
	/* last: its stage is never cleared.  The canonicalizer gathers the
	 * short runs there and hands on 4 KiB at a time (mail/canon.h): the
	 * sink hashes them in place, not through a batch of its own */
	struct canon_body cb;
};

/* A piece of text and its length; P() of a string literal. */
struct piece {
	const char *s;
	size_t n;
};

#define P(lit) ((struct piece){(lit), sizeof(lit) - 1})

struct sign_one {
	const struct vouch_dkim_key *key;
	enum vouch_dkim_sign_alg alg;
	enum canon_alg hcanon, bcanon;
	/* the arrays and every string below live in the context's own
	 * allocation, after the struct (vouch_dkim_sign_new) */
	struct piece domain, selector, auid; /* auid.s NULL: no i= */
	const char **headers; /* NULL = default list */
	size_t *hlen; /* their lengths */
	size_t nheaders;
	int oversign;
	/* with oversign_headers: 1 for headers[i] listed once more */
	unsigned char over[VOUCH_DKIM_SIGN_MAX_HEADERS * 2];
	int body_length;
	uint64_t expire;
};

struct vouch_dkim_sign {
	size_t nreq;
	int64_t now;
	struct vbuf hdr; /* the header section, raw */
	struct dkim_header_split hs;
	int finished;
	enum vouch_status err;
	const char *reason;
	/*
	 * Not cleared with the rest (vouch_dkim_sign_new): a request past
	 * nreq is never read, a body's head is cleared when it is set up
	 * and its canonicalization stage is written before it is read.
	 */
	struct sign_one req[VOUCH_DKIM_SIGN_MAX_REQUESTS];
	struct sign_body body[2]; /* by enum canon_alg */
	/* hdr's first bytes (vbuf_init_first): a usual header section
	 * within the context's allocation, not in one of its own above
	 * glibc's thread cache for every message */
	uint8_t hdr0[4096];
};

static void
body_sink(void *arg, const uint8_t *p, size_t n)
{
	struct sign_body *b = arg;

	SHA256_Update(&b->md, p, n);
}

/*
 * Why i= cannot be signed for d= `domain`, or NULL if it can: i= must be
 * "[local-part]@domain" with its domain within d= (RFC 6376 §3.5).
 */
static const char *
auid_problem(const char *auid, const char *domain)
{
	const char *at = NULL, *p;
	size_t alen, dlen;

	for (p = auid; *p != '\0'; p++) {
		/* visible ASCII only, and none that dkim-quoted-printable
		 * would have to encode */
		if (*p <= ' ' || *p > '~' || *p == ';' || *p == '=')
			return "want visible ASCII without ';' or '='";
		if (*p == '@')
			at = p;
	}
	if (at == NULL)
		return "want [local-part]@domain (RFC 6376 §3.5)";
	if (!dkim_name_ok(at + 1))
		return "the part after '@' is not a domain name";
	alen = strlen(at + 1);
	dlen = strlen(domain);
	/* RFC 6376 §3.5: the same as or a subdomain of d= */
	if (alen == dlen ? strcasecmp(at + 1, domain) == 0
	                 : alen > dlen && at[alen - dlen] == '.' &&
	                       strcasecmp(at + 1 + alen - dlen, domain) == 0)
		return NULL;
	return "its domain is not the same as d= or a subdomain of it "
	       "(RFC 6376 §3.5)";
}

/*
 * The length of a field name (RFC 5322 §3.6.8; at most 256 bytes), or 0
 * if `s` is not one.  One range test per byte (NUL ends the scan as a
 * byte outside ftext): every name of every request is checked for every
 * message.
 */
static size_t
hname_len(const char *s)
{
	size_t i;

	/* RFC 5322 §3.6.8: ftext is %d33-57 / %d59-126 */
	for (i = 0; i <= 256 && (uint8_t)((uint8_t)s[i] - 33) <= 126 - 33 &&
	            s[i] != ':';
	     i++)
		;
	return i <= 256 && s[i] == '\0' ? i : 0;
}

void
vouch_dkim_sign_free(struct vouch_dkim_sign *s)
{
	if (s == NULL)
		return;
	vbuf_free(&s->hdr);
	free(s);
}

/* Two header names, the same without regard to ASCII case? */
static int
same_name(const char *a, const char *b)
{
	for (; *a != '\0'; a++, b++)
		if (dkim_lower((uint8_t)*a) != dkim_lower((uint8_t)*b))
			return 0;
	return *b == '\0';
}

/*
 * The strings of a request, copied into its block of the context's
 * allocation: the headers array first, then the text.  pool_strn appends
 * one string.
 */
struct pool {
	char *p;
	size_t len;
};

/* pool_strn - append the n bytes of `s` (a string of that length). */
static struct piece
pool_strn(struct pool *pl, const char *s, size_t n)
{
	char *at = pl->p + pl->len;

	memcpy(at, s, n + 1);
	pl->len += n + 1;
	return (struct piece){at, n};
}

/* Add a header name to o's list (once), marking it oversigned. */
static void
add_hname(struct sign_one *o, struct pool *pl, const char *name, int over)
{
	struct piece c;
	size_t j, len = strlen(name);

	/* a name given twice is listed by its count anyway */
	for (j = 0; j < o->nheaders; j++)
		if (o->hlen[j] == len && same_name(o->headers[j], name)) {
			o->over[j] |= (unsigned char)over;
			return;
		}
	c = pool_strn(pl, name, len);
	o->headers[o->nheaders] = c.s;
	o->hlen[o->nheaders] = c.n;
	o->over[o->nheaders++] = (unsigned char)over;
}

/*
 * The bytes the header names of a request take (names and NULs), or 0
 * with a name that is NULL or not a field name (RFC 5322 §3.6.8).
 */
static size_t
names_size(const char *const *names, size_t n)
{
	size_t i, len, sum = 0;

	for (i = 0; i < n; i++) {
		if (names[i] == NULL || (len = hname_len(names[i])) == 0)
			return 0;
		sum += len + 1;
	}
	return sum;
}

/*
 * The header names of a request, into o->headers: the given list (or the
 * default one), then the names to oversign.  The pool has room for them
 * (names_size); vouch_dkim_sign_req_check made sure From is among them.
 */
static void
copy_hnames(
    struct sign_one *o, struct pool *pl, const struct vouch_dkim_sign_req *r)
{
	size_t i;

	o->nheaders = 0;
	if (r->headers != NULL) {
		for (i = 0; i < r->nheaders; i++)
			add_hname(o, pl, r->headers[i], 0);
	} else {
		/* the default names, each signed as often as it occurs */
		for (i = 0; i < NELEM(default_oversigned); i++)
			add_hname(o, pl, default_oversigned[i], 0);
		for (i = 0; i < NELEM(default_signed); i++)
			add_hname(o, pl, default_signed[i], 0);
	}
	for (i = 0; i < r->noversign_headers; i++)
		add_hname(o, pl, r->oversign_headers[i], 1);
}

/* Is "From" among the n names? */
static int
names_have_from(const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (same_name(names[i], "From"))
			return 1;
	return 0;
}

/* Is one of the n names "" (an empty item of a list written a:b)? */
static int
names_have_empty(const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] != NULL && names[i][0] == '\0')
			return 1;
	return 0;
}

const char *
dkim_hnames_problem(const char *const *names, size_t n)
{
	if (names == NULL || n == 0 || n > VOUCH_DKIM_SIGN_MAX_HEADERS)
		return "want 1 to " TXT_HEADERS_MAX " header names";
	if (names_size(names, n) == 0)
		return names_have_empty(names, n)
		           ? "an empty name is not a header field name (RFC "
		             "5322 §3.6.8: one printable byte or more)"
		           : "not a header field name (RFC 5322 §3.6.8)";
	return NULL;
}

/* Why a request's header name lists cannot be signed, or NULL. */
static const char *
headers_problem(const struct vouch_dkim_sign_req *r)
{
	const char *why;

	if (r->headers == NULL && r->oversign_headers == NULL)
		return NULL;
	if (r->headers != NULL &&
	    (why = dkim_hnames_problem(r->headers, r->nheaders)) != NULL)
		return why;
	if (r->noversign_headers > 0 &&
	    (why = dkim_hnames_problem(
	         r->oversign_headers, r->noversign_headers)) != NULL)
		return why;
	/* RFC 6376 §5.4: the From header field MUST be signed (the
	 * default list has it) */
	if (r->headers != NULL && !names_have_from(r->headers, r->nheaders) &&
	    !names_have_from(r->oversign_headers, r->noversign_headers))
		return "From is not among them (RFC 6376 §5.4)";
	return NULL;
}

enum vouch_dkim_sign_alg
dkim_sign_alg_of(const struct vouch_dkim_key *key, enum vouch_dkim_sign_alg alg)
{
	if (alg != VOUCH_DKIM_SIGN_ALG_AUTO)
		return alg;
	return key->type == VOUCH_DKIM_KEY_RSA ? VOUCH_DKIM_SIGN_RSA_SHA256
	                                       : VOUCH_DKIM_SIGN_ED25519_SHA256;
}

/* Why `key` cannot make algorithm `alg`, or NULL. */
static const char *
alg_problem(const struct vouch_dkim_key *key, enum vouch_dkim_sign_alg alg)
{
	switch (dkim_sign_alg_of(key, alg)) {
	case VOUCH_DKIM_SIGN_RSA_SHA256:
		return key->type == VOUCH_DKIM_KEY_RSA
		           ? NULL
		           : "the key is an Ed25519 key, which makes "
		             "ed25519-sha256 only (RFC 8463)";
	case VOUCH_DKIM_SIGN_ED25519_SHA256:
		return key->type == VOUCH_DKIM_KEY_ED25519
		           ? NULL
		           : "the key is an RSA key, which makes rsa-sha256 "
		             "only (RFC 8301)";
	default:
		return "not an algorithm vouch signs with";
	}
}

/* The rule of a d= or s= name, in words (name_problem) */
#define NAME_RULE \
	"labels of letters, digits, '-' or '_' between single dots, at " \
	"most " TXT_LABEL_MAX " bytes each and " TXT_NAME_MAX " in all"

/*
 * Why `s` cannot be a d= or s= value, or NULL: the verifiers' rule
 * (dkim_name_check), and stricter than they are on '-': RFC 6376 §3.5
 * (d=) and §3.1 (s=) write both as sub-domains of RFC 5321 §4.1.2, whose
 * labels neither start nor end with '-' (RFC 1035 §2.3.1).  '_' stays:
 * selectors and domains with it are published and verified.
 */
static const char *
name_problem(const char *s)
{
	if (s == NULL)
		return "not a domain name: empty";
	switch (dkim_name_check((const uint8_t *)s, strlen(s), 1)) {
	case DKIM_NAME_OK:
		return NULL;
	case DKIM_NAME_EMPTY:
		return "not a domain name: empty";
	case DKIM_NAME_TOO_LONG:
		return "not a domain name: longer than " TXT_NAME_MAX
		       " bytes (RFC 1035 §2.3.4)";
	case DKIM_NAME_FINAL_DOT:
		return "not a domain name: a final dot (d= and s= are "
		       "written without it, RFC 6376 §3.5): write the "
		       "name without the dot";
	case DKIM_NAME_EMPTY_LABEL:
		return "not a domain name: an empty label (a leading "
		       "dot or two dots in a row); " NAME_RULE;
	case DKIM_NAME_BAD_BYTE:
		return "not a domain name: a byte other than a letter, "
		       "digit, '-' or '_'; " NAME_RULE;
	case DKIM_NAME_HYPHEN_START:
		return "not a domain name: a label starts with '-' (RFC "
		       "5321 §4.1.2, RFC 1035 §2.3.1)";
	case DKIM_NAME_HYPHEN_END:
		return "not a domain name: a label ends with '-' (RFC 5321 "
		       "§4.1.2, RFC 1035 §2.3.1)";
	case DKIM_NAME_LONG_LABEL:
	default:
		return "not a domain name: a label longer "
		       "than " TXT_LABEL_MAX " bytes (RFC 1035 §2.3.4)";
	}
}

/* The key record's name, SELECTOR._domainkey.DOMAIN (RFC 6376 §3.6.2.1) */
#define DOMAINKEY "._domainkey."

enum vouch_dkim_sign_req_part
dkim_sign_req_problem(const struct vouch_dkim_key *key,
    enum vouch_dkim_sign_alg alg, const char *domain, const char *selector,
    const char **why)
{
	if (key == NULL) {
		*why = "no key";
		return VOUCH_DKIM_SIGN_REQ_KEY;
	}
	if ((*why = name_problem(domain)) != NULL)
		return VOUCH_DKIM_SIGN_REQ_DOMAIN;
	if ((*why = name_problem(selector)) != NULL)
		return VOUCH_DKIM_SIGN_REQ_SELECTOR;
	/* the verifiers refuse a key name they cannot look up: "key name
	 * too long" */
	if (strlen(selector) + sizeof(DOMAINKEY) - 1 + strlen(domain) >
	    VOUCH_DNS_MAX_NAME) {
		*why = "the key's name SELECTOR._domainkey.DOMAIN is longer "
		       "than " TXT_NAME_MAX " bytes (RFC 1035 §2.3.4)";
		return VOUCH_DKIM_SIGN_REQ_SELECTOR;
	}
	if ((*why = alg_problem(key, alg)) != NULL)
		return VOUCH_DKIM_SIGN_REQ_ALG;
	return VOUCH_DKIM_SIGN_REQ_OK;
}

/* The rules of a DKIM request that an ARC sealer's does not share. */
static enum vouch_dkim_sign_req_part
own_problem(const struct vouch_dkim_sign_req *r, const char **why)
{
	if (r->auid != NULL &&
	    (*why = auid_problem(r->auid, r->domain)) != NULL)
		return VOUCH_DKIM_SIGN_REQ_AUID;
	if ((*why = headers_problem(r)) != NULL)
		return VOUCH_DKIM_SIGN_REQ_HEADERS;
	return VOUCH_DKIM_SIGN_REQ_OK;
}

enum vouch_status
vouch_dkim_sign_req_check(const struct vouch_dkim_sign_req *r,
    enum vouch_dkim_sign_req_part *part, const char **reason)
{
	enum vouch_dkim_sign_req_part bad = VOUCH_DKIM_SIGN_REQ_OK;
	const char *why = NULL;

	if (part != NULL)
		*part = VOUCH_DKIM_SIGN_REQ_OK;
	if (reason != NULL)
		*reason = "";
	if (r == NULL || part == NULL || reason == NULL)
		return VOUCH_EINVAL;
	bad =
	    dkim_sign_req_problem(r->key, r->alg, r->domain, r->selector, &why);
	if (bad == VOUCH_DKIM_SIGN_REQ_OK)
		bad = own_problem(r, &why);
	if (bad == VOUCH_DKIM_SIGN_REQ_OK)
		return VOUCH_OK;
	*part = bad;
	*reason = why;
	return VOUCH_EINVAL;
}

/*
 * The bytes a request's block takes (its header arrays and strings),
 * rounded up so that the next block stays aligned, or 0 when the request
 * cannot be signed as given (vouch_dkim_sign_req_check): checked before
 * the context is allocated, so that the context and every request's
 * strings are one allocation.
 */
/* The lengths of a request's strings, measured once (sign_req_size). */
struct req_lens {
	size_t domain, selector, auid;
};

static size_t
sign_req_size(const struct vouch_dkim_sign_req *r, struct req_lens *l)
{
	enum vouch_dkim_sign_req_part part;
	const char *why;
	size_t nnames = 0, names = 0, over = 0, size;
	const size_t align = _Alignof(max_align_t);

	if (vouch_dkim_sign_req_check(r, &part, &why) != VOUCH_OK)
		return 0;
	if (r->headers != NULL || r->oversign_headers != NULL) {
		if (r->headers != NULL) {
			nnames = r->nheaders;
			names = names_size(r->headers, r->nheaders);
		} else {
			nnames =
			    NELEM(default_oversigned) + NELEM(default_signed);
			names =
			    names_size(
			        default_oversigned, NELEM(default_oversigned)) +
			    names_size(default_signed, NELEM(default_signed));
		}
		over = names_size(r->oversign_headers, r->noversign_headers);
		nnames += r->noversign_headers;
	}
	l->domain = strlen(r->domain);
	l->selector = strlen(r->selector);
	l->auid = r->auid != NULL ? strlen(r->auid) : 0;
	size = nnames * (sizeof(const char *) + sizeof(size_t)) + names + over +
	       l->domain + l->selector + 2 +
	       (r->auid != NULL ? l->auid + 1 : 0);
	return (size + align - 1) / align * align;
}

/*
 * Copy request r (checked by sign_req_size) into o, its strings into
 * `pool` (sign_req_size bytes, aligned; l the lengths it measured).
 */
static void
sign_req_copy(struct sign_one *o, const struct vouch_dkim_sign_req *r,
    const struct req_lens *l, char *pool)
{
	struct pool pl;
	size_t nnames = 0;
	int custom = r->headers != NULL || r->oversign_headers != NULL;

	o->key = r->key;
	o->alg = dkim_sign_alg_of(r->key, r->alg);
	o->hcanon = r->header_relaxed ? CANON_RELAXED : CANON_SIMPLE;
	o->bcanon = r->body_relaxed ? CANON_RELAXED : CANON_SIMPLE;
	o->oversign = r->oversign;
	o->body_length = r->body_length;
	o->expire = r->expire;
	if (custom)
		nnames = (r->headers != NULL ? r->nheaders
		                             : NELEM(default_oversigned) +
		                                   NELEM(default_signed)) +
		         r->noversign_headers;
	pl.p = pool + nnames * (sizeof(*o->headers) + sizeof(*o->hlen));
	pl.len = 0;
	o->domain = pool_strn(&pl, r->domain, l->domain);
	o->selector = pool_strn(&pl, r->selector, l->selector);
	if (r->auid != NULL)
		o->auid = pool_strn(&pl, r->auid, l->auid);
	if (!custom)
		return;
	o->headers = (const char **)(void *)pool;
	o->hlen = (size_t *)(void *)(o->headers + nnames);
	copy_hnames(o, &pl, r);
}

/*
 * No OpenSSL function that can fail is called here (SHA256_Init cannot),
 * so OpenSSL's error stack needs no mark around the call.
 */
enum vouch_status
vouch_dkim_sign_new(const struct vouch_dkim_sign_req *reqs, size_t nreqs,
    int64_t now, struct vouch_dkim_sign **out)
{
	struct vouch_dkim_sign *s;
	size_t i, size[VOUCH_DKIM_SIGN_MAX_REQUESTS], total = 0;
	struct req_lens lens[VOUCH_DKIM_SIGN_MAX_REQUESTS];
	char *pool;
	int c;

	*out = NULL;
	if (reqs == NULL || nreqs == 0 ||
	    nreqs > VOUCH_DKIM_SIGN_MAX_REQUESTS || now < 0)
		return VOUCH_EINVAL;
	for (i = 0; i < nreqs; i++) {
		if ((size[i] = sign_req_size(&reqs[i], &lens[i])) == 0)
			return VOUCH_EINVAL;
		total += size[i];
	}
	/* the context and the requests' strings: one allocation, not one
	 * more per request for every message */
	if ((s = malloc(sizeof(*s) + total)) == NULL)
		return VOUCH_ENOMEM;
	pool = (char *)(s + 1);
	/* the requests and bodies are cleared as they are used (see the
	 * struct): over 6 KiB not cleared for every message */
	memset(s, 0, offsetof(struct vouch_dkim_sign, req));
	for (c = 0; c < 2; c++)
		memset(&s->body[c], 0, offsetof(struct sign_body, cb));
	vbuf_init_first(
	    &s->hdr, s->hdr0, sizeof(s->hdr0), VOUCH_MAX_HEADER_BYTES);
	dkim_header_split_init(&s->hs);
	s->now = now != 0 ? now : (int64_t)time(NULL);
	for (i = 0; i < nreqs; i++) {
		memset(&s->req[i], 0, sizeof(s->req[i]));
		s->nreq++;
		sign_req_copy(&s->req[i], &reqs[i], &lens[i], pool);
		pool += size[i];
		s->body[s->req[i].bcanon].used = 1;
	}
	for (c = 0; c < 2; c++) {
		struct sign_body *b = &s->body[c];

		if (b->used) {
			SHA256_Init(&b->md);
			canon_body_init(&b->cb, (enum canon_alg)c, UINT64_MAX,
			    body_sink, b);
		}
	}
	*out = s;
	return VOUCH_OK;
}

static void
sign_body_bytes(struct vouch_dkim_sign *s, const uint8_t *p, size_t len)
{
	size_t c;

	if (len == 0)
		return;
	for (c = 0; c < NELEM(s->body); c++)
		if (s->body[c].used)
			canon_body_update(&s->body[c].cb, p, len);
}

void
dkim_crlf_to_lf(struct vbuf *b)
{
	size_t r, w = 0;

	for (r = 0; r < b->len; r++)
		if (!(b->p[r] == '\r' && r + 1 < b->len && b->p[r + 1] == '\n'))
			b->p[w++] = b->p[r];
	b->len = w;
	b->p[w] = '\0';
}

void
dkim_header_split_init(struct dkim_header_split *hs)
{
	hs->in_body = 0;
	hs->bol = 1;
	hs->bolcr = 0;
}

enum vouch_status
dkim_header_split_add(struct dkim_header_split *hs, struct vbuf *hdr,
    const uint8_t *p, const uint8_t *end, const uint8_t **body)
{
	const uint8_t *nl, *q;

	/* Each step consumes at least one byte, so the loop ends. */
	while (!hs->in_body && p < end) {
		if (hs->bol || hs->bolcr) {
			if (*p == '\n') {
				hs->in_body = 1;
			} else if (*p == '\r' && !hs->bolcr) {
				hs->bolcr = 1;
			} else {
				/* a CR not before LF is an ordinary byte */
				hs->bol = hs->bolcr = 0;
				continue;
			}
			if (vbuf_addc(hdr, *p++) != VOUCH_OK)
				return hdr->err;
			continue;
		}
		/*
		 * Inside the section: up to the next line start that may be
		 * the empty line (an LF, or a CR before LF or the chunk's
		 * end), copied at once rather than line by line.
		 */
		for (q = p;;) {
			if ((nl = memchr(q, '\n', (size_t)(end - q))) == NULL) {
				q = end;
				hs->bol = 0;
				break;
			}
			q = nl + 1;
			if (q == end || *q == '\n' ||
			    (*q == '\r' && (q + 1 == end || q[1] == '\n'))) {
				hs->bol = 1;
				break;
			}
		}
		if (vbuf_add(hdr, p, (size_t)(q - p)) != VOUCH_OK)
			return hdr->err;
		p = q;
	}
	*body = p;
	return VOUCH_OK;
}

enum vouch_status
vouch_dkim_sign_update(struct vouch_dkim_sign *s, const uint8_t *p, size_t len)
{
	const uint8_t *end;

	if (s == NULL)
		return VOUCH_EINVAL;
	if (s->err != VOUCH_OK)
		return s->err;
	if (s->finished) {
		s->reason = "update after finish";
		return s->err = VOUCH_EINVAL;
	}
	if (p == NULL && len > 0) {
		s->reason = "no data with a length";
		return s->err = VOUCH_EINVAL;
	}
	/* NULL with length 0 is no input: no arithmetic on a null pointer */
	if (len == 0)
		return VOUCH_OK;
	end = p + len;
	/* the header section kept whole, the body canonicalized as it comes */
	if (dkim_header_split_add(&s->hs, &s->hdr, p, end, &p) != VOUCH_OK)
		goto toolarge;
	sign_body_bytes(s, p, (size_t)(end - p));
	return VOUCH_OK;
toolarge:
	s->reason = s->hdr.err == VOUCH_ELIMIT ? "header section too large"
	                                       : "out of memory";
	return s->err = s->hdr.err;
}

/*
 * The header names of one signature, distinct, in the order of its list,
 * with their lengths (the default list, or the request's), and which
 * fields of the section each names: the fields are matched against the
 * names once, where the h= list and the §5.4.2 selection each compared
 * every name with every field.
 */
#define SEL_MAX (VOUCH_DKIM_SIGN_MAX_HEADERS * 2)
_Static_assert(
    SEL_MAX < 256, "hsel's buckets hold a name's index + 1 in a byte");

struct hsel {
	size_t n;
	const char *name[SEL_MAX];
	size_t len[SEL_MAX];
	int over[SEL_MAX]; /* listed once more than it occurs */
	size_t count[SEL_MAX]; /* fields of that name */
	/* 1 + the last field of that name, 0 if none; from there each field
	 * of a name links to the one above it (prev, the same plus one) */
	size_t last[SEL_MAX];
	uint16_t prev[VOUCH_MAX_HEADER_FIELDS];
	/* the names by their first byte, lowered, modulo 32 (one bucket per
	 * letter): 1 + the first name of a bucket, 1 + the next one in it,
	 * 0 at the end; a field is compared with the names of its bucket
	 * only, not with every name */
	uint8_t bucket[32];
	uint8_t chain[SEL_MAX];
};

/* How often the field `name` (len bytes) occurs in the header section. */
static size_t
field_count(const struct mail_header *h, const char *name, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < h->nfield; i++)
		if (h->field[i].namelen == len &&
		    mail_name_eq(h->field[i].name, len, name))
			n++;
	return n;
}

static void
sel_add(struct hsel *sl, const char *name, size_t len, int over)
{
	unsigned b;

	sl->name[sl->n] = name;
	sl->len[sl->n] = len;
	sl->over[sl->n] = over;
	sl->count[sl->n] = 0;
	sl->last[sl->n] = 0;
	/* a name is not empty (hname_len, the default lists) */
	b = dkim_lower((uint8_t)name[0]) & 31;
	sl->chain[sl->n] = sl->bucket[b];
	sl->bucket[b] = (uint8_t)(sl->n + 1);
	sl->n++;
}

/*
 * Field name p (len bytes) and header name s (at least len bytes), the
 * same without regard to ASCII case?  Inline and without the NUL checks
 * of mail_name_eq: the lengths are known to match, and most pairs differ
 * in their first byte.
 */
static int
name_eq(const uint8_t *p, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)s[i] &&
		    dkim_lower(p[i]) != dkim_lower((uint8_t)s[i]))
			return 0;
	return 1;
}

/* The names of o with their counts in h (h->nfield is within bounds). */
static void
sel_make(struct hsel *sl, const struct sign_one *o, const struct mail_header *h)
{
	size_t i, j;

	sl->n = 0;
	memset(sl->bucket, 0, sizeof(sl->bucket));
	if (o->headers == NULL) {
		for (i = 0; i < NELEM(default_oversigned); i++)
			sel_add(sl, default_oversigned[i],
			    strlen(default_oversigned[i]), 1);
		for (i = 0; i < NELEM(default_signed); i++)
			sel_add(sl, default_signed[i],
			    strlen(default_signed[i]), 0);
	} else
		for (i = 0; i < o->nheaders; i++)
			sel_add(sl, o->headers[i], o->hlen[i],
			    o->oversign || o->over[i]);
	/* the names are distinct: a field is named by one at most */
	for (i = 0; i < h->nfield; i++) {
		const struct mail_field *fl = &h->field[i];

		/* a field name is not empty (mail_header_parse) */
		for (j = sl->bucket[dkim_lower(fl->name[0]) & 31]; j != 0;
		     j = sl->chain[j - 1])
			if (fl->namelen == sl->len[j - 1] &&
			    name_eq(fl->name, sl->name[j - 1], fl->namelen)) {
				sl->prev[i] = (uint16_t)sl->last[j - 1];
				sl->last[j - 1] = i + 1;
				sl->count[j - 1]++;
				break;
			}
	}
}

/*
 * The h= list, as indices into sl, with repeats: each name as often as it
 * occurs, once more when oversigned.  `list` holds `cap` entries (every
 * field plus one per name).  Returns the count.
 */
static size_t
build_hlist(const struct hsel *sl, uint16_t *list, size_t cap)
{
	size_t j, k, n, nn = 0;

	for (j = 0; j < sl->n; j++) {
		n = sl->count[j] + (sl->over[j] ? 1 : 0);
		for (k = 0; k < n && nn < cap; k++)
			list[nn++] = (uint16_t)j;
	}
	return nn;
}

/* Column tracking for folding: append text, folding before it if needed. */
struct fold {
	struct vbuf *b;
	size_t col;
};

/* Before a unit of n bytes: a fold when it would not fit, or a space. */
static void
fold_before(struct fold *f, size_t n, int space_before)
{
	if (f->col + (space_before ? 1 : 0) + n > FOLD_WIDTH &&
	    f->col > FOLD_INDENT) {
		vbuf_add(f->b, "\r\n\t", 3);
		f->col = FOLD_INDENT;
	} else if (space_before) {
		vbuf_addc(f->b, ' ');
		f->col++;
	}
}

/*
 * Append the pieces of `part` (ending with one whose s is NULL, at most
 * 511 bytes together) as one unit that folding keeps whole.  Plain copies
 * of known lengths, each straight into the field: the field is made for
 * every message, and a printf (or a strlen) per tag cost more than
 * canonicalizing the header.
 */
static void
fold_cat(struct fold *f, int space_before, const struct piece *part)
{
	const struct piece *q;
	uint8_t *w;
	size_t n = 0;

	for (q = part; q->s != NULL; q++) {
		if (q->n >= 512 - n) {
			f->b->err = VOUCH_ELIMIT;
			return;
		}
		n += q->n;
	}
	fold_before(f, n, space_before);
	if ((w = vbuf_space(f->b, n)) == NULL)
		return; /* the error is sticky in the buffer */
	/* most pieces are a few bytes: inline moves, not a call each */
	for (q = part; q->s != NULL; q++) {
		vbuf_copy(w, (const uint8_t *)q->s, q->n);
		w += q->n;
	}
	vbuf_commit(f->b, n);
	f->col += n;
}

/* fold_cat of the pieces given, with less to write. */
#define FOLD(f, space_before, ...) \
	fold_cat((f), (space_before), \
	    (const struct piece[]){__VA_ARGS__, {NULL, 0}})

/* The decimal text of v, in buf (21 bytes), as a piece. */
static struct piece
u64_text(uint64_t v, char buf[21])
{
	char *p = buf + 20;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return (struct piece){p, (size_t)(buf + 20 - p)};
}

/*
 * Base64 text cut to fit the lines: for b= (FWS allowed, §3.5); `len` is at
 * most 1024 bytes (dkim_sign_hash), whose text fits on the stack.
 */
static void
fold_b64(struct fold *f, const uint8_t *p, size_t len)
{
	char txt[BASE64_ENCODED_LEN(1024)];
	size_t n, off = 0, room;

	if ((n = base64_encode(p, len, txt, sizeof(txt))) == 0) {
		f->b->err = VOUCH_ELIMIT;
		return;
	}
	while (off < n) {
		if (f->col >= FOLD_WIDTH) {
			vbuf_add(f->b, "\r\n\t", 3);
			f->col = FOLD_INDENT;
		}
		room = FOLD_WIDTH - f->col;
		if (room > n - off)
			room = n - off;
		vbuf_add(f->b, txt + off, room);
		f->col += room;
		off += room;
	}
}

/* The base64 text of a SHA-256 value: 44 characters and a NUL. */
static void
b64_32(const uint8_t *p, char txt[45])
{
	txt[base64_encode(p, 32, txt, 44)] = '\0';
}

static struct piece
alg_piece(enum vouch_dkim_sign_alg alg)
{
	return alg == VOUCH_DKIM_SIGN_RSA_SHA256 ? P("rsa-sha256")
	                                         : P("ed25519-sha256");
}

/* canon_name's text with its length. */
static struct piece
canon_piece(enum canon_alg alg)
{
	return alg == CANON_RELAXED ? P("relaxed") : P("simple");
}

/*
 * h=, folding between names (FWS around ':' is allowed, §3.5), each name
 * with its ':' (';' after the last) one unit as fold_cat would make it:
 * written at once, room made for the whole list first, because a
 * fold_cat per name was the largest part of writing the field.
 */
static void
fold_hlist(
    struct fold *f, const struct hsel *sl, const uint16_t *list, size_t nnames)
{
	size_t i, n, room = 2; /* "h=" */
	const char *name;
	uint8_t *w, *start;

	/* each name: itself, ':' or ';', and a fold (3) or a space before */
	for (i = 0; i < nnames; i++)
		room += sl->len[list[i]] + 4;
	if ((start = w = vbuf_space(f->b, room)) == NULL)
		return; /* the error is sticky in the buffer */
	for (i = 0; i < nnames; i++) {
		name = sl->name[list[i]];
		n = sl->len[list[i]];
		/* fold_before's rule, with the space before h= only */
		if (f->col + (i == 0 ? 1 : 0) + n + (i == 0 ? 3 : 1) >
		        FOLD_WIDTH &&
		    f->col > FOLD_INDENT) {
			memcpy(w, "\r\n\t", 3);
			w += 3;
			f->col = FOLD_INDENT;
		} else if (i == 0) {
			*w++ = ' ';
			f->col++;
		}
		if (i == 0) {
			memcpy(w, "h=", 2);
			w += 2;
			f->col += 2;
		}
		memcpy(w, name, n);
		w += n;
		*w++ = i + 1 == nnames ? ';' : ':';
		f->col += n + 1;
	}
	vbuf_commit(f->b, (size_t)(w - start));
}

/*
 * dkim_sign_hash - the signature of `hash` (SHA-256 of the header data):
 * RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8301 §3.1), or Ed25519 over the hash
 * (RFC 8463 §3).  Shared with the ARC sealer (sign_internal.h).
 */
enum vouch_status
dkim_sign_hash(const struct vouch_dkim_key *key, enum vouch_dkim_sign_alg alg,
    const uint8_t *hash, size_t hlen, uint8_t *sig, size_t *siglen)
{
	EVP_PKEY_CTX *pctx = NULL;
	enum vouch_status st = VOUCH_ECRYPTO;

	if (key->pkey == NULL) {
		/* an external key: the digest goes to the key's holder */
		size_t cap = *siglen;
		st = key->sign_fn(
		    key->sign_arg, alg, hash, hlen, sig, cap, siglen);
		if (st == VOUCH_OK && (*siglen == 0 || *siglen > cap))
			st = VOUCH_ECRYPTO;
		return st;
	}
	if (alg == VOUCH_DKIM_SIGN_RSA_SHA256) {
		/* a copy of the context prepared at load (key.c) */
		if ((pctx = dkim_key_rsa_sign_ctx(key)) == NULL)
			return VOUCH_ENOMEM;
		if (EVP_PKEY_sign(pctx, sig, siglen, hash, hlen) > 0)
			st = VOUCH_OK;
		EVP_PKEY_CTX_free(pctx);
		return st;
	}
	/* RFC 8463 §3: Ed25519 over the hash, through libsodium */
	if (*siglen < DKIM_ED25519_SIG_LEN)
		return VOUCH_ECRYPTO;
	if ((st = dkim_ed25519_sign(key->ed25519_sk, hash, hlen, sig)) ==
	    VOUCH_OK)
		*siglen = DKIM_ED25519_SIG_LEN;
	return st;
}

/*
 * The canonical header data (§3.7), hashed as it is made: the fields are
 * canonicalized into `buf` (HDATA_BUF bytes on the signer's stack) and
 * the buffer handed to the digest when the next field would not fit, so
 * that no buffer is allocated for the data of every message.  A field
 * larger than the whole buffer is canonicalized into one of its own.
 * The digest is the body's context, which vouch_dkim_sign_finish has
 * finished with: set up again, not made anew for each signature.
 */
#define HDATA_BUF 4096

struct hdata {
	SHA256_CTX *md;
	struct vbuf buf; /* over the stack storage (vbuf_init_fixed) */
	enum vouch_status err; /* the first failure */
};

static void
hdata_flush(struct hdata *hd)
{
	if (hd->buf.len > 0 && hd->err == VOUCH_OK)
		SHA256_Update(hd->md, hd->buf.p, hd->buf.len);
	vbuf_reset(&hd->buf);
}

/*
 * Add one field (len bytes at p, canonicalized by `alg`); the last one
 * (the DKIM-Signature field, §3.7) without the CRLF that relaxed
 * canonicalization ends it with.
 */
static void
hdata_add(struct hdata *hd, enum canon_alg alg, const uint8_t *p, size_t len,
    int last)
{
	struct vbuf big, *b = &hd->buf;

	if (hd->err != VOUCH_OK)
		return;
	/* the canonical field is at most len + 2 bytes (canon_header) */
	if (len + 2 > b->max - b->len)
		hdata_flush(hd);
	if (len + 2 > b->max) {
		b = &big;
		vbuf_init(b, len + 2);
	}
	if (canon_header(alg, p, len, b) != VOUCH_OK)
		hd->err = b->err;
	else if (last && b->len >= 2 && b->p[b->len - 2] == '\r' &&
	         b->p[b->len - 1] == '\n')
		b->len -= 2;
	if (b == &big) {
		if (hd->err == VOUCH_OK)
			SHA256_Update(hd->md, big.p, big.len);
		vbuf_free(&big);
	}
}

/*
 * Make one DKIM-Signature field and append it (CRLF line ends) to `out`:
 * it is written there, and canonicalized from there for the hash, so it
 * is never copied; on error `out` is as it was.  RFC 6376 §5.4 (header
 * selection), §3.7 (the hash), §3.5 (the tags).
 */
static enum vouch_status
sign_one(struct vouch_dkim_sign *s, const struct sign_one *o,
    const struct mail_header *h, const uint8_t *bh, uint64_t blen,
    struct vbuf *out)
{
	/* every field once, plus one per distinct name oversigned */
	uint16_t list[VOUCH_MAX_HEADER_FIELDS + SEL_MAX];
	struct hsel sl;
	uint8_t hash[SHA256_DIGEST_LENGTH], sig[1024], hbuf[HDATA_BUF];
	char bhtxt[45], num[21];
	size_t nnames, i, j, siglen = sizeof(sig), mark = out->len;
	struct hdata hd;
	struct fold f;
	enum vouch_status st;

	if (h->nfield > VOUCH_MAX_HEADER_FIELDS) {
		s->reason = "too many header fields";
		return VOUCH_ELIMIT;
	}
	sel_make(&sl, o, h);
	nnames = build_hlist(&sl, list, NELEM(list));
	/* room for a usual field at once, not by doubling from 64 bytes; a
	 * failure is sticky and seen below */
	(void)vbuf_space(out, 1023);
	f.b = out;
	f.col = 0;
	/* the first line, at most 57 columns: nothing in it can fold */
	FOLD(&f, 0, P("DKIM-Signature: v=1; a="), alg_piece(o->alg), P("; c="),
	    canon_piece(o->hcanon), P("/"), canon_piece(o->bcanon), P(";"));
	FOLD(&f, 1, P("d="), o->domain, P(";"));
	FOLD(&f, 1, P("s="), o->selector, P(";"));
	FOLD(&f, 1, P("t="), u64_text((uint64_t)s->now, num), P(";"));
	if (o->expire != 0)
		FOLD(&f, 1, P("x="),
		    u64_text((uint64_t)s->now + o->expire, num), P(";"));
	if (o->auid.s != NULL)
		FOLD(&f, 1, P("i="), o->auid, P(";"));
	if (o->body_length)
		FOLD(&f, 1, P("l="), u64_text(blen, num), P(";"));
	fold_hlist(&f, &sl, list, nnames);
	/* bh= is 47 characters with its value: kept on one line */
	b64_32(bh, bhtxt);
	FOLD(&f, 1, P("bh="), ((struct piece){bhtxt, 44}), P(";"));
	/* b= on a line of its own; its value is added after signing */
	vbuf_add(out, "\r\n\tb=", 5);
	f.col = FOLD_INDENT + 2;
	if (out->err != VOUCH_OK || out->len - mark > SIG_FIELD_MAX) {
		st = out->err != VOUCH_OK ? out->err : VOUCH_ELIMIT;
		s->reason = "DKIM-Signature field too long";
		goto out;
	}

	/*
	 * §5.4.2: for each name in h=, the last instance not yet used, going
	 * up from the bottom (the fields of each name linked by sel_make); a
	 * name with none left contributes nothing.
	 */
	hd.md = &s->body[o->bcanon].md;
	hd.err = VOUCH_OK;
	SHA256_Init(hd.md);
	vbuf_init_fixed(&hd.buf, hbuf, sizeof(hbuf));
	for (i = 0; i < nnames; i++) {
		size_t k = list[i];

		if ((j = sl.last[k]) == 0)
			continue;
		sl.last[k] = sl.prev[j - 1];
		hdata_add(&hd, o->hcanon, h->field[j - 1].raw,
		    h->field[j - 1].len, 0);
	}
	/* §3.7: the signature field itself, b= empty, no final CRLF */
	hdata_add(&hd, o->hcanon, out->p + mark, out->len - mark, 1);
	hdata_flush(&hd);
	if (hd.err != VOUCH_OK) {
		st = hd.err;
		s->reason = "header section too large";
		goto out;
	}
	SHA256_Final(hash, hd.md);
	if ((st = dkim_sign_hash(o->key, o->alg, hash, SHA256_DIGEST_LENGTH,
	         sig, &siglen)) != VOUCH_OK) {
		s->reason = "the crypto library could not sign";
		goto out;
	}
	fold_b64(&f, sig, siglen);
	vbuf_add(out, "\r\n", 2);
	st = out->err;
	if (st == VOUCH_OK && out->len - mark > SIG_FIELD_MAX)
		st = VOUCH_ELIMIT;
	if (st != VOUCH_OK)
		s->reason = "DKIM-Signature field too long";
out:
	if (st != VOUCH_OK && out->p != NULL) {
		out->len = mark; /* no part of a field */
		out->p[mark] = '\0';
	}
	return st;
}

static enum vouch_status
vouch_dkim_sign_finish_inner(
    struct vouch_dkim_sign *s, bool crlf, char **fields, size_t *len)
{
	struct mail_header h;
	uint8_t bh[2][SHA256_DIGEST_LENGTH];
	struct vbuf out;
	size_t i, nfrom, c;
	enum vouch_status st;
	char *txt;

	*fields = NULL;
	*len = 0;
	memset(&h, 0, sizeof(h));
	vbuf_init(&out, SIG_FIELD_MAX * VOUCH_DKIM_SIGN_MAX_REQUESTS);
	if (s->err != VOUCH_OK)
		return s->err;
	if (s->finished) {
		s->reason = "finish called twice";
		return s->err = VOUCH_EINVAL;
	}
	s->finished = 1;
	for (c = 0; c < NELEM(s->body); c++) {
		struct sign_body *b = &s->body[c];

		if (!b->used)
			continue;
		canon_body_final(&b->cb);
		SHA256_Final(bh[c], &b->md);
	}
	if ((st = mail_header_parse(&h,
	         s->hdr.p != NULL ? s->hdr.p : (const uint8_t *)"",
	         s->hdr.len)) != VOUCH_OK) {
		s->reason = h.error != NULL ? h.error : "bad header section";
		goto out;
	}
	/* RFC 6376 §5.4 and RFC 5322 §3.6: exactly one From to sign */
	nfrom = field_count(&h, "From", 4);
	if (nfrom != 1) {
		s->reason = nfrom == 0 ? "the message has no From header field"
		                       : "the message has more than one From "
		                         "header field";
		st = VOUCH_ESYNTAX;
		goto out;
	}
	for (i = 0; i < s->nreq; i++) {
		const struct sign_one *o = &s->req[i];

		st = sign_one(
		    s, o, &h, bh[o->bcanon], s->body[o->bcanon].cb.len, &out);
		if (st != VOUCH_OK)
			goto out;
	}
	if (!crlf) /* the caller's message has bare LF line ends */
		dkim_crlf_to_lf(&out);
	txt = vbuf_take(&out, len);
	if (txt == NULL) {
		st = VOUCH_ENOMEM;
		goto out;
	}
	*fields = txt;
out:
	if (st != VOUCH_OK)
		s->err = st;
	mail_header_free(&h);
	vbuf_free(&out);
	return st;
}

/*
 * Does finish call OpenSSL where it may leave an error: an RSA signature
 * (EVP_PKEY_sign), or an external key's holder, which may use it?  The
 * hashes (SHA256_*) and Ed25519 (libsodium) leave none.
 */
static int
uses_err_stack(const struct vouch_dkim_sign *s)
{
	size_t i;

	for (i = 0; i < s->nreq; i++)
		if (s->req[i].alg != VOUCH_DKIM_SIGN_ED25519_SHA256 ||
		    s->req[i].key->pkey == NULL)
			return 1;
	return 0;
}

/*
 * The public entry; OpenSSL's error stack is left as it was (marked only
 * when something in the call may push to it: the pair cost about 0.1%
 * of a 2 KiB Ed25519 signature).
 */
enum vouch_status
vouch_dkim_sign_finish(
    struct vouch_dkim_sign *s, bool crlf, char **fields, size_t *len)
{
	enum vouch_status st;
	int mark = s != NULL && uses_err_stack(s);

	if (mark)
		ERR_set_mark();
	st = vouch_dkim_sign_finish_inner(s, crlf, fields, len);
	if (mark)
		ERR_pop_to_mark();
	return st;
}

const char *
vouch_dkim_sign_error(const struct vouch_dkim_sign *s)
{
	return s->reason != NULL ? s->reason : "";
}
