/*
 * vouch report ingest: aggregate reports from files, folders, Maildirs,
 * mbox files, standard input and IMAP mailboxes into the store.  Option
 * parsing, the progress bar and printing; the reading is libvouch's
 * (ingest.h), the storing the store's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "report.h"
#include "vouch/ingest.h"
#include "vouch/owner.h"
#include "vouch/store.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch report ingest [--db URL] [--dry-run] [--json]\n"
	    "                           [--progress | --no-progress]\n"
	    "                           [IMAP OPTIONS] INPUT...\n"
	    "\n"
	    "Reads DMARC aggregate reports (RFC 7489 and RFC 9990 XML) from\n"
	    "each INPUT and stores them, once each: a report already stored\n"
	    "(same reporter, policy domain and report_id) is counted as a\n"
	    "duplicate.  INPUT is a file (XML, .xml.gz, .zip, a report\n"
	    "e-mail, an mbox), a folder (read recursively), a Maildir\n"
	    "(cur/ and new/), '-' for standard input, or an IMAP mailbox\n"
	    "imap://[USER@]HOST[:PORT]/MAILBOX or imaps://...\n"
	    "\n"
	    "  --db URL            the store (default: see vouch(1))\n"
	    "  --dry-run           read and check only, store nothing; with\n"
	    "                      --json print each report as a JSON line\n"
	    "  --json              print the counts at the end as JSON\n"
	    "  --progress          a progress bar on standard error (default\n"
	    "                      when it is a terminal); --no-progress: "
	    "none\n"
	    "IMAP:\n"
	    "  --imap-user USER    log in as USER (else the URL's)\n"
	    "  --imap-password-file FILE  the password, first line of FILE\n"
	    "  --imap-cafile FILE  CA certificates for imaps:// (PEM)\n"
	    "  --imap-flag KEYWORD  set on each message once its reports are\n"
	    "                      stored (default $VouchIngested); messages\n"
	    "                      with it are not read again\n"
	    "  --imap-move MAILBOX  move such messages there instead\n"
	    "  --imap-timeout SEC  per command (default 60)\n"
	    "\n"
	    "Inputs that are broken, hostile or too large are refused with\n"
	    "the reason on standard error, and nothing of them is stored.\n"
	    "Exit status: 0 every input was read, 65 some input was refused,\n"
	    "74 an input could not be read or the store failed, 69 the store\n"
	    "cannot be opened (vouch store init), 64 usage, 70 internal\n"
	    "error.\n");
}

enum {
	OPT_DB = 256,
	OPT_DRY_RUN,
	OPT_JSON,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_IMAP_USER,
	OPT_IMAP_PASSWORD_FILE,
	OPT_IMAP_CAFILE,
	OPT_IMAP_FLAG,
	OPT_IMAP_MOVE,
	OPT_IMAP_TIMEOUT,
};

struct ingest_cli {
	int dry_run, json, progress;
	const char *db;
	struct vouch_ingest *ing;
	struct vouch_store *store;
	struct vouch_owner_writer *writer;
	uint64_t stored, duplicates;
	/* progress bar */
	struct timespec last;
	int bar_shown;
	/* what went wrong; nio inputs could not be read (counted refused) */
	int refused, io_error;
	uint64_t nio;
};

static const char *
schema_str(enum vouch_feedback_schema s)
{
	return s == VOUCH_FEEDBACK_RFC9990   ? "rfc9990"
	       : s == VOUCH_FEEDBACK_RFC7489 ? "rfc7489"
	                                     : "other";
}

static void
json_record(FILE *fp, const struct vouch_feedback_record *r)
{
	cli_json_member(fp, "{", "source_ip", r->source_ip, CLI_JSON_8BIT_UTF8);
	cli_json_feedback_evaluated(fp, r, CLI_JSON_8BIT_UTF8);
	cli_json_feedback_reasons(fp, r, CLI_JSON_8BIT_UTF8);
	cli_json_feedback_identifiers(fp, r, CLI_JSON_8BIT_UTF8);
	cli_json_feedback_auth_results(fp, r, CLI_JSON_8BIT_UTF8);
	fputc('}', fp);
}

