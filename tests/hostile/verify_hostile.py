#!/usr/bin/python3
"""Hostile messages through `vouch verify`: whatever comes in, a verdict
comes out (exit 0, one Authentication-Results field that parses), and the
message goes out unharmed: the input byte for byte after the field, less
only the Authentication-Results fields that claim our authserv-id (RFC
8601 §5), however many other fields surround them.
"""
import json
import os
import re
import tempfile

import vtest
from vtest import ok, vouch

ID = "mx.receiver.example"
ZONE = """$ORIGIN .
$TTL 300
example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.com. TXT "v=DMARC1; p=reject"
"""
FORGED = b"Authentication-Results: mx.receiver.example; dmarc=pass header.from=example.com\r\n"
BASE = b"From: a@example.com\r\nTo: b@example.org\r\nSubject: x\r\n"


def pad(n):
    return b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 40) for i in range(n))


# (name, message, forged fields it holds, results that must be there)
CASES = [
    ("empty input", b"", 0, {"dmarc": "permerror"}),
    ("only an empty line", b"\r\n", 0, {"dmarc": "permerror"}),
    ("junk bytes with NULs, no line end", bytes(range(256)) * 8, 0, {}),
    ("header only, no empty line", BASE, 0, {"spf": "pass"}),
    ("bare CR line ends", BASE.replace(b"\r\n", b"\r") + b"\rbody\r", 0, {}),
    ("NUL inside the From field", b"From: a\x00@example.com\r\n\r\nbody\r\n", 0, {}),
    ("8-bit From display name", b"From: \xff\xfe <a@example.com>\r\n\r\nbody\r\n", 0, {}),
    ("quoted display name hiding an address",
     b'From: "x@evil.example <x@evil.example>" <a@example.com>\r\n\r\nb\r\n', 0, {}),
    ("unbalanced angle brackets in From", b"From: <<a@example.com\r\n\r\nb\r\n", 0,
     {"dmarc": "permerror"}),
    ("1000 From fields", b"From: a@example.com\r\n" * 1000 + b"\r\nbody\r\n", 0,
     {"dmarc": "permerror"}),
    ("a From with 200 addresses in 200 domains",
     b"From: " + b", ".join(b"u@d%d.example" % i for i in range(200)) + b"\r\n\r\nb\r\n", 0, {}),
    ("a 200 KiB header line", BASE + b"X-Long: " + b"a" * 200000 + b"\r\n\r\nbody\r\n", 0, {}),
    # the size of the header is the sender's choice: DKIM cannot be
    # checked (permerror), but DMARC evaluates the From found, here an
    # SPF-aligned pass as without the padding (doc/threat-model.md, class 3)
    ("a header over 1 MiB (DMARC on the From found, rest copied)",
     BASE + pad(30000) + b"\r\nbody\r\n", 0, {"dkim": "permerror", "dmarc": "pass"}),
    ("a header over 1 MiB with a forged field near the top",
     BASE + FORGED + pad(30000) + b"\r\nbody\r\n", 1, {"dmarc": "pass"}),
    # a From past the limit is not read: no pass
    ("a header over 1 MiB, a second From past the limit",
     BASE + pad(30000) + b"From: ceo@example.org\r\n\r\nbody\r\n", 0, {"dmarc": "permerror"}),
    # past the first MiB the library holds, the command judges each field
    # as it copies it (json counts only what the library saw: 5th item)
    ("a header over 1 MiB, a forged field at its end",
     BASE + pad(30000) + FORGED + b"\r\nbody\r\n", 1, {"dmarc": "pass"}, 0),
    ("a header over 1 MiB, a forged field folded with a 5 KiB comment",
     BASE + pad(30000) + b"Authentication-Results: (" + b"c" * 5000 + b")\r\n mx.receiver.example;"
     b" dmarc=pass\r\n\r\nbody\r\n", 1, {}, 0),
    ("a header over 1 MiB, another id's field at its end kept",
     BASE + pad(30000) + b"Authentication-Results: other.example; spf=pass\r\n\r\nbody\r\n", 0, {}),
    ("a header over 1 MiB, LF line ends, forged fields before and after the cut",
     (BASE + FORGED + pad(30000) + FORGED + b"\r\nbody\r\n").replace(b"\r\n", b"\n"), 2, {}, 1),
    ("a header over 1 MiB and no body, ending inside a forged field",
     BASE + pad(30000) + FORGED[:-2], 1, {}, 0),
    ("2000 fields, a forged field at the end (past the field-count limit)",
     BASE + pad(2000) + FORGED + b"\r\nbody\r\n", 1, {}),
    ("300 forged fields of ours", BASE + FORGED * 300 + b"\r\nbody\r\n", 300, {}),
    ("forged field with odd case, quoting and folding",
     BASE + b"authentication-results:\r\n  \"MX.RECEIVER.EXAMPLE\" (c) ;\r\n dkim=pass\r\n\r\nb\r\n", 1, {}),
    ("forged field that does not parse after the id",
     BASE + b"Authentication-Results: mx.receiver.example; (((\r\n\r\nb\r\n", 1, {}),
    ("50 junk DKIM-Signature fields",
     BASE + b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=x; b=;\r\n" * 50 + b"\r\nb\r\n", 0,
     {"dkim": "permerror"}),
    ("a body of 3 MiB without a line end", BASE + b"\r\n" + b"z" * (3 << 20), 0, {}),
    ("a body of only CRs and LFs", BASE + b"\r\n" + b"\r\r\n\n" * 10000, 0, {}),
]


