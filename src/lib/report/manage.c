/*
 * Suppression lists, the list of reports and deliveries, and a report's
 * file, from the store.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "store/internal.h"

/* An address local@domain (printable ASCII, one '@'), lower-cased. */
static int
address_check(const char *v, char *out, size_t cap)
{
	const char *at = strrchr(v, '@');
	size_t i, n = strlen(v);

	if (at == NULL || at == v || n >= cap || strchr(v, '@') != at)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c <= 0x20 || c >= 0x7f)
			return -1;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[n] = '\0';
	return store_domain_check(at + 1, strlen(at + 1), out + (at - v) + 1,
	    cap - (size_t)(at - v) - 1);
}

enum vouch_status
vouch_report_suppress(struct vouch_store *s,
    enum vouch_report_suppress_kind kind, const char *value,
    const char *comment, bool add)
{
	char v[600];
	struct store_stmt *q;
	enum vouch_status st;
	const char *k;

	if (s == NULL || value == NULL)
		return VOUCH_EINVAL;
	if (kind == VOUCH_REPORT_SUPPRESS_DESTINATION) {
		k = "destination";
		if (strchr(value, '@') ? address_check(value, v, sizeof(v)) < 0
		                       : store_domain_check(value,
		                             strlen(value), v, sizeof(v)) < 0)
			return VOUCH_EINVAL;
	} else if (kind == VOUCH_REPORT_SUPPRESS_DOMAIN) {
		k = "domain";
		if (store_domain_check(value, strlen(value), v, sizeof(v)) < 0)
			return VOUCH_EINVAL;
	} else
		return VOUCH_EINVAL;
	st = store_prepare(s,
	    add ? "INSERT INTO suppression (kind, value, added_at, comment) "
	          "VALUES ($1, $2, $3, $4) ON CONFLICT (kind, value) DO "
	          "UPDATE SET comment = excluded.comment"
	        : "DELETE FROM suppression WHERE kind = $1 AND value = $2",
	    &q);
	if (st != VOUCH_OK)
		return st;
	if ((st = store_bind_str(q, 1, k)) == VOUCH_OK &&
	    (st = store_bind_str(q, 2, v)) == VOUCH_OK && add &&
	    (st = store_bind_int64(q, 3, (int64_t)time(NULL))) == VOUCH_OK)
		st = store_bind_str(q, 4, comment);
	if (st == VOUCH_OK) {
		bool row;

		st = store_step(q, &row);
		if (st == VOUCH_OK && !add && store_changes(q) == 0)
			st = VOUCH_ENOTFOUND;
	}
	store_finalize(q);
	return st;
}

/* The caller's callback (the one of the walk) and argument. */
struct walk {
	int (*suppression)(void *arg, const struct vouch_report_suppression *e);
	int (*delivery)(void *arg, const struct vouch_report_delivery *d);
	void *arg;
};

/*
 * Runs sql (no parameters) and calls row(q, w) for each row, until it
 * returns non-zero; the walks of the listing functions below.
 */
static enum vouch_status
walk_rows(struct vouch_store *s, const char *sql,
    int (*row)(struct store_stmt *q, const struct walk *w),
    const struct walk *w)
{
	struct store_stmt *q;
	enum vouch_status st;
	bool more;

	if ((st = store_prepare(s, sql, &q)) != VOUCH_OK)
		return st;
	while ((st = store_step(q, &more)) == VOUCH_OK && more)
		if (row(q, w) != 0)
			break;
	/* a walk stopped early leaves rows unread: drop them */
	(void)store_reset(q);
	store_finalize(q);
	return st;
}

static int
suppression_row(struct store_stmt *q, const struct walk *w)
{
	struct vouch_report_suppression e;

	e.kind = strcmp(store_col_text(q, 0, NULL), "domain") == 0
	             ? VOUCH_REPORT_SUPPRESS_DOMAIN
	             : VOUCH_REPORT_SUPPRESS_DESTINATION;
	e.value = store_col_text(q, 1, NULL);
	e.added_at = store_col_int64(q, 2);
	e.comment = store_col_null(q, 3) ? NULL : store_col_text(q, 3, NULL);
	return w->suppression(w->arg, &e);
}

