/*
 * The DNS answer cache of an SPF handle (cache.c): shared by the threads
 * using the handle, each answer kept for its TTL.
 */
#ifndef VOUCH_SPF_CACHE_H
#define VOUCH_SPF_CACHE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vouch/dns.h"
#include "vouch/status.h"

struct spf_cache_entry;

struct spf_cache {
	pthread_mutex_t lock;
	struct spf_cache_entry **buckets;
	size_t n; /* linked entries, at most VOUCH_SPF_CACHE_MAX */
	size_t bytes; /* their size, about VOUCH_SPF_CACHE_MAX_BYTES */
};

/* spf_cache_init - an empty cache.  Errors: VOUCH_ENOMEM. */
enum vouch_status spf_cache_init(struct spf_cache *c);
/* spf_cache_fini - free every entry; no holder may remain. */
void spf_cache_fini(struct spf_cache *c);

/*
 * spf_cache_get - a live answer for (type, name), held until
 * spf_cache_release, and the seconds it has left in *ttl_left; NULL when
 * absent or expired.  `now` is CLOCK_MONOTONIC seconds, for get and put.
 */
struct spf_cache_entry *spf_cache_get(struct spf_cache *c, uint16_t type,
    const char *name, size_t len, time_t now,
    const struct vouch_dns_answer **ans, uint32_t *ttl_left);

/*
 * spf_cache_put - keep `ans` (ownership passes to the cache when an entry
 * is returned, held once for the caller); NULL when it is not to be kept
 * (TTL 0, failure, no memory): the caller still owns `ans` then.
 */
struct spf_cache_entry *spf_cache_put(struct spf_cache *c, uint16_t type,
    const char *name, size_t len, time_t now, struct vouch_dns_answer *ans);

/*
 * spf_cache_aux - what the evaluation derived from an entry's answer and
 * keeps with it (the parsed SPF record), or NULL.  spf_cache_set_aux
 * offers one: a single malloc'd block whose pointers lead only into the
 * block or the entry's answer; it is freed with the entry.  When another
 * thread was first, ours is freed and theirs returned.
 */
void *spf_cache_aux(struct spf_cache_entry *e);
void *spf_cache_set_aux(struct spf_cache_entry *e, void *aux);

/* spf_cache_release - let go of an entry from get or put. */
void spf_cache_release(struct spf_cache *c, struct spf_cache_entry *e);

#endif
