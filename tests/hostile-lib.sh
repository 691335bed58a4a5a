# Helpers for the hostile-target tests (tests/integration/hostile-*.sh), on
# top of tests/functions.sh (source that first). Each test is a table of
# scenarios, one `hrow` (one-shot commands) or `hserve` (iscsi-nbd serve
# with an NBD client) line each, run against tests/integration/
# hostile-target.py in a private network namespace on 127.0.0.1. Every row
# states the outcome issue 9's rules require, not what the code does today:
#
#   hrow NAME SCENARIO 'TARGET OPTIONS' 'COMMAND' WANT_RC MAX_S STDERR_RE CHECK
#
#   COMMAND  iscsi-nbd arguments; @T expands to "-t IQN -P 127.0.0.1:PORT
#            -l 0", @P to "127.0.0.1:PORT"; run in the namespace
#   WANT_RC  extended regex the exit status must match as a whole ("0",
#            "[1-9][0-9]*" for any failure, "5|6")
#   MAX_S    seconds the command may take (killed at MAX_S + 5)
#   STDERR_RE  extended regex (case-insensitive) stderr must match, or -
#   CHECK    - or one of: data (stdout is exactly the image slice the
#            command read), nostale (stdout is empty or a prefix of that
#            slice: no byte the target did not send), noesc (no ESC, BEL or
#            CR byte in stdout or stderr), noforged (noesc and no line that
#            starts like a forged record), stdout:REGEX
#
# The target runs in a private network namespace when the test may make
# one, else on the host's loopback: rows need neither root nor tgtd, and
# only a missing python3 (or, for hserve, libnbd's python3 module) skips.
# Every row also fails on an AddressSanitizer / UBSan / LeakSanitizer
# report in stderr. Each test prints a table (scenario, required,
# measured, verdict) and fails if any row failed: rows are never skipped.

hostile_py=$top_srcdir/tests/integration/hostile-target.py
h_iqn=iqn.2026-11.org.iscsi-nbd.test:hostile
h_fail=0
h_pass=0
h_rows=

# hostile_requires SUBCMD...: python3 (the target) and our binary with
# SUBCMD. A missing python3 skips; a binary that is not built or lacks
# SUBCMD fails: that is a failure of the code under test, not of the bed.
hostile_requires() {
	requires python3 timeout cmp
	[ -x "$isn_bin" ] || fail "iscsi-nbd is not built ($isn_bin)"
	for _s in "$@"; do
		"$isn_bin" "$_s" --help >/dev/null 2>&1 || fail "iscsi-nbd $_s --help fails"
	done
}

# hostile_setup: a private namespace when we may make one (root), else the
# host's loopback (the target takes a free port either way); a 1 MiB
# random image; the table header. $h_unreach: an address nothing answers
# on, that stays inside the namespace or the loopback.
hostile_setup() {
	h_run=
	h_unreach=127.0.0.1:1
	_n=isnprobe$$
	if [ "$(id -u)" = 0 ] && ip netns add "$_n" 2>/dev/null; then
		ip netns del "$_n"
		netns_new h_ns
		h_run="ip netns exec $h_ns"
		h_unreach=10.255.255.1:3260
	else
		info "no network namespace here: the target runs on the host's loopback"
	fi
	h_image=$isn_tmp/image
	random_file "$h_image" 1048576
	h_tab=$isn_tmp/table
	printf '%-26s %-34s %-26s %s\n' scenario required measured verdict >"$h_tab"
}

# hostile_start SCENARIO [OPTIONS...]: a fresh target on a free port
# ($h_port).
h_n=0
hostile_start() {
	h_n=$((h_n + 1))
	h_tlog=$isn_tmp/target-$h_n.log
	rm -f "$isn_tmp/port"
	# shellcheck disable=SC2086
	$h_run python3 "$hostile_py" target 0 "$@" --port-file "$isn_tmp/port" \
		--image "$h_image" --log "$h_tlog" 2>"$isn_tmp/target-$h_n.err" &
	h_tpid=$!
	cleanup_add kill_quiet "$h_tpid"
	_i=0
	until [ -s "$isn_tmp/port" ]; do
		_i=$((_i + 1))
		kill -0 "$h_tpid" 2>/dev/null || fail "hostile-target.py died: $(cat "$isn_tmp/target-$h_n.err")"
		[ $_i -lt 100 ] || fail "hostile-target.py does not listen"
		sleep 0.1
	done
	h_port=$(cat "$isn_tmp/port")
}

