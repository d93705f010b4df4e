#!/bin/sh
# The SPF benchmark of issue 3 (not a test): builds its drivers, writes the
# policy tree and client mix, starts NSD with the tree on 127.0.0.1 at a
# free high port and a counting forwarder in front of it, runs vouch (zone
# file and libunbound back ends), libspf2 (with and without its cache) and
# pyspf one after the other, stops both servers, and prints the table.
# See bench/README.md, section "SPF".
#
#   BENCH_BUILD    build directory              (default build-bench)
#   BENCH_SPF_DATA zone, clients, NSD files, results (default $BENCH_BUILD/bench-spf-data)
#   BENCH_SECONDS  CPU seconds per row and driver (default 1.5)
set -eu

cd "$(dirname "$0")/../.."
BUILD=${BENCH_BUILD:-build-bench}
DATA=${BENCH_SPF_DATA:-$BUILD/bench-spf-data}
SECS=${BENCH_SECONDS:-1.5}
PY=/usr/bin/python3	# Debian's, where python3-spf lives
RESULTS=$DATA/results.txt

if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" -Dbuildtype=release >"$BUILD.setup.log" 2>&1 || {
		cat "$BUILD.setup.log" >&2
		exit 1
	}
	rm -f "$BUILD.setup.log"
fi

drivers=""
for d in vouch_spf_bench libspf2_bench; do
	if ninja -C "$BUILD" "bench/spf/$d" >"$BUILD/bench-$d.log" 2>&1; then
		drivers="$drivers $d"
	else
		echo "bench/spf: cannot build $d (see $BUILD/bench-$d.log);" \
		    "its rows stay empty" >&2
	fi
done

# Two free high ports on 127.0.0.1 (UDP and TCP): NSD's and the counter's.
ports=$($PY -c '
import socket
ps = []
while len(ps) < 2:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p))
    except OSError:
        continue
    if p >= 20000:
        ps.append(p)
print(*ps)')
set -- $ports
NSD_PORT=$1
COUNT_PORT=$2

rm -rf "$DATA"
mkdir -p "$DATA"
$PY bench/spf/gen.py "$DATA" "$NSD_PORT"
LOG=$DATA/queries.log
: >"$LOG"

counter=""
stop() {
	[ -n "$counter" ] && kill "$counter" 2>/dev/null || :
	if [ -f "$DATA/nsd/nsd.pid" ]; then
		nsd_pid=$(cat "$DATA/nsd/nsd.pid")
		kill "$nsd_pid" 2>/dev/null || :
		# NSD removes its pid file when it has exited.
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			[ -f "$DATA/nsd/nsd.pid" ] || break
			sleep 0.5
		done
	fi
}
trap stop EXIT
trap 'exit 1' INT TERM

/usr/sbin/nsd -c "$DATA/nsd.conf"
$PY bench/spf/countdns.py "$COUNT_PORT" "$NSD_PORT" "$LOG" &
counter=$!
# Wait until NSD answers through the counter (a few seconds at most).
$PY -c '
import sys, time, dns.resolver
r = dns.resolver.Resolver(configure=False)
r.nameservers = ["127.0.0.1"]
r.port = int(sys.argv[1])
r.lifetime = 1
for _ in range(30):
    try:
        r.resolve("bench.example", "TXT")
        sys.exit(0)
    except Exception:
        time.sleep(0.3)
sys.exit("bench/spf: NSD does not answer (see its log)")' "$COUNT_PORT"
: >"$LOG"

NSD=127.0.0.1@$NSD_PORT
COUNT=127.0.0.1@$COUNT_PORT
echo "bench/spf: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
    "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')," \
    "NSD $(/usr/sbin/nsd -v 2>&1 | head -1 | sed 's/.*version //')" \
    "on $NSD, ${SECS} s of CPU per row" | tee "$RESULTS.head"
: >"$RESULTS"
for d in $drivers; do
	echo "bench/spf: running $d" >&2
	"$BUILD/bench/spf/$d" "$DATA" "$SECS" "$NSD" "$COUNT" "$LOG" |
	    tee -a "$RESULTS" >/dev/null
done
echo "bench/spf: running pyspf" >&2
$PY bench/spf/pyspf_bench.py "$DATA" "$SECS" "$NSD" "$COUNT" "$LOG" |
    tee -a "$RESULTS" >/dev/null

echo
$PY bench/spf/report.py "$RESULTS" | tee "$DATA/table.txt"
