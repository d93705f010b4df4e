#!/usr/bin/python3
"""`vouch spf --dns-server` over the network: the libunbound back end
against a local NSD (/usr/sbin/nsd on 127.0.0.1 at a free high port) that
serves an SPF policy tree (include, redirect, a, mx, exists, exp=, macros).
Each case is one check of the result (and explanation); a server that does
not answer must give temperror (RFC 7208 4.4).  NSD is always stopped.
"""
import json

import nsd
import vtest

ZONE = """$ORIGIN example.com.
$TTL 300
@        IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 120
@        IN NS ns
ns       IN A 127.0.0.1
@        IN TXT "v=spf1 ip4:192.0.2.0/28 include:_spf.example.com " "mx -all exp=why.%{d}"
@        IN MX 10 mx1
mx1      IN A 198.51.100.25
_spf     IN TXT "v=spf1 ip6:2001:db8:1::/48 a:out.example.com ~all"
out      IN A 203.0.113.9
why      IN TXT "%{i} may not send mail for %{d}"
red      IN TXT "v=spf1 redirect=example.com"
ex       IN TXT "v=spf1 exists:%{ir}.%{l1r-}.bl.example.com -all"
1.2.0.192.bob.bl IN A 127.0.0.2
void     IN TXT "v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com +all"
two      IN TXT "v=spf1 -all"
two      IN TXT "v=spf1 +all"
"""

CASES = [
    # (label, ip, mail_from, result, explanation or None)
    ("ip4 pass", "192.0.2.5", "a@example.com", "pass", None),
    ("include then ip6 pass", "2001:db8:1::25", "a@example.com", "pass", None),
    ("include then a: softfail is no match, then -all", "203.0.113.10", "a@example.com", "fail",
     "203.0.113.10 may not send mail for example.com"),
    ("a: in an include", "203.0.113.9", "a@example.com", "pass", None),
    ("mx", "198.51.100.25", "a@example.com", "pass", None),
    ("redirect keeps the target's exp=", "203.0.113.10", "a@red.example.com", "fail",
     "203.0.113.10 may not send mail for example.com"),
    ("exists with %{ir} and %{l1r-}", "192.0.2.1", "bob-x@ex.example.com", "pass", None),
    ("exists without the name", "192.0.2.2", "bob-x@ex.example.com", "fail", None),
    ("three void lookups", "192.0.2.1", "a@void.example.com", "permerror", None),
    ("two v=spf1 records", "192.0.2.1", "a@two.example.com", "permerror", None),
    ("no record (NODATA)", "192.0.2.1", "a@mx1.example.com", "none", None),
    ("no name (NXDOMAIN)", "192.0.2.1", "a@nothere.example.com", "none", None),
]


def spf(server, ip, mail_from):
    rc, out, err = vtest.vouch(["spf", "--json", "--dns-server", server, "--ip", ip,
                                "--mail-from", mail_from, "--helo", "mta.example.net"],
                               timeout=120)
    if rc != 0:
        return None, "exit %d: %s" % (rc, err.strip()[-300:])
    return json.loads(out.decode("utf-8", "replace")), ""


def main():
    if not vtest.ok(nsd.installed(), "nsd installed", "missing %s (Debian package nsd)" % nsd.NSD):
        vtest.done()
    with nsd.serve("example.com", ZONE, prefix="vouch-spf-nsd-") as ns:
        if vtest.ok(ns.ready, "nsd serves the SPF zone on port %d" % ns.port, ns.log_tail()):
            for label, ip, mail_from, want, wexp in CASES:
                got, why = spf(ns.server, ip, mail_from)
                good = got is not None and got["result"] == want and \
                    (wexp is None or got["explanation"] == wexp)
                if got is not None and not good:
                    why = "got %s %r (%s), want %s %r" % (got["result"], got["explanation"],
                                                         got["reason"], want, wexp)
                vtest.ok(good, "over NSD: " + label, why)
    vtest.ok(ns.stopped(), "nsd stopped")
    got, why = spf("127.0.0.1@%d" % nsd.free_port(), "192.0.2.5", "a@example.com")
    vtest.ok(got is not None and got["result"] == "temperror",
             "no server answering: temperror (RFC 7208 4.4)",
             why or "got %s (%s)" % (got["result"], got["reason"]))
    vtest.done()


if __name__ == "__main__":
    main()
