#!/bin/sh
# No path left for longer than --no-path-retry (3 s): both cables of a
# two-path device are pulled under a write + verify load. The client must
# get EIO (fio stops with an I/O error, not a verify mismatch) within a
# bound, not hang; the daemon's status must show both paths failed and its
# log must say the links went down and that I/O fails for lack of a path;
# a new request made while no path exists fails at once with EIO; and
# `iscsi-nbd detach` must stop the daemon within 30 s while still no path
# exists.
#
# The bound for fio's error (iscsi-nbd.8 BOUNDS): no_path_retry after the
# last path failed, which comes at most one command timeout after the pull
# (here the link monitor sees it at once). Writes that were on the wire
# when their session died are writes in doubt: they used to be held until
# the old session was fenced by time (DefaultTime2Wait +
# DefaultTime2Retain, 22 s with tgtd) whatever no_path_retry said; they
# now fail at the no-path bound too, and later writes wait for the fence.
# fio ends only once every request it had in flight has completed, so its
# exit time is the bound of the slowest one. The test prints the bound and
# what it measured.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
mp_requires_nbdsh
mp_networks 2
mp_target 64
no_path_retry=3
cmd_timeout_ms=5000
mp_serve --no-path-retry $no_path_retry --cmd-timeout $cmd_timeout_ms --nop-interval 300 \
	--nop-timeout 1500
mp_wait_state 0 ACTIVE 10 && mp_wait_state 1 ACTIVE 10 || fail "both paths not active at start"

mp_fio_start 60
mp_wait_flowing
kill -0 "$mp_fio_pid" 2>/dev/null || fail "fio ended early: $(cat "$isn_tmp/fio.stderr")"
t0=$(date +%s.%N)
mp_cable_down 1
mp_cable_down 2
info "both cables pulled"
# Every request fio had in flight fails within the bound; fio then ends.
bound=$((no_path_retry + cmd_timeout_ms / 1000))
mp_fio_wait $((bound + 30))
t1=$(date +%s.%N)
el=$(echo "$t1 $t0" | awk '{printf "%.1f", $1 - $2}')
info "in-flight I/O with no path left: fio ended $el s after the pull" \
	"(bound: no_path_retry $no_path_retry s + one command timeout $((cmd_timeout_ms / 1000)) s" \
	"= $bound s), exit $mp_fio_rc, jobs with errors $mp_fio_err"
grep -E "write.* in doubt" "$mp_log" >&2 || info "no write was in doubt this time"
awk -v e="$el" -v b="$bound" 'BEGIN { exit !(e <= b + 1.5) }' ||
	fail "in-flight I/O took $el s to fail with no path, bound $bound s"
[ "$mp_fio_rc" != 0 ] || fail "fio succeeded with no path"
grep -E -q "Input/output error|err= *5" "$isn_tmp/fio.stderr" "$isn_tmp/fio.stdout" ||
	fail "fio failed, but not with EIO: $(head -n 5 "$isn_tmp/fio.stderr")"
if grep -E -i -q "verify.*(bad|mismatch)|bad magic|crc32c.*(bad|wanted)" "$isn_tmp/fio.stderr"; then
	fail "fio saw a verify mismatch, not an I/O error"
fi

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
# A path whose link is down re-logs in only every reconnect_max (10 s,
# unless the link comes back): status shows that back-off.
for i in 0 1; do
	b=$(mp_path_field $i backoff_ms)
	[ "$b" = 10000 ] || fail "path$i shows a re-login back-off of '$b' ms with its link down"
done
timeout 10 "$isn_bin" status mp | grep "re-login back-off" >&2 ||
	fail "status does not show the re-login back-off"

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

# Detach completes while no path exists.
t2=$(date +%s)
timeout 60 "$isn_bin" detach mp || fail "detach failed or hung (exit $?)"
i=0
while kill -0 "$mp_pid" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 300 ] || fail "daemon still running 30 s after detach"
	sleep 0.1
done
t3=$(date +%s)
info "detach with no path took $((t3 - t2)) s"
[ $((t3 - t2)) -le 30 ] || fail "detach took $((t3 - t2)) s"
exit 0
