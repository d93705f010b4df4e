#!/usr/bin/python3
"""`vouch keygen` and `vouch dkim sign` as commands: files, modes, refusals,
several signatures in one pass, line ends, pipes, and memory on a 100 MiB
message.  The signatures are checked by dkimpy (an independent verifier).
"""
import base64
import os
import re
import shutil
import stat
import subprocess
import time

import scratch
from vtest import ok, skip, done, vouch, VOUCH, SANITIZED

try:
    import dkim
except ImportError:
    dkim = None

DOMAIN = "cli.example"
MSG = (b"From: Ann <ann@cli.example>\r\nTo: bob@example.org\r\nSubject: hello\r\n"
       b"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <1@cli.example>\r\n\r\n"
       b"Hello.\r\n")


def record_value(rec):
    return "".join(re.findall(r'"([^"]*)"', rec))


def dkimpy_verdict(msg, txt, idx=0):
    if dkim is None:
        return "python3-dkim missing"
    try:
        r = dkim.DKIM(msg).verify(idx=idx, dnsfunc=lambda n, timeout=5: txt.get(n.decode().rstrip("."), "").encode())
        return "pass" if r else "fail"
    except Exception as e:
        return "error %r" % e


def keygen_checks(tmp):
    txt = {}
    rc, out, err = vouch(["keygen", "--help"])
    ok(rc == 0 and b"SELECTOR.private" in out and b"SELECTOR.txt" in out and b"0600" in out,
       "keygen --help names the files it writes")
    rc, out, err = vouch(["keygen", "-t", "rsa", "-d", DOMAIN, "-s", "r1", "-o", tmp])
    priv, pub = os.path.join(tmp, "r1.private"), os.path.join(tmp, "r1.txt")
    ok(rc == 0 and os.path.exists(priv) and os.path.exists(pub), "keygen rsa writes two files", err)
    if rc != 0:
        return None
    mode = stat.S_IMODE(os.stat(priv).st_mode)
    ok(mode == 0o600, "keygen private key mode 0600", "got %o" % mode)
    pem = open(priv, "rb").read()
    ok(pem.startswith(b"-----BEGIN PRIVATE KEY-----\n"), "keygen private key is PEM PKCS#8")
    bits = subprocess.run(["openssl", "pkey", "-in", priv, "-noout", "-text"], stdout=subprocess.PIPE).stdout
    ok(b"(2048 bit" in bits, "keygen rsa default is 2048 bits", bits[:40].decode(errors="replace"))
    rec = open(pub).read()
    ok(out.decode() == rec, "keygen prints the record it writes")
    ok(rec.startswith("r1._domainkey.%s. IN TXT ( \"v=DKIM1; k=rsa; p=" % DOMAIN) and rec.endswith(" )\n"),
       "keygen rsa record is a zone-file line", rec[:80])
    ok(all(len(s) <= 255 for s in re.findall(r'"([^"]*)"', rec)), "keygen strings of <= 255 bytes (RFC 1035 §3.3.14)")
    txt["r1._domainkey." + DOMAIN] = record_value(rec)

    rc, out, err = vouch(["keygen", "-t", "rsa", "-d", DOMAIN, "-s", "r1", "-o", tmp])
    ok(rc == 74 and open(priv, "rb").read() == pem and "exists" in err,
       "keygen refuses to overwrite an existing key", "exit %d: %s" % (rc, err))
    rc, out, err = vouch(["keygen", "-t", "rsa", "-b", "512", "-d", DOMAIN, "-s", "small", "-o", tmp])
    # RFC 8301 §3.2: at least 1024 bits
    ok(rc == 64 and not os.path.exists(os.path.join(tmp, "small.private")),
       "keygen -b 512 refused (RFC 8301 §3.2)", "exit %d" % rc)
    rc, out, err = vouch(["keygen", "-t", "dsa", "-d", DOMAIN, "-s", "x", "-o", tmp])
    ok(rc == 64, "keygen -t dsa refused", "exit %d" % rc)
    rc, out, err = vouch(["keygen", "-t", "rsa", "-s", "x", "-o", tmp])
    ok(rc == 64, "keygen without -d refused", "exit %d" % rc)
    rc, out, err = vouch(["keygen", "-t", "rsa", "-b", "1024", "-d", DOMAIN, "-s", "r1024", "-o", tmp])
    ok(rc == 0, "keygen -b 1024 accepted", err)

    rc, out, err = vouch(["keygen", "-t", "ed25519", "-d", DOMAIN, "-s", "e1", "-o", tmp])
    ok(rc == 0, "keygen ed25519", err)
    if rc == 0:
        rec = out.decode()
        v = record_value(rec)
        m = re.search(r"p=([A-Za-z0-9+/=]+)", v)
        # RFC 8463 §4.2: p= is the raw 32-byte public key
        ok("k=ed25519;" in v and m is not None and len(base64.b64decode(m.group(1))) == 32,
           "keygen ed25519 record has k=ed25519 and a 32-byte p= (RFC 8463 §4.2)", v)
        txt["e1._domainkey." + DOMAIN] = v
    return txt


