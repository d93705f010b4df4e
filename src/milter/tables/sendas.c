/*
 * The send-as table (SenderAuthTable, vouchd-tables(5)): which addresses
 * each SASL login may put in From, Sender and MAIL FROM.  A signer that
 * signs whatever an authenticated client sends lets one user of a shared
 * server sign mail as another user's domain; this check refuses it before
 * anything is signed.
 *
 * Table lines: a login, then the addresses it may use, separated by
 * commas or white space:
 *     alice        alice@example.com, alice.smith@example.com
 *     sales        @sales.example.com
 *     hosting      @.customers.example
 *     postmaster   *
 *     *            %
 * "*" is any address, "%" the login itself when the login is an address,
 * "@domain" any address at that domain, "@.domain" any address at a
 * subdomain of it.  Login "*" grants to every login.  '#' at the start of
 * a word starts a comment.
 *
 * Alias map lines: an alias and the one address (or @domain) it stands
 * for:
 *     info@example.com   alice@example.com
 *     @old.example       @example.com
 *
 * An address is compared in lower case, then without its +detail, then
 * through the alias map; it is allowed when any of those names is granted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/address.h"
#include "milter/tables/internal.h"

enum grant_kind {
	G_ANY = 1, /* "*" */
	G_SELF, /* "%" */
	G_DOMAIN, /* "@domain" */
	G_SUBDOMAINS, /* "@.domain" */
	G_ADDRESS /* local@domain */
};

struct grant {
	const char *login; /* pool; "*" for every login */
	size_t loginlen;
	enum grant_kind kind;
	const char *local; /* G_ADDRESS: lower case */
	const char *domain; /* G_DOMAIN, G_SUBDOMAINS, G_ADDRESS */
	unsigned line;
};

/* An alias: local NULL for a domain alias (@old -> @new). */
struct alias {
	const char *local, *domain;
	const char *to_local, *to_domain;
	unsigned line;
};

struct vouchd_sendas {
	struct strpool pool;
	const char *file, *afile;
	struct grant *g; /* sorted by login, then line */
	size_t ng;
	struct alias *a; /* sorted by domain, then local (NULL first) */
	size_t na;
	char delims[32];
};

/* An address as compared: lower case local part, normalized domain. */
struct name {
	char local[VOUCH_ADDR_MAX_LOCAL + 1];
	char domain[VOUCH_DNS_MAX_NAME + 1];
};

/* ---- reading lines ---------------------------------------------------- */

static int
is_sep(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f' || ch == ',';
}

/* The next word of [*p, end), or 0 at the end or a comment. */
static int
word(const uint8_t **p, const uint8_t *end, const uint8_t **w, size_t *wlen)
{
	while (*p < end && is_sep(**p))
		(*p)++;
	if (*p == end || **p == '#')
		return 0;
	*w = *p;
	while (*p < end && !is_sep(**p))
		(*p)++;
	*wlen = (size_t)(*p - *w);
	return 1;
}

struct reader {
	const char *name;
	const uint8_t *p, *end;
	unsigned line;
};

/* The next line; -1 (error in diag, skipped) for NUL or an overlong one. */
static int
next_line(struct reader *r, struct vouchd_diag *diag, const uint8_t **lp,
    const uint8_t **lend)
{
	const uint8_t *nl;

	if (r->p >= r->end)
		return 0;
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	*lp = r->p;
	*lend = nl ? nl : r->end;
	r->p = nl ? nl + 1 : r->end;
	r->line++;
	if ((size_t)(*lend - *lp) > VOUCHD_TABLE_MAX_LINE) {
		diag_at(diag, VOUCHD_DIAG_ERROR, r->name, r->line, 0,
		    "line longer than %d bytes", VOUCHD_TABLE_MAX_LINE);
		return -1;
	}
	if (memchr(*lp, '\0', (size_t)(*lend - *lp)) != NULL) {
		diag_at(diag, VOUCHD_DIAG_ERROR, r->name, r->line, 0,
		    "NUL byte in the line");
		return -1;
	}
	return 1;
}

/* ---- addresses ------------------------------------------------------- */

static void
lower(char *dst, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = (char)lc(src[i]);
	dst[n] = '\0';
}

/*
 * An address local@domain (library parser, RFC 5322 §3.4.1) into *nm.
 * Returns 0, or -1 with *why.
 */
