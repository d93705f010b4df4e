#!/usr/bin/python3
"""`vouch check DOMAIN`: the domain owner's lint of SPF (RFC 7208), DMARC
(RFC 9989, pct= as RFC 7489 reads it) and DKIM keys (RFC 6376, RFC 8301,
RFC 8463), and the --ip / --via question.  Each scenario writes a zone
file, runs the command with --json and checks the finding codes, the
figures of the report and the exit status (0 clean, 1 warnings, 2 errors).
Keys are made with `vouch keygen` (a 512-bit key, which keygen refuses to
make, with openssl).  At the end, every finding code in src/lib/check
must have been produced by some scenario.
"""
import base64
import json
import os
import re
import subprocess

import scratch
from vtest import ok, done, vouch, ROOT

tmp = scratch.mkdtemp("vouch-check-")
seen = set()


def keygen(sel, *extra):
    rc, out, err = vouch(["keygen", "-d", "example.com", "-s", sel, "-o", tmp] + list(extra))
    ok(rc == 0, "keygen %s %s" % (sel, " ".join(extra)), "exit %d %s" % (rc, err))
    text = open(os.path.join(tmp, sel + ".txt")).read()
    return "".join(re.findall(r'"([^"]*)"', text))


def txt(name, text):
    """A TXT line, the text cut into strings of at most 255 bytes."""
    parts = [text[i:i + 255] for i in range(0, len(text), 255)] or [""]
    return "%s TXT ( %s )" % (name, " ".join('"%s"' % p for p in parts))


K2048 = keygen("k2048")
K1024 = keygen("k1024", "-b", "1024")
KED = keygen("ked", "-t", "ed25519")
P2048 = K2048.split("p=", 1)[1]

# A 512-bit RSA key: below RFC 8301's minimum, so keygen will not make it.
pem = os.path.join(tmp, "k512.pem")
subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:512",
                "-out", pem], check=True, capture_output=True)
der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"], check=True,
                     capture_output=True).stdout
P512 = base64.b64encode(der).decode()
# A 4608-bit key: over the 4096 verifiers must handle (RFC 8301 §3.2).
pem = os.path.join(tmp, "k4608.pem")
subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4608",
                "-out", pem], check=True, capture_output=True)
der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"], check=True,
                     capture_output=True).stdout
P4608 = base64.b64encode(der).decode()

