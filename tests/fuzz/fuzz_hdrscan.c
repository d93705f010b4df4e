/*
 * libFuzzer target for the incremental header-section scan
 * (src/lib/mail/hdrscan.c) and the UTF-8 reading of mail/utf8.c.
 * Properties, each a bug when it fails (abort):
 *  - the scan of the input in one piece and in pieces whose sizes the
 *    input chooses find the same: bytes taken, end, orphans, the first
 *    malformed thing and where, the fields and From fields and their
 *    places (the milter gives a field at a time, a file gives it whole);
 *  - every From span lies in the bytes taken, starts a line, and begins
 *    with "From" (any case);
 *  - orphan lines, when there are any, make the section malformed;
 *  - mail_utf8_decode never reads past the end and returns 0..4.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/hdrscan.h"
#include "mail/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
scan(struct mail_hdr_scan *s, const uint8_t *p, size_t n, unsigned seed)
{
	size_t off = 0, k, took = 0;

	mail_hdr_scan_init(s);
	while (off < n) {
		seed = seed * 1103515245u + 12345u;
		k = seed == 0 ? n - off : 1 + (seed >> 16) % 13;
		if (k > n - off)
			k = n - off;
		took += mail_hdr_scan_feed(s, p + off, k);
		off += k;
	}
	mail_hdr_scan_end(s);
	if (took != s->seen)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_hdr_scan a, b;
	const uint8_t *p = data + (size > 0), *end = data + size;
	size_t n = size > 0 ? size - 1 : 0, i, k;
	uint32_t cp;

	if (size == 0)
		return 0;
	mail_hdr_scan_init(&a);
	if (mail_hdr_scan_feed(&a, p, n) != (a.ended ? a.seen : n))
		abort();
	mail_hdr_scan_end(&a);
	scan(&b, p, n, data[0] | 1u);
	if (a.seen != b.seen || a.ended != b.ended ||
	    a.orphan_len != b.orphan_len || a.malformed != b.malformed ||
	    a.malformed_off != b.malformed_off || a.nfields != b.nfields ||
	    a.nfrom != b.nfrom)
		abort();
	if (a.orphan_len > 0 && a.malformed == NULL)
		abort();
	for (i = 0; i < a.nfrom && i < MAIL_SCAN_MAX_FROM; i++) {
		if (a.from[i].off != b.from[i].off ||
		    a.from[i].len != b.from[i].len ||
		    a.from[i].off + a.from[i].len > a.seen ||
		    a.from[i].len < 5 ||
		    (a.from[i].off > 0 && p[a.from[i].off - 1] != '\n') ||
		    strncasecmp((const char *)p + a.from[i].off, "from", 4) !=
		        0)
			abort();
	}
	for (i = 0; i < n; i += k ? k : 1) {
		k = mail_utf8_decode(p + i, end, &cp);
		if (k > 4 || k > (size_t)(end - (p + i)) ||
		    (k > 0 && cp > 0x10ffff))
			abort();
		(void)mail_cp_hidden(cp);
	}
	return 0;
}
