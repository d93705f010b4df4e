/*
 * The trusted-sealer hook: local policy that lets a DMARC fail be
 * overridden when a sealer the operator trusts recorded a pass at its hop
 * (RFC 8617 §7.2.1; RFC 9989 local_policy reason "arc").
 */
#include <string.h>
#include <strings.h>

#include "vouch/arc.h"
#include "vouch/authres.h"

enum vouch_status
vouch_arc_trusted_override(const struct vouch_arc_result *res,
    const char *const *trusted, size_t ntrusted, struct vouch_arc_override *out)
{
	const struct vouch_arc_instance *in = NULL;
	struct vouch_authres *ar = NULL;
	enum vouch_status st;
	size_t k, t;

	if (res == NULL || out == NULL || (ntrusted > 0 && trusted == NULL))
		return VOUCH_EINVAL;
	memset(out, 0, sizeof(*out));
	/* RFC 8617 §5.2: a chain that did not pass is as no chain. */
	if (res->cv != VOUCH_ARC_PASS)
		return VOUCH_OK;
	/* The newest set, when a trusted domain sealed it: a trusted set
	 * below an untrusted one does not describe the message as it is. */
	if (res->ninst > 0)
		for (t = 0; t < ntrusted; t++)
			if (trusted[t] != NULL &&
			    strcasecmp(res->inst[res->ninst - 1].seal_d,
			        trusted[t]) == 0)
				in = &res->inst[res->ninst - 1];
	if (in == NULL)
		return VOUCH_OK;
	out->trusted = true;
	out->instance = in->i;
	memcpy(out->sealer, in->seal_d, sizeof(out->sealer));
	if (in->aar == NULL)
		return VOUCH_OK;
	st = vouch_authres_parse((const uint8_t *)in->aar, in->aar_len, &ar);
	if (st == VOUCH_ENOMEM)
		return st;
	if (st != VOUCH_OK)
		return VOUCH_OK; /* an AAR that does not parse proves nothing */
	for (k = 0; k < ar->nresults; k++) {
		const struct vouch_authres_result *r = &ar->results[k];

		if (strcmp(r->result, "pass") != 0)
			continue;
		if (strcmp(r->method, "dmarc") == 0)
			out->dmarc = true;
		else if (strcmp(r->method, "dkim") == 0)
			out->dkim = true;
		else if (strcmp(r->method, "spf") == 0)
			out->spf = true;
	}
	vouch_authres_result_free(ar);
	/* RFC 8617 §5.2 step 5: oldest-pass above it, the message changed
	 * after this sealer saw it */
	out->override = (out->dmarc || out->dkim || out->spf) && in->ams_ok &&
	                in->i >= res->oldest_pass;
	return VOUCH_OK;
}
