#!/usr/bin/python3
"""The ValiMail ARC validation suite, ../shared/testsuites/arc/valimail/
arc-draft-validation-tests.yml, read unmodified: every test entry (175,
the four duplicated IDs of "Arc Seal Fields" included) is one check of the
chain validation status (RFC 8617 §5.2) against the expected cv.  An empty
cv (three tests) is taken as fail, as the suite's README explains: the
newest ARC-Seal carries cv=fail (RFC 8617 §5.2 step 2)."""
import os

import vtest
from vtest import ok
import _arc_util as au

path = os.path.join(vtest.shared("testsuites", "arc", "valimail"), "arc-draft-validation-tests.yml")
scenarios = au.load_scenarios(path)
total = sum(len(s["tests"]) for s in scenarios)
ok(total == 175, "validation suite: 175 test entries read", "found %d" % total)
seen = {}
for sc in scenarios:
    with au.zone(sc["txt-records"]) as z:
        for tid, t in sc["tests"]:
            seen[tid] = seen.get(tid, 0) + 1
            name = tid if seen[tid] == 1 else "%s (#%d)" % (tid, seen[tid])
            want = (t.get("cv") or "").strip().lower() or "fail"
            rc, doc, err = au.verify(z, au.crlf(t["message"]))
            got = doc["cv"] if doc is not None else "exit %d %s" % (rc, err.strip())
            ok(rc == 0 and got == want, "%s (spec %s): cv=%s" % (name, t.get("spec", "?"), want),
               "got %s; %s" % (got, au.describe(doc)))
vtest.done()
