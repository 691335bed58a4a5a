#!/bin/sh
# NBD over TLS (NBD_OPT_STARTTLS) end to end against a memory disk served by
# tests/unit/nbdsrv_mem on loopback TCP, with real clients:
# - PSK made by psktool: nbdinfo (TLS 1.3, identity in the log), a 128 MiB
#   nbdcopy round trip (4 connections each way) byte-identical, fio verify
#   over TLS with two connections when fio has the nbd engine;
# - refusals under --tls require: plaintext nbdinfo and a scripted client
#   (OPT_GO / INFO / LIST / unknown first: NBD_REP_ERR_TLS_REQD;
#   EXPORT_NAME first: closed with no data), a wrong key and an unknown
#   identity (each with its log line), garbage instead of a ClientHello;
# - clients stalled half way into the TLS handshake do not delay another
#   client and are dropped at the handshake deadline; a flood of 40 such
#   connections past the client limit is dropped, the oldest first, with the
#   server's memory bounded, a connected client served throughout and a
#   new client getting in during the flood;
# - --tls on serves plaintext and TLS clients alike;
# - X.509 with --tls-verify-peer: nbdinfo with a client certificate, and
#   refusals for a certificate signed by another CA, an expired one, none
#   at all (each with its log line), at TLS 1.2 and 1.3;
# - qemu-img info / convert with tls-creds-psk and tls-creds-x509.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires nbdinfo nbdcopy psktool openssl certtool python3 cmp
srv=$top_builddir/tests/unit/nbdsrv_mem
requires_built "$srv"
raw="python3 $top_srcdir/tests/integration/nbd-tls-raw.py"
size_mib=128

# start_server ARGS...: nbdsrv_mem on 127.0.0.1, a free port; sets $port, $log.
nsrv=0
start_server() {
	nsrv=$((nsrv + 1))
	log=$isn_tmp/srv$nsrv.log
	"$srv" 127.0.0.1:0 $size_mib 512 --name lun0 "$@" >"$isn_tmp/srv$nsrv.out" 2>"$log" &
	srv_pid=$!
	cleanup_add kill_quiet "$srv_pid"
	_isn_logs="$_isn_logs $log"
	wait_for 10 grep -q '^port ' "$isn_tmp/srv$nsrv.out"
	port=$(sed -n 's/^port //p' "$isn_tmp/srv$nsrv.out")
}

stop_server() {
	kill -TERM "$srv_pid"
	wait "$srv_pid" || fail "server exit status $?"
}

# refused URI LOGREGEX WHAT: the client fails, the log says why, no export data was served.
refused() {
	timeout 20 nbdinfo --size "$1" >"$isn_tmp/out" 2>&1 && fail "$3: nbdinfo got in: $(cat "$isn_tmp/out")"
	wait_for 5 log_has "$log" "$2"
	info "$3: refused ($(grep -E -o -- "$2.*" "$log" | tail -1))"
}

# ---- PSK ------------------------------------------------------------------------
(cd "$isn_tmp" && psktool -u alice -p keys.psk >/dev/null && psktool -u alice -p wrong.psk >/dev/null &&
	psktool -u mallory -p mallory.psk >/dev/null) || fail "psktool"
psk_uri() { echo "nbds://${2:-alice}@127.0.0.1:$port/lun0?tls-psk-file=$isn_tmp/${1:-keys.psk}"; }

start_server --tls require --tls-psk "$isn_tmp/keys.psk" --hs-timeout 3
nbdinfo "$(psk_uri)" >"$isn_tmp/info" || fail "nbdinfo over TLS with PSK failed"
grep -q 'with TLS' "$isn_tmp/info" || fail "nbdinfo did not negotiate TLS: $(cat "$isn_tmp/info")"
grep -q 'export-size: 134217728' "$isn_tmp/info" || fail "wrong size: $(cat "$isn_tmp/info")"
wait_for 5 log_has "$log" 'TLS established: TLSv1\.3 .* psk:alice$'
info "nbdinfo over TLS 1.3 with PSK identity alice ok"

