#!/usr/bin/python3
"""vouch report ingest from a real IMAP server on loopback (Dovecot, see
_dovecot.py): reports in, each message flagged only after its report was
stored, refused messages flagged apart, nothing read twice; a kill -9
half-way and a restart lose nothing and count nothing twice; MOVE to
another mailbox; IMAPS with the server's certificate; a wrong password is
an error.  The flags are checked with Python's imaplib, apart from vouch.
"""
import imaplib
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _dovecot  # noqa: E402
import _report_util as ru  # noqa: E402
import vtest  # noqa: E402
from vtest import ok, skip, done  # noqa: E402

FLAG = "$VouchIngested"
REFUSED = "$VouchRefused"


def reports(prefix, n, domain="imap.example"):
    out, want = [], {}
    for i in range(n):
        rid = "%s-%04d" % (prefix, i)
        recs = [{"ip": "192.0.2.%d" % (i % 250 + 1), "count": i % 9 + 1}]
        out.append(ru.make_email(ru.make_xml(rid=rid, domain=domain, records=recs), rid=rid,
                                 domain=domain))
        want[("reporter.example", rid)] = i % 9 + 1
    return out, want


def totals(db, domain="imap.example"):
    got = {}
    for r in ru.export_json(db, "--domain", domain) or []:
        k = (r["report"]["org_name"], r["report"]["report_id"])
        got[k] = got.get(k, 0) + r["count"]
    return got


def flags(d, user, mailbox="INBOX"):
    """(all UIDs, UIDs with FLAG, UIDs with REFUSED) by imaplib."""
    m = imaplib.IMAP4("127.0.0.1", d.port)
    m.login(user, d.password)
    m.select(mailbox, readonly=True)
    sets = []
    for key in ("ALL", "KEYWORD " + FLAG, "KEYWORD " + REFUSED):
        typ, data = m.uid("SEARCH", key)
        sets.append(set(data[0].split()))
    m.logout()
    return sets


def ingest(d, db, user, *extra, mailbox="INBOX", tls=False, timeout=300):
    args = ["--imap-password-file", d.pwfile] + list(extra) + [d.url(user, mailbox, tls)]
    return ru.ingest(args, db, timeout=timeout)


def basic(d, tmp):
    db = ru.new_store(os.path.join(tmp, "a.db"))
    rc, c, err = ingest(d, db, "alice")
    ok(rc == 65 and c is not None and c["stored"] == 20 and c["refused"] == 1 and
       c["no_report"] == 1, "20 reports stored from alice's INBOX; the broken one refused, the "
       "plain message without a report", "%r %s" % (c, err[-400:]))
    ok(totals(db) == d.want["alice"], "the stored counts are those of the reports")
    allu, done_, refused = flags(d, "alice")
    ok(len(done_) == 20 and len(refused) == 2 and done_ | refused == allu and not done_ & refused,
       "each message flagged: 20 %s, 2 %s" % (FLAG, REFUSED),
       "%d/%d of %d" % (len(done_), len(refused), len(allu)))
    rc, c, err = ingest(d, db, "alice")
    ok(rc == 0 and c is not None and c["inputs"] == 0, "a second run reads nothing again",
       repr(c))
    rc, c, err = ingest(d, db, "alice", "--imap-flag", "bad flag)")
    ok(rc == 64, "a flag that could alter the IMAP command is refused (usage)")


