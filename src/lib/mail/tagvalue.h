/*
 * Tag=value lists, RFC 6376 §3.2: the syntax of DKIM-Signature fields,
 * DKIM key records, ARC fields and DMARC records.
 *
 *   tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  =  ALPHA *ALNUMPUNC          ALNUMPUNC = ALPHA / DIGIT / "_"
 *   tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      =  1*VALCHAR                 VALCHAR = %x21-3A / %x3C-7E
 *
 * The parser never copies: every name and value points into the input.
 * A value runs from its first to its last VALCHAR; whitespace inside it is
 * kept (callers that want it gone, for b=, bh= and p=, skip it).
 *
 * Thread safety: reentrant.
 */
#ifndef VOUCH_MAIL_TAGVALUE_H
#define VOUCH_MAIL_TAGVALUE_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/limits.h"
#include "vouch/status.h"

struct tag {
	const uint8_t *name;
	size_t namelen;
	const uint8_t *value; /* may be empty (valuelen 0): "t=;" */
	size_t valuelen;
};

struct tag_list {
	size_t ntags;
	struct tag tag[VOUCH_MAX_TAGS];
};

/*
 * tag_list_parse - parse `p`/`len` (e.g. a header field value after the
 * colon, folded, CRLF line ends; or a joined DNS TXT record) into `tl`.
 * Whitespace before the first tag and after the last ";" is allowed; an
 * empty input is an empty list.
 * Errors: VOUCH_ESYNTAX (bad tag name, missing "=", a byte outside
 * VALCHAR and FWS in a value, an empty tag-spec such as ";;", a duplicate
 * tag name: RFC 6376 §3.2 "Tags with duplicate names MUST NOT occur"),
 * VOUCH_ELIMIT (more than VOUCH_MAX_TAGS tags).  *why (may be NULL)
 * receives a static reason text.
 */
enum vouch_status tag_list_parse(const uint8_t *p, size_t len,
    struct tag_list *tl, const char **why) __attribute__((warn_unused_result));

/*
 * tag_find - the tag named `name` (NUL-terminated; tag names are case
 * sensitive, RFC 6376 §3.2), or NULL when absent.
 */
const struct tag *tag_find(const struct tag_list *tl, const char *name);

/* tag_value_eq - does the value equal `s` exactly? */
int tag_value_eq(const struct tag *t, const char *s);

#endif
