/*
 * vouch report: DMARC aggregate reports (RFC 9990), both ends.  This file
 * only dispatches; the receiver's subcommands (reports out) are in
 * cmd_report_out.c, the domain owner's (reports in) in cmd_report_in.c
 * (shared helpers), cmd_report_ingest.c, _summary.c, _html.c and _export.c.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report.h"

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
} subs[] = {
    {"generate", cmd_report_generate,
        "build the aggregate reports of recorded evaluations"},
    {"send", cmd_report_send, "deliver the reports generated"},
    {"list", cmd_report_list, "list reports and their deliveries"},
    {"show", cmd_report_show, "write one report file (gzip) to stdout"},
    {"suppress", cmd_report_suppress,
        "add or remove destinations or domains never reported to"},
    {"ingest", cmd_report_ingest_run,
        "read reports in (XML, .gz, .zip, e-mail, Maildir, mbox, IMAP)"},
    {"summary", cmd_report_summary,
        "a domain's sources in four buckets, and policy readiness"},
    {"html", cmd_report_html,
        "the summary as one self-contained HTML page, with charts"},
    {"export", cmd_report_export, "the ingested rows as CSV or JSON"},
};

static void
report_usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: vouch report COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		fprintf(fp, "  %-9s %s\n", subs[i].name, subs[i].summary);
	fprintf(fp, "\n'vouch report COMMAND --help' describes each.\n");
}

int
cmd_report(int argc, char **argv)
{
	static char name[32];
	size_t i;

	if (argc < 2) {
		report_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		report_usage(stdout);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (strcmp(argv[1], subs[i].name) == 0) {
			cli_name_command(
			    argv + 1, "vouch report", name, sizeof(name));
			return subs[i].run(argc - 1, argv + 1);
		}
	fprintf(stderr, "vouch report: unknown command '%s'\n", argv[1]);
	report_usage(stderr);
	return CLI_EXIT_USAGE;
}
