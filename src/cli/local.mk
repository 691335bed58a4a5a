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
	src/cli/confkeys.c \
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
	src/cli/export_stop.c \
	src/cli/initiator.c \
	src/cli/initiator.h \
	src/cli/lunlock.c \
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
sbin_PROGRAMS += iscsi-nbd
iscsi_nbd_SOURCES = $(CLI_SOURCES)
iscsi_nbd_CFLAGS = $(AM_CFLAGS) $(EXT_CFLAGS)
iscsi_nbd_LDADD = $(LAYER_LIBS) $(EXT_LIBS)

# Configuration files and the initiator name (conffile.c, confout.c, initiator.c).
check_PROGRAMS += tests/unit/test_config
TESTS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c src/cli/conffile.c src/cli/confkeys.c \
	src/cli/conffile_int.h src/cli/confout.c src/cli/confdisc.c src/cli/sync.c \
	src/cli/initiator.c src/cli/target.c src/cli/portal.c src/cli/secret.c
tests_unit_test_config_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_config_LDADD = $(TEST_LIBS)

# The control socket's server (ctl.c) on a private loop, and the LUN lock.
check_PROGRAMS += tests/unit/test_ctl
TESTS += tests/unit/test_ctl
tests_unit_test_ctl_SOURCES = tests/unit/test_ctl.c src/cli/ctl.c src/cli/lunlock.c
tests_unit_test_ctl_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ctl_LDADD = $(TEST_LIBS)
# Device names and in-use detection (devname.c, inuse.c) over a fake /dev, /sys, /proc.
check_PROGRAMS += tests/unit/test_devname
TESTS += tests/unit/test_devname
tests_unit_test_devname_SOURCES = tests/unit/test_devname.c src/cli/devname.c src/cli/inuse.c
tests_unit_test_devname_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_devname_LDADD = $(TEST_LIBS)
