/*
 * vouch report generate|send|list|show|suppress: the receiver's side of
 * DMARC aggregate reporting (RFC 9990).  Option parsing and printing only;
 * the work is vouch_report_*() (report.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"

int
cli_parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	char *end;
	long long v;
	const char *p;

	errno = 0;
	v = strtoll(s, &end, 10);
	/* all digits: UNIX seconds; a date has dashes */
	if (*s != '\0' && *end == '\0' && errno == 0 && v >= 0) {
		*out = v;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%d", &tm);
	if (p != NULL && *p == 'T')
		p = strptime(p + 1, "%H:%M:%S", &tm);
	if (p != NULL && *p == 'Z')
		p++;
	if (p == NULL || *p != '\0')
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static int
store_open(const char *db, const char *cmd, struct vouch_store **s)
{
	char err[512] = "";
	enum vouch_status st = vouch_store_open(db, 0, s, err, sizeof(err));

	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch report %s: %s\n", cmd,
		    err[0] ? err : vouch_status_str(st));
		return cli_store_exit(st);
	}
	return 0;
}

/* ---- generate ---------------------------------------------------------- */

static void
generate_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch report generate --org-name NAME --email ADDR\n"
	    "                             [--from T --to T] [--out DIR] "
	    "[--db URL]\n"
	    "                             [--submitter DOMAIN] "
	    "[--extra-contact TEXT]\n"
	    "                             [--interval SECONDS] [--rfc7489] "
	    "[--force]\n"
	    "\n"
	    "Builds one DMARC aggregate report (RFC 9990) per policy domain "
	    "and\n"
	    "interval from the evaluations recorded in the store, and keeps "
	    "them there\n"
	    "for 'vouch report send'.  Intervals are UTC days (end = begin + "
	    "86399)\n"
	    "and never overlap; a report already made is kept as it was.\n"
	    "  --org-name NAME     the Reporting Organization\n"
	    "  --email ADDR        its contact address (also the reports' "
	    "From)\n"
	    "  --from T, --to T    the intervals inside [T, T): UNIX seconds, "
	    "YYYY-MM-DD\n"
	    "                      or YYYY-MM-DDTHH:MM:SSZ (UTC); default: "
	    "the seven\n"
	    "                      days before the current one\n"
	    "  --out DIR           also write each report file to DIR\n"
	    "  --db URL            the store (default $VOUCH_DB, else %s)\n"
	    "  --submitter DOMAIN  the receiver's domain in file names and "
	    "Subject\n"
	    "                      (default: the domain of --email)\n"
	    "  --extra-contact TEXT  extra_contact_info\n"
	    "  --interval SECONDS  a divisor of 86400 (default 86400)\n"
	    "  --rfc7489           the RFC 7489 format (pass written none, "
	    "policy_test_mode\n"
	    "                      written local_policy)\n"
	    "  --force             make again reports not yet accepted by any "
	    "destination\n"
	    "Exit status: 0 done, 64 usage, 69 store unavailable, 74 store or "
	    "file error,\n"
	    "65 a report too large (the others are made), 70 internal "
	    "error.\n",
	    VOUCH_STORE_DEFAULT_PATH);
}

