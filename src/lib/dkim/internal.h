/*
 * DKIM verification internals: key records (RFC 6376 §3.6.1) and the
 * process-wide cache of parsed public keys.  Private to src/lib/dkim.
 */
#ifndef VOUCH_DKIM_INTERNAL_H
#define VOUCH_DKIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "vouch/status.h"
#include "dkim/ed25519.h"
#include "mail/canon.h"
#include "mail/header.h"
#include "util/ascii.h"
#include "util/buf.h"

/* Key types of k= (RFC 6376 §3.6.1, RFC 8463 §4). */
enum dkim_keytype { DKIM_KEY_UNKNOWN = 0, DKIM_KEY_RSA, DKIM_KEY_ED25519 };

/* Hash algorithms, as bits of the key record's h= set. */
#define DKIM_HASH_SHA1 0x1u
#define DKIM_HASH_SHA256 0x2u

/*
 * A key record, parsed.  `p` points into the caller's TXT data (the p=
 * value as written, whitespace and all; plen 0 = revoked).
 *   hashes   the h= set; every hash when h= is absent;
 *   email    s= holds "email" or "*" (or s= is absent);
 *   testing  t=y; strict: t=s.
 */
struct dkim_keyrec {
	enum dkim_keytype k;
	unsigned hashes;
	bool email;
	bool testing;
	bool strict;
	const uint8_t *p;
	size_t plen;
};

/*
 * dkim_keyrec_parse - parse one key record (a TXT record's strings joined,
 * `txt`/`len`, any bytes).  Returns 0, or -1 with *why set to a static
 * reason: tag-list syntax (§3.2), v= not first or not "DKIM1", k= not a
 * type we know ("unknown key type"), no p= tag.  Semantic checks that need
 * the signature (h=, s=, t=s, key type vs a=) are the caller's.
 * RFC 6376 §3.6.1, §6.1.2 step 5.
 */
int dkim_keyrec_parse(
    const uint8_t *txt, size_t len, struct dkim_keyrec *kr, const char **why);

/*
 * dkim_key_decode - the public key of a record with a non-empty p=: base64
 * (whitespace ignored), then for RSA a DER SubjectPublicKeyInfo (or a bare
 * PKCS#1 RSAPublicKey, which some old records hold), for Ed25519 the raw
 * 32-byte key (RFC 8463 §4).  Parsed keys are cached by the p= text.
 * Out: *pk, a reference the caller releases with EVP_PKEY_free; *bits,
 *      the RSA modulus size or 256 for Ed25519.
 * Errors: VOUCH_ESYNTAX (*why says: bad base64, not a key, wrong type,
 *         wrong length), VOUCH_ELIMIT (p= too long), VOUCH_ENOMEM.
 */
enum vouch_status dkim_key_decode(const struct dkim_keyrec *kr, EVP_PKEY **pk,
    unsigned *bits, const char **why);

/*
 * dkim_keyrec_lookup - a key record seen before, by its whole text
 * (`txt`/`len`, the TXT strings joined): 1 with *kr as dkim_keyrec_parse
 * made it (kr->p pointing into txt) and *pk, *bits as dkim_key_decode
 * gave them (*pk a reference the caller frees); 0 when the text is not
 * remembered.  Records are remembered (dkim_keyrec_remember) only when
 * they parsed and their key decoded, beside the parsed key in its cache,
 * and leave with it; a record whose text changes is a new one.  The DNS
 * answer is still asked for every message: only its parse is saved.
 */
int dkim_keyrec_lookup(const uint8_t *txt, size_t len, struct dkim_keyrec *kr,
    EVP_PKEY **pk, unsigned *bits);

/*
 * dkim_keyrec_remember - remember the record `txt`/`len`, parsed into
 * `kr` (kr->p inside it), whose key dkim_key_decode gave as `pk`: with
 * the cache entry of pk, if it is still there.  Best effort (no memory:
 * not remembered).
 */
void dkim_keyrec_remember(
    const uint8_t *txt, size_t len, const struct dkim_keyrec *kr, EVP_PKEY *pk);

/*
 * dkim_md - the digest of a DKIM hash algorithm (DKIM_HASH_SHA1 or
 * DKIM_HASH_SHA256), fetched from the default provider once per process
 * (an implicit fetch on every use costs more than hashing a small header).
 * NULL if the crypto library cannot give it.
 */
const EVP_MD *dkim_md(unsigned hash);

/*
 * dkim_rsa_verify_ctx - a context ready for EVP_PKEY_verify with `pk`
 * (RSASSA-PKCS1-v1_5, the digest of `hash`).  For a key of the cache it is
 * a copy of a context prepared once per key (setting one up costs about as
 * much as the verification itself); for any other key a new one.  The
 * caller frees it (EVP_PKEY_CTX_free).  NULL on failure.
 */
