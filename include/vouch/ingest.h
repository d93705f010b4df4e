/*
 * vouch: taking DMARC aggregate reports in, from wherever they arrive.
 *
 * An ingest session reads inputs -- a file (raw XML, .xml.gz, .zip, or a
 * whole report e-mail), a directory, a Maildir, an mbox, a stream, an IMAP
 * mailbox -- finds the reports in them (MIME parts by media type and file
 * name, gzip and zip archives through capped decompression) and hands each
 * report, parsed (feedback.h), to the caller's callback, one at a time:
 * memory stays bounded by one input, whatever the number of inputs.
 * Inputs that hold no report or a broken one are reported through another
 * callback and skipped.  RFC 7489 §7.2.1.1 and RFC 9990 §3.5.2 (how
 * reports are sent), RFC 2045 (MIME), RFC 1952 (gzip).
 */
#ifndef VOUCH_INGEST_H
#define VOUCH_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "feedback.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Where a report or a problem came from, for messages and for the caller's
 * bookkeeping.  `source` is the path, "-" or the IMAP URL given; `item`
 * names the message or file inside it (a Maildir file name, "message N"
 * of an mbox, "UID N" of a mailbox, a zip entry), NULL for the source
 * itself.  Both NUL-terminated, valid during the callback only.
 */
struct vouch_ingest_where {
	const char *source;
	const char *item;
};

/*
 * Called once per report found, in input order.  Return VOUCH_OK when the
 * report has been dealt with (for a store: committed); any other status
 * stops the session, which returns that status (an IMAP message is then
 * not flagged).  fb is valid during the call only.
 */
typedef enum vouch_status (*vouch_ingest_report_fn)(void *arg,
    const struct vouch_feedback *fb, const struct vouch_ingest_where *where);

/* What kind of problem an input had. */
enum vouch_ingest_problem {
	VOUCH_INGEST_REFUSED, /* a broken, hostile or oversized report: why */
	VOUCH_INGEST_NO_REPORT, /* a message without an aggregate report */
	VOUCH_INGEST_FAILURE_REPORT, /* a failure report (RFC 6591), skipped */
	VOUCH_INGEST_IO /* the input could not be read: why */
};

/* Called once per input that gave no report, or per report refused. */
typedef void (*vouch_ingest_problem_fn)(void *arg,
    enum vouch_ingest_problem what, enum vouch_status st, const char *why,
    const struct vouch_ingest_where *where);

/*
 * Where a session stands, for progress bars: inputs (files, messages)
 * and bytes read so far, and how many there are in all when that is known
 * in advance (0 when not: a stream, or bytes of an IMAP mailbox).
 */
struct vouch_ingest_progress {
	uint64_t inputs, inputs_total;
	uint64_t bytes, bytes_total;
};

/* Called after each input. */
typedef void (*vouch_ingest_progress_fn)(
    void *arg, const struct vouch_ingest_progress *p);

/* The callbacks of a session; only `report` is required. */
struct vouch_ingest_callbacks {
	vouch_ingest_report_fn report;
	vouch_ingest_problem_fn problem;
	vouch_ingest_progress_fn progress;
	void *arg;
};

/* Counts of a session so far. */
struct vouch_ingest_stats {
	uint64_t inputs; /* files and messages read */
	uint64_t reports; /* reports handed to the report callback */
	uint64_t refused; /* reports or inputs refused */
	uint64_t no_report; /* messages without an aggregate report */
	uint64_t failure_reports; /* failure reports skipped */
	uint64_t bytes; /* bytes read from the inputs */
};

struct vouch_ingest; /* opaque session */

/*
 * vouch_ingest_new - a session that calls cb.
 * In:  cb, not NULL, with cb->report set; copied.  out, not NULL.
 * Out: *out, owned by the caller (vouch_ingest_free).
 * Errors: VOUCH_EINVAL, VOUCH_ENOMEM.  A session is used by one thread at
 * a time; several sessions may run in parallel.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_ingest_new(
    const struct vouch_ingest_callbacks *cb, struct vouch_ingest **out);

/* vouch_ingest_free - release a session; NULL is a no-op. */
VOUCH_API void vouch_ingest_free(struct vouch_ingest *ing);

