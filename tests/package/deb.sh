#!/bin/sh
# The Debian package, built, installed, used and purged on this machine as
# README's "Install" says (run-tests.sh's package tier; needs root). Proves:
# - the three command blocks of README's "Install", run word for word
#   (taken from README.md itself) in a fresh build tree: make dist, unpack,
#   dpkg-buildpackage -us -uc -b, lintian with no error, apt-get install,
#   apt-get purge;
# - the package's version is configure.ac's (debian/changelog agrees);
# - from the installed files: iscsi-nbd --version, both man pages (man -w),
#   systemd-analyze verify of an instance of the installed unit (man pages
#   of its Documentation= included), the bash completion as
#   bash-completion loads it, and one serve round trip against tgtd
#   (nbdcopy 4 MiB in and out through a Unix socket);
# - the daemon's generated initiator name lands in /etc/iscsi-nbd;
# - a conffile edited by the admin survives a reinstall and an upgrade;
# - purge leaves no file of `dpkg -L`, no directory the package created,
#   and no /etc/iscsi-nbd, unless the admin keeps files there: then
#   exactly those stay (a NAME.conf and a secret file) and the generated
#   initiator name is gone.
# The machine must not have iscsi-nbd installed or an /etc/iscsi-nbd:
# the test would not know which files are the admin's (it fails then).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/functions.sh"

requires_root
requires dpkg-buildpackage dh lintian apt-get dpkg-deb dpkg-parsechangelog man \
	systemd-analyze nbdcopy unshare bash
requires_tgt
[ -f /usr/share/bash-completion/bash_completion ] ||
	skip_missing bash-completion "apt-get install bash-completion"

# The installed program reads /etc/iscsi-nbd and /run/iscsi-nbd, not the
# test folders make check points it at.
unset ISCSI_NBD_CONFDIR ISCSI_NBD_RUNDIR
readme=$top_srcdir/README.md
etc=/etc/iscsi-nbd

if dpkg-query -W -f='${db:Status-Status}' iscsi-nbd 2>/dev/null | grep -qv '^not-installed$'; then
	fail "iscsi-nbd is already installed here ($(dpkg-query -W -f='${db:Status-Status}' iscsi-nbd)): this test installs and purges it; remove it first"
fi
[ ! -e "$etc" ] || fail "$etc exists: this test cannot tell its files from the admin's; move it away first"

# Undo on every exit path: purge what is installed, then the files this
# test made as the admin in /etc/iscsi-nbd (which did not exist before).
undo_install() {
	if dpkg-query -W -f='${db:Status-Status}' iscsi-nbd 2>/dev/null | grep -qv '^not-installed$'; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q iscsi-nbd >/dev/null 2>&1 ||
			dpkg --purge iscsi-nbd >/dev/null 2>&1
	fi
	rm -f "$etc/store.conf" "$etc/store.secret" "$etc/initiatorname"
	rmdir "$etc" 2>/dev/null
	[ ! -e "$etc" ] || info "$etc left with: $(ls -A "$etc")"
	return 0
}
cleanup_add undo_install

# block N: the Nth indented code block of README's "Install" section,
# without its indentation.
block() {
	awk -v want="$1" '
	/^## / { on = ($0 == "## Install"); next }
	!on { next }
	/^    / { if (!inb) { n++; inb = 1 } if (n == want) print substr($0, 5); next }
	/^$/ { next }
	{ inb = 0 }' "$readme"
}
block 1 >"$isn_tmp/build.sh"
block 2 >"$isn_tmp/install.sh"
block 3 >"$isn_tmp/purge.sh"
grep -q 'dpkg-buildpackage -us -uc -b' "$isn_tmp/build.sh" &&
	grep -q '^apt-get install -y ./iscsi-nbd_\*.deb$' "$isn_tmp/install.sh" &&
	grep -q '^apt-get purge -y iscsi-nbd$' "$isn_tmp/purge.sh" ||
	fail "README's Install section does not have its three blocks (build, install, purge)"

