#!/bin/bash
# The root filesystem on iscsi-nbd (issue 13): a UML guest boots through an
# initramfs made by update-initramfs from initramfs/hook and
# initramfs/local-top (the project's files, as installed), with its / on an
# iSCSI LUN that tgtd serves from the host side over two networks. README's
# "Root on iscsi-nbd" is followed word for word: its commands (root.conf,
# the secret, update-initramfs -u) run as they stand, its kernel command
# line is every boot's, its target name, CHAP user and secret are the
# target's, and its addresses are the test bed's.
#
# Host side (this script, root): a network namespace with two TAP devices
# (10.1.0.1/24 and 10.2.0.1/24) and tgtd listening on both; UML runs inside
# that namespace with eth0=tuntap,TAP1 and eth1=tuntap,TAP2. The LUN is a
# GPT disk image whose partition 1 is an ext4 root built here: static
# busybox, our iscsi-nbd with its libraries, and /sbin/init below (no
# debootstrap: no network and no minutes of download; what is proven is the
# root on nbd, not a distribution). update-initramfs targets the UML kernel
# in a private mount namespace (overlays on /usr and /etc: our files where
# the package puts them, /usr/lib/modules/VERSION ->
# /usr/lib/uml/modules/VERSION, an initramfs.conf; /boot has only the UML
# kernel's version, with a config naming gzip): nothing on the host
# changes. The other images come from mkinitramfs -d with the same files.
#
# Proves, from the guest console:
# - the initramfs configured eth0 (ip=) and eth1 (iscsi_nbd.ip=), attached
#   the LUN over both portals (status: 2 paths), / is /dev/nbd0p1;
# - iscsi-nbd runs as @iscsi-nbd and `iscsi-nbd status root` works from the
#   real root (the control socket in /run survived switch_root); the
#   unit's ExecCondition (run by the guest's shell, not by systemd) says
#   "do not start" for instance root and "start" for one not running;
# - a write-and-verify workload on / passes while network 2 is taken down
#   and back on the host side (ip link set TAP2 down/up);
# - a systemd-like final shutdown with network 1 down: every process whose
#   argv[0] does not begin with '@' is killed, / is remounted read-only,
#   the daemon is the last process standing, poweroff;
# and from the host: e2fsck -f -n of the partition is clean.
# Boot 2 runs the same root with systemd as PID 1 (the host's systemd 252,
# systemd-shutdown and systemctl copied in, the poweroff and reboot units,
# stand-ins for the targets our unit names, iscsi-nbd@root.service
# enabled):
# systemd skips iscsi-nbd@root.service on its ExecCondition (the daemon
# from the initramfs runs), a workload writes and verifies, network 1 goes
# down, `systemctl reboot`: systemd-shutdown's SIGTERM/SIGKILL rounds,
# "Remounting '/' read-only", "All filesystems unmounted", "Rebooting"
# (/ stayed served: @iscsi-nbd was spared); UML runs its kernel again with
# the same arguments, so the guest boots again through the initramfs with
# / on /dev/nbd0p1 (both paths), ext4 has no journal to recover, the first
# boot's files verify; network 1 down again, `systemctl poweroff`: the same
# rounds ending in "Powering off", no I/O error; e2fsck clean.
# Boot 1's busybox init is what lists the processes left standing.
# Boot 3: an image made with only the flag file /etc/iscsi-nbd/initramfs
# boots from iscsi_nbd.target= / .lun= / .portal= x2 alone (both paths).
# A root.conf with a bad value fails mkinitramfs (the hook's check).
# Bad input, each its own boot, each must end in the initramfs panic with
# its message (panic=0 halts instead of waiting on the console shell):
# - wrong target name (iscsi_nbd.target= on the command line): login refused;
# - the target's CHAP secret changed: authentication failed, fix the secret;
# - an initramfs made without /etc/iscsi-nbd/root.conf (the hook added
#   nothing) with root=/dev/nbd0p1: no root LUN configuration.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_root
requires_netns
requires tgtd tgtadm mkinitramfs sfdisk mkfs.ext4 e2fsck timeout cpio
requires_built "$isn_bin"
uml=${LINUX_UML:-/usr/bin/linux.uml}
[ -x "$uml" ] || skip_missing "User-Mode Linux kernel $uml" "apt-get install user-mode-linux"
ver=$("$uml" --version 2>/dev/null | tail -1)
[ -d "/usr/lib/uml/modules/$ver" ] || skip_missing "UML module tree /usr/lib/uml/modules/$ver"
[ -x /lib/systemd/systemd ] && [ -x /lib/systemd/systemd-shutdown ] ||
	skip_missing "systemd (PID 1 of boot 2)" "apt-get install systemd"
requires systemctl
[ -c /dev/net/tun ] || skip_missing "/dev/net/tun" "TAP devices for UML's network"
busybox=$(command -v busybox) || skip_missing busybox "apt-get install busybox-static"
file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
	ldd "$busybox" 2>&1 | grep -q 'not a dynamic' ||
	skip_missing "a static busybox" "apt-get install busybox-static"
if grep -qa __asan_init "$isn_bin"; then
	skip_na "iscsi-nbd is an ASan build: sanitizer binaries cannot run under UML"
fi
src=$top_srcdir/initramfs
[ -f "$src/hook" ] && [ -f "$src/local-top" ] || fail "initramfs/hook or initramfs/local-top missing"

