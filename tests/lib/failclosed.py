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
