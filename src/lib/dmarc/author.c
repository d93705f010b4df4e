/*
 * The Author Domains of a message (RFC 9989 §5.3.1), read so that no way
 * of writing the From field buys a better verdict (doc/threat-model.md):
 *  - every From field is read, each by RFC 5322 §3.4 and again as a mail
 *    reader that decodes RFC 2047 encoded-words reads it; the domains of
 *    both readings are evaluated, and a difference marks the field
 *    ambiguous;
 *  - a domain is taken as a reader shows it: code points a reader may not
 *    draw are removed (and the field marked), so "victim.example" followed
 *    by U+200E is victim.example;
 *  - whatever cannot be read (no field, a field that does not parse, a
 *    literal, too many addresses) is recorded as unsafe with its reason.
 * RFC 9989 §4.4 and §11.5 leave all of these to the receiver; the choices
 * are explained in doc/threat-model.md, class 4.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/internal.h"
#include "mail/address.h"
#include "mail/utf8.h"

void
dmarc_set_unsafe(struct vouch_dmarc_result *res, enum vouch_dmarc_unsafe u,
    const char *fmt, ...)
{
	va_list ap;

	/* the first problem found is the one reported */
	if (res->unsafe != VOUCH_DMARC_SAFE)
		return;
	res->unsafe = u;
	va_start(ap, fmt);
	vsnprintf(res->unsafe_reason, sizeof(res->unsafe_reason), fmt, ap);
	va_end(ap);
}

/* Adds a normalized author domain once; 0, or -1 when there is no room. */
static int
add_author(struct vouch_dmarc_result *res, const char *name)
{
	size_t j;

	for (j = 0; j < res->ndomains; j++)
		if (strcmp(res->domain[j].author_domain, name) == 0)
			return 0;
	if (res->ndomains == VOUCH_DMARC_MAX_AUTHOR_DOMAINS)
		return -1;
	/* entries past the first are not cleared with the result (dmarc.h) */
	if (res->ndomains > 0)
		memset(&res->domain[res->ndomains], 0, sizeof(res->domain[0]));
	memcpy(
	    res->domain[res->ndomains++].author_domain, name, strlen(name) + 1);
	return 0;
}

/*
 * The domain as a reader shows it: the code points of mail_cp_hidden()
 * removed.  Returns the number removed (*first: the first of them), or -1
 * when the bytes are not UTF-8.
 */
static int
visible(
    const uint8_t *p, size_t len, uint8_t *out, size_t *outlen, uint32_t *first)
{
	const uint8_t *end = p + len;
	uint32_t cp;
	size_t n;
	int removed = 0;

	*outlen = 0;
	while (p < end) {
		/* printable ASCII (a domain, mostly): one byte, never hidden
		 * (mail_cp_hidden), without the two calls per byte */
		if (*p >= 0x20 && *p < 0x7f) {
			out[(*outlen)++] = *p++;
			continue;
		}
		if ((n = mail_utf8_decode(p, end, &cp)) == 0)
			return -1;
		if (mail_cp_hidden(cp)) {
			if (removed++ == 0)
				*first = cp;
		} else {
			memcpy(out + *outlen, p, n);
			*outlen += n;
		}
		p += n;
	}
	return removed;
}

/*
 * Hidden code points in a local part (only the domain decides DMARC, but
 * a reader shows the address whole): white space of the obsolete syntax
 * (RFC 5322 §4.4) aside.  Returns the first one, or 0.
 */
static uint32_t
hidden_in_local(const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	uint32_t cp;
	size_t n;

	while (p < end) {
		if (*p >= 0x20 && *p < 0x7f) {
			p++; /* printable ASCII: never hidden (mail_cp_hidden)
			      */
			continue;
		}
		if ((n = mail_utf8_decode(p, end, &cp)) == 0) {
			p++; /* not UTF-8: shown as a replacement, not hidden */
			continue;
		}
		if (cp != ' ' && cp != '\t' && cp != '\r' && cp != '\n' &&
		    mail_cp_hidden(cp))
			return cp;
		p += n;
	}
	return 0;
}

