#!/bin/bash
# Proves the UML bed itself: the guest boots with a writable overlay root
# that does not write through to the host, the host results folder is
# writable, the build tree is visible, modprobe works (nbd with 16 devices
# and 16 partitions each), /dev/nbd0 exists and the generic netlink family
# "nbd" that iscsi-nbd attach talks to is registered.
. "$(dirname "$0")/lib.sh"
requires genl-ctrl-list
# The guest writes this file through the overlay: it must land in guest
# RAM only, never on the host.
probe=$top_builddir/tests/uml/overlay-probe.t-boot
if ! in_uml; then
	rm -f "$probe"
	bash "$uml_lib_dir/run.sh" "$0"
	rc=$?
	if [ -e "$probe" ]; then
		rm -f "$probe"
		fail "a file written in the guest's root reached the host ($probe)"
	fi
	exit $rc
fi

log "kernel $(uname -r) on $(uname -m)"
grep -q ' / overlay ' /proc/mounts || fail "root is not the overlay"
for fs in proc sysfs devtmpfs devpts; do
	grep -q " $fs " /proc/mounts || fail "$fs not mounted"
done
grep -q '^tmpfs /scratch ' /proc/mounts || fail "/scratch is not a tmpfs"
mkdir -p "$(dirname "$probe")" || fail "overlay root not writable"
echo guest >"$probe" || fail "overlay root not writable"
[ -d "$top_builddir" ] || fail "build dir $top_builddir not visible in the guest"
[ -f "$top_srcdir/tests/uml/lib.sh" ] || fail "source tree not visible in the guest"
echo ok >"$UML_OUT/probe" || fail "results folder not writable"

grep -qw nbd /proc/modules && fail "nbd loaded before modprobe?"
load_modules nbd
grep -qw nbd /proc/modules || fail "nbd not loaded"
[ "$(cat /sys/module/nbd/parameters/nbds_max)" = 16 ] || fail "nbds_max not 16"
# nbd rounds max_part up to a power of two minus one (16 -> 31).
[ "$(cat /sys/module/nbd/parameters/max_part)" -ge 16 ] || fail "max_part below 16"
wait_for 5 test -b /dev/nbd0 -a -b /dev/nbd15 || fail "/dev/nbd0../dev/nbd15 missing"
[ -e /dev/nbd16 ] && fail "/dev/nbd16 exists with nbds_max=16"
[ "$(blockdev_size /dev/nbd0)" = 0 ] || fail "/dev/nbd0 has a size before any connect"
genl-ctrl-list | grep -qw nbd || fail "generic netlink family nbd not registered"
log "genl: $(genl-ctrl-list | grep -w nbd)"
modprobe veth || fail "modprobe veth"
log "boot test passed"
