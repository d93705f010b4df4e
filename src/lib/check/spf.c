/*
 * vouch check, SPF (RFC 7208): the record at the domain, and the whole
 * tree its include and redirect terms reach, counted the way check_host()
 * would count it at worst (every term evaluated, §4.6.4).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "spf/internal.h"

/* One walk of an include tree. */
struct walk {
	struct check_ctx *c;
	int quiet; /* count only: no findings, no names */
	unsigned lookups; /* DNS-querying terms (§4.6.4) */
	unsigned voids; /* of them, those that found nothing */
	unsigned nrecords; /* records fetched */
	int cut; /* stopped at VOUCH_CHECK_MAX_SPF_RECORDS */
	unsigned nvoid_tests; /* terms looked up for void lookups */
	size_t depth;
	const char *path[VOUCH_SPF_MAX_DEPTH + 1]; /* names being walked */
	/* top level: what each include: and redirect= costs, for a person */
	char costs[VOUCH_CHECK_MAX_TEXT / 2];
	size_t costs_len;
	/* quiet walk: what a customer of this domain should include */
	char target[VOUCH_DNS_MAX_NAME + 1];
};

static struct vouch_check_finding *wadd(struct walk *w,
    enum vouch_check_severity sev, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static struct vouch_check_finding *
wadd(struct walk *w, enum vouch_check_severity sev, const char *code,
    const char *fmt, ...)
{
	struct vouch_check_finding *f;
	va_list ap;

	if (w->quiet)
		return NULL;
	va_start(ap, fmt);
	f = check_vadd(w->c, VOUCH_CHECK_SPF, sev, code, fmt, ap);
	va_end(ap);
	return f;
}

/* The SPF records of a TXT answer (RFC 7208 §4.5): count, first index. */
static size_t
spf_records(const struct vouch_dns_answer *a, size_t *first)
{
	size_t i, n = 0;

	*first = 0;
	if (a->rcode != VOUCH_DNS_ANSWER)
		return 0;
	for (i = 0; i < a->nrr; i++) {
		if (a->rr[i].type != VOUCH_DNS_TXT ||
		    !spf_record_is_spf1(a->rr[i].data, a->rr[i].len))
			continue;
		if (n++ == 0)
			*first = i;
	}
	return n;
}

/*
 * A domain-spec as a query name: NUL-terminated in out (VOUCH_DNS_MAX_NAME
 * + 1 bytes), lower case, no final dot.  -1 when it holds a macro (it
 * depends on the message, §7) or is not a name.
 */
static int
spec_name(const uint8_t *p, size_t len, char *out)
{
	size_t i;

	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len == 0 || len > VOUCH_DNS_MAX_NAME || memchr(p, '%', len))
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return -1;
		out[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] + 32)
		                                      : (char)p[i];
	}
	out[len] = '\0';
	return 0;
}

/*
 * Does `name` have no record of `type`?  1 (NXDOMAIN or NODATA: a void
 * lookup, §4.6.4), 0 (records; *nrr their count), -1 (the DNS failed, or
 * ENOMEM, which is then sticky in the context).
 */
static int
lookup_void(struct check_ctx *c, const char *name, uint16_t type, size_t *nrr)
{
	struct vouch_dns_answer *a = NULL;
	int v;

	if (vouch_dns_query(c->dns, name, strlen(name), type, &a) != VOUCH_OK) {
		c->err = VOUCH_ENOMEM;
		return -1;
	}
	switch (a->rcode) {
	case VOUCH_DNS_ANSWER:
		v = 0;
		if (nrr != NULL)
			*nrr = a->nrr;
		break;
	case VOUCH_DNS_NODATA:
	case VOUCH_DNS_NXDOMAIN:
		v = 1;
		break;
	default:
		v = -1;
		break;
	}
	vouch_dns_answer_free(a);
	return v;
}

static void walk_name(struct walk *w, const char *name, const char *how);

