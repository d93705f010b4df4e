/*
 * Sending aggregate reports (RFC 9990 §3.5): the due deliveries are read
 * from the store, each one claimed, checked (suppression lists, the
 * external destination check of §4 made again), turned into a MIME message
 * (§3.5.2), DKIM-signed, handed to sendmail or an SMTP relay, and its
 * outcome committed before the next one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#ifdef VOUCH_HAVE_CURL
#include <curl/curl.h>
#endif

#include "internal.h"
#include "store/internal.h"
#include "util/base64.h"

#define DEFAULT_SENDMAIL "/usr/sbin/sendmail"

/* A delivery read from the store. */
struct due {
	int64_t report;
	char *destination;
	char *status;
	unsigned attempts;
	char *policy_domain, *report_id, *filename, *email, *submitter;
	char *org_name;
	int64_t begin, end, records, messages;
};

struct sender {
	struct vouch_store *s;
	const struct vouch_report_send_options *o;
	struct vouch_report_send_summary *sum;
	struct vouch_dmarc *dmarc;
	int64_t now;
	char **sup_dest; /* suppressed destinations (addresses, domains) */
	size_t nsup_dest;
	char **sup_dom; /* suppressed policy domains */
	size_t nsup_dom;
	char *err;
	size_t errlen;
};

static char *
dup_col(struct store_stmt *q, unsigned i)
{
	size_t len;
	const char *t = store_col_text(q, i, &len);
	char *c = malloc(len + 1);

	if (c != NULL) {
		memcpy(c, t, len);
		c[len] = '\0';
	}
	return c;
}

static void
free_due(struct due *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(d[i].destination);
		free(d[i].status);
		free(d[i].policy_domain);
		free(d[i].report_id);
		free(d[i].filename);
		free(d[i].email);
		free(d[i].submitter);
		free(d[i].org_name);
	}
	free(d);
}

/* ---- Reading the store ----------------------------------------------- */

static enum vouch_status
load_list(struct vouch_store *s, const char *kind, char ***out, size_t *n)
{
	struct store_stmt *q;
	enum vouch_status st;
	size_t cap = 0;
	char **nl;
	bool row;

	*out = NULL;
	*n = 0;
	st = store_prepare(
	    s, "SELECT value FROM suppression WHERE kind = $1", &q);
	if (st != VOUCH_OK)
		return st;
	if ((st = store_bind_str(q, 1, kind)) != VOUCH_OK)
		goto out;
	while ((st = store_step(q, &row)) == VOUCH_OK && row) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			if ((nl = realloc(*out, cap * sizeof(*nl))) == NULL) {
				st = VOUCH_ENOMEM;
				break;
			}
			*out = nl;
		}
		if (((*out)[*n] = dup_col(q, 0)) == NULL) {
			st = VOUCH_ENOMEM;
			break;
		}
		(*n)++;
	}
out:
	store_finalize(q);
	return st;
}

/*
 * Deliveries due now: new ones, temporary failures whose wait is over,
 * and claims left by a sender that died (older than twice the timeout).
 */
static enum vouch_status
load_due(struct sender *sd, struct due **out, size_t *n)
{
	struct store_stmt *q;
	enum vouch_status st;
	struct due *d = NULL, *nd;
	size_t cap = 0;
	bool row;
	int64_t stale =
	    sd->now - 2 * (int64_t)(sd->o->timeout ? sd->o->timeout : 300);

	*out = NULL;
	*n = 0;
	st = store_prepare(sd->s,
	    "SELECT d.report, d.destination, d.status, d.attempts, "
	    "r.policy_domain, r.report_id, r.filename, r.email, r.submitter, "
	    "r.org_name, r.begin_time, r.end_time, r.records, r.messages FROM "
	    "outgoing_delivery d JOIN outgoing_report r ON r.id = d.report "
	    "WHERE (d.status IN ('pending', 'retry') AND (d.next_attempt IS "
	    "NULL OR d.next_attempt <= $1)) OR (d.status = 'sending' AND "
	    "d.last_attempt < $2) ORDER BY r.begin_time, r.policy_domain, "
	    "d.destination",
	    &q);
	if (st != VOUCH_OK)
		return st;
	if ((st = store_bind_int64(q, 1, sd->now)) != VOUCH_OK ||
	    (st = store_bind_int64(q, 2, stale)) != VOUCH_OK)
		goto out;
	while ((st = store_step(q, &row)) == VOUCH_OK && row) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((nd = realloc(d, cap * sizeof(*d))) == NULL) {
				st = VOUCH_ENOMEM;
				break;
			}
			d = nd;
		}
		memset(&d[*n], 0, sizeof(d[0]));
		d[*n].report = store_col_int64(q, 0);
		d[*n].destination = dup_col(q, 1);
		d[*n].status = dup_col(q, 2);
		d[*n].attempts = (unsigned)store_col_int64(q, 3);
		d[*n].policy_domain = dup_col(q, 4);
		d[*n].report_id = dup_col(q, 5);
		d[*n].filename = dup_col(q, 6);
		d[*n].email = dup_col(q, 7);
		d[*n].submitter = dup_col(q, 8);
		d[*n].org_name = dup_col(q, 9);
		d[*n].begin = store_col_int64(q, 10);
		d[*n].end = store_col_int64(q, 11);
		d[*n].records = store_col_int64(q, 12);
		d[*n].messages = store_col_int64(q, 13);
		(*n)++;
		if (!d[*n - 1].destination || !d[*n - 1].status ||
		    !d[*n - 1].policy_domain || !d[*n - 1].report_id ||
		    !d[*n - 1].filename || !d[*n - 1].email ||
		    !d[*n - 1].submitter || !d[*n - 1].org_name) {
			st = VOUCH_ENOMEM;
			break;
		}
	}
