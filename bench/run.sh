#!/bin/sh
# The DKIM benchmark of issue 2 (not a test): builds its drivers in its own
# build directory, makes the messages and keys, runs vouch, libopendkim,
# dkimpy, Mail::DKIM and the OpenSSL ceiling one after the other, and
# prints the table.  See bench/README.md.
#
#   BENCH_BUILD    build directory       (default build-bench)
#   BENCH_DATA     messages, keys, results (default $BENCH_BUILD/bench-data)
#   BENCH_SECONDS  seconds per table cell and driver (default 1.5)
set -eu

cd "$(dirname "$0")/.."
BUILD=${BENCH_BUILD:-build-bench}
DATA=${BENCH_DATA:-$BUILD/bench-data}
SECS=${BENCH_SECONDS:-1.5}
PY=/usr/bin/python3	# Debian's, where python3-dkim lives
RESULTS=$DATA/results.txt

if [ ! -f "$BUILD/build.ninja" ]; then
	log=$(mktemp)
	meson setup "$BUILD" -Dbuildtype=release >"$log" 2>&1 || {
		cat "$log" >&2
		rm -f "$log"
		exit 1
	}
	rm -f "$log"
fi

# Each driver is built alone, so that one that cannot be built (vouch's
# library in the middle of a change, no libopendkim) only empties its
# column.
drivers=""
for d in ceiling_bench opendkim_bench vouch_bench; do
	if ninja -C "$BUILD" "bench/$d" >"$BUILD/bench-$d.log" 2>&1; then
		drivers="$drivers $d"
	else
		echo "bench: cannot build $d (see $BUILD/bench-$d.log);" \
		    "its column stays empty" >&2
	fi
done

mkdir -p "$DATA"
$PY bench/gen.py "$DATA"

echo "bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
    "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')," \
    "$(openssl version | cut -d' ' -f1-2), ${SECS} s per cell" | tee "$RESULTS.head"
: >"$RESULTS"
for d in $drivers; do
	echo "bench: running $d" >&2
	"$BUILD/bench/$d" "$DATA" "$SECS" | tee -a "$RESULTS" >/dev/null
done
echo "bench: running dkimpy" >&2
$PY bench/dkimpy_bench.py "$DATA" "$SECS" | tee -a "$RESULTS" >/dev/null
echo "bench: running Mail::DKIM" >&2
/usr/bin/perl bench/mail_dkim_bench.pl "$DATA" "$SECS" |
    tee -a "$RESULTS" >/dev/null

echo
$PY bench/report.py "$DATA" "$RESULTS" | tee "$DATA/table.txt"
