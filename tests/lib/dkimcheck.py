"""Three independent DKIM verifiers for mail that came out of a milter,
each asking the test's NSD for keys:

    vouch_dkim(path, port)      `vouch dkim verify --json --dns-server`
    opendkim_dkim(path, port)   `opendkim -t` in verify mode (libunbound)
    dkimpy_dkim(path, port)     dkimpy (python3-dkim, what dkimverify runs),
                                its dnsfunc asking NSD through dnspython

Each returns (verdict, detail): verdict is "pass", "fail" or "error"
(could not be decided), detail says why, for a failure message.  A message
passes when its topmost DKIM-Signature verifies (opendkim and dkimpy
check the first one; vouch must report pass for it).
"""
import json
import os
import re
import subprocess
import tempfile

import vtest

try:
    import dkim  # python3-dkim
    import dns.message
    import dns.query
    DKIMPY_ERR = None
except ImportError as e:  # reported as an error verdict, never silent
    dkim = None
    DKIMPY_ERR = str(e)


def vouch_dkim(path, port):
    p = subprocess.run([vtest.VOUCH, "dkim", "verify", "--json", "--dns-server",
                        "127.0.0.1@%d" % port, path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        return "error", "vouch exit %d: %s" % (p.returncode, p.stderr.decode()[:300])
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        return "error", "vouch printed no JSON: %r" % p.stdout[:300]
    sigs = doc.get("signatures") or doc.get("results") or []
    if not sigs:
        return "fail", "no signature reported: %s" % json.dumps(doc)[:300]
    first = sigs[0]
    verdict = first.get("result")
    return ("pass" if verdict == "pass" else "fail"), json.dumps(first)[:400]


def opendkim_dkim(path, port):
    with tempfile.TemporaryDirectory(prefix="vouch-odkim-") as d:
        conf = os.path.join(d, "opendkim-verify.conf")
        with open(conf, "w") as f:
            f.write("Mode v\nSyslog no\nNameservers 127.0.0.1@%d\n" % port)
        p = subprocess.run(["opendkim", "-x", conf, "-t", path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    m = re.search(r"verification \(.*\) (succeeded|failed)", out) if p.returncode == 0 else None
    if not m:
        return "error", "opendkim -t exit %d: %s" % (p.returncode, out.strip()[:300])
    return ("pass" if m.group(1) == "succeeded" else "fail"), out.strip()[:300]


def _dnsfunc(port):
    def query(name, timeout=5):
        q = dns.message.make_query(name.decode("ascii").rstrip("."), "TXT")
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=timeout)
        for rrset in r.answer:
            for rr in rrset:
                return b"".join(rr.strings)
        return None
    return query


def dkimpy_dkim(path, port):
    if dkim is None:
        return "error", "python3-dkim or dnspython missing: %s" % DKIMPY_ERR
    with open(path, "rb") as f:
        msg = f.read()
    try:
        d = dkim.DKIM(msg)
        good = d.verify(dnsfunc=_dnsfunc(port))
        return ("pass" if good else "fail"), "dkimpy verify() = %s" % good
    except dkim.ValidationError as e:
        return "fail", "dkimpy: %s" % e
    except Exception as e:
        return "error", "dkimpy raised %r" % e


VERIFIERS = (("vouch", vouch_dkim), ("opendkim", opendkim_dkim), ("dkimpy", dkimpy_dkim))


def all_verdicts(path, port):
    """[(verifier name, verdict, detail)] for the three verifiers."""
    return [(name, *fn(path, port)) for name, fn in VERIFIERS]
