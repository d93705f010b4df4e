/*
 * SPF macros, RFC 7208 §7: syntax check and one-pass expansion into a
 * bounded buffer.  The expander never computes an output length first: each
 * piece is appended to the vbuf, which refuses to grow past its cap (the
 * two-pass pattern is what gave libspf2's expander its CVEs).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "vouch/limits.h"

/* The delimiters of §7.1: "." / "-" / "+" / "," / "/" / "_" / "=". */
static int
is_delimiter(uint8_t c)
{
	return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' ||
	       c == '_' || c == '=';
}

/* macro-literal = %x21-24 / %x26-7E (§7.1) */
static int
is_macro_literal(uint8_t c)
{
	return c >= 0x21 && c <= 0x7e && c != '%';
}

/* unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 §2.3) */
static int
is_unreserved(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/*
 * macro-letter (§7.1); "c", "r" and "t" only in exp= text (§7.2).  Returns
 * the lower-case letter, or 0 if it is not one.
 */
static uint8_t
macro_letter(uint8_t c, enum spf_macro_kind kind)
{
	uint8_t l = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;

	switch (l) {
	case 's':
	case 'l':
	case 'o':
	case 'd':
	case 'i':
	case 'p':
	case 'h':
	case 'v':
		return l;
	case 'c':
	case 'r':
	case 't':
		return kind == SPF_MACRO_EXPLAIN ? l : 0; /* RFC 7208 §7.2 */
	default:
		return 0;
	}
}

/* One parsed "%{...}" macro-expand. */
struct macro {
	uint8_t letter; /* lower case */
	int upper; /* URL-escape the value (§7.3) */
	size_t digits; /* 0 = all parts */
	int reverse;
	uint8_t delim[8]; /* delimiter set, NUL-free, ndelim entries */
	size_t ndelim;
};

/*
 * Parse the macro-expand at p[0] == '%' (p < end).  Returns the bytes used,
 * 0 on a syntax error.  For "%%", "%_", "%-" m->letter is that character.
 */
static size_t
macro_expand_token(const uint8_t *p, const uint8_t *end,
    enum spf_macro_kind kind, struct macro *m)
{
	const uint8_t *s = p;
	size_t i;

	memset(m, 0, sizeof(*m));
	if (end - p < 2)
		return 0; /* RFC 7208 §7.1: a lone '%' */
	if (p[1] == '%' || p[1] == '_' || p[1] == '-') {
		m->letter = p[1];
		return 2;
	}
	if (p[1] != '{')
		return 0; /* RFC 7208 §7.1 */
	p += 2;
	if (p >= end || (m->letter = macro_letter(*p, kind)) == 0)
		return 0;
	m->upper = *p >= 'A' && *p <= 'Z';
	p++;
	/* transformers = *DIGIT [ "r" ] */
	if (p < end && *p >= '0' && *p <= '9') {
		size_t n = 0;

		while (p < end && *p >= '0' && *p <= '9') {
			/* Saturate: any count above the parts there are
			 * means all parts (§7.3). */
			if (n < VOUCH_SPF_MAX_EXPANSION)
				n = n * 10 + (size_t)(*p - '0');
			p++;
		}
		if (n == 0)
			return 0; /* RFC 7208 §7.3: the value MUST be nonzero */
		m->digits = n;
	}
	if (p < end && (*p == 'r' || *p == 'R')) {
		m->reverse = 1;
		p++;
	}
	while (p < end && is_delimiter(*p)) {
		for (i = 0; i < m->ndelim && m->delim[i] != *p; i++)
			;
		if (i == m->ndelim)
			m->delim[m->ndelim++] = *p; /* at most 7 distinct */
		p++;
	}
	if (p >= end || *p != '}')
		return 0;
	p++;
	return (size_t)(p - s);
}

enum vouch_status
spf_macro_check(
    const uint8_t *p, size_t len, enum spf_macro_kind kind, int *ends_in_macro)
{
	const uint8_t *end = p + len;
	struct macro m;
	size_t n;
	int last = 0;

	while (p < end) {
		if (*p == '%') {
			if ((n = macro_expand_token(p, end, kind, &m)) == 0)
				return VOUCH_ESYNTAX;
			p += n;
			last = 1;
		} else if (is_macro_literal(*p) ||
		           (kind == SPF_MACRO_EXPLAIN && *p == ' ')) {
			p++;
			last = 0;
		} else
			return VOUCH_ESYNTAX; /* RFC 7208 §7.1 */
	}
	if (ends_in_macro != NULL)
		*ends_in_macro = last;
	return VOUCH_OK;
}

/*
 * toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum )   (§7.1)
 * That is: letters, digits and dashes, alphanumeric at both ends, and not
 * all digits.
 */
static int
toplabel(const uint8_t *p, size_t len)
{
	size_t i;
	int alpha = 0, dash = 0;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			alpha = 1;
		else if (c == '-')
			dash = 1;
		else if (!(c >= '0' && c <= '9'))
			return 0;
	}
	if (p[0] == '-' || p[len - 1] == '-')
		return 0;
	return alpha || dash;
}

