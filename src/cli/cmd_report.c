/*
 * vouch report: DMARC aggregate reports as the domain owner gets them.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "report.h"

static void
report_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch report COMMAND [OPTIONS]\n"
	    "\n"
	    "commands:\n"
	    "  ingest   read aggregate reports (XML, .gz, .zip, e-mails,\n"
	    "           Maildir, mbox, IMAP) into the store\n"
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
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		report_usage(stdout);
		return CLI_EXIT_OK;
	}
	fprintf(stderr, "vouch report: unknown command '%s'\n", argv[1]);
	report_usage(stderr);
	return CLI_EXIT_USAGE;
}
