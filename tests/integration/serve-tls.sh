#!/bin/sh
# `iscsi-nbd serve --listen` on a network address (a veth between a server
# namespace, which also runs tgtd, and a client namespace) is safe by
# default (issue 14):
# - without credentials the daemon refuses to start, before any login, and
#   says how to make a PSK (psktool) or how to opt out (--tls off); the same
#   for ":PORT" (every address); a PSK file others can read is refused;
# - with --tls-psk: nbdinfo from the client namespace over TLS, a 128 MiB
#   nbdcopy round trip identical to the data and to tgtd's backing file, a
#   plaintext client refused; `status` (text and --json) shows the client's
#   address, TLS version, cipher and PSK identity while it is connected;
# - --tls off on that address starts, with a warning in the log.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn serve status detach
requires nbdinfo nbdcopy psktool cmp
py=/usr/bin/python3
"$py" -c 'import nbd' 2>/dev/null || skip_missing python3-libnbd "$py: import nbd"

size_mib=128
netns_new ns
netns_new cns
veth_link "$ns" 10.77.0.1 "$cns" 10.77.0.2 24
wait_for 10 sh -c "ip -n $cns link show dev $veth_b | grep -q 'state UP'"
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-12.org.iscsi-nbd.test:serve-tls
shm_file disk "$size_mib" zero
tgt_simple "$ns" "$iqn" "$disk" thin

rundir=$isn_tmp/run
mkdir -p "$rundir"
export ISCSI_NBD_RUNDIR="$rundir"
addr=10.77.0.1:10809
name=st
log=$isn_tmp/serve.log
_isn_logs="$_isn_logs $log"
serve() {
	ip netns exec "$ns" "$isn_bin" -v serve -f -t "$iqn" -l 1 -P 127.0.0.1 --name "$name" "$@"
}

# ---- refused at start ----------------------------------------------------------------
for a in "$addr" :10809; do
	t0=$(date +%s)
	serve --listen "$a" >"$isn_tmp/refused" 2>&1 && fail "serve --listen $a without credentials started"
	[ $(($(date +%s) - t0)) -le 5 ] || fail "the refusal took $(($(date +%s) - t0)) s: it should come before any login"
	grep -q 'psktool -u NAME' "$isn_tmp/refused" || fail "refusal does not say how to make a key: $(cat "$isn_tmp/refused")"
	grep -q -- '--tls off' "$isn_tmp/refused" || fail "refusal does not name --tls off: $(cat "$isn_tmp/refused")"
	grep -q 'login\|session' "$isn_tmp/refused" && fail "logged in before refusing: $(cat "$isn_tmp/refused")"
	info "--listen $a without credentials refused at start: $(head -c 90 "$isn_tmp/refused")..."
done

# The configuration keys reach the same checks: tls_verify_peer = yes without certificates.
mkdir -p "$isn_tmp/etc"
printf '[target]\nname = %s\nlun = 1\nportal = 127.0.0.1\n[serve]\nlisten = %s\ntls_verify_peer = yes\n[daemon]\nmode = serve\n' \
	"$iqn" "$addr" >"$isn_tmp/etc/v.conf"
ISCSI_NBD_CONFDIR=$isn_tmp/etc ip netns exec "$ns" "$isn_bin" serve --config v -f >"$isn_tmp/refused" 2>&1 &&
	fail "tls_verify_peer = yes without certificates started"
grep -q -- '--tls-verify-peer needs --tls-certificates' "$isn_tmp/refused" ||
	fail "config tls_verify_peer: $(cat "$isn_tmp/refused")"
info "[serve] tls_verify_peer = yes reaches --tls-verify-peer"

(cd "$isn_tmp" && psktool -u alice -p keys.psk >/dev/null) || fail "psktool"
chmod 644 "$isn_tmp/keys.psk"
serve --listen "$addr" --tls-psk "$isn_tmp/keys.psk" >"$isn_tmp/refused" 2>&1 &&
	fail "a PSK file of mode 0644 was accepted"
grep -q 'chmod 600' "$isn_tmp/refused" || fail "no chmod hint: $(cat "$isn_tmp/refused")"
chmod 600 "$isn_tmp/keys.psk"
info "PSK file of mode 0644 refused"

