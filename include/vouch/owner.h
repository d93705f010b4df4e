/*
 * vouch: the Domain Owner's side of DMARC aggregate reporting.
 *
 * Reports read by ingest.h are kept in the store (store.h), once each,
 * their records filed by UTC day (feedback.h says how a longer period is
 * split); they are read back for export, and summarized for a person who
 * decides whether to tighten the domain's policy: every source in one of
 * four buckets, and what p=quarantine or p=reject would do today.
 * RFC 9990 §3.1 (the report), RFC 9989 §4.4 (alignment), §4.7 (p/sp).
 */
#ifndef VOUCH_OWNER_H
#define VOUCH_OWNER_H

#include <stddef.h>
#include <stdint.h>

#include "dmarc.h"
#include "dns.h"
#include "feedback.h"
#include "status.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Storing ----------------------------------------------------------- */

struct vouch_owner_writer; /* opaque: prepared statements on one store */

/*
 * vouch_owner_writer_new - get ready to store reports in s.
 * In:  s, an open store (not NULL), used by the writer until it is freed
 *      (not closed by it); out not NULL.
 * Out: *out, owned by the caller (vouch_owner_writer_free).
 * Errors: VOUCH_ENOTFOUND (the store lacks the owner tables, migration
 *         100: run vouch store init or migrate), VOUCH_EIO (a statement
 *         could not be prepared; vouch_store_errmsg says why),
 *         VOUCH_EINVAL, VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_owner_writer_new(
    struct vouch_store *s, struct vouch_owner_writer **out);

/* vouch_owner_writer_free - release the statements, rolling back a batch
 * not flushed; NULL is a no-op. */
VOUCH_API void vouch_owner_writer_free(struct vouch_owner_writer *w);

/* What became of a report handed to vouch_owner_store. */
enum vouch_owner_stored {
	VOUCH_OWNER_NEW = 0, /* stored now */
	VOUCH_OWNER_DUPLICATE /* the same report was stored before */
};

/*
 * vouch_owner_writer_batch - how many new reports one transaction holds
 * (n >= 1; 0 is taken as 1).  The default, 1, commits each report before
 * vouch_owner_store returns (what an IMAP source needs before it flags a
 * message).  A larger batch writes each index page once per batch
 * instead of once per report, several times faster on SQLite; reports
 * then survive a crash only once their batch is committed: when n are
 * pending, or at vouch_owner_flush.  No error; w may be NULL (no-op).
 */
VOUCH_API void vouch_owner_writer_batch(
    struct vouch_owner_writer *w, unsigned n);

/*
 * vouch_owner_flush - commit the reports pending in the batch.
 * Errors: VOUCH_EIO (the commit failed: the batch is lost; the store
 *         stays as it was before it), VOUCH_EINVAL (w NULL).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_owner_flush(
    struct vouch_owner_writer *w);

/*
 * vouch_owner_store - keep one report: the report and each of its
 * records per UTC day (vouch_feedback_split), or nothing (a savepoint
 * makes each report whole inside a batch).  A
 * report with the same org_name, email, policy domain and report_id as
 * one stored before is a duplicate and changes nothing (RFC 9990 §3.5.1:
 * report_id is unique among the reports to one domain), so reading the
 * same mailbox twice counts nothing twice.
 * In:  w; fb, a report from vouch_feedback_parse (not kept); source, a
 *      NUL-terminated text saying where it was read (kept in the store).
 * Out: *how (not NULL).  With a batch of 1 (the default), when VOUCH_OK
 *      is returned the transaction has committed: the report survives a
 *      crash from then on; with a larger batch, once the batch commits.
 * Errors: VOUCH_EIO (the store failed; nothing of the report, nor of its
 *         batch, is kept; vouch_store_errmsg says why), VOUCH_ELIMIT (a
 *         text over the store's caps: this report is not kept, the batch
 *         goes on), VOUCH_EINVAL, VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_owner_store(
    struct vouch_owner_writer *w, const struct vouch_feedback *fb,
    const char *source, enum vouch_owner_stored *how);

/* ---- Reading back ------------------------------------------------------ */

/*
 * One stored row: a record of a report, for one UTC day.  `record` holds
 * the record's fields as feedback.h describes them, with count being the
 * day's share; the report's own fields come beside it.  Every text is
 * NUL-terminated, valid during the callback only.
 */
