#!/usr/bin/python3
"""DMARC failure reports as fo= asks for them (RFC 9989 §4.7, RFC 9991 §2,
RFC 6591 §3): `vouch verify --failure-report DIR` on messages whose SPF
and DKIM results are made to order, each report read back by Python's
email package and checked field by field (_failure_util.check_arf).

  fo absent (0)  DMARC fail -> one DMARC report; DMARC pass -> none
  fo=1           SPF or DKIM without an aligned pass -> a DMARC report,
                 also when DMARC passed through the other
  fo=d           a signature that failed -> a DKIM report (bodyhash or
                 signature), whatever its alignment; no DMARC report
  fo=s           SPF fail -> an SPF report with SPF-DNS; no DMARC report
  fo=0:d         both kinds; fo=1:d:s all three; fo=0:1 is invalid: 0
  no ruf=        nothing, whatever fo= says
"""
from _failure_util import (BAD_IP, GOOD_IP, ID, World, by_to, check_arf,
                           run_main)
from vtest import ok

SUBJECT = "Quarterly numbers"


def fo0(w):
    # SPF fails (bad IP) and there is no signature: DMARC fails
    msg = w.message("fo0.example", sign=False)
    rc, out, err, _, reps = w.receive(msg, "bounce@fo0.example")
    ok(rc == 0 and b"dmarc=fail" in out, "fo=0: the verdict is dmarc=fail, exit 0", "exit %d %s" % (rc, err))
    got = by_to(reps)
    ok(sorted(got) == ["auth@reports.example", "ruf@fo0.example"],
       "fo=0: one report to each usable ruf= address (RFC 9991 §2: each URI)",
       "got %s" % sorted(got))
    r = got.get("ruf@fo0.example")
    if r is None:
        return
    check_arf("fo=0 dmarc", r, "ruf@fo0.example", "dmarc", "fo0.example", "dkim, spf", SUBJECT)
    ar = r.field("Authentication-Results") or ""
    ok("dmarc=fail" in ar and "header.from=fo0.example" in ar and "policy.dmarc=reject" in ar,
       "fo=0: dmarc=fail header.from policy.dmarc=reject in part 2", "got %r" % ar)
    # SPF failed for an aligned domain: SPF-DNS is REQUIRED (RFC 9991 §4)
    ok(r.field("SPF-DNS") == 'txt : fo0.example : "v=spf1 ip4:192.0.2.0/24 -all"',
       "fo=0: SPF-DNS with the record of the aligned domain that failed (RFC 6591 §3.2.6)",
       "got %r" % r.field("SPF-DNS"))
    ok(r.field("DKIM-Domain") is None, "fo=0: no DKIM-* without a DKIM failure")
    ok(r.field("Source-IP") == BAD_IP, "fo=0: Source-IP is the client", "got %r" % r.field("Source-IP"))
    # a pass: no report under fo=0
    msg = w.message("fo0.example")
    rc, out, _, _, reps = w.receive(msg, "bounce@fo0.example", ip=GOOD_IP)
    ok(b"dmarc=pass" in out and reps == [], "fo=0: DMARC pass, no report", "%d reports" % len(reps))
    # DKIM aligned pass, SPF fail: DMARC passes, fo=0 wants nothing
    rc, out, _, _, reps = w.receive(msg, "bounce@fo0.example", ip=BAD_IP)
    ok(b"dmarc=pass" in out and reps == [], "fo=0: SPF fail but DKIM aligned pass, no report")


