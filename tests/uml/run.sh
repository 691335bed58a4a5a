#!/bin/bash
# Run one guest script inside a User-Mode Linux kernel and exit with its
# status (0 pass, 77 skip, anything else fail).
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
#   UML_TIMEOUT   wall-clock bound of the whole run in seconds (default 300)
#   UML_MEM       guest memory (default 768M)
#   UML_NAME      name of the run, used for the log folder (default: the
#                 script's file name without .sh)
#   top_builddir  logs are kept in $top_builddir/tests/uml/logs/$UML_NAME/
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
# Skip reasons in the form tests/skip.sh defines (run-tests.sh polices it).
if [ ! -x "$uml" ]; then
	echo "$me: SKIP: missing: User-Mode Linux kernel $uml" \
		"(apt-get install user-mode-linux)" >&2
	exit 77
fi
moddir=/usr/lib/uml/modules/$("$uml" --version 2>/dev/null | tail -1)
if [ ! -d "$moddir" ]; then
	echo "$me: SKIP: missing: UML module tree $moddir (package user-mode-linux)" >&2
	exit 77
fi

timeout_s=${UML_TIMEOUT:-300}
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
	printf 'UML_SCRIPT=%q\n' "$script"
	printf 'UML_NAME=%q\n' "$name"
	printf 'UML_OUT=%q\n' "$out"
	printf 'UML_GUEST_TIMEOUT=%q\n' "$guest_timeout"
	printf 'top_srcdir=%q\n' "$top_srcdir"
	printf 'top_builddir=%q\n' "$top_builddir"
	while IFS='=' read -r k _; do
		case $k in ISN_*) printf '%s=%q\n' "$k" "${!k}" ;; esac
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
# UML's console goes to its stdout; a pipe (here a fifo drained by cat)
# rather than a plain file, because UML warns about epoll on regular files.
mkfifo "$tmp/console" || exit 1
cat "$tmp/console" >"$out/console.log" &
cat_pid=$!
# UML 6.1 on a host CPU with AVX-512 / AMX panics at init ("ptrace set fp
# regs failed, errno = 14"): xstate-shim.c pads its FPU ptrace calls to the
# host's XSAVE size. Harmless elsewhere; without a compiler, run without it.
preload=
if cc -O2 -shared -fPIC -o "$tmp/xstate-shim.so" "$here/xstate-shim.c" -ldl \
	2>"$out/xstate-shim.err"; then
	preload=$tmp/xstate-shim.so
	rm -f "$out/xstate-shim.err"
fi
LD_PRELOAD=$preload timeout -k 10 "$timeout_s" "$uml" \
	mem="$mem" umid="$umid" uml_dir="$tmp/uml" \
	root=/dev/root rootfstype=hostfs rootflags=/ ro \
	init="$tmp/init.sh" con=null ssl=null con0=null,fd:1 loglevel=4 \
	UML_OUT="$out" </dev/null >"$tmp/console" 2>&1 &
uml_pid=$!
wait "$uml_pid"
uml_rc=$?
uml_pid=
wait "$cat_pid"
cat_pid=
t1=$(date +%s.%N)

if [ -f "$out/status" ]; then
	rc=$(cat "$out/status")
	[[ $rc =~ ^[0-9]+$ ]] || { echo "$me: garbled status '$rc'" >&2; rc=1; }
	why="guest script exited $rc"
	[ "$rc" = 124 ] && why="guest script timed out after $guest_timeout s"
elif [ "$uml_rc" = 124 ] || [ "$uml_rc" = 137 ]; then
	rc=1 why="UML killed after $timeout_s s without a status file"
elif grep -q 'ptrace set fp regs failed, errno = 14' "$out/console.log" 2>/dev/null; then
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
	rc=1 why="guest crashed: no status file (UML exit status $uml_rc)"
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
	echo "----- UML console (last 60 lines)"
	tail -n 60 "$out/console.log" 2>/dev/null
	if [ -f "$out/dmesg" ]; then
		echo "----- guest dmesg after init started (last 60 lines)"
		sed '1,/as init process/d' "$out/dmesg" | tail -n 60
	fi
	echo "-----"
fi
echo "$me: $name: $why; init after ${boot:-?} s, wall ${total} s; logs in $logs"
exit "$rc"
