/*
 * vouch: Authenticated Received Chain, ARC (RFC 8617).
 *
 * Validation (RFC 8617 §5.2): a validator is fed one message, its header
 * section once and its body in chunks of any size, like the DKIM verifier
 * (dkim.h), and at the end gives the chain validation status (cv= none,
 * pass or fail), the oldest-pass instance and, for each ARC Set, its
 * domains, selectors and which signatures verified.  Keys are fetched
 * through a struct vouch_dns while the header is processed; the body is
 * canonicalized and hashed only for the AMS that need it, never held.
 *
 * Sealing (RFC 8617 §5.1): a sealer is fed the message the same way and
 * gives the three fields of the next ARC Set (ARC-Seal,
 * ARC-Message-Signature, ARC-Authentication-Results), signed with a key of
 * dkim_sign.h (rsa-sha256 or ed25519-sha256) through the DKIM
 * canonicalization and signing code.
 *
 * As everywhere in vouch, a call's status says only whether the call could
 * do its work; the chain's verdict is data in struct vouch_arc_result.
 * RFC 8617 §5.2.1: every failure to validate, DNS failures included, is a
 * permanent "fail" (the reason says which).
 */
#ifndef VOUCH_ARC_H
#define VOUCH_ARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authres.h"
#include "dkim_sign.h"
#include "dns.h"
#include "limits.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Validation -------------------------------------------------------- */

/*
 * Chain Validation Status, RFC 8617 §4.4: the word of an ARC-Seal's cv=
 * tag and of the "arc" method in Authentication-Results (§10.1).
 */
enum vouch_arc_cv {
	VOUCH_ARC_NONE = 0, /* no ARC Set on the message */
	VOUCH_ARC_PASS,
	VOUCH_ARC_FAIL
};

/* vouch_arc_cv_str - "none", "pass" or "fail"; static text. */
VOUCH_API const char *vouch_arc_cv_str(enum vouch_arc_cv cv);

/*
 * Options of a validator; vouch_arc_options_init() sets the defaults.
 *   now     UNIX time (seconds); 0 = the clock.  RFC 8617 makes a
 *           validator check no time (t= is only parsed: digits or a
 *           fail), so no verdict depends on it today; it is kept so that a
 *           future expiry policy needs no new API.
 *   legacy  accept RSA keys of 512..1023 bits (RFC 8301 §3.2 says no);
 *           rsa-sha1 is always refused (RFC 8617 §4.1.3 via RFC 8301).
 */
struct vouch_arc_options {
	int64_t now;
	bool legacy;
};

/* vouch_arc_options_init - fill `o` with the defaults (all zero/false). */
VOUCH_API void vouch_arc_options_init(struct vouch_arc_options *o);

/*
 * One ARC Set, as found and as judged.  Text fields are NUL-terminated, ""
 * when the tag or the field is absent (values too long are cut).
 *   i                 the instance (1..VOUCH_ARC_MAX_INSTANCES).
 *   seal_d, seal_s    d= and s= of the ARC-Seal; seal_a its a=.
 *   ams_d, ams_s      d= and s= of the ARC-Message-Signature.
 *   cv                the ARC-Seal's cv= as written.
 *   seal_checked      the ARC-Seal's signature was verified (§5.2 step 6;
 *                     not done once the chain failed earlier);
 *   seal_ok           ... and it verified.
 *   ams_checked       the AMS was verified (the newest always, the older
 *                     ones while looking for oldest-pass, §5.2 steps 4-5);
 *   ams_ok            ... and it verified.
 *   reason            "" or why this set failed ("AMS body hash did not
 *                     verify", "ARC-Seal has h=", ...).
 *   aar/aar_len       the ARC-Authentication-Results field body after the
 *                     instance tag and its ';' (authserv-id; results...),
 *                     unfolded, NUL-terminated, owned by the result; NULL
 *                     when the set has no AAR.
 */
struct vouch_arc_instance {
	unsigned i;
	char seal_d[VOUCH_DNS_MAX_NAME + 1];
	char seal_s[VOUCH_DNS_MAX_NAME + 1];
	char seal_a[32];
	char ams_d[VOUCH_DNS_MAX_NAME + 1];
	char ams_s[VOUCH_DNS_MAX_NAME + 1];
	enum vouch_arc_cv cv;
	bool seal_checked, seal_ok;
	bool ams_checked, ams_ok;
	char reason[128];
	char *aar;
	size_t aar_len;
};

