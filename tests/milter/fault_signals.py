#!/usr/bin/python3
"""SIGHUP and SIGTERM under load (issue 11): reloads drop no connection and
leak nothing; SIGTERM drains the messages in flight.

vouchd signs (loopback is InternalHosts) behind a private Postfix; the load
is smtp-source, which stops at the first reply that is not 2xx, so a
dropped milter connection (Postfix then answers 4xx under
milter_default_action = tempfail) ends it with an error.

  100 SIGHUPs  spread over N messages sent 4 sessions at a time:
               smtp-source gets 2xx throughout, all N arrive signed, the
               maillog has no milter warning, vouchd keeps its processes,
               and vouchd's open file descriptors and resident memory (all
               its processes, /proc) end where they were after a warm-up
  reload works a new Selector/KeyFile after SIGHUP signs the next message
               (s=s2, verifies); a configuration that does not parse is
               refused on SIGHUP and the old one keeps signing (s=s2)
  SIGTERM      a session that has passed RCPT when vouchd gets SIGTERM still
               completes its message (250, signed); a new session is then
               deferred; vouchd exits with status 0

Root only (Postfix); otherwise the test reports itself skipped.
"""
import os
import signal
import smtplib
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _postfix_common import preflight, lacks, base_options, start_vouchd
import dkimcheck
import mailworld
import postfix
import procs
import vtest
from vtest import ok, skip, done

preflight("SIGHUP and SIGTERM under load")

WARM = 200
N = 2000
HUPS = 100
GAP = 0.025
FD_SLACK = 2
RSS_SLACK_KB = 4096


def sig_tag(sig, tag):
    for part in sig.replace(" ", "").split(";"):
        if part.startswith(tag + "="):
            return part[len(tag) + 1:]
    return None


def one_signed(pf, w, sink, subject):
    """Sends one message from 127.0.0.1; returns it as delivered or None."""
    mid = "%s.%d@sender.example" % (subject.replace(" ", "-"), time.time_ns())
    r = postfix.swaks(pf.smtp_port, "load@sender.example", "bob@rcpt.example",
                      data=w.message(frm="load@sender.example", subject=subject, mid=mid))
    if not r.accepted:
        return None
    return sink.find(mid, 20)


