#!/usr/bin/python3
"""The DNS server stops answering mid-run (issue 11, faults): vouchd does
what TempErrorAction says, and does not crash.

vouchd verifies (InternalHosts names an address no client uses, so the
loopback load is inbound mail); every record has TTL 0, so each message
asks DNS again; DNSTimeout is 1 s.  smtp-source sends N messages signed by
remote.example, 8 sessions at a time; when a third has reached the sink,
NSD is paused (SIGSTOP: queries time out, the usual way a DNS server
fails).

  TempErrorAction accept (the default): smtp-source gets 2xx for every
  message (it stops at the first other reply), all N arrive, each with one
  Authentication-Results from us; those before the pause say dkim=pass,
  those after say temperror (RFC 8601 §2.7.1), none says pass for a check
  it could not make; vouchd still runs.
  TempErrorAction tempfail (a second vouchd, DNS still down): each message
  gets 451 4.7.5; vouchd still runs.  NSD resumed: the next message passes
  with dkim=pass.

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
from vtest import ok, done

preflight("DNS stopped under load")

N = 120
PAUSE_AT = N // 3


def verdicts(sink):
    """[(message, our AuthRes or None)] for every message at the sink."""
    out = []
    for m in sink.messages():
        ours = mailworld.our_authres(m)
        out.append((m, ours[0] if len(ours) == 1 else None))
    return out


t0 = time.time()
with postfix.Lab("vouch-dnsfault-") as lab:
    w = mailworld.World(lab.dir, ed25519=False, ttl=0)
    with w.zone.serve() as ns:
        ok(ns.ready, "nsd serves the test zone (TTL 0)", ns.log_tail())
        sink = lab.sink()
        opts = dict(InternalHosts="192.0.2.254", DNSTimeout="1")
        v = None if lacks("DNS fault", ["TempErrorAction", "DNSTimeout"]) else start_vouchd(
            lab, "vouchd-accept", base_options(w, ns.port, **opts))
        if v:
            pf = lab.postfix(name="mx", relay=sink, milters=[v.spec]).start()
            msg_file = lab.path("signed.eml")
            with open(msg_file, "wb") as f:
                f.write(w.sign_remote(w.message(frm="Ann <ann@remote.example>",
                                                subject="dns fault")))
            src = postfix.smtp_source_start(pf.smtp_port, N, 8, msg_file,
                                            mail_from="bounce@remote.example",
                                            log=lab.path("smtp-source.log"))
            reached = procs.wait_until(lambda: sink.count() >= PAUSE_AT, 60, step=0.05)
            ok(reached, "%d messages passed before DNS stopped" % PAUSE_AT,
               "%d at the sink; %s" % (sink.count(), v.log_tail(600)))
            ns.pause()
            t_pause = time.time()
            try:
                src.wait(timeout=240)
            except Exception:
                procs.stop(src)
            rc = src.returncode
            with open(lab.path("smtp-source.log"), errors="replace") as f:
                src_out = f.read()
            ok(rc == 0, "TempErrorAction accept: every message got 2xx while DNS was down "
               "(%.1f s)" % (time.time() - t_pause), "smtp-source exit %s: %s" % (rc, src_out[-400:]))
            got = sink.wait(N, 30)
            ok(got == N, "all %d messages arrived" % N, "%d at the sink" % got)
            vs = verdicts(sink)
            none = [m.message_id() for m, a in vs if a is None]
            ok(not none, "each has exactly one Authentication-Results from us",
               "%d without, e.g. %r" % (len(none), none[:3]))
            passed = [a for m, a in vs if a and a.result("dkim") == "pass"]
            temp = [a for m, a in vs if a and a.result("dkim") == "temperror"]
            ok(len(passed) >= PAUSE_AT, "%d say dkim=pass (from before the pause)" % len(passed),
               repr([a.raw for m, a in vs[:2] if a]))
            ok(len(temp) > 0, "%d say dkim=temperror (after it)" % len(temp),
               repr(sorted(set(a.raw for m, a in vs if a))[:4]))
            other = [a.raw for m, a in vs if a and a.result("dkim") not in ("pass", "temperror")]
            ok(not other, "no other dkim result (nothing decided without its key)", repr(other[:3]))
            bad_dmarc = [a.raw for a in temp if a.result("dmarc") in ("pass", "fail")
                         and a.result("spf") in ("temperror", None)]
            ok(not bad_dmarc, "no DMARC pass or fail decided without DNS", repr(bad_dmarc[:3]))
            ok(v.running(), "vouchd still runs", v.log_tail())

            v2 = start_vouchd(lab, "vouchd-tempfail", base_options(
                w, ns.port, TempErrorAction="tempfail", **opts))
            if v2:
                pf2 = lab.postfix(name="mx-tempfail", relay=sink, milters=[v2.spec]).start()
                for i in range(3):
                    t1 = time.time()
                    r = postfix.swaks(pf2.smtp_port, "bounce@remote.example", "bob@rcpt.example",
                                      data_file=msg_file, timeout=60)
                    ok(r.code == 451 and r.text.startswith("4.7.5"),
                       "TempErrorAction tempfail, DNS down: 451 4.7.5 (%.1f s)" % (
                           time.time() - t1), repr(r))
                ok(v2.running(), "vouchd (tempfail) still runs", v2.log_tail())
                ns.resume()
                seen = set(sink.files())
                r = postfix.swaks(pf2.smtp_port, "bounce@remote.example", "bob@rcpt.example",
                                  data_file=msg_file, timeout=60)
                ok(r.accepted, "DNS back: the next message is accepted", repr(r))
                sink.wait(len(seen) + 1, 20)
                last = [a for m, a in verdicts(sink) if os.path.basename(m.path) not in seen]
                ok(any(a and a.result("dkim") == "pass" for a in last),
                   "DNS back: dkim=pass again", repr([a and a.raw for a in last]))
print("# %.1f s" % (time.time() - t0))
done()
