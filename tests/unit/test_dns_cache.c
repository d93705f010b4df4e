/*
 * Unit tests of the DNS answer cache (src/lib/dns/cache.c): its hash is
 * keyed per cache (names come partly from senders' SPF records, so a
 * fixed hash would let a sender pick names that share one chain), and
 * lookups still match names without case, by type, for their TTL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/cache.h"
#include "tap.h"

#define T_TXT 16
#define T_A 1

/* A name of `len` bytes from `seed`, labels of letters and digits. */
static void
make_name(char *out, size_t len, unsigned seed)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		out[i] = (i % 10 == 9 && i + 1 < len)
		             ? '.'
		             : set[(seed >> 16) % (sizeof(set) - 1)];
	}
	out[len] = '\0';
}

/* The same name with every other letter in upper case. */
static void
mixed_case(char *out, const char *in, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = (char)(i % 2 == 0 && in[i] >= 'a' && in[i] <= 'z'
		                    ? in[i] - 32
		                    : in[i]);
	out[len] = '\0';
}

/* A byte that is another letter than c, whatever the case. */
static char
other(char c)
{
	return c == 'q' || c == 'Q' ? 'r' : 'q';
}

static struct vouch_dns_answer *
answer(uint32_t ttl)
{
	struct vouch_dns_answer *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		perror("calloc");
		exit(2);
	}
	a->rcode = VOUCH_DNS_ANSWER;
	a->ttl = ttl;
	return a;
}

static void
init(struct dns_cache *c)
{
	if (dns_cache_init(c, 100000, 1u << 30, 0) != VOUCH_OK) {
		fprintf(stderr, "dns_cache_init failed\n");
		exit(2);
	}
}

/* Two caches: different keys, so the same names hash differently. */
static void
test_keyed(void)
{
	struct dns_cache c1, c2;
	char name[VOUCH_DNS_MAX_NAME + 1];
	unsigned i, differ = 0;

	init(&c1);
	init(&c2);
	tap_check(memcmp(c1.key, c2.key, sizeof(c1.key)) != 0,
	    "two caches have different hash keys");
	for (i = 0; i < 64; i++) {
		make_name(name, 5 + i, i);
		differ += dns_cache_hash(&c1, T_TXT, name, 5 + i) !=
		          dns_cache_hash(&c2, T_TXT, name, 5 + i);
	}
	/* a 32-bit hash under two random keys: all 64 equal is 2^-2048 */
	tap_check(differ >= 60,
	    "the same 64 names hash differently in two caches: got %u "
	    "differing, want >= 60",
	    differ);
	dns_cache_fini(&c1);
	dns_cache_fini(&c2);
}

/*
 * Names that share a bucket (the hash's top 12 bits) in one cache are
 * spread in another: the collisions depend on the key, so a sender
 * cannot choose them.
 */
static void
test_collisions_keyed(void)
{
	static uint32_t h1[40000];
	static unsigned count[4096];
	struct dns_cache c1, c2;
	char name[64];
	unsigned i, best = 0, group = 0, same = 0;
	uint32_t b2 = 0;
	int have = 0;

	init(&c1);
	init(&c2);
	for (i = 0; i < 40000; i++) {
		snprintf(name, sizeof(name), "h%u.bench.example", i);
		h1[i] = dns_cache_hash(&c1, T_A, name, strlen(name));
		if (++count[h1[i] >> 20] > count[best])
			best = h1[i] >> 20;
	}
	for (i = 0; i < 40000; i++) {
		uint32_t h;

		if (h1[i] >> 20 != best)
			continue;
		snprintf(name, sizeof(name), "h%u.bench.example", i);
		h = dns_cache_hash(&c2, T_A, name, strlen(name)) >> 20;
		if (!have)
			b2 = h, have = 1;
		group++;
		same += h == b2;
	}
	/* about 10 per bucket on average; in c2 1/4096 of them stay */
	tap_check(group >= 10 && same <= group / 2,
	    "the %u names of one bucket in a cache: %u share a bucket in "
	    "another, want at most half",
	    group, same);
	/* and spread: the fullest bucket of 40000 names, about 10 each */
	tap_check(count[best] < 40,
	    "fullest bucket of 40000 names: got %u, "
	    "want < 40 (mean 9.8)",
	    count[best]);
	dns_cache_fini(&c1);
	dns_cache_fini(&c2);
}

