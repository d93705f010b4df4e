/*
 * The summary of a policy domain's ingested reports (owner.h): every
 * source in one of four buckets with the reasons in words, the volume per
 * UTC day, the reporters, and what p=quarantine or p=reject would do
 * today.  PTR names through vouch's resolver, a few at a time, kept in the
 * store for their TTL.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest_internal.h"
#include "store/internal.h"
#include "vouch/limits.h"
#include "vouch/owner.h"

/* Distinct texts kept per source: enough to name a source's reporters
 * and problems, bounded against a store of hostile reports. */
#define SUM_MAX_REPORTERS 16
#define SUM_MAX_REASONS 8
#define SUM_MAX_FROM 8
/* PTR answers are kept at least an hour and at most a day. */
#define PTR_MIN_TTL 3600
#define PTR_MAX_TTL 86400

const char *
vouch_owner_bucket_str(enum vouch_owner_bucket b)
{
	switch (b) {
	case VOUCH_OWNER_NOT_COMPLIANT:
		return "not compliant";
	case VOUCH_OWNER_UNKNOWN:
		return "unknown";
	case VOUCH_OWNER_FORWARDED:
		return "forwarded";
	case VOUCH_OWNER_COMPLIANT:
		return "compliant";
	}
	return "";
}

/* ---- Classification ---------------------------------------------------- */

static int
word_is(const char *s, const char *w)
{
	return s != NULL && strcasecmp(s, w) == 0;
}

/* Identifier alignment, RFC 9989 §4.4 (RFC 7489 §3.1): strict is the same
 * name, relaxed the same Organizational Domain. */
static int
aligned(struct vouch_dmarc *psl, const char *id, const char *author, int strict)
{
	char a[VOUCH_DNS_MAX_NAME + 1], b[VOUCH_DNS_MAX_NAME + 1];

	if (id == NULL || author == NULL || id[0] == '\0' || author[0] == '\0')
		return 0;
	if (strcasecmp(id, author) == 0)
		return 1;
	if (strict || psl == NULL)
		return 0;
	if (vouch_dmarc_org_domain(psl, NULL, id, strlen(id), a, sizeof(a)) !=
	        VOUCH_OK ||
	    vouch_dmarc_org_domain(
	        psl, NULL, author, strlen(author), b, sizeof(b)) != VOUCH_OK)
		return 0;
	return a[0] != '\0' && strcmp(a, b) == 0;
}

/* The reporter recorded that the message was relayed: an override reason
 * of RFC 7489 (forwarded) or RFC 9990 §3.1.6 (mailing_list,
 * trusted_forwarder), or an ARC result it trusted ("arc=pass" in the
 * comment, as large receivers write it). */
static int
forward_evidence(const struct vouch_feedback_record *r)
{
	size_t i;

	for (i = 0; i < r->nreasons; i++) {
		const char *t = r->reasons[i].type, *c = r->reasons[i].comment;

		if (word_is(t, "forwarded") || word_is(t, "mailing_list") ||
		    word_is(t, "trusted_forwarder"))
			return 1;
		if (c != NULL && strcasestr(c, "arc=pass") != NULL)
			return 1;
	}
	return 0;
}

/* The SPF result of the MAIL FROM identity (RFC 9990 §3.1.1.13). */
static const struct vouch_feedback_spf *
spf_mfrom(const struct vouch_feedback_record *r)
{
	size_t i;

	for (i = 0; i < r->nspf; i++)
		if (r->spf_results[i].scope == NULL ||
		    r->spf_results[i].scope[0] == '\0' ||
		    word_is(r->spf_results[i].scope, "mfrom"))
			return &r->spf_results[i];
	return NULL;
}

