# Thin wrapper over Meson; see README.md.
#   make demo         build, then verify the bundled example messages
#   make check        build, then run every test (unit, suites, hostile
#                     input, interop, ASan+UBSan, fuzzing)
#   make check-asan   only the ASan+UBSan build and its tests
#   make install      PREFIX=/usr/local DESTDIR=
#   make bench        the benchmarks of bench/ (not tests): DKIM, SPF, then
#                     the full verdict (SPF + DKIM + DMARC)
#   make bench-spf    the SPF benchmark alone
#   make bench-verify the full-verdict benchmark alone
#   make bench-milter vouchd against OpenDKIM/OpenDMARC inside a private
#                     Postfix (root; bench/milter/README.md)
#   make bench-report-ingest  reports in: 1k, 10k, 100k report e-mails
#                     against Mail::DMARC (minutes; bench/report/ingest/)
#   make lint         cppcheck and clang-tidy (.clang-tidy) on src/lib and
#                     src/cli, in build-lint/; fails on any finding

PREFIX ?= /usr/local
DESTDIR ?=
FUZZ_SECONDS ?= 30
VOUCH = build/src/cli/vouch

.PHONY: all deps build build-asan build-fuzz demo check check-asan install bench bench-spf bench-verify bench-milter bench-report-ingest clean format lint

all: build

deps:
	@scripts/install-deps

build: deps
	@test -f build/build.ninja || meson setup build --werror --prefix=$(PREFIX)
	ninja -C build

build-asan: deps
	@test -f build-asan/build.ninja || CC=clang meson setup build-asan --werror \
	    -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	ninja -C build-asan

build-fuzz: deps
	@test -f build-fuzz/build.ninja || CC=clang meson setup build-fuzz --werror \
	    -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-fuzz

demo: build
	@examples/demo.sh $(VOUCH)

check: build build-asan build-fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/run.py --build build \
	    --asan-build build-asan --fuzz-build build-fuzz

# VOUCH_SANITIZED as in the asan phase of make check: RSS limits are not
# asserted, and sanitizer reports of every process are read from files.
check-asan: build-asan
	VOUCH_SANITIZED=1 tests/run.py --build build-asan unit replay suites \
	    hostile reports

# Rebuilt after the prefix changes: vouch has PREFIX/libexec/vouch (where
# vouch-ingest is) built in, and --no-rebuild would install the old one.
install: build
	meson configure build -Dprefix=$(PREFIX)
	ninja -C build
	DESTDIR=$(DESTDIR) meson install -C build --no-rebuild

bench: build
	bench/run.sh
	bench/spf/run.sh
	bench/verify/run.sh

bench-spf: build
	bench/spf/run.sh

bench-verify: build
	bench/verify/run.sh

bench-milter: build
	bench/milter/run.py

bench-report-ingest: build
	bench/report/ingest/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# build-lint has its own compile_commands.json; run-clang-tidy reads
# .clang-tidy and exits non-zero on any finding.
lint: deps
	@test -f build-lint/build.ninja || meson setup build-lint
	ninja -C build-lint
	cppcheck --enable=warning,performance,portability --inline-suppr \
	    --std=c11 --error-exitcode=1 -q -I include -I src/lib src/lib src/cli
	run-clang-tidy -quiet -p build-lint 'src/(lib|cli)/' 2>&1 | \
	    awk '{ print } /(warning|error): / { bad = 1 } END { exit bad }'

clean:
	rm -rf build build-asan build-fuzz build-lint
