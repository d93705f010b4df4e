/*
 * What to sign with: OpenDKIM's SigningTable over its KeyTable, or the
 * single-key form (Domain, Selector, KeyFile, SubDomains), read at load
 * into one immutable struct and looked up per message.
 *
 * SigningTable (opendkim.conf(5)): each entry is a key and a value
 * "keyname[:signer]".  In a refile: the keys are wildcard patterns matched
 * against the From address in file order; in file: and csl: they are
 * looked up as user@host, host, user@.parent, .parent, user@*, *.  A key
 * name of "%" is the sender's domain; '%' in the signer is too.  Keys are
 * ASCII and compared without case (OpenDKIM opens the table so).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter/tables/internal.h"

/* ---- load: SigningTable ------------------------------------------------ */

static int
is_ascii(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] >= 0x80 || p[i] < 0x20)
			return 0;
	return 1;
}

/* The domain part of a pattern or key: after its last '@', or all. */
static const char *
domain_part(const char *pat)
{
	const char *at = strrchr(pat, '@');

	return at ? at + 1 : pat;
}

static int
only_stars(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s != '*')
			return 0;
	return 1;
}

/* A pattern every address matches: stars and at most one '@'. */
static int
matches_all(const char *pat)
{
	const char *at = strchr(pat, '@');

	if (at == NULL)
		return only_stars(pat);
	if (strchr(at + 1, '@') != NULL || at == pat)
		return 0;
	return strspn(pat, "*") == (size_t)(at - pat) && only_stars(at + 1);
}

/*
 * A '*' entry signing every domain with one key: its domain part is all
 * stars (refile "*", "*@*", "user@*"; file keys "*" and "user@*") and its
 * key gives every domain the same key file (d= fixed, or d=% with a fixed
 * path).  Key name "%" picks a key per domain: not one key.
 */
static void
warn_catch_all(struct vouchd_diag *diag, struct ds *ds, const struct rule *r)
{
	const struct vouchd_table_key *k;
	size_t i;

	if (!only_stars(domain_part(r->pattern)))
		return;
	for (i = 0; i < r->nkeys; i++) {
		if ((k = r->key[i]) == NULL ||
		    (strcmp(k->domain, "%") == 0 && strchr(k->keypath, '%')))
			continue;
		if (strcmp(k->domain, "%") == 0)
			diag_ds(diag, VOUCHD_DIAG_WARNING, ds, r->line,
			    "\"%s\" matches every sender domain: mail from "
			    "any domain is signed as that domain with the one "
			    "key %s (key \"%s\")",
			    r->pattern, k->keypath, k->name);
		else
			diag_ds(diag, VOUCHD_DIAG_WARNING, ds, r->line,
			    "\"%s\" matches every sender domain: mail from "
			    "any domain is signed d=%s with key \"%s\"",
			    r->pattern, k->domain, k->name);
	}
}

/*
 * The one domain a pattern or key names, if it names one: its domain part
 * without '*' and not ".parent" (which stands for every subdomain).
 */
int
literal_domain(const char *pat, const char **dom)
{
	*dom = domain_part(pat);
	return **dom != '\0' && **dom != '.' && strchr(*dom, '*') == NULL;
}

/* Checks the signer field (i=) when it has no '%' to replace. */
static int
signer_ok(struct ds *ds, const struct ds_entry *e, const struct rule *r,
    struct vouchd_diag *diag)
{
	const char *at = strrchr(r->signer, '@'), *why;
	char dom[VOUCH_DNS_MAX_NAME + 1];
	size_t n, i;

	if (at == NULL || strlen(r->signer) > VOUCHD_TABLE_MAX_ADDRESS) {
		diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
		    "signer \"%.200s\" is not [local]@domain (RFC 6376 §3.5 "
		    "i=)",
		    r->signer);
		return -1;
	}
	if (strchr(at, '%') != NULL)
		return 0;
	if (norm_domain((const uint8_t *)at + 1, strlen(at + 1), dom, &why) <
	    0) {
		diag_ds(
		    diag, VOUCHD_DIAG_ERROR, ds, e->line, "signer: %s", why);
		return -1;
	}
	for (i = 0; i < r->nkeys; i++) {
		const struct vouchd_table_key *k = r->key[i];

		if (k == NULL || strcmp(k->domain, "%") == 0)
			continue;
		n = strlen(k->domain);
		if (strcmp(dom, k->domain) != 0 &&
		    !(strlen(dom) > n && dom[strlen(dom) - n - 1] == '.' &&
		        strcmp(dom + strlen(dom) - n, k->domain) == 0))
			diag_ds(diag, VOUCHD_DIAG_WARNING, ds, e->line,
			    "signer domain %s is not d=%s or below it; the i= "
			    "is left out (RFC 6376 §3.5)",
			    dom, k->domain);
	}
	return 0;
}

