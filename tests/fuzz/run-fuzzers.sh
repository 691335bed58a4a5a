#!/usr/bin/env bash
# Build the fuzz targets with clang + libFuzzer (+ ASan/UBSan) in $1 and run
# each for $2 seconds from its seed corpus. New inputs go to a scratch copy;
# the tree's corpus is not modified. Fails on any crash, leak or timeout.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:?build dir}
secs=${2:-20}
rm -rf "$dir"
mkdir -p "$dir"
(cd "$dir" && "$top/configure" -q CC=clang --enable-fuzzing --enable-sanitizers)
make -C "$dir" -j"$(nproc)" >"$dir/build.log" 2>&1 || { tail -40 "$dir/build.log"; exit 1; }
found=0
for f in "$dir"/tests/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	case "$f" in *.o | *.log | *.trs) continue ;; esac
	name=$(basename "$f")
	name=${name#fuzz_}
	work=$dir/corpus-$name
	mkdir -p "$work"
	cp "$top/tests/fuzz/corpus/$name/"* "$work/" 2>/dev/null || true
	echo "fuzz_$name: ${secs}s"
	(cd "$dir" && "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$work" >"$dir/fuzz_$name.log" 2>&1) || {
		tail -60 "$dir/fuzz_$name.log"
		exit 1
	}
	grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$dir/fuzz_$name.log" | sed 's/^/  /'
	found=$((found + 1))
done
echo "fuzzers run: $found"
[ "$found" -gt 0 ]
