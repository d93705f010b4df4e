#!/usr/bin/python3
"""The SPF council's conformance suites (openspf.org, via pyspf), read
unmodified from ../shared/testsuites/spf/ and run through `vouch spf`.

Each scenario's zonedata becomes a temporary RFC 1035 zone file (SPF-type
records copied to TXT unless the name has TXT data or `TXT: NONE`, as the
suite's README asks; `TIMEOUT` becomes the `$TIMEOUT` directive), and each
test is one counted check: `vouch spf --json` must give one of the listed
results and, when the test names one, the explanation (the default
explanation is set to the literal DEFAULT, as the reference drivers do).

rfc7208-tests.yml is the authority.  rfc4408-tests.yml runs as a secondary
check; the cases whose expected result RFC 7208 changed are listed in
RFC7208_CHANGED with the reason, and are checked against the RFC 7208
result instead (the check line says so).  Each RFC 7208 result is also
one the RFC 4408 suite accepted, so no case is dropped, only narrowed.
"""
import json
import os
import sys
import tempfile

import yaml

import vtest

# Test name -> (RFC 7208 result list, reason).  Each reason cites the
# RFC 7208 text (or the RFC 7208 suite's CHANGES) that changed the answer.
RFC7208_CHANGED = {
    "txtonly": (["fail"],
                "RFC 7208 3.1/4.4: only TXT is queried (RFC 4408 also allowed none for SPF-type-only checkers)"),
    "spfonly": (["none"],
                "RFC 7208 3.1/4.4: only TXT is queried, a type-99-only policy is none"),
    "spftimeout": (["fail"],
                   "RFC 7208 3.1/4.4: only TXT is queried, the type-99 timeout is never seen"),
    "txttimeout": (["temperror"],
                   "RFC 7208 4.4: the TXT query timing out is temperror; type 99 is never asked"),
    "nospftxttimeout": (["temperror"],
                        "RFC 7208 4.4: the TXT query timing out is temperror; type 99 is never asked"),
    "spfoverride": (["fail"],
                    "RFC 7208 4.5: type-99 records no longer override TXT"),
    "multitxt1": (["permerror"],
                  "RFC 7208 4.5: two v=spf1 TXT records are permerror; no type-99 override"),
    "multispf2": (["pass"],
                  "RFC 7208 3.1/4.4: the conflicting type-99 records are never asked"),
    "exists-dnserr": (["temperror"],
                      "RFC 7208 5: a DNS timeout in a mechanism is temperror (4408 left fail open)"),
    "cidr6-0-ip4": (["neutral"],
                    "RFC 7208 5: an IPv4 client never matches ip6, not even ::/0"),
    "cidr6-ip4": (["neutral"],
                  "RFC 7208 5: an IPv4-mapped client is IPv4 and never matches ip6"),
    "mx-limit": (["permerror"],
                 "RFC 7208 4.6.4: more than 10 MX names is permerror "
                 "(rfc7208-tests.CHANGES: 'Changed mx-limit test to produce permerror')"),
}

# Explanations compared without regard to case, with the reason.
CASE_FREE_EXPLANATION = {
    "v-macro-ip6": "RFC 7208 7.3 does not fix the case of the IPv6 nibbles of %{i}/%{ir}; "
                   "the RFC's own example (7.4) writes them in lower case, the suite's "
                   "driver (pyspf) in upper case",
}


def as_bytes(s):
    """YAML text to the bytes the suite means (\\xNN escapes are octets)."""
    if isinstance(s, bytes):
        return s
    out = bytearray()
    for ch in str(s):
        o = ord(ch)
        if o < 256:
            out.append(o)
        else:
            out += ch.encode("utf-8")
    return bytes(out)


def zone_name(name):
    """An absolute owner or target name, escaped for a master file."""
    b = as_bytes(name)
    if not b.endswith(b"."):
        b += b"."
    out = []
    for c in b:
        if c in b' ;()"\\$@' or c < 0x21 or c > 0x7e:
            out.append("\\%03d" % c)
        else:
            out.append(chr(c))
    return "".join(out)


