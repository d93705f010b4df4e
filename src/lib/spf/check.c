/*
 * check_host(), RFC 7208 §4-§6: record lookup and selection, evaluation of
 * each mechanism, redirect= and exp=, and the limits of §4.6.4.
 *
 * One evaluation context (struct spf_eval) serves a whole check: the
 * parsed records of each include/redirect level, the expansion buffer and
 * the trace buffer are reused, and contexts are pooled in the handle, so a
 * warm evaluation allocates nothing.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns/cache.h"
#include "internal.h"
#include "rcache.h"
#include "vouch/limits.h"

struct vouch_spf {
	struct vouch_dns *dns;
	uint8_t *default_exp;
	size_t default_exp_len;
	vouch_spf_trace_fn trace;
	void *trace_arg;
	int cache_on; /* DNS answers */
	int rcache_on; /* results */
	struct dns_cache cache;
	struct spf_rcache rcache;
	pthread_mutex_t pool_lock;
	struct spf_eval *pool; /* idle contexts */
};

/* One DNS answer held by an evaluation: owned, cached, or static. */
struct spf_ans {
	const struct vouch_dns_answer *ans;
	struct vouch_dns_answer *owned;
	struct dns_cache_entry *ent;
	int hit; /* came from the cache */
};

/* One include/redirect level. */
struct spf_level {
	const struct spf_record *rec; /* own, or the cache's copy */
	struct spf_record own;
	struct spf_ans txt; /* the answer the record points into */
	char domain[VOUCH_DNS_MAX_NAME + 1];
	size_t domain_len;
};

struct spf_eval {
	struct spf_eval *next; /* in the pool */
	struct vouch_spf *spf;
	struct vouch_spf_result *res;
	enum vouch_status st; /* ENOMEM, sticky */
	struct spf_ip ip;
	struct vbuf sender; /* <sender>, "local@domain" */
	size_t local_len; /* local-part = sender[0..local_len) */
	const uint8_t *helo;
	size_t helo_len;
	const uint8_t *receiver;
	size_t receiver_len;
	time_t now;
	struct timespec deadline;
	time_t mono; /* the cache clock at the start */
	struct spf_level level[VOUCH_SPF_MAX_DEPTH + 1];
	struct vbuf expand; /* one macro expansion at a time */
	struct vbuf explain; /* the explanation being made */
	struct vbuf trace;
	/* the level whose steps are traced now: its lines are indented two
	 * spaces per level, so that an include's or a redirect's record reads
	 * under the term that fetched it */
	unsigned trace_depth;
	/* the domain %{p} prefers (§7.3), set around expansions */
	const char *p_domain;
	size_t p_domain_len;
	/* for the result cache: macro letters expanded, the shortest TTL
	 * left of the answers used, and whether a failure was seen */
	uint32_t used;
	uint32_t ttl_left;
	int uncacheable;
};

/* Macro letters whose value is not the client address or the domain. */
#define SENDER_LETTERS \
	((1u << ('s' - 'a')) | (1u << ('l' - 'a')) | (1u << ('o' - 'a')) | \
	    (1u << ('h' - 'a')) | (1u << ('r' - 'a')) | (1u << ('t' - 'a')))

static const struct vouch_dns_answer time_limit_answer = {
    VOUCH_DNS_TEMPFAIL, "SPF time limit reached", 0, 0, NULL};

/* Cut-and-"..." copy of untrusted text into a result field. */
static void
set_text(char *dst, size_t cap, const void *src, size_t len)
{
	const uint8_t *s = src;
	size_t i, n = len < cap ? len : cap - 1;

	for (i = 0; i < n; i++)
		dst[i] = (s[i] < 0x20 || s[i] == 0x7f) ? '?' : (char)s[i];
	dst[n] = '\0';
	if (len >= cap && cap > 4)
		memcpy(dst + cap - 4, "...", 4);
}

__attribute__((format(printf, 2, 3))) static void
trace_line(struct spf_eval *ev, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	vbuf_reset(&ev->trace);
	/* trace_depth is at most VOUCH_SPF_MAX_DEPTH (check_host) */
	(void)vbuf_addf(&ev->trace, "%*s", (int)(2 * ev->trace_depth), "");
	va_start(ap, fmt);
	(void)vbuf_vaddf(&ev->trace, fmt, ap);
	va_end(ap);
	if (ev->trace.p == NULL)
		return;
	/* Record bytes are untrusted: no control bytes reach a terminal. */
	for (i = 0; i < ev->trace.len; i++)
		if (ev->trace.p[i] < 0x20 || ev->trace.p[i] == 0x7f)
			ev->trace.p[i] = '?';
	ev->spf->trace(ev->spf->trace_arg, (const char *)ev->trace.p);
}

/*
 * A trace line, when the caller asked for them.  The test is made before
 * the call: a variadic call with its arguments costs more than a cached
 * term is worth to evaluate, 25 times per evaluation.
 */
#define trace(ev, ...) \
	do { \
		if ((ev)->spf->trace != NULL) \
			trace_line((ev), __VA_ARGS__); \
	} while (0)

/* "%.*s" arguments for untrusted (ptr, len) text in trace lines. */
#define TXT(p, n) (int)((n) > 2000 ? 2000 : (n)), (const char *)(p)

static const char *
type_name(uint16_t type)
{
	switch (type) {
	case VOUCH_DNS_A:
		return "A";
	case VOUCH_DNS_AAAA:
		return "AAAA";
	case VOUCH_DNS_MX:
		return "MX";
	case VOUCH_DNS_PTR:
		return "PTR";
	case VOUCH_DNS_TXT:
		return "TXT";
	default:
		return "?";
	}
}

static int
deadline_passed(const struct spf_eval *ev)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec > ev->deadline.tv_sec ||
	       (ts.tv_sec == ev->deadline.tv_sec &&
	           ts.tv_nsec >= ev->deadline.tv_nsec);
}

/*
 * Ask one question, from the cache when it holds a live answer.  On
 * ENOMEM ev->st is set and a TEMPFAIL stands in, so callers only look at
 * the rcode.
 */
static void
query(struct spf_eval *ev, const char *name, size_t len, uint16_t type,
    struct spf_ans *a)
{
	struct vouch_spf *spf = ev->spf;
	struct vouch_dns_answer *ans;
	uint32_t ttl = 0;
	size_t nrr;

