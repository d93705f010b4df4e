/*
 * vouch report: DMARC aggregate reports as the domain owner gets them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "report.h"
#include "vouch/store.h"

static void
report_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch report COMMAND [OPTIONS]\n"
	    "\n"
	    "commands:\n"
	    "  ingest   read aggregate reports (XML, .gz, .zip, e-mails,\n"
	    "           Maildir, mbox, IMAP) into the store\n"
	    "  summary  every source of a domain in four buckets, and what\n"
	    "           p=quarantine or p=reject would do today\n"
	    "  export   the stored rows as CSV or JSON\n"
	    "\n"
	    "'vouch report COMMAND --help' describes each; see vouch(1).\n");
}

int
cmd_report(int argc, char **argv)
{
	if (argc < 2) {
		report_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "ingest") == 0)
		return cmd_report_ingest(argc - 1, argv + 1);
	if (strcmp(argv[1], "summary") == 0)
		return cmd_report_summary(argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return cmd_report_export(argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		report_usage(stdout);
		return CLI_EXIT_OK;
	}
	fprintf(stderr, "vouch report: unknown command '%s'\n", argv[1]);
	report_usage(stderr);
	return CLI_EXIT_USAGE;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at s into *v; 0, or -1 when they are not digits. */
static int
digits(const char *s, int n, unsigned *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

int
report_parse_time(const char *s, int64_t *out)
{
	unsigned y, mo, d, h = 0, mi = 0, sec = 0;
	unsigned long long v;
	const char *p;
	char *end;
	size_t n;

	if (s == NULL || *s == '\0')
		return -1;
	n = strspn(s, "0123456789");
	if (n > 0 && n <= 6 && (s[n] == 'd' || s[n] == 'h') &&
	    s[n + 1] == '\0') {
		v = strtoull(s, &end, 10);
		*out = (int64_t)time(NULL) -
		       (int64_t)v * (s[n] == 'd' ? 86400 : 3600);
		return 0;
	}
	if (s[n] == '\0') {
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno || v > (1ULL << 40))
			return -1;
		*out = (int64_t)v;
		return 0;
	}
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	p = s + 10;
	if (*p == 'T' || *p == ' ') {
		if (digits(p + 1, 2, &h) || p[3] != ':' ||
		    digits(p + 4, 2, &mi))
			return -1;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec))
				return -1;
			p += 3;
		}
		if (*p == 'Z')
			p++;
	}
	if (*p != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 60)
		return -1;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return 0;
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
