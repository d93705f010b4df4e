/*
 * vouch dkim verify: verify the DKIM signatures of one message and print
 * an Authentication-Results field (RFC 8601) or JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "vouch/authres.h"
#include "vouch/dkim.h"

static void
verify_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch dkim verify [--zone FILE | --dns-server ADDR] "
	    "[--now UNIXTIME]\n"
	    "                         [--legacy-crypto] [--rfc-l] "
	    "[--max-age SECONDS]\n"
	    "                         [--max-signatures N] [--authserv-id ID] "
	    "[--json] [FILE]\n"
	    "\n"
	    "Verifies every DKIM-Signature of the message in FILE (or "
	    "standard input)\n"
	    "and prints an Authentication-Results field with one dkim= result "
	    "per\n"
	    "signature (RFC 6376, RFC 8301, RFC 8463, RFC 8601).\n"
	    "\n"
	    "  --zone FILE          answer DNS queries from an RFC 1035 zone "
	    "file\n"
	    "  --dns-server ADDR    ask this server (ADDR or ADDR@PORT)\n"
	    "  --now UNIXTIME       judge t= and x= at this time (default: "
	    "now)\n"
	    "  --legacy-crypto      accept rsa-sha1 and RSA keys under 1024 "
	    "bits,\n"
	    "                       which RFC 8301 forbids, and pre-RFC 4871 "
	    "draft\n"
	    "                       signatures (no v=, v=0.5, q=dns): old "
	    "test data only\n"
	    "  --rfc-l              plain RFC l= handling: no \"policy\" "
	    "result for\n"
	    "                       unsigned content after the l= count\n"
	    "  --max-age SECONDS    signatures older than this (by t=) get "
	    "\"policy\"\n"
	    "  --max-signatures N   verify at most N signatures (default "
	    "%d)\n"
	    "  --authserv-id ID     the authserv-id (default: the host "
	    "name)\n"
	    "  --json               print JSON instead\n"
	    "\n"
	    "Results: pass, fail, policy, neutral, temperror, permerror, "
	    "none.\n"
	    "Exit status: 0 a verdict was printed (whatever it is), 64 usage, "
	    "74 the\n"
	    "message could not be read, 70 internal error.\n",
	    VOUCH_DKIM_MAX_SIGNATURES);
}

/* A non-negative integer option; -1 when not one. */
static long long
parse_num(const char *s, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max)
		return -1;
	return v;
}

/* A JSON string: valid UTF-8 as is, any other byte as the code point of
 * the same value. */
static void
json_str(FILE *fp, const char *s)
{
	cli_json_str(fp, s, CLI_JSON_8BIT_UTF8);
}

static void
print_json(FILE *fp, const struct vouch_dkim_result *res)
{
	const struct vouch_dkim_signature *sig;
	size_t k;

	fprintf(fp, "{\"result\": ");
	json_str(fp, vouch_dkim_verdict_str(res->result));
	fprintf(fp, ", \"reason\": ");
	json_str(fp, res->reason);
	fprintf(fp, ", \"signatures\": [");
	for (k = 0; k < res->nsig; k++) {
		sig = &res->sig[k];
		fprintf(fp, "%s\n  {\"result\": ", k ? "," : "");
		json_str(fp, vouch_dkim_verdict_str(sig->result));
		fprintf(fp, ", \"reason\": ");
		json_str(fp, sig->reason);
		fprintf(fp, ", \"d\": ");
		json_str(fp, sig->d);
		fprintf(fp, ", \"i\": ");
		json_str(fp, sig->i);
		fprintf(fp, ", \"s\": ");
		json_str(fp, sig->s);
		fprintf(fp, ", \"a\": ");
		json_str(fp, sig->a);
		fprintf(fp, ", \"b\": ");
		json_str(fp, sig->b);
		fprintf(fp, ", \"c\": ");
		json_str(fp, sig->c);
		fprintf(fp,
		    ", \"t\": %" PRId64 ", \"x\": %" PRId64 ", \"l\": %" PRId64
		    ", \"body_length\": %" PRId64
		    ", \"key_bits\": %u, \"testing\": %s}",
		    sig->t, sig->x, sig->l, sig->body_length, sig->key_bits,
		    sig->testing ? "true" : "false");
	}
	fprintf(fp, "%s]}\n", res->nsig ? "\n" : "");
}

static void
prop(struct vouch_authres_builder *b, const char *name, const char *value)
{
	if (value[0] != '\0')
		(void)vouch_authres_prop(
		    b, "header", name, (const uint8_t *)value, strlen(value));
}