int
cmd_report_generate(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"org-name", required_argument, NULL, 'o'},
	    {"email", required_argument, NULL, 'e'},
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"out", required_argument, NULL, 'O'},
	    {"db", required_argument, NULL, 'd'},
	    {"submitter", required_argument, NULL, 's'},
	    {"extra-contact", required_argument, NULL, 'x'},
	    {"interval", required_argument, NULL, 'i'},
	    {"rfc7489", no_argument, NULL, '7'},
	    {"force", no_argument, NULL, 'F'}, {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	struct vouch_report_options o;
	struct vouch_report_summary sum;
	struct vouch_store *s = NULL;
	const char *db = NULL;
	char err[512] = "", *end;
	int ch, rc, have_from = 0, have_to = 0;
	unsigned long iv;
	enum vouch_status st;
	int64_t now;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			o.meta.org_name = optarg;
			break;
		case 'e':
			o.meta.email = optarg;
			break;
		case 'f':
		case 't':
			if (cli_parse_time(
			        optarg, ch == 'f' ? &o.from : &o.to) < 0) {
				fprintf(stderr,
				    "vouch report generate: bad time '%s'\n",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			if (ch == 'f')
				have_from = 1;
			else
				have_to = 1;
			break;
		case 'O':
			o.out_dir = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 's':
			o.meta.submitter = optarg;
			break;
		case 'x':
			o.meta.extra_contact_info = optarg;
			break;
		case 'i':
			errno = 0;
			iv = strtoul(optarg, &end, 10);
			if (errno || *end || iv == 0 || iv > 86400) {
				fprintf(stderr,
				    "vouch report generate: bad --interval\n");
				return CLI_EXIT_USAGE;
			}
			o.interval = (unsigned)iv;
			break;
		case '7':
			o.rfc7489 = true;
			break;
		case 'F':
			o.force = true;
			break;
		case 'h':
			generate_usage(stdout);
			return CLI_EXIT_OK;
		default:
			generate_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc || o.meta.org_name == NULL || o.meta.email == NULL) {
		fprintf(stderr, "vouch report generate: --org-name and --email "
		                "are required\n");
		generate_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	now = (int64_t)time(NULL);
	iv = o.interval ? o.interval : 86400;
	if (!have_to)
		o.to = now / (int64_t)iv * (int64_t)iv;
	if (!have_from)
		o.from = o.to - 7 * 86400;
	if (o.from >= o.to) {
		fprintf(stderr, "vouch report generate: --from must be before "
		                "--to, which is exclusive (--from 2026-12-07 "
		                "--to 2026-12-08 is the day of 7 December)\n");
		return CLI_EXIT_USAGE;
	}
	if ((rc = store_open(db, "generate", &s)) != 0)
		return rc;
	st = vouch_report_generate(s, &o, &sum, err, sizeof(err));
	vouch_store_close(s);
	if (st != VOUCH_OK)
		fprintf(stderr, "vouch report generate: %s\n",
		    err[0] ? err : vouch_status_str(st));
	if (st == VOUCH_OK || st == VOUCH_ELIMIT)
		printf("%u report%s made (%" PRIu64 " record%s, %" PRIu64
		       " message%s), %u kept, %u suppressed, %u without "
		       "destination, %u interval%s\n",
		    sum.reports, cli_plural(sum.reports), sum.records,
		    cli_plural(sum.records), sum.messages,
		    cli_plural(sum.messages), sum.kept, sum.suppressed,
		    sum.no_destination, sum.intervals,
		    cli_plural(sum.intervals));
	switch (st) {
	case VOUCH_OK:
		return CLI_EXIT_OK;
	case VOUCH_EINVAL:
		return CLI_EXIT_USAGE;
	case VOUCH_ELIMIT:
		return CLI_EXIT_DATAERR;
	case VOUCH_EIO:
		return CLI_EXIT_IO;
	default:
		return CLI_EXIT_SOFTWARE;
	}
}

/* ---- send -------------------------------------------------------------- */

static void
send_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch report send [--db URL] [--sendmail PATH | --smtp "
	    "URL]\n"
	    "                         [--from ADDR] [--dkim-key FILE "
	    "--dkim-domain D\n"
	    "                         --selector S] [--zone FILE | "
	    "--dns-server ADDR]\n"
	    "                         [--rfc7489] [--now T] [--max-attempts "
	    "N]\n"
	    "                         [--retry SECONDS] [--timeout SECONDS]\n"
	    "\n"
	    "Delivers every generated report to each of its destinations "
	    "that is due,\n"
	    "as a MIME message (RFC 9990 3.5.2) DKIM-signed so that it passes "
	    "aligned\n"
	    "DMARC.  The external destination check (RFC 9990 4) is made "
	    "again first.\n"
	    "A report accepted is never sent again; a permanent refusal (5xx) "
	    "is kept\n"
	    "and not retried; a temporary one is retried on later runs, at "
	    "most\n"
	    "--max-attempts times (default %d).\n"
	    "  --sendmail PATH     deliver through this sendmail program "
	    "(default\n"
	    "                      /usr/sbin/sendmail; run without a shell)\n"
	    "  --smtp URL          deliver to a relay: smtp://host[:port]\n"
	    "  --from ADDR         the From and envelope sender (default: the "
	    "report's\n"
	    "                      --email)\n"
	    "  --dkim-key FILE, --dkim-domain D, --selector S  the signing key "
	    "(d= must\n"
	    "                      align with the From domain)\n"
	    "  --zone FILE, --dns-server ADDR  DNS for the destination check\n"
	    "  --rfc7489           Organizational Domains by the Public Suffix "
	    "List\n"
	    "  --now T             the time (tests)\n"
	    "  --retry SECONDS     the wait after a temporary failure (default "
	    "3600)\n"
	    "  --timeout SECONDS   per delivery (default 300)\n"
	    "Prints one line: how many deliveries were sent, deferred, "
	    "failed,\n"
	    "suppressed and unauthorized, then how many wait for their retry "
	    "time\n"
	    "and when the first is due.  Exit status: 0 the run was made\n"
	    "(deliveries that failed are recorded), 64 usage, 69 store "
	    "unavailable,\n"
	    "74 store error, 70 internal error.\n",
	    VOUCH_REPORT_MAX_ATTEMPTS);
}

static int
parse_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > 100000000UL)
		return -1;
	*out = (unsigned)v;
	return 0;
}