enum vouch_status
spf_domain_spec_check(const uint8_t *p, size_t len)
{
	size_t i;
	int macro_end;

	if (spf_macro_check(p, len, SPF_MACRO_DOMAIN, &macro_end) != VOUCH_OK)
		return VOUCH_ESYNTAX;
	if (macro_end)
		return VOUCH_OK;
	/* domain-end = "." toplabel [ "." ] (RFC 7208 §7.1) */
	if (len > 0 && p[len - 1] == '.')
		len--;
	for (i = len; i > 0 && p[i - 1] != '.'; i--)
		;
	if (i == 0)
		return VOUCH_ESYNTAX;
	return toplabel(p + i, len - i) ? VOUCH_OK : VOUCH_ESYNTAX;
}

int
spf_name_fit(const uint8_t *p, size_t len, size_t *off, size_t *outlen)
{
	const uint8_t *dot;
	size_t o = 0, i, lab;

	/* A trailing dot MUST be accepted (RFC 7208 §7.3). */
	if (len > 0 && p[len - 1] == '.')
		len--;
	/* RFC 7208 §7.3: cut whole labels on the left down to 253 bytes. */
	while (len - o > VOUCH_DNS_MAX_NAME) {
		for (i = o; i < len && p[i] != '.'; i++)
			;
		if (i == len)
			return -1;
		o = i + 1;
	}
	/* no empty label (a dot first, last or after a dot), none too long */
	if (len - o == 0 || p[len - 1] == '.')
		return -1;
	for (i = o; i < len; i = lab + 1) {
		dot = memchr(p + i, '.', len - i);
		lab = dot != NULL ? (size_t)(dot - p) : len;
		if (lab == i || lab - i > VOUCH_DNS_MAX_LABEL)
			return -1;
	}
	*off = o;
	*outlen = len - o;
	return 0;
}

/* Append bytes, URL-escaped when `esc` (RFC 7208 §7.3). */
static void
emit(struct vbuf *out, const uint8_t *p, size_t n, int esc)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	if (!esc) {
		(void)vbuf_add(out, p, n);
		return;
	}
	/* RFC 7208 §7.3: every byte outside "unreserved" is escaped. */
	for (i = 0; i < n && out->err == VOUCH_OK; i++) {
		if (is_unreserved(p[i]))
			(void)vbuf_addc(out, p[i]);
		else {
			uint8_t e[3] = {'%', (uint8_t)hex[p[i] >> 4],
			    (uint8_t)hex[p[i] & 15]};

			(void)vbuf_add(out, e, 3);
		}
	}
}

static int
in_delims(const struct macro *m, uint8_t c)
{
	size_t i;

	for (i = 0; i < m->ndelim; i++)
		if (m->delim[i] == c)
			return 1;
	return 0;
}

/*
 * Append a value split on the macro's delimiters, reversed and cut to its
 * right-hand parts, rejoined with "." (RFC 7208 §7.3).  Linear in vlen:
 * the start (or, reversed, the end) of the kept parts is found by one scan,
 * then they are copied in order.
 */
static void
emit_transformed(
    struct vbuf *out, const struct macro *m, const uint8_t *v, size_t vlen)
{
	static const uint8_t dot = '.';
	struct macro dm;
	size_t i, start, e, n;

	if (m->ndelim == 0) {
		dm = *m;
		dm.delim[0] = '.';
		dm.ndelim = 1;
		m = &dm;
	}
	if (!m->reverse) {
		/* The last `digits` parts: walk back over that many
		 * delimiters. */
		start = 0;
		if (m->digits > 0) {
			n = 0;
			for (i = vlen; i > 0; i--)
				if (in_delims(m, v[i - 1]) &&
				    ++n == m->digits) {
					start = i;
					break;
				}
		}
		for (i = start; i < vlen && out->err == VOUCH_OK; i++) {
			if (in_delims(m, v[i]))
				emit(out, &dot, 1, m->upper);
			else
				emit(out, v + i, 1, m->upper);
		}
		return;
	}
	/*
	 * Reversed, the right-hand `digits` parts are the first `digits`
	 * parts of the value, in reverse order: find where they end, then
	 * copy parts walking backwards.
	 */
	e = vlen;
	if (m->digits > 0) {
		n = 0;
		for (i = 0; i < vlen; i++)
			if (in_delims(m, v[i]) && ++n == m->digits) {
				e = i;
				break;
			}
	}
	for (;;) {
		for (i = e; i > 0 && !in_delims(m, v[i - 1]); i--)
			;
		emit(out, v + i, e - i, m->upper);
		if (i == 0 || out->err != VOUCH_OK)
			break;
		emit(out, &dot, 1, m->upper);
		e = i - 1;
	}
}

/*
 * A byte in decimal, without leading zeros, at buf (room for 3 bytes);
 * returns the digits written.
 */
