/*
 * libFuzzer target for the Authentication-Results parser (RFC 8601 §2.2)
 * and the header scanner of the forgery protection (§5).  Whatever parses
 * is walked, so a dangling pointer shows under ASan; a field that parses is
 * written again with the builder and must parse again.
 */
#include <stdlib.h>
#include <string.h>

#include "vouch/authres.h"
#include "vouch/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
walk(const struct vouch_authres *ar)
{
	size_t i, j, sum = ar->authserv_id_len;

	for (i = 0; i < ar->nresults; i++) {
		const struct vouch_authres_result *r = &ar->results[i];

		sum += strlen(r->method) + strlen(r->result) + r->reason_len;
		if (r->method_version != NULL)
			sum += strlen(r->method_version);
		for (j = 0; j < r->nprops; j++)
			sum += strlen(r->props[j].ptype) +
			       strlen(r->props[j].property) +
			       r->props[j].value_len;
	}
	return sum;
}

/* Writes ar again and parses the result; a failure there is a bug. */
static void
rewrite(const struct vouch_authres *ar)
{
	struct vouch_authres_builder *b;
	struct vouch_authres *again;
	size_t i, j, len;
	char *f;

	if (ar->authserv_id_len > VOUCH_AUTHRES_MAX_ID ||
	    vouch_authres_new(ar->authserv_id, ar->authserv_id_len, &b) !=
	        VOUCH_OK)
		return;
	for (i = 0; i < ar->nresults; i++) {
		const struct vouch_authres_result *r = &ar->results[i];

		(void)vouch_authres_add(b, r->method, r->result,
		    r->reason_len <= VOUCH_AUTHRES_MAX_VALUE ? r->reason
		                                             : NULL);
		for (j = 0; j < r->nprops; j++)
			(void)vouch_authres_prop(b, r->props[j].ptype,
			    r->props[j].property,
			    (const uint8_t *)r->props[j].value,
			    r->props[j].value_len);
	}
	if (vouch_authres_finish(b, &f, &len) == VOUCH_OK) {
		/* what the writer makes, the parser must read */
		if (vouch_authres_parse((const uint8_t *)f, len, &again) !=
		    VOUCH_OK)
			abort();
		if (again->nresults != ar->nresults)
			abort();
		vouch_authres_result_free(again);
		free(f);
	}
	vouch_authres_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vouch_authres *ar;
	struct vouch_authres_field *fields;
	struct vouch_authres_span spans[4];
	size_t n, i, outlen;
	uint8_t *out;
	volatile size_t sink = 0;

	if (vouch_authres_parse(data, size, &ar) == VOUCH_OK) {
		sink += walk(ar);
		rewrite(ar);
		vouch_authres_result_free(ar);
	}
	if (vouch_authres_parse_header(data, size, &fields, &n) == VOUCH_OK) {
		for (i = 0; i < n; i++) {
			if (fields[i].span.off + fields[i].span.len > size)
				abort();
			if (fields[i].ar != NULL)
				sink += walk(fields[i].ar);
		}
		vouch_authres_fields_free(fields, n);
	}
	if (vouch_authres_find_ours(
	        data, size, "mx.example.org", 14, spans, 4, &n) == VOUCH_OK &&
	    n > 0 && spans[0].off + spans[0].len > size)
		abort();
	if ((out = malloc(size + 1)) != NULL) {
		if (vouch_authres_strip_ours(data, size, "mx.example.org", 14,
		        out, size, &outlen, &n) == VOUCH_OK &&
		    outlen > size)
			abort();
		free(out);
	}
	(void)sink;
	return 0;
}
