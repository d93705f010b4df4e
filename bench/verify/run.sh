#!/bin/sh
# The full-verdict benchmark of issue 4 (not a test): vouch_verify_message()
# (SPF + DKIM + DMARC + Authentication-Results) against libspf2 +
# libopendkim + libopendmarc doing the same work on the same 20 KiB
# messages, one core, every DNS answer from memory (warm cache).  Builds
# its drivers in its own build directory, makes the messages with
# bench/gen.py, runs the drivers row by row and prints the table with the
# ratio (report.py).  See bench/README.md, section "Full verdict".
#
#   BENCH_BUILD          build directory        (default build-bench)
#   BENCH_VERIFY_DATA    messages, keys, results (default $BENCH_BUILD/bench-verify-data)
#   BENCH_ROUNDS         rounds (default 5; 0: every driver whole, once,
#                        BENCH_SECONDS per row, as before 2026-12-07)
#   BENCH_ROUND_SECONDS  CPU seconds per row per round (default 0.5)
#   BENCH_VERIFY_SHAPE   slices (default): vouch and legacy take turns
#                        in slices of BENCH_SLICE seconds, two processes
#                        alive side by side (interleave.py), a round
#                        being BENCH_ROUND_SECONDS of slices of each; or
#                        triple (legacy-vouch-legacy) or pair (legacy-
#                        vouch in odd rounds, vouch-legacy in even ones),
#                        one process a row: what sits around each vouch row
#   BENCH_SLICE          CPU seconds per slice with slices (default 0.02)
#   BENCH_SECONDS        CPU seconds per row with BENCH_ROUNDS=0 (1.5)
#
# Each vouch row is measured beside the legacy row of its algorithm it is
# divided by.  The host shares its physical cores with other VMs in spells
# of under a second to several seconds (bench/README.md, "Method (full
# verdict)"); measured one whole row after the other, single rounds of the
# same code read 2.51-3.01x for Ed25519, and 2.60-3.46x even in a triple.
# Taking turns every 20 ms, both rows share every spell longer than a few
# slices: on a quiet machine the rounds read 3.03-3.08x (section
# "perf8i").  The ceiling's signature checks run once a round.
set -eu

cd "$(dirname "$0")/../.."
BUILD=${BENCH_BUILD:-build-bench}
DATA=${BENCH_VERIFY_DATA:-$BUILD/bench-verify-data}
SECS=${BENCH_SECONDS:-1.5}
ROUNDS=${BENCH_ROUNDS:-5}
RSECS=${BENCH_ROUND_SECONDS:-0.5}
SHAPE=${BENCH_VERIFY_SHAPE:-slices}
SLICE=${BENCH_SLICE:-0.02}
PY=/usr/bin/python3	# Debian's, where python3-dkim (gen.py) lives
RESULTS=$DATA/results.txt

case $SHAPE in
pair | triple | slices) ;;
*) echo "bench/verify: BENCH_VERIFY_SHAPE=$SHAPE: pair, triple or slices" >&2; exit 2 ;;
esac

if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" -Dbuildtype=release >"$BUILD.setup.log" 2>&1 || {
		cat "$BUILD.setup.log" >&2
		exit 1
	}
	rm -f "$BUILD.setup.log"
fi

drivers=""
for d in vouch_verify_bench legacy_verify_bench ceiling_bench; do
	t=bench/verify/$d
	[ "$d" = ceiling_bench ] && t=bench/$d
	if ninja -C "$BUILD" "$t" >"$BUILD/bench-$d.log" 2>&1; then
		drivers="$drivers $t"
	else
		echo "bench/verify: cannot build $d (see $BUILD/bench-$d.log);" \
		    "its rows stay empty" >&2
	fi
done
has() {
	case " $drivers " in *"/$1 "*) return 0 ;; esac
	return 1
}

mkdir -p "$DATA"
$PY bench/gen.py "$DATA"

