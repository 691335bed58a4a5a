#!/bin/bash
# Proves that the in-kernel LIO target works in the guest for later tests
# and benchmarks: configured by hand through configfs (lib.sh lio_start)
# with portals in the target namespace, it serves one LUN over both veth
# networks (discovery and a login reading the capacity on each portal) and a pulled
# cable 1 makes network 1 fail while network 2 still works.
. "$(dirname "$0")/lib.sh"
requires iscsi-ls iscsi-readcapacity16
uml_guest "$0"

load_modules veth
net2_setup
lio_start 64

# ls_ok N: discovery through network N's portal reports our target there,
# and a login to that very portal reads the LUN's capacity.
ls_ok() {
	local ip
	eval "ip=\$TGT_IP$1"
	portal_ok "$ip" "$LIO_IQN" 0
}

ls_ok 1 || fail "iscsi-ls over network 1 ($TGT_IP1)"
ls_ok 2 || fail "iscsi-ls over network 2 ($TGT_IP2)"
# The portals must live in the target namespace, not in the root one:
# count sockets listening (state 0A) on local port 3260 (0CBC).
listeners() {
	awk '$2 ~ /:0CBC$/ && $4 == "0A"' /proc/net/tcp | wc -l
}
[ "$(listeners)" = 0 ] || fail "LIO portal listening in the root namespace"
[ "$(in_tgt bash -c "$(declare -f listeners); listeners")" = 2 ] ||
	fail "not 2 LIO portals listening in $TGT_NS"
log "both networks reach LIO"

cable_pull 1
ls_ok 1 && fail "iscsi-ls over network 1 still works with cable 1 pulled"
ls_ok 2 || fail "iscsi-ls over network 2 fails with only cable 1 pulled"
cable_plug 1
ls_ok 1 || fail "network 1 did not recover after plugging cable 1"
log "cable pull and plug behave"