out:
	store_finalize(q);
	if (st != VOUCH_OK) {
		free_due(d, *n);
		*n = 0;
		return st;
	}
	*out = d;
	return VOUCH_OK;
}

/*
 * Temporary failures whose wait is not over, counted when the run is done
 * (those it deferred itself and those of earlier runs), with the earliest
 * time one of them is due: what a later run has left to do, and when.
 */
static enum vouch_status
count_waiting(struct sender *sd)
{
	struct store_stmt *q;
	enum vouch_status st;
	bool row;

	st = store_prepare(sd->s,
	    "SELECT count(*), min(next_attempt) FROM outgoing_delivery WHERE "
	    "status = 'retry' AND next_attempt > $1",
	    &q);
	if (st != VOUCH_OK)
		return st;
	if ((st = store_bind_int64(q, 1, sd->now)) == VOUCH_OK &&
	    (st = store_step(q, &row)) == VOUCH_OK && row) {
		sd->sum->waiting = (unsigned)store_col_int64(q, 0);
		sd->sum->next_retry =
		    store_col_null(q, 1) ? 0 : store_col_int64(q, 1);
	}
	store_finalize(q);
	return st;
}

/*
 * Claims a delivery (status -> sending) unless another sender did; the
 * statement commits on its own, so a second sender sees the claim.
 * *mine is true when the claim is ours.
 */
static enum vouch_status
claim(struct sender *sd, const struct due *d, bool *mine)
{
	struct store_stmt *q;
	enum vouch_status st;

	*mine = false;
	st = store_prepare(sd->s,
	    "UPDATE outgoing_delivery SET status = 'sending', last_attempt = "
	    "$1 WHERE report = $2 AND destination = $3 AND status = $4",
	    &q);
	if (st != VOUCH_OK)
		return st;
	if ((st = store_bind_int64(q, 1, sd->now)) == VOUCH_OK &&
	    (st = store_bind_int64(q, 2, d->report)) == VOUCH_OK &&
	    (st = store_bind_str(q, 3, d->destination)) == VOUCH_OK &&
	    (st = store_bind_str(q, 4, d->status)) == VOUCH_OK) {
		bool row;

		st = store_step(q, &row);
		*mine = st == VOUCH_OK && store_changes(q) == 1;
	}
	store_finalize(q);
	return st;
}

/* Records the outcome of a delivery. */
static enum vouch_status
settle(struct sender *sd, const struct due *d, const char *status,
    unsigned attempts, int64_t next, int code, const char *text)
{
	struct store_stmt *q;
	enum vouch_status st;

	st = store_prepare(sd->s,
	    "UPDATE outgoing_delivery SET status = $1, attempts = $2, "
	    "next_attempt = $3, last_code = $4, last_text = $5, last_attempt "
	    "= $6 WHERE report = $7 AND destination = $8",
	    &q);
	if (st != VOUCH_OK)
		return st;
	if ((st = store_bind_str(q, 1, status)) == VOUCH_OK &&
	    (st = store_bind_int64(q, 2, attempts)) == VOUCH_OK &&
	    (st = store_bind_int64(q, 3, next)) == VOUCH_OK &&
	    (st = store_bind_int64(q, 4, code)) == VOUCH_OK &&
	    (st = store_bind_str(q, 5, text)) == VOUCH_OK &&
	    (st = store_bind_int64(q, 6, sd->now)) == VOUCH_OK &&
	    (st = store_bind_int64(q, 7, d->report)) == VOUCH_OK &&
	    (st = store_bind_str(q, 8, d->destination)) == VOUCH_OK)
		st = store_run(q);
	store_finalize(q);
	return st;
}

