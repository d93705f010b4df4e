/*
 * The resolver interface common to every back end: name validation, the
 * query counter, answer construction and release.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct vouch_dns *
dns_new(const struct vouch_dns_ops *ops, void *impl)
{
	struct vouch_dns *dns;

	if ((dns = calloc(1, sizeof(*dns))) == NULL)
		return NULL;
	dns->ops = ops;
	dns->impl = impl;
	return dns;
}

void
dns_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
dns_name_valid(const char *name, size_t len, size_t *stripped)
{
	size_t i, label;

	/* RFC 1035 §2.3.4: the final dot only marks the name absolute. */
	if (len == 1 && name[0] == '.') {
		*stripped = 0;
		return 1;
	}
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > VOUCH_DNS_MAX_NAME)
		return 0;
	label = 0;
	for (i = 0; i < len; i++) {
		if (name[i] != '.') {
			/* RFC 1035 §2.3.4: a label is 63 octets or less. */
			if (++label > VOUCH_DNS_MAX_LABEL)
				return 0;
			continue;
		}
		if (label == 0)
			return 0; /* empty label */
		label = 0;
	}
	if (label == 0)
		return 0;
	*stripped = len;
	return 1;
}

void
dns_builder_init(struct dns_builder *b)
{
	/*
	 * Decoded data is never longer than the records it came from; the
	 * cap only bounds a hostile back end: every record at its maximum.
	 */
	vbuf_init(&b->rr, VOUCH_DNS_MAX_RRS * sizeof(struct vouch_dns_rr));
	vbuf_init(&b->data, 64 * 1024 * 1024);
	b->nrr = 0;
	b->ndata_in = 0;
	b->spilled = 0;
	b->minttl = UINT32_MAX;
}

/*
 * Moves the records kept in the builder itself to its buffers, when one
 * more does not fit there.  Errors are sticky in the buffers.
 */
static void
spill(struct dns_builder *b)
{
	b->spilled = 1;
	(void)vbuf_add(&b->rr, b->rr_in, b->nrr * sizeof(b->rr_in[0]));
	(void)vbuf_add(&b->data, b->data_in, b->ndata_in);
}

void
dns_builder_free(struct dns_builder *b)
{
	vbuf_free(&b->rr);
	vbuf_free(&b->data);
	b->nrr = 0;
	b->ndata_in = 0;
	b->spilled = 0;
}

enum vouch_status
dns_builder_add(struct dns_builder *b, uint16_t type, uint16_t pref,
    uint32_t ttl, const uint8_t *data, size_t len, unsigned nstrings)
{
	struct vouch_dns_rr rr;
	size_t off;
	enum vouch_status st;

	if (b->nrr >= VOUCH_DNS_MAX_RRS)
		return VOUCH_ELIMIT;
	memset(&rr, 0, sizeof(rr));
	rr.type = type;
	rr.pref = pref;
	rr.ttl = ttl;
	rr.len = len;
	rr.nstrings = nstrings;
	/* a usual answer stays in the builder: no allocation until finish */
	if (!b->spilled && b->nrr < DNS_BUILDER_RRS &&
	    len < DNS_BUILDER_DATA - b->ndata_in) {
		rr.data = (const uint8_t *)(uintptr_t)b->ndata_in;
		if (len > 0)
			memcpy(b->data_in + b->ndata_in, data, len);
		b->data_in[b->ndata_in + len] = '\0';
		b->ndata_in += len + 1;
		b->rr_in[b->nrr] = rr;
		goto added;
	}
	if (!b->spilled)
		spill(b);
	off = b->data.len;
	rr.data = (const uint8_t *)(uintptr_t)off;
	(void)vbuf_add(&b->data, data, len);
	(void)vbuf_addc(&b->data, '\0');
	if ((st = vbuf_add(&b->rr, &rr, sizeof(rr))) != VOUCH_OK ||
	    (st = b->data.err) != VOUCH_OK)
		return st;
added:
	b->nrr++;
	if (ttl < b->minttl)
		b->minttl = ttl;
	return VOUCH_OK;
}

