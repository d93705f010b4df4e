"""DNS data for the real-system tests: one zone, `example.`, with DKIM keys
made by `vouch keygen`, SPF and DMARC records, served by NSD (nsd.py).

Names are under .example, not .test: libunbound (OpenDKIM's resolver)
answers NXDOMAIN for *.test without asking anyone.

    z = testzone.Zone(workdir)
    key = z.dkim_key("sender.example", "s1")          # path of the private key
    z.txt("sender.example", "v=spf1 ip4:127.0.0.0/8 -all")
    z.txt("_dmarc.sender.example", "v=DMARC1; p=reject")
    with z.serve(rrl=False) as ns:                     # nsd.Server
        ... ns.server is "127.0.0.1@PORT" ...
    z.write("all.zone")                                # the same data as a file

`vouch --zone FILE` reads the file; NSD serves the same text.
"""
import os
import subprocess

import nsd
import vtest

ORIGIN = "example"

HEAD = """$ORIGIN example.
$TTL %d
@ IN SOA ns.example. hostmaster.example. 1 3600 600 86400 300
@ IN NS ns.example.
ns IN A 127.0.0.1
"""


def _quote(text):
    """A TXT value as zone-file strings of at most 255 bytes each."""
    parts = [text[i:i + 255] for i in range(0, len(text), 255)] or [""]
    return " ".join('"%s"' % p.replace("\\", "\\\\").replace('"', '\\"') for p in parts)


class Zone:
    def __init__(self, workdir, ttl=300):
        """ttl: of every record (0: resolvers keep nothing, each message
        asks again)."""
        self.ttl = ttl
        self.dir = os.path.join(workdir, "keys")
        os.makedirs(self.dir, exist_ok=True)
        # OpenDKIM refuses keys below a directory others may write to
        # (RequireSafeKeys); keep this one 0755.
        os.chmod(self.dir, 0o755)
        self.lines = []
        self.keys = {}

    def dkim_key(self, domain, selector, type="rsa", bits=2048, publish=True):
        """Makes a key pair with `vouch keygen` (once per domain and
        selector); publishes its record unless publish=False.  Returns the
        private key's path (PEM PKCS#8)."""
        k = (domain, selector)
        if k not in self.keys:
            out = os.path.join(self.dir, domain)
            os.makedirs(out, exist_ok=True)
            argv = [vtest.VOUCH, "keygen", "-t", type, "-d", domain, "-s", selector, "-o", out]
            if type == "rsa":
                argv += ["-b", str(bits)]
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if p.returncode:
                raise RuntimeError("vouch keygen: " + p.stderr.decode())
            self.keys[k] = os.path.join(out, selector + ".private")
            if publish:
                with open(os.path.join(out, selector + ".txt")) as f:
                    self.lines.append(f.read().strip())
        return self.keys[k]

    def txt(self, name, text):
        self.lines.append("%s. IN TXT %s" % (name.rstrip("."), _quote(text)))

    def a(self, name, addr):
        self.lines.append("%s. IN A %s" % (name.rstrip("."), addr))

    def mx(self, name, pref, host):
        self.lines.append("%s. IN MX %d %s." % (name.rstrip("."), pref, host.rstrip(".")))

    def text(self):
        return HEAD % self.ttl + "\n".join(self.lines) + "\n"

    def write(self, path):
        with open(path, "w") as f:
            f.write(self.text())
        return path

    def serve(self, rrl=True, also_listen=()):
        """nsd.serve() for this zone (a context manager yielding the
        nsd.Server; check .ready)."""
        return nsd.serve(ORIGIN, self.text(), prefix="vouch-milter-nsd-", rrl=rrl,
                         also_listen=also_listen)
