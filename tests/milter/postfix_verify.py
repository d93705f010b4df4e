#!/usr/bin/python3
"""vouchd's verifying role inside a real Postfix (issue 11): the
Authentication-Results it adds, and what it does with DMARC failures.

Mail from outside clients (XCLIENT makes Postfix, and so vouchd, see a
remote address) on the MX service of a private Postfix with vouchd in
smtpd_milters, delivered to smtp-sink:

  results      a message signed by remote.example from a client its SPF
               allows gets one Authentication-Results from us on top, with
               dkim=pass header.d=remote.example, spf=pass
               smtp.mailfrom=remote.example, dmarc=pass
               header.from=remote.example; a forged field claiming our
               authserv-id is removed (RFC 8601 §5); from a client SPF
               refuses: spf=fail, and DMARC still passes through DKIM; a
               changed body: dkim=fail; vouchd does not sign inbound mail
  disposition  by default (RFC 9989 §7.4) a DMARC failure under p=reject
               or p=quarantine is accepted and lands in the hold queue
               (postqueue -j), with dmarc=fail recorded; p=none is
               delivered with dmarc=fail
  opt-in       RejectFailures yes: the p=reject failure is refused to swaks
               with 550 5.7.1 and a text naming the From domain; p=quarantine
               is still not rejected; QuarantineAction header delivers it
               with X-Vouchd-Disposition: quarantine instead of holding it;
               a List-Id message (override mailing_list) is not rejected

Root only (Postfix); otherwise the test reports itself skipped.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _postfix_common import preflight, lacks, base_options, start_vouchd
import mailworld
import postfix
import procs
from mailworld import GOOD_CLIENT, BAD_CLIENT
from vtest import ok, done

preflight("vouchd verifying inside Postfix")


def inbound(pf, w, frm, mail_from, client, sign=False, tamper=False, extra=(), what=""):
    """Sends one message as an outside client; returns (SwaksResult, mid)."""
    mid = "%s.%d@%s" % (what.replace(" ", "-") or "in", time.time_ns(), frm.split("@")[1])
    msg = w.message(frm=frm, mid=mid, extra=extra, subject=what)
    if sign:
        msg = w.sign_remote(msg)
    if tamper:
        msg = msg.replace(b"Hello Bob", b"Hello Eve")
    return postfix.swaks(pf.smtp_port, mail_from, "bob@rcpt.example", data=msg,
                         xclient_addr=client, xclient_name="[UNAVAILABLE]"), mid


def at_sink(sink, mid, timeout=20):
    def find():
        for m in sink.messages():
            if m.message_id() == "<%s>" % mid:
                return m
        return None
    return procs.wait_until(find, timeout, step=0.2)


def held(pf, queue_id, timeout=10):
    return procs.wait_until(lambda: [m for m in pf.hold() if m["queue_id"] == queue_id], timeout)


def one_ours(m, what):
    ours = mailworld.our_authres(m) if m else []
    ok(len(ours) == 1, "%s: exactly one Authentication-Results from us" % what,
       m and repr(m.headers("Authentication-Results")))
    return ours[0] if ours else mailworld.AuthRes("none;")


def results(lab, w, ns, sink):
    if lacks("results", ["AuthservID", "Nameservers", "Mode"]):
        return
    v = start_vouchd(lab, "vouchd-results", base_options(w, ns.port))
    if not v:
        return
    pf = lab.postfix(name="pf-results", relay=sink, milters=[v.spec]).start()

    forged = ("Authentication-Results: %s; dkim=pass header.d=forged.example; "
              "dmarc=pass header.from=forged.example" % mailworld.AUTHSERV_ID)
    r, mid = inbound(pf, w, "Ann <ann@remote.example>", "bounce@remote.example", GOOD_CLIENT,
                     sign=True, extra=(forged,), what="aligned")
    ok(r.accepted, "aligned: accepted", repr(r))
    m = at_sink(sink, mid)
    ok(m is not None, "aligned: delivered", pf.log_tail(800) + v.log_tail())
    a = one_ours(m, "aligned")
    ok(a.result("dkim") == "pass" and a.prop("dkim", "header.d") == "remote.example",
       "aligned: dkim=pass header.d=remote.example", a.raw)
    # smtp.mailfrom may be the address or its domain (RFC 8601 §2.7.2).
    ok(a.result("spf") == "pass" and
       (a.prop("spf", "smtp.mailfrom") or "").split("@")[-1] == "remote.example",
       "aligned: spf=pass smtp.mailfrom=(...@)remote.example", a.raw)
    ok(a.result("dmarc") == "pass" and a.prop("dmarc", "header.from") == "remote.example",
       "aligned: dmarc=pass header.from=remote.example", a.raw)
    ok(m is not None and b"forged.example" not in m.header_block(),
       "aligned: the forged field with our authserv-id is removed (RFC 8601 §5)",
       m and repr(m.headers("Authentication-Results")))
    if m is not None:
        first = m.header_block().split(b"\r\n", 1)[0]
        ok(first.startswith(b"Authentication-Results:"),
           "aligned: our field is on top", repr(first))
    ok(m is not None and not [s for s in m.headers("DKIM-Signature") if "sender.example" in s],
       "aligned: inbound mail is not signed by us", m and repr(m.headers("DKIM-Signature")))

    r, mid = inbound(pf, w, "ann@remote.example", "bounce@remote.example", BAD_CLIENT,
                     sign=True, what="spf fail")
    m = at_sink(sink, mid)
    a = one_ours(m, "spf fail")
    ok(a.result("spf") == "fail", "a client outside the SPF record: spf=fail", a.raw)
    ok(a.result("dmarc") == "pass", "... and DMARC passes through the aligned DKIM", a.raw)

    r, mid = inbound(pf, w, "ann@remote.example", "bounce@remote.example", GOOD_CLIENT,
                     sign=True, tamper=True, what="tampered")
    m = at_sink(sink, mid)
    a = one_ours(m, "tampered")
    ok(a.result("dkim") == "fail", "a changed body: dkim=fail", a.raw)


def disposition(lab, w, ns, sink):
    if lacks("disposition", ["QuarantineAction", "RejectFailures"]):
        return
    v = start_vouchd(lab, "vouchd-disp", base_options(w, ns.port))
    if not v:
        return
    pf = lab.postfix(name="pf-disp", relay=sink, milters=[v.spec]).start()
    for dom, policy in (("strict", "reject"), ("careful", "quarantine")):
        what = "default, p=%s failure" % policy
        r, mid = inbound(pf, w, "ceo@%s.example" % dom, "bounce@elsewhere.example", BAD_CLIENT,
                         what=what)
        ok(r.accepted, "%s: accepted, not rejected (RFC 9989 §7.4)" % what, repr(r))
        h = held(pf, r.queue_id) if r.queue_id else []
        ok(bool(h), "%s: in the hold queue" % what,
           "queue %r; log %s" % (pf.queue(), v.log_tail(600)))
        if h:
            content = pf.queued_file(r.queue_id)
            ok(b"dmarc=fail" in content, "%s: the held message records dmarc=fail" % what,
               content[:600].decode("utf-8", "replace"))
        ok(at_sink(sink, mid, timeout=1) is None, "%s: not delivered" % what)
    r, mid = inbound(pf, w, "ceo@relaxed.example", "bounce@elsewhere.example", BAD_CLIENT,
                     what="p=none failure")
    m = at_sink(sink, mid)
    a = one_ours(m, "p=none failure")
    ok(m is not None and a.result("dmarc") == "fail", "p=none failure: delivered with dmarc=fail",
       a.raw)
    ok(not [x for x in pf.hold() if x["queue_id"] == r.queue_id], "p=none failure: not held")


def opt_in(lab, w, ns, sink):
    if lacks("opt-in", ["RejectFailures", "QuarantineAction"]):
        return
    v = start_vouchd(lab, "vouchd-reject", base_options(
        w, ns.port, RejectFailures="yes", QuarantineAction="header"))
    if not v:
        return
    pf = lab.postfix(name="pf-reject", relay=sink, milters=[v.spec]).start()
    r, mid = inbound(pf, w, "ceo@strict.example", "bounce@elsewhere.example", BAD_CLIENT,
                     what="opt-in p=reject")
    ok(r.code == 550 and r.stage == "DATA-END" and r.text.startswith("5.7.1"),
       "RejectFailures yes: a p=reject failure is refused 550 5.7.1", repr(r))
    ok("strict.example" in r.text, "the refusal names the From domain", r.text)
    ok("dmarc" in r.text.lower(), "the refusal says DMARC failed", r.text)
    ok(not pf.queue() and at_sink(sink, mid, timeout=1) is None,
       "the refused message is neither queued nor delivered", repr(pf.queue()))

    r, mid = inbound(pf, w, "ceo@careful.example", "bounce@elsewhere.example", BAD_CLIENT,
                     what="opt-in p=quarantine")
    ok(r.accepted, "RejectFailures yes: a p=quarantine failure is not rejected", repr(r))
    m = at_sink(sink, mid)
    # The value is the word "quarantine" (a comment may follow): what a
    # header_checks or Sieve rule matches.
    disp = m.headers("X-Vouchd-Disposition") if m is not None else []
    ok(len(disp) == 1 and disp[0].split()[0] == "quarantine",
       "QuarantineAction header: delivered with X-Vouchd-Disposition: quarantine",
       m and repr(m.headers("X-Vouchd-Disposition")))
    ok(not pf.hold(), "QuarantineAction header: nothing held", repr(pf.hold()))

    r, mid = inbound(pf, w, "ceo@strict.example", "bounce@elsewhere.example", BAD_CLIENT,
                     extra=("List-Id: <talk.lists.example>",), what="opt-in list")
    ok(r.accepted, "RejectFailures yes: a p=reject failure with List-Id is not rejected "
       "(override mailing_list)", repr(r))


t0 = time.time()
with postfix.Lab("vouch-verify-") as lab:
    w = mailworld.World(lab.dir)
    with w.zone.serve() as ns:
        ok(ns.ready, "nsd serves the test zone", ns.log_tail())
        sink = lab.sink()
        results(lab, w, ns, sink)
        disposition(lab, w, ns, sink)
        opt_in(lab, w, ns, sink)
print("# %.1f s" % (time.time() - t0))
done()