struct send_args {
	struct vouch_report_send_options o;
	const char *db, *zone, *server, *keyfile;
};

static int
send_parse(int argc, char **argv, struct send_args *a)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"sendmail", required_argument, NULL, 'm'},
	    {"smtp", required_argument, NULL, 'S'},
	    {"from", required_argument, NULL, 'f'},
	    {"dkim-key", required_argument, NULL, 'k'},
	    {"dkim-domain", required_argument, NULL, 'D'},
	    {"selector", required_argument, NULL, 's'},
	    {"zone", required_argument, NULL, 'z'},
	    {"dns-server", required_argument, NULL, 'n'},
	    {"rfc7489", no_argument, NULL, '7'},
	    {"now", required_argument, NULL, 'N'},
	    {"max-attempts", required_argument, NULL, 'a'},
	    {"retry", required_argument, NULL, 'r'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int ch, bad = 0;

	a->o.transport = VOUCH_REPORT_SENDMAIL;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			a->db = optarg;
			break;
		case 'm':
			a->o.transport = VOUCH_REPORT_SENDMAIL;
			a->o.sendmail = optarg;
			break;
		case 'S':
			a->o.transport = VOUCH_REPORT_SMTP;
			a->o.smtp_url = optarg;
			break;
		case 'f':
			a->o.from = optarg;
			break;
		case 'k':
			a->keyfile = optarg;
			break;
		case 'D':
			a->o.dkim_domain = optarg;
			break;
		case 's':
			a->o.selector = optarg;
			break;
		case 'z':
			a->zone = optarg;
			break;
		case 'n':
			a->server = optarg;
			break;
		case '7':
			a->o.mode = VOUCH_DMARC_MODE_RFC7489;
			break;
		case 'N':
			bad |= cli_parse_time(optarg, &a->o.now) < 0;
			break;
		case 'a':
			bad |= parse_uint(optarg, &a->o.max_attempts) < 0;
			break;
		case 'r':
			bad |= parse_uint(optarg, &a->o.retry_seconds) < 0;
			break;
		case 't':
			bad |= parse_uint(optarg, &a->o.timeout) < 0;
			break;
		case 'h':
			send_usage(stdout);
			return -2;
		default:
			send_usage(stderr);
			return -1;
		}
	}
	if (bad || optind != argc) {
		fprintf(stderr, "vouch report send: bad arguments\n");
		return -1;
	}
	if (a->keyfile != NULL &&
	    (a->o.dkim_domain == NULL || a->o.selector == NULL)) {
		fprintf(stderr, "vouch report send: --dkim-key needs "
		                "--dkim-domain and --selector\n");
		return -1;
	}
	return 0;
}

/*
 * The end of the summary line: deliveries waiting for their retry time,
 * this run's deferred and earlier ones not yet due, so that a run that
 * tried nothing ("0 deferred") does not read as if nothing waits.
 */
