/*
 * FailureReports (vouchd.conf(5)): DMARC failure reports (RFC 9991, in the
 * ARF of RFC 6591), off by default.
 *
 * The library decides and builds (report_failure.h: fo=, ruf= after the
 * external destination check, never a psd=y record's ruf, redaction, the
 * per-destination rate, no report about a report).  vouchd only moves the
 * reports: at the end of a message the milter thread writes each one into
 * a queue directory (FailureReportQueue: tmp/, then renamed into new/),
 * and one delivery thread of the milter process signs it (DKIM, with the
 * key the signing tables give the FailureReportFrom address: RFC 9991
 * §5.1 asks for aligned reports; the signature is made by the signer
 * process, as for mail) and hands it to sendmail or an SMTP relay
 * (vouch_report_transmit).  A message never waits for a delivery, and no
 * failure of a report changes what happens to the message.  A report
 * refused for good, or still not delivered after a day, moves to failed/
 * for the operator; a temporary failure is tried again every five minutes.
 * The queue is bounded: when it is full, new reports are dropped and
 * counted.  The rate limiter's state is kept in the directory across
 * restarts and carried across reloads.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "milter.h"

/* Reports waiting in new/ at most: a burst of failing mail to one ruf=
 * is already cut by the rate limit; this bounds the disk. */
#define QUEUE_MAX 1000
/* Seconds between tries of a report whose delivery failed temporarily,
 * and the age at which it is given up (a failure report is about one
 * message: late is useless). */
#define RETRY_SECONDS 300
#define MAX_AGE_SECONDS 86400
/* Seconds one sendmail run or SMTP transaction may take. */
#define DELIVERY_TIMEOUT 60
/* The first line of a queue file: "vouchd-failure 1 ADDRESS\n". */
#define QUEUE_MAGIC "vouchd-failure 1 "

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_wake = PTHREAD_COND_INITIALIZER;
static bool q_started, q_stop, q_work;
/* The first pass after a start tries every queued report, deferred or
 * not: whatever made them wait may have been what the restart fixed. */
static bool q_fresh = true;
static pthread_t q_thread;
static atomic_int q_count; /* files in new/ */
static atomic_ulong q_serial;

static const char *
queue_dir(const struct vouchd_conf *c)
{
	return c->failure_queue != NULL ? c->failure_queue
	                                : VOUCHD_FAILURE_QUEUE_DEFAULT;
}

/* The directory and its tmp/, new/, failed/ (made when missing, unless
 * only checking), writable by us (UserID). */
