/*
 * The milter process's runtime: what one configuration builds (the
 * resolver, the verify options, a pool of verify handles, the keys the
 * signer holds), shared by every connection that started under it.
 *
 * A reload builds a new runtime and swaps it in whole; connections keep
 * the one they started with (a reference) until they close, so nothing a
 * message uses changes under it.  One resolver serves every connection:
 * its answers (libunbound's cache or the zone file) are shared, and so is
 * one SPF handle with its answer and result caches.  A verify
 * handle serves one message at a time (vouch_verify_new), so handles are
 * pooled: a message takes one at MAIL and gives it back at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vouchd.h"

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vouchd_runtime *current;

static int
make_dns(const struct vouchd_conf *cf, struct vouch_dns **out, char *err,
    size_t errlen)
{
	if (cf->zone_file != NULL)
		return vouch_dns_zone_new(cf->zone_file, out, err, errlen) ==
		               VOUCH_OK
		           ? 0
		           : -1;
	return vouch_dns_unbound_new(cf->nameserver, cf->dns_timeout, out, err,
	           errlen) == VOUCH_OK
	           ? 0
	           : -1;
}

/* The signing and send-as tables, checked whole at load (file:line). */
static int
load_tables(struct vouchd_runtime *rt, char *err, size_t errlen)
{
	const struct vouchd_conf *cf = rt->conf;
	struct vouchd_signing_conf sc;
	struct vouchd_sendas_conf sa;
	struct vouchd_diag d;
	int rc = 0;

	vouchd_diag_init(&d);
	if (signing_conf_from(cf, &sc) &&
	    vouchd_signing_load(&sc, &d, &rt->signing) != VOUCH_OK)
		rc = diag_first(&d, err, errlen);
	if (rc == 0 && sendas_conf_from(cf, &sa)) {
		if (vouchd_sendas_load(&sa, &d, &rt->sendas) != VOUCH_OK)
			rc = diag_first(&d, err, errlen);
	}
	vouchd_diag_free(&d);
	return rc;
}

int
runtime_new(struct vouchd_conf *cf, struct vouchd_runtime **out, char *err,
    size_t errlen)
{
	struct vouchd_runtime *rt;
	struct vouch_verify *v = NULL;

	*out = NULL;
	if ((rt = calloc(1, sizeof(*rt))) == NULL) {
		snprintf(err, errlen, "out of memory");
		vouchd_conf_free(cf);
		return -1;
	}
	atomic_init(&rt->refs, 1);
	rt->conf = cf;
	rt->loaded = time(NULL);
	pthread_mutex_init(&rt->pool_lock, NULL);
	if (make_dns(cf, &rt->dns, err, errlen) != 0)
		goto bad;
	if (vouch_spf_new(rt->dns, &rt->spf) != VOUCH_OK) {
		snprintf(err, errlen, "out of memory");
		goto bad;
	}
	vouch_verify_options_init(&rt->vopts);
	rt->vopts.shared_spf = rt->spf;
	rt->vopts.authserv_id = cf->authserv_id;
	rt->vopts.check_helo = cf->check_helo;
	rt->vopts.dmarc.mode =
	    cf->rfc7489 ? VOUCH_DMARC_MODE_RFC7489 : VOUCH_DMARC_MODE_RFC9989;
	rt->vopts.dmarc.psl_file = cf->psl_file;
	rt->vopts.dmarc.unsafe_disposition =
	    cf->unsafe_from == VOUCHD_UNSAFE_REJECT ? VOUCH_DMARC_POLICY_REJECT
	    : cf->unsafe_from == VOUCHD_UNSAFE_NONE
	        ? VOUCH_DMARC_POLICY_NONE
	        : VOUCH_DMARC_POLICY_QUARANTINE;
	rt->vopts.trusted_sealers =
	    (const char *const *)cf->trusted_sealers.item;
	rt->vopts.ntrusted_sealers = cf->trusted_sealers.n;
	/* One handle now: it checks the options (authserv-id, PSL) at load
	 * rather than at the first message, and is the pool's first. */
	if (vouch_verify_new(rt->dns, &rt->vopts, &v, err, errlen) != VOUCH_OK)
		goto bad;
	snprintf(rt->authserv_id, sizeof(rt->authserv_id), "%s",
	    vouch_verify_authserv_id(v));
	rt->pool[rt->npool++] = v;
	if (load_tables(rt, err, errlen) != 0)
		goto bad;
	*out = rt;
	return 0;
bad:
	runtime_put(rt);
	return -1;
}

static void
runtime_free(struct vouchd_runtime *rt)
{
	size_t i;

	for (i = 0; i < rt->npool; i++)
		vouch_verify_free(rt->pool[i]);
	for (i = 0; i < rt->nkeys; i++)
		vouch_dkim_key_free(rt->keys[i].ext);
	vouch_spf_free(rt->spf);
	vouch_dns_free(rt->dns);
	vouchd_signing_free(rt->signing);
	vouchd_sendas_free(rt->sendas);
	record_release(rt->rec);
	vouch_failure_free(rt->failure);
	vouchd_conf_free(rt->conf);
	pthread_mutex_destroy(&rt->pool_lock);
	free(rt);
}

struct vouchd_runtime *
runtime_get(void)
{
	struct vouchd_runtime *rt;

	pthread_mutex_lock(&current_lock);
	rt = current;
	atomic_fetch_add(&rt->refs, 1);
	pthread_mutex_unlock(&current_lock);
	return rt;
}

void
runtime_put(struct vouchd_runtime *rt)
{
	if (rt != NULL && atomic_fetch_sub(&rt->refs, 1) == 1)
		runtime_free(rt);
}

void
runtime_swap(struct vouchd_runtime *rt)
{
	struct vouchd_runtime *old;

	pthread_mutex_lock(&current_lock);
	old = current;
	current = rt;
	pthread_mutex_unlock(&current_lock);
	runtime_put(old);
}

struct vouch_verify *
runtime_verifier(struct vouchd_runtime *rt)
{
	struct vouch_verify *v = NULL;

	pthread_mutex_lock(&rt->pool_lock);
	if (rt->npool > 0)
		v = rt->pool[--rt->npool];
	pthread_mutex_unlock(&rt->pool_lock);
	if (v == NULL &&
	    vouch_verify_new(rt->dns, &rt->vopts, &v, NULL, 0) != VOUCH_OK)
		return NULL;
	return v;
}

void
runtime_verifier_put(struct vouchd_runtime *rt, struct vouch_verify *v)
{
	pthread_mutex_lock(&rt->pool_lock);
	if (rt->npool < sizeof(rt->pool) / sizeof(rt->pool[0])) {
		rt->pool[rt->npool++] = v;
		v = NULL;
	}
	pthread_mutex_unlock(&rt->pool_lock);
	vouch_verify_free(v);
}

const struct vouchd_key *
runtime_key(const struct vouchd_runtime *rt, const char *name)
{
	size_t i;

	for (i = 0; i < rt->nkeys; i++)
		if (strcmp(rt->keys[i].name, name) == 0)
			return &rt->keys[i];
	return NULL;
}
