#!/bin/sh
# The table (src/cli/confkeys.c) is the one place an option is written:
# tests/isn-extra-option is the program built with a copy of the table
# that has three rows more (tests/integration/option-table.sed), and
# nothing else changed: a number, [path] extra_wait / --extra-wait, an
# enum, [path] extra_mode / --extra-mode calm|brisk, and a target option
# of the one-shot commands, [iscsi] extra_tries / -x, --extra-tries N.
# This test shows the first two in attach and serve --help with their
# defaults, the third in the Target options of attach and of the one-shot
# commands' --help (inquiry, pr; not discover, whose rows are flagged
# apart), all three in config --keys, --example and --dump, parsed and
# checked as options (the third by inquiry, long and short) and as keys
# (also through attach --config), and caught by the man-page check, which
# fails until iscsi-nbd.8 documents them.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_isn attach config inquiry pr discover
xbin=$top_builddir/tests/isn-extra-option
requires_built "$xbin"
T="-t iqn.2026-01.com.example:x -P 192.0.2.1"

# The real program has no such option: the test proves something.
"$isn_bin" attach --help | grep -q -- '--extra-wait' && fail "iscsi-nbd itself has --extra-wait"
"$isn_bin" attach --help | grep -q -- '--extra-mode' && fail "iscsi-nbd itself has --extra-mode"
"$isn_bin" inquiry --help | grep -q -- '--extra-tries' && fail "iscsi-nbd itself has --extra-tries"

# --help: the table's argument and text in the Path options block.
for c in attach serve; do
	"$xbin" $c --help >"$isn_tmp/help" || fail "$c --help"
	sed -n '/^Path options:/,/^$/p' "$isn_tmp/help" >"$isn_tmp/path"
	grep -qx -- '      --extra-wait MS          an option added by a test (default 250)' \
		"$isn_tmp/path" || fail "$c --help: no --extra-wait line in the Path options"
	# An enum's values are its argument (completion offers them), its default added.
	grep -qx -- '      --extra-mode calm|brisk  an enum option added by a test (default calm)' \
		"$isn_tmp/path" || fail "$c --help: no --extra-mode line in the Path options"
done

# A target option: in the Target options of attach and of the one-shot
# commands, its short letter and default from the row; not in discover's.
for c in attach inquiry pr; do
	"$xbin" $c --help >"$isn_tmp/help" || fail "$c --help"
	sed -n '/^Target options:/,/^$/p' "$isn_tmp/help" >"$isn_tmp/target"
	grep -qx -- '  -x, --extra-tries N          a target option added by a test (default 3)' \
		"$isn_tmp/target" || fail "$c --help: no --extra-tries line in the Target options"
done
"$xbin" discover --help >"$isn_tmp/help" || fail "discover --help"
grep -q -- '--timeout' "$isn_tmp/help" || fail "discover --help lists no target option"
grep -q -- '--extra-tries' "$isn_tmp/help" && fail "discover --help lists --extra-tries"

# The configuration side.
"$xbin" config --keys | grep -qx '\[path\] extra_wait duration' || fail "config --keys lacks extra_wait"
"$xbin" config --keys | grep -qx '\[path\] extra_mode enum' || fail "config --keys lacks extra_mode"
"$xbin" config --keys | grep -qx '\[iscsi\] extra_tries uint' || fail "config --keys lacks extra_tries"
"$xbin" config --example >"$isn_tmp/example" || fail "config --example"
grep -q '^# a key that only tests/integration/option-table.sh adds$' "$isn_tmp/example" ||
	fail "config --example: no description of extra_wait"
grep -qx '#extra_wait = 250ms' "$isn_tmp/example" || fail "config --example: no '#extra_wait = 250ms'"
grep -q '^# an enum key that only tests/integration/option-table.sh adds$' "$isn_tmp/example" ||
	fail "config --example: no description of extra_mode"
grep -qx '#extra_mode = calm' "$isn_tmp/example" || fail "config --example: no '#extra_mode = calm'"
grep -qx '#extra_tries = 3' "$isn_tmp/example" || fail "config --example: no '#extra_tries = 3'"
"$xbin" config --check "$isn_tmp/example" || fail "the example with extra_wait is not valid"
conf=$isn_tmp/etc
mkdir -p "$conf"
printf '[target]\nname = iqn.2026-01.com.example:x\nportal = 192.0.2.1\n' >"$conf/d.conf"
ISCSI_NBD_CONFDIR=$conf "$xbin" config --dump d >"$isn_tmp/dump" || fail "config --dump d"
grep -qx 'extra_wait = 250ms	# default' "$isn_tmp/dump" ||
	fail "config --dump: extra_wait is not at its default"
grep -qx 'extra_mode = calm	# default' "$isn_tmp/dump" ||
	fail "config --dump: extra_mode is not at its default"
grep -qx 'extra_tries = 3	# default' "$isn_tmp/dump" ||
	fail "config --dump: extra_tries is not at its default"
printf '[path]\nextra_wait = 2s\nextra_mode = brisk\n' >>"$conf/d.conf"
ISCSI_NBD_CONFDIR=$conf "$xbin" config --dump d >"$isn_tmp/dump" || fail "config --dump d"
grep -qx "extra_wait = 2s	# $conf/d.conf:5" "$isn_tmp/dump" ||
	fail "config --dump: extra_wait = 2s from d.conf:5 not shown"
