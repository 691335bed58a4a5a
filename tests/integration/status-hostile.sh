#!/bin/sh
# `status --json` stays valid JSON, and `status` inert text, whatever a
# target sends (issue 9 part 5). `serve` runs over two paths: one to tgtd,
# one to fake-hostile-login.py, whose login answer states a TargetName full
# of quotes, backslashes, control characters and invalid UTF-8. That path
# fails, and its reason quotes the name: `python3 -m json.tool` must parse
# the report, the reason must carry the offending bytes escaped (\xNN),
# and neither report may hold a raw control or non-ASCII byte.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_tgt
requires_isn serve status
requires python3 ss

netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:status-hostile
shm_file disk 16 zero
tgt_simple "$ns" "$iqn" "$disk" thin

# A quote, a backslash, ESC sequences, CR LF with a forged line, DEL and
# bytes that are not UTF-8.
hostile='TargetName=iqn.2026-11.org.x:"q\\b\x1b[2J\r\niscsi-nbd: forged\x7f\xff\xfe\xc3'
run_in "$ns" python3 "$top_srcdir/tests/integration/fake-hostile-login.py" 3270 "$hostile" \
	2>"$isn_tmp/fake.err" &
fpid=$!
cleanup_add kill_quiet "$fpid"
i=0
until run_in "$ns" ss -ltn | grep -q ":3270 "; do
	i=$((i + 1))
	[ $i -lt 50 ] || fail "fake-hostile-login.py does not listen"
	sleep 0.1
done

rundir=$isn_tmp/run
mkdir -p "$rundir"
export ISCSI_NBD_RUNDIR="$rundir"
name=hostile
log=$isn_tmp/serve.log
_isn_logs="$_isn_logs $log"
ip netns exec "$ns" "$isn_bin" -v serve -f -t "$iqn" -l 1 -P 127.0.0.1 -P 127.0.0.1:3270 \
	--socket "$isn_tmp/nbd.sock" --name "$name" >"$log" 2>&1 &
pid=$!
serve_kill() {
	[ -n "${pid:-}" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	_i=0
	while kill -0 "$pid" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
	return 0
}
cleanup_add serve_kill

# Wait until the hostile path has failed with its reason.
i=0
while :; do
	kill -0 "$pid" 2>/dev/null || fail "iscsi-nbd serve died: $(tail -20 "$log")"
	if timeout 10 "$isn_bin" status "$name" --json >"$isn_tmp/status.json" 2>"$isn_tmp/err" &&
		grep -q 'TargetName' "$isn_tmp/status.json"; then
		break
	fi
	i=$((i + 1))
	[ $i -lt 300 ] || fail "no path reason naming TargetName after 30 s: $(cat "$isn_tmp/status.json" "$isn_tmp/err")"
	sleep 0.1
done
timeout 10 "$isn_bin" status "$name" >"$isn_tmp/status.txt" || fail "status"

for f in status.json status.txt serve.log; do
	if LC_ALL=C grep -n '[^ -~]' "$isn_tmp/$f" >/dev/null; then
		od -c "$isn_tmp/$f" | head -40 >&2
		fail "$f carries raw control or non-ASCII bytes"
	fi
done
python3 -m json.tool "$isn_tmp/status.json" >/dev/null ||
	fail "status --json is not valid JSON: $(cat "$isn_tmp/status.json")"
python3 - "$isn_tmp/status.json" <<'PY' || fail "status --json content: $(cat "$isn_tmp/status.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["target"] == "iqn.2026-11.org.iscsi-nbd.test:status-hostile", d["target"]
p = [p for p in d["paths"] if p["portal"].endswith(":3270")][0]
r = p["reason"]
assert '"q' in r and "\\x1b[2J\\x0d\\x0aiscsi-nbd: forged\\x7f\\xff\\xfe\\xc3" in r, r
assert all(" " <= ch <= "~" for ch in r), r
good = [p for p in d["paths"] if not p["portal"].endswith(":3270")][0]
assert good["state"] == "ACTIVE", good
PY
cat "$isn_tmp/status.json" "$isn_tmp/status.txt" >&2
grep -q 'forged' "$isn_tmp/status.txt" || fail "status text lost the reason"
! grep -q '^iscsi-nbd: forged' "$isn_tmp/serve.log" || fail "the target forged a log line"
exit 0
