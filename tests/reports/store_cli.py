#!/usr/bin/python3
"""vouch store init|migrate|status on both back ends: the schema is made
once, migrating again changes nothing, several processes migrating at once
apply each migration once, and bad URLs are refused with a usage error."""
import os
import re
import subprocess

import _world
from _world import vouch
from vtest import ok

for be in _world.backends():
    n = be.name
    url = be.new_store("cli-" + n)
    rc, out, err = vouch(["store", "status", "--db", url])
    m = re.search(rb"migrations: (\d+) of (\d+) applied", out)
    ok(rc == 0 and m and m.group(1) == m.group(2) and int(m.group(1)) >= 1 and b"pending" not in out,
       "%s: status after init: every migration applied" % n, "rc %d out %r err %s" % (rc, out, err))
    # the numbers say what they are: "latest 100" read as a count
    ok(rc == 0 and b"of those this vouch knows" in out
       and b"\nschema version: 100 (the newest migration applied)\n" in out
       and b"latest" not in out,
       "%s: status names its numbers (applied of those known; the schema version)" % n,
       repr(out))
    rc, out, err = vouch(["store", "migrate", "--db", url])
    ok(rc == 0 and out.startswith(b"0 migrations applied"), "%s: migrate again applies nothing" % n,
       "rc %d out %r" % (rc, out))
    rows = [r[0] for r in be.sql(url, "SELECT version || ' ' || name FROM schema_migration")]
    ok(rows.count("1 receiver") == 1 and len(rows) == len(set(rows)),
       "%s: schema_migration holds 001 receiver once" % n, repr(rows))
    for t in ("evaluation", "evaluation_policy", "outgoing_report", "outgoing_delivery", "suppression"):
        rows = be.sql(url, "SELECT count(*) FROM %s" % t)
        ok(rows == [["0"]], "%s: table %s exists, empty" % (n, t), repr(rows))
    if n == "postgresql":
        parts = be.sql(url, "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent "
                            "WHERE c.relname = 'evaluation'")
        ok(parts == [["1"]], "postgresql: evaluation is partitioned (a default partition at first)",
           repr(parts))

    # several hosts starting at once: each migration applied once
    if n == "sqlite":
        path = os.path.join(_world.TMP, "race2.db")
        url2 = "sqlite:" + path
    else:
        url2 = _world._pg.new_db("race2")
    procs = [subprocess.Popen([_world.vtest.VOUCH, "store", "init", "--db", url2],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    rcs = [p.returncode for p in procs]
    applied = sum(int(o[0].split()[0]) for o in outs if o[0][:1].isdigit())
    known = int(re.search(rb"of (\d+) applied", outs[0][0]).group(1)) if outs[0][0] else -1
    ok(rcs == [0, 0, 0, 0] and applied == known,
       "%s: four concurrent inits succeed and apply each migration once" % n,
       "rcs %r applied %d of %d: %r" % (rcs, applied, known, [o[1] for o in outs]))
    rows = be.sql(url2, "SELECT count(*), count(DISTINCT version) FROM schema_migration")
    ok(rows == [[str(known), str(known)]], "%s: one schema_migration row each after the race" % n,
       repr(rows))

# URLs and defaults
rc, out, err = vouch(["store", "init", "--db", "mysql://host/db"])
ok(rc == 64 and "not a database URL" in err, "another scheme is a usage error", "rc %d %s" % (rc, err))
rc, out, err = vouch(["store", "migrate", "--db", os.path.join(_world.TMP, "missing.db")])
ok(rc == 69 and "vouch store init" in err, "migrate of a missing SQLite file says to init (69)",
   "rc %d %s" % (rc, err))
rc, out, err = vouch(["store", "status", "--db", "postgresql://nobody@127.0.0.1:1/none"])
ok(rc == 69 and "cannot connect" in err, "an unreachable PostgreSQL server is 69 with the reason",
   "rc %d %s" % (rc, err))
rc, out, err = vouch(["store", "frobnicate"])
ok(rc == 64, "an unknown store command is a usage error")
env_db = os.path.join(_world.TMP, "env.db")
p = subprocess.run([_world.vtest.VOUCH, "store", "init"], env=dict(os.environ, VOUCH_DB=env_db),
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
ok(p.returncode == 0 and os.path.exists(env_db), "without --db, $VOUCH_DB names the store",
   p.stderr.decode())
rc, out, err = vouch(["store", "--help"])
ok(rc == 0 and b"/var/lib/vouch/vouch.db" in out, "the help names the default store")
_world.finish()
