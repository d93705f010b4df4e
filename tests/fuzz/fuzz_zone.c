/*
 * libFuzzer target: the zone-file parser (src/lib/dns/zone.c) and the
 * query path.  The input is loaded as a zone; then a few fixed names, and
 * the input's first word taken as a name, are asked with every type.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vouch/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t types[] = {VOUCH_DNS_A, VOUCH_DNS_NS, VOUCH_DNS_CNAME,
    VOUCH_DNS_PTR, VOUCH_DNS_MX, VOUCH_DNS_TXT, VOUCH_DNS_AAAA, VOUCH_DNS_SPF};

static const char *const names[] = {"example.com", "a.example.com.",
    "sel._domainkey.example.com", "x", "com", "."};

static void
ask(struct vouch_dns *dns, const char *name, size_t len)
{
	struct vouch_dns_answer *ans;
	size_t t, i, sum = 0;

	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		if (vouch_dns_query(dns, name, len, types[t], &ans) != VOUCH_OK)
			continue;
		/* Touch every byte the answer claims, NUL included. */
		for (i = 0; i < ans->nrr; i++)
			sum += ans->rr[i].data[ans->rr[i].len] + ans->rr[i].len;
		(void)sum;
		vouch_dns_answer_free(ans);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vouch_dns *dns;
	char err[256];
	size_t i, len;

	if (vouch_dns_zone_new_mem(
	        "fuzz.db", data, size, &dns, err, sizeof(err)) != VOUCH_OK)
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ask(dns, names[i], strlen(names[i]));
	for (len = 0; len < size && len < 300; len++)
		if (data[len] == ' ' || data[len] == '\t' || data[len] == '\n')
			break;
	ask(dns, (const char *)data, len);
	vouch_dns_free(dns);
	return 0;
}
