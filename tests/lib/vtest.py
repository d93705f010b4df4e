"""Shared helpers for the Python test scripts: TAP output, paths, running vouch.

Every check prints one TAP line through ok(); tests/run.py counts them.
"""
import json
import os
import subprocess
import sys

# For its exit handling: SIGTERM and SIGHUP end a test script through
# SystemExit, so that with-statements, finally blocks and atexit stop its
# servers and remove its temporary files (tests/lib/scratch.py).
import scratch  # noqa: F401

VOUCH = os.environ.get("VOUCH", "build/src/cli/vouch")
ROOT = os.environ.get("VOUCH_ROOT", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SHARED = os.environ.get("VOUCH_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
# Set when the binaries under test are built with ASan+UBSan: their memory
# use says nothing about vouch's, so RSS limits are not asserted then.
SANITIZED = os.environ.get("VOUCH_SANITIZED") == "1"
BUILD = os.environ.get("VOUCH_BUILD", os.path.join(ROOT, "build"))

_n = 0
_nfail = 0


def ok(cond, name, why=""):
    """One counted check.  `why` explains a failure (got X, want Y)."""
    global _n, _nfail
    _n += 1
    if cond:
        print("ok - %s" % name)
    else:
        _nfail += 1
        print("not ok - %s%s" % (name, (": " + why) if why else ""))
    sys.stdout.flush()
    return cond


def skip(name, why):
    """A visible skip, with its reason (never silent)."""
    global _n
    _n += 1
    print("ok - %s # SKIP %s" % (name, why))


def done():
    print("1..%d" % _n)
    sys.exit(1 if _nfail else 0)


def shared(*parts):
    p = os.path.join(SHARED, *parts)
    if not os.path.exists(p):
        ok(False, "shared data present", "missing %s (is ../shared beside the checkout?)" % p)
        done()
    return p


def vouch(args, stdin=None, timeout=60):
    """Runs the vouch command; returns (exit status, stdout bytes, stderr text)."""
    p = subprocess.run([VOUCH] + list(args), input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def vouch_json(args, stdin=None, timeout=60):
    """Runs a vouch command that prints JSON; returns (exit status, the
    parsed document or None when stdout is not JSON, stderr text)."""
    rc, out, err = vouch(args, stdin=stdin, timeout=timeout)
    try:
        doc = json.loads(out.decode("utf-8"))
    except ValueError:
        doc = None
    return rc, doc, err
