/*
 * The network back end: a caching resolver through libunbound, either
 * recursing on its own with /etc/resolv.conf's servers as forwarders, or
 * forwarding every question to one given server.
 *
 * Each question is asked asynchronously and waited for with poll(2) on the
 * context's descriptor until a per-query deadline; past it the question is
 * cancelled and the outcome is TEMPFAIL "timeout".  Several threads may
 * query one handle: libunbound locks its context, and a result is handed
 * to the thread that asked through a small state block guarded by a mutex
 * (another thread's ub_process() may deliver it).
 *
 * In front of libunbound sits an answer cache of our own (dns/cache.h):
 * libunbound answers even a question it has cached through its thread
 * and pipes (two context switches and some twenty system calls), which
 * a daemon asking the same few names for every message pays each time.
 */
#ifdef VOUCH_HAVE_UNBOUND

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>

#include "cache.h"
#include "internal.h"

/* Seconds per question when the caller gives 0. */
#define UB_DEFAULT_TIMEOUT 5

/*
 * Milliseconds of one poll(2): another thread's ub_process() may deliver
 * our answer while we sleep, and we notice it at the latest after this.
 */
#define UB_POLL_SLICE_MS 20

/*
 * Milliseconds to wait for an answer that another thread is delivering
 * while our cancel failed (ub_cancel: "the result may be delivered at the
 * same time").
 */
#define UB_DELIVER_GRACE_MS 500

struct ub {
	struct ub_ctx *ctx;
	unsigned timeout; /* seconds */
	pthread_mutex_t lock; /* guards every struct ubq */
	pthread_cond_t cond; /* signalled when a struct ubq is done */
	struct dns_cache cache;
	int cache_ready;
};

/* One question in flight. */
struct ubq {
	struct ub *ub;
	int done; /* the callback ran */
	int abandoned; /* the asker left; the callback frees the block */
	int err;
	struct ub_result *res;
};

