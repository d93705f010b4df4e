/*
 * bench: what the C drivers share: the clock, reading an input file,
 * cutting a message into header fields and body, and the timed loop.
 *
 * Every driver prints lines "IMPL SIZE ALG OP RATE" (RATE in messages per
 * second, or bytes per second for the rows whose OP says so); run.sh
 * collects them and report.py makes the table.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* The sizes and algorithms of gen.py, in the order of the table. */
extern const char *const bench_sizes[4];
extern const char *const bench_algs[2]; /* "rsa", "ed" */
extern const char *const bench_selectors[2]; /* "rsa2048", "ed25519" */
#define BENCH_DOMAIN "bench.example"

/* CPU seconds used by this process so far. */
double bench_now(void);

/*
 * Reads DIR/NAME whole into a new buffer (NUL-terminated, not counted in
 * *len); exits with a message on failure.  The caller frees it.
 */
uint8_t *bench_slurp(const char *dir, const char *name, size_t *len);

/*
 * A message cut into header fields (each without its final CRLF, folding
 * kept) and the body (after the blank line): what a milter is handed.
 */
#define BENCH_MAX_FIELDS 64
struct bench_msg {
	const uint8_t *raw;
	size_t len;
	size_t nfields;
	const uint8_t *field[BENCH_MAX_FIELDS];
	size_t fieldlen[BENCH_MAX_FIELDS];
	const uint8_t *body;
	size_t bodylen;
};

/* Cuts raw/len (CRLF line ends) into msg; exits on a malformed input. */
void bench_split(const uint8_t *raw, size_t len, struct bench_msg *msg);

/*
 * Runs fn(arg) for `seconds` in three rounds (after one untimed warm-up
 * call) and returns the calls per second of the fastest round.  fn returns 0,
 * or non-zero to stop the run with an error, which bench_rate reports and turns
 * into exit 1.
 */
double bench_rate(
    int (*fn)(void *), void *arg, double seconds, const char *what);

/*
 * bench_timed_call - fn(arg): every timed call of bench_rate goes through
 * it, so that callgrind --toggle-collect=bench_timed_call counts those
 * calls alone.  With BENCH_ITERS=N in the environment, bench_rate makes
 * exactly N timed calls (after the warm-up) instead of running for a time:
 * the instructions per call are callgrind's total over N.
 */
int bench_timed_call(int (*fn)(void *), void *arg);

/*
 * bench_fixed_iters - BENCH_ITERS=N from the environment: exactly N timed
 * calls (or passes), for an instruction count; 0 when unset.  Exits with
 * status 2 on a value that is not a positive count.
 */
unsigned long bench_fixed_iters(void);

/*
 * The command line every C driver takes: DATADIR SECONDS [SIZE ALG OP].
 * With the last three (e.g. "2m rsa verify"; "- - canon" for the
 * canonicalizer rows) only that cell runs: for profiling one operation.
 * Exits with the usage on a wrong command line.
 */
void bench_args(int argc, char *argv[], const char *prog, const char **dir,
    double *seconds);

/* bench_want - does the command line ask for this cell? */
int bench_want(const char *size, const char *alg, const char *op);

#endif
