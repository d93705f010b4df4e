#!/usr/bin/python3
"""vouchd refuses, at `vouchd -t`, at its start and at a reload (SIGHUP), a
configuration whose ARC sealing request or DKIM signing request the
library would refuse for every message (vouch_arc_seal_req_check,
vouch_dkim_sign_req_check): an ARCSealDomain or ARCSealSelector that is
not a domain name, an AuthservID that is not a MIME token when ARC sealing
writes it into the AAR (RFC 8601 §2.2, RFC 8617 §4.1.1), a SignHeaders
list without From (RFC 6376 §5.4) or with a name that is no header field
name (RFC 5322 §3.6.8).  Such a file used to pass `vouchd -t` ("configuration
OK") and every message then went unsealed or unsigned.  Each error names
"FILE:LINE: " of the directive to mend, as vouchd's other errors do.  A
reload with such a file is refused and the old configuration keeps
sealing."""
import os
import subprocess
import time

import vtest
from vtest import ok
from milterclient import (ProtocolLab, Vouchd, MilterError, message as msg, send,
                          vouchd_binary)

LAB = ProtocolLab(vtest, "vouchd-req-", "")
TMP = LAB.tmp
CONF = os.path.join(TMP, "check.conf")
HEAD = "# vouchd -t: requests\nSocket unix:%s/x.sock\nSyslog no\n\n" % TMP  # 4 lines


