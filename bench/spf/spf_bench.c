/*
 * bench/spf: the helpers of the SPF drivers (see spf_bench.h).
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../bench.h"
#include "spf_bench.h"

size_t
spf_bench_clients(const char *dir, struct spf_client *c, size_t cap)
{
	char path[4096], line[256];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/clients.txt", dir);
	if ((f = fopen(path, "r")) == NULL)
		err(1, "%s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (n == cap)
			errx(1, "%s: more than %zu clients", path, cap);
		if (sscanf(line, "%63s %15s %d %31s %d", c[n].ip, c[n].verdict,
		        &c[n].depth, c[n].term, &c[n].rfc_queries) != 5)
			errx(1, "%s: bad line: %s", path, line);
		n++;
	}
	fclose(f);
	if (n == 0)
		errx(1, "%s: no clients", path);
	return n;
}

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
spf_bench_rate(int (*fn)(void *), void *arg, size_t per_call, double seconds,
    const char *what, double *cpu_rate, double *wall_rate)
{
	double c0, w0, c, w, rate;
	unsigned long n, iters;
	int round;

	if (fn(arg) != 0)
		errx(1, "%s: failed", what);
	*cpu_rate = *wall_rate = 0;
	if ((iters = bench_fixed_iters()) != 0) {
		c0 = bench_now();
		w0 = wall_now();
		for (n = 0; n < iters; n++)
			if (bench_timed_call(fn, arg) != 0)
				errx(1, "%s: failed", what);
		c = bench_now();
		w = wall_now();
		*cpu_rate = c > c0 ? iters * per_call / (c - c0) : 0;
		*wall_rate = w > w0 ? iters * per_call / (w - w0) : 0;
		return;
	}
	/*
	 * Three rounds, the best counts: on a shared machine a round can
	 * lose time to other processes, never gain it.  The clock is read
	 * once per pass over the mix, not per evaluation, so that reading it
	 * (a system call for CPU time) does not weigh on fast evaluations.
	 * A round also ends after as much wall time, for the drivers that
	 * mostly wait on DNS.
	 */
	for (round = 0; round < 3; round++) {
		n = 0;
		c0 = bench_now();
		w0 = wall_now();
		do {
			if (bench_timed_call(fn, arg) != 0)
				errx(1, "%s: failed", what);
			n += per_call;
			c = bench_now();
			w = wall_now();
		} while (c - c0 < seconds / 3 && w - w0 < seconds / 3);
		rate = n / (c - c0);
		if (rate > *cpu_rate) {
			*cpu_rate = rate;
			*wall_rate = n / (w - w0);
		}
	}
}

unsigned long
spf_bench_logged(const char *path)
{
	FILE *f;
	unsigned long n = 0;
	int ch;

	if (path == NULL)
		return 0;
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while ((ch = getc(f)) != EOF)
		if (ch == '\n')
			n++;
	fclose(f);
	return n;
}