/*
 * Where a mailbox's problems go: to the result, or, for the RFC 5322
 * reading of a field, held (the first of them) until the problems of the
 * field itself are recorded, which come first.  So one reading gives the
 * field's count and its domains, which took two readings before.
 */
struct unsafe_note {
	enum vouch_dmarc_unsafe u;
	char why[sizeof(((struct vouch_dmarc_result *)0)->unsafe_reason)];
};

static void mailbox_unsafe(struct vouch_dmarc_result *res,
    struct unsafe_note *note, enum vouch_dmarc_unsafe u, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
mailbox_unsafe(struct vouch_dmarc_result *res, struct unsafe_note *note,
    enum vouch_dmarc_unsafe u, const char *fmt, ...)
{
	enum vouch_dmarc_unsafe *to = note != NULL ? &note->u : &res->unsafe;
	char *why = note != NULL ? note->why : res->unsafe_reason;
	va_list ap;

	/* the first problem found is the one reported */
	if (*to != VOUCH_DMARC_SAFE)
		return;
	*to = u;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(note->why), fmt, ap);
	va_end(ap);
}

/* One mailbox: its domain as shown, added to the author domains. */
static void
read_mailbox(struct vouch_dmarc_result *res, struct unsafe_note *note,
    const struct mail_mailbox *mb)
{
	uint8_t shown[VOUCH_ADDR_MAX_DOMAIN];
	char name[VOUCH_DNS_MAX_NAME + 1];
	size_t len;
	uint32_t cp = 0;
	const char *why;
	int r;

	if ((cp = hidden_in_local(mb->local, mb->locallen)) != 0)
		mailbox_unsafe(res, note, VOUCH_DMARC_UNSAFE_HIDDEN_CHARS,
		    "an address in From holds U+%04X in its local part, which "
		    "a "
		    "reader may not show",
		    (unsigned)cp);
	if (mb->literal) {
		mailbox_unsafe(res, note, VOUCH_DMARC_UNSAFE_NO_AUTHOR_DOMAIN,
		    "author domain is an address literal");
		return;
	}
	r = visible(mb->domain, mb->domainlen, shown, &len, &cp);
	if (r < 0) {
		mailbox_unsafe(res, note, VOUCH_DMARC_UNSAFE_MALFORMED_FROM,
		    "an author domain in From is not UTF-8");
		return;
	}
	if (dmarc_normalize(shown, len, name, sizeof(name), &why) < 0) {
		mailbox_unsafe(res, note, VOUCH_DMARC_UNSAFE_NO_AUTHOR_DOMAIN,
		    "author domain: %s", why);
		return;
	}
	if (r > 0)
		mailbox_unsafe(res, note, VOUCH_DMARC_UNSAFE_HIDDEN_CHARS,
		    "the From field holds U+%04X, which a reader may not show, "
		    "in the domain %s",
		    (unsigned)cp, name);
	if (add_author(res, name) < 0)
		mailbox_unsafe(res, note, VOUCH_DMARC_UNSAFE_INCOMPLETE,
		    "more than %d author domains in From: the evaluation is "
		    "incomplete (RFC 9989 11.5)",
		    VOUCH_DMARC_MAX_AUTHOR_DOMAINS);
}

/*
 * What one reading of a field found, mailbox by mailbox: how many, and a
 * digest of their domains in order (FNV-1a, 64 bits), so that two readings
 * are compared however many mailboxes there are.
 */
struct reading {
	struct vouch_dmarc_result *res; /* NULL: count only */
	struct unsafe_note *note; /* NULL: problems go to res */
	size_t n;
	uint64_t digest;
};

static void
each_mailbox(void *arg, const struct mail_mailbox *mb)
{
	struct reading *r = arg;
	size_t i;

	r->n++;
	r->digest ^= (uint64_t)mb->literal + 0x100u;
	r->digest *= 0x100000001b3ull;
	for (i = 0; i < mb->domainlen; i++) {
		r->digest ^= mb->domain[i];
		r->digest *= 0x100000001b3ull;
	}
	if (r->res != NULL)
		read_mailbox(r->res, r->note, mb);
}