# ---- serving over TLS ------------------------------------------------------------------------
pid=
serve_start() {
	# Not through serve(): ip netns exec execs the daemon, so $! is its PID.
	ip netns exec "$ns" "$isn_bin" -v serve -f -t "$iqn" -l 1 -P 127.0.0.1 --name "$name" "$@" \
		>"$log" 2>&1 &
	pid=$!
	wait_for 30 sh -c "grep -q 'serving on' '$log' || ! kill -0 $pid"
	kill -0 "$pid" 2>/dev/null || fail "iscsi-nbd serve died at start: $(tail -20 "$log")"
}
serve_stop() {
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	poll_until 20 sh -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	return 0
}
cleanup_add serve_stop
inc() { timeout 120 ip netns exec "$cns" "$@"; }
uri="nbds://alice@10.77.0.1:10809/?tls-psk-file=$isn_tmp/keys.psk"

serve_start --listen "$addr" --tls-psk "$isn_tmp/keys.psk"
grep -q 'TLS is off' "$log" && fail "warned about TLS off while TLS is on"
inc nbdinfo "$uri" >"$isn_tmp/info" || fail "nbdinfo over TLS: $(tail -5 "$log")"
grep -q 'with TLS' "$isn_tmp/info" || fail "no TLS: $(cat "$isn_tmp/info")"
inc nbdinfo --size "nbd://10.77.0.1:10809/" >/dev/null 2>&1 && fail "plaintext client served"
info "nbdinfo over TLS from another namespace ok; plaintext refused"

random_file "$isn_tmp/in" $((size_mib << 20))
inc nbdcopy "$isn_tmp/in" "$uri" || fail "nbdcopy into the export over TLS"
inc nbdcopy "$uri" "$isn_tmp/out" || fail "nbdcopy out of the export over TLS"
cmp "$isn_tmp/in" "$isn_tmp/out" || fail "128 MiB round trip over TLS differs"
cmp "$isn_tmp/in" "$disk" || fail "tgtd's backing file differs from what went in over TLS"
rm -f "$isn_tmp/out"
info "nbdcopy 128 MiB over TLS in and out: identical, backing file identical"

# status while a TLS client is connected (libnbd's python binding holds it open).
inc "$py" - "$isn_tmp/keys.psk" "$isn_bin" "$name" "$isn_tmp/status.txt" "$isn_tmp/status.json" "$rundir" <<'EOF' ||
import json, os, subprocess, sys
import nbd
psk, isn, name, txt, js, rundir = sys.argv[1:7]
h = nbd.NBD()
h.set_uri_allow_local_file(True)
h.connect_uri("nbds://alice@10.77.0.1:10809/?tls-psk-file=" + psk)
h.pread(4096, 0)
# The daemon's control socket is in the server namespace's view of the same file system.
env = dict(os.environ, ISCSI_NBD_RUNDIR=rundir)
with open(txt, "wb") as f:
    f.write(subprocess.run([isn, "status", name], env=env, check=True, capture_output=True, timeout=10).stdout)
with open(js, "wb") as f:
    f.write(subprocess.run([isn, "status", name, "--json"], env=env, check=True, capture_output=True, timeout=10).stdout)
h.shutdown()
socks = json.load(open(js))["sockets"]
if len(socks) != 1:
    sys.exit("status --json: %d sockets, want 1: %s" % (len(socks), socks))
s, t = socks[0], socks[0].get("tls") or {}
bad = []
if not (s.get("address") or "").startswith("10.77.0.2:"):
    bad.append("address %r" % s.get("address"))
if t.get("version") not in ("TLSv1.3", "TLSv1.2"):
    bad.append("tls.version %r" % t.get("version"))
if not t.get("cipher"):
    bad.append("tls.cipher %r" % t.get("cipher"))
if t.get("psk_identity") != "alice":
    bad.append("tls.psk_identity %r" % t.get("psk_identity"))
if bad:
    sys.exit("status --json: " + "; ".join(bad) + ": " + json.dumps(s))
print("status --json: %s %s %s psk %s" % (s["address"], t["version"], t["cipher"], t["psk_identity"]),
      file=sys.stderr)
EOF
	fail "status with a TLS client"
grep -q 'TLS: TLSv1\.[23], .*, psk:alice' "$isn_tmp/status.txt" || fail "status text: $(cat "$isn_tmp/status.txt")"
info "status (text): $(grep 'TLS:' "$isn_tmp/status.txt" | sed 's/^ *//')"
serve_stop

# ---- --tls off: allowed, warned ---------------------------------------------------------------
serve_start --listen "$addr" --tls off
log_has "$log" 'TLS is off .* anyone who can reach this address' || fail "no warning for --tls off: $(cat "$log")"
inc nbdinfo --size "nbd://10.77.0.1:10809/" >/dev/null || fail "--tls off: plaintext client refused"
info "--tls off: starts with a warning, plaintext served"
serve_stop
exit 0
