/*
 * vouch: the Authentication-Results header field (RFC 8601).
 *
 * Three parts:
 *  - generation: a builder that collects one result per method ("resinfo",
 *    RFC 8601 §2.2) and writes the whole field, quoted and folded;
 *  - parsing: a field (with or without its name) into a tree of results;
 *  - forgery protection (RFC 8601 §5): find, as byte ranges, the fields of
 *    a header section that claim our authserv-id, and copy the section
 *    without them.
 *
 * Strings given to the builder are the caller's and are copied; the field
 * returned is the caller's.  Parsed results own their strings.  No function
 * keeps global state: distinct objects may be used from distinct threads.
 */
#ifndef VOUCH_AUTHRES_H
#define VOUCH_AUTHRES_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Generation                                                          */
/* ------------------------------------------------------------------ */

/*
 * A field under construction.  Opaque; made by vouch_authres_new(), released
 * by vouch_authres_free().
 *
 * Every call that adds to the builder remembers its first error: after one
 * call failed, later calls do nothing and return that error again, and
 * vouch_authres_finish() returns it.  A caller may therefore check only the
 * status of vouch_authres_finish().
 */
struct vouch_authres_builder;

/*
 * vouch_authres_new - start an Authentication-Results field.
 * In:  authserv_id, len: the authserv-id (RFC 8601 §2.5), usually the host
 *      name of the receiving MTA, UTF-8, not NUL-terminated, 1 to
 *      VOUCH_AUTHRES_MAX_ID bytes.  It is written as a token when it is one
 *      and as a quoted-string otherwise (RFC 8601 §2.2 "authserv-id = value",
 *      RFC 2045 §5.1).
 * Out: *out, a new builder, the caller's (vouch_authres_free()).
 * Returns VOUCH_OK; VOUCH_EINVAL for a NULL argument, an empty id, or an id
 * holding a control character (CR, LF, NUL, ...); VOUCH_ELIMIT for an id
 * longer than VOUCH_AUTHRES_MAX_ID; VOUCH_ENOMEM.  *out is NULL on error.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_authres_new(
    const char *authserv_id, size_t len, struct vouch_authres_builder **out);

/*
 * vouch_authres_add - start one result ("resinfo", RFC 8601 §2.2): the
 * method, its result and, optionally, a reason.
 * In:  method: NUL-terminated Keyword (RFC 5321 §4.1.2: letters, digits and
 *      "-"), e.g. "dkim", "spf", "dmarc", "arc", "iprev", "auth".
 *      result: NUL-terminated Keyword, e.g. "pass", "fail", "none",
 *      "neutral", "policy", "softfail", "temperror", "permerror"
 *      (RFC 8601 §2.7; the builder does not check which words a method
 *      allows).
 *      reason: NUL-terminated free text (UTF-8) or NULL.  Written as
 *      reason="..." (RFC 8601 §2.2 reasonspec), always quoted: '"' and '\'
 *      are escaped as quoted-pairs, CR, LF and TAB become a space, other
 *      control characters and bytes that are not UTF-8 become '?', so no
 *      text can end the field early.  At most VOUCH_AUTHRES_MAX_VALUE
 *      bytes.
 * Later calls of vouch_authres_prop() and vouch_authres_comment() apply to
 * this result.  Results appear in the order added, each on its own line.
 * Returns VOUCH_OK; VOUCH_EINVAL for a NULL builder/method/result, a method
 * or result that is not a Keyword, or after vouch_authres_none();
 * VOUCH_ELIMIT beyond VOUCH_AUTHRES_MAX_RESULTS results, a reason longer
 * than VOUCH_AUTHRES_MAX_VALUE or a field longer than
 * VOUCH_AUTHRES_MAX_FIELD bytes; VOUCH_ENOMEM.
 */
VOUCH_API enum vouch_status vouch_authres_add(struct vouch_authres_builder *b,
    const char *method, const char *result, const char *reason);

