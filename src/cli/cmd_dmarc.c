/*
 * vouch dmarc: DMARC alone (RFC 9989; --rfc7489 for RFC 7489), taking the
 * SPF and DKIM results as facts and the From field(s) of a message.
 * Option parsing and printing only; the evaluation is in src/lib/dmarc.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

#define DMARC_CHUNK (64 * 1024)
#define DMARC_MAX_DKIM VOUCH_DKIM_MAX_SIGNATURES

static void
dmarc_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch dmarc [--zone FILE | --dns-server ADDR] [--rfc7489] "
	    "[--psl FILE]\n"
	    "                   [--seed N] [--multi-permerror] [--no-report-"
	    "check]\n"
	    "                   [--spf RESULT:DOMAIN] [--dkim RESULT:DOMAIN]..."
	    "\n"
	    "                   [--unsafe-disposition DISP] [--json] [FILE]\n"
	    "\n"
	    "Evaluates DMARC for the message in FILE (or standard input): the "
	    "author\n"
	    "domain of its From field, the DMARC record (RFC 9989 DNS tree "
	    "walk, or\n"
	    "with --rfc7489 the RFC 7489 method with the Public Suffix List), "
	    "and\n"
	    "alignment of the SPF and DKIM results given as facts:\n"
	    "  --spf RESULT:DOMAIN   SPF result (pass, fail, softfail, neutral,"
	    " none,\n"
	    "                        temperror, permerror) for the domain SPF "
	    "checked\n"
	    "  --dkim RESULT:DOMAIN  one DKIM signature's result and d=; "
	    "repeatable\n"
	    "  --psl FILE            Public Suffix List (--rfc7489); default "
	    "the system's\n"
	    "  --seed N              repeatable pct= sampling (--rfc7489)\n"
	    "  --multi-permerror     several author domains give permerror\n"
	    "                        (default: evaluate each, strictest "
	    "failing wins)\n"
	    "  --no-report-check     do not query external report "
	    "authorization\n"
	    "  --local-policy REASON:DISPOSITION  a receiver's override of a "
	    "failing\n"
	    "                        policy (REASON: forwarded, "
	    "trusted_forwarder,\n"
	    "                        mailing_list, local_policy, other)\n"
	    "  --unsafe-disposition none|quarantine|reject  the least "
	    "disposition of\n"
	    "                        a message whose author cannot be read "
	    "safely (no,\n"
	    "                        several or a malformed From field, "
	    "hidden\n"
	    "                        characters, a header that is not RFC "
	    "5322): no pass\n"
	    "                        and at least this (default "
	    "quarantine)\n"
	    "  --json                print the result as JSON\n"
	    "Exit status: 0 a verdict was produced (whatever it is), 64 usage,"
	    " 74 a\n"
	    "file could not be read, 70 out of memory.\n");
}

/* Reads the header section (and a little more) of fp. */
static int
read_header(FILE *fp, uint8_t **out, size_t *outlen)
{
	uint8_t *buf = NULL, *nb;
	size_t len = 0, cap = 0, got;

	while (len <= VOUCH_MAX_HEADER_BYTES) {
		if (cap - len < DMARC_CHUNK) {
			cap = cap ? cap * 2 : 2 * DMARC_CHUNK;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				errno = ENOMEM;
				return -1;
			}
			buf = nb;
		}
		got = fread(buf + len, 1, DMARC_CHUNK, fp);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(fp)) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* "RESULT:DOMAIN" into an identifier; the strings stay in argv. */
static int
parse_fact(const char *arg, struct vouch_dmarc_ident *id)
{
	const char *colon = strchr(arg, ':');

	if (colon == NULL ||
	    vouch_dmarc_auth_parse(arg, (size_t)(colon - arg), &id->result) < 0)
		return -1;
	id->domain = colon + 1;
	id->domainlen = strlen(colon + 1);
	return 0;
}