static void
print_waiting(const struct vouch_report_send_summary *sum)
{
	char when[32] = "?";
	time_t tt = (time_t)sum->next_retry;
	struct tm tm;

	if (sum->waiting == 0) {
		printf(", 0 waiting\n");
		return;
	}
	if (gmtime_r(&tt, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf(", %u waiting for their retry time (the first at %s)\n",
	    sum->waiting, when);
}

int
cmd_report_send(int argc, char **argv)
{
	struct send_args a;
	struct vouch_report_send_summary sum;
	struct vouch_dkim_key *key = NULL;
	struct vouch_dns *dns = NULL;
	struct vouch_store *s = NULL;
	char err[512] = "";
	enum vouch_status st;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = send_parse(argc, argv, &a)) != 0)
		return rc == -2 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	/* a usage error is said before any file or store is opened */
	if (a.o.transport == VOUCH_REPORT_SMTP &&
	    (st = vouch_report_smtp_url_check(
	         a.o.smtp_url, err, sizeof(err))) != VOUCH_OK) {
		fprintf(stderr, "vouch report send: %s\n",
		    err[0] ? err : vouch_status_str(st));
		return st == VOUCH_EINVAL ? CLI_EXIT_USAGE
		                          : CLI_EXIT_UNAVAILABLE;
	}
	if (a.keyfile != NULL) {
		st =
		    vouch_dkim_key_load_file(a.keyfile, &key, err, sizeof(err));
		if (st != VOUCH_OK) {
			fprintf(stderr, "vouch report send: %s\n",
			    err[0] ? err : vouch_status_str(st));
			return st == VOUCH_EIO ? CLI_EXIT_IO : CLI_EXIT_DATAERR;
		}
		a.o.key = key;
	}
	if ((rc = cli_open_dns(a.zone, a.server, &dns)) != 0)
		goto out;
	a.o.dns = dns;
	if ((rc = store_open(a.db, "send", &s)) != 0)
		goto out;
	st = vouch_report_send(s, &a.o, &sum, err, sizeof(err));
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch report send: %s\n",
		    err[0] ? err : vouch_status_str(st));
		rc = st == VOUCH_EINVAL         ? CLI_EXIT_USAGE
		     : st == VOUCH_EIO          ? CLI_EXIT_IO
		     : st == VOUCH_EUNSUPPORTED ? CLI_EXIT_UNAVAILABLE
		                                : CLI_EXIT_SOFTWARE;
	} else {
		printf("%u sent, %u deferred, %u failed, %u suppressed, %u "
		       "unauthorized",
		    sum.sent, sum.deferred, sum.failed, sum.suppressed,
		    sum.unauthorized);
		print_waiting(&sum);
		rc = CLI_EXIT_OK;
	}
out:
	vouch_store_close(s);
	vouch_dns_free(dns);
	vouch_dkim_key_free(key);
	return rc;
}

/* ---- list ---------------------------------------------------------------- */

struct list_state {
	int json, n;
};

static void
jstr(const char *s)
{
	cli_json_str(stdout, s, CLI_JSON_8BIT_LATIN1);
}

static int
list_one(void *arg, const struct vouch_report_delivery *d)
{
	struct list_state *ls = arg;

	if (!ls->json) {
		char code[16] = "-"; /* 0: no reply code (none yet, no reply) */

		if (d->last_code != 0)
			snprintf(code, sizeof(code), "%d", d->last_code);
		ls->n++;
		printf("%" PRId64 " %" PRId64 " %s %s %" PRIu64 " %" PRIu64
		       " %s %s %u %s %s\n",
		    d->begin, d->end, d->policy_domain, d->report_id,
		    d->records, d->messages,
		    d->destination[0] ? d->destination : "-",
		    d->status[0] ? d->status : "-", d->attempts, code,
		    d->last_text[0] ? d->last_text : "-");
		return 0;
	}
	printf("%s{\"policy_domain\":", ls->n++ ? "," : "");
	jstr(d->policy_domain);
	printf(",\"begin\":%" PRId64 ",\"end\":%" PRId64 ",\"report_id\":",
	    d->begin, d->end);
	jstr(d->report_id);
	printf(",\"filename\":");
	jstr(d->filename);
	printf(",\"records\":%" PRIu64 ",\"messages\":%" PRIu64
	       ",\"destination\":",
	    d->records, d->messages);
	jstr(d->destination);
	printf(",\"status\":");
	jstr(d->status);
	printf(",\"attempts\":%u,\"last_code\":%d,\"last_text\":", d->attempts,
	    d->last_code);
	jstr(d->last_text);
	printf("}\n");
	return 0;
}

