#!/usr/bin/python3
"""Fail closed, class 4 (issue 9, doc/threat-model.md): a From that cannot
be read safely is not a free pass.

RFC 9989 4.4 and 11.5 leave malformed, ambiguous and multi-valued From
fields to the receiver.  vouch reads a From by RFC 5322 3.4 and again as a
mail reader that decodes RFC 2047 encoded-words does, evaluates the
domains of both, reads a domain as a reader shows it (code points a reader
may hide removed), and gives a message whose author cannot be read safely
no pass and at least quarantine (--unsafe-disposition), with its reason.
Several Author Domains: the strictest failing policy (RFC 9989 11.5).
"""
import failclosed as fc
import vtest

# Code points a reader may draw as nothing or as a blank, after the
# victim's domain (UTF-8 in the header, RFC 6532).
HIDDEN = [
    (0x200E, "LEFT-TO-RIGHT MARK"), (0x200F, "RIGHT-TO-LEFT MARK"), (0x00A0, "NO-BREAK SPACE"),
    (0x200B, "ZERO WIDTH SPACE"), (0x200C, "ZERO WIDTH NON-JOINER"), (0x200D, "ZERO WIDTH JOINER"),
    (0x2060, "WORD JOINER"), (0xFEFF, "ZERO WIDTH NO-BREAK SPACE"), (0x00AD, "SOFT HYPHEN"),
    (0x180E, "MONGOLIAN VOWEL SEPARATOR"), (0x3164, "HANGUL FILLER"), (0x115F, "HANGUL CHOSEONG FILLER"),
    (0x034F, "COMBINING GRAPHEME JOINER"), (0x2028, "LINE SEPARATOR"), (0x202F, "NARROW NO-BREAK SPACE"),
    (0x3000, "IDEOGRAPHIC SPACE"), (0xFE0F, "VARIATION SELECTOR-16"), (0xE0041, "TAG LATIN CAPITAL A"),
    (0x2800, "BRAILLE PATTERN BLANK"), (0x061C, "ARABIC LETTER MARK"), (0x0085, "NEXT LINE"),
]


def u(cp):
    return chr(cp).encode("utf-8")


# Encoded-word tricks: (name, From field, what RFC 5322 reads)
ENCODED = [
    ("a Q encoded-word holding the victim's address and a comma (the reported shape)",
     b"From: =?utf-8?q?ceo@victim.example,?= <a@attacker.example>\r\n"),
    ("a Q encoded-word holding the victim's address, no comma",
     b"From: =?utf-8?q?ceo@victim.example?= <a@attacker.example>\r\n"),
    ("a Q encoded-word with =40 for the at-sign",
     b"From: =?utf-8?q?ceo=40victim.example?= <a@attacker.example>\r\n"),
    ("a B encoded-word that decodes to the victim's address",
     b"From: =?utf-8?b?Y2VvQHZpY3RpbS5leGFtcGxl?= <a@attacker.example>\r\n"),
    ("a B encoded-word showing the address with a fullwidth at-sign",
     b"From: =?utf-8?b?Y2Vv77ygdmljdGltLmV4YW1wbGU=?= <a@attacker.example>\r\n"),
    ("an encoded-word in a quoted display name",
     b"From: \"=?utf-8?q?ceo@victim.example?=\" <a@attacker.example>\r\n"),
    ("an encoded-word with a raw angle address inside",
     b"From: =?utf-8?Q?CEO_<ceo@victim.example>,?= <a@attacker.example>\r\n"),
    ("two encoded-words, the address split between them",
     b"From: =?utf-8?q?ceo=40victim?= =?utf-8?q?.example?= <a@attacker.example>\r\n"),
    ("an encoded-word in a comment", b"From: a@attacker.example (=?utf-8?q?ceo@victim.example?=)\r\n"),
    ("an upper-case ISO-8859-1 encoded-word", b"From: =?ISO-8859-1?Q?ceo@victim.example,?= <a@attacker.example>\r\n"),
]


