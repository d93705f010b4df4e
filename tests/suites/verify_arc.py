#!/usr/bin/python3
"""ARC in the receiver's verdict: `vouch verify` on messages sealed by
`vouch arc seal` over 1 to 3 hops (RFC 8617).

Every hop is played as an ARC-enabled intermediary does it: on arrival it
runs `vouch verify` under its own authserv-id (the Authentication-Results
field it prepends records spf=, dkim=, arc= and dmarc= as it saw them), a
mailing-list hop then tags the Subject and appends a footer (which breaks
the author's DKIM signature and every older ARC-Message-Signature), and
the hop seals with `vouch arc seal --copy-auth-results --cv CV`, CV being
the arc= result its own field recorded.  The final receiver runs
`vouch verify`.

What each check wants is derived from the plan of hops, not from vouch's
output: an AMS verifies when no hop after it changed the message, so
oldest-pass (RFC 8617 §5.2 step 5) is the newest modifying hop above i=1,
or 0 when every AMS verifies; DKIM passes when no hop changed the message.
Checked: arc=pass with smtp.remote-ip and header.oldest-pass, arc=fail for
tampered chains, arc=none without ARC fields; the chain in --json (i=,
seal and AMS domain and selector, validity, cv) agreeing with `vouch arc
verify`; the trusted-sealer override (RFC 8617 §7.2.1) on and off; --explain;
every field read back by `vouch authres parse` and by python3-authres.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import vtest
from vtest import ok, skip, vouch

sys.path.insert(0, "/usr/lib/python3/dist-packages")
try:
    import authres
except ImportError:
    authres = None

ID = "mx.receiver.example"
SIGNED_AT = 1796000000
NOW = SIGNED_AT + 600

# The hops: (sealing domain, selector, the address the hop sends from,
# its HELO name, its MAIL FROM).  Each selector is distinct, so the JSON's
# selectors say which key sealed which set.
HOPS = {
    "fwd": ("fwd.example", "fw1", "198.51.100.10", "out.fwd.example", "srs@fwd.example"),
    "list": ("lists.example.org", "ls1", "203.0.113.20", "out.lists.example.org",
             "bounce@lists.example.org"),
    "relay": ("relay.example", "rl1", "192.0.2.200", "out.relay.example", "bounce@relay.example"),
}
# The author's MTA, which DKIM-signs for example.com and sends from here.
ORIGIN = ("192.0.2.10", "mx.example.com")

ZONE = """$ORIGIN .
$TTL 300
example.com. TXT "v=spf1 ip4:192.0.2.0/25 -all"
_dmarc.example.com. TXT "v=DMARC1; p=reject"
monitor.example. TXT "v=spf1 ip4:192.0.2.0/25 -all"
_dmarc.monitor.example. TXT "v=DMARC1; p=none"
fwd.example. TXT "v=spf1 ip4:198.51.100.10 -all"
lists.example.org. TXT "v=spf1 ip4:203.0.113.20 -all"
relay.example. TXT "v=spf1 ip4:192.0.2.200 -all"
"""


def sh(args, stdin=None):
    rc, out, err = vouch(args, stdin=stdin)
    if rc != 0:
        raise RuntimeError("vouch %s: exit %d: %s" % (" ".join(args), rc, err.strip()))
    return out


class World:
    """Keys, the zone file and the hops, in one temporary directory."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.keys = {}
        records = []
        for dom, sel in [("example.com", "s1"), ("monitor.example", "s1")] + \
                [(h[0], h[1]) for h in HOPS.values()]:
            d = os.path.join(tmp, dom)
            os.makedirs(d, exist_ok=True)
            sh(["keygen", "-t", "rsa", "-b", "1024", "-d", dom, "-s", sel, "-o", d])
            self.keys[dom] = os.path.join(d, sel + ".private")
            records.append(open(os.path.join(d, sel + ".txt")).read())
        self.zone = os.path.join(tmp, "zone.db")
        with open(self.zone, "w") as f:
            f.write(ZONE + "\n".join(records) + "\n")
        self.n = 0

    def path(self, data):
        self.n += 1
        p = os.path.join(self.tmp, "msg%d.eml" % self.n)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def verify_args(self, ip, helo, mail_from, authserv_id=ID):
        return ["verify", "--zone", self.zone, "--authserv-id", authserv_id, "--now", str(NOW),
                "--ip", ip, "--helo", helo, "--mail-from", mail_from]