random_file "$isn_tmp/src.img" $((size_mib << 20))
nbdcopy "$isn_tmp/src.img" "$(psk_uri)" || fail "nbdcopy to the server over TLS failed"
nbdcopy "$(psk_uri)" "$isn_tmp/dst.img" || fail "nbdcopy from the server over TLS failed"
cmp "$isn_tmp/src.img" "$isn_tmp/dst.img" || fail "128 MiB round trip over TLS differs"
rm -f "$isn_tmp/dst.img"
info "nbdcopy 128 MiB round trip over TLS: byte-identical"

# fio's nbd engine cannot use a PSK: libnbd refuses tls-psk-file in a URI
# unless the program allows local files (nbd_set_uri_allow_local_file),
# which fio does not. It can do X.509: see below.
# Plaintext clients get nothing.
served_before=$(grep -c 'disconnected after' "$log")
refused "nbd://127.0.0.1:$port/lun0" 'handshake ended: client sent NBD_OPT_ABORT' "plaintext nbdinfo"
$raw 127.0.0.1 "$port" plain-options || fail "options before STARTTLS not answered TLS_REQD"
$raw 127.0.0.1 "$port" export-name || fail "EXPORT_NAME before STARTTLS not refused"
wait_for 5 log_has "$log" 'EXPORT_NAME without TLS'
[ "$(grep -c 'disconnected after' "$log")" = "$served_before" ] ||
	fail "a plaintext client reached the transmission phase"
info "plaintext clients: NBD_REP_ERR_TLS_REQD, EXPORT_NAME closed, no transmission"

refused "$(psk_uri wrong.psk)" "pre-shared key does not match" "wrong PSK"
refused "$(psk_uri mallory.psk mallory)" "unknown PSK identity 'mallory'" "unknown identity"
# One line says why; OpenSSL's own words for the failed handshake that
# follows ("no suitable signature algorithm") must not be logged after it.
sleep 0.5
grep -A3 "unknown PSK identity 'mallory'" "$log" | grep -q "TLS handshake failed" &&
	fail "unknown identity: a second, misleading line follows: $(grep -A3 "unknown PSK identity 'mallory'" "$log")"
$raw 127.0.0.1 "$port" garbage || fail "garbage instead of a ClientHello not refused"
wait_for 5 log_has "$log" 'TLS handshake failed'

# Stalled TLS handshakes: another client is served at once; the stalled ones go at the deadline.
$raw 127.0.0.1 "$port" stall 8 6 >"$isn_tmp/stall.out" 2>&1 &
stall_pid=$!
cleanup_add kill_quiet "$stall_pid"
wait_for 10 grep -q 'stalled in the TLS handshake' "$isn_tmp/stall.out"
t0=$(date +%s%3N)
timeout 10 nbdinfo --size "$(psk_uri)" >/dev/null || fail "a client waited behind stalled TLS handshakes"
t1=$(date +%s%3N)
info "served in $((t1 - t0)) ms while 8 clients stall in the TLS handshake"
wait "$stall_pid" || fail "stall client: $(cat "$isn_tmp/stall.out")"
grep -q 'closed by the server: 8' "$isn_tmp/stall.out" ||
	fail "stalled clients not dropped at the 3 s handshake deadline: $(cat "$isn_tmp/stall.out")"
timeout 10 nbdinfo --size "$(psk_uri)" >/dev/null || fail "server unusable after the stalls"
stop_server
# stall.out above shows all 8 dropped. Lines a client can provoke are
# rate-limited per listener (10 in 5 s) and this server has written many
# by now: each drop is a 'handshake timed out' line or counted in a
# 'similar messages suppressed' line, the last of them written at exit.
grep -Eq 'handshake timed out|similar messages suppressed' "$log" ||
	fail "the log says nothing of the stalled clients"
info "8 stalled TLS handshakes dropped at the deadline, nobody else waited"

# A flood of half-open TLS handshakes past the client limit (8): a client
# already in transmission keeps being served meanwhile, the server's memory
# stays bounded (at most 8 handshakes: each connection past them drops the
# oldest, the last 8 go at the deadline), and a new client that completes
# its handshake during the flood, while 8 half-open ones are held, gets in.
if /usr/bin/python3 -c 'import nbd' 2>/dev/null; then
	start_server --tls require --tls-psk "$isn_tmp/keys.psk" --hs-timeout 3 --max-clients 8
	rss0=$(awk '/VmRSS/ {print $2}' "/proc/$srv_pid/status")
	/usr/bin/python3 - "$(psk_uri)" "$raw" "$port" "$isn_tmp/flood.out" "$srv_pid" <<'EOF' || fail "client during the flood"
