/*
 * Redaction of local-parts for failure reports (RFC 9991 §7, RFC 6590).
 *
 * RFC 6590 §4 suggests a transformation that is consistent (the same
 * input gives the same output) and hard to reverse: here HMAC-SHA-256
 * under the operator's secret, so that a Report Consumer can tell that
 * two reports concern the same mailbox without learning which.  Only
 * local-parts are replaced; domains are what DMARC is about and stay.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "failure_internal.h"
#include "util/base64.h"

/* atext of RFC 5322 §3.2.3, and UTF-8 bytes (RFC 6532 §3.2). */
static int
is_atext(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80)
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
is_keyword_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

static int
is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

enum vouch_status
failure_redact_local(const struct failure_redactor *r, const uint8_t *lp,
    size_t n, struct vbuf *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned mlen = 0;
	char b64[BASE64_ENCODED_LEN(12) + 1];
	size_t i;

	switch (r->mode) {
	case VOUCH_FAILURE_REDACT_NONE:
		return vbuf_add(out, lp, n);
	case VOUCH_FAILURE_REDACT_TOKEN:
		return vbuf_add(out, r->token, r->token_len);
	default:
		break;
	}
	if (HMAC(EVP_sha256(), r->key, (int)r->key_len, lp, n, mac, &mlen) ==
	        NULL ||
	    mlen < 12)
		return out->err = VOUCH_ECRYPTO;
	/* 12 bytes give 16 characters without padding; base64url's '-' and
	 * '_' keep the result a dot-atom (RFC 4648 §5) */
	if (base64_encode(mac, 12, b64, sizeof(b64)) != FAILURE_HASH_CHARS)
		return out->err = VOUCH_ECRYPTO;
	for (i = 0; i < FAILURE_HASH_CHARS; i++)
		if (b64[i] == '+')
			b64[i] = '-';
		else if (b64[i] == '/')
			b64[i] = '_';
	return vbuf_add(out, b64, FAILURE_HASH_CHARS);
}

enum vouch_status
failure_redact_addr(const struct failure_redactor *r, const uint8_t *a,
    size_t n, struct vbuf *out)
{
	size_t at = n;

	while (at > 0 && a[at - 1] != '@')
		at--;
	if (at == 0) /* no '@': a local-part alone (postmaster) */
		return n > 0 ? failure_redact_local(r, a, n, out)
		             : vbuf_add(out, a, n);
	if (at > 1)
		(void)failure_redact_local(r, a, at - 1, out);
	return vbuf_add(out, a + at - 1, n - (at - 1));
}

/*
 * The start of a quoted-string local-part that ends just before p[at]
 * ('"' at at-1), or `at` when none: the opening quote, not escaped, on
 * the same line, at most VOUCH_FAILURE_MAX_ADDR bytes back and not
 * before `lo`.
 */
static size_t
quoted_start(const uint8_t *p, size_t lo, size_t at)
{
	size_t j = at - 1, k, nbs;

	while (j > lo && at - j < VOUCH_FAILURE_MAX_ADDR) {
		j--;
		if (p[j] == '\r' || p[j] == '\n')
			return at;
		if (p[j] != '"')
			continue;
		for (k = j, nbs = 0; k > lo && p[k - 1] == '\\'; k--)
			nbs++;
		if (nbs % 2 == 0)
			return j;
	}
	return at;
}

/*
 * With FAILURE_REDACT_TAGS: a run p[s..at) starting "keyword=" at a
 * boundary keeps the keyword; returns where the local-part begins.
 */
static size_t
after_keyword(const uint8_t *p, size_t lo, size_t s, size_t at)
{
	size_t k;

	if (s > lo && p[s - 1] != ' ' && p[s - 1] != '\t' && p[s - 1] != ';' &&
	    p[s - 1] != '(')
		return s;
	if (!is_alpha(p[s]))
		return s;
	for (k = s + 1; k < at && is_keyword_char(p[k]); k++)
		;
	return k < at && p[k] == '=' ? k + 1 : s;
}

