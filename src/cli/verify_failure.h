/*
 * vouch verify --failure-report DIR and its options (verify_failure.c):
 * DMARC failure reports (RFC 9991) written to files.
 */
#ifndef VOUCH_CLI_VERIFY_FAILURE_H
#define VOUCH_CLI_VERIFY_FAILURE_H

#include "cli.h"

/* getopt_long values of the options, above every single character. */
enum {
	CLI_FAILURE_OPT_DIR = 0x100,
	CLI_FAILURE_OPT_FROM,
	CLI_FAILURE_OPT_REDACT,
	CLI_FAILURE_OPT_TOKEN,
	CLI_FAILURE_OPT_KEY,
	CLI_FAILURE_OPT_RATE,
	CLI_FAILURE_OPT_STATE,
	CLI_FAILURE_OPT_BODY,
	CLI_FAILURE_OPT_KINDS
};

/* The options given; dir NULL = no reports (the default). */
struct cli_failure {
	const char *dir;
	const char *state;
	const char *key_file;
	struct vouch_failure_options opts;
};

void cli_failure_init(struct cli_failure *cf);

/* One option of CLI_FAILURE_LONGOPTS: 0, or -1 after printing why it is
 * wrong (a usage error). */
int cli_failure_option(struct cli_failure *cf, int ch, const char *arg);

/*
 * Whether cf->dir is a directory: CLI_EXIT_OK, or CLI_EXIT_IO after saying
 * what is wrong with it on stderr.  Checked before the verdict is printed,
 * and again when the reports are written.
 */
int cli_failure_check_dir(const struct cli_failure *cf);

/*
 * The reports of one verdict written to cf->dir; returns a CLI exit
 * status (0, CLI_EXIT_IO, CLI_EXIT_USAGE for a bad option found now,
 * CLI_EXIT_SOFTWARE), having said what failed on stderr.
 */
int cli_failure_run(const struct cli_failure *cf, const char *authserv_id,
    const struct vouch_verify_result *res, const struct vouch_verify_smtp *smtp,
    const struct vouch_failure_message *msg, struct vouch_dns *dns);

#endif
