#!/usr/bin/python3
"""Every aggregate-report sample of ../shared/testsuites/dmarc and
../shared/cases/reports through `vouch report ingest --dry-run --json`.

Each sample that an independent reader (_report_util, Python's expat)
can read must be ingested with the same reporter, report_id, policy
domain, date range, records (source_ip, count, disposition, dkim, spf)
and total count.  The samples that are truly broken are refused with a
reason, and the independent reader fails on them too, which shows they
are broken and not merely unusual.  The failure reports (RFC 6591) are
recognized and skipped.  See ../shared/testsuites/dmarc/README.md for
where each file comes from.

The authheaders/ folder holds DMARC evaluation messages, not reports;
it is read by the DMARC suites, not here.
"""
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report_util as ru  # noqa: E402
from vtest import ok, done, shared  # noqa: E402

DMARC = shared("testsuites", "dmarc")

# Files that are not well-formed XML, with the reason (XML 1.0 §2.1: a
# document must be well-formed; a reader may not guess at the rest).
BROKEN = {
    "parsedmarc/aggregate/invalid_xml.xml": "<email><bad-xml@...> is a malformed tag",
    "opendmarc-testfiles/bad.com!example.com!1337140800!1337227200.xml":
        "'<foo' inside header_from, and the file ends before </feedback>",
    "parsedmarc/empty.xml": "0 bytes",
}


def rel(path):
    return os.path.relpath(path, DMARC)


def check_report(name, doc, want):
    ok(doc is not None, "%s: vouch printed a report" % name)
    if doc is None:
        return
    ok(doc["org_name"] == want["org_name"].strip(), "%s: org_name" % name,
       "got %r, want %r" % (doc["org_name"], want["org_name"]))
    if want["report_id"]:
        ok(doc["report_id"] == want["report_id"], "%s: report_id" % name,
           "got %r, want %r" % (doc["report_id"], want["report_id"]))
    ok(doc["policy_published"]["domain"] == want["domain"], "%s: policy domain" % name,
       "got %r, want %r" % (doc["policy_published"]["domain"], want["domain"]))
    ok((doc["date_range"]["begin"], doc["date_range"]["end"]) == (want["begin"], want["end"]),
       "%s: date_range" % name,
       "got %r, want %r" % (doc["date_range"], (want["begin"], want["end"])))
    got = [(ru.canon_ip(r[0]),) + tuple(r[1:]) for r in ru.vouch_records(doc)]
    exp = [(ru.canon_ip(r[0]),) + tuple(r[1:]) for r in want["records"]]
    ok(len(got) == len(exp), "%s: %d records" % (name, len(exp)),
       "got %d" % len(got))
    ok(sorted(got, key=repr) == sorted(exp, key=repr),
       "%s: records (source_ip, count, disposition, dkim, spf)" % name,
       "first difference: %r" % (sorted(set(got) ^ set(exp), key=repr)[:3],))
    ok(doc["total_count"] == want["total"], "%s: total count %d" % (name, want["total"]),
       "got %d" % doc["total_count"])


def aggregate_samples():
    files = []
    for sub in ("parsedmarc/aggregate", "parsedmarc/aggregate_invalid", "opendmarc-testfiles",
                "mail-dmarc", "ietf-wg-samples", "parsedmarc/extract_report"):
        files += sorted(f for f in glob.glob(os.path.join(DMARC, sub, "*"))
                        if not os.path.basename(f).startswith("LICENSE"))
    files.append(os.path.join(DMARC, "parsedmarc", "empty.xml"))
    for path in files:
        name = rel(path)
        rc, docs, err = ru.vouch_dry_run(path)
        if name in BROKEN:
            try:
                with open(path, "rb") as fp:
                    ru.parse(fp.read())
                independent = "read it"
            except (ru.Unreadable, ValueError) as e:
                independent = "fails too (%s)" % e
            ok(rc == 65 and docs == [] and "refused" in err,
               "%s: refused (%s)" % (name, BROKEN[name]),
               "exit %d, %d reports, stderr %r" % (rc, len(docs), err))
            ok(independent.startswith("fails"), "%s: the independent reader %s" % (name, independent))
            continue
        with open(path, "rb") as fp:
            xmls = ru.blobs(fp.read())
        want = [ru.parse(x) for x in xmls]
        ok(rc == 0 and len(docs) == len(want),
           "%s: ingested, %d report(s)" % (name, len(want)),
           "exit %d, %d reports, stderr %r" % (rc, len(docs), err))
        for doc, w in zip(docs, want):
            check_report(name, doc, w)


def same_report(a, b):
    keys = ("org_name", "report_id", "date_range", "policy_published", "records", "total_count")
    return all(a[k] == b[k] for k in keys)


def equal_forms():
    """The same report as XML, gzip and zip gives the same result."""
    for base, forms, other in (
            ("parsedmarc/extract_report/nice-input.xml", (".gz", ".zip"),
             "parsedmarc/extract_report/changed-input.xml"),
            ("mail-dmarc/test_dmarc.xml", (".gz", ".zip"), None)):
        _, ref, _ = ru.vouch_dry_run(os.path.join(DMARC, base))
        for suffix in forms:
            _, docs, _ = ru.vouch_dry_run(os.path.join(DMARC, base + suffix))
            ok(len(ref) == 1 and len(docs) == 1 and same_report(ref[0], docs[0]),
               "%s%s: same report as %s" % (base, suffix, base))
        if other:
            _, docs, _ = ru.vouch_dry_run(os.path.join(DMARC, other))
            ok(len(docs) == 1 and not same_report(ref[0], docs[0]),
               "%s: differs from %s" % (other, base))


