/*
 * Allocation-failure test of vouch_check_domain (curl's torture tests
 * are the model): run n makes the n-th allocation fail, for every n until
 * a run meets no failure.  Every run must end in VOUCH_ENOMEM without a
 * report, or in VOUCH_OK with the very report a plain run gives (a failed
 * allocation must never pass for an empty DNS answer or a missing
 * record), and free every block it allocated.  The failing
 * allocator is alloc_fail.h; sanitizer builds own malloc, and skip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_fail.h"
#include "tap.h"
#include "vouch/check.h"

/* Every part of the check: includes, a void a:, DMARC with an external
 * rua (authorized) and one not, an RSA and an Ed25519 key, a revoked
 * one, a provider for --via. */
static const char zone[] =
    "$ORIGIN .\n"
    "example.com. 300 TXT \"v=spf1 include:_spf.example.com a:gone."
    "example.com mx ptr ~all\"\n"
    "example.com. 300 MX 10 mx.example.com.\n"
    "mx.example.com. 300 A 192.0.2.1\n"
    "_spf.example.com. 300 TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "_dmarc.example.com. 300 TXT \"v=DMARC1; p=none; pct=50; t=y; "
    "rua=mailto:a@r.example.net,mailto:b@s.example.org\"\n"
    "example.com._report._dmarc.r.example.net. 300 TXT \"v=DMARC1\"\n"
    "rsa._domainkey.example.com. 300 TXT \"v=DKIM1; k=rsa; "
    "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a"
    "5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1"
    "Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QI"
    "DAQAB\"\n"
    "ed._domainkey.example.com. 300 TXT \"v=DKIM1; k=ed25519; "
    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n"
    "gone._domainkey.example.com. 300 TXT \"v=DKIM1; t=y; p=\"\n"
    "provider.example. 300 TXT \"v=spf1 include:_spf.provider.example "
    "-all\"\n"
    "_spf.provider.example. 300 TXT \"v=spf1 ip4:203.0.113.0/24 -all\"\n";

/* The report as one comparable text: codes and the figures. */
static void
digest(const struct vouch_check_report *r, char *out, size_t cap)
{
	size_t i, n;

	n = (size_t)snprintf(out, cap, "%u/%u/%zu/%zu:", r->spf.lookups,
	    r->spf.void_lookups, r->dmarc.nrua_usable, r->ndkim);
	for (i = 0; i < r->nfindings && n < cap; i++)
		n += (size_t)snprintf(
		    out + n, cap - n, " %s", r->finding[i].code);
}

static enum vouch_status
run(struct vouch_dns *dns, char *out, size_t cap)
{
	static const char *const sel[] = {"rsa", "ed", "gone", "none"};
	struct vouch_check_options o;
	struct vouch_check_report *r = NULL;
	enum vouch_status st;

	memset(&o, 0, sizeof(o));
	o.selectors = sel;
	o.nselectors = 4;
	o.ip = "198.51.100.1";
	o.via = "provider.example";
	out[0] = '\0';
	st = vouch_check_domain(dns, "example.com", 11, &o, &r);
	if (r != NULL)
		digest(r, out, cap);
	if ((st == VOUCH_OK) != (r != NULL))
		st = VOUCH_EINVAL; /* reported below as a wrong result */
	vouch_check_report_free(r);
	return st;
}

int
main(void)
{
	struct vouch_dns *dns = NULL;
	char want[8192], got[8192];
	enum vouch_status st;

	if (vouch_dns_zone_new_mem("alloc", (const uint8_t *)zone,
	        sizeof(zone) - 1, &dns, NULL, 0) != VOUCH_OK) {
		tap_check(0, "the zone loads");
		return tap_done();
	}
	st = run(dns, want, sizeof(want));
	tap_check(st == VOUCH_OK && strstr(want, "dmarc-testing") != NULL &&
	              strstr(want, "send-via-not-included") != NULL,
	    "check without failures: %s: %s", vouch_status_str(st), want);
#ifdef NO_WRAP
	tap_check(1, "allocation failures # SKIP the sanitizer owns malloc");
#else
	{
		long n, before, nleaks = 0, nwrong = 0, nenomem = 0;

		if (!alloc_fail_is_ours()) {
			tap_check(1, "allocation failures # SKIP malloc is "
			             "not ours");
			vouch_dns_free(dns);
			return tap_done();
		}
		/* 200000 bounds the loop far above the few thousand used */
		for (n = 0; n < 200000; n++) {
			failed = 0;
			before = live;
			countdown = n;
			st = run(dns, got, sizeof(got));
			countdown = -1;
			nleaks += live != before;
			if (!failed) {
				nwrong +=
				    st != VOUCH_OK || strcmp(got, want) != 0;
				break;
			}
			/* a failure is ENOMEM, or it changed nothing */
			if (st == VOUCH_ENOMEM)
				nenomem++;
			else if (st != VOUCH_OK || strcmp(got, want) != 0)
				nwrong++;
		}
		tap_check(n > 0 && n < 200000 && nwrong == 0,
		    "each of %ld allocations failed in turn: every run gave "
		    "the same report or ENOMEM (%ld ENOMEM, %ld wrong)",
		    n, nenomem, nwrong);
		tap_check(nenomem > 0, "failures reach the caller as ENOMEM");
		tap_check(
		    nleaks == 0, "no run leaked a block: %ld did", nleaks);
	}
#endif
	vouch_dns_free(dns);
	return tap_done();
}