	memset(a, 0, sizeof(*a));
	ev->res->dns_queries++;
	if (spf->cache_on && (a->ent = dns_cache_get(&spf->cache, type, name,
	                          len, ev->mono, &a->ans, &ttl)) != NULL) {
		a->hit = 1;
		goto done;
	}
	/* RFC 7208 §4.6.4: a bound on the elapsed time, then temperror. */
	if (deadline_passed(ev)) {
		a->ans = &time_limit_answer;
		goto done;
	}
	if (vouch_dns_query(spf->dns, name, len, type, &ans) != VOUCH_OK) {
		ev->st = VOUCH_ENOMEM;
		a->ans = &time_limit_answer;
		return;
	}
	if (spf->cache_on && (a->ent = dns_cache_put(&spf->cache, type, name,
	                          len, ev->mono, ans)) != NULL)
		a->ans = ans;
	else
		a->ans = a->owned = ans;
	ttl = ans->ttl;
done:
	if (a->ans->rcode == VOUCH_DNS_TEMPFAIL ||
	    a->ans->rcode == VOUCH_DNS_PERMFAIL)
		ev->uncacheable = 1;
	if (ttl < ev->ttl_left)
		ev->ttl_left = ttl;
	nrr = a->ans->rcode == VOUCH_DNS_ANSWER ? a->ans->nrr : 0;
	if (a->ans->reason != NULL)
		trace(ev, "  dns %s %.*s: %s (%s)", type_name(type), (int)len,
		    name, vouch_dns_rcode_str(a->ans->rcode), a->ans->reason);
	else
		trace(ev, "  dns %s %.*s: %s, %zu record%s%s", type_name(type),
		    (int)len, name, vouch_dns_rcode_str(a->ans->rcode), nrr,
		    nrr == 1 ? "" : "s", a->hit ? " (cached)" : "");
}

static void
release(struct spf_eval *ev, struct spf_ans *a)
{
	if (a->ent != NULL)
		dns_cache_release(&ev->spf->cache, a->ent);
	else
		vouch_dns_answer_free(a->owned);
	memset(a, 0, sizeof(*a));
}

/* Records of `type` in an answer (CNAMEs followed leave other types). */
static size_t
count_type(const struct vouch_dns_answer *ans, uint16_t type)
{
	size_t i, n = 0;

	if (ans->rcode != VOUCH_DNS_ANSWER)
		return 0;
	for (i = 0; i < ans->nrr; i++)
		if (ans->rr[i].type == type)
			n++;
	return n;
}

/* The partial verdicts of one term. */
enum term_outcome { T_NOMATCH = 0, T_MATCH, T_TEMPERROR, T_PERMERROR };

