/*
 * Ingested reports in the store (owner.h): one transaction per report,
 * de-duplicated by the UNIQUE key of ingested_report, rows per UTC day;
 * and the rows read back, decoded, for export and the summary.  The tables
 * are those of migration 100 (src/lib/store/schema/100_owner.*.sql).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest_internal.h"
#include "store/internal.h"
#include "util/buf.h"
#include "vouch/limits.h"
#include "vouch/owner.h"

/* The migration that creates the owner tables. */
#define STORE_MIGRATION_OWNER 100

/* An escaped list column: every entry at its largest, escaped (3 bytes
 * for 1) -- bounded by the report's own size caps long before this. */
#define OWNER_MAX_COLUMN (32 * 1024 * 1024)

struct vouch_owner_writer {
	struct vouch_store *s;
	struct store_stmt *ins_report, *ins_row;
	struct vbuf text;
	unsigned batch; /* reports per transaction */
	unsigned pending; /* new reports in the open transaction */
	bool in_tx;
};

static const char sql_ins_report[] =
    "INSERT INTO ingested_report (org_name, email, policy_domain, "
    "report_id, begin_time, end_time, xml_schema, version, "
    "extra_contact_info, generator, errors, adkim, aspf, p, sp, np, pct, "
    "fo, testing, discovery_method, nrecords, total_count, warnings, "
    "source, ingested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
    "$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, "
    "$25) ON CONFLICT DO NOTHING RETURNING id";

static const char sql_ins_row[] =
    "INSERT INTO ingested_row (report_ref, day, policy_domain, source_ip, "
    "count, disposition, dkim_aligned, spf_aligned, reasons, header_from, "
    "envelope_from, envelope_to, dkim, spf) VALUES ($1, $2, $3, $4, $5, $6, "
    "$7, $8, $9, $10, $11, $12, $13, $14)";

static enum vouch_status
has_owner_tables(struct vouch_store *s)
{
	enum vouch_status st;
	bool yes = false;

	if ((st = store_has_migration(s, STORE_MIGRATION_OWNER, &yes)) !=
	    VOUCH_OK)
		return st;
	if (!yes)
		return store_seterr(s, VOUCH_ENOTFOUND,
		    "the store has no tables for ingested reports (migration "
		    "%d): run vouch store init or vouch store migrate",
		    STORE_MIGRATION_OWNER);
	return VOUCH_OK;
}

enum vouch_status
vouch_owner_writer_new(struct vouch_store *s, struct vouch_owner_writer **out)
{
	struct vouch_owner_writer *w;
	enum vouch_status st;

	if (out == NULL)
		return VOUCH_EINVAL;
	*out = NULL;
	if (s == NULL)
		return VOUCH_EINVAL;
	if ((st = has_owner_tables(s)) != VOUCH_OK)
		return st;
	/*
	 * SQLite: a checkpoint every 8192 WAL pages (32 MiB) instead of 1000.
	 * An ingest writes some ten pages per report and commits each, and
	 * each checkpoint waits for two fsyncs: at the default a disk that
	 * takes 0.1 s per fsync spent nine tenths of an ingest waiting.
	 * Durability is the same (WAL, synchronous=NORMAL); only this
	 * connection's checkpoints move.
	 */
	if (vouch_store_backend(s) == VOUCH_STORE_SQLITE &&
	    (st = store_exec(s, "PRAGMA wal_autocheckpoint = 8192")) !=
	        VOUCH_OK)
		return st;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return VOUCH_ENOMEM;
	w->s = s;
	w->batch = 1;
	vbuf_init(&w->text, OWNER_MAX_COLUMN);
	if ((st = store_prepare(s, sql_ins_report, &w->ins_report)) !=
	        VOUCH_OK ||
	    (st = store_prepare(s, sql_ins_row, &w->ins_row)) != VOUCH_OK) {
		vouch_owner_writer_free(w);
		return st;
	}
	*out = w;
	return VOUCH_OK;
}

