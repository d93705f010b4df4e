/*
 * Logging: one line per message, key=value words or one JSON object
 * (LogFormat), to syslog or standard error.  Values come from mail and
 * are escaped: no control character, quote or backslash reaches the log
 * unescaped.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "vouchd.h"

void (*vouchd_recorder)(const struct vouchd_eval *ev);

static bool use_syslog;
static bool use_json;
/* The process's id for the lines on standard error, asked once per
 * process (getpid is a system call per line otherwise); a fork's child
 * asks again. */
static pid_t my_pid;

static void
forget_pid(void)
{
	__atomic_store_n(&my_pid, 0, __ATOMIC_RELAXED);
}

static void
register_forget_pid(void)
{
	(void)pthread_atfork(NULL, NULL, forget_pid);
}

void
log_open(const struct vouchd_conf *c)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	(void)pthread_once(&once, register_forget_pid);
	use_syslog = c->syslog;
	use_json = c->log_format == VOUCHD_LOG_JSON;
	if (use_syslog)
		openlog("vouchd", LOG_PID | LOG_NDELAY, c->syslog_facility);
}

static void
emit(int prio, const char *line)
{
	char buf[8192];
	pid_t pid;
	int n;

	if (use_syslog) {
		syslog(prio, "%s", line);
		return;
	}
	/* one write per line: lines of several threads do not mix */
	if ((pid = __atomic_load_n(&my_pid, __ATOMIC_RELAXED)) == 0) {
		pid = getpid();
		__atomic_store_n(&my_pid, pid, __ATOMIC_RELAXED);
	}
	n = snprintf(buf, sizeof(buf), "vouchd[%d]: %s\n", (int)pid, line);
	if (n > 0)
		(void)!write(2, buf,
		    (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void
log_msg(int prio, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	emit(prio, line);
}

struct line {
	char buf[6144];
	size_t n;
};

static void
put(struct line *l, const char *s, size_t n)
{
	size_t room = sizeof(l->buf) - 1 - l->n;

	if (n > room)
		n = room;
	memcpy(l->buf + l->n, s, n);
	l->n += n;
	l->buf[l->n] = '\0';
}

static void
put_escaped(struct line *l, const char *v)
{
	char e[8];
	const unsigned char *p;

	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			e[0] = '\\';
			e[1] = (char)*p;
			put(l, e, 2);
		} else if (*p < 0x20 || *p == 0x7f ||
		           (*p >= 0x80 && !use_json)) {
			snprintf(
			    e, sizeof(e), use_json ? "\\u%04x" : "\\x%02x", *p);
			put(l, e, strlen(e));
		} else if (*p >= 0x80) {
			/* JSON strings must be UTF-8: bytes as U+0080.. */
			snprintf(e, sizeof(e), "\\u%04x", *p);
			put(l, e, strlen(e));
		} else
			put(l, (const char *)p, 1);
	}
}

static void
kv(struct line *l, const char *k, const char *v)
{
	bool quote = use_json || strpbrk(v, " \"=;\\") != NULL || *v == '\0';

	if (l->n > (use_json ? 1u : 0u))
		put(l, use_json ? ", " : " ", use_json ? 2 : 1);
	if (use_json) {
		put(l, "\"", 1);
		put(l, k, strlen(k));
		put(l, "\": ", 3);
	} else {
		put(l, k, strlen(k));
		put(l, "=", 1);
	}
	if (quote)
		put(l, "\"", 1);
	put_escaped(l, v);
	if (quote)
		put(l, "\"", 1);
}

static const char *const role_names[] = {"none", "verify", "sign"};
static const char *const verdict_names[] = {
    "accept", "quarantine", "reject", "tempfail"};

static void
dkim_words(
    const struct vouch_verify_result *res, char *buf, size_t cap, bool why)
{
	size_t i, n = 0;

	buf[0] = '\0';
	if (res->dkim == NULL || res->dkim->nsig == 0) {
		snprintf(buf, cap, "none");
		return;
	}
	for (i = 0; i < res->dkim->nsig && n < cap; i++) {
		const struct vouch_dkim_signature *s = &res->dkim->sig[i];
		n += (size_t)snprintf(buf + n, cap - n, "%s%s:%s%s%s%s",
		    i ? "," : "", vouch_dkim_verdict_str(s->result), s->d,
		    why && s->reason[0] ? "(" : "", why ? s->reason : "",
		    why && s->reason[0] ? ")" : "");
	}
}

void
log_eval(const struct vouchd_conf *c, const struct vouchd_eval *ev)
{
	struct line l;
	char id[80], tmp[1024];
	const struct vouch_verify_result *res = ev->res;

	l.n = 0;
	l.buf[0] = '\0';
	if (use_json)
		put(&l, "{", 1);
	if (ev->queue_id[0] != '\0')
		snprintf(id, sizeof(id), "%s", ev->queue_id);
	else
		snprintf(id, sizeof(id), "conn%lu", ev->serial);
	kv(&l, "id", id);
	kv(&l, "client", ev->client_ip[0] ? ev->client_ip : "local");
	kv(&l, "role", role_names[ev->role]);
	if (ev->login[0] != '\0')
		kv(&l, "login", ev->login);
	if (res != NULL) {
		snprintf(tmp, sizeof(tmp), "%s",
		    res->spf_checked ? vouch_spf_verdict_str(res->spf.verdict)
		                     : "none");
		kv(&l, "spf", tmp);
		if (res->spf_checked)
			kv(&l, "spf_domain", res->spf.domain);
		dkim_words(res, tmp, sizeof(tmp), c->log_why);
		kv(&l, "dkim", tmp);
		kv(&l, "arc",
		    res->arc != NULL ? vouch_arc_cv_str(res->arc->cv) : "none");
		kv(&l, "dmarc", vouch_dmarc_verdict_str(res->dmarc.result));
		kv(&l, "from_domain",
		    res->dmarc.ndomains
		        ? res->dmarc.domain[res->dmarc.decisive].author_domain
		        : "");
		kv(&l, "policy", vouch_dmarc_policy_str(res->dmarc.policy));
		kv(&l, "disposition",
		    vouch_dmarc_policy_str(res->dmarc.disposition));
		if (ev->override != VOUCH_DMARC_OVERRIDE_NONE)
			kv(&l, "override",
			    vouch_dmarc_override_str(ev->override));
		/* fail closed: the author could not be read safely */
		if (res->dmarc.unsafe != VOUCH_DMARC_SAFE) {
			kv(&l, "unsafe",
			    vouch_dmarc_unsafe_str(res->dmarc.unsafe));
			kv(&l, "unsafe_reason", res->dmarc.unsafe_reason);
		}
	}
	if (ev->upstream != NULL && ev->upstream[0] != '\0')
		kv(&l, "upstream", ev->upstream);
	if (ev->signed_by != NULL && ev->signed_by[0] != '\0')
		kv(&l, "signed", ev->signed_by);
	kv(&l, "action", verdict_names[ev->verdict]);
	if (ev->header_action)
		kv(&l, "header", VOUCHD_DISPOSITION_FIELD);
	if (ev->dryrun)
		kv(&l, "dryrun", "yes");
	if (ev->why != NULL && ev->why[0] != '\0')
		kv(&l, "why", ev->why);
	snprintf(
	    tmp, sizeof(tmp), "%lu.%03lu", ev->usec / 1000, ev->usec % 1000);
	kv(&l, "ms", tmp);
	if (use_json)
		put(&l, "}", 1);
	emit(ev->verdict == VERDICT_ACCEPT ? LOG_INFO : LOG_NOTICE, l.buf);
}