/*
 * The result of validating a message's chain, RFC 8617 §5.2.
 *   cv           the Chain Validation Status.
 *   reason       "" for pass and none, else why the chain failed ("gap in
 *                the instances", "ARC-Seal i=2 has cv=none", "AMS i=3 did
 *                not verify: body hash mismatch", "more than 50 ARC Sets",
 *                "key unavailable (timeout)", ...).
 *   oldest_pass  §5.2 step 5: the lowest instance M+1 whose AMS verified
 *                when the AMS of M did not; 0 when every AMS verified, or
 *                when cv is not pass.
 *   last_cv_fail the newest ARC-Seal carries cv=fail: RFC 8617 §5.1 step
 *                2, a sealer adds no further set (vouch_arc_seal_finish
 *                honours it).
 *   max_instance the highest instance value seen on any ARC field, 0 for
 *                none (capped at VOUCH_ARC_MAX_INSTANCES + 1).
 *   ninst        ARC Sets listed in inst[], by instance, inst[k].i == k+1
 *                when the structure is valid; when it is not, inst[] lists
 *                the instances found, in increasing order (at most
 *                VOUCH_ARC_MAX_INSTANCES).
 * Owned by the caller: vouch_arc_result_free().
 */
struct vouch_arc_result {
	enum vouch_arc_cv cv;
	char reason[160];
	unsigned oldest_pass;
	bool last_cv_fail;
	unsigned max_instance;
	size_t ninst;
	struct vouch_arc_instance *inst;
};

/* vouch_arc_result_free - release a result; NULL is a no-op. */
VOUCH_API void vouch_arc_result_free(struct vouch_arc_result *res);

struct vouch_arc_verifier; /* opaque */

/*
 * vouch_arc_verify_new - start validating one message's chain.
 * In:  dns, the resolver for key records (kept, not owned: it must outlive
 *      the validator); opts, NULL for the defaults (copied).
 * Out: *out, owned by the caller (vouch_arc_verify_free).
 * Errors: VOUCH_EINVAL (dns NULL), VOUCH_ENOMEM.
 * Thread safety: a validator belongs to one thread at a time.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_arc_verify_new(
    struct vouch_dns *dns, const struct vouch_arc_options *opts,
    struct vouch_arc_verifier **out);

/*
 * vouch_arc_verify_header - give the raw header section, once (CRLF or LF
 * line ends, with or without the empty line; as vouch_message_read_header
 * gives it; not kept).  The ARC Sets are collected and checked (§5.2 steps
 * 1-3), the keys fetched, and every ARC-Seal and the header part of every
 * AMS verified; only the AMS body hashes wait for the body.  A header
 * section over a limit of limits.h gives cv=fail with a reason.
 * Errors: VOUCH_EINVAL (called twice; hdr NULL with len > 0),
 *         VOUCH_ENOMEM (also inside OpenSSL: a signature that could not
 *         be checked is not a cv=fail).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_arc_verify_header(
    struct vouch_arc_verifier *v, const uint8_t *hdr, size_t len);

/*
 * vouch_arc_verify_body - the next `n` bytes of the body (after the empty
 * line), in chunks of any size.
 * Errors: VOUCH_EINVAL (header not given yet, or after finish; p NULL
 *         with n > 0).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_arc_verify_body(
    struct vouch_arc_verifier *v, const uint8_t *p, size_t n);

/*
 * vouch_arc_verify_finish - end of message: compare the AMS body hashes,
 * run §5.2 steps 4-7 and hand out the result.
 * Out: *res, owned by the caller (vouch_arc_result_free).
 * Errors: VOUCH_EINVAL (header not given, or called twice), VOUCH_ENOMEM
 *         (also a body hash OpenSSL could not compute).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_arc_verify_finish(
    struct vouch_arc_verifier *v, struct vouch_arc_result **res);

/* vouch_arc_verify_free - release a validator; NULL is a no-op. */
VOUCH_API void vouch_arc_verify_free(struct vouch_arc_verifier *v);

