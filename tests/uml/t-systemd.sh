#!/bin/bash
# The systemd unit's command, run as systemd runs it: ExecStart from
# systemd/iscsi-nbd@.service.in (instance "store", %i substituted) with
# NOTIFY_SOCKET pointing at a datagram socket this test listens on, and
# the configuration in $ISCSI_NBD_CONFDIR/store.conf. Proves that:
# - READY=1 arrives once /dev/nbd0 exists (Type=notify ordering is real),
#   and STATUS= says "2/2 paths up", then "1/2 paths up" when a cable is
#   pulled and "2/2" again when it is plugged back;
# - `iscsi-nbd status store` reaches the daemon by the configuration's name;
# - SIGTERM (systemd's stop) sends STOPPING=1, disconnects the device and
#   exits 0 well within TimeoutStopSec;
# - with every cable pulled (no path left) the stop is still bounded and
#   the device is released;
# - [target] discovery (one SendTargets portal per network) instead of
#   portal keys gives the same two paths.
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires tgtd tgtadm python3
unit_in=$top_srcdir/systemd/iscsi-nbd@.service.in
[ -f "$unit_in" ] || fail "$unit_in missing"
UML_SANITIZER_OK=1 uml_guest "$0"

load_modules nbd veth
net2_setup
tgtd_start 64
export ISCSI_NBD_RUNDIR=/run/iscsi-nbd ISCSI_NBD_CONFDIR=/scratch/etc
mkdir -p "$ISCSI_NBD_CONFDIR"
cat >"$ISCSI_NBD_CONFDIR/store.conf" <<EOC
[target]
name = $TGT_IQN
lun = 1
portal = $TGT_IP1
portal = $TGT_IP2
[path]
no_path_retry = 3s
nop_interval = 500ms
nop_timeout = 2s
[attach]
device = /dev/nbd0
connections = 1
EOC
"$ISN_BIN" config --check store || fail "store.conf is not valid"

# ExecStart as systemd would run it.
exec_start=$(sed -n "s|^ExecStart=@sbindir@/iscsi-nbd |$(dirname "$ISN_BIN")/iscsi-nbd |p" "$unit_in")
exec_start=${exec_start//%i/store}
[ -n "$exec_start" ] || fail "no ExecStart in the unit"
timeout_stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s$/\1/p' "$unit_in")
[ -n "$timeout_stop" ] || fail "no TimeoutStopSec=Ns in the unit"

notify=/scratch/notify.sock
notes=$UML_OUT/notify.log
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
' "$notify" "$notes" &
listener=$!
on_exit "kill $listener 2>/dev/null"
wait_for 10 test -S "$notify" || fail "notify listener did not start"

# start: run ExecStart; sets PID.
start() {
	: >"$notes"
	log "ExecStart: $exec_start"
	NOTIFY_SOCKET=$notify $exec_start >>"$UML_OUT/iscsi-nbd.log" 2>&1 &
	PID=$!
	on_exit "kill_wait $PID 5"
	wait_for 60 grep -q '^READY=1' "$notes" || fail "no READY=1 within 60 s"
	blockdev_has_size /dev/nbd0 || fail "READY=1 before /dev/nbd0 has a size"
	log "READY=1; /dev/nbd0 $(blockdev_size /dev/nbd0) bytes"
}
# status_is TEXT: the last STATUS= sent contains TEXT.
status_is() {
	grep "^STATUS=" "$notes" | tail -1 | grep -q "$1"
}
# stop: what systemd does: SIGTERM, then wait at most TimeoutStopSec.
stop() {
	local t0=$SECONDS rc
	kill -TERM "$PID"
	wait_for "$timeout_stop" sh -c "! kill -0 $PID" ||
		fail "the daemon did not stop within TimeoutStopSec=${timeout_stop}s"
	wait "$PID"
	rc=$?
	log "stopped in $((SECONDS - t0)) s, exit $rc"
	grep -q '^STOPPING=1' "$notes" || fail "no STOPPING=1"
	[ "$(blockdev_size /dev/nbd0)" = 0 ] || fail "/dev/nbd0 still has a size after stop"
	[ ! -S "$ISCSI_NBD_RUNDIR/store.sock" ] || fail "control socket left behind"
	STOP_RC=$rc
}

start
wait_for 20 status_is "store /dev/nbd0: 2/2 paths up" ||
	fail "STATUS does not say 2/2 paths up: $(grep STATUS= "$notes" | tail -3)"
"$ISN_BIN" status store | grep -q "/dev/nbd0" || fail "iscsi-nbd status store"
cable_pull 1
wait_for 20 status_is "1/2 paths up" ||
	fail "STATUS did not follow the cable pull: $(grep STATUS= "$notes" | tail -3)"
log "$(grep STATUS= "$notes" | tail -1)"
cable_plug 1
wait_for 60 status_is "2/2 paths up" ||
	fail "STATUS did not come back to 2/2: $(grep STATUS= "$notes" | tail -3)"
stop
[ "$STOP_RC" = 0 ] || fail "clean stop exited $STOP_RC"

# No path left: the stop must still be bounded (flush and logout fail fast).
start
dd if=/dev/urandom of=/dev/nbd0 bs=64k count=16 oflag=direct 2>/dev/null ||
	fail "write before the cable pull"
cable_pull 1
cable_pull 2
wait_for 20 status_is "0/2 paths up" ||
	fail "STATUS did not show no path: $(grep STATUS= "$notes" | tail -3)"
stop
log "stop with no path: exit $STOP_RC"
cable_plug 1
cable_plug 2

# Portals found by discovery instead of listed: tgtd answers SendTargets
# with the portal it was asked on, so one discovery portal per network
# gives both paths.
sed -i "/^portal = /d; s/^\[target\]\$/[target]\ndiscovery = $TGT_IP1\ndiscovery = $TGT_IP2/" \
	"$ISCSI_NBD_CONFDIR/store.conf"
cat "$ISCSI_NBD_CONFDIR/store.conf"
"$ISN_BIN" config --check store || fail "store.conf with discovery is not valid"
start
wait_for 20 status_is "store /dev/nbd0: 2/2 paths up" ||
	fail "discovery did not give both paths: $(grep STATUS= "$notes" | tail -3)"
stop
[ "$STOP_RC" = 0 ] || fail "stop after discovery exited $STOP_RC"
exit 0
