/*
 * vouch: Sender Policy Framework, RFC 7208.
 *
 * check_host() of RFC 7208 §4-§7 for the MAIL FROM and HELO identities,
 * with explanations (§6.2), the processing limits of §4.6.4, the
 * Received-SPF field (§9.1) and the spf= result of Authentication-Results
 * (RFC 8601 §2.7.2).
 *
 * A verdict (pass, fail, permerror, ...) is data in struct vouch_spf_result,
 * returned with VOUCH_OK; the call's status only says whether the check
 * could be made at all (memory, arguments).
 *
 * A handle (struct vouch_spf) holds the configuration, the reusable
 * evaluation contexts, a cache of DNS answers (each kept for its DNS TTL,
 * with its parsed SPF record) and a cache of results (RFC 7208 §7.3),
 * both shared by every evaluation made through the handle.  One handle may
 * serve several threads: the caches are locked, and each call takes its
 * own evaluation context from the handle's pool.
 */
#ifndef VOUCH_SPF_H
#define VOUCH_SPF_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dns.h"
#include "limits.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The results of RFC 7208 §2.6, in the words of §9.1. */
enum vouch_spf_verdict {
	VOUCH_SPF_NONE = 0, /* no record, or no valid domain (§2.6.1) */
	VOUCH_SPF_NEUTRAL, /* "?" or no match (§2.6.2) */
	VOUCH_SPF_PASS, /* §2.6.3 */
	VOUCH_SPF_FAIL, /* §2.6.4 */
	VOUCH_SPF_SOFTFAIL, /* §2.6.5 */
	VOUCH_SPF_TEMPERROR, /* a transient DNS error (§2.6.6) */
	VOUCH_SPF_PERMERROR /* a record that cannot be interpreted (§2.6.7) */
};

/* The identity checked (RFC 7208 §2.3, §2.4). */
enum vouch_spf_identity {
	VOUCH_SPF_MAILFROM = 0, /* MAIL FROM, or postmaster@HELO if null */
	VOUCH_SPF_HELO /* the HELO/EHLO name */
};

/*
 * One question: who connected, and what they said.  Every text is
 * (pointer, length), need not be NUL-terminated, and is only read during
 * the call.
 *   ip          the SMTP client address, text ("192.0.2.1", "2001:db8::1");
 *               an IPv4-mapped IPv6 address is treated as IPv4 (§5).
 *   mail_from   the MAIL FROM address without angle brackets; length 0 is
 *               the null reverse-path, for which the identity checked is
 *               postmaster@helo (§2.4).
 *   helo        the HELO/EHLO name (may be empty when unknown).
 *   receiver    the checking host's name for %{r} and Received-SPF; NULL
 *               = "unknown" (§7.3).
 *   identity    which identity to check.
 *   now         seconds since the Epoch for %{t}; 0 = time(NULL).
 */
struct vouch_spf_request {
	const char *ip;
	size_t ip_len;
	const char *mail_from;
	size_t mail_from_len;
	const char *helo;
	size_t helo_len;
	const char *receiver;
	size_t receiver_len;
	enum vouch_spf_identity identity;
	time_t now;
};

/*
 * The verdict and what later steps (DMARC, Received-SPF, reports) need.
 * Every text is NUL-terminated and lives inside the struct (no ownership,
 * nothing to free); a text longer than its array is cut and ends in "...".
 *   verdict       the result of check_host() (§2.6).
 *   identity      the identity checked.
 *   sender        the <sender> used: the MAIL FROM address, postmaster@
 *                 the domain when it had no local-part (§4.3), or
 *                 postmaster@HELO (§2.4).
 *   domain        the <domain> checked first (the sender's domain), without
 *                 a final dot; DMARC aligns on it.
 *   mechanism     the mechanism that decided, as written in the record
 *                 ("ip4:192.0.2.0/24", "include:_spf.example.com"), or
 *                 "default" when none matched (§9.1); empty for none,
 *                 temperror and permerror decided before any term.
 *   explanation   for fail only: the expanded exp= text, or else the
 *                 expanded default explanation (§6.2); empty otherwise.
 *   reason        a short English text saying why (the problem= of
 *                 §9.1 for the errors).
 *   dns_lookups   DNS-querying terms evaluated (include, a, mx, ptr,
 *                 exists, redirect), the count limited to 10 (§4.6.4).
 *   void_lookups  terms whose lookup found NXDOMAIN or no records (§4.6.4).
 *   dns_queries   DNS questions asked in total (MX and PTR targets, exp=,
 *                 cached answers included).
 */
