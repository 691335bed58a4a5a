#!/bin/sh
# attach/serve --config and `iscsi-nbd config` through the real binary, no
# root and no target needed:
# - config --dump shows defaults < iscsi-nbd.conf < NAME.conf with each
#   value's origin, names the secret file and never prints its content;
# - errors name FILE:LINE and the key and exit 1, for --check and for
#   attach --config alike;
# - attach --config logs in where the file says (seen in the connection
#   error, exit 2), -P on the command line replaces the file's portals,
#   and a command-line option wins over the file's value.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_isn config attach
requires timeout
ISCSI_NBD_CONFDIR=$isn_tmp/etc
export ISCSI_NBD_CONFDIR
# A run directory of our own: attach takes its LUN lock there (one daemon
# per LUN per host), and this file's IQN is the documentation's example.
ISCSI_NBD_RUNDIR=$isn_tmp/run
export ISCSI_NBD_RUNDIR
mkdir -p "$ISCSI_NBD_CONFDIR"
d=$ISCSI_NBD_CONFDIR

printf 'hunter2-not-to-be-seen\n' >"$d/db.secret"
chmod 600 "$d/db.secret"
cat >"$d/iscsi-nbd.conf" <<EOC
[path]
policy = failover
cmd_timeout = 5s
[iscsi]
login_timeout = 2s
EOC
cat >"$d/db.conf" <<EOC
# a LUN
[target]
name = iqn.2026-01.com.example:db
portal = 127.0.0.1:1
[auth]
chap_user = alice
chap_secret_file = $d/db.secret
[path]
policy = queue-length
[daemon]
mode = serve
[serve]
socket = $isn_tmp/db.sock
EOC

# ---- dump -------------------------------------------------------------------
"$isn_bin" config --dump db >"$isn_tmp/dump" || fail "config --dump db failed"
cat "$isn_tmp/dump" >&2
grep -q "^policy = queue-length	# $d/db.conf:9\$" "$isn_tmp/dump" || fail "NAME.conf did not win"
grep -q "^cmd_timeout = 5s	# $d/iscsi-nbd.conf:3\$" "$isn_tmp/dump" ||
	fail "the global file's value is not shown with its origin"
grep -q "^nop_timeout = 1500ms	# default\$" "$isn_tmp/dump" || fail "default not shown"
grep -q "^chap_secret_file = $d/db.secret	#" "$isn_tmp/dump" || fail "secret file not named"
grep -q hunter2 "$isn_tmp/dump" && fail "config --dump printed the secret"
"$isn_bin" config --check db || fail "config --check db"

# ---- errors -------------------------------------------------------------------
printf '[target]\nname = iqn.2026-01.com.example:db\n\n[path]\npolicy = fastest\n' >"$d/bad.conf"
"$isn_bin" config --check bad 2>"$isn_tmp/err" && fail "a bad policy was accepted"
grep -q "bad.conf:5: \[path\] policy = fastest: give one of: round-robin, failover" "$isn_tmp/err" ||
	fail "error without file:line, key and choices: $(cat "$isn_tmp/err")"
"$isn_bin" attach --config bad -f 2>"$isn_tmp/err"
rc=$?
[ "$rc" = 1 ] || fail "attach --config bad: exit $rc, want 1"
grep -q "bad.conf:5:" "$isn_tmp/err" || fail "attach did not name the bad line"
printf '[path]\npolciy = failover\n' >"$d/bad.conf"
"$isn_bin" config --check bad 2>"$isn_tmp/err" && fail "an unknown key was accepted"
grep -q "bad.conf:2: unknown key 'polciy' in \[path\]" "$isn_tmp/err" || fail "$(cat "$isn_tmp/err")"
"$isn_bin" config --check nonexistent 2>/dev/null && fail "a missing file was accepted"

# ---- attach --config: the file's portal, then -P overriding it -------------------
# Nothing listens on ports 1 and 2: the connection error shows which
# portal was used. The file's mode = serve makes `attach` serve.
timeout 60 "$isn_bin" attach --config db -f 2>"$isn_tmp/err"
rc=$?
[ "$rc" = 2 ] || fail "attach --config db: exit $rc, want 2 (connection): $(cat "$isn_tmp/err")"
grep -q "127.0.0.1:1 " "$isn_tmp/err" || fail "the file's portal was not used: $(cat "$isn_tmp/err")"
timeout 60 "$isn_bin" attach --config db -f -P 127.0.0.1:2 2>"$isn_tmp/err"
grep -q "127.0.0.1:2 " "$isn_tmp/err" || fail "-P did not replace the file's portal"
grep -q "127.0.0.1:1 " "$isn_tmp/err" && fail "the file's portal was tried besides -P"
# A command-line option wins over the file's: --policy sideways is refused
# (usage, 1) although the file's policy is valid.
timeout 60 "$isn_bin" attach --config db -f --policy sideways 2>"$isn_tmp/err"
rc=$?
[ "$rc" = 1 ] || fail "--policy on the command line did not override the file (exit $rc)"
# And the file's own value is passed: a file with a bad --device would be caught
# at parse time, so check that the file's login_timeout reached the command:
# a silent portal (black hole) is given up after about 2 s, not 30.
if ip route get 192.0.2.1 >/dev/null 2>&1; then
	sed -i 's/^portal = .*/portal = 192.0.2.1/' "$d/db.conf"
	start=$(date +%s)
	timeout 60 "$isn_bin" attach --config db -f 2>"$isn_tmp/err"
	took=$(($(date +%s) - start))
	[ "$took" -le 10 ] || fail "login_timeout = 2s from the global file not applied ($took s)"
fi
exit 0
