#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "vouch/dkim_sign.h"

/* Bytes read and written per step; the body is never held whole. */
#define SIGN_CHUNK (64 * 1024)

static void
sign_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch dkim sign -d DOMAIN -s SELECTOR -k KEYFILE "
	    "[-d ... -s ... -k ...]\n"
	    "                       [-a ALG] [-c HEADER/BODY] [-x SECONDS] "
	    "[-i AUID] [-l]\n"
	    "                       [--time UNIXTIME] [FILE]\n"
	    "\n"
	    "Signs the message in FILE (or standard input) and writes it to "
	    "standard\n"
	    "output: the new DKIM-Signature field(s) first, then the input "
	    "byte for byte.\n"
	    "A message with bare LF line ends gets the new fields with LF "
	    "too.\n"
	    "\n"
	    "  -d, --domain DOMAIN    signing domain (d=)\n"
	    "  -s, --selector SEL     selector (s=); the key is at "
	    "SEL._domainkey.DOMAIN\n"
	    "  -k, --key KEYFILE      private key: PEM (PKCS#8 or PKCS#1), "
	    "or a base64\n"
	    "                         Ed25519 seed (dkimpy's format)\n"
	    "  -a, --algorithm ALG    rsa-sha256 or ed25519-sha256 (default: "
	    "from the key)\n"
	    "  -c, --canon H/B        simple or relaxed, for header/body "
	    "(default\n"
	    "                         relaxed/relaxed; \"X\" alone means X/"
	    "simple)\n"
	    "  -x, --expire SECONDS   add x= that many seconds after t=\n"
	    "  -i, --auid AUID        add i= (must be within d=)\n"
	    "  -l, --body-length      add l= (off by default: l= lets others "
	    "append)\n"
	    "  -t, --time UNIXTIME    the signing time t= (default: now)\n"
	    "\n"
	    "Several signatures in one pass: repeat -d, -s and -k as groups, "
	    "e.g.\n"
	    "  vouch dkim sign -d ex.com -s r1 -k rsa.pem -d ex.com -s e1 "
	    "-k ed.pem\n"
	    "Each -d after the first starts a new signature; -a and -i apply "
	    "to the\n"
	    "signature being described, -c, -x and -l to it and those after "
	    "it.\n"
	    "Headers signed: From, To, Subject, Date, Message-ID and the MIME "
	    "fields,\n"
	    "oversigned, and Cc, Reply-To, References, List-* and the other "
	    "fields of\n"
	    "RFC 6376 §5.4.1 present.\n"
	    "Exit status: 0 signed, 64 usage, 65 the message cannot be signed "
	    "(e.g. no\n"
	    "From) or the key file does not parse, 74 a file could not be "
	    "read or\nwritten.\n");
}

struct sign_opt {
	const char *domain, *selector, *keyfile, *auid;
	enum vouch_dkim_sign_alg alg;
	bool hrel, brel, blen;
	uint64_t expire;
};

