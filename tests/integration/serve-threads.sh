#!/bin/sh
# `iscsi-nbd serve --threads 3 --sched batch` (two NBD worker threads,
# the paths on the main loop, every thread SCHED_BATCH) over two networks
# to a tgtd LUN (tests/mp-lib.sh); every byte is checked:
# - nbdcopy: a random 64 MiB file in and back out over 4 connections
#   (more connections than workers), identical to the file and to tgtd's
#   backing file;
# - several clients at once: two fio runs of 2 connections each (randrw,
#   crc32c verify, fatal) on disjoint quarters, no error;
# - status --json while they run lists their sockets (read across the
#   threads) with requests and bytes counted;
# - detach under load: fio is still writing when `iscsi-nbd detach`
#   comes; the daemon drains every worker's connections, flushes, logs
#   out, joins its threads and exits 0.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
requires_isn detach
requires nbdcopy cmp chrt
py=/usr/bin/python3
size=$((64 * 1048576))

mp_networks 2
mp_target 64
mp_serve --threads 3 --sched batch
uri=$mp_uri
log=$mp_log
status_json() { mp_status_json; }
grep -q "2 NBD worker thread" "$log" || fail "no worker threads started: $(tail -20 "$log")"
# --sched batch: the main thread and every worker have SCHED_BATCH.
nthr=0
for t in /proc/"$mp_pid"/task/*; do
	pol=$(chrt -p "${t##*/}") || fail "chrt -p ${t##*/}"
	case $pol in *SCHED_BATCH*) ;; *) fail "thread ${t##*/} of the daemon: $pol" ;; esac
	nthr=$((nthr + 1))
done
[ "$nthr" -ge 3 ] || fail "expected the main thread and 2 workers, found $nthr threads"
info "--sched batch: all $nthr threads of the daemon run SCHED_BATCH"

# ---- nbdcopy in and out over 4 connections -------------------------------------
random_file "$isn_tmp/in" "$size"
timeout 60 nbdcopy --connections=4 --flush "$isn_tmp/in" "$uri" || fail "nbdcopy into the export"
timeout 60 nbdcopy --connections=4 "$uri" "$isn_tmp/out" || fail "nbdcopy out of the export"
cmp "$isn_tmp/in" "$isn_tmp/out" || fail "nbdcopy: read back differs from what was written"
cmp "$isn_tmp/in" "$mp_disk" || fail "nbdcopy: backing file differs from what was written"
info "nbdcopy: 64 MiB in and out over 4 connections, identical, backing file identical"

# ---- several clients at once, status across threads ----------------------------
fio_run() { # NAME OFFSET_MIB
	(cd "$isn_tmp" && timeout -k 5 90 fio --name="$1" --ioengine=nbd --uri="$uri" \
		--rw=randrw --bssplit=4k/40:64k/40:1m/20 --iodepth=16 --numjobs=2 \
		--size=16M --offset="$2M" --offset_increment=16M --loops=6 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
		--random_generator=tausworthe64 --output="$isn_tmp/$1.out")
}
fio_run fa 0 &
fa=$!
cleanup_add kill_quiet "$fa"
fio_run fb 32 &
fb=$!
cleanup_add kill_quiet "$fb"
# Status while they run: at least one socket with traffic, counted on its worker.
seen=
i=0
while [ $i -lt 100 ] && kill -0 "$fa" 2>/dev/null; do
	status_json >"$isn_tmp/status.json" || fail "status --json failed under load"
	if "$py" - "$isn_tmp/status.json" <<'EOF'; then
import json, sys
d = json.load(open(sys.argv[1]))
socks = d.get("sockets", [])
busy = [s for s in socks if s["requests"] > 0 and s["bytes_written"] > 0]
sys.exit(0 if len(busy) >= 2 else 1)
EOF
		seen=1
		break
	fi
	i=$((i + 1))
	sleep 0.1
done
[ -n "$seen" ] || fail "status never showed two busy sockets: $(cat "$isn_tmp/status.json")"
wait "$fa" || fail "fio fa failed: $(tail -20 "$isn_tmp/fa.out")"
wait "$fb" || fail "fio fb failed: $(tail -20 "$isn_tmp/fb.out")"
for f in fa fb; do
	nok=$(grep -c -E '\(groupid=[0-9]+, jobs=[0-9]+\): err= *0:' "$isn_tmp/$f.out")
	[ "$nok" = 2 ] || fail "fio $f: $nok of 2 jobs with err=0: $(tail -20 "$isn_tmp/$f.out")"
done
info "4 fio connections at once (randrw, crc32c verify), status read across threads: ok"

# ---- detach under load -----------------------------------------------------------
(cd "$isn_tmp" && fio --name=load --ioengine=nbd --uri="$uri" --rw=randwrite --bs=64k \
	--iodepth=32 --numjobs=3 --size=16M --offset_increment=16M --time_based \
	--runtime=60 --output="$isn_tmp/load.out" >/dev/null 2>&1) &
fl=$!
cleanup_add kill_quiet "$fl"
# A moment of load is the scenario, not a wait for an event.
sleep 1
kill -0 "$fl" 2>/dev/null || fail "fio ended before the detach: $(tail "$isn_tmp/load.out")"
expect_rc 0 timeout 40 "$isn_bin" detach mp
if wait "$mp_pid"; then rc=0; else rc=$?; fi
mp_pid=
[ "$rc" = 0 ] || fail "iscsi-nbd serve --threads 3 exited $rc after a detach under load"
grep -q "did not stop" "$log" && fail "a worker thread did not stop: $(grep 'did not stop' "$log")"
wait "$fl" 2>/dev/null || true
info "detach under load: drained, threads joined, exit 0"
exit 0
