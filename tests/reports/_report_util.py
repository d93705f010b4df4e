"""An independent reader of DMARC aggregate reports, for checking vouch.

Written apart from vouch's C reader, on other libraries (Python's expat
through xml.etree, gzip, zipfile, email), so that the counts the tests
compare come from a second reading of the same bytes.  It is lenient the
way the tests need (namespaces, case, BOM, invalid UTF-8) but makes no
attempt to be a product: what it cannot read, it says so.
"""
import email
import os
import email.policy
import gzip
import io
import json
import re
import zipfile
import zlib
import xml.etree.ElementTree as ET

import vtest

REPORT_TYPES = {
    "application/gzip", "application/x-gzip", "application/zip",
    "application/x-zip-compressed", "application/x-zip", "application/xml",
    "text/xml", "application/octet-stream",
}


class Unreadable(Exception):
    pass


def _gunzip(data):
    out = b""
    while data[:2] == b"\x1f\x8b":
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out += d.decompress(data)
        if not d.eof:
            raise Unreadable("truncated gzip")
        data = d.unused_data
    return out


def blobs(data, depth=0):
    """The XML documents inside data (xml, gzip, zip or an e-mail)."""
    if depth > 4:
        raise Unreadable("nested too deep")
    if data[:2] == b"\x1f\x8b":
        return blobs(_gunzip(data), depth + 1)
    if data[:4] == b"PK\x03\x04":
        out = []
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for n in z.namelist():
                if not n.endswith("/"):
                    out += blobs(z.read(n), depth + 1)
        return out
    s = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if s[:1] == b"<":
        return [data]
    if depth > 0:
        raise Unreadable("not xml, gzip or zip")
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    out = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ct = part.get_content_type().lower()
        fn = (part.get_filename() or "").lower()
        if ct in REPORT_TYPES or fn.endswith((".xml", ".gz", ".zip")):
            payload = part.get_payload(decode=True)
            if payload:
                out += blobs(payload, depth + 1)
    return out


def _local(tag):
    return tag.rsplit("}", 1)[-1].lower()


def _fix_utf8(data):
    s = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    m = re.match(rb"<\?xml[^>]*encoding=[\"']([^\"']+)", s)
    if m is None or m.group(1).lower() in (b"utf-8", b"utf8"):
        s = s.decode("utf-8", "replace").encode("utf-8")
    return s


def parse(data):
    """One report as a dict: org_name, report_id, domain, begin, end,
    records [(ip, count, disposition, dkim, spf)], total."""
    p = ET.XMLPullParser(events=("start", "end"))
    stack, texts = [], {}
    rep = {"records": [], "org_name": "", "report_id": None, "domain": None,
           "begin": None, "end": None}
    rec = None
    done = False
    try:
        p.feed(_fix_utf8(data))
        p.close()
    except ET.ParseError as e:
        err = e
    else:
        err = None
    events = []
    try:
        for item in p.read_events():
            events.append(item)
    except ET.ParseError as e:
        err = err or e
    for ev, el in events:
        name = _local(el.tag)
        if ev == "start":
            stack.append(name)
            if stack[-2:] == ["feedback", "record"]:
                rec = {}
            continue
        path = "/".join(stack[stack.index("feedback") + 1:]) if "feedback" in stack else ""
        text = (el.text or "").strip()
        if path == "report_metadata/org_name":
            rep["org_name"] = text
        elif path == "report_metadata/report_id":
            rep["report_id"] = text
        elif path == "report_metadata/date_range/begin":
            rep["begin"] = int(float(text))
        elif path == "report_metadata/date_range/end":
            rep["end"] = int(float(text))
        elif path == "policy_published/domain":
            rep["domain"] = text.lower().rstrip(".")
        elif path.startswith("record/row/") and rec is not None:
            key = path.split("/")[-1]
            if key in ("source_ip", "count", "disposition", "dkim", "spf") and "reason" not in path:
                rec[key] = text
        elif path == "record":
            rep["records"].append(rec)
            rec = None
        elif path == "":
            if name == "feedback":
                done = True
        stack.pop()
        if done:
            break
    if not done:
        raise Unreadable("not a complete report: %s" % (err or "no <feedback>"))
    out = []
    for r in rep["records"]:
        out.append((r.get("source_ip", ""), int(r.get("count", "0")),
                    r.get("disposition", "").lower() or None,
                    r.get("dkim", "").lower() or None,
                    r.get("spf", "").lower() or None))
    rep["records"] = out
    rep["total"] = sum(r[1] for r in out)
    return rep


def vouch_dry_run(path, stdin=None):
    """vouch report ingest --dry-run --json: (exit, [report dicts], stderr)."""
    rc, out, err = vtest.vouch(["report", "ingest", "--dry-run", "--json", "--no-progress", path],
                               stdin=stdin)
    docs = []
    for line in out.decode("utf-8", "replace").splitlines():
        try:
            docs.append(json.loads(line))
        except ValueError:
            docs.append(None)
    return rc, docs, err


def vouch_records(doc):
    """The same tuples as parse() gives, from vouch's JSON."""
    return [(r["source_ip"], r["count"], r["disposition"] or None, r["dkim"] or None,
             r["spf"] or None) for r in doc["records"]]


