#!/usr/bin/python3
"""Fail closed, class 6 (issue 9, doc/threat-model.md): a trusted ARC
sealer's word counts only for this message and this From domain.

RFC 8617 7.2.1 lets a receiver accept, as local policy, the DMARC
assessment an ARC chain carries.  vouch verify --trusted-sealer overrides
a DMARC fail (disposition none, override local_policy) only when a set
sealed by a trusted domain recorded a pass aligned with the From domain
(dmarc=pass for its header.from, or an spf or dkim pass whose domain
aligns, RFC 9989 4.4), its AMS still verifies (instance >= oldest-pass,
RFC 8617 5.2 step 5: the message is as it sealed it), and every later set
was sealed by a trusted domain.

Part 1: chains of 2 to 5 hops, each hop run as an ARC intermediary does
(vouch verify on arrival under its own authserv-id, then vouch arc seal
--copy-auth-results), one hop a list that changes the message, the
trusted set in every position.  What the override should be is derived
from the plan: hop k's AAR records an aligned pass when the author's
DKIM signature was intact on arrival (no earlier hop changed the message)
or k is the first hop (SPF of the author's MTA aligns); its AMS verifies
when no later hop changed the message; so with the list at hop m, a set
can vouch only at k = m, and the override is due exactly when hops m..n
are all trusted.
Part 2: one trusted hop seals a spoof with an AAR of chosen words
(--auth-results), the reported attack among them: spf=pass for the
attacker's domain next to dmarc=fail for the victim's.
"""
import json
import os
import re
import tempfile

import failclosed as fc
import vtest
from vtest import ok

SIGNED_AT = 1796000000
NOW = SIGNED_AT + 600
ORIGIN = ("192.0.2.1", "mx.victim.example", "ceo@victim.example")


def hop(k):
    """Hop k: (domain, selector, address, HELO, MAIL FROM)."""
    return ("h%d.example" % k, "s%d" % k, "198.51.100.%d" % (10 + k), "out.h%d.example" % k,
            "bounce@h%d.example" % k)


class World:
    def __init__(self, tmp, nhops=5):
        self.tmp = tmp
        self.keys = {}
        zone = [fc.ZONE, '_dmarc.strict.example. TXT "v=DMARC1; p=reject; adkim=s; aspf=s"\n',
                'strict.example. A 192.0.2.1\n']
        for dom, sel in [("victim.example", "s1")] + [hop(k)[:2] for k in range(1, nhops + 1)]:
            d = os.path.join(tmp, dom)
            os.makedirs(d, exist_ok=True)
            self.run(["keygen", "-t", "rsa", "-b", "1024", "-d", dom, "-s", sel, "-o", d])
            self.keys[dom] = os.path.join(d, sel + ".private")
            zone.append(open(os.path.join(d, sel + ".txt")).read())
        for k in range(1, nhops + 1):
            zone.append('%s. TXT "v=spf1 ip4:%s -all"\n' % (hop(k)[0], hop(k)[2]))
        self.zone = os.path.join(tmp, "zone.db")
        with open(self.zone, "w") as f:
            f.write("".join(zone))

    @staticmethod
    def run(args, stdin=None):
        rc, out, err = vtest.vouch(args, stdin=stdin)
        if rc != 0:
            raise RuntimeError("vouch %s: exit %d: %s" % (args[0], rc, err.strip()[-300:]))
        return out

    def verify_args(self, prev, authserv_id=fc.ID):
        return ["verify", "--zone", self.zone, "--authserv-id", authserv_id, "--now", str(NOW),
                "--ip", prev[0], "--helo", prev[1], "--mail-from", prev[2]]

    def seal(self, msg, k, prev, modify=False, auth_results=None):
        dom, sel = hop(k)[:2]
        cv = None
        if auth_results is None:
            msg = self.run(self.verify_args(prev, dom), stdin=msg)
            # the chain as it arrived, before this hop changes it
            m = re.search(rb"\barc=(none|pass|fail)\b", msg.split(b"\r\n\r\n", 1)[0])
            cv = m.group(1).decode() if m else None
        if modify:
            msg = msg.replace(b"\r\nSubject: ", b"\r\nSubject: [list] ", 1) + b"-- \r\nlist footer\r\n"
        args = ["arc", "seal", "-d", dom, "-s", sel, "-k", self.keys[dom], "--authserv-id", dom,
                "--time", str(SIGNED_AT + 60 * k), "--zone", self.zone]
        args += ["--auth-results", auth_results] if auth_results is not None else ["--copy-auth-results"]
        if cv is not None:
            args += ["--cv", cv]
        return self.run(args, stdin=msg)

    def final(self, msg, last, trusted=(), extra=()):
        args = self.verify_args(last) + list(extra)
        for t in trusted:
            args += ["--trusted-sealer", t]
        path = os.path.join(self.tmp, "final.eml")
        with open(path, "wb") as f:
            f.write(msg)
        rc, out, err = vtest.vouch(args + [path])
        rcj, js, errj = vtest.vouch(args + ["--json", path])
        try:
            doc = json.loads(js.decode())
        except ValueError:
            doc = None
        return fc.Run(rc, out, err, rcj, doc, errj)