static size_t
decimal_u8(uint8_t v, char *buf)
{
	size_t n = 0;

	if (v >= 100)
		buf[n++] = (char)('0' + v / 100);
	if (v >= 10)
		buf[n++] = (char)('0' + v / 10 % 10);
	buf[n++] = (char)('0' + v % 10);
	return n;
}

/*
 * %{i}: dotted quad, or 32 dotted nibbles for IPv6 (§7.3).  The quad is
 * written by hand: snprintf was 270 instructions of every IPv4 fail
 * (the default explanation names the client), and brought all of
 * vfprintf's code into the instruction cache.  cap >= 16.
 */
static size_t
ip_dotted(const struct spf_ip *ip, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;

	if (!ip->v6) {
		for (i = 0; i < 4; i++) {
			n += decimal_u8(ip->a[i], buf + n);
			buf[n++] = '.';
		}
		buf[--n] = '\0'; /* no final dot */
		return n;
	}
	for (i = 0; i < 16 && n + 4 <= cap; i++) {
		buf[n++] = hex[ip->a[i] >> 4];
		buf[n++] = '.';
		buf[n++] = hex[ip->a[i] & 15];
		buf[n++] = '.';
	}
	n--; /* no final dot */
	buf[n] = '\0';
	return n;
}

enum vouch_status
spf_macro_expand(const struct spf_macro_env *env, const uint8_t *p, size_t len,
    enum spf_macro_kind kind, struct vbuf *out)
{
	const uint8_t *end = p + len, *lit;
	struct macro m;
	char tmp[VOUCH_DNS_MAX_NAME + 8];
	const uint8_t *v;
	size_t n, vlen;
	int r;

	while (p < end && out->err == VOUCH_OK) {
		if (*p != '%') {
			/* A run of literal bytes in one append. */
			for (lit = p; p < end && *p != '%'; p++)
				if (!is_macro_literal(*p) &&
				    !(kind == SPF_MACRO_EXPLAIN && *p == ' '))
					return VOUCH_ESYNTAX; /* RFC 7208 §7.1
					                       */
			(void)vbuf_add(out, lit, (size_t)(p - lit));
			continue;
		}
		if ((n = macro_expand_token(p, end, kind, &m)) == 0)
			return VOUCH_ESYNTAX; /* RFC 7208 §7.1 */
		p += n;
		if (env->used != NULL && m.letter >= 'a' && m.letter <= 'z')
			*env->used |= 1u << (m.letter - 'a');
		switch (m.letter) {
		case '%':
			(void)vbuf_addc(out, '%');
			continue;
		case '_':
			(void)vbuf_addc(out, ' ');
			continue;
		case '-':
			(void)vbuf_add(out, "%20", 3);
			continue;
		case 's':
			v = env->sender, vlen = env->sender_len;
			break;
		case 'l':
			v = env->local, vlen = env->local_len;
			break;
		case 'o':
			v = env->sender_domain, vlen = env->sender_domain_len;
			break;
		case 'd':
			v = env->domain, vlen = env->domain_len;
			break;
		case 'h':
			v = env->helo, vlen = env->helo_len;
			break;
		case 'r':
			v = env->receiver, vlen = env->receiver_len;
			if (vlen == 0)
				v = (const uint8_t *)"unknown", vlen = 7;
			break;
		case 'i':
			vlen = ip_dotted(env->ip, tmp, sizeof(tmp));
			v = (const uint8_t *)tmp;
			break;
		case 'c':
			if (!env->ip->v6)
				vlen = ip_dotted(env->ip, tmp, sizeof(tmp));
			else {
				inet_ntop(
				    AF_INET6, env->ip->a, tmp, sizeof(tmp));
				vlen = strlen(tmp); /* our own text */
			}
			v = (const uint8_t *)tmp;
			break;
		case 'v':
			v = (const uint8_t *)(env->ip->v6 ? "ip6" : "in-addr");
			vlen = env->ip->v6 ? 3 : 7;
			break;
		case 't':
			vlen = (size_t)snprintf(
			    tmp, sizeof(tmp), "%lld", (long long)env->now);
			v = (const uint8_t *)tmp;
			break;
		case 'p':
			r = env->p_name != NULL
			        ? env->p_name(env->p_arg, tmp, sizeof(tmp))
			        : -2;
			if (r == -1)
				return VOUCH_ENOMEM;
			if (r < 0) {
				memcpy(tmp, "unknown", 8);
				r = 7;
			}
			v = (const uint8_t *)tmp;
			vlen = (size_t)r;
			break;
		default:
			return VOUCH_ESYNTAX;
		}
		if (v == NULL)
			v = (const uint8_t *)"", vlen = 0;
		if (m.digits == 0 && !m.reverse && m.ndelim == 0)
			emit(out, v, vlen, m.upper);
		else
			emit_transformed(out, &m, v, vlen);
	}
	return out->err;
}
