#!/bin/bash
# tests/integration/mp-hostile-relay.sh through the kernel: `iscsi-nbd
# attach` exports tgtd's LUN 1 as /dev/nbd0 over two networks; path 1 goes
# through the relay of tests/integration/hostile-target.py (proxy mode)
# that corrupts every 5th read of four or more Data-In PDUs (4 KiB each:
# --max-recv-dsl 4096): its last Data-In cut to half (short read, GOOD
# status), a middle one dropped, duplicated, or two swapped, in turn.
# fio (libaio, O_DIRECT, random writes read back with crc32c verify) on
# /dev/nbd0 must end with no error, the kernel must log no I/O error for
# nbd0, the relay must really have corrupted reads, and the daemon's log
# must blame path0 (never path1) for them (issue 9 part 1).
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires tgtd tgtadm fio
[ -x /usr/bin/python3 ] || { echo "SKIP: missing: /usr/bin/python3" >&2; exit 77; }
uml_guest "$0" "$@"

load_modules nbd veth
net2_setup
tgtd_start 128
relay_log=$UML_OUT/relay.log
: >"$relay_log"
ip netns exec "$TGT_NS" /usr/bin/python3 "$top_srcdir/tests/integration/hostile-target.py" \
	proxy 3261 "$TGT_IP1:3260" mix --every 5 --addr "$TGT_IP1" --log "$relay_log" \
	2>"$UML_OUT/relay.err" &
RELAY_PID=$!
on_exit "kill $RELAY_PID 2>/dev/null"
wait_for 20 sh -c "ip netns exec $TGT_NS ss -ltn | grep -q ':3261 '" ||
	fail "the relay does not listen: $(cat "$UML_OUT/relay.err")"

export ISCSI_NBD_RUNDIR=/run/iscsi-nbd
isn_attach 60 -- -t "$TGT_IQN" -l 1 -P "$TGT_IP1:3261" -P "$TGT_IP2" \
	--policy round-robin --no-path-retry 30 --max-recv-dsl 4096 --device /dev/nbd0
dev=$ISN_DEV

fio --name=relay --filename="$dev" --ioengine=libaio --direct=1 --rw=randwrite \
	--bsrange=4k-64k --iodepth=16 --size=64M --verify=crc32c --do_verify=1 \
	--verify_fatal=1 --verify_backlog=32 --time_based --runtime="${FIO_SECONDS:-15}" \
	--output="$UML_OUT/fio.out" >"$UML_OUT/fio.stdout" 2>"$UML_OUT/fio.err"
rc=$?
"$ISN_BIN" status >&2
faults=$(grep -c " fault " "$relay_log")
log "the relay corrupted $faults reads: $(grep -o 'fault [a-z]*' "$relay_log" | sort | uniq -c | tr '\n' ' ')"
[ "$faults" -gt 0 ] || fail "the relay corrupted nothing: the test proved nothing"
if [ $rc != 0 ] || grep -E -q "verify|err=[ ]*[1-9]" "$UML_OUT/fio.err"; then
	head -n 20 "$UML_OUT/fio.err" >&2
	fail "fio: exit $rc: a corrupt read reached /dev/nbd0"
fi
dmesg | grep -E -i "nbd0.*(error|fail)" && fail "the kernel logged I/O errors on nbd0"
grep -E -q "path0.*(Data-In|DataSN|protocol|offset)" "$UML_OUT/iscsi-nbd.log" ||
	fail "the daemon's log does not name path0 for the corrupt Data-In"
grep -E "path1.*(Data-In|DataSN|protocol)" "$UML_OUT/iscsi-nbd.log" &&
	fail "the daemon blamed path1, whose data was never touched"
log "fio: no error over $(grep -o 'io=[^,]*' "$UML_OUT/fio.out" | tr '\n' ' ')"
exit 0
