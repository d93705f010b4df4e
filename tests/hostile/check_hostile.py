#!/usr/bin/python3
"""Hostile records through `vouch check`: huge and binary SPF records,
deep and looping include chains, thousands of TXT records, DMARC records
with hundreds of report URIs, huge DKIM keys.  Each case must end in
bounded time and memory (max RSS of the children) with a report (exit 0,
1 or 2), valid JSON, and the finding RFC 7208, RFC 9989 or RFC 6376 calls
for.
"""
import json
import os
import resource
import time

import scratch
import vtest

MAX_RSS_KIB = 96 * 1024
MAX_SECONDS = 20


def txt(name, s):
    chunks = [s[i:i + 255] for i in range(0, len(s), 255)] or [""]
    return "%s TXT ( %s )" % (name, " ".join(
        '"%s"' % c.replace("\\", "\\\\").replace('"', '\\"') for c in chunks))


tmp = scratch.mkdtemp("vouch-check-hostile-")
n = 0


def run(name, lines, want, args=()):
    global n
    n += 1
    path = os.path.join(tmp, "z%d.db" % n)
    with open(path, "w") as f:
        f.write("$ORIGIN .\n$TTL 300\n" + "\n".join(lines) + "\n")
    t0 = time.time()
    rc, out, err = vtest.vouch(["check", "--zone", path, "--json", "-s", "s1"] + list(args) +
                               ["example.com"], timeout=120)
    dt = time.time() - t0
    try:
        rep = json.loads(out.decode("utf-8"))
    except ValueError:
        vtest.ok(False, "%s: a JSON report" % name, "exit %d, %s" % (rc, err[-300:]))
        return None
    codes = [f["code"] for f in rep["findings"]]
    vtest.ok(rc in (0, 1, 2) and all(w in codes for w in want),
             "%s: report with %s" % (name, ", ".join(want)), "exit %d, got %s" % (rc, codes[:20]))
    vtest.ok(dt < MAX_SECONDS, "%s: under %d s" % (name, MAX_SECONDS), "took %.1f s" % dt)
    return rep


DM = txt("_dmarc.example.com.", "v=DMARC1; p=reject; rua=mailto:d@example.com")

# A 60 KiB SPF record of ip4 terms.
big = "v=spf1 " + " ".join("ip4:10.%d.%d.0/24" % (i // 256, i % 256) for i in range(3500)) + " -all"
run("60 KiB SPF record", [txt("example.com.", big), DM], ["spf-record-too-long"])
# An include chain 40 deep: the walk stops at 12 levels.
chain = [txt("example.com.", "v=spf1 include:c0.example.com -all"), DM]
chain += [txt("c%d.example.com." % i, "v=spf1 include:c%d.example.com -all" % (i + 1)) for i in range(40)]
rep = run("include chain 40 deep", chain, ["spf-too-many-lookups"])
vtest.ok(rep is not None and rep["spf"]["records_walked"] <= 13, "deep chain: at most 13 records walked",
         "got %s" % (rep and rep["spf"]["records_walked"]))
# A loop through redirect= and include:.
run("redirect loop", [txt("example.com.", "v=spf1 redirect=r1.example.com"),
                      txt("r1.example.com.", "v=spf1 include:r2.example.com"),
                      txt("r2.example.com.", "v=spf1 redirect=example.com"), DM], ["spf-include-loop"])
# Every include fans out to the same 30 names: the walk stops at 64 records.
fan = [txt("example.com.", "v=spf1 " + " ".join("include:f%d.example.com" % i for i in range(30)) + " -all"), DM]
fan += [txt("f%d.example.com." % i, "v=spf1 " + " ".join(
    "include:f%d.example.com" % j for j in range(30) if j != i) + " -all") for i in range(30)]
rep = run("fan-out of 30 x 30 includes", fan, ["spf-tree-cut", "spf-too-many-lookups"])
vtest.ok(rep is not None and rep["spf"]["records_walked"] == 64, "fan-out: 64 records walked",
         "got %s" % (rep and rep["spf"]["records_walked"]))
loops = [f for f in rep["findings"] if f["code"] == "spf-include-loop"] if rep else []
vtest.ok(len(loops) == 8, "fan-out: one code is reported at most 8 times (VOUCH_CHECK_MAX_SAME_CODE)",
         "got %d" % len(loops))
# Binary bytes and quotes in the record.
run("binary SPF record", ['example.com. TXT "v=spf1 a:\\000\\001\\255\\"x -all"', DM], ["spf-syntax"])
# 2000 TXT records at the domain, two of them SPF.
many = [txt("example.com.", "junk-%d" % i) for i in range(2000)]
run("2000 TXT records", [txt("example.com.", "v=spf1 -all"), txt("example.com.", "v=spf1 ~all"), DM] + many,
    ["spf-multiple-records", "spf-record-too-long"])
# 300 report URIs, all external and unauthorized: only 16 kept by the parser.
uris = ",".join("mailto:r%d@x%d.example.net" % (i, i) for i in range(300))
rep = run("300 rua URIs", [txt("example.com.", "v=spf1 -all"),
                           txt("_dmarc.example.com.", "v=DMARC1; p=reject; rua=" + uris)],
          ["dmarc-rua-unauthorized", "dmarc-bad-uri"])
vtest.ok(rep is not None and rep["dmarc"]["rua"] <= 16, "300 rua URIs: at most 16 looked at",
         "got %s" % (rep and rep["dmarc"]["rua"]))
# A DKIM p= of 40 KiB of base64.
run("40 KiB DKIM key", [txt("example.com.", "v=spf1 -all"), DM,
                        txt("s1._domainkey.example.com.", "v=DKIM1; p=" + "A" * 40000)], ["dkim-bad-key"])
# A DKIM record of binary junk.
run("binary DKIM record", [txt("example.com.", "v=spf1 -all"), DM,
                           's1._domainkey.example.com. TXT "\\000\\255v=DKIM1; p=\\010"'], ["dkim-syntax"])
# --via at a provider whose tree is another fan-out.
prov = [txt("prov.example.", "v=spf1 " + " ".join("include:p%d.prov.example" % i for i in range(30)) + " -all")]
prov += [txt("p%d.prov.example." % i, "v=spf1 " + " ".join(
    "include:p%d.prov.example" % j for j in range(30) if j != i) + " -all") for i in range(30)]
run("--via a fan-out provider", [txt("example.com.", "v=spf1 -all"), DM] + prov,
    ["send-via-not-included"], args=["--via", "prov.example", "--ip", "192.0.2.1"])

ru = resource.getrusage(resource.RUSAGE_CHILDREN)
if vtest.SANITIZED:
    vtest.skip("children's max RSS", "sanitizer build: shadow memory counts in RSS")
else:
    vtest.ok(ru.ru_maxrss < MAX_RSS_KIB, "children's max RSS under %d MiB" % (MAX_RSS_KIB // 1024),
             "got %d KiB" % ru.ru_maxrss)
vtest.done()
