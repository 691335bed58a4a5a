#!/bin/sh
# Bash completion (completion/iscsi-nbd): sources the script in bash and
# drives _iscsi_nbd with COMP_WORDS / COMP_CWORD as bash would, checking
# COMPREPLY for each case. Proves that it offers:
# - the subcommands of main.c's dispatch table, and the global options;
# - each subcommand's options as its --help lists them, and no option of
#   another subcommand; nothing after an option that takes a free value
#   (-t IQN), the words of a value list (--header-digest, also as
#   --header-digest=..., split at '=' or not), files for FILE arguments;
# - the values it keeps for prose-described options (--policy,
#   --reservation, --failback, --debug), each of which the help text
#   names (so that they stay in step with the code);
# - configuration names from $ISCSI_NBD_CONFDIR (NAME.conf, not
#   iscsi-nbd.conf) for --config and config --dump;
# - pr's actions;
# - the devices and names of running daemons (list --json): parsed from a
#   canned answer with a device, then from a real `serve` daemon in front
#   of tgtd (that part needs root and tgtd).
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || {
		echo "completion: SKIP: missing: bash (apt-get install bash)" >&2
		exit 77
	}
	exec bash "$0" "$@"
fi
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_isn attach serve pr config list status detach
comp=$top_srcdir/completion/iscsi-nbd
[ -f "$comp" ] || fail "no $comp"
# shellcheck source=../../completion/iscsi-nbd
. "$comp"

# reply WORD...: complete the command line WORD... (the last one is the
# word under the cursor) with $isn_bin as the program; the answer, sorted,
# one line, in $got.
reply() {
	COMP_WORDS=("$isn_bin" "$@")
	COMP_CWORD=$#
	COMPREPLY=()
	_iscsi_nbd
	got=$(printf '%s\n' "${COMPREPLY[@]}" | sort -u | tr '\n' ' ')
	got=${got% }
}

# expect_reply "WANT" WORD...: the answer is exactly WANT (sorted words).
expect_reply() {
	# shellcheck disable=SC2086
	_want=$(printf "%s\n" $1 | sort -u | tr '\n' ' ')
	_want=${_want% }
	shift
	reply "$@"
	[ "$got" = "$_want" ] || fail "completing '$*': got [$got], want [$_want]"
}

# expect_has "WORD..." WORD...: the answer holds every WORD of the first
# argument.
expect_has() {
	_need=$1
	shift
	reply "$@"
	for _w in $_need; do
		case " $got " in
		*" $_w "*) ;;
		*) fail "completing '$*': '$_w' missing from [$got]" ;;
		esac
	done
}

# expect_lacks "WORD..." WORD...: the answer holds none of them.
expect_lacks() {
	_bad=$1
	shift
	reply "$@"
	for _w in $_bad; do
		case " $got " in
		*" $_w "*) fail "completing '$*': '$_w' offered in [$got]" ;;
		esac
	done
}

# Subcommands: exactly main.c's dispatch table (its rows) and the one-shot
# SCSI commands it adds (cli.h's CLI_SCSI_CMDS rows).
cmds=$({
	sed -n 's/^[[:space:]]*{\.name = "\([a-z]*\)",.*/\1/p' "$top_srcdir/src/cli/main.c"
	sed -n '/^#define CLI_SCSI_CMDS(X)/,/^$/s/^[[:space:]]*X(\([a-z]*\), ".*/\1/p' \
		"$top_srcdir/src/cli/cli.h"
})
[ "$(echo "$cmds" | wc -l)" -ge 16 ] || fail "cannot read the dispatch table of main.c: $cmds"
expect_reply "$cmds" ""
expect_reply "detach discover" d
expect_reply "-d --debug -q --quiet -v --verbose -h --help -V --version" -
# A global option's argument is not the subcommand.
expect_reply "attach" -d scsi a
expect_reply "scsi,pdu scsi,path" -d scsi,p
expect_reply "session scsi" --debug s

# Options per subcommand, as their --help lists them.
expect_has "--target --portal --lun --device --config --policy --foreground --name -t -P -l -f" \
	attach -
