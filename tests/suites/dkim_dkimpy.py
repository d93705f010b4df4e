#!/usr/bin/python3
"""dkimpy's data (../shared/testsuites/dkim/dkimpy/).

Pre-signed messages, with the records of dns-records-for-presigned.txt
("@file" = that file's content) and the .txt/.dns key files:
  test2.message       real Gmail message (degenerate folding): pass
  ed25519test2.msg    Exim-signed Ed25519 (d=test.ex s=sed): pass
  rfc6376.signed.msg  ed25519 (s=brisbane) and rsa (s=test), both pass
Bad key records, each put in place of the good key of rfc6376.signed.msg's
RSA signature (s=test, d=football.example.com), must not verify:
  badversion.txt (v= not DKIM1), badk.txt (unknown k=), test_bad.txt
  (corrupted p=), test_tlsrpt.txt (s=tlsrpt: not for email).
test2.txt (the same key without k=, which defaults to rsa) must verify.
"""
import os

import vtest
from vtest import ok
import _dkim_util as du

base = vtest.shared("testsuites", "dkim", "dkimpy")


def keyfile(name):
    return open(os.path.join(base, name), "rb").read().strip()


recs = []
for line in open(os.path.join(base, "dns-records-for-presigned.txt"), "rb"):
    line = line.rstrip(b"\r\n")
    if not line.strip() or line.startswith(b"#"):
        continue
    name, _, value = line.partition(b" ")
    if value.startswith(b"@"):
        value = keyfile(value[1:].decode())
    recs.append((name.decode(), "TXT", value))

PRESIGNED = [
    ("test2.message", ["pass"], "real Gmail message"),
    ("ed25519test2.msg", ["pass"], "Exim Ed25519"),
    ("rfc6376.signed.msg", ["pass", "pass"], "ed25519 and rsa, simple/simple"),
]
with du.Zone(recs) as zone:
    for fname, want, what in PRESIGNED:
        rc, doc, err = du.verify(zone, os.path.join(base, fname))
        got = [s["result"] for s in doc["signatures"]] if doc else None
        ok(rc == 0 and got == want, "dkimpy %s (%s): %s" % (fname, what, " ".join(want)),
           "exit %d, %s" % (rc, du.describe(doc)))

# Key records swapped in for the RSA key of rfc6376.signed.msg.
msg = os.path.join(base, "rfc6376.signed.msg")
others = [r for r in recs if r[0] != "test._domainkey.football.example.com"]
KEYS = [
    ("test2.txt", "pass", "no k= (defaults to rsa)"),
    ("badversion.txt", "permerror", "v= is not DKIM1"),
    ("badk.txt", "permerror", "unknown k="),
    ("test_bad.txt", "permerror", "corrupted p="),
    ("test_tlsrpt.txt", "permerror", "s=tlsrpt, not email"),
]
for kfile, want, what in KEYS:
    with du.Zone(others + [("test._domainkey.football.example.com", "TXT", keyfile(kfile))]) as zone:
        rc, doc, err = du.verify(zone, msg)
    rsa = [s for s in doc["signatures"] if s["s"] == "test"] if doc else []
    ok(len(rsa) == 1 and rsa[0]["result"] == want,
       "dkimpy key %s (%s): rsa signature %s" % (kfile, what, want),
       du.describe(doc))
    if want != "pass" and rsa:
        print("# %s: %s" % (kfile, rsa[0]["reason"]))
vtest.done()
