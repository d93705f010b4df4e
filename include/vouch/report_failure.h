/*
 * vouch: DMARC failure reports (RFC 9991) in the Abuse Reporting Format
 * (RFC 5965, RFC 6591), made by a receiver.
 *
 * A failure report is a whole mail message, multipart/report with
 * report-type=feedback-report, sent to the ruf= addresses of the DMARC
 * Policy Record that applied to a message.  This module decides whether
 * reports are due and builds them; sending is the caller's (vouchd hands
 * them to its MTA, `vouch verify --failure-report DIR` writes them to
 * files).
 *
 *   vouch_failure_options_init()  defaults: reports OFF
 *   vouch_failure_new()           a handle: options, redaction key, and
 *                                 the per-destination rate limiter
 *   vouch_failure_build()         for one verdict (vouch_verify_result)
 *                                 and the message's header (and body):
 *                                 zero or more (destination, message) pairs
 *   vouch_failure_state_save/_load  the rate limiter's state as text, for
 *                                 a process that does not live long
 *
 * When reports are due (RFC 9989 §4.7 fo=, default "0"): for each author
 * domain whose record was found and has a ruf= tag,
 *   fo=0  a DMARC report when DMARC failed: neither SPF nor DKIM gave an
 *         aligned pass;
 *   fo=1  a DMARC report when SPF or DKIM gave no aligned pass (also when
 *         the other did, so DMARC passed);
 *   fo=d  a DKIM report (RFC 6591 Auth-Failure bodyhash, signature or
 *         revoked) for each signature that failed, aligned or not;
 *   fo=s  an SPF report (Auth-Failure spf) when SPF gave fail, softfail,
 *         temperror or permerror (RFC 6591 §3.3), aligned or not.
 * A DKIM permerror other than a revoked key (no key, a broken signature)
 * has no Auth-Failure type in RFC 6591 §3.3 and gets no DKIM report.
 *
 * A message that is itself a feedback report gets none (RFC 9991 §5.1
 * warns of report loops).
 *
 * Where they go: to each ruf= URI of that record that is a mailto: URI
 * and that the DMARC evaluation kept (vouch_dmarc_uri.kept: inside the
 * policy's Organizational Domain, or authorized by
 * <policy-domain>._report._dmarc.<host>, RFC 9991 §5, RFC 9990 §4; a
 * replacement ruf= of the authorizing record is used instead, same host
 * only).  Never to the ruf= of a record with psd=y (RFC 9991 §2).  Each
 * destination has a token bucket (opts.rate reports per opts.rate_period
 * seconds; RFC 9991 §2 "MUST implement a rate-limit"); a report over it is
 * dropped and counted.  Report-size suffixes ("!10m") are ignored (RFC
 * 9989 §4.7 obs-dmarc-report-size: "reporters should ignore").
 *
 * What a report holds (RFC 5965 §2, RFC 6591 §3, RFC 9991 §4):
 *   1. text/plain, for a person: what was received, from where, when, and
 *      the verdict;
 *   2. message/feedback-report: Feedback-Type: auth-failure, User-Agent,
 *      Version: 1, Auth-Failure (dmarc, bodyhash, signature, revoked or
 *      spf), Identity-Alignment (the mechanisms that gave no aligned pass,
 *      "dkim", "spf", "dkim, spf", or "none"), Authentication-Results (one
 *      method: the one reported), Original-Envelope-Id, Original-Mail-From,
 *      Arrival-Date, Reporting-MTA, Source-IP, Source-Port (RFC 6692),
 *      Reported-Domain (the author domain), Delivery-Result; DKIM-Domain,
 *      DKIM-Identity, DKIM-Selector for a DKIM report and, in a DMARC
 *      report, for a failed signature whose d= aligns; SPF-DNS (the SPF
 *      record of the domain checked, fetched again through `dns`) for an
 *      SPF report and, in a DMARC report, when SPF failed for an aligned
 *      domain; DKIM-Canonicalized-Header and -Body only when nothing is
 *      redacted (RFC 6591 §3.2.4: redacted data MUST NOT be included
 *      there);
 *   3. the original header section (text/rfc822-headers), or with
 *      opts.include_body the whole message (message/rfc822), our own
 *      Authentication-Results field on top and fields forged with our
 *      authserv-id removed (RFC 8601 §5).  Headers only is the default:
 *      RFC 9991 §7 asks for minimization, and a body carries the most
 *      personal data and any malicious payload (§7.3).
 * Redaction (RFC 9991 §7, RFC 6590): every local-part of an address in
 * parts 2 and 3 and in the Subject is replaced, never the domain;
 * Message-ID, In-Reply-To, References, Resent-Message-ID and Content-ID
 * are kept as they are (they identify the message for the Domain Owner).
 * With redaction on, "http" at the start of a URI in part 3 becomes
 * "hxxp" (RFC 9991 §7.3).  Encoded content (base64 bodies, RFC 2047
 * encoded-words) is not decoded, so an address inside it is not redacted.
 *
 * The report's own header: From: opts.from, To: the destination,
 * Subject: "FW: " and the original Subject (RFC 5965 §2 item f), Date,
 * Message-ID, MIME-Version, Auto-Submitted: auto-generated (RFC 3834),
 * Content-Type: multipart/report; report-type=feedback-report.  RFC 9991
 * §5.1 asks that the reports' mail stream be DMARC-aligned: choose
 * opts.from in a domain whose mail you sign.  Line ends are CRLF; part 2
 * is 7bit (RFC 5965 §7.1); parts 3 are 8bit when the original has 8-bit
 * bytes.
 */
