"""Helpers for the DKIM suites: zone files from other people's DNS data,
and `vouch dkim verify --json` as a function.  Not a test (leading '_')."""
import json
import os
import tempfile

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
        fd, self.path = tempfile.mkstemp(prefix="vouch-dkim-", suffix=".zone")
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
    rc, out, err = vtest.vouch(argv, stdin=message)
    try:
        doc = json.loads(out.decode("utf-8"))
    except ValueError:
        doc = None
    return rc, doc, err


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
