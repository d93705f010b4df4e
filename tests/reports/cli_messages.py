#!/usr/bin/python3
"""What `vouch` says when a newcomer's command goes wrong: each error names
the real problem (a missing directory, an unexpected argument, a missing
option, the whole subcommand), and empty results say they are empty.
The findings these come from: a newcomer following README.md."""
import os
import shutil
import subprocess

import scratch
from vtest import ok, done, vouch, ROOT

tmp = scratch.mkdtemp("vouch-cli-messages-")
try:
    db = os.path.join(tmp, "v.db")
    missing = os.path.join(tmp, "nodir")

    # a store in a directory that does not exist: the directory is named
    rc, out, err = vouch(["store", "init", "--db", os.path.join(missing, "v.db")])
    ok(rc == 69 and missing + ": No such file or directory" in err,
       "store init in a missing directory names the directory", "rc %d err %r" % (rc, err))

    rc, out, err = vouch(["report", "summary", "--db", os.path.join(tmp, "none.db"),
                          "--domain", "example.com", "--no-dns"])
    ok(rc == 69 and err.count("vouch store init makes it") == 1,
       "a missing store: the hint is given once", "rc %d err %r" % (rc, err))

    rc, out, err = vouch(["store", "init", "--db", db])
    ok(rc == 0, "store init", "rc %d err %r" % (rc, err))

    rc, out, err = vouch(["report", "list", "--db", db])
    ok(rc == 0 and out == b"" and "no reports" in err,
       "report list with no report: stdout empty, 'no reports' on stderr", "rc %d out %r err %r" % (rc, out, err))

    gen = ["report", "generate", "--db", db, "--org-name", "Example Mail", "--email",
           "dmarc-noreply@mx.example.net"]
    rc, out, err = vouch(gen + ["--out", missing])
    ok(rc == 74 and missing + ": No such file or directory" in err,
       "generate --out a missing directory: strerror, not 'not a directory'", "rc %d err %r" % (rc, err))
    rc, out, err = vouch(gen + ["--from", "2026-12-07", "--to", "2026-12-07"])
    ok(rc == 64 and "exclusive" in err, "generate --from = --to says --to is exclusive",
       "rc %d err %r" % (rc, err))
    rc, out, err = vouch(gen + ["--from", "2026-12-07", "--to", "2026-12-08"])
    ok(rc == 0 and out.startswith(b"0 reports made (0 records, 0 messages)") and out.endswith(b"1 interval\n"),
       "generate: one interval is '1 interval'", "rc %d out %r" % (rc, out))

    # --failure-report: checked, with the reason, before any verdict is printed
    msg = os.path.join(ROOT, "examples", "gmail.eml")
    rc, out, err = vouch(["verify", "--zone", os.path.join(ROOT, "examples", "zone.db"),
                          "--ip", "192.0.2.1", "--helo", "mx.example.com", "--mail-from",
                          "a@example.com", "--failure-report", missing, msg])
    ok(rc == 74 and out == b"" and "--failure-report %s: No such file or directory" % missing in err,
       "verify --failure-report a missing directory: said before the verdict", "rc %d out %r err %r"
       % (rc, out[:80], err))

    rc, out, err = vouch(["spf", "--ip", "192.0.2.1", "--mail-from", "a@example.com", "extra"])
    ok(rc == 64 and "unexpected argument 'extra'" in err, "spf names an unexpected argument",
       "rc %d err %r" % (rc, err[:200]))
    for args, want in ((["report", "summary", "--db", db], "--domain is required"),
                       (["report", "html", "--db", db], "-o FILE is required"),
                       (["report", "export", "--db", db], "--format csv or json is required"),
                       (["report", "export", "--db", db, "--format", "xml"], "--format xml: csv or json")):
        rc, out, err = vouch(args)
        ok(rc == 64 and err.startswith("vouch report %s: %s" % (args[1], want)),
           "report %s names the problem before the usage" % " ".join(args[1:2] + args[4:]),
           "rc %d err %r" % (rc, err[:200]))
    for sub in (["arc", "verify"], ["store", "init"], ["dkim", "sign"], ["report", "generate"],
                ["report", "suppress", "add"], ["report", "suppress", "list"]):
        rc, out, err = vouch(sub + ["--bogus"])
        ok(rc == 64 and err.startswith("vouch %s: unrecognized option" % " ".join(sub)),
           "vouch %s --bogus names the whole subcommand" % " ".join(sub), "rc %d err %r" % (rc, err[:120]))
    for verb in ("add", "remove", "list"):
        rc, out, err = vouch(["report", "suppress", verb, "--db", db, "--bogus"])
        ok(rc == 64 and "\nusage: vouch report suppress %s " % verb in err and
           "add|remove" not in err,
           "report suppress %s --bogus: the usage of %s alone" % (verb, verb), "rc %d err %r" % (rc, err))

    rc, out, err = vouch(["report", "suppress", "list", "--db", db])
    ok(rc == 0 and out == b"" and "both lists are empty" in err,
       "report suppress list with no entry: stdout empty, said on stderr",
       "rc %d out %r err %r" % (rc, out, err))
    rc, out, err = vouch(["report", "suppress", "--db", db, "add", "--domain", "late.example"])
    rc2, out2, err2 = vouch(["report", "suppress", "list", "--db", db])
    ok(rc == 0 and rc2 == 0 and out2.startswith(b"domain late.example "),
       "report suppress with the verb after the options, as before", "rc %d %r %r" % (rc, err, out2))

    # an input that cannot be read is an input all the same (the line of
    # text); the JSON's fields stay as they were
    rc, out, err = vouch(["report", "ingest", "--db", db, "--no-progress", missing])
    ok(rc == 74 and out.startswith(b"1 input: 0 reports (") and
       out.endswith(b", 1 could not be read\n"),
       "ingest of one input that cannot be read: '1 input: ... 1 could not be read'",
       "rc %d out %r" % (rc, out))
    rc, out, err = vouch(["report", "ingest", "--db", db, "--no-progress", "--json", missing])
    ok(rc == 74 and out == b'{"inputs":0,"reports":0,"stored":0,"duplicates":0,"refused":1,'
       b'"no_report":0,"failure_reports":0}\n',
       "... its --json counts as before (inputs read 0, refused 1)", "rc %d out %r" % (rc, out))

    rc, out, err = vouch(["report", "summary", "--db", db, "--domain", "nosuch.example", "--no-dns"])
    ok(rc == 0 and out.startswith(b"nosuch.example: no reports"),
       "summary of a domain without reports says so", "rc %d out %r" % (rc, out[:200]))

    # one report of one message from one source: the human summary counts
    # in the singular (and in the plural once there are two)
    for n, want in ((1, b"one.example: 1 message in 1 report from 1 reporter;"),
                    (2, b"one.example: 2 messages in 1 report from 1 reporter;")):
        xml = os.path.join(tmp, "one-%d.xml" % n)
        with open(xml, "w") as f:
            f.write("""<?xml version="1.0"?>
<feedback><report_metadata><org_name>Reporter</org_name><email>r@reporter.example</email>
<report_id>one-%d</report_id><date_range><begin>1764979200</begin><end>1765065599</end></date_range>
</report_metadata><policy_published><domain>one.example</domain><p>none</p></policy_published>
<record><row><source_ip>192.0.2.7</source_ip><count>%d</count><policy_evaluated>
<disposition>none</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>
<identifiers><header_from>one.example</header_from></identifiers>
<auth_results><spf><domain>one.example</domain><result>fail</result></spf></auth_results></record>
</feedback>""" % (n, n))
        odb = os.path.join(tmp, "owner-%d.db" % n)
        vouch(["store", "init", "--db", odb])
        rc, out, err = vouch(["report", "ingest", "--db", odb, "--no-progress", xml])
        ok(rc == 0, "ingest a report of %d message%s" % (n, "s"[:n - 1]), "rc %d err %r" % (rc, err))
        rc, out, err = vouch(["report", "summary", "--db", odb, "--domain", "one.example",
                              "--no-dns"])
        ok(rc == 0 and out.startswith(want) and
           ((b" 1 source, 1 message (" in out) if n == 1 else (b" 1 source, 2 messages (" in out)),
           "summary counts %d message%s with the right number" % (n, "s"[:n - 1]),
           "rc %d out %r" % (rc, out[:300]))

    # the progress line counts in the singular too ("1 inputs, 1 reports"
    # was drawn); --progress draws it when stderr is not a terminal
    pdb = os.path.join(tmp, "progress.db")
    vouch(["store", "init", "--db", pdb])
    rc, out, err = vouch(["report", "ingest", "--db", pdb, "--progress", os.path.join(tmp, "one-1.xml")])
    ok(rc == 0 and "1 input, 1 report, 0 refused\033[K" in err and "inputs" not in err,
       "the progress line: 1 input, 1 report", "rc %d err %r" % (rc, err))

    # a store migrated by a newer vouch: one migration it does not know
    p = subprocess.run(["sqlite3", pdb, "INSERT INTO schema_migration VALUES (999, 'future', 0)"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rc, out, err = vouch(["store", "status", "--db", pdb])
    ok(p.returncode == 0 and rc == 0 and b"\nnewer: 1 migration this vouch does not know\n" in out,
       "store status: 1 migration this vouch does not know", "sqlite3 %r rc %d out %r" % (p.stderr, rc, out))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
done()
