#!/bin/sh
# The systemd unit as built (sbindir substituted) passes `systemd-analyze
# verify` for an instance, and the check can fail: a unit with a mistyped
# setting and one whose ExecStart names a missing program are refused.
# Also what the unit promises: Type=notify, the attach --config command
# line, bounded stop, network-online ordering, the hardening.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

analyze=${SYSTEMD_ANALYZE:-}
[ -n "$analyze" ] || analyze=$(command -v systemd-analyze 2>/dev/null) ||
	skip_missing systemd-analyze "package systemd"
[ -x "$analyze" ] || skip_missing "$analyze" "package systemd"
requires_isn config
in=$top_srcdir/systemd/iscsi-nbd@.service.in
[ -f "$in" ] || fail "$in is missing"

# The unit with our built binary in place of the installed one.
unit=$isn_tmp/iscsi-nbd@store.service
sed "s|@sbindir@|$(dirname "$isn_bin")|" "$in" >"$unit"
out=$("$analyze" verify --man=no "$unit" 2>&1)
rc=$?
[ "$rc" = 0 ] && [ -z "$out" ] || fail "systemd-analyze verify: rc $rc: $out"

# The same check on broken copies must fail, or it proves nothing.
sed 's/^Type=notify/Type=notifyy/' "$unit" >"$isn_tmp/b1@store.service"
out=$("$analyze" verify --man=no "$isn_tmp/b1@store.service" 2>&1) &&
	[ -z "$out" ] && fail "verify accepted Type=notifyy"
sed "s|^ExecStart=[^ ]*|ExecStart=$isn_tmp/missing|" "$unit" >"$isn_tmp/b2@store.service"
out=$("$analyze" verify --man=no "$isn_tmp/b2@store.service" 2>&1) &&
	[ -z "$out" ] && fail "verify accepted a missing ExecStart program"

want() {
	grep -qx -- "$1" "$unit" || fail "the unit lacks '$1'"
}
want "Type=notify"
want "ExecStart=$(dirname "$isn_bin")/iscsi-nbd attach --config %i -f"
want "ExecCondition=/bin/sh -c '! $(dirname "$isn_bin")/iscsi-nbd status %i >/dev/null 2>&1'"
want "After=network-online.target"
want "Before=remote-fs-pre.target"
want "Restart=on-failure"
want "TimeoutStopSec=30s"
want "NoNewPrivileges=yes"
want "ProtectSystem=strict"
want "RuntimeDirectory=iscsi-nbd"
want "RuntimeDirectoryPreserve=yes"
want "LimitMEMLOCK=infinity"
want "CapabilityBoundingSet=CAP_SYS_ADMIN CAP_IPC_LOCK CAP_SYS_RESOURCE"
# That the daemon's own stop bound (EXPORT_STOP_TIMEOUT_MS, as attach
# sets it) fits in this TimeoutStopSec is checked by test_attach_parse.

# The udev rule: links from the backend attribute, for disks and partitions.
rules=$top_srcdir/udev/60-iscsi-nbd.rules
grep -q 'SYMLINK+="disk/by-id/iscsi-nbd-$attr{backend}"' "$rules" || fail "udev rule: disk link"
grep -q 'SYMLINK+="disk/by-id/iscsi-nbd-$attr{backend}-part%n"' "$rules" ||
	fail "udev rule: partition link"
exit 0
