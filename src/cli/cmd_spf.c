/*
 * vouch spf: evaluate SPF (RFC 7208) for one client and sender and print
 * the Received-SPF field, or the result as JSON.  Option parsing and
 * printing only; check_host() is vouch_spf_check().
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch spf --ip ADDR --mail-from ADDR [--helo NAME]\n"
	    "                 [--receiver NAME] [--identity mailfrom|helo]\n"
	    "                 [--zone FILE | --dns-server ADDR[@PORT]]\n"
	    "                 [--json] [--trace] [--default-explanation "
	    "TEXT]\n"
	    "\n"
	    "Runs check_host() of RFC 7208 for the client ADDR and prints the\n"
	    "Received-SPF header field (RFC 7208 9.1).  --mail-from '' is the\n"
	    "null sender: postmaster@HELO is checked.  --identity helo checks\n"
	    "the HELO name instead (both need --helo).  --trace prints each\n"
	    "record, term, DNS query and limit count; --json prints result,\n"
	    "explanation, domain, identity, mechanism and the lookup counts.\n"
	    "--receiver names this host in Received-SPF and %%{r} (default:\n"
	    "the host name).\n"
	    "Exit status: 0 a verdict was produced (whatever it is), 64 "
	    "usage,\n"
	    "74 a file could not be read.\n");
}

static void
print_trace(void *arg, const char *line)
{
	fprintf((FILE *)arg, "%s\n", line);
}

/* A JSON string on stdout; 8-bit bytes of records are not UTF-8: shown as
 * the Latin-1 characters of the same value. */
static void
json_str(const char *s)
{
	cli_json_str(stdout, s, CLI_JSON_8BIT_LATIN1);
}

int
cmd_spf(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"ip", required_argument, NULL, 'i'},
	    {"mail-from", required_argument, NULL, 'm'},
	    {"helo", required_argument, NULL, 'H'},
	    {"receiver", required_argument, NULL, 'r'},
	    {"identity", required_argument, NULL, 'I'},
	    {"zone", required_argument, NULL, 'z'},
	    {"dns-server", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"trace", no_argument, NULL, 't'},
	    {"default-explanation", required_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct vouch_spf_request req;
	struct vouch_spf_result res;
	struct vouch_dns *dns = NULL;
	struct vouch_spf *spf = NULL;
	const char *zone = NULL, *server = NULL, *defexp = NULL;
	const char *ip = NULL, *mail_from = NULL, *helo = "";
	const char *receiver = NULL;
	char host[256];
	char field[16384], resinfo[2048];
	int c, json = 0, tracing = 0, rc = CLI_EXIT_OK;
	enum vouch_status st;

	memset(&req, 0, sizeof(req));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			ip = optarg;
			break;
		case 'm':
			mail_from = optarg;
			break;
		case 'H':
			helo = optarg;
			break;
		case 'r':
			receiver = optarg;
			break;
		case 'I':
			if (strcmp(optarg, "helo") == 0)
				req.identity = VOUCH_SPF_HELO;
			else if (strcmp(optarg, "mailfrom") == 0 ||
			         strcmp(optarg, "mfrom") == 0)
				req.identity = VOUCH_SPF_MAILFROM;
			else {
				fprintf(stderr,
				    "vouch spf: --identity is mailfrom or "
				    "helo\n");
				return CLI_EXIT_USAGE;
			}
			break;
		case 'z':
			zone = optarg;
			break;
		case 's':
			server = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 't':
			tracing = 1;
			break;
		case 'e':
			defexp = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (cli_unexpected_args("vouch spf", optind, argc, argv)) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (ip == NULL ||
	    (mail_from == NULL && req.identity == VOUCH_SPF_MAILFROM)) {
		fprintf(stderr, "vouch spf: --ip and --mail-from are "
		                "required\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	/* RFC 7208 §2.3, §2.4: both check the HELO name, so one is needed */
	if (helo[0] == '\0' &&
	    (req.identity == VOUCH_SPF_HELO ||
	        (mail_from != NULL && mail_from[0] == '\0'))) {
		fprintf(stderr,
		    "vouch spf: %s checks the HELO name: give --helo NAME\n",
		    req.identity == VOUCH_SPF_HELO
		        ? "--identity helo"
		        : "the null sender (--mail-from '')");
		return CLI_EXIT_USAGE;
	}
	req.ip = ip;
	req.ip_len = strlen(ip);
	req.mail_from = mail_from;
	req.mail_from_len = mail_from ? strlen(mail_from) : 0;
	req.helo = helo;
	req.helo_len = strlen(helo);
	/* RFC 7208 §9.1: receiver= names the host that did the check. */
	if (receiver == NULL && gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		receiver = host;
	}
	req.receiver = receiver;
	req.receiver_len = receiver ? strlen(receiver) : 0;

	if ((rc = cli_open_dns(zone, server, &dns)) != 0)
		return rc;
	if ((st = vouch_spf_new(dns, &spf)) != VOUCH_OK) {
		fprintf(stderr, "vouch spf: %s\n", vouch_status_str(st));
		rc = CLI_EXIT_SOFTWARE;
		goto out;
	}
	if (defexp != NULL && (st = vouch_spf_set_default_explanation(
	                           spf, defexp, strlen(defexp))) != VOUCH_OK) {
		fprintf(stderr, "vouch spf: --default-explanation: %s\n",
		    vouch_status_str(st));
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (tracing)
		vouch_spf_set_trace(spf, print_trace, json ? stderr : stdout);
	st = vouch_spf_check(spf, &req, &res);
	if (st == VOUCH_EINVAL) {
		fprintf(
		    stderr, "vouch spf: --ip %s is not an IP address\n", ip);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch spf: %s\n", vouch_status_str(st));
		rc = CLI_EXIT_SOFTWARE;
		goto out;
	}
	if (vouch_spf_received(&req, &res, field, sizeof(field), NULL) !=
	        VOUCH_OK ||
	    vouch_spf_resinfo(&res, resinfo, sizeof(resinfo), NULL) !=
	        VOUCH_OK) {
		fprintf(stderr, "vouch spf: result text too long\n");
		rc = CLI_EXIT_SOFTWARE;
		goto out;
	}
	if (!json) {
		printf("%s\n", field);
		goto out;
	}
	printf("{\"result\": ");
	json_str(vouch_spf_verdict_str(res.verdict));
	printf(", \"explanation\": ");
	if (res.verdict == VOUCH_SPF_FAIL)
		json_str(res.explanation);
	else
		printf("null");
	printf(", \"domain\": ");
	json_str(res.domain);
	printf(", \"identity\": ");
	json_str(res.identity == VOUCH_SPF_HELO ? "helo" : "mailfrom");
	printf(", \"sender\": ");
	json_str(res.sender);
	printf(", \"mechanism\": ");
	json_str(res.mechanism);
	printf(", \"reason\": ");
	json_str(res.reason);
	printf(", \"dns_lookups\": %u, \"void_lookups\": %u, "
	       "\"dns_queries\": %u",
	    res.dns_lookups, res.void_lookups, res.dns_queries);
	printf(", \"received_spf\": ");
	json_str(field);
	printf(", \"authres\": ");
	json_str(resinfo);
	printf("}\n");
out:
	vouch_spf_free(spf);
	vouch_dns_free(dns);
	if (fflush(stdout) != 0 && rc == CLI_EXIT_OK)
		rc = CLI_EXIT_IO;
	return rc;
}
