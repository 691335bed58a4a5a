#!/usr/bin/env bash
# Memory of the bridge under the heaviest load issue 11 names: 8 paths,
# 4 NBD connections, 128 requests of 1 MiB in flight (4 fio jobs x QD32,
# random 50/50 read/write), for BENCH_SECONDS (default 600). Samples the
# process's resident set (VmRSS) and its peak (VmHWM) every BENCH_STEP
# seconds (default 10) and prints them, so that "flat" can be read off the
# series, beside qemu-nbd (one libiscsi session, the same fio load) in the
# same run. One tgtd in a private network namespace, LUN in /dev/shm.
#
# Usage: bench/mem-bench.sh [BUILD_DIR]   (as root)
# Env:   BENCH_SECONDS, BENCH_STEP, BENCH_LUN_MB (default 1024),
#        BENCH_PEERS ("iscsi-nbd qemu-nbd", default both),
#        BENCH_OUT (table, default BUILD_DIR/bench/mem-bench.md)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
bin=$build/iscsi-nbd
secs=${BENCH_SECONDS:-600}
step=${BENCH_STEP:-10}
lun_mb=${BENCH_LUN_MB:-1024}
out=${BENCH_OUT:-$build/bench/mem-bench.md}
peers=" ${BENCH_PEERS:-iscsi-nbd qemu-nbd} "
want_peer() { [[ $peers == *" $1 "* ]]; }
npaths=8

me=mem-bench
# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_require tgtd tgtadm fio qemu-nbd ip python3
iqn=iqn.2026-11.org.iscsi-nbd:mem
bench_tgtd $iqn

kib() { # FIELD PID: a /proc/PID/status field in KiB
	awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status"
}

samples=$work/samples.tsv
: >"$samples"

# load PEER SOCK PID: fio for $secs, sampling the bridge's memory meanwhile.
load() {
	local peer=$1 sock=$2 pid=$3 fio_pid t=0
	nsx fio --name=mem --ioengine=nbd --uri="nbd+unix:///?socket=$sock" \
		--rw=randrw --bs=1M --iodepth=32 --numjobs=4 --size="${lun_mb}M" \
		--time_based --runtime="$secs" --group_reporting --output-format=json \
		--output="$work/$peer.json" >/dev/null &
	fio_pid=$!
	while kill -0 "$fio_pid" 2>/dev/null; do
		printf '%s\t%d\t%s\t%s\n' "$peer" "$t" "$(kib VmRSS "$pid")" "$(kib VmHWM "$pid")" >>"$samples"
		sleep "$step"
		t=$((t + step))
	done
	wait "$fio_pid" || { echo "mem-bench: fio against $peer failed" >&2; return 1; }
	printf '%s\t%d\t%s\t%s\n' "$peer" "$t" "$(kib VmRSS "$pid")" "$(kib VmHWM "$pid")" >>"$samples"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["jobs"][0]; print("%s\t%.1f" % (sys.argv[2], (d["read"]["bw_bytes"]+d["write"]["bw_bytes"])/2**20))' \
		"$work/$peer.json" "$peer" >>"$work/bw.tsv"
	echo "  $peer: peak RSS $(kib VmHWM "$pid") KiB, $(tail -1 "$work/bw.tsv" | cut -f2) MiB/s"
}

if want_peer iscsi-nbd; then
	echo "== iscsi-nbd serve, $npaths paths, 4 NBD connections, QD128 x 1 MiB, ${secs} s"
	portals=()
	for i in $(seq $npaths); do portals+=(-P "127.0.0.$i"); done
	ip netns exec $ns "$bin" serve -t $iqn -l 1 "${portals[@]}" --reservation none \
		--socket "$work/isn.sock" -f --name mem-$$ >"$work/isn.log" 2>&1 &
	isn_pid=$!
	bench_track "$isn_pid"
	wait_sock "$work/isn.sock"
	up=$(ip netns exec $ns "$bin" status mem-$$ 2>/dev/null | grep -c ACTIVE || true)
	echo "  paths ACTIVE: $up of $npaths"
	[ "$up" = $npaths ] || { echo "mem-bench: not all $npaths paths are up" >&2; cat "$work/isn.log" >&2; exit 1; }
	load iscsi-nbd "$work/isn.sock" "$isn_pid"
	kill "$isn_pid"
	wait "$isn_pid" || true
fi

if want_peer qemu-nbd; then
	echo "== qemu-nbd (libiscsi, one session), 4 NBD connections, QD128 x 1 MiB, ${secs} s"
	ip netns exec $ns qemu-nbd -f raw -t -e 8 -k "$work/qemu.sock" --cache=none "iscsi://127.0.0.1/$iqn/1" \
		>"$work/qemu.log" 2>&1 &
	q_pid=$!
	bench_track "$q_pid"
	wait_sock "$work/qemu.sock"
	load qemu-nbd "$work/qemu.sock" "$q_pid"
	kill "$q_pid"
	wait "$q_pid" || true
fi

rev=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
mkdir -p "$(dirname "$out")"
python3 - "$samples" "$secs" "$step" "$rev" "$work/bw.tsv" >"$out" <<'PY'
import sys, statistics
path, secs, step, rev, bwp = sys.argv[1:]
bw = dict(l.split() for l in open(bwp))
rows = [l.split("\t") for l in open(path) if l.strip()]
by = {}
for peer, t, rss, hwm in rows:
    by.setdefault(peer, []).append((int(t), int(rss), int(hwm)))
print(f"Bridge memory under 4 NBD connections x QD32 x 1 MiB randrw for {secs} s, sampled every {step} s.")
print(f"iscsi-nbd {rev} with 8 paths; qemu-nbd with one libiscsi session. MiB = 1024 KiB.\n")
print("| peer | MiB/s moved | RSS first minute (MiB) | RSS last minute (MiB) | RSS median (MiB) | peak VmHWM (MiB) | samples |")
print("|---|---|---|---|---|---|---|")
for peer, s in by.items():
    end = s[-1][0]
    first = [r for t, r, h in s if 0 < t <= 60] or [s[0][1]]
    last = [r for t, r, h in s if t >= end - 60] or [s[-1][1]]
    print(f"| {peer} | {bw.get(peer, '-')} | {max(first)/1024:.1f} | {max(last)/1024:.1f} | "
          f"{statistics.median(r for _, r, _ in s)/1024:.1f} | {max(h for *_, h in s)/1024:.1f} | {len(s)} |")
print()
for peer, s in by.items():
    print(f"{peer} RSS series (MiB): " + " ".join(f"{r/1024:.0f}" for _, r, _ in s))
PY
cat "$out"
