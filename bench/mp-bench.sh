#!/usr/bin/env bash
# Multipath benchmark: striping efficiency and failover stall of iscsi-nbd,
# side by side with the kernel's open-iscsi + dm-multipath, in one run.
#
# Host part (NBD server mode, fio's nbd engine):
#   (a) striping: one tgtd in a target namespace, reachable from an
#       initiator namespace over two veth networks, each shaped to the same
#       rate with tbf on every egress (target side for reads, initiator side
#       for writes). `iscsi-nbd serve --policy round-robin` over both
#       portals, then over one; fio sequential 1 MiB read and write at QD32;
#       ratio = two-path MiB/s / one-path MiB/s (target >= 1.9).
#   (b) failover stall: fio 4 KiB randwrite QD16 with a per-I/O completion
#       log; 5 s in, one path fails: a local link loss (`ip link set ini1
#       down` in the initiator namespace) or a silent remote loss (netem
#       loss 100% on the target-side egress, carrier up). Stall = the
#       longest interval without a completion that spans the event.
#       iscsi-nbd with default settings, portals given plainly and given as
#       PORTAL@IFACE (which binds the path to the link and turns on the
#       rtnetlink link monitor).
# UML part (bench/mp-uml-guest.sh, through tests/uml/run.sh):
#   (c) the same stall figures in one guest for open-iscsi + dm-multipath
#       (round-robin, hand-written table) and for `iscsi-nbd attach`, same
#       tgtd, same fio job (libaio, O_DIRECT) on /dev/dm-N and /dev/nbdN.
#   (d) a PNG of throughput over time across the cable pull (bench/plot.gp).
#
# Usage: bench/mp-bench.sh [BUILD_DIR]     (as root; `make bench-mp` passes it)
# Env:   MP_RATE (per path, default 200mbit), MP_SECONDS (striping job,
#        default 10), MP_FAIL_SECONDS (failover job, default 15),
#        MP_EVENT_AT (seconds into the failover job, default 5),
#        MP_SKIP_UML=1 (host part only), MP_SKIP_HOST=1 (UML part only),
#        MP_OUT (results folder, default BUILD_DIR/bench/mp)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top}" && pwd)
bin=$build/iscsi-nbd
rate=${MP_RATE:-200mbit}
secs=${MP_SECONDS:-10}
fsecs=${MP_FAIL_SECONDS:-15}
ev_at=${MP_EVENT_AT:-5}
out=${MP_OUT:-$build/bench/mp}
lun_mb=512

for t in tgtd tgtadm fio ip tc python3 gnuplot; do
	command -v $t >/dev/null || { echo "mp-bench: $t missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "mp-bench: $bin not built (make)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "mp-bench: needs root (network namespaces)" >&2; exit 1; }
fio --enghelp 2>/dev/null | grep -qw nbd || { echo "mp-bench: this fio has no nbd engine" >&2; exit 1; }

