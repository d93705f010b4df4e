/*
 * vouch: DMARC aggregate reports as the domain owner receives them.
 *
 * The <feedback> document of RFC 7489 Appendix C (namespace none or
 * http://dmarc.org/dmarc-xml/0.1) and of RFC 9990 §3.1
 * (urn:ietf:params:xml:ns:dmarc-2.0), read by one tolerant streaming
 * reader into one data model.  The reader never builds a DOM of the file
 * and never loads or expands entities: a document type declaration is
 * refused, so entity bombs and external entities cannot act.  What real
 * reporters get wrong is accepted: any namespace or none, element names in
 * any case and order, unknown elements, missing optional elements, a byte
 * order mark or white space before the XML declaration, result words in
 * any case, invalid UTF-8 (replaced by U+FFFD), junk after </feedback>.
 * Each such repair is noted in the report's warnings.
 */
#ifndef VOUCH_FEEDBACK_H
#define VOUCH_FEEDBACK_H

#include <stddef.h>
#include <stdint.h>

#include "limits.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which schema the root element's namespace names. */
enum vouch_feedback_schema {
	VOUCH_FEEDBACK_RFC7489 = 0, /* no namespace, or dmarc-xml/0.1 */
	VOUCH_FEEDBACK_RFC9990, /* urn:ietf:params:xml:ns:dmarc-2.0 */
	VOUCH_FEEDBACK_OTHER_NS /* any other namespace (read the same way) */
};

/*
 * Every text below is NUL-terminated UTF-8, trimmed of white space at both
 * ends; NULL when the element is absent, "" when present but empty.
 * Words with a fixed vocabulary (results, dispositions, p/sp/np, adkim,
 * aspf, scope, testing, discovery_method, reason type) are lower-cased;
 * domains are lower-cased without a final dot.  Unknown words are kept as
 * written (lower-cased), never refused.
 */

/* auth_results/dkim (RFC 9990 §3.1.1.12, RFC 7489 Appendix C). */
struct vouch_feedback_dkim {
	const char *domain; /* d= of the signature */
	const char *selector;
	const char *result; /* RFC 8601 §2.7.1 word: pass, fail, ... */
	const char *human_result;
};

/* auth_results/spf (RFC 9990 §3.1.1.13). */
struct vouch_feedback_spf {
	const char *domain;
	const char *scope; /* "mfrom" or "helo" (RFC 7489), NULL if absent */
	const char *result; /* RFC 8601 §2.7.2 word */
	const char *human_result;
};

/* policy_evaluated/reason (RFC 9990 §3.1.1.14, §3.1.6). */
struct vouch_feedback_reason {
	const char *type; /* local_policy, mailing_list, forwarded, ... */
	const char *comment;
};

/* One record: a row (source, count, policy evaluated) with its
 * identifiers and authentication results (RFC 9990 §3.1.1.7-11). */
struct vouch_feedback_record {
	/* row/source_ip: an IPv4 or IPv6 address in the canonical text of
	 * inet_ntop(3) when it parses, else as written (is_ip = 0) */
	const char *source_ip;
	int is_ip;
	uint64_t count; /* messages; at most VOUCH_REPORT_MAX_COUNT */
	/* row/policy_evaluated */
	const char *disposition; /* none, quarantine, reject, pass (9990) */
	const char *dkim; /* DMARC-aligned DKIM: pass or fail */
	const char *spf; /* DMARC-aligned SPF: pass or fail */
	const struct vouch_feedback_reason *reasons;
	size_t nreasons;
	/* identifiers */
	const char *header_from;
	const char *envelope_from;
	const char *envelope_to;
	/* auth_results, in document order */
	const struct vouch_feedback_dkim *dkim_results;
	size_t ndkim;
	const struct vouch_feedback_spf *spf_results;
	size_t nspf;
};

/* policy_published (RFC 9990 §3.1.1.5, RFC 7489 Appendix C). */
struct vouch_feedback_policy {
	const char *domain; /* the DMARC Policy Domain; never NULL */
	const char *adkim, *aspf; /* "r" or "s" */
	const char *p, *sp, *np; /* none, quarantine, reject */
	int pct; /* RFC 7489 pct, 0..100; -1 when absent */
	const char *fo;
	const char *testing; /* RFC 9990 t tag: "y" or "n" */
	const char *discovery_method; /* RFC 9990: "psl" or "treewalk" */
};

/*
 * One aggregate report.  Owned by the caller of vouch_feedback_parse and
 * released with vouch_feedback_free; every pointer inside lives as long
 * as the report.
 */