# A fresh build tree, as README's "Building by hand" makes one.
b=$isn_tmp/build
mkdir -p "$b"
(cd "$b" && "$top_srcdir/configure" -q) >"$isn_tmp/configure.log" 2>&1 ||
	fail "configure: $(tail -5 "$isn_tmp/configure.log")"
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$b/Makefile")
[ -n "$version" ] || fail "no PACKAGE_VERSION in the build tree"
[ "$(dpkg-parsechangelog -l "$top_srcdir/debian/changelog" -S Version)" = "$version" ] ||
	fail "debian/changelog's version is not configure.ac's $version"
arch=$(dpkg --print-architecture)

# The README blocks run as a person would run them, not inside make
# check: no make flags (TESTS=... would reach the package build's own
# make check), no test-harness variables.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES top_srcdir top_builddir

# Block 1: build and lintian, word for word.
t0=$(date +%s)
info "README block 1 (build): $(tr '\n' ';' <"$isn_tmp/build.sh")"
# DEB_BUILD_OPTIONS only sets make -j (the machine's CPUs).
if ! (cd "$b" && DEB_BUILD_OPTIONS="parallel=$(nproc)" sh -ex "$isn_tmp/build.sh") \
	>"$isn_tmp/build.log" 2>&1; then
	tail -40 "$isn_tmp/build.log" >&2
	fail "README block 1 (make dist, dpkg-buildpackage, lintian) failed"
fi
info "built and linted in $(($(date +%s) - t0)) s"
deb=$b/deb/iscsi-nbd_${version}_$arch.deb
[ -f "$deb" ] || fail "no $deb: $(ls "$b/deb")"
# lintian's whole report (the build log has it after the lintian command).
echo "---- lintian:" >&2
sed -n '/^+ lintian /,$p' "$isn_tmp/build.log" >&2
# Every tag fails, down to info, pedantic and experimental ones: the
# package has none today (each would need a fix or an override with a
# reason), so a new one is a regression to look at, not noise.
lintian -I -E --pedantic --fail-on error,warning,info,pedantic,experimental "$deb" \
	>"$isn_tmp/lintian.out" 2>&1 ||
	fail "lintian reports tags: $(cat "$isn_tmp/lintian.out")"
echo "---- lintian -I -E --pedantic:" >&2
cat "$isn_tmp/lintian.out" >&2

# Which directories of the package exist before it is installed: purge
# must leave those, and remove the others.
dpkg-deb -c "$deb" | awk '$1 ~ /^d/ { p = $6; sub(/^\./, "", p); sub(/\/$/, "", p); if (p != "") print p }' \
	>"$isn_tmp/dirs"
: >"$isn_tmp/dirs-before"
while read -r d; do
	[ -d "$d" ] && echo "$d" >>"$isn_tmp/dirs-before"
done <"$isn_tmp/dirs"

# install_readme: block 2, word for word, in the folder block 1 left.
install_readme() {
	(cd "$b/deb" && DEBIAN_FRONTEND=noninteractive sh -ex "$isn_tmp/install.sh") \
		>"$isn_tmp/install.log" 2>&1 || {
		tail -30 "$isn_tmp/install.log" >&2
		fail "README block 2 (apt-get install) failed"
	}
	[ "$(dpkg-query -W -f='${db:Status-Status} ${Version}' iscsi-nbd)" = "installed $version" ] ||
		fail "after apt-get install: $(dpkg-query -W -f='${db:Status-Status} ${Version}' iscsi-nbd)"
}
purge_readme() {
	(cd "$b/deb" && DEBIAN_FRONTEND=noninteractive sh -ex "$isn_tmp/purge.sh") \
		>"$isn_tmp/purge.log" 2>&1 || {
		tail -30 "$isn_tmp/purge.log" >&2
		fail "README block 3 (apt-get purge) failed"
	}
	! dpkg-query -W -f='${db:Status-Status}' iscsi-nbd 2>/dev/null | grep -qv '^not-installed$' ||
		fail "after purge: $(dpkg-query -W -f='${db:Status-Status}' iscsi-nbd)"
}
# gen_initiator_name CMD...: run the installed CMD where open-iscsi's name
# file (if any) reads empty, so that iscsi-nbd generates its own name in
# /etc/iscsi-nbd as on a host without open-iscsi.
gen_initiator_name() {
	if [ -e /etc/iscsi/initiatorname.iscsi ]; then
		unshare -m --propagation private sh -c \
			'mount --bind /dev/null /etc/iscsi/initiatorname.iscsi && exec "$@"' sh "$@"
	else
		"$@"
	fi
}

