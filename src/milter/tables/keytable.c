/*
 * OpenDKIM's KeyTable (opendkim.conf(5), KeyTable): each entry maps a key
 * name to "domain:selector:keyfile".  The value's fields are separated by
 * colons and the last takes the rest of the value, as OpenDKIM splits it.
 * A domain of "%" is the sender's domain; a '%' in the path is the signing
 * domain.  OpenDKIM also takes a key written into the table itself;
 * vouchd does not (the daemon's signer reads keys from files, so that a
 * table readable by the mail-reading process holds no key).
 */
#include <stdlib.h>
#include <string.h>

#include "milter/tables/internal.h"

static int
is_path(const uint8_t *p, size_t len)
{
	if (len >= 1 && p[0] == '/')
		return 1;
	if (len >= 2 && p[0] == '.' && p[1] == '/')
		return 1;
	return len >= 3 && p[0] == '.' && p[1] == '.' && p[2] == '/';
}

/* Checks one entry; fills *k with pool strings.  Returns 0 or -1. */
static int
key_entry(struct ds *ds, const struct ds_entry *e, struct strpool *pool,
    const char *file, struct vouchd_diag *diag, struct vouchd_table_key *k,
    int *nomem)
{
	const uint8_t *v = e->val, *end, *c1, *c2;
	char dom[VOUCH_DNS_MAX_NAME + 1], q[128];
	const char *why;

	end = v != NULL ? v + e->vallen : NULL;
	diag_quote(e->key, e->keylen, q, sizeof(q));
	if (e->keylen > VOUCHD_TABLE_MAX_NAME) {
		diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
		    "key name \"%s\" longer than %d bytes", q,
		    VOUCHD_TABLE_MAX_NAME);
		return -1;
	}
	if (e->val == NULL || (c1 = memchr(v, ':', e->vallen)) == NULL ||
	    (c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1))) == NULL) {
		diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
		    "key \"%s\": want domain:selector:keyfile after the name",
		    q);
		return -1;
	}
	if (c1 - v == 1 && v[0] == '%') {
		dom[0] = '%';
		dom[1] = '\0';
	} else if (norm_domain(v, (size_t)(c1 - v), dom, &why) < 0) {
		diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
		    "key \"%s\": signing domain: %s", q, why);
		return -1;
	}
	if (!selector_ok(c1 + 1, (size_t)(c2 - c1 - 1), &why)) {
		diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line, "key \"%s\": %s",
		    q, why);
		return -1;
	}
	c2++;
	if (!is_path(c2, (size_t)(end - c2))) {
		diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
		    "key \"%s\": the key must be a file path starting with "
		    "/, ./ or ../; vouchd does not take a key written into "
		    "the table (put it in a file only vouchd can read)",
		    q);
		return -1;
	}
	if ((size_t)(end - c2) > VOUCHD_TABLE_MAX_PATH) {
		diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e->line,
		    "key \"%s\": key path longer than %d bytes", q,
		    VOUCHD_TABLE_MAX_PATH);
		return -1;
	}
	if (c2[0] == '.')
		diag_ds(diag, VOUCHD_DIAG_WARNING, ds, e->line,
		    "key \"%s\": relative key path, resolved against "
		    "vouchd's working directory",
		    q);
	k->name = pool_strndup(pool, e->key, e->keylen);
	k->domain = pool_strdup(pool, dom);
	k->selector = pool_strndup(pool, c1 + 1, (size_t)(c2 - 1 - c1 - 1));
	k->keypath = pool_strndup(pool, c2, (size_t)(end - c2));
	k->file = file; /* the table's name, in the pool: ds goes */
	k->line = e->line;
	if (!k->name || !k->domain || !k->selector || !k->keypath) {
		*nomem = 1;
		return -1;
	}
	return 0;
}

static int
by_name(const void *a, const void *b, void *arg)
{
	const struct vouchd_table_key *keys = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(keys[i].name, keys[j].name);

	if (c != 0)
		return c;
	return i < j ? -1 : i > j;
}

/* The first entry named name (file: and csl:), or -1. */
static long
find_exact(const struct keytable *kt, const char *name, size_t len)
{
	size_t lo = 0, hi = kt->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(kt->keys[kt->order[mid]].name, name, len);
		if (c == 0 && kt->keys[kt->order[mid]].name[len] != '\0')
			c = 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < kt->n && strlen(kt->keys[kt->order[lo]].name) == len &&
	    strncmp(kt->keys[kt->order[lo]].name, name, len) == 0)
		return (long)kt->order[lo];
	return -1;
}

/* Sorts the index and warns about names defined twice. */
static enum vouch_status
index_names(struct keytable *kt, struct ds *ds, struct vouchd_diag *diag)
{
	size_t i;

	if ((kt->order = malloc((kt->n ? kt->n : 1) * sizeof(size_t))) == NULL)
		return VOUCH_ENOMEM;
	for (i = 0; i < kt->n; i++)
		kt->order[i] = i;
	qsort_r(kt->order, kt->n, sizeof(size_t), by_name, kt->keys);
	for (i = 1; i < kt->n; i++) {
		const struct vouchd_table_key *a = &kt->keys[kt->order[i - 1]];
		const struct vouchd_table_key *b = &kt->keys[kt->order[i]];

		if (strcmp(a->name, b->name) == 0)
			diag_ds(diag, VOUCHD_DIAG_WARNING, ds, b->line,
			    "key name defined again (first at line %u); this "
			    "entry is never used",
			    a->line);
	}
	return VOUCH_OK;
}

