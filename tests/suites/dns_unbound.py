#!/usr/bin/python3
"""The libunbound back end against a real DNS server.

Starts NSD (/usr/sbin/nsd) on 127.0.0.1 at a free high port, serving a small
zone from a temporary directory, and asks it questions through
build/tests/dnsq (which forwards to ADDR@PORT).  Checks ANSWER for A, AAAA,
TXT (several strings joined), MX, CNAME (followed); NODATA; NXDOMAIN; and
TEMPFAIL "timeout" from a port where nothing listens.  NSD is always stopped.
The handle's caches (its own, in front of libunbound's): with the server
paused, a repeated question is still answered until the record's TTL runs
out, and then no longer (nothing is served stale).
"""
import os
import subprocess
import time

import nsd
from vtest import BUILD, ok, done

DNSQ = os.path.join(BUILD, "tests", "dnsq")

ZONE = """$ORIGIN example.com.
$TTL 300
@       IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 120
@       IN NS ns
ns      IN A 127.0.0.1
@       IN A 192.0.2.1
@       IN AAAA 2001:db8::1
@       IN MX 10 mx1
@       IN MX 20 mx2.example.net.
@       IN TXT "v=spf1 " "ip4:192.0.2.0/24 " "-all"
mx1     IN A 192.0.2.25
alias   IN CNAME mx1
ptrs    IN PTR host.example.org.
bytes   IN TXT "a\\009b\\\\c\\"d"
long    IN TXT "{long1}" "{long2}"
a.b.ent IN A 192.0.2.99
short 2 IN A 192.0.2.7
""".replace("{long1}", "x" * 255).replace("{long2}", "y" * 200)


def dnsq(server, name, qtype, timeout=2):
    p = subprocess.run([DNSQ, "-t", str(timeout), server, name, qtype],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    lines = p.stdout.decode("utf-8", "replace").splitlines()
    return p.returncode, lines, p.stderr.decode("utf-8", "replace")


def main():
    ok(os.access(DNSQ, os.X_OK), "dnsq built", "missing %s" % DNSQ)
    ok(nsd.installed(), "nsd installed", "missing %s (Debian package nsd)" % nsd.NSD)
    if not os.access(DNSQ, os.X_OK) or not nsd.installed():
        done()
    with nsd.serve("example.com", ZONE, prefix="vouch-nsd-") as ns:
        if not ok(ns.ready, "nsd serves the test zone on port %d" % ns.port, ns.log_tail()):
            done()
        checks(ns.server)
        cache_checks(ns)
    ok(ns.stopped(), "nsd stopped")
    dead_port = nsd.free_port()
    t0 = time.time()
    rc, lines, err = dnsq("127.0.0.1@%d" % dead_port, "example.com", "A", 1)
    took = time.time() - t0
    ok(rc == 0 and lines == ["tempfail timeout"],
       "no server listening: TEMPFAIL timeout", "got %r %s" % (lines, err))
    ok(took < 10, "the timeout is kept (1 s asked)", "took %.1f s" % took)
    rc, lines, err = dnsq("not-an-address", "example.com", "A", 1)
    ok(rc != 0 and "not an IP address" in err, "a bad server text is refused",
       "got rc %d %r" % (rc, err))
    done()


def checks(server):
    cases = [
        ("A", "example.com", "A", ["answer", "192.0.2.1"]),
        ("AAAA", "example.com", "AAAA", ["answer", "2001:db8::1"]),
        ("TXT strings joined and counted", "example.com", "TXT",
         ["answer", "3|v=spf1 ip4:192.0.2.0/24 -all"]),
        ("TXT escapes reach the wire and come back", "bytes.example.com", "TXT",
         ["answer", "1|a\\009b\\092c\"d"]),
        ("TXT of 455 bytes in two strings", "long.example.com", "TXT",
         ["answer", "2|" + "x" * 255 + "y" * 200]),
        ("MX, preference and exchange (relative and absolute)", "example.com", "MX",
         None),
        ("CNAME followed to the target's A", "alias.example.com", "A",
         ["answer", "192.0.2.25"]),
        ("CNAME asked as CNAME", "alias.example.com", "CNAME", ["answer", "mx1.example.com"]),
        ("PTR", "ptrs.example.com", "PTR", ["answer", "host.example.org"]),
        ("NS", "example.com", "NS", ["answer", "ns.example.com"]),
        ("NODATA: name exists, type absent", "mx1.example.com", "TXT", ["nodata"]),
        ("NXDOMAIN: name absent", "nothere.example.com", "A", ["nxdomain"]),
        ("empty non-terminal is NODATA (RFC 8020)", "b.ent.example.com", "A", ["nodata"]),
        ("names compare without case", "MX1.Example.COM.", "A", ["answer", "192.0.2.25"]),
        ("invalid name is PERMFAIL before any query", "a..example.com", "A",
         ["permfail invalid name"]),
    ]
    for label, name, qtype, want in cases:
        rc, lines, err = dnsq(server, name, qtype)
        if want is None:  # MX: the order of records is the server's choice
            got = sorted(lines[1:]) if lines else []
            ok(rc == 0 and lines[:1] == ["answer"] and
               got == ["10 mx1.example.com", "20 mx2.example.net"],
               label, "got %r %s" % (lines, err))
            continue
        ok(rc == 0 and lines == want, label, "got %r, want %r %s" % (lines, want, err))
    # One handle, eight threads, a mix of cached and fresh questions.
    for name, qtype in (("example.com", "TXT"), ("nothere2.example.com", "A"),
                        ("alias.example.com", "A")):
        p = subprocess.run([DNSQ, "-t", "3", "-p", "8", server, name, qtype],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        lines = p.stdout.decode("utf-8", "replace").splitlines()
        ok(p.returncode == 0 and lines[-1:] == ["parallel: 160 same"],
           "8 threads on one handle agree (%s %s)" % (name, qtype),
           "got %r %s" % (lines[-1:], p.stderr.decode("utf-8", "replace")[-300:]))


def cache_checks(ns):
    """One handle asks short.example.com (TTL 2 s) three times: with the
    server up, then paused at once, then paused 3 s later."""
    p = subprocess.Popen([DNSQ, "-a", "-t", "1", ns.server, "short.example.com", "A"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def block():
        lines = []
        while True:
            line = p.stdout.readline().decode("utf-8", "replace").rstrip("\n")
            if not line or line.startswith("ttl "):
                return lines, line
            lines.append(line)
    try:
        first, ttl1 = block()
        ns.pause()
        p.stdin.write(b"\n")
        p.stdin.flush()
        second, ttl2 = block()
        time.sleep(3)
        p.stdin.write(b"\n")
        p.stdin.flush()
        third, _ = block()
        p.stdin.close()
        p.wait(timeout=30)
    finally:
        ns.resume()
        if p.poll() is None:
            p.kill()
            p.wait()
    ok(first == ["answer", "192.0.2.7"] and ttl1 in ("ttl 1", "ttl 2"),
       "cache: the first answer, TTL 2", "got %r %r" % (first, ttl1))
    ok(second == first and ttl2 in ("ttl 0", "ttl 1", "ttl 2") and int(ttl2[4:]) <= int(ttl1[4:]),
       "cache: the server paused, the question is answered from the cache, "
       "its TTL counting down", "got %r %r" % (second, ttl2))
    ok(third == ["tempfail timeout"],
       "cache: past the TTL the answer is not served stale (the paused server "
       "times out)", "got %r" % third)


if __name__ == "__main__":
    main()