t0 = time.time()
with postfix.Lab("vouch-signals-") as lab:
    w = mailworld.World(lab.dir, ed25519=False)
    key_s2 = w.zone.dkim_key("sender.example", "s2")
    with w.zone.serve() as ns:
        ok(ns.ready, "nsd serves the test zone", ns.log_tail())
        sink = lab.sink()
        v = None if lacks("signals", ["Mode", "Domain", "PidFile"]) else start_vouchd(
            lab, "vouchd", base_options(w, ns.port))
        if v:
            # Short milter timeouts: a milter that stops answering costs
            # this test ten seconds, not Postfix's default five minutes.
            pf = lab.postfix(relay=sink, milters=[v.spec],
                             main={"milter_command_timeout": "10s",
                                   "milter_content_timeout": "10s"}).start()
            msg_file = lab.path("load.eml")
            with open(msg_file, "wb") as f:
                f.write(w.message(frm="Load <load@sender.example>", subject="hup load",
                                  body="x" * 60 + "\r\n" * 1 + ("line of text\r\n" * 300)))
            rc, out = postfix.smtp_source(pf.smtp_port, WARM, 4, msg_file)
            ok(rc == 0 and sink.wait(WARM, 30) == WARM, "warm-up: %d messages" % WARM,
               "exit %d %s; %d at the sink" % (rc, out[-300:], sink.count()))
            time.sleep(0.5)
            pid0 = v.pid
            fds0, rss0 = v.nfds(), v.rss_kb()

            src = postfix.smtp_source_start(pf.smtp_port, N, 4, msg_file,
                                            log=lab.path("smtp-source.log"))
            fds_peak, rss_peak, sent = fds0, rss0, 0
            # Wait until the load is under way, then one SIGHUP every GAP
            # seconds on a schedule (2.5 s in all; the load lasts several
            # times that even on a busy machine), sampling /proc every
            # fifth.
            procs.wait_until(lambda: sink.count() >= WARM + 50, 30, step=0.01)
            pids = v.pids()  # vouchd's processes (a reload keeps them)
            t1 = time.time()
            while sent < HUPS and src.poll() is None:
                v.hup()
                sent += 1
                if sent % 5 == 0:
                    fds_peak = max(fds_peak, sum(max(procs.nfds(p), 0) for p in pids))
                    rss_peak = max(rss_peak, sum(procs.status_kb(p, "VmRSS") for p in pids))
                time.sleep(max(0.0, t1 + sent * GAP - time.time()))
            during, hup_secs = sink.count(), time.time() - t1
            src.wait(timeout=300)
            with open(lab.path("smtp-source.log"), errors="replace") as f:
                src_out = f.read()
            ok(sent == HUPS, "%d SIGHUPs in %.1f s while smtp-source ran (%d messages delivered "
               "by then)" % (sent, hup_secs, during - WARM), "only %d before the load ended" % sent)
            ok(src.returncode == 0, "smtp-source got 2xx throughout (no connection dropped)",
               "exit %s: %s" % (src.returncode, src_out[-400:]))
            got = sink.wait(WARM + N, 60)
            ok(got == WARM + N, "all %d messages arrived" % N, "%d at the sink" % (got - WARM))
            unsigned = sum(1 for m in sink.messages() if not m.headers("DKIM-Signature"))
            ok(unsigned == 0, "every message is signed", "%d unsigned" % unsigned)
            warns = [l for l in pf.maillog().splitlines() if "milter" in l and
                     ("warning" in l or "error" in l)]
            ok(not warns, "no milter warning in the maillog", "\n".join(warns[:5]))
            ok(v.running() and v.pid == pid0 and sorted(v.pids()) == sorted(pids),
               "vouchd runs, the same processes", "%r then %r; %s" % (pids, v.pids(), v.log_tail()))
            time.sleep(1.0)
            fds1, rss1 = v.nfds(), v.rss_kb()
            ok(fds1 <= fds0 + FD_SLACK, "open fds flat: %d after warm-up, %d after (peak %d)"
               % (fds0, fds1, fds_peak))
            name = "RSS flat: %d KiB after warm-up, %d KiB after (peak %d)" % (rss0, rss1, rss_peak)
            if vtest.SANITIZED:
                skip(name, "built with ASan: memory figures are not vouchd's")
            else:
                ok(rss1 <= rss0 + RSS_SLACK_KB, name)

            # A reload takes effect: the new key signs.
            v.write_conf(Selector="s2", KeyFile=key_s2)
            v.hup()
            time.sleep(1.0)
            m = one_signed(pf, w, sink, "after reload")
            sig = m.headers("DKIM-Signature") if m else []
            ok(len(sig) == 1 and sig_tag(sig[0], "s") == "s2", "after SIGHUP the new key signs (s=s2)",
               "%r; %s" % (sig, v.log_tail(500)))
            if sig:
                path = lab.path("s2.eml")
                with open(path, "wb") as f:
                    f.write(m.content)
                verdict, detail = dkimcheck.vouch_dkim(path, ns.port)
                ok(verdict == "pass", "the s2 signature verifies", detail)
            # A broken configuration is refused; the running one stays.
            with open(v.conf_file, "a") as f:
                f.write("NoSuchOption yes\n")
            v.hup()
            time.sleep(1.0)
            ok(v.running(), "a configuration that does not parse: vouchd keeps running",
               v.log_tail(500))
            ok("nosuchoption" in v.log_tail(2000).lower(), "... and logs why (names the option)",
               v.log_tail(500))
            m = one_signed(pf, w, sink, "after bad reload")
            sig = m.headers("DKIM-Signature") if m else []
            ok(len(sig) == 1 and sig_tag(sig[0], "s") == "s2",
               "... and the old configuration still signs (s=s2)", repr(sig))

            # SIGTERM with a session in flight.
            c = smtplib.SMTP("127.0.0.1", pf.smtp_port, timeout=60)
            c.ehlo("drain.vouch.example")
            c.mail("load@sender.example")
            c.rcpt("bob@rcpt.example")
            v.term()
            time.sleep(0.5)
            mid = "drain.%d@sender.example" % time.time_ns()
            try:
                code, text = c.data(w.message(frm="load@sender.example", subject="drain", mid=mid))
                c.quit()
            except smtplib.SMTPResponseException as e:
                code, text = e.smtp_code, e.smtp_error
            except (OSError, smtplib.SMTPException) as e:
                code, text = 0, repr(e)
            warns = [l for l in pf.maillog().splitlines() if "milter" in l and "warning" in l]
            ok(code == 250, "SIGTERM: the message in flight completes (250)",
               "%s %s; %s" % (code, text, "\n".join(warns[-2:])))
            m = sink.find(mid, 20)
            ok(m is not None and len(m.headers("DKIM-Signature")) == 1,
               "SIGTERM: and it is signed", m and repr(m.headers("DKIM-Signature")))
            exited = procs.wait_until(lambda: v.proc.poll() is not None, 15)
            ok(exited and v.proc.returncode == 0, "SIGTERM: vouchd exits with status 0",
               "exit %s; %s" % (v.proc.poll(), v.log_tail(500)))
            # the socket's path is renamed <path>.stopping while draining;
            # a clean stop removes it
            sdir = os.path.dirname(v.sock_path)
            left = [n for n in os.listdir(sdir) if n.endswith(".stopping")]
            ok(exited and not left, "SIGTERM: no <socket>.stopping is left behind",
               "in %s: %s" % (sdir, left))
            r = postfix.swaks(pf.smtp_port, "load@sender.example", "bob@rcpt.example",
                              data=w.message(frm="load@sender.example", subject="after"))
            ok(r.code // 100 == 4, "SIGTERM: a new session is deferred (4xx), not passed unsigned",
               repr(r))
print("# %.1f s" % (time.time() - t0))
done()
