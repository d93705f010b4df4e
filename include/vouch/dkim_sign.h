/*
 * vouch: DKIM keys and signing (RFC 6376 §5, RFC 8301, RFC 8463).
 *
 * A private key is parsed once, when it is loaded, and then used for any
 * number of messages (vouch_dkim_key_*).  A signing context takes one or
 * more signature requests, is fed the message in chunks of any size, and at
 * the end gives the DKIM-Signature fields to put on top of the message
 * (vouch_dkim_sign_*).  Memory does not grow with the size of the body.
 */
#ifndef VOUCH_DKIM_SIGN_H
#define VOUCH_DKIM_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Keys -------------------------------------------------------------- */

/* Kinds of signing key: RSA (RFC 8301) and Ed25519 (RFC 8463). */
enum vouch_dkim_key_type { VOUCH_DKIM_KEY_RSA = 1, VOUCH_DKIM_KEY_ED25519 = 2 };

/*
 * RSA modulus sizes accepted for signing, bits.  RFC 8301 §3.2: signers
 * MUST use at least 1024 bits (SHOULD 2048); 4096 is the largest size
 * verifiers MUST be able to check, so a larger key risks failing.
 */
#define VOUCH_DKIM_RSA_MIN_BITS 1024
#define VOUCH_DKIM_RSA_MAX_BITS 4096
#define VOUCH_DKIM_RSA_DEFAULT_BITS 2048

struct vouch_dkim_key; /* opaque: a parsed private key */

/*
 * vouch_dkim_key_load_mem - parse a private key held in memory.
 * In:  p/len, the key file's bytes, not NUL-terminated; one of
 *        - PEM: "PRIVATE KEY" (PKCS#8), "RSA PRIVATE KEY" (PKCS#1);
 *        - the Ed25519 format of dkimpy: the 32-byte RFC 8032 seed in
 *          base64 on one line (whitespace around it ignored).
 *      err/errlen: a buffer for a one-line reason (may be NULL/0).
 * Out: *out, a new key owned by the caller (vouch_dkim_key_free).  The
 *      caller's buffer is not kept; copies the library made are wiped.
 * Errors: VOUCH_ESYNTAX (not a key in a known format), VOUCH_EINVAL (an
 *         RSA key outside VOUCH_DKIM_RSA_MIN_BITS..MAX_BITS, RFC 8301 §3.2,
 *         or a key type DKIM has no algorithm for), VOUCH_ENOMEM.
 * Thread safety: the key may be used by several threads at once.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_key_load_mem(
    const uint8_t *p, size_t len, struct vouch_dkim_key **out, char *err,
    size_t errlen);

/*
 * vouch_dkim_key_load_file - the same, from the file `path` (NUL-
 * terminated, read during the call and not kept).  The reason in err names
 * the file.
 * Out: *out, a new key owned by the caller (vouch_dkim_key_free); NULL on
 *      error.  The bytes read are wiped before they are freed.
 * Errors: those of _load_mem, VOUCH_EINVAL (path NULL), and VOUCH_EIO
 *         (cannot open or read the file, or it is larger than 64 KiB, no
 *         key is).
 * RFC 8301 §3.2 (RSA sizes), RFC 8463 §3 (Ed25519), as _load_mem.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_key_load_file(
    const char *path, struct vouch_dkim_key **out, char *err, size_t errlen);

/*
 * vouch_dkim_key_generate - make a new key pair.
 * In:  type; bits, the RSA modulus size (0 = VOUCH_DKIM_RSA_DEFAULT_BITS;
 *      ignored for Ed25519).
 * Out: *out, owned by the caller (vouch_dkim_key_free).
 * Errors: VOUCH_EINVAL (unknown type, bits outside 1024..4096, RFC 8301
 *         §3.2), VOUCH_ECRYPTO (the crypto library failed), VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_key_generate(
    enum vouch_dkim_key_type type, unsigned bits, struct vouch_dkim_key **out);

/*
 * vouch_dkim_key_type - the kind of the key (RFC 8301 RSA or RFC 8463
 * Ed25519).  key, not NULL, stays the caller's.  No error; thread safe.
 */
VOUCH_API enum vouch_dkim_key_type vouch_dkim_key_type(
    const struct vouch_dkim_key *key);

/*
 * vouch_dkim_key_bits - the RSA modulus size in bits (RFC 8301 §3.2); 256
 * for Ed25519 (RFC 8463 §3).  key, not NULL, stays the caller's.  No
 * error; thread safe.
 */
VOUCH_API unsigned vouch_dkim_key_bits(const struct vouch_dkim_key *key);

