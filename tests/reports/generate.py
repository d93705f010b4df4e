#!/usr/bin/python3
"""Recording evaluations (vouch verify --record) and generating aggregate
reports from them (RFC 9990), on both store back ends: which evaluations
are recorded, the rows and counts of each report, report_id and file
names, intervals, policy_published as evaluated, the pass disposition and
policy_test_mode override, XSD validation of every report (RFC 9990 and the
corrected RFC 7489 schema), stability when generated again, and the same
bytes from SQLite and PostgreSQL."""
import gzip
import os
import re

import _world
from _world import DAY1, DAY2, run, vouch
from vtest import ok

W = _world.World()
OUT = {}  # back end -> {report_id: xml bytes}

# (message From, signed by, client IP, MAIL FROM, time offset, count)
TRAFFIC = [
    ("a@example.com", "example.com", "192.0.2.10", "bounce@example.com", 100, 3),
    ("a@example.com", None, "203.0.113.5", "x@evil.example", 200, 2),
    ("a@example.com", "example.com", "192.0.2.10", "", 300, 1),
    ("t@testing.example", None, "203.0.113.5", "x@evil.example", 400, 1),
    ("u@unauth.example", None, "203.0.113.5", "x@evil.example", 500, 1),
    ("n@norua.example", None, "203.0.113.5", "x@evil.example", 600, 1),
    ("a@example.com", None, "2001:db8::5", "x@evil.example", 700, 1),
]


def gen(url, *extra):
    out, err = run(["report", "generate", "--db", url, "--org-name", "Receiver Org",
                    "--email", "dmarc-noreply@receiver.example", "--from", str(DAY1),
                    "--to", str(DAY2 + 86400)] + list(extra), "generate " + " ".join(extra))
    return out.decode()


