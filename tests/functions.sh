# Helper library for the shell integration tests (tests/integration/*.sh).
# Source it first thing:
#
#	. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
#
# POSIX sh (make check runs the tests with $(SHELL), dash on Debian).
#
# Rules every test follows, and this file makes easy:
# - A test skips (exit 77) only for what the machine lacks (no root, no
#   tgtd, no fio), with one line in the form tests/skip.sh defines:
#   `requires CMD`, `requires_root`, `requires_netns`, `skip_missing WHAT`.
#   Our own code never makes a test skip: in a build tree `requires_isn
#   SUBCMD` and `requires_built FILE` FAIL when the binary is missing or
#   `iscsi-nbd SUBCMD --help` does not exit 0. run-tests.sh lists every
#   skip with its reason and exits non-zero for any other kind of skip
#   (tests/skip.sh has the whole rule).
# - Wait for observable state, not for time: `wait_for SECONDS CMD...`
#   polls CMD (a status field, a log line, a file) and fails with a clear
#   message at the bound. A sleep only paces a workload.
# - Everything a test creates is undone on every exit path (normal end,
#   failure, ^C, SIGTERM): register the undo step with `cleanup_add` right
#   after creating the thing. The steps run last-in first-out.
# - A test never touches the host's network: tgtd and every client run in
#   network namespaces the test made (`netns_new`), so several tests and
#   other people's tgtd can run at the same time, each with a private
#   port 3260.
# - tgtd's management socket is a file (/var/run/tgtd/socket.N), shared by
#   every namespace: each tgtd gets its own control port N, reserved with
#   an atomic mkdir so parallel tests never collide.
#
# Variables used: top_srcdir, top_builddir (exported by make check; guessed
# from the script's location otherwise), ISN_TEST_TIMEOUT (seconds, default
# 60: bound of each client command run with `t_run`).

set -u

me=$(basename "$0" .sh)
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${ISN_TEST_TIMEOUT:=60}"
isn_bin=$top_builddir/iscsi-nbd

# ---- messages ---------------------------------------------------------------

info() { echo "$me: $*" >&2; }
fail() {
	echo "$me: FAIL: $*" >&2
	exit 1
}
# skip_missing, skip_na, skip, requires_built, isn_in_build_tree.
. "$top_srcdir/tests/skip.sh"

# ---- cleanup stack ----------------------------------------------------------

_isn_cleanup_n=0
_isn_cleanup_done=

# Quote one word so that eval gives it back unchanged.
_isn_quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# cleanup_add CMD [ARG...]: run CMD ARG... at exit (the words are kept as
# given, no second expansion). Steps run in reverse order of registration.
cleanup_add() {
	_c=
	for _w in "$@"; do
		_c="$_c $(_isn_quote "$_w")"
	done
	_isn_cleanup_n=$((_isn_cleanup_n + 1))
	eval "_isn_cleanup_$_isn_cleanup_n=\$_c"
}

_isn_cleanup_run() {
	[ -z "$_isn_cleanup_done" ] || return 0
	_isn_cleanup_done=1
	while [ "$_isn_cleanup_n" -gt 0 ]; do
		eval "_c=\$_isn_cleanup_$_isn_cleanup_n"
		_isn_cleanup_n=$((_isn_cleanup_n - 1))
		eval "$_c" || info "cleanup step failed:$_c"
	done
}

_isn_on_exit() {
	_rc=$?
	trap - EXIT INT TERM HUP
	# Whoever reads our output may be gone (^C on a pipeline): cleanup
	# must not die of SIGPIPE half way.
	trap '' PIPE
	if [ "$_rc" != 0 ] && [ "$_rc" != 77 ]; then
		_isn_dump_logs
	fi
	_isn_cleanup_run
	exit "$_rc"
}

trap _isn_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# A private scratch folder, removed at exit.
isn_tmp=$(mktemp -d "${TMPDIR:-/tmp}/isn-$me.XXXXXX") || fail "cannot create a temporary folder"
cleanup_add rm -rf "$isn_tmp"

# Logs shown when a test fails (tgtd's output); registered by tgtd_start.
_isn_logs=
_isn_dump_logs() {
	for _l in $_isn_logs; do
		[ -s "$_l" ] || continue
		echo "---- $_l (last 40 lines) ----" >&2
		tail -n 40 "$_l" >&2
	done 2>/dev/null
}

# ---- requirements -----------------------------------------------------------

