#!/usr/bin/python3
"""vouch report send (RFC 9990 3.5): delivery through SMTP to a relay (an
SMTP sink answering 2xx, 4xx or 5xx as each check wants) and through a
sendmail program run without a shell; the message itself (Subject ABNF,
application/gzip part and its file name, DKIM signature passing aligned
DMARC); the state per (policy domain, interval, destination): a 2xx is
never sent again, a 5xx is recorded and not retried, a 4xx is retried
later and given up after --max-attempts; suppression lists; the external
destination check made again at send time (withdrawn, replaced, DNS
failure).  On both store back ends."""
import email
import email.policy
import gzip
import json
import os
import re
import stat
import subprocess
import time

import _world
import smtpsink
from _world import DAY1, DAY2, run, vouch
from vtest import ok

W = _world.World()
FROM = "dmarc-noreply@receiver.example"
SEL, KEY, _ = W.keys["receiver.example"]
SUBJECT = re.compile(r"Report\s+Domain:\s+(\S+)\s+Submitter:\s+(\S+)\s+Report-ID:\s+<([^>]+)>")


def setup(be, tag, day=DAY1):
    url = be.new_store(tag)
    m = W.message("a@example.com", subject=tag, sign="example.com", now=day + 100)
    W.record(url, m, "192.0.2.10", "bounce@example.com", day + 100)
    m = W.message("a@example.com", subject=tag + "x", now=day + 200)
    W.record(url, m, "203.0.113.5", "x@evil.example", day + 200)
    run(["report", "generate", "--db", url, "--org-name", "Receiver Org", "--email", FROM,
         "--from", str(day), "--to", str(day + 86400)], "generate")
    return url


def send(url, transport, now, *extra):
    rc, out, err = vouch(["report", "send", "--db", url] + transport +
                         ["--dkim-key", KEY, "--dkim-domain", "receiver.example", "--selector", SEL,
                          "--zone", W.zone, "--now", str(now)] + list(extra))
    return rc, out.decode(), err


def states(url):
    return {r["destination"]: (r["status"], r["attempts"], r["last_code"])
            for r in _world.report_list(url)}