def original(from_domain="example.com", body=None, sign=True, w=None):
    msg = (b"From: Alice <alice@" + from_domain.encode() + b">\r\n"
           b"To: list@lists.example.org\r\n"
           b"Subject: ARC in the verdict\r\n"
           b"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
           b"Message-ID: <verify-arc@example.com>\r\n"
           b"\r\n" + (body if body is not None else b"Hello list,\r\n\r\nan ARC test.\r\n"))
    if sign:
        msg = sh(["dkim", "sign", "--time", str(SIGNED_AT), "-d", from_domain, "-s", "s1",
                  "-k", w.keys[from_domain]], stdin=msg)
    return msg


def list_change(msg):
    """What a mailing list does: a Subject tag and a footer."""
    msg = msg.replace(b"\r\nSubject: ", b"\r\nSubject: [list] ", 1)
    return msg + b"-- \r\nlist footer: https://lists.example.org/\r\n"


def first_field(out):
    """The first Authentication-Results field of out, with its folding."""
    m = re.match(rb"Authentication-Results:[^\n]*\n(?:[ \t][^\n]*\n)*", out)
    return m.group(0) if m else b""


def parse(out):
    """The first A-R field of out read back by `vouch authres parse`:
    (authserv-id, [(method, result, reason, props)]), or None."""
    rc, js, _ = vouch(["authres", "parse"], stdin=out)
    try:
        f = json.loads(js.decode())[0]
    except (ValueError, IndexError, KeyError):
        return None
    return (f["authserv_id"], [(r["method"], r["result"], r["reason"], r["props"])
                               for r in f["results"]])


def unquote(v):
    m = re.match(r'^"((?:[^"\\]|\\.)*)"(@.*)?$', v)
    if m:
        v = m.group(1) + (m.group(2) or "")
    return re.sub(r"\\(.)", r"\1", v)


def parse_python(field):
    text = field.decode("utf-8").replace("\r\n", "\n").replace("\n ", " ").replace("\n\t", "\t")
    h = authres.AuthenticationResultsHeader.parse(text.rstrip("\n"))
    return (h.authserv_id, [(r.method, r.result, unquote(r.reason) if r.reason is not None else None,
                             {"%s.%s" % (p.type, p.name): unquote(p.value) for p in r.properties})
                            for r in h.results])


def result(parsed, method):
    """The (result, reason, props) of the first result of a method."""
    for m, r, reason, props in (parsed[1] if parsed else []):
        if m == method:
            return r, reason, props
    return None, None, {}


def hop(w, msg, name, prev, modify):
    """One intermediary: verify on arrival from `prev` (ip, helo, mail
    from), change the message if a list, seal.  Returns the sealed message
    and the arc= it recorded on arrival."""
    dom, sel = HOPS[name][0], HOPS[name][1]
    received = sh(w.verify_args(prev[0], prev[1], prev[2], authserv_id=dom), stdin=msg)
    cv, _, _ = result(parse(received), "arc")
    if cv not in ("none", "pass", "fail"):
        raise RuntimeError("hop %s: its vouch verify recorded no arc= result" % name)
    if modify:
        received = list_change(received)
    sealed = sh(["arc", "seal", "-d", dom, "-s", sel, "-k", w.keys[dom], "--authserv-id", dom,
                 "--copy-auth-results", "--cv", cv, "--time", str(SIGNED_AT + 60),
                 "--zone", w.zone], stdin=received)
    return sealed, cv