def check(body):
    """Writes HEAD + body to CONF, runs vouchd -t; (exit status, stdout, stderr)."""
    with open(CONF, "w") as f:
        f.write(HEAD + body)
    p = subprocess.run([vouchd_binary(), "-t", "-c", CONF], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def line_of(path, name):
    """The line of the file at path where the directive `name` is."""
    with open(path) as f:
        for i, l in enumerate(f.read().splitlines(), 1):
            if l.split() and l.split()[0] == name:
                return i
    raise KeyError(name)


def expect(what, body, directive, words):
    rc, out, err = check(body)
    want = "vouchd: %s:%d: " % (CONF, line_of(CONF, directive))
    errs = [l for l in err.splitlines() if "warning" not in l]
    ok(rc == 1 and "configuration OK" not in out and errs and
       all(l.startswith(want) for l in errs) and all(w in err for w in words),
       "vouchd -t: %s: refused at %s's line" % (what, directive),
       "exit %d: %s%s" % (rc, out.strip(), err.strip()))


def expect_all(what, body, wants, rc=1):
    """Every (directive, words) of wants is an error line at the directive's
    line, in file order, all in one run of vouchd -t."""
    got_rc, out, err = check(body)
    errs = [l for l in err.splitlines() if "warning" not in l]
    at = []
    for directive, words in wants:
        want = "vouchd: %s:%d: " % (CONF, line_of(CONF, directive))
        hits = [i for i, l in enumerate(errs) if l.startswith(want) and words in l]
        at.append(hits[0] if hits else None)
    ok(got_rc == rc and "configuration OK" not in out and None not in at and at == sorted(at),
       "vouchd -t: %s: all %d errors listed, each at its line, in file order"
       % (what, len(wants)), "exit %d: %s" % (got_rc, err.strip()))


ARC_KEY = LAB.keygen("ed25519", "forwarder.example", "arc1")
KEY = LAB.keygen("ed25519", "example.com", "ed1")
ARC = "ARCSealDomain %s\nARCSealSelector %s\n\nARCSealKeyFile " + ARC_KEY + "\n"
SIGN = "Domain example.com\nSelector ed1\nKeyFile %s\n" % KEY


def test_check():
    expect("ARCSealDomain that is not a domain name", "Mode v\n" + ARC % ("ex..ample.org", "arc1"),
           "ARCSealDomain", ["ARCSealDomain 'ex..ample.org'", "not a domain name"])
    # arc verify refuses d= with a final dot ("AMS: d= is not a domain
    # name"): the sealer does too, so vouchd -t does
    expect("ARCSealDomain with a final dot", "Mode v\n" + ARC % ("forwarder.example.", "arc1"),
           "ARCSealDomain", ["ARCSealDomain 'forwarder.example.'", "a final dot"])
    expect("ARCSealSelector that is not a DNS label", "Mode v\n" + ARC % ("forwarder.example", "s!1"),
           "ARCSealSelector", ["ARCSealSelector 's!1'", "not a domain name"])
    expect("AuthservID that is not a token, with ARC sealing",
           "Mode v\nAuthservID mx;x\n" + ARC % ("forwarder.example", "arc1"), "AuthservID",
           ["AuthservID 'mx;x'", "RFC 8601"])
    expect("SignHeaders without From", "Mode s\n" + SIGN + "\nSignHeaders To,Subject\n",
           "SignHeaders", ["SignHeaders", "From is not among them (RFC 6376 §5.4)"])
    expect("SignHeaders with a name that is no header field name",
           "Mode s\n" + SIGN + "SignHeaders From,Sub:ject\n", "SignHeaders",
           ["SignHeaders 'Sub:ject'", "RFC 5322 §3.6.8"])
    expect("OversignHeaders with a name that is no header field name",
           "Mode s\n" + SIGN + "\nOversignHeaders From Sub:ject\n", "OversignHeaders",
           ["OversignHeaders 'Sub:ject'", "RFC 5322 §3.6.8"])
    kt, st = os.path.join(TMP, "keytable"), os.path.join(TMP, "signingtable")
    with open(kt, "w") as f:
        f.write("k1 example.com:ed1:%s\nk2 %%:ed1:%s\n" % (KEY, KEY))
    with open(st, "w") as f:
        f.write("*@example.com k1\n*@* k2\n")
    expect("SignHeaders without From, keys of KeyTable (one for d=%)",
           "Mode s\nKeyTable %s\nSigningTable refile:%s\n\nSignHeaders Subject\n" % (kt, st),
           "SignHeaders", ["From is not among them"])
    # several errors in one file: every one listed in one run
    expect_all("ARCSealDomain and SignHeaders",
               "Mode sv\n" + SIGN + ARC % ("ex..ample.org", "arc1") + "\nSignHeaders To\n",
               [("ARCSealDomain", "ARCSealDomain 'ex..ample.org'"),
                ("SignHeaders", "From is not among them")])
    expect_all("UserID, ARCSealSelector and SignHeaders",
               "Mode sv\nUserID no-such-user-vouchd\n" + SIGN +
               ARC % ("forwarder.example", "s!1") + "SignHeaders Subject\n",
               [("UserID", "no-such-user-vouchd"), ("ARCSealSelector", "ARCSealSelector 's!1'"),
                ("SignHeaders", "From is not among them")])
    expect_all("a key a KeyTable entry names, ARCSealDomain and SignHeaders",
               "Mode sv\nKeyTable %s.bad\nSigningTable refile:%s\n" % (kt, st) +
               ARC % ("ex..ample.org", "arc1") + "SignHeaders To\n",
               [("KeyTable", "cannot read"), ("ARCSealDomain", "ARCSealDomain 'ex..ample.org'")])
    # what the check must not refuse: the verify role quotes an
    # authserv-id that is not a token (RFC 8601 §2.2 value), only the AAR
    # of ARC sealing needs a token; SignHeaders may leave From to
    # OversignHeaders
    for what, body in (("AuthservID mx;x without ARC sealing", "Mode v\nAuthservID mx;x\n"),
                       ("good ARC sealing and signing", "Mode sv\n" + SIGN +
                        ARC % ("forwarder.example", "arc1")),
                       ("SignHeaders without From, OversignHeaders with it",
                        "Mode s\n" + SIGN + "SignHeaders To\nOversignHeaders From\n"),
                       ("a Domain list with a U-label (d= is the From domain)",
                        "Mode s\nDomain example.com, B\u00fccher.example\nSelector ed1\nKeyFile %s\n"
                        % KEY),
                       ("KeyTable and SigningTable with d=%",
                        "Mode s\nKeyTable %s\nSigningTable refile:%s\n" % (kt, st))):
        rc, out, err = check(body)
        ok(rc == 0 and "configuration OK" in out, "vouchd -t: %s passes" % what,
           "exit %d: %s" % (rc, err.strip()))


def test_start():
    """vouchd itself, not only -t, does not start with such a file."""
    conf = os.path.join(TMP, "start.conf")
    with open(conf, "w") as f:
        f.write("Socket unix:%s/start.sock\nSyslog no\nZoneFile %s\nMode v\n" % (TMP, LAB.zone) +
                ARC % ("ex..ample.org", "arc1"))
    try:
        p = subprocess.run([vouchd_binary(), "-c", conf], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=15)
        rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        rc, err = None, "still running after 15 s: it started"
    ok(rc not in (0, None) and "%s:%d: ARCSealDomain 'ex..ample.org'" % (conf, line_of(conf, "ARCSealDomain"))
       in err, "vouchd: does not start with an ARCSealDomain that is not a domain name, "
       "FILE:LINE named", "exit %s: %s" % (rc, err.strip()[-600:]))


def test_reload():
    good = ["Mode v", "ARCSealDomain forwarder.example", "ARCSealSelector arc1",
            "ARCSealKeyFile " + ARC_KEY]
    with LAB.vouchd(good) as d:
        text = open(d.conf).read()
        with open(d.conf, "w") as f:
            f.write(text.replace("ARCSealDomain forwarder.example", "ARCSealDomain ex..ample.org"))
        d.hup()
        t0 = time.time()
        while time.time() - t0 < 10 and not d.log_lines("reload refused"):
            time.sleep(0.05)
        refused = d.log_lines("reload refused")
        where = "%s:%d: ARCSealDomain 'ex..ample.org'" % (d.conf, line_of(d.conf, "ARCSealDomain"))
        ok(refused and where in refused[-1],
           "SIGHUP with an ARCSealDomain that is not a domain name: refused, FILE:LINE named",
           repr(refused) + d.read_log()[-400:])
        res = send(d, msg(), ip="192.0.2.10", mail_from="alice@example.com")
        seal = res.header("ARC-Seal")
        ok(d.proc.poll() is None and seal and "d=forwarder.example" in seal[0],
           "after the refused reload the old configuration still seals (d=forwarder.example)",
           repr(seal))


LAB.run((test_check, test_start, test_reload))
