/*
 * The recorder: evaluations queued by the mail path, committed in batches.
 *
 * vouch_recorder_add checks an evaluation and turns it into its column
 * texts (store_row_make) on the caller's thread, then only links it into a
 * queue under a mutex: the mail path never waits for the database.  The
 * committer (the recorder's thread, or the caller without one) takes up to
 * batch_rows rows and writes them in one transaction: a crash loses at
 * most what was queued and not committed, and a transaction is all or
 * nothing, so the store is never half-written.  A failed commit puts its
 * rows back at the head of the queue, reconnects and tries again after
 * RETRY_MS.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "util/buf.h"

/* Pause after a failed commit before the next try, milliseconds. */
#define RETRY_MS 1000
/*
 * Entries of the policy id cache (open addressing, emptied when half
 * full): a receiver sees one policy per domain it reports on, and 8192
 * domains a day stay cached (about 600 KiB).
 */
#define POLICY_CACHE 16384
/*
 * Evaluations per INSERT statement: one round trip to the database for up
 * to 64 rows (16 parameters each); batches are cut into 64s, then 8s,
 * then single rows.
 */
#define EVAL_COLS 16
static const unsigned insert_rows[] = {64, 8, 1};
#define NINSERT (sizeof(insert_rows) / sizeof(insert_rows[0]))

struct policy_slot {
	char hash[65];
	int64_t id;
};

struct vouch_recorder {
	struct vouch_recorder_options o;
	char *url;

	pthread_mutex_t mu; /* the queue, counters and flags below */
	pthread_cond_t wake; /* the committer: work or stop */
	pthread_cond_t idle; /* flushers: a commit ended */
	struct store_row *head, *tail;
	size_t nqueued;
	int64_t oldest_ms; /* when the head was queued */
	int stop;
	uint64_t flush_want, flush_done; /* generations of flush requests */
	int thread_started;
	pthread_t th;
	struct vouch_recorder_stats stats;

	/* the committer's own, never touched under mu by others */
	pthread_mutex_t commit_mu; /* one committer at a time (no thread) */
	struct vouch_store *s;
	struct store_stmt *sel_policy, *ins_policy, *ins_eval[NINSERT];
	struct policy_slot cache[POLICY_CACHE];
	size_t ncache;
};

void
vouch_recorder_options_init(struct vouch_recorder_options *o)
{
	memset(o, 0, sizeof(*o));
	o->batch_rows = 256;
	o->batch_ms = 1000;
	o->queue_rows = 65536;
	o->thread = true;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- The committer's connection ---------------------------------------- */

static void
disconnect(struct vouch_recorder *r)
{
	size_t i;

	store_finalize(r->sel_policy);
	store_finalize(r->ins_policy);
	r->sel_policy = r->ins_policy = NULL;
	for (i = 0; i < NINSERT; i++) {
		store_finalize(r->ins_eval[i]);
		r->ins_eval[i] = NULL;
	}
	vouch_store_close(r->s);
	r->s = NULL;
	r->ncache = 0;
	memset(r->cache, 0, sizeof(r->cache));
}

/* INSERT INTO evaluation ... VALUES ($1..$16), ($17..$32), ...: n rows. */
static enum vouch_status
prepare_insert(struct vouch_recorder *r, unsigned n, struct store_stmt **out)
{
	struct vbuf b;
	enum vouch_status st;
	unsigned i, k;

	vbuf_init(&b, 64 * 1024);
	vbuf_adds(&b, "INSERT INTO evaluation (time, policy_domain, policy_id, "
	              "source_ip, header_from, envelope_from, envelope_to, "
	              "dmarc_result, disposition, dkim_aligned, spf_aligned, "
	              "reasons, spf_domain, spf_scope, spf_result, dkim) "
	              "VALUES ");
	for (i = 0; i < n; i++) {
		vbuf_adds(&b, i ? ", (" : "(");
		for (k = 1; k <= EVAL_COLS; k++)
			vbuf_addf(
			    &b, "%s$%u", k > 1 ? ", " : "", i * EVAL_COLS + k);
		vbuf_addc(&b, ')');
	}
	if ((st = b.err) == VOUCH_OK)
		st = store_prepare(r->s, (const char *)b.p, out);
	vbuf_free(&b);
	return st;
}

static enum vouch_status
connect_store(struct vouch_recorder *r, char *err, size_t errlen)
{
	enum vouch_status st;
	bool have;
	size_t i;

	if (r->s != NULL)
		return VOUCH_OK;
	st = vouch_store_open(r->url, 0, &r->s, err, errlen);
	if (st != VOUCH_OK)
		return st;
	if ((st = store_has_migration(r->s, STORE_MIGRATION_RECEIVER, &have)) ==
	        VOUCH_OK &&
	    !have) {
		st = store_seterr(r->s, VOUCH_ENOTFOUND,
		    "the store has no receiver tables (run vouch store init "
		    "or vouch store migrate)");
	}
	if (st == VOUCH_OK)
		st = store_prepare(r->s,
		    "SELECT id FROM evaluation_policy WHERE key_hash = $1",
		    &r->sel_policy);
	if (st == VOUCH_OK)
		st = store_prepare(r->s,
		    "INSERT INTO evaluation_policy (key_hash, domain, "
		    "discovery_method, p, sp, np, adkim, aspf, fo, testing, "
		    "psd, pct, rua, ruf, first_seen) VALUES ($1, $2, $3, $4, "
		    "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON "
		    "CONFLICT (key_hash) DO NOTHING",
		    &r->ins_policy);
	for (i = 0; i < NINSERT && st == VOUCH_OK; i++)
		st = prepare_insert(r, insert_rows[i], &r->ins_eval[i]);
	if (st != VOUCH_OK) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", vouch_store_errmsg(r->s));
		disconnect(r);
	}
	return st;
}

