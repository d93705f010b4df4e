#!/usr/bin/python3
"""RFC 8463 Appendix A: the signed example message (A.3, from
../shared/testsuites/dkim/rfc8463/) verified with the key records of A.2,
taken from the RFC text itself (they are master-file syntax already).
Both signatures (ed25519-sha256 and rsa-sha256) must pass."""
import os
import re

import scratch
import vtest
from vtest import ok
import _dkim_util as du

rfc = open(vtest.shared("rfc", "rfc8463.txt"), encoding="utf-8").read()
recs = re.findall(r'^(\S+\._domainkey\.\S+\.) IN TXT \(\s*((?:"[^"]*"\s*)+)\)', rfc, re.M)
ok(len(recs) == 2, "RFC 8463 A.2: two key records found in the RFC text", "found %d" % len(recs))
zone = "$ORIGIN .\n$TTL 300\n" + "".join("%s 300 IN TXT %s\n" % (n, " ".join(s.split())) for n, s in recs)
fd, zpath = scratch.mkstemp("vouch-", ".zone")
with os.fdopen(fd, "w") as f:
    f.write(zone)
msg = vtest.shared("testsuites", "dkim", "rfc8463", "rfc8463-example.msg")
try:
    rc, doc, err = du.verify(zpath, msg)
    ok(rc == 0 and doc is not None, "RFC 8463 A.3: verdict produced", err.strip())
    sigs = doc["signatures"] if doc else []
    ok(len(sigs) == 2, "RFC 8463 A.3: two signatures", du.describe(doc))
    want = {"ed25519-sha256": "brisbane", "rsa-sha256": "test"}
    for s in sigs:
        ok(s["result"] == "pass" and want.get(s["a"]) == s["s"],
           "RFC 8463 A.3: %s signature (s=%s) passes" % (s["a"], s["s"]),
           "got %s (%s)" % (s["result"], s["reason"]))
    ok(doc is not None and doc["result"] == "pass", "RFC 8463 A.3: overall pass", du.describe(doc))
    # The same through Authentication-Results.
    rc, out, err = vtest.vouch(["dkim", "verify", "--zone", zpath, "--authserv-id", "mx.example", msg])
    text = out.decode()
    ok(rc == 0 and text.startswith("Authentication-Results: mx.example;")
       and text.count("dkim=pass") == 2 and "header.d=football.example.com" in text
       and "header.s=brisbane" in text and "header.b=" in text,
       "RFC 8463 A.3: Authentication-Results field", repr(text))
    # Tampered: one body byte changed, both must fail.
    data = open(msg, "rb").read().replace(b"We lost the game", b"We won the game")
    rc, doc, err = du.verify(zpath, message=data)
    ok(doc is not None and [s["result"] for s in doc["signatures"]] == ["fail", "fail"]
       and all("body hash" in s["reason"] for s in doc["signatures"]),
       "RFC 8463 A.3 body changed: both fail (body hash)", du.describe(doc))
    data = open(msg, "rb").read().replace(b"Subject: Is dinner ready?", b"Subject: Is lunch ready?")
    rc, doc, err = du.verify(zpath, message=data)
    ok(doc is not None and [s["result"] for s in doc["signatures"]] == ["fail", "fail"]
       and all("signature did not verify" in s["reason"] for s in doc["signatures"]),
       "RFC 8463 A.3 Subject changed: both fail (signature)", du.describe(doc))
finally:
    os.unlink(zpath)
vtest.done()
