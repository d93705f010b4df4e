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

/*
 * Every mailbox of a field, in order; groups are flattened.  Past
 * VOUCH_FROM_MAX_MAILBOXES the field is still read to its end: ntotal
 * counts every mailbox, n those kept in mb[].
 */
struct mail_mailbox_list {
	size_t n;
	size_t ntotal;
	struct mail_mailbox mb[VOUCH_FROM_MAX_MAILBOXES];
	unsigned ngroups; /* group constructs seen (RFC 5322 §3.4 group) */
};

/*
 * MAIL_FROM_LENIENT - read an RFC 2047 encoded-word ("=?cs?Q?...?=") as
 * one word of a phrase whatever its text holds, as mail readers do.
 * Without it the field is read by RFC 5322 alone, where an encoded-word
 * is not a token and "=?utf-8?q?a@b.example,?=" is an address and a
 * comma (RFC 5322 §3.2.3, §3.4).
 */
#define MAIL_FROM_LENIENT 0x1u

/*
 * mail_from_parse - the mailboxes of one raw From header field.
 * In:  p/len, the whole field "From: ..." as received, folded, CRLF or LF
 *      line ends, not NUL-terminated; the name and colon are skipped.
 * Out: *out filled (out->n may be 0 for an empty group).  *why, on error,
 *      a static text saying what did not parse.
 * Errors: VOUCH_ESYNTAX (not a mailbox-list, or a group list, RFC 5322
 *         §3.4/§4.4), VOUCH_ELIMIT (a domain over VOUCH_ADDR_MAX_DOMAIN
 *         bytes).  More than VOUCH_FROM_MAX_MAILBOXES mailboxes is not an
 *         error: out->ntotal says how many there were.
 * mail_from_parse reads encoded-words as readers do (MAIL_FROM_LENIENT);
 * mail_from_parse_mode takes the flags.
 */
enum vouch_status mail_from_parse(const uint8_t *p, size_t len,
    struct mail_mailbox_list *out, const char **why);
enum vouch_status mail_from_parse_mode(const uint8_t *p, size_t len,
    unsigned flags, struct mail_mailbox_list *out, const char **why);

/*
 * mail_from_parse_each - the same, calling each(arg, mb) for every
 * mailbox as it is read, however many (mb is valid during the call only),
 * and keeping none: the caller needs no struct mail_mailbox_list (42 KB).
 * *ngroups receives the number of groups seen.  Mailboxes read before a
 * syntax error have been given to `each` all the same.
 */
typedef void (*mail_mailbox_fn)(void *arg, const struct mail_mailbox *mb);
enum vouch_status mail_from_parse_each(const uint8_t *p, size_t len,
    unsigned flags, unsigned *ngroups, const char **why, mail_mailbox_fn each,
    void *arg);

/*
 * mail_mailbox_list_parse - the same, for the field body (after the colon).
 */
enum vouch_status mail_mailbox_list_parse(const uint8_t *p, size_t len,
    struct mail_mailbox_list *out, const char **why);
enum vouch_status mail_mailbox_list_parse_mode(const uint8_t *p, size_t len,
    unsigned flags, struct mail_mailbox_list *out, const char **why);

/*
 * mail_encoded_word - the length of the RFC 2047 encoded-word
 * "=?charset?encoding?text?=" at p (p < end, no white space inside), or 0
 * when p does not start one.  Its text is not checked against RFC 2047
 * §5: readers decode words that break those rules too.
 */
size_t mail_encoded_word(const uint8_t *p, const uint8_t *end);

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
