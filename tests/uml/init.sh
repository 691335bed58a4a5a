#!/bin/bash
# PID 1 of a User-Mode Linux test guest; started by tests/uml/run.sh through
# the kernel command line (init=<copy of this file>), never by hand.
#
# Stage 1 (no argument): the root is the host's / over hostfs, read-only.
#   Load overlay.ko, put a writable overlay (upper layer in guest RAM) over
#   the read-only root, pivot_root into it and re-exec this file as stage 2.
#   Nothing is ever written to the host except the results folder.
# Stage 2 ("stage2"): mount proc, sysfs, devtmpfs, devpts and tmpfs, make
#   modprobe work, mount the host results folder read-write, run the guest
#   script with the environment run.sh wrote, write its exit status to
#   $UML_OUT/status and power off.
#
# The kernel passes unknown KEY=value words of its command line to init as
# environment: run.sh passes only UML_OUT (the results folder, a host path);
# everything else comes from $UML_OUT/env, written by run.sh with proper
# shell quoting.

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# Power the guest off whatever happens; if even that fails, exiting PID 1
# panics the kernel, which also stops UML (run.sh then finds no status file
# unless one was written).
die_guest() {
	echo "uml-init: $*" >&2
	poweroff -f -f 2>/dev/null
	echo o >/proc/sysrq-trigger 2>/dev/null
	exit 1
}

kver=$(uname -r)
# ISN_GUEST (kernel command line): uml, or qemu for the QEMU back end,
# whose initramfs (qemu-init.sh) mounted the host's / over virtio-9p instead
# of hostfs and passes the unpacked Debian kernel's module tree as
# ISN_MODDIR. Everything else is the same for both.
ISN_GUEST=${ISN_GUEST:-uml}
moddir=${ISN_MODDIR:-/usr/lib/uml/modules/$kver}

if [ "${1:-}" != stage2 ]; then
	[ -n "${UML_OUT:-}" ] || die_guest "UML_OUT not set on the kernel command line"
	mount -t proc proc /proc 2>/dev/null
	if ! grep -qw overlay /proc/filesystems; then
		insmod "$moddir/kernel/fs/overlayfs/overlay.ko" ||
			die_guest "cannot load overlay.ko from $moddir"
	fi
	# /mnt is only a mount point here: the host's /mnt is never written.
	mount -t tmpfs -o mode=0755 uml-rw /mnt || die_guest "tmpfs on /mnt failed"
	mkdir -p /mnt/upper /mnt/work /mnt/root
	mount -t overlay overlay -o lowerdir=/,upperdir=/mnt/upper,workdir=/mnt/work \
		/mnt/root || die_guest "overlay mount failed"
	umount /proc
	cd /mnt/root || die_guest "cd /mnt/root"
	mkdir -p .oldroot
	pivot_root . .oldroot || die_guest "pivot_root failed"
	# shellcheck disable=SC2093 # falls through only when exec fails
	exec chroot . /bin/bash "$0" stage2
	die_guest "exec chroot failed"
fi

# ---- stage 2: inside the writable overlay root ----
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/lock /scratch
mount -t tmpfs -o mode=1777 tmpfs /scratch
# The old root (hostfs) stays busy as the overlay's lower layer; detach the
# name so that the guest's mount table shows one root.
umount -l /.oldroot 2>/dev/null && rmdir /.oldroot 2>/dev/null
# /tmp stays the overlay's /tmp (writable, in guest RAM) instead of a fresh
# tmpfs: build dirs and run.sh's own folder often live under the host's
# /tmp and must stay visible in the guest.

# modprobe and the kernel's own module autoloading look in
# /lib/modules/$(uname -r); point it at the UML module tree. Any host
# directory of that name is hidden only in the overlay (a whiteout in RAM).
mkdir -p /lib/modules
if [ "$(readlink "/lib/modules/$kver")" != "$moddir" ]; then
	rm -rf "/lib/modules/$kver"
	ln -s "$moddir" "/lib/modules/$kver"
fi

hostname uml-guest 2>/dev/null
ip link set lo up 2>/dev/null

# The results folder: the only place where the guest writes to the host.
mkdir -p "$UML_OUT"
if [ "$ISN_GUEST" = qemu ]; then
	# run.sh exports it read-write as 9p tag "isnout".
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 isnout "$UML_OUT"
else
	mount -t hostfs -o "$UML_OUT" hostfs "$UML_OUT"
fi || die_guest "cannot mount host folder $UML_OUT"
[ -f "$UML_OUT/env" ] || die_guest "$UML_OUT/env missing"
set -a
# shellcheck disable=SC1091
. "$UML_OUT/env"
set +a
UML_GUEST=1
TMPDIR=/scratch
HOME=/root
export UML_GUEST TMPDIR HOME

echo "uml-init: kernel $kver up $(cut -d' ' -f1 /proc/uptime) s after boot," \
	"running $UML_SCRIPT" >/dev/console 2>&1
date +%s.%N >"$UML_OUT/t-init"

# finish STATUS: hand the status and diagnostics to the host, power off.
finish() {
	cp /proc/mounts "$UML_OUT/mounts" 2>/dev/null
	dmesg >"$UML_OUT/dmesg" 2>/dev/null
	echo "$1" >"$UML_OUT/status.tmp" && mv "$UML_OUT/status.tmp" "$UML_OUT/status"
	sync
	poweroff -f -f 2>/dev/null
	echo o >/proc/sysrq-trigger 2>/dev/null
	sleep 5
	exit "$1"
}

# The guest-side timeout ends the script a little before run.sh's own one so
# that the status and the log still reach the host.
gt=${UML_GUEST_TIMEOUT:-280}
SECONDS=0
cd /scratch || die_guest "cd /scratch"
# UML_TRACE=1 (passed through run.sh as a KEY=VALUE) traces the script.
timeout -k 5 "$gt" /bin/bash ${UML_TRACE:+-x} "$UML_SCRIPT" \
	>"$UML_OUT/guest.log" 2>&1 </dev/null &
spid=$!
# Watchdog: a process in uninterruptible sleep (I/O on an nbd device whose
# server is gone) survives even timeout's SIGKILL, and timeout would wait
# for it forever. Report it, with the blocked tasks' stacks in dmesg, and
# power off anyway.
(
	sleep $((gt + 10))
	echo "uml-init: guest script still not gone $((gt + 10)) s after start" \
		"(uninterruptible sleep?); blocked tasks are in dmesg" >>"$UML_OUT/guest.log"
	echo w >/proc/sysrq-trigger 2>/dev/null
	finish 124
) &
wpid=$!
wait $spid
rc=$?
kill $wpid 2>/dev/null
# timeout(1) says 124, or 137 when its SIGKILL was needed.
if [ $rc = 124 ] || { [ $rc = 137 ] && [ "$SECONDS" -ge "$gt" ]; }; then
	echo "uml-init: guest script timed out after $gt s; blocked tasks are in dmesg" \
		>>"$UML_OUT/guest.log"
	echo w >/proc/sysrq-trigger 2>/dev/null
	rc=124
fi
finish $rc
