"""The mail world of the real-system tests: who publishes what in DNS,
which clients are where, and messages to send.

    w = mailworld.World(lab.dir)       # keys made, zone written
    with w.zone.serve() as ns: ...      # NSD serving it
    w.message(frm="alice@sender.example", subject="hi")      # bytes, CRLF
    w.sign_remote(msg)                  # signed by remote.example (vouch dkim sign)

Domains (all under .example, see testzone.py):
  sender.example    ours: the signing domain (keys s1 RSA-2048, e1 Ed25519);
                    SPF 127.0.0.0/8, 192.0.2.0/25 and OTHER_CLIENT; DMARC
                    p=reject
  remote.example    an outside sender that signs (key r1); SPF 192.0.2.0/25;
                    DMARC p=reject
  strict.example    DMARC p=reject, SPF 192.0.2.0/25, no key
  careful.example   DMARC p=quarantine, SPF 192.0.2.0/25, no key
  relaxed.example   DMARC p=none, SPF 192.0.2.0/25, no key
Clients (made visible to the milter with XCLIENT):
  GOOD_CLIENT 192.0.2.10 is in every SPF record; BAD_CLIENT 203.0.113.9 in
  none; OTHER_CLIENT 198.51.100.7 is an outside address for role tests, in
  sender.example's SPF only (mail from it as sender.example passes DMARC).
"""
import os
import subprocess

import testzone
import vtest

GOOD_CLIENT = "192.0.2.10"
BAD_CLIENT = "203.0.113.9"
OTHER_CLIENT = "198.51.100.7"
AUTHSERV_ID = "mx.vouch.example"

SPF_OUTSIDE = "v=spf1 ip4:192.0.2.0/25 -all"


class World:
    def __init__(self, workdir, ed25519=True, ttl=300):
        self.dir = workdir
        z = self.zone = testzone.Zone(workdir, ttl=ttl)
        self.key_s1 = z.dkim_key("sender.example", "s1")
        self.key_e1 = z.dkim_key("sender.example", "e1", type="ed25519") if ed25519 else None
        self.key_r1 = z.dkim_key("remote.example", "r1")
        z.txt("sender.example", "v=spf1 ip4:127.0.0.0/8 ip4:192.0.2.0/25 ip4:%s -all"
              % OTHER_CLIENT)
        z.txt("_dmarc.sender.example", "v=DMARC1; p=reject")
        z.txt("remote.example", SPF_OUTSIDE)
        z.txt("_dmarc.remote.example", "v=DMARC1; p=reject")
        for dom, policy in (("strict", "reject"), ("careful", "quarantine"), ("relaxed", "none")):
            z.txt(dom + ".example", SPF_OUTSIDE)
            z.txt("_dmarc.%s.example" % dom, "v=DMARC1; p=%s" % policy)
        self.n = 0

    def message(self, frm="Alice <alice@sender.example>", to="Bob <bob@rcpt.example>",
                subject=None, mid=None, extra=(), body=None):
        """A message, CRLF line ends.  extra: more header fields (strings
        without line end).  The Message-ID is unique unless given."""
        self.n += 1
        if mid is None:
            mid = "m%d.%d@%s" % (self.n, os.getpid(), frm.rsplit("@", 1)[-1].strip(">"))
        head = ["From: " + frm, "To: " + to, "Subject: " + (subject or "message %d" % self.n),
                "Date: Mon, 30 Nov 2026 09:00:00 +0000", "Message-ID: <%s>" % mid,
                "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"] + list(extra)
        if body is None:
            body = ("Hello Bob,\r\n\r\n.a line that starts with a dot\r\n"
                    "trailing blanks   \r\n\r\nAlice\r\n")
        return ("\r\n".join(head) + "\r\n\r\n").encode() + (
            body.encode() if isinstance(body, str) else body)

    def sign(self, msg, domain, selector, key):
        """msg signed with `vouch dkim sign` (relaxed/relaxed)."""
        p = subprocess.run([vtest.VOUCH, "dkim", "sign", "-d", domain, "-s", selector, "-k", key],
                           input=msg, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if p.returncode:
            raise RuntimeError("vouch dkim sign: " + p.stderr.decode())
        return p.stdout

    def sign_remote(self, msg):
        return self.sign(msg, "remote.example", "r1", self.key_r1)


def _strip_comments(s):
    out, depth = [], 0
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


class AuthRes:
    """One Authentication-Results field, parsed loosely (RFC 8601 §2.2):
    .authserv_id, and .results {method: [(result, {ptype.property: value})]}."""

    def __init__(self, value):
        self.raw = value
        parts = [p.strip() for p in _strip_comments(value).split(";")]
        self.authserv_id = parts[0].split()[0] if parts and parts[0] else ""
        self.results = {}
        for p in parts[1:]:
            words = p.split()
            if not words or "=" not in words[0]:
                continue
            method, result = words[0].split("=", 1)
            props = {}
            for w in words[1:]:
                if "=" in w:
                    k, v = w.split("=", 1)
                    props[k.lower()] = v.strip('"')
            self.results.setdefault(method.lower(), []).append((result.lower(), props))

    def result(self, method):
        """The first result of `method`, or None."""
        r = self.results.get(method)
        return r[0][0] if r else None

    def prop(self, method, name):
        r = self.results.get(method)
        return r[0][1].get(name) if r else None

    def __repr__(self):
        return "AuthRes(%r)" % self.raw


def our_authres(sink_message, authserv_id=AUTHSERV_ID):
    """The Authentication-Results fields of sink_message that carry
    authserv_id, top first."""
    return [a for a in (AuthRes(v) for v in sink_message.headers("Authentication-Results"))
            if a.authserv_id.lower() == authserv_id.lower()]
