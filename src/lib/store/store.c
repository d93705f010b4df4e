/*
 * The store: URLs, opening a back end, the statement wrappers, transactions
 * and the migrations.  Everything back-end specific is behind store_ops
 * (sqlite.c, pg.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"

/* ---- URLs ------------------------------------------------------------- */

static bool
has_prefix_nocase(const char *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && strncasecmp(p, prefix, n) == 0;
}

/*
 * A scheme (RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ))
 * followed by ':'?  Returns its length, 0 when there is none.  A single
 * letter is a Windows drive, never a scheme here; a path such as
 * "./db:1" has none because '.' cannot start a scheme.
 */
static size_t
scheme_len(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || !((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z'))
		return 0;
	for (i = 1; i < len; i++) {
		char c = p[i];

		if (c == ':')
			return i >= 2 ? i : 0;
		if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') &&
		    !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.')
			return 0;
	}
	return 0;
}

enum vouch_status
vouch_store_url_parse(const char *p, size_t len, struct vouch_store_url *out)
{
	size_t i;

	if (out == NULL || (p == NULL && len > 0))
		return VOUCH_EINVAL;
	memset(out, 0, sizeof(*out));
	if (len == 0)
		return VOUCH_EINVAL;
	if (len > VOUCH_STORE_MAX_URL)
		return VOUCH_ELIMIT;
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return VOUCH_EINVAL;
	if (has_prefix_nocase(p, len, "postgresql://") ||
	    has_prefix_nocase(p, len, "postgres://")) {
		out->backend = VOUCH_STORE_POSTGRESQL;
		memcpy(out->target, p, len);
		return VOUCH_OK;
	}
	out->backend = VOUCH_STORE_SQLITE;
	if (has_prefix_nocase(p, len, "sqlite:")) {
		p += 7;
		len -= 7;
		/* sqlite://PATH: the authority is empty, PATH follows */
		if (len >= 2 && p[0] == '/' && p[1] == '/') {
			p += 2;
			len -= 2;
		}
	} else if (scheme_len(p, len) > 0) {
		return VOUCH_EINVAL; /* mysql:, file:, http:, ... */
	}
	if (len == 0)
		return VOUCH_EINVAL;
	memcpy(out->target, p, len);
	return VOUCH_OK;
}

const char *
vouch_store_default_url(void)
{
	const char *e = getenv("VOUCH_DB");

	return e != NULL && e[0] != '\0' ? e : VOUCH_STORE_DEFAULT_PATH;
}

/* ---- Handles ----------------------------------------------------------- */

enum vouch_status
store_seterr(struct vouch_store *s, enum vouch_status st, const char *fmt, ...)
{
	va_list ap;

	if (s == NULL)
		return st;
	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	return st;
}

/* Copies the reason to the caller's buffer. */
static void
copy_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

enum vouch_status
vouch_store_open(const char *url, unsigned flags, struct vouch_store **out,
    char *err, size_t errlen)
{
	struct vouch_store_url u;
	struct vouch_store *s;
	enum vouch_status st;

	if (out == NULL)
		return VOUCH_EINVAL;
	*out = NULL;
	if (url == NULL)
		url = vouch_store_default_url();
	st = vouch_store_url_parse(
	    url, strnlen(url, VOUCH_STORE_MAX_URL + 1), &u);
	if (st != VOUCH_OK) {
		copy_err(err, errlen,
		    st == VOUCH_ELIMIT ? "database URL too long"
		                       : "not a database URL (a SQLite path, "
		                         "sqlite:PATH or postgresql://...)");
		return st;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return VOUCH_ENOMEM;
	s->backend = u.backend;
	if (u.backend == VOUCH_STORE_SQLITE) {
		s->ops = &store_sqlite_ops;
	} else {
#ifdef VOUCH_HAVE_LIBPQ
		s->ops = &store_pg_ops;
#else
		copy_err(err, errlen,
		    "this vouch was built without PostgreSQL (libpq)");
		free(s);
		return VOUCH_EUNSUPPORTED;
#endif
	}
	if ((st = s->ops->open(s, u.target, flags)) != VOUCH_OK) {
		copy_err(err, errlen, s->err);
		s->ops->close(s);
		free(s);
		return st;
	}
	explicit_bzero(&u, sizeof(u)); /* the URL may hold a password */
	*out = s;
	return VOUCH_OK;
}

void
vouch_store_close(struct vouch_store *s)
{
	if (s == NULL)
		return;
	store_rollback(s);
	s->ops->close(s);
	free(s);
}

enum vouch_store_backend
vouch_store_backend(const struct vouch_store *s)
{
	return s->backend;
}

const char *
vouch_store_errmsg(const struct vouch_store *s)
{
	return s->err;
}

/* ---- Statements -------------------------------------------------------- */

enum vouch_status
store_exec(struct vouch_store *s, const char *sql)
{
	return s->ops->exec(s, sql);
}

enum vouch_status
store_prepare(struct vouch_store *s, const char *sql, struct store_stmt **out)
{
	*out = NULL;
	return s->ops->prepare(s, sql, out);
}

const char *
store_pick(const struct vouch_store *s, const char *sqlite, const char *pg)
{
	return s->backend == VOUCH_STORE_POSTGRESQL ? pg : sqlite;
}

enum vouch_status
store_bind_null(struct store_stmt *st, unsigned i)
{
	return st->s->ops->bind_null(st, i);
}

enum vouch_status
store_bind_int64(struct store_stmt *st, unsigned i, int64_t v)
{
	return st->s->ops->bind_int64(st, i, v);
}

enum vouch_status
store_bind_str(struct store_stmt *st, unsigned i, const char *s)
{
	if (s == NULL)
		return st->s->ops->bind_null(st, i);
	return st->s->ops->bind_text(st, i, s, strlen(s));
}

enum vouch_status
store_bind_text(struct store_stmt *st, unsigned i, const char *p, size_t len)
{
	return st->s->ops->bind_text(st, i, p, len);
}

enum vouch_status
store_bind_blob(struct store_stmt *st, unsigned i, const void *p, size_t len)
{
	return st->s->ops->bind_blob(st, i, p, len);
}

enum vouch_status
store_step(struct store_stmt *st, bool *row)
{
	return st->s->ops->step(st, row);
}

enum vouch_status
store_run(struct store_stmt *st)
{
	enum vouch_status rc;
	bool row;

	do
		rc = st->s->ops->step(st, &row);
	while (rc == VOUCH_OK && row);
	if (rc != VOUCH_OK) {
		(void)st->s->ops->reset(st);
		return rc;
	}
	return st->s->ops->reset(st);
}

uint64_t
store_changes(struct store_stmt *st)
{
	return st->s->ops->changes(st);
}

bool
store_col_null(struct store_stmt *st, unsigned i)
{
	return st->s->ops->col_null(st, i);
}

int64_t
store_col_int64(struct store_stmt *st, unsigned i)
{
	return st->s->ops->col_int64(st, i);
}

const char *
store_col_text(struct store_stmt *st, unsigned i, size_t *len)
{
	size_t n = 0;
	const char *t = st->s->ops->col_text(st, i, &n);

	if (t == NULL) {
		t = "";
		n = 0;
	}
	if (len != NULL)
		*len = n;
	/* t points into the statement's row, not at n (cppcheck cannot
	 * see through the function pointer) */
	/* cppcheck-suppress returnDanglingLifetime */
	return t;
}

const void *
store_col_blob(struct store_stmt *st, unsigned i, size_t *len)
{
	return st->s->ops->col_blob(st, i, len);
}

enum vouch_status
store_reset(struct store_stmt *st)
{
	return st->s->ops->reset(st);
}

void
store_finalize(struct store_stmt *st)
{
	if (st != NULL)
		st->s->ops->finalize(st);
}

/* ---- Transactions ------------------------------------------------------ */

enum vouch_status
store_begin(struct vouch_store *s)
{
	enum vouch_status st;

	st = store_exec(s, store_pick(s, "BEGIN IMMEDIATE", "BEGIN"));
	if (st == VOUCH_OK)
		s->in_tx = 1;
	return st;
}

enum vouch_status
store_commit(struct vouch_store *s)
{
	enum vouch_status st = store_exec(s, "COMMIT");

	if (st != VOUCH_OK) {
		store_rollback(s);
		return st;
	}
	s->in_tx = 0;
	return VOUCH_OK;
}

void
store_rollback(struct vouch_store *s)
{
	char keep[sizeof(s->err)];

	if (!s->in_tx)
		return;
	/* keep the reason of the failure that made us roll back; a failed
	 * ROLLBACK leaves nothing to do (the connection ends the transaction
	 * when it closes) */
	memcpy(keep, s->err, sizeof(keep));
	if (s->ops->exec(s, "ROLLBACK") != VOUCH_OK)
		keep[sizeof(keep) - 1] = '\0';
	memcpy(s->err, keep, sizeof(keep));
	s->in_tx = 0;
}

enum vouch_status
store_lock(struct vouch_store *s, int64_t key)
{
	return s->ops->lock(s, key);
}

enum vouch_status
store_partition(struct vouch_store *s, const char *table, int64_t t)
{
	if (s->ops->partition == NULL)
		return VOUCH_OK;
	return s->ops->partition(s, table, t);
}

/* ---- Migrations -------------------------------------------------------- */

static const char create_migration_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migration ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)";

/* Does the table schema_migration exist?  (Not created by reading.) */
static enum vouch_status
migration_table_exists(struct vouch_store *s, bool *yes)
{
	struct store_stmt *q;
	enum vouch_status st;

	st = store_prepare(s,
	    store_pick(s,
	        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
	        "name = 'schema_migration'",
	        "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = "
	        "'schema_migration' AND schemaname = current_schema()"),
	    &q);
	if (st != VOUCH_OK)
		return st;
	*yes = false;
	if ((st = store_step(q, yes)) == VOUCH_OK && *yes)
		*yes = store_col_int64(q, 0) > 0;
	store_finalize(q);
	return st;
}

static const struct store_migration *
find_migration(unsigned version)
{
	size_t i;

	for (i = 0; i < store_nmigrations; i++)
		if (store_migrations[i].version == version)
			return &store_migrations[i];
	return NULL;
}

enum vouch_status
vouch_store_schema(struct vouch_store *s, struct vouch_store_schema_info *info)
{
	struct store_stmt *q;
	enum vouch_status st;
	bool exists, row;
	unsigned v;

	if (s == NULL || info == NULL)
		return VOUCH_EINVAL;
	memset(info, 0, sizeof(*info));
	info->known = (unsigned)store_nmigrations;
	if ((st = migration_table_exists(s, &exists)) != VOUCH_OK || !exists)
		return st;
	st = store_prepare(s, "SELECT version FROM schema_migration", &q);
	if (st != VOUCH_OK)
		return st;
	while ((st = store_step(q, &row)) == VOUCH_OK && row) {
		v = (unsigned)store_col_int64(q, 0);
		if (find_migration(v) != NULL)
			info->applied++;
		else
			info->unknown++;
		if (v > info->latest)
			info->latest = v;
	}
	store_finalize(q);
	return st;
}

enum vouch_status
store_has_migration(struct vouch_store *s, unsigned version, bool *yes)
{
	struct store_stmt *q;
	enum vouch_status st;
	bool exists;

	*yes = false;
	if ((st = migration_table_exists(s, &exists)) != VOUCH_OK || !exists)
		return st;
	st = store_prepare(
	    s, "SELECT count(*) FROM schema_migration WHERE version = $1", &q);
	if (st != VOUCH_OK)
		return st;
	if ((st = store_bind_int64(q, 1, version)) == VOUCH_OK &&
	    (st = store_step(q, yes)) == VOUCH_OK && *yes)
		*yes = store_col_int64(q, 0) > 0;
	store_finalize(q);
	return st;
}

/*
 * Applies migration m unless another process did it first: the check and
 * the script run in one transaction under the migration lock.
 */
static enum vouch_status
apply_one(struct vouch_store *s, const struct store_migration *m, bool *did)
{
	struct store_stmt *q = NULL;
	enum vouch_status st;
	bool have;
	const char *sql = store_pick(s, m->sqlite, m->pg);

	*did = false;
	if ((st = store_begin(s)) != VOUCH_OK)
		return st;
	if ((st = store_lock(s, STORE_LOCK_MIGRATE)) != VOUCH_OK ||
	    (st = store_exec(s, create_migration_table)) != VOUCH_OK ||
	    (st = store_has_migration(s, m->version, &have)) != VOUCH_OK)
		goto fail;
	if (have) {
		store_rollback(s);
		return VOUCH_OK;
	}
	if ((st = store_exec(s, sql)) != VOUCH_OK) {
		char why[sizeof(s->err)];

		memcpy(why, s->err, sizeof(why));
		store_seterr(
		    s, st, "migration %03u_%s: %s", m->version, m->name, why);
		goto fail;
	}
	st = store_prepare(s,
	    "INSERT INTO schema_migration (version, name, applied_at) "
	    "VALUES ($1, $2, $3)",
	    &q);
	if (st != VOUCH_OK)
		goto fail;
	if ((st = store_bind_int64(q, 1, m->version)) != VOUCH_OK ||
	    (st = store_bind_str(q, 2, m->name)) != VOUCH_OK ||
	    (st = store_bind_int64(q, 3, (int64_t)time(NULL))) != VOUCH_OK ||
	    (st = store_run(q)) != VOUCH_OK)
		goto fail;
	store_finalize(q);
	if ((st = store_commit(s)) == VOUCH_OK)
		*did = true;
	return st;
fail:
	store_finalize(q);
	store_rollback(s);
	return st;
}

enum vouch_status
vouch_store_migrate(struct vouch_store *s, unsigned *napplied)
{
	enum vouch_status st;
	size_t i;
	bool did;

	if (napplied != NULL)
		*napplied = 0;
	if (s == NULL)
		return VOUCH_EINVAL;
	/* store_migrations is sorted by version (the generator checks it) */
	for (i = 0; i < store_nmigrations; i++) {
		if ((st = apply_one(s, &store_migrations[i], &did)) != VOUCH_OK)
			return st;
		if (did && napplied != NULL)
			(*napplied)++;
	}
	return VOUCH_OK;
}