static void add_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
add_why(char *why, size_t whylen, const char *fmt, ...)
{
	size_t n = strnlen(why, whylen);
	va_list ap;

	if (whylen == 0 || n + 3 >= whylen)
		return;
	if (n > 0) {
		memcpy(why + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(why + n, whylen - n, fmt, ap);
	va_end(ap);
}

/* Why DMARC failed, in words, for a person. */
static void
explain(const struct vouch_feedback_record *r, const char *author,
    int dkim_strict, int spf_strict, struct vouch_dmarc *psl, char *why,
    size_t whylen)
{
	const struct vouch_feedback_spf *sp = spf_mfrom(r);
	size_t i;

	if (r->ndkim == 0)
		add_why(why, whylen, "no DKIM signature");
	for (i = 0; i < r->ndkim; i++) {
		const struct vouch_feedback_dkim *d = &r->dkim_results[i];
		const char *dom =
		    d->domain != NULL && d->domain[0] != '\0' ? d->domain : "?";

		if (!word_is(d->result, "pass"))
			add_why(why, whylen, "DKIM d=%s %s", dom,
			    d->result != NULL && d->result[0] != '\0'
			        ? d->result
			        : "did not pass");
		else if (!aligned(psl, d->domain, author, dkim_strict))
			add_why(why, whylen, "DKIM d=%s not aligned with %s",
			    dom, author);
	}
	if (sp == NULL) {
		add_why(why, whylen, "no SPF result");
	} else {
		const char *dom = sp->domain != NULL && sp->domain[0] != '\0'
		                      ? sp->domain
		                      : "?";

		if (!word_is(sp->result, "pass"))
			add_why(why, whylen, "SPF %s for %s",
			    sp->result != NULL && sp->result[0] != '\0'
			        ? sp->result
			        : "did not pass",
			    dom);
		else if (!aligned(psl, sp->domain, author, spf_strict))
			add_why(why, whylen, "SPF domain %s not aligned", dom);
	}
}

enum vouch_owner_bucket
vouch_owner_classify(const struct vouch_feedback_record *r,
    const char *policy_domain, const char *adkim, const char *aspf,
    struct vouch_dmarc *psl, char *why, size_t whylen)
{
	const char *author = r->header_from != NULL && r->header_from[0] != '\0'
	                         ? r->header_from
	                         : policy_domain;
	const struct vouch_feedback_spf *sp = spf_mfrom(r);
	int dkim_strict = word_is(adkim, "s"), spf_strict = word_is(aspf, "s");
	int dkim_pass = 0, dkim_any = 0, spf_pass, spf_any, dmarc_dkim;
	int dmarc_spf;
	size_t i;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	for (i = 0; i < r->ndkim; i++)
		if (word_is(r->dkim_results[i].result, "pass")) {
			dkim_any = 1;
			if (aligned(psl, r->dkim_results[i].domain, author,
			        dkim_strict))
				dkim_pass = 1;
		}
	spf_any = sp != NULL && word_is(sp->result, "pass");
	spf_pass = spf_any && aligned(psl, sp->domain, author, spf_strict);
	/* the reporter's own evaluation counts when it gave one */
	dmarc_dkim = r->dkim != NULL && r->dkim[0] != '\0'
	                 ? word_is(r->dkim, "pass")
	                 : dkim_pass;
	dmarc_spf = r->spf != NULL && r->spf[0] != '\0'
	                ? word_is(r->spf, "pass")
	                : spf_pass;
	if (dmarc_spf)
		return VOUCH_OWNER_COMPLIANT;
	if (forward_evidence(r))
		return VOUCH_OWNER_FORWARDED;
	if (dmarc_dkim) {
		/* signed by the author, from a host SPF did not pass: a
		 * relay kept the signature (an ESP with its own bounce
		 * domain passes SPF, unaligned, and stays compliant) */
		if (sp != NULL && !word_is(sp->result, "pass"))
			return VOUCH_OWNER_FORWARDED;
		return VOUCH_OWNER_COMPLIANT;
	}
	if (why != NULL && whylen > 0)
		explain(r, author, dkim_strict, spf_strict, psl, why, whylen);
	return dkim_any || spf_any ? VOUCH_OWNER_NOT_COMPLIANT
	                           : VOUCH_OWNER_UNKNOWN;
}

/* ---- A small string map ------------------------------------------------ */

struct smap {
	const char **keys;
	size_t *vals;
	size_t n, cap; /* cap a power of two */
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The slot of key (found, or where it goes). */
static size_t
smap_slot(const struct smap *m, const char *key)
{
	size_t i = (size_t)hash(key) & (m->cap - 1);

	while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int
smap_grow(struct smap *m)
{
	struct smap n;
	size_t i, j;

	n.cap = m->cap ? m->cap * 2 : 64;
	n.n = m->n;
	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.vals = calloc(n.cap, sizeof(*n.vals));
	if (n.keys == NULL || n.vals == NULL) {
		free(n.keys);
		free(n.vals);
		return -1;
	}
	for (i = 0; i < m->cap; i++)
		if (m->keys[i] != NULL) {
			j = smap_slot(&n, m->keys[i]);
			n.keys[j] = m->keys[i];
			n.vals[j] = m->vals[i];
		}
	free(m->keys);
	free(m->vals);
	*m = n;
	return 0;
}

/* Find key; *found says whether it was there, else its slot is ready
 * for smap_put.  -1 on ENOMEM. */
static long
smap_find(struct smap *m, const char *key, size_t *val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap && smap_grow(m) < 0)
		return -1;
	i = smap_slot(m, key);
	if (m->keys[i] == NULL)
		return 0;
	*val = m->vals[i];
	return 1;
}

/* key must live as long as the map (in the summary's arena). */
static void
smap_put(struct smap *m, const char *key, size_t val)
{
	size_t i = smap_slot(m, key);

	if (m->keys[i] == NULL)
		m->n++;
	m->keys[i] = key;
	m->vals[i] = val;
}

static void
smap_free(struct smap *m)
{
	free(m->keys);
	free(m->vals);
}

/* ---- Aggregation ------------------------------------------------------- */

/* A source while rows come in. */
struct src {
	struct vouch_owner_source pub;
	const char *reporters[SUM_MAX_REPORTERS];
	const char *reasons[SUM_MAX_REASONS];
	const char *from[SUM_MAX_FROM];
};

struct summary_private {
	struct vouch_owner_summary pub; /* first */
	struct fb_arena a;
	struct src *src;
	size_t nsrc, capsrc;
	struct vouch_owner_source *sources;
	struct vouch_owner_day *days;
	size_t ndays, capdays;
	struct vouch_owner_reporter *reporters;
	size_t nrep, caprep;
	size_t *ready;
};

struct agg {
	struct summary_private *sp;
	struct vouch_dmarc *psl;
	struct smap ips, reports, orgs;
	int64_t last_day;
	enum vouch_status st;
};

static const char *
keep(struct agg *g, const char *s)
{
	const char *c;

	if (s == NULL)
		s = "";
	c = fb_arena_strndup(&g->sp->a, s, strlen(s), &g->st);
	return c != NULL ? c : "";
}

/* Add s to a small set of texts (kept in the arena) if not there. */
static void
set_add(struct agg *g, const char **set, size_t *n, size_t max, const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return;
	for (i = 0; i < *n; i++)
		if (strcmp(set[i], s) == 0)
			return;
	if (*n < max)
		set[(*n)++] = keep(g, s);
}

static struct src *
source_of(struct agg *g, const char *ip)
{
	struct summary_private *sp = g->sp;
	struct src *ns;
	size_t idx;
	long f;

	if ((f = smap_find(&g->ips, ip, &idx)) < 0) {
		g->st = VOUCH_ENOMEM;
		return NULL;
	}
	if (f == 1)
		return &sp->src[idx];
	if (sp->nsrc == sp->capsrc) {
		size_t cap = sp->capsrc ? sp->capsrc * 2 : 64;

		if ((ns = realloc(sp->src, cap * sizeof(*ns))) == NULL) {
			g->st = VOUCH_ENOMEM;
			return NULL;
		}
		sp->src = ns;
		sp->capsrc = cap;
	}
	ns = &sp->src[sp->nsrc];
	memset(ns, 0, sizeof(*ns));
	snprintf(ns->pub.ip, sizeof(ns->pub.ip), "%s", ip);
	smap_put(&g->ips, keep(g, ip), sp->nsrc);
	sp->nsrc++;
	return ns;
}

static struct vouch_owner_day *
day_of(struct agg *g, int64_t day)
{
	struct summary_private *sp = g->sp;
	struct vouch_owner_day *nd;
	size_t i;

	/* rows come ordered by day: the last one is nearly always it */
	for (i = sp->ndays; i > 0; i--)
		if (sp->days[i - 1].day == day)
			return &sp->days[i - 1];
	if (sp->ndays == sp->capdays) {
		size_t cap = sp->capdays ? sp->capdays * 2 : 32;

		if ((nd = realloc(sp->days, cap * sizeof(*nd))) == NULL) {
			g->st = VOUCH_ENOMEM;
			return NULL;
		}
		sp->days = nd;
		sp->capdays = cap;
	}
	nd = &sp->days[sp->ndays++];
	memset(nd, 0, sizeof(*nd));
	nd->day = day;
	return nd;
}

static struct vouch_owner_reporter *
reporter_of(struct agg *g, const char *org, const char *email)
{
	struct summary_private *sp = g->sp;
	struct vouch_owner_reporter *nr;
	const char *name = org != NULL && org[0] != '\0' ? org : email;
	size_t idx;
	long f;

	if (name == NULL)
		name = "";
	if ((f = smap_find(&g->orgs, name, &idx)) < 0) {
		g->st = VOUCH_ENOMEM;
		return NULL;
	}
	if (f == 1)
		return &sp->reporters[idx];
	if (sp->nrep == sp->caprep) {
		size_t cap = sp->caprep ? sp->caprep * 2 : 16;

		if ((nr = realloc(sp->reporters, cap * sizeof(*nr))) == NULL) {
			g->st = VOUCH_ENOMEM;
			return NULL;
		}
		sp->reporters = nr;
		sp->caprep = cap;
	}
	nr = &sp->reporters[sp->nrep];
	memset(nr, 0, sizeof(*nr));
	nr->org_name = keep(g, name);
	smap_put(&g->orgs, nr->org_name, sp->nrep);
	sp->nrep++;
	return nr;
}

/* Count a report the first time one of its rows is seen. */
static int
first_row_of_report(struct agg *g, const struct vouch_owner_row *row)
{
	char key[1024];
	size_t idx;
	long f;

	snprintf(key, sizeof(key), "%s\n%s\n%s", row->org_name, row->email,
	    row->report_id);
	if ((f = smap_find(&g->reports, key, &idx)) < 0) {
		g->st = VOUCH_ENOMEM;
		return 0;
	}
	if (f == 1)
		return 0;
	smap_put(&g->reports, keep(g, key), 0);
	return 1;
}

static enum vouch_status
on_row(void *arg, const struct vouch_owner_row *row)
{
	struct agg *g = arg;
	struct vouch_owner_summary *sum = &g->sp->pub;
	const struct vouch_feedback_record *r = &row->record;
	struct vouch_owner_reporter *rep;
	struct vouch_owner_day *day;
	enum vouch_owner_bucket b;
	struct src *s;
	char why[1024];
	int pass;

	b = vouch_owner_classify(r, row->policy_domain, row->adkim, row->aspf,
	    g->psl, why, sizeof(why));
	pass = word_is(r->dkim, "pass") || word_is(r->spf, "pass") ||
	       b == VOUCH_OWNER_COMPLIANT;
	if ((s = source_of(g, r->source_ip)) == NULL ||
	    (day = day_of(g, row->day)) == NULL ||
	    (rep = reporter_of(g, row->org_name, row->email)) == NULL)
		return g->st;
	s->pub.messages += r->count;
	s->pub.by_bucket[b] += r->count;
	if (!pass)
		s->pub.dmarc_fail += r->count;
	set_add(g, s->reporters, &s->pub.nreporters, SUM_MAX_REPORTERS,
	    rep->org_name);
	set_add(g, s->reasons, &s->pub.nreasons, SUM_MAX_REASONS, why);
	set_add(g, s->from, &s->pub.nheader_from, SUM_MAX_FROM, r->header_from);
	day->messages += r->count;
	day->dmarc_pass += pass ? r->count : 0;
	day->dkim_aligned += word_is(r->dkim, "pass") ? r->count : 0;
	day->spf_aligned += word_is(r->spf, "pass") ? r->count : 0;
	rep->messages += r->count;
	if (first_row_of_report(g, row)) {
		rep->reports++;
		sum->reports++;
	}
	sum->messages += r->count;
	sum->dmarc_pass += pass ? r->count : 0;
	if (row->day >= g->last_day && row->p != NULL) {
		g->last_day = row->day;
		sum->p = keep(g, row->p);
	}
	return g->st;
}

/* ---- PTR names --------------------------------------------------------- */

/* The reverse-lookup name of an address (RFC 1035 §3.5, RFC 3596 §2.5). */
static int
reverse_name(const char *ip, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	size_t o = 0;
	int i;

	if (inet_pton(AF_INET, ip, a) == 1) {
		snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1],
		    a[0]);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, a) != 1 || cap < 74)
		return -1;
	for (i = 15; i >= 0; i--) {
		out[o++] = hex[a[i] & 15];
		out[o++] = '.';
		out[o++] = hex[a[i] >> 4];
		out[o++] = '.';
	}
	memcpy(out + o, "ip6.arpa", 9);
	return 0;
}

