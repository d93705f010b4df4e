/*
 * libFuzzer target: the whole DKIM verifier (RFC 6376 §6.1) on a message,
 * with a fixed in-memory zone holding an Ed25519 key, an RSA key, a
 * revoked key and a name that times out.  The first input byte chooses
 * the options (legacy, rfc_l, max_age) and how the body is cut into chunks,
 * so chunking and every verdict path are reached.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/dkim.h"
#include "vouch/dns.h"
#include "mail/header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone[] =
    "$ORIGIN .\n"
    "ed._domainkey.example.com. 300 IN TXT \"v=DKIM1; k=ed25519; "
    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n"
    "rsa._domainkey.example.com. 300 IN TXT \"v=DKIM1; k=rsa; "
    "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a"
    "5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1"
    "Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QI"
    "DAQAB\"\n"
    "gone._domainkey.example.com. 300 IN TXT \"v=DKIM1; p=\"\n"
    "$TIMEOUT slow._domainkey.example.com.\n";

static struct vouch_dns *dns;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vouch_dkim_options o;
	struct vouch_dkim_verifier *v = NULL;
	struct vouch_dkim_result *res = NULL;
	char err[256];
	size_t hlen, off, step, k;
	uint8_t mode;

	if (dns == NULL &&
	    vouch_dns_zone_new_mem("fuzz", (const uint8_t *)zone,
	        sizeof(zone) - 1, &dns, err, sizeof(err)) != VOUCH_OK)
		abort();
	if (size == 0)
		return 0;
	mode = data[0];
	data++;
	size--;
	vouch_dkim_options_init(&o);
	o.now = 1700000000;
	o.legacy = mode & 1;
	o.rfc_l = (mode >> 1) & 1;
	o.max_age = (mode & 4) ? 86400 : 0;
	/* The header: up to the first empty line, as the reader would. */
	if ((hlen = mail_header_end(data, size)) == 0)
		hlen = size;
	if (vouch_dkim_verify_new(dns, &o, &v) != VOUCH_OK)
		abort();
	if (vouch_dkim_verify_header(v, data, hlen) == VOUCH_OK) {
		step = 1 + (mode >> 3);
		for (off = hlen; off < size; off += step)
			if (vouch_dkim_verify_body(v, data + off,
			        size - off < step ? size - off : step) !=
			    VOUCH_OK)
				abort();
		if (vouch_dkim_verify_finish(v, &res) != VOUCH_OK)
			abort();
		if (res->result > VOUCH_DKIM_PERMERROR)
			abort();
		for (k = 0; k < res->nsig; k++)
			if (res->sig[k].result > VOUCH_DKIM_PERMERROR ||
			    strlen(res->sig[k].reason) >=
			        sizeof(res->sig[k].reason))
				abort();
		vouch_dkim_result_free(res);
	}
	vouch_dkim_verify_free(v);
	return 0;
}
