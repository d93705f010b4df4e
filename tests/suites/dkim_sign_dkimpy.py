#!/usr/bin/python3
"""vouch dkim sign on dkimpy's test data (../shared/testsuites/dkim/dkimpy).

What dkimpy's own tests do with these files (its README summary), with
vouch as the signer and both dkimpy and vouch as verifiers:
  - test.message signed with test.private as test._domainkey.example.com
    under the four canonicalization pairs, and with l=: passes; with "foo"
    appended to the body: fails (l= excepted);
  - test_extra.message and message.mbox (repeated/extra fields): pass;
  - test_nofrom.message: signing refused (RFC 6376 §5.4: From MUST be signed);
  - rfc6376.msg signed with rfc8032_7_1.key as
    brisbane._domainkey.football.example.com verifies against the RFC 8463
    A.2 record; ed25519test.msg with ed25519test.key against
    ed25519test.dns.
And the output is the input byte for byte after the new field.
"""
import json
import os
import re
import shutil

import scratch
from vtest import ok, done, shared, vouch

try:
    import dkim
except ImportError:
    dkim = None

D = shared("testsuites", "dkim", "dkimpy")
RFC8463_BRISBANE = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="


def read(name):
    with open(os.path.join(D, name), "rb") as f:
        return f.read()


def txt_of(name):
    return read(name).decode().strip()


KEYS = {
    "test._domainkey.example.com": txt_of("test.txt"),
    "brisbane._domainkey.football.example.com": RFC8463_BRISBANE,
    "ed25519test._domainkey.example.com": txt_of("ed25519test.dns"),
}


def zone_file(tmp):
    p = os.path.join(tmp, "dkimpy.zone")
    with open(p, "w") as f:
        f.write("$TTL 300\n")
        for name, value in KEYS.items():
            strings = " ".join('"%s"' % value[i:i + 255] for i in range(0, len(value), 255))
            f.write("%s. IN TXT ( %s )\n" % (name, strings))
    return p


def dkimpy_verdict(msg):
    if dkim is None:
        return "python3-dkim missing"
    try:
        return "pass" if dkim.DKIM(msg).verify(
            dnsfunc=lambda n, timeout=5: KEYS.get(n.decode().rstrip("."), "").encode()) else "fail"
    except dkim.ValidationError as e:
        return "fail (%s)" % e
    except Exception as e:
        return "error %r" % e


def vouch_verdict(tmp, zone, msg):
    """The result of the first (topmost: ours) signature by vouch dkim verify."""
    p = os.path.join(tmp, "verify.eml")
    with open(p, "wb") as f:
        f.write(msg)
    rc, out, err = vouch(["dkim", "verify", "--zone", zone, "--json", p])
    try:
        return json.loads(out.decode("utf-8", "replace"))["signatures"][0]["result"]
    except (ValueError, KeyError, IndexError, TypeError):
        return "no verdict (exit %d: %s)" % (rc, err.strip()[:150])


def sign(args, name):
    rc, out, err = vouch(["dkim", "sign"] + args + [os.path.join(D, name)])
    return rc, out, err


def check_signed(tmp, zone, label, rc, out, err, orig, want="pass"):
    if not ok(rc == 0, "%s: signed" % label, "exit %d: %s" % (rc, err)):
        return
    ok(out.startswith(b"DKIM-Signature:") and out.endswith(orig) and len(out) > len(orig),
       "%s: output is the new field, then the input byte for byte" % label)
    got = dkimpy_verdict(out)
    ok(got.startswith(want), "%s: dkimpy verifies: %s" % (label, want), "got %s" % got)
    got = vouch_verdict(tmp, zone, out)
    ok(got == want, "%s: vouch verifies: %s" % (label, want), "got %s" % got)


def main():
    tmp = scratch.mkdtemp("vouch-sign-dkimpy-")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    done()


def run(tmp):
    zone = zone_file(tmp)
    rsa = ["-d", "example.com", "-s", "test", "-k", os.path.join(D, "test.private")]
    msg = read("test.message")
    for canon in ("simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"):
        rc, out, err = sign(rsa + ["-c", canon], "test.message")
        check_signed(tmp, zone, "test.message %s" % canon, rc, out, err, msg)
        if rc == 0:
            # dkimpy's test: "foo" appended after signing must fail
            got = dkimpy_verdict(out + b"foo")
            ok(got.startswith("fail"), "test.message %s: foo appended: dkimpy fails" % canon, "got %s" % got)
            got = vouch_verdict(tmp, zone, out + b"foo")
            ok(got == "fail", "test.message %s: foo appended: vouch fails" % canon, "got %s" % got)

    rc, out, err = sign(rsa + ["-l"], "test.message")
    check_signed(tmp, zone, "test.message with l=", rc, out, err, msg)
    m = re.search(rb"l=(\d+);", out)
    ok(m is not None and int(m.group(1)) == len(msg.split(b"\n\n", 1)[1].replace(b"\n", b"\r\n")),
       "test.message l= counts the canonical body", "got %r" % (m and m.group(0)))

    for name in ("test_extra.message", "message.mbox"):
        orig = read(name)
        rc, out, err = sign(rsa, name)
        check_signed(tmp, zone, name, rc, out, err, orig)

    rc, out, err = sign(rsa, "test_nofrom.message")
    # RFC 6376 §5.4: the From header field MUST be signed
    ok(rc == 65 and out == b"" and "From" in err and "test_nofrom.message" in err,
       "test_nofrom.message: signing refused, the error names the file and From (RFC 6376 §5.4)",
       "exit %d, %d bytes out, %s" % (rc, len(out), err.strip()))

    rc, out, err = sign(["-d", "football.example.com", "-s", "brisbane", "-k",
                         os.path.join(D, "rfc8032_7_1.key")], "rfc6376.msg")
    check_signed(tmp, zone, "rfc6376.msg ed25519 as brisbane (RFC 8463 A.2 key)", rc, out, err,
                 read("rfc6376.msg"))
    ok(b"a=ed25519-sha256;" in out, "rfc6376.msg: a= inferred from the key: ed25519-sha256")

    rc, out, err = sign(["-d", "example.com", "-s", "ed25519test", "-k",
                         os.path.join(D, "ed25519test.key"), "-a", "ed25519-sha256"], "ed25519test.msg")
    check_signed(tmp, zone, "ed25519test.msg with ed25519test.key", rc, out, err, read("ed25519test.msg"))

    rc, out, err = sign(["-d", "example.com", "-s", "test", "-k", os.path.join(D, "ed25519test.key"),
                         "-a", "rsa-sha256"], "test.message")
    ok(rc == 64 and out == b"", "rsa-sha256 asked with an ed25519 key: refused", "exit %d: %s" % (rc, err))


if __name__ == "__main__":
    main()
