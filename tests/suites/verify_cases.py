#!/usr/bin/python3
"""Golden cases of `vouch verify`: messages signed here with `vouch keygen`
and `vouch dkim sign`, one zone file written here, an SMTP context, and the
Authentication-Results (RFC 8601) the receiver must write.

Each case checks the results of the field vouch prepends, read back with
`vouch authres parse` (method, result and the properties named), that the
rest of the output is the input byte for byte (less forged fields of our
authserv-id, RFC 8601 §5), and, where the case says, --explain texts and
--json fields.  Every field written is also read back by python3-authres,
an independent parser, and must give the same results.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import vtest
from vtest import ok, skip, vouch

sys.path.insert(0, "/usr/lib/python3/dist-packages")
try:
    import authres
except ImportError:
    authres = None

ID = "mx.receiver.example"
SIGNED_AT = 1796000000
NOW = SIGNED_AT + 600

# (domain, selector, key type); each key is published unless listed in
# UNPUBLISHED, whose selector records are written below by hand.
KEYS = [
    ("example.com", "s1", "rsa"),
    ("example.com", "ed", "ed25519"),
    ("mail.example.com", "s2", "rsa"),
    ("mailer.example.net", "m1", "rsa"),
    ("strict.example", "s1", "rsa"),
    ("mail.strict.example", "s1", "rsa"),
    ("quar.example", "s1", "rsa"),
    ("example.co.uk", "s1", "rsa"),
]

ZONE = """$ORIGIN .
$TTL 300
example.com. TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all"
example.com. A 192.0.2.1
_dmarc.example.com. TXT "v=DMARC1; p=reject"
bounces.example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"
mx.example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"
mx.example.com. A 192.0.2.25
mailer.example.net. TXT "v=spf1 ip4:198.51.100.0/24 -all"
strict.example. TXT "v=spf1 ip4:192.0.2.0/24 -all"
bounces.strict.example. TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.strict.example. TXT "v=DMARC1; p=reject; aspf=s; adkim=s"
quar.example. TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.quar.example. TXT "v=DMARC1; p=quarantine"
nodmarc.example. TXT "v=spf1 ip4:192.0.2.0/24 ~all"
neutral.example. TXT "v=spf1 ?all"
nospf.example. A 192.0.2.9
_dmarc.nospf.example. TXT "v=DMARC1; p=reject"
broken.example. TXT "v=spf1 ip4:192.0.2.0/24 frobnicate:x -all"
$TIMEOUT slow.example.
_dmarc.slow.example. TXT "v=DMARC1; p=reject"
testing.example. TXT "v=spf1 -all"
_dmarc.testing.example. TXT "v=DMARC1; p=reject; t=y"
monitor.example. TXT "v=spf1 -all"
_dmarc.monitor.example. TXT "v=DMARC1; p=none"
_dmarc.subpol.example. TXT "v=DMARC1; p=reject; sp=quarantine"
sub.subpol.example. TXT "v=spf1 -all"
example.co.uk. TXT "v=spf1 -all"
_dmarc.example.co.uk. TXT "v=DMARC1; p=reject"
mail.example.co.uk. TXT "v=spf1 -all"
$TIMEOUT slow._domainkey.example.com.
"""


def sh(args, stdin=None):
    rc, out, err = vouch(args, stdin=stdin)
    if rc != 0:
        raise RuntimeError("vouch %s: exit %d: %s" % (" ".join(args), rc, err))
    return out


class World:
    """Keys, zone file and signing for the cases, in one temp dir."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.keys = {}
        records = []
        for dom, sel, kind in KEYS:
            d = os.path.join(tmp, "keys", dom)
            os.makedirs(d, exist_ok=True)
            args = ["keygen", "-t", kind, "-d", dom, "-s", sel, "-o", d]
            if kind == "rsa":
                args += ["-b", "1024"]
            sh(args)
            self.keys[(dom, sel)] = os.path.join(d, sel + ".private")
            records.append(open(os.path.join(d, sel + ".txt")).read())
        # "bad": published key is another key than the one signing
        for sub in ("a", "b"):
            d = os.path.join(tmp, "keys", "bad-" + sub)
            os.makedirs(d)
            sh(["keygen", "-b", "1024", "-d", "example.com", "-s", "bad", "-o", d])
        self.keys[("example.com", "bad")] = os.path.join(tmp, "keys", "bad-a", "bad.private")
        records.append(open(os.path.join(tmp, "keys", "bad-b", "bad.txt")).read())
        # "slow" (timeout, in ZONE) and "gone" (no record) sign with s1's key
        self.keys[("example.com", "slow")] = self.keys[("example.com", "s1")]
        self.keys[("example.com", "gone")] = self.keys[("example.com", "s1")]
        self.zone = os.path.join(tmp, "zone.db")
        with open(self.zone, "w") as f:
            f.write(ZONE + "\n".join(records) + "\n")
        self.n = 0

    def sign(self, msg, signers):
        args = ["dkim", "sign", "--time", str(SIGNED_AT)]
        for dom, sel in signers:
            args += ["-d", dom, "-s", sel, "-k", self.keys[(dom, sel)]]
        return sh(args, stdin=msg)

    def path(self, data):
        self.n += 1
        p = os.path.join(self.tmp, "msg%d.eml" % self.n)
        with open(p, "wb") as f:
            f.write(data)
        return p