enum vouch_status
dns_builder_finish(struct dns_builder *b, enum vouch_dns_rcode rcode,
    const char *reason, uint32_t ttl, struct vouch_dns_answer **out)
{
	struct vouch_dns_answer *ans;
	struct vouch_dns_rr *rr;
	const struct vouch_dns_rr *rrs =
	    b->spilled ? (void *)b->rr.p : b->rr_in;
	const uint8_t *src = b->spilled ? b->data.p : b->data_in;
	uint8_t *data;
	size_t i, rroff, dataoff, total;
	size_t datalen = b->spilled ? b->data.len : b->ndata_in;
	enum vouch_status st = VOUCH_OK;

	*out = NULL;
	if (b->rr.err == VOUCH_ENOMEM || b->data.err == VOUCH_ENOMEM) {
		st = VOUCH_ENOMEM;
		goto out;
	}
	/* One block: the answer, the records, then their data. */
	rroff = (sizeof(*ans) + _Alignof(struct vouch_dns_rr) - 1) &
	        ~(_Alignof(struct vouch_dns_rr) - 1);
	dataoff = rroff + b->nrr * sizeof(struct vouch_dns_rr);
	total = dataoff + datalen + 1;
	if ((ans = malloc(total)) == NULL) {
		st = VOUCH_ENOMEM;
		goto out;
	}
	rr = (struct vouch_dns_rr *)((uint8_t *)ans + rroff);
	data = (uint8_t *)ans + dataoff;
	if (datalen > 0)
		memcpy(data, src, datalen);
	data[datalen] = '\0';
	if (b->nrr > 0)
		memcpy(rr, rrs, b->nrr * sizeof(*rr));
	for (i = 0; i < b->nrr; i++)
		rr[i].data = data + (uintptr_t)rr[i].data;
	ans->rcode = rcode;
	ans->reason = reason;
	ans->ttl = b->nrr > 0 ? b->minttl : ttl;
	ans->nrr = b->nrr;
	ans->rr = b->nrr > 0 ? rr : NULL;
	*out = ans;
out:
	dns_builder_free(b);
	b->minttl = UINT32_MAX;
	return st;
}

enum vouch_status
dns_answer_empty(enum vouch_dns_rcode rcode, const char *reason, uint32_t ttl,
    struct vouch_dns_answer **out)
{
	struct vouch_dns_answer *ans;

	*out = NULL;
	if ((ans = calloc(1, sizeof(*ans))) == NULL)
		return VOUCH_ENOMEM;
	ans->rcode = rcode;
	ans->reason = reason;
	ans->ttl = ttl;
	*out = ans;
	return VOUCH_OK;
}

enum vouch_status
dns_answer_dup(const struct vouch_dns_answer *a, uint32_t ttl_left,
    struct vouch_dns_answer **out)
{
	struct dns_builder b;
	const struct vouch_dns_rr *rr;
	size_t i;

	dns_builder_init(&b);
	for (i = 0; i < a->nrr; i++) {
		rr = &a->rr[i];
		/* a cached answer kept at most VOUCH_DNS_MAX_RRS records */
		(void)dns_builder_add(&b, rr->type, rr->pref,
		    rr->ttl < ttl_left ? rr->ttl : ttl_left, rr->data, rr->len,
		    rr->nstrings);
	}
	return dns_builder_finish(&b, a->rcode, a->reason,
	    a->ttl < ttl_left ? a->ttl : ttl_left, out);
}

enum vouch_status
vouch_dns_query(struct vouch_dns *dns, const char *name, size_t namelen,
    uint16_t type, struct vouch_dns_answer **out)
{
	size_t len;

	*out = NULL;
	__atomic_fetch_add(&dns->nqueries, 1, __ATOMIC_RELAXED);
	if (name == NULL || !dns_name_valid(name, namelen, &len))
		return dns_answer_empty(
		    VOUCH_DNS_PERMFAIL, "invalid name", 0, out);
	return dns->ops->query(dns, name, len, type, out);
}

void
vouch_dns_answer_free(struct vouch_dns_answer *ans)
{
	free(ans);
}

unsigned long
vouch_dns_nqueries(const struct vouch_dns *dns)
{
	return __atomic_load_n(&dns->nqueries, __ATOMIC_RELAXED);
}

void
vouch_dns_free(struct vouch_dns *dns)
{
	if (dns == NULL)
		return;
	if (dns->ops->free != NULL)
		dns->ops->free(dns);
	free(dns);
}

const char *
vouch_dns_rcode_str(enum vouch_dns_rcode rc)
{
	switch (rc) {
	case VOUCH_DNS_ANSWER:
		return "answer";
	case VOUCH_DNS_NODATA:
		return "nodata";
	case VOUCH_DNS_NXDOMAIN:
		return "nxdomain";
	case VOUCH_DNS_TEMPFAIL:
		return "tempfail";
	case VOUCH_DNS_PERMFAIL:
		return "permfail";
	}
	return "unknown";
}
