#!/bin/sh
# A path whose portal reaches a different LUN under the same target name
# must be refused and never carry I/O. Network 1 leads to the real target
# (tgtd in $tgt_ns, LUN 1 on $mp_disk); network 2 leads to a second tgtd
# in another namespace that serves a target with the same IQN whose LUN 1
# is another file of the same size (its tid differs, so its VPD 0x83
# identity differs, as two real arrays' would). The second cable is
# plugged only once the device runs on path0 (so path0 defines the LUN).
# Under a write + crc32c verify load: path1 must be WRONG_LUN in status
# with a reason naming the identity, with 0 ios; fio must end with no
# error; and the other LUN's backing file must be byte-for-byte untouched.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
# Network 1 to the real target; network 2 to an impostor namespace.
mp_networks 1
netns_new other_ns
veth_link "$other_ns" 10.2.0.10 "$ini_ns" 10.2.0.1 24
mp_n=2 mp_tgt_2=10.2.0.10 mp_ini_2=10.2.0.1 mp_tgt_dev_2=$veth_a mp_ini_dev_2=$veth_b
wait_for 10 ip netns exec "$ini_ns" ping -c1 -W1 10.2.0.10
mp_target 64
tgtd_start "$other_ns"
shm_file other 64
tgt_target_new "$other_ns" 2 "$mp_iqn"
tgt_lun_new "$other_ns" 2 1 "$other"
tgt_bind_all "$other_ns" 2
sum_before=$(md5sum <"$other")

mp_cable_down 2
mp_serve --no-path-retry 15 --nop-interval 300 --nop-timeout 1500
mp_wait_state 0 ACTIVE 10 || fail "path0 not active at start"
mp_fio_start 15
mp_wait_ios 0 100 20
mp_cable_up 2
info "cable 2 (to the other LUN) plugged"
mp_wait_state 1 WRONG_LUN 30 || fail "path1 is $(mp_path_field 1 state), not WRONG_LUN"
reason=$(mp_path_field 1 reason)
info "path1: WRONG_LUN ($reason)"
echo "$reason" | grep -E -i -q "identity|naa|lun|differ|mismatch" ||
	fail "path1's reason does not say why: $reason"
mp_fio_wait 60
mp_fio_ok
[ "$(mp_fio_ios)" -gt 1000 ] || fail "fio did almost no I/O"
mp_paths_text >&2
[ "$(mp_path_field 1 state)" = WRONG_LUN ] || fail "path1 became $(mp_path_field 1 state)"
[ "$(mp_path_field 1 ios)" = 0 ] || fail "path1 carried $(mp_path_field 1 ios) I/Os to the wrong LUN"
[ "$(md5sum <"$other")" = "$sum_before" ] || fail "the other LUN's backing file was written"
info "the other LUN is untouched; $(mp_fio_ios) I/Os went to the right one"
exit 0
