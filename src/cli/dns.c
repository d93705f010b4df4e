#include <stdio.h>

#include "cli.h"

int
cli_open_dns(const char *zone, const char *server, struct vouch_dns **out)
{
	char err[512] = "";
	enum vouch_status st;

	if (zone != NULL && server != NULL) {
		fprintf(stderr,
		    "%s: --zone and --dns-server exclude each "
		    "other\n",
		    cli_progname);
		return CLI_EXIT_USAGE;
	}
	if (zone != NULL)
		st = vouch_dns_zone_new(zone, out, err, sizeof(err));
	else
		st = vouch_dns_unbound_new(server, 0, out, err, sizeof(err));
	if (st != VOUCH_OK) {
		fprintf(stderr, "%s: %s\n", cli_progname,
		    err[0] ? err : vouch_status_str(st));
		/*
		 * A zone file that does not parse is bad data, not a bad
		 * option; a bad server address is a usage error.
		 */
		if (st == VOUCH_EIO)
			return CLI_EXIT_IO;
		if (zone != NULL && (st == VOUCH_ESYNTAX || st == VOUCH_ELIMIT))
			return CLI_EXIT_DATAERR;
		return CLI_EXIT_USAGE;
	}
	return 0;
}
