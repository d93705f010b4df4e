/*
 * The SPF record parser, RFC 7208 §4.5, §4.6.1, §5, §6 and §12 (ABNF).
 * One function per ABNF rule.  The whole record is parsed before any term
 * is evaluated, so a syntax error anywhere gives permerror (§4.6).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int
spf_ip_parse(const char *p, size_t len, struct spf_ip *ip)
{
	static const uint8_t mapped[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	char tmp[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	if (memchr(tmp, '\0', len) != NULL)
		return -1;
	memset(ip, 0, sizeof(*ip));
	if (memchr(tmp, ':', len) == NULL)
		return inet_pton(AF_INET, tmp, ip->a) == 1 ? 0 : -1;
	if (inet_pton(AF_INET6, tmp, ip->a) != 1)
		return -1;
	ip->v6 = 1;
	/* RFC 7208 §5: an IPv4-mapped IPv6 address is treated as IPv4. */
	if (memcmp(ip->a, mapped, 12) == 0) {
		memmove(ip->a, ip->a + 12, 4);
		memset(ip->a + 4, 0, 12);
		ip->v6 = 0;
	}
	return 0;
}

int
spf_ip_match(
    const struct spf_ip *ip, const uint8_t *net, int net_v6, unsigned prefix)
{
	unsigned full = prefix / 8, bits = prefix % 8;
	uint8_t mask;

	if (ip->v6 != net_v6)
		return 0;
	if (memcmp(ip->a, net, full) != 0)
		return 0;
	if (bits == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - bits));
	return (ip->a[full] & mask) == (net[full] & mask);
}

int
spf_record_is_spf1(const uint8_t *p, size_t len)
{
	static const char v[] = "v=spf1";
	size_t i;

	if (len < 6)
		return 0;
	for (i = 0; i < 6; i++) {
		uint8_t c = p[i];

		if (c >= 'A' && c <= 'Z')
			c += 32;
		if (c != (uint8_t)v[i])
			return 0;
	}
	return len == 6 || p[6] == ' '; /* RFC 7208 §4.5 */
}

static int
is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Case-insensitive compare of p/len with a lower-case word. */
static int
word_eq(const uint8_t *p, size_t len, const char *w)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (c >= 'A' && c <= 'Z')
			c += 32;
		if (w[i] == '\0' || c != (uint8_t)w[i])
			return 0;
	}
	return w[len] == '\0';
}

/*
 * ip4-cidr-length = "/" ( "0" / %x31-39 0*1DIGIT ), at most 32;
 * ip6-cidr-length = "/" ( "0" / %x31-39 0*2DIGIT ), at most 128 (§5.6).
 * p/len are the digits after the slash.  0 and *v, or -1.
 */
static int
cidr_length(const uint8_t *p, size_t len, unsigned max, unsigned *v)
{
	size_t i;
	unsigned n = 0;

	if (len == 0 || len > 3 || (p[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (!is_digit(p[i]))
			return -1;
		n = n * 10 + (unsigned)(p[i] - '0');
	}
	if (n > max)
		return -1; /* RFC 7208 §5.6: /33 and /129 are errors */
	*v = n;
	return 0;
}

/*
 * If p/len ends in "/" 1*DIGIT, the offset of that slash; else len.
 */
static size_t
trailing_slash_digits(const uint8_t *p, size_t len)
{
	size_t i = len;

	while (i > 0 && is_digit(p[i - 1]))
		i--;
	if (i == len || i == 0 || p[i - 1] != '/')
		return len;
	return i - 1;
}

/*
 * dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ] at the
 * end of p/len (§5.3, §5.4).  Sets the lengths found and *rest, the bytes
 * before them.  0, or -1 for a malformed length.
 */
static int
dual_cidr_length(const uint8_t *p, size_t len, struct spf_term *t, size_t *rest)
{
	size_t s = trailing_slash_digits(p, len);

	if (s < len && s > 0 && p[s - 1] == '/') {
		if (cidr_length(p + s + 1, len - s - 1, 128, &t->cidr6) != 0)
			return -1;
		len = s - 1;
		s = trailing_slash_digits(p, len);
	}
	if (s < len) {
		if (cidr_length(p + s + 1, len - s - 1, 32, &t->cidr4) != 0)
			return -1;
		len = s;
	}
	*rest = len;
	return 0;
}

/*
 * ip4-network = qnum "." qnum "." qnum "." qnum, no leading zeros (§5.6).
 */
static int
ip4_network(const uint8_t *p, size_t len, uint8_t *out)
{
	size_t i = 0, part, start;
	unsigned n;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || p[i] != '.')
				return -1;
			i++;
		}
		start = i;
		n = 0;
		while (i < len && is_digit(p[i]) && i - start < 3)
			n = n * 10 + (unsigned)(p[i++] - '0');
		if (i == start || n > 255 || (p[start] == '0' && i - start > 1))
			return -1;
		out[part] = (uint8_t)n;
	}
	return i == len ? 0 : -1;
}

