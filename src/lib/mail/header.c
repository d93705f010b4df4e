/*
 * RFC 5322 header section scanner (the model: OpenSMTPD rfc5322.c, bounded
 * and byte-exact).  A section whose lines all end in CRLF and whose fields
 * are well formed (mail from an MTA) is split in one pass where it lies
 * (parse_crlf).  Any other goes the general way, two passes over at most
 * VOUCH_MAX_HEADER_BYTES: the first copies the section with its line ends
 * normalised to CRLF and checks line lengths, the second splits the copy
 * into fields; every error comes from there.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "vouch/limits.h"

#include "ftext.h"
#include "header.h"
#include "util/ascii.h"

/*
 * The first array of fields: 21 of 48 bytes, 1008 bytes, which glibc's
 * per-thread cache serves (up to 1032 bytes); 32 (1536 bytes) went
 * through the general allocator for every message.  A usual header has
 * 10 to 20 fields.
 */
#define FIELDS_FIRST (1008 / sizeof(struct mail_field))

size_t
mail_header_end(const uint8_t *p, size_t len)
{
	const uint8_t *q, *end;

	if (len == 0)
		return 0; /* p may be NULL: no arithmetic on it */
	end = p + len;
	if (p[0] == '\n')
		return 1;
	if (len >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	q = p;
	while (q < end && (q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		q++;
		if (q < end && *q == '\n')
			return (size_t)(q - p) + 1;
		if (end - q >= 2 && q[0] == '\r' && q[1] == '\n')
			return (size_t)(q - p) + 2;
	}
	return 0;
}

int
mail_name_eq(const uint8_t *p, size_t len, const char *name)
{
	return ascii_ieq(p, len, name);
}

void
mail_header_free(struct mail_header *h)
{
	free(h->buf);
	free(h->field);
	memset(h, 0, sizeof(*h));
}

/*
 * Copy `p`/`len` (the section without its ending empty line) into h->buf
 * with every line ending in CRLF.
 */
static enum vouch_status
normalise(struct mail_header *h, const uint8_t *p, size_t len)
{
	const uint8_t *q, *line, *end = p + len;
	uint8_t *o;
	size_t nlf = 0, n, longest = 0;
	int crlf = 1;

	/*
	 * Each LF may grow by one CR, and a last line without end by two.
	 * The same pass sees whether every line already ends in CRLF (mail
	 * from an MTA does) and how long the longest is: then the section is
	 * copied as it is, in one piece.
	 */
	for (line = q = p; q < end && (q = memchr(q, '\n', (size_t)(end - q)));
	     line = ++q) {
		nlf++;
		if (q == line || q[-1] != '\r')
			crlf = 0;
		if ((size_t)(q - line) > longest)
			longest = (size_t)(q - line);
	}
	if ((h->buf = malloc(len + nlf + 3)) == NULL)
		return VOUCH_ENOMEM;
	/* the last line has its CRLF (line == end) and none is too long */
	if (crlf && line == end && longest <= VOUCH_MAX_LINE_BYTES + 1) {
		memcpy(h->buf, p, len);
		h->buflen = len;
		return VOUCH_OK;
	}
	o = h->buf;
	line = p;
	while (line < end) {
		q = memchr(line, '\n', (size_t)(end - line));
		n = (size_t)((q != NULL ? q : end) - line);
		if (n > 0 && line[n - 1] == '\r' && q != NULL)
			n--;
		if (n > VOUCH_MAX_LINE_BYTES) {
			h->error = "header line too long";
			return VOUCH_ELIMIT;
		}
		memcpy(o, line, n);
		o += n;
		*o++ = '\r';
		*o++ = '\n';
		line = q != NULL ? q + 1 : end;
	}
	h->buflen = (size_t)(o - h->buf);
	return VOUCH_OK;
}

/* Split the normalised buffer into fields; RFC 5322 §2.2, §2.2.3. */
static enum vouch_status
split_fields(struct mail_header *h)
{
	const uint8_t *p = h->buf, *end = h->buf + h->buflen, *q, *colon;
	const uint8_t *nend;
	struct mail_field *f;
	size_t cap = 0, nf;

	while (p < end) {
		if (*p == ' ' || *p == '\t') {
			/* A continuation with no field before it. */
			h->error = "header starts with a continuation line";
			return VOUCH_ESYNTAX;
		}
		if (h->nfield >= VOUCH_MAX_HEADER_FIELDS) {
			h->error = "too many header fields";
			return VOUCH_ELIMIT;
		}
		/* The field runs to the first CRLF not followed by WSP. */
		q = p;
		for (;;) {
			/*
			 * normalise() ended every line with CRLF; should a
			 * newline be missing all the same, the field runs to
			 * the end rather than to NULL + 1.
			 */
			const uint8_t *nl = memchr(q, '\n', (size_t)(end - q));

			q = nl != NULL ? nl + 1 : end;
			if (q >= end || (*q != ' ' && *q != '\t'))
				break;
		}
		colon = memchr(p, ':', (size_t)(q - p));
		if (colon == NULL) {
			h->error = "malformed header field (no colon)";
			return VOUCH_ESYNTAX;
		}
		/* obs-optional allows WSP between the name and the colon. */
		nend = colon;
		while (nend > p && (nend[-1] == ' ' || nend[-1] == '\t'))
			nend--;
		if (nend == p) {
			h->error = "malformed header field (empty name)";
			return VOUCH_ESYNTAX;
		}
		for (const uint8_t *c = p; c < nend; c++)
			if (!mail_is_ftext(*c)) {
				h->error = "malformed header field name";
				return VOUCH_ESYNTAX;
			}
		if (h->nfield == cap) {
			nf = cap ? cap * 2 : 32;
			if (nf > VOUCH_MAX_HEADER_FIELDS)
				nf = VOUCH_MAX_HEADER_FIELDS;
			f = realloc(h->field, nf * sizeof(*f));
			if (f == NULL)
				return VOUCH_ENOMEM;
			h->field = f;
			cap = nf;
		}
		f = &h->field[h->nfield++];
		f->name = p;
		f->namelen = (size_t)(nend - p);
		f->raw = p;
		f->len = (size_t)(q - p);
		f->value = colon + 1;
		f->valuelen = (size_t)(q - 2 - (colon + 1));
		p = q;
	}
	return VOUCH_OK;
}

/*
 * The first LF in [p, end), or NULL.  Inline, 16 bytes at a time with
 * SSE2: header lines are short, and a library call per line was the
 * largest part of a scan.
 */
static const uint8_t *
find_lf(const uint8_t *p, const uint8_t *end)
{
#ifdef __SSE2__
	const __m128i lf = _mm_set1_epi8('\n');
	int m;

	for (; end - p >= 16; p += 16) {
		m = _mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_loadu_si128((const __m128i *)(const void *)p), lf));
		if (m != 0)
			return p + __builtin_ctz((unsigned)m);
	}
	for (; p < end; p++)
		if (*p == '\n')
			return p;
	return NULL;
#else
	return memchr(p, '\n', (size_t)(end - p));
#endif
}

