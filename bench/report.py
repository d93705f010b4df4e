#!/usr/bin/python3
"""Turn the drivers' result lines into the benchmark table.

Usage: report.py DATADIR RESULTS

RESULTS holds lines "IMPL SIZE ALG OP RATE" (see bench.h), and, from
run.sh's rounds, "round R SIZE ALG OP : IMPL SIZE ALG OP RATE": a vouch
cell and the ceiling rows measured beside it in round R.  For each
size x algorithm x operation the table gives messages per second for each
implementation, its share of the ceiling and its ratio to libopendkim.
The ceiling for a message of B bytes is
    1 / (1 / ops + B / sha256_rate)
with ops the signature operations per second of the faster library
(lines "ceiling openssl|libsodium ALG OP RATE"; libsodium has Ed25519
only) and sha256_rate the hash rate measured by ceiling_bench, B the size
of the file the implementation reads (the signed message for verify, the
unsigned one for sign).  vouch's share is computed in each round against
that round's ceiling for the cell; the table gives the median of the
rounds (the target is checked on it) and the range.  The peers, measured
once, are set against the median of the rounds' ceilings.  A file
without rounds (runs before 2026-12-07) reads as one round.  Lines
"callgrind-vouch 2k ALG OP IR" and "callgrind-ceiling LIB ALG OP IR"
(run.sh, when valgrind is there) give instructions per operation.
"""

import os
import sys
from statistics import median

SIZES = ["2k", "20k", "200k", "2m"]
ALGS = [("rsa", "RSA-2048"), ("ed", "Ed25519")]
OPS = ["verify", "sign"]
IMPLS = [("vouch", "vouch"), ("libopendkim", "libopendkim"),
         ("dkimpy", "dkimpy"), ("mail-dkim", "Mail::DKIM")]
CEILING_LIBS = ["openssl", "libsodium"]
# Issue 10 (issue 2 asked 70/85/90): the share of the ceiling vouch must
# reach; RSA verify 85% up to 20 KiB, 90% from 200 KiB on.
TARGETS = {("rsa", "verify"): 85, ("rsa", "sign"): 90,
           ("ed", "verify"): 90, ("ed", "sign"): 90}
BIG_RSA_VERIFY_TARGET = 90


def target(alg, op, size):
    if (alg, op) == ("rsa", "verify") and size in ("200k", "2m"):
        return BIG_RSA_VERIFY_TARGET
    return TARGETS.get((alg, op))


CANON_TARGET = 1e9  # bytes per second


class Results:
    """The lines of RESULTS.  Lines "IMPL SIZE ALG OP RATE" (one pass:
    the peers, every line of a run before 2026-12-07) go to `one`; lines
    "round R SIZE ALG OP : IMPL SIZE ALG OP RATE" (run.sh's rounds: a vouch
    cell and the ceiling rows measured beside it) to rounds[R][cell].
    A value is looked up in the cell's round first, then in the one pass,
    so a file without rounds reads as one round whose every cell shares
    the one ceiling."""

    def __init__(self, path):
        self.one = {}
        self.rounds = {}
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) == 11 and w[0] == "round" and w[5] == ":":
                    try:
                        r, v = int(w[1]), float(w[10])
                    except ValueError:
                        continue
                    cell = tuple(w[2:5])
                    self.rounds.setdefault(r, {}).setdefault(
                        cell, {})[tuple(w[6:10])] = v
                elif len(w) == 5 and w[0] == "check":
                    self.one[tuple(w[:4])] = w[4]
                elif len(w) == 5:
                    try:
                        self.one[tuple(w[:4])] = float(w[4])
                    except ValueError:
                        pass

    def round_ids(self):
        """The rounds, or [None] (one pass) for a file without them."""
        return sorted(self.rounds) or [None]

    def get(self, key, r=None, cell=None):
        if r is not None:
            v = self.rounds.get(r, {}).get(cell, {}).get(key)
            if v is not None:
                return v
        return self.one.get(key)

    def all_values(self, key):
        """Every measurement of key: each round's cells', then the one
        pass's."""
        v = [c[key] for r in self.rounds.values() for c in r.values()
             if key in c]
        if key in self.one:
            v.append(self.one[key])
        return v

    def ceiling_ops(self, alg, op, r=None, cell=None):
        """The faster library's rate, and its name."""
        best = (None, None)
        for lib in CEILING_LIBS:
            v = self.get(("ceiling", lib, alg, op), r, cell)
            if v and (best[0] is None or v > best[0]):
                best = (v, lib)
        return best

    def ceiling(self, nbytes, size, alg, op, r=None):
        """Messages per second no implementation can beat for this cell,
        from round r's measurements beside it (or the one pass's)."""
        cell = (size, alg, op)
        ops, _ = self.ceiling_ops(alg, op, r, cell)
        h = self.get(("ceiling", "-", "sha256", "hash"), r, cell)
        return 1 / (1 / ops + nbytes / h) if ops and h else None


