# Shared by the bench/*.sh scripts that drive one tgtd LUN on loopback:
# sourced after the script sets $me (its name, for messages) and $lun_mb.
#   bench_require CMD...    every command present, we are root, else exit 1
#   bench_tgtd IQN          a private network namespace $ns with tgtd in it
#                           serving a $lun_mb MiB LUN of random bytes (a
#                           file in /dev/shm) as LUN 1 of IQN; $work is a
#                           scratch directory; everything is removed on exit
#   nsx CMD...              run CMD in the namespace (foreground only: a
#                           backgrounded shell function leaves $! naming a
#                           subshell, so start daemons with ip netns exec)
#   bench_track PID         kill PID on exit
#   cpu_ticks PID           utime + stime of PID in clock ticks
#   bound_begin; bound_end  between the two: CPUs busy on the machine and
#                           tgtd's busiest thread (% of one CPU), tab-separated
#   wait_sock PATH [PID]    wait up to 10 s for a Unix socket (less if PID exits)
# shellcheck shell=bash

bench_require() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "$me: $t missing (scripts/install-deps.sh)" >&2; exit 1; }
	done
	[ -x "$bin" ] || { echo "$me: $bin not built (make)" >&2; exit 1; }
	[ "$(id -u)" = 0 ] || { echo "$me: needs root (network namespace)" >&2; exit 1; }
}

bench_pids=()
bench_track() { bench_pids+=("$1"); }

bench_cleanup() {
	local p
	for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${bench_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "${tgtd_pid:-}" ]; then
		ip netns exec "$ns" tgtadm -C "$ctl" --op delete --mode system >/dev/null 2>&1 || true
		sleep 0.2
		kill -9 "$tgtd_pid" 2>/dev/null || true
		wait "$tgtd_pid" 2>/dev/null || true
	fi
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work" "$backing"
}

nsx() { ip netns exec "$ns" "$@"; }

bench_tgtd() {
	ns=isn-$me-$$
	ctl=$((20000 + $$ % 10000))
	work=$(mktemp -d "/tmp/isn-$me.XXXXXX")
	backing=/dev/shm/isn-$me-$$.img
	trap bench_cleanup EXIT INT TERM
	ip netns add "$ns"
	nsx ip link set lo up
	# Fill the LUN so that reads move real data, not holes.
	dd if=/dev/urandom of="$backing" bs=1M count="$lun_mb" status=none
	ip netns exec "$ns" tgtd -f -C "$ctl" >"$work/tgtd.log" 2>&1 &
	tgtd_pid=$!
	for _ in $(seq 50); do nsx tgtadm -C "$ctl" --op show --mode target >/dev/null 2>&1 && break; sleep 0.1; done
	nsx tgtadm -C "$ctl" --lld iscsi --op new --mode target --tid 1 -T "$1"
	nsx tgtadm -C "$ctl" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$backing"
	nsx tgtadm -C "$ctl" --lld iscsi --op bind --mode target --tid 1 -I ALL
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# What bounds a job: is the machine out of CPU, or is one thread of tgtd
# (its event loop, which handles every PDU) out of its one CPU?
# /proc/stat's cpu line: user nice system idle iowait irq softirq steal
# (guest time is already inside user and nice).
machine_ticks() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat; }
thread_ticks() { cat /proc/"$1"/task/*/stat 2>/dev/null | awk '{ print $1, $14 + $15 }'; }

bound_begin() {
	b_w0=$(date +%s.%N)
	b_m0=$(machine_ticks)
	thread_ticks "$tgtd_pid" >"$work/threads0"
}

bound_end() {
	local w1 m1
	w1=$(date +%s.%N)
	m1=$(machine_ticks)
	thread_ticks "$tgtd_pid" >"$work/threads1"
	awk -v m0="$b_m0" -v m1="$m1" -v w0="$b_w0" -v w1="$w1" -v hz="$(getconf CLK_TCK)" \
		-v n="$(nproc)" '
		FNR == NR { t0[$1] = $2; next }
		{ d = $2 - t0[$1]; if (d > max) max = d }
		END {
			split(m0, a, " "); split(m1, b, " ")
			printf "%.2f\t%.0f\n", (b[2] > a[2] ? (b[1] - a[1]) / (b[2] - a[2]) * n : 0),
				100 * max / hz / (w1 - w0)
		}' "$work/threads0" "$work/threads1"
}

wait_sock() { # PATH [PID: give up as soon as it has exited]
	local i
	for i in $(seq 100); do
		[ -S "$1" ] && return 0
		if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then
			echo "$me: PID $2 exited before $1 appeared" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "$me: $1 did not appear" >&2
	return 1
}
