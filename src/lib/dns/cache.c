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

#include <openssl/rand.h>

#include "cache.h"
#include "vouch/limits.h"

#define NBITS 12
#define NBUCKETS (1u << NBITS)

/*
 * An entry is its header and its name: 48 bytes, then the name, in one
 * allocation of its size, so that a lookup reads the one or two cache
 * lines of a usual SPF name.  The name used to sit inline at its maximum
 * size (VOUCH_DNS_MAX_NAME + 1), which made every entry 312 bytes and put
 * `ans` and `aux` five lines from `next`.  The hash is kept, and compared
 * first, so that a chain is walked without reading names.
 */
struct dns_cache_entry {
	struct dns_cache_entry *next; /* hash chain; NULL when unlinked */
	uint32_t hash; /* dns_cache_hash(c, type, name) */
	uint16_t type;
	uint16_t namelen;
	unsigned refs; /* holders, and 1 while in the table (atomic) */
	uint32_t bytes; /* what the entry costs, for the byte cap */
	time_t expires; /* monotonic seconds */
	struct vouch_dns_answer *ans;
	void *aux; /* see dns_cache_set_aux */
	char name[]; /* namelen bytes, lower case, then NUL */
};

/*
 * Names are read eight bytes at a time, for the hash and the compare;
 * the first byte is the low one, as dns_cache_hash() expects of its last word.
 */
static uint64_t
load8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
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

/*
 * The hash of (type, name without case), keyed by the cache's random key:
 * names come partly from senders' SPF records (include:, a:, mx:), so
 * with a fixed function a sender could pick names that all land in one
 * chain and make every lookup walk it.
 *
 * Construction: vector multiply-shift (Dietzfelbinger 1996; Thorup,
 * "High speed hashing for integers and strings", 2015, strongly
 * universal hashing of vectors).  The name is the vector of 32-bit
 * characters x_0 = type and length, x_1.. = its bytes lower-cased, four
 * to a character, the last one zero-padded; two names equal without case
 * give the same vector, and any two others differ in some x_i (x_0
 * carries the length).  With a_0..a_64 and b uniformly random 64-bit key
 * words,
 *
 *   h(x) = ((b + sum a_i x_i) mod 2^64) div 2^(64 - l)
 *
 * is strongly universal for l <= 33 (64 >= 32 + l - 1 bits of
 * arithmetic): for two names fixed without knowing the key, the chance
 * that they share a bucket (the top 12 bits) is exactly 1/4096, as if
 * the buckets were chosen at random; we return the top 32 bits.  A fixed
 * function with a random seed (FNV, or the multiply-xorshift chain this
 * replaces) is not enough: its collisions hold whatever the seed.  This
 * is not a PRF: someone who could see which of their names collide could
 * learn about the key, but a chain is walked in nanoseconds behind a DNS
 * round trip, and each cache has its own key.  It costs two multiplies
 * per eight bytes, independent of each other (SipHash-1-3 would take
 * about twice the instructions of a name).
 */
/*
 * The loop of dns_cache_hash() runs two or three times for most names:
 * vectorized (gcc does, with SSE2) it was slower and four times the code.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define SCALAR __attribute__((optimize("no-tree-vectorize")))
#define SCALAR_LOOP
#elif defined(__clang__)
#define SCALAR
#define SCALAR_LOOP _Pragma("clang loop vectorize(disable)")
#else
#define SCALAR
#define SCALAR_LOOP
#endif

SCALAR uint32_t
dns_cache_hash(
    const struct dns_cache *c, uint16_t type, const char *name, size_t len)
{
	const uint64_t *a = c->key + 1;
	uint64_t h = c->key[0] + a[0] * ((uint64_t)type << 16 | len), w;
	size_t i, k = 1;

	if (len < 8) {
		for (w = 0, i = len; i-- > 0;)
			w = w << 8 | (uint8_t)name[i];
		w = lower8(w);
		return (uint32_t)((h + a[1] * (uint32_t)w + a[2] * (w >> 32)) >>
		                  32);
	}
	SCALAR_LOOP
	for (i = 0; i + 8 < len; i += 8, k += 2) {
		w = lower8(load8(name + i));
		h += a[k] * (uint32_t)w + a[k + 1] * (w >> 32);
	}
	/* the last 1-8 bytes: the last 8, those hashed already shifted out */
	w = lower8(load8(name + len - 8)) >> 8 * (i + 8 - len);
	h += a[k] * (uint32_t)w + a[k + 1] * (w >> 32);
	return (uint32_t)(h >> 32);
}