/* Set an error verdict with its reason (the first one wins). */
static enum term_outcome fail_with(struct spf_eval *ev, enum term_outcome o,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum term_outcome
fail_with(struct spf_eval *ev, enum term_outcome o, const char *fmt, ...)
{
	va_list ap;
	char buf[VOUCH_SPF_MAX_TEXT + 1];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (ev->res->reason[0] == '\0')
		set_text(
		    ev->res->reason, sizeof(ev->res->reason), buf, strlen(buf));
	trace(ev, "  stop: %s", buf);
	return o;
}

/* RFC 7208 §4.6.4: count a DNS-querying term; over 10 is permerror. */
static int
count_dns_term(struct spf_eval *ev)
{
	ev->res->dns_lookups++;
	trace(ev, "  dns terms %u/%d", ev->res->dns_lookups,
	    VOUCH_SPF_MAX_DNS_TERMS);
	return ev->res->dns_lookups > VOUCH_SPF_MAX_DNS_TERMS ? -1 : 0;
}

/* RFC 7208 §4.6.4: count a void lookup; over 2 is permerror. */
static int
count_void(struct spf_eval *ev)
{
	ev->res->void_lookups++;
	trace(ev, "  void lookups %u/%d", ev->res->void_lookups,
	    VOUCH_SPF_MAX_VOID_LOOKUPS);
	return ev->res->void_lookups > VOUCH_SPF_MAX_VOID_LOOKUPS ? -1 : 0;
}

static int p_name(void *arg, char *buf, size_t cap);

static void
macro_env(
    struct spf_eval *ev, const struct spf_level *lv, struct spf_macro_env *env)
{
	memset(env, 0, sizeof(*env));
	env->sender = ev->sender.p;
	env->sender_len = ev->sender.len;
	env->local = ev->sender.p;
	env->local_len = ev->local_len;
	env->sender_domain = ev->sender.p + ev->local_len + 1;
	env->sender_domain_len = ev->sender.len - ev->local_len - 1;
	env->domain = (const uint8_t *)lv->domain;
	env->domain_len = lv->domain_len;
	env->helo = ev->helo;
	env->helo_len = ev->helo_len;
	env->receiver = ev->receiver;
	env->receiver_len = ev->receiver_len;
	env->ip = &ev->ip;
	env->now = ev->now;
	env->p_name = p_name;
	env->p_arg = ev;
	env->used = &ev->used;
	ev->p_domain = lv->domain;
	ev->p_domain_len = lv->domain_len;
}

/*
 * The <target-name> of a term: its domain-spec expanded (§7), or the
 * current domain, fitted to 253 bytes (§7.3).  0 = name in out/outlen.
 * A name that cannot be asked (an empty label, a label over 63 bytes) or
 * an expansion over VOUCH_SPF_MAX_EXPANSION is a permerror (-1, reason
 * set) when `strict`, and 1 (unusable, nothing set) for exp= (§6.2).
 */
static int
target_name(struct spf_eval *ev, const struct spf_level *lv,
    const uint8_t *spec, size_t speclen, int strict, char *out, size_t *outlen)
{
	struct spf_macro_env env;
	enum vouch_status st;
	const uint8_t *name = spec;
	size_t off, n, len = speclen;

	if (spec == NULL) {
		memcpy(out, lv->domain, lv->domain_len + 1);
		*outlen = lv->domain_len;
		return 0;
	}
	/*
	 * A domain-spec without '%' is its own expansion: the record parser
	 * checked its bytes (spf_domain_spec_check, the rule the expansion
	 * applies), and it uses no macro letter.  Most are ("include:
	 * _spf.example.com"), and each was expanded for every evaluation.
	 */
	if (memchr(spec, '%', speclen) != NULL) {
		macro_env(ev, lv, &env);
		vbuf_reset(&ev->expand);
		st = spf_macro_expand(
		    &env, spec, speclen, SPF_MACRO_DOMAIN, &ev->expand);
		if (st == VOUCH_ENOMEM) {
			ev->st = st;
			return -1;
		}
		if (st != VOUCH_OK) {
			if (!strict)
				return 1;
			fail_with(ev, T_PERMERROR,
			    "macro expansion %s in \"%.*s\"",
			    st == VOUCH_ELIMIT ? "too long" : "invalid",
			    TXT(spec, speclen));
			return -1;
		}
		name = ev->expand.p;
		len = ev->expand.len;
	}
	if (spf_name_fit(name, len, &off, &n) != 0) {
		if (!strict)
			return 1;
		/*
		 * RFC 7208 leaves this open (the council suite accepts fail
		 * or permerror): a name no query can be made of is a
		 * permerror, the clearer answer for the publisher.
		 */
		fail_with(ev, T_PERMERROR,
		    "target \"%.*s\" is not a valid domain name (empty label "
		    "or label over 63 bytes)",
		    TXT(name, len));
		return -1;
	}
	memcpy(out, name + off, n);
	out[n] = '\0';
	*outlen = n;
	return 0;
}

/* Case-insensitive: is name/nlen equal to dom, or a subdomain of it? */
static int
name_within(const char *name, size_t nlen, const char *dom, size_t dlen)
{
	size_t i;

	if (nlen > 0 && name[nlen - 1] == '.')
		nlen--;
	if (dlen > 0 && dom[dlen - 1] == '.')
		dlen--;
	if (nlen < dlen || (nlen > dlen && name[nlen - dlen - 1] != '.'))
		return 0;
	for (i = 0; i < dlen; i++) {
		uint8_t a = (uint8_t)name[nlen - dlen + i];
		uint8_t b = (uint8_t)dom[i];

		if (a >= 'A' && a <= 'Z')
			a += 32;
		if (b >= 'A' && b <= 'Z')
			b += 32;
		if (a != b)
			return 0;
	}
	return 1;
}

/* The reverse-lookup name of the client: in-addr.arpa or ip6.arpa. */
static size_t
reverse_name(const struct spf_ip *ip, char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	int i;

	if (!ip->v6)
		return (size_t)snprintf(buf, cap, "%u.%u.%u.%u.in-addr.arpa",
		    ip->a[3], ip->a[2], ip->a[1], ip->a[0]);
	for (i = 15; i >= 0; i--) {
		buf[n++] = hex[ip->a[i] & 15];
		buf[n++] = '.';
		buf[n++] = hex[ip->a[i] >> 4];
		buf[n++] = '.';
	}
	memcpy(buf + n, "ip6.arpa", 9);
	return n + 8;
}

/* Does the client address lie in an A/AAAA answer, under a prefix? */
static int
answer_has_ip(const struct spf_eval *ev, const struct vouch_dns_answer *ans,
    unsigned cidr4, unsigned cidr6)
{
	uint16_t type = ev->ip.v6 ? VOUCH_DNS_AAAA : VOUCH_DNS_A;
	size_t i, want = ev->ip.v6 ? 16 : 4;

	if (ans->rcode != VOUCH_DNS_ANSWER)
		return 0;
	for (i = 0; i < ans->nrr; i++)
		if (ans->rr[i].type == type && ans->rr[i].len == want &&
		    spf_ip_match(&ev->ip, ans->rr[i].data, ev->ip.v6,
		        ev->ip.v6 ? cidr6 : cidr4))
			return 1;
	return 0;
}

/* 0 when name/len can be asked: labels of 1..63 bytes, at most 253. */
static int
dns_ok_name(const char *name, size_t len)
{
	size_t off, n;

	if (spf_name_fit((const uint8_t *)name, len, &off, &n) != 0)
		return -1;
	return off == 0 && n == len ? 0 : -1;
}

/*
 * Is `name` a validated domain name of the client (§5.5): does one of its
 * addresses equal <ip>?  DNS errors count as no.
 */
static int
validated(struct spf_eval *ev, const char *name, size_t len)
{
	struct spf_ans a;
	int ok;

	if (dns_ok_name(name, len) != 0)
		return 0;
	query(ev, name, len, ev->ip.v6 ? VOUCH_DNS_AAAA : VOUCH_DNS_A, &a);
	ok = answer_has_ip(ev, a.ans, 32, 128);
	release(ev, &a);
	return ok;
}

/*
 * %{p} (§7.3): a validated name of the client, preferring the current
 * domain, then a subdomain of it, then any; -2 for none ("unknown").
 * At most 10 PTR names are tried (§4.6.4).
 */
static int
p_name(void *arg, char *buf, size_t cap)
{
	struct spf_eval *ev = arg;
	struct spf_ans a;
	char rev[80];
	size_t i, n, tried = 0, best_len = 0;
	int best = 0, rank;

	n = reverse_name(&ev->ip, rev, sizeof(rev));
	query(ev, rev, n, VOUCH_DNS_PTR, &a);
	for (i = 0; i < a.ans->nrr && a.ans->rcode == VOUCH_DNS_ANSWER &&
	            tried < VOUCH_SPF_MAX_ADDR_LOOKUPS && best < 3;
	     i++) {
		const struct vouch_dns_rr *rr = &a.ans->rr[i];
		size_t len = rr->len;

		if (rr->type != VOUCH_DNS_PTR)
			continue;
		tried++;
		if (len > 0 && rr->data[len - 1] == '.')
			len--;
		if (len == 0 || len >= cap ||
		    !validated(ev, (const char *)rr->data, len))
			continue;
		if (name_within((const char *)rr->data, len, ev->p_domain,
		        ev->p_domain_len))
			rank = len == ev->p_domain_len ? 3 : 2;
		else
			rank = 1;
		if (rank > best) {
			best = rank;
			memcpy(buf, rr->data, len);
			best_len = len;
		}
	}
	release(ev, &a);
	if (ev->st != VOUCH_OK)
		return -1;
	if (best == 0)
		return -2;
	buf[best_len] = '\0';
	return (int)best_len;
}

static enum vouch_spf_verdict check_host(struct spf_eval *ev,
    const char *domain, size_t dlen, unsigned depth, int in_include,
    const char *via);

/* a (§5.3) and the address half of mx (§5.4). */
static enum term_outcome
mech_a(struct spf_eval *ev, const struct spf_term *t, const char *name,
    size_t len, int count_voids)
{
	struct spf_ans a;
	enum term_outcome o = T_NOMATCH;
	enum vouch_dns_rcode rc;

	query(ev, name, len, ev->ip.v6 ? VOUCH_DNS_AAAA : VOUCH_DNS_A, &a);
	rc = a.ans->rcode;
	if (rc == VOUCH_DNS_TEMPFAIL || rc == VOUCH_DNS_PERMFAIL)
		/* RFC 7208 §5: a DNS error is temperror. */
		o = fail_with(ev, T_TEMPERROR, "DNS %s for %.*s",
		    a.ans->reason ? a.ans->reason : "error", (int)len, name);
	else if (count_type(a.ans, ev->ip.v6 ? VOUCH_DNS_AAAA : VOUCH_DNS_A) ==
	         0) {
		if (count_voids && count_void(ev) != 0)
			o = fail_with(ev, T_PERMERROR,
			    "more than %d void lookups",
			    VOUCH_SPF_MAX_VOID_LOOKUPS); /* RFC 7208 §4.6.4 */
	} else if (answer_has_ip(ev, a.ans, t->cidr4, t->cidr6))
		o = T_MATCH;
	release(ev, &a);
	return o;
}

/* mx (§5.4) */
static enum term_outcome
mech_mx(
    struct spf_eval *ev, const struct spf_term *t, const char *name, size_t len)
{
	struct spf_ans a;
	enum term_outcome o = T_NOMATCH;
	enum vouch_dns_rcode rc;
	size_t i, n;

	query(ev, name, len, VOUCH_DNS_MX, &a);
	rc = a.ans->rcode;
	n = count_type(a.ans, VOUCH_DNS_MX);
	if (rc == VOUCH_DNS_TEMPFAIL || rc == VOUCH_DNS_PERMFAIL)
		o = fail_with(ev, T_TEMPERROR, "DNS %s for MX %.*s",
		    a.ans->reason ? a.ans->reason : "error", (int)len, name);
	else if (n == 0) {
		/* RFC 7208 §5.4: no MX is no match, never an A lookup. */
		if (count_void(ev) != 0)
			o = fail_with(ev, T_PERMERROR,
			    "more than %d void lookups",
			    VOUCH_SPF_MAX_VOID_LOOKUPS);
	} else if (n > VOUCH_SPF_MAX_ADDR_LOOKUPS)
		/* RFC 7208 §4.6.4 */
		o = fail_with(ev, T_PERMERROR,
		    "%zu MX records for %.*s, more than %d", n, (int)len, name,
		    VOUCH_SPF_MAX_ADDR_LOOKUPS);
	else
		for (i = 0; i < a.ans->nrr && o == T_NOMATCH; i++) {
			const struct vouch_dns_rr *rr = &a.ans->rr[i];
			size_t l = rr->len;

			if (rr->type != VOUCH_DNS_MX)
				continue;
			if (l > 0 && rr->data[l - 1] == '.')
				l--;
			if (dns_ok_name((const char *)rr->data, l) != 0)
				continue; /* null MX "." and junk */
			o = mech_a(ev, t, (const char *)rr->data, l, 0);
		}
	release(ev, &a);
	return o;
}

/* ptr (§5.5) */
static enum term_outcome
mech_ptr(struct spf_eval *ev, const char *target, size_t tlen)
{
	struct spf_ans a;
	char rev[80];
	size_t i, n, tried = 0;
	enum term_outcome o = T_NOMATCH;

	n = reverse_name(&ev->ip, rev, sizeof(rev));
	query(ev, rev, n, VOUCH_DNS_PTR, &a);
	if (a.ans->rcode == VOUCH_DNS_NXDOMAIN ||
	    a.ans->rcode == VOUCH_DNS_NODATA ||
	    (a.ans->rcode == VOUCH_DNS_ANSWER &&
	        count_type(a.ans, VOUCH_DNS_PTR) == 0)) {
		if (count_void(ev) != 0)
			o = fail_with(ev, T_PERMERROR,
			    "more than %d void lookups",
			    VOUCH_SPF_MAX_VOID_LOOKUPS);
	}
	/* RFC 7208 §5.5: a DNS error on the PTR lookup is no match. */
	for (i = 0; o == T_NOMATCH && a.ans->rcode == VOUCH_DNS_ANSWER &&
	            i < a.ans->nrr && tried < VOUCH_SPF_MAX_ADDR_LOOKUPS;
	     i++) {
		const struct vouch_dns_rr *rr = &a.ans->rr[i];

		if (rr->type != VOUCH_DNS_PTR)
			continue;
		tried++; /* RFC 7208 §4.6.4: only the first 10 names */
		if (name_within(
		        (const char *)rr->data, rr->len, target, tlen) &&
		    validated(ev, (const char *)rr->data,
		        rr->len > 0 && rr->data[rr->len - 1] == '.'
		            ? rr->len - 1
		            : rr->len))
			o = T_MATCH;
	}
	release(ev, &a);
	return o;
}

/* exists (§5.7): any A record, whatever the client's family. */
static enum term_outcome
mech_exists(struct spf_eval *ev, const char *name, size_t len)
{
	struct spf_ans a;
	enum term_outcome o = T_NOMATCH;
	enum vouch_dns_rcode rc;

	query(ev, name, len, VOUCH_DNS_A, &a);
	rc = a.ans->rcode;
	if (rc == VOUCH_DNS_TEMPFAIL || rc == VOUCH_DNS_PERMFAIL)
		o = fail_with(ev, T_TEMPERROR, "DNS %s for %.*s",
		    a.ans->reason ? a.ans->reason : "error", (int)len, name);
	else if (count_type(a.ans, VOUCH_DNS_A) == 0) {
		if (count_void(ev) != 0)
			o = fail_with(ev, T_PERMERROR,
			    "more than %d void lookups",
			    VOUCH_SPF_MAX_VOID_LOOKUPS);
	} else
		o = T_MATCH;
	release(ev, &a);
	return o;
}

/* Evaluate one mechanism (§5) at level `depth`. */
static enum term_outcome
mechanism(struct spf_eval *ev, const struct spf_term *t, unsigned depth)
{
	struct spf_level *lv = &ev->level[depth];
	char name[VOUCH_DNS_MAX_NAME + 1];
	size_t len;
	enum vouch_spf_verdict r;

	switch (t->mech) {
	case SPF_M_ALL:
		return T_MATCH;
	case SPF_M_IP4:
		return spf_ip_match(&ev->ip, t->addr, 0, t->cidr4) ? T_MATCH
		                                                   : T_NOMATCH;
	case SPF_M_IP6:
		return spf_ip_match(&ev->ip, t->addr, 1, t->cidr6) ? T_MATCH
		                                                   : T_NOMATCH;
	default:
		break;
	}
	if (count_dns_term(ev) != 0) /* RFC 7208 §4.6.4 */
		return fail_with(ev, T_PERMERROR,
		    "more than %d DNS-querying terms", VOUCH_SPF_MAX_DNS_TERMS);
	if (target_name(ev, lv, t->domain, t->domain_len, 1, name, &len) != 0)
		return T_PERMERROR;
	switch (t->mech) {
	case SPF_M_INCLUDE:
		r = check_host(ev, name, len, depth + 1, 1, "include");
		trace(ev, "  include:%s gave %s (level %u)", name,
		    vouch_spf_verdict_str(r), depth);
		/* RFC 7208 §5.2: the include table */
		switch (r) {
		case VOUCH_SPF_PASS:
			return T_MATCH;
		case VOUCH_SPF_FAIL:
		case VOUCH_SPF_SOFTFAIL:
		case VOUCH_SPF_NEUTRAL:
			return T_NOMATCH;
		case VOUCH_SPF_TEMPERROR:
			return T_TEMPERROR;
		case VOUCH_SPF_NONE:
			return fail_with(ev, T_PERMERROR,
			    "included domain %s has no SPF record", name);
		default:
			return T_PERMERROR;
		}
	case SPF_M_A:
		return mech_a(ev, t, name, len, 1);
	case SPF_M_MX:
		return mech_mx(ev, t, name, len);
	case SPF_M_PTR:
		return mech_ptr(ev, name, len);
	case SPF_M_EXISTS:
		return mech_exists(ev, name, len);
	default:
		return T_PERMERROR;
	}
}

/*
 * The explanation of a fail (§6.2): the exp= text of this record expanded,
 * or the default explanation when there is none or it cannot be used
 * (bad name, DNS error, not exactly one TXT record, bad syntax).  exp=
 * counts toward no limit (§4.6.4).
 */
static void
explain(struct spf_eval *ev, unsigned depth)
{
	struct spf_level *lv = &ev->level[depth];
	struct spf_macro_env env;
	struct spf_ans a;
	struct vbuf *out = &ev->explain;
	char name[VOUCH_DNS_MAX_NAME + 1];
	size_t len, i;
	const struct vouch_dns_rr *txt = NULL;
	enum vouch_status st;

	vbuf_reset(out);
	if (lv->rec->exp != NULL && target_name(ev, lv, lv->rec->exp,
	                                lv->rec->exp_len, 0, name, &len) == 0) {
		query(ev, name, len, VOUCH_DNS_TXT, &a);
		if (count_type(a.ans, VOUCH_DNS_TXT) == 1)
			for (i = 0; i < a.ans->nrr; i++)
				if (a.ans->rr[i].type == VOUCH_DNS_TXT)
					txt = &a.ans->rr[i];
		if (txt != NULL) {
			macro_env(ev, lv, &env);
			st = spf_macro_expand(
			    &env, txt->data, txt->len, SPF_MACRO_EXPLAIN, out);
			if (st == VOUCH_ENOMEM)
				ev->st = st;
			if (st != VOUCH_OK) {
				trace(ev, "  exp= text unusable (%s)",
				    vouch_status_str(st));
				txt = NULL;
			}
		} else
			trace(
			    ev, "  exp= %s: not exactly one TXT record", name);
		release(ev, &a);
	}
	if (txt == NULL) {
		vbuf_reset(out);
		macro_env(ev, lv, &env);
		st = spf_macro_expand(&env, ev->spf->default_exp,
		    ev->spf->default_exp_len, SPF_MACRO_EXPLAIN, out);
		if (st == VOUCH_ENOMEM)
			ev->st = st;
	}
	if (out->p != NULL)
		set_text(ev->res->explanation, sizeof(ev->res->explanation),
		    out->p, out->len);
	trace(ev, "  explanation%s: %s", txt != NULL ? "" : " (default)",
	    ev->res->explanation);
}

static enum vouch_spf_verdict
qualifier_verdict(char q)
{
	switch (q) {
	case '-':
		return VOUCH_SPF_FAIL;
	case '~':
		return VOUCH_SPF_SOFTFAIL;
	case '?':
		return VOUCH_SPF_NEUTRAL;
	default:
		return VOUCH_SPF_PASS;
	}
}

/*
 * Keep a copy of a parsed record with its cached answer (one block: the
 * record, then its terms, which point into the answer), so the next
 * evaluation skips the parse.  Out of memory just means no copy.
 */
static void
keep_record(struct spf_level *lv)
{
	struct spf_record *copy;
	size_t n = lv->own.nterms;

	copy = malloc(sizeof(*copy) + n * sizeof(struct spf_term));
	if (copy == NULL)
		return;
	*copy = lv->own;
	copy->terms = (struct spf_term *)(copy + 1);
	copy->cap = n;
	if (n > 0)
		memcpy(copy->terms, lv->own.terms, n * sizeof(struct spf_term));
	lv->rec = dns_cache_set_aux(lv->txt.ent, copy);
}

/*
 * Fetch and select the SPF record of a domain (§4.4, §4.5) into level
 * `depth`.  Returns -1 with *v set when there is no record to evaluate.
 */
static int
fetch_record(struct spf_eval *ev, unsigned depth, enum vouch_spf_verdict *v)
{
	struct spf_level *lv = &ev->level[depth];
	const struct vouch_dns_rr *rec = NULL;
	const char *why = NULL;
	size_t i, nspf = 0, where = 0;
	enum vouch_status st;

	query(ev, lv->domain, lv->domain_len, VOUCH_DNS_TXT, &lv->txt);
	switch (lv->txt.ans->rcode) {
	case VOUCH_DNS_TEMPFAIL:
	case VOUCH_DNS_PERMFAIL:
		/* RFC 7208 §4.4: a DNS error is temperror */
		fail_with(ev, T_TEMPERROR, "DNS %s looking up TXT of %s",
		    lv->txt.ans->reason ? lv->txt.ans->reason : "error",
		    lv->domain);
		*v = VOUCH_SPF_TEMPERROR;
		return -1;
	case VOUCH_DNS_NXDOMAIN: /* RFC 7208 §4.3 */
	case VOUCH_DNS_NODATA:
		*v = VOUCH_SPF_NONE;
		trace(ev, "  no SPF record: none");
		return -1;
	default:
		break;
	}
	for (i = 0; i < lv->txt.ans->nrr; i++) {
		const struct vouch_dns_rr *rr = &lv->txt.ans->rr[i];

		if (rr->type == VOUCH_DNS_TXT &&
		    spf_record_is_spf1(rr->data, rr->len)) {
			nspf++;
			rec = rr;
		}
	}
	if (nspf == 0) {
		*v = VOUCH_SPF_NONE;
		trace(ev, "  no v=spf1 record: none");
		return -1;
	}
	if (nspf > 1) {
		/* RFC 7208 §4.5: more than one record is permerror */
		fail_with(ev, T_PERMERROR, "%zu SPF records for %s", nspf,
		    lv->domain);
		*v = VOUCH_SPF_PERMERROR;
		return -1;
	}
	trace(ev, "  record: %.*s", TXT(rec->data, rec->len));
	if (lv->txt.ent != NULL &&
	    (lv->rec = dns_cache_aux(lv->txt.ent)) != NULL)
		return 0; /* parsed before, kept with the answer */
	lv->rec = &lv->own;
	st = spf_record_parse(&lv->own, rec->data, rec->len, &why, &where);
	if (st == VOUCH_ENOMEM) {
		ev->st = st;
		*v = VOUCH_SPF_PERMERROR;
		return -1;
	}
	if (st != VOUCH_OK) {
		size_t e = where;

		while (e < rec->len && rec->data[e] != ' ')
			e++;
		/* RFC 7208 §4.6: a syntax error anywhere is permerror. */
		fail_with(ev, T_PERMERROR,
		    "syntax error in SPF record of %s at \"%.*s\": %s",
		    lv->domain, TXT(rec->data + where, e - where), why);
		*v = VOUCH_SPF_PERMERROR;
		return -1;
	}
	if (lv->txt.ent != NULL && lv->own.nterms <= VOUCH_SPF_KEEP_TERMS)
		keep_record(lv);
	return 0;
}

/*
 * check_host(<ip>, <domain>, <sender>) of RFC 7208 §4 at level `depth`;
 * `in_include` tells a level below an include (whose exp= is not used,
 * §6.2, and whose matches are not the deciding mechanism); `via` names the
 * term that fetched the record ("include", "redirect"; NULL at the top)
 * for the trace.
 */
static enum vouch_spf_verdict
check_host(struct spf_eval *ev, const char *domain, size_t dlen, unsigned depth,
    int in_include, const char *via)
{
	struct spf_level *lv;
	const struct spf_term *t;
	enum vouch_spf_verdict v;
	enum term_outcome o;
	char name[VOUCH_DNS_MAX_NAME + 1];
	size_t i, len;
	unsigned caller_depth = ev->trace_depth;

	if (depth > VOUCH_SPF_MAX_DEPTH) {
		fail_with(ev, T_PERMERROR, "include/redirect nesting too deep");
		return VOUCH_SPF_PERMERROR;
	}
	ev->trace_depth = depth;
	lv = &ev->level[depth];
	memcpy(lv->domain, domain, dlen);
	lv->domain[dlen] = '\0';
	lv->domain_len = dlen;
	trace(ev, "check_host %s (level %u%s%s)", lv->domain, depth,
	    via != NULL ? ", " : "", via != NULL ? via : "");
	if (fetch_record(ev, depth, &v) != 0)
		goto out;
	for (i = 0; i < lv->rec->nterms; i++) {
		t = &lv->rec->terms[i];
		trace(ev, " term %.*s", TXT(t->text, t->len));
		o = mechanism(ev, t, depth);
		if (ev->st != VOUCH_OK) {
			v = VOUCH_SPF_PERMERROR;
			goto out;
		}
		if (o == T_TEMPERROR) {
			v = VOUCH_SPF_TEMPERROR;
			goto out;
		}
		if (o == T_PERMERROR) {
			v = VOUCH_SPF_PERMERROR;
			goto out;
		}
		if (o == T_MATCH) {
			v = qualifier_verdict(t->qualifier);
			trace(ev, "  match: %s, %s stops here",
			    vouch_spf_verdict_str(v), lv->domain);
			if (!in_include) {
				set_text(ev->res->mechanism,
				    sizeof(ev->res->mechanism), t->text,
				    t->len);
				if (v == VOUCH_SPF_FAIL)
					explain(ev, depth);
			}
			goto out;
		}
		trace(ev, "  no match");
	}
	if (lv->rec->redirect != NULL) {
		/* RFC 7208 §6.1: redirect= only when no mechanism matched */
		trace(ev, " redirect=%.*s",
		    TXT(lv->rec->redirect, lv->rec->redirect_len));
		if (count_dns_term(ev) != 0) {
			fail_with(ev, T_PERMERROR,
			    "more than %d DNS-querying terms",
			    VOUCH_SPF_MAX_DNS_TERMS); /* RFC 7208 §4.6.4 */
			v = VOUCH_SPF_PERMERROR;
			goto out;
		}
		if (target_name(ev, lv, lv->rec->redirect,
		        lv->rec->redirect_len, 1, name, &len) != 0) {
			v = VOUCH_SPF_PERMERROR;
			goto out;
		}
		/* The record's own exp= is not used (§6.2). */
		v = check_host(
		    ev, name, len, depth + 1, in_include, "redirect");
		if (v == VOUCH_SPF_NONE) {
			/* RFC 7208 §6.1: no record at the target */
			fail_with(ev, T_PERMERROR,
			    "redirect target %s has no SPF record", name);
			v = VOUCH_SPF_PERMERROR;
		}
		goto out;
	}
	/* RFC 7208 §4.7: nothing matched and no redirect */
	v = VOUCH_SPF_NEUTRAL;
	if (!in_include)
		memcpy(ev->res->mechanism, "default", 8);
	trace(ev, "  no term matched: neutral");
out:
	release(ev, &lv->txt);
	ev->trace_depth = caller_depth;
	return v;
}

/*
 * A <domain> fit for check_host (§4.3): labels of 1..63 bytes, at most 253
 * bytes, at least two labels.  The length without a final dot, or 0.
 */
static size_t
valid_domain(const uint8_t *p, size_t len)
{
	size_t off, n;

	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len > VOUCH_DNS_MAX_NAME || spf_name_fit(p, len, &off, &n) != 0)
		return 0;
	if (memchr(p, '.', len) == NULL)
		return 0; /* RFC 7208 §4.3: not a multi-label domain */
	return len;
}

