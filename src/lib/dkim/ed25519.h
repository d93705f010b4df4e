/*
 * Ed25519 (RFC 8032) for DKIM and ARC (RFC 8463), through libsodium: its
 * signing and verification run about twice as fast as OpenSSL 3.0's on
 * the same machine (bench/README.md).  OpenSSL still parses, writes and
 * generates the keys; only the two signature operations come here.
 * Private to src/lib/dkim (and the ARC code that shares its helpers).
 *
 * Verification is libsodium's, which is stricter than OpenSSL's in two
 * ways RFC 8032 leaves to the verifier (§5.1.7 and §8.4): a public key or
 * an R of small order (the eight points of order dividing 8, whose
 * multiples give every signature for any message when the verifier does
 * not check) is refused, and so is a public key whose encoding is not
 * canonical (y >= p).  Both refuse a non-canonical S (S >= L, §5.1.7
 * step 1).  No honest signer (RFC 8032 §5.1.6) produces any of these.
 *
 * Thread safety: every function is reentrant; the library is initialised
 * once per process (pthread_once).
 */
#ifndef VOUCH_DKIM_ED25519_H
#define VOUCH_DKIM_ED25519_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/status.h"

#define DKIM_ED25519_SEED_LEN 32 /* RFC 8032 §5.1.5: the private key */
#define DKIM_ED25519_PK_LEN 32 /* RFC 8032 §5.1.5: the encoded point A */
#define DKIM_ED25519_SK_LEN 64 /* libsodium's form: seed, then A */
#define DKIM_ED25519_SIG_LEN 64 /* RFC 8032 §5.1.6: R, then S */

/*
 * dkim_ed25519_expand - the signing key `sk` (DKIM_ED25519_SK_LEN bytes,
 * the caller's, wiped with dkim_ed25519_wipe when no longer needed) of
 * the 32-byte private key `seed`.  Returns VOUCH_OK, or VOUCH_ECRYPTO
 * when libsodium cannot be initialised.
 */
enum vouch_status dkim_ed25519_expand(
    const uint8_t seed[DKIM_ED25519_SEED_LEN], uint8_t sk[DKIM_ED25519_SK_LEN]);

/*
 * dkim_ed25519_sign - the RFC 8032 §5.1.6 signature of `msg`/`len` (for
 * DKIM the SHA-256 of the header data, RFC 8463 §3) with `sk`, into
 * `sig` (DKIM_ED25519_SIG_LEN bytes).  Returns VOUCH_OK or VOUCH_ECRYPTO.
 */
enum vouch_status dkim_ed25519_sign(const uint8_t sk[DKIM_ED25519_SK_LEN],
    const uint8_t *msg, size_t len, uint8_t sig[DKIM_ED25519_SIG_LEN]);

/*
 * dkim_ed25519_verify - does `sig`/`siglen` verify over `msg`/`len` with
 * the public key `pk` (RFC 8032 §5.1.7, with the checks above)?  1 if it
 * does; 0 if it does not, a signature of any other length than 64 bytes
 * included; -1 when libsodium cannot be initialised (not checked).  No
 * memory is allocated.
 */
int dkim_ed25519_verify(const uint8_t pk[DKIM_ED25519_PK_LEN],
    const uint8_t *msg, size_t len, const uint8_t *sig, size_t siglen);

/* dkim_ed25519_wipe - clear secret bytes (sodium_memzero). */
void dkim_ed25519_wipe(void *p, size_t len);

#endif