/*
 * vouch_dkim_key_write_private - write the private key as PEM PKCS#8 to a
 * new file `path`, created with mode 0600.  An existing file (or a symbolic
 * link) is never overwritten.  path is NUL-terminated and not kept; the
 * key stays the caller's; the PEM text is wiped after writing.
 * Errors: VOUCH_EINVAL (key or path NULL), VOUCH_EIO (the file exists:
 *         errno EEXIST; or cannot be written; a partly written file is
 *         removed), VOUCH_ECRYPTO, VOUCH_ENOMEM.
 * RFC 5958 (PKCS#8), RFC 7468 §10 (the PEM label "PRIVATE KEY").
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_key_write_private(
    const struct vouch_dkim_key *key, const char *path);

/*
 * vouch_dkim_key_record - the public key as a DNS master-file line:
 *   SELECTOR._domainkey.DOMAIN. IN TXT ( "v=DKIM1; k=rsa; p=..." ... )
 * with the text cut into character-strings of at most 255 bytes
 * (RFC 1035 §3.3.14), one per line, and a final newline.  p= is the
 * SubjectPublicKeyInfo (RSA, RFC 6376 §3.6.1) or the raw 32-byte public
 * key (Ed25519, RFC 8463 §4.2), in base64.
 * In:  domain, selector: NUL-terminated DNS names (letters, digits, '-',
 *      '_', '.'; no empty label; no final dot needed).
 * Out: *out, a NUL-terminated string owned by the caller (free()); *len
 *      its length (may be NULL).
 * Errors: VOUCH_EINVAL (bad domain or selector), VOUCH_ECRYPTO,
 *         VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_key_record(
    const struct vouch_dkim_key *key, const char *domain, const char *selector,
    char **out, size_t *len);

/*
 * vouch_dkim_key_free - release a key; the private material is wiped.
 * NULL is a no-op.  Not while a signing context still borrows the key.
 * No error.
 */
VOUCH_API void vouch_dkim_key_free(struct vouch_dkim_key *key);

/* Signing algorithms (RFC 8301 §3.1, RFC 8463 §3). */
enum vouch_dkim_sign_alg {
	VOUCH_DKIM_SIGN_ALG_AUTO = 0, /* from the key type */
	VOUCH_DKIM_SIGN_RSA_SHA256 = 1,
	VOUCH_DKIM_SIGN_ED25519_SHA256 = 2
};

/* ---- Keys held elsewhere (privilege separation) ------------------------ */

/*
 * The signature function of an external key: sign the 32-byte SHA-256
 * digest of the canonical header data (RFC 6376 §3.7) for `alg` (never
 * AUTO):
 *   rsa-sha256      RSASSA-PKCS1-v1_5 over the SHA-256 DigestInfo
 *                   (RFC 8017 §8.2.1, §9.2; RFC 8301 §3.1);
 *   ed25519-sha256  PureEd25519 (RFC 8032 §5.1.6) over the 32 digest
 *                   bytes themselves (RFC 8463 §3).
 * vouch_dkim_key_sign_digest does exactly this with a loaded key, so the
 * holder of the key (another process) calls it.
 * In:  arg as given to vouch_dkim_key_new_external; digest/dlen (32);
 *      sig, room for cap bytes (at least 512).
 * Out: *siglen, bytes written to sig (1..cap).
 * Returns VOUCH_OK, or a status that ends the signature: VOUCH_ECRYPTO
 * (the holder could not sign), VOUCH_ETEMP (it cannot be reached now),
 * VOUCH_ENOMEM.  Called from the thread that calls _finish.
 */
typedef enum vouch_status vouch_dkim_sign_fn(void *arg,
    enum vouch_dkim_sign_alg alg, const uint8_t *digest, size_t dlen,
    uint8_t *sig, size_t cap, size_t *siglen);

