/*
 * vouch verify --failure-report DIR: the DMARC failure reports a verdict
 * calls for (vouch_failure_build, report_failure.h), each written to DIR
 * as one .eml file, never sent.  The rate limit's state and the
 * redaction key live in DIR too (.vouch-failure-state, .vouch-redact-key),
 * so that runs one after another share them; the state file is locked
 * while a run uses it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verify_failure.h"

#define STATE_NAME ".vouch-failure-state"
#define KEY_NAME ".vouch-redact-key"
#define KEY_BYTES 32
/* file names tried per report before giving up (all taken: EEXIST) */
#define NAME_TRIES 10000

void
cli_failure_init(struct cli_failure *cf)
{
	memset(cf, 0, sizeof(cf[0]));
	vouch_failure_options_init(&cf->opts);
}

/* "N/PERIOD": PERIOD seconds, or a unit s, m, h, d (with or without a
 * count: "10/h", "5/2h", "1/60"). */
static int
parse_rate(const char *s, unsigned *rate, unsigned *period)
{
	unsigned long long n, p = 1;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s || *end != '/' || n == 0 || n > 1000000)
		return -1;
	s = end + 1;
	if (*s >= '0' && *s <= '9') {
		p = strtoull(s, &end, 10);
		if (errno || p == 0 || p > 400ull * 86400)
			return -1;
		s = end;
	}
	switch (*s) {
	case '\0':
	case 's':
		break;
	case 'm':
		p *= 60;
		break;
	case 'h':
		p *= 3600;
		break;
	case 'd':
		p *= 86400;
		break;
	default:
		return -1;
	}
	if (*s != '\0' && s[1] != '\0')
		return -1;
	if (p > 400ull * 86400)
		return -1;
	*rate = (unsigned)n;
	*period = (unsigned)p;
	return 0;
}

static int
parse_kinds(const char *s, unsigned *out)
{
	unsigned k = 0;
	size_t n;

	while (*s != '\0') {
		n = strcspn(s, ",");
		if (n == 5 && strncmp(s, "dmarc", 5) == 0)
			k |= VOUCH_FAILURE_DMARC;
		else if (n == 4 && strncmp(s, "dkim", 4) == 0)
			k |= VOUCH_FAILURE_DKIM;
		else if (n == 3 && strncmp(s, "spf", 3) == 0)
			k |= VOUCH_FAILURE_SPF;
		else
			return -1;
		s += n;
		if (*s == ',')
			s++;
	}
	if (k == 0)
		return -1;
	*out = k;
	return 0;
}

int
cli_failure_option(struct cli_failure *cf, int ch, const char *arg)
{
	switch (ch) {
	case CLI_FAILURE_OPT_DIR:
		cf->dir = arg;
		cf->opts.enabled = true;
		return 0;
	case CLI_FAILURE_OPT_FROM:
		cf->opts.from = arg;
		return 0;
	case CLI_FAILURE_OPT_REDACT:
		if (strcmp(arg, "hash") == 0)
			cf->opts.redact = VOUCH_FAILURE_REDACT_HASH;
		else if (strcmp(arg, "token") == 0)
			cf->opts.redact = VOUCH_FAILURE_REDACT_TOKEN;
		else if (strcmp(arg, "none") == 0)
			cf->opts.redact = VOUCH_FAILURE_REDACT_NONE;
		else {
			fprintf(stderr, "vouch verify: --failure-redact is "
			                "hash, token or none\n");
			return -1;
		}
		return 0;
	case CLI_FAILURE_OPT_TOKEN:
		cf->opts.redact_token = arg;
		return 0;
	case CLI_FAILURE_OPT_KEY:
		cf->key_file = arg;
		return 0;
	case CLI_FAILURE_OPT_RATE:
		if (parse_rate(arg, &cf->opts.rate, &cf->opts.rate_period) <
		    0) {
			fprintf(stderr, "vouch verify: bad --failure-rate "
			                "(N/PERIOD, e.g. 10/h)\n");
			return -1;
		}
		return 0;
	case CLI_FAILURE_OPT_STATE:
		cf->state = arg;
		return 0;
	case CLI_FAILURE_OPT_BODY:
		cf->opts.include_body = true;
		return 0;
	case CLI_FAILURE_OPT_KINDS:
		if (parse_kinds(arg, &cf->opts.kinds) < 0) {
			fprintf(stderr, "vouch verify: --failure-kinds is a "
			                "list of dmarc, dkim, spf\n");
			return -1;
		}
		return 0;
	default:
		return -1;
	}
}

