#include <stdio.h>

#include "cli.h"

/* Placeholder until the spf command is built; it refuses to run. */
int
cmd_spf(int argc, char **argv)
{
	fprintf(stderr, "vouch spf: not built yet\n");
	return CLI_EXIT_SOFTWARE;
}
