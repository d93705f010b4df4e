#!/usr/bin/python3
"""DMARC evaluations through `vouch dmarc`, from other people's data.

1. ../shared/cases/dmarc/*: each case with --rfc7489 (its `expected`), and
   without (RFC 9989) where it has `expected_dmarcbis`.
2. ../shared/testsuites/dmarc/authheaders: the evaluation cases its README
   lists (the expectations are only in that README's table, transcribed in
   AUTHHEADERS below with the README's own words; the DNS is the README's
   stub, written out as a zone file).

One check per compared field, so a failure says which field differs.
"""
import json
import os
import tempfile

from vtest import ok, done, shared, vouch

PSL = shared("testsuites", "psl", "public_suffix_list.dat")

# Where this project reads RFC 9989 differently from a case's
# expected_dmarcbis, with the text that decides.  Each entry replaces one
# expected field and is reported in the check's name.
ERRATA = {
    ("sp-for-existing-subdomain", "policy"): (
        "quarantine",
        "RFC 9989 4.10.2 step 3: records at sub.example.com and example.com, "
        "no psd=: the Organizational Domain is the one with the fewest labels, "
        "example.com, whose record (sp=quarantine) applies per 4.10.1; the "
        "walk does not stop at the first record found (steps 2 and 6 stop "
        "only at psd=y/n)"),
    ("sp-for-existing-subdomain", "disposition"): (
        "quarantine", "follows from the policy above"),
}


def run_dmarc(zone, msg, spf, dkim, rfc7489):
    args = ["dmarc", "--zone", zone, "--json"]
    if rfc7489:
        args += ["--rfc7489", "--psl", PSL]
    if spf:
        args.append("--spf=%s:%s" % (spf["result"], spf["domain"]))
    for k in dkim or []:
        args.append("--dkim=%s:%s" % (k["result"], k["d"]))
    args.append(msg)
    rc, out, err = vouch(args)
    try:
        return rc, json.loads(out.decode("utf-8")), err
    except ValueError:
        return rc, None, err + " (output not JSON: %r)" % out[:200]


def compare(name, got, field, want, acceptable=None):
    erratum = ERRATA.get((name.split(" ")[0], field)) if "rfc9989" in name else None
    note = ""
    if erratum is not None:
        want, why = erratum
        acceptable = None
        note = " [erratum: %s]" % why
    if acceptable:
        cond = got.get(field) in acceptable
    else:
        cond = got.get(field) == want
    ok(cond, "%s: %s%s" % (name, field, note),
       "got %r, want %r%s" % (got.get(field), acceptable or want, "; reason: " + str(got.get("reason"))))


def shared_cases():
    base = shared("cases", "dmarc")
    for case in sorted(os.listdir(base)):
        d = os.path.join(base, case)
        exp = json.load(open(os.path.join(d, "expected.json")))
        inp = exp["input"]
        zone = os.path.join(d, inp.get("zone", "zone.db"))
        msg = os.path.join(d, inp.get("message", "message.eml"))
        runs = [("rfc7489", True, exp["expected"])]
        if "expected_dmarcbis" in exp:
            runs.append(("rfc9989", False, exp["expected_dmarcbis"]))
        for mode, rfc7489, want in runs:
            name = "%s %s" % (case, mode)
            rc, got, err = run_dmarc(zone, msg, inp.get("spf"), inp.get("dkim"), rfc7489)
            if not ok(rc == 0 and got is not None, "%s: verdict produced" % name,
                      "exit %d: %s" % (rc, err.strip())):
                continue
            compare(name, got, "result", want["result"], want.get("acceptable"))
            compare(name, got, "policy", want["policy"])
            compare(name, got, "disposition", want["disposition"])
            if rfc7489 and want.get("organizational_domain"):
                compare(name, got, "org_domain", want["organizational_domain"])


