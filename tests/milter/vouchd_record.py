#!/usr/bin/python3
"""vouchd's reporting options through the milter protocol (no root): Record
(what goes into the report store: source IP, envelope_to, the disposition
vouchd applied and its override reasons, DryRun; committed at SIGTERM and
at SIGHUP, never twice), the negotiation (the RCPT step only with Record),
the metrics, vouchd -t on the store, the fail-closed decisions
(UnsafeFromDisposition, the reason in the log line and the record;
RejectMultiValueFrom and the strictest-policy evaluation), and
FailureReports (off by default; an ARF report per ruf= destination, read
with Python's email package, DKIM-signed by the signer process and
verified by vouch dkim verify; the queue directory, a permanent refusal,
the rate limit, psd=y).  Reports are handed to a capturing program in
FailureReportSendmail's place; tests/milter/postfix_record.py sends them
through a real Postfix.
"""
import email
import email.policy
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import time
import urllib.request

import vtest
from vtest import ok
from milterclient import (ProtocolLab, Vouchd, one_message, MilterError, message as msg,
                          send, vouchd_binary as vouchd, P_NORCPT, P_NR_RCPT)
from nsd import free_port

ZONE_TEXT = """$ORIGIN .
$TTL 300
example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:agg@example.com; ruf=mailto:ruf@example.com; fo=1"
quar.example. TXT "v=spf1 -all"
_dmarc.quar.example. TXT "v=DMARC1; p=quarantine; rua=mailto:agg@quar.example"
none.example. TXT "v=spf1 -all"
_dmarc.none.example. TXT "v=DMARC1; p=none; rua=mailto:agg@none.example"
psd.example. TXT "v=spf1 -all"
_dmarc.psd.example. TXT "v=DMARC1; p=reject; psd=y; rua=mailto:agg@psd.example; ruf=mailto:ruf@psd.example; fo=1"
other.example. TXT "v=spf1 -all"
"""

LAB = ProtocolLab(vtest, "vouchd-record-", ZONE_TEXT)
ID, TMP, ZONE = LAB.ID, LAB.tmp, LAB.zone
KEY = ARC_KEY = None

GOOD, BAD = "192.0.2.10", "198.51.100.9"


def new_store(name):
    db = os.path.join(TMP, name + ".db")
    rc, out, err = vtest.vouch(["store", "init", "--db", db])
    if rc != 0:
        raise MilterError("vouch store init: " + err)
    return db


def rows(db):
    """The evaluations recorded: dicts of the columns that matter here."""
    c = sqlite3.connect(db)
    try:
        cur = c.execute("SELECT source_ip, header_from, envelope_from, envelope_to, dmarc_result, "
                        "disposition, reasons, policy_domain FROM evaluation ORDER BY rowid")
        keys = [d[0] for d in cur.description]
        return [dict(zip(keys, r)) for r in cur.fetchall()]
    finally:
        c.close()


def recorder(db, extra=()):
    return LAB.vouchd(["Mode v", "Record yes", "RecordDB " + db] + list(extra))


# ---- Record ---------------------------------------------------------------

def test_negotiation():
    db = new_store("neg")
    with recorder(db) as d:
        res, proto = one_message(d.address, msg(), ip=GOOD, mail_from="alice@example.com")
        ok(not proto & P_NORCPT and proto & P_NR_RCPT,
           "Record yes: the RCPT step is asked for (envelope_to), without a reply", "0x%x" % proto)
    with LAB.vouchd(["Mode v"]) as d:
        res, proto = one_message(d.address, msg(), ip=GOOD, mail_from="alice@example.com")
        ok(proto & P_NORCPT, "Record no (the default): RCPT stays negotiated away", "0x%x" % proto)


