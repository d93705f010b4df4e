#!/usr/bin/python3
"""The table of the full-verdict benchmark from the drivers' lines.

    report.py RESULTS

RESULTS holds the drivers' lines (IMPL 20k ALG verify RATE, and the
ceiling's "ceiling LIB ALG OP RATE"), each after a prefix naming where it
was measured:

    round R GROUP LINE   run.sh's rounds: GROUP is ALG/IMPL, one vouch
                         row and the legacy run(s) beside it (a pair, or
                         legacy-vouch-legacy), or "ceiling"
    R LINE               the rounds before 2026-12-07 19:30 UTC: every
                         driver whole, one after the other; the round is
                         the group

A vouch row's ratio in a group is its rate over the mean of the legacy
rates of the same algorithm in that group; the table gives the median of
those ratios with the least and greatest, and the median rate of each
row.  Rates are messages per CPU second of the driver's process (one
core).  Issue 10's target: vouch (default row) >= 3.0x legacy for each
algorithm, on the median.
"""
import statistics
import sys

IMPLS = ("vouch", "vouch-dnscache", "vouch-rfc7489")
ALGS = ("rsa", "ed")
TARGET = 3.0


def read(path):
    """groups[(round, group)] = {"legacy": {alg: [rates in order]},
    impl: {alg: rate}}; ceiling[(lib, alg)] = [rates]."""
    groups, ceiling = {}, {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) >= 8 and w[0] == "round":
                rnd, grp, w = int(w[1]), w[2], w[3:]
            elif len(w) >= 6 and w[0].isdigit():
                rnd, grp, w = int(w[0]), "all", w[1:]
            else:
                continue
            if w[0] == "ceiling":
                if w[3] == "verify":
                    ceiling.setdefault((w[1], w[2]), []).append(float(w[4]))
                continue
            impl, alg, rate = w[0], w[2], float(w[4])
            g = groups.setdefault((rnd, grp), {})
            if impl == "legacy":
                g.setdefault("legacy", {}).setdefault(alg, []).append(rate)
            else:
                g.setdefault(impl, {})[alg] = rate
    return groups, ceiling


def ratios(groups, impl, alg, pick=None):
    """[(round, ratio)] of impl against the legacy run(s) of its group.
    pick(round, legacy rates) chooses the legacy rate; the mean if None."""
    out = []
    for (rnd, _), g in sorted(groups.items()):
        leg = g.get("legacy", {}).get(alg, [])
        if alg in g.get(impl, {}) and leg:
            base = pick(rnd, leg) if pick else statistics.mean(leg)
            if base > 0:
                out.append((rnd, g[impl][alg] / base))
    return out


def rates(groups, impl, alg):
    if impl == "legacy":
        return [x for g in groups.values()
                for x in g.get("legacy", {}).get(alg, [])]
    return [g[impl][alg] for g in groups.values()
            if alg in g.get(impl, {})]


def span(v):
    return "%.2f-%.2fx" % (min(v), max(v))


def table(groups, ceiling):
    print("%-16s %-4s %12s %10s   %-13s %6s %18s" % (
        "implementation", "alg", "msgs/s", "vs legacy", "rounds", "n",
        "msgs/s range"))
    for alg in ALGS:
        leg = rates(groups, "legacy", alg)
        if leg:
            print("%-16s %-4s %12.0f %10s   %-13s %6d %18s" % (
                "legacy", alg, statistics.median(leg), "1.0x", "", len(leg),
                "%.0f-%.0f" % (min(leg), max(leg))))
        for impl in IMPLS:
            rs = [x for _, x in ratios(groups, impl, alg)]
            v = rates(groups, impl, alg)
            if not rs:
                continue
            print("%-16s %-4s %12.0f %9.2fx   %-13s %6d %18s" % (
                impl, alg, statistics.median(v), statistics.median(rs),
                span(rs), len(rs), "%.0f-%.0f" % (min(v), max(v))))
        # the faster library's signature check (OpenSSL, or libsodium for
        # Ed25519): what no verifier on this machine exceeds per message
        best = max(((statistics.median(v), lib)
                    for (lib, a), v in ceiling.items() if a == alg),
                   default=None)
        if best:
            print("%-16s %-4s %12.0f %10s" % ("(" + best[1] + ":", alg,
                                              best[0], "checks/s)"))


def grid(groups):
    rounds = sorted({r for r, _ in groups})
    print("Each round's ratio, vouch over the legacy run(s) beside it:")
    print("%-20s" % "" + "".join("%8s" % ("r%d" % r) for r in rounds) +
          "%9s %13s" % ("median", "range"))
    for alg in ALGS:
        for impl in IMPLS:
            got = ratios(groups, impl, alg)
            if not got:
                continue
            by = {}
            for r, x in got:
                by.setdefault(r, []).append(x)
            print("%-20s" % ("%s %s" % (impl, alg)) + "".join(
                "%8s" % ("%.2fx" % statistics.median(by[r]) if r in by
                         else "-") for r in rounds) +
                "%8.2fx %13s" % (statistics.median(x for _, x in got),
                                 span([x for _, x in got])))
    print()
    print("The default row's rates per round, vouch / the legacy run(s) "
          "beside it, in order:")
    for alg in ALGS:
        cells = []
        for r in rounds:
            g = groups.get((r, alg + "/vouch")) or groups.get((r, "all"))
            if not g or alg not in g.get("vouch", {}):
                cells.append("-")
                continue
            cells.append("%.0f/%s" % (g["vouch"][alg], "+".join(
                "%.0f" % x for x in g.get("legacy", {}).get(alg, []))))
        print("  %-4s %s" % (alg, "  ".join(cells)))


def triples(groups):
    """legacy-vouch-legacy groups: the same data read as alternating pairs
    (the legacy run before vouch in odd rounds, after it in even ones),
    to show what the second legacy run adds."""
    if not any(len(v) == 2 for g in groups.values()
               for v in g.get("legacy", {}).values()):
        return
    print()
    print("The same rounds read as pairs (one legacy run: the one before "
          "vouch in odd rounds,")
    print("the one after it in even rounds) and as the triple's mean:")
    for alg in ALGS:
        for impl in IMPLS:
            p = [x for _, x in ratios(
                groups, impl, alg,
                lambda r, leg: leg[0] if r % 2 else leg[-1])]
            t = [x for _, x in ratios(groups, impl, alg)]
            if p and t:
                print("  %-20s pair %6.2fx %13s   triple %6.2fx %13s" % (
                    "%s %s" % (impl, alg), statistics.median(p), span(p),
                    statistics.median(t), span(t)))


def targets(groups):
    for alg in ALGS:
        rs = [x for _, x in ratios(groups, "vouch", alg)]
        if rs:
            m = statistics.median(rs)
            print("target, vouch %s >= %.1fx legacy: %.2fx (median of %d "
                  "rounds, %s), %s" % (alg, TARGET, m, len(rs), span(rs),
                                      "met" if m >= TARGET else "MISSED"))


def main():
    groups, ceiling = read(sys.argv[1])
    table(groups, ceiling)
    print()
    grid(groups)
    triples(groups)
    print()
    targets(groups)


if __name__ == "__main__":
    main()
