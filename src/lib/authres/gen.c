/*
 * Writing an Authentication-Results field (RFC 8601 §2.2), in one pass into
 * a bounded buffer, folded as it is written.
 *
 * The field is a run of "pieces": the authserv-id, "method=result",
 * "reason=...", "ptype.property=value" and "(comment)".  A piece goes on the
 * current line after a space when it fits in 78 columns (RFC 5322 §2.1.1),
 * else on a new continuation line; a piece too long for a line of its own is
 * folded before a space inside it (only quoted-strings and comments hold
 * spaces, and RFC 5322 §3.2.4 lets FWS fold there).  Each result starts a
 * new line.  A column is reserved on every line for the ';' that may follow.
 */
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "internal.h"

#define AR_WIDTH 78 /* RFC 5322 §2.1.1: SHOULD NOT exceed 78 characters */
#define AR_TAB 8 /* a continuation line starts with a TAB, 8 columns */
static enum vouch_status
fail(struct vouch_authres_builder *b, enum vouch_status st)
{
	if (b->err == VOUCH_OK)
		b->err = st;
	return b->err;
}

/* The length of s when it is a keyword, else 0 (its length for free). */
static size_t
keyword_len(const char *s)
{
	size_t i;

	/* RFC 5321 §4.1.2 Keyword = Ldh-str, ending in a letter or digit */
	for (i = 0; i < AR_MAX_KEYWORD && s[i] != '\0'; i++)
		if (!ar_is_keyword_char((uint8_t)s[i]))
			return 0;
	return i > 0 && i < AR_MAX_KEYWORD && s[i - 1] != '-' ? i : 0;
}

/* What put_text writes: the content of a quoted-string or of a comment. */
enum text_kind { TEXT_QUOTED, TEXT_COMMENT };

/*
 * Must c be a quoted-pair in that kind of text?  '"' and '\\' in a
 * quoted-string (RFC 5322 §3.2.4 qtext), '(', ')' and '\\' in a comment
 * (§3.2.2 ctext).  A test of constants per byte, not a loop over a set.
 */
static inline int
needs_escape(enum text_kind kind, uint8_t c)
{
	if (c == '\\')
		return 1;
	return kind == TEXT_QUOTED ? c == '"' : c == '(' || c == ')';
}

/*
 * The length of the run from p on that put_text copies as it is: printable
 * ASCII that needs no escape.  With SSE2, 16 bytes at a time: a byte below
 * 0x20 or from 0x80 on is below 0x20 as a signed byte, so one compare
 * finds both; DEL and the two or three bytes needs_escape names are
 * compared each.  The reasons and comments of the field (the DMARC pass
 * reason is 40 bytes and more) were a test per byte.
 */
static size_t
plain_run(const uint8_t *p, size_t n, enum text_kind kind)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i lo = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
	const __m128i bs = _mm_set1_epi8('\\');
	const __m128i e1 = _mm_set1_epi8(kind == TEXT_QUOTED ? '"' : '(');
	const __m128i e2 = _mm_set1_epi8(kind == TEXT_QUOTED ? '"' : ')');
	__m128i x, stop;
	unsigned m;

	for (; n - i >= 16; i += 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		stop = _mm_or_si128(
		    _mm_or_si128(_mm_cmplt_epi8(x, lo), _mm_cmpeq_epi8(x, del)),
		    _mm_or_si128(_mm_cmpeq_epi8(x, bs),
		        _mm_or_si128(
		            _mm_cmpeq_epi8(x, e1), _mm_cmpeq_epi8(x, e2))));
		m = (unsigned)_mm_movemask_epi8(stop);
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	while (
	    i < n && p[i] >= 0x20 && p[i] < 0x7f && !needs_escape(kind, p[i]))
		i++;
	return i;
}

/*
 * Appends text, escaping what needs_escape names as quoted-pairs (RFC 5322
 * §3.2.1) and replacing what may not appear: CR, LF and TAB by a space,
 * other controls and non-UTF-8 bytes by '?'.  So no input can end the field
 * or the quoted-string or comment early.
 */
static void
put_text(struct vbuf *v, const uint8_t *p, size_t n, enum text_kind kind)
{
	const uint8_t *end = p + n, *run;
	size_t l;

	while (p < end) {
		/* a run of printable ASCII that needs no escape, in one copy */
		run = p;
		p += plain_run(p, (size_t)(end - p), kind);
		if (p > run)
			(void)vbuf_add(v, run, (size_t)(p - run));
		if (p >= end)
			break;
		if (*p == '\r' || *p == '\n' || *p == '\t') {
			(void)vbuf_addc(v, ' ');
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			(void)vbuf_addc(v, '?');
			p++;
		} else if (*p >= 0x80) {
			if ((l = ar_utf8_len(p, end)) == 0) {
				(void)vbuf_addc(v, '?');
				p++;
			} else {
				(void)vbuf_add(v, p, l);
				p += l;
			}
		} else {
			if (needs_escape(kind, *p))
				(void)vbuf_addc(v, '\\');
			(void)vbuf_addc(v, *p);
			p++;
		}
	}
}

