#!/bin/bash
# Run one guest script inside a User-Mode Linux kernel, or where UML cannot
# run, Debian's own kernel under QEMU, and exit with its status (0 pass, 77
# skip, anything else fail).
#
#   tests/uml/run.sh GUEST_SCRIPT [KEY=VALUE ...]
#
# The guest's root is the host's / over hostfs, read-only, under a writable
# overlay kept in guest RAM, so the guest sees the source tree, the build
# tree and every installed tool at their host paths while nothing it does
# reaches the host. The one exception is a results folder made here (under
# a mktemp folder) and mounted read-write in the guest at the same path
# ($UML_OUT). The guest has no network device: guest scripts build their own
# namespaces and veth links inside the guest (see lib.sh).
#
# KEY=VALUE words become environment variables of the guest script, as do
# top_srcdir, top_builddir, UML_NAME, UML_OUT and every ISN_* variable of
# the caller. Environment of run.sh itself:
#   LINUX_UML     UML kernel (default /usr/bin/linux.uml; missing -> exit 77)
#   UML_TIMEOUT   wall-clock bound of the whole run in seconds (default 300,
#                 600 under QEMU without KVM)
#   UML_MEM       guest memory (default 768M)
#   UML_NAME      name of the run, used for the log folder (default: the
#                 script's file name without .sh)
#   top_builddir  logs are kept in $top_builddir/tests/uml/logs/$UML_NAME/
#   ISN_GUEST     uml or qemu: the back end (default: UML where it can run
#                 user processes on this host, else QEMU; README.md)
#   ISN_QEMU_ACCEL  kvm or tcg (default: kvm where it boots Debian's kernel)
#   ISN_QEMU_CACHE  where qemu.sh keeps the kernel (/var/cache/iscsi-nbd-tests)
#   ISN_QEMU_SMP  guest CPUs under QEMU (default 1, as UML has)
#
# UML's own exit status says nothing about the test (0 after poweroff, 134
# after a panic): the guest's init writes the script's status to
# $UML_OUT/status and a missing file means the guest crashed or hung.
set -u

me=run.sh
usage() {
	echo "usage: $0 GUEST_SCRIPT [KEY=VALUE ...]" >&2
	exit 2
}
[ $# -ge 1 ] || usage
case $1 in -h | --help) usage ;; esac

here=$(cd "$(dirname "$0")" && pwd) || exit 1
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	if [ -f "$PWD/config.status" ]; then top_builddir=$PWD; else top_builddir=$top_srcdir; fi
fi
top_srcdir=$(cd "$top_srcdir" && pwd) || exit 1
top_builddir=$(cd "$top_builddir" && pwd) || exit 1

script=$1
shift
[ -f "$script" ] || { echo "$me: no such guest script: $script" >&2; exit 2; }
script=$(cd "$(dirname "$script")" && pwd)/$(basename "$script")
name=${UML_NAME:-$(basename "$script" .sh)}

uml=${LINUX_UML:-/usr/bin/linux.uml}
qemu=${ISN_QEMU:-qemu-system-x86_64}
qemu_cache=${ISN_QEMU_CACHE:-/var/cache/iscsi-nbd-tests}

# uml_runs: this host can run user processes in $uml. Debian's linux.uml
# (6.1 in bookworm, 6.12 in trixie alike) cannot on a CPU with AVX-512 or
# AMX state: the host's PTRACE_SETREGSET(NT_X86_XSTATE) takes only a
# buffer of the host's whole XSAVE size and UML passes a fixed, smaller
# one, so the first guest process dies with SIGSEGV ("ptrace set fp regs
# failed, errno = 14"). A guest whose init is /bin/true shows it in about
# 2 s; the answer is kept per build tree, keyed by kernel and CPU.
uml_runs() {
	local key cache=$top_builddir/tests/uml/uml-probe p con
	key="$uml $("$uml" --version 2>/dev/null | tail -1) $(stat -c %Y "$uml")"
	key="$key $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2)"
	if [ -f "$cache" ] && [ "$(head -1 "$cache")" = "$key" ]; then
		[ "$(sed -n 2p "$cache")" = yes ]
		return
	fi
	p=$(mktemp -d "${TMPDIR:-/tmp}/isn-umlprobe.XXXXXX") || return 0
	timeout -k 5 30 "$uml" mem=64M umid="$(basename "$p")" uml_dir="$p" \
		root=/dev/root rootfstype=hostfs rootflags=/ ro init=/bin/true \
		con=null ssl=null con0=null,fd:1 </dev/null 2>&1 | cat >"$p/console"
	con=$(cat "$p/console")
	rm -rf "$p"
	# Only the known failure counts: anything else is left to the real
	# run to report, as before this probe existed.
	local ok=yes
	case $con in *'ptrace set fp regs failed'*) ok=no ;; esac
	mkdir -p "$(dirname "$cache")" 2>/dev/null &&
		printf '%s\n%s\n' "$key" "$ok" >"$cache" 2>/dev/null
	[ $ok = yes ]
}