struct ptr_job {
	struct vouch_owner_source **todo;
	size_t n, next;
	int64_t *ttl;
	int *done; /* 1 answered (name or none), 0 failed: not cached */
	struct vouch_dns *dns;
	pthread_mutex_t mu;
	unsigned long asked;
	size_t answered; /* for progress, under mu */
	void (*progress)(void *arg, size_t done, size_t total);
	void *progress_arg;
};

static void
lookup_one(struct ptr_job *j, size_t i)
{
	struct vouch_owner_source *s = j->todo[i];
	struct vouch_dns_answer *ans = NULL;
	char rname[80];
	size_t k;

	if (reverse_name(s->ip, rname, sizeof(rname)) != 0 ||
	    vouch_dns_query(
	        j->dns, rname, strlen(rname), VOUCH_DNS_PTR, &ans) != VOUCH_OK)
		return;
	if (ans->rcode == VOUCH_DNS_ANSWER) {
		for (k = 0; k < ans->nrr; k++)
			if (ans->rr[k].type == VOUCH_DNS_PTR &&
			    ans->rr[k].len < sizeof(s->ptr)) {
				memcpy(s->ptr, ans->rr[k].data, ans->rr[k].len);
				s->ptr[ans->rr[k].len] = '\0';
				break;
			}
		j->done[i] = 1;
	} else if (ans->rcode == VOUCH_DNS_NXDOMAIN ||
	           ans->rcode == VOUCH_DNS_NODATA) {
		j->done[i] = 1;
	}
	j->ttl[i] = ans->ttl;
	vouch_dns_answer_free(ans);
}

