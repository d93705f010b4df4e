"""Shared set-up of the tests/reports scripts: a small mail world (keys, a
DNS zone, messages signed by vouch), both store back ends, and readers for
the reports vouch makes.

Every test that takes a store runs once per back end:

    for be in _world.backends():        # "sqlite", then "postgresql"
        url = be.new_store("name")       # a fresh, migrated store
        ...
    _world.finish()                      # stops the PostgreSQL server

When PostgreSQL cannot be started the PostgreSQL half is one visible skip.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import scratch
import pg
import vtest
from vtest import ok, skip

NS9990 = "urn:ietf:params:xml:ns:dmarc-2.0"
XSD9990 = vtest.shared("testsuites", "dmarc", "schema", "dmarc-xml-0.2.xsd")
XSD7489 = os.path.join(vtest.ROOT, "tests", "data", "rfc7489-aggregate.xsd")

# 2024-01-01T00:00:00Z and the day after: every evaluation of the tests
# happens on these two days.
DAY1 = 1704067200
DAY2 = DAY1 + 86400

TMP = scratch.mkdtemp("vouch-reports-")
_pg = None
_pg_failed = None


def vouch(args, **kw):
    return vtest.vouch(args, **kw)


def run(args, what, want=0, **kw):
    """Runs vouch, checks its exit status, returns (stdout, stderr)."""
    rc, out, err = vouch(args, **kw)
    if rc != want:
        ok(False, what, "exit %d, want %d: %s" % (rc, want, err.strip()[-600:]))
    return out, err


class Backend:
    def __init__(self, name):
        self.name = name

    def new_store(self, tag):
        if self.name == "sqlite":
            path = os.path.join(TMP, "%s.db" % tag)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.unlink(path + suffix)
            url = "sqlite:" + path
        else:
            url = _pg.new_db(tag.replace("-", "_").lower())
        rc, out, err = vouch(["store", "init", "--db", url])
        if rc != 0:
            raise RuntimeError("vouch store init --db %s: %s" % (url, err))
        return url

    def sql(self, url, query):
        """Rows of a query as lists of strings (NULL as '')."""
        if self.name == "sqlite":
            p = subprocess.run(["sqlite3", "-batch", "-separator", "\t", url[len("sqlite:"):], query],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
            if p.returncode != 0:
                raise RuntimeError("sqlite3: %s" % p.stderr)
            return [l.split("\t") for l in p.stdout.splitlines() if l != ""]
        return _pg.psql(url.rsplit("/", 1)[1], query)


def backends():
    """The back ends to run against; PostgreSQL started at the first use."""
    global _pg, _pg_failed
    yield Backend("sqlite")
    if _pg is None and _pg_failed is None:
        why = pg.available()
        if why is None:
            try:
                _pg = pg.Server().start()
            except Exception as e:  # noqa: BLE001 - any start failure is a skip with its reason
                _pg_failed = "PostgreSQL did not start: %s" % str(e)[:300]
        else:
            _pg_failed = why
    if _pg is not None:
        yield Backend("postgresql")
    else:
        skip("%s: PostgreSQL back end" % os.path.basename(sys.argv[0]), _pg_failed)


def finish():
    if _pg is not None:
        _pg.stop()
    shutil.rmtree(TMP, ignore_errors=True)
    vtest.done()


# ---- the mail world ----------------------------------------------------

class World:
    """Keys and a zone: example.com (the sender, rua at itself and at an
    authorized external host), testing.example (t=y), unauth.example (an
    unauthorized external rua), norua.example (no rua), and
    receiver.example (the reporting receiver, with its own DKIM key, SPF
    and DMARC so that its reports can pass aligned DMARC)."""

    def __init__(self, extra_zone=""):
        self.dir = tempfile.mkdtemp(dir=TMP)
        self.keys = {}
        for dom, sel in (("example.com", "s1"), ("receiver.example", "r1"),
                         ("testing.example", "t1")):
            base = os.path.join(self.dir, "%s-%s" % (dom, sel))
            os.makedirs(base)
            p = subprocess.run([os.path.abspath(vtest.VOUCH), "keygen", "-t", "ed25519", "-d", dom, "-s", sel],
                               cwd=base, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if p.returncode != 0:
                raise RuntimeError("keygen: %s" % p.stderr)
            self.keys[dom] = (sel, os.path.join(base, sel + ".private"),
                              open(os.path.join(base, sel + ".txt")).read())
        self.zone = os.path.join(self.dir, "zone.db")
        self.write_zone(extra_zone)

    def write_zone(self, extra=""):
        z = ["$ORIGIN .", "$TTL 300"]
        for dom, (sel, _, txt) in self.keys.items():
            z.append(txt.strip())
        z += [
            '_dmarc.example.com. IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com,'
            'mailto:agg@reports.example.net!10m; ruf=mailto:ruf@example.com"',
            'example.com._report._dmarc.reports.example.net. IN TXT "v=DMARC1"',
            'example.com. IN TXT "v=spf1 ip4:192.0.2.0/24 -all"',
            'reports.example.net. IN A 198.51.100.9',
            '_dmarc.testing.example. IN TXT "v=DMARC1; p=quarantine; t=y; rua=mailto:d@testing.example"',
            'testing.example. IN TXT "v=spf1 ip4:192.0.2.0/24 -all"',
            '_dmarc.unauth.example. IN TXT "v=DMARC1; p=none; rua=mailto:x@elsewhere.example"',
            'elsewhere.example. IN A 198.51.100.10',
            '_dmarc.norua.example. IN TXT "v=DMARC1; p=reject"',
            '_dmarc.receiver.example. IN TXT "v=DMARC1; p=reject; adkim=s"',
            'receiver.example. IN TXT "v=spf1 ip4:127.0.0.0/8 -all"',
            'example.org. IN A 198.51.100.11',
            'evil.example. IN A 203.0.113.66',
        ]
        with open(self.zone, "w") as f:
            f.write("\n".join(z) + "\n" + extra)

    def message(self, from_addr, subject="hello", sign=None, now=DAY1 + 3600, body="hi\r\n"):
        """A message From from_addr, signed by sign=(domain) at time now."""
        msg = ("From: %s\r\nTo: user@example.org\r\nSubject: %s\r\n"
               "Date: Mon, 01 Jan 2024 01:00:00 +0000\r\nMessage-ID: <%s.%d@test>\r\n\r\n%s"
               % (from_addr, subject, subject.replace(" ", "."), now, body)).encode()
        path = os.path.join(self.dir, "m%d.eml" % len(os.listdir(self.dir)))
        with open(path, "wb") as f:
            f.write(msg)
        if sign:
            sel, key, _ = self.keys[sign]
            p = subprocess.run([os.path.abspath(vtest.VOUCH), "dkim", "sign", "-d", sign, "-s", sel, "-k", key,
                                "--time", str(now - 10), path], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            if p.returncode != 0:
                raise RuntimeError("dkim sign: %s" % p.stderr)
            with open(path, "wb") as f:
                f.write(p.stdout)
        return path

    def record(self, url, msg, ip, mail_from, now, rcpt="user@example.org", extra=()):
        args = ["verify", "--zone", self.zone, "--ip", ip, "--helo", "mx.sender.test",
                "--mail-from", mail_from, "--now", str(now), "--record", "--db", url,
                "--header-only"] + list(extra)
        if rcpt:
            args += ["--rcpt-to", rcpt]
        return vouch(args + [msg])


# ---- reading reports -------------------------------------------------

def report_list(url):
    rc, out, err = vouch(["report", "list", "--db", url, "--json"])
    if rc != 0:
        raise RuntimeError("report list: %s" % err)
    return json.loads(out.decode())


def report_xml(url, report_id):
    rc, out, err = vouch(["report", "show", "--db", url, report_id])
    if rc != 0:
        raise RuntimeError("report show: %s" % err)
    return gzip.decompress(out)


def xmllint(xml_bytes, xsd):
    """(valid, message) of xmllint --schema."""
    p = subprocess.run(["xmllint", "--noout", "--schema", xsd, "-"], input=xml_bytes,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return p.returncode == 0, p.stderr.decode("utf-8", "replace").strip()


def parse(xml_bytes):
    """The report as a dict: metadata, policy, and records with their
    fields (namespace removed)."""
    root = ET.fromstring(xml_bytes)

    def strip(e):
        for el in e.iter():
            if "}" in el.tag:
                el.tag = el.tag.split("}", 1)[1]
        return e

    root = strip(root)

    def text(e, path, default=None):
        x = e.find(path)
        return x.text if x is not None and x.text is not None else ("" if x is not None else default)

    rep = {
        "report_id": text(root, "report_metadata/report_id"),
        "org_name": text(root, "report_metadata/org_name"),
        "begin": int(text(root, "report_metadata/date_range/begin")),
        "end": int(text(root, "report_metadata/date_range/end")),
        "generator": text(root, "report_metadata/generator"),
        "policy": {c.tag: (c.text or "") for c in root.find("policy_published")},
        "records": [],
    }
    for r in root.findall("record"):
        rec = {
            "source_ip": text(r, "row/source_ip"),
            "count": int(text(r, "row/count")),
            "disposition": text(r, "row/policy_evaluated/disposition"),
            "dkim": text(r, "row/policy_evaluated/dkim"),
            "spf": text(r, "row/policy_evaluated/spf"),
            "reasons": [(text(x, "type"), text(x, "comment", "")) for x in r.findall("row/policy_evaluated/reason")],
            "header_from": text(r, "identifiers/header_from"),
            "envelope_from": text(r, "identifiers/envelope_from"),
            "envelope_to": text(r, "identifiers/envelope_to"),
            "auth_dkim": [(text(d, "domain"), text(d, "selector"), text(d, "result")) for d in r.findall("auth_results/dkim")],
            "auth_spf": [(text(s, "domain"), text(s, "scope"), text(s, "result")) for s in r.findall("auth_results/spf")],
        }
        rep["records"].append(rec)
    return rep