def fo1(w):
    msg = w.message("fo1.example")
    # signed (aligned DKIM pass), SPF fails: DMARC passes, but fo=1 asks
    rc, out, _, _, reps = w.receive(msg, "bounce@fo1.example", ip=BAD_IP)
    ok(b"dmarc=pass" in out and len(reps) == 1,
       "fo=1: DMARC pass with SPF failing gives a DMARC report (RFC 9989 §4.7 fo=1)",
       "%d reports" % len(reps))
    if reps:
        check_arf("fo=1 spf", reps[0], "ruf@fo1.example", "dmarc", "fo1.example", "spf", SUBJECT)
        ok("dmarc=pass" in (reps[0].field("Authentication-Results") or ""),
           "fo=1: part 2 says dmarc=pass")
    # SPF passes, not signed: DMARC passes through SPF, DKIM not aligned
    msg = w.message("fo1.example", sign=False)
    rc, out, _, _, reps = w.receive(msg, "bounce@fo1.example", ip=GOOD_IP)
    ok(len(reps) == 1, "fo=1: DMARC pass through SPF alone gives a report", "%d reports" % len(reps))
    if reps:
        check_arf("fo=1 dkim", reps[0], "ruf@fo1.example", "dmarc", "fo1.example", "dkim", SUBJECT)
    # both aligned and passing: nothing
    msg = w.message("fo1.example")
    rc, out, _, _, reps = w.receive(msg, "bounce@fo1.example", ip=GOOD_IP)
    ok(reps == [], "fo=1: SPF and DKIM both aligned and passing, no report", "%d reports" % len(reps))
    # SPF passes for an unaligned domain, DKIM fails: DMARC fail
    msg = w.message("fo1.example", sign=False)
    rc, out, _, _, reps = w.receive(msg, "bounce@fo0.example", ip=GOOD_IP)
    ok(b"dmarc=fail" in out and len(reps) == 1, "fo=1: DMARC fail gives a report", "%d reports" % len(reps))
    if reps:
        check_arf("fo=1 fail", reps[0], "ruf@fo1.example", "dmarc", "fo1.example", "dkim, spf", SUBJECT)
        # SPF passed (for another domain): no SPF failure of an aligned
        # identifier, so no SPF-DNS
        ok(reps[0].field("SPF-DNS") is None, "fo=1: no SPF-DNS when SPF passed for an unaligned domain")


def tamper_body(msg):
    return msg.replace(b"the numbers are attached", b"the numbers are ATTACHED")


def tamper_subject(msg):
    return msg.replace(b"Subject: " + SUBJECT.encode(), b"Subject: " + SUBJECT.encode() + b"!")


def fod(w):
    msg = tamper_body(w.message("fod.example"))
    rc, out, _, _, reps = w.receive(msg, "bounce@fod.example", ip=GOOD_IP)
    ok(b"dkim=fail" in out and len(reps) == 1,
       "fo=d: a signature whose body hash failed gives one DKIM report, no DMARC report (DMARC passed by SPF)",
       "%d reports" % len(reps))
    if reps:
        r = reps[0]
        check_arf("fo=d bodyhash", r, "ruf@fod.example", "bodyhash", "fod.example", "dkim", SUBJECT)
        ok(r.field("DKIM-Domain") == "fod.example" and r.field("DKIM-Selector") == "sel" and
           r.field("DKIM-Identity") == "@fod.example",
           "fo=d: DKIM-Domain, DKIM-Identity, DKIM-Selector (RFC 6591 §3.2.3)",
           "got %r %r %r" % (r.field("DKIM-Domain"), r.field("DKIM-Identity"), r.field("DKIM-Selector")))
        ar = r.field("Authentication-Results") or ""
        ok("dkim=fail" in ar and "header.d=fod.example" in ar and "header.s=sel" in ar,
           "fo=d: part 2 holds the failed signature's dkim= result", "got %r" % ar)
        ok(r.field("DKIM-Canonicalized-Header") is None and r.field("DKIM-Canonicalized-Body") is None,
           "fo=d: no DKIM-Canonicalized-* while redacting (RFC 6591 §3.2.4: MUST NOT)")
    msg = tamper_subject(w.message("fod.example"))
    rc, out, _, _, reps = w.receive(msg, "bounce@fod.example", ip=BAD_IP)
    ok(b"dmarc=fail" in out and len(reps) == 1,
       "fo=d: DMARC fail with a broken signature gives the DKIM report only", "%d reports" % len(reps))
    if reps:
        check_arf("fo=d signature", reps[0], "ruf@fod.example", "signature", "fod.example", "dkim, spf",
                  SUBJECT + "!")
    # a good signature and SPF fail: fo=d wants nothing
    rc, out, _, _, reps = w.receive(w.message("fod.example"), "bounce@fod.example", ip=BAD_IP)
    ok(reps == [], "fo=d: no failed signature, no report", "%d reports" % len(reps))
    # unaligned: a signature by another domain that failed is still
    # reported to the From domain's ruf= ("regardless of its alignment")
    other = tamper_body(w.message("fo0.example"))
    other = other.replace(b"From: Alice Example <alice@fo0.example>", b"From: Alice Example <alice@fod.example>")
    rc, out, _, _, reps = w.receive(other, "bounce@fod.example", ip=GOOD_IP)
    ok(len(reps) == 1 and reps[0].field("DKIM-Domain") == "fo0.example",
       "fo=d: a failed signature of another domain is reported too (RFC 9989 §4.7)",
       "%s" % [r.field("DKIM-Domain") for r in reps])
    if reps:
        check_arf("fo=d unaligned", reps[0], "ruf@fod.example", "bodyhash", "fod.example", "dkim", SUBJECT)