# mkinitramfs needs /usr/lib/modules/VER: an overlay on /usr/lib in a
# private mount namespace (a kernel facility some containers lack).
mkdir -p "$isn_tmp/ov/up" "$isn_tmp/ov/work" || fail "mkdir"
unshare -m --propagation private sh -c 'mount -t overlay overlay \
	-o "lowerdir=/usr/lib,upperdir=$1/up,workdir=$1/work" /usr/lib' sh "$isn_tmp/ov" 2>/dev/null ||
	skip_missing "an overlay mount on /usr/lib in a mount namespace" "unshare -m, overlayfs"
rm -rf "$isn_tmp/ov"

logs=$top_builddir/tests/uml/logs/t-root
rm -rf "$logs" && mkdir -p "$logs" || fail "cannot make $logs"
t0=$(date +%s)
step() { echo "[$(($(date +%s) - t0)) s] $*"; }

# README's "Root on iscsi-nbd", word for word: block 1 (root.conf, the
# secret, update-initramfs) runs as it stands, block 2 is the kernel
# command line of every boot. The test bed has the README's addresses
# (portals 10.1.0.1 and 10.2.0.1 on the host side, the guest's eth0 and
# eth1 10.1.0.2 and 10.2.0.2), and the target is made with the README's
# target name, CHAP user and secret, read from block 1.
readme=$top_srcdir/README.md
# root_block N: the Nth indented code block of that section, unindented.
root_block() {
	awk -v want="$1" '
	/^## / { on = ($0 == "## Root on iscsi-nbd"); next }
	!on { next }
	/^    / { if (!inb) { n++; inb = 1 } if (n == want) print substr($0, 5); next }
	/^$/ { next }
	{ inb = 0 }' "$readme"
}
root_block 1 >"$isn_tmp/readme-root.sh"
cmdline=$(root_block 2)
IQN=$(sed -n 's/^name = //p' "$isn_tmp/readme-root.sh")
CHAP_USER=$(sed -n 's/^chap_user = //p' "$isn_tmp/readme-root.sh")
CHAP_GOOD=$(sed -n "s|^echo '\([^']*\)' >/etc/iscsi-nbd/root.secret.*|\1|p" "$isn_tmp/readme-root.sh")
CHAP_OTHER=Changed-Secret-9
[ -n "$IQN" ] && [ -n "$CHAP_USER" ] && [ -n "$CHAP_GOOD" ] &&
	grep -q '^update-initramfs -u' "$isn_tmp/readme-root.sh" ||
	fail "README's Root on iscsi-nbd: block 1 lacks name =, chap_user =, the echo of the secret or update-initramfs -u"
for w in portal\ =\ 10.1.0.1 portal\ =\ 10.2.0.1 device\ =\ /dev/nbd0; do
	grep -qx "$w" "$isn_tmp/readme-root.sh" || fail "README's root.conf lacks '$w' (the test bed's)"
done
[ "$(echo "$cmdline" | grep -c .)" = 1 ] &&
	echo " $cmdline " | grep -q ' root=/dev/nbd0p1 ip=10\.1\.0\.2::10\.1\.0\.1:255\.255\.255\.0::eth0:off .*iscsi_nbd\.ip=10\.2\.0\.2::10\.2\.0\.1:255\.255\.255\.0::eth1:off ' ||
	fail "README's kernel command line is not the test bed's: $cmdline"
step "README: target $IQN, CHAP user $CHAP_USER, command line: $cmdline"

# ---- the root filesystem --------------------------------------------------
root=$isn_tmp/root
mkdir -p "$root"/bin "$root"/sbin "$root"/dev "$root"/proc "$root"/sys "$root"/run \
	"$root"/tmp "$root"/data "$root"/etc || fail "mkdir root"
cp "$busybox" "$root/bin/busybox" || fail "copy busybox"
for a in $("$busybox" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
done
# The binary and every library it needs, at the paths ldd names.
cp "$isn_bin" "$root/sbin/iscsi-nbd" || fail "copy iscsi-nbd"
for l in $(ldd "$isn_bin" | grep -o '/[^ ]*'); do
	mkdir -p "$root$(dirname "$l")" && cp -L "$l" "$root$l" || fail "copy $l"
done
# The unit as installed with sbindir /sbin: the guest runs its ExecCondition.
sed 's|@sbindir@|/sbin|g' "$top_srcdir/systemd/iscsi-nbd@.service.in" >"$root/etc/iscsi-nbd@.service" ||
	fail "unit"
cat >"$root/sbin/init" <<'EOF'
#!/bin/sh
# PID 1 of the real root (t-root): the checks, the workload, then what
# systemd-shutdown does to processes before it powers off.
export PATH=/sbin:/bin
say() { echo "T-ROOT: $*"; }
# argv[0] of PID $1 ("" for a kernel thread).
argv0() { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | head -n 1; }
# The user processes but PID 1, as "PID ARGV0" lines in /run/procs: the
# glob is expanded before any subshell of ours exists, and the readers
# below are loops of PID 1 itself (no pipeline: no subshell to kill).
procs() {
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = 1 ] && continue
		a=$(argv0 "$pid")
		[ -n "$a" ] && echo "$pid $a"
	done >/run/procs
}
say "root-device $(awk '$2 == "/" { d = $1 } END { print d }' /proc/mounts)"
say "mounts: $(grep -c . /proc/mounts) ($(awk '{ printf "%s on %s, ", $1, $2 }' /proc/mounts))"
procs
while read -r pid a; do say "process $pid $a"; done </run/procs
iscsi-nbd status root 2>&1 | sed 's/^/T-ROOT: status-boot: /'
# The unit's ExecCondition, as systemd would run it for instance "root"
# (the daemon runs: the start is skipped) and for one that does not run.
cond=$(sed -n 's/^ExecCondition=//p' /etc/iscsi-nbd@.service)
for inst in root other; do
	c=$(echo "$cond" | sed "s/%i/$inst/g")
	eval "$c"
	say "unit condition $inst: exit $?"
