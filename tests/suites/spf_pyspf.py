#!/usr/bin/python3
"""Differential test against a peer: pyspf (Debian python3-spf) and
`vouch spf` evaluate the same generated SPF policies on the same DNS data,
and must give the same result.  Each evaluation is one counted check.

The policies are random (fixed seeds, so a failure can be replayed):
records of 1-5 terms from every mechanism, with qualifiers and CIDR
lengths, include/redirect trees three levels deep, exp=, macros in
exists: and a: (%{i} %{ir} %{v} %{l} %{l1r-} %{o} %{d2}), senders with and
without dashes and the null sender (postmaster@HELO), MX and PTR data,
names that do not exist.  pyspf resolves through
its DNSLookup hook from the same data the zone file holds.

Three pyspf behaviours differ from RFC 7208 and the generator keeps clear
of them rather than excusing them afterwards:
- pyspf counts every empty answer as a void lookup (also the address
  lookups of MX hosts and PTR names), where RFC 7208 4.6.4 counts terms:
  so every host has A and AAAA records;
- pyspf rejects a record that includes itself before evaluating it, where
  RFC 7208 evaluates terms in order: so no record includes itself;
- pyspf counts redirect= toward the 10 DNS terms when it parses the
  record, also when a mechanism matches and the redirect is never used
  (RFC 7208 6.1, 4.6.4 count it only when it is followed): so a record
  with redirect= has only terms that cannot match.
"""
import json
import os
import random
import socket
import tempfile

import vtest

try:
    import spf  # pyspf, Debian python3-spf
except ImportError:
    spf = None

SEEDS = (1, 2, 3)
SCENARIOS = 60  # per seed, 3 client addresses each
HOSTS = ["h%d.example.com" % i for i in range(6)]
IPS4 = ["192.0.2.%d" % i for i in (1, 2, 3, 50, 130)]
IPS6 = ["2001:db8::%d" % i for i in (1, 2, 3)]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def term(self, depth, own):
        r = self.r
        q = r.choice(["", "", "-", "~", "?", "+"])
        k = r.randrange(10)
        if k == 0:
            return q + "ip4:192.0.2.%d/%d" % (r.randrange(256), r.choice([24, 30, 32, 0, 31]))
        if k == 1:
            return q + "ip6:2001:db8::%x/%d" % (r.randrange(16), r.choice([64, 126, 128, 0]))
        if k == 2:
            return q + "a" + r.choice(["", ":" + r.choice(HOSTS)]) + \
                r.choice(["", "/24", "//64", "/30//120", "/0"])
        if k == 3:
            return q + "mx" + r.choice(["", ":" + r.choice(HOSTS)]) + r.choice(["", "/24", "//126"])
        if k == 4 and depth < 3:
            target = r.choice([n for n in ("inc%d.example.com" % i for i in range(4)) if n != own])
            return q + "include:" + target
        if k == 5:
            return q + r.choice(["exists:%{i}.ex.example.com", "exists:%{ir}.%{v}.rbl.example.com",
                                 "exists:%{l}.u.example.com", "a:%{l1r-}.u.%{d2}",
                                 "exists:%{o}.%{i}.ex.example.com"])
        if k == 6:
            return q + "ptr" + r.choice(["", ":example.com", ":h1.example.com"])
        if k == 7:
            return q + "all"
        if k == 8:
            return q + "a:nx%d.example.com" % r.randrange(3)
        return q + "ip4:192.0.2.%d" % r.randrange(8)

    def record(self, depth, own):
        r = self.r
        if r.random() < 0.2 and depth < 3:
            # Terms that never match, so the redirect is always followed
            # (pyspf counts redirect= even when a mechanism matched).
            terms = [r.choice(["ip4:198.51.100.%d" % r.randrange(256),
                               "ip6:2001:db8:ffff::%x" % r.randrange(16)])
                     for _ in range(r.randrange(0, 3))]
            terms.append("redirect=" + r.choice(
                [n for n in ("inc%d.example.com" % i for i in range(4)) if n != own]))
        else:
            terms = [self.term(depth, own) for _ in range(r.randrange(1, 6))]
        if r.random() < 0.2:
            terms.append("exp=why.example.com")
        return "v=spf1 " + " ".join(terms)

    def zone(self):
        r = self.r
        z = {"example.com": [("TXT", self.record(0, "example.com")), ("A", r.choice(IPS4)),
                             ("AAAA", r.choice(IPS6))]}
        for i in range(4):
            own = "inc%d.example.com" % i
            z[own] = [("TXT", self.record(1, own))]
        for h in HOSTS:
            z[h] = [("A", r.choice(IPS4)) for _ in range(r.randrange(1, 3))]
            z[h].append(("AAAA", r.choice(IPS6)))
            z[h] += [("MX", (r.randrange(50), r.choice(HOSTS))) for _ in range(r.randrange(0, 3))]
        z["example.com"] += [("MX", (r.randrange(50), r.choice(HOSTS))) for _ in range(r.randrange(0, 3))]
        z["why.example.com"] = [("TXT", "%{i} denied by %{d}")]
        for local in ("user", "bob", "postmaster", "x"):
            if r.random() < 0.5:
                z["%s.u.example.com" % local] = [("A", r.choice(IPS4)), ("AAAA", r.choice(IPS6))]
        for ip in IPS4 + IPS6:
            if r.random() < 0.3:
                z["%s.ex.example.com" % ip] = [("A", "127.0.0.2")]
            if r.random() < 0.3:
                z["example.com.%s.ex.example.com" % ip] = [("A", "127.0.0.2")]
            if r.random() < 0.3:
                rev = socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
                if ":" in ip:
                    name = ".".join(reversed("".join("%02x" % b for b in rev))) + ".ip6"
                else:
                    name = ".".join(str(b) for b in reversed(rev)) + ".in-addr"
                z[name + ".rbl.example.com"] = [("A", "127.0.0.2")]
        for ip in IPS4:
            if r.random() < 0.3:
                rev = ".".join(reversed(ip.split("."))) + ".in-addr.arpa"
                z[rev] = [("PTR", r.choice(HOSTS + ["example.com"]))]
        return z


