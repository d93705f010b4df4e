#include <stdio.h>
#include <string.h>

#include "cli.h"

const char *cli_progname = "vouch";

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
} commands[] = {
    {"dkim", cmd_dkim, "verify or sign DKIM signatures (RFC 6376)"},
    {"keygen", cmd_keygen, "make a DKIM key pair and its DNS record"},
    {"spf", cmd_spf, "evaluate SPF for a client and sender (RFC 7208)"},
    {"authres", cmd_authres, "parse Authentication-Results fields (RFC 8601)"},
    {"dmarc", cmd_dmarc, "evaluate DMARC from SPF and DKIM facts (RFC 9989)"},
    {"arc", cmd_arc, "verify or seal an ARC chain (RFC 8617)"},
    {"verify", cmd_verify, "SPF, DKIM and DMARC of a received message"},
    {"check", cmd_check, "lint a domain's SPF, DMARC and DKIM records"},
    {"store", cmd_store, "create or migrate the DMARC reporting store"},
    {"report", cmd_report,
        "DMARC aggregate reports: generate, send; ingest, summary"},
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: vouch COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(
		    fp, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(fp, "\n'vouch COMMAND --help' describes each; see vouch(1).\n");
}

int
cli_unexpected_args(const char *cmd, int first, int argc, char **argv)
{
	if (first >= argc)
		return 0;
	fprintf(stderr, "%s: unexpected argument '%s'\n", cmd, argv[first]);
	return 1;
}

void
cli_name_command(char **argv, const char *parent, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s %s", parent, argv[0]);

	if (n > 0 && (size_t)n < cap)
		argv[0] = buf;
}

int
main(int argc, char **argv)
{
	static char name[32];
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("vouch %s\n", VOUCH_VERSION);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			cli_name_command(argv + 1, "vouch", name, sizeof(name));
			return commands[i].run(argc - 1, argv + 1);
		}
	fprintf(stderr, "vouch: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_USAGE;
}