/* ---- Policy ids --------------------------------------------------------- */

static size_t
slot_of(const char *hash)
{
	size_t h = 0;
	int i;

	for (i = 0; i < 8; i++)
		h = h * 16 + (size_t)(hash[i] <= '9' ? hash[i] - '0'
		                                     : hash[i] - 'a' + 10);
	return h % POLICY_CACHE;
}

static int64_t
cache_get(struct vouch_recorder *r, const char *hash)
{
	size_t i, k = slot_of(hash);

	for (i = 0; i < POLICY_CACHE; i++, k = (k + 1) % POLICY_CACHE) {
		if (r->cache[k].hash[0] == '\0')
			return 0;
		if (strcmp(r->cache[k].hash, hash) == 0)
			return r->cache[k].id;
	}
	return 0;
}

static void
cache_put(struct vouch_recorder *r, const char *hash, int64_t id)
{
	size_t k;

	if (r->ncache >= POLICY_CACHE / 2) {
		memset(r->cache, 0, sizeof(r->cache));
		r->ncache = 0;
	}
	for (k = slot_of(hash); r->cache[k].hash[0] != '\0';
	     k = (k + 1) % POLICY_CACHE)
		;
	snprintf(r->cache[k].hash, sizeof(r->cache[k].hash), "%s", hash);
	r->cache[k].id = id;
	r->ncache++;
}

static enum vouch_status
select_policy(struct vouch_recorder *r, const char *hash, int64_t *id)
{
	enum vouch_status st;
	bool row;

	*id = 0;
	if ((st = store_bind_str(r->sel_policy, 1, hash)) != VOUCH_OK ||
	    (st = store_step(r->sel_policy, &row)) != VOUCH_OK)
		goto out;
	if (row)
		*id = store_col_int64(r->sel_policy, 0);
out:
	(void)store_reset(r->sel_policy);
	return st;
}

/* The id of the row's policy, inserted when new. */
static enum vouch_status
policy_id(struct vouch_recorder *r, const struct store_row *row, int64_t *id)
{
	const char *hash = row->col[COL_P_KEY_HASH];
	enum vouch_status st;
	unsigned c;

	if ((*id = cache_get(r, hash)) != 0)
		return VOUCH_OK;
	if ((st = select_policy(r, hash, id)) != VOUCH_OK)
		return st;
	if (*id == 0) {
		for (c = COL_P_FIRST; c <= COL_P_RUF; c++)
			if ((st = store_bind_str(r->ins_policy, c + 1,
			         row->col[c])) != VOUCH_OK)
				return st;
		if ((st = store_bind_int64(r->ins_policy, COL_P_RUF + 2,
		         row->time)) != VOUCH_OK ||
		    (st = store_run(r->ins_policy)) != VOUCH_OK ||
		    (st = select_policy(r, hash, id)) != VOUCH_OK)
			return st;
		if (*id == 0)
			return store_seterr(
			    r->s, VOUCH_EIO, "the policy row did not appear");
	}
	cache_put(r, hash, *id);
	return VOUCH_OK;
}