install_readme
info "installed $deb"

# ---- the installed files at work ----
dpkg -L iscsi-nbd >"$isn_tmp/files"
cat "$isn_tmp/files" >&2
[ "$(command -v iscsi-nbd)" = /usr/sbin/iscsi-nbd ] ||
	fail "iscsi-nbd in PATH is $(command -v iscsi-nbd), not the package's /usr/sbin/iscsi-nbd"
[ "$(iscsi-nbd --version)" = "iscsi-nbd $version" ] || fail "--version says: $(iscsi-nbd --version)"
for page in "8 iscsi-nbd" "5 iscsi-nbd.conf"; do
	# shellcheck disable=SC2086
	p=$(man -w $page) || fail "man -w $page finds nothing"
	grep -qx "$p" "$isn_tmp/files" || fail "man -w $page is $p, not the package's"
done
unit=$(grep '/iscsi-nbd@\.service$' "$isn_tmp/files") || fail "no unit in the package"
grep -qx 'ExecStart=/usr/sbin/iscsi-nbd attach --config %i -f' "$unit" ||
	fail "the installed unit does not start /usr/sbin/iscsi-nbd: $(grep ExecStart= "$unit")"
out=$(systemd-analyze verify iscsi-nbd@pkgtest.service 2>&1) && [ -z "$out" ] ||
	fail "systemd-analyze verify iscsi-nbd@pkgtest.service: $out"
grep -q '/udev/rules.d/60-iscsi-nbd.rules$' "$isn_tmp/files" || fail "no udev rule in the package"
grep -qx /usr/share/doc/iscsi-nbd/example.conf "$isn_tmp/files" || fail "no example.conf"
[ "$(dpkg-query -W -f='${Conffiles}' iscsi-nbd | awk 'NF { print $1 }')" = "$etc/iscsi-nbd.conf" ] ||
	fail "conffiles: $(dpkg-query -W -f='${Conffiles}' iscsi-nbd)"
iscsi-nbd config --example | cmp -s - /usr/share/doc/iscsi-nbd/example.conf ||
	fail "the installed example.conf is not the installed program's config --example"
# The completion as bash-completion loads it on first use.
got=$(bash -c '. /usr/share/bash-completion/bash_completion
	_completion_loader iscsi-nbd
	complete -p iscsi-nbd
	COMP_WORDS=(iscsi-nbd st); COMP_CWORD=1; _iscsi_nbd; echo "reply: ${COMPREPLY[*]}"' 2>&1)
case $got in
*"-F _iscsi_nbd iscsi-nbd"*"reply: status"*) ;;
*) fail "the installed bash completion: $got" ;;
esac

# One serve round trip against tgtd, generating the initiator name.
netns_new ns
tgtd_start "$ns" 127.0.0.1:3260
iqn=iqn.2026-11.org.iscsi-nbd.test:package
shm_file disk 4 zero
tgt_simple "$ns" "$iqn" "$disk"
export ISCSI_NBD_RUNDIR="$isn_tmp/run"
mkdir -p "$ISCSI_NBD_RUNDIR"
sock=$isn_tmp/lun.sock
# (unshare, sh and ip exec in turn: $! is the daemon's PID.)
if [ -e /etc/iscsi/initiatorname.iscsi ]; then
	set -- unshare -m --propagation private sh -c \
		'mount --bind /dev/null /etc/iscsi/initiatorname.iscsi && exec "$@"' sh
else
	set --
fi
"$@" ip netns exec "$ns" iscsi-nbd serve -f -t "$iqn" -l 1 -P 127.0.0.1 \
	--socket "$sock" --name pkgtest >"$isn_tmp/serve.log" 2>&1 &
