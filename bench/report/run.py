#!/usr/bin/python3
"""The DMARC report benchmarks of issue 8 (not tests).

Generation: time and peak RSS of `vouch report generate` building the
reports of one day from 1,000,000 recorded evaluations across 10,000
policy domains, on SQLite and on PostgreSQL (a private server,
tests/lib/pg.py); the evaluations are loaded first with tests/store_load
through the recorder (its time is printed too: recording throughput of the
store itself).

Recording: the receiver's whole verdict on one message, again and again,
without and with every verdict handed to the threaded recorder
(bench/report/record_bench), messages per CPU second of the process.

    bench/report/run.py [--count N] [--domains D] [--seconds S] [--skip-pg]

Builds in BENCH_BUILD (default build-bench, release).  Prints a table;
bench/README.md keeps the figures of a run.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import pg  # noqa: E402

BUILD = os.environ.get("BENCH_BUILD", os.path.join(ROOT, "build-bench"))
DAY = 1704067200


def build():
    if not os.path.exists(os.path.join(BUILD, "build.ninja")):
        subprocess.run(["meson", "setup", BUILD, "-Dbuildtype=release"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", BUILD, "src/cli/vouch", "tests/store_load",
                    "bench/report/record_bench"], check=True, stdout=subprocess.DEVNULL)
    return (os.path.join(BUILD, "src", "cli", "vouch"), os.path.join(BUILD, "tests", "store_load"),
            os.path.join(BUILD, "bench", "report", "record_bench"))


def timed(argv, **kw):
    """Runs argv under /usr/bin/time; returns (wall seconds, CPU seconds,
    peak RSS KiB of that process alone, stdout)."""
    fd, tf = tempfile.mkstemp()
    os.close(fd)
    p = subprocess.run(["/usr/bin/time", "-o", tf, "-f", "%e %U %S %M"] + argv,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    with open(tf) as f:
        wall, user, sys_, rss = f.read().split()[-4:]
    os.unlink(tf)
    if p.returncode != 0:
        sys.exit("%s failed: %s" % (argv[0], p.stderr))
    return float(wall), float(user) + float(sys_), int(rss), p.stdout


def generation(vouch, load, url, count, domains):
    subprocess.run([vouch, "store", "init", "--db", url], check=True, stdout=subprocess.DEVNULL)
    lw, lc, lrss, lout = timed([load, "--db", url, "--count", str(count), "--domains",
                                str(domains), "--start", str(DAY), "--span", "86400",
                                "--batch", "1024"])
    gw, gc, grss, gout = timed([vouch, "report", "generate", "--db", url, "--org-name", "Bench",
                                "--email", "dmarc@receiver.example", "--from", str(DAY), "--to",
                                str(DAY + 86400)])
    return {"load_wall": lw, "load_cpu": lc, "load_rate": count / lw, "gen_wall": gw,
            "gen_cpu": gc, "gen_rss_mib": grss / 1024.0, "gen_out": gout.strip()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=1000000)
    ap.add_argument("--domains", type=int, default=10000)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--skip-pg", action="store_true")
    a = ap.parse_args()
    vouch, load, rbench = build()
    tmp = tempfile.mkdtemp(prefix="vouch-bench-report-")
    rows = []
    try:
        # recording first: nothing else running
        db = os.path.join(tmp, "rec.db")
        subprocess.run([vouch, "store", "init", "--db", db], check=True, stdout=subprocess.DEVNULL)
        rec = {}
        for mode in ("norecord", "record", "norecord", "record"):
            argv = [rbench, "--zone", os.path.join(ROOT, "examples", "zone.db"), "--msg",
                    os.path.join(ROOT, "examples", "vouch-signed.eml"), "--seconds", str(a.seconds)]
            if mode == "record":
                argv += ["--db", db]
            out = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=True).stdout
            f = dict(kv.split("=") for kv in out.split()[1:])
            rec.setdefault(mode, []).append(float(f["msg_per_cpu_s"]))
        off, on = max(rec["norecord"]), max(rec["record"])
        print("Recording (SQLite, vouch_verify_message + vouch_recorder_add_verify):")
        print("  without: %.0f messages per CPU second" % off)
        print("  with:    %.0f messages per CPU second (%.1f%% less)" % (on, 100 * (off - on) / off))
        print()
        rows.append(("sqlite", generation(vouch, load, "sqlite:" + os.path.join(tmp, "gen.db"),
                                          a.count, a.domains)))
        if not a.skip_pg:
            why = pg.available()
            if why:
                print("PostgreSQL skipped: %s" % why)
            else:
                with pg.Server() as srv:
                    rows.append(("postgresql", generation(vouch, load, srv.new_db("bench"),
                                                          a.count, a.domains)))
        print("Generation: one day, %d evaluations, %d policy domains" % (a.count, a.domains))
        print("%-11s %10s %10s %9s | %9s %9s %9s" % ("back end", "load s", "rows/s", "load cpu",
                                                     "gen s", "gen cpu", "RSS MiB"))
        for name, r in rows:
            print("%-11s %10.1f %10.0f %9.1f | %9.1f %9.1f %9.1f" % (
                name, r["load_wall"], r["load_rate"], r["load_cpu"], r["gen_wall"], r["gen_cpu"],
                r["gen_rss_mib"]))
            print("            %s" % r["gen_out"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
