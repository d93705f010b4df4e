#!/usr/bin/python3
"""The round trip of issue 8, receiver to owner: evaluations are recorded,
`vouch report generate` and `vouch report send` deliver the reports through
a private Postfix (its /usr/sbin/sendmail) to a Maildir, and `vouch report
ingest` of that Maildir gives back exactly the recorded counts per source
and result, for both report formats.

Recording goes through vouchd (its Record option) when this build's vouchd
has it; until then through `vouch verify --record`, the same library call
(vouch_recorder_add_verify) vouchd makes, and the vouchd half is a visible
skip.  Needs root (Postfix) and `vouch report ingest` (the owner side);
without either, a visible skip with the reason."""
import json
import os
import shutil
import subprocess
from collections import Counter

import _world
from _world import DAY1, DAY2, run, vouch
from vtest import ok, skip

import postfix

can, why = postfix.can_run()
rc, _, _ = vouch(["report", "ingest", "--help"])
if not can:
    skip("roundtrip: record, send through Postfix, ingest", why)
    _world.finish()
if rc != 0:
    skip("roundtrip: record, send through Postfix, ingest",
         "vouch report ingest is not in this build (the owner side, branch ingest)")
    _world.finish()
vouchd = os.environ.get("VOUCHD", "")
skip("roundtrip: recorded by vouchd in Postfix",
     "vouchd has no Record option in this build yet: recorded by vouch verify --record, "
     "the same vouch_recorder_add_verify call")

W = _world.World()
FROM = "dmarc-noreply@receiver.example"
SEL, KEY, _ = W.keys["receiver.example"]
TRAFFIC = [
    ("a@example.com", "example.com", "192.0.2.10", "bounce@example.com", 4),
    ("a@example.com", None, "203.0.113.5", "x@evil.example", 3),
    ("a@example.com", "example.com", "192.0.2.11", "", 2),
    ("a@example.com", None, "2001:db8::7", "x@evil.example", 1),
    ("t@testing.example", None, "203.0.113.5", "x@evil.example", 2),
]

for fmt in ("rfc9990", "rfc7489"):
    be = _world.Backend("sqlite")
    url = be.new_store("rt-" + fmt)
    t = DAY1 + 100
    for frm, signer, ip, mf, cnt in TRAFFIC:
        m = W.message(frm, subject="rt%d" % t, sign=signer, now=t)
        for i in range(cnt):
            W.record(url, m, ip, mf, t + i)
        t += 100
    want = Counter()
    for dom, ip, disp, dk, sp, cnt in be.sql(
            url, "SELECT policy_domain, source_ip, disposition, dkim_aligned, spf_aligned, "
                 "count(*) FROM evaluation GROUP BY 1, 2, 3, 4, 5"):
        if fmt == "rfc7489" and disp == "pass":
            disp = "none"
        want[(dom, ip, disp, dk, sp)] += int(cnt)
    run(["report", "generate", "--db", url, "--org-name", "Receiver Org", "--email", FROM,
         "--from", str(DAY1), "--to", str(DAY2)] + (["--rfc7489"] if fmt == "rfc7489" else []),
        "generate")
    with postfix.Lab("vouch-rt-") as lab:
        sink = lab.sink()
        pf = lab.postfix(relay=sink)
        pf.start()
        p = subprocess.run([os.path.abspath(_world.vtest.VOUCH), "report", "send", "--db", url,
                            "--sendmail", "/usr/sbin/sendmail", "--dkim-key", KEY,
                            "--dkim-domain", "receiver.example", "--selector", SEL, "--zone",
                            W.zone, "--now", str(DAY2 + 60)],
                           env=dict(os.environ, MAIL_CONFIG=pf.conf_dir), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=120)
        ok(p.returncode == 0 and p.stdout.startswith("3 sent"),
           "%s: three deliveries through Postfix" % fmt, p.stdout + p.stderr)
        sink.wait(3, timeout=60)
        maildir = os.path.join(_world.TMP, "rt-maildir-" + fmt)
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(maildir, sub))
        # the owner's mailbox: the copies sent to the policy domains' own
        # addresses (the authorized external copy is another owner's)
        n = 0
        for m in sink.messages():
            if any(r.endswith("@example.com") or r.endswith("@testing.example") for r in m.rcpt):
                n += 1
                with open(os.path.join(maildir, "new", "%d.rt" % n), "wb") as f:
                    f.write(m.content)
        ok(n == 2, "%s: two reports in the owner's Maildir" % fmt)
    rc, out, err = vouch(["report", "ingest", "--dry-run", "--json", "--no-progress", maildir])
    got = Counter()
    for line in out.decode().splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if "records" not in doc:
            continue
        for r in doc["records"]:
            got[(doc["policy_published"]["domain"], r["source_ip"], r["disposition"], r["dkim"],
                 r["spf"])] += r["count"]
    if fmt == "rfc7489":
        # the report wrote IPv6 in full: compare as addresses
        import ipaddress
        got = Counter({(k[0], str(ipaddress.ip_address(k[1])), *k[2:]): v for k, v in got.items()})
    ok(rc == 0 and got == want and sum(got.values()) == 12,
       "%s: ingest gives back exactly the recorded counts per source and result" % fmt,
       "rc %d got %r want %r %s" % (rc, dict(got), dict(want), err[-300:]))
_world.finish()
