#!/usr/bin/python3
"""`vouch dmarc` as a command: options, exit statuses, output shapes, and
hostile input (empty, binary junk, NUL bytes, huge headers, thousands of
From fields or addresses), each of which must give a verdict or a clear
error, never a crash or a hang.
"""
import json
import os

import scratch
from vtest import ok, done, vouch

ZONE = """$ORIGIN .
$TTL 300
_dmarc.example.com. TXT "v=DMARC1; p=reject; rua=mailto:agg@example.com,mailto:x@reports.example.net!10m"
example.com. A 192.0.2.1
reports.example.net. A 192.0.2.2
example.com._report._dmarc.reports.example.net. TXT "v=DMARC1"
_dmarc.example.org. TXT "v=DMARC1; p=quarantine; pct=0"
"""

tmp = scratch.mkdtemp("vouch-dmarc-")
zone = os.path.join(tmp, "zone.db")
with open(zone, "w") as f:
    f.write(ZONE)


def msg(name, data):
    p = os.path.join(tmp, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def dmarc_json(args, stdin=None):
    rc, out, err = vouch(["dmarc", "--zone", zone, "--json"] + args, stdin=stdin)
    try:
        return rc, json.loads(out.decode("utf-8")), err
    except ValueError:
        return rc, None, err


plain = msg("plain.eml", b"From: A <a@example.com>\r\nSubject: x\r\n\r\nbody\r\n")

# Options and exit statuses (vouch(1): 0 verdict, 64 usage, 74 I/O).
rc, out, err = vouch(["dmarc", "--help"])
ok(rc == 0 and b"--rfc7489" in out and b"--dkim" in out, "--help prints usage, exit 0",
   "exit %d" % rc)
rc, out, err = vouch(["dmarc", "--bogus"])
ok(rc == 64, "unknown option: exit 64", "exit %d" % rc)
rc, out, err = vouch(["dmarc", "--zone", zone, "--spf", "pass", plain])
ok(rc == 64 and "RESULT:DOMAIN" in err, "--spf without a domain: exit 64", "exit %d %s" % (rc, err))
rc, out, err = vouch(["dmarc", "--zone", zone, "--dkim", "great:example.com", plain])
ok(rc == 64, "--dkim with an unknown result word: exit 64", "exit %d" % rc)
rc, out, err = vouch(["dmarc", "--zone", zone, os.path.join(tmp, "missing.eml")])
ok(rc == 74 and "missing.eml" in err, "missing message file: exit 74 naming it", "exit %d %s" % (rc, err))
rc, out, err = vouch(["dmarc", "--zone", os.path.join(tmp, "nozone.db"), plain])
ok(rc == 74, "missing zone file: exit 74", "exit %d %s" % (rc, err))
rc, out, err = vouch(["dmarc", "--zone", zone, "--rfc7489", "--psl", os.path.join(tmp, "nopsl.dat"), plain])
ok(rc == 74 and "nopsl.dat" in err, "missing PSL file: exit 74 naming it", "exit %d %s" % (rc, err))

# JSON shape: the fields the issue asks for.
rc, j, err = dmarc_json(["--dkim", "pass:example.com", plain])
ok(rc == 0 and j is not None, "JSON output parses", "exit %d %s" % (rc, err))
if j is not None:
    for key in ("result", "policy", "disposition", "org_domain", "record", "reason",
                "author_domain", "spf_aligned", "dkim_aligned", "domains"):
        ok(key in j, "JSON has %s" % key, "keys: %s" % sorted(j))
    ok(j["result"] == "pass" and j["dkim_aligned"] is True and j["spf_aligned"] is False,
       "aligned DKIM pass", "got %r" % j)
    rua = j["domains"][0].get("rua", [])
    ok([u["kept"] for u in rua] == [True, True] and rua[1]["external"] is True
       and rua[1]["max_size"] == 10 << 20, "rua: internal kept, external authorized kept, !10m read",
       "got %r" % rua)

# Alignment of each identifier.
rc, j, err = dmarc_json(["--spf", "pass:mail.example.com", "--dkim", "fail:example.com",
                         "--dkim", "pass:example.net", plain])
ok(j is not None and j["spf"] == {"result": "pass", "domain": "mail.example.com", "aligned": True}
   and [(k["d"], k["aligned"]) for k in j["dkim"]] == [("example.com", False), ("example.net", False)],
   "JSON lists the alignment of each identifier", "got %r" % ((j and (j.get("spf"), j.get("dkim"))),))

# Standard input, and text output.
rc, out, err = vouch(["dmarc", "--zone", zone, "--spf", "pass:mail.example.com"],
                     stdin=open(plain, "rb").read())
ok(rc == 0 and out.startswith(b"dmarc=pass header.from=example.com"),
   "text output from standard input", "exit %d %r" % (rc, out[:200]))

# pct sampling with --seed is repeatable (RFC 7489 mode only).
pm = msg("pct.eml", b"From: b@example.org\r\n\r\n")
r1 = dmarc_json(["--rfc7489", "--seed", "7", pm])[1]
r2 = dmarc_json(["--rfc7489", "--seed", "7", pm])[1]
ok(r1 is not None and r1 == r2 and r1["override"] == "sampled_out" and r1["disposition"] == "none",
   "pct=0 with --seed: sampled out, quarantine becomes none, repeatable", "got %r / %r" % (r1, r2))

# A receiver's override of a failing policy (RFC 9989 5.4, RFC 9990
# PolicyOverrideType), and a bad one refused.
r = dmarc_json(["--local-policy", "mailing_list:quarantine", plain])[1]
ok(r is not None and r["result"] == "fail" and r["policy"] == "reject" and r["disposition"] == "quarantine"
   and r["override"] == "mailing_list", "--local-policy mailing_list:quarantine", "got %r" % r)
r = dmarc_json(["--local-policy", "mailing_list:quarantine", "--dkim", "pass:example.com", plain])[1]
ok(r is not None and r["result"] == "pass" and r["override"] == "", "no override when DMARC passes", "got %r" % r)
rc, out, err = vouch(["dmarc", "--zone", zone, "--local-policy", "because:none", plain])
ok(rc == 64, "--local-policy with an unknown reason: exit 64", "exit %d" % rc)

# Several author domains: strictest failing by default, permerror if asked.
mm = msg("multi.eml", b"From: a@example.org, b@example.com\r\n\r\n")
r = dmarc_json(["--dkim", "pass:example.org", mm])[1]
ok(r is not None and r["result"] == "fail" and r["policy"] == "reject" and len(r["domains"]) == 2,
   "two author domains: the failing reject decides", "got %r" % r)
r = dmarc_json(["--multi-permerror", "--dkim", "pass:example.org", mm])[1]
ok(r is not None and r["result"] == "permerror", "--multi-permerror", "got %r" % r)

# Hostile input: each gives a verdict (exit 0), permerror where there is no
# usable From.  What the sender shapes never switches DMARC off
# (doc/threat-model.md): several From fields, many addresses, deep
# comments are read and evaluated (example.com is p=reject and nothing
# aligns: fail), and the message is unsafe, never a pass, at least
# quarantine.
hostile = [
    ("empty file", b"", "permerror", "no-from"),
    ("binary junk", bytes(range(256)) * 64, "permerror", "header-malformed"),
    ("NUL bytes in From", b"From: a@exam\x00ple.com\r\n\r\n", "permerror", "from-malformed"),
    ("two From fields", b"From: a@example.com\r\nFrom: b@example.com\r\n\r\n", "fail", "several-from"),
    # `vouch dmarc` reads the first MiB: this one is cut after a CR
    ("100000 From fields", b"From: a@example.com\r\n" * 100000 + b"\r\n", "fail",
     ("several-from", "header-malformed")),
    ("10 MiB header line", b"From: a@example.com\r\nX-Long: " + b"a" * (10 << 20) + b"\r\n\r\n", None, None),
    ("10000 addresses in one From", b"From: " + b"a@example.com," * 10000 + b"\r\n\r\n", "fail", None),
    # every address is read: the one domain with a policy, last of 41, decides
    ("example.com after 40 addresses of another domain",
     b"From: " + b"a@nowhere.example," * 40 + b"ceo@example.com\r\n\r\n", "fail", None),
    ("9 author domains: the evaluation is incomplete (RFC 9989 11.5)",
     b"From: " + b"".join(b"a@d%d.example," % i for i in range(8)) + b"ceo@example.com\r\n\r\n",
     "permerror", "from-incomplete"),
    ("comments nested 100000 deep", b"From: a@example.com " + b"(" * 100000 + b")" * 100000 + b"\r\n\r\n",
     "fail", None),
    ("unterminated quote", b"From: \"a@example.com\r\n\r\n", "permerror", "from-malformed"),
    ("unbalanced angle brackets", b"From: <<a@example.com>\r\n\r\n", "permerror", "from-malformed"),
    ("300-label domain", b"From: a@" + b"a." * 300 + b"example.com\r\n\r\n", "permerror", "no-author-domain"),
    ("invalid UTF-8 domain", b"From: a@\xff\xfe.example\r\n\r\n", "permerror", "from-malformed"),
]
for name, data, want, unsafe in hostile:
    p = msg("hostile.eml", data)
    try:
        rc, r, err = dmarc_json([p])
    except Exception as e:  # a hang shows as a timeout
        ok(False, "hostile: %s" % name, repr(e))
        continue
    good = rc == 0 and r is not None and (want is None or r["result"] == want)
    ok(good, "hostile: %s" % name, "exit %d, got %r %s" % (rc, r and r.get("result"), err.strip()[:200]))
    if want is not None:
        ok(r is not None and (r["unsafe"] in unsafe if isinstance(unsafe, tuple) else r["unsafe"] == unsafe) and
           (unsafe is None or r["disposition"] in ("quarantine", "reject")),
           "hostile: %s: unsafe %s, disposition quarantine or stricter" % (name, unsafe),
           "got %r" % ((r and (r["unsafe"], r["disposition"], r["unsafe_reason"])),))

done()
