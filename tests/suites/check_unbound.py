#!/usr/bin/python3
"""`vouch check --dns-server` over the network: the libunbound back end
against a local NSD (127.0.0.1, a free high port) serving a domain with
SPF, DMARC and DKIM problems.  The report over the network must be the
same as the report from the same file read with --zone (same findings,
same counts), and a server that does not answer must give the dns-error
findings and exit 2.  NSD is always stopped.
"""
import nsd
import vtest

ZONE = """$ORIGIN example.com.
$TTL 300
@        IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 120
@        IN NS ns
ns       IN A 127.0.0.1
@        IN TXT "v=spf1 ip4:192.0.2.0/28 include:_spf.example.com ptr " "a:gone.example.com ~all"
@        IN MX 10 mx1
mx1      IN A 198.51.100.25
_spf     IN TXT "v=spf1 include:_inner.example.com mx -all"
_inner   IN TXT "v=spf1 ip4:203.0.113.0/24 -all"
_dmarc   IN TXT "v=DMARC1; p=quarantine; pct=25; rua=mailto:d@example.com"
s1._domainkey IN TXT "v=DKIM1; k=rsa; t=y; p="
"""


def check(where, *extra):
    """Run vouch check; returns (exit, report or None, stderr)."""
    return vtest.vouch_json(["check", "--json"] + list(where) +
                            ["-s", "s1", "-s", "none"] + list(extra) + ["example.com"],
                            timeout=120)


def summary(rep):
    return ([(f["area"], f["severity"], f["code"], f["message"], f["fix"]) for f in rep["findings"]],
            rep["spf"], rep["dmarc"], rep["dkim"])


def main():
    if not vtest.ok(nsd.installed(), "nsd installed", "missing %s (Debian package nsd)" % nsd.NSD):
        vtest.done()
    with nsd.serve("example.com", ZONE, prefix="vouch-check-nsd-") as ns:
        rc, net, err = check(["--dns-server", ns.server], "--ip", "203.0.113.7")
        if vtest.ok(net is not None and net["spf"]["record"] is not None,
                    "nsd serves the zone on port %d" % ns.port, ns.log_tail()):
            zrc, local, zerr = check(["--zone", ns.zonefile], "--ip", "203.0.113.7")
            vtest.ok(local is not None and summary(net) == summary(local),
                     "over NSD: the same report as from the zone file",
                     "network %s\nzone %s" % (net and summary(net), local and summary(local)))
            vtest.ok(rc == zrc == 2, "over NSD: exit 2, as from the zone file", "got %d and %d" % (rc, zrc))
            codes = [f["code"] for f in net["findings"]]
            for code in ("spf-ptr", "spf-void-lookup", "dmarc-pct", "dkim-revoked", "dkim-testing",
                         "dkim-missing", "send-spf-pass"):
                vtest.ok(code in codes, "over NSD: finding " + code, "got %s" % codes)
            vtest.ok(net["spf"]["lookups"] == 5 and net["spf"]["void_lookups"] == 2,
                     "over NSD: 5 lookups (include, ptr, a, include, mx), 2 void (a:gone, mx at _spf)",
                     "got %s" % net["spf"])
    vtest.ok(ns.stopped(), "nsd stopped")
    rc, rep, err = check(["--dns-server", "127.0.0.1@%d" % nsd.free_port()])
    codes = [f["code"] for f in rep["findings"]] if rep else []
    vtest.ok(rc == 2 and "spf-dns-error" in codes and "dmarc-dns-error" in codes and
             "dkim-dns-error" in codes,
             "no server answering: the dns-error findings, exit 2", "exit %d, %s %s" % (rc, codes, err))
    vtest.done()


if __name__ == "__main__":
    main()
