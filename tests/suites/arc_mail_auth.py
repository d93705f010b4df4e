#!/usr/bin/python3
"""mail-auth (Stalwart) ARC data, ../shared/testsuites/arc/mail-auth/
NNN.txt: TXT records (name, space, value), an empty line, then a real
ARC-sealed message (LF line ends).  Expected upstream: the chain
validates (cv=pass) and at least one DKIM signature passes; checked at the
current time (the signatures carry no x=)."""
import glob
import json
import os

import vtest
from vtest import ok
import _arc_util as au
import _dkim_util as du

files = sorted(glob.glob(os.path.join(vtest.shared("testsuites", "arc", "mail-auth"), "[0-9][0-9][0-9].txt")))
ok(len(files) == 2, "mail-auth: two ARC message files", "found %d" % len(files))
for path in files:
    name = os.path.basename(path)
    head, _, message = open(path, "rb").read().partition(b"\n\n")
    recs = []
    for line in head.split(b"\n"):
        if line.strip():
            n, _, v = line.partition(b" ")
            recs.append((n.decode(), "TXT", v))
    with du.Zone(recs) as z:
        rc, doc, err = au.verify(z, message)
        ok(rc == 0 and doc is not None and doc["cv"] == "pass", "mail-auth %s: ARC chain passes" % name,
           "exit %d %s %s" % (rc, au.describe(doc), err.strip()))
        rc, d2, err = du.verify(z, message=message)
        ok(rc == 0 and d2 is not None and any(s["result"] == "pass" for s in d2["signatures"]),
           "mail-auth %s: a DKIM signature passes" % name, "exit %d %s" % (rc, du.describe(d2)))
vtest.done()
