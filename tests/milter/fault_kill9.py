#!/usr/bin/python3
"""kill -9 vouchd while 1,000 messages flow (issue 11, faults): no mail lost.

  smtplib -> Postfix "injector" (no milter; retries deferred mail every
  1-2 s) -> Postfix "mx" (vouchd in smtpd_milters, milter_default_action =
  tempfail) -> smtp-sink

1,000 messages with distinct Message-IDs, From sender.example, are handed
to the injector; the injector relays them to the mx from 127.0.0.1, so
vouchd signs them.  When a fifth of them has reached the sink, every vouchd
process gets SIGKILL; the mx then answers 4xx and the injector defers;
vouchd is restarted a second later.  Checked: vouchd was really down (the
mx deferred mail meanwhile); every Message-ID the injector accepted
arrives at the sink (none missing), the number of duplicates is reported
(target 0), every delivered message is signed (tempfail let nothing pass
without vouchd), both queues end empty.

VOUCH_FAULT_ANCHOR=opendkim runs the same test with OpenDKIM in vouchd's
place: a check of the harness itself.  Root only (Postfix); otherwise the
test reports itself skipped.
"""
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _postfix_common import preflight, lacks, base_options, start_vouchd
import anchors
import mailworld
import postfix
import procs
from vtest import ok, skip, done

ANCHOR = os.environ.get("VOUCH_FAULT_ANCHOR") == "opendkim"
if not ANCHOR:
    preflight("kill -9 vouchd under load")
else:
    run, why = postfix.can_run()
    if not run:
        skip("kill -9 OpenDKIM under load (harness check)", why)
        done()

N = 1000
KILL_AT = N // 5


class AnchorSigner:
    """OpenDKIM in vouchd's place (VOUCH_FAULT_ANCHOR=opendkim)."""

    def __init__(self, lab, w, ns):
        self.m = lab.add(anchors.OpenDKIM(lab.subdir("opendkim"), "s", ns.port,
                                          "sender.example", "s1", w.key_s1))
        self.spec = self.m.spec

    def start(self):
        self.m.start()
        return self

    def kill9(self):
        procs.stop(self.m.proc, sig=9, wait=5)
        self.m.proc = None

    def running(self):
        return self.m.proc is not None and self.m.proc.poll() is None

    def log_tail(self):
        return self.m.log()


t0 = time.time()
with postfix.Lab("vouch-kill9-") as lab:
    w = mailworld.World(lab.dir, ed25519=False)
    with w.zone.serve() as ns:
        ok(ns.ready, "nsd serves the test zone", ns.log_tail())
        sink = lab.sink()
        if ANCHOR:
            signer = AnchorSigner(lab, w, ns).start()
        elif lacks("kill -9", ["Mode", "Domain"]):
            signer = None
        else:
            signer = start_vouchd(lab, "vouchd", base_options(w, ns.port))
        if signer:
            mx = lab.postfix(name="mx", relay=sink, milters=[signer.spec],
                             default_action="tempfail").start()
            injector = lab.postfix(name="injector", relay=mx.smtp_port, fast_retry=True,
                                   hostname="injector.vouch.example").start()
            msgs = [w.message(frm="Load <load@sender.example>", subject="load %d" % i,
                              mid="kill9-%04d@sender.example" % i) for i in range(N)]
            want = set("<kill9-%04d@sender.example>" % i for i in range(N))

            # Hand the messages over in the background; kill vouchd once a
            # fifth of them has arrived at the sink.
            import threading
            res = []
            th = threading.Thread(target=lambda: res.extend(
                postfix.send_many(injector.smtp_port, msgs, sessions=4)))
            th.start()
            reached = procs.wait_until(lambda: sink.count() >= KILL_AT, 120, step=0.02)
            ok(reached, "%d messages reached the sink before the kill" % KILL_AT,
               "%d at the sink; mx log %s" % (sink.count(), mx.log_tail(600)))
            at_kill = sink.count()
            signer.kill9()
            t_kill = time.time()
            time.sleep(1.0)
            deferred_meanwhile = procs.wait_until(
                lambda: "status=deferred" in injector.maillog(), 10, step=0.1)
            ok(deferred_meanwhile, "the injector deferred mail while vouchd was down",
               injector.log_tail(600))
            try:
                signer.start()
            except RuntimeError as e:
                print("# restart failed: %s" % e)
            ok(signer.running(), "vouchd restarted %.1f s after the kill" % (time.time() - t_kill),
               signer.log_tail())
            th.join()
            accepted = [r for r in res if r and r[1] == 250]
            ok(len(accepted) == N, "the injector accepted all %d messages" % N,
               "%d accepted; others: %r" % (len(accepted), [r for r in res if r and r[1] != 250][:5]))

            drained = procs.wait_until(lambda: sink.count() >= N and not injector.queue(), 180,
                                       step=0.5)
            ids = collections.Counter(m.message_id() for m in sink.messages())
            missing = want - set(ids)
            dups = sum(c - 1 for c in ids.values() if c > 1)
            ok(drained, "the injector's queue drained (%d at the sink, killed at %d)"
               % (sink.count(), at_kill), "queue %r" % injector.queue()[:3])
            ok(not missing, "no Message-ID missing at the sink (%d unique)" % len(ids),
               "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5]))
            ok(dups == 0, "duplicates at the sink: %d (target 0)" % dups,
               repr([k for k, c in ids.items() if c > 1][:5]))
            ok(not (set(ids) - want), "nothing else arrived", repr(sorted(set(ids) - want)[:5]))
            unsigned = [m.message_id() for m in sink.messages() if not m.headers("DKIM-Signature")]
            ok(not unsigned, "every delivered message is signed (none passed without the milter)",
               "%d unsigned, e.g. %s" % (len(unsigned), unsigned[:3]))
            ok(not mx.queue(), "the mx's queue is empty", repr(mx.queue()[:3]))
print("# %.1f s" % (time.time() - t0))
done()
