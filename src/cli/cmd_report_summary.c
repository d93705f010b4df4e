/*
 * vouch report summary: for a person deciding whether to tighten their
 * DMARC policy.  Every source of the domain's ingested reports in one of
 * four buckets, what needs action first, and what p=quarantine or
 * p=reject would do today.  The work is vouch_owner_summarize (owner.h).
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
	    "usage: vouch report summary --domain DOMAIN [--since TIME]\n"
	    "                            [--until TIME] [--json] [--db URL]\n"
	    "                            [--zone FILE | --dns-server ADDR |\n"
	    "                             --no-dns] [--dns-concurrency N]\n"
	    "                            [--psl FILE]\n"
	    "\n"
	    "Sorts every source (IP address, with its PTR name and that\n"
	    "name's organizational domain, and the reporters that saw it)\n"
	    "of DOMAIN's ingested aggregate reports into four buckets, those\n"
	    "that need action first:\n"
	    "  not compliant  something passed, but not aligned with DOMAIN\n"
	    "                 (a sender of yours not set up): the reasons\n"
	    "  unknown        nothing passed at all\n"
	    "  forwarded      DKIM passed where SPF failed, or the reporter\n"
	    "                 recorded forwarding (ARC, mailing list)\n"
	    "  compliant      DMARC passed (SPF or DKIM, aligned)\n"
	    "then the policy readiness: the messages, and the sources other\n"
	    "than forwarders, that p=quarantine or p=reject would hit today.\n"
	    "\n"
	    "  --domain D       the policy domain (required)\n"
	    "  --since TIME     days from TIME on (YYYY-MM-DD, ISO 8601 UTC,\n"
	    "                   UNIX seconds, or 30d / 12h ago); --until\n"
	    "                   TIME: days before TIME\n"
	    "  --json           print the summary as JSON\n"
	    "  --zone FILE      PTR names from a zone file; --dns-server ADDR\n"
	    "                   from that server; --no-dns: none.  Default:\n"
	    "                   the system's resolver.  Names are kept in the\n"
	    "                   store for their TTL\n"
	    "  --dns-concurrency N  PTR lookups at once (default 8)\n"
	    "  --psl FILE       the Public Suffix List for organizational\n"
	    "                   domains (default: the system's)\n"
	    "  --db URL         the store (default $VOUCH_DB, see vouch(1))\n"
	    "Exit status: 0 printed, 64 usage, 69 no store, 74 the store\n"
	    "failed.\n");
}

static void
jstr(const char *s)
{
	cli_json_str_or_null(stdout, s, CLI_JSON_8BIT_UTF8);
}

static void
jlist(const char *key, const char *const *v, size_t n)
{
	size_t i;

	printf(",\"%s\":[", key);
	for (i = 0; i < n; i++) {
		fputs(i ? "," : "", stdout);
		jstr(v[i]);
	}
	putchar(']');
}

static const char *
bucket_key(enum vouch_owner_bucket b)
{
	static const char *const keys[] = {
	    "not_compliant", "unknown", "forwarded", "compliant"};

	return keys[b];
}

static void
json_source(const struct vouch_owner_source *s)
{
	int b;

	printf("{\"ip\":");
	jstr(s->ip);
	printf(",\"ptr\":");
	jstr(s->ptr[0] ? s->ptr : NULL);
	printf(",\"ptr_org\":");
	jstr(s->ptr_org[0] ? s->ptr_org : NULL);
	printf(",\"bucket\":\"%s\",\"messages\":%llu,\"dmarc_fail\":%llu,"
	       "\"by_bucket\":{",
	    bucket_key(s->bucket), (unsigned long long)s->messages,
	    (unsigned long long)s->dmarc_fail);
	for (b = 0; b < VOUCH_OWNER_NBUCKETS; b++)
		printf("%s\"%s\":%llu", b ? "," : "",
		    bucket_key((enum vouch_owner_bucket)b),
		    (unsigned long long)s->by_bucket[b]);
	putchar('}');
	jlist("reporters", s->reporters, s->nreporters);
	jlist("reasons", s->reasons, s->nreasons);
	jlist("header_from", s->header_from, s->nheader_from);
	putchar('}');
}

static void
json_readiness(const struct vouch_owner_summary *sum,
    const struct vouch_owner_readiness *r, const char *key)
{
	size_t i;

	printf("\"%s\":{\"messages\":%llu,\"percent\":%.1f,\"sources\":[", key,
	    (unsigned long long)r->messages,
	    report_percent(r->messages, sum->messages));
	for (i = 0; i < r->nsources; i++) {
		fputs(i ? "," : "", stdout);
		jstr(sum->sources[r->sources[i]].ip);
	}
	printf("]}");
}

static void
print_json(const struct vouch_owner_summary *sum)
{
	char day[16];
	size_t i;
	int b;

	printf("{\"domain\":");
	jstr(sum->domain);
	printf(",\"since\":%lld,\"until\":%lld,\"reports\":%llu,"
	       "\"messages\":%llu,\"dmarc_pass\":%llu,\"policy\":",
	    (long long)sum->since, (long long)sum->until,
	    (unsigned long long)sum->reports, (unsigned long long)sum->messages,
	    (unsigned long long)sum->dmarc_pass);
	jstr(sum->p);
	printf(",\"buckets\":{");
	for (b = 0; b < VOUCH_OWNER_NBUCKETS; b++)
		printf("%s\"%s\":{\"sources\":%llu,\"messages\":%llu}",
		    b ? "," : "", bucket_key((enum vouch_owner_bucket)b),
		    (unsigned long long)sum->bucket_sources[b],
		    (unsigned long long)sum->bucket_messages[b]);
	printf("},\n\"sources\":[");
	for (i = 0; i < sum->nsources; i++) {
		fputs(i ? ",\n" : "\n", stdout);
		json_source(&sum->sources[i]);
	}
	printf("],\n\"days\":[");
	for (i = 0; i < sum->ndays; i++) {
		const struct vouch_owner_day *d = &sum->days[i];

		report_day_str(d->day, day, sizeof(day));
		printf("%s{\"day\":\"%s\",\"day_start\":%lld,\"messages\":%llu,"
		       "\"dmarc_pass\":%llu,\"dkim_aligned\":%llu,"
		       "\"spf_aligned\":%llu}",
		    i ? "," : "", day, (long long)d->day,
		    (unsigned long long)d->messages,
		    (unsigned long long)d->dmarc_pass,
		    (unsigned long long)d->dkim_aligned,
		    (unsigned long long)d->spf_aligned);
	}
	printf("],\n\"reporters\":[");
	for (i = 0; i < sum->nreporters; i++) {
		printf("%s{\"org_name\":", i ? "," : "");
		jstr(sum->reporters[i].org_name);
		printf(",\"reports\":%llu,\"messages\":%llu}",
		    (unsigned long long)sum->reporters[i].reports,
		    (unsigned long long)sum->reporters[i].messages);
	}
	printf("],\n\"readiness\":{");
	json_readiness(sum, &sum->quarantine, "quarantine");
	putchar(',');
	json_readiness(sum, &sum->reject, "reject");
	printf("},\"ptr_lookups\":%lu}\n", sum->ptr_lookups);
}

static const char *const bucket_note[] = {
    "looks like yours but fails: fix these first",
    "nothing passed: strangers, or hosts of yours unsigned and not in SPF",
    "relayed by others; DKIM or ARC carries them",
    "pass DMARC",
};

static void
human_source(const struct vouch_owner_source *s)
{
	size_t i;

	printf("  %-39s %10llu message%s", s->ip,
	    (unsigned long long)s->messages, cli_plural(s->messages));
	if (s->dmarc_fail > 0)
		printf(
		    ", %llu failed DMARC", (unsigned long long)s->dmarc_fail);
	putchar('\n');
	if (s->ptr[0] != '\0')
		printf("      %s (%s)\n", s->ptr,
		    s->ptr_org[0] ? s->ptr_org : "?");
	if (s->nreporters > 0) {
		printf("      seen by ");
		for (i = 0; i < s->nreporters; i++)
			printf("%s%s", i ? ", " : "", s->reporters[i]);
		putchar('\n');
	}
	if (s->bucket == VOUCH_OWNER_NOT_COMPLIANT ||
	    s->bucket == VOUCH_OWNER_UNKNOWN)
		for (i = 0; i < s->nreasons; i++)
			printf("      why: %s\n", s->reasons[i]);
}

/* With --no-dns, ptr is empty because it was not looked up. */
static void
print_human(const struct vouch_owner_summary *sum, const struct report_owner *o)
{
	const struct vouch_owner_readiness *r = &sum->quarantine;
	size_t i;
	int b;

	if (sum->reports == 0) {
		printf("%s: no reports%s (vouch report ingest reads them)\n",
		    sum->domain,
		    o->since || o->until ? " in the period asked" : "");
		return;
	}
	printf("%s: %llu message%s in %llu report%s from %llu reporter%s; "
	       "%llu (%.1f%%) passed DMARC\n",
	    sum->domain, (unsigned long long)sum->messages,
	    cli_plural(sum->messages), (unsigned long long)sum->reports,
	    cli_plural(sum->reports), (unsigned long long)sum->nreporters,
	    cli_plural(sum->nreporters), (unsigned long long)sum->dmarc_pass,
	    report_percent(sum->dmarc_pass, sum->messages));
	for (b = 0; b < VOUCH_OWNER_NBUCKETS; b++) {
		if (sum->bucket_sources[b] == 0)
			continue;
		printf("\n%s: %llu source%s, %llu message%s (%s)\n",
		    vouch_owner_bucket_str((enum vouch_owner_bucket)b),
		    (unsigned long long)sum->bucket_sources[b],
		    cli_plural(sum->bucket_sources[b]),
		    (unsigned long long)sum->bucket_messages[b],
		    cli_plural(sum->bucket_messages[b]), bucket_note[b]);
		for (i = 0; i < sum->nsources; i++)
			if ((int)sum->sources[i].bucket == b)
				human_source(&sum->sources[i]);
	}
	printf("\npolicy readiness (published now: p=%s)\n",
	    sum->p != NULL && sum->p[0] ? sum->p : "?");
	if (r->messages == 0) {
		printf("  p=quarantine or p=reject today: no message of a "
		       "source other than forwarders would be hit\n");
		return;
	}
	printf("  p=quarantine today: %llu message%s (%.1f%%) from %zu "
	       "source%s would go to spam\n",
	    (unsigned long long)r->messages, cli_plural(r->messages),
	    report_percent(r->messages, sum->messages), r->nsources,
	    cli_plural(r->nsources));
	printf("  p=reject today: the same %llu message%s would be refused\n",
	    (unsigned long long)sum->reject.messages,
	    cli_plural(sum->reject.messages));
	for (i = 0; i < r->nsources; i++) {
		const struct vouch_owner_source *s =
		    &sum->sources[r->sources[i]];

		printf("    %-39s %10llu  %s%s\n", s->ip,
		    (unsigned long long)s->dmarc_fail, s->ptr,
		    s->ptr[0]  ? ""
		    : o->nodns ? "(PTR not looked up)"
		               : "(no PTR)");
	}
}

int
cmd_report_summary(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"domain", required_argument, NULL, 'D'},
	    {"json", no_argument, NULL, 'j'},
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
	struct vouch_owner_summary *sum = NULL;
	struct report_owner o;
	const char *domain = NULL;
	int ch, rc, json = 0;

	memset(&o, 0, sizeof(o));
	o.cmd = "summary";
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'D':
			domain = optarg;
			break;
		case 'j':
			json = 1;
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
	if (cli_unexpected_args("vouch report summary", optind, argc, argv)) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (domain == NULL) {
		fprintf(stderr, "vouch report summary: --domain is required\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if ((rc = report_owner_open(&o)) != CLI_EXIT_OK ||
	    (rc = report_owner_summarize(&o, domain, &sum)) != CLI_EXIT_OK)
		goto out;
	if (json)
		print_json(sum);
	else
		print_human(sum, &o);
	rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_IO;
out:
	vouch_owner_summary_free(sum);
	report_owner_close(&o);
	return rc;
}
