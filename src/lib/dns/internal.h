/*
 * vouch DNS layer, private parts: the back-end table every resolver handle
 * carries, and the answer builder the back ends fill.
 *
 * vouch_dns_query() (query.c) validates the name and counts the question;
 * the back end (zone.c, unbound.c) then only sees valid names: text, no
 * final dot, each label 1..63 bytes, at most 253 bytes, root = length 0.
 */
#ifndef VOUCH_DNS_INTERNAL_H
#define VOUCH_DNS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "vouch/dns.h"
#include "vouch/limits.h"

struct vouch_dns_ops {
	/*
	 * Answer one question.  name/namelen is a validated name (see
	 * above), not NUL-terminated.  On VOUCH_OK *out is a new answer
	 * (every DNS outcome, failures too); the only error is VOUCH_ENOMEM.
	 */
	enum vouch_status (*query)(struct vouch_dns *dns, const char *name,
	    size_t namelen, uint16_t type, struct vouch_dns_answer **out);
	/* Release the back end's state (dns->impl), not dns itself. */
	void (*free)(struct vouch_dns *dns);
};

/* A resolver handle: the back end's table and state, and a counter. */
struct vouch_dns {
	const struct vouch_dns_ops *ops;
	void *impl;
	unsigned long nqueries; /* updated with atomic builtins */
};

/*
 * dns_new - a handle for a back end; impl is owned by the handle from then
 * on (ops->free releases it).  Returns NULL when out of memory.
 */
struct vouch_dns *dns_new(const struct vouch_dns_ops *ops, void *impl);

/*
 * dns_name_valid - whether name/len is a domain name in text as
 * vouch_dns_query() accepts it: labels of 1..VOUCH_DNS_MAX_LABEL bytes,
 * at most VOUCH_DNS_MAX_NAME bytes without the final dot, which is
 * optional.  "." alone is the root.  RFC 1035 §2.3.4.  On success
 * *stripped is the length without the final dot.
 */
int dns_name_valid(const char *name, size_t len, size_t *stripped);

/*
 * The answer builder: records are appended one by one, then made into a
 * single allocation that vouch_dns_answer_free() releases with one free().
 * Errors are sticky; dns_builder_finish() reports the first one.
 */
#define DNS_BUILDER_RRS 4
#define DNS_BUILDER_DATA 1024

struct dns_builder {
	/*
	 * The records so far: in the builder itself (on the caller's stack)
	 * while a usual answer fits, then in rr and data.  Each record's
	 * data holds an offset into the data, which follows each with a NUL.
	 */
	struct vouch_dns_rr rr_in[DNS_BUILDER_RRS];
	uint8_t data_in[DNS_BUILDER_DATA];
	size_t ndata_in;
	int spilled; /* the records are in rr and data */
	struct vbuf rr; /* struct vouch_dns_rr */
	struct vbuf data;
	size_t nrr;
	uint32_t minttl;
};

void dns_builder_init(struct dns_builder *b);
void dns_builder_free(struct dns_builder *b);

/*
 * dns_builder_add - append one record.  Beyond VOUCH_DNS_MAX_RRS the record
 * is dropped and VOUCH_ELIMIT returned (the answer so far stays usable).
 */
enum vouch_status dns_builder_add(struct dns_builder *b, uint16_t type,
    uint16_t pref, uint32_t ttl, const uint8_t *data, size_t len,
    unsigned nstrings);

/*
 * dns_builder_finish - the answer: rcode, reason (static text or NULL) and
 * ttl (the smallest record TTL replaces it when there are records).  The
 * builder is emptied.  Errors: VOUCH_ENOMEM.
 */
enum vouch_status dns_builder_finish(struct dns_builder *b,
    enum vouch_dns_rcode rcode, const char *reason, uint32_t ttl,
    struct vouch_dns_answer **out);

/*
 * dns_answer_dup - a new answer with the outcome and records of `a` (a
 * cached one), every TTL at most ttl_left (the seconds the cache has left
 * for it).  Errors: VOUCH_ENOMEM.
 */
enum vouch_status dns_answer_dup(const struct vouch_dns_answer *a,
    uint32_t ttl_left, struct vouch_dns_answer **out);

/* dns_answer_empty - an answer without records. Errors: VOUCH_ENOMEM. */
enum vouch_status dns_answer_empty(enum vouch_dns_rcode rcode,
    const char *reason, uint32_t ttl, struct vouch_dns_answer **out);

/*
 * dns_wire_name - a domain name in wire form (RFC 1035 §3.1) at p/end as
 * text without the final dot, into out (VOUCH_DNS_MAX_NAME + 1 bytes);
 * the root is "".  Compression pointers (§4.1.4) are offsets into the
 * whole message pkt/pktlen (NULL/0 when there is none); at most 127 are
 * followed.  *next is where the name ends in p/end.  Returns 0 for a
 * truncated or malformed name, a pointer outside the message or a loop, a
 * label holding '.', or a name over VOUCH_DNS_MAX_NAME.
 */
int dns_wire_name(const uint8_t *p, const uint8_t *end, const uint8_t *pkt,
    size_t pktlen, char *out, size_t *outlen, const uint8_t **next);

/*
 * dns_rdata_add - decode one record's rdata p/len of the given type into
 * the answer form of dns.h and append it to b: A and AAAA must be 4 and 16
 * bytes, TXT/SPF character-strings are joined and counted, MX/NS/PTR/CNAME
 * names (compressed against pkt/pktlen) must fill the rdata exactly, other
 * types are kept as they are.  Returns 0, adding nothing, for rdata that
 * does not fit its type.
 */
int dns_rdata_add(struct dns_builder *b, uint16_t type, uint32_t ttl,
    const uint8_t *p, size_t len, const uint8_t *pkt, size_t pktlen);

/* dns_seterr - format an error message into err/errlen (both may be 0). */
void dns_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
