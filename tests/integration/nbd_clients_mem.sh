#!/bin/sh
# NBD server mode end to end with real clients (libnbd's nbdinfo, nbdcopy;
# qemu-img and fio's nbd engine when installed) against a memory disk served by
# tests/unit/nbdsrv_mem: the fixed newstyle handshake (OPT_GO with block
# sizes, OPT_INFO, OPT_LIST, unknown export), multi-connection copies in
# both directions, zeroing and flush, read-only refusal, and a clean
# shutdown on SIGTERM.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires nbdinfo nbdcopy cmp
srv=$top_builddir/tests/unit/nbdsrv_mem
requires_built "$srv"

sock=$isn_tmp/nbd.sock
uri="nbd+unix:///lun0?socket=$sock"
size_mib=32

srv_kill() { kill "$1" 2>/dev/null || true; }

# start_server ARGS...: run nbdsrv_mem in the background, wait for its socket.
start_server() {
	"$srv" "$sock" "$@" >"$isn_tmp/srv.out" 2>"$isn_tmp/srv.log" &
	srv_pid=$!
	cleanup_add srv_kill "$srv_pid"
	_isn_logs="$_isn_logs $isn_tmp/srv.log"
	i=0
	until [ -S "$sock" ] && grep -q ready "$isn_tmp/srv.out"; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "server did not start"
		kill -0 "$srv_pid" 2>/dev/null || fail "server exited"
		sleep 0.1
	done
	# A Unix socket file: owner-only by default.
	[ "$(stat -c %a "$sock")" = 600 ] || fail "socket mode $(stat -c %a "$sock"), want 600"
}

stop_server() {
	kill -TERM "$srv_pid"
	wait "$srv_pid" || fail "server exit status $?"
	[ ! -e "$sock" ] || fail "socket file left behind"
}

start_server $size_mib 512 --name lun0

# Handshake: OPT_GO / OPT_INFO with NBD_INFO_BLOCK_SIZE, size and flags.
nbdinfo --json "$uri" >"$isn_tmp/info.json" || fail "nbdinfo failed"
grep -q '"export-size": 33554432' "$isn_tmp/info.json" || fail "wrong size: $(cat "$isn_tmp/info.json")"
grep -q '"block_size_minimum": 512' "$isn_tmp/info.json" || fail "no minimum block size"
grep -q '"block_size_preferred": 4096' "$isn_tmp/info.json" || fail "no preferred block size"
grep -q '"block_size_maximum": 33554432' "$isn_tmp/info.json" || fail "no maximum block size"
grep -q '"can_multi_conn": true' "$isn_tmp/info.json" || fail "CAN_MULTI_CONN not advertised"
grep -q '"can_flush": true' "$isn_tmp/info.json" || fail "SEND_FLUSH not advertised"
grep -q '"can_fua": true' "$isn_tmp/info.json" || fail "SEND_FUA not advertised"
grep -q '"can_trim": true' "$isn_tmp/info.json" || fail "SEND_TRIM not advertised"
grep -q '"can_zero": true' "$isn_tmp/info.json" || fail "SEND_WRITE_ZEROES not advertised"
grep -q '"is_read_only": false' "$isn_tmp/info.json" || fail "read-only?"
info "nbdinfo: handshake and flags ok"

# OPT_LIST.
nbdinfo --list "nbd+unix://?socket=$sock" >"$isn_tmp/list" 2>&1 || fail "nbdinfo --list failed"
grep -q 'lun0' "$isn_tmp/list" || fail "export not listed: $(cat "$isn_tmp/list")"
# The default export "" is accepted; an unknown name is refused (NBD_REP_ERR_UNKNOWN).
nbdinfo --size "nbd+unix:///?socket=$sock" | grep -qx 33554432 || fail "default export"
if nbdinfo --size "nbd+unix:///nope?socket=$sock" >/dev/null 2>&1; then
	fail "unknown export accepted"
fi

# Data: random image in, back out, with 4 connections each way.
head -c $((size_mib << 20)) /dev/urandom >"$isn_tmp/in.img"
nbdcopy --connections=4 --requests=16 --flush "$isn_tmp/in.img" "$uri" || fail "nbdcopy to server failed"
nbdcopy --connections=4 "$uri" "$isn_tmp/out.img" || fail "nbdcopy from server failed"
cmp "$isn_tmp/in.img" "$isn_tmp/out.img" || fail "data read back differs"
info "nbdcopy: ${size_mib} MiB round trip over 4 connections ok"

# Zeroes: copying an all-zero image makes nbdcopy use WRITE_ZEROES / TRIM.
head -c $((size_mib << 20)) /dev/zero >"$isn_tmp/zero.img"
truncate -s $((size_mib << 20)) "$isn_tmp/sparse.img"
nbdcopy "$isn_tmp/sparse.img" "$uri" || fail "nbdcopy of a sparse image failed"
nbdcopy "$uri" "$isn_tmp/out2.img" || fail "nbdcopy from server failed"
cmp "$isn_tmp/zero.img" "$isn_tmp/out2.img" || fail "zeroed export does not read back as zeroes"
info "zeroing ok"

if command -v qemu-img >/dev/null 2>&1; then
	qemu-img compare -f raw -F raw "$isn_tmp/zero.img" "$uri" >/dev/null ||
		fail "qemu-img compare failed"
	info "qemu-img compare ok"
fi

# fio's nbd engine: mixed sizes, 32 in flight, two connections, every block verified.
if command -v fio >/dev/null 2>&1 && fio --enghelp 2>/dev/null | grep -qw nbd; then
	fio --name=verify --ioengine=nbd --uri="$uri" --rw=randwrite \
		--bssplit=4k/50:64k/30:1m/20 --iodepth=32 --size=16m --numjobs=2 \
		--offset_increment=16m --verify=crc32c --verify_fatal=1 \
		--output="$isn_tmp/fio.out" >/dev/null 2>&1 || {
		cat "$isn_tmp/fio.out" >&2
		fail "fio verify failed"
	}
	grep -q 'err= 0' "$isn_tmp/fio.out" || fail "fio reported errors"
	info "fio: randwrite + crc32c verify over 2 connections ok"
fi

stop_server

# Read-only export: reads work, writes are refused with EPERM.
start_server 4 4096 --read-only --name lun0
nbdinfo --json "$uri" | grep -q '"is_read_only": true' || fail "READ_ONLY not advertised"
nbdinfo --json "$uri" | grep -q '"block_size_minimum": 4096' || fail "4096 minimum block"
head -c $((4 << 20)) /dev/urandom >"$isn_tmp/ro.img"
if nbdcopy "$isn_tmp/ro.img" "$uri" 2>"$isn_tmp/ro.err"; then
	fail "write to a read-only export succeeded"
fi
nbdcopy "$uri" "$isn_tmp/ro-out.img" || fail "read from read-only export failed"
stop_server
info "read-only export ok"
