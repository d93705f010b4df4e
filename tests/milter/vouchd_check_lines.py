#!/usr/bin/python3
"""`vouchd -t` names the file and the line of the directive every
configuration error is about ("FILE:LINE: ...", vouchd.conf(5) and
vouchd-tables(5)): the key file of KeyFile or ARCSealKeyFile, the store of
RecordDB, the queue of FailureReportQueue, a table that cannot be read,
and the checks across options (KeyFile/Selector/Domain, KeyFile against
KeyTable, SenderAuthTable against Mode, the reporting options), where the
line is that of the directive that completes or contradicts the others.
A default that is wrong is pinned on the directive that asks for it
(Record for the default RecordDB).  Each case is a real file under
`vouchd -t`; the directive sits on a line other than 1 so that a line
taken from elsewhere shows."""
import os
import shutil
import subprocess

import scratch
import vouchd
import vtest
from vtest import ok

TMP = scratch.mkdtemp("vouchd-lines-")
CONF = os.path.join(TMP, "vouchd.conf")
HEAD = "# vouchd -t line numbers\nSocket unix:%s/x.sock\nSyslog no\n\n" % TMP  # 4 lines


def check(body):
    """Writes HEAD + body to CONF, runs vouchd -t; (exit status, stderr)."""
    with open(CONF, "w") as f:
        f.write(HEAD + body)
    p = subprocess.run([vouchd.VOUCHD, "-t", "-c", CONF], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def line_of(body, name):
    """The line of CONF where the directive `name` is."""
    for i, l in enumerate((HEAD + body).splitlines(), 1):
        if l.split() and l.split()[0] == name:
            return i
    raise KeyError(name)


def expect(what, body, directive, words, rc=None):
    got_rc, err = check(body)
    want = "%s:%d: " % (CONF, line_of(body, directive))
    errs = [l for l in err.splitlines() if "warning" not in l]
    ok(got_rc != 0 and (rc is None or got_rc == rc) and errs
       and all(l.startswith("vouchd: " + want) for l in errs) and words in err,
       "vouchd -t: %s: named at %s's line (%s)" % (what, directive, want.rstrip(": ")),
       "exit %d: %s" % (got_rc, err.strip()))


def expect_all(what, body, wants, rc):
    """Every (directive, words) of wants is an error line at the directive's
    line, in file order, all in one run of vouchd -t."""
    got_rc, err = check(body)
    errs = [l for l in err.splitlines() if "warning" not in l]
    at = []
    for directive, words in wants:
        want = "vouchd: %s:%d: " % (CONF, line_of(body, directive))
        hits = [i for i, l in enumerate(errs) if l.startswith(want) and words in l]
        at.append(hits[0] if hits else None)
    ok(got_rc == rc and None not in at and at == sorted(at),
       "vouchd -t: %s: all %d errors listed, each at its line, in file order"
       % (what, len(wants)), "exit %d: %s" % (got_rc, err.strip()))


BUILT, WHY = vouchd.built()
if not BUILT:
    vtest.skip("vouchd -t line numbers", WHY)
    vtest.done()
    raise SystemExit(0)

KEY = os.path.join(TMP, "s.private")
subprocess.run([vtest.VOUCH, "keygen", "-t", "ed25519", "-d", "example.com", "-s", "s", "-o", TMP],
               check=True, stdout=subprocess.DEVNULL)
os.chmod(KEY, 0o600)
OPEN = os.path.join(TMP, "open.private")
with open(KEY, "rb") as f, open(OPEN, "wb") as g:
    g.write(f.read())
os.chmod(OPEN, 0o644)
NOTKEY = os.path.join(TMP, "not.private")
with open(NOTKEY, "w") as f:
    f.write("not a key\n")
os.chmod(NOTKEY, 0o600)
MISSING = os.path.join(TMP, "missing")

# ---- the key file of KeyFile (it was "FILE: error: ...", no line)
for what, path, words in (("a missing key file", MISSING + ".private", "cannot read"),
                          ("a key file others may read", OPEN, "chmod 600"),
                          ("a file that is no key", NOTKEY, "not a private key")):
    expect("KeyFile: " + what, "Domain example.com\nSelector s\nKeyFile %s\n" % path, "KeyFile",
           words)
expect("Selector: a selector DNS cannot hold", "Domain example.com\nSelector a_b!\n\nKeyFile %s\n" % KEY,
       "Selector", "Selector")
expect("ARCSealKeyFile: a missing key file",
       "ARCSealDomain example.com\nARCSealSelector s\nARCSealKeyFile %s.arc\n" % MISSING,
       "ARCSealKeyFile", MISSING + ".arc")

# ---- tables that cannot be read: the directive's line, the path in words
expect("KeyTable: a table that cannot be read",
       "KeyTable %s.kt\nSigningTable refile:%s.st\n" % (MISSING, MISSING), "KeyTable",
       "KeyTable %s.kt: cannot read" % MISSING)
expect("SenderAuthTable: a table that cannot be read",
       "Domain example.com\nSelector s\nKeyFile %s\n#\nSenderAuthTable %s.sa\n" % (KEY, MISSING),
       "SenderAuthTable", "SenderAuthTable %s.sa: cannot read" % MISSING)

# ---- combinations (they said ":0:"): the line that completes or contradicts
expect("KeyFile without Selector", "Domain example.com\nKeyFile %s\n" % KEY, "KeyFile",
       "Selector is missing", rc=78)
expect("Selector without KeyFile", "Selector s\n\nDomain example.com\n", "Domain",
       "KeyFile is missing", rc=78)
expect("KeyFile and Selector without Domain", "KeyFile %s\nSelector s\n" % KEY, "Selector",
       "Domain is missing", rc=78)
expect("KeyFile against KeyTable", "Domain example.com\nSelector s\nKeyFile %s\n"
       "KeyTable /etc/kt\nSigningTable /etc/st\n" % KEY, "KeyTable", "exclude each other", rc=78)
expect("KeyTable without SigningTable", "\nKeyTable /etc/kt\n", "KeyTable",
       "SigningTable is missing", rc=78)
expect("ARC sealing options in part", "ARCSealDomain example.com\n\nARCSealSelector s\n",
       "ARCSealSelector", "go together: ARCSealKeyFile is missing", rc=78)
expect("ARCSealDomain and ARCSealKeyFile without ARCSealSelector",
       "ARCSealDomain example.com\n\nARCSealKeyFile %s\n" % KEY, "ARCSealKeyFile",
       "go together: ARCSealSelector is missing", rc=78)
expect("ARCSealKeyFile alone", "Mode v\nARCSealKeyFile %s\n" % KEY, "ARCSealKeyFile",
       "go together: ARCSealDomain and ARCSealSelector are missing", rc=78)
expect("SenderAuthTable against Mode v", "SenderAuthTable /etc/sa\nMode v\n", "Mode",
       "needs Mode s or sv", rc=78)
expect("SenderAuthAliases without SenderAuthTable", "Mode v\nSenderAuthAliases /etc/al\n",
       "SenderAuthAliases", "needs SenderAuthTable", rc=78)
expect("RecordBatchRows 0", "Mode v\nRecordBatchRows 0\n", "RecordBatchRows", "RecordBatchRows",
       rc=78)
expect("FailureReports without FailureReportFrom", "Mode v\n\nFailureReports yes\n",
       "FailureReports", "FailureReportFrom", rc=78)
expect("FailureReportQueue not absolute", "Mode v\nFailureReportQueue spool\n",
       "FailureReportQueue", "absolute path", rc=78)

# ---- several errors in one file: every one listed in one run
expect_all("Domain and a missing KeyFile",
           "Mode s\nDomain ex..ample.com\nSelector s\n\nKeyFile %s.private\n" % MISSING,
           [("Domain", "empty label"), ("KeyFile", "cannot read")], rc=1)
expect_all("lines that do not parse",
           "Mode q\nBogus 1\n\nSignatureTTL soon\n",
           [("Mode", "Mode"), ("Bogus", "unknown option 'Bogus'"),
            ("SignatureTTL", "want a number")], rc=78)
expect_all("a line that does not parse and checks across options",
           "RecordBatchRows 0\nDomain example.com\nKeyFile %s\nBogus 1\n"
           "ARCSealDomain example.com\n" % KEY,
           [("RecordBatchRows", "RecordBatchRows"), ("KeyFile", "Selector is missing"),
            ("Bogus", "unknown option"), ("ARCSealDomain", "ARCSealSelector and ARCSealKeyFile are missing")],
           rc=78)

# ---- the store and the queue, opened by -t
expect("RecordDB: a store that does not exist", "Mode v\nRecord yes\n\nRecordDB %s.db\n" % MISSING,
       "RecordDB", "vouch store init")
# the default store: the directive that asks for it
if os.path.exists("/var/lib/vouch/vouch.db"):
    vtest.skip("vouchd -t: the default RecordDB at Record's line",
               "/var/lib/vouch/vouch.db exists on this machine")
else:
    expect("the default RecordDB that does not exist", "Mode v\nRecord yes\n", "Record",
           "/var/lib/vouch/vouch.db")
expect("FailureReportQueue: a directory that does not exist",
       "Mode v\nFailureReports yes\nFailureReportFrom r@example.com\nFailureReportQueue %s.q\n"
       % MISSING, "FailureReportQueue", MISSING + ".q")

expect_all("a store and a failure report queue that do not exist",
           "Mode v\nRecord yes\nRecordDB %s.db\nFailureReports yes\n"
           "FailureReportFrom r@example.com\n\nFailureReportQueue %s.q\n" % (MISSING, MISSING),
           [("RecordDB", "vouch store init"), ("FailureReportQueue", MISSING + ".q")], rc=1)

# a good file still passes
rc, err = check("Domain example.com\nSelector s\nKeyFile %s\n" % KEY)
ok(rc == 0, "vouchd -t: the single-key form with a good key passes", err)
shutil.rmtree(TMP, ignore_errors=True)
vtest.done()