struct vouch_owner_row {
	const char *org_name, *email, *report_id, *policy_domain;
	int64_t begin, end; /* the report's date_range */
	const char *p, *sp, *np, *adkim, *aspf, *testing, *discovery_method;
	int pct; /* -1 when absent */
	int64_t day; /* 00:00 UTC of the day, UNIX seconds */
	struct vouch_feedback_record record;
};

/* Which rows: of one policy domain (NULL: all), days in [since, until). */
struct vouch_owner_query {
	const char *domain;
	int64_t since; /* 0: from the first */
	int64_t until; /* 0: to the last */
};

typedef enum vouch_status (*vouch_owner_row_fn)(
    void *arg, const struct vouch_owner_row *row);

/*
 * vouch_owner_rows - every stored row the query selects, by day then in
 * the order the reports were stored, to fn; a status other than VOUCH_OK
 * from fn stops the walk and is returned.
 * Errors: VOUCH_ENOTFOUND (no owner tables), VOUCH_EIO (a query failed,
 *         or a stored text does not decode), VOUCH_EINVAL, VOUCH_ENOMEM,
 *         or fn's status.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_owner_rows(
    struct vouch_store *s, const struct vouch_owner_query *q,
    vouch_owner_row_fn fn, void *arg);

typedef enum vouch_status (*vouch_owner_domain_fn)(
    void *arg, const char *domain, uint64_t messages);

/*
 * vouch_owner_domains - the distinct policy domains that have stored rows
 * on the days q selects (q->domain is not used), in the order of their
 * stored text (ASCII order for plain domain names), each once to fn: the
 * domain as a NUL-terminated text valid during the call, and the messages
 * its rows count on those days; a status other than VOUCH_OK from fn stops
 * the walk and is returned.  The names are the reports'
 * (policy_published domain, RFC 9990 §3.1.2), not checked: any reporter
 * can send reports about any domain.
 * Errors: VOUCH_ENOTFOUND (no owner tables), VOUCH_EIO (a query failed,
 *         or a stored text does not decode), VOUCH_EINVAL, VOUCH_ENOMEM,
 *         or fn's status.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_owner_domains(
    struct vouch_store *s, const struct vouch_owner_query *q,
    vouch_owner_domain_fn fn, void *arg);

/* ---- Summary ----------------------------------------------------------- */

/*
 * The four buckets, in the order a person acts on them.
 *   NOT_COMPLIANT  something passed -- a DKIM signature or SPF -- but not
 *                  for the author's domain: a sender that looks like
 *                  yours (an ESP, a CRM) not set up for alignment.
 *   UNKNOWN        nothing passed at all: a stranger, or a host of yours
 *                  that signs nothing and is not in SPF.
 *   FORWARDED      aligned DKIM passed where SPF did not pass (fail,
 *                  softfail, neutral, none, an error), or the reporter
 *                  recorded forwarding (override reason forwarded,
 *                  mailing_list, trusted_forwarder, or an ARC result):
 *                  mail that was yours, relayed by someone else.
 *   COMPLIANT      DMARC passed: aligned SPF passed, or aligned DKIM
 *                  passed and SPF passed too (unaligned: an ESP's own
 *                  bounce domain) or gave no result.
 */
enum vouch_owner_bucket {
	VOUCH_OWNER_NOT_COMPLIANT = 0,
	VOUCH_OWNER_UNKNOWN,
	VOUCH_OWNER_FORWARDED,
	VOUCH_OWNER_COMPLIANT
};
#define VOUCH_OWNER_NBUCKETS 4

/*
 * vouch_owner_classify - the bucket of one record, and in words why a
 * record that is not compliant is not ("no DKIM signature", "DKIM
 * d=mailer.example not aligned with example.com", "SPF domain
 * bounces.mailer.example not aligned", ...; "; " between them).
 * In:  r, the record; policy_domain; adkim, aspf ("s" strict, else
 *      relaxed; NULL relaxed); psl, an evaluator in RFC 7489 mode for
 *      Organizational Domains (relaxed alignment, RFC 7489 §3.1); why/
 *      whylen, the caller's buffer ("" for compliant records).
 * The record's own policy_evaluated dkim/spf decide whether DMARC passed
 * (the reporter's verdict is the one that counted); auth_results say which
 * identifier passed, and whether it was aligned with header_from (or the
 * policy domain when header_from is absent).
 * Returns the bucket.  Thread safe if psl is used by one thread.
 */
VOUCH_API enum vouch_owner_bucket vouch_owner_classify(
    const struct vouch_feedback_record *r, const char *policy_domain,
    const char *adkim, const char *aspf, struct vouch_dmarc *psl, char *why,
    size_t whylen);

