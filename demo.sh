#!/usr/bin/env bash
# README command 1: install what is needed, build, and show iscsi-nbd at work.
#
#   sudo ./demo.sh
#       Embedded target: boots User-Mode Linux (the host kernel needs no nbd
#       module), starts tgtd there with one LUN reachable over two networks,
#       attaches it with iscsi-nbd over both (round-robin) as /dev/nbd0,
#       partitions, formats, mounts and writes it, pulls one network cable
#       while a write runs, shows the write finish and `iscsi-nbd status`,
#       then detaches and cleans up.
#
#   sudo ./demo.sh -t IQN -P PORTAL [-P PORTAL ...] [-l LUN] [--chap-user U --chap-secret-file F]
#       Your target, read-only: attaches it as /dev/nbdN when this kernel has
#       the nbd driver, else serves it over NBD on a Unix socket, shows what
#       the kernel / an NBD client sees and `iscsi-nbd status`, reads the
#       first MiB, and detaches. Nothing is written to your LUN.
set -euo pipefail
cd "$(dirname "$0")"
top=$PWD
build=$top/_build/demo

[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (sudo ./demo.sh)" >&2; exit 1; }
./scripts/install-deps.sh
echo "demo.sh: building in $build"
./autogen.sh >/dev/null 2>&1 || ./autogen.sh
mkdir -p "$build"
(cd "$build" && { [ -f Makefile ] || "$top/configure" -q; } && make -j"$(nproc)" >build.log 2>&1) ||
	{ tail -30 "$build/build.log"; exit 1; }
bin=$build/iscsi-nbd

if [ $# -eq 0 ]; then
	export top_builddir=$build
	exec bash "$top/tests/uml/demo-guest.sh"
fi

# A target of the user's: read-only tour.
run=$(mktemp -d /tmp/iscsi-nbd-demo.XXXXXX)
export ISCSI_NBD_RUNDIR=$run
cleanup() {
	"$bin" detach demo >/dev/null 2>&1 || true
	rm -rf "$run"
}
trap cleanup EXIT INT TERM
if modprobe nbd 2>/dev/null && [ -e /sys/module/nbd ]; then
	dev=$("$bin" attach --name demo "$@")
	echo "attached as $dev"
	lsblk "$dev" || true
	cat "/sys/block/${dev#/dev/}/backend" 2>/dev/null && echo
	dd if="$dev" bs=1M count=1 status=none | od -A d -t x1 | head -5 || true
else
	echo "this kernel has no nbd driver: serving the LUN over NBD instead"
	"$bin" serve --name demo --socket "$run/demo.sock" "$@"
	nbdinfo "nbd+unix:///?socket=$run/demo.sock"
	(nbdcopy "nbd+unix:///?socket=$run/demo.sock" - 2>/dev/null || true) |
		head -c 1048576 | od -A d -t x1 | head -5 || true
fi
"$bin" status demo
"$bin" detach demo
echo "demo finished"
