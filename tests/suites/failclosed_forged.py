#!/usr/bin/python3
"""Fail closed, class 5 (issue 9, doc/threat-model.md): remove every forged
field that might be read as ours.

RFC 8601 5: an MTA MUST remove (or render unreadable) Authentication-
Results fields that claim its authserv-id and arrive from outside.  A
field vouch cannot read far enough to rule its id out is removed too, and
counted in --json forged_removed.  Checked for each variant: the count,
that the message written holds no field but ours that python3-authres or
vouch's own parser reads as ours, and that fields of other ids stay.
"""
import failclosed as fc
import vtest
from vtest import ok

ID = fc.ID


def ar(body):
    return b"Authentication-Results: " + body + b"\r\n"


FORGED = [("a plain forged field", ar(b"mx.receiver.example; dmarc=pass header.from=victim.example"))]
for depth in (1, 2, 31, 32, 33, 34, 64, 100, 1000, 10000):
    FORGED.append(("%d nested comments before the id (RFC 5322 3.2.2)" % depth,
                   ar(b"(" * depth + b")" * depth + b" mx.receiver.example; dmarc=pass")))
FORGED += [
    ("nested comments with text at each level",
     ar(b"".join(b"(l%d " % i for i in range(40)) + b")" * 40 + b" mx.receiver.example; dmarc=pass")),
    ("an unterminated comment before the id", ar(b"(((  mx.receiver.example; dmarc=pass")),
    ("a quoted id", ar(b"\"mx.receiver.example\"; dmarc=pass")),
    ("a quoted id with a quoted-pair", ar(b"\"mx.receiver\\.example\"; dmarc=pass")),
    ("a quoted id with spaces inside the quotes", ar(b"\" mx.receiver.example \"; dmarc=pass")),
    ("an id with a final dot", ar(b"mx.receiver.example.; dmarc=pass")),
    ("an id in upper case", ar(b"MX.RECEIVER.EXAMPLE; dmarc=pass")),
    ("an id with a version", ar(b"mx.receiver.example 1; dmarc=pass")),
    ("an id and a comment without space", ar(b"mx.receiver.example(x); dmarc=pass")),
    ("an id followed by a slash (a dot-atom reader reads more)", ar(b"mx.receiver.example/x; dmarc=pass")),
    ("an id followed by 8-bit bytes", ar(b"mx.receiver.example\xc2\xa0; dmarc=pass")),
    ("the id folded onto the next line", b"Authentication-Results:\r\n\tmx.receiver.example;\r\n dmarc=pass\r\n"),
    ("WSP before the colon (RFC 5322 4.5.3)", b"Authentication-Results :mx.receiver.example; dkim=pass\r\n"),
    ("lower case name, tab before the colon", b"authentication-results\t: mx.receiver.example; dmarc=pass\r\n"),
    ("no id at all", ar(b"; dmarc=pass")),
    ("an empty field", b"Authentication-Results:\r\n"),
    ("results that do not parse after our id", ar(b"mx.receiver.example; ((( dmarc")),
    ("after a CR without LF inside another field (RFC 5322 2.2)",
     b"X-Note: a\rAuthentication-Results: mx.receiver.example; dmarc=pass\r\n"),
]

KEPT = [
    ("another id", ar(b"other.example; dmarc=pass header.from=victim.example")),
    ("an id that only starts with ours", ar(b"mx.receiver.example.evil; dmarc=pass")),
    ("our id as a comment of another", ar(b"(mx.receiver.example) other.example; spf=pass")),
]


def main():
    fc.require_authres()
    for name, field in FORGED:
        for where, msg in (("above From", fc.message(before=field)),
                           ("below From", fc.message(after=field)),
                           ("last, no body", fc.message(after=b"")[:-len(fc.BODY) - 2] + field)):
            run = fc.verify(msg, fc.ZONE)
            if not ok(run.good, "%s, %s: a verdict" % (name, where), run.err + run.errj):
                continue
            ok(run.doc.get("forged_removed") == 1, "%s, %s: removed, forged_removed 1 (RFC 8601 5)"
               % (name, where), "got %r" % run.doc.get("forged_removed"))
            ok(field not in run.out, "%s, %s: not in the message written" % (name, where))
            fc.check_exact("%s, %s" % (name, where), run)
    for name, field in KEPT:
        run = fc.verify(fc.message(after=field), fc.ZONE)
        ok(run.good and run.doc.get("forged_removed") == 0 and field in run.out,
           "a field of %s is kept (RFC 8601 5 removes only ours)" % name,
           "forged_removed %r" % (run.doc and run.doc.get("forged_removed")))
        fc.check_exact("a field of %s" % name, run)
    run = fc.verify(fc.message(after=FORGED[0][1] * 300), fc.ZONE)
    ok(run.good and run.doc.get("forged_removed") == 300, "300 forged fields: all removed",
       "got %r" % (run.doc and run.doc.get("forged_removed")))
    fc.check_exact("300 forged fields", run)
    vtest.done()


main()
