/*
 * Parsing an Authentication-Results field (RFC 8601 §2.2): hand-written
 * recursive descent, one function per ABNF rule.  The cursor keeps the
 * first error (sticky), so a run of reads is checked once.
 *
 * Strings are unquoted into one text block allocated up front: the
 * unquoted text is never longer than the input, and each string adds one
 * NUL, of which there are fewer than input bytes, so 2 * len + 2 bytes
 * always suffice and no pointer moves while parsing.
 */
#include <stdlib.h>
#include <string.h>

#include "vouch/authres.h"
#include "vouch/limits.h"
#include "internal.h"

struct cur {
	const uint8_t *p, *end;
	enum vouch_status err; /* first error, sticky */
	uint8_t *text; /* the text block */
	size_t tlen, tcap;
};

/* The parsed field and the storage it points into. */
struct parsed {
	struct vouch_authres pub; /* first: freed through its address */
	uint8_t *text;
	size_t rcap; /* results allocated */
};

static void
set_err(struct cur *c, enum vouch_status st)
{
	if (c->err == VOUCH_OK)
		c->err = st;
}

static int
at(const struct cur *c, uint8_t ch)
{
	return c->err == VOUCH_OK && c->p < c->end && *c->p == ch;
}

/* A control character that may not appear anywhere (RFC 5322 §3.2.1). */
static int
is_bad_ctl(uint8_t ch)
{
	return (ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') ||
	       ch == 0x7f;
}

/* Text block: start a string, add to it, end it with a NUL. */
static size_t
text_start(struct cur *c)
{
	return c->tlen;
}

static void
text_add(struct cur *c, uint8_t ch)
{
	/* cannot fill: see the comment at the top */
	if (c->tlen + 1 < c->tcap)
		c->text[c->tlen++] = ch;
	else
		set_err(c, VOUCH_ELIMIT);
}

static const char *
text_end(struct cur *c, size_t start, size_t *len)
{
	if (c->tlen >= c->tcap) {
		set_err(c, VOUCH_ELIMIT);
		return NULL;
	}
	c->text[c->tlen++] = '\0';
	if (len != NULL)
		*len = c->tlen - 1 - start;
	return (const char *)c->text + start;
}

/*
 * comment = "(" *([FWS] ccontent) [FWS] ")"   (RFC 5322 §3.2.2)
 * ccontent = ctext / quoted-pair / comment.  Nesting is counted, not
 * recursed, and bounded by VOUCH_AUTHRES_MAX_DEPTH.
 */
static void
comment(struct cur *c)
{
	size_t depth = 0;

	while (c->err == VOUCH_OK && c->p < c->end) {
		uint8_t ch = *c->p++;

		if (ch == '(') {
			if (++depth > VOUCH_AUTHRES_MAX_DEPTH)
				set_err(c, VOUCH_ELIMIT);
		} else if (ch == ')') {
			if (--depth == 0)
				return;
		} else if (ch == '\\') {
			/* quoted-pair = "\" (VCHAR / WSP) */
			if (c->p >= c->end || is_bad_ctl(*c->p))
				set_err(c, VOUCH_ESYNTAX);
			else
				c->p++;
		} else if (is_bad_ctl(ch))
			set_err(c, VOUCH_ESYNTAX);
	}
	set_err(c, VOUCH_ESYNTAX); /* unterminated comment */
}

/*
 * CFWS = (1*([FWS] comment) [FWS]) / FWS   (RFC 5322 §3.2.2)
 * Line ends count as white space, so folded and unfolded fields, with CRLF
 * or LF, read the same.
 */
static void
cfws(struct cur *c)
{
	while (c->err == VOUCH_OK && c->p < c->end) {
		if (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' ||
		    *c->p == '\n')
			c->p++;
		else if (*c->p == '(')
			comment(c);
		else
			return;
	}
}

/*
 * quoted-string = [CFWS] DQUOTE *([FWS] qcontent) [FWS] DQUOTE [CFWS]
 * (RFC 5322 §3.2.4, UTF-8 allowed by RFC 6532 §3.2).  The content goes to
 * the text block without quotes, quoted-pairs resolved and line ends of
 * folding removed (RFC 5322 §3.2.4: they are not part of the content).
 */
static void
quoted_string(struct cur *c)
{
	c->p++; /* DQUOTE */
	while (c->err == VOUCH_OK && c->p < c->end) {
		uint8_t ch = *c->p++;

		if (ch == '"')
			return;
		if (ch == '\\') {
			if (c->p >= c->end || is_bad_ctl(*c->p) ||
			    *c->p == '\r' || *c->p == '\n') {
				set_err(c, VOUCH_ESYNTAX);
				return;
			}
			text_add(c, *c->p++);
		} else if (ch == '\r' || ch == '\n')
			continue;
		else if (is_bad_ctl(ch))
			set_err(c, VOUCH_ESYNTAX);
		else
			text_add(c, ch);
	}
	set_err(c, VOUCH_ESYNTAX); /* unterminated quoted-string */
}

/*
 * Keyword (RFC 5321 §4.1.2), lower-cased: methods, results, ptypes and
 * properties are compared without regard to case.  Returns NULL (no error)
 * when there is none at the cursor.
 */
static const char *
keyword(struct cur *c)
{
	size_t start = text_start(c);

	if (c->err != VOUCH_OK || c->p >= c->end ||
	    !(ar_is_keyword_char(*c->p) || *c->p == '_'))
		return NULL;
	while (c->p < c->end && (ar_is_keyword_char(*c->p) || *c->p == '_'))
		text_add(c, ar_lower(*c->p++));
	return text_end(c, start, NULL);
}

/* 1*DIGIT, for authres-version and method-version. */
static const char *
digits(struct cur *c)
{
	size_t start = text_start(c);

	if (c->err != VOUCH_OK || c->p >= c->end || *c->p < '0' ||
	    *c->p > '9') {
		set_err(c, VOUCH_ESYNTAX);
		return NULL;
	}
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		text_add(c, *c->p++);
	return text_end(c, start, NULL);
}

/*
 * value = token / quoted-string   (RFC 2045 §5.1, RFC 8601 §2.2), for the
 * authserv-id.  A token may hold UTF-8 (RFC 6532 spirit).
 */
static const char *
value(struct cur *c, size_t *len)
{
	size_t start = text_start(c);

	if (c->err != VOUCH_OK || c->p >= c->end) {
		set_err(c, VOUCH_ESYNTAX);
		return NULL;
	}
	if (*c->p == '"')
		quoted_string(c);
	else {
		if (!ar_is_tchar(*c->p) && *c->p < 0x80) {
			set_err(c, VOUCH_ESYNTAX);
			return NULL;
		}
		while (c->p < c->end && (ar_is_tchar(*c->p) || *c->p >= 0x80))
			text_add(c, *c->p++);
	}
	return text_end(c, start, len);
}

/* A byte of a leniently read value: visible, not a delimiter. */
static int
is_loose(uint8_t ch)
{
	return ch > 0x20 && ch != 0x7f && ch != ';' && ch != '(' && ch != ')' &&
	       ch != '"';
}

/*
 * pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]
 * (RFC 8601 §2.2), also used for the reason.  A quoted local-part keeps
 * its content: "john doe"@example.com gives john doe@example.com.
 * Leniently, a token may hold any visible byte but ; ( ) " (real fields
 * carry unquoted IPv6 addresses and base64).
 */
static const char *
pvalue(struct cur *c, size_t *len)
{
	size_t start = text_start(c);

	cfws(c);
	if (c->err != VOUCH_OK || c->p >= c->end) {
		set_err(c, VOUCH_ESYNTAX);
		return NULL;
	}
	if (*c->p == '"') {
		quoted_string(c);
		if (at(c, '@')) /* quoted local-part "@" domain-name */
			while (c->p < c->end && is_loose(*c->p))
				text_add(c, *c->p++);
	} else {
		if (!is_loose(*c->p)) {
			set_err(c, VOUCH_ESYNTAX);
			return NULL;
		}
		while (c->p < c->end && is_loose(*c->p))
			text_add(c, *c->p++);
	}
	return text_end(c, start, len);
}

/* Grows an array of n elements of size sz to hold one more, up to max. */
static void *
grow(struct cur *c, void *arr, size_t n, size_t *cap, size_t sz, size_t max)
{
	void *np;
	size_t ncap;

	if (n >= max) {
		set_err(c, VOUCH_ELIMIT);
		return NULL;
	}
	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 4;
	if (ncap > max)
		ncap = max;
	if ((np = realloc(arr, ncap * sz)) == NULL) {
		set_err(c, VOUCH_ENOMEM);
		return NULL;
	}
	memset((char *)np + *cap * sz, 0, (ncap - *cap) * sz);
	*cap = ncap;
	return np;
}

/*
 * propspec = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
 * (RFC 8601 §2.2); the ptype is already read.
 */
static void
propspec(struct cur *c, struct vouch_authres_result *r, size_t *pcap,
    const char *ptype)
{
	struct vouch_authres_prop *props, *pr;

	if (!at(c, '.')) {
		set_err(c, VOUCH_ESYNTAX);
		return;
	}
	c->p++;
	cfws(c);
	props = grow(c, r->props, r->nprops, pcap, sizeof(*props),
	    VOUCH_AUTHRES_MAX_PROPS);
	if (props == NULL)
		return;
	r->props = props;
	pr = &props[r->nprops];
	pr->ptype = ptype;
	if ((pr->property = keyword(c)) == NULL) {
		set_err(c, VOUCH_ESYNTAX);
		return;
	}
	cfws(c);
	if (!at(c, '=')) {
		set_err(c, VOUCH_ESYNTAX);
		return;
	}
	c->p++;
	pr->value = pvalue(c, &pr->value_len);
	if (c->err == VOUCH_OK)
		r->nprops++;
}

/*
 * resinfo = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
 * methodspec = [CFWS] method [CFWS] "=" [CFWS] result
 * method = Keyword [ [CFWS] "/" [CFWS] method-version ]
 * (RFC 8601 §2.2); the ";" and the method are already read.  Leniently,
 * the reason may come after properties, but only once.
 */
static void
resinfo(struct cur *c, struct vouch_authres_result *r, const char *method)
{
	const char *kw;
	size_t pcap = 0;

	r->method = method;
	if (at(c, '/')) {
		c->p++;
		cfws(c);
		r->method_version = digits(c);
		cfws(c);
	}
	if (!at(c, '=')) {
		set_err(c, VOUCH_ESYNTAX); /* a method without "=" */
		return;
	}
	c->p++;
	cfws(c);
	if ((r->result = keyword(c)) == NULL) {
		set_err(c, VOUCH_ESYNTAX); /* no result */
		return;
	}
	/* every round reads a property or stops: bounded by the input */
	for (;;) {
		cfws(c);
		if (c->err != VOUCH_OK || c->p >= c->end || *c->p == ';')
			return;
		if ((kw = keyword(c)) == NULL) {
			set_err(c, VOUCH_ESYNTAX);
			return;
		}
		cfws(c);
		if (strcmp(kw, "reason") == 0 && at(c, '=')) {
			/* reasonspec = "reason" [CFWS] "=" [CFWS] value */
			if (r->reason != NULL) {
				set_err(c, VOUCH_ESYNTAX);
				return;
			}
			c->p++;
			r->reason = pvalue(c, &r->reason_len);
		} else
			propspec(c, r, &pcap, kw);
	}
}

/* Skips "Authentication-Results" [WSP] ":" when the field starts so. */
static void
field_name(struct cur *c)
{
	const uint8_t *q = c->p;
	size_t i;

	if ((size_t)(c->end - q) < AR_FIELD_NAME_LEN)
		return;
	for (i = 0; i < AR_FIELD_NAME_LEN; i++)
		if (ar_lower(q[i]) != ar_lower((uint8_t)AR_FIELD_NAME[i]))
			return;
	q += AR_FIELD_NAME_LEN;
	while (q < c->end && (*q == ' ' || *q == '\t'))
		q++;
	if (q < c->end && *q == ':')
		c->p = q + 1;
}

/*
 * authres-payload = [CFWS] authserv-id [ CFWS authres-version ]
 *                   ( no-result / 1*resinfo ) [CFWS] CRLF
 * no-result = [CFWS] ";" [CFWS] "none"            (RFC 8601 §2.2)
 */
static void
payload(struct cur *c, struct parsed *ar)
{
	struct vouch_authres *pub = &ar->pub;
	struct vouch_authres_result *res;
	const char *kw;

	cfws(c);
	pub->authserv_id = value(c, &pub->authserv_id_len);
	if (c->err == VOUCH_OK && pub->authserv_id_len == 0)
		set_err(c, VOUCH_ESYNTAX); /* RFC 8601 §2.5: the id is needed */
	cfws(c);
	if (c->err == VOUCH_OK && c->p < c->end && *c->p >= '0' &&
	    *c->p <= '9') {
		pub->version = digits(c);
		cfws(c);
	}
	if (!at(c, ';')) {
		set_err(c, VOUCH_ESYNTAX); /* neither "none" nor a result */
		return;
	}
	/* every round consumes a ";": bounded by the input and MAX_RESULTS */
	while (at(c, ';')) {
		c->p++;
		cfws(c);
		if (c->err != VOUCH_OK || c->p >= c->end)
			return; /* leniency: a ';' may end the field */
		if ((kw = keyword(c)) == NULL) {
			set_err(c, VOUCH_ESYNTAX);
			return;
		}
		cfws(c);
		if (pub->nresults == 0 && !pub->none &&
		    strcmp(kw, "none") == 0 && !at(c, '=') && !at(c, '/')) {
			pub->none = 1;
			if (at(c, ';')) {
				c->p++;
				cfws(c);
			}
			if (c->err == VOUCH_OK && c->p < c->end)
				set_err(c, VOUCH_ESYNTAX); /* text after none */
			return;
		}
		res = grow(c, pub->results, pub->nresults, &ar->rcap,
		    sizeof(*res), VOUCH_AUTHRES_MAX_RESULTS);
		if (res == NULL)
			return;
		pub->results = res;
		resinfo(c, &res[pub->nresults], kw);
		if (c->err == VOUCH_OK)
			pub->nresults++;
	}
	if (c->err == VOUCH_OK && c->p < c->end)
		set_err(c, VOUCH_ESYNTAX);
}

void
vouch_authres_result_free(struct vouch_authres *pub)
{
	struct parsed *ar = (struct parsed *)pub;
	size_t i;

	if (ar == NULL)
		return;
	for (i = 0; i < ar->rcap; i++)
		free(ar->pub.results[i].props);
	free(ar->pub.results);
	free(ar->text);
	free(ar);
}

enum vouch_status
vouch_authres_parse(
    const uint8_t *field, size_t len, struct vouch_authres **out)
{
	struct parsed *ar;
	struct cur c;

	if (out == NULL)
		return VOUCH_EINVAL;
	*out = NULL;
	if (field == NULL && len > 0)
		return VOUCH_EINVAL;
	if (len > VOUCH_AUTHRES_MAX_FIELD)
		return VOUCH_ELIMIT;
	if ((ar = calloc(1, sizeof(*ar))) == NULL)
		return VOUCH_ENOMEM;
	memset(&c, 0, sizeof(c));
	c.tcap = 2 * len + 2;
	if ((ar->text = malloc(c.tcap)) == NULL) {
		free(ar);
		return VOUCH_ENOMEM;
	}
	c.text = ar->text;
	c.p = field;
	c.end = field + len;
	field_name(&c);
	payload(&c, ar);
	if (c.err != VOUCH_OK) {
		vouch_authres_result_free(&ar->pub);
		return c.err;
	}
	*out = &ar->pub;
	return VOUCH_OK;
}
