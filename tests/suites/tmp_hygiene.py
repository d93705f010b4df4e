#!/usr/bin/python3
"""The test suite removes what it makes in TMPDIR, however a test ends.

tests/lib/scratch.py: a script's scratch directories and files go when it
exits normally, through an exception, on SIGINT, SIGTERM and SIGHUP; a
server it started through procs.spawn() is stopped first; a forked child
that exits does not remove its parent's.  tests/run.py: a program that leaves
something in the run's TMPDIR is a failure naming it (and it is removed); a
program past its time gets SIGTERM first, so scratch cleans up.  And no test
makes temporary files around these helpers.

Each case runs a small child script with TMPDIR set to an empty directory
of its own, and looks at that directory after the child ended."""
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time

import scratch
import vtest
from vtest import ok

LIB = os.path.join(vtest.ROOT, "tests", "lib")
BASE = scratch.mkdtemp("vouch-hygiene-", mode=0o755)

# The child prints "ready" once it made its files, then ends as told.
PRELUDE = r'''
import os, sys, time
sys.path.insert(0, %(lib)r)
import scratch
d = scratch.mkdtemp("vouch-child-")
open(os.path.join(d, "k.private"), "w").write("key\n")
fd, f = scratch.mkstemp("vouch-child-", ".zone")
os.close(fd)
'''

ENDINGS = {
    "a normal exit": "print('ready', flush=True)\n",
    "an uncaught exception": "print('ready', flush=True)\nraise RuntimeError('boom')\n",
    "sys.exit(3)": "print('ready', flush=True)\nsys.exit(3)\n",
    "SIGTERM": "print('ready', flush=True)\ntime.sleep(60)\n",
    "SIGHUP": "print('ready', flush=True)\ntime.sleep(60)\n",
    "SIGINT": "print('ready', flush=True)\ntime.sleep(60)\n",
    # A forked child that exits through SystemExit (atexit runs in it)
    # must not remove the parent's files while the parent still uses them.
    "a forked child's exit": (
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    sys.exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "print('ready' if os.path.isdir(d) and os.path.exists(f) else 'gone', flush=True)\n"),
}
SIGNALS = {"SIGTERM": signal.SIGTERM, "SIGHUP": signal.SIGHUP, "SIGINT": signal.SIGINT}


def child_dir(name):
    d = os.path.join(BASE, name.replace(" ", "_").replace("'", "").replace("(", "").replace(")", ""))
    os.mkdir(d)
    return d


def run_child(name, body):
    """Runs PRELUDE + body with TMPDIR=a new directory; signals it once it is
    ready when `name` is a signal.  Returns (its first line, what it left)."""
    tmp = child_dir(name)
    env = dict(os.environ, TMPDIR=tmp)
    p = subprocess.Popen([sys.executable, "-c", PRELUDE % {"lib": LIB} + body], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first = p.stdout.readline().strip()
    if name in SIGNALS and first == "ready":
        left_while_running = os.listdir(tmp)
        ok(len(left_while_running) == 2, "scratch: the files exist while the script runs",
           "in TMPDIR: %r" % left_while_running)
        p.send_signal(SIGNALS[name])
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return first, sorted(os.listdir(tmp))


for name, body in ENDINGS.items():
    first, left = run_child(name, body)
    ok(first == "ready" and left == [], "scratch: nothing left in TMPDIR after %s" % name,
       "child said %r, left %r" % (first, left))

# A server started through procs.spawn() that keeps writing into the scratch
# directory: SIGTERM to the script stops the server before the directory is
# removed (otherwise it would be made again, or the server would live on).
SERVER = PRELUDE + r'''
import procs
p = procs.spawn(["/bin/sh", "-c", "while :; do date > %%s/alive; sleep 0.05; done" %% d])
print("ready %%d" %% p.pid, flush=True)
time.sleep(60)
'''
tmp = child_dir("server")
p = subprocess.Popen([sys.executable, "-c", SERVER % {"lib": LIB}], env=dict(os.environ, TMPDIR=tmp),
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
line = p.stdout.readline().split()
server = int(line[1]) if len(line) == 2 and line[0] == "ready" else 0
time.sleep(0.3)
p.send_signal(signal.SIGTERM)
p.wait(timeout=30)
time.sleep(0.3)
ok(server > 0 and not os.path.exists("/proc/%d" % server) and os.listdir(tmp) == [],
   "scratch: SIGTERM stops the script's server, then removes its directory",
   "server pid %d alive %s, left %r" % (server, server > 0 and os.path.exists("/proc/%d" % server),
                                        os.listdir(tmp)))

# tests/run.py: what a program leaves is a failure naming it, then removed;
# a program past its time gets SIGTERM, so scratch removes its files.
spec = importlib.util.spec_from_file_location("vouch_run", os.path.join(vtest.ROOT, "tests", "run.py"))
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)
run.RUN_TMP = child_dir("run")
env = dict(os.environ, TMPDIR=run.RUN_TMP)
leaver = "import os; open(os.path.join(os.environ['TMPDIR'], 'left-key.private'), 'w').close()"
saved = sys.stdout
sys.stdout = open(os.devnull, "w")
try:
    run.run_program("leaver", [sys.executable, "-c", leaver], env, 30)
    leaver_failures = list(run.failures)
    run.failures.clear()
    t0 = time.time()
    run.run_program("sleeper", [sys.executable, "-c", PRELUDE % {"lib": LIB} + "time.sleep(60)\n"], env, 1)
    sleeper_time = time.time() - t0
finally:
    sys.stdout.close()
    sys.stdout = saved
ok(len(leaver_failures) == 1 and leaver_failures[0].startswith("hygiene/leaver:")
   and "left-key.private" in leaver_failures[0] and os.listdir(run.RUN_TMP) == [],
   "run.py: a program that leaves a file in TMPDIR fails, the file named and removed",
   repr(leaver_failures))
ok(len(run.failures) == 1 and "timed out" in run.failures[0] and sleeper_time < 20,
   "run.py: a program past its time gets SIGTERM and removes its files itself (no hygiene failure)",
   "%r in %.1fs" % (run.failures, sleeper_time))

# New tests keep to the helpers: a tempfile.mkdtemp/mkstemp/mktemp of its own
# (not below a directory made through scratch, dir=...), a
# NamedTemporaryFile(delete=False), or a C template under a fixed /tmp would
# leave files where run.py cannot see them or when the test fails.
PY_BAD = re.compile(r"tempfile\.(mkdtemp|mkstemp|mktemp)\((?![^)]*\bdir=)|NamedTemporaryFile\([^)]*delete=False")
C_BAD = re.compile(r'"/tmp/[^"]*X{6}"')
ALLOWED = {os.path.join("tests", "lib", "scratch.py"), os.path.join("tests", "run.py"),
           os.path.join("tests", "suites", "tmp_hygiene.py")}
found = []
for top, dirs, files in os.walk(os.path.join(vtest.ROOT, "tests")):
    dirs[:] = [d for d in dirs if d not in ("corpus", "crashes", "data")]
    for name in files:
        path = os.path.join(top, name)
        rel = os.path.relpath(path, vtest.ROOT)
        pat = PY_BAD if name.endswith(".py") else C_BAD if name.endswith((".c", ".h")) else None
        if pat is None or rel in ALLOWED:
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for n, line in enumerate(f, 1):
                if pat.search(line):
                    found.append("%s:%d" % (rel, n))
ok(not found, "tests make their temporary files through scratch.py or tmpdir.h",
   "; ".join(found))

vtest.done()
