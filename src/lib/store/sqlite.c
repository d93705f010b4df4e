/*
 * The SQLite back end of the store: one file, WAL mode.
 *
 * WAL lets one writer (a recorder) and readers (report generation) work at
 * once; synchronous=NORMAL syncs at checkpoints, not at each commit: a
 * process crash loses no committed transaction (the WAL is in the file
 * system already), only a power failure may lose the last ones, and never
 * corrupts the database (https://sqlite.org/wal.html).  Writers wait for
 * each other in the busy handler, up to BUSY_MS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "internal.h"

/* How long a writer waits for another's transaction, milliseconds. */
#define BUSY_MS 30000

struct sqlite_be {
	sqlite3 *db;
};

struct sqlite_stmt {
	struct store_stmt base;
	sqlite3_stmt *q;
	uint64_t changes;
	/* SQLite's index of parameter $n is index[n] (0: none), found once
	 * at prepare: SQLite looks names up in a list, one by one */
	int *index;
	unsigned nindex;
};

static sqlite3 *
db_of(struct vouch_store *s)
{
	return ((struct sqlite_be *)s->be)->db;
}

/* A SQLite result code as a status, with the database's message kept. */
static enum vouch_status
fail(struct vouch_store *s, int rc, const char *what)
{
	enum vouch_status st;
	sqlite3 *db = s->be ? db_of(s) : NULL;

	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		st = VOUCH_ENOMEM;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		st = VOUCH_ETEMP;
		break;
	case SQLITE_CONSTRAINT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		st = VOUCH_EINVAL;
		break;
	default:
		st = VOUCH_EIO;
	}
	return store_seterr(s, st, "sqlite: %s: %s", what,
	    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static enum vouch_status
sq_exec(struct vouch_store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db_of(s), sql, NULL, NULL, &msg);

	sqlite3_free(msg);
	if (rc != SQLITE_OK)
		return fail(s, rc, "exec");
	return VOUCH_OK;
}

/*
 * SQLite creates the file but not its directory, and then says only "unable
 * to open database file"; name the directory that is missing instead.
 */
static enum vouch_status
check_parent(struct vouch_store *s, const char *target)
{
	const char *slash = strrchr(target, '/');
	char dir[4096];
	struct stat sb;
	int n;

	if (slash == NULL || slash == target)
		return VOUCH_OK;
	n = snprintf(dir, sizeof(dir), "%.*s", (int)(slash - target), target);
	if (n < 0 || (size_t)n >= sizeof(dir) || stat(dir, &sb) == 0)
		return VOUCH_OK;
	return store_seterr(s, VOUCH_EIO, "%s: cannot create it: %s: %s",
	    target, dir, strerror(errno));
}

static enum vouch_status
sq_open(struct vouch_store *s, const char *target, unsigned flags)
{
	struct sqlite_be *be;
	struct stat sb;
	int rc, oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	enum vouch_status st;

	if ((be = calloc(1, sizeof(*be))) == NULL)
		return VOUCH_ENOMEM;
	s->be = be;
	if (stat(target, &sb) != 0) {
		if (errno != ENOENT || !(flags & VOUCH_STORE_CREATE))
			return store_seterr(s,
			    errno == ENOENT ? VOUCH_ENOTFOUND : VOUCH_EIO,
			    "%s: %s%s", target, strerror(errno),
			    errno == ENOENT ? " (vouch store init makes it)"
			                    : "");
		if ((st = check_parent(s, target)) != VOUCH_OK)
			return st;
		oflags |= SQLITE_OPEN_CREATE;
	}
	rc = sqlite3_open_v2(target, &be->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		st = store_seterr(s,
		    rc == SQLITE_NOMEM ? VOUCH_ENOMEM : VOUCH_EIO,
		    "sqlite: %s: %s", target,
		    be->db ? sqlite3_errmsg(be->db) : sqlite3_errstr(rc));
		return st;
	}
	sqlite3_extended_result_codes(be->db, 1);
	sqlite3_busy_timeout(be->db, BUSY_MS);
	/* journal_mode=WAL is persistent: set once, kept by the file */
	if ((st = sq_exec(s, "PRAGMA journal_mode=WAL")) != VOUCH_OK ||
	    (st = sq_exec(s, "PRAGMA synchronous=NORMAL")) != VOUCH_OK ||
	    (st = sq_exec(s, "PRAGMA foreign_keys=ON")) != VOUCH_OK)
		return st;
	return VOUCH_OK;
}

