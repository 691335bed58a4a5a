# cli: the iscsi-nbd program. One file per group of subcommands; main.c
# holds the dispatch table. Until the session engine links (libsession.a
# exports sess_new), the CLI is compiled as a library so -Werror still
# checks it; the program appears once the symbols exist.
CLI_SOURCES = \
	src/cli/cli.h \
	src/cli/cmd_attach.c \
	src/cli/cmd_ctl.c \
	src/cli/cmd_discover.c \
	src/cli/cmd_scsi.c \
	src/cli/ctl.c \
	src/cli/ctl.h \
	src/cli/daemon.c \
	src/cli/daemon.h \
	src/cli/export.c \
	src/cli/export.h \
	src/cli/main.c \
	src/cli/portal.c \
	src/cli/portal.h \
	src/cli/secret.c \
	src/cli/secret.h \
	src/cli/status.c \
	src/cli/status.h \
	src/cli/sync.c \
	src/cli/sync.h \
	src/cli/target.c
noinst_LIBRARIES += libcli.a
libcli_a_SOURCES = $(CLI_SOURCES)
libcli_a_CFLAGS = $(AM_CFLAGS) $(EXT_CFLAGS)
