#!/usr/bin/python3
"""Hostile input to `vouch dkim verify`: each must give a verdict (exit 0
and JSON) or a clear error, never a crash, a sanitizer report or a hang
(each run has a time limit).  Also: a 100 MiB signed message verifies in
under 16 MiB of memory (max RSS measured with /usr/bin/time -f %M)."""
import base64
import hashlib
import json
import os
import random
import subprocess

import sys

import scratch
import vtest
from vtest import ok

sys.path.insert(0, os.path.join(vtest.ROOT, "tests", "suites"))
import _dkim_util as du  # noqa: E402

tmp = scratch.mkdtemp("vouch-hostile-")


def run(label, message, want=None, args=(), zone=None, reason=None, timeout=60):
    """One check: a verdict is produced; `want` (a set) bounds the overall
    result; `reason` must occur in some reason text."""
    zpath = zone or ZONE
    try:
        rc, doc, err = du.verify(zpath, message=message, args=list(args))
    except subprocess.TimeoutExpired:
        return ok(False, label, "timed out")
    if rc != 0 or doc is None:
        return ok(False, label, "exit %d: %s" % (rc, err.strip()[-300:]))
    reasons = [doc["reason"]] + [s["reason"] for s in doc["signatures"]]
    good = (want is None or doc["result"] in want) and \
        (reason is None or any(reason in r for r in reasons))
    return ok(good, label, du.describe(doc)[:400])


# A throw-away RSA key, published in a zone.
key = os.path.join(tmp, "key.pem")
subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", key], check=True, capture_output=True)
der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"],
                     check=True, capture_output=True).stdout
P = base64.b64encode(der).decode()
ZONE = os.path.join(tmp, "zone")
with open(ZONE, "w") as f:
    f.write(du.zone_text([
        ("sel._domainkey.example.com", "TXT", "v=DKIM1; k=rsa; p=" + P),
        ("garbage._domainkey.example.com", "TXT", "v=DKIM1; k=rsa; p=!!!!not*base64$$$"),
        ("junk._domainkey.example.com", "TXT", "v=DKIM1; k=rsa; p=" + base64.b64encode(os.urandom(300)).decode()),
        ("binary._domainkey.example.com", "TXT", b"v=DKIM1; p=\x00\xff\x01;;;=="),
    ]))

HDR = b"From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n"
SIG = b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA\r\n"
NOTPASS = {"fail", "permerror", "neutral", "policy", "temperror"}

run("empty file", b"", want={"none"})
run("only an empty line", b"\r\n", want={"none"})
rnd = random.Random(6376)
for k in range(5):
    run("binary junk #%d (64 KiB)" % k, bytes(rnd.getrandbits(8) for _ in range(65536)))
run("NUL bytes in header and body", b"From: a\x00@example.com\r\n" + SIG + b"\r\n\x00\x00body\x00\r\n",
    want=NOTPASS)
run("NUL bytes inside the DKIM-Signature", b"DKIM-Signature: v=1\x00; a=rsa-sha256; d=example.com; s=sel;"
    b" h=from; bh=AAAA; b=AAAA\r\n" + HDR + b"\r\nx\r\n", want={"permerror"})
run("100,000 header fields", b"X-A: 1\r\n" * 100000 + HDR + b"\r\nbody\r\n",
    want={"permerror"}, reason="too many header fields")
run("a 10 MiB header line", b"Subject: " + b"x" * (10 * 1024 * 1024) + b"\r\n" + HDR + b"\r\nb\r\n",
    want={"permerror"}, reason="too large")
run("a 100 KiB header line", b"Subject: " + b"x" * (100 * 1024) + b"\r\n" + HDR + b"\r\nb\r\n",
    want={"permerror"}, reason="line too long")
run("10 MiB of LF only", b"\n" * (10 * 1024 * 1024), want={"none"})
run("header without colon", b"garbage line\r\n" + HDR + b"\r\n", want={"permerror"})
run("continuation line first", b" folded\r\n" + HDR + b"\r\n", want={"permerror"})
run("header only, no empty line, no final CRLF", SIG + HDR.rstrip(b"\r\n"), want=NOTPASS)

BROKEN = [
    b"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; a=rsa-sha1",
    b"v=1; a=rsa-sha256;; d=example.com",
    b"v=1 a=rsa-sha256 d=example.com",
    b"=1; a=rsa-sha256",
    b";;;;;;;;",
    b"v",
    b"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; l=99999999999999999999999999",
    b"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; t=-5",
    b"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; x=1; t=2",
    b"v=1; a=rsa-sha256; d=..; s=sel; h=from; bh=AAAA; b=AAAA",
    b"v=1; a=rsa-sha256; d=example.com; s=" + b"a" * 300 + b"; h=from; bh=AAAA; b=AAAA",
    b"v=1; a=rsa-sha256; d=example.com; s=sel; h=" + b"from:" * 5000 + b"to; bh=AAAA; b=AAAA",
    b"v=1; a=rsa-sha256; d=example.com; s=sel; h=from::to; bh=AAAA; b=AAAA",
    b"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; i=\xff\xfe@example.com",
    b"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; i=foo=zz@example.com",
    b"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; c=relaxed/relaxed/relaxed",
    b"v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; " +
    b"; ".join(b"t%d=1" % i for i in range(200)),
    b"v=1; " + b"a" * 100000 + b"=1",
]
for k, tags in enumerate(BROKEN):
    run("broken tag-list #%d" % k, b"DKIM-Signature: " + tags + b"\r\n" + HDR + b"\r\nbody\r\n",
        want={"permerror"})

