#!/usr/bin/python3
"""The DMARC scenarios of dmarc_scenarios.yaml (read unmodified), run
end to end through `vouch verify`: where a scenario gives SPF and DKIM
results as facts, this script makes them real.

  spf RESULT:DOMAIN   MAIL FROM is bounce@DOMAIN and DOMAIN gets the SPF
                      record that gives RESULT for the client 192.0.2.77
                      (pass, fail -all, softfail ~all, neutral ?all,
                      temperror: the TXT query times out).  No spf fact:
                      MAIL FROM in a domain without SPF (spf=none).
  dkim RESULT:D       the message is signed with d=D (A-label) by a key
                      made here: pass, the published key; fail, another
                      key published under the selector; temperror, the
                      key query times out; permerror, no key record.

The DMARC verdict in --json must then be the scenario's `want` (result,
policy, disposition, org_domain, author_domain, override; rua_kept is
not in vouch verify's JSON and is not compared).  A scenario whose
message cannot be signed (no single From field) is skipped visibly.
"""
import json
import os
import re
import tempfile

import yaml

import vtest
from _dmarc_util import DATA, message
from vtest import ok, skip, vouch
CLIENT = "192.0.2.77"
SPF_TERM = {"pass": "ip4:%s -all" % CLIENT, "fail": "-all", "softfail": "~all",
            "neutral": "?all", "none": None}
COMPARED = ("result", "policy", "disposition", "org_domain", "author_domain", "override")


def alabel(d):
    d = d.rstrip(".")
    try:
        d.encode("ascii")
        return d
    except UnicodeEncodeError:
        return d.encode("idna").decode("ascii")


class Keys:
    """One Ed25519 key pair per signing domain, and a second one whose
    public half is published under the "fail" selector."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.made = {}

    def get(self, dom):
        if dom not in self.made:
            d = os.path.join(self.tmp, "k", dom)
            os.makedirs(d)
            recs = {}
            for sel in ("vpass", "vother"):
                rc, _, err = vouch(["keygen", "-t", "ed25519", "-d", dom, "-s", sel, "-o", d])
                if rc != 0:
                    raise RuntimeError(err)
                recs[sel] = open(os.path.join(d, sel + ".txt")).read()
            # "vfail" publishes the other key: the signature cannot verify
            fail = recs["vother"].replace("vother._domainkey", "vfail._domainkey", 1)
            self.made[dom] = (os.path.join(d, "vpass.private"), recs["vpass"] + fail)
        return self.made[dom]


def prepare(sc, keys):
    """(extra zone text, MAIL FROM, dkim sign arguments) for a scenario."""
    extra, sign = [], []
    mail_from = "bounce@no-spf-here.test"
    if sc.get("spf"):
        res, _, dom = sc["spf"].partition(":")
        dom = alabel(dom)
        mail_from = "bounce@" + dom
        if res == "temperror":
            extra.append("$TIMEOUT %s." % dom)
        elif SPF_TERM.get(res):
            extra.append('%s. TXT "v=spf1 %s"' % (dom, SPF_TERM[res]))
        elif res != "none":
            raise ValueError("spf fact %s" % res)
    for fact in sc.get("dkim") or []:
        res, _, dom = fact.partition(":")
        dom = alabel(dom)
        private, records = keys.get(dom)
        if records not in extra:
            extra.append(records)
        sel = {"pass": "vpass", "fail": "vfail", "temperror": "vslow", "permerror": "vnokey"}[res]
        if res == "temperror":
            extra.append("$TIMEOUT vslow._domainkey.%s." % dom)
        sign += ["-d", dom, "-s", sel, "-k", private]
    return "\n".join(extra) + "\n", mail_from, sign


def main():
    data = yaml.safe_load(open(DATA, encoding="utf-8"))
    psl = vtest.shared("testsuites", "psl", "public_suffix_list.dat")
    with tempfile.TemporaryDirectory() as tmp:
        keys = Keys(tmp)
        n = 0
        for sc in data["scenarios"]:
            name = "%s (%s)" % (sc["name"], sc["rfc"])
            msg = message(sc)
            extra, mail_from, sign = prepare(sc, keys)
            if sign:
                rc, signed, err = vouch(["dkim", "sign"] + sign, stdin=msg)
                if rc != 0:
                    # Only a message without exactly one From field is
                    # unsignable (RFC 6376 §5.4); any other refusal is a
                    # failure of the signer, not a reason to skip.
                    nfrom = len(re.findall(rb"(?im)^from[ \t]*:", msg))
                    why = err.strip().splitlines()[-1] if err.strip() else "exit %d" % rc
                    if nfrom != 1:
                        skip(name, "%d From fields, the message cannot be signed: %s" % (nfrom, why))
                    else:
                        ok(False, name, "signing a message with one From field failed: %s" % why)
                    continue
                msg = signed
            n += 1
            zone = os.path.join(tmp, "zone%d.db" % n)
            with open(zone, "w", encoding="utf-8") as f:
                f.write(data["zones"][sc["zone"]] + "\n" + extra)
            path = os.path.join(tmp, "m%d.eml" % n)
            with open(path, "wb") as f:
                f.write(msg)
            args = ["verify", "--json", "--zone", zone, "--seed", "1", "--authserv-id", "mx.test",
                    "--ip", CLIENT, "--helo", "mx.scenario.test", "--mail-from", mail_from]
            if sc.get("mode") == "rfc7489":
                args += ["--rfc7489", "--psl", psl]
            rc, out, err = vouch(args + [path])
            try:
                j = json.loads(out.decode("utf-8"))
            except ValueError:
                j = None
            if j is None or rc != 0:
                ok(False, name, "exit %d: %s" % (rc, err.strip()[:300]))
                continue
            d = j["dmarc"]
            diffs = ["%s: got %r, want %r" % (k, d.get(k), v) for k, v in sc["want"].items()
                     if k in COMPARED and d.get(k) != v]
            # the facts came true: each DKIM fact is the verdict of a signature
            got = sorted(s["result"] for s in j["dkim"]["signatures"])
            want = sorted(f.partition(":")[0] for f in sc.get("dkim") or [])
            if got != want:
                diffs.append("dkim verdicts %s, facts %s" % (got, want))
            if sc.get("spf") and j["spf"]["result"] != sc["spf"].partition(":")[0]:
                diffs.append("spf %s, fact %s" % (j["spf"]["result"], sc["spf"]))
            ok(not diffs, "verify: " + name, "; ".join(diffs) + "; reason: %s" % d.get("reason"))
        ok(n >= 80, "at least 80 scenarios ran end to end", "%d" % n)
    vtest.done()


main()
