#!/usr/bin/python3
"""Hostile SPF data through `vouch spf`: huge records, loops, long names,
bad CIDR lengths, header injection.  Each case must end in bounded time
(the run's timeout) and memory (max RSS of the child) with the verdict
RFC 7208 gives, and a reason saying why for the errors.
"""
import json
import os
import resource
import tempfile

import vtest

MAX_RSS_KIB = 64 * 1024  # far above what one evaluation needs


def txt(s):
    """A TXT rdata of any length: 255-byte strings, one per line."""
    chunks = [s[i:i + 255] for i in range(0, len(s), 255)] or [""]
    return "( " + "\n  ".join('"%s"' % c.replace("\\", "\\\\").replace('"', '\\"') for c in chunks) + " )"


def cut_name(name):
    """RFC 7208 7.3: drop labels on the left until at most 253 bytes."""
    while len(name) > 253:
        name = name.split(".", 1)[1]
    return name


def zone(tmp, records):
    path = os.path.join(tmp, "zone.db")
    with open(path, "w") as fp:
        fp.write("$ORIGIN .\n$TTL 300\n")
        for owner, rtype, data in records:
            fp.write("%s. 300 IN %s %s\n" % (owner, rtype, txt(data) if rtype == "TXT" else data))
    return path


def check(name, records, want, ip="192.0.2.1", mail_from="s@example.com", helo="mta.example.net",
          reason=None, extra=None):
    with tempfile.TemporaryDirectory() as tmp:
        z = zone(tmp, records)
        args = ["spf", "--json", "--zone", z, "--ip", ip, "--mail-from", mail_from, "--helo", helo]
        try:
            rc, out, err = vtest.vouch(args + (extra or []), timeout=60)
        except Exception as e:
            vtest.ok(False, name, "did not finish: %s" % e)
            return None
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if rc != 0:
        vtest.ok(False, name, "exit %d: %s" % (rc, err.strip()[-300:]))
        return None
    got = json.loads(out.decode("utf-8", "replace"))
    good = got["result"] == want
    why = "got %s (%s), want %s" % (got["result"], got["reason"], want)
    if good and reason is not None and reason not in got["reason"]:
        good, why = False, "reason %r lacks %r" % (got["reason"], reason)
    if good and rss > MAX_RSS_KIB and not vtest.SANITIZED:
        good, why = False, "max RSS %d KiB over %d" % (rss, MAX_RSS_KIB)
    vtest.ok(good, name, why)
    return got