void
report_json_feedback(FILE *fp, const struct vouch_feedback *fb,
    const char *source, const char *item)
{
	const struct vouch_feedback_policy *pp = &fb->policy_published;
	struct vouch_feedback_days days;
	size_t i;

	cli_json_member(fp, "{", "source", source, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "item", item, CLI_JSON_8BIT_UTF8);
	cli_json_member(
	    fp, ",", "schema", schema_str(fb->schema), CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "version", fb->version, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "org_name", fb->org_name, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "email", fb->email, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "extra_contact_info", fb->extra_contact_info,
	    CLI_JSON_8BIT_UTF8);
	cli_json_member(
	    fp, ",", "report_id", fb->report_id, CLI_JSON_8BIT_UTF8);
	cli_json_member(
	    fp, ",", "generator", fb->generator, CLI_JSON_8BIT_UTF8);
	fprintf(fp, ",\"date_range\":{\"begin\":%lld,\"end\":%lld}",
	    (long long)fb->begin, (long long)fb->end);
	fputs(",\"days\":[", fp);
	if (vouch_feedback_days(fb->begin, fb->end, &days) == VOUCH_OK)
		for (i = 0; i < days.ndays; i++)
			fprintf(fp, "%s{\"day\":%lld,\"seconds\":%lld}",
			    i ? "," : "", (long long)days.day[i],
			    (long long)days.seconds[i]);
	fputs("],\"errors\":[", fp);
	for (i = 0; i < fb->nerrors; i++) {
		fputs(i ? "," : "", fp);
		cli_json_str_or_null(fp, fb->errors[i], CLI_JSON_8BIT_UTF8);
	}
	cli_json_member(fp, "],\"policy_published\":{", "domain", pp->domain,
	    CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "adkim", pp->adkim, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "aspf", pp->aspf, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "p", pp->p, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "sp", pp->sp, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "np", pp->np, CLI_JSON_8BIT_UTF8);
	if (pp->pct >= 0)
		fprintf(fp, ",\"pct\":%d", pp->pct);
	else
		fputs(",\"pct\":null", fp);
	cli_json_member(fp, ",", "fo", pp->fo, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "testing", pp->testing, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "discovery_method", pp->discovery_method,
	    CLI_JSON_8BIT_UTF8);
	fputs("},\"records\":[", fp);
	for (i = 0; i < fb->nrecords; i++) {
		fputs(i ? "," : "", fp);
		json_record(fp, &fb->records[i]);
	}
	fprintf(fp, "],\"total_count\":%llu,\"warnings\":[",
	    (unsigned long long)fb->total_count);
	for (i = 0; i < fb->nwarnings && i < VOUCH_REPORT_MAX_WARNINGS; i++) {
		fputs(i ? "," : "", fp);
		cli_json_str_or_null(fp, fb->warnings[i], CLI_JSON_8BIT_UTF8);
	}
	fprintf(fp, "],\"nwarnings\":%zu}\n", fb->nwarnings);
}

static void
bar_clear(struct ingest_cli *c)
{
	if (c->bar_shown) {
		fputs("\r\033[K", stderr);
		c->bar_shown = 0;
	}
}

static enum vouch_status
on_report(void *arg, const struct vouch_feedback *fb,
    const struct vouch_ingest_where *where)
{
	struct ingest_cli *c = arg;
	enum vouch_owner_stored how;
	enum vouch_status st;
	char source[1024];

	if (c->dry_run) {
		if (c->json) {
			bar_clear(c);
			report_json_feedback(
			    stdout, fb, where->source, where->item);
		}
		return VOUCH_OK;
	}
	snprintf(source, sizeof(source), "%s%s%s", where->source,
	    where->item != NULL ? " " : "",
	    where->item != NULL ? where->item : "");
	st = vouch_owner_store(c->writer, fb, source, &how);
	if (st == VOUCH_ELIMIT) {
		/* a text too long for the store: this report only */
		bar_clear(c);
		fprintf(stderr,
		    "vouch report ingest: %s: refused: report %s too large "
		    "for the store\n",
		    source, fb->report_id);
		c->refused = 1;
		return VOUCH_OK;
	}
	if (st != VOUCH_OK) {
		bar_clear(c);
		fprintf(stderr, "vouch report ingest: store: %s\n",
		    vouch_store_errmsg(c->store));
		return st;
	}
	if (how == VOUCH_OWNER_NEW)
		c->stored++;
	else
		c->duplicates++;
	return VOUCH_OK;
}

static const char *
problem_str(enum vouch_ingest_problem what)
{
	switch (what) {
	case VOUCH_INGEST_REFUSED:
		return "refused";
	case VOUCH_INGEST_NO_REPORT:
		return "skipped";
	case VOUCH_INGEST_FAILURE_REPORT:
		return "skipped";
	case VOUCH_INGEST_IO:
		return "error";
	}
	return "error";
}

static void
on_problem(void *arg, enum vouch_ingest_problem what, enum vouch_status st,
    const char *why, const struct vouch_ingest_where *where)
{
	struct ingest_cli *c = arg;

	(void)st;
	if (what == VOUCH_INGEST_REFUSED)
		c->refused = 1;
	else if (what == VOUCH_INGEST_IO) {
		c->io_error = 1;
		c->nio++;
	}
	bar_clear(c);
	fprintf(stderr, "vouch report ingest: %s%s%s: %s: %s\n", where->source,
	    where->item != NULL ? ": " : "",
	    where->item != NULL ? where->item : "", problem_str(what), why);
}