def message(from_="Alice <alice@example.com>", extra=b"", body=b"Hello, world.\r\n", nl=b"\r\n"):
    head = b""
    if from_ is not None:
        for f in (from_ if isinstance(from_, list) else [from_]):
            head += b"From: " + f.encode() + nl
    head += (b"To: bob@receiver.example" + nl + b"Subject: case" + nl +
             b"Date: Mon, 30 Nov 2026 09:00:00 +0000" + nl +
             b"Message-ID: <case@example.com>" + nl)
    return head + extra + nl + body.replace(b"\r\n", nl)


# Cases.  smtp: (ip, helo, mail_from).  want: list of (method, result,
# {property: value}) in field order; a property value None means "present".
# tamper: bytes replacements made after signing.  explain: strings the
# --explain output must hold.  json: (dotted path, value) pairs.
CASES = [
    dict(name="SPF pass, relaxed alignment of a subdomain, no DKIM: DMARC pass via SPF",
         smtp=("192.0.2.10", "mx.example.com", "bounce@bounces.example.com"),
         want=[("spf", "pass", {"smtp.mailfrom": "bounce@bounces.example.com"}),
               ("dkim", "none", {}),
               ("dmarc", "pass", {"header.from": "example.com", "policy.dmarc": "none"})],
         explain=["SPF passed for bounces.example.com, aligned with example.com under aspf=r"],
         json=[("spf.aligned", True), ("dmarc.spf_aligned", True), ("dmarc.dkim_aligned", False)]),
    dict(name="SPF pass and DKIM pass, both aligned",
         sign=[("example.com", "s1")],
         smtp=("192.0.2.10", "mx.example.com", "alice@example.com"),
         want=[("spf", "pass", {}), ("dkim", "pass", {"header.d": "example.com", "header.s": "s1",
                                                      "header.a": "rsa-sha256", "header.i": "@example.com",
                                                      "header.b": None}),
               ("dmarc", "pass", {"header.from": "example.com", "policy.dmarc": "none"})],
         json=[("dkim.signatures.0.aligned", True), ("dmarc.record", "v=DMARC1; p=reject"),
               ("dmarc.policy", "reject"), ("dmarc.disposition", "none")]),
    dict(name="SPF fail, DKIM pass aligned: DMARC pass via DKIM only",
         sign=[("example.com", "s1")],
         smtp=("203.0.113.7", "mail.elsewhere.example", "alice@example.com"),
         want=[("spf", "fail", {"smtp.mailfrom": "alice@example.com"}), ("dkim", "pass", {}),
               ("dmarc", "pass", {"policy.dmarc": "none"})],
         json=[("spf.result", "fail"), ("spf.aligned", False), ("dmarc.dkim_aligned", True)]),
    dict(name="SPF fail, no DKIM, p=reject: DMARC fail, policy.dmarc=reject",
         smtp=("203.0.113.7", "mail.elsewhere.example", "alice@example.com"),
         want=[("spf", "fail", {}), ("dkim", "none", {}),
               ("dmarc", "fail", {"header.from": "example.com", "policy.dmarc": "reject"})],
         explain=["SPF fail for example.com", "no DKIM signature", "disposition is reject"],
         json=[("dmarc.result", "fail"), ("dmarc.disposition", "reject"), ("dmarc.policy_tag", "p")]),
    dict(name="SPF fail, no DKIM, p=quarantine: DMARC fail, policy.dmarc=quarantine",
         from_="Q <q@quar.example>",
         smtp=("203.0.113.7", "mail.elsewhere.example", "q@quar.example"),
         want=[("spf", "fail", {}), ("dmarc", "fail", {"header.from": "quar.example",
                                                       "policy.dmarc": "quarantine"})]),
    dict(name="SPF softfail, no DMARC record: dmarc=none",
         from_="N <n@nodmarc.example>",
         smtp=("203.0.113.7", "mail.elsewhere.example", "n@nodmarc.example"),
         want=[("spf", "softfail", {"smtp.mailfrom": "n@nodmarc.example"}),
               ("dmarc", "none", {"header.from": "nodmarc.example"})],
         explain=["nodmarc.example"], json=[("dmarc.record", None), ("dmarc.result", "none")]),
    dict(name="SPF none (no record), DMARC fail",
         from_="N <n@nospf.example>",
         smtp=("192.0.2.10", "mx.example.com", "n@nospf.example"),
         want=[("spf", "none", {}), ("dmarc", "fail", {"policy.dmarc": "reject"})]),
    dict(name="SPF neutral (?all), no DMARC record: dmarc=none",
         from_="N <n@neutral.example>",
         smtp=("192.0.2.10", "mx.example.com", "n@neutral.example"),
         want=[("spf", "neutral", {}), ("dmarc", "none", {})]),
    dict(name="SPF temperror (DNS timeout), DMARC temperror",
         from_="S <s@slow.example>",
         smtp=("192.0.2.10", "mx.example.com", "s@slow.example"),
         want=[("spf", "temperror", {}), ("dkim", "none", {}), ("dmarc", "temperror", {})],
         json=[("spf.result", "temperror")]),
    dict(name="SPF permerror (unknown mechanism) has a reason",
         from_="B <b@broken.example>",
         smtp=("192.0.2.10", "mx.example.com", "b@broken.example"),
         want=[("spf", "permerror", {})], reason_of="spf"),
    dict(name="DKIM body tampered: dkim=fail, SPF aligned: DMARC pass",
         sign=[("example.com", "s1")], tamper=[(b"Hello, world.", b"Hello, w0rld.")],
         smtp=("192.0.2.10", "mx.example.com", "alice@example.com"),
         want=[("spf", "pass", {}), ("dkim", "fail", {"header.d": "example.com"}),
               ("dmarc", "pass", {})], reason_of="dkim"),
    dict(name="DKIM body tampered and SPF fail: DMARC fail",
         sign=[("example.com", "s1")], tamper=[(b"Hello, world.", b"Hello, w0rld.")],
         smtp=("203.0.113.7", "mail.elsewhere.example", "alice@example.com"),
         want=[("spf", "fail", {}), ("dkim", "fail", {}), ("dmarc", "fail", {"policy.dmarc": "reject"})],
         explain=["did not verify"]),
    dict(name="signed by a provider only: not aligned, 'via' explained",
         sign=[("mailer.example.net", "m1")],
         smtp=("198.51.100.20", "out.mailer.example.net", "bounce@mailer.example.net"),
         want=[("spf", "pass", {"smtp.mailfrom": "bounce@mailer.example.net"}),
               ("dkim", "pass", {"header.d": "mailer.example.net"}),
               ("dmarc", "fail", {"header.from": "example.com", "policy.dmarc": "reject"})],
         explain=["signed by d=mailer.example.net, which is not the From domain example.com: "
                  "the receiver would show 'via mailer.example.net'",
                  "SPF passed for mailer.example.net, not aligned with example.com"],
         json=[("dkim.signatures.0.aligned", False), ("spf.aligned", False)]),
    dict(name="aspf=s: SPF pass of a subdomain does not align",
         from_="S <s@strict.example>",
         smtp=("192.0.2.10", "mx.example.com", "b@bounces.strict.example"),
         want=[("spf", "pass", {}), ("dmarc", "fail", {"header.from": "strict.example"})],
         explain=["SPF passed for bounces.strict.example, not aligned with strict.example under aspf=s"]),
    dict(name="aspf=s: SPF pass of the exact domain aligns",
         from_="S <s@strict.example>",
         smtp=("192.0.2.10", "mx.example.com", "b@strict.example"),
         want=[("spf", "pass", {}), ("dmarc", "pass", {})]),
    dict(name="adkim=s: d= of a subdomain does not align",
         from_="S <s@strict.example>", sign=[("mail.strict.example", "s1")],
         smtp=("203.0.113.7", "mail.elsewhere.example", "s@strict.example"),
         want=[("spf", "fail", {}), ("dkim", "pass", {"header.d": "mail.strict.example"}),
               ("dmarc", "fail", {})],
         explain=["adkim=s"]),
    dict(name="adkim=s: d= equal to the From domain aligns",
         from_="S <s@strict.example>", sign=[("strict.example", "s1")],
         smtp=("203.0.113.7", "mail.elsewhere.example", "s@strict.example"),
         want=[("dkim", "pass", {"header.d": "strict.example"}), ("dmarc", "pass", {})],
         explain=["aligned with the From domain strict.example under adkim=s"]),
    dict(name="adkim=r: d= of a subdomain aligns with the organizational domain",
         sign=[("mail.example.com", "s2")],
         smtp=("203.0.113.7", "mail.elsewhere.example", "alice@example.com"),
         want=[("dkim", "pass", {"header.d": "mail.example.com"}), ("dmarc", "pass", {})]),
    dict(name="null MAIL FROM: HELO identity checked, reported as smtp.helo, aligns",
         smtp=("192.0.2.10", "mx.example.com", ""),
         want=[("spf", "pass", {"smtp.helo": "mx.example.com"}), ("dmarc", "pass", {})],
         json=[("spf.domain", "mx.example.com"), ("spf.sender", "postmaster@mx.example.com")]),
    dict(name="MAIL FROM '<>' as written in the MAIL command is the null sender",
         smtp=("192.0.2.10", "mx.example.com", "<>"),
         want=[("spf", "pass", {"smtp.helo": "mx.example.com"}), ("dmarc", "pass", {})],
         json=[("spf.sender", "postmaster@mx.example.com")]),
    dict(name="MAIL FROM in angle brackets",
         smtp=("192.0.2.10", "mx.example.com", "<alice@example.com>"),
         want=[("spf", "pass", {"smtp.mailfrom": "alice@example.com"})]),
    dict(name="null MAIL FROM, HELO not authorized: spf=fail smtp.helo, DMARC fail",
         smtp=("203.0.113.7", "mx.example.com", ""),
         want=[("spf", "fail", {"smtp.helo": "mx.example.com"}), ("dmarc", "fail", {})]),
    dict(name="forged Authentication-Results of our id removed, others kept",
         extra=b"Authentication-Results: MX.Receiver.Example; dkim=pass header.d=example.com\r\n"
               b"Authentication-Results: other.example; spf=pass smtp.mailfrom=example.com\r\n",
         smtp=("203.0.113.7", "mail.elsewhere.example", "alice@example.com"),
         want=[("spf", "fail", {}), ("dkim", "none", {}), ("dmarc", "fail", {})],
         forged=1, json=[("forged_removed", 1)], explain=["forged"]),
    dict(name="forged field folded over lines and quoted id removed",
         extra=b"Authentication-Results: \"mx.receiver.example\";\r\n\tdmarc=pass\r\n\theader.from=example.com\r\n",
         smtp=("203.0.113.7", "mail.elsewhere.example", "alice@example.com"),
         want=[("dmarc", "fail", {})], forged=1),
    dict(name="two signatures, own and provider's: two dkim results in order",
         sign=[("example.com", "s1"), ("mailer.example.net", "m1")],
         smtp=("198.51.100.20", "out.mailer.example.net", "bounce@mailer.example.net"),
         want=[("spf", "pass", {}), ("dkim", "pass", {"header.d": "example.com"}),
               ("dkim", "pass", {"header.d": "mailer.example.net"}), ("dmarc", "pass", {})],
         json=[("dkim.signatures.0.aligned", True), ("dkim.signatures.1.aligned", False)]),
    dict(name="two signatures, the aligned one with a wrong key: DMARC fails",
         sign=[("example.com", "bad"), ("mailer.example.net", "m1")],
         smtp=("203.0.113.7", "mail.elsewhere.example", "alice@example.com"),
         want=[("dkim", "fail", {"header.s": "bad"}), ("dkim", "pass", {"header.d": "mailer.example.net"}),
               ("dmarc", "fail", {})]),
    dict(name="Ed25519 signature (RFC 8463) passes and aligns",
         sign=[("example.com", "ed")],
         smtp=("203.0.113.7", "mail.elsewhere.example", "alice@example.com"),
         want=[("dkim", "pass", {"header.a": "ed25519-sha256", "header.s": "ed"}), ("dmarc", "pass", {})]),
    dict(name="DKIM key lookup times out: dkim=temperror, DMARC temperror",
         sign=[("example.com", "slow")],
         smtp=("203.0.113.7", "mail.elsewhere.example", "alice@example.com"),
         want=[("spf", "fail", {}), ("dkim", "temperror", {"header.s": "slow"}), ("dmarc", "temperror", {})]),
    dict(name="DKIM key absent: dkim=permerror",
         sign=[("example.com", "gone")],
         smtp=("192.0.2.10", "mx.example.com", "alice@example.com"),
         want=[("dkim", "permerror", {"header.s": "gone"}), ("dmarc", "pass", {})], reason_of="dkim"),
    dict(name="t=y (testing): reject applied one level below, quarantine",
         from_="T <t@testing.example>",
         smtp=("203.0.113.7", "mail.elsewhere.example", "t@testing.example"),
         want=[("dmarc", "fail", {"policy.dmarc": "quarantine"})],
         json=[("dmarc.policy", "reject"), ("dmarc.disposition", "quarantine")]),
    dict(name="p=none: fail reported, policy.dmarc=none",
         from_="M <m@monitor.example>",
         smtp=("203.0.113.7", "mail.elsewhere.example", "m@monitor.example"),
         want=[("dmarc", "fail", {"policy.dmarc": "none", "header.from": "monitor.example"})]),
    dict(name="sp= applies to an existing subdomain",
         from_="S <s@sub.subpol.example>",
         smtp=("203.0.113.7", "mail.elsewhere.example", "s@sub.subpol.example"),
         want=[("dmarc", "fail", {"policy.dmarc": "quarantine", "header.from": "sub.subpol.example"})],
         json=[("dmarc.policy_tag", "sp")]),
    dict(name="no From field: dmarc=permerror",
         from_=None,
         smtp=("192.0.2.10", "mx.example.com", "alice@example.com"),
         want=[("spf", "pass", {}), ("dmarc", "permerror", {})], reason_of="dmarc"),
    dict(name="two From fields: dmarc=permerror",
         from_=["A <a@example.com>", "B <b@example.org>"],
         smtp=("192.0.2.10", "mx.example.com", "alice@example.com"),
         want=[("dmarc", "permerror", {})], reason_of="dmarc"),
    dict(name="--check-helo: the HELO identity as a second spf result",
         args=["--check-helo"],
         smtp=("192.0.2.10", "mx.example.com", "alice@example.com"),
         want=[("spf", "pass", {"smtp.mailfrom": "alice@example.com"}),
               ("spf", "pass", {"smtp.helo": "mx.example.com"}), ("dkim", "none", {}), ("dmarc", "pass", {})],
         json=[("helo.identity", "helo"), ("helo.result", "pass")]),
    dict(name="IPv6 client matched by ip6:",
         smtp=("2001:db8::25", "mx.example.com", "alice@example.com"),
         want=[("spf", "pass", {}), ("dmarc", "pass", {})]),
    dict(name="bare-LF message: field and body keep LF line ends",
         nl=b"\n", sign=[("example.com", "s1")],
         smtp=("203.0.113.7", "mail.elsewhere.example", "alice@example.com"),
         want=[("dkim", "pass", {}), ("dmarc", "pass", {})], lf=True),
    dict(name="--rfc7489 with the PSL: d=example.co.uk aligns with mail.example.co.uk",
         from_="U <u@mail.example.co.uk>", sign=[("example.co.uk", "s1")], psl=True,
         smtp=("203.0.113.7", "mail.elsewhere.example", "u@mail.example.co.uk"),
         want=[("dkim", "pass", {"header.d": "example.co.uk"}),
               ("dmarc", "pass", {"header.from": "mail.example.co.uk"})],
         json=[("dmarc.org_domain", "example.co.uk")]),
]


