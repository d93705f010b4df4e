#!/usr/bin/python3
"""--json stays valid JSON when DNS records and headers carry bytes that
are not UTF-8 (a hostile zone can publish any byte in a TXT record).

Every subcommand with --json is fed a record or field holding 0xff, 0xc3
alone and a valid UTF-8 character; the output must parse with a strict
JSON decoder, and valid UTF-8 must come through unchanged.
"""
import json
import os
import tempfile

import vtest
from vtest import ok, done, vouch

ZONE = rb'''$ORIGIN .
$TTL 300
example.com. IN TXT "v=spf1 ip4:192.0.2.0/24 exists:\255x.example.com -all"
_dmarc.example.com. IN TXT "v=DMARC1; p=reject; rua=mailto:r\255@example.com; x=\195; y=caf\195\169"
'''
MSG = (b"From: Caf\xc3\xa9 \xff <a@example.com>\r\nTo: b@example.org\r\nSubject: s\xff\r\n"
       b"DKIM-Signature: v=1; a=rsa-sha256; d=exa\xffmple.com; s=s\xc3; h=from; bh=; b=\r\n"
       b"\r\nbody\r\n")


def strict_json(out):
    try:
        return json.loads(out.decode("utf-8"))  # invalid UTF-8 raises too
    except (UnicodeDecodeError, ValueError) as e:
        return e


with tempfile.TemporaryDirectory() as tmp:
    zone = os.path.join(tmp, "zone.db")
    msg = os.path.join(tmp, "m.eml")
    open(zone, "wb").write(ZONE)
    open(msg, "wb").write(MSG)
    runs = {
        "dmarc": ["dmarc", "--zone", zone, "--spf", "pass:example.com", "--json", msg],
        "check": ["check", "--zone", zone, "--json", "example.com"],
        "spf": ["spf", "--zone", zone, "--ip", "198.51.100.1", "--mail-from", "a@example.com", "--json"],
        "dkim verify": ["dkim", "verify", "--zone", zone, "--json", msg],
        "verify": ["verify", "--zone", zone, "--ip", "192.0.2.1", "--helo", "h.example.com",
                   "--mail-from", "a@example.com", "--json", msg],
        "authres parse": ["authres", "parse", msg],
    }
    for name, args in runs.items():
        rc, out, err = vouch(args)
        j = strict_json(out)
        ok(not isinstance(j, Exception), "vouch %s --json is valid UTF-8 JSON with hostile bytes" % name,
           "exit %d, %s" % (rc, j if isinstance(j, Exception) else ""))
    rc, out, _ = vouch(runs["dmarc"])
    ok("café" in out.decode("utf-8", "replace"), "vouch dmarc --json keeps valid UTF-8 (é) as it is",
       out[:300])
done()
