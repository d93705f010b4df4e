#!/usr/bin/python3
"""The milter benchmark of issue 11 (not a test): messages per second
through a private Postfix, driven by smtp-source, and the CPU each milter
and Postfix spend per message, in one run on the same messages.

Configurations (each a fresh Postfix instance and fresh milters):
  bare             Postfix, no milter
  null-milter      a libmilter milter doing nothing (bench/milter/null_milter.c),
                   negotiating as vouchd does: what libmilter alone costs
  vouchd-verify    vouchd verifying: SPF + DKIM + ARC + DMARC
  vouchd-verify+record  the same with Record (SQLite): every evaluation
                   into the report store (issue 8: within 5% of the row
                   above)
  vouchd-sign      vouchd signing (rsa-sha256, 2048 bits)
  opendkim+dmarc   OpenDKIM verifying, then OpenDMARC (SPF + DMARC)
  opendkim-sign    OpenDKIM signing (rsa-sha256, 2048 bits)

Every row sends the same message: 5.4 KB, From news@bench.example, DKIM-
signed by bench.example and ARC-sealed once by forwarder.example, from
127.0.0.1, whose SPF passes; bench.example publishes p=reject.  The
verifying milters are told that 127.0.0.1 is not internal (vouchd
InternalHosts, OpenDKIM InternalHosts, OpenDMARC IgnoreHosts), so loopback
mail is verified, not signed.  DNS: NSD with response rate limiting off
(it would drop OpenDMARC's repeated queries).

Method (../shared/notes/postfix-milter-testing.md): smtp-source -s 4, one
message per connection, to Postfix, which relays to smtp-sink (no dump);
BENCH_WARMUP messages first, then BENCH_MESSAGES timed: from smtp-source's
start until Postfix's queue directories are empty.  BENCH_ROUNDS rounds
(default 3), each running every configuration once with fresh servers;
each figure is the median over the rounds.  CPU from /proc:
utime + stime (+ reaped children) of Postfix's master and every process
under it, and of each milter's process tree, before and after.  Peak RSS:
VmHWM of the milter's processes.  Then, for vouchd in both roles,
BENCH_RSS_MESSAGES more messages with its RSS sampled every tenth of them
(memory flat?).

    bench/milter/run.py [--messages N] [--rounds N] [--rss-messages N]
                        [--only NAME,...]
    (make bench-milter; --no-arc sends the message without its ARC Set)

Root only (Postfix).  Writes the table to standard output and, as JSON,
to $BENCH_BUILD/bench-milter.json.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
os.environ.setdefault("VOUCH", os.path.join(ROOT, "build", "src", "cli", "vouch"))
os.environ.setdefault("VOUCHD", os.path.join(ROOT, "build", "src", "milter", "vouchd"))

import anchors  # noqa: E402
import postfix  # noqa: E402
import procs  # noqa: E402
import testzone  # noqa: E402
import vouchd  # noqa: E402
import vtest  # noqa: E402

CONFIGS = ["bare", "null-milter", "vouchd-verify", "vouchd-verify+record", "vouchd-sign",
           "opendkim+dmarc", "opendkim-sign"]
NULL_MILTER = os.path.join(os.environ.get("BENCH_BUILD", os.path.join(ROOT, "build")), "bench",
                           "milter", "null_milter")
AUTHSERV_ID = "mx.vouch.example"
NOT_INTERNAL = "192.0.2.254"
PROOF_RCPT = "proof@rcpt.example"


class NullMilter(anchors.Milter):
    """bench/milter/null_milter.c: libmilter's floor under vouchd."""

    name = "null-milter"

    def argv(self):
        # libmilter makes the socket with the process's umask; Postfix
        # must be able to write to it
        return ["sh", "-c", "umask 000; exec \"$0\" \"$1\"", NULL_MILTER, self.socket]


