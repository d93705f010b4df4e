#!/usr/bin/python3
"""The table of the SPF benchmark from the drivers' lines (spf_bench.h).

    report.py RESULTS

Rates are evaluations per CPU second of the driver's process (one core);
the ratio is to libspf2 with its cache, the issue's yardstick.  Issue 3's
target: vouch with warm caches at least 2x that; cold, no more DNS
questions than RFC 7208 asks for.  Issue 10's: with every term evaluated
(the DNS answer cache only, no result cache) at least 10x.

run.sh measures vouch's warm rows in rounds, each next to a run of
libspf2's cached row (lines "round R P rate ..."; R the round, P the
pair): a row's ratio is the median over the rounds of its pairs' ratios,
printed with their least and greatest, and its rate the median of its
rates.  Rows measured once (lines "rate ...", and every row of a results
file from before the rounds) are divided by libspf2's median.
"""
import statistics
import sys

ROWS = [
    ("vouch-zone", "results+dns", "vouch, zone file, result + DNS caches (default)"),
    ("vouch-zone", "dns", "vouch, zone file, DNS answer cache only"),
    ("vouch-zone", "none", "vouch, zone file, no cache"),
    ("vouch-unbound", "results+dns", "vouch, libunbound->NSD, result + DNS caches (default)"),
    ("vouch-unbound", "dns", "vouch, libunbound->NSD, DNS answer cache only"),
    ("vouch-unbound", "none", "vouch, libunbound->NSD, no SPF cache (the back end's)"),
    ("libspf2", "cache", "libspf2, SPF_DNS_CACHE over resolv->NSD"),
    ("libspf2", "resolv", "libspf2, SPF_DNS_RESOLV->NSD (no cache)"),
    ("pyspf", "cache", "pyspf, dnspython->NSD with dns.resolver.Cache"),
    ("pyspf", "nocache", "pyspf, dnspython->NSD (its per-call cache only)"),
]
BASE = ("libspf2", "cache")


def fmt(x):
    return "%.0f" % x if x >= 100 else "%.1f" % x


def read(path):
    """rates[(impl, variant)] = [(cpu, wall), ...]; pairs[(impl, variant)]
    = [(round, vouch cpu / libspf2 cpu), ...]; the cold lines."""
    rates, cold, paired = {}, [], {}
    with open(path) as f:
        for line in f:
            w = line.split()
            key = None
            if w and w[0] == "round" and len(w) >= 8 and w[3] == "rate":
                key = (w[4], w[5])
                paired.setdefault((int(w[1]), int(w[2])), {})[key] = \
                    float(w[6])
                w = w[3:]
            if w and w[0] == "rate":
                key = (w[1], w[2])
                rates.setdefault(key, []).append((float(w[3]), float(w[4])))
            elif w and w[0] == "cold":
                cold.append(w[1:])
    pairs = {}
    for (rnd, _), rows in sorted(paired.items()):
        base = rows.get(BASE, 0)
        for key, cpu in rows.items():
            if key != BASE and base > 0:
                pairs.setdefault(key, []).append((rnd, cpu / base))
    return rates, pairs, cold


def table(rates, pairs):
    base = statistics.median(c for c, _ in rates[BASE]) if BASE in rates \
        else 0
    nb = len(rates.get(BASE, []))
    print("Warm: evaluations per CPU second (one core), 64 clients in turn;")
    print("ratio to libspf2 with its cache; wall = evaluations per wall second")
    print("(the machine is shared: wall includes waiting for a core and for NSD).")
    print("Rows with rounds: each round times the row right next to libspf2's")
    print("cached row; evals/s and wall/s are the medians of the rounds, ratio")
    print("the median of the rounds' ratios, range their least and greatest.")
    if nb > 1:
        print("libspf2 cached: median of its %d runs, %s-%s/s" % (
            nb, fmt(min(c for c, _ in rates[BASE])),
            fmt(max(c for c, _ in rates[BASE]))))
    print()
    print("%-55s %12s %8s %12s %15s %7s" % ("implementation", "evals/s",
                                           "ratio", "wall/s", "ratio range",
                                           "rounds"))
    print("-" * 114)
    for impl, variant, label in ROWS:
        key = (impl, variant)
        if key not in rates:
            print("%-55s %12s" % (label, "-"))
            continue
        cpu = statistics.median(c for c, _ in rates[key])
        wall = statistics.median(w for _, w in rates[key])
        if key in pairs:
            rs = [x for _, x in pairs[key]]
            ratio = "%.2fx" % statistics.median(rs)
            spread = "%.2f-%.2fx" % (min(rs), max(rs))
            n = str(len(rs))
        else:
            ratio = "%.2fx" % (cpu / base) if base else "-"
            spread, n = "", "1" if len(rates[key]) == 1 else ""
            if key == BASE:
                n = str(len(rates[key]))
        print("%-55s %12s %8s %12s %15s %7s" % (label, fmt(cpu), ratio,
                                                fmt(wall), spread, n))
    if pairs:
        print()
        print("Each round's ratio to libspf2 cached (the pair's two rows):")
        rounds = sorted({r for v in pairs.values() for r, _ in v})
        print("%-32s" % "" + "".join("%8s" % ("r%d" % r) for r in rounds))
        for impl, variant, _ in ROWS:
            if (impl, variant) in pairs:
                got = dict(pairs[(impl, variant)])
                print("%-32s" % ("%s %s" % (impl, variant)) + "".join(
                    "%8s" % ("%.2fx" % got[r] if r in got else "-")
                    for r in rounds))
    print()
    for impl in ("vouch-zone", "vouch-unbound"):
        for variant, want, what in (
                ("results+dns", 2, "warm (default caches) >= 2x"),
                ("dns", 10, "every term evaluated (DNS answer cache only) "
                 ">= 10x")):
            key = (impl, variant)
            if key in pairs:
                rs = [x for _, x in pairs[key]]
                r = statistics.median(rs)
                print("target, %s %s libspf2 cached: %.2fx (median of %d "
                      "rounds, %.2f-%.2fx), %s" % (
                          impl, what, r, len(rs), min(rs), max(rs),
                          "met" if r >= want else "MISSED"))
            elif key in rates and base:
                r = rates[key][0][0] / base
                print("target, %s %s libspf2 cached: %.2fx (one pass), %s"
                      % (impl, what, r, "met" if r >= want else "MISSED"))


def main():
    rates, pairs, cold = read(sys.argv[1])
    table(rates, pairs)
    print()
    print("Cold: DNS questions sent on the wire (counted by countdns.py)")
    print("  per-eval: a fresh resolver and cache for each of the 64 clients;")
    print("  mix: one fresh resolver for the 64 clients in turn")
    print()
    print("%-10s %-9s %6s %10s %12s %18s" % ("impl", "scope", "evals",
                                             "sent", "RFC 7208", "vouch counted"))
    for impl, scope, n, sent, rfc, asked in cold:
        verdict = "ok" if int(sent) <= int(rfc) else "OVER"
        print("%-10s %-9s %6s %10s %12s %18s   %s" % (impl, scope, n, sent,
                                                      rfc, asked, verdict))


if __name__ == "__main__":
    main()