def main():
    fc.require_authres()
    # hidden code points after, inside and before the victim's domain
    for cp, cpname in HIDDEN:
        for where, f in (("after", b"From: CEO <ceo@victim.example" + u(cp) + b">\r\n"),
                         ("inside", b"From: CEO <ceo@vic" + u(cp) + b"tim.example>\r\n"),
                         ("in the addr-spec form", b"From: ceo@victim.example" + u(cp) + b"\r\n")):
            run = fc.verify(fc.message(f), fc.ZONE)
            fc.expect("U+%04X %s %s the victim's domain: the domain as shown, fail, reject" % (cp, cpname, where),
                      run, results=("fail",), disposition=("reject",), unsafe=("from-hidden-characters",))
            vtest.ok(run.good and run.dmarc.get("author_domain") == "victim.example" and
                     ("U+%04X" % cp) in (run.dmarc.get("unsafe_reason") or ""),
                     "U+%04X %s the victim's domain: evaluated as victim.example, the code point named in the "
                     "reason" % (cp, where), "got %r" % ((run.dmarc.get("author_domain"),
                                                          run.dmarc.get("unsafe_reason")),))
        # the attacker's own domain with one: no pass
        run = fc.verify(fc.message(b"From: M <m@attacker.example" + u(cp) + b">\r\n"), fc.ZONE)
        fc.expect("U+%04X after the attacker's own domain: no pass, quarantine" % cp, run,
                  not_results=("pass",), at_least="quarantine", unsafe=("from-hidden-characters",))
    # bidi controls anywhere in the field reorder what is shown
    for cp in (0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069):
        f = b"From: \"" + u(cp) + b"elpmaxe.mitciv@oec" + u(0x202C) + b"\" <m@attacker.example>\r\n"
        fc.expect("U+%04X in the display name (UAX #9): no pass, quarantine" % cp,
                  fc.verify(fc.message(f), fc.ZONE), not_results=("pass",), at_least="quarantine",
                  unsafe=("from-hidden-characters",))
    # encoded-word tricks: never better than the spoof's reject where RFC
    # 5322 finds the victim, never a pass otherwise
    for name, f in ENCODED:
        run = fc.verify(fc.message(f), fc.ZONE)
        fc.expect("%s: no pass, quarantine or stricter (RFC 2047 5, RFC 9989 11.5)" % name, run,
                  not_results=("pass",), at_least="quarantine",
                  unsafe=("from-ambiguous", "from-malformed"))
    run = fc.verify(fc.message(ENCODED[0][1]), fc.ZONE)
    fc.expect("the reported encoded-word look-alike: RFC 5322 reads the victim: fail, reject", run,
              results=("fail",), disposition=("reject",))
    # well-formed encoded-words stay what they were
    for f in (b"From: =?utf-8?q?Mallory_M=C3=BCller?= <m@attacker.example>\r\n",
              b"From: =?UTF-8?B?TWFsbG9yeQ==?= <m@attacker.example>\r\n"):
        fc.expect("a well-formed encoded display name: pass as plain", fc.verify(fc.message(f), fc.ZONE),
                  results=("pass",), not_results=(), unsafe=(None,))
    for f in (b"From: =?utf-8?q?CEO?= <ceo@victim.example>\r\n",
              b"From: =?utf-8?b?Q0VP?= <ceo@victim.example>\r\n"):
        fc.expect("the spoof with an encoded display name: fail, reject", fc.verify(fc.message(f), fc.ZONE),
                  results=("fail",), disposition=("reject",))
    # several From fields, several Author Domains (RFC 9989 11.5)
    two = [
        ("the attacker's From, then the victim's", b"From: m@attacker.example\r\n",
         b"From: ceo@victim.example\r\n"),
        ("the victim's From, then the attacker's", b"From: ceo@victim.example\r\n",
         b"From: m@attacker.example\r\n"),
    ]
    for name, f1, f2 in two:
        fc.expect("%s: the strictest failing policy, reject" % name,
                  fc.verify(fc.message(f1, after=f2), fc.ZONE), results=("fail",), disposition=("reject",),
                  unsafe=("several-from",))
    fc.expect("two From fields of the attacker's own domain: no pass",
              fc.verify(fc.message(b"From: a@attacker.example\r\n", after=b"From: b@attacker.example\r\n"),
                        fc.ZONE), not_results=("pass",), at_least="quarantine", unsafe=("several-from",))
    fc.expect("a list of the attacker's and the victim's address: the victim's reject",
              fc.verify(fc.message(b"From: m@attacker.example, ceo@victim.example\r\n"), fc.ZONE),
              results=("fail",), disposition=("reject",))
    fc.expect("a group with the victim as member: reject",
              fc.verify(fc.message(b"From: board: ceo@victim.example;\r\n"), fc.ZONE),
              results=("fail",), disposition=("reject",))
    # no usable author: at least quarantine, with the reason
    for name, f, why in (
            ("no From field", None, "no-from"),
            ("an empty group", b"From: undisclosed-recipients:;\r\n", "no-author-domain"),
            ("a display name only", b"From: \"CEO victim.example\"\r\n", "from-malformed"),
            ("an address literal", b"From: ceo@[192.0.2.1]\r\n", "no-author-domain"),
            ("a domain that is not UTF-8", b"From: ceo@victim.example\xff\r\n", "from-malformed"),
            ("an unterminated comment", b"From: ceo@victim.example (x\r\n", "from-malformed")):
        msg = fc.REST + b"\r\n" + fc.BODY if f is None else fc.message(f)
        fc.expect("%s: no pass, quarantine" % name, fc.verify(msg, fc.ZONE), not_results=("pass",),
                  at_least="quarantine", unsafe=(why,))
    # the reason is recorded: --json, and our field's dmarc comment
    run = fc.verify(fc.message(b"From: CEO <ceo@victim.example\xe2\x80\x8e>\r\n"), fc.ZONE)
    vtest.ok(run.good and "from-hidden-characters" in run.out.decode("utf-8", "replace").split("\r\nFrom:")[0],
             "the problem is named in our field's dmarc comment")
    # --unsafe-disposition chooses the least disposition
    own = fc.message(b"From: M <m@attacker.example\xe2\x80\x8b>\r\n")
    for disp in ("none", "quarantine", "reject"):
        fc.expect("--unsafe-disposition %s on a hidden code point: disposition %s" % (disp, disp),
                  fc.verify(own, fc.ZONE, extra=["--unsafe-disposition", disp]),
                  not_results=("pass",), disposition=(disp,))
    rc, _, err = vtest.vouch(["verify", "--ip", "192.0.2.1", "--helo", "h", "--mail-from", "",
                              "--unsafe-disposition", "maybe"], stdin=b"")
    vtest.ok(rc == 64 and "unsafe-disposition" in err, "--unsafe-disposition maybe: exit 64", err)
    vtest.done()


main()
