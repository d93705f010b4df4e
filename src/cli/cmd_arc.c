/*
 * vouch arc verify | seal: validate a message's Authenticated Received
 * Chain, or add the next ARC Set to it (RFC 8617).  Option parsing and
 * printing only; the protocol is in libvouch (arc.h, verify.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json.h"
#include "vouch/arc.h"
#include "vouch/authres.h"
#include "vouch/message.h"
#include "vouch/verify.h"

static void
arc_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch arc verify [--zone FILE | --dns-server ADDR] "
	    "[--now T] [--json]\n"
	    "                        [--authserv-id ID] [--ip ADDR] "
	    "[--trusted-sealer D] [FILE]\n"
	    "       vouch arc seal -d DOMAIN -s SELECTOR -k KEYFILE "
	    "--authserv-id ID\n"
	    "                      [--auth-results TEXT] [--ip ADDR] [--helo "
	    "NAME]\n"
	    "                      [--mail-from ADDR] [--copy-auth-results] "
	    "[--cv CV]\n                      "
	    "[-H h1:h2:...] "
	    "[--time T]\n"
	    "                      [--zone FILE | --dns-server ADDR] [FILE]\n"
	    "\n"
	    "verify: validates the ARC chain of the message in FILE (or "
	    "standard input)\n"
	    "and prints an Authentication-Results field with arc=pass, fail "
	    "or none\n"
	    "(RFC 8617 §5.2, §6), or with --json the chain: cv, reason, "
	    "oldest-pass and\n"
	    "each ARC Set's domains, selectors and which signatures "
	    "verified.\n"
	    "\n"
	    "seal: validates the chain, then writes the message to standard "
	    "output with\n"
	    "the next ARC Set on top (ARC-Seal, ARC-Message-Signature, "
	    "ARC-Authentication-\n"
	    "Results; RFC 8617 §5.1).  The AAR records --auth-results (the "
	    "results after\n"
	    "the authserv-id, e.g. \"spf=pass smtp.mailfrom=a@b; dkim=pass "
	    "header.d=b\");\n"
	    "without it, vouch computes them itself: arc= from the chain, "
	    "and SPF (with\n"
	    "--ip, --helo, --mail-from), DKIM and DMARC as `vouch verify` "
	    "does.  A chain\n"
	    "whose last ARC-Seal says cv=fail is not sealed again (the "
	    "message is\n"
	    "written unchanged).\n"
	    "\n"
	    "  -d, --domain DOMAIN   sealing domain (d=)\n"
	    "  -s, --selector SEL    selector (s=)\n"
	    "  -k, --key KEYFILE     private key (RSA or Ed25519, as for "
	    "vouch dkim sign)\n"
	    "  --cv none|pass|fail   the chain status validated when the "
	    "message arrived,\n"
	    "                        before this hop changed it (default: "
	    "validate FILE)\n"
	    "  -H, --headers LIST    header fields the AMS signs (h=), "
	    "colon-separated\n"
	    "  --copy-auth-results   the AAR copies the message's own "
	    "Authentication-Results\n"
	    "                        fields of --authserv-id (an MTA that "
	    "added them already)\n"
	    "  -t, --time T          t= of the new set (default: now)\n"
	    "  --now T               verify: the time signatures are judged "
	    "at\n"
	    "  --trusted-sealer D    verify --json: when D (repeatable) sealed "
	    "the newest\n"
	    "                        set, say whether it recorded a DMARC, "
	    "DKIM or SPF pass\n"
	    "                        and its AMS still verifies (whether the "
	    "pass aligns\n"
	    "                        with the From domain is for vouch "
	    "verify)\n"
	    "\n"
	    "Exit status: 0 a verdict was printed or the message sealed, 64 "
	    "usage, 65\n"
	    "the message cannot be sealed, 74 a file could not be read, 70 "
	    "internal error.\n");
}

/* A positive integer option (seconds since 1970); -1 when not one. */
static long long
parse_time(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 ||
	    v > INT64_MAX / 2)
		return -1;
	return v;
}