static void
put_quoted(struct vbuf *v, const uint8_t *p, size_t n)
{
	(void)vbuf_addc(v, '"');
	put_text(v, p, n, TEXT_QUOTED);
	(void)vbuf_addc(v, '"');
}

static int
is_token(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!ar_is_tchar(p[i]))
			return 0;
	return n > 0;
}

/* RFC 6376 §3.5 domain-name: sub-domains (RFC 5321 §4.1.2) joined by '.' */
static int
is_domain_name(const uint8_t *p, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (label == 0 || p[i - 1] == '-')
				return 0;
			label = 0;
		} else if (ar_is_keyword_char(p[i])) {
			if (label == 0 && p[i] == '-')
				return 0;
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return label > 0 && p[n - 1] != '-';
}

/* RFC 5322 §3.4.1 dot-atom-text, atext widened to UTF-8 by RFC 6531 §3.3 */
static int
is_dot_atom(const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;
	size_t l;
	int prev_dot = 1;

	while (p < end) {
		if (*p == '.') {
			if (prev_dot)
				return 0;
			prev_dot = 1;
			p++;
			continue;
		}
		if (*p >= 0x80) {
			if ((l = ar_utf8_len(p, end)) == 0)
				return 0;
			p += l;
		} else if (ar_is_atext(*p))
			p++;
		else
			return 0;
		prev_dot = 0;
	}
	return !prev_dot;
}

/* The pvalue of RFC 8601 §2.2: value / [ [ local-part ] "@" ] domain-name */
static void
put_pvalue(struct vbuf *v, const uint8_t *p, size_t n)
{
	size_t at, i;

	if (is_token(p, n)) {
		(void)vbuf_add(v, p, n);
		return;
	}
	for (at = n, i = 0; i < n; i++)
		if (p[i] == '@')
			at = i;
	if (at < n && is_domain_name(p + at + 1, n - at - 1)) {
		/* RFC 8601 §2.2: an email identity MUST use this form */
		if (at == 0 || is_dot_atom(p, at))
			(void)vbuf_add(v, p, at);
		else
			put_quoted(v, p, at);
		(void)vbuf_add(v, p + at, n - at);
		return;
	}
	put_quoted(v, p, n);
}

/* a, the byte sep, then b: in one reservation (the piece's own storage). */
static void
put_words(struct vbuf *v, const char *a, size_t alen, char sep, const char *b,
    size_t blen)
{
	uint8_t *w;

	/* two keywords of at most 63 bytes: the sum cannot wrap */
	if ((w = vbuf_space(v, alen + 1 + blen)) == NULL)
		return; /* v->err is set, and sticky */
	/* inline moves, not two memcpy calls: every result and property
	 * of every message comes here, with words of a few bytes */
	vbuf_copy(w, (const uint8_t *)a, alen);
	w[alen] = (uint8_t)sep;
	vbuf_copy(w + alen + 1, (const uint8_t *)b, blen);
	vbuf_commit(v, alen + 1 + blen);
}

static void
newline(struct vouch_authres_builder *b)
{
	(void)vbuf_add(&b->out, "\r\n\t", 3);
	b->col = AR_TAB;
}

/*
 * Writes a piece from the current column on, folding before an inner space
 * when it does not fit.  Each round writes at least one byte, so the loop
 * ends.
 */
static void
put_folded(struct vouch_authres_builder *b, const uint8_t *p, size_t n)
{
	size_t room, cut, i;

	while (n > 0) {
		if (b->col + n + 1 <= AR_WIDTH) {
			(void)vbuf_add(&b->out, p, n);
			b->col += n;
			return;
		}
		room = b->col + 1 < AR_WIDTH ? AR_WIDTH - 1 - b->col : 0;
		cut = 0;
		for (i = 1; i < n && i <= room; i++)
			if (p[i] == ' ')
				cut = i;
		if (cut == 0) {
			/* no space in reach: the word overflows to the next */
			for (i = room > 0 ? room : 1; i < n && p[i] != ' '; i++)
				;
			cut = i;
		}
		(void)vbuf_add(&b->out, p, cut);
		b->col += cut;
		p += cut;
		n -= cut;
		if (n > 0) {
			/* RFC 5322 §3.2.2: fold = CRLF before a WSP */
			(void)vbuf_add(&b->out, "\r\n", 2);
			b->col = 0;
		}
	}
}

