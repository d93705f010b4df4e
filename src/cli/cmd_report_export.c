/*
 * vouch report export: the stored rows of ingested reports as CSV (RFC
 * 4180) or JSON (RFC 8259), for other tools.  One row per record and UTC
 * day, with its report's metadata beside it.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "report.h"
#include "vouch/owner.h"
#include "vouch/store.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch report export --format csv|json [--db URL]\n"
	    "                           [--domain DOMAIN] [--since TIME]\n"
	    "                           [--until TIME] [-o FILE]\n"
	    "\n"
	    "Writes every stored row of the ingested aggregate reports: one\n"
	    "per record and UTC day (a report spanning several days has its\n"
	    "counts split between them), with the report's reporter,\n"
	    "report_id, policy domain, date_range and policy_published.\n"
	    "\n"
	    "  --format csv   RFC 4180, a header line first; dkim, spf and\n"
	    "                 reasons hold entries DOMAIN:SELECTOR:RESULT,\n"
	    "                 DOMAIN:SCOPE:RESULT and TYPE:COMMENT separated\n"
	    "                 by ' '\n"
	    "  --format json  one JSON array of objects, every field\n"
	    "  --domain D     the rows of policy domain D only\n"
	    "  --since TIME   days from TIME on (YYYY-MM-DD, an ISO 8601 UTC\n"
	    "                 time, UNIX seconds, or 30d / 12h ago)\n"
	    "  --until TIME   days before TIME\n"
	    "  -o FILE        write to FILE instead of standard output\n"
	    "  --db URL       the store (default $VOUCH_DB, see vouch(1))\n"
	    "Exit status: 0 written, 64 usage, 69 no store, 74 the store or\n"
	    "the output failed.\n");
}

struct export
{
	FILE *fp;
	int json;
	unsigned long n;
};

/* A CSV field (RFC 4180 §2): quoted when it holds a comma, quote, CR
 * or LF; NULL is an empty field. */
static void
csv_field(FILE *fp, const char *s, int last)
{
	const char *p;

	if (s != NULL && strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', fp);
		for (p = s; *p != '\0'; p++) {
			if (*p == '"')
				fputc('"', fp);
			fputc(*p, fp);
		}
		fputc('"', fp);
	} else if (s != NULL) {
		fputs(s, fp);
	}
	fputs(last ? "\r\n" : ",", fp);
}

