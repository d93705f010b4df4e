/*
 * The store's back-end interface, private to libvouch (the model: SQLite's
 * VFS and curl's TLS back ends): one small table of function pointers per
 * database, and on top of it the few calls every user of the store makes,
 * the receiver side (recorder, report generation and sending) and the
 * owner side (report ingest) alike.
 *
 * SQL is written once for both back ends: parameters are $1, $2, ...
 * (PostgreSQL's form, which SQLite accepts as named parameters and which
 * store_bind_* find by name), types are TEXT, BIGINT, INTEGER and BLOB
 * (BYTEA on PostgreSQL: only the migrations differ), and only statements
 * both dialects read the same are used; store_pick chooses between two
 * texts where they do not.  Prepared statements only: no value is ever
 * put into SQL text.
 */
#ifndef VOUCH_STORE_INTERNAL_H
#define VOUCH_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vouch/store.h"

/*
 * A prepared statement, owned by its store.  Each back end's statement
 * struct begins with this one (`base`), so the wrappers reach the ops.
 */
struct store_stmt {
	struct vouch_store *s;
};

/*
 * Parameters of one statement: $1..$STORE_MAX_PARAMS.  The recorder's
 * multi-row INSERT has 16 per row and 64 rows; SQLite allows 32766 and
 * PostgreSQL 65535.
 */
#define STORE_MAX_PARAMS 2048

/*
 * One back end.  Every function returns a status and leaves a reason in
 * the store (store_seterr) when it fails.
 *   open       connect to target (a path or a libpq URI); flags of
 *              vouch_store_open.  s->be is the back end's own state.
 *   close      end the connection and free s->be (the store is freed by
 *              the caller).
 *   exec       run a script of one or more statements without parameters
 *              (migrations, BEGIN, COMMIT).
 *   prepare    prepare one statement.
 *   bind_*     give parameter $i (1-based) a value; the value is copied.
 *   step       run (the first time) and fetch the next row; *row is true
 *              when a row is there, false when the statement is done.
 *   changes    rows the last completed statement inserted, updated or
 *              deleted.
 *   col_*      column i (0-based) of the current row: col_text gives a
 *              NUL-terminated text (and its length), col_blob the bytes;
 *              both valid until the next step, reset or finalize; NULL
 *              for SQL NULL.
 *   reset      make the statement ready to run again (bindings kept).
 *   finalize   release it.
 *   lock       inside a transaction, take the store-wide lock `key`
 *              (PostgreSQL advisory lock; SQLite: nothing, its writers
 *              are serialized already by BEGIN IMMEDIATE).
 *   partition  make sure the partition of `table` that holds time t exists
 *              (PostgreSQL monthly partitions); NULL when the back end has
 *              none.  Called outside a transaction.
 */
struct store_ops {
	const char *name;
	enum vouch_status (*open)(
	    struct vouch_store *s, const char *target, unsigned flags);
	void (*close)(struct vouch_store *s);
	enum vouch_status (*exec)(struct vouch_store *s, const char *sql);
	enum vouch_status (*prepare)(
	    struct vouch_store *s, const char *sql, struct store_stmt **out);
	enum vouch_status (*bind_null)(struct store_stmt *st, unsigned i);
	enum vouch_status (*bind_int64)(
	    struct store_stmt *st, unsigned i, int64_t v);
	enum vouch_status (*bind_text)(
	    struct store_stmt *st, unsigned i, const char *p, size_t len);
	enum vouch_status (*bind_blob)(
	    struct store_stmt *st, unsigned i, const void *p, size_t len);
	enum vouch_status (*step)(struct store_stmt *st, bool *row);
	uint64_t (*changes)(struct store_stmt *st);
	bool (*col_null)(struct store_stmt *st, unsigned i);
	int64_t (*col_int64)(struct store_stmt *st, unsigned i);
	const char *(*col_text)(struct store_stmt *st, unsigned i, size_t *len);
	const void *(*col_blob)(struct store_stmt *st, unsigned i, size_t *len);
	enum vouch_status (*reset)(struct store_stmt *st);
	void (*finalize)(struct store_stmt *st);
	enum vouch_status (*lock)(struct vouch_store *s, int64_t key);
	enum vouch_status (*partition)(
	    struct vouch_store *s, const char *table, int64_t t);
};

