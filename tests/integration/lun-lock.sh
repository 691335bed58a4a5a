#!/bin/sh
# One daemon per target LUN per host (DESIGN.md, Invariants). Two daemons
# on one LUN log in with the same stable ISIDs and reinstate each other's
# sessions forever, so the second is refused before it logs in:
# - with `serve` of LUN 1 running (--name one), a second `serve` of the
#   same LUN under another name, one with the IQN in capitals (IQNs are
#   case-free), an `attach` of it and an `attach --config` whose file
#   names the LUN (mode = serve, a name of its own) all exit 9 in under 1 s, naming the
#   holder's PID and name, and tgtd sees no new I_T nexus or connection;
# - LUN 2 of the same target is another LUN: its `serve` runs beside;
# - after SIGKILL of the first daemon the lock is free: a new `serve` of
#   LUN 1 starts and answers `status`.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn serve status attach

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-12.org.iscsi-nbd.test:lun-lock
shm_file disk1 16 zero
shm_file disk2 16 zero
tgt_simple "$ns" "$iqn" "$disk1"
tgt_lun_new "$ns" 1 2 "$disk2"

rundir=$isn_tmp/run
mkdir -p "$rundir"
export ISCSI_NBD_RUNDIR="$rundir"

# serve_start VAR NAME LUN: `serve -f` in the background, PID in VAR, ready
# when its control socket answers.
serve_start() {
	_log=$isn_tmp/serve-$2.log
	_isn_logs="$_isn_logs $_log"
	ip netns exec "$ns" "$isn_bin" -v serve -f -t "$iqn" -l "$3" -P 127.0.0.1 \
		--socket "$isn_tmp/$2.sock" --name "$2" >"$_log" 2>&1 &
	_p=$!
	cleanup_add kill_quiet -9 "$_p"
	_i=0
	until timeout 5 "$isn_bin" status "$2" >/dev/null 2>&1; do
		kill -0 "$_p" 2>/dev/null || fail "serve $2 died at start: $(tail -20 "$_log")"
		_i=$((_i + 1))
		[ $_i -lt 300 ] || fail "serve $2 not ready after 30 s"
		sleep 0.1
	done
	eval "$1=\$_p"
}

# nexus_count: I_T nexuses (sessions) and connections tgtd has on target 1.
nexus_count() {
	_n=$(tgtadm_ns "$ns" --op show --mode target | grep -c "I_T nexus:")
	_c=$(tgtadm_ns "$ns" --op show --mode conn --tid 1 | grep -c -i "connection")
	echo "$_n/$_c"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# refused WHAT CMD...: CMD exits 9 within 1 s, names the holder.
refused() {
	_what=$1
	shift
	_t0=$(now_ms)
	expect_rc 9 "$@"
	_ms=$(($(now_ms) - _t0))
	info "$_what: refused with exit 9 in $_ms ms: $(head -1 "$isn_tmp/stderr")"
	[ "$_ms" -lt 1000 ] || fail "$_what: refusal took $_ms ms"
	expect_stderr "PID $pid1 "
	expect_stderr "name one"
	expect_stderr "detach one"
}

serve_start pid1 one 1
before=$(nexus_count)
info "tgtd with one daemon: $before (I_T nexuses/connections)"
[ "$before" != "0/0" ] || fail "tgtd shows no session for the running daemon"

refused "second serve" isn "$ns" serve -f -t "$iqn" -l 1 -P 127.0.0.1 \
	--socket "$isn_tmp/two.sock" --name two
refused "serve, IQN in capitals" isn "$ns" serve -f -t "$(echo "$iqn" | tr a-z A-Z)" -l 1 \
	-P 127.0.0.1 --socket "$isn_tmp/three.sock" --name three
refused "attach" isn "$ns" attach -f -t "$iqn" -l 1 -P 127.0.0.1 --name four
mkdir -p "$isn_tmp/etc"
export ISCSI_NBD_CONFDIR="$isn_tmp/etc"
printf '[target]\nname = %s\nlun = 1\nportal = 127.0.0.1\n[serve]\nsocket = %s\n[daemon]\nmode = serve\n' \
	"$iqn" "$isn_tmp/store.sock" >"$isn_tmp/etc/store.conf"
refused "attach --config" isn "$ns" attach --config store -f
[ ! -e "$isn_tmp/two.sock" ] && [ ! -e "$isn_tmp/store.sock" ] ||
	fail "a refused serve made its socket"

sleep 0.5
after=$(nexus_count)
info "tgtd after the refused starts: $after"
[ "$after" = "$before" ] || fail "tgtd went from $before to $after: a refused start logged in"

serve_start pid2 lun2 2
info "LUN 2 served beside LUN 1: PID $pid2"
kill -TERM "$pid2"
wait "$pid2" || fail "serve of LUN 2 exited $? on SIGTERM"

# The lock dies with its holder, however it dies.
kill -9 "$pid1"
wait "$pid1" 2>/dev/null
serve_start pid3 five 1
info "after SIGKILL of PID $pid1, serve of LUN 1 starts again: PID $pid3"
kill -TERM "$pid3"
wait "$pid3" || fail "serve five exited $? on SIGTERM"

# In the background (the command forks): the lock names the daemon, not
# the parent that printed the address and exited.
isn "$ns" serve -t "$iqn" -l 1 -P 127.0.0.1 --socket "$isn_tmp/six.sock" --name six \
	>"$isn_tmp/six.out" 2>&1 || fail "background serve: $(cat "$isn_tmp/six.out")"
cleanup_add sh -c "timeout 30 '$isn_bin' detach six >/dev/null 2>&1 || true"
lockpid=$(head -1 "$rundir"/lun-*.lock | cut -d' ' -f1)
kill -0 "$lockpid" 2>/dev/null || fail "the lock names PID $lockpid, which is not running"
expect_rc 9 isn "$ns" serve -f -t "$iqn" -l 1 -P 127.0.0.1 --socket "$isn_tmp/seven.sock" \
	--name seven
expect_stderr "PID $lockpid \\(name six, $isn_tmp/six.sock\\)"
info "background daemon PID $lockpid holds the lock: $(head -1 "$isn_tmp/stderr")"
timeout 30 "$isn_bin" detach six || fail "detach six"
ls "$rundir"/lun-*.lock >/dev/null 2>&1 && fail "a clean stop left its lock file: $(ls "$rundir")"
exit 0
