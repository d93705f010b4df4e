#!/usr/bin/python3
"""DMARC scenarios written from the RFCs (dmarc_scenarios.yaml), each run
through `vouch dmarc --json` and compared field by field with its `want`.
One runner, one data file: a scenario is added by adding a YAML entry.
"""
import json
import os
import tempfile

import yaml

from _dmarc_util import DATA, message
from vtest import ok, done, shared, vouch
PSL = shared("testsuites", "psl", "public_suffix_list.dat")


def run(sc, zonefile, tmp):
    msg = os.path.join(tmp, "message.eml")
    with open(msg, "wb") as f:
        f.write(message(sc))
    args = ["dmarc", "--zone", zonefile, "--json", "--seed", "1"]
    if sc.get("mode") == "rfc7489":
        args += ["--rfc7489", "--psl", PSL]
    if sc.get("spf"):
        args.append("--spf=" + sc["spf"])
    for k in sc.get("dkim") or []:
        args.append("--dkim=" + k)
    rc, out, err = vouch(args + [msg])
    try:
        return rc, json.loads(out.decode("utf-8")), err
    except ValueError:
        return rc, None, err


def got_field(j, key):
    if key == "rua_kept":
        doms = j.get("domains") or []
        return [u["kept"] for u in doms[j.get("decisive", 0)].get("rua", [])] if doms else None
    return j.get(key)


def main():
    data = yaml.safe_load(open(DATA, encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        zones = {}
        for name, text in data["zones"].items():
            zones[name] = os.path.join(tmp, name + ".db")
            with open(zones[name], "w", encoding="utf-8") as f:
                f.write(text)
        seen = set()
        for sc in data["scenarios"]:
            name = "%s (%s)" % (sc["name"], sc["rfc"])
            ok(name not in seen, "unique scenario name: %s" % name)
            seen.add(name)
            rc, j, err = run(sc, zones[sc["zone"]], tmp)
            if j is None or rc != 0:
                ok(False, name, "exit %d: %s" % (rc, err.strip()[:300]))
                continue
            diffs = []
            for key, want in sc["want"].items():
                got = got_field(j, key)
                if got != want:
                    diffs.append("%s: got %r, want %r" % (key, got, want))
            ok(not diffs, name, "; ".join(diffs) + "; reason: %s" % j.get("reason"))
    ok(len(data["scenarios"]) >= 80, "at least 80 scenarios", "%d" % len(data["scenarios"]))


main()
done()
