/*
 * bench/spf: libspf2 (Debian libspf2-dev 1.2.10) on the same mix, against
 * the same NSD: SPF_DNS_CACHE (its cache layer over the resolver) and
 * SPF_DNS_RESOLV (every question to the server).
 *
 *   libspf2_bench DATADIR SECONDS NSD COUNTER LOG [CACHE]
 *
 * NSD and COUNTER are "ADDR@PORT" (IPv4); LOG as for vouch_spf_bench.
 * CACHE ("cache" or "resolv") runs one row only: for a profiler, and for
 * run.sh's rounds; "cold" runs the cold rows alone.
 *
 * libspf2 asks the system resolver (res_ninit + res_nquery on a state of
 * its own per thread), which reads /etc/resolv.conf and has no way to say
 * a port there.  This driver defines res_ninit (glibc's __res_ninit) itself:
 * libspf2's call binds to it, it runs glibc's and then makes the server
 * the state's only name server, with its port (nsaddr_list[0], as
 * resolv.h documents, dropping any IPv6 server glibc keeps aside).
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <err.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spf2/spf.h>

#include "../bench.h"
#include "spf_bench.h"

static struct sockaddr_in server; /* where res_ninit points libspf2 */
static res_state last; /* the state res_ninit set up last */

int res_ninit(res_state);

int
res_ninit(res_state statp)
{
	static int (*real)(res_state);
	int i, rc;

	if (real == NULL && (real = (int (*)(res_state))dlsym(
	                         RTLD_NEXT, "__res_ninit")) == NULL)
		errx(1, "dlsym __res_ninit: %s", dlerror());
	if ((rc = real(statp)) != 0)
		return rc;
	for (i = 0; i < MAXNS; i++)
		if (statp->_u._ext.nsaddrs[i] != NULL) {
			free(statp->_u._ext.nsaddrs[i]);
			statp->_u._ext.nsaddrs[i] = NULL;
		}
	statp->nsaddr_list[0] = server;
	statp->nscount = 1;
	statp->retry = 1;
	statp->retrans = 2;
	last = statp;
	return 0;
}

static void
set_server(const char *text)
{
	char addr[64], *end;
	const char *at;
	unsigned long port;

	if ((at = strchr(text, '@')) == NULL ||
	    (size_t)(at - text) >= sizeof(addr))
		errx(2, "%s: want ADDR@PORT", text);
	memcpy(addr, text, (size_t)(at - text));
	addr[at - text] = '\0';
	port = strtoul(at + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		errx(2, "%s: bad port", text);
	memset(&server, 0, sizeof(server));
	server.sin_family = AF_INET;
	server.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &server.sin_addr) != 1)
		errx(2, "%s: not an IPv4 address", addr);
	/* libspf2 keeps its state for the thread's life: move it too. */
	if (last != NULL)
		last->nsaddr_list[0] = server;
}

struct run {
	SPF_server_t *spf;
	struct spf_client *clients;
	size_t nclients;
	int check;
};

static int
eval(struct run *r, const struct spf_client *c)
{
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	const char *got;
	int rc = 0;

	if ((req = SPF_request_new(r->spf)) == NULL)
		return -1;
	if (strchr(c->ip, ':') != NULL)
		SPF_request_set_ipv6_str(req, c->ip);
	else
		SPF_request_set_ipv4_str(req, c->ip);
	SPF_request_set_helo_dom(req, SPF_BENCH_HELO);
	SPF_request_set_env_from(req, SPF_BENCH_SENDER);
	SPF_request_query_mailfrom(req, &resp);
	if (resp == NULL)
		rc = -1;
	else if (r->check) {
		got = SPF_strresult(SPF_response_result(resp));
		if (strcmp(got, c->verdict) != 0) {
			warnx("libspf2: %s: got %s, want %s", c->ip, got,
			    c->verdict);
			rc = -1;
		}
	}
	SPF_response_free(resp);
	SPF_request_free(req);
	return rc;
}

static int
pass(void *arg)
{
	struct run *r = arg;
	size_t i;

	for (i = 0; i < r->nclients; i++)
		if (eval(r, &r->clients[i]) != 0)
			return -1;
	r->check = 0;
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct spf_client clients[SPF_BENCH_MAX_CLIENTS];
	static struct run r;
	static const struct {
		const char *name;
		SPF_server_dnstype_t type;
	} kinds[] = {{"cache", SPF_DNS_CACHE}, {"resolv", SPF_DNS_RESOLV}};
	const char *log = NULL, *only = NULL;
	unsigned long before, sent, total, rfc;
	double seconds, cpu, wall;
	size_t i, k;
	char *end, what[64];
	int mix, cold;

	if (argc != 6 && argc != 7)
		errx(2, "usage: libspf2_bench DATADIR SECONDS NSD COUNTER LOG "
		        "[CACHE]");
	seconds = strtod(argv[2], &end);
	if (*end != '\0' || seconds <= 0)
		errx(2, "%s: bad SECONDS", argv[2]);
	if (argc == 7)
		only = argv[6];
	r.clients = clients;
	r.nclients = spf_bench_clients(argv[1], clients, SPF_BENCH_MAX_CLIENTS);

	set_server(argv[3]);
	for (k = 0; k < 2; k++) {
		if (only != NULL && strcmp(only, kinds[k].name) != 0)
			continue;
		if ((r.spf = SPF_server_new(kinds[k].type, 0)) == NULL)
			errx(1, "SPF_server_new");
		r.check = 1;
		snprintf(what, sizeof(what), "libspf2 %s", kinds[k].name);
		spf_bench_rate(
		    pass, &r, r.nclients, seconds, what, &cpu, &wall);
		printf("rate libspf2 %s %.0f %.0f\n", kinds[k].name, cpu, wall);
		fflush(stdout);
		SPF_server_free(r.spf);
	}
	cold = only != NULL && strcmp(only, "cold") == 0;
	if ((only != NULL && !cold) || strcmp(argv[4], "-") == 0 ||
	    strcmp(argv[5], "-") == 0)
		return 0;

	/* Cold, as vouch_spf_bench: a new server per client, then one. */
	set_server(argv[4]);
	log = argv[5];
	for (mix = 0; mix < 2; mix++) {
		total = rfc = 0;
		before = spf_bench_logged(log);
		r.check = 1;
		for (i = 0; i < r.nclients; i++) {
			if ((i == 0 || !mix) &&
			    (r.spf = SPF_server_new(SPF_DNS_CACHE, 0)) == NULL)
				errx(1, "SPF_server_new");
			if (eval(&r, &r.clients[i]) != 0)
				exit(1);
			rfc += r.clients[i].rfc_queries;
			if (!mix) {
				sent = spf_bench_logged(log) - before;
				before += sent;
				total += sent;
			}
			if (i + 1 == r.nclients || !mix)
				SPF_server_free(r.spf);
		}
		if (mix) {
			total = spf_bench_logged(log) - before;
			rfc = 11;
		}
		printf("cold libspf2 %s %zu %lu %lu -\n",
		    mix ? "mix" : "per-eval", r.nclients, total, rfc);
	}
	return 0;
}
