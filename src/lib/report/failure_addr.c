/*
 * Report addresses: the ruf= mailto: URIs (RFC 6068, RFC 9989 §4.7) and
 * the reporter's own address.  Both end up in header fields and SMTP
 * envelopes, so only plain 7-bit addr-specs are accepted: nothing that
 * could end a field, a command or an address early.
 */
#include <string.h>

#include "failure_internal.h"

static int
is_alnum(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* atext of RFC 5322 §3.2.3, 7-bit only */
static int
is_atext7(uint8_t c)
{
	return is_alnum(c) ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

int
failure_dot_atom_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!is_atext7((uint8_t)s[i]))
			return 0;
	}
	return 1;
}

/* A quoted-string local-part: printable ASCII, '"' and '\' escaped. */
static int
quoted_ok(const char *s, size_t n)
{
	size_t i;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return 0;
	for (i = 1; i + 1 < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if (c < 0x20 || c > 0x7e)
			return 0;
		if (c == '\\') {
			if (++i + 1 >= n)
				return 0;
			c = (uint8_t)s[i];
			if (c < 0x20 || c > 0x7e)
				return 0;
		} else if (c == '"')
			return 0;
	}
	return 1;
}

/* Domain of RFC 5321 §4.1.2: LDH labels of 1..63, at most 253 bytes. */
static int
domain_ok(const char *s, size_t n)
{
	size_t i, lab = 0;

	if (n == 0 || n > VOUCH_DNS_MAX_NAME)
		return 0;
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];

		if (c == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!is_alnum(c) && c != '-')
			return 0;
		if (lab == 0 && c == '-')
			return 0;
		if (++lab > VOUCH_DNS_MAX_LABEL)
			return 0;
	}
	return lab > 0 && s[n - 1] != '-';
}

int
failure_addr_ok(const char *a, size_t n)
{
	size_t at;

	if (n == 0 || n > VOUCH_FAILURE_MAX_ADDR)
		return 0;
	for (at = n; at > 0 && a[at - 1] != '@'; at--)
		;
	if (at < 2 || at - 1 > 64)
		return 0;
	if (!failure_dot_atom_ok(a, at - 1) && !quoted_ok(a, at - 1))
		return 0;
	return domain_ok(a + at, n - at);
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
ieq(const char *a, size_t n, const char *b)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char x = a[i], y = b[i];

		if (y == '\0')
			return 0;
		if (x >= 'A' && x <= 'Z')
			x = (char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (char)(y + 32);
		if (x != y)
			return 0;
	}
	return b[n] == '\0';
}

int
failure_mailto(
    const char *uri, size_t n, const char *host, char *out, size_t cap)
{
	size_t i, len = 0, at;
	int hi, lo;

	if (cap < VOUCH_FAILURE_MAX_ADDR + 1 || n < 7 ||
	    !ieq(uri, 7, "mailto:"))
		return -1;
	for (i = 7; i < n && uri[i] != '?'; i++) {
		uint8_t c = (uint8_t)uri[i];

		if (c == '%') {
			if (i + 2 >= n ||
			    (hi = hexval((uint8_t)uri[i + 1])) < 0 ||
			    (lo = hexval((uint8_t)uri[i + 2])) < 0)
				return -1;
			c = (uint8_t)(hi * 16 + lo);
			i += 2;
		}
		/* RFC 6068 §2 allows several addresses separated by ','; a
		 * DMARC URI names one destination (RFC 9989 §4.7) */
		if (c == ',' || len >= VOUCH_FAILURE_MAX_ADDR)
			return -1;
		out[len++] = (char)c;
	}
	out[len] = '\0';
	if (!failure_addr_ok(out, len))
		return -1;
	for (at = len; out[at - 1] != '@'; at--)
		;
	return ieq(out + at, len - at, host) ? 0 : -1;
}
