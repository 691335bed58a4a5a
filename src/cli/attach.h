/*
 * Private to attach / serve (cmd_attach.c, attach_parse.c): the command
 * line parsed into one struct, which the later phases (preflight,
 * daemonize, run) read. Nothing else includes this.
 */
#ifndef ISN_CLI_ATTACH_H
#define ISN_CLI_ATTACH_H

#include <stdbool.h>

#include "cli/cli.h"
#include "cli/conffile.h"
#include "cli/export.h"
#include "cli/servetls.h"

/* --reservation (iscsi-nbd.8 EXCLUSIVE ACCESS). */
enum resv_policy {
	RESV_EXCLUSIVE, /* reserve; a target without PR: warned */
	RESV_REQUIRED,	/* reserve; a target without PR: refused */
	RESV_NONE,	/* no reservation: a cluster filesystem shares the LUN */
};

/* What the preflight needs besides the target: filled by attach_parse(). */
struct resv_opts {
	enum resv_policy policy;
	bool read_only, preempt;
	bool serve;
};

/* One attach / serve command line. Strings are borrowed from argv unless said. */
struct attach_cmd {
	bool serve;
	bool help; /* --help was printed: exit 0 without doing anything */
	struct export_config ec;
	struct resv_opts ro;
	struct cli_target t;
	char **portals;		      /* PATH_MAX_PATHS slots, -P copies: the caller frees them */
	char *ifaces[PATH_MAX_PATHS]; /* the part after '@' of each portal copy, or NULL */
	unsigned int np;
	bool foreground, root_storage;
	const char *log_file;
	struct serve_tls stls; /* --tls*; the caller releases it (serve_tls_release) */
	struct config conf;    /* --config's files, loaded: file values point into it */
	bool have_conf;
};

/*
 * Fill a (portals and stls set by the caller) from the configuration file
 * named by --config and the command line, and check the options against
 * each other, serve's TLS credentials included. Returns 0, or a cli_exit
 * code after printing the reason; a->help is set when --help was printed.
 */
int attach_parse(int argc, char **argv, struct attach_cmd *a);

/* What attach_parse() keeps besides portals and stls (the loaded configuration). */
void attach_cmd_release(struct attach_cmd *a);

/*
 * The one setter (optset.c): the value of row k, from the command line
 * (cli: the option's syntax; a number in the option's unit) or from a file
 * (checked, canonical text), checked and stored where the row says: in a,
 * or, with a NULL, in t for a row of struct cli_target. text must outlive
 * a (argv, or a->conf); NULL for a flag. Returns 0, or -EINVAL with what
 * is wrong and allowed in why, or -ENOMEM.
 */
int opt_set(struct attach_cmd *a, struct cli_target *t, const struct config_key *k,
	    const char *text, bool cli, char *why, size_t whylen);

/* Whether row k's field is in struct cli_target (every login command's). */
bool opt_is_target(const struct config_key *k);

/*
 * The getopt_long entries of the rows that have an option (flag: and that
 * flag), val CLI_OPT_ROW + row, appended to lo[*n], and their short
 * letters ("t:P:l:") to so[*s]; both must have room for every row (at
 * most 64, conffile.h). opt_row_of() is the way back: the row of
 * getopt's answer c (a short letter too) among them, or NULL.
 */
struct option;
void opt_getopt_rows(unsigned int flag, struct option *lo, size_t *n, char *so, size_t *s);
const struct config_key *opt_row_of(int c, unsigned int flag);

#endif