def canon_ip(s):
    import ipaddress
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        return s


# ---- Building reports for the tests ---------------------------------------

def make_xml(org="reporter.example", email="dmarc@reporter.example", rid="r1",
             domain="example.com", begin=1700006400, end=1700092799, records=(),
             p="none", ns=None, extra_meta="", adkim="r", aspf="r"):
    """An aggregate report.  records: dicts with ip, count, disposition,
    dkim, spf (policy_evaluated), header_from, envelope_from, and lists
    auth_dkim [(domain, selector, result)], auth_spf [(domain, result)],
    reasons [(type, comment)]."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<feedback%s>' % (' xmlns="%s"' % ns if ns else ""),
           "<report_metadata><org_name>%s</org_name><email>%s</email>"
           "<report_id>%s</report_id>%s<date_range><begin>%d</begin><end>%d</end>"
           "</date_range></report_metadata>" % (org, email, rid, extra_meta, begin, end),
           "<policy_published><domain>%s</domain><adkim>%s</adkim><aspf>%s</aspf>"
           "<p>%s</p><sp>%s</sp><pct>100</pct></policy_published>" % (domain, adkim, aspf, p, p)]
    for r in records:
        reasons = "".join("<reason><type>%s</type><comment>%s</comment></reason>" % rc
                          for rc in r.get("reasons", ()))
        dk = "".join("<dkim><domain>%s</domain><selector>%s</selector><result>%s</result></dkim>" % d
                     for d in r.get("auth_dkim", ()))
        sp = "".join("<spf><domain>%s</domain><scope>mfrom</scope><result>%s</result></spf>" % s
                     for s in r.get("auth_spf", ()))
        out.append(
            "<record><row><source_ip>%s</source_ip><count>%d</count><policy_evaluated>"
            "<disposition>%s</disposition><dkim>%s</dkim><spf>%s</spf>%s</policy_evaluated></row>"
            "<identifiers><header_from>%s</header_from>%s</identifiers>"
            "<auth_results>%s%s</auth_results></record>"
            % (r["ip"], r["count"], r.get("disposition", "none"), r.get("dkim", "fail"),
               r.get("spf", "fail"), reasons, r.get("header_from", domain),
               "<envelope_from>%s</envelope_from>" % r["envelope_from"]
               if r.get("envelope_from") else "", dk, sp))
    out.append("</feedback>\n")
    return "\n".join(out).encode()


def make_email(xml, org="reporter.example", domain="example.com", rid="r1", begin=1700006400,
               end=1700092799, kind="gzip", msgid=None):
    """A report e-mail as reporters send it (RFC 9990 §3.5.2)."""
    import base64
    name = "%s!%s!%d!%d" % (org, domain, begin, end)
    if kind == "gzip":
        data, ctype, name = gzip.compress(xml, mtime=0), "application/gzip", name + ".xml.gz"
    elif kind == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(name + ".xml", xml)
        data, ctype, name = buf.getvalue(), "application/zip", name + ".zip"
    else:
        data, ctype, name = xml, "text/xml", name + ".xml"
    b64 = base64.encodebytes(data).decode().replace("\n", "\r\n")
    return ("From: DMARC <noreply-dmarc@%s>\r\n"
            "To: rua@%s\r\n"
            "Subject: Report Domain: %s Submitter: %s Report-ID: %s\r\n"
            "Date: Tue, 14 Nov 2023 00:00:00 +0000\r\n"
            "Message-ID: <%s@%s>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            "--b1\r\nContent-Type: text/plain\r\n\r\nA DMARC aggregate report.\r\n"
            "--b1\r\nContent-Type: %s; name=\"%s\"\r\n"
            "Content-Disposition: attachment; filename=\"%s\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s"
            "--b1--\r\n" % (org, domain, domain, org, rid, msgid or rid, org, ctype, name,
                            name, b64)).encode()


def write_maildir(root, messages):
    """A Maildir with the messages in new/ (half) and cur/ (the rest)."""
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    for i, m in enumerate(messages):
        sub = "new" if i % 2 == 0 else "cur"
        name = "%d.M%dP1.test%s" % (1700000000 + i, i, "" if sub == "new" else ":2,S")
        with open(os.path.join(root, sub, name), "wb") as fp:
            fp.write(m)


def ingest(args, db, stdin=None, timeout=600):
    """vouch report ingest --db DB --json --no-progress ARGS: (exit, counts, stderr)."""
    rc, out, err = vtest.vouch(["report", "ingest", "--db", db, "--json", "--no-progress"] + list(args),
                               stdin=stdin, timeout=timeout)
    try:
        counts = json.loads(out.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        counts = None
    return rc, counts, err


def export_json(db, *args):
    rc, out, err = vtest.vouch(["report", "export", "--db", db, "--format", "json"] + list(args))
    try:
        return json.loads(out.decode())
    except ValueError:
        return None


def new_store(path):
    rc, out, err = vtest.vouch(["store", "init", "--db", path])
    if rc != 0:
        raise RuntimeError("vouch store init: %s" % err)
    return path
