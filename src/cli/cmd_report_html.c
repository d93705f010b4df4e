/*
 * vouch report html: the summary of `vouch report summary`, for one policy
 * domain or for each in the store, as one self-contained HTML page
 * (report_html.c draws it).  The summaries come from the same
 * report_owner_summarize as the text and the JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "report.h"
#include "report_html.h"
#include "vouch/owner.h"

/*
 * Policy domains given a section when --domain is not: any reporter can
 * send reports about any domain, so a store can name thousands; those
 * with the most messages are shown, the index says how many more.
 */
#define HTML_MAX_DOMAINS 50
/* Rows of a domain's sources table (the rest: vouch report summary). */
#define HTML_MAX_SOURCES 100

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch report html -o FILE [--domain DOMAIN]\n"
	    "                         [--since TIME] [--until TIME] [--db "
	    "URL]\n"
	    "                         [--zone FILE | --dns-server ADDR |\n"
	    "                          --no-dns] [--dns-concurrency N]\n"
	    "                         [--psl FILE] [--max-sources N]\n"
	    "\n"
	    "Writes what `vouch report summary` says as one self-contained\n"
	    "HTML page (no script, nothing fetched, charts drawn inline):\n"
	    "messages and the DMARC pass rate per UTC day, the four buckets,\n"
	    "the top sources with their pass/fail bars and reasons, DKIM and\n"
	    "SPF alignment over time, the reporters, and the policy\n"
	    "readiness.  Without --domain: a section for each policy domain\n"
	    "in the store (the 50 with the most messages), after an index.\n"
	    "\n"
	    "  -o FILE          the page (replaced whole; - standard output)\n"
	    "  --domain D       one policy domain\n"
	    "  --since TIME     days from TIME on (YYYY-MM-DD, ISO 8601 UTC,\n"
	    "                   UNIX seconds, or 30d / 12h ago); --until\n"
	    "                   TIME: days before TIME\n"
	    "  --zone FILE      PTR names from a zone file; --dns-server ADDR\n"
	    "                   from that server; --no-dns: none.  Default:\n"
	    "                   the system's resolver.  Names are kept in the\n"
	    "                   store for their TTL\n"
	    "  --dns-concurrency N  PTR lookups at once (default 8)\n"
	    "  --psl FILE       the Public Suffix List for organizational\n"
	    "                   domains (default: the system's)\n"
	    "  --max-sources N  rows of each sources table (default 100;\n"
	    "                   0 all)\n"
	    "  --db URL         the store (default $VOUCH_DB, see vouch(1))\n"
	    "Exit status: 0 written, 64 usage, 69 no store, 74 the store\n"
	    "failed or FILE could not be written.\n");
}

/* A policy domain of the store and its messages. */
struct dom {
	char *name;
	uint64_t messages;
};

struct doms {
	struct dom *v;
	size_t n, cap;
};

static enum vouch_status
add_domain(void *arg, const char *domain, uint64_t messages)
{
	struct doms *d = arg;
	struct dom *nv;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;

		if ((nv = realloc(d->v, cap * sizeof(*nv))) == NULL)
			return VOUCH_ENOMEM;
		d->v = nv;
		d->cap = cap;
	}
	if ((d->v[d->n].name = strdup(domain)) == NULL)
		return VOUCH_ENOMEM;
	d->v[d->n++].messages = messages;
	return VOUCH_OK;
}

/* Most messages first, then by name. */
static int
by_messages(const void *a, const void *b)
{
	const struct dom *x = a, *y = b;

	if (x->messages != y->messages)
		return x->messages > y->messages ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
doms_free(struct doms *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i].name);
	free(d->v);
}

/* The summaries the page shows into sums (HTML_MAX_DOMAINS at most). */
static int
summarize_all(struct report_owner *o, const char *domain,
    struct vouch_owner_summary **sums, size_t *nsums, size_t *nomitted)
{
	struct vouch_owner_query q;
	struct doms d;
	enum vouch_status st;
	size_t i;
	int rc = CLI_EXIT_OK;

	*nsums = *nomitted = 0;
	if (domain != NULL) {
		if ((rc = report_owner_summarize(o, domain, &sums[0])) == 0)
			*nsums = 1;
		return rc;
	}
	memset(&d, 0, sizeof(d));
	memset(&q, 0, sizeof(q));
	q.since = o->since;
	q.until = o->until;
	if ((st = vouch_owner_domains(o->s, &q, add_domain, &d)) != VOUCH_OK) {
		doms_free(&d);
		return report_owner_store_exit(o, st);
	}
	/* a store without reports gives no domain, and d.v is NULL then:
	 * not a pointer qsort may be given (C11 §7.22.5) */
	if (d.n > 1)
		qsort(d.v, d.n, sizeof(*d.v), by_messages);
	for (i = 0; i < d.n && i < HTML_MAX_DOMAINS && rc == 0; i++)
		if ((rc = report_owner_summarize(o, d.v[i].name, &sums[i])) ==
		    0)
			(*nsums)++;
	if (d.n > HTML_MAX_DOMAINS)
		*nomitted = d.n - HTML_MAX_DOMAINS;
	doms_free(&d);
	return rc;
}

