#!/usr/bin/python3
"""The inputs of the SPF benchmark (bench/spf/README section of
bench/README.md): one policy tree, as a master file that both vouch's
zone-file back end and NSD read, the NSD configuration that serves it on
loopback, and the mix of SMTP clients with the verdict each must get.

    gen.py DATADIR PORT

writes DATADIR/bench.zone, DATADIR/nsd.conf (NSD on 127.0.0.1@PORT, every
file under DATADIR/nsd) and DATADIR/clients.txt ("IP VERDICT DEPTH TERM
RFCQ", RFCQ the DNS questions RFC 7208 makes a cold evaluation ask).
Nothing is random: the same files every run.
"""
import os
import sys

DOMAIN = "bench.example"

# Three levels of include below the sender's record, seven mechanisms that
# match an address (mx, a, four ip4/ip6 ranges), two of them IPv6 ranges.
# Every host named by mx and a: has both A and AAAA, so an IPv6 client does
# not spend void lookups (RFC 7208 §4.6.4) on empty AAAA answers.
ZONE = """\
$ORIGIN bench.example.
$TTL 3600
@       IN SOA  ns.bench.example. hostmaster.bench.example. (
                1 3600 600 86400 3600 )
@       IN NS   ns.bench.example.
ns      IN A    127.0.0.1
@       IN MX   10 mx1.bench.example.
@       IN MX   20 mx2.bench.example.
@       IN TXT  "v=spf1 mx ip4:192.0.2.64/26 include:_spf.bench.example -all"
mx1     IN A    192.0.2.10
mx1     IN AAAA 2001:db8:0:1::10
mx2     IN A    192.0.2.11
mx2     IN AAAA 2001:db8:0:1::11
_spf    IN TXT  "v=spf1 ip4:198.51.100.128/25 ip6:2001:db8:1000::/36 " "include:_spf2.bench.example ~all"
_spf2   IN TXT  "v=spf1 a:relay.bench.example include:_spf3.bench.example ?all"
relay   IN A    198.51.100.7
relay   IN AAAA 2001:db8:0:2::7
_spf3   IN TXT  "v=spf1 ip4:203.0.113.0/24 ip6:2001:db8:2000::/48 ?all"
"""

NSD_CONF = """\
server:
	ip-address: 127.0.0.1@{port}
	port: {port}
	do-ip6: no
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "{data}"
	database: ""
	zonelistfile: "{nsd}/zone.list"
	xfrdfile: "{nsd}/xfrd.state"
	xfrdir: "{nsd}"
	pidfile: "{nsd}/nsd.pid"
	logfile: "{nsd}/nsd.log"
	verbosity: 1
	hide-version: yes
remote-control:
	control-enable: no
zone:
	name: "{domain}"
	zonefile: "bench.zone"
"""


def rfc_queries(ip, depth, term):
    """The DNS questions RFC 7208 has check_host() ask for this client with
    nothing cached: TXT of each record reached (§4.4), the MX question and
    one address question per exchange until one matches (§5.4), one address
    question for a: (§5.3).  The A/AAAA records NSD adds to the MX answer's
    additional section are not counted as answers: §5.4 asks for the
    address lookups."""
    if term == "mx":
        return 4
    # TXT bench.example, MX, two address questions, then per level below.
    return {0: 4, 1: 5, 2: 7, 3: 8}[depth]


def clients():
    """(ip, verdict, depth, term): the mix every driver evaluates in turn."""
    rows = []
    # Depth 0: the sender's own record.
    for ip in ("192.0.2.10", "192.0.2.11", "2001:db8:0:1::10",
               "2001:db8:0:1::11"):
        rows.append((ip, "pass", 0, "mx"))
    for i in range(8):
        rows.append(("192.0.2.%d" % (70 + 7 * i), "pass", 0, "ip4"))
    # Depth 1: _spf.
    for i in range(6):
        rows.append(("198.51.100.%d" % (130 + 19 * i), "pass", 1, "ip4"))
    for i in range(8):
        rows.append(("2001:db8:%x::%x" % (0x1000 + 0x1f3 * i, 25 + i),
                     "pass", 1, "ip6"))
    # Depth 2: _spf2.
    rows.append(("198.51.100.7", "pass", 2, "a"))
    rows.append(("2001:db8:0:2::7", "pass", 2, "a"))
    # Depth 3: _spf3.
    for i in range(8):
        rows.append(("203.0.113.%d" % (5 + 31 * i), "pass", 3, "ip4"))
    for i in range(8):
        rows.append(("2001:db8:2000:%x::%x" % (17 * i, 9 + i), "pass", 3,
                     "ip6"))
    # No match anywhere: the whole tree is walked, then -all.
    for i in range(10):
        rows.append(("198.18.%d.%d" % (i, 1 + 23 * i), "fail", 3, "-all"))
    for i in range(10):
        rows.append(("2001:db8:ffff:%x::1" % i, "fail", 3, "-all"))
    return rows


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen.py DATADIR PORT")
    data = os.path.abspath(sys.argv[1])
    port = int(sys.argv[2])
    nsd = os.path.join(data, "nsd")
    os.makedirs(nsd, exist_ok=True)
    with open(os.path.join(data, "bench.zone"), "w") as f:
        f.write(ZONE)
    with open(os.path.join(data, "nsd.conf"), "w") as f:
        f.write(NSD_CONF.format(port=port, data=data, nsd=nsd,
                                domain=DOMAIN))
    with open(os.path.join(data, "clients.txt"), "w") as f:
        for ip, verdict, depth, term in clients():
            f.write("%s %s %d %s %d\n" % (ip, verdict, depth, term,
                                           rfc_queries(ip, depth, term)))


if __name__ == "__main__":
    main()