/* Note at the top level what one include:/redirect= term cost. */
static void
note_cost(struct walk *w, const char *how, const char *target, unsigned n)
{
	int k;

	if (w->depth != 1 || w->costs_len >= sizeof(w->costs))
		return;
	k = snprintf(w->costs + w->costs_len, sizeof(w->costs) - w->costs_len,
	    "%s%s%s %u", w->costs_len ? ", " : "", how, target, n);
	if (k > 0)
		w->costs_len += (size_t)k;
	if (w->costs_len >= sizeof(w->costs))
		w->costs[sizeof(w->costs) - 1] = '\0';
}

/* Follow include: or redirect= to `target`, unless that would loop. */
static void
follow(struct walk *w, const char *from, const char *how, const char *target)
{
	size_t i;

	for (i = 0; i < w->depth; i++) {
		if (strcmp(w->path[i], target) == 0) {
			struct vouch_check_finding *f;

			f = wadd(w, VOUCH_CHECK_ERROR, "spf-include-loop",
			    "%s: %s%s comes back to a record already being "
			    "evaluated: the loop is a permerror (RFC 7208 "
			    "§4.6.4)",
			    from, how, target);
			check_fix(f, "remove %s%s from the record of %s", how,
			    target, from);
			return;
		}
	}
	if (w->depth >= VOUCH_SPF_MAX_DEPTH) {
		wadd(w, VOUCH_CHECK_ERROR, "spf-too-many-lookups",
		    "%s: includes nested deeper than %d levels", from,
		    VOUCH_SPF_MAX_DEPTH);
		return;
	}
	walk_name(w, target, how);
}

/* A term that finds no record: one void lookup (RFC 7208 §4.6.4). */
static void
void_term(struct walk *w, const char *from, const struct spf_term *t,
    const char *what)
{
	struct vouch_check_finding *f;

	w->voids++;
	f = wadd(w, VOUCH_CHECK_WARNING, "spf-void-lookup",
	    "%s: '%.*s' finds no %s: a void lookup (RFC 7208 §4.6.4 allows "
	    "two)",
	    from, (int)t->len, (const char *)t->text, what);
	check_fix(f, "remove '%.*s' from the record of %s", (int)t->len,
	    (const char *)t->text, from);
}