GOOD_SPF = txt("example.com.", "v=spf1 ip4:192.0.2.0/24 include:_spf.example.com mx -all")
GOOD_DMARC = txt("_dmarc.example.com.", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com")
GOOD_DKIM = txt("s1._domainkey.example.com.", K2048)
BASE = """example.com. MX 10 mail.example.com.
mail.example.com. A 192.0.2.10
_spf.example.com. TXT "v=spf1 ip4:198.51.100.0/24 -all"
provider.example. TXT "v=spf1 include:_spf.provider.example -all"
_spf.provider.example. TXT "v=spf1 ip4:203.0.113.0/24 -all"
mailer.example. TXT "v=spf1 redirect=_spf.mailer.example"
_spf.mailer.example. TXT "v=spf1 ip4:233.252.0.0/24 -all"
bulk.example. TXT "v=spf1 ip4:100.64.0.0/16 include:_spf.provider.example -all"
reports.example.net. A 192.0.2.99
"""

n_zone = 0


def check(name, spf=GOOD_SPF, dmarc=GOOD_DMARC, dkim=GOOD_DKIM, extra="", args=None,
          domain="example.com", selectors=("s1",), want=(), absent=(), rc=None, only=False):
    """Run one scenario; return the parsed JSON report."""
    global n_zone
    n_zone += 1
    zone = os.path.join(tmp, "z%d.db" % n_zone)
    with open(zone, "w") as f:
        f.write("$ORIGIN .\n$TTL 300\n" + BASE + "\n".join(
            x for x in (spf, dmarc, dkim, extra) if x) + "\n")
    argv = ["check", "--zone", zone, "--json"]
    for s in selectors:
        argv += ["-s", s]
    argv += list(args or []) + [domain]
    code, out, err = vouch(argv)
    try:
        rep = json.loads(out.decode())
    except ValueError:
        ok(False, "%s: JSON report" % name, "exit %d, stdout %r, stderr %s" % (code, out[:300], err))
        return None
    codes = [f["code"] for f in rep["findings"]]
    seen.update(codes)
    for w in want:
        ok(w in codes, "%s: finding %s" % (name, w), "got %s" % codes)
    for a in absent:
        ok(a not in codes, "%s: no finding %s" % (name, a), "got %s" % codes)
    if only:
        ok(sorted(set(codes)) == sorted(set(want)), "%s: no other finding" % name,
           "got %s, want %s" % (codes, list(want)))
    if rc is not None:
        ok(code == rc, "%s: exit %d" % (name, rc), "got exit %d; findings %s" % (code, codes))
    return rep


def finding(rep, code):
    for f in rep["findings"] if rep else []:
        if f["code"] == code:
            return f
    return {"message": "", "fix": "", "severity": ""}


# --- A good domain -------------------------------------------------------
rep = check("good domain", want=(), only=True, rc=0)
ok(rep and rep["spf"]["lookups"] == 2 and rep["spf"]["void_lookups"] == 0,
   "good domain: 2 lookups (include, mx), no void", "got %s" % (rep and rep["spf"]))
ok(rep and rep["dmarc"]["p"] == "reject" and rep["dmarc"]["rua_usable"] == 1,
   "good domain: DMARC p=reject, one usable rua", "got %s" % (rep and rep["dmarc"]))
ok(rep and rep["dkim"][0]["bits"] == 2048 and rep["dkim"][0]["key_type"] == "rsa",
   "good domain: DKIM s1 RSA 2048", "got %s" % (rep and rep["dkim"]))
ok(rep and rep["domain"] == "example.com" and rep["worst"] == "none", "good domain: domain and worst",
   "got %r" % ((rep and (rep["domain"], rep["worst"])),))

# Human output: grouped by area, one line per finding with its severity.
zone = os.path.join(tmp, "z1.db")
code, out, err = vouch(["check", "--zone", zone, "-s", "s1", "example.com"])
text = out.decode()
ok(code == 0 and "SPF:" in text and "DMARC:" in text and "DKIM:" in text and "0 findings: 0 errors, 0 warnings, 0 info" in text,
   "good domain, human output: SPF, DMARC, DKIM sections, 0 findings", "exit %d: %s" % (code, text))
ok("s=s1: rsa, 2048 bits" in text, "human output names the key", text)
ok("2 DNS lookups, 0 void; through _spf.example.com" in text, "human output: the lookups and the tree", text)


# --- SPF ------------------------------------------------------------------
# 11 DNS-querying terms across three levels of includes (RFC 7208 §4.6.4).
NESTED = txt("example.com.", "v=spf1 include:i1.example.com include:i2.example.com -all") + "\n" + \
    "\n".join([
        'i1.example.com. TXT "v=spf1 include:i3.example.com include:i4.example.com a:mail.example.com mx -all"',
        'i2.example.com. TXT "v=spf1 a:mail.example.com a:mail.example.com a:mail.example.com -all"',
        'i3.example.com. TXT "v=spf1 ip4:192.0.2.1 -all"',
        'i4.example.com. TXT "v=spf1 mx:example.com include:i5.example.com -all"',
        'i5.example.com. TXT "v=spf1 ip4:192.0.2.2 -all"',
        'i1.example.com. MX 10 mail.example.com.',
    ])
rep = check("nested includes, 11 lookups", spf=NESTED, want=("spf-too-many-lookups",), rc=2)
ok(rep and rep["spf"]["lookups"] == 11, "nested includes: 11 lookups counted across the tree",
   "got %s" % (rep and rep["spf"]["lookups"]))
ok(rep and rep["spf"]["records_walked"] == 6, "nested includes: 6 records walked",
   "got %s" % (rep and rep["spf"]["records_walked"]))
ok(rep and rep["spf"]["tree"] == ["example.com", "i1.example.com", "i3.example.com", "i4.example.com",
                                  "i5.example.com", "i2.example.com"],
   "nested includes: the tree in the order walked", "got %s" % (rep and rep["spf"]["tree"]))
f = finding(rep, "spf-too-many-lookups")
ok(f["severity"] == "error" and "11" in f["message"] and f["fix"], "too many lookups: error naming 11, with a fix",
   "got %s" % f)
ok("include:i1.example.com 7, include:i2.example.com 4" in f["message"],
   "too many lookups: the cost of each include (with the include itself)", f["message"])
# Exactly 10 is allowed.
TEN = NESTED.replace("include:i5.example.com ", "")
rep = check("nested includes, 10 lookups", spf=TEN, absent=("spf-too-many-lookups",), rc=0)
ok(rep and rep["spf"]["lookups"] == 10, "10 lookups: counted 10", "got %s" % (rep and rep["spf"]["lookups"]))

# Void lookups.
rep = check("one void lookup", spf=txt("example.com.", "v=spf1 a:gone.example.com ip4:192.0.2.0/24 -all"),
            want=("spf-void-lookup",), absent=("spf-too-many-void-lookups",), rc=1)
ok(rep and rep["spf"]["void_lookups"] == 1, "one void lookup counted", "got %s" % (rep and rep["spf"]))
rep = check("three void lookups", spf=txt(
    "example.com.", "v=spf1 a:gone1.example.com mx:gone2.example.com include:i1.example.com -all"),
    extra='i1.example.com. TXT "v=spf1 exists:gone3.example.com -all"',
    want=("spf-void-lookup", "spf-too-many-void-lookups"), rc=2)
ok(rep and rep["spf"]["void_lookups"] == 3, "three void lookups counted through an include",
   "got %s" % (rep and rep["spf"]))

rep = check("ptr", spf=txt("example.com.", "v=spf1 ptr ip4:192.0.2.0/24 -all"), want=("spf-ptr",), rc=1)
ok("RFC 7208 \u00a75.5" in finding(rep, "spf-ptr")["message"], "ptr: names RFC 7208 \u00a75.5 (UTF-8 in JSON)",
   finding(rep, "spf-ptr")["message"])
check("+all", spf=txt("example.com.", "v=spf1 ip4:192.0.2.0/24 +all"), want=("spf-pass-all",), rc=2)
check("bare all is +all", spf=txt("example.com.", "v=spf1 mx all"), want=("spf-pass-all",), rc=2)
check("?all", spf=txt("example.com.", "v=spf1 mx ?all"), want=("spf-neutral-all",), rc=1)
check("~all is fine", spf=txt("example.com.", "v=spf1 mx ~all"), want=(), only=True, rc=0)
rep = check("terms after all", spf=txt("example.com.", "v=spf1 ip4:192.0.2.0/24 -all include:_spf.example.com mx"),
            want=("spf-after-all",), only=True, rc=1)
ok(rep and rep["spf"]["lookups"] == 0, "terms after all cost no lookup", "got %s" % (rep and rep["spf"]))
check("no all", spf=txt("example.com.", "v=spf1 mx"), want=("spf-no-all",), rc=1)
check("redirect instead of all", spf=txt("example.com.", "v=spf1 redirect=_spf.example.com"),
      want=(), only=True, rc=0)
rep = check("two SPF records", spf=GOOD_SPF + "\n" + txt("example.com.", "v=spf1 -all"),
            want=("spf-multiple-records",), rc=2)
ok(rep and rep["spf"]["records"] == 2, "two SPF records counted", "got %s" % (rep and rep["spf"]))
rep = check("no SPF record", spf=txt("example.com.", "google-site-verification=abc"),
            want=("spf-missing",), rc=2)
ok("v=spf1" in finding(rep, "spf-missing")["fix"], "no SPF: the fix shows a record",
   finding(rep, "spf-missing")["fix"])
check("SPF syntax error", spf=txt("example.com.", "v=spf1 ip4:192.0.2.300 -all"), want=("spf-syntax",), rc=2)
check("include without record", spf=txt("example.com.", "v=spf1 include:nothing.example.com -all"),
      want=("spf-include-missing",), rc=2)
check("include with a syntax error", spf=txt("example.com.", "v=spf1 include:i1.example.com -all"),
      extra='i1.example.com. TXT "v=spf1 mx:: -all"', want=("spf-syntax",), rc=2)
check("include loop", spf=txt("example.com.", "v=spf1 include:i1.example.com -all"),
      extra='i1.example.com. TXT "v=spf1 include:example.com -all"', want=("spf-include-loop",), rc=2)
check("include with two records", spf=txt("example.com.", "v=spf1 include:i1.example.com -all"),
      extra='i1.example.com. TXT "v=spf1 -all"\ni1.example.com. TXT "v=spf1 ~all"',
      want=("spf-multiple-records",), rc=2)
LONG = "v=spf1 " + " ".join("ip4:192.0.2.%d" % i for i in range(1, 40)) + " -all"
rep = check("record over 512 bytes", spf=txt("example.com.", LONG), want=("spf-record-too-long",), rc=1)
check("record under 512 bytes", spf=txt("example.com.", LONG[:300] + " -all"),
      absent=("spf-record-too-long",))
check("strings joined without a space",
      spf='example.com. TXT ( "v=spf1 include:_spf.example.com" "ip4:192.0.2.1 -all" )',
      want=("spf-string-join",))
check("strings joined with a space",
      spf='example.com. TXT ( "v=spf1 include:_spf.example.com " "ip4:192.0.2.1 -all" )',
      want=(), only=True, rc=0)
rep = check("macro term", spf=txt("example.com.", "v=spf1 exists:%{i}._spf.example.com -all"),
            want=("spf-macro",), rc=0)
ok(rep and rep["spf"]["lookups"] == 1, "macro term: counted once", "got %s" % (rep and rep["spf"]))
check("mx with 11 hosts", spf=txt("example.com.", "v=spf1 mx:big.example.com -all"),
      extra="\n".join("big.example.com. MX %d m%d.example.com." % (i, i) for i in range(11)),
      want=("spf-too-many-mx",), rc=2)
check("SPF lookup times out", spf="$TIMEOUT example.com.", want=("spf-dns-error",), rc=2)
# A tree of 73 records: the walk stops at 64 (VOUCH_CHECK_MAX_SPF_RECORDS).
tree = [txt("example.com.", "v=spf1 " + " ".join("include:a%d.example.com" % i for i in range(8)) + " -all")]
for i in range(8):
    tree.append(txt("a%d.example.com." % i, "v=spf1 " + " ".join(
        "include:b%d.example.com" % j for j in range(8)) + " -all"))
for j in range(8):
    tree.append(txt("b%d.example.com." % j, "v=spf1 ip4:192.0.2.%d -all" % j))
rep = check("huge include tree", spf="\n".join(tree), want=("spf-tree-cut", "spf-too-many-lookups"), rc=2)
ok(rep and rep["spf"]["records_walked"] == 64, "huge tree: walk stops at 64 records",
   "got %s" % (rep and rep["spf"]["records_walked"]))

# A record of 2000 a: terms: the void lookups are looked for in the first
# 64 only (VOUCH_CHECK_MAX_VOID_TESTS), and every term is still counted.
rep = check("record of 2000 a: terms", spf=txt("example.com.", "v=spf1 " + " ".join(
    "a:h%d.example.com" % i for i in range(2000)) + " -all"),
    want=("spf-tree-cut", "spf-too-many-lookups", "spf-too-many-void-lookups"), rc=2)
ok(rep and rep["spf"]["lookups"] == 2000 and rep["spf"]["void_lookups"] == 64,
   "2000 a: terms: 2000 lookups counted, 64 looked up", "got %s" % (rep and rep["spf"]))

# --- DMARC ----------------------------------------------------------------
def dm(text):
    return txt("_dmarc.example.com.", text)


rep = check("p=none", dmarc=dm("v=DMARC1; p=none; rua=mailto:dmarc@example.com"),
            want=("dmarc-policy-none",), only=True, rc=1)
ok("quarantine" in finding(rep, "dmarc-policy-none")["fix"], "p=none: fix suggests quarantine",
   finding(rep, "dmarc-policy-none")["fix"])
check("no DMARC record", dmarc="", want=("dmarc-missing",), rc=2)
check("not a DMARC record at _dmarc", dmarc=dm("hello"), want=("dmarc-missing", "dmarc-syntax"), rc=2)
check("two DMARC records", dmarc=GOOD_DMARC + "\n" + dm("v=DMARC1; p=none"),
      want=("dmarc-multiple-records",), rc=2)
check("missing rua", dmarc=dm("v=DMARC1; p=reject"), want=("dmarc-no-rua",), only=True, rc=1)
rep = check("external rua, unauthorized",
            dmarc=dm("v=DMARC1; p=reject; rua=mailto:agg@reports.example.net"),
            want=("dmarc-rua-unauthorized",), rc=1)
ok("example.com._report._dmarc.reports.example.net" in finding(rep, "dmarc-rua-unauthorized")["fix"],
   "external rua: the fix names the authorization record", finding(rep, "dmarc-rua-unauthorized")["fix"])
ok(rep and rep["dmarc"]["rua_usable"] == 0, "unauthorized rua is not usable", "got %s" % (rep and rep["dmarc"]))
rep = check("external rua, authorized",
            dmarc=dm("v=DMARC1; p=reject; rua=mailto:agg@reports.example.net"),
            extra='example.com._report._dmarc.reports.example.net. TXT "v=DMARC1"',
            want=("dmarc-report-authorized",), absent=("dmarc-rua-unauthorized",), rc=0)
ok(rep and rep["dmarc"]["rua_usable"] == 1, "authorized rua is usable", "got %s" % (rep and rep["dmarc"]))
check("external ruf, unauthorized",
      dmarc=dm("v=DMARC1; p=reject; rua=mailto:d@example.com; ruf=mailto:f@reports.example.net"),
      want=("dmarc-ruf-unauthorized",), rc=1)
check("rua in a subdomain is internal",
      dmarc=dm("v=DMARC1; p=reject; rua=mailto:d@reports.example.com"),
      want=(), only=True, rc=0)
check("rua not mailto", dmarc=dm("v=DMARC1; p=reject; rua=https://example.com/r"),
      want=("dmarc-uri-not-mailto",), rc=1)
check("rua with an empty URI", dmarc=dm("v=DMARC1; p=reject; rua=mailto:dmarc@example.com,,"),
      want=("dmarc-bad-uri",), only=True, rc=1)
check("rua that is not a URI", dmarc=dm("v=DMARC1; p=reject; rua=notauri"),
      want=("dmarc-bad-uri", "dmarc-invalid-tag", "dmarc-no-rua"), rc=1)
rep = check("rua with bytes that are not text",
            dmarc=r'_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:a@ex\001\200ample.com"',
            want=("dmarc-bad-uri",), rc=1)
ok(rep and "a@ex??ample.com" in rep["dmarc"]["record"],
   "bytes of a record that are not text are shown as '?'", "got %r" % (rep and rep["dmarc"]["record"]))
check("pct=50", dmarc=dm("v=DMARC1; p=reject; pct=50; rua=mailto:dmarc@example.com"),
      want=("dmarc-pct",), only=True, rc=1)
check("pct=50 with p=none samples nothing", dmarc=dm("v=DMARC1; p=none; pct=50; rua=mailto:dmarc@example.com"),
      want=("dmarc-policy-none",), only=True, rc=1)
check("pct=100", dmarc=dm("v=DMARC1; p=reject; pct=100; rua=mailto:dmarc@example.com"),
      want=(), only=True, rc=0)
check("t=y", dmarc=dm("v=DMARC1; p=reject; t=y; rua=mailto:dmarc@example.com"),
      want=("dmarc-testing",), only=True, rc=1)
check("sp weaker than p", dmarc=dm("v=DMARC1; p=reject; sp=none; rua=mailto:dmarc@example.com"),
      want=("dmarc-sp-weaker",), rc=1)
check("np weaker", dmarc=dm("v=DMARC1; p=reject; np=none; rua=mailto:dmarc@example.com"),
      want=("dmarc-np-weaker",), rc=1)
check("np=reject with p=quarantine", dmarc=dm("v=DMARC1; p=quarantine; np=reject; rua=mailto:d@example.com"),
      want=(), only=True, rc=0)
check("invalid p", dmarc=dm("v=DMARC1; p=block; rua=mailto:dmarc@example.com"),
      want=("dmarc-bad-policy",), rc=2)
check("invalid adkim", dmarc=dm("v=DMARC1; p=reject; adkim=x; rua=mailto:dmarc@example.com"),
      want=("dmarc-invalid-tag",), rc=1)
check("term that is not tag=value", dmarc=dm("v=DMARC1; p=reject; junk; rua=mailto:dmarc@example.com"),
      want=("dmarc-syntax",), rc=1)
check("DMARC lookup times out", dmarc="$TIMEOUT _dmarc.example.com.", want=("dmarc-dns-error",), rc=2)
rep = check("subdomain inherits the organizational record", domain="sub.example.com",
            spf=GOOD_SPF + "\n" + txt("sub.example.com.", "v=spf1 -all"),
            selectors=(), want=("dmarc-inherited", "dkim-no-selector"), rc=0)
ok(rep and rep["dmarc"]["policy_domain"] == "example.com", "inherited record: policy domain example.com",
   "got %s" % (rep and rep["dmarc"]))

# A U-label domain is checked under its A-label (RFC 5890 §2.3).
rep = check("IDN domain", domain="b\u00fccher.example", selectors=(),
            spf=txt("xn--bcher-kva.example.", "v=spf1 -all"),
            dmarc=txt("_dmarc.xn--bcher-kva.example.", "v=DMARC1; p=reject; rua=mailto:d@xn--bcher-kva.example"),
            want=("dkim-no-selector",), only=True, rc=0)
ok(rep and rep["domain"] == "xn--bcher-kva.example", "IDN domain: reported as its A-label",
   "got %s" % (rep and rep["domain"]))

# --- DKIM -----------------------------------------------------------------
def dk(text, sel="s1"):
    return txt("%s._domainkey.example.com." % sel, text)


rep = check("DKIM 1024 bits", dkim=dk(K1024), want=("dkim-key-weak",), only=True, rc=1)
ok(rep and rep["dkim"][0]["bits"] == 1024, "1024-bit key measured", "got %s" % (rep and rep["dkim"]))
rep = check("DKIM 512 bits", dkim=dk("v=DKIM1; k=rsa; p=" + P512), want=("dkim-key-too-short",), rc=2)
ok(rep and rep["dkim"][0]["bits"] == 512, "512-bit key measured", "got %s" % (rep and rep["dkim"]))
rep = check("DKIM 4608 bits", dkim=dk("v=DKIM1; k=rsa; p=" + P4608), want=("dkim-key-too-long",), only=True, rc=1)
ok(rep and rep["dkim"][0]["bits"] == 4608, "4608-bit key measured", "got %s" % (rep and rep["dkim"]))
rep = check("DKIM Ed25519", dkim=dk(KED), want=("dkim-ed25519",), only=True, rc=0)
msg_alone = finding(rep, "dkim-ed25519")["message"]
ok(rep and rep["dkim"][0]["key_type"] == "ed25519", "Ed25519 key type", "got %s" % (rep and rep["dkim"]))
# The Ed25519 finding advises an RSA key only when the run found none that
# verifiers accept (RFC 8463 §2: not every verifier knows Ed25519 yet).
rep = check("DKIM Ed25519 beside RSA", dkim=dk(KED, "ed") + "\n" + dk(K2048, "rsa"),
            selectors=("ed", "rsa"), want=("dkim-ed25519",), only=True, rc=0)
msg = finding(rep, "dkim-ed25519")["message"]
ok(msg.startswith("ed._domainkey.example.com: ") and "RSA key of s=rsa" in msg
   and "sign with an RSA key as well" not in msg,
   "Ed25519 beside a 2048-bit RSA key: the finding names it, no advice to add one", msg)
rep = check("DKIM Ed25519 beside a 512-bit RSA key",
            dkim=dk(KED, "ed") + "\n" + dk("v=DKIM1; k=rsa; p=" + P512, "rsa"),
            selectors=("ed", "rsa"), want=("dkim-ed25519", "dkim-key-too-short"), rc=2)
ok("sign with an RSA key as well" in finding(rep, "dkim-ed25519")["message"],
   "Ed25519 beside an RSA key verifiers refuse: still advised to sign with RSA as well",
   finding(rep, "dkim-ed25519")["message"])
ok("sign with an RSA key as well" in msg_alone and msg_alone.startswith("s1._domainkey.example.com: "),
   "Ed25519 alone: advised to sign with an RSA key as well", msg_alone)
rep = check("DKIM revoked", dkim=dk("v=DKIM1; k=rsa; p="), want=("dkim-revoked",), rc=1)
ok(rep and rep["dkim"][0]["revoked"] is True, "revoked flag", "got %s" % (rep and rep["dkim"]))
check("DKIM t=y", dkim=dk("v=DKIM1; k=rsa; t=y; p=" + P2048), want=("dkim-testing",), only=True, rc=1)
check("DKIM h=sha1", dkim=dk("v=DKIM1; k=rsa; h=sha1; p=" + P2048), want=("dkim-sha1-only",), rc=2)
check("DKIM s= without email", dkim=dk("v=DKIM1; k=rsa; s=other; p=" + P2048), want=("dkim-not-email",),
      only=True, rc=2)
check("DKIM s=email", dkim=dk("v=DKIM1; k=rsa; s=email; p=" + P2048), want=(), only=True, rc=0)
check("DKIM h=sha1:sha256", dkim=dk("v=DKIM1; k=rsa; h=sha1:sha256; p=" + P2048), want=(), only=True, rc=0)
rep = check("DKIM selector missing", selectors=("nosuch",), want=("dkim-missing",), rc=2)
ok("keygen" in finding(rep, "dkim-missing")["fix"], "missing selector: fix names keygen",
   finding(rep, "dkim-missing")["fix"])
check("DKIM bad key", dkim=dk("v=DKIM1; k=rsa; p=AAAA"), want=("dkim-bad-key",), rc=2)
check("DKIM record syntax", dkim=dk("v=DKIM2; p=" + P2048), want=("dkim-syntax",), rc=2)
check("DKIM two records", dkim=GOOD_DKIM + "\n" + dk(K1024), want=("dkim-multiple-records",))
check("DKIM lookup times out", dkim="$TIMEOUT s1._domainkey.example.com.", want=("dkim-dns-error",), rc=2)
rep = check("several selectors", dkim=GOOD_DKIM + "\n" + dk(K1024, "old"), selectors=("s1", "old"),
            want=("dkim-key-weak",), only=True, rc=1)
ok(rep and [k["selector"] for k in rep["dkim"]] == ["s1", "old"], "both selectors reported",
   "got %s" % (rep and rep["dkim"]))
check("no selector given", selectors=(), want=("dkim-no-selector",), only=True, rc=0)

# --- --ip and --via ---------------------------------------------------------
rep = check("--ip inside the record", args=["--ip", "192.0.2.7"], want=("send-spf-pass",), only=True, rc=0)
ok(rep and rep["spf"]["ip_result"] == "pass", "--ip pass: ip_result", "got %s" % (rep and rep["spf"]))
rep = check("--ip through the include", args=["--ip", "198.51.100.9"], want=("send-spf-pass",), rc=0)
ok("include:_spf.example.com" in finding(rep, "send-spf-pass")["message"], "--ip pass names the mechanism",
   finding(rep, "send-spf-pass")["message"])
rep = check("--ip outside the record", args=["--ip", "203.0.113.5"], want=("send-spf-fail",), rc=2)
fix = finding(rep, "send-spf-fail")["fix"]
ok("v=spf1 ip4:192.0.2.0/24 include:_spf.example.com mx ip4:203.0.113.5 -all" in fix,
   "--ip fail: the fix is the record with ip4:ADDR before -all", fix)
ok(rep and rep["spf"]["ip_result"] == "fail", "--ip fail: ip_result fail", "got %s" % (rep and rep["spf"]))
rep = check("--ip v6 outside the record", args=["--ip", "2001:db8::5"], want=("send-spf-fail",), rc=2)
ok("ip6:2001:db8::5" in finding(rep, "send-spf-fail")["fix"], "--ip v6: the fix adds ip6:",
   finding(rep, "send-spf-fail")["fix"])
rep = check("--ip with no SPF record", spf="", args=["--ip", "192.0.2.7"], want=("send-spf-fail",), rc=2)
ok('"v=spf1 ip4:192.0.2.7 ~all"' in finding(rep, "send-spf-fail")["fix"], "--ip, no record: a new record",
   finding(rep, "send-spf-fail")["fix"])

rep = check("--via provider not included", args=["--via", "provider.example"],
            want=("send-via-not-included", "send-via-dkim"), rc=2)
fix = finding(rep, "send-via-not-included")["fix"]
ok("include:_spf.provider.example" in fix and "mx include:_spf.provider.example -all" in fix,
   "--via: the provider's include is suggested before -all", fix)
rep = check("--ip with a broken record", spf=txt("example.com.", "v=spf1 include:nothing.example.com -all"),
            args=["--ip", "192.0.2.7"], want=("send-spf-fail", "spf-include-missing"), rc=2)
ok("ip4:" not in finding(rep, "send-spf-fail")["fix"] and "repair" in finding(rep, "send-spf-fail")["fix"],
   "--ip, permerror: the fix is to repair the record, not to add the address",
   finding(rep, "send-spf-fail")["fix"])
rep = check("--via provider with redirect", args=["--via", "mailer.example"],
            want=("send-via-not-included",), rc=2)
ok("include:_spf.mailer.example" in finding(rep, "send-via-not-included")["fix"],
   "--via redirect: the redirect target is suggested", finding(rep, "send-via-not-included")["fix"])
rep = check("--via provider with its own addresses", args=["--via", "bulk.example"],
            want=("send-via-not-included",), rc=2)
ok("include:bulk.example" in finding(rep, "send-via-not-included")["fix"],
   "--via mixed record: the provider's own name is suggested", finding(rep, "send-via-not-included")["fix"])
check("--via provider included",
      spf=txt("example.com.", "v=spf1 mx include:_spf.provider.example -all"),
      args=["--via", "provider.example"], want=("send-via-included", "send-via-dkim"),
      absent=("send-via-not-included",), rc=0)
rep = check("--via and --ip at the provider", args=["--via", "provider.example", "--ip", "203.0.113.7"],
            want=("send-spf-fail", "send-via-not-included"), rc=2)
ok("include:_spf.provider.example" in finding(rep, "send-spf-fail")["fix"]
   and "ip4:203.0.113.7" not in finding(rep, "send-spf-fail")["fix"],
   "--via --ip: the fix is the provider's include, not the address", finding(rep, "send-spf-fail")["fix"])
rep = check("--via without a DKIM key", selectors=(), args=["--via", "provider.example"],
            spf=txt("example.com.", "v=spf1 include:_spf.provider.example -all"),
            want=("send-via-no-dkim", "send-via-included"), rc=1)
ok("CNAME" in finding(rep, "send-via-no-dkim")["fix"], "--via no DKIM: the fix offers a CNAME",
   finding(rep, "send-via-no-dkim")["fix"])
rep = check("--via, the provider's key under its own domain", selectors=("pk1",),
            args=["--via", "provider.example"],
            spf=txt("example.com.", "v=spf1 include:_spf.provider.example -all"),
            extra=txt("pk1._domainkey.provider.example.", K2048),
            want=("send-via-no-dkim", "dkim-missing"), rc=2)
ok("pk1._domainkey.example.com. CNAME pk1._domainkey.provider.example." in finding(rep, "send-via-no-dkim")["fix"],
   "--via: the CNAME to the provider's key is spelled out", finding(rep, "send-via-no-dkim")["fix"])
rep = check("--via, selector CNAMEd to the provider's key", selectors=("pk1",),
            args=["--via", "provider.example"],
            spf=txt("example.com.", "v=spf1 include:_spf.provider.example -all"),
            dkim="pk1._domainkey.example.com. CNAME pk1._domainkey.provider.example.",
            extra=txt("pk1._domainkey.provider.example.", K2048),
            want=("send-via-dkim", "send-via-included"), only=True, rc=0)
rep = check("--via --ip, address not the provider's", args=["--via", "provider.example", "--ip", "192.0.2.200"],
            spf=txt("example.com.", "v=spf1 mx -all"),
            want=("send-ip-not-via", "send-spf-fail", "send-via-not-included"), rc=2)
ok("ip4:192.0.2.200" in finding(rep, "send-spf-fail")["fix"],
   "--via --ip elsewhere: the fix adds the address itself", finding(rep, "send-spf-fail")["fix"])
check("--via provider without SPF", args=["--via", "nospf.example"], extra="nospf.example. A 192.0.2.1",
      want=("send-via-no-spf",), rc=1)
check("--via over the lookup limit", spf=TEN, args=["--via", "provider.example"],
      want=("send-via-not-included",), rc=2)

# --- Usage and I/O ----------------------------------------------------------
code, out, err = vouch(["check", "--help"])
ok(code == 0 and b"Exit status" in out and b"1 the worst finding is a warning" in out,
   "--help documents the exit statuses", out.decode())
code, out, err = vouch(["check", "--zone", zone])
ok(code == 64, "no DOMAIN: exit 64", "exit %d" % code)
code, out, err = vouch(["check", "--zone", zone, "--ip", "not-an-ip", "example.com"])
ok(code == 64, "bad --ip: exit 64", "exit %d" % code)
code, out, err = vouch(["check", "--zone", zone, "exa mple.com"])
ok(code == 64, "bad domain: exit 64", "exit %d" % code)
code, out, err = vouch(["check", "--zone", os.path.join(tmp, "missing.db"), "example.com"])
ok(code == 74, "missing zone file: exit 74", "exit %d" % code)
code, out, err = vouch(["check", "--zone", zone, "--bogus", "example.com"])
ok(code == 64, "unknown option: exit 64", "exit %d" % code)

# Human output of a broken domain: one line per finding with severity.
code, out, err = vouch(["check", "--zone", os.path.join(tmp, "z%d.db" % n_zone), "example.com"])
code2, out2, err2 = vouch(["check", "--zone", os.path.join(tmp, "z2.db"), "example.com"])
ok(code2 == 2 and re.search(r"(?m)^  error +spf-too-many-lookups: ", out2.decode())
   and re.search(r"(?m)^ +fix: ", out2.decode()),
   "human output: severity, code, message, fix lines", out2.decode())


def human(domain="example.com"):
    """The human output of the last scenario's zone."""
    zone = os.path.join(tmp, "z%d.db" % n_zone)
    return vouch(["check", "--zone", zone, "-s", "s1", domain])[1].decode()


# Counts of one read in the singular: "1 DNS lookups" was printed once.
rep = check("one DNS lookup", spf=txt("example.com.", "v=spf1 include:_spf.example.com -all"), rc=0)
text = human()
ok(rep and rep["spf"]["lookups"] == 1 and "\n  1 DNS lookup, 0 void; through _spf.example.com\n" in text,
   "human output: 1 DNS lookup, in the singular", text)
# Nine ptr terms: eight spf-ptr findings kept (VOUCH_CHECK_MAX_SAME_CODE), one dropped.
rep = check("nine ptr terms", spf=txt("example.com.", "v=spf1" + " ptr" * 9 + " -all"), want=("spf-ptr",))
text = human()
ok(rep and [f["code"] for f in rep["findings"]].count("spf-ptr") == 8 and
   "\n(1 more finding not shown)\n" in text and "findings not shown" not in text,
   "human output: 1 more finding not shown, in the singular", text)
ok("\nexample.com: 8 findings: 0 errors, 8 warnings, 0 info\n" in text,
   "human output: the summary line counts the kept findings", text)
rep = check("one error", spf=txt("example.com.", "v=spf1 include:_spf.example.com +all"), want=("spf-pass-all",))
text = human()
ok(re.search(r"\nexample\.com: 1 finding: 1 error, 0 warnings, 0 info\n", text),
   "human output: 1 finding, 1 error, in the singular", text)


# Every finding code the library can produce was produced above.
codes = set()
for fn in os.listdir(os.path.join(ROOT, "src", "lib", "check")):
    if fn.endswith(".c"):
        codes.update(re.findall(r'"((?:spf|dmarc|dkim|send)-[a-z0-9-]+)"',
                                open(os.path.join(ROOT, "src", "lib", "check", fn)).read()))
missing = sorted(codes - seen)
ok(len(codes) >= 40 and not missing, "every finding code is exercised (%d codes)" % len(codes),
   "not produced: %s" % missing)
done()
