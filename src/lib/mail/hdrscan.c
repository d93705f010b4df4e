/*
 * The incremental header-section scan of hdrscan.h: one state machine fed
 * byte by byte, so that how the bytes are cut into pieces cannot change
 * what it finds.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "mail/ftext.h"
#include "mail/hdrscan.h"

void
mail_hdr_scan_init(struct mail_hdr_scan *s)
{
	memset(s, 0, sizeof(*s));
	s->bol = 1;
}

static void
malformed(struct mail_hdr_scan *s, const char *why)
{
	if (s->malformed == NULL) {
		s->malformed = why;
		s->malformed_off = s->seen;
	}
}

/* The field in progress ends at offset `at` (the start of the next line). */
static void
close_field(struct mail_hdr_scan *s, size_t at)
{
	if (s->cur_from && s->nfrom <= MAIL_SCAN_MAX_FROM)
		s->from[s->nfrom - 1].len = at - s->field_off;
	s->cur_from = 0;
}

/* The colon after a field name. */
static void
end_name(struct mail_hdr_scan *s)
{
	s->in_name = 0;
	if (s->namelen == 0) {
		malformed(s, "a header field with an empty name");
		return;
	}
	if (s->name_bad || s->namelen != 4 || memcmp(s->name, "from", 4) != 0)
		return;
	/* RFC 5322 §3.6.2 From, §4.5.3 obs-from: "From" *WSP ":" */
	s->nfrom++;
	if (s->nfrom <= MAIL_SCAN_MAX_FROM) {
		s->from[s->nfrom - 1].off = s->field_off;
		s->from[s->nfrom - 1].len = 0;
	}
	s->cur_from = 1;
}

static void
name_byte(struct mail_hdr_scan *s, uint8_t c)
{
	if (c == ':') {
		end_name(s);
		return;
	}
	if (c == ' ' || c == '\t') {
		s->name_wsp = 1; /* obs: WSP between the name and ':' */
		return;
	}
	if (s->name_wsp || !mail_is_ftext(c)) {
		malformed(s, s->name_wsp ? "white space inside a header field "
		                           "name"
		                         : "a header field name holds a byte "
		                           "RFC 5322 does not allow");
		s->name_bad = 1;
	}
	if (s->namelen < sizeof(s->name))
		s->name[s->namelen] =
		    c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
	s->namelen++;
}

/* A byte that is not a line end (a CR held back may be one). */
static void
byte(struct mail_hdr_scan *s, uint8_t c)
{
	if (s->bol) {
		s->bol = 0;
		if (c == ' ' || c == '\t') {
			/* RFC 5322 §2.2.3: a continuation line, which must
			 * follow a field */
			if (!s->in_field)
				malformed(s, "the header section starts with a "
				             "continuation line");
			return;
		}
		close_field(s, s->seen);
		if (!s->in_field)
			s->orphan_len = s->seen;
		s->in_field = 1;
		s->nfields++;
		s->field_off = s->seen;
		s->in_name = 1;
		s->name_wsp = 0;
		s->name_bad = 0;
		s->namelen = 0;
	}
	if (s->in_name)
		name_byte(s, c);
}

/* A line end (LF, or CRLF); `len` its bytes, from offset s->seen. */
static void
line_end(struct mail_hdr_scan *s, size_t len)
{
	if (s->bol) {
		/* RFC 5322 §2.1: the empty line ends the header section */
		close_field(s, s->seen);
		if (!s->in_field)
			s->orphan_len = s->seen;
		s->seen += len;
		s->ended = 1;
		return;
	}
	if (s->in_name) {
		malformed(s, "a header line that is not a field (no colon)");
		s->in_name = 0;
	}
	s->seen += len;
	s->bol = 1;
}

/*
 * The first CR or LF in p[i..len), or len.  Inside a field body, past its
 * name, no other byte changes the state, so the scan skips to the next
 * line end: most of a header section is field bodies.  With SSE2, 16
 * bytes at a time.
 */
static size_t
next_line_end(const uint8_t *p, size_t i, size_t len)
{
#ifdef __SSE2__
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	__m128i x;
	int m;

	for (; len - i >= 16; i += 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		m = _mm_movemask_epi8(
		    _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, lf)));
		if (m != 0)
			return i + (size_t)__builtin_ctz((unsigned)m);
	}
#endif
	while (i < len && p[i] != '\r' && p[i] != '\n')
		i++;
	return i;
}

/*
 * A run of ftext inside a field name, past its first byte, with no WSP
 * seen yet: what name_byte does for each of them, at once.
 */
