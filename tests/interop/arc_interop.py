#!/usr/bin/python3
"""ARC interoperability with python3-authheaders (Debian 12; its ARC code is
dkimpy's, which authheaders calls), and with Mail::DKIM's ARC signer and
verifier (libmail-dkim-perl 1.20230212, RSA only) as a second peer.

Chains of 1 to 3 hops are built in a temporary directory, each hop by one
of the two sealers, with keys made by `vouch keygen` (RSA 2048 and Ed25519,
one domain per hop) and a zone file of their records:

  authheaders seals every hop -> vouch validates     cv=pass
  vouch seals every hop       -> authheaders validates cv=pass
  the sealers alternate       -> both validate        cv=pass
and for every chain, both validators on tampered copies:
  the body changed after the last seal               cv=fail
  the first ARC-Authentication-Results changed       cv=fail
A hop that changes the Subject (as a mailing list does) leaves a passing
chain whose oldest-pass is that hop (RFC 8617 §5.2 step 5), in both.
vouch also seals with Ed25519 (RFC 8463), three hops validated by vouch;
authheaders (dkimpy 1.0.5) knows no ed25519-sha256 for ARC, in either
direction, which one check records.

An authheaders hop adds its Authentication-Results (arc= from dkimpy's
validation, which its sealer reads to choose cv=) and seals; a vouch hop
runs `vouch arc seal`, which validates and writes the AAR itself.  Every
combination is one counted check; no DNS (a dnsfunc for dkimpy, --zone
for vouch).
"""
import json
import os
import re
import shutil
import subprocess

import scratch
from vtest import ok, done, vouch

try:
    import dkim  # python3-dkim, through python3-authheaders
    import authheaders
except ImportError as e:  # counted, never silent
    dkim = None
    IMPORT_ERR = str(e)

HOPS = ["hop1.example", "hop2.example", "hop3.example"]
SEL = {"rsa": "arc-r", "ed25519": "arc-e"}
BASE = (b"Received: from mail.origin.example (mail.origin.example [192.0.2.1])\r\n"
        b"\tby mx.hop1.example; Mon, 30 Nov 2026 09:00:00 +0000\r\n"
        b"From: Alice <alice@origin.example>\r\n"
        b"To: list@hop2.example\r\n"
        b"Subject: ARC interop\r\n"
        b"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
        b"Message-ID: <arc-interop.1@origin.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n"
        b"\r\n"
        b"Hello list,\r\n\r\nthis message goes through   three hops.\r\n\r\n\r\n")
