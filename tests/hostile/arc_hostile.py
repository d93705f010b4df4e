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
import time

import scratch
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
    # The bytes of --json, exactly: well-formed UTF-8 (RFC 3629 §4) as it
    # is, C1 and U+10FFFF among it; each byte of an overlong form, a
    # surrogate, a value past U+10FFFF, a stray continuation byte, 0xff
    # and a sequence cut by the end of the field as \u00XX; '"', '\' and
    # DEL escaped (RFC 8259 §7).
    edge = (b'"\\ \x7f \xc0\xaf \xe0\x80\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xf0\x9f\x98\x80 '
            b'\xe2\x82\xac \x80 \xff \xc2\x85 \xf4\x8f\xbf\xbf \xe2\x82')
    want = (b'\\"\\\\ \\u007f \\u00c0\\u00af \\u00e0\\u0080\\u00af \\u00ed\\u00a0\\u0080 '
            b'\\u00f4\\u0090\\u0080\\u0080 \xf0\x9f\x98\x80 \xe2\x82\xac \\u0080 \\u00ff '
            b'\xc2\x85 \xf4\x8f\xbf\xbf \\u00e2\\u0082"')
    rc, out, err = vtest.vouch(["arc", "verify", "--json", "--zone", zone],
                               stdin=b"ARC-Authentication-Results: i=1; mx.example.org; x=" + edge +
                               b"\r\n" + MSG)
    ok(rc == 0 and (b'"aar": "mx.example.org; x=' + want + b"}") in out,
       "arc verify --json: the AAR's bytes, UTF-8 and not, written exactly as RFC 8259 §7 allows",
       "exit %d %r" % (rc, out[-400:]))
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


tmp = scratch.mkdtemp("vouch-arc-hostile-")
try:
    run(tmp)
finally:
    shutil.rmtree(tmp)
vtest.done()