/* The value of one base64 character (RFC 4648 §4), or -1. */
static int
b64(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Watches decoded bytes for an at-sign as a reader draws it: "@", U+FF20
 * FULLWIDTH COMMERCIAL AT (EF BC A0) or U+FE6B SMALL COMMERCIAL AT
 * (EF B9 AB).  Returns 1 once one was seen.
 */
struct at_watch {
	uint8_t last[2];
	int seen;
};

static void
at_byte(struct at_watch *w, uint8_t c)
{
	if (c == '@' ||
	    (w->last[0] == 0xef && w->last[1] == 0xbc && c == 0xa0) ||
	    (w->last[0] == 0xef && w->last[1] == 0xb9 && c == 0xab))
		w->seen = 1;
	w->last[0] = w->last[1];
	w->last[1] = c;
}

/*
 * Does the encoded-word p/len ("=?charset?enc?text?=", RFC 2047 §2) show
 * an at-sign once decoded (Q: §4.2, "_" a space and "=XX" a byte; B: §4.1,
 * base64)?  The charset is not converted: "@" is 0x40 in every charset a
 * mail reader uses for headers, and the two wide forms are UTF-8.
 */
static int
word_shows_at(const uint8_t *p, size_t len)
{
	const uint8_t *q = p + 2, *end = p + len - 2;
	struct at_watch w = {{0, 0}, 0};
	uint32_t acc = 0;
	int enc, nbits = 0, v, h1, h2;

	while (q < end && *q != '?')
		q++; /* the charset */
	if (end - q < 3 || q[2] != '?')
		return 0;
	enc = q[1] | 0x20;
	q += 3;
	for (; q < end; q++) {
		if (enc == 'q') {
			if (*q == '=' && end - q >= 3 &&
			    (h1 = hexval(q[1])) >= 0 &&
			    (h2 = hexval(q[2])) >= 0) {
				at_byte(&w, (uint8_t)(h1 << 4 | h2));
				q += 2;
			} else
				at_byte(&w, *q == '_' ? ' ' : *q);
		} else if (enc == 'b' && (v = b64(*q)) >= 0) {
			acc = (acc << 6) | (uint32_t)v;
			if ((nbits += 6) >= 8) {
				nbits -= 8;
				at_byte(&w, (uint8_t)(acc >> nbits));
			}
		}
	}
	return w.seen;
}

/*
 * What a reader shows that the grammar does not: an encoded-word that
 * decodes to an at-sign (a display name that shows an address, RFC 2047
 * §5 allows no "@" in a phrase's encoded-word), or a bidi control, which
 * redraws the text after it in another order.  Scans the whole field,
 * quoted strings and comments too: readers decode encoded-words there
 * against RFC 2047 §5.
 */
static void
read_shown(struct vouch_dmarc_result *res, const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	uint32_t cp;
	size_t n;

	while (p < end) {
		if (*p < 0x80 && *p != '=') {
			p++; /* ASCII: no encoded-word, no bidi control */
			continue;
		}
		if (*p == '=' && (n = mail_encoded_word(p, end)) > 0) {
			if (word_shows_at(p, n))
				dmarc_set_unsafe(res,
				    VOUCH_DMARC_UNSAFE_AMBIGUOUS_FROM,
				    "an encoded-word in the From field shows "
				    "an address, not the one the field "
				    "holds");
			p += n;
			continue;
		}
		if ((n = mail_utf8_decode(p, end, &cp)) == 0) {
			p++;
			continue;
		}
		if (mail_cp_bidi_control(cp))
			dmarc_set_unsafe(res, VOUCH_DMARC_UNSAFE_HIDDEN_CHARS,
			    "the From field holds U+%04X, which reorders the "
			    "text a reader shows",
			    (unsigned)cp);
		p += n;
	}
}

/*
 * Does "=?" occur in p/len?  MAIL_FROM_LENIENT reads differently only an
 * encoded-word (mail/address.c atom(): one begins "=?"), so without one
 * the reader's reading of a field is the RFC 5322 one, and not made.
 */
static int
has_ew_start(const uint8_t *p, size_t len)
{
	const uint8_t *q = p, *end = p + len;

	while (q < end && (q = memchr(q, '=', (size_t)(end - q))) != NULL) {
		if (q + 1 < end && q[1] == '?')
			return 1;
		q++;
	}
	return 0;
}

/*
 * One From field: its author domains.  RFC 5322 §3.4 decides the
 * addresses; every one is evaluated, however many (each mailbox is read as
 * it is parsed, nothing is kept but the distinct domains, RFC 9989 §11.5
 * bounds those).  A reader that decodes encoded-words is asked too: where
 * it finds other addresses, or the grammar finds none, its domains are
 * evaluated as well, so that what a reader shows is never less strict
 * than what the grammar says (doc/threat-model.md, class 4).
 */
static enum vouch_status
read_field(struct vouch_dmarc_result *res, const uint8_t *f, size_t len)
{
	struct unsafe_note note = {VOUCH_DMARC_SAFE, ""};
	struct reading rfc = {res, &note, 0, 0xcbf29ce484222325ull};
	struct reading reader = {NULL, NULL, 0, 0xcbf29ce484222325ull};
	enum vouch_status srfc, sreader;
	const char *why_rfc, *why_reader;
	unsigned ngroups, nrgroups;
	int differ;

	srfc = mail_from_parse_each(
	    f, len, 0, &ngroups, &why_rfc, each_mailbox, &rfc);
	if (has_ew_start(f, len))
		sreader = mail_from_parse_each(f, len, MAIL_FROM_LENIENT,
		    &nrgroups, &why_reader, each_mailbox, &reader);
	else {
		/* the two readings differ only at an encoded-word */
		sreader = srfc;
		reader.n = rfc.n;
		reader.digest = rfc.digest;
	}
	if (srfc != VOUCH_OK)
		dmarc_set_unsafe(res, VOUCH_DMARC_UNSAFE_MALFORMED_FROM,
		    "From field does not parse: %s",
		    why_rfc ? why_rfc : "syntax error");
	else if (sreader != VOUCH_OK || reader.n != rfc.n ||
	         reader.digest != rfc.digest)
		dmarc_set_unsafe(res, VOUCH_DMARC_UNSAFE_AMBIGUOUS_FROM,
		    "the From field reads as %zu address(es) by RFC 5322 and "
		    "otherwise to a reader that decodes encoded-words",
		    rfc.n);
	else if (rfc.n == 0)
		dmarc_set_unsafe(res, VOUCH_DMARC_UNSAFE_NO_AUTHOR_DOMAIN,
		    ngroups ? "From field holds an empty group: no author "
		              "domain"
		            : "no address in From field");
	differ = srfc != VOUCH_OK || reader.n != rfc.n ||
	         reader.digest != rfc.digest;
	/*
	 * The problem of the field first, then those of its domains, which
	 * the RFC 5322 reading above added (read to where it stops: every
	 * address before an error counts) and held.
	 */
	if (note.u != VOUCH_DMARC_SAFE)
		dmarc_set_unsafe(res, note.u, "%s", note.why);
	if (differ) {
		/* what the reader shows is evaluated too */
		reader.res = res;
		reader.n = 0;
		(void)mail_from_parse_each(f, len, MAIL_FROM_LENIENT, &nrgroups,
		    &why_reader, each_mailbox, &reader);
	}
	read_shown(res, f, len);
	return VOUCH_OK;
}

enum vouch_status
dmarc_read_authors(const uint8_t *const *from, const size_t *fromlen,
    size_t nfrom, struct vouch_dmarc_result *res)
{
	enum vouch_status st;
	size_t i;

	/* RFC 5322 §3.6: exactly one From field */
	if (nfrom == 0)
		dmarc_set_unsafe(
		    res, VOUCH_DMARC_UNSAFE_NO_FROM, "no From field");
	else if (nfrom > 1)
		dmarc_set_unsafe(res, VOUCH_DMARC_UNSAFE_SEVERAL_FROM,
		    "%zu From fields: each is evaluated", nfrom);
	for (i = 0; i < nfrom; i++)
		if ((st = read_field(res, from[i], fromlen[i])) != VOUCH_OK)
			return st;
	return VOUCH_OK;
}