/*
 * The result cache key: the client address and the domain, which is all a
 * result depends on when no sender macro was expanded (RFC 7208 §7.3).
 */
static size_t
result_key(
    const struct spf_eval *ev, const uint8_t *dom, size_t dlen, uint8_t *key)
{
	key[0] = (uint8_t)ev->ip.v6;
	memcpy(key + 1, ev->ip.a, 16);
	memcpy(key + 17, dom, dlen);
	return 17 + dlen;
}

static int
result_cached(struct spf_eval *ev, const uint8_t *dom, size_t dlen)
{
	uint8_t key[17 + VOUCH_DNS_MAX_NAME];

	if (!ev->spf->rcache_on)
		return 0;
	return spf_rcache_get(&ev->spf->rcache, key,
	    result_key(ev, dom, dlen, key), ev->mono, ev->res);
}

static void
result_keep(struct spf_eval *ev, const uint8_t *dom, size_t dlen)
{
	uint8_t key[17 + VOUCH_DNS_MAX_NAME];

	if (!ev->spf->rcache_on || ev->st != VOUCH_OK || ev->uncacheable ||
	    (ev->used & SENDER_LETTERS) != 0 ||
	    ev->res->verdict == VOUCH_SPF_TEMPERROR ||
	    ev->ttl_left == UINT32_MAX)
		return;
	spf_rcache_put(&ev->spf->rcache, key, result_key(ev, dom, dlen, key),
	    ev->mono, ev->res, ev->ttl_left);
}