struct vouch_spf_result {
	enum vouch_spf_verdict verdict;
	enum vouch_spf_identity identity;
	char sender[VOUCH_SPF_MAX_TEXT + 1];
	char domain[VOUCH_DNS_MAX_NAME + 1];
	char mechanism[VOUCH_SPF_MAX_TEXT + 1];
	char explanation[VOUCH_SPF_MAX_EXPLANATION + 1];
	char reason[VOUCH_SPF_MAX_TEXT + 1];
	unsigned dns_lookups;
	unsigned void_lookups;
	unsigned dns_queries;
};

struct vouch_spf; /* opaque handle */

/* The default explanation of a new handle (an explain-string, §6.2). */
#define VOUCH_SPF_DEFAULT_EXPLANATION \
	"%{i} is not one of %{d}'s designated mail servers."

/*
 * vouch_spf_trace_fn - receives one line of trace text (NUL-terminated, no
 * line end) for each record fetched, term evaluated, DNS query, limit count
 * and the point where evaluation stopped.  The lines of a record fetched by
 * include: or redirect= are indented two spaces per level of nesting.
 * `arg` is the caller's pointer.
 */
typedef void (*vouch_spf_trace_fn)(void *arg, const char *line);

/*
 * vouch_spf_new - a handle evaluating SPF through the resolver `dns`.
 * In:  dns, a resolver kept (not owned) by the handle; it must outlive
 *      the handle.
 * Out: *out, a new handle owned by the caller (vouch_spf_free), with the
 *      default explanation VOUCH_SPF_DEFAULT_EXPLANATION and both caches
 *      on (see vouch_spf_set_cache).
 * Errors: VOUCH_EINVAL (dns NULL), VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_spf_new(
    struct vouch_dns *dns, struct vouch_spf **out);

/*
 * vouch_spf_free - release a handle, its caches and its copy of the default
 * explanation; the resolver given to vouch_spf_new stays the caller's.
 * NULL is a no-op.  Not to be called during an evaluation.  No error.
 */
VOUCH_API void vouch_spf_free(struct vouch_spf *spf);

/*
 * vouch_spf_set_default_explanation - the explanation given for fail when
 * the record has no usable exp= (RFC 7208 §6.2).
 * In:  spf, the handle; text/len, an explain-string of len bytes, not
 *      NUL-terminated: macros are expanded at each fail (c, r, t allowed).
 *      Must be 7-bit text of valid macro syntax.  The handle keeps its own
 *      copy; NULL with len 0 is the empty explanation.
 * Errors: VOUCH_EINVAL (spf NULL, or text NULL with len > 0),
 *         VOUCH_ESYNTAX (bad macro or byte), VOUCH_ELIMIT (longer than
 *         VOUCH_SPF_MAX_EXPLANATION), VOUCH_ENOMEM.
 * Not to be called while another thread evaluates through the handle.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_spf_set_default_explanation(
    struct vouch_spf *spf, const char *text, size_t len);

/*
 * vouch_spf_set_trace - send trace lines of every later evaluation through
 * spf (not NULL) to fn (NULL turns tracing off).  With several threads, fn is
 * called from each and their lines interleave.  A result taken from the result
 * cache traces one line saying so.  `arg` is passed to fn untouched and stays
 * the caller's; each line is valid only during the call to fn.  Not to be
 * called during an evaluation.  No error.  The lines follow the steps of
 * check_host() (RFC 7208 §4.6, §5, §6).
 */
VOUCH_API void vouch_spf_set_trace(
    struct vouch_spf *spf, vouch_spf_trace_fn fn, void *arg);

/* Caches of a handle, for vouch_spf_set_cache (both on by default). */
#define VOUCH_SPF_CACHE_DNS 1 /* DNS answers, each for its TTL */
#define VOUCH_SPF_CACHE_RESULTS 2 /* results, for the shortest TTL used */

