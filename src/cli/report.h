/*
 * `vouch report`: the domain owner's side of DMARC aggregate reports
 * (ingest, summary, export).  Option parsing and printing only.
 */
#ifndef VOUCH_CLI_REPORT_H
#define VOUCH_CLI_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vouch/feedback.h"

/* vouch report ingest itself, in the program vouch-ingest */
int cmd_report_ingest(int argc, char **argv);
/* what `vouch` runs for it: an exec of vouch-ingest (cmd_report_in.c) */
int cmd_report_ingest_run(int argc, char **argv);
int cmd_report_summary(int argc, char **argv);
int cmd_report_export(int argc, char **argv);

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

/*
 * report_json_feedback - one report as one line of JSON (the fields of
 * struct vouch_feedback, null for absent texts), and where it came from
 * (source, item; item may be NULL).
 */
void report_json_feedback(FILE *fp, const struct vouch_feedback *fb,
    const char *source, const char *item);

#endif
