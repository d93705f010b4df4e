/*
 * bench/verify: vouch's full verdict, vouch_verify_message() (SPF, DKIM,
 * DMARC and the Authentication-Results field) on the 20 KiB messages of
 * gen.py, through the public API only.  Rows:
 *   vouch          RFC 9989 DMARC, default caches (DNS answers and SPF
 *                  results)
 *   vouch-dnscache the same with the SPF cache of DNS answers only, as
 *                  libspf2 has
 *   vouch-rfc7489  RFC 7489 DMARC with the Public Suffix List, as
 *                  OpenDMARC does it
 * The resolver is the zone-file back end: every answer from memory.
 *
 *   vouch_verify_bench DATADIR SECONDS [20k ALG ROW]
 *
 * measures every row, or (with the selector of bench.c's bench_want) the
 * one row ROW (vouch, vouch-dnscache, vouch-rfc7489) for ALG (rsa, ed):
 * run.sh runs each row in a process of its own, right beside the legacy
 * row it is divided by.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/vouch.h"

#include "../bench.h"
#include "verify_bench.h"

struct job {
	struct vouch_verify *v;
	struct vouch_verify_smtp smtp;
	const uint8_t *raw;
	size_t len;
};

static int
verify_one(void *arg)
{
	struct job *j = arg;
	struct vouch_verify_result *res = NULL;
	int rc = -1;

	if (vouch_verify_message(j->v, &j->smtp, j->raw, j->len, &res) ==
	        VOUCH_OK &&
	    res->spf.verdict == VOUCH_SPF_PASS &&
	    res->dkim->result == VOUCH_DKIM_PASS &&
	    res->dmarc.result == VOUCH_DMARC_PASS && res->field_len > 0)
		rc = 0;
	vouch_verify_result_free(res);
	return rc;
}

/* DATADIR/zone (the DKIM keys) and the records of verify_bench.h. */
static struct vouch_dns *
load_zone(const char *dir)
{
	static const char extra[] =
	    "\n$ORIGIN .\n"
	    "" VB_SPF_OWNER ". TXT \"" VB_SPF_RECORD "\"\n"
	    "" VB_SPF2_OWNER ". TXT \"" VB_SPF2_RECORD "\"\n"
	    "" VB_DMARC_OWNER ". TXT \"" VB_DMARC_RECORD "\"\n";
	struct vouch_dns *dns = NULL;
	size_t len;
	uint8_t *keys = bench_slurp(dir, "zone", &len), *all;
	char why[256] = "";

	if ((all = malloc(len + sizeof(extra))) == NULL)
		err(1, "malloc");
	memcpy(all, keys, len);
	memcpy(all + len, extra, sizeof(extra));
	if (vouch_dns_zone_new_mem("bench", all, len + sizeof(extra) - 1, &dns,
	        why, sizeof(why)) != VOUCH_OK)
		errx(1, "zone: %s", why);
	free(all);
	free(keys);
	return dns;
}

int
main(int argc, char *argv[])
{
	static const struct {
		const char *impl;
		int rfc7489;
		unsigned spf_cache;
	} rows[] = {
	    {"vouch", 0, VOUCH_SPF_CACHE_DNS | VOUCH_SPF_CACHE_RESULTS},
	    {"vouch-dnscache", 0, VOUCH_SPF_CACHE_DNS},
	    {"vouch-rfc7489", 1, VOUCH_SPF_CACHE_DNS},
	};
	struct vouch_verify_options o;
	struct vouch_dns *dns;
	struct job j;
	const char *dir;
	double secs;
	size_t r, a;
	char name[64], err[256];
	uint8_t *raw;

	bench_args(argc, argv, "vouch_verify_bench", &dir, &secs);
	dns = load_zone(dir);
	for (a = 0; a < 2; a++) {
		snprintf(name, sizeof(name), "msg-20k-%s.eml", bench_algs[a]);
		raw = bench_slurp(dir, name, &j.len);
		for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
			if (!bench_want("20k", bench_algs[a], rows[r].impl))
				continue;
			vouch_verify_options_init(&o);
			o.authserv_id = VB_AUTHSERV_ID;
			o.spf_cache = rows[r].spf_cache;
			if (rows[r].rfc7489) {
				o.dmarc.mode = VOUCH_DMARC_MODE_RFC7489;
				o.dmarc.psl_file = VB_PSL;
			}
			if (vouch_verify_new(dns, &o, &j.v, err, sizeof(err)) !=
			    VOUCH_OK)
				errx(1, "vouch_verify_new: %s", err);
			memset(&j.smtp, 0, sizeof(j.smtp));
			j.smtp.ip = VB_CLIENT;
			j.smtp.ip_len = strlen(VB_CLIENT);
			j.smtp.helo = VB_HELO;
			j.smtp.helo_len = strlen(VB_HELO);
			j.smtp.mail_from = VB_MAIL_FROM;
			j.smtp.mail_from_len = strlen(VB_MAIL_FROM);
			j.raw = raw;
			printf("%s 20k %s verify %.1f\n", rows[r].impl,
			    bench_algs[a],
			    bench_rate(verify_one, &j, secs, name));
			fflush(stdout);
			vouch_verify_free(j.v);
		}
		free(raw);
	}
	vouch_dns_free(dns);
	return 0;
}
