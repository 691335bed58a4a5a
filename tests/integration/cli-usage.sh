#!/bin/sh
# The command line contract, without a target: --help and --version exit 0,
# every usage error exits 1 with a message that says what to do, portal
# syntax errors are caught before any connection, a name that does not
# resolve is a connection failure (2), and a CHAP secret file readable by
# others is refused with exit 7 and the chmod that fixes it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_isn tur discover

expect_rc 0 "$isn_bin" --help
expect_stdout "^Exit status:"
expect_stdout "4 authentication failure"
# Every exit code --help lists has its entry in the man page's EXIT STATUS.
man8="$top_srcdir/man/iscsi-nbd.8"
codes=$(sed -n '/^Exit status:/,$s/^  \([0-9][0-9]*\) .*/\1/p' "$isn_tmp/stdout")
[ -n "$codes" ] || fail "no exit codes in iscsi-nbd --help"
man_codes=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$man8" | sed -n '/^\.TP/{n;s/^\.B \([0-9][0-9]*\)$/\1/p}')
[ "$(echo $codes)" = "$(echo $man_codes)" ] ||
	fail "exit codes in --help ($(echo $codes)) and iscsi-nbd.8 ($(echo $man_codes)) differ"
# help COMMAND: the command's usage, then only the exit codes it can return.
expect_rc 0 "$isn_bin" help detach
expect_stdout "^Usage: iscsi-nbd detach"
expect_stdout "^  10 device in use"
if grep -q "^  2 connection" "$isn_tmp/stdout"; then fail "help detach lists exit 2"; fi
expect_rc 0 "$isn_bin" help tur
expect_stdout "^Usage: iscsi-nbd tur"
expect_stdout "^  8 LUN geometry"
if grep -q "^  10 device in use" "$isn_tmp/stdout"; then fail "help tur lists exit 10"; fi
expect_rc 0 "$isn_bin" help
expect_stdout "^Exit status:"
expect_rc 1 "$isn_bin" help frobnicate
expect_stderr "unknown command 'frobnicate'"
expect_rc 0 "$isn_bin" --version
expect_stdout "^iscsi-nbd [0-9]"
for c in discover inquiry readcap luns tur read write unmap sync; do
	expect_rc 0 "$isn_bin" "$c" --help
	expect_stdout "Usage: iscsi-nbd $c"
done

expect_rc 1 "$isn_bin"
expect_rc 1 "$isn_bin" frobnicate
expect_stderr "unknown command 'frobnicate'"
expect_rc 1 "$isn_bin" -d nosuchsubsys tur
expect_stderr "unknown debug subsystem"
# --root-storage marks a daemon serving a block device: not serve.
expect_rc 1 "$isn_bin" serve --root-storage -t iqn.2026-11.test:x -P 127.0.0.1 --socket "$isn_tmp/s"
expect_stderr "root-storage is for attach"
expect_rc 0 "$isn_bin" attach --help
expect_stdout "--root-storage"
expect_rc 1 "$isn_bin" tur -P 127.0.0.1
expect_stderr "needs -t IQN"
expect_rc 1 "$isn_bin" tur -t iqn.2026-11.test:x
expect_stderr "needs -t IQN and -P PORTAL"
# RFC 7143 4.2.7 names only, refused before any connection; the name escaped.
expect_rc 1 "$isn_bin" tur -t iqn.2026-13.org.x:y -P 127.0.0.1
expect_stderr "bad --target 'iqn.2026-13.org.x:y': give an iSCSI name.*the month"
expect_rc 1 "$isn_bin" tur -t "$(printf 'iqn.2026-11.org.x:\033[2J')" -P 127.0.0.1
expect_stderr "bad --target 'iqn.2026-11.org.x:.x1b\\[2J'"
expect_rc 1 "$isn_bin" tur -t eui.0123 -P 127.0.0.1
expect_stderr "16 hex digits"
expect_rc 1 "$isn_bin" tur -t iqn.2026-11.test:x -P 127.0.0.1 --offset 4096
expect_stderr "does not apply"
expect_rc 1 "$isn_bin" read -t iqn.2026-11.test:x -P 127.0.0.1 --offset 12x
expect_stderr "bad --offset"
# A count or time that must not be 0 says so (it used to exit 1 silently).
for o in --io-timeout --io-retries --connections --max-clients; do
	expect_rc 1 "$isn_bin" attach -t iqn.2026-11.test:x -P 127.0.0.1 $o 0
	expect_stderr "bad $o '0': give a number from 1 to"
done
expect_rc 1 "$isn_bin" tur -t iqn.2026-11.test:x -P 127.0.0.1 -l 99999
expect_stderr "bad --lun '99999': give a number up to 16383"
expect_rc 1 "$isn_bin" tur -t iqn.2026-11.test:x -P 127.0.0.1 --header-digest md5
expect_stderr "bad --header-digest 'md5': give one of: none, crc32c"
expect_rc 1 "$isn_bin" tur -t iqn.2026-11.test:x -P '[::1'
expect_stderr "missing '\]'"
expect_rc 1 "$isn_bin" tur -t iqn.2026-11.test:x -P 127.0.0.1:0
expect_stderr "bad port"
expect_rc 1 "$isn_bin" tur -t iqn.2026-11.test:x -P 127.0.0.1:65536
expect_stderr "bad port"
expect_rc 1 "$isn_bin" tur -t iqn.2026-11.test:x -P 127.0.0.1 --chap-user alice
expect_stderr "go together"
expect_rc 1 "$isn_bin" discover
expect_stderr "which portal"
expect_rc 2 "$isn_bin" discover no-such-host.invalid
expect_stderr "cannot resolve"

secret_file sec alicesecret12 644
expect_rc 7 "$isn_bin" tur -t iqn.2026-11.test:x -P 127.0.0.1 --chap-user alice \
	--chap-secret-file "$sec"
expect_stderr "chmod 600"
secret_file sec2 alicesecret12 640
expect_rc 7 "$isn_bin" discover 127.0.0.1 --chap-user alice --chap-secret-file "$sec2"
expect_stderr "mode 0640"
: >"$isn_tmp/empty" && chmod 600 "$isn_tmp/empty"
expect_rc 7 "$isn_bin" tur -t iqn.2026-11.test:x -P 127.0.0.1 --chap-user alice \
	--chap-secret-file "$isn_tmp/empty"
expect_stderr "empty"
expect_rc 7 "$isn_bin" tur -t iqn.2026-11.test:x -P 127.0.0.1 --chap-user alice \
	--chap-secret-file "$isn_tmp/does-not-exist"
expect_stderr "cannot open secret file"
# The secret never shows up in what we print.
grep -q alicesecret12 "$isn_tmp/stderr" "$isn_tmp/stdout" && fail "secret printed"
exit 0
