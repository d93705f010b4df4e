/*
 * An incremental pass over a header section (RFC 5322 §2.2): where each
 * From field is, and whether the section is made of fields at all.
 *
 * The scan keeps no bytes, only offsets, so it can see every byte of a
 * header section that is larger than what is held for DKIM (a limit that
 * bounds memory must not hide a From field or a malformed line: the
 * sender controls the size, doc/threat-model.md).  Bytes may be given in
 * pieces of any size; the answers do not depend on where the pieces end.
 *
 * Lines end in LF or CRLF.  A field is a line that does not start with SP
 * or HTAB and the continuation lines after it (§2.2.3).  The section ends
 * at the first empty line (§2.1).  "Malformed" is anything RFC 5322 §2.2
 * (with the obsolete WSP before the colon, §4.5) does not allow as a
 * header section: a continuation line before the first field, a line that
 * is not a field (no colon, an empty name, a name with a byte that is not
 * ftext), or a CR that is not followed by LF (§2.2: CR and LF appear only
 * together; readers that split lines at a lone CR see other fields).
 */
#ifndef VOUCH_MAIL_HDRSCAN_H
#define VOUCH_MAIL_HDRSCAN_H

#include <stddef.h>
#include <stdint.h>

/* From fields whose place is kept; more are counted (nfrom). */
#define MAIL_SCAN_MAX_FROM 8

/*
 * The scan.  Results (read after mail_hdr_scan_end):
 *   seen        bytes scanned, the empty line included when it was seen.
 *   ended       the empty line was seen; bytes after it are not scanned.
 *   orphan_len  bytes at the start that belong to no field (continuation
 *               lines before the first field), 0 when none.
 *   malformed   NULL, or the first thing RFC 5322 does not allow (static
 *               English text); malformed_off is its offset.
 *   nfields     fields seen.
 *   nfrom       From fields seen (the name compared without case, WSP
 *               before the colon allowed, RFC 5322 §3.6.2, §4.5.3).
 *   from[i]     off/len of the first MAIL_SCAN_MAX_FROM: the whole field,
 *               name to the end of its last line end.
 * The other members are the scan's state.
 */
struct mail_hdr_scan {
	size_t seen;
	int ended;
	size_t orphan_len;
	const char *malformed;
	size_t malformed_off;
	size_t nfields;
	size_t nfrom;
	struct {
		size_t off, len;
	} from[MAIL_SCAN_MAX_FROM];
	/* state */
	int bol; /* at the beginning of a line */
	int cr; /* a CR was the last byte, its meaning not yet known */
	int in_field; /* a field has begun */
	int in_name; /* still before the colon of the current field */
	int name_wsp; /* WSP seen after the name, before the colon */
	int name_bad; /* the name holds a byte that is not ftext */
	uint8_t name[8]; /* the first bytes of the name, lower case */
	size_t namelen;
	int cur_from; /* the current field is a From field (index nfrom-1) */
	size_t field_off;
};

/* mail_hdr_scan_init - an empty scan. */
void mail_hdr_scan_init(struct mail_hdr_scan *s);

/*
 * mail_hdr_scan_feed - scan the next len bytes (p may be NULL when len is
 * 0).  Returns the bytes taken: len, or fewer when the empty line that
 * ends the section is among them (what follows it is not header).
 */
size_t mail_hdr_scan_feed(
    struct mail_hdr_scan *s, const uint8_t *p, size_t len);

/* mail_hdr_scan_end - no more bytes: close the field in progress. */
void mail_hdr_scan_end(struct mail_hdr_scan *s);

#endif