static int
parse_address(const uint8_t *p, size_t len, struct name *nm, const char **why)
{
	struct mail_mailbox_list *l;
	int r = -1;

	if ((l = malloc(sizeof(*l))) == NULL) {
		*why = "out of memory";
		return -1;
	}
	if (mail_mailbox_list_parse(p, len, l, why) != VOUCH_OK)
		goto out;
	if (l->n != 1 || l->ngroups > 0) {
		*why = "not one address";
		goto out;
	}
	if (l->mb[0].local_toolong || l->mb[0].locallen == 0) {
		*why = l->mb[0].locallen ? "local part too long"
		                         : "empty local part";
		goto out;
	}
	if (norm_domain(l->mb[0].domain, l->mb[0].domainlen, nm->domain, why) <
	    0)
		goto out;
	lower(nm->local, l->mb[0].local, l->mb[0].locallen);
	if (strlen(nm->local) != l->mb[0].locallen) {
		*why = "NUL in local part";
		goto out;
	}
	r = 0;
out:
	free(l);
	return r;
}

/* ---- loading the table ------------------------------------------------ */

static enum vouch_status
add_grant(struct vouchd_sendas *t, const struct grant *g, size_t *cap)
{
	struct grant *ng;

	if (t->ng >= VOUCHD_TABLE_MAX_ENTRIES)
		return VOUCH_ELIMIT;
	if (t->ng == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if ((ng = realloc(t->g, *cap * sizeof(*ng))) == NULL)
			return VOUCH_ENOMEM;
		t->g = ng;
	}
	t->g[t->ng++] = *g;
	return VOUCH_OK;
}

/* One word after the login into *g.  Returns 0, -1 (error in diag). */
static int
parse_grant(struct vouchd_sendas *t, const uint8_t *w, size_t wlen,
    unsigned line, struct vouchd_diag *diag, struct grant *g, int *nomem)
{
	char dom[VOUCH_DNS_MAX_NAME + 1], q[160];
	const char *why;
	struct name nm;
	size_t skip;

	diag_quote(w, wlen, q, sizeof(q));
	if (wlen == 1 && (w[0] == '*' || w[0] == '%')) {
		g->kind = w[0] == '*' ? G_ANY : G_SELF;
		return 0;
	}
	if (w[0] == '@') {
		skip = wlen > 1 && w[1] == '.' ? 2 : 1;
		g->kind = skip == 2 ? G_SUBDOMAINS : G_DOMAIN;
		if (norm_domain(w + skip, wlen - skip, dom, &why) < 0) {
			diag_at(diag, VOUCHD_DIAG_ERROR, t->file, line, 0,
			    "\"%s\": %s", q, why);
			return -1;
		}
		if ((g->domain = pool_strdup(&t->pool, dom)) == NULL)
			*nomem = 1;
		return g->domain ? 0 : -1;
	}
	if (memchr(w, '@', wlen) == NULL) {
		diag_at(diag, VOUCHD_DIAG_ERROR, t->file, line, 0,
		    "\"%s\" is not an address, @domain, @.domain, * or %%", q);
		return -1;
	}
	if (parse_address(w, wlen, &nm, &why) < 0) {
		diag_at(diag, VOUCHD_DIAG_ERROR, t->file, line, 0,
		    "address \"%s\": %s", q, why);
		return -1;
	}
	g->kind = G_ADDRESS;
	g->local = pool_strdup(&t->pool, nm.local);
	g->domain = pool_strdup(&t->pool, nm.domain);
	if (g->local == NULL || g->domain == NULL)
		*nomem = 1;
	return *nomem ? -1 : 0;
}

/* One table line.  Returns VOUCH_OK, ESYNTAX (in diag), ELIMIT, ENOMEM. */
static enum vouch_status
table_line(struct vouchd_sendas *t, const uint8_t *p, const uint8_t *end,
    unsigned line, struct vouchd_diag *diag, size_t *cap)
{
	const uint8_t *login, *w;
	size_t loginlen, wlen, n = 0;
	struct grant g;
	enum vouch_status st, worst = VOUCH_OK;
	int nomem = 0;

	if (!word(&p, end, &login, &loginlen))
		return VOUCH_OK; /* blank or comment */
	if (loginlen > VOUCHD_SENDAS_MAX_LOGIN) {
		diag_at(diag, VOUCHD_DIAG_ERROR, t->file, line, 0,
		    "login longer than %d bytes", VOUCHD_SENDAS_MAX_LOGIN);
		return VOUCH_ESYNTAX;
	}
	memset(&g, 0, sizeof(g));
	g.line = line;
	g.loginlen = loginlen;
	if ((g.login = pool_strndup(&t->pool, login, loginlen)) == NULL)
		return VOUCH_ENOMEM;
	while (word(&p, end, &w, &wlen)) {
		n++;
		if (parse_grant(t, w, wlen, line, diag, &g, &nomem) < 0) {
			if (nomem)
				return VOUCH_ENOMEM;
			worst = VOUCH_ESYNTAX;
			continue;
		}
		if ((st = add_grant(t, &g, cap)) != VOUCH_OK) {
			if (st == VOUCH_ELIMIT)
				diag_at(diag, VOUCHD_DIAG_ERROR, t->file, line,
				    0, "more than %d addresses",
				    VOUCHD_TABLE_MAX_ENTRIES);
			return st;
		}
		if (g.kind == G_ANY && loginlen == 1 && login[0] == '*')
			diag_at(diag, VOUCHD_DIAG_WARNING, t->file, line, 0,
			    "every login may send as any address: the "
			    "send-as check allows everything");
	}
	if (n == 0) {
		char q[160];

		diag_quote(login, loginlen, q, sizeof(q));
		diag_at(diag, VOUCHD_DIAG_ERROR, t->file, line, 0,
		    "login \"%s\" with no address after it", q);
		return VOUCH_ESYNTAX;
	}
	return worst;
}

