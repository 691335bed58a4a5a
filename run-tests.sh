#!/usr/bin/env bash
# Build iscsi-nbd and run every test tier:
#   1. the format and layering checks (scripts/check-format.sh,
#      scripts/check-layers.sh, before the build), then
#      normal build, warnings as errors: unit, component, integration (tgtd),
#      UML kernel tests, fuzz corpus replay;
#   2. valgrind: every C test program of tier 1 again under memcheck;
#      distcheck: the tarball is complete, builds from a read-only tree,
#      its C tests pass, install/uninstall/distclean leave nothing;
#   3. ASan + UBSan build: the same tests again, but for those that cannot
#      run an ASan binary at all (UML guests, valgrind), which `make
#      check-sanitizer` leaves out by name (SANITIZER_EXCLUDED_TESTS in
#      Makefile.am) instead of letting them skip;
#   4. libFuzzer build: each fuzz target for a bounded time;
#   5. package: the Debian package built as README's "Install" says,
#      installed on this machine, used, purged (tests/package/deb.sh).
# Skips are listed and policed (the rule is in tests/skip.sh): after each
# tier, tests/skip-report.sh prints every test that skipped with the reason
# it gave. A test may skip only for something the machine lacks, saying
# "SKIP: missing: WHAT" (skip_missing, requires); any other skip in any
# tier (our own code not built or broken, a reason in another form, no
# reason at all) makes this script exit non-zero, as a failure does.
# Usage: ./run-tests.sh [--quick]   (--quick: tier 1 only)
set -euo pipefail
cd "$(dirname "$0")"
top=$PWD
quick=0
[ "${1:-}" = "--quick" ] && quick=1

./scripts/install-deps.sh
./autogen.sh >/dev/null 2>&1 || ./autogen.sh

jobs=$(nproc)
total_pass=0 total_fail=0 total_skip=0
status=0

tally() { # $1 = build dir, $2 = suite log name (default test-suite.log)
	local log=$1/${2:-test-suite.log} p f s e
	p=$(sed -n 's/^# PASS: *//p' "$log" | head -1)
	f=$(sed -n 's/^# FAIL: *//p' "$log" | head -1)
	e=$(sed -n 's/^# ERROR: *//p' "$log" | head -1)
	s=$(sed -n 's/^# SKIP: *//p' "$log" | head -1)
	total_pass=$((total_pass + ${p:-0}))
	total_fail=$((total_fail + ${f:-0} + ${e:-0}))
	total_skip=$((total_skip + ${s:-0}))
}

# skips TIER LOG: list the tier's skips; a bad one fails the run.
skips() {
	[ -f "$2" ] || return 0
	if ! sh "$top/tests/skip-report.sh" --tier "$1" "$2"; then
		echo "=== tier $1: a test skipped for a reason other than a missing tool (see above)"
		status=1
	fi
}

run_tier() { # $1 = name, $2 = make target that runs the tests, rest = configure args
	local name=$1 target=$2 dir=$top/_build/$1
	shift 2
	echo "=== tier: $name"
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" -q "$@") || { status=1; return; }
	make -C "$dir" -j"$jobs" >"$dir/build.log" 2>&1 || {
		tail -50 "$dir/build.log"
		status=1
		return
	}
	if ! make -C "$dir" -j"$jobs" "$target"; then
		status=1
		show_failures "$dir"
	fi
	[ -f "$dir/test-suite.log" ] && tally "$dir"
	skips "$name" "$dir/test-suite.log"
}

show_failures() { # $1 = build dir
	local l
	for l in "$1"/tests/*/*.log "$1"/tests/*.log; do
		[ -f "$l" ] || continue
		grep -qE '^:test-result: (FAIL|ERROR)' "${l%.log}.trs" 2>/dev/null || continue
		echo "----- $l"
		tail -40 "$l"
	done
}

# The C sources as .clang-format says and the layer order of their
# includes, checked before anything is built.
for check in check-format check-layers; do
	echo "=== tier: normal: $check"
	if ./scripts/$check.sh; then
		total_pass=$((total_pass + 1))
	else
		total_fail=$((total_fail + 1))
		status=1
	fi
done
run_tier normal check --enable-werror --enable-debug
if [ $quick = 0 ] && [ -f "$top/_build/normal/Makefile" ]; then
	echo "=== tier: valgrind"
	if ! make -C "$top/_build/normal" -j"$jobs" check-valgrind; then
		status=1
		show_failures "$top/_build/normal"
	fi
	[ -f "$top/_build/normal/test-suite-valgrind.log" ] &&
		tally "$top/_build/normal" test-suite-valgrind.log
	skips valgrind "$top/_build/normal/test-suite-valgrind.log"
	echo "=== tier: distcheck"
	if make -C "$top/_build/normal" -j"$jobs" distcheck-quick >"$top/_build/distcheck.log" 2>&1; then
		total_pass=$((total_pass + 1))
		tail -4 "$top/_build/distcheck.log"
	else
		total_fail=$((total_fail + 1))
		status=1
		tail -60 "$top/_build/distcheck.log"
	fi
fi
if [ $quick = 0 ]; then
	# UML and the longest integration tests add little under ASan: the
	# sanitizer tier sets ISN_SANITIZER so slow tests can trim themselves.
	ISN_SANITIZER=1 run_tier sanitize check-sanitizer --enable-werror --enable-debug --enable-sanitizers
	echo "=== tier: fuzz (libFuzzer, bounded time)"
	if ./tests/fuzz/run-fuzzers.sh "$top/_build/fuzz" "${FUZZ_SECONDS:-20}"; then
		total_pass=$((total_pass + 1))
	else
		total_fail=$((total_fail + 1))
		status=1
	fi
fi

if [ $quick = 0 ] && [ -f "$top/_build/normal/Makefile" ]; then
	# Not in make check's TESTS: it installs into this machine.
	echo "=== tier: package"
	t0=$(date +%s)
	if ! make -C "$top/_build/normal" check TESTS=tests/package/deb.sh \
		TEST_SUITE_LOG=test-suite-package.log; then
		status=1
		show_failures "$top/_build/normal"
	fi
	echo "=== tier package: $(($(date +%s) - t0)) s"
	[ -f "$top/_build/normal/test-suite-package.log" ] &&
		tally "$top/_build/normal" test-suite-package.log
	skips package "$top/_build/normal/test-suite-package.log"
fi

echo
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
exit $status
