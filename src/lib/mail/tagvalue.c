/*
 * Tag=value lists, RFC 6376 §3.2: one function per rule of the grammar.
 */
#include <string.h>

#include "tagvalue.h"

struct cursor {
	const uint8_t *p, *end;
};

static int
is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_valchar(uint8_t c)
{
	return c >= 0x21 && c <= 0x7e && c != ';';
}

/*
 * FWS, loosely: any run of SP, HTAB, CR and LF.  In a header field each
 * CRLF is followed by WSP already (the scanner saw to it); in a TXT record
 * a stray line end is harmless.
 */
static void
fws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
	                            *c->p == '\r' || *c->p == '\n'))
		c->p++;
}

/* tag-name = ALPHA *ALNUMPUNC */
static int
tag_name(struct cursor *c, struct tag *t)
{
	const uint8_t *s = c->p;

	if (c->p >= c->end || !is_alpha(*c->p))
		return -1;
	c->p++;
	while (
	    c->p < c->end &&
	    (is_alpha(*c->p) || (*c->p >= '0' && *c->p <= '9') || *c->p == '_'))
		c->p++;
	t->name = s;
	t->namelen = (size_t)(c->p - s);
	return 0;
}

/* tag-value = [ tval *( 1*(WSP / FWS) tval ) ], up to ";" or the end. */
static int
tag_value(struct cursor *c, struct tag *t)
{
	const uint8_t *s = c->p, *last = c->p;
	uint8_t b;

	for (; c->p < c->end && *c->p != ';'; c->p++) {
		b = *c->p;
		if (is_valchar(b))
			last = c->p + 1;
		else if (b != ' ' && b != '\t' && b != '\r' && b != '\n')
			return -1;
	}
	t->value = s;
	t->valuelen = (size_t)(last - s);
	return 0;
}

static int
name_eq(const struct tag *a, const struct tag *b)
{
	return a->namelen == b->namelen &&
	       memcmp(a->name, b->name, a->namelen) == 0;
}

enum vouch_status
tag_list_parse(
    const uint8_t *p, size_t len, struct tag_list *tl, const char **why)
{
	struct cursor c;
	struct tag t;
	size_t i;
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	tl->ntags = 0;
	if (len == 0)
		return VOUCH_OK; /* p may be NULL */
	c.p = p;
	c.end = p + len;
	for (;;) {
		fws(&c);
		if (c.p >= c.end)
			return VOUCH_OK;
		if (tag_name(&c, &t) != 0) {
			*why = *c.p == ';' ? "empty tag-spec" : "bad tag name";
			return VOUCH_ESYNTAX;
		}
		fws(&c);
		if (c.p >= c.end || *c.p != '=') {
			*why = "'=' expected after tag name";
			return VOUCH_ESYNTAX;
		}
		c.p++;
		fws(&c);
		if (tag_value(&c, &t) != 0) {
			*why = "bad character in tag value";
			return VOUCH_ESYNTAX;
		}
		for (i = 0; i < tl->ntags; i++)
			if (name_eq(&tl->tag[i], &t)) {
				*why = "duplicate tag"; /* RFC 6376 §3.2 */
				return VOUCH_ESYNTAX;
			}
		if (tl->ntags >= VOUCH_MAX_TAGS) {
			*why = "too many tags";
			return VOUCH_ELIMIT;
		}
		tl->tag[tl->ntags++] = t;
		if (c.p >= c.end)
			return VOUCH_OK;
		c.p++; /* ';' */
	}
}

const struct tag *
tag_find(const struct tag_list *tl, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < tl->ntags; i++)
		if (tl->tag[i].namelen == n &&
		    memcmp(tl->tag[i].name, name, n) == 0)
			return &tl->tag[i];
	return NULL;
}

int
tag_value_eq(const struct tag *t, const char *s)
{
	size_t n = strlen(s);

	return t->valuelen == n && memcmp(t->value, s, n) == 0;
}