def cell_rounds(res, nbytes, size, alg, op):
    """vouch's share of the ceiling in each round: a list of (round,
    vouch msgs/s, ceiling msgs/s, percent), percent None when either is
    missing."""
    out = []
    for r in res.round_ids():
        v = res.get(("vouch", size, alg, op), r, (size, alg, op))
        c = res.ceiling(nbytes, size, alg, op, r)
        out.append((r, v, c, 100 * v / c if v and c else None))
    return out


def spread(values, fmt):
    """ "median (min-max, N)" of a list of numbers."""
    if not values:
        return "-"
    if len(values) == 1:
        return fmt % values[0]
    return "%s (%s-%s, %d)" % (fmt % median(values), fmt % min(values),
                                fmt % max(values), len(values))


def main():
    d, path = sys.argv[1], sys.argv[2]
    res = Results(path)
    r = res.one
    hashes = res.all_values(("ceiling", "-", "sha256", "hash"))
    if not hashes:
        sys.exit("report.py: no ceiling in %s" % path)
    rounds = res.round_ids()

    def rate(lib, alg, op):
        v = res.all_values(("ceiling", lib, alg, op))
        return spread(v, "%.0f") + "/s" if v else "-"

    print("Ceiling: SHA-256 %s GB/s (OpenSSL); RSA-2048 (OpenSSL) sign "
          "%s, verify %s" % (spread([h / 1e9 for h in hashes], "%.2f"),
                             rate("openssl", "rsa", "sign"),
                             rate("openssl", "rsa", "verify")))
    for op in OPS:
        v, lib = res.ceiling_ops("ed", op, rounds[0], ("2k", "ed", op))
        print("  Ed25519 %-6s OpenSSL %9s, libsodium %9s: the ceiling is "
              "%s's" % (op, rate("openssl", "ed", op),
                        rate("libsodium", "ed", op), lib or "-"))
    if res.all_values(("ceiling", "openssl", "rsa", "verify-setup")):
        print("  (with a new OpenSSL context per operation: RSA verify "
              "%s, Ed25519 verify %s)" % (
                  rate("openssl", "rsa", "verify-setup"),
                  rate("openssl", "ed", "verify-setup")))
    if rounds != [None]:
        print("  (a rate given as median (least-greatest, count) of its "
              "measurements: each round measures it beside every cell "
              "that needs it)")
        print("vouch and the ceiling: %d rounds, each cell of vouch beside "
              "its ceiling; vouch's cells give the median of the rounds "
              "(msgs/s, and %% of that round's ceiling); the peers one "
              "pass, against the median ceiling" % len(rounds))
    print("Each cell: messages/s  (% of ceiling, ratio to libopendkim); "
          "'-' = not measured or not supported")
    print()
    head = "%-5s %-8s %-6s %9s" % ("size", "alg", "op", "ceiling")
    for _, label in IMPLS:
        head += "  %-24s" % label
    head += "  %-17s  %s" % ("vouch target", "vouch, rounds: range")
    print(head)
    print("-" * len(head))
    misses = []
    detail = []
    for size in SIZES:
        for alg, alabel in ALGS:
            for op in OPS:
                name = ("msg-%s-%s.eml" % (size, alg) if op == "verify"
                        else "msg-%s.eml" % size)
                nbytes = os.path.getsize(os.path.join(d, name))
                per = cell_rounds(res, nbytes, size, alg, op)
                ceils = [c for _, _, c, _ in per if c]
                ceil = median(ceils) if ceils else None
                pcts = [p for _, _, _, p in per if p is not None]
                vs = [v for _, v, _, _ in per if v is not None]
                base = r.get(("libopendkim", size, alg, op))
                row = "%-5s %-8s %-6s %9s" % (
                    size, alabel, op, "%.0f" % ceil if ceil else "-")
                for impl, _ in IMPLS:
                    if impl == "vouch":
                        v = median(vs) if vs else None
                        pct = median(pcts) if pcts else None
                    else:
                        v = r.get((impl, size, alg, op))
                        pct = 100 * v / ceil if v is not None and ceil \
                            else None
                    if v is None:
                        cell = "-"
                    else:
                        cell = "%.0f" % v if v >= 100 else "%.1f" % v
                        cell += " (%s, %s)" % (
                            "%.0f%%" % pct if pct is not None else "-",
                            "%.2fx" % (v / base) if base else "-")
                    row += "  %-24s" % cell
                t = target(alg, op, size)
                if t is None:
                    tcell = "-"
                elif not pcts:
                    tcell = ">=%d%% not measured" % t
                else:
                    got = median(pcts)
                    ok = got >= t
                    tcell = ">=%d%% %s" % (t, "met" if ok else "MISSED")
                    if not ok:
                        misses.append("%s %s %s: %.0f%% < %d%%" % (
                            size, alabel, op, got, t))
                row += "  %-17s" % tcell
                if len(pcts) > 1:
                    row += "  %.1f-%.1f%% of %d" % (min(pcts), max(pcts),
                                                    len(pcts))
                elif pcts:
                    row += "  one pass" if rounds == [None] else "  1 round"
                print(row)
                detail.append((size, alabel, op, per, t))
    if rounds != [None]:
        print_rounds(detail, rounds)
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
    callgrind(res)
    checks = sorted((k, v) for k, v in r.items() if k[0] == "check")
    fails = [c for c in checks if c[1] != "pass"]
    if checks:
        print("vouch signatures checked by dkimpy: %d of %d pass%s" % (
            len(checks) - len(fails), len(checks),
            "" if not fails else " (FAIL: %s)" % ", ".join(
                "%s %s" % (k[1], k[2]) for k, _ in fails)))
    if misses:
        print("vouch misses: " + "; ".join(misses))