def pyspf_dns(z):
    """pyspf's DNSLookup hook answering from the scenario's data."""
    def lookup(name, qtype, strict=True, timeout=None):
        for t, v in z.get(name.lower().rstrip("."), []):
            if t != qtype:
                continue
            if t == "AAAA":
                v = bytes(socket.inet_pton(socket.AF_INET6, v))
            elif t == "TXT":
                v = (v.encode(),)
            yield ((name, t), v)
    return lookup


def write_zone(z, path):
    lines = ["$ORIGIN .", "$TTL 300"]
    for name, recs in z.items():
        for t, v in recs:
            if t == "TXT":
                lines.append('%s. IN TXT "%s"' % (name, v))
            elif t == "MX":
                lines.append("%s. IN MX %d %s." % (name, v[0], v[1]))
            elif t == "PTR":
                lines.append("%s. IN PTR %s." % (name, v))
            else:
                lines.append("%s. IN %s %s" % (name, t, v))
    with open(path, "w") as fp:
        fp.write("\n".join(lines) + "\n")


def main():
    if not vtest.ok(spf is not None, "pyspf importable", "Debian package python3-spf missing"):
        vtest.done()
    with tempfile.TemporaryDirectory() as tmp:
        zpath = os.path.join(tmp, "zone.db")
        for seed in SEEDS:
            g = Gen(seed)
            for n in range(SCENARIOS):
                z = g.zone()
                write_zone(z, zpath)
                spf.DNSLookup = pyspf_dns(z)
                for ip in g.r.sample(IPS4 + IPS6, 3):
                    sender = g.r.choice(["user@example.com", "bob-x@example.com",
                                         "x@example.com", ""])
                    helo = "example.com" if sender == "" else "mta.example.net"
                    q = spf.query(ip, sender or "postmaster@example.com", helo,
                                  receiver="mx.receiver.example")
                    want, _, why = q.check()
                    rc, out, err = vtest.vouch(["spf", "--json", "--zone", zpath, "--ip", ip,
                                                "--mail-from", sender, "--helo", helo])
                    name = "seed %d scenario %d ip %s sender <%s>" % (seed, n, ip, sender)
                    if rc != 0:
                        vtest.ok(False, name, "exit %d: %s" % (rc, err.strip()[-300:]))
                        continue
                    got = json.loads(out.decode("utf-8", "replace"))
                    vtest.ok(got["result"] == want, name,
                             "vouch %s (%s), pyspf %s (%s); record %s" % (
                                 got["result"], got["reason"], want, why, z["example.com"][0][1]))
    vtest.done()


if __name__ == "__main__":
    main()