/* Places the piece made in b->piece after a space or on a new line. */
static enum vouch_status
place(struct vouch_authres_builder *b)
{
	const uint8_t *p = b->piece.p;
	size_t n = b->piece.len;

	if (b->piece.err != VOUCH_OK)
		return fail(b, b->piece.err);
	if (b->col + 1 + n + 1 <= AR_WIDTH) {
		(void)vbuf_addc(&b->out, ' ');
		b->col++;
	} else
		newline(b);
	put_folded(b, p, n);
	vbuf_reset(&b->piece);
	if (b->out.err != VOUCH_OK)
		return fail(b, b->out.err);
	return VOUCH_OK;
}

enum vouch_status
authres_init(
    struct vouch_authres_builder *b, const char *authserv_id, size_t len)
{
	enum vouch_status st;
	size_t i;

	if (authserv_id == NULL || len == 0)
		return VOUCH_EINVAL;
	if (len > VOUCH_AUTHRES_MAX_ID)
		return VOUCH_ELIMIT;
	for (i = 0; i < len; i++)
		if ((uint8_t)authserv_id[i] < 0x20 ||
		    (uint8_t)authserv_id[i] == 0x7f)
			return VOUCH_EINVAL;
	b->col = b->nresults = b->nprops = 0;
	b->none = b->finished = 0;
	b->err = VOUCH_OK;
	vbuf_init(&b->out, VOUCH_AUTHRES_MAX_FIELD);
	vbuf_init_fixed(&b->piece, b->piece_buf, sizeof(b->piece_buf));
	/* a usual field at once, not by doubling from 64 bytes; a failure
	 * is sticky and seen with the first piece.  1023 and the NUL: 1024
	 * bytes, which glibc's per-thread cache serves (up to 1032 bytes);
	 * 1024 asked for 2048, through the general allocator every message */
	(void)vbuf_space(&b->out, 1023);
	(void)vbuf_add(&b->out, AR_FIELD_NAME ":", AR_FIELD_NAME_LEN + 1);
	b->col = AR_FIELD_NAME_LEN + 1;
	/* RFC 8601 §2.2: authserv-id = value (RFC 2045 §5.1) */
	if (is_token((const uint8_t *)authserv_id, len))
		(void)vbuf_add(&b->piece, authserv_id, len);
	else
		put_quoted(&b->piece, (const uint8_t *)authserv_id, len);
	if ((st = place(b)) != VOUCH_OK) {
		authres_release(b);
		return st;
	}
	return VOUCH_OK;
}

void
authres_release(struct vouch_authres_builder *b)
{
	vbuf_free(&b->out); /* the piece is b's own storage */
}

enum vouch_status
vouch_authres_new(
    const char *authserv_id, size_t len, struct vouch_authres_builder **out)
{
	struct vouch_authres_builder *b;
	enum vouch_status st;

	if (out == NULL)
		return VOUCH_EINVAL;
	*out = NULL;
	if ((b = malloc(sizeof(*b))) == NULL)
		return VOUCH_ENOMEM;
	if ((st = authres_init(b, authserv_id, len)) != VOUCH_OK) {
		free(b);
		return st;
	}
	*out = b;
	return VOUCH_OK;
}

enum vouch_status
authres_add_kw(struct vouch_authres_builder *b, const char *method, size_t mlen,
    const char *result, size_t reslen, const char *reason)
{
	size_t rlen;

	if (b->err != VOUCH_OK)
		return b->err;
	if (b->none || b->finished)
		return fail(b, VOUCH_EINVAL);
	if (b->nresults >= VOUCH_AUTHRES_MAX_RESULTS)
		return fail(b, VOUCH_ELIMIT);
	rlen =
	    reason != NULL ? strnlen(reason, VOUCH_AUTHRES_MAX_VALUE + 1) : 0;
	if (rlen > VOUCH_AUTHRES_MAX_VALUE)
		return fail(b, VOUCH_ELIMIT);
	/* RFC 8601 §2.2: resinfo = [CFWS] ";" methodspec ... */
	(void)vbuf_addc(&b->out, ';');
	newline(b);
	/* one write: a field is made for every message */
	put_words(&b->piece, method, mlen, '=', result, reslen);
	put_folded(b, b->piece.p, b->piece.len);
	vbuf_reset(&b->piece);
	if (b->out.err != VOUCH_OK)
		return fail(b, b->out.err);
	b->nresults++;
	b->nprops = 0;
	if (reason != NULL) {
		/* reasonspec = "reason" [CFWS] "=" [CFWS] value, always quoted
		 */
		(void)vbuf_add(&b->piece, "reason=", 7);
		put_quoted(&b->piece, (const uint8_t *)reason, rlen);
		return place(b);
	}
	return VOUCH_OK;
}

