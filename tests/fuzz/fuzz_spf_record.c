/*
 * libFuzzer target: the SPF record parser (src/lib/spf/record.c), RFC 7208
 * §4.5-§6.  Any bytes; those not starting with v=spf1 are also tried with
 * it prefixed, so the fuzzer reaches the term grammar at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;

	parse(data, size);
	if (size > 70000 || (buf = malloc(size + 7)) == NULL)
		return 0;
	memcpy(buf, "v=spf1 ", 7);
	if (size > 0)
		memcpy(buf + 7, data, size);
	parse(buf, size + 7);
	free(buf);
	return 0;
}