# The DNS stub of authheaders' tests, as its README lists it ("" = the name
# answers with no usable TXT data; NX = does not exist).
AUTHHEADERS_ZONE = r'''$ORIGIN .
$TTL 300
_dmarc.example.com. IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc.reports@valimail.com,mailto:dmarc_agg@vali.email; ruf=mailto:dmarc.reports@valimail.com,mailto:dmarc_c0cb7153_afrf@vali.email"
_dmarc.example.org. IN TXT "v=DMARC1; p=none"
_dmarc.example.net. IN TXT "v=DMARC1; p=none; sp=reject"
_dmarc.sub.example.net. IN TXT ""
_dmarc.example.biz. IN TXT "v=DMARC1; p=none; sp=quarantine; np=reject"
_dmarc.nop.example.org. IN TXT "v=DMARC1; sp=quarantine; np=reject"
_dmarc.sub2.example.biz. IN TXT ""
sub2.example.biz. IN A 192.0.2.1
_dmarc.bad.example.com. IN TXT "v=DMARC1; p=none; reject"
_dmarc.gov. IN TXT "v=DMARC1; p=reject; sp=none; np=reject; rua=mailto:dotgov_dmarc@cisa.dhs.gov; psd=y"
_dmarc.example.gov. IN TXT ""
example.gov. IN A 192.0.2.2
'''

# (message, DKIM facts, acceptable results, expected policy, org domain or
# None): the README's table.  For test.message_signed and testcomma.message
# the README says "verify its signature": DKIM is "verify", the facts are
# then what `vouch dkim verify` finds with the key of test.txt.
# test.bad.message: the README expects permerror from authheaders and says
# RFC 7489 6.3 would rather ignore the bad term ("implementation choice"):
# vouch ignores it (RFC 9989 4.8 "MUST be discarded"), so p=none applies and
# the unauthenticated message fails with policy none; both are accepted.
AUTHHEADERS = [
    ("test.message_signed", "verify", ["pass"], "reject", None),
    ("testcomma.message", "verify", ["pass"], "reject", None),
    ("test.bad.message", [], ["permerror", "fail"], "none", None),
    ("test.nofrom.message", [], ["permerror"], None, None),
    ("test.message_multi", [("fail", "example.com"), ("pass", "example.org")], ["fail"], "reject", None),
    ("test.message_multi2", [("fail", "example.com"), ("pass", "example.org")], ["fail"], "reject", None),
    ("test.message_sub", [("fail", "sub.example.net")], ["fail"], "reject", None),
    ("test.message_np1", [("fail", "sub.example.biz")], ["fail"], "reject", None),
    ("test.message_np2", [("fail", "sub2.example.biz")], ["fail"], "quarantine", None),
    ("test_nop.message", [("fail", "nop.example.org")], ["none"], None, None),
    ("test.gov.message", [], ["fail"], "reject", "example.gov"),
]


def authheaders():
    base = shared("testsuites", "dmarc", "authheaders")
    with tempfile.TemporaryDirectory() as tmp:
        zone = os.path.join(tmp, "zone.db")
        key = open(os.path.join(base, "test.txt")).read().strip()
        with open(zone, "w") as f:
            f.write(AUTHHEADERS_ZONE)
            f.write('test._domainkey.example.com. IN TXT "%s"\n' % key)
        for msg, dkim, results, policy, org in AUTHHEADERS:
            name = "authheaders %s" % msg
            if dkim == "verify":
                rc, out, err = vouch(["dkim", "verify", "--zone", zone, "--json",
                                      os.path.join(base, msg)])
                try:
                    sigs = json.loads(out.decode("utf-8"))["signatures"]
                except (ValueError, KeyError):
                    sigs = None
                if not ok(rc == 0 and sigs, "%s: vouch dkim verify gives the DKIM facts" % name,
                          "exit %d: %s" % (rc, err.strip())):
                    continue
                facts = [{"result": g["result"], "d": g["d"]} for g in sigs]
            else:
                facts = [{"result": r, "d": d} for r, d in dkim]
            rc, got, err = run_dmarc(zone, os.path.join(base, msg), None, facts, False)
            if not ok(rc == 0 and got is not None, "%s: verdict produced" % name,
                      "exit %d: %s" % (rc, err.strip())):
                continue
            compare(name, got, "result", None, results)
            compare(name, got, "policy", policy)
            if org:
                compare(name, got, "org_domain", org)


shared_cases()
authheaders()
done()
