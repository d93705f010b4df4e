#!/usr/bin/python3
"""RFC 8301 through `vouch dkim verify`: RSA key sizes and rsa-sha1.
Messages are signed here with openssl (simple/simple, so the signed bytes
are exactly the ones written), keys made fresh with openssl genpkey.
  512-bit key      permerror (RFC 8301 §3.2), pass with --legacy-crypto
  1024, 2048 bits  pass
  4104-bit key     permerror (over 4096), with --legacy-crypto too
  rsa-sha1         permerror (RFC 8301 §3.1), pass with --legacy-crypto
"""
import base64
import hashlib
import os
import subprocess

import scratch
import vtest
from vtest import ok
import _dkim_util as du

tmp = scratch.mkdtemp("vouch-rsa-")
HDR = b"From: a@example.com\r\nTo: b@example.org\r\nSubject: key sizes\r\n"
BODY = b"Hello, RFC 8301.\r\n"


def keypair(bits):
    path = os.path.join(tmp, "k%d.pem" % bits)
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:%d" % bits,
                    "-out", path], check=True, capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return path, base64.b64encode(der).decode()


def signed(key, sel, hashname="sha256"):
    h = hashlib.new(hashname, BODY).digest()
    field = (b"DKIM-Signature: v=1; a=rsa-%s; c=simple/simple; d=example.com; s=%s;\r\n"
             b"\th=from:to:subject; bh=%s;\r\n\tb=" % (hashname.encode(), sel.encode(), base64.b64encode(h)))
    sig = subprocess.run(["openssl", "dgst", "-" + hashname, "-sign", key], input=HDR + field,
                         check=True, capture_output=True).stdout
    return field + base64.b64encode(sig) + b"\r\n" + HDR + b"\r\n" + BODY


keys = {bits: keypair(bits) for bits in (512, 1024, 2048, 4104)}
zone = [("k%d._domainkey.example.com" % b, "TXT", "v=DKIM1; k=rsa; p=" + p) for b, (_, p) in keys.items()]
CASES = [
    ("512-bit key, RFC 8301 3.2", signed(keys[512][0], "k512"), [], "permerror", "shorter than 1024"),
    ("512-bit key with --legacy-crypto", signed(keys[512][0], "k512"), ["--legacy-crypto"], "pass", ""),
    ("1024-bit key", signed(keys[1024][0], "k1024"), [], "pass", ""),
    ("2048-bit key", signed(keys[2048][0], "k2048"), [], "pass", ""),
    ("4104-bit key refused (over 4096)", signed(keys[4104][0], "k4104"), [], "permerror", "longer than 4096"),
    ("4104-bit key refused with --legacy-crypto too", signed(keys[4104][0], "k4104"), ["--legacy-crypto"],
     "permerror", "longer than 4096"),
    ("rsa-sha1, RFC 8301 3.1", signed(keys[2048][0], "k2048", "sha1"), [], "permerror", "rsa-sha1"),
    ("rsa-sha1 with --legacy-crypto", signed(keys[2048][0], "k2048", "sha1"), ["--legacy-crypto"], "pass", ""),
]
with du.Zone(zone) as z:
    for name, msg, args, want, reason in CASES:
        rc, doc, err = du.verify(z, message=msg, args=args)
        s = doc["signatures"][0] if doc and doc["signatures"] else None
        ok(rc == 0 and s is not None and s["result"] == want and reason in s["reason"],
           name + ": " + want, du.describe(doc))
        if s is not None and want == "pass":
            bits = int(name.split("-")[0]) if name[0].isdigit() else 2048
            ok(s["key_bits"] == bits, name + ": key_bits %d" % bits, "got %d" % s["key_bits"])
vtest.done()
