/*
 * Record (vouchd.conf(5)): every DMARC evaluation that is to be reported
 * goes into the report store (store.h), for `vouch report generate`.
 *
 * The recorder is the library's: rows are checked and queued on the
 * milter's thread, committed in batches (RecordBatchRows, RecordBatchTime)
 * on the recorder's own thread, so a message never waits for the
 * database; a crash loses at most the batch not yet committed.  It is
 * made in the milter process after the privilege drop (the store is
 * opened as UserID), and shared by the runtimes of successive reloads
 * while RecordDB and the batch options stay the same, so that a reload
 * neither loses nor repeats a row; a reload that changes them makes a new
 * recorder, and the old one commits what it holds when its last message
 * is done.
 *
 * What is recorded is what vouchd did, not only what the policy asked:
 * the disposition applied (quarantine for a p=reject failure that is not
 * rejected, RFC 9989 §7.4; nothing in DryRun) and vouchd's override
 * reasons (mailing_list, trusted_forwarder, local_policy, RFC 9990
 * §3.1.6).  A message that is answered with a temporary failure is not
 * recorded: the MTA brings it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "vouchd.h"

struct vouchd_rec {
	atomic_int refs;
	struct vouch_recorder *r;
	char url[VOUCH_STORE_MAX_URL + 1];
	unsigned batch_rows, batch_ms;
};

/* Rows vouchd could not hand to the recorder (refused by its checks, or
 * its queue full): counted here, shown in the metrics. */
static atomic_ulong rows_refused;

static const char *
db_url(const struct vouchd_conf *c)
{
	return c->record_db != NULL ? c->record_db : VOUCHD_RECORD_DB_DEFAULT;
}

/* A recorder for c's store; NULL on an error, in err, and in *line the
 * line of c->path it names (0: the file alone; -1: none). */