/*
 * vouch_dkim_key_new_external - a key whose private half is held
 * elsewhere (a signer process): signing contexts and ARC sealers use it as
 * any key, and its signatures are made by fn.  Used by vouchd, whose
 * milter process never maps a private key.
 * In:  type and bits, those of the real key (bits ignored for Ed25519);
 *      fn, arg: the signature function and its argument (kept).
 * Out: *out, owned by the caller (vouch_dkim_key_free).
 * Errors: VOUCH_EINVAL (out or fn NULL, unknown type, RSA bits outside
 *         VOUCH_DKIM_RSA_MIN_BITS..MAX_BITS, RFC 8301 §3.2),
 *         VOUCH_ENOMEM.  vouch_dkim_key_record and
 *         vouch_dkim_key_write_private give VOUCH_EINVAL for such a key.
 * Thread safety: as fn is.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_key_new_external(
    enum vouch_dkim_key_type type, unsigned bits, vouch_dkim_sign_fn *fn,
    void *arg, struct vouch_dkim_key **out);

/*
 * vouch_dkim_key_sign_digest - sign a SHA-256 digest of header data with a
 * loaded key, as a DKIM signer or ARC sealer does (see vouch_dkim_sign_fn
 * for the two algorithms): what a signer process answers to the
 * signature function of an external key.
 * In:  key, loaded (not external); alg, AUTO or the key's algorithm;
 *      digest/dlen, 32 bytes; sig, room for cap bytes (the RSA modulus
 *      size in bytes, or 64 for Ed25519, at least).
 * Out: *siglen, the signature's length in bytes.
 * Errors: VOUCH_EINVAL (NULL arguments, dlen not 32, an external key, an
 *         algorithm the key cannot make, cap too small), VOUCH_ECRYPTO,
 *         VOUCH_ENOMEM.  Thread safe.
 * RFC 8301 §3.1, RFC 8463 §3, RFC 6376 §3.7.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_key_sign_digest(
    const struct vouch_dkim_key *key, enum vouch_dkim_sign_alg alg,
    const uint8_t *digest, size_t dlen, uint8_t *sig, size_t cap,
    size_t *siglen);

/* ---- Signing ----------------------------------------------------------- */

/*
 * One signature to make.  Strings are NUL-terminated and are copied by
 * vouch_dkim_sign_new; the key is borrowed and must outlive the context.
 */
struct vouch_dkim_sign_req {
	const struct vouch_dkim_key *key;
	const char *domain; /* d=, the SDID */
	const char *selector; /* s= */
	enum vouch_dkim_sign_alg alg; /* AUTO: rsa-sha256 or ed25519-sha256 */
	bool header_relaxed; /* c= header part: false = simple */
	bool body_relaxed; /* c= body part: false = simple */
	/*
	 * The header fields to sign, names without ':'; NULL = the default
	 * list of RFC 6376 §5.4.1 (see vouch_dkim_sign_new).  With a given
	 * list, each name is signed as often as it is present, plus once
	 * more when `oversign` is set.
	 */
	const char *const *headers;
	size_t nheaders;
	bool oversign;
	/*
	 * Names to list once more than they occur (OpenDKIM's
	 * OversignHeaders), added to `headers` (or to the default list when
	 * headers is NULL, whose names are then signed as often as they
	 * occur, and only these oversigned).  NULL/0: as `oversign` and the
	 * default list say.  At most VOUCH_DKIM_SIGN_MAX_HEADERS names.
	 */
	const char *const *oversign_headers;
	size_t noversign_headers;
	bool body_length; /* add l= (RFC 6376 §3.5; off is safer) */
	const char *auid; /* i=, NULL for none; must end in d= (§3.5) */
	uint64_t expire; /* x= = t= + expire seconds; 0 for no x= */
};

struct vouch_dkim_sign; /* opaque signing context, one message */

/* The member of a vouch_dkim_sign_req that cannot be signed as given. */
enum vouch_dkim_sign_req_part {
	VOUCH_DKIM_SIGN_REQ_OK = 0, /* nothing: the request can be signed */
	VOUCH_DKIM_SIGN_REQ_KEY, /* key */
	VOUCH_DKIM_SIGN_REQ_DOMAIN, /* domain (d=) */
	VOUCH_DKIM_SIGN_REQ_SELECTOR, /* selector (s=) */
	VOUCH_DKIM_SIGN_REQ_ALG, /* alg (a=) */
	VOUCH_DKIM_SIGN_REQ_AUID, /* auid (i=) */
	VOUCH_DKIM_SIGN_REQ_HEADERS /* headers, oversign_headers (h=) */
};

