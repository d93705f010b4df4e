#!/usr/bin/python3
"""Issue 8's round trip through vouchd in a real Postfix, end to end.

  swaks (XCLIENT: outside clients) -> Postfix "mx" (vouchd in
  smtpd_milters; mail to reports.example into a Maildir, the rest to an
  smtp-sink)

  record     vouchd with Record (SQLite), RejectFailures: passes, p=reject
             failures (rejected), p=quarantine failures (held), a List-Id
             message (quarantined, override mailing_list), p=none; after a
             SIGHUP to DryRun one more failure.  The store holds exactly
             the evaluations sent: the counts per source IP, DMARC result
             and disposition, envelope_to the first RCPT's domain, the
             override reasons, the DryRun row.
  failure    off by default: no failure report while FailureReports is not
             set; after a SIGHUP that sets it, each DMARC failure of
             example.com (ruf=, fo=0) gives one ARF report at the sink, read
             with Python's email package: Feedback-Type auth-failure,
             Auth-Failure dmarc, Identity-Alignment, Source-IP,
             Reported-Domain, the original header with the local-parts
             redacted; DKIM-signed d=receiver.example by vouchd's signer,
             verifying with vouch dkim verify after Postfix.
  roundtrip  vouch report generate, then vouch report send through this
             Postfix's /usr/sbin/sendmail (MAIL_CONFIG) into the Maildir;
             vouch report ingest of that Maildir gives back exactly the
             recorded counts per policy domain, source, disposition and
             alignment.

Root only (Postfix); otherwise the test reports itself skipped.
"""
import collections
import email
import email.policy
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _postfix_common import preflight, lacks, start_vouchd
import postfix
import procs
import vtest
from vtest import ok, done

preflight("vouchd recording and reporting inside Postfix")

AUTHSERV_ID = "mx.receiver.example"
REPORTS = "reports.example"  # the domain owner's mailbox: a Maildir
FROM = "dmarc-noreply@receiver.example"


def keygen(d, domain, sel):
    subprocess.run([vtest.VOUCH, "keygen", "-t", "ed25519", "-d", domain, "-s", sel, "-o", d],
                   stdout=subprocess.PIPE, check=True)
    return os.path.join(d, sel + ".private"), open(os.path.join(d, sel + ".txt")).read()


def write_zone(d):
    key, rec = keygen(d, "receiver.example", "r1")
    zone = os.path.join(d, "zone.db")
    with open(zone, "w") as f:
        f.write("""$ORIGIN .
$TTL 300
example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:agg@reports.example; ruf=mailto:ruf@ruf.example"
example.com._report._dmarc.reports.example. TXT "v=DMARC1"
example.com._report._dmarc.ruf.example. TXT "v=DMARC1"
quar.example. TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.quar.example. TXT "v=DMARC1; p=quarantine; rua=mailto:agg@reports.example"
quar.example._report._dmarc.reports.example. TXT "v=DMARC1"
none.example. TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.none.example. TXT "v=DMARC1; p=none; rua=mailto:agg@reports.example"
none.example._report._dmarc.reports.example. TXT "v=DMARC1"
receiver.example. TXT "v=spf1 ip4:127.0.0.0/8 -all"
_dmarc.receiver.example. TXT "v=DMARC1; p=reject"
reports.example. A 127.0.0.1
ruf.example. A 127.0.0.1
""" + rec)
    return zone, key


def message(frm, mid, extra=()):
    head = ["From: " + frm, "To: Bob <bob@rcpt.example>", "Subject: record " + mid,
            "Date: Mon, 07 Dec 2026 09:00:00 +0000", "Message-ID: <%s>" % mid] + list(extra)
    return ("\r\n".join(head) + "\r\n\r\nHello Bob.\r\n").encode()


# (From, MAIL FROM, client, count, extra fields): what is sent before and
# after FailureReports is switched on.
PHASE1 = [
    ("Ann <a@example.com>", "bounce@example.com", "192.0.2.10", 4, ()),  # pass
    ("ceo@example.com", "x@evil.example", "203.0.113.5", 2, ()),  # reject
    ("Ann <a@quar.example>", "x@evil.example", "203.0.113.6", 2, ()),  # held
    ("ceo@example.com", "x@evil.example", "203.0.113.7", 1,
     ("List-Id: <talk.lists.example>",)),  # mailing_list
    ("n@none.example", "x@evil.example", "198.51.100.20", 1, ()),  # p=none
]
PHASE2 = [("ceo@example.com", "x@evil.example", "203.0.113.5", 2, ())]
PHASE3 = [("ceo@example.com", "x@evil.example", "203.0.113.8", 1, ())]  # DryRun


def send(pf, traffic, tag):
    """Sends the traffic; returns [(swaks result, what)]."""
    out = []
    for k, (frm, mf, ip, n, extra) in enumerate(traffic):
        for i in range(n):
            mid = "%s-%d-%d@test" % (tag, k, i)
            r = postfix.swaks(pf.smtp_port, mf, "bob@rcpt.example", data=message(frm, mid, extra),
                              xclient_addr=ip, xclient_name="[UNAVAILABLE]")
            out.append((r, (frm, ip)))
    return out


