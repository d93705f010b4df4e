#!/usr/bin/python3
"""`vouch spf --trace`: the evaluation written out step by step (records
fetched, terms tried, the RFC 7208 §4.6.4 counters) for a record with an
include: that fails and an a: whose name does not exist (a void lookup),
and a last line whose counts agree with --json's; then a nested include
and a redirect, whose records' steps are indented two spaces per level
under the term that fetched them.
"""
import os
import re

import scratch
from vtest import ok, done, vouch, vouch_json

ZONE = """$ORIGIN .
$TTL 300
example.com. TXT "v=spf1 include:inc.example.com a:gone.example.com -all"
inc.example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"
nest.example. TXT "v=spf1 include:a.nest.example redirect=r.nest.example"
a.nest.example. TXT "v=spf1 include:b.nest.example -all"
b.nest.example. TXT "v=spf1 ip4:192.0.2.0/24 -all"
r.nest.example. TXT "v=spf1 a:gone.nest.example ~all"
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
             "  check_host inc.example.com (level 1, include)",
             " term include:inc.example.com",
             "  include:inc.example.com gave fail (level 0)",
             "  dns terms 2/10",
             "  dns A gone.example.com: nxdomain, 0 records",
             "  void lookups 1/2",
             "  match: fail, example.com stops here"):
    ok(want in lines, "trace has %r" % want, "\n".join(lines))
ok(lines[-1].startswith("Received-SPF: fail "), "Received-SPF comes last", repr(lines[-1:]))

rc, doc, err = vouch_json(args + ["--json"])
ok(rc == 0 and doc is not None, "spf --json", err)
counts = [l for l in lines if l.startswith("result ")]
m = re.fullmatch(r"result (\w+); DNS-querying terms: (\d+), void lookups: (\d+), "
                 r"DNS queries: (\d+)", counts[0] if counts else "")
ok(m is not None, "one counts line, each count named", counts)
if m and doc:
    ok((m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))) ==
       (doc["result"], doc["dns_lookups"], doc["void_lookups"], doc["dns_queries"]),
       "the trace's counts are --json's", repr((m.groups(), doc)))
    ok(doc["dns_lookups"] == 2 and doc["void_lookups"] == 1,
       "include: and a: count as DNS-querying terms, gone.example.com as a void lookup", doc)

# A nested evaluation: include: within include: (levels 1 and 2), then the
# top record's redirect= (level 1).  Each record's steps sit two spaces per
# level deeper than the record whose term fetched it; what the include
# gave is said back at the including level.
NESTED = [
    "check_host nest.example (level 0)",
    "  dns TXT nest.example: answer, 1 record",
    "  record: v=spf1 include:a.nest.example redirect=r.nest.example",
    " term include:a.nest.example",
    "  dns terms 1/10",
    "  check_host a.nest.example (level 1, include)",
    "    dns TXT a.nest.example: answer, 1 record",
    "    record: v=spf1 include:b.nest.example -all",
    "   term include:b.nest.example",
    "    dns terms 2/10",
    "    check_host b.nest.example (level 2, include)",
    "      dns TXT b.nest.example: answer, 1 record",
    "      record: v=spf1 ip4:192.0.2.0/24 -all",
    "     term ip4:192.0.2.0/24",
    "      no match",
    "     term -all",
    "      match: fail, b.nest.example stops here",
    "    include:b.nest.example gave fail (level 1)",
    "    no match",
    "   term -all",
    "    match: fail, a.nest.example stops here",
    "  include:a.nest.example gave fail (level 0)",
    "  no match",
    " redirect=r.nest.example",
    "  dns terms 3/10",
    "  check_host r.nest.example (level 1, redirect)",
    "    dns TXT r.nest.example: answer, 1 record",
    "    record: v=spf1 a:gone.nest.example ~all",
    "   term a:gone.nest.example",
    "    dns terms 4/10",
    "    dns A gone.nest.example: nxdomain, 0 records",
    "    void lookups 1/2",
    "    no match",
    "   term ~all",
    "    match: softfail, r.nest.example stops here",
]
nargs = ["spf", "--ip", "198.51.100.7", "--mail-from", "u@nest.example", "--zone", zone]
rc, out, err = vouch(nargs + ["--trace"])
lines = out.decode("utf-8").splitlines()
ok(rc == 0 and len(lines) == len(NESTED) + 3, "nested spf --trace: %d lines" % (len(NESTED) + 3),
   "exit %d %s\n%s" % (rc, err, "\n".join(lines)))
ok(lines[0] == "identity mailfrom, sender u@nest.example, ip 198.51.100.7",
   "nested trace: the identity line first, not indented", repr(lines[:1]))
ok(lines[1:1 + len(NESTED)] == NESTED, "nested trace: include in include, then redirect, indented per level",
   "\n".join(l for l in lines))
levels = [(len(l) - len(l.lstrip(" ")), int(re.search(r"\(level (\d+)", l).group(1)))
          for l in lines if l.lstrip(" ").startswith("check_host ")]
ok(len(levels) == 4 and all(sp == 2 * lv for sp, lv in levels),
   "nested trace: each check_host line indented two spaces per level", repr(levels))
gave = [l for l in lines if " gave " in l]
ok(gave == ["    include:b.nest.example gave fail (level 1)", "  include:a.nest.example gave fail (level 0)"],
   "nested trace: what an include gave is said at the including level", repr(gave))
rc, doc, err = vouch_json(nargs + ["--json"])
m = re.fullmatch(r"result (\w+); DNS-querying terms: (\d+), void lookups: (\d+), "
                 r"DNS queries: (\d+)", lines[-2] if len(lines) > 1 else "")
ok(m is not None and doc is not None and
   (m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))) ==
   (doc["result"], doc["dns_lookups"], doc["void_lookups"], doc["dns_queries"]) == ("softfail", 4, 1, 5),
   "nested trace: the counts line kept as it was, not indented, and equal to --json's",
   repr((lines[-2:-1], doc)))
ok(lines[-1].startswith("Received-SPF: softfail "), "nested trace: Received-SPF comes last", repr(lines[-1:]))

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
