/*
 * vouch: DKIM signature verification (RFC 6376 §6, RFC 8301, RFC 8463).
 *
 * A verifier is fed one message: its header section once, then its body in
 * chunks of any size, and at the end gives one result per DKIM-Signature
 * field.  Keys are fetched through a struct vouch_dns (dns.h) while the
 * header is processed; the body is canonicalized and hashed once per
 * distinct (body canonicalization, l=, hash) combination, never held in
 * memory.
 *
 * Verdicts are data (enum vouch_dkim_verdict in the result); the status a
 * call returns only says whether it could do its work.  A malformed
 * signature is a permerror verdict returned with VOUCH_OK.
 *
 * Policies beyond the RFC, both visible in the result (verdict "policy"):
 *  - l=: a signature whose l= count leaves body content other than
 *    whitespace unsigned is "policy" ("unsigned content after l="): such a
 *    message can carry anything after the signed part (RFC 6376 §8.2).
 *    rfc_l restores the plain RFC behaviour (pass).
 *  - max_age: a signature whose t= is older than max_age seconds, or that
 *    has no t=, is "policy" (replay protection).
 *
 * Parsed public keys are cached process-wide by the text of the key
 * record's p= (at most VOUCH_DKIM_KEY_CACHE entries, least recently used
 * first out), together with an RSA verification context prepared once per
 * key.  The record is still looked up for every message, so the DNS TTL
 * (the resolver's cache) decides how long a key is used, and a key that
 * changed in the DNS is never confused with the old one; what is saved is
 * the costly part: base64, DER parse and context set-up (together several
 * times an RSA-2048 verification).  The cache is thread safe.
 */
#ifndef VOUCH_DKIM_H
#define VOUCH_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "limits.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Verification ------------------------------------------------------ */

/*
 * The verdict of one signature: the RFC 8601 §2.7.1 result words, plus
 * "policy" (RFC 8601 §2.7.1: the signature verified but a local policy
 * rejects it).  NONE is also the overall verdict of a message without
 * DKIM-Signature, and the verdict of signatures beyond max_signatures.
 */
enum vouch_dkim_verdict {
	VOUCH_DKIM_NONE = 0,
	VOUCH_DKIM_PASS,
	VOUCH_DKIM_FAIL, /* the signature or the body hash did not verify */
	VOUCH_DKIM_NEUTRAL, /* not used by this verifier; for callers */
	VOUCH_DKIM_POLICY, /* verified, but l= or max_age policy refuses it */
	VOUCH_DKIM_TEMPERROR, /* the key could not be fetched (DNS) */
	VOUCH_DKIM_PERMERROR /* the signature or key is unusable */
};

/* vouch_dkim_verdict_str - "none", "pass", "fail", ..., static text. */
VOUCH_API const char *vouch_dkim_verdict_str(enum vouch_dkim_verdict v);

/*
 * Options of a verifier; vouch_dkim_options_init() sets the defaults.
 *   now             UNIX time (seconds) t= and x= are judged by; 0 = the
 *                   clock at vouch_dkim_verify_new().
 *   legacy          accept what RFC 8301 and RFC 6376 refuse but older
 *                   signers produced, for old test corpora only: rsa-sha1
 *                   and RSA keys of 512..1023 bits (RFC 8301 §3.1, §3.2),
 *                   and the pre-RFC 4871 drafts' signatures without v= or
 *                   with v=0.5 and q=dns.
 *   rfc_l           plain RFC 6376 l= behaviour: no "policy" verdict for
 *                   unsigned content after the l= count.
 *   max_age         seconds; a signature older (by t=) is "policy".  0 = off.
 *   max_signatures  DKIM-Signature fields verified per message, the first
 *                   ones from the top (0 = VOUCH_DKIM_MAX_SIGNATURES); the
 *                   rest get NONE "not checked: too many signatures".
 */
struct vouch_dkim_options {
	int64_t now;
	bool legacy;
	bool rfc_l;
	uint32_t max_age;
	unsigned max_signatures;
};

/* vouch_dkim_options_init - fill `o` with the defaults (all zero/false). */
VOUCH_API void vouch_dkim_options_init(struct vouch_dkim_options *o);

/*
 * The result of one DKIM-Signature field.  Text fields are NUL-terminated,
 * "" when the tag is absent (or the field too broken to tell); values too
 * long for the array are cut (the verdict is then permerror anyway).
 *   result, reason  the verdict; reason is "" for pass, else English text
 *                   ("body hash did not verify", "no key for signature",
 *                   "rsa-sha1 is not accepted (RFC 8301)", ...).
 *   d, s, a, c      the tags as written (c: "relaxed/simple", or "" when
 *                   absent, meaning simple/simple).
 *   i               the i= identity, dkim-quoted-printable decoded; when
 *                   absent, "@" + d (RFC 6376 §3.5).
 *   b               the shortest prefix of b= of at least 8 characters
 *                   that tells this signature from the others of the
 *                   message (RFC 6008 §2.1, header.b).
 *   t, x, l         the tags' values, -1 when absent.
 *   body_length     canonical body length seen (bytes), -1 if the body
 *                   was not hashed for this signature.
 *   key_bits        RSA modulus bits, 256 for Ed25519, 0 when no key.
 *   testing         the key record has t=y (RFC 6376 §3.6.1).
 */