done
sleep 600 &
victim=$!
say "workload start"
: >/data/sums
i=0
while [ $i -lt 32 ]; do
	dd if=/dev/urandom of=/data/f$i bs=256k count=4 conv=fsync 2>/dev/null ||
		say "write /data/f$i FAILED"
	sha256sum /data/f$i >>/data/sums
	i=$((i + 1))
	[ $i = 12 ] && iscsi-nbd status root 2>&1 | sed 's/^/T-ROOT: status-pulled: /'
	sleep 0.4
done
sync
echo 3 >/proc/sys/vm/drop_caches
if sha256sum -c /data/sums >/dev/null 2>&1; then
	say "verify ok: $i files"
else
	say "verify FAILED"
fi
iscsi-nbd status root 2>&1 | sed 's/^/T-ROOT: status-after: /'
say "ready for shutdown"
sleep 4
say "shutdown: victim $victim"
procs
while read -r pid a; do
	case $a in
	@*) say "shutdown: spared $pid $a" ;;
	*) kill -TERM "$pid" 2>/dev/null && say "shutdown: TERM $pid $a" ;;
	esac
done </run/procs
sleep 1
procs
while read -r pid a; do
	case $a in
	@*) ;;
	*) kill -KILL "$pid" 2>/dev/null && say "shutdown: KILL $pid $a" ;;
	esac
done </run/procs
sync
if mount -o remount,ro /; then
	say "shutdown: / remounted read-only"
else
	say "shutdown: remount read-only FAILED"
fi
procs
while read -r pid a; do say "last standing: $pid $a"; done </run/procs
say "shutdown: poweroff"
poweroff -f
EOF
chmod 0755 "$root/sbin/init"

cat >"$root/sbin/init-quick" <<'EOF'
#!/bin/sh
# PID 1 of boot 3 (configuration from the kernel command line only).
export PATH=/sbin:/bin
echo "T-ROOT-CMDLINE: root-device $(awk '$2 == "/" { d = $1 } END { print d }' /proc/mounts)"
iscsi-nbd status root 2>&1 | grep ': ACTIVE' | sed 's/^/T-ROOT-CMDLINE: status: /'
sync
mount -o remount,ro / && echo "T-ROOT-CMDLINE: / read-only"
poweroff -f
EOF
chmod 0755 "$root/sbin/init-quick"

# systemd as PID 1 for boot 2: the host's systemd, systemd-shutdown and
# systemctl with their libraries, the units of poweroff and reboot,
# stand-ins for the targets the iscsi-nbd unit orders itself against, our
# unit enabled for instance root, and a oneshot workload that reboots, then
# (in the boot after) powers off.
sd=/lib/systemd/systemd
mkdir -p "$root/lib/systemd/system" "$root/etc/systemd/system/default.target.wants" \
	"$root/var/tmp" || fail "mkdir systemd"
for b in "$sd" /lib/systemd/systemd-shutdown "$(command -v systemctl)"; do
	cp "$b" "$root/lib/systemd/" || fail "copy $b"
	for l in $(ldd "$b" | grep -o '/[^ ]*'); do
		[ -e "$root$l" ] || { mkdir -p "$root$(dirname "$l")" && cp -L "$l" "$root$l"; } ||
			fail "copy $l"
	done
done
mv "$root/lib/systemd/systemctl" "$root/bin/systemctl" || fail "systemctl"
for u in poweroff.target systemd-poweroff.service reboot.target systemd-reboot.service \
	shutdown.target umount.target \
	final.target; do
	cp "/lib/systemd/system/$u" "$root/lib/systemd/system/" || fail "unit $u"
done
for t in sysinit basic network-online remote-fs-pre; do
	printf '[Unit]\nDescription=%s (t-root stand-in)\n' "$t" >"$root/lib/systemd/system/$t.target"
done
printf '0123456789abcdef0123456789abcdef\n' >"$root/etc/machine-id"
ln -sf busybox "$root/bin/modprobe"
cp "$root/etc/iscsi-nbd@.service" "$root/lib/systemd/system/iscsi-nbd@.service"
ln -s /lib/systemd/system/iscsi-nbd@.service \
	"$root/etc/systemd/system/default.target.wants/iscsi-nbd@root.service"
cat >"$root/etc/systemd/system/default.target" <<'EOF'
[Unit]
Description=t-root with systemd as PID 1
Wants=t-root-sd.service
EOF
cat >"$root/etc/systemd/system/t-root-sd.service" <<'EOF'
[Unit]
Description=t-root workload under systemd
DefaultDependencies=no
After=iscsi-nbd@root.service
[Service]
Type=oneshot
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
ExecStart=/bin/sh /sbin/t-root-sd
EOF
cat >"$root/sbin/t-root-sd" <<'EOF'
#!/bin/sh
# The first boot writes, verifies and reboots; the boot after the reboot
# (UML runs its kernel again: the same initramfs and command line) finds
# the marker, checks the first boot's files and that ext4 needed no
# journal recovery, and powers off.
if [ -e /data/sd-rebooted ]; then
	say() { echo "T-ROOT-SD2: $*"; }
	say "pid1 $(tr '\0' ' ' </proc/1/cmdline)"
	say "root-device $(awk '$2 == "/" { d = $1 } END { print d }' /proc/mounts)"
	# The kernel log of this boot: / mounted, and no journal recovery.
	dmesg >/run/dmesg
	say "ext4 mounts: $(grep -c 'EXT4-fs (nbd0p1): mounted' /run/dmesg)"
	say "journal recoveries: $(grep -c 'EXT4-fs (nbd0p1):.*recover' /run/dmesg)"
	iscsi-nbd status root 2>&1 | grep ': ACTIVE' | sed 's/^/T-ROOT-SD2: status: /'
	if sha256sum -c /data/sd-sums >/dev/null 2>&1; then say "verify ok"; else say "verify FAILED"; fi
	rm -f /data/sd-rebooted
	say "ready for shutdown"
	sleep 4
	say "systemctl poweroff"
	systemctl --no-block poweroff
	exit 0