/* One key name of an entry: "%", or a KeyTable name that exists. */
static int
rule_name(struct vouchd_signing *s, struct ds *ds, const struct ds_entry *e,
    struct rule *r, const uint8_t *name, size_t len, struct vouchd_diag *diag,
    int *nomem)
{
	const struct vouchd_table_key *no;
	const char *dom;
	char q[128];

	diag_quote(name, len, q, sizeof(q));
	if (r->nkeys == RULE_MAX_KEYS) {
		diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
		    "more than %d key names", RULE_MAX_KEYS);
		return -1;
	}
	if ((r->keyname[r->nkeys] = pool_strndup(&s->pool, name, len)) ==
	    NULL) {
		*nomem = 1;
		return -1;
	}
	r->key[r->nkeys] = NULL;
	if (len == 1 && name[0] == '%') {
		if (literal_domain(r->pattern, &dom) &&
		    keytable_find(&s->kt, dom, strlen(dom)) == NULL) {
			if ((no = keytable_refused(&s->kt, dom, strlen(dom))))
				diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
				    "key name %% is the sender's domain, %s "
				    "here, whose KeyTable entry (%s:%u) was "
				    "refused",
				    dom, no->file, no->line);
			else
				diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
				    "key name %% is the sender's domain, %s "
				    "here, which the KeyTable does not define",
				    dom);
			return -1;
		}
	} else if ((r->key[r->nkeys] = keytable_find(
	                &s->kt, r->keyname[r->nkeys], len)) == NULL) {
		/* an entry of that name the KeyTable refused (its error is
		 * said at its line) is not a missing one */
		if ((no = keytable_refused(&s->kt, r->keyname[r->nkeys], len)))
			diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
			    "key \"%s\": its KeyTable entry (%s:%u) was "
			    "refused",
			    q, no->file, no->line);
		else
			diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
			    "the KeyTable has no key named \"%s\"", q);
		return -1;
	}
	r->nkeys++;
	return 0;
}

static int
is_name_sep(uint8_t ch)
{
	return ch == ',' || ch == ' ' || ch == '\t';
}

/*
 * Reads the value "names[:signer]" of one entry into r.  OpenDKIM's value
 * is one key name; vouchd also takes several, separated by commas or
 * blanks ("rsa2024, ed2024"), each signing in the same pass.  A value
 * that is itself a KeyTable name keeps OpenDKIM's meaning.
 */
static int
rule_value(struct vouchd_signing *s, struct ds *ds, const struct ds_entry *e,
    struct rule *r, struct vouchd_diag *diag, int *nomem)
{
	const uint8_t *colon, *p, *end, *w;
	size_t namelen;

	if (e->val == NULL || e->vallen == 0) {
		diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
		    "\"%s\": no KeyTable key name after the pattern",
		    r->pattern);
		return -1;
	}
	colon = memchr(e->val, ':', e->vallen);
	namelen = colon ? (size_t)(colon - e->val) : e->vallen;
	if (!(namelen == 1 && e->val[0] == '%') &&
	    keytable_find(&s->kt, (const char *)e->val, namelen) != NULL) {
		if (rule_name(s, ds, e, r, e->val, namelen, diag, nomem) < 0)
			return -1;
	} else {
		for (p = e->val, end = e->val + namelen; p < end;) {
			while (p < end && is_name_sep(*p))
				p++;
			for (w = p; p < end && !is_name_sep(*p); p++)
				;
			if (p > w && rule_name(s, ds, e, r, w, (size_t)(p - w),
			                 diag, nomem) < 0)
				return -1;
		}
		if (r->nkeys == 0) {
			diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
			    "\"%s\": no KeyTable key name after the pattern",
			    r->pattern);
			return -1;
		}
	}
	if (colon == NULL || colon + 1 == e->val + e->vallen)
		return 0;
	r->signer = pool_strndup(
	    &s->pool, colon + 1, (size_t)(e->val + e->vallen - colon - 1));
	if (r->signer == NULL) {
		*nomem = 1;
		return -1;
	}
	return signer_ok(ds, e, r, diag);
}

static int
rule_entry(struct vouchd_signing *s, struct ds *ds, const struct ds_entry *e,
    struct rule *r, struct vouchd_diag *diag, int *nomem)
{
	char q[128];
	size_t i;

