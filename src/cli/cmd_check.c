/*
 * vouch check: the domain owner's lint of SPF, DMARC and DKIM keys, and
 * the "does my mail pass if sent from here / through them?" question.
 * Option parsing and printing only; the checks are vouch_check_domain().
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"

/* Exit statuses of `check`: the worst finding, unlike the verdict
 * commands (documented in vouch(1)). */
#define CHECK_EXIT_CLEAN 0
#define CHECK_EXIT_WARNINGS 1
#define CHECK_EXIT_ERRORS 2

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch check [--zone FILE | --dns-server ADDR[@PORT]]\n"
	    "                   [-s SELECTOR]... [--ip ADDR] [--via DOMAIN]\n"
	    "                   [--json] DOMAIN\n"
	    "\n"
	    "Looks up and lints DOMAIN's SPF record (syntax, DNS lookups\n"
	    "over the whole include tree, void lookups, ptr, +all, several\n"
	    "records, size), its DMARC record (policy strength, sp/np, pct,\n"
	    "t=y, rua and its authorization) and the DKIM key of each\n"
	    "selector given with -s (type, size, t=y, revoked, sha1 only).\n"
	    "\n"
	    "  -s, --selector SEL  a DKIM selector to check (repeatable)\n"
	    "  --ip ADDR           does SPF pass for mail sent from ADDR with\n"
	    "                      a MAIL FROM in DOMAIN?  Prints the record\n"
	    "                      change that would make it pass\n"
	    "  --via DOMAIN        mail is sent through this provider: does\n"
	    "                      the SPF record include the provider's, and\n"
	    "                      is a DKIM key for d=DOMAIN published?\n"
	    "  --json              print the report as JSON\n"
	    "\n"
	    "Each finding is one line: severity (info, warning, error), code,\n"
	    "message, and the suggested fix after 'fix:'.\n"
	    "Exit status, unlike the verdict commands: 0 no warning or error,\n"
	    "1 the worst finding is a warning, 2 there is an error, 64 usage,\n"
	    "74 a file could not be read, 70 internal error.\n");
}

/*
 * A JSON string on stdout (NULL as "").  The report's texts are printable
 * ASCII (the library replaces other bytes of records with '?') and the
 * library's own UTF-8 ("§"), which is passed through as it is.
 */
static void
json_str(const char *s)
{
	cli_json_str(stdout, s != NULL ? s : "", CLI_JSON_8BIT_UTF8);
}

static void
json_opt_str(const char *s)
{
	if (s == NULL || s[0] == '\0')
		printf("null");
	else
		json_str(s);
}

static void
print_json(const struct vouch_check_report *r)
{
	const struct vouch_check_finding *f;
	const struct vouch_check_dkim *k;
	size_t i;

	printf("{\"domain\": ");
	json_str(r->domain);
	printf(", \"worst\": ");
	json_str(r->nfindings ? vouch_check_severity_str(vouch_check_worst(r))
	                      : "none");
	printf(",\n \"findings\": [");
	for (i = 0; i < r->nfindings; i++) {
		f = &r->finding[i];
		printf("%s\n  {\"area\": ", i ? "," : "");
		json_str(vouch_check_area_str(f->area));
		printf(", \"severity\": ");
		json_str(vouch_check_severity_str(f->severity));
		printf(", \"code\": ");
		json_str(f->code);
		printf(", \"message\": ");
		json_str(f->message);
		printf(", \"fix\": ");
		json_opt_str(f->fix);
		printf("}");
	}
	printf(
	    "],\n \"spf\": {\"records\": %zu, \"record\": ", r->spf.nrecords);
	json_opt_str(r->spf.record);
	printf(", \"lookups\": %u, \"void_lookups\": %u, "
	       "\"records_walked\": %u, \"tree\": [",
	    r->spf.lookups, r->spf.void_lookups, r->spf.nrecords_walked);
	for (i = 0; i < r->spf.ntree; i++) {
		printf("%s", i ? ", " : "");
		json_str(r->spf.tree[i]);
	}
	printf("]");
	if (r->spf.ip_checked) {
		printf(", \"ip_result\": ");
		json_str(vouch_spf_verdict_str(r->spf.ip_verdict));
		printf(", \"ip_mechanism\": ");
		json_opt_str(r->spf.ip_mechanism);
	}
	printf("},\n \"dmarc\": {\"record\": ");
	json_opt_str(r->dmarc.record);
	printf(", \"policy_domain\": ");
	json_opt_str(r->dmarc.policy_domain);
	printf(", \"p\": ");
	json_opt_str(r->dmarc.p);
	printf(", \"sp\": ");
	json_opt_str(r->dmarc.sp);
	printf(", \"np\": ");
	json_opt_str(r->dmarc.np);
	printf(", \"pct\": %u, \"testing\": %s, \"rua\": %zu, "
	       "\"rua_usable\": %zu},\n \"dkim\": [",
	    r->dmarc.pct, r->dmarc.testing ? "true" : "false", r->dmarc.nrua,
	    r->dmarc.nrua_usable);
	for (i = 0; i < r->ndkim; i++) {
		k = &r->dkim[i];
		printf("%s{\"selector\": ", i ? ", " : "");
		json_str(k->selector);
		printf(", \"found\": %s, \"key_type\": ",
		    k->found ? "true" : "false");
		json_opt_str(k->key_type);
		printf(", \"bits\": %u, \"testing\": %s, \"revoked\": %s, "
		       "\"sha1_only\": %s}",
		    k->bits, k->testing ? "true" : "false",
		    k->revoked ? "true" : "false",
		    k->sha1_only ? "true" : "false");
	}
	printf("]}\n");
}

