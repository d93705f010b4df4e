/*
 * vouch: DMARC aggregate reports out, as a receiver (RFC 9990).
 *
 * From the evaluations recorded in the store (store.h), vouch_report_
 * generate builds one report per DMARC Policy Domain per interval (UTC
 * days by default; intervals never overlap): rows grouped by source IP,
 * disposition, alignment, override reasons, identifiers and the DKIM and
 * SPF results; policy_published as evaluated (the last configuration seen
 * in the interval, never fetched again); XML written by vouch's own
 * bounded writer, gzip-compressed.  Each report is kept in the store with
 * its destinations, so that vouch_report_send delivers it, as a MIME
 * message DKIM-signed for aligned DMARC, once to each destination, and
 * keeps the state of each delivery: a report accepted (2xx) is never sent
 * again, a permanent refusal (5xx) is recorded and not tried again, a
 * temporary one is tried again later, a limited number of times.
 */
#ifndef VOUCH_REPORT_H
#define VOUCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dkim_sign.h"
#include "dmarc.h"
#include "dns.h"
#include "limits.h"
#include "status.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Generation --------------------------------------------------------- */

/*
 * Who reports (RFC 9990 §3.1.1.3), NUL-terminated texts, copied where
 * kept.
 *   org_name            the Reporting Organization (required).
 *   email               its contact address (required); also the From of
 *                       the report messages unless the sender says
 *                       otherwise.
 *   extra_contact_info  optional (NULL: none).
 *   submitter           the receiver's domain: the file name's "receiver"
 *                       and the Subject's "Submitter" (RFC 9990 §3.5.2);
 *                       NULL = the domain of email.
 */
struct vouch_report_meta {
	const char *org_name;
	const char *email;
	const char *extra_contact_info;
	const char *submitter;
};

/*
 * Options of vouch_report_generate.
 *   from, to    UNIX seconds: the intervals made are those [b, b +
 *               interval - 1] with from <= b and b + interval <= to, b a
 *               multiple of interval (so intervals of two runs never
 *               overlap, RFC 9990 §3.1.1.4).
 *   interval    seconds, a divisor of 86400 (0 = 86400: UTC days).
 *   rfc7489     the RFC 7489 Appendix C format (no namespace; disposition
 *               "pass" written "none", override "policy_test_mode"
 *               written "local_policy"; pct and sp always present).
 *   force       build again reports already in the store that were not
 *               yet accepted by any destination (default: keep them).
 *   out_dir     also write each report file there (NULL: the store only).
 */
struct vouch_report_options {
	struct vouch_report_meta meta;
	int64_t from, to;
	unsigned interval;
	bool rfc7489;
	bool force;
	const char *out_dir;
};

/* What a generation did. */
struct vouch_report_summary {
	unsigned intervals; /* intervals looked at */
	unsigned reports; /* reports made now */
	unsigned kept; /* already in the store, kept as they were */
	unsigned suppressed; /* policy domains on the suppression list */
	unsigned no_destination; /* policy domains without rua= left */
	uint64_t records; /* record elements written */
	uint64_t messages; /* messages counted in them */
};

/*
 * vouch_report_generate - build the aggregate reports of the evaluations
 * recorded between o->from and o->to.
 * In:  s, a migrated store; o, the options (texts read during the call);
 *      err/errlen for a reason (may be NULL/0).
 * Each report: report_id unique and stable (the same report made again
 * has the same id: 32 hex digits of a SHA-256 over submitter, policy
 * domain and interval), equal to the file name's unique-id (RFC 9990
 * §3.1.4); file name receiver!policy-domain!begin!end!unique-id.xml.gz
 * (§3.5.2); at most VOUCH_REPORT_MAX_DKIM DKIM results per row, in the
 * order of §3.1.3; version, generator.  A report over
 * VOUCH_REPORT_MAX_BYTES compressed is not made (err says which).
 * Out: *sum (may be NULL).
 * Errors: VOUCH_EINVAL (s or o NULL, no org_name or email, an email
 *         without a domain, a submitter that is no domain name, from >=
 *         to, an interval not dividing 86400), VOUCH_EIO (the store or
 *         out_dir failed), VOUCH_ELIMIT (a report too large; the others
 *         are made), VOUCH_ENOMEM.
 * One thread per store handle.  RFC 9990 §3.1, §3.5.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_report_generate(
    struct vouch_store *s, const struct vouch_report_options *o,
    struct vouch_report_summary *sum, char *err, size_t errlen);

/* ---- Sending ------------------------------------------------------------ */

enum vouch_report_transport {
	VOUCH_REPORT_SENDMAIL = 1, /* a sendmail(1) program, no shell */
	VOUCH_REPORT_SMTP /* SMTP to a relay, through libcurl */
};