def parse_vouch(out):
    """Our field read back by `vouch authres parse`: the first field."""
    rc, js, err = vouch(["authres", "parse"], stdin=out)
    if rc != 0:
        return None, "authres parse exit %d: %s" % (rc, err)
    fields = json.loads(js.decode())
    if not fields:
        return None, "no field parsed"
    f = fields[0]
    return (f["authserv_id"], [(r["method"], r["result"], r["reason"], r["props"])
                               for r in f["results"]]), None


def unquote(v):
    m = re.match(r'^"((?:[^"\\]|\\.)*)"(@.*)?$', v)
    if m:
        v = m.group(1) + (m.group(2) or "")
    return re.sub(r"\\(.)", r"\1", v)


def parse_python(field):
    text = field.decode("utf-8").replace("\r\n", "\n").replace("\n ", " ").replace("\n\t", "\t").rstrip("\n")
    h = authres.AuthenticationResultsHeader.parse(text)
    res = []
    for r in h.results:
        props = {"%s.%s" % (p.type, p.name): unquote(p.value) for p in r.properties}
        res.append((r.method, r.result, unquote(r.reason) if r.reason is not None else None, props))
    return (h.authserv_id, res)


def jget(doc, path):
    for k in path.split("."):
        if isinstance(doc, list):
            doc = doc[int(k)]
        else:
            doc = doc[k]
    return doc


