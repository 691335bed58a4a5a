/*
 * Configuration files: /etc/iscsi-nbd/iscsi-nbd.conf (defaults for every
 * LUN) and /etc/iscsi-nbd/NAME.conf (one attached LUN), INI syntax read
 * with inih. The directory is $ISCSI_NBD_CONFDIR when set (tests).
 *
 * One table (config_keys[], confkeys.c) lists every setting: its key
 * (section, name, type, range, default, description), its attach / serve
 * option (long and short name, argument, --help text) and where its value
 * goes in struct attach_cmd. The same table drives the file parser, `iscsi-nbd
 * config --dump`, the example file (`iscsi-nbd config --example`, checked
 * in as conf/example.conf), the key list of iscsi-nbd.conf(5), the getopt
 * tables and --help blocks of attach / serve and of the one-shot commands'
 * target options (the rows flagged CONFIG_F_ONESHOT), and the one setter
 * (optset.c) that both a file's values and the options go through; tests
 * check that all of them and the man pages agree.
 *
 * Precedence: table defaults < global file < NAME.conf < command line.
 * A list key (portal) set in NAME.conf replaces the global list; -P on the
 * command line replaces both.
 *
 * The files never hold secrets: CHAP secrets stay in their own files
 * (owned by root, mode 0600, read by secret.c at login), and the
 * configuration names only their paths. Nothing here reads them.
 */
#ifndef ISN_CLI_CONFFILE_H
#define ISN_CLI_CONFFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_DIR_DEFAULT "/etc/iscsi-nbd"
#define CONFIG_GLOBAL_NAME "iscsi-nbd" /* iscsi-nbd.conf */
#define CONFIG_MAX_PORTALS 8	       /* = PATH_MAX_PATHS */
#define CONFIG_MAX_LINE	   196	       /* inih's line buffer less CR, LF, NUL */

enum config_type {
	CONFIG_STRING,	 /* printable text, no spaces at either end */
	CONFIG_IQN,	 /* iqn.*, eui.* or naa.* name */
	CONFIG_PATH,	 /* absolute file name */
	CONFIG_UINT,	 /* decimal / 0x hex / K M G suffix, within [min, max] */
	CONFIG_DURATION, /* number with ms, s, m or h (bare: the key's unit) */
	CONFIG_ENUM,	 /* one of values[] */
	CONFIG_FAILBACK, /* immediate, manual or a number of seconds */
	CONFIG_DEVICE,	 /* /dev/nbdN, nbdN or N */
	CONFIG_PORTAL,	 /* HOST[:PORT][@IFACE], a list: one key per path */
	CONFIG_NAME,	 /* a short name (control socket, log): no '/', at most 48 bytes */
};

/* Key flags. */
#define CONFIG_F_LIST	  0x1	/* may repeat: each line adds one value */
#define CONFIG_F_SECRET	  0x2	/* names a secret file: shown, never read here */
#define CONFIG_F_ATTACH	  0x4	/* only used in mode = attach */
#define CONFIG_F_SERVE	  0x8	/* only used in mode = serve */
#define CONFIG_F_REQUIRED 0x10	/* needed to attach (after global + NAME) */
#define CONFIG_F_FRACTION 0x20	/* duration: option takes fractional seconds */
#define CONFIG_F_OPT_ZERO 0x40	/* the option also takes 0: the built-in default */
#define CONFIG_F_ZERO_1MS 0x80	/* a 0 is stored as 1 ms (a stored 0 means the default) */
#define CONFIG_F_NOCASE	  0x100 /* enum: any case on the command line and in files */
#define CONFIG_F_FLAG	  0x200 /* the option takes no argument: it means yes / true */
/*
 * A target option of the one-shot commands (inquiry, readcap, ..., pr):
 * their getopt entries, --help lines, checks and setter all come from the
 * rows with this flag (target.c). Its value goes to struct cli_target
 * (TGT()), or is only checked; the portal is the one exception, -P of a
 * one-shot command being one portal (cli_target.portal).
 */
#define CONFIG_F_ONESHOT   0x400
#define CONFIG_F_DISCOVERY 0x800 /* discover takes it too: about the login, not the LUN */

/*
 * Where a row's value lands, through the one setter (optset.c) that both
 * the command line and a configuration file go through: the kind of
 * store, and the field (offsetof) in struct attach_cmd (cli/attach.h), or
 * its struct cli_target (the options every command that logs in shares).
 * A number of the command line is checked
 * against the row's range in the option's unit (k->unit for a duration);
 * the row's default is stored before the files and the command line.
 * A field inside attach_cmd.t (struct cli_target) is also where the
 * one-shot commands' target options go (target.c).
 */
enum config_store {
	CONFIG_STORE_NONE, /* nowhere: --config (attach_parse.c reads it), keys without option */
	CONFIG_STORE_U32,  /* a count, as given */
	CONFIG_STORE_MS,   /* a duration, in milliseconds */
	CONFIG_STORE_S,	   /* a duration, in seconds */
	CONFIG_STORE_SECD, /* a duration, in seconds as a double (--timeout) */
	CONFIG_STORE_STR,  /* const char *: the text itself (argv or the loaded file) */
	CONFIG_STORE_ENUM, /* an enum: the index in values[] (through enum_map if set) */
	CONFIG_STORE_BOOL, /* bool: a flag option, or yes / no in a file */
	CONFIG_STORE_DEV,  /* int32_t: N of /dev/nbdN */
	CONFIG_STORE_FAILBACK, /* struct path_policy_config: failback and its delay */
	CONFIG_STORE_PORTAL,   /* one path more (attach_cmd.portals) */
};

