/*
 * bench/spf: vouch's SPF evaluations per second through its public API
 * (vouch/spf.h, vouch/dns.h), as an application uses it: one resolver, one
 * handle, vouch_spf_check() for each client of the mix in turn.
 *
 *   vouch_spf_bench DATADIR SECONDS NSD COUNTER LOG [BACKEND CACHE]
 *
 * NSD is "ADDR@PORT" of the authoritative server for the libunbound back
 * end, COUNTER the address of countdns.py in front of it and LOG the file
 * where it writes each question ("-" leaves out what needs them).  With
 * BACKEND CACHE ("zone results+dns", "unbound dns", ...) only that row
 * runs: for a profiler, and for run.sh's rounds, which time each row
 * next to libspf2's.  CACHE "cold" (any BACKEND) runs the cold rows alone.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vouch/dns.h>
#include <vouch/spf.h>

#include "../bench.h"
#include "spf_bench.h"

struct run {
	struct vouch_spf *spf;
	struct spf_client *clients;
	size_t nclients;
	struct vouch_spf_request req[SPF_BENCH_MAX_CLIENTS];
	int check; /* compare each verdict with clients.txt */
};

static const struct {
	const char *name;
	unsigned flags;
} caches[] = {
    {"results+dns", VOUCH_SPF_CACHE_RESULTS | VOUCH_SPF_CACHE_DNS},
    {"dns", VOUCH_SPF_CACHE_DNS},
    {"none", 0},
};

static void
requests(struct run *r)
{
	size_t i;

	for (i = 0; i < r->nclients; i++) {
		memset(&r->req[i], 0, sizeof(r->req[i]));
		r->req[i].ip = r->clients[i].ip;
		r->req[i].ip_len = strlen(r->clients[i].ip);
		r->req[i].mail_from = SPF_BENCH_SENDER;
		r->req[i].mail_from_len = strlen(SPF_BENCH_SENDER);
		r->req[i].helo = SPF_BENCH_HELO;
		r->req[i].helo_len = strlen(SPF_BENCH_HELO);
		r->req[i].identity = VOUCH_SPF_MAILFROM;
	}
}

static int
verdict_ok(const struct spf_client *c, const struct vouch_spf_result *res)
{
	if (strcmp(vouch_spf_verdict_str(res->verdict), c->verdict) == 0)
		return 1;
	warnx("vouch: %s: got %s (%s), want %s", c->ip,
	    vouch_spf_verdict_str(res->verdict), res->reason, c->verdict);
	return 0;
}

/* One pass over the mix. */
static int
pass(void *arg)
{
	struct run *r = arg;
	struct vouch_spf_result res;
	size_t i;

	for (i = 0; i < r->nclients; i++) {
		if (vouch_spf_check(r->spf, &r->req[i], &res) != VOUCH_OK)
			return -1;
		if (r->check && !verdict_ok(&r->clients[i], &res))
			return -1;
	}
	r->check = 0;
	return 0;
}

static struct vouch_dns *
resolver(const char *dir, const char *server)
{
	struct vouch_dns *dns;
	char path[4096], msg[512];

	if (server == NULL) {
		snprintf(path, sizeof(path), "%s/bench.zone", dir);
		if (vouch_dns_zone_new(path, &dns, msg, sizeof(msg)) !=
		    VOUCH_OK)
			errx(1, "zone: %s", msg);
	} else if (vouch_dns_unbound_new(server, 2, &dns, msg, sizeof(msg)) !=
	           VOUCH_OK)
		errx(1, "unbound %s: %s", server, msg);
	return dns;
}

static void
rate_rows(const char *dir, const char *backend, const char *server,
    double seconds, const char *only_cache, struct run *r)
{
	struct vouch_dns *dns;
	char what[64];
	double cpu, wall;
	size_t i;

	for (i = 0; i < sizeof(caches) / sizeof(caches[0]); i++) {
		if (only_cache != NULL &&
		    strcmp(only_cache, caches[i].name) != 0)
			continue;
		dns = resolver(dir, server);
		if (vouch_spf_new(dns, &r->spf) != VOUCH_OK)
			errx(1, "vouch_spf_new");
		vouch_spf_set_cache(r->spf, caches[i].flags);
		r->check = 1;
		snprintf(
		    what, sizeof(what), "vouch %s %s", backend, caches[i].name);
		spf_bench_rate(
		    pass, r, r->nclients, seconds, what, &cpu, &wall);
		printf("rate vouch-%s %s %.0f %.0f\n", backend, caches[i].name,
		    cpu, wall);
		fflush(stdout);
		vouch_spf_free(r->spf);
		vouch_dns_free(dns);
	}
}

