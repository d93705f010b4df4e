#!/usr/bin/python3
"""`vouch dkim verify --dns-server` over the network: the libunbound back
end against a local NSD (/usr/sbin/nsd on 127.0.0.1 at a free high port)
serving the RFC 8463 A.2 key records (taken from the RFC text).  The RFC
8463 A.3 message must pass twice over; a selector with no record is
permerror "no key" (RFC 6376 6.1.2 step 3) and a server that does not
answer gives temperror (step 2).  NSD is always stopped."""
import json
import re

import nsd
import vtest
from vtest import ok


def verify(server, data):
    rc, out, err = vtest.vouch(["dkim", "verify", "--json", "--dns-server", server], stdin=data,
                               timeout=120)
    if rc != 0:
        return None, "exit %d: %s" % (rc, err.strip()[-300:])
    return json.loads(out.decode("utf-8", "replace")), ""


def main():
    if not ok(nsd.installed(), "nsd installed", "missing %s (Debian package nsd)" % nsd.NSD):
        vtest.done()
    rfc = open(vtest.shared("rfc", "rfc8463.txt"), encoding="utf-8").read()
    recs = re.findall(r'^(\S+)\._domainkey\.football\.example\.com\. IN TXT \(\s*((?:"[^"]*"\s*)+)\)',
                      rfc, re.M)
    ok(len(recs) == 2, "RFC 8463 A.2 key records found", "found %d" % len(recs))
    zone = ("$ORIGIN football.example.com.\n$TTL 300\n"
            "@ IN SOA ns.football.example.com. hostmaster.football.example.com. 1 3600 600 86400 120\n"
            "@ IN NS ns\nns IN A 127.0.0.1\n" +
            "".join("%s._domainkey IN TXT %s\n" % (sel, " ".join(txt.split())) for sel, txt in recs))
    msg = open(vtest.shared("testsuites", "dkim", "rfc8463", "rfc8463-example.msg"), "rb").read()
    with nsd.serve("football.example.com", zone, prefix="vouch-dkim-nsd-") as ns:
        doc, why = verify(ns.server, msg)
        ok(doc is not None and [s["result"] for s in doc["signatures"]] == ["pass", "pass"],
           "over NSD: RFC 8463 A.3 both signatures pass",
           json.dumps(doc)[:300] if doc else ns.log_tail(300))
        nokey = msg.replace(b"s=brisbane", b"s=absent")
        doc, why = verify(ns.server, nokey)
        ok(doc is not None and doc["signatures"][0]["result"] == "permerror"
           and "no key" in doc["signatures"][0]["reason"],
           "over NSD: selector without a record is permerror (no key)", why or json.dumps(doc)[:300])
    ok(ns.stopped(), "nsd stopped")
    doc, why = verify("127.0.0.1@%d" % nsd.free_port(), msg)
    ok(doc is not None and all(s["result"] == "temperror" for s in doc["signatures"])
       and doc["result"] == "temperror",
       "no server answering: temperror (RFC 6376 6.1.2 step 2)", why or json.dumps(doc)[:300])
    vtest.done()


if __name__ == "__main__":
    main()
