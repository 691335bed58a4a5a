#!/bin/bash
# Proves the bed's other failure modes, which later failover tests rely on:
# a silent loss on network 1 (cable_blackhole: netem 100% loss both ways)
# keeps the carrier up yet makes TCP to the target time out, while network
# 2 still works; cable_clear restores it; cable_netem delay adds the asked
# latency to a round trip.
. "$(dirname "$0")/lib.sh"
requires tc tgtd tgtadm
uml_guest "$0"

load_modules veth
net2_setup
tgtd_start 16

ms_now() {
	echo $((${EPOCHREALTIME/./} / 1000))
}

tcp_probe "$TGT_IP1" 3260 || fail "tgtd not reachable on network 1"
tcp_probe "$TGT_IP2" 3260 || fail "tgtd not reachable on network 2"

cable_blackhole 1
t0=$(ms_now)
tcp_probe "$TGT_IP1" 3260 && fail "network 1 still reachable through the blackhole"
t1=$(ms_now)
# A silent loss is noticed only by a timeout (tcp_probe's 3 s), not by an
# immediate error as with a pulled cable.
[ $((t1 - t0)) -ge 2500 ] || fail "connect failed after $((t1 - t0)) ms: not silent"
link_up 1 || fail "blackhole dropped the carrier"
tcp_probe "$TGT_IP2" 3260 || fail "network 2 broken by a blackhole on network 1"
log "blackhole on network 1: connect timed out after $((t1 - t0)) ms, carrier up"

cable_clear 1
tcp_probe "$TGT_IP1" 3260 || fail "network 1 not back after cable_clear"

# connect_ms IP: milliseconds a TCP connect to IP:3260 takes (one round
# trip), measured in this shell (bash's /dev/tcp, $EPOCHREALTIME): no
# process start in the measurement.
connect_ms() {
	local a b
	a=${EPOCHREALTIME/./}
	exec 3<>"/dev/tcp/$1/3260" || return 1
	b=${EPOCHREALTIME/./}
	exec 3>&-
	echo $(((b - a) / 1000))
}
base=$(connect_ms "$TGT_IP2") || fail "connect on network 2"
cable_netem 2 delay 100ms
slow=$(connect_ms "$TGT_IP2") || fail "connect on network 2 with 100 ms delay"
cable_clear 2
log "connect round trip on network 2: $base ms plain, $slow ms with netem delay 100ms"
# Relative, so that a loaded machine (slow plain connects) cannot fail it.
[ $((slow - base)) -ge 150 ] ||
	fail "netem delay 100ms added only $((slow - base)) ms to a round trip"