/* Walk one parsed record at `name` (depth w->depth). */
static void
walk_terms(struct walk *w, const char *name, const struct spf_record *rec)
{
	char target[VOUCH_DNS_MAX_NAME + 1], first[VOUCH_DNS_MAX_NAME + 1];
	struct vouch_check_finding *f;
	const struct spf_term *t;
	size_t i, nrr = 0, nincludes = 0, nother = 0;
	unsigned before;
	int saw_all = 0, v;

	first[0] = '\0';
	w->path[w->depth++] = name;
	for (i = 0; i < rec->nterms && w->c->err == VOUCH_OK; i++) {
		t = &rec->terms[i];
		if (saw_all) {
			/* "all" always matches: check_host() never reaches
			 * what follows, so it costs nothing (RFC 7208 §5.1). */
			f = wadd(w, VOUCH_CHECK_WARNING, "spf-after-all",
			    "%s: '%.*s' and what follows come after 'all' "
			    "and are never evaluated (RFC 7208 §5.1)",
			    name, (int)t->len, (const char *)t->text);
			check_fix(f, "move the terms before 'all', or remove "
			             "them");
			break;
		}
		if (t->mech != SPF_M_ALL && t->mech != SPF_M_INCLUDE)
			nother++;
		if (t->mech != SPF_M_ALL && t->mech != SPF_M_IP4 &&
		    t->mech != SPF_M_IP6)
			w->lookups++;
		if (t->mech == SPF_M_ALL) {
			saw_all = 1;
			if (t->qualifier == '+') {
				f = wadd(w, VOUCH_CHECK_ERROR, "spf-pass-all",
				    "%s: '%.*s' lets every host on the "
				    "internet pass SPF",
				    name, (int)t->len, (const char *)t->text);
				check_fix(f,
				    "end the record of %s with -all (or ~all "
				    "while testing)",
				    name);
			} else if (t->qualifier == '?' && w->depth == 1) {
				f = wadd(w, VOUCH_CHECK_WARNING,
				    "spf-neutral-all",
				    "%s: '?all' gives neutral for every other "
				    "host: SPF protects nothing",
				    name);
				check_fix(f,
				    "end the record with -all (or ~all while "
				    "testing)");
			}
			continue;
		}
		if (t->mech == SPF_M_IP4 || t->mech == SPF_M_IP6)
			continue;
		if (t->mech == SPF_M_PTR) {
			f = wadd(w, VOUCH_CHECK_WARNING, "spf-ptr",
			    "%s: '%.*s' is deprecated: the ptr mechanism "
			    "SHOULD NOT be used (RFC 7208 §5.5); it is slow "
			    "and receivers may skip it",
			    name, (int)t->len, (const char *)t->text);
			check_fix(f,
			    "replace '%.*s' with ip4:/ip6: or a: terms "
			    "naming the sending hosts",
			    (int)t->len, (const char *)t->text);
			continue;
		}
		if (t->domain == NULL) {
			memcpy(target, name, strlen(name) + 1);
		} else if (spec_name(t->domain, t->domain_len, target) != 0) {
			wadd(w, VOUCH_CHECK_INFO, "spf-macro",
			    "%s: '%.*s' depends on the message (macros, "
			    "RFC 7208 §7): counted as one lookup, not "
			    "followed",
			    name, (int)t->len, (const char *)t->text);
			continue;
		}
		if (t->mech != SPF_M_INCLUDE &&
		    w->nvoid_tests++ >= VOUCH_CHECK_MAX_VOID_TESTS) {
			w->cut = 1;
			continue;
		}
		switch (t->mech) {
		case SPF_M_INCLUDE:
			if (nincludes++ == 0)
				memcpy(first, target, strlen(target) + 1);
			before = w->lookups;
			follow(w, name, "include:", target);
			note_cost(
			    w, "include:", target, w->lookups - before + 1);
			break;
		case SPF_M_A:
			v = lookup_void(w->c, target, VOUCH_DNS_A, NULL);
			if (v == 1 && lookup_void(w->c, target, VOUCH_DNS_AAAA,
			                  NULL) == 1)
				void_term(w, name, t, "address (A or AAAA)");
			break;
		case SPF_M_MX:
			v = lookup_void(w->c, target, VOUCH_DNS_MX, &nrr);
			if (v == 1)
				void_term(w, name, t, "MX record");
			else if (v == 0 && nrr > VOUCH_SPF_MAX_ADDR_LOOKUPS) {
				f = wadd(w, VOUCH_CHECK_ERROR,
				    "spf-too-many-mx",
				    "%s: '%.*s' finds %zu MX hosts; more than "
				    "10 is a permerror (RFC 7208 §4.6.4)",
				    name, (int)t->len, (const char *)t->text,
				    nrr);
				check_fix(f,
				    "replace '%.*s' with ip4:/ip6: ranges",
				    (int)t->len, (const char *)t->text);
			}
			break;
		case SPF_M_EXISTS:
			if (lookup_void(w->c, target, VOUCH_DNS_A, NULL) == 1)
				void_term(w, name, t, "address (A)");
			break;
		default:
			break;
		}
	}
	if (w->c->err == VOUCH_OK && rec->redirect != NULL && !saw_all) {
		/* RFC 7208 §6.1: redirect= is ignored when "all" is there. */
		w->lookups++;
		if (spec_name(rec->redirect, rec->redirect_len, target) != 0)
			wadd(w, VOUCH_CHECK_INFO, "spf-macro",
			    "%s: the redirect= target depends on the message "
			    "(macros, RFC 7208 §7): counted, not followed",
			    name);
		else {
			if (nother == 0 && nincludes == 0) {
				memcpy(first, target, strlen(target) + 1);
				nincludes = 1;
			}
			before = w->lookups;
			follow(w, name, "redirect=", target);
			note_cost(
			    w, "redirect=", target, w->lookups - before + 1);
		}
	}
	/*
	 * What a customer includes: the one include (or redirect=) a
	 * provider's record delegates to, else the provider's name.
	 */
	if (w->depth == 1 && nother == 0 && nincludes == 1 && first[0] != '\0')
		memcpy(w->target, first, strlen(first) + 1);
	else if (w->depth == 1)
		memcpy(w->target, name, strlen(name) + 1);
	if (w->depth == 1 && !saw_all && rec->redirect == NULL) {
		f = wadd(w, VOUCH_CHECK_WARNING, "spf-no-all",
		    "%s: the record has no 'all' term: every other host gets "
		    "neutral (RFC 7208 §4.7), which DMARC treats as a fail "
		    "but receivers may accept",
		    name);
		check_fix(f, "end the record with -all (or ~all while "
		             "testing)");
	}
	w->depth--;
}