struct vouch_dkim_signature {
	enum vouch_dkim_verdict result;
	char reason[128];
	char d[VOUCH_DNS_MAX_NAME + 1];
	char s[VOUCH_DNS_MAX_NAME + 1];
	char i[VOUCH_DNS_MAX_NAME + 66];
	char a[32];
	char c[32];
	char b[96];
	int64_t t, x, l;
	int64_t body_length;
	unsigned key_bits;
	bool testing;
};

/*
 * The result of a message.
 *   result   overall: pass when any signature passed; else, of the verdicts
 *            present, the first of temperror, fail, policy, permerror,
 *            neutral; none when there is no signature (or none checked).
 *   reason   "" or a message-level reason that stopped all verification
 *            ("header section too large", "header line too long",
 *            "too many header fields", "malformed header field"); the
 *            overall result is then permerror.
 *   nsig     DKIM-Signature fields found (all of them; those beyond
 *            max_signatures have verdict NONE), top to bottom in sig[].
 */
struct vouch_dkim_result {
	enum vouch_dkim_verdict result;
	char reason[128];
	size_t nsig;
	struct vouch_dkim_signature *sig;
};

/* vouch_dkim_result_free - release a result; NULL is a no-op. */
VOUCH_API void vouch_dkim_result_free(struct vouch_dkim_result *res);

struct vouch_dkim_verifier; /* opaque */

/*
 * vouch_dkim_verify_new - start verifying one message.
 * In:  dns, the resolver for key records (kept, not owned: it must outlive
 *      the verifier); opts, NULL for the defaults (copied).
 * Out: *out, owned by the caller (vouch_dkim_verify_free).
 * Errors: VOUCH_EINVAL (dns NULL), VOUCH_ENOMEM.
 * Thread safety: a verifier belongs to one thread at a time; several may
 * share a resolver if the resolver allows it.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_verify_new(
    struct vouch_dns *dns, const struct vouch_dkim_options *opts,
    struct vouch_dkim_verifier **out);

/*
 * vouch_dkim_verify_header - give the header section, once.
 * In:  hdr/len, the raw header section (CRLF or LF line ends, with or
 *      without the empty line that ends it; as vouch_message_read_header
 *      gives it); not kept after the call.
 * Each DKIM-Signature field is parsed and checked (RFC 6376 §6.1.1), its
 * key fetched and checked (§6.1.2, RFC 8301, RFC 8463) and its header hash
 * verified (§6.1.3 step 4); only the body hash is left for the end.  A
 * header over a limit of limits.h makes the message permerror with a
 * reason (still VOUCH_OK).  A signature OpenSSL could not check is an
 * error of the call, never a fail verdict.
 * Errors: VOUCH_EINVAL (called twice; hdr NULL with len > 0; NULL with
 *         len 0 is an empty header), VOUCH_ENOMEM (also inside OpenSSL).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_verify_header(
    struct vouch_dkim_verifier *v, const uint8_t *hdr, size_t len);

/*
 * vouch_dkim_verify_body - give the next `n` bytes of the body (after the
 * empty line), in chunks of any size, CRLF or LF line ends.
 * Errors: VOUCH_EINVAL (header not given yet, or after finish; p NULL with
 *         n > 0).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_verify_body(
    struct vouch_dkim_verifier *v, const uint8_t *p, size_t n);

/*
 * vouch_dkim_verify_finish - end of message: compare the body hashes,
 * apply the l= and max_age policies, and hand out the result.  A body
 * hash OpenSSL could not compute is VOUCH_ENOMEM, never a fail verdict.
 * Out: *res, owned by the caller (vouch_dkim_result_free).
 * Errors: VOUCH_EINVAL (header not given, or called twice), VOUCH_ENOMEM
 *         (also inside OpenSSL).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_verify_finish(
    struct vouch_dkim_verifier *v, struct vouch_dkim_result **res);

/* vouch_dkim_verify_free - release a verifier; NULL is a no-op. */
VOUCH_API void vouch_dkim_verify_free(struct vouch_dkim_verifier *v);

/*
 * vouch_dkim_verify_fd - verify the message read from `fd` (from its
 * current position to its end; not closed), streaming the body in
 * VOUCH_MESSAGE_CHUNK pieces: a convenience over the calls above and
 * vouch_message_read_*.
 * Out: *res, owned by the caller.  A header section over the limits gives
 *      a permerror result (VOUCH_OK), the rest of the input unread.
 * Errors: VOUCH_EIO (read failed), VOUCH_EINVAL, VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_verify_fd(
    struct vouch_dns *dns, const struct vouch_dkim_options *opts, int fd,
    struct vouch_dkim_result **res);

/*
 * vouch_dkim_verify_mem - the same for a message in memory (`p`/`len`, the
 * whole message, not NUL-terminated, not kept; NULL with len 0 is an
 * empty message).
 * Errors: VOUCH_EINVAL (p NULL with len > 0), VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dkim_verify_mem(
    struct vouch_dns *dns, const struct vouch_dkim_options *opts,
    const uint8_t *p, size_t len, struct vouch_dkim_result **res);

/* ---- Signing ----------------------------------------------------------- */
/*
 * Signing and key management are declared in dkim_sign.h.
 */

#ifdef __cplusplus
}
#endif
#endif
