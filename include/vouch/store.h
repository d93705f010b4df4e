/*
 * vouch: the store of DMARC reporting data (RFC 9990), both ends.
 *
 * One logical schema, created and migrated by vouch, on two back ends
 * behind one interface: SQLite (one file in WAL mode, the default for a
 * single mail host) and PostgreSQL through libpq (several mail hosts
 * writing to one store; the evaluations are partitioned by month).
 *
 * The receiver side records every DMARC evaluation that is to be reported
 * (struct vouch_store_evaluation), through a batched recorder
 * (vouch_recorder_*) that commits every N rows or T milliseconds, on a
 * background thread or on the caller's, so that recording does not slow
 * the mail path; a crash (kill -9) loses at most the batch not yet
 * committed and never leaves the store inconsistent.  Aggregate reports
 * are built from the recorded evaluations and sent from the store
 * (report.h).  The owner side keeps ingested reports in the same database.
 *
 * The database is named by a URL (vouch_store_url_parse):
 *   PATH, sqlite:PATH, sqlite://PATH   a SQLite file (relative or absolute)
 *   postgresql://..., postgres://...   a libpq connection URI
 * and, when none is given, $VOUCH_DB or VOUCH_STORE_DEFAULT_PATH.
 */
#ifndef VOUCH_STORE_H
#define VOUCH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dkim.h"
#include "dmarc.h"
#include "limits.h"
#include "spf.h"
#include "status.h"
#include "verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The SQLite file used when no URL is given and $VOUCH_DB is not set. */
#define VOUCH_STORE_DEFAULT_PATH "/var/lib/vouch/vouch.db"

/* ---- Opening and migrating --------------------------------------------- */

enum vouch_store_backend { VOUCH_STORE_SQLITE = 1, VOUCH_STORE_POSTGRESQL = 2 };

/*
 * A parsed database URL.  target is what the back end opens: the SQLite
 * file path, or the PostgreSQL URI exactly as given (libpq parses it).
 */
struct vouch_store_url {
	enum vouch_store_backend backend;
	char target[VOUCH_STORE_MAX_URL + 1];
};

/*
 * vouch_store_url_parse - parse a database URL.
 * In:  p/len, the URL, len bytes, not NUL-terminated, untrusted (a
 *      command-line argument or a configuration value); out, the
 *      caller's, not NULL.
 * Accepted: "postgresql://..." and "postgres://..." (scheme without regard
 * to case); "sqlite:PATH" and "sqlite://PATH" ("sqlite:///abs" is /abs);
 * anything without a scheme is a SQLite file path.
 * Out: *out filled (target NUL-terminated).
 * Errors: VOUCH_EINVAL (out NULL, p NULL with len > 0, empty, a NUL or
 *         another control byte, an empty path, or another scheme such
 *         as "mysql:"), VOUCH_ELIMIT (longer than VOUCH_STORE_MAX_URL).
 * Thread safe.  (The URL forms are vouch's; RFC 3986 §3.1 for schemes.)
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_store_url_parse(
    const char *p, size_t len, struct vouch_store_url *out);

/*
 * vouch_store_default_url - the URL used when none is given: $VOUCH_DB
 * when set and not empty, else VOUCH_STORE_DEFAULT_PATH.  Returns a
 * NUL-terminated string owned by the environment or static; never NULL.
 * Not thread safe against setenv(3).
 */
VOUCH_API const char *vouch_store_default_url(void);

struct vouch_store; /* opaque: one connection to a store */

/* Flags of vouch_store_open. */
#define VOUCH_STORE_CREATE 0x1u /* SQLite: create the file if missing */