/*
 * Every length 1..VOUCH_DNS_MAX_NAME: the hash and the lookup ignore
 * case, and a name that differs in its first or last byte, or the type,
 * is another question.
 */
static void
test_lookup_case(void)
{
	struct dns_cache c;
	char name[VOUCH_DNS_MAX_NAME + 1], upper[VOUCH_DNS_MAX_NAME + 1];
	const struct vouch_dns_answer *got;
	struct vouch_dns_answer *a;
	struct dns_cache_entry *e;
	uint32_t left;
	size_t len;
	unsigned bad_hash = 0, bad_get = 0, bad_other = 0;

	init(&c);
	for (len = 1; len <= VOUCH_DNS_MAX_NAME; len++) {
		make_name(name, len, (unsigned)len);
		mixed_case(upper, name, len);
		if (dns_cache_hash(&c, T_TXT, name, len) !=
		    dns_cache_hash(&c, T_TXT, upper, len))
			bad_hash++;
		a = answer(300);
		if ((e = dns_cache_put(&c, T_TXT, upper, len, 1000, a)) == NULL)
			vouch_dns_answer_free(a), bad_get++;
		else
			dns_cache_release(&c, e);
		e = dns_cache_get(&c, T_TXT, name, len, 1000, &got, &left);
		if (e == NULL || got != a || left != 300)
			bad_get++;
		if (e != NULL)
			dns_cache_release(&c, e);
		if ((e = dns_cache_get(
		         &c, T_A, name, len, 1000, &got, &left)) != NULL) {
			bad_other++;
			dns_cache_release(&c, e);
		}
		upper[0] = other(upper[0]);
		if ((e = dns_cache_get(
		         &c, T_TXT, upper, len, 1000, &got, &left)) != NULL) {
			bad_other++;
			dns_cache_release(&c, e);
		}
		mixed_case(upper, name, len);
		upper[len - 1] = other(upper[len - 1]);
		if ((e = dns_cache_get(
		         &c, T_TXT, upper, len, 1000, &got, &left)) != NULL) {
			bad_other++;
			dns_cache_release(&c, e);
		}
	}
	tap_check(bad_hash == 0,
	    "a name and its mixed-case form hash alike, lengths 1-253: got "
	    "%u differing, want 0",
	    bad_hash);
	tap_check(bad_get == 0,
	    "put in mixed case, found in lower case with its TTL, lengths "
	    "1-253: got %u misses, want 0",
	    bad_get);
	tap_check(bad_other == 0,
	    "another type, another first or last byte: not found: got %u "
	    "found, want 0",
	    bad_other);
	tap_check(c.n == VOUCH_DNS_MAX_NAME, "entries: got %zu, want %d", c.n,
	    VOUCH_DNS_MAX_NAME);
	dns_cache_fini(&c);
}

/* An answer lives for its TTL; TTL 0 and failures are not kept. */
static void
test_ttl(void)
{
	struct dns_cache c;
	const struct vouch_dns_answer *got;
	struct vouch_dns_answer *a;
	struct dns_cache_entry *e;
	uint32_t left = 0;

	init(&c);
	a = answer(60);
	if ((e = dns_cache_put(&c, T_TXT, "Bench.Example", 13, 500, a)) != NULL)
		dns_cache_release(&c, e);
	e = dns_cache_get(&c, T_TXT, "bench.example", 13, 559, &got, &left);
	tap_check(e != NULL && left == 1,
	    "found 59 s after, 1 s left: got %s, %u s",
	    e != NULL ? "found" : "absent", (unsigned)left);
	if (e != NULL)
		dns_cache_release(&c, e);
	e = dns_cache_get(&c, T_TXT, "bench.example", 13, 560, &got, &left);
	tap_check(e == NULL, "absent at its TTL: got %s",
	    e != NULL ? "found" : "absent");
	if (e != NULL)
		dns_cache_release(&c, e);
	tap_check(c.n == 0, "the expired entry is unlinked: got %zu", c.n);
	a = answer(0);
	e = dns_cache_put(&c, T_TXT, "bench.example", 13, 500, a);
	tap_check(e == NULL, "TTL 0 is not kept");
	if (e != NULL)
		dns_cache_release(&c, e);
	else
		vouch_dns_answer_free(a);
	dns_cache_fini(&c);
}

int
main(void)
{
	test_keyed();
	test_collisions_keyed();
	test_lookup_case();
	test_ttl();
	return tap_done();
}
