/*
 * Prometheus text metrics (exposition format 0.0.4) on an optional
 * loopback HTTP port (MetricsListen): messages by role and by each
 * method's result, actions, DNS queries and failures, a latency
 * histogram, signer requests, reloads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vouchd.h"

/* Distinct series are few (roles x methods x results); 256 is plenty. */
#define MAX_SERIES 256

struct series {
	char name[48];
	char labels[112];
	unsigned long value;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct series series[MAX_SERIES];
static size_t nseries;

/* Latency buckets, seconds (le=). */
static const double buckets[] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))
static unsigned long hist[NBUCKETS + 1];
static double hist_sum;
static unsigned long hist_count;

/*
 * Counting costs a lock and some formatting per message; without
 * MetricsListen nobody can read the counts, so none are kept.
 */
static atomic_bool serving;

static void
add_locked(const char *name, const char *labels, unsigned long n)
{
	size_t i;

	for (i = 0; i < nseries; i++)
		if (strcmp(series[i].name, name) == 0 &&
		    strcmp(series[i].labels, labels) == 0) {
			series[i].value += n;
			return;
		}
	if (nseries == MAX_SERIES)
		return;
	snprintf(series[nseries].name, sizeof(series[0].name), "%s", name);
	snprintf(
	    series[nseries].labels, sizeof(series[0].labels), "%s", labels);
	series[nseries++].value = n;
}

void
metrics_count(const char *name)
{
	if (!atomic_load_explicit(&serving, memory_order_relaxed))
		return;
	pthread_mutex_lock(&lock);
	add_locked(name, "", 1);
	pthread_mutex_unlock(&lock);
}

static void
method(const char *role, const char *m, const char *result)
{
	char labels[112];

	snprintf(labels, sizeof(labels),
	    "role=\"%s\",method=\"%s\",result=\"%s\"", role, m, result);
	add_locked("messages_by_result", labels, 1);
}

void
metrics_eval(const struct vouchd_eval *ev)
{
	static const char *const roles[] = {"none", "verify", "sign"};
	static const char *const actions[] = {
	    "accept", "quarantine", "reject", "tempfail"};
	const struct vouch_verify_result *res = ev->res;
	char labels[112];
	double s = (double)ev->usec / 1e6;
	size_t i;

	if (!atomic_load_explicit(&serving, memory_order_relaxed))
		return;
	pthread_mutex_lock(&lock);
	snprintf(labels, sizeof(labels), "role=\"%s\"", roles[ev->role]);
	add_locked("messages", labels, 1);
	snprintf(labels, sizeof(labels), "action=\"%s\"%s",
	    actions[ev->verdict], ev->dryrun ? ",dryrun=\"yes\"" : "");
	add_locked("actions", labels, 1);
	if (res != NULL) {
		method("verify", "spf",
		    res->spf_checked ? vouch_spf_verdict_str(res->spf.verdict)
		                     : "none");
		for (i = 0; res->dkim != NULL && i < res->dkim->nsig; i++)
			method("verify", "dkim",
			    vouch_dkim_verdict_str(res->dkim->sig[i].result));
		if (res->dkim == NULL || res->dkim->nsig == 0)
			method("verify", "dkim", "none");
		method("verify", "arc",
		    res->arc != NULL ? vouch_arc_cv_str(res->arc->cv) : "none");
		method("verify", "dmarc",
		    vouch_dmarc_verdict_str(res->dmarc.result));
		if ((res->spf_checked &&
		        res->spf.verdict == VOUCH_SPF_TEMPERROR) ||
		    res->dmarc.result == VOUCH_DMARC_TEMPERROR)
			add_locked("dns_failures", "", 1);
	}
	for (i = 0; i < NBUCKETS && s > buckets[i]; i++)
		;
	hist[i]++;
	hist_sum += s;
	hist_count++;
	pthread_mutex_unlock(&lock);
}