/* Room for one more field; 0, or -1 when memory ran out. */
static int
field_room(struct mail_header *h, size_t *cap)
{
	struct mail_field *f;
	size_t nf;

	if (h->nfield < *cap)
		return 0;
	nf = *cap ? *cap * 2 : FIELDS_FIRST;
	if (nf > VOUCH_MAX_HEADER_FIELDS)
		nf = VOUCH_MAX_HEADER_FIELDS;
	if ((f = realloc(h->field, nf * sizeof(*f))) == NULL)
		return -1;
	h->field = f;
	*cap = nf;
	return 0;
}

/*
 * The usual header section, in one pass and without a copy: every line up
 * to the empty line (or the end of the input) ends in CRLF, none is over
 * VOUCH_MAX_LINE_BYTES, every field is "name:" with a name of ftext, and
 * the limits hold.  The fields then point into the caller's bytes, where
 * the general path (mail_header_end, normalise, split_fields: three scans
 * and a copy) would have made the same fields in an identical copy.
 * Returns 1 when done, 0 when the section needs the general path (any
 * other shape, every error included; h is left empty), -1 on ENOMEM.
 */
static int
parse_crlf(struct mail_header *h, const uint8_t *p, size_t len)
{
	const uint8_t *pos = p, *end = p + len, *nl, *c, *nend;
	struct mail_field *f = NULL;
	size_t cap = 0;

	for (;;) {
		if (pos == end) {
			/* no empty line: the whole input is the section */
			h->consumed = len;
			break;
		}
		if ((nl = find_lf(pos, end)) == NULL || nl == pos ||
		    nl[-1] != '\r')
			goto general;
		if (nl == pos + 1) {
			/* RFC 5322 §2.1: the empty line ends the section */
			h->complete = 1;
			h->consumed = (size_t)(nl + 1 - p);
			break;
		}
		if ((size_t)(nl - pos) > VOUCH_MAX_LINE_BYTES + 1 ||
		    (size_t)(nl + 1 - p) > VOUCH_MAX_HEADER_BYTES)
			goto general;
		if (*pos == ' ' || *pos == '\t') {
			/* §2.2.3: a continuation of the field before */
			if (f == NULL)
				goto general;
		} else {
			if (f != NULL) {
				f->len = (size_t)(pos - f->raw);
				f->valuelen = (size_t)(pos - 2 - f->value);
			}
			if (h->nfield >= VOUCH_MAX_HEADER_FIELDS)
				goto general;
			/*
			 * the name: ftext, then WSP (obs-optional), then ':';
			 * the run stops at the LF at nl, which is not ftext
			 */
			nend = c = mail_ftext_end(pos, end);
			while (c < nl && (*c == ' ' || *c == '\t'))
				c++;
			if (c == nl || *c != ':' || nend == pos)
				goto general;
			if (field_room(h, &cap) != 0)
				return -1;
			f = &h->field[h->nfield++];
			f->name = pos;
			f->namelen = (size_t)(nend - pos);
			f->raw = pos;
			f->value = c + 1;
		}
		pos = nl + 1;
	}
	if (f != NULL) {
		f->len = (size_t)(pos - f->raw);
		f->valuelen = (size_t)(pos - 2 - f->value);
	}
	h->buflen = (size_t)(pos - p);
	return 1;
general:
	free(h->field);
	memset(h, 0, sizeof(*h));
	return 0;
}

