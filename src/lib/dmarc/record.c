/*
 * DMARC Policy Record parser: RFC 9989 §4.7-4.8, with the RFC 7489 §6.3
 * tags (pct, rf, ri) read too.  One pass over the tag list; values are
 * checked against the ABNF of each tag.
 */
#include <stdlib.h>
#include <string.h>

#include "dmarc/internal.h"

static int
is_wsp(uint8_t ch)
{
	/* WSP of the ABNF; CR and LF are tolerated where a record was
	 * published with line breaks in it. */
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static int
lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

/* Compares a value with a word, without case (ABNF strings, RFC 5234 §2.3). */
static int
word_is(const uint8_t *p, size_t len, const char *w)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (w[i] == '\0' || lower(p[i]) != w[i])
			return 0;
	return w[i] == '\0';
}

/* dmarc-request = "none" / "quarantine" / "reject" */
static enum vouch_dmarc_policy
request(const uint8_t *p, size_t len)
{
	if (word_is(p, len, "none"))
		return VOUCH_DMARC_POLICY_NONE;
	if (word_is(p, len, "quarantine"))
		return VOUCH_DMARC_POLICY_QUARANTINE;
	if (word_is(p, len, "reject"))
		return VOUCH_DMARC_POLICY_REJECT;
	return VOUCH_DMARC_POLICY_UNSET;
}

/* Unsigned decimal with at most `maxdigits` digits into *out. */
static int
number(const uint8_t *p, size_t len, size_t maxdigits, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > maxdigits)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * dmarc-fo = ("0" / "1") *(":" dmarc-afrf) / ...: a colon-separated list of
 * 0, 1, d, s, where 0 and 1 exclude each other and none repeats
 * (RFC 9989 §4.8).
 */
static int
fo(const uint8_t *p, size_t len, unsigned *out)
{
	unsigned v = 0, bit;
	size_t i = 0;

	for (;;) {
		while (i < len && is_wsp(p[i]))
			i++;
		if (i == len)
			return -1;
		switch (lower(p[i])) {
		case '0':
			bit = VOUCH_DMARC_FO_0;
			break;
		case '1':
			bit = VOUCH_DMARC_FO_1;
			break;
		case 'd':
			bit = VOUCH_DMARC_FO_D;
			break;
		case 's':
			bit = VOUCH_DMARC_FO_S;
			break;
		default:
			return -1;
		}
		if (v & bit)
			return -1;
		v |= bit;
		i++;
		while (i < len && is_wsp(p[i]))
			i++;
		if (i == len)
			break;
		if (p[i] != ':')
			return -1;
		i++;
	}
	if ((v & VOUCH_DMARC_FO_0) && (v & VOUCH_DMARC_FO_1))
		return -1;
	*out = v;
	return 0;
}

/* rf = Keyword *(":" Keyword) (RFC 7489 §6.4); only "afrf" is known. */
static int
rf(const uint8_t *p, size_t len, int *afrf)
{
	size_t i = 0, s;

	*afrf = 0;
	while (i <= len) {
		s = i;
		while (i < len && p[i] != ':')
			i++;
		while (s < i && is_wsp(p[s]))
			s++;
		if (s == i)
			return -1;
		if (word_is(p + s, i - s, "afrf"))
			*afrf = 1;
		i++;
	}
	return 0;
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )  (RFC 3986 §3.1) */
static size_t
scheme_len(const uint8_t *p, size_t len)
{
	size_t i;

	if (len == 0 || !((lower(p[0]) >= 'a' && lower(p[0]) <= 'z')))
		return 0;
	for (i = 1; i < len; i++) {
		int ch = lower(p[i]);

		if (ch == ':')
			return i;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		        ch == '+' || ch == '-' || ch == '.'))
			return 0;
	}
	return 0;
}

/*
 * The destination host of a URI: for mailto the domain after the last "@"
 * of the first address (RFC 6068 §2), otherwise the host of the authority
 * component (RFC 3986 §3.2.2).  Written lower case into out.
 */