hostile_stop() {
	kill "$h_tpid" 2>/dev/null
	wait "$h_tpid" 2>/dev/null
	return 0
}

_h_now_ms() { date +%s%3N; }

# _h_verdict NAME REQUIRED MEASURED WHY: one table line.
_h_verdict() {
	if [ -z "$4" ]; then
		h_pass=$((h_pass + 1))
		printf '%-26s %-34s %-26s PASS\n' "$1" "$2" "$3" >>"$h_tab"
	else
		h_fail=$((h_fail + 1))
		h_rows="$h_rows $1"
		printf '%-26s %-34s %-26s FAIL: %s\n' "$1" "$2" "$3" "$4" >>"$h_tab"
		info "$1: FAIL: $4"
	fi
}

# _h_sanitizer FILE: non-empty output if FILE holds a sanitizer report.
_h_sanitizer() {
	grep -E -m1 "AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:" "$1"
}

# _h_check CHECK OFFSET LENGTH: the CHECK column on $isn_tmp/out and /err.
_h_check() {
	case $1 in
	-) ;;
	data)
		extract "$h_image" "$2" "$3" "$isn_tmp/want"
		cmp -s "$isn_tmp/want" "$isn_tmp/out" || echo "stdout is not the target's data"
		;;
	nostale)
		extract "$h_image" "$2" "$3" "$isn_tmp/want"
		_n=$(wc -c <"$isn_tmp/out")
		if [ "$_n" -gt 0 ] && ! cmp -s -n "$_n" "$isn_tmp/want" "$isn_tmp/out"; then
			echo "stdout has $_n bytes, not all sent by the target"
		fi
		;;
	noesc | noforged)
		if LC_ALL=C grep -q "$(printf '[\033\007\r]')" "$isn_tmp/out" "$isn_tmp/err"; then
			echo "raw ESC/BEL/CR from the target reached the terminal"
		elif [ "$1" = noforged ] &&
			grep -E -q "^(target: iqn\.2026-11\.forged|vendor: FORGED)" "$isn_tmp/out"; then
			echo "a forged line reached stdout"
		fi
		;;
	stdout:*)
		grep -E -q -- "${1#stdout:}" "$isn_tmp/out" || echo "stdout does not match /${1#stdout:}/"
		;;
	*) echo "unknown check $1" ;;
	esac
}

# hrow: see the top of this file.
hrow() {
	_name=$1 _scn=$2 _topts=$3 _cmd=$4 _want=$5 _max=$6 _re=$7 _chk=$8
	# shellcheck disable=SC2086
	hostile_start "$_scn" $_topts
	_cmd=$(printf '%s' "$_cmd" | sed -e "s|@T|-t $h_iqn -P 127.0.0.1:$h_port -l 0|g" \
		-e "s|@P|127.0.0.1:$h_port|g")
	_t0=$(_h_now_ms)
	# shellcheck disable=SC2086
	if timeout -k 2 $((_max + 5)) $h_run "$isn_bin" $_cmd \
		>"$isn_tmp/out" 2>"$isn_tmp/err"; then _rc=0; else _rc=$?; fi
	_ms=$(($(_h_now_ms) - _t0))
	hostile_stop
	{
		echo "---- $_name: iscsi-nbd $_cmd -> exit $_rc in $_ms ms"
		head -c 4000 "$isn_tmp/err"
		case $_chk in
		data | nostale) echo "-- stdout: $(wc -c <"$isn_tmp/out") bytes" ;;
		*)
			echo "-- stdout (cat -v, first 600 bytes):"
			head -c 600 "$isn_tmp/out" | cat -v
			echo
			;;
		esac
	} >&2
	_why=
	echo "$_rc" | grep -E -q -x -- "$_want" || _why="exit $_rc, want /$_want/"
	[ -z "$_why" ] && [ "$_ms" -gt $((_max * 1000)) ] && _why="took $_ms ms > $_max s"
	[ -z "$_why" ] && [ "$_re" != - ] && ! grep -E -i -q -- "$_re" "$isn_tmp/err" &&
		_why="stderr does not match /$_re/"
	[ -z "$_why" ] && _s=$(_h_sanitizer "$isn_tmp/err") && _why="sanitizer: $_s"
	case $_cmd in
	*--offset*) _off=$(echo "$_cmd" | sed -n 's/.*--offset \([0-9]*\).*/\1/p')
		_len=$(echo "$_cmd" | sed -n 's/.*--length \([0-9]*\).*/\1/p') ;;
	*) _off=0 _len=0 ;;
	esac
	[ -z "$_why" ] && _why=$(_h_check "$_chk" "$_off" "$_len")
	_req="rc~$_want <${_max}s"
	[ "$_re" != - ] && _req="$_req /$_re/"
	[ "$_chk" != - ] && _req="$_req $_chk"
	_h_verdict "$_name" "$_req" "rc=$_rc $((_ms / 1000)).$((_ms % 1000 / 100))s" "$_why"
}