static void
ub_callback(void *arg, int err, struct ub_result *res)
{
	struct ubq *q = arg;
	struct ub *ub = q->ub;

	pthread_mutex_lock(&ub->lock);
	if (q->abandoned) {
		pthread_mutex_unlock(&ub->lock);
		ub_resolve_free(res);
		free(q);
		return;
	}
	q->err = err;
	q->res = res;
	q->done = 1;
	pthread_cond_broadcast(&ub->cond);
	pthread_mutex_unlock(&ub->lock);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The name as libunbound's text parser reads it: every byte other than a
 * letter, digit, '-', '_' or the label dots written as \DDD, so a label
 * holding '\\', '"' or a space reaches the wire as it came.
 */
static void
ub_name_text(const char *name, size_t len, char *out, size_t outcap)
{
	size_t i, n = 0;
	unsigned char c;

	for (i = 0; i < len && n + 5 < outcap; i++) {
		c = (unsigned char)name[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.') {
			out[n++] = (char)c;
		} else {
			snprintf(out + n, outcap - n, "\\%03u", c);
			n += 4;
		}
	}
	if (n + 2 <= outcap && len == 0)
		out[n++] = '.'; /* the root */
	out[n] = '\0';
}

/* The outcome of a finished question. */
static enum vouch_status
ub_answer(
    const struct ub_result *res, uint16_t type, struct vouch_dns_answer **out)
{
	struct dns_builder b;
	uint32_t ttl = res->ttl > 0 ? (uint32_t)res->ttl : 0;
	size_t i;
	int bad = 0;

	switch (res->rcode) {
	case 0:
		break;
	case 1:
		return dns_answer_empty(VOUCH_DNS_PERMFAIL, "FORMERR", 0, out);
	case 2:
		return dns_answer_empty(VOUCH_DNS_TEMPFAIL, "SERVFAIL", 0, out);
	case 3:
		return dns_answer_empty(VOUCH_DNS_NXDOMAIN, NULL, ttl, out);
	case 4:
		return dns_answer_empty(VOUCH_DNS_PERMFAIL, "NOTIMP", 0, out);
	case 5:
		return dns_answer_empty(VOUCH_DNS_PERMFAIL, "REFUSED", 0, out);
	default:
		return dns_answer_empty(
		    VOUCH_DNS_PERMFAIL, "DNS error", 0, out);
	}
	if (res->bogus)
		return dns_answer_empty(
		    VOUCH_DNS_TEMPFAIL, "DNSSEC bogus", 0, out);
	if (!res->havedata || res->data == NULL)
		return dns_answer_empty(VOUCH_DNS_NODATA, NULL, ttl, out);
	dns_builder_init(&b);
	/* libunbound ends the list with NULL; VOUCH_DNS_MAX_RRS bounds it. */
	for (i = 0; i < VOUCH_DNS_MAX_RRS && res->data[i] != NULL; i++) {
		if (res->len[i] < 0 ||
		    !dns_rdata_add(&b, type, ttl, (const uint8_t *)res->data[i],
		        (size_t)res->len[i], res->answer_packet,
		        res->answer_len > 0 ? (size_t)res->answer_len : 0))
			bad = 1;
	}
	if (b.nrr == 0) {
		dns_builder_free(&b);
		if (bad)
			return dns_answer_empty(
			    VOUCH_DNS_PERMFAIL, "malformed answer", 0, out);
		return dns_answer_empty(VOUCH_DNS_NODATA, NULL, ttl, out);
	}
	return dns_builder_finish(&b, VOUCH_DNS_ANSWER, NULL, ttl, out);
}

static enum vouch_status ub_ask(struct ub *ub, const char *name, size_t namelen,
    uint16_t type, struct vouch_dns_answer **out);

static time_t
mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The cache first; what libunbound answers is kept for its TTL. */
static enum vouch_status
ub_query(struct vouch_dns *dns, const char *name, size_t namelen, uint16_t type,
    struct vouch_dns_answer **out)
{
	struct ub *ub = dns->impl;
	struct dns_cache_entry *e;
	const struct vouch_dns_answer *hit;
	struct vouch_dns_answer *copy;
	uint32_t ttl_left;
	time_t now = mono_seconds();
	enum vouch_status st;

	if ((e = dns_cache_get(&ub->cache, type, name, namelen, now, &hit,
	         &ttl_left)) != NULL) {
		st = dns_answer_dup(hit, ttl_left, out);
		dns_cache_release(&ub->cache, e);
		return st;
	}
	if ((st = ub_ask(ub, name, namelen, type, out)) != VOUCH_OK)
		return st;
	/* the cache keeps a copy; nothing is lost when it cannot */
	if (dns_answer_dup(*out, (*out)->ttl, &copy) == VOUCH_OK &&
	    (e = dns_cache_put(&ub->cache, type, name, namelen, now, copy)) !=
	        NULL)
		dns_cache_release(&ub->cache, e);
	else
		vouch_dns_answer_free(copy);
	return VOUCH_OK;
}

/* One question to libunbound, waited for until the deadline. */
static enum vouch_status
ub_ask(struct ub *ub, const char *name, size_t namelen, uint16_t type,
    struct vouch_dns_answer **out)
{
	struct ubq *q;
	struct pollfd pfd;
	struct timespec ts;
	char text[VOUCH_DNS_MAX_NAME * 4 + 2];
	long long deadline, left;
	int id, r, done;
	enum vouch_status st;

	ub_name_text(name, namelen, text, sizeof(text));
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return VOUCH_ENOMEM;
	q->ub = ub;
	r = ub_resolve_async(ub->ctx, text, type, 1, q, ub_callback, &id);
	if (r != 0) {
		free(q);
		if (r == UB_NOMEM)
			return VOUCH_ENOMEM;
		return dns_answer_empty(
		    VOUCH_DNS_TEMPFAIL, ub_strerror(r), 0, out);
	}
	deadline = now_ms() + (long long)ub->timeout * 1000;
	pfd.fd = ub_fd(ub->ctx);
	pfd.events = POLLIN;
	for (;;) {
		pthread_mutex_lock(&ub->lock);
		done = q->done;
		pthread_mutex_unlock(&ub->lock);
		if (done || (left = deadline - now_ms()) <= 0)
			break;
		pfd.revents = 0;
		r = poll(&pfd, 1,
		    (int)(left < UB_POLL_SLICE_MS ? left : UB_POLL_SLICE_MS));
		if (r > 0)
			(void)ub_process(ub->ctx);
	}
	if (!done && ub_cancel(ub->ctx, id) == 0) {
		free(q);
		return dns_answer_empty(VOUCH_DNS_TEMPFAIL, "timeout", 0, out);
	}
	/* The answer is being delivered by another thread: wait a little. */
	pthread_mutex_lock(&ub->lock);
	if (!q->done) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)UB_DELIVER_GRACE_MS * 1000000;
		ts.tv_sec += ts.tv_nsec / 1000000000;
		ts.tv_nsec %= 1000000000;
		while (!q->done &&
		       pthread_cond_timedwait(&ub->cond, &ub->lock, &ts) == 0)
			;
	}
	if (!q->done) {
		q->abandoned = 1; /* the callback frees it */
		pthread_mutex_unlock(&ub->lock);
		return dns_answer_empty(VOUCH_DNS_TEMPFAIL, "timeout", 0, out);
	}
	pthread_mutex_unlock(&ub->lock);
	if (q->err != 0 || q->res == NULL)
		st = q->err == UB_NOMEM ? VOUCH_ENOMEM
		                        : dns_answer_empty(VOUCH_DNS_TEMPFAIL,
		                              ub_strerror(q->err), 0, out);
	else
		st = ub_answer(q->res, type, out);
	ub_resolve_free(q->res);
	free(q);
	return st;
}