enum vouch_status
vouch_report_suppress_list(struct vouch_store *s,
    int (*fn)(void *arg, const struct vouch_report_suppression *e), void *arg)
{
	struct walk w = {.suppression = fn, .arg = arg};

	if (s == NULL || fn == NULL)
		return VOUCH_EINVAL;
	/* 'destination' sorts before 'domain': the order documented */
	return walk_rows(s,
	    "SELECT kind, value, added_at, comment FROM suppression ORDER BY "
	    "kind, value",
	    suppression_row, &w);
}

static int
delivery_row(struct store_stmt *q, const struct walk *w)
{
	struct vouch_report_delivery d;

	memset(&d, 0, sizeof(d));
	d.policy_domain = store_col_text(q, 0, NULL);
	d.begin = store_col_int64(q, 1);
	d.end = store_col_int64(q, 2);
	d.report_id = store_col_text(q, 3, NULL);
	d.filename = store_col_text(q, 4, NULL);
	d.records = (uint64_t)store_col_int64(q, 5);
	d.messages = (uint64_t)store_col_int64(q, 6);
	d.destination = store_col_text(q, 7, NULL);
	d.status = store_col_null(q, 8) ? "" : store_col_text(q, 8, NULL);
	d.attempts = (unsigned)store_col_int64(q, 9);
	d.last_code = (int)store_col_int64(q, 10);
	d.last_text = store_col_text(q, 11, NULL);
	return w->delivery(w->arg, &d);
}

enum vouch_status
vouch_report_list(struct vouch_store *s,
    int (*fn)(void *arg, const struct vouch_report_delivery *d), void *arg)
{
	struct walk w = {.delivery = fn, .arg = arg};

	if (s == NULL || fn == NULL)
		return VOUCH_EINVAL;
	return walk_rows(s,
	    "SELECT r.policy_domain, r.begin_time, r.end_time, r.report_id, "
	    "r.filename, r.records, r.messages, d.destination, d.status, "
	    "d.attempts, d.last_code, d.last_text FROM outgoing_report r LEFT "
	    "JOIN outgoing_delivery d ON d.report = r.id ORDER BY "
	    "r.begin_time, r.policy_domain, d.destination",
	    delivery_row, &w);
}

enum vouch_status
vouch_report_content(struct vouch_store *s, const char *report_id,
    uint8_t **out, size_t *len, char **filename)
{
	struct store_stmt *q;
	enum vouch_status st;
	const void *b;
	bool row = false;

	if (s == NULL || report_id == NULL || out == NULL || len == NULL)
		return VOUCH_EINVAL;
	*out = NULL;
	*len = 0;
	if (filename != NULL)
		*filename = NULL;
	st = store_prepare(s,
	    "SELECT content, filename FROM outgoing_report WHERE report_id = "
	    "$1",
	    &q);
	if (st != VOUCH_OK)
		return st;
	if ((st = store_bind_str(q, 1, report_id)) == VOUCH_OK &&
	    (st = store_step(q, &row)) == VOUCH_OK && row) {
		b = store_col_blob(q, 0, len);
		if ((*out = malloc(*len ? *len : 1)) == NULL)
			st = VOUCH_ENOMEM;
		else {
			if (*len > 0)
				memcpy(*out, b, *len);
			if (filename != NULL &&
			    (*filename = strdup(store_col_text(q, 1, NULL))) ==
			        NULL) {
				free(*out);
				*out = NULL;
				st = VOUCH_ENOMEM;
			}
		}
	} else if (st == VOUCH_OK)
		st = VOUCH_ENOTFOUND;
	store_finalize(q);
	return st;
}
