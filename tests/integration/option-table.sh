#!/bin/sh
# The key table (src/cli/confkeys.c) is the one place an option is written:
# tests/isn-extra-option is the program built with a copy of the table
# that has one key more, [path] extra_wait / --extra-wait
# (tests/integration/option-table.sed), and nothing else changed. This
# test shows that key in attach and serve --help, config --keys, --example
# and --dump, parsed and range-checked as an option and as a key (also
# through attach --config), and caught by the man-page check, which fails
# until iscsi-nbd.8 documents it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_isn attach config
xbin=$top_builddir/tests/isn-extra-option
requires_built "$xbin"
T="-t iqn.2026-01.com.example:x -P 192.0.2.1"

# The real program has no such option: the test proves something.
"$isn_bin" attach --help | grep -q -- '--extra-wait' && fail "iscsi-nbd itself has --extra-wait"

# --help: the table's argument and text in the Path options block.
for c in attach serve; do
	"$xbin" $c --help >"$isn_tmp/help" || fail "$c --help"
	sed -n '/^Path options:/,/^$/p' "$isn_tmp/help" >"$isn_tmp/path"
	grep -qx -- '      --extra-wait MS          an option added by a test' "$isn_tmp/path" ||
		fail "$c --help: no --extra-wait line in the Path options"
	grep -qx -- '                               (default 250)' "$isn_tmp/path" ||
		fail "$c --help: --extra-wait's second line is missing"
done

# The configuration side.
"$xbin" config --keys | grep -qx '\[path\] extra_wait duration' || fail "config --keys lacks extra_wait"
"$xbin" config --example >"$isn_tmp/example" || fail "config --example"
grep -q '^# a key that only tests/integration/option-table.sh adds$' "$isn_tmp/example" ||
	fail "config --example: no description of extra_wait"
grep -qx '#extra_wait = 250ms' "$isn_tmp/example" || fail "config --example: no '#extra_wait = 250ms'"
"$xbin" config --check "$isn_tmp/example" || fail "the example with extra_wait is not valid"
conf=$isn_tmp/etc
mkdir -p "$conf"
printf '[target]\nname = iqn.2026-01.com.example:x\nportal = 192.0.2.1\n' >"$conf/d.conf"
ISCSI_NBD_CONFDIR=$conf "$xbin" config --dump d | grep -qx 'extra_wait = 250ms	# default' ||
	fail "config --dump: extra_wait is not at its default"
printf '[path]\nextra_wait = 2s\n' >>"$conf/d.conf"
ISCSI_NBD_CONFDIR=$conf "$xbin" config --dump d | grep -qx "extra_wait = 2s	# $conf/d.conf:5" ||
	fail "config --dump: extra_wait = 2s from d.conf:5 not shown"
printf '[target]\nname = iqn.2026-01.com.example:x\nportal = 192.0.2.1\n[path]\nextra_wait = 0\n' \
	>"$conf/z.conf"
ISCSI_NBD_CONFDIR=$conf "$xbin" config --dump z 2>"$isn_tmp/err" && fail "extra_wait = 0 accepted"
grep -q 'z.conf:5: \[path\] extra_wait = 0: give a duration from 1ms to 3600s' "$isn_tmp/err" ||
	fail "extra_wait = 0: $(cat "$isn_tmp/err")"

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
expect_err "unknown policy 'x'" --extra-wait 3600000 --policy x
# attach --config: the file's extra_wait becomes the option and is accepted.
ISCSI_NBD_CONFDIR=$conf expect_err "unknown policy 'x'" --config d --policy x

# The man-page check (config-man.sh) run on this program fails, naming the
# new option: documenting it is the one edit left, and the check demands it.
mkdir -p "$isn_tmp/build/tests"
ln -s "$xbin" "$isn_tmp/build/iscsi-nbd"
top_builddir=$isn_tmp/build sh "$top_srcdir/tests/integration/config-man.sh" >"$isn_tmp/man" 2>&1 &&
	fail "config-man.sh passes for a program with an undocumented --extra-wait"
grep -q 'not in iscsi-nbd.8:.*--extra-wait' "$isn_tmp/man" ||
	fail "config-man.sh failed, but not for --extra-wait: $(cat "$isn_tmp/man")"
info "--extra-wait from one table entry: in --help, config --keys/--example/--dump, parsed, and demanded by the man-page check"
exit 0
