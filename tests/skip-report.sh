#!/bin/sh
# List the tests that skipped in one or more automake test-suite logs, with
# the reason each gave, and police the reasons (the rule is in
# tests/skip.sh): a skip for something the machine lacks ("SKIP: missing:
# WHAT") is listed; any other skip (another reason, or exit 77 without a
# reason line) is listed as BAD and makes the exit status 1.
#
#	tests/skip-report.sh [--tier NAME] TEST-SUITE-LOG...
#
# Exit 0: no bad skip; 1: at least one; 2: usage error or unreadable log.
# run-tests.sh runs it on every tier's log. A test-suite.log holds, for each
# test that did not pass, a section "RESULT: NAME" underlined with "=" and
# then the test's own .log (its stdout and stderr); the reason is the last
# line of a SKIP section that contains "SKIP: ".
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
me=
. "$top_srcdir/tests/skip.sh"

tier=
if [ "${1:-}" = --tier ]; then
	tier=${2:?--tier needs a name}
	shift 2
fi
[ $# -ge 1 ] || {
	echo "usage: $0 [--tier NAME] TEST-SUITE-LOG..." >&2
	exit 2
}

rc=0
for log in "$@"; do
	[ -r "$log" ] || {
		echo "skip-report: cannot read $log" >&2
		exit 2
	}
	awk -v ok="$isn_skip_ok_re" -v tier="${tier:+$tier: }" '
	{ line[NR] = $0 }
	END {
		n = 0; bad = 0; cur = ""
		for (i = 1; i <= NR; i++) {
			# A section header: RESULT: NAME over a rule of "=" as long.
			if (i < NR && line[i] ~ /^(PASS|SKIP|FAIL|XFAIL|XPASS|ERROR): / &&
			    line[i + 1] ~ /^=+$/ && length(line[i + 1]) == length(line[i])) {
				if (cur != "") done(cur, why)
				cur = ""; why = ""
				if (line[i] ~ /^SKIP: /) cur = substr(line[i], 7)
				i++
				continue
			}
			if (cur != "" && index(line[i], "SKIP: ")) why = line[i]
		}
		if (cur != "") done(cur, why)
		if (n == 0) { printf "%sno test skipped\n", tier; exit 0 }
		printf "%s%d skipped, %d of them for a reason the skip rule does not accept (tests/skip.sh):\n", tier, n, bad
		for (k = 1; k <= n; k++) print out[k]
		exit bad ? 1 : 0
	}
	function done(name, why,   r) {
		r = why
		sub(/^.*SKIP: /, "", r)
		n++
		if (why == "") {
			bad++
			out[n] = "  BAD  " name ": no reason given (exit 77 without a SKIP: line)"
		} else if (index(why, ok)) {
			out[n] = "  ok   " name ": " r
		} else {
			bad++
			out[n] = "  BAD  " name ": " r
		}
	}' "$log" || rc=1
done
exit $rc
