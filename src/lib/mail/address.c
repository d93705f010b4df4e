/*
 * RFC 5322 §3.4 mailbox-list parser (From: field), with the obsolete syntax
 * of §4.4.  See address.h.
 */
#include <stddef.h>
#include <string.h>

#include "mail/address.h"

struct cursor {
	const uint8_t *p;
	const uint8_t *end;
	const char *why; /* first error, sticky */
	enum vouch_status err;
	/* the mailboxes kept, or NULL (mail_from_parse_each: each one is
	 * read into spare and handed to `each`) */
	struct mail_mailbox_list *out;
	size_t n, ntotal; /* mailboxes kept, and read */
	unsigned ngroups;
	unsigned flags; /* MAIL_FROM_* */
	struct mail_mailbox spare; /* parses mailboxes past the limit */
	mail_mailbox_fn each; /* called for every mailbox, or NULL */
	void *arg;
};

static int
fail(struct cursor *c, enum vouch_status st, const char *why)
{
	if (c->err == VOUCH_OK) {
		c->err = st;
		c->why = why;
	}
	return -1;
}

static int
is_wsp(uint8_t ch)
{
	/* Folding is CRLF followed by WSP; the field is unfolded here. */
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/*
 * atext (RFC 5322 §3.2.3), widened by RFC 6532 §3.2 to UTF-8 (any byte of
 * 0x80 and above).  The specials of atext as bits of two words, not a
 * strchr per byte: every word of a From field ends at a byte that is not
 * a letter or digit, and each such byte was a library call.
 */
static int
is_atext(uint8_t ch)
{
	/* ! # $ % & ' * + - / = ? (0x21..0x3f) and ^ _ ` { | } ~ */
	static const uint64_t lo =
	    (1ull << '!') | (1ull << '#') | (1ull << '$') | (1ull << '%') |
	    (1ull << '&') | (1ull << '\'') | (1ull << '*') | (1ull << '+') |
	    (1ull << '-') | (1ull << '/') | (1ull << '=') | (1ull << '?');
	static const uint64_t hi = (1ull << ('^' - 64)) | (1ull << ('_' - 64)) |
	                           (1ull << ('`' - 64)) | (1ull << ('{' - 64)) |
	                           (1ull << ('|' - 64)) | (1ull << ('}' - 64)) |
	                           (1ull << ('~' - 64));

	if (ch >= 0x80)
		return 1;
	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9'))
		return 1;
	return ch < 64 ? (int)((lo >> ch) & 1) : (int)((hi >> (ch - 64)) & 1);
}

/*
 * comment = "(" *([FWS] ccontent) [FWS] ")"  (RFC 5322 §3.2.2)
 * Iterative: the nesting is a count, not a recursion, so any depth is
 * read to its end.  A limit here would be one the sender controls: a
 * field nested one level deeper than it would not be read at all (see
 * VOUCH_ADDR_MAX_COMMENT_DEPTH).
 */
static int
comment(struct cursor *c)
{
	size_t depth = 0;

	while (c->p < c->end) {
		uint8_t ch = *c->p++;

		if (ch == '\\') {
			if (c->p == c->end)
				break;
			c->p++;
		} else if (ch == '(') {
			depth++;
		} else if (ch == ')') {
			if (--depth == 0)
				return 0;
		}
	}
	return fail(c, VOUCH_ESYNTAX, "unterminated comment");
}

/* CFWS = (1*([FWS] comment) [FWS]) / FWS  (RFC 5322 §3.2.2) */
static int
cfws(struct cursor *c)
{
	while (c->p < c->end) {
		if (is_wsp(*c->p))
			c->p++;
		else if (*c->p == '(') {
			if (comment(c) < 0)
				return -1;
		} else
			break;
	}
	return 0;
}

/* quoted-string (RFC 5322 §3.2.4); the cursor is on the opening quote. */
static int
quoted_string(struct cursor *c)
{
	c->p++;
	while (c->p < c->end) {
		uint8_t ch = *c->p++;

		if (ch == '\\') {
			if (c->p == c->end)
				break;
			c->p++;
		} else if (ch == '"')
			return 0;
	}
	return fail(c, VOUCH_ESYNTAX, "unterminated quoted string");
}

/*
 * An RFC 2047 encoded-word ("=?charset?enc?text?=") read as mail readers
 * read it: one word of a phrase, whatever its text holds.  Senders put
 * characters in the text that are not atext (commas, "@", "<"); RFC 5322
 * does not know encoded-words, and by its grammar such a text is several
 * words and specials (MAIL_FROM_LENIENT chooses the reader's way).
 * Returns its length or 0.
 */
size_t
mail_encoded_word(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *q;
	int nq = 0;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	for (q = p + 2; q < end && !is_wsp(*q); q++) {
		if (*q != '?')
			continue;
		nq++;
		if (nq >= 3 && q + 1 < end && q[1] == '=')
			return (size_t)(q + 2 - p);
	}
	return 0;
}

/* atom = [CFWS] 1*atext [CFWS]; the cursor is past the leading CFWS. */
static int
atom(struct cursor *c)
{
	const uint8_t *start = c->p;
	size_t ew;

	if ((c->flags & MAIL_FROM_LENIENT) &&
	    (ew = mail_encoded_word(c->p, c->end)) > 0) {
		c->p += ew;
		return 0;
	}
	while (c->p < c->end && is_atext(*c->p))
		c->p++;
	return c->p > start ? 0 : -1;
}

static int
add_domain_byte(struct cursor *c, struct mail_mailbox *mb, uint8_t ch)
{
	if (mb->domainlen >= sizeof(mb->domain))
		return fail(c, VOUCH_ELIMIT, "domain too long");
	mb->domain[mb->domainlen++] = ch;
	return 0;
}

/* domain-literal = [CFWS] "[" *([FWS] dtext) [FWS] "]" [CFWS] (§3.4.1) */
static int
domain_literal(struct cursor *c, struct mail_mailbox *mb)
{
	mb->literal = 1;
	while (c->p < c->end) {
		uint8_t ch = *c->p++;

		if (is_wsp(ch))
			continue;
		if (ch == '\\') { /* obs-dtext: quoted-pair */
			if (c->p == c->end)
				break;
			ch = *c->p++;
		} else if (ch == '[')
			return fail(c, VOUCH_ESYNTAX, "'[' in domain literal");
		if (add_domain_byte(c, mb, ch) < 0)
			return -1;
		if (ch == ']')
			return 0;
	}
	return fail(c, VOUCH_ESYNTAX, "unterminated domain literal");
}

/*
 * domain = dot-atom / domain-literal / obs-domain  (§3.4.1, §4.4)
 * obs-domain = atom *("." atom), so CFWS may surround each dot.  A single
 * trailing dot is kept (the caller removes it as DNS does).
 */
static int
domain(struct cursor *c, struct mail_mailbox *mb)
{
	const uint8_t *a;

	mb->domainlen = 0;
	mb->literal = 0;
	if (cfws(c) < 0)
		return -1;
	if (c->p < c->end && *c->p == '[') {
		if (add_domain_byte(c, mb, *c->p++) < 0 ||
		    domain_literal(c, mb) < 0)
			return -1;
		return cfws(c);
	}
	for (;;) {
		a = c->p;
		while (c->p < c->end && is_atext(*c->p))
			c->p++;
		if (c->p == a) {
			/* "user@example.com." : a final dot, nothing after */
			if (mb->domainlen > 0 &&
			    mb->domain[mb->domainlen - 1] == '.')
				return 0;
			return fail(c, VOUCH_ESYNTAX, "empty domain label");
		}
		while (a < c->p)
			if (add_domain_byte(c, mb, *a++) < 0)
				return -1;
		if (cfws(c) < 0)
			return -1;
		if (c->p == c->end || *c->p != '.')
			return 0;
		c->p++;
		if (add_domain_byte(c, mb, '.') < 0 || cfws(c) < 0)
			return -1;
	}
}

/*
 * The next mailbox: past VOUCH_FROM_MAX_MAILBOXES it is parsed into a
 * spare and only counted (out->ntotal), so that the whole field is still
 * read and the caller knows what it did not get.
 */
static struct mail_mailbox *
new_mailbox(struct cursor *c)
{
	struct mail_mailbox *mb;

	mb = c->out != NULL && c->n < VOUCH_FROM_MAX_MAILBOXES
	         ? &c->out->mb[c->n]
	         : &c->spare;
	return mb;
}

static void
add_local_byte(struct mail_mailbox *mb, uint8_t ch)
{
	if (mb->local_toolong)
		return;
	if (mb->locallen >= sizeof(mb->local)) {
		/* Not an error: DMARC needs only the domain. */
		mb->local_toolong = 1;
		mb->locallen = 0;
		return;
	}
	mb->local[mb->locallen++] = ch;
}

/*
 * The local part [p, end), already checked by words(), as it means: a
 * quoted-string stands for its characters (§3.2.4, §3.4.1), CFWS between
 * the words of an obs-local-part (§4.4) is not part of it.
 */
static void
keep_local_part(struct mail_mailbox *mb, const uint8_t *p, const uint8_t *end)
{
	unsigned depth;
	uint8_t ch;

	mb->locallen = 0;
	mb->local_quoted = 0;
	mb->local_toolong = 0;
	while (p < end) {
		ch = *p++;
		if (is_wsp(ch))
			continue;
		if (ch == '(') {
			for (depth = 1; p < end && depth > 0;) {
				ch = *p++;
				if (ch == '\\' && p < end)
					p++;
				else if (ch == '(')
					depth++;
				else if (ch == ')')
					depth--;
			}
			continue;
		}
		if (ch != '"') {
			add_local_byte(mb, ch);
			continue;
		}
		mb->local_quoted = 1;
		while (p < end && (ch = *p++) != '"') {
			if (ch == '\\' && p < end)
				ch = *p++; /* quoted-pair */
			else if (ch == '\r' || ch == '\n')
				continue; /* unfolding: FWS keeps its WSP */
			add_local_byte(mb, ch);
		}
	}
}

/*
 * addr-spec = local-part "@" domain (§3.4.1); the local part [local, c->p)
 * has been read by the caller (a dot-atom, a quoted-string or an
 * obs-local-part all read as the words of a phrase).  The cursor is on "@".
 */
static int
addr_spec_domain(struct cursor *c, const uint8_t *local)
{
	struct mail_mailbox *mb;

	if ((mb = new_mailbox(c)) == NULL)
		return -1;
	keep_local_part(mb, local, c->p);
	c->p++; /* "@" */
	if (domain(c, mb) < 0)
		return -1;
	if (c->each != NULL)
		c->each(c->arg, mb);
	if (c->n < VOUCH_FROM_MAX_MAILBOXES)
		c->n++;
	c->ntotal++;
	return 0;
}

/*
 * words = *(word / "." / CFWS): a phrase (§3.2.5, obs-phrase §4.1) or a
 * local part (§3.4.1, obs-local-part §4.4).  Returns the number of words.
 */
static int
words(struct cursor *c, size_t *nwords)
{
	*nwords = 0;
	for (;;) {
		if (cfws(c) < 0)
			return -1;
		if (c->p == c->end)
			return 0;
		if (*c->p == '"') {
			if (quoted_string(c) < 0)
				return -1;
		} else if (*c->p == '.') {
			c->p++;
		} else if (atom(c) < 0)
			return 0; /* a special: the caller decides */
		(*nwords)++;
	}
}

/*
 * angle-addr = [CFWS] "<" addr-spec ">" [CFWS] / obs-angle-addr
 * obs-angle-addr = [CFWS] "<" obs-route addr-spec ">" [CFWS]  (§4.4)
 * obs-route = obs-domain-list ":", obs-domain-list = *(CFWS / ",") "@"
 * domain *("," [CFWS] ["@" domain])
 */
static int
angle_addr(struct cursor *c)
{
	struct mail_mailbox route;
	const uint8_t *local;
	size_t n;

	c->p++; /* "<" */
	if (cfws(c) < 0)
		return -1;
	if (c->p < c->end && (*c->p == '@' || *c->p == ',')) {
		/* obs-route: the route is read and dropped. */
		while (c->p < c->end && *c->p != ':') {
			if (*c->p == ',') {
				c->p++;
			} else if (*c->p == '@') {
				c->p++;
				if (domain(c, &route) < 0)
					return -1;
			} else
				return fail(c, VOUCH_ESYNTAX, "bad route");
			if (cfws(c) < 0)
				return -1;
		}
		if (c->p == c->end)
			return fail(c, VOUCH_ESYNTAX, "unterminated route");
		c->p++;
	}
	local = c->p;
	if (words(c, &n) < 0)
		return -1;
	if (n == 0 || c->p == c->end || *c->p != '@')
		return fail(c, VOUCH_ESYNTAX, "no addr-spec in angle brackets");
	if (addr_spec_domain(c, local) < 0)
		return -1;
	if (c->p == c->end || *c->p != '>')
		return fail(c, VOUCH_ESYNTAX, "unbalanced angle brackets");
	c->p++;
	return cfws(c);
}

static int mailbox_list(struct cursor *, int);

/*
 * mailbox = name-addr / addr-spec; name-addr = [display-name] angle-addr
 * (§3.4); group = display-name ":" [group-list] ";" [CFWS].  Groups are
 * accepted (address-list syntax) so that a From field using one is reported
 * as such, and their mailboxes are listed.
 */
static int
mailbox_or_group(struct cursor *c, int ingroup)
{
	const uint8_t *start = c->p;
	size_t n;

	if (words(c, &n) < 0)
		return -1;
	if (c->p == c->end)
		return fail(c, VOUCH_ESYNTAX,
		    n ? "no address after display "
		        "name"
		      : "empty address");
	switch (*c->p) {
	case '<':
		return angle_addr(c);
	case '@':
		if (n == 0)
			return fail(c, VOUCH_ESYNTAX, "empty local part");
		if (addr_spec_domain(c, start) < 0)
			return -1;
		return cfws(c);
	case ':':
		if (ingroup)
			return fail(c, VOUCH_ESYNTAX, "group inside a group");
		if (n == 0)
			return fail(c, VOUCH_ESYNTAX, "group without a name");
		c->p++;
		c->ngroups++;
		if (mailbox_list(c, 1) < 0)
			return -1;
		if (c->p == c->end || *c->p != ';')
			return fail(c, VOUCH_ESYNTAX, "unterminated group");
		c->p++;
		return cfws(c);
	default:
		return fail(c, VOUCH_ESYNTAX,
		    "unexpected character in "
		    "address");
	}
}

/*
 * mailbox-list = (mailbox *("," mailbox)) / obs-mbox-list
 * obs-mbox-list = *([CFWS] ",") mailbox *("," [mailbox / CFWS])  (§4.4)
 * Inside a group the list ends at ";".
 */
static int
mailbox_list(struct cursor *c, int ingroup)
{
	for (;;) {
		if (cfws(c) < 0)
			return -1;
		if (c->p == c->end)
			return 0;
		if (*c->p == ',') { /* an empty element (obsolete) */
			c->p++;
			continue;
		}
		if (ingroup && *c->p == ';')
			return 0;
		if (mailbox_or_group(c, ingroup) < 0)
			return -1;
		if (c->p == c->end)
			return 0;
		if (ingroup && *c->p == ';')
			return 0;
		if (*c->p != ',')
			return fail(c, VOUCH_ESYNTAX,
			    *c->p == '>' ? "unbalanced angle brackets"
			                 : "text after an address");
		c->p++;
	}
}

static enum vouch_status
list_parse(const uint8_t *p, size_t len, unsigned flags,
    struct mail_mailbox_list *out, unsigned *ngroups, const char **why,
    mail_mailbox_fn each, void *arg)
{
	struct cursor c;
	int rc;

	memset(&c, 0, offsetof(struct cursor, spare));
	c.p = p;
	c.end = p + len;
	c.out = out;
	c.flags = flags;
	c.each = each;
	c.arg = arg;
	rc = mailbox_list(&c, 0);
	/* what was read, also before an error */
	if (out != NULL) {
		out->n = c.n;
		out->ntotal = c.ntotal;
		out->ngroups = c.ngroups;
	}
	if (ngroups != NULL)
		*ngroups = c.ngroups;
	if (rc < 0 || c.err != VOUCH_OK) {
		*why = c.why;
		return c.err != VOUCH_OK ? c.err : VOUCH_ESYNTAX;
	}
	*why = NULL;
	return VOUCH_OK;
}

enum vouch_status
mail_mailbox_list_parse_mode(const uint8_t *p, size_t len, unsigned flags,
    struct mail_mailbox_list *out, const char **why)
{
	return list_parse(p, len, flags, out, NULL, why, NULL, NULL);
}

enum vouch_status
mail_mailbox_list_parse(const uint8_t *p, size_t len,
    struct mail_mailbox_list *out, const char **why)
{
	return mail_mailbox_list_parse_mode(
	    p, len, MAIL_FROM_LENIENT, out, why);
}

/* The body of a From field: what follows the first colon, or NULL. */
static const uint8_t *
after_colon(const uint8_t *p, size_t len)
{
	const uint8_t *colon = len > 0 ? memchr(p, ':', len) : NULL;

	return colon != NULL ? colon + 1 : NULL;
}

enum vouch_status
mail_from_parse_each(const uint8_t *p, size_t len, unsigned flags,
    unsigned *ngroups, const char **why, mail_mailbox_fn each, void *arg)
{
	const uint8_t *body = after_colon(p, len);

	if (body == NULL) {
		*ngroups = 0;
		*why = "no colon after the field name";
		return VOUCH_ESYNTAX;
	}
	return list_parse(body, len - (size_t)(body - p), flags, NULL, ngroups,
	    why, each, arg);
}

enum vouch_status
mail_from_parse_mode(const uint8_t *p, size_t len, unsigned flags,
    struct mail_mailbox_list *out, const char **why)
{
	const uint8_t *body = after_colon(p, len);

	if (body == NULL) {
		out->n = 0;
		out->ntotal = 0;
		out->ngroups = 0;
		*why = "no colon after the field name";
		return VOUCH_ESYNTAX;
	}
	return list_parse(
	    body, len - (size_t)(body - p), flags, out, NULL, why, NULL, NULL);
}

enum vouch_status
mail_from_parse(const uint8_t *p, size_t len, struct mail_mailbox_list *out,
    const char **why)
{
	return mail_from_parse_mode(p, len, MAIL_FROM_LENIENT, out, why);
}

static int
name_is(const uint8_t *p, size_t len, const char *name, size_t namelen)
{
	size_t i;

	/* obs-optional (§4.5.3): WSP may sit between the name and colon */
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len != namelen)
		return 0;
	for (i = 0; i < len; i++) {
		uint8_t a = p[i], b = (uint8_t)name[i];

		if (a >= 'A' && a <= 'Z')
			a = (uint8_t)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (uint8_t)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

enum vouch_status
mail_find_fields(const uint8_t *hdr, size_t len, const char *name,
    size_t namelen, struct mail_field_span *spans, size_t max, size_t *nspans,
    size_t *nfound)
{
	const uint8_t *p, *end, *start, *nl, *colon;
	size_t nfields = 0;

	*nspans = 0;
	*nfound = 0;
	/* An empty header may come as (NULL, 0); NULL + 0 is undefined. */
	if (len == 0)
		return VOUCH_OK;
	p = hdr;
	end = hdr + len;
	if (len > VOUCH_MAX_HEADER_BYTES)
		end = hdr + VOUCH_MAX_HEADER_BYTES;
	while (p < end) {
		/* An empty line ends the header section (RFC 5322 §2.1). */
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))
			return VOUCH_OK;
		start = p;
		/* One field: its first line and every continuation line. */
		do {
			nl = memchr(p, '\n', (size_t)(end - p));
			p = nl ? nl + 1 : end;
		} while (p < end && (*p == ' ' || *p == '\t'));
		if (++nfields > VOUCH_MAX_HEADER_FIELDS)
			return VOUCH_ELIMIT;
		colon = memchr(start, ':', (size_t)(p - start));
		if (colon == NULL ||
		    !name_is(start, (size_t)(colon - start), name, namelen))
			continue;
		if (*nspans < max) {
			spans[*nspans].p = start;
			spans[*nspans].len = (size_t)(p - start);
			(*nspans)++;
		}
		(*nfound)++;
	}
	return len > VOUCH_MAX_HEADER_BYTES ? VOUCH_ELIMIT : VOUCH_OK;
}