EVP_PKEY_CTX *dkim_rsa_verify_ctx(EVP_PKEY *pk, unsigned hash);

/*
 * dkim_ed25519_public - the raw 32-byte public key (RFC 8463 §4) of the
 * Ed25519 key `pk`, for libsodium (dkim/ed25519.h): copied from the cache
 * entry of the key, or asked of OpenSSL for a key no longer cached.
 * Returns 0, or -1 when OpenSSL could not give it (memory).
 */
int dkim_ed25519_public(EVP_PKEY *pk, uint8_t raw[DKIM_ED25519_PK_LEN]);

/*
 * The outcome of a signature check: the library never confuses "could
 * not check" with "failed" (STYLE.md), so an allocation that failed
 * inside OpenSSL is not a signature that did not verify.
 */
enum dkim_sigcheck {
	DKIM_SIG_VERIFIED, /* the signature verifies */
	DKIM_SIG_BAD, /* it does not: a fail verdict */
	DKIM_SIG_NOMEM, /* not checked: memory ran out (VOUCH_ENOMEM) */
};

/*
 * dkim_crypto_nomem - DKIM_SIG_NOMEM, after an OpenSSL call that makes a
 * context or a digest failed; the error queue is cleared.  With a key
 * already decoded and a digest of the default provider only resources can
 * fail there, and OpenSSL 3.0 does not always say so: an allocation that
 * failed left an empty queue or "initialization error" in the tests.
 */
enum dkim_sigcheck dkim_crypto_nomem(void);

/*
 * dkim_err_clear - empty OpenSSL's error queue of this thread, so that
 * what is there afterwards comes from the next calls; a look first, as
 * ERR_clear_error walks all of its slots even when the queue is empty,
 * and a signature check clears it every time.
 */
static inline void
dkim_err_clear(void)
{
	if (ERR_peek_error() != 0)
		ERR_clear_error();
}

/*
 * A body hash (RFC 6376 §3.7) for one (canonicalization, l=, digest),
 * shared by every signature that asks for the same: the DKIM verifier's
 * and the ARC validator's AMS body hashes are computed the same way.
 */
struct dkim_hasher {
	enum canon_alg canon;
	uint64_t limit;
	const EVP_MD *md;
	/*
	 * SHA-256, the digest of every signature but rsa-sha1's, is taken
	 * over sha here (SHA256_Init/Update/Final, which cannot fail) and ctx
	 * is NULL: no EVP context made, set up twice and freed per message.
	 * Any other digest goes through ctx (owned; EVP_MD_CTX_free).
	 */
	EVP_MD_CTX *ctx;
	SHA256_CTX sha;
	struct canon_body cb;
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned dlen;
	/* an update or the final failed: memory ran out (dkim_crypto_nomem) */
	bool nomem;
};

/*
 * dkim_hasher_init - start `hs` for body canonicalization `canon`, length
 * limit `limit` and digest `md`.  Returns 0, or -1 when memory ran out
 * (hs->ctx is then NULL and the OpenSSL error queue cleared).
 */
int dkim_hasher_init(struct dkim_hasher *hs, enum canon_alg canon,
    uint64_t limit, const EVP_MD *md);

/*
 * dkim_hasher_final - end the body and compute hs->digest; hs->nomem says
 * whether memory ran out on the way.
 */
void dkim_hasher_final(struct dkim_hasher *hs);

/*
 * dkim_verify_hash - verify `sig`/`siglen` over the digest `hash`/`hlen` of
 * the canonical header data with the public key `pk`: Ed25519 (RFC 8463
 * §3, PureEdDSA over the digest) when `ed25519`, else RSASSA-PKCS1-v1_5
 * with the digest `hash_alg` (DKIM_HASH_*, RFC 6376 §3.3.1).  Shared by
 * the DKIM verifier and ARC.  Returns DKIM_SIG_VERIFIED, DKIM_SIG_BAD when
 * the signature does not verify, or DKIM_SIG_NOMEM when it could not be
 * checked; OpenSSL's errors are cleared.
 */
enum dkim_sigcheck dkim_verify_hash(EVP_PKEY *pk, bool ed25519,
    unsigned hash_alg, const uint8_t *hash, size_t hlen, const uint8_t *sig,
    size_t siglen);

