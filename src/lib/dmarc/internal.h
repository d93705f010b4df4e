/*
 * Private to src/lib/dmarc: the evaluator handle, one evaluation's DNS
 * state, the tree walk and the domain-name helpers.
 */
#ifndef VOUCH_DMARC_INTERNAL_H
#define VOUCH_DMARC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "vouch/dmarc.h"
#include "vouch/dns.h"
#include "vouch/limits.h"

struct psl_ctx_st;

struct dmarc_eval;
struct dmarc_rec_entry;

struct vouch_dmarc {
	struct vouch_dmarc_options opts;
	const struct psl_ctx_st *psl; /* RFC 7489 mode */
	int psl_owned;
	uint64_t rng; /* pct= sampling state (splitmix64) */
	/* an evaluation's scratch (17 KB) kept for the next one: NULL, or
	 * one not in use (taken and given back atomically) */
	struct dmarc_eval *spare;
};

/* What a _dmarc query found (RFC 9989 §4.10 steps 1-2). */
enum dmarc_lookup_outcome {
	DL_NONE = 0, /* no record (NXDOMAIN, NODATA, none v=DMARC1, or two) */
	DL_ONE, /* exactly one DMARC record */
	DL_TEMP, /* temporary DNS failure */
	DL_PERM /* the resolver failed for good (REFUSED, bad name) */
};

/* One cached _dmarc lookup of an evaluation. */
struct dmarc_lookup {
	char name[VOUCH_DNS_MAX_NAME + 1]; /* the domain, not "_dmarc." */
	enum dmarc_lookup_outcome outcome;
	int nrecords; /* v=DMARC1 records in the answer */
	struct vouch_dmarc_record rec; /* when DL_ONE */
	/* the record cache's entry whose storage rec reads, or NULL when
	 * rec owns its own (dmarc_lookup_rec_free releases either) */
	struct dmarc_rec_entry *shared;
};

/*
 * Distinct names one evaluation looks up for its verdicts: 8 author
 * domains and 11 identifiers (SPF and VOUCH_DKIM_MAX_SIGNATURES) walking 8
 * names each is 152, under it, so no message can fill the cache before its
 * verdicts are made (report lookups come after them).  When full, a lookup
 * answers DL_TEMP.
 */
#define DMARC_CACHE 192

/*
 * The cache is kept in chunks that never move (a lookup's address is kept
 * in struct dmarc_org): the first inside the evaluation, the others made
 * when a message needs them.  A message looks up one or two names; the
 * whole cache in one block was 365 KB to allocate (and to consolidate on
 * free) for each.
 */
#define DMARC_CACHE_CHUNK 8

struct dmarc_eval {
	struct vouch_dmarc *d;
	struct vouch_dns *dns;
	unsigned long nlookups;
	size_t ncache;
	struct dmarc_lookup *chunk[DMARC_CACHE / DMARC_CACHE_CHUNK];
	struct dmarc_lookup first[DMARC_CACHE_CHUNK]; /* chunk[0] */
	struct dmarc_lookup spare; /* answers DL_TEMP when the cache is full */
};

/* The outcome of an organizational-domain search. */
struct dmarc_org {
	char org[VOUCH_DNS_MAX_NAME + 1];
	/* RFC 9989: the lookups that found a record, longest name first */
	const struct dmarc_lookup *found[VOUCH_DMARC_MAX_WALK_QUERIES];
	size_t nfound;
	const struct dmarc_lookup *psd; /* the psd=y record, if any */
	int temp; /* a query failed temporarily */
	int perm; /* a query failed for good */
};

/*
 * dmarc_normalize - a domain as DMARC compares it: U-labels converted to
 * A-labels (RFC 9989 §5.3.1), lower case, one trailing dot removed, every
 * label 1..63 bytes of letters, digits, "-" or "_", at most 253 bytes.
 * Returns 0, or -1 with *why set.
 */
int dmarc_normalize(
    const uint8_t *p, size_t len, char *out, size_t outlen, const char **why);

/*
 * dmarc_read_authors - the Author Domains of nfrom From fields (raw, as
 * for vouch_dmarc_evaluate) into res->domain[].author_domain and
 * res->ndomains, and the first reason the author cannot be read safely
 * into res->unsafe/unsafe_reason (author.c).  Returns VOUCH_OK or
 * VOUCH_ENOMEM.
 */
enum vouch_status dmarc_read_authors(const uint8_t *const *from,
    const size_t *fromlen, size_t nfrom, struct vouch_dmarc_result *res);

/* dmarc_set_unsafe - records u and its reason, unless one is recorded. */
void dmarc_set_unsafe(struct vouch_dmarc_result *res, enum vouch_dmarc_unsafe u,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * dmarc_record_copy - a copy of a parsed record (vouch_dmarc_record_parse
 * gave src) that owns its own buf and overrides: what parsing the text
 * again would give, without the parse.  Errors: VOUCH_ENOMEM (dst is then
 * empty).
 */
enum vouch_status dmarc_record_copy(
    struct vouch_dmarc_record *dst, const struct vouch_dmarc_record *src);

/*
 * dmarc_rec_lookup - a record parsed before from exactly the text
 * txt/len (reccache.c): 1 with *rec a copy of the parsed record whose
 * strings lie in the cache entry *ref, which the caller releases
 * (dmarc_rec_release) and must not free through rec; 0 when the text is
 * not remembered.  Thread safe.
 */
int dmarc_rec_lookup(const uint8_t *txt, size_t len,
    struct vouch_dmarc_record *rec, struct dmarc_rec_entry **ref);

/*
 * dmarc_rec_remember - hand a record vouch_dmarc_record_parse made
 * (VOUCH_OK) to the cache: on success *ref is its entry, rec's storage now
 * the entry's, and the caller releases *ref instead of freeing rec; when
 * there is no memory *ref is NULL and rec stays the caller's.  The least
 * recently used entry leaves when the cache is full.  Thread safe.
 */
void dmarc_rec_remember(
    struct vouch_dmarc_record *rec, struct dmarc_rec_entry **ref);

/* dmarc_rec_release - a reference of dmarc_rec_*; NULL is a no-op. */
void dmarc_rec_release(struct dmarc_rec_entry *ref);

/* Number of labels of a normalized name. */
size_t dmarc_nlabels(const char *name);
/* The suffix of `name` holding its last n labels. */
const char *dmarc_last_labels(const char *name, size_t n);

void dmarc_eval_init(
    struct dmarc_eval *ev, struct vouch_dmarc *d, struct vouch_dns *dns);
void dmarc_eval_free(struct dmarc_eval *ev);

/*
 * dmarc_lookup - the DMARC records at _dmarc.<name> (cached per
 * evaluation).  Returns NULL only for VOUCH_ENOMEM.
 */
const struct dmarc_lookup *dmarc_lookup(
    struct dmarc_eval *ev, const char *name);

/*
 * dmarc_org_domain - the Organizational Domain of a normalized name: the
 * tree walk (RFC 9989 §4.10, §4.10.2) or the PSL (RFC 7489 §3.2).
 * Returns VOUCH_OK (org->temp / org->perm tell DNS failures) or
 * VOUCH_ENOMEM.
 */
enum vouch_status dmarc_org_domain(
    struct dmarc_eval *ev, const char *name, struct dmarc_org *org);

/* dmarc_dns_query - a counted query; NULL answer only for ENOMEM. */
enum vouch_status dmarc_dns_query(struct dmarc_eval *ev, const char *name,
    size_t len, uint16_t type, struct vouch_dns_answer **ans);

#endif
