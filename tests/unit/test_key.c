/*
 * Unit tests of DKIM key loading, generation and the DNS record
 * (src/lib/dkim/key.c; RFC 8301 §3.2, RFC 8463 §4.2, RFC 1035 §3.3.14).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "tmpdir.h"
#include "vouch/dkim_sign.h"

/* Throwaway test keys, made with `openssl genpkey` for this file only. */
static const char rsa512_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIBUwIBADANBgkqhkiG9w0BAQEFAASCAT0wggE5AgEAAkEAvwRefo9JqhHrHUJw\n"
    "bX7gRemx+kVTcl5LW8GXVUcjeXwmzeHfmrgNgS27LLc47Q8up+L2VdWR9AyGD1ol\n"
    "1VXxtwIDAQABAkBXH+MJzslGrQ2UNu2Yw7n/qWvoPx6kl6W/oDkqSFxB2Djj/0RF\n"
    "JX8s9GjVZVZHcIMbPKGEMc6jQx2TFrtQ2MKBAiEA5o/yv1TWwc0LCQXjX1aPC83Z\n"
    "cbSy5Xt+JRLkCE3PL6cCIQDUF38sSyP01496z8wKztzzKyjA8sZcrZIJgpLWChPv\n"
    "cQIgK5XIuNyr4GUHkgQX8Hzne77FPVaAfxsyRIXmr58t7H8CIBQ1zPuGiX2aUOTO\n"
    "Ck55WdqeITsJp1dLfuADHkThHvcxAiBFmK3wjlkfeWHBAl/DboNZGOiz1KFxn78v\n"
    "5Z8RL6y2lg==\n"
    "-----END PRIVATE KEY-----\n";

static const char ec_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1r/CjN25PiKBOADx\n"
    "HTsf0QHMi4AVhIv2J5XE7WgNLUChRANCAAQyIqd4IYxGO4XU9mNntyMexGS0JUNT\n"
    "PxQYkCdRotrHqwi8MlP1M2zwWJdD/bAc9knHXe6yotbZQMa0jLazOGnH\n"
    "-----END PRIVATE KEY-----\n";

/*
 * RFC 8032 §7.1 TEST 1 secret key in dkimpy's format (base64 seed), and
 * its public key as RFC 8463 Appendix A.2 publishes it.
 */
#define RFC8032_SEED "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
#define RFC8463_PUB "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

static const struct {
	const char *name;
	const char *input;
	enum vouch_status want;
	enum vouch_dkim_key_type type; /* when VOUCH_OK */
} load_tests[] = {
    {"dkimpy ed25519 seed", RFC8032_SEED, VOUCH_OK, VOUCH_DKIM_KEY_ED25519},
    {"seed with newline and spaces", "  " RFC8032_SEED "\n", VOUCH_OK,
        VOUCH_DKIM_KEY_ED25519},
    {"seed of 31 bytes", "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
        VOUCH_ESYNTAX, 0},
    {"seed with a bad character",
        "nWGxne/9WmC6hEr0kuwsxERJxWl7Mm*ZcDusAxyuf2A=", VOUCH_ESYNTAX, 0},
    {"seed with padding inside",
        "nWGxne/9WmC6hEr0kuwsxERJxWl7Mm=ZcDusAxyuf2A=", VOUCH_ESYNTAX, 0},
    {"empty input", "", VOUCH_ESYNTAX, 0},
    {"binary junk", "\x01\x02\xff junk", VOUCH_ESYNTAX, 0},
    {"PEM armour around junk",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        VOUCH_ESYNTAX, 0},
    /* RFC 8301 §3.2: keys under 1024 bits are refused */
    {"RSA 512 bits refused", rsa512_pem, VOUCH_EINVAL, 0},
    {"EC P-256 key refused", ec_pem, VOUCH_EINVAL, 0},
};

static int
count_strings_ok(const char *rec, size_t *nstrings)
{
	const char *p = rec, *q;

	*nstrings = 0;
	while ((p = strchr(p, '"')) != NULL) {
		if ((q = strchr(p + 1, '"')) == NULL)
			return 0;
		/* RFC 1035 §3.3.14: at most 255 bytes per string */
		if (q - p - 1 > 255)
			return 0;
		(*nstrings)++;
		p = q + 1;
	}
	return 1;
}

