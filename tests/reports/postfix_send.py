#!/usr/bin/python3
"""vouch report send through a real MTA: /usr/sbin/sendmail of a private
Postfix (tests/lib/postfix.py: its own configuration, queue and loopback
ports, MAIL_CONFIG naming it), relaying to an smtp-sink.  The reports
arrive whole, DKIM-signed, passing aligned DMARC at the far end, once per
destination; sending again sends nothing.  Postfix runs only as root:
elsewhere this is one visible skip."""
import gzip
import email
import email.policy
import json
import os
import subprocess

import _world
from _world import DAY1, DAY2, run
from vtest import ok, skip

import postfix

can, why = postfix.can_run()
if not can:
    skip("postfix_send: reports through /usr/sbin/sendmail and Postfix", why)
    _world.finish()

W = _world.World()
FROM = "dmarc-noreply@receiver.example"
SEL, KEY, _ = W.keys["receiver.example"]
be = _world.Backend("sqlite")
url = be.new_store("postfix")
for i, (signer, ip, mf) in enumerate([("example.com", "192.0.2.10", "bounce@example.com"),
                                      (None, "203.0.113.5", "x@evil.example")]):
    m = W.message("a@example.com", subject="pf%d" % i, sign=signer, now=DAY1 + 100 + i)
    W.record(url, m, ip, mf, DAY1 + 100 + i)
run(["report", "generate", "--db", url, "--org-name", "Receiver Org", "--email", FROM,
     "--from", str(DAY1), "--to", str(DAY2)], "generate")

with postfix.Lab("vouch-report-pf-") as lab:
    sink = lab.sink()
    pf = lab.postfix(relay=sink)
    pf.start()
    env = dict(os.environ, MAIL_CONFIG=pf.conf_dir)
    argv = [os.path.abspath(_world.vtest.VOUCH), "report", "send", "--db", url,
            "--sendmail", "/usr/sbin/sendmail", "--dkim-key", KEY, "--dkim-domain",
            "receiver.example", "--selector", SEL, "--zone", W.zone, "--now", str(DAY2 + 60)]
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=120)
    ok(p.returncode == 0 and p.stdout.startswith("2 sent"),
       "Postfix's sendmail accepts both reports", p.stdout + p.stderr)
    sink.wait(2, timeout=60)
    msgs = sink.messages()
    ok(len(msgs) == 2 and sorted(r for m in msgs for r in m.rcpt) ==
       ["agg@reports.example.net", "dmarc@example.com"] and all(m.mail_from == FROM for m in msgs),
       "Postfix relays one message per destination, from the report address",
       repr([(m.mail_from, m.rcpt) for m in msgs]) + pf.log_tail(1500))
    rl = _world.report_list(url)
    stored = _world.report_xml(url, rl[0]["report_id"]) if rl else b""
    for m in msgs:
        msg = email.message_from_bytes(m.content, policy=email.policy.compat32)
        parts = [q for q in msg.walk() if q.get_content_type() == "application/gzip"]
        ok(parts and gzip.decompress(parts[0].get_payload(decode=True)) == stored,
           "the report arrives whole through Postfix (%s)" % m.rcpt)
        path = os.path.join(lab.dir, "got.eml")
        with open(path, "wb") as f:
            f.write(m.content)
        rc, out, err = _world.vouch(["verify", "--zone", W.zone, "--ip", "127.0.0.1", "--helo",
                                     "mx.vouch.example", "--mail-from", FROM, "--now",
                                     str(DAY2 + 70), "--json", path])
        doc = json.loads(out) if rc == 0 else {}
        ok(doc.get("dmarc", {}).get("result") == "pass" and doc["dmarc"].get("dkim_aligned"),
           "after Postfix the report still passes aligned DMARC (%s)" % m.rcpt, err)
    p = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ok(p.stdout.startswith("0 sent") and sink.count() == 2, "sending again sends nothing",
       p.stdout)
_world.finish()