def store_rows(db):
    c = sqlite3.connect(db)
    try:
        return c.execute("SELECT policy_domain, source_ip, dmarc_result, disposition, envelope_to, "
                         "reasons, dkim_aligned, spf_aligned FROM evaluation").fetchall()
    finally:
        c.close()


def wait_rows(db, n, timeout=20):
    procs.wait_until(lambda: len(store_rows(db)) >= n, timeout, step=0.1)
    time.sleep(0.3)  # nothing more should come
    return store_rows(db)


def record(v, pf, db, sink):
    r1 = send(pf, PHASE1, "p1")
    ok(all(r.accepted for r, (frm, ip) in r1 if ip != "203.0.113.5") and
       all(r.code == 550 for r, (frm, ip) in r1 if ip == "203.0.113.5"),
       "phase 1: p=reject failures refused (RejectFailures), the rest accepted",
       repr([r for r, _ in r1]))
    rows = wait_rows(db, 10)
    ok(len(rows) == 10, "the store holds the 10 evaluations sent (every one has a rua= record)",
       "%d rows: %r" % (len(rows), rows[:12]))
    by = collections.Counter((ip, res, disp) for _, ip, res, disp, _, _, _, _ in rows)
    want = collections.Counter({("192.0.2.10", "pass", "pass"): 4,
                                ("203.0.113.5", "fail", "reject"): 2,
                                ("203.0.113.6", "fail", "quarantine"): 2,
                                ("203.0.113.7", "fail", "quarantine"): 1,
                                ("198.51.100.20", "fail", "none"): 1})
    ok(by == want, "counts per source IP, DMARC result and disposition are the ones sent",
       "got %r want %r" % (dict(by), dict(want)))
    ok(all(r[4] == "rcpt.example" for r in rows), "envelope_to: the recipient's domain",
       repr(set(r[4] for r in rows)))
    lst = [r for r in rows if r[1] == "203.0.113.7"]
    ok(lst and lst[0][5].startswith("mailing_list"),
       "the List-Id message under RejectFailures: recorded with override mailing_list",
       repr(lst))
    ok(not [m for m in sink.messages() if "ruf@ruf.example" in m.rcpt],
       "FailureReports not set (the default): no failure report is sent")
    return by


def failure_reports(v, pf, db, sink, zone):
    v.write_conf(FailureReports="yes", FailureReportFrom=FROM)
    v.hup()
    ok(procs.wait_until(lambda: "configuration reloaded" in v.log(), 15),
       "SIGHUP: FailureReports switched on by a reload", v.log_tail(800))
    r2 = send(pf, PHASE2, "p2")
    ok(all(r.code == 550 for r, _ in r2), "phase 2: the failures are refused as before",
       repr([r for r, _ in r2]))
    got = procs.wait_until(
        lambda: len([m for m in sink.messages() if "ruf@ruf.example" in m.rcpt]) >= 2 or None,
        30, step=0.2)
    reports = [m for m in sink.messages() if "ruf@ruf.example" in m.rcpt]
    ok(got and len(reports) == 2,
       "one failure report per DMARC failure of example.com at the sink (ruf=, authorized "
       "external destination)", "%d reports; vouchd %s; mx %s" % (len(reports), v.log_tail(800),
                                                                   pf.log_tail(800)))
    for m in reports[:1]:
        msg = email.message_from_bytes(m.content, policy=email.policy.default)
        fb = [p for p in msg.walk() if p.get_content_type() == "message/feedback-report"]
        text = ""
        if fb:
            payload = fb[0].get_payload()
            text = payload if isinstance(payload, str) else "".join(
                x.as_string() for x in payload)
        fields = {}
        for line in text.replace("\r\n", "\n").split("\n"):
            if ":" in line and line[:1] not in (" ", "\t"):
                k, val = line.split(":", 1)
                fields.setdefault(k.strip().lower(), val.strip())
        ok(msg.get_content_type() == "multipart/report" and
           msg.get_param("report-type") == "feedback-report" and
           fields.get("feedback-type") == "auth-failure" and fields.get("auth-failure") == "dmarc" and
           fields.get("identity-alignment") == "dkim, spf" and
           fields.get("source-ip") == "203.0.113.5" and fields.get("reported-domain") == "example.com" and
           fields.get("delivery-result") == "reject" and
           fields.get("reporting-mta", "").endswith(AUTHSERV_ID),
           "the report (RFC 9991 in RFC 6591 ARF): auth-failure, Auth-Failure dmarc, "
           "Identity-Alignment, Source-IP, Reported-Domain, Delivery-Result reject, Reporting-MTA",
           repr(fields))
        orig = [p for p in msg.walk() if p.get_content_type() == "text/rfc822-headers"]
        ohead = orig[0].get_content() if orig else ""
        ok(orig and "example.com" in ohead and "ceo@" not in ohead and m.mail_from == FROM,
           "the original header is there, local-parts redacted; sent from FailureReportFrom",
           ohead[:300])
        path = os.path.join(pf.dir, "failure.eml")
        with open(path, "wb") as f:
            f.write(m.content)
        rc, out, err = vtest.vouch(["dkim", "verify", "--json", "--zone", zone, path])
        try:
            sigs = json.loads(out.decode()).get("signatures") or []
        except ValueError:
            sigs = []
        ok([s.get("result") for s in sigs if s.get("d") == "receiver.example"] == ["pass"],
           "the report is DKIM-signed d=receiver.example (vouchd's signer) and verifies after "
           "Postfix", out.decode()[:400] + err)


