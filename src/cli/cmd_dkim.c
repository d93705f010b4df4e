#include <stdio.h>
#include <string.h>

#include "cli.h"

static void
dkim_usage(FILE *fp)
{
	fprintf(fp, "usage: vouch dkim verify [OPTIONS] [FILE]\n"
	            "       vouch dkim sign -d DOMAIN -s SELECTOR -k KEYFILE "
	            "[OPTIONS] [FILE]\n"
	            "'vouch dkim verify --help' and 'vouch dkim sign --help' "
	            "list the options.\n");
}

int
cmd_dkim(int argc, char **argv)
{
	static char name[32];

	if (argc < 2) {
		dkim_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "verify") == 0) {
		cli_name_command(argv + 1, "vouch dkim", name, sizeof(name));
		return cmd_dkim_verify(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "sign") == 0) {
		cli_name_command(argv + 1, "vouch dkim", name, sizeof(name));
		return cmd_dkim_sign(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		dkim_usage(stdout);
		return CLI_EXIT_OK;
	}
	fprintf(stderr, "vouch dkim: unknown subcommand '%s'\n", argv[1]);
	dkim_usage(stderr);
	return CLI_EXIT_USAGE;
}
