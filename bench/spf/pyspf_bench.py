#!/usr/bin/python3
"""pyspf (Debian python3-spf 2.0.14) on the SPF benchmark's mix: spf.check2
for each client in turn, its DNS sent to the same NSD.

    pyspf_bench.py DATADIR SECONDS NSD COUNTER LOG

NSD and COUNTER are "ADDR@PORT"; LOG as for vouch_spf_bench.  pyspf asks
dnspython (python3-dnspython, which it prefers to pydns when both are
there: Debian's python3-spf depends on one of them and this machine has
dnspython) through dns.resolver.query, i.e. dnspython's default resolver:
the driver replaces it by one that asks only NSD at its port.  pyspf keeps
answers for one check2 call only; row "cache" gives dnspython's resolver a
dns.resolver.Cache, which keeps answers for their TTL across calls.
Prints the same lines as the C drivers (see spf_bench.h).
"""
import sys
import time
import warnings

import dns.resolver
import spf

warnings.simplefilter("ignore", DeprecationWarning)

SENDER = "user@bench.example"
HELO = "mta.client.example"


def point(server, cache):
    addr, port = server.split("@")
    res = dns.resolver.Resolver(configure=False)
    res.nameservers = [addr]
    res.port = int(port)
    res.cache = dns.resolver.Cache() if cache else None
    dns.resolver.default_resolver = res


def clients(datadir):
    with open(datadir + "/clients.txt") as f:
        return [line.split() for line in f if line.strip()]


def one_pass(mix, check):
    for ip, verdict, _, _, _ in mix:
        got = spf.check2(i=ip, s=SENDER, h=HELO)[0]
        if check and got != verdict:
            sys.exit("pyspf: %s: got %s, want %s" % (ip, got, verdict))


def rate(mix, seconds):
    """Best of three rounds, as spf_bench_rate: CPU and wall rates."""
    one_pass(mix, True)
    best = (0.0, 0.0)
    for _ in range(3):
        n, c0, w0 = 0, time.process_time(), time.monotonic()
        while True:
            one_pass(mix, False)
            n += len(mix)
            c, w = time.process_time(), time.monotonic()
            if c - c0 >= seconds / 3 or w - w0 >= seconds / 3:
                break
        if n / (c - c0) > best[0]:
            best = (n / (c - c0), n / (w - w0))
    return best


def logged(path):
    try:
        with open(path) as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: pyspf_bench.py DATADIR SECONDS NSD COUNTER LOG")
    datadir, seconds, nsd, counter, log = sys.argv[1:]
    seconds = float(seconds)
    mix = clients(datadir)
    for name, cache in (("cache", True), ("nocache", False)):
        point(nsd, cache)
        cpu, wall = rate(mix, seconds)
        print("rate pyspf %s %.0f %.0f" % (name, cpu, wall), flush=True)
    if counter == "-" or log == "-":
        return
    # Cold: pyspf without dnspython's cache starts every check2 empty.
    point(counter, False)
    before = logged(log)
    one_pass(mix, True)
    print("cold pyspf per-eval %d %d %d -" % (
        len(mix), logged(log) - before, sum(int(c[4]) for c in mix)))
    point(counter, True)
    before = logged(log)
    one_pass(mix, True)
    print("cold pyspf mix %d %d 11 -" % (len(mix), logged(log) - before))


if __name__ == "__main__":
    main()
