/*
 * vouch: the receiver's verdict on one message (SPF, DKIM, ARC, DMARC) and
 * its Authentication-Results field.
 *
 * One code path for `vouch verify` and the milter: a long-lived handle
 * (struct vouch_verify: resolver, SPF cache, DMARC evaluator, options) and,
 * per message, a session fed as the message arrives:
 *
 *   vouch_verify_msg_new()      SMTP facts: client address, HELO, MAIL FROM
 *   vouch_verify_msg_header()   the header section, whole or field by field
 *   vouch_verify_msg_body()     the body, in chunks of any size
 *   vouch_verify_msg_finish()   SPF, DKIM, ARC, DMARC verdicts and the field
 *
 * The header section is held (at most VOUCH_MAX_HEADER_BYTES); the body is
 * only hashed, never held, so memory does not grow with the body.  SPF is
 * evaluated for the MAIL FROM identity (postmaster@HELO when MAIL FROM is
 * null, RFC 7208 §2.4); every DKIM signature is verified (RFC 6376 §6);
 * the ARC chain is validated on the same pass over the message (RFC 8617
 * §5.2); DMARC (RFC 9989, or RFC 7489 as an option) is given SPF and DKIM
 * as facts.
 *
 * Fail closed (doc/threat-model.md): nothing a sender controls -- the
 * bytes, size and number of the header fields, comment nesting, the
 * encoding of From, the DNS of its own domains -- can make the verdict
 * better.  A header section that is not RFC 5322, a From field that
 * cannot be read safely, or one not read whole gives no DMARC pass and at
 * least the disposition options.dmarc.unsafe_disposition (quarantine by
 * default), with the reason in result.dmarc.unsafe / unsafe_reason
 * (dmarc.h).  The header limits bound memory only: From fields past them
 * are still found (and make the message unsafe), and a From within them
 * is evaluated.
 *
 * ARC and DMARC (RFC 8617 §7.2.1): the chain never changes the DMARC
 * result.  An operator may name trusted sealers (options.trusted_sealers,
 * off by default); when DMARC fails, the chain passed, and an ARC Set
 * sealed by one of them -- after which every set was sealed by a trusted
 * sealer too, whose AMS still verifies (instance >= oldest-pass) --
 * recorded in its ARC-Authentication-Results a pass aligned with the From
 * domain (dmarc=pass header.from=it, or an spf or dkim pass whose domain
 * aligns), the disposition becomes none with the policy override reason
 * local_policy (RFC 9990 §3.1.6; RFC 9989 §5.4 leaves final handling to
 * local policy).  result.arc_override_reason says why an override was or
 * was not made.  The Authentication-Results field still says dmarc=fail:
 * the override changes the disposition (policy.dmarc=none), not the
 * result.
 *
 * Verdicts are data in struct vouch_verify_result; a call's status only
 * says whether the work could be done (memory, arguments, reading).
 */
#ifndef VOUCH_VERIFY_H
#define VOUCH_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "arc.h"
#include "authres.h"
#include "dkim.h"
#include "dmarc.h"
#include "dns.h"
#include "limits.h"
#include "spf.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Options of a handle; vouch_verify_options_init() sets the defaults.
 *   authserv_id  the authserv-id written in Authentication-Results and
 *                whose incoming fields are forgeries (RFC 8601 §2.5, §5);
 *                NUL-terminated, copied; NULL = the host name
 *                (gethostname(2)).
 *   dkim         options of the DKIM verifier (dkim.h); dkim.now = 0 is
 *                the clock at each message.
 *   dmarc        options of the DMARC evaluator (dmarc.h): RFC 7489 mode,
 *                PSL file (read at vouch_verify_new), sampling seed, ...;
 *                dmarc.unsafe_disposition is the least disposition of a
 *                message whose header section or author cannot be read
 *                safely: VOUCH_DMARC_POLICY_UNSET (the default) or
 *                _QUARANTINE quarantine, _REJECT reject, _NONE none (no
 *                pass all the same).
 *   check_helo   also check the HELO identity when MAIL FROM is not null,
 *                and report it as a second spf result with smtp.helo
 *                (RFC 7208 §2.3 recommends it).  DMARC never uses it.
 *   receiver     the checking host's name for SPF's %{r} (RFC 7208 §7.3);
 *                NULL = the authserv-id.
 *   spf_cache    the caches of the SPF handle, VOUCH_SPF_CACHE_* flags of
 *                spf.h (vouch_spf_set_cache); the default is both DNS
 *                answers and results.
 *   skip_arc     do not validate the ARC chain: no arc result, no arc= in
 *                the field, no override; for a caller that validates it
 *                itself (`vouch arc seal` records the chain as it was
 *                before its own changes).  Default false: ARC is checked,
 *                with dkim.now and dkim.legacy as its options (arc.h).
 *   trusted_sealers, ntrusted_sealers  the ARC sealers (ARC-Seal d=
 *                domains, NUL-terminated, compared without case, no
 *                subdomains) whose recorded pass overrides a DMARC fail
 *                (RFC 8617 §7.2.1 local policy, see above); the names
 *                are copied by vouch_verify_new.  NULL/0, the default:
 *                no override ever.
 */
