/*
 * vouch-ingest: `vouch report ingest` in a program of its own.  Reading
 * reports needs GMime, libxml2 and libarchive (and what they pull in:
 * GLib, ICU, GnuTLS...), some 5 MiB of resident memory at start; the
 * `vouch` command execs this program for `report ingest` only, so that
 * every other subcommand (DKIM over a 100 MiB message in under 16 MiB)
 * does not carry them.  The arguments are those of `vouch report
 * ingest`, argv[1] on.
 */
#include "cli.h"
#include "report.h"

const char *cli_progname = "vouch";

int
main(int argc, char **argv)
{
	argv[0] = "vouch report ingest";
	return cmd_report_ingest(argc, argv);
}