int
cmd_report_list(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	struct list_state ls = {0, 0};
	struct vouch_store *s = NULL;
	const char *db = NULL;
	enum vouch_status st;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'j':
			ls.json = 1;
			break;
		case 'h':
			printf("usage: vouch report list [--db URL] [--json]\n"
			       "One line per delivery: begin end policy-domain "
			       "report-id records\nmessages destination status "
			       "attempts last-code last-text (last-code -: "
			       "none).\n");
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return CLI_EXIT_USAGE;
	if ((rc = store_open(db, "list", &s)) != 0)
		return rc;
	if (ls.json)
		printf("[");
	st = vouch_report_list(s, list_one, &ls);
	if (ls.json)
		printf("]\n");
	/* on stderr: stdout stays one line per delivery, for scripts */
	if (st == VOUCH_OK && !ls.json && ls.n == 0)
		fprintf(stderr, "vouch report list: no reports (vouch report "
		                "generate makes them)\n");
	if (st != VOUCH_OK)
		fprintf(
		    stderr, "vouch report list: %s\n", vouch_store_errmsg(s));
	vouch_store_close(s);
	return st == VOUCH_OK ? CLI_EXIT_OK : CLI_EXIT_IO;
}

/* ---- show ------------------------------------------------------------- */

int
cmd_report_show(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct vouch_store *s = NULL;
	const char *db = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	enum vouch_status st;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'h':
			printf(
			    "usage: vouch report show [--db URL] REPORT_ID\n"
			    "Writes the report file (gzip-compressed XML) to "
			    "standard output.\n");
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return CLI_EXIT_USAGE;
	if ((rc = store_open(db, "show", &s)) != 0)
		return rc;
	st = vouch_report_content(s, argv[optind], &buf, &len, NULL);
	vouch_store_close(s);
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch report show: %s: %s\n", argv[optind],
		    st == VOUCH_ENOTFOUND ? "no such report"
		                          : vouch_status_str(st));
		return st == VOUCH_ENOTFOUND ? CLI_EXIT_DATAERR : CLI_EXIT_IO;
	}
	rc = fwrite(buf, 1, len, stdout) == len && fflush(stdout) == 0
	         ? CLI_EXIT_OK
	         : CLI_EXIT_IO;
	free(buf);
	return rc;
}

/* ---- suppress ----------------------------------------------------------- */

static const char *const suppress_verbs[] = {"add", "remove", "list"};

static void
suppress_usage(FILE *fp, const char *verb)
{
	if (verb == NULL || strcmp(verb, "list") != 0)
		fprintf(fp,
		    "usage: vouch report suppress %s (--destination "
		    "ADDR|DOMAIN |\n"
		    "           --domain POLICY-DOMAIN) [--comment TEXT] "
		    "[--db URL]\n",
		    verb ? verb : "add|remove");
	if (verb == NULL || strcmp(verb, "list") == 0)
		fprintf(fp,
		    "%s vouch report suppress list [--db URL] [--json]\n",
		    verb ? "usage:" : "      ");
}

static int
suppress_verb(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(suppress_verbs) / sizeof(suppress_verbs[0]); i++)
		if (strcmp(s, suppress_verbs[i]) == 0)
			return 1;
	return 0;
}