def print_rounds(detail, rounds):
    """vouch's share of the ceiling in each round, the median and the
    range: the median is what the target is checked on."""
    print()
    print("vouch, % of the ceiling in each round (the ceiling measured "
          "beside the cell in that round):")
    head = "%-5s %-8s %-6s" % ("size", "alg", "op")
    for rid in rounds:
        head += " %6s" % ("r%d" % rid)
    head += " %7s %11s %7s" % ("median", "range", "target")
    print(head)
    for size, alabel, op, per, t in detail:
        row = "%-5s %-8s %-6s" % (size, alabel, op)
        for _, _, _, p in per:
            row += " %6s" % ("%.1f%%" % p if p is not None else "-")
        pcts = [p for _, _, _, p in per if p is not None]
        if pcts:
            row += " %6.1f%% %11s" % (median(pcts), "%.1f-%.1f%%" % (
                min(pcts), max(pcts)))
        else:
            row += " %7s %11s" % ("-", "-")
        row += " %7s" % (">=%d%%" % t if t is not None else "-")
        print(row)
    print()


def callgrind(res):
    """Instructions per operation at 2 KiB (valgrind --tool=callgrind):
    repeatable on a loaded machine where CPU time is not."""
    r = res.one
    rows = [(alg, op) for alg, _ in ALGS for op in OPS
            if ("callgrind-vouch", "2k", alg, op) in r]
    if not rows:
        print("callgrind: not run (no valgrind)")
        return
    print("Instructions per operation, 2 KiB message (callgrind, the "
          "timed calls only):")
    print("  %-16s %12s %12s %12s  %s" % ("", "vouch", "ceiling op",
                                          "vouch - op", "ceiling library"))
    for alg, op in rows:
        v = r[("callgrind-vouch", "2k", alg, op)]
        _, lib = res.ceiling_ops(alg, op, res.round_ids()[0], ("2k", alg, op))
        c = r.get(("callgrind-ceiling", lib, alg, op))
        print("  %-16s %12.0f %12s %12s  %s" % (
            "%s %s" % (dict(ALGS)[alg], op), v,
            "%.0f" % c if c else "-", "%.0f" % (v - c) if c else "-",
            lib or "-"))


if __name__ == "__main__":
    main()
