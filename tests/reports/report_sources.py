#!/usr/bin/python3
"""Where reports come from: a Maildir (new/ and cur/), an mbox (RFC 4155,
">From " quoting undone), standard input (one report or an mbox), a folder
read recursively; report e-mails with gzip, zip and plain XML parts, a
message without a report and a failure report among them; the progress
bar; and memory that stays flat as the number of reports grows (RSS of
1,000 and 10,000 reports in a Maildir).
"""
import mailbox
import os
import resource
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report_util as ru  # noqa: E402
import vtest  # noqa: E402
from vtest import ok, skip, done, shared  # noqa: E402

FAILURE = shared("testsuites", "dmarc", "parsedmarc", "failure",
                 "_Netease_DMARC_Failure_Report_Rent_Reminder.eml")


def report(i, kind="gzip", domain="src.example", extra=""):
    rid = "src-%d-%s" % (i, kind)
    xml = ru.make_xml(rid=rid, domain=domain, extra_meta=extra,
                      records=[{"ip": "192.0.2.%d" % (i % 250 + 1), "count": i + 1}])
    return ru.make_email(xml, rid=rid, domain=domain, kind=kind)


PLAIN = (b"From: someone@example.org\r\nTo: rua@src.example\r\nSubject: hello\r\n"
         b"\r\nNot a report.\r\n")


def maildir(tmp):
    box = os.path.join(tmp, "Maildir")
    msgs = [report(0, "gzip"), report(1, "zip"), report(2, "raw"), report(3, "gzip"), PLAIN,
            open(FAILURE, "rb").read()]
    ru.write_maildir(box, msgs)
    db = ru.new_store(os.path.join(tmp, "md.db"))
    rc, c, err = ru.ingest([box], db)
    ok(rc == 0 and c == {"inputs": 6, "reports": 4, "stored": 4, "duplicates": 0, "refused": 0,
                         "no_report": 1, "failure_reports": 1},
       "Maildir: 4 reports (gzip, zip, XML parts) from new/ and cur/, 1 message without a report, "
       "1 failure report", "%r %s" % (c, err))
    rows = ru.export_json(db) or []
    ok(sum(r["count"] for r in rows) == 1 + 2 + 3 + 4, "Maildir: the counts add up")
    return box


def mbox_file(tmp):
    path = os.path.join(tmp, "reports.mbox")
    mb = mailbox.mbox(path)
    extra = "<extra_contact_info>\nFrom the postmaster\n</extra_contact_info>"
    for i in range(5):
        m = report(10 + i, "raw" if i == 2 else "gzip",
                   extra=extra if i == 2 else "").replace(b"Content-Transfer-Encoding: base64",
                                                          b"Content-Transfer-Encoding: base64")
        if i == 2:
            # a 7bit XML part whose line "From the postmaster" the mbox
            # writer must quote as ">From "
            xml = ru.make_xml(rid="src-12-raw", domain="src.example", extra_meta=extra,
                              records=[{"ip": "192.0.2.13", "count": 13}])
            m = (b"From: r@reporter.example\r\nSubject: Report Domain: src.example\r\n"
                 b"MIME-Version: 1.0\r\nContent-Type: text/xml\r\n\r\n" + xml.replace(b"\n", b"\r\n"))
        mb.add(m)
    mb.flush()
    mb.close()
    with open(path, "rb") as fp:
        raw = fp.read()
    ok(b"\n>From the postmaster" in raw, "mbox: the writer quoted the body's From line")
    rc, docs, err = ru.vouch_dry_run(path)
    ok(rc == 0 and len(docs) == 5, "mbox: 5 messages, 5 reports", "%d %s" % (len(docs), err))
    q = [d for d in docs if d["report_id"] == "src-12-raw"]
    ok(q and q[0]["extra_contact_info"] == "From the postmaster",
       "mbox: '>From ' unquoted in the message (RFC 4155)", repr(q[0]["extra_contact_info"] if q else None))
    ok([d["item"] for d in docs] == ["message %d" % i for i in range(1, 6)],
       "mbox: messages numbered in order")
    rc, docs2, err = ru.vouch_dry_run("-", stdin=raw)
    ok(rc == 0 and len(docs2) == 5, "mbox on standard input: 5 reports")
    return path


def stdin_and_dirs(tmp):
    xml = ru.make_xml(rid="stdin-1", records=[{"ip": "192.0.2.99", "count": 7}])
    import gzip
    rc, docs, err = ru.vouch_dry_run("-", stdin=gzip.compress(xml))
    ok(rc == 0 and len(docs) == 1 and docs[0]["total_count"] == 7 and docs[0]["source"] == "-",
       "standard input: a gzip report")
    deep = os.path.join(tmp, "tree", "a", "b")
    os.makedirs(deep)
    with open(os.path.join(deep, "r.xml.gz"), "wb") as fp:
        fp.write(gzip.compress(xml))
    with open(os.path.join(tmp, "tree", ".hidden.xml"), "wb") as fp:
        fp.write(xml)
    with open(os.path.join(tmp, "tree", "top.eml"), "wb") as fp:
        fp.write(report(50))
    rc, docs, err = ru.vouch_dry_run(os.path.join(tmp, "tree"))
    ok(rc == 0 and sorted(d["item"] for d in docs) == ["a/b/r.xml.gz", "top.eml"],
       "a folder: read recursively, dot files skipped", repr([d["item"] for d in docs]))


def progress(tmp, box):
    db = ru.new_store(os.path.join(tmp, "p.db"))
    rc, out, err = vtest.vouch(["report", "ingest", "--db", db, "--progress", box])
    ok(rc == 0 and "[" + "#" * 40 + "] 100%" in err,
       "--progress draws a bar that reaches 100%", repr(err[-200:]))
    rc, out, err = vtest.vouch(["report", "ingest", "--db", db, box])
    ok("\r[" not in err, "no bar when standard error is not a terminal")


def peak_rss(db, box):
    """Peak RSS (KiB) of one ingest, from the kernel's accounting of the
    child (getrusage RUSAGE_CHILDREN over a process of its own)."""
    code = ("import resource,subprocess,sys;"
            "p=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
            "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    p = subprocess.run([sys.executable, "-c", code, vtest.VOUCH, "report", "ingest", "--db", db,
                        "--no-progress", box], stdout=subprocess.PIPE, text=True, timeout=600)
    rc, kib = p.stdout.split()
    return int(rc), int(kib)


def flat_memory(tmp):
    if vtest.SANITIZED:
        skip("RSS flat as reports grow", "sanitizer builds use memory of their own")
        return
    sizes = {}
    for n in (1000, 10000):
        box = os.path.join(tmp, "rss%d" % n)
        ru.write_maildir(box, [report(i) for i in range(n)])
        db = ru.new_store(os.path.join(tmp, "rss%d.db" % n))
        rc, kib = peak_rss(db, box)
        sizes[n] = kib
        ok(rc == 0, "%d reports ingested (peak RSS %d KiB)" % (n, kib))
    ok(sizes[10000] < sizes[1000] * 1.5 + 4096,
       "RSS flat: %d KiB for 10,000 reports vs %d KiB for 1,000" % (sizes[10000], sizes[1000]))


with tempfile.TemporaryDirectory() as tmp:
    box = maildir(tmp)
    mbox_file(tmp)
    stdin_and_dirs(tmp)
    progress(tmp, box)
    flat_memory(tmp)
done()
