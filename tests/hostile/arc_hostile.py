#!/usr/bin/python3
"""Hostile ARC input through `vouch arc verify` and `vouch arc seal`.

The instance limit of RFC 8617 §4.2.1 (VOUCH_ARC_MAX_INSTANCES, 50) is
reached for real: a chain of 50 sets sealed by vouch validates, a 51st is
refused; 51 sets, thousands of duplicate fields, an h= of thousands of
names and text meant to end the AAR early must give a fail (or a refusal),
valid JSON, no crash and no time blow-up.
"""
import json
import os
import shutil
import tempfile
import time

import vtest
from vtest import ok

MSG = (b"From: Alice <alice@origin.example>\r\nTo: list@example.org\r\n"
       b"Subject: hostile\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n\r\nbody\r\n")


def verify(zone, msg, timeout=60):
    t0 = time.time()
    rc, out, err = vtest.vouch(["arc", "verify", "--json", "--zone", zone], stdin=msg, timeout=timeout)
    try:
        doc = json.loads(out.decode("utf-8"))
    except ValueError:
        doc = None
    return rc, doc, err, time.time() - t0


def seal(zone, key, msg, extra=()):
    return vtest.vouch(["arc", "seal", "-d", "example.org", "-s", "s1", "-k", key,
                        "--authserv-id", "mx.example.org", "--auth-results", "spf=pass",
                        "--zone", zone] + list(extra), stdin=msg)


def fake_sets(n, first=1):
    out = b""
    for i in range(n, first - 1, -1):
        out += (b"ARC-Seal: i=%d; a=ed25519-sha256; cv=%s; d=example.org; s=s1; b=AAAA\r\n"
                % (i, b"none" if i == 1 else b"pass"))
        out += b"ARC-Message-Signature: i=%d; a=ed25519-sha256; d=example.org; s=s1; h=from; bh=AAAA; b=AAAA\r\n" % i
        out += b"ARC-Authentication-Results: i=%d; mx.example.org; spf=pass\r\n" % i
    return out


def run(tmp):
    rc, out, err = vtest.vouch(["keygen", "-t", "ed25519", "-d", "example.org", "-s", "s1", "-o", tmp])
    if not ok(rc == 0, "keygen", err):
        return
    key = os.path.join(tmp, "s1.private")
    zone = os.path.join(tmp, "z.zone")
    with open(zone, "w") as f:
        f.write(out.decode())

    # RFC 8617 §4.2.1: 50 sets made by vouch validate; a 51st is refused.
    msg = MSG
    t0 = time.time()
    for i in range(50):
        rc, out, err = seal(zone, key, msg)
        if rc != 0:
            break
        msg = out
    ok(rc == 0, "§4.2.1: vouch seals 50 hops", "hop %d: exit %d %s" % (i + 1, rc, err.strip()))
    rc, doc, err, dt = verify(zone, msg)
    ok(doc is not None and doc["cv"] == "pass" and len(doc["instances"]) == 50,
       "§4.2.1: a chain of 50 sets validates (%.1fs)" % dt,
       "got %r" % ((doc and (doc["cv"], doc["reason"], len(doc["instances"]))),))
    ok(dt < 10, "50 sets validate in under 10 s", "%.1fs" % dt)
    rc, out, err = seal(zone, key, msg)
    ok(rc == 65 and out == b"" and "50" in err, "§4.2.1: no 51st set (exit 65)",
       "exit %d, %d bytes, %s" % (rc, len(out), err.strip()))

    # 51 sets: fail, not a crash.
    rc, doc, err, dt = verify(zone, fake_sets(51) + MSG)
    ok(rc == 0 and doc["cv"] == "fail" and "over 50" in doc["reason"],
       "§5.2 step 1: 51 sets are a fail", "got %s" % (doc and doc["reason"]))
    # i=0 and a huge instance number.
    rc, doc, err, dt = verify(zone, fake_sets(1).replace(b"i=1;", b"i=0;") + MSG)
    ok(rc == 0 and doc["cv"] == "fail", "§4.2.1: i=0 is a fail", "got %s" % (doc and doc["reason"]))
    rc, doc, err, dt = verify(zone, fake_sets(1).replace(b"i=1;", b"i=99999999999999999999;") + MSG)
    ok(rc == 0 and doc["cv"] == "fail", "§4.2.1: i=99999999999999999999 is a fail",
       "got %s" % (doc and doc["reason"]))
    # Nine hundred ARC-Seals with i=1.
    many = fake_sets(1) * 300 + MSG
    rc, doc, err, dt = verify(zone, many)
    ok(rc == 0 and doc["cv"] == "fail" and "two" in doc["reason"] and dt < 5,
       "§4.2.1: 900 duplicate ARC fields are a fail, quickly (%.2fs)" % dt,
       "got %s" % (doc and doc["reason"]))
    # An AMS whose h= names 5000 fields.
    hl = b":".join([b"x-h%d" % k for k in range(5000)])
    big = fake_sets(1).replace(b"h=from;", b"h=" + hl + b";") + MSG
    rc, doc, err, dt = verify(zone, big)
    ok(rc == 0 and doc["cv"] == "fail" and dt < 5, "an h= of 5000 names is a fail, quickly (%.2fs)" % dt,
       "got %s" % (doc and doc["reason"]))
    # Bytes that are not UTF-8 (and a UTF-8 surrogate) in an AAR: the JSON
    # stays valid (RFC 8259 §8.1).
    bad = (b"ARC-Authentication-Results: i=1; mx.example.org; spf=pass \xff\xc3\xa9 \xed\xa0\x80\r\n"
           + MSG)
    rc, doc, err, dt = verify(zone, bad)
    ok(rc == 0 and doc is not None and doc["cv"] == "fail" and "\u00e9" in doc["instances"][0]["aar"],
       "an AAR that is not UTF-8 gives valid JSON", "exit %d %r" % (rc, doc))
    # Text meant to end the AAR and start a field of its own.
    rc, out, err = vtest.vouch(["arc", "seal", "-d", "example.org", "-s", "s1", "-k", key,
                                "--authserv-id", "mx.example.org", "--auth-results",
                                "spf=pass\r\nX-Injected: yes\r\n\r\nbody", "--zone", zone], stdin=MSG)
    top = out.split(b"\r\nFrom: ")[0] if rc == 0 else b""
    ok(rc == 0 and b"\r\nX-Injected" not in top and b"\r\n\r\n" not in top,
       "--auth-results cannot end the AAR early", "exit %d %r" % (rc, top[-200:]))
    # An authserv-id that is not a token.
    rc, out, err = vtest.vouch(["arc", "seal", "-d", "example.org", "-s", "s1", "-k", key,
                                "--authserv-id", "mx; dkim=pass", "--auth-results", "spf=pass",
                                "--zone", zone], stdin=MSG)
    ok(rc == 64 and out == b"", "an authserv-id with ';' is refused (exit 64)", "exit %d" % rc)


tmp = tempfile.mkdtemp(prefix="vouch-arc-hostile-")
try:
    run(tmp)
finally:
    shutil.rmtree(tmp)
vtest.done()
