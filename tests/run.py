#!/usr/bin/python3
"""Runs every vouch test and prints one summary line: N passed, N failed, N skipped.

Test programs speak TAP ("ok - name", "not ok - name: why", "# SKIP" for a
skip with its reason).  A program that crashes, times out, prints a sanitizer
report, or exits non-zero without a failing line counts as one failure.

Phases (all by default):
  style    tools/checksrc (banned calls) and clang-format on every C file
  unit     build/tests/unit/test_*            C unit tests
  replay   build/tests/fuzz/replay_*          fuzz corpus and saved crashes
  suites   tests/suites/*.py                  other people's test data, ../shared
  hostile  tests/hostile/*.py                 hostile input through the command
  interop  tests/interop/*.py                 opendkim, dkimpy, Mail::DKIM both ways
  milter   tests/milter/*.py                  vouchd through real milter clients and Postfix
  reports  tests/reports/*.py                 the store, DMARC reports out and in
  asan     unit + replay + suites + hostile + reports, and vouchd's own
           milter tests (tests/milter/vouchd_*, miltertest*), again with
           --asan-build binaries
  fuzz     each --fuzz-build fuzz_* for FUZZ_SECONDS (default 30)

Every program runs with TMPDIR set to a directory of this run's own
(vouch-run-*, 0755 so that servers running as nobody reach what is below).
Whatever a program leaves there is a failure, "hygiene/<program>" naming the
entries, and is then removed; the directory goes at the end of the run.  A
program that outlives its time gets SIGTERM (tests/lib/scratch.py then
removes its files and stops its servers) and SIGKILL 30 s later.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import rmpath  # noqa: E402  (tests/lib; no side effects, unlike scratch)
SAN_RE = re.compile(r"(ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer)")

totals = {"passed": 0, "failed": 0, "skipped": 0}
failures = []
skips = []
# This run's TMPDIR, made by main(); hygiene["checked"] counts the programs
# whose leftovers were looked for.
RUN_TMP = None
hygiene = {"checked": 0}


def san_log_env(env):
    """env with the sanitizers writing their reports to files in a new
    directory, and that directory.  A test script runs vouch, vouchd and
    vouch-ingest itself and may keep their stderr, or accept any exit
    status but 0; the files are read whichever process wrote them.  The
    directory is writable by all (sticky, as /tmp) since vouchd drops to
    its User.  It is made in the program's TMPDIR (this run's own), so
    that the run's end removes it whatever happened; run_program removes
    it before sweep_tmp looks."""
    d = tempfile.mkdtemp(prefix="vouch-san-", dir=env.get("TMPDIR"))
    os.chmod(d, 0o1777)
    env = dict(env)
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        env[k] = env[k] + ":log_path=" + os.path.join(d, "report")
    return env, d


def san_logs(d):
    """The first lines of each sanitizer report written under d."""
    out = []
    for f in sorted(os.listdir(d)):
        with open(os.path.join(d, f), "rb") as fp:
            text = fp.read().decode("utf-8", "replace")
        if SAN_RE.search(text):
            out.append("%s:\n%s" % (f, "\n".join(text.strip().splitlines()[:20])))
    return "\n".join(out)


def run_program(label, argv, env, timeout):
    t0 = time.time()
    sandir = None
    if env.get("VOUCH_SANITIZED") == "1":
        env, sandir = san_log_env(env)
    out, err, rc = run_bounded(argv, env, timeout)
    npass = nfail = nskip = 0
    for line in out.splitlines():
        if line.startswith("not ok"):
            nfail += 1
            failures.append("%s: %s" % (label, line))
        elif line.startswith("ok"):
            if "# SKIP" in line:
                nskip += 1
                skips.append("%s: %s" % (label, line))
            else:
                npass += 1
    san = SAN_RE.search(err)
    logged = san_logs(sandir) if sandir else ""
    if sandir:
        shutil.rmtree(sandir, ignore_errors=True)
    if logged:
        san, err = True, logged
    if san or (rc != 0 and nfail == 0):
        nfail += 1
        tail = "\n    ".join(err.strip().splitlines()[:40] if logged else err.strip().splitlines()[-15:])
        failures.append("%s: exit %d%s\n    %s" % (label, rc, " (sanitizer report)" if san else "", tail))
    totals["passed"] += npass
    totals["failed"] += nfail
    totals["skipped"] += nskip
    print("%-44s %4d passed %3d failed %3d skipped  %.1fs" % (label, npass, nfail, nskip, time.time() - t0))
    sys.stdout.flush()
    sweep_tmp(label)


def run_bounded(argv, env, timeout):
    """Runs argv; returns (stdout, stderr, exit status).  Past `timeout`
    seconds it gets SIGTERM, so that it can stop its servers and remove its
    files, and SIGKILL 30 s later; the status is then -999."""
    p = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = p.communicate(timeout=timeout)
        return out.decode("utf-8", "replace"), err.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)
        try:
            out, _ = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
        return (out or b"").decode("utf-8", "replace"), "timed out after %ds" % timeout, -999


def sweep_tmp(label):
    """One failure naming what `label` left in this run's TMPDIR (a test
    that does not remove its files, test keys among them), which is then
    removed so that the next program starts from an empty directory."""
    if RUN_TMP is None:
        return
    hygiene["checked"] += 1
    left = sorted(os.listdir(RUN_TMP))
    if not left:
        return
    totals["failed"] += 1
    failures.append("hygiene/%s: not ok - left %d entr%s in TMPDIR: %s" % (
        label, len(left), "y" if len(left) == 1 else "ies", " ".join(left)))
    print("%-44s %4d passed %3d failed %3d skipped  left %s" % ("hygiene/" + label, 0, 1, 0,
                                                               " ".join(left)))
    sys.stdout.flush()
    for name in left:
        rmpath.remove(os.path.join(RUN_TMP, name))


def programs(build, pattern_dir, prefix):
    d = os.path.join(build, pattern_dir)
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if f.startswith(prefix) and os.access(os.path.join(d, f), os.X_OK)
                  and not f.endswith(".p") and os.path.isfile(os.path.join(d, f)))


def scripts(sub, prefixes=None):
    d = os.path.join(ROOT, "tests", sub)
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".py") and not f.startswith("_")
                  and (prefixes is None or f.startswith(prefixes)))


def env_for(build, extra=None):
    env = dict(os.environ)
    env["VOUCH"] = os.path.join(build, "src", "cli", "vouch")
    env["VOUCHD"] = os.path.join(build, "src", "milter", "vouchd")
    env["VOUCH_BUILD"] = build
    env["VOUCH_ROOT"] = ROOT
    env.setdefault("VOUCH_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
    env["PYTHONPATH"] = os.path.join(ROOT, "tests", "lib")
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:halt_on_error=1"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    if RUN_TMP is not None:
        env["TMPDIR"] = RUN_TMP
    if extra:
        env.update(extra)
    return env


def phase_unit(build, tag):
    env = env_for(build, {"VOUCH_SANITIZED": "1"} if tag else None)
    for prog in programs(build, "tests", "test_"):
        run_program("%sunit/%s" % (tag, os.path.basename(prog)), [prog], env, 600)


def phase_replay(build, tag):
    env = env_for(build, {"VOUCH_SANITIZED": "1"} if tag else None)
    for prog in programs(build, "tests/fuzz", "replay_"):
        name = os.path.basename(prog)[len("replay_"):]
        dirs = [os.path.join(ROOT, "tests", "fuzz", sub, name) for sub in ("corpus", "crashes")]
        dirs = [d for d in dirs if os.path.isdir(d)]
        run_program("%sreplay/%s" % (tag, name), [prog] + dirs, env, 600)


def phase_scripts(build, sub, tag, prefixes=None):
    # VOUCH_SANITIZED tells a script that memory figures (RSS) are not
    # meaningful under ASan; the checks of behaviour still run.
    env = env_for(build, {"VOUCH_SANITIZED": "1"} if tag else None)
    for s in scripts(sub, prefixes):
        run_program("%s%s/%s" % (tag, sub, os.path.basename(s)), ["/usr/bin/python3", s], env, 1800)


def phase_style(build):
    env = env_for(build)
    run_program("style/checksrc", [os.path.join(ROOT, "tools", "checksrc")], env, 120)
    files = subprocess.run(["git", "ls-files", "*.c", "*.h"], cwd=ROOT, stdout=subprocess.PIPE,
                           text=True).stdout.split()
    argv = ["/usr/bin/python3", "-c", CLANG_FORMAT_CHECK] + files
    run_program("style/clang-format", argv, env, 300)


# One TAP line per file: clang-format with the project's .clang-format
# would change nothing.
CLANG_FORMAT_CHECK = """
import subprocess, sys
bad = 0
for f in sys.argv[1:]:
    r = subprocess.run(["clang-format", "--dry-run", "-Werror", f], capture_output=True, text=True)
    if r.returncode:
        bad += 1
        print("not ok - clang-format %s: not formatted (run make format)" % f)
    else:
        print("ok - clang-format %s" % f)
