# Helpers for User-Mode Linux kernel tests; source it, do not run it.
# (bash: run.sh and make check run the tests with bash.)
#
# A test file is both the host-side test and the guest script:
#
#   . "$(dirname "$0")/lib.sh"
#   requires sfdisk mkfs.ext4            # checks that can skip early (both sides)
#   uml_guest "$0" [KEY=VALUE ...]       # host: run this file in UML, exit with
#                                        # its status; guest: return and go on
#   ... guest part: runs as root inside UML ...
#
# Exit status: 0 pass, 77 skip (`skip_missing WHAT`: only for what the
# machine lacks, see tests/skip.sh), anything else fail (`fail MSG`).
# Inside the guest: $UML_OUT is a host folder (kept as
# $top_builddir/tests/uml/logs/NAME/), /scratch a tmpfs, TMPDIR=/scratch.
# Everything a test makes in the guest dies with the guest, but tests still
# stop their daemons through on_exit so that teardown paths get exercised.

uml_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$uml_lib_dir/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

# ---- results ---------------------------------------------------------------

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
# skip_missing, skip_na, skip, requires_built: the skip rule and the form
# of a skip's reason are the same for every test (tests/skip.sh).
. "$top_srcdir/tests/skip.sh"
log() {
	echo "[$(cut -d' ' -f1 /proc/uptime 2>/dev/null || date +%s)] $*"
}

# requires CMD...: skip unless every command is on PATH.
requires() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip_missing "$c" "not installed"
	done
}

in_uml() {
	[ "${UML_GUEST:-}" = 1 ]
}

# uml_guest SCRIPT [KEY=VALUE ...]: on the host, run SCRIPT (normally "$0")
# inside UML through run.sh and exit with its status; in the guest, return.
# run-tests.sh leaves every tests/uml/ test out of the sanitizer tier
# (SANITIZER_EXCLUDED_TESTS in Makefile.am: an ASan binary cannot run in
# the guest). Run by hand with ISN_SANITIZER set, a test that only proves
# the bed says it is not applicable; a test that runs our binaries sets
# UML_SANITIZER_OK=1 and then meets isn_require_attach's ASan check.
uml_guest() {
	in_uml && return 0
	if [ -n "${ISN_SANITIZER:-}" ] && [ -z "${UML_SANITIZER_OK:-}" ]; then
		skip_na "UML bed test: runs in the normal tier only (ISN_SANITIZER set)"
	fi
	local script=$1
	shift
	exec bash "$uml_lib_dir/run.sh" "$script" "$@"
}

# ---- cleanup ---------------------------------------------------------------

# on_exit CMD: run CMD (a string for eval) when the script exits, on every
# path, the last registered first.
uml_exit_cmds=()
on_exit() {
	uml_exit_cmds=("$1" "${uml_exit_cmds[@]}")
}
uml_run_exit_cmds() {
	local rc=$? c
	trap - EXIT
	for c in "${uml_exit_cmds[@]}"; do
		eval "$c" || true
	done
	exit $rc
}
trap uml_run_exit_cmds EXIT
trap 'exit 130' INT TERM

