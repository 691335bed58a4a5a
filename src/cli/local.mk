# cli: the iscsi-nbd program. One file per group of subcommands; main.c
# holds the dispatch table. It links every layer; only main() may exit.
CLI_SOURCES = \
	src/cli/attach.h \
	src/cli/attach_parse.c \
	src/cli/cli.h \
	src/cli/cmd_attach.c \
	src/cli/cmd_config.c \
	src/cli/cmd_ctl.c \
	src/cli/cmd_discover.c \
	src/cli/cmd_pr.c \
	src/cli/cmd_scsi.c \
	src/cli/confdisc.c \
	src/cli/conffile.c \
	src/cli/conffile.h \
	src/cli/conffile_int.h \
	src/cli/confout.c \
	src/cli/ctl.c \
	src/cli/ctl.h \
	src/cli/daemon.c \
	src/cli/daemon.h \
	src/cli/devname.c \
	src/cli/devname.h \
	src/cli/export.c \
	src/cli/export.h \
	src/cli/export_int.h \
	src/cli/export_kernel.c \
	src/cli/export_poll.c \
	src/cli/export_stop.c \
	src/cli/initiator.c \
	src/cli/initiator.h \
	src/cli/lunlock.c \
	src/cli/optset.c \
	src/cli/lunlock.h \
	src/cli/inuse.c \
	src/cli/inuse.h \
	src/cli/main.c \
	src/cli/portal.c \
	src/cli/portal.h \
	src/cli/running.c \
	src/cli/running.h \
	src/cli/scsi_cmd.h \
	src/cli/scsi_cmds.c \
	src/cli/secret.c \
	src/cli/servetls.c \
	src/cli/servetls.h \
	src/cli/secret.h \
	src/cli/status.c \
	src/cli/status.h \
	src/cli/sync.c \
	src/cli/sync.h \
	src/cli/target.c
# All of it but the key table (the options and config keys, confkeys.c) as
# a library, so that tests/isn-extra-option links it with a table of one
# key more: tests/integration/option-table.sh shows that key become an
# option, a --help line, a config key and a man-page check without any
# other edit.
noinst_LIBRARIES += libcli.a
libcli_a_SOURCES = $(CLI_SOURCES)
sbin_PROGRAMS += iscsi-nbd
iscsi_nbd_SOURCES = src/cli/confkeys.c
iscsi_nbd_LDADD = libcli.a $(LAYER_LIBS) $(EXT_LIBS)

check_PROGRAMS += tests/isn-extra-option
nodist_tests_isn_extra_option_SOURCES = tests/extra-option-keys.c
tests_isn_extra_option_LDADD = libcli.a $(LAYER_LIBS) $(EXT_LIBS)
CLEANFILES += tests/extra-option-keys.c
tests/extra-option-keys.c: $(top_srcdir)/src/cli/confkeys.c $(top_srcdir)/tests/integration/option-table.sed
	$(AM_V_GEN)$(MKDIR_P) tests && \
	sed -f $(top_srcdir)/tests/integration/option-table.sed $(top_srcdir)/src/cli/confkeys.c >$@.tmp && \
	mv $@.tmp $@
TESTS += tests/integration/option-table.sh
EXTRA_DIST += tests/integration/option-table.sh tests/integration/option-table.sed

# attach / serve's command line and --config into struct attach_cmd
# (attach_parse.c), through libcli.a; test_config: configuration files and
# the initiator name (conffile.c, confout.c, initiator.c); test_ctl: the
# control socket's server (ctl.c) on a private loop, and the LUN lock;
# test_devname: device names and in-use detection (devname.c, inuse.c) over
# a fake /dev, /sys, /proc.
C_TESTS += \
	tests/unit/test_attach_parse \
	tests/unit/test_config \
	tests/unit/test_ctl \
	tests/unit/test_devname
tests_unit_test_attach_parse_SOURCES = tests/unit/test_attach_parse.c src/cli/confkeys.c
tests_unit_test_attach_parse_LDADD = libcheckmain.a libcli.a $(TEST_LIBS)
tests_unit_test_config_SOURCES = tests/unit/test_config.c src/cli/conffile.c src/cli/confkeys.c \
	src/cli/conffile_int.h src/cli/confout.c src/cli/confdisc.c src/cli/sync.c \
	src/cli/initiator.c src/cli/target.c src/cli/portal.c src/cli/secret.c src/cli/optset.c
tests_unit_test_ctl_SOURCES = tests/unit/test_ctl.c src/cli/ctl.c src/cli/lunlock.c
tests_unit_test_devname_SOURCES = tests/unit/test_devname.c src/cli/devname.c src/cli/inuse.c