void
vouch_owner_writer_free(struct vouch_owner_writer *w)
{
	if (w == NULL)
		return;
	if (w->in_tx) /* not flushed: the caller did not want it */
		store_rollback(w->s);
	store_finalize(w->ins_report);
	store_finalize(w->ins_row);
	vbuf_free(&w->text);
	free(w);
}

/* Bind one text escaped (NULL stays SQL NULL). */
static enum vouch_status
bind_esc(struct vouch_owner_writer *w, struct store_stmt *q, unsigned i,
    const char *v)
{
	if (v == NULL)
		return store_bind_null(q, i);
	vbuf_reset(&w->text);
	if (store_escape(&w->text, v, strlen(v)) != VOUCH_OK)
		return w->text.err;
	return store_bind_text(
	    q, i, w->text.len ? (const char *)w->text.p : "", w->text.len);
}

/* One field of a list entry: escaped, "" for NULL. */
static void
list_field(struct vbuf *b, const char *v, int first)
{
	if (!first)
		vbuf_addc(b, ' ');
	if (v != NULL)
		(void)store_escape(b, v, strlen(v));
}

/* Bind a list built in w->text. */
static enum vouch_status
bind_list(struct vouch_owner_writer *w, struct store_stmt *q, unsigned i)
{
	if (w->text.err != VOUCH_OK)
		return w->text.err;
	return store_bind_text(
	    q, i, w->text.len ? (const char *)w->text.p : "", w->text.len);
}

static enum vouch_status
bind_strings(struct vouch_owner_writer *w, struct store_stmt *q, unsigned i,
    const char *const *v, size_t n)
{
	size_t j;

	vbuf_reset(&w->text);
	for (j = 0; j < n; j++) {
		if (j > 0)
			vbuf_addc(&w->text, ';');
		(void)store_escape(&w->text, v[j], strlen(v[j]));
	}
	return bind_list(w, q, i);
}

static const char *
schema_word(enum vouch_feedback_schema s)
{
	return s == VOUCH_FEEDBACK_RFC9990   ? "rfc9990"
	       : s == VOUCH_FEEDBACK_RFC7489 ? "rfc7489"
	                                     : "other";
}

static enum vouch_status
insert_report(struct vouch_owner_writer *w, const struct vouch_feedback *fb,
    const char *source, int64_t *id, bool *isnew)
{
	const struct vouch_feedback_policy *pp = &fb->policy_published;
	struct store_stmt *q = w->ins_report;
	const char *warn[VOUCH_REPORT_MAX_WARNINGS];
	size_t nwarn = fb->nwarnings < VOUCH_REPORT_MAX_WARNINGS
	                   ? fb->nwarnings
	                   : VOUCH_REPORT_MAX_WARNINGS;
	enum vouch_status st;
	bool row = false;
	size_t i;

	for (i = 0; i < nwarn; i++)
		warn[i] = fb->warnings[i] != NULL ? fb->warnings[i] : "";
	if ((st = bind_esc(w, q, 1, fb->org_name)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 2, fb->email)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 3, pp->domain)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 4, fb->report_id)) != VOUCH_OK ||
	    (st = store_bind_int64(q, 5, fb->begin)) != VOUCH_OK ||
	    (st = store_bind_int64(q, 6, fb->end)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 7, schema_word(fb->schema))) != VOUCH_OK ||
	    (st = bind_esc(w, q, 8, fb->version)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 9, fb->extra_contact_info)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 10, fb->generator)) != VOUCH_OK ||
	    (st = bind_strings(w, q, 11, fb->errors, fb->nerrors)) !=
	        VOUCH_OK ||
	    (st = bind_esc(w, q, 12, pp->adkim)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 13, pp->aspf)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 14, pp->p)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 15, pp->sp)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 16, pp->np)) != VOUCH_OK)
		return st;
	if (pp->pct >= 0)
		st = store_bind_int64(q, 17, pp->pct);
	else
		st = store_bind_null(q, 17);
	if (st != VOUCH_OK || (st = bind_esc(w, q, 18, pp->fo)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 19, pp->testing)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 20, pp->discovery_method)) != VOUCH_OK ||
	    (st = store_bind_int64(q, 21, (int64_t)fb->nrecords)) != VOUCH_OK ||
	    (st = store_bind_int64(q, 22, (int64_t)fb->total_count)) !=
	        VOUCH_OK ||
	    (st = bind_strings(w, q, 23, warn, nwarn)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 24, source)) != VOUCH_OK ||
	    (st = store_bind_int64(q, 25, (int64_t)time(NULL))) != VOUCH_OK)
		return st;
	if ((st = store_step(q, &row)) != VOUCH_OK) {
		(void)store_reset(q);
		return st;
	}
	*isnew = row;
	if (row)
		*id = store_col_int64(q, 0);
	return store_reset(q);
}

