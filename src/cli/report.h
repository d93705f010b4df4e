/*
 * `vouch report`: the domain owner's side of DMARC aggregate reports
 * (ingest, summary, export).  Option parsing and printing only.
 */
#ifndef VOUCH_CLI_REPORT_H
#define VOUCH_CLI_REPORT_H

#include <stdio.h>

#include "vouch/feedback.h"

int cmd_report_ingest(int argc, char **argv);

/*
 * report_json_feedback - one report as one line of JSON (the fields of
 * struct vouch_feedback, null for absent texts), and where it came from
 * (source, item; item may be NULL).
 */
void report_json_feedback(FILE *fp, const struct vouch_feedback *fb,
    const char *source, const char *item);

#endif
