#!/usr/bin/python3
"""../shared/cases/arc: each case through `vouch arc verify --zone`; the
chain validation status must be in the case's `acceptable` list (and is
reported against its `cv`)."""
import json
import os

import vtest
from vtest import ok
import _arc_util as au

base = vtest.shared("cases", "arc")
cases = sorted(os.listdir(base))
ok(len(cases) > 0, "ARC cases present", "none under %s" % base)
for case in cases:
    d = os.path.join(base, case)
    exp = json.load(open(os.path.join(d, "expected.json")))
    zone = os.path.join(d, exp["input"].get("zone", "zone.db"))
    msg = open(os.path.join(d, exp["input"].get("message", "message.eml")), "rb").read()
    rc, doc, err = au.verify(zone, msg)
    want = exp["expected"]
    acceptable = want.get("acceptable") or [want["cv"]]
    got = doc["cv"] if doc is not None else None
    ok(rc == 0 and got in acceptable, "%s: cv in %s (%s)" % (case, acceptable, "; ".join(exp.get("rfc_refs", []))),
       "exit %d, got %s; %s %s" % (rc, got, au.describe(doc), err.strip()))
vtest.done()