int
main(void)
{
	struct vouch_dkim_key *key = NULL, *key2 = NULL;
	const char *dir;
	char path[320], err[256];
	char *rec = NULL, *rec2 = NULL;
	size_t i, len, nstr;
	enum vouch_status st;
	struct stat sb;

	for (i = 0; i < sizeof(load_tests) / sizeof(load_tests[0]); i++) {
		err[0] = '\0';
		st = vouch_dkim_key_load_mem(
		    (const uint8_t *)load_tests[i].input,
		    strlen(load_tests[i].input), &key, err, sizeof(err));
		tap_check(st == load_tests[i].want &&
		              (st != VOUCH_OK || vouch_dkim_key_type(key) ==
		                                     load_tests[i].type),
		    "load %s: got %s, want %s (%s)", load_tests[i].name,
		    vouch_status_str(st), vouch_status_str(load_tests[i].want),
		    err);
		vouch_dkim_key_free(key);
		key = NULL;
	}

	/* RFC 8463 §4.2: the record of the RFC 8032 key is A.2's record */
	st = vouch_dkim_key_load_mem(
	    (const uint8_t *)RFC8032_SEED, strlen(RFC8032_SEED), &key, NULL, 0);
	if (st == VOUCH_OK)
		st = vouch_dkim_key_record(
		    key, "football.example.com", "brisbane", &rec, &len);
	tap_check(st == VOUCH_OK && strstr(rec, RFC8463_PUB) != NULL &&
	              strncmp(rec,
	                  "brisbane._domainkey.football.example.com. IN TXT ( "
	                  "\"v=DKIM1; k=ed25519; ",
	                  72) == 0 &&
	              len == strlen(rec),
	    "ed25519 record is RFC 8463 A.2's: got %.100s",
	    rec ? rec : "(none)");
	free(rec);
	rec = NULL;
	vouch_dkim_key_free(key);
	key = NULL;

	/* generation limits, RFC 8301 §3.2 */
	tap_check(vouch_dkim_key_generate(VOUCH_DKIM_KEY_RSA, 512, &key) ==
	                  VOUCH_EINVAL &&
	              key == NULL,
	    "generate RSA 512 bits refused");
	tap_check(vouch_dkim_key_generate(VOUCH_DKIM_KEY_RSA, 8192, &key) ==
	              VOUCH_EINVAL,
	    "generate RSA 8192 bits refused (verifiers go to 4096)");
	tap_check(vouch_dkim_key_generate(7, 0, &key) == VOUCH_EINVAL,
	    "generate unknown type refused");
	st = vouch_dkim_key_generate(VOUCH_DKIM_KEY_RSA, 0, &key);
	tap_check(st == VOUCH_OK && vouch_dkim_key_bits(key) == 2048,
	    "generate RSA default is 2048 bits: got %u",
	    st == VOUCH_OK ? vouch_dkim_key_bits(key) : 0);

	/* the record: strings of at most 255 bytes, absolute owner name */
	st = vouch_dkim_key_record(key, "example.com", "sel", &rec, &len);
	tap_check(st == VOUCH_OK && count_strings_ok(rec, &nstr) && nstr == 2 &&
	              strncmp(rec,
	                  "sel._domainkey.example.com. IN TXT ( \"v=DKIM1; "
	                  "k=rsa; p=MIIB",
	                  52) == 0 &&
	              rec[len - 1] == '\n',
	    "RSA-2048 record cut in 2 strings of <= 255 bytes: got %.60s",
	    rec ? rec : "(none)");
	free(rec);
	rec = NULL;
	tap_check(vouch_dkim_key_record(
	              key, "ex ample.com", "sel", &rec, &len) == VOUCH_EINVAL,
	    "record with a space in the domain refused");
	tap_check(vouch_dkim_key_record(
	              key, "example..com", "sel", &rec, &len) == VOUCH_EINVAL,
	    "record with an empty label refused");
	tap_check(vouch_dkim_key_record(
	              key, "example.com", "a\"b", &rec, &len) == VOUCH_EINVAL,
	    "record with a quote in the selector refused");

	/* the private key file: mode 0600, never overwritten, reloads */
	if ((dir = tap_tmpdir("test-key")) == NULL) {
		tap_check(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	snprintf(path, sizeof(path), "%s/k.private", dir);
	st = vouch_dkim_key_write_private(key, path);
	if (stat(path, &sb) == -1)
		sb.st_mode = 0;
	tap_check(st == VOUCH_OK && (sb.st_mode & 0777) == 0600,
	    "private key written with mode 0600: got %s, mode %o",
	    vouch_status_str(st), (unsigned)(sb.st_mode & 0777));
	st = vouch_dkim_key_write_private(key, path);
	tap_check(st == VOUCH_EIO && errno == EEXIST,
	    "existing key file not overwritten: got %s", vouch_status_str(st));
	st = vouch_dkim_key_load_file(path, &key2, err, sizeof(err));
	if (st == VOUCH_OK)
		st = vouch_dkim_key_record(
		    key2, "example.com", "sel", &rec2, NULL);
	if (st == VOUCH_OK)
		st = vouch_dkim_key_record(
		    key, "example.com", "sel", &rec, NULL);
	tap_check(st == VOUCH_OK && strcmp(rec, rec2) == 0,
	    "written key reloads to the same public key: %s",
	    vouch_status_str(st));
	unlink(path);
	vouch_dkim_key_free(key2);
	key2 = NULL;
	snprintf(path, sizeof(path), "%s/missing.private", dir);
	st = vouch_dkim_key_load_file(path, &key2, err, sizeof(err));
	tap_check(st == VOUCH_EIO && strstr(err, "missing.private") != NULL,
	    "missing key file: error names it: %s", err);
	free(rec);
	free(rec2);
	vouch_dkim_key_free(key);
	vouch_dkim_key_free(NULL);

	st = vouch_dkim_key_generate(VOUCH_DKIM_KEY_ED25519, 0, &key);
	tap_check(st == VOUCH_OK &&
	              vouch_dkim_key_type(key) == VOUCH_DKIM_KEY_ED25519 &&
	              vouch_dkim_key_bits(key) == 256,
	    "generate ed25519");
	vouch_dkim_key_free(key);
	return tap_done();
}
