/*
 * The canonical header data a DKIM-style signature covers, RFC 6376 §3.7
 * and §5.4.2: shared by the DKIM verifier, the ARC validator (AMS and
 * ARC-Seal) and the ARC sealer, so that every signature of vouch is hashed
 * by one path.
 */
#include <stdlib.h>
#include <string.h>

#include "vouch/limits.h"
#include "dkim/internal.h"

int
dkim_self_data(enum canon_alg hcanon, const struct mail_field *self,
    const uint8_t *b, size_t blen, struct vbuf *out)
{
	const uint8_t *bs, *be, *fend;
	uint8_t small[2048], *tmp = small;
	size_t n1, n2, mark;
	int rc = 0;

	/*
	 * RFC 6376 §3.7: the value of b= (and the FWS around it, up to the
	 * next ';') removed; `b` points into self->value.
	 */
	bs = b;
	while (bs > self->value && bs[-1] != '=')
		bs--;
	be = b + blen;
	fend = self->value + self->valuelen;
	while (be < fend && *be != ';')
		be++;
	n1 = (size_t)(bs - self->raw);
	n2 = (size_t)(self->raw + self->len - be);
	/* a usual field without its b= fits on the stack */
	if (n1 + n2 + 1 > sizeof(small) && (tmp = malloc(n1 + n2 + 1)) == NULL)
		return -2;
	memcpy(tmp, self->raw, n1);
	memcpy(tmp + n1, be, n2);
	mark = out->len;
	if (canon_header(hcanon, tmp, n1 + n2, out) != VOUCH_OK)
		rc = out->err == VOUCH_ENOMEM ? -2 : -1;
	if (tmp != small)
		free(tmp);
	/* Without the final CRLF (§3.7). */
	if (rc == 0 && out->len >= mark + 2 && out->p[out->len - 2] == '\r' &&
	    out->p[out->len - 1] == '\n')
		out->len -= 2;
	return rc;
}

int
dkim_header_data(enum canon_alg hcanon, const struct mail_header *h,
    const uint8_t *hlist, size_t hlistlen, const struct mail_field *self,
    const uint8_t *b, size_t blen, struct vbuf *out, const char **why)
{
	struct name_cursor {
		const uint8_t *name;
		size_t len;
		size_t next; /* fields below this index are still free */
	} small[32], *cur = small;
	size_t ncur = 0, i, j, ncolon = 0, n;
	const uint8_t *p, *end, *s, *e;
	int rc = -1;

	/* One cursor per distinct name: at most one per entry of h=. */
	for (i = 0; i < hlistlen; i++)
		if (hlist[i] == ':')
			ncolon++;
	if (ncolon >= VOUCH_DKIM_MAX_SIGNED_FIELDS) {
		*why = "too many names in h=";
		return -1;
	}
	/* a usual h= list on the stack (only entries below ncur are read) */
	if (ncolon + 1 > sizeof(small) / sizeof(small[0]) &&
	    (cur = calloc(ncolon + 1, sizeof(*cur))) == NULL)
		return -2;
	/* an empty list may come as (NULL, 0): no arithmetic on it */
	p = hlistlen > 0 ? hlist : (const uint8_t *)"";
	end = p + hlistlen;
	while (dkim_list_next(&p, end, &s, &n)) {
		e = s + n;
		if (s == e) {
			*why = "empty name in h=";
			goto out;
		}
		/* RFC 6376 §3.5 hdr-name = field-name: 1*ftext (RFC 5322) */
		for (const uint8_t *c = s; c < e; c++)
			if (*c < 33 || *c > 126) {
				*why = "bad field name in h=";
				goto out;
			}
		for (j = 0; j < ncur; j++)
			if (cur[j].len == (size_t)(e - s) &&
			    dkim_mem_ieq(cur[j].name, s, cur[j].len))
				break;
		if (j == ncur) {
			cur[j].name = s;
			cur[j].len = (size_t)(e - s);
			cur[j].next = h->nfield;
			ncur++;
		}
		/* The next instance from the bottom (§5.4.2). */
		for (i = cur[j].next; i > 0; i--) {
			const struct mail_field *f = &h->field[i - 1];

			if (f->namelen == cur[j].len &&
			    dkim_mem_ieq(f->name, cur[j].name, f->namelen))
				break;
		}
		if (i == 0) {
			cur[j].next = 0; /* none left: nothing is hashed */
			continue;
		}
		cur[j].next = i - 1;
		if (canon_header(hcanon, h->field[i - 1].raw,
		        h->field[i - 1].len, out) != VOUCH_OK)
			goto toolong;
	}
	if ((rc = dkim_self_data(hcanon, self, b, blen, out)) == 0 || rc == -2)
		goto out;
toolong:
	if (out->err == VOUCH_ENOMEM) {
		rc = -2;
		goto out;
	}
	*why = "signed header data too large";
	rc = -1;
out:
	if (cur != small)
		free(cur);
	return rc;
}
