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

/* Default overall timeout of one command, seconds (--timeout). */
#define CLI_DEFAULT_TIMEOUT 30.0

/* Where and how to log in; filled by cli_target_opt() from the command line. */
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

/* Long option ids of the shared target options (values above any short option). */
enum cli_target_optid {
	CLI_OPT_CHAP_USER = 0x100,
	CLI_OPT_CHAP_SECRET_FILE,
	CLI_OPT_MUTUAL_USER,
	CLI_OPT_MUTUAL_SECRET_FILE,
	CLI_OPT_HEADER_DIGEST,
	CLI_OPT_DATA_DIGEST,
	CLI_OPT_INITIATOR_NAME,
	CLI_OPT_TIMEOUT,
	CLI_OPT_MAX_RECV_DSL,
	CLI_OPT_FIRST_FREE, /* commands number their own long options from here */
};

/*
 * The getopt_long entries of the shared target options (-t -P -l and the
 * long ones): the table's target rows (conffile.h), whose checks and
 * setter cli_target_opt() applies; tests/unit/test_config checks that the
 * two list the same options.
 */
#define CLI_TARGET_LONGOPTS                                                                        \
	{"target", required_argument, NULL, 't'}, {"portal", required_argument, NULL, 'P'},        \
		{"lun", required_argument, NULL, 'l'},                                             \
		{"chap-user", required_argument, NULL, CLI_OPT_CHAP_USER},                         \
		{"chap-secret-file", required_argument, NULL, CLI_OPT_CHAP_SECRET_FILE},           \
		{"mutual-user", required_argument, NULL, CLI_OPT_MUTUAL_USER},                     \
		{"mutual-secret-file", required_argument, NULL, CLI_OPT_MUTUAL_SECRET_FILE},       \
		{"header-digest", required_argument, NULL, CLI_OPT_HEADER_DIGEST},                 \
		{"data-digest", required_argument, NULL, CLI_OPT_DATA_DIGEST},                     \
		{"initiator-name", required_argument, NULL, CLI_OPT_INITIATOR_NAME},               \
		{"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},                             \
	{                                                                                          \
		"max-recv-dsl", required_argument, NULL, CLI_OPT_MAX_RECV_DSL                      \
	}

void cli_target_init(struct cli_target *t);

/*
 * Handle one of the shared options (getopt_long's return c with optarg).
 * Returns 1 if c was one of them (and valid), 0 if not ours, or -1 after
 * printing a usage error.
 */
int cli_target_opt(struct cli_target *t, int c, const char *arg);

/*
 * getopt_long(argc, argv, shortopts, opts) for a command that takes the
 * shared options: those are handled here (cli_target_opt into *t) and the
 * next other option returned, -1 at the end, or CLI_GETOPT_BAD after a
 * usage error about a shared option was printed.
 */
#define CLI_GETOPT_BAD (-2)
struct option;
int cli_getopt_target(int argc, char **argv, const char *shortopts, const struct option *opts,
		      struct cli_target *t);

/* Help text for the shared options, from the table (conffile.h). */
void cli_target_usage(FILE *f);

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
