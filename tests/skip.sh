# When a test may skip, and the one form a skip's reason takes. Sourced by
# tests/functions.sh and tests/uml/lib.sh (POSIX sh and bash); read by
# tests/skip-report.sh, which run-tests.sh uses to list and police skips.
#
# The rule:
# - A test skips (exit 77) only for something outside this project that
#   the machine lacks: a program or package (tgtd, fio, valgrind, nbdsh),
#   a privilege or kernel facility (root, network namespaces), the UML
#   kernel. Say which with `skip_missing WHAT [DETAIL...]`; `requires CMD`
#   does it for commands.
# - Our own code never makes a test skip. A program of ours that is not
#   built, or a subcommand whose --help fails, is a failure once the test
#   runs in a configured build tree (make check builds every program first):
#   `requires_built FILE`, `requires_isn SUBCMD` (functions.sh) and
#   `isn_require_attach` (uml/lib.sh) fail there, they do not skip.
# - A test that cannot mean anything in some build (valgrind or a UML guest
#   cannot run an ASan binary) is not run in that build's tier at all:
#   run-tests.sh leaves it out of that tier's TESTS (SANITIZER_EXCLUDED_TESTS
#   in Makefile.am). Its own guard says `skip_na WHY`, for someone running
#   it by hand; run-tests.sh flags that skip if it ever shows up in a tier.
# - Anything else a test skips for (`skip MSG`, or exit 77 with no reason
#   line at all) is a bad skip: run-tests.sh prints it and exits non-zero.
#
# The recognised reason line, on stdout or stderr of the test (automake
# keeps both in TEST.log and test-suite.log):
#	[NAME: ]SKIP: missing: WHAT (DETAIL)
# skip-report.sh matches it with $isn_skip_ok_re below.

isn_skip_ok_re='SKIP: missing: '

# skip_missing WHAT [DETAIL...]: the machine lacks WHAT (a program, a
# package, a privilege, a kernel facility); DETAIL says how to get it.
skip_missing() {
	_sk_what=$1
	shift
	echo "${me:+$me: }SKIP: missing: $_sk_what${*:+ ($*)}" >&2
	exit 77
}

# skip_na WHY: the test means nothing in this build (e.g. an ASan build
# under valgrind). run-tests.sh never runs it there; a tier where it shows
# up has an out-of-date exclusion list, and the skip is flagged.
skip_na() {
	echo "${me:+$me: }SKIP: not applicable: $*" >&2
	exit 77
}

# skip MSG: any other reason. Flagged by run-tests.sh: prefer a failure.
skip() {
	echo "${me:+$me: }SKIP: $*" >&2
	exit 77
}

# isn_in_build_tree: true when $top_builddir is a configured build tree,
# as make check's environment (AM_TESTS_ENVIRONMENT) says it is.
isn_in_build_tree() {
	[ -n "${top_builddir:-}" ] && [ -f "$top_builddir/config.status" ]
}

# requires_built FILE: FILE is one of our programs (sbin_PROGRAMS or
# check_PROGRAMS, which make check builds before running any test). In a
# configured build tree its absence is a build defect and fails the test;
# outside one (a script run by hand from the source tree) the test cannot
# run and says so with a skip that run-tests.sh would flag.
requires_built() {
	[ -x "$1" ] && return 0
	if isn_in_build_tree; then
		fail "$1 is missing in the build tree $top_builddir (make check builds it)"
	fi
	skip "not in a build tree: $1 is not built (run it through make check)"
}
