#!/usr/bin/python3
"""vouchd through the milter protocol (tests/lib/milterclient.py, an MTA's
side as Postfix 3.7 speaks it): negotiation, both roles, Authentication-
Results stripping and position, quarantine, rejection texts, send-as
decisions, dry run, the configuration check, reload and drain, the log
line and the metrics.  Each check starts its own vouchd on a unix socket
in a temporary directory (no root needed) and stops it.
"""
import json
import os
import re
import socket
import subprocess
import time
import urllib.request

import vtest
from vtest import ok
from milterclient import (ProtocolLab, Vouchd, Milter, Result, one_message, apply_mods, MilterError,
                          message as msg, send, vouchd_binary,
                          P_NORCPT, P_NODATA, P_NOUNKNOWN, P_NR_CONN, P_NR_HELO, P_NR_MAIL,
                          P_NR_HDR, P_NR_BODY, P_HDR_LEADSPC, P_SKIP)
from nsd import free_port

ZONE_TEXT = """$ORIGIN .
$TTL 300
example.com. TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.com. TXT "v=DMARC1; p=reject"
example.org. TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.org. TXT "v=DMARC1; p=reject"
quar.example. TXT "v=spf1 -all"
_dmarc.quar.example. TXT "v=DMARC1; p=quarantine"
none.example. TXT "v=spf1 -all"
_dmarc.none.example. TXT "v=DMARC1; p=none"
other.example. TXT "v=spf1 -all"
$TIMEOUT slow.example.
"""

LAB = ProtocolLab(vtest, "vouchd-proto-", ZONE_TEXT)
ID, TMP, ZONE = LAB.ID, LAB.tmp, LAB.zone
KEYS = {}


def verifier(extra=()):
    return LAB.vouchd(["Mode v"] + list(extra))


# ---- negotiation and the verify role ----------------------------------

def test_verify_basics():
    with verifier() as d:
        res, proto = one_message(d.address, msg(), ip="192.0.2.10", mail_from="alice@example.com")
        want = (P_NORCPT | P_NODATA | P_NOUNKNOWN | P_NR_CONN | P_NR_HELO | P_NR_MAIL |
                P_NR_HDR | P_NR_BODY | P_HDR_LEADSPC | P_SKIP)
        ok(proto & want == want, "negotiation: RCPT, DATA, unknown left out; no reply at CONNECT, "
           "HELO, MAIL, each header, body; leading spaces kept; SKIP", "got 0x%x" % proto)
        field = res.field("Authentication-Results")
        ok(res.action == "accept" and res.inserted and res.inserted[0][0] == 0,
           "verify: one Authentication-Results field inserted at index 0 (on top)", repr(res.inserted))
        ok(field is not None and field.startswith("Authentication-Results: %s;" % ID) and
           "spf=pass" in field and "dmarc=pass" in field,
           "verify: the field names our authserv-id, spf=pass, dmarc=pass", repr(field))
        ok(res.quarantine is None and not res.changed, "verify: a passing message is not quarantined")
        line = d.last_log()
        ok(re.search(r"id=4ABCDEF client=192\.0\.2\.10 role=verify spf=pass .*dmarc=pass "
                     r"from_domain=example\.com policy=reject disposition=none action=accept .*ms=\d",
                     line) is not None,
           "log: one line with queue id, client, role, each result, policy, disposition, time", line)


def test_forged_authres():
    extra = ("Authentication-Results: %s; dkim=pass header.d=example.com\r\n"
             "Authentication-Results: other.example; spf=pass smtp.mailfrom=x@y\r\n"
             "Authentication-Results: \"MX.TEST.EXAMPLE\" (quoted); dmarc=pass\r\n" % ID)
    with verifier() as d:
        m = msg(extra=extra)
        res = send(d, m)
        ok(sorted(i for i, n, v in res.changed if n == "Authentication-Results" and v == "") == [1, 3],
           "RFC 8601 5: the two fields claiming our authserv-id are removed (indices 1 and 3)",
           repr(res.changed))
        out = apply_mods(m, res).decode()
        ours = re.findall(r"^Authentication-Results: *\"?%s" % re.escape(ID), out, re.M | re.I)
        ok(len(ours) == 1 and out.startswith("Authentication-Results: " + ID) and
           "Authentication-Results: other.example;" in out,
           "after the changes: one field of ours, on top; the other host's kept", out[:600])