static void
print_human(const struct vouch_check_report *r)
{
	static const enum vouch_check_area areas[] = {VOUCH_CHECK_SPF,
	    VOUCH_CHECK_DMARC, VOUCH_CHECK_DKIM, VOUCH_CHECK_SEND};
	static const char *const titles[] = {
	    "SPF", "DMARC", "DKIM", "Sending (--ip / --via)"};
	const struct vouch_check_finding *f;
	size_t a, i, n, nsev[3];

	printf("%s\n", r->domain);
	for (a = 0; a < sizeof(areas) / sizeof(areas[0]); a++) {
		if (areas[a] == VOUCH_CHECK_SPF) {
			printf("\nSPF: ");
			if (r->spf.record != NULL) {
				printf("\"%s\"\n  %u DNS lookup%s, %u void",
				    r->spf.record, r->spf.lookups,
				    cli_plural(r->spf.lookups),
				    r->spf.void_lookups);
				for (i = 1; i < r->spf.ntree; i++)
					printf("%s%s",
					    i == 1 ? "; through " : ", ",
					    r->spf.tree[i]);
				printf("\n");
			} else
				printf("no record\n");
		} else if (areas[a] == VOUCH_CHECK_DMARC) {
			printf("\nDMARC: ");
			if (r->dmarc.record != NULL)
				printf("\"%s\" (at _dmarc.%s)\n",
				    r->dmarc.record, r->dmarc.policy_domain);
			else
				printf("no record\n");
		} else {
			for (i = n = 0; i < r->nfindings; i++)
				n += r->finding[i].area == areas[a];
			if (n == 0 &&
			    (areas[a] == VOUCH_CHECK_SEND || r->ndkim == 0))
				continue;
			printf("\n%s:\n", titles[a]);
			for (i = 0;
			     i < r->ndkim && areas[a] == VOUCH_CHECK_DKIM; i++)
				if (r->dkim[i].found && r->dkim[i].bits)
					printf("  s=%s: %s, %u bits\n",
					    r->dkim[i].selector,
					    r->dkim[i].key_type,
					    r->dkim[i].bits);
		}
		for (i = 0; i < r->nfindings; i++) {
			f = &r->finding[i];
			if (f->area != areas[a])
				continue;
			printf("  %-7s %s: %s\n",
			    vouch_check_severity_str(f->severity), f->code,
			    f->message);
			if (f->fix[0] != '\0')
				printf("          fix: %s\n", f->fix);
		}
	}
	if (r->nfindings_dropped > 0)
		printf("\n(%zu more finding%s not shown)\n",
		    r->nfindings_dropped, cli_plural(r->nfindings_dropped));
	memset(nsev, 0, sizeof(nsev));
	for (i = 0; i < r->nfindings; i++)
		if ((size_t)r->finding[i].severity < 3)
			nsev[r->finding[i].severity]++;
	printf("\n%s: %zu finding%s: %zu error%s, %zu warning%s, %zu info\n",
	    r->domain, r->nfindings, cli_plural(r->nfindings),
	    nsev[VOUCH_CHECK_ERROR], cli_plural(nsev[VOUCH_CHECK_ERROR]),
	    nsev[VOUCH_CHECK_WARNING], cli_plural(nsev[VOUCH_CHECK_WARNING]),
	    nsev[VOUCH_CHECK_INFO]);
}

int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"zone", required_argument, NULL, 'z'},
	    {"dns-server", required_argument, NULL, 'D'},
	    {"selector", required_argument, NULL, 's'},
	    {"ip", required_argument, NULL, 'i'},
	    {"via", required_argument, NULL, 'v'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *selectors[VOUCH_CHECK_MAX_SELECTORS];
	struct vouch_check_options co;
	struct vouch_check_report *r = NULL;
	struct vouch_dns *dns = NULL;
	const char *zone = NULL, *server = NULL;
	enum vouch_status st;
	int c, json = 0, rc;

	memset(&co, 0, sizeof(co));
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'z':
			zone = optarg;
			break;
		case 'D':
			server = optarg;
			break;
		case 's':
			if (co.nselectors >= VOUCH_CHECK_MAX_SELECTORS) {
				fprintf(stderr,
				    "vouch check: at most %d selectors\n",
				    VOUCH_CHECK_MAX_SELECTORS);
				return CLI_EXIT_USAGE;
			}
			selectors[co.nselectors++] = optarg;
			break;
		case 'i':
			co.ip = optarg;
			break;
		case 'v':
			co.via = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "vouch check: one DOMAIN is required\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	co.selectors = selectors;
	if ((rc = cli_open_dns(zone, server, &dns)) != 0)
		return rc;
	st = vouch_check_domain(
	    dns, argv[optind], strlen(argv[optind]), &co, &r);
	if (st == VOUCH_EINVAL) {
		fprintf(stderr,
		    "vouch check: '%s', --ip, --via or -s is not valid "
		    "(a domain name, an IP address, a selector)\n",
		    argv[optind]);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch check: %s\n", vouch_status_str(st));
		rc = CLI_EXIT_SOFTWARE;
		goto out;
	}
	if (json)
		print_json(r);
	else
		print_human(r);
	switch (vouch_check_worst(r)) {
	case VOUCH_CHECK_ERROR:
		rc = CHECK_EXIT_ERRORS;
		break;
	case VOUCH_CHECK_WARNING:
		rc = CHECK_EXIT_WARNINGS;
		break;
	default:
		rc = CHECK_EXIT_CLEAN;
		break;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "vouch check: cannot write the output\n");
		rc = CLI_EXIT_IO;
	}
out:
	vouch_check_report_free(r);
	vouch_dns_free(dns);
	return rc;
}
