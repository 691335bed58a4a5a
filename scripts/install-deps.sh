#!/bin/sh
# Install everything iscsi-nbd needs to build and test, from Debian 12's
# archive. Idempotent; run as root.
set -eu

PKGS="
build-essential autoconf automake pkg-config clang libclang-rt-14-dev clang-format
libev-dev libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libssl-dev libisal-dev
libinih-dev libsystemd-dev libjson-c-dev liburing-dev check
tgt iproute2 iputils-ping libnl-utils user-mode-linux kmod util-linux e2fsprogs fdisk
libnbd-bin python3-libnbd gnutls-bin openssl fio qemu-utils qemu-block-extra libiscsi-bin valgrind gnuplot-nox strace
open-iscsi multipath-tools dmsetup systemd
initramfs-tools klibc-utils busybox-static cpio
debhelper dpkg-dev fakeroot lintian man-db bash-completion
"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing; run this script as root" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