def test_trusted_upstream():
    extra = "Authentication-Results: filter.test.example; spf=pass smtp.mailfrom=a@example.com; dkim=fail\r\n"
    with verifier(["TrustedAuthservIDs filter.test.example"]) as d:
        res = send(d, msg(extra=extra))
        ok(not res.changed and 'upstream="filter.test.example:spf=pass dkim=fail"' in d.last_log(),
           "TrustedAuthservIDs: the upstream field is kept and its results logged", d.last_log())
    with verifier() as d:
        send(d, msg(extra=extra))
        ok("upstream=" not in d.last_log(), "without TrustedAuthservIDs no upstream result is logged")


def test_quarantine_default():
    with verifier() as d:
        res = send(d, msg(frm="ceo@example.com"), ip="198.51.100.9", mail_from="x@other.example")
        ok(res.action == "accept" and res.quarantine is not None and "example.com" in res.quarantine,
           "RFC 9989 7.4: p=reject failure is quarantined by default (milter quarantine), "
           "the reason names the domain", "%s %r" % (res.action, res.quarantine))
        ok(res.field("Authentication-Results") is not None and "dmarc=fail" in res.field("Authentication-Results"),
           "quarantined message still gets its Authentication-Results (dmarc=fail)")
        line = d.last_log()
        ok("action=quarantine" in line and "override=local_policy" in line and
           "no DKIM signature" in line and "SPF" in line,
           "log: quarantine, override local_policy, why DMARC failed in words", line)
        res = send(d, msg(frm="a@quar.example"), ip="198.51.100.9", mail_from="x@other.example")
        ok(res.quarantine is not None, "p=quarantine failure is quarantined", repr(res.quarantine))
        res = send(d, msg(frm="a@none.example"), ip="198.51.100.9", mail_from="x@other.example")
        ok(res.quarantine is None and res.action == "accept", "p=none failure is delivered as is")


def test_quarantine_header():
    with verifier(["QuarantineAction header"]) as d:
        m = msg(frm="ceo@example.com")
        res = send(d, m, ip="198.51.100.9", mail_from="x@other.example")
        disp = res.header("X-Vouchd-Disposition")
        ok(res.quarantine is None and disp and disp[0].strip().startswith("quarantine (") and
           "example.com" in disp[0],
           "QuarantineAction header: an X-Vouchd-Disposition field instead of the hold queue", repr(disp))
    with verifier(["HoldQuarantinedMessages no"]) as d:
        res = send(d, msg(frm="ceo@example.com"), ip="198.51.100.9", mail_from="x@other.example")
        ok(res.quarantine is None and res.header("X-Vouchd-Disposition"),
           "HoldQuarantinedMessages no (OpenDMARC's name) is QuarantineAction header")


def test_reject():
    with verifier(["RejectFailures yes", "TrustedForwarders 203.0.113.0/24"]) as d:
        res = send(d, msg(frm="ceo@example.com"), ip="198.51.100.9", mail_from="x@other.example")
        ok(res.action == "reject" and res.reply is not None and res.reply.startswith("550 5.7.1 ") and
           "example.com" in res.reply and "reject" in res.reply and "no DKIM signature" in res.reply,
           "RejectFailures: 550 5.7.1 naming the From domain and why DMARC failed", repr(res.reply))
        res = send(d, msg(frm="ceo@example.com", extra="List-Id: <list.example.org>\r\n"),
                   ip="198.51.100.9", mail_from="x@other.example")
        ok(res.action == "accept" and res.quarantine is not None and
           "override=mailing_list" in d.last_log(),
           "RejectFailures: mail with List-Id is not rejected; override mailing_list logged",
           "%s %s" % (res.action, d.last_log()))
        res = send(d, msg(frm="ceo@example.com"), ip="203.0.113.5", mail_from="x@other.example")
        ok(res.action == "accept" and res.quarantine is None and
           "override=trusted_forwarder" in d.last_log(),
           "RejectFailures: a trusted forwarder's mail is delivered; override trusted_forwarder",
           d.last_log())
        res = send(d, msg(frm="a@quar.example"), ip="198.51.100.9", mail_from="x@other.example")
        ok(res.action == "accept" and res.quarantine is not None,
           "RejectFailures: p=quarantine is still quarantined, not rejected")


