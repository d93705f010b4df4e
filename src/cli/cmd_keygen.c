#include <stdio.h>

#include "cli.h"

/* Placeholder until the keygen command is built; it refuses to run. */
int
cmd_keygen(int argc, char **argv)
{
	fprintf(stderr, "vouch keygen: not built yet\n");
	return CLI_EXIT_SOFTWARE;
}
