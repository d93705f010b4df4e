/*
 * The `vouch` command: option parsing and printing only.  Every protocol
 * decision is made in libvouch through its public headers.
 */
#ifndef VOUCH_CLI_H
#define VOUCH_CLI_H

#include <stdio.h>
#include <time.h>

#include "vouch/vouch.h"

/* Exit statuses, documented in vouch(1). */
#define CLI_EXIT_OK 0 /* a verdict was produced, whatever it is */
#define CLI_EXIT_USAGE 64 /* bad options (EX_USAGE) */
#define CLI_EXIT_DATAERR 65 /* the input cannot be processed (EX_DATAERR) */
#define CLI_EXIT_UNAVAILABLE 69 /* a service (the store) is unavailable */
#define CLI_EXIT_IO 74 /* a file could not be read or written (EX_IOERR) */
#define CLI_EXIT_SOFTWARE 70 /* out of memory or an internal error */

/* Subcommands: argv[0] is the subcommand name. */
int cmd_dkim(int argc, char **argv);
int cmd_dkim_verify(int argc, char **argv);
int cmd_dkim_sign(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_spf(int argc, char **argv);
int cmd_authres(int argc, char **argv);
int cmd_dmarc(int argc, char **argv);
int cmd_arc(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_report(int argc, char **argv);
/* vouch report's receiver subcommands (cmd_report_out.c) */
int cmd_report_generate(int argc, char **argv);
int cmd_report_send(int argc, char **argv);
int cmd_report_list(int argc, char **argv);
int cmd_report_show(int argc, char **argv);
int cmd_report_suppress(int argc, char **argv);

/*
 * cli_parse_time - a time given on the command line: UNIX seconds, or
 * YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS[Z], in UTC.  Returns 0, or -1 when s
 * is none of them.
 */
int cli_parse_time(const char *s, int64_t *out);

/* cli_store_exit - the exit status for a store that could not be opened. */
int cli_store_exit(enum vouch_status st);

/*
 * cli_open_dns - the resolver chosen by --zone FILE or --dns-server ADDR
 * (at most one may be given; neither = the system's resolver).  Prints an
 * error naming the file and line on failure and returns non-zero.
 */
int cli_open_dns(const char *zone, const char *server, struct vouch_dns **out);

/*
 * cli_open_input - the message file named on the command line, opened for
 * reading; stdin for NULL or "-".  On failure prints "vouch CMD: PATH:
 * reason" and returns NULL (the caller exits with CLI_EXIT_IO).
 * cli_close_input() closes what it opened (not stdin; NULL is a no-op).
 */
FILE *cli_open_input(const char *cmd, const char *path);
void cli_close_input(FILE *fp);

extern const char *cli_progname;

/*
 * cli_plural - the ending of a noun after the count n in human-readable
 * output: "" for 1, "s" otherwise ("1 DNS lookup", "2 DNS lookups").
 */
static inline const char *
cli_plural(unsigned long long n)
{
	return n == 1 ? "" : "s";
}

/*
 * cli_redraw_due - whether a line of progress may be drawn (again) now:
 * always when none is shown, else at most ten times a second.  When it
 * may, *last (the time of the last drawing, CLOCK_MONOTONIC, owned by
 * the caller) becomes now.
 */
int cli_redraw_due(struct timespec *last, int shown);

/*
 * Names a subcommand in argv[0] as "PARENT NAME" ("vouch arc verify"), so
 * that getopt's messages say which command they are about; the name lives
 * in buf, of cap bytes, owned by the caller.
 */
/*
 * Says on stderr "CMD: unexpected argument 'ARG'" about the first of the
 * arguments argv[first..argc) and returns 1, or returns 0 when there are
 * none.
 */
int cli_unexpected_args(const char *cmd, int first, int argc, char **argv);

void cli_name_command(char **argv, const char *parent, char *buf, size_t cap);

#endif
