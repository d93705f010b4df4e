#!/usr/bin/python3
"""The SPF cases of ../shared/cases/spf/ (format in ../shared/cases/README.md):
each case's zone.db and session through `vouch spf --json`, one counted check
per case: the result must be in `acceptable`, and the explanation must equal
`expected.explanation` when that is not null.  The receiver name for %{r} is
mx.receiver.example, as the README says.
"""
import json
import os

import vtest


def main():
    root = vtest.shared("cases", "spf")
    cases = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    vtest.ok(len(cases) > 0, "spf cases present", "no case under %s" % root)
    for case in cases:
        d = os.path.join(root, case)
        with open(os.path.join(d, "expected.json"), encoding="utf-8") as fp:
            exp = json.load(fp)
        inp = exp["input"]
        want = exp["expected"]
        args = ["spf", "--json", "--zone", os.path.join(d, inp.get("zone", "zone.db")),
                "--ip", inp["ip"], "--mail-from", inp.get("mail_from", ""),
                "--helo", inp.get("helo", ""), "--receiver", "mx.receiver.example",
                "--identity", "helo" if inp.get("identity") == "helo" else "mailfrom"]
        name = "cases/spf/%s" % case
        rc, out, err = vtest.vouch(args, timeout=60)
        if rc != 0:
            vtest.ok(False, name, "exit %d: %s" % (rc, err.strip()[-300:]))
            continue
        got = json.loads(out.decode("utf-8", "replace"))
        acceptable = want.get("acceptable") or [want["result"]]
        if got["result"] not in acceptable:
            vtest.ok(False, name, "got %s, want %s (%s)" % (got["result"], "|".join(acceptable),
                                                           got.get("reason", "")))
            continue
        if want.get("explanation") is not None and got["explanation"] != want["explanation"]:
            vtest.ok(False, name, "explanation %r, want %r" % (got["explanation"], want["explanation"]))
            continue
        vtest.ok(True, name)
    vtest.done()


if __name__ == "__main__":
    main()
