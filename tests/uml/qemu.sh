#!/bin/bash
# The QEMU back end's kernel and initramfs for the kernel tests (see
# README.md, "QEMU back end"). run.sh uses it when User-Mode Linux cannot
# run on the host; scripts/install-deps.sh calls `kernel` once as root.
#
#   qemu.sh kernel [CACHE]     fetch and unpack Debian's amd64 kernel into
#                             CACHE/KVER/ (not installed on the host); print
#                             that folder. Needs apt's package lists.
#   qemu.sh find [CACHE]       print the newest prepared CACHE/KVER/ (no
#                             network); exit 1 if there is none
#   qemu.sh initramfs KDIR OUT write a newc initramfs to OUT: static busybox,
#                             qemu-init.sh as /init and the modules that
#                             mounting the host's / over virtio-9p needs
#
# CACHE defaults to $ISN_QEMU_CACHE, else /var/cache/iscsi-nbd-tests. A
# prepared kernel folder holds vmlinuz, lib/modules/KVER/ (depmod run on
# it, so modprobe works in the guest) and a file `ready`, written last.
# ISN_QEMU_KPKG names the kernel package (default: the one Debian's
# linux-image-amd64 depends on, i.e. the current bookworm kernel).
set -u
me=qemu.sh
here=$(cd "$(dirname "$0")" && pwd) || exit 1

# The temporary folders go on every exit path (their EXIT traps).
trap 'exit 130' INT TERM HUP

die() {
	echo "$me: $*" >&2
	exit 1
}

# Modules the initramfs loads, in this order's closure, before it can
# mount the host root: Debian builds virtio and 9p as modules.
initramfs_mods="virtio_pci 9pnet_virtio 9p"

