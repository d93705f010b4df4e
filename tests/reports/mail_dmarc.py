#!/usr/bin/python3
"""The reports vouch sends, read by Debian's Mail::DMARC
(libmail-dmarc-perl, an independent implementation): the messages
delivered to an SMTP sink's Maildir are parsed by
Mail::DMARC::Report::Receive, and its numbers per source and result must be
those vouch recorded.  Mail::DMARC 1.20211209 (Debian 12) reads reports
in no namespace only (its XPath is "/feedback/..."; upstream strips the
RFC 9990 namespace since mail-dmarc pull request 301): the RFC 7489 format
is read in full; for the RFC 9990 format the check runs when the installed
Mail::DMARC reads it, and is a visible skip naming that limit when not."""
import json
import os
import subprocess
from collections import Counter

import _world
import smtpsink
from _world import DAY1, DAY2, run
from vtest import ok, skip

W = _world.World()
PERL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_mail_dmarc.pl")
TRAFFIC = [
    ("a@example.com", "example.com", "192.0.2.10", "bounce@example.com", 3),
    ("a@example.com", None, "203.0.113.5", "x@evil.example", 2),
    ("a@example.com", "example.com", "192.0.2.11", "bounce@example.com", 1),
    ("t@testing.example", None, "203.0.113.5", "x@evil.example", 2),
]


def mail_dmarc(files):
    p = subprocess.run(["perl", PERL] + files, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=300)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1]), p.stderr
    except (ValueError, IndexError):
        return None, p.stderr


def recorded(be, url):
    """(policy domain, source ip, disposition, dkim, spf) -> count, from the
    evaluations, in RFC 7489 words."""
    c = Counter()
    for dom, ip, disp, dk, sp, cnt in be.sql(
            url, "SELECT policy_domain, source_ip, disposition, dkim_aligned, spf_aligned, count(*) "
                 "FROM evaluation GROUP BY policy_domain, source_ip, disposition, dkim_aligned, "
                 "spf_aligned"):
        c[(dom, ip, "none" if disp == "pass" else disp, dk, sp)] += int(cnt)
    return c


def seen(reports):
    c = Counter()
    for rep in reports:
        for r in rep.get("records", []):
            c[(rep["domain"], r["source_ip"], r["disposition"], r["dkim"], r["spf"])] += r["count"]
    return c


for be in _world.backends():
    n = be.name
    for fmt in ("rfc7489", "rfc9990"):
        url = be.new_store("md-%s-%s" % (fmt, n))
        t = DAY1 + 100
        for frm, signer, ip, mf, cnt in TRAFFIC:
            m = W.message(frm, subject="md%d" % t, sign=signer, now=t)
            for i in range(cnt):
                W.record(url, m, ip, mf, t + i)
            t += 100
        run(["report", "generate", "--db", url, "--org-name", "Receiver Org", "--email",
             "dmarc-noreply@receiver.example", "--from", str(DAY1), "--to", str(DAY2)]
            + (["--rfc7489"] if fmt == "rfc7489" else []), "generate")
        maildir = os.path.join(_world.TMP, "md-%s-%s" % (fmt, n))
        with smtpsink.Sink(maildir=maildir) as sink:
            run(["report", "send", "--db", url, "--smtp", sink.url(), "--zone", W.zone, "--now",
                 str(DAY2 + 60)], "send")
        # one copy per report: the destination at the policy domain
        files = sorted(os.path.join(maildir, "new", f) for f in os.listdir(os.path.join(maildir, "new")))
        mine = [f for f in files if b"\r\nTo: <d" in open(f, "rb").read()]
        reports, err = mail_dmarc(mine)
        errors = [r for r in (reports or []) if "error" in r]
        if fmt == "rfc9990" and errors and all("findnodes" in r["error"] for r in errors):
            skip("%s: Mail::DMARC reads the RFC 9990 reports" % n,
                 "Mail::DMARC 1.20211209 (Debian 12) finds no /feedback in a namespaced document "
                 "(fixed upstream, mail-dmarc PR 301); the RFC 7489 reports are read above")
            continue
        good = [r for r in (reports or []) if "error" not in r]
        ok(reports is not None and not errors and len(good) == 2,
           "%s: Mail::DMARC parses both %s reports vouch sent" % (n, fmt),
           "%r %s" % (errors, err[-400:]))
        want = recorded(be, url)
        got = seen(good)
        ok(got == want and sum(got.values()) == 8,
           "%s: Mail::DMARC's counts per source and result (%s) are those recorded" % (n, fmt),
           "got %r want %r" % (dict(got), dict(want)))
        ids = sorted(r["report_id"] for r in good)
        ok(ids == sorted({r["report_id"] for r in _world.report_list(url)}),
           "%s: Mail::DMARC sees vouch's report_ids (%s)" % (n, fmt), repr(ids))
_world.finish()
