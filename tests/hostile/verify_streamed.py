#!/usr/bin/python3
"""One verdict, whatever way the message arrives (issue 11 section 0,
issue 9): for every message of every corpus the tests use, the whole
message given to vouch_verify_message() and the streamed session fed as a
milter feeds it (the header field by field, the body in chunks of 1, 7,
4096 and varying sizes; header and body in one piece each) and
vouch_verify_fd() write byte for byte the same Authentication-Results
field and make the same decisions (forged fields, orphan lines, DMARC
result, disposition and reason).  build/tests/verify_diff does the
comparing; one TAP line per message.

The corpora: every fuzz corpus and saved crash (tests/fuzz/), the bundled
examples, every message of ../shared/cases, the message files of
../shared/testsuites (.eml, .message, .msg, .mbox, the DKIM corpora's .txt)
and the messages of the ARC suites' YAML, plus messages made here to
cross the header limits (the From kept aside, cut by the limit).
"""
import glob
import os
import subprocess
import sys
import tempfile

import vtest
from vtest import ok

sys.path.insert(0, os.path.join(vtest.ROOT, "tests", "suites"))
import _arc_util as au  # noqa: E402

TOOL = os.path.join(vtest.BUILD, "tests", "verify_diff")

# the zone of tests/fuzz/fuzz_verify.c, for messages that bring none
FUZZ_ZONE = """$ORIGIN .
$TTL 300
example.com. TXT "v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all"
_spf.example.net. TXT "v=spf1 a:mx.example.net ~all"
mx.example.net. A 192.0.2.7
_dmarc.example.com. TXT "v=DMARC1; p=reject; adkim=s"
_dmarc.example.org. TXT "v=DMARC1; p=quarantine; sp=none; t=y"
_dmarc.victim.example. TXT "v=DMARC1; p=reject"
$TIMEOUT slow._domainkey.example.com.
"""


def run(zone, files, label):
    """verify_diff over files; counts its TAP lines as ours."""
    if not files:
        return 0
    p = subprocess.run([TOOL, "--zone", zone, "-"], input="\n".join(files).encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=1200)
    n = 0
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith("ok - ") or line.startswith("not ok - "):
            ok(line.startswith("ok - "), "%s: %s" % (label, line.split(" - ", 1)[1]))
            n += 1
    ok(p.returncode in (0, 1) and n == len(files), "%s: verify_diff ran all %d messages" % (label, len(files)),
       "exit %d, %d lines: %s" % (p.returncode, n, p.stderr.decode("utf-8", "replace")[-300:]))
    return n


def padded(tmp):
    """Messages around the header limits, where held and streamed bytes part."""
    pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 40) for i in range(25000))
    cut = b""
    while len(cut) < (1 << 20) - 100:
        cut += b"X: " + b"q" * 60 + b"\r\n"
    cut = cut[:(1 << 20) - 20] + b"\r\n"
    msgs = {
        "from-after-1mib": pad + b"From: CEO <ceo@victim.example>\r\n\r\nbody\r\n",
        "from-cut-by-limit": cut + b"From: CEO <ceo@victim.example>\r\n\r\nbody\r\n",
        "two-from-around-limit": b"From: a@example.com\r\n" + pad + b"From: ceo@victim.example\r\n\r\nb\r\n",
        "forged-after-limit": b"From: a@example.com\r\n" + pad +
        b"Authentication-Results: mx.receiver.example; dmarc=pass\r\n\r\nbody\r\n",
        "orphan-then-limit": b" ; dmarc=pass\r\n" + pad + b"From: a@example.com\r\n\r\nbody\r\n",
        "lone-cr-after-limit": pad + b"X: a\rFrom: ceo@victim.example\r\n\r\nbody\r\n",
        "no-body-ends-in-from": pad + b"From: ceo@victim.example",
    }
    files = []
    for name, data in msgs.items():
        p = os.path.join(tmp, name + ".eml")
        with open(p, "wb") as f:
            f.write(data)
        files.append(p)
    return files


def main():
    if not os.access(TOOL, os.X_OK):
        ok(False, "verify_diff built", TOOL)
        vtest.done()
    root, shared = vtest.ROOT, vtest.SHARED
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        fz = os.path.join(tmp, "fuzz.db")
        with open(fz, "w") as f:
            f.write(FUZZ_ZONE)
        fuzz = sorted(p for p in glob.glob(os.path.join(root, "tests", "fuzz", "corpus", "*", "*")) +
                      glob.glob(os.path.join(root, "tests", "fuzz", "crashes", "*", "*"))
                      if os.path.isfile(p))
        total += run(fz, fuzz, "fuzz corpora")
        total += run(os.path.join(root, "examples", "zone.db"),
                     sorted(glob.glob(os.path.join(root, "examples", "*.eml"))), "examples")
        for d in sorted(glob.glob(os.path.join(shared, "cases", "*", "*"))):
            m, z = os.path.join(d, "message.eml"), os.path.join(d, "zone.db")
            if os.path.isfile(m):
                total += run(z if os.path.isfile(z) else fz, [m], "cases")
        suites = []
        for pat in ("**/*.eml", "**/*.message", "**/*.msg", "**/*.mbox", "dkim/mail-auth/*.txt",
                    "dkim/mail-dkim/corpus/*.txt", "dkim/mail-dkim/*.txt"):
            suites += glob.glob(os.path.join(shared, "testsuites", pat), recursive=True)
        total += run(fz, sorted(set(p for p in suites if os.path.isfile(p))), "testsuites")
        for yml in sorted(glob.glob(os.path.join(shared, "testsuites", "arc", "*", "*.yml"))):
            for k, sc in enumerate(au.load_scenarios(yml)):
                files = []
                for tid, t in sc["tests"]:
                    if not isinstance(t.get("message"), str):
                        continue
                    p = os.path.join(tmp, "%s-%d-%s.eml" % (os.path.basename(yml), k, tid))
                    with open(p, "wb") as f:
                        f.write(au.crlf(t["message"]))
                    files.append(p)
                with au.zone(sc["txt-records"]) as z:
                    total += run(z, files, "ARC suite %s" % os.path.basename(yml))
        total += run(fz, padded(tmp), "around the header limits")
    ok(total > 300, "more than 300 messages compared", "only %d" % total)
    vtest.done()


main()