# kill_wait PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 5).
kill_wait() {
	local pid=$1 t=$((${2:-5} * 10))
	kill -TERM "$pid" 2>/dev/null || return 0
	while [ $t -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		t=$((t - 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# ---- waiting ---------------------------------------------------------------

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds; 1 on
# timeout. The bound is wall time (bash's SECONDS), not a count of polls:
# in a loaded UML guest one poll of a command can take far more than 0.1 s.
wait_for() {
	local end=$((SECONDS + $1 + 1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
	return 0
}

# blockdev_size DEV: size of a block device in bytes from sysfs (0 if none).
blockdev_size() {
	local b
	b=$(basename "$1")
	echo $(($(cat "/sys/class/block/$b/size" 2>/dev/null || echo 0) * 512))
}
blockdev_has_size() {
	[ "$(blockdev_size "$1")" -gt 0 ]
}
# wait_blockdev DEV SECONDS: wait until DEV exists with a non-zero size.
wait_blockdev() {
	wait_for "$2" blockdev_has_size "$1" && [ -b "$1" ]
}

# ---- modules ---------------------------------------------------------------

# load_modules [MODULE...]: modprobe each; the default set is nbd (16
# devices, 16 partitions each), veth and overlay.
load_modules() {
	in_uml || fail "load_modules outside the UML guest"
	if [ $# = 0 ]; then
		set -- nbd veth overlay
	fi
	local m
	for m in "$@"; do
		case $m in
		nbd) modprobe nbd nbds_max=16 max_part=16 || fail "modprobe nbd" ;;
		*) modprobe "$m" || fail "modprobe $m" ;;
		esac
	done
}

# ---- two networks ----------------------------------------------------------
# net2_setup: a target namespace $TGT_NS joined to the root namespace (the
# initiator side) by two veth pairs, the two "cables":
#   network 1: $INI_DEV1 $INI_IP1/24 (root ns)  <->  $TGT_DEV1 $TGT_IP1/24 ($TGT_NS)
#   network 2: $INI_DEV2 $INI_IP2/24 (root ns)  <->  $TGT_DEV2 $TGT_IP2/24 ($TGT_NS)
TGT_NS=isn-tgt
# shellcheck disable=SC2034 # used by tests and through eval
INI_DEV1=ini1 INI_IP1=10.1.0.2 TGT_DEV1=tgt1 TGT_IP1=10.1.0.1
# shellcheck disable=SC2034
INI_DEV2=ini2 INI_IP2=10.2.0.2 TGT_DEV2=tgt2 TGT_IP2=10.2.0.1

# in_tgt CMD...: run CMD in the target namespace.
in_tgt() {
	ip netns exec "$TGT_NS" "$@"
}

net2_setup() {
	in_uml || fail "net2_setup outside the UML guest"
	modprobe veth || fail "modprobe veth"
	ip netns add "$TGT_NS" || fail "ip netns add $TGT_NS"
	on_exit net2_teardown
	in_tgt ip link set lo up || fail "lo up in $TGT_NS"
	local n idev tdev iip tip
	for n in 1 2; do
		eval "idev=\$INI_DEV$n tdev=\$TGT_DEV$n iip=\$INI_IP$n tip=\$TGT_IP$n"
		ip link add "$idev" type veth peer name "$tdev" netns "$TGT_NS" ||
			fail "veth pair $idev/$tdev"
		ip addr add "$iip/24" dev "$idev" || fail "address $iip"
		in_tgt ip addr add "$tip/24" dev "$tdev" || fail "address $tip"
		ip link set "$idev" up || fail "$idev up"
		in_tgt ip link set "$tdev" up || fail "$tdev up"
	done
	for n in 1 2; do
		link_wait_up "$n" || fail "network $n did not come up"
	done
}

# link_up N: both ends of network N's cable have carrier.
link_up() {
	local idev tdev
	eval "idev=\$INI_DEV$1 tdev=\$TGT_DEV$1"
	[ "$(cat "/sys/class/net/$idev/operstate")" = up ] &&
		[ "$(in_tgt cat "/sys/class/net/$tdev/operstate")" = up ]
}
link_wait_up() {
	wait_for 10 link_up "$1"
}

# cable_netem N NETEM-ARGS..: put a netem qdisc with those arguments on both
# ends of network N (e.g. `delay 20ms`, `rate 100mbit`, `loss 1%`); each
# direction gets it once, so `delay 20ms` adds 40 ms to a round trip.
# cable_blackhole N: a silent loss: 100% loss both ways while the carrier
# stays up, so only timeouts (NOP-Out, command deadlines) can notice it.
# cable_clear N: remove the qdiscs again.
cable_netem() {
	local n=$1 idev tdev
	shift
	eval "idev=\$INI_DEV$n tdev=\$TGT_DEV$n"
	modprobe sch_netem 2>/dev/null
	tc qdisc replace dev "$idev" root netem "$@" || fail "netem $* on $idev"
	in_tgt tc qdisc replace dev "$tdev" root netem "$@" || fail "netem $* on $tdev"
}
cable_blackhole() {
	cable_netem "$1" loss 100%
}
cable_clear() {
	local idev tdev
	eval "idev=\$INI_DEV$1 tdev=\$TGT_DEV$1"
	tc qdisc del dev "$idev" root 2>/dev/null
	in_tgt tc qdisc del dev "$tdev" root 2>/dev/null
	return 0
}

# tcp_probe IP PORT: a TCP connection to IP:PORT succeeds within 3 s
# (no ping in the base system; bash's /dev/tcp needs nothing).
tcp_probe() {
	timeout 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

net2_teardown() {
	ip link del "$INI_DEV1" 2>/dev/null
	ip link del "$INI_DEV2" 2>/dev/null
	ip netns del "$TGT_NS" 2>/dev/null
	return 0
}

# cable_pull N / cable_plug N: take network N's initiator-side link down or
# up; a veth link going down drops the carrier on both ends, as a pulled
# cable does. cable_plug waits until both ends have carrier again.
cable_pull() {
	local dev
	eval "dev=\$INI_DEV$1"
	ip link set "$dev" down || fail "ip link set $dev down"
}
cable_plug() {
	local dev
	eval "dev=\$INI_DEV$1"
	ip link set "$dev" up || fail "ip link set $dev up"
	link_wait_up "$1" || fail "network $1 did not come back"
}

# portal_ok IP IQN LUN: from the root namespace, SendTargets discovery on
# IP lists IQN with a portal on IP, and a login to exactly that portal can
# read the LUN's capacity (libiscsi-bin's tools, 20 s bound each). Prints
# what the tools said.
portal_ok() {
	local ip=$1 iqn=$2 lun=$3 out
	requires iscsi-ls iscsi-readcapacity16
	out=$(timeout 20 iscsi-ls "iscsi://$ip" 2>&1)
	echo "$out"
	echo "$out" | grep -q "^Target:$iqn Portal:$ip:3260" || return 1
	out=$(timeout 20 iscsi-readcapacity16 "iscsi://$ip/$iqn/$lun" 2>&1)
	echo "$out"
	echo "$out" | grep -q "Total size:"
}

# ---- tgtd target -----------------------------------------------------------
# tgtd_start [SIZE_MB] [IQN]: a tgtd in $TGT_NS (listening on both networks)
# with one target $TGT_IQN, LUN 1 backed by $TGT_BACKING, a sparse file of
# SIZE_MB (default 256) in tmpfs. tgtadm talks to tgtd over a socket that is
# per network namespace, so it runs in $TGT_NS too (tgt_adm).
TGT_IQN=iqn.2026-01.com.example:uml.disk1
TGT_BACKING=/scratch/tgt-lun1.img
TGTD_PID=

tgt_adm() {
	in_tgt tgtadm --lld iscsi "$@"
}

tgtd_start() {
	local size=${1:-256}
	TGT_IQN=${2:-$TGT_IQN}
	requires tgtd tgtadm
	truncate -s "${size}M" "$TGT_BACKING" || fail "backing file $TGT_BACKING"
	# Not through the in_tgt function: a function in the background is a
	# subshell, and $! would be its PID. ip netns exec execs tgtd in place.
	ip netns exec "$TGT_NS" tgtd -f >"$UML_OUT/tgtd.log" 2>&1 &
	TGTD_PID=$!
	on_exit tgtd_stop
	wait_for 20 tgt_adm --op show --mode system ||
		fail "tgtd did not answer tgtadm (see tgtd.log)"
	[ "$(cat "/proc/$TGTD_PID/comm" 2>/dev/null)" = tgtd ] ||
		fail "TGTD_PID $TGTD_PID is not tgtd"
	tgt_adm --mode target --op new --tid 1 --targetname "$TGT_IQN" ||
		fail "tgtadm target new"
	tgt_adm --mode logicalunit --op new --tid 1 --lun 1 --backing-store "$TGT_BACKING" ||
		fail "tgtadm logicalunit new"
	tgt_adm --mode target --op bind --tid 1 --initiator-address ALL ||
		fail "tgtadm bind"
	log "tgtd $TGTD_PID: $TGT_IQN lun 1 = $TGT_BACKING (${size} MiB)"
}

# tgtd does not exit on SIGTERM while it has targets: delete them first.
tgtd_stop() {
	[ -n "$TGTD_PID" ] || return 0
	tgt_adm --mode target --op delete --force --tid 1 >/dev/null 2>&1
	kill_wait "$TGTD_PID" 3
	TGTD_PID=
}

# ---- LIO (in-kernel) target through configfs ---------------------------------
# lio_start [SIZE_MB] [IQN]: the kernel target with one fileio LUN backed by
# $LIO_BACKING, portals on both networks, no authentication, any initiator
# (demo mode, writable). LIO listens in the network namespace of the process
# that creates the portal (np/IP:PORT), so that mkdir runs in $TGT_NS, which
# needs configfs mounted again inside `ip netns exec` (it remounts /sys).
LIO_IQN=iqn.2026-01.com.example:uml.lio1
LIO_BACKING=/scratch/lio-lun1.img
LIO_CFS=/sys/kernel/config/target
# LIO_DEV=/dev/BLOCKDEV: an iblock backstore on that device instead of
# the fileio file; LIO then reads the device's size on every READ
# CAPACITY, so growing the device grows the LUN (fileio keeps the
# fd_dev_size it was given).
LIO_DEV=${LIO_DEV-}
# Empty: no unit serial (LIO then reports no NAA designator).
LIO_SERIAL=${LIO_SERIAL-5a1d0c3e-7b2f-4e61-9d8a-0c1f2e3d4b5a}

lio_start() {
	local size=${1:-256} t
	LIO_IQN=${2:-$LIO_IQN}
	for m in target_core_mod target_core_file iscsi_target_mod; do
		modprobe $m || fail "modprobe $m (LIO)"
	done
	grep -q ' /sys/kernel/config ' /proc/mounts ||
		mount -t configfs configfs /sys/kernel/config || fail "mount configfs"
	on_exit lio_stop
	# LIO writes its persistent-reservation state (APTPL) to
	# $db_root/pr/aptpl_SERIAL on every PERSISTENT RESERVE OUT, APTPL bit
	# or not, and fails the command with NOT READY, LOGICAL UNIT
	# COMMUNICATION FAILURE when it cannot: targetcli's packages create
	# that folder. db_root is /var/target here (no /etc/target); the
	# folder lands in the guest's overlay, never on the host.
	mkdir -p "$(cat "$LIO_CFS/dbroot" 2>/dev/null || echo /var/target)/pr" ||
		fail "LIO db_root pr folder"
	local so=$LIO_CFS/core/fileio_0/disk1
	if [ -n "$LIO_DEV" ]; then
		modprobe target_core_iblock || fail "modprobe target_core_iblock"
		so=$LIO_CFS/core/iblock_0/disk1
		mkdir -p "$so" || fail "LIO iblock backstore"
		echo "udev_path=$LIO_DEV" >"$so/control" || fail "LIO iblock udev_path"
	else
		truncate -s "${size}M" "$LIO_BACKING" || fail "backing file $LIO_BACKING"
		mkdir -p "$so" || fail "LIO backstore"
		echo "fd_dev_name=$LIO_BACKING,fd_dev_size=$((size * 1024 * 1024))" >"$so/control" &&
			echo 1 >"$so/attrib/emulate_write_cache" 2>/dev/null
	fi
	echo 1 >"$so/enable" || fail "LIO backstore enable"
	# A unit serial, as targetcli always sets one: without it LIO's VPD
	# 0x83 has no logical-unit designator (NAA), only target port ones.
	if [ -n "$LIO_SERIAL" ]; then
		echo "$LIO_SERIAL" >"$so/wwn/vpd_unit_serial" || fail "LIO unit serial"
	fi
	t=$LIO_CFS/iscsi/$LIO_IQN/tpgt_1
	mkdir -p "$t/lun/lun_0" || fail "LIO target"
	ln -s "$so" "$t/lun/lun_0/disk1" || fail "LIO lun link"
	local kv
	for kv in authentication=0 generate_node_acls=1 cache_dynamic_acls=1 \
		demo_mode_write_protect=0; do
		echo "${kv#*=}" >"$t/attrib/${kv%=*}" || fail "LIO attribute $kv"
	done
	in_tgt sh -c "mount -t configfs configfs /sys/kernel/config 2>/dev/null;
		mkdir '$t/np/$TGT_IP1:3260' && mkdir '$t/np/$TGT_IP2:3260'" ||
		fail "LIO portals in $TGT_NS"
	echo 1 >"$t/enable" || fail "LIO tpg enable"
	log "LIO: $LIO_IQN lun 0 = ${LIO_DEV:-$LIO_BACKING (${size} MiB)} on $TGT_IP1 and $TGT_IP2"
}

lio_stop() {
	local t=$LIO_CFS/iscsi/$LIO_IQN/tpgt_1 np
	[ -d "$t" ] || return 0
	echo 0 >"$t/enable" 2>/dev/null
	for np in "$t"/np/*; do
		[ -d "$np" ] && in_tgt sh -c "mount -t configfs configfs /sys/kernel/config 2>/dev/null; rmdir '$np'"
	done
	rm -f "$t/lun/lun_0/disk1"
	rmdir "$t/lun/lun_0" "$t" "$LIO_CFS/iscsi/$LIO_IQN" 2>/dev/null
	rmdir "$LIO_CFS/core/fileio_0/disk1" "$LIO_CFS/core/fileio_0" 2>/dev/null
	rmdir "$LIO_CFS/core/iblock_0/disk1" "$LIO_CFS/core/iblock_0" 2>/dev/null
	return 0
}

# ---- our daemon ------------------------------------------------------------
# isn_require_attach: $ISN_BIN is built and `attach --help` exits 0, or
# the test FAILS (in a build tree; see requires_built): our own code never
# makes a test skip. An ASan build is "not applicable" (ASan reserves its
# shadow memory above UML's user address space, so sanitizer binaries
# cannot run in the guest; run-tests.sh keeps UML tests out of that tier).
# Call it before uml_guest so that the host decides without booting.
ISN_BIN=$top_builddir/iscsi-nbd
ISN_PID='' ISN_DEV=''

# isn_verbose: prints -v if the binary has it: the daemon's log then has
# its state changes (attached, re-attached, path transitions), which tests
# read and which explain a failure; without it only warnings are logged.
isn_verbose() {
	"$ISN_BIN" --help 2>&1 | grep -q -- '--verbose' && echo -v
}

isn_require_attach() {
	requires_built "$ISN_BIN"
	if grep -qa __asan_init "$ISN_BIN"; then
		skip_na "iscsi-nbd is an ASan build: sanitizer binaries cannot run under UML"
	fi
	"$ISN_BIN" attach --help >/dev/null 2>&1 ||
		fail "iscsi-nbd attach --help exits $?: attach is broken or gone"
}

# isn_attach [SECONDS] -- ARGS..: run `iscsi-nbd attach ARGS.. -f` in the
# background (stdout $UML_OUT/attach.out, stderr $UML_OUT/iscsi-nbd.log),
# stopped at exit; wait up to SECONDS (default 30) for the device it prints
# (or /dev/nbd0) to get a size. Sets ISN_PID and ISN_DEV. $ISN_ATTACH_ARGS
# (passed into the guest like every ISN_* variable) is added to ARGS: a
# wrapper runs a test in a mode, e.g. ISN_ATTACH_ARGS='--io-engine uring'.
# isn_mode_args: the options a wrapper asks every attach to add
# (ISN_ATTACH_THREADS=N: --threads N; ISN_ATTACH_CONNS=N: --connections N),
# so that a scenario runs again with a mode on (t-*-threads.sh).
isn_mode_args() {
	echo ${ISN_ATTACH_THREADS:+--threads $ISN_ATTACH_THREADS} \
		${ISN_ATTACH_CONNS:+--connections $ISN_ATTACH_CONNS}
}

isn_attach() {
	local t=30
	if [ "$1" != -- ]; then t=$1; shift; fi
	[ "$1" = -- ] && shift
	# shellcheck disable=SC2046 # words on purpose
	set -- "$@" $(isn_mode_args)
	# The log is appended to, so a test that attaches twice (or restarts
	# the daemon) keeps both daemons' logs.
	echo "=== iscsi-nbd attach $* ${ISN_ATTACH_ARGS:-} -f" >>"$UML_OUT/iscsi-nbd.log"
	# shellcheck disable=SC2086 # ISN_ATTACH_ARGS is a list of words
	"$ISN_BIN" $(isn_verbose) attach "$@" ${ISN_ATTACH_ARGS:-} -f >"$UML_OUT/attach.out" \
		2>>"$UML_OUT/iscsi-nbd.log" &
	ISN_PID=$!
	on_exit "[ -n \"\$ISN_PID\" ] && kill_wait \$ISN_PID 10"
	log "iscsi-nbd attach $* -> pid $ISN_PID"
	isn_dev_ready() {
		ISN_DEV=$(grep -o '/dev/nbd[0-9]*' "$UML_OUT/attach.out" 2>/dev/null | head -1)
		: "${ISN_DEV:=/dev/nbd0}"
		blockdev_has_size "$ISN_DEV"
	}
	if ! wait_for "$t" isn_dev_ready; then
		kill -0 "$ISN_PID" 2>/dev/null || echo "iscsi-nbd exited early"
		echo "--- iscsi-nbd.log"
		cat "$UML_OUT/iscsi-nbd.log"
		fail "no nbd device got a size within $t s"
	fi
	isn_dev_ready
	kill -0 "$ISN_PID" 2>/dev/null || fail "iscsi-nbd attach -f did not stay in the foreground"
	log "$ISN_DEV: $(blockdev_size "$ISN_DEV") bytes"
}

# isn_detach: `iscsi-nbd detach $ISN_DEV`; the device loses its size and
# the attach process exits 0, both within 15 s.
isn_detach() {
	local rc
	"$ISN_BIN" detach "$ISN_DEV" || fail "iscsi-nbd detach $ISN_DEV"
	wait_for 15 test "$(blockdev_size "$ISN_DEV")" = 0 ||
		fail "$ISN_DEV still has a size after detach"
	wait_for 15 sh -c "! kill -0 $ISN_PID" ||
		fail "iscsi-nbd attach did not exit after detach"
	wait "$ISN_PID"
	rc=$?
	ISN_PID=''
	[ $rc = 0 ] || fail "iscsi-nbd attach exited $rc after detach"
	log "detached $ISN_DEV"
}

# ---- block device exercise ---------------------------------------------------
# fs_exercise DEV MB: GPT with two partitions on DEV, ext4 on the first,
# MB MiB of random files written and checksummed, umount, e2fsck -f, mount
# again and verify the checksums, umount. Proves that partitions, mkfs,
# mount, writeback and reads all go through DEV correctly.
fs_exercise() {
	local dev=$1 mb=$2 mnt=/scratch/mnt i files
	requires sfdisk mkfs.ext4 e2fsck sha256sum
	log "sfdisk $dev: GPT, two partitions"
	printf 'label: gpt\n,%s\n,\n' "$((mb + 64))M" | sfdisk -q "$dev" ||
		fail "sfdisk $dev"
	wait_for 10 test -b "${dev}p1" -a -b "${dev}p2" ||
		fail "partitions ${dev}p1 / ${dev}p2 did not appear"
	blockdev_has_size "${dev}p2" || fail "${dev}p2 has no size"
	log "mkfs.ext4 ${dev}p1"
	mkfs.ext4 -q -F "${dev}p1" || fail "mkfs.ext4 ${dev}p1"
	mkdir -p "$mnt"
	mount "${dev}p1" "$mnt" || fail "mount ${dev}p1"
	on_exit "umount $mnt 2>/dev/null"
	log "writing $mb MiB of random files"
	files=$(( (mb + 7) / 8 ))
	for i in $(seq 1 $files); do
		head -c 8M /dev/urandom >"$mnt/f$i" || fail "write $mnt/f$i"
	done
	(cd "$mnt" && sha256sum f*) >/scratch/sums || fail "checksum"
	umount "$mnt" || fail "umount"
	log "e2fsck -f ${dev}p1"
	e2fsck -f -n "${dev}p1" || fail "e2fsck found errors on ${dev}p1"
	# Drop the page cache so that the verify reads really come from DEV.
	echo 3 >/proc/sys/vm/drop_caches
	mount "${dev}p1" "$mnt" || fail "remount ${dev}p1"
	(cd "$mnt" && sha256sum -c --quiet /scratch/sums) || fail "checksums differ after remount"
	umount "$mnt" || fail "final umount"
	log "fs_exercise $dev: $mb MiB verified"
}