/*
 * vouch_store_open - connect to a store.
 * In:  url, NUL-terminated (NULL = vouch_store_default_url()), parsed with
 *      vouch_store_url_parse; flags, VOUCH_STORE_*; err/errlen, the
 *      caller's buffer for a NUL-terminated reason (may be NULL/0); a
 *      password in a PostgreSQL URL is never copied into it.
 * SQLite opens in WAL mode with synchronous=NORMAL (a process crash loses
 * no committed transaction), foreign keys on and a busy timeout, so that
 * a recorder and a report generator can use one file at once.
 * The schema is not checked: see vouch_store_migrate and
 * vouch_store_schema.
 * Out: *out, owned by the caller (vouch_store_close); NULL on error.
 * Errors: those of vouch_store_url_parse; VOUCH_ENOTFOUND (a SQLite file
 *         that does not exist, without VOUCH_STORE_CREATE);
 *         VOUCH_EUNSUPPORTED (PostgreSQL in a build without libpq);
 *         VOUCH_EIO (the database cannot be opened or reached);
 *         VOUCH_ENOMEM.
 * Thread safety: a handle is used by one thread at a time; open one per
 * thread.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_store_open(const char *url,
    unsigned flags, struct vouch_store **out, char *err, size_t errlen);

/*
 * vouch_store_close - end the connection, rolling back a transaction left
 * open, and release the handle.  NULL is a no-op.  No error.
 */
VOUCH_API void vouch_store_close(struct vouch_store *s);

/* vouch_store_backend - which back end a handle talks to (not NULL). */
VOUCH_API enum vouch_store_backend vouch_store_backend(
    const struct vouch_store *s);

/*
 * vouch_store_errmsg - the reason for the last failed call on the handle,
 * NUL-terminated, owned by the handle (valid until its next call); "" when
 * none.  s must not be NULL.  No error.
 */
VOUCH_API const char *vouch_store_errmsg(const struct vouch_store *s);

/*
 * The schema's state.  Migrations are numbered SQL scripts built into the
 * library; each is applied once, in ascending order of number, and noted
 * in the store's table schema_migration.
 *   applied   migrations the store has, of those known to this build
 *   known     migrations this build knows
 *   latest    the highest number applied (0: none: an empty store)
 *   unknown   migrations the store has that this build does not know (a
 *             newer vouch migrated it); the schema is then treated as
 *             newer than this build.
 */
struct vouch_store_schema_info {
	unsigned applied;
	unsigned known;
	unsigned latest;
	unsigned unknown;
};

/*
 * vouch_store_schema - read the schema's state into *info (not NULL).
 * Errors: VOUCH_EINVAL (NULL arguments), VOUCH_EIO (the query failed),
 *         VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_store_schema(
    struct vouch_store *s, struct vouch_store_schema_info *info);

/*
 * vouch_store_migrate - apply every migration the store lacks, each in its
 * own transaction, under a lock that lets one process migrate at a time
 * (SQLite: an immediate transaction; PostgreSQL: an advisory lock), so
 * that several hosts starting at once apply each migration once.
 * Out: *napplied (may be NULL), how many were applied now.
 * Errors: VOUCH_EINVAL (s NULL), VOUCH_EIO (a script failed: the store is
 *         left at the last migration that succeeded, the reason in
 *         vouch_store_errmsg), VOUCH_ETEMP (the lock could not be had in
 *         time), VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_store_migrate(
    struct vouch_store *s, unsigned *napplied);

/* ---- What the receiver records ----------------------------------------- */

/*
 * The disposition of RFC 9990 §3.1.1.9 (ActionDispositionType): "pass"
 * means no action because DMARC passed under an enforcing policy.
 */
enum vouch_store_disposition {
	VOUCH_STORE_DISP_NONE = 0,
	VOUCH_STORE_DISP_PASS,
	VOUCH_STORE_DISP_QUARANTINE,
	VOUCH_STORE_DISP_REJECT
};

/*
 * Policy override types: those of RFC 9990 §3.1.6 and the two of RFC 7489
 * Appendix C that RFC 9990 dropped (forwarded, sampled_out; written as
 * "other" with the old word as comment in an RFC 9990 report).
 */
