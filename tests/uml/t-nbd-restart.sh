#!/bin/bash
# A crashed daemon restarted within DEAD_CONN_TIMEOUT takes its device back
# without failing any I/O. `iscsi-nbd attach` exports tgtd's LUN as
# /dev/nbd0 with ext4 mounted; while a dd (O_DIRECT, fsync) writes 48 MiB
# (RESTART_MB) into a file (its last 8 MiB held back until after the
# kill), the daemon is killed with SIGKILL (no cleanup at all: its
# sockets just close and the kernel marks them dead, its iSCSI sessions are
# left at the target). A second `iscsi-nbd attach --device /dev/nbd0` finds
# the device still connected and replaces the dead socket with
# NBD_CMD_RECONFIGURE ("re-attached" in its log; started in the background
# as users do, its parent prints the device once that is done), logging in
# with the same ISIDs (which reinstates the sessions the first daemon left).
# Proves: the dd completes with exit status 0 (no EIO reached it), the
# kernel logged no I/O error, the file verifies after umount, drop_caches
# and remount, e2fsck is clean, and the second daemon detaches and exits 0.
# Requests the dead daemon had taken in stay with the kernel until its
# block-layer timeout (30 s when TIMEOUT is 0) and are then re-sent on the
# new socket, so the dd may stall for that long; the test bounds nothing
# tighter than 60 s.
# Both daemons use the same --connections (RECONFIGURE can only replace
# dead sockets, never add one): 1 by default, RESTART_CONNS=2 for two
# sockets (then the kernel re-sends the held requests after the same 30 s,
# logging "Connection timed out, retrying").
# $ISN_ATTACH_ARGS: more options for both daemons (a wrapper runs this test
# with a mode on); $ISN_ATTACH_EXPECT: an extended regex the restarted
# daemon's `status` must match (the wrapper's proof that its mode is on).
. "$(dirname "$0")/lib.sh"
isn_require_attach
requires tgtd tgtadm mkfs.ext4 e2fsck sha256sum pgrep
UML_SANITIZER_OK=1 uml_guest "$0" RESTART_CONNS="${RESTART_CONNS:-1}" RESTART_MB="${RESTART_MB:-48}"

conns=${RESTART_CONNS:-1}
load_modules nbd veth
net2_setup
tgtd_start 256
export ISCSI_NBD_RUNDIR=/run/iscsi-nbd
# shellcheck disable=SC2206 # ISN_ATTACH_ARGS is a list of words
A=(-t "$TGT_IQN" -P "$TGT_IP1" -P "$TGT_IP2" -l 1 --device /dev/nbd0
	--connections "$conns" --dead-conn-timeout 60 ${ISN_ATTACH_ARGS:-})

isn_attach 30 -- "${A[@]}"
dev=$ISN_DEV
mnt=/scratch/mnt
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$dev" || fail "mkfs.ext4 $dev"
mkdir -p $mnt
mount "$dev" $mnt || fail "mount $dev"
on_exit "umount $mnt 2>/dev/null"

head -c "${RESTART_MB:-48}M" /dev/urandom >/scratch/src || fail "source file"
sum=$(sha256sum </scratch/src)
dmesg_mark=$(dmesg | wc -l)

# dd reads through a FIFO whose last 8 MiB are held back until the
# daemon has been killed: on a fast machine the whole file could otherwise
# be written between two looks at dd's progress, and the kill would find
# nothing left to do. The tail then goes through the restarted daemon.
total_mb=${RESTART_MB:-48}
tail_mb=8
[ "$total_mb" -gt $((tail_mb + 4)) ] || fail "RESTART_MB must be above $((tail_mb + 4))"
rm -f /scratch/feed /scratch/go
mkfifo /scratch/feed || fail "mkfifo"
(
	head -c $((total_mb - tail_mb))M /scratch/src
	while [ ! -e /scratch/go ]; do sleep 0.1; done
	tail -c ${tail_mb}M /scratch/src
) >/scratch/feed &
feed_pid=$!
on_exit "kill $feed_pid 2>/dev/null"
log "dd $total_mb MiB (O_DIRECT) to $mnt/big, the last $tail_mb MiB after the kill"
dd if=/scratch/feed of=$mnt/big bs=1M iflag=fullblock oflag=direct conv=fsync status=none \
	2>/scratch/dd.err &
