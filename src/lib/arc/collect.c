/*
 * Collecting ARC Sets, RFC 8617 §4.2 and §5.2 steps 1 and 3: which ARC
 * fields the header section holds, grouped by instance.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arc/internal.h"

static int
is_wsp(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * inst-num: 1*DIGIT, 1..VOUCH_ARC_MAX_INSTANCES, or VOUCH_ARC_MAX_INSTANCES
 * + 1 for any larger number (RFC 8617 §4.2.1); 0 when not a number.
 */
static unsigned
instance_value(const uint8_t *p, size_t len)
{
	unsigned v = 0;
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return 0;
		if (v <= VOUCH_ARC_MAX_INSTANCES)
			v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > VOUCH_ARC_MAX_INSTANCES)
		return VOUCH_ARC_MAX_INSTANCES + 1;
	return v;
}

/*
 * The instance of an ARC-Authentication-Results value, RFC 8617 §4.1.1:
 * arc-authres-header = "ARC-Authentication-Results:" [CFWS] arc-info
 * arc-info = instance [CFWS] ";" authres-payload, instance = "i" [FWS]
 * "=" [FWS] inst-num.  Sets *rest past the ';'.  0 when malformed.
 */
static unsigned
aar_instance(const struct mail_field *f, const uint8_t **rest, size_t *restlen)
{
	const uint8_t *p = f->value, *end = f->value + f->valuelen, *d;
	unsigned v;

	while (p < end && is_wsp(*p))
		p++;
	if (p == end || *p != 'i')
		return 0;
	p++;
	while (p < end && is_wsp(*p))
		p++;
	if (p == end || *p != '=')
		return 0;
	p++;
	while (p < end && is_wsp(*p))
		p++;
	d = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if ((v = instance_value(d, (size_t)(p - d))) == 0)
		return 0;
	while (p < end && is_wsp(*p))
		p++;
	if (p == end || *p != ';')
		return 0;
	p++;
	while (p < end && is_wsp(*p))
		p++;
	*rest = p;
	*restlen = (size_t)(end - p);
	return v;
}

static void fault(struct arc_chain *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Keep the first structural fault, as English text. */
static void
fault(struct arc_chain *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(c->whybuf, sizeof(c->whybuf), fmt, ap);
	va_end(ap);
	c->why = c->whybuf;
}

static const char *const kind_name[] = {
    "ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal"};

/* Which ARC field `f` is (enum arc_kind), or -1. */
static int
arc_kind_of(const struct mail_field *f)
{
	int kind;

	/*
	 * Each name starts "ARC-" (RFC 8617 §4.1) and has 8 bytes or more:
	 * every other field of every message is told apart by its first
	 * bytes, not compared with the three names.  (c | 0x20) == 'a' only
	 * for 'A' and 'a', and so for 'r' and 'c'.
	 */
	if (f->namelen < 8 || (f->name[0] | 0x20) != 'a' ||
	    (f->name[1] | 0x20) != 'r' || (f->name[2] | 0x20) != 'c' ||
	    f->name[3] != '-')
		return -1;
	for (kind = ARC_AAR; kind <= ARC_AS; kind++)
		if (mail_name_eq(f->name, f->namelen, kind_name[kind]))
			return kind;
	return -1;
}

size_t
arc_field_count(const struct mail_header *h)
{
	size_t k, n = 0;

	for (k = 0; k < h->nfield; k++)
		if (arc_kind_of(&h->field[k]) >= 0)
			n++;
	return n;
}

void
arc_collect(const struct mail_header *h, struct arc_chain *c)
{
	struct tag_list tl;
	const struct tag *t;
	const uint8_t *rest = NULL;
	size_t k, restlen = 0;
	unsigned i, v;
	int kind;

	/*
	 * Not the whole struct cleared (a tag list for every instance: over
	 * 200 KB): a set's tag lists are read only where its field is set.
	 */
	c->nfields = 0;
	c->max = 0;
	c->why = NULL;
	c->whybuf[0] = '\0';
	for (i = 0; i <= VOUCH_ARC_MAX_INSTANCES; i++) {
		c->set[i].f[ARC_AAR] = c->set[i].f[ARC_AMS] = NULL;
		c->set[i].f[ARC_AS] = NULL;
		c->set[i].aar_rest = NULL;
		c->set[i].aar_restlen = 0;
	}
	for (k = 0; k < h->nfield; k++) {
		const struct mail_field *f = &h->field[k];

		if ((kind = arc_kind_of(f)) < 0)
			continue;
		c->nfields++;
		if (kind == ARC_AAR) {
			v = aar_instance(f, &rest, &restlen);
		} else if (tag_list_parse(f->value, f->valuelen, &tl, NULL) !=
		           VOUCH_OK) {
			fault(c, "malformed %s (tag list)", kind_name[kind]);
			continue;
		} else if ((t = tag_find(&tl, "i")) == NULL) {
			fault(c, "%s without i=", kind_name[kind]);
			continue;
		} else {
			v = instance_value(t->value, t->valuelen);
		}
		if (v == 0) {
			fault(
			    c, "%s with an invalid instance", kind_name[kind]);
			continue;
		}
		if (v > c->max)
			c->max = v;
		if (v > VOUCH_ARC_MAX_INSTANCES) {
			/* RFC 8617 §4.2.1, §5.2 step 1 */
			fault(c, "%s with an instance over %u", kind_name[kind],
			    VOUCH_ARC_MAX_INSTANCES);
			continue;
		}
		if (c->set[v].f[kind] != NULL) {
			/* RFC 8617 §4.2.1: exactly one of each per set */
			fault(c, "two %s fields with i=%u", kind_name[kind], v);
			continue;
		}
		c->set[v].f[kind] = f;
		if (kind == ARC_AAR) {
			c->set[v].aar_rest = rest;
			c->set[v].aar_restlen = restlen;
		} else {
			c->set[v].tl[kind - 1] = tl;
		}
	}
	if (c->nfields == 0)
		return;
	/* RFC 8617 §5.2 step 3.1, 3.2: 1..N, each set complete */
	for (i = 1; i <= c->max && i <= VOUCH_ARC_MAX_INSTANCES; i++)
		for (kind = 0; kind < 3; kind++)
			if (c->set[i].f[kind] == NULL)
				fault(c, "no %s with i=%u", kind_name[kind], i);
	if (c->max == 0)
		fault(c, "ARC fields without a valid instance");
}

int
arc_cv_parse(const struct tag_list *tl, enum vouch_arc_cv *cv)
{
	const struct tag *t = tag_find(tl, "cv");

	if (t == NULL)
		return -1;
	if (tag_value_eq(t, "none"))
		*cv = VOUCH_ARC_NONE;
	else if (tag_value_eq(t, "pass"))
		*cv = VOUCH_ARC_PASS;
	else if (tag_value_eq(t, "fail"))
		*cv = VOUCH_ARC_FAIL;
	else
		return -1;
	return 0;
}