/*
 * vouch_spf_set_cache - choose the caches of spf (not NULL), flags being
 * VOUCH_SPF_CACHE_* bits: VOUCH_SPF_CACHE_DNS keeps each
 * DNS answer for its TTL; VOUCH_SPF_CACHE_RESULTS keeps a whole result
 * keyed by (client address, domain) when the evaluation expanded none of
 * the macros "s", "l", "o", "h", "r", "t" (RFC 7208 §7.3), for the
 * shortest TTL of the answers it used.  0 turns both off (every check
 * asks the resolver).  Turning the result cache off empties it.  Not to
 * be called while another thread evaluates through the handle.  Other
 * bits of flags are ignored.  No error.
 */
VOUCH_API void vouch_spf_set_cache(struct vouch_spf *spf, unsigned flags);

/*
 * vouch_spf_check - run check_host() for one identity (RFC 7208 §4).
 * In:  req, the session facts (see struct vouch_spf_request).
 *      spf, req and res must not be NULL; req's strings are read only
 *      during the call.
 * Out: *res, the caller's, filled completely (verdict, domain, mechanism,
 *      counts ...); it holds no pointer to free.
 * Every DNS and record outcome is a verdict: an invalid or single-label
 * domain is "none" (§4.3), a DNS timeout or SERVFAIL "temperror" (§4.4,
 * §5), a syntax error anywhere in a record "permerror" (§4.6), more than
 * 10 DNS-querying terms or 2 void lookups "permerror" (§4.6.4).
 * Errors: VOUCH_EINVAL (NULL arguments, or `ip` not an IP address),
 *         VOUCH_ENOMEM.
 * Thread safe for different `res` on one handle.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_spf_check(
    struct vouch_spf *spf, const struct vouch_spf_request *req,
    struct vouch_spf_result *res);

/*
 * vouch_spf_verdict_str - "none", "neutral", "pass", "fail", "softfail",
 * "temperror", "permerror" (RFC 7208 §2.6, §9.1 words), "unknown" for
 * any other value; a static NUL-terminated string, never NULL.  No error;
 * thread safe.
 */
VOUCH_API const char *vouch_spf_verdict_str(enum vouch_spf_verdict v);

/*
 * vouch_spf_received - the Received-SPF header field of RFC 7208 §9.1 for a
 * result: "Received-SPF: RESULT (COMMENT) receiver=...; client-ip=...;
 * envelope-from=...; helo=...; identity=...; mechanism=...; [problem=...]"
 * on one line (no folding, no line end).  Untrusted bytes (sender, HELO)
 * are quoted, and control or 8-bit bytes replaced by '?' (§9.1: no invalid
 * characters, no malicious data).
 * In:  req and res, the request and its result from vouch_spf_check,
 *      read only during the call.
 * Out: out/cap, the caller's buffer of cap bytes; the text is
 *      NUL-terminated and its length in bytes (without the NUL) stored in
 *      *len (len may be NULL).
 * Errors: VOUCH_EINVAL (req, res or out NULL), VOUCH_ELIMIT (cap too
 *         small, 0 too; out then holds "" when cap > 0), VOUCH_ENOMEM (out
 *         then holds "").
 * Thread safe.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_spf_received(
    const struct vouch_spf_request *req, const struct vouch_spf_result *res,
    char *out, size_t cap, size_t *len);

/*
 * vouch_spf_resinfo - the resinfo of an Authentication-Results field for
 * this result (RFC 8601 §2.7.2, RFC 7208 §9.2): "spf=pass
 * smtp.mailfrom=example.net" or "spf=none smtp.helo=mail.example.org",
 * with reason= carrying the reason for temperror and permerror.
 * In:  res, a result of vouch_spf_check, read only during the call.
 * Out: out/cap/len as for vouch_spf_received.
 * Errors: VOUCH_EINVAL (res or out NULL), VOUCH_ELIMIT (cap too small, 0
 *         too; out then holds "" when cap > 0), VOUCH_ENOMEM (out then
 *         holds "").
 * Thread safe.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_spf_resinfo(
    const struct vouch_spf_result *res, char *out, size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
