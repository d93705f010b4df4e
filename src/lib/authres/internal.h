/*
 * Private helpers of the Authentication-Results module (RFC 8601): the
 * character classes of its grammar, shared by the writer (gen.c), the
 * parser (parse.c) and the forgery protection (strip.c).
 */
#ifndef VOUCH_AUTHRES_INTERNAL_H
#define VOUCH_AUTHRES_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

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
