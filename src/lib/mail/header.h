/*
 * RFC 5322 header section scanner, as DKIM needs it (RFC 6376 §3.4, §5.4).
 *
 * The scanner reads the header section of a message from raw bytes and
 * yields each field byte-exact, with its folding, so that the simple
 * header canonicalization can hash it unchanged.  Line ends are normalised
 * to CRLF (a bare LF becomes CRLF, as MTAs do when they receive a message
 * through SMTP); every other byte is kept, NUL included.
 *
 * Limits (include/vouch/limits.h): VOUCH_MAX_HEADER_BYTES of input,
 * VOUCH_MAX_HEADER_FIELDS fields, VOUCH_MAX_LINE_BYTES per physical line.
 * Beyond one of them the scan stops with VOUCH_ELIMIT and a reason text.
 *
 * Thread safety: a struct mail_header belongs to one thread at a time.
 */
#ifndef VOUCH_MAIL_HEADER_H
#define VOUCH_MAIL_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/status.h"

/*
 * One header field.  Every pointer points into the owning struct
 * mail_header's buffer or, for a section mail_header_parse split where it
 * lies, into the caller's input (valid until mail_header_free and as long
 * as that input); nothing is NUL-terminated.
 *   name/namelen    the field name, without the colon and without any
 *                   whitespace between name and colon (obsolete syntax,
 *                   RFC 5322 §4.5.3);
 *   raw/len         the whole field: name, colon, value with its folding,
 *                   and the final CRLF;
 *   value/valuelen  the bytes after the colon, up to but not including the
 *                   final CRLF (folding CRLFs inside are kept).
 */
struct mail_field {
	const uint8_t *name;
	size_t namelen;
	const uint8_t *raw;
	size_t len;
	const uint8_t *value;
	size_t valuelen;
};

/*
 * A scanned header section.  Owns `field` and, when the section had to be
 * copied, `buf` (the section, line ends CRLF, the empty line that ends the
 * section not included; NULL when the fields point into the input).
 *   consumed  bytes of the caller's input the section took, including the
 *             empty line that ends it, if there was one: the body starts
 *             there.
 *   complete  1 when an empty line ended the section, 0 when the input
 *             ended first (a message without body).
 *   error     after a failed scan: a static English reason ("header
 *             section too large", "line too long", "too many header
 *             fields", "malformed header field"); NULL otherwise.
 */
struct mail_header {
	uint8_t *buf;
	size_t buflen;
	struct mail_field *field;
	size_t nfield;
	size_t consumed;
	int complete;
	const char *error;
};

/*
 * mail_header_parse - scan the header section at the start of `p`/`len`
 * (raw message bytes; may hold the whole message, or only the header
 * section with or without the empty line).  `h` is overwritten; the caller
 * releases it with mail_header_free, also after an error.
 * Errors: VOUCH_ELIMIT (input before the empty line over
 * VOUCH_MAX_HEADER_BYTES, a physical line over VOUCH_MAX_LINE_BYTES, more
 * than VOUCH_MAX_HEADER_FIELDS fields), VOUCH_ESYNTAX (a line that is
 * neither a field "name:" nor a continuation, a continuation first),
 * VOUCH_ENOMEM.  h->error names the reason.
 * A section whose lines all end in CRLF is not copied: its fields point
 * into `p`, which must then outlive `h` (every caller scans a header it
 * holds); any other section is copied, normalised.
 * RFC 5322 §2.2, §3.6.8; RFC 6376 §3.4.2 (what the canonicalizations see).
 */
enum vouch_status mail_header_parse(struct mail_header *h, const uint8_t *p,
    size_t len) __attribute__((warn_unused_result));

/*
 * mail_header_parse_copy - the same, always into a copy that `h` owns: the
 * fields never point into `p`.  The two give the same fields, byte for
 * byte, and the same errors (fuzz_header checks it).
 */
enum vouch_status mail_header_parse_copy(struct mail_header *h,
    const uint8_t *p, size_t len) __attribute__((warn_unused_result));

/* mail_header_free - release the buffers; h is left empty (reusable). */
void mail_header_free(struct mail_header *h);

/*
 * mail_header_end - the length of the header section at the start of
 * `p`/`len`, including the empty line that ends it: the offset of the body.
 * Recognises CRLF CRLF, LF LF and their mixtures.  Returns 0 when no empty
 * line occurs in the input (the whole input may still be a header).  An
 * empty line at offset 0 (no header at all) gives 1 or 2.
 */
size_t mail_header_end(const uint8_t *p, size_t len);

/*
 * mail_name_eq - does a field name equal the NUL-terminated ASCII `name`,
 * without regard to case (RFC 5322 §1.2.2)?
 */
int mail_name_eq(const uint8_t *p, size_t len, const char *name);

#endif
