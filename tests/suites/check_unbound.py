#!/usr/bin/python3
"""`vouch check --dns-server` over the network: the libunbound back end
against a local NSD (127.0.0.1, a free high port) serving a domain with
SPF, DMARC and DKIM problems.  The report over the network must be the
same as the report from the same file read with --zone (same findings,
same counts), and a server that does not answer must give the dns-error
findings and exit 2.  NSD is always stopped.
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
@        IN TXT "v=spf1 ip4:192.0.2.0/28 include:_spf.example.com ptr " "a:gone.example.com ~all"
@        IN MX 10 mx1
mx1      IN A 198.51.100.25
_spf     IN TXT "v=spf1 include:_inner.example.com mx -all"
_inner   IN TXT "v=spf1 ip4:203.0.113.0/24 -all"
_dmarc   IN TXT "v=DMARC1; p=quarantine; pct=25; rua=mailto:d@example.com"
s1._domainkey IN TXT "v=DKIM1; k=rsa; t=y; p="
"""


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


def check(where, *extra):
    """Run vouch check; returns (exit, report or None, stderr)."""
    rc, out, err = vtest.vouch(["check", "--json"] + list(where) +
                               ["-s", "s1", "-s", "none"] + list(extra) + ["example.com"],
                               timeout=120)
    try:
        return rc, json.loads(out.decode("utf-8")), err
    except ValueError:
        return rc, None, err


def summary(rep):
    return ([(f["area"], f["severity"], f["code"], f["message"], f["fix"]) for f in rep["findings"]],
            rep["spf"], rep["dmarc"], rep["dkim"])


def main():
    if not vtest.ok(os.access(NSD, os.X_OK), "nsd installed", "missing %s (Debian package nsd)" % NSD):
        vtest.done()
    tmp = tempfile.mkdtemp(prefix="vouch-check-nsd-")
    port = free_port()
    zonefile = os.path.join(tmp, "example.com.zone")
    with open(zonefile, "w") as f:
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
        deadline = time.time() + 15
        net = None
        while time.time() < deadline:
            rc, net, err = check(["--dns-server", server], "--ip", "203.0.113.7")
            if net is not None and net["spf"]["record"]:
                break
            time.sleep(0.3)
        log.flush()
        if vtest.ok(net is not None and net["spf"]["record"] is not None,
                    "nsd serves the zone on port %d" % port,
                    open(os.path.join(tmp, "nsd.out")).read()[-500:]):
            zrc, local, zerr = check(["--zone", zonefile], "--ip", "203.0.113.7")
            vtest.ok(local is not None and summary(net) == summary(local),
                     "over NSD: the same report as from the zone file",
                     "network %s\nzone %s" % (net and summary(net), local and summary(local)))
            vtest.ok(rc == zrc == 2, "over NSD: exit 2, as from the zone file", "got %d and %d" % (rc, zrc))
            codes = [f["code"] for f in net["findings"]]
            for code in ("spf-ptr", "spf-void-lookup", "dmarc-pct", "dkim-revoked", "dkim-testing",
                         "dkim-missing", "send-spf-pass"):
                vtest.ok(code in codes, "over NSD: finding " + code, "got %s" % codes)
            vtest.ok(net["spf"]["lookups"] == 5 and net["spf"]["void_lookups"] == 2,
                     "over NSD: 5 lookups (include, ptr, a, include, mx), 2 void (a:gone, mx at _spf)",
                     "got %s" % net["spf"])
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
    rc, rep, err = check(["--dns-server", "127.0.0.1@%d" % free_port()])
    codes = [f["code"] for f in rep["findings"]] if rep else []
    vtest.ok(rc == 2 and "spf-dns-error" in codes and "dmarc-dns-error" in codes and
             "dkim-dns-error" in codes,
             "no server answering: the dns-error findings, exit 2", "exit %d, %s %s" % (rc, codes, err))
    vtest.done()


if __name__ == "__main__":
    main()