/*
 * Cold: the questions vouch sends with nothing cached, counted on the
 * wire by countdns.py.  "per-eval": a new resolver and handle for each
 * client, so each evaluation starts empty; "mix": one new resolver and
 * handle for the whole mix, where the caches may answer later clients.
 */
static void
cold_rows(const char *dir, const char *counter, const char *log, struct run *r)
{
	struct vouch_dns *dns = NULL;
	struct vouch_spf_result res;
	unsigned long before, sent, total = 0, asked = 0, rfc = 0;
	size_t i;
	int mix;

	for (mix = 0; mix < 2; mix++) {
		total = asked = rfc = 0;
		before = spf_bench_logged(log);
		for (i = 0; i < r->nclients; i++) {
			if (i == 0 || !mix) {
				dns = resolver(dir, counter);
				if (vouch_spf_new(dns, &r->spf) != VOUCH_OK)
					errx(1, "vouch_spf_new");
			}
			if (vouch_spf_check(r->spf, &r->req[i], &res) !=
			    VOUCH_OK)
				errx(1, "vouch_spf_check");
			if (!verdict_ok(&r->clients[i], &res))
				exit(1);
			asked += res.dns_queries;
			rfc += r->clients[i].rfc_queries;
			if (!mix) {
				sent = spf_bench_logged(log) - before;
				before += sent;
				total += sent;
				if (sent >
				    (unsigned long)r->clients[i].rfc_queries)
					fprintf(stderr,
					    "vouch cold %s: %lu questions, "
					    "RFC 7208 asks at most %d\n",
					    r->clients[i].ip, sent,
					    r->clients[i].rfc_queries);
			}
			if (i + 1 == r->nclients || !mix) {
				vouch_spf_free(r->spf);
				vouch_dns_free(dns);
			}
		}
		if (mix) {
			total = spf_bench_logged(log) - before;
			rfc = 11; /* 4 TXT, 1 MX, 3 A, 3 AAAA */
		}
		printf("cold vouch %s %zu %lu %lu %lu\n",
		    mix ? "mix" : "per-eval", r->nclients, total, rfc, asked);
	}
}

int
main(int argc, char *argv[])
{
	static struct spf_client clients[SPF_BENCH_MAX_CLIENTS];
	static struct run r;
	const char *dir, *nsd, *counter, *log, *only_backend = NULL,
	                                       *only_cache = NULL;
	double seconds;
	char *end;

	if (argc != 6 && argc != 8)
		errx(2, "usage: vouch_spf_bench DATADIR SECONDS NSD COUNTER "
		        "LOG [BACKEND CACHE]");
	dir = argv[1];
	seconds = strtod(argv[2], &end);
	if (*end != '\0' || seconds <= 0)
		errx(2, "%s: bad SECONDS", argv[2]);
	nsd = strcmp(argv[3], "-") == 0 ? NULL : argv[3];
	counter = strcmp(argv[4], "-") == 0 ? NULL : argv[4];
	log = strcmp(argv[5], "-") == 0 ? NULL : argv[5];
	if (argc == 8) {
		only_backend = argv[6];
		only_cache = argv[7];
	}
	r.clients = clients;
	r.nclients = spf_bench_clients(dir, clients, SPF_BENCH_MAX_CLIENTS);
	requests(&r);

	if (only_cache != NULL && strcmp(only_cache, "cold") == 0) {
		if (counter == NULL || log == NULL)
			errx(2, "cold: want COUNTER and LOG");
		cold_rows(dir, counter, log, &r);
		return 0;
	}
	if (only_backend == NULL || strcmp(only_backend, "zone") == 0)
		rate_rows(dir, "zone", NULL, seconds, only_cache, &r);
	if (nsd != NULL &&
	    (only_backend == NULL || strcmp(only_backend, "unbound") == 0))
		rate_rows(dir, "unbound", nsd, seconds, only_cache, &r);
	if (counter != NULL && log != NULL && only_backend == NULL)
		cold_rows(dir, counter, log, &r);
	return 0;
}
