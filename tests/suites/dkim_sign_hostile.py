#!/usr/bin/python3
"""Hostile input through `vouch dkim sign`: each gives a signed message or a
clear error (exit 65 with a reason naming the file), never a crash or a hang
(a signal or a timeout fails the check).
"""
import os
import shutil

import scratch
from vtest import ok, done, vouch

FROM = b"From: a@hostile.example\r\n"


def cases():
    yield "empty file", b"", 65, "From"
    yield "binary junk", bytes(range(256)) * 64, 65, ""
    yield "NUL bytes in a field and the body", FROM + b"Subject: a\x00b\r\n\r\nx\x00y\r\n", 0, ""
    yield "only a body", b"\r\n\r\nbody\r\n", 65, "From"
    yield "100,000 header fields", FROM + b"X-A: b\r\n" * 100000 + b"\r\nbody\r\n", 65, "header"
    yield "10 MiB header line", FROM + b"X-Long: " + b"a" * (10 * 1024 * 1024) + b"\r\n\r\nx\r\n", 65, "header"
    yield "no body separator", FROM + b"Subject: s", 0, ""
    # a CR not before LF is an ordinary byte (as the verifier reads it)
    yield "bare CR line ends", FROM.replace(b"\r\n", b"\r") + b"\rbody\r", 0, ""
    yield "field without a colon", FROM + b"this is not a field\r\n\r\nx\r\n", 65, ""
    yield "continuation first", b" folded\r\n" + FROM + b"\r\nx\r\n", 65, ""
    yield "From with folding only", b"From:\r\n \r\n\r\nx\r\n", 0, ""


def main():
    tmp = scratch.mkdtemp("vouch-sign-hostile-")
    try:
        key = os.path.join(tmp, "e.private")
        rc, out, err = vouch(["keygen", "-t", "ed25519", "-d", "hostile.example", "-s", "e", "-o", tmp])
        if not ok(rc == 0, "keygen for the hostile inputs", err):
            return
        for name, data, want, word in cases():
            p = os.path.join(tmp, "m.eml")
            with open(p, "wb") as f:
                f.write(data)
            try:
                rc, out, err = vouch(["dkim", "sign", "-d", "hostile.example", "-s", "e", "-k", key, p],
                                     timeout=120)
            except Exception as e:  # timeout
                ok(False, "sign %s" % name, "no answer: %r" % e)
                continue
            if want == 0:
                ok(rc == 0 and out.startswith(b"DKIM-Signature:") and out.endswith(data),
                   "sign %s: signed, input unchanged after the field" % name, "exit %d: %s" % (rc, err.strip()))
            else:
                ok(rc == want and out == b"" and "m.eml" in err and word in err,
                   "sign %s: refused with a reason (exit %d)" % (name, want),
                   "exit %d, %d bytes out: %s" % (rc, len(out), err.strip()[:200]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    done()


if __name__ == "__main__":
    main()
