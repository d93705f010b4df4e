/*
 * Allocation-failure test of key loading and signing (the model: curl's
 * torture tests).  Run n makes the n-th allocation fail, for every n until
 * a run completes without meeting its failure; each run must end in a
 * clean error (VOUCH_ENOMEM, VOUCH_ECRYPTO, ...) without a field, or in
 * VOUCH_OK with the very field a run without failures gives (a failed
 * allocation never yields another signature), never a crash.  The failing
 * allocator is alloc_fail.h; sanitizer builds, which own malloc, skip the test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_fail.h"
#include "tap.h"
#include "vouch/dkim_sign.h"

/* RFC 8032 §7.1 TEST 1 secret key, dkimpy's base64 seed format. */
static const char seed[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

static const char msg[] = "From: Joe <joe@football.example.com>\r\n"
                          "To: Suzie <suzie@shopping.example.net>\r\n"
                          "Subject: Is dinner ready?\r\n"
                          "\r\n"
                          "Hi.\r\n\r\nWe lost the game.\r\n";

/* Load the key and sign the message once; the field or NULL. */
static enum vouch_status
run(char **field)
{
	struct vouch_dkim_key *key = NULL;
	struct vouch_dkim_sign_req req[2];
	struct vouch_dkim_sign *s = NULL;
	enum vouch_status st;
	size_t len;

	*field = NULL;
	st = vouch_dkim_key_load_mem(
	    (const uint8_t *)seed, sizeof(seed) - 1, &key, NULL, 0);
	if (st != VOUCH_OK)
		return st;
	memset(req, 0, sizeof(req));
	req[0].key = req[1].key = key;
	req[0].domain = req[1].domain = "football.example.com";
	req[0].selector = req[1].selector = "brisbane";
	req[0].header_relaxed = req[0].body_relaxed = true;
	req[1].auid = "joe@football.example.com";
	if ((st = vouch_dkim_sign_new(req, 2, 1528637909, &s)) == VOUCH_OK &&
	    (st = vouch_dkim_sign_update(s, (const uint8_t *)msg, 40)) ==
	        VOUCH_OK &&
	    (st = vouch_dkim_sign_update(s, (const uint8_t *)msg + 40,
	         sizeof(msg) - 1 - 40)) == VOUCH_OK)
		st = vouch_dkim_sign_finish(s, true, field, &len);
	vouch_dkim_sign_free(s);
	vouch_dkim_key_free(key);
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
	int bad = 0, nclean = 0;

	/* under valgrind, say, malloc is not ours: nothing to test */
	if (!alloc_fail_is_ours()) {
		tap_check(1, "allocation failures # SKIP malloc is replaced");
		return tap_done();
	}
	st = run(&want); /* also warms OpenSSL's caches up */
	tap_check(st == VOUCH_OK && want != NULL,
	    "sign without failures: got %s", vouch_status_str(st));
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
			/* the run passed all its allocations: the same field */
			if (st != VOUCH_OK || got == NULL ||
			    strcmp(got, want) != 0)
				bad++;
		} else if (st != VOUCH_OK) {
			/* a failure is a clean error ... */
			bad += got != NULL;
		} else if (got == NULL || strcmp(got, want) != 0) {
			/* ... or it changed nothing */
			bad++;
		}
		nclean += failed && st != VOUCH_OK;
		free(got);
		if (live != before)
			nleak++;
		if (!failed)
			break;
	}
	tap_check(n > 0 && n < 100000 && bad == 0,
	    "each of %ld allocations failed in turn: every run ended cleanly "
	    "(%d clean errors, %d wrong results)",
	    n, nclean, bad);
	tap_check(nclean > 0, "some failures reached the caller as an error");
	tap_check(nleak == 0, "no run leaked a block: %ld did", nleak);
	free(want);
	return tap_done();
#endif
}