	memset(r, 0, sizeof(*r));
	r->line = e->line;
	diag_quote(e->key, e->keylen, q, sizeof(q));
	if (!is_ascii(e->key, e->keylen)) {
		diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
		    "\"%s\": SigningTable keys are ASCII (write an "
		    "internationalized domain as A-labels, xn--...)",
		    q);
		return -1;
	}
	if (e->keylen > VOUCHD_TABLE_MAX_PATTERN) {
		diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
		    "pattern longer than %d bytes", VOUCHD_TABLE_MAX_PATTERN);
		return -1;
	}
	if ((r->pattern = pool_strndup(&s->pool, e->key, e->keylen)) == NULL) {
		*nomem = 1;
		return -1;
	}
	for (i = 0; i < e->keylen; i++)
		r->pattern[i] = (char)lc((uint8_t)r->pattern[i]);
	r->patlen = e->keylen;
	if (rule_value(s, ds, e, r, diag, nomem) < 0)
		return -1;
	if (s->refile && strchr(r->pattern, '@') == NULL &&
	    strchr(r->pattern, '*') == NULL)
		diag_ds(diag, VOUCHD_DIAG_WARNING, ds, e->line,
		    "refile: pattern \"%s\" has no '@' or '*', so it matches "
		    "no address (did you mean *@%s?)",
		    r->pattern, r->pattern);
	if (s->refile &&
	    wildcard_compile(e->key, e->keylen, 1, &r->wc) != VOUCH_OK) {
		*nomem = 1;
		return -1;
	}
	warn_catch_all(diag, ds, r);
	return 0;
}

static int
by_pattern(const void *a, const void *b, void *arg)
{
	const struct rule *rules = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(rules[i].pattern, rules[j].pattern);

	if (c != 0)
		return c;
	return i < j ? -1 : i > j;
}

/*
 * Entries that can never sign when only the first match counts: a
 * pattern seen before (its first entry wins), and in a refile: anything
 * after a pattern every address matches.
 */
static void
warn_unreachable(
    struct vouchd_signing *s, struct ds *ds, struct vouchd_diag *diag)
{
	size_t i, all = 0;
	int seen_all = 0;

	if (s->multiple)
		return;
	for (i = 1; i < s->nrules; i++) {
		const struct rule *a = &s->rules[s->order[i - 1]];
		const struct rule *b = &s->rules[s->order[i]];

		if (strcmp(a->pattern, b->pattern) == 0)
			diag_ds(diag, VOUCHD_DIAG_WARNING, ds, b->line,
			    "\"%s\" is used at line %u first; this entry "
			    "never signs (set MultipleSignatures to use "
			    "both)",
			    b->pattern, a->line);
	}
	if (!s->refile)
		return;
	for (i = 0; i < s->nrules; i++) {
		if (seen_all) {
			diag_ds(diag, VOUCHD_DIAG_WARNING, ds, s->rules[i].line,
			    "never reached: \"%s\" at line %u matches every "
			    "address first",
			    s->rules[all].pattern, s->rules[all].line);
			break;
		}
		if (matches_all(s->rules[i].pattern)) {
			seen_all = 1;
			all = i;
		}
	}
}

static enum vouch_status
signtable_build(
    struct vouchd_signing *s, struct ds *ds, struct vouchd_diag *diag)
{
	struct ds_entry e;
	struct rule *nr;
	size_t cap = 0, i;
	int r, bad = 0, nomem = 0;

	s->refile = ds->type == DS_REFILE;
	if ((s->st_file = pool_strdup(&s->pool, ds->name)) == NULL)
		return VOUCH_ENOMEM;
	while ((r = ds_next(ds, diag, &e)) != 0) {
		if (r < 0) {
			bad = 1;
			continue;
		}
		if (s->nrules >= VOUCHD_TABLE_MAX_ENTRIES) {
			diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e.line,
			    "more than %d entries", VOUCHD_TABLE_MAX_ENTRIES);
			return VOUCH_ELIMIT;
		}
		if (s->nrules == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nr = realloc(s->rules, cap * sizeof(*nr))) == NULL)
				return VOUCH_ENOMEM;
			s->rules = nr;
		}
		if (rule_entry(s, ds, &e, &s->rules[s->nrules], diag, &nomem) <
		    0) {
			wildcard_free(&s->rules[s->nrules].wc);
			if (nomem)
				return VOUCH_ENOMEM;
			bad = 1;
			continue;
		}
		s->nrules++;
	}
	if (s->nrules == 0 && !bad)
		diag_ds(diag, VOUCHD_DIAG_ERROR, ds, 0,
		    "no entry in the SigningTable");
	if (s->nrules == 0)
		return VOUCH_ESYNTAX;
	if ((s->order = malloc(s->nrules * sizeof(size_t))) == NULL)
		return VOUCH_ENOMEM;
	for (i = 0; i < s->nrules; i++)
		s->order[i] = i;
	qsort_r(s->order, s->nrules, sizeof(size_t), by_pattern, s->rules);
	warn_unreachable(s, ds, diag);
	return bad ? VOUCH_ESYNTAX : VOUCH_OK;
}

/* ---- load: single key ------------------------------------------------- */