def test_dryrun():
    with verifier(["RejectFailures yes", "DryRun yes"]) as d:
        extra = "Authentication-Results: %s; dkim=pass\r\n" % ID
        res = send(d, msg(frm="ceo@example.com", extra=extra), ip="198.51.100.9",
                   mail_from="x@other.example")
        ok(res.action == "accept" and not res.inserted and not res.changed and res.quarantine is None,
           "DryRun: nothing changes (no field added or removed, no reject, no quarantine)",
           "%s %r %r %r" % (res.action, res.inserted, res.changed, res.quarantine))
        line = d.last_log()
        ok("dryrun=yes" in line and "action=reject" in line and "dmarc=fail" in line,
           "DryRun: the log says what would have been done", line)


def test_other_rejections():
    with verifier(["RejectSPFFailures yes"]) as d:
        res = send(d, msg(), ip="198.51.100.9", mail_from="alice@example.com")
        ok(res.action == "reject" and res.reply and res.reply.startswith("550 5.7.1 SPF") and
           "198.51.100.9" in res.reply and "example.com" in res.reply,
           "RejectSPFFailures: SPF fail alone is rejected, the text names client and domain",
           repr(res.reply))
    with verifier() as d:
        res = send(d, msg(), ip="198.51.100.9", mail_from="alice@example.com")
        ok(res.action == "accept", "SPF fail alone is not rejected by default")
    with verifier(["TempErrorAction tempfail"]) as d:
        res = send(d, msg(frm="a@slow.example"), ip="198.51.100.9", mail_from="a@slow.example")
        ok(res.action == "tempfail" and res.reply and res.reply.startswith("451 4.7.5 "),
           "TempErrorAction tempfail: a DNS temperror gives 451 4.7.5", "%s %r" % (res.action, res.reply))
    with verifier() as d:
        res = send(d, msg(frm="a@slow.example"), ip="198.51.100.9", mail_from="a@slow.example")
        ok(res.action == "accept" and "temperror" in (res.field("Authentication-Results") or ""),
           "by default a DNS temperror is accepted with the temperror recorded")
    with verifier(["RejectMultiValueFrom yes"]) as d:
        res = send(d, msg(frm="a@example.com, b@example.org"))
        ok(res.action == "reject" and res.reply and res.reply.startswith("550 5.7.1 several From"),
           "RejectMultiValueFrom: two From addresses are rejected", repr(res.reply))
        res = send(d, msg(extra="From: second@example.com\r\n"))
        ok(res.action == "reject", "RejectMultiValueFrom: two From fields are rejected")
    with verifier() as d:
        res = send(d, msg(frm="a@example.com, b@example.org"))
        ok(res.action == "accept", "several From addresses are evaluated (not rejected) by default")
    with verifier(["RequiredHeaders yes"]) as d:
        res = send(d, msg(date=False))
        ok(res.action == "reject" and res.reply and "Date" in res.reply and "RFC 5322" in res.reply,
           "RequiredHeaders: no Date field is rejected, the text says which", repr(res.reply))
        res = send(d, msg())
        ok(res.action == "accept", "RequiredHeaders: a complete header passes")


def test_ignore_and_auth():
    with verifier(["IgnoreHosts 198.51.100.0/24"]) as d:
        res, proto = one_message(d.address, msg(), ip="198.51.100.9")
        ok(res.action == "accept" and res.stage == "connect" and not proto & P_NR_CONN,
           "IgnoreHosts: accepted at CONNECT, which then has a reply", "%s %s" % (res.action, res.stage))
        res = send(d, msg(), ip="192.0.2.10")
        ok(res.field("Authentication-Results") is not None, "IgnoreHosts: other clients are verified")
    with verifier() as d:
        res = send(d, msg(), mail_macros={"{auth_authen}": "alice", "{auth_type}": "PLAIN"})
        ok(res.action == "accept" and res.stage == "eoh" and not res.inserted,
           "IgnoreAuthenticatedClients (default): authenticated mail is not DMARC-evaluated",
           "%s %s %r" % (res.action, res.stage, res.inserted))


# ---- the sign role ------------------------------------------------------

def signer(extra=(), kind="ed"):
    return LAB.vouchd(["Domain example.com", "Selector %s1" % kind, "KeyFile " + KEYS[kind]] +
                      list(extra))


def dkim_verify(m):
    path = os.path.join(TMP, "signed.eml")
    with open(path, "wb") as f:
        f.write(m)
    rc, out, err = vtest.vouch(["dkim", "verify", "--json", "--zone", ZONE, path])
    try:
        return json.loads(out.decode())
    except ValueError:
        return None