struct vouch_store {
	const struct store_ops *ops;
	enum vouch_store_backend backend;
	void *be; /* the back end's connection state */
	int in_tx; /* a transaction is open */
	char err[512];
};

extern const struct store_ops store_sqlite_ops;
#ifdef VOUCH_HAVE_LIBPQ
extern const struct store_ops store_pg_ops;
#endif

/*
 * store_seterr - the reason of the last failure, printf-style, cut to fit;
 * returns st so that `return store_seterr(s, VOUCH_EIO, ...)` reads well.
 */
enum vouch_status store_seterr(struct vouch_store *s, enum vouch_status st,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- Statements: thin wrappers over the back end ----------------------- */

enum vouch_status store_exec(struct vouch_store *s, const char *sql)
    __attribute__((warn_unused_result));
enum vouch_status store_prepare(struct vouch_store *s, const char *sql,
    struct store_stmt **out) __attribute__((warn_unused_result));
/* store_pick - the SQLite or the PostgreSQL text, by the store's back end. */
const char *store_pick(
    const struct vouch_store *s, const char *sqlite, const char *pg);
enum vouch_status store_bind_null(struct store_stmt *st, unsigned i);
enum vouch_status store_bind_int64(
    struct store_stmt *st, unsigned i, int64_t v);
/* NUL-terminated text; NULL binds SQL NULL. */
enum vouch_status store_bind_str(
    struct store_stmt *st, unsigned i, const char *s);
enum vouch_status store_bind_text(
    struct store_stmt *st, unsigned i, const char *p, size_t len);
enum vouch_status store_bind_blob(
    struct store_stmt *st, unsigned i, const void *p, size_t len);
enum vouch_status store_step(struct store_stmt *st, bool *row)
    __attribute__((warn_unused_result));
/* store_run - step a statement that returns no row, then reset it. */
enum vouch_status store_run(struct store_stmt *st)
    __attribute__((warn_unused_result));
uint64_t store_changes(struct store_stmt *st);
bool store_col_null(struct store_stmt *st, unsigned i);
int64_t store_col_int64(struct store_stmt *st, unsigned i);
/* "" for SQL NULL; *len may be NULL. */
const char *store_col_text(struct store_stmt *st, unsigned i, size_t *len);
const void *store_col_blob(struct store_stmt *st, unsigned i, size_t *len);
enum vouch_status store_reset(struct store_stmt *st);
void store_finalize(struct store_stmt *st);

/*
 * Transactions.  store_begin opens one (SQLite: BEGIN IMMEDIATE, so that
 * the write lock is taken at once and a busy store waits in the busy
 * handler instead of failing at the first write); store_commit and
 * store_rollback end it; rollback with none open is a no-op.
 */
enum vouch_status store_begin(struct vouch_store *s)
    __attribute__((warn_unused_result));
enum vouch_status store_commit(struct vouch_store *s)
    __attribute__((warn_unused_result));
void store_rollback(struct vouch_store *s);

/* store_lock - the store-wide lock `key` inside a transaction. */
enum vouch_status store_lock(struct vouch_store *s, int64_t key)
    __attribute__((warn_unused_result));
/* Lock keys (PostgreSQL advisory locks): one per purpose. */
#define STORE_LOCK_MIGRATE 0x766f756368000001LL
#define STORE_LOCK_PARTITION 0x766f756368000002LL
#define STORE_LOCK_SEND 0x766f756368000003LL

/* store_partition - see store_ops.partition; OK when there are none. */
enum vouch_status store_partition(
    struct vouch_store *s, const char *table, int64_t t);

/*
 * store_has_migration - is migration `version` applied?  *yes set.
 * Errors: VOUCH_EIO.
 */
enum vouch_status store_has_migration(
    struct vouch_store *s, unsigned version, bool *yes);

/* ---- Migrations (generated at build time from schema/NNN_*.sql) -------- */

/*
 * One migration: its number, name, and the script for each back end.
 * A file NNN_name.sql serves both back ends; NNN_name.sqlite.sql and
 * NNN_name.pg.sql serve one each (both must exist then).
 */
struct store_migration {
	unsigned version;
	const char *name;
	const char *sqlite;
	const char *pg;
};
extern const struct store_migration store_migrations[];
extern const size_t store_nmigrations;

/* The migration that creates the receiver side's tables. */
#define STORE_MIGRATION_RECEIVER 1

/* ---- The store's text form (codec.c) ----------------------------------- */

struct vbuf;

/*
 * Every free text goes into the store escaped: bytes outside 0x21..0x7e and
 * the bytes '%', ' ' and ';' become "%XX" (upper-case hex), so that a
 * stored text is printable ASCII whatever the mail held, and lists can be
 * written with ' ' between the fields of an entry and ';' between
 * entries.  store_escape appends the escaped form of p/len to b (its cap
 * bounds the result: VOUCH_ELIMIT beyond, sticky in b).
 */
enum vouch_status store_escape(struct vbuf *b, const char *p, size_t len);

/* One field of a stored list entry, decoded into the caller's buffer. */
struct store_field {
	char *buf; /* cap bytes; the field NUL-terminated */
	size_t cap;
	size_t len;
};

/*
 * store_list_next - decode the next entry of a stored list at *p (up to
 * end): nf fields separated by ' ', the entry ending at ';' or end.  A
 * field too long for its buffer is cut (its len says how much was kept);
 * an entry with fewer fields leaves the rest empty, more are ignored.
 * Returns 1 with an entry (and *p past it), 0 at the end of the list, -1
 * for a malformed escape (bad hex, '%' at the end, a byte outside
 * 0x21..0x7e).
 */
int store_list_next(
    const char **p, const char *end, struct store_field *f, size_t nf);

/*
 * store_unescape - decode one stored text p/len (no list syntax) into
 * out/cap, NUL-terminated, cut to fit.  Returns its length, or -1 when
 * malformed (as store_list_next).
 */
long store_unescape(const char *p, size_t len, char *out, size_t cap);

/* ---- Rows the recorder writes (evaluation.c) --------------------------- */

/* The columns of a row, in the order of the INSERT statements. */
enum store_col {
	/* evaluation_policy */
	COL_P_KEY_HASH = 0,
	COL_P_DOMAIN,
	COL_P_DISCOVERY,
	COL_P_P,
	COL_P_SP,
	COL_P_NP,
	COL_P_ADKIM,
	COL_P_ASPF,
	COL_P_FO,
	COL_P_TESTING,
	COL_P_PSD,
	COL_P_PCT,
	COL_P_RUA,
	COL_P_RUF,
	/* evaluation */
	COL_E_SOURCE_IP,
	COL_E_HEADER_FROM,
	COL_E_ENVELOPE_FROM,
	COL_E_ENVELOPE_TO,
	COL_E_RESULT,
	COL_E_DISPOSITION,
	COL_E_DKIM_ALIGNED,
	COL_E_SPF_ALIGNED,
	COL_E_REASONS,
	COL_E_SPF_DOMAIN,
	COL_E_SPF_SCOPE,
	COL_E_SPF_RESULT,
	COL_E_DKIM,
	COL_COUNT
};
#define COL_P_FIRST COL_P_KEY_HASH
#define COL_E_FIRST COL_E_SOURCE_IP

/*
 * One evaluation checked and turned into column texts, in one allocation:
 * col[i] points into text, or is NULL for SQL NULL.
 */
struct store_row {
	struct store_row *next;
	int64_t time;
	const char *col[COL_COUNT];
	char text[];
};

/*
 * store_row_make - check ev (see vouch_recorder_add) and build its row.
 * Out: *out, malloc'd, owned by the caller (free()).
 * Errors: VOUCH_EINVAL (a check failed; why in err/errlen), VOUCH_ELIMIT
 *         (over VOUCH_STORE_MAX_EVAL_TEXT), VOUCH_ENOMEM.
 */
enum vouch_status store_row_make(const struct vouch_store_evaluation *ev,
    struct store_row **out, char *err, size_t errlen);

/*
 * store_domain_check - copy a domain name p/len to out (cap >=
 * VOUCH_DNS_MAX_NAME + 1) in lower case, without a final dot, if it is
 * one: labels of 1..63 letters, digits, '-' and '_', at most 253 bytes.
 * Returns 0, or -1 when it is not.
 */
int store_domain_check(const char *p, size_t len, char *out, size_t cap);

#endif