static enum vouch_status
add_domitem(struct vouchd_signing *s, const uint8_t *p, size_t len, int pattern,
    const char *file, unsigned line, int item, struct vouchd_diag *diag,
    size_t *cap)
{
	char dom[VOUCH_DNS_MAX_NAME + 1], q[128];
	struct domitem *d;
	const char *why;

	if (s->ndom >= VOUCHD_TABLE_MAX_ENTRIES) {
		diag_at(diag, VOUCHD_DIAG_ERROR, file, line, item,
		    "Domain: more than %d entries", VOUCHD_TABLE_MAX_ENTRIES);
		return VOUCH_ELIMIT;
	}
	diag_quote(p, len, q, sizeof(q));
	if (!pattern && norm_domain(p, len, dom, &why) < 0) {
		diag_at(diag, VOUCHD_DIAG_ERROR, file, line, item,
		    "Domain \"%s\": %s", q, why);
		return VOUCH_ESYNTAX;
	}
	if (pattern && (!is_ascii(p, len) || len > VOUCHD_TABLE_MAX_PATTERN)) {
		diag_at(diag, VOUCHD_DIAG_ERROR, file, line, item,
		    "Domain pattern \"%s\": ASCII, at most %d bytes", q,
		    VOUCHD_TABLE_MAX_PATTERN);
		return VOUCH_ESYNTAX;
	}
	if (s->ndom == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		if ((d = realloc(s->dom, *cap * sizeof(*d))) == NULL)
			return VOUCH_ENOMEM;
		s->dom = d;
	}
	d = &s->dom[s->ndom];
	memset(d, 0, sizeof(*d));
	d->is_pattern = pattern;
	d->file = pool_strdup(&s->pool, file ? file : "Domain");
	d->line = line;
	d->domain = pattern ? pool_strndup(&s->pool, p, len)
	                    : pool_strdup(&s->pool, dom);
	if (d->file == NULL || d->domain == NULL ||
	    (pattern && wildcard_compile(p, len, 1, &d->wc) != VOUCH_OK))
		return VOUCH_ENOMEM;
	if (pattern && only_stars(d->domain))
		diag_at(diag, VOUCHD_DIAG_WARNING, file, line, item,
		    "Domain pattern \"%s\" matches every sender domain: mail "
		    "from any domain is signed as that domain with the one "
		    "key %s",
		    d->domain, s->single_key.keypath);
	s->ndom++;
	return VOUCH_OK;
}

/* One Domain item: a domain, or a data set of them. */
static enum vouch_status
domain_item(struct vouchd_signing *s, const char *item, const char *origin,
    unsigned line, struct vouchd_diag *diag, size_t *cap)
{
	struct ds ds;
	struct ds_entry e;
	enum vouch_status st, worst = VOUCH_OK;
	int r;

	if (strchr(item, ':') == NULL && item[0] != '/')
		return add_domitem(s, (const uint8_t *)item, strlen(item), 0,
		    origin, line, 0, diag, cap);
	st = ds_open(item, "Domain", origin, line,
	    (1u << DS_FILE) | (1u << DS_REFILE) | (1u << DS_CSL), diag, &ds);
	if (st != VOUCH_OK)
		return st;
	while ((r = ds_next(&ds, diag, &e)) != 0) {
		if (r < 0) {
			worst = VOUCH_ESYNTAX;
			continue;
		}
		st = add_domitem(s, e.key, e.keylen, ds.type == DS_REFILE,
		    ds.name, e.line, ds.type == DS_CSL, diag, cap);
		if (st == VOUCH_ENOMEM || st == VOUCH_ELIMIT) {
			ds_close(&ds);
			return st;
		}
		if (st != VOUCH_OK)
			worst = st;
	}
	ds_close(&ds);
	return worst;
}

static enum vouch_status
single_build(struct vouchd_signing *s, const struct vouchd_signing_conf *c,
    struct vouchd_diag *diag)
{
	enum vouch_status st, worst = VOUCH_OK;
	struct vouchd_table_key *k = &s->single_key;
	const char *why, *origin = c->origin;
	size_t i, cap = 0;

