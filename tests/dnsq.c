/*
 * dnsq: ask one question through libvouch's resolver and print the outcome,
 * then one record per line.  A test tool, not installed.
 *
 *   dnsq [-t SECONDS] [-p THREADS] SERVER NAME TYPE   SERVER = ADDR[@PORT]
 *   dnsq [-p THREADS] --zone FILE NAME TYPE
 *
 * Output: "rcode REASON?" on the first line ("answer", "nodata",
 * "nxdomain", "tempfail timeout", ...), then per record:
 *   A/AAAA  the address             MX  "PREF NAME"
 *   TXT/SPF "STRINGS|TEXT": the string count, then the joined text with
 *           bytes outside 0x20..0x7e as \DDD
 *   others  the name
 * With -p, THREADS threads ask the question 20 times each on the one
 * handle, and "parallel: N same" follows when every outcome matched the
 * first one's rcode and record count ("parallel: N differ" otherwise).
 * With -a, "ttl N" follows the records, and the question is asked again,
 * on the same handle, for every line read from standard input (the test
 * stops the server in between: what the handle still answers came from a
 * cache).
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vouch/dns.h"

static const struct {
	const char *name;
	uint16_t type;
} types[] = {
    {"A", VOUCH_DNS_A},
    {"NS", VOUCH_DNS_NS},
    {"CNAME", VOUCH_DNS_CNAME},
    {"PTR", VOUCH_DNS_PTR},
    {"MX", VOUCH_DNS_MX},
    {"TXT", VOUCH_DNS_TXT},
    {"AAAA", VOUCH_DNS_AAAA},
    {"SPF", VOUCH_DNS_SPF},
};

static void
print_rr(const struct vouch_dns_rr *rr)
{
	char addr[INET6_ADDRSTRLEN];
	size_t i;

	switch (rr->type) {
	case VOUCH_DNS_A:
	case VOUCH_DNS_AAAA:
		if (inet_ntop(rr->type == VOUCH_DNS_A ? AF_INET : AF_INET6,
		        rr->data, addr, sizeof(addr)) == NULL)
			printf("(bad address)\n");
		else
			printf("%s\n", addr);
		return;
	case VOUCH_DNS_MX:
		printf("%u ", rr->pref);
		break;
	case VOUCH_DNS_TXT:
	case VOUCH_DNS_SPF:
		printf("%u|", rr->nstrings);
		break;
	}
	for (i = 0; i < rr->len; i++) {
		if (rr->data[i] < 0x20 || rr->data[i] > 0x7e ||
		    rr->data[i] == '\\')
			printf("\\%03u", rr->data[i]);
		else
			putchar(rr->data[i]);
	}
	putchar('\n');
}

#define PAR_ROUNDS 20
#define PAR_MAX_THREADS 64

struct par {
	pthread_t tid;
	struct vouch_dns *dns;
	const char *name;
	uint16_t type;
	enum vouch_dns_rcode rcode;
	size_t nrr;
	int differ;
};

static void *
par_run(void *arg)
{
	struct par *p = arg;
	struct vouch_dns_answer *ans;
	int i;

	for (i = 0; i < PAR_ROUNDS; i++) {
		if (vouch_dns_query(p->dns, p->name, strlen(p->name), p->type,
		        &ans) != VOUCH_OK) {
			p->differ++;
			continue;
		}
		if (ans->rcode != p->rcode || ans->nrr != p->nrr)
			p->differ++;
		vouch_dns_answer_free(ans);
	}
	return NULL;
}

static void
parallel(struct vouch_dns *dns, const char *name, uint16_t type,
    const struct vouch_dns_answer *first, unsigned nthreads)
{
	struct par par[PAR_MAX_THREADS];
	unsigned i, n = 0;
	int differ = 0;

	if (nthreads > PAR_MAX_THREADS)
		nthreads = PAR_MAX_THREADS;
	for (i = 0; i < nthreads; i++) {
		memset(&par[i], 0, sizeof(par[i]));
		par[i].dns = dns;
		par[i].name = name;
		par[i].type = type;
		par[i].rcode = first->rcode;
		par[i].nrr = first->nrr;
		if (pthread_create(&par[i].tid, NULL, par_run, &par[i]) != 0)
			break;
	}
	n = i;
	for (i = 0; i < n; i++) {
		pthread_join(par[i].tid, NULL);
		differ += par[i].differ;
	}
	printf("parallel: %u %s\n", n * PAR_ROUNDS,
	    differ == 0 && n == nthreads ? "same" : "differ");
}

__attribute__((noreturn)) static void
usage(void)
{
	fprintf(stderr, "usage: dnsq [-t SECONDS] [-p THREADS] [-a] SERVER "
	                "NAME TYPE\n"
	                "       dnsq --zone FILE NAME TYPE\n");
	exit(64);
}

/* One question and its printed outcome; 0, or -1 out of memory. */
static int
ask(struct vouch_dns *dns, const char *name, uint16_t type, int show_ttl,
    struct vouch_dns_answer **out)
{
	struct vouch_dns_answer *ans;
	size_t i;