enum vouch_status
failure_redact_text(const struct failure_redactor *r, const uint8_t *p,
    size_t len, unsigned flags, struct vbuf *out)
{
	size_t lo = 0, at, s;
	uint8_t d;

	if (r->mode == VOUCH_FAILURE_REDACT_NONE)
		return vbuf_add(out, p, len);
	for (at = 0; at < len; at++) {
		if (p[at] != '@' || at == lo || at + 1 >= len)
			continue;
		d = p[at + 1];
		if (!((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z') ||
		        (d >= '0' && d <= '9') || d == '[' || d >= 0x80))
			continue;
		if (p[at - 1] == '"') {
			s = quoted_start(p, lo, at);
		} else {
			/* every byte is looked at once: the scan stops at
			 * the '@' before, which is not atext */
			for (s = at;
			     s > lo && (is_atext(p[s - 1]) || p[s - 1] == '.');
			     s--)
				;
			if (s < at && (flags & FAILURE_REDACT_TAGS))
				s = after_keyword(p, lo, s, at);
		}
		if (s >= at)
			continue;
		(void)vbuf_add(out, p + lo, s - lo);
		(void)failure_redact_local(r, p + s, at - s, out);
		lo = at;
	}
	return vbuf_add(out, p + lo, len - lo);
}

/* How a field is redacted, by its name. */
enum field_rule { RULE_TEXT, RULE_TAGS, RULE_KEEP };

static int
name_is(const uint8_t *p, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t a = p[i], b = (uint8_t)name[i];

		if (b == '\0')
			return 0;
		if (a >= 'A' && a <= 'Z')
			a = (uint8_t)(a + 32);
		if (b >= 'A' && b <= 'Z')
			b = (uint8_t)(b + 32);
		if (a != b)
			return 0;
	}
	return name[n] == '\0';
}

static enum field_rule
field_rule(const uint8_t *line, size_t n)
{
	static const char *const keep[] = {"Message-ID", "In-Reply-To",
	    "References", "Resent-Message-ID", "Content-ID"};
	static const char *const tags[] = {"Authentication-Results",
	    "ARC-Authentication-Results", "DKIM-Signature",
	    "ARC-Message-Signature", "ARC-Seal", "Received-SPF"};
	size_t k, i;

	for (k = 0; k < n && line[k] != ':'; k++)
		;
	if (k == n)
		return RULE_TEXT;
	while (k > 0 && (line[k - 1] == ' ' || line[k - 1] == '\t'))
		k--;
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (name_is(line, k, keep[i]))
			return RULE_KEEP;
	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
		if (name_is(line, k, tags[i]))
			return RULE_TAGS;
	return RULE_TEXT;
}

/* The next line of p[*at..len): its content [*at, end) and where the
 * line after begins (*next); the line end is "\r\n" or "\n". */
static size_t
next_line(const uint8_t *p, size_t len, size_t at, size_t *next)
{
	const uint8_t *nl = memchr(p + at, '\n', len - at);
	size_t end;

	if (nl == NULL) {
		*next = len;
		return len;
	}
	end = (size_t)(nl - p);
	*next = end + 1;
	return end > at && p[end - 1] == '\r' ? end - 1 : end;
}

enum vouch_status
failure_redact_header(const struct failure_redactor *r, const uint8_t *hdr,
    size_t len, struct vbuf *out)
{
	enum field_rule rule = RULE_TEXT;
	size_t at = 0, end, next;

	while (at < len) {
		end = next_line(hdr, len, at, &next);
		if (end == at)
			break; /* the empty line: the header section ends */
		if (hdr[at] != ' ' && hdr[at] != '\t')
			rule = field_rule(hdr + at, end - at);
		if (rule == RULE_KEEP)
			(void)vbuf_add(out, hdr + at, end - at);
		else
			(void)failure_redact_text(r, hdr + at, end - at,
			    rule == RULE_TAGS ? FAILURE_REDACT_TAGS : 0, out);
		(void)vbuf_add(out, "\r\n", 2);
		at = next;
	}
	return out->err;
}

enum vouch_status
failure_redact_body(const struct failure_redactor *r, const uint8_t *p,
    size_t len, struct vbuf *out)
{
	size_t at = 0, end, next;

	while (at < len && out->err == VOUCH_OK) {
		end = next_line(p, len, at, &next);
		(void)failure_redact_text(r, p + at, end - at, 0, out);
		if (next > end)
			(void)vbuf_add(out, "\r\n", 2);
		at = next;
	}
	return out->err;
}

static uint8_t
lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

void
failure_defang(uint8_t *p, size_t len)
{
	size_t i, k;

	for (i = 0; i + 5 <= len; i++) {
		if (lower(p[i]) != 'h' || lower(p[i + 1]) != 't' ||
		    lower(p[i + 2]) != 't' || lower(p[i + 3]) != 'p')
			continue;
		k = i + 4;
		if (lower(p[k]) == 's')
			k++;
		if (k >= len || p[k] != ':')
			continue;
		p[i + 1] = p[i + 1] == 'T' ? 'X' : 'x';
		p[i + 2] = p[i + 2] == 'T' ? 'X' : 'x';
	}
}
