/*
 * A cache of DNS answers (cache.h), shared by every thread using it and
 * keyed by (type, name without case).  Each answer
 * is kept for its TTL (the negative-caching TTL for NXDOMAIN and NODATA);
 * temporary failures and TTL 0 are not kept.  Entries are reference
 * counted so that an evaluation can hold an answer (whose TXT bytes its
 * parsed record points into) while another thread replaces it; being in
 * the table is one of the references, so whoever drops the last frees
 * the entry, and a release needs no lock.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "vouch/limits.h"

#define NBUCKETS 4096 /* a power of two */

struct dns_cache_entry {
	struct dns_cache_entry *next; /* hash chain; NULL when unlinked */
	unsigned refs; /* holders, and 1 while in the table (atomic) */
	time_t expires; /* monotonic seconds */
	size_t bytes; /* what the entry costs, for the byte cap */
	uint16_t type;
	size_t namelen;
	char name[VOUCH_DNS_MAX_NAME + 1]; /* lower case */
	struct vouch_dns_answer *ans;
	void *aux; /* see dns_cache_set_aux */
};

/*
 * Names are hashed and compared eight bytes at a time: an evaluation
 * looks up about eight names, and byte-at-a-time FNV-1a with case folding
 * was a quarter of an evaluation answered from this cache.
 */
static uint64_t
load8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* ASCII A-Z to a-z in each byte of x; every other byte as it is. */
static uint64_t
lower8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101u;
	uint64_t low7 = x & (0x7f * ones);
	uint64_t ge_a = low7 + (0x80 - 'A') * ones; /* bit 7: >= 'A' */
	uint64_t gt_z = low7 + (0x7f - 'Z') * ones; /* bit 7: > 'Z' */
	uint64_t upper = (ge_a ^ gt_z) & ~x & (0x80 * ones);

	return x | upper >> 2;
}

/* The type and the lower-cased name, mixed (multiply, xor-shift). */
static uint32_t
hash(uint16_t type, const char *name, size_t len)
{
	const uint64_t k = 0x9e3779b97f4a7c15u;
	uint64_t h = k ^ type ^ (uint64_t)len << 16, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		h = (h ^ lower8(load8(name + i))) * k;
		h ^= h >> 29;
	}
	for (w = 0; i < len; i++)
		w = w << 8 | (uint8_t)name[i];
	h = (h ^ lower8(w)) * k;
	return (uint32_t)(h ^ h >> 32);
}

/* a (lower case already) equals b without case, both len bytes. */
static int
name_eq(const char *a, const char *b, size_t len)
{
	size_t i;

	for (i = 0; i + 8 <= len; i += 8)
		if (load8(a + i) != lower8(load8(b + i)))
			return 0;
	for (; i < len; i++) {
		uint8_t c = (uint8_t)b[i];

		if (c >= 'A' && c <= 'Z')
			c += 32;
		if ((uint8_t)a[i] != c)
			return 0;
	}
	return 1;
}

enum vouch_status
dns_cache_init(
    struct dns_cache *c, size_t max_entries, size_t max_bytes, size_t aux_bytes)
{
	memset(c, 0, sizeof(*c));
	c->max_entries = max_entries;
	c->max_bytes = max_bytes;
	c->aux_bytes = aux_bytes;
	/* an array of pointers to entries */
	c->buckets = calloc(NBUCKETS, sizeof(*c->buckets)); /* NOLINT */
	if (c->buckets == NULL)
		return VOUCH_ENOMEM;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->buckets);
		c->buckets = NULL;
		return VOUCH_ENOMEM;
	}
	return VOUCH_OK;
}

static void
entry_free(struct dns_cache_entry *e)
{
	vouch_dns_answer_free(e->ans);
	free(e->aux);
	free(e);
}

void
dns_cache_fini(struct dns_cache *c)
{
	struct dns_cache_entry *e, *n;
	size_t i;

	if (c->buckets == NULL)
		return;
	for (i = 0; i < NBUCKETS; i++)
		for (e = c->buckets[i]; e != NULL; e = n) {
			n = e->next;
			entry_free(e);
		}
	free(c->buckets);
	c->buckets = NULL;
	pthread_mutex_destroy(&c->lock);
}