	s->single = 1;
	if (c->selector == NULL || c->ndomains == 0) {
		diag_at(diag, VOUCHD_DIAG_ERROR, origin, c->key_file_line, 0,
		    "KeyFile needs Selector and Domain (or use KeyTable and "
		    "SigningTable)");
		return VOUCH_ESYNTAX;
	}
	if (!selector_ok(
	        (const uint8_t *)c->selector, strlen(c->selector), &why)) {
		diag_at(diag, VOUCHD_DIAG_ERROR, origin, c->selector_line, 0,
		    "Selector: %s", why);
		return VOUCH_ESYNTAX;
	}
	if (strlen(c->key_file) == 0 ||
	    strlen(c->key_file) > VOUCHD_TABLE_MAX_PATH) {
		diag_at(diag, VOUCHD_DIAG_ERROR, origin, c->key_file_line, 0,
		    "KeyFile: empty, or longer than %d bytes",
		    VOUCHD_TABLE_MAX_PATH);
		return VOUCH_ESYNTAX;
	}
	k->name = "KeyFile";
	k->domain = "%";
	k->selector = pool_strdup(&s->pool, c->selector);
	k->keypath = pool_strdup(&s->pool, c->key_file);
	k->file = pool_strdup(&s->pool, origin ? origin : "KeyFile");
	k->line = c->key_file_line; /* a key file's errors name this line */
	if (k->selector == NULL || k->keypath == NULL || k->file == NULL)
		return VOUCH_ENOMEM;
	for (i = 0; i < c->ndomains; i++) {
		st = domain_item(
		    s, c->domains[i], origin, c->domain_line, diag, &cap);
		if (st == VOUCH_ENOMEM || st == VOUCH_ELIMIT)
			return st;
		if (st != VOUCH_OK)
			worst = st;
	}
	if (worst == VOUCH_OK && s->ndom == 0) {
		diag_at(diag, VOUCHD_DIAG_ERROR, origin, c->domain_line, 0,
		    "Domain lists no domain");
		return VOUCH_ESYNTAX;
	}
	return worst;
}

/* ---- load ------------------------------------------------------------ */

void
vouchd_signing_free(struct vouchd_signing *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nrules; i++)
		wildcard_free(&s->rules[i].wc);
	for (i = 0; i < s->ndom; i++)
		wildcard_free(&s->dom[i].wc);
	free(s->rules);
	free(s->order);
	free(s->dom);
	keytable_free(&s->kt);
	pool_free(&s->pool);
	free(s);
}

/* Both tables from opened data sets. */
static enum vouch_status
tables_build(struct vouchd_signing *s, struct ds *kds, struct ds *sds,
    struct vouchd_diag *diag)
{
	enum vouch_status kst, sst;

	kst = keytable_build(kds, &s->pool, diag, &s->kt);
	if (kst == VOUCH_ENOMEM || kst == VOUCH_ELIMIT)
		return kst;
	if (s->kt.n == 0)
		return kst; /* every SigningTable line would fail too */
	sst = signtable_build(s, sds, diag);
	if (sst != VOUCH_OK)
		return sst;
	return kst;
}

static enum vouch_status
finish(struct vouchd_signing *s, enum vouch_status st,
    const struct vouchd_diag *diag, size_t errors_before, int partial,
    struct vouchd_signing **out)
{
	if (st == VOUCH_OK && diag->nerrors > errors_before)
		st = VOUCH_ESYNTAX;
	/* the single key is whole once its key path is set */
	if (st == VOUCH_ESYNTAX && partial &&
	    (!s->single || s->single_key.keypath != NULL)) {
		*out = s;
		return st;
	}
	if (st != VOUCH_OK) {
		vouchd_signing_free(s);
		return st;
	}
	*out = s;
	return VOUCH_OK;
}

enum vouch_status
vouchd_signing_load(const struct vouchd_signing_conf *c,
    struct vouchd_diag *diag, struct vouchd_signing **out)
{
	struct vouchd_signing *s;
	struct ds kds, sds;
	enum vouch_status st;
	const unsigned all =
	    (1u << DS_FILE) | (1u << DS_REFILE) | (1u << DS_CSL);
	size_t errors_before;

	if (out != NULL)
		*out = NULL;
	if (c == NULL || diag == NULL || out == NULL)
		return VOUCH_EINVAL;
	errors_before = diag->nerrors;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return VOUCH_ENOMEM;
	s->multiple = c->multiple != 0;
	s->subdomains = c->subdomains != 0;
	if (c->key_table == NULL && c->signing_table == NULL) {
		if (c->key_file == NULL) {
			vouchd_signing_free(s);
			return VOUCH_EINVAL;
		}
		st = single_build(s, c, diag);
		return finish(s, st, diag, errors_before, c->partial, out);
	}
	if (c->key_table == NULL || c->signing_table == NULL) {
		diag_at(diag, VOUCHD_DIAG_ERROR, c->origin,
		    c->key_table ? c->key_table_line : c->signing_table_line, 0,
		    "%s without %s: KeyTable and SigningTable go together",
		    c->key_table ? "KeyTable" : "SigningTable",
		    c->key_table ? "SigningTable" : "KeyTable");
		vouchd_signing_free(s);
		return VOUCH_ESYNTAX;
	}
	if (c->key_file != NULL || c->ndomains > 0)
		diag_at(diag, VOUCHD_DIAG_WARNING, c->origin,
		    c->key_file_line > c->domain_line ? c->key_file_line
		                                      : c->domain_line,
		    0,
		    "KeyFile, Selector and Domain are ignored when KeyTable "
		    "is set (as in OpenDKIM)");
	st = ds_open(c->key_table, "KeyTable", c->origin, c->key_table_line,
	    all, diag, &kds);
	if (st != VOUCH_OK) {
		vouchd_signing_free(s);
		return st;
	}
	st = ds_open(c->signing_table, "SigningTable", c->origin,
	    c->signing_table_line, all, diag, &sds);
	if (st != VOUCH_OK) {
		ds_close(&kds);
		vouchd_signing_free(s);
		return st;
	}
	st = tables_build(s, &kds, &sds, diag);
	ds_close(&kds);
	ds_close(&sds);
	return finish(s, st, diag, errors_before, c->partial, out);
}