/* vouch_ingest_stats - the counts so far (ing not NULL). */
VOUCH_API struct vouch_ingest_stats vouch_ingest_stats(
    const struct vouch_ingest *ing);

/*
 * vouch_ingest_mem - the reports in one input held in memory: raw XML,
 * gzip, zip, or an RFC 5322 message carrying any of these as a MIME part
 * (told apart by their first bytes).
 * In:  p/len, len bytes, not NUL-terminated, at most
 *      VOUCH_REPORT_MAX_INPUT; not kept.  where: for the callbacks
 *      (where->source not NULL).
 * Out: the callbacks are called; the stats count the input.
 * Errors: only what stops the session: the report callback's status, or
 *         VOUCH_ENOMEM.  A refused input is not an error: it goes to the
 *         problem callback and VOUCH_OK is returned.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_ingest_mem(
    struct vouch_ingest *ing, const uint8_t *p, size_t len,
    const struct vouch_ingest_where *where);

/*
 * vouch_ingest_fd - the reports in a stream: an mbox (it starts with a
 * "From " line; messages split at each "From " line after an empty line,
 * ">From " unquoted, RFC 4155), or else one input as for
 * vouch_ingest_mem, read to its end (at most VOUCH_REPORT_MAX_INPUT
 * bytes: more is refused).
 * In:  fd, open for reading, not closed; name, for messages ("-" for
 *      standard input).
 * Errors: as vouch_ingest_mem; a read error goes to the problem callback.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_ingest_fd(
    struct vouch_ingest *ing, int fd, const char *name);

/*
 * vouch_ingest_path - the reports under a path: a regular file (as
 * vouch_ingest_fd), a Maildir (a directory with cur/ and new/: every
 * message in both), or another directory (each regular file in it and,
 * recursively, in its subdirectories, at most 8 deep; names starting with
 * '.' are skipped).  Files are read in name order within a directory.
 * In:  path, NUL-terminated.
 * Errors: as vouch_ingest_mem; a path that cannot be opened goes to the
 *         problem callback (VOUCH_INGEST_IO).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_ingest_path(
    struct vouch_ingest *ing, const char *path);

/* What vouch_ingest_imap does with a message once its reports are in. */
struct vouch_ingest_imap_opts {
	/* the keyword set on a message whose reports were all taken (and
	 * that later runs skip); NULL: "$VouchIngested" */
	const char *flag;
	/* the keyword set on a message that held no usable report, so that
	 * it is not read again; NULL: "$VouchRefused" */
	const char *refused_flag;
	/* if not NULL, a mailbox the message is moved to (RFC 6851 MOVE)
	 * instead of being flagged; refused messages are flagged and stay */
	const char *move_to;
	const char *user, *password; /* NULL: from the URL */
	const char *cafile; /* NULL: the system's CA store */
	unsigned timeout; /* seconds per IMAP command; 0 = 60 */
};

/*
 * vouch_ingest_imap - the reports in an IMAP mailbox, through libcurl.
 * In:  url, "imap://[user[:pass]@]host[:port]/MAILBOX" or imaps://...;
 *      opts, may be NULL for the defaults.
 * The messages of the mailbox without `flag` and `refused_flag` are
 * listed by UID (UID SEARCH, RFC 3501 §6.4.4), fetched one at a time, and
 * read as vouch_ingest_mem does.  A message is flagged (UID STORE) or
 * moved (UID MOVE) only after the report callback returned VOUCH_OK for
 * every report in it, i.e. after the caller's store committed them: a
 * session killed at any point leaves each message either done and
 * flagged, or not flagged and read again next time (which the caller's
 * de-duplication makes harmless).
 * Errors: VOUCH_EIO (the server cannot be reached, logged in to, or the
 *         mailbox selected: the problem callback says why),
 *         VOUCH_EINVAL (a flag or mailbox name that is not safe in an
 *         IMAP command), VOUCH_EUNSUPPORTED (built without libcurl), and
 *         as vouch_ingest_mem.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_ingest_imap(
    struct vouch_ingest *ing, const char *url,
    const struct vouch_ingest_imap_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