static void *
ptr_worker(void *arg)
{
	struct ptr_job *j = arg;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&j->mu);
		i = j->next++;
		if (i < j->n)
			j->asked++;
		pthread_mutex_unlock(&j->mu);
		if (i >= j->n)
			return NULL;
		lookup_one(j, i);
		if (j->progress != NULL) {
			/* under the lock: one call at a time (owner.h) */
			pthread_mutex_lock(&j->mu);
			j->progress(j->progress_arg, ++j->answered, j->n);
			pthread_mutex_unlock(&j->mu);
		}
	}
}

/* Names from the cache table; the rest into todo. */
static enum vouch_status
ptr_from_cache(struct vouch_store *s, struct summary_private *sp, int64_t now,
    struct vouch_owner_source **todo, size_t *ntodo)
{
	struct store_stmt *q;
	enum vouch_status st;
	const char *t;
	size_t i, len;
	bool row;

	*ntodo = 0;
	if ((st = store_prepare(s,
	         "SELECT name FROM source_ptr WHERE ip = $1 AND expires > $2",
	         &q)) != VOUCH_OK)
		return st;
	for (i = 0; i < sp->nsrc; i++) {
		struct vouch_owner_source *src = &sp->src[i].pub;

		row = false;
		if ((st = store_bind_str(q, 1, src->ip)) != VOUCH_OK ||
		    (st = store_bind_int64(q, 2, now)) != VOUCH_OK ||
		    (st = store_step(q, &row)) != VOUCH_OK)
			break;
		if (row) {
			t = store_col_text(q, 0, &len);
			if (store_unescape(t, len, src->ptr, sizeof(src->ptr)) <
			    0)
				src->ptr[0] = '\0';
		} else {
			todo[(*ntodo)++] = src;
		}
		if ((st = store_reset(q)) != VOUCH_OK)
			break;
	}
	store_finalize(q);
	return st;
}