import subprocess, sys, time
import nbd
uri, raw, port, out, pid = sys.argv[1:6]
newcomer = None
h = nbd.NBD()
h.set_uri_allow_local_file(True)
h.connect_uri(uri)
fl = subprocess.Popen(raw.split() + ["127.0.0.1", port, "flood", "40", "5"],
                      stdout=open(out, "w"), stderr=subprocess.STDOUT)
worst, n, rss = 0.0, 0, 0
while fl.poll() is None:
    t = time.monotonic()
    h.pread(65536, (n * 65536) % (64 << 20))
    worst = max(worst, time.monotonic() - t)
    n += 1
    for l in open("/proc/%s/status" % pid):
        if l.startswith("VmRSS"):
            rss = max(rss, int(l.split()[1]))
    if newcomer is None and "half-open" in open(out).read():
        # The flood holds its last 8 handshakes open for 3 s from now.
        t = time.monotonic()
        r = subprocess.run(["nbdinfo", "--size", uri], capture_output=True, timeout=10)
        newcomer = time.monotonic() - t
        if r.returncode != 0:
            sys.exit("a new client was kept out by the flood: %s" % r.stderr.decode().strip())
        print("during the flood: a new client got in in %.0f ms" % (newcomer * 1000),
              file=sys.stderr)
        if newcomer > 2.0:
            sys.exit("the new client took longer than the flood lasts")
    time.sleep(0.01)
h.shutdown()
if newcomer is None:
    sys.exit("no new client tried during the flood")
print("during the flood: %d reads by the connected client, slowest %.0f ms; server RSS peak %d KiB"
      % (n, worst * 1000, rss), file=sys.stderr)
if n < 50 or worst > 2.0:
    sys.exit("the connected client stalled during the flood")
open(out + ".rss", "w").write(str(rss))
EOF
	cat "$isn_tmp/flood.out" >&2
	grep -q 'half-open in the TLS handshake: 40, turned away: 0' "$isn_tmp/flood.out" ||
		fail "flood connections not taken in: $(cat "$isn_tmp/flood.out")"
	grep -q 'closed by the server: 40' "$isn_tmp/flood.out" || fail "half-open handshakes not dropped: $(cat "$isn_tmp/flood.out")"
	# The newcomer got in while the handshake slots were full: it pushed one out.
	log_has "$log" 'handshakes open already: dropping this oldest one' ||
		fail "no handshake was dropped for a new one"
	rss1=$(cat "$isn_tmp/flood.out.rss")
	# The memory bound holds for the real allocator; under ASan freed memory
	# sits in its quarantine and RSS says nothing about our buffers.
	if [ -z "${ISN_SANITIZER:-}" ]; then
		[ $((rss1 - rss0)) -lt 32768 ] || fail "server RSS grew by $((rss1 - rss0)) KiB during the flood"
	fi
	nbdinfo --size "$(psk_uri)" >/dev/null || fail "no client gets in after the flood"
	info "flood of 40 half-open TLS handshakes, limit 8: 33 dropped for newer ones, 7 at the deadline, RSS +$((rss1 - rss0)) KiB, connected client unaffected, a new client got in"
	stop_server
fi

# --tls on: TLS offered, plaintext still served.
start_server --tls on --tls-psk "$isn_tmp/keys.psk"
nbdinfo --size "nbd://127.0.0.1:$port/lun0" >/dev/null || fail "--tls on refused a plaintext client"
nbdinfo "$(psk_uri)" | grep -q 'with TLS' || fail "--tls on: no TLS for a TLS client"
info "--tls on: plaintext and TLS clients both served"
stop_server

