#!/bin/sh
# The DKIM benchmark of issues 2 and 10 (not a test): builds its drivers in
# its own build directory, makes the messages and keys, measures vouch's
# cells against the ceiling in alternating rounds, runs libopendkim, dkimpy
# and Mail::DKIM once, and prints the table.  See bench/README.md.
#
#   BENCH_BUILD         build directory       (default build-bench)
#   BENCH_DATA          messages, keys, results (default $BENCH_BUILD/bench-data)
#   BENCH_SECONDS       CPU seconds per vouch cell and per ceiling row, in
#                       each round (default 0.5)
#   BENCH_ROUNDS        rounds of vouch and the ceiling (default 5)
#   BENCH_PEER_SECONDS  CPU seconds per cell of the one pass of the peers,
#                       of the canonicalizer rows and of the ceiling rows
#                       that no cell's target reads (default 3 x BENCH_SECONDS)
#   BENCH_CG_ITERS      operations per callgrind run (default 40)
#
# A round measures, cell by cell, vouch's cell between the ceiling's two
# parts for that cell (the signature operation of the faster library, and
# SHA-256's rate), one right after the other, the order reversed every
# other round; report.py divides each round's vouch rate by the ceiling
# of the same round and takes the median of the rounds.  One pass of everything
# (until 2026-12-07) let a burst of load on this shared machine move a
# single cell by 10-15% between two runs of the same code.
set -eu

cd "$(dirname "$0")/.."
BUILD=${BENCH_BUILD:-build-bench}
DATA=${BENCH_DATA:-$BUILD/bench-data}
SECS=${BENCH_SECONDS:-0.5}
ROUNDS=${BENCH_ROUNDS:-5}
PEER_SECS=${BENCH_PEER_SECONDS:-$(awk -v s="$SECS" 'BEGIN { print 3 * s }')}
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
    "$(openssl version | cut -d' ' -f1-2); vouch and the ceiling:" \
    "$ROUNDS rounds of ${SECS} s per cell; the peers: one pass of" \
    "${PEER_SECS} s per cell; load average $(cut -d' ' -f1-3 /proc/loadavg)" |
    tee "$RESULTS.head"
: >"$RESULTS"
has() { case " $drivers " in *" $1 "*) return 0 ;; esac; return 1; }

# One pass of the rows no target reads: OpenSSL's Ed25519 (libsodium's is
# the faster, measured in the rounds), the ceiling with a context set up
# per operation (for the profile), and the body canonicalizer alone.
if has ceiling_bench; then
	echo "bench: running ceiling_bench (rows outside the rounds)" >&2
	for row in "openssl-ed sign" "openssl-ed verify" \
	    "openssl-rsa verify-setup" "openssl-ed verify-setup"; do
		set -- $row
		"$BUILD/bench/ceiling_bench" "$DATA" "$PEER_SECS" - "$1" "$2"
	done | tee -a "$RESULTS" >/dev/null
fi
if has vouch_bench; then
	echo "bench: running vouch_bench (canonicalization alone)" >&2
	"$BUILD/bench/vouch_bench" "$DATA" "$PEER_SECS" - - canon |
	    tee -a "$RESULTS" >/dev/null
fi

# The rounds: each cell of vouch between the two parts of its own
# ceiling, each measured right before or after it, so that load from
# outside moves both or spoils one round of the median.  Lines
# "round R SIZE ALG OP : DRIVER-LINE".
measure() { # what size alg op
	case $1 in
	hash)
		has ceiling_bench &&
		    "$BUILD/bench/ceiling_bench" "$DATA" "$SECS" - - hash ;;
	op)
		lib=openssl
		[ "$3" = ed ] && lib=sodium
		has ceiling_bench &&
		    "$BUILD/bench/ceiling_bench" "$DATA" "$SECS" - "$lib-$3" "$4" ;;
	vouch)
		has vouch_bench &&
		    "$BUILD/bench/vouch_bench" "$DATA" "$SECS" "$2" "$3" "$4" ;;
	esac
	return 0
}
r=1
while [ "$r" -le "$ROUNDS" ]; do
	echo "bench: round $r of $ROUNDS: vouch and the ceiling, cell by cell" >&2
	# vouch between the ceiling's two parts: the operation is most of the
	# small cells' ceiling, the hash most of the large ones'
	order="op vouch hash"
	[ $((r % 2)) -eq 0 ] && order="hash vouch op"
	for size in 2k 20k 200k 2m; do
		for alg in rsa ed; do
			for op in verify sign; do
				for what in $order; do
					measure "$what" "$size" "$alg" "$op" |
					    sed "s/^/round $r $size $alg $op : /"
				done
			done
		done
	done | tee -a "$RESULTS" >/dev/null
	r=$((r + 1))
done

# The peers, one pass each, after the rounds: dkimpy also checks the
# messages vouch_bench signed in them.
if has opendkim_bench; then
	echo "bench: running opendkim_bench" >&2
	"$BUILD/bench/opendkim_bench" "$DATA" "$PEER_SECS" |
	    tee -a "$RESULTS" >/dev/null
fi
echo "bench: running dkimpy" >&2
$PY bench/dkimpy_bench.py "$DATA" "$PEER_SECS" | tee -a "$RESULTS" >/dev/null
echo "bench: running Mail::DKIM" >&2
/usr/bin/perl bench/mail_dkim_bench.pl "$DATA" "$PEER_SECS" |
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
		if has vouch_bench; then
			n=$(callgrind "$BUILD/bench/vouch_bench" "$DATA" 1 2k "$1" "$2") &&
			    echo "callgrind-vouch 2k $1 $2 $n" >>"$RESULTS"
		fi
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
# the load during the run, to read the numbers with (the head line has it
# at the start)
echo "bench: done $(date -u '+%H:%M UTC'), load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$DATA/table.txt"
