"""Processes the real-system tests start, and what /proc says about them.

Every server a test starts goes through spawn(): it runs in its own session
(so its whole process group can be ended without touching anything else),
receives SIGTERM if the test process dies first (PR_SET_PDEATHSIG), and is
recorded, so that stop_all() -- also run at exit -- ends exactly the
processes this test started and nothing else.

    p = procs.spawn([SMTP_SINK, ...], log="/tmp/x/sink.log")
    procs.listening(port)           # is someone listening on 127.0.0.1:port?
    procs.tree_cpu(p.pid)           # CPU seconds of p and its descendants
    procs.stop(p)                   # SIGTERM the group, SIGKILL after a wait

The CPU and memory figures come from /proc/PID/stat and /proc/PID/status:
utime + stime of each live process, plus cutime + cstime (the CPU of
children it has already reaped), in seconds; VmRSS / VmHWM in KiB.
"""
import atexit
import ctypes
import os
import signal
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PR_SET_PDEATHSIG = 1

_started = []


def _die_with_parent():
    # Runs in the child between fork and exec: if the test is killed, the
    # server it started gets SIGTERM instead of living on.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(argv, log=None, env=None, cwd=None, session=True):
    """Starts argv in the background and records it.  Its stdout and stderr
    go to the file `log` (appended) or /dev/null.  Returns the Popen."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    try:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env,
                             cwd=cwd, start_new_session=session, preexec_fn=_die_with_parent)
    finally:
        if log:
            out.close()
    _started.append(p)
    return p


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def stop(p, sig=signal.SIGTERM, wait=15):
    """Ends a process started by spawn(): `sig` to its process group, then
    SIGKILL to the group if it has not exited within `wait` seconds."""
    if p.poll() is None:
        _signal_group(p, sig)
        try:
            p.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            _signal_group(p, signal.SIGKILL)
            p.wait()
    # Stragglers of the group (children that outlived their leader).
    _signal_group(p, signal.SIGKILL)
    if p in _started:
        _started.remove(p)


def _signal_group(p, sig):
    try:
        os.killpg(p.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_all():
    """Ends every process spawn() started that is still recorded."""
    for p in list(reversed(_started)):
        stop(p, wait=5)


atexit.register(stop_all)


# ---------------------------------------------------------------- /proc

def _stat(pid):
    """(ppid, utime+stime, cutime+cstime) in clock ticks, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = s.rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3 of proc(5)); utime is field 14.
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def children_map():
    """{ppid: [pid, ...]} for every process now."""
    m = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = _stat(int(name))
        if st:
            m.setdefault(st[0], []).append(int(name))
    return m


def tree(pid):
    """pid and all its live descendants."""
    m = children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(m.get(p, []))
    return out


def tree_cpu_split(pid):
    """(user, system) CPU seconds of pid's process tree so far, counted as
    tree_cpu() counts them."""
    user = system = 0
    for p in tree(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        user += int(fields[11]) + int(fields[13])
        system += int(fields[12]) + int(fields[14])
    return user / CLK_TCK, system / CLK_TCK


def tree_cpu(pid):
    """CPU seconds used by pid's process tree so far: utime + stime of every
    live process in it plus cutime + cstime (its reaped children)."""
    ticks = 0
    for p in tree(pid):
        st = _stat(p)
        if st:
            ticks += st[1] + st[2]
    return ticks / CLK_TCK


def status_kb(pid, key):
    """A 'kB' field of /proc/PID/status (VmRSS, VmHWM, ...), or 0."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def tree_rss_kb(pid):
    """Sum of VmRSS over pid's process tree, KiB."""
    return sum(status_kb(p, "VmRSS") for p in tree(pid))


def tree_hwm_kb(pid):
    """Sum of VmHWM (peak RSS) over pid's live process tree, KiB."""
    return sum(status_kb(p, "VmHWM") for p in tree(pid))


def nfds(pid):
    """Number of open file descriptors of pid (entries of /proc/PID/fd)."""
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except (FileNotFoundError, ProcessLookupError):
        return -1


def tree_nfds(pid):
    return sum(max(nfds(p), 0) for p in tree(pid))


# ---------------------------------------------------------------- sockets

def listening(port, host="127.0.0.1"):
    """True if a TCP socket listens on host:port, read from /proc/net/tcp:
    connecting to find out would open an SMTP session a milter sees."""
    want = "%s:%04X" % ("".join("%02X" % int(b) for b in reversed(host.split("."))), port)
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                parts = line.split()
                if parts[1] == want and parts[3] == "0A":  # TCP_LISTEN
                    return True
    except FileNotFoundError:
        pass
    return False


def wait_until(pred, timeout, step=0.05):
    """Polls pred() until it is true or `timeout` seconds passed; returns
    its last value."""
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() >= deadline:
            return v
        time.sleep(step)


def unix_listening(path):
    """True if a unix stream socket at `path` is listening (/proc/net/unix)."""
    try:
        with open("/proc/net/unix") as f:
            next(f)
            for line in f:
                parts = line.split()
                # Flags 00010000 is __SO_ACCEPTCON: a listening socket.
                if len(parts) >= 8 and parts[7] == path and parts[3] == "00010000":
                    return True
    except FileNotFoundError:
        pass
    return False