struct vouch_verify_options {
	const char *authserv_id;
	struct vouch_dkim_options dkim;
	struct vouch_dmarc_options dmarc;
	bool check_helo;
	const char *receiver;
	unsigned spf_cache;
	bool skip_arc;
	const char *const *trusted_sealers;
	size_t ntrusted_sealers;
	struct vouch_spf *shared_spf;
};

/*
 * vouch_verify_options_init - fill the caller's `o` (not NULL) with the
 * defaults: host name as authserv-id (RFC 8601 §2.5), RFC 9989 DMARC,
 * DKIM defaults of dkim.h, no HELO check, both SPF caches, ARC validated,
 * no trusted ARC sealer (no DMARC override).  Nothing to free
 * afterwards.  No error; thread safe.
 */
VOUCH_API void vouch_verify_options_init(struct vouch_verify_options *o);

struct vouch_verify; /* opaque handle */

/*
 * vouch_verify_new - a handle verifying messages through the resolver dns.
 * In:  dns, kept (not owned): it must outlive the handle.  opts, copied,
 *      its strings too (NULL = defaults).  err/errlen: the caller's buffer
 *      of errlen bytes for a NUL-terminated message saying what went wrong
 *      (may be NULL/0).
 * Out: *out, owned by the caller (vouch_verify_free); NULL on error.
 * Errors: VOUCH_EINVAL (dns NULL, an authserv-id that is empty, longer
 *         than VOUCH_AUTHRES_MAX_ID or holds a control character, a
 *         trusted sealer that is not a domain name),
 *         VOUCH_EIO (the PSL file cannot be read, or the host name cannot
 *         be found), VOUCH_ENOMEM.
 * Thread safety: a handle serves one message at a time (the DMARC
 * evaluator's sampling state); a milter makes one handle per thread, and
 * the handles may share a resolver.
 * RFC 8601 §2.5 (authserv-id), RFC 7208, RFC 6376, RFC 8617, RFC 9989
 * (what the handle evaluates).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_verify_new(
    struct vouch_dns *dns, const struct vouch_verify_options *opts,
    struct vouch_verify **out, char *err, size_t errlen);

/*
 * vouch_verify_free - release a handle, its SPF handle, DMARC evaluator and
 * copied options; the resolver stays the caller's, and results already
 * returned stay valid.  Every session of the handle must be freed first.
 * NULL is a no-op.  No error.
 */
VOUCH_API void vouch_verify_free(struct vouch_verify *v);

/*
 * vouch_verify_forged_field - is this one header field an
 * Authentication-Results field claiming the handle's authserv-id (RFC 8601
 * §5: an MTA MUST remove such fields arriving from outside), or one that
 * cannot be read far enough to rule that out?
 * In:  field/len, one raw header field, name included ("Authentication-
 *      Results: id; ..."), folded as received, CRLF or LF, not
 *      NUL-terminated; or a prefix of one that holds at least its name and
 *      authserv-id.  A milter calls it for each field as it arrives, so
 *      that fields past the header limits are judged too.
 * Returns 1 when it is such a field: the id, read as a MIME token or
 * quoted-string and as a dot-atom, equals ours without regard to case or
 * a final dot; or the id cannot be read at all (comments nested however
 * deep or unterminated, no id, an id too long); or, after a CR without
 * LF inside the field (which some readers take for a line end), such a
 * field begins.  0 otherwise, also when v or field is NULL.  Nothing is
 * kept.  No error.  Thread safe.
 */
