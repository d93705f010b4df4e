#!/usr/bin/python3
"""`vouch arc seal` as a command: the requests it refuses.  Each error
names the option, its value and the rule broken, and exits 64 (bad
options, vouch(1) EXIT STATUS); the message was once one and the same for
every refusal ("bad domain, selector, authserv-id, header name, or an
algorithm the key cannot make").  The rules are the library's
(vouch_arc_seal_req_check): RFC 6376 for d=, s= and header names, RFC 8617
§4.1.2 for the names the AMS never signs, RFC 8601 §2.2 for the
authserv-id.  A key made by `vouch keygen`, an empty zone: nothing here
looks anything up."""
import os
import re
import tempfile

from vtest import ok, done, vouch

DOMAIN = "example.org"
MSG = b"From: ann@example.org\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\nHello.\r\n"

# (name, option changed, its value, strings the error must hold)
REFUSALS = [
    ("-d with a space", "-d", "ex ample.org",
     ["vouch arc seal: -d ex ample.org: not a domain name"]),
    ("-d with an empty label", "-d", "example..org",
     ["vouch arc seal: -d example..org: not a domain name", "at most 63 bytes each"]),
    ("-d with a label over 63 bytes", "-d", "x" * 64 + ".org",
     ["vouch arc seal: -d %s: not a domain name" % ("x" * 64 + ".org")]),
    ("-s with a slash", "-s", "a/b",
     ["vouch arc seal: -s a/b: not a domain name"]),
    # RFC 8601 §2.2: the authserv-id is a value (a token here)
    ("--authserv-id with ';' (RFC 8601 §2.2)", "--authserv-id", "mx; dkim=pass",
     ["vouch arc seal: --authserv-id mx; dkim=pass: ", "not a token", "RFC 8601 §2.2"]),
    ("--authserv-id with a space", "--authserv-id", "mx example",
     ["vouch arc seal: --authserv-id mx example: ", "not a token"]),
    ("--authserv-id empty", "--authserv-id", "",
     ["vouch arc seal: --authserv-id : empty"]),
    # RFC 8617 §4.1.2: ARC fields and Authentication-Results are never
    # signed; the one bad name of the list is named
    ("-H with ARC-Seal (RFC 8617 §4.1.2)", "-H", "From:Subject:ARC-Seal",
     ["vouch arc seal: -H ARC-Seal: ", "RFC 8617 §4.1.2"]),
    ("-H with Authentication-Results (RFC 8617 §4.1.2)", "-H", "From:authentication-results",
     ["vouch arc seal: -H authentication-results: ", "RFC 8617 §4.1.2"]),
    ("-H with a name holding a space (RFC 5322 §3.6.8)", "-H", "From:Sub ject",
     ["vouch arc seal: -H Sub ject: not a header field name (RFC 5322 §3.6.8)"]),
    ("-H with no name", "-H", "::",
     ["vouch arc seal: -H ::: an empty name is not a header field name"]),
    # empty items were once dropped without a word (h=from:to, h=from)
    ("-H with an empty item (RFC 5322 §3.6.8)", "-H", "From::To",
     ["vouch arc seal: -H From::To: an empty name is not a header field name (RFC 5322 §3.6.8"]),
    ("-H ending with ':'", "-H", "From:",
     ["vouch arc seal: -H From:: an empty name"]),
    ("-H starting with ':'", "-H", ":From",
     ["vouch arc seal: -H :From: an empty name"]),
    # what arc verify refuses ("AMS: d= is not a domain name") is not
    # sealed: a final dot (RFC 6376 §3.5, the verifier's rule)
    ("-d with a final dot", "-d", "example.org.",
     ["vouch arc seal: -d example.org.: not a domain name: a final dot"]),
    ("-s with a final dot", "-s", "s1.",
     ["vouch arc seal: -s s1.: not a domain name: a final dot"]),
    # stricter than the verifier: RFC 5321 §4.1.2 / RFC 1035 §2.3.1
    ("-d label starting with '-'", "-d", "-example.org",
     ["vouch arc seal: -d -example.org: not a domain name: a label starts with '-'"]),
    ("-s ending with '-'", "-s", "s1-",
     ["vouch arc seal: -s s1-: not a domain name: a label ends with '-'"]),
    # the 65th name was once dropped without a word
    ("-H with 65 names", "-H", ":".join("X-N%d" % i for i in range(65)),
     ["vouch arc seal: -H X-N0:X-N1:", "X-N64: want 1 to 64 header names"]),
]