def field_of(out):
    m = re.match(rb"Authentication-Results:[^\n]*\n(?:[ \t][^\n]*\n)*", out)
    return m.group(0) if m else b""


def strip_ours(msg):
    """The input less the fields claiming our id, in the header only."""
    end = re.search(rb"\n\r?\n", msg)
    head, body = (msg[:end.start() + 1], msg[end.start() + 1:]) if end else (msg, b"")
    fields = []
    for ln in re.split(rb"(?<=\n)", head):
        if ln[:1] in (b" ", b"\t") and fields:
            fields[-1] += ln
        else:
            fields.append(ln)
    ours = re.compile(rb'(?is)authentication-results:\s*(\([^)]*\)\s*)?"?mx\.receiver\.example"?\s*(\([^)]*\))?\s*;')
    return b"".join(f for f in fields if not ours.match(f)) + body


def main():
    with tempfile.TemporaryDirectory() as tmp:
        zone = os.path.join(tmp, "zone.db")
        with open(zone, "w") as f:
            f.write(ZONE)
        base = ["verify", "--zone", zone, "--authserv-id", ID, "--ip", "192.0.2.1",
                "--helo", "mx.example.com", "--mail-from", "a@example.com"]
        for case in CASES:
            name, msg, nforged, want = case[:4]
            json_forged = case[4] if len(case) > 4 else nforged
            path = os.path.join(tmp, "m.eml")
            with open(path, "wb") as f:
                f.write(msg)
            for how in ("file", "stdin"):
                rc, out, err = vouch(base + ([path] if how == "file" else []),
                                     stdin=msg if how == "stdin" else None, timeout=120)
                field = field_of(out)
                if not ok(rc == 0 and field, "%s (%s): exit 0 and a field" % (name, how),
                          "exit %d: %s" % (rc, err.strip()[-200:])):
                    continue
                rest = out[len(field):]
                expect = strip_ours(msg) if nforged else msg
                ok(rest == expect, "%s (%s): message out unharmed%s" % (
                    name, how, ", %d forged removed" % nforged if nforged else ""),
                   "got %d bytes, want %d" % (len(rest), len(expect)))
            rc, js, err = vouch(["authres", "parse"], stdin=field)
            try:
                res = {r["method"]: r["result"] for r in json.loads(js.decode())[0]["results"]}
            except (ValueError, IndexError, KeyError):
                res = None
            ok(res is not None and "dmarc" in res and "dkim" in res,
               "%s: the field parses, with dkim and dmarc" % name, "%r %s" % (res, err.strip()))
            for m, r in want.items():
                ok(res is not None and res.get(m) == r, "%s: %s=%s" % (name, m, r), "got %r" % (res,))
            rc, js, _ = vouch(base + ["--json", path], timeout=120)
            try:
                doc = json.loads(js.decode())
            except ValueError:
                doc = None
            ok(rc == 0 and doc is not None and doc["forged_removed"] == json_forged,
               "%s: --json is JSON, forged_removed = %d" % (name, json_forged),
               "got %r" % (doc and doc.get("forged_removed")))
    vtest.done()


main()
