/*
 * The Authentication-Results fields of a header section: parse them all,
 * and, for forgery protection (RFC 8601 §5), find those that claim our
 * authserv-id, as byte ranges, and copy a header section without them.
 *
 * The header scanner here knows only what it needs: a field is a line and
 * its continuation lines (RFC 5322 §2.2.3), the header ends at the first
 * empty line (§2.1).  Only the authserv-id of a field is read, so a forged
 * field whose results do not parse is found all the same.
 */
#include <stdlib.h>
#include <string.h>

#include "vouch/authres.h"
#include "vouch/limits.h"
#include "internal.h"

/*
 * Called for each Authentication-Results field: its byte range in the
 * header and its body (after the colon, line end included).  In forgery
 * mode (see scan) the field may be any field that hides one of ours, and
 * body is that one's.
 */
typedef enum vouch_status (*field_fn)(
    void *arg, size_t off, size_t len, const uint8_t *body, size_t blen);

/* Is the field starting at p (up to end) named Authentication-Results? */
static int
is_authres(const uint8_t *p, const uint8_t *end, const uint8_t **body)
{
	size_t i;

	if ((size_t)(end - p) < AR_FIELD_NAME_LEN)
		return 0;
	for (i = 0; i < AR_FIELD_NAME_LEN; i++)
		if (ar_lower(p[i]) != ar_lower((uint8_t)AR_FIELD_NAME[i]))
			return 0;
	p += AR_FIELD_NAME_LEN;
	/* RFC 5322 §4.5: obsolete syntax allows WSP before the colon */
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end || *p != ':')
		return 0;
	*body = p + 1;
	return 1;
}

/*
 * Compares an authserv-id as read (p/len) with ours: without regard to
 * ASCII case (RFC 8601 §2.5 ids are domain names in practice, which DNS
 * compares so), white space around it and one final dot ignored, as a
 * lenient reader might.
 */
static int
same_id(const uint8_t *p, size_t len, const char *id, size_t id_len)
{
	size_t i;

	while (len > 0 && (p[0] == ' ' || p[0] == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len > 0 && p[len - 1] == '.')
		len--;
	if (id_len > 0 && id[id_len - 1] == '.')
		id_len--;
	if (len != id_len)
		return 0;
	for (i = 0; i < len; i++)
		if (ar_lower(p[i]) != ar_lower((uint8_t)id[i]))
			return 0;
	return 1;
}

/*
 * Skips CFWS (RFC 5322 §3.2.2) at *pp: white space, line ends, comments
 * nested to any depth (counted, not recursed).  Returns -1 when a comment
 * does not end.
 */
static int
skip_cfws(const uint8_t **pp, const uint8_t *end)
{
	const uint8_t *p = *pp;
	size_t depth;

	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			p++;
			continue;
		}
		if (*p != '(')
			break;
		for (depth = 0; p < end; p++) {
			if (*p == '\\' && end - p > 1)
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0)
				break;
		}
		if (p >= end)
			return -1;
		p++;
	}
	*pp = p;
	return 0;
}

/* RFC 5322 §3.2.3 atext, ASCII: what a dot-atom reader takes. */
static int
is_dot_atext(uint8_t c)
{
	return c == '.' || ar_is_atext(c);
}

/*
 * Does the field body claim our authserv-id, or might it (RFC 8601 §5:
 * "MUST ... delete" such fields; what cannot be ruled out is deleted,
 * doc/threat-model.md class 5)?  The id is read as readers read it: a
 * quoted-string unquoted; a MIME token (RFC 2045 §5.1, with UTF-8, as
 * vouch_authres_parse reads it); and a dot-atom (RFC 5322 §3.2.3, as
 * python3-authres reads it).  Any reading equal to ours is ours.  A body
 * whose id cannot be read at all -- an unterminated comment, nothing
 * before the ';', a byte no reading takes -- is taken for ours too.
 */
static int
is_ours(const uint8_t *body, size_t blen, const char *id, size_t id_len)
{
	const uint8_t *p = body, *end = body + blen, *q;
	uint8_t buf[VOUCH_AUTHRES_MAX_ID + 2];
	size_t n = 0;

	if (skip_cfws(&p, end) < 0 || p >= end)
		return 1;
	if (*p == '"') {
		for (q = p + 1; q < end && *q != '"'; q++) {
			if (*q == '\\' && end - q > 1)
				q++;
			if (*q == '\r' || *q == '\n')
				continue; /* folding is not part of it */
			if (n < sizeof(buf))
				buf[n] = *q;
			n++;
		}
		if (q >= end)
			return 1; /* unterminated: unreadable */
		return n <= sizeof(buf) && same_id(buf, n, id, id_len);
	}
	for (q = p; q < end && (ar_is_tchar(*q) || *q >= 0x80); q++)
		;
	if (q > p && same_id(p, (size_t)(q - p), id, id_len))
		return 1;
	for (n = 0, q = p; q < end && is_dot_atext(*q); q++)
		n++;
	if (n > 0 && same_id(p, n, id, id_len))
		return 1;
	/* neither reading took a byte: there is no id to rule out */
	return n == 0 && q == p && !(ar_is_tchar(*p) || *p >= 0x80);
}

