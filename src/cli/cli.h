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
#include <sys/socket.h>

#include "session/session.h"
#include "util/compiler.h"

/* Exit codes: documented in `iscsi-nbd --help` and the table in main.c. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_USAGE = 1,	/* bad command line */
	CLI_EXIT_CONNECT = 2,	/* portal unreachable / refused / connection lost */
	CLI_EXIT_LOGIN = 3,	/* login failed: target not found, rejected */
	CLI_EXIT_AUTH = 4,	/* authentication failed (CHAP, either direction) */
	CLI_EXIT_IO = 5,	/* SCSI command failed (CHECK CONDITION, ...) */
	CLI_EXIT_PROTOCOL = 6,	/* the target broke the protocol */
	CLI_EXIT_LOCAL = 7,	/* local error: file, permission, memory */
	CLI_EXIT_GEOMETRY = 8,	/* the LUN's block size or size cannot be exported / shown */
	CLI_EXIT_BUSY = 9,	/* another daemon on this host holds the target LUN */
	CLI_EXIT_IN_USE = 10,	/* detach refused: the device is in use (inuse.h) */
	CLI_EXIT_RESERVED = 11, /* another host holds the LUN (persistent reservation) */
};

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

/* The getopt_long entries of the shared target options (-t -P -l and the long ones). */
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

/* Help text for the shared options. */
extern const char cli_target_help[];

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