/* ip6-network = <as per RFC 4291 §2.2> (§5.6) */
static int
ip6_network(const uint8_t *p, size_t len, uint8_t *out)
{
	char tmp[INET6_ADDRSTRLEN];
	size_t i;

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	for (i = 0; i < len; i++)
		if (!(is_digit(p[i]) || (p[i] >= 'a' && p[i] <= 'f') ||
		        (p[i] >= 'A' && p[i] <= 'F') || p[i] == ':' ||
		        p[i] == '.'))
			return -1;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	return inet_pton(AF_INET6, tmp, out) == 1 ? 0 : -1;
}

/* ":" domain-spec, required (include, exists) or optional (a, mx, ptr). */
static int
colon_domain_spec(const uint8_t *p, size_t len, struct spf_term *t)
{
	if (len == 0 || p[0] != ':')
		return -1;
	if (len == 1)
		return -1; /* an empty domain-spec is not one (§7.1) */
	if (spf_domain_spec_check(p + 1, len - 1) != VOUCH_OK)
		return -1;
	t->domain = p + 1;
	t->domain_len = len - 1;
	return 0;
}

/*
 * mechanism = ( all / include / a / mx / ptr / ip4 / ip6 / exists )
 * (§5): p/len is what follows the mechanism name.
 */
static const char *
mechanism_args(struct spf_term *t, const uint8_t *p, size_t len)
{
	size_t rest, i;

	switch (t->mech) {
	case SPF_M_ALL:
		return len == 0 ? NULL : "junk after \"all\""; /* §5.1 */
	case SPF_M_INCLUDE:
	case SPF_M_EXISTS:
		return colon_domain_spec(p, len, t) == 0
		           ? NULL
		           : "missing or bad domain-spec"; /* §5.2, §5.7 */
	case SPF_M_PTR:
		if (len == 0)
			return NULL;
		return colon_domain_spec(p, len, t) == 0
		           ? NULL
		           : "bad domain-spec"; /* §5.5 */
	case SPF_M_A:
	case SPF_M_MX:
		/* [ ":" domain-spec ] [ dual-cidr-length ] (§5.3, §5.4) */
		if (dual_cidr_length(p, len, t, &rest) != 0)
			return "bad CIDR length";
		if (rest == 0)
			return NULL;
		return colon_domain_spec(p, rest, t) == 0 ? NULL
		                                          : "bad domain-spec";
	case SPF_M_IP4:
		/* "ip4" ":" ip4-network [ ip4-cidr-length ] (§5.6) */
		if (len == 0 || p[0] != ':')
			return "missing address";
		for (i = 1; i < len && p[i] != '/'; i++)
			;
		if (ip4_network(p + 1, i - 1, t->addr) != 0)
			return "bad IPv4 network";
		if (i < len &&
		    cidr_length(p + i + 1, len - i - 1, 32, &t->cidr4) != 0)
			return "bad CIDR length";
		return NULL;
	case SPF_M_IP6:
		if (len == 0 || p[0] != ':')
			return "missing address";
		for (i = 1; i < len && p[i] != '/'; i++)
			;
		if (ip6_network(p + 1, i - 1, t->addr) != 0)
			return "bad IPv6 network";
		if (i < len &&
		    cidr_length(p + i + 1, len - i - 1, 128, &t->cidr6) != 0)
			return "bad CIDR length";
		return NULL;
	}
	return "unknown mechanism";
}

static const struct {
	const char *name;
	enum spf_mech mech;
} mechanisms[] = {
    {"all", SPF_M_ALL},
    {"include", SPF_M_INCLUDE},
    {"a", SPF_M_A},
    {"mx", SPF_M_MX},
    {"ptr", SPF_M_PTR},
    {"ip4", SPF_M_IP4},
    {"ip6", SPF_M_IP6},
    {"exists", SPF_M_EXISTS},
};

