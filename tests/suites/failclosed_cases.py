#!/usr/bin/python3
"""The fail-closed cases of ../shared/cases/failclosed/ (read unmodified,
format in ../shared/cases/README.md), each through `vouch verify` as its
expected.json's `input` says.  Every directory there runs, so cases of the
same format added later run too.

Checked for each case: exit 0; the DMARC result of --json and of our
Authentication-Results field (read by python3-authres) is in
`dmarc_result`, or not in `dmarc_result_not`; the disposition of --json
and our policy.dmarc are in `disposition`; and with `authres_exact`, the
message written holds exactly one field with our authserv-id, the first,
saying exactly what --json says (tests/lib/failclosed.py check_exact).
That is checked for cases without `authres_exact` too: nothing a sender
shapes may put words in our field (RFC 8601 5).
"""
import json
import os

import failclosed as fc
import vtest
from vtest import ok


def main():
    fc.require_authres()
    root = vtest.shared("cases", "failclosed")
    cases = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    ok(len(cases) > 0, "shared fail-closed cases present", root)
    for case in cases:
        d = os.path.join(root, case)
        try:
            exp = json.load(open(os.path.join(d, "expected.json"), encoding="utf-8"))
            inp = exp["input"]
            want = exp["expected"]
        except (OSError, ValueError, KeyError) as e:
            ok(False, "%s: expected.json readable" % case, repr(e))
            continue
        msg = open(os.path.join(d, inp.get("message", "message.eml")), "rb").read()
        run = fc.verify(msg, zone_path=os.path.join(d, inp.get("zone", "zone.db")),
                        ip=inp["ip"], helo=inp["helo"], mail_from=inp["mail_from"],
                        authserv_id=inp.get("authserv_id", fc.ID))
        if not ok(run.good, "%s: vouch verify exits 0 with a verdict" % case,
                  "exit %d/%d: %s %s" % (run.rc, run.rcj, run.err.strip()[-200:], run.errj.strip()[-200:])):
            continue
        dm = run.dmarc
        mine = fc.ours(run, inp.get("authserv_id", fc.ID))
        field = fc.results_of(mine[0][1]) if len(mine) == 1 else []
        ar_dmarc = [(r, p) for m, r, p in field if m == "dmarc"]
        ar_result = ar_dmarc[0][0] if ar_dmarc else None
        ar_disp = ar_dmarc[0][1].get("policy.dmarc") if ar_dmarc else None
        refs = ", ".join(exp.get("rfc_refs", []))
        if "dmarc_result" in want:
            ok(dm.get("result") in want["dmarc_result"] and ar_result in want["dmarc_result"],
               "%s: dmarc result in %s (%s)" % (case, want["dmarc_result"], refs),
               "got --json %r, field %r" % (dm.get("result"), ar_result))
        if "dmarc_result_not" in want:
            ok(dm.get("result") not in want["dmarc_result_not"] and ar_result is not None
               and ar_result not in want["dmarc_result_not"],
               "%s: dmarc result not in %s (%s)" % (case, want["dmarc_result_not"], refs),
               "got --json %r, field %r" % (dm.get("result"), ar_result))
        if "disposition" in want:
            ok(dm.get("disposition") in want["disposition"] and ar_disp in want["disposition"],
               "%s: disposition in %s" % (case, want["disposition"]),
               "got --json %r, policy.dmarc %r (%s)" % (dm.get("disposition"), ar_disp,
                                                        dm.get("unsafe_reason") or dm.get("reason")))
        # authres_exact, and for every case: nothing a sender shapes may
        # put words in our field (RFC 8601 5)
        fc.check_exact(case, run, inp.get("authserv_id", fc.ID))
    vtest.done()


main()