/* Parse and walk one record (rr) found at `name`. */
static void
walk_record(struct walk *w, const char *name, const char *how,
    const struct vouch_dns_rr *rr)
{
	struct spf_record rec;
	struct vouch_check_finding *f;
	const char *why = "";
	size_t where = 0;
	enum vouch_status st;

	memset(&rec, 0, sizeof(rec));
	st = spf_record_parse(&rec, rr->data, rr->len, &why, &where);
	if (st == VOUCH_ENOMEM) {
		w->c->err = st;
		goto out;
	}
	if (st != VOUCH_OK) {
		char near[64];

		check_text(
		    near, sizeof(near), rr->data + where, rr->len - where);
		f = wadd(w, VOUCH_CHECK_ERROR, "spf-syntax",
		    "%s%s: the SPF record has a syntax error at '%s': %s; "
		    "every check through it is a permerror (RFC 7208 §4.6)",
		    how, name, near, why);
		check_fix(f,
		    "correct the record of %s (RFC 7208 §12 gives "
		    "the grammar)",
		    name);
		goto out;
	}
	walk_terms(w, name, &rec);
out:
	spf_record_free(&rec);
}

/* Fetch the record of an include or redirect target and walk it. */
static void
walk_name(struct walk *w, const char *name, const char *how)
{
	struct vouch_dns_answer *a = NULL;
	struct vouch_check_spf *spf = &w->c->r->spf;
	struct vouch_check_finding *f;
	size_t first, n;

	if (w->nrecords >= VOUCH_CHECK_MAX_SPF_RECORDS) {
		w->cut = 1;
		return;
	}
	w->nrecords++;
	if (!w->quiet && spf->ntree < VOUCH_CHECK_MAX_SPF_RECORDS)
		memcpy(spf->tree[spf->ntree++], name, strlen(name) + 1);
	if (vouch_dns_query(w->c->dns, name, strlen(name), VOUCH_DNS_TXT, &a) !=
	    VOUCH_OK) {
		w->c->err = VOUCH_ENOMEM;
		return;
	}
	if (a->rcode == VOUCH_DNS_TEMPFAIL || a->rcode == VOUCH_DNS_PERMFAIL) {
		wadd(w, VOUCH_CHECK_ERROR, "spf-dns-error",
		    "%s%s: the SPF record could not be looked up (%s): "
		    "receivers get temperror",
		    how, name, a->reason ? a->reason : "DNS failure");
		goto out;
	}
	n = spf_records(a, &first);
	if (n == 0) {
		if (a->rcode != VOUCH_DNS_ANSWER)
			w->voids++;
		f = wadd(w, VOUCH_CHECK_ERROR, "spf-include-missing",
		    "%s%s has no SPF record: every check through it is a "
		    "permerror (RFC 7208 §5.2, §6.1)",
		    how, name);
		check_fix(f,
		    "remove %s%s, or use the name the provider "
		    "documents",
		    how, name);
		goto out;
	}
	if (n > 1) {
		wadd(w, VOUCH_CHECK_ERROR, "spf-multiple-records",
		    "%s%s has %zu SPF records: a permerror (RFC 7208 §4.5)",
		    how, name, n);
		goto out;
	}
	walk_record(w, name, how, &a->rr[first]);
out:
	vouch_dns_answer_free(a);
}

/*
 * Strings of one TXT record are joined with nothing between them (RFC
 * 7208 §3.3): a record cut as "... include:a.example" "include:b..."
 * reads "include:a.exampleinclude:b...".  A mechanism name glued to the
 * text before it is the sign of that mistake.
 */
