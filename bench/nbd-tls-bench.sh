#!/usr/bin/env bash
# NBD over TLS, side by side in one run on one target (issue 14):
#   - iscsi-nbd serve --tls on  over TLS   (X.509)
#   - qemu-nbd (libiscsi) with tls-creds-x509, the same certificates
#   - iscsi-nbd serve --tls on  in plaintext (the same daemon: --tls on
#     serves both), to show what TLS costs us
# One tgtd in a private network namespace, its LUN a file in /dev/shm,
# everything over that namespace's loopback; fio's nbd engine drives all
# three with the same jobs, in interleaved rounds (round 1: every peer,
# every job; round 2: ...), so a load change on the machine hits all of
# them alike. The table gives the median and the range over the rounds,
# and the server process's CPU (user+system) per GiB moved.
#
# Why X.509 and not PSK: fio takes a libnbd URI and libnbd refuses
# tls-psk-file= (a local file) unless the program allows it, which fio does
# not; certificates come from libnbd's default directory instead
# ($HOME/.pki/libnbd for a user that is not root), so fio runs as nobody.
#
# Usage: bench/nbd-tls-bench.sh [BUILD_DIR]   (as root)
# Env:   BENCH_SECONDS (per run, default 10), BENCH_ROUNDS (default 3),
#        BENCH_LUN_MB (default 1024), BENCH_OUT (default BUILD_DIR/bench/nbd-tls-bench.md)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
bin=$build/iscsi-nbd
secs=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
lun_mb=${BENCH_LUN_MB:-1024}
out=${BENCH_OUT:-$build/bench/nbd-tls-bench.md}

me=nbd-tls-bench
# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"
bench_require tgtd tgtadm fio qemu-nbd openssl setpriv ip python3
fio --enghelp 2>/dev/null | grep -qw nbd || { echo "nbd-tls-bench: this fio has no nbd engine" >&2; exit 1; }
iqn=iqn.2026-12.org.iscsi-nbd:tls-bench
bench_tgtd $iqn
chmod 755 "$work"

# Certificates: one CA, a server certificate for 127.0.0.1, a client one for libnbd.
x=$work/x509
mkdir -p "$x/srv" "$work/home/.pki/libnbd"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$x/ca-key.pem" \
	-out "$x/ca-cert.pem" -days 2 -subj /CN=bench-ca 2>/dev/null
for n in server client; do
	if [ $n = server ]; then ext='subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'; else ext='extendedKeyUsage=clientAuth'; fi
	printf "$ext\n" >"$x/$n.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$x/$n-key.pem" \
		-out "$x/$n.csr" -subj "/CN=bench-$n" 2>/dev/null
	openssl x509 -req -in "$x/$n.csr" -CA "$x/ca-cert.pem" -CAkey "$x/ca-key.pem" -CAcreateserial \
		-days 2 -out "$x/$n-cert.pem" -extfile "$x/$n.ext" 2>/dev/null
done
cp "$x/ca-cert.pem" "$x/server-cert.pem" "$x/server-key.pem" "$x/srv/"
cp "$x/ca-cert.pem" "$x/client-cert.pem" "$x/client-key.pem" "$work/home/.pki/libnbd/"
mkdir -p "$work/fio"
chown -R 65534:65534 "$work/home" "$work/fio"

wait_port() {
	local i
	for i in $(seq 300); do nsx bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "nbd-tls-bench: nothing listens on port $1" >&2
	return 1
}

echo "== starting iscsi-nbd serve --tls on (port 10809) and qemu-nbd with TLS (port 10810)"
ip netns exec $ns "$bin" serve -t $iqn -l 1 -P 127.0.0.1 --listen 127.0.0.1:10809 --tls on \
	--tls-certificates "$x/srv" -f --name tlsbench-$$ >"$work/isn.log" 2>&1 &
isn_pid=$!
bench_track "$isn_pid"
ip netns exec $ns qemu-nbd -f raw -t --cache=none -b 127.0.0.1 -p 10810 -x "" \
	--object "tls-creds-x509,id=tls0,endpoint=server,dir=$x/srv,verify-peer=off" --tls-creds tls0 \
	"iscsi://127.0.0.1/$iqn/1" >"$work/qemu.log" 2>&1 &
q_pid=$!
bench_track "$q_pid"
wait_port 10809
wait_port 10810

# name rw bs iodepth
jobs=("seq-read-1M-qd32 read 1M 32" "rand-read-4K-qd32 randread 4k 32")
# peer uri pid
peers=("iscsi-nbd-tls nbds://127.0.0.1:10809/ $isn_pid"
	"qemu-nbd-tls nbds://127.0.0.1:10810/ $q_pid"
	"iscsi-nbd-plain nbd://127.0.0.1:10809/ $isn_pid")
