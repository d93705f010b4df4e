"""OpenDKIM and OpenDMARC (Debian's packages) as milters of a private
Postfix: the anchors vouchd is compared with, and the milters that proved
the harness before vouchd existed.

    dk = anchors.OpenDKIM(lab.subdir("opendkim"), mode="v", dns_port=ns.port)
    dk.start()
    pf = lab.postfix(relay=sink, milters=[dk.spec])

Traps (../shared/notes/postfix-milter-testing.md): RequireSafeKeys refuses a
key below a directory others may write to, so it is off here and the keys
live in 0755 directories; OpenDKIM resolves with libunbound, told to ask
our NSD (Nameservers 127.0.0.1@PORT); the default InternalHosts
(OpenDKIM) and IgnoreHosts (OpenDMARC) are 127.0.0.1, so loopback mail
would be signed and never verified: the verify configurations name a
documentation address instead.  OpenDMARC uses the C library's resolver
(resolv.conf, port 53 only): it runs in its own mount namespace whose
/etc/resolv.conf names a private 127/8 address where the NSD also listens
on port 53 (testzone.Zone.serve(also_listen=[...])).
"""
import os
import random
import shlex

import postfix
import procs

OPENDKIM = "/usr/sbin/opendkim"
OPENDMARC = "/usr/sbin/opendmarc"

# Not a loopback address, so 127.0.0.1 is an outside client to the anchors.
NOBODY = "192.0.2.254"


def dmarc_dns_address():
    """A private loopback address for a resolver that only speaks port 53:
    127.R.R.R with R random, not one anything listens on now."""
    rng = random.SystemRandom()
    while True:
        addr = "127.%d.%d.%d" % (rng.randrange(64, 250), rng.randrange(1, 250),
                                 rng.randrange(1, 250))
        if not procs.listening(53, addr):
            return addr


class Milter:
    """A milter daemon started in the foreground in its own directory;
    .spec is its address in Postfix's syntax."""

    name = "milter"

    def __init__(self, d, inet=False):
        self.dir = d
        self.proc = None
        if inet:
            self.port = postfix.free_port()
            self.socket = "inet:%d@127.0.0.1" % self.port
            self.spec = "inet:127.0.0.1:%d" % self.port
            self.sock_path = None
        else:
            # A unix socket, as deployments use: over TCP on loopback the
            # milter protocol's small writes meet delayed ACKs (40 ms).
            sdir = os.path.join(d, "sock")
            os.makedirs(sdir, exist_ok=True)
            os.chmod(sdir, 0o755)
            self.port = None
            self.sock_path = os.path.join(sdir, self.name + ".sock")
            self.socket = "local:" + self.sock_path
            self.spec = "unix:" + self.sock_path

    def listening(self):
        if self.sock_path:
            return procs.unix_listening(self.sock_path)
        return procs.listening(self.port)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def argv(self):
        raise NotImplementedError

    def start(self, timeout=15):
        self.proc = procs.spawn(self.argv(), log=os.path.join(self.dir, "out.log"))
        if not procs.wait_until(lambda: self.listening() or self.proc.poll() is not None,
                                timeout) or self.proc.poll() is not None:
            raise RuntimeError("%s did not start: %s" % (self.name, self.log()))
        return self

    def stop(self, wait=1):
        # libmilter takes five seconds to leave after SIGTERM; a test that
        # is done with an anchor does not wait for that.
        if self.proc:
            procs.stop(self.proc, wait=wait)
            self.proc = None

    def log(self):
        try:
            with open(os.path.join(self.dir, "out.log"), errors="replace") as f:
                return f.read()[-2000:]
        except FileNotFoundError:
            return ""

    def cpu(self):
        return procs.tree_cpu(self.proc.pid) if self.proc else 0.0

    def cpu_split(self):
        return procs.tree_cpu_split(self.proc.pid) if self.proc else (0.0, 0.0)

    def hwm_kb(self):
        return procs.tree_hwm_kb(self.proc.pid) if self.proc else 0


class OpenDKIM(Milter):
    """mode "s" signs every message from InternalHosts (127.0.0.1 by
    default) with key/domain/selector; mode "v" verifies every message
    (InternalHosts is set to an address no test uses)."""

    name = "opendkim"

    def __init__(self, d, mode, dns_port, domain=None, selector=None, key=None,
                 authserv_id="mx.vouch.example", extra=None, inet=False):
        super().__init__(d, inet)
        conf = {
            "Socket": self.socket,
            "UMask": "000",
            "Mode": mode,
            "Syslog": "no",
            "RequireSafeKeys": "no",
            "Nameservers": "127.0.0.1@%d" % dns_port,
            "AuthservID": authserv_id,
            "PidFile": os.path.join(d, "opendkim.pid"),
            "Canonicalization": "relaxed/relaxed",
            "SignatureAlgorithm": "rsa-sha256",
        }
        if mode == "v":
            conf["InternalHosts"] = NOBODY
        if key:
            conf.update({"Domain": domain, "Selector": selector, "KeyFile": key})
        conf.update(extra or {})
        self.conf_file = os.path.join(d, "opendkim.conf")
        with open(self.conf_file, "w") as f:
            for k, v in conf.items():
                f.write("%s %s\n" % (k, v))

    def argv(self):
        return [OPENDKIM, "-f", "-x", self.conf_file]


class OpenDMARC(Milter):
    """OpenDMARC evaluating every message (IgnoreHosts names an address no
    test uses), SPF checked by itself, trusting the Authentication-Results
    of `authserv_id` (OpenDKIM's, running before it).  DNS: resolv.conf
    naming `dns_addr` (port 53), in a private mount namespace."""

    name = "opendmarc"

    def __init__(self, d, dns_addr, authserv_id="mx.vouch.example", reject=False, extra=None,
                 inet=False):
        super().__init__(d, inet)
        self.dns_addr = dns_addr
        ignore = os.path.join(d, "ignore.hosts")
        with open(ignore, "w") as f:
            f.write(NOBODY + "\n")
        conf = {
            "Socket": self.socket,
            "UMask": "000",
            "AuthservID": authserv_id,
            "TrustedAuthservIDs": authserv_id,
            "IgnoreHosts": ignore,
            "SPFSelfValidate": "true",
            "RejectFailures": "true" if reject else "false",
            "Syslog": "false",
            "PidFile": os.path.join(d, "opendmarc.pid"),
        }
        conf.update(extra or {})
        self.conf_file = os.path.join(d, "opendmarc.conf")
        with open(self.conf_file, "w") as f:
            for k, v in conf.items():
                f.write("%s %s\n" % (k, v))
        self.resolv = os.path.join(d, "resolv.conf")
        with open(self.resolv, "w") as f:
            f.write("nameserver %s\noptions timeout:2 attempts:1\n" % dns_addr)

    def argv(self):
        # unshare -m: the bind mount of resolv.conf is seen by OpenDMARC only.
        inner = "mount --bind %s /etc/resolv.conf && exec %s -f -c %s" % (
            shlex.quote(self.resolv), OPENDMARC, shlex.quote(self.conf_file))
        return ["unshare", "-m", "--propagation", "private", "sh", "-c", inner]