/* "REASON:DISPOSITION" into the options' local override. */
static int
parse_override(const char *arg, struct vouch_dmarc_options *o)
{
	static const enum vouch_dmarc_override reasons[] = {
	    VOUCH_DMARC_OVERRIDE_FORWARDED,
	    VOUCH_DMARC_OVERRIDE_TRUSTED_FORWARDER,
	    VOUCH_DMARC_OVERRIDE_MAILING_LIST,
	    VOUCH_DMARC_OVERRIDE_LOCAL_POLICY, VOUCH_DMARC_OVERRIDE_OTHER};
	static const enum vouch_dmarc_policy disps[] = {VOUCH_DMARC_POLICY_NONE,
	    VOUCH_DMARC_POLICY_QUARANTINE, VOUCH_DMARC_POLICY_REJECT};
	const char *colon = strchr(arg, ':');
	size_t i, n;

	if (colon == NULL)
		return -1;
	n = (size_t)(colon - arg);
	o->local_override = VOUCH_DMARC_OVERRIDE_NONE;
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		const char *w = vouch_dmarc_override_str(reasons[i]);

		if (strlen(w) == n && strncmp(arg, w, n) == 0)
			o->local_override = reasons[i];
	}
	if (o->local_override == VOUCH_DMARC_OVERRIDE_NONE)
		return -1;
	for (i = 0; i < sizeof(disps) / sizeof(disps[0]); i++)
		if (strcmp(colon + 1, vouch_dmarc_policy_str(disps[i])) == 0) {
			o->local_disposition = disps[i];
			return 0;
		}
	return -1;
}

/* JSON strings on stdout; 8-bit bytes are copied as they are. */
static void
json_strn(const char *s, size_t n)
{
	cli_json_strn(stdout, s, n, CLI_JSON_8BIT_UTF8);
}

static void
json_str(const char *s)
{
	cli_json_str(stdout, s, CLI_JSON_8BIT_UTF8);
}

static void
json_uris(const char *name, const struct vouch_dmarc_uri *u, size_t n)
{
	size_t i;

	printf(",\"%s\":[", name);
	for (i = 0; i < n; i++) {
		printf("%s{\"uri\":", i ? "," : "");
		json_str(u[i].uri);
		printf(",\"max_size\":%llu,\"host\":",
		    (unsigned long long)u[i].max_size);
		json_str(u[i].host);
		printf(",\"override\":");
		if (u[i].override != NULL)
			json_str(u[i].override);
		else
			printf("null");
		printf(",\"external\":%s,\"kept\":%s,\"tempfail\":%s}",
		    u[i].external ? "true" : "false",
		    u[i].kept ? "true" : "false",
		    u[i].tempfail ? "true" : "false");
	}
	printf("]");
}

static void
json_policy(const char *key, enum vouch_dmarc_policy p)
{
	cli_json_dmarc_policy(stdout, key, p, CLI_JSON_8BIT_UTF8);
}

static void
json_domain(const struct vouch_dmarc_domain_result *dr,
    const struct vouch_dmarc_facts *facts)
{
	const struct vouch_dmarc_record *r = &dr->record;
	size_t i;

	printf("{\"author_domain\":");
	json_str(dr->author_domain);
	printf(",\"result\":");
	json_str(vouch_dmarc_verdict_str(dr->result));
	json_policy("policy", dr->policy);
	printf(",\"policy_tag\":");
	json_str(cli_dmarc_tag_str(dr->policy_tag));
	json_policy("disposition", dr->result == VOUCH_DMARC_FAIL
	                               ? dr->disposition
	                               : VOUCH_DMARC_POLICY_NONE);
	printf(",\"override\":");
	json_str(vouch_dmarc_override_str(dr->override));
	printf(",\"org_domain\":");
	json_str(dr->org_domain);
	printf(",\"policy_domain\":");
	json_str(dr->policy_domain);
	printf(",\"record\":");
	if (dr->has_record)
		json_strn(r->text, r->textlen);
	else
		printf("null");
	printf(",\"author_exists\":%s", dr->author_exists < 0 ? "null"
	                                : dr->author_exists   ? "true"
	                                                      : "false");
	printf(",\"spf_aligned\":%s,\"dkim_aligned\":%s",
	    dr->spf_aligned ? "true" : "false",
	    dr->dkim_aligned ? "true" : "false");
	printf(",\"dkim\":[");
	for (i = 0; i < facts->ndkim && i < DMARC_MAX_DKIM; i++) {
		printf("%s{\"d\":", i ? "," : "");
		json_strn(facts->dkim[i].domain, facts->dkim[i].domainlen);
		printf(",\"result\":\"%s\",\"aligned\":%s}",
		    vouch_dmarc_auth_str(facts->dkim[i].result),
		    dr->dkim_aligned_each[i] ? "true" : "false");
	}
	printf("]");
	if (dr->has_record) {
		printf(",\"tags\":{\"adkim\":\"%s\",\"aspf\":\"%s\"",
		    r->adkim == VOUCH_DMARC_STRICT ? "s" : "r",
		    r->aspf == VOUCH_DMARC_STRICT ? "s" : "r");
		json_policy("p", r->p);
		json_policy("sp", r->sp);
		json_policy("np", r->np);
		printf(",\"t\":\"%s\",\"psd\":\"%s\",\"pct\":%u,\"fo\":%u,"
		       "\"ri\":%lu,\"invalid\":%u}",
		    r->testing ? "y" : "n",
		    r->psd == VOUCH_DMARC_PSD_YES  ? "y"
		    : r->psd == VOUCH_DMARC_PSD_NO ? "n"
		                                   : "u",
		    r->pct, r->fo, (unsigned long)r->ri, r->invalid);
		json_uris("rua", r->rua, r->nrua);
		json_uris("ruf", r->ruf, r->nruf);
	}
	printf(",\"reason\":");
	json_str(dr->reason);
	printf("}");
}