fi
say() { echo "T-ROOT-SD: $*"; }
say "pid1 $(tr '\0' ' ' </proc/1/cmdline)"
say "root-device $(awk '$2 == "/" { d = $1 } END { print d }' /proc/mounts)"
for p in /proc/[0-9]*; do
	a=$(tr '\0' '\n' <"$p/cmdline" 2>/dev/null | head -n 1)
	[ "$a" = @iscsi-nbd ] && say "daemon ${p#/proc/} $a"
done
say "unit $(systemctl show -p ActiveState -p Result iscsi-nbd@root.service | tr '\n' ' ')"
iscsi-nbd status root 2>&1 | grep ': ACTIVE' | sed 's/^/T-ROOT-SD: status: /'
i=0
: >/data/sd-sums
while [ $i -lt 8 ]; do
	dd if=/dev/urandom of=/data/sd$i bs=256k count=4 conv=fsync 2>/dev/null || say "write FAILED"
	sha256sum /data/sd$i >>/data/sd-sums
	i=$((i + 1))
done
echo 3 >/proc/sys/vm/drop_caches
if sha256sum -c /data/sd-sums >/dev/null 2>&1; then say "verify ok"; else say "verify FAILED"; fi
: >/data/sd-rebooted
say "ready for reboot"
sleep 4
say "systemctl reboot"
systemctl --no-block reboot
EOF
chmod 0755 "$root/sbin/t-root-sd"

step "mkfs.ext4 -d on the root folder ($(du -sh "$root" | cut -f1))"
disk=$isn_tmp/lun.img
part=$isn_tmp/p1.img
mkfs.ext4 -q -F -L isnroot -d "$root" "$part" 96M >"$logs/mkfs.log" 2>&1 ||
	fail "mkfs.ext4 -d: $(cat "$logs/mkfs.log")"
truncate -s 128M "$disk" || fail "truncate $disk"
printf 'label: gpt\nstart=2048, size=196608, type=linux, name=root\n' |
	sfdisk -q "$disk" >"$logs/sfdisk.log" 2>&1 || fail "sfdisk: $(cat "$logs/sfdisk.log")"
dd if="$part" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none || fail "dd partition"
rm -f "$part"

# ---- the initramfs ----------------------------------------------------------
# CONFDIR of mkinitramfs: only the modules hooks ask for (MODULES=list),
# gzip, our hook and script under the names the package installs (they
# override installed copies of the same name).
etc=$isn_tmp/etc
mkdir -p "$etc" || fail "mkdir $etc"
echo "InitiatorName=iqn.2026-12.org.iscsi-nbd.test:guest" >"$etc/initiatorname"