# hostile_end: print the table; fail if any row failed.
hostile_end() {
	cat "$h_tab"
	cat "$h_tab" >&2
	echo "$me: $h_pass passed, $h_fail failed:$h_rows" >&2
	[ "$h_fail" = 0 ] || fail "$h_fail scenario(s) without their required outcome:$h_rows"
	exit 0
}

# ---- iscsi-nbd serve with an NBD client ------------------------------------------
#
#   hserve NAME SCENARIO 'TARGET OPTIONS' 'SERVE OPTIONS' ACTION WANT MAX_S LOG_RE
#
#   ACTION  read: the whole LUN in 64 KiB preads, each compared with the
#           image; write: 256 KiB pwrite at 64 KiB, then read back and
#           compared; rss: read three times, and the daemon's VmRSS may
#           grow by 32 MiB at most; start: no client (serve must refuse)
#   WANT    extended regex over the measured outcome: ok (every byte
#           right), eio (a request failed with EIO, none returned wrong
#           data), refused (serve exited non-zero before serving), and
#           never allowed: wrong (data or size differ from the target's),
#           hang (client killed at MAX_S + 5), died (the daemon exited
#           during I/O), served (serve came up though it had to refuse),
#           rss+N (grew N MiB)
#   MAX_S   seconds the client (or, for start, serve) may take
#   LOG_RE  extended regex (case-insensitive) the daemon's log must match

# hostile_requires_nbd: a python3 with libnbd's module, in $h_py.
hostile_requires_nbd() {
	for h_py in python3 /usr/bin/python3; do
		"$h_py" -c "import nbd" 2>/dev/null && return 0
	done
	# The reason in the form tests/skip.sh recognises ("SKIP: missing: ").
	echo "$me: SKIP: missing: python3-libnbd (the NBD client library for python3, as nbdsh uses)" >&2
	exit 77
}

_h_client() {
	cat >"$isn_tmp/client.py" <<'PY'
import os, sys
import nbd
def eio(e):
    return "eio" if "EIO" in str(e) or "Input/output" in str(e) else "error %s" % e
uri, action, image = sys.argv[1:4]
img = open(image, "rb").read()
h = nbd.NBD()
h.connect_uri(uri)
size = h.get_size()
if size != len(img) - len(img) % int(sys.argv[4]):
    print("wrong size %d" % size)
    sys.exit(0)
def check(off, n):
    try:
        got = h.pread(n, off)
    except nbd.Error as e:
        print(eio(e))
        return False
    if got != img[off:off + n]:
        print("wrong data at %d" % off)
        return False
    return True
if action == "write":
    data = os.urandom(262144)
    try:
        h.pwrite(data, 65536)
    except nbd.Error as e:
        print(eio(e))
        sys.exit(0)
    img = img[:65536] + data + img[65536 + len(data):]
    ok = check(65536, len(data))
else:
    ok = True
    for r in range(3 if action == "rss" else 1):
        for off in range(0, size, 65536):
            if not check(off, min(65536, size - off)):
                ok = False
                break
        if not ok:
            break
if ok:
    print("ok")
PY
}

_h_rss_kib() {
	sed -n 's/^VmRSS: *\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null
}

