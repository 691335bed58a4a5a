#!/bin/sh
# Two initiators with one initiator name and one ISID against tgtd: what a
# second daemon for the same LUN (or another host with the same initiator
# name) does. Each login reinstates - ends - the other's session (RFC 7143
# 6.3.5), so without a back-off the two take the session from each other
# forever. Two `iscsi-nbd serve` for the same target, LUN and portal (so
# the same derived ISID), each with its own control directory. Within 30 s
# one of them must say so loudly, once, naming the ISID and the likely
# cause, show "reinstated" in status --json, and back off: over the next
# 20 s it logs in at most twice, while the other keeps its session (its
# path ACTIVE at the end). Prints the login counts.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"
. "$top_srcdir/tests/mp-lib.sh"

mp_requires
mp_networks 1
mp_target 16
mp_serve --nop-interval 300 --nop-timeout 1500
mp_wait_state 0 ACTIVE 10 || fail "the first daemon's path is not active"

# The second daemon: same initiator, target, LUN and portal; its own
# socket, name and control directory.
b_run=$isn_tmp/run2
mkdir -p "$b_run"
b_log=$isn_tmp/serve2.log
_isn_logs="$_isn_logs $b_log"
ISCSI_NBD_RUNDIR=$b_run ip netns exec "$ini_ns" "$isn_bin" -v serve -f -t "$mp_iqn" -l 1 \
	--socket "$isn_tmp/nbd2.sock" --name mp2 -P "$mp_tgt_1@$mp_ini_dev_1" \
	--nop-interval 300 --nop-timeout 1500 >>"$b_log" 2>&1 &
b_pid=$!
cleanup_add kill_quiet "$b_pid"
t0=$(date +%s)
info "second daemon started (pid $b_pid)"

# Within 30 s, one of them reports the episode.
loser=
i=0
while [ -z "$loser" ]; do
	kill -0 "$b_pid" 2>/dev/null || fail "the second daemon died: $(tail -5 "$b_log")"
	grep -q "same ISID" "$mp_log" && loser=a
	grep -q "same ISID" "$b_log" && loser=b
	i=$((i + 1))
	if [ $i -ge 300 ]; then
		echo "--- first daemon's log (tail):" >&2
		tail -25 "$mp_log" >&2
		echo "--- second daemon's log (tail):" >&2
		tail -25 "$b_log" >&2
		fail "no reinstatement episode reported within 30 s"
	fi
	sleep 0.1
done
t1=$(date +%s)
if [ $loser = a ]; then llog=$mp_log wlog=$b_log lrun=$mp_rundir lname=mp wrun=$b_run wname=mp2
else llog=$b_log wlog=$mp_log lrun=$b_run lname=mp2 wrun=$mp_rundir wname=mp; fi
grep "same ISID" "$llog" >&2
info "daemon $loser reported the episode $((t1 - t0)) s after the second one started"
grep "same ISID" "$llog" | grep -q -i "second iscsi-nbd.*another host with the same initiator name" ||
	fail "the report does not name the likely cause"
grep "same ISID" "$llog" | grep -E -q "ISID [0-9a-f]{12}" || fail "the report does not name the ISID"
ISCSI_NBD_RUNDIR=$lrun timeout 10 "$isn_bin" status --json "$lname" >"$isn_tmp/lstatus.json" ||
	fail "status of the daemon that backs off"
python3 - "$isn_tmp/lstatus.json" <<'EOF' || fail "status --json does not show the reinstatement back-off: $(cat "$isn_tmp/lstatus.json")"
import json, sys
p = json.load(open(sys.argv[1]))["paths"][0]
print("backing-off path:", p["state"], "backoff_ms", p["backoff_ms"], "reinstated", p["reinstated"], file=sys.stderr)
sys.exit(0 if p["reinstated"] is True and p["backoff_ms"] >= 60000 else 1)
EOF

# It backs off: at most two more logins in 20 s; the other keeps its path.
before=$(grep -c "CONNECTING: login attempt" "$llog")
wbefore=$(grep -c "CONNECTING: login attempt" "$wlog")
sleep 20
after=$(grep -c "CONNECTING: login attempt" "$llog")
wafter=$(grep -c "CONNECTING: login attempt" "$wlog")
info "logins in 20 s after the report: backing-off daemon $((after - before)), the other $((wafter - wbefore))"
[ $((after - before)) -le 2 ] || fail "the daemon that reported still logs in: $((after - before)) logins in 20 s"
[ "$(grep -c "same ISID" "$llog")" = 1 ] || fail "the episode was reported more than once"
ISCSI_NBD_RUNDIR=$wrun timeout 10 "$isn_bin" status --json "$wname" >"$isn_tmp/wstatus.json" ||
	fail "status of the other daemon"
python3 - "$isn_tmp/wstatus.json" <<'EOF' || fail "the other daemon's path is not active: $(cat "$isn_tmp/wstatus.json")"
import json, sys
p = json.load(open(sys.argv[1]))["paths"][0]
sys.exit(0 if p["state"] == "ACTIVE" else 1)
EOF
kill -TERM "$b_pid" 2>/dev/null
exit 0
