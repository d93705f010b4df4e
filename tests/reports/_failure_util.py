"""The world of the failure-report tests (tests/reports/failure_*.py).

Domains with DMARC records asking for failure reports in every way the
tests need (fo=0, 1, d, s; internal, authorized, unauthorized and
replaced ruf= destinations; a PSD record with psd=y), their SPF records
and DKIM keys, in one zone file written here; messages signed by `vouch
dkim sign` and received by `vouch verify --failure-report DIR`.

Reports are read back with Python's email package, an independent MIME
parser, and their fields checked against RFC 5965 §3, RFC 6591 §3 and
RFC 9991 §4 by check_arf().
"""
import email
import email.utils
import os
import re
import shutil
import sys
import tempfile

import scratch
import vtest
from vtest import ok, vouch

sys.path.insert(0, "/usr/lib/python3/dist-packages")
try:
    import authres
except ImportError:
    authres = None

ID = "mx.receiver.example"
REPORTER = "dmarc-reports@receiver.example"
NOW = 1800000000
GOOD_IP = "192.0.2.10"      # in every domain's SPF record
BAD_IP = "198.51.100.7"     # in none

# (domain, DMARC record) of the domains whose mail the tests receive.
RECORDS = {
    # fo absent (default 0): one internal, one authorized external, one
    # unauthorized external and one URI of another scheme
    "fo0.example": "v=DMARC1; p=reject; ruf=mailto:ruf@fo0.example,"
                   "mailto:auth@reports.example,mailto:unauth@other.example,"
                   "https://reports.example/ruf",
    "fo1.example": "v=DMARC1; p=reject; fo=1; ruf=mailto:ruf@fo1.example",
    "fod.example": "v=DMARC1; p=reject; fo=d; ruf=mailto:ruf@fod.example",
    "fos.example": "v=DMARC1; p=reject; fo=s; ruf=mailto:ruf@fos.example",
    "all.example": "v=DMARC1; p=quarantine; fo=1:d:s; ruf=mailto:ruf@all.example",
    # "0" and "1" are mutually exclusive (RFC 9989 §4.7): the tag is
    # invalid and its default "0" applies (§4.8)
    "badfo.example": "v=DMARC1; p=reject; fo=0:1:d:s; ruf=mailto:ruf@badfo.example",
    "both.example": "v=DMARC1; p=reject; fo=0:d; ruf=mailto:ruf@both.example",
    "noruf.example": "v=DMARC1; p=reject; fo=1; rua=mailto:agg@noruf.example",
    "unauth.example": "v=DMARC1; p=reject; fo=1; ruf=mailto:x@other.example",
    # the authorizing record replaces the destination (RFC 9990 §4 step 9)
    "override.example": "v=DMARC1; p=reject; ruf=mailto:orig@reports.example",
    # ... with one at another host: no report at all (RFC 9990 §4)
    "badover.example": "v=DMARC1; p=reject; ruf=mailto:orig@reports2.example",
    # a PSD's record (RFC 9989 §4.7 psd=y): its ruf= is never used
    "psd.example": "v=DMARC1; p=reject; psd=y; fo=1; ruf=mailto:ruf@psd.example",
    # the same record without psd=y, for contrast
    "nopsd.example": "v=DMARC1; p=reject; fo=1; ruf=mailto:ruf@nopsd.example",
}

ZONE_EXTRA = """
fo0.example._report._dmarc.reports.example. TXT "v=DMARC1"
override.example._report._dmarc.reports.example. TXT "v=DMARC1; ruf=mailto:replaced@reports.example"
badover.example._report._dmarc.reports2.example. TXT "v=DMARC1; ruf=mailto:elsewhere@third.example"
"""


def sh(args, stdin=None):
    rc, out, err = vouch(args, stdin=stdin)
    if rc != 0:
        raise RuntimeError("vouch %s: exit %d: %s" % (" ".join(args), rc, err.strip()))
    return out


