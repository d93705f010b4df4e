#!/usr/bin/python3
"""Hostile inputs to vouch report ingest, generated here: each must give a
clear error (exit 65, "refused: <reason>" on stderr), leave the store as it
was, and cost little time and memory.

zip bomb, gzip bomb, billion laughs, external entities (XXE, and an
external DTD on a local port that must see no connection), path traversal
in zip entry names, oversized input, truncated gzip, deep XML nesting,
deep MIME nesting, nested archives, too many zip entries, an element text
over its cap.  Some limits drop a part and keep the report (a count over
10^12, more than 100 DKIM results): those are checked too.
"""
import gzip
import io
import json
import os
import socket
import sys
import tempfile
import threading
import time
import zipfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report_util as ru  # noqa: E402
import vtest  # noqa: E402
from vtest import ok, done  # noqa: E402

GOOD = ru.make_xml(rid="good", records=[{"ip": "192.0.2.1", "count": 1}])


def deflate_stream(chunk, n):
    """A gzip stream of n copies of chunk, made without holding them."""
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + 15)
    out = [c.compress(chunk) for _ in range(n)]
    out.append(c.flush())
    return b"".join(out)


def zip_of(entries, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buf.getvalue()


def zip_bomb():
    """One entry that inflates to 200 MiB of zeros, written by streaming."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("report.xml", "w", force_zip64=True) as f:
            block = b"\0" * (1 << 20)
            for _ in range(200):
                f.write(block)
    return buf.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE feedback [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
""" + GOOD.split(b"\n", 1)[1].replace(b"<org_name>reporter.example", b"<org_name>&lol9;")


def xxe(url):
    return (b'<?xml version="1.0"?>\n<!DOCTYPE feedback [ <!ENTITY x SYSTEM "' + url.encode() +
            b'"> ]>\n' + GOOD.split(b"\n", 1)[1].replace(b"<org_name>reporter.example",
                                                        b"<org_name>&x;"))


def external_dtd(port):
    return (b'<?xml version="1.0"?>\n<!DOCTYPE feedback SYSTEM "http://127.0.0.1:%d/r.dtd">\n'
            % port + GOOD.split(b"\n", 1)[1])


def deep_xml(n):
    return GOOD.replace(b"</feedback>", b"<x>" * n + b"</x>" * n + b"</feedback>")


def deep_mime(n):
    head = b"From: a@example.com\r\nSubject: deep\r\nMIME-Version: 1.0\r\n"
    parts = []
    for i in range(n):
        parts.append(b"Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n" % (i, i))
    tail = b"".join(b"\r\n--b%d--\r\n" % i for i in reversed(range(n)))
    return head + b"".join(parts) + b"Content-Type: text/xml\r\n\r\n" + GOOD + tail


class Listener:
    """A TCP port that records whether anyone connected."""

    def __init__(self):
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(5)
        self.s.settimeout(0.2)
        self.port = self.s.getsockname()[1]
        self.hits = 0
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            try:
                c, _ = self.s.accept()
                self.hits += 1
                c.close()
            except OSError:
                pass

    def close(self):
        self.stop = True
        self.t.join()
        self.s.close()


def stored(db):
    rows = ru.export_json(db)
    return len(rows) if rows is not None else -1


def refused(db, tmp, name, data, reason, seconds=10):
    path = os.path.join(tmp, name)
    with open(path, "wb") as fp:
        fp.write(data)
    before = stored(db)
    t0 = time.time()
    rc, counts, err = ru.ingest([path], db, timeout=120)
    took = time.time() - t0
    ok(rc == 65 and "refused" in err and reason in err,
       "%s: refused (%s)" % (name, reason), "exit %d, stderr %r" % (rc, err[-300:]))
    ok(stored(db) == before and counts is not None and counts["stored"] == 0,
       "%s: nothing stored" % name)
    ok(took < seconds, "%s: refused in %.1fs (under %ds)" % (name, took, seconds))
    return err


def main():
    with tempfile.TemporaryDirectory() as tmp:
        db = ru.new_store(os.path.join(tmp, "h.db"))
        bomb = deflate_stream(b"\0" * (1 << 20), 200)
        refused(db, tmp, "bomb.xml.gz", bomb, "gzip bomb")
        refused(db, tmp, "bomb.eml", ru.make_email(b"", kind="raw").replace(
            b"Content-Type: text/xml", b"Content-Type: application/gzip").replace(
            b"Content-Transfer-Encoding: base64\r\n\r\n",
            b"Content-Transfer-Encoding: base64\r\n\r\n" +
            __import__("base64").encodebytes(bomb).replace(b"\n", b"\r\n")), "gzip bomb")
        refused(db, tmp, "bomb.zip", zip_bomb(), "zip bomb")
        refused(db, tmp, "laughs.xml", BILLION_LAUGHS, "document type declaration", seconds=3)
        err = refused(db, tmp, "xxe.xml", xxe("file:///etc/passwd"), "document type declaration")
        ok("root:" not in err, "xxe.xml: nothing of /etc/passwd shows")
        lst = Listener()
        refused(db, tmp, "xxe-http.xml", xxe("http://127.0.0.1:%d/x" % lst.port),
                "document type declaration")
        refused(db, tmp, "dtd.xml", external_dtd(lst.port), "document type declaration")
        time.sleep(0.3)
        lst.close()
        ok(lst.hits == 0, "no connection to the external entity's or DTD's address",
           "%d connections" % lst.hits)
        refused(db, tmp, "traversal.zip", zip_of([("../../etc/cron.d/evil.xml", GOOD)]),
                "path traversal")
        refused(db, tmp, "absolute.zip", zip_of([("/tmp/evil.xml", GOOD)]), "path traversal")
        refused(db, tmp, "many.zip", zip_of([("r%d.xml" % i, GOOD) for i in range(17)]),
                "more than 16 entries")
        big = os.path.join(tmp, "big.xml")
        with open(big, "wb") as fp:
            fp.write(GOOD)
            fp.truncate(65 * 1024 * 1024)
        before = stored(db)
        rc, counts, err = ru.ingest([big], db)
        ok(rc == 65 and "over 67108864 bytes" in err and stored(db) == before,
           "65 MiB input: refused (input over 64 MiB)", err[-200:])
        gz = gzip.compress(GOOD * 1)
        refused(db, tmp, "truncated.xml.gz", gz[:len(gz) // 2], "truncated")
        refused(db, tmp, "deep.xml", deep_xml(100000), "nested deeper than 32")
        refused(db, tmp, "deep.eml", deep_mime(2000), "MIME nested too deep")
        nested = GOOD
        for _ in range(5):
            nested = gzip.compress(nested)
        refused(db, tmp, "nested.gz", nested, "nested too deep")
        refused(db, tmp, "longtext.xml", GOOD.replace(b"<org_name>reporter.example",
                                                       b"<org_name>" + b"a" * 70000),
                "over 65536 bytes")
        refused(db, tmp, "notxml.bin", b"\x00\x01\x02binary junk" * 100, "not XML")
        # parts dropped, the report kept, with a warning
        recs = [{"ip": "192.0.2.1", "count": 10 ** 12 + 1}, {"ip": "192.0.2.2", "count": 3,
                "auth_dkim": [("d%d.example" % i, "s", "pass") for i in range(101)]}]
        path = os.path.join(tmp, "caps.xml")
        with open(path, "wb") as fp:
            fp.write(ru.make_xml(rid="caps", records=recs))
        rc, docs, err = ru.vouch_dry_run(path)
        d = docs[0] if docs else {}
        ok(rc == 0 and len(d.get("records", [])) == 1 and d["total_count"] == 3,
           "a count over 10^12 drops that record, the report is kept", repr(d.get("warnings")))
        ok(d and len(d["records"][0]["auth_results"]["dkim"]) == 100 and
           any("beyond 100" in w for w in d["warnings"]),
           "DKIM results beyond 100 (RFC 9990 §3.1.3) dropped with a warning")
        long_range = os.path.join(tmp, "range.xml")
        with open(long_range, "wb") as fp:
            fp.write(ru.make_xml(rid="range", begin=1700000000, end=1700000000 + 40 * 86400,
                                 records=recs[1:2]))
        refused(db, tmp, "range.xml", open(long_range, "rb").read(), "spans more than 31 days")


main()
done()