enum vouch_status
vouch_authres_add(struct vouch_authres_builder *b, const char *method,
    const char *result, const char *reason)
{
	size_t mlen, reslen;

	if (b == NULL)
		return VOUCH_EINVAL;
	if (b->err != VOUCH_OK)
		return b->err;
	if (method == NULL || result == NULL ||
	    (mlen = keyword_len(method)) == 0 ||
	    (reslen = keyword_len(result)) == 0)
		return fail(b, VOUCH_EINVAL);
	return authres_add_kw(b, method, mlen, result, reslen, reason);
}

enum vouch_status
authres_prop_kw(struct vouch_authres_builder *b, const char *ptype, size_t tlen,
    const char *property, size_t plen, const uint8_t *value, size_t len)
{
	if (b->err != VOUCH_OK)
		return b->err;
	if ((value == NULL && len > 0) || b->nresults == 0 || b->finished)
		return fail(b, VOUCH_EINVAL);
	if (b->nprops >= VOUCH_AUTHRES_MAX_PROPS ||
	    len > VOUCH_AUTHRES_MAX_VALUE)
		return fail(b, VOUCH_ELIMIT);
	/* RFC 8601 §2.2: propspec = ptype "." property "=" pvalue */
	put_words(&b->piece, ptype, tlen, '.', property, plen);
	(void)vbuf_addc(&b->piece, '=');
	if (len == 0)
		(void)vbuf_add(&b->piece, "\"\"", 2);
	else
		put_pvalue(&b->piece, value, len);
	b->nprops++;
	return place(b);
}

enum vouch_status
vouch_authres_prop(struct vouch_authres_builder *b, const char *ptype,
    const char *property, const uint8_t *value, size_t len)
{
	size_t tlen, plen;

	if (b == NULL)
		return VOUCH_EINVAL;
	if (b->err != VOUCH_OK)
		return b->err;
	if (ptype == NULL || property == NULL ||
	    (tlen = keyword_len(ptype)) == 0 ||
	    (plen = keyword_len(property)) == 0)
		return fail(b, VOUCH_EINVAL);
	return authres_prop_kw(b, ptype, tlen, property, plen, value, len);
}

enum vouch_status
vouch_authres_comment(
    struct vouch_authres_builder *b, const char *text, size_t len)
{
	if (b == NULL)
		return VOUCH_EINVAL;
	if (b->err != VOUCH_OK)
		return b->err;
	if ((text == NULL && len > 0) || b->none || b->finished)
		return fail(b, VOUCH_EINVAL);
	if (len > VOUCH_AUTHRES_MAX_VALUE)
		return fail(b, VOUCH_ELIMIT);
	/* RFC 5322 §3.2.2: comment = "(" *([FWS] ccontent) [FWS] ")" */
	(void)vbuf_addc(&b->piece, '(');
	put_text(&b->piece, (const uint8_t *)text, len, TEXT_COMMENT);
	(void)vbuf_addc(&b->piece, ')');
	return place(b);
}

enum vouch_status
vouch_authres_none(struct vouch_authres_builder *b)
{
	if (b == NULL)
		return VOUCH_EINVAL;
	if (b->err != VOUCH_OK)
		return b->err;
	if (b->nresults > 0 || b->finished)
		return fail(b, VOUCH_EINVAL);
	b->none = 1;
	return VOUCH_OK;
}

enum vouch_status
vouch_authres_finish(struct vouch_authres_builder *b, char **field, size_t *len)
{
	enum vouch_status st;

	if (field != NULL)
		*field = NULL;
	if (len != NULL)
		*len = 0;
	if (b == NULL || field == NULL || len == NULL)
		return VOUCH_EINVAL;
	if (b->err != VOUCH_OK)
		return b->err;
	if (b->finished)
		return fail(b, VOUCH_EINVAL);
	if (b->nresults == 0) {
		/* RFC 8601 §2.2: no-result = [CFWS] ";" [CFWS] "none" */
		(void)vbuf_addc(&b->out, ';');
		b->col++;
		(void)vbuf_adds(&b->piece, "none");
		if ((st = place(b)) != VOUCH_OK)
			return st;
	}
	if (vbuf_add(&b->out, "\r\n", 2) != VOUCH_OK)
		return fail(b, b->out.err);
	b->finished = 1;
	*field = vbuf_take(&b->out, len);
	return VOUCH_OK;
}

void
vouch_authres_free(struct vouch_authres_builder *b)
{
	if (b == NULL)
		return;
	authres_release(b);
	free(b);
}