def main():
    # Records of 64 KiB (RFC 7208 3.3 joins the strings; no size cap).
    many_ip4 = " ".join("ip4:10.%d.%d.0/24" % (i // 256, i % 256) for i in range(3700))
    rec = ("v=spf1 " + many_ip4)[:65000].rsplit(" ", 1)[0] + " -all"
    check("64 KiB record of ip4 terms, no match: fail (4.6.4 limits only DNS terms)",
          [("example.com", "TXT", rec)], "fail")
    check("64 KiB record of ip4 terms, last one matches",
          [("example.com", "TXT", rec.rsplit(" ", 1)[0] + " ip4:192.0.2.1 -all")], "pass")
    rec = "v=spf1" + " a" * 32000
    check("64 KiB record of 32000 'a' terms: permerror at the 11th (4.6.4)",
          [("example.com", "TXT", rec), ("example.com", "A", "198.51.100.1")],
          "permerror", reason="more than 10 DNS-querying terms")
    rec = "v=spf1 " + "x" * 65000
    check("64 KiB unknown mechanism: permerror (4.6)", [("example.com", "TXT", rec)],
          "permerror", reason="syntax error")
    rec = "v=spf1 exists:" + "%{s}" * 16000
    check("64 KiB of %{s} macros: expansion bounded, permerror (7.3)",
          [("example.com", "TXT", rec)], "permerror", reason="too long")
    rec = "v=spf1 exists:%{l}.example.com -all"
    check("10 KiB local-part: bounded, no crash",
          [("example.com", "TXT", rec)], "none", mail_from="a" * 10000 + "@example.com",
          reason="sender too long")

    # 1,000-term records.
    rec = "v=spf1 " + " ".join("a:h%d.example.com" % i for i in range(1000)) + " -all"
    recs = [("example.com", "TXT", rec)] + [("h%d.example.com" % i, "A", "198.51.100.1") for i in range(12)]
    got = check("1000 a: terms: permerror after 10 DNS terms (4.6.4)", recs, "permerror",
                reason="more than 10 DNS-querying terms")
    vtest.ok(got is not None and got["dns_lookups"] == 11,
             "1000 a: terms: evaluation stopped at the 11th DNS term",
             "dns_lookups %s" % (got and got["dns_lookups"]))
    rec = "v=spf1 " + " ".join("ip6:2001:db8:%x::/48" % i for i in range(1000)) + " ~all"
    check("1000 ip6 terms, IPv6 client in none: softfail", [("example.com", "TXT", rec)],
          "softfail", ip="2001:db8:ffff::1")

    # Include loops and long chains (4.6.4, 5.2).
    check("include loop of one record: permerror",
          [("example.com", "TXT", "v=spf1 include:example.com -all")], "permerror",
          reason="more than 10 DNS-querying terms")
    check("include loop of two records: permerror",
          [("example.com", "TXT", "v=spf1 include:example.net -all"),
           ("example.net", "TXT", "v=spf1 include:example.com -all")], "permerror")
    check("redirect loop: permerror",
          [("example.com", "TXT", "v=spf1 redirect=example.com")], "permerror")
    chain = [("d%d.example.com" % i, "TXT", "v=spf1 redirect=d%d.example.com" % (i + 1)) for i in range(50)]
    check("redirect chain of 50: permerror", chain, "permerror", mail_from="s@d0.example.com")
    check("include fan-out of 1000 to one loop: permerror",
          [("example.com", "TXT", "v=spf1 " + " ".join(["include:example.com"] * 1000))], "permerror")

    # CIDR lengths (5.6): /0 is valid, /33 and /129 are not.
    check("ip4 /0 matches everything", [("example.com", "TXT", "v=spf1 ip4:0.0.0.0/0 -all")], "pass")
    check("ip6 ::/0 matches every IPv6 client",
          [("example.com", "TXT", "v=spf1 ip6:::/0 -all")], "pass", ip="2001:db8::1")
    check("ip6 ::/0 does not match IPv4", [("example.com", "TXT", "v=spf1 ip6:::/0 -all")], "fail")
    check("a/0 matches any address of the name",
          [("example.com", "TXT", "v=spf1 a/0 -all"), ("example.com", "A", "203.0.113.9")], "pass")
    check("ip4 /33: permerror", [("example.com", "TXT", "v=spf1 ip4:192.0.2.0/33 -all")],
          "permerror", reason="bad CIDR length")
    check("ip6 /129: permerror", [("example.com", "TXT", "v=spf1 ip6:2001:db8::/129 -all")],
          "permerror", reason="bad CIDR length")
    check("a//129: permerror", [("example.com", "TXT", "v=spf1 a//129 -all")], "permerror")
    check("ip4 /99999999999: permerror",
          [("example.com", "TXT", "v=spf1 ip4:192.0.2.0/99999999999 -all")], "permerror")

    # Names over 253 bytes, labels over 63 (4.3, 7.3).
    long_label = "a" * 64
    check("MAIL FROM domain with a 64-byte label: none (4.3)",
          [("example.com", "TXT", "v=spf1 -all")], "none", mail_from="s@%s.example.com" % long_label)
    long_name = ".".join(["abcdefghij"] * 30) + ".example.com"
    check("MAIL FROM domain of 340 bytes: none (4.3)",
          [("example.com", "TXT", "v=spf1 -all")], "none", mail_from="s@" + long_name)
    check("a: target with a 64-byte label: permerror",
          [("example.com", "TXT", "v=spf1 a:%s.example.com -all" % long_label)], "permerror",
          reason="not a valid domain name")
    check("include: target with an empty label: permerror",
          [("example.com", "TXT", "v=spf1 include:foo..example.com -all")], "permerror")
    check("exists: target of 340 bytes is cut to 253 (7.3) and asked",
          [("example.com", "TXT", "v=spf1 exists:%s -all" % long_name),
           (cut_name(long_name), "A", "127.0.0.2")],
          "pass")
    check("macro making a 64-byte label: permerror",
          [("example.com", "TXT", "v=spf1 exists:%{l}.example.com -all")], "permerror",
          mail_from=long_label + "@example.com")

    # Many records in answers (4.5, 4.6.4).
    recs = [("example.com", "TXT", "v=spf1 mx -all")] + \
        [("example.com", "MX", "%d mx%d.example.com." % (i, i)) for i in range(200)]
    check("200 MX names: permerror (4.6.4)", recs, "permerror", reason="MX records")
    recs = [("example.com", "TXT", "v=spf1 ptr -all")] + \
        [("1.2.0.192.in-addr.arpa", "PTR", "h%d.example.com." % i) for i in range(200)] + \
        [("h150.example.com", "A", "192.0.2.1")]
    check("200 PTR names: only 10 looked at, fail", recs, "fail")
    recs = [("example.com", "TXT", "v=spf1 -all")] * 2 + [("example.com", "TXT", "filler %d" % i) for i in range(500)]
    check("two v=spf1 among 502 TXT records: permerror (4.5)", recs, "permerror")

    # The Received-SPF field carries no injected header text (9.1).
    with tempfile.TemporaryDirectory() as tmp:
        z = zone(tmp, [("example.com", "TXT", "v=spf1 -all")])
        rc, out, err = vtest.vouch(["spf", "--zone", z, "--ip", "192.0.2.1",
                                    "--mail-from", "a\r\nX-Evil: 1\"(x)@example.com",
                                    "--helo", "h\nX-Evil: 2"])
        line = out.decode("latin-1")
        vtest.ok(rc == 0 and line.count("\n") == 1 and "\r" not in line and "\nX-Evil" not in line
                 and line.startswith("Received-SPF: fail "),
                 "Received-SPF with CR LF in MAIL FROM and HELO stays one clean line",
                 "got %r" % line)
    vtest.done()


if __name__ == "__main__":
    main()