/* Reads the whole of fd (from offset 0) up to max bytes; -1 on error,
 * -2 when longer. */
static ssize_t
read_all(int fd, uint8_t *buf, size_t max)
{
	size_t n = 0;
	ssize_t k;

	for (;;) {
		k = pread(fd, buf + n, max + 1 - n, (off_t)n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			return (ssize_t)n;
		n += (size_t)k;
		if (n > max)
			return -2;
	}
}

static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	ssize_t k;

	while (n > 0) {
		k = write(fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static char *
path_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/*
 * The redaction key: --failure-redact-key FILE, else DIR/.vouch-redact-key,
 * made with random bytes the first time (mode 0600), so that the same
 * local-part gives the same text in every report of DIR (RFC 6590 §4).
 */
static int
load_key(const struct cli_failure *cf, uint8_t *key, size_t *len)
{
	char *path = cf->key_file ? NULL : path_in(cf->dir, KEY_NAME);
	const char *p = cf->key_file ? cf->key_file : path;
	uint8_t rnd[KEY_BYTES];
	ssize_t n;
	int fd, rc = -1;

	if (p == NULL)
		return -1;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && cf->key_file == NULL) {
		fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0 &&
		    (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd) ||
		        write_all(fd, rnd, sizeof(rnd)) < 0)) {
			fprintf(stderr, "vouch verify: %s: %s\n", p,
			    strerror(errno));
			close(fd);
			unlink(p);
			free(path);
			return -1;
		}
	}
	if (fd < 0) {
		fprintf(stderr, "vouch verify: %s: %s\n", p, strerror(errno));
		free(path);
		return -1;
	}
	n = read_all(fd, key, VOUCH_FAILURE_MAX_KEY);
	if (n <= 0)
		fprintf(stderr, "vouch verify: %s: %s\n", p,
		    n == 0    ? "empty key"
		    : n == -2 ? "key too long"
		              : strerror(errno));
	else {
		*len = (size_t)n;
		rc = 0;
	}
	close(fd);
	free(path);
	return rc;
}

/* One report as DIR/failure-TIME-PID-SEQ-KIND-DOMAIN.eml, never
 * replacing a file. */