# mk_initrd OUT CONFIGDIR: mkinitramfs for the UML kernel with our hook.
mk_initrd() {
	local out=$1 cdir=$2 w
	w=$(mktemp -d "$isn_tmp/mkinitramfs.XXXXXX") || return 1
	mkdir -p "$w/conf/hooks" "$w/conf/scripts/local-top" "$w/conf/conf.d" \
		"$w/up" "$w/work" "$w/boot" || return 1
	printf 'MODULES=list\nBUSYBOX=y\nCOMPRESS=gzip\nKEYMAP=n\nFSTYPE=ext4\nRUNSIZE=10%%\nUMASK=0077\n' \
		>"$w/conf/initramfs.conf"
	: >"$w/conf/modules"
	cp "$src/hook" "$w/conf/hooks/iscsi-nbd" &&
		cp "$src/local-top" "$w/conf/scripts/local-top/iscsi-nbd" &&
		chmod 0755 "$w/conf/hooks/iscsi-nbd" "$w/conf/scripts/local-top/iscsi-nbd" || return 1
	echo "CONFIG_RD_GZIP=y" >"$w/boot/config-$ver"
	ISCSI_NBD_CONFDIR=$cdir ISCSI_NBD_BIN=$isn_bin unshare -m --propagation private sh -ec '
		mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$1/up,workdir=$1/work" /usr/lib
		mkdir -p /usr/lib/modules
		ln -sfn "/usr/lib/uml/modules/$2" "/usr/lib/modules/$2"
		mount --bind "$1/boot" /boot
		mkinitramfs -d "$1/conf" -o "$3" "$2"' sh "$w" "$ver" "$out"
}
# readme_initrd OUT: README's block 1 run word for word by sh -e, as root
# on a machine with the package installed: a private mount namespace with
# overlays on /usr (our binary, hook and boot script where the package puts
# them; /usr/lib/modules/VERSION for the UML kernel) and /etc (an
# initramfs.conf that lists no modules and uses gzip, the initiator name,
# /etc/iscsi-nbd), and /boot a folder with the UML kernel's version only,
# so that update-initramfs -u makes /boot/initrd.img-VERSION for it.
readme_initrd() {
	local out=$1 w
	w=$(mktemp -d "$isn_tmp/readme-initrd.XXXXXX") || return 1
	mkdir -p "$w/usr-up" "$w/usr-work" "$w/etc-up" "$w/etc-work" "$w/boot" || return 1
	: >"$w/boot/vmlinuz-$ver" && : >"$w/boot/initrd.img-$ver" &&
		echo "CONFIG_RD_GZIP=y" >"$w/boot/config-$ver" || return 1
	env -u ISCSI_NBD_CONFDIR -u ISCSI_NBD_RUNDIR -u ISCSI_NBD_BIN \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin unshare -m --propagation private sh -ec '
		w=$1 ver=$2 bin=$3 src=$4 initiatorname=$5
		mount -t overlay overlay -o "lowerdir=/usr,upperdir=$w/usr-up,workdir=$w/usr-work" /usr
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$w/etc-up,workdir=$w/etc-work" /etc
		mount --bind "$w/boot" /boot
		mkdir -p /usr/lib/modules /usr/share/initramfs-tools/scripts/local-top
		ln -sfn "/usr/lib/uml/modules/$ver" "/usr/lib/modules/$ver"
		install -m 0755 "$bin" /usr/sbin/iscsi-nbd
		install -m 0755 "$src/hook" /usr/share/initramfs-tools/hooks/iscsi-nbd
		install -m 0755 "$src/local-top" /usr/share/initramfs-tools/scripts/local-top/iscsi-nbd
		rm -rf /etc/iscsi-nbd
		mkdir -p /etc/iscsi-nbd /etc/initramfs-tools/conf.d
		cp "$initiatorname" /etc/iscsi-nbd/initiatorname
		printf "MODULES=list\nBUSYBOX=y\nCOMPRESS=gzip\nKEYMAP=n\nFSTYPE=ext4\nRUNSIZE=10%%\n" \
			>/etc/initramfs-tools/initramfs.conf
		: >/etc/initramfs-tools/modules
		echo "README block 1:"
		sh -ex "$7"
		cp "/boot/initrd.img-$ver" "$6"' sh "$w" "$ver" "$isn_bin" "$src" "$etc/initiatorname" "$out" "$isn_tmp/readme-root.sh"
}
step "README block 1 with update-initramfs -u for UML $ver"
initrd=$isn_tmp/initrd.img
readme_initrd "$initrd" >"$logs/update-initramfs.log" 2>&1 ||
	fail "README block 1: $(tail -n 20 "$logs/update-initramfs.log")"
grep -q 'W: iscsi-nbd hook' "$logs/update-initramfs.log" &&
	fail "the hook warned: $(grep 'W: iscsi-nbd hook' "$logs/update-initramfs.log")"
# The hook's work, checked in the image: binary, module, configuration,
# secret with mode 0600.
zcat "$initrd" | cpio -itv 2>/dev/null >"$logs/initrd.list"
for f in usr/sbin/iscsi-nbd nbd.ko etc/iscsi-nbd/root.conf etc/iscsi-nbd/initiatorname \
	scripts/local-top/iscsi-nbd etc/iscsi-nbd/root.secret; do
	grep -q "$f\$" "$logs/initrd.list" || fail "the initramfs lacks $f (see $logs/initrd.list)"
done
grep "etc/iscsi-nbd/root.secret\$" "$logs/initrd.list" | grep -q '^-rw-------' ||
	fail "the secret is not mode 0600 in the initramfs: $(grep root.secret "$logs/initrd.list")"

# A wrong root.conf fails update-initramfs at once, with the reason.
mkdir -p "$isn_tmp/etc-bad" && printf '[target]\nname = %s\nlun = 1\nportal = 10.1.0.1\n[path]\nno_path_retry = soon\n' \
	"$IQN" >"$isn_tmp/etc-bad/root.conf" || fail "bad root.conf"
mk_initrd "$isn_tmp/initrd-bad.img" "$isn_tmp/etc-bad" >"$logs/mkinitramfs-bad.log" 2>&1 &&
	fail "mkinitramfs accepted a root.conf with no_path_retry = soon"
grep -q 'E: iscsi-nbd hook: .*/root.conf is not valid.*no_path_retry' "$logs/mkinitramfs-bad.log" ||
	fail "the hook did not say what is wrong: $(tail -n 5 "$logs/mkinitramfs-bad.log")"
step "a wrong root.conf fails mkinitramfs: $(grep -o 'E: iscsi-nbd hook.*' "$logs/mkinitramfs-bad.log" | head -c 200)"

# ---- the target side: namespace, TAPs, tgtd ---------------------------------
netns_new ns
tap1=isnr$$a tap2=isnr$$b
for t in "$tap1" "$tap2"; do
	ip -n "$ns" tuntap add dev "$t" mode tap || fail "tuntap add $t"
	cleanup_add ip -n "$ns" link del "$t"
done
ip -n "$ns" addr add 10.1.0.1/24 dev "$tap1" && ip -n "$ns" addr add 10.2.0.1/24 dev "$tap2" &&
	ip -n "$ns" link set "$tap1" up && ip -n "$ns" link set "$tap2" up || fail "TAP addresses"
tgtd_start "$ns"
_isn_logs="$_isn_logs $logs/console.log"
tgtadm_ns "$ns" --mode target --op new --tid 1 --targetname "$IQN" || fail "tgtadm target"
tgtadm_ns "$ns" --mode logicalunit --op new --tid 1 --lun 1 --backing-store "$disk" ||
	fail "tgtadm lun"
