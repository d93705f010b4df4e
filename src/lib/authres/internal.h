/*
 * Private helpers of the Authentication-Results module (RFC 8601): the
 * character classes of its grammar, shared by the writer (gen.c), the
 * parser (parse.c) and the forgery protection (strip.c).
 */
#ifndef VOUCH_AUTHRES_INTERNAL_H
#define VOUCH_AUTHRES_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/authres.h"
#include "vouch/limits.h"
#include "util/buf.h"

/* The longest method, result, ptype or property is 63 bytes (gen.c). */
#define AR_MAX_KEYWORD 64

/*
 * The longest piece the builder makes: a propspec of two keywords, "."
 * and "=" (at most 128 bytes) and a value of VOUCH_AUTHRES_MAX_VALUE bytes
 * quoted with every byte escaped (2 * VOUCH_AUTHRES_MAX_VALUE + 2); a
 * reason or a comment is shorter, an authserv-id (VOUCH_AUTHRES_MAX_ID)
 * much shorter.  So the piece is made in the builder, not allocated.
 */
#define AR_PIECE_MAX (2 * VOUCH_AUTHRES_MAX_VALUE + 2 * AR_MAX_KEYWORD + 8)

/*
 * The builder of vouch_authres_new (authres.h), here so that the library's
 * own callers (the verdict of verify.c, once per message) can keep it on
 * their stack: authres_init and authres_release instead of _new and _free.
 */
struct vouch_authres_builder {
	struct vbuf out; /* the field so far */
	struct vbuf piece; /* the piece being made, in piece_buf */
	size_t col; /* columns used on the current line */
	size_t nresults;
	size_t nprops; /* of the current result */
	int none;
	int finished;
	enum vouch_status err; /* first error, sticky */
	uint8_t piece_buf[AR_PIECE_MAX + 1];
};

/*
 * authres_init - vouch_authres_new into the caller's b: the same checks of
 * authserv_id/len and the same errors.  On success authres_release frees
 * what b holds (b itself is the caller's); on an error b holds nothing.
 */
enum vouch_status authres_init(
    struct vouch_authres_builder *b, const char *authserv_id, size_t len);

/* authres_release - what authres_init gave b; b may then be dropped. */
void authres_release(struct vouch_authres_builder *b);

/*
 * authres_add_kw, authres_prop_kw - vouch_authres_add and
 * vouch_authres_prop for names the library itself spells (its constant
 * method, ptype and property names and its verdict words): the caller
 * gives their lengths and vouches that each is a keyword (RFC 5321 §4.1.2
 * Ldh-str, 1..63 bytes), which is then not checked per call.  Everything
 * else (the reason, the value, the builder's state) is checked as there.
 */
enum vouch_status authres_add_kw(struct vouch_authres_builder *b,
    const char *method, size_t mlen, const char *result, size_t reslen,
    const char *reason);
enum vouch_status authres_prop_kw(struct vouch_authres_builder *b,
    const char *ptype, size_t tlen, const char *property, size_t plen,
    const uint8_t *value, size_t len);

/* The field name, RFC 8601 §2.2. */
#define AR_FIELD_NAME "Authentication-Results"
#define AR_FIELD_NAME_LEN (sizeof(AR_FIELD_NAME) - 1)

/*
 * ar_is_tchar - a character of a MIME token (RFC 2045 §5.1): US-ASCII,
 * not SPACE, not a control, not a tspecial.  Inline: called for every
 * byte of every value a field carries.
 */
static inline int
ar_is_tchar(uint8_t c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	switch (c) {
	case '(':
	case ')':
	case '<':
	case '>':
	case '@':
	case ',':
	case ';':
	case ':':
	case '\\':
	case '"':
	case '/':
	case '[':
	case ']':
	case '?':
	case '=':
		return 0;
	default:
		return 1;
	}
}

/* ar_is_atext - RFC 5322 §3.2.3 atext (ASCII part). */
int ar_is_atext(uint8_t c);

/* ar_is_keyword_char - RFC 5321 §4.1.2 Ldh-str characters. */
static inline int
ar_is_keyword_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

/*
 * ar_utf8_len - the length (2..4) of the valid UTF-8 sequence (RFC 3629 §4,
 * no overlongs, no surrogates) starting at p, or 0 when there is none.
 * p < end.
 */
size_t ar_utf8_len(const uint8_t *p, const uint8_t *end);

/* ar_lower - ASCII lower case; other bytes unchanged. */
static inline uint8_t
ar_lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

#endif