static int
write_report(const struct cli_failure *cf, const struct vouch_failure_report *r,
    long long now)
{
	const char *dom = strrchr(r->to, '@');
	char *path;
	size_t cap = strlen(cf->dir) + VOUCH_DNS_MAX_NAME + 96;
	unsigned seq;
	int fd = -1;

	if ((path = malloc(cap)) == NULL)
		return -1;
	for (seq = 0; seq < NAME_TRIES && fd < 0; seq++) {
		snprintf(path, cap, "%s/failure-%lld-%ld-%u-%s-%s.eml", cf->dir,
		    now, (long)getpid(), seq, vouch_failure_kind_str(r->kind),
		    dom != NULL ? dom + 1 : "unknown");
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0 || write_all(fd, r->data, r->len) < 0) {
		fprintf(
		    stderr, "vouch verify: %s: %s\n", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		free(path);
		return -1;
	}
	free(path);
	return close(fd);
}

/*
 * The state file, opened and locked (runs one after another take turns),
 * and its content read into a buffer of the caller's (free()).
 */
static int
open_state(const struct cli_failure *cf, int *fdp, uint8_t **buf, size_t *len)
{
	char *path = cf->state ? NULL : path_in(cf->dir, STATE_NAME);
	const char *p = cf->state ? cf->state : path;
	ssize_t n;
	int fd = -1;

	*buf = NULL;
	if (p == NULL ||
	    (fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    flock(fd, LOCK_EX) < 0 ||
	    (*buf = malloc(VOUCH_FAILURE_STATE_MAX_BYTES + 1)) == NULL) {
		fprintf(stderr, "vouch verify: %s: %s\n", p ? p : "state file",
		    strerror(errno));
		goto fail;
	}
	n = read_all(fd, *buf, VOUCH_FAILURE_STATE_MAX_BYTES);
	if (n < 0) {
		fprintf(stderr, "vouch verify: %s: %s\n", p,
		    n == -2 ? "too large" : strerror(errno));
		goto fail;
	}
	*len = (size_t)n;
	free(path);
	*fdp = fd;
	return 0;
fail:
	free(*buf);
	*buf = NULL;
	free(path);
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
save_state(struct vouch_failure *f, int fd)
{
	char *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (vouch_failure_state_save(f, &text, &len) == VOUCH_OK &&
	    ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 &&
	    write_all(fd, text, len) == 0)
		rc = 0;
	else
		fprintf(stderr, "vouch verify: saving the rate state: %s\n",
		    strerror(errno));
	free(text);
	return rc;
}

int
cli_failure_check_dir(const struct cli_failure *cf)
{
	struct stat sb;

	if (stat(cf->dir, &sb) < 0) {
		fprintf(stderr, "vouch verify: --failure-report %s: %s\n",
		    cf->dir, strerror(errno));
		return CLI_EXIT_IO;
	}
	if (!S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "vouch verify: --failure-report %s: %s\n",
		    cf->dir, strerror(ENOTDIR));
		return CLI_EXIT_IO;
	}
	return CLI_EXIT_OK;
}

int
cli_failure_run(const struct cli_failure *cf, const char *authserv_id,
    const struct vouch_verify_result *res, const struct vouch_verify_smtp *smtp,
    const struct vouch_failure_message *msg, struct vouch_dns *dns)
{
	struct vouch_failure_options o = cf->opts;
	struct vouch_failure *f = NULL;
	struct vouch_failure_result out;
	uint8_t key[VOUCH_FAILURE_MAX_KEY + 1], *state = NULL;
	char from[VOUCH_FAILURE_MAX_ADDR + 16], err[256] = "";
	size_t i, nstate = 0;
	int fd = -1, rc = CLI_EXIT_IO;
	enum vouch_status st;

	memset(&out, 0, sizeof(out));
	if ((rc = cli_failure_check_dir(cf)) != CLI_EXIT_OK)
		return rc;
	rc = CLI_EXIT_IO;
	if (o.from == NULL) {
		snprintf(from, sizeof(from), "postmaster@%s", authserv_id);
		o.from = from;
	}
	if (open_state(cf, &fd, &state, &nstate) < 0)
		goto out;
	if (o.redact == VOUCH_FAILURE_REDACT_HASH) {
		if (load_key(cf, key, &o.redact_key_len) < 0)
			goto out;
		o.redact_key = key;
	}
	st = vouch_failure_new(&o, &f, err, sizeof(err));
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch verify: %s\n",
		    err[0] ? err : vouch_status_str(st));
		rc = st == VOUCH_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_SOFTWARE;
		goto out;
	}
	/* a state that does not parse is started afresh, with a word */
	if (nstate > 0 &&
	    vouch_failure_state_load(f, state, nstate, NULL) != VOUCH_OK)
		fprintf(stderr,
		    "vouch verify: the failure-report rate state does not "
		    "parse; starting afresh\n");
	st = vouch_failure_build(f, res, smtp, msg, dns, &out);
	if (st != VOUCH_OK) {
		fprintf(stderr, "vouch verify: failure reports: %s\n",
		    vouch_status_str(st));
		rc = CLI_EXIT_SOFTWARE;
		goto out;
	}
	for (i = 0; i < out.nreports; i++)
		if (write_report(cf, &out.report[i], (long long)msg->now) < 0)
			goto out;
	if (save_state(f, fd) < 0)
		goto out;
	rc = CLI_EXIT_OK;
out:
	explicit_bzero(key, sizeof(key));
	free(state);
	vouch_failure_result_free(&out);
	vouch_failure_free(f);
	if (fd >= 0)
		close(fd);
	return rc;
}
