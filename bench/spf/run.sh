#!/bin/sh
# The SPF benchmark of issue 3 (not a test): builds its drivers, writes the
# policy tree and client mix, starts NSD with the tree on 127.0.0.1 at a
# free high port and a counting forwarder in front of it, runs vouch (zone
# file and libunbound back ends), libspf2 (with and without its cache) and
# pyspf, stops both servers, and prints the table.
# See bench/README.md, section "SPF".
#
#   BENCH_BUILD    build directory              (default build-bench)
#   BENCH_SPF_DATA zone, clients, NSD files, results (default $BENCH_BUILD/bench-spf-data)
#   BENCH_SECONDS  CPU seconds per row measured once (default 1.5)
#   BENCH_ROUNDS   rounds of the paired rows (default 5; 0: every row once,
#                  as before 2026-12-07)
#   BENCH_ROUND_SECONDS  CPU seconds per row per round (default 0.4)
#
# The rows issue 10 compares are measured in pairs: each of vouch's four
# warm rows (zone file and libunbound, every term from the DNS answer
# cache and the default caches) right next to libspf2's cached row, the
# order swapped every other round, and report.py takes each pair's ratio
# and the median over the rounds.  The host shares the physical core in
# spells of a fraction of a second to several seconds that slow vouch by
# up to 40% (bench/README.md, "perf7spf"): two rows measured seconds
# apart read 12x in one run and 8.3x in the next.  The other rows (no
# cache, libspf2 without its cache, pyspf, the cold question counts) run
# once.
set -eu

cd "$(dirname "$0")/../.."
BUILD=${BENCH_BUILD:-build-bench}
DATA=${BENCH_SPF_DATA:-$BUILD/bench-spf-data}
SECS=${BENCH_SECONDS:-1.5}
ROUNDS=${BENCH_ROUNDS:-5}
RSECS=${BENCH_ROUND_SECONDS:-0.4}
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
if [ "$ROUNDS" -gt 0 ]; then
	per="$ROUNDS rounds of ${RSECS} s of CPU per paired row, ${SECS} s per other row"
else
	per="${SECS} s of CPU per row"
fi
echo "bench/spf: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
    "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')," \
    "NSD $(/usr/sbin/nsd -v 2>&1 | head -1 | sed 's/.*version //')" \
    "on $NSD, $per, load average $(cut -d' ' -f1-3 /proc/loadavg)" |
    tee "$RESULTS.head"
: >"$RESULTS"

has() {
	case " $drivers " in *" $1 "*) return 0 ;; esac
	return 1
}
vouch() {
	"$BUILD/bench/spf/vouch_spf_bench" "$DATA" "$@"
}
libspf2() {
	"$BUILD/bench/spf/libspf2_bench" "$DATA" "$@"
}

# The pairs: round R, pair P, libspf2 cached and one vouch row, the
# libspf2 row first in odd rounds and second in even ones, the pairs in
# reverse order in even rounds.  Lines "round R P rate ...".
PAIRS="zone/dns unbound/dns zone/results+dns unbound/results+dns"
r=1
while [ "$r" -le "$ROUNDS" ]; do
	order=$PAIRS
	if [ $((r % 2)) -eq 0 ]; then
		order=""
		for p in $PAIRS; do order="$p $order"; done
	fi
	echo "bench/spf: round $r of $ROUNDS" >&2
	for p in $order; do
		backend=${p%/*}
		cache=${p#*/}
		n=0
		for q in $PAIRS; do
			n=$((n + 1))
			[ "$q" = "$p" ] && break
		done
		for side in 1 2; do
			if [ $(((r + side) % 2)) -eq 0 ]; then
				! has libspf2_bench ||
				    libspf2 "$RSECS" "$NSD" - - cache
			else
				! has vouch_spf_bench ||
				    vouch "$RSECS" "$NSD" - - "$backend" "$cache"
			fi
		done | sed "s/^/round $r $n /"
	done | tee -a "$RESULTS" >/dev/null
	r=$((r + 1))
done

if [ "$ROUNDS" -gt 0 ]; then
	# The rows measured once: no cache, libspf2 without its cache, cold.
	if has vouch_spf_bench; then
		echo "bench/spf: running vouch_spf_bench (no cache, cold)" >&2
		{
			vouch "$SECS" "$NSD" "$COUNT" "$LOG" zone none
			vouch "$SECS" "$NSD" "$COUNT" "$LOG" unbound none
			vouch "$SECS" "$NSD" "$COUNT" "$LOG" unbound cold
		} | tee -a "$RESULTS" >/dev/null
	fi
	if has libspf2_bench; then
		echo "bench/spf: running libspf2_bench (resolv, cold)" >&2
		{
			libspf2 "$SECS" "$NSD" "$COUNT" "$LOG" resolv
			libspf2 "$SECS" "$NSD" "$COUNT" "$LOG" cold
		} | tee -a "$RESULTS" >/dev/null
	fi
else
	for d in $drivers; do
		echo "bench/spf: running $d" >&2
		"$BUILD/bench/spf/$d" "$DATA" "$SECS" "$NSD" "$COUNT" "$LOG" |
		    tee -a "$RESULTS" >/dev/null
	done
fi
echo "bench/spf: running pyspf" >&2
$PY bench/spf/pyspf_bench.py "$DATA" "$SECS" "$NSD" "$COUNT" "$LOG" |
    tee -a "$RESULTS" >/dev/null

echo
$PY bench/spf/report.py "$RESULTS" | tee "$DATA/table.txt"