#ifndef VOUCH_REPORT_FAILURE_H
#define VOUCH_REPORT_FAILURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dns.h"
#include "limits.h"
#include "status.h"
#include "verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Kinds of report (bits): what fo= asks for (RFC 9989 §4.7). */
#define VOUCH_FAILURE_DMARC 0x1u /* fo=0 / fo=1: RFC 9991 */
#define VOUCH_FAILURE_DKIM 0x2u /* fo=d: RFC 6591 DKIM failure */
#define VOUCH_FAILURE_SPF 0x4u /* fo=s: RFC 6591 SPF failure */
#define VOUCH_FAILURE_ALL 0x7u

/* How local-parts are redacted (RFC 6590). */
enum vouch_failure_redact {
	/* each local-part replaced by 16 characters of an HMAC-SHA-256
	 * under a secret key: the same local-part gives the same text in
	 * every report of the key, so reports can be correlated (RFC 6590
	 * §4), and nothing can be read back without the key */
	VOUCH_FAILURE_REDACT_HASH = 0,
	/* each local-part replaced by one fixed text (opts.redact_token) */
	VOUCH_FAILURE_REDACT_TOKEN,
	/* nothing redacted: the header (and body) as received */
	VOUCH_FAILURE_REDACT_NONE
};

/* Delivery-Result (RFC 6591 §3.2.2): what the receiver did with the
 * message.  UNKNOWN leaves the field out. */
enum vouch_failure_delivery {
	VOUCH_FAILURE_DELIVERY_UNKNOWN = 0,
	VOUCH_FAILURE_DELIVERY_DELIVERED,
	VOUCH_FAILURE_DELIVERY_SPAM,
	VOUCH_FAILURE_DELIVERY_POLICY,
	VOUCH_FAILURE_DELIVERY_REJECT,
	VOUCH_FAILURE_DELIVERY_OTHER
};