static void
on_progress(void *arg, const struct vouch_ingest_progress *p)
{
	struct ingest_cli *c = arg;
	struct vouch_ingest_stats s = vouch_ingest_stats(c->ing);
	uint64_t done, total;
	char bar[41];
	int i, fill;

	if (!c->progress || !cli_redraw_due(&c->last, c->bar_shown))
		return;
	done = p->bytes_total ? p->bytes : p->inputs;
	total = p->bytes_total ? p->bytes_total : p->inputs_total;
	if (total > 0) {
		if (done > total)
			done = total;
		fill = (int)(done * 40 / total);
		for (i = 0; i < 40; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[40] = '\0';
		fprintf(
		    stderr, "\r[%s] %3d%% ", bar, (int)(done * 100 / total));
	} else {
		fputs("\r", stderr);
	}
	fprintf(stderr, "%llu input%s, %llu report%s, %llu refused\033[K",
	    (unsigned long long)p->inputs, cli_plural(p->inputs),
	    (unsigned long long)s.reports, cli_plural(s.reports),
	    (unsigned long long)s.refused);
	c->bar_shown = 1;
}

/* The store and its writer; an exit status. */
static int
open_store(struct ingest_cli *c)
{
	enum vouch_status st;
	char err[512];

	st = vouch_store_open(c->db, 0, &c->store, err, sizeof(err));
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch report ingest: %s\n",
		    err[0] ? err : vouch_status_str(st));
		return cli_store_exit(st);
	}
	if ((st = vouch_owner_writer_new(c->store, &c->writer)) != VOUCH_OK) {
		fprintf(stderr, "vouch report ingest: %s\n",
		    vouch_store_errmsg(c->store));
		vouch_store_close(c->store);
		c->store = NULL;
		return st == VOUCH_ENOTFOUND ? CLI_EXIT_UNAVAILABLE
		                             : cli_store_exit(st);
	}
	return CLI_EXIT_OK;
}

/* The first line of a file, for --imap-password-file. */
static char *
read_secret(const char *path)
{
	char buf[1024];
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "vouch report ingest: %s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	if (fgets(buf, sizeof(buf), fp) == NULL)
		buf[0] = '\0';
	fclose(fp);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return strdup(buf);
}

static int
is_imap(const char *s)
{
	return strncmp(s, "imap://", 7) == 0 || strncmp(s, "imaps://", 8) == 0;
}

/* The counts in words, the inputs that could not be read (a mailbox or
 * file never opened) apart from those refused for what they hold.  The
 * library counts as inputs what it read; those it could not read are
 * inputs given all the same ("1 input: ..., 1 could not be read"). */
static void
print_text_counts(
    const struct ingest_cli *c, const struct vouch_ingest_stats *s)
{
	unsigned long long nio = c->nio <= s->refused ? c->nio : s->refused,
	                   in = s->inputs + nio, rep = s->reports,
	                   dup = c->duplicates, fr = s->failure_reports;

	printf("%llu input%s: %llu report%s (%llu new, %llu duplicate%s), "
	       "%llu refused, %llu without a report, %llu failure report%s "
	       "skipped",
	    in, cli_plural(in), rep, cli_plural(rep),
	    (unsigned long long)c->stored, dup, cli_plural(dup),
	    (unsigned long long)(s->refused - nio),
	    (unsigned long long)s->no_report, fr, cli_plural(fr));
	if (nio > 0)
		printf(", %llu could not be read", nio);
	printf("\n");
}

static void
print_counts(const struct ingest_cli *c)
{
	struct vouch_ingest_stats s = vouch_ingest_stats(c->ing);

	if (c->json && c->dry_run)
		return;
	if (c->json)
		printf("{\"inputs\":%llu,\"reports\":%llu,\"stored\":%llu,"
		       "\"duplicates\":%llu,\"refused\":%llu,"
		       "\"no_report\":%llu,\"failure_reports\":%llu}\n",
		    (unsigned long long)s.inputs, (unsigned long long)s.reports,
		    (unsigned long long)c->stored,
		    (unsigned long long)c->duplicates,
		    (unsigned long long)s.refused,
		    (unsigned long long)s.no_report,
		    (unsigned long long)s.failure_reports);
	else
		print_text_counts(c, &s);
}