/* The mode open(2) gives a new file: mkstemp makes it 0600, and a page
 * is meant to be as readable as any file the user makes (single-threaded
 * here: umask can only be read by setting it). */
static mode_t
new_file_mode(void)
{
	mode_t um = umask(022);

	umask(um);
	return 0666 & ~um;
}

/*
 * The page written to a new file beside path, then renamed over it: a
 * reader never sees half a page, and a failed run leaves the old one.
 */
static int
write_page(const char *path, const struct report_html *h)
{
	char *tmp = NULL;
	FILE *fp;
	int fd, rc = CLI_EXIT_IO;

	if (strcmp(path, "-") == 0) {
		if (report_html_write(stdout, h) == 0 && fflush(stdout) == 0)
			return CLI_EXIT_OK;
		fprintf(stderr, "vouch report html: standard output: %s\n",
		    strerror(errno));
		return CLI_EXIT_IO;
	}
	if ((tmp = malloc(strlen(path) + 8)) == NULL)
		return CLI_EXIT_SOFTWARE;
	snprintf(tmp, strlen(path) + 8, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "vouch report html: %s: %s\n", path,
		    strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return CLI_EXIT_IO;
	}
	(void)fchmod(fd, new_file_mode());
	if (report_html_write(fp, h) == 0 && fflush(fp) == 0 &&
	    fsync(fd) == 0) {
		if (fclose(fp) == 0 && rename(tmp, path) == 0)
			rc = CLI_EXIT_OK;
	} else {
		fclose(fp);
	}
	if (rc != CLI_EXIT_OK) {
		fprintf(stderr, "vouch report html: %s: %s\n", path,
		    strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

int
cmd_report_html(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"domain", required_argument, NULL, 'D'},
	    {"max-sources", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {"db", required_argument, NULL, REPORT_OPT_DB},
	    {"since", required_argument, NULL, REPORT_OPT_SINCE},
	    {"until", required_argument, NULL, REPORT_OPT_UNTIL},
	    {"zone", required_argument, NULL, REPORT_OPT_ZONE},
	    {"dns-server", required_argument, NULL, REPORT_OPT_DNS_SERVER},
	    {"no-dns", no_argument, NULL, REPORT_OPT_NO_DNS},
	    {"dns-concurrency", required_argument, NULL,
	        REPORT_OPT_DNS_CONCURRENCY},
	    {"psl", required_argument, NULL, REPORT_OPT_PSL},
	    {NULL, 0, NULL, 0},
	};
	struct vouch_owner_summary *sums[HTML_MAX_DOMAINS];
	struct report_html h;
	struct report_owner o;
	const char *domain = NULL, *out = NULL;
	unsigned long max_sources = HTML_MAX_SOURCES;
	size_t i, nsums = 0;
	char *end;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	memset(&h, 0, sizeof(h));
	o.cmd = "html";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 'D':
			domain = optarg;
			break;
		case 'm':
			max_sources = strtoul(optarg, &end, 10);
			if (*end != '\0' || optarg[0] == '-') {
				fprintf(stderr, "vouch report html: "
				                "--max-sources: a number\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			if ((rc = report_owner_option(&o, ch, optarg)) > 0)
				break;
			if (rc == 0)
				usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (cli_unexpected_args("vouch report html", optind, argc, argv)) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (out == NULL) {
		fprintf(stderr, "vouch report html: -o FILE is required\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if ((rc = report_owner_open(&o)) != CLI_EXIT_OK ||
	    (rc = summarize_all(&o, domain, sums, &nsums, &h.nomitted)) !=
	        CLI_EXIT_OK)
		goto out;
	h.sums = (const struct vouch_owner_summary *const *)sums;
	h.nsums = nsums;
	h.since = o.since;
	h.until = o.until;
	h.now = (int64_t)time(NULL);
	h.max_sources = max_sources;
	h.generator = "vouch " VOUCH_VERSION;
	rc = write_page(out, &h);
out:
	for (i = 0; i < nsums; i++)
		vouch_owner_summary_free(sums[i]);
	report_owner_close(&o);
	return rc;
}