SIGNED = [b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type"]


def make_keys(tmp):
    keys, txt, zone = {}, {}, ["$TTL 3600"]
    for dom in HOPS:
        for alg, args in (("rsa", ["-t", "rsa", "-b", "2048"]), ("ed25519", ["-t", "ed25519"])):
            d = os.path.join(tmp, dom)
            os.makedirs(d, exist_ok=True)
            rc, out, err = vouch(["keygen"] + args + ["-d", dom, "-s", SEL[alg], "-o", d])
            pem = os.path.join(d, SEL[alg] + ".private")
            if rc != 0:
                return None, None, None
            rec = out.decode()
            txt[rec.split()[0].rstrip(".")] = "".join(re.findall(r'"([^"]*)"', rec))
            zone.append(rec.strip())
            k = {"pem": pem}
            if alg == "rsa":
                k["pkcs1"] = subprocess.run(["openssl", "pkey", "-in", pem, "-traditional"],
                                            stdout=subprocess.PIPE, check=True).stdout
                k["pkcs1path"] = pem + ".pkcs1"
                with open(k["pkcs1path"], "wb") as f:
                    f.write(k["pkcs1"])
            keys[(dom, alg)] = k
    zpath = os.path.join(tmp, "arc.zone")
    with open(zpath, "w") as f:
        f.write("\n".join(zone) + "\n")
    return keys, txt, zpath


class Peer:
    def __init__(self, txt):
        self.txt = txt

    def dns(self, name, timeout=5):
        return self.txt.get(name.decode().rstrip("."), "").encode()

    def cv(self, msg):
        """authheaders' (dkimpy's) chain validation: 'pass', 'fail' or 'none'."""
        return self.cv_why(msg)[0]

    def cv_why(self, msg):
        try:
            cv, _, why = dkim.arc_verify(msg, dnsfunc=self.dns)
        except Exception as e:
            return "error %r" % e, ""
        return (cv.decode().lower() if cv is not None else "no result"), why

    def seal(self, msg, dom, keys, subject_tag=False):
        """One authheaders hop: its A-R (arc= as dkimpy sees the chain on
        arrival), then its ARC Set through authheaders.sign_message."""
        cv = self.cv(msg)
        ar = (b"Authentication-Results: " + dom.encode() + b"; arc=" + cv.encode()
              + b"; spf=pass smtp.mailfrom=alice@origin.example\r\n")
        msg = ar + msg
        if subject_tag:
            msg = msg.replace(b"Subject: ", b"Subject: [list] ", 1)
        fields = authheaders.sign_message(msg, SEL["rsa"].encode(), dom.encode(),
                                          keys[(dom, "rsa")]["pkcs1"], SIGNED, sig="ARC",
                                          srv_id=dom.encode())
        return b"".join(f if f.endswith(b"\r\n") else f + b"\r\n" for f in fields) + msg


MAILDKIM_PL = r'''
use strict;
use warnings;
use Mail::DKIM::ARC::Signer;
use Mail::DKIM::ARC::Verifier;
use Mail::DKIM::DNS;
use Net::DNS::RR;

# Keys come from our records, never from the network.
my %txt;
open my $z, '<', $ARGV[0] or die "$ARGV[0]: $!";
while (<$z>) { chomp; my ($n, $v) = split / /, $_, 2; $txt{lc $n} = $v; }
close $z;
{
    no warnings 'redefine';
    *Mail::DKIM::DNS::query = sub {
        my ($name, $type) = @_;
        $name = lc $name; $name =~ s/\.$//;
        if (!exists $txt{$name}) { $@ = 'NXDOMAIN'; return; }
        my @chunks = unpack('(a255)*', $txt{$name});
        return (Net::DNS::RR->new(name => $name, type => 'TXT', txtdata => [@chunks]));
    };
}
sub slurp { my ($p) = @_; open my $f, '<:raw', $p or die "$p: $!"; local $/; my $d = <$f>; close $f; return $d; }

my ($job, @a) = @ARGV[1 .. $#ARGV];
if ($job eq 'seal') {
    my ($dom, $sel, $key, $in, $out) = @a;
    # Chain => 'ar': cv= from the arc= of our own Authentication-Results
    my $s = Mail::DKIM::ARC::Signer->new(Algorithm => 'rsa-sha256', Chain => 'ar', Domain => $dom,
                                         SrvId => $dom, Selector => $sel, KeyFile => $key);
    my $msg = slurp($in);
    $s->PRINT($msg);
    $s->CLOSE;
    print "seal\t", $s->result, "\t", ($s->result_detail // ''), "\n";
    open my $o, '>:raw', $out or die "$out: $!";
    print $o join('', map { "$_\015\012" } $s->as_strings), $msg;
    close $o;
} else {
    my $v = Mail::DKIM::ARC::Verifier->new();
    $v->PRINT(slurp($a[0]));
    $v->CLOSE;
    print "verify\t", $v->result, "\t", ($v->result_detail // ''), "\n";
}
'''


class MailDKIM:
    """Mail::DKIM 1.20230212's ARC signer and verifier (RSA only)."""

    def __init__(self, tmp, txt):
        self.tmp = tmp
        self.script = os.path.join(tmp, "maildkim-arc.pl")
        with open(self.script, "w") as f:
            f.write(MAILDKIM_PL)
        self.dns = os.path.join(tmp, "maildkim-dns.txt")
        with open(self.dns, "w") as f:
            for n, v in txt.items():
                f.write("%s %s\n" % (n, v))
        self.n = 0

    def _run(self, args):
        p = subprocess.run(["perl", self.script, self.dns] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    def _path(self, data):
        self.n += 1
        path = os.path.join(self.tmp, "md-%d.eml" % self.n)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def cv(self, msg):
        rc, out, err = self._run(["verify", self._path(msg)])
        f = out.strip().split("\t")
        return f[1] if rc == 0 and len(f) >= 2 else "error %s" % err.strip()[-200:]

    def seal(self, msg, dom, keys, arc):
        """One Mail::DKIM hop: our A-R with arc= as given, then its ARC Set."""
        ar = (b"Authentication-Results: " + dom.encode() + b"; arc=" + arc.encode()
              + b"; spf=pass smtp.mailfrom=alice@origin.example\r\n")
        src = self._path(ar + msg)
        out = src + ".sealed"
        rc, res, err = self._run(["seal", dom, SEL["rsa"], keys[(dom, "rsa")]["pkcs1path"], src, out])
        if rc != 0 or not res.startswith("seal\tsealed"):
            raise RuntimeError("Mail::DKIM seal: %s %s" % (res.strip(), err.strip()[-200:]))
        return open(out, "rb").read()


def vouch_seal(msg, dom, keys, zone, alg="rsa", subject_tag=False):
    """One vouch hop; a list hop validates on arrival, tags the Subject,
    then seals with the cv= found on arrival (--cv)."""
    extra = []
    if subject_tag:
        extra = ["--cv", vouch_cv(msg, zone)[0]]
        msg = msg.replace(b"Subject: ", b"Subject: [list] ", 1)
    rc, out, err = vouch(["arc", "seal", "-d", dom, "-s", SEL[alg], "-k", keys[(dom, alg)]["pem"],
                          "--authserv-id", dom, "--ip", "192.0.2.1", "--helo", "mail.origin.example",
                          "--mail-from", "alice@origin.example", "--zone", zone] + extra, stdin=msg)
    return out if rc == 0 else None, err


def vouch_cv(msg, zone):
    rc, out, err = vouch(["arc", "verify", "--json", "--zone", zone], stdin=msg)
    try:
        doc = json.loads(out.decode())
    except ValueError:
        return "exit %d %s" % (rc, err.strip()), None
    return doc["cv"], doc


def tamper_body(msg):
    return msg.replace(b"three hops", b"three hopz", 1)


def tamper_aar1(msg):
    """The authserv-id of the first AAR changed (hop1.example -> hop1.examplf)."""
    i = msg.find(b"ARC-Authentication-Results: i=1;")
    j = msg.find(HOPS[0].encode(), i)
    return msg[:j] + b"hop1.examplf" + msg[j + 12:] if i >= 0 and j >= 0 else msg


def run(tmp):
    keys, txt, zone = make_keys(tmp)
    if not ok(keys is not None, "vouch keygen: keys for three hop domains"):
        return
    peer = Peer(txt)
    plans = []
    for n in (1, 2, 3):
        plans.append(("authheaders x%d" % n, ["a"] * n))
        plans.append(("vouch x%d" % n, ["v"] * n))
    plans.append(("authheaders, vouch", ["a", "v"]))
    plans.append(("vouch, authheaders, vouch", ["v", "a", "v"]))
    plans.append(("authheaders, vouch, authheaders", ["a", "v", "a"]))
    plans.append(("vouch ed25519 x3", ["ve"] * 3))
    for name, plan in plans:
        msg = BASE
        fail = None
        for k, who in enumerate(plan):
            dom = HOPS[k]
            alg = "ed25519" if who.endswith("e") else "rsa"
            try:
                if who.startswith("a"):
                    msg = peer.seal(msg, dom, keys)
                else:
                    out, err = vouch_seal(msg, dom, keys, zone, alg)
                    if out is None:
                        fail = "vouch arc seal at hop %d: %s" % (k + 1, err.strip())
                        break
                    msg = out
            except Exception as e:
                fail = "authheaders sealing hop %d raised %r" % (k + 1, e)
                break
        if not ok(fail is None, "%s: chain built" % name, fail or ""):
            continue
        got, doc = vouch_cv(msg, zone)
        ok(got == "pass" and doc["instances"][-1]["i"] == len(plan),
           "%s: vouch validates the chain (cv=pass, i=%d)" % (name, len(plan)), "got %s" % got)
        if "ed25519" in name:
            # dkimpy 1.0.5 (under authheaders 0.15.2) has no ed25519-sha256
            # for ARC, in either direction; the check fails once it has.
            cv, why = peer.cv_why(msg)
            ok(cv == "fail" and "unknown signature algorithm" in why,
               "%s: authheaders cannot validate ed25519-sha256 ARC (says: %s)" % (name, why),
               "got %s %s" % (cv, why))
            continue
        ok(peer.cv(msg) == "pass", "%s: authheaders validates the chain" % name,
           "got %s" % peer.cv(msg))
        for tname, fn in (("body changed", tamper_body), ("AAR i=1 changed", tamper_aar1)):
            bad = fn(msg)
            ok(bad != msg, "%s: %s: the copy differs" % (name, tname))
            got, doc = vouch_cv(bad, zone)
            ok(got == "fail", "%s, %s: vouch says cv=fail" % (name, tname), "got %s" % got)
            ok(peer.cv(bad) == "fail", "%s, %s: authheaders says fail" % (name, tname),
               "got %s" % peer.cv(bad))

    # Mail::DKIM, both ways: it validates vouch's chains and seals hops of
    # mixed chains (its cv= taken from the arc= vouch found, Chain => ar).
    md = MailDKIM(tmp, txt)
    for name, plan in (("Mail::DKIM x2", ["m", "m"]), ("vouch x3 for Mail::DKIM", ["v", "v", "v"]),
                       ("vouch, Mail::DKIM, vouch", ["v", "m", "v"]),
                       ("Mail::DKIM, authheaders, vouch", ["m", "a", "v"])):
        msg = BASE
        fail = None
        for k, who in enumerate(plan):
            try:
                if who == "m":
                    msg = md.seal(msg, HOPS[k], keys, vouch_cv(msg, zone)[0])
                elif who == "a":
                    msg = peer.seal(msg, HOPS[k], keys)
                else:
                    out, err = vouch_seal(msg, HOPS[k], keys, zone)
                    if out is None:
                        raise RuntimeError("vouch arc seal: " + err.strip())
                    msg = out
            except Exception as e:
                fail = "hop %d: %s" % (k + 1, e)
                break
        if not ok(fail is None, "%s: chain built" % name, fail or ""):
            continue
        got, doc = vouch_cv(msg, zone)
        ok(got == "pass" and len(doc["instances"]) == len(plan),
           "%s: vouch validates the chain (cv=pass, i=%d)" % (name, len(plan)), "got %s" % got)
        ok(md.cv(msg) == "pass", "%s: Mail::DKIM validates the chain" % name, "got %s" % md.cv(msg))
        bad = tamper_body(msg)
        got, doc = vouch_cv(bad, zone)
        ok(got == "fail", "%s, body changed: vouch says cv=fail" % name, "got %s" % got)
        ok(md.cv(bad) == "fail", "%s, body changed: Mail::DKIM says fail" % name, "got %s" % md.cv(bad))

    # The trusted-sealer hook (DMARC override) through the command: hop1
    # (authheaders) recorded spf=pass in its AAR.
    msg = peer.seal(BASE, HOPS[0], keys)
    for trusted, want in ((HOPS[0], True), ("other.example", False)):
        rc, out, err = vouch(["arc", "verify", "--json", "--zone", zone, "--trusted-sealer", trusted],
                             stdin=msg)
        try:
            ts = json.loads(out.decode())["trusted_sealer"]
        except (ValueError, KeyError):
            ts = None
        ok(ts is not None and ts["override"] == want and ts["spf"] == want and ts["trusted"] == want,
           "trusted sealer %s: DMARC override %s (authheaders' AAR says spf=pass)" % (trusted, want),
           "got %r" % ts)

    # A hop that changes the Subject: hop 2 (a list) tags it and seals.
    for who in ("authheaders", "vouch"):
        msg = peer.seal(BASE, HOPS[0], keys)
        if who == "authheaders":
            msg = peer.seal(msg, HOPS[1], keys, subject_tag=True)
        else:
            msg, err = vouch_seal(msg, HOPS[1], keys, zone, subject_tag=True)
        if not ok(msg is not None, "list hop by %s: chain built" % who):
            continue
        got, doc = vouch_cv(msg, zone)
        ok(got == "pass" and doc["oldest_pass"] == 2,
           "list hop by %s: vouch cv=pass, oldest-pass 2 (AMS i=1 broken by the Subject tag)" % who,
           "got %s oldest_pass %s" % (got, doc and doc["oldest_pass"]))
        ok(peer.cv(msg) == "pass", "list hop by %s: authheaders cv=pass" % who, "got %s" % peer.cv(msg))


if dkim is None:
    ok(False, "python3-authheaders importable", IMPORT_ERR)
else:
    tmp = scratch.mkdtemp("vouch-arc-interop-")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp)
done()