# qemu_usable: QEMU and a static busybox for the initramfs; prints what
# is missing otherwise.
qemu_usable() {
	command -v "$qemu" >/dev/null 2>&1 || { echo "$qemu (apt-get install qemu-system-x86)"; return 1; }
	[ -x "${ISN_BUSYBOX:-/bin/busybox}" ] ||
		{ echo "busybox (apt-get install busybox-static)"; return 1; }
	return 0
}

# qemu_accel: kvm when /dev/kvm runs an ordinary kernel, else tcg (QEMU's
# own emulation, several times slower but independent of the host). A
# /dev/kvm alone proves nothing: a host whose KVM is PVM (kvm_pvm, the
# Pagetable-based Virtual Machine that needs no VT-x) runs only kernels
# built as PVM guests, and Debian's stops after the real-mode setup
# ("Probing EDD") with QEMU spinning. So boot the real kernel and
# initramfs once with QEMU_PROBE=1 (qemu-init.sh then powers off at once)
# and keep the answer per build tree, keyed by kernel, QEMU and CPU.
# ISN_QEMU_ACCEL=kvm|tcg skips the probe.
qemu_accel() {
	local key cache=$top_builddir/tests/uml/qemu-probe p accel=tcg
	if [ -n "${ISN_QEMU_ACCEL:-}" ]; then
		echo "$ISN_QEMU_ACCEL"
		return
	fi
	if ! [ -c /dev/kvm ] || ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
		echo tcg
		return
	fi
	# Known without a boot (saves the probe's 20 s).
	if [ -d /sys/module/kvm_pvm ]; then
		echo tcg
		return
	fi
	key="$kdir $("$qemu" --version | head -1) $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2)"
	if [ -f "$cache" ] && [ "$(head -1 "$cache")" = "$key" ]; then
		sed -n 2p "$cache"
		return
	fi
	p=$(mktemp -d "${TMPDIR:-/tmp}/isn-qemuprobe.XXXXXX") || { echo tcg; return; }
	if bash "$here/qemu.sh" initramfs "$kdir" "$p/initrd"; then
		timeout -k 5 20 "$qemu" -nodefaults -no-user-config -machine pc,accel=kvm \
			-cpu host -m 256M -display none -no-reboot -serial "file:$p/console" \
			-kernel "$kdir/vmlinuz" -initrd "$p/initrd" \
			-append "console=ttyS0 loglevel=4 panic=-1 QEMU_PROBE=1" \
			</dev/null >/dev/null 2>&1
		grep -q 'qemu-init: probe ok' "$p/console" && accel=kvm
	fi
	rm -rf "$p"
	mkdir -p "$(dirname "$cache")" 2>/dev/null &&
		printf '%s\n%s\n' "$key" "$accel" >"$cache" 2>/dev/null
	echo $accel
}

# Skip reasons in the form tests/skip.sh defines (run-tests.sh polices it).
# The back end: ISN_GUEST=uml|qemu forces one; else UML where it runs user
# processes, else QEMU (with KVM where that runs Debian's kernel, else
# TCG), else skip.
guest=${ISN_GUEST:-}
case $guest in
'' | uml | qemu) ;;
*) echo "$me: ISN_GUEST must be uml or qemu, not '$guest'" >&2; exit 2 ;;
esac
uml_why=
if [ "$guest" != qemu ]; then
	if [ ! -x "$uml" ]; then
		uml_why="User-Mode Linux kernel $uml (apt-get install user-mode-linux)"
	else
		moddir=/usr/lib/uml/modules/$("$uml" --version 2>/dev/null | tail -1)
		if [ ! -d "$moddir" ]; then
			uml_why="UML module tree $moddir (package user-mode-linux)"
		elif [ "$guest" != uml ] && ! uml_runs; then
			uml_why="a UML kernel that runs on this host CPU (linux.uml $("$uml" --version 2>/dev/null | tail -1): ptrace set fp regs failed with EFAULT; the host's XSAVE area is larger than UML supports)"
		fi
	fi
	if [ -z "$uml_why" ]; then
		guest=uml
	elif [ "$guest" = uml ]; then
		echo "$me: SKIP: missing: $uml_why" >&2
		exit 77
	fi