static enum vouch_status
load_content(struct sender *sd, int64_t report, uint8_t **buf, size_t *len)
{
	struct store_stmt *q;
	enum vouch_status st;
	const void *b;
	bool row = false;

	*buf = NULL;
	*len = 0;
	st = store_prepare(
	    sd->s, "SELECT content FROM outgoing_report WHERE id = $1", &q);
	if (st != VOUCH_OK)
		return st;
	if ((st = store_bind_int64(q, 1, report)) == VOUCH_OK &&
	    (st = store_step(q, &row)) == VOUCH_OK && row) {
		b = store_col_blob(q, 0, len);
		if ((*buf = malloc(*len ? *len : 1)) == NULL)
			st = VOUCH_ENOMEM;
		else if (*len > 0)
			memcpy(*buf, b, *len);
	} else if (st == VOUCH_OK)
		st = VOUCH_ENOTFOUND;
	store_finalize(q);
	return st;
}

/* ---- Suppression ------------------------------------------------------ */

static bool
in_list(char **l, size_t n, const char *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(l[i], v) == 0)
			return true;
	return false;
}

/* The address, or its domain or a domain above it, is suppressed. */
static bool
dest_suppressed(struct sender *sd, const char *addr)
{
	const char *d = strrchr(addr, '@');

	if (in_list(sd->sup_dest, sd->nsup_dest, addr))
		return true;
	for (d = d ? d + 1 : NULL; d != NULL;
	     d = strchr(d, '.'), d = d ? d + 1 : d)
		if (in_list(sd->sup_dest, sd->nsup_dest, d))
			return true;
	return false;
}

static bool
domain_suppressed(struct sender *sd, const char *dom)
{
	const char *d;

	for (d = dom; d != NULL; d = strchr(d, '.'), d = d ? d + 1 : d)
		if (in_list(sd->sup_dom, sd->nsup_dom, d))
			return true;
	return false;
}

/* ---- The message (RFC 9990 §3.5.2) ------------------------------------ */