def txt_strings(value):
    """TXT rdata: one or more quoted character-strings (at most 255 octets)."""
    parts = value if isinstance(value, list) else [value]
    if not parts:
        return '""'
    out = []
    for part in parts:
        b = as_bytes(part)
        chunks = [b[i:i + 255] for i in range(0, len(b), 255)] or [b""]
        for ch in chunks:
            s = []
            for c in ch:
                if c == 0x22 or c == 0x5c or c < 0x20 or c > 0x7e:
                    s.append("\\%03d" % c)
                else:
                    s.append(chr(c))
            out.append('"' + "".join(s) + '"')
    return " ".join(out)


def write_zone(zonedata, path):
    lines = ["$ORIGIN .", "$TTL 300"]
    for name, records in (zonedata or {}).items():
        owner = zone_name(name)
        has_txt = False
        no_synth = False
        spf = []
        body = []
        timeout = False
        for rec in records or []:
            if rec == "TIMEOUT":
                timeout = True
                break  # records after the marker are never answered
            (rtype, val), = rec.items()
            if rtype == "TXT" and val == "NONE":
                no_synth = True
            elif rtype == "TXT":
                has_txt = True
                body.append("%s IN TXT %s" % (owner, txt_strings(val)))
            elif rtype == "SPF":
                spf.append(val)
                body.append("%s IN SPF %s" % (owner, txt_strings(val)))
            elif rtype == "A" or rtype == "AAAA":
                body.append("%s IN %s %s" % (owner, rtype, val))
            elif rtype == "MX":
                pref, target = val
                body.append("%s IN MX %d %s" % (owner, pref, zone_name(target) if target else "."))
            elif rtype in ("PTR", "CNAME"):
                body.append("%s IN %s %s" % (owner, rtype, zone_name(val)))
            else:
                raise ValueError("unknown record type %s" % rtype)
        if not has_txt and not no_synth:
            for val in spf:
                body.append("%s IN TXT %s" % (owner, txt_strings(val)))
        lines += body
        if timeout:
            lines.append("$TIMEOUT %s" % owner)
    with open(path, "w", encoding="ascii") as fp:
        fp.write("\n".join(lines) + "\n")


def run_suite(fname, label, changed):
    path = vtest.shared("testsuites", "spf", fname)
    with open(path, "rb") as fp:
        docs = list(yaml.safe_load_all(fp))
    with tempfile.TemporaryDirectory() as tmp:
        for n, scen in enumerate(docs):
            if not scen:
                continue
            zpath = os.path.join(tmp, "zone%d.db" % n)
            write_zone(scen.get("zonedata"), zpath)
            for tname, t in scen["tests"].items():
                want = t["result"] if isinstance(t["result"], list) else [t["result"]]
                note = ""
                if changed and tname in RFC7208_CHANGED:
                    want, why = RFC7208_CHANGED[tname]
                    note = " (RFC 7208 expectation: %s)" % why
                args = ["spf", "--json", "--zone", zpath, "--ip", str(t["host"]),
                        "--mail-from", as_bytes(t["mailfrom"]).decode("latin-1"),
                        "--helo", as_bytes(t["helo"]).decode("latin-1"),
                        "--receiver", "mx.receiver.example",
                        "--default-explanation", "DEFAULT"]
                name = "%s/%s%s" % (label, tname, note)
                try:
                    rc, out, err = vtest.vouch(args, timeout=60)
                except Exception as e:  # a hang is a failure
                    vtest.ok(False, name, "vouch did not finish: %s" % e)
                    continue
                if rc != 0:
                    vtest.ok(False, name, "exit %d: %s" % (rc, err.strip()[-300:]))
                    continue
                got = json.loads(out.decode("utf-8", "replace"))
                why = ""
                good = got["result"] in want
                if not good:
                    why = "got %s, want %s (%s)" % (got["result"], "|".join(want), got.get("reason", ""))
                if good and "explanation" in t and not note and got["result"] == "fail":
                    wexp = str(t["explanation"])
                    gexp = got["explanation"]
                    if tname in CASE_FREE_EXPLANATION:
                        good = gexp is not None and gexp.lower() == wexp.lower()
                        name += " (explanation case-free: %s)" % CASE_FREE_EXPLANATION[tname]
                    else:
                        good = gexp == wexp
                    if not good:
                        why = "explanation %r, want %r" % (gexp, wexp)
                vtest.ok(good, name, why)


def main():
    run_suite("rfc7208-tests.yml", "rfc7208", False)
    run_suite("rfc4408-tests.yml", "rfc4408", True)
    vtest.done()


if __name__ == "__main__":
    main()