hz=$(getconf CLK_TCK)
rev=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
results=$work/results.tsv
: >"$results"

for r in $(seq "$rounds"); do
	echo "== round $r of $rounds"
	for j in "${jobs[@]}"; do
		read -r name rw bs qd <<<"$j"
		for p in "${peers[@]}"; do
			read -r peer uri pid <<<"$p"
			json=$work/fio/$peer-$name-$r.json
			c0=$(cpu_ticks "$pid")
			nsx env HOME="$work/home" setpriv --reuid=65534 --regid=65534 --clear-groups \
				fio --name="$name" --ioengine=nbd --uri="$uri" --rw="$rw" --bs="$bs" \
				--iodepth="$qd" --size="${lun_mb}M" --time_based --runtime="$secs" \
				--ramp_time=1 --output-format=json --output="$json" >/dev/null
			c1=$(cpu_ticks "$pid")
			python3 - "$json" "$peer" "$name" "$c0" "$c1" "$hz" >>"$results" <<'EOF'
import json, sys
path, peer, name, c0, c1, hz = sys.argv[1:]
d = json.load(open(path))["jobs"][0]
bw = d["read"]["bw_bytes"] + d["write"]["bw_bytes"]
io = d["read"]["io_bytes"] + d["write"]["io_bytes"]
iops = d["read"]["iops"] + d["write"]["iops"]
rt = d["job_runtime"] / 1000.0
gib = io / 2**30 * (rt + 1.0) / rt if rt else 0  # CPU ticks span the ramp too
cpu = (int(c1) - int(c0)) / int(hz)
print(f"{peer}\t{name}\t{bw / 2**20:.1f}\t{iops:.0f}\t{cpu / gib if gib else 0:.3f}")
EOF
			echo "  $peer $name: $(tail -1 "$results" | awk -F'\t' '{print $3 " MiB/s, " $4 " IOPS, server CPU " $5 " s/GiB"}')"
		done
	done
done
grep -q 'TLS established' "$work/isn.log" || { echo "nbd-tls-bench: iscsi-nbd saw no TLS client" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
python3 - "$results" "$secs" "$rounds" "$lun_mb" "$rev" "$load0" >"$out" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
secs, rounds, lun, rev, load0 = sys.argv[2:7]
by = {}
for peer, name, bw, iops, cpu in rows:
    by.setdefault((peer, name), []).append((float(bw), int(iops), float(cpu)))
names = []
for _, n, *_ in rows:
    if n not in names:
        names.append(n)
def cell(v, i, fmt):
    xs = [x[i] for x in v]
    return f"{fmt(statistics.median(xs))} ({fmt(min(xs))}-{fmt(max(xs))})"
print(f"NBD over TLS: tgtd LUN of {lun} MiB in tmpfs, loopback, fio nbd engine (one connection), "
      f"{secs} s per run, {rounds} interleaved rounds; median (min-max).")
print("TLS: X.509 (ECDSA P-256), the same certificates for both servers; CPU = server process "
      "user+system s per GiB.")
print(f"iscsi-nbd {rev}; load average at the start {load0}.\n")
print("| job | iscsi-nbd TLS | qemu-nbd TLS | TLS ratio | iscsi-nbd plain | TLS/plain | CPU s/GiB ours TLS / qemu TLS / ours plain |")
print("|---|---|---|---|---|---|---|")
for n in names:
    a, q, p = by.get(("iscsi-nbd-tls", n)), by.get(("qemu-nbd-tls", n)), by.get(("iscsi-nbd-plain", n))
    unit = 0 if n.startswith("seq") else 1
    fmt = (lambda x: f"{x:.0f} MiB/s") if unit == 0 else (lambda x: f"{x:.0f} IOPS")
    med = lambda v: statistics.median(x[unit] for x in v)
    ratio = f"{med(a) / med(q):.2f}x" if a and q else "-"
    tp = f"{med(a) / med(p):.2f}" if a and p else "-"
    cpu = " / ".join(f"{statistics.median(x[2] for x in v):.2f}" if v else "-" for v in (a, q, p))
    print(f"| {n} | {cell(a, unit, fmt) if a else '-'} | {cell(q, unit, fmt) if q else '-'} | {ratio} "
          f"| {cell(p, unit, fmt) if p else '-'} | {tp} | {cpu} |")
EOF
echo
cat "$out"