static enum vouch_status
insert_row(struct vouch_owner_writer *w, int64_t id, const char *domain,
    int64_t day, const struct vouch_feedback_record *r, uint64_t count)
{
	struct store_stmt *q = w->ins_row;
	enum vouch_status st;
	size_t j;

	if ((st = store_bind_int64(q, 1, id)) != VOUCH_OK ||
	    (st = store_bind_int64(q, 2, day)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 3, domain)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 4, r->source_ip)) != VOUCH_OK ||
	    (st = store_bind_int64(q, 5, (int64_t)count)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 6, r->disposition)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 7, r->dkim)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 8, r->spf)) != VOUCH_OK)
		return st;
	vbuf_reset(&w->text);
	for (j = 0; j < r->nreasons; j++) {
		if (j > 0)
			vbuf_addc(&w->text, ';');
		list_field(&w->text, r->reasons[j].type, 1);
		list_field(&w->text, r->reasons[j].comment, 0);
	}
	if ((st = bind_list(w, q, 9)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 10, r->header_from)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 11, r->envelope_from)) != VOUCH_OK ||
	    (st = bind_esc(w, q, 12, r->envelope_to)) != VOUCH_OK)
		return st;
	vbuf_reset(&w->text);
	for (j = 0; j < r->ndkim; j++) {
		const struct vouch_feedback_dkim *d = &r->dkim_results[j];

		if (j > 0)
			vbuf_addc(&w->text, ';');
		list_field(&w->text, d->domain, 1);
		list_field(&w->text, d->selector, 0);
		list_field(&w->text, d->result, 0);
		list_field(&w->text, d->human_result, 0);
	}
	if ((st = bind_list(w, q, 13)) != VOUCH_OK)
		return st;
	vbuf_reset(&w->text);
	for (j = 0; j < r->nspf; j++) {
		const struct vouch_feedback_spf *sp = &r->spf_results[j];

		if (j > 0)
			vbuf_addc(&w->text, ';');
		list_field(&w->text, sp->domain, 1);
		list_field(&w->text, sp->scope, 0);
		list_field(&w->text, sp->result, 0);
		list_field(&w->text, sp->human_result, 0);
	}
	if ((st = bind_list(w, q, 14)) != VOUCH_OK)
		return st;
	return store_run(q);
}

static enum vouch_status
insert_rows(
    struct vouch_owner_writer *w, const struct vouch_feedback *fb, int64_t id)
{
	struct vouch_feedback_days days;
	uint64_t share[VOUCH_REPORT_MAX_DAYS];
	enum vouch_status st;
	size_t i, d;

	if ((st = vouch_feedback_days(fb->begin, fb->end, &days)) != VOUCH_OK)
		return st;
	for (i = 0; i < fb->nrecords; i++) {
		vouch_feedback_split(&days, fb->records[i].count, share);
		for (d = 0; d < days.ndays; d++) {
			/* a day the split gave nothing keeps no row */
			if (share[d] == 0 && days.ndays > 1)
				continue;
			st = insert_row(w, id, fb->policy_published.domain,
			    days.day[d], &fb->records[i], share[d]);
			if (st != VOUCH_OK)
				return st;
		}
	}
	return VOUCH_OK;
}

