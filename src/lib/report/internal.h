/*
 * DMARC aggregate reports out: private interfaces of src/lib/report.
 */
#ifndef VOUCH_REPORT_INTERNAL_H
#define VOUCH_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "util/buf.h"
#include "vouch/report.h"

/*
 * A bounded XML writer whose output goes straight through gzip (RFC 1952)
 * into a bounded buffer: the XML text is never held whole, only the
 * compressed file, at most VOUCH_REPORT_MAX_BYTES.  Errors are sticky in
 * err and checked once at the end (xw_finish).  Element names are vouch's
 * own constants; text goes through xw_text, which escapes markup and
 * turns bytes that XML 1.0 cannot carry (controls, invalid UTF-8) into
 * "%XX", so any stored text makes a well-formed document.
 */
struct xw {
	z_stream z;
	int zinit;
	struct vbuf text; /* XML not yet compressed */
	struct vbuf out; /* the gzip file */
	int depth;
	enum vouch_status err;
};

enum vouch_status xw_init(struct xw *w) __attribute__((warn_unused_result));
void xw_free(struct xw *w);
/* <name> on a line of its own, indented; xw_close writes </name>. */
void xw_open(struct xw *w, const char *name);
/* <name xmlns="ns"> */
void xw_open_ns(struct xw *w, const char *name, const char *ns);
void xw_close(struct xw *w, const char *name);
/* <name>text</name>, text p/len escaped. */
void xw_elem(struct xw *w, const char *name, const char *p, size_t len);
void xw_elem_str(struct xw *w, const char *name, const char *s);
void xw_elem_u64(struct xw *w, const char *name, uint64_t v);
void xw_elem_i64(struct xw *w, const char *name, int64_t v);
/* Raw text (the XML declaration). */
void xw_raw(struct xw *w, const char *s);
/*
 * xw_finish - end the gzip stream; the file is w->out.p / w->out.len.
 * Errors: the first error of the writer (VOUCH_ELIMIT: over
 * VOUCH_REPORT_MAX_BYTES), VOUCH_ENOMEM.
 */
enum vouch_status xw_finish(struct xw *w) __attribute__((warn_unused_result));

/* xml_escape - p/len as XML text into b (see struct xw). */
void xml_escape(struct vbuf *b, const char *p, size_t len);

/*
 * report_check_destination - the external destination check of RFC 9990
 * §4 for one mailto URI of a policy domain's rua=, made again at send
 * time.
 * Out: *ok 1 when reports may go there (the host is within the policy
 *      domain's Organizational Domain, or _report._dmarc authorizes it),
 *      0 when not; *temp 1 when a DNS failure left it open; repl/replcap:
 *      the authorizing record's rua= when it gives one (comma-separated,
 *      all at the same host, step 9), else "".
 * Errors: VOUCH_EINVAL (not a mailto URI or no domain), VOUCH_ENOMEM.
 */
enum vouch_status report_check_destination(struct vouch_dmarc *d,
    struct vouch_dns *dns, const char *policy_domain, const char *uri, int *ok,
    int *temp, char *repl, size_t replcap);

/*
 * report_mailto_address - the address of a mailto: URI (RFC 6068) into
 * out/cap: "mailto:" removed, %XX decoded, stopped at '?' (headers are
 * not used).  Returns 0, or -1 when it is not a mailto URI with one
 * address local@domain of printable ASCII.
 */
int report_mailto_address(const char *uri, char *out, size_t cap);

#endif