static void
sq_close(struct vouch_store *s)
{
	struct sqlite_be *be = s->be;

	if (be == NULL)
		return;
	/* every statement is finalized by its owner; close_v2 would defer */
	sqlite3_close_v2(be->db);
	free(be);
	s->be = NULL;
}

/* Fills q->index from the parameters' names ($1, $2, ...). */
static int
map_params(struct sqlite_stmt *q)
{
	int i, n = sqlite3_bind_parameter_count(q->q);
	unsigned long k, max = 0;
	const char *name;
	char *end;

	for (i = 1; i <= n; i++)
		if ((name = sqlite3_bind_parameter_name(q->q, i)) != NULL &&
		    name[0] == '$' && (k = strtoul(name + 1, &end, 10)) > max &&
		    *end == '\0' && k <= STORE_MAX_PARAMS)
			max = k;
	if (max == 0)
		return 0;
	if ((q->index = calloc(max + 1, sizeof(*q->index))) == NULL)
		return -1;
	q->nindex = (unsigned)max;
	for (i = 1; i <= n; i++)
		if ((name = sqlite3_bind_parameter_name(q->q, i)) != NULL &&
		    name[0] == '$' && (k = strtoul(name + 1, &end, 10)) > 0 &&
		    *end == '\0' && k <= max)
			q->index[k] = i;
	return 0;
}

static enum vouch_status
sq_prepare(struct vouch_store *s, const char *sql, struct store_stmt **out)
{
	struct sqlite_stmt *q;
	int rc;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return VOUCH_ENOMEM;
	q->base.s = s;
	rc = sqlite3_prepare_v2(db_of(s), sql, -1, &q->q, NULL);
	if (rc != SQLITE_OK) {
		free(q);
		return fail(s, rc, "prepare");
	}
	if (map_params(q) != 0) {
		sqlite3_finalize(q->q);
		free(q);
		return VOUCH_ENOMEM;
	}
	*out = &q->base;
	return VOUCH_OK;
}

/* The index of parameter $i, or 0 when the statement has none such. */
static int
param_index(struct sqlite_stmt *q, unsigned i)
{
	return i >= 1 && i <= q->nindex ? q->index[i] : 0;
}

static enum vouch_status
bound(struct sqlite_stmt *q, int rc)
{
	if (rc != SQLITE_OK)
		return fail(q->base.s, rc, "bind");
	return VOUCH_OK;
}

static enum vouch_status
sq_bind_null(struct store_stmt *st, unsigned i)
{
	struct sqlite_stmt *q = (struct sqlite_stmt *)st;
	int k = param_index(q, i);

	if (k == 0)
		return store_seterr(st->s, VOUCH_EINVAL, "no parameter $%u", i);
	return bound(q, sqlite3_bind_null(q->q, k));
}

static enum vouch_status
sq_bind_int64(struct store_stmt *st, unsigned i, int64_t v)
{
	struct sqlite_stmt *q = (struct sqlite_stmt *)st;
	int k = param_index(q, i);

	if (k == 0)
		return store_seterr(st->s, VOUCH_EINVAL, "no parameter $%u", i);
	return bound(q, sqlite3_bind_int64(q->q, k, v));
}