/*
 * vouch_arc_verify_mem - validate the message `p`/`len` (whole message,
 * not NUL-terminated, not kept): the calls above in one.
 * Errors: VOUCH_EINVAL, VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_arc_verify_mem(
    struct vouch_dns *dns, const struct vouch_arc_options *opts,
    const uint8_t *p, size_t len, struct vouch_arc_result **res);

/*
 * vouch_arc_verify_fd - the same for the message read from `fd` (to its
 * end; not closed), the body streamed in VOUCH_MESSAGE_CHUNK pieces.
 * Errors: VOUCH_EIO (read failed), VOUCH_EINVAL, VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_arc_verify_fd(
    struct vouch_dns *dns, const struct vouch_arc_options *opts, int fd,
    struct vouch_arc_result **res);

/*
 * vouch_arc_authres_add - add the "arc" result of `res` to an
 * Authentication-Results builder (authres.h): arc=pass|fail|none
 * (RFC 8617 §6, §10.1), with the reason when it failed,
 * smtp.remote-ip=`remote_ip` when not NULL, and header.oldest-pass when
 * the chain passed (0 when every AMS verified; §6, §10.2).
 * In:  b, a builder; res, a validation result; remote_ip, NUL-terminated
 *      IP address text or NULL.
 * Errors: VOUCH_EINVAL (NULL b or res), those of vouch_authres_add/_prop
 *         (the builder keeps the first, so checking vouch_authres_finish
 *         is enough).
 */
VOUCH_API enum vouch_status vouch_arc_authres_add(
    struct vouch_authres_builder *b, const struct vouch_arc_result *res,
    const char *remote_ip);

/* ---- Trusted sealers (local policy for DMARC) ------------------------- */

/*
 * What a trusted sealer recorded, for overriding a DMARC failure
 * (RFC 8617 §7.2.1 leaves this local policy; RFC 9989 lists "arc" among
 * the local_policy override reasons).
 *   trusted    a set of the passing chain may speak for the message: it
 *              was sealed (ARC-Seal d=) by a domain of the trusted list
 *              and so was every newer set;
 *   instance   the newest such set's instance (0 when none);
 *   sealer     its ARC-Seal d=;
 *   dmarc, dkim, spf   its ARC-Authentication-Results has a result
 *              "dmarc=pass", "dkim=pass", "spf=pass" (any of them); in
 *              vouch_verify_result.arc_trust, only those aligned with the
 *              From domain;
 *   override   trusted, its AMS still verifies (instance >= oldest-pass:
 *              the message is as it sealed it), and one of dmarc, dkim,
 *              spf passed.  Not yet a reason to override DMARC: the pass
 *              must be aligned with the message's From domain, which this
 *              function does not know; vouch_verify decides that (and
 *              sets it in vouch_verify_result.arc_trust when it did).
 */
struct vouch_arc_override {
	bool trusted;
	unsigned instance;
	char sealer[VOUCH_DNS_MAX_NAME + 1];
	bool dmarc, dkim, spf;
	bool override;
};

/*
 * vouch_arc_trusted_override - the trusted-sealer hook: given a validated
 * chain and the domains whose ARC-Seals the operator trusts, say what the
 * trusted sealer that may speak for the message recorded.  Off by default:
 * with no trusted domain (ntrusted 0) the answer is always "no override".
 * Only a chain with cv=pass is considered (RFC 8617 §5.2: a failed chain
 * is as no chain).  Only the newest run of sets sealed by trusted domains
 * (compared without case, exactly, no subdomains) counts: a set followed
 * by one from an untrusted sealer does not (that hop could have changed
 * what it vouched for).  Of that run the newest set is used; its AAR is
 * parsed (authres.h) and its results read.
 * In:  res, a validation result; trusted/ntrusted, NUL-terminated domain
 *      names (NULL when ntrusted is 0).
 * Out: *out, filled in (always, also when nothing is trusted).
 * Errors: VOUCH_EINVAL (NULL res or out), VOUCH_ENOMEM.  An AAR that does
 *         not parse gives no pass (VOUCH_OK).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_arc_trusted_override(
    const struct vouch_arc_result *res, const char *const *trusted,
    size_t ntrusted, struct vouch_arc_override *out);

/* ---- Sealing ----------------------------------------------------------- */

