#!/usr/bin/python3
"""Redaction in failure reports (RFC 9991 §7, RFC 6590), and what the
third part holds.

  hash (default)  every local-part, in the header copy, the Subject,
                  Original-Mail-From, Authentication-Results and the body,
                  becomes 16 characters of a keyed HMAC: the same
                  local-part gives the same text under one key (RFC 6590
                  §4: consistent), another key gives another; domains and
                  Message-ID stay; links are defanged (RFC 9991 §7.3)
  token           every local-part becomes one fixed text
  none            the original as received, and then (only then) the
                  DKIM-Canonicalized-Header and -Body of RFC 6591 §3.2.4,
                  checked against the canonical forms computed here
  --failure-body  message/rfc822 with the body; without it the header
                  section only (text/rfc822-headers)
Forged Authentication-Results fields claiming our authserv-id are not
copied (RFC 8601 §5); ours is, on top.
"""
import base64
import email.utils
import os
import re

from _failure_util import ID, World, check_arf, run_main
from vtest import ok

LOCALS = [b"alice", b"bob.smith", b"bounce", b"carol"]
TOKEN = r"[A-Za-z0-9_-]{16}"
FORGED = "Authentication-Results: %s; dkim=pass header.d=fo0.example header.s=forged\r\n" % ID


def parts3(r):
    """Part 3 as a Message (headers, and body for message/rfc822)."""
    p = r.orig.get_payload() if r.orig is not None else None
    if isinstance(p, list):
        return p[0]
    return email.message_from_string(p or "")


def local_of(addr_field):
    return email.utils.parseaddr(addr_field)[1].rsplit("@", 1)


def leaks(raw, words):
    return [w.decode() for w in words if re.search(rb"(?<![A-Za-z0-9_-])" + re.escape(w) + rb"@", raw)]


def hashed(w):
    msg = w.message("fo0.example", extra=FORGED, subject="see http://bad.example/x now", sign=False)
    rc, out, err, d, reps = w.receive(msg, "bounce@fo0.example", opts=["--failure-body"])
    r = next((x for x in reps if x.msg.get("To") == "ruf@fo0.example"), None)
    ok(r is not None, "hash: a report was made", err)
    if r is None:
        return
    check_arf("hash", r, "ruf@fo0.example", "dmarc", "fo0.example", "dkim, spf",
              "see hxxp://bad.example/x now", third="message/rfc822")
    ok(leaks(r.raw, LOCALS) == [], "hash: no original local-part is left anywhere in the report (RFC 6590)",
       "left: %s" % leaks(r.raw, LOCALS))
    o = parts3(r)
    lf, df = local_of(o.get("From"))
    lt, dt = local_of(o.get("To"))
    ok(re.fullmatch(TOKEN, lf) is not None and df == "fo0.example" and dt == "receiver.example",
       "hash: From's local-part is 16 base64url characters, the domain kept", "got %s@%s" % (lf, df))
    mid = re.search(rb"Message-ID: (<[^>]*>)", msg).group(1).decode()
    ok(o.get("Message-ID") == mid,
       "hash: Message-ID is kept as it was", "got %r" % o.get("Message-ID"))
    rcvd = re.sub(r"\s+", " ", o.get("Received") or "")
    ok(("for <%s@receiver.example>" % lt) in rcvd,
       "hash: the same local-part (the recipient) gives the same text in To and Received", "got %r" % rcvd)
    omf = r.field("Original-Mail-From")
    ok(re.fullmatch(r"<%s@fo0\.example>" % TOKEN, omf or "") is not None,
       "hash: Original-Mail-From redacted, domain kept", "got %r" % omf)
    ars = [v for v in o.get_all("Authentication-Results", []) if v.strip().startswith(ID)]
    ok(len(ars) == 1 and "header.s=forged" not in "".join(ars),
       "hash: the forged field claiming %s is gone, ours is on top (RFC 8601 §5)" % ID, "got %r" % ars)
    ok(ars and re.search(r"smtp\.mailfrom=%s@fo0\.example" % TOKEN, ars[0]) is not None,
       "hash: smtp.mailfrom= keeps its property name, the local-part redacted", "got %r" % ars[:1])
    body = o.get_payload()
    ok(isinstance(body, str) and "hxxps://intranet.example/q3" in body and "https://" not in body and
       re.search(r"Write to %s@partner\.example" % TOKEN, body) is not None,
       "hash: the body is included, links defanged and local-parts redacted (RFC 9991 §7.3)",
       "got %r" % body)
    ok(o.get("Subject") == "see hxxp://bad.example/x now", "hash: the copied Subject is defanged too")
    # consistency: the same key (same directory) gives the same text;
    # another directory has another key
    rc, out, err, d2, reps2 = w.receive(msg, "bounce@fo0.example", outdir=d)
    again = [x for x in reps2 if x.path != r.path and x.msg.get("To") == "ruf@fo0.example"]
    ok(again and local_of(parts3(again[0]).get("From"))[0] == lf,
       "hash: under one key the same local-part gives the same text (RFC 6590 §4)")
    rc, out, err, d3, reps3 = w.receive(msg, "bounce@fo0.example")
    other = [x for x in reps3 if x.msg.get("To") == "ruf@fo0.example"]
    ok(other and local_of(parts3(other[0]).get("From"))[0] != lf,
       "hash: another key gives another text")
    keyfile = os.path.join(d, ".vouch-redact-key")
    rc, out, err, d4, reps4 = w.receive(msg, "bounce@fo0.example", opts=["--failure-redact-key", keyfile])
    other = [x for x in reps4 if x.msg.get("To") == "ruf@fo0.example"]
    ok(other and local_of(parts3(other[0]).get("From"))[0] == lf,
       "hash: --failure-redact-key FILE gives the same text in another directory")


