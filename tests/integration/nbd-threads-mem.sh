#!/bin/sh
# NBD connections on worker threads (nbd/worker.h, `serve --threads N`)
# against a memory disk served by tests/unit/nbdsrv_mem --workers 2, the
# disk staying on the main loop behind the forwarding proxy:
# - nbdcopy: a random image in and back out over 4 connections each way
#   (more connections than workers), byte for byte;
# - several clients at once: two fio runs (2 connections each, crc32c
#   verify, fatal) on disjoint halves while nbdcopy reads the image, all
#   concurrently; no error, no verify failure;
# - zeroing (WRITE_ZEROES / TRIM, chunked) reads back as zeroes;
# - over TLS (PSK): a TLS session handed to a worker after its handshake
#   keeps working, an image in and out over 4 connections;
# - stop under load: SIGTERM while fio writes; the server drains every
#   connection, joins its threads and exits 0 within 10 s.
# Run it with a -fsanitize=thread build to check the hand-offs (see
# docs/perf-design.md "Threads").
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires nbdcopy cmp fio psktool
srv=$top_builddir/tests/unit/nbdsrv_mem
requires_built "$srv"
fio --enghelp=nbd >/dev/null 2>&1 || skip_missing "fio's nbd engine" "a fio built with libnbd"

sock=$isn_tmp/nbd.sock
uri="nbd+unix:///lun0?socket=$sock"
size_mib=32

srv_kill() { kill "$1" 2>/dev/null || true; }

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
}

# stop_server: SIGTERM, exit 0 within 10 s.
stop_server() {
	kill -TERM "$srv_pid"
	i=0
	while kill -0 "$srv_pid" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "server still running 10 s after SIGTERM"
		sleep 0.1
	done
	wait "$srv_pid" || fail "server exit status $?"
	[ ! -e "$sock" ] || fail "socket file left behind"
}

fio_verify() { # NAME OFFSET_MIB [fio options]
	_n=$1 _o=$2
	shift 2
	fio --name="$_n" --ioengine=nbd --uri="$uri" --rw=randwrite \
		--bssplit=4k/50:64k/30:1m/20 --iodepth=32 --size=8m --numjobs=2 \
		--offset="${_o}m" --offset_increment=8m --verify=crc32c --verify_fatal=1 \
		--output="$isn_tmp/$_n.out" "$@" >/dev/null 2>&1
}

start_server $size_mib 512 --name lun0 --workers 2
grep -q "2 NBD worker thread" "$isn_tmp/srv.log" || fail "no worker threads: $(cat "$isn_tmp/srv.log")"

head -c $((size_mib << 20)) /dev/urandom >"$isn_tmp/in.img"
nbdcopy --connections=4 --requests=16 --flush "$isn_tmp/in.img" "$uri" || fail "nbdcopy to server failed"
nbdcopy --connections=4 "$uri" "$isn_tmp/out.img" || fail "nbdcopy from server failed"
cmp "$isn_tmp/in.img" "$isn_tmp/out.img" || fail "data read back differs"
info "nbdcopy: ${size_mib} MiB round trip over 4 connections on 2 workers ok"

# Several clients at once: 4 fio connections writing and verifying, one
# nbdcopy reading (its bytes are not compared: the fio halves change under it).
fio_verify fa 0 &
fa=$!
cleanup_add srv_kill "$fa"
fio_verify fb 16 &
fb=$!
cleanup_add srv_kill "$fb"
nbdcopy --connections=2 "$uri" "$isn_tmp/busy.img" || fail "nbdcopy beside fio failed"
wait "$fa" || fail "fio (first half) failed: $(cat "$isn_tmp/fa.out")"
wait "$fb" || fail "fio (second half) failed: $(cat "$isn_tmp/fb.out")"
grep -q 'err= 0' "$isn_tmp/fa.out" && grep -q 'err= 0' "$isn_tmp/fb.out" || fail "fio reported errors"
info "4 fio connections (crc32c verify) and nbdcopy at once ok"

truncate -s $((size_mib << 20)) "$isn_tmp/sparse.img"
head -c $((size_mib << 20)) /dev/zero >"$isn_tmp/zero.img"
nbdcopy "$isn_tmp/sparse.img" "$uri" || fail "nbdcopy of a sparse image failed"
nbdcopy --connections=4 "$uri" "$isn_tmp/out2.img" || fail "nbdcopy from server failed"
cmp "$isn_tmp/zero.img" "$isn_tmp/out2.img" || fail "zeroed export does not read back as zeroes"
info "zeroing ok"

# Stop under load: fio runs (time based) when SIGTERM comes; fio may fail
# once the server is gone, the server must drain and exit 0.
fio --name=load --ioengine=nbd --uri="$uri" --rw=randrw --bs=64k --iodepth=32 \
	--numjobs=3 --size=8m --offset_increment=8m --time_based --runtime=30 \
	--output="$isn_tmp/load.out" >/dev/null 2>&1 &
fl=$!
cleanup_add srv_kill "$fl"
# The load running a moment is the scenario, not a wait for an event.
sleep 1
kill -0 "$fl" 2>/dev/null || fail "fio ended before the stop: $(cat "$isn_tmp/load.out")"
stop_server
wait "$fl" 2>/dev/null || true
info "SIGTERM under load: drained, threads joined, exit 0"

# TLS: the session moves to the worker with its socket.
(cd "$isn_tmp" && psktool -u alice -p keys.psk >/dev/null) || fail "psktool"
rm -f "$sock"
start_server $size_mib 512 --name lun0 --workers 2 --tls require --tls-psk "$isn_tmp/keys.psk"
tls_uri="nbds+unix://alice@/lun0?socket=$sock&tls-psk-file=$isn_tmp/keys.psk"
nbdcopy --connections=4 "$isn_tmp/in.img" "$tls_uri" || fail "nbdcopy to server over TLS failed"
nbdcopy --connections=4 "$tls_uri" "$isn_tmp/out3.img" || fail "nbdcopy from server over TLS failed"
cmp "$isn_tmp/in.img" "$isn_tmp/out3.img" || fail "data read back over TLS differs"
stop_server
info "TLS (PSK): round trip over 4 connections on 2 workers ok"