static int
glued_term(const uint8_t *p, size_t len)
{
	static const char *const words[] = {"include:", "ip4:", "ip6:",
	    "redirect=", "exists:", "a:", "mx:", "-all", "~all"};
	size_t i, k, wl;

	for (k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
		wl = strlen(words[k]);
		for (i = 1; i + wl <= len; i++) {
			uint8_t b = p[i - 1];

			if (((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
			        (b >= '0' && b <= '9')) &&
			    strncasecmp((const char *)p + i, words[k], wl) ==
			        0 &&
			    /* "a:" and "mx:" inside a longer word */
			    (wl > 3 || (i >= 2 && p[i - 2] == '.')))
				return 1;
		}
	}
	return 0;
}

/*
 * The size of the DNS answer to the TXT question at `name`: header,
 * question, and each record with its name compressed to a pointer (RFC
 * 1035 §4.1).  RFC 7208 §3.4 asks to keep it under 512 bytes.
 */
static size_t
answer_size(const char *name, const struct vouch_dns_answer *a)
{
	size_t i, n = 12 + strlen(name) + 2 + 4;

	for (i = 0; i < a->nrr; i++)
		n += 2 + 10 + a->rr[i].len +
		     (a->rr[i].nstrings ? a->rr[i].nstrings : 1);
	return n;
}

void
check_lint_spf(struct check_ctx *c)
{
	struct vouch_check_report *r = c->r;
	struct vouch_dns_answer *a = NULL;
	struct vouch_check_finding *f;
	const struct vouch_dns_rr *rr;
	struct walk w;
	size_t first, size;

	memset(&w, 0, sizeof(w));
	w.c = c;
	if (vouch_dns_query(c->dns, r->domain, strlen(r->domain), VOUCH_DNS_TXT,
	        &a) != VOUCH_OK) {
		c->err = VOUCH_ENOMEM;
		return;
	}
	if (a->rcode == VOUCH_DNS_TEMPFAIL || a->rcode == VOUCH_DNS_PERMFAIL) {
		check_add(c, VOUCH_CHECK_SPF, VOUCH_CHECK_ERROR,
		    "spf-dns-error",
		    "the TXT records of %s could not be looked up (%s): "
		    "receivers get temperror",
		    r->domain, a->reason ? a->reason : "DNS failure");
		goto out;
	}
	r->spf.nrecords = spf_records(a, &first);
	if (r->spf.nrecords == 0) {
		f = check_add(c, VOUCH_CHECK_SPF, VOUCH_CHECK_ERROR,
		    "spf-missing",
		    "%s publishes no SPF record: receivers get SPF none, "
		    "and DMARC can only pass through DKIM",
		    r->domain);
		check_fix(f,
		    "publish a TXT record at %s listing the hosts that send "
		    "your mail, e.g. \"v=spf1 mx ~all\"",
		    r->domain);
		goto out;
	}
	if (r->spf.nrecords > 1) {
		f = check_add(c, VOUCH_CHECK_SPF, VOUCH_CHECK_ERROR,
		    "spf-multiple-records",
		    "%s publishes %zu SPF records: every SPF check is a "
		    "permerror (RFC 7208 §4.5)",
		    r->domain, r->spf.nrecords);
		check_fix(f, "merge them into one TXT record at %s", r->domain);
	}
	rr = &a->rr[first];
	if ((r->spf.record = check_strdup_text(rr->data, rr->len)) == NULL) {
		c->err = VOUCH_ENOMEM;
		goto out;
	}
	if ((size = answer_size(r->domain, a)) > 512) {
		f = check_add(c, VOUCH_CHECK_SPF, VOUCH_CHECK_WARNING,
		    "spf-record-too-long",
		    "the TXT answer for %s is about %zu bytes (the SPF record "
		    "%zu): over 512, some receivers fail to get it over UDP "
		    "(RFC 7208 §3.4)",
		    r->domain, size, rr->len);
		check_fix(f, "shorten the record: move ranges into an "
		             "include:, drop unused terms and other TXT "
		             "records");
	}
	if (rr->nstrings > 1 && glued_term(rr->data, rr->len)) {
		f = check_add(c, VOUCH_CHECK_SPF, VOUCH_CHECK_WARNING,
		    "spf-string-join",
		    "the record is split into %u strings, which are joined "
		    "with no space between them (RFC 7208 §3.3): a term "
		    "runs into the next",
		    rr->nstrings);
		check_fix(f, "end each 255-byte string with a space, or "
		             "start the next with one");
	}
	if (r->spf.nrecords == 1) {
		w.nrecords = 1;
		memcpy(r->spf.tree[r->spf.ntree++], r->domain,
		    strlen(r->domain) + 1);
		walk_record(&w, r->domain, "", rr);
	}
	r->spf.lookups = w.lookups;
	r->spf.void_lookups = w.voids;
	r->spf.nrecords_walked = w.nrecords;
	if (c->err != VOUCH_OK)
		goto out;
	if (w.lookups > VOUCH_SPF_MAX_DNS_TERMS) {
		f = check_add(c, VOUCH_CHECK_SPF, VOUCH_CHECK_ERROR,
		    "spf-too-many-lookups",
		    "the record and its includes have %u terms that cost a "
		    "DNS lookup; more than 10 is a permerror (RFC 7208 "
		    "§4.6.4)%s%s",
		    w.lookups, w.costs_len ? "; counting each include: " : "",
		    w.costs);
		check_fix(f, "drop includes no longer used, replace a and mx "
		             "with ip4:/ip6: ranges, or ask providers for a "
		             "flatter include");
	}
	if (w.voids > VOUCH_SPF_MAX_VOID_LOOKUPS) {
		f = check_add(c, VOUCH_CHECK_SPF, VOUCH_CHECK_ERROR,
		    "spf-too-many-void-lookups",
		    "the record and its includes have %u lookups that find "
		    "nothing; more than 2 is a permerror (RFC 7208 §4.6.4)",
		    w.voids);
		check_fix(f, "remove the terms that name hosts or domains "
		             "which no longer exist");
	}
	if (w.cut)
		check_add(c, VOUCH_CHECK_SPF, VOUCH_CHECK_INFO, "spf-tree-cut",
		    "the include tree is larger than %d records or %d terms "
		    "naming hosts: the counts stop there",
		    VOUCH_CHECK_MAX_SPF_RECORDS, VOUCH_CHECK_MAX_VOID_TESTS);
out:
	vouch_dns_answer_free(a);
}

int
check_spf_tree(struct check_ctx *c, const char *name, unsigned *lookups,
    char *target, size_t cap)
{
	struct vouch_dns_answer *a = NULL;
	struct walk w;
	size_t first;
	int rv = -1;

	memset(&w, 0, sizeof(w));
	w.c = c;
	w.quiet = 1;
	*lookups = 0;
	if (vouch_dns_query(c->dns, name, strlen(name), VOUCH_DNS_TXT, &a) !=
	    VOUCH_OK) {
		c->err = VOUCH_ENOMEM;
		return -1;
	}
	if (spf_records(a, &first) != 1)
		goto out;
	w.nrecords = 1;
	walk_record(&w, name, "", &a->rr[first]);
	if (w.target[0] == '\0')
		goto out;
	*lookups = w.lookups;
	check_text(target, cap, (const uint8_t *)w.target, strlen(w.target));
	rv = 0;
out:
	vouch_dns_answer_free(a);
	return rv;
}

void
check_spf_suggest(const char *record, const char *term, char *out, size_t cap)
{
	const char *p, *at = NULL;
	size_t len = strlen(record), i;

	/* Before the last "all" (or redirect=) term; else at the end. */
	for (p = record; p < record + len; p++) {
		if (p != record && p[-1] != ' ')
			continue;
		i = (*p == '-' || *p == '~' || *p == '?' || *p == '+') ? 1 : 0;
		if ((strncasecmp(p + i, "all", 3) == 0 &&
		        (p[i + 3] == ' ' || p[i + 3] == '\0')) ||
		    strncasecmp(p, "redirect=", 9) == 0)
			at = p;
	}
	if (at == NULL)
		(void)snprintf(out, cap, "%s %s", record, term);
	else
		(void)snprintf(out, cap, "%.*s%s %s", (int)(at - record),
		    record, term, at);
}
