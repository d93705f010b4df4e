/*
 * libFuzzer target: ARC (RFC 8617) set collection and chain validation over
 * any message: many instances, duplicates, i=0, i=51, broken tag lists,
 * missing fields.  Checks:
 *  - arc_collect: every set it files holds fields of the right name, the
 *    highest instance is at most VOUCH_ARC_MAX_INSTANCES + 1, and a chain
 *    with a missing field, a gap or an instance out of range has a reason;
 *  - vouch_arc_verify_mem, against a zone holding one Ed25519 key: the
 *    result is consistent (none exactly when there is no ARC field, a
 *    reason for every fail, oldest-pass only for pass, instances in order);
 *  - the sealer: a message without ARC fields, sealed with that key, then
 *    validates as cv=pass (the sealer and the validator agree).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/arc.h"
#include "vouch/dkim_sign.h"
#include "vouch/dns.h"
#include "arc/internal.h"
#include "mail/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 8032 §7.1 TEST 1: the secret key (dkimpy's seed form) and its public key.
 */
static const char seed[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
static const char zone[] =
    "fuzz._domainkey.example.com. 300 IN TXT "
    "\"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n";

static const char *const kind_name[] = {
    "ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal"};

static void
check_collect(const uint8_t *data, size_t size)
{
	struct mail_header h;
	struct arc_chain *c;
	unsigned i;
	int k, missing = 0;

	memset(&h, 0, sizeof(h));
	if ((c = malloc(sizeof(*c))) == NULL)
		abort();
	if (mail_header_parse(&h, data, size) == VOUCH_OK) {
		arc_collect(&h, c);
		if (c->max > VOUCH_ARC_MAX_INSTANCES + 1)
			abort();
		if (c->nfields > h.nfield)
			abort();
		for (i = 1; i <= VOUCH_ARC_MAX_INSTANCES; i++)
			for (k = 0; k < 3; k++) {
				const struct mail_field *f = c->set[i].f[k];

				if (f == NULL) {
					if (i <= c->max)
						missing = 1;
					continue;
				}
				if (i > c->max || !mail_name_eq(f->name,
				                      f->namelen, kind_name[k]))
					abort();
			}
		if ((missing || c->max > VOUCH_ARC_MAX_INSTANCES) &&
		    c->why == NULL)
			abort();
		if (c->nfields == 0 && (c->max != 0 || c->why != NULL))
			abort();
	}
	mail_header_free(&h);
	free(c);
}

static void
check_result(const struct vouch_arc_result *res)
{
	size_t k;

	if (res->cv == VOUCH_ARC_FAIL && res->reason[0] == '\0')
		abort();
	if (res->cv != VOUCH_ARC_PASS && res->oldest_pass != 0)
		abort();
	if (res->cv == VOUCH_ARC_NONE && res->ninst != 0)
		abort();
	if (res->oldest_pass > res->ninst)
		abort();
	for (k = 0; k < res->ninst; k++) {
		if (res->inst[k].i == 0 ||
		    res->inst[k].i > VOUCH_ARC_MAX_INSTANCES ||
		    (k > 0 && res->inst[k].i <= res->inst[k - 1].i))
			abort();
		if (res->cv == VOUCH_ARC_PASS &&
		    (res->inst[k].i != k + 1 || !res->inst[k].seal_ok))
			abort();
	}
	if (res->cv == VOUCH_ARC_PASS && !res->inst[res->ninst - 1].ams_ok)
		abort();
}

/* Seal a message without ARC fields; the result must validate. */
static void
check_seal(struct vouch_dns *dns, const struct vouch_dkim_key *key,
    const struct vouch_arc_result *chain, const uint8_t *data, size_t size)
{
	struct vouch_arc_seal_req req;
	struct vouch_arc_sealer *s = NULL;
	struct vouch_arc_options opt;
	struct vouch_arc_result *res = NULL;
	char *fields = NULL;
	uint8_t *msg;
	size_t flen = 0;

	memset(&req, 0, sizeof(req));
	req.key = key;
	req.domain = "example.com";
	req.selector = "fuzz";
	req.authserv_id = "mx.example.com";
	req.auth_results = "spf=pass smtp.mailfrom=example.com";
	req.now = 1700000000;
	if (vouch_arc_seal_new(&req, &s) != VOUCH_OK)
		abort();
	if (vouch_arc_seal_update(s, data, size) != VOUCH_OK ||
	    vouch_arc_seal_finish(s, chain, true, &fields, &flen) != VOUCH_OK ||
	    fields == NULL)
		goto out;
	if ((msg = malloc(flen + size)) == NULL)
		abort();
	memcpy(msg, fields, flen);
	memcpy(msg + flen, data, size);
	vouch_arc_options_init(&opt);
	opt.now = 1700000000;
	if (vouch_arc_verify_mem(dns, &opt, msg, flen + size, &res) ==
	        VOUCH_OK &&
	    res->cv != VOUCH_ARC_PASS)
		abort();
	vouch_arc_result_free(res);
	free(msg);
out:
	free(fields);
	vouch_arc_seal_free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vouch_dns *dns;
	static struct vouch_dkim_key *key;
	struct vouch_arc_options opt;
	struct vouch_arc_result *res = NULL;

	if (dns == NULL &&
	    (vouch_dns_zone_new_mem("fuzz", (const uint8_t *)zone,
	         sizeof(zone) - 1, &dns, NULL, 0) != VOUCH_OK ||
	        vouch_dkim_key_load_mem((const uint8_t *)seed, sizeof(seed) - 1,
	            &key, NULL, 0) != VOUCH_OK))
		abort();
	check_collect(data, size);
	vouch_arc_options_init(&opt);
	opt.now = 1700000000;
	if (vouch_arc_verify_mem(dns, &opt, data, size, &res) != VOUCH_OK)
		return 0;
	check_result(res);
	/*
	 * A header the scanner accepts and that has no ARC field: sealing
	 * it must give a chain that validates.
	 */
	if (res->cv == VOUCH_ARC_NONE && res->reason[0] == '\0')
		check_seal(dns, key, res, data, size);
	vouch_arc_result_free(res);
	return 0;
}