/*
 * Options of a handle; vouch_failure_options_init() sets the defaults.
 * Strings are NUL-terminated and copied by vouch_failure_new.
 *   enabled        false (the default): vouch_failure_build never makes a
 *                  report, whatever the records ask.  Operators who must
 *                  never send failure reports leave it so.
 *   from           the address the reports come from (addr-spec,
 *                  "dmarc-reports@mx.example.net"); required when
 *                  enabled.
 *   user_agent     the User-Agent field (RFC 5965 §3.1, HTTP product
 *                  syntax); NULL = "vouch/VERSION".
 *   reporting_mta  the name written as "Reporting-MTA: dns; NAME" (RFC
 *                  5965 §3.2); NULL = no such field.
 *   kinds          VOUCH_FAILURE_* the operator is willing to send; the
 *                  default is all three.  A record's fo= chooses among
 *                  them.
 *   redact         VOUCH_FAILURE_REDACT_HASH by default.
 *   redact_token   the text of REDACT_TOKEN: a dot-atom of 1 to 64
 *                  characters (RFC 5322 §3.2.3), so that an address stays
 *                  an address; NULL = "redacted".
 *   redact_key, redact_key_len  the secret of REDACT_HASH (any bytes, at
 *                  most VOUCH_FAILURE_MAX_KEY); NULL = 32 random bytes
 *                  drawn at vouch_failure_new (consistent only for the
 *                  life of the handle).
 *   include_body   the third part is the whole message (message/rfc822)
 *                  when the caller gives a complete body of at most
 *                  VOUCH_FAILURE_MAX_BODY bytes; otherwise, the default,
 *                  the header section only (text/rfc822-headers).
 *   rate, rate_period  at most `rate` reports per destination address in
 *                  any `rate_period` seconds (a token bucket of `rate`
 *                  tokens, refilled evenly); the default 10 per 3600.
 *                  rate 0 is refused: RFC 9991 §2 requires a limit, and
 *                  "never" is enabled = false.
 */
struct vouch_failure_options {
	bool enabled;
	const char *from;
	const char *user_agent;
	const char *reporting_mta;
	unsigned kinds;
	enum vouch_failure_redact redact;
	const char *redact_token;
	const uint8_t *redact_key;
	size_t redact_key_len;
	bool include_body;
	unsigned rate;
	unsigned rate_period;
};

/*
 * vouch_failure_options_init - fill the caller's `o` (not NULL) with the
 * defaults: disabled, all kinds, hashed local-parts with a random key,
 * headers only, 10 reports per destination per hour.  Nothing to free.
 * No error; thread safe.
 */
VOUCH_API void vouch_failure_options_init(struct vouch_failure_options *o);

struct vouch_failure; /* opaque: options, key, rate limiter */

/*
 * vouch_failure_new - a handle that builds failure reports.
 * In:  opts, copied with its strings and key (NULL = the defaults,
 *      disabled).  err/errlen: the caller's buffer for a NUL-terminated
 *      message saying what is wrong (may be NULL/0).  out, not NULL.
 * Out: *out, owned by the caller (vouch_failure_free); NULL on error.
 * Errors: VOUCH_EINVAL (enabled without a valid `from` address; a
 *         redact_token that is not a dot-atom of 1..64 characters; a
 *         user_agent or reporting_mta with control or 8-bit characters or
 *         over VOUCH_FAILURE_MAX_TEXT bytes, a reporting_mta with ';';
 *         rate 0 or over 1000000, rate_period 0 or over 400 days (the
 *         token arithmetic stays in 64 bits);
 *         redact_key_len over VOUCH_FAILURE_MAX_KEY; an unknown redact
 *         value), VOUCH_ECRYPTO (no random bytes for the key),
 *         VOUCH_ENOMEM.
 * Thread safety: a handle may serve several threads at once (the rate
 * limiter is locked); vouchd makes one per process.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_failure_new(
    const struct vouch_failure_options *opts, struct vouch_failure **out,
    char *err, size_t errlen);

/*
 * vouch_failure_free - release a handle, its copies and the rate state
 * (the key is wiped).  NULL is a no-op.  No error.
 */
VOUCH_API void vouch_failure_free(struct vouch_failure *f);