VOUCH_API int vouch_verify_forged_field(
    const struct vouch_verify *v, const uint8_t *field, size_t len);

/*
 * vouch_verify_authserv_id - the handle's authserv-id (RFC 8601 §2.5),
 * NUL-terminated, owned by the handle and valid until vouch_verify_free.
 * v must not be NULL.  No error; thread safe.
 */
VOUCH_API const char *vouch_verify_authserv_id(const struct vouch_verify *v);

/*
 * What the SMTP session said.  Texts are (pointer, length), need not be
 * NUL-terminated, and are copied by vouch_verify_msg_new.
 *   ip         the client address as text ("192.0.2.1", "2001:db8::1");
 *              length 0 = unknown: SPF is not checked (no spf result).
 *   helo       the HELO/EHLO name (may be empty).
 *   mail_from  the MAIL FROM address without angle brackets; length 0 is
 *              the null reverse-path (RFC 5321 §4.5.5).
 *   now        UNIX time for SPF's %{t}; 0 = time(NULL).
 */
struct vouch_verify_smtp {
	const char *ip;
	size_t ip_len;
	const char *helo;
	size_t helo_len;
	const char *mail_from;
	size_t mail_from_len;
	time_t now;
};

/*
 * The verdict on one message.  Owned by the caller, released with
 * vouch_verify_result_free().
 *   authserv_id   the id written in the field.
 *   spf_checked   SPF was evaluated (the client address was known);
 *                 spf holds the result for MAIL FROM, or for
 *                 postmaster@HELO when MAIL FROM was null (spf.identity
 *                 then says VOUCH_SPF_MAILFROM and spf.domain is the HELO
 *                 name; DMARC aligns on it, RFC 9989 §3.2.4).
 *   helo_checked  the separate HELO check was made (options.check_helo
 *                 and a MAIL FROM that is not null); result in helo.
 *   dkim          every DKIM-Signature, top to bottom (dkim.h).
 *   dmarc         the DMARC verdict (dmarc.h): the record used, the policy
 *                 that applied, the alignment of SPF and of each
 *                 signature (dmarc.domain[dmarc.decisive]), disposition.
 *   dmarc_spf     the SPF fact given to DMARC (result, domain), and
 *                 dmarc_dkim[i] the fact of dkim->sig[i] (i < ndkim_facts).
 *   arc           the ARC chain (arc.h): cv= none, pass or fail with the
 *                 reason, oldest-pass, and each ARC Set's instance, seal
 *                 and AMS domains and selectors, which signatures
 *                 verified, cv= as written and AAR; NULL with
 *                 options.skip_arc.
 *   arc_trust     the trusted-sealer hook's answer
 *                 (vouch_arc_trusted_override): which trusted sealer, if
 *                 any, sealed a set of the passing chain and what its AAR
 *                 recorded; all zero when no trusted sealer is configured
 *                 or DMARC did not fail.
 *   arc_override  the DMARC fail was overridden by it: dmarc.disposition
 *                 is none and dmarc.override local_policy, while
 *                 dmarc.result stays fail.  Made only when the
 *                 disposition was not none already (p=none, t=y of a
 *                 p=quarantine), where there is nothing to override.
 *   override_comment  with arc_override, the comment of the aggregate
 *                 report's policy override reason (RFC 8617 §7.2.2: "arc=
 *                 pass as[2].d=... as[2].s=... ... remote-ip[1]=...");
 *                 NUL-terminated, owned by the result; NULL otherwise.
 *   nforged       Authentication-Results fields of the incoming header
 *                 that claim our authserv-id (RFC 8601 §5); forged[] holds
 *                 their byte ranges in the header section as given.  They
 *                 are to be removed from the message before it goes on
 *                 (vouch_authres_strip_ours() does it on a whole header).
 *   header_too_large  the header section went over VOUCH_MAX_HEADER_BYTES:
 *                 DKIM is permerror; DMARC evaluates the From fields
 *                 held, and a From field past the limit makes the message
 *                 unsafe (dmarc.unsafe, from-incomplete); forged fields
 *                 are looked for only in the part held (the first
 *                 VOUCH_MAX_HEADER_BYTES bytes, the field cut there
 *                 excluded): a writer judges the rest field by field
 *                 (vouch_verify_forged_field).
 *   field/field_len  the Authentication-Results field, "Authentication-
 *                 Results: id;\r\n\t...\r\n", folded, every line ending in
 *                 CRLF, NUL-terminated (not counted); ready to prepend.
 *   orphan_len    bytes at the start of the header section that belong to
 *                 no field: continuation lines before the first field (RFC
 *                 5322 §2.2.3; the message is then unsafe, header-
 *                 malformed).  A writer that prepends `field` must drop
 *                 them, or a reader would unfold them into our field (RFC
 *                 8601 §5).  0 for a well-formed header.
 *   arc_override_reason  with trusted sealers configured and an ARC
 *                 chain present: why the DMARC fail was or was not
 *                 overridden ("the trusted ARC Set i=2 (list.example)
 *                 recorded no pass aligned with victim.example", ...);
 *                 NUL-terminated, "" otherwise.
 */
