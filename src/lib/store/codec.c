/*
 * The store's text form: every free text escaped to printable ASCII, and
 * lists of entries (DKIM results, override reasons) in one column.  Mail
 * puts arbitrary bytes into d=, s= and comments; the store and the reports
 * made from it only ever see printable ASCII.
 */
#include <string.h>

#include "internal.h"
#include "util/buf.h"

static const char hex[] = "0123456789ABCDEF";

static bool
plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '%' && c != ';';
}

enum vouch_status
store_escape(struct vbuf *b, const char *p, size_t len)
{
	size_t i, from = 0;
	char esc[3];

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (plain(c))
			continue;
		vbuf_add(b, p + from, i - from);
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		vbuf_add(b, esc, 3);
		from = i + 1;
	}
	return vbuf_add(b, p + from, len - from);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decodes from *p up to the first byte of `stops` (or end) into f (may be
 * NULL: skip).  Returns 0, or -1 when malformed.
 */
static int
decode_field(
    const char **p, const char *end, const char *stops, struct store_field *f)
{
	const char *s = *p;
	int hi, lo;
	char c;

	if (f != NULL) {
		f->len = 0;
		if (f->cap > 0)
			f->buf[0] = '\0';
	}
	for (; s < end && (*s == '\0' || strchr(stops, *s) == NULL); s++) {
		c = *s;
		if ((unsigned char)c <= 0x20 || (unsigned char)c >= 0x7f)
			return -1;
		if (c == '%') {
			if (end - s < 3 || (hi = hexval(s[1])) < 0 ||
			    (lo = hexval(s[2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			s += 2;
		}
		if (f != NULL && f->len + 1 < f->cap) {
			f->buf[f->len++] = c;
			f->buf[f->len] = '\0';
		}
	}
	*p = s;
	return 0;
}

int
store_list_next(
    const char **p, const char *end, struct store_field *f, size_t nf)
{
	const char *s = *p;
	size_t i;

	if (s >= end)
		return 0;
	for (i = 0; i < nf; i++)
		if (f[i].cap > 0) {
			f[i].buf[0] = '\0';
			f[i].len = 0;
		}
	/* fields up to ';'; those beyond nf are checked and dropped */
	for (i = 0;; i++) {
		if (decode_field(&s, end, " ;", i < nf ? &f[i] : NULL) < 0)
			return -1;
		if (s >= end || *s == ';')
			break;
		s++; /* the ' ' */
	}
	if (s < end)
		s++; /* the ';' */
	*p = s;
	return 1;
}

long
store_unescape(const char *p, size_t len, char *out, size_t cap)
{
	struct store_field f = {out, cap, 0};
	const char *s = p;

	if (decode_field(&s, p + len, "", &f) < 0)
		return -1;
	return (long)f.len;
}
