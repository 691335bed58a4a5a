# Helpers for the multipath host tests (tests/integration/mp-*.sh), on top
# of tests/functions.sh (source that first). The bed: one tgtd in its own
# namespace ($tgt_ns), reachable from an initiator namespace ($ini_ns) over
# N veth "cables", each its own /24 (10.K.0.1 initiator, 10.K.0.10 target);
# `iscsi-nbd serve` runs in $ini_ns with one path per network, bound to its
# interface, and serves the LUN on a Unix socket; fio (ioengine=nbd, crc32c
# verify) or nbdsh drive it through that socket.
#
# After mp_networks N:  mp_ini_K / mp_tgt_K (addresses), mp_ini_dev_K /
# mp_tgt_dev_K (device names), for K in 1..N.

mp_requires() {
	requires_tgt
	requires_isn serve status
	requires python3 fio tc
	fio --enghelp=nbd >/dev/null 2>&1 || skip_missing "fio's nbd engine" "a fio built with libnbd"
}

# mp_requires_nbdsh: a python3 with libnbd's module (python3-libnbd), in
# $mp_py; run nbdsh as `mp_nbdsh ARGS...`.
mp_requires_nbdsh() {
	for mp_py in python3 /usr/bin/python3; do
		"$mp_py" -c "import nbd, nbdsh" 2>/dev/null && return 0
	done
	skip_missing "nbdsh / python3-libnbd" "not installed"
}
mp_nbdsh() {
	"$mp_py" -c 'import sys, nbdsh; sys.exit(nbdsh.shell())' "$@"
}

# mp_networks N: target and initiator namespaces joined by N cables.
mp_networks() {
	netns_new tgt_ns
	netns_new ini_ns
	mp_n=$1
	_k=1
	while [ "$_k" -le "$mp_n" ]; do
		veth_link "$tgt_ns" "10.$_k.0.10" "$ini_ns" "10.$_k.0.1" 24
		eval "mp_tgt_$_k=10.$_k.0.10 mp_ini_$_k=10.$_k.0.1"
		eval "mp_tgt_dev_$_k=\$veth_a mp_ini_dev_$_k=\$veth_b"
		_k=$((_k + 1))
	done
	# veth carriers come up asynchronously; wait until every end is UP and
	# the target answers a ping on every network.
	_k=1
	while [ "$_k" -le "$mp_n" ]; do
		_i=0
		until ip netns exec "$ini_ns" ping -c1 -W1 "10.$_k.0.10" >/dev/null 2>&1; do
			_i=$((_i + 1))
			[ $_i -lt 50 ] || fail "network $_k does not come up"
			sleep 0.1
		done
		_k=$((_k + 1))
	done
}

# mp_target [SIZE_MIB]: tgtd in $tgt_ns on every address, target tid 1
# ($mp_iqn) with LUN 1 backed by $mp_disk (random data).
mp_target() {
	tgtd_start "$tgt_ns"
	mp_iqn=iqn.2026-11.org.iscsi-nbd.test:$me
	shm_file mp_disk "${1:-64}"
	tgt_simple "$tgt_ns" "$mp_iqn" "$mp_disk"
}

# mp_cable_down K / mp_cable_up K: pull / plug cable K (carrier loss, seen
# at once by the link monitor on the initiator side).
mp_cable_down() {
	eval "ip -n \"\$ini_ns\" link set \"\$mp_ini_dev_$1\" down" || fail "cable $1 down"
}
mp_cable_up() {
	eval "ip -n \"\$ini_ns\" link set \"\$mp_ini_dev_$1\" up" || fail "cable $1 up"
}