def field_of(out):
    """The first header field of out (with its continuation lines)."""
    m = re.match(rb"Authentication-Results:[^\n]*\n(?:[ \t][^\n]*\n)*", out)
    return m.group(0) if m else b""


def run_case(w, c):
    name = c["name"]
    msg = message(c.get("from_", "Alice <alice@example.com>"), c.get("extra", b""),
                  nl=c.get("nl", b"\r\n"))
    if c.get("sign"):
        msg = w.sign(msg, c["sign"])
    for a, b in c.get("tamper", []):
        msg = msg.replace(a, b)
    path = w.path(msg)
    ip, helo, mf = c["smtp"]
    base = ["verify", "--zone", w.zone, "--authserv-id", ID, "--now", str(NOW),
            "--ip", ip, "--helo", helo, "--mail-from", mf] + c.get("args", [])
    if c.get("psl"):
        base += ["--rfc7489", "--psl", vtest.shared("testsuites", "psl", "public_suffix_list.dat")]
    rc, out, err = vouch(base + [path])
    if not ok(rc == 0 and out.startswith(b"Authentication-Results: " + ID.encode()),
              "%s: exit 0, field first" % name, "exit %d: %s" % (rc, err.strip())):
        return
    field = field_of(out)
    rest = out[len(field):]
    # the message out: the input, less the forged fields (RFC 8601 §5)
    want_rest = msg
    if c.get("forged"):
        want_rest = re.sub(rb"Authentication-Results:[ \t]*\"?mx\.receiver\.example\"?;[^\n]*\n(?:[ \t][^\n]*\n)*",
                           b"", msg, flags=re.I)
    ok(rest == want_rest, "%s: message out byte for byte%s" % (name, " (forged field removed)" if c.get("forged") else ""),
       "got %r..., want %r..." % (rest[:120], want_rest[:120]))
    if c.get("forged"):
        ok(b"other.example" in rest or b"other.example" not in msg,
           "%s: other ids' fields kept" % name)
    if c.get("lf"):
        ok(b"\r" not in field and field.endswith(b"\n"), "%s: field written with LF line ends" % name,
           repr(field[:80]))
    got, why = parse_vouch(out)
    if not ok(got is not None, "%s: field parses (vouch authres parse)" % name, why or ""):
        return
    results = got[1]
    sig = [(m, r) for m, r, _, _ in results]
    want = [(m, r) for m, r, _ in c["want"]]
    # the wanted results must appear in order (others may be between)
    i = 0
    for m, r in sig:
        if i < len(want) and (m, r) == want[i]:
            i += 1
    ok(i == len(want), "%s: results %s" % (name, " ".join("%s=%s" % x for x in want)),
       "got %s" % " ".join("%s=%s" % x for x in sig))
    ok(sum(1 for m, _ in sig if m == "dmarc") == 1 and sum(1 for m, _ in sig if m == "spf") >= 1,
       "%s: one dmarc result and an spf result" % name, "got %s" % sig)
    used = set()
    for m, r, props in c["want"]:
        for k, res in enumerate(results):
            if k in used or res[0] != m or res[1] != r:
                continue
            used.add(k)
            for pk, pv in props.items():
                have = res[3].get(pk)
                ok(have is not None and (pv is None or have == pv),
                   "%s: %s=%s %s=%s" % (name, m, r, pk, pv if pv is not None else "(present)"),
                   "got %r" % (res[3],))
            break
    if c.get("reason_of"):
        rs = [res[2] for res in results if res[0] == c["reason_of"]]
        ok(rs and rs[0], "%s: %s result carries a reason" % (name, c["reason_of"]), "got %r" % rs)
    # independent parser: the same authserv-id and results
    if authres is not None:
        try:
            py = parse_python(field)
            good = py == got
            why = "python3-authres %r, vouch %r" % (py, got)
        except Exception as e:
            good, why = False, "%s: %s" % (type(e).__name__, e)
        ok(good, "%s: python3-authres reads the same field" % name, why)
    # --header-only prints the same field alone
    rc2, out2, _ = vouch(base + ["--header-only", path])
    ok(rc2 == 0 and out2 == field, "%s: --header-only prints the same field" % name)
    if c.get("explain"):
        rc3, out3, _ = vouch(base + ["--explain", path])
        text = out3.decode("utf-8", "replace")
        for e in c["explain"]:
            ok(rc3 == 0 and e.lower() in text.lower(), "%s: --explain says %r" % (name, e), text)
    if c.get("json"):
        rc4, out4, _ = vouch(base + ["--json"], stdin=msg)
        try:
            doc = json.loads(out4.decode())
        except ValueError:
            doc = None
        ok(rc4 == 0 and doc is not None, "%s: --json is JSON" % name)
        for p, v in c["json"]:
            try:
                have = jget(doc, p)
            except (KeyError, IndexError, TypeError, ValueError):
                have = "(missing)"
            ok(have == v, "%s: --json %s = %r" % (name, p, v), "got %r" % (have,))