/*
 * One ARC Set to add.  Strings are NUL-terminated and copied by
 * vouch_arc_seal_new; the key is borrowed and must outlive the sealer.
 *   key, alg, domain, selector   as for a DKIM signature (dkim_sign.h);
 *                 alg AUTO takes rsa-sha256 or ed25519-sha256 from the key.
 *   authserv_id   this ADMD's authserv-id (RFC 8601 §2.5), written after
 *                 i= in the AAR.
 *   auth_results  the results to record in the AAR: "resinfo" text as in
 *                 an Authentication-Results field after the authserv-id
 *                 ("spf=pass smtp.mailfrom=...; dkim=pass ..."), without
 *                 the authserv-id.  NULL: the results of the message's own
 *                 Authentication-Results fields whose authserv-id is
 *                 `authserv_id`, in header order, each result once, as
 *                 written (RFC 8617 §4.1.1: the AAR is a copy of them).
 *   headers       names for the AMS h=, NULL for the DKIM signer's
 *                 default list (dkim_sign.h); ARC fields and
 *                 Authentication-Results are never signed (§4.1.2).
 *   now           t= in seconds since the epoch; 0 = the clock.
 * The AMS is relaxed/relaxed; the ARC-Seal relaxed (§4.1.3).
 */
struct vouch_arc_seal_req {
	const struct vouch_dkim_key *key;
	enum vouch_dkim_sign_alg alg;
	const char *domain;
	const char *selector;
	const char *authserv_id;
	const char *auth_results;
	const char *const *headers;
	size_t nheaders;
	int64_t now;
};

struct vouch_arc_sealer; /* opaque, one message */

/* The member of a vouch_arc_seal_req that cannot be sealed as given. */
enum vouch_arc_seal_req_part {
	VOUCH_ARC_SEAL_REQ_OK = 0, /* nothing: the request can be sealed */
	VOUCH_ARC_SEAL_REQ_KEY, /* key */
	VOUCH_ARC_SEAL_REQ_DOMAIN, /* domain (d=) */
	VOUCH_ARC_SEAL_REQ_SELECTOR, /* selector (s=) */
	VOUCH_ARC_SEAL_REQ_ALG, /* alg (a=) */
	VOUCH_ARC_SEAL_REQ_AUTHSERV_ID, /* authserv_id (the AAR's) */
	VOUCH_ARC_SEAL_REQ_HEADERS, /* headers (the AMS h=) */
	VOUCH_ARC_SEAL_REQ_NOW /* now (t=) */
};

