/*
 * libFuzzer target for the receiver's whole verdict (vouch_verify_*):
 * any bytes as a message, against a fixed in-memory zone.  Properties
 * checked, each a bug when it fails (abort):
 *  - a verdict is always produced (VOUCH_OK unless memory runs out);
 *  - the Authentication-Results field written parses back (RFC 8601 §2.2)
 *    with our authserv-id, an spf, at least one dkim and one dmarc result;
 *  - every forged range found lies in the header and starts with the
 *    field name (RFC 8601 §5);
 *  - the same message fed in two pieces at a point chosen by the input
 *    (the header field by field as a milter feeds it, the body cut in
 *    two) gives the same field.
 * The first input byte chooses the MAIL FROM (null or not) and the cut.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vouch/vouch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone[] =
    "$ORIGIN .\n$TTL 300\n"
    "example.com. TXT \"v=spf1 ip4:192.0.2.0/24 include:_spf.example.net "
    "-all\"\n"
    "_spf.example.net. TXT \"v=spf1 a:mx.example.net ~all\"\n"
    "mx.example.net. A 192.0.2.7\n"
    "_dmarc.example.com. TXT \"v=DMARC1; p=reject; adkim=s\"\n"
    "_dmarc.example.org. TXT \"v=DMARC1; p=quarantine; sp=none; t=y\"\n"
    "ed._domainkey.example.com. TXT \"v=DKIM1; k=ed25519; "
    "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n"
    "$TIMEOUT slow._domainkey.example.com.\n";

#define ID "mx.receiver.example"

static struct vouch_dns *dns;
static struct vouch_verify *v;

static void
setup(void)
{
	struct vouch_verify_options o;

	if (v != NULL)
		return;
	if (vouch_dns_zone_new_mem("fuzz", (const uint8_t *)zone,
	        sizeof(zone) - 1, &dns, NULL, 0) != VOUCH_OK)
		abort();
	vouch_verify_options_init(&o);
	o.authserv_id = ID;
	o.dkim.now = 1796000000;
	if (vouch_verify_new(dns, &o, &v, NULL, 0) != VOUCH_OK)
		abort();
}

/* The end of the header section: after the first empty line, or size. */
static size_t
header_len(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return n;
}

/* The field of the message fed field by field, the body in two. */
static char *
streamed(const struct vouch_verify_smtp *smtp, const uint8_t *p, size_t n,
    size_t cut)
{
	struct vouch_verify_msg *m = NULL;
	struct vouch_verify_result *res = NULL;
	size_t h = header_len(p, n), i, start = 0;
	char *field = NULL;

	if (h < n && (p[0] == '\n' || (n > 1 && p[0] == '\r' && p[1] == '\n')))
		h = p[0] == '\n' ? 1 : 2;
	if (vouch_verify_msg_new(v, smtp, &m) != VOUCH_OK)
		abort();
	/* a piece ends at each line end that a non-blank line follows */
	for (i = 0; i < h; i++)
		if (p[i] == '\n' &&
		    (i + 1 >= h || (p[i + 1] != ' ' && p[i + 1] != '\t'))) {
			if (vouch_verify_msg_header(
			        m, p + start, i + 1 - start) != VOUCH_OK)
				abort();
			start = i + 1;
		}
	if (start < h &&
	    vouch_verify_msg_header(m, p + start, h - start) != VOUCH_OK)
		abort();
	if (cut > n - h)
		cut = n - h;
	if (vouch_verify_msg_body(m, p + h, cut) != VOUCH_OK ||
	    vouch_verify_msg_body(m, p + h + cut, n - h - cut) != VOUCH_OK ||
	    vouch_verify_msg_finish(m, &res) != VOUCH_OK)
		abort();
	field = strdup(res->field);
	vouch_verify_result_free(res);
	vouch_verify_msg_free(m);
	return field;
}

static void
check_field(const struct vouch_verify_result *res)
{
	struct vouch_authres *ar = NULL;
	size_t i, nspf = 0, ndkim = 0, ndmarc = 0;

	if (vouch_authres_parse(
	        (const uint8_t *)res->field, res->field_len, &ar) != VOUCH_OK)
		abort();
	if (ar->authserv_id_len != strlen(ID) ||
	    memcmp(ar->authserv_id, ID, strlen(ID)) != 0)
		abort();
	for (i = 0; i < ar->nresults; i++) {
		nspf += strcmp(ar->results[i].method, "spf") == 0;
		ndkim += strcmp(ar->results[i].method, "dkim") == 0;
		ndmarc += strcmp(ar->results[i].method, "dmarc") == 0;
	}
	if (nspf != 1 || ndkim < 1 || ndmarc != 1)
		abort();
	vouch_authres_result_free(ar);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vouch_verify_smtp smtp;
	struct vouch_verify_result *res = NULL;
	const uint8_t *msg;
	size_t len, i, cut;
	char *again;

	if (size < 1)
		return 0;
	setup();
	memset(&smtp, 0, sizeof(smtp));
	smtp.ip = "192.0.2.7";
	smtp.ip_len = strlen(smtp.ip);
	smtp.helo = "mx.example.net";
	smtp.helo_len = strlen(smtp.helo);
	smtp.mail_from = data[0] & 1 ? "" : "a@example.com";
	smtp.mail_from_len = strlen(smtp.mail_from);
	smtp.now = 1796000000;
	cut = (size_t)(data[0] >> 1) * 37;
	msg = data + 1;
	len = size - 1;

	if (vouch_verify_message(v, &smtp, msg, len, &res) != VOUCH_OK)
		abort();
	check_field(res);
	for (i = 0; i < res->nforged; i++)
		if (res->forged[i].off > len ||
		    res->forged[i].len > len - res->forged[i].off ||
		    res->forged[i].len < 23 ||
		    strncasecmp((const char *)msg + res->forged[i].off,
		        "Authentication-Results:", 23) != 0)
			abort();
	again = streamed(&smtp, msg, len, cut);
	if (again == NULL || strcmp(again, res->field) != 0)
		abort();
	free(again);
	vouch_verify_result_free(res);
	return 0;
}
