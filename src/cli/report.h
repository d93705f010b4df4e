/*
 * `vouch report`: the domain owner's side of DMARC aggregate reports
 * (ingest, summary, html, export).  Option parsing and printing only.
 */
#ifndef VOUCH_CLI_REPORT_H
#define VOUCH_CLI_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vouch/feedback.h"
#include "vouch/status.h"

/* vouch report ingest itself, in the program vouch-ingest */
int cmd_report_ingest(int argc, char **argv);
/* what `vouch` runs for it: an exec of vouch-ingest (cmd_report_in.c) */
int cmd_report_ingest_run(int argc, char **argv);
int cmd_report_summary(int argc, char **argv);
int cmd_report_export(int argc, char **argv);
int cmd_report_html(int argc, char **argv);

/*
 * report_parse_time - a time given on the command line: what
 * cli_parse_time reads (UNIX seconds, YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z],
 * UTC), or Nd / Nh (that many days or hours before now).  0 and *out, or
 * -1.
 */
int report_parse_time(const char *s, int64_t *out);

/* report_day_str - a UTC day as YYYY-MM-DD into buf (at least 11). */
void report_day_str(int64_t t, char *buf, size_t len);

/*
 * report_open_store - the store named by --db (NULL: the default), for
 * reading; prints why on failure and returns the exit status, else 0.
 */
struct vouch_store;
int report_open_store(const char *cmd, const char *db, struct vouch_store **s);

/* report_percent - part of whole in percent; 0 when whole is 0. */
double report_percent(uint64_t part, uint64_t whole);

/*
 * What `report summary` and `report html` share: the store, where PTR
 * names and organizational domains come from, the period; one summary
 * per policy domain from vouch_owner_summarize, printed as text, JSON or
 * HTML (one code path from the store to every format).
 */
struct vouch_dns;
struct vouch_dmarc;
struct vouch_owner_summary;
struct report_owner {
	const char *cmd; /* "summary", "html": named in messages */
	const char *db, *zone, *server, *psl_file;
	int nodns;
	unsigned concurrency; /* PTR lookups at once; 0 = the library's */
	int64_t since, until; /* UNIX seconds; 0 = open */
	/* opened by report_owner_open, closed by report_owner_close */
	struct vouch_store *s;
	struct vouch_dns *dns;
	struct vouch_dmarc *psl;
};

/* The options report_owner_option takes: getopt_long's val for
 * --db, --since, --until, --zone, --dns-server, --no-dns,
 * --dns-concurrency and --psl. */
enum {
	REPORT_OPT_DB = 256,
	REPORT_OPT_SINCE,
	REPORT_OPT_UNTIL,
	REPORT_OPT_ZONE,
	REPORT_OPT_DNS_SERVER,
	REPORT_OPT_NO_DNS,
	REPORT_OPT_DNS_CONCURRENCY,
	REPORT_OPT_PSL
};
/*
 * report_owner_option - takes option ch (one of REPORT_OPT_*) with its
 * argument.  Returns 1 taken, 0 not one of them, -1 a bad value (said on
 * standard error: exit with CLI_EXIT_USAGE).
 */
int report_owner_option(struct report_owner *o, int ch, const char *arg);

/*
 * report_owner_open - the resolver, the Public Suffix List and the store;
 * says why on standard error and returns the exit status, else 0.
 */
int report_owner_open(struct report_owner *o);

/*
 * report_owner_summarize - the summary of one policy domain over o's
 * period; says why on standard error and returns the exit status, else 0
 * with *out owned by the caller (vouch_owner_summary_free).
 */
int report_owner_summarize(struct report_owner *o, const char *domain,
    struct vouch_owner_summary **out);

/* report_owner_store_exit - the exit status for st from the store, said
 * on standard error with the store's reason. */
int report_owner_store_exit(struct report_owner *o, enum vouch_status st);

/* report_owner_close - release what report_owner_open opened. */
void report_owner_close(struct report_owner *o);

/*
 * report_json_feedback - one report as one line of JSON (the fields of
 * struct vouch_feedback, null for absent texts), and where it came from
 * (source, item; item may be NULL).
 */
void report_json_feedback(FILE *fp, const struct vouch_feedback *fb,
    const char *source, const char *item);

#endif
