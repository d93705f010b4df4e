#!/usr/bin/python3
"""`vouch spf --trace`: the evaluation written out step by step (records
fetched, terms tried, the RFC 7208 §4.6.4 counters) for a record with an
include: that fails and an a: whose name does not exist (a void lookup),
and a last line whose counts agree with --json's.
"""
import os
import re

import scratch
from vtest import ok, done, vouch, vouch_json

ZONE = """$ORIGIN .
$TTL 300
example.com. TXT "v=spf1 include:inc.example.com a:gone.example.com -all"
inc.example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"
"""

tmp = scratch.mkdtemp("vouch-spftrace-")
zone = os.path.join(tmp, "zone.db")
with open(zone, "w") as f:
    f.write(ZONE)
args = ["spf", "--ip", "198.51.100.7", "--mail-from", "u@example.com", "--zone", zone]

rc, out, err = vouch(args + ["--trace"])
lines = out.decode("utf-8").splitlines()
ok(rc == 0, "spf --trace exits 0", "exit %d %s" % (rc, err))
for want in ("check_host example.com (level 0)",
             "check_host inc.example.com (level 1, include)",
             " term include:inc.example.com",
             "  include:inc.example.com gave fail (level 0)",
             "  dns terms 2/10",
             "  dns A gone.example.com: nxdomain, 0 records",
             "  void lookups 1/2",
             "  match: fail, example.com stops here"):
    ok(want in lines, "trace has %r" % want, "\n".join(lines))
ok(lines[-1].startswith("Received-SPF: fail "), "Received-SPF comes last", lines[-1:])

rc, doc, err = vouch_json(args + ["--json"])
ok(rc == 0 and doc is not None, "spf --json", err)
counts = [l for l in lines if l.startswith("result ")]
m = re.fullmatch(r"result (\w+); DNS-querying terms: (\d+), void lookups: (\d+), "
                 r"DNS queries: (\d+)", counts[0] if counts else "")
ok(m is not None, "one counts line, each count named", counts)
if m and doc:
    ok((m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))) ==
       (doc["result"], doc["dns_lookups"], doc["void_lookups"], doc["dns_queries"]),
       "the trace's counts are --json's", (m.groups(), doc))
    ok(doc["dns_lookups"] == 2 and doc["void_lookups"] == 1,
       "include: and a: count as DNS-querying terms, gone.example.com as a void lookup", doc)

# RFC 7208 §2.3, §2.4: the null sender and --identity helo check the HELO
# name; without --helo there is nothing to check ("postmaster@" was).
for extra, what in ((["--mail-from", ""], "the null sender (--mail-from '')"),
                    (["--mail-from", "u@example.com", "--identity", "helo"], "--identity helo")):
    rc, out, err = vouch(["spf", "--ip", "198.51.100.7", "--zone", zone] + extra)
    ok(rc == 64 and out == b"" and ("%s checks the HELO name: give --helo NAME" % what) in err,
       "%s without --helo is a usage error (exit 64)" % what, "exit %d %r %r" % (rc, out, err))
rc, doc, err = vouch_json(["spf", "--ip", "198.51.100.7", "--zone", zone, "--mail-from", "",
                           "--helo", "example.com", "--json"])
ok(rc == 0 and doc and doc["sender"] == "postmaster@example.com" and doc["result"] == "fail",
   "the null sender with --helo checks postmaster@HELO", doc)
done()