struct vouch_feedback {
	enum vouch_feedback_schema schema;
	const char *version; /* <version>, NULL if absent */
	/* report_metadata (RFC 9990 §3.1.1.3) */
	const char *org_name; /* never NULL; "" when absent or empty */
	const char *email; /* never NULL; "" when absent or empty */
	const char *extra_contact_info;
	const char *report_id; /* never NULL (see vouch_feedback_parse) */
	const char *generator;
	int64_t begin, end; /* date_range, seconds since the epoch, UTC */
	const char *const *errors; /* report_metadata/error texts */
	size_t nerrors;
	struct vouch_feedback_policy policy_published;
	const struct vouch_feedback_record *records;
	size_t nrecords;
	uint64_t total_count; /* sum of the records' counts */
	/* repairs and dropped parts: the first VOUCH_REPORT_MAX_WARNINGS
	 * texts; nwarnings counts them all */
	const char *warnings[VOUCH_REPORT_MAX_WARNINGS];
	size_t nwarnings;
};

/*
 * vouch_feedback_parse - read one aggregate report.
 * In:  p/len, the XML document, len bytes, not NUL-terminated, read
 *      during the call and not kept; at most VOUCH_REPORT_MAX_XML bytes.
 *      err/errlen: the caller's buffer for a NUL-terminated reason on
 *      failure (may be NULL/0).  out must not be NULL.
 * Out: *out, a new report owned by the caller (vouch_feedback_free), or
 *      NULL on error.
 * The first <feedback> element of the document (at any depth, under any
 * namespace) is the report; reading stops at its end tag, so junk after
 * it is a warning, not an error.  A report without report_id gets one
 * made of "begin-end" of its date_range (noted in warnings) so that it
 * can still be de-duplicated.  A record without a source_ip or a count
 * that parses is dropped (warning); a begin or end written with a
 * fraction ("1337270400.0") is read as the whole seconds.
 * Errors: VOUCH_EINVAL (p NULL with len > 0, out NULL);
 *         VOUCH_ESYNTAX (not well-formed XML before </feedback> ends, no
 *         <feedback> element, a DTD or entity reference, no
 *         policy_published/domain, no date_range begin and end, or end
 *         before begin: err says which, with the line for XML errors);
 *         VOUCH_ELIMIT also for a date_range over VOUCH_REPORT_MAX_DAYS
 *         UTC days (see vouch_feedback_days);
 *         VOUCH_ELIMIT (len over VOUCH_REPORT_MAX_XML, nesting over
 *         VOUCH_REPORT_MAX_DEPTH, a text over VOUCH_REPORT_MAX_TEXT,
 *         records over VOUCH_REPORT_MAX_RECORDS);
 *         VOUCH_ENOMEM.
 * Thread safe (libxml2 is initialized once, on first use).
 * RFC 7489 Appendix C; RFC 9990 §3.1.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_feedback_parse(
    const uint8_t *p, size_t len, struct vouch_feedback **out, char *err,
    size_t errlen);

/* vouch_feedback_free - release a report and all it points to; NULL is a
 * no-op.  No error. */
VOUCH_API void vouch_feedback_free(struct vouch_feedback *fb);

/*
 * The UTC days of a report.  RFC 9990 §3.1.1.4 says a reporting period
 * typically is one UTC day from 00:00 UTC, but reporters also send
 * periods that start at local midnight, last an hour, or span several
 * days.  vouch files every count under a UTC day by this rule:
 *  - a period [begin, end] of at most 86401 seconds (a day, whether end
 *    is written inclusive or exclusive) belongs whole to the UTC day that
 *    holds its middle, begin + (end - begin) / 2;
 *  - a longer period is cut at each 00:00 UTC; each day's share of the
 *    half-open span [begin, end) is its seconds in it, and each record's
 *    count is divided between the days in proportion to their seconds by
 *    the largest-remainder method (ties to the earlier day), so the
 *    shares are whole messages that add up to the count exactly.
 */
struct vouch_feedback_days {
	size_t ndays; /* 1..VOUCH_REPORT_MAX_DAYS */
	int64_t day[VOUCH_REPORT_MAX_DAYS]; /* each day's 00:00 UTC, seconds */
	int64_t seconds[VOUCH_REPORT_MAX_DAYS]; /* period's seconds in it */
};

/*
 * vouch_feedback_days - the UTC days of the period [begin, end].
 * In:  begin <= end, seconds since the epoch; out not NULL.
 * Out: *out filled as described above.
 * Errors: VOUCH_EINVAL (end < begin, out NULL, or a time before the
 *         epoch); VOUCH_ELIMIT (more than VOUCH_REPORT_MAX_DAYS days).
 * Thread safe.  RFC 9990 §3.1.1.4.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_feedback_days(
    int64_t begin, int64_t end, struct vouch_feedback_days *out);

/*
 * vouch_feedback_split - divide count between the days of d by the
 * largest-remainder rule above.
 * In:  d from vouch_feedback_days; count at most VOUCH_REPORT_MAX_COUNT;
 *      share, the caller's array of d->ndays elements.
 * Out: share[i], the messages of day i; they add up to count.  No error;
 *      thread safe.
 */
VOUCH_API void vouch_feedback_split(
    const struct vouch_feedback_days *d, uint64_t count, uint64_t *share);

#ifdef __cplusplus
}
#endif
#endif
