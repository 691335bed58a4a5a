/*
 * What a loaded configuration becomes (conffile.h): the effective
 * configuration with where each value came from (config --dump), the
 * example file generated from the key table (config --example), and the
 * --help blocks of the options. Reading and checking the files is
 * conffile.c's job; this side only reads the table and a struct config.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/conffile.h"
#include "cli/conffile_int.h"

/* ---- dump and example ---- */

/*
 * Key i of the table if it belongs in a file (NULL for an option only),
 * after the [section] header when it opens a new section.
 */
static const struct config_key *file_key(FILE *f, size_t i, const char **section)
{
	const struct config_key *k = &config_keys[i];

	if (!k->name)
		return NULL;
	if (strcmp(*section, k->section) != 0) {
		*section = k->section;
		fprintf(f, "\n[%s]\n", *section);
	}
	return k;
}

void config_dump(const struct config *c, FILE *f)
{
	const char *section = "";
	size_t i, j;

	fprintf(f, "# Effective configuration of %s: table defaults < %s < %s\n", c->name,
		c->files[1] ? c->files[0] : "(no global file)",
		c->files[1] ? c->files[1] : c->files[0]);
	fprintf(f, "# Secret files are named, never read: their content is not shown.\n");
	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = file_key(f, i, &section);

		if (!k)
			continue; /* an option only */
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
		const struct config_key *k = file_key(f, i, &section);

		if (!k)
			continue; /* an option only */
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

/* ---- --help ---- */

void config_option_default(const struct config_key *k, char *buf, size_t len)
{
	uint64_t v;

	buf[0] = 0;
	if (!k->def)
		return;
	if (k->type == CONFIG_DURATION && config_parse_duration(k->def, k->unit, &v) == 0) {
		if (strcmp(k->unit, "ms") == 0)
			snprintf(buf, len, "%llu", (unsigned long long)v);
		else if (v % 1000)
			snprintf(buf, len, "%llu.%03llu", (unsigned long long)(v / 1000),
				 (unsigned long long)(v % 1000));
		else
			snprintf(buf, len, "%llu", (unsigned long long)(v / 1000));
	} else if (k->type == CONFIG_UINT && cli_parse_u64(k->def, &v) == 0) {
		snprintf(buf, len, "%llu", (unsigned long long)v);
	} else {
		snprintf(buf, len, "%s", k->def);
	}
}

/* The block a row's option is listed in. */
static enum config_block block_of(const struct config_key *k)
{
	if (k->block != CONFIG_BLOCK_SECTION)
		return k->block;
	if (strcmp(k->section, "path") == 0)
		return CONFIG_BLOCK_PATH;
	if (strcmp(k->section, "attach") == 0 || strcmp(k->section, "serve") == 0)
		return CONFIG_BLOCK_EXPORT;
	if (strcmp(k->section, "daemon") == 0)
		return CONFIG_BLOCK_DAEMON;
	return CONFIG_BLOCK_TARGET;
}

/* The usage text with {rundir} and {confdir} filled in and the default added. */
static void usage_text(const struct config_key *k, const char *rundir, const char *confdir,
		       char *out, size_t len)
{
	const char *p = k->usage, *last;
	char def[64], suffix[80];
	size_t n = 0;

	while (*p && n + 1 < len) {
		if (strncmp(p, "{rundir}", 8) == 0 || strncmp(p, "{confdir}", 9) == 0) {
			bool run = p[1] == 'r';

			n += (size_t)snprintf(out + n, len - n, "%s", run ? rundir : confdir);
			p += run ? 8 : 9;
			continue;
		}
		out[n++] = *p++;
	}
	out[n < len ? n : len - 1] = 0;
	config_option_default(k, def, sizeof(def));
	if (!def[0] || (k->flags & CONFIG_F_FLAG))
		return;
	last = strrchr(out, '\n');
	last = last ? last + 1 : out;
	/* On the last line if it fits in 79 columns, else a line of its own. */
	snprintf(suffix, sizeof(suffix), "%s(default %s)",
		 strlen(last) + strlen(def) < 37 ? " " : "\n", def);
	n = strlen(out);
	snprintf(out + n, len - n, "%s", suffix);
}

/* The option's argument: its name, else an enum's values as a|b|c (completion offers them). */
static void usage_arg(const struct config_key *k, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = 0;
	if (k->arg)
		snprintf(buf, len, "%s", k->arg);
	else if (k->type == CONFIG_ENUM && !(k->flags & CONFIG_F_FLAG))
		for (i = 0; k->values[i] && n < len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "|" : "", k->values[i]);
}

void config_usage_row(FILE *f, const struct config_key *k, const char *rundir, const char *confdir)
{
	char arg[120], text[600];

	usage_arg(k, arg, sizeof(arg));
	usage_text(k, rundir, confdir, text, sizeof(text));
	config_usage_line(f, k->shortopt, k->option, arg, text);
}

void config_usage_line(FILE *f, char shortopt, const char *option, const char *arg,
		       const char *text)
{
	char opt[160];
	const char *p;
	int w;

	if (shortopt)
		w = snprintf(opt, sizeof(opt), "-%c, --%s", shortopt, option);
	else
		w = snprintf(opt, sizeof(opt), "    --%s", option);
	if (arg && *arg && w > 0 && (size_t)w < sizeof(opt))
		snprintf(opt + w, sizeof(opt) - (size_t)w, " %s", arg);
	/* The option and its argument in 29 columns, the text from column 31. */
	if (strlen(opt) > 27)
		fprintf(f, "  %s\n%31s", opt, "");
	else
		fprintf(f, "  %-29s", opt);
	for (p = text; *p;) {
		size_t n = strcspn(p, "\n");

		fprintf(f, "%.*s\n", (int)n, p);
		p += n;
		if (*p == '\n' && *++p)
			fprintf(f, "%31s", "");
	}
}

void config_usage_block(FILE *f, enum config_block b, bool serve, const char *rundir,
			const char *confdir)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		if (k->option && k->usage && block_of(k) == b &&
		    !(k->flags & (serve ? CONFIG_F_ATTACH : CONFIG_F_SERVE)))
			config_usage_row(f, k, rundir, confdir);
	}
}
