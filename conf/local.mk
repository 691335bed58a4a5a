# Running iscsi-nbd as a service: the systemd unit, the udev rule, the
# example configuration and the man pages, installed where the system looks
# for them (configure --with-systemdsystemunitdir, --with-udevrulesdir),
# and the tests that keep them true to the code.

dist_man_MANS += man/iscsi-nbd.8 man/iscsi-nbd.conf.5

# The unit names the installed binary: made from the .in at build time, so
# that make's prefix (and a later `make prefix=...`) is the one used.
systemdsystemunit_DATA = systemd/iscsi-nbd@.service
EXTRA_DIST += systemd/iscsi-nbd@.service.in
CLEANFILES += systemd/iscsi-nbd@.service
systemd/iscsi-nbd@.service: $(srcdir)/systemd/iscsi-nbd@.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' $(srcdir)/systemd/iscsi-nbd@.service.in > $@.tmp && \
	mv $@.tmp $@

dist_udevrules_DATA = udev/60-iscsi-nbd.rules

# Bash completion, loaded by bash-completion on first use (tested by
# completion.sh).
dist_bashcompletion_DATA = completion/iscsi-nbd

# conf/example.conf is `iscsi-nbd config --example` (checked by config-man.sh).
dist_doc_DATA = conf/example.conf

# The configuration folder is /etc/iscsi-nbd whatever the prefix (like
# open-iscsi's /etc/iscsi; $ISCSI_NBD_CONFDIR moves it): it is the
# administrator's, and not installed; the daemon creates it when it
# generates the initiator name.

CONFIG_TESTS = \
	tests/integration/config-cli.sh \
	tests/integration/config-man.sh \
	tests/integration/config-unit.sh \
	tests/integration/completion.sh \
	tests/uml/t-systemd.sh
TESTS += $(CONFIG_TESTS)
EXTRA_DIST += $(CONFIG_TESTS)

# The initiator name and configuration files the tests make (ISCSI_NBD_CONFDIR).
clean-local: clean-local-conf
clean-local-conf:
	-rm -rf tests/etc
.PHONY: clean-local-conf

# The Debian package (debian/, native: README's "Install"; built from this
# tarball by tests/package/deb.sh). Its version is debian/changelog's, which
# must be AC_INIT's: make dist refuses a tarball where they differ.
EXTRA_DIST += debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/iscsi-nbd.install debian/conf/iscsi-nbd.conf \
	debian/postinst debian/postrm
dist-hook: dist-check-debian-version
dist-check-debian-version:
	@v=`sed -n '1s/^iscsi-nbd (\([^)]*\)).*/\1/p' $(srcdir)/debian/changelog`; \
	if test "$$v" != "$(PACKAGE_VERSION)"; then \
		echo "debian/changelog is at $$v, configure.ac at $(PACKAGE_VERSION):" \
			"add a changelog entry for $(PACKAGE_VERSION) (dch -v $(PACKAGE_VERSION))" >&2; \
		exit 1; \
	fi
.PHONY: dist-check-debian-version
