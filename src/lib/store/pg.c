/*
 * The PostgreSQL back end of the store, through libpq.
 *
 * Statements are prepared on the server once (PQprepare) and run with
 * their parameters sent apart from the SQL (PQsendQueryPrepared); rows
 * come one at a time (single-row mode), so that a report over millions of
 * evaluations never holds them all in memory.  Values travel as text,
 * blobs as binary parameters and as bytea's hex text in results.
 *
 * The evaluations are partitioned by month (declarative range partitions
 * on their time): pg_partition makes the partition of a month before the
 * first row of that month is written, under an advisory lock so that
 * several hosts do not race, and the month after it too, so that
 * midnight at the turn of a month never waits on DDL.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "internal.h"

/* Months whose partition this connection knows to exist. */
#define PG_KNOWN_MONTHS 64

struct pg_be {
	PGconn *conn;
	uint64_t nstmt; /* names of prepared statements: "vouch_<n>" */
	int known[PG_KNOWN_MONTHS]; /* YYYYMM */
	size_t nknown;
};

struct pg_stmt {
	struct store_stmt base;
	char name[32];
	int nparams;
	char **values; /* nparams of each, allocated at prepare */
	int *lengths;
	int *formats;
	PGresult *res; /* the current row, or the final result */
	unsigned char *blob; /* a column unescaped by col_blob */
	int running; /* sent, results still coming */
	int done; /* every result read */
	uint64_t changes;
};

static PGconn *
conn_of(struct vouch_store *s)
{
	return ((struct pg_be *)s->be)->conn;
}

/* The library never prints: notices (IF NOT EXISTS, ...) are dropped. */
static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* A failed result as a status: SQLSTATE classes (PostgreSQL Appendix A). */
static enum vouch_status
fail_res(struct vouch_store *s, const PGresult *r, const char *what)
{
	const char *code = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorMessage(r) : "";
	enum vouch_status st = VOUCH_EIO;
	size_t n;

	if (r == NULL)
		msg = PQerrorMessage(conn_of(s));
	if (code != NULL) {
		if (strncmp(code, "40", 2) == 0 ||
		    strncmp(code, "55P03", 5) == 0)
			st = VOUCH_ETEMP; /* serialization, deadlock, lock */
		else if (strncmp(code, "23", 2) == 0 ||
		         strncmp(code, "22", 2) == 0)
			st = VOUCH_EINVAL; /* constraint, data exception */
		else if (strncmp(code, "53200", 5) == 0)
			st = VOUCH_ENOMEM;
	}
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	return store_seterr(s, st, "postgresql: %s: %.*s", what, (int)n, msg);
}

static enum vouch_status
pg_exec(struct vouch_store *s, const char *sql)
{
	PGresult *r = PQexec(conn_of(s), sql);
	ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	enum vouch_status st = VOUCH_OK;

	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
		st = fail_res(s, r, "exec");
	PQclear(r);
	return st;
}

static enum vouch_status
pg_open(struct vouch_store *s, const char *target, unsigned flags)
{
	struct pg_be *be;
	const char *msg;
	size_t n;

	(void)flags; /* a PostgreSQL database is made by its administrator */
	if ((be = calloc(1, sizeof(*be))) == NULL)
		return VOUCH_ENOMEM;
	s->be = be;
	be->conn = PQconnectdb(target);
	if (be->conn == NULL)
		return store_seterr(s, VOUCH_ENOMEM, "postgresql: no memory");
	if (PQstatus(be->conn) != CONNECTION_OK) {
		/* libpq's message names host and port, never the password */
		msg = PQerrorMessage(be->conn);
		n = strlen(msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			n--;
		return store_seterr(s, VOUCH_EIO,
		    "postgresql: cannot connect: %.*s", (int)n, msg);
	}
	PQsetNoticeProcessor(be->conn, quiet, NULL);
	return pg_exec(s, "SET client_min_messages = warning");
}

static void
pg_close(struct vouch_store *s)
{
	struct pg_be *be = s->be;

	if (be == NULL)
		return;
	PQfinish(be->conn);
	free(be);
	s->be = NULL;
}

static enum vouch_status
pg_prepare(struct vouch_store *s, const char *sql, struct store_stmt **out)
{
	struct pg_be *be = s->be;
	struct pg_stmt *q;
	PGresult *r;
	enum vouch_status st;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return VOUCH_ENOMEM;
	q->base.s = s;
	snprintf(q->name, sizeof(q->name), "vouch_%" PRIu64, ++be->nstmt);
	r = PQprepare(be->conn, q->name, sql, 0, NULL);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
		st = fail_res(s, r, "prepare");
		PQclear(r);
		free(q);
		return st;
	}
	PQclear(r);
	r = PQdescribePrepared(be->conn, q->name);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
		st = fail_res(s, r, "describe");
		PQclear(r);
		free(q);
		return st;
	}
	q->nparams = PQnparams(r);
	PQclear(r);
	if (q->nparams > STORE_MAX_PARAMS) {
		free(q);
		return store_seterr(s, VOUCH_ELIMIT,
		    "statement with more than %d parameters", STORE_MAX_PARAMS);
	}
	if (q->nparams > 0) {
		q->values = calloc((size_t)q->nparams, sizeof(*q->values));
		q->lengths = calloc((size_t)q->nparams, sizeof(*q->lengths));
		q->formats = calloc((size_t)q->nparams, sizeof(*q->formats));
		if (!q->values || !q->lengths || !q->formats) {
			free(q->values);
			free(q->lengths);
			free(q->formats);
			free(q);
			return VOUCH_ENOMEM;
		}
	}
	*out = &q->base;
	return VOUCH_OK;
}

