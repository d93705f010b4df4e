/*
 * vouch: the DNS resolver interface.
 *
 * One interface, two back ends: the network through libunbound, and an RFC
 * 1035 master file (for tests and for reproducing a verdict offline).  The
 * protocols (DKIM, SPF, DMARC, ARC) see only this header.
 *
 * The outcome of a query is data (enum vouch_dns_rcode); SPF and DMARC need
 * to tell an answer, NODATA, NXDOMAIN and a temporary failure apart.
 */
#ifndef VOUCH_DNS_H
#define VOUCH_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Record types, RFC 1035 §3.2.2 and RFC 3596. */
enum vouch_dns_type {
	VOUCH_DNS_A = 1,
	VOUCH_DNS_NS = 2,
	VOUCH_DNS_CNAME = 5,
	VOUCH_DNS_PTR = 12,
	VOUCH_DNS_MX = 15,
	VOUCH_DNS_TXT = 16,
	VOUCH_DNS_AAAA = 28,
	VOUCH_DNS_SPF = 99
};

/* What a query found. */
enum vouch_dns_rcode {
	VOUCH_DNS_ANSWER = 0, /* one or more records of the type asked */
	VOUCH_DNS_NODATA, /* the name exists, no record of that type */
	VOUCH_DNS_NXDOMAIN, /* the name does not exist (RCODE 3) */
	VOUCH_DNS_TEMPFAIL, /* timeout or SERVFAIL: try again later */
	VOUCH_DNS_PERMFAIL /* anything else: REFUSED, FORMERR, bad name */
};

/*
 * One resource record of an answer.  `data`/`len` hold the rdata decoded:
 *   A     4 bytes, network order      AAAA  16 bytes, network order
 *   TXT   the character-strings joined with nothing between them
 *         (RFC 6376 §3.6.2.2, RFC 7208 §3.3); may contain any byte, NUL too
 *   MX    the exchange name, text, no final dot; `pref` is the preference
 *   PTR, CNAME, NS   the target name, text, no final dot
 * `data` is NUL-terminated for convenience, but `len` is authoritative.
 */
struct vouch_dns_rr {
	uint16_t type;
	uint16_t pref; /* MX only */
	uint32_t ttl; /* seconds */
	size_t len;
	const uint8_t *data;
	/* TXT only: the number of character-strings the record was made of */
	unsigned nstrings;
};

/*
 * The result of one query.  Owned by the caller, released with
 * vouch_dns_answer_free().  For NODATA and NXDOMAIN `ttl` is the negative
 * caching time (seconds); `reason` is a static text for TEMPFAIL/PERMFAIL
 * ("timeout", "SERVFAIL", ...) and NULL otherwise.
 */
struct vouch_dns_answer {
	enum vouch_dns_rcode rcode;
	const char *reason;
	uint32_t ttl;
	size_t nrr;
	struct vouch_dns_rr *rr;
};

struct vouch_dns; /* opaque resolver handle */