for be in _world.backends():
    n = be.name
    # ---- 2xx: delivered once, never again
    url = setup(be, "send-ok-" + n)
    maildir = os.path.join(_world.TMP, "maildir-" + n)
    with smtpsink.Sink(maildir=maildir) as sink:
        rc, out, err = send(url, ["--smtp", sink.url()], DAY2 + 60)
        ok(rc == 0 and out.startswith("2 sent, 0 deferred, 0 failed"),
           "%s: two destinations, two messages accepted" % n, "%d %s %s" % (rc, out, err))
        st = states(url)
        ok(st.get("mailto:dmarc@example.com", ("",))[0] == "sent"
           and st.get("mailto:agg@reports.example.net", ("",))[0] == "sent",
           "%s: state per destination: sent" % n, repr(st))
        rcpts = sorted(r for m in sink.messages for r in m[1])
        ok(rcpts == ["agg@reports.example.net", "dmarc@example.com"]
           and all(m[0] == FROM for m in sink.messages),
           "%s: one message per destination, envelope sender the report address" % n, repr(rcpts))
        rc, out, err = send(url, ["--smtp", sink.url()], DAY2 + 7200)
        ok(rc == 0 and out.startswith("0 sent") and len(sink.messages) == 2,
           "%s: a report accepted (2xx) is never sent again" % n, out)
        msgs = list(sink.messages)
    files = sorted(os.listdir(os.path.join(maildir, "new")))
    ok(len(files) == 2, "%s: the sink's Maildir holds the two messages" % n)
    raw = msgs[0][2] if msgs else b""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    subj = " ".join(msg.get("Subject", "").split())
    mm = SUBJECT.fullmatch(subj)
    rl = _world.report_list(url)
    ok(mm is not None and mm.group(1) == "example.com" and mm.group(2) == "receiver.example"
       and rl and mm.group(3) == rl[0]["report_id"],
       "%s: Subject per RFC 9990 3.5.2: Report Domain, Submitter, Report-ID" % n, subj)
    long_lines = [l for l in raw.split(b"\r\n\r\n")[0].split(b"\r\n") if len(l) > 78]
    ok(not long_lines, "%s: header lines within 78 characters (Subject folded as needed)" % n,
       repr(long_lines))
    parts = [p for p in msg.walk() if p.get_content_type() == "application/gzip"]
    att = parts[0].get_payload(decode=True) if parts else b""
    ok(len(parts) == 1 and parts[0].get_filename() == rl[0]["filename"]
       and gzip.decompress(att) == _world.report_xml(url, rl[0]["report_id"]),
       "%s: the report as application/gzip with its file name, the stored bytes" % n)
    ok(any(p.get_content_type() == "text/plain" for p in msg.walk())
       and msg.get("Message-ID", "").startswith("<" + rl[0]["report_id"]),
       "%s: a text part; Message-ID from the Report-ID" % n)
    path = os.path.join(_world.TMP, "sent-%s.eml" % n)
    with open(path, "wb") as f:
        f.write(raw)
    rc, out, err = vouch(["verify", "--zone", W.zone, "--ip", "127.0.0.1", "--helo",
                          "mx.receiver.example", "--mail-from", FROM, "--now", str(DAY2 + 61),
                          "--json", path])
    doc = json.loads(out) if rc == 0 else {}
    dm = doc.get("dmarc", {})
    ok(dm.get("result") == "pass" and dm.get("dkim_aligned") is True
       and doc.get("dkim", {}).get("signatures", [{}])[0].get("d") == "receiver.example",
       "%s: the report message passes DMARC with an aligned DKIM signature (adkim=s)" % n,
       repr(dm))

    # ---- 4xx: retried later, then accepted
    url = setup(be, "send-4xx-" + n)
    with smtpsink.Sink() as sink:
        sink.reply["RCPT"] = "451 4.3.0 try later"
        rc, out, err = send(url, ["--smtp", sink.url()], DAY2 + 60)
        st = states(url)
        ok(out.startswith("0 sent, 2 deferred") and all(v[:3] == ("retry", 1, 451) for v in st.values()),
           "%s: a 4xx defers the delivery (retry, attempt 1, code 451)" % n, out + repr(st))
        rc, out, err = vouch(["report", "list", "--db", url])
        lines = out.decode().splitlines()
        ok(len(lines) == 2 and all(l.split(" ", 10)[7:] == ["retry", "1", "451", "RCPT failed"]
                                   for l in lines),
           "%s: report list: a 4xx reads 'retry 1 451 RCPT failed', the code once" % n,
           repr(lines))
        due = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(DAY2 + 60 + 3600))
        rc, out, err = send(url, ["--smtp", sink.url()], DAY2 + 120)
        ok(out.startswith("0 sent, 0 deferred") and sink.transactions == 2,
           "%s: not tried again before its wait is over" % n, out)
        # the run that tried nothing says what waits, and until when
        ok(out == "0 sent, 0 deferred, 0 failed, 0 suppressed, 0 unauthorized, "
                  "2 waiting for their retry time (the first at %s)\n" % due,
           "%s: the summary names the 2 deliveries waiting and when the first is due" % n, out)
        sink.reply["RCPT"] = "250 2.1.5 ok"
        rc, out, err = send(url, ["--smtp", sink.url()], DAY2 + 60 + 3601)
        ok(out.startswith("2 sent") and len(sink.messages) == 2,
           "%s: tried again after --retry (3600 s) and accepted" % n, out)
        ok(out.endswith(", 0 unauthorized, 0 waiting\n"), "%s: then nothing waits" % n, out)

    # ---- a relay URL that cannot be one: a usage error before any
    # delivery, so that no delivery counts an attempt against it
    url = setup(be, "send-badurl-" + n)
    before = states(url)
    for bad in ("smtp://127.0.0.1:99999", "smtp://127.0.0.1:0", "http://127.0.0.1:25", "smtp://"):
        rc, out, err = send(url, ["--smtp", bad], DAY2 + 60)
        ok(rc == 64 and "not an SMTP relay URL" in err and bad in err and out == "",
           "%s: --smtp %s is a usage error (exit 64) naming the URL" % (n, bad),
           "exit %d %r %r" % (rc, out, err))
    ok(states(url) == before and all(v[1] == 0 for v in before.values()),
       "%s: the deliveries are as they were, no attempt counted" % n, repr(states(url)))

    # ---- 5xx: recorded, never retried
    url = setup(be, "send-5xx-" + n)
    with smtpsink.Sink() as sink:
        sink.reply_for_rcpt["dmarc@example.com"] = "550 5.1.1 no such user"
        rc, out, err = send(url, ["--smtp", sink.url()], DAY2 + 60)
        st = states(url)
        ok(out.startswith("1 sent, 0 deferred, 1 failed")
           and st["mailto:dmarc@example.com"][:3] == ("failed", 1, 550)
           and st["mailto:agg@reports.example.net"][0] == "sent",
           "%s: a 5xx is recorded as failed with its code" % n, out + repr(st))
        before = sink.transactions
        rc, out, err = send(url, ["--smtp", sink.url()], DAY2 + 10 * 86400)
        ok(out.startswith("0 sent, 0 deferred, 0 failed") and sink.transactions == before,
           "%s: a 5xx is not retried, even days later" % n, out)

    # ---- too many temporary failures
    url = setup(be, "send-max-" + n)
    with smtpsink.Sink() as sink:
        sink.reply["MAIL"] = "421 4.7.0 busy"
        t = DAY2
        outs = []
        for i in range(3):
            t += 4000
            outs.append(send(url, ["--smtp", sink.url()], t, "--max-attempts", "2")[1])
        st = states(url)
        ok(outs[0].startswith("0 sent, 2 deferred") and outs[1].startswith("0 sent, 0 deferred, 2 failed")
           and outs[2].startswith("0 sent, 0 deferred, 0 failed")
           and all(v[:2] == ("failed", 2) for v in st.values()),
           "%s: after --max-attempts temporary failures a delivery is given up" % n, repr(outs))

    # ---- no relay at all: temporary
    url = setup(be, "send-down-" + n)
    port = pg_port = _world.pg.free_port()
    rc, out, err = send(url, ["--smtp", "smtp://127.0.0.1:%d" % port, "--timeout", "5"], DAY2 + 60)
    ok(out.startswith("0 sent, 2 deferred"), "%s: an unreachable relay defers" % n, out + err)
    # report list: "attempts last-code last-text", the code once; a
    # connection failure has no reply code ("-", as other empty fields)
    rc, out, err = vouch(["report", "list", "--db", url])
    lines = out.decode().splitlines()
    ok(rc == 0 and len(lines) == 2 and all(
        l.split(" ", 10)[7:10] == ["retry", "1", "-"] and
        l.split(" ", 10)[10].startswith("Failed to connect to 127.0.0.1 port %d " % port)
        for l in lines),
       "%s: report list: an unreachable relay's delivery reads 'retry 1 - Failed to connect ...'"
       % n, repr(lines))

    # ---- suppression lists
    url = setup(be, "send-supp-" + n)
    run(["report", "suppress", "add", "--db", url, "--destination", "reports.example.net"], "supp")
    run(["report", "suppress", "add", "--db", url, "--destination", "DMARC@example.com",
         "--comment", "asked to stop"], "supp2")
    with smtpsink.Sink() as sink:
        rc, out, err = send(url, ["--smtp", sink.url()], DAY2 + 60)
        ok(out.startswith("0 sent, 0 deferred, 0 failed, 2 suppressed") and not sink.messages,
           "%s: suppressed destinations (an address, a whole domain) get nothing" % n, out)
    rc, out, err = vouch(["report", "suppress", "remove", "--db", url, "--destination", "nobody@x.example"])
    ok(rc == 65, "%s: removing an entry that is not there says so (65)" % n, err)
    rc, out, err = vouch(["report", "suppress", "add", "--db", url, "--destination", "not an address"])
    ok(rc == 64, "%s: a bad suppression value is a usage error" % n, err)
    rc, out, err = vouch(["report", "suppress", "list", "--db", url])
    lines = [l.split(" ", 3) for l in out.decode().splitlines()]
    ok(rc == 0 and [(l[0], l[1], l[3]) for l in lines] ==
       [("destination", "dmarc@example.com", "asked to stop"),
        ("destination", "reports.example.net", "-")] and all(l[2].isdigit() for l in lines),
       "%s: suppress list: one line an entry (kind, value lower-cased, added_at, comment)" % n,
       out.decode() + err)
    rc, out, err = vouch(["report", "suppress", "list", "--db", url, "--json"])
    try:
        got = json.loads(out)
    except ValueError:
        got = None
    ok(rc == 0 and got and [(e["kind"], e["value"], e["comment"]) for e in got] ==
       [("destination", "dmarc@example.com", "asked to stop"),
        ("destination", "reports.example.net", None)] and
       all(isinstance(e["added_at"], int) for e in got),
       "%s: suppress list --json: the same entries, comment null where none" % n, out.decode())
    run(["report", "suppress", "remove", "--db", url, "--destination", "reports.example.net"],
        "supp remove")
    run(["report", "suppress", "add", "--db", url, "--domain", "Testing.Example"], "supp domain")
    rc, out, err = vouch(["report", "suppress", "list", "--db", url])
    ok(rc == 0 and [l.split(" ")[:2] for l in out.decode().splitlines()] ==
       [["destination", "dmarc@example.com"], ["domain", "testing.example"]],
       "%s: suppress list after a remove and a policy domain added: destinations first" % n,
       out.decode())

    # ---- external destination check again at send time (RFC 9990 4)
    url = setup(be, "send-ext-" + n)
    with open(W.zone) as f:
        zone = f.read()
    with open(W.zone, "w") as f:
        f.write(zone.replace('example.com._report._dmarc.reports.example.net. IN TXT "v=DMARC1"',
                             'example.com._report._dmarc.reports.example.net. IN TXT '
                             '"v=DMARC1; rua=mailto:other@reports.example.net"'))
    with smtpsink.Sink() as sink:
        rc, out, err = send(url, ["--smtp", sink.url()], DAY2 + 60)
        rcpts = sorted(r for m in sink.messages for r in m[1])
        ok(out.startswith("2 sent") and rcpts == ["dmarc@example.com", "other@reports.example.net"],
           "%s: the authorizing record's rua= replaces the destination (same host, step 9)" % n,
           out + repr(rcpts))
    with open(W.zone, "w") as f:
        f.write(zone)
    url = setup(be, "send-ext2-" + n)
    with open(W.zone, "w") as f:
        f.write(zone.replace('example.com._report._dmarc.reports.example.net. IN TXT "v=DMARC1"', ""))
    with smtpsink.Sink() as sink:
        rc, out, err = send(url, ["--smtp", sink.url()], DAY2 + 60)
        st = states(url)
        ok(out.startswith("1 sent, 0 deferred, 0 failed, 0 suppressed, 1 unauthorized")
           and st["mailto:agg@reports.example.net"][0] == "unauthorized",
           "%s: an authorization withdrawn since recording: not sent" % n, out + repr(st))
    with open(W.zone, "w") as f:
        f.write(zone)
    url = setup(be, "send-ext3-" + n)
    with open(W.zone, "w") as f:
        f.write(zone.replace('example.com._report._dmarc.reports.example.net. IN TXT "v=DMARC1"',
                             "$SERVFAIL example.com._report._dmarc.reports.example.net."))
    with smtpsink.Sink() as sink:
        rc, out, err = send(url, ["--smtp", sink.url()], DAY2 + 60)
        st = states(url)
        ok(out.startswith("1 sent, 1 deferred") and st["mailto:agg@reports.example.net"][0] == "retry",
           "%s: a DNS failure of the check defers the delivery (step 5)" % n, out + repr(st))
    with open(W.zone, "w") as f:
        f.write(zone)

    # ---- sendmail, as a program run without a shell
    url = setup(be, "send-sm-" + n)
    fake = os.path.join(_world.TMP, "sendmail-" + n)
    log = fake + ".log"
    with open(fake, "w") as f:
        f.write("#!/usr/bin/python3\nimport json, os, sys\n"
                "d = os.path.dirname(os.path.abspath(sys.argv[0])) + '/' + os.path.basename(sys.argv[0])\n"
                "data = sys.stdin.buffer.read()\n"
                "with open(d + '.log', 'a') as f:\n"
                "    f.write(json.dumps({'argv': sys.argv[1:], 'len': len(data), 'crlf': b'\\r\\n' in data,"
                " 'dkim': data.startswith(b'DKIM-Signature:')}) + '\\n')\n"
                "code = open(d + '.code').read().strip() if os.path.exists(d + '.code') else '0'\n"
                "sys.exit(int(code))\n")
    os.chmod(fake, stat.S_IRWXU)
    with open(fake + ".code", "w") as f:
        f.write("75")
    rc, out, err = send(url, ["--sendmail", fake], DAY2 + 60)
    ok(out.startswith("0 sent, 2 deferred"), "%s: sendmail exit 75 (EX_TEMPFAIL) defers" % n, out + err)
    with open(fake + ".code", "w") as f:
        f.write("67")
    rc, out, err = send(url, ["--sendmail", fake], DAY2 + 60 + 3601)
    st = states(url)
    ok(out.startswith("0 sent, 0 deferred, 2 failed") and all(v[2] == 67 for v in st.values()),
       "%s: sendmail exit 67 (EX_NOUSER) is permanent" % n, out + repr(st))
    url = setup(be, "send-sm2-" + n)
    os.unlink(fake + ".code")
    if os.path.exists(log):
        os.unlink(log)
    rc, out, err = send(url, ["--sendmail", fake], DAY2 + 60)
    calls = [json.loads(l) for l in open(log)] if os.path.exists(log) else []
    ok(out.startswith("2 sent") and len(calls) == 2
       and sorted(c["argv"][-1] for c in calls) == ["agg@reports.example.net", "dmarc@example.com"]
       and all(c["argv"][:4] == ["-oi", "-f", FROM, "--"] and len(c["argv"]) == 5 for c in calls)
       and all(not c["crlf"] and c["dkim"] for c in calls),
       "%s: sendmail -oi -f FROM -- RCPT, the signed message with local line ends" % n,
       out + repr(calls))
    # a destination full of shell syntax stays one argument
    url = setup(be, "send-sm3-" + n)
    rid = _world.report_list(url)[0]["report_id"]
    be.sql(url, "DELETE FROM outgoing_delivery")
    be.sql(url, "INSERT INTO outgoing_delivery (report, destination, status, attempts, next_attempt) "
                "SELECT id, 'mailto:a`touch${IFS}pwned`;id;b@example.com', 'pending', 0, 0 "
                "FROM outgoing_report")
    os.unlink(log)
    rc, out, err = subprocess.run([os.path.abspath(_world.vtest.VOUCH), "report", "send", "--db", url,
                                   "--sendmail", fake, "--zone", W.zone, "--now", str(DAY2 + 60)],
                                  cwd=_world.TMP, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True).returncode, None, None
    calls = [json.loads(l) for l in open(log)] if os.path.exists(log) else []
    ok(calls and calls[0]["argv"][-1] == "a`touch${IFS}pwned`;id;b@example.com"
       and not os.path.exists(os.path.join(_world.TMP, "pwned")),
       "%s: shell syntax in a destination is one argv word, never run" % n, repr(calls))
    # unsigned sending is possible, and says so in nothing but the message
    url = setup(be, "send-nokey-" + n)
    with smtpsink.Sink() as sink:
        rc, o2, err = vouch(["report", "send", "--db", url, "--smtp", sink.url(), "--zone", W.zone,
                             "--now", str(DAY2 + 60)])
        ok(rc == 0 and sink.messages and not sink.messages[0][2].startswith(b"DKIM-Signature"),
           "%s: without --dkim-key the message is sent unsigned" % n)

