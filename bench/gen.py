#!/usr/bin/python3
"""Make the benchmark's inputs in a directory (default bench-data/).

  keys:     rsa.pem (RSA-2048, PKCS#8 PEM), ed.pem (Ed25519, PKCS#8 PEM),
            ed.seed (the Ed25519 32-byte seed in base64, as dkimpy wants it)
  records:  zone (RFC 1035 master file for vouch), keys.txt ("name record"
            lines for libopendkim's DKIM_QUERY_FILE and the script drivers)
  messages: msg-<size>.eml, unsigned, CRLF line ends; and
            msg-<size>-<alg>.eml, the same signed relaxed/relaxed by dkimpy,
            which every verifier then checks;
            body-text.txt, 2 MiB of plain text lines alone, for timing the
            body canonicalizer on text rather than on base64.

The messages are deterministic (fixed random seed) and look like real mail:
a Received chain, the usual header fields, text lines with trailing and
doubled white space (work for relaxed canonicalization), a few long lines,
and from 20 KiB on a base64 attachment in a multipart/mixed body.
"""

import base64
import os
import random
import subprocess
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")
import dkim  # noqa: E402  (python3-dkim)

DOMAIN = "bench.example"
SELECTORS = {"rsa": "rsa2048", "ed": "ed25519"}
SIZES = {"2k": 2 * 1024, "20k": 20 * 1024, "200k": 200 * 1024,
         "2m": 2 * 1024 * 1024}
SIGNED = [b"from", b"to", b"cc", b"subject", b"date", b"message-id",
          b"mime-version", b"content-type"]

WORDS = ("the of and to in is that for it as was with be by on not he this "
         "are or his from at which but have an they you were her she there "
         "been one all we their has would when if so no will can more other "
         "delivery message mailbox relay signature header body domain "
         "selector server report policy quarterly invoice attached").split()


def openssl(*args):
    return subprocess.run(["openssl", *args], check=True,
                          capture_output=True).stdout


def make_keys(out):
    rsa = os.path.join(out, "rsa.pem")
    ed = os.path.join(out, "ed.pem")
    if not os.path.exists(rsa):
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt",
                "rsa_keygen_bits:2048", "-out", rsa)
    if not os.path.exists(ed):
        openssl("genpkey", "-algorithm", "ED25519", "-out", ed)
    rsa_spki = openssl("pkey", "-in", rsa, "-pubout", "-outform", "DER")
    ed_spki = openssl("pkey", "-in", ed, "-pubout", "-outform", "DER")
    ed_der = openssl("pkey", "-in", ed, "-outform", "DER")
    # The raw keys are the last 32 bytes of the DER structures (RFC 8410).
    ed_pub = ed_spki[-32:]
    ed_seed = ed_der[-32:]
    with open(os.path.join(out, "ed.seed"), "wb") as f:
        f.write(base64.b64encode(ed_seed) + b"\n")
    return {
        "rsa": "v=DKIM1; k=rsa; p=" + base64.b64encode(rsa_spki).decode(),
        "ed": "v=DKIM1; k=ed25519; p=" + base64.b64encode(ed_pub).decode(),
    }


def write_records(out, recs):
    with open(os.path.join(out, "keys.txt"), "w") as f:
        for alg, rec in recs.items():
            f.write("%s._domainkey.%s %s\n" % (SELECTORS[alg], DOMAIN, rec))
    with open(os.path.join(out, "zone"), "w") as f:
        f.write("$ORIGIN %s.\n$TTL 3600\n" % DOMAIN)
        for alg, rec in recs.items():
            parts = [rec[i:i + 250] for i in range(0, len(rec), 250)]
            f.write("%s._domainkey IN TXT ( %s )\n" % (
                SELECTORS[alg], " ".join('"%s"' % p for p in parts)))


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def text_lines(rng, nbytes):
    """Plain text: short lines, some with trailing or doubled blanks, a
    few long ones (up to 900 bytes, under the 998 of RFC 5322)."""
    lines = []
    total = 0
    while total < nbytes:
        r = rng.random()
        if r < 0.05:
            line = ""
        elif r < 0.08:
            line = sentence(rng, rng.randint(80, 140))[:900]
        else:
            line = sentence(rng, rng.randint(6, 13))
            if rng.random() < 0.2:
                line = line.replace(" ", "  ", 2)
            if rng.random() < 0.15:
                line += " \t "
        lines.append(line)
        total += len(line) + 2
    return lines


