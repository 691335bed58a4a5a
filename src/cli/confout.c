/*
 * What a loaded configuration becomes (conffile.h): the effective
 * configuration with where each value came from (config --dump), the
 * example file generated from the key table (config --example), and the
 * options of attach / serve --config. Reading and checking the files is
 * conffile.c's job; this side only reads the table and a struct config.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/conffile.h"
#include "cli/conffile_int.h"

/* ---- dump and example ---- */

void config_dump(const struct config *c, FILE *f)
{
	const char *section = "";
	size_t i, j;

	fprintf(f, "# Effective configuration of %s: table defaults < %s < %s\n", c->name,
		c->files[1] ? c->files[0] : "(no global file)",
		c->files[1] ? c->files[1] : c->files[0]);
	fprintf(f, "# Secret files are named, never read: their content is not shown.\n");
	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		if (strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(f, "\n[%s]\n", section);
		}
		if (k->flags & CONFIG_F_LIST) {
			const struct config_list *l = &c->lists[i];

			for (j = 0; j < l->n; j++)
				fprintf(f, "%s = %s\t# %s:%u\n", k->name, l->v[j].text,
					l->v[j].file, l->v[j].line);
			if (!l->n)
				fprintf(f, "# %s unset%s%s\n", k->name, k->def_text ? ": " : "",
					k->def_text ? k->def_text : "");
			continue;
		}
		if (!c->v[i].text) {
			fprintf(f, "# %s unset", k->name);
			if (k->def_text)
				fprintf(f, ": %s", k->def_text);
			fputc('\n', f);
		} else if (c->v[i].file) {
			fprintf(f, "%s = %s\t# %s:%u\n", k->name, c->v[i].text, c->v[i].file,
				c->v[i].line);
		} else {
			fprintf(f, "%s = %s\t# default\n", k->name, c->v[i].text);
		}
	}
}