def build(w, plan, from_domain="example.com", sign=True, origin=None):
    """A message through the hops of `plan`: [(hop name, modifies)]."""
    msg = original(from_domain, sign=sign, w=w)
    prev = origin or (ORIGIN[0], ORIGIN[1], "alice@" + from_domain)
    cvs = []
    for name, modify in plan:
        msg, cv = hop(w, msg, name, prev, modify)
        cvs.append(cv)
        prev = (HOPS[name][2], HOPS[name][3], HOPS[name][4])
    return msg, prev, cvs


def model(plan):
    """What RFC 8617 makes of the plan: per instance, whether its AMS
    verifies (no later hop changed the message), and oldest-pass."""
    ams = [not any(m for _, m in plan[i + 1:]) for i in range(len(plan))]
    broken = [i + 1 for i, good in enumerate(ams) if not good]
    oldest = max(broken) + 1 if broken else 0
    return ams, oldest


def verify(w, msg, last, extra=()):
    rc, out, err = vouch(w.verify_args(*last) + list(extra) + [w.path(msg)])
    return rc, out, err


def json_of(w, msg, last, extra=()):
    rc, out, err = vouch(w.verify_args(*last) + list(extra) + ["--json"], stdin=msg)
    try:
        return json.loads(out.decode())
    except ValueError:
        return None


def explain_of(w, msg, last, extra=()):
    rc, out, _ = vouch(w.verify_args(*last) + list(extra) + ["--explain"], stdin=msg)
    return out.decode("utf-8", "replace") if rc == 0 else ""


def check_field(name, out, msg):
    """The output: our field first, parsing back in both parsers, then the
    message byte for byte.  Returns vouch's parse or None."""
    field = first_field(out)
    ok(out.startswith(b"Authentication-Results: " + ID.encode()) and out[len(field):] == msg,
       "%s: field first, then the message byte for byte" % name)
    got = parse(out)
    if not ok(got is not None and got[0] == ID, "%s: field parses (vouch authres parse)" % name,
              repr(field[:200])):
        return None
    if authres is not None:
        try:
            py = parse_python(field)
            good, why = py == got, "python3-authres %r, vouch %r" % (py, got)
        except Exception as e:
            good, why = False, "%s: %s" % (type(e).__name__, e)
        ok(good, "%s: python3-authres reads the same field" % name, why)
    return got


