/*
 * Private to the DKIM signer (sign.c, key.c): the key structure and the
 * helpers the two files share.
 */
#ifndef VOUCH_DKIM_SIGN_INTERNAL_H
#define VOUCH_DKIM_SIGN_INTERNAL_H

#include <openssl/evp.h>

#include "vouch/dkim_sign.h"
#include "vouch/limits.h"
#include "util/buf.h"

struct vouch_dkim_key {
	EVP_PKEY *pkey; /* owned; parsed once at load */
	enum vouch_dkim_key_type type;
	unsigned bits;
};

/* dkim_name_ok - 1 if `s` is a usable d=/s= domain name (NUL-terminated). */
int dkim_name_ok(const char *s);

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

#endif
