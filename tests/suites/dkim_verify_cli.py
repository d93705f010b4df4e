#!/usr/bin/python3
"""The `vouch dkim verify` command itself: options, exit statuses
(vouch(1): 0 verdict, 64 usage, 74 I/O), standard input, and the
Authentication-Results field (RFC 8601) for unsigned and signed mail."""
import json
import os

import scratch
import vtest
from vtest import ok
import _dkim_util as du

case = vtest.shared("cases", "dkim", "ed25519-and-rsa-signatures")
zone = os.path.join(case, "zone.db")
msg = os.path.join(case, "message.eml")

rc, out, err = vtest.vouch(["dkim", "verify", "--help"])
ok(rc == 0 and b"--zone" in out and b"--legacy-crypto" in out, "--help: exit 0, lists the options")
rc, out, err = vtest.vouch(["dkim", "verify", "--bogus"])
ok(rc == 64, "unknown option: exit 64", "exit %d" % rc)
rc, out, err = vtest.vouch(["dkim", "verify", "--now", "yesterday", "--zone", zone, msg])
ok(rc == 64 and "--now" in err, "bad --now: exit 64 with a message", "exit %d %s" % (rc, err))
rc, out, err = vtest.vouch(["dkim", "verify", "--zone", zone, msg, msg])
ok(rc == 64, "two files: exit 64", "exit %d" % rc)
rc, out, err = vtest.vouch(["dkim", "verify", "--zone", zone, "/nonexistent/message.eml"])
ok(rc == 74 and "/nonexistent/message.eml" in err, "missing file: exit 74 naming it", "exit %d %s" % (rc, err))
rc, out, err = vtest.vouch(["dkim", "verify", "--zone", "/nonexistent/zone", msg])
ok(rc != 0 and "/nonexistent/zone" in err, "missing zone file: error naming it", "exit %d %s" % (rc, err))

data = open(msg, "rb").read()
rc, out, err = vtest.vouch(["dkim", "verify", "--authserv-id", "mx.example", "--zone", zone], stdin=data)
text = out.decode()
ok(rc == 0 and text.startswith("Authentication-Results: mx.example;") and text.count("dkim=pass") == 2,
   "message on standard input: two dkim=pass", repr(text))
ok(all(p in text for p in ("header.d=example.com", "header.s=ed1", "header.s=rsa1",
                           "header.a=ed25519-sha256", "header.b=", "header.i=@example.com")),
   "RFC 8601/6008 properties header.d/i/s/a/b present", repr(text))
ok(all(len(line) <= 78 for line in text.split("\r\n")) and text.endswith("\r\n"),
   "field folded under 78 columns, CRLF line ends", repr(text))

unsigned = b"From: a@example.com\r\nSubject: x\r\n\r\nhello\r\n"
rc, out, err = vtest.vouch(["dkim", "verify", "--authserv-id", "mx.example", "--zone", zone], stdin=unsigned)
ok(rc == 0 and out == b"Authentication-Results: mx.example;\r\n\tdkim=none\r\n",
   "unsigned message: dkim=none", repr(out))
rc, out, err = vtest.vouch(["dkim", "verify", "--json", "--zone", zone], stdin=unsigned)
doc = json.loads(out)
ok(rc == 0 and doc == {"result": "none", "reason": "", "signatures": []}, "unsigned message, JSON", repr(out))

# A failing signature carries its reason.
bad = data.replace(b"\r\n\r\n", b"\r\n\r\nextra line\r\n", 1)
rc, out, err = vtest.vouch(["dkim", "verify", "--authserv-id", "mx.example", "--zone", zone], stdin=bad)
ok(rc == 0 and out.decode().count('dkim=fail reason="body hash did not verify"') == 2,
   "changed body: dkim=fail with reason", repr(out))
rc, out, err = vtest.vouch(["dkim", "verify", "--max-signatures", "1", "--json", "--zone", zone, msg])
doc = json.loads(out)
ok([s["result"] for s in doc["signatures"]] == ["pass", "none"], "--max-signatures 1: second not checked",
   du.describe(doc))
rc, out, err = vtest.vouch(["dkim", "verify", "--max-age", "60", "--json", "--zone", zone, msg])
doc = json.loads(out)
ok(doc["result"] == "policy", "--max-age 60: old signatures are policy", du.describe(doc))

# JSON text: i= is dkim-quoted-printable (RFC 6376 2.11); decoded UTF-8
# stays UTF-8 in the JSON, a byte that is not UTF-8 becomes \u00XX.
qp = (b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=nokey; h=from; bh=AAAA; b=AAAA;\r\n"
      b" i=J=C3=A9r=C3=B4me@example.com\r\n"
      b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=nokey; h=from; bh=AAAA; b=BBBB;\r\n"
      b" i=x=FFy@example.com\r\nFrom: a@example.com\r\n\r\n")
rc, out, err = vtest.vouch(["dkim", "verify", "--json", "--zone", zone], stdin=qp)
try:
    doc = json.loads(out.decode("utf-8"))
except ValueError:
    doc = None
ok(doc is not None and doc["signatures"][0]["i"] == "J\u00e9r\u00f4me@example.com"
   and doc["signatures"][1]["i"] == "x\u00ffy@example.com" and b"\\u00ff" in out,
   "JSON: i= decoded from quoted-printable, UTF-8 kept, other bytes escaped", repr(out[:300]))

# The message reader: the empty line that ends the header section may
# straddle a 64 KiB read.  A padding field (not signed) puts it at every
# offset around the boundary, CRLF and LF; the body (200 KiB) has empty
# lines of its own, so a missed end would split the message in the wrong
# place and the signature would not pass.
tmpd = scratch.mkdtemp("vouch-reader-")
key, pub = du.rsa_key(tmpd)
body = b"line of text\r\n\r\n" * 13000 + b"end\r\n"
signed = du.sign_simple(key, "rd", b"From: a@example.com\r\nSubject: reader\r\n", body)
with du.Zone([("rd._domainkey.example.com", "TXT", "v=DKIM1; p=" + pub)]) as rz:
    for lf in (False, True):
        base = signed.replace(b"\r\n", b"\n") if lf else signed
        start = base.index(b"\n\n") + 1 if lf else base.index(b"\r\n\r\n") + 2
        bad = []
        for d in range(-4, 5):
            pad = 65536 + d - start - len(b"X-Pad: \r\n") + (1 if lf else 0)
            field = b"X-Pad: " + b"x" * pad + (b"\n" if lf else b"\r\n")
            path = os.path.join(tmpd, "m.eml")
            with open(path, "wb") as f:
                f.write(field + base)
            rc, out, err = vtest.vouch(["dkim", "verify", "--json", "--zone", rz, path])
            try:
                doc = json.loads(out)
            except ValueError:
                doc = None
            if rc != 0 or doc is None or doc["result"] != "pass":
                bad.append("%+d: %s" % (d, du.describe(doc)))
        ok(not bad, "reader: header end at 64 KiB %+d..%+d (%s line ends), body with empty lines"
           % (-4, 4, "LF" if lf else "CRLF"), "; ".join(bad))
vtest.done()