# Silent failures, carrier up. This kernel may lack netem (sch_netem) and
# the tc drop actions; pfifo and tbf are always there:
# mp_blackhole K [tgt|ini|both]: every packet the target end (default), the
# initiator end or both ends of cable K send is dropped (pfifo limit 0): no
# RST, no ICMP, no carrier change.
mp_blackhole() {
	case ${2:-tgt} in
	tgt | both) _mp_qdisc tgt "$1" replace root pfifo limit 0 ;;
	esac
	case ${2:-tgt} in
	ini | both) _mp_qdisc ini "$1" replace root pfifo limit 0 ;;
	esac
}
# mp_hold K: what the initiator end of cable K sends waits in a queue (tbf
# at 8 bit/s, 64 MiB deep: one packet passes, then nothing), still to be
# delivered later by mp_release K: the stale in-flight copies a ghost write
# is made of.
mp_hold() {
	_mp_qdisc ini "$1" replace root tbf rate 8bit burst 1600 limit 67108864
}
mp_release() {
	_mp_qdisc ini "$1" change root tbf rate 10gbit burst 1000000 limit 67108864
}
# mp_cable_clear K: no qdisc of ours on either end of cable K.
mp_cable_clear() {
	eval "tc -n \"\$tgt_ns\" qdisc del dev \"\$mp_tgt_dev_$1\" root" 2>/dev/null
	eval "tc -n \"\$ini_ns\" qdisc del dev \"\$mp_ini_dev_$1\" root" 2>/dev/null
	return 0
}
_mp_qdisc() {
	_side=$1 _k=$2
	shift 2
	_op=$1
	shift
	eval "_ns=\$${_side}_ns _d=\$mp_${_side}_dev_$_k"
	tc -n "$_ns" qdisc "$_op" dev "$_d" "$@" ||
		fail "tc qdisc $_op $* on cable $_k ($_side end)"
}

# mp_serve [OPTIONS...]: iscsi-nbd serve in the foreground inside $ini_ns,
# one path per network (PORTAL@IFACE), round-robin unless OPTIONS say
# otherwise, control socket in a private run dir. Sets mp_sock (the NBD
# Unix socket), mp_uri, mp_pid, mp_log. Waits until the socket is served.
# $ISN_SERVE_ARGS: more options, after OPTIONS (a wrapper test runs an
# mp test with a mode on: poll-*.sh, mp-*-uring.sh, mp-*-threads.sh);
# mp_fio_ok then runs $ISN_SERVE_CHECK, if set, on the status --json, the
# wrapper's proof that its mode ran.
mp_serve() {
	mp_rundir=$isn_tmp/run
	mkdir -p "$mp_rundir"
	export ISCSI_NBD_RUNDIR=$mp_rundir
	mp_sock=$isn_tmp/nbd.sock
	mp_uri="nbd+unix:///?socket=$mp_sock"
	mp_log=$isn_tmp/serve.log
	_isn_logs="$_isn_logs $mp_log"
	set -- --name mp "$@"
	_k=$mp_n
	while [ "$_k" -ge 1 ]; do
		eval "set -- -P \"\$mp_tgt_$_k@\$mp_ini_dev_$_k\" \"\$@\""
		_k=$((_k - 1))
	done
	ip netns exec "$ini_ns" "$isn_bin" -v ${mp_global:-} serve -f -t "$mp_iqn" -l 1 \
		--socket "$mp_sock" "$@" ${ISN_SERVE_ARGS:-} >>"$mp_log" 2>&1 &
	mp_pid=$!
	cleanup_add mp_serve_stop
	_i=0
	until [ -S "$mp_sock" ] && mp_status_json >/dev/null 2>&1; do
		kill -0 "$mp_pid" 2>/dev/null || fail "iscsi-nbd serve died at start: $(tail -20 "$mp_log")"
		_i=$((_i + 1))
		[ $_i -lt 300 ] || fail "iscsi-nbd serve not ready after 30 s"
		sleep 0.1
	done
}

# Stop the daemon if it is still there: SIGTERM, then SIGKILL after 10 s.
mp_serve_stop() {
	[ -n "${mp_pid:-}" ] || return 0
	if kill -0 "$mp_pid" 2>/dev/null; then
		kill -TERM "$mp_pid" 2>/dev/null
		_i=0
		while kill -0 "$mp_pid" 2>/dev/null && [ $_i -lt 100 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -9 "$mp_pid" 2>/dev/null
	fi
	wait "$mp_pid" 2>/dev/null
	mp_pid=
	return 0
}

# mp_status_json: the daemon's status as JSON on stdout.
mp_status_json() {
	timeout 10 "$isn_bin" status --json mp
}

# mp_path_field IDX FIELD: one field of path IDX (0-based) from status.
mp_path_field() {
	mp_status_json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["paths"][int(sys.argv[1])][sys.argv[2]])' "$1" "$2"
}