int
cmd_report_ingest(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"progress", no_argument, NULL, OPT_PROGRESS},
	    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	    {"imap-user", required_argument, NULL, OPT_IMAP_USER},
	    {"imap-password-file", required_argument, NULL,
	        OPT_IMAP_PASSWORD_FILE},
	    {"imap-cafile", required_argument, NULL, OPT_IMAP_CAFILE},
	    {"imap-flag", required_argument, NULL, OPT_IMAP_FLAG},
	    {"imap-move", required_argument, NULL, OPT_IMAP_MOVE},
	    {"imap-timeout", required_argument, NULL, OPT_IMAP_TIMEOUT},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ingest_cli c;
	struct vouch_ingest_callbacks cb;
	struct vouch_ingest_imap_opts io;
	enum vouch_status st = VOUCH_OK, fst;
	const char *pwfile = NULL;
	char *password = NULL, *end;
	unsigned long t;
	int ch, i, rc;

	memset(&c, 0, sizeof(c));
	memset(&io, 0, sizeof(io));
	c.progress = isatty(STDERR_FILENO);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_DB:
			c.db = optarg;
			break;
		case OPT_DRY_RUN:
			c.dry_run = 1;
			break;
		case OPT_JSON:
			c.json = 1;
			break;
		case OPT_PROGRESS:
			c.progress = 1;
			break;
		case OPT_NO_PROGRESS:
			c.progress = 0;
			break;
		case OPT_IMAP_USER:
			io.user = optarg;
			break;
		case OPT_IMAP_PASSWORD_FILE:
			pwfile = optarg;
			break;
		case OPT_IMAP_CAFILE:
			io.cafile = optarg;
			break;
		case OPT_IMAP_FLAG:
			io.flag = optarg;
			break;
		case OPT_IMAP_MOVE:
			io.move_to = optarg;
			break;
		case OPT_IMAP_TIMEOUT:
			errno = 0;
			t = strtoul(optarg, &end, 10);
			if (errno || *end != '\0' || t == 0 || t > 3600) {
				fprintf(stderr, "vouch report ingest: "
				                "--imap-timeout: 1 to 3600\n");
				return CLI_EXIT_USAGE;
			}
			io.timeout = (unsigned)t;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!c.dry_run && (rc = open_store(&c)) != CLI_EXIT_OK)
		return rc;
	if (pwfile != NULL && (password = read_secret(pwfile)) == NULL) {
		vouch_owner_writer_free(c.writer);
		vouch_store_close(c.store);
		return CLI_EXIT_IO;
	}
	io.password = password;
	memset(&cb, 0, sizeof(cb));
	cb.report = on_report;
	cb.problem = on_problem;
	cb.progress = on_progress;
	cb.arg = &c;
	if (vouch_ingest_new(&cb, &c.ing) != VOUCH_OK) {
		vouch_owner_writer_free(c.writer);
		vouch_store_close(c.store);
		free(password);
		return CLI_EXIT_SOFTWARE;
	}
	for (i = optind; i < argc && st == VOUCH_OK; i++) {
		/* files can be read again after a crash: a few hundred
		 * reports per transaction; IMAP flags a message once its
		 * reports are committed: one each */
		vouch_owner_writer_batch(c.writer, is_imap(argv[i]) ? 1 : 256);
		if (strcmp(argv[i], "-") == 0)
			st = vouch_ingest_fd(c.ing, STDIN_FILENO, "-");
		else if (is_imap(argv[i])) {
			st = vouch_ingest_imap(c.ing, argv[i], &io);
			if (st == VOUCH_EINVAL)
				fprintf(stderr,
				    "vouch report ingest: %s: bad IMAP options "
				    "(flag or mailbox name)\n",
				    argv[i]);
		} else
			st = vouch_ingest_path(c.ing, argv[i]);
	}
	if (c.writer != NULL &&
	    (fst = vouch_owner_flush(c.writer)) != VOUCH_OK) {
		fprintf(stderr, "vouch report ingest: store: %s\n",
		    vouch_store_errmsg(c.store));
		if (st == VOUCH_OK)
			st = fst;
	}
	bar_clear(&c);
	print_counts(&c);
	if (st == VOUCH_EINVAL)
		rc = CLI_EXIT_USAGE;
	else if (st == VOUCH_EIO || c.io_error)
		rc = CLI_EXIT_IO;
	else if (st != VOUCH_OK)
		rc = CLI_EXIT_SOFTWARE;
	else if (c.refused)
		rc = CLI_EXIT_DATAERR;
	else
		rc = CLI_EXIT_OK;
	if (st != VOUCH_OK && st != VOUCH_EIO && st != VOUCH_EINVAL)
		fprintf(stderr, "vouch report ingest: stopped: %s\n",
		    vouch_status_str(st));
	vouch_ingest_free(c.ing);
	vouch_owner_writer_free(c.writer);
	vouch_store_close(c.store);
	free(password);
	return rc;
}