enum vouch_status
vouchd_signing_parse(const char *kt_name, const uint8_t *kt, size_t ktlen,
    int kt_refile, const char *st_name, const uint8_t *stab, size_t stlen,
    int st_refile, int multiple, struct vouchd_diag *diag,
    struct vouchd_signing **out)
{
	struct vouchd_signing *s;
	struct ds kds, sds;
	enum vouch_status st;
	size_t errors_before;

	if (out != NULL)
		*out = NULL;
	if (kt_name == NULL || st_name == NULL || diag == NULL || out == NULL ||
	    (kt == NULL && ktlen > 0) || (stab == NULL && stlen > 0))
		return VOUCH_EINVAL;
	errors_before = diag->nerrors;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return VOUCH_ENOMEM;
	s->multiple = multiple != 0;
	if (ds_open_mem(kt_refile ? DS_REFILE : DS_FILE, "KeyTable", kt_name,
	        kt, ktlen, &kds) != VOUCH_OK) {
		vouchd_signing_free(s);
		return VOUCH_ENOMEM;
	}
	if (ds_open_mem(st_refile ? DS_REFILE : DS_FILE, "SigningTable",
	        st_name, stab, stlen, &sds) != VOUCH_OK) {
		ds_close(&kds);
		vouchd_signing_free(s);
		return VOUCH_ENOMEM;
	}
	st = tables_build(s, &kds, &sds, diag);
	ds_close(&kds);
	ds_close(&sds);
	return finish(s, st, diag, errors_before, 0, out);
}

size_t
vouchd_signing_nkeys(const struct vouchd_signing *s)
{
	if (s == NULL)
		return 0;
	return s->single ? 1 : s->kt.n;
}

const struct vouchd_table_key *
vouchd_signing_key(const struct vouchd_signing *s, size_t i)
{
	if (s == NULL || i >= vouchd_signing_nkeys(s))
		return NULL;
	return s->single ? &s->single_key : &s->kt.keys[i];
}

/* ---- lookup ------------------------------------------------------------ */

/* The sender, normalized, for one lookup. */
struct sender {
	char local[VOUCH_ADDR_MAX_LOCAL + 1]; /* lower case */
	size_t locallen;
	int has_local;
	char domain[VOUCH_DNS_MAX_NAME + 1];
	size_t domainlen;
};

__attribute__((format(printf, 2, 3))) static void
say(struct vouchd_sign_match *m, const char *fmt, ...)
{
	char text[sizeof(m->why)];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	diag_quote((const uint8_t *)text, strlen(text), m->why, sizeof(m->why));
}

/* Copies src into dst (cap bytes), each '%' replaced by rep; -1 if long. */
static int
subst(char *dst, size_t cap, const char *src, const char *rep)
{
	size_t n = 0, rl = strlen(rep);

	for (; *src; src++) {
		if (*src == '%') {
			if (n + rl >= cap)
				return -1;
			memcpy(dst + n, rep, rl);
			n += rl;
		} else {
			if (n + 1 >= cap)
				return -1;
			dst[n++] = *src;
		}
	}
	dst[n] = '\0';
	return 0;
}

/* i= domain is d= or below it (RFC 6376 §3.5). */
static int
identity_fits(const char *identity, const char *d)
{
	const char *at = strrchr(identity, '@');
	size_t il, dl = strlen(d);

	if (at == NULL)
		return 0;
	at++;
	il = strlen(at);
	if (il == dl)
		return strcasecmp(at, d) == 0;
	return il > dl && at[il - dl - 1] == '.' &&
	       strcasecmp(at + il - dl, d) == 0;
}

/*
 * Adds the request for key k (d= from the key, or the sender's domain
 * when "%").  Returns 0, or -1 when it cannot be used (why set).
 */