# requires CMD...: skip unless every command is found.
requires() {
	for _r in "$@"; do
		command -v "$_r" >/dev/null 2>&1 ||
			PATH=$PATH:/usr/sbin:/sbin command -v "$_r" >/dev/null 2>&1 ||
			skip_missing "$_r" "not installed"
	done
}

requires_root() {
	[ "$(id -u)" = 0 ] || skip_missing "root privileges" "network namespaces, tgtd"
}

# Can we make a network namespace here (root alone is not enough in some
# containers)?
requires_netns() {
	requires_root
	requires ip
	_n=isnprobe$$
	ip netns add "$_n" 2>/dev/null || skip_missing "network namespaces" "ip netns add fails here"
	ip netns del "$_n"
}

# The usual set for a test against tgtd.
requires_tgt() {
	requires_netns
	requires tgtd tgtadm timeout
}

# requires_isn SUBCMD...: our binary is built and knows every SUBCMD
# (`iscsi-nbd SUBCMD --help` exits 0 within 10 s). Anything else is a
# regression and fails the test: never a skip (see requires_built for the
# one case, outside a build tree, where it skips).
requires_isn() {
	requires_built "$isn_bin"
	for _s in "$@"; do
		if timeout -k 2 10 "$isn_bin" "$_s" --help >"$isn_tmp/help.out" 2>&1; then
			continue
		else
			_rc=$?
		fi
		tail -n 5 "$isn_tmp/help.out" >&2
		fail "iscsi-nbd $_s --help exits $_rc: the subcommand is broken or gone"
	done
}

# ---- running things ---------------------------------------------------------

# run_in NS CMD...: CMD inside network namespace NS.
run_in() {
	_ns=$1
	shift
	ip netns exec "$_ns" "$@"
}

# t_run NS CMD...: like run_in, bounded by ISN_TEST_TIMEOUT seconds (a hung
# client makes the test fail, not hang make check). Exit status of CMD, or
# 124 on timeout.
t_run() {
	_ns=$1
	shift
	timeout -k 5 "$ISN_TEST_TIMEOUT" ip netns exec "$_ns" "$@"
}

# isn NS ARGS...: our binary inside NS, bounded like t_run.
isn() {
	_ns=$1
	shift
	t_run "$_ns" "$isn_bin" "$@"
}

# expect_rc WANT CMD...: run CMD, fail unless it exits WANT. stderr of CMD is
# kept in $isn_tmp/stderr (and shown), stdout in $isn_tmp/stdout.
expect_rc() {
	_want=$1
	shift
	if "$@" >"$isn_tmp/stdout" 2>"$isn_tmp/stderr"; then _got=0; else _got=$?; fi
	cat "$isn_tmp/stderr" >&2
	[ "$_got" = "$_want" ] ||
		fail "expected exit $_want, got $_got from: $*"
}

# expect_stderr REGEX: the last expect_rc's stderr matches (grep -E -i).
expect_stderr() {
	grep -E -i -q -- "$1" "$isn_tmp/stderr" ||
		fail "stderr does not match /$1/: $(cat "$isn_tmp/stderr")"
}

# expect_stdout REGEX: the last expect_rc's stdout matches (grep -E).
expect_stdout() {
	grep -E -q -- "$1" "$isn_tmp/stdout" ||
		fail "stdout does not match /$1/: $(cat "$isn_tmp/stdout")"
}

# ---- waiting ------------------------------------------------------------------

# poll_until SECONDS CMD...: run CMD every 0.1 s until it succeeds (0) or
# SECONDS of wall time have passed (1); SECONDS may have a fraction (0.5).
# CMD's output is discarded. The bound is wall time, not a count of polls:
# on a loaded machine one poll can take far longer than 0.1 s.
poll_until() {
	_pu_end=$(($(date +%s%3N) + $(echo "$1" | awk '{ printf "%d", $1 * 1000 }')))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s%3N)" -lt "$_pu_end" ] || return 1
		sleep 0.1
	done
	return 0
}

# wait_for SECONDS CMD...: poll_until, failing the test at the bound with
# a message naming CMD (tests/uml/lib.sh's wait_for returns 1 instead).
# Use it wherever a test waits for something to happen: a path state in
# `status --json`, a log line (log_has), a file, a /sys attribute.
wait_for() {
	_wf_s=$1
	shift
	poll_until "$_wf_s" "$@" || fail "timed out after $_wf_s s waiting for: $*"
}

# log_has FILE REGEX: FILE has a line matching REGEX (grep -E).
log_has() {
	grep -E -q -- "$2" "$1" 2>/dev/null
}

