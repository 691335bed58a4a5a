# Root filesystem on iscsi-nbd with initramfs-tools (iscsi-nbd(8), ROOT
# FILESYSTEM): the hook that puts the binary, nbd.ko and the root LUN's
# configuration into the initramfs, and the local-top script that attaches
# the LUN at boot. initramfs-tools reads /usr/share/initramfs-tools, so
# these land there with --prefix=/usr (a Debian package); both files do
# nothing on a machine without /etc/iscsi-nbd/root.conf.
initramfstoolsdir = $(datadir)/initramfs-tools
INITRAMFS_FILES = initramfs/hook initramfs/local-top
EXTRA_DIST += $(INITRAMFS_FILES)

install-data-local: install-initramfs-tools
install-initramfs-tools:
	$(MKDIR_P) '$(DESTDIR)$(initramfstoolsdir)/hooks' \
		'$(DESTDIR)$(initramfstoolsdir)/scripts/local-top'
	$(INSTALL_SCRIPT) $(srcdir)/initramfs/hook '$(DESTDIR)$(initramfstoolsdir)/hooks/iscsi-nbd'
	$(INSTALL_SCRIPT) $(srcdir)/initramfs/local-top \
		'$(DESTDIR)$(initramfstoolsdir)/scripts/local-top/iscsi-nbd'
uninstall-local: uninstall-initramfs-tools
uninstall-initramfs-tools:
	rm -f '$(DESTDIR)$(initramfstoolsdir)/hooks/iscsi-nbd' \
		'$(DESTDIR)$(initramfstoolsdir)/scripts/local-top/iscsi-nbd'
.PHONY: install-initramfs-tools uninstall-initramfs-tools
