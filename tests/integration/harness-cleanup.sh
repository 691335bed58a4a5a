#!/bin/sh
# The harness cleans up on every exit path: a child test that builds the
# whole two-network bed (two namespaces, veth links, tgtd with a target
# and a /dev/shm backing file) and then (1) fails, (2) exits 77, (3) is
# killed with SIGTERM, or (4) with SIGINT must leave no namespace, no
# tgtd, no backing file and no control-port reservation behind.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt

cat >"$isn_tmp/child.sh" <<'CHILD'
. "$top_srcdir/tests/functions.sh"
two_networks
tgtd_start "$tgt_ns" "$net1_tgt:3260" "$net2_tgt:3260"
shm_file disk 1 zero
tgt_simple "$tgt_ns" iqn.2026-11.org.iscsi-nbd.test:cleanup "$disk"
eval "tgtpid=\$_isn_tgtpid_$tgt_ns tgtport=\$_isn_tgtport_$tgt_ns"
echo "$tgt_ns $ini_ns $tgtpid $tgtport $disk" >"$CHILD_STATE"
# fail / skip only once the parent has looked at what we built.
case $1 in
fail | skip)
	until [ -e "$CHILD_STATE.go" ]; do sleep 0.1; done
	"$1" "on purpose"
	;;
*) sleep 60 & wait $! ;;
esac
CHILD

for how in fail skip term int; do
	state=$isn_tmp/state-$how
	rm -f "$state"
	# An asynchronous command starts with SIGINT ignored (POSIX), which a
	# shell cannot undo: env restores the default so the child can trap it.
	CHILD_STATE=$state top_srcdir=$top_srcdir env --default-signal=INT \
		sh "$isn_tmp/child.sh" $how \
		>"$isn_tmp/child.log" 2>&1 &
	cpid=$!
	cleanup_add kill_quiet "$cpid"
	i=0
	until [ -s "$state" ]; do
		kill -0 "$cpid" 2>/dev/null || break
		i=$((i + 1))
		[ $i -lt 300 ] || fail "$how: child never got set up: $(cat "$isn_tmp/child.log")"
		sleep 0.1
	done
	[ -s "$state" ] || fail "$how: child died before set-up: $(cat "$isn_tmp/child.log")"
	read -r tns ins tpid tport disk <"$state"
	# What we are about to check for really existed.
	ip netns list | grep -q "^$tns\\b" || fail "$how: namespace $tns never existed"
	kill -0 "$tpid" 2>/dev/null || fail "$how: tgtd $tpid never ran"
	[ -f "$disk" ] || fail "$how: $disk never existed"
	case $how in
	fail | skip) : >"$state.go" ;;
	term) kill -TERM "$cpid" ;;
	int) kill -INT "$cpid" ;;
	esac
	rc=0
	wait "$cpid" || rc=$?
	case $how in
	fail) [ $rc = 1 ] || fail "fail: child exit $rc, want 1" ;;
	skip) [ $rc = 77 ] || fail "skip: child exit $rc, want 77" ;;
	term) [ $rc = 143 ] || fail "term: child exit $rc, want 143" ;;
	int) [ $rc = 130 ] || fail "int: child exit $rc, want 130" ;;
	esac
	for n in "$tns" "$ins"; do
		ip netns list | grep -q "^$n\\b" && fail "$how: namespace $n left behind"
	done
	kill -0 "$tpid" 2>/dev/null && fail "$how: tgtd $tpid left running"
	[ -e "$disk" ] && fail "$how: $disk left behind"
	[ -e "/var/run/tgtd/isn-reserved.$tport" ] && fail "$how: control port $tport still reserved"
	[ -e "/var/run/tgtd/socket.$tport" ] && fail "$how: tgtd socket $tport left behind"
	info "$how: exit $rc, everything cleaned up"
done
exit 0
