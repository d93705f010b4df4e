/*
 * libFuzzer target: the SPF record parser (src/lib/spf/record.c), RFC 7208
 * §4.5-§6, and check_host() over it (src/lib/spf/check.c).
 *
 * The input is records separated by '\n'.  The first is parsed as it is
 * and with "v=spf1 " put before it.  Then a whole evaluation runs against
 * a synthetic resolver that answers every TXT question with one of the
 * input's records (picked by a hash of the name), and A, AAAA, MX and PTR
 * questions with data or NXDOMAIN, NODATA or a timeout, also picked by the
 * hash: hostile records and hostile DNS together.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/internal.h"
#include "spf/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
parse(const uint8_t *p, size_t len)
{
	struct spf_record rec;
	const char *why = NULL;
	size_t where = 0, i;
	enum vouch_status st;

	memset(&rec, 0, sizeof(rec));
	st = spf_record_parse(&rec, p, len, &why, &where);
	if (st == VOUCH_OK) {
		/* Every term points inside the input. */
		for (i = 0; i < rec.nterms; i++) {
			const struct spf_term *t = &rec.terms[i];

			if (t->text < p || t->text + t->len > p + len)
				abort();
			if (t->domain != NULL &&
			    (t->domain < p ||
			        t->domain + t->domain_len > p + len ||
			        spf_domain_spec_check(
			            t->domain, t->domain_len) != VOUCH_OK))
				abort();
			if (t->cidr4 > 32 || t->cidr6 > 128)
				abort();
		}
	} else if (st == VOUCH_ESYNTAX && (why == NULL || where > len))
		abort();
	spf_record_free(&rec);
}

/* The records of the current input, for the synthetic resolver. */
static const uint8_t *fz_data;
static size_t fz_size;

static uint32_t
name_hash(const char *name, size_t len, uint16_t type)
{
	uint32_t h = 2166136261u ^ type;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (uint8_t)(name[i] | 0x20)) * 16777619u;
	return h;
}

/* The n-th '\n'-separated record of the input (n taken modulo count). */
static void
nth_record(uint32_t n, const uint8_t **p, size_t *len)
{
	size_t count = 1, i, start = 0, k = 0;

	for (i = 0; i < fz_size; i++)
		if (fz_data[i] == '\n')
			count++;
	n %= (uint32_t)count;
	for (i = 0; i <= fz_size; i++)
		if (i == fz_size || fz_data[i] == '\n') {
			if (k++ == n) {
				*p = fz_data + start;
				*len = i - start;
				return;
			}
			start = i + 1;
		}
	*p = fz_data;
	*len = 0;
}

static enum vouch_status
fz_query(struct vouch_dns *dns, const char *name, size_t namelen, uint16_t type,
    struct vouch_dns_answer **out)
{
	static const char *const hosts[] = {"example.com", "mx.example.com",
	    "a.example.org", "mail.example.net", ""};
	struct dns_builder b;
	uint32_t h = name_hash(name, namelen, type);
	const uint8_t *rec;
	uint8_t addr[16];
	size_t len, i;
	int first;

	(void)dns;
	first = type == VOUCH_DNS_TXT && namelen == 11 &&
	        memcmp(name, "example.com", 11) == 0;
	switch (first ? 3 : h % 11) {
	case 0:
		return dns_answer_empty(VOUCH_DNS_NXDOMAIN, NULL, 60, out);
	case 1:
		return dns_answer_empty(VOUCH_DNS_NODATA, NULL, 60, out);
	case 2:
		return dns_answer_empty(VOUCH_DNS_TEMPFAIL, "timeout", 0, out);
	default:
		break;
	}
	dns_builder_init(&b);
	switch (type) {
	case VOUCH_DNS_TXT:
		if (first)
			nth_record(0, &rec, &len);
		else
			nth_record(h >> 8, &rec, &len);
		(void)dns_builder_add(&b, type, 0, 300, rec, len, 1);
		if (h & 0x10000) /* a second TXT record, maybe v=spf1 too */
			nth_record(h >> 17, &rec, &len),
			    (void)dns_builder_add(
			        &b, type, 0, 300, rec, len, 1);
		break;
	case VOUCH_DNS_A:
	case VOUCH_DNS_AAAA:
		for (i = 0; i < (h >> 4) % 4; i++) {
			memset(addr, 0, sizeof(addr));
			addr[0] = 192, addr[2] = 2,
			addr[3] = (uint8_t)(h >> (i * 3));
			if (type == VOUCH_DNS_AAAA)
				addr[0] = 0x20, addr[1] = 0x01, addr[2] = 0x0d,
				addr[3] = 0xb8, addr[15] = (uint8_t)(h >> i);
			(void)dns_builder_add(&b, type, 0, 300, addr,
			    type == VOUCH_DNS_A ? 4 : 16, 0);
		}
		break;
	case VOUCH_DNS_MX:
	case VOUCH_DNS_PTR:
		/* Up to 14 names: over the limit of 10 sometimes. */
		for (i = 0; i < (h >> 4) % 15; i++) {
			const char *t = hosts[(h >> i) % 5];

			(void)dns_builder_add(&b, type, (uint16_t)i, 300,
			    (const uint8_t *)t, strlen(t), 0);
		}
		break;
	default:
		break;
	}
	return dns_builder_finish(&b, VOUCH_DNS_ANSWER, NULL, 300, out);
}

static void
fz_free(struct vouch_dns *dns)
{
	(void)dns;
}

static const struct vouch_dns_ops fz_ops = {fz_query, fz_free};

static void
evaluate(const uint8_t *data, size_t size)
{
	static struct vouch_dns *dns;
	static struct vouch_spf *spf;
	static const char *const ips[] = {
	    "192.0.2.7", "2001:db8::1", "::ffff:192.0.2.3"};
	struct vouch_spf_request req;
	struct vouch_spf_result res;
	char field[4096];

	if (dns == NULL) {
		dns = dns_new(&fz_ops, NULL);
		if (dns == NULL || vouch_spf_new(dns, &spf) != VOUCH_OK)
			abort();
		/* Every input must be evaluated afresh. */
		vouch_spf_set_cache(spf, 0);
	}
	fz_data = data;
	fz_size = size;
	memset(&req, 0, sizeof(req));
	req.ip = ips[size % 3];
	req.ip_len = strlen(req.ip);
	req.mail_from = "strong-bad@example.com";
	req.mail_from_len = 22;
	req.helo = "mail.example.net";
	req.helo_len = 16;
	req.now = 1;
	if (vouch_spf_check(spf, &req, &res) != VOUCH_OK)
		abort();
	if (res.dns_lookups > VOUCH_SPF_MAX_DNS_TERMS + 1 ||
	    res.void_lookups > VOUCH_SPF_MAX_VOID_LOOKUPS + 1)
		abort(); /* RFC 7208 §4.6.4: evaluation stops at the limit */
	if (vouch_spf_received(&req, &res, field, sizeof(field), NULL) !=
	        VOUCH_OK ||
	    strchr(field, '\n') != NULL || strchr(field, '\r') != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl;
	uint8_t *buf;
	size_t first;

	if (size > 70000)
		return 0;
	nl = memchr(data, '\n', size);
	first = nl != NULL ? (size_t)(nl - data) : size;
	parse(data, first);
	if ((buf = malloc(first + 7)) == NULL)
		return 0;
	memcpy(buf, "v=spf1 ", 7);
	if (first > 0)
		memcpy(buf + 7, data, first);
	parse(buf, first + 7);
	free(buf);
	evaluate(data, size);
	return 0;
}
