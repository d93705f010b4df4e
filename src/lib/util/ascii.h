/*
 * ASCII case, without the locale, for the names vouch compares (header
 * field names, h= entries, tag values): one rule for the DKIM code and
 * the message parser.
 */
#ifndef VOUCH_UTIL_ASCII_H
#define VOUCH_UTIL_ASCII_H

#include <stddef.h>
#include <stdint.h>

/*
 * Two bytes that differ are the same letter in two cases when they differ
 * in the case bit alone and one of them is a letter: a byte equal as it is
 * (most bytes of names compared) costs one compare, not two case
 * conversions.
 */
static inline int
ascii_case_pair(uint8_t a, uint8_t b)
{
	return (a ^ b) == 0x20 && (uint8_t)((a | 0x20) - 'a') <= 'z' - 'a';
}

/* p (len bytes) equals the NUL-terminated s without ASCII case. */
static inline int
ascii_ieq(const uint8_t *p, size_t len, const char *s)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '\0' || (p[i] != (uint8_t)s[i] &&
		                        !ascii_case_pair(p[i], (uint8_t)s[i])))
			return 0;
	return s[len] == '\0';
}

#endif