static void
print_json(FILE *fp, const struct vouch_arc_result *res,
    const char *const *trusted, size_t ntrusted)
{
	const struct vouch_arc_instance *in;
	struct vouch_arc_override ov;
	size_t k;

	fprintf(fp, "{\"cv\": ");
	cli_json_str(fp, vouch_arc_cv_str(res->cv), CLI_JSON_8BIT_UTF8);
	fprintf(fp, ", \"reason\": ");
	cli_json_str(fp, res->reason, CLI_JSON_8BIT_UTF8);
	fprintf(
	    fp, ", \"oldest_pass\": %u, \"instances\": [", res->oldest_pass);
	for (k = 0; k < res->ninst; k++) {
		in = &res->inst[k];
		fprintf(fp, "%s\n  {\"i\": %u, \"cv\": ", k ? "," : "", in->i);
		cli_json_str(fp, vouch_arc_cv_str(in->cv), CLI_JSON_8BIT_UTF8);
		fprintf(fp, ", \"seal\": {\"d\": ");
		cli_json_str(fp, in->seal_d, CLI_JSON_8BIT_UTF8);
		fprintf(fp, ", \"s\": ");
		cli_json_str(fp, in->seal_s, CLI_JSON_8BIT_UTF8);
		fprintf(fp, ", \"a\": ");
		cli_json_str(fp, in->seal_a, CLI_JSON_8BIT_UTF8);
		fprintf(fp, ", \"checked\": %s, \"valid\": %s}",
		    in->seal_checked ? "true" : "false",
		    in->seal_ok ? "true" : "false");
		fprintf(fp, ", \"ams\": {\"d\": ");
		cli_json_str(fp, in->ams_d, CLI_JSON_8BIT_UTF8);
		fprintf(fp, ", \"s\": ");
		cli_json_str(fp, in->ams_s, CLI_JSON_8BIT_UTF8);
		fprintf(fp, ", \"checked\": %s, \"valid\": %s}",
		    in->ams_checked ? "true" : "false",
		    in->ams_ok ? "true" : "false");
		fprintf(fp, ", \"reason\": ");
		cli_json_str(fp, in->reason, CLI_JSON_8BIT_UTF8);
		fprintf(fp, ", \"aar\": ");
		cli_json_str(
		    fp, in->aar != NULL ? in->aar : "", CLI_JSON_8BIT_UTF8);
		fprintf(fp, "}");
	}
	fprintf(fp, "%s]", res->ninst ? "\n" : "");
	/* The trusted-sealer hook, only when sealers are named. */
	if (ntrusted > 0 && vouch_arc_trusted_override(
	                        res, trusted, ntrusted, &ov) == VOUCH_OK) {
		fprintf(fp,
		    ",\n \"trusted_sealer\": {\"trusted\": %s, \"instance\": "
		    "%u, \"sealer\": ",
		    ov.trusted ? "true" : "false", ov.instance);
		cli_json_str(fp, ov.sealer, CLI_JSON_8BIT_UTF8);
		fprintf(fp,
		    ", \"dmarc\": %s, \"dkim\": %s, \"spf\": %s, "
		    "\"override\": %s}",
		    ov.dmarc ? "true" : "false", ov.dkim ? "true" : "false",
		    ov.spf ? "true" : "false", ov.override ? "true" : "false");
	}
	fprintf(fp, "}\n");
}