/*
 * Options of vouch_report_send.
 *   transport   how to deliver.
 *   sendmail    the program (NULL = /usr/sbin/sendmail), run with execve
 *               as: sendmail -oi -f FROM -- RCPT, the message on its
 *               standard input.  Exit 0 is accepted, EX_TEMPFAIL (75) and
 *               other failures to run are temporary, the rest permanent.
 *   smtp_url    the relay for VOUCH_REPORT_SMTP: smtp://host[:port] or
 *               smtps://...; the relay's reply code decides (2xx
 *               accepted, 4xx and connection failures temporary, 5xx
 *               permanent).
 *   from        the From and envelope sender (NULL = the report's email).
 *   key, dkim_domain, selector  the DKIM signature on each message (RFC
 *               9990 §3.5.2: reports MUST pass aligned DMARC: d= must
 *               align with the From domain); key NULL: unsigned.
 *   dns         the resolver for the external destination check made
 *               again at send time (RFC 9990 §4); mode, how the
 *               Organizational Domains are found for it.
 *   now         UNIX seconds, 0 = the clock.
 *   max_attempts  temporary failures before a delivery is given up
 *               (failed); 0 = VOUCH_REPORT_MAX_ATTEMPTS.
 *   retry_seconds the wait after a temporary failure; 0 = 3600.
 *   timeout     seconds for one SMTP transaction or sendmail run (0 =
 *               300).
 */
struct vouch_report_send_options {
	enum vouch_report_transport transport;
	const char *sendmail;
	const char *smtp_url;
	const char *from;
	const struct vouch_dkim_key *key;
	const char *dkim_domain;
	const char *selector;
	struct vouch_dns *dns;
	enum vouch_dmarc_mode mode;
	int64_t now;
	unsigned max_attempts;
	unsigned retry_seconds;
	unsigned timeout;
};

/* What a run of vouch_report_send did, per delivery. */
struct vouch_report_send_summary {
	unsigned sent; /* accepted (2xx, or sendmail exit 0) */
	unsigned deferred; /* temporary failure: tried again later */
	unsigned failed; /* permanent failure, or too many attempts */
	unsigned suppressed; /* on a suppression list: never sent */
	unsigned unauthorized; /* the external destination check failed */
	/* Deliveries waiting for their retry time when the run ended (the
	 * deferred of this run and of earlier ones not yet due), and the
	 * earliest of those times (UNIX seconds; 0 when none waits). */
	unsigned waiting;
	int64_t next_retry;
};

/*
 * vouch_report_send - deliver every report delivery that is due: new ones
 * (pending) and temporary failures whose wait is over.
 * Per delivery: the suppression lists (destination address, its domain,
 * the policy domain) are checked; the external destination check (RFC
 * 9990 §4) is made again (a temporary DNS failure defers the delivery;
 * the authorizing record's rua= replacing the URI is honoured); the
 * message (RFC 9990 §3.5.2: Subject "Report Domain: D Submitter: S
 * Report-ID: <id>", a text/plain part, the report as application/gzip
 * with its file name; Message-ID from the report_id) is DKIM-signed and
 * delivered; the outcome is committed before the next delivery, so a
 * crash re-sends at most the one delivery in flight.  mailto: URIs only;
 * "!size" suffixes were removed when the record was read (RFC 9989 made
 * them obsolete).
 * In:  s, a migrated store; o, the options; err/errlen for a reason.
 * Out: *sum (may be NULL).
 * Errors: VOUCH_EINVAL (NULL arguments, no transport or smtp_url, an
 *         smtp_url that is not smtp:// or smtps:// with a host and a port
 *         of 1-65535 (said in err, nothing delivered), key without
 *         dkim_domain and selector, dns NULL), VOUCH_EIO (the
 *         store failed), VOUCH_EUNSUPPORTED (SMTP in a build without
 *         libcurl), VOUCH_ENOMEM.  A delivery that fails is data in the
 *         store and in *sum, not an error.
 * RFC 9990 §3.5, §4.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_report_send(
    struct vouch_store *s, const struct vouch_report_send_options *o,
    struct vouch_report_send_summary *sum, char *err, size_t errlen);

/*
 * vouch_report_smtp_url_check - whether url is an SMTP relay URL that
 * vouch_report_send and vouch_report_transmit accept: smtp:// or
 * smtps:// with a host and, if given, a port of 1-65535.  For a caller
 * that checks its arguments before it opens a store or reads a file.
 * In:  url, NUL-terminated; err/errlen for the reason (may be NULL/0).
 * Errors: VOUCH_EINVAL (url NULL, or not such a URL: said in err, naming
 *         it), VOUCH_EUNSUPPORTED (a build without libcurl).  No I/O.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_report_smtp_url_check(
    const char *url, char *err, size_t errlen);

/* What one transmission came to. */
enum vouch_report_outcome {
	VOUCH_REPORT_SENT = 0, /* accepted: 2xx, or sendmail exit 0 */
	VOUCH_REPORT_TEMPFAIL, /* try again later */
	VOUCH_REPORT_PERMFAIL /* refused for good: 5xx, or a final exit */
};