/* Binds one row's 16 values from parameter base + 1 on. */
static enum vouch_status
bind_row(struct store_stmt *q, unsigned base, const struct store_row *row,
    int64_t id)
{
	enum vouch_status st;
	unsigned c;

	if ((st = store_bind_int64(q, base + 1, row->time)) != VOUCH_OK ||
	    (st = store_bind_str(q, base + 2, row->col[COL_P_DOMAIN])) !=
	        VOUCH_OK ||
	    (st = store_bind_int64(q, base + 3, id)) != VOUCH_OK)
		return st;
	for (c = COL_E_FIRST; c < COL_COUNT; c++)
		if ((st = store_bind_str(q, base + c - COL_E_FIRST + 4,
		         row->col[c])) != VOUCH_OK)
			return st;
	return VOUCH_OK;
}

/* The rows of a batch with their policy ids, in as few INSERTs as can be. */
static enum vouch_status
insert_rows_of(struct vouch_recorder *r, const struct store_row *batch)
{
	const struct store_row *row, *first;
	enum vouch_status st;
	int64_t ids[64];
	size_t k, left = 0, j;
	unsigned n;

	for (row = batch; row != NULL; row = row->next)
		left++;
	row = batch;
	while (left > 0) {
		for (k = 0; insert_rows[k] > left; k++)
			;
		n = insert_rows[k];
		first = row;
		for (j = 0; j < n; j++, row = row->next)
			if ((st = policy_id(r, row, &ids[j])) != VOUCH_OK)
				return st;
		for (j = 0, row = first; j < n; j++, row = row->next)
			if ((st = bind_row(r->ins_eval[k],
			         (unsigned)j * EVAL_COLS, row, ids[j])) !=
			    VOUCH_OK)
				return st;
		if ((st = store_run(r->ins_eval[k])) != VOUCH_OK)
			return st;
		left -= n;
	}
	return VOUCH_OK;
}

/* The partitions of the months of a batch, made before it is written. */
static enum vouch_status
partitions(struct vouch_recorder *r, const struct store_row *batch)
{
	const struct store_row *row;
	enum vouch_status st;
	int64_t last = INT64_MIN;

	for (row = batch; row != NULL; row = row->next) {
		/* a batch holds seconds of mail: one month, rarely two */
		if (last != INT64_MIN && row->time / 86400 == last / 86400)
			continue;
		last = row->time;
		if ((st = store_partition(r->s, "evaluation", row->time)) !=
		    VOUCH_OK)
			return st;
	}
	return VOUCH_OK;
}

/* Writes one batch in one transaction. */
static enum vouch_status
write_batch(struct vouch_recorder *r, const struct store_row *batch, char *err,
    size_t errlen)
{
	enum vouch_status st;

	if ((st = connect_store(r, err, errlen)) != VOUCH_OK)
		return st;
	if ((st = partitions(r, batch)) != VOUCH_OK ||
	    (st = store_begin(r->s)) != VOUCH_OK)
		goto fail;
	if ((st = insert_rows_of(r, batch)) != VOUCH_OK)
		goto fail;
	if ((st = store_commit(r->s)) != VOUCH_OK)
		goto fail;
	return VOUCH_OK;
fail:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", vouch_store_errmsg(r->s));
	/* ids cached in the rolled-back transaction may not exist; a broken
	 * connection is opened again next time */
	disconnect(r);
	return st;
}

static void
free_rows(struct store_row *row)
{
	struct store_row *next;

	for (; row != NULL; row = next) {
		next = row->next;
		free(row);
	}
}

/*
 * One commit: takes up to batch_rows rows from the queue (mu held on
 * entry and on return; released while writing).  Returns the status of
 * the write; the rows go back at the head when it failed.
 */
