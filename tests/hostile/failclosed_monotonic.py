#!/usr/bin/python3
"""Monotonic property (issue 9, doc/threat-model.md): what a sender
controls may make vouch's verdict worse, never better.

A corpus of spoofs of victim.example (p=reject) that get dmarc=fail with
disposition reject is put through sender-controlled transformations --
fields added, the header padded past the limits, comments nested, From
re-encoded and folded differently, continuation lines and forged fields
added, hidden code points, LF line ends, a second From, and the
attacker's own DNS (its _dmarc names, SPF record and DKIM key) made to
answer SERVFAIL, time out or loop -- alone and two at a time.  Each
result must not be pass, its disposition must be no milder than the
spoof's, and our Authentication-Results field must be ours alone
(python3-authres).
"""
import itertools
import tempfile

import failclosed as fc
import vtest
from vtest import ok

FROM = b"From: CEO <ceo@victim.example>\r\n"


# ---- the spoofs: (name, message, session, zone additions) ----------------

def spoofs(tmp):
    key, rec = fc.keygen(tmp, "attacker.example")
    xkey, xrec = fc.keygen(tmp, "x.attacker.example")
    plain = fc.message(FROM)
    att = ("203.0.113.66", "mx.attacker.example", "x@attacker.example")
    return [
        ("plain spoof", plain, att, ""),
        ("spoof signed by attacker.example", fc.sign(plain, "attacker.example", key), att, rec),
        ("spoof signed by x.attacker.example, SPF pass for x.attacker.example",
         fc.sign(plain, "x.attacker.example", xkey),
         ("203.0.113.66", "mx.attacker.example", "bounce@x.attacker.example"), xrec),
        ("spoof with the victim's address as quoted display name",
         fc.message(b"From: \"ceo@victim.example\" <ceo@victim.example>\r\n"), att, ""),
        ("spoof with a null MAIL FROM", plain, ("203.0.113.66", "x.attacker.example", ""), ""),
        ("spoof in the addr-spec form with a comment",
         fc.message(b"From: ceo@victim.example (CEO)\r\n"), att, ""),
    ]


# ---- message transformations: (name, function of the message) -----------

def split(msg):
    h, _, b = msg.partition(b"\r\n\r\n")
    return h + b"\r\n", b


def insert_fields(text, where):
    def f(m):
        h, b = split(m)
        if where == "top":
            return text + h + b"\r\n" + b
        return h + text + b"\r\n" + b
    return f


def map_from(fn):
    """Applies fn to the From field (its value after "From:")."""
    def f(m):
        h, b = split(m)
        lines = h.split(b"\r\n")
        for i, l in enumerate(lines):
            if l.lower().startswith(b"from:"):
                lines[i] = b"From:" + fn(l[5:])
                break
        return b"\r\n".join(lines) + b"\r\n" + b
    return f


def fields(n, size=1):
    return b"".join(b"X%d:%s\r\n" % (i, b"a" * size) for i in range(n))


def nest(depth):
    return map_from(lambda v: b" (" * 1 + b"(" * (depth - 1) + b")" * depth + v)


def q_display(v):
    return v.replace(b" CEO ", b" =?utf-8?q?CEO?= ") if b" CEO " in v else v


def b_display(v):
    return v.replace(b" CEO ", b" =?utf-8?b?Q0VP?= ") if b" CEO " in v else v


def fold_from(v):
    return v.replace(b" <", b"\r\n <", 1).replace(b"@", b"@\r\n ", 1) if b"@" in v else v


def hidden(cp):
    return map_from(lambda v: v.replace(b"victim.example", b"victim.example" + chr(cp).encode(), 1))