# ---- X.509 ------------------------------------------------------------------------
x=$isn_tmp/x509
mkdir -p "$x/srv" "$x/cli" "$x/rogue" "$x/expired" "$x/none"
# mkcert NAME CA CN EXTENSIONS: NAME-key.pem, NAME-cert.pem signed by CA.
mkcert() {
	printf "$4\n" >"$x/$1.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$x/$1-key.pem" \
		-out "$x/$1.csr" -subj "/CN=$3" 2>/dev/null &&
		openssl x509 -req -in "$x/$1.csr" -CA "$x/$2-cert.pem" -CAkey "$x/$2-key.pem" \
			-CAcreateserial -days 30 -out "$x/$1-cert.pem" -extfile "$x/$1.ext" 2>/dev/null ||
		fail "openssl: certificate $1"
}
for ca in ca rogueca; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$x/$ca-key.pem" \
		-out "$x/$ca-cert.pem" -days 30 -subj "/CN=test $ca" 2>/dev/null || fail "openssl: $ca"
done
mkcert server ca 127.0.0.1 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'
mkcert client ca alice-client 'extendedKeyUsage=clientAuth'
mkcert rogue rogueca alice-client 'extendedKeyUsage=clientAuth'
# Expired: valid in 2020 only (certtool takes dates; openssl x509 -req of Debian 12 does not).
certtool --generate-privkey --key-type=ecdsa --outfile "$x/expired-key.pem" 2>/dev/null ||
	fail "certtool: key"
printf 'cn = alice-client\ntls_www_client\nactivation_date = "2020-01-01 00:00:00"\nexpiration_date = "2021-01-01 00:00:00"\n' >"$x/expired.tmpl"
certtool --generate-certificate --load-privkey "$x/expired-key.pem" --load-ca-certificate "$x/ca-cert.pem" \
	--load-ca-privkey "$x/ca-key.pem" --template "$x/expired.tmpl" --outfile "$x/expired-cert.pem" \
	>/dev/null 2>&1 || fail "certtool: expired certificate"
cp "$x/ca-cert.pem" "$x/server-cert.pem" "$x/server-key.pem" "$x/srv/"
for d in cli rogue expired none; do
	cp "$x/ca-cert.pem" "$x/$d/"
done
for d in rogue expired; do
	cp "$x/$d-cert.pem" "$x/$d/client-cert.pem"
	cp "$x/$d-key.pem" "$x/$d/client-key.pem"
done
cp "$x/client-cert.pem" "$x/client-key.pem" "$x/cli/"
x509_uri() { echo "nbds://127.0.0.1:$port/lun0?tls-certificates=$x/$1"; }

start_server --tls require --tls-certificates "$x/srv" --tls-verify-peer
nbdinfo "$(x509_uri cli)" | grep -q 'with TLS' || fail "nbdinfo with a client certificate failed"
wait_for 5 log_has "$log" 'TLS established: TLSv1\.3 .* x509:.*CN *= *alice-client'
nbdcopy "$isn_tmp/src.img" "$(x509_uri cli)" || fail "nbdcopy over X.509 TLS failed"
nbdcopy "$(x509_uri cli)" "$isn_tmp/dst.img" || fail "nbdcopy over X.509 TLS failed"
cmp "$isn_tmp/src.img" "$isn_tmp/dst.img" || fail "round trip over X.509 TLS differs"
rm -f "$isn_tmp/dst.img"
info "X.509: nbdinfo and a 128 MiB nbdcopy round trip with a client certificate ok"
# fio's nbd engine: libnbd refuses tls-certificates= in fio's URI (local
# file access fio does not allow), but takes certificates from its default
# directory: /etc/pki/libnbd for root, $HOME/.pki/libnbd for anyone else.
# So fio runs as nobody with a HOME of its own: randwrite + verify over TLS,
# two connections.
if [ "$(id -u)" = 0 ] && command -v fio >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 &&
	fio --enghelp 2>/dev/null | grep -qw nbd; then
	fhome=$(mktemp -d "${TMPDIR:-/tmp}/isn-fio-home.XXXXXX") || fail "mktemp"
	cleanup_add rm -rf "$fhome"
	mkdir -p "$fhome/.pki"
	cp -r "$x/cli" "$fhome/.pki/libnbd"
	chown -R 65534:65534 "$fhome"
	chmod 755 "$fhome"
	(cd "$fhome" && HOME=$fhome setpriv --reuid=65534 --regid=65534 --clear-groups \
		fio --name=verify --ioengine=nbd --uri="nbds://127.0.0.1:$port/lun0" \
		--rw=randwrite --bssplit=4k/50:64k/30:1m/20 --iodepth=32 --size=16m --numjobs=2 \
		--offset_increment=16m --verify=crc32c --verify_fatal=1 \
		--output="$fhome/fio.out") >/dev/null 2>&1 || {
		cat "$fhome/fio.out" >&2
		fail "fio verify over TLS failed"
	}
	grep -q 'err= 0' "$fhome/fio.out" || fail "fio reported errors"
	log_count_ge "$log" 3 'TLS established: .* x509:' || fail "fio's connections were not on TLS"
	info "fio nbd engine over X.509 TLS: randwrite + crc32c verify, 2 connections ok"