# mp_wait_state IDX REGEX SECONDS: wait until path IDX's state matches;
# 1 after SECONDS of wall time (one poll costs a status call and python).
mp_wait_state() {
	poll_until "$3" _mp_state_is "$1" "$2"
}
_mp_state_is() {
	_s=$(mp_path_field "$1" state 2>/dev/null) || return 1
	echo "$_s" | grep -E -q -i -- "^($2)\$"
}

# mp_wait_ios IDX N SECONDS: wait until path IDX has completed N more I/Os
# than when called ("ios" in status --json): I/O really flows over that
# path. Fails the test at the bound. What a test waits for instead of
# sleeping "long enough for the workload to get going".
mp_wait_ios() {
	_mp_ios0=$(mp_path_field "$1" ios) || fail "status --json: no ios for path$1"
	_mp_ios_goal=$((_mp_ios0 + $2))
	poll_until "$3" _mp_ios_reached "$1" ||
		fail "path$1 did not complete $2 I/Os in $3 s (ios $_mp_ios0 -> $(mp_path_field "$1" ios))"
}
_mp_ios_reached() {
	[ "$(mp_path_field "$1" ios 2>/dev/null || echo 0)" -ge "$_mp_ios_goal" ]
}

# mp_wait_flowing [N] [SECONDS]: every path completes N (default 100)
# more I/Os within SECONDS (default 20) each: the workload runs over all.
mp_wait_flowing() {
	_k=0
	while [ "$_k" -lt "$mp_n" ]; do
		mp_wait_ios "$_k" "${1:-100}" "${2:-20}"
		_k=$((_k + 1))
	done
}

# mp_paths_text: one line per path (name state ios failures reason), for logs.
mp_paths_text() {
	mp_status_json | python3 -c '
import json, sys
d = json.load(sys.stdin)
for p in d["paths"]:
    print("  %s %s: %s ios=%d failures=%d errors=%d (%s)" % (p["name"], p["portal"],
          p["state"], p["ios"], p["failures"], p["errors"], p["reason"]))'
}

# mp_fio_start SECONDS [FIO OPTIONS...]: a write + verify workload on the
# served LUN in the background, time based: random 4-64 KiB writes at
# queue depth 16 from 2 jobs (disjoint halves), each block read back and
# checked (crc32c, verify_backlog) a moment after it was written, so reads
# and writes run throughout; a verify error is fatal. Every completion is
# logged (mp_fio_gap reads it). Sets mp_fio_pid and mp_fio_out.
mp_fio_start() {
	_secs=$1
	shift
	mp_fio_out=$isn_tmp/fio.json
	mp_fio_lat=$isn_tmp/fio-lat
	fio --name=mp --ioengine=nbd --uri="$mp_uri" --rw=randwrite \
		--bsrange=4k-64k --iodepth=16 \
		--numjobs=2 --size="${mp_fio_incr:-24M}" --offset_increment="${mp_fio_incr:-24M}" \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_backlog=32 \
		--time_based --runtime="$_secs" --random_generator=tausworthe64 \
		--write_lat_log="$mp_fio_lat" --log_avg_msec=0 --log_unix_epoch=1 \
		--output-format=json --output="$mp_fio_out" "$@" \
		>"$isn_tmp/fio.stdout" 2>"$isn_tmp/fio.stderr" &
	mp_fio_pid=$!
	cleanup_add kill_quiet "$mp_fio_pid"
	_isn_logs="$_isn_logs $isn_tmp/fio.stderr"
}

