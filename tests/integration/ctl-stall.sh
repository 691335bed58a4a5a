#!/bin/sh
# The control plane never stalls the data plane (DESIGN.md, Invariants):
# `iscsi-nbd serve` in front of a tgtd LUN, fio (nbd engine, QD1, 4k
# random writes verified as it goes) running through it, while hostile
# local clients hit the daemon's control socket.
# 1. Waves of 100 clients that connect and stay silent, plus one that
#    sends "status" and never reads its answer: the longest completion
#    latency fio sees stays under 50 ms (a daemon that serves a client
#    synchronously stalls every I/O for the client's timeout, seconds),
#    and the daemon still answers `status` afterwards. This machine is
#    shared: a run may lose the CPU for longer than 50 ms to someone
#    else, so up to five runs are made and one must stay under 50 ms. A
#    stall of ours shows in every run (seconds per silent client).
# 2. Out of descriptors: the daemon's RLIMIT_NOFILE is lowered to a few
#    above what it holds, then 100 clients connect at once to the control
#    socket and 100 to the NBD socket. accept fails with EMFILE on both;
#    the daemon must neither spin on it (its CPU time over 3 s stays
#    small) nor stop serving I/O, and it answers `status` again once the
#    clients are gone.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn serve status
requires fio prlimit python3
fio --enghelp=nbd >/dev/null 2>&1 || skip_missing "fio nbd engine" "fio --enghelp=nbd fails"
py=python3

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-12.org.iscsi-nbd.test:ctl-stall
shm_file disk 64 zero
tgt_simple "$ns" "$iqn" "$disk"

rundir=$isn_tmp/run
mkdir -p "$rundir"
export ISCSI_NBD_RUNDIR="$rundir"
sock=$isn_tmp/nbd.sock
uri="nbd+unix:///?socket=$sock"
name=cs
ctlsock=$rundir/$name.sock
log=$isn_tmp/serve.log
_isn_logs="$_isn_logs $log"

ip netns exec "$ns" "$isn_bin" -v serve -f -t "$iqn" -l 1 -P 127.0.0.1 \
	--socket "$sock" --name "$name" >"$log" 2>&1 &
pid=$!
cleanup_add kill_quiet -9 "$pid"
i=0
until [ -S "$sock" ] && timeout 5 "$isn_bin" status "$name" >/dev/null 2>&1; do
	kill -0 "$pid" 2>/dev/null || fail "iscsi-nbd serve died at start: $(tail -20 "$log")"
	i=$((i + 1))
	[ $i -lt 300 ] || fail "iscsi-nbd serve not ready after 30 s"
	sleep 0.1
done

# fio_start OUT SECONDS [OPTIONS...]: QD1 4k random writes, each block read
# back and checked (crc32c) a few writes later, in the background ($fio_pid).
fio_start() {
	_out=$1
	_secs=$2
	shift 2
	(cd "$isn_tmp" && exec timeout -k 5 $((_secs + 30)) fio --name=qd1 --ioengine=nbd \
		--uri="$uri" --rw=randwrite --bs=4k --iodepth=1 --size=64M \
		--time_based --runtime="$_secs" --verify=crc32c --verify_backlog=16 \
		--do_verify=1 --verify_fatal=1 --verify_state_save=0 \
		--output-format=json --output="$_out" "$@") &
	fio_pid=$!
	cleanup_add kill_quiet "$fio_pid"
}