static int
add_request(struct vouchd_sign_match *m, const struct vouchd_table_key *k,
    const char *signer, const struct sender *snd, const char *file,
    unsigned line, int literal_path)
{
	struct vouchd_sign_request *r;
	const char *d = strcmp(k->domain, "%") == 0 ? snd->domain : k->domain;

	if (m->n >= VOUCH_DKIM_SIGN_MAX_REQUESTS) {
		m->ndropped++;
		return 0;
	}
	r = &m->req[m->n];
	memset(r, 0, sizeof(*r));
	r->key = k;
	r->rule_file = file;
	r->rule_line = line;
	/* d is a normalized domain: '%' cannot put "/" or ".." in a path. */
	if (strlen(d) >= sizeof(r->domain) ||
	    strlen(k->selector) >= sizeof(r->selector) ||
	    (literal_path ? strlen(k->keypath) >= sizeof(r->keypath)
	                  : subst(r->keypath, sizeof(r->keypath), k->keypath,
	                        d) < 0)) {
		say(m, "key \"%s\": the path is too long once %% is %s",
		    k->name, d);
		return -1;
	}
	if (literal_path)
		memcpy(r->keypath, k->keypath, strlen(k->keypath) + 1);
	memcpy(r->domain, d, strlen(d) + 1);
	memcpy(r->selector, k->selector, strlen(k->selector) + 1);
	if (signer != NULL &&
	    (subst(r->identity, sizeof(r->identity), signer, snd->domain) < 0 ||
	        !identity_fits(r->identity, r->domain)))
		r->identity[0] = '\0'; /* as OpenDKIM: no i= that conflicts */
	m->n++;
	return 0;
}

/* Applies rule r, each of its keys.  Returns 0, or -1 when unusable. */
static int
apply_rule(const struct vouchd_signing *s, const struct rule *r,
    const struct sender *snd, struct vouchd_sign_match *m)
{
	const struct vouchd_table_key *k;
	size_t i;

	for (i = 0; i < r->nkeys; i++) {
		if ((k = r->key[i]) == NULL) {
			/* "%": the KeyTable entry named like the domain */
			k = keytable_find(&s->kt, snd->domain, snd->domainlen);
			if (k == NULL) {
				say(m,
				    "%s:%u: key name %% is %s, which the "
				    "KeyTable does not define",
				    s->st_file, r->line, snd->domain);
				return -1;
			}
		}
		if (add_request(m, k, r->signer, snd, s->st_file, r->line, 0) <
		    0)
			return -1;
	}
	return 0;
}

/* refile: patterns against local@domain, in file order. */
static void
lookup_refile(const struct vouchd_signing *s, const struct sender *snd,
    struct vouchd_sign_match *m)
{
	char addr[VOUCHD_TABLE_MAX_ADDRESS + 1];
	size_t i, n;
	int first = -1;

	n = (size_t)snprintf(addr, sizeof(addr), "%.*s@%s", (int)snd->locallen,
	    snd->local, snd->domain);
	for (i = 0; i < s->nrules; i++) {
		if (!wildcard_match(&s->rules[i].wc, addr, n))
			continue;
		if (first < 0)
			first = (int)i;
		if (apply_rule(s, &s->rules[i], snd, m) < 0) {
			m->outcome = VOUCHD_SIGN_UNUSABLE;
			return;
		}
		if (!s->multiple)
			break;
	}
	if (first >= 0) {
		m->outcome = VOUCHD_SIGN_MATCHED;
		say(m, "%s:%u: \"%s\" matches %s%s", s->st_file,
		    s->rules[first].line, s->rules[first].pattern, addr,
		    m->n > 1 ? " (and more entries)" : "");
	}
}

/* The first rule whose key is key/len (file/csl), or -1. */
static long
first_rule(const struct vouchd_signing *s, const char *key, size_t len)
{
	size_t lo = 0, hi = s->nrules, mid;
	const char *p;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		p = s->rules[s->order[mid]].pattern;
		c = strncmp(p, key, len);
		if (c == 0 && p[len] != '\0')
			c = 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < s->nrules && s->rules[s->order[lo]].patlen == len &&
	    memcmp(s->rules[s->order[lo]].pattern, key, len) == 0)
		return (long)lo;
	return -1;
}

/*
 * Tries one lookup key: applies its entries (the first, or all with
 * MultipleSignatures).  Returns 1 when something matched (stop unless
 * multiple), 0 when nothing did, -1 when unusable.
 */
static int
try_key(const struct vouchd_signing *s, const char *key, size_t len,
    const struct sender *snd, struct vouchd_sign_match *m)
{
	long at = first_rule(s, key, len);
	size_t i;

	if (at < 0)
		return 0;
	if (m->outcome == VOUCHD_SIGN_NOMATCH)
		say(m, "%s:%u: \"%s\" matches", s->st_file,
		    s->rules[s->order[at]].line, key);
	m->outcome = VOUCHD_SIGN_MATCHED;
	for (i = (size_t)at; i < s->nrules; i++) {
		const struct rule *r = &s->rules[s->order[i]];

		if (r->patlen != len || memcmp(r->pattern, key, len) != 0)
			break;
		if (apply_rule(s, r, snd, m) < 0)
			return -1;
		if (!s->multiple)
			break;
	}
	return 1;
}