static enum vouch_status
sq_bind_text(struct store_stmt *st, unsigned i, const char *p, size_t len)
{
	struct sqlite_stmt *q = (struct sqlite_stmt *)st;
	int k = param_index(q, i);

	if (k == 0)
		return store_seterr(st->s, VOUCH_EINVAL, "no parameter $%u", i);
	return bound(q, sqlite3_bind_text64(q->q, k, len ? p : "", len,
	                    SQLITE_TRANSIENT, SQLITE_UTF8));
}

static enum vouch_status
sq_bind_blob(struct store_stmt *st, unsigned i, const void *p, size_t len)
{
	struct sqlite_stmt *q = (struct sqlite_stmt *)st;
	int k = param_index(q, i);

	if (k == 0)
		return store_seterr(st->s, VOUCH_EINVAL, "no parameter $%u", i);
	/* a zero-length blob, not NULL */
	return bound(q,
	    sqlite3_bind_blob64(q->q, k, len ? p : "", len, SQLITE_TRANSIENT));
}

static enum vouch_status
sq_step(struct store_stmt *st, bool *row)
{
	struct sqlite_stmt *q = (struct sqlite_stmt *)st;
	int rc = sqlite3_step(q->q);

	*row = false;
	if (rc == SQLITE_ROW) {
		*row = true;
		return VOUCH_OK;
	}
	if (rc == SQLITE_DONE) {
		q->changes = (uint64_t)sqlite3_changes64(db_of(st->s));
		return VOUCH_OK;
	}
	return fail(st->s, rc, "step");
}

static uint64_t
sq_changes(struct store_stmt *st)
{
	return ((struct sqlite_stmt *)st)->changes;
}

static bool
sq_col_null(struct store_stmt *st, unsigned i)
{
	return sqlite3_column_type(((struct sqlite_stmt *)st)->q, (int)i) ==
	       SQLITE_NULL;
}

static int64_t
sq_col_int64(struct store_stmt *st, unsigned i)
{
	return sqlite3_column_int64(((struct sqlite_stmt *)st)->q, (int)i);
}

static const char *
sq_col_text(struct store_stmt *st, unsigned i, size_t *len)
{
	sqlite3_stmt *q = ((struct sqlite_stmt *)st)->q;
	const unsigned char *t = sqlite3_column_text(q, (int)i);

	*len = t ? (size_t)sqlite3_column_bytes(q, (int)i) : 0;
	return (const char *)t;
}

static const void *
sq_col_blob(struct store_stmt *st, unsigned i, size_t *len)
{
	sqlite3_stmt *q = ((struct sqlite_stmt *)st)->q;
	const void *b = sqlite3_column_blob(q, (int)i);

	*len = (size_t)sqlite3_column_bytes(q, (int)i);
	if (b == NULL && *len == 0 &&
	    sqlite3_column_type(q, (int)i) != SQLITE_NULL)
		b = ""; /* an empty blob is not NULL */
	return b;
}

static enum vouch_status
sq_reset(struct store_stmt *st)
{
	/* sqlite3_reset repeats the last step's error; it was reported */
	(void)sqlite3_reset(((struct sqlite_stmt *)st)->q);
	return VOUCH_OK;
}

static void
sq_finalize(struct store_stmt *st)
{
	struct sqlite_stmt *q = (struct sqlite_stmt *)st;

	sqlite3_finalize(q->q);
	free(q->index);
	free(q);
}

static enum vouch_status
sq_lock(struct vouch_store *s, int64_t key)
{
	(void)s;
	(void)key; /* BEGIN IMMEDIATE holds the one write lock already */
	return VOUCH_OK;
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .bind_null = sq_bind_null,
    .bind_int64 = sq_bind_int64,
    .bind_text = sq_bind_text,
    .bind_blob = sq_bind_blob,
    .step = sq_step,
    .changes = sq_changes,
    .col_null = sq_col_null,
    .col_int64 = sq_col_int64,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .reset = sq_reset,
    .finalize = sq_finalize,
    .lock = sq_lock,
    .partition = NULL,
};
