#!/usr/bin/python3
"""Ingested reports in the store, on both back ends (SQLite, and a private
PostgreSQL from tests/lib/pg.py): the same checks run on each.

- every sample of ../shared/testsuites/dmarc is stored with the counts the
  independent reader finds in its XML (exported back as JSON);
- ingesting the same inputs again stores nothing twice (de-duplication on
  reporter, policy domain and report_id, RFC 9990 §3.5.1);
- a report spanning several UTC days is split by the rule of feedback.h
  (largest remainder, computed again here), a one-day report that starts
  at a local midnight goes to the day holding its middle;
- kill -9 in the middle of a large ingest leaves a consistent store (each
  stored report whole), and running it again completes it, nothing twice.
"""
import glob
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report_util as ru  # noqa: E402
import pg  # noqa: E402
import vtest  # noqa: E402
from vtest import ok, skip, done, shared  # noqa: E402

DMARC = shared("testsuites", "dmarc")
SAMPLE_DIRS = [os.path.join(DMARC, d) for d in
               ("parsedmarc/aggregate", "opendmarc-testfiles", "mail-dmarc", "ietf-wg-samples")]


def expected_samples():
    """(org, report_id) -> total, by the independent reader."""
    want = {}
    for d in SAMPLE_DIRS:
        for f in sorted(glob.glob(os.path.join(d, "*"))):
            if os.path.basename(f).startswith("LICENSE"):
                continue
            try:
                with open(f, "rb") as fp:
                    for x in ru.blobs(fp.read()):
                        r = ru.parse(x)
                        want[(r["org_name"].strip(), r["report_id"])] = r["total"]
            except (ru.Unreadable, ValueError):
                pass  # the broken ones: refused (report_samples.py)
    return want


def totals(rows):
    got = {}
    for r in rows:
        k = (r["report"]["org_name"], r["report"]["report_id"])
        got[k] = got.get(k, 0) + r["count"]
    return got


def samples(tag, db):
    want = expected_samples()
    rc, counts, err = ru.ingest(SAMPLE_DIRS, db)
    ok(counts is not None and counts["stored"] == len(want),
       "%s: %d sample reports stored" % (tag, len(want)), "got %r %s" % (counts, err[-300:]))
    # the same report comes in several forms (xml, gz, zip; the RFC 9990
    # sample twice): read each time, stored once
    nread = counts["reports"] if counts else -1
    rows = ru.export_json(db)
    got = totals(rows or [])
    bad = [(k, got.get(k), v) for k, v in want.items() if got.get(k) != v]
    ok(rows is not None and not bad, "%s: every stored report's count equals its XML's" % tag,
       "differ: %r" % bad[:5])
    nrows = len(rows or [])
    rc, counts, err = ru.ingest(SAMPLE_DIRS, db)
    ok(counts is not None and counts["stored"] == 0 and counts["duplicates"] == nread,
       "%s: ingesting again stores nothing, %d duplicates" % (tag, nread), repr(counts))
    again = ru.export_json(db)
    ok(again is not None and len(again) == nrows and totals(again) == got,
       "%s: the rows are unchanged after the second ingest" % tag)
    one = ru.export_json(db, "--domain", "indemed.com")
    ok(one is not None and len(one) == 1 and one[0]["report"]["org_name"] == "FastMail Pty Ltd",
       "%s: export --domain selects one policy domain" % tag)