static enum vouch_status
ptr_to_cache(struct vouch_store *s, struct ptr_job *j, int64_t now)
{
	struct store_stmt *q = NULL;
	enum vouch_status st;
	struct vbuf b;
	size_t i;
	int64_t ttl;

	vbuf_init(&b, 4 * VOUCH_DNS_MAX_NAME);
	if ((st = store_begin(s)) != VOUCH_OK)
		goto out;
	st = store_prepare(s,
	    "INSERT INTO source_ptr (ip, name, expires) VALUES ($1, $2, $3) "
	    "ON CONFLICT (ip) DO UPDATE SET name = excluded.name, "
	    "expires = excluded.expires",
	    &q);
	for (i = 0; st == VOUCH_OK && i < j->n; i++) {
		if (!j->done[i])
			continue;
		ttl = j->ttl[i] < PTR_MIN_TTL   ? PTR_MIN_TTL
		      : j->ttl[i] > PTR_MAX_TTL ? PTR_MAX_TTL
		                                : j->ttl[i];
		vbuf_reset(&b);
		(void)store_escape(
		    &b, j->todo[i]->ptr, strlen(j->todo[i]->ptr));
		if ((st = store_bind_str(q, 1, j->todo[i]->ip)) != VOUCH_OK ||
		    (st = store_bind_text(
		         q, 2, b.len ? (char *)b.p : "", b.len)) != VOUCH_OK ||
		    (st = store_bind_int64(q, 3, now + ttl)) != VOUCH_OK)
			break;
		st = store_run(q);
	}
	store_finalize(q);
	if (st == VOUCH_OK)
		st = store_commit(s);
	else
		store_rollback(s);
out:
	vbuf_free(&b);
	return st;
}

