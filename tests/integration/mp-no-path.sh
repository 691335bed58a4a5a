#!/bin/sh
# No path left for longer than --no-path-retry (3 s): both cables of a
# two-path device are pulled under a write + verify load. The client must
# get EIO (fio stops with an I/O error, not a verify mismatch) within a
# bound, not hang; the daemon's status must show both paths failed and its
# log must say the links went down and that I/O fails for lack of a path;
# a new request made while no path exists fails at once with EIO; and
# `iscsi-nbd detach`, 5 s after the pull (fio's writes may still be held,
# see below), must stop the daemon within 30 s while still no path exists.
#
# The bound for fio's error: writes that were on the wire when their
# session died are held (device.h, ghost writes) until the old session is
# fenced, by time when it cannot log in again: DefaultTime2Wait +
# DefaultTime2Retain (2 + 20 s with tgtd). So fio's error comes after
# no_path_retry (3 s) when nothing was held, after up to ~22 s when a
# write was. The test prints what it measured.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
mp_requires_nbdsh
mp_networks 2
mp_target 64
mp_serve --no-path-retry 3 --nop-interval 300 --nop-timeout 1500
mp_wait_state 0 ACTIVE 10 && mp_wait_state 1 ACTIVE 10 || fail "both paths not active at start"

mp_fio_start 60
mp_wait_flowing
kill -0 "$mp_fio_pid" 2>/dev/null || fail "fio ended early: $(cat "$isn_tmp/fio.stderr")"
t0=$(date +%s)
mp_cable_down 1
mp_cable_down 2
info "both cables pulled"
# Past no_path_retry (3 s) the daemon says it fails I/O for lack of a
# path; fio may still wait on writes held for the fence (see above), or
# may have had its error already.
wait_for 15 log_has "$mp_log" "no path for [0-9]+ ms: failing I/O"

# Status says why.
mp_paths_text >&2
for i in 0 1; do
	s=$(mp_path_field $i state)
	echo "$s" | grep -E -q "FAILED|FENCED|CONNECTING" || fail "path$i is $s with no cable"
	grep -q "path$i: ACTIVE -> FAILED: link down" "$mp_log" ||
		fail "the log does not say path$i failed because its link went down"
done
grep -E "no path for [0-9]+ ms: failing I/O" "$mp_log" >&2 ||
	fail "the daemon's log does not say I/O fails for lack of a path"

# A new request fails at once (no_path_retry has run out), with EIO.
t2=$(date +%s)
if timeout 20 "$mp_py" -c 'import sys, nbdsh; sys.exit(nbdsh.shell())' -u "$mp_uri" \
	-c 'print(len(h.pread(4096, 0)))' >"$isn_tmp/nbdsh.out" 2>&1; then
	cat "$isn_tmp/nbdsh.out" >&2
	fail "a read succeeded with no path"
fi
t3=$(date +%s)
cat "$isn_tmp/nbdsh.out" >&2
grep -q -i "input/output\|EIO" "$isn_tmp/nbdsh.out" || fail "the read failed, but not with EIO"
[ $((t3 - t2)) -lt 10 ] || fail "a new read took $((t3 - t2)) s to fail with no path"

# Detach completes while no path exists, whether or not fio still waits.
fio_running=no
kill -0 "$mp_fio_pid" 2>/dev/null && fio_running=yes
t2=$(date +%s)
timeout 60 "$isn_bin" detach mp || fail "detach failed or hung (exit $?)"
i=0
while kill -0 "$mp_pid" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "daemon still running 30 s after detach"
	sleep 0.1
done
t3=$(date +%s)
info "detach with no path took $((t3 - t2)) s (fio still running then: $fio_running)"
[ $((t3 - t2)) -le 30 ] || fail "detach took $((t3 - t2)) s"

# fio has its error by now (or within seconds, the server being gone).
mp_fio_wait 10
t1=$(date +%s)
info "fio ended within $((t1 - t0)) s of the pull: exit $mp_fio_rc, jobs with errors $mp_fio_err"
[ "$mp_fio_rc" != 0 ] || fail "fio succeeded with no path"
grep -E -q "Input/output error|err= *5" "$isn_tmp/fio.stderr" "$isn_tmp/fio.stdout" ||
	fail "fio failed, but not with EIO: $(head -n 5 "$isn_tmp/fio.stderr")"
if grep -E -i -q "verify.*(bad|mismatch)|bad magic|crc32c.*(bad|wanted)" "$isn_tmp/fio.stderr"; then
	fail "fio saw a verify mismatch, not an I/O error"
fi
exit 0