static enum vouch_status
commit_some(struct vouch_recorder *r)
{
	struct store_row *batch, *last;
	char err[sizeof(r->stats.last_error)] = "";
	enum vouch_status st;
	size_t n = 0;

	batch = last = r->head;
	if (batch == NULL)
		return VOUCH_OK;
	while (n + 1 < r->o.batch_rows && last->next != NULL) {
		last = last->next;
		n++;
	}
	n++;
	r->head = last->next;
	if (r->head == NULL)
		r->tail = NULL;
	last->next = NULL;
	r->nqueued -= n;
	r->oldest_ms = r->head ? now_ms() : 0;
	pthread_mutex_unlock(&r->mu);

	pthread_mutex_lock(&r->commit_mu);
	st = write_batch(r, batch, err, sizeof(err));
	pthread_mutex_unlock(&r->commit_mu);

	pthread_mutex_lock(&r->mu);
	if (st == VOUCH_OK) {
		r->stats.committed += n;
		r->stats.batches++;
		free_rows(batch);
	} else {
		r->stats.failures++;
		snprintf(r->stats.last_error, sizeof(r->stats.last_error), "%s",
		    err[0] ? err : vouch_status_str(st));
		last->next = r->head;
		r->head = batch;
		if (r->tail == NULL)
			r->tail = last;
		r->nqueued += n;
		if (r->oldest_ms == 0)
			r->oldest_ms = now_ms();
	}
	return st;
}

/* Is a batch due (mu held)? */
static bool
due(struct vouch_recorder *r)
{
	return r->nqueued >= r->o.batch_rows ||
	       (r->nqueued > 0 && now_ms() - r->oldest_ms >= r->o.batch_ms);
}

static void
wait_ms(struct vouch_recorder *r, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	(void)pthread_cond_timedwait(&r->wake, &r->mu, &ts);
}

static void *
committer(void *arg)
{
	struct vouch_recorder *r = arg;
	uint64_t want;
	int64_t wait;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		want = r->flush_want;
		if (r->head != NULL &&
		    (due(r) || want != r->flush_done || r->stop)) {
			if (commit_some(r) != VOUCH_OK) {
				if (r->stop)
					break; /* vouch_recorder_free tries */
				pthread_cond_broadcast(&r->idle);
				wait_ms(r, RETRY_MS);
			}
			continue;
		}
		if (r->head == NULL && want != r->flush_done) {
			r->flush_done = want;
			pthread_cond_broadcast(&r->idle);
		}
		if (r->stop)
			break;
		wait = r->head ? r->o.batch_ms - (now_ms() - r->oldest_ms)
		               : r->o.batch_ms;
		wait_ms(r, wait > 0 ? wait : 1);
	}
	pthread_cond_broadcast(&r->idle);
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* ---- The interface ----------------------------------------------------- */

enum vouch_status
vouch_recorder_new(const char *url, const struct vouch_recorder_options *opts,
    struct vouch_recorder **out, char *err, size_t errlen)
{
	struct vouch_recorder *r;
	pthread_condattr_t ca;
	enum vouch_status st;

	if (out == NULL)
		return VOUCH_EINVAL;
	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return VOUCH_ENOMEM;
	if (opts != NULL)
		r->o = *opts;
	else
		vouch_recorder_options_init(&r->o);
	if (r->o.batch_rows == 0 || r->o.queue_rows < r->o.batch_rows) {
		free(r);
		if (err != NULL && errlen > 0)
			snprintf(err, errlen,
			    "batch_rows must be at least 1 "
			    "and queue_rows at least batch_rows");
		return VOUCH_EINVAL;
	}
	if ((r->url = strdup(url ? url : vouch_store_default_url())) == NULL) {
		free(r);
		return VOUCH_ENOMEM;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_mutex_init(&r->commit_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->wake, &ca);
	pthread_cond_init(&r->idle, &ca);
	pthread_condattr_destroy(&ca);
	/* connect now: a wrong URL or schema is an error at start-up, not
	 * a silent loss later */
	if ((st = connect_store(r, err, errlen)) != VOUCH_OK) {
		vouch_recorder_free(r);
		return st;
	}
	if (r->o.thread) {
		if (pthread_create(&r->th, NULL, committer, r) != 0) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen,
				    "cannot start a thread: %s",
				    strerror(errno));
			vouch_recorder_free(r);
			return VOUCH_EIO;
		}
		r->thread_started = 1;
	}
	*out = r;
	return VOUCH_OK;
}

enum vouch_status
vouch_recorder_add(
    struct vouch_recorder *r, const struct vouch_store_evaluation *ev)
{
	struct store_row *row;
	enum vouch_status st = VOUCH_OK;

