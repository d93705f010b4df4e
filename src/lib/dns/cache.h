/*
 * A DNS answer cache (cache.c): shared by the threads using it, each
 * answer kept for its TTL.  The SPF handle keeps one (with the parsed
 * records beside the answers), and so does the libunbound back end, in
 * front of libunbound's own: a hit there costs no trip to libunbound's
 * thread.  Private to src/lib (spf/ and dns/).
 */
#ifndef VOUCH_DNS_CACHE_H
#define VOUCH_DNS_CACHE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vouch/dns.h"
#include "vouch/limits.h"
#include "vouch/status.h"

struct dns_cache_entry;

/*
 * 64-bit words of the hash key (cache.c): the added constant, one for
 * the type and length, and one per four bytes of the longest name.
 */
#define DNS_CACHE_KEY_WORDS (2 + 2 * ((VOUCH_DNS_MAX_NAME + 7) / 8))

struct dns_cache {
	pthread_mutex_t lock;
	struct dns_cache_entry **buckets;
	size_t n; /* linked entries, at most max_entries */
	size_t bytes; /* their size, about max_bytes */
	size_t max_entries;
	size_t max_bytes;
	size_t aux_bytes; /* what a kept aux may cost, counted per entry */
	/* the hash's random key, chosen by dns_cache_init, then read-only */
	uint64_t key[DNS_CACHE_KEY_WORDS];
};

/*
 * dns_cache_init - an empty cache of at most max_entries answers and about
 * max_bytes bytes (each entry counted with aux_bytes for what may be kept
 * beside it); when full, expired entries go first, then every idle one.
 * Names are hashed with a key of its own, from OpenSSL's RAND_bytes.
 * Errors: VOUCH_ENOMEM; VOUCH_EIO when RAND_bytes gives no key.
 */
enum vouch_status dns_cache_init(struct dns_cache *c, size_t max_entries,
    size_t max_bytes, size_t aux_bytes);
/* dns_cache_fini - free every entry; no holder may remain. */
void dns_cache_fini(struct dns_cache *c);

/*
 * dns_cache_get - a live answer for (type, name), held until
 * dns_cache_release, and the seconds it has left in *ttl_left; NULL when
 * absent or expired.  `now` is CLOCK_MONOTONIC seconds, for get and put.
 */
struct dns_cache_entry *dns_cache_get(struct dns_cache *c, uint16_t type,
    const char *name, size_t len, time_t now,
    const struct vouch_dns_answer **ans, uint32_t *ttl_left);

/*
 * dns_cache_put - keep `ans` (ownership passes to the cache when an entry
 * is returned, held once for the caller); NULL when it is not to be kept
 * (TTL 0, failure, no memory): the caller still owns `ans` then.
 */
struct dns_cache_entry *dns_cache_put(struct dns_cache *c, uint16_t type,
    const char *name, size_t len, time_t now, struct vouch_dns_answer *ans);

/*
 * dns_cache_aux - what the evaluation derived from an entry's answer and
 * keeps with it (the parsed SPF record), or NULL.  dns_cache_set_aux
 * offers one: a single malloc'd block whose pointers lead only into the
 * block or the entry's answer; it is freed with the entry.  When another
 * thread was first, ours is freed and theirs returned.
 */
void *dns_cache_aux(struct dns_cache_entry *e);
void *dns_cache_set_aux(struct dns_cache_entry *e, void *aux);

/* dns_cache_release - let go of an entry from get or put. */
void dns_cache_release(struct dns_cache *c, struct dns_cache_entry *e);

/*
 * dns_cache_hash - the cache's keyed hash of (type, name without case)
 * (cache.c says which construction); the top 12 bits choose the bucket.
 * For the unit test: it is what differs from one cache to another.
 */
uint32_t dns_cache_hash(
    const struct dns_cache *c, uint16_t type, const char *name, size_t len);

#endif