static int
print_authres(
    FILE *fp, const char *authserv_id, const struct vouch_dkim_result *res)
{
	struct vouch_authres_builder *b = NULL;
	const struct vouch_dkim_signature *sig;
	char *field = NULL;
	size_t k, len;
	enum vouch_status st;

	if ((st = vouch_authres_new(authserv_id, strlen(authserv_id), &b)) !=
	    VOUCH_OK) {
		fprintf(stderr, "%s: bad authserv-id: %s\n", cli_progname,
		    vouch_status_str(st));
		return CLI_EXIT_USAGE;
	}
	if (res->nsig == 0)
		(void)vouch_authres_add(b, "dkim",
		    vouch_dkim_verdict_str(res->result),
		    res->reason[0] ? res->reason : NULL);
	for (k = 0; k < res->nsig; k++) {
		sig = &res->sig[k];
		(void)vouch_authres_add(b, "dkim",
		    vouch_dkim_verdict_str(sig->result),
		    sig->reason[0] ? sig->reason : NULL);
		prop(b, "d", sig->d);
		prop(b, "i", sig->i);
		prop(b, "s", sig->s);
		prop(b, "a", sig->a);
		prop(b, "b", sig->b);
	}
	st = vouch_authres_finish(b, &field, &len);
	vouch_authres_free(b);
	if (st != VOUCH_OK) {
		fprintf(stderr, "%s: cannot write the result: %s\n",
		    cli_progname, vouch_status_str(st));
		return CLI_EXIT_SOFTWARE;
	}
	fwrite(field, 1, len, fp);
	free(field);
	return CLI_EXIT_OK;
}

int
cmd_dkim_verify(int argc, char **argv)
{
	enum {
		OPT_ZONE = 256,
		OPT_SERVER,
		OPT_NOW,
		OPT_LEGACY,
		OPT_RFCL,
		OPT_MAXAGE,
		OPT_MAXSIG,
		OPT_AUTHSERV,
		OPT_JSON,
		OPT_HELP
	};
	static const struct option longopts[] = {
	    {"zone", required_argument, NULL, OPT_ZONE},
	    {"dns-server", required_argument, NULL, OPT_SERVER},
	    {"now", required_argument, NULL, OPT_NOW},
	    {"legacy-crypto", no_argument, NULL, OPT_LEGACY},
	    {"rfc-l", no_argument, NULL, OPT_RFCL},
	    {"max-age", required_argument, NULL, OPT_MAXAGE},
	    {"max-signatures", required_argument, NULL, OPT_MAXSIG},
	    {"authserv-id", required_argument, NULL, OPT_AUTHSERV},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0},
	};
	struct vouch_dkim_options opt;
	struct vouch_dkim_result *res = NULL;
	struct vouch_dns *dns = NULL;
	const char *zone = NULL, *server = NULL, *path = NULL;
	char host[256], authserv[256] = "";
	int c, fd = 0, json = 0, rc;
	long long n;
	enum vouch_status st;

	vouch_dkim_options_init(&opt);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ZONE:
			zone = optarg;
			break;
		case OPT_SERVER:
			server = optarg;
			break;
		case OPT_NOW:
			if ((n = parse_num(optarg, INT64_MAX / 2)) <= 0) {
				fprintf(stderr,
				    "%s: --now wants a UNIX time, "
				    "not '%s'\n",
				    cli_progname, optarg);
				return CLI_EXIT_USAGE;
			}
			opt.now = n;
			break;
		case OPT_LEGACY:
			opt.legacy = true;
			break;
		case OPT_RFCL:
			opt.rfc_l = true;
			break;
		case OPT_MAXAGE:
			if ((n = parse_num(optarg, UINT32_MAX)) < 0) {
				fprintf(stderr,
				    "%s: --max-age wants seconds, "
				    "not '%s'\n",
				    cli_progname, optarg);
				return CLI_EXIT_USAGE;
			}
			opt.max_age = (uint32_t)n;
			break;
		case OPT_MAXSIG:
			if ((n = parse_num(optarg, VOUCH_MAX_HEADER_FIELDS)) <=
			    0) {
				fprintf(stderr,
				    "%s: --max-signatures wants "
				    "1..%d, not '%s'\n",
				    cli_progname, VOUCH_MAX_HEADER_FIELDS,
				    optarg);
				return CLI_EXIT_USAGE;
			}
			opt.max_signatures = (unsigned)n;
			break;
		case OPT_AUTHSERV:
			snprintf(authserv, sizeof(authserv), "%s", optarg);
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_HELP:
		case 'h':
			verify_usage(stdout);
			return CLI_EXIT_OK;
		default:
			verify_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		verify_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0)
		path = argv[optind];
	if (authserv[0] == '\0') {
		if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		snprintf(authserv, sizeof(authserv), "%s", host);
	}
	if (path != NULL && (fd = open(path, O_RDONLY)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", cli_progname, path,
		    strerror(errno));
		return CLI_EXIT_IO;
	}
	if ((rc = cli_open_dns(zone, server, &dns)) != 0)
		goto out;
	st = vouch_dkim_verify_fd(dns, &opt, fd, &res);
	if (st == VOUCH_EIO) {
		fprintf(stderr, "%s: %s: %s\n", cli_progname,
		    path ? path : "standard input", strerror(errno));
		rc = CLI_EXIT_IO;
		goto out;
	}
	if (st != VOUCH_OK) {
		fprintf(stderr, "%s: %s\n", cli_progname, vouch_status_str(st));
		rc = CLI_EXIT_SOFTWARE;
		goto out;
	}
	if (json) {
		print_json(stdout, res);
		rc = CLI_EXIT_OK;
	} else
		rc = print_authres(stdout, authserv, res);
	if (fflush(stdout) != 0)
		rc = CLI_EXIT_IO;
out:
	vouch_dkim_result_free(res);
	vouch_dns_free(dns);
	if (path != NULL)
		close(fd);
	return rc;
}