static int
print_authres(FILE *fp, const char *id, const struct vouch_arc_result *res,
    const char *ip)
{
	struct vouch_authres_builder *b = NULL;
	enum vouch_status st;
	char *field = NULL;
	size_t len;

	if ((st = vouch_authres_new(id, strlen(id), &b)) != VOUCH_OK) {
		fprintf(stderr, "%s: bad authserv-id: %s\n", cli_progname,
		    vouch_status_str(st));
		return CLI_EXIT_USAGE;
	}
	(void)vouch_arc_authres_add(b, res, ip);
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

enum {
	OPT_ZONE = 256,
	OPT_SERVER,
	OPT_NOW,
	OPT_JSON,
	OPT_AUTHSERV,
	OPT_AUTHRES,
	OPT_IP,
	OPT_HELO,
	OPT_MAILFROM,
	OPT_LEGACY,
	OPT_COPY,
	OPT_CV,
	OPT_TRUSTED,
	OPT_HELP
};

static const struct option longopts[] = {
    {"zone", required_argument, NULL, OPT_ZONE},
    {"dns-server", required_argument, NULL, OPT_SERVER},
    {"now", required_argument, NULL, OPT_NOW},
    {"json", no_argument, NULL, OPT_JSON},
    {"authserv-id", required_argument, NULL, OPT_AUTHSERV},
    {"auth-results", required_argument, NULL, OPT_AUTHRES},
    {"ip", required_argument, NULL, OPT_IP},
    {"helo", required_argument, NULL, OPT_HELO},
    {"mail-from", required_argument, NULL, OPT_MAILFROM},
    {"legacy-crypto", no_argument, NULL, OPT_LEGACY},
    {"copy-auth-results", no_argument, NULL, OPT_COPY},
    {"cv", required_argument, NULL, OPT_CV},
    {"trusted-sealer", required_argument, NULL, OPT_TRUSTED},
    {"domain", required_argument, NULL, 'd'},
    {"selector", required_argument, NULL, 's'},
    {"key", required_argument, NULL, 'k'},
    {"headers", required_argument, NULL, 'H'},
    {"time", required_argument, NULL, 't'},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

struct arc_opts {
	const char *zone, *server, *authserv, *authres, *ip, *helo, *mailfrom;
	const char *trusted[16]; /* --trusted-sealer, for the DMARC hook */
	size_t ntrusted;
	const char *domain, *selector, *keyfile, *headers, *path;
	long long now, time;
	int cv; /* -1: validate the message given */
	bool json, legacy, seal, copy;
};

static int
parse_opts(int argc, char **argv, struct arc_opts *o)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:s:k:H:t:h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case OPT_ZONE:
			o->zone = optarg;
			break;
		case OPT_SERVER:
			o->server = optarg;
			break;
		case OPT_NOW:
		case 't':
			if (parse_time(optarg) < 0) {
				fprintf(stderr,
				    "%s: want seconds since 1970, not '%s'\n",
				    cli_progname, optarg);
				return CLI_EXIT_USAGE;
			}
			if (c == 't')
				o->time = parse_time(optarg);
			else
				o->now = parse_time(optarg);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_AUTHSERV:
			o->authserv = optarg;
			break;
		case OPT_AUTHRES:
			o->authres = optarg;
			break;
		case OPT_IP:
			o->ip = optarg;
			break;
		case OPT_HELO:
			o->helo = optarg;
			break;
		case OPT_MAILFROM:
			o->mailfrom = optarg;
			break;
		case OPT_LEGACY:
			o->legacy = true;
			break;
		case OPT_COPY:
			o->copy = true;
			break;
		case OPT_TRUSTED:
			if (o->ntrusted ==
			    sizeof(o->trusted) / sizeof(o->trusted[0])) {
				fprintf(stderr,
				    "%s: at most 16 --trusted-sealer\n",
				    cli_progname);
				return CLI_EXIT_USAGE;
			}
			o->trusted[o->ntrusted++] = optarg;
			break;
		case OPT_CV:
			if (strcmp(optarg, "none") == 0)
				o->cv = VOUCH_ARC_NONE;
			else if (strcmp(optarg, "pass") == 0)
				o->cv = VOUCH_ARC_PASS;
			else if (strcmp(optarg, "fail") == 0)
				o->cv = VOUCH_ARC_FAIL;
			else {
				fprintf(stderr,
				    "%s: --cv wants none, pass or fail\n",
				    cli_progname);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'd':
			o->domain = optarg;
			break;
		case 's':
			o->selector = optarg;
			break;
		case 'k':
			o->keyfile = optarg;
			break;
		case 'H':
			o->headers = optarg;
			break;
		case 'h':
		case OPT_HELP:
			arc_usage(stdout);
			return -1;
		default:
			arc_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "%s: one message at a time\n", cli_progname);
		return CLI_EXIT_USAGE;
	}
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0)
		o->path = argv[optind];
	return 0;
}

