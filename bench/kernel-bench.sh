#!/usr/bin/env bash
# Kernel-path benchmark (`make bench-kernel`): /dev/nbd0 from `iscsi-nbd
# attach` against the kernel's own stack, open-iscsi + dm-multipath
# round-robin on /dev/dm-N, both in one User-Mode Linux guest over the same
# tgtd target and the same two paths (the host kernel has no nbd module).
# The guest half is bench/kernel-uml-guest.sh; this script boots it through
# tests/uml/run.sh, then writes the report (bench/kernel-table.py) and the
# plot (bench/kernel-plot.gp) to BUILD_DIR/bench/, copies the report and
# plot to docs/bench/kernel-bench.{md,png} and the short table into
# README.md between <!-- bench:kernel:begin --> and <!-- bench:kernel:end -->.
#
# Usage: bench/kernel-bench.sh [BUILD_DIR]     (`make bench-kernel` passes it)
# Env:   BENCH_ROUNDS (>= 3, default 3), BENCH_SECONDS (per fio job, default 8),
#        BENCH_LUN_MB (default 128), BENCH_WARMUP (s, default 2),
#        BENCH_VARIANTS='name=extra attach args;...' (one more attach per
#        entry, on its own LUN and /dev/nbdN, e.g. 'nocoal=--coalesce-us 0'),
#        BENCH_ROWS (a subset of the fio rows), BENCH_PROBE=0 (no system call
#        counts), BENCH_DOCS (yes: write docs/bench/kernel-bench.* and the
#        README table; default yes, no when BENCH_ROWS picks a subset)
set -euo pipefail

t_start=$SECONDS
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top}" && pwd)
bin=$build/iscsi-nbd
out=$build/bench
rounds=${BENCH_ROUNDS:-3}
secs=${BENCH_SECONDS:-8}
lun_mb=${BENCH_LUN_MB:-128}
warm=${BENCH_WARMUP:-2}
me=kernel-bench

for t in python3 gnuplot; do
	command -v $t >/dev/null || { echo "$me: $t missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "$me: $bin not built (make)" >&2; exit 1; }
case $rounds in '' | *[!0-9]*) echo "$me: BENCH_ROUNDS must be a number" >&2; exit 1 ;; esac
[ "$rounds" -ge 3 ] || { echo "$me: BENCH_ROUNDS must be at least 3 (median and range)" >&2; exit 1; }

# Guest memory: the LUNs live in the guest's tmpfs, and every attach
# daemon locks its memory (about 120 MiB resident each in the guest).
nvar=0
if [ -n "${BENCH_VARIANTS:-}" ]; then
	nvar=$(tr ';' '\n' <<<"$BENCH_VARIANTS" | grep -c '[^[:space:]]' || true)
fi
mem=$((448 + (2 + nvar) * lun_mb + 128 * nvar))
[ $mem -ge 768 ] || mem=768
nrows=$(wc -w <<<"${BENCH_ROWS:-a b c d e f}")
if [ -z "${BENCH_ROWS:-}" ]; then docs=${BENCH_DOCS:-yes}; else docs=${BENCH_DOCS:-no}; fi
# Bound of the whole guest run: setup, warm-up, jobs (with fio's start in
# UML), the probe; twice that for a loaded machine.
bound=$(((60 + (2 + nvar) * (2 * (warm + 3) + rounds * nrows * (secs + 4)) + 60) * 2))

mkdir -p "$out"
host=$out/kernel-host.txt
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)
echo "$me: $(date -u +%FT%TZ), commit $commit; host: $cpu, $(nproc) CPUs, load $load_before"
echo "$me: $rounds rounds, $secs s per job, LUNs $lun_mb MiB, guest ${mem}M, bound ${bound}s"

# One host system call for scale (the guest measures its own the same way).
n=200000
w0=$(date +%s%N)
dd if=/dev/zero of=/dev/null bs=1 count=$n status=none
w1=$(date +%s%N)
host_ns=$(((w1 - w0) / (2 * n)))

rm -rf "$build/tests/uml/logs/kernel-bench"
set +e
UML_TIMEOUT=$bound UML_MEM=${mem}M UML_NAME=kernel-bench top_builddir=$build \
	bash "$top/tests/uml/run.sh" "$top/bench/kernel-uml-guest.sh" \
	BENCH_SECONDS="$secs" BENCH_ROUNDS="$rounds" BENCH_LUN_MB="$lun_mb" BENCH_WARMUP="$warm" \
	BENCH_VARIANTS="${BENCH_VARIANTS:-}" BENCH_PROBE="${BENCH_PROBE:-1}" \
	${BENCH_ROWS:+BENCH_ROWS="$BENCH_ROWS"} >"$out/kernel-uml-run.log" 2>&1
rc=$?
set -e
tail -1 "$out/kernel-uml-run.log"
logs=$build/tests/uml/logs/kernel-bench
if [ $rc != 0 ] || [ ! -s "$logs/results.tsv" ]; then
	echo "$me: the guest part failed (rc $rc); see $out/kernel-uml-run.log and $logs" >&2
	tail -40 "$out/kernel-uml-run.log" >&2
	exit 1
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
wall=$((SECONDS - t_start))
cmd="make bench-kernel"
[ -z "${BENCH_VARIANTS:-}" ] || cmd="BENCH_VARIANTS='$BENCH_VARIANTS' $cmd"
{
	printf 'commit\t%s\n' "$commit"
	printf 'date\t%s\n' "$(date -u +%F)"
	printf 'cpu\t%s\n' "$cpu"
	printf 'nproc\t%s\n' "$(nproc)"
	printf 'load_before\t%s\n' "$load_before"
	printf 'load_after\t%s\n' "$load_after"
	printf 'wall\t%s\n' "$wall"
	printf 'warmup\t%s\n' "$warm"
	printf 'syscall_ns\t%s\n' "$host_ns"
	printf 'command\t%s\n' "$cmd"
} >"$host"
python3 "$top/bench/kernel-table.py" "$logs" "$host" "$out"
nstacks=$((2 + nvar))
rows4k=$(($(wc -l <"$out/kernel-bench-4k.dat") - 1))
rows1m=$(($(wc -l <"$out/kernel-bench-1m.dat") - 1))
gnuplot -e "dir='$out'; n=$nstacks; rows4k=$rows4k; rows1m=$rows1m" "$top/bench/kernel-plot.gp"
printf '\nPlot: kernel-bench.png beside this file.\n' >>"$out/kernel-bench.md"
echo "$me: report $out/kernel-bench.md, plot $out/kernel-bench.png"

if [ "$docs" = yes ]; then
	mkdir -p "$top/docs/bench"
	cp "$out/kernel-bench.md" "$top/docs/bench/kernel-bench.md"
	cp "$out/kernel-bench.png" "$top/docs/bench/kernel-bench.png"
	{
		echo
		echo "Median of $rounds interleaved rounds (\`make bench-kernel\`, commit $commit, load $load_before;"
		echo "table, CPU per GiB and the system-call analysis in \`docs/bench/kernel-bench.md\`)."
		if awk -v l="${load_before%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
			echo "Taken on a loaded machine (load above its $(nproc) CPUs): for choosing, not final."
		fi
		echo
		cat "$out/readme-table.md"
		echo
	} >"$out/readme-section.md"
	python3 "$top/bench/report-insert.py" "$top/README.md" bench:kernel "$out/readme-section.md"
	echo "$me: docs/bench/kernel-bench.md, docs/bench/kernel-bench.png and README.md updated"
fi
echo
cat "$out/kernel-bench.md"
echo
echo "$me: wall time $((SECONDS - t_start)) s"
