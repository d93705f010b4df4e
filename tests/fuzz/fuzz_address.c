/*
 * libFuzzer target: the From: address parser (src/lib/mail/address.c) and
 * the header scanner beside it, then the whole DMARC evaluation of the
 * field against a small fixed zone (tree walk, alignment, normalization of
 * any domain the parser lets through).
 */
#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "vouch/dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone[] =
    "$ORIGIN .\n$TTL 300\n"
    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; "
    "rua=mailto:r@example.com,mailto:x@reports.example.net; np=reject\"\n"
    "example.com. A 192.0.2.1\n"
    "_dmarc.example.org. TXT \"v=DMARC1; p=none; psd=y\"\n"
    "_dmarc.com. TXT \"v=DMARC1; p=none; psd=y\"\n"
    "$TIMEOUT _dmarc.slow.example.com.\n";

static struct vouch_dns *dns;
static struct vouch_dmarc *dmarc;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mail_mailbox_list list;
	struct mail_field_span spans[4];
	struct vouch_dmarc_ident k = {VOUCH_DMARC_AUTH_PASS, "example.com", 11};
	struct vouch_dmarc_facts facts = {.spf = &k, .dkim = &k, .ndkim = 1};
	struct vouch_dmarc_result res;
	const char *why;
	size_t i, ns, nf;

	if (dns == NULL &&
	    (vouch_dns_zone_new_mem("fuzz", (const uint8_t *)zone,
	         sizeof(zone) - 1, &dns, NULL, 0) != VOUCH_OK ||
	        vouch_dmarc_new(NULL, &dmarc, NULL, 0) != VOUCH_OK))
		abort();
	if (mail_mailbox_list_parse(data, size, &list, &why) == VOUCH_OK) {
		if (list.n > VOUCH_FROM_MAX_MAILBOXES)
			abort();
		for (i = 0; i < list.n; i++)
			if (list.mb[i].domainlen > VOUCH_ADDR_MAX_DOMAIN ||
			    list.mb[i].locallen > VOUCH_ADDR_MAX_LOCAL ||
			    (list.mb[i].local_toolong &&
			        list.mb[i].locallen != 0))
				abort();
	} else if (why == NULL)
		abort();
	if (mail_find_fields(data, size, "From", 4, spans, 4, &ns, &nf) ==
	    VOUCH_OK) {
		for (i = 0; i < ns; i++)
			if (spans[i].p < data ||
			    spans[i].p + spans[i].len > data + size)
				abort();
	}
	if (vouch_dmarc_evaluate_message(
	        dmarc, dns, data, size, &facts, &res) == VOUCH_OK)
		vouch_dmarc_result_free(&res);
	return 0;
}
