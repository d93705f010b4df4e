"""Helpers for the DKIM suites: zone files from other people's DNS data,
and `vouch dkim verify --json` as a function.  Not a test (leading '_')."""
import os

import scratch
import vtest


def txt_rdata(value):
    """One TXT record's rdata in master-file syntax: quoted strings of at
    most 255 bytes, '"' and '\\' escaped, other unprintable bytes as \\DDD."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    parts = []
    for i in range(0, max(len(value), 1), 255):
        chunk = value[i:i + 255]
        s = ""
        for b in chunk:
            if b in (0x22, 0x5C):
                s += "\\" + chr(b)
            elif 0x20 <= b < 0x7F:
                s += chr(b)
            else:
                s += "\\%03d" % b
        parts.append('"%s"' % s)
    return " ".join(parts)


def zone_text(records):
    """records: list of (name, kind, value); kind is 'TXT', 'TIMEOUT' or
    'SERVFAIL'.  Names are absolute (a final dot is added)."""
    lines = ["$ORIGIN .", "$TTL 300"]
    for name, kind, value in records:
        name = name.rstrip(".") + "."
        if kind == "TXT":
            lines.append("%s 300 IN TXT %s" % (name, txt_rdata(value)))
        elif kind == "TIMEOUT":
            lines.append("$TIMEOUT %s" % name)
        elif kind == "SERVFAIL":
            lines.append("$SERVFAIL %s" % name)
        else:
            raise ValueError(kind)
    return "\n".join(lines) + "\n"


class Zone:
    """A temporary zone file, removed on exit of the with-block."""

    def __init__(self, records):
        self.text = zone_text(records)

    def __enter__(self):
        fd, self.path = scratch.mkstemp("vouch-dkim-", ".zone")
        with os.fdopen(fd, "w") as f:
            f.write(self.text)
        return self.path

    def __exit__(self, *a):
        os.unlink(self.path)


def verify(zone_path, message_path=None, message=None, args=()):
    """Runs vouch dkim verify --json; returns (exit status, parsed JSON or
    None, stderr)."""
    argv = ["dkim", "verify", "--json", "--zone", zone_path] + list(args)
    if message_path is not None:
        argv.append(message_path)
    return vtest.vouch_json(argv, stdin=message)


def describe(doc):
    """A short text of a result for failure messages."""
    if doc is None:
        return "no JSON"
    sigs = ", ".join("%s(%s)" % (s["result"], s["reason"]) for s in doc["signatures"])
    return "overall %s%s [%s]" % (doc["result"], " (%s)" % doc["reason"] if doc["reason"] else "", sigs)


def canon_body(body, relaxed):
    """RFC 6376 3.4.3 (simple) and 3.4.4 (relaxed), line by line, written
    plainly for the tests (bare LF counts as a line end, as in vouch)."""
    import re
    lines = body.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = []
    for ln in lines:
        if ln.endswith(b"\r"):
            ln = ln[:-1]
        if relaxed:
            ln = re.sub(rb"[ \t]+", b" ", ln).rstrip(b" ")
        out.append(ln)
    while out and out[-1] == b"":
        out.pop()
    if not out:
        return b"" if relaxed else b"\r\n"
    return b"".join(ln + b"\r\n" for ln in out)


def rsa_key(tmpdir, bits=2048, name="key"):
    """A fresh RSA key made with openssl: (PEM path, base64 of the DER
    SubjectPublicKeyInfo for p=)."""
    import base64
    import subprocess
    path = os.path.join(tmpdir, "%s%d.pem" % (name, bits))
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:%d" % bits,
                    "-out", path], check=True, capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return path, base64.b64encode(der).decode()


def sign_simple(key, selector, header, body, domain="example.com", hashname="sha256", h="from"):
    """A message signed rsa-<hash>, c=simple/simple, with openssl: the
    DKIM-Signature field on top of `header` (CRLF fields), then the body,
    which must already be in canonical simple form (CRLF, one final CRLF)."""
    import base64
    import hashlib
    import subprocess
    bh = base64.b64encode(hashlib.new(hashname, body).digest())
    field = (b"DKIM-Signature: v=1; a=rsa-%s; c=simple/simple; d=%s; s=%s;\r\n"
             b"\th=%s; bh=%s;\r\n\tb=" % (hashname.encode(), domain.encode(), selector.encode(),
                                         h.encode(), bh))
    names = [n.strip().lower() for n in h.split(":")]
    fields = [f for f in header.split(b"\r\n") if f]
    signed = b"".join(f + b"\r\n" for f in fields if f.split(b":")[0].strip().lower().decode() in names)
    sig = subprocess.run(["openssl", "dgst", "-" + hashname, "-sign", key], input=signed + field,
                         check=True, capture_output=True).stdout
    return field + base64.b64encode(sig) + b"\r\n" + header + b"\r\n" + body
