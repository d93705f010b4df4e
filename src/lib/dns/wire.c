/*
 * Resource record data in wire form (RFC 1035 §3.3, RFC 3596 §2.2) decoded
 * into the answer form of dns.h.  The input is a peer's: every read is
 * checked against an end pointer and every loop is bounded.
 */
#include <string.h>

#include "internal.h"

/*
 * Compression pointers followed in one name (RFC 1035 §4.1.4): a name has
 * at most 127 labels, so a well-formed name needs fewer jumps than that.
 */
#define DNS_MAX_POINTERS 127

/*
 * A domain name of rdata in wire form (RFC 1035 §3.1) as text without the
 * final dot.  p/end is the rdata; a compression pointer (§4.1.4) refers to
 * the whole message pkt/pktlen.  *next is where the name ends in p/end.
 * Returns 0 for a malformed name, a label holding a dot, or a name over
 * VOUCH_DNS_MAX_NAME.
 */
int
dns_wire_name(const uint8_t *p, const uint8_t *end, const uint8_t *pkt,
    size_t pktlen, char *out, size_t *outlen, const uint8_t **next)
{
	size_t n = 0, i, npointers = 0, off;
	uint8_t len;

	*next = NULL;

	for (;;) {
		if (p >= end)
			return 0;
		len = *p++;
		if ((len & 0xc0) == 0xc0) {
			if (p >= end || pkt == NULL ||
			    ++npointers > DNS_MAX_POINTERS)
				return 0;
			off = ((size_t)(len & 0x3f) << 8) | *p;
			if (off >= pktlen)
				return 0;
			if (*next == NULL)
				*next = p + 1;
			p = pkt + off;
			end = pkt + pktlen;
			continue;
		}
		if (len & 0xc0)
			return 0; /* RFC 6891 §5: extended labels are gone */
		if (len == 0)
			break;
		if ((size_t)(end - p) < len ||
		    n + (n > 0) + len > VOUCH_DNS_MAX_NAME)
			return 0;
		if (n > 0)
			out[n++] = '.';
		for (i = 0; i < len; i++) {
			if (p[i] == '.')
				return 0;
			out[n++] = (char)p[i];
		}
		p += len;
	}
	out[n] = '\0';
	*outlen = n;
	if (*next == NULL)
		*next = p;
	return 1;
}

/*
 * One record's rdata decoded into the builder.  Returns 0 when the rdata
 * does not fit its type.
 */
int
dns_rdata_add(struct dns_builder *b, uint16_t type, uint32_t ttl,
    const uint8_t *p, size_t len, const uint8_t *pkt, size_t pktlen)
{
	uint8_t txt[VOUCH_DNS_MAX_TXT];
	char name[VOUCH_DNS_MAX_NAME + 1];
	size_t n = 0, namelen;
	const uint8_t *end = p + len, *next;
	unsigned nstrings = 0;
	uint16_t pref = 0;

	switch (type) {
	case VOUCH_DNS_A:
		if (len != 4)
			return 0;
		(void)dns_builder_add(b, type, 0, ttl, p, len, 0);
		return 1;
	case VOUCH_DNS_AAAA:
		if (len != 16)
			return 0;
		(void)dns_builder_add(b, type, 0, ttl, p, len, 0);
		return 1;
	case VOUCH_DNS_TXT:
	case VOUCH_DNS_SPF:
		/* RFC 1035 §3.3.14: one or more <character-string>s. */
		if (len > sizeof(txt))
			return 0;
		while (p < end) {
			if ((size_t)(end - p) < 1u + *p)
				return 0;
			if (*p > 0)
				memcpy(txt + n, p + 1, *p);
			n += *p;
			p += 1u + *p;
			nstrings++;
		}
		(void)dns_builder_add(b, type, 0, ttl, txt, n, nstrings);
		return 1;
	case VOUCH_DNS_MX:
		if (len < 3)
			return 0;
		pref = (uint16_t)(p[0] << 8 | p[1]);
		p += 2;
		/* FALLTHROUGH */
	case VOUCH_DNS_NS:
	case VOUCH_DNS_CNAME:
	case VOUCH_DNS_PTR:
		/* The name fills the rest of the rdata exactly. */
		if (!dns_wire_name(
		        p, end, pkt, pktlen, name, &namelen, &next) ||
		    next != end)
			return 0;
		(void)dns_builder_add(
		    b, type, pref, ttl, (uint8_t *)name, namelen, 0);
		return 1;
	default:
		(void)dns_builder_add(b, type, 0, ttl, p, len, 0);
		return 1;
	}
}
