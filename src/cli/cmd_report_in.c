/*
 * What the domain owner's `vouch report` subcommands share (reports in):
 * times given on the command line, UTC days as text, opening the store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
