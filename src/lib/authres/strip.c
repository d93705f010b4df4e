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
 * header and its body (after the colon, line end included).
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

/* Calls fn for each Authentication-Results field, in header order. */
static enum vouch_status
scan(const uint8_t *header, size_t len, field_fn fn, void *arg)
{
	const uint8_t *p = header, *end = header + len, *q, *nl, *body;
	size_t nfields = 0;
	enum vouch_status st;

	if (len > VOUCH_MAX_HEADER_BYTES)
		return VOUCH_ELIMIT;
	/* every round moves p past at least one line end or to end */
	while (p < end) {
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			break; /* RFC 5322 §2.1: the empty line ends the header
			        */
		if (++nfields > VOUCH_MAX_HEADER_FIELDS)
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
		if (is_authres(p, q, &body)) {
			st = fn(arg, (size_t)(p - header), (size_t)(q - p),
			    body, (size_t)(q - body));
			if (st != VOUCH_OK)
				return st;
		}
		p = q;
	}
	return VOUCH_OK;
}

static int
same_id(const uint8_t *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		if (ar_lower(a[i]) != ar_lower((uint8_t)b[i]))
			return 0;
	return 1;
}

/* Does the field body claim this authserv-id? */
static int
is_ours(const uint8_t *body, size_t blen, const char *id, size_t id_len)
{
	uint8_t buf[VOUCH_AUTHRES_MAX_ID + 2];
	size_t n;

	return ar_read_authserv_id(body, blen, buf, sizeof(buf), &n) == 0 &&
	       same_id(buf, n, id, id_len);
}

struct find_arg {
	const char *id;
	size_t id_len;
	struct vouch_authres_span *spans;
	size_t cap, n;
};

static enum vouch_status
find_one(void *arg, size_t off, size_t len, const uint8_t *body, size_t blen)
{
	struct find_arg *fa = arg;

	if (!is_ours(body, blen, fa->id, fa->id_len))
		return VOUCH_OK;

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
	fa.id = authserv_id;
	fa.id_len = id_len;
	fa.spans = spans;
	fa.cap = cap;
	fa.n = 0;
	st = scan(header, len, find_one, &fa);
	*n = fa.n;
	if (st == VOUCH_OK && fa.n > cap)
		st = VOUCH_ELIMIT;
	return st;
}

struct strip_arg {
	const char *id;
	size_t id_len;
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

	if (!is_ours(body, blen, sa->id, sa->id_len))
		return VOUCH_OK;
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
	sa.id = authserv_id;
	sa.id_len = id_len;
	sa.header = header;
	sa.out = out;
	sa.cap = cap;
	st = scan(header, len, strip_one, &sa);
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
	st = scan(header, len, parse_one, &pa);
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