static enum vouch_status
ptr_names(struct vouch_store *s, struct summary_private *sp,
    const struct vouch_owner_summary_opts *o, struct vouch_dmarc *psl)
{
	struct vouch_owner_source **todo;
	struct ptr_job j;
	pthread_t th[64];
	unsigned nth, k, started = 0;
	enum vouch_status st;
	int64_t now = o->now ? o->now : (int64_t)time(NULL);
	size_t i;

	if ((todo = calloc(sp->nsrc + 1, sizeof(*todo))) == NULL)
		return VOUCH_ENOMEM;
	memset(&j, 0, sizeof(j));
	st = ptr_from_cache(s, sp, now, todo, &j.n);
	j.ttl = calloc(j.n + 1, sizeof(*j.ttl));
	j.done = calloc(j.n + 1, sizeof(*j.done));
	if (st == VOUCH_OK && (j.ttl == NULL || j.done == NULL))
		st = VOUCH_ENOMEM;
	if (st == VOUCH_OK && j.n > 0) {
		j.todo = todo;
		j.dns = o->dns;
		j.progress = o->ptr_progress;
		j.progress_arg = o->ptr_progress_arg;
		if (j.progress != NULL)
			j.progress(j.progress_arg, 0, j.n);
		pthread_mutex_init(&j.mu, NULL);
		nth = o->concurrency ? o->concurrency : 8;
		if (nth > sizeof(th) / sizeof(th[0]))
			nth = sizeof(th) / sizeof(th[0]);
		if (nth > j.n)
			nth = (unsigned)j.n;
		for (k = 0; k < nth; k++)
			if (pthread_create(&th[k], NULL, ptr_worker, &j) == 0)
				started++;
		if (started == 0)
			ptr_worker(&j); /* no thread: ask one at a time */
		for (k = 0; k < started; k++)
			pthread_join(th[k], NULL);
		pthread_mutex_destroy(&j.mu);
		sp->pub.ptr_lookups = j.asked;
		st = ptr_to_cache(s, &j, now);
	}
	for (i = 0; st == VOUCH_OK && i < sp->nsrc; i++) {
		struct vouch_owner_source *src = &sp->src[i].pub;

		if (src->ptr[0] != '\0' && psl != NULL &&
		    vouch_dmarc_org_domain(psl, NULL, src->ptr,
		        strlen(src->ptr), src->ptr_org,
		        sizeof(src->ptr_org)) != VOUCH_OK)
			src->ptr_org[0] = '\0';
	}
	free(j.ttl);
	free(j.done);
	free(todo);
	return st;
}

