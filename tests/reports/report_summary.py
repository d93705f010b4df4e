#!/usr/bin/python3
"""vouch report summary on a constructed input whose right answers this
test works out itself: the bucket of every source, the reasons in words,
the order (what needs action first), the volume per UTC day, the
reporters, PTR names from a zone file and their cache in the store, and
the policy readiness.

The rules, from owner.h, written again here: a record is compliant when
DMARC passed through SPF; forwarded when the reporter recorded forwarding
(forwarded, mailing_list, trusted_forwarder, arc=pass) or when DKIM passed
aligned while SPF did not pass; compliant when DKIM passed aligned
otherwise (SPF passed unaligned, or no SPF result);
else not compliant when anything passed (unaligned), unknown when nothing
did.  A source's bucket is that of most of its messages.  Readiness: the
messages that failed DMARC from sources outside the forwarded bucket.
"""
import json
import os
import pty
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report_util as ru  # noqa: E402
import vtest  # noqa: E402
from vtest import ok, done  # noqa: E402

D = "own.example"
DAY1 = 1700006400  # 2023-11-15 00:00 UTC
DAY2 = DAY1 + 86400

# (reporter, day, record)
ROWS = [
    ("alpha.example", DAY1, {"ip": "192.0.2.10", "count": 100, "dkim": "pass", "spf": "pass",
                             "auth_dkim": [(D, "s1", "pass")],
                             "auth_spf": [("bounce." + D, "pass")]}),
    ("beta.example", DAY2, {"ip": "192.0.2.10", "count": 2, "dkim": "fail", "spf": "fail",
                            "auth_dkim": [(D, "s1", "fail")], "auth_spf": [(D, "fail")]}),
    ("alpha.example", DAY1, {"ip": "192.0.2.20", "count": 40, "dkim": "fail", "spf": "fail",
                             "auth_dkim": [("mailer.example", "k1", "pass")],
                             "auth_spf": [("bounces.mailer.example", "pass")]}),
    ("beta.example", DAY2, {"ip": "192.0.2.30", "count": 15, "dkim": "fail", "spf": "fail",
                            "auth_spf": [("other.example", "pass")]}),
    ("alpha.example", DAY2, {"ip": "198.51.100.5", "count": 25, "dkim": "pass", "spf": "fail",
                             "auth_dkim": [(D, "s1", "pass")],
                             "auth_spf": [("forwarder.example", "fail")]}),
    ("beta.example", DAY1, {"ip": "198.51.100.6", "count": 8, "dkim": "fail", "spf": "fail",
                            "disposition": "none",
                            "reasons": [("local_policy", "arc=pass as.1.google.com=pass")],
                            "auth_dkim": [(D, "s1", "fail")],
                            "auth_spf": [("list.example", "pass")]}),
    ("alpha.example", DAY1, {"ip": "203.0.113.66", "count": 30, "dkim": "fail", "spf": "fail",
                             "auth_spf": [(D, "fail")]}),
    ("beta.example", DAY2, {"ip": "203.0.113.77", "count": 3, "dkim": "fail", "spf": "fail",
                            "auth_dkim": [(D, "s9", "fail")], "auth_spf": [(D, "softfail")]}),
    ("alpha.example", DAY2, {"ip": "2001:db8::1", "count": 12, "dkim": "fail", "spf": "pass",
                             "auth_spf": [(D, "pass")]}),
]

ZONE = """$ORIGIN .
$TTL 3600
10.2.0.192.in-addr.arpa. 3600 IN PTR mail.own.example.
20.2.0.192.in-addr.arpa. 3600 IN PTR o1.mta.mailer.example.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 3600 IN PTR v6.own.example.
"""


def org(name):
    """Organizational domain of the test names: the last two labels (none
    of them is under a multi-label public suffix)."""
    return ".".join(name.split(".")[-2:])


def classify(r):
    dkim = r.get("auth_dkim", [])
    spf = r.get("auth_spf", [])
    if r["spf"] == "pass":
        return "compliant", ""
    reasons = [t for t, c in r.get("reasons", ())]
    if set(reasons) & {"forwarded", "mailing_list", "trusted_forwarder"} or any(
            "arc=pass" in c for t, c in r.get("reasons", ())):
        return "forwarded", ""
    if r["dkim"] == "pass":
        if spf and spf[0][1] != "pass":
            return "forwarded", ""
        return "compliant", ""
    why = []
    if not dkim:
        why.append("no DKIM signature")
    for d, s, res in dkim:
        if res != "pass":
            why.append("DKIM d=%s %s" % (d, res))
        elif org(d) != org(D):
            why.append("DKIM d=%s not aligned with %s" % (d, D))
    if not spf:
        why.append("no SPF result")
    else:
        d, res = spf[0]
        if res != "pass":
            why.append("SPF %s for %s" % (res, d))
        elif org(d) != org(D):
            why.append("SPF domain %s not aligned" % d)
    anypass = any(x[2] == "pass" for x in dkim) or any(x[1] == "pass" for x in spf)
    return ("not compliant" if anypass else "unknown"), "; ".join(why)


