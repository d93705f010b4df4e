/*
 * vouch store init|migrate|status: create and migrate the store of DMARC
 * reporting data (store.h).  Option parsing and printing only.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void
store_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch store init    [--db URL]\n"
	    "       vouch store migrate [--db URL]\n"
	    "       vouch store status  [--db URL]\n"
	    "\n"
	    "The store of DMARC reporting data: what vouch records as a "
	    "receiver and\n"
	    "the reports it ingests as a domain owner.\n"
	    "  init     create the store (a SQLite file is made if missing) "
	    "and apply\n"
	    "           every migration\n"
	    "  migrate  apply the migrations an existing store lacks\n"
	    "  status   print the back end and the schema's state\n"
	    "  --db URL a SQLite file (PATH, sqlite:PATH) or a PostgreSQL "
	    "URI\n"
	    "           (postgresql://user@host/db); default $VOUCH_DB, else "
	    "%s\n"
	    "Exit status: 0 done, 64 usage, 69 the store cannot be reached, "
	    "74 a\n"
	    "migration failed, 70 internal error.\n",
	    VOUCH_STORE_DEFAULT_PATH);
}

/* The exit status for a store that could not be opened. */
int
cli_store_exit(enum vouch_status st)
{
	switch (st) {
	case VOUCH_EINVAL:
	case VOUCH_ELIMIT:
		return CLI_EXIT_USAGE;
	case VOUCH_ENOTFOUND:
	case VOUCH_EIO:
	case VOUCH_EUNSUPPORTED:
		return CLI_EXIT_UNAVAILABLE;
	default:
		return CLI_EXIT_SOFTWARE;
	}
}

static int
store_status(struct vouch_store *s)
{
	struct vouch_store_schema_info info;

	if (vouch_store_schema(s, &info) != VOUCH_OK) {
		fprintf(stderr, "vouch store: %s\n", vouch_store_errmsg(s));
		return CLI_EXIT_IO;
	}
	printf("backend: %s\n", vouch_store_backend(s) == VOUCH_STORE_SQLITE
	                            ? "sqlite"
	                            : "postgresql");
	/* "N of M applied" stays first: scripts read it */
	printf("migrations: %u of %u applied (of those this vouch knows)\n",
	    info.applied, info.known);
	if (info.latest > 0)
		printf("schema version: %03u (the newest migration applied)\n",
		    info.latest);
	else
		printf("schema version: none (no migration applied: vouch "
		       "store init)\n");
	if (info.unknown > 0)
		printf("newer: %u migration%s this vouch does not know\n",
		    info.unknown, cli_plural(info.unknown));
	if (info.applied < info.known)
		printf("pending: %u (vouch store migrate)\n",
		    info.known - info.applied);
	return CLI_EXIT_OK;
}

/* The verb among the arguments, before getopt moves it, or NULL. */
static const char *
find_verb(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0)
			i++;
		else if (argv[i][0] != '-')
			return argv[i];
	}
	return NULL;
}

int
cmd_store(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *db = NULL, *verb;
	struct vouch_store *s = NULL;
	char err[512] = "", name[64];
	enum vouch_status st;
	unsigned n = 0;
	int ch, rc;

	/* "vouch store init: unrecognized option", naming the verb */
	if ((verb = find_verb(argc, argv)) != NULL &&
	    snprintf(name, sizeof(name), "vouch store %s", verb) <
	        (int)sizeof(name))
		argv[0] = name;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'h':
			store_usage(stdout);
			return CLI_EXIT_OK;
		default:
			store_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		store_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	verb = argv[optind];
	if (strcmp(verb, "init") != 0 && strcmp(verb, "migrate") != 0 &&
	    strcmp(verb, "status") != 0) {
		fprintf(stderr, "vouch store: unknown command '%s'\n", verb);
		store_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	st = vouch_store_open(db,
	    strcmp(verb, "init") == 0 ? VOUCH_STORE_CREATE : 0, &s, err,
	    sizeof(err));
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch store: %s\n",
		    err[0] ? err : vouch_status_str(st));
		return cli_store_exit(st);
	}
	if (strcmp(verb, "status") == 0) {
		rc = store_status(s);
		vouch_store_close(s);
		return rc;
	}
	if ((st = vouch_store_migrate(s, &n)) != VOUCH_OK) {
		fprintf(stderr, "vouch store: %s\n", vouch_store_errmsg(s));
		rc = st == VOUCH_ENOMEM ? CLI_EXIT_SOFTWARE : CLI_EXIT_IO;
	} else {
		printf("%u migration%s applied\n", n, cli_plural(n));
		rc = store_status(s);
	}
	vouch_store_close(s);
	return rc;
}
