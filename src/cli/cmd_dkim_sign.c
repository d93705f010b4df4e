#include <stdio.h>

#include "cli.h"

/* Placeholder until this subcommand is built; it refuses to run. */
int
cmd_dkim_sign(int argc, char **argv)
{
	fprintf(stderr, "vouch: dkim_sign not built yet\n");
	return CLI_EXIT_SOFTWARE;
}