static int
open_input(const struct arc_opts *o, int *fd)
{
	*fd = 0;
	if (o->path != NULL && (*fd = open(o->path, O_RDONLY)) == -1) {
		fprintf(stderr, "%s: %s: %s\n", cli_progname, o->path,
		    strerror(errno));
		return CLI_EXIT_IO;
	}
	return 0;
}

static int
arc_verify(const struct arc_opts *o)
{
	struct vouch_arc_options opt;
	struct vouch_arc_result *res = NULL;
	struct vouch_dns *dns = NULL;
	enum vouch_status st;
	char host[256];
	int fd = 0, rc;

	vouch_arc_options_init(&opt);
	opt.now = o->now;
	opt.legacy = o->legacy;
	if ((rc = cli_open_dns(o->zone, o->server, &dns)) != 0)
		return rc;
	if ((rc = open_input(o, &fd)) != 0)
		goto out;
	st = vouch_arc_verify_fd(dns, &opt, fd, &res);
	if (st != VOUCH_OK) {
		fprintf(stderr, "%s: %s: %s\n", cli_progname,
		    o->path ? o->path : "-", vouch_status_str(st));
		rc = st == VOUCH_EIO ? CLI_EXIT_IO : CLI_EXIT_SOFTWARE;
		goto out;
	}
	if (o->json) {
		print_json(stdout, res, o->trusted, o->ntrusted);
	} else {
		const char *id = o->authserv;

		if (id == NULL) {
			if (gethostname(host, sizeof(host)) != 0)
				host[0] = '\0';
			host[sizeof(host) - 1] = '\0';
			id = host[0] != '\0' ? host : "localhost";
		}
		rc = print_authres(stdout, id, res, o->ip);
	}
out:
	if (fd > 0)
		close(fd);
	vouch_arc_result_free(res);
	vouch_dns_free(dns);
	return rc;
}

/* The text of an A-R field after "Authentication-Results: id;". */
static const char *
results_of(const char *field)
{
	const char *p = strchr(field, ';');

	return p != NULL ? p + 1 : "";
}

/*
 * The results the AAR records when --auth-results is not given: arc= of
 * the chain (RFC 8617 §6) and what `vouch verify` finds (SPF, DKIM,
 * DMARC).  *out is malloc()ed.
 */
static int
compute_authres(const struct arc_opts *o, struct vouch_verify_result *vr,
    const struct vouch_arc_result *chain, char **out)
{
	struct vouch_authres_builder *b = NULL;
	char *field = NULL;
	size_t len, need;
	enum vouch_status st;

	if (vouch_authres_new(o->authserv, strlen(o->authserv), &b) != VOUCH_OK)
		return -1;
	(void)vouch_arc_authres_add(b, chain, o->ip);
	st = vouch_authres_finish(b, &field, &len);
	vouch_authres_free(b);
	if (st != VOUCH_OK)
		return -1;
	need = len + (vr != NULL ? vr->field_len : 0) + 4;
	if ((*out = malloc(need)) == NULL) {
		free(field);
		return -1;
	}
	snprintf(*out, need, "%s;%s", results_of(field),
	    vr != NULL ? results_of(vr->field) : "");
	free(field);
	return 0;
}

/* Copy fd (from `start`) or the spool to standard output. */
static int
copy_out(int fd, off_t start, FILE *spool, uint8_t *buf, size_t cap)
{
	size_t n;
	ssize_t r;

	if (spool != NULL) {
		rewind(spool);
		while ((n = fread(buf, 1, cap, spool)) > 0)
			if (fwrite(buf, 1, n, stdout) != n)
				return -1;
		return ferror(spool) ? -1 : 0;
	}
	if (lseek(fd, start, SEEK_SET) == -1)
		return -1;
	while ((r = read(fd, buf, cap)) > 0)
		if (fwrite(buf, 1, (size_t)r, stdout) != (size_t)r)
			return -1;
	return r < 0 ? -1 : 0;
}

/*
 * Split "a:b:c" into names (the strings point into `copy`), at most cap.
 * The caller's cap is one past the library's limit, so that a list too
 * long is refused by the library rather than cut short unseen; an empty
 * item ("From::To", "From:") is kept for the library to refuse, where it
 * was once dropped without a word.
 */
