#!/bin/bash
# Hybrid polling on the kernel path: in one User-Mode Linux guest, tgtd
# over two veth networks and `iscsi-nbd attach` on /dev/nbd0, fio (libaio,
# O_DIRECT) 4 KiB random reads and writes at QD1 (and reads at QD16) with
# each --poll-us value in turn, POLL_ROUNDS rounds, attaching again for
# each run. Prints one line per run: round, value, job, IOPS, the daemon's
# CPU seconds over the run, and its polling counters.
#
# By hand (as root, from a build tree):
#   POLL_VALUES="0 50" bash SRC/tests/uml/run.sh SRC/bench/poll-uml-guest.sh
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/uml/lib.sh"
requires tgtd fio python3
isn_require_attach
uml_guest "$0" POLL_VALUES="${POLL_VALUES:-0 50}" POLL_ROUNDS="${POLL_ROUNDS:-2}" \
	POLL_SECONDS="${POLL_SECONDS:-8}"
# --- root inside the guest from here on ---

load_modules nbd veth
net2_setup
tgtd_start 256
dd if=/dev/zero of="$TGT_BACKING" bs=1M count=256 conv=notrunc status=none
hz=$(getconf CLK_TCK)
log "CPUs in the guest: $(nproc)"
for r in $(seq "$POLL_ROUNDS"); do
	for v in $POLL_VALUES; do
		isn_attach 30 -- -t "$TGT_IQN" -l 1 -P "$TGT_IP1" -P "$TGT_IP2" --poll-us "$v"
		for j in randread:1 randwrite:1 randread:16; do
			IFS=: read -r rw qd <<<"$j"
			c0=$(awk '{ print $14 + $15 }' /proc/$ISN_PID/stat)
			fio --name=p --filename="$ISN_DEV" --ioengine=libaio --direct=1 --rw="$rw" \
				--bs=4k --iodepth="$qd" --time_based --runtime="$POLL_SECONDS" \
				--ramp_time=1 --output-format=json --output=/scratch/p.json >/dev/null ||
				fail "fio $j --poll-us $v"
			c1=$(awk '{ print $14 + $15 }' /proc/$ISN_PID/stat)
			st=$("$ISN_BIN" status --json "$(basename "$ISN_DEV")" 2>/dev/null)
			python3 - /scratch/p.json "$r" "$v" "$j" "$c0" "$c1" "$hz" "$st" <<'PY'
import json, sys
path, r, v, j, c0, c1, hz, st = sys.argv[1:]
d = json.load(open(path))["jobs"][0]
iops = d["read"]["iops"] + d["write"]["iops"]
try:
    p = json.loads(st[st.index("{"):]).get("poll") or {}
except ValueError:
    p = {}
print(f"POLLUML\t{r}\t{v}\t{j}\t{iops:.0f}\tcpu_s={(int(c1) - int(c0)) / int(hz):.2f}"
      f"\tspins={p.get('spins', '-')}\thits={p.get('hits', '-')}\tspin_s={p.get('spin_seconds', '-')}")
PY
		done
		isn_detach
	done
done
log "done"
exit 0
