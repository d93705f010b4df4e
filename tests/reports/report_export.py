#!/usr/bin/python3
"""vouch report export: what went in comes out.

Reports with every field the data model has (reasons, several DKIM and
SPF results, identifiers, texts with commas, quotes and non-ASCII) are
ingested; the JSON export must hold each record's fields as the dry-run
reader gave them, and the CSV export (read by Python's csv module) the
same rows and values as the JSON one.
"""
import csv
import io
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report_util as ru  # noqa: E402
import vtest  # noqa: E402
from vtest import ok, done  # noqa: E402

RECORDS = [
    {"ip": "192.0.2.1", "count": 5, "dkim": "pass", "spf": "fail", "disposition": "none",
     "envelope_from": "bounce.exp.example",
     "reasons": [("local_policy", "arc=pass, \"quoted\" and comma"), ("mailing_list", "")],
     "auth_dkim": [("exp.example", "s1", "pass"), ("esp.example", "k2", "fail")],
     "auth_spf": [("bounce.exp.example", "softfail")]},
    {"ip": "2001:db8::2", "count": 3, "dkim": "fail", "spf": "fail", "disposition": "reject",
     "header_from": "sub.exp.example", "auth_spf": [("sub.exp.example", "fail")]},
    {"ip": "198.51.100.9", "count": 1, "dkim": "fail", "spf": "pass",
     "reasons": [("other", "caf\u00e9 \u2713")], "auth_spf": [("exp.example", "pass")]},
]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        db = ru.new_store(os.path.join(tmp, "e.db"))
        path = os.path.join(tmp, "r.xml")
        with open(path, "wb") as fp:
            fp.write(ru.make_xml(org="Reporter, Inc.", rid="exp-1", domain="exp.example",
                                 records=RECORDS))
        rc, dry, err = ru.vouch_dry_run(path)
        rc2, counts, err2 = ru.ingest([path], db)
        ok(rc == 0 and rc2 == 0 and counts["stored"] == 1, "a report with every field is stored",
           err + err2)
        rows = ru.export_json(db)
        ok(rows is not None and len(rows) == len(RECORDS), "JSON export: %d rows" % len(RECORDS))
        if not rows or not dry:
            return
        src = dry[0]["records"]
        keys = ("source_ip", "count", "disposition", "dkim", "spf", "reasons", "header_from",
                "envelope_from", "envelope_to")
        for want, got in zip(src, rows):
            same = all(want[k] == got[k] or (want[k] is None and got[k] == "") for k in keys)
            ok(same, "JSON export of %s equals what was read" % want["source_ip"],
               "%r vs %r" % ({k: want[k] for k in keys}, {k: got[k] for k in keys}))
            auth = {"dkim": [{k: (v or "") for k, v in d.items() if k != "human_result"}
                             for d in want["auth_results"]["dkim"]],
                    "spf": [{k: (v or "") for k, v in d.items() if k != "human_result"}
                            for d in want["auth_results"]["spf"]]}
            gauth = {"dkim": [{k: v for k, v in d.items() if k != "human_result"}
                              for d in got["auth_results"]["dkim"]],
                     "spf": [{k: v for k, v in d.items() if k != "human_result"}
                             for d in got["auth_results"]["spf"]]}
            ok(auth == gauth, "JSON export of %s: auth_results" % want["source_ip"],
               "%r vs %r" % (auth, gauth))
        ok(rows[0]["report"]["org_name"] == "Reporter, Inc." and
           rows[0]["report"]["policy_published"]["p"] == "none" and
           rows[0]["report"]["policy_published"]["pct"] == 100,
           "JSON export: the report's metadata and policy_published")
        ok(rows[2]["reasons"][0]["comment"] == "caf\u00e9 \u2713",
           "JSON export: non-ASCII text comes back as it was")
        rc, out, err = vtest.vouch(["report", "export", "--db", db, "--format", "csv"])
        table = list(csv.DictReader(io.StringIO(out.decode("utf-8"), newline="")))
        ok(rc == 0 and len(table) == len(rows), "CSV export: %d rows after the header" % len(rows),
           "exit %d, %d rows" % (rc, len(table)))
        for j, c in zip(rows, table):
            same = (c["source_ip"] == j["source_ip"] and int(c["count"]) == j["count"] and
                    c["disposition"] == (j["disposition"] or "") and
                    c["dkim_aligned"] == j["dkim"] and c["spf_aligned"] == j["spf"] and
                    c["org_name"] == j["report"]["org_name"] and c["day"] == j["day"] and
                    c["dkim"] == " ".join("%s:%s:%s" % (d["domain"], d["selector"], d["result"])
                                          for d in j["auth_results"]["dkim"]) and
                    c["reasons"] == " ".join("%s:%s" % (r["type"], r["comment"])
                                             for r in j["reasons"]))
            ok(same, "CSV row of %s equals the JSON row" % j["source_ip"], repr(c))
        out_path = os.path.join(tmp, "out.json")
        rc, _, _ = vtest.vouch(["report", "export", "--db", db, "--format", "json", "-o", out_path])
        with open(out_path) as fp:
            ok(rc == 0 and json.load(fp) == rows, "-o FILE writes the same JSON")
        rc, _, _ = vtest.vouch(["report", "export", "--db", db, "--format", "xml"])
        ok(rc == 64, "--format xml is a usage error")


main()
done()
