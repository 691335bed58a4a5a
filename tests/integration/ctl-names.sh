#!/bin/sh
# Naming running daemons without a kernel device (issue 15), with two
# `iscsi-nbd serve` daemons in front of a tgtd LUN each: one started with
# --name sa, one with --config cb whose [daemon] name is cbd. Proves that:
# - list is a table with both (device "-" in serve mode, paths 1/1,
#   running) and list --json parses (json.loads) with the same fields;
# - status reaches a daemon by its name and by the configuration name that
#   named it differently; an unknown name or device exits 1 and lists the
#   running daemons with their devices;
# - detach by the configuration name and by the name stops each daemon,
#   which exits 0; detach --help documents --force and exit 10;
# - under valgrind (when installed) those clients make no memory error and
#   leak nothing.
# The kernel side (/dev/nbdN, partitions, by-id links, mounts, swap, dm)
# is tests/uml/t-nbd-detach.sh.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn serve list status detach
requires python3

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:ctl-names
shm_file disk 64 zero
shm_file disk2 64 zero
tgt_simple "$ns" "$iqn" "$disk"
# A LUN per daemon: one daemon per target LUN (the same LUN twice would
# share an ISID and each session would reinstate the other's).
tgt_lun_new "$ns" 1 2 "$disk2"

rundir=$isn_tmp/run
export ISCSI_NBD_RUNDIR="$rundir" ISCSI_NBD_CONFDIR="$isn_tmp/etc"
mkdir -p "$rundir" "$ISCSI_NBD_CONFDIR"
cat >"$ISCSI_NBD_CONFDIR/cb.conf" <<EOF
[target]
name = $iqn
lun = 2
portal = 127.0.0.1
[serve]
socket = $isn_tmp/b.sock
[daemon]
mode = serve
name = cbd
EOF

# start NAME ARGS...: a serve daemon in the foreground of a background job; sets pid_NAME.
start() {
	_n=$1
	shift
	ip netns exec "$ns" "$isn_bin" serve -f "$@" >"$isn_tmp/$_n.log" 2>&1 &
	eval "pid_$_n=$!"
	_isn_logs="$_isn_logs $isn_tmp/$_n.log"
	cleanup_add kill_quiet "$!"
}
start sa -t "$iqn" -l 1 -P 127.0.0.1 --socket "$isn_tmp/a.sock" --name sa
start cb --config cb
for s in sa cbd; do
	_i=0
	until "$isn_bin" status "$s" >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || fail "daemon $s did not answer within 10 s"
		sleep 0.1
	done
done

expect_rc 0 "$isn_bin" list
cat "$isn_tmp/stdout" >&2
expect_stdout '^DEVICE +NAME +TARGET +LUN +PATHS +STATE +MOUNTS$'
expect_stdout "^- +sa +$iqn +1 +1/1 +running +-$"
expect_stdout "^- +cbd +$iqn +2 +1/1 +running +-$"
expect_rc 0 "$isn_bin" list --json
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and len(d) == 2, d
for o in d:
    assert o["device"] is None, o
    assert o["target"] == sys.argv[2] and o["lun"] == {"sa": 1, "cbd": 2}[o["name"]], o
    assert o["paths_up"] == 1 and o["paths_total"] == 1, o
    assert o["state"] == "running" and o["mounts"] == [] and o["users"] == [], o
assert sorted(o["name"] for o in d) == ["cbd", "sa"], d
' "$isn_tmp/stdout" "$iqn" || fail "list --json is wrong: $(cat "$isn_tmp/stdout")"

expect_rc 0 "$isn_bin" status sa
expect_stdout '^sa: running'
expect_rc 0 "$isn_bin" status cb
expect_stdout '^cbd: running'
expect_rc 0 "$isn_bin" status --json cbd
python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["name"] == "cbd"' \
	"$isn_tmp/stdout" || fail "status --json cbd"
expect_rc 1 "$isn_bin" status nosuch
expect_stderr "no running iscsi-nbd daemon for 'nosuch'; running: .*(sa|cbd)"
expect_rc 1 "$isn_bin" detach nbd7
expect_stderr 'no running iscsi-nbd daemon serves /dev/nbd7; running: '
expect_rc 0 "$isn_bin" detach --help
expect_stdout '--force'
expect_stdout 'exit 10'

# The clients free what json-c parsed and built (valgrind, when installed;
# not in the sanitizer tier, whose ASan binary valgrind cannot run and whose
# leak checker does the same job).
use_vg=
[ -z "${ISN_SANITIZER:-}" ] && command -v valgrind >/dev/null 2>&1 && use_vg=1
if [ -n "$use_vg" ]; then
	for args in "list" "list --json" "status cb" "status --json cbd" "status nosuch"; do
		# shellcheck disable=SC2086
		valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
			--error-exitcode=99 "$isn_bin" $args >/dev/null 2>"$isn_tmp/vg"
		[ $? != 99 ] || fail "valgrind: iscsi-nbd $args: $(cat "$isn_tmp/vg")"
	done
	info "valgrind: list, status by name and config name: no error, no leak"
fi
vg=
[ -n "$use_vg" ] &&
	vg="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99"
# shellcheck disable=SC2086
expect_rc 0 $vg "$isn_bin" detach cb
expect_rc 0 "$isn_bin" detach sa
for p in "$pid_cb" "$pid_sa"; do
	wait "$p" || fail "a daemon exited $? after detach"
done
[ -z "$(ls "$rundir")" ] || fail "control sockets left: $(ls "$rundir")"
expect_rc 0 "$isn_bin" list
expect_stdout '^no devices attached$'
info "list, status and detach by name and configuration name"