/* The end of the current transaction: commit, or roll back on error. */
static enum vouch_status
end_batch(struct vouch_owner_writer *w)
{
	enum vouch_status st = VOUCH_OK;

	if (w->in_tx)
		st = store_commit(w->s);
	w->in_tx = false;
	w->pending = 0;
	return st;
}

enum vouch_status
vouch_owner_store(struct vouch_owner_writer *w, const struct vouch_feedback *fb,
    const char *source, enum vouch_owner_stored *how)
{
	enum vouch_status st;
	bool isnew = false;
	int64_t id = 0;

	if (w == NULL || fb == NULL || how == NULL)
		return VOUCH_EINVAL;
	*how = VOUCH_OWNER_DUPLICATE;
	if (!w->in_tx) {
		if ((st = store_begin(w->s)) != VOUCH_OK)
			return st;
		w->in_tx = true;
	}
	/* each report whole or not at all, whatever the batch */
	if ((st = store_exec(w->s, "SAVEPOINT owner_report")) != VOUCH_OK)
		goto fail;
	st = insert_report(w, fb, source != NULL ? source : "", &id, &isnew);
	if (st == VOUCH_OK && isnew)
		st = insert_rows(w, fb, id);
	if (st == VOUCH_ELIMIT) {
		/* this report's texts are too long: the batch goes on */
		if (store_exec(w->s, "ROLLBACK TO SAVEPOINT owner_report") !=
		        VOUCH_OK ||
		    store_exec(w->s, "RELEASE SAVEPOINT owner_report") !=
		        VOUCH_OK)
			goto fail;
		return st;
	}
	if (st != VOUCH_OK ||
	    (st = store_exec(w->s, "RELEASE SAVEPOINT owner_report")) !=
	        VOUCH_OK)
		goto fail;
	if (isnew) {
		*how = VOUCH_OWNER_NEW;
		w->pending++;
	}
	if (w->pending >= w->batch || w->batch <= 1)
		return end_batch(w);
	return VOUCH_OK;
fail:
	store_rollback(w->s);
	w->in_tx = false;
	w->pending = 0;
	return st == VOUCH_OK ? VOUCH_EIO : st;
}

void
vouch_owner_writer_batch(struct vouch_owner_writer *w, unsigned n)
{
	if (w != NULL)
		w->batch = n > 0 ? n : 1;
}

enum vouch_status
vouch_owner_flush(struct vouch_owner_writer *w)
{
	if (w == NULL)
		return VOUCH_EINVAL;
	return end_batch(w);
}

/* ---- Reading back ------------------------------------------------------ */

static const char sql_rows[] =
    "SELECT r.org_name, r.email, r.report_id, r.policy_domain, "
    "r.begin_time, r.end_time, r.p, r.sp, r.np, r.adkim, r.aspf, r.pct, "
    "r.testing, r.discovery_method, w.day, w.source_ip, w.count, "
    "w.disposition, w.dkim_aligned, w.spf_aligned, w.reasons, "
    "w.header_from, w.envelope_from, w.envelope_to, w.dkim, w.spf "
    "FROM ingested_row w JOIN ingested_report r ON r.id = w.report_ref "
    "WHERE w.day >= $1 AND w.day < $2 %s"
    "ORDER BY w.day, r.id";

enum {
	C_ORG = 0,
	C_EMAIL,
	C_RID,
	C_DOMAIN,
	C_BEGIN,
	C_END,
	C_P,
	C_SP,
	C_NP,
	C_ADKIM,
	C_ASPF,
	C_PCT,
	C_TESTING,
	C_DISCOVERY,
	C_DAY,
	C_IP,
	C_COUNT,
	C_DISP,
	C_DKIM_AL,
	C_SPF_AL,
	C_REASONS,
	C_HFROM,
	C_EFROM,
	C_ETO,
	C_DKIM,
	C_SPF
};