def test_record_rows():
    db = new_store("rows")
    # a batch larger than the test and an hour long: only the flush at
    # SIGTERM commits
    d = recorder(db, ["RecordBatchRows 1000", "RecordBatchTime 3600000"])
    try:
        send(d, msg(), rcpts=("bob@Rcpt.Example.NET", "carol@second.example"))
        send(d, msg(frm="ceo@example.com"), ip=BAD, mail_from="x@other.example")
        send(d, msg(frm="a@quar.example"), ip=BAD, mail_from="x@other.example")
        send(d, msg(frm="a@none.example"), ip="2001:db8::7", mail_from="")
        send(d, msg(frm="a@other.example"), ip=BAD, mail_from="x@other.example")
        ok(rows(db) == [], "Record: nothing committed yet (RecordBatchTime 1 h, 1000 rows)")
    finally:
        rc = d.stop()
    r = rows(db)
    ok(rc == 0 and len(r) == 4,
       "SIGTERM: the batch is committed before vouchd exits: 4 rows (no row for a domain "
       "without a DMARC record)", "exit %r, %r" % (rc, r))
    if len(r) != 4:
        return
    ok(r[0]["source_ip"] == GOOD and r[0]["envelope_to"] == "rcpt.example.net" and
       r[0]["envelope_from"] == "example.com" and r[0]["header_from"] == "example.com" and
       r[0]["dmarc_result"] == "pass" and r[0]["disposition"] == "pass",
       "pass under p=reject: source IP, envelope_to of the first RCPT (lower case), "
       "envelope_from, header_from, disposition pass (RFC 9990)", repr(r[0]))
    ok(r[1]["source_ip"] == BAD and r[1]["dmarc_result"] == "fail" and
       r[1]["disposition"] == "quarantine" and r[1]["reasons"].startswith("local_policy ") and
       "9989" in r[1]["reasons"],
       "p=reject failure, not rejected (RFC 9989 7.4): recorded as quarantine with reason "
       "local_policy, saying why", repr(r[1]))
    ok(r[2]["disposition"] == "quarantine" and r[2]["reasons"] == "",
       "p=quarantine failure: quarantine, no override", repr(r[2]))
    ok(r[3]["source_ip"] == "2001:db8::7" and r[3]["envelope_from"] == "" and
       r[3]["disposition"] == "none",
       "p=none, IPv6 client, null MAIL FROM: recorded as such", repr(r[3]))


def test_record_overrides():
    db = new_store("ovr")
    with recorder(db, ["RejectFailures yes", "TrustedForwarders 203.0.113.0/24"]) as d:
        res = send(d, msg(frm="ceo@example.com", extra="List-Id: <talk.lists.example>\r\n"),
                   ip=BAD, mail_from="x@other.example")
        ok(res.quarantine is not None, "RejectFailures, List-Id: quarantined, not rejected")
        res = send(d, msg(frm="ceo@example.com"), ip="203.0.113.5", mail_from="x@other.example")
        res = send(d, msg(frm="ceo@example.com"), ip=BAD, mail_from="x@other.example")
        ok(res.action == "reject", "RejectFailures: the p=reject failure is rejected")
    r = rows(db)
    ok(len(r) == 3 and r[0]["disposition"] == "quarantine" and
       r[0]["reasons"].startswith("mailing_list"),
       "recorded: the List-Id message as quarantine, reason mailing_list", repr(r[:1]))
    ok(len(r) == 3 and r[1]["disposition"] == "none" and
       r[1]["reasons"].startswith("trusted_forwarder") and "203.0.113.5" in r[1]["reasons"],
       "recorded: the trusted forwarder's message as none, reason trusted_forwarder naming it",
       repr(r[1:2]))
    ok(len(r) == 3 and r[2]["disposition"] == "reject" and r[2]["reasons"] == "",
       "recorded: the rejected message as reject", repr(r[2:]))


def test_record_dryrun():
    db = new_store("dry")
    with recorder(db, ["RejectFailures yes", "DryRun yes"]) as d:
        res = send(d, msg(frm="ceo@example.com"), ip=BAD, mail_from="x@other.example")
        ok(res.action == "accept" and not res.inserted and res.quarantine is None,
           "DryRun with Record: the message is not changed")
        ok("action=reject" in d.last_log() and "dryrun=yes" in d.last_log(),
           "DryRun: the log says reject would have been done", d.last_log())
    r = rows(db)
    ok(len(r) == 1 and r[0]["dmarc_result"] == "fail" and r[0]["disposition"] == "none" and
       r[0]["reasons"].startswith("local_policy DryRun") and "reject" in r[0]["reasons"],
       "DryRun: recorded all the same, as what was applied (none), the reason saying what "
       "would have been done", repr(r))