/*
 * vouch_dkim_sign_req_check - whether vouch_dkim_sign_new accepts request
 * r, and if not, which member is wrong and why: vouch_dkim_sign_new
 * refuses exactly the requests this refuses (it calls it), so a caller
 * can tell its user which option to mend.
 * In:  r, one request.
 * Out: *part, the first member found wrong (VOUCH_DKIM_SIGN_REQ_OK when
 *      none); *reason, a one-line reason naming the rule broken (static,
 *      NUL-terminated, no newline; "" when none), e.g. "not the same as
 *      d= or a subdomain of it (RFC 6376 §3.5)".  The reason does not
 *      repeat the member's value: the caller names it.
 * Errors: VOUCH_EINVAL (r, part or reason NULL; or r cannot be signed:
 *         no key; domain or selector not a DNS name of letters, digits,
 *         '-' and '_' (no final dot, no label starting or ending with '-',
 *         RFC 5321 §4.1.2; SELECTOR._domainkey.DOMAIN at most 253 bytes),
 *         so that vouch's own verifiers never refuse what it signs; alg
 *         not one the key makes (RSA keys rsa-sha256, Ed25519 keys
 *         ed25519-sha256, RFC 8463); auid not
 *         [local-part]@domain in visible ASCII without ';' or '=', or its
 *         domain not d= or under it (RFC 6376 §3.5); a header name list
 *         that is empty, too long, holds a non-name (RFC 5322 §3.6.8) or
 *         leaves out From (RFC 6376 §5.4)).
 * Thread safety: none needed (reads r only).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_sign_req_check(
    const struct vouch_dkim_sign_req *r, enum vouch_dkim_sign_req_part *part,
    const char **reason);

/*
 * vouch_dkim_sign_new - start signing one message.
 * In:  reqs/nreqs, 1..VOUCH_DKIM_SIGN_MAX_REQUESTS signature requests;
 *      now, the signing time for t= in seconds since the epoch (0 = the
 *      clock).
 * The default header list (RFC 6376 §5.4.1): From, To, Subject, Date,
 * Message-ID, MIME-Version, Content-Type and Content-Transfer-Encoding
 * are oversigned (listed once more than they occur, so none can be added
 * later); Cc, Reply-To, In-Reply-To, References, Sender, Resent-*,
 * List-*, Content-ID, Content-Description and Keywords are signed as
 * often as they occur.
 * Out: *out, owned by the caller (vouch_dkim_sign_free).
 * Errors: VOUCH_EINVAL (no request, more than the maximum, now < 0, or a
 *         request that vouch_dkim_sign_req_check refuses: no key, bad
 *         domain/selector/auid, an i= not within d=, an algorithm the key
 *         cannot make, bad or too many header names), VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_sign_new(
    const struct vouch_dkim_sign_req *reqs, size_t nreqs, int64_t now,
    struct vouch_dkim_sign **out);

/*
 * vouch_dkim_sign_update - feed the next `len` bytes of the message: the
 * header section, the empty line, then the body, cut anywhere.  CRLF or
 * bare LF line ends (a bare LF is taken as CRLF, as MTAs do).  The header
 * section is kept (at most VOUCH_MAX_HEADER_BYTES); the body is hashed as
 * it comes and not kept.  p/len: len bytes, not NUL-terminated, not kept;
 * NULL with len 0 is no input.
 * Errors: VOUCH_ELIMIT (header section too large), VOUCH_EINVAL (s NULL,
 *         p NULL with len > 0, or called after _finish), VOUCH_ENOMEM.
 *         An error is sticky (and reported again by _finish).
 * RFC 6376 §3.4 (canonicalization), §3.7 (the body hash), §5.3 (line
 * ends as the signer normalizes them).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_sign_update(
    struct vouch_dkim_sign *s, const uint8_t *p, size_t len);

/*
 * vouch_dkim_sign_finish - end of the message: make the signatures.
 * Out: *fields, the DKIM-Signature fields in the order to prepend them,
 *      each folded to lines under 78 columns (b= folded too), with CRLF
 *      line ends (LF when `crlf` is false), NUL-terminated, owned by the
 *      caller (free()); *len, its length in bytes.
 * Errors: VOUCH_ESYNTAX (the message has no From field: RFC 6376 §5.4,
 *         RFC 5322 §3.6; or more than one From), VOUCH_ELIMIT (header
 *         section too large, too many fields), VOUCH_ECRYPTO (the
 *         crypto library failed), VOUCH_ENOMEM, or a sticky error of
 *         _update.  A message without a header/body separator is signed
 *         as having an empty body.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_sign_finish(
    struct vouch_dkim_sign *s, bool crlf, char **fields, size_t *len);

/*
 * vouch_dkim_sign_error - a one-line reason for the last error of the
 * context (static or owned by the context: valid until vouch_dkim_sign_free;
 * NUL-terminated); "" if none.  s must not be NULL.  No error.  The reason
 * names the RFC 6376 rule broken where there is one (§5.4: From signed).
 */
VOUCH_API const char *vouch_dkim_sign_error(const struct vouch_dkim_sign *s);

/*
 * vouch_dkim_sign_free - release a context, its copies of the requests and
 * the header section it held (the keys stay the caller's; fields returned
 * by _finish stay the caller's).  NULL is a no-op.  No error.
 */
VOUCH_API void vouch_dkim_sign_free(struct vouch_dkim_sign *s);

#ifdef __cplusplus
}
#endif
#endif