static int
suppress_list_one(void *arg, const struct vouch_report_suppression *e)
{
	struct list_state *ls = arg;
	const char *kind =
	    e->kind == VOUCH_REPORT_SUPPRESS_DOMAIN ? "domain" : "destination";

	if (!ls->json) {
		ls->n++;
		printf("%s %s %" PRId64 " %s\n", kind, e->value, e->added_at,
		    e->comment && e->comment[0] ? e->comment : "-");
		return 0;
	}
	printf("%s{\"kind\":\"%s\",\"value\":", ls->n++ ? "," : "", kind);
	jstr(e->value);
	printf(",\"added_at\":%" PRId64 ",\"comment\":", e->added_at);
	if (e->comment)
		jstr(e->comment);
	else
		printf("null");
	printf("}\n");
	return 0;
}

/* vouch report suppress list: both lists, one line an entry. */
static int
suppress_list(const char *db, int json)
{
	struct list_state ls = {json, 0};
	struct vouch_store *s = NULL;
	enum vouch_status st;
	int rc;

	if ((rc = store_open(db, "suppress list", &s)) != 0)
		return rc;
	if (json)
		printf("[");
	st = vouch_report_suppress_list(s, suppress_list_one, &ls);
	if (json)
		printf("]\n");
	/* on stderr: stdout stays one line per entry, for scripts */
	if (st == VOUCH_OK && !json && ls.n == 0)
		fprintf(stderr, "vouch report suppress list: both lists are "
		                "empty\n");
	if (st != VOUCH_OK)
		fprintf(stderr, "vouch report suppress list: %s\n",
		    vouch_store_errmsg(s));
	vouch_store_close(s);
	return st == VOUCH_OK ? CLI_EXIT_OK : CLI_EXIT_IO;
}

int
cmd_report_suppress(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"destination", required_argument, NULL, 'D'},
	    {"domain", required_argument, NULL, 'p'},
	    {"comment", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	static char name[48];
	enum vouch_report_suppress_kind kind = 0;
	struct vouch_store *s = NULL;
	const char *db = NULL, *value = NULL, *comment = NULL, *verb = NULL;
	enum vouch_status st;
	int ch, rc, json = 0;

	/* the verb first, as documented: getopt's messages then name it
	 * ("vouch report suppress add: unrecognized option"); a verb after
	 * the options is still read below */
	if (argc > 1 && suppress_verb(argv[1])) {
		verb = argv[1];
		argc--;
		argv++;
		cli_name_command(
		    argv, "vouch report suppress", name, sizeof(name));
	}
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'D':
		case 'p':
			kind = ch == 'D' ? VOUCH_REPORT_SUPPRESS_DESTINATION
			                 : VOUCH_REPORT_SUPPRESS_DOMAIN;
			value = optarg;
			break;
		case 'c':
			comment = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			suppress_usage(stdout, verb);
			printf("A suppressed destination (an address, or every "
			       "address at a domain) is\nnever sent a report; "
			       "a suppressed policy domain (and its "
			       "subdomains) gets\nno report.  list: one line "
			       "an entry: kind value added-at comment.\n");
			return CLI_EXIT_OK;
		default:
			suppress_usage(stderr, verb);
			return CLI_EXIT_USAGE;
		}
	}
	if (verb == NULL && optind + 1 == argc && suppress_verb(argv[optind]))
		verb = argv[optind++];
	if (verb == NULL || optind != argc ||
	    (strcmp(verb, "list") == 0) != (value == NULL) ||
	    (json && strcmp(verb, "list") != 0) ||
	    (comment && strcmp(verb, "list") == 0)) {
		suppress_usage(stderr, verb);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(verb, "list") == 0)
		return suppress_list(db, json);
	if ((rc = store_open(db, "suppress", &s)) != 0)
		return rc;
	st = vouch_report_suppress(
	    s, kind, value, comment, !strcmp(verb, "add"));
	if (st != VOUCH_OK)
		fprintf(stderr, "vouch report suppress: %s: %s\n", value,
		    st == VOUCH_EINVAL      ? "not an address or domain name"
		    : st == VOUCH_ENOTFOUND ? "not on the list"
		                            : vouch_store_errmsg(s));
	vouch_store_close(s);
	return st == VOUCH_OK          ? CLI_EXIT_OK
	       : st == VOUCH_EINVAL    ? CLI_EXIT_USAGE
	       : st == VOUCH_ENOTFOUND ? CLI_EXIT_DATAERR
	                               : CLI_EXIT_IO;
}