def dryrun(v, pf, db):
    v.write_conf(DryRun="yes")
    n0 = v.log().count("configuration reloaded")
    v.hup()
    procs.wait_until(lambda: v.log().count("configuration reloaded") > n0, 15)
    r3 = send(pf, PHASE3, "p3")
    ok(all(r.accepted for r, _ in r3), "DryRun: the p=reject failure is accepted unchanged")
    rows = wait_rows(db, 13)
    dry = [r for r in rows if r[1] == "203.0.113.8"]
    ok(len(rows) == 13 and len(dry) == 1 and dry[0][2] == "fail" and dry[0][3] == "none" and
       dry[0][5].startswith("local_policy DryRun"),
       "DryRun still records: 13 rows, the dry-run failure as none with its reason",
       "%d rows, %r" % (len(rows), dry))
    return rows


def roundtrip(pf, db, rows, key, zone, lab):
    recorded = collections.Counter()
    for dom, ip, res, disp, _, _, dk, sp in rows:
        recorded[(dom, ip, disp, dk, sp)] += 1
    today = int(time.time()) // 86400 * 86400
    rc, out, err = vtest.vouch(["report", "generate", "--db", db, "--org-name", "Receiver Org",
                                "--email", FROM, "--from", str(today - 86400),
                                "--to", str(today + 86400)])
    ok(rc == 0, "vouch report generate", err)
    env = dict(os.environ, MAIL_CONFIG=pf.conf_dir)
    p = subprocess.run([vtest.VOUCH, "report", "send", "--db", db, "--sendmail",
                        "/usr/sbin/sendmail", "--dkim-key", key, "--dkim-domain", "receiver.example",
                        "--selector", "r1", "--zone", zone], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    nsent = int(p.stdout.split()[0]) if p.stdout[:1].isdigit() else 0
    ok(p.returncode == 0 and nsent >= 3,
       "vouch report send through Postfix's sendmail: a report per policy domain",
       p.stdout + p.stderr)
    maildir = os.path.join(lab.dir, "owner", "Maildir")
    procs.wait_until(lambda: len(pf.maildir_messages()) >= nsent, 60, step=0.2)
    ok(len(pf.maildir_messages()) == nsent, "the reports are delivered into the owner's Maildir",
       "%d of %d; %s" % (len(pf.maildir_messages()), nsent, pf.log_tail(800)))
    rc, out, err = vtest.vouch(["report", "ingest", "--dry-run", "--json", "--no-progress",
                                maildir], timeout=120)
    got = collections.Counter()
    for line in out.decode().splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        for r in doc.get("records", []):
            got[(doc["policy_published"]["domain"], r["source_ip"], r["disposition"], r["dkim"],
                 r["spf"])] += r["count"]
    ok(rc == 0 and got == recorded and sum(got.values()) == len(rows),
       "vouch report ingest of the Maildir gives back exactly the recorded counts per policy "
       "domain, source, disposition and alignment (%d messages)" % len(rows),
       "rc %d got %r want %r %s" % (rc, dict(got), dict(recorded), err[-300:]))


t0 = time.time()
with postfix.Lab("vouch-record-") as lab:
    zone, key = write_zone(lab.dir)
    db = os.path.join(lab.dir, "store.db")
    rc, out, err = vtest.vouch(["store", "init", "--db", db])
    ok(rc == 0, "vouch store init", err)
    sink = lab.sink()
    if not lacks("record", ["Record", "RecordDB", "FailureReports"]):
        maildir = os.path.join(lab.dir, "owner", "Maildir")
        pf = lab.postfix(name="mx", relay=sink, maildir=(REPORTS, maildir))
        # vouchd hands failure reports to this Postfix's sendmail
        os.environ["MAIL_CONFIG"] = pf.conf_dir
        v = start_vouchd(lab, "vouchd", {
            "Mode": "sv", "AuthservID": AUTHSERV_ID, "ZoneFile": zone,
            "InternalHosts": "192.0.2.250", "Domain": "receiver.example", "Selector": "r1",
            "KeyFile": key, "RejectFailures": "yes", "Record": "yes", "RecordDB": db,
            "RecordBatchTime": "100", "FailureReportQueue": lab.subdir("failure-queue", 0o700)})
        del os.environ["MAIL_CONFIG"]
        if v:
            pf.milters = [v.spec]
            pf.start()
            record(v, pf, db, sink)
            failure_reports(v, pf, db, sink, zone)
            rows = dryrun(v, pf, db)
            roundtrip(pf, db, rows, key, zone, lab)
print("# %.1f s" % (time.time() - t0))
done()