/*
 * dkim_header_data - append to `out` the canonical header data a signature
 * covers (RFC 6376 §3.7, §5.4.2): for each name of the h= list
 * `hlist`/`hlistlen` (names separated by ':', FWS around them), the next
 * field of that name from the bottom of `h` not yet taken, canonicalized
 * with `hcanon`; then the signature field `self` itself with the value of
 * b= (`b`/`blen`, pointing into self->value; blen may be 0) and the FWS
 * around it removed, without its final CRLF.  Shared by the DKIM verifier
 * and ARC (AMS, ARC-Seal, sealer).  An empty h= list gives only `self`.
 * Returns 0; -1 with *why set (empty name in h=, too many names, data over
 * out's cap); -2 when memory ran out.
 */
int dkim_header_data(enum canon_alg hcanon, const struct mail_header *h,
    const uint8_t *hlist, size_t hlistlen, const struct mail_field *self,
    const uint8_t *b, size_t blen, struct vbuf *out, const char **why);

/*
 * dkim_self_data - only the last step of dkim_header_data: `self` with b=
 * emptied, canonicalized, without its final CRLF.  Returns 0, -1 (over
 * out's cap), -2 (no memory).
 */
int dkim_self_data(enum canon_alg hcanon, const struct mail_field *self,
    const uint8_t *b, size_t blen, struct vbuf *out);

struct vouch_dkim_verifier;

/*
 * dkim_verify_parsed - vouch_dkim_verify_header on a header section
 * already scanned: `h` and the status mail_header_parse returned for it
 * (`parsed`; h->error says why when it is not VOUCH_OK).  `h` is read
 * during the call only.  For `vouch verify`, whose DKIM and ARC verifiers
 * read the same header: it is scanned (and copied) once, not twice.
 * Returns as vouch_dkim_verify_header; VOUCH_ENOMEM when `parsed` is.
 */
enum vouch_status dkim_verify_parsed(struct vouch_dkim_verifier *v,
    const struct mail_header *h, enum vouch_status parsed);

/*
 * The first fault of a d= or s= name (RFC 6376 §3.5, §3.1), in the order
 * a scan from the left meets them: one rule for the verifiers (DKIM and
 * ARC), the signer and the sealer, and the zone-file owner names of
 * vouch keygen, so that vouch never signs what it refuses itself.
 * Labels are letters, digits, '-' and '_' (underscore is found in real
 * selectors), 1 to VOUCH_DNS_MAX_LABEL bytes each, VOUCH_DNS_MAX_NAME in
 * all, between single dots.  DKIM_NAME_FINAL_DOT is a name whole but
 * for one final dot (d= and s= are written without it; a zone file's
 * owner may have it).  With `edges`, a label that starts or ends with
 * '-' is a fault too (RFC 5321 §4.1.2, RFC 1035 §2.3.1), which the
 * signer enforces and verifiers in the wild do not all.
 */
enum dkim_name_fault {
	DKIM_NAME_OK,
	DKIM_NAME_EMPTY,
	DKIM_NAME_TOO_LONG,
	DKIM_NAME_FINAL_DOT,
	DKIM_NAME_EMPTY_LABEL,
	DKIM_NAME_BAD_BYTE,
	DKIM_NAME_HYPHEN_START,
	DKIM_NAME_HYPHEN_END,
	DKIM_NAME_LONG_LABEL,
};

enum dkim_name_fault dkim_name_check(const uint8_t *p, size_t len, int edges);

/*
 * Text of tag values, shared by the key record parser, the verifier and
 * the header data.  dkim_ieq: p[0..len) equals the NUL-terminated s, ASCII
 * letters compared without case.  dkim_mem_ieq: a[0..len) equals
 * b[0..len), the same way.  dkim_is_fws: c is a byte of FWS (RFC 5322
 * §3.2.2: WSP, or the CR and LF of a fold).
 */
static inline uint8_t
dkim_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

static inline int
dkim_ieq(const uint8_t *p, size_t len, const char *s)
{
	return ascii_ieq(p, len, s);
}

static inline int
dkim_mem_ieq(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i] && !ascii_case_pair(a[i], b[i]))
			return 0;
	return 1;
}

static inline int
dkim_is_fws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * dkim_list_next - the next item of a colon-separated list with FWS
 * around the colons (the h= tag, RFC 6376 §3.5; the h=, s= and t= key
 * tags, §3.6.1).  *p walks the list up to end; the item, FWS trimmed, is
 * (*item, *n).  Returns 0 when the list is done.
 */
static inline int
dkim_list_next(
    const uint8_t **p, const uint8_t *end, const uint8_t **item, size_t *n)
{
	const uint8_t *q = *p, *s, *e;

	if (q >= end)
		return 0;
	s = q;
	while (q < end && *q != ':')
		q++;
	e = q;
	while (s < e && dkim_is_fws(*s))
		s++;
	while (e > s && dkim_is_fws(e[-1]))
		e--;
	*item = s;
	*n = (size_t)(e - s);
	*p = q < end ? q + 1 : q;
	return 1;
}

#endif