/* The --help block a row's option is listed in (0: from its section). */
enum config_block {
	CONFIG_BLOCK_SECTION,
	CONFIG_BLOCK_TARGET, /* [target] [auth] [iscsi]: every command that logs in */
	CONFIG_BLOCK_PATH,
	CONFIG_BLOCK_EXPORT, /* [attach]: Device options, [serve]: Server options */
	CONFIG_BLOCK_ACCESS, /* exclusive access (persistent reservations) */
	CONFIG_BLOCK_DAEMON,
};

/*
 * One row: a setting with its configuration key, its option, or both. A
 * row without name is an option only (a flag such as --foreground, or
 * --config); the dump, the example, --keys and the file parser skip it.
 */
struct config_key {
	const char *section;
	const char *name; /* the key; NULL: an option only */
	enum config_type type;
	unsigned int flags;
	uint64_t min, max; /* UINT: the value; DURATION: milliseconds */
	const char *unit;  /* DURATION: "s" or "ms", the option's unit and a bare number's */
	const char *const *values; /* ENUM: NULL-terminated */
	const int *enum_map;	   /* ENUM: the C value of each of values[] (NULL: its index) */
	const char *def;	   /* default, as it would be written; NULL: none / computed */
	const char *def_text;	   /* what the default is when def is NULL (docs) */
	const char *option;	   /* its long option (attach / serve; flagged: one-shot) */
	char shortopt;		   /* its one-letter option, or 0 */
	const char *help;
	/*
	 * The option in `--help`: its argument's name (NULL: none, or an
	 * enum's values a|b|c) and text,
	 * lines split by \n, each printed in the help column; "(default X)"
	 * is added from def. {rundir} and {confdir} stand for the run and
	 * configuration directories. NULL usage: not listed.
	 */
	const char *arg, *usage;
	enum config_block block;
	enum config_store store; /* with field: where the value goes */
	size_t field;		 /* offsetof(struct attach_cmd or struct cli_target, ...) */
};

extern const struct config_key config_keys[];
extern const size_t config_nkeys;

/* Where one value came from: file NULL means the table default. */
struct config_value {
	char *text; /* canonical text, as passed to the option; NULL: unset */
	const char *file;
	unsigned int line;
};

/* The values of a list key (portal, discovery), in file order. */
struct config_list {
	struct config_value v[CONFIG_MAX_PORTALS];
	unsigned int n;
};

struct config {
	char *name;		   /* NAME, for the control socket and the log */
	char *files[2];		   /* global (NULL if absent), NAME.conf */
	struct config_value *v;	   /* config_nkeys entries; list keys use lists[] */
	struct config_list *lists; /* config_nkeys entries; only list keys' are used */
};

/* $ISCSI_NBD_CONFDIR, else CONFIG_DIR_DEFAULT. */
const char *config_dir(void);

/*
 * Load the table defaults, the global file (if present) and NAME
 * (a name: config_dir()/NAME.conf; with a '/': that file). Checks every
 * value and that the keys needed to attach are there. Returns 0, or
 * -errno with a one-line message in err naming FILE:LINE, the key and
 * what is allowed. config_free() in both cases.
 */
int config_load(const char *name, struct config *c, char *err, size_t errlen);

/* Parse one file on top of c (tests); the same checks as config_load. */
int config_load_file(struct config *c, const char *path, char *err, size_t errlen);
void config_init(struct config *c);
void config_free(struct config *c);

/* The value of section.name (NULL: unset), and its key index (-1 unknown). */
const char *config_get(const struct config *c, const char *section, const char *name);
/* The values of a list key (empty for an unknown key). */
const struct config_list *config_get_list(const struct config *c, const char *section,
					  const char *name);
int config_key_index(const char *section, const char *name);

/* The effective configuration with where each value came from. */
void config_dump(const struct config *c, FILE *f);
/* A commented example file listing every key with its default. */
void config_example(FILE *f);

/*
 * SendTargets on every discovery portal of c; the portals offered for the
 * target (each once, at most CONFIG_MAX_PORTALS) into out[] (caller
 * frees each). Returns 0, or a cli_exit code after printing why.
 * (confdisc.c: it logs in, so it lives apart from the parser.)
 */
int config_discover(const struct config *c, char **out, unsigned int *n);

/* The row of a long option (NULL: none). */
const struct config_key *config_key_of_option(const char *option);

/*
 * Check text against row k, the one check of each kind of value: 0 with
 * *canon the canonical text (caller frees), or -EINVAL with what is wrong
 * and allowed in why (-ENOMEM). For files and the text options alike.
 */
int config_check(const struct config_key *k, const char *text, char **canon, char *why,
		 size_t whylen);
/* The index in k->values[] of text (CONFIG_F_NOCASE: any case), or -1. */
int config_enum_index(const struct config_key *k, const char *text);
/* The default of row k as its option takes it (a duration in the option's unit; "": none). */
void config_option_default(const struct config_key *k, char *buf, size_t len);

/*
 * --help (confout.c): one row's option and text, its default added, and
 * every row of a block (serve: without the attach-only rows, and the other
 * way round); rundir and confdir fill {rundir} and {confdir}.
 */
void config_usage_row(FILE *f, const struct config_key *k, const char *rundir, const char *confdir);
/*
 * One --help entry in that layout: -S, --OPTION ARG (shortopt 0, arg NULL:
 * none) in 29 columns, then text's lines (split by \n) from column 31.
 */
void config_usage_line(FILE *f, char shortopt, const char *option, const char *arg,
		       const char *text);
void config_usage_block(FILE *f, enum config_block b, bool serve, const char *rundir,
			const char *confdir);

#endif