/* directive = [ qualifier ] mechanism (§4.6.1) */
static const char *
directive(struct spf_term *t, const uint8_t *p, size_t len)
{
	const uint8_t *s = p, *end = p + len;
	size_t i, n;

	memset(t, 0, sizeof(*t));
	t->text = p;
	t->len = len;
	t->qualifier = '+';
	t->cidr4 = 32;
	t->cidr6 = 128;
	if (p < end && (*p == '+' || *p == '-' || *p == '~' || *p == '?'))
		t->qualifier = (char)*p++;
	s = p;
	while (p < end && (is_alpha(*p) || is_digit(*p)))
		p++;
	n = (size_t)(p - s);
	for (i = 0; i < sizeof(mechanisms) / sizeof(mechanisms[0]); i++)
		if (word_eq(s, n, mechanisms[i].name))
			break;
	if (i == sizeof(mechanisms) / sizeof(mechanisms[0]))
		return "unknown mechanism"; /* RFC 7208 §4.6.1 */
	t->mech = mechanisms[i].mech;
	return mechanism_args(t, p, (size_t)(end - p));
}

/*
 * modifier = redirect / explanation / unknown-modifier (§6, §12); name is
 * p/nlen, the value follows the "=".  Returns NULL or the reason.
 */
static const char *
modifier(struct spf_record *rec, const uint8_t *p, size_t nlen,
    const uint8_t *v, size_t vlen)
{
	if (word_eq(p, nlen, "redirect")) {
		if (rec->redirect != NULL)
			return "redirect= twice"; /* RFC 7208 §6 */
		if (vlen == 0 || spf_domain_spec_check(v, vlen) != VOUCH_OK)
			return "bad redirect= domain-spec"; /* §6.1 */
		rec->redirect = v;
		rec->redirect_len = vlen;
		return NULL;
	}
	if (word_eq(p, nlen, "exp")) {
		if (rec->exp != NULL)
			return "exp= twice"; /* RFC 7208 §6 */
		if (vlen == 0 || spf_domain_spec_check(v, vlen) != VOUCH_OK)
			return "bad exp= domain-spec"; /* §6.2 */
		rec->exp = v;
		rec->exp_len = vlen;
		return NULL;
	}
	/* unknown-modifier = name "=" macro-string: ignored, but its macro
	 * syntax must be valid (§6, §12). */
	if (spf_macro_check(v, vlen, SPF_MACRO_EXPLAIN, NULL) != VOUCH_OK)
		return "bad macro in modifier";
	return NULL;
}

/* Make room for one more term. */
static enum vouch_status
grow(struct spf_record *rec)
{
	struct spf_term *nt;
	size_t ncap;

	if (rec->nterms < rec->cap)
		return VOUCH_OK;
	ncap = rec->cap ? rec->cap * 2 : 16;
	nt = realloc(rec->terms, ncap * sizeof(*nt));
	if (nt == NULL)
		return VOUCH_ENOMEM;
	rec->terms = nt;
	rec->cap = ncap;
	return VOUCH_OK;
}

/* term = directive / modifier (§4.6.1) */
static const char *
term(
    struct spf_record *rec, const uint8_t *p, size_t len, enum vouch_status *st)
{
	const char *why;
	size_t i;

	/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) then "=" */
	if (len > 0 && is_alpha(p[0])) {
		for (i = 1;
		     i < len && (is_alpha(p[i]) || is_digit(p[i]) ||
		                    p[i] == '-' || p[i] == '_' || p[i] == '.');
		     i++)
			;
		if (i < len && p[i] == '=')
			return modifier(rec, p, i, p + i + 1, len - i - 1);
	}
	if ((*st = grow(rec)) != VOUCH_OK)
		return "out of memory";
	if ((why = directive(&rec->terms[rec->nterms], p, len)) != NULL)
		return why;
	rec->nterms++;
	return NULL;
}

enum vouch_status
spf_record_parse(struct spf_record *rec, const uint8_t *p, size_t len,
    const char **reason, size_t *where)
{
	const uint8_t *s = p, *end = p + len, *t;
	enum vouch_status st = VOUCH_OK;
	const char *why;

	rec->nterms = 0;
	rec->redirect = rec->exp = NULL;
	rec->redirect_len = rec->exp_len = 0;
	if (!spf_record_is_spf1(p, len)) {
		*reason = "not a v=spf1 record";
		*where = 0;
		return VOUCH_ESYNTAX;
	}
	p += 6;
	/* record = version terms *SP; terms = *( 1*SP ( directive /
	 * modifier ) ) (§4.6.1).  Only SP separates terms. */
	while (p < end) {
		if (*p == ' ') {
			p++;
			continue;
		}
		for (t = p; p < end && *p != ' '; p++)
			;
		if ((why = term(rec, t, (size_t)(p - t), &st)) != NULL) {
			*reason = why;
			*where = (size_t)(t - s);
			return st != VOUCH_OK ? st : VOUCH_ESYNTAX;
		}
	}
	return VOUCH_OK;
}

void
spf_record_free(struct spf_record *rec)
{
	free(rec->terms);
	memset(rec, 0, sizeof(*rec));
}
