/*
 * Ed25519 through libsodium (see ed25519.h for why, and for where its
 * verification is stricter than OpenSSL's).
 */
#include <pthread.h>

#include <sodium.h>

#include "dkim/ed25519.h"

/* The sizes ed25519.h promises are libsodium's. */
_Static_assert(
    DKIM_ED25519_SEED_LEN == crypto_sign_ed25519_SEEDBYTES, "seed size");
_Static_assert(DKIM_ED25519_PK_LEN == crypto_sign_ed25519_PUBLICKEYBYTES,
    "public key size");
_Static_assert(DKIM_ED25519_SK_LEN == crypto_sign_ed25519_SECRETKEYBYTES,
    "secret key size");
_Static_assert(
    DKIM_ED25519_SIG_LEN == crypto_sign_ed25519_BYTES, "signature size");

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_ok;

/* sodium_init: 0 the first time, 1 when already done, -1 on failure. */
static void
init(void)
{
	init_ok = sodium_init() >= 0;
}

static int
ready(void)
{
	pthread_once(&init_once, init);
	return init_ok;
}

enum vouch_status
dkim_ed25519_expand(
    const uint8_t seed[DKIM_ED25519_SEED_LEN], uint8_t sk[DKIM_ED25519_SK_LEN])
{
	uint8_t pk[DKIM_ED25519_PK_LEN];

	if (!ready() || crypto_sign_ed25519_seed_keypair(pk, sk, seed) != 0)
		return VOUCH_ECRYPTO;
	return VOUCH_OK;
}

enum vouch_status
dkim_ed25519_sign(const uint8_t sk[DKIM_ED25519_SK_LEN], const uint8_t *msg,
    size_t len, uint8_t sig[DKIM_ED25519_SIG_LEN])
{
	unsigned long long n = 0;

	if (!ready() ||
	    crypto_sign_ed25519_detached(sig, &n, msg, len, sk) != 0 ||
	    n != DKIM_ED25519_SIG_LEN)
		return VOUCH_ECRYPTO;
	return VOUCH_OK;
}

int
dkim_ed25519_verify(const uint8_t pk[DKIM_ED25519_PK_LEN], const uint8_t *msg,
    size_t len, const uint8_t *sig, size_t siglen)
{
	if (!ready())
		return -1;
	/* RFC 8032 §5.1.7 step 1: a signature is R and S, 64 bytes */
	if (siglen != DKIM_ED25519_SIG_LEN)
		return 0;
	return crypto_sign_ed25519_verify_detached(sig, msg, len, pk) == 0;
}

void
dkim_ed25519_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}