def chains(w):
    plans = [
        ("1 hop, a list", [("list", True)]),
        ("2 hops, forwarder then list", [("fwd", False), ("list", True)]),
        ("3 hops, forwarder, list, relay", [("fwd", False), ("list", True), ("relay", False)]),
        ("3 hops, list, forwarder, list", [("list", True), ("fwd", False), ("list", True)]),
        ("2 hops, forwarders only", [("fwd", False), ("relay", False)]),
    ]
    built = {}
    for name, plan in plans:
        try:
            msg, last, cvs = build(w, plan)
        except RuntimeError as e:
            ok(False, "%s: chain built" % name, str(e))
            continue
        built[name] = (msg, last, plan)
        want_cvs = ["none"] + ["pass"] * (len(plan) - 1)
        ok(cvs == want_cvs, "%s: each hop's own vouch verify recorded arc=%s on arrival"
           % (name, "/".join(want_cvs)), "got %s" % cvs)
        ams, oldest = model(plan)
        modified = any(m for _, m in plan)
        rc, out, err = verify(w, msg, last)
        if not ok(rc == 0, "%s: vouch verify exit 0" % name, err.strip()):
            continue
        got = check_field(name, out, msg)
        if got is None:
            continue
        r, reason, props = result(got, "arc")
        ok(r == "pass", "%s: arc=pass" % name, "got arc=%s (%s)" % (r, reason))
        ok(props.get("smtp.remote-ip") == last[0],
           "%s: arc= smtp.remote-ip=%s (RFC 8617 §10.2)" % (name, last[0]), "got %r" % props)
        ok(props.get("header.oldest-pass") == str(oldest),
           "%s: header.oldest-pass=%d (RFC 8617 §5.2 step 5)" % (name, oldest), "got %r" % props)
        dk, _, _ = result(got, "dkim")
        ok(dk == ("fail" if modified else "pass"),
           "%s: the author's DKIM signature %s" % (name, "broken by the list" if modified else "intact"),
           "got dkim=%s" % dk)
        dm, _, dprops = result(got, "dmarc")
        ok(dm == ("fail" if modified else "pass") and
           dprops.get("policy.dmarc") == ("reject" if modified else "none"),
           "%s: without a trusted sealer DMARC is %s" % (name, "fail, policy.dmarc=reject"
                                                         if modified else "pass"),
           "got dmarc=%s %r" % (dm, dprops))
        order = [m for m, _, _, _ in got[1]]
        ok("arc" in order and order.index("arc") < order.index("dmarc"),
           "%s: one arc result, before dmarc" % name, "got %s" % order)
        doc = json_of(w, msg, last)
        if not ok(doc is not None and doc.get("arc") is not None, "%s: --json has arc" % name):
            continue
        a = doc["arc"]
        ok(a["result"] == "pass" and a["oldest_pass"] == oldest and a["reason"] == "",
           "%s: --json arc result pass, oldest_pass %d" % (name, oldest), "got %r" % {
               k: a[k] for k in ("result", "oldest_pass", "reason")})
        want = [dict(i=k + 1, cv=want_cvs[k], seal=(HOPS[h][0], HOPS[h][1], True),
                     ams=(HOPS[h][0], HOPS[h][1], ams[k])) for k, (h, _) in enumerate(plan)]
        have = [dict(i=s["i"], cv=s["cv"], seal=(s["seal"]["d"], s["seal"]["s"], s["seal"]["valid"]),
                     ams=(s["ams"]["d"], s["ams"]["s"], s["ams"]["valid"])) for s in a["chain"]]
        ok(have == want, "%s: --json chain: i=, cv, seal and AMS d=/s= and validity per set" % name,
           "got %r, want %r" % (have, want))
        # the standalone validator reads the same message the same way
        rc, js, _ = vouch(["arc", "verify", "--json", "--zone", w.zone], stdin=msg)
        try:
            alone = json.loads(js.decode())
        except ValueError:
            alone = {}
        ok(alone.get("cv") == a["result"] and alone.get("oldest_pass") == a["oldest_pass"] and
           [s["ams"]["valid"] for s in alone.get("instances", [])] == ams,
           "%s: vouch arc verify agrees (cv, oldest-pass, AMS validity)" % name,
           "got %r" % alone)
    return built


def drop_field(msg, name, instance):
    """msg without the `name` field of ARC instance `instance`."""
    for f in re.finditer(rb"(?m)^" + name + rb":[^\n]*\n(?:[ \t][^\n]*\n)*", msg):
        if re.search(rb"(?:^|[;\s])i=%d;" % instance, f.group(0)[len(name) + 1:]):
            return msg[:f.start()] + msg[f.end():]
    return msg