enum vouch_store_override {
	VOUCH_STORE_OVERRIDE_LOCAL_POLICY = 1,
	VOUCH_STORE_OVERRIDE_MAILING_LIST,
	VOUCH_STORE_OVERRIDE_OTHER,
	VOUCH_STORE_OVERRIDE_POLICY_TEST_MODE,
	VOUCH_STORE_OVERRIDE_TRUSTED_FORWARDER,
	VOUCH_STORE_OVERRIDE_FORWARDED,
	VOUCH_STORE_OVERRIDE_SAMPLED_OUT
};

/* One policy override reason (RFC 9990 §3.1.1.14). */
struct vouch_store_reason {
	enum vouch_store_override type;
	char comment[VOUCH_STORE_MAX_COMMENT + 1]; /* "" = none */
};

/* One DKIM result, uninterpreted (RFC 9990 §3.1.1.12). */
struct vouch_store_dkim {
	char domain[VOUCH_DNS_MAX_NAME + 1]; /* d= */
	char selector[VOUCH_DNS_MAX_NAME + 1]; /* s= */
	enum vouch_dkim_verdict result;
	char human_result[VOUCH_STORE_MAX_HUMAN + 1]; /* "" = none */
};

/*
 * The DMARC Policy Record as evaluated (RFC 9990 §3.1.1.5): the record's
 * tags as published (UNSET and 0 for absent tags, so that defaults are
 * applied when the report is written), how it was found, and the report
 * destinations after the external destination check (RFC 9990 §4): the
 * URIs kept, an authorizing record's replacement applied, plus those
 * whose check failed temporarily (checked again at send time).  URIs are
 * comma-separated, "!size" suffixes removed.
 */
struct vouch_store_policy {
	char domain[VOUCH_DNS_MAX_NAME + 1]; /* the DMARC Policy Domain */
	enum vouch_dmarc_mode discovery; /* RFC9989: treewalk, RFC7489: psl */
	enum vouch_dmarc_policy p, sp, np;
	enum vouch_dmarc_alignment adkim, aspf;
	unsigned fo; /* VOUCH_DMARC_FO_*, 0 when fo= is absent */
	bool testing; /* t=y */
	enum vouch_dmarc_psd psd;
	unsigned pct; /* pct= (RFC 7489 §6.3; 100 when absent), 0..100 */
	char rua[VOUCH_STORE_MAX_DEST + 1];
	char ruf[VOUCH_STORE_MAX_DEST + 1];
};

/*
 * One evaluation to report: one message and one author domain.  Texts are
 * NUL-terminated; domains are A-labels in lower case as DMARC found them.
 *   time           UNIX seconds, when the message was evaluated.
 *   source_ip      the connecting address, text (RFC 9990 §3.1.1.8).
 *   header_from    the RFC5322.From domain (author domain).
 *   envelope_from  the RFC5321.MailFrom domain; "" for the null
 *                  reverse-path (RFC 9990 §3.1.1.10); has_envelope_from
 *                  false when unknown.
 *   envelope_to    the domain of the (first) recipient; "" when unknown.
 *   policy         the policy as evaluated.
 *   result         the DMARC result; dkim_aligned / spf_aligned the
 *                  alignment results of RFC 9990 §3.1.1.9.
 *   disposition    what was applied (RFC 9990 §3.1.1.9).
 *   reason         the override reasons, nreasons of them.
 *   spf_checked    SPF was evaluated; spf_domain, spf_helo (the scope was
 *                  the HELO name: postmaster@HELO for a null MAIL FROM,
 *                  RFC 7208 §2.4) and spf_result then hold the result.
 *   dkim           every DKIM signature that was checked, ndkim of them,
 *                  in the order of RFC 9990 §3.1.3 (aligned passes
 *                  first).
 */
struct vouch_store_evaluation {
	int64_t time;
	char source_ip[VOUCH_STORE_MAX_IP + 1];
	char header_from[VOUCH_DNS_MAX_NAME + 1];
	bool has_envelope_from;
	char envelope_from[VOUCH_DNS_MAX_NAME + 1];
	char envelope_to[VOUCH_DNS_MAX_NAME + 1];
	struct vouch_store_policy policy;
	enum vouch_dmarc_verdict result;
	bool dkim_aligned;
	bool spf_aligned;
	enum vouch_store_disposition disposition;
	size_t nreasons;
	struct vouch_store_reason reason[VOUCH_STORE_MAX_REASONS];
	bool spf_checked;
	bool spf_helo;
	char spf_domain[VOUCH_DNS_MAX_NAME + 1];
	enum vouch_spf_verdict spf_result;
	size_t ndkim;
	struct vouch_store_dkim dkim[VOUCH_DKIM_MAX_SIGNATURES];
};