# fio_wait OUT: fio exited 0. fio_check OUT: no job error; prints the longest completion
# latency in microseconds (reads and writes) and the I/O count.
# Called in a $(...): the wait happens before, in fio_wait.
fio_check() {
	"$py" - "$1" <<'EOF' || fail "fio: $(tail -30 "$1")"
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
if j["error"]:
    sys.exit("fio job error %d" % j["error"])
mx = max(j[d]["clat_ns"]["max"] for d in ("read", "write"))
n = j["read"]["total_ios"] + j["write"]["total_ios"]
print(mx // 1000, n)
EOF
}

fio_wait() {
	if wait "$fio_pid"; then _rc=0; else _rc=$?; fi
	[ "$_rc" = 0 ] || fail "fio exited $_rc: $(tail -20 "$1")"
}

# cpu_ticks PID: user + system time of PID so far, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# ---- 1. silent clients and a reader that never reads -----------------------
# For comparison only (the machine's own noise): the same fio, no clients.
fio_start "$isn_tmp/fio0.json" 6
fio_wait "$isn_tmp/fio0.json"
res=$(fio_check "$isn_tmp/fio0.json") || exit 1
set -- $res
info "baseline, no control clients: longest I/O completion $1 us over $2 I/Os"
# The bound is 50 ms; on a machine whose own noise already reaches half of
# that without any client, it is twice the baseline's worst instead (the
# stall this guards against was 2 s per client, far beyond either).
limit=50000
[ $(($1 * 2)) -le "$limit" ] || limit=$(($1 * 2))
best=
for run in 1 2 3 4 5; do
	fio_start "$isn_tmp/fio1-$run.json" 8
	sleep 1
	flood=$(timeout 30 "$py" "$top_srcdir/tests/integration/ctl-flood.py" "$ctlsock" 6 100) ||
		fail "ctl-flood.py failed"
	fio_wait "$isn_tmp/fio1-$run.json"
	res=$(fio_check "$isn_tmp/fio1-$run.json") || exit 1
	set -- $res
	info "clients, run $run: longest I/O completion $1 us over $2 I/Os (limit $limit us); flood: $flood"
	[ -n "$best" ] && [ "$best" -le "$1" ] || best=$1
	[ "$1" -ge "$limit" ] || break
done
[ "$best" -lt "$limit" ] ||
	fail "an I/O took at least $best us in every run while control clients were connected: the control socket stalls the I/O loop"
kill -0 "$pid" 2>/dev/null || fail "the daemon died"
timeout 5 "$isn_bin" status "$name" >/dev/null || fail "status does not answer after the flood"

# ---- 2. EMFILE --------------------------------------------------------------
# The limit: room for fio's connection and three more descriptors
# (accept takes the lowest free number; the limit caps the number).
nfd=$(ls "/proc/$pid/fd" | wc -l)
prlimit --pid "$pid" --nofile=$((nfd + 4)):$((nfd + 4)) || fail "prlimit on $pid"
fio_start "$isn_tmp/fio2.json" 6 --rate_iops=200
sleep 0.5
timeout 30 "$py" "$top_srcdir/tests/integration/ctl-flood.py" "$ctlsock" 5 100 \
	>"$isn_tmp/flood2" &
flood_pid=$!
cleanup_add kill_quiet "$flood_pid"
timeout 30 "$py" "$top_srcdir/tests/integration/ctl-flood.py" "$sock" 5 100 \
	>"$isn_tmp/flood3" &
flood3_pid=$!
cleanup_add kill_quiet "$flood3_pid"
sleep 1
t0=$(cpu_ticks "$pid")
sleep 3
t1=$(cpu_ticks "$pid")
hz=$(getconf CLK_TCK)
cpu_ms=$(((t1 - t0) * 1000 / hz))
wait "$flood_pid" || fail "ctl-flood.py failed"
wait "$flood3_pid" || fail "ctl-flood.py on the NBD socket failed"
info "EMFILE flood: control socket: $(cat "$isn_tmp/flood2"); NBD socket: $(cat "$isn_tmp/flood3")"
grep -q -E "control socket: accept.*(Too many open files|EMFILE)" "$log" ||
	fail "the daemon never ran out of descriptors: the EMFILE case was not exercised"
info "EMFILE: daemon CPU time ${cpu_ms} ms over 3000 ms (limit 600 ms)"
[ "$cpu_ms" -lt 600 ] || fail "the daemon used ${cpu_ms} ms of CPU in 3 s: it spins on EMFILE"
fio_wait "$isn_tmp/fio2.json"
res=$(fio_check "$isn_tmp/fio2.json") || exit 1
set -- $res
info "EMFILE: longest I/O completion ${1} us over $2 I/Os (limit 1 s: serving, not stalled)"
[ "$2" -gt 500 ] || fail "only $2 I/Os completed during the EMFILE flood"
[ "$1" -lt 1000000 ] || fail "an I/O took ${1} us during the EMFILE flood"
i=0
until timeout 5 "$isn_bin" status "$name" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 30 ] || fail "status does not answer after the EMFILE flood"
	sleep 0.1
done
kill -0 "$pid" 2>/dev/null || fail "the daemon died"
exit 0