/* Stores a copy of parameter $i: len bytes at p (NULL: SQL NULL). */
static enum vouch_status
set_param(struct pg_stmt *q, unsigned i, const void *p, size_t len, int fmt)
{
	char *v = NULL;

	if (i < 1 || (int)i > q->nparams)
		return store_seterr(
		    q->base.s, VOUCH_EINVAL, "no parameter $%u", i);
	if (len > INT32_MAX)
		return store_seterr(q->base.s, VOUCH_ELIMIT, "value too large");
	if (p != NULL) {
		if ((v = malloc(len + 1)) == NULL)
			return VOUCH_ENOMEM;
		memcpy(v, p, len);
		v[len] = '\0';
	}
	free(q->values[i - 1]);
	q->values[i - 1] = v;
	q->lengths[i - 1] = (int)len;
	q->formats[i - 1] = fmt;
	return VOUCH_OK;
}

static enum vouch_status
pg_bind_null(struct store_stmt *st, unsigned i)
{
	return set_param((struct pg_stmt *)st, i, NULL, 0, 0);
}

static enum vouch_status
pg_bind_int64(struct store_stmt *st, unsigned i, int64_t v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);

	return set_param((struct pg_stmt *)st, i, num, (size_t)n, 0);
}

static enum vouch_status
pg_bind_text(struct store_stmt *st, unsigned i, const char *p, size_t len)
{
	/* text parameters end at a NUL: a text never holds one here */
	if (memchr(p, '\0', len) != NULL)
		return store_seterr(st->s, VOUCH_EINVAL, "NUL in a text value");
	return set_param((struct pg_stmt *)st, i, len ? p : "", len, 0);
}

static enum vouch_status
pg_bind_blob(struct store_stmt *st, unsigned i, const void *p, size_t len)
{
	return set_param((struct pg_stmt *)st, i, len ? p : "", len, 1);
}

/* Reads and drops what is left of the results of a statement. */
static void
drain(struct pg_stmt *q)
{
	PGconn *c = conn_of(q->base.s);
	PGresult *r;

	PQclear(q->res);
	q->res = NULL;
	if (q->running)
		while ((r = PQgetResult(c)) != NULL)
			PQclear(r);
	q->running = 0;
}

static enum vouch_status
pg_step(struct store_stmt *st, bool *row)
{
	struct pg_stmt *q = (struct pg_stmt *)st;
	PGconn *c = conn_of(st->s);
	enum vouch_status rc = VOUCH_OK;

	*row = false;
	free(q->blob);
	q->blob = NULL;
	if (q->done)
		return VOUCH_OK;
	if (!q->running) {
		if (!PQsendQueryPrepared(c, q->name, q->nparams,
		        (const char *const *)q->values, q->lengths, q->formats,
		        0))
			return fail_res(st->s, NULL, "send");
		q->running = 1;
		(void)PQsetSingleRowMode(c); /* for queries; harmless else */
	}
	PQclear(q->res);
	q->res = PQgetResult(c);
	switch (q->res ? PQresultStatus(q->res) : PGRES_COMMAND_OK) {
	case PGRES_SINGLE_TUPLE:
		*row = true;
		return VOUCH_OK;
	case PGRES_TUPLES_OK:
		q->changes = 0;
		break;
	case PGRES_COMMAND_OK:
		q->changes =
		    q->res ? strtoull(PQcmdTuples(q->res), NULL, 10) : 0;
		break;
	default:
		rc = fail_res(st->s, q->res, "step");
	}
	drain(q);
	q->done = 1;
	return rc;
}

static uint64_t
pg_changes(struct store_stmt *st)
{
	return ((struct pg_stmt *)st)->changes;
}

static bool
pg_col_null(struct store_stmt *st, unsigned i)
{
	struct pg_stmt *q = (struct pg_stmt *)st;

	return q->res == NULL || (int)i >= PQnfields(q->res) ||
	       PQgetisnull(q->res, 0, (int)i);
}

static const char *
pg_col_text(struct store_stmt *st, unsigned i, size_t *len)
{
	struct pg_stmt *q = (struct pg_stmt *)st;

	*len = 0;
	if (pg_col_null(st, i))
		return NULL;
	*len = (size_t)PQgetlength(q->res, 0, (int)i);
	return PQgetvalue(q->res, 0, (int)i);
}

