/*
 * bench: libopendkim (Debian's libopendkim-dev) signing and verifying the
 * messages of gen.py, one process, one thread, warm.
 *
 * Usage: opendkim_bench DATADIR SECONDS
 *
 * The messages are fed as the opendkim milter feeds them: header fields one
 * by one (dkim_header), dkim_eoh, the body in 64 KiB chunks (dkim_body),
 * dkim_eom; signing also fetches the finished DKIM-Signature field.  The
 * public keys come from memory through dkim_set_key_lookup, so no DNS and no
 * file is read in the loop: what is measured is the library's own work,
 * which includes parsing the key again for every message, as it does.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>

#include "bench.h"

#define CHUNK (64 * 1024)

static char records[2][1024]; /* by algorithm, as in keys.txt */

struct job {
	DKIM_LIB *lib;
	struct bench_msg msg;
	uint8_t *raw;
	int alg; /* 0 rsa, 1 ed */
	dkim_sigkey_t key;
};

static DKIM_CBSTAT
key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	const char *sel = (const char *)dkim_sig_getselector(sig);
	size_t i;

	for (i = 0; i < 2; i++) {
		if (strcmp(sel, bench_selectors[i]) == 0) {
			if (strlen(records[i]) >= buflen)
				return DKIM_CBSTAT_ERROR;
			memcpy(buf, records[i], strlen(records[i]) + 1);
			return DKIM_CBSTAT_CONTINUE;
		}
	}
	return DKIM_CBSTAT_NOTFOUND;
}

static int
feed(DKIM *dkim, const struct bench_msg *m)
{
	size_t i, n;

	for (i = 0; i < m->nfields; i++)
		if (dkim_header(dkim, (u_char *)m->field[i], m->fieldlen[i]) !=
		    DKIM_STAT_OK)
			return -1;
	if (dkim_eoh(dkim) != DKIM_STAT_OK)
		return -1;
	for (i = 0; i < m->bodylen; i += n) {
		n = m->bodylen - i < CHUNK ? m->bodylen - i : CHUNK;
		if (dkim_body(dkim, (u_char *)m->body + i, n) != DKIM_STAT_OK)
			return -1;
	}
	return 0;
}

static int
sign_one(void *arg)
{
	struct job *j = arg;
	DKIM_STAT st;
	DKIM *dkim;
	u_char *hdr = NULL;
	size_t hdrlen = 0;
	int rc = -1;

	dkim = dkim_sign(j->lib, (u_char *)"bench", NULL, j->key,
	    (u_char *)bench_selectors[j->alg], (u_char *)BENCH_DOMAIN,
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
	    j->alg == 0 ? DKIM_SIGN_RSASHA256 : DKIM_SIGN_ED25519SHA256, -1,
	    &st);
	if (dkim == NULL)
		return -1;
	if (feed(dkim, &j->msg) == 0 && dkim_eom(dkim, NULL) == DKIM_STAT_OK &&
	    dkim_getsighdr_d(dkim, strlen(DKIM_SIGNHEADER) + 2, &hdr,
	        &hdrlen) == DKIM_STAT_OK &&
	    hdrlen > 0)
		rc = 0;
	if (rc != 0)
		warnx("dkim_sign: %s", dkim_geterror(dkim));
	dkim_free(dkim);
	return rc;
}

static int
verify_one(void *arg)
{
	struct job *j = arg;
	DKIM_STAT st;
	DKIM *dkim;
	DKIM_SIGINFO *sig;
	int rc = -1;

	dkim = dkim_verify(j->lib, (u_char *)"bench", NULL, &st);
	if (dkim == NULL)
		return -1;
	if (feed(dkim, &j->msg) == 0 && dkim_eom(dkim, NULL) == DKIM_STAT_OK &&
	    (sig = dkim_getsignature(dkim)) != NULL && DKIM_SIG_CHECK(sig))
		rc = 0;
	dkim_free(dkim);
	return rc;
}

static void
load_records(const char *dir)
{
	size_t len, i;
	uint8_t *txt = bench_slurp(dir, "keys.txt", &len);
	char *line, *save = NULL, *sp;

	for (line = strtok_r((char *)txt, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		for (i = 0; i < 2; i++)
			if (strncmp(line, bench_selectors[i],
			        strlen(bench_selectors[i])) == 0)
				snprintf(records[i], sizeof(records[i]), "%s",
				    sp + 1);
	}
	free(txt);
}

int
main(int argc, char *argv[])
{
	const char *dir;
	double secs;
	DKIM_LIB *lib;
	struct job j;
	size_t len, s;
	int a;
	char name[64];
	uint8_t *keys[2];

	bench_args(argc, argv, "opendkim_bench", &dir, &secs);
	load_records(dir);
	keys[0] = bench_slurp(dir, "rsa.pem", &len);
	keys[1] = bench_slurp(dir, "ed.pem", &len);
	while (len > 0 && keys[1][len - 1] == '\n')
		keys[1][--len] = '\0';

	if ((lib = dkim_init(NULL, NULL)) == NULL)
		errx(1, "dkim_init failed");
	{
		const char *hdrs[] = {"from", "to", "cc", "subject", "date",
		    "message-id", "mime-version", "content-type", NULL};
		if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, hdrs,
		        sizeof(char **)) != DKIM_STAT_OK)
			errx(1, "DKIM_OPTS_SIGNHDRS refused");
	}
	dkim_set_key_lookup(lib, key_lookup);

	for (s = 0; s < 4; s++) {
		for (a = 0; a < 2; a++) {
			memset(&j, 0, sizeof(j));
			j.lib = lib;
			j.alg = a;
			j.key = keys[a];
			if (bench_want(
			        bench_sizes[s], bench_algs[a], "verify")) {
				snprintf(name, sizeof(name), "msg-%s-%s.eml",
				    bench_sizes[s], bench_algs[a]);
				j.raw = bench_slurp(dir, name, &len);
				bench_split(j.raw, len, &j.msg);
				printf("libopendkim %s %s verify %.1f\n",
				    bench_sizes[s], bench_algs[a],
				    bench_rate(verify_one, &j, secs, name));
				fflush(stdout);
				free(j.raw);
			}
			if (bench_want(bench_sizes[s], bench_algs[a], "sign")) {
				snprintf(name, sizeof(name), "msg-%s.eml",
				    bench_sizes[s]);
				j.raw = bench_slurp(dir, name, &len);
				bench_split(j.raw, len, &j.msg);
				printf("libopendkim %s %s sign %.1f\n",
				    bench_sizes[s], bench_algs[a],
				    bench_rate(sign_one, &j, secs, name));
				fflush(stdout);
				free(j.raw);
			}
		}
	}
	dkim_close(lib);
	free(keys[0]);
	free(keys[1]);
	return 0;
}