def seal(key, zone, over, extra):
    opts = {"-d": DOMAIN, "-s": "s1", "--authserv-id": "mx.example.org"}
    opts.update(over)
    args = ["arc", "seal", "-k", key, "--zone", zone]
    for k, v in opts.items():
        args += [k, v]
    return vouch(args + extra, stdin=MSG)


# Names the sealer takes, each sealed so that `vouch arc verify` passes
# the chain: (name, -d, -s, -H or None)
SEALED = [
    ("plain names", "example.org", "s1", None),
    ("'-' inside labels", "ex-ample.org", "s-1", None),
    ("'_' in s= (verifiers take it)", "example.org", "_s_1", None),
    ("-H From:To", "example.org", "s1", "From:To"),
]


def roundtrip(tmp, key, record):
    """What the sealer takes, its verifier passes."""
    for name, dom, sel, hl in SEALED:
        zone = os.path.join(tmp, "names.zone")
        with open(zone, "w") as f:
            f.write('%s._domainkey.%s. IN TXT "%s"\n' % (sel, dom, record))
        extra = ["--auth-results", "spf=pass"] + (["-H", hl] if hl else [])
        rc, out, err = seal(key, zone, {"-d": dom, "-s": sel}, extra)
        vrc, vout, verr = vouch(["arc", "verify", "--zone", zone], stdin=out)
        ok(rc == 0 and vrc == 0 and b"arc=pass" in vout,
           "sealed, and vouch arc verify passes it: " + name,
           "seal exit %d %r; verify exit %d %r %r" % (rc, err, vrc, vout, verr))


def key_errors(tmp, zone):
    """Key errors name the subcommand and -k; exit 74 or 65 as dkim sign."""
    bad = os.path.join(tmp, "bad.private")
    with open(bad, "w") as f:
        f.write("not a key\n")
    for name, path, want in [("missing key file", os.path.join(tmp, "none.private"), 74),
                             ("key file that does not parse", bad, 65)]:
        rc, out, err = seal(path, zone, {}, ["--auth-results", "spf=pass"])
        ok(rc == want and out == b"" and err.startswith("vouch arc seal: -k %s: " % path),
           "%s: exit %d, error names arc seal, -k and the file" % (name, want), "exit %d: %r" % (rc, err))


def run(tmp):
    rc, out, err = vouch(["keygen", "-t", "ed25519", "-d", DOMAIN, "-s", "s1", "-o", tmp])
    key = os.path.join(tmp, "s1.private")
    zone = os.path.join(tmp, "empty.zone")
    with open(zone, "w"):
        pass
    if not ok(rc == 0 and os.path.exists(key), "keygen makes the sealing key", err):
        return
    rc, out, err = seal(key, zone, {}, ["--auth-results", "spf=pass"])
    ok(rc == 0 and out.startswith(b"ARC-Seal: "), "a good request seals", "exit %d: %s" % (rc, err))
    msgs = {}
    for name, opt, val, want in REFUSALS:
        rc, out, err = seal(key, zone, {opt: val}, ["--auth-results", "spf=pass"])
        miss = [w for w in want if w not in err]
        ok(rc == 64 and out == b"" and not miss, "refused, naming option, value and rule: " + name,
           "exit %d, missing %r in %r" % (rc, miss, err))
        msgs.setdefault(opt, err)
    ok(len(set(msgs.values())) == 4, "wrong -d, -s, --authserv-id and -H give four different messages",
       repr(msgs))
    # without --auth-results vouch verifies the message itself: the
    # authserv-id is still refused first, by the same rule
    rc, out, err = seal(key, zone, {"--authserv-id": "mx;x"}, [])
    ok(rc == 64 and out == b"" and err.startswith("vouch arc seal: --authserv-id mx;x: ")
       and "not a token" in err, "--authserv-id refused before verifying the message",
       "exit %d: %r" % (rc, err))
    # 64 names is the limit, not past it
    rc, out, err = seal(key, zone, {"-H": ":".join(["From"] + ["X-N%d" % i for i in range(63)])},
                        ["--auth-results", "spf=pass"])
    ok(rc == 0 and out.startswith(b"ARC-Seal: "), "-H with 64 names seals", "exit %d: %s" % (rc, err))
    with open(os.path.join(tmp, "s1.txt")) as f:
        record = "".join(re.findall(r'"([^"]*)"', f.read()))
    roundtrip(tmp, key, record)
    key_errors(tmp, zone)


with tempfile.TemporaryDirectory(prefix="vouch-arc-seal-cli-") as tmpdir:
    run(tmpdir)
done()
