/*
 * Allocation-failure test of ARC sealing and validation (the model: curl's
 * torture tests).  Run n makes the n-th allocation fail, for every n until
 * a run completes without meeting its failure: an ARC Set is made for a
 * message (Ed25519, deterministic) and the sealed message validated.  Each
 * run must end in VOUCH_OK or a clean error, never a crash or a leak; a
 * run that met a failure may validate as "fail" (RFC 8617 §5.2.1: every
 * error is a fail), never as "pass" with other fields; a completed run
 * must give the fields of a run without failures and cv=pass.  The
 * wrappers are those of test_sign_alloc.c; sanitizer builds skip.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#if defined(__SANITIZE_ADDRESS__)
#define NO_WRAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define NO_WRAP 1
#endif
#endif

#ifndef NO_WRAP
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

/* -1: no failure planned; otherwise allocations left before one fails */
static long countdown = -1;
static int failed;
/* blocks allocated and not yet freed: a run that returns leaks none */
static long live;

static int
fail_now(void)
{
	if (countdown < 0)
		return 0;
	if (countdown-- == 0) {
		failed = 1;
		return 1;
	}
	return 0;
}

void *
malloc(size_t n)
{
	void *p = fail_now() ? NULL : __libc_malloc(n);

	live += p != NULL;
	return p;
}

void *
calloc(size_t n, size_t size)
{
	void *p = fail_now() ? NULL : __libc_calloc(n, size);

	live += p != NULL;
	return p;
}

void *
realloc(void *p, size_t n)
{
	void *q;

	if (fail_now())
		return NULL;
	q = __libc_realloc(p, n);
	live += (p == NULL && q != NULL) - (p != NULL && n == 0);
	return q;
}

void
free(void *p)
{
	live -= p != NULL;
	__libc_free(p);
}
#endif

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
	if (st == VOUCH_OK)
		*cv = res->cv;
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
	int bad = 0, nclean = 0;
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
		/* a pass must be the real one */
		if (st == VOUCH_OK && cv == VOUCH_ARC_PASS &&
		    (got == NULL || strcmp(got, want) != 0))
			bad++;
		nclean += st != VOUCH_OK || cv == VOUCH_ARC_FAIL;
		free(got);
	}
	tap_check(n > 0 && n < 100000 && bad == 0,
	    "each of %ld allocations failed in turn: every run ended cleanly "
	    "(%d clean errors or fails, %d wrong results)",
	    n, nclean, bad);
	tap_check(nclean > 0, "some failures reached the caller");
	tap_check(nleak == 0, "no run leaked a block: %ld did", nleak);
	free(want);
	vouch_dns_free(dns);
	return tap_done();
#endif
}
