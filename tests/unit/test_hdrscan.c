/*
 * Unit tests of the incremental header-section scan (src/lib/mail/
 * hdrscan.c): where the From fields are, what RFC 5322 §2.2 does not
 * allow, and that the answers do not depend on how the bytes are cut
 * (the milter gives a field at a time, a file gives the whole section).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/hdrscan.h"
#include "tap.h"

static const struct {
	const char *name;
	const char *hdr;
	size_t len; /* 0: strlen */
	const char *malformed; /* a word of the reason, NULL: none */
	size_t nfrom, orphan;
	const char *from0; /* the first From field, NULL: none */
} rows[] = {
    {"RFC 5322 2.2: one From, CRLF", "From: a@x.example\r\nTo: b\r\n\r\nbody",
        0, NULL, 1, 0, "From: a@x.example\r\n"},
    {"RFC 5322 2.2.3: a folded From runs to its last line",
        "Subject: s\r\nFrom: A\r\n <a@x.example>\r\n\r\n", 0, NULL, 1, 0,
        "From: A\r\n <a@x.example>\r\n"},
    {"RFC 5322 4.5.3: WSP before the colon is still From",
        "fRoM \t: a@x.example\n\n", 0, NULL, 1, 0, "fRoM \t: a@x.example\n"},
    {"RFC 5322 2.1: From in the body is not counted",
        "To: b\r\n\r\nFrom: a@x.example\r\n", 0, NULL, 0, 0, NULL},
    {"RFC 5322 3.6: two From fields are two", "From: a\r\nFrom: b\r\n\r\n", 0,
        NULL, 2, 0, "From: a\r\n"},
    {"RFC 5322 2.2.3: a continuation line first is malformed",
        " ; dmarc=pass\r\nFrom: a@x.example\r\n\r\n", 0, "continuation", 1, 15,
        "From: a@x.example\r\n"},
    {"two continuation lines first: both are orphans",
        "\t1\r\n 2\r\nFrom: a@x.example\r\n\r\n", 0, "continuation", 1, 8,
        "From: a@x.example\r\n"},
    {"RFC 5322 2.2: a line without colon is malformed",
        "From: a@x.example\r\nnocolon\r\nSubject: s\r\n\r\n", 0, "no colon", 1,
        0, "From: a@x.example\r\n"},
    {"a line of one 8-bit byte is malformed",
        "From: a@x.example\r\n\xae\nSubject: s\r\n\r\n", 0, "name", 1, 0,
        "From: a@x.example\r\n"},
    {"RFC 5322 3.6.8: NUL in a field name is malformed",
        "From: a@x.example\r\nT\0\0(\0\0o: b\r\n\r\n", 33, "name", 1, 0,
        "From: a@x.example\r\n"},
    {"RFC 5322 3.6.8: an empty name is malformed", ": x\r\n\r\n", 0,
        "empty name", 0, 0, NULL},
    {"RFC 5322 2.2: a CR without LF is malformed",
        "X: a\rFrom: v@victim.example\r\nFrom: a@x.example\r\n\r\n", 0,
        "CR without LF", 1, 0, "From: a@x.example\r\n"},
    {"a CR without LF at the end", "From: a@x.example\r\nX: y\r", 0,
        "CR without LF", 1, 0, "From: a@x.example\r\n"},
    {"RFC 5322 3.6.8: 8-bit bytes in a name are malformed",
        "Fr\xc3\xb6m: a\r\nFrom: b\r\n\r\n", 0, "name", 1, 0, "From: b\r\n"},
    {"WSP inside a name is malformed", "Fr om: a\r\n\r\n", 0, "white space", 0,
        0, NULL},
    {"a header section of continuation lines only", "  x\r\n\r\nbody", 0,
        "continuation", 0, 5, NULL},
    {"no empty line: the From runs to the end", "To: b\r\nFrom: a@x", 0, NULL,
        1, 0, "From: a@x"},
    {"a field name From-like is not From", "From-X: a\r\nFromm: b\r\n\r\n", 0,
        NULL, 0, 0, NULL},
};

/* Scans h/len fed in pieces of `step` bytes (0: one piece). */
static void
scan(struct mail_hdr_scan *s, const char *h, size_t len, size_t step)
{
	size_t off = 0, n;

	mail_hdr_scan_init(s);
	if (step == 0)
		step = len ? len : 1;
	while (off < len) {
		n = len - off < step ? len - off : step;
		off += n;
		(void)mail_hdr_scan_feed(s, (const uint8_t *)h + off - n, n);
	}
	mail_hdr_scan_end(s);
}

static int
same(const struct mail_hdr_scan *a, const struct mail_hdr_scan *b)
{
	size_t i;

	if (a->seen != b->seen || a->ended != b->ended ||
	    a->orphan_len != b->orphan_len || a->nfrom != b->nfrom ||
	    a->nfields != b->nfields || a->malformed != b->malformed ||
	    a->malformed_off != b->malformed_off)
		return 0;
	for (i = 0; i < a->nfrom && i < MAIL_SCAN_MAX_FROM; i++)
		if (a->from[i].off != b->from[i].off ||
		    a->from[i].len != b->from[i].len)
			return 0;
	return 1;
}

int
main(void)
{
	static const size_t steps[] = {1, 2, 3, 7};
	struct mail_hdr_scan s, t;
	size_t i, k, len;
	char many[4 * 2000 + 64];
	int ok, all;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		len = rows[i].len ? rows[i].len : strlen(rows[i].hdr);
		scan(&s, rows[i].hdr, len, 0);
		ok = (rows[i].malformed == NULL) == (s.malformed == NULL) &&
		     (rows[i].malformed == NULL ||
		         strstr(s.malformed, rows[i].malformed) != NULL) &&
		     s.nfrom == rows[i].nfrom &&
		     s.orphan_len == rows[i].orphan &&
		     (rows[i].from0 == NULL ||
		         (s.from[0].len == strlen(rows[i].from0) &&
		             memcmp(rows[i].hdr + s.from[0].off, rows[i].from0,
		                 s.from[0].len) == 0));
		tap_check(ok,
		    "%s: got malformed \"%s\", %zu From, orphans %zu; want "
		    "\"%s\", %zu, %zu",
		    rows[i].name, s.malformed ? s.malformed : "", s.nfrom,
		    s.orphan_len, rows[i].malformed ? rows[i].malformed : "",
		    rows[i].nfrom, rows[i].orphan);
		all = 1;
		for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			scan(&t, rows[i].hdr, len, steps[k]);
			all &= same(&s, &t);
		}
		tap_check(all, "%s: the same fed 1, 2, 3 and 7 bytes at a time",
		    rows[i].name);
	}

	/* A limit on the count of fields is one the sender controls: 2000
	 * fields, the From after them is found. */
	len = 0;
	for (i = 0; i < 2000; i++) {
		memcpy(many + len, "X:a\n", 4);
		len += 4;
	}
	len += (size_t)snprintf(
	    many + len, sizeof(many) - len, "From: v@victim.example\n\n");
	scan(&s, many, len, 0);
	tap_check(s.nfrom == 1 && s.nfields == 2001 && s.malformed == NULL &&
	              s.from[0].off == 8000,
	    "2001 fields: the From after 2000 others is found: got %zu From "
	    "at %zu, %zu fields",
	    s.nfrom, s.from[0].off, s.nfields);
	return tap_done();
}
