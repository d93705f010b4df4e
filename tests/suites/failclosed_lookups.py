#!/usr/bin/python3
"""Fail closed, class 2 (issue 9, doc/threat-model.md): a lookup that
cannot change the outcome must not be able to spoil it.

RFC 9989 4.10.2: an Organizational Domain is the name itself or one of its
parents, so an authenticated identifier can align with the Author Domain
only when it is the author's Organizational Domain or below it.  The
attacker owns attacker.example and its DNS: whatever its names answer
(SERVFAIL, timeouts, CNAME loops), the spoof of victim.example (p=reject)
stays fail with reject.  RFC 9989 5.3.6: a DNS failure makes the result
temperror only when the query was needed; the positive controls make a
failure where the answer could have aligned (the victim's own names) and
expect temperror there.
"""
import os
import tempfile

import failclosed as fc
import vtest

# What the attacker can make its names answer (zone-file directives of
# ../shared/cases/README.md, and a CNAME loop, which resolvers answer with
# SERVFAIL).
FAILURES = [
    ("SERVFAIL", "$SERVFAIL {name}.\n"),
    ("a timeout", "$TIMEOUT {name}.\n"),
    ("a CNAME loop", "{name}. IN CNAME loop.{base}.\nloop.{base}. IN CNAME {name}.\n"),
]

# (identifier the attacker authenticates, its MAIL FROM / d=)
IDENTS = [
    ("x.attacker.example", "bounce@x.attacker.example"),
    ("a.b.c.d.e.f.g.h.x.attacker.example", "bounce@a.b.c.d.e.f.g.h.x.attacker.example"),
    ("attacker.example", "bounce@attacker.example"),
]


def spf_zone(ident, zone=fc.ZONE):
    """zone, with an SPF record for ident that lists the attacker's address."""
    rec = "%s. TXT \"v=spf1 ip4:203.0.113.66 -all\"\n" % ident
    return zone if rec in zone else zone + rec


def failing(names, directive, zone=fc.ZONE):
    """zone with each of names failing as `directive` says (their records
    removed: a CNAME stands alone at its name)."""
    for name in names:
        zone = "".join(l for l in zone.splitlines(True) if not l.startswith(name + ". "))
        zone += directive.format(name=name, base=name.split(".", 1)[1])
    return zone


def main():
    fc.require_authres()
    with tempfile.TemporaryDirectory() as tmp:
        # SPF passes for the attacker's identifier; the names its
        # Organizational Domain search would query fail
        for ident, mail_from in IDENTS:
            for how, directive in FAILURES:
                # the identifier's _dmarc name and every parent's the
                # attacker owns
                names = ["_dmarc." + ident]
                if ident != "attacker.example":
                    names.append("_dmarc.attacker.example")
                z = failing(names, directive, spf_zone(ident))
                run = fc.verify(fc.SPOOF, z, mail_from=mail_from)
                fc.expect("SPF pass for %s, its _dmarc names %s: fail, reject (RFC 9989 4.10.2)"
                          % (ident, how), run, results=("fail",), disposition=("reject",))
                vtest.ok(run.good and run.doc["spf"]["result"] == "pass",
                         "SPF pass for %s, its _dmarc names %s: SPF did pass" % (ident, how))
        # the attacker's SPF record itself fails: temperror of an
        # identifier that cannot align is no reason for temperror
        for how, directive in FAILURES:
            z = failing(["x.attacker.example"], directive)
            run = fc.verify(fc.SPOOF, z, mail_from="bounce@x.attacker.example")
            fc.expect("SPF itself %s for x.attacker.example: fail, reject (RFC 9989 4.10.2)" % how,
                      run, results=("fail",), disposition=("reject",))
        # DKIM: a valid signature by the attacker's subdomain, its _dmarc
        # names failing; and a signature whose key lookup fails
        key, rec = fc.keygen(tmp, "x.attacker.example")
        signed = fc.sign(fc.SPOOF, "x.attacker.example", key)
        for how, directive in FAILURES:
            z = failing(["_dmarc.x.attacker.example", "_dmarc.attacker.example"], directive, fc.ZONE + rec)
            run = fc.verify(signed, z)
            fc.expect("DKIM pass d=x.attacker.example, its _dmarc %s: fail, reject (RFC 9989 4.10.2)" % how,
                      run, results=("fail",), disposition=("reject",))
            vtest.ok(run.good and run.doc["dkim"]["signatures"][0]["result"] == "pass",
                     "DKIM pass d=x.attacker.example, its _dmarc %s: the signature did verify" % how)
            z = failing(["a1._domainkey.x.attacker.example"], directive)
            run = fc.verify(signed, z)
            fc.expect("DKIM key of x.attacker.example %s: fail, reject (RFC 9989 4.10.2)" % how,
                      run, results=("fail",), disposition=("reject",))
        # both at once, several signatures of the attacker, all failing
        key2, rec2 = fc.keygen(tmp, "y.attacker.example")
        both = fc.sign(signed, "y.attacker.example", key2)
        z = failing(["_dmarc.x.attacker.example", "_dmarc.attacker.example"], FAILURES[0][1],
                    fc.ZONE + rec + rec2) + "$TIMEOUT _dmarc.y.attacker.example.\n"
        fc.expect("SPF and two DKIM passes of the attacker, every _dmarc of theirs failing: fail, reject",
                  fc.verify(both, z, mail_from="bounce@x.attacker.example"),
                  results=("fail",), disposition=("reject",))
        # relaxed alignment still works where it can: the victim's own
        # subdomain aligns (a positive control of the shortcut)
        vkey, vrec = fc.keygen(tmp, "mail.victim.example")
        vsigned = fc.sign(fc.SPOOF, "mail.victim.example", vkey)
        fc.expect("DKIM pass d=mail.victim.example: relaxed alignment passes (RFC 9989 4.4)",
                  fc.verify(vsigned, fc.ZONE + vrec), results=("pass",), not_results=())
        # positive control: a failure where the answer could align (the
        # victim's own subdomain's _dmarc name) is a temperror
        fc.expect("DKIM pass d=mail.victim.example, _dmarc.mail.victim.example SERVFAIL: temperror "
                  "(RFC 9989 5.3.6)",
                  fc.verify(vsigned, fc.ZONE + vrec + "$SERVFAIL _dmarc.mail.victim.example.\n"),
                  results=("temperror",), not_results=())
    vtest.done()


main()
