#!/usr/bin/python3
"""The real-system harness (tests/lib/postfix.py) proven with the anchors,
OpenDKIM and OpenDMARC, as milters of private Postfix instances: the same
set-up the vouchd tests use, with milters whose behaviour is known.

  submission (SASL) -> Postfix "out" + OpenDKIM signing -> Postfix "mx" +
  OpenDKIM verifying + OpenDMARC -> smtp-sink

Checked: the message comes out signed and the signature verifies with
vouch, opendkim and dkimpy; the mx adds dkim=pass, spf=pass, dmarc=pass;
a remote client (XCLIENT) forging a p=reject domain is rejected with 550
and one forging a p=quarantine domain lands in the hold queue (OpenDMARC
with RejectFailures); a dead milter under milter_default_action=tempfail
defers the session with a 4xx; a wrong SASL password gives 535; on leaving, every
process the harness started is gone.  Root only (Postfix): otherwise the
test reports itself skipped with the reason.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import vtest
from vtest import ok, skip, done
import anchors
import dkimcheck
import postfix
import procs
import testzone

RUN, WHY = postfix.can_run()
if not RUN:
    skip("harness with OpenDKIM and OpenDMARC", WHY)
    done()
for prog in (anchors.OPENDKIM, anchors.OPENDMARC):
    if not os.access(prog, os.X_OK):
        skip("harness with OpenDKIM and OpenDMARC", "%s not installed" % prog)
        done()


def message(frm, subject, mid):
    return ("From: %s\r\nTo: Bob <bob@rcpt.example>\r\nSubject: %s\r\n"
            "Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <%s>\r\n\r\n"
            "Hello Bob,\r\n.a line that starts with a dot\r\n\r\nAlice\r\n" % (frm, subject, mid)
            ).encode()


def authres(m):
    return " ".join(m.headers("Authentication-Results"))


started = []
t0 = time.time()
with postfix.Lab("vouch-harness-") as lab:
    z = testzone.Zone(lab.dir)
    key = z.dkim_key("sender.example", "s1")
    z.txt("sender.example", "v=spf1 ip4:127.0.0.0/8 ip4:192.0.2.0/25 -all")
    z.txt("_dmarc.sender.example", "v=DMARC1; p=reject")
    z.txt("strict.example", "v=spf1 ip4:192.0.2.0/25 -all")
    z.txt("_dmarc.strict.example", "v=DMARC1; p=reject")
    z.txt("careful.example", "v=spf1 ip4:192.0.2.0/25 -all")
    z.txt("_dmarc.careful.example", "v=DMARC1; p=quarantine")
    dns_addr = anchors.dmarc_dns_address()
    with z.serve(also_listen=[dns_addr + "@53"]) as ns:
        ok(ns.ready, "nsd serves the test zone on port %d and %s:53" % (ns.port, dns_addr),
           ns.log_tail())
        sink = lab.sink()
        signer = lab.add(anchors.OpenDKIM(lab.subdir("opendkim-sign"), "s", ns.port,
                                          "sender.example", "s1", key)).start()
        verifier = lab.add(anchors.OpenDKIM(lab.subdir("opendkim-verify"), "v", ns.port)).start()
        dmarc = lab.add(anchors.OpenDMARC(lab.subdir("opendmarc"), dns_addr, reject=True,
                                          extra={"HoldQuarantinedMessages": "true"})).start()
        mx = lab.postfix(name="mx", relay=sink, milters=[verifier.spec, dmarc.spec]).start()
        out = lab.postfix(name="out", relay=mx.smtp_port, milters=[signer.spec],
                          sasl_users={"alice": "wonderland"}).start()
        started = [p.proc.pid for p in (sink, signer, verifier, dmarc, mx, out)]
        ok(all(procs.alive(p) for p in started), "sink, 3 milters and 2 Postfix instances run")

        # Authenticated submission, signed by OpenDKIM, verified downstream.
        r = postfix.swaks(out.submission_port, "alice@sender.example", "bob@rcpt.example",
                          data=message("Alice <alice@sender.example>", "signed", "1@sender.example"),
                          auth=("alice", "wonderland"))
        ok(r.accepted and r.queue_id, "authenticated submission accepted", repr(r))
        ok(sink.wait(1, 30) == 1, "the signed message reached the sink", out.log_tail(1500))
        msgs = sink.messages()
        m = msgs[0] if msgs else None
        sig = m.headers("DKIM-Signature") if m else []
        ok(len(sig) == 1 and "d=sender.example" in sig[0] and "s=s1" in sig[0],
           "one DKIM-Signature d=sender.example s=s1", repr(sig))
        if m:
            signed = lab.path("signed.eml")
            with open(signed, "wb") as f:
                f.write(m.content)
            for name, verdict, detail in dkimcheck.all_verdicts(signed, ns.port):
                ok(verdict == "pass", "%s verifies OpenDKIM's signature" % name, detail)
            ar = authres(m)
            ok("dkim=pass" in ar and "header.d=sender.example" in ar,
               "the mx's OpenDKIM says dkim=pass", ar)
            ok("spf=pass" in ar and "dmarc=pass" in ar, "the mx's OpenDMARC says spf and dmarc pass",
               ar)
        ok(m is not None and m.message_id() == "<1@sender.example>",
           "the sink keeps the Message-ID", m and repr(m.message_id()))
        sink.clear()

        # A remote client (XCLIENT) forging a p=reject domain: rejected.
        r = postfix.swaks(mx.smtp_port, "bounce@elsewhere.example", "bob@rcpt.example",
                          data=message("ceo@strict.example", "forged", "2@elsewhere.example"),
                          xclient_addr="203.0.113.9")
        ok(r.code == 550 and r.stage == "DATA-END", "a forged p=reject From is refused with 550",
           repr(r))
        # ... and one forging a p=quarantine domain: held.
        r = postfix.swaks(mx.smtp_port, "bounce@elsewhere.example", "bob@rcpt.example",
                          data=message("ceo@careful.example", "held", "3@elsewhere.example"),
                          xclient_addr="203.0.113.9")
        ok(r.accepted, "a forged p=quarantine From is accepted", repr(r))
        held = procs.wait_until(lambda: mx.hold(), 10)
        ok(held and held[0]["queue_id"] == r.queue_id,
           "and it is in the hold queue (postqueue -j)", repr(held))

        # A wrong password never gets as far as the milter.
        r = postfix.swaks(out.submission_port, "alice@sender.example", "bob@rcpt.example",
                          data=message("alice@sender.example", "x", "4@sender.example"),
                          auth=("alice", "rabbit"))
        ok(r.code == 535 and r.stage == "AUTH", "a wrong SASL password gets 535", repr(r))

        # A dead milter under milter_default_action = tempfail: 451 4.7.1.
        signer.stop()
        r = postfix.swaks(out.submission_port, "alice@sender.example", "bob@rcpt.example",
                          data=message("alice@sender.example", "x", "5@sender.example"),
                          auth=("alice", "wonderland"))
        # smtpd asks the milter at connection time; when it cannot, every
        # later command is deferred: AUTH with 454 4.3.0 (MAIL would get
        # 451 4.7.1).
        ok(r.code // 100 == 4 and r.stage in ("AUTH", "MAIL"),
           "a dead milter defers the session (4xx before DATA)", repr(r))
        ok(sink.count() == 0, "nothing reached the sink without its milter",
           "%d messages" % sink.count())
ok(started and not any(procs.alive(p) for p in started),
   "every process the harness started is gone after the lab closed",
   repr([p for p in started if procs.alive(p)]))
ok(not os.path.exists(lab.dir), "the lab's directory is removed")
print("# %.1f s" % (time.time() - t0))
done()