class World:
    """Keys, the zone and a place for messages and report directories."""

    def __init__(self):
        self.tmp = scratch.mkdtemp("vouch-failure-")
        self.keys = {}
        lines = ["$ORIGIN .", "$TTL 300"]
        for dom, rec in RECORDS.items():
            lines.append('%s. TXT "v=spf1 ip4:192.0.2.0/24 -all"' % dom)
            lines.append('_dmarc.%s. TXT "%s"' % (dom, rec))
            kdir = os.path.join(self.tmp, dom)
            os.mkdir(kdir)
            sh(["keygen", "-t", "ed25519", "-d", dom, "-s", "sel", "-o", kdir])
            self.keys[dom] = os.path.join(kdir, "sel.private")
            with open(os.path.join(kdir, "sel.txt")) as f:
                lines.append(f.read().strip())
        # a name under the PSD, without a record of its own
        lines.append('org.psd.example. TXT "v=spf1 ip4:192.0.2.0/24 -all"')
        lines.append('org.nopsd.example. TXT "v=spf1 ip4:192.0.2.0/24 -all"')
        lines.append(ZONE_EXTRA)
        self.zone = os.path.join(self.tmp, "zone.db")
        with open(self.zone, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.n = 0

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def message(self, dom, local="alice", subject="Quarterly numbers", to="bob.smith@receiver.example",
                body="Hello Bob,\r\n\r\nthe numbers are attached.  Write to carol@partner.example\r\n"
                     "or see https://intranet.example/q3.\r\n", sign=True, extra=""):
        """A message from local@dom, DKIM-signed by dom when `sign`."""
        msg = ("From: Alice Example <%s@%s>\r\n"
               "To: Bob <%s>\r\n"
               "Subject: %s\r\n"
               "Date: Fri, 15 Jan 2027 07:59:00 +0000\r\n"
               "Message-ID: <msgid-%d@%s>\r\n"
               "%s"
               "Received: from mail.%s (mail.%s [192.0.2.10])\r\n"
               "\tby mx.receiver.example for <%s>; Fri, 15 Jan 2027 07:59:30 +0000\r\n"
               "\r\n%s" % (local, dom, to, subject, self.n, dom, extra, dom, dom, to, body)).encode()
        self.n += 1
        if sign:
            msg = sh(["dkim", "sign", "-d", dom, "-s", "sel", "-k", self.keys[dom],
                      "--time", str(NOW - 60)], stdin=msg)
        return msg

    def receive(self, msg, mail_from, ip=BAD_IP, opts=(), outdir=None, now=NOW, helo="mail.sender.example"):
        """vouch verify --failure-report: returns (exit, stdout, stderr,
        the report directory, the reports as parsed by read_reports)."""
        if outdir is None:
            outdir = tempfile.mkdtemp(dir=self.tmp, prefix="out-")
        path = os.path.join(self.tmp, "msg-%d.eml" % self.n)
        self.n += 1
        with open(path, "wb") as f:
            f.write(msg)
        args = ["verify", "--zone", self.zone, "--ip", ip, "--helo", helo,
                "--mail-from", mail_from, "--authserv-id", ID, "--now", str(now),
                "--failure-report", outdir, "--failure-from", REPORTER] + list(opts) + [path]
        rc, out, err = vouch(args)
        if "Sanitizer" in err or "runtime error:" in err:
            ok(False, "vouch verify --failure-report: no sanitizer report", err[-2000:])
        return rc, out, err, outdir, read_reports(outdir)


class Report:
    """One report file, parsed by the email package."""

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            self.raw = f.read()
        self.msg = email.message_from_bytes(self.raw)
        parts = self.msg.get_payload() if self.msg.is_multipart() else []
        self.parts = parts if isinstance(parts, list) else []
        self.fb = None
        self.orig = None
        if len(self.parts) == 3:
            p = self.parts[1].get_payload()
            self.fb = p[0] if isinstance(p, list) and p else None
            self.orig = self.parts[2]

    def field(self, name):
        """The value of a feedback-report field, unfolded; None if absent."""
        if self.fb is None:
            return None
        v = self.fb.get(name)
        return None if v is None else re.sub(r"\r?\n[ \t]", " ", v).strip()

    def fields(self, name):
        return [] if self.fb is None else self.fb.get_all(name, [])

    def original_text(self):
        """Part 3 as text: the header section (and body)."""
        if self.orig is None:
            return ""
        p = self.orig.get_payload()
        if isinstance(p, list):
            return p[0].as_string()
        return p


def read_reports(outdir):
    """Every .eml file of outdir, parsed, in name order."""
    return [Report(os.path.join(outdir, f)) for f in sorted(os.listdir(outdir)) if f.endswith(".eml")]


def by_to(reports):
    return {r.msg.get("To"): r for r in reports}


ONCE = ("Feedback-Type", "User-Agent", "Version", "Auth-Failure", "Identity-Alignment",
        "Authentication-Results", "Original-Mail-From", "Arrival-Date", "Source-IP",
        "Reported-Domain")


def check_arf(name, r, to, auth_failure, domain, align, orig_subject=None, third="text/rfc822-headers"):
    """The checks every report must pass (RFC 5965 §2, §3; RFC 6591 §3;
    RFC 9991 §4).  Returns True when all passed."""
    good = True
    m = r.msg
    good &= ok(m.get_content_type() == "multipart/report" and
               m.get_param("report-type") == "feedback-report",
               "%s: multipart/report; report-type=feedback-report (RFC 5965 §2 a)" % name,
               "got %s %s" % (m.get_content_type(), m.get_param("report-type")))
    types = [p.get_content_type() for p in r.parts]
    good &= ok(types == ["text/plain", "message/feedback-report", third],
               "%s: three parts, text/plain, message/feedback-report, %s (RFC 5965 §2 b-d)" % (name, third),
               "got %s" % types)
    if r.fb is None:
        return False
    good &= ok(m.get("To") == to and m.get("From") == REPORTER,
               "%s: From %s, To %s" % (name, REPORTER, to), "got %s -> %s" % (m.get("From"), m.get("To")))
    good &= ok(m.get("Auto-Submitted") == "auto-generated" and m.get("Message-ID", "").startswith("<"),
               "%s: Auto-Submitted and a Message-ID" % name)
    if orig_subject is not None:
        good &= ok(m.get("Subject") == "FW: " + orig_subject,
                   "%s: Subject is FW: and the original's (RFC 5965 §2 f)" % name,
                   "got %r" % m.get("Subject"))
    counts = {f: len(r.fields(f)) for f in ONCE}
    good &= ok(all(c == 1 for c in counts.values()),
               "%s: each of %s exactly once (RFC 5965 §3.1, §3.2; RFC 6591 §3.1; RFC 9991 §4)"
               % (name, ", ".join(ONCE)), "counts %s" % counts)
    good &= ok(r.field("Feedback-Type") == "auth-failure" and r.field("Version") == "1",
               "%s: Feedback-Type auth-failure, Version 1 (RFC 6591 §3.1, RFC 5965 §3.1)" % name)
    good &= ok(re.match(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+(/[!#$%&'*+.^_`|~0-9A-Za-z-]+)?$",
                        r.field("User-Agent") or "") is not None,
               "%s: User-Agent is an HTTP product (RFC 5965 §3.1)" % name, "got %r" % r.field("User-Agent"))
    good &= ok(r.field("Auth-Failure") == auth_failure,
               "%s: Auth-Failure %s (RFC 6591 §3.2.1, RFC 9991 §4 item 3)" % (name, auth_failure),
               "got %r" % r.field("Auth-Failure"))
    ia = r.field("Identity-Alignment") or ""
    good &= ok(re.match(r"^(none|(dkim|spf)( *, *(dkim|spf))?)$", ia) is not None and
               len(set(re.split(r" *, *", ia))) == len(re.split(r" *, *", ia)),
               "%s: Identity-Alignment follows the ABNF of RFC 9991 §4 item 2" % name, "got %r" % ia)
    good &= ok(ia == align, "%s: Identity-Alignment %s" % (name, align), "got %r" % ia)
    good &= ok(r.field("Reported-Domain") == domain,
               "%s: Reported-Domain %s (RFC 6591 §3.1)" % (name, domain), "got %r" % r.field("Reported-Domain"))
    good &= ok(r.field("Source-IP") in (GOOD_IP, BAD_IP), "%s: Source-IP" % name,
               "got %r" % r.field("Source-IP"))
    try:
        when = email.utils.parsedate_to_datetime(r.field("Arrival-Date")).timestamp()
    except (TypeError, ValueError):
        when = None
    good &= ok(when == NOW, "%s: Arrival-Date is an RFC 5322 date-time of the arrival" % name,
               "got %r" % r.field("Arrival-Date"))
    good &= ok(re.match(r"^<[^<> ]*>$", r.field("Original-Mail-From") or "") is not None,
               "%s: Original-Mail-From is a reverse-path (RFC 5965 §3.2)" % name,
               "got %r" % r.field("Original-Mail-From"))
    good &= check_authres(name, r, auth_failure)
    good &= check_wire(name, r)
    return bool(good)


def check_authres(name, r, auth_failure):
    """Authentication-Results of part 2: one method, the one reported
    (RFC 6591 §3.1), read back by python3-authres when it is there."""
    want = {"dmarc": "dmarc", "spf": "spf"}.get(auth_failure, "dkim")
    v = r.field("Authentication-Results") or ""
    methods = re.findall(r"(?:;|^)\s*([a-z]+)=", v.split(";", 1)[1] if ";" in v else "")
    good = ok(v.startswith(ID + ";") and methods == [want],
              "%s: Authentication-Results by %s with one %s result (RFC 6591 §3.1)" % (name, ID, want),
              "got %r" % v)
    if authres is None:
        vtest.skip("%s: Authentication-Results read by python3-authres" % name, "python3-authres not installed")
        return good
    try:
        h = authres.AuthenticationResultsHeader.parse("Authentication-Results: " + v)
        parsed = [res.method for res in h.results]
    except Exception as e:  # noqa: BLE001 - any parse error is a failure here
        parsed = ["error: %s" % e]
    return good and ok(h.authserv_id == ID and parsed == [want],
                       "%s: python3-authres reads the field: %s" % (name, want), "got %r" % parsed)


def check_wire(name, r):
    """CRLF everywhere, no line over 998 bytes (RFC 5322 §2.1.1), and the
    parts that say 7bit hold 7-bit bytes only (RFC 5965 §7.1)."""
    bare = re.search(rb"(?<!\r)\n", r.raw) is not None
    longest = max(len(line) for line in r.raw.split(b"\r\n"))
    fb_raw = r.raw.split(b"Content-Type: message/feedback-report", 1)[-1].split(b"\r\n--", 1)[0]
    return bool(ok(not bare and longest <= 998,
                   "%s: CRLF line ends, lines of at most 998 bytes" % name,
                   "bare LF %s, longest %d" % (bare, longest)) &
                ok(all(b < 0x80 for b in fb_raw), "%s: the feedback-report part is 7-bit" % name))


def files_in(d):
    return sorted(os.listdir(d))


def run_main(fn):
    w = World()
    try:
        fn(w)
    finally:
        w.close()
    vtest.done()