enum vouch_status
mail_header_parse(struct mail_header *h, const uint8_t *p, size_t len)
{
	int rc;

	memset(h, 0, sizeof(*h));
	if (len == 0)
		p = (const uint8_t *)""; /* NULL with length 0 is allowed */
	if ((rc = parse_crlf(h, p, len)) != 0)
		return rc > 0 ? VOUCH_OK : VOUCH_ENOMEM;
	return mail_header_parse_copy(h, p, len);
}

enum vouch_status
mail_header_parse_copy(struct mail_header *h, const uint8_t *p, size_t len)
{
	size_t end, seclen;
	enum vouch_status st;

	memset(h, 0, sizeof(*h));
	if (len == 0)
		p = (const uint8_t *)""; /* NULL with length 0 is allowed */
	end = mail_header_end(p, len);
	if (end > 0) {
		h->complete = 1;
		h->consumed = end;
		/* Drop the empty line: LF or CRLF. */
		seclen = end - 1;
		if (seclen > 0 && p[seclen - 1] == '\r')
			seclen--;
	} else {
		h->consumed = len;
		seclen = len;
	}
	if (seclen > VOUCH_MAX_HEADER_BYTES) {
		h->error = "header section too large";
		return VOUCH_ELIMIT;
	}
	if ((st = normalise(h, p, seclen)) != VOUCH_OK)
		return st;
	return split_fields(h);
}