static int
cmp_login(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int
by_login(const void *a, const void *b)
{
	const struct grant *x = a, *y = b;
	int c = cmp_login(x->login, x->loginlen, y->login, y->loginlen);

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static enum vouch_status
table_build(struct vouchd_sendas *t, const uint8_t *p, size_t len,
    struct vouchd_diag *diag)
{
	struct reader r = {t->file, p, p + len, 0};
	const uint8_t *lp, *lend;
	enum vouch_status st, worst = VOUCH_OK;
	size_t cap = 0;
	int k;

	while ((k = next_line(&r, diag, &lp, &lend)) != 0) {
		if (k < 0) {
			worst = VOUCH_ESYNTAX;
			continue;
		}
		st = table_line(t, lp, lend, r.line, diag, &cap);
		if (st == VOUCH_ENOMEM || st == VOUCH_ELIMIT)
			return st;
		if (st != VOUCH_OK)
			worst = st;
	}
	if (t->ng == 0 && worst == VOUCH_OK) {
		diag_at(diag, VOUCHD_DIAG_ERROR, t->file, 0, 0,
		    "no login in the send-as table");
		worst = VOUCH_ESYNTAX;
	}
	if (t->ng > 0)
		qsort(t->g, t->ng, sizeof(*t->g), by_login);
	return worst;
}

/* ---- loading the alias map -------------------------------------------- */

static int
by_alias(const void *a, const void *b)
{
	const struct alias *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	if (c != 0)
		return c;
	if (x->local == NULL || y->local == NULL)
		return (x->local != NULL) - (y->local != NULL);
	return strcmp(x->local, y->local);
}

/* The alias of local@domain (local NULL: the domain alias), or NULL. */
static const struct alias *
find_alias(const struct vouchd_sendas *t, const char *local, const char *dom)
{
	struct alias key = {local, dom, NULL, NULL, 0};

	if (t->na == 0)
		return NULL;
	return bsearch(&key, t->a, t->na, sizeof(*t->a), by_alias);
}

/* "local@domain" or "@domain" into *nm (local "" for @domain). */
static int
alias_side(struct vouchd_sendas *t, const uint8_t *w, size_t wlen,
    unsigned line, struct vouchd_diag *diag, struct name *nm)
{
	const char *why;
	char q[160];

	diag_quote(w, wlen, q, sizeof(q));
	if (w[0] == '@') {
		nm->local[0] = '\0';
		if (norm_domain(w + 1, wlen - 1, nm->domain, &why) == 0)
			return 0;
	} else if (parse_address(w, wlen, nm, &why) == 0)
		return 0;
	diag_at(
	    diag, VOUCHD_DIAG_ERROR, t->afile, line, 0, "\"%s\": %s", q, why);
	return -1;
}

static enum vouch_status
alias_line(struct vouchd_sendas *t, const uint8_t *p, const uint8_t *end,
    unsigned line, struct vouchd_diag *diag, size_t *cap)
{
	const uint8_t *w1, *w2, *w3;
	size_t l1, l2, l3;
	struct name from, to;
	struct alias *a;

	if (!word(&p, end, &w1, &l1))
		return VOUCH_OK;
	if (!word(&p, end, &w2, &l2) || word(&p, end, &w3, &l3)) {
		diag_at(diag, VOUCHD_DIAG_ERROR, t->afile, line, 0,
		    "want an alias and the one address it stands for (a list "
		    "address is granted in the send-as table instead)");
		return VOUCH_ESYNTAX;
	}
	if (alias_side(t, w1, l1, line, diag, &from) < 0 ||
	    alias_side(t, w2, l2, line, diag, &to) < 0)
		return VOUCH_ESYNTAX;
	if ((from.local[0] == '\0') != (to.local[0] == '\0')) {
		diag_at(diag, VOUCHD_DIAG_ERROR, t->afile, line, 0,
		    "an address aliases an address, a @domain a @domain");
		return VOUCH_ESYNTAX;
	}
	if (t->na >= VOUCHD_TABLE_MAX_ENTRIES)
		return VOUCH_ELIMIT;
	if (t->na == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if ((a = realloc(t->a, *cap * sizeof(*a))) == NULL)
			return VOUCH_ENOMEM;
		t->a = a;
	}
	a = &t->a[t->na];
	a->line = line;
	a->local = from.local[0] ? pool_strdup(&t->pool, from.local) : NULL;
	a->domain = pool_strdup(&t->pool, from.domain);
	a->to_local = to.local[0] ? pool_strdup(&t->pool, to.local) : NULL;
	a->to_domain = pool_strdup(&t->pool, to.domain);
	if (a->domain == NULL || a->to_domain == NULL ||
	    (from.local[0] && (a->local == NULL || a->to_local == NULL)))
		return VOUCH_ENOMEM;
	t->na++;
	return VOUCH_OK;
}

/* One step through the map: the exact alias, else the domain alias. */
static int
alias_step(const struct vouchd_sendas *t, struct name *nm)
{
	const struct alias *a = find_alias(t, nm->local, nm->domain);
	size_t n;

	if (a == NULL && (a = find_alias(t, NULL, nm->domain)) == NULL)
		return 0;
	if (a->local != NULL) {
		n = strlen(a->to_local);
		memcpy(nm->local, a->to_local, n + 1);
	}
	n = strlen(a->to_domain);
	memcpy(nm->domain, a->to_domain, n + 1);
	return 1;
}

/* Every alias reaches a name with no alias within the depth limit. */
static enum vouch_status
alias_chains(struct vouchd_sendas *t, struct vouchd_diag *diag)
{
	enum vouch_status worst = VOUCH_OK;
	struct name nm;
	size_t i, d;

	for (i = 0; i < t->na; i++) {
		const struct alias *a = &t->a[i];

		if (i > 0 && by_alias(&t->a[i - 1], a) == 0) {
			diag_at(diag, VOUCHD_DIAG_ERROR, t->afile, a->line, 0,
			    "alias defined again (first at line %u)",
			    t->a[i - 1].line);
			worst = VOUCH_ESYNTAX;
			continue;
		}
		memcpy(nm.local, a->local ? a->local : "",
		    1 + (a->local ? strlen(a->local) : 0));
		memcpy(nm.domain, a->domain, strlen(a->domain) + 1);
		for (d = 0; d <= VOUCHD_SENDAS_MAX_ALIAS_DEPTH; d++)
			if (!alias_step(t, &nm))
				break;
		if (d > VOUCHD_SENDAS_MAX_ALIAS_DEPTH) {
			diag_at(diag, VOUCHD_DIAG_ERROR, t->afile, a->line, 0,
			    "alias chain loops or is longer than %d steps",
			    VOUCHD_SENDAS_MAX_ALIAS_DEPTH);
			worst = VOUCH_ESYNTAX;
		}
	}
	return worst;
}

/* Sorting needs the map complete; duplicates are found once sorted. */
static int
by_alias_line(const void *a, const void *b)
{
	int c = by_alias(a, b);
	const struct alias *x = a, *y = b;

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static enum vouch_status
aliases_build(struct vouchd_sendas *t, const uint8_t *p, size_t len,
    struct vouchd_diag *diag)
{
	struct reader r = {t->afile, p, p + len, 0};
	const uint8_t *lp, *lend;
	enum vouch_status st, worst = VOUCH_OK;
	size_t cap = 0;
	int k;

	while ((k = next_line(&r, diag, &lp, &lend)) != 0) {
		if (k < 0) {
			worst = VOUCH_ESYNTAX;
			continue;
		}
		st = alias_line(t, lp, lend, r.line, diag, &cap);
		if (st == VOUCH_ELIMIT)
			diag_at(diag, VOUCHD_DIAG_ERROR, t->afile, r.line, 0,
			    "more than %d aliases", VOUCHD_TABLE_MAX_ENTRIES);
		if (st == VOUCH_ENOMEM || st == VOUCH_ELIMIT)
			return st;
		if (st != VOUCH_OK)
			worst = st;
	}
	if (t->na > 0)
		qsort(t->a, t->na, sizeof(*t->a), by_alias_line);
	st = alias_chains(t, diag);
	return worst != VOUCH_OK ? worst : st;
}

/* ---- load ------------------------------------------------------------ */

void
vouchd_sendas_free(struct vouchd_sendas *t)
{
	if (t == NULL)
		return;
	free(t->g);
	free(t->a);
	pool_free(&t->pool);
	free(t);
}

enum vouch_status
vouchd_sendas_parse(const char *tname, const uint8_t *table, size_t tlen,
    const char *aname, const uint8_t *aliases, size_t alen, const char *delims,
    struct vouchd_diag *diag, struct vouchd_sendas **out)
{
	struct vouchd_sendas *t;
	enum vouch_status st, ast = VOUCH_OK;
	size_t errors_before;

	if (out != NULL)
		*out = NULL;
	if (tname == NULL || diag == NULL || out == NULL ||
	    (table == NULL && tlen > 0) || (aliases == NULL && alen > 0))
		return VOUCH_EINVAL;
	if (delims == NULL)
		delims = "+";
	if (strlen(delims) >= sizeof(t->delims)) {
		diag_at(diag, VOUCHD_DIAG_ERROR, NULL, 0, 0,
		    "SenderAuthDetailDelimiters: more than %zu characters",
		    sizeof(t->delims) - 1);
		return VOUCH_EINVAL;
	}
	errors_before = diag->nerrors;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return VOUCH_ENOMEM;
	memcpy(t->delims, delims, strlen(delims) + 1);
	t->file = pool_strdup(&t->pool, tname);
	t->afile = pool_strdup(&t->pool, aname ? aname : "aliases");
	if (t->file == NULL || t->afile == NULL) {
		vouchd_sendas_free(t);
		return VOUCH_ENOMEM;
	}
	st = table_build(t, table, tlen, diag);
	if (st != VOUCH_ENOMEM && st != VOUCH_ELIMIT && aliases != NULL)
		ast = aliases_build(t, aliases, alen, diag);
	if (st == VOUCH_OK)
		st = ast;
	if (st == VOUCH_OK && diag->nerrors > errors_before)
		st = VOUCH_ESYNTAX;
	if (st != VOUCH_OK) {
		vouchd_sendas_free(t);
		return st;
	}
	*out = t;
	return VOUCH_OK;
}

/* A table that cannot be read: at the option's line when it is known. */
static void
unreadable(const struct vouchd_sendas_conf *conf, const char *option,
    const char *path, unsigned line, enum vouch_status st, int err,
    struct vouchd_diag *diag)
{
	diag_at(diag, VOUCHD_DIAG_ERROR, conf->origin ? conf->origin : path,
	    conf->origin ? line : 0, 0, "%s%s%s: cannot read: %s", option,
	    conf->origin ? " " : "", conf->origin ? path : "",
	    st == VOUCH_ELIMIT ? "file too large"
	    : err == EINVAL    ? "not a regular file"
	                       : strerror(err));
}

enum vouch_status
vouchd_sendas_load(const struct vouchd_sendas_conf *conf,
    struct vouchd_diag *diag, struct vouchd_sendas **out)
{
	uint8_t *tb = NULL, *ab = NULL;
	size_t tl = 0, al = 0;
	enum vouch_status st;
	int err;

	if (out != NULL)
		*out = NULL;
	if (conf == NULL || conf->table == NULL || diag == NULL || out == NULL)
		return VOUCH_EINVAL;
	st = read_file(conf->table, VOUCHD_TABLE_MAX_BYTES, &tb, &tl, &err);
	if (st == VOUCH_OK && conf->aliases != NULL) {
		st = read_file(
		    conf->aliases, VOUCHD_TABLE_MAX_BYTES, &ab, &al, &err);
		if (st != VOUCH_OK)
			unreadable(conf, "SenderAuthAliases", conf->aliases,
			    conf->aliases_line, st, err, diag);
	} else if (st != VOUCH_OK)
		unreadable(conf, "SenderAuthTable", conf->table,
		    conf->table_line, st, err, diag);
	if (st == VOUCH_OK)
		st = vouchd_sendas_parse(conf->table, tb, tl, conf->aliases,
		    conf->aliases ? (ab ? ab : (const uint8_t *)"") : NULL, al,
		    conf->detail_delimiters, diag, out);
	free(tb);
	free(ab);
	return st;
}

/* ---- lookup ------------------------------------------------------------ */

/* Up to 2 starting names, each followed through the alias map. */
#define MAX_NAMES (2 * (VOUCHD_SENDAS_MAX_ALIAS_DEPTH + 1))

struct names {
	size_t n;
	struct name nm[MAX_NAMES];
	int too_deep;
};

static void
add_name(struct names *ns, const struct name *nm)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		if (strcmp(ns->nm[i].local, nm->local) == 0 &&
		    strcmp(ns->nm[i].domain, nm->domain) == 0)
			return;
	if (ns->n < MAX_NAMES)
		ns->nm[ns->n++] = *nm;
}

/* The address without its +detail, if it has one (never to ""). */
static int
strip_detail(const struct vouchd_sendas *t, struct name *nm)
{
	size_t i;

	if (t->delims[0] == '\0')
		return 0;
	for (i = 1; nm->local[i] != '\0'; i++)
		if (strchr(t->delims, nm->local[i]) != NULL) {
			nm->local[i] = '\0';
			return 1;
		}
	return 0;
}

static void
all_names(
    const struct vouchd_sendas *t, const struct name *addr, struct names *ns)
{
	struct name base[2], cur;
	size_t nb = 1, i, d;

	ns->n = 0;
	ns->too_deep = 0;
	base[0] = *addr;
	base[1] = *addr;
	if (strip_detail(t, &base[1]))
		nb = 2;
	for (i = 0; i < nb; i++) {
		add_name(ns, &base[i]);
		cur = base[i];
		for (d = 0; d < VOUCHD_SENDAS_MAX_ALIAS_DEPTH; d++) {
			if (!alias_step(t, &cur))
				break;
			add_name(ns, &cur);
		}
		if (d == VOUCHD_SENDAS_MAX_ALIAS_DEPTH && alias_step(t, &cur))
			ns->too_deep = 1;
	}
}

static int
grant_allows(const struct grant *g, const struct name *nm,
    const struct name *self, int have_self)
{
	size_t dl, gl;

	switch (g->kind) {
	case G_ANY:
		return 1;
	case G_SELF:
		return have_self && strcmp(self->local, nm->local) == 0 &&
		       strcmp(self->domain, nm->domain) == 0;
	case G_DOMAIN:
		return strcmp(g->domain, nm->domain) == 0;
	case G_SUBDOMAINS:
		dl = strlen(nm->domain);
		gl = strlen(g->domain);
		return dl > gl && nm->domain[dl - gl - 1] == '.' &&
		       strcmp(nm->domain + dl - gl, g->domain) == 0;
	case G_ADDRESS:
		return strcmp(g->local, nm->local) == 0 &&
		       strcmp(g->domain, nm->domain) == 0;
	}
	return 0;
}

/* The grants of one login: [*first, *first + *n) of t->g. */
static void
grants_of(const struct vouchd_sendas *t, const char *login, size_t len,
    size_t *first, size_t *n)
{
	size_t lo = 0, hi = t->ng, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cmp_login(t->g[mid].login, t->g[mid].loginlen, login, len) <
		    0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo < t->ng &&
	       cmp_login(t->g[lo].login, t->g[lo].loginlen, login, len) == 0)
		lo++;
	*n = lo - *first;
}

static const char *
kind_text(enum grant_kind k)
{
	switch (k) {
	case G_ANY:
		return "*";
	case G_SELF:
		return "%";
	case G_DOMAIN:
		return "@domain";
	case G_SUBDOMAINS:
		return "@.domain";
	default:
		return "address";
	}
}

__attribute__((format(printf, 3, 4))) static void
say(char *why, size_t cap, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	if (why == NULL || cap == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	diag_quote((const uint8_t *)text, strlen(text), why, cap);
}

/* The allowed check of one normalized address. */
static enum vouchd_sendas_result
lookup_name(const struct vouchd_sendas *t, const char *login, size_t loginlen,
    const struct name *addr, char *why, size_t whylen)
{
	struct names names, *ns = &names;
	struct name self;
	size_t pass, f, n, i, j;
	const char *lw;
	int have_self;

	all_names(t, addr, ns);
	have_self =
	    memchr(login, '@', loginlen) != NULL &&
	    parse_address((const uint8_t *)login, loginlen, &self, &lw) == 0;
	for (pass = 0; pass < 2; pass++) {
		if (pass == 0)
			grants_of(t, login, loginlen, &f, &n);
		else
			grants_of(t, "*", 1, &f, &n);
		for (i = f; i < f + n; i++)
			for (j = 0; j < ns->n; j++) {
				if (!grant_allows(
				        &t->g[i], &ns->nm[j], &self, have_self))
					continue;
				say(why, whylen,
				    "%s@%s allowed by %s:%u (%s%s%s)",
				    ns->nm[j].local, ns->nm[j].domain, t->file,
				    t->g[i].line, kind_text(t->g[i].kind),
				    pass ? " for every login" : "",
				    j > 0 ? ", through its detail or alias"
				          : "");
				return VOUCHD_SENDAS_ALLOWED;
			}
	}
	if (ns->too_deep) {
		say(why, whylen, "alias chain of %s@%s longer than %d steps",
		    addr->local, addr->domain, VOUCHD_SENDAS_MAX_ALIAS_DEPTH);
		return VOUCHD_SENDAS_ERROR;
	}
	say(why, whylen, "no entry of %s allows %s@%s", t->file, addr->local,
	    addr->domain);
	return VOUCHD_SENDAS_NO_MATCH;
}

/* Normalizes a parsed address; -1 with *why when it cannot be. */
static int
to_name(const uint8_t *local, size_t locallen, const uint8_t *domain,
    size_t domainlen, struct name *nm, const char **why)
{
	if (locallen == 0 || local == NULL) {
		*why = "empty local part";
		return -1;
	}
	if (locallen > VOUCH_ADDR_MAX_LOCAL ||
	    memchr(local, '\0', locallen) != NULL) {
		*why = locallen > VOUCH_ADDR_MAX_LOCAL ? "local part too long"
		                                       : "NUL in local part";
		return -1;
	}
	if (domain == NULL ||
	    norm_domain(domain, domainlen, nm->domain, why) < 0)
		return -1;
	lower(nm->local, local, locallen);
	return 0;
}

enum vouchd_sendas_result
vouchd_sendas_lookup(const struct vouchd_sendas *t, const char *login,
    size_t loginlen, const uint8_t *local, size_t locallen,
    const uint8_t *domain, size_t domainlen, char *why, size_t whylen)
{
	struct name nm;
	const char *w;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (login == NULL || loginlen == 0) {
		say(why, whylen, "the client did not authenticate");
		return VOUCHD_SENDAS_UNAUTHENTICATED;
	}
	if (t == NULL) {
		say(why, whylen, "no send-as table is loaded");
		return VOUCHD_SENDAS_ERROR;
	}
	if (to_name(local, locallen, domain, domainlen, &nm, &w) < 0) {
		say(why, whylen, "address cannot be checked: %s", w);
		return VOUCHD_SENDAS_MALFORMED;
	}
	return lookup_name(t, login, loginlen, &nm, why, whylen);
}

const char *
vouchd_sendas_result_str(enum vouchd_sendas_result r)
{
	switch (r) {
	case VOUCHD_SENDAS_ALLOWED:
		return "allowed";
	case VOUCHD_SENDAS_UNAUTHENTICATED:
		return "unauthenticated";
	case VOUCHD_SENDAS_NO_MATCH:
		return "no-match";
	case VOUCHD_SENDAS_MALFORMED:
		return "malformed";
	case VOUCHD_SENDAS_ERROR:
		return "error";
	}
	return "unknown";
}

/* ---- the whole message ------------------------------------------------ */

static const char *
source_text(enum vouchd_sendas_source s)
{
	switch (s) {
	case VOUCHD_SENDAS_SRC_FROM:
		return "From";
	case VOUCHD_SENDAS_SRC_SENDER:
		return "Sender";
	case VOUCHD_SENDAS_SRC_MAIL_FROM:
		return "MAIL FROM";
	default:
		return "";
	}
}

static void
refuse(struct vouchd_sendas_verdict *v, enum vouchd_sendas_result r,
    enum vouchd_sendas_source src, const struct mail_mailbox *mb,
    const char *why)
{
	char addr[VOUCHD_TABLE_MAX_ADDRESS + 2];
	size_t n = 0;

	v->result = r;
	v->source = src;
	if (mb != NULL) {
		/* The address as written: local part, "@", domain. */
		memcpy(addr, mb->local, mb->locallen);
		n = mb->locallen;
		addr[n++] = '@';
		if (mb->domainlen <= sizeof(addr) - n) {
			memcpy(addr + n, mb->domain, mb->domainlen);
			n += mb->domainlen;
		}
		diag_quote(
		    (const uint8_t *)addr, n, v->address, sizeof(v->address));
	}
	if (r == VOUCHD_SENDAS_NO_MATCH)
		(void)snprintf(v->reason, sizeof(v->reason),
		    "sender address <%s> in %s is not allowed for login %s",
		    v->address, source_text(src), v->login);
	else if (r == VOUCHD_SENDAS_MALFORMED)
		(void)snprintf(v->reason, sizeof(v->reason),
		    "sender address %s%s%sin %s cannot be checked for login "
		    "%s: %s",
		    mb ? "<" : "", mb ? v->address : "", mb ? "> " : "",
		    source_text(src), v->login, why);
	else
		(void)snprintf(v->reason, sizeof(v->reason),
		    "sender address <%s> in %s: %s", v->address,
		    source_text(src), why);
}

/* Checks every mailbox of a parsed field.  Returns 1 when refused. */
static int
check_list(const struct vouchd_sendas *t, const char *login, size_t loginlen,
    const struct mail_mailbox_list *l, enum vouchd_sendas_source src,
    struct vouchd_sendas_verdict *v)
{
	char why[512];
	enum vouchd_sendas_result r;
	struct name nm;
	const char *w;
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct mail_mailbox *mb = &l->mb[i];

		if (mb->local_toolong || mb->literal ||
		    to_name(mb->local, mb->locallen, mb->domain, mb->domainlen,
		        &nm, &w) < 0) {
			refuse(v, VOUCHD_SENDAS_MALFORMED, src,
			    mb->local_toolong ? NULL : mb,
			    mb->local_toolong ? "local part too long"
			    : mb->literal     ? "a domain literal"
			                      : w);
			return 1;
		}
		r = lookup_name(t, login, loginlen, &nm, why, sizeof(why));
		if (r != VOUCHD_SENDAS_ALLOWED) {
			refuse(v, r, src, mb, why);
			return 1;
		}
	}
	return 0;
}

/* Parses and checks one field value; want1: exactly one mailbox. */
static int
check_field(const struct vouchd_sendas *t, const char *login, size_t loginlen,
    const uint8_t *p, size_t len, int want1, enum vouchd_sendas_source src,
    struct mail_mailbox_list *l, struct vouchd_sendas_verdict *v)
{
	const char *why;

	if (mail_mailbox_list_parse(p, len, l, &why) != VOUCH_OK) {
		refuse(v, VOUCHD_SENDAS_MALFORMED, src, NULL, why);
		return 1;
	}
	if (l->n == 0 || (want1 && l->n != 1)) {
		refuse(v, VOUCHD_SENDAS_MALFORMED, src, NULL,
		    l->n == 0 ? "no address" : "more than one address");
		return 1;
	}
	return check_list(t, login, loginlen, l, src, v);
}

/* MAIL FROM "<>" (or empty): the null reverse-path, RFC 5321 §4.5.5. */
static int
null_path(const uint8_t *p, size_t len)
{
	size_t i, n = 0;
	uint8_t c[2];

	for (i = 0; i < len; i++) {
		if (p[i] == ' ' || p[i] == '\t')
			continue;
		if (n == 2)
			return 0;
		c[n++] = p[i];
	}
	return n == 0 || (n == 2 && c[0] == '<' && c[1] == '>');
}

enum vouch_status
vouchd_sendas_check(const struct vouchd_sendas *t, const char *login,
    size_t loginlen, const uint8_t *const *from, const size_t *fromlen,
    size_t nfrom, const uint8_t *sender, size_t senderlen,
    const uint8_t *mailfrom, size_t mailfromlen,
    struct vouchd_sendas_verdict *out)
{
	struct mail_mailbox_list *l;
	size_t i;
	int refused = 0;

	if (out == NULL || (nfrom > 0 && (from == NULL || fromlen == NULL)))
		return VOUCH_EINVAL;
	memset(out, 0, sizeof(*out));
	if (login == NULL || loginlen == 0) {
		out->result = VOUCHD_SENDAS_UNAUTHENTICATED;
		(void)snprintf(out->reason, sizeof(out->reason),
		    "the client did not authenticate");
		return VOUCH_OK;
	}
	diag_quote(
	    (const uint8_t *)login, loginlen, out->login, sizeof(out->login));
	if (t == NULL) {
		out->result = VOUCHD_SENDAS_ERROR;
		(void)snprintf(out->reason, sizeof(out->reason),
		    "no send-as table is loaded");
		return VOUCH_OK;
	}
	if (nfrom == 0) {
		refuse(out, VOUCHD_SENDAS_MALFORMED, VOUCHD_SENDAS_SRC_FROM,
		    NULL, "the message has no From field");
		return VOUCH_OK;
	}
	if ((l = malloc(sizeof(*l))) == NULL)
		return VOUCH_ENOMEM;
	for (i = 0; i < nfrom && !refused; i++)
		refused = check_field(t, login, loginlen, from[i], fromlen[i],
		    0, VOUCHD_SENDAS_SRC_FROM, l, out);
	if (!refused && sender != NULL)
		refused = check_field(t, login, loginlen, sender, senderlen, 1,
		    VOUCHD_SENDAS_SRC_SENDER, l, out);
	if (!refused && mailfrom != NULL && !null_path(mailfrom, mailfromlen))
		refused = check_field(t, login, loginlen, mailfrom, mailfromlen,
		    1, VOUCHD_SENDAS_SRC_MAIL_FROM, l, out);
	free(l);
	if (!refused) {
		out->result = VOUCHD_SENDAS_ALLOWED;
		(void)snprintf(out->reason, sizeof(out->reason),
		    "every sender address is allowed for login %s", out->login);
	}
	return VOUCH_OK;
}