/*
 * vouch_authres_prop - add a property ("propspec", RFC 8601 §2.2, §2.3) to
 * the current result: "ptype.property=pvalue", e.g. header.d=example.com,
 * header.b=AbCdEfGh, smtp.mailfrom=user@example.com, policy.dmarc=reject.
 * In:  ptype, property: NUL-terminated Keywords ("smtp", "header", "body",
 *      "policy"; "d", "s", "b", "i", "from", "mailfrom", "helo", ...).
 *      value, len: the value, UTF-8, not NUL-terminated, at most
 *      VOUCH_AUTHRES_MAX_VALUE bytes, may be empty.  All are copied into
 *      the builder; none is kept.
 * The value is written
 *  - as is when it is a MIME token (RFC 2045 §5.1: no space, control
 *    character or tspecial), e.g. example.com;
 *  - as local-part "@" domain-name when it holds an '@' and the part after
 *    the last '@' is a domain name (RFC 8601 §2.2 pvalue, which §2.3 says an
 *    email identity MUST use): the local-part as is when it is a dot-atom
 *    (RFC 5322 §3.4.1, UTF-8 allowed per RFC 6531), else as a quoted-string,
 *    e.g. "john doe"@example.com; an empty local-part gives @example.com;
 *  - otherwise as a quoted-string (IPv6 addresses, base64 with '/' or '=').
 * Control characters and non-UTF-8 bytes are replaced as for the reason.
 * Returns VOUCH_OK; VOUCH_EINVAL for a NULL argument (value may be NULL when
 * len is 0), a ptype or property that is not a Keyword, or no current
 * result; VOUCH_ELIMIT beyond VOUCH_AUTHRES_MAX_PROPS properties in this
 * result, a value longer than VOUCH_AUTHRES_MAX_VALUE or a field longer than
 * VOUCH_AUTHRES_MAX_FIELD; VOUCH_ENOMEM.
 */
VOUCH_API enum vouch_status vouch_authres_prop(struct vouch_authres_builder *b,
    const char *ptype, const char *property, const uint8_t *value, size_t len);

/*
 * vouch_authres_comment - add a comment (RFC 5322 §3.2.2) after the last
 * thing written: after the authserv-id when no result was added yet, else
 * after the current result or its last property.  E.g. "2048-bit key".
 * In:  text, len: UTF-8, not NUL-terminated, at most VOUCH_AUTHRES_MAX_VALUE
 *      bytes.  '(', ')' and '\' are escaped as quoted-pairs; control
 *      characters and non-UTF-8 bytes are replaced as for the reason.  The
 *      text is copied into the builder, not kept.
 * Returns VOUCH_OK; VOUCH_EINVAL for a NULL argument (text may be NULL when
 * len is 0) or after vouch_authres_none(); VOUCH_ELIMIT as for
 * vouch_authres_prop(); VOUCH_ENOMEM.
 */
VOUCH_API enum vouch_status vouch_authres_comment(
    struct vouch_authres_builder *b, const char *text, size_t len);

/*
 * vouch_authres_none - say that no authentication was done: the field
 * becomes "authserv-id; none" (RFC 8601 §2.2 no-result, Appendix B.2).
 * A builder finished without any result gives the same field.  b stays
 * the caller's.
 * Returns VOUCH_OK; VOUCH_EINVAL for NULL or when a result was added.
 */
VOUCH_API enum vouch_status vouch_authres_none(struct vouch_authres_builder *b);

/*
 * vouch_authres_finish - write the whole field.
 * Out: *field, *len: "Authentication-Results: authserv-id;\r\n"
 *      "\tdkim=pass header.d=example.com ...;\r\n\tspf=pass ...\r\n":
 *      the field name, the authserv-id, each result on a line of its own
 *      (continuation lines start with a TAB), folded at result, property
 *      and comment boundaries, and inside quoted-strings and comments at a
 *      space, so that no line is longer than 78 columns counting a TAB as
 *      8 (RFC 5322 §2.1.1) unless one unbreakable word is longer.  Every
 *      line, the last too, ends in CRLF, so the field can be prepended to a
 *      message as is.  *field is NUL-terminated (not counted in *len),
 *      malloc()ed, and the caller's (free()).
 * The builder is left empty; vouch_authres_free() it afterwards.
 * Returns VOUCH_OK; the first error of an earlier call; VOUCH_EINVAL for a
 * NULL argument or a builder already finished; VOUCH_ELIMIT if the field
 * would be longer than VOUCH_AUTHRES_MAX_FIELD; VOUCH_ENOMEM.  On error
 * *field is NULL and *len 0.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_authres_finish(
    struct vouch_authres_builder *b, char **field, size_t *len);

/*
 * vouch_authres_free - release a builder and what it holds (a field
 * returned by vouch_authres_finish stays the caller's); NULL is a no-op.
 * No error.  RFC 8601 §2.2 (what the builder wrote).
 */
VOUCH_API void vouch_authres_free(struct vouch_authres_builder *b);

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