grep -qx "extra_mode = brisk	# $conf/d.conf:6" "$isn_tmp/dump" ||
	fail "config --dump: extra_mode = brisk from d.conf:6 not shown"
printf '[target]\nname = iqn.2026-01.com.example:x\nportal = 192.0.2.1\n[path]\nextra_wait = 0\n' \
	>"$conf/z.conf"
ISCSI_NBD_CONFDIR=$conf "$xbin" config --dump z 2>"$isn_tmp/err" && fail "extra_wait = 0 accepted"
grep -q 'z.conf:5: \[path\] extra_wait = 0: give a duration from 1ms to 3600s' "$isn_tmp/err" ||
	fail "extra_wait = 0: $(cat "$isn_tmp/err")"
printf '[target]\nname = iqn.2026-01.com.example:x\nportal = 192.0.2.1\n[path]\nextra_mode = x\n' \
	>"$conf/z.conf"
ISCSI_NBD_CONFDIR=$conf "$xbin" config --dump z 2>"$isn_tmp/err" && fail "extra_mode = x accepted"
grep -q 'z.conf:5: \[path\] extra_mode = x: give one of: calm, brisk' "$isn_tmp/err" ||
	fail "extra_mode = x: $(cat "$isn_tmp/err")"

# The option: ranged in its unit (ms), accepted when in range. An error of
# a later option (--policy) shows an accepted --extra-wait.
expect_err() {
	want=$1
	shift
	# shellcheck disable=SC2086
	"$xbin" attach $T "$@" >"$isn_tmp/out" 2>&1 && fail "attach $* succeeded"
	grep -qF -- "$want" "$isn_tmp/out" || fail "attach $*: '$(cat "$isn_tmp/out")' lacks '$want'"
}
expect_err "bad --extra-wait '3600001': give a number from 1 to 3600000" --extra-wait 3600001
expect_err "bad --extra-wait '0': give a number from 1 to 3600000" --extra-wait 0
expect_err "bad --policy 'x'" --extra-wait 3600000 --policy x
expect_err "bad --extra-mode 'x': give one of: calm, brisk" --extra-mode x
expect_err "bad --policy 'x'" --extra-mode brisk --policy x
expect_err "bad --extra-tries '0': give a whole number from 1 to 100" --extra-tries 0
expect_err "bad --policy 'x'" -x 100 --policy x
# attach --config: the file's extra_wait and extra_mode are set and accepted.
ISCSI_NBD_CONFDIR=$conf expect_err "bad --policy 'x'" --config d --policy x

# The target option in a one-shot command: checked in its range, long and
# short; accepted, as an error of a later option (--lun) shows. Each exits
# 1 before any connection. iscsi-nbd itself and discover do not know it.
oneshot_err() {
	prog=$1
	want=$2
	shift 2
	rc=0
	"$prog" "$@" >"$isn_tmp/out" 2>&1 || rc=$?
	[ "$rc" = 1 ] || fail "$*: exit $rc, not 1: $(cat "$isn_tmp/out")"
	grep -qF -- "$want" "$isn_tmp/out" || fail "$*: '$(cat "$isn_tmp/out")' lacks '$want'"
}
# shellcheck disable=SC2086
{
	oneshot_err "$xbin" "bad --extra-tries '0': give a whole number from 1 to 100" inquiry $T --extra-tries 0
	oneshot_err "$xbin" "bad --extra-tries '101': give a whole number from 1 to 100" inquiry $T -x 101
	oneshot_err "$xbin" "bad --lun '99999'" inquiry $T --extra-tries 100 --lun 99999
	oneshot_err "$xbin" "bad --lun '99999'" inquiry $T -x 1 -l 99999
	oneshot_err "$xbin" "bad --lun '99999'" pr keys $T --extra-tries 2 -l 99999
	oneshot_err "$isn_bin" "unrecognized option '--extra-tries'" inquiry $T --extra-tries 3
	oneshot_err "$xbin" "unrecognized option '--extra-tries'" discover 192.0.2.1 --extra-tries 3
}

# The man-page check (config-man.sh) run on this program fails, naming the
# new option: documenting it is the one edit left, and the check demands it.
mkdir -p "$isn_tmp/build/tests"
ln -s "$xbin" "$isn_tmp/build/iscsi-nbd"
top_builddir=$isn_tmp/build sh "$top_srcdir/tests/integration/config-man.sh" >"$isn_tmp/man" 2>&1 &&
	fail "config-man.sh passes for a program with an undocumented --extra-wait"
grep -q 'not in iscsi-nbd.8:.*--extra-wait' "$isn_tmp/man" ||
	fail "config-man.sh failed, but not for --extra-wait: $(cat "$isn_tmp/man")"
grep -q 'not in iscsi-nbd.8:.*--extra-mode' "$isn_tmp/man" ||
	fail "config-man.sh failed, but not for --extra-mode: $(cat "$isn_tmp/man")"
grep -q 'not in iscsi-nbd.8:.*inquiry:--extra-tries' "$isn_tmp/man" ||
	fail "config-man.sh failed, but not for inquiry's --extra-tries: $(cat "$isn_tmp/man")"
info "--extra-wait, --extra-mode and --extra-tries, one table row each: in --help (the last in the one-shot commands' too), config --keys/--example/--dump, parsed, and demanded by the man-page check"
exit 0
