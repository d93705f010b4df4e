/*
 * Private to the DKIM signer (sign.c, key.c): the key structure and the
 * helpers the two files share.
 */
#ifndef VOUCH_DKIM_SIGN_INTERNAL_H
#define VOUCH_DKIM_SIGN_INTERNAL_H

#include <openssl/evp.h>

#include "vouch/dkim_sign.h"
#include "vouch/limits.h"
#include "dkim/ed25519.h"
#include "util/buf.h"

struct vouch_dkim_key {
	EVP_PKEY *pkey; /* owned; parsed once at load; NULL when external */
	enum vouch_dkim_key_type type;
	/* Ed25519: libsodium's signing key (dkim/ed25519.h), derived at load
	 * from the same seed; wiped when the key is freed */
	uint8_t ed25519_sk[DKIM_ED25519_SK_LEN];
	/* RSA: a signing context prepared at load, copied for each use
	 * (dkim_key_rsa_sign_ctx); NULL when it could not be made */
	EVP_PKEY_CTX *rsa_sign;
	unsigned bits;
	/* an external key (vouch_dkim_key_new_external): the signature is
	 * made by sign_fn, the private key lives elsewhere */
	vouch_dkim_sign_fn *sign_fn;
	void *sign_arg;
};

/*
 * dkim_key_rsa_sign_ctx - a context ready for EVP_PKEY_sign with the RSA
 * key (RSASSA-PKCS1-v1_5, SHA-256: RFC 8301 §3.1), a copy of the one
 * prepared at load (setting one up costs more than a 2 KiB message's
 * canonicalization and hashing).  The caller frees it
 * (EVP_PKEY_CTX_free).  NULL on failure.
 */
EVP_PKEY_CTX *dkim_key_rsa_sign_ctx(const struct vouch_dkim_key *key);

/*
 * dkim_name_ok - 1 if `s` (NUL-terminated) is a DNS name a zone file can
 * hold: dkim_name_check's rule with a final dot allowed (vouch keygen's
 * record owner; i= domains).  d= and s= to sign with follow
 * dkim_sign_req_problem's stricter rule, which the verifiers take.
 */
int dkim_name_ok(const char *s);

/*
 * The request rules the DKIM signer and the ARC sealer share (the AMS and
 * the ARC-Seal are DKIM-style signatures, RFC 8617 §4.1.2, §4.1.3); each
 * gives why a value cannot be signed as a one-line static reason naming
 * the rule, or NULL when it can.
 * dkim_sign_req_problem - a key, d=, s=, then the algorithm with the key,
 * in that order: the first of them wrong (VOUCH_DKIM_SIGN_REQ_KEY,
 * _DOMAIN, _SELECTOR, _ALG) and *why, or VOUCH_DKIM_SIGN_REQ_OK and NULL.
 * dkim_hnames_problem - a list of n names for h=: 1 to
 * VOUCH_DKIM_SIGN_MAX_HEADERS field names (RFC 5322 §3.6.8); names NULL
 * is no list.
 * dkim_sign_alg_of - the algorithm `alg` stands for with `key`: itself,
 * or for AUTO rsa-sha256 with an RSA key and ed25519-sha256 otherwise.
 */
enum vouch_dkim_sign_req_part dkim_sign_req_problem(
    const struct vouch_dkim_key *key, enum vouch_dkim_sign_alg alg,
    const char *domain, const char *selector, const char **why);
const char *dkim_hnames_problem(const char *const *names, size_t n);
enum vouch_dkim_sign_alg dkim_sign_alg_of(
    const struct vouch_dkim_key *key, enum vouch_dkim_sign_alg alg);

/* dkim_key_public_b64 - append the p= value of the key's public half. */
enum vouch_status dkim_key_public_b64(
    const struct vouch_dkim_key *key, struct vbuf *b);

/*
 * dkim_sign_hash - sign the SHA-256 digest `hash`/`hlen` of the canonical
 * header data with `key`: rsa-sha256 (RFC 8301 §3.1) or ed25519-sha256
 * (RFC 8463 §3).  `sig` has room for *siglen bytes (1024 is enough for
 * RSA-4096 and Ed25519); *siglen receives the length.  Shared by the DKIM
 * signer and the ARC sealer.
 * Errors: VOUCH_ECRYPTO, VOUCH_ENOMEM.
 */
enum vouch_status dkim_sign_hash(const struct vouch_dkim_key *key,
    enum vouch_dkim_sign_alg alg, const uint8_t *hash, size_t hlen,
    uint8_t *sig, size_t *siglen);

/*
 * The split between header section and body in a message that arrives in
 * chunks: the header bytes are kept whole (they are hashed only once the
 * signed fields are known), the body is canonicalized as it streams.
 * Shared by the DKIM signer and the ARC sealer.
 */
struct dkim_header_split {
	int in_body; /* the empty line has been seen */
	int bol, bolcr; /* at a line start; after its CR */
};

/* dkim_header_split_init - the state before the first byte. */
void dkim_header_split_init(struct dkim_header_split *hs);

/*
 * dkim_header_split_add - append to `hdr` the header bytes at the start of
 * `p`..`end`, up to and including the empty line that ends the header
 * section (a line end followed by LF or CR LF; a bare LF counts as CRLF).
 * Out: *body, where the body bytes in `p`..`end` begin (`end` if none).
 * Errors: those of vbuf_add (VOUCH_ELIMIT, VOUCH_ENOMEM).
 */
enum vouch_status dkim_header_split_add(struct dkim_header_split *hs,
    struct vbuf *hdr, const uint8_t *p, const uint8_t *end,
    const uint8_t **body);

/*
 * dkim_crlf_to_lf - turn each CRLF in `b` into LF, for a caller whose
 * message has bare LF line ends; `b` holds at least one byte.
 */
void dkim_crlf_to_lf(struct vbuf *b);

#endif