# mp_fio_wait BOUND: wait for fio (killed after BOUND seconds); sets
# mp_fio_rc and mp_fio_err (I/O errors + verify errors fio counted).
mp_fio_wait() {
	_i=0
	while kill -0 "$mp_fio_pid" 2>/dev/null; do
		_i=$((_i + 1))
		if [ $_i -gt $(($1 * 10)) ]; then
			kill -9 "$mp_fio_pid" 2>/dev/null
			wait "$mp_fio_pid" 2>/dev/null
			fail "fio still running after $1 s: I/O hangs"
		fi
		sleep 0.1
	done
	if wait "$mp_fio_pid"; then mp_fio_rc=0; else mp_fio_rc=$?; fi
	mp_fio_err=$(python3 -c '
import json, sys
try:
    t = open(sys.argv[1]).read()
    d = json.loads(t[t.index("{"):])
    print(sum(j.get("error", 0) != 0 or j.get("total_err", 0) for j in d["jobs"]))
except Exception as e:
    print("unparsable")' "$mp_fio_out")
	grep -h -E -i "verify|error|err=" "$isn_tmp/fio.stderr" "$isn_tmp/fio.stdout" | head -n 10 >&2
	return 0
}

# mp_fio_ok: fio exited 0, counted no error, and read back (verified)
# something.
mp_fio_ok() {
	if [ "$mp_fio_rc" != 0 ] || [ "$mp_fio_err" != 0 ]; then
		head -n 40 "$isn_tmp/fio.stderr" >&2
		fail "fio: exit $mp_fio_rc, jobs with errors: $mp_fio_err"
	fi
	_r=$(python3 -c '
import json, sys
t = open(sys.argv[1]).read()
d = json.loads(t[t.index("{"):])
print(sum(j["read"]["total_ios"] for j in d["jobs"]))' "$mp_fio_out")
	[ "${_r:-0}" -gt 0 ] || fail "fio read nothing back: nothing was verified"
	if [ -n "${ISN_SERVE_CHECK:-}" ]; then
		mp_status_json >"$isn_tmp/status-end.json" || fail "status --json at the end"
		$ISN_SERVE_CHECK "$isn_tmp/status-end.json" ||
			fail "$ISN_SERVE_CHECK: $(cat "$isn_tmp/status-end.json")"
	fi
}

# mp_ms: the time in milliseconds, as fio's logs give it (for mp_fio_gap
# windows).
mp_ms() {
	date +%s%3N
}

# mp_fio_gap [FROM_MS TO_MS]: the longest time (ms) with no I/O completion
# at all, from fio's per-completion logs (both jobs, reads and writes
# merged; Unix times in ms, as mp_ms gives them), and the longest
# single completion latency. Within [FROM_MS, TO_MS] if given (a gap
# that overlaps the window counts). Prints "GAP_MS MAXLAT_MS".
mp_fio_gap() {
	cat "$mp_fio_lat"_clat.*.log 2>/dev/null | python3 -c '
import sys
lo = int(sys.argv[1]) if len(sys.argv) > 2 else -1
hi = int(sys.argv[2]) if len(sys.argv) > 2 else 1 << 62
ts, lat = [], 0
for l in sys.stdin:
    f = l.split(",")
    if len(f) < 2: continue
    t, v = int(f[0]), int(f[1])
    ts.append(t)
    if lo <= t <= hi: lat = max(lat, v)
ts.sort()
gap = max((b - a for a, b in zip(ts, ts[1:]) if b >= lo and a <= hi), default=-1)
print(gap, lat // 1000000)' "$@"
}

# mp_fio_ios: completed I/Os (reads + writes) of the last fio.
mp_fio_ios() {
	python3 -c '
import json, sys
t = open(sys.argv[1]).read()
d = json.loads(t[t.index("{"):])
print(sum(j["read"]["total_ios"] + j["write"]["total_ios"] for j in d["jobs"]))' "$mp_fio_out"
}

# mp_two_paths_under_load FIO_SECONDS: the bed of the failover-under-load
# tests (mp-cable-pull, mp-flap, mp-silent): two networks to one 64 MiB
# LUN, `serve` round-robin with the busy-path silence check tight
# (--nop-interval 300 --nop-timeout 1500) and --no-path-retry 15, both
# paths ACTIVE, then the fio workload (mp_fio_start) running FIO_SECONDS
# and flowing over both paths.
mp_two_paths_under_load() {
	mp_requires
	mp_networks 2
	mp_target 64
	mp_serve --no-path-retry 15 --nop-interval 300 --nop-timeout 1500
	mp_wait_state 0 ACTIVE 10 && mp_wait_state 1 ACTIVE 10 || fail "both paths not active at start"

	mp_fio_start "$1"
	mp_wait_flowing
}