/*
 * What the SMTP session adds to a verify result for recording.  Texts are
 * (pointer, length), need not be NUL-terminated, and are read during the
 * call only.
 *   smtp       the session facts given to vouch_verify_msg_new: the
 *              client address and MAIL FROM are recorded (the domain of
 *              MAIL FROM; the null reverse-path is recorded as such).
 *   rcpt_to    the first recipient's address (or a bare domain); length
 *              0 = unknown.
 *   mode       the DMARC mode the verify handle used (its options'
 *              dmarc.mode): the discovery method reported.
 *   time       UNIX seconds of the evaluation; 0 = smtp.now, or the clock.
 */
struct vouch_store_envelope {
	const struct vouch_verify_smtp *smtp;
	const char *rcpt_to;
	size_t rcpt_to_len;
	enum vouch_dmarc_mode mode;
	int64_t time;
};

/*
 * vouch_store_evaluations_from_verify - what is to be reported of one
 * verdict: one evaluation per author domain that has a DMARC Policy Record
 * with at least one report destination (rua or ruf) left after the
 * external destination check (RFC 9990 §4), or a check that failed
 * temporarily.  Nothing when DMARC found no record (result none).
 * In:  res, the verdict (not kept); env, the session facts (not NULL,
 *      env->smtp not NULL); out, the caller's array of cap entries.
 * Out: out[0..*n-1] filled; *n (not NULL).  The dispositions and reasons
 *      follow RFC 9990 §3.1.1.9 and §3.1.6: pass under an enforcing
 *      policy, policy_test_mode when t=y lowered the disposition, the
 *      verify result's override (with its comment) otherwise.  DKIM
 *      results are those of the signatures checked (not those beyond
 *      the verifier's limit), ordered by the preference of RFC 9990
 *      §3.1.3.  Texts too long for their field are cut (a URI that does
 *      not fit is dropped whole).
 * Errors: VOUCH_EINVAL (NULL arguments, or an smtp text NULL with a
 *         length), VOUCH_ELIMIT (more evaluations than cap; the first cap
 *         are filled).
 * Thread safe.  RFC 9990 §3.1, §4; RFC 9989 §4.7 (tags).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status
vouch_store_evaluations_from_verify(const struct vouch_verify_result *res,
    const struct vouch_store_envelope *env, struct vouch_store_evaluation *out,
    size_t cap, size_t *n);

/* ---- The recorder ------------------------------------------------------ */

/*
 * Options of a recorder; vouch_recorder_options_init sets the defaults.
 *   batch_rows   commit when this many evaluations wait (default 256).
 *   batch_ms     commit when the oldest waiting evaluation is this old,
 *                milliseconds (default 1000).  A crash loses at most what
 *                waits: batch_rows evaluations or batch_ms of them.
 *   queue_rows   evaluations that may wait at most (default 65536); when
 *                the store is slower than the mail, more are dropped and
 *                counted (vouch_recorder_stats) rather than slowing the
 *                caller.  At least batch_rows.
 *   thread       commit on a background thread (the default), so that
 *                vouch_recorder_add never waits for the database; false:
 *                commit on the caller's thread inside vouch_recorder_add
 *                when a batch is due (a command recording one message).
 */
struct vouch_recorder_options {
	unsigned batch_rows;
	unsigned batch_ms;
	unsigned queue_rows;
	bool thread;
};

/* vouch_recorder_options_init - the defaults into *o (not NULL). */
VOUCH_API void vouch_recorder_options_init(struct vouch_recorder_options *o);

struct vouch_recorder; /* opaque */