/* Unlink an entry; it is freed now or when its last holder lets go. */
static void
unlink_entry(struct dns_cache *c, struct dns_cache_entry **pp)
{
	struct dns_cache_entry *e = *pp;

	*pp = e->next;
	e->next = NULL;
	c->n--;
	c->bytes -= e->bytes;
	/* the table's reference */
	if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0)
		entry_free(e);
}

static int
full(const struct dns_cache *c)
{
	return c->n >= c->max_entries || c->bytes >= c->max_bytes;
}

/* Drop expired entries; if that frees nothing, drop every idle one. */
static void
sweep(struct dns_cache *c, time_t now)
{
	struct dns_cache_entry **pp;
	size_t i;
	int pass;

	for (pass = 0; pass < 2 && full(c); pass++)
		for (i = 0; i < NBUCKETS; i++)
			for (pp = &c->buckets[i]; *pp != NULL;) {
				if ((pass == 1 || (*pp)->expires <= now))
					unlink_entry(c, pp);
				else
					pp = &(*pp)->next;
			}
}

struct dns_cache_entry *
dns_cache_get(struct dns_cache *c, uint16_t type, const char *name, size_t len,
    time_t now, const struct vouch_dns_answer **ans, uint32_t *ttl_left)
{
	struct dns_cache_entry **pp, *e;

	if (len > VOUCH_DNS_MAX_NAME)
		return NULL;
	pthread_mutex_lock(&c->lock);
	pp = &c->buckets[hash(type, name, len) & (NBUCKETS - 1)];
	while ((e = *pp) != NULL) {
		if (e->type == type && e->namelen == len &&
		    name_eq(e->name, name, len)) {
			if (e->expires <= now) {
				unlink_entry(c, pp);
				break;
			}
			/* linked, so held by the table: refs > 0 */
			__atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
			*ans = e->ans;
			*ttl_left = (uint32_t)(e->expires - now);
			pthread_mutex_unlock(&c->lock);
			return e;
		}
		pp = &e->next;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct dns_cache_entry *
dns_cache_put(struct dns_cache *c, uint16_t type, const char *name, size_t len,
    time_t now, struct vouch_dns_answer *ans)
{
	struct dns_cache_entry *e, **pp;
	size_t i;

	if (len > VOUCH_DNS_MAX_NAME || ans->ttl == 0 ||
	    ans->rcode == VOUCH_DNS_TEMPFAIL ||
	    ans->rcode == VOUCH_DNS_PERMFAIL)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->type = type;
	e->namelen = len;
	for (i = 0; i < len; i++) {
		uint8_t ch = (uint8_t)name[i];

		e->name[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	e->ans = ans;
	e->expires = now + (time_t)ans->ttl;
	/* The answer's one allocation, and room for what is kept with it. */
	e->bytes = sizeof(*e) + sizeof(*ans) + c->aux_bytes;
	for (i = 0; i < ans->nrr; i++)
		e->bytes += sizeof(ans->rr[i]) + ans->rr[i].len + 1;
	e->refs = 2; /* the caller's and the table's */
	pthread_mutex_lock(&c->lock);
	if (full(c))
		sweep(c, now);
	pp = &c->buckets[hash(type, name, len) & (NBUCKETS - 1)];
	/* A racing thread may have put the same question: replace it. */
	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->type == type && (*pp)->namelen == len &&
		    memcmp((*pp)->name, e->name, len) == 0) {
			unlink_entry(c, pp);
			break;
		}
	pp = &c->buckets[hash(type, name, len) & (NBUCKETS - 1)];
	e->next = *pp;
	*pp = e;
	c->n++;
	c->bytes += e->bytes;
	pthread_mutex_unlock(&c->lock);
	return e;
}

void
dns_cache_release(struct dns_cache *c, struct dns_cache_entry *e)
{
	(void)c; /* no lock: the last reference frees (see the top) */
	if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0)
		entry_free(e);
}

void *
dns_cache_aux(struct dns_cache_entry *e)
{
	return __atomic_load_n(&e->aux, __ATOMIC_ACQUIRE);
}

void *
dns_cache_set_aux(struct dns_cache_entry *e, void *aux)
{
	void *expected = NULL;

	if (__atomic_compare_exchange_n(
	        &e->aux, &expected, aux, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return aux;
	free(aux);
	return expected;
}