static void
uri_host(const char *uri, size_t len, size_t slen, char *out, size_t outlen)
{
	const char *p = uri + slen + 1, *end = uri + len, *h = NULL, *q;
	size_t n = 0;

	out[0] = '\0';
	if (slen == 6 && word_is((const uint8_t *)uri, 6, "mailto")) {
		for (q = p; q < end && *q != '?' && *q != ','; q++)
			if (*q == '@')
				h = q + 1;
		end = q;
	} else if (end - p >= 2 && p[0] == '/' && p[1] == '/') {
		h = p + 2;
		for (q = h; q < end && *q != '/' && *q != '?' && *q != '#'; q++)
			if (*q == '@')
				h = q + 1;
		end = q;
		for (q = h; q < end; q++)
			if (*q == ':') {
				end = q;
				break;
			}
	}
	if (h == NULL)
		return;
	while (h < end && n + 1 < outlen)
		out[n++] = (char)lower((unsigned char)*h++);
	out[n] = '\0';
}

/*
 * dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]  (RFC 7489
 * §6.4; obs-dmarc-report-size in RFC 9989 §4.8).  Returns 0 and fills *u,
 * or -1 when the URI is not valid.  The URI text is copied to *bufp.
 */
static int
dmarc_uri(const uint8_t *p, size_t len, struct vouch_dmarc_uri *u, char **bufp)
{
	const uint8_t *bang = memchr(p, '!', len);
	size_t ulen = bang ? (size_t)(bang - p) : len, slen, i;
	uint64_t size = 0, mult = 1;
	char *b = *bufp;

	if ((slen = scheme_len(p, ulen)) == 0 || slen + 1 >= ulen)
		return -1;
	for (i = 0; i < ulen; i++)
		if (p[i] <= ' ' || p[i] >= 0x7f)
			return -1; /* RFC 3986 has no raw space, control, 8-bit
			            */
	if (bang != NULL) {
		const uint8_t *s = bang + 1, *end = p + len;
		size_t nd = 0;

		while (s + nd < end && s[nd] >= '0' && s[nd] <= '9')
			nd++;
		if (nd == 0 || nd > 20 || s + nd + 1 < end)
			return -1;
		if (s + nd < end) {
			switch (lower(s[nd])) {
			case 'k':
				mult = 1ull << 10;
				break;
			case 'm':
				mult = 1ull << 20;
				break;
			case 'g':
				mult = 1ull << 30;
				break;
			case 't':
				mult = 1ull << 40;
				break;
			default:
				return -1;
			}
		}
		for (i = 0; i < nd; i++) {
			/* "the numeric portion MUST fit within an unsigned
			 * 64-bit integer" (RFC 7489 §6.4) */
			if (size > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
				return -1;
			size = size * 10 + (uint64_t)(s[i] - '0');
		}
		if (size > UINT64_MAX / mult)
			return -1;
		size *= mult;
	}
	memcpy(b, p, ulen);
	b[ulen] = '\0';
	u->uri = b;
	u->max_size = size;
	b += ulen + 1;
	uri_host(u->uri, ulen, slen, b, VOUCH_DNS_MAX_NAME + 1);
	u->host = b;
	b += strlen(b) + 1;
	u->external = 0;
	u->kept = 0;
	u->tempfail = 0;
	u->override = NULL;
	*bufp = b;
	return 0;
}

/* dmarc-urilist = dmarc-uri *(*WSP "," *WSP dmarc-uri) */
static int
urilist(struct vouch_dmarc_record *rec, const uint8_t *p, size_t len,
    struct vouch_dmarc_uri *list, size_t *n, char **bufp)
{
	size_t i = 0, s, e, good = 0;

	while (i <= len) {
		s = i;
		while (i < len && p[i] != ',')
			i++;
		e = i;
		while (s < e && is_wsp(p[s]))
			s++;
		while (e > s && is_wsp(p[e - 1]))
			e--;
		if (*n < VOUCH_DMARC_MAX_URIS &&
		    dmarc_uri(p + s, e - s, &list[*n], bufp) == 0) {
			(*n)++;
			good++;
		} else
			rec->nuris_dropped++;
		i++;
	}
	return good > 0 ? 0 : -1;
}

void
vouch_dmarc_record_free(struct vouch_dmarc_record *rec)
{
	size_t i;

	if (rec == NULL)
		return;
	for (i = 0; i < rec->nrua && i < VOUCH_DMARC_MAX_URIS; i++)
		free(rec->rua[i].override);
	for (i = 0; i < rec->nruf && i < VOUCH_DMARC_MAX_URIS; i++)
		free(rec->ruf[i].override);
	free(rec->buf);
	memset(rec, 0, sizeof(*rec));
}

static void
record_defaults(struct vouch_dmarc_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->adkim = VOUCH_DMARC_RELAXED;
	rec->aspf = VOUCH_DMARC_RELAXED;
	rec->pct = 100;
	rec->rf_afrf = 1;
	rec->ri = 86400;
}

/* Tags seen, so that the first of a repeated tag wins. */
enum {
	SEEN_P = 1 << 0,
	SEEN_SP = 1 << 1,
	SEEN_NP = 1 << 2,
	SEEN_ADKIM = 1 << 3,
	SEEN_ASPF = 1 << 4,
	SEEN_FO = 1 << 5,
	SEEN_RUA = 1 << 6,
	SEEN_RUF = 1 << 7,
	SEEN_T = 1 << 8,
	SEEN_PSD = 1 << 9,
	SEEN_PCT = 1 << 10,
	SEEN_RF = 1 << 11,
	SEEN_RI = 1 << 12
};

static void
tag(struct vouch_dmarc_record *rec, const uint8_t *n, size_t nlen,
    const uint8_t *v, size_t vlen, unsigned *seen, char **bufp)
{
	uint64_t num;
	unsigned bit;

#define ONCE(b) \
	do { \
		if (*seen & (b)) \
			return; \
		*seen |= (b); \
	} while (0)

	if (word_is(n, nlen, "p")) {
		ONCE(SEEN_P);
		if ((rec->p = request(v, vlen)) == VOUCH_DMARC_POLICY_UNSET)
			rec->invalid |= VOUCH_DMARC_BAD_P;
	} else if (word_is(n, nlen, "sp")) {
		ONCE(SEEN_SP);
		if ((rec->sp = request(v, vlen)) == VOUCH_DMARC_POLICY_UNSET)
			rec->invalid |= VOUCH_DMARC_BAD_SP;
	} else if (word_is(n, nlen, "np")) {
		ONCE(SEEN_NP);
		if ((rec->np = request(v, vlen)) == VOUCH_DMARC_POLICY_UNSET)
			rec->invalid |= VOUCH_DMARC_BAD_NP;
	} else if (word_is(n, nlen, "adkim") || word_is(n, nlen, "aspf")) {
		int dkim = nlen == 5;
		enum vouch_dmarc_alignment *a = dkim ? &rec->adkim : &rec->aspf;

		ONCE(dkim ? SEEN_ADKIM : SEEN_ASPF);
		bit = dkim ? VOUCH_DMARC_BAD_ADKIM : VOUCH_DMARC_BAD_ASPF;
		if (word_is(v, vlen, "r"))
			*a = VOUCH_DMARC_RELAXED;
		else if (word_is(v, vlen, "s"))
			*a = VOUCH_DMARC_STRICT;
		else
			rec->invalid |= bit;
	} else if (word_is(n, nlen, "fo")) {
		ONCE(SEEN_FO);
		if (fo(v, vlen, &rec->fo) < 0)
			rec->invalid |= VOUCH_DMARC_BAD_FO;
	} else if (word_is(n, nlen, "rua")) {
		ONCE(SEEN_RUA);
		if (urilist(rec, v, vlen, rec->rua, &rec->nrua, bufp) < 0)
			rec->invalid |= VOUCH_DMARC_BAD_RUA;
	} else if (word_is(n, nlen, "ruf")) {
		ONCE(SEEN_RUF);
		if (urilist(rec, v, vlen, rec->ruf, &rec->nruf, bufp) < 0)
			rec->invalid |= VOUCH_DMARC_BAD_RUF;
	} else if (word_is(n, nlen, "t")) {
		ONCE(SEEN_T);
		if (word_is(v, vlen, "y"))
			rec->testing = 1;
		else if (!word_is(v, vlen, "n"))
			rec->invalid |= VOUCH_DMARC_BAD_T;
	} else if (word_is(n, nlen, "psd")) {
		ONCE(SEEN_PSD);
		if (word_is(v, vlen, "y"))
			rec->psd = VOUCH_DMARC_PSD_YES;
		else if (word_is(v, vlen, "n"))
			rec->psd = VOUCH_DMARC_PSD_NO;
		else if (!word_is(v, vlen, "u"))
			rec->invalid |= VOUCH_DMARC_BAD_PSD;
	} else if (word_is(n, nlen, "pct")) {
		/* pct = 1*3DIGIT, 0..100 (RFC 7489 §6.3) */
		ONCE(SEEN_PCT);
		if (number(v, vlen, 3, &num) < 0 || num > 100)
			rec->invalid |= VOUCH_DMARC_BAD_PCT;
		else
			rec->pct = (unsigned)num;
	} else if (word_is(n, nlen, "rf")) {
		ONCE(SEEN_RF);
		if (rf(v, vlen, &rec->rf_afrf) < 0) {
			rec->invalid |= VOUCH_DMARC_BAD_RF;
			rec->rf_afrf = 1;
		}
	} else if (word_is(n, nlen, "ri")) {
		/* ri = 1*DIGIT, a 32-bit unsigned integer (RFC 7489 §6.3) */
		ONCE(SEEN_RI);
		if (number(v, vlen, 10, &num) < 0 || num > UINT32_MAX)
			rec->invalid |= VOUCH_DMARC_BAD_RI;
		else
			rec->ri = (uint32_t)num;
	}
	/* Unknown tags MUST be ignored (RFC 9989 §4.7). */
#undef ONCE
}

/*
 * The bytes of a record's buf for a text of len bytes: the text, then each
 * URI and its host, NUL-ended.  At most 2 * VOUCH_DMARC_MAX_URIS URIs are
 * stored, each a piece of its own of the text (so all of them together
 * are at most len bytes), each host a piece of its URI of at most
 * VOUCH_DNS_MAX_NAME bytes.  Both bounds hold; the smaller is taken (a
 * usual record's buf then fits the allocator's small sizes, where the
 * bound by VOUCH_DNS_MAX_NAME alone asked 8 KiB for every record).
 */
static size_t
record_cap(size_t len)
{
	size_t nuls = 2 * 2 * VOUCH_DMARC_MAX_URIS;
	size_t by_text = len + 1 + 2 * len + nuls;
	size_t by_name =
	    2 * len + 2 + 2 * VOUCH_DMARC_MAX_URIS * (VOUCH_DNS_MAX_NAME + 2);

	return by_text < by_name ? by_text : by_name;
}

enum vouch_status
dmarc_record_copy(
    struct vouch_dmarc_record *dst, const struct vouch_dmarc_record *src)
{
	size_t used = src->textlen + 1, i, end;

	*dst = *src;
	dst->buf = NULL;
	for (i = 0; i < dst->nrua; i++)
		dst->rua[i].override = NULL;
	for (i = 0; i < dst->nruf; i++)
		dst->ruf[i].override = NULL;
	if (src->buf == NULL)
		return VOUCH_OK;
	/* every string lies in buf: its used part, at the same offsets */
	for (i = 0; i < src->nrua + src->nruf; i++) {
		const struct vouch_dmarc_uri *u =
		    i < src->nrua ? &src->rua[i] : &src->ruf[i - src->nrua];

		end = (size_t)(u->host - src->buf) + strlen(u->host) + 1;
		if (end > used)
			used = end;
	}
	if ((dst->buf = malloc(used)) == NULL) {
		vouch_dmarc_record_free(dst);
		return VOUCH_ENOMEM;
	}
	memcpy(dst->buf, src->buf, used);
	dst->text = dst->buf;
	for (i = 0; i < dst->nrua; i++) {
		dst->rua[i].uri = dst->buf + (src->rua[i].uri - src->buf);
		dst->rua[i].host = dst->buf + (src->rua[i].host - src->buf);
	}
	for (i = 0; i < dst->nruf; i++) {
		dst->ruf[i].uri = dst->buf + (src->ruf[i].uri - src->buf);
		dst->ruf[i].host = dst->buf + (src->ruf[i].host - src->buf);
	}
	for (i = 0; i < src->nrua; i++)
		if (src->rua[i].override != NULL &&
		    (dst->rua[i].override = strdup(src->rua[i].override)) ==
		        NULL)
			goto nomem;
	for (i = 0; i < src->nruf; i++)
		if (src->ruf[i].override != NULL &&
		    (dst->ruf[i].override = strdup(src->ruf[i].override)) ==
		        NULL)
			goto nomem;
	return VOUCH_OK;
nomem:
	vouch_dmarc_record_free(dst);
	return VOUCH_ENOMEM;
}

enum vouch_status
vouch_dmarc_record_parse(
    const uint8_t *p, size_t len, struct vouch_dmarc_record *rec)
{
	size_t i, s, e, eq, ns, ne, vs, ve, cap;
	unsigned seen = 0;
	char *b;

	if (rec == NULL)
		return VOUCH_EINVAL;
	record_defaults(rec);
	if (p == NULL && len > 0)
		return VOUCH_EINVAL;
	if (len > VOUCH_DNS_MAX_TXT)
		return VOUCH_ELIMIT;
	/*
	 * dmarc-version = "v" equals %s"DMARC1": the first tag, case
	 * sensitive, else "the entire record MUST be ignored" (RFC 9989 §4.7,
	 * RFC 7489 §6.3).
	 */
	i = 0;
	while (i < len && is_wsp(p[i]))
		i++;
	if (i == len || p[i] != 'v')
		return VOUCH_ESYNTAX;
	i++;
	while (i < len && is_wsp(p[i]))
		i++;
	if (i == len || p[i] != '=')
		return VOUCH_ESYNTAX;
	i++;
	while (i < len && is_wsp(p[i]))
		i++;
	if (len - i < 6 || memcmp(p + i, "DMARC1", 6) != 0)
		return VOUCH_ESYNTAX;
	i += 6;
	while (i < len && is_wsp(p[i]))
		i++;
	if (i < len && p[i] != ';')
		return VOUCH_ESYNTAX;

	cap = record_cap(len);
	if ((rec->buf = malloc(cap)) == NULL)
		return VOUCH_ENOMEM;
	memcpy(rec->buf, p, len);
	rec->buf[len] = '\0';
	rec->text = rec->buf;
	rec->textlen = len;
	b = rec->buf + len + 1;

	/* dmarc-record = dmarc-version *(dmarc-sep dmarc-tag) [dmarc-sep] */
	while (i < len) {
		i++; /* ";" */
		s = i;
		while (i < len && p[i] != ';')
			i++;
		e = i;
		while (s < e && is_wsp(p[s]))
			s++;
		while (e > s && is_wsp(p[e - 1]))
			e--;
		if (s == e)
			continue; /* an empty term, "; ;" */
		/* dmarc-tag = 1*ALPHA equals 1*dmarc-value */
		for (eq = s; eq < e && p[eq] != '='; eq++)
			;
		ns = s;
		ne = eq;
		while (ne > ns && is_wsp(p[ne - 1]))
			ne--;
		vs = eq + 1;
		while (vs < e && is_wsp(p[vs]))
			vs++;
		ve = e;
		if (eq == e || ne == ns || vs >= ve) {
			rec->invalid |= VOUCH_DMARC_BAD_SYNTAX;
			continue;
		}
		for (eq = ns; eq < ne; eq++)
			if (!(lower(p[eq]) >= 'a' && lower(p[eq]) <= 'z'))
				break;
		if (eq != ne) {
			rec->invalid |= VOUCH_DMARC_BAD_SYNTAX;
			continue;
		}
		tag(rec, p + ns, ne - ns, p + vs, ve - vs, &seen, &b);
	}
	/* p absent: "does not contain a valid p tag" (RFC 9989 §4.10.1) */
	if (!(seen & SEEN_P))
		rec->invalid |= VOUCH_DMARC_BAD_P;
	return VOUCH_OK;
}
