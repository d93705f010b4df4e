/*
 * XML written through gzip, bounded: the writer of aggregate reports.
 */
#include <string.h>

#include "internal.h"

/* XML text is compressed once this much has gathered. */
#define XW_CHUNK (64 * 1024)

static const char hexd[] = "0123456789ABCDEF";

enum vouch_status
xw_init(struct xw *w)
{
	memset(w, 0, sizeof(*w));
	vbuf_init(&w->text, 2 * XW_CHUNK);
	vbuf_init(&w->out, VOUCH_REPORT_MAX_BYTES);
	/* windowBits 15 + 16: a gzip wrapper; its header has no name and
	 * a zero time, so the same report gives the same bytes */
	if (deflateInit2(
	        &w->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return w->err = VOUCH_ENOMEM;
	w->zinit = 1;
	return VOUCH_OK;
}

void
xw_free(struct xw *w)
{
	if (w->zinit)
		deflateEnd(&w->z);
	w->zinit = 0;
	vbuf_free(&w->text);
	vbuf_free(&w->out);
}

/* Compresses the pending text; flush = Z_FINISH at the end. */
static void
deflate_text(struct xw *w, int flush)
{
	uint8_t chunk[16384];
	int rc;

	if (w->err != VOUCH_OK)
		return;
	w->z.next_in = w->text.p;
	w->z.avail_in = (uInt)w->text.len;
	do {
		w->z.next_out = chunk;
		w->z.avail_out = sizeof(chunk);
		rc = deflate(&w->z, flush);
		if (rc == Z_STREAM_ERROR) {
			w->err = VOUCH_ENOMEM;
			return;
		}
		if (vbuf_add(&w->out, chunk, sizeof(chunk) - w->z.avail_out) !=
		    VOUCH_OK) {
			w->err = w->out.err;
			return;
		}
	} while (
	    w->z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
	vbuf_reset(&w->text);
}

static void
pending(struct xw *w)
{
	if (w->text.err != VOUCH_OK && w->err == VOUCH_OK)
		w->err = w->text.err;
	if (w->text.len >= XW_CHUNK)
		deflate_text(w, Z_NO_FLUSH);
}

static void
indent(struct xw *w)
{
	int i;

	for (i = 0; i < w->depth; i++)
		vbuf_add(&w->text, "  ", 2);
}

void
xw_raw(struct xw *w, const char *s)
{
	vbuf_adds(&w->text, s);
	pending(w);
}

void
xw_open(struct xw *w, const char *name)
{
	indent(w);
	vbuf_addf(&w->text, "<%s>\n", name);
	w->depth++;
	pending(w);
}

void
xw_open_ns(struct xw *w, const char *name, const char *ns)
{
	indent(w);
	vbuf_addf(&w->text, "<%s xmlns=\"%s\">\n", name, ns);
	w->depth++;
	pending(w);
}

void
xw_close(struct xw *w, const char *name)
{
	if (w->depth > 0)
		w->depth--;
	indent(w);
	vbuf_addf(&w->text, "</%s>\n", name);
	pending(w);
}

/* Length of the valid UTF-8 sequence at p (RFC 3629 §4), 0 if none. */
static size_t
utf8_len(const unsigned char *p, size_t len)
{
	size_t n, i;
	uint32_t c;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	n = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (len < n)
		return 0;
	c = p[0] & (0x3f >> (n - 1));
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* overlong, surrogates, beyond U+10FFFF, U+FFFE/FFFF (not XML) */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff || c == 0xfffe ||
	    c == 0xffff)
		return 0;
	return n;
}

void
xml_escape(struct vbuf *b, const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, n;
	char esc[3];

	while (i < len) {
		unsigned char c = s[i];

		if (c == '&')
			vbuf_adds(b, "&amp;");
		else if (c == '<')
			vbuf_adds(b, "&lt;");
		else if (c == '>')
			vbuf_adds(b, "&gt;");
		else if (c >= 0x20 && c < 0x7f)
			vbuf_addc(b, c);
		else if (c >= 0x80 && (n = utf8_len(s + i, len - i)) > 0) {
			vbuf_add(b, s + i, n);
			i += n;
			continue;
		} else {
			/* controls and bad bytes: visible, and legal XML */
			esc[0] = '%';
			esc[1] = hexd[c >> 4];
			esc[2] = hexd[c & 15];
			vbuf_add(b, esc, 3);
		}
		i++;
	}
}

void
xw_elem(struct xw *w, const char *name, const char *p, size_t len)
{
	indent(w);
	vbuf_addf(&w->text, "<%s>", name);
	xml_escape(&w->text, p, len);
	vbuf_addf(&w->text, "</%s>\n", name);
	pending(w);
}

void
xw_elem_str(struct xw *w, const char *name, const char *s)
{
	xw_elem(w, name, s, strlen(s));
}

void
xw_elem_u64(struct xw *w, const char *name, uint64_t v)
{
	indent(w);
	vbuf_addf(
	    &w->text, "<%s>%llu</%s>\n", name, (unsigned long long)v, name);
	pending(w);
}

void
xw_elem_i64(struct xw *w, const char *name, int64_t v)
{
	indent(w);
	vbuf_addf(&w->text, "<%s>%lld</%s>\n", name, (long long)v, name);
	pending(w);
}

enum vouch_status
xw_finish(struct xw *w)
{
	pending(w);
	deflate_text(w, Z_FINISH);
	return w->err;
}