def test_sign():
    with signer() as d:
        m = msg()
        res = send(d, m, ip="127.0.0.1")
        sig = res.header("DKIM-Signature")
        ok(res.action == "accept" and len(sig) == 1 and res.inserted[0][0] == 0 and
           "d=example.com" in sig[0] and "s=ed1" in sig[0],
           "sign: an internal client's mail gets one DKIM-Signature at index 0", repr(res.inserted))
        j = dkim_verify(apply_mods(m, res))
        ok(j is not None and j["signatures"][0]["result"] == "pass",
           "sign: the signature made through the signer process verifies (vouch dkim verify)",
           repr(j))
        h = re.sub(r"\s", "", re.search(r"h=([^;]*)", sig[0]).group(1)).lower().split(":") if sig else []
        ok(h.count("from") == 2 and h.count("subject") == 2,
           "sign: From and Subject are oversigned", repr(h))
        ok("role=sign" in d.last_log() and "signed=\"d=example.com s=ed1\"" in d.last_log(),
           "log: role sign and the signature made", d.last_log())
        res = send(d, msg(), ip="198.51.100.9", mail_macros={"{auth_authen}": "alice"})
        ok(len(res.header("DKIM-Signature")) == 1, "sign: an authenticated client's mail is signed")
        res = send(d, msg(frm="x@elsewhere.example"), ip="127.0.0.1")
        ok(res.action == "accept" and not res.header("DKIM-Signature"),
           "sign: a From domain without a key is passed on unsigned")
        res = send(d, msg(), ip="198.51.100.9")
        ok(not res.header("DKIM-Signature") and res.field("Authentication-Results") is not None,
           "an external unauthenticated client is verified, not signed")
    with signer(["MacroList daemon_name=ORIGINATING", "InternalHosts 192.0.2.250"]) as d:
        res = send(d, msg(), ip="198.51.100.9", conn_macros={"{daemon_name}": "ORIGINATING"})
        ok(len(res.header("DKIM-Signature")) == 1,
           "MacroList daemon_name=ORIGINATING: submission mail is signed")
        res = send(d, msg(), ip="127.0.0.1")
        ok(not res.header("DKIM-Signature"), "InternalHosts set: it replaces the default 127.0.0.1")
    with signer(kind="rsa", extra=["Canonicalization simple/simple"]) as d:
        m = msg()
        res = send(d, m, ip="127.0.0.1")
        j = dkim_verify(apply_mods(m, res))
        ok(j is not None and j["signatures"][0]["result"] == "pass" and "c=simple/simple" in
           res.header("DKIM-Signature")[0].replace(" ", ""),
           "sign: an RSA key and simple/simple canonicalization verify too", repr(j))