static int
queue_ready(
    const char *at, const char *dir, bool make, char *err, size_t errlen)
{
	static const char *const sub[] = {"tmp", "new", "failed"};
	char p[VOUCHD_TABLE_MAX_PATH + 16];
	size_t i;

	if (strlen(dir) > VOUCHD_TABLE_MAX_PATH) {
		snprintf(
		    err, errlen, "%sFailureReportQueue: path too long", at);
		return -1;
	}
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
		if (!make && access(p, F_OK) != 0)
			snprintf(p, sizeof(p), "%s", dir);
		if ((make && mkdir(p, 0700) != 0 && errno != EEXIST) ||
		    access(p, W_OK | X_OK) != 0) {
			snprintf(err, errlen,
			    "%sFailureReportQueue %s: %s: %s (it must exist "
			    "and be writable by UserID)",
			    at, dir, p, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The redaction key: a file of at most VOUCH_FAILURE_MAX_KEY bytes. */
static int
read_key(const char *at, const char *path, uint8_t *key, size_t *len, char *err,
    size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	*len = 0;
	if (fd < 0) {
		snprintf(err, errlen, "%sFailureReportRedactKey %s: %s", at,
		    path, strerror(errno));
		return -1;
	}
	k = read(fd, key, VOUCH_FAILURE_MAX_KEY + 1);
	close(fd);
	if (k <= 0 || k > VOUCH_FAILURE_MAX_KEY) {
		snprintf(err, errlen,
		    "%sFailureReportRedactKey %s: want 1 to %d bytes", at, path,
		    VOUCH_FAILURE_MAX_KEY);
		return -1;
	}
	*len = (size_t)k;
	return 0;
}

/* The rate limiter's state: from the old runtime (a reload), else from
 * the file left by the last run. */
static void
carry_rate(struct vouch_failure *f, struct vouch_failure *old, const char *dir)
{
	char path[VOUCHD_TABLE_MAX_PATH + 16];
	char *text = NULL;
	size_t len = 0;
	uint8_t *buf;
	ssize_t k;
	int fd;

	if (old != NULL) {
		if (vouch_failure_state_save(old, &text, &len) == VOUCH_OK)
			(void)!vouch_failure_state_load(
			    f, (const uint8_t *)text, len, NULL);
		free(text);
		return;
	}
	snprintf(path, sizeof(path), "%s/rate-state", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if ((buf = malloc(VOUCH_FAILURE_STATE_MAX_BYTES)) != NULL &&
	    (k = read(fd, buf, VOUCH_FAILURE_STATE_MAX_BYTES)) > 0)
		(void)!vouch_failure_state_load(f, buf, (size_t)k, NULL);
	free(buf);
	close(fd);
}

static int
attach(struct vouchd_runtime *rt, const struct vouchd_runtime *old, bool make,
    char *err, size_t errlen, int *line)
{
	const struct vouchd_conf *c = rt->conf;
	static const enum vouch_failure_redact redact[] = {
	    VOUCH_FAILURE_REDACT_HASH, VOUCH_FAILURE_REDACT_TOKEN,
	    VOUCH_FAILURE_REDACT_NONE};
	struct vouch_failure_options o;
	uint8_t key[VOUCH_FAILURE_MAX_KEY + 1];
	size_t keylen = 0;
	char why[VOUCHD_TEXT_MAX] = "", at[VOUCHD_TABLE_MAX_PATH + 32];
	const char *opt;
	enum vouch_status st;

	if (!c->failure_reports || rt->failure != NULL)
		return 0;
	/* FailureReportQueue's line, or FailureReports' for the default */
	opt = vouchd_conf_line(c, "FailureReportQueue") ? "FailureReportQueue"
	                                                : "FailureReports";
	vouchd_conf_where(c, opt, at, sizeof(at));
	*line = (int)vouchd_conf_line(c, opt);
	if (queue_ready(at, queue_dir(c), make, err, errlen) != 0)
		return -1;
	vouchd_conf_where(c, "FailureReportRedactKey", at, sizeof(at));
	*line = (int)vouchd_conf_line(c, "FailureReportRedactKey");
	if (c->failure_key_file != NULL &&
	    read_key(at, c->failure_key_file, key, &keylen, err, errlen) != 0)
		return -1;
	vouch_failure_options_init(&o);
	o.enabled = true;
	o.from = c->failure_from;
	o.user_agent = "vouchd/" VOUCH_VERSION;
	o.reporting_mta = rt->authserv_id;
	o.kinds = c->failure_kinds;
	o.redact = redact[c->failure_redact];
	o.redact_token = c->failure_token;
	o.redact_key = keylen > 0 ? key : NULL;
	o.redact_key_len = keylen;
	o.rate = c->failure_rate;
	o.rate_period = c->failure_period;
	st = vouch_failure_new(&o, &rt->failure, why, sizeof(why));
	explicit_bzero(key, sizeof(key));
	if (st != VOUCH_OK) {
		vouchd_conf_where(c, "FailureReports", at, sizeof(at));
		*line = (int)vouchd_conf_line(c, "FailureReports");
		snprintf(err, errlen, "%sFailureReports: %s", at,
		    why[0] ? why : vouch_status_str(st));
		return -1;
	}
	carry_rate(
	    rt->failure, old != NULL ? old->failure : NULL, queue_dir(c));
	return 0;
}

int
failure_attach(struct vouchd_runtime *rt, const struct vouchd_runtime *old,
    char *err, size_t errlen)
{
	int line;

	return attach(rt, old, true, err, errlen, &line);
}

int
failure_check(const struct vouchd_conf *c, char *err, size_t errlen, int *line)
{
	struct vouchd_runtime rt;
	int rc;

	memset(&rt, 0, sizeof(rt));
	rt.conf = (struct vouchd_conf *)c;
	snprintf(rt.authserv_id, sizeof(rt.authserv_id), "%s",
	    c->authserv_id != NULL ? c->authserv_id : "localhost");
	rc = attach(&rt, NULL, false, err, errlen, line);
	vouch_failure_free(rt.failure);
	return rc;
}

/* ---- Into the queue (a milter thread) ---------------------------------- */

static enum vouch_failure_delivery
delivery_result(const struct vouchd_conf *c, const struct vouchd_eval *ev)
{
	if (ev->dryrun)
		return VOUCH_FAILURE_DELIVERY_DELIVERED;
	switch (ev->verdict) {
	case VERDICT_REJECT:
		return VOUCH_FAILURE_DELIVERY_REJECT;
	case VERDICT_QUARANTINE:
		/* RFC 6591 §3.2.2: held is "policy", a spam folder "spam" */
		return c->quarantine == VOUCHD_QUARANTINE_HOLD
		           ? VOUCH_FAILURE_DELIVERY_POLICY
		           : VOUCH_FAILURE_DELIVERY_SPAM;
	default:
		return VOUCH_FAILURE_DELIVERY_DELIVERED;
	}
}

/* One report into tmp/, then new/: a reader never sees half a file. */
static int
enqueue(const char *dir, const struct vouch_failure_report *r)
{
	char tmp[VOUCHD_TABLE_MAX_PATH + 96], dst[VOUCHD_TABLE_MAX_PATH + 96];
	char name[80];
	FILE *fp;
	int ok, fd;

	if (atomic_fetch_add(&q_count, 1) >= QUEUE_MAX) {
		atomic_fetch_sub(&q_count, 1);
		return -1;
	}
	snprintf(name, sizeof(name), "%lld.%d.%lu", (long long)time(NULL),
	    (int)getpid(), atomic_fetch_add(&q_serial, 1));
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dir, name);
	snprintf(dst, sizeof(dst), "%s/new/%s", dir, name);
	/* private to UserID whatever UMask says: redacted, but mail */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		atomic_fetch_sub(&q_count, 1);
		return -1;
	}
	ok = fprintf(fp, QUEUE_MAGIC "%s\n", r->to) > 0 &&
	     fwrite(r->data, 1, r->len, fp) == r->len;
	ok = fclose(fp) == 0 && ok;
	if (!ok || rename(tmp, dst) != 0) {
		unlink(tmp);
		atomic_fetch_sub(&q_count, 1);
		return -1;
	}
	return 0;
}

/* A recipient we pass to sendmail: a plain address, nothing else. */
static bool
plain_address(const char *a)
{
	const char *p;

	if (*a == '\0' || *a == '-' || strchr(a, '@') == NULL)
		return false;
	for (p = a; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '<' || *p == '>')
			return false;
	return true;
}

void
failure_eval(const struct vouchd_conn *c, const struct vouchd_msg *m,
    const struct vouch_verify_result *res, const struct vouchd_eval *ev)
{
	struct vouchd_runtime *rt = c->rt;
	struct vouch_failure_result out;
	struct vouch_failure_message fm;
	struct vouch_verify_smtp smtp;
	size_t i, nq = 0;
	unsigned due = 0;

	if (rt->failure == NULL || res == NULL ||
	    ev->verdict == VERDICT_TEMPFAIL)
		return;
	for (i = 0; i < res->dmarc.ndomains; i++)
		due |= vouch_failure_due(res, i);
	if (due == 0)
		return; /* the common case: nothing asked for, nothing built */
	memset(&smtp, 0, sizeof(smtp));
	smtp.ip = c->ip;
	smtp.ip_len = strlen(c->ip);
	smtp.helo = c->helo;
	smtp.helo_len = strlen(c->helo);
	smtp.mail_from = m->mail_from;
	smtp.mail_from_len = strlen(m->mail_from);
	memset(&fm, 0, sizeof(fm));
	fm.header = m->hdr.p;
	fm.header_len = m->hdr.len;
	fm.delivery = delivery_result(rt->conf, ev);
	memset(&out, 0, sizeof(out));
	if (vouch_failure_build(rt->failure, res, &smtp, &fm, rt->dns, &out) !=
	    VOUCH_OK) {
		metrics_count("failure_reports_errors");
		vouch_failure_result_free(&out);
		return;
	}
	for (i = 0; i < out.nrate_limited; i++)
		metrics_count("failure_reports_rate_limited");
	for (i = 0; i < out.nreports; i++) {
		if (!plain_address(out.report[i].to) ||
		    enqueue(queue_dir(rt->conf), &out.report[i]) != 0) {
			metrics_count("failure_reports_dropped");
			continue;
		}
		metrics_count("failure_reports_queued");
		nq++;
	}
	vouch_failure_result_free(&out);
	if (nq > 0) {
		pthread_mutex_lock(&q_lock);
		q_work = true;
		pthread_cond_signal(&q_wake);
		pthread_mutex_unlock(&q_lock);
	}
}

/* ---- Out of the queue (the delivery thread) ---------------------------- */

/* Prepends a DKIM-Signature by the key the tables give `from`; the
 * report goes unsigned when there is none (logged once per report). */
static char *
sign_report(struct vouchd_runtime *rt, const char *from, const char *msg,
    size_t len, size_t *outlen)
{
	struct vouch_dkim_sign_req reqs[VOUCH_DKIM_SIGN_MAX_REQUESTS];
	struct key_choice kc[VOUCH_DKIM_SIGN_MAX_REQUESTS];
	struct vouch_dkim_sign *ds = NULL;
	char why[512] = "", *fields = NULL, *out = NULL;
	size_t flen = 0, i;
	int n;

	memset(reqs, 0, sizeof(reqs));
	n = choose_keys(
	    rt, from, reqs, kc, VOUCH_DKIM_SIGN_MAX_REQUESTS, why, sizeof(why));
	if (n <= 0) {
		log_msg(LOG_WARNING,
		    "failure report not signed: no key for %s (%s)", from,
		    why[0] ? why : "no signing key");
		return NULL;
	}
	for (i = 0; i < (size_t)n; i++)
		reqs[i].header_relaxed = reqs[i].body_relaxed = true;
	if (vouch_dkim_sign_new(reqs, (size_t)n, 0, &ds) == VOUCH_OK &&
	    vouch_dkim_sign_update(ds, (const uint8_t *)msg, len) == VOUCH_OK &&
	    vouch_dkim_sign_finish(ds, true, &fields, &flen) == VOUCH_OK &&
	    (out = malloc(flen + len)) != NULL) {
		memcpy(out, fields, flen);
		memcpy(out + flen, msg, len);
		*outlen = flen + len;
	} else
		log_msg(LOG_WARNING, "failure report not signed: %s",
		    ds != NULL ? vouch_dkim_sign_error(ds) : "out of memory");
	vouch_dkim_sign_free(ds);
	free(fields);
	return out;
}

/* Reads a queue file: the address and the message (malloc'd). */
static char *
read_report(const char *path, char *to, size_t tocap, size_t *len)
{
	size_t cap = VOUCH_FAILURE_MAX_REPORT + VOUCH_FAILURE_MAX_ADDR + 64;
	char *buf, *nl;
	size_t got = 0, hl;
	struct stat st;
	ssize_t k;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	/* the file as written, never more than a report can be */
	if (fstat(fd, &st) != 0 || st.st_size <= 0 ||
	    (size_t)st.st_size > cap ||
	    (buf = malloc((size_t)st.st_size)) == NULL) {
		close(fd);
		return NULL;
	}
	cap = (size_t)st.st_size;
	while (got < cap && (k = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)k;
	close(fd);
	hl = strlen(QUEUE_MAGIC);
	nl = got > hl ? memchr(buf, '\n', got) : NULL;
	if (nl == NULL || memcmp(buf, QUEUE_MAGIC, hl) != 0 ||
	    (size_t)(nl - buf) - hl >= tocap) {
		free(buf);
		return NULL;
	}
	memcpy(to, buf + hl, (size_t)(nl - buf) - hl);
	to[(size_t)(nl - buf) - hl] = '\0';
	*len = got - (size_t)(nl + 1 - buf);
	memmove(buf, nl + 1, *len);
	return buf;
}

static void
give_up(const char *dir, const char *name, const char *why)
{
	char from[VOUCHD_TABLE_MAX_PATH + 96], to[VOUCHD_TABLE_MAX_PATH + 96];

	snprintf(from, sizeof(from), "%s/new/%s", dir, name);
	snprintf(to, sizeof(to), "%s/failed/%s", dir, name);
	if (rename(from, to) != 0)
		unlink(from);
	atomic_fetch_sub(&q_count, 1);
	metrics_count("failure_reports_failed");
	log_msg(LOG_WARNING, "failure report %s given up: %s", name, why);
}

/* One queue file: 0 done (sent or given up), else the time of its next
 * try. */
static time_t
deliver_one(
    struct vouchd_runtime *rt, const char *name, time_t now, bool all_due)
{
	const struct vouchd_conf *c = rt->conf;
	const char *dir = queue_dir(c);
	char path[VOUCHD_TABLE_MAX_PATH + 96], to[VOUCH_FAILURE_MAX_ADDR + 1];
	char text[600] = "", why[512] = "";
	struct vouch_report_send_options o;
	enum vouch_report_outcome oc = VOUCH_REPORT_TEMPFAIL;
	struct timespec ts[2];
	const char *rcpt[1];
	char *msg, *sig;
	size_t len = 0, slen = 0;
	int code = 0;
	struct stat st;
	long long born = strtoll(name, NULL, 10);

	snprintf(path, sizeof(path), "%s/new/%s", dir, name);
	if (stat(path, &st) != 0)
		return 0;
	if (st.st_mtime > now && !all_due)
		return st.st_mtime; /* deferred: not yet */
	if ((msg = read_report(path, to, sizeof(to), &len)) == NULL ||
	    !plain_address(to)) {
		free(msg);
		give_up(dir, name, "not a queue file vouchd can read");
		return 0;
	}
	sig = sign_report(rt, c->failure_from, msg, len, &slen);
	memset(&o, 0, sizeof(o));
	o.transport =
	    c->failure_smtp != NULL ? VOUCH_REPORT_SMTP : VOUCH_REPORT_SENDMAIL;
	o.sendmail = c->failure_sendmail;
	o.smtp_url = c->failure_smtp;
	o.timeout = DELIVERY_TIMEOUT;
	rcpt[0] = to;
	if (vouch_report_transmit(&o, c->failure_from, rcpt, 1,
	        (const uint8_t *)(sig ? sig : msg), sig ? slen : len, &oc,
	        &code, why, sizeof(why)) != VOUCH_OK)
		snprintf(text, sizeof(text), "no transport");
	else if (o.transport == VOUCH_REPORT_SMTP && code != 0)
		snprintf(
		    text, sizeof(text), "%d %s", code, why); /* the reply */
	else
		snprintf(text, sizeof(text), "%s", why);
	free(sig);
	free(msg);
	if (oc == VOUCH_REPORT_SENT) {
		unlink(path);
		atomic_fetch_sub(&q_count, 1);
		metrics_count("failure_reports_sent");
		log_msg(
		    LOG_INFO, "failure report %s to %s: %s", name, to, text);
		return 0;
	}
	if (oc == VOUCH_REPORT_PERMFAIL || now - born > MAX_AGE_SECONDS) {
		give_up(dir, name, text);
		return 0;
	}
	/* the next try: the file's mtime says when */
	metrics_count("failure_reports_deferred");
	log_msg(
	    LOG_NOTICE, "failure report %s to %s deferred: %s", name, to, text);
	ts[0].tv_sec = ts[1].tv_sec = now + RETRY_SECONDS;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	(void)!utimensat(AT_FDCWD, path, ts, 0);
	return now + RETRY_SECONDS;
}

/* One pass over new/; returns the earliest next try (0: none waits). */
static time_t
deliver_all(void)
{
	char path[VOUCHD_TABLE_MAX_PATH + 16];
	struct vouchd_runtime *rt = runtime_get();
	struct dirent *de;
	time_t next = 0, t, now = time(NULL);
	bool fresh = q_fresh;
	DIR *d;

	q_fresh = false;
	if (rt->failure == NULL ||
	    (snprintf(path, sizeof(path), "%s/new", queue_dir(rt->conf)),
	        (d = opendir(path)) == NULL)) {
		runtime_put(rt);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		pthread_mutex_lock(&q_lock);
		t = q_stop ? -1 : 0;
		pthread_mutex_unlock(&q_lock);
		if (t < 0)
			break;
		t = deliver_one(rt, de->d_name, now, fresh);
		if (t != 0 && (next == 0 || t < next))
			next = t;
	}
	closedir(d);
	runtime_put(rt);
	return next;
}

static void *
delivery_thread(void *arg)
{
	struct timespec ts;
	time_t next;

	(void)arg;
	for (;;) {
		next = deliver_all();
		pthread_mutex_lock(&q_lock);
		/* asleep until a report is queued or a deferred one is due:
		 * no wake-ups while the queue is empty */
		while (!q_work && !q_stop) {
			if (next == 0) {
				pthread_cond_wait(&q_wake, &q_lock);
				continue;
			}
			ts.tv_sec = next;
			ts.tv_nsec = 0;
			if (pthread_cond_timedwait(&q_wake, &q_lock, &ts) ==
			    ETIMEDOUT)
				break;
		}
		q_work = false;
		if (q_stop) {
			pthread_mutex_unlock(&q_lock);
			return NULL;
		}
		pthread_mutex_unlock(&q_lock);
	}
}

/* Counts the files already waiting (a restart). */
static int
count_queued(const char *dir)
{
	char path[VOUCHD_TABLE_MAX_PATH + 16];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/new", dir);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int
failure_start(const struct vouchd_runtime *rt, char *err, size_t errlen)
{
	if (rt->failure == NULL)
		return 0;
	/* a reload may name another directory: its files count too */
	atomic_store(&q_count, count_queued(queue_dir(rt->conf)));
	if (q_started) {
		pthread_mutex_lock(&q_lock);
		q_work = true;
		pthread_cond_signal(&q_wake);
		pthread_mutex_unlock(&q_lock);
		return 0;
	}
	if (pthread_create(&q_thread, NULL, delivery_thread, NULL) != 0) {
		snprintf(err, errlen, "FailureReports: cannot start a thread");
		return -1;
	}
	q_started = true;
	return 0;
}

void
failure_stop(void)
{
	struct vouchd_runtime *rt;
	char path[VOUCHD_TABLE_MAX_PATH + 16], tmp[VOUCHD_TABLE_MAX_PATH + 24];
	char *text = NULL;
	size_t len = 0;
	FILE *fp;
	bool ok;

	if (!q_started)
		return;
	pthread_mutex_lock(&q_lock);
	q_stop = true;
	pthread_cond_signal(&q_wake);
	pthread_mutex_unlock(&q_lock);
	/* a delivery under way ends within DELIVERY_TIMEOUT */
	pthread_join(q_thread, NULL);
	q_started = false;
	rt = runtime_get();
	if (rt->failure != NULL &&
	    vouch_failure_state_save(rt->failure, &text, &len) == VOUCH_OK) {
		snprintf(
		    path, sizeof(path), "%s/rate-state", queue_dir(rt->conf));
		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		if ((fp = fopen(tmp, "w")) != NULL) {
			ok = fwrite(text, 1, len, fp) == len;
			ok = fclose(fp) == 0 && ok;
			if (!ok || rename(tmp, path) != 0)
				unlink(tmp);
		}
	}
	free(text);
	runtime_put(rt);
}