def tampered(w, built):
    msg, last, plan = built["2 hops, forwarder then list"]
    cases = [
        ("body changed after the last seal", lambda m: m.replace(b"an ARC test.", b"an ARC tesT.", 1)),
        ("ARC-Seal i=2 cv=pass changed to cv=none",
         lambda m: re.sub(rb"(ARC-Seal: [^\n]*\n(?:[ \t][^\n]*\n)*?[^\n]*)cv=pass", rb"\1cv=none", m, 1)),
        ("AAR i=1 changed", lambda m: m.replace(b"ARC-Authentication-Results: i=1; fwd.example",
                                                b"ARC-Authentication-Results: i=1; fwd.examplf", 1)),
        ("ARC-Seal i=2 removed", lambda m: drop_field(m, b"ARC-Seal", 2)),
    ]
    for name, fn in cases:
        name = "tampered chain, " + name
        bad = fn(msg)
        if not ok(bad != msg, "%s: the copy differs" % name):
            continue
        rc, out, err = verify(w, bad, last)
        got = check_field(name, out, bad) if rc == 0 else None
        r, reason, props = result(got, "arc")
        ok(r == "fail" and reason, "%s: arc=fail with a reason" % name, "got arc=%s %r" % (r, reason))
        ok("header.oldest-pass" not in props and props.get("smtp.remote-ip") == last[0],
           "%s: no header.oldest-pass, smtp.remote-ip kept" % name, "got %r" % props)
        # RFC 8617 §5.2: a failed chain is as no chain: nothing to trust
        doc = json_of(w, bad, last, ["--trusted-sealer", "lists.example.org"])
        ok(doc is not None and doc["arc"]["result"] == "fail" and not doc["arc"]["dmarc_override"] and
           doc["dmarc"]["disposition"] == "reject" and doc["arc"]["trusted_sealer"] is None,
           "%s: a trusted sealer in a failed chain overrides nothing" % name,
           "got %r" % ((doc and (doc["arc"], doc["dmarc"]["disposition"])),))
    text = explain_of(w, cases[0][1](msg), last)
    ok("ARC chain that did not validate" in text, "tampered chain: --explain says the chain did not validate",
       text)


def no_arc(w):
    msg = original(w=w)
    last = (ORIGIN[0], ORIGIN[1], "alice@example.com")
    rc, out, err = verify(w, msg, last)
    got = check_field("no ARC fields", out, msg) if rc == 0 else None
    r, reason, props = result(got, "arc")
    ok(r == "none" and "header.oldest-pass" not in props and props.get("smtp.remote-ip") == last[0],
       "no ARC fields: arc=none smtp.remote-ip, no oldest-pass", "got arc=%s %r" % (r, props))
    doc = json_of(w, msg, last, ["--trusted-sealer", "lists.example.org"])
    ok(doc is not None and doc["arc"]["result"] == "none" and doc["arc"]["chain"] == [] and
       doc["dmarc"]["result"] == "pass", "no ARC fields: --json arc none, empty chain, DMARC pass",
       "got %r" % (doc and doc["arc"]))
    text = explain_of(w, msg, last)
    words = text[len(first_field(text.encode())):]
    ok(words.startswith("DMARC pass") and not re.search(r"\bARC\b", words),
       "no ARC fields, DMARC pass: --explain does not mention ARC", text)


