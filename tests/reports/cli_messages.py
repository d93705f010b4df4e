#!/usr/bin/python3
"""What `vouch` says when a newcomer's command goes wrong: each error names
the real problem (a missing directory, an unexpected argument, a missing
option, the whole subcommand), and empty results say they are empty.
The findings these come from: a newcomer following README.md."""
import os
import shutil
import tempfile

from vtest import ok, done, vouch, ROOT

tmp = tempfile.mkdtemp(prefix="vouch-cli-messages-")
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
    for sub in (["arc", "verify"], ["store", "init"], ["dkim", "sign"], ["report", "generate"]):
        rc, out, err = vouch(sub + ["--bogus"])
        ok(rc == 64 and err.startswith("vouch %s: unrecognized option" % " ".join(sub)),
           "vouch %s --bogus names the whole subcommand" % " ".join(sub), "rc %d err %r" % (rc, err[:120]))

    rc, out, err = vouch(["report", "summary", "--db", db, "--domain", "nosuch.example", "--no-dns"])
    ok(rc == 0 and out.startswith(b"nosuch.example: no reports"),
       "summary of a domain without reports says so", "rc %d out %r" % (rc, out[:200]))
finally:
    shutil.rmtree(tmp, ignore_errors=True)
done()
