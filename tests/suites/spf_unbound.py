#!/usr/bin/python3
"""`vouch spf --dns-server` over the network: the libunbound back end
against a local NSD (/usr/sbin/nsd on 127.0.0.1 at a free high port) that
serves an SPF policy tree (include, redirect, a, mx, exists, exp=, macros).
Each case is one check of the result (and explanation); a server that does
not answer must give temperror (RFC 7208 4.4).  NSD is always stopped.
"""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

import vtest

NSD = "/usr/sbin/nsd"

ZONE = """$ORIGIN example.com.
$TTL 300
@        IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 120
@        IN NS ns
ns       IN A 127.0.0.1
@        IN TXT "v=spf1 ip4:192.0.2.0/28 include:_spf.example.com " "mx -all exp=why.%{d}"
@        IN MX 10 mx1
mx1      IN A 198.51.100.25
_spf     IN TXT "v=spf1 ip6:2001:db8:1::/48 a:out.example.com ~all"
out      IN A 203.0.113.9
why      IN TXT "%{i} may not send mail for %{d}"
red      IN TXT "v=spf1 redirect=example.com"
ex       IN TXT "v=spf1 exists:%{ir}.%{l1r-}.bl.example.com -all"
1.2.0.192.bob.bl IN A 127.0.0.2
void     IN TXT "v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com +all"
two      IN TXT "v=spf1 -all"
two      IN TXT "v=spf1 +all"
"""

CASES = [
    # (label, ip, mail_from, result, explanation or None)
    ("ip4 pass", "192.0.2.5", "a@example.com", "pass", None),
    ("include then ip6 pass", "2001:db8:1::25", "a@example.com", "pass", None),
    ("include then a: softfail is no match, then -all", "203.0.113.10", "a@example.com", "fail",
     "203.0.113.10 may not send mail for example.com"),
    ("a: in an include", "203.0.113.9", "a@example.com", "pass", None),
    ("mx", "198.51.100.25", "a@example.com", "pass", None),
    ("redirect keeps the target's exp=", "203.0.113.10", "a@red.example.com", "fail",
     "203.0.113.10 may not send mail for example.com"),
    ("exists with %{ir} and %{l1r-}", "192.0.2.1", "bob-x@ex.example.com", "pass", None),
    ("exists without the name", "192.0.2.2", "bob-x@ex.example.com", "fail", None),
    ("three void lookups", "192.0.2.1", "a@void.example.com", "permerror", None),
    ("two v=spf1 records", "192.0.2.1", "a@two.example.com", "permerror", None),
    ("no record (NODATA)", "192.0.2.1", "a@mx1.example.com", "none", None),
    ("no name (NXDOMAIN)", "192.0.2.1", "a@nothere.example.com", "none", None),
]


def free_port():
    """A UDP and TCP port that is free now on 127.0.0.1."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
        except OSError:
            s.close()
            t.close()
            continue
        s.close()
        t.close()
        return port
    raise RuntimeError("no free port")


def spf(server, ip, mail_from):
    rc, out, err = vtest.vouch(["spf", "--json", "--dns-server", server, "--ip", ip,
                                "--mail-from", mail_from, "--helo", "mta.example.net"],
                               timeout=120)
    if rc != 0:
        return None, "exit %d: %s" % (rc, err.strip()[-300:])
    return json.loads(out.decode("utf-8", "replace")), ""


def wait_ready(server):
    deadline = time.time() + 15
    while time.time() < deadline:
        got, _ = spf(server, "192.0.2.5", "a@example.com")
        if got is not None and got["result"] == "pass":
            return True
        time.sleep(0.3)
    return False


def main():
    if not vtest.ok(os.access(NSD, os.X_OK), "nsd installed", "missing %s (Debian package nsd)" % NSD):
        vtest.done()
    tmp = tempfile.mkdtemp(prefix="vouch-spf-nsd-")
    port = free_port()
    with open(os.path.join(tmp, "example.com.zone"), "w") as f:
        f.write(ZONE)
    conf = os.path.join(tmp, "nsd.conf")
    with open(conf, "w") as f:
        f.write("""server:
  ip-address: 127.0.0.1
  port: %d
  username: ""
  chroot: ""
  zonesdir: "%s"
  pidfile: "%s/nsd.pid"
  database: ""
  xfrdfile: "%s/xfrd.state"
  zonelistfile: "%s/zone.list"
  logfile: "%s/nsd.log"
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: example.com
  zonefile: example.com.zone
""" % (port, tmp, tmp, tmp, tmp, tmp))
    log = open(os.path.join(tmp, "nsd.out"), "w")
    nsd = subprocess.Popen([NSD, "-d", "-c", conf], stdout=log, stderr=log, start_new_session=True)
    server = "127.0.0.1@%d" % port
    try:
        ready = wait_ready(server)
        log.flush()
        if vtest.ok(ready, "nsd serves the SPF zone on port %d" % port,
                    open(os.path.join(tmp, "nsd.out")).read()[-500:]):
            for label, ip, mail_from, want, wexp in CASES:
                got, why = spf(server, ip, mail_from)
                good = got is not None and got["result"] == want and \
                    (wexp is None or got["explanation"] == wexp)
                if got is not None and not good:
                    why = "got %s %r (%s), want %s %r" % (got["result"], got["explanation"],
                                                         got["reason"], want, wexp)
                vtest.ok(good, "over NSD: " + label, why)
    finally:
        try:
            os.killpg(nsd.pid, 15)
        except ProcessLookupError:
            pass
        try:
            nsd.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(nsd.pid, 9)
            nsd.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    vtest.ok(nsd.poll() is not None, "nsd stopped")
    got, why = spf("127.0.0.1@%d" % free_port(), "192.0.2.5", "a@example.com")
    vtest.ok(got is not None and got["result"] == "temperror",
             "no server answering: temperror (RFC 7208 4.4)",
             why or "got %s (%s)" % (got["result"], got["reason"]))
    vtest.done()


if __name__ == "__main__":
    main()