static size_t
split_headers(char *copy, const char **names, size_t cap)
{
	size_t n = 0;
	char *p = copy, *c;

	if (*copy == '\0')
		return 0;
	while (p != NULL && n < cap) {
		c = strchr(p, ':');
		if (c != NULL)
			*c = '\0';
		names[n++] = p;
		p = c != NULL ? c + 1 : NULL;
	}
	return n;
}

/*
 * Say which option of the sealing request the library refuses and why,
 * and return 1; 0 if it can be sealed.  The library knows the rules
 * (vouch_arc_seal_req_check); this names the option that set the value,
 * and of -H the one name refused when one is.
 */
static int
seal_refused(const struct vouch_arc_seal_req *r, const struct arc_opts *o)
{
	struct vouch_arc_seal_req one = *r;
	enum vouch_arc_seal_req_part part, p1;
	const char *why, *why1, *value = o->headers;
	size_t i;

	if (vouch_arc_seal_req_check(r, &part, &why) == VOUCH_OK)
		return 0;
	switch (part) {
	case VOUCH_ARC_SEAL_REQ_DOMAIN:
		fprintf(stderr, "%s arc seal: -d %s: %s\n", cli_progname,
		    o->domain, why);
		break;
	case VOUCH_ARC_SEAL_REQ_SELECTOR:
		fprintf(stderr, "%s arc seal: -s %s: %s\n", cli_progname,
		    o->selector, why);
		break;
	case VOUCH_ARC_SEAL_REQ_AUTHSERV_ID:
		fprintf(stderr, "%s arc seal: --authserv-id %s: %s\n",
		    cli_progname, o->authserv, why);
		break;
	case VOUCH_ARC_SEAL_REQ_HEADERS:
		/* name the first name refused on its own, if one is */
		one.nheaders = 1;
		for (i = 0; i < r->nheaders && value == o->headers; i++) {
			one.headers = &r->headers[i];
			if (vouch_arc_seal_req_check(&one, &p1, &why1) !=
			    VOUCH_OK) {
				value = r->headers[i];
				why = why1;
			}
		}
		/* an empty name is seen in the list it was written in */
		fprintf(stderr, "%s arc seal: -H %s: %s\n", cli_progname,
		    value[0] == '\0' ? o->headers : value, why);
		break;
	case VOUCH_ARC_SEAL_REQ_ALG:
		fprintf(stderr, "%s arc seal: -k %s: %s\n", cli_progname,
		    o->keyfile, why);
		break;
	default:
		fprintf(stderr, "%s arc seal: cannot seal: %s\n", cli_progname,
		    why);
		break;
	}
	return 1;
}

