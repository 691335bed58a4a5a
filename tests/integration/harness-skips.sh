#!/bin/sh
# The harness cannot hide a failure behind a skip (tests/skip.sh has the
# rule). Proves, without root or network:
# - requires_isn FAILS in a build tree when `iscsi-nbd SUBCMD --help` does
#   not exit 0, or when the binary is missing there, and passes when it
#   does; only outside a build tree does a missing binary skip, and that
#   skip is not of the accepted form;
# - requires of a missing tool skips in the accepted form;
# - tests/skip-report.sh, on a test-suite.log made by this build's own
#   automake harness, lists every skipped test with its reason, accepts
#   "missing" skips (also UML's run.sh without a kernel) and flags a skip
#   for another reason and an exit 77 with no reason (exit 1);
# - make check-sanitizer runs every test but tests/uml/* and
#   cli-valgrind.sh, which it leaves out instead of letting them skip.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

isn_in_build_tree || skip "not in a build tree: run it through make check"
# This test runs make in its own build tree: never inside itself.
[ -z "${ISN_HARNESS_SKIPS_INNER:-}" ] || fail "harness-skips.sh started inside itself"
ISN_HARNESS_SKIPS_INNER=1
export ISN_HARNESS_SKIPS_INNER

# inner_make ARGS...: make in the build tree, without the outer make
# check's MAKEFLAGS (its command-line TESTS / TEST_LOGS would win over ours).
inner_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -s -C "$top_builddir" "$@"
}

# ---- requires_isn ------------------------------------------------------------

fake=$isn_tmp/build
mkdir -p "$fake"
: >"$fake/config.status"
cat >"$fake/iscsi-nbd" <<'EOF'
#!/bin/sh
case "$1 $2" in
"good --help") exit 0 ;;
"broken --help") echo "broken on purpose" >&2; exit 3 ;;
*) exit 64 ;;
esac
EOF
chmod +x "$fake/iscsi-nbd"
cat >"$isn_tmp/child.sh" <<'EOF'
. "$top_srcdir/tests/functions.sh"
case $1 in
tool) requires "no-such-tool-$$" ;;
*) requires_isn "$@" ;;
esac
echo "reached the test body"
EOF

# child WANT_RC BUILDDIR ARGS...: run the child with that top_builddir;
# its stderr is in $isn_tmp/stderr for expect_stderr.
child() {
	_want=$1 _bd=$2
	shift 2
	expect_rc "$_want" env top_srcdir="$top_srcdir" top_builddir="$_bd" \
		sh "$isn_tmp/child.sh" "$@"
}

child 0 "$fake" good
expect_stdout "reached the test body"
child 1 "$fake" good broken
expect_stderr "FAIL: iscsi-nbd broken --help exits 3"
grep -q "reached" "$isn_tmp/stdout" && fail "the test body ran after a broken subcommand"
rm "$fake/iscsi-nbd"
child 1 "$fake" good
expect_stderr "FAIL: .*iscsi-nbd is missing in the build tree"
rm "$fake/config.status"
child 77 "$fake" good
expect_stderr "SKIP: not in a build tree"
child 77 "$fake" tool
expect_stderr "SKIP: missing: no-such-tool-[0-9]+ \(not installed\)"
info "requires_isn fails on a broken or missing binary in a build tree"

# ---- skip-report.sh on a real automake test-suite.log ---------------------------

suite=$isn_tmp/suite
mkdir -p "$suite"
printf '%s\n' '. "$top_srcdir/tests/functions.sh"' 'exit 0' >"$suite/pass.sh"
printf '%s\n' '. "$top_srcdir/tests/functions.sh"' 'requires no-such-tool-harness' \
	>"$suite/tool-missing.sh"
printf '%s\n' '. "$top_srcdir/tests/functions.sh"' 'skip "feature not built yet"' \
	>"$suite/own-code.sh"
printf '%s\n' 'echo "nothing to see"' 'exit 77' >"$suite/no-reason.sh"
printf '%s\n' 'ISN_GUEST=uml LINUX_UML=/nonexistent/linux.uml exec bash "$top_srcdir/tests/uml/run.sh" \' \
	'	"$top_srcdir/tests/uml/t-boot.sh"' \
	>"$suite/uml-missing.sh"

# suite_run NAME...: this build's check-TESTS on those tests, into
# $isn_tmp/suite-NAME+NAME.log (the harness the real tiers use, so the log format
# is automake's, not a copy of it).
suite_run() {
	_tests= _sl=$isn_tmp/suite-$(echo "$*" | tr ' ' '+').log
	for _t in "$@"; do _tests="$_tests $suite/$_t.sh"; done
	inner_make check-TESTS TESTS="$_tests" TEST_SUITE_LOG="$_sl" \
		>"$isn_tmp/make.out" 2>&1
	[ -s "$_sl" ] || fail "no test-suite log from make check-TESTS: $(tail "$isn_tmp/make.out")"
	suite_log=$_sl
}

suite_run pass tool-missing uml-missing
expect_rc 0 sh "$top_srcdir/tests/skip-report.sh" --tier t "$suite_log"
cat "$isn_tmp/stdout" >&2
expect_stdout "^t: 2 skipped, 0 of them"
expect_stdout "^  ok   .*/tool-missing: missing: no-such-tool-harness"
expect_stdout "^  ok   .*/uml-missing: missing: User-Mode Linux kernel"
grep -q "/pass" "$isn_tmp/stdout" && fail "skip-report lists a test that passed"

suite_run pass tool-missing own-code no-reason
expect_rc 1 sh "$top_srcdir/tests/skip-report.sh" "$suite_log"
cat "$isn_tmp/stdout" >&2
expect_stdout "^3 skipped, 2 of them"
expect_stdout "^  ok   .*/tool-missing: missing: no-such-tool-harness"
expect_stdout "^  BAD  .*/own-code: feature not built yet"
expect_stdout "^  BAD  .*/no-reason: no reason given"

suite_run pass
expect_rc 0 sh "$top_srcdir/tests/skip-report.sh" "$suite_log"
expect_stdout "^no test skipped"
expect_rc 2 sh "$top_srcdir/tests/skip-report.sh" "$suite/nonexistent.log"
info "skip-report accepts missing-tool skips and flags the others"

# ---- the sanitizer tier leaves out what cannot run ASan binaries --------------

# MAKE=echo prints the sub-make's arguments instead of running them.
inner_make check-sanitizer MAKE=echo >"$isn_tmp/san.out" 2>&1 ||
	fail "make check-sanitizer MAKE=echo: $(tail "$isn_tmp/san.out")"
tr ' ' '\n' <"$isn_tmp/san.out" | grep -E '^tests/' | sort >"$isn_tmp/san.tests"
grep -E '^tests/uml/|cli-valgrind' "$isn_tmp/san.tests" &&
	fail "check-sanitizer still runs tests that cannot run ASan binaries"
for t in tests/integration/harness-skips.sh tests/integration/rw.sh tests/unit/test_util; do
	grep -qx "$t" "$isn_tmp/san.tests" || fail "check-sanitizer lost $t"
done
info "check-sanitizer runs $(wc -l <"$isn_tmp/san.tests") tests, none under tests/uml/, no cli-valgrind"
exit 0