# usage before I/O: a bad --smtp URL is said (64) before the store, the
# zone or the key file is opened, even when none of them exists
missing = os.path.join(_world.TMP, "no-such-dir", "missing.db")
rc, out, err = vouch(["report", "send", "--db", "sqlite:" + missing, "--smtp", "smtp://127.0.0.1:0",
                      "--dkim-key", missing + ".key", "--dkim-domain", "receiver.example",
                      "--selector", SEL, "--zone", missing + ".zone"])
ok(rc == 64 and "not an SMTP relay URL" in err and "missing" not in err,
   "a bad --smtp URL is a usage error (64) before the missing store, zone and key are opened",
   "exit %d %r" % (rc, err))
rc, out, err = vouch(["report", "send", "--db", "sqlite:" + missing, "--smtp", "smtp://127.0.0.1:0"])
ok(rc == 64 and "not an SMTP relay URL" in err,
   "a bad --smtp URL with a missing store: 64 (usage), not 69 (store)", "exit %d %r" % (rc, err))
rc, out, err = vouch(["report", "send", "--db", "sqlite:" + os.path.join(_world.TMP, "x.db"),
                      "--dkim-key", KEY])
ok(rc == 64 and "--dkim-domain" in err, "--dkim-key without --dkim-domain/--selector is a usage error")
_world.finish()
