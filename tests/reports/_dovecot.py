"""A private Dovecot IMAP server for the tests: Debian's dovecot-imapd run
in the foreground from a temporary directory, with its own configuration,
users in a passwd-file, Maildirs owned by `nobody`, on free loopback ports
(IMAP and IMAPS with a throw-away self-signed certificate); stopped by the
test that started it, also when it fails.

Dovecot's master process must start as root (it drops privileges per
service), so the tests that use it skip, with that reason, as anyone else.

    with Dovecot(users=["u1"]) as d:
        d.maildir("u1")              # the user's Maildir, to fill before use
        d.url("u1")                  # imap://u1@127.0.0.1:PORT/INBOX
        d.password                   # the same for every user
"""
import os
import pwd
import shutil
import socket
import subprocess
import time

import scratch

DOVECOT = "/usr/sbin/dovecot"


def available():
    """None when a server can be started here, else why not."""
    if not os.access(DOVECOT, os.X_OK):
        return "dovecot not installed (Debian package dovecot-imapd)"
    if os.geteuid() != 0:
        return "Dovecot's master process must start as root (CI runs as root)"
    for u in ("dovecot", "dovenull", "nobody"):
        try:
            pwd.getpwnam(u)
        except KeyError:
            return "no user %s (installed with dovecot-core)" % u
    return None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


CONF = """
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
disable_plaintext_auth = no
auth_mechanisms = plain login
ssl = yes
ssl_cert = <{dir}/cert.pem
ssl_key = <{dir}/key.pem
mail_location = maildir:{home}/%u/Maildir
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {sport}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


class Dovecot:
    def __init__(self, users):
        self.users = users
        self.password = "vouch-test-pw"
        self.proc = None
        self.dir = None

    def start(self):
        self.dir = scratch.mkdtemp("vouch-dovecot-")
        os.chmod(self.dir, 0o755)
        self.home = os.path.join(self.dir, "home")
        nobody = pwd.getpwnam("nobody")
        for d in ("run", "state", "home"):
            os.makedirs(os.path.join(self.dir, d))
        for u in self.users:
            for sub in ("cur", "new", "tmp"):
                os.makedirs(os.path.join(self.home, u, "Maildir", sub))
        with open(os.path.join(self.dir, "passwd"), "w") as fp:
            for u in self.users:
                fp.write("%s:{PLAIN}%s\n" % (u, self.password))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", os.path.join(self.dir, "key.pem"),
                        "-out", os.path.join(self.dir, "cert.pem")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.cafile = os.path.join(self.dir, "cert.pem")
        self.port, self.sport = free_port(), free_port()
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as fp:
            fp.write(CONF.format(dir=self.dir, home=self.home, uid=nobody.pw_uid,
                                 gid=nobody.pw_gid, port=self.port, sport=self.sport))
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("dovecot exited: %s %s" % (self.proc.stderr.read().decode(),
                                                             self.log()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not listen: " + self.log())

    def chown(self):
        """Hand every Maildir to the mail user (after filling them)."""
        nobody = pwd.getpwnam("nobody")
        for root, dirs, files in os.walk(self.home):
            for n in dirs + files:
                os.chown(os.path.join(root, n), nobody.pw_uid, nobody.pw_gid)
        os.chown(self.home, nobody.pw_uid, nobody.pw_gid)

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as fp:
                return fp.read()[-3000:]
        except OSError:
            return ""

    def maildir(self, user):
        return os.path.join(self.home, user, "Maildir")

    def url(self, user, mailbox="INBOX", tls=False):
        return "%s://%s@127.0.0.1:%d/%s" % ("imaps" if tls else "imap", user,
                                             self.sport if tls else self.port, mailbox)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        try:
            return self.start()
        except Exception:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
