#!/usr/bin/python3
"""`vouch dkim verify --dns-server` over the network: the libunbound back
end against a local NSD (/usr/sbin/nsd on 127.0.0.1 at a free high port)
serving the RFC 8463 A.2 key records (taken from the RFC text).  The RFC
8463 A.3 message must pass twice over; a selector with no record is
permerror "no key" (RFC 6376 6.1.2 step 3) and a server that does not
answer gives temperror (step 2).  NSD is always stopped."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import vtest
from vtest import ok

NSD = "/usr/sbin/nsd"


def free_port():
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


def verify(server, data):
    rc, out, err = vtest.vouch(["dkim", "verify", "--json", "--dns-server", server], stdin=data,
                               timeout=120)
    if rc != 0:
        return None, "exit %d: %s" % (rc, err.strip()[-300:])
    return json.loads(out.decode("utf-8", "replace")), ""


def main():
    if not ok(os.access(NSD, os.X_OK), "nsd installed", "missing %s (Debian package nsd)" % NSD):
        vtest.done()
    rfc = open(vtest.shared("rfc", "rfc8463.txt"), encoding="utf-8").read()
    recs = re.findall(r'^(\S+)\._domainkey\.football\.example\.com\. IN TXT \(\s*((?:"[^"]*"\s*)+)\)',
                      rfc, re.M)
    ok(len(recs) == 2, "RFC 8463 A.2 key records found", "found %d" % len(recs))
    zone = ("$ORIGIN football.example.com.\n$TTL 300\n"
            "@ IN SOA ns.football.example.com. hostmaster.football.example.com. 1 3600 600 86400 120\n"
            "@ IN NS ns\nns IN A 127.0.0.1\n" +
            "".join("%s._domainkey IN TXT %s\n" % (sel, " ".join(txt.split())) for sel, txt in recs))
    msg = open(vtest.shared("testsuites", "dkim", "rfc8463", "rfc8463-example.msg"), "rb").read()
    tmp = tempfile.mkdtemp(prefix="vouch-dkim-nsd-")
    port = free_port()
    with open(os.path.join(tmp, "football.zone"), "w") as f:
        f.write(zone)
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
  name: football.example.com
  zonefile: football.zone
""" % (port, tmp, tmp, tmp, tmp, tmp))
    log = open(os.path.join(tmp, "nsd.out"), "w")
    nsd = subprocess.Popen([NSD, "-d", "-c", conf], stdout=log, stderr=log, start_new_session=True)
    server = "127.0.0.1@%d" % port
    try:
        deadline = time.time() + 15
        doc = None
        while time.time() < deadline:
            doc, why = verify(server, msg)
            if doc is not None and doc["result"] == "pass":
                break
            time.sleep(0.3)
        ok(doc is not None and [s["result"] for s in doc["signatures"]] == ["pass", "pass"],
           "over NSD: RFC 8463 A.3 both signatures pass",
           json.dumps(doc)[:300] if doc else open(os.path.join(tmp, "nsd.out")).read()[-300:])
        nokey = msg.replace(b"s=brisbane", b"s=absent")
        doc, why = verify(server, nokey)
        ok(doc is not None and doc["signatures"][0]["result"] == "permerror"
           and "no key" in doc["signatures"][0]["reason"],
           "over NSD: selector without a record is permerror (no key)", why or json.dumps(doc)[:300])
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
    ok(nsd.poll() is not None, "nsd stopped")
    doc, why = verify("127.0.0.1@%d" % free_port(), msg)
    ok(doc is not None and all(s["result"] == "temperror" for s in doc["signatures"])
       and doc["result"] == "temperror",
       "no server answering: temperror (RFC 6376 6.1.2 step 2)", why or json.dumps(doc)[:300])
    vtest.done()


if __name__ == "__main__":
    main()
