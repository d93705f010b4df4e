/*
 * bench/spf: what the C drivers of the SPF benchmark share: the client
 * mix of gen.py, the timed loop (CPU and wall time), and the query log of
 * countdns.py for the cold runs.
 *
 * Every driver prints lines run.sh collects and report.py reads:
 *   rate IMPL VARIANT CPU_RATE WALL_RATE      evaluations per second
 *   cold IMPL SCOPE EVALS QUERIES             DNS questions sent, cold
 */
#ifndef BENCH_SPF_BENCH_H
#define BENCH_SPF_BENCH_H

#include <stddef.h>

#define SPF_BENCH_MAX_CLIENTS 256
#define SPF_BENCH_SENDER "user@bench.example"
#define SPF_BENCH_HELO "mta.client.example"

/* One line of clients.txt. */
struct spf_client {
	char ip[64];
	char verdict[16]; /* "pass", "fail", ... */
	int depth; /* include level where the decision fell */
	char term[32];
	int rfc_queries; /* DNS questions RFC 7208 asks for, cold */
};

/* Reads DIR/clients.txt; exits on a malformed file.  Returns the count. */
size_t spf_bench_clients(const char *dir, struct spf_client *c, size_t cap);

/*
 * Runs fn(arg) (one pass over the whole mix, `per_call` evaluations) for
 * `seconds` of CPU in three rounds after one untimed pass; the best round
 * gives *cpu_rate and the wall rate of that round *wall_rate, both in
 * evaluations per second.  fn returns 0, or non-zero to stop the driver
 * with an error.  Each timed pass goes through bench_timed_call, and
 * BENCH_ITERS=N makes exactly N timed passes instead (bench.h): with
 * callgrind --toggle-collect=bench_timed_call, the instructions per
 * evaluation are the total over N times per_call.
 */
void spf_bench_rate(int (*fn)(void *), void *arg, size_t per_call,
    double seconds, const char *what, double *cpu_rate, double *wall_rate);

/*
 * Lines of the query log countdns.py writes (one per question it
 * forwarded); 0 when `path` is NULL.
 */
unsigned long spf_bench_logged(const char *path);

#endif