# log_count_ge FILE N REGEX: at least N lines of FILE match REGEX.
log_count_ge() {
	[ "$(grep -E -c -- "$3" "$1" 2>/dev/null)" -ge "$2" ]
}

# ---- network namespaces -----------------------------------------------------

_isn_ns_n=0

# netns_new VAR: create a namespace with a unique name, loopback up, store
# its name in VAR; deleted at exit (which also deletes its veth ends).
netns_new() {
	_isn_ns_n=$((_isn_ns_n + 1))
	_name=isn$$n$_isn_ns_n
	ip netns add "$_name" || fail "ip netns add $_name"
	cleanup_add netns_del "$_name"
	ip -n "$_name" link set lo up || fail "loopback up in $_name"
	eval "$1=\$_name"
}

netns_del() {
	# Anything still running inside would keep the namespace alive.
	for _p in $(ip netns pids "$1" 2>/dev/null); do
		kill -9 "$_p" 2>/dev/null
	done
	ip netns del "$1" 2>/dev/null || true
}

# veth_link NS_A IP_A NS_B IP_B PREFIXLEN: one "cable": a veth pair, one end
# in each namespace, addresses given, both up. Device names (15 characters
# at most) are stored in veth_a and veth_b.
_isn_veth_n=0
veth_link() {
	_isn_veth_n=$((_isn_veth_n + 1))
	veth_a=i$$a$_isn_veth_n
	veth_b=i$$b$_isn_veth_n
	ip link add "$veth_a" netns "$1" type veth peer name "$veth_b" netns "$3" ||
		fail "ip link add veth $veth_a/$veth_b"
	ip -n "$1" addr add "$2/$5" dev "$veth_a" || fail "address $2 on $veth_a"
	ip -n "$3" addr add "$4/$5" dev "$veth_b" || fail "address $4 on $veth_b"
	ip -n "$1" link set "$veth_a" up || fail "link up $veth_a"
	ip -n "$3" link set "$veth_b" up || fail "link up $veth_b"
}

# two_networks: the multipath test bed. Creates a target namespace
# ($tgt_ns) and an initiator namespace ($ini_ns) joined by two independent
# veth "cables":
#	network 1: initiator $net1_ini (dev $net1_ini_dev) -- target $net1_tgt (dev $net1_tgt_dev)
#	network 2: initiator $net2_ini (dev $net2_ini_dev) -- target $net2_tgt (dev $net2_tgt_dev)
# Pull a cable with `ip -n $ini_ns link set $net1_ini_dev down`.
two_networks() {
	netns_new tgt_ns
	netns_new ini_ns
	net1_tgt=10.1.0.10 net1_ini=10.1.0.1
	net2_tgt=10.2.0.10 net2_ini=10.2.0.1
	veth_link "$tgt_ns" "$net1_tgt" "$ini_ns" "$net1_ini" 24
	net1_tgt_dev=$veth_a net1_ini_dev=$veth_b
	veth_link "$tgt_ns" "$net2_tgt" "$ini_ns" "$net2_ini" 24
	net2_tgt_dev=$veth_a net2_ini_dev=$veth_b
	# veth carriers come up asynchronously: wait until all four ends say UP.
	_i=0
	while :; do
		_up=0
		for _d in "$tgt_ns $net1_tgt_dev" "$tgt_ns $net2_tgt_dev" \
			"$ini_ns $net1_ini_dev" "$ini_ns $net2_ini_dev"; do
			set -- $_d
			ip -n "$1" link show dev "$2" 2>/dev/null | grep -q "state UP" &&
				_up=$((_up + 1))
		done
		[ $_up = 4 ] && break
		_i=$((_i + 1))
		[ $_i -lt 50 ] || fail "the veth links of the two networks do not come up"
		sleep 0.1
	done
}

# ---- backing files ----------------------------------------------------------

_isn_shm_n=0

# shm_file VAR SIZE_MIB [random|zero|pattern]: a backing file in /dev/shm with
# a unique name (path stored in VAR), removed at exit. random (default) fills
# it from /dev/urandom so that any misplaced byte shows in a cmp.
shm_file() {
	_isn_shm_n=$((_isn_shm_n + 1))
	_f=/dev/shm/isn-$me-$$-$_isn_shm_n.img
	cleanup_add rm -f "$_f"
	case ${3:-random} in
	random)
		dd if=/dev/urandom of="$_f" bs=1M count="$2" status=none ||
			fail "cannot fill $_f"
		;;
	zero) truncate -s "${2}M" "$_f" || fail "cannot create $_f" ;;
	*) fail "shm_file: unknown fill ${3}" ;;
	esac
	eval "$1=\$_f"
}

