#!/usr/bin/python3
"""A 50 MiB message through vouchd inside a real Postfix (issue 11), in
both roles, with vouchd's memory bounded.

message_size_limit is raised to 64 MiB.  An authenticated 50 MiB message
comes out signed and verifies with vouch, opendkim and dkimpy; an inbound
50 MiB message signed by remote.example gets dkim=pass.  vouchd streams
bodies (STYLE.md: never buffer a whole body): the resident memory of all
its processes, sampled every 20 ms while the two messages pass, may grow
by at most LIMIT_MIB over what it was after a small message.  Under
ASan (VOUCH_SANITIZED) the memory figure is not asserted.

Root only (Postfix); otherwise the test reports itself skipped.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _postfix_common import preflight, lacks, base_options, start_vouchd
import dkimcheck
import mailworld
import postfix
import procs
import vtest
from mailworld import GOOD_CLIENT
from vtest import ok, skip, done

preflight("vouchd with a 50 MiB message inside Postfix")

SIZE = 50 * 1024 * 1024
LIMIT_MIB = 16
USERS = {"alice": "wonderland"}


def big_body():
    # Text lines of varied content, so that nothing compresses or repeats
    # in a way a hash could shortcut; ends with CRLF.
    line = b"%08d The quick brown fox jumps over the lazy dog, line of a large message.\r\n"
    n = SIZE // len(line % 0) + 1
    return b"".join(line % i for i in range(n))


class Sampler(threading.Thread):
    """Samples the RSS of a process tree every 20 ms; .peak_kb."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.stop_flag = pid, 0, False

    def run(self):
        while not self.stop_flag:
            self.peak_kb = max(self.peak_kb, procs.tree_rss_kb(self.pid))
            time.sleep(0.02)


t0 = time.time()
with postfix.Lab("vouch-large-") as lab:
    w = mailworld.World(lab.dir, ed25519=False)
    with w.zone.serve() as ns:
        ok(ns.ready, "nsd serves the test zone", ns.log_tail())
        sink = lab.sink()
        v = None if lacks("large", ["Mode", "Domain"]) else start_vouchd(
            lab, "vouchd", base_options(w, ns.port))
        if v:
            pf = lab.postfix(relay=sink, milters=[v.spec], sasl_users=USERS,
                             size_limit=64 * 1024 * 1024).start()
            # A small message first: the baseline is vouchd after real work.
            r = postfix.swaks(pf.submission_port, "alice@sender.example", "bob@rcpt.example",
                              data=w.message(subject="warm-up"), auth=("alice", USERS["alice"]))
            ok(r.accepted and sink.wait(1, 20) == 1, "a small message passes first", repr(r))
            time.sleep(0.5)
            base_kb = v.rss_kb()
            sampler = Sampler(v.pid)
            sampler.start()

            body = big_body()
            msg = w.message(subject="fifty mebibytes out", mid="big-out@sender.example", body=body)
            t1 = time.time()
            r = postfix.swaks(pf.submission_port, "alice@sender.example", "bob@rcpt.example",
                              data=msg, auth=("alice", USERS["alice"]), timeout=300)
            ok(r.accepted, "50 MiB authenticated: accepted (%.1f s)" % (time.time() - t1), repr(r))
            m = sink.find("big-out@sender.example", 120)
            ok(m is not None and len(m.content) >= SIZE, "50 MiB authenticated: delivered whole",
               m and "%d bytes" % len(m.content))
            if m is not None:
                sigs = m.headers("DKIM-Signature")
                ok(len(sigs) == 1 and "d=sender.example" in sigs[0],
                   "50 MiB authenticated: signed", repr(sigs)[:300])
                path = lab.path("big-out.eml")
                with open(path, "wb") as f:
                    f.write(m.content)
                for name, verdict, detail in dkimcheck.all_verdicts(path, ns.port):
                    ok(verdict == "pass", "50 MiB authenticated: %s verifies" % name, detail)
                os.unlink(path)
            del m

            msg = w.sign_remote(w.message(frm="ann@remote.example", subject="fifty mebibytes in",
                                          mid="big-in@remote.example", body=body))
            del body
            t1 = time.time()
            r = postfix.swaks(pf.smtp_port, "bounce@remote.example", "bob@rcpt.example", data=msg,
                              xclient_addr=GOOD_CLIENT, timeout=300)
            del msg
            ok(r.accepted, "50 MiB inbound: accepted (%.1f s)" % (time.time() - t1), repr(r))
            m = sink.find("big-in@remote.example", 120)
            ours = mailworld.our_authres(m) if m is not None else []
            ok(len(ours) == 1 and ours[0].result("dkim") == "pass",
               "50 MiB inbound: dkim=pass", repr(ours))
            del m

            sampler.stop_flag = True
            sampler.join()
            grew = (sampler.peak_kb - base_kb) / 1024.0
            name = "vouchd's memory while 50 MiB messages pass: +%.1f MiB over %.1f MiB " \
                   "(limit +%d MiB)" % (grew, base_kb / 1024.0, LIMIT_MIB)
            if vtest.SANITIZED:
                skip(name, "built with ASan: memory figures are not vouchd's")
            else:
                ok(base_kb > 0 and grew <= LIMIT_MIB, name,
                   "peak %d KiB, after the small message %d KiB" % (sampler.peak_kb, base_kb))
            ok(v.running(), "vouchd still runs", v.log_tail())
print("# %.1f s" % (time.time() - t0))
done()
