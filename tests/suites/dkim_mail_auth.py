#!/usr/bin/python3
"""mail-auth (Stalwart) DKIM data, ../shared/testsuites/dkim/mail-auth/
NNN.txt: TXT records, an empty line, then a real message (LF line ends,
which vouch reads as CRLF).  Verified at --now 1667843664 (the clock
mail-auth's test uses; 005.txt has an x= valid only then).  Expected: the
last signature of each message passes (one signed after that clock is
checked at its own t= too, see below); the others carry no expectation
upstream and are only reported."""
import glob
import os

import vtest
from vtest import ok
import _dkim_util as du

NOW = "1667843664"
files = sorted(glob.glob(os.path.join(vtest.shared("testsuites", "dkim", "mail-auth"), "[0-9][0-9][0-9].txt")))
ok(len(files) == 6, "mail-auth: six message files", "found %d" % len(files))
for path in files:
    name = os.path.basename(path)
    data = open(path, "rb").read()
    head, _, message = data.partition(b"\n\n")
    recs = []
    for line in head.split(b"\n"):
        if line.strip():
            n, _, v = line.partition(b" ")
            recs.append((n.decode(), "TXT", v))
    with du.Zone(recs) as z:
        rc, doc, err = du.verify(z, message=message, args=["--now", NOW])
    if not ok(rc == 0 and doc is not None and doc["signatures"], "mail-auth %s: verdict" % name,
              "exit %d %s %s" % (rc, err.strip(), du.describe(doc))):
        continue
    last = doc["signatures"][-1]
    if last["t"] > int(NOW) + 300:
        # Signed after the suite's clock (004.txt: 5 h later).  vouch
        # refuses t= more than VOUCH_DKIM_CLOCK_SKEW in the future
        # (RFC 6376 3.5 t= allows it); at the signing time it passes.
        ok(last["result"] == "permerror" and "future" in last["reason"],
           "mail-auth %s: t= %d s after --now is refused as future" % (name, last["t"] - int(NOW)),
           "got %s (%s)" % (last["result"], last["reason"]))
        with du.Zone(recs) as z:
            rc, doc, err = du.verify(z, message=message, args=["--now", str(last["t"])])
        last = doc["signatures"][-1]
    ok(last["result"] == "pass", "mail-auth %s: last signature (d=%s) passes" % (name, last["d"]),
       "got %s (%s)" % (last["result"], last["reason"]))
    for k, s in enumerate(doc["signatures"][:-1]):
        print("# mail-auth %s: signature %d d=%s: %s %s" % (name, k, s["d"], s["result"], s["reason"]))
    # Without --now, 005's x= has long passed.
    if name == "005.txt":
        with du.Zone(recs) as z:
            rc, doc, err = du.verify(z, message=message)
        ok(doc is not None and doc["signatures"][-1]["result"] == "permerror"
           and "expired" in doc["signatures"][-1]["reason"],
           "mail-auth 005.txt: expired at today's date (RFC 6376 3.5 x=)", du.describe(doc))
vtest.done()
