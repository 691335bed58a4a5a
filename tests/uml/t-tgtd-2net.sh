#!/bin/bash
# Proves the two-network bed: tgtd runs in the target namespace of the
# guest and serves one LUN over both veth networks (SendTargets discovery
# and a login reading the capacity on each portal, via libiscsi's tools);
# pulling cable 1 makes network 1 fail while network 2 still works, and
# plugging it back restores network 1.
. "$(dirname "$0")/lib.sh"
requires iscsi-ls iscsi-readcapacity16 tgtd tgtadm
uml_guest "$0"

load_modules veth
net2_setup
tgtd_start 64

# ls_ok N: discovery through network N's portal reports our target there,
# and a login to that very portal reads the LUN's capacity.
ls_ok() {
	local ip
	eval "ip=\$TGT_IP$1"
	portal_ok "$ip" "$TGT_IQN" 1
}

ls_ok 1 || fail "iscsi-ls over network 1 ($TGT_IP1)"
ls_ok 2 || fail "iscsi-ls over network 2 ($TGT_IP2)"
log "both networks reach tgtd"

cable_pull 1
if ls_ok 1; then
	fail "iscsi-ls over network 1 still works with cable 1 pulled"
fi
ls_ok 2 || fail "iscsi-ls over network 2 fails with only cable 1 pulled"
log "cable 1 pulled: network 1 down, network 2 up"

cable_plug 1
ls_ok 1 || fail "network 1 did not recover after plugging cable 1"
log "cable 1 plugged back: network 1 works again"