struct vouch_verify_result {
	char authserv_id[VOUCH_AUTHRES_MAX_ID + 1];
	bool spf_checked;
	struct vouch_spf_result spf;
	bool helo_checked;
	struct vouch_spf_result helo;
	struct vouch_dkim_result *dkim;
	struct vouch_dmarc_result dmarc;
	struct vouch_dmarc_ident dmarc_spf;
	size_t ndkim_facts;
	struct vouch_dmarc_ident dmarc_dkim[VOUCH_DKIM_MAX_SIGNATURES];
	struct vouch_arc_result *arc;
	struct vouch_arc_override arc_trust;
	bool arc_override;
	char *override_comment;
	size_t nforged;
	struct vouch_authres_span *forged;
	bool header_too_large;
	char *field;
	size_t field_len;
	size_t orphan_len;
	char arc_override_reason[640];
};

/*
 * vouch_verify_override_comment - the text for the comment of the
 * aggregate report's policy override (RFC 9990 §3.1.6) and for a log line,
 * when res->dmarc.override is local_policy: the ARC override's comment
 * (RFC 8617 §7.2.2) when the trusted sealer made it, else the reason the
 * author could not be read safely (res->dmarc.unsafe_reason); NULL when
 * there is no local_policy override.  Owned by res.  No error; thread
 * safe.
 */
VOUCH_API const char *vouch_verify_override_comment(
    const struct vouch_verify_result *res);

/*
 * vouch_verify_result_free - release a result with everything it owns (the
 * DKIM result, the ARC result, the DMARC records, override_comment,
 * forged[], field); NULL is a no-op.  No error.
 */
VOUCH_API void vouch_verify_result_free(struct vouch_verify_result *res);

struct vouch_verify_msg; /* opaque: one message in progress */