def override(w, built):
    msg, last, plan = built["2 hops, forwarder then list"]
    # off by default
    doc = json_of(w, msg, last)
    ok(doc is not None and doc["dmarc"]["result"] == "fail" and doc["dmarc"]["disposition"] == "reject"
       and doc["dmarc"]["override"] != "local_policy" and not doc["arc"]["dmarc_override"]
       and doc["arc"]["override_comment"] is None and doc["arc"]["trusted_sealer"] is None,
       "override off by default: DMARC fail, disposition reject", "got %r" % (doc and doc["dmarc"]))
    text = explain_of(w, msg, last)
    ok("valid ARC chain sealed by lists.example.org, which saw" in text and "dkim=pass" in text and
       "not a trusted ARC sealer" in text,
       "no trusted sealer: --explain names the chain's sealer, what it saw, and that it is not trusted", text)

    # on: the list sealed i=2 and its AAR (its own field on arrival) says dkim=pass
    on = ["--trusted-sealer", "other.example", "--trusted-sealer", "lists.example.org"]
    rc, out, err = verify(w, msg, last, on)
    got = check_field("trusted sealer lists.example.org", out, msg) if rc == 0 else None
    dm, _, dprops = result(got, "dmarc")
    ok(dm == "fail" and dprops.get("policy.dmarc") == "none",
       "trusted sealer: A-R keeps dmarc=fail, policy.dmarc=none (the disposition)",
       "got dmarc=%s %r" % (dm, dprops))
    flat = re.sub(rb"\r?\n[ \t]", b" ", first_field(out)).decode()
    ok(re.search(r"override=local_policy: ARC set i=2 sealed by lists\.example\.org, which saw[^)]*dkim=pass",
                 flat) is not None,
       "trusted sealer: the dmarc comment names the override, ARC and the sealer", flat)
    doc = json_of(w, msg, last, on)
    a = doc and doc["arc"]
    ok(doc is not None and doc["dmarc"]["result"] == "fail" and doc["dmarc"]["disposition"] == "none"
       and doc["dmarc"]["override"] == "local_policy" and a["dmarc_override"],
       "trusted sealer: --json dmarc result fail, disposition none, override local_policy",
       "got %r" % (doc and doc["dmarc"]))
    ts = a and a["trusted_sealer"]
    ok(ts is not None and ts["sealer"] == "lists.example.org" and ts["instance"] == 2 and ts["dkim"]
       and ts["dmarc"], "trusted sealer: --json names the sealer, i=2, and its recorded passes",
       "got %r" % ts)
    comment = (a and a["override_comment"]) or ""
    want = "arc=pass as[2].d=lists.example.org as[2].s=ls1 as[1].d=fwd.example as[1].s=fw1 " \
           "remote-ip[1]=" + ORIGIN[0]
    ok(comment == want, "trusted sealer: the report comment of RFC 8617 §7.2.2", "got %r, want %r"
       % (comment, want))
    text = explain_of(w, msg, last, on)
    ok("lists.example.org is a trusted ARC sealer" in text and "disposition is none" in text,
       "trusted sealer: --explain says the disposition is none by local policy", text)

    # the name compared without case, a trailing dot allowed
    doc = json_of(w, msg, last, ["--trusted-sealer", "LISTS.Example.ORG."])
    ok(doc is not None and doc["dmarc"]["disposition"] == "none",
       "trusted sealer LISTS.Example.ORG.: same override", "got %r" % (doc and doc["dmarc"]))
    # a sealer not in the chain, or a subdomain: nothing
    for other in ("other.example", "mail.lists.example.org"):
        doc = json_of(w, msg, last, ["--trusted-sealer", other])
        ok(doc is not None and doc["dmarc"]["disposition"] == "reject" and not doc["arc"]["dmarc_override"],
           "trusted sealer %s (not in the chain): no override" % other, "got %r" % (doc and doc["dmarc"]))
    # only the older sealer is trusted: the list's set i=2 came after it,
    # sealed by a domain not trusted, and the list changed the message
    # (AMS i=1 no longer verifies): fwd.example's word no longer describes
    # this message, no override (RFC 8617 7.2.1; doc/threat-model.md
    # class 6; this used to override)
    doc = json_of(w, msg, last, ["--trusted-sealer", "fwd.example"])
    ok(doc is not None and doc["dmarc"]["disposition"] == "reject" and not doc["arc"]["dmarc_override"]
       and "not a trusted sealer" in (doc["arc"]["override_reason"] or ""),
       "trusted sealer fwd.example (i=1), untrusted list after it: no override, and why",
       "got %r" % ((doc and (doc["dmarc"]["disposition"], doc["arc"]["override_reason"])),))
    # both trusted: the list's set i=2 vouches
    doc = json_of(w, msg, last, ["--trusted-sealer", "fwd.example", "--trusted-sealer", "lists.example.org"])
    ts = doc and doc["arc"]["trusted_sealer"]
    ok(doc is not None and doc["dmarc"]["disposition"] == "none" and ts["sealer"] == "lists.example.org"
       and ts["instance"] == 2, "trusted sealers fwd.example and lists.example.org: set i=2 vouches",
       "got %r" % ts)

    # a trusted sealer that saw no pass: an unsigned message from an
    # address example.com's SPF does not list, forwarded by fwd.example
    try:
        msg2, last2, _ = build(w, [("fwd", False)], sign=False,
                               origin=("203.0.113.99", "bad.example", "alice@example.com"))
        doc = json_of(w, msg2, last2, ["--trusted-sealer", "fwd.example"])
    except RuntimeError as e:
        doc = None
        ok(False, "unsigned message forwarded by fwd.example: chain built", str(e))
    ts = doc and doc["arc"]["trusted_sealer"]
    ok(doc is not None and doc["arc"]["result"] == "pass" and ts is not None and not
       (ts["spf"] or ts["dkim"] or ts["dmarc"]) and doc["dmarc"]["disposition"] == "reject"
       and not doc["arc"]["dmarc_override"],
       "trusted sealer whose AAR records no pass: no override", "got %r" % (doc and doc["arc"]))

    # p=none: the disposition is none already, there is nothing to override
    try:
        msg3, last3, _ = build(w, [("list", True)], from_domain="monitor.example")
        doc = json_of(w, msg3, last3, ["--trusted-sealer", "lists.example.org"])
    except RuntimeError as e:
        doc = None
        ok(False, "monitor.example message through the list: chain built", str(e))
    ok(doc is not None and doc["dmarc"]["result"] == "fail" and doc["dmarc"]["disposition"] == "none"
       and doc["dmarc"]["override"] != "local_policy" and not doc["arc"]["dmarc_override"],
       "p=none: a trusted sealer changes nothing (no override reported)",
       "got %r" % (doc and doc["dmarc"]))


