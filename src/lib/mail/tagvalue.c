/*
 * Tag=value lists, RFC 6376 §3.2: one function per rule of the grammar.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/*
 * The end of the run of VALCHAR that starts at p (p itself when *p is
 * none).  b= and p= are a few hundred VALCHAR in a row: with SSE2, 16
 * bytes are checked at a time (signed compares: 0x21..0x7e are the bytes
 * above 0x20 and below 0x7f, 0x80..0xff being negative), the last 15
 * one by one.
 */
static const uint8_t *
valchar_run(const uint8_t *p, const uint8_t *end)
{
#ifdef __SSE2__
	const __m128i lo = _mm_set1_epi8(0x20), hi = _mm_set1_epi8(0x7f);
	const __m128i semi = _mm_set1_epi8(';');
	__m128i x, ok;
	unsigned bad;

	while (end - p >= 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)p);
		ok = _mm_andnot_si128(_mm_cmpeq_epi8(x, semi),
		    _mm_and_si128(
		        _mm_cmpgt_epi8(x, lo), _mm_cmplt_epi8(x, hi)));
		/* the first byte that is not VALCHAR ends the run here: most
		 * values (v=, a=, c=, d=, s=, h=) end in their first block,
		 * and a byte loop to that end cost more than the block */
		bad = ~(unsigned)_mm_movemask_epi8(ok) & 0xffffu;
		if (bad != 0)
			return p + __builtin_ctz(bad);
		p += 16;
	}
#endif
	while (p < end && is_valchar(*p))
		p++;
	return p;
}

/*
 * tag-value = [ tval *( 1*(WSP / FWS) tval ) ], up to ";" or the end.
 * Runs of VALCHAR (most of a value: b=, bh=, p= are long) are skipped in
 * a tight loop; only the bytes around them are looked at one by one.
 */
static int
tag_value(struct cursor *c, struct tag *t)
{
	const uint8_t *p = c->p, *end = c->end, *s = c->p, *last = c->p;
	uint8_t b;

	while (p < end) {
		if (is_valchar(*p)) {
			p = last = valchar_run(p + 1, end);
			continue;
		}
		b = *p;
		if (b == ';')
			break;
		if (b != ' ' && b != '\t' && b != '\r' && b != '\n')
			return -1;
		p++;
	}
	c->p = p;
	t->value = s;
	t->valuelen = (size_t)(last - s);
	return 0;
}

/* Names are short (one or two letters mostly): no memcmp call. */
static int
name_eq(const struct tag *a, const struct tag *b)
{
	size_t i;

	if (a->namelen != b->namelen)
		return 0;
	for (i = 0; i < a->namelen; i++)
		if (a->name[i] != b->name[i])
			return 0;
	return 1;
}

/*
 * Has the list a tag of t's name already (RFC 6376 §3.2: duplicates MUST
 * NOT occur)?  Names of one letter, most of them, are kept as bits of
 * *seen; longer ones are compared with every name before.
 */
static int
duplicate(const struct tag_list *tl, const struct tag *t, uint64_t *seen)
{
	uint64_t bit;
	size_t i;
	uint8_t c = t->name[0];

	if (t->namelen == 1) {
		/* a tag name starts with ALPHA: 52 bits */
		bit = (uint64_t)1 << (c >= 'a' ? (unsigned)(c - 'a') + 26
		                               : (unsigned)(c - 'A'));
		if (*seen & bit)
			return 1;
		*seen |= bit;
		return 0;
	}
	for (i = 0; i < tl->ntags; i++)
		if (name_eq(&tl->tag[i], t))
			return 1;
	return 0;
}

enum vouch_status
tag_list_parse(
    const uint8_t *p, size_t len, struct tag_list *tl, const char **why)
{
	struct cursor c;
	struct tag t;
	uint64_t seen = 0;
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
		if (duplicate(tl, &t, &seen)) {
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

/*
 * Called a few dozen times per signature, mostly for one- or two-letter
 * names: compared here byte by byte rather than through strlen and
 * memcmp calls.
 */
const struct tag *
tag_find(const struct tag_list *tl, const char *name)
{
	size_t i, k;
	const struct tag *t;

	for (i = 0; i < tl->ntags; i++) {
		t = &tl->tag[i];
		if (t->name[0] != (uint8_t)name[0])
			continue;
		for (k = 1; k < t->namelen && name[k] != '\0' &&
		            t->name[k] == (uint8_t)name[k];
		     k++)
			;
		if (k == t->namelen && name[k] == '\0')
			return t;
	}
	return NULL;
}

int
tag_value_eq(const struct tag *t, const char *s)
{
	size_t n = strlen(s);

	return t->valuelen == n && memcmp(t->value, s, n) == 0;
}