# ---- tgtd ---------------------------------------------------------------------

# tgtd_start NS [PORTAL...]: start tgtd in the foreground inside NS, in the
# background of this shell, and wait until it answers tgtadm. PORTAL words
# (IP:PORT) restrict the listening portals (tgtd --iscsi portal=...);
# without them tgtd listens on every address of NS, port 3260.
# Stopped at exit: `tgtadm --op delete --mode system`, then SIGKILL of the
# PID (tgtd ignores SIGTERM while it holds targets).
tgtd_start() {
	_ns=$1
	shift
	_portal_arg=
	for _p in "$@"; do
		_portal_arg="${_portal_arg:+$_portal_arg,}portal=$_p"
	done
	mkdir -p /var/run/tgtd
	# Reserve a control port no other test (or person) uses.
	_port=$((1000 + $$ % 20000))
	_tries=0
	while :; do
		if mkdir "/var/run/tgtd/isn-reserved.$_port" 2>/dev/null; then
			if [ ! -e "/var/run/tgtd/socket.$_port.lock" ] ||
				! command -v fuser >/dev/null 2>&1 ||
				! fuser "/var/run/tgtd/socket.$_port.lock" >/dev/null 2>&1; then
				break
			fi
			rmdir "/var/run/tgtd/isn-reserved.$_port"
		fi
		_tries=$((_tries + 1))
		[ $_tries -lt 200 ] || fail "no free tgtd control port"
		_port=$((_port + 1))
	done
	cleanup_add rm -rf "/var/run/tgtd/isn-reserved.$_port" \
		"/var/run/tgtd/socket.$_port" "/var/run/tgtd/socket.$_port.lock"
	_log=$isn_tmp/tgtd-$_ns.log
	_isn_logs="$_isn_logs $_log"
	if [ -n "$_portal_arg" ]; then
		ip netns exec "$_ns" tgtd -f -C "$_port" --iscsi "$_portal_arg" >"$_log" 2>&1 &
	else
		ip netns exec "$_ns" tgtd -f -C "$_port" >"$_log" 2>&1 &
	fi
	_pid=$!
	echo "$_pid" >"$isn_tmp/tgtd-$_ns.pid"
	eval "_isn_tgtport_$_ns=\$_port _isn_tgtpid_$_ns=\$_pid"
	cleanup_add tgtd_stop "$_ns"
	_i=0
	until ip netns exec "$_ns" tgtadm -C "$_port" --lld iscsi --op show --mode target \
		>/dev/null 2>&1; do
		kill -0 "$_pid" 2>/dev/null || fail "tgtd died at start: $(cat "$_log")"
		_i=$((_i + 1))
		[ $_i -lt 100 ] || fail "tgtd does not answer tgtadm after 10 s"
		sleep 0.1
	done
}

tgtd_stop() {
	eval "_pid=\${_isn_tgtpid_$1:-}"
	[ -n "$_pid" ] || return 0
	if kill -0 "$_pid" 2>/dev/null; then
		tgtadm_ns "$1" --op delete --mode system >/dev/null 2>&1 || true
		_i=0
		while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 10 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -9 "$_pid" 2>/dev/null
	fi
	wait "$_pid" 2>/dev/null
	eval "_isn_tgtpid_$1="
	return 0
}

# tgtadm_ns NS ARGS...: tgtadm --lld iscsi against the tgtd of NS.
tgtadm_ns() {
	_ns=$1
	shift
	eval "_port=\${_isn_tgtport_$_ns:?no tgtd started in $_ns}"
	timeout 10 ip netns exec "$_ns" tgtadm -C "$_port" --lld iscsi "$@"
}

# tgt_target_new NS TID IQN
tgt_target_new() {
	tgtadm_ns "$1" --op new --mode target --tid "$2" --targetname "$3" ||
		fail "tgtadm: cannot create target $2 $3"
}

# tgt_lun_new NS TID LUN FILE [thin]: a file-backed LUN. "thin" turns on
# thin provisioning, which makes tgtd report LBPME/LBPU/LBPRZ and implement
# UNMAP by punching holes in FILE.
tgt_lun_new() {
	tgtadm_ns "$1" --op new --mode logicalunit --tid "$2" --lun "$3" \
		--backing-store "$4" || fail "tgtadm: cannot create LUN $3 on $4"
	if [ "${5:-}" = thin ]; then
		tgtadm_ns "$1" --op update --mode logicalunit --tid "$2" --lun "$3" \
			--params thin_provisioning=1 || fail "tgtadm: thin provisioning on LUN $3"
	fi
}