def token(w):
    msg = w.message("fo0.example", sign=False)
    rc, out, err, d, reps = w.receive(msg, "bounce@fo0.example", opts=["--failure-redact", "token"])
    r = next((x for x in reps if x.msg.get("To") == "ruf@fo0.example"), None)
    ok(r is not None, "token: a report was made", err)
    if r is None:
        return
    check_arf("token", r, "ruf@fo0.example", "dmarc", "fo0.example", "dkim, spf", "Quarterly numbers")
    o = parts3(r)
    ok(local_of(o.get("From")) == ["redacted", "fo0.example"] and
       r.field("Original-Mail-From") == "<redacted@fo0.example>",
       "token: every local-part becomes 'redacted'", "got %r %r" % (o.get("From"), r.field("Original-Mail-From")))
    ok(leaks(r.raw, LOCALS) == [], "token: no original local-part left", "left %s" % leaks(r.raw, LOCALS))
    ok(r.orig.get_content_type() == "text/rfc822-headers" and b"numbers are attached" not in r.raw,
       "token: without --failure-body the header section only, no body (text/rfc822-headers)")
    rc, out, err, d, reps = w.receive(msg, "bounce@fo0.example",
                                      opts=["--failure-redact", "token", "--failure-redact-token", "x.y"])
    ok(reps and local_of(parts3(reps[0]).get("From"))[0] == "x.y",
       "token: --failure-redact-token chooses the text")
    rc, out, err, d, reps = w.receive(msg, "bounce@fo0.example",
                                      opts=["--failure-redact", "token", "--failure-redact-token", "a b"])
    ok(rc == 64 and reps == [], "token: a text that is not a dot-atom is refused (64)", "exit %d" % rc)


def relaxed_body(body):
    """RFC 6376 §3.4.4, computed here independently."""
    lines = body.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    lines = [re.sub(rb"[ \t]+", b" ", line).rstrip(b" \t") for line in lines]
    while lines and lines[-1] == b"":
        lines.pop()
    return b"".join(line + b"\r\n" for line in lines)


def none(w):
    msg = w.message("fod.example", body="Hello  Bob,\t \r\n\r\nthe numbers are attached.\r\n\r\n\r\n")
    msg = msg.replace(b"the numbers are attached", b"the numbers are ATTACHED")
    rc, out, err, d, reps = w.receive(msg, "bounce@fod.example", ip="192.0.2.10",
                                      opts=["--failure-redact", "none", "--failure-body"])
    ok(len(reps) == 1, "none: one DKIM report", "%d reports %s" % (len(reps), err))
    if not reps:
        return
    r = reps[0]
    check_arf("none", r, "ruf@fod.example", "bodyhash", "fod.example", "dkim", "Quarterly numbers",
              third="message/rfc822")
    o = parts3(r)
    ok(email.utils.parseaddr(o.get("From"))[1] == "alice@fod.example" and b"bounce@fod.example" in r.raw,
       "none: addresses as received")
    hdr = base64.b64decode(re.sub(r"\s", "", r.field("DKIM-Canonicalized-Header") or ""))
    ok(hdr.startswith(b"from:") and b"\r\ndkim-signature:" in hdr and
       re.search(rb"; ?b=(;|$)", hdr.split(b"dkim-signature:")[-1]) is not None and not hdr.endswith(b"\r\n"),
       "none: DKIM-Canonicalized-Header is the relaxed header data the verifier hashed (RFC 6376 §3.7)",
       "got %r" % hdr[:200])
    raw_body = msg.split(b"\r\n\r\n", 1)[1]
    got = base64.b64decode(re.sub(r"\s", "", r.field("DKIM-Canonicalized-Body") or ""))
    ok(got == relaxed_body(raw_body), "none: DKIM-Canonicalized-Body is the relaxed canonical body",
       "got %r want %r" % (got, relaxed_body(raw_body)))
    ok(b"hxxp" not in r.raw.split(b"message/rfc822", 1)[-1], "none: nothing defanged in the copy")


def main(w):
    hashed(w)
    token(w)
    none(w)


if __name__ == "__main__":
    run_main(main)
