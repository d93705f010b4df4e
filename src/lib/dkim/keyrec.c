/*
 * DKIM key records (RFC 6376 §3.6.1, RFC 8463 §4) and the cache of parsed
 * public keys.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "vouch/limits.h"
#include "dkim/internal.h"
#include "mail/tagvalue.h"
#include "util/base64.h"

/*
 * Call `fn` for each item of a colon-separated list with FWS around the
 * colons (the h=, s= and t= key tags, §3.6.1).
 */
static void
each_item(
    const struct tag *t, void (*fn)(void *, const uint8_t *, size_t), void *arg)
{
	const uint8_t *p = t->value, *end = t->value + t->valuelen, *s;
	size_t n;

	while (dkim_list_next(&p, end, &s, &n))
		fn(arg, s, n);
}

static void
hash_item(void *arg, const uint8_t *p, size_t n)
{
	unsigned *h = arg;

	if (dkim_ieq(p, n, "sha1"))
		*h |= DKIM_HASH_SHA1;
	else if (dkim_ieq(p, n, "sha256"))
		*h |= DKIM_HASH_SHA256;
}

static void
service_item(void *arg, const uint8_t *p, size_t n)
{
	bool *email = arg;

	if (dkim_ieq(p, n, "email") || (n == 1 && p[0] == '*'))
		*email = true;
}

static void
flag_item(void *arg, const uint8_t *p, size_t n)
{
	struct dkim_keyrec *kr = arg;

	if (n == 1 && (p[0] == 'y' || p[0] == 'Y'))
		kr->testing = true;
	else if (n == 1 && (p[0] == 's' || p[0] == 'S'))
		kr->strict = true;
}

int
dkim_keyrec_parse(
    const uint8_t *txt, size_t len, struct dkim_keyrec *kr, const char **why)
{
	struct tag_list tl;
	const struct tag *t;

	memset(kr, 0, sizeof(*kr));
	if (tag_list_parse(txt, len, &tl, why) != VOUCH_OK)
		return -1;
	/* §3.6.1 v=: if present, it MUST be the first tag, "DKIM1". */
	if ((t = tag_find(&tl, "v")) != NULL) {
		if (t != &tl.tag[0]) {
			*why = "key record v= is not the first tag";
			return -1;
		}
		if (!tag_value_eq(t, "DKIM1")) {
			*why = "key record v= is not DKIM1";
			return -1;
		}
	}
	kr->k = DKIM_KEY_RSA; /* §3.6.1 k= default */
	if ((t = tag_find(&tl, "k")) != NULL) {
		if (dkim_ieq(t->value, t->valuelen, "rsa"))
			kr->k = DKIM_KEY_RSA;
		else if (dkim_ieq(t->value, t->valuelen, "ed25519"))
			kr->k = DKIM_KEY_ED25519;
		else {
			*why = "unknown key type (k=)";
			return -1;
		}
	}
	kr->hashes = DKIM_HASH_SHA1 | DKIM_HASH_SHA256;
	if ((t = tag_find(&tl, "h")) != NULL) {
		kr->hashes = 0;
		each_item(t, hash_item, &kr->hashes);
	}
	kr->email = true;
	if ((t = tag_find(&tl, "s")) != NULL) {
		kr->email = false;
		each_item(t, service_item, &kr->email);
	}
	if ((t = tag_find(&tl, "t")) != NULL)
		each_item(t, flag_item, kr);
	if ((t = tag_find(&tl, "p")) == NULL) {
		*why = "key record has no p= tag";
		return -1;
	}
	kr->p = t->value;
	kr->plen = t->valuelen;
	return 0;
}

/*
 * The cache: a small array searched linearly (a lookup costs well under a
 * microsecond, a parse of an RSA key tens of them), least recently used
 * entry replaced.  One mutex; the EVP_PKEY handed out is an extra
 * reference, so an entry replaced meanwhile stays valid for its user.
 */
struct key_entry {
	enum dkim_keytype k;
	size_t len;
	uint8_t *text; /* the p= value as written: the key of the entry */
	EVP_PKEY *pk;
	unsigned bits;
	uint64_t used;
	EVP_PKEY_CTX *verify[2]; /* RSA: prepared for SHA-1, SHA-256 */
	uint8_t ed25519[DKIM_ED25519_PK_LEN]; /* Ed25519: the raw key */
	/* the whole record last seen with this key, and what it parsed to
	 * (rkr.p is its offset, poff): NULL until dkim_keyrec_remember */
	uint8_t *rec;
	size_t reclen, poff;
	struct dkim_keyrec rkr;
};

