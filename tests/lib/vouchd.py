"""vouchd, the daemon under test ($VOUCHD, build/src/milter/vouchd), as a
milter of a private Postfix.

    v = vouchd.Vouchd(lab.subdir("vouchd"), {"Mode": "sv", "Domain": ...})
    v.start()                       # writes vouchd.conf, runs vouchd -c
    pf = lab.postfix(relay=sink, milters=[v.spec])
    v.hup(); v.kill9(); v.start()   # reload, crash, restart
    v.events()                      # its log lines (LogFormat json), parsed

Options are vouchd.conf(5)'s, OpenDKIM-style names.  The socket is a unix
socket in a directory the postfix user can reach, made writable for it
(UMask 000); inet=True gives inet:PORT@127.0.0.1 instead.  vouchd runs in
its own session, logging to standard error (Syslog no), which goes to
DIR/vouchd.log.

supported() and missing_options() probe the binary (`vouchd -O` lists
every option it knows) so that a test can say precisely which documented
option the daemon under test does not have yet.
"""
import json
import os
import signal
import subprocess

import postfix
import procs

VOUCHD = os.environ.get("VOUCHD") or os.path.join(
    os.environ.get("VOUCH_BUILD", os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                               "..", "..", "build")),
    "src", "milter", "vouchd")


def built():
    """(True, "") when the vouchd binary exists, else (False, why)."""
    if os.access(VOUCHD, os.X_OK):
        return True, ""
    return False, "vouchd is not built (%s missing)" % VOUCHD


_options = None


def known_options():
    """The option names `vouchd -O` lists (lower case), or None when it
    cannot say."""
    global _options
    if _options is None:
        try:
            p = subprocess.run([VOUCHD, "-O"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=10)
        except OSError:
            return None
        if p.returncode != 0:
            return None
        _options = set()
        for line in p.stdout.decode("utf-8", "replace").splitlines():
            if line.strip() and not line.startswith("#"):
                _options.add(line.split()[0].lower())
    return _options


def missing_options(names):
    """Those of `names` that vouchd -O does not list."""
    known = known_options()
    if known is None:
        return list(names)
    return [n for n in names if n.lower() not in known]


class Vouchd:
    def __init__(self, d, options, inet=False, argv_extra=()):
        self.dir = d
        self.conf_file = os.path.join(d, "vouchd.conf")
        self.log_file = os.path.join(d, "vouchd.log")
        self.pid_file = os.path.join(d, "vouchd.pid")
        if inet:
            self.port = postfix.free_port()
            self.socket = "inet:%d@127.0.0.1" % self.port
            self.spec = "inet:127.0.0.1:%d" % self.port
            self.sock_path = None
        else:
            sdir = os.path.join(d, "sock")
            os.makedirs(sdir, exist_ok=True)
            os.chmod(sdir, 0o755)
            self.sock_path = os.path.join(sdir, "vouchd.sock")
            self.socket = "unix:" + self.sock_path
            self.spec = "unix:" + self.sock_path
        self.options = {"Socket": self.socket, "Syslog": "no", "LogFormat": "json",
                        "UMask": "000", "PidFile": self.pid_file}
        self.options.update(options)
        self.argv_extra = list(argv_extra)
        self.proc = None

    def __repr__(self):
        return "Vouchd(%s)" % self.dir

    def write_conf(self, **changes):
        """(Re)writes vouchd.conf with the options, updated by `changes`
        (a value None removes an option)."""
        for k, v in changes.items():
            if v is None:
                self.options.pop(k, None)
            else:
                self.options[k] = v
        with open(self.conf_file, "w") as f:
            for k, v in self.options.items():
                f.write("%s %s\n" % (k, v))

    def check(self):
        """vouchd -t: (exit status, what it said)."""
        self.write_conf()
        p = subprocess.run([VOUCHD, "-t", "-c", self.conf_file], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        return p.returncode, p.stdout.decode("utf-8", "replace")

    def start(self, timeout=15):
        """Starts vouchd and waits until its socket listens.  Raises
        RuntimeError (with its log) when it exits or does not listen."""
        self.write_conf()
        if self.sock_path and os.path.exists(self.sock_path) and not procs.unix_listening(
                self.sock_path):
            os.unlink(self.sock_path)  # left by a killed instance
        self.proc = procs.spawn([VOUCHD, "-c", self.conf_file] + self.argv_extra,
                                log=self.log_file)
        ready = procs.wait_until(lambda: self.listening() or self.proc.poll() is not None,
                                 timeout)
        if not ready or self.proc.poll() is not None:
            rc = self.proc.poll()
            self.stop()
            raise RuntimeError("vouchd did not start (exit %s): %s" % (rc, self.log_tail()))
        return self

    def listening(self):
        if self.sock_path:
            return procs.unix_listening(self.sock_path)
        return procs.listening(self.port)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def pids(self):
        return procs.tree(self.proc.pid) if self.running() else []

    def hup(self):
        os.kill(self.proc.pid, signal.SIGHUP)

    def term(self):
        os.kill(self.proc.pid, signal.SIGTERM)

    def kill9(self):
        """SIGKILL to every vouchd process (its process group): a crash."""
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            procs.stop(self.proc)
            self.proc = None

    def stop(self, wait=15):
        if self.proc:
            procs.stop(self.proc, wait=wait)
            self.proc = None

    def exit_status(self):
        return self.proc.poll() if self.proc else None

    # -- what it says

    def log(self):
        try:
            with open(self.log_file, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log_tail(self, n=2000):
        return self.log()[-n:]

    def events(self):
        """Its JSON log lines, parsed (LogFormat json); other lines skipped."""
        out = []
        for line in self.log().splitlines():
            i = line.find("{")
            if i < 0:
                continue
            try:
                out.append(json.loads(line[i:]))
            except ValueError:
                pass
        return out

    def cpu(self):
        return procs.tree_cpu(self.proc.pid) if self.running() else 0.0

    def cpu_split(self):
        return procs.tree_cpu_split(self.proc.pid) if self.running() else (0.0, 0.0)

    def rss_kb(self):
        return procs.tree_rss_kb(self.proc.pid) if self.running() else 0

    def hwm_kb(self):
        return procs.tree_hwm_kb(self.proc.pid) if self.running() else 0

    def nfds(self):
        return procs.tree_nfds(self.proc.pid) if self.running() else 0
