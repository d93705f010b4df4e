#!/usr/bin/python3
"""Mail::DKIM's verifier corpus (../shared/testsuites/dkim/mail-dkim/):
every corpus/*.txt with the DNS of FAKE_DNS.dat (turned into a temporary
zone file: NXDOMAIN entries left out, timeouts and SERVFAIL as $TIMEOUT and
$SERVFAIL, "" as an empty TXT record), expected overall results from
expected-results.tsv.

Result words: pass -> pass; fail -> fail; invalid -> permerror (temperror
for the DNS timeout and SERVFAIL cases); skip -> a visible skip.  The *dk*
files are DomainKeys only (RFC 4870), so a DKIM verifier says none.

Crypto policy (the corpus predates RFC 8301): a file is "legacy" when
one of its DKIM-Signature fields, read from the message itself, is a
pre-standard draft signature (no v=, or v=0.5), or is a v=1 signature with
q=dns and not dns/txt, with a=rsa-sha1 (RFC 8301 section 3.1), or naming a
key whose p= in FAKE_DNS.dat is an RSA key under 1024 bits (RFC 8301
section 3.2; the size is openssl's, not vouch's).  vouch's own reasons play no part, so a wrong
refusal of a modern signature fails here rather than being re-run.  A
legacy file is checked twice: the default verdict must be permerror, not
pass, and with --legacy-crypto it must match the upstream expectation.  The
TAP names say "(legacy crypto)" for those; a last check says how many.
"""
import base64
import binascii
import os
import re
import subprocess

import vtest
from vtest import ok, skip
import _dkim_util as du

base = vtest.shared("testsuites", "dkim", "mail-dkim")

# FAKE_DNS.dat -> zone records.
recs = []
names = set()
keyrecs = {}  # lowercased name -> [TXT value], for the key sizes
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
        keyrecs.setdefault(name.lower().rstrip("."), []).append(value)


def tags(value):
    """A tag=value list (RFC 6376 section 3.2) as a dict, whitespace
    removed (the tags read here hold no meaningful whitespace)."""
    out = {}
    for part in value.split(b";"):
        if b"=" in part:
            k, v = part.split(b"=", 1)
            out[re.sub(rb"\s", b"", k).decode("latin-1").lower()] = \
                re.sub(rb"\s", b"", v).decode("latin-1")
    return out


def rsa_bits(p):
    """The size of the RSA public key p= (base64 SubjectPublicKeyInfo), by
    openssl; None when it is not one."""
    try:
        der = base64.b64decode(p, validate=True)
    except (binascii.Error, ValueError):
        return None
    r = subprocess.run(["openssl", "pkey", "-pubin", "-inform", "DER", "-noout", "-text"],
                       input=der, capture_output=True)
    m = re.search(rb"^(?:RSA )?Public-Key: \((\d+) bit\)", r.stdout, re.M)
    if r.returncode != 0 or m is None or b"Modulus" not in r.stdout:
        return None
    return int(m.group(1))


def signature_fields(path):
    """The DKIM-Signature field values of the message at path, unfolded."""
    data = open(path, "rb").read().replace(b"\r\n", b"\n")
    head = data.split(b"\n\n", 1)[0]
    fields = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b" " + line
        else:
            fields.append(line)
    return [f.split(b":", 1)[1] for f in fields
            if b":" in f and f.split(b":", 1)[0].strip().lower() == b"dkim-signature"]


def legacy_why(path):
    """Why RFC 8301 or RFC 6376 section 6.1.1 refuses a signature of the
    message by default, from the input alone; None when nothing does."""
    for value in signature_fields(path):
        t = tags(value)
        if "v" not in t or t["v"] == "0.5":
            return "pre-standard signature, %s" % ("v=0.5" if "v" in t else "no v=")
        if t["v"] != "1":
            continue  # refused whatever the policy
        methods = t.get("q", "dns/txt").lower().split(":")
        if "dns" in methods and "dns/txt" not in methods:
            return "pre-standard query method q=%s" % t["q"]
        if t.get("a", "").lower() == "rsa-sha1":
            return "a=rsa-sha1"
        name = "%s._domainkey.%s" % (t.get("s", ""), t.get("d", ""))
        for rec in keyrecs.get(name.lower(), []):
            k = tags(rec)
            if k.get("k", "rsa").lower() != "rsa" or not k.get("p"):
                continue
            bits = rsa_bits(k["p"])
            if bits is not None and bits < 1024:
                return "%d-bit RSA key" % bits
    return None


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

nlegacy = 0
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
        why = legacy_why(path)
        if why is not None:
            nlegacy += 1
            ok(doc["result"] != "pass"
               and any(s["result"] == "permerror" for s in doc["signatures"]),
               "%s: refused by default (%s)" % (fname, why), du.describe(doc))
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
# The corpus is mostly pre-RFC 8301: a count of 0 would mean the input
# reading above broke, and every legacy file failed as modern instead.
ok(nlegacy > 0, "legacy files found from the input: %d" % nlegacy)
vtest.done()
