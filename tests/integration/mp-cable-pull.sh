#!/bin/sh
# Cable pulls under load, through `iscsi-nbd serve` and fio (write +
# crc32c read-back verify running throughout): two paths to one tgtd over
# two veth networks, round-robin. Cable 1 is pulled (carrier loss) and
# plugged back, then cable 2, then both together for less than
# --no-path-retry. fio must finish with exit 0, no I/O error and no verify
# error (failover is invisible to the client, and nothing is lost or
# misplaced), and the daemon's status must show each pulled path failed
# while its cable was out and active again after it was plugged back,
# with its failure counter raised. Prints the longest completion gap.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_two_paths_under_load 30

# pull K...: pull the cables, check those paths leave ACTIVE, keep them
# out 3 s (the length of the outage is the scenario, not a wait: well
# inside --no-path-retry), with one cable out check that the other path
# carried I/O meanwhile, plug them back, check they are ACTIVE again and
# carry I/O.
phases=
pull() {
	t_a=$(mp_ms)
	for k in "$@"; do mp_cable_down "$k"; done
	info "cable(s) $* pulled"
	for k in "$@"; do
		mp_wait_state $((k - 1)) "FAILED|FENCED|CONNECTING" 5 ||
			fail "path$((k - 1)) still $(mp_path_field $((k - 1)) state) with its cable out"
	done
	mp_paths_text >&2
	[ $# = 1 ] && o=$(mp_path_field $((2 - $1)) ios)
	sleep 3
	if [ $# = 1 ] && [ "$(mp_path_field $((2 - $1)) ios)" -le "$o" ]; then
		fail "path$((2 - $1)) carried no I/O while cable $1 was out"
	fi
	kill -0 "$mp_fio_pid" 2>/dev/null || fail "fio ended while cable(s) $* were out"
	for k in "$@"; do mp_cable_up "$k"; done
	info "cable(s) $* plugged back"
	for k in "$@"; do
		mp_wait_state $((k - 1)) ACTIVE 15 ||
			fail "path$((k - 1)) not active again: $(mp_path_field $((k - 1)) state)"
	done
	mp_paths_text >&2
	for k in "$@"; do mp_wait_ios $((k - 1)) 50 15; done
	phases="$phases $(echo "$*" | tr ' ' +):$t_a:$(mp_ms)"
}
pull 1
pull 2
pull 1 2

mp_fio_wait 90
mp_fio_ok
set -- $(mp_fio_gap)
info "fio: $(mp_fio_ios) I/Os, 0 errors; longest completion gap $1 ms, longest latency $2 ms"
for ph in $phases; do
	IFS=: read -r c a b <<-EOT
	$ph
	EOT
	set -- $(mp_fio_gap "$a" "$b")
	info "cable(s) $c out: longest completion gap $1 ms, longest latency $2 ms"
done
[ "$(mp_fio_ios)" -gt 1000 ] || fail "fio did almost no I/O"
for i in 0 1; do
	f=$(mp_path_field $i failures)
	[ "$f" -ge 2 ] || fail "path$i failed only $f times (pulled twice)"
	[ "$(mp_path_field $i errors)" = 0 ] || info "path$i counted errors (retried on another path)"
done
mp_paths_text >&2
exit 0
