#!/usr/bin/python3
"""Where failure reports go (RFC 9991 §2, §5; RFC 9990 §4): only to ruf=
mailto: addresses inside the policy's Organizational Domain or
authorized by <policy-domain>._report._dmarc.<host>; the authorizing
record's ruf= replaces the address when it names the same host, and
neither is used when it names another; other schemes are ignored; the
ruf= of a record with psd=y is never used.  Every case is checked both
ways: the verdict that would call for a report (dmarc=fail in the
field), and the reports that were (not) written.
"""
import os

from vtest import ok, vouch
from _failure_util import by_to, check_arf, files_in, run_main


def fail_msg(w, dom, local="alice"):
    return w.message(dom, local=local, sign=False)


def main(w):
    # fo0.example lists internal, authorized, unauthorized and https
    rc, out, err, d, reps = w.receive(fail_msg(w, "fo0.example"), "bounce@fo0.example")
    got = sorted(by_to(reps))
    ok(b"dmarc=fail" in out, "the fo0.example message fails DMARC", out.decode(errors="replace")[:200])
    ok("ruf@fo0.example" in got, "internal ruf= address gets a report")
    ok("auth@reports.example" in got,
       "external address authorized by fo0.example._report._dmarc.reports.example gets one (RFC 9991 §5)")
    ok("unauth@other.example" not in got,
       "external address without an authorization record gets none (RFC 9990 §4: MUST be ignored)",
       "got %s" % got)
    ok(len(got) == 2, "the https: URI gets none (RFC 9989 §4.7: unsupported schemes ignored)", "got %s" % got)

    rc, out, err, d, reps = w.receive(fail_msg(w, "unauth.example"), "bounce@unauth.example")
    ok(b"dmarc=fail" in out and reps == [],
       "a record whose only ruf= is unauthorized: no report", "got %s" % sorted(by_to(reps)))

    rc, out, err, d, reps = w.receive(fail_msg(w, "override.example"), "bounce@override.example")
    got = sorted(by_to(reps))
    ok(got == ["replaced@reports.example"],
       "the authorizing record's ruf= at the same host replaces the address (RFC 9990 §4 step 9)",
       "got %s" % got)
    if reps:
        check_arf("override", reps[0], "replaced@reports.example", "dmarc", "override.example", "dkim, spf",
                  "Quarterly numbers")

    rc, out, err, d, reps = w.receive(fail_msg(w, "badover.example"), "bounce@badover.example")
    ok(b"dmarc=fail" in out and reps == [],
       "a replacement at another host: no report to either address (RFC 9990 §4)",
       "got %s" % sorted(by_to(reps)))

    # org.psd.example has no record: the tree walk finds psd.example's
    rc, out, err, d, reps = w.receive(fail_msg(w, "org.psd.example"), "bounce@org.psd.example")
    ok(b"dmarc=fail" in out and b"header.from=org.psd.example" in out,
       "the PSD's record applies to org.psd.example (dmarc=fail)", out.decode(errors="replace")[:300])
    ok(reps == [], "never the ruf= of a psd=y record (RFC 9991 §2)", "got %s" % sorted(by_to(reps)))
    rc, out, err, d, reps = w.receive(fail_msg(w, "org.nopsd.example"), "bounce@org.nopsd.example")
    ok(b"dmarc=fail" in out and sorted(by_to(reps)) == ["ruf@nopsd.example"],
       "the same record without psd=y: its ruf= gets the report", "got %s" % sorted(by_to(reps)))

    # a failure report that itself fails DMARC gets no report (loops)
    rc, out, err, d, reps = w.receive(fail_msg(w, "fo0.example"), "bounce@fo0.example")
    looped = reps[0].raw.replace(b"From: dmarc-reports@receiver.example", b"From: dmarc-reports@fo0.example")
    rc, out, err, d2, reps2 = w.receive(looped, "bounce@fo0.example")
    ok(b"dmarc=fail" in out and reps2 == [],
       "a message that is itself a feedback report gets no report (RFC 9991 §5.1: loops)",
       "got %s" % sorted(by_to(reps2)))

    # names: one file per report, none replaced, dot files kept apart
    rc, out, err, d, reps = w.receive(fail_msg(w, "fo0.example"), "bounce@fo0.example")
    w.receive(fail_msg(w, "fo0.example"), "bounce@fo0.example", outdir=d)
    names = [f for f in files_in(d) if f.endswith(".eml")]
    ok(len(names) == 4 and len(set(names)) == 4,
       "two runs into one directory: four report files, none overwritten", "got %s" % names)
    ok(all(n.startswith("failure-") for n in names) and
       set(f for f in files_in(d) if not f.endswith(".eml")) == {".vouch-failure-state", ".vouch-redact-key"},
       "the directory holds the reports, the rate state and the redaction key", "got %s" % files_in(d))
    st = os.stat(os.path.join(d, ".vouch-redact-key"))
    ok(st.st_mode & 0o077 == 0 and st.st_size == 32, "the redaction key is 32 bytes, mode 0600",
       "mode %o size %d" % (st.st_mode & 0o777, st.st_size))

    # off: without --failure-report nothing is written anywhere
    before = sorted(os.listdir(w.tmp))
    path = os.path.join(w.tmp, "off.eml")
    with open(path, "wb") as f:
        f.write(fail_msg(w, "fo0.example"))
    rc, out, err = vouch(["verify", "--zone", w.zone, "--ip", "198.51.100.7", "--helo", "x.example",
                          "--mail-from", "bounce@fo0.example", "--authserv-id", "mx.receiver.example", path])
    after = sorted(os.listdir(w.tmp))
    ok(rc == 0 and b"dmarc=fail" in out and after == sorted(before + ["off.eml"]),
       "without --failure-report no report is made (off by default)", "new files %s" %
       sorted(set(after) - set(before)))
    rc, out, err = vouch(["verify", "--zone", w.zone, "--ip", "198.51.100.7", "--helo", "x.example",
                          "--mail-from", "bounce@fo0.example", "--authserv-id", "mx.receiver.example",
                          "--failure-report", os.path.join(w.tmp, "missing"), path])
    ok(rc == 74 and "missing" in err, "a report directory that does not exist is an I/O error (74)",
       "exit %d %s" % (rc, err.strip()))
    rc, out, err = vouch(["verify", "--zone", w.zone, "--ip", "198.51.100.7", "--helo", "x.example",
                          "--mail-from", "bounce@fo0.example", "--authserv-id", "mx.receiver.example",
                          "--failure-report", w.tmp, "--failure-from", "not an address", path])
    ok(rc == 64 and "From" in err, "a reporter address that is not an addr-spec is a usage error (64)",
       "exit %d %s" % (rc, err.strip()))
    rc, out, err = vouch(["verify", "--zone", w.zone, "--ip", "198.51.100.7", "--helo", "x.example",
                          "--mail-from", "bounce@fo0.example", "--failure-report", w.tmp,
                          "--failure-rate", "0/h", path])
    ok(rc == 64, "--failure-rate 0/h is refused: a limit is required (RFC 9991 §2)", "exit %d" % rc)


if __name__ == "__main__":
    run_main(main)