def original(w):
    msg = fc.message(b"From: CEO <ceo@victim.example>\r\n")
    return w.run(["dkim", "sign", "--time", str(SIGNED_AT), "-d", "victim.example", "-s", "s1",
                  "-k", w.keys["victim.example"]], stdin=msg)


def chains(w):
    for n in range(2, 6):
        for m in range(1, n + 1):
            msg, prev = original(w), ORIGIN
            try:
                for k in range(1, n + 1):
                    msg = w.seal(msg, k, prev, modify=(k == m))
                    prev = hop(k)[2:]
            except RuntimeError as e:
                ok(False, "%d hops, list at hop %d: chain built" % (n, m), str(e))
                continue
            configs = [("only hop %d trusted" % t, [t]) for t in range(1, n + 1)]
            configs += [("hops %d..%d trusted" % (t, n), list(range(t, n + 1))) for t in range(1, n)]
            configs.append(("no hop trusted", []))
            for label, trusted in configs:
                want = m in trusted and all(j in trusted for j in range(m, n + 1))
                name = "%d hops, list at hop %d, %s" % (n, m, label)
                run = w.final(msg, prev, [hop(t)[0] for t in trusted])
                if not ok(run.good, "%s: a verdict" % name, run.err + run.errj):
                    continue
                d, a = run.dmarc, run.doc.get("arc") or {}
                ok(a.get("result") == "pass" and d.get("result") == "fail",
                   "%s: the chain passes and DMARC fails (the list changed the message)" % name,
                   "got arc %r dmarc %r" % (a.get("result"), d.get("result")))
                ok(bool(a.get("dmarc_override")) == want and
                   d.get("disposition") == ("none" if want else "reject"),
                   "%s: override %s (RFC 8617 7.2.1, 5.2 step 5)" % (name, "taken" if want else "not taken"),
                   "got override %r, disposition %r: %s" % (a.get("dmarc_override"), d.get("disposition"),
                                                           a.get("override_reason")))
                if trusted:
                    ok(bool(a.get("override_reason")), "%s: --json says why" % name)
                if want:
                    ts = a.get("trusted_sealer") or {}
                    ok(ts.get("instance") == m, "%s: the list's set i=%d vouched" % (name, m),
                       "got %r" % ts)
                fc.check_exact(name, run)


