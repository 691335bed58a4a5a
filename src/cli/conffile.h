/*
 * Configuration files: /etc/iscsi-nbd/iscsi-nbd.conf (defaults for every
 * LUN) and /etc/iscsi-nbd/NAME.conf (one attached LUN), INI syntax read
 * with inih. The directory is $ISCSI_NBD_CONFDIR when set (tests).
 *
 * One table (config_keys[]) lists every key with its section, type, range,
 * default, the attach/serve option it stands for and a description. The
 * same table drives parsing, `iscsi-nbd config --dump`, the example file
 * (`iscsi-nbd config --example`, checked in as conf/example.conf) and the
 * key list of iscsi-nbd.conf(5); tests check that all of them agree. For
 * attach / serve it also gives the --help entries of the path, device and
 * server options, and the getopt entry, range, unit, default and target
 * field of every number option (attach_parse.c).
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

#include <getopt.h>
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
};

/* Key flags. */
#define CONFIG_F_LIST	  0x1  /* may repeat: each line adds one value */
#define CONFIG_F_SECRET	  0x2  /* names a secret file: shown, never read here */
#define CONFIG_F_ATTACH	  0x4  /* only used in mode = attach */
#define CONFIG_F_SERVE	  0x8  /* only used in mode = serve */
#define CONFIG_F_REQUIRED 0x10 /* needed to attach (after global + NAME) */
#define CONFIG_F_FRACTION 0x20 /* duration: option takes fractional seconds */
#define CONFIG_F_OPT_ZERO 0x40 /* the option also takes 0: the built-in default */
#define CONFIG_F_ZERO_1MS 0x80 /* a 0 is stored as 1 ms (a stored 0 means the default) */

/*
 * Where the attach / serve option of a number key lands in struct
 * export_config (cli/export.h), and in which unit: the option's number is
 * checked against the key's range in the option's unit (k->unit for a
 * duration) and stored there, and the key's default is stored there
 * before the command line is read. NONE: the option has its own handler.
 */
enum config_store {
	CONFIG_STORE_NONE,
	CONFIG_STORE_U32, /* a count, as given */
	CONFIG_STORE_MS,  /* a duration, in milliseconds */
	CONFIG_STORE_S,	  /* a duration, in seconds */
};

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	unsigned int flags;
	uint64_t min, max; /* UINT: the value; DURATION: milliseconds */
	const char *unit;  /* DURATION: "s" or "ms", the option's unit and a bare number's */
	const char *const *values; /* ENUM: NULL-terminated */
	const char *def;	   /* default, as it would be written; NULL: none / computed */
	const char *def_text;	   /* what the default is when def is NULL (docs) */
	const char *option;	   /* attach / serve long option it sets */
	const char *help;
	/*
	 * The option in `attach --help` / `serve --help`: its argument's name
	 * (NULL: none) and text, lines split by \n, each printed in the help
	 * column. NULL usage: the option is described by hand (attach_parse.c).
	 */
	const char *arg, *usage;
	enum config_store store; /* with field: where the option's number goes */
	size_t field;		 /* offsetof(struct export_config, ...) */
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
 * attach / serve --config NAME: build the argument vector the command
 * parses: argv[0], the options the configuration stands for, then the
 * command line unchanged (its options come later and so win). -P on the
 * command line drops the file's portals; with no portal but discovery
 * portals, SendTargets on them (config_discover) gives the portals. The
 * file's mode sets *serve.
 * opts / shortopts: the command's getopt table; config_opt is the val of
 * its "config" option. Without --config nothing changes. Returns 0 or a
 * cli_exit code after printing the problem. The new vector lives until
 * the process exits.
 */
/*
 * SendTargets on every discovery portal of c; the portals offered for the
 * target (each once, at most CONFIG_MAX_PORTALS) into out[] (caller
 * frees each). Returns 0, or a cli_exit code after printing why.
 * (confdisc.c: it logs in, so it lives apart from the parser.)
 */
int config_discover(const struct config *c, char **out, unsigned int *n);

int config_expand_args(int *argc, char ***argv, const struct option *opts, const char *shortopts,
		       int config_opt, bool *serve);

#endif