def headers(rng, name, multipart):
    h = []
    for i in range(3):
        h.append("Received: from relay%d.mx.%s (relay%d.mx.%s [192.0.2.%d])"
                 "\r\n\tby mx%d.example.net (Postfix) with ESMTPS id 4Q%08X"
                 "\r\n\tfor <bob@example.net>; Mon, 30 Nov 2026 08:%02d:%02d"
                 " +0000" % (i, DOMAIN, i, DOMAIN, 10 + i, i,
                             rng.getrandbits(32), i, 2 * i))
    h += [
        "From: Alice Example <alice@%s>" % DOMAIN,
        "To: Bob <bob@example.net>, \r\n    Carol <carol@example.net>",
        "Cc: list@lists.example.org",
        "Subject: Benchmark message %s:  quarterly report\r\n and figures"
        % name,
        "Date: Mon, 30 Nov 2026 08:00:00 +0000",
        "Message-ID: <%08x.%s@%s>" % (rng.getrandbits(32), name, DOMAIN),
        "MIME-Version: 1.0",
        "X-Mailer: bench-gen 1.0",
        "List-Id: Example list <list.lists.example.org>",
    ]
    if multipart:
        h.append('Content-Type: multipart/mixed;\r\n\tboundary="b1_%s"'
                 % name)
    else:
        h.append("Content-Type: text/plain; charset=utf-8")
        h.append("Content-Transfer-Encoding: 8bit")
    return h


def message(name, size):
    rng = random.Random(size)
    multipart = size >= 20 * 1024
    h = headers(rng, name, multipart)
    head = "\r\n".join(h) + "\r\n\r\n"
    budget = size - len(head)
    if not multipart:
        body = "\r\n".join(text_lines(rng, budget - 2)) + "\r\n"
    else:
        b = "b1_" + name
        text = "\r\n".join(text_lines(rng, min(8 * 1024, budget // 4)))
        pre = ("--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
               "--%s\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\n"
               "Content-Disposition: attachment; filename=\"r.pdf\"\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n" % (b, text, b))
        post = "--%s--\r\n" % b
        left = budget - len(pre) - len(post)
        nraw = left * 76 // 78 * 3 // 4
        raw = bytes(rng.getrandbits(8) for _ in range(nraw))
        enc = base64.b64encode(raw).decode()
        att = "".join(enc[i:i + 76] + "\r\n" for i in range(0, len(enc), 76))
        body = pre + att + post
    return (head + body).encode()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench-data"
    os.makedirs(out, exist_ok=True)
    recs = make_keys(out)
    write_records(out, recs)
    keys = {"rsa": open(os.path.join(out, "rsa.pem"), "rb").read(),
            "ed": open(os.path.join(out, "ed.seed"), "rb").read().strip()}
    algs = {"rsa": b"rsa-sha256", "ed": b"ed25519-sha256"}

    def dns(name, timeout=5):
        for alg, sel in SELECTORS.items():
            if name.decode().rstrip(".") == "%s._domainkey.%s" % (sel,
                                                                 DOMAIN):
                return recs[alg].encode()
        return None

    rng = random.Random(1)
    with open(os.path.join(out, "body-text.txt"), "wb") as f:
        f.write(("\r\n".join(text_lines(rng, SIZES["2m"])) + "\r\n").encode())
    for name, size in SIZES.items():
        msg = message(name, size)
        with open(os.path.join(out, "msg-%s.eml" % name), "wb") as f:
            f.write(msg)
        for alg in ("rsa", "ed"):
            sig = dkim.sign(msg, SELECTORS[alg].encode(), DOMAIN.encode(),
                            keys[alg], canonicalize=(b"relaxed", b"relaxed"),
                            include_headers=SIGNED,
                            signature_algorithm=algs[alg])
            signed = sig + msg
            if not dkim.verify(signed, dnsfunc=dns):
                sys.exit("gen.py: dkimpy cannot verify its own %s %s"
                         % (name, alg))
            with open(os.path.join(out, "msg-%s-%s.eml" % (name, alg)),
                      "wb") as f:
                f.write(signed)


if __name__ == "__main__":
    main()