static void
name_run(struct mail_hdr_scan *s, const uint8_t *p, size_t n)
{
	size_t k;
	uint8_t c;

	for (k = 0; k < n && s->namelen + k < sizeof(s->name); k++) {
		c = p[k];
		s->name[s->namelen + k] =
		    c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
	}
	s->namelen += n;
	s->seen += n;
}

/* Does a CRLF start at p[j], inside the piece? */
static int
crlf_at(const uint8_t *p, size_t j, size_t len)
{
	return j + 1 < len && p[j] == '\r' && p[j + 1] == '\n';
}

/*
 * A whole line at a line start, p[i..), in the usual shapes: a field
 * "name:" (ftext, then WSP allowed before the colon) or a continuation of
 * a field, either ending in its first CR, which is before LF.  Does what
 * the byte-by-byte scan would do for it and returns its length; 0 when
 * the line is of another shape or does not end in this piece (the
 * byte-by-byte scan takes it then).  One straight pass per line: the
 * state machine's branches, taken a byte at a time, cost more in
 * mispredictions than the bytes themselves.
 */
static size_t
whole_line(struct mail_hdr_scan *s, const uint8_t *p, size_t i, size_t len)
{
	size_t j, e, n;

	if (p[i] == ' ' || p[i] == '\t') {
		/* RFC 5322 §2.2.3: continues the field before */
		if (!s->in_field)
			return 0;
		e = next_line_end(p, i, len);
		if (!crlf_at(p, e, len))
			return 0;
		s->seen += e + 2 - i;
		return e + 2 - i;
	}
	j = (size_t)(mail_ftext_end(p + i, p + len) - p);
	n = j - i;
	while (j < len && (p[j] == ' ' || p[j] == '\t'))
		j++;
	if (n == 0 || j >= len || p[j] != ':')
		return 0;
	e = next_line_end(p, j + 1, len);
	if (!crlf_at(p, e, len))
		return 0;
	/* byte() at a line start, name_byte() for the name, end_name() */
	close_field(s, s->seen);
	if (!s->in_field)
		s->orphan_len = s->seen;
	s->in_field = 1;
	s->nfields++;
	s->field_off = s->seen;
	s->name_wsp = 0;
	s->name_bad = 0;
	s->namelen = 0;
	name_run(s, p + i, n);
	s->seen -= n; /* name_run counted them; the line is counted below */
	s->name_wsp = j != i + n; /* obs: WSP before the colon */
	end_name(s);
	s->seen += e + 2 - i;
	return e + 2 - i;
}

size_t
mail_hdr_scan_feed(struct mail_hdr_scan *s, const uint8_t *p, size_t len)
{
	size_t i, j;

	for (i = 0; i < len && !s->ended; i++) {
		uint8_t c = p[i];

		if (s->bol && !s->cr && (j = whole_line(s, p, i, len)) > 0) {
			i += j - 1; /* bol stays: the next line starts */
			continue;
		}
		if (!s->bol && !s->cr && !s->in_name && c != '\r' &&
		    c != '\n') {
			/* byte() would only count these: a field body */
			j = next_line_end(p, i, len);
			s->seen += j - i;
			i = j - 1;
			continue;
		}
		if (!s->bol && !s->cr && s->in_name && !s->name_wsp &&
		    mail_is_ftext(c)) {
			/* the rest of a name: name_byte's work, per run */
			for (j = i + 1; j < len && mail_is_ftext(p[j]); j++)
				;
			name_run(s, p + i, j - i);
			i = j - 1;
			continue;
		}

		if (s->cr) {
			s->cr = 0;
			if (c == '\n') {
				s->seen--; /* the CR is part of the line end */
				line_end(s, 2);
				continue;
			}
			/* RFC 5322 §2.2: CR only in CRLF */
			s->seen--;
			malformed(s, "a CR without LF in the header section");
			byte(s, '\r');
			s->seen++;
		}
		if (c == '\r') {
			s->cr = 1;
			s->seen++;
			continue;
		}
		if (c == '\n') {
			line_end(s, 1);
			continue;
		}
		byte(s, c);
		s->seen++;
	}
	return i;
}

void
mail_hdr_scan_end(struct mail_hdr_scan *s)
{
	if (s->ended)
		return;
	if (s->cr) {
		/* a CR as the last byte: not a line end */
		s->cr = 0;
		s->seen--;
		malformed(s, "a CR without LF in the header section");
		byte(s, '\r');
		s->seen++;
	}
	if (s->in_name)
		malformed(s, "a header line that is not a field (no colon)");
	s->in_name = 0;
	close_field(s, s->seen);
	if (!s->in_field)
		s->orphan_len = s->seen;
}