	if (vouch_dns_query(dns, name, strlen(name), type, &ans) != VOUCH_OK)
		return -1;
	printf("%s", vouch_dns_rcode_str(ans->rcode));
	if (ans->reason != NULL)
		printf(" %s", ans->reason);
	printf("\n");
	for (i = 0; i < ans->nrr; i++)
		print_rr(&ans->rr[i]);
	if (show_ttl)
		printf("ttl %u\n", (unsigned)ans->ttl);
	fflush(stdout);
	*out = ans;
	return 0;
}

int
main(int argc, char **argv)
{
	struct vouch_dns *dns = NULL;
	struct vouch_dns_answer *ans = NULL;
	char err[512] = "";
	unsigned timeout = 0, nthreads = 0;
	uint16_t type = 0;
	size_t i;
	int again = 0;
	char line[64];
	enum vouch_status st;

	for (; argc > 1 && strcmp(argv[1], "-a") == 0; argc--, argv++)
		again = 1;
	while (argc > 2 &&
	       (strcmp(argv[1], "-t") == 0 || strcmp(argv[1], "-p") == 0)) {
		if (argv[1][1] == 't')
			timeout = (unsigned)strtoul(argv[2], NULL, 10);
		else
			nthreads = (unsigned)strtoul(argv[2], NULL, 10);
		argc -= 2;
		argv += 2;
	}
	if (argc == 5 && strcmp(argv[1], "--zone") == 0)
		st = vouch_dns_zone_new(argv[2], &dns, err, sizeof(err));
	else if (argc == 4)
		st = vouch_dns_unbound_new(
		    argv[1], timeout, &dns, err, sizeof(err));
	else
		usage();
	if (st != VOUCH_OK) {
		fprintf(
		    stderr, "dnsq: %s\n", err[0] ? err : vouch_status_str(st));
		return 1;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(argv[argc - 1], types[i].name) == 0)
			type = types[i].type;
	if (type == 0)
		type = (uint16_t)strtoul(argv[argc - 1], NULL, 10);
	if (type == 0)
		usage();
	if (ask(dns, argv[argc - 2], type, again, &ans) != 0)
		goto nomem;
	if (nthreads > 0)
		parallel(dns, argv[argc - 2], type, ans, nthreads);
	while (again && fgets(line, sizeof(line), stdin) != NULL) {
		vouch_dns_answer_free(ans);
		ans = NULL;
		if (ask(dns, argv[argc - 2], type, again, &ans) != 0)
			goto nomem;
	}
	vouch_dns_answer_free(ans);
	vouch_dns_free(dns);
	return 0;
nomem:
	fprintf(stderr, "dnsq: out of memory\n");
	vouch_dns_free(dns);
	return 1;
}
