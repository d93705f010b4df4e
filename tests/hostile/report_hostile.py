#!/usr/bin/python3
"""Hostile input on the receiver's reporting path (SQLite store; run again
under ASan+UBSan by the asan phase): DKIM-Signature tags and report URIs
carrying markup, quotes, 8-bit and control bytes are recorded escaped and
every report made from them is valid XML that validates against RFC 9990's
schema; a store whose rows were tampered with (bad escapes, raw bytes,
huge texts) still gives well-formed reports; database URLs that are not
URLs are usage errors."""
import gzip
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reports"))
import _world  # noqa: E402
from _world import DAY1, DAY2, run, vouch  # noqa: E402
from vtest import ok  # noqa: E402

W = _world.World()
be = _world.Backend("sqlite")
url = be.new_store("hostile")

# signatures whose d= and s= are hostile: permerror verdicts, recorded
bad_sigs = [
    b'v=1; a=rsa-sha256; d=example.com; s=<script>&"\'; h=from; bh=AAAA; b=AAAA',
    b'v=1; a=rsa-sha256; d=ex\xc3\xa9mple.com; s=s\x01\x7f\xff; h=from; bh=AAAA; b=AAAA',
    b'v=1; a=rsa-sha256; d=' + b'a' * 300 + b'.example; s=' + b'%;' * 200 + b'; h=from; bh=AAAA; b=AAAA',
    b'v=1; a=rsa-sha256; d=example.com; s=]]>--><!--; h=from; bh=AAAA; b=AAAA',
]
for i, sig in enumerate(bad_sigs):
    path = os.path.join(W.dir, "h%d.eml" % i)
    with open(path, "wb") as f:
        f.write(b"DKIM-Signature: " + sig + b"\r\nFrom: a@example.com\r\nTo: b@example.org\r\n"
                b"Subject: h\r\n\r\nbody\r\n")
    rc, out, err = W.record(url, path, "192.0.2.10", "bounce@example.com", DAY1 + 10 + i)
    ok(rc == 0, "hostile signature %d: recorded without error" % i, err)
rows = be.sql(url, "SELECT count(*) FROM evaluation")
ok(rows == [[str(len(bad_sigs))]], "every hostile message is one evaluation", repr(rows))
raw = subprocess.run(["sqlite3", url[7:], "SELECT dkim FROM evaluation"], stdout=subprocess.PIPE).stdout
ok(all(0x20 <= b <= 0x7e or b == 0x0a for b in raw),
   "stored DKIM texts are printable ASCII (escaped)", repr(raw[:200]))

# tampered rows: bad escapes, raw control and 8-bit bytes, a huge comment
be.sql(url, "INSERT INTO evaluation SELECT time + 1, policy_domain, policy_id, source_ip, "
            "header_from, envelope_from || char(1) || '<&>', envelope_to, dmarc_result, "
            "disposition, dkim_aligned, spf_aligned, 'other ' || hex(randomblob(3000)) || "
            "char(7) || ';bogus%zz x', spf_domain, spf_scope, spf_result, "
            "'d%zz s%2 pass;' || char(200) || ' s fail x' FROM evaluation LIMIT 1")
run(["report", "generate", "--db", url, "--org-name", "Org <&> \"q\" \xe9", "--email",
     "r@receiver.example", "--from", str(DAY1), "--to", str(DAY2)], "generate")
reps = _world.report_list(url)
ok(len({r["report_id"] for r in reps}) == 1, "one report from the hostile rows", repr(reps))
x = _world.report_xml(url, reps[0]["report_id"]) if reps else b""
valid, why = _world.xmllint(x, _world.XSD9990)
ok(valid, "the report of hostile and tampered rows validates against RFC 9990's schema", why)
ok(b"&lt;script&gt;&amp;" in x and b"<script>" not in x, "markup in s= is escaped in the XML")
ok(b"\x01" not in x and b"\x07" not in x, "control bytes never reach the XML")
rep = _world.parse(x) if valid else {"records": []}
ok(sum(r["count"] for r in rep["records"]) == len(bad_sigs) + 1, "counts survive the tampering")

# URLs that are not URLs
for bad, what in (("a\x01b.db", "a control byte"), ("ftp://x/y", "another scheme"),
                  ("sqlite:", "an empty path"), ("x" * 5000, "a 5000-byte URL")):
    rc, out, err = vouch(["store", "status", "--db", bad])
    ok(rc == 64, "--db with %s is a usage error" % what, "rc %d %s" % (rc, err[:200]))
_world.finish()
