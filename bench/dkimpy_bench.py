#!/usr/bin/python3
"""dkimpy (Debian python3-dkim) signing and verifying the messages of
gen.py, one process, warm.

Usage: dkimpy_bench.py DATADIR SECONDS

Keys are read once; dkimpy parses the private key inside every dkim.sign()
and the public key inside every dkim.verify(), as its API does.  DNS is a
stub (dnsfunc) answering from keys.txt.  Prints "dkimpy SIZE ALG OP RATE"
lines like the C drivers (best of three rounds), then "check SIZE ALG
vouch-sign pass|FAIL" for each message vouch_bench signed.
"""

import os
import sys
import time

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import dkim  # noqa: E402

SIZES = ["2k", "20k", "200k", "2m"]
SELECTORS = {"rsa": b"rsa2048", "ed": b"ed25519"}
ALGS = {"rsa": b"rsa-sha256", "ed": b"ed25519-sha256"}
HEADERS = [b"from", b"to", b"cc", b"subject", b"date", b"message-id",
           b"mime-version", b"content-type"]


def rate(fn, seconds):
    fn()
    best = 0.0
    for _ in range(3):
        n = 0
        t0 = time.process_time()
        while True:
            fn()
            n += 1
            t = time.process_time()
            if t - t0 >= seconds / 3:
                break
        best = max(best, n / (t - t0))
    return best


def main():
    d, seconds = sys.argv[1], float(sys.argv[2])
    records = {}
    with open(os.path.join(d, "keys.txt"), "rb") as f:
        for line in f:
            name, rec = line.rstrip(b"\n").split(b" ", 1)
            records[name] = rec

    def dnsfunc(name, timeout=5):
        return records.get(name.rstrip(b"."))

    keys = {"rsa": open(os.path.join(d, "rsa.pem"), "rb").read(),
            "ed": open(os.path.join(d, "ed.seed"), "rb").read().strip()}
    for size in SIZES:
        for alg in ("rsa", "ed"):
            signed = open(os.path.join(d, "msg-%s-%s.eml" % (size, alg)),
                          "rb").read()

            def verify():
                if not dkim.verify(signed, dnsfunc=dnsfunc):
                    sys.exit("dkimpy: %s %s does not verify" % (size, alg))

            print("dkimpy %s %s verify %.1f" % (size, alg,
                                                rate(verify, seconds)),
                  flush=True)
            msg = open(os.path.join(d, "msg-%s.eml" % size), "rb").read()

            def sign():
                dkim.sign(msg, SELECTORS[alg], b"bench.example", keys[alg],
                          canonicalize=(b"relaxed", b"relaxed"),
                          include_headers=HEADERS,
                          signature_algorithm=ALGS[alg])

            print("dkimpy %s %s sign %.1f" % (size, alg, rate(sign, seconds)),
                  flush=True)

    # The messages vouch_bench signed: do the signatures it timed verify?
    for size in SIZES:
        for alg in ("rsa", "ed"):
            p = os.path.join(d, "vouch-msg-%s-%s.eml" % (size, alg))
            if os.path.exists(p):
                ok = dkim.verify(open(p, "rb").read(), dnsfunc=dnsfunc)
                print("check %s %s vouch-sign %s" % (
                    size, alg, "pass" if ok else "FAIL"), flush=True)


if __name__ == "__main__":
    main()
