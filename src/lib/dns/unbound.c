/*
 * The libunbound back end (placeholder until the resolver lands).
 */
#include "internal.h"

enum vouch_status
vouch_dns_unbound_new(const char *server, unsigned timeout,
    struct vouch_dns **out, char *err, size_t errlen)
{
	*out = NULL;
	dns_seterr(err, errlen, "built without libunbound");
	return VOUCH_EUNSUPPORTED;
}