# tgt_bind_all NS TID: accept every initiator.
tgt_bind_all() {
	tgtadm_ns "$1" --op bind --mode target --tid "$2" --initiator-address ALL ||
		fail "tgtadm: bind ALL on target $2"
}

# tgt_chap NS TID USER PASSWORD: the target demands CHAP (user/password the
# initiator must give).
tgt_chap() {
	tgtadm_ns "$1" --op new --mode account --user "$3" --password "$4" ||
		fail "tgtadm: new account $3"
	tgtadm_ns "$1" --op bind --mode account --tid "$2" --user "$3" ||
		fail "tgtadm: bind account $3"
}

# tgt_chap_mutual NS TID USER PASSWORD: the name and secret the target
# answers the initiator's challenge with (mutual CHAP, OutgoingUser).
tgt_chap_mutual() {
	tgtadm_ns "$1" --op new --mode account --user "$3" --password "$4" ||
		fail "tgtadm: new account $3"
	tgtadm_ns "$1" --op bind --mode account --tid "$2" --user "$3" --outgoing ||
		fail "tgtadm: bind outgoing account $3"
}

# tgt_param NS TID NAME VALUE: a target login parameter, as tgtd names them
# (MaxBurstLength, FirstBurstLength, MaxRecvDataSegmentLength,
# MaxXmitDataSegmentLength, InitialR2T, ImmediateData, MaxOutstandingR2T,
# HeaderDigest, DataDigest, ...). Applies to logins after the call.
tgt_param() {
	tgtadm_ns "$1" --op update --mode target --tid "$2" --name "$3" --value "$4" ||
		fail "tgtadm: $3=$4 on target $2"
}

# tgt_small_bursts NS TID: make every transfer take many PDUs. tgtd then
# sends Data-In PDUs of at most 4 KiB (MaxXmitDataSegmentLength), accepts
# Data-Out PDUs of at most 4 KiB (MaxRecvDataSegmentLength), solicits
# writes in R2T bursts of 16 KiB (MaxBurstLength) after an unsolicited
# first burst of 8 KiB (FirstBurstLength, with ImmediateData and no
# InitialR2T); a 16 MiB write is 1000+ R2Ts.
tgt_small_bursts() {
	tgt_param "$1" "$2" MaxRecvDataSegmentLength 4096
	tgt_param "$1" "$2" MaxXmitDataSegmentLength 4096
	tgt_param "$1" "$2" MaxBurstLength 16384
	tgt_param "$1" "$2" FirstBurstLength 8192
	tgt_param "$1" "$2" InitialR2T No
	tgt_param "$1" "$2" ImmediateData Yes
}

# tgt_simple NS IQN FILE [thin]: target tid 1 with FILE as LUN 1, open to
# all. The one-liner most tests need.
tgt_simple() {
	tgt_target_new "$1" 1 "$2"
	tgt_lun_new "$1" 1 1 "$3" ${4:-}
	tgt_bind_all "$1" 1
}

# ---- secrets -------------------------------------------------------------------

# secret_file VAR SECRET [MODE]: a file holding SECRET plus a newline, mode
# 0600 by default, in the scratch folder.
_isn_secret_n=0
secret_file() {
	_isn_secret_n=$((_isn_secret_n + 1))
	_f=$isn_tmp/secret$_isn_secret_n
	(umask 077 && printf '%s\n' "$2" >"$_f") || fail "cannot write $_f"
	chmod "${3:-600}" "$_f"
	eval "$1=\$_f"
}

# ---- data checks -----------------------------------------------------------------

# extract FILE OFFSET LENGTH OUT: OUT gets LENGTH bytes of FILE at OFFSET
# (bytes; both multiples of 512).
extract() {
	dd if="$1" of="$4" bs=512 skip=$(($2 / 512)) count=$(($3 / 512)) status=none ||
		fail "dd from $1"
}

# random_file OUT LENGTH: LENGTH random bytes.
random_file() {
	head -c "$2" /dev/urandom >"$1" || fail "cannot write $1"
}

# kill_quiet PID...: kill what may already be gone (for cleanup_add).
kill_quiet() {
	kill "$@" 2>/dev/null
	return 0
}