tgtadm_ns "$ns" --mode target --op bind --tid 1 --initiator-address ALL || fail "tgtadm bind"
tgtadm_ns "$ns" --mode account --op new --user "$CHAP_USER" --password "$CHAP_GOOD" ||
	fail "tgtadm account"
tgtadm_ns "$ns" --mode account --op bind --tid 1 --user "$CHAP_USER" || fail "tgtadm account bind"

# ---- booting ------------------------------------------------------------------
shim=$isn_tmp/xstate-shim.so
cc -O2 -shared -fPIC -o "$shim" "$top_srcdir/tests/uml/xstate-shim.c" -ldl 2>/dev/null || shim=
uml_pid=''
# boot NAME INITRD SECONDS [KERNEL ARGS..]: start UML in the namespace in the
# background, console to $logs/NAME.console; sets uml_pid.
boot() {
	local name=$1 img=$2 secs=$3 dir
	shift 3
	dir=$(mktemp -d "$isn_tmp/uml.XXXXXX") || fail "mktemp"
	mkfifo "$dir/console" || fail "mkfifo"
	cat "$dir/console" >"$logs/$name.console" &
	# shellcheck disable=SC2086 # README's command line: words
	ip netns exec "$ns" env LD_PRELOAD="$shim" timeout -k 5 "$secs" "$uml" \
		mem=384M umid="$(basename "$dir")" uml_dir="$dir" initrd="$img" \
		con=null ssl=null con0=null,fd:1 loglevel=4 \
		eth0=tuntap,"$tap1" eth1=tuntap,"$tap2" \
		$cmdline panic=0 "$@" </dev/null >"$dir/console" 2>&1 &
	uml_pid=$!
	cleanup_add kill_uml
}
# shellcheck disable=SC2317 # called by the cleanup stack
kill_uml() {
	[ -n "$uml_pid" ] || return 0
	kill -TERM "$uml_pid" 2>/dev/null
	wait "$uml_pid" 2>/dev/null
	uml_pid=
}
# wait_console NAME SECONDS PATTERN: until the console shows PATTERN.
wait_console() {
	local end=$(($(date +%s) + $2))
	while ! grep -q -- "$3" "$logs/$1.console" 2>/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		kill -0 "$uml_pid" 2>/dev/null || grep -q -- "$3" "$logs/$1.console" || return 1
		sleep 0.2
	done
}
# wait_uml SECONDS: UML has exited (bounded; it runs under timeout too).
wait_uml() {
	wait "$uml_pid"
	uml_pid=
	sleep 0.2
}

step "boot 1: root on /dev/nbd0p1"
c=boot
boot $c "$initrd" 200 rw init=/sbin/init
wait_console $c 120 'T-ROOT: workload start' ||
	fail "the guest did not reach its workload: $(tail -n 30 "$logs/$c.console")"
step "workload runs: network 2 down on the host side"
sleep 1
ip -n "$ns" link set "$tap2" down || fail "tap2 down"
sleep 6
ip -n "$ns" link set "$tap2" up || fail "tap2 up"
step "network 2 up again"
wait_console $c 120 'T-ROOT: ready for shutdown' ||
	fail "the workload did not finish: $(tail -n 30 "$logs/$c.console")"
ip -n "$ns" link set "$tap1" down || fail "tap1 down"
step "network 1 down for the shutdown"
wait_console $c 60 'T-ROOT: shutdown: poweroff' ||
	fail "no poweroff: $(tail -n 30 "$logs/$c.console")"
wait_uml
ip -n "$ns" link set "$tap1" up || fail "tap1 up"
con=$isn_tmp/$c.console
tr -d '\r' <"$logs/$c.console" >"$con"
grep '^T-ROOT\|^iscsi-nbd:' "$con"
grep -q 'T-ROOT: root-device /dev/nbd0p1$' "$con" || fail "/ is not /dev/nbd0p1"
grep -q '^iscsi-nbd: root LUN attached as /dev/nbd0' "$con" || fail "no attach line"
grep -q 'T-ROOT: process [0-9]* @iscsi-nbd$' "$con" || fail "no @iscsi-nbd process"
for ip in 10.1.0.1 10.2.0.1; do
	grep -q "T-ROOT: status-boot: .*$ip:3260: ACTIVE" "$con" ||
		fail "status from the real root does not show the path to $ip ACTIVE"
done
grep -q 'T-ROOT: unit condition root: exit 1$' "$con" ||
	fail "the unit's ExecCondition would start a second daemon for root"
grep -q 'T-ROOT: unit condition other: exit 0$' "$con" ||
	fail "the unit's ExecCondition would not start a daemon that does not run"
grep -q 'T-ROOT: verify ok: 32 files' "$con" || fail "workload verify"
# The pull reached the daemon: the path over network 2 failed and is back.
grep -q 'T-ROOT: status-after: .*path1 10.2.0.1:3260: ACTIVE' "$con" &&
	grep -A1 'T-ROOT: status-after: .*path1 10.2.0.1:3260' "$con" | grep -q 'failures [1-9]' ||
	fail "status after the workload: path1 did not fail and come back"
grep -q 'FAILED' "$con" && fail "a step failed: $(grep FAILED "$con")"
grep -q 'T-ROOT: shutdown: TERM [0-9]* sleep' "$con" || fail "the victim was not killed"
grep -q 'T-ROOT: shutdown: spared [0-9]* @iscsi-nbd' "$con" || fail "the daemon was not spared"
grep -q 'T-ROOT: shutdown: / remounted read-only' "$con" || fail "no read-only remount"
last=$(grep 'T-ROOT: last standing:' "$con")
[ "$(echo "$last" | grep -c .)" = 1 ] && echo "$last" | grep -q '@iscsi-nbd$' ||
	fail "the daemon is not the last process standing: $last"