# (AAR words a trusted hop recorded for a spoof of From_domain, the
# override RFC 8617 7.2.1 and RFC 9989 4.4 allow)
AARS = [
    ("spf=pass for the attacker next to dmarc=fail for the victim (the reported attack)",
     "spf=pass smtp.mailfrom=x@attacker.example; dmarc=fail header.from=victim.example",
     "victim.example", False),
    ("dkim=pass for the attacker's domain", "dkim=pass header.d=attacker.example", "victim.example", False),
    ("dmarc=pass for another From domain", "dmarc=pass header.from=attacker.example", "victim.example", False),
    ("dmarc=pass without header.from", "dmarc=pass", "victim.example", False),
    ("spf=pass without an identity", "spf=pass", "victim.example", False),
    ("dkim=pass for a domain that ends like the victim's", "dkim=pass header.d=evilvictim.example",
     "victim.example", False),
    ("dmarc=pass for this From domain", "dmarc=pass header.from=victim.example", "victim.example", True),
    ("dmarc=pass for this From domain, other case and a final dot", "dmarc=pass header.from=VICTIM.Example.",
     "victim.example", True),
    ("dkim=pass for the From domain", "dkim=pass header.d=victim.example", "victim.example", True),
    ("dkim=pass for its subdomain, relaxed (RFC 9989 4.4)", "dkim=pass header.d=mail.victim.example",
     "victim.example", True),
    ("spf=pass for a MAIL FROM in the From domain", "spf=pass smtp.mailfrom=bounce@victim.example",
     "victim.example", True),
    ("dkim=pass for a subdomain under adkim=s", "dkim=pass header.d=mail.strict.example", "strict.example",
     False),
    ("spf=pass for a subdomain under aspf=s", "spf=pass smtp.mailfrom=b@mail.strict.example",
     "strict.example", False),
    ("dmarc=pass for this From domain under adkim=s", "dmarc=pass header.from=strict.example",
     "strict.example", True),
]


def aars(w):
    attacker = ("203.0.113.66", "mx.attacker.example", "x@attacker.example")
    for name, words, dom, want in AARS:
        msg = fc.message(b"From: CEO <ceo@" + dom.encode() + b">\r\n")
        try:
            sealed = w.seal(msg, 1, attacker, auth_results=words)
        except RuntimeError as e:
            ok(False, "%s: sealed" % name, str(e))
            continue
        run = w.final(sealed, hop(1)[2:], [hop(1)[0]])
        if not ok(run.good, "%s: a verdict" % name, run.err + run.errj):
            continue
        a, d = run.doc.get("arc") or {}, run.dmarc
        ok(bool(a.get("dmarc_override")) == want and d.get("result") == "fail" and
           d.get("disposition") == ("none" if want else "reject"),
           "trusted hop's AAR says %s: override %s" % (name, "taken" if want else "not taken"),
           "got override %r, %s/%s: %s" % (a.get("dmarc_override"), d.get("result"), d.get("disposition"),
                                          a.get("override_reason")))
        fc.check_exact("trusted hop's AAR says %s" % name, run)
    # an author that cannot be read safely is never overridden
    msg = fc.message(b"From: CEO <ceo@victim.example\xe2\x80\x8e>\r\n")
    sealed = w.seal(msg, 1, attacker, auth_results="dmarc=pass header.from=victim.example")
    run = w.final(sealed, hop(1)[2:], [hop(1)[0]])
    ok(run.good and not run.doc["arc"]["dmarc_override"] and run.dmarc.get("disposition") == "reject",
       "a hidden code point in From: no override, even with an aligned dmarc=pass recorded",
       "got %r" % (run.doc and run.doc["arc"].get("override_reason")))
    # --explain says why, taken or not
    sealed = w.seal(fc.message(), 1, attacker, auth_results=AARS[0][1])
    rc, out, _ = vtest.vouch(w.verify_args(hop(1)[2:]) + ["--trusted-sealer", hop(1)[0], "--explain"],
                             stdin=sealed)
    ok(rc == 0 and b"Override not taken" in out and b"no pass aligned with victim.example" in out,
       "--explain says why the override was not taken", out.decode("utf-8", "replace")[-400:])


def main():
    fc.require_authres()
    with tempfile.TemporaryDirectory() as tmp:
        w = World(tmp)
        chains(w)
        aars(w)
    vtest.done()


main()
