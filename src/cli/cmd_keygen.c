#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "vouch/dkim_sign.h"

static void
keygen_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: vouch keygen [-t rsa|ed25519] [-b BITS] -d DOMAIN "
	    "-s SELECTOR [-o DIR]\n"
	    "\n"
	    "Makes a DKIM key pair and the DNS record that publishes it.\n"
	    "\n"
	    "  -t, --type TYPE      rsa (default) or ed25519 (RFC 8463)\n"
	    "  -b, --bits BITS      RSA modulus size, %d..%d (default %d; "
	    "RFC 8301\n"
	    "                       forbids less than %d)\n"
	    "  -d, --domain DOMAIN  the signing domain (d=)\n"
	    "  -s, --selector SEL   the selector (s=)\n"
	    "  -o, --output DIR     where to write the files (default .)\n"
	    "\n"
	    "Writes two new files, and refuses to overwrite either:\n"
	    "  DIR/SELECTOR.private  the private key, PEM PKCS#8, mode 0600\n"
	    "                        (for 'vouch dkim sign -k')\n"
	    "  DIR/SELECTOR.txt      the public key as a zone-file line:\n"
	    "    SELECTOR._domainkey.DOMAIN. IN TXT ( \"v=DKIM1; k=...; "
	    "p=...\" )\n"
	    "                        cut into strings of at most 255 bytes\n"
	    "and prints the DNS record on standard output.\n"
	    "Exit status: 0 done, 64 usage, 74 a file could not be written.\n",
	    VOUCH_DKIM_RSA_MIN_BITS, VOUCH_DKIM_RSA_MAX_BITS,
	    VOUCH_DKIM_RSA_DEFAULT_BITS, VOUCH_DKIM_RSA_MIN_BITS);
}

/* Write `len` bytes to a new file; refuses to replace one. */
static int
write_new(const char *path, const char *p, size_t len, mode_t mode)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd == -1)
		return -1;
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			unlink(path);
			return -1;
		}
		off += (size_t)n;
	}
	if (close(fd) == -1) {
		unlink(path);
		return -1;
	}
	return 0;
}

int
cmd_keygen(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"type", required_argument, NULL, 't'},
	    {"bits", required_argument, NULL, 'b'},
	    {"domain", required_argument, NULL, 'd'},
	    {"selector", required_argument, NULL, 's'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	enum vouch_dkim_key_type type = VOUCH_DKIM_KEY_RSA;
	const char *domain = NULL, *selector = NULL, *dir = ".";
	struct vouch_dkim_key *key = NULL;
	char privpath[PATH_MAX], txtpath[PATH_MAX], *rec = NULL, *end;
	unsigned long bits = 0;
	size_t reclen;
	enum vouch_status st;
	int c, rc = CLI_EXIT_OK;

	while ((c = getopt_long(argc, argv, "t:b:d:s:o:h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 't':
			if (strcmp(optarg, "rsa") == 0)
				type = VOUCH_DKIM_KEY_RSA;
			else if (strcmp(optarg, "ed25519") == 0)
				type = VOUCH_DKIM_KEY_ED25519;
			else {
				fprintf(stderr,
				    "vouch keygen: -t: unknown key "
				    "type '%s' (rsa or ed25519)\n",
				    optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'b':
			errno = 0;
			bits = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    bits < VOUCH_DKIM_RSA_MIN_BITS ||
			    bits > VOUCH_DKIM_RSA_MAX_BITS) {
				fprintf(stderr,
				    "vouch keygen: -b %s: want %d.."
				    "%d bits (RFC 8301 forbids RSA "
				    "keys under %d bits)\n",
				    optarg, VOUCH_DKIM_RSA_MIN_BITS,
				    VOUCH_DKIM_RSA_MAX_BITS,
				    VOUCH_DKIM_RSA_MIN_BITS);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'd':
			domain = optarg;
			break;
		case 's':
			selector = optarg;
			break;
		case 'o':
			dir = optarg;
			break;
		case 'h':
			keygen_usage(stdout);
			return CLI_EXIT_OK;
		default:
			keygen_usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc || domain == NULL || selector == NULL) {
		fprintf(stderr, "vouch keygen: -d DOMAIN and -s SELECTOR are "
		                "required, and nothing else\n");
		keygen_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (bits != 0 && type != VOUCH_DKIM_KEY_RSA) {
		fprintf(stderr, "vouch keygen: -b applies to RSA keys only\n");
		return CLI_EXIT_USAGE;
	}
	if (strchr(selector, '/') != NULL ||
	    snprintf(privpath, sizeof(privpath), "%s/%s.private", dir,
	        selector) >= (int)sizeof(privpath) ||
	    snprintf(txtpath, sizeof(txtpath), "%s/%s.txt", dir, selector) >=
	        (int)sizeof(txtpath)) {
		fprintf(stderr, "vouch keygen: bad selector or directory\n");
		return CLI_EXIT_USAGE;
	}
	if ((st = vouch_dkim_key_generate(type, (unsigned)bits, &key)) !=
	    VOUCH_OK) {
		fprintf(stderr, "vouch keygen: cannot make a key: %s\n",
		    vouch_status_str(st));
		return CLI_EXIT_SOFTWARE;
	}
	st = vouch_dkim_key_record(key, domain, selector, &rec, &reclen);
	if (st == VOUCH_EINVAL) {
		fprintf(stderr,
		    "vouch keygen: '%s' or '%s' is not a valid DNS "
		    "name\n",
		    domain, selector);
		rc = CLI_EXIT_USAGE;
		goto out;
	} else if (st != VOUCH_OK) {
		fprintf(stderr, "vouch keygen: %s\n", vouch_status_str(st));
		rc = CLI_EXIT_SOFTWARE;
		goto out;
	}
	/* The record first: if it exists, no private key is left behind. */
	if (write_new(txtpath, rec, reclen, 0644) == -1) {
		fprintf(
		    stderr, "vouch keygen: %s: %s\n", txtpath, strerror(errno));
		rc = CLI_EXIT_IO;
		goto out;
	}
	if (vouch_dkim_key_write_private(key, privpath) != VOUCH_OK) {
		fprintf(stderr, "vouch keygen: %s: %s\n", privpath,
		    strerror(errno));
		unlink(txtpath);
		rc = CLI_EXIT_IO;
		goto out;
	}
	fwrite(rec, 1, reclen, stdout);
	if (fflush(stdout) != 0)
		rc = CLI_EXIT_IO;
out:
	free(rec);
	vouch_dkim_key_free(key);
	return rc;
}