	if (r == NULL || ev == NULL)
		return VOUCH_EINVAL;
	if ((st = store_row_make(ev, &row, NULL, 0)) != VOUCH_OK)
		return st;
	pthread_mutex_lock(&r->mu);
	if (r->nqueued >= r->o.queue_rows) {
		r->stats.dropped++;
		pthread_mutex_unlock(&r->mu);
		free(row);
		return VOUCH_ELIMIT;
	}
	if (r->tail != NULL)
		r->tail->next = row;
	else {
		r->head = row;
		r->oldest_ms = now_ms();
	}
	r->tail = row;
	r->nqueued++;
	r->stats.queued++;
	if (r->thread_started) {
		if (r->nqueued >= r->o.batch_rows)
			pthread_cond_signal(&r->wake);
	} else if (due(r)) {
		st = commit_some(r);
		if (st != VOUCH_OK)
			st = VOUCH_EIO;
	}
	pthread_mutex_unlock(&r->mu);
	return st;
}

enum vouch_status
vouch_recorder_add_verify(struct vouch_recorder *r,
    const struct vouch_verify_result *res,
    const struct vouch_store_envelope *env, size_t *n)
{
	struct vouch_store_evaluation *ev;
	enum vouch_status st, st2;
	size_t i, k = 0;

	if (n != NULL)
		*n = 0;
	if (r == NULL)
		return VOUCH_EINVAL;
	if (res == NULL || res->dmarc.ndomains == 0)
		return res == NULL ? VOUCH_EINVAL : VOUCH_OK;
	/* a few KiB each: on the heap, not a milter thread's stack; filled
	 * (and cleared) by vouch_store_evaluations_from_verify */
	ev = malloc(res->dmarc.ndomains * sizeof(*ev));
	if (ev == NULL)
		return VOUCH_ENOMEM;
	st = vouch_store_evaluations_from_verify(
	    res, env, ev, res->dmarc.ndomains, &k);
	for (i = 0; i < k; i++) {
		st2 = vouch_recorder_add(r, &ev[i]);
		if (st2 == VOUCH_OK && n != NULL)
			(*n)++;
		if (st == VOUCH_OK)
			st = st2;
	}
	free(ev);
	return st;
}

enum vouch_status
vouch_recorder_flush(struct vouch_recorder *r)
{
	enum vouch_status st = VOUCH_OK;
	uint64_t gen;

	if (r == NULL)
		return VOUCH_EINVAL;
	pthread_mutex_lock(&r->mu);
	if (!r->thread_started) {
		while (r->head != NULL && st == VOUCH_OK)
			st = commit_some(r);
		pthread_mutex_unlock(&r->mu);
		return st == VOUCH_OK ? VOUCH_OK : VOUCH_EIO;
	}
	gen = ++r->flush_want;
	pthread_cond_signal(&r->wake);
	/* done when the committer has emptied the queue, or when a commit
	 * failed (the rows wait for the next try) */
	while (r->flush_done < gen) {
		uint64_t failures = r->stats.failures;

		pthread_cond_wait(&r->idle, &r->mu);
		if (r->stats.failures != failures) {
			st = VOUCH_EIO;
			break;
		}
	}
	pthread_mutex_unlock(&r->mu);
	return st;
}

void
vouch_recorder_stats(struct vouch_recorder *r, struct vouch_recorder_stats *st)
{
	pthread_mutex_lock(&r->mu);
	*st = r->stats;
	pthread_mutex_unlock(&r->mu);
}

void
vouch_recorder_free(struct vouch_recorder *r)
{
	if (r == NULL)
		return;
	if (r->thread_started) {
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_cond_signal(&r->wake);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->th, NULL);
		r->thread_started = 0;
	}
	/* one last try for what is left, on this thread */
	pthread_mutex_lock(&r->mu);
	while (r->head != NULL && commit_some(r) == VOUCH_OK)
		;
	r->stats.dropped += r->nqueued;
	free_rows(r->head);
	r->head = r->tail = NULL;
	r->nqueued = 0;
	pthread_mutex_unlock(&r->mu);
	disconnect(r);
	pthread_cond_destroy(&r->wake);
	pthread_cond_destroy(&r->idle);
	pthread_mutex_destroy(&r->mu);
	pthread_mutex_destroy(&r->commit_mu);
	free(r->url);
	free(r);
}
