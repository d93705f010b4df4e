"""Helpers for the fail-closed tests (issue 9, doc/threat-model.md): run
`vouch verify` on a message and a zone, and read what it wrote with
readers that are not vouch's own: Python's email package finds the header
fields, python3-authres (Debian) parses each Authentication-Results field.

check_exact() is the "authres_exact" of ../shared/cases/README.md: the
message vouch writes holds exactly one field with our authserv-id, the
first one, and that field says exactly what `--json` says.
"""
import email
import email.policy
import json
import os
import re
import sys
import tempfile

import vtest
from vtest import ok

sys.path.insert(0, "/usr/lib/python3/dist-packages")
try:
    import authres
except ImportError:  # reported by require_authres()
    authres = None

ID = "mx.receiver.example"

DISPOSITIONS = ("none", "quarantine", "reject")


def require_authres():
    if authres is None:
        ok(False, "python3-authres importable", "install python3-authres (scripts/install-deps)")
        vtest.done()


class Run:
    """One `vouch verify` run: the message written out and the --json."""

    def __init__(self, rc, out, err, rcj, doc, errj):
        self.rc, self.out, self.err = rc, out, err
        self.rcj, self.doc, self.errj = rcj, doc, errj

    @property
    def good(self):
        return self.rc == 0 and self.rcj == 0 and self.doc is not None

    @property
    def dmarc(self):
        return (self.doc or {}).get("dmarc") or {}


def verify(msg, zone_text=None, zone_path=None, ip="203.0.113.66", helo="mx.attacker.example",
           mail_from="x@attacker.example", authserv_id=ID, extra=(), timeout=120):
    """Runs vouch verify twice on msg (bytes): plain and --json."""
    with tempfile.TemporaryDirectory() as tmp:
        if zone_path is None:
            zone_path = os.path.join(tmp, "zone.db")
            with open(zone_path, "w") as f:
                f.write(zone_text)
        path = os.path.join(tmp, "m.eml")
        with open(path, "wb") as f:
            f.write(msg)
        args = ["verify", "--zone", zone_path, "--ip", ip, "--helo", helo, "--mail-from", mail_from,
                "--authserv-id", authserv_id] + list(extra)
        rc, out, err = vtest.vouch(args + [path], timeout=timeout)
        rcj, js, errj = vtest.vouch(args + ["--json", path], timeout=timeout)
    try:
        doc = json.loads(js.decode("utf-8"))
    except ValueError:
        doc = None
    return Run(rc, out, err, rcj, doc, errj)


def unfold(v):
    """RFC 5322 2.2.3: unfolding removes each line end that a WSP follows."""
    return re.sub(r"\r?\n(?=[ \t])", "", v).rstrip("\r\n")


def authres_fields(out):
    """The Authentication-Results fields of the message written, in order,
    as Python's email package reads them: [(index among all fields,
    unfolded value)]."""
    msg = email.message_from_bytes(out, policy=email.policy.compat32)
    found = []
    for i, (name, value) in enumerate(msg._headers):
        if name.strip().lower() == "authentication-results":
            if not isinstance(value, str):
                value = str(value)
            found.append((i, unfold(value)))
    return found


def parse(value):
    """python3-authres on one unfolded field value: the header object, or
    None when it does not parse."""
    try:
        return authres.AuthenticationResultsHeader.parse("Authentication-Results: " + value)
    except Exception:  # authres raises its own SyntaxError, and others
        return None


def strip_quotes(v):
    if v is None:
        return None
    m = re.match(r'^"((?:[^"\\]|\\.)*)"$', v)
    return re.sub(r"\\(.)", r"\1", m.group(1)) if m else v


def results_of(h):
    """[(method, result, {ptype.property: value})] of a parsed field."""
    out = []
    for r in h.results:
        props = {"%s.%s" % (p.type, p.name): strip_quotes(p.value) for p in r.properties}
        out.append((r.method, r.result, props))
    return out


def ours(run, authserv_id=ID):
    """The fields of the message written that python3-authres reads as
    ours: [(index, header object)]."""
    got = []
    for i, value in authres_fields(run.out):
        h = parse(value)
        if h is not None and h.authserv_id == authserv_id.lower():
            got.append((i, h))
    return got


def check_exact(name, run, authserv_id=ID):
    """authres_exact: one field of ours, the first field, saying exactly
    what --json says.  Returns the results read, or None."""
    mine = ours(run, authserv_id)
    if not ok(len(mine) == 1 and mine[0][0] == 0,
              "%s: the message written holds exactly one field with our authserv-id, the first "
              "(python3-authres, RFC 8601 5)" % name,
              "got %r" % [(i, str(h)[:120]) for i, h in mine]):
        return None
    res = results_of(mine[0][1])
    doc = run.doc or {}
    want = []
    if doc.get("spf") is not None:
        want.append(("spf", doc["spf"]["result"]))
    if doc.get("helo") is not None:
        want.append(("spf", doc["helo"]["result"]))
    sigs = (doc.get("dkim") or {}).get("signatures") or []
    if sigs:
        want += [("dkim", s["result"]) for s in sigs[:10]]
    else:
        want.append(("dkim", (doc.get("dkim") or {}).get("result")))
    if doc.get("arc") is not None:
        want.append(("arc", doc["arc"]["result"]))
    want.append(("dmarc", doc.get("dmarc", {}).get("result")))
    got = [(m, r) for m, r, _ in res]
    ok(got == want, "%s: our field holds exactly the results of --json, in order" % name,
       "got %r, want %r" % (got, want))
    dm = [p for m, r, p in res if m == "dmarc"]
    d = doc.get("dmarc", {})
    props = dm[0] if dm else {}
    want_from = d.get("author_domain") or None
    ok(props.get("header.from") == want_from,
       "%s: our dmarc header.from is --json's author domain" % name,
       "got %r, want %r" % (props.get("header.from"), want_from))
    if d.get("result") in ("pass", "fail") or d.get("unsafe"):
        ok(props.get("policy.dmarc") == d.get("disposition"),
           "%s: our policy.dmarc is --json's disposition" % name,
           "got %r, want %r" % (props.get("policy.dmarc"), d.get("disposition")))
    return res


