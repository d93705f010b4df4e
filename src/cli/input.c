/*
 * The message input of the `vouch` subcommands: a file named on the
 * command line, or standard input.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

FILE *
cli_open_input(const char *cmd, const char *path)
{
	FILE *fp;

	if (path == NULL || strcmp(path, "-") == 0)
		return stdin;
	if ((fp = fopen(path, "rb")) == NULL)
		fprintf(
		    stderr, "vouch %s: %s: %s\n", cmd, path, strerror(errno));
	return fp;
}

void
cli_close_input(FILE *fp)
{
	if (fp != NULL && fp != stdin)
		fclose(fp);
}
