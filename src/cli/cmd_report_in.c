/*
 * What the domain owner's `vouch report` subcommands share (reports in):
 * times given on the command line, UTC days as text, opening the store,
 * and what summary and html share: their options, the resolver, the
 * Public Suffix List, one summary per policy domain.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "vouch/dmarc.h"
#include "vouch/owner.h"
#include "vouch/store.h"

int
report_parse_time(const char *s, int64_t *out)
{
	unsigned long long v;
	char *end;
	size_t n;

	if (s == NULL || *s == '\0')
		return -1;
	/* "30d", "12h": that long before now */
	n = strspn(s, "0123456789");
	if (n > 0 && n <= 6 && (s[n] == 'd' || s[n] == 'h') &&
	    s[n + 1] == '\0') {
		v = strtoull(s, &end, 10);
		*out = (int64_t)time(NULL) -
		       (int64_t)v * (s[n] == 'd' ? 86400 : 3600);
		return 0;
	}
	return cli_parse_time(s, out) < 0 ? -1 : 0;
}

void
report_day_str(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || len < 11) {
		snprintf(buf, len, "?");
		return;
	}
	strftime(buf, len, "%Y-%m-%d", &tm);
}

int
report_open_store(const char *cmd, const char *db, struct vouch_store **s)
{
	enum vouch_status st;
	char err[512];

	st = vouch_store_open(db, 0, s, err, sizeof(err));
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch report %s: %s\n", cmd,
		    err[0] ? err : vouch_status_str(st));
		return cli_store_exit(st);
	}
	return CLI_EXIT_OK;
}

/* The program `report ingest` runs (ingest_main.c). */
#define INGEST_PROGRAM "vouch-ingest"

/* exec dir/rel/vouch-ingest if it is there; returns only if not */
static void
try_exec(const char *dir, const char *rel, char **argv)
{
	char path[PATH_MAX + 64];

	if (snprintf(path, sizeof(path), "%s%s/%s", dir, rel, INGEST_PROGRAM) >=
	        (int)sizeof(path) ||
	    access(path, X_OK) != 0)
		return;
	argv[0] = path;
	execv(path, argv);
}

/*
 * vouch report ingest runs vouch-ingest: beside this program (the build
 * tree), in ../libexec/vouch from it (an install, moved or under
 * DESTDIR), then where it was installed (VOUCH_LIBEXECDIR).
 */
int
cmd_report_ingest_run(int argc, char **argv)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	(void)argc;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			try_exec(self, "", argv);
			try_exec(self, "/../libexec/vouch", argv);
		}
	}
	try_exec(VOUCH_LIBEXECDIR, "", argv);
	fprintf(stderr, "vouch report ingest: cannot run %s/%s: %s\n",
	    VOUCH_LIBEXECDIR, INGEST_PROGRAM, strerror(errno));
	return CLI_EXIT_SOFTWARE;
}

