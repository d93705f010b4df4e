"""Temporary files and directories that a test removes, however it ends.

Test scripts make their scratch space here instead of with tempfile.mkdtemp
or tempfile.mkstemp, which leave it behind (test keys included) unless every
path out of the script removes it:

    tmp = scratch.mkdtemp("vouch-check-")         # 0700, like mkdtemp
    lab = scratch.mkdtemp("vouch-pg-", mode=0o755) # an unprivileged server
                                                   # can reach what is below
    fd, path = scratch.mkstemp("vouch-dkim-", ".zone")

Everything made here is removed when the script exits: normally, through an
exception, on SIGINT, and on SIGTERM or SIGHUP (which this module turns into
SystemExit, so try/finally blocks and atexit handlers run; tests/run.py sends
SIGTERM to a script that outlives its time).  Servers the script started
through procs.spawn() are stopped first, so that no server still writes into
a directory being removed.  remove(path) removes one early.

Both honour TMPDIR (tests/run.py gives each run its own, and fails a script
that leaves anything there); a server running as an unprivileged user (nobody,
postgres) needs that directory to be traversable, which run.py's is (0755).
Only SIGKILL escapes this; run.py removes what such a script left.
"""
import atexit
import os
import signal
import sys
import tempfile

from rmpath import remove as _rm

_made = []
# A child made with os.fork() inherits _made and the atexit handler; only
# the process that made the files removes them.
_owner = os.getpid()


def mkdtemp(prefix="vouch-", mode=None):
    """A new directory under TMPDIR (tempfile.mkdtemp, 0700), chmod'ed to
    `mode` when given; removed with everything in it at exit."""
    d = tempfile.mkdtemp(prefix=prefix)
    _made.append(d)
    if mode is not None:
        os.chmod(d, mode)
    return d


def mkstemp(prefix="vouch-", suffix=""):
    """(fd, path) of a new file under TMPDIR (tempfile.mkstemp, 0600); the
    file is removed at exit.  The caller closes fd."""
    fd, path = tempfile.mkstemp(prefix=prefix, suffix=suffix)
    _made.append(path)
    return fd, path


def remove(path):
    """Removes a file or directory made here now, instead of at exit."""
    if path in _made:
        _made.remove(path)
    _rm(path)


def keep(path):
    """Leaves a file or directory made here in place at exit (a test lab
    kept for a person to look at, VOUCH_KEEP_LAB=1; tests/run.py still
    removes it, so run the script alone for that)."""
    if path in _made:
        _made.remove(path)


def cleanup():
    """Stops what procs.spawn() started, then removes everything made here
    (last made, first removed).  Runs at exit; safe to call again."""
    if os.getpid() != _owner:
        return
    procs = sys.modules.get("procs")
    if procs is not None:
        procs.stop_all()
    while _made:
        _rm(_made.pop())


def _exit_on_signal(signum, frame):
    # SystemExit unwinds the stack: finally blocks and with-statements stop
    # their servers, then atexit runs cleanup().
    raise SystemExit(128 + signum)


atexit.register(cleanup)
for _sig in (signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(_sig) == signal.SIG_DFL:
        signal.signal(_sig, _exit_on_signal)