def build_null_milter(build):
    """Builds the null milter on demand; (True, "") or (False, why)."""
    p = subprocess.run(["ninja", "-C", build, "bench/milter/null_milter"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0 or not os.access(NULL_MILTER, os.X_OK):
        return False, "null_milter not built (libmilter?): %s" % p.stdout.decode()[-200:]
    return True, ""


def bench_message(z, key_b1, key_arc, arc=True):
    """The 5.4 KB message every row sends: signed, then ARC-sealed (unless
    arc=False)."""
    body = []
    words = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
             "incididunt ut labore et dolore magna aliqua").split()
    i = 0
    while sum(len(x) for x in body) < 4300:
        body.append(" ".join(words[(i + k) % len(words)] for k in range(11)) + "\r\n")
        i += 3
    msg = ("From: Bench News <news@bench.example>\r\nTo: Reader <reader@rcpt.example>\r\n"
           "Subject: The weekly benchmark newsletter\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
           "Message-ID: <bench.1@bench.example>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\n" + "".join(body)).encode()
    p = subprocess.run([vtest.VOUCH, "dkim", "sign", "-d", "bench.example", "-s", "b1", "-k",
                        key_b1], input=msg, stdout=subprocess.PIPE, check=True)
    if not arc:
        return p.stdout
    p = subprocess.run([vtest.VOUCH, "arc", "seal", "-d", "forwarder.example", "-s", "a1", "-k",
                        key_arc, "--authserv-id", "mx.forwarder.example",
                        "--auth-results", "spf=pass smtp.mailfrom=bench.example; dkim=pass "
                        "header.d=bench.example; dmarc=pass header.from=bench.example",
                        "--cv", "none"], input=p.stdout, stdout=subprocess.PIPE, check=True)
    return p.stdout


def queue_files(pf):
    n = 0
    for sub in ("incoming", "active", "deferred", "hold", "maildrop"):
        for _, _, files in os.walk(os.path.join(pf.queue_dir, sub)):
            n += len(files)
    return n


def drive(pf, n, msg_file, sessions=4):
    """smtp-source n messages; returns (seconds until the queue is empty,
    smtp-source's exit status and output)."""
    t0 = time.time()
    rc, out = postfix.smtp_source(pf.smtp_port, n, sessions, msg_file,
                                  mail_from="news@bench.example", rcpt="reader@rcpt.example",
                                  timeout=3600)
    procs.wait_until(lambda: queue_files(pf) == 0, 600, step=0.02)
    return time.time() - t0, rc, out


def start_milters(name, lab, z, ns, keys, dns_addr):
    """[(label, object with .spec/.pid/.cpu()/.hwm_kb()/.stop())] for a row."""
    d = lambda sub: lab.subdir("%s-%s" % (name, sub))  # noqa: E731
    if name == "bare":
        return []
    if name == "null-milter":
        if not os.access(NULL_MILTER, os.X_OK):
            raise RuntimeError("%s is not built" % NULL_MILTER)
        return [("null_milter", lab.add(NullMilter(d("null"))).start())]
    if name.startswith("vouchd"):
        ok, why = vouchd.built()
        if not ok:
            raise RuntimeError(why)
        opts = {"AuthservID": AUTHSERV_ID, "Nameservers": "127.0.0.1@%d" % ns.port,
                "Syslog": "no"}
        if name in ("vouchd-verify", "vouchd-verify+record"):
            opts.update({"Mode": "v", "InternalHosts": NOT_INTERNAL})
        else:
            opts.update({"Mode": "s", "Domain": "bench.example", "Selector": "b1",
                         "KeyFile": keys["b1"]})
        db = None
        if name == "vouchd-verify+record":
            # a fresh store per row, on the same disk as the queue
            db = os.path.join(d("store"), "vouch.db")
            subprocess.run([vtest.VOUCH, "store", "init", "--db", db], check=True,
                           stdout=subprocess.DEVNULL)
            opts.update({"Record": "yes", "RecordDB": db})
        v = lab.add(vouchd.Vouchd(d("vouchd"), opts))
        v.record_db = db
        v.start()
        return [("vouchd", v)]
    if name == "opendkim+dmarc":
        dk = lab.add(anchors.OpenDKIM(d("opendkim"), "v", ns.port)).start()
        dm = lab.add(anchors.OpenDMARC(d("opendmarc"), dns_addr)).start()
        return [("opendkim", dk), ("opendmarc", dm)]
    if name == "opendkim-sign":
        dk = lab.add(anchors.OpenDKIM(d("opendkim"), "s", ns.port, "bench.example", "b1",
                                      keys["b1"])).start()
        return [("opendkim", dk)]
    raise ValueError(name)


def proof_of(m):
    """What the milters added to the proof message: Authentication-Results
    of ours, and how many DKIM-Signature fields beyond the one it came
    with (the signing rows add one)."""
    out = ["A-R: " + v for v in m.headers("Authentication-Results")
           if v.startswith(AUTHSERV_ID)]
    out += ["X-Null-Milter: " + v for v in m.headers("X-Null-Milter")]
    added = len(m.headers("DKIM-Signature")) - 1
    if added:
        new = m.headers("DKIM-Signature")[0]
        out.append("%d DKIM-Signature added (%s)" % (added, " ".join(
            t.strip() for t in new.split(";") if t.strip()[:2] in ("a=", "d=", "s=", "c="))))
    return "; ".join(out) or "nothing added"


def recorded(db):
    import sqlite3
    c = sqlite3.connect(db, timeout=30)
    try:
        return c.execute("SELECT count(*) FROM evaluation").fetchone()[0]
    finally:
        c.close()


def run_row(name, lab, z, ns, keys, dns_addr, msg_file, n, warmup):
    row = {"config": name}
    try:
        milters = start_milters(name, lab, z, ns, keys, dns_addr)
    except RuntimeError as e:
        row["error"] = str(e).splitlines()[0][:200]
        return row, None
    sink = lab.sink(name="%s-sink" % name, dump=False)
    # One message to another recipient goes to a sink that keeps it: the
    # proof that the row's milters did their work.
    proof = lab.sink(name="%s-proof" % name, dump=True)
    pf = lab.postfix(name="%s-postfix" % name, relay=sink,
                     milters=[m.spec for _, m in milters],
                     main={"transport_maps": "inline:{ %s=smtp:[127.0.0.1]:%d }" % (
                         PROOF_RCPT, proof.port)}).start()
    try:
        rc, out = postfix.smtp_source(pf.smtp_port, 1, 1, msg_file,
                                      mail_from="news@bench.example", rcpt=PROOF_RCPT)
        got = proof.messages() if proof.wait(1, 20) else []
        row["proof"] = proof_of(got[0]) if got else "no message (smtp-source exit %d: %s)" % (
            rc, out.strip()[-200:])
        secs, rc, out = drive(pf, warmup, msg_file)
        if rc != 0:
            row["error"] = "warm-up: smtp-source exit %d: %s" % (rc, out.strip()[-200:])
            return row, None
        time.sleep(1)
        pf0 = pf.cpu()
        m0 = [m.cpu_split() for _, m in milters]
        secs, rc, out = drive(pf, n, msg_file)
        if rc != 0:
            row["error"] = "smtp-source exit %d: %s" % (rc, out.strip()[-200:])
            return row, None
        row["msgs_per_s"] = n / secs
        row["seconds"] = secs
        row["postfix_ms"] = (pf.cpu() - pf0) * 1000.0 / n
        row["milters"] = []
        for (label, m), (u0, s0) in zip(milters, m0):
            u1, s1 = m.cpu_split()
            row["milters"].append({"name": label, "ms": ((u1 - u0) + (s1 - s0)) * 1000.0 / n,
                                   "sys_ms": (s1 - s0) * 1000.0 / n, "hwm_kib": m.hwm_kb()})
        row["milter_ms"] = sum(x["ms"] for x in row["milters"])
        db = getattr(milters[0][1], "record_db", None) if milters else None
        if db:
            # the proof of recording: every message a row (committed
            # within RecordBatchTime)
            want = 1 + warmup + n
            procs.wait_until(lambda: recorded(db) >= want, 10, step=0.1)
            row["recorded"] = recorded(db)
            row["proof"] += "; %d of %d messages recorded" % (row["recorded"], want)
        return row, (pf, milters, sink)
    except Exception as e:
        row["error"] = repr(e)[:200]
        return row, None


def rss_run(name, lab, ctx, msg_file, total):
    """total more messages through a vouchd row, RSS sampled ten times."""
    pf, milters, sink = ctx
    v = milters[0][1]
    step = max(1, total // 10)
    samples = [v.rss_kb()]
    sent = 0
    while sent < total:
        _, rc, out = drive(pf, min(step, total - sent), msg_file)
        if rc != 0:
            return {"config": name, "error": "smtp-source exit %d: %s" % (rc, out[-200:]),
                    "rss_kib": samples}
        sent += min(step, total - sent)
        samples.append(v.rss_kb())
    return {"config": name, "messages": total, "rss_kib": samples, "hwm_kib": v.hwm_kb()}


def median_row(runs):
    """One row from a configuration's rounds: the median of each figure
    (msgs/s of every round kept in "rounds"); a round that failed makes
    the row say so."""
    bad = [r for r in runs if "error" in r]
    if bad:
        return bad[0]

    def med(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2
    row = dict(runs[0])
    for k in ("msgs_per_s", "seconds", "postfix_ms", "milter_ms"):
        row[k] = med([r[k] for r in runs])
    row["milters"] = [dict(m, ms=med([r["milters"][i]["ms"] for r in runs]),
                           sys_ms=med([r["milters"][i]["sys_ms"] for r in runs]),
                           hwm_kib=max(r["milters"][i]["hwm_kib"] for r in runs))
                      for i, m in enumerate(runs[0]["milters"])]
    row["rounds"] = [round(r["msgs_per_s"]) for r in runs]
    return row


def fmt_table(rows, bare):
    out = ["| configuration | msgs/s (rounds) | share of bare | Postfix CPU ms/msg | Postfix "
           "added ms/msg | milter CPU ms/msg | milter peak RSS |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            out.append("| %s | – | – | – | – | – | not run: %s |" % (r["config"], r["error"]))
            continue
        rounds = " (%s)" % " ".join(str(x) for x in r.get("rounds", []))
        share = "%.0f%%" % (100.0 * r["msgs_per_s"] / bare["msgs_per_s"]) if bare else "–"
        added = "%+.2f" % (r["postfix_ms"] - bare["postfix_ms"]) if bare and r is not bare else "–"
        mil = " + ".join("%.2f" % m["ms"] for m in r["milters"]) or "–"
        if len(r["milters"]) > 1:
            mil += " = %.2f" % r["milter_ms"]
        rss = " + ".join("%.1f MiB" % (m["hwm_kib"] / 1024.0) for m in r["milters"]) or "–"
        out.append("| %s | %.0f%s | %s | %.2f | %s | %s | %s |" % (
            r["config"], r["msgs_per_s"], rounds, share, r["postfix_ms"], added, mil, rss))
    return "\n".join(out)


def targets(rows):
    """The issue's targets, each with the measured value and met or not."""
    by = {r["config"]: r for r in rows if "error" not in r}
    lines = []
    bare = by.get("bare")

    def line(what, cond, detail):
        lines.append("- %s: %s (%s)" % (what, "met" if cond else "NOT met", detail))
    a, v = by.get("opendkim+dmarc"), by.get("vouchd-verify")
    if a and v:
        line("verify: vouchd CPU <= 1/4 of OpenDKIM+OpenDMARC and <= 0.45 ms/msg",
             v["milter_ms"] <= a["milter_ms"] / 4 and v["milter_ms"] <= 0.45,
             "%.3f vs %.3f ms/msg" % (v["milter_ms"], a["milter_ms"]))
        if bare:
            line("verify: Postfix's added CPU smaller than with the anchors",
                 v["postfix_ms"] - bare["postfix_ms"] < a["postfix_ms"] - bare["postfix_ms"],
                 "%+.2f vs %+.2f ms/msg" % (v["postfix_ms"] - bare["postfix_ms"],
                                            a["postfix_ms"] - bare["postfix_ms"]))
        line("verify: throughput >= 1.3x the anchors'", v["msgs_per_s"] >= 1.3 * a["msgs_per_s"],
             "%.0f vs %.0f msgs/s, %.2fx" % (v["msgs_per_s"], a["msgs_per_s"],
                                             v["msgs_per_s"] / a["msgs_per_s"]))
    v, r = by.get("vouchd-verify"), by.get("vouchd-verify+record")
    if v and r:
        line("recording: vouchd-verify's throughput with Record within 5% of without",
             r["msgs_per_s"] >= 0.95 * v["msgs_per_s"],
             "%.0f vs %.0f msgs/s, %.1f%%; milter CPU %.3f vs %.3f ms/msg" % (
                 r["msgs_per_s"], v["msgs_per_s"], 100.0 * r["msgs_per_s"] / v["msgs_per_s"],
                 r["milter_ms"], v["milter_ms"]))
    a, v = by.get("opendkim-sign"), by.get("vouchd-sign")
    if a and v:
        line("sign: vouchd CPU <= 1/2 of OpenDKIM's", v["milter_ms"] <= a["milter_ms"] / 2,
             "%.3f vs %.3f ms/msg" % (v["milter_ms"], a["milter_ms"]))
        if bare:
            line("sign: Postfix's added CPU smaller than with OpenDKIM",
                 v["postfix_ms"] - bare["postfix_ms"] < a["postfix_ms"] - bare["postfix_ms"],
                 "%+.2f vs %+.2f ms/msg" % (v["postfix_ms"] - bare["postfix_ms"],
                                            a["postfix_ms"] - bare["postfix_ms"]))
        line("sign: throughput >= 1.3x OpenDKIM's", v["msgs_per_s"] >= 1.3 * a["msgs_per_s"],
             "%.0f vs %.0f msgs/s, %.2fx" % (v["msgs_per_s"], a["msgs_per_s"],
                                             v["msgs_per_s"] / a["msgs_per_s"]))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=int(os.environ.get("BENCH_MESSAGES", 2000)))
    ap.add_argument("--warmup", type=int, default=int(os.environ.get("BENCH_WARMUP", 200)))
    ap.add_argument("--rss-messages", type=int,
                    default=int(os.environ.get("BENCH_RSS_MESSAGES", 100000)))
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)))
    ap.add_argument("--no-arc", action="store_true",
                    help="send the message without its ARC Set (how much ARC costs)")
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    run, why = postfix.can_run()
    if not run:
        print("bench/milter: not run: %s" % why)
        return 1
    configs = [c for c in CONFIGS if not a.only or c in a.only.split(",")]
    build = os.environ.get("BENCH_BUILD", os.path.join(ROOT, "build"))
    if "null-milter" in configs:
        built, why = build_null_milter(build)
        if not built:
            print("bench/milter: %s" % why, file=sys.stderr)
    rss = []
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'"],
                         stdout=subprocess.PIPE, text=True).stdout.strip()
    head = ("bench/milter: %s, %d cores, %s, load average %s; Postfix %s; smtp-source -s 4, "
            "%d messages (+%d warm-up) of %%d bytes, one per connection, median of %d rounds" % (
                time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.cpu_count(), cpu,
                open("/proc/loadavg").read().split()[0], postfix.Postfix.version(), a.messages,
                a.warmup, a.rounds))
    with postfix.Lab("vouch-bench-milter-") as lab:
        z = testzone.Zone(lab.dir)
        keys = {"b1": z.dkim_key("bench.example", "b1"),
                "a1": z.dkim_key("forwarder.example", "a1")}
        z.txt("bench.example", "v=spf1 ip4:127.0.0.0/8 -all")
        # rua= so that vouchd's Record row has every evaluation to record
        z.txt("_dmarc.bench.example", "v=DMARC1; p=reject; rua=mailto:dmarc@bench.example")
        z.txt("forwarder.example", "v=spf1 -all")
        msg = bench_message(z, keys["b1"], keys["a1"], arc=not a.no_arc)
        msg_file = lab.path("bench.eml")
        with open(msg_file, "wb") as f:
            f.write(msg)
        print(head % len(msg))
        sys.stdout.flush()
        dns_addr = anchors.dmarc_dns_address()
        with z.serve(rrl=False, also_listen=[dns_addr + "@53"]) as ns:
            if not ns.ready:
                print("bench/milter: nsd did not start: %s" % ns.log_tail())
                return 1
            # Rounds: every configuration once per round, so that a change
            # in the machine's load (the two cores are shared) falls on all
            # of them; each figure is the median of its rounds.
            runs = {name: [] for name in configs}
            for rnd in range(a.rounds):
                for name in configs:
                    print("bench/milter: round %d, %s" % (rnd + 1, name), file=sys.stderr)
                    row, ctx = run_row(name, lab, z, ns, keys, dns_addr, msg_file, a.messages,
                                       a.warmup)
                    runs[name].append(row)
                    lab.stop_all()  # this row's servers, before the next row runs
            rows = [median_row(runs[name]) for name in configs]
            for name in configs:
                if name not in ("vouchd-verify", "vouchd-sign") or a.rss_messages <= 0:
                    continue
                print("bench/milter: %s, %d messages for RSS" % (name, a.rss_messages),
                      file=sys.stderr)
                row, ctx = run_row(name, lab, z, ns, keys, dns_addr, msg_file, 100, a.warmup)
                rss.append(rss_run(name, lab, ctx, msg_file, a.rss_messages) if ctx else
                           {"config": name, "error": row.get("error", "?")})
                lab.stop_all()
    bare = next((r for r in rows if r["config"] == "bare" and "error" not in r), None)
    print()
    print(fmt_table(rows, bare))
    print()
    print(targets(rows))
    print()
    by = {r["config"]: r for r in rows if "error" not in r}
    if "null-milter" in by:
        floor = by["null-milter"]["milter_ms"]
        for name in ("vouchd-verify", "vouchd-sign"):
            if name in by:
                print("- %s: %.2f ms/msg, of which libmilter's floor (null-milter) %.2f and "
                      "vouchd's own work above it %.2f" % (
                          name, by[name]["milter_ms"], floor, by[name]["milter_ms"] - floor))
    for r in rows:
        if "proof" in r:
            print("- %s, what one message got: %s" % (r["config"], r["proof"]))
    for r in rows:
        for m in r.get("milters", []):
            print("- %s: %s CPU %.2f ms/msg, of which in the kernel %.2f (%.0f%%)" % (
                r["config"], m["name"], m["ms"], m["sys_ms"],
                100.0 * m["sys_ms"] / m["ms"] if m["ms"] else 0))
    for r in rss:
        if "error" in r:
            print("- RSS over %s: not run: %s" % (r["config"], r["error"]))
        else:
            s = r["rss_kib"]
            print("- %s RSS over %d messages (KiB, every tenth): %s; growth %+d KiB" % (
                r["config"], r["messages"], " ".join(str(x) for x in s), s[-1] - s[1]))
    os.makedirs(build, exist_ok=True)
    with open(os.path.join(build, "bench-milter.json"), "w") as f:
        json.dump({"head": head % len(msg), "rows": rows, "rss": rss,
                   "machine": platform.machine()}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
