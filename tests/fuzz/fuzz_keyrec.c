/*
 * libFuzzer target: DKIM key records (RFC 6376 §3.6.1) and public key
 * decoding (base64, DER SubjectPublicKeyInfo or RSAPublicKey, Ed25519).
 */
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "dkim/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_keyrec kr;
	const char *why = NULL;
	EVP_PKEY *pk = NULL;
	unsigned bits;

	if (dkim_keyrec_parse(data, size, &kr, &why) != 0) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (kr.plen > 0 && kr.p + kr.plen > data + size)
		abort();
	if (kr.plen > 0 && dkim_key_decode(&kr, &pk, &bits, &why) == VOUCH_OK) {
		if (pk == NULL || bits == 0)
			abort();
		EVP_PKEY_free(pk);
	}
	return 0;
}