/* ---- Finishing --------------------------------------------------------- */

static int
by_action(const void *a, const void *b)
{
	const struct vouch_owner_source *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	if (x->messages != y->messages)
		return x->messages > y->messages ? -1 : 1;
	return strcmp(x->ip, y->ip);
}

static int
by_day(const void *a, const void *b)
{
	const struct vouch_owner_day *x = a, *y = b;

	return x->day < y->day ? -1 : x->day > y->day;
}

static int
by_messages(const void *a, const void *b)
{
	const struct vouch_owner_reporter *x = a, *y = b;

	if (x->messages != y->messages)
		return x->messages > y->messages ? -1 : 1;
	return strcmp(x->org_name, y->org_name);
}

static enum vouch_status
finish(struct summary_private *sp)
{
	struct vouch_owner_summary *sum = &sp->pub;
	enum vouch_status st = VOUCH_OK;
	size_t i, n = 0;
	int b;

	sp->sources = calloc(sp->nsrc + 1, sizeof(*sp->sources));
	sp->ready = calloc(sp->nsrc + 1, sizeof(*sp->ready));
	if (sp->sources == NULL || sp->ready == NULL)
		return VOUCH_ENOMEM;
	for (i = 0; i < sp->nsrc; i++) {
		struct src *s = &sp->src[i];
		enum vouch_owner_bucket best = VOUCH_OWNER_NOT_COMPLIANT;

		/* the bucket of most of its messages; on a tie the one
		 * that needs action */
		for (b = 1; b < VOUCH_OWNER_NBUCKETS; b++)
			if (s->pub.by_bucket[b] > s->pub.by_bucket[best])
				best = (enum vouch_owner_bucket)b;
		s->pub.bucket = best;
		s->pub.reporters = s->reporters;
		s->pub.reasons = s->reasons;
		s->pub.header_from = s->from;
		sp->sources[i] = s->pub;
		sum->bucket_sources[best]++;
		for (b = 0; b < VOUCH_OWNER_NBUCKETS; b++)
			sum->bucket_messages[b] += s->pub.by_bucket[b];
	}
	/* a domain without rows has no days or reporters, and those arrays
	 * are NULL: qsort must not see them (C11 §7.22.5 wants a valid
	 * pointer even for zero elements) */
	if (sp->nsrc > 1)
		qsort(sp->sources, sp->nsrc, sizeof(*sp->sources), by_action);
	if (sp->ndays > 1)
		qsort(sp->days, sp->ndays, sizeof(*sp->days), by_day);
	if (sp->nrep > 1)
		qsort(sp->reporters, sp->nrep, sizeof(*sp->reporters),
		    by_messages);
	/* RFC 9989 §4.7: under p=quarantine or p=reject, what fails DMARC
	 * is treated so; forwarders are left out (their mail was the
	 * domain's, and ARC or DKIM is what carries it) */
	for (i = 0; i < sp->nsrc; i++)
		if (sp->sources[i].bucket != VOUCH_OWNER_FORWARDED &&
		    sp->sources[i].dmarc_fail > 0) {
			sp->ready[n++] = i;
			sum->quarantine.messages += sp->sources[i].dmarc_fail;
		}
	sum->quarantine.sources = sp->ready;
	sum->quarantine.nsources = n;
	sum->reject = sum->quarantine;
	sum->sources = sp->sources;
	sum->nsources = sp->nsrc;
	sum->days = sp->days;
	sum->ndays = sp->ndays;
	sum->reporters = sp->reporters;
	sum->nreporters = sp->nrep;
	return st;
}