def test_record_reload():
    db = new_store("hup")
    d = recorder(db, ["RecordBatchRows 1000", "RecordBatchTime 3600000"])
    try:
        for i in range(3):
            send(d, msg(frm="ceo@example.com", mid="h%d@example.com" % i), ip=BAD,
                 mail_from="x@other.example")
        d.hup()
        t0 = time.time()
        while time.time() - t0 < 10 and not d.log_lines("configuration reloaded"):
            time.sleep(0.05)
        n_hup = len(rows(db))
        for i in range(2):
            send(d, msg(frm="ceo@example.com", mid="g%d@example.com" % i), ip=BAD,
                 mail_from="x@other.example")
    finally:
        d.stop()
    ok(n_hup == 3, "SIGHUP: the rows queued so far are committed at the reload", "%d rows" % n_hup)
    ok(len(rows(db)) == 5, "after the reload and SIGTERM: 5 messages, 5 rows (none lost, none "
       "twice)", "%d rows" % len(rows(db)))


def test_record_arc_override():
    """A DMARC failure lifted by a trusted ARC sealer: recorded as none with
    local_policy and the ARC comment of RFC 8617 7.2.2."""
    from milterclient import apply_mods
    with Vouchd(["ZoneFile " + ZONE, "AuthservID mx.forwarder.example", "Mode v",
                 "ARCSealDomain forwarder.example", "ARCSealSelector arc1",
                 "ARCSealKeyFile " + ARC_KEY]) as d:
        m = msg(mid="arc1@example.com")
        sealed = apply_mods(m, send(d, m))
    db = new_store("arc")
    with recorder(db, ["TrustedARCSealers forwarder.example", "RejectFailures yes"]) as d:
        res = send(d, sealed, ip=BAD, mail_from="list@forwarder.example")
        line = d.last_log()
    r = rows(db)
    ok(res.action == "accept" and res.quarantine is None and "dmarc=fail" in line and
       "override=local_policy" in line and "arc=pass" in line,
       "forwarded (SPF fails now), sealed by a trusted sealer: delivered, override local_policy",
       line)
    ok(len(r) == 1 and r[0]["dmarc_result"] == "fail" and r[0]["disposition"] == "none" and
       r[0]["reasons"].startswith("local_policy arc=pass") and "forwarder.example" in r[0]["reasons"],
       "recorded: fail, disposition none, local_policy with the ARC comment (RFC 8617 7.2.2)",
       repr(r))


def test_record_postgresql():
    """RecordDB postgresql://: the store of several mail hosts."""
    import pg
    why = pg.available()
    if why is not None:
        vtest.skip("Record into PostgreSQL", why)
        return
    with pg.Server() as srv:
        url = srv.new_db("vouchd_record")
        rc, out, err = vtest.vouch(["store", "init", "--db", url])
        ok(rc == 0, "vouch store init on PostgreSQL", err)
        with recorder(url) as d:
            send(d, msg(), rcpts=("bob@pg.example",))
            send(d, msg(frm="ceo@example.com"), ip=BAD, mail_from="x@other.example")
        got = sorted(srv.psql("vouchd_record", "SELECT source_ip, envelope_to, disposition "
                                               "FROM evaluation"))
        ok(got == sorted([[BAD, "example.net", "quarantine"], [GOOD, "pg.example", "pass"]]),
           "RecordDB postgresql://...: both evaluations committed there at SIGTERM", repr(got))


def test_record_metrics():
    db = new_store("met")
    port = free_port()
    with recorder(db, ["MetricsListen 127.0.0.1:%d" % port, "RecordBatchRows 1"]) as d:
        send(d, msg(frm="ceo@example.com"), ip=BAD, mail_from="x@other.example")
        send(d, msg())
        text = ""
        t0 = time.time()
        while time.time() - t0 < 10:
            try:
                text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                              timeout=10).read().decode()
            except OSError as e:
                text = str(e)
            if 'vouchd_record_rows_total{state="committed"} 2' in text:
                break
            time.sleep(0.05)
        ok('vouchd_record_rows_total{state="committed"} 2' in text and
           'vouchd_record_rows_total{state="dropped"} 0' in text and
           "vouchd_record_commit_failures_total 0" in text and
           'vouchd_record_rows_total{state="queued"} 2' in text,
           "metrics: recorded rows (queued, committed), dropped rows, commit failures", text[:1200])


