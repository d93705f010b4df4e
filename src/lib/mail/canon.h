/*
 * DKIM canonicalization, RFC 6376 §3.4: "simple" and "relaxed" for header
 * fields (§3.4.1, §3.4.2) and bodies (§3.4.3, §3.4.4).  Shared by the
 * signer, the verifier and ARC.
 *
 * The body canonicalizer is a stream: it takes the body in chunks of any
 * size, cut anywhere (a CR LF pair may be split between two chunks), and
 * hands the canonical bytes to a sink in runs, never byte by byte.  Empty
 * lines are held back until a non-empty line shows they are not at the end
 * of the body, so memory does not grow with the body.
 *
 * Line ends: a bare LF counts as CRLF (MTAs normalise it so); a CR not
 * followed by LF is an ordinary byte.
 *
 * Thread safety: each struct canon_body belongs to one thread at a time;
 * canon_header is reentrant.
 */
#ifndef VOUCH_MAIL_CANON_H
#define VOUCH_MAIL_CANON_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "vouch/status.h"

/*
 * Runs shorter than CANON_STAGE_RUN bytes are gathered in a buffer of
 * CANON_STAGE bytes and handed on together: a hash update costs a fixed
 * amount per call, and text with doubled blanks breaks into short runs.
 * The sink gets a full stage (or a run of 1 KiB and more, in place), so
 * that it can hash what it is given without gathering it again: each
 * canonical byte is copied at most once.
 */
#define CANON_STAGE 4096
#define CANON_STAGE_RUN 1024
/* copied by inline 16-byte moves below this, by memcpy from it */
#define CANON_SHORT_RUN 128

enum canon_alg {
	CANON_SIMPLE = 0, /* RFC 6376 §3.4.1, §3.4.3 */
	CANON_RELAXED /* RFC 6376 §3.4.2, §3.4.4 */
};

/*
 * canon_parse - read a c= value: "simple", "relaxed", "simple/relaxed",
 * ... (RFC 6376 §3.5: the body algorithm defaults to simple, and so does
 * the whole tag when absent; pass len 0 for an absent tag).  Case matters
 * not.  Returns 0 and sets *header and *body, or -1 for an unknown algorithm.
 */
int canon_parse(
    const uint8_t *p, size_t len, enum canon_alg *header, enum canon_alg *body);

/* canon_name - "simple" or "relaxed". */
const char *canon_name(enum canon_alg alg);

/*
 * canon_header - append the canonical form of one header field to `out`.
 * In:  field/len, one whole field as struct mail_field's raw/len gives it:
 *      name, colon, value with its folding, CRLF line ends, normally
 *      ending in CRLF (not NUL-terminated, may hold any byte).
 * Out: simple: the bytes unchanged.  relaxed: name in lower case, the
 *      folding removed, each run of WSP one SP, WSP at the end of the value
 *      and around the colon removed, then CRLF.  Either way the output ends
 *      with CRLF when the input does; the verifier drops those two bytes for
 *      the DKIM-Signature field itself (RFC 6376 §3.7).
 * Errors: those of vbuf_add (VOUCH_ELIMIT beyond the buffer's cap,
 *         VOUCH_ENOMEM); out->err is sticky.
 */
enum vouch_status canon_header(enum canon_alg alg, const uint8_t *field,
    size_t len, struct vbuf *out) __attribute__((warn_unused_result));

/* Receives canonical body bytes, in order; `n` > 0. */
typedef void (*canon_sink_fn)(void *arg, const uint8_t *p, size_t n);

/*
 * A streaming body canonicalizer.  Fields are private except the results:
 *   len            canonical body length so far (bytes), counting bytes
 *                  beyond `limit` too; after canon_body_final() it is the
 *                  length of the whole canonical body;
 *   beyond_nonwsp  1 when some canonical byte beyond `limit` is not SP,
 *                  HTAB, CR or LF: the l= count leaves content unsigned.
 */
struct canon_body {
	enum canon_alg alg;
	uint64_t limit;
	canon_sink_fn sink;
	void *arg;
	uint64_t len;
	int beyond_nonwsp;
	/* private state */
	uint64_t nempty; /* empty lines held back */
	unsigned wsp : 1; /* relaxed: a WSP run held back */
	unsigned cr : 1; /* a CR ended the last chunk */
	unsigned inline_ : 1; /* the current line has content */
	unsigned any : 1; /* some byte was produced */
	size_t nstage; /* small runs gathered for one sink call */
	uint8_t stage[CANON_STAGE];
};

/*
 * canon_body_init - start a body.  `limit` is the l= count (canonical bytes
 * handed to the sink at most) or UINT64_MAX for none; bytes beyond it are
 * counted but not passed on.  `sink` receives the canonical bytes in
 * order, in pieces (long runs as they are found, short ones gathered in
 * `stage`); every byte has been handed on when canon_body_final returns.
 */
void canon_body_init(struct canon_body *cb, enum canon_alg alg, uint64_t limit,
    canon_sink_fn sink, void *arg);

/* canon_body_update - feed `n` more body bytes (any chunking, n may be 0). */
void canon_body_update(struct canon_body *cb, const uint8_t *p, size_t n);

/*
 * canon_body_final - end of body: drops the held-back empty lines, adds the
 * final CRLF where §3.4.3/§3.4.4 want it (simple: an empty body is one
 * CRLF; relaxed: an empty body stays empty).  Call once.
 */
void canon_body_final(struct canon_body *cb);

#endif
