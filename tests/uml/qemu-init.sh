#!/bin/busybox sh
# /init of the QEMU guest's initramfs (built by qemu.sh, booted by run.sh):
# the equivalent of UML's hostfs root. Load the virtio and 9p modules,
# mount the host's / (exported read-only by QEMU as 9p tag "hostroot") and
# switch to it, running the same init.sh as a UML guest ($ISN_INIT, a host
# path, with ISN_GUEST=qemu: see init.sh). run.sh passes ISN_INIT, ISN_GUEST,
# ISN_MODDIR and UML_OUT on the kernel command line; the kernel hands them
# to this script as environment.
PATH=/bin
export PATH
/bin/busybox mkdir -p /bin /proc /dev /sys /root
/bin/busybox --install -s /bin
mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console node of its own (it is built without
# root), so init started without a console: take it now.
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc

die() {
	echo "qemu-init: $*"
	poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 5
	exit 1
}

# run.sh's probe whether KVM runs this kernel: reaching here is enough.
if [ -n "${QEMU_PROBE:-}" ]; then
	echo "qemu-init: probe ok"
	poweroff -f
fi
while read -r m; do
	insmod "$m" || die "insmod $m failed"
done </modules
# cache=loose: the host tree does not change under a test in ways the guest
# must see at once, and 9p without a cache makes every exec and stat a round
# trip. msize: 9p's largest message; bigger reads, fewer round trips.
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose \
	hostroot /root || die "cannot mount the host root (9p tag hostroot)"
[ -n "${ISN_INIT:-}" ] && [ -f "/root$ISN_INIT" ] ||
	die "init script '${ISN_INIT:-}' not found under the host root"
umount /proc
# Lazily: our console descriptors still point into it.
umount -l /dev
exec switch_root /root /bin/bash "$ISN_INIT"