static struct spf_eval *
eval_get(struct vouch_spf *spf)
{
	struct spf_eval *ev;

	pthread_mutex_lock(&spf->pool_lock);
	if ((ev = spf->pool) != NULL)
		spf->pool = ev->next;
	pthread_mutex_unlock(&spf->pool_lock);
	if (ev == NULL) {
		if ((ev = calloc(1, sizeof(*ev))) == NULL)
			return NULL;
		vbuf_init(&ev->sender, VOUCH_SPF_MAX_EXPANSION);
		vbuf_init(&ev->expand, VOUCH_SPF_MAX_EXPANSION);
		vbuf_init(&ev->explain, VOUCH_SPF_MAX_EXPLANATION);
		vbuf_init(&ev->trace, VOUCH_SPF_MAX_EXPANSION);
	}
	ev->spf = spf;
	ev->st = VOUCH_OK;
	ev->used = 0;
	ev->ttl_left = UINT32_MAX;
	ev->uncacheable = 0;
	vbuf_reset(&ev->sender);
	return ev;
}

static void
eval_free(struct spf_eval *ev)
{
	size_t i;

	for (i = 0; i <= VOUCH_SPF_MAX_DEPTH; i++)
		spf_record_free(&ev->level[i].own);
	vbuf_free(&ev->sender);
	vbuf_free(&ev->expand);
	vbuf_free(&ev->explain);
	vbuf_free(&ev->trace);
	free(ev);
}

