#!/usr/bin/python3
"""Makes N DMARC aggregate reports, each a gzip attachment of its own
report e-mail (RFC 7489 Appendix C XML, no namespace: the format every
receiver sends and Mail::DMARC reads), in a Maildir (half in new/, half
in cur/).  Each report has 1 to 8 records from a few hundred sources.

    gen.py DIR N
"""
import base64
import gzip
import os
import random
import sys


def report(i, rng):
    rid = "bench-%07d" % i
    begin = 1700006400 + (i % 30) * 86400
    recs = []
    for _ in range(rng.randint(1, 8)):
        ip = "198.51.%d.%d" % (rng.randint(0, 3), rng.randint(1, 254))
        ok = rng.random() < 0.8
        recs.append(
            "<record><row><source_ip>%s</source_ip><count>%d</count><policy_evaluated>"
            "<disposition>none</disposition><dkim>%s</dkim><spf>%s</spf></policy_evaluated>"
            "</row><identifiers><header_from>example.com</header_from></identifiers>"
            "<auth_results><dkim><domain>example.com</domain><selector>s1</selector>"
            "<result>%s</result></dkim><spf><domain>example.com</domain><result>%s</result>"
            "</spf></auth_results></record>"
            % (ip, rng.randint(1, 500), "pass" if ok else "fail", "pass" if ok else "fail",
               "pass" if ok else "fail", "pass" if ok else "softfail"))
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<feedback><report_metadata>'
           "<org_name>receiver%d.example</org_name><email>dmarc@receiver%d.example</email>"
           "<report_id>%s</report_id><date_range><begin>%d</begin><end>%d</end></date_range>"
           "</report_metadata><policy_published><domain>example.com</domain><adkim>r</adkim>"
           "<aspf>r</aspf><p>none</p><sp>none</sp><pct>100</pct></policy_published>%s"
           "</feedback>\n" % (i % 50, i % 50, rid, begin, begin + 86399, "".join(recs)))
    name = "receiver%d.example!example.com!%d!%d.xml.gz" % (i % 50, begin, begin + 86399)
    body = base64.encodebytes(gzip.compress(xml.encode(), mtime=0)).decode().replace("\n", "\r\n")
    return ("From: dmarc@receiver%d.example\r\nTo: rua@example.com\r\n"
            "Subject: Report Domain: example.com Submitter: receiver%d.example Report-ID: %s\r\n"
            "Date: Wed, 15 Nov 2023 00:00:00 +0000\r\nMessage-ID: <%s@receiver.example>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
            "--b\r\nContent-Type: text/plain\r\n\r\nDMARC aggregate report.\r\n"
            "--b\r\nContent-Type: application/gzip; name=\"%s\"\r\n"
            "Content-Disposition: attachment; filename=\"%s\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s--b--\r\n"
            % (i % 50, i % 50, rid, rid, name, name, body)).encode()


def main():
    root, n = sys.argv[1], int(sys.argv[2])
    rng = random.Random(n)
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    for i in range(n):
        sub = "new" if i % 2 else "cur"
        with open(os.path.join(root, sub, "%d.%07d.bench%s" % (1700000000 + i, i,
                               "" if sub == "new" else ":2,S")), "wb") as fp:
            fp.write(report(i, rng))


main()
