/*
 * The result cache of an SPF handle (rcache.c): check_host() results that
 * depend only on the client address and the domain (RFC 7208 §7.3: no
 * "s", "l", "o" or "h" macro was expanded, nor "r" or "t"), kept as long
 * as the shortest TTL of the DNS answers the evaluation used.
 */
#ifndef VOUCH_SPF_RCACHE_H
#define VOUCH_SPF_RCACHE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vouch/spf.h"

struct spf_rcache_entry;

struct spf_rcache {
	pthread_mutex_t lock;
	struct spf_rcache_entry **buckets;
	size_t n; /* entries, at most VOUCH_SPF_RESULT_CACHE_MAX */
};

/* spf_rcache_init - an empty cache.  Errors: VOUCH_ENOMEM. */
enum vouch_status spf_rcache_init(struct spf_rcache *c);
/* spf_rcache_fini - free every entry. */
void spf_rcache_fini(struct spf_rcache *c);
/* spf_rcache_clear - drop every entry (the configuration changed). */
void spf_rcache_clear(struct spf_rcache *c);

/*
 * spf_rcache_get - copy a live result for the key into res (verdict,
 * mechanism, explanation, reason, counts; the caller sets the rest).
 * Returns 1 on a hit, 0 otherwise.
 */
int spf_rcache_get(struct spf_rcache *c, const uint8_t *key, size_t keylen,
    time_t now, struct vouch_spf_result *res);

/*
 * spf_rcache_put - keep a result for ttl seconds (no-op when out of
 * memory).  `now` is CLOCK_MONOTONIC seconds, for get and put.
 */
void spf_rcache_put(struct spf_rcache *c, const uint8_t *key, size_t keylen,
    time_t now, const struct vouch_spf_result *res, uint32_t ttl);

#endif