/*
 * What the caller knows of the message besides the verdict.  Pointers are
 * the caller's, read during vouch_failure_build only.
 *   header, header_len  the header section as it was given to
 *                  vouch_verify_msg_header (CRLF or LF, with or without
 *                  the empty line; bytes after an empty line are
 *                  ignored); at most VOUCH_MAX_HEADER_BYTES are used.
 *   body, body_len  the body, or what the caller kept of it; NULL/0 =
 *                  none.  Used for message/rfc822 (opts.include_body)
 *                  and DKIM-Canonicalized-Body, only when body_complete.
 *   body_complete  body holds the whole body.
 *   envelope_id    the ENVID of the SMTP transaction (RFC 3461), for
 *                  Original-Envelope-Id; NULL = none.
 *   arrival        when the message arrived (Arrival-Date); 0 = now.
 *   now            the clock for the report's Date: and the rate limit;
 *                  0 = time(NULL).
 *   source_port    the client's TCP port (Source-Port, RFC 6692); 0 =
 *                  unknown.
 *   delivery       Delivery-Result (RFC 6591 §3.2.2).
 */
struct vouch_failure_message {
	const uint8_t *header;
	size_t header_len;
	const uint8_t *body;
	size_t body_len;
	bool body_complete;
	const char *envelope_id;
	time_t arrival;
	time_t now;
	unsigned source_port;
	enum vouch_failure_delivery delivery;
};

/*
 * One report to send.
 *   kind     VOUCH_FAILURE_DMARC, _DKIM or _SPF.
 *   to       the destination address (addr-spec from the ruf= mailto:
 *            URI, percent-decoded), NUL-terminated: the envelope
 *            recipient, and the To: of the message.
 *   uri      the ruf= URI it came from, as published (or the
 *            authorizing record's replacement), NUL-terminated.
 *   domain   the author domain the report is about (Reported-Domain).
 *   data/len the whole message, CRLF line ends, NUL-terminated (not
 *            counted), ready for SMTP DATA (no dot-stuffing applied).
 * Owned by the result; released by vouch_failure_result_free.
 */
struct vouch_failure_report {
	unsigned kind;
	char to[VOUCH_FAILURE_MAX_ADDR + 1];
	char *uri;
	char domain[VOUCH_DNS_MAX_NAME + 1];
	char *data;
	size_t len;
};

/*
 * The outcome of vouch_failure_build.  The counts say why reports that a
 * record asked for were not made.
 *   report/nreports  the reports, in the order of the author domains,
 *                  kinds (DMARC, DKIM per signature, SPF) and ruf= URIs.
 *   due            VOUCH_FAILURE_* kinds that fo= called for (before
 *                  destinations and limits), over all author domains.
 *   npsd           author domains whose record has psd=y: its ruf= was
 *                  not considered (RFC 9991 §2).
 *   nunusable      ruf= URIs not used: not mailto:, external and not
 *                  authorized (or the check failed temporarily), or an
 *                  address that is not a plain addr-spec at the URI's
 *                  host.
 *   nrate_limited  reports dropped by the per-destination rate limit.
 *   nover_limit    reports not made: over VOUCH_FAILURE_MAX_REPORT bytes,
 *                  or beyond VOUCH_FAILURE_MAX_REPORTS for the message.
 *   about_report   the message is itself a feedback report (Content-Type
 *                  multipart/report; report-type=feedback-report): no
 *                  report is made about it, so that two receivers cannot
 *                  report each other's reports back and forth (RFC 9991
 *                  §5.1 warns of such loops).
 */
struct vouch_failure_result {
	struct vouch_failure_report *report;
	size_t nreports;
	unsigned due;
	size_t npsd;
	size_t nunusable;
	size_t nrate_limited;
	size_t nover_limit;
	bool about_report;
};

/*
 * vouch_failure_due - the kinds of report the record of author domain
 * `i` of the verdict calls for under its fo= tag (see the top of this
 * file), before destinations, options and limits: 0 when reports are not
 * enabled by the record (no record, no ruf= tag, psd=y) or i is out of
 * range.  res must not be NULL.  No error; thread safe.
 * RFC 9989 §4.7 (fo, ruf), RFC 9991 §2.
 */