mkdir -p "$out"
rm -f "$out"/*.tsv "$out"/*.log "$out"/*.dat
tsv=$out/results.tsv
: >"$tsv"
iqn=iqn.2026-11.org.iscsi-nbd:mpbench
tns=isn-mpt-$$
ins=isn-mpi-$$
ctl=$((20000 + ($$ + 7) % 10000))
work=$(mktemp -d /tmp/isn-mpbench.XXXXXX)
backing=/dev/shm/isn-mpbench-$$.img
isn_pid='' tgtd_pid='' fio_pid=''

cleanup() {
	set +e
	[ -n "$fio_pid" ] && kill "$fio_pid" 2>/dev/null && wait "$fio_pid" 2>/dev/null
	if [ -n "$isn_pid" ]; then
		kill "$isn_pid" 2>/dev/null
		wait "$isn_pid" 2>/dev/null
	fi
	if [ -n "$tgtd_pid" ]; then
		ip netns exec $tns tgtadm -C $ctl --op delete --mode system >/dev/null 2>&1
		sleep 0.2
		kill -9 "$tgtd_pid" 2>/dev/null
		wait "$tgtd_pid" 2>/dev/null
	fi
	ip netns del $ins 2>/dev/null
	ip netns del $tns 2>/dev/null
	rm -rf "$work" "$backing"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tx() { ip netns exec $tns "$@"; }
ix() { ip netns exec $ins "$@"; }
now_ms() { date +%s%3N; }

echo "mp-bench: $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/load.txt"

host_setup() {
	ip netns add $tns
	ip netns add $ins
	tx ip link set lo up
	ix ip link set lo up
	local n
	for n in 1 2; do
		# Names are per namespace: nothing appears in the root namespace.
		ix ip link add ini$n type veth peer name tgt$n netns $tns
		ix ip addr add 10.$n.0.2/24 dev ini$n
		tx ip addr add 10.$n.0.1/24 dev tgt$n
		ix ip link set ini$n up
		tx ip link set tgt$n up
		shape $n
	done
	dd if=/dev/urandom of="$backing" bs=1M count=$lun_mb status=none
	ip netns exec $tns tgtd -f -C $ctl >"$work/tgtd.log" 2>&1 &
	tgtd_pid=$!
	for _ in $(seq 50); do tx tgtadm -C $ctl --op show --mode target >/dev/null 2>&1 && break; sleep 0.1; done
	tx tgtadm -C $ctl --lld iscsi --op new --mode target --tid 1 -T $iqn
	tx tgtadm -C $ctl --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$backing"
	tx tgtadm -C $ctl --lld iscsi --op bind --mode target --tid 1 -I ALL
}

# shape N: the same rate on both egresses of network N.
shape() {
	ix tc qdisc replace dev ini$1 root tbf rate $rate burst 256kb latency 50ms
	tx tc qdisc replace dev tgt$1 root tbf rate $rate burst 256kb latency 50ms
}

# serve_start TAG PORTAL..: iscsi-nbd serve in the initiator namespace.
serve_start() {
	local tag=$1 args=() p
	shift
	for p in "$@"; do args+=(-P "$p"); done
	sock=$work/$tag.sock
	# shellcheck disable=SC2086 # MP_ISN_GLOBAL: global options, e.g. "-d nbd,path"
	ip netns exec $ins "$bin" ${MP_ISN_GLOBAL:-} serve -t $iqn -l 1 "${args[@]}" --policy round-robin \
		--socket "$sock" -f --name "mpb$$-$tag" >"$out/serve-$tag.log" 2>&1 &
	isn_pid=$!
	local i
	for i in $(seq 150); do [ -S "$sock" ] && break; sleep 0.1; done
	[ -S "$sock" ] || { echo "mp-bench: serve $tag: no socket" >&2; cat "$out/serve-$tag.log" >&2; exit 1; }
	# Every path logged in before measuring.
	for i in $(seq 100); do
		[ "$(ix "$bin" status "mpb$$-$tag" 2>/dev/null | grep -ciE '\b(up|active|ready)\b')" -ge $# ] && break
		sleep 0.1
	done
	ix "$bin" status "mpb$$-$tag" >"$out/status-$tag.txt" 2>&1 || true
}
serve_stop() {
	kill "$isn_pid" 2>/dev/null || true
	wait "$isn_pid" 2>/dev/null || true
	isn_pid=''
}

# ---- (a) striping --------------------------------------------------------
stripe_fio() { # tag rw
	local json=$out/stripe-$1-$2.json
	fio --name="$2" --ioengine=nbd --uri="nbd+unix:///?socket=$sock" --rw="$2" --bs=1M \
		--iodepth=32 --size=${lun_mb}M --time_based --runtime="$secs" --ramp_time=2 \
		--output-format=json --output="$json" >/dev/null
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["jobs"][0]
print("%.1f" % ((d["read"]["bw_bytes"] + d["write"]["bw_bytes"]) / 2**20))' "$json"
}

# ---- (b) failover --------------------------------------------------------
# fail_fio TAG RW: 4 KiB RW QD16 with a per-I/O completion log, epoch ms.
fail_fio() {
	local tag=$1
	# shellcheck disable=SC2086 # MP_FIO_EXTRA: more fio options, for investigating
	fio --name=fail --ioengine=nbd --uri="nbd+unix:///?socket=$sock" --rw=$2 --bs=4k ${MP_FIO_EXTRA:-} \
		--iodepth=16 --size=${lun_mb}M --time_based --runtime="$fsecs" \
		--write_lat_log="$work/$tag" --log_unix_epoch=1 \
		--output-format=json --output="$out/fail-$tag.json" >/dev/null 2>"$out/fail-$tag.fio.err" &
	fio_pid=$!
}

# stall TAG EVENT_MS: longest gap between completions spanning the event,
# baseline (longest gap before it), max completion latency after it, errors.
stall() {
	python3 "$top/bench/mp-stall.py" "$1" "$2" "$3" "$4"
}

event() { # kind 1|2 down|up
	case $1-$3 in
	pull-down) ix ip link set ini$2 down ;;
	pull-up) ix ip link set ini$2 up; shape $2 ;;
	# This host kernel has no sch_netem; the blackhole qdisc drops every
	# packet while reporting success, so it is just as silent.
	silent-down) tx tc qdisc replace dev tgt$2 root netem loss 100% 2>/dev/null ||
		tx tc qdisc replace dev tgt$2 root blackhole ;;
	silent-up) shape $2 ;;
	esac
}

if [ -z "${MP_SKIP_HOST:-}" ]; then
	host_setup
	stripe_runs() {
	echo "== (a) striping, $rate per path"
	for rw in read write; do
		serve_start one-$rw 10.1.0.1
		one=$(stripe_fio one $rw)
		serve_stop
		serve_start two-$rw 10.1.0.1 10.2.0.1
		two=$(stripe_fio two $rw)
		serve_stop
		printf 'stripe\tseq-%s-1M-qd32\t%s\t%s\n' "$rw" "$one" "$two" >>"$tsv"
		echo "  seq $rw: one path $one MiB/s, two paths $two MiB/s"
	done
	}

	# randwrite is the figure; randread shows detection and re-issue alone
	# (reads are not held by the ghost-write fence, see src/path/device.h).
	# The last two runs: the same after `tgtadm ... DefaultTime2Retain 0`
	# on the target, which shortens that fence to Time2Wait (2 s).
	runs=(
		"pull plain randwrite" "pull iface randwrite" "pull plain randread" "pull iface randread"
		"silent plain randwrite" "silent iface randwrite" "silent plain randread"
		"t2r0" "pull ifacer0 randwrite" "silent plainr0 randwrite"
	)
	# MP_RUNS="pull iface randwrite,t2r0,...": a subset, for investigating.
	[ -n "${MP_RUNS:-}" ] && IFS=, read -r -a runs <<<"$MP_RUNS"
	[ -n "${MP_SKIP_STRIPE:-}" ] || stripe_runs
	echo "== (b) failover stall, serve, default settings"
	for r in "${runs[@]}"; do
		if [ "$r" = t2r0 ]; then
			tx tgtadm -C $ctl --lld iscsi --op update --mode target --tid 1 \
				--name DefaultTime2Retain --value 0
			continue
		fi
		read -r kind bind rw <<<"$r"
		tag=host-$kind-$bind-$rw
		case $bind in
		iface*) serve_start "$tag" 10.1.0.1@ini1 10.2.0.1@ini2 ;;
		*) serve_start "$tag" 10.1.0.1 10.2.0.1 ;;
		esac
		fail_fio "$tag" $rw
		sleep "$ev_at"
		t_ev=$(now_ms)
		event $kind 1 down
		# Where the requests are during the failover, for the report.
		(sleep 4; ix "$bin" status "mpb$$-$tag" >"$out/status-$tag-during.txt" 2>&1) &
		st_pid=$!
		wait "$fio_pid" || true
		fio_pid=''
		wait "$st_pid" || true
		event $kind 1 up
		serve_stop
		line=$(stall "$work/${tag}_clat.1.log" "$t_ev" "$out/fail-$tag.json" "$out/$tag.dat")
		printf 'stall\t%s\t%s\n' "$tag" "$line" >>"$tsv"
		echo "  $tag: $line"
		sleep 1
	done
	echo "load after host part: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
fi

# ---- (c) UML: kernel stack beside iscsi-nbd attach ----------------------
if [ -z "${MP_SKIP_UML:-}" ]; then
	echo "== (c) UML guest: open-iscsi + dm-multipath vs iscsi-nbd attach"
	rm -rf "$build/tests/uml/logs/mp-bench"
	set +e
	UML_TIMEOUT=${MP_UML_TIMEOUT:-1200} UML_NAME=mp-bench top_builddir=$build \
		bash "$top/tests/uml/run.sh" "$top/bench/mp-uml-guest.sh" \
		MP_EVENT_AT="$ev_at" MP_FAIL_SECONDS="${MP_UML_FAIL_SECONDS:-20}" >"$out/uml-run.log" 2>&1
	rc=$?
	set -e
	tail -1 "$out/uml-run.log"
	logs=$build/tests/uml/logs/mp-bench
	if [ -f "$logs/results.tsv" ]; then
		cat "$logs/results.tsv" >>"$tsv"
		cp "$logs"/*.dat "$out/" 2>/dev/null || true
	else
		echo "mp-bench: UML part failed (rc $rc), see $out/uml-run.log" >&2
	fi
	echo "load after UML part: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
fi

# ---- table and plot --------------------------------------------------------
python3 "$top/bench/mp-table.py" "$tsv" "$rate" "$secs" "$out/load.txt" >"$out/mp-bench.md"
if ls "$out"/uml-*-pull-*.dat >/dev/null 2>&1; then
	(cd "$out" && gnuplot -e "dir='$out'" "$top/bench/plot.gp") && echo "plot: $out/mp-failover.png"
fi
echo
cat "$out/mp-bench.md"