static struct key_entry cache[VOUCH_DKIM_KEY_CACHE];
/*
 * Entries are filled from the first and never emptied (only replaced):
 * cache[0..cache_used) are the keys, so a search stops there rather than
 * reading all 64 entries (11 KB) for every message.
 */
static size_t cache_used;
static uint64_t cache_clock;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static EVP_PKEY *
cache_get(enum dkim_keytype k, const uint8_t *text, size_t len, unsigned *bits)
{
	EVP_PKEY *pk = NULL;
	size_t i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < cache_used; i++)
		if (cache[i].pk != NULL && cache[i].k == k &&
		    cache[i].len == len &&
		    memcmp(cache[i].text, text, len) == 0) {
			if (EVP_PKEY_up_ref(cache[i].pk) == 1) {
				pk = cache[i].pk;
				*bits = cache[i].bits;
				cache[i].used = ++cache_clock;
			}
			break;
		}
	pthread_mutex_unlock(&cache_lock);
	return pk;
}

static void
cache_put(enum dkim_keytype k, const uint8_t *text, size_t len, EVP_PKEY *pk,
    unsigned bits, const uint8_t *ed25519)
{
	size_t i, victim = 0;
	uint8_t *copy;

	if ((copy = malloc(len)) == NULL)
		return; /* not cached: only slower */
	memcpy(copy, text, len);
	if (EVP_PKEY_up_ref(pk) != 1) {
		free(copy);
		return;
	}
	pthread_mutex_lock(&cache_lock);
	if (cache_used < VOUCH_DKIM_KEY_CACHE)
		victim = cache_used++; /* the first empty entry */
	else
		for (i = 1; i < VOUCH_DKIM_KEY_CACHE; i++)
			if (cache[i].used < cache[victim].used)
				victim = i;
	EVP_PKEY_free(cache[victim].pk);
	EVP_PKEY_CTX_free(cache[victim].verify[0]);
	EVP_PKEY_CTX_free(cache[victim].verify[1]);
	free(cache[victim].text);
	free(cache[victim].rec);
	cache[victim].rec = NULL;
	cache[victim].reclen = 0;
	cache[victim].verify[0] = cache[victim].verify[1] = NULL;
	if (ed25519 != NULL)
		memcpy(cache[victim].ed25519, ed25519, DKIM_ED25519_PK_LEN);
	cache[victim].k = k;
	cache[victim].len = len;
	cache[victim].text = copy;
	cache[victim].pk = pk;
	cache[victim].bits = bits;
	cache[victim].used = ++cache_clock;
	pthread_mutex_unlock(&cache_lock);
}

int
dkim_keyrec_lookup(const uint8_t *txt, size_t len, struct dkim_keyrec *kr,
    EVP_PKEY **pk, unsigned *bits)
{
	size_t i;
	int hit = 0;

	*pk = NULL;
	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < cache_used; i++)
		if (cache[i].rec != NULL && cache[i].reclen == len &&
		    memcmp(cache[i].rec, txt, len) == 0) {
			if (EVP_PKEY_up_ref(cache[i].pk) == 1) {
				*pk = cache[i].pk;
				*bits = cache[i].bits;
				*kr = cache[i].rkr;
				kr->p = txt + cache[i].poff;
				cache[i].used = ++cache_clock;
				hit = 1;
			}
			break;
		}
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

void
dkim_keyrec_remember(
    const uint8_t *txt, size_t len, const struct dkim_keyrec *kr, EVP_PKEY *pk)
{
	uint8_t *copy;
	size_t i;

	if (kr->p < txt || kr->p + kr->plen > txt + len ||
	    (copy = malloc(len)) == NULL)
		return; /* not remembered: only slower */
	memcpy(copy, txt, len);
	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < cache_used; i++)
		if (cache[i].pk == pk)
			break;
	if (i < cache_used) {
		free(cache[i].rec);
		cache[i].rec = copy;
		cache[i].reclen = len;
		cache[i].poff = (size_t)(kr->p - txt);
		cache[i].rkr = *kr;
		cache[i].rkr.p = NULL;
		copy = NULL;
	}
	pthread_mutex_unlock(&cache_lock);
	free(copy); /* the key left the cache meanwhile */
}

static EVP_PKEY *
parse_rsa(const uint8_t *der, size_t len)
{
	const unsigned char *q = der;
	EVP_PKEY *pk;

	/* RFC 6376 §3.6.1: SubjectPublicKeyInfo, DER, nothing after it. */
	pk = d2i_PUBKEY(NULL, &q, (long)len);
	if (pk != NULL && q == der + len &&
	    EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
		return pk;
	EVP_PKEY_free(pk);
	/* Some old records hold a bare RSAPublicKey (PKCS#1). */
	q = der;
	pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)len);
	if (pk != NULL && q == der + len)
		return pk;
	EVP_PKEY_free(pk);
	return NULL;
}