/*
 * vouch_report_transmit - hand one whole message to the transport of o,
 * as vouch_report_send does for each delivery: sendmail run with execve
 * (no shell; "-oi -f FROM -- RCPT...", the message on its standard input
 * with LF line ends, a clean environment but for PATH and Postfix's
 * MAIL_CONFIG), or SMTP to o->smtp_url (STARTTLS when offered).  For a
 * daemon's own mail, such as vouchd's failure reports.
 * In:  o, of which transport, sendmail, smtp_url and timeout are used;
 *      from, the envelope sender (addr-spec, NUL-terminated); rcpt/nrcpt,
 *      the recipients (addr-specs, 1..VOUCH_DMARC_MAX_URIS); msg/len, the
 *      whole message, CRLF line ends, not NUL-terminated, read only;
 *      text/tlen, the caller's buffer for what happened (may be NULL/0).
 * Out: *outcome (not NULL); *code (may be NULL): the SMTP reply code or
 *      sendmail's exit status, 0 when none; text NUL-terminated, for
 *      SMTP without the reply code (that is *code: "RCPT failed",
 *      "accepted", or libcurl's reason when there was no reply).  A
 *      refusal is an outcome, not an error: sysexits(3) EX_TEMPFAIL and
 *      failures to run or write are temporary, other exits final; 4xx
 *      and connection failures temporary, 5xx final.
 * Errors: VOUCH_EINVAL (NULL arguments, no recipient or too many, no
 *         transport, SMTP without smtp_url or with one that is not
 *         smtp:// or smtps:// with a host and a port of 1-65535, said in
 *         text), VOUCH_EUNSUPPORTED (SMTP in
 *         a build without libcurl).
 * Thread safe.  The sendmail child, forked from the calling thread, only
 * makes async-signal-safe calls before execve, so a threaded process may
 * use it.  RFC 5321 (SMTP); RFC 9990 §3.5 (reports by mail).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_report_transmit(
    const struct vouch_report_send_options *o, const char *from,
    const char *const *rcpt, size_t nrcpt, const uint8_t *msg, size_t len,
    enum vouch_report_outcome *outcome, int *code, char *text, size_t tlen);

/* ---- Suppression lists and listing -------------------------------------- */

enum vouch_report_suppress_kind {
	VOUCH_REPORT_SUPPRESS_DESTINATION = 1, /* an address, or a domain */
	VOUCH_REPORT_SUPPRESS_DOMAIN /* a policy domain */
};

/*
 * vouch_report_suppress - add (add true) or remove an entry of a
 * suppression list.  value: an address (local@domain) or a domain name
 * for DESTINATION (a domain suppresses every address at it), a domain
 * name for DOMAIN; NUL-terminated, compared without case; comment may be
 * NULL.
 * Errors: VOUCH_EINVAL (bad kind or value), VOUCH_ENOTFOUND (removing an
 *         entry that is not there), VOUCH_EIO.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_report_suppress(
    struct vouch_store *s, enum vouch_report_suppress_kind kind,
    const char *value, const char *comment, bool add);

/* One entry of a suppression list, as vouch_report_suppress_list gives it
 * (texts valid during the callback only). */
struct vouch_report_suppression {
	enum vouch_report_suppress_kind kind;
	const char *value; /* as stored: lower case */
	int64_t added_at; /* UNIX seconds, when it was first added */
	const char *comment; /* NULL when none was given */
};

/*
 * vouch_report_suppress_list - call fn for every entry of both suppression
 * lists, destinations first, then policy domains, each in the order of
 * its value; fn returning non-zero stops the walk.
 * Errors: VOUCH_EINVAL (NULL arguments), VOUCH_EIO.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_report_suppress_list(
    struct vouch_store *s,
    int (*fn)(void *arg, const struct vouch_report_suppression *e), void *arg);

/* One delivery, as vouch_report_list gives it (texts valid during the
 * callback only). */
struct vouch_report_delivery {
	const char *policy_domain;
	int64_t begin, end;
	const char *report_id;
	const char *filename;
	uint64_t records, messages;
	const char *destination; /* "" for a report without destination */
	const char *status; /* pending, sent, retry, failed, suppressed,
	                       unauthorized, sending */
	unsigned attempts;
	int last_code; /* SMTP reply code or sendmail exit status, 0 none */
	const char *last_text;
};

/*
 * vouch_report_list - call fn for every delivery of every report in the
 * store, ordered by interval, policy domain and destination; fn returning
 * non-zero stops the walk.
 * Errors: VOUCH_EINVAL (NULL arguments), VOUCH_EIO.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_report_list(
    struct vouch_store *s,
    int (*fn)(void *arg, const struct vouch_report_delivery *d), void *arg);

/*
 * vouch_report_content - the file of one report (the gzip-compressed XML)
 * by its report_id.  Out: *out (malloc'd, the caller frees), *len, and
 * *filename (malloc'd, may be NULL).
 * Errors: VOUCH_EINVAL, VOUCH_ENOTFOUND, VOUCH_EIO, VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_report_content(
    struct vouch_store *s, const char *report_id, uint8_t **out, size_t *len,
    char **filename);

#ifdef __cplusplus
}
#endif
#endif