def test_record_check():
    missing = os.path.join(TMP, "missing.db")
    conf = os.path.join(TMP, "rec.conf")
    with open(conf, "w") as f:
        f.write("Socket unix:%s/x.sock\nMode v\nRecord yes\nRecordDB %s\n" % (TMP, missing))
    p = subprocess.run([vouchd(), "-t", "-c", conf], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    ok(p.returncode != 0 and missing in p.stderr.decode() and "vouch store init" in p.stderr.decode(),
       "vouchd -t: a RecordDB that does not exist is an error saying how to make it",
       p.stderr.decode())
    empty = os.path.join(TMP, "empty.db")
    sqlite3.connect(empty).close()
    with open(conf, "w") as f:
        f.write("Socket unix:%s/x.sock\nMode v\nRecord yes\nRecordDB sqlite:%s\n" % (TMP, empty))
    p = subprocess.run([vouchd(), "-t", "-c", conf], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    ok(p.returncode != 0 and "migrate" in p.stderr.decode(),
       "vouchd -t: a store without the receiver tables is an error (vouch store migrate)",
       p.stderr.decode())
    db = new_store("check")
    with open(conf, "w") as f:
        f.write("Socket unix:%s/x.sock\nMode v\nRecord yes\nRecordDB %s\n" % (TMP, db))
    p = subprocess.run([vouchd(), "-t", "-c", conf], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    ok(p.returncode == 0, "vouchd -t: a migrated store passes", p.stderr.decode())
    try:
        Vouchd(["ZoneFile " + ZONE, "Mode v", "Record yes", "RecordDB " + missing]).stop()
        ok(False, "vouchd does not start with a RecordDB it cannot use")
    except MilterError as e:
        ok(missing in str(e), "vouchd does not start with a RecordDB it cannot use, naming it",
           str(e)[-300:])


# ---- fail closed ----------------------------------------------------------

def test_unsafe_from():
    db = new_store("unsafe")
    two = msg(extra="From: Mallory <m@example.com>\r\n")
    with recorder(db) as d:
        res = send(d, two)
        line = d.last_log()
        ok(res.action == "accept" and res.quarantine is not None and "several-from" in res.quarantine,
           "two From fields (SPF aligned for both): quarantined by default "
           "(UnsafeFromDisposition quarantine), the reason given", "%s %r" % (res.action, res.quarantine))
        ok('unsafe=several-from' in line and 'unsafe_reason="2 From fields' in line and
           "override=local_policy" in line and "dmarc=permerror" in line,
           "log: unsafe=several-from, unsafe_reason, override local_policy, no pass", line)
        res = send(d, msg(frm="a@example.com\u200b"))
        ok(res.quarantine is not None and "from-hidden-characters" in (res.quarantine or ""),
           "a From with U+200B: quarantined (from-hidden-characters)", repr(res.quarantine))
    r = rows(db)
    ok(len(r) == 2 and r[0]["dmarc_result"] == "permerror" and r[0]["disposition"] == "quarantine" and
       r[0]["reasons"].startswith("local_policy") and "From%20fields" in r[0]["reasons"],
       "recorded: permerror, quarantine, local_policy with the unsafe reason", repr(r[:1]))
    with LAB.vouchd(["Mode v",
                     "UnsafeFromDisposition reject"]) as d:
        res = send(d, two)
        ok(res.action == "reject" and res.reply and res.reply.startswith("550 5.7.1 ") and
           "several-from" in res.reply,
           "UnsafeFromDisposition reject: 550 5.7.1 with the reason", repr(res.reply))
    with LAB.vouchd(["Mode v",
                     "UnsafeFromDisposition none"]) as d:
        res = send(d, two)
        field = res.field("Authentication-Results") or ""
        ok(res.action == "accept" and res.quarantine is None and "dmarc=permerror" in field,
           "UnsafeFromDisposition none: delivered, but never as a pass (dmarc=permerror)",
           "%s %r %s" % (res.action, res.quarantine, field))


def test_multi_from():
    with LAB.vouchd(["Mode v"]) as d:
        res = send(d, msg(frm="a@example.com, b@quar.example"))
        line = d.last_log()
        ok(res.quarantine is not None and "from_domain=quar.example" in line and
           "dmarc=fail" in line and "unsafe=" not in line,
           "RejectMultiValueFrom no: each author domain is evaluated, the strictest failing "
           "policy applies (RFC 9989 11.5): example.com passes, quar.example fails -> quarantine",
           line)
    with LAB.vouchd(["Mode v", "RejectMultiValueFrom yes"]) as d:
        res = send(d, msg(frm="a@example.com, b@quar.example"))
        ok(res.action == "reject", "RejectMultiValueFrom yes: the same message is rejected")


# ---- failure reports ------------------------------------------------------

CAPTURE = r'''#!/usr/bin/python3
import os, sys, time
out = %r
code = 0
try:
    code = int(open(os.path.join(out, "exit-code")).read())
except (OSError, ValueError):
    pass
if code == 0:
    name = os.path.join(out, "%%d.%%d" %% (time.time_ns(), os.getpid()))
    with open(name + ".tmp", "wb") as f:
        f.write(repr({"argv": sys.argv[1:], "env": dict(os.environ)}).encode() + b"\n")
        f.write(sys.stdin.buffer.read())
    os.rename(name + ".tmp", name + ".eml")
sys.exit(code)
'''


def capture_sendmail(name):
    out = os.path.join(TMP, name)
    os.makedirs(out)
    prog = os.path.join(TMP, name + ".sendmail")
    with open(prog, "w") as f:
        f.write(CAPTURE % out)
    os.chmod(prog, 0o755)
    return prog, out


def captured(out, n, timeout=15):
    t0 = time.time()
    while time.time() - t0 < timeout:
        files = sorted(f for f in os.listdir(out) if f.endswith(".eml"))
        if len(files) >= n:
            break
        time.sleep(0.05)
    got = []
    for f in sorted(x for x in os.listdir(out) if x.endswith(".eml")):
        with open(os.path.join(out, f), "rb") as fp:
            head, data = fp.read().split(b"\n", 1)
        got.append((eval(head.decode()), data))
    return got


def reporter(prog, queue, extra=()):
    return LAB.vouchd(["Mode sv", "Domain example.com",
                       "Selector ed1", "KeyFile " + KEY, "FailureReports yes",
                   "FailureReportFrom dmarc-reports@example.com", "FailureReportSendmail " + prog,
                   "FailureReportQueue " + queue] + list(extra))


def test_failure_reports():
    prog, out = capture_sendmail("cap1")
    queue = os.path.join(TMP, "queue1")
    os.makedirs(queue)
    os.environ["MAIL_CONFIG"] = "/etc/postfix-test-instance"
    try:
        d = reporter(prog, queue)
    finally:
        del os.environ["MAIL_CONFIG"]
    # signed by example.com, then changed: DKIM fails for an aligned d=;
    # SPF fails for the aligned MAIL FROM domain
    m = msg(frm="Chief <ceo@example.com>", mid="fail1@example.com", body="Original text.\r\n")
    p = subprocess.run([vtest.VOUCH, "dkim", "sign", "-d", "example.com", "-s", "ed1", "-k", KEY],
                       input=m, stdout=subprocess.PIPE, check=True)
    m = p.stdout.replace(b"Original text.", b"Changed text!!")
    try:
        res = send(d, m, ip=BAD, mail_from="bounce@example.com")
        got = captured(out, 1)
    finally:
        d.stop()
    ok(res.quarantine is not None, "the failing message itself is quarantined as before")
    ok(len(got) == 1, "one failure report for one ruf= destination", "%d captured; %s" %
       (len(got), d.read_log()[-600:]))
    if not got:
        return
    meta, data = got[0]
    ok(meta["argv"][:5] == ["-oi", "-f", "dmarc-reports@example.com", "--", "ruf@example.com"] and
       len(meta["argv"]) == 5,
       "sendmail -oi -f FailureReportFrom -- the ruf= address (execve, no shell)", repr(meta["argv"]))
    ok(meta["env"].get("MAIL_CONFIG") == "/etc/postfix-test-instance" and
       set(meta["env"]) <= {"PATH", "MAIL_CONFIG", "PWD", "SHLVL", "_", "LC_CTYPE"},
       "a clean environment, MAIL_CONFIG passed on (a Postfix instance)", repr(meta["env"]))
    m = email.message_from_bytes(data.replace(b"\n", b"\r\n"), policy=email.policy.default)
    ok(m.get_content_type() == "multipart/report" and
       m.get_param("report-type") == "feedback-report",
       "multipart/report; report-type=feedback-report (RFC 6591)", m.get("Content-Type", ""))
    parts = list(m.iter_parts())
    fb = None
    for p in parts:
        if p.get_content_type() == "message/feedback-report":
            fb = p
    fields = {}
    if fb is not None:
        raw = fb.get_payload(decode=False)
        raw = raw if isinstance(raw, str) else (raw[0].as_string() if raw else "")
        for line in raw.replace("\r\n", "\n").split("\n"):
            if ":" in line and not line.startswith((" ", "\t")):
                k, v = line.split(":", 1)
                fields.setdefault(k.strip().lower(), v.strip())
    ok(fields.get("feedback-type") == "auth-failure" and fields.get("auth-failure") == "dmarc" and
       fields.get("identity-alignment") == "dkim, spf" and fields.get("source-ip") == BAD and
       fields.get("reported-domain") == "example.com" and "version" in fields,
       "the feedback report: Feedback-Type auth-failure, Auth-Failure dmarc, Identity-Alignment "
       "dkim, spf, Source-IP, Reported-Domain", repr(fields))
    ok(fields.get("dkim-domain") == "example.com" and fields.get("dkim-selector") == "ed1" and
       fields.get("dkim-identity", "").endswith("example.com") and
       fields.get("spf-dns", "").startswith("txt : example.com") and
       "v=spf1" in fields.get("spf-dns", "") and
       fields.get("original-mail-from", "").endswith("@example.com>") and
       fields.get("delivery-result") == "policy" and "authentication-results" in fields,
       "DKIM-Domain, DKIM-Selector, DKIM-Identity of the failed aligned signature, SPF-DNS of "
       "the aligned SPF failure, Original-Mail-From, Authentication-Results, Delivery-Result "
       "policy (held in quarantine)", repr(fields))
    ok(m["From"] == "dmarc-reports@example.com" and m["To"] == "ruf@example.com" and
       m["Auto-Submitted"] == "auto-generated",
       "From FailureReportFrom, To the ruf= address, Auto-Submitted", "%s %s" % (m["From"], m["To"]))
    ok(b"ceo@example.com" not in data.split(b"\n\n", 1)[1] and b"@example.com" in data,
       "local-parts redacted (hash, the default); domains kept", "")
    path = os.path.join(TMP, "report.eml")
    with open(path, "wb") as f:
        f.write(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    rc, o, err = vtest.vouch(["dkim", "verify", "--json", "--zone", ZONE, path])
    try:
        j = json.loads(o.decode())
    except ValueError:
        j = None
    sigs = (j or {}).get("signatures") or []
    ok(sigs and sigs[0].get("result") == "pass" and sigs[0].get("d") == "example.com",
       "the report is DKIM-signed d=example.com through the signer process and verifies "
       "(vouch dkim verify), aligned with its From (RFC 9991 5.1)", o.decode()[:400] + err)
    ok(not os.listdir(os.path.join(queue, "new")) and not os.listdir(os.path.join(queue, "tmp")),
       "the queue is empty once the report is delivered")
    ok(os.path.exists(os.path.join(queue, "rate-state")),
       "the rate limiter's state is kept in the queue directory at stop")


def test_failure_reports_off():
    prog, out = capture_sendmail("cap-off")
    queue = os.path.join(TMP, "queue-off")
    os.makedirs(queue)
    with LAB.vouchd(["Mode v", "FailureReportFrom x@example.com",
                     "FailureReportSendmail " + prog, "FailureReportQueue " + queue]) as d:
        send(d, msg(frm="ceo@example.com"), ip=BAD, mail_from="x@other.example")
        time.sleep(0.5)
    ok(not captured(out, 0, timeout=0) and not os.listdir(queue),
       "FailureReports not set (off by default): no report, nothing queued")


def test_failure_psd_and_rate():
    prog, out = capture_sendmail("cap-rate")
    queue = os.path.join(TMP, "queue-rate")
    os.makedirs(queue)
    port = free_port()
    with reporter(prog, queue, ["FailureReportRate 2/h", "MetricsListen 127.0.0.1:%d" % port,
                                "FailureReportRedact token", "FailureReportRedactToken anon"]) as d:
        send(d, msg(frm="a@psd.example"), ip=BAD, mail_from="x@other.example")
        for i in range(4):
            send(d, msg(frm="ceo@example.com", mid="r%d@example.com" % i), ip=BAD,
                 mail_from="x@other.example")
        got = captured(out, 2)
        time.sleep(0.5)
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
    got = captured(out, 2, timeout=0)
    ok(len(got) == 2 and all(g[0]["argv"][-1] == "ruf@example.com" for g in got),
       "FailureReportRate 2/h: two reports to ruf@example.com of four failures; none to the "
       "ruf= of a psd=y record (RFC 9991 2)", repr([g[0]["argv"] for g in got]))
    ok(len(got) == 2 and b"From: anon@example.com" in got[0][1] and b"ceo@" not in got[0][1],
       "FailureReportRedact token: each local-part becomes the token", "")
    ok("vouchd_failure_reports_rate_limited_total 2" in text and
       "vouchd_failure_reports_sent_total 2" in text,
       "metrics: reports sent and rate-limited", text[-800:])


def test_failure_refused():
    prog, out = capture_sendmail("cap-refuse")
    with open(os.path.join(out, "exit-code"), "w") as f:
        f.write("67")  # EX_NOUSER: permanent
    queue = os.path.join(TMP, "queue-refuse")
    os.makedirs(queue)
    with reporter(prog, queue) as d:
        res = send(d, msg(frm="ceo@example.com"), ip=BAD, mail_from="x@other.example")
        t0 = time.time()
        while time.time() - t0 < 10 and not os.listdir(os.path.join(queue, "failed")):
            time.sleep(0.05)
        ok(res.quarantine is not None and res.action == "accept",
           "a report that cannot be sent changes nothing for the message")
    failed = os.listdir(os.path.join(queue, "failed"))
    ok(len(failed) == 1 and not os.listdir(os.path.join(queue, "new")),
       "sendmail refusing for good (exit 67): the report moves to failed/ for the operator",
       repr(failed))
    with open(os.path.join(out, "exit-code"), "w") as f:
        f.write("75")  # EX_TEMPFAIL
    queue2 = os.path.join(TMP, "queue-defer")
    os.makedirs(queue2)
    with reporter(prog, queue2) as d:
        send(d, msg(frm="ceo@example.com"), ip=BAD, mail_from="x@other.example")
        t0 = time.time()
        while time.time() - t0 < 10 and "deferred" not in d.read_log():
            time.sleep(0.05)
        waiting = os.listdir(os.path.join(queue2, "new"))
    ok(len(waiting) == 1 and "deferred" in d.read_log(),
       "a temporary refusal (exit 75): the report stays queued for the next try", repr(waiting))
    modes = [stat.S_IMODE(os.stat(os.path.join(queue2, "new", w)).st_mode) for w in waiting]
    ok(modes == [0o600], "a queued report is private to UserID (mode 0600)",
       repr([oct(m) for m in modes]))
    os.unlink(os.path.join(out, "exit-code"))
    with reporter(prog, queue2) as d:
        got = captured(out, 1)
    ok(len(got) == 1 and not os.listdir(os.path.join(queue2, "new")),
       "queued reports survive a restart and go out (the deferred one, once due)",
       "%d captured" % len(got))


def test_failure_conf():
    conf = os.path.join(TMP, "f.conf")
    cases = (("FailureReports yes\n", "FailureReportFrom"),
             ("FailureReports yes\nFailureReportFrom x@example.com\nFailureReportRate 0/h\n",
              "FailureReportRate"),
             ("FailureReportRate ten\n", "FailureReportRate"),
             ("FailureReportKinds dmarc, arc\n", "FailureReportKinds"),
             ("FailureReportSMTP smtp://relay\nFailureReportSendmail /usr/sbin/sendmail\n",
              "exclude each other"),
             ("FailureReportQueue spool\n", "absolute path"),
             ("RecordBatchRows 0\n", "RecordBatchRows"),
             ("UnsafeFromDisposition maybe\n", "UnsafeFromDisposition"))
    for text, want in cases:
        with open(conf, "w") as f:
            f.write(text)
        p = subprocess.run([vouchd(), "-t", "-c", conf], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        ok(p.returncode != 0 and want in p.stderr.decode() and conf in p.stderr.decode(),
           "vouchd -t refuses %r, naming %s" % (text.strip(), want), p.stderr.decode())
    queue = os.path.join(TMP, "queue-ro")
    os.makedirs(queue)
    # as root, UserID nobody cannot write a directory of root's; else a
    # directory without write permission
    user = "UserID nobody\n" if os.geteuid() == 0 else ""
    os.chmod(TMP, 0o755)
    os.chmod(queue, 0o755 if user else 0o500)
    with open(conf, "w") as f:
        f.write("%sSocket unix:%s/x.sock\nFailureReports yes\nFailureReportFrom x@example.com\n"
                "FailureReportQueue %s\n" % (user, TMP, queue))
    p = subprocess.run([vouchd(), "-t", "-c", conf], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    ok(p.returncode != 0 and queue in p.stderr.decode() and (not user or "nobody" in p.stderr.decode()),
       "vouchd -t: a queue directory UserID cannot write is an error naming it (checked as "
       "UserID)", p.stderr.decode())
    if user:
        shutil.chown(queue, "nobody")
    else:
        os.chmod(queue, 0o700)
    p = subprocess.run([vouchd(), "-t", "-c", conf], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    ok(p.returncode == 0, "vouchd -t: FailureReports with a queue UserID can write passes",
       p.stderr.decode())
    if user:
        db = new_store("owned")
        os.chmod(db, 0o644)
        with open(conf, "w") as f:
            f.write("UserID nobody\nRecord yes\nRecordDB %s\n" % db)
        p = subprocess.run([vouchd(), "-t", "-c", conf], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        ok(p.returncode != 0 and "readonly" in p.stderr.decode() and "nobody" in p.stderr.decode(),
           "vouchd -t: a store file of root's that UserID cannot write is an error (checked as "
           "UserID)", p.stderr.decode())
        sub = os.path.join(TMP, "owned")
        os.makedirs(sub)
        shutil.move(db, os.path.join(sub, "s.db"))
        for x in (sub, os.path.join(sub, "s.db")):
            shutil.chown(x, "nobody")
        with open(conf, "w") as f:
            f.write("UserID nobody\nSocket unix:%s/x.sock\nRecord yes\nRecordDB %s/s.db\n"
                    % (TMP, sub))
        p = subprocess.run([vouchd(), "-t", "-c", conf], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        ok(p.returncode == 0, "vouchd -t: the store and its directory given to UserID pass",
           p.stderr.decode())
    else:
        vtest.skip("vouchd -t: the store's ownership for UserID", "needs root to switch user")
    p = subprocess.run([vouchd(), "-O"], stdout=subprocess.PIPE, timeout=30)
    names = [l.split("\t")[0] for l in p.stdout.decode().splitlines()]
    want = ["Record", "RecordDB", "RecordBatchRows", "RecordBatchTime", "FailureReports",
            "FailureReportFrom", "FailureReportKinds", "FailureReportRedact",
            "FailureReportRedactToken", "FailureReportRedactKey", "FailureReportRate",
            "FailureReportQueue", "FailureReportSendmail", "FailureReportSMTP",
            "UnsafeFromDisposition"]
    ok(all(n in names for n in want), "vouchd -O lists the reporting and fail-closed options",
       repr([n for n in want if n not in names]))


def test_docs():
    """vouchd.conf(5) documents every option vouchd -O lists, in its order
    (conf.c's table is the one list of options)."""
    p = subprocess.run([vouchd(), "-O"], stdout=subprocess.PIPE, timeout=30)
    names = [l.split("\t")[0] for l in p.stdout.decode().splitlines() if l.strip()]
    with open(os.path.join(vtest.ROOT, "doc", "man5", "vouchd.conf.5")) as f:
        text = f.read()
    pos = {}
    for n in names:
        m = re.search(r'^\.BI %s "' % re.escape(n), text, re.M)
        pos[n] = m.start() if m else None
    missing = [n for n in names if pos[n] is None]
    order = [pos[n] for n in names if pos[n] is not None]
    ok(not missing and order == sorted(order),
       "vouchd.conf(5) documents every option of vouchd -O (%d), in the same order" % len(names),
       "missing %r" % missing)


def main():
    global KEY, ARC_KEY
    KEY = LAB.keygen("ed25519", "example.com", "ed1")
    ARC_KEY = LAB.keygen("ed25519", "forwarder.example", "arc1")
    LAB.run((test_negotiation, test_record_rows, test_record_overrides, test_record_dryrun,
             test_record_reload, test_record_arc_override, test_record_postgresql, test_record_metrics, test_record_check, test_unsafe_from,
             test_multi_from, test_failure_reports, test_failure_reports_off,
             test_failure_psd_and_rate, test_failure_refused, test_failure_conf, test_docs), errors=(sqlite3.Error,))


main()