/* The ready list is by source order, most failing messages first. */
static int
by_fail(const void *a, const void *b, void *arg)
{
	const struct vouch_owner_source *s = arg;
	const size_t *x = a, *y = b;

	if (s[*x].dmarc_fail != s[*y].dmarc_fail)
		return s[*x].dmarc_fail > s[*y].dmarc_fail ? -1 : 1;
	return *x < *y ? -1 : *x > *y;
}

enum vouch_status
vouch_owner_summarize(struct vouch_store *s,
    const struct vouch_owner_summary_opts *opts, struct vouch_dmarc *psl,
    struct vouch_owner_summary **out)
{
	struct summary_private *sp;
	struct vouch_owner_query q;
	enum vouch_status st;
	struct agg g;

	if (out == NULL)
		return VOUCH_EINVAL;
	*out = NULL;
	if (s == NULL || opts == NULL || opts->domain == NULL)
		return VOUCH_EINVAL;
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return VOUCH_ENOMEM;
	/* names and texts of a summary: bounded by the store's rows */
	fb_arena_init(&sp->a, SIZE_MAX / 2);
	snprintf(sp->pub.domain, sizeof(sp->pub.domain), "%s", opts->domain);
	sp->pub.since = opts->since;
	sp->pub.until = opts->until;
	memset(&g, 0, sizeof(g));
	g.sp = sp;
	g.psl = psl;
	g.last_day = INT64_MIN;
	memset(&q, 0, sizeof(q));
	q.domain = opts->domain;
	q.since = opts->since;
	q.until = opts->until;
	st = vouch_owner_rows(s, &q, on_row, &g);
	if (st == VOUCH_OK && opts->dns != NULL)
		st = ptr_names(s, sp, opts, psl);
	if (st == VOUCH_OK)
		st = finish(sp);
	if (st == VOUCH_OK && sp->pub.quarantine.nsources > 1)
		qsort_r(sp->ready, sp->pub.quarantine.nsources,
		    sizeof(*sp->ready), by_fail, sp->sources);
	smap_free(&g.ips);
	smap_free(&g.reports);
	smap_free(&g.orgs);
	if (st != VOUCH_OK) {
		vouch_owner_summary_free(&sp->pub);
		return st;
	}
	*out = &sp->pub;
	return VOUCH_OK;
}

void
vouch_owner_summary_free(struct vouch_owner_summary *sum)
{
	struct summary_private *sp = (struct summary_private *)sum;

	if (sp == NULL)
		return;
	fb_arena_free(&sp->a);
	free(sp->src);
	free(sp->sources);
	free(sp->days);
	free(sp->reporters);
	free(sp->ready);
	free(sp);
}
