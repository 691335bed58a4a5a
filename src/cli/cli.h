/*
 * Shared pieces of the iscsi-nbd command line: exit codes, the options
 * every command that logs in to a target takes, and the subcommand entry
 * points dispatched by main.c.
 *
 * Rules: subcommands return an exit code (enum cli_exit) and never call
 * exit() (only main does); they print what went wrong, once, with what to
 * do about it, through cli_err().
 */
#ifndef ISN_CLI_CLI_H
#define ISN_CLI_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "session/session.h"
#include "util/compiler.h"

/*
 * Exit codes, the one place they are defined: id, code and the line
 * `iscsi-nbd --help` and `iscsi-nbd help COMMAND` print for it (main.c).
 * Scripts and tests rely on the codes; man/iscsi-nbd.8 (EXIT STATUS)
 * explains each at length, and tests/integration/cli-usage.sh checks that
 * it lists every code here.
 *
 *	0  success
 *	1  usage error: bad option, missing argument, bad number
 *	2  connection failure: portal unreachable, refused, timed out, lost
 *	3  login failure: target not found, initiator rejected, negotiation failed
 *	4  authentication failure: CHAP (one-way or mutual) refused
 *	5  SCSI / I/O error: the command reached the LUN and failed
 *	6  protocol error: the target broke RFC 7143 (or a digest mismatched)
 *	7  local error: file, permission, memory
 *	8  geometry: the LUN's block size or size cannot be exported or reported
 *	9  LUN busy: another daemon on this host attaches or serves the target LUN
 *	10 device in use: detach refused (mounted, swap, held, open exclusively)
 *	11 LUN reserved by another host (SPC-5 persistent reservation), or
 *	   reservations required and the target has none
 */
#define CLI_EXIT_TABLE(X)                                                                          \
	X(OK, 0, "success")                                                                        \
	X(USAGE, 1, "usage error")                                                                 \
	X(CONNECT, 2, "connection failure (portal unreachable, refused, timed out)")               \
	X(LOGIN, 3, "login failure (target not found, initiator rejected)")                        \
	X(AUTH, 4, "authentication failure (CHAP)")                                                \
	X(IO, 5, "SCSI / I/O error")                                                               \
	X(PROTOCOL, 6, "protocol error from the target")                                           \
	X(LOCAL, 7, "local error (file, permission)")                                              \
	X(GEOMETRY, 8, "LUN geometry not exportable (block size, size)")                           \
	X(BUSY, 9, "LUN busy: another daemon on this host serves the target LUN")                  \
	X(IN_USE, 10, "device in use: detach refused (mounted, swap, held by dm/md)")              \
	X(RESERVED, 11, "LUN reserved by another host (persistent reservation)")

#define CLI_EXIT_ENUM(id, code, text) CLI_EXIT_##id = (code),
enum cli_exit { CLI_EXIT_TABLE(CLI_EXIT_ENUM) };
#undef CLI_EXIT_ENUM

#define CLI_PROG "iscsi-nbd"

void cli_err(const char *fmt, ...) ISN_PRINTF(1, 2);

/* Where and how to log in; filled from the command line by cli_getopt_target(). */
struct cli_target {
	const char *target; /* -t IQN */
	const char *portal; /* -P PORTAL, as typed */
	uint32_t lun;	    /* -l */
	const char *chap_user;
	const char *chap_secret_file;
	const char *mutual_user;
	const char *mutual_secret_file;
	enum sess_digest_pref header_digest;
	enum sess_digest_pref data_digest;
	const char *initiator_name;
	uint32_t max_recv_dsl; /* our MaxRecvDataSegmentLength; 0 = session default */
	double timeout;	       /* seconds, whole command */
};

/*
 * getopt_long's val of a command's own long options starts here: above any
 * short option, below CLI_OPT_ROW.
 */
#define CLI_OPT_FIRST_FREE 0x100
/* getopt_long's val of a target option: this + its row in config_keys[] (conffile.h). */
#define CLI_OPT_ROW 0x1000

/* t with the table's defaults (conffile.h: the rows stored in struct cli_target). */
void cli_target_init(struct cli_target *t);