/*
 * vouch_dns_zone_new - a resolver that answers from an RFC 1035 master file
 * (RFC 1035 §5.1 syntax, RFC 3596 §2.4 for AAAA).
 * In:  path, NUL-terminated file name, read whole during the call (at most
 *      VOUCH_ZONE_MAX_BYTES bytes) and not kept.  err/errlen: the caller's
 *      buffer of errlen bytes for a NUL-terminated message naming the file
 *      (and line, for a syntax error); may be NULL/0.  out must not be
 *      NULL.
 * Out: *out, a new handle owned by the caller (vouch_dns_free); NULL on
 *      error.
 * Supports $ORIGIN, $TTL, @, relative and absolute owners, blank owner
 * (previous), optional TTL and class, parentheses, comments, A AAAA MX TXT
 * SPF PTR CNAME NS; TXT with several quoted strings, \" \\ \DDD escapes.
 * Extensions: `$TIMEOUT name.` and `$SERVFAIL name.` make every query for
 * that name whose type has no record fail with TEMPFAIL ("timeout" or
 * "SERVFAIL").  Names absent from the file are NXDOMAIN; a name with records
 * but none of the type asked is NODATA.  Names compare without case.
 * CNAMEs are followed as a recursive resolver does (at most
 * VOUCH_DNS_MAX_CNAME), the answer holding the target's records; a longer
 * chain or a loop is TEMPFAIL "CNAME loop", as a recursive resolver's
 * SERVFAIL would be.  Every ancestor of an owner name exists (an empty
 * non-terminal, RFC 8020): asking it gives NODATA, not NXDOMAIN.  Type SPF
 * (99) records answer only type 99 questions.  `TXT` with nothing after it
 * is a record of zero strings, `TXT ""` one of one empty string.  "MX 0 ."
 * gives an exchange of "" (the root, RFC 7505).  The TTL of NODATA and
 * NXDOMAIN is the SOA's (RFC 2308 §5) if the file has one, else the first
 * $TTL, else 3600; a record without TTL takes $TTL, else the last TTL
 * written.  SOA is read for that only; $INCLUDE and other types are errors.
 * The handle is read-only after loading: queries from several threads are
 * safe.
 * Errors: VOUCH_EINVAL (path NULL), VOUCH_EIO (cannot open or read, or
 *         the file changed while read), VOUCH_ESYNTAX (bad line, see err:
 *         "FILE:LINE: what"), VOUCH_ELIMIT (file over VOUCH_ZONE_MAX_BYTES,
 *         or over another VOUCH_ZONE_MAX_* count), VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dns_zone_new(
    const char *path, struct vouch_dns **out, char *err, size_t errlen);

/*
 * vouch_dns_zone_new_mem - the same, from memory (RFC 1035 §5.1 syntax).
 * In:  name, NUL-terminated text used in error messages ("zone" if NULL);
 *      buf/len, the master-file text, `len` bytes, need not be
 *      NUL-terminated, read during the call and not kept (NULL with len 0
 *      is an empty zone); err/errlen and out as for vouch_dns_zone_new.
 * Out: *out, a new handle owned by the caller (vouch_dns_free); NULL on
 *      error.  Thread safety as for vouch_dns_zone_new.
 * Errors: VOUCH_EINVAL (buf NULL with len > 0), VOUCH_ELIMIT (len over
 *         VOUCH_ZONE_MAX_BYTES, or another VOUCH_ZONE_MAX_* count
 *         exceeded), VOUCH_ESYNTAX (bad line, see err: "NAME:LINE: what"),
 *         VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dns_zone_new_mem(
    const char *name, const uint8_t *buf, size_t len, struct vouch_dns **out,
    char *err, size_t errlen);

/*
 * vouch_dns_unbound_new - a resolver on the network, through libunbound.
 * In:  server, NULL to use /etc/resolv.conf, or a NUL-terminated "ADDR" or
 *      "ADDR@PORT" (IPv4 or IPv6 literal) to forward every query to that
 *      server; not kept.  timeout, seconds per query (0 = 5 s default).
 *      err/errlen: the caller's buffer of errlen bytes for a
 *      NUL-terminated message saying what failed; may be NULL/0.  out must
 *      not be NULL.
 * Out: *out, owned by the caller (vouch_dns_free); NULL on error.  Answers
 *      are cached by libunbound for their TTL.  Queries from several
 *      threads on one handle are safe.
 * A question unanswered after `timeout` seconds is cancelled and gives
 * TEMPFAIL "timeout"; SERVFAIL gives TEMPFAIL "SERVFAIL"; FORMERR, NOTIMP,
 * REFUSED and other rcodes give PERMFAIL with the rcode's name; rdata that
 * does not fit its type is dropped (PERMFAIL "malformed answer" when
 * nothing is left).  libunbound answers from a thread it starts at the
 * first question.
 * Errors: VOUCH_EINVAL (bad server text, or libunbound refused the
 *         configuration), VOUCH_EUNSUPPORTED (built without libunbound),
 *         VOUCH_ENOMEM, VOUCH_EIO (resolv.conf unreadable).
 * RFC 1035 §4.1.1 (the rcodes), RFC 2308 (NODATA, NXDOMAIN, negative TTL).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dns_unbound_new(
    const char *server, unsigned timeout, struct vouch_dns **out, char *err,
    size_t errlen);

/*
 * vouch_dns_query - ask one question.
 * In:  dns, a resolver (not NULL); name/namelen, a domain name in text,
 *      namelen bytes, with or without the final dot, not NUL-terminated,
 *      not kept; type, an enum vouch_dns_type value; out, not NULL.
 * Out: *out, a new answer owned by the caller (vouch_dns_answer_free);
 *      its rcode is the outcome.  A name that is not a valid domain name
 *      (empty label, label over 63, over 253 bytes) gives rcode PERMFAIL.
 * Errors: VOUCH_ENOMEM only; every DNS outcome is data in *out.
 * Thread safe: both back ends take questions from several threads.
 * RFC 1035 §4, RFC 2308 (NODATA/NXDOMAIN).
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_dns_query(
    struct vouch_dns *dns, const char *name, size_t namelen, uint16_t type,
    struct vouch_dns_answer **out);

/*
 * vouch_dns_answer_free - release an answer of vouch_dns_query, its records
 * and their data with it (one block); NULL is a no-op.  No error.
 */
VOUCH_API void vouch_dns_answer_free(struct vouch_dns_answer *ans);

/*
 * vouch_dns_nqueries - questions asked through this handle since it was
 * made (cache hits and invalid names included); for --trace and
 * benchmarks.  In: dns, not NULL, still owned by the caller.  Out: a count.
 * No error; thread safe (an atomic counter).
 */
VOUCH_API unsigned long vouch_dns_nqueries(const struct vouch_dns *dns);

/*
 * vouch_dns_free - release a resolver made by vouch_dns_zone_new,
 * vouch_dns_zone_new_mem or vouch_dns_unbound_new; NULL is a no-op.  Answers
 * already returned stay valid (each is the caller's).  Not to be called
 * while another thread queries through the handle.  No error.
 */
VOUCH_API void vouch_dns_free(struct vouch_dns *dns);

/*
 * vouch_dns_rcode_str - "answer", "nodata", "nxdomain", "tempfail",
 * "permfail" for an outcome (RFC 2308 §1 words), "unknown" for any other
 * value; a static NUL-terminated string, never NULL.  No error; thread
 * safe.
 */
VOUCH_API const char *vouch_dns_rcode_str(enum vouch_dns_rcode rc);

#ifdef __cplusplus
}
#endif
#endif
