#!/usr/bin/python3
"""The ValiMail ARC signing suite, ../shared/testsuites/arc/valimail/
arc-draft-sign-tests.yml, read unmodified.  Each test seals its message
with `vouch arc seal` (the scenario's key, domain and selector, the test's
t= and h= list, srv-id as authserv-id, the AAR copied from the message's
own Authentication-Results of srv-id: the suite's AR consolidation rule)
and compares the ARC-Seal, ARC-Message-Signature and
ARC-Authentication-Results made with the expected ones as the suite's
runner does: whitespace removed, tags compared as a set.  The signatures
(b=) are deterministic (RSASSA-PKCS1-v1_5), so this checks the hashed
bytes exactly.  An empty expectation means no field may be made (RFC 8617
§5.1 step 2: a chain ending in cv=fail is not sealed again)."""
import os
import re

import scratch
import vtest
from vtest import ok
import _arc_util as au

path = os.path.join(vtest.shared("testsuites", "arc", "valimail"), "arc-draft-sign-tests.yml")
scenarios = au.load_scenarios(path)
total = sum(len(s["tests"]) for s in scenarios)
ok(total == 17, "signing suite: 17 tests read", "found %d" % total)

NAMES = {"AS": "arc-seal", "AMS": "arc-message-signature", "AAR": "arc-authentication-results"}


def tagset(value):
    """The suite's comparison: all whitespace removed, split on ';'."""
    return set(x for x in re.sub(r"\s+", "", value).split(";") if x)


def fields_on_top(out):
    """The header fields before the message's first line, by lower-case name."""
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    got = {}
    cur = None
    for line in text.split("\n"):
        if line[:1] in (" ", "\t") and cur is not None:
            got[cur] += " " + line.strip()
            continue
        name, _, val = line.partition(":")
        if name.lower() not in NAMES.values():
            break
        cur = name.lower()
        got[cur] = val.strip()
    return got


for sc in scenarios:
    fd, keyfile = scratch.mkstemp("vouch-arc-", ".pem")
    with os.fdopen(fd, "w") as f:
        f.write(sc["privatekey"])
    try:
        with au.zone(sc["txt-records"]) as z:
            for tid, t in sc["tests"]:
                argv = ["arc", "seal", "-d", sc["domain"], "-s", sc["sel"], "-k", keyfile,
                        "--authserv-id", t["srv-id"], "--copy-auth-results",
                        "-H", t["sig-headers"], "--time", str(t["t"]), "--zone", z]
                rc, out, err = vtest.vouch(argv, stdin=au.crlf(t["message"]))
                if not ok(rc == 0, "%s: sealed" % tid, "exit %d: %s" % (rc, err.strip())):
                    continue
                got = fields_on_top(out)
                for key in ("AAR", "AMS", "AS"):
                    want = (t.get(key) or "").strip()
                    have = got.get(NAMES[key])
                    if not want:
                        ok(have is None, "%s: no %s made" % (tid, NAMES[key]), "got %r" % have)
                        continue
                    ok(have is not None and tagset(have) == tagset(want),
                       "%s: %s as expected" % (tid, NAMES[key]),
                       "got %r, want %r" % (have, re.sub(r"\s+", " ", want)))
    finally:
        os.unlink(keyfile)
vtest.done()