if [ "$ROUNDS" -gt 0 ] && [ "$SHAPE" = slices ]; then
	per="$ROUNDS rounds, each vouch row taking turns with legacy in slices of ${SLICE} s, ${RSECS} s per row"
elif [ "$ROUNDS" -gt 0 ]; then
	per="$ROUNDS rounds, each vouch row in a $SHAPE with legacy, ${RSECS} s per row"
else
	per="one pass, ${SECS} s per row"
fi
echo "bench/verify: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
    "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')," \
    "$(openssl version | cut -d' ' -f1-2), $per," \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$RESULTS"

# one process: DRIVER SECONDS [SIZE ALG OP], the last three the drivers'
# row selector (bench_want: for the verify drivers OP is the row's name)
row() {
	has "$1" || return 0
	t=bench/verify/$1
	[ "$1" = ceiling_bench ] && t=bench/$1
	shift
	"$BUILD/$t" "$DATA" "$@"
}
legacy() { row legacy_verify_bench "$RSECS" 20k "$1" legacy; }
vouch() { row vouch_verify_bench "$RSECS" 20k "$2" "$1"; }

if [ "$ROUNDS" -eq 0 ]; then
	for d in vouch_verify_bench legacy_verify_bench ceiling_bench; do
		echo "bench/verify: $d" >&2
		row "$d" "$SECS" | sed "s/^/1 /"
	done | tee -a "$RESULTS" >/dev/null
fi

# Round R: for each algorithm and each vouch row, the group (pair or
# triple) of that row and the legacy row of its algorithm; the groups in
# reverse order in even rounds.  Lines "round R ALG/IMPL <driver line>".
GROUPS="rsa/vouch rsa/vouch-dnscache rsa/vouch-rfc7489 ed/vouch ed/vouch-dnscache ed/vouch-rfc7489"
# slices: every round of a group in one run of interleave.py (the two
# drivers stay alive between rounds), the groups one after the other,
# then the ceiling's rounds
if [ "$SHAPE" = slices ] && [ "$ROUNDS" -gt 0 ]; then
	if has legacy_verify_bench && has vouch_verify_bench; then
		pairs=$($PY -c "print(max(1, round($RSECS / $SLICE)))")
		for g in $GROUPS; do
			echo "bench/verify: $g, $ROUNDS rounds of $pairs slice pairs" >&2
			$PY bench/verify/interleave.py "$BUILD" "$DATA" "${g%/*}" \
			    "${g#*/}" "$ROUNDS" "$SLICE" "$pairs"
		done | tee -a "$RESULTS" >/dev/null
	fi
fi

r=1
while [ "$r" -le "$ROUNDS" ]; do
	echo "bench/verify: round $r of $ROUNDS" >&2
	# slices measured every group above: only the ceiling is left
	order=""
	if [ "$SHAPE" != slices ]; then
		order=$GROUPS
		if [ $((r % 2)) -eq 0 ]; then
			order=""
			for g in $GROUPS; do order="$g $order"; done
		fi
	fi
	for g in $order; do
		alg=${g%/*}
		impl=${g#*/}
		if [ "$SHAPE" = triple ]; then
			legacy "$alg"
			vouch "$impl" "$alg"
			legacy "$alg"
		elif [ $((r % 2)) -eq 1 ]; then
			legacy "$alg"
			vouch "$impl" "$alg"
		else
			vouch "$impl" "$alg"
			legacy "$alg"
		fi | sed "s|^|round $r $g |"
	done
	# the ceiling: signature checks alone, keys parsed once, OpenSSL
	# and (Ed25519) libsodium
	for c in openssl-rsa openssl-ed sodium-ed; do
		row ceiling_bench "$RSECS" - "$c" verify
	done | sed "s|^|round $r ceiling |"
	r=$((r + 1))
done | tee -a "$RESULTS" >/dev/null

echo
$PY bench/verify/report.py "$RESULTS" | tee "$DATA/table.txt"
echo
echo "raw lines (the ceiling rows are signature checks per second):"
cat "$RESULTS"
echo "bench/verify: done $(date -u '+%H:%M UTC'), load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