sys.exit(1 if bad else 0)
"""


def fuzz_one(build, prog, env, seconds):
    """Runs one libFuzzer target for `seconds`; returns (label, ok, tail, art, elapsed)."""
    name = os.path.basename(prog)[len("fuzz_"):]
    corpus = os.path.join(ROOT, "tests", "fuzz", "corpus", name)
    work = os.path.join(build, "fuzz-corpus", name)
    os.makedirs(work, exist_ok=True)
    art = os.path.join(build, "fuzz-crashes", name) + "/"
    os.makedirs(art, exist_ok=True)
    argv = [prog, "-max_total_time=%d" % seconds, "-timeout=10", "-rss_limit_mb=2048",
            "-artifact_prefix=" + art, "-print_final_stats=0", work]
    if os.path.isdir(corpus):
        argv.append(corpus)
    t0 = time.time()
    p = subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=seconds + 120)
    tail = "\n    ".join(p.stderr.decode("utf-8", "replace").strip().splitlines()[-25:])
    return "fuzz/%s (%ds)" % (name, seconds), p.returncode == 0, tail, art, time.time() - t0


def phase_fuzz(build, seconds):
    # Each target is single-threaded and runs for a fixed time: one per
    # core at once gives every target its full time in a fraction of the
    # wall clock (CI's budget is wall clock).
    from concurrent.futures import ThreadPoolExecutor
    env = env_for(build)
    progs = programs(build, "tests/fuzz", "fuzz_")
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        for label, ok, tail, art, dt in pool.map(lambda pr: fuzz_one(build, pr, env, seconds), progs):
            if ok:
                totals["passed"] += 1
            else:
                totals["failed"] += 1
                failures.append("%s: crash, input saved under %s\n    %s" % (label, art, tail))
            print("%-44s %4d passed %3d failed %3d skipped  %.1fs" % (label, ok, not ok, 0, dt))
            sys.stdout.flush()
    # The targets ran side by side: what they left is the phase's.
    sweep_tmp("fuzz")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--asan-build")
    ap.add_argument("--fuzz-build")
    ap.add_argument("--fuzz-seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "30")))
    ap.add_argument("phases", nargs="*", default=["style", "unit", "replay", "suites", "hostile", "interop", "milter", "reports", "asan", "fuzz"])
    a = ap.parse_args()
    global RUN_TMP
    RUN_TMP = tempfile.mkdtemp(prefix="vouch-run-")
    os.chmod(RUN_TMP, 0o755)
    try:
        run_phases(a, ap)
    finally:
        shutil.rmtree(RUN_TMP, ignore_errors=True)
    if hygiene["checked"]:
        # One passing line for the whole run; each program that left
        # something was a failure of its own.
        bad = sum(1 for f in failures if f.startswith("hygiene/"))
        if not bad:
            totals["passed"] += 1
        print("%-44s %4d passed %3d failed %3d skipped  %d programs checked" % (
            "hygiene/tmpdir", 0 if bad else 1, 0, 0, hygiene["checked"]))
    return report()


def run_phases(a, ap):
    build = os.path.abspath(a.build)
    for ph in a.phases:
        if ph == "style":
            phase_style(build)
        elif ph == "unit":
            phase_unit(build, "")
        elif ph == "replay":
            phase_replay(build, "")
        elif ph in ("suites", "hostile", "interop", "milter", "reports"):
            phase_scripts(build, ph, "")
        elif ph == "asan" and a.asan_build:
            ab = os.path.abspath(a.asan_build)
            phase_unit(ab, "asan/")
            phase_replay(ab, "asan/")
            phase_scripts(ab, "suites", "asan/")
            phase_scripts(ab, "hostile", "asan/")
            # the store on SQLite and PostgreSQL, reports made, sent, read
            # (XML, gzip, zip, MIME, IMAP replies, hostile rows) and shown:
            # vouch's own C code on varied input.  All of it costs about
            # 2 min (1.5 min without ASan) on 2 busy cores, so every
            # script runs, those beside Postfix, Dovecot and Chromium too.
            phase_scripts(ab, "reports", "asan/")
            # vouchd's own protocol, differential and hostile-replay tests
            # (seconds); the Postfix end-to-end runs stay in the milter
            # phase, once.
            phase_scripts(ab, "milter", "asan/", ("vouchd_", "miltertest"))
        elif ph == "fuzz" and a.fuzz_build and a.fuzz_seconds > 0:
            phase_fuzz(os.path.abspath(a.fuzz_build), a.fuzz_seconds)
        elif ph in ("asan", "fuzz"):
            # A phase asked for but not run is a visible skip, not silence.
            why = "no --%s-build given" % ph if ph == "asan" or not a.fuzz_build else "FUZZ_SECONDS=0"
            totals["skipped"] += 1
            skips.append("%s: ok - %s # SKIP %s" % (ph, ph, why))
            print("%-44s # SKIP %s" % (ph, why))
        else:
            ap.error("unknown phase %s" % ph)


def report():
    """Prints the skips, the failures and the summary line; the exit status."""
    if skips:
        # every skip with the reason its test gave, not only a count
        print("\nSkipped:")
        for sk in skips:
            print("  " + sk)
    if failures:
        print("\nFailures:")
        for f in failures:
            print("  " + f)
    print()
    print("%d passed, %d failed, %d skipped" % (totals["passed"], totals["failed"], totals["skipped"]))
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
