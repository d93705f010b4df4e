"""A local NSD (/usr/sbin/nsd) serving one zone, for the tests of the
libunbound back end: no test depends on live DNS, so the network tests ask
this server on 127.0.0.1 at a free high port.

    with nsd.serve("example.com", ZONE, prefix="vouch-spf-nsd-") as ns:
        vtest.ok(ns.ready, "nsd serves the zone on port %d" % ns.port, ns.log_tail())
        ... ask ns.server ("127.0.0.1@PORT") ...
    vtest.ok(ns.stopped(), "nsd stopped")

The server runs in the foreground in its own session; on leaving the
with-block (also through an exception or sys.exit) it and every process it
forked are ended and its temporary directory is removed.
"""
import contextlib
import os
import random
import shutil
import socket
import struct
import subprocess
import time

import scratch

NSD = "/usr/sbin/nsd"

CONF = """server:
  ip-address: 127.0.0.1
%(extra_addresses)s  port: %(port)d
  username: ""
  chroot: ""
  zonesdir: "%(dir)s"
  pidfile: "%(dir)s/nsd.pid"
  database: ""
  xfrdfile: "%(dir)s/xfrd.state"
  zonelistfile: "%(dir)s/zone.list"
  logfile: "%(dir)s/nsd.log"
  server-count: 1
  verbosity: 1
%(extra_server)sremote-control:
  control-enable: no
zone:
  name: %(origin)s
  zonefile: %(zonefile)s
"""


def installed():
    return os.access(NSD, os.X_OK)


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


def soa_answered(port, origin, timeout=1.0):
    """True if the server at 127.0.0.1:port gives an authoritative answer
    to a SOA query for origin, that is once it has loaded the zone (before,
    NSD answers SERVFAIL or REFUSED)."""
    qid = random.randrange(0x10000)
    qname = b"".join(bytes([len(label)]) + label.encode("ascii")
                     for label in origin.rstrip(".").split(".")) + b"\0"
    query = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + qname + struct.pack("!HH", 6, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.connect(("127.0.0.1", port))
        s.send(query)
        reply = s.recv(4096)
    except OSError:  # refused (nothing listens yet) or timed out
        return False
    finally:
        s.close()
    if len(reply) < 12:
        return False
    rid, flags, _, ancount = struct.unpack("!HHHH", reply[:8])
    # QR set, AA set, RCODE NOERROR, at least one answer.
    return (rid == qid and flags & 0x8000 != 0 and flags & 0x0400 != 0 and flags & 0xF == 0
            and ancount >= 1)


class Server:
    """One running NSD: .port, .server ("127.0.0.1@PORT"), .zonefile (the
    zone's path, for the same data through --zone), .ready (it answered
    within the wait)."""

    def __init__(self, tmp, port, zonefile, proc):
        self.tmp = tmp
        self.port = port
        self.server = "127.0.0.1@%d" % port
        self.zonefile = zonefile
        self.proc = proc
        self.ready = False

    def log_tail(self, n=500):
        """The end of NSD's own output, for a failure message."""
        with open(os.path.join(self.tmp, "nsd.out")) as f:
            return f.read()[-n:]

    def stopped(self):
        return self.proc.poll() is not None

    def pause(self):
        """SIGSTOP to NSD and its children: a server that stopped
        answering (queries time out)."""
        os.killpg(self.proc.pid, 19)

    def resume(self):
        os.killpg(self.proc.pid, 18)

    def stop(self):
        # NSD forks its server processes into our session: end them all
        # (continued first, in case they were paused).
        try:
            os.killpg(self.proc.pid, 18)
            os.killpg(self.proc.pid, 15)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()


@contextlib.contextmanager
def serve(origin, zone, prefix="vouch-nsd-", wait=15, also_listen=(), rrl=True):
    """Writes `zone` (master-file text) for `origin` into a temporary
    directory, starts NSD on it at a free port and waits up to `wait`
    seconds until it answers for the zone.  Yields a Server (check its
    .ready); NSD is always stopped and the directory removed on exit.

    also_listen: more "ADDR@PORT" sockets (for a resolver that cannot be
    told a port, resolv.conf's, give a private 127/8 address at port 53).
    rrl=False turns response rate limiting off (rrl-ratelimit: 0), for
    load tests: NSD drops repeated answers beyond 200 a second per /24."""
    tmp = scratch.mkdtemp(prefix)
    port = free_port()
    zonefile = os.path.join(tmp, origin + ".zone")
    with open(zonefile, "w") as f:
        f.write(zone)
    conf = os.path.join(tmp, "nsd.conf")
    with open(conf, "w") as f:
        f.write(CONF % {"port": port, "dir": tmp, "origin": origin,
                        "zonefile": os.path.basename(zonefile),
                        "extra_addresses": "".join("  ip-address: %s\n" % a
                                                   for a in also_listen),
                        "extra_server": "" if rrl else "  rrl-ratelimit: 0\n"})
    log = open(os.path.join(tmp, "nsd.out"), "w")
    ns = Server(tmp, port, zonefile,
                subprocess.Popen([NSD, "-d", "-c", conf], stdout=log, stderr=log,
                                 start_new_session=True))
    try:
        deadline = time.time() + wait
        while time.time() < deadline:
            if soa_answered(port, origin):
                ns.ready = True
                break
            time.sleep(0.2)
        yield ns
    finally:
        ns.stop()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
