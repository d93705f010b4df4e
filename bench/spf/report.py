#!/usr/bin/python3
"""The table of the SPF benchmark from the drivers' lines (spf_bench.h).

    report.py RESULTS

Rates are evaluations per CPU second of the driver's process (one core);
the ratio is to libspf2 with its cache, the issue's yardstick.  Issue 3's
target: vouch with warm caches at least 2x that; cold, no more DNS
questions than RFC 7208 asks for.  Issue 10's: with every term evaluated
(the DNS answer cache only, no result cache) at least 10x.
"""
import sys

ROWS = [
    ("vouch-zone", "results+dns", "vouch, zone file, result + DNS caches (default)"),
    ("vouch-zone", "dns", "vouch, zone file, DNS answer cache only"),
    ("vouch-zone", "none", "vouch, zone file, no cache"),
    ("vouch-unbound", "results+dns", "vouch, libunbound->NSD, result + DNS caches (default)"),
    ("vouch-unbound", "dns", "vouch, libunbound->NSD, DNS answer cache only"),
    ("vouch-unbound", "none", "vouch, libunbound->NSD, libunbound's cache only"),
    ("libspf2", "cache", "libspf2, SPF_DNS_CACHE over resolv->NSD"),
    ("libspf2", "resolv", "libspf2, SPF_DNS_RESOLV->NSD (no cache)"),
    ("pyspf", "cache", "pyspf, dnspython->NSD with dns.resolver.Cache"),
    ("pyspf", "nocache", "pyspf, dnspython->NSD (its per-call cache only)"),
]
WARM = ("results+dns",)


def fmt(x):
    return "%.0f" % x if x >= 100 else "%.1f" % x


def main():
    rates, cold = {}, []
    with open(sys.argv[1]) as f:
        for line in f:
            w = line.split()
            if w and w[0] == "rate":
                rates[(w[1], w[2])] = (float(w[3]), float(w[4]))
            elif w and w[0] == "cold":
                cold.append(w[1:])
    base = rates.get(("libspf2", "cache"), (0, 0))[0]
    print("Warm: evaluations per CPU second (one core), 64 clients in turn;")
    print("ratio to libspf2 with its cache; wall = evaluations per wall second")
    print("(the machine is shared: wall includes waiting for a core and for NSD)")
    print()
    print("%-55s %12s %8s %12s" % ("implementation", "evals/s", "ratio",
                                   "wall/s"))
    print("-" * 90)
    for impl, variant, label in ROWS:
        if (impl, variant) not in rates:
            print("%-55s %12s" % (label, "-"))
            continue
        cpu, wall = rates[(impl, variant)]
        ratio = "%.2fx" % (cpu / base) if base else "-"
        print("%-55s %12s %8s %12s" % (label, fmt(cpu), ratio, fmt(wall)))
    print()
    for impl in ("vouch-zone", "vouch-unbound"):
        if (impl, "results+dns") in rates and base:
            r = rates[(impl, "results+dns")][0] / base
            print("target, %s warm (default caches) >= 2x libspf2 cached: "
                  "%.2fx, %s" % (impl, r, "met" if r >= 2 else "MISSED"))
        if (impl, "dns") in rates and base:
            r = rates[(impl, "dns")][0] / base
            print("target, %s every term evaluated (DNS answer cache only) "
                  ">= 10x libspf2 cached: %.2fx, %s"
                  % (impl, r, "met" if r >= 10 else "MISSED"))
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