RANK = {"none": 0, "quarantine": 1, "reject": 2}


def dmarc_of(run, authserv_id=ID):
    """(result, policy.dmarc) of our field as python3-authres reads it."""
    mine = ours(run, authserv_id)
    for m, r, p in (results_of(mine[0][1]) if len(mine) == 1 else []):
        if m == "dmarc":
            return r, p.get("policy.dmarc")
    return None, None


def expect(name, run, results=None, not_results=("pass",), disposition=None, at_least=None,
           unsafe=None, exact=True, authserv_id=ID):
    """The checks of one variant: a verdict; the DMARC result (--json and
    our field) in `results` / not in `not_results`; the disposition in
    `disposition` or at least `at_least`; --json's unsafe in `unsafe`
    (a tuple of words, None: not checked); and check_exact."""
    if not ok(run.good, "%s: vouch verify exits 0 with a verdict" % name,
              "exit %d/%d: %s" % (run.rc, run.rcj, (run.err + run.errj).strip()[-300:])):
        return
    d = run.dmarc
    ar_result, ar_disp = dmarc_of(run, authserv_id)
    why = "got --json %s/%s (%s), field %s/%s" % (d.get("result"), d.get("disposition"),
                                                 d.get("unsafe_reason") or d.get("reason"),
                                                 ar_result, ar_disp)
    if results is not None:
        ok(d.get("result") in results and ar_result in results,
           "%s: dmarc result in %s" % (name, "/".join(results)), why)
    if not_results:
        ok(d.get("result") not in not_results and ar_result is not None and ar_result not in not_results,
           "%s: dmarc result not %s" % (name, "/".join(not_results)), why)
    if disposition is not None:
        ok(d.get("disposition") in disposition and ar_disp in disposition,
           "%s: disposition %s" % (name, "/".join(disposition)), why)
    if at_least is not None:
        ok(RANK.get(d.get("disposition"), -1) >= RANK[at_least] and RANK.get(ar_disp, -1) >= RANK[at_least],
           "%s: disposition %s or stricter" % (name, at_least), why)
    if unsafe is not None:
        ok(d.get("unsafe") in unsafe, "%s: unsafe is %s" % (name, "/".join(str(u) for u in unsafe)),
           "got %r (%s)" % (d.get("unsafe"), d.get("unsafe_reason")))
    if exact:
        check_exact(name, run, authserv_id)


# The world of the class tests: a victim whose policy is reject, an
# attacker who owns attacker.example (and its DNS) and sends from
# 203.0.113.66.  Variants add lines (failure directives, keys) to ZONE.
ZONE = """$ORIGIN .
$TTL 300
victim.example. TXT "v=spf1 ip4:192.0.2.1 -all"
_dmarc.victim.example. TXT "v=DMARC1; p=reject"
victim.example. A 192.0.2.1
mail.victim.example. A 192.0.2.1
attacker.example. TXT "v=spf1 ip4:203.0.113.66 -all"
attacker.example. A 203.0.113.66
x.attacker.example. TXT "v=spf1 ip4:203.0.113.66 -all"
x.attacker.example. A 203.0.113.66
_dmarc.attacker.example. TXT "v=DMARC1; p=none"
"""

BODY = b"Please wire 50,000 EUR today.\r\n"
REST = (b"To: bob@receiver.example\r\nSubject: urgent wire transfer\r\n"
        b"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <atk@attacker.example>\r\n")


def message(from_field=b"From: CEO <ceo@victim.example>\r\n", before=b"", after=b"", body=BODY):
    """A message: `before`, the From field, `after`, the other fields."""
    return before + from_field + after + REST + b"\r\n" + body


SPOOF = message()
OWN = message(b"From: Mallory <m@attacker.example>\r\n")


def keygen(tmp, domain, selector="a1"):
    """An Ed25519 key for domain: (private key path, zone line)."""
    d = os.path.join(tmp, domain)
    os.makedirs(d, exist_ok=True)
    rc, out, err = vtest.vouch(["keygen", "-t", "ed25519", "-d", domain, "-s", selector, "-o", d])
    if rc != 0:
        raise RuntimeError("keygen %s: %s" % (domain, err))
    return os.path.join(d, selector + ".private"), open(os.path.join(d, selector + ".txt")).read()


def sign(msg, domain, key, selector="a1"):
    rc, out, err = vtest.vouch(["dkim", "sign", "-d", domain, "-s", selector, "-k", key], stdin=msg)
    if rc != 0:
        raise RuntimeError("sign %s: %s" % (domain, err))
    return out
