#!/usr/bin/python3
"""Runs every case of ../shared/cases/authres/ through `vouch authres parse`.

Each case is message.eml + expected.json (format: ../shared/cases/README.md).
The command's JSON list must hold the expected fields in header order, each
with the same authserv_id, version and results (method, result, reason and
props, "ptype.property" -> unquoted value).  A field marked "optional" may be
missing; no field may be added.  One check per expected field, plus one for
the command's run and one for fields left over.
"""
import json
import os

import vtest
from vtest import ok


def same_field(got, want):
    """Returns None when got matches want, else the first difference."""
    for key in ("authserv_id", "version"):
        if got.get(key) != want.get(key):
            return "%s: got %r, want %r" % (key, got.get(key), want.get(key))
    gres, wres = got.get("results", []), want.get("results", [])
    if len(gres) != len(wres):
        return "got %d results, want %d" % (len(gres), len(wres))
    for i, (g, w) in enumerate(zip(gres, wres)):
        for key in ("method", "result", "reason"):
            if g.get(key) != w.get(key):
                return "result %d %s: got %r, want %r" % (i, key, g.get(key), w.get(key))
        if g.get("props") != w.get("props", {}):
            return "result %d props: got %r, want %r" % (i, g.get("props"), w.get("props"))
    return None


def run_case(d, name):
    with open(os.path.join(d, "expected.json")) as f:
        exp = json.load(f)
    msg = os.path.join(d, exp["input"]["message"])
    rc, out, err = vtest.vouch(["authres", "parse", msg])
    try:
        got = json.loads(out.decode("utf-8"))
    except ValueError as e:
        got = None
        err += " (output is not JSON: %s)" % e
    if not ok(rc == 0 and isinstance(got, list), "%s: vouch authres parse runs" % name,
              "exit %d, %s" % (rc, err.strip())):
        return
    j = 0
    fields = exp["expected"]["fields"]
    for k, want in enumerate(fields):
        label = "%s: field %d (%s)" % (name, k + 1, want["authserv_id"])
        why = same_field(got[j], want) if j < len(got) else "missing"
        if why is None:
            ok(True, label)
            j += 1
        elif want.get("optional"):
            # RFC-lenient input: the field may be skipped on its own, so
            # what vouch returned next must be the next expected field
            # (or nothing), not a wrong reading of this one.
            skipped = j == len(got) or any(same_field(got[j], f) is None for f in fields[k + 1:])
            ok(skipped, label + " (optional): skipped, not misread",
               "%s; and the field returned in its place is none of the later ones" % why)
        else:
            ok(False, label, why)
    ok(j == len(got), "%s: no extra fields" % name,
       "%d fields returned beyond those expected" % (len(got) - j))


def main():
    base = vtest.shared("cases", "authres")
    cases = sorted(c for c in os.listdir(base) if os.path.isdir(os.path.join(base, c)))
    ok(len(cases) > 0, "authres cases present", "none under %s" % base)
    for c in cases:
        run_case(os.path.join(base, c), "authres/" + c)
    vtest.done()


main()