TRANSFORMS = [
    ("10 fields added", insert_fields(fields(10), "bottom")),
    ("1,001 fields added after the From", insert_fields(fields(1001), "bottom")),
    ("3,000 fields added before the From", insert_fields(fields(3000), "top")),
    ("the header padded past 1 MiB before the From", insert_fields(fields(20000, 50), "top")),
    ("the header padded past 1 MiB after the From", insert_fields(fields(20000, 50), "bottom")),
    ("a 100 KiB line added", insert_fields(b"X-Line: " + b"c" * (100 << 10) + b"\r\n", "top")),
    ("comments nested 3 deep in From", nest(3)),
    ("comments nested 40 deep in From", nest(40)),
    ("comments nested 5000 deep in From", nest(5000)),
    ("the display name Q-encoded", map_from(q_display)),
    ("the display name B-encoded", map_from(b_display)),
    ("the From folded differently", map_from(fold_from)),
    ("the From domain in upper case", map_from(lambda v: v.replace(b"victim.example", b"VICTIM.Example"))),
    ("a continuation line first", lambda m: b" ; dkim=pass header.d=victim.example; dmarc=pass\r\n" + m),
    ("a forged field of ours", insert_fields(
        b"Authentication-Results: mx.receiver.example; dmarc=pass header.from=victim.example\r\n", "top")),
    ("a forged field under 40 comments", insert_fields(
        b"Authentication-Results: " + b"(" * 40 + b")" * 40 + b" mx.receiver.example; dmarc=pass\r\n",
        "top")),
    ("a forged field after a lone CR", insert_fields(
        b"X-A: a\rAuthentication-Results: mx.receiver.example; dmarc=pass\r\n", "bottom")),
    ("U+200E after the From domain", hidden(0x200E)),
    ("U+00A0 after the From domain", hidden(0x00A0)),
    ("U+200B after the From domain", hidden(0x200B)),
    ("LF line ends", lambda m: m.replace(b"\r\n", b"\n")),
    ("the attacker's From added before", insert_fields(b"From: m@attacker.example\r\n", "top")),
    ("the attacker's From added after", insert_fields(b"From: m@attacker.example\r\n", "bottom")),
    ("the attacker's address added to the From", map_from(lambda v: b" m@attacker.example," + v)),
    ("the From as an encoded-word look-alike",
     map_from(lambda v: b" =?utf-8?q?m@attacker.example,?=" + v)),
]

# The attacker's own DNS: every name under attacker.example it might be
# asked about.
ATTACKER_NAMES = ["_dmarc.attacker.example", "_dmarc.x.attacker.example", "attacker.example",
                  "x.attacker.example", "a1._domainkey.attacker.example",
                  "a1._domainkey.x.attacker.example"]
DNS = [
    ("SERVFAIL", "$SERVFAIL {n}.\n"),
    ("timeouts", "$TIMEOUT {n}.\n"),
    ("CNAME loops", "{n}. IN CNAME loop-{i}.attacker.example.\nloop-{i}.attacker.example. IN CNAME {n}.\n"),
]


def dns_transform(how, directive, names):
    def z(zone):
        for i, n in enumerate(names):
            zone = "".join(l for l in zone.splitlines(True) if not l.startswith(n + ". "))
            zone += directive.format(n=n, i=i)
        return zone
    return z


def main():
    fc.require_authres()
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        corpus = spoofs(tmp)
        for sname, msg, (ip, helo, mf), zadd in corpus:
            zone = fc.ZONE + zadd
            base = fc.verify(msg, zone, ip=ip, helo=helo, mail_from=mf)
            d = base.dmarc
            if not ok(base.good and d.get("result") == "fail" and d.get("disposition") == "reject",
                      "%s: the spoof gets fail, reject" % sname,
                      "got %r/%r" % (d.get("result"), d.get("disposition"))):
                continue
            floor = fc.RANK["reject"]
            variants = [(t, fn, None) for t, fn in TRANSFORMS]
            variants += [("the attacker's names %s" % how, None, dns_transform(how, dr, ATTACKER_NAMES))
                         for how, dr in DNS]
            # two at a time: each message change with each other one (for
            # the first two spoofs; the big paddings only alone) and with
            # each DNS failure
            small = [(t, fn) for t, fn in TRANSFORMS if "1 MiB" not in t and "3,000" not in t
                     and "5000" not in t and "100 KiB" not in t]
            if corpus.index((sname, msg, (ip, helo, mf), zadd)) < 2:
                for (t1, f1), (t2, f2) in itertools.combinations(small, 2):
                    variants.append(("%s + %s" % (t1, t2), (lambda a, b: lambda m: b(a(m)))(f1, f2), None))
            for (t1, f1) in small[:8]:
                for how, dr in DNS:
                    variants.append(("%s + the attacker's names %s" % (t1, how), f1,
                                     dns_transform(how, dr, ATTACKER_NAMES)))
            for vname, fn, zfn in variants:
                m2 = fn(msg) if fn else msg
                z2 = zfn(zone) if zfn else zone
                run = fc.verify(m2, z2, ip=ip, helo=helo, mail_from=mf)
                n += 1
                d = run.dmarc
                rank = fc.RANK.get(d.get("disposition"), -1)
                mine = fc.ours(run)
                good = (run.good and d.get("result") != "pass" and rank >= floor and
                        len(mine) == 1 and mine[0][0] == 0)
                ok(good, "%s, %s: no milder than reject, our field alone" % (sname, vname),
                   "got %r/%r (%s), %d fields of ours" % (d.get("result"), d.get("disposition"),
                                                        d.get("unsafe_reason") or d.get("reason"),
                                                        len(mine)))
    ok(n > 600, "the property was checked on more than 600 variants", "only %d" % n)
    vtest.done()


main()
