"""A private PostgreSQL server for the tests: Debian's postgresql-15 started
in a temporary directory on a free loopback port, stopped at the end (also
when the test fails or is interrupted).

initdb refuses to run as root, so as root the server runs as `nobody` in a
directory given to it; as another user it runs as that user.  The server
trusts local connections (it listens on 127.0.0.1 and on a socket in its
own directory only) and runs with fsync off: the tests kill clients, never
the server, so durability against power loss is not what they check.

    with pg.Server() as srv:          # or srv = pg.Server(); srv.start()
        url = srv.new_db("t1")         # postgresql://vouch@127.0.0.1:PORT/t1
        srv.psql("t1", "SELECT 1")

pg.available() says whether the server binaries are installed (a test then
skips with that reason, visibly).
"""
import atexit
import os
import pwd
import shutil
import socket
import subprocess
import time

import scratch

BIN = os.environ.get("VOUCH_PG_BIN", "/usr/lib/postgresql/15/bin")
USER = "vouch"  # the database superuser the tests connect as


def available():
    """None when a server can be started, else the reason it cannot."""
    for prog in ("initdb", "pg_ctl", "psql", "createdb"):
        if not os.access(os.path.join(BIN, prog), os.X_OK):
            return "%s/%s not installed (Debian package postgresql-15)" % (BIN, prog)
    return None


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self):
        self.dir = None
        self.port = None
        self.proc_user = None
        self.running = False

    # -- running programs as the server's user --
    def _demote(self):
        if self.proc_user is None:
            return None
        pw = self.proc_user

        def fn():
            os.setgid(pw.pw_gid)
            os.setgroups([])
            os.setuid(pw.pw_uid)
        return fn

    def _run(self, argv, check=True, **kw):
        env = dict(os.environ, LC_ALL="C", PGHOST=self.sockdir, PGPORT=str(self.port),
                   PGUSER=USER, HOME=self.dir)
        p = subprocess.run(argv, env=env, preexec_fn=self._demote(), cwd=self.dir,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
        if check and p.returncode != 0:
            raise RuntimeError("%s failed (%d): %s%s" % (argv[0], p.returncode, p.stderr, self._log_tail()))
        return p

    def _log_tail(self):
        try:
            with open(os.path.join(self.dir, "log")) as f:
                return "\n--- server log ---\n" + f.read()[-2000:]
        except OSError:
            return ""

    def start(self):
        why = available()
        if why:
            raise RuntimeError(why)
        self.dir = scratch.mkdtemp("vouch-pg-")
        self.sockdir = self.dir
        self.data = os.path.join(self.dir, "data")
        if os.geteuid() == 0:
            self.proc_user = pwd.getpwnam("nobody")
            os.chown(self.dir, self.proc_user.pw_uid, self.proc_user.pw_gid)
        os.chmod(self.dir, 0o700)
        # Also when the test is interrupted: scratch (imported above) turns
        # SIGTERM, the runner's timeout, into SystemExit, so atexit runs.
        atexit.register(self.stop)
        self.port = free_port()
        self._run([os.path.join(BIN, "initdb"), "-D", self.data, "-U", USER, "--auth=trust",
                   "-E", "UTF8", "--locale=C", "--no-sync"])
        opts = ("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c full_page_writes=off -c max_connections=50" % (self.port, self.sockdir))
        for attempt in range(3):
            p = self._run([os.path.join(BIN, "pg_ctl"), "-D", self.data, "-o", opts, "-l",
                           os.path.join(self.dir, "log"), "-w", "-t", "60", "start"], check=False)
            if p.returncode == 0:
                break
            # the port was taken between our probe and the server's bind
            self.port = free_port()
            opts = opts.replace("-p %d" % int(opts.split()[1]), "-p %d" % self.port)
        else:
            raise RuntimeError("pg_ctl start failed: %s%s" % (p.stderr, self._log_tail()))
        self.running = True
        return self

    def stop(self):
        if self.running:
            self._run([os.path.join(BIN, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w",
                       "stop"], check=False)
            self.running = False
        if self.dir and os.path.isdir(self.dir):
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def url(self, db):
        return "postgresql://%s@127.0.0.1:%d/%s" % (USER, self.port, db)

    def new_db(self, name):
        """Creates an empty database (dropping one of that name first)."""
        self._run([os.path.join(BIN, "dropdb"), "--if-exists", name])
        self._run([os.path.join(BIN, "createdb"), "-T", "template0", name])
        return self.url(name)

    def psql(self, db, sql):
        """Runs SQL; returns the rows as lists of strings (unaligned, tab-separated)."""
        p = self._run([os.path.join(BIN, "psql"), "-X", "-q", "-A", "-t", "-F", "\t",
                       "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql])
        return [line.split("\t") for line in p.stdout.splitlines() if line != ""]
