#!/bin/sh
# The full-verdict benchmark of issue 4 (not a test): vouch_verify_message()
# (SPF + DKIM + DMARC + Authentication-Results) against libspf2 +
# libopendkim + libopendmarc doing the same work on the same 20 KiB
# messages, one core, every DNS answer from memory (warm cache).  Builds
# its drivers in its own build directory, makes the messages with
# bench/gen.py, runs both drivers and prints the table with the ratio.
# See bench/README.md, section "Full verdict".
#
#   BENCH_BUILD        build directory        (default build-bench)
#   BENCH_VERIFY_DATA  messages, keys, results (default $BENCH_BUILD/bench-verify-data)
#   BENCH_SECONDS      CPU seconds per row and driver (default 1.5)
set -eu

cd "$(dirname "$0")/../.."
BUILD=${BENCH_BUILD:-build-bench}
DATA=${BENCH_VERIFY_DATA:-$BUILD/bench-verify-data}
SECS=${BENCH_SECONDS:-1.5}
PY=/usr/bin/python3	# Debian's, where python3-dkim (gen.py) lives
RESULTS=$DATA/results.txt

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

mkdir -p "$DATA"
$PY bench/gen.py "$DATA"

echo "bench/verify: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
    "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')," \
    "$(openssl version | cut -d' ' -f1-2), ${SECS} s per row"
: >"$RESULTS"
for t in $drivers; do
	echo "bench/verify: running $(basename "$t")" >&2
	case $t in
	*ceiling_bench)
		# the ceiling: signature checks alone, keys parsed once, OpenSSL
		# and (Ed25519) libsodium
		"$BUILD/$t" "$DATA" "$SECS" ;;
	*)	"$BUILD/$t" "$DATA" "$SECS" ;;
	esac | tee -a "$RESULTS" >/dev/null
done

echo
awk '
	function ratio(x, y) { return y > 0 ? x / y : 0 }
	$1 == "legacy" { legacy[$3] = $5 }
	$1 ~ /^vouch/ { n++; impl[n] = $1; alg[n] = $3; rate[n] = $5 }
	# the faster library'"'"'s signature check (OpenSSL, or libsodium for
	# Ed25519): what no verifier on this machine exceeds per message
	$1 == "ceiling" && $4 == "verify" && $5 > ceil[$3] { ceil[$3] = $5; lib[$3] = $2 }
	END {
		printf "%-16s %-4s %12s %10s\n", "implementation", "alg", "msgs/s", "vs legacy"
		for (a = 1; a <= 2; a++) {
			al = a == 1 ? "rsa" : "ed"
			if (al in legacy)
				printf "%-16s %-4s %12.0f %10s\n", "legacy", al, legacy[al], "1.0x"
			for (i = 1; i <= n; i++)
				if (alg[i] == al)
					printf "%-16s %-4s %12.0f %9.1fx\n", impl[i], al, rate[i], ratio(rate[i], legacy[al])
			if (al in ceil)
				printf "%-16s %-4s %12.0f %10s\n", "(" lib[al] ":", al, ceil[al], "checks/s)"
		}
		# issue 10: the default row at 3x the legacy stack, both algorithms
		for (a = 1; a <= 2; a++) {
			al = a == 1 ? "rsa" : "ed"
			for (i = 1; i <= n; i++)
				if (impl[i] == "vouch" && alg[i] == al && legacy[al] > 0)
					printf "target, vouch %s >= 3.0x legacy: %.2fx, %s\n", al,
					    rate[i] / legacy[al], (rate[i] >= 3 * legacy[al] ? "met" : "MISSED")
		}
	}' "$RESULTS" | tee "$DATA/table.txt"
echo
echo "raw lines (the ceiling rows are signature checks per second):"
cat "$RESULTS"