find_kernel() {
	local cache=$1 d
	d=$(ls -d "$cache"/*/ready 2>/dev/null | sort -V | tail -1)
	[ -n "$d" ] || return 1
	dirname "$d"
}

kernel() {
	local cache=$1 pkg kver dir tmp deb
	pkg=${ISN_QEMU_KPKG:-}
	if [ -z "$pkg" ]; then
		# The meta package's dependency is the current ABI's image.
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
		[ -n "$pkg" ] ||
			die "apt-cache knows no linux-image-amd64 (run apt-get update first)"
	fi
	kver=${pkg#linux-image-}
	dir=$cache/$kver
	if [ -f "$dir/ready" ]; then
		echo "$dir"
		return 0
	fi
	command -v depmod >/dev/null || die "depmod missing (package kmod)"
	mkdir -p "$cache" || die "cannot create $cache"
	# One preparation at a time per cache (two test runs starting at once).
	exec 9>"$cache/.lock" || die "cannot write $cache/.lock"
	flock 9 || die "flock $cache/.lock"
	if [ -f "$dir/ready" ]; then
		echo "$dir"
		return 0
	fi
	tmp=$(mktemp -d "$cache/.prep.XXXXXX") || die "mktemp in $cache"
	# shellcheck disable=SC2064 # expand now: tmp is local
	trap "rm -rf '$tmp'" EXIT
	echo "$me: fetching $pkg from the Debian archive into $cache" >&2
	# Stale lists name a version the archive no longer has: as root,
	# refresh them once and ask again.
	if ! (cd "$tmp" && apt-get download -q "$pkg" >&2); then
		[ "$(id -u)" = 0 ] && [ -z "${ISN_QEMU_KPKG:-}" ] || die "apt-get download $pkg failed"
		apt-get update -q >&2 || die "apt-get update failed"
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
		[ -n "$pkg" ] || die "apt-cache knows no linux-image-amd64"
		kver=${pkg#linux-image-}
		dir=$cache/$kver
		(cd "$tmp" && apt-get download -q "$pkg" >&2) || die "apt-get download $pkg failed"
	fi
	deb=$(ls "$tmp"/*.deb 2>/dev/null | head -1)
	[ -n "$deb" ] || die "apt-get download left no .deb"
	mkdir "$tmp/x" && dpkg-deb -x "$deb" "$tmp/x" || die "dpkg-deb -x $deb failed"
	rm -f "$deb"
	[ -f "$tmp/x/boot/vmlinuz-$kver" ] || die "$pkg has no boot/vmlinuz-$kver"
	[ -d "$tmp/x/lib/modules/$kver" ] || die "$pkg has no lib/modules/$kver"
	# The package's postinst would run depmod; nothing is installed here.
	depmod -b "$tmp/x" "$kver" || die "depmod -b $tmp/x $kver failed"
	mkdir -p "$tmp/k/lib/modules" &&
		mv "$tmp/x/boot/vmlinuz-$kver" "$tmp/k/vmlinuz" &&
		mv "$tmp/x/boot/config-$kver" "$tmp/k/config" &&
		mv "$tmp/x/lib/modules/$kver" "$tmp/k/lib/modules/$kver" ||
		die "cannot arrange $tmp/k"
	echo "$pkg" >"$tmp/k/package"
	rm -rf "$dir" && mv "$tmp/k" "$dir" || die "cannot move the kernel to $dir"
	touch "$dir/ready"
	echo "$dir"
}

# mod_closure MODDIR MOD..: the modules' files relative to MODDIR, each
# after everything it depends on (from modules.dep), each once.
mod_closure() {
	local md=$1 m
	shift
	declare -A seen=()
	declare -A dep=()
	local k v
	while IFS=: read -r k v; do
		dep[$k]=$v
	done <"$md/modules.dep"
	visit() {
		local f=$1 d
		[ -n "${seen[$f]:-}" ] && return 0
		seen[$f]=1
		# modules.dep lists dependencies deepest last.
		for d in ${dep[$f]}; do visit "$d"; done
		echo "$f"
	}
	for m in "$@"; do
		local f
		f=$(grep -m1 -E "(^|/)${m//_/[_-]}\.ko(\.[a-z]+)?:" "$md/modules.dep" | cut -d: -f1)
		[ -n "$f" ] || die "module $m not in $md/modules.dep"
		visit "$f"
	done
}

initramfs() {
	local kdir=$1 out=$2 kver md bb root f
	md=$(ls -d "$kdir"/lib/modules/*/ 2>/dev/null | head -1)
	[ -n "$md" ] || die "no module tree in $kdir/lib/modules"
	md=${md%/}
	kver=$(basename "$md")
	bb=${ISN_BUSYBOX:-/bin/busybox}
	[ -x "$bb" ] || die "no $bb (package busybox-static)"
	# A dynamic busybox would need the host's libc inside the initramfs.
	if ldd "$bb" >/dev/null 2>&1; then
		die "$bb is dynamically linked (install busybox-static)"
	fi
	root=$(mktemp -d "${TMPDIR:-/tmp}/isn-initramfs.XXXXXX") || die mktemp
	# shellcheck disable=SC2064
	trap "rm -rf '$root'" EXIT
	mkdir -p "$root/bin" "$root/proc" "$root/dev" "$root/sys" "$root/root" \
		"$root/lib/modules/$kver" || die "mkdir in $root"
	cp "$bb" "$root/bin/busybox" || die "cp $bb"
	cp "$here/qemu-init.sh" "$root/init" && chmod 0755 "$root/init" || die "cp qemu-init.sh"
	: >"$root/modules"
	local mods
	# shellcheck disable=SC2086 # a list of names
	mods=$(mod_closure "$md" $initramfs_mods) || exit 1
	for f in $mods; do
		mkdir -p "$root/lib/modules/$kver/$(dirname "$f")"
		cp "$md/$f" "$root/lib/modules/$kver/$f" || die "cp $f"
		echo "/lib/modules/$kver/$f" >>"$root/modules"
	done
	(cd "$root" && find . | LC_ALL=C sort | "$bb" cpio -o -H newc >"$out" 2>/dev/null) ||
		die "cpio of $root failed"
	[ -s "$out" ] || die "empty initramfs $out"
}

cmd=${1:-}
shift
case $cmd in
kernel) kernel "${1:-${ISN_QEMU_CACHE:-/var/cache/iscsi-nbd-tests}}" ;;
find) find_kernel "${1:-${ISN_QEMU_CACHE:-/var/cache/iscsi-nbd-tests}}" ;;
initramfs)
	[ $# = 2 ] || die "usage: $me initramfs KDIR OUT"
	initramfs "$1" "$2"
	;;
*)
	echo "usage: $me kernel [CACHE] | find [CACHE] | initramfs KDIR OUT" >&2
	exit 2
	;;
esac