struct row_reader {
	struct store_stmt *q;
	struct fb_arena a;
	enum vouch_status st;
};

/* A text column decoded; NULL for SQL NULL. */
static const char *
col_str(struct row_reader *rr, unsigned i)
{
	const char *t;
	char *out;
	size_t len;
	long n;

	if (store_col_null(rr->q, i))
		return NULL;
	t = store_col_text(rr->q, i, &len);
	if ((out = fb_arena_alloc(&rr->a, len + 1, &rr->st)) == NULL)
		return "";
	if ((n = store_unescape(t, len, out, len + 1)) < 0) {
		rr->st = VOUCH_EIO;
		return "";
	}
	out[n] = '\0';
	return out;
}

/*
 * A list column into nf-field entries: entry e's field f is
 * out[e * nf + f], each a string in the arena.  *n entries, at most max.
 */
static const char **
col_list(struct row_reader *rr, unsigned i, size_t nf, size_t max, size_t *n)
{
	struct store_field f[4];
	const char *t, *p, *end;
	const char **out;
	size_t len, k, e = 0;
	char *bufs;
	int r;

	*n = 0;
	t = store_col_text(rr->q, i, &len);
	if (len == 0)
		return NULL;
	out = fb_arena_alloc(&rr->a, max * nf * sizeof(*out), &rr->st);
	bufs = fb_arena_alloc(&rr->a, nf * (len + 1), &rr->st);
	if (out == NULL || bufs == NULL)
		return NULL;
	for (k = 0; k < nf; k++) {
		f[k].buf = bufs + k * (len + 1);
		f[k].cap = len + 1;
		f[k].len = 0;
	}
	p = t;
	end = t + len;
	while (e < max && (r = store_list_next(&p, end, f, nf)) == 1) {
		for (k = 0; k < nf; k++)
			out[e * nf + k] = fb_arena_strndup(
			    &rr->a, f[k].buf, f[k].len, &rr->st);
		e++;
	}
	if (rr->st == VOUCH_OK && e < max && r < 0)
		rr->st = VOUCH_EIO;
	*n = e;
	return out;
}