expect_lacks "--socket --listen --dump --force" attach -
expect_has "--socket --listen --export-name --max-clients --config --read-only" serve --
expect_lacks "--device --connections" serve --
expect_reply "--force" detach --
expect_reply "--json -j" list -
expect_reply "--json" status --
expect_reply "--dump --check --example --keys --initiator-name --help" config --
expect_has "--key --victim --type --no-abort --json --target" pr keys --
expect_has "--offset --length --output --io-size" read --
# Option arguments.
expect_reply "" attach -t ""
expect_reply "" attach -t iqn.x -l ""
expect_reply "none crc32c prefer-crc32c prefer-none" attach --header-digest ""
expect_reply "prefer-crc32c prefer-none" serve --data-digest p
expect_reply "prefer-crc32c prefer-none" attach --header-digest=p
expect_reply "prefer-crc32c prefer-none" attach --header-digest = p
expect_reply "none crc32c prefer-crc32c prefer-none" attach --header-digest =
expect_reply "round-robin failover queue-length service-time" attach --policy ""
expect_reply "exclusive required none" serve --reservation ""
expect_reply "immediate manual" attach --failback ""
mkdir -p "$isn_tmp/files"
: >"$isn_tmp/files/secret-a"
: >"$isn_tmp/files/secret-b"
expect_reply "$isn_tmp/files/secret-a $isn_tmp/files/secret-b" \
	attach --chap-secret-file "$isn_tmp/files/secret-"
expect_reply "$isn_tmp/files/secret-a" read --output "$isn_tmp/files/secret-a"
# After an option that takes no argument: options again.
expect_has "--json" pr keys --no-abort -
# The values kept in the script are the ones the help text names.
attach_help=$("$isn_bin" attach --help)
for v in $(_iscsi_nbd_values --policy) $(_iscsi_nbd_values --reservation) \
	$(_iscsi_nbd_values --failback); do
	echo "$attach_help" | grep -qw -- "$v" || fail "attach --help no longer names '$v'"
done
main_help=$("$isn_bin" --help)
for v in $(_iscsi_nbd_values --debug); do
	echo "$main_help" | grep -A1 -- '--debug' | grep -qw -- "$v" ||
		fail "--help no longer names the debug subsystem '$v'"
done

# Configuration names.
export ISCSI_NBD_CONFDIR="$isn_tmp/etc"
mkdir -p "$ISCSI_NBD_CONFDIR"
for f in iscsi-nbd.conf store.conf stage.conf other.txt; do
	: >"$ISCSI_NBD_CONFDIR/$f"
done
expect_reply "stage store" attach --config ""
expect_reply "store" serve --config sto
expect_reply "stage store" attach --config=
cd "$isn_tmp/files" || fail "cd $isn_tmp/files"
expect_reply "stage store secret-a secret-b" config --dump ""
expect_reply "store" config --check sto
cd - >/dev/null || fail "cd back"

# pr's actions, then options.
expect_reply "keys reservation caps register unregister reserve release preempt clear" pr ""
expect_reply "reservation register reserve release" pr r
expect_has "--key --target" pr register ""

# Running daemons: the parser on an answer with a device and one without.
got=$(printf '%s' '[{"device":"/dev/nbd3","name":"store","target":"iqn.x","lun":1},{"device":null,"name":"serve-42","target":"iqn.y"}]' |
	_iscsi_nbd_parse_running | tr '\n' ' ')
[ "$got" = "/dev/nbd3 store serve-42 " ] || fail "list --json parsed as [$got]"

# ... and a real daemon, through list --json.
requires_tgt
netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:completion
shm_file disk 16 zero
tgt_simple "$ns" "$iqn" "$disk"
export ISCSI_NBD_RUNDIR="$isn_tmp/run"
mkdir -p "$ISCSI_NBD_RUNDIR"
expect_reply "" status ""
ip netns exec "$ns" "$isn_bin" serve -f -t "$iqn" -l 1 -P 127.0.0.1 \
	--socket "$isn_tmp/a.sock" --name comp-sa >"$isn_tmp/serve.log" 2>&1 &
pid=$!
_isn_logs="$_isn_logs $isn_tmp/serve.log"
cleanup_add kill_quiet "$pid"
wait_for 20 "$isn_bin" status comp-sa
expect_reply "comp-sa" status ""
expect_reply "comp-sa" detach c
expect_reply "comp-sa" detach --force ""
expect_reply "" detach x
# One positional word only.
expect_reply "--force" detach comp-sa ""
expect_rc 0 "$isn_bin" detach comp-sa
wait "$pid" || fail "the serve daemon exited $? after detach"
info "subcommands, options, values, files, configuration names, actions, daemons"
