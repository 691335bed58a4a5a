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

int config_expand_args(int *argc, char ***argv, const struct option *opts, const char *shortopts,
		       int config_opt, bool *serve)
{
	char **scan, **out;
	const char *cfgname = NULL;
	bool user_portal = false;
	struct config c;
	char err[600];
	int n = *argc, i, o, opt_p = find_opt_val(opts, "portal");
	size_t k;
	int saved_opterr = opterr;
	char val[64];

	/* Find --config and -P with the command's own table (abbreviations, clusters). */
	scan = calloc((size_t)n + 1, sizeof(*scan));
	if (!scan) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	memcpy(scan, *argv, (size_t)n * sizeof(*scan));
	opterr = 0;
	optind = 0;
	while ((o = getopt_long(n, scan, shortopts, opts, NULL)) != -1) {
		if (o == config_opt) {
			if (cfgname) {
				free(scan);
				opterr = saved_opterr;
				optind = 0;
				cli_err("--config given twice");
				return CLI_EXIT_USAGE;
			}
			cfgname = optarg;
		} else if (o == opt_p) {
			user_portal = true;
		}
	}
	free(scan);
	opterr = saved_opterr;
	optind = 0;
	if (!cfgname)
		return 0;

	if (config_load(cfgname, &c, err, sizeof(err)) < 0) {
		cli_err("%s", err);
		config_free(&c);
		return CLI_EXIT_USAGE;
	}
	/* argv[0], two words per key, the portals, --name, the command line, NULL. */
	out = calloc((size_t)n + 2 * (config_nkeys + CONFIG_MAX_PORTALS + 1) + 2, sizeof(*out));
	if (!out) {
		config_free(&c);
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	/* A second expansion (tests) replaces the first; on errors out stays reachable. */
	expanded_free();
	expanded_argv = out;
	*serve = strcmp(config_get(&c, "daemon", "mode"), "serve") == 0;
	i = 0;
	out[i++] = (*argv)[0];
#define ADD(opt, val)                                                                              \
	do {                                                                                       \
		char *a_ = NULL, *b_ = strdup(val);                                                \
		if (asprintf(&a_, "--%s", opt) < 0 || !b_) {                                       \
			free(b_);                                                                  \
			config_free(&c);                                                           \
			cli_err("out of memory");                                                  \
			return CLI_EXIT_LOCAL;                                                     \
		}                                                                                  \
		out[i++] = a_;                                                                     \
		out[i++] = b_;                                                                     \
		expanded_nalloc = i - 1;                                                           \
	} while (0)
	for (k = 0; k < config_nkeys; k++) {
		const struct config_key *key = &config_keys[k];

		if (!key->option || (key->flags & CONFIG_F_LIST))
			continue;
		if ((key->flags & CONFIG_F_ATTACH) && *serve)
			continue;
		if ((key->flags & CONFIG_F_SERVE) && !*serve)
			continue;
		/* Defaults equal the command's own: pass only what a file set. */
		if (!c.v[k].text || !c.v[k].file)
			continue;
		/* A yes/no key of an option without argument: the bare option, or nothing. */
		if (find_opt_has_arg(opts, key->option) == no_argument) {
			char *a_ = NULL;

			if (strcmp(c.v[k].text, "yes") != 0)
				continue;
			if (asprintf(&a_, "--%s", key->option) < 0) {
				config_free(&c);
				cli_err("out of memory");
				return CLI_EXIT_LOCAL;
			}
			out[i++] = a_;
			expanded_nalloc = i - 1;
			continue;
		}
		option_value(key, c.v[k].text, val, sizeof(val));
		ADD(key->option, key->type == CONFIG_DURATION ? val : c.v[k].text);
	}
	if (!user_portal) {
		const struct config_list *pl = config_get_list(&c, "target", "portal");
		char *found[CONFIG_MAX_PORTALS];
		unsigned int nfound = 0;
		int rc;

		for (k = 0; k < pl->n; k++)
			ADD("portal", pl->v[k].text);
		if (!pl->n) {
			rc = config_discover(&c, found, &nfound);
			if (rc) {
				config_free(&c);
				return rc;
			}
			for (k = 0; k < nfound; k++) {
				out[i++] = strdup("--portal");
				out[i++] = found[k];
				expanded_nalloc = i - 1;
				if (!out[i - 2]) {
					config_free(&c);
					cli_err("out of memory");
					return CLI_EXIT_LOCAL;
				}
			}
		}
	}
	if (!config_get(&c, "daemon", "name"))
		ADD("name", c.name);
#undef ADD
	memcpy(out + i, *argv + 1, (size_t)(n - 1) * sizeof(*out));
	i += n - 1;
	out[i] = NULL;
	config_free(&c);
	*argc = i;
	*argv = out;
	return 0;
}
