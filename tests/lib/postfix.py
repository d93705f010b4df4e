"""A private Postfix, an smtp-sink behind it, and the tools to drive them.

Debian's postfix package, but never its system instance: every Postfix here
has its own configuration directory, queue, data directory and maillog
under a temporary directory, listens on free loopback ports only, and
relays everything to an smtp-sink (one file per message) on another free
port.  Postfix runs only as root; callers check can_run() first and report
themselves skipped with its reason.

    with postfix.Lab("vouch-milter-") as lab:           # a base directory
        sink = lab.sink()                                # smtp-sink, started
        pf = lab.postfix(relay=sink, milters=["inet:127.0.0.1:%d" % port],
                         sasl_users={"alice": "secret"})
        pf.start()
        r = postfix.swaks(pf.submission_port, "alice@sender.example",
                          "bob@rcpt.example", data=msg, auth=("alice", "secret"))
        # r.code == 250, r.queue_id
        sink.wait(1)
        m = sink.messages()[0]       # .content (bytes, CRLF), .mail_from, ...
        pf.hold()                    # the hold queue, from postqueue -j
    # everything started is stopped and the directory removed

The smtpd services: `smtp_port` (the MX-like service, XCLIENT allowed from
127.0.0.1) and `submission_port` (SASL AUTH offered, and
milter_macro_daemon_name=ORIGINATING, Postfix's convention for mail to
sign).  Milters are given in Postfix's syntax ("unix:/path", "inet:host:port",
or a "{ ..., default_action=accept }" group).  A retrying Postfix (for
crash tests) is postfix(..., fast_retry=True): its deferred mail is retried
every second or two.  maildir=(domain, dir) delivers that domain's mail into
a Maildir instead of relaying it (reports.example -> DIR/Maildir).

The API, in short:
  can_run()                        (ok, why): root, packages installed
  Lab(prefix)                      .dir .path() .subdir() .add(thing)
                                   .sink(dump=True) .postfix(**kw) .stop_all()
  Sink                             .port .count() .files() .messages()
                                   .find(message_id, timeout) .wait(n) .clear()
  SinkMessage                      .content .headers(name) .message_id()
                                   .mail_from .rcpt .client_addr
  Postfix(relay=, milters=, default_action=, size_limit=, sasl_users=,
          fast_retry=, maildir=, main=, non_smtpd=, hostname=)
                                   .start() .stop() .reload() .set_main()
                                   .set_milters() .queue() .hold() .flush()
                                   .queued_file(qid) .maillog() .log_tail()
                                   .maildir_messages() .cpu() .pids() .check()
  swaks(port, from, rcpt, data=, auth=, xclient_addr=) -> SwaksResult
                                   .accepted .code .text .stage .queue_id
  send_many(port, [msg, ...], sessions=4) -> [(i, code, text)]   (smtplib)
  smtp_source(port, n, sessions, file) / smtp_source_start(...)  (load)
  cleanup_message_ids(maillog)     {queue id: Message-ID} accepted
Processes are started through procs.spawn (own session, die with the test,
recorded and ended at exit); see procs.py for /proc CPU, RSS and fd figures.
"""
import grp
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import time

import scratch
import nsd
import procs

POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"
POSTQUEUE = "/usr/sbin/postqueue"
POSTSUPER = "/usr/sbin/postsuper"
MASTER = "/usr/lib/postfix/sbin/master"
SMTP_SINK = "/usr/sbin/smtp-sink"
SMTP_SOURCE = "/usr/sbin/smtp-source"
SASLPASSWD2 = "/usr/sbin/saslpasswd2"
SWAKS = "/usr/bin/swaks"


def can_run():
    """(True, "") when a private Postfix can run here, else (False, why)."""
    if os.geteuid() != 0:
        return False, "Postfix runs only as root (uid %d here)" % os.geteuid()
    for prog in (POSTFIX, MASTER, SMTP_SINK, SWAKS, SASLPASSWD2):
        if not os.access(prog, os.X_OK):
            return False, "%s is not installed (scripts/deps/milter-tests.list)" % prog
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return False, "no postfix user (Debian's postfix package is not installed)"
    return True, ""


def free_port():
    return nsd.free_port()


def _chown_postfix(path):
    pw = pwd.getpwnam("postfix")
    os.chown(path, pw.pw_uid, pw.pw_gid)


