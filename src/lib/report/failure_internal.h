/*
 * DMARC failure reports, internals: redaction (RFC 6590), the
 * per-destination rate limiter, report addresses and the ARF writer
 * (RFC 5965, RFC 6591, RFC 9991).  Private to src/lib/report.
 */
#ifndef VOUCH_REPORT_FAILURE_INTERNAL_H
#define VOUCH_REPORT_FAILURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/buf.h"
#include "vouch/report_failure.h"

/* ---- Redaction (failure_redact.c) ----------------------------------- */

/* Characters of a local-part replacement made by the HMAC method. */
#define FAILURE_HASH_CHARS 16

struct failure_redactor {
	enum vouch_failure_redact mode;
	const char *token; /* REDACT_TOKEN: a dot-atom */
	size_t token_len;
	const uint8_t *key; /* REDACT_HASH: the secret */
	size_t key_len;
};

/* Flags of failure_redact_text. */
#define FAILURE_REDACT_TAGS 0x1u /* "keyword=" before a local-part is kept */

/*
 * failure_redact_local - append to `out` the replacement of the
 * local-part lp/n (REDACT_HASH: FAILURE_HASH_CHARS characters of
 * base64url of HMAC-SHA-256(key, local-part); REDACT_TOKEN: the token;
 * REDACT_NONE: lp itself).  Errors: VOUCH_ECRYPTO (HMAC failed), those of
 * vbuf_add.
 */
enum vouch_status failure_redact_local(const struct failure_redactor *r,
    const uint8_t *lp, size_t n, struct vbuf *out);

/*
 * failure_redact_addr - append an address "local@domain" (a/n, the last
 * '@' separating them; no '@': all local-part) with its local-part
 * replaced; "@domain" and the domain are kept as they are.
 */
enum vouch_status failure_redact_addr(const struct failure_redactor *r,
    const uint8_t *a, size_t n, struct vbuf *out);

/*
 * failure_redact_text - append p/len (one line or one value: no line
 * ends are interpreted) with the local-part of every address in it
 * replaced.  An address is found at each '@' followed by a letter, digit,
 * '[' or 8-bit byte: its local-part is the quoted-string just before the
 * '@' (at most VOUCH_FAILURE_MAX_ADDR bytes back), or else the run of
 * atext and '.' before it.  With FAILURE_REDACT_TAGS, a run that begins
 * with "keyword=" (a tag or property name: letters, digits, '.', '-',
 * '_'), at the start of p or after a space, tab, ';' or '(', keeps that
 * prefix: "smtp.mailfrom=user@example.com" keeps "smtp.mailfrom=".
 * REDACT_NONE copies p unchanged.
 */
enum vouch_status failure_redact_text(const struct failure_redactor *r,
    const uint8_t *p, size_t len, unsigned flags, struct vbuf *out);

/*
 * failure_redact_header - append the header section hdr/len (up to its
 * first empty line, which is not copied), line ends made CRLF, each
 * field's local-parts replaced: fields holding message identifiers
 * (Message-ID, In-Reply-To, References, Resent-Message-ID, Content-ID)
 * are copied unchanged, fields whose values are tag or property lists
 * (Authentication-Results, ARC-Authentication-Results, DKIM-Signature,
 * ARC-Message-Signature, ARC-Seal, Received-SPF) use
 * FAILURE_REDACT_TAGS.  A header that does not end in a line end gets
 * one.
 */
enum vouch_status failure_redact_header(const struct failure_redactor *r,
    const uint8_t *hdr, size_t len, struct vbuf *out);

/*
 * failure_redact_body - append the body p/len, line ends made CRLF, with
 * failure_redact_text applied line by line (no tags).
 */
enum vouch_status failure_redact_body(const struct failure_redactor *r,
    const uint8_t *p, size_t len, struct vbuf *out);

/*
 * failure_defang - in place over p/len: "http:" and "https:" (any case)
 * become "hxxp:" and "hxxps:" (RFC 9991 §7.3), the length unchanged.
 */
void failure_defang(uint8_t *p, size_t len);

/* ---- Addresses (failure_addr.c) ------------------------------------- */

/*
 * failure_addr_ok - is a/n a plain addr-spec fit for a header field and
 * an SMTP envelope: a dot-atom or quoted-string local-part of 1..64
 * bytes, "@", a domain of LDH labels (RFC 5321 §4.1.2 Domain), 7-bit,
 * no control character, at most VOUCH_FAILURE_MAX_ADDR bytes?  1 or 0.
 */
int failure_addr_ok(const char *a, size_t n);

/* failure_dot_atom_ok - is s/n a dot-atom-text (RFC 5322 §3.2.3)? */
int failure_dot_atom_ok(const char *s, size_t n);