/*
 * vouch_verify_msg_new - start a message.
 * In:  v, the handle (it must outlive the session); smtp, the session
 *      facts (copied, texts too).
 * Out: *out, owned by the caller (vouch_verify_msg_free); NULL on error.
 * SPF is evaluated here (it needs only the SMTP facts), so a milter may
 * call this at the end of the header or earlier.
 * Errors: VOUCH_EINVAL (NULL arguments, a text NULL with a length, or ip
 *         that is not an IP address), VOUCH_ENOMEM.
 * RFC 7208 §2.3, §2.4 (the identities checked).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_verify_msg_new(
    struct vouch_verify *v, const struct vouch_verify_smtp *smtp,
    struct vouch_verify_msg **out);

/*
 * vouch_verify_msg_header - give (more of) the header section.
 * In:  p/len, raw bytes of the header section, CRLF or LF line ends, not
 *      NUL-terminated, not kept: the whole section at once (as
 *      vouch_message_read_header gives it, with or without the empty
 *      line), or one field at a time ("Name: value\r\n", folded as
 *      received) as a milter sees them.  Pieces are joined as given.
 * Bytes beyond VOUCH_MAX_HEADER_BYTES + 2 are not held and the header is
 * marked too large (DKIM permerror, not an error), but every byte is
 * scanned: the shape of the section (RFC 5322 §2.2) and the From fields
 * count wherever they are, and From fields past the limit are kept aside
 * (VOUCH_FROM_KEEP_BYTES each) for DMARC.  A caller that stops at the
 * limit hides them: give the whole header section.  The answers do not
 * depend on how the bytes are cut into calls.
 * Errors: VOUCH_EINVAL (m NULL, p NULL with len > 0, after the body began
 *         or after finish), VOUCH_ENOMEM.
 * RFC 5322 §2.2 (header fields), RFC 6376 §5.4 (what DKIM reads of them).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_verify_msg_header(
    struct vouch_verify_msg *m, const uint8_t *p, size_t len);

/*
 * vouch_verify_msg_body - give the next `len` bytes of the body (what
 * follows the empty line), chunks of any size, CRLF or LF line ends.  The
 * first call ends the header section: DKIM and ARC keys are fetched then,
 * and the body goes to the DKIM and ARC body hashes alike.
 * p/len: len bytes, not NUL-terminated, hashed and not kept.
 * Errors: VOUCH_EINVAL (m NULL, p NULL with len > 0, or after finish),
 *         VOUCH_ENOMEM.
 * RFC 6376 §3.4.3, §3.4.4 (body canonicalization), §3.7 (body hash);
 * RFC 8617 §5.2 (the AMS body hashes).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_verify_msg_body(
    struct vouch_verify_msg *m, const uint8_t *p, size_t len);

/*
 * vouch_verify_msg_finish - end of message: the DKIM and ARC body hashes,
 * the ARC chain, DMARC, the trusted-sealer override, the forged fields and
 * the Authentication-Results field (RFC 8601 §2: spf=, dkim= per signature
 * with header.d/i/s/a/b, arc= with smtp.remote-ip and, when it passed,
 * header.oldest-pass (RFC 8617 §6, §10), dmarc= with header.from and
 * policy.dmarc, the policy applied after t=, pct= and an override, RFC
 * 9989 §9.1; an override is named in a comment after dmarc=fail).
 * Out: *res, owned by the caller (vouch_verify_result_free).
 * Errors: VOUCH_EINVAL (called twice), VOUCH_ENOMEM, VOUCH_ELIMIT (the
 *         field would exceed VOUCH_AUTHRES_MAX_FIELD; not reached with
 *         VOUCH_DKIM_MAX_SIGNATURES).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_verify_msg_finish(
    struct vouch_verify_msg *m, struct vouch_verify_result **res);

/*
 * vouch_verify_msg_free - release a session (finished or not; a result
 * returned by vouch_verify_msg_finish stays the caller's); NULL is a
 * no-op.  No error.
 */
VOUCH_API void vouch_verify_msg_free(struct vouch_verify_msg *m);

/*
 * vouch_verify_message - the whole of the above for a message in memory
 * (msg/len, the raw message, len bytes, CRLF or LF, not NUL-terminated,
 * not kept; NULL with len 0 is the empty message).
 * Out: *res, owned by the caller (vouch_verify_result_free).
 * Errors: VOUCH_EINVAL (res NULL, or msg NULL with len > 0), and those of
 *         vouch_verify_msg_new, _header, _body and _finish.
 * RFC 8601 (the field), RFC 7208, RFC 6376, RFC 8617, RFC 9989 (the
 * verdicts).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_verify_message(
    struct vouch_verify *v, const struct vouch_verify_smtp *smtp,
    const uint8_t *msg, size_t len, struct vouch_verify_result **res);

/*
 * vouch_verify_fd - the same for the message read from fd (from its
 * current position to its end; not closed), the body streamed in
 * VOUCH_MESSAGE_CHUNK pieces; after a header section over the limit, the
 * rest of the input is scanned as header.  fd stays the caller's.
 * Out: *res, owned by the caller (vouch_verify_result_free).
 * Errors: VOUCH_EINVAL (res NULL), VOUCH_EIO (read failed), and those of
 *         vouch_verify_message.
 * RFC 8601, RFC 7208, RFC 6376, RFC 8617, RFC 9989, as
 * vouch_verify_message.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_verify_fd(
    struct vouch_verify *v, const struct vouch_verify_smtp *smtp, int fd,
    struct vouch_verify_result **res);

#ifdef __cplusplus
}
#endif
#endif