# ---------------------------------------------------------------- the lab

class Lab:
    """A base directory (0755, so the postfix user can reach a milter
    socket or the sink's directory below it) and everything started in it;
    a context manager that stops them all and removes the directory."""

    def __init__(self, prefix="vouch-milter-", keep=False):
        self.dir = scratch.mkdtemp(prefix, mode=0o755)
        self.keep = keep or os.environ.get("VOUCH_KEEP_LAB") == "1"
        if self.keep:
            scratch.keep(self.dir)
        self._things = []

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def subdir(self, name, mode=0o755, postfix_owned=False):
        d = self.path(name)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, mode)
        if postfix_owned:
            _chown_postfix(d)
        return d

    def add(self, thing):
        """Registers something with a stop() method, stopped on exit (last
        added, first stopped)."""
        self._things.append(thing)
        return thing

    def sink(self, name="sink", dump=True):
        s = self.add(Sink(self.subdir(name), dump=dump))
        s.start()
        return s

    def postfix(self, name="postfix", **kw):
        return self.add(Postfix(self.subdir(name), **kw))

    def stop_all(self):
        """Stops everything added so far (last first); the directory stays."""
        for t in reversed(self._things):
            try:
                t.stop()
            except Exception as e:  # keep stopping the others
                print("# stopping %r: %s" % (t, e))
        self._things = []

    def close(self):
        self.stop_all()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("# lab kept in %s" % self.dir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


# ---------------------------------------------------------------- smtp-sink

class SinkMessage:
    """One message smtp-sink received: the envelope it recorded and the
    content as delivered (CRLF line ends, smtp-sink's own Received: field
    removed)."""

    def __init__(self, path, raw):
        self.path = path
        self.client_addr = self.helo = self.mail_from = None
        self.rcpt = []
        lines = raw.split(b"\n")
        i = 0
        while i < len(lines) and lines[i].startswith(b"X-"):
            k, _, v = lines[i].partition(b": ")
            v = v.decode("utf-8", "replace")
            if k == b"X-Client-Addr":
                self.client_addr = v
            elif k == b"X-Helo-Args":
                self.helo = v
            elif k == b"X-Mail-Args":
                self.mail_from = v.split(" ")[0].strip("<>")
            elif k == b"X-Rcpt-Args":
                self.rcpt.append(v.split(" ")[0].strip("<>"))
            i += 1
        # smtp-sink's Received: field, then the message as Postfix sent it.
        if i < len(lines) and lines[i].startswith(b"Received: ") and b"smtp-sink" in b"".join(
                lines[i:i + 3]):
            i += 1
            while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
                i += 1
        body = b"\n".join(lines[i:])
        # smtp-sink ends the dump with one newline of its own.
        if body.endswith(b"\n"):
            body = body[:-1]
        self.content = body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

    def header_block(self):
        return self.content.split(b"\r\n\r\n", 1)[0]

    def headers(self, name):
        """Unfolded values of every field called `name`, top first."""
        out = []
        want = name.lower().encode() + b":"
        for f in re.split(rb"\r\n(?![ \t])", self.header_block()):
            if f.lower().startswith(want):
                v = f[len(want):]
                out.append(re.sub(rb"\r\n[ \t]", b" ", v).strip().decode("utf-8", "replace"))
        return out

    def message_id(self):
        v = self.headers("Message-ID")
        return v[0] if v else None


def _settled(path, quiet=0.3, timeout=60):
    """Waits until the file has not grown for `quiet` seconds."""
    deadline = time.time() + timeout
    size = -1
    while time.time() < deadline:
        now = os.path.getsize(path)
        if now == size:
            return
        size = now
        time.sleep(quiet)


class Sink:
    """smtp-sink on a free loopback port; with dump=True each message is a
    file in self.dir (smtp-sink -d)."""

    def __init__(self, d, dump=True):
        self.dir = d
        self.dump = dump
        self.port = free_port()
        self.mdir = os.path.join(d, "mail")
        self.proc = None

    def start(self):
        os.makedirs(self.mdir, exist_ok=True)
        _chown_postfix(self.mdir)
        argv = [SMTP_SINK, "-u", "postfix"]
        if self.dump:
            # strftime template + a random suffix smtp-sink appends.
            argv += ["-d", os.path.join(self.mdir, "%Y%m%d%H%M%S.")]
        argv += ["127.0.0.1:%d" % self.port, "256"]
        self.proc = procs.spawn(argv, log=os.path.join(self.dir, "sink.log"))
        if not procs.wait_until(lambda: procs.listening(self.port), 10):
            raise RuntimeError("smtp-sink did not listen on %d: %s" % (self.port, self.log()))

    def stop(self):
        if self.proc:
            procs.stop(self.proc)
            self.proc = None

    def log(self):
        try:
            with open(os.path.join(self.dir, "sink.log"), errors="replace") as f:
                return f.read()[-2000:]
        except FileNotFoundError:
            return ""

    def files(self):
        try:
            return sorted(os.listdir(self.mdir))
        except FileNotFoundError:
            return []

    def count(self):
        return len(self.files())

    def messages(self):
        out = []
        for name in self.files():
            p = os.path.join(self.mdir, name)
            with open(p, "rb") as f:
                out.append(SinkMessage(p, f.read()))
        return out

    def find(self, message_id, timeout=0):
        """The message whose Message-ID is message_id ("<...>" or bare),
        waiting up to `timeout` seconds for it; None if it did not come.
        Reads only the head of the other files (messages may be large)."""
        want = message_id if message_id.startswith("<") else "<%s>" % message_id

        def look():
            for name in self.files():
                p = os.path.join(self.mdir, name)
                with open(p, "rb") as f:
                    head = f.read(65536)
                if want.encode() not in head:
                    continue
                if SinkMessage(p, head).message_id() == want:
                    _settled(p)  # smtp-sink may still be writing it
                    with open(p, "rb") as f:
                        return SinkMessage(p, f.read())
            return None
        return procs.wait_until(look, timeout, step=0.2)

    def wait(self, n, timeout=30):
        """Waits until at least n messages arrived; returns the count.  A
        file is complete once smtp-sink closed it: wait a little after the
        count is reached so the last one is whole."""
        procs.wait_until(lambda: self.count() >= n, timeout, step=0.1)
        time.sleep(0.2)
        return self.count()

    def clear(self):
        for name in self.files():
            os.unlink(os.path.join(self.mdir, name))


# ---------------------------------------------------------------- Postfix

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = %(queue)s
data_directory = %(data)s
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = %(hostname)s
mydomain = vouch.example
myorigin = $myhostname
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
relay_domains = static:ALL
relayhost = [127.0.0.1]:%(relay_port)d
smtp_dns_support_level = disabled
smtp_tls_security_level = none
smtpd_tls_security_level = none
maillog_file_prefixes = %(dir)s
maillog_file = %(dir)s/maillog
biff = no
smtpd_authorized_xclient_hosts = 127.0.0.1
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
smtpd_sasl_local_domain =
smtpd_milters = %(milters)s
non_smtpd_milters = %(non_smtpd_milters)s
milter_default_action = %(default_action)s
milter_protocol = 6
message_size_limit = %(size_limit)d
mailbox_size_limit = %(size_limit)d
header_size_limit = 1024000
default_process_limit = 100
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
anvil_rate_time_unit = 60s
"""

FAST_RETRY = """\
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maximal_queue_lifetime = 1h
"""

# master.cf: written whole, not copied from /etc/postfix (a machine's own
# may be edited), chroot off everywhere so a milter socket path means the
# same to smtpd as to the milter.
MASTER_CF = """\
127.0.0.1:%(smtp_port)d inet n - n - - smtpd
127.0.0.1:%(submission_port)d inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o milter_macro_daemon_name=ORIGINATING
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

# (name, mode, group postdrop, owned by postfix), as /etc/postfix/postfix-files.
QUEUE_DIRS = [
    ("active", 0o700, False, True), ("bounce", 0o700, False, True),
    ("corrupt", 0o700, False, True), ("defer", 0o700, False, True),
    ("deferred", 0o700, False, True), ("flush", 0o700, False, True),
    ("hold", 0o700, False, True), ("incoming", 0o700, False, True),
    ("private", 0o700, False, True), ("maildrop", 0o1730, True, True),
    ("public", 0o2710, True, True), ("pid", 0o755, False, False),
    ("saved", 0o700, False, True), ("trace", 0o700, False, True),
]

SASL_SMTPD_CONF = """\
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: %s
mech_list: PLAIN LOGIN
"""


class Postfix:
    """One private Postfix instance under directory `d`.

    relay           a Sink (or anything with .port) or a port: where all mail goes
    milters         list of milter specs in Postfix syntax (smtpd_milters)
    non_smtpd       also for locally submitted mail (sendmail/pickup)
    default_action  milter_default_action (Postfix's default: tempfail)
    size_limit      message_size_limit and mailbox_size_limit, bytes
    sasl_users      {login: password}: a sasldb the submission service uses
    fast_retry      retry deferred mail every 1-2 s (an injector for crash tests)
    maildir         (domain, directory): mail to that domain is delivered into
                    the Maildir `directory` (virtual(8), owned by postfix)
                    instead of going to the relay
    main            extra main.cf settings {name: value}
    hostname        myhostname (the Received: by name, the sign-role's host)
    """

    def __init__(self, d, relay, milters=(), non_smtpd=False, default_action="tempfail",
                 size_limit=10240000, sasl_users=None, fast_retry=False, main=None,
                 hostname="mx.vouch.example", maildir=None):
        self.dir = d
        self.conf_dir = os.path.join(d, "conf")
        self.queue_dir = os.path.join(d, "queue")
        self.data_dir = os.path.join(d, "data")
        self.maillog_file = os.path.join(d, "maillog")
        self.relay_port = relay if isinstance(relay, int) else relay.port
        self.milters = list(milters)
        self.non_smtpd = non_smtpd
        self.default_action = default_action
        self.size_limit = size_limit
        self.sasl_users = dict(sasl_users or {})
        self.fast_retry = fast_retry
        self.main = dict(main or {})
        self.hostname = hostname
        self.maildir = maildir
        self.smtp_port = free_port()
        self.submission_port = free_port()
        while self.submission_port == self.smtp_port:
            self.submission_port = free_port()
        self.proc = None

    def __repr__(self):
        return "Postfix(%s)" % self.dir

    @staticmethod
    def version():
        p = subprocess.run([POSTCONF, "-dh", "mail_version"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL)
        return p.stdout.decode().strip() or "unknown"

    # -- configuration

    def _milter_value(self):
        return ", ".join(self.milters)

    def write_config(self):
        for sub in (self.conf_dir, self.queue_dir, self.data_dir):
            os.makedirs(sub, exist_ok=True)
        _chown_postfix(self.data_dir)
        main = MAIN_CF % {
            "queue": self.queue_dir, "data": self.data_dir, "dir": self.dir,
            "hostname": self.hostname, "relay_port": self.relay_port,
            "milters": self._milter_value(),
            "non_smtpd_milters": self._milter_value() if self.non_smtpd else "",
            "default_action": self.default_action, "size_limit": self.size_limit,
        }
        if self.fast_retry:
            main += FAST_RETRY
        if self.maildir:
            main += self._maildir_conf(*self.maildir)
        for k, v in self.main.items():
            main += "%s = %s\n" % (k, v)
        with open(os.path.join(self.conf_dir, "main.cf"), "w") as f:
            f.write(main)
        with open(os.path.join(self.conf_dir, "master.cf"), "w") as f:
            f.write(MASTER_CF % {"smtp_port": self.smtp_port,
                                 "submission_port": self.submission_port})
        self._write_sasl()
        self._backdate()

    def _maildir_conf(self, domain, directory):
        # One Maildir for the whole domain: virtual(8) with static maps; the
        # trailing slash of the path asks for Maildir format.
        pw = pwd.getpwnam("postfix")
        base, leaf = os.path.split(os.path.abspath(directory).rstrip("/"))
        os.makedirs(base, exist_ok=True)
        _chown_postfix(base)
        return ("virtual_mailbox_domains = %s\nvirtual_mailbox_base = %s\n"
                "virtual_mailbox_maps = static:%s/\nvirtual_uid_maps = static:%d\n"
                "virtual_gid_maps = static:%d\nvirtual_minimum_uid = %d\n"
                "virtual_mailbox_limit = 0\n" % (domain, base, leaf, pw.pw_uid, pw.pw_gid,
                                                  pw.pw_uid))

    def maildir_messages(self):
        """The messages delivered into the Maildir (bytes each, new/ and
        cur/), oldest first."""
        if not self.maildir:
            return []
        out = []
        for sub in ("cur", "new"):
            d = os.path.join(self.maildir[1], sub)
            if os.path.isdir(d):
                for name in os.listdir(d):
                    p = os.path.join(d, name)
                    out.append((os.path.getmtime(p), p))
        res = []
        for _, p in sorted(out):
            with open(p, "rb") as f:
                res.append(f.read())
        return res

    def _backdate(self):
        # Postfix waits while main.cf or master.cf is younger than a couple
        # of seconds (it may still be being edited): date them back.
        past = time.time() - 10
        for name in ("main.cf", "master.cf"):
            os.utime(os.path.join(self.conf_dir, name), (past, past))

    def _write_sasl(self):
        # Debian's Postfix reads smtpd.conf from CONFIGDIR/sasl/ and ignores
        # cyrus_sasl_config_path; the sasldb must be readable by postfix.
        sdir = os.path.join(self.conf_dir, "sasl")
        os.makedirs(sdir, exist_ok=True)
        db = os.path.join(sdir, "sasldb2")
        with open(os.path.join(sdir, "smtpd.conf"), "w") as f:
            f.write(SASL_SMTPD_CONF % db)
        for user, pw in self.sasl_users.items():
            # The realm is myhostname, which Postfix gives Cyrus as the
            # server's name: logins stay bare ("alice"), as {auth_authen}
            # shows them to the milter.
            p = subprocess.run([SASLPASSWD2, "-f", db, "-p", "-c", "-u", self.hostname, user],
                               input=pw.encode(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            if p.returncode:
                raise RuntimeError("saslpasswd2 %s: %s" % (user, p.stdout.decode()))
        if os.path.exists(db):
            _chown_postfix(db)
            os.chmod(db, 0o640)

    def postconf(self, *args):
        p = subprocess.run([POSTCONF, "-c", self.conf_dir] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return p.returncode, p.stdout.decode("utf-8", "replace")

    def set_main(self, **settings):
        """Changes main.cf settings (postconf -e) and reloads if running."""
        self.main.update(settings)
        rc, out = self.postconf("-e", *["%s=%s" % kv for kv in settings.items()])
        if rc:
            raise RuntimeError("postconf -e: " + out)
        self._backdate()
        if self.running():
            self.reload()

    def set_milters(self, milters):
        self.milters = list(milters)
        self.set_main(smtpd_milters=self._milter_value(),
                      non_smtpd_milters=self._milter_value() if self.non_smtpd else "")

    # -- running

    def start(self, timeout=30):
        """Writes the configuration, creates the queue and runs master(8)
        in the foreground as our child, so it is ours to stop and it dies
        with the test."""
        self.write_config()
        self._make_queue()
        self.proc = procs.spawn([MASTER, "-c", self.conf_dir, "-s"],
                                log=os.path.join(self.dir, "master.out"))
        ports = (self.smtp_port, self.submission_port)
        if not procs.wait_until(lambda: all(procs.listening(x) for x in ports), timeout):
            raise RuntimeError("Postfix did not listen on %s: %s" % (ports, self.log_tail()))
        return self

    def check(self):
        """`postfix check`: (exit status, what it said).  postfix(1) writes
        its fatal error to stderr only when that is a terminal, so it runs
        under script(1)."""
        p = subprocess.run(["script", "-qec", "%s -c %s check" % (POSTFIX, self.conf_dir),
                            "/dev/null"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return p.returncode, p.stdout.decode("utf-8", "replace").strip()

    def _make_queue(self):
        # The queue directories with the owners and modes of Debian's
        # postfix-files, made here: `postfix check` would make them too but
        # takes two seconds per instance.
        pw = pwd.getpwnam("postfix")
        postdrop = grp.getgrnam("postdrop").gr_gid
        os.chmod(self.queue_dir, 0o755)
        for name, mode, gid, owner in QUEUE_DIRS:
            d = os.path.join(self.queue_dir, name)
            os.makedirs(d, exist_ok=True)
            os.chown(d, pw.pw_uid if owner else 0, postdrop if gid else (pw.pw_gid if owner else 0))
            os.chmod(d, mode)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def reload(self):
        """master re-reads main.cf and master.cf (SIGHUP, as postfix reload)."""
        os.kill(self.proc.pid, signal.SIGHUP)
        time.sleep(0.5)

    def stop(self):
        # SIGTERM: master passes it on to its children and exits.
        if self.proc:
            procs.stop(self.proc, wait=20)
            self.proc = None

    def pids(self):
        """master and its live children."""
        return procs.tree(self.proc.pid) if self.running() else []

    def cpu(self):
        """CPU seconds of the whole instance so far (see procs.tree_cpu)."""
        return procs.tree_cpu(self.proc.pid) if self.running() else 0.0

    # -- logs and queues

    def maillog(self):
        try:
            with open(self.maillog_file, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log_tail(self, n=3000):
        out = self.maillog()[-n:]
        try:
            with open(os.path.join(self.dir, "master.out"), errors="replace") as f:
                out += f.read()[-n:]
        except FileNotFoundError:
            pass
        return out

    def queue(self):
        """Every queued message (postqueue -j): dicts with queue_name
        (active, deferred, hold, incoming, maildrop), queue_id, sender,
        recipients (each with delay_reason when deferred), message_size."""
        p = subprocess.run([POSTQUEUE, "-c", self.conf_dir, "-j"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        out = []
        for line in p.stdout.decode("utf-8", "replace").splitlines():
            if line.strip():
                out.append(json.loads(line))
        return out

    def hold(self):
        return [m for m in self.queue() if m.get("queue_name") == "hold"]

    def flush(self):
        """Asks for an immediate delivery attempt of deferred mail."""
        subprocess.run([POSTQUEUE, "-c", self.conf_dir, "-f"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def wait_queue_empty(self, timeout=60):
        return procs.wait_until(lambda: not self.queue(), timeout, step=0.5)

    def queued_file(self, queue_id):
        """The queue file's content (postcat -q), for held mail."""
        p = subprocess.run(["/usr/sbin/postcat", "-c", self.conf_dir, "-bh", "-q", queue_id],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return p.stdout

    def delete_all(self):
        subprocess.run([POSTSUPER, "-c", self.conf_dir, "-d", "ALL"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


# ---------------------------------------------------------------- swaks

class SwaksResult:
    """What the server finally said to a swaks transaction.

    code        the last SMTP reply code swaks saw before QUIT (250 when the
                message was queued, else the rejecting reply), 0 if none
    text        that reply's text, lines joined with a newline
    stage       the command it answered (EHLO, AUTH, MAIL, RCPT, DATA, ...)
    queue_id    the queue id from "250 2.0.0 Ok: queued as ID", or None
    transcript  swaks' whole output
    rc          swaks' exit status
    """

    def __init__(self, rc, transcript):
        self.rc = rc
        self.transcript = transcript
        self.code, self.text, self.stage, self.queue_id = 0, "", None, None
        self._parse()

    def _parse(self):
        # swaks -n (--suppress-data) prints " -> COMMAND" for what it sends,
        # " -> N lines sent" for the message, and "<-  250 text" (or "<** "
        # for a 4xx/5xx) for each reply line.
        stage, lines, last = "CONNECT", [], None
        for line in self.transcript.splitlines():
            if line[:4] in (" -> ", " ~> "):
                cmd = line[4:]
                stage = "DATA-END" if re.match(r"^\d+ lines sent", cmd) else \
                    cmd.split(" ")[0].split(":")[0].upper()
                lines = []
                continue
            m = re.match(r"^(?:<-|<\*\*|<~|<~\*) +(\d{3})([ -]?)(.*)$", line)
            if not m:
                continue
            lines.append(m.group(3))
            if m.group(2) != "-":
                if stage != "QUIT":
                    last = (int(m.group(1)), "\n".join(lines), stage)
                lines = []
        if last:
            self.code, self.text, self.stage = last
        m = re.search(r"queued as ([0-9A-Za-z]+)", self.text)
        if m and self.code == 250 and self.stage == "DATA-END":
            self.queue_id = m.group(1)

    @property
    def accepted(self):
        """True when the message was queued (250 after the data)."""
        return self.code == 250 and self.stage == "DATA-END"

    def __repr__(self):
        return "<swaks %d %s at %s>" % (self.code, self.text, self.stage)


def swaks(port, mail_from, rcpt, data=None, data_file=None, auth=None, xclient_addr=None,
          xclient_name=None, helo="client.vouch.example", timeout=120, extra=()):
    """Sends one message with swaks to 127.0.0.1:port.  data is the message
    (bytes, CRLF or LF) or data_file a path to it; auth (login, password) does
    AUTH PLAIN; xclient_addr makes Postfix (and its milters) see that client
    address (XCLIENT, allowed from 127.0.0.1).  Returns a SwaksResult."""
    argv = [SWAKS, "--server", "127.0.0.1", "--port", str(port), "--from", mail_from,
            "--helo", helo, "--timeout", str(timeout), "--hide-informational",
            "--suppress-data"]
    for r in ([rcpt] if isinstance(rcpt, str) else rcpt):
        argv += ["--to", r]
    tmp = None
    if data is not None:
        # swaks ends what it sends with a line end of its own (one more
        # empty line when the file already ends with one): drop the
        # message's last line end so that exactly `data` is sent.
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        fd, tmp = scratch.mkstemp("vouch-swaks-", ".eml")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        data_file = tmp
    if data_file:
        argv += ["--data", data_file]
    if auth:
        argv += ["--auth", "PLAIN", "--auth-user", auth[0], "--auth-password", auth[1]]
    if xclient_addr:
        argv += ["--xclient-addr", xclient_addr]
        if xclient_name:
            argv += ["--xclient-name", xclient_name]
        # Send XCLIENT even if swaks does not see it advertised.
        argv += ["--xclient-optional-strict"]
    argv += list(extra)
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout + 30)
        return SwaksResult(p.returncode, p.stdout.decode("utf-8", "replace"))
    finally:
        if tmp:
            os.unlink(tmp)


def smtp_source(port, n, sessions, msg_file, mail_from="load@sender.example",
                rcpt="rcpt@rcpt.example", reuse=False, timeout=600):
    """Runs smtp-source: n messages, `sessions` in parallel, each the file
    msg_file sent verbatim (it must carry its own header), one message per
    connection unless reuse (-d).  smtp-source stops at the first reply
    that is not 2xx.  Returns (exit status, output)."""
    argv = [SMTP_SOURCE, "-s", str(sessions), "-m", str(n), "-f", mail_from, "-t", rcpt,
            "-F", msg_file]
    if reuse:
        argv.append("-d")
    argv += ["127.0.0.1:%d" % port]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def smtp_source_start(port, n, sessions, msg_file, mail_from="load@sender.example",
                      rcpt="rcpt@rcpt.example", log=None):
    """smtp-source in the background (a procs.spawn Popen): for load that
    runs while the test does something else.  Its exit status is 0 only if
    every message got 2xx replies throughout."""
    argv = [SMTP_SOURCE, "-s", str(sessions), "-m", str(n), "-f", mail_from, "-t", rcpt,
            "-F", msg_file, "127.0.0.1:%d" % port]
    return procs.spawn(argv, log=log, session=True)


def send_many(port, messages, sessions=4, mail_from="load@sender.example",
              rcpt="rcpt@rcpt.example", per_connection=50, timeout=60):
    """Sends each message (bytes, CRLF) with smtplib over `sessions`
    parallel connections, a new connection every `per_connection`
    messages.  Returns [(index, reply code, reply text)], one per message
    (code 0 when the connection failed)."""
    import smtplib
    import threading

    results = [None] * len(messages)

    def worker(k):
        idx = list(range(k, len(messages), sessions))
        for start in range(0, len(idx), per_connection):
            chunk = idx[start:start + per_connection]
            try:
                c = smtplib.SMTP("127.0.0.1", port, timeout=timeout)
                c.ehlo("injector.vouch.example")
            except (OSError, smtplib.SMTPException) as e:
                for i in chunk:
                    results[i] = (i, 0, str(e))
                continue
            for i in chunk:
                try:
                    c.mail(mail_from)
                    c.rcpt(rcpt)
                    code, text = c.data(messages[i])
                    results[i] = (i, code, text.decode("utf-8", "replace"))
                except smtplib.SMTPResponseException as e:
                    results[i] = (i, e.smtp_code, str(e.smtp_error))
                    try:
                        c.rset()
                    except (OSError, smtplib.SMTPException):
                        pass
                except (OSError, smtplib.SMTPException) as e:
                    results[i] = (i, 0, str(e))
            try:
                c.quit()
            except (OSError, smtplib.SMTPException):
                pass

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def cleanup_message_ids(maillog):
    """{queue id: Message-ID} from cleanup's "QID: message-id=<...>" lines."""
    out = {}
    for m in re.finditer(r"cleanup\[\d+\]: ([0-9A-F]+): message-id=(<[^>\s]*>)", maillog):
        out[m.group(1)] = m.group(2)
    return out