static size_t
bucket(uint32_t h)
{
	return h >> (32 - NBITS);
}

/* a (lower case already) equals b without case, both len bytes. */
static int
name_eq(const char *a, const char *b, size_t len)
{
	size_t i;

	if (len < 8) {
		for (i = 0; i < len; i++) {
			uint8_t c = (uint8_t)b[i];

			if (c >= 'A' && c <= 'Z')
				c += 32;
			if ((uint8_t)a[i] != c)
				return 0;
		}
		return 1;
	}
	for (i = 0; i + 8 < len; i += 8)
		if (load8(a + i) != lower8(load8(b + i)))
			return 0;
	/* the last 8 bytes, some of them compared already */
	return load8(a + len - 8) == lower8(load8(b + len - 8));
}

enum vouch_status
dns_cache_init(
    struct dns_cache *c, size_t max_entries, size_t max_bytes, size_t aux_bytes)
{
	memset(c, 0, sizeof(*c));
	c->max_entries = max_entries;
	c->max_bytes = max_bytes;
	c->aux_bytes = aux_bytes;
	/* the key from OpenSSL's generator, as report/failure.c's */
	if (RAND_bytes((unsigned char *)c->key, (int)sizeof(c->key)) != 1)
		return VOUCH_EIO;
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
	uint32_t h;

	if (len > VOUCH_DNS_MAX_NAME)
		return NULL;
	h = dns_cache_hash(c, type, name, len);
	pthread_mutex_lock(&c->lock);
	pp = &c->buckets[bucket(h)];
	while ((e = *pp) != NULL) {
		if (e->hash == h && e->type == type && e->namelen == len &&
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
	size_t i, size, bytes;

	if (len > VOUCH_DNS_MAX_NAME || ans->ttl == 0 ||
	    ans->rcode == VOUCH_DNS_TEMPFAIL ||
	    ans->rcode == VOUCH_DNS_PERMFAIL)
		return NULL;
	size = sizeof(*e) + len + 1;
	/* The answer's one allocation, and room for what is kept with it. */
	bytes = size + sizeof(*ans) + c->aux_bytes;
	for (i = 0; i < ans->nrr; i++)
		bytes += sizeof(ans->rr[i]) + ans->rr[i].len + 1;
	if (bytes > UINT32_MAX || (e = calloc(1, size)) == NULL)
		return NULL;
	e->hash = dns_cache_hash(c, type, name, len);
	e->type = type;
	e->namelen = (uint16_t)len;
	for (i = 0; i < len; i++) {
		uint8_t ch = (uint8_t)name[i];

		e->name[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	e->ans = ans;
	e->expires = now + (time_t)ans->ttl;
	e->bytes = (uint32_t)bytes;
	e->refs = 2; /* the caller's and the table's */
	pthread_mutex_lock(&c->lock);
	if (full(c))
		sweep(c, now);
	pp = &c->buckets[bucket(e->hash)];
	/* A racing thread may have put the same question: replace it. */
	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->hash == e->hash && (*pp)->type == type &&
		    (*pp)->namelen == len &&
		    memcmp((*pp)->name, e->name, len) == 0) {
			unlink_entry(c, pp);
			break;
		}
	pp = &c->buckets[bucket(e->hash)];
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