static void
rfc5322_date(int64_t t, char *out, size_t cap)
{
	static const char *const day[] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    day[tm.tm_wday % 7], tm.tm_mday, mon[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
iso_time(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(out, cap, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Printable ASCII only, for header and text part (names are ours or
 * checked; the org name is the operator's). */
static void
add_safe(struct vbuf *b, const char *s)
{
	for (; *s; s++)
		vbuf_addc(
		    b, (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f
		           ? *s
		           : '?');
}

/*
 * The Subject of RFC 9990 §3.5.2:
 *   "Report" 1*FWS "Domain:" 1*FWS domain 1*FWS "Submitter:" 1*FWS
 *   domain 1*FWS "Report-ID:" 1*FWS ridtxt
 * folded (FWS = CRLF SP) before Submitter: and Report-ID: when the line
 * would pass 78 characters (RFC 5322 §2.1.1).
 */
static void
subject(struct vbuf *b, const struct due *d)
{
	size_t start = b->len, a, c;

	vbuf_adds(b, "Subject: Report Domain: ");
	add_safe(b, d->policy_domain);
	a = b->len - start;
	c = strlen(" Submitter: ") + strlen(d->submitter);
	if (a + c > 78) {
		vbuf_adds(b, "\r\n");
		start = b->len;
	}
	vbuf_adds(b, " Submitter: ");
	add_safe(b, d->submitter);
	a = b->len - start;
	c = strlen(" Report-ID: <>") + strlen(d->report_id);
	if (a + c > 78)
		vbuf_adds(b, "\r\n");
	vbuf_adds(b, " Report-ID: <");
	add_safe(b, d->report_id);
	vbuf_adds(b, ">\r\n");
}

static enum vouch_status
build_message(struct sender *sd, const struct due *d, const char *from,
    const char *to, const uint8_t *file, size_t flen, struct vbuf *m)
{
	char date[80], b1[80], b2[80], line[80];
	char *b64;
	size_t n, i;

	rfc5322_date(sd->now, date, sizeof(date));
	vbuf_adds(m, "From: <");
	add_safe(m, from);
	vbuf_adds(m, ">\r\nTo: <");
	add_safe(m, to);
	vbuf_adds(m, ">\r\n");
	subject(m, d);
	vbuf_addf(m, "Date: %s\r\n", date);
	/* the Report-ID as Message-ID: a re-sent report is recognized
	 * (RFC 9990 §3.5.2) */
	vbuf_adds(m, "Message-ID: <");
	add_safe(m, d->report_id);
	vbuf_adds(m, "@");
	add_safe(m, d->submitter);
	vbuf_adds(m, ">\r\nMIME-Version: 1.0\r\n");
	vbuf_addf(m,
	    "Content-Type: "
	    "multipart/mixed;\r\n\tboundary=\"=_vouch_%s\"\r\n\r\n",
	    d->report_id);
	vbuf_addf(m,
	    "--=_vouch_%s\r\nContent-Type: text/plain; charset=us-ascii\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n\r\n",
	    d->report_id);
	iso_time(d->begin, b1, sizeof(b1));
	iso_time(d->end, b2, sizeof(b2));
	vbuf_adds(m, "This is a DMARC aggregate report (RFC 9990) from ");
	add_safe(m, d->org_name);
	vbuf_adds(m, "\r\nfor the domain ");
	add_safe(m, d->policy_domain);
	vbuf_addf(m,
	    ", from %s to %s UTC:\r\n%" PRId64 " messages in %" PRId64
	    " records.\r\n\r\n",
	    b1, b2, d->messages, d->records);
	vbuf_addf(m, "--=_vouch_%s\r\nContent-Type: application/gzip; name=\"",
	    d->report_id);
	add_safe(m, d->filename);
	vbuf_adds(m, "\"\r\nContent-Transfer-Encoding: base64\r\n"
	             "Content-Disposition: attachment; filename=\"");
	add_safe(m, d->filename);
	vbuf_adds(m, "\"\r\n\r\n");
	if ((b64 = malloc(BASE64_ENCODED_LEN(flen) + 1)) == NULL)
		return VOUCH_ENOMEM;
	n = base64_encode(file, flen, b64, BASE64_ENCODED_LEN(flen) + 1);
	for (i = 0; i < n; i += 76) {
		size_t k = n - i < 76 ? n - i : 76;

		memcpy(line, b64 + i, k);
		vbuf_add(m, line, k);
		vbuf_adds(m, "\r\n");
	}
	free(b64);
	vbuf_addf(m, "--=_vouch_%s--\r\n", d->report_id);
	return m->err;
}

/* Prepends the DKIM-Signature (RFC 9990 §3.5.2: aligned DMARC pass). */
static enum vouch_status
sign(struct sender *sd, struct vbuf *m, char *err, size_t errlen)
{
	struct vouch_dkim_sign_req req;
	struct vouch_dkim_sign *ctx = NULL;
	enum vouch_status st;
	char *fields = NULL;
	size_t flen = 0;
	struct vbuf out;

	if (sd->o->key == NULL)
		return VOUCH_OK;
	memset(&req, 0, sizeof(req));
	req.key = sd->o->key;
	req.domain = sd->o->dkim_domain;
	req.selector = sd->o->selector;
	req.header_relaxed = true;
	req.body_relaxed = true;
	st = vouch_dkim_sign_new(&req, 1, sd->now, &ctx);
	if (st == VOUCH_OK)
		st = vouch_dkim_sign_update(ctx, m->p, m->len);
	if (st == VOUCH_OK)
		st = vouch_dkim_sign_finish(ctx, true, &fields, &flen);
	if (st != VOUCH_OK) {
		snprintf(err, errlen, "DKIM signing: %s",
		    ctx && vouch_dkim_sign_error(ctx)[0]
		        ? vouch_dkim_sign_error(ctx)
		        : vouch_status_str(st));
		vouch_dkim_sign_free(ctx);
		return st;
	}
	vouch_dkim_sign_free(ctx);
	vbuf_init(&out, VOUCH_REPORT_MAX_MESSAGE + flen);
	vbuf_add(&out, fields, flen);
	vbuf_add(&out, m->p, m->len);
	free(fields);
	if (out.err != VOUCH_OK) {
		st = out.err;
		vbuf_free(&out);
		return st;
	}
	vbuf_free(m);
	*m = out;
	return VOUCH_OK;
}

/* ---- Transports ------------------------------------------------------- */

/* Writes all of p to fd, LF line ends (sendmail reads local text). */
static int
write_lf(int fd, const uint8_t *p, size_t len, int64_t deadline)
{
	size_t i = 0, from = 0;
	ssize_t k;
	struct pollfd pfd = {fd, POLLOUT, 0};

	while (from < len) {
		/* the next chunk: up to a CR of a CRLF */
		for (i = from; i < len && !(p[i] == '\r' && i + 1 < len &&
		                              p[i + 1] == '\n');
		     i++)
			;
		while (from < i) {
			if (time(NULL) > deadline)
				return -1;
			if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
				return -1;
			k = write(fd, p + from, i - from);
			if (k < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (k <= 0)
				return -1;
			from += (size_t)k;
		}
		if (i < len)
			from = i + 1; /* skip the CR, keep the LF */
	}
	return 0;
}

static enum vouch_report_outcome
via_sendmail(const struct vouch_report_send_options *o, const char *from,
    const char *const *rcpt, size_t nrcpt, const uint8_t *msg, size_t len,
    int *code, char *text, size_t tlen)
{
	const char *prog = o->sendmail ? o->sendmail : DEFAULT_SENDMAIL;
	char *argv[8 + VOUCH_DMARC_MAX_URIS];
	char mailconf[4096 + 16];
	char *envp[3] = {
	    (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL, NULL};
	const char *mc = getenv("MAIL_CONFIG");
	int pfd[2], status = 0, wrote;
	int64_t deadline = time(NULL) + (o->timeout ? o->timeout : 300);
	size_t i, argc = 0;
	pid_t pid, w;

	*code = 0;
	/* a clean environment, but for Postfix's MAIL_CONFIG (an instance
	 * other than the default one) */
	if (mc != NULL && strlen(mc) < 4096) {
		snprintf(mailconf, sizeof(mailconf), "MAIL_CONFIG=%s", mc);
		envp[1] = mailconf;
	}
	argv[argc++] = (char *)"sendmail";
	argv[argc++] = (char *)"-oi"; /* a lone "." is not the end */
	argv[argc++] = (char *)"-f";
	argv[argc++] = (char *)from;
	argv[argc++] = (char *)"--"; /* no recipient is read as an option */
	for (i = 0; i < nrcpt && argc + 1 < sizeof(argv) / sizeof(argv[0]); i++)
		argv[argc++] = (char *)rcpt[i];
	argv[argc] = NULL;
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		snprintf(text, tlen, "pipe: %s", strerror(errno));
		return VOUCH_REPORT_TEMPFAIL;
	}
	if ((pid = fork()) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		snprintf(text, tlen, "fork: %s", strerror(errno));
		return VOUCH_REPORT_TEMPFAIL;
	}
	if (pid == 0) {
		/* the child: stdin from the pipe, then the program, no shell;
		 * the caller's blocked signals and ignored SIGPIPE (a daemon's
		 * threads) are not the program's: execve would keep them */
		struct sigaction dfl;

		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigemptyset(&dfl.sa_mask);
		sigaction(SIGPIPE, &dfl, NULL);
		sigprocmask(SIG_SETMASK, &dfl.sa_mask, NULL);
		if (dup2(pfd[0], STDIN_FILENO) < 0)
			_exit(EX_OSERR);
		execve(prog, argv, envp);
		_exit(EX_UNAVAILABLE);
	}
	close(pfd[0]);
	{
		void (*old)(int) = signal(SIGPIPE, SIG_IGN);

		wrote = write_lf(pfd[1], msg, len, deadline);
		signal(SIGPIPE, old);
	}
	close(pfd[1]);
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (time(NULL) > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(text, tlen, "%s: timed out", prog);
			return VOUCH_REPORT_TEMPFAIL;
		}
		usleep(10000);
	}
	if (w != pid) {
		snprintf(text, tlen, "%s: wait: %s", prog, strerror(errno));
		return VOUCH_REPORT_TEMPFAIL;
	}
	if (WIFSIGNALED(status)) {
		snprintf(text, tlen, "%s: killed by signal %d", prog,
		    WTERMSIG(status));
		return VOUCH_REPORT_TEMPFAIL;
	}
	*code = WEXITSTATUS(status);
	if (*code == 0 && wrote == 0) {
		snprintf(text, tlen, "%s: accepted", prog);
		return VOUCH_REPORT_SENT;
	}
	snprintf(text, tlen, "%s: exit status %d%s", prog, *code,
	    wrote ? " (message not written whole)" : "");
	/* sysexits(3): a temporary failure, or the program could not run
	 * or do its I/O; anything else (usage, data, no user) is final */
	if (*code == EX_TEMPFAIL || *code == EX_OSERR || *code == EX_IOERR ||
	    *code == EX_UNAVAILABLE || *code == EX_CANTCREAT || *code == 0)
		return VOUCH_REPORT_TEMPFAIL;
	return VOUCH_REPORT_PERMFAIL;
}

#ifdef VOUCH_HAVE_CURL
struct upload {
	const uint8_t *p;
	size_t len, off;
};

static size_t
read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = size * n;

	if (k > u->len - u->off)
		k = u->len - u->off;
	memcpy(buf, u->p + u->off, k);
	u->off += k;
	return k;
}

/*
 * What went wrong, without the reply code: that is *code, and `vouch
 * report list` shows both side by side.  libcurl ends a refusal with the
 * code ("RCPT failed: 451"); a connection failure has no reply (code 0).
 */
static void
smtp_reason(long resp, const char *why, char *text, size_t tlen)
{
	char tail[32];
	size_t n = strlen(why), k;

	k = (size_t)snprintf(tail, sizeof(tail), ": %ld", resp);
	if (resp != 0 && n > k && strcmp(why + n - k, tail) == 0)
		n -= k;
	snprintf(text, tlen, "%.*s", (int)n, why);
}

static enum vouch_report_outcome
via_smtp(const struct vouch_report_send_options *o, const char *from,
    const char *const *rcpt, size_t nrcpt, const uint8_t *msg, size_t len,
    int *code, char *text, size_t tlen)
{
	char ebuf[CURL_ERROR_SIZE] = "", fromb[600];
	struct curl_slist *rl = NULL, *nl;
	struct upload u = {msg, len, 0};
	long resp = 0;
	CURLcode rc;
	CURL *c;
	size_t i;
	char rb[600];

	*code = 0;
	if ((c = curl_easy_init()) == NULL) {
		snprintf(text, tlen, "curl: cannot start");
		return VOUCH_REPORT_TEMPFAIL;
	}
	snprintf(fromb, sizeof(fromb), "<%s>", from);
	for (i = 0; i < nrcpt; i++) {
		snprintf(rb, sizeof(rb), "<%s>", rcpt[i]);
		if ((nl = curl_slist_append(rl, rb)) == NULL) {
			curl_slist_free_all(rl);
			curl_easy_cleanup(c);
			snprintf(text, tlen, "out of memory");
			return VOUCH_REPORT_TEMPFAIL;
		}
		rl = nl;
	}
	curl_easy_setopt(c, CURLOPT_URL, o->smtp_url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, fromb);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rl);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(
	    c, CURLOPT_TIMEOUT, (long)(o->timeout ? o->timeout : 300));
	/* STARTTLS when the relay offers it (RFC 9990 §3.5 SHOULD) */
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp);
	curl_slist_free_all(rl);
	curl_easy_cleanup(c);
	*code = (int)resp;
	if (rc == CURLE_OK && resp >= 200 && resp < 300) {
		snprintf(text, tlen, "accepted");
		return VOUCH_REPORT_SENT;
	}
	smtp_reason(resp, ebuf[0] ? ebuf : curl_easy_strerror(rc), text, tlen);
	if (resp >= 500 && resp < 600)
		return VOUCH_REPORT_PERMFAIL;
	return VOUCH_REPORT_TEMPFAIL; /* 4xx, no answer, connection failures */
}
#endif

/* ---- One delivery ----------------------------------------------------- */

/* The recipients: the URI's address, or the authorizing record's. */
static size_t
recipients(const char *uri, const char *repl, char (*rcpt)[512], size_t max)
{
	char one[VOUCH_STORE_MAX_DEST + 1];
	const char *p, *c;
	size_t n = 0, k;

	if (repl[0] == '\0')
		return report_mailto_address(uri, rcpt[0], 512) == 0 ? 1 : 0;
	for (p = repl; *p && n < max; p = *c ? c + 1 : c) {
		if ((c = strchr(p, ',')) == NULL)
			c = p + strlen(p);
		k = (size_t)(c - p);
		if (k >= sizeof(one))
			continue;
		memcpy(one, p, k);
		one[k] = '\0';
		if (report_mailto_address(one, rcpt[n], 512) == 0)
			n++;
	}
	return n;
}

static enum vouch_status
deliver(struct sender *sd, const struct due *d)
{
	char addr[512], repl[VOUCH_STORE_MAX_DEST + 1], text[512] = "";
	char rcpt[VOUCH_DMARC_MAX_URIS][512];
	char *rp[VOUCH_DMARC_MAX_URIS];
	const char *from = sd->o->from ? sd->o->from : d->email;
	unsigned max = sd->o->max_attempts ? sd->o->max_attempts
	                                   : VOUCH_REPORT_MAX_ATTEMPTS;
	int64_t retry = sd->o->retry_seconds ? sd->o->retry_seconds : 3600;
	enum vouch_status st;
	enum vouch_report_outcome oc = VOUCH_REPORT_TEMPFAIL;
	struct vbuf m;
	uint8_t *file = NULL;
	size_t flen = 0, nr, i;
	int ok, temp, code = 0;
	bool mine;

	if ((st = claim(sd, d, &mine)) != VOUCH_OK || !mine)
		return st; /* another sender has it */
	if (report_mailto_address(d->destination, addr, sizeof(addr)) < 0) {
		sd->sum->failed++;
		return settle(sd, d, "failed", d->attempts, 0, 0,
		    "not a mailto: URI with one address");
	}
	if (dest_suppressed(sd, addr) ||
	    domain_suppressed(sd, d->policy_domain)) {
		sd->sum->suppressed++;
		return settle(sd, d, "suppressed", d->attempts, 0, 0,
		    "on a suppression list");
	}
	/* RFC 9990 §4 again, at send time */
	st = report_check_destination(sd->dmarc, sd->o->dns, d->policy_domain,
	    d->destination, &ok, &temp, repl, sizeof(repl));
	if (st == VOUCH_ENOMEM)
		return st;
	if (st != VOUCH_OK || (!ok && !temp)) {
		sd->sum->unauthorized++;
		return settle(sd, d, "unauthorized", d->attempts, 0, 0,
		    "external destination not authorized (RFC 9990 4)");
	}
	if (!ok) {
		snprintf(text, sizeof(text),
		    "external destination check failed temporarily");
		goto temporary;
	}
	nr = recipients(d->destination, repl, rcpt, VOUCH_DMARC_MAX_URIS);
	for (i = 0; i < nr; i++)
		rp[i] = rcpt[i];
	if (nr == 0) {
		sd->sum->failed++;
		return settle(
		    sd, d, "failed", d->attempts, 0, 0, "no usable address");
	}
	if ((st = load_content(sd, d->report, &file, &flen)) != VOUCH_OK)
		return st;
	vbuf_init(&m, VOUCH_REPORT_MAX_MESSAGE);
	st = build_message(sd, d, from, rcpt[0], file, flen, &m);
	free(file);
	if (st == VOUCH_OK)
		st = sign(sd, &m, text, sizeof(text));
	if (st != VOUCH_OK) {
		vbuf_free(&m);
		if (st == VOUCH_ENOMEM)
			return st;
		sd->sum->failed++;
		return settle(sd, d, "failed", d->attempts, 0, 0,
		    text[0] ? text : "the message could not be made");
	}
	if (vouch_report_transmit(sd->o, from, (const char *const *)rp, nr, m.p,
	        m.len, &oc, &code, text, sizeof(text)) != VOUCH_OK)
		oc = VOUCH_REPORT_TEMPFAIL;
	vbuf_free(&m);
	if (oc == VOUCH_REPORT_SENT) {
		sd->sum->sent++;
		return settle(sd, d, "sent", d->attempts + 1, 0, code, text);
	}
	if (oc == VOUCH_REPORT_PERMFAIL) {
		/* a 5xx: recorded, never tried again */
		sd->sum->failed++;
		return settle(sd, d, "failed", d->attempts + 1, 0, code, text);
	}
temporary:
	if (d->attempts + 1 >= max) {
		sd->sum->failed++;
		return settle(sd, d, "failed", d->attempts + 1, 0, code, text);
	}
	sd->sum->deferred++;
	return settle(
	    sd, d, "retry", d->attempts + 1, sd->now + retry, code, text);
}

/* ---- The interface ------------------------------------------------------ */

#ifdef VOUCH_HAVE_CURL
/* A port libcurl has parsed (decimal digits): 1 when it is 1-65535. */
static int
port_ok(const char *p)
{
	unsigned long v = 0;

	for (; *p >= '0' && *p <= '9' && v <= 65535; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	return *p == '\0' && v >= 1 && v <= 65535;
}

/*
 * Whether url names an SMTP relay libcurl can reach: it parses (which
 * checks a port is 1-65535), its scheme is smtp or smtps and it has a
 * host.  Said before any delivery is tried, because libcurl's refusal of
 * the URL would otherwise count as a temporary failure of each delivery.
 */
static int
smtp_url_ok(const char *url, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	CURLUcode pc = CURLUE_NO_PORT;
	int good = 0;

	if (u != NULL &&
	    curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ==
	        CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    ((pc = curl_url_get(u, CURLUPART_PORT, &port, 0)) == CURLUE_OK ||
	        pc == CURLUE_NO_PORT))
		/* libcurl takes port 0 (meaning the scheme's), a relay can't */
		good = (strcmp(scheme, "smtp") == 0 ||
		           strcmp(scheme, "smtps") == 0) &&
		       host[0] != '\0' && (port == NULL || port_ok(port));
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	if (!good && err != NULL && errlen > 0)
		snprintf(err, errlen,
		    "not an SMTP relay URL (smtp://host[:port] or "
		    "smtps://host[:port], port 1-65535): %s",
		    url);
	return good;
}
#endif

enum vouch_status
vouch_report_smtp_url_check(const char *url, char *err, size_t errlen)
{
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (url == NULL)
		return VOUCH_EINVAL;
#ifdef VOUCH_HAVE_CURL
	return smtp_url_ok(url, err, errlen) ? VOUCH_OK : VOUCH_EINVAL;
#else
	return VOUCH_EUNSUPPORTED;
#endif
}

enum vouch_status
vouch_report_transmit(const struct vouch_report_send_options *o,
    const char *from, const char *const *rcpt, size_t nrcpt, const uint8_t *msg,
    size_t len, enum vouch_report_outcome *outcome, int *code, char *text,
    size_t tlen)
{
	char local[8];
	int c;
	size_t i;

	if (code == NULL)
		code = &c;
	*code = 0;
	if (text == NULL || tlen == 0) {
		text = local;
		tlen = sizeof(local);
	}
	text[0] = '\0';
	if (o == NULL || from == NULL || rcpt == NULL || outcome == NULL ||
	    nrcpt == 0 || nrcpt > VOUCH_DMARC_MAX_URIS ||
	    (msg == NULL && len > 0) ||
	    (o->transport != VOUCH_REPORT_SENDMAIL &&
	        o->transport != VOUCH_REPORT_SMTP) ||
	    (o->transport == VOUCH_REPORT_SMTP && o->smtp_url == NULL))
		return VOUCH_EINVAL;
	for (i = 0; i < nrcpt; i++)
		if (rcpt[i] == NULL)
			return VOUCH_EINVAL;
	if (o->transport == VOUCH_REPORT_SENDMAIL) {
		*outcome = via_sendmail(
		    o, from, rcpt, nrcpt, msg, len, code, text, tlen);
		return VOUCH_OK;
	}
#ifdef VOUCH_HAVE_CURL
	if (!smtp_url_ok(o->smtp_url, text, tlen))
		return VOUCH_EINVAL;
	*outcome = via_smtp(o, from, rcpt, nrcpt, msg, len, code, text, tlen);
	return VOUCH_OK;
#else
	return VOUCH_EUNSUPPORTED;
#endif
}

static void
free_list(char **l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

enum vouch_status
vouch_report_send(struct vouch_store *s,
    const struct vouch_report_send_options *o,
    struct vouch_report_send_summary *sum, char *err, size_t errlen)
{
	struct vouch_report_send_summary local;
	struct vouch_dmarc_options dopt;
	struct sender sd;
	struct due *due = NULL;
	enum vouch_status st;
	size_t n = 0, i;

	if (sum == NULL)
		sum = &local;
	memset(sum, 0, sizeof(*sum));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (s == NULL || o == NULL || o->dns == NULL ||
	    (o->transport != VOUCH_REPORT_SENDMAIL &&
	        o->transport != VOUCH_REPORT_SMTP) ||
	    (o->transport == VOUCH_REPORT_SMTP && o->smtp_url == NULL) ||
	    (o->key != NULL && (o->dkim_domain == NULL || o->selector == NULL)))
		return VOUCH_EINVAL;
#ifndef VOUCH_HAVE_CURL
	if (o->transport == VOUCH_REPORT_SMTP)
		return VOUCH_EUNSUPPORTED;
#else
	if (o->transport == VOUCH_REPORT_SMTP &&
	    !smtp_url_ok(o->smtp_url, err, errlen))
		return VOUCH_EINVAL;
#endif
	memset(&sd, 0, sizeof(sd));
	sd.s = s;
	sd.o = o;
	sd.sum = sum;
	sd.err = err;
	sd.errlen = errlen;
	sd.now = o->now ? o->now : (int64_t)time(NULL);
	memset(&dopt, 0, sizeof(dopt));
	dopt.mode = o->mode;
	if ((st = vouch_dmarc_new(&dopt, &sd.dmarc, err, errlen)) != VOUCH_OK)
		return st;
	if ((st = load_list(s, "destination", &sd.sup_dest, &sd.nsup_dest)) !=
	        VOUCH_OK ||
	    (st = load_list(s, "domain", &sd.sup_dom, &sd.nsup_dom)) !=
	        VOUCH_OK ||
	    (st = load_due(&sd, &due, &n)) != VOUCH_OK)
		goto out;
	for (i = 0; i < n && st == VOUCH_OK; i++)
		st = deliver(&sd, &due[i]);
	if (st == VOUCH_OK)
		st = count_waiting(&sd);
out:
	if (st != VOUCH_OK && err != NULL && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "%s", vouch_store_errmsg(s));
	free_due(due, n);
	free_list(sd.sup_dest, sd.nsup_dest);
	free_list(sd.sup_dom, sd.nsup_dom);
	vouch_dmarc_free(sd.dmarc);
	return st;
}