def sign_checks(tmp, txt):
    src = os.path.join(tmp, "msg.eml")
    with open(src, "wb") as f:
        f.write(MSG)
    rsa, ed = os.path.join(tmp, "r1.private"), os.path.join(tmp, "e1.private")
    rc, out, err = vouch(["dkim", "sign", "--help"])
    ok(rc == 0 and b"-d ex.com -s r1 -k rsa.pem -d ex.com -s e1" in out, "dkim sign --help shows several signatures")

    two = ["dkim", "sign", "-d", DOMAIN, "-s", "r1", "-k", rsa, "-d", DOMAIN, "-s", "e1", "-k", ed,
           "--time", "1764500000"]
    rc, out, err = vouch(two + [src])
    fields = re.findall(rb"(?m)^DKIM-Signature:", out)
    ok(rc == 0 and len(fields) == 2 and out.endswith(MSG), "two signatures in one pass", err)
    first, second = out.find(b"s=r1;"), out.find(b"s=e1;")
    ok(0 < first < second and b"a=rsa-sha256" in out[:second] and b"a=ed25519-sha256" in out[second - 200:],
       "signatures in the order given, a= inferred from each key")
    ok(dkimpy_verdict(out, txt, 0) == "pass", "dkimpy verifies the rsa-sha256 signature",
       dkimpy_verdict(out, txt, 0))
    ok(dkimpy_verdict(out, txt, 1) == "pass", "dkimpy verifies the ed25519-sha256 signature",
       dkimpy_verdict(out, txt, 1))
    lines = out[:out.find(b"From:")].split(b"\r\n")
    ok(all(len(l.expandtabs(8)) < 78 for l in lines), "fields folded under 78 columns",
       "%d" % max(len(l.expandtabs(8)) for l in lines))

    # the same through a pipe (spooled, then copied): same bytes
    p = subprocess.run([VOUCH] + two, input=MSG, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ok(p.returncode == 0 and p.stdout.endswith(MSG) and p.stdout.count(b"DKIM-Signature:") == 2,
       "signing from a pipe", p.stderr.decode())
    ed_only = ["dkim", "sign", "-d", DOMAIN, "-s", "e1", "-k", ed, "--time", "1764500000"]
    a = vouch(ed_only + [src])[1]
    b = subprocess.run([VOUCH] + ed_only, input=MSG, stdout=subprocess.PIPE).stdout
    ok(a == b and a != b"", "pipe and file give the same signed message (ed25519 is deterministic)")

    lf = MSG.replace(b"\r\n", b"\n")
    lfp = os.path.join(tmp, "lf.eml")
    with open(lfp, "wb") as f:
        f.write(lf)
    rc, out, err = vouch(ed_only + [lfp])
    ok(rc == 0 and b"\r" not in out and out.endswith(lf), "LF-only input: the new field has LF too", err)
    ok(out[:-len(lf)].replace(b"\n", b"\r\n") == a[:-len(MSG)],
       "LF-only input: the same signature as CRLF (bare LF taken as CRLF)")

    rc, out, err = vouch(["dkim", "sign", "-d", DOMAIN, "-s", "r1", "-k", os.path.join(tmp, "nokey.pem"), src])
    ok(rc == 74 and err.startswith("vouch dkim sign: -k ") and "nokey.pem" in err and out == b"",
       "missing key file: exit 74, error names -k and the file",
       "exit %d: %s" % (rc, err))
    rc, out, err = vouch(["dkim", "sign", "-d", DOMAIN, "-s", "r1", "-k", rsa, os.path.join(tmp, "nomsg.eml")])
    ok(rc == 74 and "nomsg.eml" in err and out == b"", "missing message file: exit 74, error names it",
       "exit %d: %s" % (rc, err))
    rc, out, err = vouch(["dkim", "sign", "-d", DOMAIN, "-s", "r1", src])
    ok(rc == 64, "no -k: usage error", "exit %d" % rc)
    rc, out, err = vouch(["dkim", "sign", "-d", DOMAIN, "-s", "r1", "-k", rsa, "-a", "rsa-sha1", src])
    # RFC 8301 §3.1: rsa-sha1 must not be used for signing
    ok(rc == 64 and "rsa-sha1" in err, "-a rsa-sha1 refused (RFC 8301 §3.1)", "exit %d" % rc)
    rc, out, err = vouch(["dkim", "sign", "-d", DOMAIN, "-s", "r1", "-k", rsa, "-i", "ann@other.example", src])
    ok(rc == 64, "-i outside -d refused (RFC 6376 §3.5)", "exit %d: %s" % (rc, err))
    refusal_checks(tmp, src, rsa, ed)
    now = int(time.time())
    rc, out, err = vouch(["dkim", "sign", "-d", DOMAIN, "-s", "r1", "-k", rsa, "-x", "3600", "-i",
                          "ann@cli.example", "-c", "simple/simple", "--time", str(now), src])
    ok(rc == 0 and b"x=%d;" % (now + 3600) in out and b"i=ann@cli.example;" in out and b"c=simple/simple;" in out,
       "-x, -i and -c reach the signature", err)
    ok(dkimpy_verdict(out, txt) == "pass", "dkimpy verifies the -x/-i/-c signature", dkimpy_verdict(out, txt))


# Requests the signer refuses: each error names the option, its value and
# the rule, and exits 64 (bad options, vouch(1) EXIT STATUS).  The message
# was once one and the same for all of them.
REFUSALS = [
    # (name, extra arguments, key, strings the error must hold)
    ("-a ed25519-sha256 with an RSA key", ["-a", "ed25519-sha256"], "rsa",
     ["-a ed25519-sha256 with -k ", "r1.private", "RSA key", "rsa-sha256 only"]),
    ("-a rsa-sha256 with an Ed25519 key (RFC 8463)", ["-a", "rsa-sha256"], "ed",
     ["-a rsa-sha256 with -k ", "e1.private", "Ed25519 key", "ed25519-sha256 only"]),
    # RFC 6376 §3.5: i= is d= or a subdomain of it
    ("-i outside -d (RFC 6376 §3.5)", ["-i", "ann@other.example"], "rsa",
     ["-i ann@other.example with -d cli.example:", "not the same as d= or a subdomain", "§3.5"]),
    ("-i in a look-alike of -d (RFC 6376 §3.5)", ["-i", "ann@xcli.example"], "rsa",
     ["-i ann@xcli.example with -d cli.example:", "not the same as d= or a subdomain"]),
    ("-i without '@' (RFC 6376 §3.5)", ["-i", "cli.example"], "rsa",
     ["-i cli.example with -d cli.example:", "[local-part]@domain"]),
    ("-i with ';'", ["-i", "a;b@cli.example"], "rsa",
     ["-i a;b@cli.example with -d cli.example:", "without ';' or '='"]),
]
BAD_DOMAINS = [
    # (name, -d value)
    ("-d with a space", "cli example"),
    ("-d with an empty label", "cli..example"),
    ("-d with a label over 63 bytes", "x" * 64 + ".example"),
    ("-d with a non-ASCII byte", "cl\u00ef.example"),
]


def refusal_checks(tmp, src, rsa, ed):
    keys = {"rsa": rsa, "ed": ed}
    msgs = []
    for name, args, key, want in REFUSALS:
        rc, out, err = vouch(["dkim", "sign", "-d", DOMAIN, "-s", "r1", "-k", keys[key]] + args + [src])
        miss = [w for w in want if w not in err]
        ok(rc == 64 and out == b"" and not miss, "refused, naming option, value and rule: " + name,
           "exit %d, missing %r in %r" % (rc, miss, err))
        msgs.append(err)
    for name, dom in BAD_DOMAINS:
        rc, out, err = vouch(["dkim", "sign", "-d", dom, "-s", "r1", "-k", rsa, src])
        ok(rc == 64 and out == b"" and err.startswith("vouch dkim sign: -d %s: not a domain name" % dom),
           "refused, naming option, value and rule: " + name, "exit %d: %r" % (rc, err))
        msgs.append(err)
    rc, out, err = vouch(["dkim", "sign", "-d", DOMAIN, "-s", "r 1", "-k", rsa, src])
    ok(rc == 64 and err.startswith("vouch dkim sign: -s r 1: not a domain name"),
       "refused, naming option, value and rule: -s with a space", "exit %d: %r" % (rc, err))
    ok(len(set(msgs[0:1] + msgs[2:3] + msgs[len(REFUSALS):len(REFUSALS) + 1])) == 3,
       "wrong -a, -i and -d give three different messages", repr(msgs))
    # several signatures: the one refused is named
    rc, out, err = vouch(["dkim", "sign", "-d", DOMAIN, "-s", "r1", "-k", rsa, "-d", DOMAIN, "-s", "e1",
                          "-k", ed, "-i", "ann@other.example", src])
    ok(rc == 64 and "-i ann@other.example with -d cli.example (signature 2):" in err,
       "of several signatures, the refused one is named", "exit %d: %r" % (rc, err))


# What the signer takes it signs so that `vouch dkim verify` passes it, and
# what the verifier refuses ("bad domain in d=", "bad selector in s=",
# "key name too long") it refuses with the rule (exit 64).
# (name, -d, -s, None if signed, else the option and rule named)
LONG_D = ".".join(["a" * 59, "b" * 59, "c" * 59, "d" * 60])  # 240 bytes
NAME_ROWS = [
    ("plain names", "cli.example", "e1", None),
    ("'-' inside labels", "c-li.example", "e-1", None),
    ("'_' in s= (verifiers take it)", "cli.example", "_e_1", None),
    ("'_' in d= (verifiers take it)", "_x.cli.example", "e1", None),
    ("a key name of 253 bytes", LONG_D[:-7], "brisbane", None),
    # the verifier's rule: no final dot ("bad domain in d=", RFC 6376 §3.5)
    ("-d with a final dot", "cli.example.", "e1", "-d cli.example.: not a domain name: a final dot"),
    ("-s with a final dot", "cli.example", "e1.", "-s e1.: not a domain name: a final dot"),
    # the verifier's rule: a name it can look up ("key name too long")
    ("a key name of 260 bytes", LONG_D, "brisbane", "-s brisbane: the key's name SELECTOR._domainkey.DOMAIN is longer"),
    # stricter than our verifier: RFC 5321 §4.1.2 / RFC 1035 §2.3.1 labels
    ("-d label starting with '-'", "-cli.example", "e1", "-d -cli.example: not a domain name: a label starts with '-'"),
    ("-d label ending with '-'", "cli-.example", "e1", "-d cli-.example: not a domain name: a label ends with '-'"),
    ("-s ending with '-'", "cli.example", "e1-", "-s e1-: not a domain name: a label ends with '-'"),
]


def roundtrip_checks(tmp, src, ed, txt):
    """Every name signed verifies with vouch's own verifier."""
    for name, dom, sel, refused in NAME_ROWS:
        rc, out, err = vouch(["dkim", "sign", "-d", dom, "-s", sel, "-k", ed, src])
        if refused is not None:
            ok(rc == 64 and out == b"" and err.startswith("vouch dkim sign: " + refused),
               "not signed, as the verifier would refuse it: " + name, "exit %d: %r" % (rc, err))
            continue
        zone = os.path.join(tmp, "names.zone")
        with open(zone, "w") as f:
            f.write('%s._domainkey.%s. IN TXT "%s"\n' % (sel, dom, txt["e1._domainkey." + DOMAIN]))
        sp = os.path.join(tmp, "names.eml")
        with open(sp, "wb") as f:
            f.write(out)
        vrc, vout, verr = vouch(["dkim", "verify", "--zone", zone, sp])
        pas = re.search(rb"dkim=pass\s+header\.d=%s\s" % re.escape(dom.encode()), vout)
        ok(rc == 0 and vrc == 0 and pas is not None,
           "signed, and vouch dkim verify passes it: " + name,
           "sign exit %d %r; verify exit %d %r %r" % (rc, err, vrc, vout, verr))


def memory_check(tmp):
    """Signing a 100 MiB message keeps RSS under 16 MiB (the body streams)."""
    if SANITIZED:
        skip("100 MiB message signed in under 16 MiB RSS", "sanitizer shadow memory counts in RSS")
        return
    big = os.path.join(tmp, "big.eml")
    line = b"0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ  \t 0123456789\r\n"
    with open(big, "wb") as f:
        f.write(MSG.split(b"\r\n\r\n")[0] + b"\r\n\r\n")
        chunk = line * (1024 * 1024 // len(line))
        for _ in range(100):
            f.write(chunk)
    ed = os.path.join(tmp, "e1.private")
    with open(os.devnull, "wb") as null:
        p = subprocess.run(["/usr/bin/time", "-f", "%M", VOUCH, "dkim", "sign", "-d", DOMAIN, "-s", "e1",
                            "-k", ed, big], stdout=null, stderr=subprocess.PIPE)
    try:
        kib = int(p.stderr.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        kib = -1
    ok(p.returncode == 0 and 0 < kib < 16 * 1024, "100 MiB message signed in under 16 MiB RSS",
       "exit %d, %d KiB" % (p.returncode, kib))


def main():
    tmp = scratch.mkdtemp("vouch-sign-cli-")
    try:
        txt = keygen_checks(tmp)
        if txt is not None:
            sign_checks(tmp, txt)
            roundtrip_checks(tmp, os.path.join(tmp, "msg.eml"), os.path.join(tmp, "e1.private"), txt)
            memory_check(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    done()


if __name__ == "__main__":
    main()