def usage(w, built):
    rc, out, _ = vouch(["verify", "--help"])
    ok(rc == 0 and b"--trusted-sealer" in out and b"local_policy" in out,
       "vouch verify --help describes --trusted-sealer")
    msg, last, _ = built["1 hop, a list"]
    for bad in ("not a domain", "a..b", ""):
        rc, _, err = vouch(w.verify_args(*last) + ["--trusted-sealer", bad, w.path(msg)])
        ok(rc == 64 and "sealer" in err, "--trusted-sealer %r: exit 64" % bad, "exit %d: %s" % (rc, err))


def memory(w):
    """A 40 MiB message with a 2-hop chain: arc=pass, RSS flat (the body
    is hashed for DKIM and ARC on one pass, never held)."""
    if vtest.SANITIZED:
        skip("40 MiB ARC-sealed message: RSS", "not measured under sanitizers (shadow memory)")
        return
    line = b"0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ  \t 0123456789\r\n"
    big = os.path.join(w.tmp, "big.eml")
    src = os.path.join(w.tmp, "big-src.eml")
    with open(src, "wb") as f:
        f.write(original(body=b"", sign=False, w=w))
        chunk = line * (1024 * 1024 // len(line))
        for _ in range(40):
            f.write(chunk)
    for name in ("fwd", "relay"):
        dom, sel = HOPS[name][0], HOPS[name][1]
        with open(src, "rb") as i, open(big, "wb") as o:
            p = subprocess.run([vtest.VOUCH, "arc", "seal", "-d", dom, "-s", sel, "-k", w.keys[dom],
                                "--authserv-id", dom, "--auth-results", "spf=pass smtp.mailfrom=a@example.com",
                                "--zone", w.zone], stdin=i, stdout=o)
        os.replace(big, src)
    if not ok(p.returncode == 0, "40 MiB message sealed twice"):
        return
    args = [vtest.VOUCH] + w.verify_args(HOPS["relay"][2], HOPS["relay"][3], HOPS["relay"][4])
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + args + ["--header-only", src],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        kib = int(p.stderr.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        kib = -1
    ok(p.returncode == 0 and b"arc=pass" in p.stdout and 0 < kib < 16 * 1024,
       "40 MiB message, 2 ARC sets: arc=pass in under 16 MiB RSS",
       "exit %d, %d KiB, %r" % (p.returncode, kib, p.stdout[:300]))
    os.unlink(src)


def main():
    if authres is None:
        ok(False, "python3-authres importable", "install python3-authres (scripts/install-deps)")
    with tempfile.TemporaryDirectory() as tmp:
        w = World(tmp)
        built = chains(w)
        if "2 hops, forwarder then list" in built:
            tampered(w, built)
            override(w, built)
        no_arc(w)
        if "1 hop, a list" in built:
            usage(w, built)
        memory(w)
    vtest.done()


main()