fi
if [ "$guest" != uml ]; then
	if ! qemu_why=$(qemu_usable); then
		echo "$me: SKIP: missing: ${uml_why:+$uml_why, and for the QEMU back end }$qemu_why" >&2
		exit 77
	fi
	# The kernel: prepared by scripts/install-deps.sh, else now (needs
	# apt's lists and Debian's archive, once per cache).
	kdir=$(bash "$here/qemu.sh" find "$qemu_cache") ||
		kdir=$(bash "$here/qemu.sh" kernel "$qemu_cache") || {
		echo "$me: SKIP: missing: ${uml_why:+$uml_why, and for the QEMU back end }a Debian" \
			"kernel in $qemu_cache (run scripts/install-deps.sh as root)" >&2
		exit 77
	}
	kmoddir=$(ls -d "$kdir"/lib/modules/*/ | head -1)
	kmoddir=${kmoddir%/}
	guest=qemu
	accel=$(qemu_accel)
	case $accel in
	kvm) cpu=host ;;
	tcg) cpu=max ;;
	*) echo "$me: ISN_QEMU_ACCEL must be kvm or tcg, not '$accel'" >&2; exit 2 ;;
	esac
fi

# TCG runs the guest several times slower than UML or KVM (t-nbd-cablepulls
# took 203 s of the 300 on an idle 2-core host): twice the default bound.
timeout_s=${UML_TIMEOUT:-$([ "${accel:-}" = tcg ] && echo 600 || echo 300)}
mem=${UML_MEM:-768M}
guest_timeout=$((timeout_s > 40 ? timeout_s - 20 : timeout_s / 2))

# Everything of this run lives in one folder; its path goes on the kernel
# command line and into a hostfs mount option, so keep it plain.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/isn-uml.XXXXXX") || exit 1
case $tmp in
*[!A-Za-z0-9_./-]*)
	echo "$me: temp folder path $tmp has characters the kernel command line cannot carry" >&2
	rm -rf "$tmp"
	exit 1
	;;
esac
case $guest:${kdir:-} in
*[!A-Za-z0-9_./:+-]*)
	echo "$me: kernel folder $kdir has characters the kernel command line cannot carry" >&2
	rm -rf "$tmp"
	exit 1
	;;
esac
out=$tmp/out
mkdir -p "$out" "$tmp/uml"
# A private copy of init, made executable here: the source tree's file
# modes do not matter (a dist tarball or a read-only checkout).
cp "$here/init.sh" "$tmp/init.sh" && chmod 0755 "$tmp/init.sh" || exit 1

uml_pid='' cat_pid=''
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "$uml_pid" ]; then
		# timeout(1) forwards the signal to UML's whole process group.
		kill -TERM "$uml_pid" 2>/dev/null
		wait "$uml_pid" 2>/dev/null
	fi
	[ -n "$cat_pid" ] && wait "$cat_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "$me: interrupted" >&2; exit 130' INT TERM HUP

{
	printf 'ISN_GUEST=%q\n' "$guest"
	printf 'UML_SCRIPT=%q\n' "$script"
	printf 'UML_NAME=%q\n' "$name"
	printf 'UML_OUT=%q\n' "$out"
	printf 'UML_GUEST_TIMEOUT=%q\n' "$guest_timeout"
	printf 'top_srcdir=%q\n' "$top_srcdir"
	printf 'top_builddir=%q\n' "$top_builddir"
	while IFS='=' read -r k _; do
		case $k in ISN_GUEST) ;; ISN_*) printf '%s=%q\n' "$k" "${!k}" ;; esac
	done < <(env)
	for kv in "$@"; do
		k=${kv%%=*}
		case $kv in
		*=*) ;;
		*) echo "$me: argument '$kv' is not KEY=VALUE" >&2; exit 2 ;;
		esac
		[[ $k =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "$me: bad variable name '$k'" >&2; exit 2; }
		printf '%s=%q\n' "$k" "${kv#*=}"
	done
} >"$out/env" || exit 2

umid=$(basename "$tmp")
t0=$(date +%s.%N)
if [ "$guest" = uml ]; then
	# UML's console goes to its stdout; a pipe (here a fifo drained by
	# cat) rather than a plain file, because UML warns about epoll on
	# regular files.
	mkfifo "$tmp/console" || exit 1
	cat "$tmp/console" >"$out/console.log" &
	cat_pid=$!
	timeout -k 10 "$timeout_s" "$uml" \
		mem="$mem" umid="$umid" uml_dir="$tmp/uml" \
		root=/dev/root rootfstype=hostfs rootflags=/ ro \
		init="$tmp/init.sh" con=null ssl=null con0=null,fd:1 loglevel=4 \
		UML_OUT="$out" </dev/null >"$tmp/console" 2>&1 &
	uml_pid=$!
else
	bash "$here/qemu.sh" initramfs "$kdir" "$tmp/initrd" || exit 1
	# The host's / read-only (multidevs=remap: it spans several host file
	# systems, whose inode numbers would collide in one 9p export) and the
	# results folder read-write; no network device, no disk, no display.
	# panic=-1 with -no-reboot: a guest panic ends QEMU at once.
	timeout -k 10 "$timeout_s" "$qemu" -nodefaults -no-user-config \
		-machine "pc,accel=$accel" -cpu "$cpu" -smp "${ISN_QEMU_SMP:-1}" -m "$mem" \
		-display none -no-reboot -serial "file:$out/console.log" \
		-kernel "$kdir/vmlinuz" -initrd "$tmp/initrd" \
		-append "console=ttyS0 loglevel=4 panic=-1 ISN_GUEST=qemu ISN_INIT=$tmp/init.sh ISN_MODDIR=$kmoddir UML_OUT=$out" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$out,mount_tag=isnout,security_model=none,multidevs=remap" \
		</dev/null >"$tmp/qemu.out" 2>&1 &
	uml_pid=$!
fi
wait "$uml_pid"
uml_rc=$?
uml_pid=
if [ -n "$cat_pid" ]; then
	wait "$cat_pid"
	cat_pid=
fi
[ -s "$tmp/qemu.out" ] && cp "$tmp/qemu.out" "$out/qemu.out"
t1=$(date +%s.%N)

if [ -f "$out/status" ]; then
	rc=$(cat "$out/status")
	[[ $rc =~ ^[0-9]+$ ]] || { echo "$me: garbled status '$rc'" >&2; rc=1; }
	why="guest script exited $rc"
	[ "$rc" = 124 ] && why="guest script timed out after $guest_timeout s"
elif [ "$uml_rc" = 124 ] || [ "$uml_rc" = 137 ]; then
	rc=1 why="$guest guest killed after $timeout_s s without a status file"
elif [ "$guest" = uml ] && grep -q 'ptrace set fp regs failed, errno = 14' "$out/console.log" 2>/dev/null; then
	# The host refused to restore a guest process's FPU state: its
	# PTRACE_SETREGSET(NT_X86_XSTATE) takes only a buffer of the host's
	# whole XSAVE size, and Debian's linux.uml (6.1 in bookworm, 6.12 in
	# trixie alike) passes a fixed, smaller one, so on a CPU with AVX-512
	# or AMX state the first user process of any guest dies with SIGSEGV
	# before it runs a line of ours. Nothing a test does can cause this:
	# the machine lacks a UML kernel that can run on it.
	rc=77 why="UML cannot run user processes on this host CPU"
	echo "$me: SKIP: missing: a UML kernel that runs on this host CPU" \
		"(linux.uml $("$uml" --version 2>/dev/null | tail -1): ptrace set fp regs" \
		"failed with EFAULT; the host's XSAVE area is larger than UML supports)" >&2
else
	rc=1 why="$guest guest crashed: no status file (exit status $uml_rc)"
fi

# Keep the logs with the build, replacing the previous run's.
logs=$top_builddir/tests/uml/logs/$name
rm -rf "$logs" && mkdir -p "$logs" && cp -a "$out/." "$logs/" 2>/dev/null ||
	logs="(not kept: cannot write $logs)"

boot=
if [ -f "$out/t-init" ]; then
	boot=$(awk -v a="$t0" -v b="$(cat "$out/t-init")" 'BEGIN { printf "%.1f", b - a }')
fi
total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

if [ -s "$out/guest.log" ]; then
	echo "----- guest log ($name)"
	cat "$out/guest.log"
	echo "-----"
fi
if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
	echo "----- $guest console (last 60 lines)"
	tail -n 60 "$out/console.log" 2>/dev/null
	[ -s "$out/qemu.out" ] && { echo "----- qemu"; cat "$out/qemu.out"; }
	if [ -f "$out/dmesg" ]; then
		echo "----- guest dmesg after init started (last 60 lines)"
		sed '1,/as init process/d' "$out/dmesg" | tail -n 60
	fi
	echo "-----"
fi
echo "$me: $name: $why ($guest${accel:+ $accel}); init after ${boot:-?} s, wall ${total} s; logs in $logs"
exit "$rc"
