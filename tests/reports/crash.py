#!/usr/bin/python3
"""kill -9 during recording under load, on both back ends: the store stays
consistent (SQLite's integrity_check, no evaluation without its policy
row), holds whole batches only (one transaction per batch), holds at least
every batch the recorder reported committed before it died (a crash loses
at most the batches not yet committed), and takes new evaluations
afterwards.  Also vouch verify --record killed at random moments."""
import os
import signal
import subprocess
import time

import _world
from vtest import ok

LOAD = os.path.join(_world.vtest.BUILD, "tests", "store_load")
BATCH = 100


def kill_during_load(be, url, n, settle_min):
    """Starts store_load, kills it after settle_min rows were committed;
    returns the last committed count it printed."""
    p = subprocess.Popen([LOAD, "--db", url, "--count", "100000000", "--batch", str(BATCH),
                          "--batch-ms", "600000", "--domains", "50", "--progress"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    last = 0
    t0 = time.time()
    while time.time() - t0 < 120:
        line = p.stdout.readline()
        if not line:
            break
        if line.startswith("committed "):
            last = int(line.split()[1])
            if last >= settle_min:
                break
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    # lines printed after the one we read are committed too
    rest = p.stdout.read()
    for line in rest.splitlines():
        if line.startswith("committed "):
            last = int(line.split()[1])
    return last, p.stderr.read()


for be in _world.backends():
    n = be.name
    url = be.new_store("crash-" + n)
    for round_ in range(3):
        want = 3000 * (round_ + 1)
        before = int(be.sql(url, "SELECT count(*) FROM evaluation")[0][0])
        last, err = kill_during_load(be, url, n, want)
        added = int(be.sql(url, "SELECT count(*) FROM evaluation")[0][0]) - before
        ok(last >= want and added >= last,
           "%s: kill -9 #%d: nothing committed is lost (%d new in the store, %d reported "
           "committed)" % (n, round_ + 1, added, last), err[-300:])
        ok(added % BATCH == 0, "%s: kill -9 #%d: whole batches only (%d rows, batch %d)"
           % (n, round_ + 1, added, BATCH))
    orphans = be.sql(url, "SELECT count(*) FROM evaluation e LEFT JOIN evaluation_policy p "
                          "ON p.id = e.policy_id WHERE p.id IS NULL")
    ok(orphans == [["0"]], "%s: every evaluation has its policy row" % n, repr(orphans))
    dup = be.sql(url, "SELECT count(*) FROM (SELECT key_hash FROM evaluation_policy GROUP BY key_hash "
                      "HAVING count(*) > 1) AS x")
    ok(dup == [["0"]], "%s: no policy row twice" % n, repr(dup))
    if n == "sqlite":
        ic = be.sql(url, "PRAGMA integrity_check")
        ok(ic == [["ok"]], "sqlite: integrity_check after three kills", repr(ic))
    before = int(be.sql(url, "SELECT count(*) FROM evaluation")[0][0])
    p = subprocess.run([LOAD, "--db", url, "--count", "500", "--domains", "50"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    after = int(be.sql(url, "SELECT count(*) FROM evaluation")[0][0])
    ok(p.returncode == 0 and after == before + 500, "%s: the store takes new evaluations after "
       "the crashes" % n, p.stderr)

    # vouch verify --record killed at any moment: the store stays whole
    w = _world.World()
    url2 = be.new_store("crash-verify-" + n)
    msg = w.message("a@example.com", subject="crash", sign="example.com", now=_world.DAY1 + 5)
    done = 0
    for i in range(20):
        p = subprocess.Popen([os.path.abspath(_world.vtest.VOUCH), "verify", "--zone", w.zone, "--ip",
                              "192.0.2.10", "--helo", "mx.test", "--mail-from", "b@example.com",
                              "--now", str(_world.DAY1 + 10), "--record", "--db", url2,
                              "--header-only", msg], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(0.002 * i)
        p.send_signal(signal.SIGKILL)
        p.wait()
        done += p.returncode == 0
    total = int(be.sql(url2, "SELECT count(*) FROM evaluation")[0][0])
    orphans = be.sql(url2, "SELECT count(*) FROM evaluation e LEFT JOIN evaluation_policy p "
                           "ON p.id = e.policy_id WHERE p.id IS NULL")
    ok(done <= total <= 20 and orphans == [["0"]],
       "%s: vouch verify --record killed 20 times: %d rows, each whole" % (n, total))
    if n == "sqlite":
        ok(be.sql(url2, "PRAGMA integrity_check") == [["ok"]], "sqlite: integrity after the kills")
_world.finish()