def largest_remainder(count, weights):
    """The split of feedback.h, written again: floors, then the largest
    remainders (earlier day first on a tie)."""
    total = sum(weights)
    shares = [count * w // total for w in weights]
    rems = [count * w % total for w in weights]
    for _ in range(count - sum(shares)):
        i = max(range(len(weights)), key=lambda k: (rems[k], -k))
        shares[i] += 1
        rems[i] = -1
    return shares


def day_split(tag, db, tmp):
    day = 86400
    begin = 1699963200  # 2023-11-14 12:00 UTC
    end = begin + 3 * day  # 2023-11-17 12:00
    recs = [{"ip": "192.0.2.1", "count": 10, "dkim": "pass", "spf": "pass"},
            {"ip": "192.0.2.2", "count": 7, "dkim": "fail", "spf": "fail"},
            {"ip": "192.0.2.3", "count": 1, "dkim": "fail", "spf": "fail"}]
    xml = ru.make_xml(rid="split-1", domain="split.example", begin=begin, end=end, records=recs)
    path = os.path.join(tmp, "split.xml")
    with open(path, "wb") as fp:
        fp.write(xml)
    ru.ingest([path], db)
    rows = ru.export_json(db, "--domain", "split.example") or []
    days = [begin - begin % day + i * day for i in range(4)]
    weights = [min(d + day, end) - max(d, begin) for d in days]
    for r in recs:
        want = {d: s for d, s in zip(days, largest_remainder(r["count"], weights)) if s > 0}
        got = {x["day_start"]: x["count"] for x in rows if x["source_ip"] == r["ip"]}
        ok(got == want, "%s: %d messages over 3 days split %r" % (tag, r["count"], sorted(want.values())),
           "got %r want %r" % (got, want))
    # one day beginning at 22:00 UTC: the day of its middle
    b2 = 1699999200  # 2023-11-14 22:00 UTC
    xml = ru.make_xml(rid="local-midnight", domain="tz.example", begin=b2, end=b2 + day,
                      records=recs[:1])
    path = os.path.join(tmp, "tz.xml")
    with open(path, "wb") as fp:
        fp.write(xml)
    ru.ingest([path], db)
    rows = ru.export_json(db, "--domain", "tz.example") or []
    mid = b2 + day // 2
    ok([(x["day_start"], x["count"]) for x in rows] == [(mid - mid % day, 10)],
       "%s: a day from 22:00 UTC is filed under the day of its middle" % tag,
       repr([(x["day"], x["count"]) for x in rows]))
    # --since keeps the days from that one on
    rows = ru.export_json(db, "--domain", "split.example", "--since", "2023-11-16")
    ok(rows is not None and {x["day"] for x in rows} == {"2023-11-16", "2023-11-17"},
       "%s: export --since 2023-11-16 keeps the days from the 16th" % tag)


def kill_midway(tag, db, tmp, n=3000):
    box = os.path.join(tmp, "big")
    want = {}
    msgs = []
    for i in range(n):
        recs = [{"ip": "198.51.100.%d" % (i % 250 + 1), "count": i % 7 + 1, "dkim": "pass",
                 "spf": "fail"},
                {"ip": "203.0.113.%d" % (i % 200 + 1), "count": 2, "dkim": "fail", "spf": "fail"}]
        rid = "kill-%05d" % i
        xml = ru.make_xml(rid=rid, domain="kill.example", records=recs)
        msgs.append(ru.make_email(xml, rid=rid, domain="kill.example"))
        want[("reporter.example", rid)] = sum(r["count"] for r in recs)
    ru.write_maildir(box, msgs)
    p = subprocess.Popen([vtest.VOUCH, "report", "ingest", "--db", db, "--no-progress", box],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # kill once some reports are in, well before all are
    deadline = time.time() + 30
    stored = 0
    while time.time() < deadline and p.poll() is None:
        time.sleep(0.05)
        rows = ru.export_json(db, "--domain", "kill.example") or []
        stored = len(totals(rows))
        if stored >= n // 10:
            break
    killed = p.poll() is None
    if killed:
        p.send_signal(signal.SIGKILL)
    p.wait()
    ok(killed, "%s: kill -9 while ingesting (%d of %d stored)" % (tag, stored, n),
       "the ingest finished before it could be killed")
    got = totals(ru.export_json(db, "--domain", "kill.example") or [])
    bad = [k for k, v in got.items() if want.get(k) != v]
    ok(0 < len(got) < n and not bad,
       "%s: after kill -9 each stored report is whole (%d stored)" % (tag, len(got)),
       "%d stored, partial: %r" % (len(got), bad[:3]))
    rc, counts, err = ru.ingest([box], db)
    ok(counts is not None and counts["stored"] == n - len(got) and
       counts["duplicates"] == len(got),
       "%s: the rerun stores the rest and counts the %d done as duplicates" % (tag, len(got)),
       repr(counts))
    got = totals(ru.export_json(db, "--domain", "kill.example") or [])
    ok(got == want, "%s: all %d reports stored once, with their counts" % (tag, n),
       "%d stored" % len(got))


def run(tag, db):
    with tempfile.TemporaryDirectory() as tmp:
        samples(tag, db)
        day_split(tag, db, tmp)
        kill_midway(tag, db, tmp)


with tempfile.TemporaryDirectory() as tmp:
    db = ru.new_store(os.path.join(tmp, "owner.db"))
    rc, out, err = vtest.vouch(["report", "ingest", "--db", os.path.join(tmp, "none.db"),
                                os.path.join(DMARC, "mail-dmarc", "test_dmarc.xml")])
    ok(rc == 69 and "vouch store init" in err, "sqlite: a missing store is refused, naming store init",
       "exit %d %r" % (rc, err))
    run("sqlite", db)

why = pg.available()
if why:
    skip("postgresql: every check above", why)
else:
    with pg.Server() as srv:
        url = srv.new_db("owner")
        vtest.vouch(["store", "init", "--db", url])
        run("postgresql", url)
done()
