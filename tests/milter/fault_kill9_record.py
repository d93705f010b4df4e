#!/usr/bin/python3
"""kill -9 vouchd while it records under load (issue 8): the store stays
consistent and loses at most what was not yet committed; no mail is lost.

  smtplib -> Postfix "injector" (no milter; retries deferred mail every
  1-2 s) -> Postfix "mx" (vouchd in smtpd_milters, verify role, Record
  into SQLite in batches of 50 rows or 200 ms; milter_default_action =
  tempfail) -> smtp-sink

1,000 messages, each to its own recipient domain (m0000.example, ...), so
that the store's envelope_to names the message each row is of.  When a
fifth has reached the sink every vouchd process gets SIGKILL (the
recorder's thread may be inside a transaction); vouchd is restarted a
second later.  Checked: SQLite's integrity_check and foreign_key_check;
the rows committed before the kill are all there; every message arrives
at the sink, evaluated (our Authentication-Results); each message has a
row but those vouchd had not committed when it was killed: at most two
batches (one being committed, one waiting), never a row for a message that
does not exist; repeated rows (a message recorded, then retried because
the kill came before the MTA had the answer) are counted, target 0.

Root only (Postfix); otherwise the test reports itself skipped.
"""
import collections
import os
import smtplib
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _postfix_common import preflight, lacks, start_vouchd
import mailworld
import postfix
import procs
import vtest
from vtest import ok, done

preflight("kill -9 vouchd while recording under load")

N = 1000
KILL_AT = N // 5
BATCH = 50
AUTHSERV_ID = "mx.receiver.example"


def zone(d):
    path = os.path.join(d, "zone.db")
    with open(path, "w") as f:
        f.write('$ORIGIN .\n$TTL 300\n'
                'example.com. TXT "v=spf1 ip4:127.0.0.0/8 -all"\n'
                '_dmarc.example.com. TXT "v=DMARC1; p=none; rua=mailto:agg@example.com"\n')
    return path


def message(i):
    return ("From: Load <load@example.com>\r\nTo: r@m%04d.example\r\nSubject: load %d\r\n"
            "Date: Mon, 07 Dec 2026 09:00:00 +0000\r\nMessage-ID: <rec-%04d@example.com>\r\n\r\n"
            "Hello.\r\n" % (i, i, i)).encode()


def inject(port, sessions=4):
    """Hands message i to the injector with recipient r@mIIII.example;
    returns the reply codes."""
    codes = [0] * N

    def worker(k):
        c = None
        for i in range(k, N, sessions):
            try:
                if c is None:
                    c = smtplib.SMTP("127.0.0.1", port, timeout=60)
                    c.ehlo("client.vouch.example")
                c.mail("load@example.com")
                c.rcpt("r@m%04d.example" % i)
                codes[i] = c.data(message(i))[0]
            except (OSError, smtplib.SMTPException):
                c = None
        if c is not None:
            try:
                c.quit()
            except (OSError, smtplib.SMTPException):
                pass

    th = [threading.Thread(target=worker, args=(k,)) for k in range(sessions)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    return codes


def count(db):
    c = sqlite3.connect(db, timeout=30)
    try:
        return c.execute("SELECT count(*) FROM evaluation").fetchone()[0]
    finally:
        c.close()


t0 = time.time()
with postfix.Lab("vouch-kill9-record-") as lab:
    db = os.path.join(lab.dir, "store.db")
    rc, out, err = vtest.vouch(["store", "init", "--db", db])
    ok(rc == 0, "vouch store init", err)
    sink = lab.sink()
    v = None
    if not lacks("kill -9 while recording", ["Record", "RecordBatchRows", "RecordBatchTime"]):
        v = start_vouchd(lab, "vouchd", {
            "Mode": "v", "AuthservID": AUTHSERV_ID, "ZoneFile": zone(lab.dir),
            "InternalHosts": "192.0.2.250", "Record": "yes", "RecordDB": db,
            "RecordBatchRows": str(BATCH), "RecordBatchTime": "200"})
    if v:
        mx = lab.postfix(name="mx", relay=sink, milters=[v.spec], default_action="tempfail").start()
        injector = lab.postfix(name="injector", relay=mx.smtp_port, fast_retry=True,
                               hostname="injector.vouch.example").start()
        codes = []
        th = threading.Thread(target=lambda: codes.extend(inject(injector.smtp_port)))
        th.start()
        reached = procs.wait_until(lambda: sink.count() >= KILL_AT, 120, step=0.02)
        ok(reached, "%d messages reached the sink before the kill" % KILL_AT,
           "%d at the sink; %s" % (sink.count(), mx.log_tail(600)))
        v.kill9()
        at_kill = count(db)
        t_kill = time.time()
        time.sleep(1.0)
        ok(procs.wait_until(lambda: "status=deferred" in injector.maillog(), 10, step=0.1),
           "the injector deferred mail while vouchd was down", injector.log_tail(600))
        try:
            v.start()
        except RuntimeError as e:
            print("# restart failed: %s" % e)
        ok(v.running(), "vouchd restarted %.1f s after the kill" % (time.time() - t_kill),
           v.log_tail())
        th.join()
        ok(codes.count(250) == N, "the injector accepted all %d messages" % N,
           "%d accepted" % codes.count(250))
        drained = procs.wait_until(lambda: sink.count() >= N and not injector.queue() and
                                   not mx.queue(), 180, step=0.5)
        ids = collections.Counter(m.message_id() for m in sink.messages())
        want = set("<rec-%04d@example.com>" % i for i in range(N))
        ok(drained and not (want - set(ids)),
           "every message arrives at the sink (%d unique), none lost" % len(ids),
           "%d missing" % len(want - set(ids)))
        unevaluated = [m.message_id() for m in sink.messages()
                       if not mailworld.our_authres(m, AUTHSERV_ID)]
        ok(not unevaluated, "every delivered message was evaluated by vouchd (none passed "
           "without the milter)", repr(unevaluated[:3]))
        v.stop()  # SIGTERM: the last batch is committed
        c = sqlite3.connect(db)
        integrity = c.execute("PRAGMA integrity_check").fetchall()
        fk = c.execute("PRAGMA foreign_key_check").fetchall()
        orphans = c.execute("SELECT count(*) FROM evaluation WHERE policy_id NOT IN "
                            "(SELECT id FROM evaluation_policy)").fetchone()[0]
        rows = collections.Counter(r[0] for r in c.execute("SELECT envelope_to FROM evaluation"))
        c.close()
        ok(integrity == [("ok",)] and not fk and orphans == 0,
           "after kill -9 the store is consistent (integrity_check ok, no foreign key broken)",
           "%r %r %d" % (integrity, fk[:3], orphans))
        total = sum(rows.values())
        ok(total >= at_kill, "the %d rows committed before the kill are kept (%d now)"
           % (at_kill, total))
        names = set("m%04d.example" % i for i in range(N))
        missing = names - set(rows)
        dups = sum(n - 1 for n in rows.values() if n > 1)
        ok(not (set(rows) - names), "no row for a message that was not sent",
           repr(sorted(set(rows) - names)[:5]))
        ok(len(missing) <= 2 * BATCH,
           "rows lost with the kill: %d, at most what was not committed (two batches of %d)"
           % (len(missing), BATCH), repr(sorted(missing)[:5]))
        ok(dups <= 20, "messages recorded twice (evaluated, then retried after the kill): %d "
           "(target 0; at most those in flight)" % dups,
           repr([k for k, n in rows.items() if n > 1][:5]))
print("# %.1f s" % (time.time() - t0))
done()