static int64_t
pg_col_int64(struct store_stmt *st, unsigned i)
{
	size_t len;
	const char *t = pg_col_text(st, i, &len);

	return t ? strtoll(t, NULL, 10) : 0;
}

static const void *
pg_col_blob(struct store_stmt *st, unsigned i, size_t *len)
{
	struct pg_stmt *q = (struct pg_stmt *)st;
	size_t n;
	const char *t = pg_col_text(st, i, &n);

	*len = 0;
	if (t == NULL)
		return NULL;
	free(q->blob);
	q->blob = PQunescapeBytea((const unsigned char *)t, len);
	if (q->blob == NULL)
		*len = 0;
	return q->blob;
}

static enum vouch_status
pg_reset(struct store_stmt *st)
{
	struct pg_stmt *q = (struct pg_stmt *)st;

	drain(q);
	free(q->blob);
	q->blob = NULL;
	q->done = 0;
	return VOUCH_OK;
}

static void
pg_finalize(struct store_stmt *st)
{
	struct pg_stmt *q = (struct pg_stmt *)st;
	PGconn *c = conn_of(st->s);
	char sql[64];
	int i;

	drain(q);
	/* an aborted transaction refuses DEALLOCATE; the name is unique and
	 * goes with the connection then */
	if (PQstatus(c) == CONNECTION_OK &&
	    PQtransactionStatus(c) != PQTRANS_INERROR) {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", q->name);
		PQclear(PQexec(c, sql));
	}
	for (i = 0; i < q->nparams; i++)
		free(q->values[i]);
	free(q->values);
	free(q->lengths);
	free(q->formats);
	free(q->blob);
	free(q);
}

static enum vouch_status
pg_lock(struct vouch_store *s, int64_t key)
{
	char num[32];
	const char *v[1] = {num};
	PGresult *r;
	enum vouch_status st = VOUCH_OK;

	snprintf(num, sizeof(num), "%" PRId64, key);
	r = PQexecParams(conn_of(s), "SELECT pg_advisory_xact_lock($1::bigint)",
	    1, NULL, v, NULL, NULL, 0);
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK)
		st = fail_res(s, r, "lock");
	PQclear(r);
	return st;
}

/* UNIX time of the first second of month m (0..11) of year y, UTC. */
static int64_t
month_start(int y, int m)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900 + m / 12;
	tm.tm_mon = m % 12;
	tm.tm_mday = 1;
	return (int64_t)timegm(&tm);
}

static bool
month_known(struct pg_be *be, int ym)
{
	size_t i;

	for (i = 0; i < be->nknown; i++)
		if (be->known[i] == ym)
			return true;
	return false;
}

static void
month_note(struct pg_be *be, int ym)
{
	if (be->nknown == PG_KNOWN_MONTHS)
		be->nknown = 0; /* forget: asking again is cheap */
	be->known[be->nknown++] = ym;
}

/* Makes the partition of `table` for month m of year y, if missing. */
static enum vouch_status
make_month(struct vouch_store *s, const char *table, int y, int m)
{
	char sql[256];
	enum vouch_status st;

	y += m / 12;
	m %= 12;
	/* table is one of vouch's own names, and the bounds are numbers:
	 * DDL takes no parameters */
	snprintf(sql, sizeof(sql),
	    "CREATE TABLE IF NOT EXISTS %s_p%04d%02d PARTITION OF %s "
	    "FOR VALUES FROM (%" PRId64 ") TO (%" PRId64 ")",
	    table, y, m + 1, table, month_start(y, m), month_start(y, m + 1));
	if ((st = store_begin(s)) != VOUCH_OK)
		return st;
	if ((st = store_lock(s, STORE_LOCK_PARTITION)) != VOUCH_OK) {
		store_rollback(s);
		return st;
	}
	if (pg_exec(s, sql) != VOUCH_OK) {
		/* e.g. rows of that month already in the default partition:
		 * they stay there, and so do the next ones */
		store_rollback(s);
		return VOUCH_OK;
	}
	return store_commit(s);
}

static enum vouch_status
pg_partition(struct vouch_store *s, const char *table, int64_t t)
{
	struct pg_be *be = s->be;
	struct tm tm;
	time_t tt = (time_t)t;
	enum vouch_status st;
	int ym;
	const char *c;

	for (c = table; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || *c == '_'))
			return store_seterr(s, VOUCH_EINVAL, "bad table name");
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year < 0 || tm.tm_year > 8000)
		return VOUCH_OK; /* far outside: the default partition */
	ym = (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
	if (month_known(be, ym))
		return VOUCH_OK;
	if ((st = make_month(s, table, tm.tm_year + 1900, tm.tm_mon)) !=
	        VOUCH_OK ||
	    (st = make_month(s, table, tm.tm_year + 1900, tm.tm_mon + 1)) !=
	        VOUCH_OK)
		return st;
	month_note(be, ym);
	return VOUCH_OK;
}

const struct store_ops store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .bind_null = pg_bind_null,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .changes = pg_changes,
    .col_null = pg_col_null,
    .col_int64 = pg_col_int64,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .lock = pg_lock,
    .partition = pg_partition,
};