def memory_check(w):
    """A 100 MiB signed message verified from a file and from a pipe keeps
    RSS under 16 MiB: the body streams (hashed, then re-read or spooled)."""
    if vtest.SANITIZED:
        skip("100 MiB message: RSS", "not measured under sanitizers (shadow memory)")
        return
    plain = os.path.join(w.tmp, "big-plain.eml")
    line = b"0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ  \t 0123456789\r\n"
    with open(plain, "wb") as f:
        f.write(message(body=b""))
        chunk = line * (1024 * 1024 // len(line))
        for _ in range(100):
            f.write(chunk)
    big = os.path.join(w.tmp, "big.eml")
    with open(big, "wb") as out:
        p = subprocess.run([vtest.VOUCH, "dkim", "sign", "--time", str(SIGNED_AT), "-d", "example.com",
                            "-s", "s1", "-k", w.keys[("example.com", "s1")], plain], stdout=out)
    os.unlink(plain)
    if not ok(p.returncode == 0, "100 MiB message signed"):
        return
    base = [vtest.VOUCH, "verify", "--zone", w.zone, "--authserv-id", ID, "--now", str(NOW),
            "--ip", "192.0.2.10", "--helo", "mx.example.com", "--mail-from", "a@example.com"]
    for how in ("file", "pipe"):
        with open(big, "rb") as src, tempfile.TemporaryFile() as out:
            p = subprocess.run(["/usr/bin/time", "-f", "%M"] + base + ([big] if how == "file" else []),
                               stdin=src if how == "pipe" else None, stdout=out, stderr=subprocess.PIPE)
            out.seek(0)
            head = out.read(4096)
            size = out.seek(0, os.SEEK_END)
        try:
            kib = int(p.stderr.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            kib = -1
        ok(p.returncode == 0 and 0 < kib < 16 * 1024,
           "100 MiB message from a %s verified in under 16 MiB RSS" % how,
           "exit %d, %d KiB" % (p.returncode, kib))
        ok(b"dkim=pass" in head and size == os.path.getsize(big) + len(field_of(head)),
           "100 MiB message from a %s: dkim=pass, written whole" % how)
    os.unlink(big)


def main():
    if authres is None:
        ok(False, "python3-authres importable", "install python3-authres (scripts/install-deps)")
    with tempfile.TemporaryDirectory() as tmp:
        w = World(tmp)
        for c in CASES:
            run_case(w, c)
        # the same message from stdin (spooled) and from a file (re-read)
        msg = w.sign(message(), [("example.com", "s1")])
        base = ["verify", "--zone", w.zone, "--authserv-id", ID, "--now", str(NOW),
                "--ip", "192.0.2.10", "--helo", "mx.example.com", "--mail-from", "a@example.com"]
        rc1, o1, _ = vouch(base, stdin=msg)
        rc2, o2, _ = vouch(base + [w.path(msg)])
        ok(rc1 == 0 and o1 == o2, "stdin and file give the same output")
        # a body of several read chunks (VOUCH_MESSAGE_CHUNK is 64 KiB)
        big = message(body=b"".join(b"line %06d of a long body\r\n" % i for i in range(20000)))
        big = w.sign(big, [("example.com", "s1")])
        rc, o, _ = vouch(base, stdin=big)
        f = field_of(o)
        ok(rc == 0 and o[len(f):] == big and b"dkim=pass" in f,
           "a %d KiB body: dkim=pass and the message out whole" % (len(big) // 1024))
        # the default authserv-id is the host name
        rc, o, _ = vouch(["verify", "--zone", w.zone, "--ip", "192.0.2.10", "--helo", "mx.example.com",
                          "--mail-from", "a@example.com", "--header-only"], stdin=msg)
        host = os.uname().nodename
        ok(rc == 0 and o.startswith(("Authentication-Results: " + host).encode()),
           "default authserv-id is the host name", repr(o[:80]))
        # usage errors
        rc, _, _ = vouch(["verify", "--zone", w.zone, "--ip", "192.0.2.10"], stdin=msg)
        ok(rc == 64, "missing --helo/--mail-from: exit 64", "exit %d" % rc)
        rc, _, _ = vouch(base[:-6] + ["--ip", "not-an-ip", "--helo", "h", "--mail-from", "a@b.example"],
                         stdin=msg)
        ok(rc == 64, "--ip that is not an address: exit 64", "exit %d" % rc)
        rc, o, _ = vouch(["verify", "--help"])
        ok(rc == 0 and b"--explain" in o, "--help describes --explain")
        # --explain counts dropped continuation bytes in the singular too
        # ("Dropped 1 bytes" was printed for a message of one space)
        for orphan, want in ((b" ", b"\nDropped 1 byte of continuation lines before the first header field"),
                             (b" \r\n", b"\nDropped 3 bytes of continuation lines before the first")):
            rc, o, _ = vouch(base + ["--explain"], stdin=orphan + msg if orphan != b" " else orphan)
            ok(rc == 0 and want in o, "--explain: %r" % want.decode().strip(), repr(o[-400:]))
        memory_check(w)
    vtest.done()


main()
