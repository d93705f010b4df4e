/*
 * bench: the helpers every C driver shares (see bench.h).
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

const char *const bench_sizes[4] = {"2k", "20k", "200k", "2m"};
const char *const bench_algs[2] = {"rsa", "ed"};
const char *const bench_selectors[2] = {"rsa2048", "ed25519"};

static const char *only[3]; /* SIZE ALG OP of the command line, or NULL */

void
bench_args(
    int argc, char *argv[], const char *prog, const char **dir, double *seconds)
{
	char *end;

	if (argc != 3 && argc != 6)
		errx(2, "usage: %s DATADIR SECONDS [SIZE ALG OP]", prog);
	*dir = argv[1];
	*seconds = strtod(argv[2], &end);
	if (*end != '\0' || *seconds <= 0)
		errx(2, "%s: bad SECONDS", argv[2]);
	if (argc == 6) {
		only[0] = argv[3];
		only[1] = argv[4];
		only[2] = argv[5];
	}
}

int
bench_want(const char *size, const char *alg, const char *op)
{
	return only[0] == NULL ||
	       (strcmp(only[0], size) == 0 && strcmp(only[1], alg) == 0 &&
	           strcmp(only[2], op) == 0);
}

double
bench_now(void)
{
	struct timespec ts;

	/*
	 * CPU time of this process, not wall time: the machine is shared (two
	 * cores, builds and tests of other work), and time spent waiting for
	 * the core is not time the implementation needs.
	 */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint8_t *
bench_slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		err(1, "%s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		err(1, "%s", path);
	if ((buf = malloc((size_t)n + 1)) == NULL)
		err(1, NULL);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		errx(1, "%s: short read", path);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

void
bench_split(const uint8_t *raw, size_t len, struct bench_msg *msg)
{
	const uint8_t *p = raw, *end = raw + len, *start, *nl;

	memset(msg, 0, sizeof(*msg));
	msg->raw = raw;
	msg->len = len;
	while (p < end) {
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
			msg->body = p + 2;
			msg->bodylen = (size_t)(end - p - 2);
			return;
		}
		start = p;
		/* A field ends at a CRLF not followed by white space. */
		for (;;) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL || nl == start || nl[-1] != '\r')
				errx(1, "input is not CRLF text");
			p = nl + 1;
			if (p >= end || (*p != ' ' && *p != '\t'))
				break;
		}
		if (msg->nfields == BENCH_MAX_FIELDS)
			errx(1, "too many header fields");
		msg->field[msg->nfields] = start;
		msg->fieldlen[msg->nfields] = (size_t)(nl - 1 - start);
		msg->nfields++;
	}
	errx(1, "message has no body");
}

/*
 * Every timed call goes through this function, so that callgrind can
 * count the instructions of the timed calls alone
 * (--toggle-collect=bench_timed_call): not the warm-up, not the set-up.
 */
__attribute__((noinline)) int
bench_timed_call(int (*fn)(void *), void *arg)
{
	return fn(arg);
}

unsigned long
bench_fixed_iters(void)
{
	const char *s = getenv("BENCH_ITERS");
	char *end;
	unsigned long n;

	if (s == NULL || *s == '\0')
		return 0;
	n = strtoul(s, &end, 10);
	if (*end != '\0' || n == 0)
		errx(2, "BENCH_ITERS=%s: want a count", s);
	return n;
}

/*
 * Timed calls of fn until `seconds` of CPU time have passed; *n gets the
 * count, the return value the CPU seconds they took.  The clock is read
 * after a batch of calls, not after each: reading this process's CPU
 * clock is a system call (0.62-0.66 us on this VM, 3% of a 2 KiB Ed25519
 * signature), and read per call it added the same time to every driver
 * and ceiling, which moved each ratio towards 1.  A batch doubles until it
 * takes a millisecond.
 */
static double
timed_run(int (*fn)(void *), void *arg, double seconds, const char *what,
    unsigned long *n)
{
	double t0, t, t1;
	unsigned long i, batch = 1;

	*n = 0;
	t = t0 = bench_now();
	do {
		t1 = t;
		for (i = 0; i < batch; i++)
			if (bench_timed_call(fn, arg) != 0)
				errx(1, "%s: failed", what);
		*n += batch;
		t = bench_now();
		if (t - t1 < 1e-3 && batch < (1UL << 20))
			batch *= 2;
	} while (t - t0 < seconds);
	return t - t0;
}

/*
 * BENCH_SLICES=1: the driver measures in slices its caller hands out, so
 * that two drivers can take turns on the core every few tens of
 * milliseconds (bench/verify/interleave.py).  Each line on stdin is a
 * slice's length in CPU seconds; the answer on stdout is "slice N SECS":
 * the calls made and the CPU seconds they took.  Returns the calls per
 * second over every slice when stdin ends.
 */
static double
serve_slices(int (*fn)(void *), void *arg, const char *what)
{
	char line[64], *end;
	double want, secs, all_secs = 0;
	unsigned long n, all_n = 0;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		want = strtod(line, &end);
		if (end == line || want <= 0 || want > 60)
			errx(2, "BENCH_SLICES: bad slice \"%s\"", line);
		secs = timed_run(fn, arg, want, what, &n);
		printf("slice %lu %.9f\n", n, secs);
		fflush(stdout);
		all_n += n;
		all_secs += secs;
	}
	return all_secs > 0 ? all_n / all_secs : 0;
}

double
bench_rate(int (*fn)(void *), void *arg, double seconds, const char *what)
{
	double t0, t = 0, best = 0;
	unsigned long n, iters = bench_fixed_iters();
	const char *sliced = getenv("BENCH_SLICES");
	int round;

	if (fn(arg) != 0)
		errx(1, "%s: failed", what);
	if (sliced != NULL && strcmp(sliced, "1") == 0)
		return serve_slices(fn, arg, what);
	if (iters > 0) {
		t0 = bench_now();
		for (n = 0; n < iters; n++)
			if (bench_timed_call(fn, arg) != 0)
				errx(1, "%s: failed", what);
		t = bench_now();
		return t > t0 ? iters / (t - t0) : 0;
	}
	/*
	 * Three rounds, the best one counts: on a shared two-core machine a
	 * round can lose time to other processes, never gain it.
	 */
	for (round = 0; round < 3; round++) {
		t = timed_run(fn, arg, seconds / 3, what, &n);
		if (n / t > best)
			best = n / t;
	}
	return best;
}