/*
 * vouch_arc_seal_req_check - whether vouch_arc_seal_new accepts request
 * r, and if not, which member is wrong and why: vouch_arc_seal_new
 * refuses exactly the requests this refuses (it calls it), so a caller
 * can tell its user which option to mend.  The rules for key, alg,
 * domain, selector and header names are the DKIM signer's
 * (vouch_dkim_sign_req_check), the AMS and ARC-Seal being DKIM-style
 * signatures (RFC 8617 §4.1.2, §4.1.3).
 * In:  r, one request.
 * Out: *part, the first member found wrong (VOUCH_ARC_SEAL_REQ_OK when
 *      none); *reason, a one-line reason naming the rule broken (static,
 *      NUL-terminated, no newline; "" when none), e.g. "ARC fields and
 *      Authentication-Results are never signed in the AMS (RFC 8617
 *      §4.1.2)".  The reason does not repeat the member's value: the
 *      caller names it (for headers, the caller that wants to name the
 *      one bad name can check a request of that name alone).
 * Errors: VOUCH_EINVAL (r, part or reason NULL; or r cannot be sealed:
 *         no key; domain or selector not a DNS name of letters, digits,
 *         '-' and '_' (no final dot, no label starting or ending with '-',
 *         RFC 5321 §4.1.2; SELECTOR._domainkey.DOMAIN at most 253 bytes),
 *         so that vouch's own verifiers never refuse what it signs; alg
 *         not one the key makes (RSA keys rsa-sha256, Ed25519 keys
 *         ed25519-sha256, RFC 8463); an authserv-id that is
 *         missing, longer than VOUCH_AUTHRES_MAX_ID bytes or not a MIME
 *         token (RFC 8601 §2.2, RFC 2045 §5.1: a space, control
 *         character or tspecial such as ';'); a header name list that is
 *         empty, longer than VOUCH_DKIM_SIGN_MAX_HEADERS, holds a non-name
 *         (RFC 5322 §3.6.8), an ARC field or Authentication-Results (RFC
 *         8617 §4.1.2); now < 0).
 * Thread safety: none needed (reads r only).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_arc_seal_req_check(
    const struct vouch_arc_seal_req *r, enum vouch_arc_seal_req_part *part,
    const char **reason);

/*
 * vouch_arc_seal_new - start sealing one message.
 * Out: *out, owned by the caller (vouch_arc_seal_free).
 * Errors: VOUCH_EINVAL (req NULL, or a request vouch_arc_seal_req_check
 *         refuses: no key, a bad domain, selector or header name (an ARC
 *         field or Authentication-Results, §4.1.2), an authserv-id that is
 *         not a MIME token (empty, space, control character, tspecial
 *         such as ';'), an algorithm the key cannot make, more than
 *         VOUCH_DKIM_SIGN_MAX_HEADERS names, now < 0), VOUCH_ENOMEM,
 *         VOUCH_ECRYPTO.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_arc_seal_new(
    const struct vouch_arc_seal_req *req, struct vouch_arc_sealer **out);

/*
 * vouch_arc_seal_update - feed the next `len` bytes of the message (header
 * section, empty line, body; cut anywhere; CRLF or LF).  The header is kept
 * (at most VOUCH_MAX_HEADER_BYTES); the body is hashed, not kept.
 * Errors: VOUCH_ELIMIT (header too large), VOUCH_EINVAL (after finish;
 *         p NULL with len > 0), VOUCH_ENOMEM.  Sticky.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_arc_seal_update(
    struct vouch_arc_sealer *s, const uint8_t *p, size_t len);

/*
 * vouch_arc_seal_set_auth_results - set (or replace) the results the AAR
 * records, as req->auth_results of vouch_arc_seal_new; for a caller that
 * computes them while the message streams past (NUL-terminated, copied).
 * Call before vouch_arc_seal_finish.
 * Errors: VOUCH_EINVAL (NULL, or after finish), VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_arc_seal_set_auth_results(
    struct vouch_arc_sealer *s, const char *auth_results);

/*
 * vouch_arc_seal_finish - make the next ARC Set.
 * In:  chain, the validation result of this same message
 *      (vouch_arc_verify_*), which gives the cv= of the new ARC-Seal and the
 *      instance (max_instance + 1).  When the chain failed, the ARC-Seal
 *      signs only the new set (RFC 8617 §5.1.2).  crlf: line ends of the
 *      output, CRLF when true, LF otherwise.
 * Out: *fields, the three fields to prepend, in this order: ARC-Seal,
 *      ARC-Message-Signature, ARC-Authentication-Results; NUL-terminated,
 *      owned by the caller (free()); *len, its length.  Tags are written in
 *      alphabetical order, one space after each ';', folded only between
 *      tags.  When the newest ARC-Seal of the chain has cv=fail
 *      (chain->last_cv_fail), no set is made (RFC 8617 §5.1 step 2):
 *      *fields is NULL, *len 0, and the call returns VOUCH_OK.
 * Errors: VOUCH_ELIMIT (the chain already has VOUCH_ARC_MAX_INSTANCES
 *         sets, §4.2.1; or a field too long), VOUCH_ESYNTAX (the header
 *         section does not scan: a line that is not a field), VOUCH_ECRYPTO,
 *         VOUCH_ENOMEM, VOUCH_EINVAL (chain NULL, finish called twice, or
 *         a passing chain whose sets this message does not have), or a
 *         sticky error of _update.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_arc_seal_finish(
    struct vouch_arc_sealer *s, const struct vouch_arc_result *chain, bool crlf,
    char **fields, size_t *len);

/* vouch_arc_seal_error - a one-line reason for the last error; "" if none. */
VOUCH_API const char *vouch_arc_seal_error(const struct vouch_arc_sealer *s);

/* vouch_arc_seal_free - release a sealer; NULL is a no-op. */
VOUCH_API void vouch_arc_seal_free(struct vouch_arc_sealer *s);

#ifdef __cplusplus
}
#endif
#endif
