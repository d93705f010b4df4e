/*
 * The SPF result cache: see rcache.h.  A hash table under one lock; each
 * entry is one allocation holding its key and texts.  When full, expired
 * entries go first, then everything.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rcache.h"
#include "vouch/limits.h"

#define NBUCKETS 4096 /* a power of two */

struct spf_rcache_entry {
	struct spf_rcache_entry *next;
	time_t expires; /* monotonic seconds */
	enum vouch_spf_verdict verdict;
	unsigned dns_lookups;
	unsigned void_lookups;
	unsigned dns_queries;
	const char *mechanism; /* into data[] */
	const char *explanation;
	const char *reason;
	size_t keylen;
	uint8_t data[]; /* key, then the three texts with their NULs */
};

static uint32_t
hash(const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	return h & (NBUCKETS - 1);
}

enum vouch_status
spf_rcache_init(struct spf_rcache *c)
{
	memset(c, 0, sizeof(*c));
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

/* Drop entries: the expired ones, or all when `all`. Lock held. */
static void
drop(struct spf_rcache *c, time_t now, int all)
{
	struct spf_rcache_entry **pp, *e;
	size_t i;

	for (i = 0; i < NBUCKETS; i++)
		for (pp = &c->buckets[i]; (e = *pp) != NULL;) {
			if (all || e->expires <= now) {
				*pp = e->next;
				free(e);
				c->n--;
			} else
				pp = &e->next;
		}
}

void
spf_rcache_clear(struct spf_rcache *c)
{
	pthread_mutex_lock(&c->lock);
	drop(c, 0, 1);
	pthread_mutex_unlock(&c->lock);
}

void
spf_rcache_fini(struct spf_rcache *c)
{
	if (c->buckets == NULL)
		return;
	drop(c, 0, 1);
	free(c->buckets);
	c->buckets = NULL;
	pthread_mutex_destroy(&c->lock);
}

static void
copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src); /* our own NUL-terminated text */

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int
spf_rcache_get(struct spf_rcache *c, const uint8_t *key, size_t keylen,
    time_t now, struct vouch_spf_result *res)
{
	struct spf_rcache_entry **pp, *e;
	int hit = 0;

	pthread_mutex_lock(&c->lock);
	for (pp = &c->buckets[hash(key, keylen)]; (e = *pp) != NULL;
	     pp = &e->next) {
		if (e->keylen != keylen || memcmp(e->data, key, keylen) != 0)
			continue;
		if (e->expires <= now) {
			*pp = e->next;
			free(e);
			c->n--;
			break;
		}
		res->verdict = e->verdict;
		res->dns_lookups = e->dns_lookups;
		res->void_lookups = e->void_lookups;
		res->dns_queries = e->dns_queries;
		copy(res->mechanism, sizeof(res->mechanism), e->mechanism);
		copy(
		    res->explanation, sizeof(res->explanation), e->explanation);
		copy(res->reason, sizeof(res->reason), e->reason);
		hit = 1;
		break;
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void
spf_rcache_put(struct spf_rcache *c, const uint8_t *key, size_t keylen,
    time_t now, const struct vouch_spf_result *res, uint32_t ttl)
{
	struct spf_rcache_entry *e, **pp;
	size_t lm = strlen(res->mechanism) + 1,
	       le = strlen(res->explanation) + 1;
	size_t lr = strlen(res->reason) + 1;
	uint8_t *p;

	if (ttl == 0 ||
	    (e = malloc(sizeof(*e) + keylen + lm + le + lr)) == NULL)
		return;
	e->expires = now + (time_t)ttl;
	e->verdict = res->verdict;
	e->dns_lookups = res->dns_lookups;
	e->void_lookups = res->void_lookups;
	e->dns_queries = res->dns_queries;
	e->keylen = keylen;
	p = e->data;
	memcpy(p, key, keylen);
	p += keylen;
	memcpy(p, res->mechanism, lm);
	e->mechanism = (const char *)p;
	p += lm;
	memcpy(p, res->explanation, le);
	e->explanation = (const char *)p;
	p += le;
	memcpy(p, res->reason, lr);
	e->reason = (const char *)p;
	pthread_mutex_lock(&c->lock);
	if (c->n >= VOUCH_SPF_RESULT_CACHE_MAX) {
		drop(c, now, 0);
		if (c->n >= VOUCH_SPF_RESULT_CACHE_MAX)
			drop(c, now, 1);
	}
	pp = &c->buckets[hash(key, keylen)];
	e->next = *pp;
	*pp = e;
	c->n++;
	pthread_mutex_unlock(&c->lock);
}
