/*
 * libFuzzer target: the header section scanner (RFC 5322 §2.2), split in
 * place and copied, which must agree, and the header canonicalizations
 * (RFC 6376 §3.4.1, §3.4.2) of every field found; and the streaming body
 * canonicalizers over the whole input, fed whole and cut in three at
 * points the input chooses, compared byte for byte with a plain
 * line-by-line reading of RFC 6376 §3.4.3 and §3.4.4 written here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/canon.h"
#include "mail/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A field's bytes, as an offset from its section's start: the same. */
static int
same_field(const struct mail_field *a, const uint8_t *abase,
    const struct mail_field *b, const uint8_t *bbase)
{
	return a->raw - abase == b->raw - bbase && a->len == b->len &&
	       memcmp(a->raw, b->raw, a->len) == 0 &&
	       a->name - a->raw == b->name - b->raw &&
	       a->namelen == b->namelen &&
	       a->value - a->raw == b->value - b->raw &&
	       a->valuelen == b->valuelen;
}

/*
 * mail_header_parse (in place when every line ends in CRLF) against
 * mail_header_parse_copy (always the general path): the same status,
 * reason, extent and fields.
 */
static void
in_place_vs_copy(const uint8_t *data, size_t size)
{
	struct mail_header a, b;
	enum vouch_status sa, sb;
	const uint8_t *abase, *bbase;
	size_t i;

	sa = mail_header_parse(&a, data, size);
	sb = mail_header_parse_copy(&b, data, size);
	if (sa != sb || a.error != b.error || a.consumed != b.consumed ||
	    a.complete != b.complete || a.nfield != b.nfield)
		abort();
	if (sa == VOUCH_OK && a.nfield > 0) {
		abase = a.buf != NULL ? a.buf : a.field[0].raw;
		bbase = b.buf != NULL ? b.buf : b.field[0].raw;
		if (a.buf == NULL && (abase != data || b.buf == NULL))
			abort();
		for (i = 0; i < a.nfield; i++)
			if (!same_field(&a.field[i], abase, &b.field[i], bbase))
				abort();
	}
	mail_header_free(&a);
	mail_header_free(&b);
}

static void
sink(void *arg, const uint8_t *p, size_t n)
{
	if (n == 0 || vbuf_add(arg, p, n) != VOUCH_OK)
		abort();
}

/*
 * The reference: split into lines at LF (a CR before it belongs to the
 * line end; any other CR is content), relaxed squeezes WSP runs to one SP
 * and drops WSP at line ends, empty lines at the end go, each line gets
 * CRLF; an empty result is CRLF for simple and nothing for relaxed.
 */
static void
reference(enum canon_alg alg, const uint8_t *p, size_t n, struct vbuf *out)
{
	size_t i = 0, s, e, k, nempty = 0;
	int wsp;

	while (i < n) {
		s = i;
		while (i < n && p[i] != '\n')
			i++;
		e = i;
		if (i < n) {
			if (e > s && p[e - 1] == '\r')
				e--;
			i++;
		}
		struct vbuf line;
		vbuf_init(&line, n + 1);
		if (alg == CANON_RELAXED) {
			wsp = 0;
			for (k = s; k < e; k++) {
				if (p[k] == ' ' || p[k] == '\t') {
					wsp = 1;
					continue;
				}
				if (wsp)
					(void)vbuf_addc(&line, ' ');
				wsp = 0;
				(void)vbuf_addc(&line, p[k]);
			}
		} else {
			(void)vbuf_add(&line, p + s, e - s);
		}
		if (line.len == 0) {
			nempty++;
		} else {
			for (; nempty > 0; nempty--)
				(void)vbuf_add(out, "\r\n", 2);
			(void)vbuf_add(out, line.p, line.len);
			(void)vbuf_add(out, "\r\n", 2);
		}
		vbuf_free(&line);
	}
	if (out->len == 0 && alg == CANON_SIMPLE)
		(void)vbuf_add(out, "\r\n", 2);
}

static void
streamed(enum canon_alg alg, const uint8_t *p, size_t n, size_t c1, size_t c2,
    struct vbuf *out)
{
	struct canon_body cb;

	canon_body_init(&cb, alg, UINT64_MAX, sink, out);
	canon_body_update(&cb, p, c1);
	canon_body_update(&cb, p + c1, c2 - c1);
	canon_body_update(&cb, p + c2, n - c2);
	canon_body_final(&cb);
	if (cb.len != out->len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_header h;
	struct vbuf out, ref, got;
	size_t i, c1, c2, t;
	int alg;
	enum vouch_status st = VOUCH_OK;

	in_place_vs_copy(data, size);
	if (mail_header_parse(&h, data, size) == VOUCH_OK) {
		vbuf_init(&out, 4 * size + 64);
		for (i = 0; i < h.nfield; i++) {
			if (h.field[i].len < 3 ||
			    h.field[i].raw[h.field[i].len - 1] != '\n')
				abort();
			for (alg = 0; alg < 2; alg++)
				st = canon_header((enum canon_alg)alg,
				    h.field[i].raw, h.field[i].len, &out);
		}
		(void)st; /* a field over the cap is fine here */
		vbuf_free(&out);
	}
	if (h.consumed > size)
		abort();
	mail_header_free(&h);

	c1 = size > 0 ? data[0] % (size + 1) : 0;
	c2 = size > 1 ? data[1] % (size + 1) : size;
	if (c1 > c2) {
		t = c1;
		c1 = c2;
		c2 = t;
	}
	for (alg = 0; alg < 2; alg++) {
		vbuf_init(&ref, 2 * size + 4);
		reference((enum canon_alg)alg, data, size, &ref);
		vbuf_init(&got, 2 * size + 4);
		streamed((enum canon_alg)alg, data, size, 0, 0, &got);
		if (got.len != ref.len ||
		    (ref.len > 0 && memcmp(got.p, ref.p, ref.len) != 0))
			abort();
		vbuf_reset(&got);
		streamed((enum canon_alg)alg, data, size, c1, c2, &got);
		if (got.len != ref.len ||
		    (ref.len > 0 && memcmp(got.p, ref.p, ref.len) != 0))
			abort();
		vbuf_free(&got);
		vbuf_free(&ref);
	}
	return 0;
}