static size_t
render(char *buf, size_t cap)
{
	struct vouchd_runtime *rt = runtime_get();
	size_t n = 0, i, j;
	unsigned long cum = 0;

#define OUT(...) \
	do { \
		if (n < cap) \
			n += (size_t)snprintf(buf + n, cap - n, __VA_ARGS__); \
	} while (0)
	OUT("# TYPE vouchd_dns_queries_total counter\n");
	OUT("vouchd_dns_queries_total %lu\n", vouch_dns_nqueries(rt->dns));
	OUT("# TYPE vouchd_config_loaded_timestamp_seconds gauge\n");
	OUT("vouchd_config_loaded_timestamp_seconds %lld\n",
	    (long long)rt->loaded);
	if (n < cap)
		n += record_metrics(rt, buf + n, cap - n);
	runtime_put(rt);
	pthread_mutex_lock(&lock);
	/* each metric's series together, under one TYPE line */
	for (i = 0; i < nseries; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(series[j].name, series[i].name) == 0)
				break;
		if (j < i)
			continue;
		OUT("# TYPE vouchd_%s_total counter\n", series[i].name);
		for (j = i; j < nseries; j++)
			if (strcmp(series[j].name, series[i].name) == 0)
				OUT("vouchd_%s_total%s%s%s %lu\n",
				    series[j].name,
				    series[j].labels[0] ? "{" : "",
				    series[j].labels,
				    series[j].labels[0] ? "}" : "",
				    series[j].value);
	}
	OUT("# TYPE vouchd_message_seconds histogram\n");
	for (i = 0; i < NBUCKETS; i++) {
		cum += hist[i];
		OUT("vouchd_message_seconds_bucket{le=\"%g\"} %lu\n",
		    buckets[i], cum);
	}
	OUT("vouchd_message_seconds_bucket{le=\"+Inf\"} %lu\n", hist_count);
	OUT("vouchd_message_seconds_sum %.6f\n", hist_sum);
	OUT("vouchd_message_seconds_count %lu\n", hist_count);
	pthread_mutex_unlock(&lock);
#undef OUT
	return n < cap ? n : cap - 1;
}

static int listen_fd = -1;

static void *
serve(void *arg)
{
	static char body[64 * 1024];
	char head[256], req[1024];
	struct pollfd pfd;
	int fd, hn;
	size_t bn;

	(void)arg;
	for (;;) {
		if ((fd = accept(listen_fd, NULL, NULL)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		/* read the request (its content does not matter), briefly */
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 2000) == 1)
			(void)!read(fd, req, sizeof(req));
		bn = render(body, sizeof(body));
		hn = snprintf(head, sizeof(head),
		    "HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
		    "version=0.0.4\r\nContent-Length: %zu\r\n\r\n",
		    bn);
		(void)!write(fd, head, (size_t)hn);
		(void)!write(fd, body, bn);
		close(fd);
	}
}

int
metrics_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *sl,
    char *err, size_t errlen)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	unsigned port;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host))
		goto bad;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	n = strlen(colon + 1);
	if (vouchd_port_parse(colon + 1, n, &port) != 0) {
		snprintf(err, errlen,
		    "MetricsListen %s: port '%.*s': want a number from 1 to "
		    "65535",
		    spec, (int)(n > 32 ? 32 : n), colon + 1);
		return -1;
	}
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) ==
	    1) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		if ((ntohl(in->sin_addr.s_addr) >> 24) != 127)
			goto notloop;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		*sl = sizeof(*in);
	} else if (inet_pton(AF_INET6, host,
	               &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		if (!IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
			goto notloop;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*in6);
	} else
		goto bad;
	return 0;
notloop:
	snprintf(
	    err, errlen, "MetricsListen %s: only loopback addresses", spec);
	return -1;
bad:
	snprintf(err, errlen, "MetricsListen %s: want ADDR:PORT", spec);
	return -1;
}

int
metrics_start(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	pthread_t tid;
	int one = 1;

	if (metrics_addr(spec, &ss, &sl, err, errlen) != 0)
		return -1;
	if ((listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) <
	        0 ||
	    setsockopt(
	        listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(listen_fd, (struct sockaddr *)&ss, sl) != 0 ||
	    listen(listen_fd, 16) != 0) {
		snprintf(
		    err, errlen, "MetricsListen %s: %s", spec, strerror(errno));
		return -1;
	}
	atomic_store(&serving, true);
	if (pthread_create(&tid, NULL, serve, NULL) != 0) {
		atomic_store(&serving, false);
		snprintf(err, errlen, "MetricsListen: cannot start a thread");
		return -1;
	}
	pthread_detach(tid);
	return 0;
}