/* vouch_owner_bucket_str - "not compliant", "unknown", "forwarded",
 * "compliant"; "" out of range.  Static; thread safe. */
VOUCH_API const char *vouch_owner_bucket_str(enum vouch_owner_bucket b);

/* One source (sending IP address) of a summary. */
struct vouch_owner_source {
	char ip[VOUCH_STORE_MAX_IP + 1];
	char ptr[VOUCH_DNS_MAX_NAME + 1]; /* "" none or not looked up */
	char ptr_org[VOUCH_DNS_MAX_NAME + 1]; /* its Organizational Domain */
	enum vouch_owner_bucket bucket; /* where most of its messages fall */
	uint64_t messages;
	uint64_t by_bucket[VOUCH_OWNER_NBUCKETS]; /* messages per bucket */
	uint64_t dmarc_fail; /* messages that failed DMARC */
	const char *const *reporters; /* org_names of the reporters */
	size_t nreporters;
	const char *const *reasons; /* distinct reasons not compliant */
	size_t nreasons;
	const char *const *header_from; /* distinct author domains */
	size_t nheader_from;
};

/* Volume and results of one UTC day. */
struct vouch_owner_day {
	int64_t day;
	uint64_t messages, dmarc_pass, dkim_aligned, spf_aligned;
};

/* One reporting organization. */
struct vouch_owner_reporter {
	const char *org_name;
	uint64_t reports, messages;
};

/*
 * What moving the domain to p=quarantine or p=reject today would do: the
 * messages that failed DMARC from sources not in the forwarded bucket,
 * and those sources (indexes into sources[], most messages first).  The
 * same messages fail under either policy; quarantine delivers them to
 * spam, reject refuses them (RFC 9989 §4.7).
 */
struct vouch_owner_readiness {
	uint64_t messages;
	const size_t *sources;
	size_t nsources;
};

struct vouch_owner_summary {
	char domain[VOUCH_DNS_MAX_NAME + 1];
	int64_t since, until;
	uint64_t reports, messages, dmarc_pass;
	const char *p; /* the policy last reported published; NULL if none */
	uint64_t bucket_messages[VOUCH_OWNER_NBUCKETS];
	uint64_t bucket_sources[VOUCH_OWNER_NBUCKETS];
	/* sources by bucket (in enum order), then most messages first */
	const struct vouch_owner_source *sources;
	size_t nsources;
	const struct vouch_owner_day *days; /* in order */
	size_t ndays;
	const struct vouch_owner_reporter *reporters; /* most messages first */
	size_t nreporters;
	struct vouch_owner_readiness quarantine, reject;
	unsigned long ptr_lookups; /* DNS questions asked (cache misses) */
};

/* How a summary is made. */
struct vouch_owner_summary_opts {
	const char *domain; /* the policy domain (not NULL) */
	int64_t since, until; /* as vouch_owner_query */
	/* PTR names: NULL = not looked up.  Answers are kept in the store
	 * (table source_ptr) for their TTL, at least an hour and at most a
	 * day, and asked again after */
	struct vouch_dns *dns;
	unsigned concurrency; /* lookups at once; 0 = 8 */
	int64_t now; /* the clock for the PTR cache; 0 = time(NULL) */
	/* progress of the PTR lookups (NULL = none): how many of the names
	 * not in the cache are answered, of total; called once with done 0
	 * before the first question and after each answer, from the lookup
	 * threads but never two calls at once */
	void (*ptr_progress)(void *arg, size_t done, size_t total);
	void *ptr_progress_arg;
};

/*
 * vouch_owner_summarize - the summary of a policy domain's stored rows.
 * In:  s, the store; opts (not NULL); psl, an evaluator in RFC 7489 mode
 *      (Organizational Domains); out not NULL.
 * Out: *out, owned by the caller (vouch_owner_summary_free).
 * Errors: those of vouch_owner_rows; VOUCH_EINVAL; VOUCH_ENOMEM.  DNS
 *         failures are not errors: the PTR name stays "".
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_owner_summarize(
    struct vouch_store *s, const struct vouch_owner_summary_opts *opts,
    struct vouch_dmarc *psl, struct vouch_owner_summary **out);

/* vouch_owner_summary_free - release a summary; NULL is a no-op. */
VOUCH_API void vouch_owner_summary_free(struct vouch_owner_summary *sum);

#ifdef __cplusplus
}
#endif
#endif