static enum vouch_status
grow(struct keytable *kt, size_t *cap)
{
	struct vouchd_table_key *k;
	struct wildcard *w;
	size_t ncap = *cap ? *cap * 2 : 16;

	if ((k = realloc(kt->keys, ncap * sizeof(*k))) == NULL)
		return VOUCH_ENOMEM;
	kt->keys = k;
	if (kt->refile) {
		if ((w = realloc(kt->pat, ncap * sizeof(*w))) == NULL)
			return VOUCH_ENOMEM;
		kt->pat = w;
	}
	*cap = ncap;
	return VOUCH_OK;
}

/* Keeps the name and line of an entry key_entry refused. */
static int
note_refused(struct keytable *kt, const struct ds_entry *e,
    struct strpool *pool, const char *file)
{
	struct vouchd_table_key *r;
	size_t cap;

	if (e->keylen > VOUCHD_TABLE_MAX_NAME)
		return 0; /* no SigningTable entry can name it */
	if (kt->nrefused == kt->refused_cap) {
		cap = kt->refused_cap ? kt->refused_cap * 2 : 8;
		if ((r = realloc(kt->refused, cap * sizeof(*r))) == NULL)
			return -1;
		kt->refused = r;
		kt->refused_cap = cap;
	}
	r = &kt->refused[kt->nrefused];
	memset(r, 0, sizeof(*r));
	if ((r->name = pool_strndup(pool, e->key, e->keylen)) == NULL)
		return -1;
	r->file = file;
	r->line = e->line;
	kt->nrefused++;
	return 0;
}

enum vouch_status
keytable_build(struct ds *ds, struct strpool *pool, struct vouchd_diag *diag,
    struct keytable *kt)
{
	struct ds_entry e;
	const char *file;
	size_t cap = 0;
	int r, bad = 0, nomem = 0;

	memset(kt, 0, sizeof(*kt));
	kt->refile = ds->type == DS_REFILE;
	if ((file = pool_strdup(pool, ds->name)) == NULL)
		return VOUCH_ENOMEM;
	while ((r = ds_next(ds, diag, &e)) != 0) {
		if (r < 0) {
			bad = 1;
			continue;
		}
		if (kt->n >= VOUCHD_TABLE_MAX_ENTRIES) {
			diag_ds(diag, VOUCHD_DIAG_ERROR, ds, e.line,
			    "more than %d entries", VOUCHD_TABLE_MAX_ENTRIES);
			return VOUCH_ELIMIT;
		}
		if (kt->n == cap && grow(kt, &cap) != VOUCH_OK)
			return VOUCH_ENOMEM;
		if (key_entry(ds, &e, pool, file, diag, &kt->keys[kt->n],
		        &nomem) < 0) {
			if (nomem || note_refused(kt, &e, pool, file) != 0)
				return VOUCH_ENOMEM;
			bad = 1;
			continue;
		}
		if (kt->refile && wildcard_compile(e.key, e.keylen, 0,
		                      &kt->pat[kt->n]) != VOUCH_OK)
			return VOUCH_ENOMEM;
		kt->n++;
	}
	if (kt->n == 0 && !bad)
		diag_ds(
		    diag, VOUCHD_DIAG_ERROR, ds, 0, "no key in the KeyTable");
	if (kt->n == 0)
		return VOUCH_ESYNTAX;
	if (!kt->refile && index_names(kt, ds, diag) != VOUCH_OK)
		return VOUCH_ENOMEM;
	return bad ? VOUCH_ESYNTAX : VOUCH_OK;
}

const struct vouchd_table_key *
keytable_find(const struct keytable *kt, const char *name, size_t len)
{
	size_t i;
	long at;

	if (!kt->refile) {
		at = find_exact(kt, name, len);
		return at < 0 ? NULL : &kt->keys[at];
	}
	/* refile: the first pattern that matches, in file order. */
	for (i = 0; i < kt->n; i++)
		if (wildcard_match(&kt->pat[i], name, len))
			return &kt->keys[i];
	return NULL;
}

const struct vouchd_table_key *
keytable_refused(const struct keytable *kt, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < kt->nrefused; i++)
		if (strlen(kt->refused[i].name) == len &&
		    memcmp(kt->refused[i].name, name, len) == 0)
			return &kt->refused[i];
	return NULL;
}

void
keytable_free(struct keytable *kt)
{
	size_t i;

	if (kt->pat != NULL)
		for (i = 0; i < kt->n; i++)
			wildcard_free(&kt->pat[i]);
	free(kt->pat);
	free(kt->keys);
	free(kt->order);
	free(kt->refused);
	memset(kt, 0, sizeof(*kt));
}
