/*
 * libFuzzer target: vouch_check_domain over hostile records.  The input's
 * lines become the TXT records of fixed names (the domain, its _dmarc,
 * a DKIM selector, two include targets, a provider and its _spf, a report
 * destination's authorization), so the SPF tree walk, the DMARC and DKIM
 * lints and the --ip / --via question all see arbitrary bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/check.h"
#include "vouch/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"example.com.", "_dmarc.example.com.",
    "s1._domainkey.example.com.", "i1.example.com.", "i2.example.com.",
    "provider.example.", "_spf.provider.example.",
    "example.com._report._dmarc.reports.example.net."};

#define NNAMES (sizeof(names) / sizeof(names[0]))
#define MAX_INPUT 16384

/* Appends one TXT line for p/len at `name`, every byte as \DDD. */
static size_t
txt_line(char *z, size_t off, const char *name, const uint8_t *p, size_t len)
{
	size_t i;

	off += (size_t)snprintf(z + off, 64, "%s 300 TXT ( \"", name);
	for (i = 0; i < len; i++) {
		if (i > 0 && i % 255 == 0)
			off += (size_t)snprintf(z + off, 8, "\" \"");
		off += (size_t)snprintf(z + off, 8, "\\%03u", p[i]);
	}
	off += (size_t)snprintf(z + off, 8, "\" )\n");
	return off;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tail[] = "mail.example.com. 300 A 192.0.2.1\n"
	                           "example.com. 300 MX 10 mail.example.com.\n";
	static char zone[MAX_INPUT * 5 + 4096];
	const char *sel[1] = {"s1"};
	struct vouch_check_options o;
	struct vouch_check_report *r = NULL;
	struct vouch_dns *dns = NULL;
	const uint8_t *p = data, *end, *nl;
	size_t off = 0, i, k;

	if (size > MAX_INPUT)
		return 0;
	end = data + size;
	off += (size_t)snprintf(zone, 32, "$ORIGIN .\n");
	for (i = 0; i < NNAMES && p <= end; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		off = txt_line(zone, off, names[i], p, (size_t)(nl - p));
		p = nl + 1;
	}
	memcpy(zone + off, tail, sizeof(tail) - 1);
	off += sizeof(tail) - 1;
	if (vouch_dns_zone_new_mem(
	        "fuzz", (const uint8_t *)zone, off, &dns, NULL, 0) != VOUCH_OK)
		abort(); /* every line is a valid TXT record */
	memset(&o, 0, sizeof(o));
	o.selectors = sel;
	o.nselectors = 1;
	o.ip = "192.0.2.1";
	o.via = "provider.example";
	if (vouch_check_domain(dns, "example.com", 11, &o, &r) != VOUCH_OK)
		abort();
	if (r->nfindings > VOUCH_CHECK_MAX_FINDINGS ||
	    r->spf.nrecords_walked > VOUCH_CHECK_MAX_SPF_RECORDS)
		abort();
	for (k = 0; k < r->nfindings; k++)
		if (r->finding[k].code == NULL ||
		    r->finding[k].severity > VOUCH_CHECK_ERROR ||
		    memchr(r->finding[k].message, '\0',
		        sizeof(r->finding[k].message)) == NULL ||
		    memchr(r->finding[k].fix, '\0',
		        sizeof(r->finding[k].fix)) == NULL)
			abort();
	vouch_check_report_free(r);
	vouch_dns_free(dns);
	return 0;
}
