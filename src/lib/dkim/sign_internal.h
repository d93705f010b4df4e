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

#endif