grep -qi 'I/O error\|EXT4-fs error' "$con" && fail "kernel I/O errors: $(grep -i 'I/O error\|EXT4-fs error' "$con" | head)"

# The filesystem, from the host (tgtd wrote every byte it acknowledged).
dd if="$disk" of="$isn_tmp/p1-after.img" bs=1M skip=1 count=96 status=none || fail "dd p1"
e2fsck -f -n "$isn_tmp/p1-after.img" >"$logs/e2fsck.log" 2>&1 ||
	fail "e2fsck -f -n: $(cat "$logs/e2fsck.log")"
rm -f "$isn_tmp/p1-after.img"
step "boot 1 passed; e2fsck -f -n clean"

step "boot 2: systemd as PID 1, network 1 down at its reboot and its shutdown"
c=systemd
boot $c "$initrd" 260 rw init=$sd systemd.log_target=console \
	systemd.log_level=info systemd.show_status=1
wait_console $c 150 'T-ROOT-SD: ready for reboot' ||
	fail "systemd boot: no workload end: $(tail -n 40 "$logs/$c.console")"
ip -n "$ns" link set "$tap1" down || fail "tap1 down"
step "network 1 down before systemctl reboot"
wait_console $c 60 'Rebooting\.\|reboot: Restarting system' ||
	fail "systemd boot: no reboot: $(tail -n 40 "$logs/$c.console")"
ip -n "$ns" link set "$tap1" up || fail "tap1 up"
step "rebooting; network 1 up again"
wait_console $c 120 'T-ROOT-SD2: ready for shutdown' ||
	fail "systemd boot: the boot after the reboot did not come up: $(tail -n 40 "$logs/$c.console")"
ip -n "$ns" link set "$tap1" down || fail "tap1 down"
step "network 1 down before systemctl poweroff"
wait_uml
ip -n "$ns" link set "$tap1" up || fail "tap1 up"
con=$isn_tmp/$c.console
tr -d '\r' <"$logs/$c.console" | sed 's/\x1b\[[0-9;]*m//g' >"$con"
grep 'T-ROOT-SD\|exec-condition\|Sending SIG\|[Rr]emount\|unmounted\|Rebooting\|Powering off' "$con"
# The first boot, up to the reboot; the second, after it.
sed -n '1,/T-ROOT-SD: systemctl reboot/p' "$con" >"$isn_tmp/sd-1"
sed -n '/T-ROOT-SD: systemctl reboot/,/T-ROOT-SD2: pid1/p' "$con" >"$isn_tmp/sd-reboot"
sed -n '/T-ROOT-SD2: pid1/,$p' "$con" >"$isn_tmp/sd-2"
grep -q 'T-ROOT-SD: pid1 /lib/systemd/systemd' "$con" || fail "systemd: PID 1 is not systemd"
grep -q 'T-ROOT-SD: root-device /dev/nbd0p1$' "$con" || fail "systemd: / is not /dev/nbd0p1"
grep -q 'T-ROOT-SD: daemon [0-9]* @iscsi-nbd$' "$con" || fail "systemd: no @iscsi-nbd"
grep -q "iscsi-nbd@root.service: Skipped due to 'exec-condition'" "$isn_tmp/sd-1" &&
	grep -q 'T-ROOT-SD: unit .*Result=exec-condition' "$con" ||
	fail "systemd started iscsi-nbd@root.service instead of keeping the running daemon"
[ "$(grep -c 'T-ROOT-SD: status: .*: ACTIVE' "$con")" = 2 ] || fail "systemd: status root"
grep -q 'T-ROOT-SD: verify ok' "$con" || fail "systemd: workload verify"
# systemd-shutdown: the killing spree, then / read-only, then reboot and
# later power off; / stayed served through all of it (it spared
# @iscsi-nbd).
for f in reboot:Rebooting 2:'Powering off'; do
	sed -n '/Sending SIGTERM to remaining processes/,$p' "$isn_tmp/sd-${f%%:*}" >"$isn_tmp/sd-final"
	grep -q 'Sending SIGKILL to remaining processes' "$isn_tmp/sd-final" &&
		grep -q "Remounting '/' read-only" "$isn_tmp/sd-final" &&
		grep -q 'All filesystems unmounted' "$isn_tmp/sd-final" &&
		grep -q "${f#*:}" "$isn_tmp/sd-final" ||
		fail "systemd-shutdown did not end with / read-only and ${f#*:}"
done
# The boot after the reboot: through the initramfs again, / on nbd over
# both paths, no journal to recover (the reboot left ext4 clean), the
# first boot's files intact.
grep -q '^iscsi-nbd: root LUN attached as /dev/nbd0' "$isn_tmp/sd-reboot" ||
	fail "after the reboot: no attach by the initramfs"
grep -q 'T-ROOT-SD2: pid1 /lib/systemd/systemd' "$con" &&
	grep -q 'T-ROOT-SD2: root-device /dev/nbd0p1$' "$con" ||
	fail "after the reboot: not systemd with / on /dev/nbd0p1"
grep -q 'T-ROOT-SD2: ext4 mounts: [1-9]' "$con" && grep -q 'T-ROOT-SD2: journal recoveries: 0$' "$con" ||
	fail "after the reboot: ext4 recovered its journal (the reboot did not leave it clean)"