static void
decode_row(struct row_reader *rr, struct vouch_owner_row *row)
{
	struct vouch_feedback_record *r = &row->record;
	struct vouch_feedback_reason *rs;
	struct vouch_feedback_dkim *dk;
	struct vouch_feedback_spf *sp;
	const char **l;
	size_t n, j;

	memset(row, 0, sizeof(*row));
	row->org_name = col_str(rr, C_ORG);
	row->email = col_str(rr, C_EMAIL);
	row->report_id = col_str(rr, C_RID);
	row->policy_domain = col_str(rr, C_DOMAIN);
	row->begin = store_col_int64(rr->q, C_BEGIN);
	row->end = store_col_int64(rr->q, C_END);
	row->p = col_str(rr, C_P);
	row->sp = col_str(rr, C_SP);
	row->np = col_str(rr, C_NP);
	row->adkim = col_str(rr, C_ADKIM);
	row->aspf = col_str(rr, C_ASPF);
	row->pct = store_col_null(rr->q, C_PCT)
	               ? -1
	               : (int)store_col_int64(rr->q, C_PCT);
	row->testing = col_str(rr, C_TESTING);
	row->discovery_method = col_str(rr, C_DISCOVERY);
	row->day = store_col_int64(rr->q, C_DAY);
	r->source_ip = col_str(rr, C_IP);
	r->is_ip = 1;
	r->count = (uint64_t)store_col_int64(rr->q, C_COUNT);
	r->disposition = col_str(rr, C_DISP);
	r->dkim = col_str(rr, C_DKIM_AL);
	r->spf = col_str(rr, C_SPF_AL);
	r->header_from = col_str(rr, C_HFROM);
	r->envelope_from = col_str(rr, C_EFROM);
	r->envelope_to = col_str(rr, C_ETO);
	l = col_list(rr, C_REASONS, 2, VOUCH_REPORT_MAX_REASONS, &n);
	if (n > 0 &&
	    (rs = fb_arena_alloc(&rr->a, n * sizeof(*rs), &rr->st)) != NULL) {
		for (j = 0; j < n; j++) {
			rs[j].type = l[2 * j];
			rs[j].comment = l[2 * j + 1];
		}
		r->reasons = rs;
		r->nreasons = n;
	}
	l = col_list(rr, C_DKIM, 4, VOUCH_REPORT_MAX_AUTH, &n);
	if (n > 0 &&
	    (dk = fb_arena_alloc(&rr->a, n * sizeof(*dk), &rr->st)) != NULL) {
		for (j = 0; j < n; j++) {
			dk[j].domain = l[4 * j];
			dk[j].selector = l[4 * j + 1];
			dk[j].result = l[4 * j + 2];
			dk[j].human_result = l[4 * j + 3];
		}
		r->dkim_results = dk;
		r->ndkim = n;
	}
	l = col_list(rr, C_SPF, 4, VOUCH_REPORT_MAX_AUTH, &n);
	if (n > 0 &&
	    (sp = fb_arena_alloc(&rr->a, n * sizeof(*sp), &rr->st)) != NULL) {
		for (j = 0; j < n; j++) {
			sp[j].domain = l[4 * j];
			sp[j].scope = l[4 * j + 1];
			sp[j].result = l[4 * j + 2];
			sp[j].human_result = l[4 * j + 3];
		}
		r->spf_results = sp;
		r->nspf = n;
	}
}

enum vouch_status
vouch_owner_rows(struct vouch_store *s, const struct vouch_owner_query *q,
    vouch_owner_row_fn fn, void *arg)
{
	struct vouch_owner_row row;
	struct row_reader rr;
	enum vouch_status st;
	char sql[sizeof(sql_rows) + 64];
	bool more = false;

	if (s == NULL || q == NULL || fn == NULL)
		return VOUCH_EINVAL;
	if ((st = has_owner_tables(s)) != VOUCH_OK)
		return st;
	snprintf(sql, sizeof(sql), sql_rows,
	    q->domain != NULL ? "AND w.policy_domain = $3 " : "");
	memset(&rr, 0, sizeof(rr));
	if ((st = store_prepare(s, sql, &rr.q)) != VOUCH_OK)
		return st;
	if ((st = store_bind_int64(rr.q, 1, q->since)) != VOUCH_OK ||
	    (st = store_bind_int64(
	         rr.q, 2, q->until > 0 ? q->until : INT64_MAX)) != VOUCH_OK)
		goto out;
	if (q->domain != NULL) {
		struct vbuf b;

		vbuf_init(&b, 4096);
		(void)store_escape(&b, q->domain, strlen(q->domain));
		st = b.err != VOUCH_OK
		         ? b.err
		         : store_bind_text(
		               rr.q, 3, b.len ? (const char *)b.p : "", b.len);
		vbuf_free(&b);
		if (st != VOUCH_OK)
			goto out;
	}
	while ((st = store_step(rr.q, &more)) == VOUCH_OK && more) {
		/* a row is at most a few column texts: 1 GiB is no cap */
		fb_arena_init(&rr.a, (size_t)1 << 30);
		rr.st = VOUCH_OK;
		decode_row(&rr, &row);
		st = rr.st != VOUCH_OK ? rr.st : fn(arg, &row);
		fb_arena_free(&rr.a);
		if (st != VOUCH_OK) {
			if (rr.st == VOUCH_EIO)
				store_seterr(s, st,
				    "a stored row does not "
				    "decode");
			break;
		}
	}
out:
	store_finalize(rr.q);
	return st;
}
