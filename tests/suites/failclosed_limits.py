#!/usr/bin/python3
"""Fail closed, class 3 (issue 9, doc/threat-model.md): a limit the sender
controls must not switch DMARC off.

RFC 5322 3.6 sets no limit on the number or size of header fields; vouch's
limits (include/vouch/limits.h) bound memory and time, so a message over
them is still evaluated on the From it has (RFC 9989 5.3.1), wherever the
From is: first, in the middle, after a megabyte, cut by the limit.  Each
padded spoof of victim.example (p=reject) must stay fail with reject, as
the well-formed spoof is, and our field must be ours alone.
"""
import failclosed as fc
import vtest

FROM = b"From: CEO <ceo@victim.example>\r\n"


def fields(n, size=1):
    return b"".join(b"X%d:%s\r\n" % (i, b"a" * size) for i in range(n))


def long_field(total):
    """One field of `total` bytes, folded into 900-byte lines."""
    line = b" " + b"b" * 897 + b"\r\n"
    return b"X-Long: a\r\n" + line * (total // len(line))


def cut_at_limit():
    """Padding that puts the From across VOUCH_MAX_HEADER_BYTES (1 MiB)
    and the few bytes the library holds past it."""
    pad = b""
    while len(pad) < (1 << 20) - 200:
        pad += b"X-Pad: " + b"p" * 60 + b"\r\n"
    need = (1 << 20) - 10 - len(pad)
    return pad + b"Y: " + b"q" * (need - 5) + b"\r\n"


PADDINGS = [
    ("1,000 tiny fields after the From (RFC 5322 3.6)", b"", fields(1000)),
    ("1,001 tiny fields after the From", b"", fields(1001)),
    ("5,000 tiny fields after the From", b"", fields(5000)),
    ("2,000 tiny fields before the From", fields(2000), b""),
    ("a header over 1 MiB after the From", b"", fields(20000, 50)),
    ("a header over 1 MiB before the From", fields(20000, 50), b""),
    ("a folded field of 2 MiB before the From", long_field(2 << 20), b""),
    ("one line of 100 KiB before the From (over the 64 KiB line limit)",
     b"X-Line: " + b"c" * (100 << 10) + b"\r\n", b""),
    ("the From cut by the 1 MiB limit", cut_at_limit(), b""),
    ("1 MiB of fields with LF line ends", fields(20000, 50).replace(b"\r\n", b"\n"), b""),
]


def main():
    fc.require_authres()
    for name, before, after in PADDINGS:
        msg = fc.message(FROM, before=before, after=after)
        if b"\r\n" not in before + after and b"\n" in before:
            msg = msg.replace(b"\r\n", b"\n")
        run = fc.verify(msg, fc.ZONE)
        fc.expect("%s: fail, reject (RFC 9989 5.3.1)" % name, run, results=("fail",),
                  disposition=("reject",))
        vtest.ok(run.good and run.dmarc.get("author_domain") == "victim.example",
                 "%s: the author domain is victim.example" % name,
                 "got %r" % run.dmarc.get("author_domain"))
    # a second From after the padding is still found and evaluated
    for name, before in (("after 1,500 fields", fields(1500)), ("after 1 MiB", fields(20000, 50))):
        msg = fc.message(b"From: Mallory <m@attacker.example>\r\n", after=before + FROM)
        fc.expect("the attacker's From, then the victim's %s: fail, reject (RFC 9989 11.5)" % name,
                  fc.verify(msg, fc.ZONE), results=("fail",), disposition=("reject",),
                  unsafe=("several-from",))
    # the attacker's own message, padded, stays what it was (the limits
    # make nothing worse for no reason either)
    fc.expect("the attacker's own message after 1 MiB of fields: pass as without them",
              fc.verify(fc.message(b"From: Mallory <m@attacker.example>\r\n", before=fields(20000, 50)),
                        fc.ZONE), results=("pass",), not_results=())
    # many addresses in one From, the victim last; deep comments
    many = b"From: " + b"".join(b"m%d@attacker.example, " % i for i in range(100)) + \
        b"ceo@victim.example\r\n"
    fc.expect("the victim's address after 100 others in one From: fail, reject", fc.verify(
        fc.message(many), fc.ZONE), results=("fail",), disposition=("reject",))
    for depth in (33, 1000, 50000):
        f = b"From: CEO " + b"(" * depth + b")" * depth + b" <ceo@victim.example>\r\n"
        fc.expect("comments nested %d deep in From: fail, reject (RFC 5322 3.2.2)" % depth,
                  fc.verify(fc.message(f), fc.ZONE), results=("fail",), disposition=("reject",))
    vtest.done()


main()
