#!/usr/bin/python3
"""../shared/cases/dkim: each case through `vouch dkim verify --zone`.

Each signature's verdict must be in the case's `acceptable` list; signatures
are matched by index and by b_prefix (header.b is the RFC 6008 prefix of b=,
at least 8 characters, so b_prefix and header.b must agree on their common
length).  A case whose signature has l= and leaves content unsigned is run
twice: with --rfc-l it must give the RFC verdict, and by default vouch's
replay policy must give "policy" (dkim.h documents the policy).
"""
import json
import os

import vtest
from vtest import ok
import _dkim_util as du

base = vtest.shared("cases", "dkim")
for case in sorted(os.listdir(base)):
    d = os.path.join(base, case)
    exp = json.load(open(os.path.join(d, "expected.json")))
    zone = os.path.join(d, exp["input"].get("zone", "zone.db"))
    msg = os.path.join(d, exp["input"].get("message", "message.eml"))
    rc, doc, err = du.verify(zone, msg, args=["--rfc-l"])
    if not ok(rc == 0 and doc is not None, "%s: verdict produced" % case,
              "exit %d: %s" % (rc, err.strip())):
        continue
    sigs = doc["signatures"]
    ok(len(sigs) == len(exp["signatures"]), "%s: signature count" % case,
       "got %d, want %d" % (len(sigs), len(exp["signatures"])))
    for es in exp["signatures"]:
        i = es["index"]
        if i >= len(sigs):
            ok(False, "%s: signature %d" % (case, i), "missing")
            continue
        got = sigs[i]
        n = min(len(got["b"]), len(es["b_prefix"]))
        ok(n >= 8 and got["b"][:n] == es["b_prefix"][:n],
           "%s: signature %d matched by b= prefix" % (case, i),
           "got b=%s, want %s" % (got["b"], es["b_prefix"]))
        ok(got["result"] in es["acceptable"],
           "%s: signature %d verdict %s" % (case, i, es["expected"]),
           "got %s (%s), want one of %s" % (got["result"], got["reason"], es["acceptable"]))
    want_overall = exp.get("expected_dkim_overall")
    if want_overall:
        accept = {want_overall}
        if want_overall != "pass":
            # The firm rule is pass versus not-pass.
            accept = {"fail", "permerror", "neutral", "policy", "temperror", "none"}
        ok(doc["result"] in accept, "%s: overall %s" % (case, want_overall),
           "got %s" % du.describe(doc))
    # The l= replay policy, by default: "policy" exactly when the canonical
    # body beyond l= holds something other than whitespace.
    has_l = [s for s in sigs if s["l"] >= 0]
    if has_l:
        rc, doc2, err = du.verify(zone, msg)
        raw = open(msg, "rb").read()
        body = raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in raw else b""
        for s_rfc, s_def in zip(sigs, doc2["signatures"] if doc2 else []):
            if s_rfc["l"] < 0 or s_rfc["result"] != "pass":
                continue
            relaxed = s_rfc["c"].lower().split("/")[1:2] == ["relaxed"]
            rest = du.canon_body(body, relaxed)[s_rfc["l"]:]
            unsigned = rest.strip(b" \t\r\n") != b""
            want = "policy" if unsigned else "pass"
            ok(s_def["result"] == want and (not unsigned or "l=" in s_def["reason"]),
               "%s: default l= policy: %s (%d canonical bytes after l=)" % (case, want, len(rest)),
               "got %s (%s)" % (s_def["result"], s_def["reason"]))
vtest.done()
