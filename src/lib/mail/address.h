/*
 * RFC 5322 §3.4 address parser for the From: field: finds the domain of
 * every mailbox, as DMARC needs it (RFC 7489 §6.6.1, RFC 9989 §5.3.1), and
 * its local part, as a signer's tables and sender checks need it.
 *
 * The grammar is followed by hand-written recursive descent, one function
 * per ABNF rule, including the obsolete forms of RFC 5322 §4.4 (phrases with
 * dots, routes in angle brackets, empty list elements, CFWS around dots).
 * Display names, comments and quoted strings are skipped, never searched for
 * an address: `"a@evil.example" <b@good.example>` has the one domain
 * good.example.  A field that does not parse is an error, never a guess.
 */
#ifndef VOUCH_MAIL_ADDRESS_H
#define VOUCH_MAIL_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/limits.h"
#include "vouch/status.h"

/* One mailbox of a From field. */
struct mail_mailbox {
	/*
	 * The domain as written, comments and folding white space removed,
	 * atoms joined with ".", not decoded, not lower-cased, not
	 * NUL-terminated.  A domain-literal keeps its brackets.
	 */
	uint8_t domain[VOUCH_ADDR_MAX_DOMAIN];
	size_t domainlen;
	int literal; /* domain-literal, "[192.0.2.1]" */
	/*
	 * The local part as it means (RFC 5322 §3.4.1: a quoted-string and
	 * a dot-atom of the same characters are the same local part):
	 * quotes, quoted-pair backslashes, comments and folding white space
	 * removed, not lower-cased, not NUL-terminated.  `"a.b"@x` and
	 * `a.b@x` both give "a.b".  local_quoted: a quoted-string was used
	 * (the text may then hold spaces or specials).  local_toolong: the
	 * local part is longer than VOUCH_ADDR_MAX_LOCAL and was not kept
	 * (locallen is 0); the field still parses.
	 */
	uint8_t local[VOUCH_ADDR_MAX_LOCAL];
	size_t locallen;
	int local_quoted;
	int local_toolong;
};

/* Every mailbox of a field, in order; groups are flattened. */
struct mail_mailbox_list {
	size_t n;
	struct mail_mailbox mb[VOUCH_FROM_MAX_MAILBOXES];
	unsigned ngroups; /* group constructs seen (RFC 5322 §3.4 group) */
};

/*
 * mail_from_parse - the mailboxes of one raw From header field.
 * In:  p/len, the whole field "From: ..." as received, folded, CRLF or LF
 *      line ends, not NUL-terminated; the name and colon are skipped.
 * Out: *out filled (out->n may be 0 for an empty group).  *why, on error,
 *      a static text saying what did not parse.
 * Errors: VOUCH_ESYNTAX (not a mailbox-list, or a group list, RFC 5322
 *         §3.4/§4.4), VOUCH_ELIMIT (more than VOUCH_FROM_MAX_MAILBOXES
 *         mailboxes, a domain over VOUCH_ADDR_MAX_DOMAIN bytes, comments
 *         nested deeper than VOUCH_ADDR_MAX_COMMENT_DEPTH).
 */
enum vouch_status mail_from_parse(const uint8_t *p, size_t len,
    struct mail_mailbox_list *out, const char **why);

/*
 * mail_mailbox_list_parse - the same, for the field body (after the colon).
 */
enum vouch_status mail_mailbox_list_parse(const uint8_t *p, size_t len,
    struct mail_mailbox_list *out, const char **why);

/* A header field found in a header section: bytes of the whole field. */
struct mail_field_span {
	const uint8_t *p;
	size_t len;
};

/*
 * mail_find_fields - find every field called `name` in a header section.
 * In:  hdr/len, the message (or its header section) as received; scanning
 *      stops at the first empty line.  name/namelen, compared without case.
 * Out: spans[0..*nspans) point into hdr (the field through its last line
 *      end); at most `max` are stored, *nfound counts all (so a caller sees
 *      "several" even past `max`).
 * Errors: VOUCH_ELIMIT (more than VOUCH_MAX_HEADER_FIELDS fields, or the
 *         section is over VOUCH_MAX_HEADER_BYTES).
 */
enum vouch_status mail_find_fields(const uint8_t *hdr, size_t len,
    const char *name, size_t namelen, struct mail_field_span *spans, size_t max,
    size_t *nspans, size_t *nfound);

#endif