/*
 * vouch_recorder_new - a recorder writing to the store at url.
 * In:  url, NUL-terminated (NULL = the default URL); opts (NULL =
 *      defaults), copied; err/errlen for a reason (may be NULL/0).
 * The recorder opens its own connection (owned by its thread) and checks
 * that the store's schema has the receiver tables (vouch store migrate).
 * Out: *out, owned by the caller (vouch_recorder_free).
 * Errors: those of vouch_store_open; VOUCH_ENOTFOUND (the schema lacks
 *         the receiver tables: run vouch store init / migrate);
 *         VOUCH_EINVAL (batch_rows 0, or queue_rows < batch_rows);
 *         VOUCH_ENOMEM; VOUCH_EIO (the thread could not start).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_recorder_new(
    const char *url, const struct vouch_recorder_options *opts,
    struct vouch_recorder **out, char *err, size_t errlen);

/*
 * vouch_recorder_add - queue one evaluation.
 * In:  ev, checked and copied (not kept): texts must be printable ASCII
 *      (domains, IP address, URIs; d= and s= and comments of hostile
 *      mail are escaped, never refused); ev->policy.domain and
 *      ev->header_from must be domain names and ev->source_ip an IPv4 or
 *      IPv6 address.
 * With a thread this never waits for the database; without, it commits a
 * batch that is due (batch_rows waiting, or the oldest batch_ms old).
 * Errors: VOUCH_EINVAL (r or ev NULL, or ev does not pass the checks
 *         above: nothing is queued), VOUCH_ELIMIT (the queue is full: the
 *         evaluation is dropped and counted), VOUCH_EIO (no thread: the
 *         commit failed; the batch is kept and tried again at the next
 *         call), VOUCH_ENOMEM.
 * Thread safe: several threads may add to one recorder.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_recorder_add(
    struct vouch_recorder *r, const struct vouch_store_evaluation *ev);

/*
 * vouch_recorder_add_verify - vouch_store_evaluations_from_verify, then
 * vouch_recorder_add for each evaluation; *n (may be NULL) says how many
 * were queued (0 when nothing is to be reported).
 * Errors: those of the two.  Thread safe.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_recorder_add_verify(
    struct vouch_recorder *r, const struct vouch_verify_result *res,
    const struct vouch_store_envelope *env, size_t *n);

/*
 * vouch_recorder_flush - commit everything queued now and wait for it.
 * Errors: VOUCH_EINVAL (r NULL), VOUCH_EIO (a commit failed: what failed
 *         stays queued), VOUCH_ENOMEM.  Thread safe.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_recorder_flush(
    struct vouch_recorder *r);

/* Counters of a recorder since it was made. */
struct vouch_recorder_stats {
	uint64_t queued; /* evaluations accepted by _add */
	uint64_t committed; /* evaluations in committed transactions */
	uint64_t dropped; /* refused because the queue was full */
	uint64_t batches; /* transactions committed */
	uint64_t failures; /* commits that failed (retried) */
	char last_error[256]; /* the last failure's reason, "" if none */
};

/* vouch_recorder_stats - a consistent copy of the counters into *st. */
VOUCH_API void vouch_recorder_stats(
    struct vouch_recorder *r, struct vouch_recorder_stats *st);

/*
 * vouch_recorder_free - commit what is queued (one last try), stop the
 * thread, close the connection and release the recorder.  What cannot be
 * committed is lost and counted as dropped.  NULL is a no-op.  Not while
 * another thread still adds.
 */
VOUCH_API void vouch_recorder_free(struct vouch_recorder *r);

/*
 * Words of the store and the reports (RFC 9990 §3.1): "none", "pass",
 * "quarantine", "reject"; "local_policy", "policy_test_mode", ...  Static,
 * NUL-terminated, never NULL ("" for a value out of range).  Thread safe.
 */
VOUCH_API const char *vouch_store_disposition_str(
    enum vouch_store_disposition d);
VOUCH_API const char *vouch_store_override_str(enum vouch_store_override o);

#ifdef __cplusplus
}
#endif
#endif