/*
 * One property of a result: "ptype.property=pvalue" (RFC 8601 §2.2, §2.3).
 * ptype and property are lower-cased (Keywords are case-insensitive).
 * value is unquoted: the quoted-pairs resolved and folding removed; an
 * address written "john doe"@example.com becomes john doe@example.com.
 * All strings are NUL-terminated; value_len is authoritative (a value can
 * hold no NUL, but use the length).
 */
struct vouch_authres_prop {
	const char *ptype;
	const char *property;
	const char *value;
	size_t value_len;
};

/*
 * One result ("resinfo").  method and result are lower-cased.
 * method_version: the digits of "method/version", NULL when absent (RFC
 * 8601 §2.2: absent means "1").  reason: the unquoted reason, NULL when
 * absent.  Unknown methods and results are kept, lower-cased like the
 * others (RFC 8601 §2.7 leaves their meaning to the reader).
 */
struct vouch_authres_result {
	const char *method;
	const char *method_version;
	const char *result;
	const char *reason;
	size_t reason_len;
	size_t nprops;
	struct vouch_authres_prop *props;
};

/*
 * One parsed field.  authserv_id is the unquoted id, as written.  version is
 * the digits of authres-version, NULL when absent (RFC 8601 §2.2: absent
 * means "1").  none is 1 for the no-result form "; none" (nresults is then
 * 0).  results[] are in field order.  Everything is owned by the struct and
 * released by vouch_authres_result_free().
 */
struct vouch_authres {
	const char *authserv_id;
	size_t authserv_id_len;
	const char *version;
	int none;
	size_t nresults;
	struct vouch_authres_result *results;
};

/*
 * vouch_authres_parse - parse one Authentication-Results field.
 * In:  field, len: the field body (what follows the colon), or the whole
 *      field with its name "Authentication-Results:" (recognised without
 *      regard to case); folded or unfolded, CRLF or LF line ends, a final
 *      line end optional; not NUL-terminated.  At most
 *      VOUCH_AUTHRES_MAX_FIELD bytes.
 * Grammar: RFC 8601 §2.2, with CFWS (RFC 5322 §3.2.2: white space, folding,
 * comments nested up to VOUCH_AUTHRES_MAX_DEPTH deep, quoted-pairs) wherever
 * §2.2 allows it; values are MIME tokens or quoted-strings (RFC 2045 §5.1,
 * UTF-8 per RFC 6532).  Leniencies, for fields seen in real mail: a pvalue
 * or reason may be any run of visible characters other than ';', '(' and
 * '"' (e.g. an unquoted IPv6 address or base64 text with '/' and '='), and
 * a ';' may end the field.
 * Out: *out, the caller's (vouch_authres_result_free()); NULL on error.
 * Returns VOUCH_OK; VOUCH_EINVAL for a NULL argument; VOUCH_ESYNTAX when the
 * field does not follow the grammar (no authserv-id, a method without "=",
 * a result missing, an unterminated comment or quoted-string, a control
 * character, text after "none", ...); VOUCH_ELIMIT for a field longer than
 * VOUCH_AUTHRES_MAX_FIELD, more than VOUCH_AUTHRES_MAX_RESULTS results,
 * more than VOUCH_AUTHRES_MAX_PROPS properties in one result or comments
 * nested deeper than VOUCH_AUTHRES_MAX_DEPTH; VOUCH_ENOMEM.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_authres_parse(
    const uint8_t *field, size_t len, struct vouch_authres **out);

/*
 * vouch_authres_result_free - release a field of vouch_authres_parse, all
 * its strings and results with it (the struct owns them); NULL is a
 * no-op.  No error.  RFC 8601 §2.2 (what was parsed).
 */
VOUCH_API void vouch_authres_result_free(struct vouch_authres *ar);

/*
 * A byte range of a header section: one whole field, from the first byte of
 * its name to the end of its last line, line end included.
 */
struct vouch_authres_span {
	size_t off;
	size_t len;
};

/*
 * One Authentication-Results field of a header section, as found by
 * vouch_authres_parse_header(): where it is, whether it parsed, and what.
 */
struct vouch_authres_field {
	struct vouch_authres_span span; /* the whole field in the header */
	enum vouch_status status; /* of vouch_authres_parse() on its body */
	struct vouch_authres *ar; /* NULL unless status is VOUCH_OK */
};

