#!/bin/sh
# `iscsi-nbd serve` on a Unix socket, in front of a thin-provisioned tgtd
# LUN, driven by the usual NBD clients; every byte is checked against
# tgtd's backing file:
# - nbdinfo: the LUN's exact size, minimum block size 512, multi-conn;
# - nbdcopy: a random 256 MiB file into the export and back out, identical
#   to the file and to the backing file;
# - fio (nbd engine, two connections per run, crc32c verify, fatal): randrw
#   with 4k/16k/64k/1m blocks at queue depths 1, 16 and 64, no error;
# - qemu-img convert of the export: identical to the backing file;
# - nbdsh (python3-libnbd): a trimmed and a zeroed 1 MiB range read back as
#   zeroes (the LUN reports LBPRZ), the bytes around them keep their data;
# - the daemon's status --json counts requests and bytes on its sockets;
# - `iscsi-nbd detach` stops the daemon, which exits 0.
# $ISN_SERVE_ARGS: more serve options (a wrapper runs this test with a mode
# on); $ISN_SERVE_CHECK: a command run on the status --json file taken while
# connected, which must succeed (the wrapper's proof that its mode ran).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn serve status detach
requires nbdinfo nbdcopy fio qemu-img cmp
fio --enghelp=nbd >/dev/null 2>&1 || skip_missing "fio's nbd engine" "a fio built with libnbd"
py=/usr/bin/python3
"$py" -c 'import nbd' 2>/dev/null || skip_missing python3-libnbd "$py: import nbd"

MiB=1048576
size_mib=256
size=$((size_mib * MiB))

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:serve-clients
shm_file disk "$size_mib" zero
tgt_simple "$ns" "$iqn" "$disk" thin

rundir=$isn_tmp/run
mkdir -p "$rundir"
export ISCSI_NBD_RUNDIR="$rundir"
sock=$isn_tmp/nbd.sock
uri="nbd+unix:///?socket=$sock"
name=sc
log=$isn_tmp/serve.log
_isn_logs="$_isn_logs $log"

# The daemon, directly (ip netns exec execs it: $! is its PID).
# $ISN_SERVE_ARGS: more options (poll-serve-clients.sh, serve-clients-uring.sh run it all in a mode).
# shellcheck disable=SC2086 # a list of words
ip netns exec "$ns" "$isn_bin" -v serve -f -t "$iqn" -l 1 -P 127.0.0.1 \
	--socket "$sock" --name "$name" ${ISN_SERVE_ARGS:-} >"$log" 2>&1 &