def kill_restart(d, tmp):
    db = ru.new_store(os.path.join(tmp, "k.db"))
    n = len(d.want["bob"])
    p = subprocess.Popen([vtest.VOUCH, "report", "ingest", "--db", db, "--no-progress",
                          "--imap-password-file", d.pwfile, d.url("bob")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    got = {}
    while time.time() < deadline and p.poll() is None:
        time.sleep(0.05)
        got = totals(db)
        if len(got) >= n // 4:
            break
    killed = p.poll() is None
    if killed:
        p.send_signal(signal.SIGKILL)
    p.wait()
    ok(killed, "kill -9 half-way through bob's %d messages" % n, "it finished first")
    got = totals(db)
    allu, done_, refused = flags(d, "bob")
    ok(0 < len(got) < n and len(done_) <= len(got),
       "after kill -9: %d reports stored, %d messages flagged, none flagged before its report "
       "was stored" % (len(got), len(done_)))
    ok(all(d.want["bob"][k] == v for k, v in got.items()), "after kill -9: each stored report whole")
    rc, c, err = ingest(d, db, "bob")
    ok(rc == 0 and c is not None and c["stored"] == n - len(got) and
       c["stored"] + c["duplicates"] == c["reports"],
       "the restart stores the rest (%d), re-read ones are duplicates" % (n - len(got)), repr(c))
    ok(totals(db) == d.want["bob"], "all %d of bob's reports stored once: nothing lost, nothing "
       "counted twice" % n)
    allu, done_, refused = flags(d, "bob")
    ok(done_ == allu and not refused, "every message of bob's flagged %s" % FLAG)


def move(d, tmp):
    db = ru.new_store(os.path.join(tmp, "m.db"))
    m = imaplib.IMAP4("127.0.0.1", d.port)
    m.login("carol", d.password)
    m.create("Processed")
    m.logout()
    rc, c, err = ingest(d, db, "carol", "--imap-move", "Processed")
    ok(rc == 0 and c is not None and c["stored"] == len(d.want["carol"]),
       "carol: %d reports stored" % len(d.want["carol"]), "%r %s" % (c, err[-300:]))
    inbox = flags(d, "carol")[0]
    moved = flags(d, "carol", "Processed")[0]
    ok(not inbox and len(moved) == len(d.want["carol"]),
       "--imap-move: every message moved to Processed", "%d left, %d moved" % (len(inbox), len(moved)))


def imaps(d, tmp):
    db = ru.new_store(os.path.join(tmp, "t.db"))
    rc, c, err = ingest(d, db, "dave", tls=True)
    ok(rc == 74 and "certificate" in err.lower(),
       "imaps: the server's self-signed certificate is refused by default", err[-300:])
    rc, c, err = ingest(d, db, "dave", "--imap-cafile", d.cafile, tls=True)
    ok(rc == 0 and c is not None and c["stored"] == len(d.want["dave"]),
       "imaps with --imap-cafile: %d reports stored" % len(d.want["dave"]), "%r %s" % (c, err))
    bad = os.path.join(tmp, "bad.pw")
    with open(bad, "w") as fp:
        fp.write("wrong\n")
    rc, c, err = ru.ingest(["--imap-password-file", bad, d.url("dave")], db)
    ok(rc == 74 and "login denied" in err.lower(),
       "a wrong password: exit 74 with the server's refusal", "exit %d %r" % (rc, err[-200:]))
    ok("wrong" not in err, "the password is not printed")


def main():
    why = _dovecot.available()
    if why:
        skip("IMAP ingest from Dovecot", why)
        return
    with tempfile.TemporaryDirectory() as tmp, _dovecot.Dovecot(
            ["alice", "bob", "carol", "dave"]) as d:
        d.want = {}
        msgs, d.want["alice"] = reports("a", 20)
        broken = ru.make_email(b"<feedback><report_metadata>", rid="broken", kind="raw")
        plain = b"From: x@example.org\r\nSubject: hi\r\n\r\nno report\r\n"
        ru.write_maildir(d.maildir("alice"), msgs + [broken, plain])
        msgs, d.want["bob"] = reports("b", 300)
        ru.write_maildir(d.maildir("bob"), msgs)
        msgs, d.want["carol"] = reports("c", 10)
        ru.write_maildir(d.maildir("carol"), msgs)
        msgs, d.want["dave"] = reports("d", 5)
        ru.write_maildir(d.maildir("dave"), msgs)
        d.chown()
        d.pwfile = os.path.join(tmp, "pw")
        with open(d.pwfile, "w") as fp:
            fp.write(d.password + "\n")
        basic(d, tmp)
        kill_restart(d, tmp)
        move(d, tmp)
        imaps(d, tmp)


main()
done()