static int
arc_seal(const struct arc_opts *o)
{
	struct vouch_arc_options opt;
	struct vouch_arc_verifier *av = NULL;
	struct vouch_arc_result *chain = NULL;
	struct vouch_arc_sealer *s = NULL;
	struct vouch_arc_seal_req req;
	struct vouch_dkim_key *key = NULL;
	struct vouch_dns *dns = NULL;
	struct vouch_message_reader *r = NULL;
	struct vouch_verify *vh = NULL;
	struct vouch_verify_msg *vm = NULL;
	struct vouch_verify_result *vr = NULL;
	struct vouch_verify_options vo;
	struct vouch_verify_smtp smtp;
	const char *names[VOUCH_DKIM_SIGN_MAX_HEADERS + 1];
	char err[256], *hcopy = NULL, *authres = NULL, *fields = NULL;
	const uint8_t *p;
	uint8_t *buf = NULL;
	size_t n, flen;
	off_t start;
	FILE *spool = NULL;
	bool crlf = true;
	int fd = 0, rc = CLI_EXIT_SOFTWARE;
	enum vouch_status st;

	if (o->domain == NULL || o->selector == NULL || o->keyfile == NULL ||
	    o->authserv == NULL) {
		fprintf(stderr,
		    "%s: arc seal needs -d DOMAIN, -s SELECTOR, -k "
		    "KEYFILE and --authserv-id ID\n",
		    cli_progname);
		return CLI_EXIT_USAGE;
	}
	err[0] = '\0';
	if ((st = vouch_dkim_key_load_file(
	         o->keyfile, &key, err, sizeof(err))) != VOUCH_OK) {
		/* as dkim sign: a key that does not parse is bad data
		 * (vouch(1) EXIT STATUS: 65), an unreadable file 74 */
		fprintf(stderr, "%s arc seal: -k %s\n", cli_progname,
		    err[0] ? err : vouch_status_str(st));
		return st == VOUCH_EIO ? CLI_EXIT_IO : CLI_EXIT_DATAERR;
	}
	memset(&req, 0, sizeof(req));
	req.key = key;
	req.domain = o->domain;
	req.selector = o->selector;
	req.authserv_id = o->authserv;
	req.auth_results = o->authres;
	req.now = o->time;
	if (o->headers != NULL) {
		if ((hcopy = strdup(o->headers)) == NULL)
			goto out;
		req.headers = names;
		req.nheaders = split_headers(
		    hcopy, names, sizeof(names) / sizeof(names[0]));
	}
	/* before the message is verified with the same authserv-id */
	if (seal_refused(&req, o)) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if ((rc = cli_open_dns(o->zone, o->server, &dns)) != 0)
		goto out;
	rc = CLI_EXIT_SOFTWARE;
	vouch_arc_options_init(&opt);
	opt.now = o->time;
	opt.legacy = o->legacy;
	if (vouch_arc_verify_new(dns, &opt, &av) != VOUCH_OK)
		goto out;
	if (o->authres == NULL && !o->copy) {
		vouch_verify_options_init(&vo);
		vo.authserv_id = o->authserv;
		/* arc= is the chain validated here, as on arrival (--cv) */
		vo.skip_arc = true;
		memset(&smtp, 0, sizeof(smtp));
		smtp.ip = o->ip;
		smtp.ip_len = o->ip ? strlen(o->ip) : 0;
		smtp.helo = o->helo;
		smtp.helo_len = o->helo ? strlen(o->helo) : 0;
		smtp.mail_from = o->mailfrom;
		smtp.mail_from_len = o->mailfrom ? strlen(o->mailfrom) : 0;
		if (vouch_verify_new(dns, &vo, &vh, err, sizeof(err)) !=
		        VOUCH_OK ||
		    vouch_verify_msg_new(vh, &smtp, &vm) != VOUCH_OK) {
			fprintf(stderr, "%s: cannot verify: %s\n", cli_progname,
			    err);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	if ((st = vouch_arc_seal_new(&req, &s)) != VOUCH_OK) {
		/* the request passed its check: out of memory or OpenSSL */
		fprintf(stderr, "%s arc seal: %s\n", cli_progname,
		    vouch_status_str(st));
		rc = CLI_EXIT_SOFTWARE;
		goto out;
	}
	if ((rc = open_input(o, &fd)) != 0)
		goto out;
	rc = CLI_EXIT_SOFTWARE;
	/* The set goes on top but is known at the end: read twice. */
	if ((start = lseek(fd, 0, SEEK_CUR)) == -1 &&
	    (spool = tmpfile()) == NULL) {
		fprintf(stderr, "%s: temporary file: %s\n", cli_progname,
		    strerror(errno));
		rc = CLI_EXIT_IO;
		goto out;
	}
	if ((buf = malloc(VOUCH_MESSAGE_CHUNK)) == NULL ||
	    vouch_message_reader_new(fd, &r) != VOUCH_OK)
		goto out;
	st = vouch_message_read_header(r, &p, &n);
	if (st != VOUCH_OK) {
		fprintf(stderr, "%s: %s\n", cli_progname, vouch_status_str(st));
		rc = st == VOUCH_EIO ? CLI_EXIT_IO : CLI_EXIT_DATAERR;
		goto out;
	}
	{
		const uint8_t *nl = memchr(p, '\n', n);

		crlf = nl == NULL || (nl > p && nl[-1] == '\r');
	}
	if ((spool != NULL && fwrite(p, 1, n, spool) != n) ||
	    vouch_arc_seal_update(s, p, n) != VOUCH_OK ||
	    vouch_arc_verify_header(av, p, n) != VOUCH_OK ||
	    (vm != NULL && vouch_verify_msg_header(vm, p, n) != VOUCH_OK))
		goto fail;
	for (;;) {
		if ((st = vouch_message_read_body(r, &p, &n)) != VOUCH_OK) {
			fprintf(stderr, "%s: reading the body: %s\n",
			    cli_progname, vouch_status_str(st));
			rc = CLI_EXIT_IO;
			goto out;
		}
		if (n == 0)
			break;
		if ((spool != NULL && fwrite(p, 1, n, spool) != n) ||
		    vouch_arc_seal_update(s, p, n) != VOUCH_OK ||
		    vouch_arc_verify_body(av, p, n) != VOUCH_OK ||
		    (vm != NULL && vouch_verify_msg_body(vm, p, n) != VOUCH_OK))
			goto fail;
	}
	if (vouch_arc_verify_finish(av, &chain) != VOUCH_OK)
		goto fail;
	/*
	 * --cv: the chain as validated on receipt, before this hop changed
	 * the message (RFC 8617 §5.1 step 1: modifications come first, the
	 * cv= is the validation's); the instance is still this message's.
	 */
	if (o->cv >= 0)
		chain->cv = (enum vouch_arc_cv)o->cv;
	if (vm != NULL) {
		if (vouch_verify_msg_finish(vm, &vr) != VOUCH_OK ||
		    compute_authres(o, vr, chain, &authres) != 0 ||
		    vouch_arc_seal_set_auth_results(s, authres) != VOUCH_OK)
			goto fail;
	}
	st = vouch_arc_seal_finish(s, chain, crlf, &fields, &flen);
	if (st != VOUCH_OK) {
		fprintf(stderr, "%s: cannot seal: %s (%s)\n", cli_progname,
		    vouch_arc_seal_error(s), vouch_status_str(st));
		rc = st == VOUCH_ESYNTAX || st == VOUCH_ELIMIT
		         ? CLI_EXIT_DATAERR
		         : CLI_EXIT_SOFTWARE;
		goto out;
	}
	if (fields != NULL && fwrite(fields, 1, flen, stdout) != flen)
		goto out;
	if (copy_out(fd, start, spool, buf, VOUCH_MESSAGE_CHUNK) != 0) {
		fprintf(stderr, "%s: writing the message: %s\n", cli_progname,
		    strerror(errno));
		rc = CLI_EXIT_IO;
		goto out;
	}
	rc = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_IO;
	goto out;
fail:
	fprintf(stderr, "%s: cannot seal: %s\n", cli_progname,
	    s != NULL && vouch_arc_seal_error(s)[0] != '\0'
	        ? vouch_arc_seal_error(s)
	        : "out of memory or a write error");
	rc = CLI_EXIT_SOFTWARE;
out:
	if (fd > 0)
		close(fd);
	if (spool != NULL)
		fclose(spool);
	free(buf);
	free(fields);
	free(authres);
	free(hcopy);
	vouch_message_reader_free(r);
	vouch_verify_result_free(vr);
	vouch_verify_msg_free(vm);
	vouch_verify_free(vh);
	vouch_arc_result_free(chain);
	vouch_arc_seal_free(s);
	vouch_arc_verify_free(av);
	vouch_dkim_key_free(key);
	vouch_dns_free(dns);
	return rc;
}

int
cmd_arc(int argc, char **argv)
{
	static char name[32];
	struct arc_opts o;
	int rc;

	if (argc < 2) {
		arc_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	memset(&o, 0, sizeof(o));
	o.cv = -1;
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		arc_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "seal") != 0) {
		fprintf(stderr, "%s arc: unknown subcommand '%s'\n",
		    cli_progname, argv[1]);
		arc_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	o.seal = strcmp(argv[1], "seal") == 0;
	cli_name_command(argv + 1, "vouch arc", name, sizeof(name));
	if ((rc = parse_opts(argc - 1, argv + 1, &o)) != 0)
		return rc < 0 ? CLI_EXIT_OK : rc;
	return o.seal ? arc_seal(&o) : arc_verify(&o);
}
