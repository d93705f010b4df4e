#!/usr/bin/python3
"""The per-destination rate limit of failure reports (RFC 9991 §2: "MUST
implement a rate-limit"; §8.1): a token bucket per destination address,
kept between runs of `vouch verify --failure-report DIR` in
DIR/.vouch-failure-state (or --failure-state FILE).

The counts wanted follow from the bucket alone: N/PERIOD allows N reports
at once, then one more every PERIOD/N seconds; destinations do not share
buckets; a state file that does not parse is started afresh.
"""
import os

from _failure_util import NOW, run_main
from vtest import ok


def count(d):
    n = {}
    for f in os.listdir(d):
        if f.endswith(".eml"):
            with open(os.path.join(d, f), "rb") as fp:
                for line in fp.read().split(b"\r\n"):
                    if line.startswith(b"To: "):
                        to = line[4:].decode()
                        n[to] = n.get(to, 0) + 1
                        break
    return n


def main(w):
    msg = w.message("fo0.example", sign=False)
    rc, out, err, d, reps = w.receive(msg, "bounce@fo0.example", opts=["--failure-rate", "2/h"])
    for _ in range(3):
        rc, out, err, _, _ = w.receive(msg, "bounce@fo0.example", opts=["--failure-rate", "2/h"], outdir=d)
    ok(rc == 0 and b"dmarc=fail" in out, "over the limit the verdict is still written, exit 0",
       "exit %d %s" % (rc, err))
    got = count(d)
    ok(got == {"ruf@fo0.example": 2, "auth@reports.example": 2},
       "2/h: four messages at once give two reports per destination", "got %s" % got)
    with open(os.path.join(d, ".vouch-failure-state")) as f:
        state = f.read().splitlines()
    ok(state and state[0] == "vouch-failure-rate 1 2 3600" and len(state) == 3,
       "the state: a header line and one line per destination", "got %s" % state)
    # half an hour later one token is back in each bucket
    for _ in range(2):
        w.receive(msg, "bounce@fo0.example", opts=["--failure-rate", "2/h"], outdir=d, now=NOW + 1800)
    got = count(d)
    ok(got == {"ruf@fo0.example": 3, "auth@reports.example": 3},
       "2/h: after 1800 s one more report per destination", "got %s" % got)
    # another domain's destination has its own bucket
    rc, out, err, _, reps = w.receive(w.message("fo1.example", sign=False), "bounce@fo1.example",
                                      opts=["--failure-rate", "2/h"], outdir=d, now=NOW + 1800)
    ok(count(d).get("ruf@fo1.example") == 1, "a new destination is not limited by the others' use")
    # a whole period later every bucket is full again, but never fuller
    for _ in range(3):
        w.receive(msg, "bounce@fo0.example", opts=["--failure-rate", "2/h"], outdir=d, now=NOW + 9 * 3600)
    ok(count(d).get("ruf@fo0.example") == 5, "after a long pause the bucket holds at most 2 again",
       "got %s" % count(d))
    # the default is 10 per hour
    rc, out, err, d2, reps = w.receive(msg, "bounce@fo0.example")
    for _ in range(11):
        w.receive(msg, "bounce@fo0.example", outdir=d2)
    ok(count(d2).get("ruf@fo0.example") == 10, "the default rate: 10 per destination per hour",
       "got %s" % count(d2))
    # a state file elsewhere, and one that does not parse
    state = os.path.join(w.tmp, "state")
    with open(state, "w") as f:
        f.write("garbage\n")
    rc, out, err, d3, reps = w.receive(msg, "bounce@fo0.example", opts=["--failure-state", state,
                                                                       "--failure-rate", "1/d"])
    ok(len(reps) == 2 and "starting afresh" in err,
       "a state that does not parse is started afresh, with a warning", "got %d %s" % (len(reps), err))
    rc, out, err, _, reps = w.receive(msg, "bounce@fo0.example", opts=["--failure-state", state,
                                                                      "--failure-rate", "1/d"], outdir=d3)
    ok(count(d3) == {"ruf@fo0.example": 1, "auth@reports.example": 1} and
       not os.path.exists(os.path.join(d3, ".vouch-failure-state")),
       "--failure-state FILE keeps the state there: 1/d allowed one report each", "got %s" % count(d3))
    with open(state) as f:
        ok(f.readline().strip() == "vouch-failure-rate 1 1 86400", "the state file was rewritten")


if __name__ == "__main__":
    run_main(main)
