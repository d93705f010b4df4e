/*
 * Allocation-failure test of the whole verdict (the model: curl's torture
 * tests): handle, SPF, DKIM of a signed message, DMARC, forged fields and
 * the Authentication-Results field.  Run n makes the n-th allocation fail,
 * for every n until a run completes without meeting its failure; each run
 * must end in a clean error or in VOUCH_OK with exactly the field of a run
 * without failures, never a crash, a leak or another verdict: an
 * allocation that failed inside OpenSSL is "could not check", never
 * dkim=fail (STYLE.md: the call's status is not the verdict).  The
 * failing allocator is alloc_fail.h's, counting only the blocks vouch
 * allocates: OpenSSL keeps caches across
 * calls, also after a failure inside it.  Sanitizer builds, which own
 * malloc, skip the test.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* count only the blocks vouch allocates (OpenSSL keeps caches) */
#define ALLOC_FAIL_OWN_BLOCKS
#include "alloc_fail.h"
#include "tap.h"
#include "vouch/vouch.h"

/* RFC 8032 §7.1 TEST 1 secret key, dkimpy's base64 seed format. */
static const char seed[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

static const char zone_head[] =
    "$ORIGIN .\n$TTL 300\n"
    "example.com. TXT \"v=spf1 include:_spf.example.net -all\"\n"
    "_spf.example.net. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; "
    "rua=mailto:d@example.com\"\n";

static const char msg[] =
    "Authentication-Results: mx.receiver.example; dkim=pass\r\n"
    "From: Joe <joe@example.com>\r\n"
    "To: Suzie <suzie@example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "\r\n"
    "Hi.\r\n\r\nWe lost the game.\r\n";

static struct vouch_dns *dns;
static uint8_t *signed_msg;
static size_t signed_len;

/* The zone (with the key) and the signed message, made once. */
static int
setup(void)
{
	struct vouch_dkim_key *key = NULL;
	struct vouch_dkim_sign_req req;
	struct vouch_dkim_sign *s = NULL;
	char *rec = NULL, *zone = NULL, *sig = NULL;
	size_t reclen, siglen, zl;
	int rc = -1;

	if (vouch_dkim_key_load_mem((const uint8_t *)seed, sizeof(seed) - 1,
	        &key, NULL, 0) != VOUCH_OK ||
	    vouch_dkim_key_record(key, "example.com", "ed", &rec, &reclen) !=
	        VOUCH_OK)
		goto out;
	zl = strlen(zone_head) + reclen;
	if ((zone = malloc(zl + 1)) == NULL)
		goto out;
	memcpy(zone, zone_head, strlen(zone_head));
	memcpy(zone + strlen(zone_head), rec, reclen + 1);
	if (vouch_dns_zone_new_mem(
	        "t", (const uint8_t *)zone, zl, &dns, NULL, 0) != VOUCH_OK)
		goto out;
	memset(&req, 0, sizeof(req));
	req.key = key;
	req.domain = "example.com";
	req.selector = "ed";
	if (vouch_dkim_sign_new(&req, 1, 1796000000, &s) != VOUCH_OK ||
	    vouch_dkim_sign_update(s, (const uint8_t *)msg, sizeof(msg) - 1) !=
	        VOUCH_OK ||
	    vouch_dkim_sign_finish(s, true, &sig, &siglen) != VOUCH_OK)
		goto out;
	signed_len = siglen + sizeof(msg) - 1;
	if ((signed_msg = malloc(signed_len)) == NULL)
		goto out;
	memcpy(signed_msg, sig, siglen);
	memcpy(signed_msg + siglen, msg, sizeof(msg) - 1);
	rc = 0;
out:
	vouch_dkim_sign_free(s);
	vouch_dkim_key_free(key);
	free(rec);
	free(zone);
	free(sig);
	return rc;
}

/* One whole verdict; the field (the caller's) or NULL. */
static enum vouch_status
run(char **field)
{
	struct vouch_verify_options o;
	struct vouch_verify *v = NULL;
	struct vouch_verify_result *res = NULL;
	struct vouch_verify_smtp smtp;
	enum vouch_status st;

	*field = NULL;
	vouch_verify_options_init(&o);
	o.authserv_id = "mx.receiver.example";
	o.dkim.now = 1796000100;
	if ((st = vouch_verify_new(dns, &o, &v, NULL, 0)) != VOUCH_OK)
		return st;
	memset(&smtp, 0, sizeof(smtp));
	smtp.ip = "192.0.2.1";
	smtp.ip_len = 9;
	smtp.helo = "mx.example.com";
	smtp.helo_len = 14;
	smtp.mail_from = "joe@example.com";
	smtp.mail_from_len = 15;
	st = vouch_verify_message(v, &smtp, signed_msg, signed_len, &res);
	if (st == VOUCH_OK) {
		*field = res->field;
		res->field = NULL;
		if (res->nforged != 1)
			st = VOUCH_EINVAL; /* the forged field went unseen */
	}
	vouch_verify_result_free(res);
	vouch_verify_free(v);
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
	enum vouch_status st;
	long n, before, nleak = 0;
	int bad = 0, nclean = 0, nwrong = 0;
	void *probe;
	/* called through a volatile pointer: the compiler may not drop it */
	void *(*volatile probe_malloc)(size_t) = malloc;

	/* under valgrind, say, malloc is not ours: nothing to test */
	if (!alloc_fail_is_ours()) {
		tap_check(1, "allocation failures # SKIP malloc is replaced");
		return tap_done();
	}
	before = live;
	probe = probe_malloc(16);
	n = live - before;
	free(probe);
	tap_check(n == 1 && live == before,
	    "the wrapper counts a block of this executable: got %ld", n);
	if (setup() != 0) {
		tap_check(0, "zone and signed message for the test");
		return tap_done();
	}
	st = run(&want); /* also warms the key cache and OpenSSL up */
	tap_check(st == VOUCH_OK && want != NULL && strstr(want, "dkim=pass") &&
	              strstr(want, "spf=pass") && strstr(want, "dmarc=pass"),
	    "verify without failures: got %s, %s", vouch_status_str(st),
	    want ? want : "");
	if (want == NULL)
		return tap_done();
	/* each step fails one allocation more; 100000 bounds the loop */
	for (n = 0; n < 100000; n++) {
		failed = 0;
		before = live;
		countdown = n;
		st = run(&got);
		countdown = -1;
		if (!failed) {
			/* the run passed all its allocations: done */
			if (st != VOUCH_OK || got == NULL ||
			    strcmp(got, want) != 0)
				bad++;
			free(got);
			if (live != before)
				nleak++;
			break;
		}
		if (st != VOUCH_OK && got != NULL)
			bad++;
		/* not an error: then the verdict of a run without failures */
		if (st == VOUCH_OK && (got == NULL || strcmp(got, want) != 0)) {
			if (nwrong++ == 0)
				printf("# run %ld: got %s, want %s\n", n,
				    got ? got : "(none)", want);
			bad++;
		}
		free(got);
		if (live != before)
			nleak++;
		nclean += st != VOUCH_OK;
	}
	tap_check(n > 0 && n < 100000 && bad == 0,
	    "each of %ld allocations failed in turn: every run ended cleanly "
	    "(%d clean errors, %d wrong results, %d of them a verdict "
	    "other than the plain run's)",
	    n, nclean, bad, nwrong);
	tap_check(nclean > 0, "some failures reached the caller as an error");
	tap_check(nleak == 0, "no run leaked a block: %ld did", nleak);
	free(want);
	free(signed_msg);
	vouch_dns_free(dns);
	return tap_done();
#endif
}
