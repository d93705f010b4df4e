#!/usr/bin/python3
"""Turn the drivers' result lines into the benchmark table.

Usage: report.py DATADIR RESULTS

RESULTS holds lines "IMPL SIZE ALG OP RATE" (see bench.h).  For each
size x algorithm x operation the table gives messages per second for each
implementation, its share of the OpenSSL ceiling and its ratio to
libopendkim.  The ceiling for a message of B bytes is
    1 / (1 / ops + B / sha256_rate)
with ops the signature operations per second and sha256_rate the hash rate
measured by ceiling_bench, B the size of the file the implementation reads
(the signed message for verify, the unsigned one for sign).
"""

import os
import sys

SIZES = ["2k", "20k", "200k", "2m"]
ALGS = [("rsa", "RSA-2048"), ("ed", "Ed25519")]
OPS = ["verify", "sign"]
IMPLS = [("vouch", "vouch"), ("libopendkim", "libopendkim"),
         ("dkimpy", "dkimpy"), ("mail-dkim", "Mail::DKIM")]
# Issue 2: the share of the ceiling vouch must reach.
TARGETS = {("rsa", "verify"): 70, ("rsa", "sign"): 85,
           ("ed", "verify"): 90}
CANON_TARGET = 1e9  # bytes per second


def main():
    d, path = sys.argv[1], sys.argv[2]
    r = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 5 and w[0] == "check":
                r[tuple(w[:4])] = w[4]
            elif len(w) == 5:
                try:
                    r[tuple(w[:4])] = float(w[4])
                except ValueError:
                    pass
    hash_rate = r.get(("ceiling", "-", "sha256", "hash"))
    if not hash_rate:
        sys.exit("report.py: no ceiling in %s" % path)

    print("OpenSSL ceiling: SHA-256 %.2f GB/s; RSA-2048 sign %.0f/s, "
          "verify %.0f/s; Ed25519 sign %.0f/s, verify %.0f/s" % (
              hash_rate / 1e9, r.get(("ceiling", "-", "rsa", "sign"), 0),
              r.get(("ceiling", "-", "rsa", "verify"), 0),
              r.get(("ceiling", "-", "ed", "sign"), 0),
              r.get(("ceiling", "-", "ed", "verify"), 0)))
    if ("ceiling", "-", "rsa", "verify-setup") in r:
        print("  (with a new OpenSSL context per operation: RSA verify "
              "%.0f/s, Ed25519 verify %.0f/s)" % (
                  r[("ceiling", "-", "rsa", "verify-setup")],
                  r.get(("ceiling", "-", "ed", "verify-setup"), 0)))
    print("Each cell: messages/s  (% of ceiling, ratio to libopendkim); "
          "'-' = not measured or not supported")
    print()
    head = "%-5s %-8s %-6s %9s" % ("size", "alg", "op", "ceiling")
    for _, label in IMPLS:
        head += "  %-24s" % label
    head += "  vouch target"
    print(head)
    print("-" * len(head))
    misses = []
    for size in SIZES:
        for alg, alabel in ALGS:
            for op in OPS:
                name = ("msg-%s-%s.eml" % (size, alg) if op == "verify"
                        else "msg-%s.eml" % size)
                nbytes = os.path.getsize(os.path.join(d, name))
                ops = r.get(("ceiling", "-", alg, op))
                ceil = 1 / (1 / ops + nbytes / hash_rate) if ops else None
                base = r.get(("libopendkim", size, alg, op))
                row = "%-5s %-8s %-6s %9s" % (
                    size, alabel, op, "%.0f" % ceil if ceil else "-")
                for impl, _ in IMPLS:
                    v = r.get((impl, size, alg, op))
                    if v is None:
                        cell = "-"
                    else:
                        cell = "%.0f" % v if v >= 100 else "%.1f" % v
                        cell += " (%s, %s)" % (
                            "%.0f%%" % (100 * v / ceil) if ceil else "-",
                            "%.2fx" % (v / base) if base else "-")
                    row += "  %-24s" % cell
                t = TARGETS.get((alg, op))
                v = r.get(("vouch", size, alg, op))
                if t is None:
                    row += "  -"
                elif v is None or not ceil:
                    row += "  >=%d%% not measured" % t
                else:
                    got = 100 * v / ceil
                    ok = got >= t
                    row += "  >=%d%% %s" % (t, "met" if ok else "MISSED")
                    if not ok:
                        misses.append("%s %s %s: %.0f%% < %d%%" % (
                            size, alabel, op, got, t))
                print(row)
    print()
    print("vouch body canonicalization alone, GB/s of body bytes "
          "(2 MiB, 64 KiB chunks):")
    print("  %-34s %10s %18s %8s" % ("body", "relaxed", "relaxed+SHA-256",
                                     "simple"))
    for suffix, label in (("", "2 MiB message (text + base64)"),
                          ("-text", "plain text lines")):
        cells = []
        for op in ("relaxed-body", "relaxed-body+sha256", "simple-body"):
            v = r.get(("vouch", "-", "canon", op + suffix))
            cells.append("%.2f" % (v / 1e9) if v else "-")
        print("  %-34s %10s %18s %8s" % (label, *cells))
        v = r.get(("vouch", "-", "canon", "relaxed-body" + suffix))
        if v is None:
            misses.append("relaxed body canon (%s) not measured" % label)
        elif v < CANON_TARGET:
            misses.append("relaxed body canon (%s) %.2f GB/s < 1 GB/s"
                          % (label, v / 1e9))
    print("  target: relaxed >= 1 GB/s on its own")
    checks = sorted((k, v) for k, v in r.items() if k[0] == "check")
    fails = [c for c in checks if c[1] != "pass"]
    if checks:
        print("vouch signatures checked by dkimpy: %d of %d pass%s" % (
            len(checks) - len(fails), len(checks),
            "" if not fails else " (FAIL: %s)" % ", ".join(
                "%s %s" % (k[1], k[2]) for k, _ in fails)))
    if misses:
        print("vouch misses: " + "; ".join(misses))


if __name__ == "__main__":
    main()