static void
eval_put(struct vouch_spf *spf, struct spf_eval *ev)
{
	size_t i;

	/* A pooled context keeps only the term storage real records need:
	 * a hostile 64 KiB record does not pin megabytes. */
	for (i = 0; i <= VOUCH_SPF_MAX_DEPTH; i++)
		if (ev->level[i].own.cap > VOUCH_SPF_KEEP_TERMS)
			spf_record_free(&ev->level[i].own);
	pthread_mutex_lock(&spf->pool_lock);
	ev->next = spf->pool;
	spf->pool = ev;
	pthread_mutex_unlock(&spf->pool_lock);
}

enum vouch_status
vouch_spf_check(struct vouch_spf *spf, const struct vouch_spf_request *req,
    struct vouch_spf_result *res)
{
	struct spf_eval *ev;
	const uint8_t *mf, *at = NULL, *dom;
	size_t i, dlen;
	enum vouch_status st;

	if (spf == NULL || req == NULL || res == NULL || req->ip == NULL)
		return VOUCH_EINVAL;
	/*
	 * Every text is written NUL-terminated when set: emptied here rather
	 * than the 2.8 KB struct cleared, which cost a tenth of an
	 * evaluation answered from the caches.
	 */
	res->verdict = VOUCH_SPF_NONE;
	res->identity = req->identity;
	res->sender[0] = res->domain[0] = res->mechanism[0] = '\0';
	res->explanation[0] = res->reason[0] = '\0';
	res->dns_lookups = res->void_lookups = res->dns_queries = 0;
	if ((ev = eval_get(spf)) == NULL)
		return VOUCH_ENOMEM;
	ev->res = res;
	if (spf_ip_parse(req->ip, req->ip_len, &ev->ip) != 0) {
		eval_put(spf, ev);
		return VOUCH_EINVAL;
	}
	ev->helo = (const uint8_t *)(req->helo ? req->helo : "");
	ev->helo_len = req->helo ? req->helo_len : 0;
	ev->receiver = (const uint8_t *)req->receiver;
	ev->receiver_len = req->receiver ? req->receiver_len : 0;
	ev->now = req->now ? req->now : time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &ev->deadline);
	ev->mono = ev->deadline.tv_sec; /* the caches' clock */
	ev->deadline.tv_sec += VOUCH_SPF_MAX_SECONDS;

	/*
	 * <sender> and <domain> (§4.1, §4.3): MAIL FROM, or postmaster@HELO
	 * for the HELO identity and for the null reverse-path (§2.4); a
	 * missing local-part is "postmaster" (§4.3).
	 */
	mf = (const uint8_t *)req->mail_from;
	if (req->identity == VOUCH_SPF_MAILFROM && mf != NULL &&
	    req->mail_from_len > 0) {
		for (i = req->mail_from_len; i > 0; i--)
			if (mf[i - 1] == '@') {
				at = mf + i - 1;
				break;
			}
		if (at == NULL || at == mf) {
			(void)vbuf_adds(&ev->sender, "postmaster");
			dom = at == NULL ? mf : at + 1;
		} else {
			(void)vbuf_add(&ev->sender, mf, (size_t)(at - mf));
			dom = at + 1;
		}
		dlen = req->mail_from_len - (size_t)(dom - mf);
	} else {
		(void)vbuf_adds(&ev->sender, "postmaster");
		dom = ev->helo;
		dlen = ev->helo_len;
	}
	ev->local_len = ev->sender.len;
	(void)vbuf_addc(&ev->sender, '@');
	(void)vbuf_add(&ev->sender, dom, dlen);
	if (ev->sender.err == VOUCH_ENOMEM) {
		eval_put(spf, ev);
		return VOUCH_ENOMEM;
	}
	if (ev->sender.err != VOUCH_OK) {
		res->verdict = VOUCH_SPF_NONE;
		set_text(
		    res->reason, sizeof(res->reason), "sender too long", 15);
		set_text(res->domain, sizeof(res->domain), dom,
		    dlen > VOUCH_DNS_MAX_NAME ? VOUCH_DNS_MAX_NAME : dlen);
		eval_put(spf, ev);
		return VOUCH_OK;
	}
	set_text(
	    res->sender, sizeof(res->sender), ev->sender.p, ev->sender.len);
	set_text(res->domain, sizeof(res->domain), dom,
	    dlen > 0 && dom[dlen - 1] == '.' ? dlen - 1 : dlen);
	ev->trace_depth = 0;
	trace(ev, "identity %s, sender %.*s, ip %.*s",
	    req->identity == VOUCH_SPF_HELO ? "helo" : "mailfrom",
	    TXT(ev->sender.p, ev->sender.len), TXT(req->ip, req->ip_len));

	if ((dlen = valid_domain(dom, dlen)) == 0 ||
	    memchr(dom, '\0', dlen) != NULL) {
		/* RFC 7208 §4.3: a malformed domain is "none" */
		res->verdict = VOUCH_SPF_NONE;
		set_text(res->reason, sizeof(res->reason),
		    "no valid domain to check", 24);
		trace(ev, "stop: not a valid multi-label domain: none");
	} else if (result_cached(ev, dom, dlen)) {
		trace(ev, "result from the result cache");
	} else {
		res->verdict =
		    check_host(ev, (const char *)dom, dlen, 0, 0, NULL);
		result_keep(ev, dom, dlen);
	}
	if (res->verdict == VOUCH_SPF_NONE && res->reason[0] == '\0')
		set_text(res->reason, sizeof(res->reason), "no SPF record", 13);
	trace(ev,
	    "result %s; DNS-querying terms: %u, void lookups: %u, DNS "
	    "queries: %u",
	    vouch_spf_verdict_str(res->verdict), res->dns_lookups,
	    res->void_lookups, res->dns_queries);
	st = ev->st;
	eval_put(spf, ev);
	return st;
}