def tolerance_details():
    """What the README says a lenient reader does with the odd ones."""
    agg = os.path.join(DMARC, "parsedmarc", "aggregate")
    _, docs, _ = ru.vouch_dry_run(os.path.join(DMARC, "parsedmarc", "aggregate_invalid",
                                               "report_with_upper_cased_pass.xml"))
    r = docs[0]["records"][0] if docs else {}
    ok(docs and r["auth_results"]["dkim"] and r["auth_results"]["dkim"][0]["result"] == "pass"
       and r["spf"] == "pass",
       "report_with_upper_cased_pass.xml: result words lower-cased", repr(r)[:300])
    ok(docs and docs[0]["org_name"] == "example.com",
       "report_with_upper_cased_pass.xml: org_name trimmed of its trailing space")
    _, docs, _ = ru.vouch_dry_run(os.path.join(agg, "invalid_utf_8.xml"))
    hf = docs[0]["records"][0]["header_from"] if docs else ""
    ok(docs and "\ufffd" in hf and any("UTF-8" in w for w in docs[0]["warnings"]),
       "invalid_utf_8.xml: the bad byte becomes U+FFFD, with a warning", repr(hf))
    _, docs, _ = ru.vouch_dry_run(os.path.join(agg, "rfc9990-sample.xml"))
    ok(docs and docs[0]["schema"] == "rfc9990",
       "rfc9990-sample.xml: read as the RFC 9990 schema (urn:ietf:params:xml:ns:dmarc-2.0)")
    p = docs[0]["policy_published"] if docs else {}
    ok(p.get("discovery_method") in ("psl", "treewalk") or p.get("np") is not None
       or p.get("testing") is not None,
       "rfc9990-sample.xml: RFC 9990 policy_published fields kept", json.dumps(p))
    _, docs, _ = ru.vouch_dry_run(os.path.join(agg, "ikea.com!example.de!1538690400!1538776800.xml"))
    ok(len(docs) == 1, "ikea.com: <feedback> inside an unclosed xs:schema wrapper is read")
    good = glob.glob(os.path.join(DMARC, "opendmarc-testfiles", "good.com*"))[0]
    _, docs, _ = ru.vouch_dry_run(good)
    ok(docs and docs[0]["date_range"] == {"begin": 1337270400, "end": 1337356799},
       "good.com: <begin>1337270400.0</begin> read as whole seconds")
    _, docs, _ = ru.vouch_dry_run(os.path.join(agg, "empty_reason.xml"))
    rs = docs[0]["records"][0]["reasons"] if docs else None
    ok(rs == [{"type": "", "comment": ""}], "empty_reason.xml: an empty <reason> kept as empty",
       repr(rs))


def failure_reports():
    fail = os.path.join(DMARC, "parsedmarc", "failure")
    for path in sorted(glob.glob(os.path.join(fail, "*.eml"))):
        name = rel(path)
        rc, docs, err = ru.vouch_dry_run(path)
        if "no_arf_part" in name:
            ok(rc == 0 and docs == [] and "no aggregate report" in err,
               "%s: no report in it, skipped" % name, "exit %d %r" % (rc, err))
        else:
            ok(rc == 0 and docs == [] and "failure report (RFC 6591)" in err,
               "%s: a failure report, skipped" % name, "exit %d %r" % (rc, err))


def cases():
    for d in sorted(glob.glob(os.path.join(shared("cases", "reports"), "*"))):
        with open(os.path.join(d, "expected.json")) as fp:
            case = json.load(fp)
        exp = case["expected"]
        name = "cases/reports/" + os.path.basename(d)
        rc, docs, err = ru.vouch_dry_run(os.path.join(d, case["input"]["message"]))
        ok(rc == 0 and len(docs) == 1, "%s: one report" % name, "exit %d %r" % (rc, err))
        if not docs:
            continue
        doc = docs[0]
        ok(doc["org_name"] == exp["org_name"] and doc["report_id"] == exp["report_id"],
           "%s: org_name and report_id" % name)
        ok(doc["date_range"] == exp["date_range"], "%s: date_range" % name)
        ok(doc["policy_published"]["domain"] == exp["policy_published"]["domain"],
           "%s: policy domain" % name)
        got = [{"source_ip": r["source_ip"], "count": r["count"], "disposition": r["disposition"],
                "dkim": r["dkim"], "spf": r["spf"]} for r in doc["records"]]
        ok(got == exp["records"], "%s: records" % name, "got %r" % got)
        ok(doc["total_count"] == exp["total_count"], "%s: total_count %d" % (name, exp["total_count"]))
        # and the independent reader agrees with expected.json
        with open(os.path.join(d, case["input"]["message"]), "rb") as fp:
            want = ru.parse(ru.blobs(fp.read())[0])
        ok(want["total"] == exp["total_count"],
           "%s: the independent reader agrees with expected.json" % name)


aggregate_samples()
equal_forms()
tolerance_details()
failure_reports()
cases()
done()