for be in _world.backends():
    n = be.name
    url = be.new_store("gen-" + n)
    bad = 0
    said = {}  # From domain -> what --record said on stderr
    for frm, signer, ip, mf, off, cnt in TRAFFIC:
        msg = W.message(frm, subject="m%d" % off, sign=signer, now=DAY1 + off)
        for i in range(cnt):
            rc, out, err = W.record(url, msg, ip, mf, DAY1 + off + i)
            bad += rc != 0
            said.setdefault(frm.split("@")[1], set()).add(err)
    msg = W.message("a@example.com", subject="day2", sign="example.com", now=DAY2 + 50)
    rc, out, err = W.record(url, msg, "192.0.2.10", "bounce@example.com", DAY2 + 50)
    bad += rc != 0
    ok(bad == 0, "%s: every vouch verify --record succeeds" % n)
    ok(said["example.com"] == {""} and said["testing.example"] == {""},
       "%s: --record says nothing on stderr when it records" % n, repr(said))
    ok(said["norua.example"] == {"vouch verify: --record: nothing recorded: the DMARC record of "
                                 "norua.example names no report destination (rua=, ruf=)\n"},
       "%s: --record says in one line why nothing was recorded: no rua=" % n,
       repr(said["norua.example"]))
    ok(len(said["unauth.example"]) == 1 and
       said["unauth.example"].pop().startswith("vouch verify: --record: nothing recorded: no "
                                               "report destination of the DMARC record of "
                                               "unauth.example is usable"),
       "%s: ... an external rua= that does not authorize the reports (RFC 9990 4)" % n)
    msg = W.message("o@example.org", subject="nodmarc", now=DAY1 + 800)
    rc, out, err = W.record(url, msg, "198.51.100.11", "o@example.org", DAY1 + 800)
    rc2, out2, err2 = vouch(["verify", "--zone", W.zone, "--ip", "198.51.100.11", "--helo",
                             "mx.sender.test", "--mail-from", "o@example.org", "--now",
                             str(DAY1 + 800), "--header-only", msg])
    ok(rc == 0 and err == "vouch verify: --record: nothing recorded: no DMARC policy record for "
       "example.org\n" and out == out2 and rc2 == 0,
       "%s: ... no DMARC record; standard output as without --record" % n, "rc %d %r" % (rc, err))
    msg = W.message("undisclosed-recipients:;", subject="nofrom", now=DAY1 + 900)
    rc, out, err = W.record(url, msg, "198.51.100.11", "o@example.org", DAY1 + 900)
    ok(rc == 0 and err.startswith("vouch verify: --record: nothing recorded: no author domain"),
       "%s: ... no author domain in From" % n, "rc %d %r" % (rc, err))
    rows = be.sql(url, "SELECT policy_domain, count(*) FROM evaluation GROUP BY policy_domain "
                       "ORDER BY policy_domain")
    ok(rows == [["example.com", "8"], ["testing.example", "1"]],
       "%s: recorded: what has a reportable rua (not the unauthorized external, not no-rua)" % n,
       repr(rows))
    rua = be.sql(url, "SELECT DISTINCT rua FROM evaluation_policy WHERE domain = 'example.com'")
    ok(rua == [["mailto:dmarc@example.com,mailto:agg@reports.example.net"]],
       "%s: rua as recorded: authorized external kept, !size removed (RFC 9989)" % n, repr(rua))
    if n == "postgresql":
        parts = be.sql(url, "SELECT tableoid::regclass::text, count(*) FROM evaluation GROUP BY 1")
        ok(parts == [["evaluation_p202401", "9"]],
           "postgresql: the evaluations are in their month's partition, none in the default"
           % (), repr(parts))
        made = be.sql(url, "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = "
                           "i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = "
                           "'evaluation' ORDER BY 1")
        ok(made == [["evaluation_default"], ["evaluation_p202401"], ["evaluation_p202402"]],
           "postgresql: the month and the next one are made ahead", repr(made))
    nul = be.sql(url, "SELECT envelope_from, spf_scope, spf_domain FROM evaluation "
                      "WHERE time = %d" % (DAY1 + 300))
    ok(nul == [["", "helo", "mx.sender.test"]],
       "%s: null reverse-path: envelope_from empty, SPF for postmaster@HELO" % n, repr(nul))

    out = gen(url)
    ok(out.startswith("3 reports made (6 records, 9 messages)"),
       "%s: three reports: example.com twice (two days), testing.example" % n, out)
    reps = _world.report_list(url)
    ids = sorted({r["report_id"] for r in reps})
    ok(len(ids) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids),
       "%s: report_ids unique, 32 hex digits (dot-atom, alphanumeric)" % n, repr(ids))
    xmls = {}
    for r in reps:
        if r["report_id"] in xmls:
            continue
        x = _world.report_xml(url, r["report_id"])
        xmls[r["report_id"]] = x
        valid, why = _world.xmllint(x, _world.XSD9990)
        ok(valid, "%s: report %s validates against RFC 9990's XSD" % (n, r["policy_domain"]), why)
        fn = r["filename"]
        want = "receiver.example!%s!%d!%d!%s.xml.gz" % (r["policy_domain"], r["begin"], r["end"],
                                                         r["report_id"])
        ok(fn == want, "%s: file name receiver!domain!begin!end!unique-id.xml.gz, unique-id = "
           "report_id (RFC 9990 3.5.2, 3.1.4)" % n, "%s != %s" % (fn, want))
    OUT[n] = xmls
    by = {}
    for r in reps:
        by.setdefault((r["policy_domain"], r["begin"]), []).append(r)
    ex1 = by.get(("example.com", DAY1), [])
    ex2 = by.get(("example.com", DAY2), [])
    ok(sorted(d["destination"] for d in ex1) ==
       ["mailto:agg@reports.example.net", "mailto:dmarc@example.com"]
       and all(d["status"] == "pending" for d in ex1),
       "%s: one pending delivery per destination" % n, repr(ex1))
    ok(ex1 and ex1[0]["end"] == DAY1 + 86399 and ex2 and ex2[0]["begin"] == DAY2,
       "%s: intervals are UTC days, end = begin + 86399, no overlap" % n)
    rep = _world.parse(xmls[ex1[0]["report_id"]])
    ok(rep["policy"] == {"domain": "example.com", "discovery_method": "treewalk", "p": "reject",
                         "sp": "reject", "np": "reject", "fo": "0", "adkim": "r", "aspf": "r",
                         "testing": "n"},
       "%s: policy_published as evaluated, defaults filled in" % n, repr(rep["policy"]))
    ok(rep["generator"].startswith("vouch "), "%s: generator element" % n)
    recs = {(r["source_ip"], r["envelope_from"]): r for r in rep["records"]}
    good = recs.get(("192.0.2.10", "example.com"))
    ok(good and good["count"] == 3 and good["disposition"] == "pass" and good["dkim"] == "pass"
       and good["spf"] == "pass" and good["auth_dkim"] == [("example.com", "s1", "pass")]
       and good["auth_spf"] == [("example.com", "mfrom", "pass")]
       and good["envelope_to"] == "example.org",
       "%s: aligned pass under p=reject: disposition pass, count 3, DKIM selector" % n, repr(good))
    badr = recs.get(("203.0.113.5", "evil.example"))
    ok(badr and badr["count"] == 2 and badr["disposition"] == "reject" and badr["dkim"] == "fail"
       and badr["spf"] == "fail" and badr["auth_dkim"] == [] and badr["reasons"] == [],
       "%s: forged mail: disposition reject, count 2" % n, repr(badr))
    nulr = recs.get(("192.0.2.10", ""))
    ok(nulr and nulr["count"] == 1 and nulr["auth_spf"] == [("mx.sender.test", "mfrom", "none")],
       "%s: null reverse-path row: empty envelope_from, scope mfrom (RFC 9990 3.1.1.13)" % n,
       repr(nulr))
    v6 = recs.get(("2001:db8::5", "evil.example"))
    ok(v6 and v6["count"] == 1, "%s: IPv6 source row" % n, repr(list(recs)))
    tst = _world.parse(xmls[by[("testing.example", DAY1)][0]["report_id"]])
    tr = tst["records"][0] if tst["records"] else {}
    ok(tr.get("disposition") == "none" and tr.get("reasons") == [("policy_test_mode", "")]
       and tst["policy"].get("testing") == "y" and tst["policy"].get("p") == "quarantine",
       "%s: t=y: disposition none with reason policy_test_mode (RFC 9990 3.1.6)" % n, repr(tst))

    # made again: kept; forced: the same id and the same bytes
    out = gen(url)
    ok(out.startswith("0 reports made") and "3 kept" in out, "%s: generating again keeps the "
       "reports made" % n, out)
    out = gen(url, "--force")
    reps2 = _world.report_list(url)
    same = all(_world.report_xml(url, i) == xmls[i] for i in ids) and \
        sorted({r["report_id"] for r in reps2}) == ids
    ok(out.startswith("3 reports made") and same,
       "%s: forced again: same report_id, same XML (stable)" % n, out)

    # the RFC 7489 format, validated against the corrected schema
    outdir = os.path.join(_world.TMP, "out7-" + n)
    os.makedirs(outdir)
    gen(url, "--force", "--rfc7489", "--out", outdir)
    files = sorted(os.listdir(outdir))
    ok(len(files) == 3, "%s: --out writes the three files" % n, repr(files))
    for f in files:
        with open(os.path.join(outdir, f), "rb") as fp:
            x = gzip.decompress(fp.read())
        valid, why = _world.xmllint(x, _world.XSD7489)
        ok(valid and b"xmlns=" not in x,
           "%s: --rfc7489 %s validates against the corrected RFC 7489 XSD" % (n, f.split("!")[1]),
           why)
        r7 = _world.parse(x)
        disp = {rec["disposition"] for rec in r7["records"]}
        ok("pass" not in disp, "%s: --rfc7489 writes no pass disposition" % n, repr(disp))
        if f.split("!")[1] == "testing.example":
            ok(r7["records"][0]["reasons"] == [("local_policy", "policy_test_mode")],
               "%s: --rfc7489 policy_test_mode becomes local_policy" % n,
               repr(r7["records"][0]["reasons"]))
        if r7["begin"] == DAY1 and f.split("!")[1] == "example.com":
            ips = {rec["source_ip"] for rec in r7["records"]}
            ok("2001:db8:0:0:0:0:0:5" in ips and r7["policy"].get("pct") == "100",
               "%s: --rfc7489 IPv6 in full form, pct present" % n, repr(ips))
    # back to RFC 9990 for the comparison below
    gen(url, "--force")

    # a policy that changed during the day: the last one evaluated
    url2 = be.new_store("gen-change-" + n)
    m = W.message("a@example.com", subject="chg", sign="example.com", now=DAY1 + 10)
    W.record(url2, m, "192.0.2.10", "bounce@example.com", DAY1 + 10)
    W.write_zone('_dmarc.example.com. IN TXT "v=DMARC1; p=quarantine; sp=none; '
                 'rua=mailto:dmarc@example.com"\n'.replace("_dmarc.example.com.", "_dmarc.example.com."))
    # the zone now holds two records at _dmarc.example.com: replace the first
    with open(W.zone) as f:
        z = [l for l in f.read().splitlines() if not l.startswith('_dmarc.example.com. IN TXT "v=DMARC1; p=reject')]
    with open(W.zone, "w") as f:
        f.write("\n".join(z) + "\n")
    W.record(url2, m, "192.0.2.10", "bounce@example.com", DAY1 + 20)
    W.write_zone()
    gen(url2)
    r = _world.report_list(url2)
    p2 = _world.parse(_world.report_xml(url2, r[0]["report_id"]))["policy"] if r else {}
    ok(p2.get("p") == "quarantine" and p2.get("sp") == "none" and p2.get("np") == "none"
       and len(r) == 1 and r[0]["messages"] == 2,
       "%s: policy changed in the interval: the last one evaluated is reported (RFC 9990 3.1), "
       "not fetched again" % n, repr((p2, r)))

    # suppression of a policy domain
    url3 = be.new_store("gen-supp-" + n)
    m = W.message("t@testing.example", subject="sup", now=DAY1 + 10)
    W.record(url3, m, "203.0.113.5", "x@evil.example", DAY1 + 10)
    run(["report", "suppress", "add", "--db", url3, "--domain", "Testing.Example"], "suppress add")
    out = gen(url3)
    ok(out.startswith("0 reports made") and "1 suppressed" in out,
       "%s: a suppressed policy domain gets no report" % n, out)

    # RFC 9990 3.1.3: at most 100 DKIM results in a row
    url4 = be.new_store("gen-dkim-" + n)
    m = W.message("a@example.com", subject="dk", sign="example.com", now=DAY1 + 10)
    W.record(url4, m, "192.0.2.10", "bounce@example.com", DAY1 + 10)
    many = ";".join("d%d.example s%d fail body%%20hash" % (i, i) for i in range(150))
    be.sql(url4, "UPDATE evaluation SET dkim = '%s'" % many)
    gen(url4)
    r = _world.report_list(url4)
    x = _world.report_xml(url4, r[0]["report_id"]) if r else b""
    rec = _world.parse(x)["records"][0] if x else {"auth_dkim": []}
    ok(len(rec["auth_dkim"]) == 100 and rec["auth_dkim"][0] == ("d0.example", "s0", "fail"),
       "%s: 150 stored DKIM results give 100 in the row, in order (RFC 9990 3.1.3)" % n,
       "%d" % len(rec["auth_dkim"]))
    valid, why = _world.xmllint(x, _world.XSD9990)
    ok(valid, "%s: that report validates" % n, why)

# the same evaluations give the same reports on both back ends
if "sqlite" in OUT and "postgresql" in OUT:
    ok(OUT["sqlite"] == OUT["postgresql"],
       "SQLite and PostgreSQL make byte-identical reports from the same evaluations")

# options
url = _world.Backend("sqlite").new_store("gen-opts")
rc, out, err = vouch(["report", "generate", "--db", url, "--email", "a@b.example"])
ok(rc == 64, "generate without --org-name is a usage error")
rc, out, err = vouch(["report", "generate", "--db", url, "--org-name", "x", "--email", "nodomain"])
ok(rc == 64 and "email" in err, "an --email without a domain is refused", err)
rc, out, err = vouch(["report", "generate", "--db", url, "--org-name", "x", "--email", "a@b.example",
                      "--interval", "7"])
ok(rc == 64 and "86400" in err, "an interval that does not divide a day is refused", err)
rc, out, err = vouch(["report", "generate", "--db", url, "--org-name", "x", "--email", "a@b.example",
                      "--from", "2024-01-01", "--to", "2024-01-03T00:00:00Z"])
ok(rc == 0 and b"2 intervals" in out, "dates as YYYY-MM-DD and ISO times", out.decode())
_world.finish()