/*
 * Is the field [p, q) one of ours, or does it hide one?  Its own name and
 * id, and those of every "line" that a CR without LF starts inside it:
 * RFC 5322 §2.2 allows CR only in CRLF, but readers such as Python's email
 * package end a line at a lone CR, and would read the text after it as a
 * field of its own.  *body is set to the body of the one found.
 */
static int
hides_ours(const uint8_t *p, const uint8_t *q, const char *id, size_t id_len,
    const uint8_t **body)
{
	const uint8_t *r;

	if (is_authres(p, q, body) &&
	    is_ours(*body, (size_t)(q - *body), id, id_len))
		return 1;
	/* each CR in turn (memchr: this runs over every field received) */
	for (r = p; r + 1 < q; r++) {
		if ((r = memchr(r, '\r', (size_t)(q - 1 - r))) == NULL)
			break;
		if (r[1] == '\n' || r[1] == ' ' || r[1] == '\t')
			continue;
		if (is_authres(r + 1, q, body) &&
		    is_ours(*body, (size_t)(q - *body), id, id_len))
			return 1;
	}
	return 0;
}

/*
 * Calls fn for each Authentication-Results field, in header order.  With
 * an id (forgery mode), for each field that claims it or hides one that
 * does (hides_ours), and without a limit on the number of fields (the
 * sender chooses it; the bytes are bounded); otherwise for each field
 * named Authentication-Results, at most VOUCH_MAX_HEADER_FIELDS fields.
 */
static enum vouch_status
scan(const uint8_t *header, size_t len, const char *id, size_t id_len,
    field_fn fn, void *arg)
{
	const uint8_t *p = header, *end = header + len, *q, *nl, *body;
	size_t nfields = 0;
	enum vouch_status st;
	int hit;

	if (len > VOUCH_MAX_HEADER_BYTES)
		return VOUCH_ELIMIT;
	/* every round moves p past at least one line end or to end */
	while (p < end) {
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			break; /* RFC 5322 §2.1: the empty line ends the header
			        */
		if (id == NULL && ++nfields > VOUCH_MAX_HEADER_FIELDS)
			return VOUCH_ELIMIT;
		q = p;
		for (;;) {
			if ((nl = memchr(q, '\n', (size_t)(end - q))) == NULL) {
				q = end;
				break;
			}
			q = nl + 1;
			/* RFC 5322 §2.2.3: a line starting with WSP continues
			 */
			if (q >= end || (*q != ' ' && *q != '\t'))
				break;
		}
		hit = id != NULL ? hides_ours(p, q, id, id_len, &body)
		                 : is_authres(p, q, &body);
		if (hit) {
			st = fn(arg, (size_t)(p - header), (size_t)(q - p),
			    body, (size_t)(q - body));
			if (st != VOUCH_OK)
				return st;
		}
		p = q;
	}
	return VOUCH_OK;
}

struct find_arg {
	struct vouch_authres_span *spans;
	size_t cap, n;
};

static enum vouch_status
find_one(void *arg, size_t off, size_t len, const uint8_t *body, size_t blen)
{
	struct find_arg *fa = arg;

	(void)body;
	(void)blen;
	if (fa->n < fa->cap) {
		fa->spans[fa->n].off = off;
		fa->spans[fa->n].len = len;
	}
	fa->n++;
	return VOUCH_OK;
}

enum vouch_status
vouch_authres_find_ours(const uint8_t *header, size_t len,
    const char *authserv_id, size_t id_len, struct vouch_authres_span *spans,
    size_t cap, size_t *n)
{
	struct find_arg fa;
	enum vouch_status st;

	if (n == NULL)
		return VOUCH_EINVAL;
	*n = 0;
	if ((header == NULL && len > 0) || authserv_id == NULL || id_len == 0 ||
	    (spans == NULL && cap > 0))
		return VOUCH_EINVAL;
	/* a longer id could never match: refuse rather than strip nothing */
	if (id_len > VOUCH_AUTHRES_MAX_ID)
		return VOUCH_ELIMIT;
	fa.spans = spans;
	fa.cap = cap;
	fa.n = 0;
	st = scan(header, len, authserv_id, id_len, find_one, &fa);
	*n = fa.n;
	if (st == VOUCH_OK && fa.n > cap)
		st = VOUCH_ELIMIT;
	return st;
}