fi
refused "$(x509_uri none)" "peer did not return a certificate" "no client certificate"
for v in 1.2 1.3; do
	$raw 127.0.0.1 "$port" x509 "$x/cli" $v >"$isn_tmp/good.out" || fail "x509 client"
	grep -q "^served TLSv$v" "$isn_tmp/good.out" || fail "TLS $v with a good certificate: $(cat "$isn_tmp/good.out")"
	for d in rogue expired; do
		$raw 127.0.0.1 "$port" x509 "$x/$d" $v >"$isn_tmp/x.out" || fail "x509 client"
		grep -q '^refused' "$isn_tmp/x.out" || fail "TLS $v, $d certificate: $(cat "$isn_tmp/x.out")"
	done
	info "TLS $v: good certificate served ($(cut -d' ' -f2,3 "$isn_tmp/good.out")); rogue and expired refused"
done
wait_for 5 log_has "$log" 'client certificate: unable to get local issuer certificate'
wait_for 5 log_has "$log" 'client certificate: certificate has expired'

stop_server

# Both credentials at once: a PSK client and a certificate client are both served.
start_server --tls require --tls-psk "$isn_tmp/keys.psk" --tls-certificates "$x/srv"
nbdinfo --size "$(psk_uri)" >/dev/null || fail "PSK client refused when certificates are loaded too"
nbdinfo --size "$(x509_uri cli)" >/dev/null || fail "certificate client refused when PSKs are loaded too"
wait_for 5 log_has "$log" 'TLS established: .* psk:alice$'
info "PSK and X.509 on one listener: both clients served"

# ---- qemu-img --------------------------------------------------------------------------
if command -v qemu-img >/dev/null 2>&1; then
	mkdir -p "$isn_tmp/qpsk"
	cp "$isn_tmp/keys.psk" "$isn_tmp/qpsk/keys.psk"
	qemu-img info --object "tls-creds-x509,id=tls0,endpoint=client,dir=$x/cli" \
		--image-opts "driver=nbd,host=127.0.0.1,port=$port,export=lun0,tls-creds=tls0" \
		>"$isn_tmp/qi" 2>&1 || fail "qemu-img info over X.509 TLS: $(cat "$isn_tmp/qi")"
	grep -q 'virtual size: 128 MiB' "$isn_tmp/qi" || fail "qemu-img info: $(cat "$isn_tmp/qi")"
	info "qemu-img info with tls-creds-x509 ok"
	stop_server
	start_server --tls require --tls-psk "$isn_tmp/keys.psk"
	qopts="driver=nbd,host=127.0.0.1,port=$port,export=lun0,tls-creds=tls0"
	qobj="tls-creds-psk,id=tls0,endpoint=client,dir=$isn_tmp/qpsk,username=alice"
	qemu-img info --object "$qobj" --image-opts "$qopts" >"$isn_tmp/qi" 2>&1 ||
		fail "qemu-img info over PSK TLS: $(cat "$isn_tmp/qi")"
	grep -q 'virtual size: 128 MiB' "$isn_tmp/qi" || fail "qemu-img info: $(cat "$isn_tmp/qi")"
	qemu-img convert -n --object "$qobj" -f raw "$isn_tmp/src.img" --target-image-opts "$qopts" ||
		fail "qemu-img convert to the server over PSK TLS failed"
	qemu-img convert --object "$qobj" --image-opts "$qopts" -O raw "$isn_tmp/dst.img" ||
		fail "qemu-img convert from the server over PSK TLS failed"
	cmp "$isn_tmp/src.img" "$isn_tmp/dst.img" || fail "qemu-img round trip over TLS differs"
	info "qemu-img info / convert both ways with tls-creds-psk ok"
fi
stop_server
exit 0
