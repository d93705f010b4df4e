#!/bin/sh
# The ingest benchmark of issue 8 (not a test): reports per second and
# peak RSS of `vouch report ingest` for 1,000, 10,000 and 100,000
# generated aggregate reports (gzip, each in its own e-mail, in a Maildir,
# into a SQLite store), side by side with Mail::DMARC's receive path
# (Mail::DMARC::Report::Receive->from_file into its SQLite store) on the
# same files.  Mail::DMARC is slow enough that it runs on the first
# MAIL_DMARC_MAX messages of each set (default 1000): its rate does not
# depend on the size of the set.  Wall and CPU time are both given: Mail::
# DMARC's SQLite waits for the disk at every report, vouch's WAL does not.
# See bench/report/ingest/README.md.
#
#   BENCH_BUILD      build directory (default build-bench)
#   BENCH_REPORT_DATA  Maildirs and stores (default $BENCH_BUILD/bench-report-ingest-data)
#   BENCH_SIZES      the set sizes (default "1000 10000 100000")
#   MAIL_DMARC_MAX   messages given to Mail::DMARC per set (default 1000)
set -eu

cd "$(dirname "$0")/../../.."
BUILD=${BENCH_BUILD:-build-bench}
DATA=${BENCH_REPORT_DATA:-$BUILD/bench-report-ingest-data}
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)
SIZES=${BENCH_SIZES:-1000 10000 100000}
MDMAX=${MAIL_DMARC_MAX:-1000}
TIME=/usr/bin/time
HERE=$(pwd)

if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" -Dbuildtype=release >"$BUILD.setup.log" 2>&1 || {
		cat "$BUILD.setup.log" >&2
		exit 1
	}
	rm -f "$BUILD.setup.log"
fi
ninja -C "$BUILD" src/cli/vouch >/dev/null
VOUCH=$HERE/$BUILD/src/cli/vouch
mkdir -p "$DATA"

# "wall cpu maxrss_kib" of a command, from GNU time
measure() {
	$TIME -f '%e %U %S %M' -o "$DATA/time.txt" "$@" >"$DATA/out.txt" 2>"$DATA/err.txt" ||
	    { cat "$DATA/err.txt" >&2; return 1; }
	awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$DATA/time.txt"
}

echo "bench/report: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
    "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
printf '%-8s %-14s %10s %10s %12s %12s %10s\n' reports reader wall_s cpu_s \
    reports/s rep/cpu_s rss_MiB
for n in $SIZES; do
	box=$DATA/maildir-$n
	[ -d "$box/new" ] || /usr/bin/python3 bench/report/ingest/gen.py "$box" "$n"
	db=$DATA/vouch-$n.db
	rm -f "$db" "$db-wal" "$db-shm"
	"$VOUCH" store init --db "$db" >/dev/null
	set -- $(measure "$VOUCH" report ingest --db "$db" --no-progress "$box")
	got=$(/usr/bin/python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from ingested_report").fetchone()[0])' "$db")
	[ "$got" = "$n" ] || { echo "bench/report: vouch stored $got of $n" >&2; exit 1; }
	awk -v n="$n" -v w="$1" -v c="$2" -v m="$3" 'BEGIN {
	    printf "%-8d %-14s %10.2f %10.2f %12.0f %12.0f %10.1f\n",
	        n, "vouch", w, c, n / w, n / c, m / 1024 }'
	echo "$n vouch $1 $2 $3" >>"$DATA/results.txt"
	# Mail::DMARC on the first MDMAX messages, in a folder of its own
	md=$DATA/mail-dmarc-$n
	rm -rf "$md"
	mkdir -p "$md"
	k=$n
	[ "$k" -gt "$MDMAX" ] && k=$MDMAX
	find "$box/cur" "$box/new" -type f | sort | head -n "$k" >"$md/files"
	set -- $(cd "$md" && measure sh -c \
	    "xargs perl '$HERE/bench/report/ingest/mail_dmarc_receive.pl' <files")
	awk -v n="$k" -v w="$1" -v c="$2" -v m="$3" -v of="$n" 'BEGIN {
	    printf "%-8d %-14s %10.2f %10.2f %12.1f %12.1f %10.1f\n",
	        of, "Mail::DMARC*", w, c, n / w, n / c, m / 1024 }'
	echo "$n mail-dmarc $1 $2 $3 $k" >>"$DATA/results.txt"
done
echo "* Mail::DMARC on the first $MDMAX messages of each set (or all of a smaller one)"