static void comment_wrapped(FILE *f, const char *text)
{
	size_t col = 0;
	const char *p = text;

	fputs("#", f);
	while (*p) {
		size_t w = strcspn(p, " ");

		if (col + w + 1 > 74 && col) {
			fputs("\n#", f);
			col = 0;
		}
		fprintf(f, " %.*s", (int)w, p);
		col += w + 1;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

void config_example(FILE *f)
{
	const char *section = "";
	size_t i;

	fprintf(f, "# iscsi-nbd example configuration, generated from the key table\n"
		   "# (iscsi-nbd config --example). Copy it to /etc/iscsi-nbd/NAME.conf for one\n"
		   "# LUN (then: systemctl enable --now iscsi-nbd@NAME), or keep the defaults\n"
		   "# common to every LUN in /etc/iscsi-nbd/iscsi-nbd.conf. Every key is\n"
		   "# described in iscsi-nbd.conf(5); lines starting with # or ; are comments.\n"
		   "# Precedence: defaults < iscsi-nbd.conf < NAME.conf < command line.\n");
	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		if (strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(f, "\n[%s]\n", section);
		}
		comment_wrapped(f, k->help);
		/* Written out: the example is a valid file (tests check it). */
		if ((k->flags & CONFIG_F_REQUIRED) || strcmp(k->name, "portal") == 0) {
			if (k->type == CONFIG_PORTAL)
				fprintf(f, "%s = 192.0.2.10\n%s = 198.51.100.10:3260@eth1\n",
					k->name, k->name);
			else
				fprintf(f, "%s = iqn.2026-01.com.example:store\n", k->name);
			continue;
		}
		if (k->def) {
			fprintf(f, "#%s = %s\n", k->name, k->def);
			continue;
		}
		if (k->def_text) {
			char line[300];

			snprintf(line, sizeof(line), "default: %s", k->def_text);
			comment_wrapped(f, line);
		}
		fprintf(f, "#%s =\n", k->name);
	}
}

/* ---- attach / serve --config ---- */

/* The option's argument for a checked canonical value (durations in the option's unit). */
static void option_value(const struct config_key *k, const char *text, char *buf, size_t len)
{
	uint64_t ms;

	if (k->type != CONFIG_DURATION || config_parse_duration(text, k->unit, &ms) < 0) {
		snprintf(buf, len, "%s", text);
		return;
	}
	if (strcmp(k->unit, "ms") == 0)
		snprintf(buf, len, "%llu", (unsigned long long)ms);
	else if (ms % 1000)
		snprintf(buf, len, "%llu.%03llu", (unsigned long long)(ms / 1000),
			 (unsigned long long)(ms % 1000));
	else
		snprintf(buf, len, "%llu", (unsigned long long)(ms / 1000));
}

/*
 * The last vector built, kept for the process's life (options point into
 * it; a static root also keeps leak checkers quiet). Entries 1 to
 * expanded_nalloc are ours; the rest are the caller's.
 */
static char **expanded_argv;
static int expanded_nalloc;

static void expanded_free(void)
{
	int j;

	if (!expanded_argv)
		return;
	for (j = 1; j <= expanded_nalloc; j++)
		free(expanded_argv[j]);
	free(expanded_argv);
	expanded_argv = NULL;
	expanded_nalloc = 0;
}

static int find_opt_val(const struct option *opts, const char *name)
{
	for (; opts->name; opts++)
		if (strcmp(opts->name, name) == 0)
			return opts->val;
	return -1;
}

static int find_opt_has_arg(const struct option *opts, const char *name)
{
	for (; opts->name; opts++)
		if (strcmp(opts->name, name) == 0)
			return opts->has_arg;
	return -1;
}

/*
 * Find --config and -P with the command's own table (abbreviations,
 * clusters), without consuming argv. Returns 0 or a cli_exit code.
 */
static int scan_config_opt(int n, char **argv, const struct option *opts, const char *shortopts,
			   int config_opt, const char **cfgname, bool *user_portal)
{
	int saved_opterr = opterr, opt_p = find_opt_val(opts, "portal"), o;
	char **scan = calloc((size_t)n + 1, sizeof(*scan));

	if (!scan) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	memcpy(scan, argv, (size_t)n * sizeof(*scan));
	opterr = 0;
	optind = 0;
	while ((o = getopt_long(n, scan, shortopts, opts, NULL)) != -1) {
		if (o == config_opt) {
			if (*cfgname) {
				free(scan);
				opterr = saved_opterr;
				optind = 0;
				cli_err("--config given twice");
				return CLI_EXIT_USAGE;
			}
			*cfgname = optarg;
		} else if (o == opt_p) {
			*user_portal = true;
		}
	}
	free(scan);
	opterr = saved_opterr;
	optind = 0;
	return 0;
}

/* The rebuilt argv being filled: expanded_argv, words 1 .. n-1 owned by it. */
struct argv_out {
	char **v;
	int n;
};

/* Append a word the array now owns (NULL: out of memory, said here). */
static int out_push(struct argv_out *o, char *word)
{
	o->v[o->n++] = word;
	expanded_nalloc = o->n - 1;
	if (!word) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	return 0;
}

/* Append "--opt" and, unless val is NULL, a copy of val. */
static int out_add(struct argv_out *o, const char *opt, const char *val)
{
	char *a = NULL;
	char *b = val ? strdup(val) : NULL;

	if (asprintf(&a, "--%s", opt) < 0 || (val && !b)) {
		free(b);
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	o->v[o->n++] = a;
	if (val)
		o->v[o->n++] = b;
	expanded_nalloc = o->n - 1;
	return 0;
}

/* The keys a file set that have an option of this command (serve or attach). */
static int add_key_args(const struct config *c, const struct option *opts, bool serve,
			struct argv_out *o)
{
	char val[64];
	size_t k;
	int code;

	for (k = 0; k < config_nkeys; k++) {
		const struct config_key *key = &config_keys[k];

		if (!key->option || (key->flags & CONFIG_F_LIST))
			continue;
		if ((key->flags & CONFIG_F_ATTACH) && serve)
			continue;
		if ((key->flags & CONFIG_F_SERVE) && !serve)
			continue;
		/* Defaults equal the command's own: pass only what a file set. */
		if (!c->v[k].text || !c->v[k].file)
			continue;
		/* A yes/no key of an option without argument: the bare option, or nothing. */
		if (find_opt_has_arg(opts, key->option) == no_argument) {
			if (strcmp(c->v[k].text, "yes") != 0)
				continue;
			code = out_add(o, key->option, NULL);
		} else {
			option_value(key, c->v[k].text, val, sizeof(val));
			code = out_add(o, key->option,
				       key->type == CONFIG_DURATION ? val : c->v[k].text);
		}
		if (code)
			return code;
	}
	return 0;
}

/* The file's portals, or those its discovery finds when it lists none. */
static int add_portal_args(struct config *c, struct argv_out *o)
{
	const struct config_list *pl = config_get_list(c, "target", "portal");
	char *found[CONFIG_MAX_PORTALS];
	unsigned int nfound = 0;
	size_t k;
	int rc;

	for (k = 0; k < pl->n; k++)
		if ((rc = out_add(o, "portal", pl->v[k].text)) != 0)
			return rc;
	if (pl->n)
		return 0;
	rc = config_discover(c, found, &nfound);
	if (rc)
		return rc;
	for (k = 0; k < nfound; k++) {
		o->v[o->n++] = strdup("--portal");
		if ((rc = out_push(o, found[k])) != 0)
			return rc;
		if (!o->v[o->n - 2]) {
			cli_err("out of memory");
			return CLI_EXIT_LOCAL;
		}
	}
	return 0;
}

int config_expand_args(int *argc, char ***argv, const struct option *opts, const char *shortopts,
		       int config_opt, bool *serve)
{
	const char *cfgname = NULL;
	bool user_portal = false;
	struct argv_out o;
	struct config c;
	char err[600];
	int n = *argc, code;

	code = scan_config_opt(n, *argv, opts, shortopts, config_opt, &cfgname, &user_portal);
	if (code || !cfgname)
		return code;
	if (config_load(cfgname, &c, err, sizeof(err)) < 0) {
		cli_err("%s", err);
		config_free(&c);
		return CLI_EXIT_USAGE;
	}
	/* argv[0], two words per key, the portals, --name, the command line, NULL. */
	o.v = calloc((size_t)n + 2 * (config_nkeys + CONFIG_MAX_PORTALS + 1) + 2, sizeof(*o.v));
	if (!o.v) {
		config_free(&c);
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	/* A second expansion (tests) replaces the first; on errors out stays reachable. */
	expanded_free();
	expanded_argv = o.v;
	*serve = strcmp(config_get(&c, "daemon", "mode"), "serve") == 0;
	o.n = 0;
	o.v[o.n++] = (*argv)[0];
	code = add_key_args(&c, opts, *serve, &o);
	if (!code && !user_portal)
		code = add_portal_args(&c, &o);
	if (!code && !config_get(&c, "daemon", "name"))
		code = out_add(&o, "name", c.name);
	config_free(&c);
	if (code)
		return code;
	memcpy(o.v + o.n, *argv + 1, (size_t)(n - 1) * sizeof(*o.v));
	o.n += n - 1;
	o.v[o.n] = NULL;
	*argc = o.n;
	*argv = o.v;
	return 0;
}