VOUCH_API unsigned vouch_failure_due(
    const struct vouch_verify_result *res, size_t i);

/*
 * vouch_failure_build - the failure reports due for one message.
 * In:  f, the handle.  res, the verdict of vouch_verify_msg_finish (not
 *      NULL; read only).  smtp, the session facts given to
 *      vouch_verify_msg_new (Source-IP, Original-Mail-From; may be NULL).
 *      msg, the header and what else is known (not NULL).  dns, a
 *      resolver for SPF-DNS (the SPF record is fetched again, answered
 *      from the resolver's cache as a rule); NULL = no SPF-DNS field.
 *      out, the caller's, overwritten.
 * Out: *out, the reports and counts; release with
 *      vouch_failure_result_free (also after an error: it is then empty).
 *      With the handle disabled, *out is empty and VOUCH_OK returned.
 * A report whose destination has used up its rate is not built.  A
 * report over VOUCH_FAILURE_MAX_REPORT is not made (counted).
 * Errors: VOUCH_EINVAL (f, res, msg or out NULL; msg->header NULL with a
 *         length), VOUCH_ECRYPTO (no random bytes for a MIME boundary or
 *         an HMAC failed), VOUCH_ENOMEM.
 * Thread safe for distinct `out` on one handle.
 * RFC 9991 §2, §4, §5; RFC 6591 §3; RFC 5965 §2, §3.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_failure_build(
    struct vouch_failure *f, const struct vouch_verify_result *res,
    const struct vouch_verify_smtp *smtp,
    const struct vouch_failure_message *msg, struct vouch_dns *dns,
    struct vouch_failure_result *out);

/*
 * vouch_failure_result_free - release the reports of a result (not the
 * struct, which is the caller's) and zero it; NULL is a no-op.  No error.
 */
VOUCH_API void vouch_failure_result_free(struct vouch_failure_result *r);

/*
 * vouch_failure_state_save - the rate limiter's state as text, for a
 * caller that keeps it between runs (`vouch verify --failure-report`):
 * a first line "vouch-failure-rate 1 RATE PERIOD", then one line
 * "ADDRESS MILLITOKENS UNIXTIME" per destination seen.
 * Out: *text (malloc'ed, NUL-terminated, the caller's: free()), *len.
 * Errors: VOUCH_EINVAL (NULL arguments), VOUCH_ENOMEM.  Thread safe.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_failure_state_save(
    struct vouch_failure *f, char **text, size_t *len);

/*
 * vouch_failure_state_load - replace the rate limiter's state with one
 * saved by vouch_failure_state_save.
 * In:  p/len, the text (not NUL-terminated, any bytes, at most
 *      VOUCH_FAILURE_STATE_MAX_BYTES), read during the call.  A state
 *      saved under another rate or period is rescaled: each bucket keeps
 *      its fullness.  Lines that do not parse are skipped and counted in
 *      *nbad (may be NULL); entries beyond VOUCH_FAILURE_MAX_TRACKED are
 *      dropped.
 * Errors: VOUCH_EINVAL (f NULL, p NULL with len > 0), VOUCH_ESYNTAX (the
 *         first line is not the header line; the state is then empty),
 *         VOUCH_ELIMIT (len over VOUCH_FAILURE_STATE_MAX_BYTES),
 *         VOUCH_ENOMEM.  Thread safe.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_failure_state_load(
    struct vouch_failure *f, const uint8_t *p, size_t len, size_t *nbad);

/*
 * Words for the kinds and Auth-Failure types: "dmarc", "dkim", "spf"
 * (vouch_failure_kind_str, "" for another value).  Static, never NULL.
 */
VOUCH_API const char *vouch_failure_kind_str(unsigned kind);

#ifdef __cplusplus
}
#endif
#endif