[ "$(grep -c 'T-ROOT-SD2: status: .*: ACTIVE' "$con")" = 2 ] || fail "after the reboot: status root"
grep -q 'T-ROOT-SD2: verify ok' "$con" || fail "after the reboot: the first boot's files"
grep -qi 'I/O error\|EXT4-fs error\|Failed to remount' "$con" &&
	fail "systemd: $(grep -i 'I/O error\|EXT4-fs error\|Failed to remount' "$con" | head -n 3)"
dd if="$disk" of="$isn_tmp/p1-after.img" bs=1M skip=1 count=96 status=none || fail "dd p1"
e2fsck -f -n "$isn_tmp/p1-after.img" >"$logs/e2fsck-systemd.log" 2>&1 ||
	fail "e2fsck -f -n after the systemd boot: $(cat "$logs/e2fsck-systemd.log")"
rm -f "$isn_tmp/p1-after.img"
step "boot 2 passed: systemd spared @iscsi-nbd at reboot and power off, / read-only, the boot after the reboot through the initramfs clean; e2fsck -f -n clean"

# Boot 3: no root.conf, the flag file /etc/iscsi-nbd/initramfs, the LUN
# named on the kernel command line only (the target without CHAP now).
# The same host, so the same initiator name: the LUN is still reserved
# (SPC-3 PR) by boot 2's daemon, which powered off without a detach.
mkdir -p "$isn_tmp/etc-flag" && : >"$isn_tmp/etc-flag/initramfs" &&
	cp "$etc/initiatorname" "$isn_tmp/etc-flag/" || fail "flag file"
initrd_flag=$isn_tmp/initrd-flag.img
mk_initrd "$initrd_flag" "$isn_tmp/etc-flag" >"$logs/mkinitramfs-flag.log" 2>&1 ||
	fail "mkinitramfs with the flag file: $(tail -n 20 "$logs/mkinitramfs-flag.log")"
zcat "$initrd_flag" | cpio -it 2>/dev/null >"$isn_tmp/flag.list"
grep -q 'sbin/iscsi-nbd$' "$isn_tmp/flag.list" && grep -q 'nbd\.ko$' "$isn_tmp/flag.list" ||
	fail "the flag file did not make the hook add the program and nbd.ko"
grep -q 'root\.conf$' "$isn_tmp/flag.list" && fail "a root.conf in the flag-file image"
tgtadm_ns "$ns" --mode account --op unbind --tid 1 --user "$CHAP_USER" || fail "CHAP unbind"
c=cmdline
boot $c "$initrd_flag" 120 rw init=/sbin/init-quick \
	iscsi_nbd.target="$IQN" iscsi_nbd.lun=1 iscsi_nbd.portal=10.1.0.1 iscsi_nbd.portal=10.2.0.1
wait_console $c 90 'T-ROOT-CMDLINE: / read-only' ||
	fail "boot from the command line's configuration: $(tail -n 30 "$logs/$c.console")"
wait_uml
tr -d '\r' <"$logs/$c.console" | grep 'T-ROOT-CMDLINE' >"$isn_tmp/$c.lines"
cat "$isn_tmp/$c.lines"
grep -q 'root-device /dev/nbd0p1$' "$isn_tmp/$c.lines" || fail "cmdline boot: / is not /dev/nbd0p1"
[ "$(grep -c 'status: .*: ACTIVE' "$isn_tmp/$c.lines")" = 2 ] ||
	fail "cmdline boot: status root does not show two ACTIVE paths"
step "boot 3 passed: the LUN from iscsi_nbd.* alone, both paths"

# panic_boot NAME MESSAGE KERNEL ARGS..: the boot must end in the initramfs
# panic (halt: panic=0) with MESSAGE on the console, within 90 s.
panic_boot() {
	local name=$1 msg=$2
	shift 2
	boot "$name" "${PANIC_INITRD:-$initrd}" 120 "$@"
	wait_console "$name" 90 "$msg" || {
		kill_uml
		fail "$name: no panic with '$msg': $(tail -n 30 "$logs/$name.console")"
	}
	wait_console "$name" 30 'Halting automatically due to panic= boot argument' || {
		kill_uml
		fail "$name: the panic did not halt: $(tail -n 10 "$logs/$name.console")"
	}
	wait_uml
	grep 'iscsi-nbd' "$logs/$name.console" | head -n 3
	step "$name: panic with the message"
}
panic_boot wrong-target 'iscsi-nbd: the target refused the login' \
	rw iscsi_nbd.target="$IQN.nosuch"
tgtadm_ns "$ns" --mode account --op delete --user "$CHAP_USER" &&
	tgtadm_ns "$ns" --mode account --op new --user "$CHAP_USER" --password "$CHAP_OTHER" &&
	tgtadm_ns "$ns" --mode account --op bind --tid 1 --user "$CHAP_USER" || fail "CHAP change"
panic_boot wrong-chap 'iscsi-nbd: CHAP authentication failed' rw

# An initramfs made on a machine without root.conf: the hook adds nothing.
mkdir -p "$isn_tmp/etc-none"
PANIC_INITRD=$isn_tmp/initrd-none.img
mk_initrd "$PANIC_INITRD" "$isn_tmp/etc-none" >"$logs/mkinitramfs-none.log" 2>&1 ||
	fail "mkinitramfs without configuration: $(tail -n 20 "$logs/mkinitramfs-none.log")"
zcat "$PANIC_INITRD" | cpio -it 2>/dev/null | grep -q 'sbin/iscsi-nbd$\|nbd\.ko$' &&
	fail "the hook added files without /etc/iscsi-nbd/root.conf"
panic_boot no-config 'this initramfs has no root LUN configuration' rw
step "t-root passed"
exit 0