hserve() {
	_name=$1 _scn=$2 _topts=$3 _sopts=$4 _act=$5 _want=$6 _max=$7 _re=$8
	[ -f "$isn_tmp/client.py" ] || _h_client
	_bs=$(echo " $_topts " | sed -n 's/.* --block-size \([0-9]*\) .*/\1/p')
	# shellcheck disable=SC2086
	hostile_start "$_scn" $_topts
	_sock=$isn_tmp/h$h_port.sock
	_slog=$isn_tmp/serve-$h_port.log
	mkdir -p "$isn_tmp/run"
	# shellcheck disable=SC2086
	ISCSI_NBD_RUNDIR=$isn_tmp/run $h_run "$isn_bin" -v serve -f -t "$h_iqn" \
		-P "127.0.0.1:$h_port" -l 0 --socket "$_sock" --name "h$h_port" $_sopts \
		>"$_slog" 2>&1 &
	_spid=$!
	cleanup_add kill_quiet "$_spid"
	_t0=$(_h_now_ms)
	[ "$_act" = start ] && _lim=$_max || _lim=30
	_out=
	while :; do
		if ! kill -0 "$_spid" 2>/dev/null; then
			if wait "$_spid"; then _src=0; else _src=$?; fi
			_out=refused
			[ "$_src" = 0 ] && _out="exited 0"
			break
		fi
		[ -S "$_sock" ] && ISCSI_NBD_RUNDIR=$isn_tmp/run timeout 5 "$isn_bin" status "h$h_port" \
			>/dev/null 2>&1 && break
		[ $(($(_h_now_ms) - _t0)) -lt $((_lim * 1000)) ] || break
		sleep 0.1
	done
	if [ -z "$_out" ] && [ "$_act" = start ]; then
		[ -S "$_sock" ] && _out=served || _out="still starting"
	elif [ -z "$_out" ] && ! [ -S "$_sock" ]; then
		_out="not serving after ${_lim}s"
	elif [ -z "$_out" ]; then
		_rss0=$(_h_rss_kib "$_spid")
		_t0=$(_h_now_ms)
		if timeout -k 2 $((_max + 5)) "$h_py" "$isn_tmp/client.py" "nbd+unix:///?socket=$_sock" \
			"$_act" "$h_image" "${_bs:-512}" >"$isn_tmp/out" 2>"$isn_tmp/err"; then
			_out=$(tail -n 1 "$isn_tmp/out")
		else
			_crc=$?
			_out="client exit $_crc"
			[ "$_crc" = 124 ] || [ "$_crc" = 137 ] && _out=hang
		fi
		case $_out in wrong*) _out=wrong ;; esac
		if ! kill -0 "$_spid" 2>/dev/null; then
			_out=died
		elif [ "$_act" = rss ] && [ "$_out" = ok ]; then
			_rss1=$(_h_rss_kib "$_spid")
			_grow=$(((${_rss1:-0} - ${_rss0:-0}) / 1024))
			[ "$_grow" -le 32 ] || _out="rss+$_grow"
		fi
	fi
	_ms=$(($(_h_now_ms) - _t0))
	kill "$_spid" 2>/dev/null
	wait "$_spid" 2>/dev/null
	hostile_stop
	{
		echo "---- $_name: serve $_sopts ($_scn $_topts), $_act -> $_out in $_ms ms"
		cat "$isn_tmp/err" 2>/dev/null
		tail -n 25 "$_slog"
	} >&2
	: >"$isn_tmp/err"
	_why=
	echo "$_out" | grep -E -q -x -- "$_want" || _why="$_out, want /$_want/"
	[ -z "$_why" ] && [ "$_ms" -gt $((_max * 1000)) ] && _why="took $_ms ms > $_max s"
	[ -z "$_why" ] && [ "$_re" != - ] && ! grep -E -i -q -- "$_re" "$_slog" &&
		_why="daemon log does not match /$_re/"
	[ -z "$_why" ] && _s=$(_h_sanitizer "$_slog") && _why="sanitizer: $_s"
	_req="$_act:$_want <${_max}s"
	[ "$_re" != - ] && _req="$_req /$_re/"
	_h_verdict "$_name" "$_req" "$_out $((_ms / 1000)).$((_ms % 1000 / 100))s" "$_why"
}