enum vouch_status
vouch_spf_new(struct vouch_dns *dns, struct vouch_spf **out)
{
	struct vouch_spf *spf;
	enum vouch_status st;

	*out = NULL;
	if (dns == NULL)
		return VOUCH_EINVAL;
	if ((spf = calloc(1, sizeof(*spf))) == NULL)
		return VOUCH_ENOMEM;
	spf->dns = dns;
	spf->cache_on = spf->rcache_on = 1;
	/* each answer counted with room for a kept parse of its record */
	if (dns_cache_init(&spf->cache, VOUCH_SPF_CACHE_MAX,
	        VOUCH_SPF_CACHE_MAX_BYTES,
	        VOUCH_SPF_KEEP_TERMS * 96) != VOUCH_OK) {
		free(spf);
		return VOUCH_ENOMEM;
	}
	if (spf_rcache_init(&spf->rcache) != VOUCH_OK) {
		dns_cache_fini(&spf->cache);
		free(spf);
		return VOUCH_ENOMEM;
	}
	if (pthread_mutex_init(&spf->pool_lock, NULL) != 0) {
		dns_cache_fini(&spf->cache);
		spf_rcache_fini(&spf->rcache);
		free(spf);
		return VOUCH_ENOMEM;
	}
	st = vouch_spf_set_default_explanation(spf,
	    VOUCH_SPF_DEFAULT_EXPLANATION,
	    sizeof(VOUCH_SPF_DEFAULT_EXPLANATION) - 1);
	if (st != VOUCH_OK) {
		vouch_spf_free(spf);
		return st;
	}
	*out = spf;
	return VOUCH_OK;
}