ORDER = ["not compliant", "unknown", "forwarded", "compliant"]


def expected():
    src = {}
    for rep, day, r in ROWS:
        b, why = classify(r)
        s = src.setdefault(r["ip"], {"messages": 0, "by": {k: 0 for k in ORDER}, "fail": 0,
                                     "reasons": set(), "reporters": set()})
        s["messages"] += r["count"]
        s["by"][b] += r["count"]
        if not (r["dkim"] == "pass" or r["spf"] == "pass"):
            s["fail"] += r["count"]
        if why:
            s["reasons"].add(why)
        s["reporters"].add(rep)
    for s in src.values():
        # most messages; a tie goes to the bucket that needs action
        s["bucket"] = max(ORDER, key=lambda b: (s["by"][b], -ORDER.index(b)))
    order = sorted(src, key=lambda ip: (ORDER.index(src[ip]["bucket"]), -src[ip]["messages"], ip))
    ready = [ip for ip in src if src[ip]["bucket"] != "forwarded" and src[ip]["fail"] > 0]
    return src, order, ready


def vouch_tty_stderr(args):
    """vouch with standard error on a terminal (a pty), standard output a
    pipe: (exit status, stdout bytes, what the terminal got)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([vtest.VOUCH] + list(args), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    tty = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the terminal's last writer has gone
            break
        if not chunk:
            break
        tty += chunk
    os.close(master)
    out = p.stdout.read()
    p.stdout.close()
    return p.wait(timeout=60), out, tty


def main():
    src, order, ready = expected()
    with tempfile.TemporaryDirectory() as tmp:
        db = ru.new_store(os.path.join(tmp, "s.db"))
        # one report per reporter and day
        files = []
        for n, (rep, day) in enumerate(sorted({(a, b) for a, b, _ in ROWS})):
            recs = [r for a, b, r in ROWS if (a, b) == (rep, day)]
            xml = ru.make_xml(org=rep, email="dmarc@" + rep, rid="sum-%d" % n, domain=D,
                              begin=day, end=day + 86399, records=recs)
            files.append(os.path.join(tmp, "r%d.xml" % n))
            with open(files[-1], "wb") as fp:
                fp.write(xml)
        rc, counts, err = ru.ingest(files, db)
        ok(rc == 0 and counts["stored"] == len(files), "the constructed reports are stored",
           "%r %s" % (counts, err))
        zone = os.path.join(tmp, "zone.db")
        with open(zone, "w") as fp:
            fp.write(ZONE)
        rc, out, err = vtest.vouch(["report", "summary", "--db", db, "--domain", D, "--json",
                                    "--zone", zone, "--dns-concurrency", "3"])
        try:
            doc = json.loads(out.decode())
        except ValueError:
            doc = None
        ok(rc == 0 and doc is not None, "summary --json parses", "exit %d %s" % (rc, err))
        if doc is None:
            return
        got = {s["ip"]: s for s in doc["sources"]}
        key = {"not compliant": "not_compliant"}
        for ip in order:
            s, g = src[ip], got.get(ip, {})
            ok(g.get("bucket") == key.get(s["bucket"], s["bucket"]),
               "%s: bucket %s" % (ip, s["bucket"]), "got %r" % g.get("bucket"))
            ok(g.get("messages") == s["messages"] and g.get("dmarc_fail") == s["fail"],
               "%s: %d messages, %d failed DMARC" % (ip, s["messages"], s["fail"]),
               "got %r/%r" % (g.get("messages"), g.get("dmarc_fail")))
            ok(set(g.get("reasons", [])) == s["reasons"], "%s: reasons %r" % (ip, sorted(s["reasons"])),
               "got %r" % g.get("reasons"))
            ok(set(g.get("reporters", [])) == s["reporters"], "%s: reporters" % ip)
        ok([s["ip"] for s in doc["sources"]] == order,
           "sources in the order that needs action first", "got %r" % [s["ip"] for s in doc["sources"]])
        ok(got["192.0.2.20"]["reasons"] == ["DKIM d=mailer.example not aligned with own.example; "
                                             "SPF domain bounces.mailer.example not aligned"],
           "the ESP's reason in the issue's words")
        total = sum(r["count"] for _, _, r in ROWS)
        ok(doc["messages"] == total and doc["reports"] == len(files),
           "%d messages in %d reports" % (total, len(files)))
        for b in ORDER:
            k = key.get(b, b)
            want_m = sum(s["by"][b] for s in src.values())
            want_s = sum(1 for s in src.values() if s["bucket"] == b)
            ok(doc["buckets"][k] == {"sources": want_s, "messages": want_m},
               "bucket %s: %d sources, %d messages" % (b, want_s, want_m), repr(doc["buckets"][k]))
        want_ready = sum(src[ip]["fail"] for ip in ready)
        for pol in ("quarantine", "reject"):
            r = doc["readiness"][pol]
            ok(r["messages"] == want_ready and set(r["sources"]) == set(ready),
               "p=%s today: %d messages from %d non-forwarder sources" % (pol, want_ready, len(ready)),
               repr(r))
        ok(r["sources"] == sorted(ready, key=lambda ip: -src[ip]["fail"]),
           "readiness lists the sources with most failing messages first")
        days = {d["day"]: d for d in doc["days"]}
        d1 = sum(r["count"] for _, day, r in ROWS if day == DAY1)
        p1 = sum(r["count"] for _, day, r in ROWS if day == DAY1 and "pass" in (r["dkim"], r["spf"]))
        ok(days.get("2023-11-15", {}).get("messages") == d1 and
           days["2023-11-15"]["dmarc_pass"] == p1 and len(days) == 2,
           "per UTC day: %d messages on 2023-11-15, %d passed" % (d1, p1), repr(doc["days"]))
        reps = {r["org_name"]: r for r in doc["reporters"]}
        ok(reps.get("alpha.example", {}).get("reports") == 2 and
           reps["alpha.example"]["messages"] == sum(r["count"] for a, _, r in ROWS
                                                    if a == "alpha.example"),
           "reporters: alpha.example, 2 reports")
        ok(got["192.0.2.10"]["ptr"] == "mail.own.example" and
           got["192.0.2.20"]["ptr"] == "o1.mta.mailer.example" and
           got["192.0.2.20"]["ptr_org"] == "mailer.example" and
           got["2001:db8::1"]["ptr"] == "v6.own.example" and got["203.0.113.66"]["ptr"] is None,
           "PTR names and their organizational domains from the zone (IPv4 and IPv6)")
        ok(doc["ptr_lookups"] == len(src), "one PTR question per source: %d" % len(src),
           "got %r" % doc["ptr_lookups"])
        ok(err == "", "standard error not a terminal: no line of progress (scripts read "
           "what they did)", repr(err[:200]))
        # on a terminal, a line of progress while the names are looked up
        # (a store of its own: the first's names are in its cache now),
        # cleared before the summary
        db2 = ru.new_store(os.path.join(tmp, "tty.db"))
        ru.ingest(files, db2)
        rc, out2, tty = vouch_tty_stderr(["report", "summary", "--db", db2, "--domain", D,
                                          "--json", "--zone", zone])
        ok(rc == 0 and b"\rvouch report summary: PTR names: 0 of %d\x1b[K" % len(src) in tty and
           tty.endswith(b"\r\x1b[K") and json.loads(out2.decode())["sources"] == doc["sources"],
           "standard error a terminal: 'PTR names: N of M' while looking up, the line cleared "
           "at the end; the same summary", "exit %d, terminal %r" % (rc, tty[-300:]))
        # the answers are kept: an empty zone now, and the names stay
        empty = os.path.join(tmp, "empty.db")
        with open(empty, "w") as fp:
            fp.write("$ORIGIN .\n$TTL 300\n")
        rc, out, err = vtest.vouch(["report", "summary", "--db", db, "--domain", D, "--json",
                                    "--zone", empty])
        again = json.loads(out.decode()) if rc == 0 else {}
        g2 = {s["ip"]: s for s in again.get("sources", [])}
        ok(again.get("ptr_lookups") == 0 and g2.get("192.0.2.10", {}).get("ptr") == "mail.own.example",
           "PTR names come from the store's cache the second time, no question asked",
           "lookups %r" % again.get("ptr_lookups"))
        # --since drops the first day
        rc, out, err = vtest.vouch(["report", "summary", "--db", db, "--domain", D, "--json",
                                    "--no-dns", "--since", "2023-11-16"])
        late = json.loads(out.decode()) if rc == 0 else {}
        ok(late.get("messages") == total - d1, "--since 2023-11-16: %d messages" % (total - d1),
           "got %r" % late.get("messages"))
        # the words a person reads
        rc, out, err = vtest.vouch(["report", "summary", "--db", db, "--domain", D, "--no-dns"])
        text = out.decode()
        pos = [text.find("\n%s:" % b) for b in ORDER]
        ok(rc == 0 and all(p >= 0 for p in pos) and pos == sorted(pos),
           "the text lists not compliant, unknown, forwarded, compliant in that order")
        ok("p=quarantine today: %d messages" % want_ready in text and "p=reject today" in text,
           "the text says what p=quarantine and p=reject would do")
        ok("why: no DKIM signature; SPF fail for own.example" in text,
           "the text gives the reasons in words")
        rc, out, err = vtest.vouch(["report", "summary", "--db", db])
        ok(rc == 64, "summary without --domain is a usage error")


main()
done()