pid=$!
_isn_logs="$_isn_logs $isn_tmp/serve.log"
cleanup_add kill_quiet "$pid"
wait_for 30 iscsi-nbd status pkgtest
random_file "$isn_tmp/in" 4194304
timeout 60 nbdcopy "$isn_tmp/in" "nbd+unix:///?socket=$sock" || fail "nbdcopy to the LUN"
timeout 60 nbdcopy "nbd+unix:///?socket=$sock" "$isn_tmp/out" || fail "nbdcopy from the LUN"
cmp "$isn_tmp/in" "$isn_tmp/out" || fail "what came back differs from what was written"
cmp "$isn_tmp/in" "$disk" || fail "the LUN's backing file differs from what was written"
iscsi-nbd detach pkgtest >&2 || fail "detach pkgtest"
wait "$pid" || fail "the serve daemon exited $? after detach"
unset ISCSI_NBD_RUNDIR
grep -q '^InitiatorName=iqn\.2026-11\.org\.iscsi-nbd:' "$etc/initiatorname" ||
	fail "the daemon generated no initiator name in $etc"
info "installed program: version, man pages, unit, completion, 4 MiB through serve"

# check_gone: no file of `dpkg -L` left, no directory the package made.
check_gone() {
	while read -r f; do
		[ -d "$f" ] && continue
		[ ! -e "$f" ] && [ ! -L "$f" ] || fail "purge left $f"
	done <"$isn_tmp/files"
	while read -r d; do
		grep -qx "$d" "$isn_tmp/dirs-before" && continue
		[ "$d" = "$etc" ] && continue
		[ ! -d "$d" ] || fail "purge left the directory $d ($(ls -A "$d" | head -5))"
	done <"$isn_tmp/dirs"
}

# Purge with nothing of the admin's: everything goes, /etc/iscsi-nbd too.
purge_readme
check_gone
[ ! -e "$etc" ] || fail "purge left $etc: $(ls -A "$etc")"
info "purged: nothing left"

# Again, now with an edited conffile (kept over a reinstall and an
# upgrade) and files of the admin's in /etc/iscsi-nbd (kept by purge).
install_readme
echo "# edited by the admin" >>"$etc/iscsi-nbd.conf"
(cd "$b/deb" && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall \
	"./iscsi-nbd_${version}_$arch.deb") >"$isn_tmp/reinstall.log" 2>&1 ||
	fail "reinstall: $(tail -5 "$isn_tmp/reinstall.log")"
grep -qx '# edited by the admin' "$etc/iscsi-nbd.conf" || fail "reinstall lost the admin's edit of the conffile"
# And over an upgrade: the same package as version VERSION+test1 (repacked,
# the conffile unchanged, as in most upgrades).
dpkg-deb -R "$deb" "$isn_tmp/up" || fail "dpkg-deb -R"
sed -i "s/^Version: .*/Version: $version+test1/" "$isn_tmp/up/DEBIAN/control"
up=$isn_tmp/iscsi-nbd_$version+test1_$arch.deb
dpkg-deb -b "$isn_tmp/up" "$up" >/dev/null || fail "dpkg-deb -b"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$up" >"$isn_tmp/upgrade.log" 2>&1 ||
	fail "upgrade: $(tail -5 "$isn_tmp/upgrade.log")"
[ "$(dpkg-query -W -f='${db:Status-Status} ${Version}' iscsi-nbd)" = "installed $version+test1" ] ||
	fail "after the upgrade: $(dpkg-query -W -f='${db:Status-Status} ${Version}' iscsi-nbd)"
grep -qx '# edited by the admin' "$etc/iscsi-nbd.conf" || fail "the upgrade lost the admin's edit of the conffile"
printf '[target]\nname = %s\nportal = 192.0.2.1\n[auth]\nchap_user = u\nchap_secret_file = %s/store.secret\n' \
	"$iqn" "$etc" >"$etc/store.conf"
(umask 077 && echo "secret-of-the-admin" >"$etc/store.secret")
gen_initiator_name iscsi-nbd config --initiator-name >/dev/null || fail "config --initiator-name"
[ -f "$etc/initiatorname" ] || fail "config --initiator-name generated nothing in $etc"
purge_readme
check_gone
[ "$(ls -A "$etc" | tr '\n' ' ')" = "store.conf store.secret " ] ||
	fail "after purge $etc holds [$(ls -A "$etc" | tr '\n' ' ')], not just the admin's files"
grep -qx 'secret-of-the-admin' "$etc/store.secret" || fail "purge changed the admin's secret"
info "purged: the admin's files stay, the conffile and the generated name go"
info "package tier done in $(($(date +%s) - t0)) s"