static void
ub_backend_free(struct vouch_dns *dns)
{
	struct ub *ub = dns->impl;

	if (ub == NULL)
		return;
	if (ub->ctx != NULL)
		ub_ctx_delete(ub->ctx);
	if (ub->cache_ready)
		dns_cache_fini(&ub->cache);
	pthread_cond_destroy(&ub->cond);
	pthread_mutex_destroy(&ub->lock);
	free(ub);
}

static const struct vouch_dns_ops ub_ops = {
    .query = ub_query,
    .free = ub_backend_free,
};

/*
 * "ADDR" or "ADDR@PORT", an IPv4 or IPv6 literal and a port 1..65535, as
 * ub_ctx_set_fwd() takes it.
 */
static int
ub_server_valid(const char *server)
{
	char addr[INET6_ADDRSTRLEN + 1];
	uint8_t bin[16];
	const char *at = strchr(server, '@');
	size_t len = at != NULL ? (size_t)(at - server) : strlen(server);
	unsigned long port = 0;
	const char *p;

	if (len == 0 || len >= sizeof(addr))
		return 0;
	memcpy(addr, server, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 &&
	    inet_pton(AF_INET6, addr, bin) != 1)
		return 0;
	if (at == NULL)
		return 1;
	for (p = at + 1; *p != '\0' && p - at <= 5; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	return *p == '\0' && p > at + 1 && port >= 1 && port <= 65535;
}

enum vouch_status
vouch_dns_unbound_new(const char *server, unsigned timeout,
    struct vouch_dns **out, char *err, size_t errlen)
{
	struct ub *ub;
	int r;
	enum vouch_status st = VOUCH_OK;

	*out = NULL;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (server != NULL && !ub_server_valid(server)) {
		dns_seterr(
		    err, errlen, "%s: not an IP address or ADDR@PORT", server);
		return VOUCH_EINVAL;
	}
	if ((ub = calloc(1, sizeof(*ub))) == NULL)
		return VOUCH_ENOMEM;
	pthread_mutex_init(&ub->lock, NULL);
	pthread_cond_init(&ub->cond, NULL);
	ub->timeout = timeout > 0 ? timeout : UB_DEFAULT_TIMEOUT;
	if (dns_cache_init(&ub->cache, VOUCH_DNS_CACHE_MAX,
	        VOUCH_DNS_CACHE_MAX_BYTES, 0) != VOUCH_OK) {
		st = VOUCH_ENOMEM;
		goto out;
	}
	ub->cache_ready = 1;
	if ((ub->ctx = ub_ctx_create()) == NULL) {
		st = VOUCH_ENOMEM;
		goto out;
	}
	/* A thread, not a forked process, answers in the background. */
	if ((r = ub_ctx_async(ub->ctx, 1)) != 0 ||
	    /* Forwarders on loopback (a local cache, test servers). */
	    (r = ub_ctx_set_option(ub->ctx, "do-not-query-localhost:", "no")) !=
	        0) {
		dns_seterr(err, errlen, "libunbound: %s", ub_strerror(r));
		st = r == UB_NOMEM ? VOUCH_ENOMEM : VOUCH_EINVAL;
		goto out;
	}
	if (server != NULL) {
		if ((r = ub_ctx_set_fwd(ub->ctx, server)) != 0) {
			dns_seterr(
			    err, errlen, "%s: %s", server, ub_strerror(r));
			st = r == UB_NOMEM ? VOUCH_ENOMEM : VOUCH_EINVAL;
			goto out;
		}
	} else if ((r = ub_ctx_resolvconf(ub->ctx, NULL)) != 0) {
		dns_seterr(err, errlen, "/etc/resolv.conf: %s",
		    r == UB_READFILE ? strerror(errno) : ub_strerror(r));
		st = r == UB_NOMEM ? VOUCH_ENOMEM : VOUCH_EIO;
		goto out;
	}
	if ((*out = dns_new(&ub_ops, ub)) == NULL)
		st = VOUCH_ENOMEM;
out:
	if (st != VOUCH_OK) {
		if (ub->ctx != NULL)
			ub_ctx_delete(ub->ctx);
		if (ub->cache_ready)
			dns_cache_fini(&ub->cache);
		pthread_cond_destroy(&ub->cond);
		pthread_mutex_destroy(&ub->lock);
		free(ub);
	}
	return st;
}

#else /* !VOUCH_HAVE_UNBOUND */

#include "internal.h"

enum vouch_status
vouch_dns_unbound_new(const char *server, unsigned timeout,
    struct vouch_dns **out, char *err, size_t errlen)
{
	*out = NULL;
	dns_seterr(err, errlen, "built without libunbound (-Dunbound)");
	return VOUCH_EUNSUPPORTED;
}

#endif
