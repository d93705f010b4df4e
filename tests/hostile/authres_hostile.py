#!/usr/bin/python3
"""Hostile Authentication-Results input through `vouch authres`.

Every limit of include/vouch/limits.h that the A-R code enforces is crossed
here through the command: the result must be a clear refusal (a field left
out, or exit 65 for a header over the limits), valid JSON for the rest, no
crash, and no time or memory blow-up.
"""
import json
import time

import vtest
from vtest import ok

AR = b"Authentication-Results: "
TAIL = b"Subject: x\r\n\r\nbody\r\n"


def parse(msg, timeout=60):
    t0 = time.time()
    rc, out, err = vtest.vouch(["authres", "parse"], stdin=msg, timeout=timeout)
    try:
        got = json.loads(out.decode("utf-8"))
    except ValueError:
        got = None
    return rc, got, err, time.time() - t0


def ids(got):
    return [f["authserv_id"] for f in got or []]


def main():
    # comments nested far beyond VOUCH_AUTHRES_MAX_DEPTH (32)
    deep = AR + b"a.example " + b"(" * 100000 + b")" * 100000 + b"; none\r\n"
    rc, got, err, dt = parse(deep + AR + b"b.example; none\r\n" + TAIL)
    ok(rc == 0 and ids(got) == ["b.example"] and "left out" in err,
       "comments nested 100000 deep: that field left out, the next parsed",
       "exit %d, ids %r, stderr %r" % (rc, ids(got), err[:200]))

    # more results than VOUCH_AUTHRES_MAX_RESULTS (64)
    many = AR + b"a.example" + b"; spf=pass" * 5000 + b"\r\n"
    rc, got, err, dt = parse(many + TAIL)
    ok(rc == 0 and got == [] and "limit" in err,
       "5000 results in one field: left out with a limit message",
       "exit %d, got %r, stderr %r" % (rc, got, err[:200]))

    # a quote left open does not run into the next field
    rc, got, err, dt = parse(AR + b'a.example; spf=fail reason="open\r\n'
                             + AR + b"b.example; spf=pass\r\n" + TAIL)
    ok(rc == 0 and ids(got) == ["b.example"],
       "unterminated quoted-string stays inside its own field",
       "exit %d, ids %r" % (rc, ids(got)))

    # NUL, controls and bytes that are not UTF-8: refused or escaped, JSON stays valid
    rc, got, err, dt = parse(AR + b"a.example; spf=pass smtp.mailfrom=\x00x\r\n"
                             + AR + b"b\xff\xfe.example; spf=pass smtp.helo=caf\xc3\xa9\xff\r\n" + TAIL)
    ok(rc == 0 and got is not None and ids(got) == ["b\ufffd\ufffd.example"]
       and got[0]["results"][0]["props"]["smtp.helo"] == "caf\u00e9\ufffd",
       "NUL refused, bad UTF-8 shown as U+FFFD in valid JSON",
       "exit %d, got %r" % (rc, got))

    # VOUCH_MAX_HEADER_FIELDS (1000): at the limit parsed, beyond it refused
    fields = b"".join(AR + b"h%d.example; none\r\n" % i for i in range(1000))
    rc, got, err, dt = parse(fields + b"\r\nbody\r\n")
    ok(rc == 0 and len(got or []) == 1000, "1000 header fields all parsed",
       "exit %d, %d fields" % (rc, len(got or [])))
    rc, got, err, dt = parse(fields + TAIL)
    ok(rc == 65 and "limit" in err, "1001 header fields: exit 65 with a limit message",
       "exit %d, stderr %r" % (rc, err[:200]))

    # a header over VOUCH_MAX_HEADER_BYTES (1 MiB)
    rc, got, err, dt = parse(b"X-Big: " + b"a" * (1024 * 1024 + 10) + b"\r\n" + TAIL)
    ok(rc == 65, "header over 1 MiB: exit 65", "exit %d, stderr %r" % (rc, err[:200]))

    # a 64 MiB body is not read whole and not parsed
    big = AR + b"a.example; none\r\n\r\n" + (b"Authentication-Results: x; none\r\n" * 2000000)
    rc, got, err, dt = parse(big, timeout=120)
    ok(rc == 0 and ids(got) == ["a.example"] and dt < 20,
       "64 MiB body after the header: only header fields, %.1fs" % dt,
       "exit %d, %d fields, %.1fs" % (rc, len(got or []), dt))

    # forgery protection: every spelling of our id goes, others and the body stay
    msg = (AR + b"mx.example.org; spf=pass\r\n"
           b"AUTHENTICATION-RESULTS : (x) \"MX.EXAMPLE.ORG\" 1;\r\n dkim=pass\r\n"
           + AR + b"mx.example.org.evil.example; none\r\n"
           + AR + b"mx.example.org; this (does not parse\r\n"
           + b"Subject: x\r\n\r\n" + AR + b"mx.example.org; none\r\n")
    rc, out, err = vtest.vouch(["authres", "strip", "--authserv-id", "mx.example.org"], stdin=msg)
    want = (AR + b"mx.example.org.evil.example; none\r\nSubject: x\r\n\r\n"
            + AR + b"mx.example.org; none\r\n")
    ok(rc == 0 and out == want, "RFC 8601 §5 strip: forged fields removed, body untouched",
       "exit %d, got %r" % (rc, out))

    # the writer cannot be made to end the field early (header injection)
    rc, out, err = vtest.vouch(["authres", "build", "mx", "dmarc=fail",
                                "reason=x\r\nX-Injected: 1", "header.from=a\r\nX-Evil: 2",
                                "(c)\r\nX-Also: 3)"])
    lines = out.split(b"\r\n")
    ok(rc == 0 and all(l[:1] in (b" ", b"\t") for l in lines[1:-1]) and lines[-1] == b"",
       "CR LF in reason, value and comment stay inside the field",
       "exit %d, got %r" % (rc, out))
    vtest.done()


main()
