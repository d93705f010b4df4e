#!/usr/bin/python3
"""One vouch row of the full-verdict benchmark and the legacy row of its
algorithm, taking turns on the core in slices of tens of milliseconds.

    interleave.py BUILD DATADIR ALG IMPL ROUNDS SLICE PAIRS

Starts both drivers (bench/verify/*_verify_bench) with BENCH_SLICES=1, so
that each waits for a slice length on stdin, runs its verdict for that
much CPU time and answers "slice N SECS" (bench.c, serve_slices).  After a
warm-up slice each, the drivers take turns: PAIRS pairs a round, legacy
first in even pairs and vouch first in odd ones, SLICE CPU seconds each.
Prints, for each round R, the lines run.sh's other shapes print:

    round R ALG/IMPL legacy 20k ALG verify RATE
    round R ALG/IMPL IMPL 20k ALG verify RATE

RATE is the calls per CPU second over the round's slices of that driver,
so report.py divides them as it divides a pair.  Both drivers are pinned
to one CPU (BENCH_CPU, default the lowest this process may use).

Why: this VM shares its physical cores with the host in spells of under a
second to several seconds (bench/README.md, "Method (full verdict)").  A
spell that falls on one whole row moves that row's rate alone; in slices
of 20 ms both rows share every spell longer than a few slices, and the
ratio of the two rates keeps only what the spells do to each row's own
code.
"""
import os
import subprocess
import sys


def start(build, data, alg, impl):
    if impl == "legacy":
        prog = "legacy_verify_bench"
    else:
        prog = "vouch_verify_bench"
    cmd = [os.path.join(build, "bench", "verify", prog), data, "1", "20k",
           alg, impl]
    env = dict(os.environ, BENCH_SLICES="1")
    return subprocess.Popen(cmd, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=env, text=True)


def run_slice(p, secs):
    p.stdin.write("%r\n" % secs)
    p.stdin.flush()
    w = p.stdout.readline().split()
    if len(w) != 3 or w[0] != "slice":
        sys.exit("interleave.py: %s answered %r" % (p.args[0], " ".join(w)))
    return int(w[1]), float(w[2])


def finish(p):
    p.stdin.close()
    p.stdout.read()
    if p.wait() != 0:
        sys.exit("interleave.py: %s exited %d" % (p.args[0], p.returncode))


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__.split("\n\n")[1])
    build, data, alg, impl = sys.argv[1:5]
    rounds, secs, pairs = (int(sys.argv[5]), float(sys.argv[6]),
                           int(sys.argv[7]))
    drivers = {"legacy": start(build, data, alg, "legacy"),
               impl: start(build, data, alg, impl)}
    # Both on one (virtual) core: taking turns in time shares the host's
    # spells only if both turns run on the same vCPU.  Left to the
    # scheduler, the two drivers sat on the two vCPUs, whose physical
    # cores the host loads apart: one round read legacy 3,471 beside vouch
    # 15,152, the next vouch 11,358 beside legacy 5,084 (2.23-4.37x).
    cpu = int(os.environ.get("BENCH_CPU", min(os.sched_getaffinity(0))))
    for p in drivers.values():
        os.sched_setaffinity(p.pid, {cpu})
    for p in drivers.values():
        run_slice(p, 0.1)  # warm-up: caches, branch predictors, pages
    for r in range(1, rounds + 1):
        total = {k: [0, 0.0] for k in drivers}
        for k in range(pairs):
            order = ("legacy", impl) if k % 2 == 0 else (impl, "legacy")
            for who in order:
                n, t = run_slice(drivers[who], secs)
                total[who][0] += n
                total[who][1] += t
        for who in ("legacy", impl):
            n, t = total[who]
            print("round %d %s/%s %s 20k %s verify %.1f" %
                  (r, alg, impl, who, alg, n / t if t > 0 else 0))
        sys.stdout.flush()
    for p in drivers.values():
        finish(p)


if __name__ == "__main__":
    main()