pid=$!
serve_kill() {
	[ -n "${pid:-}" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		_i=0
		while kill -0 "$pid" 2>/dev/null && [ $_i -lt 100 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -9 "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	pid=
	return 0
}
cleanup_add serve_kill
status_json() {
	timeout 10 "$isn_bin" status "$name" --json
}
i=0
until [ -S "$sock" ] && status_json >/dev/null 2>&1; do
	kill -0 "$pid" 2>/dev/null || fail "iscsi-nbd serve died at start: $(tail -20 "$log")"
	i=$((i + 1))
	[ $i -lt 300 ] || fail "iscsi-nbd serve not ready after 30 s"
	sleep 0.1
done

# ---- 1. nbdinfo ---------------------------------------------------------------
timeout 30 nbdinfo --json "$uri" >"$isn_tmp/info.json" || fail "nbdinfo $uri"
"$py" - "$isn_tmp/info.json" "$size" <<'EOF' || fail "nbdinfo: $(cat "$isn_tmp/info.json")"
import json, sys
d = json.load(open(sys.argv[1]))
e = d["exports"][0]
want = int(sys.argv[2])
bad = []
if e.get("export-size") != want:
    bad.append("export-size %r, want %d" % (e.get("export-size"), want))
if e.get("block_size_minimum") != 512:
    bad.append("block_size_minimum %r, want 512" % e.get("block_size_minimum"))
if e.get("can_multi_conn") is not True:
    bad.append("can_multi_conn %r" % e.get("can_multi_conn"))
if e.get("can_trim") is not True:
    bad.append("can_trim %r on a thin LUN" % e.get("can_trim"))
if bad:
    print("nbdinfo: " + "; ".join(bad), file=sys.stderr)
    sys.exit(1)
print("nbdinfo: size %d, block min %d, multi_conn, can_trim, can_zero %s" %
      (want, e["block_size_minimum"], e.get("can_zero")), file=sys.stderr)
EOF

# ---- 2. nbdcopy in and out ----------------------------------------------------
random_file "$isn_tmp/in" "$size"
timeout 60 nbdcopy "$isn_tmp/in" "$uri" || fail "nbdcopy into the export"
timeout 60 nbdcopy "$uri" "$isn_tmp/out" || fail "nbdcopy out of the export"
cmp "$isn_tmp/in" "$isn_tmp/out" || fail "nbdcopy: read back differs from what was written"
cmp "$isn_tmp/in" "$disk" || fail "nbdcopy: backing file differs from what was written"
rm -f "$isn_tmp/out"
info "nbdcopy: 256 MiB in and out, identical, backing file identical"

# ---- 3. fio -------------------------------------------------------------------
# Two jobs (two NBD connections) on disjoint 64 MiB regions in the first
# 128 MiB; the trim / zero ranges below lie beyond. Fixed work, no
# --runtime: each of the 15 loops writes, then reads back and checks
# everything it wrote (a runtime cut would skip the last check).
for qd in 1 16 64; do
	out=$isn_tmp/fio-qd$qd.txt
	if (cd "$isn_tmp" && timeout -k 5 60 fio --name=sc --ioengine=nbd --uri="$uri" \
		--rw=randrw --bssplit=4k/25:16k/25:64k/25:1m/25 --iodepth="$qd" \
		--numjobs=2 --size=64M --offset_increment=64M --loops=15 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
		--random_generator=tausworthe64 --output="$out"); then
		rc=0
	else
		rc=$?
	fi
	grep -E "err=|verify|error|issued|READ:|WRITE:" "$out" >&2
	[ "$rc" = 0 ] || fail "fio at queue depth $qd exited $rc: $(tail -20 "$out")"
	nok=$(grep -c -E '\(groupid=[0-9]+, jobs=[0-9]+\): err= *0:' "$out")
	nerr=$(grep -E 'err= *[0-9]+' "$out" | grep -c -v -E 'err= *0:')
	[ "$nok" = 2 ] && [ "$nerr" = 0 ] ||
		fail "fio at queue depth $qd: $nok jobs with err=0, $nerr with errors"
done
rm -f "$isn_tmp"/*.state

# ---- 4. qemu-img convert ------------------------------------------------------
timeout 60 qemu-img convert -f raw -O raw "$uri" "$isn_tmp/qemu.img" ||
	fail "qemu-img convert of the export"
cmp "$isn_tmp/qemu.img" "$disk" || fail "qemu-img convert: differs from the backing file"
rm -f "$isn_tmp/qemu.img"
info "qemu-img convert: identical to the backing file"

# ---- 5. trim and write zeroes, 6. status while connected -------------------------
cp "$disk" "$isn_tmp/expect"
trim_off=$((200 * MiB)) zero_off=$((216 * MiB)) rw_off=$((232 * MiB))
timeout 60 "$py" - "$uri" "$trim_off" "$zero_off" "$rw_off" "$isn_tmp/expect" \
	"$isn_bin" "$name" "$isn_tmp/status.json" "$isn_tmp/zero-done" <<'EOF' ||
import nbd, subprocess, sys
uri, path, isn, name, status_out, zero_done = (sys.argv[1], sys.argv[5], sys.argv[6],
    sys.argv[7], sys.argv[8], sys.argv[9])
trim_off, zero_off, rw_off = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
M = 1 << 20
ref = open(path, "rb")
def expected(off, n):
    ref.seek(off)
    return ref.read(n)
def fail(msg):
    print("nbd: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)
h = nbd.NBD()
h.connect_uri(uri)
if not h.can_trim():
    fail("can_trim is false on a thin-provisioned LUN")
ranges = [("trim", trim_off)]
# A write of bytes the LUN already holds: the connection carries payload
# both ways for the status check, and nothing changes.
h.pwrite(expected(rw_off, 64 * 1024), rw_off)
h.trim(M, trim_off)
if h.can_zero():
    h.zero(M, zero_off)
    ranges.append(("write zeroes", zero_off))
    open(zero_done, "w").close()
else:
    print("serve-clients: can_zero is false: write zeroes NOT checked, trim only",
          file=sys.stderr)
z = bytes(M)
for what, off in ranges:
    if h.pread(M, off) != z:
        fail("%s of 1 MiB at %d does not read back as zeroes" % (what, off))
    # The 256 KiB on each side keep their data.
    for o in (off - 256 * 1024, off + M):
        if h.pread(256 * 1024, o) != expected(o, 256 * 1024):
            fail("%s at %d changed the data at %d" % (what, off, o))
if h.pread(64 * 1024, rw_off) != expected(rw_off, 64 * 1024):
    fail("rewritten 64 KiB at %d reads back different" % rw_off)
# Status while this connection is open.
with open(status_out, "wb") as f:
    subprocess.run([isn, "status", name, "--json"], stdout=f, check=True, timeout=10)
h.shutdown()
EOF
	fail "trim / write zeroes through nbd"
# The backing file: zero in the trimmed (and zeroed) range, the rest as before.
dd if=/dev/zero of="$isn_tmp/expect" bs=1M seek=$((trim_off / MiB)) count=1 conv=notrunc \
	status=none
if [ -e "$isn_tmp/zero-done" ]; then
	dd if=/dev/zero of="$isn_tmp/expect" bs=1M seek=$((zero_off / MiB)) count=1 \
		conv=notrunc status=none
	info "trim and write zeroes read back as zeroes, data around intact"
else
	info "can_zero is false: only trim was checked"
fi
cmp "$isn_tmp/expect" "$disk" || fail "backing file after trim / zero is not as expected"
rm -f "$isn_tmp/expect" "$isn_tmp/in"

"$py" - "$isn_tmp/status.json" <<'EOF' || fail "status --json: $(cat "$isn_tmp/status.json")"
import json, sys
t = open(sys.argv[1]).read()
d = json.loads(t[t.index("{"):])
socks = d.get("sockets") or []
if not socks:
    print("status: no sockets listed while a client is connected", file=sys.stderr)
    sys.exit(1)
s = max(socks, key=lambda s: s["requests"])
print("status: socket %s: requests %d, bytes read %d, written %d" %
      (s["name"], s["requests"], s["bytes_read"], s["bytes_written"]), file=sys.stderr)
if not (s["requests"] > 0 and s["bytes_read"] > 0 and s["bytes_written"] > 0):
    sys.exit(1)
EOF
if [ -n "${ISN_SERVE_CHECK:-}" ]; then
	$ISN_SERVE_CHECK "$isn_tmp/status.json" || fail "$ISN_SERVE_CHECK: $(cat "$isn_tmp/status.json")"
fi

# ---- stop ---------------------------------------------------------------------
expect_rc 0 timeout 40 "$isn_bin" detach "$name"
if wait "$pid"; then rc=0; else rc=$?; fi
pid=
[ "$rc" = 0 ] || fail "iscsi-nbd serve exited $rc after detach"
exit 0