enum vouch_status
dkim_key_decode(const struct dkim_keyrec *kr, EVP_PKEY **out, unsigned *bits,
    const char **why)
{
	uint8_t der[VOUCH_DKIM_MAX_KEY_DER];
	size_t len;
	EVP_PKEY *pk;
	enum vouch_status st;

	*out = NULL;
	*bits = 0;
	/* The same record text is the same key: no base64, no DER. */
	if ((pk = cache_get(kr->k, kr->p, kr->plen, bits)) != NULL) {
		*out = pk;
		return VOUCH_OK;
	}
	st = base64_decode(kr->p, kr->plen, der, sizeof(der), &len);
	if (st == VOUCH_ELIMIT) {
		*why = "public key too large";
		return VOUCH_ELIMIT;
	}
	if (st != VOUCH_OK || len == 0) {
		*why = "key p= is not base64";
		return VOUCH_ESYNTAX;
	}
	if (kr->k == DKIM_KEY_ED25519) {
		/* RFC 8463 §4: the raw 32-byte key, not an SPKI. */
		if (len != 32) {
			*why = "Ed25519 key is not 32 bytes";
			return VOUCH_ESYNTAX;
		}
		pk = EVP_PKEY_new_raw_public_key(
		    EVP_PKEY_ED25519, NULL, der, 32);
		*bits = 256;
	} else {
		pk = parse_rsa(der, len);
		if (pk != NULL)
			*bits = (unsigned)EVP_PKEY_get_bits(pk);
	}
	if (pk == NULL) {
		ERR_clear_error();
		*why = "key p= is not a valid public key";
		return VOUCH_ESYNTAX;
	}
	cache_put(kr->k, kr->p, kr->plen, pk, *bits,
	    kr->k == DKIM_KEY_ED25519 ? der : NULL);
	*out = pk;
	return VOUCH_OK;
}

static EVP_MD *md_sha1, *md_sha256;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void
md_fetch(void)
{
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *
dkim_md(unsigned hash)
{
	pthread_once(&md_once, md_fetch);
	return hash == DKIM_HASH_SHA1 ? md_sha1 : md_sha256;
}

/* RFC 6376 §3.3.1: RSASSA-PKCS1-v1_5 with the signature's hash. */
static EVP_PKEY_CTX *
rsa_ctx_new(EVP_PKEY *pk, unsigned hash)
{
	EVP_PKEY_CTX *pc;
	const EVP_MD *md = dkim_md(hash);

	if (md == NULL || (pc = EVP_PKEY_CTX_new(pk, NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_verify_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(pc, md) != 1) {
		EVP_PKEY_CTX_free(pc);
		return NULL;
	}
	return pc;
}

EVP_PKEY_CTX *
dkim_rsa_verify_ctx(EVP_PKEY *pk, unsigned hash)
{
	EVP_PKEY_CTX *pc = NULL;
	size_t i;
	int slot = hash == DKIM_HASH_SHA1 ? 0 : 1;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < cache_used; i++)
		if (cache[i].pk == pk)
			break;
	if (i < cache_used) {
		if (cache[i].verify[slot] == NULL)
			cache[i].verify[slot] = rsa_ctx_new(pk, hash);
		if (cache[i].verify[slot] != NULL)
			pc = EVP_PKEY_CTX_dup(cache[i].verify[slot]);
	}
	pthread_mutex_unlock(&cache_lock);
	if (pc == NULL)
		pc = rsa_ctx_new(pk, hash);
	return pc;
}

int
dkim_ed25519_public(EVP_PKEY *pk, uint8_t raw[DKIM_ED25519_PK_LEN])
{
	size_t i, len = DKIM_ED25519_PK_LEN;
	int found = 0;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < cache_used; i++)
		if (cache[i].pk == pk && cache[i].k == DKIM_KEY_ED25519) {
			memcpy(raw, cache[i].ed25519, DKIM_ED25519_PK_LEN);
			found = 1;
			break;
		}
	pthread_mutex_unlock(&cache_lock);
	if (found)
		return 0;
	/* a key no longer in the cache: ask OpenSSL */
	if (EVP_PKEY_get_raw_public_key(pk, raw, &len) != 1 ||
	    len != DKIM_ED25519_PK_LEN) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}