static void
csv_num(FILE *fp, long long v)
{
	fprintf(fp, "%lld,", v);
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static void
csv_lists(FILE *fp, const struct vouch_feedback_record *r)
{
	char buf[8192];
	size_t i, n;

	buf[0] = '\0';
	for (i = n = 0; i < r->ndkim && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s:%s:%s",
		    i ? " " : "", nz(r->dkim_results[i].domain),
		    nz(r->dkim_results[i].selector),
		    nz(r->dkim_results[i].result));
	csv_field(fp, buf, 0);
	buf[0] = '\0';
	for (i = n = 0; i < r->nspf && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s:%s:%s",
		    i ? " " : "", nz(r->spf_results[i].domain),
		    nz(r->spf_results[i].scope), nz(r->spf_results[i].result));
	csv_field(fp, buf, 0);
	buf[0] = '\0';
	for (i = n = 0; i < r->nreasons && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s:%s",
		    i ? " " : "", nz(r->reasons[i].type),
		    nz(r->reasons[i].comment));
	csv_field(fp, buf, 1);
}

static const char csv_header[] =
    "org_name,email,report_id,policy_domain,begin,end,p,sp,np,adkim,aspf,"
    "pct,day,source_ip,count,disposition,dkim_aligned,spf_aligned,"
    "header_from,envelope_from,envelope_to,dkim,spf,reasons\r\n";

static void
csv_row(FILE *fp, const struct vouch_owner_row *row)
{
	const struct vouch_feedback_record *r = &row->record;
	char day[16], pct[16];

	report_day_str(row->day, day, sizeof(day));
	csv_field(fp, row->org_name, 0);
	csv_field(fp, row->email, 0);
	csv_field(fp, row->report_id, 0);
	csv_field(fp, row->policy_domain, 0);
	csv_num(fp, (long long)row->begin);
	csv_num(fp, (long long)row->end);
	csv_field(fp, row->p, 0);
	csv_field(fp, row->sp, 0);
	csv_field(fp, row->np, 0);
	csv_field(fp, row->adkim, 0);
	csv_field(fp, row->aspf, 0);
	snprintf(pct, sizeof(pct), "%d", row->pct);
	csv_field(fp, row->pct >= 0 ? pct : NULL, 0);
	csv_field(fp, day, 0);
	csv_field(fp, r->source_ip, 0);
	csv_num(fp, (long long)r->count);
	csv_field(fp, r->disposition, 0);
	csv_field(fp, r->dkim, 0);
	csv_field(fp, r->spf, 0);
	csv_field(fp, r->header_from, 0);
	csv_field(fp, r->envelope_from, 0);
	csv_field(fp, r->envelope_to, 0);
	csv_lists(fp, r);
}

static void
json_row(FILE *fp, const struct vouch_owner_row *row, unsigned long n)
{
	const struct vouch_feedback_record *r = &row->record;
	char day[16];

	report_day_str(row->day, day, sizeof(day));
	fputs(n ? ",\n" : "\n", fp);
	cli_json_member(
	    fp, "{\"report\":{", "org_name", row->org_name, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "email", row->email, CLI_JSON_8BIT_UTF8);
	cli_json_member(
	    fp, ",", "report_id", row->report_id, CLI_JSON_8BIT_UTF8);
	cli_json_member(
	    fp, ",", "policy_domain", row->policy_domain, CLI_JSON_8BIT_UTF8);
	fprintf(fp, ",\"begin\":%lld,\"end\":%lld", (long long)row->begin,
	    (long long)row->end);
	cli_json_member(
	    fp, ",\"policy_published\":{", "p", row->p, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "sp", row->sp, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "np", row->np, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "adkim", row->adkim, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "aspf", row->aspf, CLI_JSON_8BIT_UTF8);
	if (row->pct >= 0)
		fprintf(fp, ",\"pct\":%d", row->pct);
	else
		fputs(",\"pct\":null", fp);
	cli_json_member(fp, ",", "testing", row->testing, CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, ",", "discovery_method", row->discovery_method,
	    CLI_JSON_8BIT_UTF8);
	cli_json_member(fp, "}},", "day", day, CLI_JSON_8BIT_UTF8);
	fprintf(fp, ",\"day_start\":%lld", (long long)row->day);
	cli_json_member(fp, ",", "source_ip", r->source_ip, CLI_JSON_8BIT_UTF8);
	cli_json_feedback_evaluated(fp, r, CLI_JSON_8BIT_UTF8);
	cli_json_feedback_identifiers(fp, r, CLI_JSON_8BIT_UTF8);
	cli_json_feedback_reasons(fp, r, CLI_JSON_8BIT_UTF8);
	cli_json_feedback_auth_results(fp, r, CLI_JSON_8BIT_UTF8);
	fputc('}', fp);
}

static enum vouch_status
on_row(void *arg, const struct vouch_owner_row *row)
{
	struct export *e = arg;

	if (e->json)
		json_row(e->fp, row, e->n);
	else
		csv_row(e->fp, row);
	e->n++;
	return ferror(e->fp) ? VOUCH_EIO : VOUCH_OK;
}

int
cmd_report_export(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"format", required_argument, NULL, 'f'},
	    {"domain", required_argument, NULL, 'D'},
	    {"since", required_argument, NULL, 's'},
	    {"until", required_argument, NULL, 'u'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct vouch_owner_query q;
	struct vouch_store *s = NULL;
	struct export e;
	enum vouch_status st;
	const char *db = NULL, *format = NULL, *out = NULL;
	int ch, rc;

	memset(&q, 0, sizeof(q));
	memset(&e, 0, sizeof(e));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			db = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'D':
			q.domain = optarg;
			break;
		case 's':
		case 'u':
			if (report_parse_time(
			        optarg, ch == 's' ? &q.since : &q.until) != 0) {
				fprintf(stderr,
				    "vouch report export: %s: not a time\n",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (cli_unexpected_args("vouch report export", optind, argc, argv)) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (format == NULL ||
	    (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)) {
		if (format == NULL)
			fprintf(stderr, "vouch report export: --format csv or "
			                "json is required\n");
		else
			fprintf(stderr,
			    "vouch report export: --format %s: csv or json\n",
			    format);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	/* a day is filed by its 00:00 UTC: --since within a day keeps it */
	q.since -= q.since % 86400;
	e.json = strcmp(format, "json") == 0;
	if ((rc = report_open_store("export", db, &s)) != CLI_EXIT_OK)
		return rc;
	e.fp = stdout;
	if (out != NULL && (e.fp = fopen(out, "w")) == NULL) {
		perror(out);
		vouch_store_close(s);
		return CLI_EXIT_IO;
	}
	fputs(e.json ? "[" : csv_header, e.fp);
	st = vouch_owner_rows(s, &q, on_row, &e);
	fputs(e.json ? "\n]\n" : "", e.fp);
	rc = CLI_EXIT_OK;
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch report export: %s\n",
		    vouch_store_errmsg(s)[0] ? vouch_store_errmsg(s)
		                             : vouch_status_str(st));
		rc = st == VOUCH_ENOTFOUND ? CLI_EXIT_UNAVAILABLE : CLI_EXIT_IO;
	}
	if ((e.fp != stdout ? fclose(e.fp) : fflush(e.fp)) != 0 &&
	    rc == CLI_EXIT_OK) {
		perror(out != NULL ? out : "stdout");
		rc = CLI_EXIT_IO;
	}
	vouch_store_close(s);
	return rc;
}