static void
print_json(
    const struct vouch_dmarc_result *res, const struct vouch_dmarc_facts *facts)
{
	const struct vouch_dmarc_domain_result *dr =
	    res->ndomains ? &res->domain[res->decisive] : NULL;
	size_t i;

	printf("{");
	cli_json_dmarc_verdict(stdout, res, CLI_JSON_8BIT_UTF8);
	printf(",\"spf_aligned\":%s,\"dkim_aligned\":%s",
	    dr && dr->spf_aligned ? "true" : "false",
	    dr && dr->dkim_aligned ? "true" : "false");
	printf(",\"spf\":");
	if (facts->spf != NULL) {
		printf("{\"result\":\"%s\",\"domain\":",
		    vouch_dmarc_auth_str(facts->spf->result));
		json_strn(facts->spf->domain, facts->spf->domainlen);
		printf(",\"aligned\":%s}",
		    dr && dr->spf_aligned ? "true" : "false");
	} else
		printf("null");
	printf(",\"dkim\":[");
	for (i = 0; i < facts->ndkim && i < DMARC_MAX_DKIM; i++) {
		printf("%s{\"d\":", i ? "," : "");
		json_strn(facts->dkim[i].domain, facts->dkim[i].domainlen);
		printf(",\"result\":\"%s\",\"aligned\":%s}",
		    vouch_dmarc_auth_str(facts->dkim[i].result),
		    dr && dr->dkim_aligned_each[i] ? "true" : "false");
	}
	printf("]");
	printf(",\"reason\":");
	json_str(res->reason);
	printf(",\"dns_lookups\":%lu,\"domains\":[", res->nlookups);
	for (i = 0; i < res->ndomains; i++) {
		if (i)
			putchar(',');
		json_domain(&res->domain[i], facts);
	}
	printf("]}\n");
}

static void
print_text(const struct vouch_dmarc_result *res)
{
	const struct vouch_dmarc_domain_result *dr =
	    res->ndomains ? &res->domain[res->decisive] : NULL;
	size_t i;

	printf("dmarc=%s", vouch_dmarc_verdict_str(res->result));
	if (dr != NULL)
		printf(" header.from=%s", dr->author_domain);
	if (res->policy != VOUCH_DMARC_POLICY_UNSET)
		printf(" policy.%s=%s", cli_dmarc_tag_str(res->policy_tag),
		    vouch_dmarc_policy_str(res->policy));
	if (res->result == VOUCH_DMARC_FAIL || res->unsafe != VOUCH_DMARC_SAFE)
		printf(" disposition=%s",
		    vouch_dmarc_policy_str(res->disposition));
	if (res->override != VOUCH_DMARC_OVERRIDE_NONE)
		printf(" override=%s", vouch_dmarc_override_str(res->override));
	printf("\n  reason: %s\n", res->reason);
	if (res->unsafe != VOUCH_DMARC_SAFE)
		printf("  unsafe: %s: %s\n",
		    vouch_dmarc_unsafe_str(res->unsafe), res->unsafe_reason);
	if (dr != NULL && dr->has_record)
		printf("  record: _dmarc.%s \"%s\"\n  organizational domain: "
		       "%s\n",
		    dr->policy_domain, dr->record.text, dr->org_domain);
	for (i = 0; dr != NULL && dr->has_record && i < dr->record.nrua; i++)
		printf("  rua: %s (%s)\n", dr->record.rua[i].uri,
		    dr->record.rua[i].kept       ? "kept"
		    : dr->record.rua[i].external ? "external, not authorized"
		                                 : "not used");
}

