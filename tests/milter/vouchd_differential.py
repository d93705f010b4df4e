#!/usr/bin/python3
"""One verdict, whatever way the message arrives (issue 11 section 0), and
hostile input replayed through the milter.

For every message of every corpus of the test suite -- the cases of
../shared/cases (read unmodified), the real messages of examples/, and
every seed corpus and saved crash of tests/fuzz, whatever its parser
(any bytes are a message an MTA may hand over) -- with the same
envelope and the same DNS (the case's zone file):
  - whole-message verify (`vouch verify --header-only`),
  - the streamed session fed field by field with a chunked body
    (build/tests/verify_stream), and
  - vouchd's Authentication-Results, through the milter protocol
write byte-identical fields; and vouchd gives a verdict (never a crash,
never a dropped connection) on each, and is still running at the end.

The whole-message and streamed legs are given the message in the form
the milter sees it (header fields as an MTA splits them, CRLF line
ends): the three must agree on the same bytes.
"""
import json
import os
import shutil
import subprocess

import scratch
import vtest
from vtest import ok
from milterclient import require_vouchd, Vouchd, one_message, mta_form, MilterError

ID = "mx.test.example"
DEFAULT_ENV = {"ip": "192.0.2.10", "helo": "client.example", "mail_from": "sender@example.com"}
STREAM = os.path.join(vtest.BUILD, "tests", "verify_stream")

# The zone of tests/fuzz/fuzz_verify.c, for the fuzz corpora.
FUZZ_ZONE = """$ORIGIN .
$TTL 300
example.com. TXT "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all"
_spf.example.net. TXT "v=spf1 a:mx.example.net ~all"
mx.example.net. A 192.0.2.7
_dmarc.example.com. TXT "v=DMARC1; p=reject; adkim=s"
_dmarc.example.org. TXT "v=DMARC1; p=quarantine; sp=none; t=y"
ed._domainkey.example.com. TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
$TIMEOUT slow._domainkey.example.com.
"""


def groups(tmp):
    """[(zone, authserv-id, [(name, path, envelope)])]"""
    out = []
    cases = vtest.shared("cases")
    for area in sorted(os.listdir(cases)):
        adir = os.path.join(cases, area)
        if not os.path.isdir(adir) or area in ("spf", "reports"):
            continue
        for case in sorted(os.listdir(adir)):
            d = os.path.join(adir, case)
            try:
                inp = json.load(open(os.path.join(d, "expected.json"))).get("input", {})
            except (OSError, ValueError):
                inp = {}
            msg = os.path.join(d, inp.get("message", "message.eml"))
            zone = os.path.join(d, inp.get("zone", "zone.db"))
            if not os.path.exists(msg) or not os.path.exists(zone):
                continue
            env = dict(DEFAULT_ENV)
            env.update({k: inp[k] for k in ("ip", "helo", "mail_from") if isinstance(inp.get(k), str)})
            out.append((zone, inp.get("authserv_id", ID), [("cases/%s/%s" % (area, case), msg, env)]))
    ex = os.path.join(vtest.ROOT, "examples")
    out.append((os.path.join(ex, "zone.db"), ID,
                [("examples/" + f, os.path.join(ex, f), DEFAULT_ENV)
                 for f in sorted(os.listdir(ex)) if f.endswith(".eml")]))
    # made here: a header section over the library's limits (1 MiB and
    # 1000 fields, limits.h) and a body of 2 MiB, from the examples' zone
    gen = []
    big = os.path.join(tmp, "big-header.eml")
    with open(big, "wb") as f:
        f.write(b"From: a@vouch.example\r\n" + b"".join(
            b"X-Filler-%d: %s\r\n" % (i, b"y" * 900) for i in range(1200)) + b"\r\nbody\r\n")
    gen.append(("generated/header-over-limits", big, DEFAULT_ENV))
    body = os.path.join(tmp, "big-body.eml")
    with open(os.path.join(ex, "vouch-signed.eml"), "rb") as f, open(body, "wb") as g:
        g.write(f.read() + b"tail line\r\n" * 200000)
    gen.append(("generated/body-2MiB", body, DEFAULT_ENV))
    out.append((os.path.join(ex, "zone.db"), ID, gen))
    fz = os.path.join(tmp, "fuzz.zone")
    with open(fz, "w") as f:
        f.write(FUZZ_ZONE)
    items = []
    for sub in ("corpus", "crashes"):
        base = os.path.join(vtest.ROOT, "tests", "fuzz", sub)
        for target in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            d = os.path.join(base, target)
            if os.path.isdir(d):
                items += [("fuzz/%s/%s/%s" % (sub, target, f), os.path.join(d, f), DEFAULT_ENV)
                          for f in sorted(os.listdir(d))]
    out.append((fz, "mx.receiver.example", items))
    return out


def whole(zone, ident, env, path):
    p = subprocess.run([vtest.VOUCH, "verify", "--header-only", "--zone", zone, "--authserv-id", ident,
                        "--ip", env["ip"], "--helo", env["helo"], "--mail-from", env["mail_from"], path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def streamed(zone, ident, env, path, chunk):
    p = subprocess.run([STREAM, zone, ident, env["ip"], env["helo"], env["mail_from"], str(chunk), path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout


def main():
    require_vouchd(vtest)
    tmp = scratch.mkdtemp("vouchd-diff-")
    total = 0
    for zone, ident, items in groups(tmp):
        if not items:
            continue
        try:
            d = Vouchd(["ZoneFile " + zone, "AuthservID " + ident, "Mode v"])
        except MilterError as e:
            ok(False, "vouchd starts with zone %s" % zone, str(e))
            continue
        try:
            for name, path, env in items:
                total += 1
                raw = open(path, "rb").read()
                wire = mta_form(raw)
                wpath = os.path.join(tmp, "wire.eml")
                with open(wpath, "wb") as f:
                    f.write(wire)
                try:
                    res, _ = one_message(d.address, raw, ip=env["ip"], helo=env["helo"],
                                         mail_from=env["mail_from"], chunk=4096)
                except (MilterError, OSError) as e:
                    ok(False, "%s: vouchd gives a verdict" % name, str(e))
                    continue
                ok(res.action in ("accept", "reject", "tempfail"),
                   "%s: vouchd gives a verdict (%s)" % (name, res.action))
                got = res.field("Authentication-Results")
                rc, w, err = whole(zone, ident, env, wpath)
                src, s = streamed(zone, ident, env, wpath, 7)
                w, s = w.decode("latin-1"), s.decode("latin-1")
                ok(rc == 0 and src == 0 and got is not None and got == w == s,
                   "%s: whole, streamed and vouchd write the same Authentication-Results" % name,
                   "whole(rc %d)=%r\nstreamed(rc %d)=%r\nvouchd=%r %s" % (rc, w[:400], src, s[:400],
                                                                      (got or "")[:400], err[:200]))
        finally:
            alive = d.proc.poll() is None
            status = d.stop()
            ok(alive and status == 0, "vouchd with %s: still running after its messages, stops cleanly"
               % os.path.relpath(zone, vtest.ROOT if zone.startswith(vtest.ROOT) else tmp),
               "alive %s, exit %r: %s" % (alive, status, d.read_log()[-600:]))
    ok(total >= 40, "corpora replayed: %d messages" % total)
    shutil.rmtree(tmp, ignore_errors=True)
    vtest.done()


main()
