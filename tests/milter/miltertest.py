#!/usr/bin/python3
"""vouchd through a milter client that is not ours: Debian's miltertest
(package miltertest) runs tests/milter/miltertest_*.lua against a vouchd
started here.  Each PASSED/FAILED line of the script is one check, and
the script's last line must be its sentinel: miltertest exits 0 silently
when a step was negotiated away, so exit status alone proves nothing.
"""
import os
import shutil
import subprocess

import scratch
import vtest
from vtest import ok
from milterclient import require_vouchd, Vouchd, MilterError

ZONE = """$ORIGIN .
$TTL 300
example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.com. TXT "v=DMARC1; p=reject"
other.example. TXT "v=spf1 -all"
"""


def main():
    require_vouchd(vtest)
    if shutil.which("miltertest") is None:
        vtest.skip("miltertest scripts", "miltertest is not installed (package miltertest)")
        vtest.done()
    tmp = scratch.mkdtemp("vouchd-mt-")
    zone = os.path.join(tmp, "zone.db")
    with open(zone, "w") as f:
        f.write(ZONE)
    here = os.path.dirname(os.path.abspath(__file__))
    scripts = sorted(f for f in os.listdir(here) if f.startswith("miltertest_") and f.endswith(".lua"))
    ok(scripts, "miltertest scripts present")
    for s in scripts:
        try:
            d = Vouchd(["ZoneFile " + zone, "AuthservID mx.test.example", "Mode v"])
        except MilterError as e:
            ok(False, "%s: vouchd starts" % s, str(e))
            continue
        try:
            p = subprocess.run(["miltertest", "-s", os.path.join(here, s)],
                               env=dict(os.environ, VOUCHD_SOCKET=d.address),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        finally:
            d.stop()
        out = p.stdout.decode("utf-8", "replace").splitlines()
        for line in out:
            if line.startswith("PASSED: "):
                ok(True, "%s: %s" % (s, line[8:]))
            elif line.startswith("FAILED: "):
                ok(False, "%s: %s" % (s, line[8:]))
        ok(p.returncode == 0 and out and out[-1] == "VOUCHD-MILTERTEST-OK",
           "%s: ran to its sentinel" % s,
           "exit %d, last line %r: %s" % (p.returncode, out[-1] if out else None,
                                          p.stderr.decode("utf-8", "replace")[-300:]))
    shutil.rmtree(tmp, ignore_errors=True)
    vtest.done()


main()