double
report_percent(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* ---- What summary and html share ---------------------------------------- */

int
report_owner_option(struct report_owner *o, int ch, const char *arg)
{
	unsigned long n;
	char *end;

	switch (ch) {
	case REPORT_OPT_DB:
		o->db = arg;
		return 1;
	case REPORT_OPT_SINCE:
	case REPORT_OPT_UNTIL:
		if (report_parse_time(arg,
		        ch == REPORT_OPT_SINCE ? &o->since : &o->until) != 0) {
			fprintf(stderr, "vouch report %s: %s: not a time\n",
			    o->cmd, arg);
			return -1;
		}
		/* whole UTC days from the one that holds the time */
		if (ch == REPORT_OPT_SINCE)
			o->since -= o->since % 86400;
		return 1;
	case REPORT_OPT_ZONE:
		o->zone = arg;
		return 1;
	case REPORT_OPT_DNS_SERVER:
		o->server = arg;
		return 1;
	case REPORT_OPT_NO_DNS:
		o->nodns = 1;
		return 1;
	case REPORT_OPT_DNS_CONCURRENCY:
		n = strtoul(arg, &end, 10);
		if (*end != '\0' || n < 1 || n > 64) {
			fprintf(stderr,
			    "vouch report %s: --dns-concurrency: 1 to 64\n",
			    o->cmd);
			return -1;
		}
		o->concurrency = (unsigned)n;
		return 1;
	case REPORT_OPT_PSL:
		o->psl_file = arg;
		return 1;
	}
	return 0;
}

int
report_owner_open(struct report_owner *o)
{
	struct vouch_dmarc_options dopts;
	enum vouch_status st;
	char err[512] = "";
	int rc;

	if (!o->nodns && (rc = cli_open_dns(o->zone, o->server, &o->dns)) != 0)
		return rc;
	memset(&dopts, 0, sizeof(dopts));
	/* organizational domains as RFC 7489 §3.2 finds them: the PSL */
	dopts.mode = VOUCH_DMARC_MODE_RFC7489;
	dopts.psl_file = o->psl_file;
	if ((st = vouch_dmarc_new(&dopts, &o->psl, err, sizeof(err))) !=
	    VOUCH_OK) {
		fprintf(stderr, "vouch report %s: %s\n", o->cmd,
		    err[0] ? err : vouch_status_str(st));
		return st == VOUCH_EIO ? CLI_EXIT_IO : CLI_EXIT_SOFTWARE;
	}
	return report_open_store(o->cmd, o->db, &o->s);
}

int
report_owner_store_exit(struct report_owner *o, enum vouch_status st)
{
	const char *why = o->s != NULL ? vouch_store_errmsg(o->s) : "";

	fprintf(stderr, "vouch report %s: %s\n", o->cmd,
	    why[0] ? why : vouch_status_str(st));
	return st == VOUCH_ENOTFOUND ? CLI_EXIT_UNAVAILABLE
	       : st == VOUCH_ENOMEM  ? CLI_EXIT_SOFTWARE
	                             : CLI_EXIT_IO;
}

/* The line of progress while PTR names are looked up (seconds each where
 * a resolver is slow, and one per source), for a terminal only. */
struct ptr_progress {
	const char *cmd;
	struct timespec last;
	int shown;
};

static void
ptr_progress(void *arg, size_t done, size_t total)
{
	struct ptr_progress *p = arg;

	if (done >= total) {
		if (p->shown)
			fputs("\r\033[K", stderr); /* the line is gone */
		p->shown = 0;
		return;
	}
	if (!cli_redraw_due(&p->last, p->shown))
		return;
	fprintf(stderr, "\rvouch report %s: PTR names: %zu of %zu\033[K",
	    p->cmd, done, total);
	p->shown = 1;
}

int
report_owner_summarize(struct report_owner *o, const char *domain,
    struct vouch_owner_summary **out)
{
	struct vouch_owner_summary_opts so;
	struct ptr_progress pp;
	enum vouch_status st;

	memset(&so, 0, sizeof(so));
	memset(&pp, 0, sizeof(pp));
	so.domain = domain;
	so.since = o->since;
	so.until = o->until;
	so.dns = o->dns;
	so.concurrency = o->concurrency;
	/* never on a pipe or file: what scripts read stays as it was */
	if (isatty(STDERR_FILENO)) {
		pp.cmd = o->cmd;
		so.ptr_progress = ptr_progress;
		so.ptr_progress_arg = &pp;
	}
	if ((st = vouch_owner_summarize(o->s, &so, o->psl, out)) != VOUCH_OK)
		return report_owner_store_exit(o, st);
	return CLI_EXIT_OK;
}

void
report_owner_close(struct report_owner *o)
{
	vouch_store_close(o->s);
	vouch_dmarc_free(o->psl);
	vouch_dns_free(o->dns);
	o->s = NULL;
	o->psl = NULL;
	o->dns = NULL;
}
