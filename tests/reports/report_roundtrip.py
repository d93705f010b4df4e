#!/usr/bin/python3
"""Both ends of DMARC reporting, end to end, on both store back ends:
evaluations recorded by `vouch verify --record`, aggregate reports made by
`vouch report generate` (RFC 9990 and RFC 7489 formats) and sent by
`vouch report send` through SMTP to a sink that files them in a Maildir;
then `vouch report ingest` of that Maildir must give back exactly the
recorded counts per source and result (disposition, DKIM and SPF
alignment), and the summary must sort the sources as the traffic says.
(The milter's side of the same round trip comes with vouchd.)
"""
import json
import os

import _report_util as ru
import _world
import smtpsink
from _world import DAY1, run, vouch
from vtest import ok

W = _world.World()
FROM = "dmarc-noreply@receiver.example"
SEL, KEY, _ = W.keys["receiver.example"]

# (From, signed by, client IP, MAIL FROM, messages)
TRAFFIC = [
    ("a@example.com", "example.com", "192.0.2.10", "bounce@example.com", 4),
    ("a@example.com", "example.com", "198.51.100.7", "list@forwarder.example", 2),
    ("a@example.com", None, "203.0.113.5", "x@evil.example", 3),
    ("a@example.com", None, "2001:db8::5", "a@example.com", 1),
]


def recorded(be, url):
    """(source_ip, disposition, dkim, spf) -> messages, from the receiver's
    own table."""
    rows = be.sql(url, "SELECT source_ip, disposition, dkim_aligned, spf_aligned, count(*) "
                       "FROM evaluation WHERE policy_domain = 'example.com' "
                       "GROUP BY source_ip, disposition, dkim_aligned, spf_aligned")
    return {tuple(r[:4]): int(r[4]) for r in rows}


def ingested(url):
    got = {}
    for r in ru.export_json(url, "--domain", "example.com") or []:
        k = (r["source_ip"], r["disposition"], r["dkim"], r["spf"])
        got[k] = got.get(k, 0) + r["count"]
    return got


for be in _world.backends():
    n = be.name
    for fmt in ("rfc9990", "rfc7489"):
        tag = "rt-%s-%s" % (n, fmt)
        url = be.new_store(tag)
        t = DAY1 + 600
        for frm, signer, ip, mf, cnt in TRAFFIC:
            for i in range(cnt):
                msg = W.message(frm, subject="%s %d" % (ip, i), sign=signer, now=t)
                W.record(url, msg, ip, mf, t)
                t += 7
        want = recorded(be, url)
        if fmt == "rfc7489":
            # RFC 7489 Appendix C has no disposition "pass" (RFC 9990
            # 3.1.1.9 added it): such a report says "none"
            w2 = {}
            for (ip, disp, dk, sp), c in want.items():
                k = (ip, "none" if disp == "pass" else disp, dk, sp)
                w2[k] = w2.get(k, 0) + c
            want = w2
        ok(sum(want.values()) == sum(x[-1] for x in TRAFFIC),
           "%s %s: %d evaluations recorded" % (n, fmt, sum(want.values())), repr(want))
        run(["report", "generate", "--db", url, "--org-name", "Receiver Org", "--email", FROM,
             "--from", str(DAY1), "--to", str(DAY1 + 86400)] +
            (["--rfc7489"] if fmt == "rfc7489" else []), "generate")
        maildir = os.path.join(_world.TMP, "maildir-" + tag)
        with smtpsink.Sink(maildir=maildir) as sink:
            rc, out, err = vouch(["report", "send", "--db", url, "--smtp", sink.url(),
                                  "--dkim-key", KEY, "--dkim-domain", "receiver.example",
                                  "--selector", SEL, "--zone", W.zone,
                                  "--now", str(DAY1 + 86400 + 60)] +
                                 (["--rfc7489"] if fmt == "rfc7489" else []))
        ok(rc == 0 and len(os.listdir(os.path.join(maildir, "new"))) >= 1,
           "%s %s: reports sent into the sink's Maildir" % (n, fmt), out.decode() + err)
        # the same database holds the owner's side too
        rc, counts, err = ru.ingest([maildir], url)
        ok(rc == 0 and counts is not None and counts["stored"] == 1,
           "%s %s: ingest of the Maildir: one report stored, the copy to the second "
           "destination a duplicate" % (n, fmt), "%r %s" % (counts, err[-300:]))
        got = ingested(url)
        ok(got == want, "%s %s: the ingested counts per source and result are the recorded ones"
           % (n, fmt), "got %r\nwant %r" % (got, want))
        rc, out, err = vouch(["report", "summary", "--db", url, "--domain", "example.com",
                              "--json", "--no-dns"])
        doc = json.loads(out.decode()) if rc == 0 else {}
        b = {s["ip"]: s["bucket"] for s in doc.get("sources", [])}
        ok(b.get("192.0.2.10") == "compliant" and b.get("198.51.100.7") == "forwarded" and
           b.get("203.0.113.5") == "unknown",
           "%s %s: summary: the signed source compliant, the forwarder forwarded, the stranger "
           "unknown" % (n, fmt), repr(b))
_world.finish()