static int
parse_canon(const char *s, bool *hrel, bool *brel)
{
	const char *slash = strchr(s, '/');
	size_t hl = slash != NULL ? (size_t)(slash - s) : strlen(s);
	const char *b = slash != NULL ? slash + 1 : "simple";

	if (hl == 7 && strncmp(s, "relaxed", 7) == 0)
		*hrel = true;
	else if (hl == 6 && strncmp(s, "simple", 6) == 0)
		*hrel = false;
	else
		return -1;
	if (strcmp(b, "relaxed") == 0)
		*brel = true;
	else if (strcmp(b, "simple") == 0)
		*brel = false;
	else
		return -1;
	return 0;
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/*
 * Say which option of signature i (of n) the library refuses and why, and
 * return 1; 0 if it can be signed.  The library knows the rules
 * (vouch_dkim_sign_req_check); this names the option that set the value.
 */
static int
req_refused(const struct vouch_dkim_sign_req *r, const struct sign_opt *o,
    size_t i, size_t n)
{
	enum vouch_dkim_sign_req_part part;
	const char *why;
	char which[32] = "";

	if (vouch_dkim_sign_req_check(r, &part, &why) == VOUCH_OK)
		return 0;
	if (n > 1)
		snprintf(which, sizeof(which), " (signature %zu)", i + 1);
	switch (part) {
	case VOUCH_DKIM_SIGN_REQ_DOMAIN:
		fprintf(stderr, "vouch dkim sign: -d %s%s: %s\n", o->domain,
		    which, why);
		break;
	case VOUCH_DKIM_SIGN_REQ_SELECTOR:
		fprintf(stderr, "vouch dkim sign: -s %s%s: %s\n", o->selector,
		    which, why);
		break;
	case VOUCH_DKIM_SIGN_REQ_ALG:
		fprintf(stderr, "vouch dkim sign: -a %s with -k %s%s: %s\n",
		    o->alg == VOUCH_DKIM_SIGN_ED25519_SHA256 ? "ed25519-sha256"
		                                             : "rsa-sha256",
		    o->keyfile, which, why);
		break;
	case VOUCH_DKIM_SIGN_REQ_AUID:
		fprintf(stderr, "vouch dkim sign: -i %s with -d %s%s: %s\n",
		    o->auid, o->domain, which, why);
		break;
	default:
		fprintf(
		    stderr, "vouch dkim sign: cannot sign%s: %s\n", which, why);
		break;
	}
	return 1;
}

/* Write all of p/len to stdout. */
static int
out_all(const void *p, size_t len)
{
	return fwrite(p, 1, len, stdout) == len ? 0 : -1;
}

int
cmd_dkim_sign(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"domain", required_argument, NULL, 'd'},
	    {"selector", required_argument, NULL, 's'},
	    {"key", required_argument, NULL, 'k'},
	    {"algorithm", required_argument, NULL, 'a'},
	    {"canon", required_argument, NULL, 'c'},
	    {"expire", required_argument, NULL, 'x'},
	    {"auid", required_argument, NULL, 'i'},
	    {"body-length", no_argument, NULL, 'l'},
	    {"time", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct sign_opt opt[VOUCH_DKIM_SIGN_MAX_REQUESTS], cur;
	struct vouch_dkim_sign_req req[VOUCH_DKIM_SIGN_MAX_REQUESTS];
	struct vouch_dkim_key *key[VOUCH_DKIM_SIGN_MAX_REQUESTS];
	struct vouch_dkim_sign *s = NULL;
	const char *path = "-", *name = "standard input";
	uint8_t *buf = NULL;
	char *fields = NULL, err[512];
	size_t nopt = 0, i, n, fieldslen;
	uint64_t now = 0;
	off_t start = -1;
	enum vouch_status st;
	FILE *in = NULL, *spool = NULL;
	bool crlf = true, first_nl_seen = false, last_cr = false;
	int c, rc = CLI_EXIT_OK;

	memset(key, 0, sizeof(key));
	memset(&cur, 0, sizeof(cur));
	cur.hrel = cur.brel = true;
	while ((c = getopt_long(
	            argc, argv, "d:s:k:a:c:x:i:lt:h", longopts, NULL)) != -1) {
		/* a -d after a complete group starts the next signature */
		if (c == 'd' && cur.domain != NULL) {
			if (nopt + 1 == VOUCH_DKIM_SIGN_MAX_REQUESTS) {
				fprintf(stderr,
				    "vouch dkim sign: at most %d "
				    "signatures\n",
				    VOUCH_DKIM_SIGN_MAX_REQUESTS);
				return CLI_EXIT_USAGE;
			}
			opt[nopt++] = cur;
			cur.domain = cur.selector = cur.keyfile = NULL;
			cur.auid = NULL;
			cur.alg = VOUCH_DKIM_SIGN_ALG_AUTO;
		}
		switch (c) {
		case 'd':
			cur.domain = optarg;
			break;
		case 's':
			cur.selector = optarg;
			break;
		case 'k':
			cur.keyfile = optarg;
			break;
		case 'a':
			/* getopt gives "a:" its argument */
			if (strcmp(optarg, "rsa-sha256") == 0) /* NOLINT */
				cur.alg = VOUCH_DKIM_SIGN_RSA_SHA256;
			else if (strcmp(optarg, "ed25519-sha256") == 0)
				cur.alg = VOUCH_DKIM_SIGN_ED25519_SHA256;
			else {
				fprintf(stderr,
				    "vouch dkim sign: -a %s: want "
				    "rsa-sha256 or ed25519-sha256 "
				    "(RFC 8301 forbids rsa-sha1)\n",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'c':
			if (parse_canon(optarg, &cur.hrel, &cur.brel) == -1) {
				fprintf(stderr,
				    "vouch dkim sign: -c %s: want "
				    "simple or relaxed, e.g. "
				    "relaxed/simple\n",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'x':
			if (parse_u64(optarg, &cur.expire) == -1 ||
			    cur.expire == 0) {
				fprintf(stderr,
				    "vouch dkim sign: -x %s: want "
				    "a number of seconds > 0\n",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'i':
			cur.auid = optarg;
			break;
		case 'l':
			cur.blen = true;
			break;
		case 't':
			if (parse_u64(optarg, &now) == -1 || now == 0 ||
			    now > INT64_MAX / 2) {
				fprintf(stderr,
				    "vouch dkim sign: --time %s: "
				    "want seconds since 1970\n",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'h':
			sign_usage(stdout);
			return CLI_EXIT_OK;
		default:
			sign_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	opt[nopt++] = cur;
	for (i = 0; i < nopt; i++)
		if (opt[i].domain == NULL || opt[i].selector == NULL ||
		    opt[i].keyfile == NULL) {
			fprintf(stderr, "vouch dkim sign: each signature needs "
			                "-d DOMAIN, -s SELECTOR and -k "
			                "KEYFILE\n");
			sign_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	if (argc - optind > 1) {
		fprintf(stderr, "vouch dkim sign: one message at a time\n");
		return CLI_EXIT_USAGE;
	}
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0) {
		path = argv[optind];
		name = path;
	}

	memset(req, 0, sizeof(req));
	for (i = 0; i < nopt; i++) {
		err[0] = '\0';
		st = vouch_dkim_key_load_file(
		    opt[i].keyfile, &key[i], err, sizeof(err));
		if (st != VOUCH_OK) {
			fprintf(stderr, "vouch dkim sign: -k %s\n",
			    err[0] ? err : vouch_status_str(st));
			/* A key that does not parse is bad data. */
			rc = st == VOUCH_EIO ? CLI_EXIT_IO : CLI_EXIT_DATAERR;
			goto out;
		}
		req[i].key = key[i];
		req[i].domain = opt[i].domain;
		req[i].selector = opt[i].selector;
		req[i].alg = opt[i].alg;
		req[i].header_relaxed = opt[i].hrel;
		req[i].body_relaxed = opt[i].brel;
		req[i].body_length = opt[i].blen;
		req[i].auid = opt[i].auid;
		req[i].expire = opt[i].expire;
		if (req_refused(&req[i], &opt[i], i, nopt)) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	if ((st = vouch_dkim_sign_new(req, nopt, (int64_t)now, &s)) !=
	    VOUCH_OK) {
		/* the requests passed their check: out of memory */
		fprintf(stderr, "vouch dkim sign: %s\n", vouch_status_str(st));
		rc = CLI_EXIT_SOFTWARE;
		goto out;
	}

	if ((in = cli_open_input("dkim sign", path)) == NULL) {
		rc = CLI_EXIT_IO;
		goto out;
	}
	/*
	 * The fields go on top, but are known only at the end: read the
	 * input twice.  A pipe is spooled to a temporary file on the way,
	 * so that memory stays the same whatever the size of the message.
	 */
	/* a redirected stdin may start anywhere in its file: remember where */
	if ((start = ftello(in)) == -1 && (spool = tmpfile()) == NULL) {
		fprintf(stderr, "vouch dkim sign: temporary file: %s\n",
		    strerror(errno));
		rc = CLI_EXIT_IO;
		goto out;
	}
	if ((buf = malloc(SIGN_CHUNK)) == NULL) {
		rc = CLI_EXIT_SOFTWARE;
		goto out;
	}
	while ((n = fread(buf, 1, SIGN_CHUNK, in)) > 0) {
		/* the first line end tells the message's convention */
		if (!first_nl_seen) {
			for (i = 0; i < n; i++) {
				if (buf[i] == '\n') {
					crlf = i > 0 ? buf[i - 1] == '\r'
					             : last_cr;
					first_nl_seen = true;
					break;
				}
			}
			last_cr = buf[n - 1] == '\r';
		}
		if (spool != NULL && fwrite(buf, 1, n, spool) != n) {
			fprintf(stderr,
			    "vouch dkim sign: temporary file: "
			    "%s\n",
			    strerror(errno));
			rc = CLI_EXIT_IO;
			goto out;
		}
		/* the error is sticky: vouch_dkim_sign_finish reports it */
		if (vouch_dkim_sign_update(s, buf, n) != VOUCH_OK)
			break;
	}
	if (ferror(in)) {
		fprintf(stderr, "vouch dkim sign: %s: read error\n", name);
		rc = CLI_EXIT_IO;
		goto out;
	}
	st = vouch_dkim_sign_finish(s, crlf, &fields, &fieldslen);
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch dkim sign: %s: cannot sign: %s\n", name,
		    vouch_dkim_sign_error(s)[0] ? vouch_dkim_sign_error(s)
		                                : vouch_status_str(st));
		rc = st == VOUCH_ENOMEM || st == VOUCH_ECRYPTO
		         ? CLI_EXIT_SOFTWARE
		         : CLI_EXIT_DATAERR;
		goto out;
	}
	if (spool != NULL) {
		cli_close_input(in);
		in = spool;
		spool = NULL;
	}
	if (fseeko(in, start == -1 ? 0 : start, SEEK_SET) == -1) {
		fprintf(stderr,
		    "vouch dkim sign: %s: cannot read it again: "
		    "%s\n",
		    name, strerror(errno));
		rc = CLI_EXIT_IO;
		goto out;
	}
	if (out_all(fields, fieldslen) == -1)
		goto wfail;
	while ((n = fread(buf, 1, SIGN_CHUNK, in)) > 0)
		if (out_all(buf, n) == -1)
			goto wfail;
	if (ferror(in)) {
		fprintf(stderr, "vouch dkim sign: %s: read error\n", name);
		rc = CLI_EXIT_IO;
		goto out;
	}
	if (fflush(stdout) != 0)
		goto wfail;
	goto out;
wfail:
	fprintf(
	    stderr, "vouch dkim sign: standard output: %s\n", strerror(errno));
	rc = CLI_EXIT_IO;
out:
	cli_close_input(in);
	if (spool != NULL)
		fclose(spool);
	free(buf);
	free(fields);
	vouch_dkim_sign_free(s);
	for (i = 0; i < VOUCH_DKIM_SIGN_MAX_REQUESTS; i++)
		vouch_dkim_key_free(key[i]);
	return rc;
}