GOOD = b"v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; h=from:to; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; "
run("base64 garbage in b=", b"DKIM-Signature: " + GOOD + b"s=sel; b=!!!$$$***\r\n" + HDR + b"\r\n",
    want={"permerror"}, reason="b=")
run("random base64 in b=", b"DKIM-Signature: " + GOOD + b"s=sel; b=" +
    base64.b64encode(os.urandom(256)) + b"\r\n" + HDR + b"\r\n", want={"fail"})
run("over-long b= (64 KiB of base64)", b"DKIM-Signature: " + GOOD + b"s=sel; b=" +
    base64.b64encode(os.urandom(48000)) + b"\r\n" + HDR + b"\r\n", want={"permerror"})
run("base64 garbage in bh=", b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; "
    b"bh=%%%%; b=AAAA\r\n" + HDR + b"\r\n", want={"permerror"}, reason="bh=")
run("base64 garbage in key p=", b"DKIM-Signature: " + GOOD + b"s=garbage; b=AAAA\r\n" + HDR + b"\r\n",
    want={"permerror"}, reason="p=")
run("random bytes as key p=", b"DKIM-Signature: " + GOOD + b"s=junk; b=AAAA\r\n" + HDR + b"\r\n",
    want={"permerror"})
run("binary key record", b"DKIM-Signature: " + GOOD + b"s=binary; b=AAAA\r\n" + HDR + b"\r\n",
    want={"permerror"})
rc, doc, err = du.verify(ZONE, message=(b"DKIM-Signature: " + GOOD + b"s=sel; b=AAAA\r\n") * 900 + HDR + b"\r\n")
ok(rc == 0 and doc is not None and len(doc["signatures"]) == 900
   and all(s["result"] == "fail" for s in doc["signatures"][:10])
   and all(s["result"] == "none" and "too many" in s["reason"] for s in doc["signatures"][10:]),
   "900 DKIM-Signature fields: the first 10 checked, the rest none", du.describe(doc)[:300])

# Memory: a 100 MiB message, signed (simple/simple) by this script with
# openssl, verifies in under 16 MiB max RSS.
big = os.path.join(tmp, "big.eml")
line = b"The quick brown fox jumps over the lazy dog, again and again.  0123456789\r\n"
n = (100 * 1024 * 1024) // len(line) + 1
bh = hashlib.sha256()
chunk = line * 1000
body_parts = n // 1000
for _ in range(body_parts):
    bh.update(chunk)
bhv = base64.b64encode(bh.digest())
sig_field = (b"DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=example.com; s=sel;\r\n"
             b"\th=from:to:subject; bh=" + bhv + b";\r\n\tb=")
signed = HDR + sig_field
hdrsig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signed,
                        check=True, capture_output=True).stdout
with open(big, "wb") as f:
    f.write(sig_field + base64.b64encode(hdrsig) + b"\r\n" + HDR + b"\r\n")
    for _ in range(body_parts):
        f.write(chunk)
size = os.path.getsize(big)
t = subprocess.run(["/usr/bin/time", "-f", "%M", vtest.VOUCH, "dkim", "verify", "--json", "--zone", ZONE, big],
                   capture_output=True, timeout=600)
rss_kib = int(t.stderr.decode().strip().splitlines()[-1])
doc = json.loads(t.stdout.decode())
ok(doc["result"] == "pass", "100 MiB signed message (%d bytes) passes" % size, du.describe(doc))

def sanitized():
    """Is the build under test instrumented (ASan's shadow memory counts in
    RSS)?  Read from Meson's introspection data."""
    try:
        opts = json.load(open(os.path.join(vtest.BUILD, "meson-info", "intro-buildoptions.json")))
    except (OSError, ValueError):
        return False
    return any(o["name"] == "b_sanitize" and o["value"] not in ("none", "") for o in opts)


if sanitized():
    vtest.skip("100 MiB message verified in under 16 MiB max RSS",
               "sanitizer build (max RSS %d KiB includes shadow memory)" % rss_kib)
else:
    ok(rss_kib < 16 * 1024, "100 MiB message verified in under 16 MiB max RSS",
       "max RSS %d KiB" % rss_kib)
print("# max RSS %d KiB for %d bytes" % (rss_kib, size))
os.unlink(big)
vtest.done()
