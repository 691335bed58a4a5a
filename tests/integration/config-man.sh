#!/bin/sh
# The documentation stays true to the code:
# - every option that `iscsi-nbd --help` and `iscsi-nbd COMMAND --help`
#   print is described in man/iscsi-nbd.8;
# - every key of the configuration table (`iscsi-nbd config --keys`) is
#   described in man/iscsi-nbd.conf.5 under its [section], with the default
#   `config --dump` reports for it;
# - conf/example.conf is exactly what `iscsi-nbd config --example` prints,
#   and it is a valid configuration.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_isn config
man8=$top_srcdir/man/iscsi-nbd.8
man5=$top_srcdir/man/iscsi-nbd.conf.5
example=$top_srcdir/conf/example.conf
for f in "$man8" "$man5" "$example"; do
	[ -f "$f" ] || fail "$f is missing"
done

# ---- options -----------------------------------------------------------------
# roff writes a hyphen in an option as \-; the man page must name it that way.
cmds=$("$isn_bin" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')
[ -n "$cmds" ] || fail "no commands in iscsi-nbd --help"
missing=
n=0
for c in "" $cmds; do
	# shellcheck disable=SC2086
	opts=$("$isn_bin" $c --help 2>&1 | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
	# detach and list have no option; the global help and attach have many.
	case $c in "" | attach) [ -n "$opts" ] || fail "iscsi-nbd $c --help prints no option" ;; esac
	for o in $opts; do
		n=$((n + 1))
		esc=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
		grep -q -- "$esc" "$man8" || missing="$missing ${c:-global}:$o"
	done
done
[ -z "$missing" ] || fail "options printed by --help but not in iscsi-nbd.8:$missing"
info "$n options of $(echo $cmds | wc -w) commands all in iscsi-nbd.8"
for c in $cmds; do
	grep -q "^\.B $c\( \|$\)" "$man8" || grep -q "^\.B $c \\\\" "$man8" ||
		missing="$missing $c"
done
[ -z "$missing" ] || fail "commands without an entry in iscsi-nbd.8:$missing"

# ---- configuration keys -------------------------------------------------------
conf=$isn_tmp/etc
mkdir -p "$conf"
printf '[target]\nname = iqn.2026-01.com.example:x\nportal = 192.0.2.1\n' >"$conf/m.conf"
ISCSI_NBD_CONFDIR=$conf "$isn_bin" config --dump m >"$isn_tmp/dump" || fail "config --dump m"
keys=0
"$isn_bin" config --keys >"$isn_tmp/keys" || fail "config --keys"
while read -r sect key type; do
	keys=$((keys + 1))
	sect=${sect#[}
	sect=${sect%]}
	# The key's entry lies between its ".SS [section]" and the next ".SS".
	entry=$(sed -n "/^\.SS \[$sect\]/,/^\.SS /p" "$man5" | grep "^\.B $key \\\\fR(")
	[ -n "$entry" ] || fail "[$sect] $key ($type) is not described in iscsi-nbd.conf.5"
	def=$(sed -n "/^\[$sect\]/,/^\[/s/^$key = \(.*\)	# default\$/\1/p" "$isn_tmp/dump")
	if [ -n "$def" ]; then
		case $entry in
		*"default $def)"*) ;;
		*) fail "[$sect] $key: the man page says '$entry', config --dump default '$def'" ;;
		esac
	fi
	grep -q "^#*$key =" "$example" || fail "[$sect] $key is not in conf/example.conf"
done <"$isn_tmp/keys"
[ "$keys" -gt 20 ] || fail "config --keys lists only $keys keys"
# No key in the man page that the table does not have.
for k in $(sed -n 's/^\.B \([a-z_]*\) \\fR(.*/\1/p' "$man5"); do
	grep -q " $k " "$isn_tmp/keys" || fail "iscsi-nbd.conf.5 describes '$k', which is not a key"
done
info "$keys keys all in iscsi-nbd.conf.5 (defaults agree) and conf/example.conf"

# ---- the example file -----------------------------------------------------------
"$isn_bin" config --example >"$isn_tmp/example" || fail "config --example"
diff -u "$example" "$isn_tmp/example" >&2 ||
	fail "conf/example.conf differs from 'iscsi-nbd config --example': regenerate it"
"$isn_bin" config --check "$example" || fail "conf/example.conf is not a valid configuration"
exit 0