/*
 * The getopt_long tables of a one-shot command: the target options, then
 * the command's own, then --help (-h). The target options are the rows of
 * the table (conffile.h) flagged CONFIG_F_ONESHOT, for discover those
 * flagged CONFIG_F_DISCOVERY: each one's getopt entry, short letter (-t -P
 * -l), --help line, check and setter come from its row. A command writes
 * only its own options.
 */
#define CLI_OPTS_MAX 96
struct cli_opts {
	bool discovery;
	struct option longopts[CLI_OPTS_MAX + 1];
	char shortopts[2 * CLI_OPTS_MAX + 1];
};

/*
 * A command's own option: its getopt entry (a letter as val is its short
 * option too) and its --help entry, the argument's name (NULL: none) and
 * text (lines split by \n; NULL: not listed), which cli_own_usage()
 * prints in the layout of the table's.
 */
struct cli_own_opt {
	struct option opt;
	const char *arg, *usage;
};

/*
 * Fill o with the target options of the kind (discovery or not), then
 * own[] (ended by a NULL opt.name; NULL: none) with their short letters
 * own_short ("o:i:", NULL: none), then --help. A command's own option
 * never reuses a target option's name or letter (asserted).
 */
void cli_opts_init(struct cli_opts *o, bool discovery, const struct cli_own_opt *own,
		   const char *own_short);

/* The --help entry of own (nothing if it has no usage text). */
void cli_own_usage(FILE *f, const struct cli_own_opt *own);

/*
 * getopt_long over o's tables: a target option is checked and set here
 * (into *t, through the table's setter) and the next other option
 * returned ('h' for --help), -1 at the end, or CLI_GETOPT_BAD after a
 * usage error about a target option was printed.
 */
#define CLI_GETOPT_BAD (-2)
int cli_getopt_target(int argc, char **argv, const struct cli_opts *o, struct cli_target *t);

/* The long name of getopt's answer c in o, for messages ("?": none). */
const char *cli_opt_name(const struct cli_opts *o, int c);

/* "Target options:" and the --help line of each (discovery: discover's), from the table. */
void cli_target_usage(FILE *f, bool discovery);

/*
 * Build a session config from t: resolve the portal, read the secrets,
 * find the initiator name, pick an ISID. discovery: no target name.
 * On success returns 0 and the caller must cli_config_release(cfg);
 * else prints the problem and returns an exit code.
 */
int cli_config_build(const struct cli_target *t, bool discovery, struct sess_config *cfg);
void cli_config_release(struct sess_config *cfg);

/* Strict number parsing: decimal, 0x hex, or with a K/M/G (binary) suffix. */
int cli_parse_u64(const char *s, uint64_t *out);

/*
 * main()'s argv: the process's own argument strings (what
 * /proc/PID/cmdline shows), for attach --root-storage.
 */
extern char **cli_main_argv;

/*
 * The one-shot SCSI commands, each named once: X(NAME, SUMMARY). main.c
 * makes each a command that cmd_scsi() runs, listed with SUMMARY;
 * cmd_scsi.c runs it with lun_cmd_NAME() (scsi_cmd.h) and holds its
 * options and help text.
 */
#define CLI_SCSI_CMDS(X)                                                                           \
	X(inquiry, "INQUIRY: vendor, product, identity, limits, provisioning")                     \
	X(readcap, "READ CAPACITY: size and block sizes")                                          \
	X(luns, "REPORT LUNS")                                                                     \
	X(tur, "TEST UNIT READY")                                                                  \
	X(read, "read a byte range of a LUN to a file or stdout")                                  \
	X(write, "write a file or stdin to a LUN")                                                 \
	X(unmap, "UNMAP (discard) a byte range")                                                   \
	X(sync, "SYNCHRONIZE CACHE")

/* Subcommands (cmd_*.c). argv[0] is the subcommand name. */
int cmd_discover(int argc, char **argv);
int cmd_scsi(int argc, char **argv);
int cmd_attach(int argc, char **argv); /* cmd_attach.c */
int cmd_serve(int argc, char **argv);
int cmd_list(int argc, char **argv); /* cmd_ctl.c */
int cmd_status(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_config(int argc, char **argv); /* cmd_config.c */
int cmd_pr(int argc, char **argv);     /* cmd_pr.c */

#endif