int
cmd_dmarc(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"zone", required_argument, NULL, 'z'},
	    {"dns-server", required_argument, NULL, 'S'},
	    {"rfc7489", no_argument, NULL, '7'},
	    {"psl", required_argument, NULL, 'P'},
	    {"seed", required_argument, NULL, 's'},
	    {"spf", required_argument, NULL, 'f'},
	    {"dkim", required_argument, NULL, 'k'},
	    {"json", no_argument, NULL, 'j'},
	    {"multi-permerror", no_argument, NULL, 'm'},
	    {"no-report-check", no_argument, NULL, 'n'},
	    {"local-policy", required_argument, NULL, 'L'},
	    {"unsafe-disposition", required_argument, NULL, 'U'},
	    {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct vouch_dmarc_options opts;
	struct vouch_dmarc_ident spf, dkim[DMARC_MAX_DKIM];
	struct vouch_dmarc_facts facts = {
	    .spf = NULL, .dkim = dkim, .ndkim = 0};
	struct vouch_dmarc_result res;
	struct vouch_dmarc *d = NULL;
	struct vouch_dns *dns = NULL;
	const char *zone = NULL, *server = NULL, *file = NULL;
	char err[512] = "", *end;
	uint8_t *msg = NULL;
	size_t len = 0;
	FILE *fp;
	int ch, json = 0, rc;
	enum vouch_status st;

	memset(&opts, 0, sizeof(opts));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'z':
			zone = optarg;
			break;
		case 'S':
			server = optarg;
			break;
		case '7':
			opts.mode = VOUCH_DMARC_MODE_RFC7489;
			break;
		case 'P':
			opts.psl_file = optarg;
			break;
		case 's':
			errno = 0;
			opts.seed = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg) {
				fprintf(stderr, "vouch dmarc: bad --seed\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'f':
			if (parse_fact(optarg, &spf) < 0) {
				fprintf(stderr, "vouch dmarc: --spf wants "
				                "RESULT:DOMAIN\n");
				return CLI_EXIT_USAGE;
			}
			facts.spf = &spf;
			break;
		case 'k':
			if (facts.ndkim == DMARC_MAX_DKIM) {
				fprintf(stderr,
				    "vouch dmarc: at most %d "
				    "--dkim\n",
				    DMARC_MAX_DKIM);
				return CLI_EXIT_USAGE;
			}
			if (parse_fact(optarg, &dkim[facts.ndkim]) < 0) {
				fprintf(stderr, "vouch dmarc: --dkim wants "
				                "RESULT:DOMAIN\n");
				return CLI_EXIT_USAGE;
			}
			facts.ndkim++;
			break;
		case 'j':
			json = 1;
			break;
		case 'm':
			opts.multi_domain_permerror = 1;
			break;
		case 'n':
			opts.skip_report_check = 1;
			break;
		case 'L':
			if (parse_override(optarg, &opts) < 0) {
				fprintf(stderr, "vouch dmarc: --local-policy "
				                "wants REASON:DISPOSITION\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'U':
			if (cli_parse_disposition(
			        optarg, &opts.unsafe_disposition) < 0) {
				fprintf(stderr, "vouch dmarc: --unsafe-"
				                "disposition wants none, "
				                "quarantine or reject\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h':
			dmarc_usage(stdout);
			return CLI_EXIT_OK;
		default:
			dmarc_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind + 1 < argc) {
		dmarc_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (optind < argc && strcmp(argv[optind], "-") != 0)
		file = argv[optind];
	if ((fp = cli_open_input("dmarc", file)) == NULL)
		return CLI_EXIT_IO;
	rc = read_header(fp, &msg, &len);
	cli_close_input(fp);
	if (rc < 0) {
		fprintf(stderr, "vouch dmarc: %s: %s\n", file ? file : "stdin",
		    strerror(errno));
		return errno == ENOMEM ? CLI_EXIT_SOFTWARE : CLI_EXIT_IO;
	}
	if ((rc = cli_open_dns(zone, server, &dns)) != 0)
		goto out;
	st = vouch_dmarc_new(&opts, &d, err, sizeof(err));
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch dmarc: %s\n",
		    err[0] ? err : vouch_status_str(st));
		rc = st == VOUCH_EIO ? CLI_EXIT_IO : CLI_EXIT_SOFTWARE;
		goto out;
	}
	st = vouch_dmarc_evaluate_message(d, dns, msg, len, &facts, &res);
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch dmarc: %s\n", vouch_status_str(st));
		rc = CLI_EXIT_SOFTWARE;
		goto out;
	}
	if (json)
		print_json(&res, &facts);
	else
		print_text(&res);
	vouch_dmarc_result_free(&res);
	rc = CLI_EXIT_OK;
out:
	vouch_dmarc_free(d);
	vouch_dns_free(dns);
	free(msg);
	return rc;
}
