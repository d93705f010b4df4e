/*
 * ARC internals (RFC 8617): collecting the ARC Sets of a header section,
 * shared by the validator (verify.c), the sealer (seal.c) and the fuzz
 * target.  Private to src/lib/arc.
 */
#ifndef VOUCH_ARC_INTERNAL_H
#define VOUCH_ARC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vouch/arc.h"
#include "vouch/limits.h"
#include "mail/header.h"
#include "mail/tagvalue.h"

/* The three fields of an ARC Set, in the order an ARC-Seal hashes them. */
enum arc_kind { ARC_AAR = 0, ARC_AMS = 1, ARC_AS = 2 };

/*
 * One ARC Set as collected: its fields (NULL when missing), pointing into
 * the struct mail_header given to arc_collect, and the tag lists of its AMS
 * and ARC-Seal.  aar_rest/aar_restlen: the AAR value after "i=N;".
 */
struct arc_set {
	const struct mail_field *f[3];
	struct tag_list tl[2]; /* [ARC_AMS - 1], [ARC_AS - 1] */
	const uint8_t *aar_rest;
	size_t aar_restlen;
};

/*
 * The ARC Sets of a header section, indexed by instance (set[0] unused).
 *   nfields   ARC fields found (0: the chain status is "none");
 *   max       the highest instance of any ARC field that gave one
 *             (at most VOUCH_ARC_MAX_INSTANCES + 1);
 *   why       NULL, or the first structural fault (RFC 8617 §5.2 steps 1
 *             and 3.1-3.2): a field without a valid instance, a
 *             duplicate, an instance over 50, a missing field, a gap.
 *             The cv= rules (step 3.3) are the caller's.
 */
struct arc_chain {
	struct arc_set set[VOUCH_ARC_MAX_INSTANCES + 1];
	size_t nfields;
	unsigned max;
	const char *why;
	char whybuf[96];
};

/*
 * arc_collect - collect the ARC Sets of `h` into `c` (overwritten).  Every
 * ARC field is looked at, even after a fault, so that `max` and the sets
 * found are known for reporting and for the sealer's next instance.
 * RFC 8617 §4.2.1 (instances 1..50), §5.2 steps 1 and 3.
 */
void arc_collect(const struct mail_header *h, struct arc_chain *c);

/*
 * arc_field_count - how many ARC-Authentication-Results, ARC-Message-
 * Signature and ARC-Seal fields `h` holds: 0 means no ARC Set (RFC 8617
 * §5.2 step 1) without the cost of a chain.
 */
size_t arc_field_count(const struct mail_header *h);

/*
 * arc_cv_parse - the cv= value of an ARC-Seal's tag list: 0 with *cv set,
 * or -1 when cv= is absent or not "none", "pass" or "fail" (RFC 8617
 * §4.1.3, seal-cv-tag).
 */
int arc_cv_parse(const struct tag_list *tl, enum vouch_arc_cv *cv);

struct vouch_arc_verifier;

/*
 * arc_result_none - the result of a header without ARC fields (RFC 8617
 * §5.2 step 1, cv=none): what vouch_arc_verify_finish gives for one,
 * without a validator.  Owned by the caller (vouch_arc_result_free); NULL
 * when memory ran out.
 */
struct vouch_arc_result *arc_result_none(void);

/*
 * arc_verify_parsed - vouch_arc_verify_header on a header section already
 * scanned: `h` and the status mail_header_parse returned for it (`parsed`;
 * a status other than VOUCH_OK and VOUCH_ENOMEM is a chain fail, RFC 8617
 * §5.2.1).  `h` is read during the call only.  For `vouch verify`, whose
 * DKIM and ARC verifiers read the same header: it is scanned once.
 * Returns as vouch_arc_verify_header; VOUCH_ENOMEM when `parsed` is.
 */
enum vouch_status arc_verify_parsed(struct vouch_arc_verifier *v,
    const struct mail_header *h, enum vouch_status parsed);

#endif