/*
 * file: and csl: keys in OpenDKIM's order: user@host, host, user@.parent
 * for each parent, .parent for each parent, user@*, *.
 */
static void
lookup_keys(const struct vouchd_signing *s, const struct sender *snd,
    struct vouchd_sign_match *m)
{
	char key[VOUCHD_TABLE_MAX_ADDRESS + 4];
	const char *dot;
	int pass, r, n;

	for (pass = 0; pass < 6; pass++) {
		dot = strchr(snd->domain, '.');
		do {
			if ((pass == 0 || pass == 2 || pass == 4) &&
			    !snd->has_local)
				break;
			if (pass == 0)
				n = snprintf(key, sizeof(key), "%s@%s",
				    snd->local, snd->domain);
			else if (pass == 1)
				n = snprintf(
				    key, sizeof(key), "%s", snd->domain);
			else if (pass == 2 && dot != NULL)
				n = snprintf(
				    key, sizeof(key), "%s@%s", snd->local, dot);
			else if (pass == 3 && dot != NULL)
				n = snprintf(key, sizeof(key), "%s", dot);
			else if (pass == 4)
				n = snprintf(
				    key, sizeof(key), "%s@*", snd->local);
			else if (pass == 5)
				n = snprintf(key, sizeof(key), "*");
			else
				break;
			if (n < 0 || (size_t)n >= sizeof(key))
				break;
			r = try_key(s, key, (size_t)n, snd, m);
			if (r < 0) {
				m->outcome = VOUCHD_SIGN_UNUSABLE;
				return;
			}
			if (r > 0 && !s->multiple)
				return;
			/* passes 2 and 3 walk up the parents */
			dot = dot ? strchr(dot + 1, '.') : NULL;
		} while ((pass == 2 || pass == 3) && dot != NULL);
	}
}

/* The single-key form: the first Domain item that covers the sender. */
static void
lookup_single(const struct vouchd_signing *s, const struct sender *snd,
    struct vouchd_sign_match *m)
{
	struct sender as;
	const char *name;
	size_t i, n;

	for (i = 0; i < s->ndom; i++) {
		const struct domitem *d = &s->dom[i];

		/* the sender's domain, then (SubDomains) each parent */
		for (name = snd->domain; name != NULL;
		     name = s->subdomains && strchr(name, '.')
		                ? strchr(name, '.') + 1
		                : NULL) {
			n = strlen(name);
			if (d->is_pattern ? !wildcard_match(&d->wc, name, n)
			                  : strcmp(d->domain, name) != 0)
				continue;
			as = *snd;
			memcpy(as.domain, name, n + 1);
			as.domainlen = n;
			if (add_request(m, &s->single_key, NULL, &as, d->file,
			        d->line, 1) < 0) {
				m->outcome = VOUCHD_SIGN_UNUSABLE;
				return;
			}
			m->outcome = VOUCHD_SIGN_MATCHED;
			say(m, "Domain %s covers %s", d->domain, snd->domain);
			return;
		}
	}
}

enum vouch_status
vouchd_signing_lookup(const struct vouchd_signing *s, const uint8_t *local,
    size_t locallen, const uint8_t *domain, size_t domainlen,
    struct vouchd_sign_match *out)
{
	struct sender snd;
	const char *why;
	size_t i;

	if (s == NULL || out == NULL || domain == NULL ||
	    (local == NULL && locallen > 0))
		return VOUCH_EINVAL;
	out->outcome = VOUCHD_SIGN_NOMATCH;
	out->n = 0;
	out->ndropped = 0;
	out->why[0] = '\0';
	memset(&snd, 0, sizeof(snd));
	if (norm_domain(domain, domainlen, snd.domain, &why) < 0) {
		say(out, "sender domain not signed: %s", why);
		return VOUCH_OK;
	}
	snd.domainlen = strlen(snd.domain);
	if (locallen > VOUCH_ADDR_MAX_LOCAL) {
		say(out, "sender local part longer than %d bytes",
		    VOUCH_ADDR_MAX_LOCAL);
		return VOUCH_OK;
	}
	for (i = 0; i < locallen; i++)
		snd.local[i] = (char)lc(local[i]);
	snd.locallen = locallen;
	snd.has_local =
	    locallen > 0 && memchr(snd.local, '\0', locallen) == NULL;
	if (s->single)
		lookup_single(s, &snd, out);
	else if (s->refile)
		lookup_refile(s, &snd, out);
	else
		lookup_keys(s, &snd, out);
	if (out->outcome == VOUCHD_SIGN_NOMATCH)
		say(out, "no %s entry matches %.*s@%s",
		    s->single ? "Domain" : "SigningTable", (int)snd.locallen,
		    snd.local, snd.domain);
	return VOUCH_OK;
}
