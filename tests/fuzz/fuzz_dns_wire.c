/*
 * libFuzzer target: rdata decoding from the wire (src/lib/dns/wire.c), the
 * part of the libunbound back end that reads what a server sent.
 * Input: one byte choosing the type, two bytes giving where the rdata
 * starts in the rest (the message), then the message; the rdata runs to
 * the end of the message.
 */
#include <stddef.h>
#include <stdint.h>

#include "dns/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t types[] = {VOUCH_DNS_A, VOUCH_DNS_NS, VOUCH_DNS_CNAME,
    VOUCH_DNS_PTR, VOUCH_DNS_MX, VOUCH_DNS_TXT, VOUCH_DNS_AAAA, VOUCH_DNS_SPF};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_builder b;
	struct vouch_dns_answer *ans;
	const uint8_t *pkt;
	size_t pktlen, off, i, sum = 0;
	uint16_t type;

	if (size < 3)
		return 0;
	type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
	pkt = data + 3;
	pktlen = size - 3;
	off = ((size_t)data[1] << 8 | data[2]);
	if (off > pktlen)
		off = pktlen;
	dns_builder_init(&b);
	(void)dns_rdata_add(&b, type, 60, pkt + off, pktlen - off, pkt, pktlen);
	if (dns_builder_finish(&b, VOUCH_DNS_ANSWER, NULL, 0, &ans) != VOUCH_OK)
		return 0;
	for (i = 0; i < ans->nrr; i++)
		sum += ans->rr[i].data[ans->rr[i].len] + ans->rr[i].len;
	(void)sum;
	vouch_dns_answer_free(ans);
	return 0;
}
