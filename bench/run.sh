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

# Instructions per operation at 2 KiB (issue 10): callgrind counts the
# timed calls alone (bench_timed_call), BENCH_CG_ITERS of them, for vouch
# and for the ceiling's operation; repeatable whatever the load.
CG_ITERS=${BENCH_CG_ITERS:-40}
callgrind() {
	out=$DATA/callgrind.out
	rm -f "$out"
	BENCH_ITERS=$CG_ITERS valgrind --tool=callgrind \
	    --toggle-collect=bench_timed_call --callgrind-out-file="$out" \
	    "$@" >/dev/null 2>"$DATA/callgrind.log" &&
	    awk -v n="$CG_ITERS" '/^totals:/ { printf "%.0f\n", $2 / n }' "$out"
}
if command -v valgrind >/dev/null; then
	echo "bench: callgrind, 2 KiB cells, $CG_ITERS operations each" >&2
	for cell in "rsa verify" "rsa sign" "ed verify" "ed sign"; do
		set -- $cell
		case " $drivers " in *" vouch_bench "*)
			n=$(callgrind "$BUILD/bench/vouch_bench" "$DATA" 1 2k "$1" "$2") &&
			    echo "callgrind-vouch 2k $1 $2 $n" >>"$RESULTS" ;;
		esac
		for lib in openssl libsodium; do
			[ "$lib-$1" = libsodium-rsa ] && continue
			l=$lib
			[ "$lib" = libsodium ] && l=sodium
			n=$(callgrind "$BUILD/bench/ceiling_bench" "$DATA" 1 - "$l-$1" "$2") &&
			    echo "callgrind-ceiling $lib $1 $2 $n" >>"$RESULTS"
		done
	done
fi

echo
$PY bench/report.py "$DATA" "$RESULTS" | tee "$DATA/table.txt"
