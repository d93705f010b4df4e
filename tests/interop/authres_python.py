#!/usr/bin/python3
"""Round trip of Authentication-Results fields (RFC 8601) through two parsers.

Each row is a field described as `vouch authres build` arguments.  The field
vouch writes must have lines of at most 78 columns ending in CRLF, and must
read back to the same values with vouch's parser (`vouch authres parse`) and
with python3-authres, an independent parser from Debian.

python3-authres returns quoted values as written: a reason keeps its
quoted-pairs and an address its quoted local-part, so those are unquoted
here (RFC 5322 §3.2.4) before comparing; nothing else is adjusted.
"""
import json
import re
import sys

import vtest
from vtest import ok

sys.path.insert(0, "/usr/lib/python3/dist-packages")
try:
    import authres
except ImportError:
    authres = None

LONG = ("no aligned identifiers; the policy of example.com is reject and the "
        "message was quarantined by local policy instead")

ROWS = [
    ("one spf", ["mx.example.org", "spf=pass", "smtp.mailfrom=example.com"]),
    ("dkim with header.b base64", ["mx.example.org", "dkim=pass", "header.d=example.com",
                                   "header.s=sel1", "header.b=Ab3/+x=1"]),
    ("address local-part with space", ["mx", "spf=pass", "smtp.mailfrom=john doe@example.com"]),
    ("dot-atom address", ["mx", "spf=pass", "smtp.mailfrom=user.name+tag@example.com"]),
    ("header.i with empty local-part", ["mx", "dkim=pass", "header.i=@example.com"]),
    ("IPv6 value", ["mx", "iprev=pass", "policy.iprev=2001:db8::25"]),
    ("reason with quotes and backslash", ["mx", "dmarc=fail", 'reason=not "aligned" \\ here',
                                         "header.from=example.com"]),
    ("long reason folded", ["mx.example.org", "dmarc=fail", "reason=" + LONG,
                            "header.from=example.com"]),
    ("comment after result", ["mx", "dkim=pass", "(2048-bit key)", "header.d=example.com"]),
    ("none", ["mx.example.org", "none"]),
    ("many results", ["mx.example.org"] + sum(
        [["dkim=pass", "header.d=d%d.example.com" % i, "header.s=selector%d" % i,
          "header.b=AbCdEf%02d" % i] for i in range(10)], [])
     + ["spf=softfail", "smtp.mailfrom=bounce.example.net", "dmarc=pass",
        "header.from=example.com", "policy.dmarc=none", "arc=none"]),
]


def intended(args):
    """The field the arguments describe: (authserv_id, [(method, result, reason, props)])."""
    results = []
    for a in args[1:]:
        if a == "none" or a.startswith("("):
            continue
        key, _, val = a.partition("=")
        if key == "reason":
            results[-1][2] = val
        elif "." in key:
            results[-1][3][key] = val
        else:
            results.append([key, val, None, {}])
    return args[0], [tuple(r) for r in results]


def width_ok(field):
    lines = field.split(b"\r\n")
    if lines[-1] != b"" or any(b"\n" in l or b"\r" in l for l in lines):
        return False, "line ends are not all CRLF"
    widest = max(len(l.replace(b"\t", b" " * 8)) for l in lines)
    return widest <= 78, "widest line %d columns" % widest


def unquote(v):
    m = re.match(r'^"((?:[^"\\]|\\.)*)"(@.*)$', v)
    if m:
        v = m.group(1) + m.group(2)
    return re.sub(r"\\(.)", r"\1", v)


def from_vouch(field):
    rc, out, err = vtest.vouch(["authres", "parse"], stdin=field + b"Subject: x\r\n\r\nbody\r\n")
    if rc != 0:
        return None, "exit %d: %s" % (rc, err.strip())
    got = json.loads(out.decode("utf-8"))
    if len(got) != 1:
        return None, "%d fields parsed" % len(got)
    f = got[0]
    return (f["authserv_id"], [(r["method"], r["result"], r["reason"], r["props"])
                               for r in f["results"]]), None


def from_python(field):
    # python3-authres expects an unfolded field, as the email package gives
    # it (RFC 5322 §2.2.3: unfolding removes each CRLF before a WSP)
    text = field.decode("utf-8").replace("\r\n ", " ").replace("\r\n\t", "\t").rstrip("\r\n")
    h = authres.AuthenticationResultsHeader.parse(text)
    res = []
    for r in h.results:
        props = {"%s.%s" % (p.type, p.name): unquote(p.value) for p in r.properties}
        res.append((r.method, r.result, unquote(r.reason) if r.reason is not None else None, props))
    return (h.authserv_id, res), None


def main():
    if authres is None:
        ok(False, "python3-authres importable", "install python3-authres (scripts/install-deps)")
        vtest.done()
    for name, args in ROWS:
        rc, field, err = vtest.vouch(["authres", "build"] + args)
        if not ok(rc == 0 and field.startswith(b"Authentication-Results:"),
                  "%s: vouch authres build" % name, "exit %d: %s" % (rc, err.strip())):
            continue
        good, why = width_ok(field)
        ok(good, "%s: lines <= 78 columns, CRLF (RFC 5322 §2.1.1)" % name, why)
        want = intended(args)
        for label, fn in (("vouch", from_vouch), ("python3-authres", from_python)):
            try:
                got, why = fn(field)
            except Exception as e:  # a parser refusing the field is a failure
                got, why = None, "%s: %s" % (type(e).__name__, e)
            ok(got == want, "%s: %s reads it back" % (name, label),
               why or "got %r, want %r" % (got, want))
    vtest.done()


main()