struct strip_arg {
	const uint8_t *header;
	uint8_t *out;
	size_t cap, outlen, done, nremoved;
};

/* Copies what lies between the previous field removed and this one. */
static enum vouch_status
copy_upto(struct strip_arg *sa, size_t off)
{
	size_t n = off - sa->done;

	if (n > sa->cap - sa->outlen)
		return VOUCH_ELIMIT;
	if (n > 0)
		memcpy(sa->out + sa->outlen, sa->header + sa->done, n);
	sa->outlen += n;
	return VOUCH_OK;
}

static enum vouch_status
strip_one(void *arg, size_t off, size_t len, const uint8_t *body, size_t blen)
{
	struct strip_arg *sa = arg;
	enum vouch_status st;

	(void)body;
	(void)blen;
	if ((st = copy_upto(sa, off)) != VOUCH_OK)
		return st;
	sa->done = off + len;
	sa->nremoved++;
	return VOUCH_OK;
}

enum vouch_status
vouch_authres_strip_ours(const uint8_t *header, size_t len,
    const char *authserv_id, size_t id_len, uint8_t *out, size_t cap,
    size_t *outlen, size_t *nremoved)
{
	struct strip_arg sa;
	enum vouch_status st;

	if (outlen == NULL)
		return VOUCH_EINVAL;
	*outlen = 0;
	if (nremoved != NULL)
		*nremoved = 0;
	if ((header == NULL && len > 0) || authserv_id == NULL || id_len == 0 ||
	    (out == NULL && cap > 0))
		return VOUCH_EINVAL;
	/* a longer id could never match: refuse rather than strip nothing */
	if (id_len > VOUCH_AUTHRES_MAX_ID)
		return VOUCH_ELIMIT;
	memset(&sa, 0, sizeof(sa));
	sa.header = header;
	sa.out = out;
	sa.cap = cap;
	st = scan(header, len, authserv_id, id_len, strip_one, &sa);
	if (st == VOUCH_OK)
		st = copy_upto(&sa, len);
	if (st != VOUCH_OK)
		return st;
	*outlen = sa.outlen;
	if (nremoved != NULL)
		*nremoved = sa.nremoved;
	return VOUCH_OK;
}

struct parse_arg {
	struct vouch_authres_field *fields;
	size_t n, cap;
};

static enum vouch_status
parse_one(void *arg, size_t off, size_t len, const uint8_t *body, size_t blen)
{
	struct parse_arg *pa = arg;
	struct vouch_authres_field *nf, *f;
	size_t ncap;

	if (pa->n == pa->cap) {
		/* the count is bounded by VOUCH_MAX_HEADER_FIELDS in scan() */
		ncap = pa->cap ? pa->cap * 2 : 4;
		if ((nf = realloc(pa->fields, ncap * sizeof(*nf))) == NULL)
			return VOUCH_ENOMEM;
		pa->fields = nf;
		pa->cap = ncap;
	}
	f = &pa->fields[pa->n];
	f->span.off = off;
	f->span.len = len;
	f->status = vouch_authres_parse(body, blen, &f->ar);
	if (f->status == VOUCH_ENOMEM)
		return VOUCH_ENOMEM;
	pa->n++;
	return VOUCH_OK;
}

enum vouch_status
vouch_authres_parse_header(const uint8_t *header, size_t len,
    struct vouch_authres_field **fields, size_t *nfields)
{
	struct parse_arg pa;
	enum vouch_status st;

	if (fields == NULL || nfields == NULL)
		return VOUCH_EINVAL;
	*fields = NULL;
	*nfields = 0;
	if (header == NULL && len > 0)
		return VOUCH_EINVAL;
	memset(&pa, 0, sizeof(pa));
	st = scan(header, len, NULL, 0, parse_one, &pa);
	if (st != VOUCH_OK) {
		vouch_authres_fields_free(pa.fields, pa.n);
		return st;
	}
	*fields = pa.fields;
	*nfields = pa.n;
	return VOUCH_OK;
}

void
vouch_authres_fields_free(struct vouch_authres_field *fields, size_t n)
{
	size_t i;

	if (fields == NULL)
		return;
	for (i = 0; i < n; i++)
		vouch_authres_result_free(fields[i].ar);
	free(fields);
}
