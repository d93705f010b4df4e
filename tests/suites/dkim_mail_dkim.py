#!/usr/bin/python3
"""Mail::DKIM's verifier corpus (../shared/testsuites/dkim/mail-dkim/):
every corpus/*.txt with the DNS of FAKE_DNS.dat (turned into a temporary
zone file: NXDOMAIN entries left out, timeouts and SERVFAIL as $TIMEOUT and
$SERVFAIL, "" as an empty TXT record), expected overall results from
expected-results.tsv.

Result words: pass -> pass; fail -> fail; invalid -> permerror (temperror
for the DNS timeout and SERVFAIL cases); skip -> a visible skip.  The *dk*
files are DomainKeys only (RFC 4870), so a DKIM verifier says none.

Crypto policy (the corpus predates RFC 8301): each file is first verified
with the default policy.  A file whose signatures are refused for RFC 8301
reasons (rsa-sha1, RSA keys under 1024 bits) is then checked twice: the
default verdict must be permerror, and with --legacy-crypto it must match
the upstream expectation.  The TAP names say "(legacy crypto)" for those.
"""
import os

import vtest
from vtest import ok, skip
import _dkim_util as du

base = vtest.shared("testsuites", "dkim", "mail-dkim")

# FAKE_DNS.dat -> zone records.
recs = []
names = set()
for raw in open(os.path.join(base, "FAKE_DNS.dat"), "rb").read().split(b"\n"):
    line = raw.rstrip(b"\r")
    if not line.strip() or line.startswith(b"#"):
        continue
    parts = line.split(None, 1)
    name = parts[0].decode()
    value = parts[1] if len(parts) > 1 else b""
    # The value is the rest of the line after the separating whitespace.
    value = line[line.index(parts[0]) + len(parts[0]):].lstrip(b" \t")
    names.add(name.lower())
    if value.strip() == b"NXDOMAIN":
        continue
    if value.strip() == b"~~Query timed out~~":
        recs.append((name, "TIMEOUT", None))
    elif value.strip() == b"~~SERVFAIL~~":
        recs.append((name, "SERVFAIL", None))
    elif value.strip() == b'""':
        recs.append((name, "TXT", b""))
    else:
        recs.append((name, "TXT", value))

expected = []
for line in open(os.path.join(base, "expected-results.tsv"), encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    cols = line.rstrip("\n").split("\t")
    expected.append((cols[0], cols[1], cols[2] if len(cols) > 2 else ""))

corpus = os.path.join(base, "corpus")
ok(len(expected) == len(os.listdir(corpus)), "expected-results.tsv covers the corpus",
   "%d rows, %d files" % (len(expected), len(os.listdir(corpus))))

# RFC 4871 g= cases: RFC 6376 dropped g= (unknown key tags are ignored), so
# the upstream "invalid" is implementation-defined for them (README).
G_TAG = {"badkey_8.txt", "badkey_9.txt", "badkey_12.txt", "badkey_13.txt"}
DNS_FAIL = {"badkey_14.txt", "badkey_15.txt"}

with du.Zone(recs) as zone:
    for fname, want, note in expected:
        label = "%s (%s)" % (fname, note) if note else fname
        path = os.path.join(corpus, fname)
        if want == "skip":
            skip(label, "skipped upstream too: %s" % note)
            continue
        rc, doc, err = du.verify(zone, path)
        if not ok(rc == 0 and doc is not None, "%s: verdict produced" % fname,
                  "exit %d: %s" % (rc, err.strip())):
            continue
        legacy = any("RFC 8301" in s["reason"] or "pre-standard" in s["reason"] or "v=0.5" in s["reason"]
                     for s in doc["signatures"])
        if legacy:
            ok(doc["result"] != "pass" and all(s["result"] != "pass" or "RFC 8301" not in s["reason"]
                                               for s in doc["signatures"])
               and any(s["result"] == "permerror" for s in doc["signatures"]),
               "%s: refused under RFC 8301 by default" % fname, du.describe(doc))
            rc, doc, err = du.verify(zone, path, args=["--legacy-crypto"])
            label += " (legacy crypto)"
        got = doc["result"]
        if "dk" in fname.split("_")[0:2] or fname.startswith(("good_dk", "bad_dk", "dk_")):
            ok(got == "none", "%s: DomainKeys only, dkim=none" % label, du.describe(doc))
        elif fname in G_TAG:
            ok(got in ("pass", "permerror", "fail"), "%s: g= is implementation-defined" % label,
               du.describe(doc))
            print("# %s: %s" % (fname, du.describe(doc)))
        elif want == "invalid":
            accept = ("temperror",) if fname in DNS_FAIL else ("permerror", "neutral")
            ok(got in accept, "%s: %s" % (label, "/".join(accept)), du.describe(doc))
        else:
            ok(got == want, "%s: %s" % (label, want), du.describe(doc))
vtest.done()