static struct vouchd_rec *
rec_new(const struct vouchd_conf *c, char *err, size_t errlen, int *line)
{
	struct vouch_recorder_options o;
	struct vouchd_rec *rec;
	char why[VOUCHD_TEXT_MAX] = "";
	enum vouch_status st;

	*line = -1;
	if ((rec = calloc(1, sizeof(*rec))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	atomic_init(&rec->refs, 1);
	snprintf(rec->url, sizeof(rec->url), "%s", db_url(c));
	rec->batch_rows = c->record_batch_rows;
	rec->batch_ms = c->record_batch_ms;
	vouch_recorder_options_init(&o);
	o.batch_rows = c->record_batch_rows;
	o.batch_ms = c->record_batch_ms;
	if (o.queue_rows < o.batch_rows)
		o.queue_rows = o.batch_rows;
	st = vouch_recorder_new(rec->url, &o, &rec->r, why, sizeof(why));
	if (st != VOUCH_OK) {
		char at[VOUCHD_TABLE_MAX_PATH + 32];
		/* RecordDB's line, or Record's when the store is the default */
		const char *opt =
		    vouchd_conf_line(c, "RecordDB") ? "RecordDB" : "Record";

		vouchd_conf_where(c, opt, at, sizeof(at));
		*line = (int)vouchd_conf_line(c, opt);
		snprintf(err, errlen, "%sRecordDB %s: %s", at, rec->url,
		    why[0] ? why : vouch_status_str(st));
		free(rec);
		return NULL;
	}
	return rec;
}

int
record_attach(struct vouchd_runtime *rt, const struct vouchd_runtime *old,
    char *err, size_t errlen)
{
	const struct vouchd_conf *c = rt->conf;
	struct vouchd_rec *o = old != NULL ? old->rec : NULL;

	if (!c->record || rt->rec != NULL)
		return 0;
	if (o != NULL && strcmp(o->url, db_url(c)) == 0 &&
	    o->batch_rows == c->record_batch_rows &&
	    o->batch_ms == c->record_batch_ms) {
		atomic_fetch_add(&o->refs, 1);
		rt->rec = o;
		return 0;
	}
	int line;

	rt->rec = rec_new(c, err, errlen, &line);
	return rt->rec != NULL ? 0 : -1;
}

void
record_release(struct vouchd_rec *rec)
{
	if (rec == NULL || atomic_fetch_sub(&rec->refs, 1) != 1)
		return;
	vouch_recorder_free(rec->r); /* commits what it still holds */
	free(rec);
}

void
record_flush(struct vouchd_runtime *rt)
{
	struct vouch_recorder_stats st;

	if (rt == NULL || rt->rec == NULL)
		return;
	if (vouch_recorder_flush(rt->rec->r) != VOUCH_OK) {
		vouch_recorder_stats(rt->rec->r, &st);
		log_msg(LOG_ERR, "Record: a commit to %s failed: %s",
		    rt->rec->url, st.last_error);
	}
}

/* ---- One evaluation ---------------------------------------------------- */

static enum vouch_store_override
store_override(enum vouch_dmarc_override o)
{
	switch (o) {
	case VOUCH_DMARC_OVERRIDE_MAILING_LIST:
		return VOUCH_STORE_OVERRIDE_MAILING_LIST;
	case VOUCH_DMARC_OVERRIDE_TRUSTED_FORWARDER:
		return VOUCH_STORE_OVERRIDE_TRUSTED_FORWARDER;
	case VOUCH_DMARC_OVERRIDE_FORWARDED:
		return VOUCH_STORE_OVERRIDE_FORWARDED;
	case VOUCH_DMARC_OVERRIDE_SAMPLED_OUT:
		return VOUCH_STORE_OVERRIDE_SAMPLED_OUT;
	case VOUCH_DMARC_OVERRIDE_OTHER:
		return VOUCH_STORE_OVERRIDE_OTHER;
	default:
		return VOUCH_STORE_OVERRIDE_LOCAL_POLICY;
	}
}

/* The disposition vouchd applied to the message (RFC 9990 §3.1.1.9). */
static enum vouch_store_disposition
applied(const struct vouchd_eval *ev)
{
	if (ev->dryrun)
		return VOUCH_STORE_DISP_NONE; /* nothing was changed */
	switch (ev->verdict) {
	case VERDICT_REJECT:
		return VOUCH_STORE_DISP_REJECT;
	case VERDICT_QUARANTINE:
		return VOUCH_STORE_DISP_QUARANTINE;
	default:
		return VOUCH_STORE_DISP_NONE;
	}
}

static void
add_reason(struct vouch_store_evaluation *e, enum vouch_store_override t,
    const char *comment)
{
	struct vouch_store_reason *r;
	size_t i;

	for (i = 0; i < e->nreasons; i++)
		if (e->reason[i].type == t)
			return;
	if (e->nreasons >= VOUCH_STORE_MAX_REASONS)
		return;
	r = &e->reason[e->nreasons++];
	r->type = t;
	snprintf(r->comment, sizeof(r->comment), "%s", comment ? comment : "");
}

/*
 * vouchd's decision on one row: the disposition it applied to the
 * message, and, where that differs from what the DMARC evaluation gave
 * (or the row would say nothing of vouchd's override), the reason.  A
 * pass stays a pass (RFC 9990 "pass": no action for a passing message).
 */
static void
apply_decision(struct vouch_store_evaluation *e, const struct vouchd_eval *ev)
{
	enum vouch_store_disposition d = applied(ev);
	char why[VOUCH_STORE_MAX_COMMENT + 1];

	if (e->disposition == VOUCH_STORE_DISP_PASS &&
	    d == VOUCH_STORE_DISP_NONE)
		return;
	if (ev->dryrun && e->disposition != VOUCH_STORE_DISP_NONE) {
		snprintf(why, sizeof(why), "DryRun: would %s: %s",
		    ev->verdict == VERDICT_REJECT       ? "reject"
		    : ev->verdict == VERDICT_QUARANTINE ? "quarantine"
		                                        : "accept",
		    ev->why ? ev->why : "");
		e->disposition = d;
		add_reason(e, VOUCH_STORE_OVERRIDE_LOCAL_POLICY, why);
		return;
	}
	if (ev->override != VOUCH_DMARC_OVERRIDE_NONE)
		add_reason(e, store_override(ev->override),
		    ev->override_comment ? ev->override_comment : ev->why);
	else if (e->disposition != d)
		add_reason(e, VOUCH_STORE_OVERRIDE_LOCAL_POLICY, ev->why);
	e->disposition = d;
}

void
record_eval(const struct vouchd_eval *ev)
{
	struct vouchd_rec *rec = ev->rt != NULL ? ev->rt->rec : NULL;
	const struct vouch_verify_result *res = ev->res;
	struct vouch_store_evaluation *e;
	struct vouch_verify_smtp smtp;
	struct vouch_store_envelope env;
	size_t n = 0, i, cap;

	/* a tempfailed message comes again; no address, no report row */
	if (rec == NULL || ev->role != ROLE_VERIFY || res == NULL ||
	    ev->verdict == VERDICT_TEMPFAIL || ev->client_ip[0] == '\0' ||
	    res->dmarc.ndomains == 0)
		return;
	memset(&smtp, 0, sizeof(smtp));
	smtp.ip = ev->client_ip;
	smtp.ip_len = strlen(ev->client_ip);
	smtp.helo = ev->helo;
	smtp.helo_len = strlen(ev->helo);
	smtp.mail_from = ev->mail_from;
	smtp.mail_from_len = strlen(ev->mail_from);
	memset(&env, 0, sizeof(env));
	env.smtp = &smtp;
	env.rcpt_to = ev->rcpt_to != NULL ? ev->rcpt_to : "";
	env.rcpt_to_len = strlen(env.rcpt_to);
	env.mode = ev->rt->vopts.dmarc.mode;
	/* a few KiB each: on the heap, not a milter thread's stack */
	cap = res->dmarc.ndomains;
	if ((e = malloc(cap * sizeof(*e))) == NULL) {
		atomic_fetch_add(&rows_refused, 1);
		return;
	}
	(void)!vouch_store_evaluations_from_verify(res, &env, e, cap, &n);
	for (i = 0; i < n; i++) {
		apply_decision(&e[i], ev);
		if (vouch_recorder_add(rec->r, &e[i]) != VOUCH_OK)
			atomic_fetch_add(&rows_refused, 1);
	}
	free(e);
}

/* ---- Metrics and vouchd -t --------------------------------------------- */

size_t
record_metrics(struct vouchd_runtime *rt, char *buf, size_t cap)
{
	struct vouch_recorder_stats st;
	int n;

	memset(&st, 0, sizeof(st));
	if (rt->rec != NULL)
		vouch_recorder_stats(rt->rec->r, &st);
	else if (!rt->conf->record)
		return 0;
	n = snprintf(buf, cap,
	    "# TYPE vouchd_record_rows_total counter\n"
	    "vouchd_record_rows_total{state=\"queued\"} %llu\n"
	    "vouchd_record_rows_total{state=\"committed\"} %llu\n"
	    "vouchd_record_rows_total{state=\"dropped\"} %llu\n"
	    "# TYPE vouchd_record_batches_total counter\n"
	    "vouchd_record_batches_total %llu\n"
	    "# TYPE vouchd_record_commit_failures_total counter\n"
	    "vouchd_record_commit_failures_total %llu\n",
	    (unsigned long long)st.queued, (unsigned long long)st.committed,
	    (unsigned long long)(st.dropped + atomic_load(&rows_refused)),
	    (unsigned long long)st.batches, (unsigned long long)st.failures);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* vouchd -t (in a child that is UserID already): the store opens and is
 * migrated, as the milter process will open it. */
int
record_check(const struct vouchd_conf *c, char *err, size_t errlen, int *line)
{
	struct vouchd_rec *rec;

	if (!c->record)
		return 0;
	if ((rec = rec_new(c, err, errlen, line)) == NULL)
		return -1;
	record_release(rec);
	return 0;
}