void
vouch_spf_free(struct vouch_spf *spf)
{
	struct spf_eval *ev;

	if (spf == NULL)
		return;
	while ((ev = spf->pool) != NULL) {
		spf->pool = ev->next;
		eval_free(ev);
	}
	dns_cache_fini(&spf->cache);
	spf_rcache_fini(&spf->rcache);
	pthread_mutex_destroy(&spf->pool_lock);
	free(spf->default_exp);
	free(spf);
}

enum vouch_status
vouch_spf_set_default_explanation(
    struct vouch_spf *spf, const char *text, size_t len)
{
	uint8_t *p;

	if (spf == NULL || (text == NULL && len > 0))
		return VOUCH_EINVAL;
	if (len > VOUCH_SPF_MAX_EXPLANATION)
		return VOUCH_ELIMIT;
	if (spf_macro_check((const uint8_t *)text, len, SPF_MACRO_EXPLAIN,
	        NULL) != VOUCH_OK)
		return VOUCH_ESYNTAX;
	if ((p = malloc(len + 1)) == NULL)
		return VOUCH_ENOMEM;
	if (len > 0)
		memcpy(p, text, len);
	p[len] = '\0';
	free(spf->default_exp);
	spf->default_exp = p;
	spf->default_exp_len = len;
	/* Kept results may carry the old default explanation. */
	spf_rcache_clear(&spf->rcache);
	return VOUCH_OK;
}

void
vouch_spf_set_trace(struct vouch_spf *spf, vouch_spf_trace_fn fn, void *arg)
{
	spf->trace = fn;
	spf->trace_arg = arg;
}

void
vouch_spf_set_cache(struct vouch_spf *spf, unsigned flags)
{
	spf->cache_on = (flags & VOUCH_SPF_CACHE_DNS) != 0;
	spf->rcache_on = (flags & VOUCH_SPF_CACHE_RESULTS) != 0;
	if (!spf->rcache_on)
		spf_rcache_clear(&spf->rcache);
}

const char *
vouch_spf_verdict_str(enum vouch_spf_verdict v)
{
	switch (v) {
	case VOUCH_SPF_NONE:
		return "none";
	case VOUCH_SPF_NEUTRAL:
		return "neutral";
	case VOUCH_SPF_PASS:
		return "pass";
	case VOUCH_SPF_FAIL:
		return "fail";
	case VOUCH_SPF_SOFTFAIL:
		return "softfail";
	case VOUCH_SPF_TEMPERROR:
		return "temperror";
	case VOUCH_SPF_PERMERROR:
		return "permerror";
	}
	return "unknown";
}