def test_tables():
    kt = os.path.join(TMP, "KeyTable")
    st = os.path.join(TMP, "SigningTable")
    with open(kt, "w") as f:
        f.write("ed._domainkey.example.com example.com:ed1:%s\n"
                "rsa._domainkey.example.com example.com:rsa1:%s\n" % (KEYS["ed"], KEYS["rsa"]))
    with open(st, "w") as f:
        f.write("# docker-mailserver style\n*@example.com ed._domainkey.example.com\n"
                "*@example.com rsa._domainkey.example.com\n")
    conf = ["KeyTable " + kt, "SigningTable refile:" + st, "MultipleSignatures yes"]
    with LAB.vouchd(conf) as d:
        m = msg()
        res = send(d, m, ip="127.0.0.1")
        sigs = res.header("DKIM-Signature")
        j = dkim_verify(apply_mods(m, res))
        ok(len(sigs) == 2 and j is not None and [x["result"] for x in j["signatures"]] == ["pass", "pass"],
           "KeyTable + refile: SigningTable, MultipleSignatures: Ed25519 and RSA sign in one pass, "
           "both verify", repr(j))
        res = send(d, msg(frm="x@example.org"), ip="127.0.0.1")
        ok(not res.header("DKIM-Signature"), "refile: no pattern matches example.org: not signed")
    # vouchd-tables(5): OpenDKIM's value is one name (the form above);
    # vouchd also takes several on one line, blank- or comma-separated,
    # without MultipleSignatures.
    for names in ("ed._domainkey.example.com rsa._domainkey.example.com",
                  "ed._domainkey.example.com, rsa._domainkey.example.com"):
        with open(st, "w") as f:
            f.write("*@example.com %s\n" % names)
        with LAB.vouchd(["KeyTable " + kt,
                     "SigningTable refile:" + st]) as d:
            m = msg()
            res = send(d, m, ip="127.0.0.1")
            j = dkim_verify(apply_mods(m, res))
            algs = sorted(re.sub(r"\s", "", re.search(r"a=([^;]*)", s).group(1))
                          for s in res.header("DKIM-Signature"))
            ok(algs == ["ed25519-sha256", "rsa-sha256"] and j is not None and
               [x["result"] for x in j["signatures"]] == ["pass", "pass"],
               "SigningTable, one line naming two keys (%r): both sign in one pass, both verify"
               % names, "%r %r" % (algs, j))
    with open(st, "w") as f:
        f.write("* ed._domainkey.example.com\n")
    with open(os.path.join(TMP, "tables.conf"), "w") as f:
        f.write("Socket unix:/tmp/x.sock\nKeyTable %s\nSigningTable refile:%s\n" % (kt, st))
    p = subprocess.run([vouchd_binary(), "-t", "-c", os.path.join(TMP, "tables.conf")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    ok(p.returncode == 0 and "warning" in p.stderr.decode() and st in p.stderr.decode(),
       "vouchd -t: a * catch-all in the SigningTable is a warning naming the file", p.stderr.decode())
    with open(st, "w") as f:
        f.write("*@example.com no-such-key\n")
    p = subprocess.run([vouchd_binary(), "-t", "-c", os.path.join(TMP, "tables.conf")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    ok(p.returncode != 0 and (st + ":1:") in p.stderr.decode(),
       "vouchd -t: a SigningTable line naming no KeyTable entry is an error with file:line",
       p.stderr.decode())


def test_arc_seal():
    arc_key = LAB.keygen("ed25519", "forwarder.example", "arc1")
    with verifier(["ARCSealDomain forwarder.example", "ARCSealSelector arc1",
                   "ARCSealKeyFile " + arc_key]) as d:
        m = msg()
        res = send(d, m, ip="192.0.2.10", mail_from="alice@example.com")
        names = [n for (_, n, _) in res.inserted]
        ok(sorted(names) == ["ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal",
                             "Authentication-Results"],
           "ARC sealing: one ARC Set and the Authentication-Results field added", repr(names))
        out = apply_mods(m, res)
        path = os.path.join(TMP, "sealed.eml")
        with open(path, "wb") as f:
            f.write(out)
        rc, o, err = vtest.vouch(["arc", "verify", "--json", "--zone", ZONE, path])
        try:
            j = json.loads(o.decode())
        except ValueError:
            j = None
        ok(j is not None and j.get("cv") == "pass",
           "ARC sealing: the chain vouchd sealed validates (vouch arc verify: cv=pass)", o.decode()[:300])
        aar = res.header("ARC-Authentication-Results")
        ok(aar and "i=1;" in aar[0] and ID in aar[0] and "dmarc=pass" in aar[0],
           "ARC sealing: the AAR records vouchd's own results under its authserv-id", repr(aar))


def test_sendas():
    table = os.path.join(TMP, "sendas")
    with open(table, "w") as f:
        f.write("# login  addresses\nalice alice@example.com @example.org\nroot *\n")
    auth = {"{auth_authen}": "alice", "{auth_type}": "PLAIN"}
    with signer(["SenderAuthTable " + table, "SenderAuthUnauthenticated reject"]) as d:
        res = send(d, msg(), ip="198.51.100.9", mail_macros=auth)
        ok(len(res.header("DKIM-Signature")) == 1, "send-as: alice as alice@example.com is signed")
        res = send(d, msg(frm="bob@example.com"), ip="198.51.100.9", mail_from="alice@example.com",
                   mail_macros=auth)
        ok(res.action == "reject" and res.stage == "eoh" and res.reply.startswith("550 5.7.1 ") and
           "bob@example.com" in res.reply and "alice" in res.reply and not res.inserted,
           "send-as: From bob@example.com for login alice: 550 5.7.1 naming both, never signed",
           repr(res.reply))
        res = send(d, msg(), ip="198.51.100.9", mail_from="bob@example.com", mail_macros=auth)
        ok(res.action == "reject" and "MAIL FROM" in (res.reply or ""),
           "send-as: the envelope MAIL FROM is checked too", repr(res.reply))
        res = send(d, msg(extra="Sender: bob@example.com\r\n"), ip="198.51.100.9", mail_macros=auth)
        ok(res.action == "reject" and "Sender" in (res.reply or ""),
           "send-as: the Sender address is checked too", repr(res.reply))
        res = send(d, msg(frm="alice@example.com, bob@example.com"), ip="198.51.100.9", mail_macros=auth)
        ok(res.action == "reject" and "bob@example.com" in (res.reply or ""),
           "send-as: every From address is checked", repr(res.reply))
        res = send(d, msg(frm="x@example.org"), ip="198.51.100.9", mail_from="x@example.org",
                   mail_macros=auth)
        ok(res.action == "accept", "send-as: a @domain entry allows the whole domain")
        res = send(d, msg(frm="<not an address>"), ip="198.51.100.9", mail_macros=auth)
        ok(res.action == "reject" and "cannot be checked" in (res.reply or ""),
           "send-as: a malformed From is rejected (SenderAuthMalformed)", repr(res.reply))
        res = send(d, msg(frm="bob@example.com"), ip="198.51.100.9", mail_from="bob@example.com",
                   mail_macros={"{auth_authen}": "root"})
        ok(res.action == "accept" and len(res.header("DKIM-Signature")) == 1,
           "send-as: a * entry may send as anyone")
        res = send(d, msg(), ip="127.0.0.1")
        ok(res.action == "reject" and "not authenticated" in (res.reply or ""),
           "SenderAuthUnauthenticated reject: an internal client without login is refused",
           repr(res.reply))
        ok("no-match" in "\n".join(d.log_lines("role=sign")), "log: the send-as answer in words")
    with signer(["SenderAuthTable " + table, "SenderAuthNoMatch accept"]) as d:
        res = send(d, msg(frm="bob@example.com"), ip="198.51.100.9", mail_macros=auth)
        ok(res.action == "accept" and not res.header("DKIM-Signature"),
           "SenderAuthNoMatch accept: passed on, not signed")
    missing = os.path.join(TMP, "missing-table")
    try:
        d = signer(["SenderAuthTable " + missing])
        d.stop()
        ok(False, "a SenderAuthTable that cannot be read stops vouchd from starting")
    except MilterError as e:
        ok(missing in str(e), "a SenderAuthTable that cannot be read stops vouchd from starting, "
           "its path named", str(e)[-300:])


def test_key_safety():
    bad = os.path.join(TMP, "open.private")
    with open(KEYS["ed"], "rb") as f, open(bad, "wb") as g:
        g.write(f.read())
    os.chmod(bad, 0o644)
    conf = os.path.join(TMP, "bad.conf")
    with open(conf, "w") as f:
        f.write("Socket unix:%s/x.sock\nSyslog no\nDomain example.com\nSelector s\nKeyFile %s\n" % (TMP, bad))
    p = subprocess.run([vouchd_binary(), "-t", "-c", conf], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    ok(p.returncode != 0 and bad in p.stderr.decode() and "group or others" in p.stderr.decode(),
       "vouchd -t: a key file readable by others is refused, its path named", p.stderr.decode())
    try:
        d = Vouchd(["Domain example.com", "Selector s", "KeyFile " + bad])
        d.stop()
        ok(False, "vouchd refuses to start with an unsafe key file")
    except MilterError as e:
        ok(bad in str(e), "vouchd refuses to start with an unsafe key file, naming it", str(e))


def test_check():
    conf = os.path.join(TMP, "t.conf")
    with open(conf, "w") as f:
        f.write("# a comment\nSocket unix:/tmp/x.sock\nMode v\nAuthservID mx.example\n")
    p = subprocess.run([vouchd_binary(), "-t", "-c", conf], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    ok(p.returncode == 0 and "OK" in p.stdout.decode(), "vouchd -t: a good file exits 0", p.stderr.decode())
    with open(conf, "w") as f:
        f.write("Socket unix:/tmp/x.sock\n\nMode v\nBogusOption 1\n")
    p = subprocess.run([vouchd_binary(), "-t", "-c", conf], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    ok(p.returncode != 0 and ("%s:4: unknown option 'BogusOption'" % conf) in p.stderr.decode(),
       "vouchd -t: an unknown name is an error naming file and line", p.stderr.decode())
    with open(conf, "w") as f:
        f.write("RejectFailures maybe\n")
    p = subprocess.run([vouchd_binary(), "-t", "-c", conf], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    ok(p.returncode != 0 and ("%s:1: RejectFailures 'maybe'" % conf) in p.stderr.decode(),
       "vouchd -t: a bad value is an error naming file and line", p.stderr.decode())
    for st, line in (("KeyTable dsn:mysql://x", "dsn:"), ("SigningTable ldap://h/x", "ldap:"),
                     ("InternalHosts mail.example.com", "not an IP address")):
        with open(conf, "w") as f:
            f.write(st + "\n")
        p = subprocess.run([vouchd_binary(), "-t", "-c", conf], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        ok(p.returncode != 0 and line in p.stderr.decode(), "vouchd -t refuses '%s'" % st, p.stderr.decode())


# ---- operations ---------------------------------------------------------

def test_reload():
    d = signer(["SPFCheckHELO no"])
    try:
        early = Milter(d.address)
        early.connect(ip="192.0.2.10")
        early.helo("client.example")
        lines = open(d.conf).read().replace("AuthservID " + ID, "AuthservID mx2.test.example")
        with open(d.conf, "w") as f:
            f.write(lines)
        d.hup()
        t0 = time.time()
        while time.time() - t0 < 10 and not d.log_lines("configuration reloaded"):
            time.sleep(0.05)
        ok(d.log_lines("configuration reloaded"), "SIGHUP: the configuration is reloaded", d.read_log()[-400:])
        res = send(d, msg(), ip="198.51.100.9")
        ok((res.field("Authentication-Results") or "").startswith("Authentication-Results: mx2.test.example;"),
           "after SIGHUP new connections use the new AuthservID", repr(res.field("Authentication-Results")))
        r2 = early.message(msg(), mail_from="alice@example.com")
        early.close()
        ok(r2.action == "accept" and (r2.field("Authentication-Results") or "").startswith(
            "Authentication-Results: %s;" % ID),
           "a connection open across SIGHUP is not dropped and keeps its configuration",
           repr(r2.field("Authentication-Results")))
        with open(d.conf, "a") as f:
            f.write("NoSuchOption yes\n")
        d.hup()
        t0 = time.time()
        while time.time() - t0 < 10 and not d.log_lines("reload refused"):
            time.sleep(0.05)
        refused = d.log_lines("reload refused")
        ok(refused and re.search(r"vouchd\.conf:\d+: unknown option 'NoSuchOption'", refused[-1]),
           "SIGHUP with a bad file: refused with file:line, old configuration kept", repr(refused))
        res = send(d, msg(), ip="198.51.100.9")
        ok((res.field("Authentication-Results") or "").startswith("Authentication-Results: mx2.test.example;"),
           "after a refused reload vouchd still works with the configuration it had")
        with open(d.conf, "w") as f:
            f.write(lines)
        os.chmod(KEYS["ed"], 0o640)
        n0 = len(d.log_lines("reload refused"))
        d.hup()
        t0 = time.time()
        while time.time() - t0 < 10 and len(d.log_lines("reload refused")) == n0:
            time.sleep(0.05)
        os.chmod(KEYS["ed"], 0o600)
        refused = d.log_lines("reload refused")
        ok(len(refused) > n0 and KEYS["ed"] in refused[-1],
           "SIGHUP: a key file that became group-readable is refused at reload, path named", repr(refused[-1:]))
        res = send(d, msg(), ip="127.0.0.1")
        ok(len(res.header("DKIM-Signature")) == 1, "after the refused key reload the old key still signs")
    finally:
        d.stop()


def test_drain():
    d = verifier()
    m = Milter(d.address)
    m.connect(ip="192.0.2.10")
    m.helo("client.example")
    # a message in flight: the header is sent, then SIGTERM, then the rest
    res = Result()
    m.macro(b"M", {})
    m.event(b"M", b"<alice@example.com>\0", 0x4, 0x4000, res, "mail")
    m.event(b"L", b"From\0 alice@example.com\0", 0x20, 0x80, res, "header")
    d.proc.send_signal(15)
    time.sleep(0.3)
    try:
        refused = False
        try:
            socket.socket(socket.AF_UNIX).connect(d.sock)
        except OSError:
            refused = True
        ok(refused, "SIGTERM: no new connection is accepted")
        m.event(b"L", b"Subject\0 x\0", 0x20, 0x80, res, "header")
        m.send(b"N", b"")
        m.reply(res, "eoh")
        m.send(b"B", b"body\r\n")
        m.send(b"E", b"")
        r = m.reply(res, "eom")
        ok(r in ("continue", "accept") and res.header("Authentication-Results"),
           "SIGTERM: the message in flight is finished (a verdict and its field)", r)
    except (MilterError, OSError) as e:
        ok(False, "SIGTERM: the message in flight is finished", str(e))
    m.close()
    try:
        rc = d.proc.wait(20)
    except subprocess.TimeoutExpired:
        rc = None
    ok(rc == 0, "SIGTERM: vouchd exits 0 once drained", "exit %r" % rc)
    d.stop()


def test_metrics_json():
    port = free_port()
    with verifier(["MetricsListen 127.0.0.1:%d" % port, "LogFormat json"]) as d:
        send(d, msg())
        send(d, msg(frm="ceo@example.com"), ip="198.51.100.9", mail_from="x@other.example")
        try:
            text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10).read().decode()
        except OSError as e:
            text = str(e)
        ok('vouchd_messages_total{role="verify"} 2' in text and
           'vouchd_messages_by_result_total{role="verify",method="dmarc",result="fail"} 1' in text and
           'vouchd_actions_total{action="quarantine"} 1' in text and
           "vouchd_message_seconds_count 2" in text and "vouchd_dns_queries_total" in text,
           "metrics: messages by role and result, actions, latency histogram, DNS queries", text[:800])
        objs = []
        for l in d.log_lines("role"):
            try:
                objs.append(json.loads(l.split(": ", 1)[1]))
            except (ValueError, IndexError):
                pass
        ok(len(objs) == 2 and objs[1]["dmarc"] == "fail" and objs[1]["action"] == "quarantine" and
           objs[0]["id"] == "4ABCDEF",
           "LogFormat json: one JSON object per message", repr(d.log_lines("role")))
    # every option has a default; -t also checks the default socket's
    # directory, /run/vouchd, which only the service manager makes
    p = subprocess.run([vouchd_binary(), "-t", "-c", "/dev/null"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    errs = [l for l in p.stderr.decode().splitlines() if "warning" not in l]
    if os.path.isdir("/run/vouchd"):
        ok(p.returncode == 0, "an empty configuration is valid (every option has a default)", errs)
    else:
        ok(p.returncode == 1 and len(errs) == 1 and "directory /run/vouchd" in errs[0],
           "an empty configuration is valid (every option has a default) but for the default "
           "socket's directory, /run/vouchd, missing here", errs)


def test_big_message():
    """A 50 MiB body streams through: bounded memory in the milter process."""
    with verifier() as d:
        m = Milter(d.address)
        m.connect(ip="192.0.2.10")
        m.helo("client.example")
        body = (b"x" * 998 + b"\r\n") * (50 * 1024 * 1024 // 1000)
        res = m.message(msg(body="") + body, mail_from="alice@example.com")
        m.close()
        ok(res.action == "accept" and res.header("Authentication-Results"),
           "a 50 MiB message gets its verdict")
        pids = [int(l.split("[")[1].split("]")[0]) for l in d.log_lines("role=verify")]
        hwm = 0
        try:
            for l in open("/proc/%d/status" % pids[-1]):
                if l.startswith("VmHWM:"):
                    hwm = int(l.split()[1])
        except (OSError, IndexError):
            pass
        if vtest.SANITIZED:
            vtest.skip("50 MiB message: bounded RSS", "RSS is not meaningful under ASan")
        else:
            ok(0 < hwm < 40 * 1024, "50 MiB message: the milter process's peak RSS stays under 40 MiB "
               "(the body is streamed)", "VmHWM %d kB" % hwm)


def main():
    KEYS["ed"] = LAB.keygen("ed25519", "example.com", "ed1")
    KEYS["rsa"] = LAB.keygen("rsa", "example.com", "rsa1")
    LAB.run((test_verify_basics, test_forged_authres, test_trusted_upstream, test_quarantine_default, test_quarantine_header,
             test_reject, test_dryrun, test_other_rejections, test_ignore_and_auth, test_sign,
             test_tables, test_arc_seal, test_sendas, test_key_safety, test_check, test_reload, test_drain, test_metrics_json,
             test_big_message))


main()
