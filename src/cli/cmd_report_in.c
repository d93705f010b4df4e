/*
 * What the domain owner's `vouch report` subcommands share (reports in):
 * times given on the command line, UTC days as text, opening the store.
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
		fprintf(stderr, "vouch report %s: %s%s\n", cmd,
		    err[0] ? err : vouch_status_str(st),
		    st == VOUCH_ENOTFOUND ? " (vouch store init makes it)"
		                          : "");
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
