#!/usr/bin/python3
"""Fail closed, class 1 (issue 9, doc/threat-model.md): our own
Authentication-Results field must say exactly what we decided, and a
header section that does not parse as RFC 5322 gets no pass.

RFC 5322 2.2.3: a line that starts with white space continues the field
above it; vouch writes its field above the message, so continuation lines
at the top of a header section would become part of our field (RFC 8601 5,
7.1: readers trust our field).  RFC 5322 2.2: a header section is fields
of "name: value" whose lines end in CRLF; RFC 9989 4.4: DMARC is
predicated on a valid message.

Every variant is checked with readers that are not vouch's: Python's email
package finds the fields, python3-authres parses ours (tests/lib/
failclosed.py check_exact): exactly one field of ours, the first, saying
exactly what --json says.  The victim's spoof must stay not-pass with
quarantine or reject; the attacker's own message, which passes when well
formed, gets no pass once its header is malformed.
"""
import failclosed as fc
import vtest

ORPHANS = [
    ("one space-led line", b" ; dkim=pass header.d=victim.example; dmarc=pass header.from=victim.example\r\n"),
    ("one tab-led line", b"\t; dmarc=pass header.from=victim.example policy.dmarc=none\r\n"),
    ("three continuation lines", b" ;\r\n\tdkim=pass header.d=victim.example;\r\n dmarc=pass\r\n"),
    ("a line of white space only", b" \t \r\n"),
    ("a continuation holding a whole forged field",
     b" Authentication-Results: mx.receiver.example; dmarc=pass header.from=victim.example\r\n"),
    ("a continuation with a comment closing ours", b" ) ; dmarc=pass (x\r\n"),
    ("LF line ends", b" ; dmarc=pass header.from=victim.example\n"),
    ("a continuation with 8-bit text", b" ; dmarc=pass \xc3\xa9t\xc3\xa9\r\n"),
]

# Header sections that are not RFC 5322 in other ways; `where` says where
# the bad line goes.
MALFORMED = [
    ("a line without a colon before From", b"This is not a field\r\n", "before"),
    ("a line without a colon after From", b"garbage\r\n", "after"),
    ("an 8-bit byte alone on a line (RFC 5322 3.6.8)", b"\xae\n", "after"),
    ("NUL bytes in a field name (RFC 5322 3.6.8)", b"T\x00\x00o: b@receiver.example\r\n", "after"),
    ("an empty field name", b": x\r\n", "after"),
    ("white space inside a field name", b"X Foo: y\r\n", "after"),
    ("a CR without LF (RFC 5322 2.2)", b"X-A: a\rX-B: b\r\n", "after"),
    ("a CR without LF hiding a field of ours",
     b"X-A: a\rAuthentication-Results: mx.receiver.example; dmarc=pass\r\n", "after"),
    ("a field name with 8-bit bytes", b"X-\xc3\xa9: y\r\n", "after"),
]


def main():
    fc.require_authres()
    for name, orphan in ORPHANS:
        msg = orphan + fc.SPOOF
        if b"\n" in orphan and not orphan.endswith(b"\r\n"):
            msg = orphan + fc.SPOOF.replace(b"\r\n", b"\n")
        run = fc.verify(msg, fc.ZONE)
        fc.expect("spoof after %s (RFC 5322 2.2.3, RFC 8601 5)" % name, run,
                  not_results=("pass",), at_least="quarantine", unsafe=("header-malformed",))
        vtest.ok(run.rc == 0 and run.doc is not None and run.doc.get("orphan_removed") == len(orphan)
                 and run.out.endswith(msg[len(orphan):]),
                 "spoof after %s: the orphan lines are dropped, the rest copied" % name,
                 "orphan_removed %r" % (run.doc and run.doc.get("orphan_removed")))
        fc.expect("own domain after %s: no pass (RFC 9989 4.4)" % name, fc.verify(orphan + fc.OWN, fc.ZONE),
                  not_results=("pass",), at_least="quarantine", unsafe=("header-malformed",))
    for name, line, where in MALFORMED:
        for who, base_from in (("spoof", b"From: CEO <ceo@victim.example>\r\n"),
                               ("own domain", b"From: Mallory <m@attacker.example>\r\n")):
            msg = fc.message(base_from, before=line if where == "before" else b"",
                             after=line if where == "after" else b"")
            fc.expect("%s with %s: no pass" % (who, name), fc.verify(msg, fc.ZONE),
                      not_results=("pass",), at_least="quarantine", unsafe=("header-malformed",))
    # a header of orphan lines only, no field at all
    fc.expect("a header of continuation lines only", fc.verify(b" ; dmarc=pass\r\n\r\nbody\r\n", fc.ZONE),
              not_results=("pass",), at_least="quarantine")
    # the well-formed messages, for comparison: the spoof fails with
    # reject, the attacker's own passes (p=none), nothing is dropped
    run = fc.verify(fc.SPOOF, fc.ZONE)
    fc.expect("well-formed spoof: fail, reject", run, results=("fail",), disposition=("reject",),
              unsafe=(None,))
    run = fc.verify(fc.OWN, fc.ZONE)
    fc.expect("well-formed own domain: pass", run, results=("pass",), not_results=(), unsafe=(None,))
    vtest.ok(run.good and run.doc.get("orphan_removed") == 0 and run.out.endswith(fc.OWN),
             "well-formed own domain: copied byte for byte")
    # the least disposition is the operator's choice (RFC 9989 4.4, 11.5)
    orphan = ORPHANS[0][1]
    for disp in ("none", "quarantine", "reject"):
        run = fc.verify(orphan + fc.OWN, fc.ZONE, extra=["--unsafe-disposition", disp])
        fc.expect("--unsafe-disposition %s: no pass, disposition %s" % (disp, disp), run,
                  not_results=("pass",), disposition=(disp,))
    vtest.done()


main()
