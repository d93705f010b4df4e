#include <stdio.h>

#include "cli.h"

/* Placeholder until the dkim command is built; it refuses to run. */
int
cmd_dkim(int argc, char **argv)
{
	fprintf(stderr, "vouch dkim: not built yet\n");
	return CLI_EXIT_SOFTWARE;
}
