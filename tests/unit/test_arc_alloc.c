/*
 * Allocation-failure test of ARC sealing and validation (the model: curl's
 * torture tests).  Run n makes the n-th allocation fail, for every n until
 * a run completes without meeting its failure: an ARC Set is made for a
 * message (Ed25519, deterministic) and the sealed message validated.  Each
 * run must end in a clean error or in VOUCH_OK with the fields of a run
 * without failures and cv=pass, never a crash, a leak or cv=fail: RFC 8617
 * §5.2.1 makes an error of the chain a fail, but an allocation that failed
 * (inside OpenSSL too) is "could not check", which the library reports as
 * VOUCH_ENOMEM (STYLE.md: the call's status is not the verdict).  The
 * failing allocator is alloc_fail.h's, counting only the blocks vouch
 * allocates: OpenSSL keeps caches across calls, also after a failure
 * inside it.  Sanitizer builds, which own malloc, skip the test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* count only the blocks vouch allocates (OpenSSL keeps caches) */
#define ALLOC_FAIL_OWN_BLOCKS
#include "alloc_fail.h"
#include "tap.h"
#include "vouch/arc.h"
#include "vouch/dkim_sign.h"
#include "vouch/dns.h"

/* RFC 8032 §7.1 TEST 1: secret key (dkimpy's seed form), public key. */
static const char seed[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
static const char zone[] =
    "s1._domainkey.example.org. 300 IN TXT "
    "\"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n";

static const char msg[] = "From: Joe <joe@football.example.com>\r\n"
                          "To: Suzie <suzie@shopping.example.net>\r\n"
                          "Subject: Is dinner ready?\r\n"
                          "Authentication-Results: mx.example.org; "
                          "spf=pass smtp.mailfrom=football.example.com\r\n"
                          "\r\n"
                          "Hi.\r\n\r\nWe lost the game.\r\n";

static struct vouch_dns *dns;
/* the reason of the last validation, for the diagnostics */
static char reason[160];

/*
 * Seal the message once, then validate what was sealed; the fields (or
 * NULL) and the chain status.
 */
static enum vouch_status
run(char **fields, enum vouch_arc_cv *cv)
{
	struct vouch_dkim_key *key = NULL;
	struct vouch_arc_seal_req req;
	struct vouch_arc_sealer *s = NULL;
	struct vouch_arc_result none, *res = NULL;
	struct vouch_arc_options opt;
	enum vouch_status st;
	uint8_t *sealed = NULL;
	size_t len = 0;

	*fields = NULL;
	*cv = VOUCH_ARC_NONE;
	st = vouch_dkim_key_load_mem(
	    (const uint8_t *)seed, sizeof(seed) - 1, &key, NULL, 0);
	if (st != VOUCH_OK)
		return st;
	memset(&req, 0, sizeof(req));
	req.key = key;
	req.domain = "example.org";
	req.selector = "s1";
	req.authserv_id = "mx.example.org";
	req.now = 1700000000;
	memset(&none, 0, sizeof(none));
	if ((st = vouch_arc_seal_new(&req, &s)) == VOUCH_OK &&
	    (st = vouch_arc_seal_update(s, (const uint8_t *)msg, 50)) ==
	        VOUCH_OK &&
	    (st = vouch_arc_seal_update(s, (const uint8_t *)msg + 50,
	         sizeof(msg) - 1 - 50)) == VOUCH_OK)
		st = vouch_arc_seal_finish(s, &none, true, fields, &len);
	vouch_arc_seal_free(s);
	vouch_dkim_key_free(key);
	if (st != VOUCH_OK)
		return st;
	if ((sealed = malloc(len + sizeof(msg))) == NULL)
		return VOUCH_ENOMEM;
	memcpy(sealed, *fields, len);
	memcpy(sealed + len, msg, sizeof(msg) - 1);
	vouch_arc_options_init(&opt);
	opt.now = 1700000000;
	st = vouch_arc_verify_mem(
	    dns, &opt, sealed, len + sizeof(msg) - 1, &res);
	if (st == VOUCH_OK) {
		*cv = res->cv;
		snprintf(reason, sizeof(reason), "%s", res->reason);
	}
	vouch_arc_result_free(res);
	free(sealed);
	return st;
}

int
main(void)
{
#ifdef NO_WRAP
	tap_check(1, "allocation failures # SKIP sanitizer build owns malloc");
	return tap_done();
#else
	char *want = NULL, *got = NULL;
	enum vouch_arc_cv cv;
	enum vouch_status st;
	long n, before, nleak = 0;
	int bad = 0, nclean = 0, nwrong = 0;
	void *probe;
	void *(*volatile probe_malloc)(size_t) = malloc;

	countdown = 0;
	probe = probe_malloc(1);
	countdown = -1;
	if (probe != NULL) {
		free(probe);
		tap_check(1, "allocation failures # SKIP malloc is replaced");
		return tap_done();
	}
	if (vouch_dns_zone_new_mem("zone", (const uint8_t *)zone,
	        sizeof(zone) - 1, &dns, NULL, 0) != VOUCH_OK) {
		tap_check(0, "zone loads");
		return tap_done();
	}
	st = run(&want, &cv); /* also warms OpenSSL's and the key caches up */
	tap_check(st == VOUCH_OK && want != NULL && cv == VOUCH_ARC_PASS,
	    "seal and validate without failures: got %s, cv=%s",
	    vouch_status_str(st), vouch_arc_cv_str(cv));
	if (want == NULL)
		return tap_done();
	for (n = 0; n < 100000; n++) {
		failed = 0;
		before = live;
		countdown = n;
		st = run(&got, &cv);
		countdown = -1;
		if (live != before + (got != NULL))
			nleak++;
		if (!failed) {
			if (st != VOUCH_OK || got == NULL ||
			    strcmp(got, want) != 0 || cv != VOUCH_ARC_PASS)
				bad++;
			free(got);
			break;
		}
		/* not an error: then the verdict of a run without failures */
		if (st == VOUCH_OK && (got == NULL || strcmp(got, want) != 0 ||
		                          cv != VOUCH_ARC_PASS)) {
			if (nwrong++ == 0)
				printf("# run %ld: got cv=%s (%s)\n", n,
				    vouch_arc_cv_str(cv), reason);
			bad++;
		}
		nclean += st != VOUCH_OK;
		free(got);
	}
	tap_check(n > 0 && n < 100000 && bad == 0,
	    "each of %ld allocations failed in turn: every run ended cleanly "
	    "(%d clean errors, %d wrong results, %d of them a verdict other "
	    "than the plain run's)",
	    n, nclean, bad, nwrong);
	tap_check(nclean > 0, "some failures reached the caller");
	tap_check(nleak == 0, "no run leaked a block: %ld did", nleak);
	free(want);
	vouch_dns_free(dns);
	return tap_done();
#endif
}