/*
 * failure_mailto - the address of a mailto: URI (RFC 6068: "mailto:",
 * the address percent-decoded, up to '?'), when it is one plain
 * addr-spec whose domain is `host` (compared without case).
 * Out: out/cap (>= VOUCH_FAILURE_MAX_ADDR + 1), NUL-terminated.
 * Returns 0, or -1 when the URI is not such a URI.
 */
int failure_mailto(
    const char *uri, size_t n, const char *host, char *out, size_t cap);

/* ---- Rate limiter (failure_rate.c) ----------------------------------- */

struct failure_rate;

/* failure_rate_new - `rate` reports per `period` seconds, both > 0. */
enum vouch_status failure_rate_new(
    unsigned rate, unsigned period, struct failure_rate **out);
void failure_rate_free(struct failure_rate *r);

/*
 * failure_rate_take - one report to `dest` (NUL-terminated, compared
 * without case) at time `now`: 1 when its bucket had a token (taken), 0
 * when not, or when no room is left to track a new destination.  -1
 * when memory ran out.  Locked: thread safe.
 */
int failure_rate_take(struct failure_rate *r, const char *dest, time_t now);

/* The saved state, as vouch_failure_state_save/_load describe it. */
enum vouch_status failure_rate_save(
    struct failure_rate *r, char **text, size_t *len);
enum vouch_status failure_rate_load(
    struct failure_rate *r, const uint8_t *p, size_t len, size_t *nbad);

/* ---- The handle ------------------------------------------------------ */

struct vouch_failure {
	struct vouch_failure_options opts; /* strings point into the copies */
	char *from;
	char *user_agent;
	char *reporting_mta;
	char *redact_token;
	uint8_t *key;
	size_t key_len;
	struct failure_rate *rate;
};

/* ---- The ARF writer (failure_arf.c) ---------------------------------- */

/* One report to write: what it is about. */
struct failure_item {
	unsigned kind; /* VOUCH_FAILURE_* */
	const char *auth_failure; /* dmarc, bodyhash, signature, revoked, spf */
	const struct vouch_dmarc_domain_result *dr;
	/* the DKIM signature reported (DKIM report), or a failed aligned one
	 * (DMARC report); NULL if none; sigi its index in res->dkim->sig */
	const struct vouch_dkim_signature *sig;
	size_t sigi;
	bool spf_dns; /* write SPF-DNS */
};

/* What every report of one message shares. */
struct failure_ctx {
	const struct vouch_failure *f;
	const struct vouch_verify_result *res;
	const struct vouch_verify_smtp *smtp;
	const struct vouch_failure_message *msg;
	struct vouch_dns *dns;
	struct failure_redactor red;
	const uint8_t *hdr; /* the header section, cut at its end */
	size_t hlen;
	time_t now, arrival;
};

/*
 * failure_arf_body - the MIME body of a report (everything after the
 * report's own header: the three parts of RFC 5965 §2) into `out`, and
 * the header fields every copy shares (Subject, MIME-Version,
 * Content-Type with the boundary, Content-Transfer-Encoding) into
 * `common`.  Errors: VOUCH_ELIMIT (over VOUCH_FAILURE_MAX_REPORT),
 * VOUCH_ECRYPTO, VOUCH_ENOMEM.
 */
enum vouch_status failure_arf_body(const struct failure_ctx *c,
    const struct failure_item *it, struct vbuf *common, struct vbuf *out);

/*
 * failure_arf_message - the whole report to `to`: From, To, Date,
 * Message-ID, Auto-Submitted, then `common` and `body`.  Out: *data and *len,
 * malloc'ed, NUL-terminated.  Errors: VOUCH_ELIMIT, VOUCH_ECRYPTO,
 * VOUCH_ENOMEM.
 */
enum vouch_status failure_arf_message(const struct failure_ctx *c,
    const char *to, const struct vbuf *common, const struct vbuf *body,
    char **data, size_t *len);

/* ---- Shared by failure.c and failure_arf.c -------------------------- */

/*
 * failure_dkim_type - the Auth-Failure type of a signature (RFC 6591
 * §3.3): "bodyhash", "signature" (fail verdicts), "revoked" (the key
 * record's p= is empty), or NULL when it has none.
 */
const char *failure_dkim_type(const struct vouch_dkim_signature *s);

/*
 * failure_aligned - does `name` (a d= or SPF domain) align with the
 * author domain of dr in `mode` (RFC 9989 §4.4): equal, or under relaxed
 * alignment, equal to or under the author's Organizational Domain?
 */
int failure_aligned(const struct vouch_dmarc_domain_result *dr,
    const char *name, enum vouch_dmarc_alignment mode);

#endif