dd_pid=$!
on_exit "kill $dd_pid 2>/dev/null"
# With O_DIRECT a write() returns once the device completed it: wchar
# counts the bytes that really went through.
dd_written() { sed -n 's/^wchar: //p' /proc/$dd_pid/io 2>/dev/null || echo 0; }
written_ge() { [ "$(dd_written)" -ge "$1" ]; }
wait_for 30 written_ge $((4 << 20)) ||
	fail "dd did not write 4 MiB within 30 s ($(dd_written) bytes)"
kill -0 $dd_pid 2>/dev/null || fail "dd finished before the kill: make the file bigger"

old=$ISN_PID
log "SIGKILL iscsi-nbd $old after $(dd_written) bytes"
kill -KILL "$old"
wait "$old" 2>/dev/null
ISN_PID=
[ -b "$dev" ] && blockdev_has_size "$dev" ||
	fail "$dev lost its size when the daemon died (DEAD_CONN_TIMEOUT not in effect?)"
# Nothing to wait for: dd must simply still be there, not failed, a
# moment after the daemon died (a bounded pause, not a wait).
sleep 1
if ! kill -0 $dd_pid 2>/dev/null; then
	wait $dd_pid
	fail "dd ended (exit $?) while no daemon ran: $(cat /scratch/dd.err)"
fi
touch /scratch/go

# Restart the way users do: in the background. The parent prints the
# device and exits 0 only once the daemon has taken the device back (the
# device keeps its size the whole time, so its size proves nothing). A
# daemon that reaches "running" on a connected device did RECONFIGURE and
# the kernel took its socket (export.c checks that); the killed daemon's
# control socket is stale, nobody answers it.
log "restarting iscsi-nbd attach ${A[*]} (background)"
out2=$(timeout 60 "$ISN_BIN" $(isn_verbose) attach "${A[@]}" $(isn_mode_args) \
	--log-file "$UML_OUT/iscsi-nbd-2.log") || {
	cat "$UML_OUT/iscsi-nbd-2.log"
	fail "the restart attach exited $?"
}
on_exit "'$ISN_BIN' detach nbd0 >/dev/null 2>&1"
[ "$out2" = "$dev" ] || fail "the restart attach printed '$out2', want $dev"
"$ISN_BIN" status nbd0 | grep -q '^nbd0: running' || fail "the restarted daemon is not running"
if [ -n "$(isn_verbose)" ]; then
	grep -q "re-attached $dev" "$UML_OUT/iscsi-nbd-2.log" ||
		fail "the restarted daemon did not log 're-attached $dev'"
fi
log "re-attached"

dd_done() { ! kill -0 $dd_pid 2>/dev/null; }
wait_for 60 dd_done || fail "dd did not finish within 60 s of the restart ($(dd_written) bytes)"
wait $dd_pid
rc=$?
cat /scratch/dd.err
[ "$rc" = 0 ] || fail "dd exited $rc across the restart"
log "dd completed"
dmesg | tail -n +$((dmesg_mark + 1)) >"$UML_OUT/dmesg-restart"
if grep -E 'I/O error|Buffer I/O|EXT4-fs error' "$UML_OUT/dmesg-restart"; then
	fail "the kernel logged I/O errors across the restart (above)"
fi

umount $mnt || fail "umount"
echo 3 >/proc/sys/vm/drop_caches
e2fsck -f -n "$dev" || fail "e2fsck found errors"
mount "$dev" $mnt || fail "remount"
[ "$(sha256sum <$mnt/big)" = "$sum" ] || fail "file differs from its source after the restart"
umount $mnt || fail "final umount"
log "data verified"

[ "$("$ISN_BIN" status nbd0 | grep -c ': ACTIVE for')" = 2 ] ||
	fail "the restarted daemon does not have both paths ACTIVE"
if [ -n "${ISN_ATTACH_EXPECT:-}" ]; then
	"$ISN_BIN" status nbd0 >"$UML_OUT/status-end.txt"
	cat "$UML_OUT/status-end.txt"
	grep -E -q "$ISN_ATTACH_EXPECT" "$UML_OUT/status-end.txt" ||
		fail "the restarted daemon's status does not match '$ISN_ATTACH_EXPECT'"
fi
"$ISN_BIN" detach nbd0 || fail "detach nbd0"
wait_for 15 test "$(blockdev_size "$dev")" = 0 || fail "$dev still has a size after detach"
wait_for 15 sh -c '! pgrep -x iscsi-nbd >/dev/null' || fail "the restarted daemon did not exit"
log "detached"