/*
 * vouch_authres_parse_header - parse every Authentication-Results field of
 * a header section, in header order (RFC 8601 §2.1: a message may carry
 * several, from several MTAs).
 * In:  header, len: the raw header section, as for
 *      vouch_authres_find_ours(); it ends at the first empty line or len.
 * Out: *fields, an array of *nfields entries (NULL and 0 when there is no
 *      such field), the caller's: vouch_authres_fields_free().  A field that
 *      does not parse is listed with its status (VOUCH_ESYNTAX or
 *      VOUCH_ELIMIT) and ar NULL; the others are unaffected.
 * Returns VOUCH_OK; VOUCH_EINVAL for a NULL argument; VOUCH_ELIMIT for a
 * header longer than VOUCH_MAX_HEADER_BYTES or with more than
 * VOUCH_MAX_HEADER_FIELDS fields; VOUCH_ENOMEM.  Nothing is returned on
 * error.  Thread safe.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_authres_parse_header(
    const uint8_t *header, size_t len, struct vouch_authres_field **fields,
    size_t *nfields);

/*
 * vouch_authres_fields_free - release what vouch_authres_parse_header()
 * returned: the nfields entries, each parsed field, and the array; NULL is
 * a no-op.  No error.  RFC 8601 §2.1 (several fields per message).
 */
VOUCH_API void vouch_authres_fields_free(
    struct vouch_authres_field *fields, size_t nfields);

/* ------------------------------------------------------------------ */
/* Forgery protection (RFC 8601 §5)                                    */
/* ------------------------------------------------------------------ */

/*
 * vouch_authres_find_ours - find the Authentication-Results fields that
 * claim our authserv-id, so that they can be removed before ours is added
 * (RFC 8601 §5: an MTA MUST remove or render unreadable such fields that
 * arrive from outside; §5 also says only fields whose authserv-id is ours
 * are to be trusted).
 * In:  header, len: the raw header section, fields with CRLF (or LF) line
 *      ends, continuation lines starting with a space or TAB; it ends at the
 *      first empty line or at len.  Not NUL-terminated.  At most
 *      VOUCH_MAX_HEADER_BYTES bytes.
 *      authserv_id, id_len: ours, compared without regard to ASCII case
 *      (and a final dot, and white space inside quotes) with the
 *      authserv-id of each field, read as readers read it: unquoted, as a
 *      MIME token (RFC 2045 §5.1) and as a dot-atom (RFC 5322 §3.2.3).
 *      Only the authserv-id of a field is read, so a field whose results
 *      do not parse is still found.  A field whose authserv-id cannot be
 *      read at all (comments before it nested to any depth are skipped;
 *      an unterminated comment or quoted-string, nothing before the ';')
 *      is found too: nothing rules it out.  So is a field that holds,
 *      after a CR not followed by LF, a line starting such a field (some
 *      readers end lines at a lone CR): the whole field is its range.
 *      spans, cap: room for cap ranges (spans may be NULL when cap is 0).
 * Out: spans[0..min(*n, cap)-1], the fields found, in header order;
 *      *n, the number found.
 * Returns VOUCH_OK; VOUCH_EINVAL for a NULL argument or an empty id;
 * VOUCH_ELIMIT when more than cap fields were found (the first cap are
 * filled and *n holds the full count, so a caller can grow and call again),
 * for an id longer than VOUCH_AUTHRES_MAX_ID, or for a header longer than
 * VOUCH_MAX_HEADER_BYTES (the number of fields is not limited: the sender
 * chooses it).  Thread safe.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_authres_find_ours(
    const uint8_t *header, size_t len, const char *authserv_id, size_t id_len,
    struct vouch_authres_span *spans, size_t cap, size_t *n);

/*
 * vouch_authres_strip_ours - copy a header section without the
 * Authentication-Results fields that claim our authserv-id (RFC 8601 §5).
 * In:  header, len, authserv_id, id_len: as for vouch_authres_find_ours();
 *      the whole input is copied, including the empty line and anything
 *      after it.
 *      out, cap: the caller's buffer; cap >= len always suffices.  out must
 *      not overlap header.
 * Out: out[0..*outlen-1], the bytes of header minus the fields removed, not
 *      NUL-terminated; *nremoved, the number of fields removed (may be
 *      NULL).
 * Returns VOUCH_OK; VOUCH_EINVAL for a NULL argument or an empty id;
 * VOUCH_ELIMIT when cap is too small (nothing useful is in out) or for the
 * limits of vouch_authres_find_ours().  Thread safe.
 */
VOUCH_API VOUCH_WARN_UNUSED enum vouch_status vouch_authres_strip_ours(
    const uint8_t *header, size_t len, const char *authserv_id, size_t id_len,
    uint8_t *out, size_t cap, size_t *outlen, size_t *nremoved);

#ifdef __cplusplus
}
#endif
#endif