def fos(w):
    msg = w.message("fos.example")
    rc, out, _, _, reps = w.receive(msg, "bounce@fos.example", ip=BAD_IP)
    ok(b"spf=fail" in out and len(reps) == 1,
       "fo=s: SPF fail gives one SPF report (DMARC passed by DKIM)", "%d reports" % len(reps))
    if reps:
        r = reps[0]
        check_arf("fo=s", r, "ruf@fos.example", "spf", "fos.example", "spf", SUBJECT)
        ok(r.field("SPF-DNS") == 'txt : fos.example : "v=spf1 ip4:192.0.2.0/24 -all"',
           "fo=s: SPF-DNS (RFC 6591 §3.2.6)", "got %r" % r.field("SPF-DNS"))
        ar = r.field("Authentication-Results") or ""
        ok(ar.startswith(ID + "; spf=fail smtp.mailfrom=") and ar.endswith("@fos.example"),
           "fo=s: part 2 holds spf=fail with smtp.mailfrom", "got %r" % ar)
    rc, out, _, _, reps = w.receive(msg, "bounce@fos.example", ip=GOOD_IP)
    ok(reps == [], "fo=s: SPF pass, no report", "%d reports" % len(reps))


def combined(w):
    msg = tamper_body(w.message("both.example"))
    rc, out, _, _, reps = w.receive(msg, "bounce@both.example", ip=BAD_IP)
    kinds = sorted(r.field("Auth-Failure") for r in reps)
    ok(kinds == ["bodyhash", "dmarc"], "fo=0:d: a DMARC report and a DKIM report", "got %s" % kinds)
    for r in reps:
        if r.field("Auth-Failure") == "dmarc":
            check_arf("fo=0:d dmarc", r, "ruf@both.example", "dmarc", "both.example", "dkim, spf", SUBJECT)
            # the failed signature aligns: DKIM-* is REQUIRED (RFC 9991 §4)
            ok(r.field("DKIM-Domain") == "both.example" and r.field("DKIM-Selector") == "sel",
               "fo=0:d: the DMARC report names the aligned signature that failed (RFC 9991 §4)")
            ok(r.field("SPF-DNS") is not None, "fo=0:d: and SPF-DNS for the aligned SPF failure")
    msg = tamper_body(w.message("all.example"))
    rc, out, _, _, reps = w.receive(msg, "bounce@all.example", ip=BAD_IP)
    kinds = sorted(r.field("Auth-Failure") for r in reps)
    ok(kinds == ["bodyhash", "dmarc", "spf"], "fo=1:d:s: one report of each kind", "got %s" % kinds)
    rc, out, _, _, reps = w.receive(msg, "bounce@all.example", ip=BAD_IP, opts=["--failure-kinds", "spf"])
    ok([r.field("Auth-Failure") for r in reps] == ["spf"],
       "--failure-kinds spf: the operator's choice limits the kinds",
       "got %s" % [r.field("Auth-Failure") for r in reps])
    msg = tamper_body(w.message("badfo.example"))
    rc, out, _, _, reps = w.receive(msg, "bounce@badfo.example", ip=BAD_IP)
    ok([r.field("Auth-Failure") for r in reps] == ["dmarc"],
       "fo=0:1:d:s is invalid (0 and 1 exclude each other): the default fo=0 applies (RFC 9989 §4.7, §4.8)",
       "got %s" % [r.field("Auth-Failure") for r in reps])


def noruf(w):
    msg = w.message("noruf.example", sign=False)
    rc, out, _, d, reps = w.receive(msg, "bounce@noruf.example")
    ok(b"dmarc=fail" in out and reps == [],
       "no ruf= tag: no report whatever fo= says (RFC 9989 §4.7 ruf)", "%d reports" % len(reps))


def main(w):
    fo0(w)
    fo1(w)
    fod(w)
    fos(w)
    combined(w)
    noruf(w)


if __name__ == "__main__":
    run_main(main)
