/*
 * Configuration files (conffile.h): checking values and parsing with
 * inih, and the one check of each kind of value, which the command line
 * uses too (optset.c); the table is in confkeys.c. What a loaded
 * configuration is turned into (the dump, the example file) and the
 * --help blocks are in confout.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "cli/cli.h"
#include "cli/conffile.h"
#include "cli/conffile_int.h"
#include "path/policy.h"
#include "session/iscsi_name.h"
#include "util/compiler.h"

const char *config_dir(void)
{
	const char *d = getenv("ISCSI_NBD_CONFDIR");

	return d && *d ? d : CONFIG_DIR_DEFAULT;
}

int config_key_index(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++)
		if (config_keys[i].name && strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return (int)i;
	return -1;
}

const struct config_key *config_key_of_option(const char *option)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++)
		if (config_keys[i].option && strcmp(config_keys[i].option, option) == 0)
			return &config_keys[i];
	return NULL;
}

static const struct config_key *key_of(const char *section, const char *name)
{
	int i = config_key_index(section, name);

	return i < 0 ? NULL : &config_keys[i];
}

/*
 * The sections of a file are those of the table's keys (a row without a
 * name is an option only, it has no place in a file), in table order:
 * confout.c's file_key writes their headers from the same rows.
 */
static bool section_known(const char *section)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++)
		if (config_keys[i].name && strcmp(config_keys[i].section, section) == 0)
			return true;
	return false;
}

/* The sections for a message: "[target], [auth], ...[serve]<last>[daemon]". */
static void section_list(char *buf, size_t len, const char *last)
{
	const char *prev = "", *final = "";
	size_t i, n = 0;

	for (i = 0; i < config_nkeys; i++)
		if (config_keys[i].name)
			final = config_keys[i].section;
	buf[0] = 0;
	for (i = 0; i < config_nkeys && n < len; i++) {
		const char *s = config_keys[i].section, *sep;

		if (!config_keys[i].name || strcmp(s, prev) == 0)
			continue;
		prev = s;
		sep = !n ? "" : strcmp(s, final) == 0 ? last : ", ";
		n += (size_t)snprintf(buf + n, len - n, "%s[%s]", sep, s);
	}
}

/* ---- values ---- */

int config_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* "15", "15s", "500ms", "2m", "1h", "0.5s" into milliseconds. */
int config_parse_duration(const char *s, const char *unit, uint64_t *ms)
{
	char *end;
	double v;
	double mult = strcmp(unit, "s") == 0 ? 1000 : 1;

	if (!*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mult = 60000;
	else if (strcmp(end, "h") == 0)
		mult = 3600000;
	else if (*end)
		return -EINVAL;
	v *= mult;
	if (v > 1e12 || v != (double)(uint64_t)v)
		return -ERANGE; /* finer than a millisecond, or absurd */
	*ms = (uint64_t)v;
	return 0;
}

/* HOST[:PORT][@IFACE|@ADDR], checked for shape only: names resolve at attach time. */
static int check_portal(const char *s, char *why, size_t whylen)
{
	const char *at = strrchr(s, '@');
	size_t hostlen = at ? (size_t)(at - s) : strlen(s);
	const char *colon;

	if (hostlen == 0)
		return config_err(why, whylen, "no host before '@'");
	/* An interface name has at most 15 characters; a source address up to 47 ("[v6]"). */
	if (at && (!at[1] || strlen(at + 1) > 47 || strchr(at + 1, '/') || strchr(at + 1, ' ')))
		return config_err(why, whylen,
				  "bad interface name or source address after '@' (at most 15 / 47 "
				  "characters)");
	if (memchr(s, ' ', hostlen) || memchr(s, '\t', hostlen))
		return config_err(why, whylen, "spaces in the address");
	if (s[0] == '[') {
		const char *rb = memchr(s, ']', hostlen);

		if (!rb)
			return config_err(why, whylen, "'[' without ']'");
		colon = rb + 1 < s + hostlen ? rb + 1 : NULL;
		if (colon && *colon != ':')
			return config_err(why, whylen, "only :PORT may follow ']'");
	} else {
		colon = memchr(s, ':', hostlen);
		/* Several colons without brackets: a bare IPv6 address, no port. */
		if (colon && memchr(colon + 1, ':', hostlen - (size_t)(colon + 1 - s)))
			colon = NULL;
	}
	if (colon) {
		const char *p = colon + 1;
		unsigned long port = 0;

		if (p == s + hostlen)
			return config_err(why, whylen, "no port after ':'");
		for (; p < s + hostlen && *p != ','; p++) {
			if (!isdigit((unsigned char)*p))
				return config_err(why, whylen, "the port is not a number");
			port = port * 10 + (unsigned long)(*p - '0');
			if (port > 65535)
				break;
		}
		if (port == 0 || port > 65535)
			return config_err(why, whylen, "port out of range 1-65535");
	}
	return 0;
}

/* Canonical text of a duration: whole seconds as "Ns", else "Nms". */
static void format_ms(char *buf, size_t len, uint64_t ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%llus", (unsigned long long)(ms / 1000));
	else
		snprintf(buf, len, "%llums", (unsigned long long)ms);
}

static void allowed_values(const struct config_key *k, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; k->values && k->values[i] && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", k->values[i]);
}

/* A duration in k's range and unit; canonical: "15s" or "500ms". */
static int check_duration(const struct config_key *k, const char *text, char **canon, char *why,
			  size_t whylen)
{
	uint64_t unit = strcmp(k->unit, "s") == 0 ? 1000 : 1;
	char lo[32], hi[32], buf[64];
	uint64_t v;

	format_ms(lo, sizeof(lo), k->min);
	format_ms(hi, sizeof(hi), k->max);
	if (config_parse_duration(text, k->unit, &v) < 0 || v < k->min || v > k->max ||
	    (v % unit && !(k->flags & CONFIG_F_FRACTION)))
		return config_err(why, whylen,
				  "give a duration from %s to %s%s: a number with ms, s, m "
				  "or h (a bare number is in %s)",
				  lo, hi,
				  unit > 1 && !(k->flags & CONFIG_F_FRACTION) ? " in whole seconds"
									      : "",
				  strcmp(k->unit, "s") == 0 ? "seconds" : "milliseconds");
	format_ms(buf, sizeof(buf), v);
	*canon = strdup(buf);
	return *canon ? 0 : -ENOMEM;
}

/* /dev/nbdN, nbdN or N up to k->max; canonical: "/dev/nbdN". */
static int check_device(const struct config_key *k, const char *text, char **canon, char *why,
			size_t whylen)
{
	const char *p = text;
	char *end, buf[64];
	long idx;

	if (strncmp(p, "/dev/", 5) == 0)
		p += 5;
	if (strncmp(p, "nbd", 3) == 0)
		p += 3;
	errno = 0;
	idx = strtol(p, &end, 10);
	if (!isdigit((unsigned char)*p) || *end || errno || idx < 0 || idx > (long)k->max)
		return config_err(why, whylen, "give /dev/nbdN (N from 0 to %llu)",
				  (unsigned long long)k->max);
	snprintf(buf, sizeof(buf), "/dev/nbd%ld", idx);
	*canon = strdup(buf);
	return *canon ? 0 : -ENOMEM;
}

int config_enum_index(const struct config_key *k, const char *text)
{
	int i;

	for (i = 0; k->values[i]; i++)
		if ((k->flags & CONFIG_F_NOCASE) ? strcasecmp(text, k->values[i]) == 0
						 : strcmp(text, k->values[i]) == 0)
			return i;
	return -1;
}

/* A value of several kinds: a name, an enum, a failback (canonical: as given / as listed). */
static int check_text(const struct config_key *k, const char *text, char **canon, char *why,
		      size_t whylen)
{
	enum path_failback fb;
	uint32_t delay;
	int i;

	switch (k->type) {
	case CONFIG_NAME:
		if (strchr(text, '/') || strlen(text) > 48)
			return config_err(why, whylen,
					  "give a short name without '/' (at most 48 bytes)");
		break;
	case CONFIG_ENUM:
		i = config_enum_index(k, text);
		if (i < 0) {
			char list[160];

			allowed_values(k, list, sizeof(list));
			return config_err(why, whylen, "give one of: %s", list);
		}
		text = k->values[i];
		break;
	case CONFIG_FAILBACK:
		if (!isdigit((unsigned char)*text) && strcmp(text, "immediate") &&
		    strcmp(text, "manual"))
			return config_err(
				why, whylen,
				"give immediate, manual or a number of seconds (0-86400)");
		if (path_failback_parse(text, &fb, &delay) < 0)
			return config_err(
				why, whylen,
				"give immediate, manual or a number of seconds (0-86400)");
		break;
	default:
		break;
	}
	*canon = strdup(text);
	return *canon ? 0 : -ENOMEM;
}

int config_check(const struct config_key *k, const char *text, char **canon, char *why,
		 size_t whylen)
{
	char buf[64];
	uint64_t v;

	*canon = NULL;
	if (!*text)
		return config_err(why, whylen, "empty value");
	if (!printable(text))
		return config_err(why, whylen, "give printable text (no control characters)");
	switch (k->type) {
	case CONFIG_STRING:
		if (strchr(text, ' ') && k->option && strcmp(k->option, "listen") == 0)
			return config_err(why, whylen, "give HOST:PORT without spaces");
		break;
	case CONFIG_IQN: {
		const char *bad;

		if (iscsi_name_check(text, strlen(text), &bad) < 0)
			return config_err(
				why, whylen,
				"give an iSCSI name: iqn.YYYY-MM.reversed.domain[:id], "
				"eui.HEX (16 digits) or naa.HEX (16 or 32 digits), at most "
				"223 bytes; this one: %s",
				bad);
		break;
	}
	case CONFIG_PATH:
		if (text[0] != '/')
			return config_err(why, whylen,
					  "give an absolute file name (starting with /)");
		break;
	case CONFIG_UINT:
		if (cli_parse_u64(text, &v) < 0 || v < k->min || v > k->max)
			return config_err(why, whylen, "give a whole number from %llu to %llu",
					  (unsigned long long)k->min, (unsigned long long)k->max);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
		*canon = strdup(buf);
		return *canon ? 0 : -ENOMEM;
	case CONFIG_DURATION:
		return check_duration(k, text, canon, why, whylen);
	case CONFIG_NAME:
	case CONFIG_ENUM:
	case CONFIG_FAILBACK:
		return check_text(k, text, canon, why, whylen);
	case CONFIG_DEVICE:
		return check_device(k, text, canon, why, whylen);
	case CONFIG_PORTAL:
		if (check_portal(text, buf, sizeof(buf)) < 0)
			return config_err(why, whylen,
					  "%s: give HOST[:PORT][@IFACE], e.g. 192.0.2.10, "
					  "192.0.2.10:3260@eth1 or [2001:db8::1]:3260",
					  buf);
		break;
	}
	*canon = strdup(text);
	return *canon ? 0 : -ENOMEM;
}

/* ---- parsing ---- */

struct parse_ctx {
	struct config *c;
	const char *file; /* stored in c->files: outlives the parse */
	FILE *f;
	unsigned int line; /* the line inih is handling */
	bool at_line_start;
	unsigned int long_line;	      /* first line too long for inih, 0 none */
	unsigned char list_reset[64]; /* per key: this file set it, the lower list dropped */
	char *err;
	size_t errlen;
	int rc;
};

/* fgets for inih that counts lines, so values and errors know theirs. */
static char *reader(char *str, int num, void *stream)
{
	struct parse_ctx *p = stream;
	char *r;
	size_t len;

	if (p->at_line_start)
		p->line++;
	r = fgets(str, num, p->f);
	if (!r)
		return NULL;
	len = strlen(str);
	p->at_line_start = len > 0 && str[len - 1] == '\n';
	if (!p->at_line_start && !feof(p->f) && !p->long_line)
		p->long_line = p->line;
	return r;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *p = user;
	struct config *c = p->c;
	const struct config_key *k;
	struct config_value *slot;
	char why[300], sections[128];
	char *canon;
	size_t i;
	int rc;

	if (p->rc)
		return 0;
	if (!*section) {
		section_list(sections, sizeof(sections), " or ");
		p->rc = config_err(p->err, p->errlen,
				   "%s:%u: '%s' is outside a section: put it under %s", p->file,
				   p->line, name, sections);
		return 0;
	}
	if (!section_known(section)) {
		section_list(sections, sizeof(sections), " and ");
		p->rc = config_err(p->err, p->errlen,
				   "%s:%u: unknown section [%s]: the sections are %s", p->file,
				   p->line, section, sections);
		return 0;
	}
	k = key_of(section, name);
	if (!k) {
		char list[400];
		size_t n = 0;
		const char *hint = "";

		list[0] = 0;
		for (i = 0; i < config_nkeys; i++)
			if (config_keys[i].name && strcmp(config_keys[i].section, section) == 0 &&
			    n < sizeof(list))
				n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
						      n ? ", " : "", config_keys[i].name);
		if (strstr(name, "secret") || strstr(name, "password"))
			hint = " (secrets are never written in the configuration: put the secret "
			       "in a file of mode 0600 and name it with chap_secret_file)";
		p->rc = config_err(p->err, p->errlen,
				   "%s:%u: unknown key '%s' in [%s]%s; [%s] has: %s", p->file,
				   p->line, name, section, hint, section, list);
		return 0;
	}
	rc = config_check(k, value, &canon, why, sizeof(why));
	if (rc == -ENOMEM) {
		p->rc = config_err(p->err, p->errlen, "out of memory");
		return 0;
	}
	if (rc < 0) {
		/* Never echo control characters to a terminal. */
		p->rc = config_err(p->err, p->errlen, "%s:%u: [%s] %s = %s: %s", p->file, p->line,
				   section, name, printable(value) ? value : "(unprintable)", why);
		return 0;
	}
	if (k->flags & CONFIG_F_LIST) {
		struct config_list *l = &c->lists[k - config_keys];

		if (!p->list_reset[k - config_keys]) {
			/* The first value of this file replaces the lower file's list. */
			for (i = 0; i < l->n; i++)
				free(l->v[i].text);
			l->n = 0;
			p->list_reset[k - config_keys] = 1;
		}
		if (l->n == CONFIG_MAX_PORTALS) {
			free(canon);
			p->rc = config_err(p->err, p->errlen,
					   "%s:%u: [%s] %s: at most %d (one per path)", p->file,
					   p->line, section, name, CONFIG_MAX_PORTALS);
			return 0;
		}
		slot = &l->v[l->n++];
	} else {
		slot = &c->v[k - config_keys];
		if (slot->file == p->file) {
			free(canon);
			p->rc = config_err(p->err, p->errlen,
					   "%s:%u: [%s] %s is already set at line %u (or a value "
					   "continues on an indented line)",
					   p->file, p->line, section, name, slot->line);
			return 0;
		}
		free(slot->text);
	}
	slot->text = canon;
	slot->file = p->file;
	slot->line = p->line;
	return 1;
}

void config_init(struct config *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->v = calloc(config_nkeys, sizeof(*c->v));
	c->lists = calloc(config_nkeys, sizeof(*c->lists));
	if (!c->v || !c->lists) {
		free(c->v);
		free(c->lists);
		c->v = NULL;
		c->lists = NULL;
		return;
	}
	for (i = 0; i < config_nkeys; i++)
		if (config_keys[i].def) {
			char why[200];

			/* Defaults go through the same check: the table cannot lie. */
			if (config_check(&config_keys[i], config_keys[i].def, &c->v[i].text, why,
					 sizeof(why)) < 0)
				abort();
		}
}

void config_free(struct config *c)
{
	size_t i, j;

	for (i = 0; c->v && i < config_nkeys; i++) {
		free(c->v[i].text);
		for (j = 0; j < c->lists[i].n; j++)
			free(c->lists[i].v[j].text);
	}
	free(c->lists);
	free(c->v);
	free(c->files[0]);
	free(c->files[1]);
	free(c->name);
	memset(c, 0, sizeof(*c));
}

int config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
	struct parse_ctx p = {.c = c, .at_line_start = true, .err = err, .errlen = errlen};
	char **slot = c->files[0] ? &c->files[1] : &c->files[0];
	int r;

	if (!c->v)
		return config_err(err, errlen, "out of memory");
	if (*slot)
		return config_err(err, errlen, "%s: a third configuration file", path);
	*slot = strdup(path);
	if (!*slot)
		return config_err(err, errlen, "out of memory");
	p.file = *slot;
	p.f = fopen(path, "re");
	if (!p.f) {
		r = -errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return r;
	}
	r = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.f);
	if (p.rc)
		return p.rc;
	if (p.long_line)
		return config_err(err, errlen, "%s:%u: line longer than %d characters", path,
				  p.long_line, CONFIG_MAX_LINE);
	if (r > 0)
		return config_err(err, errlen,
				  "%s:%d: not a [section] or a key = value line (comments start "
				  "with # or ;)",
				  path, r);
	if (r < 0)
		return config_err(err, errlen, "%s: cannot parse (out of memory)", path);
	return 0;
}

const char *config_get(const struct config *c, const char *section, const char *name)
{
	int i = config_key_index(section, name);

	if (i < 0)
		return NULL;
	if (config_keys[i].flags & CONFIG_F_LIST)
		return c->lists[i].n ? c->lists[i].v[0].text : NULL;
	return c->v[i].text;
}

const struct config_list *config_get_list(const struct config *c, const char *section,
					  const char *name)
{
	static const struct config_list empty;
	int i = config_key_index(section, name);

	return i < 0 ? &empty : &c->lists[i];
}

/* Rules between keys, checked on the merged result. */
static int check_whole(const struct config *c, const char *nfile, char *err, size_t errlen)
{
	const char *mode = config_get(c, "daemon", "mode");
	bool serve = mode && strcmp(mode, "serve") == 0;
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		bool set = k->flags & CONFIG_F_LIST ? c->lists[i].n > 0 : c->v[i].text != NULL;

		if ((k->flags & CONFIG_F_REQUIRED) && !set)
			return config_err(err, errlen, "%s: [%s] %s is missing: %s", nfile,
					  k->section, k->name, k->help);
	}
	if (!config_get(c, "target", "portal") && !config_get(c, "target", "discovery"))
		return config_err(
			err, errlen,
			"%s: [target] portal is missing (or discovery, to find the portals): "
			"give HOST[:PORT][@IFACE], one portal key per path",
			nfile);
	if (!config_get(c, "auth", "chap_user") != !config_get(c, "auth", "chap_secret_file"))
		return config_err(err, errlen,
				  "%s: [auth] chap_user and chap_secret_file go together", nfile);
	if (!config_get(c, "auth", "mutual_user") != !config_get(c, "auth", "mutual_secret_file"))
		return config_err(err, errlen,
				  "%s: [auth] mutual_user and mutual_secret_file go together",
				  nfile);
	if (config_get(c, "auth", "mutual_user") && !config_get(c, "auth", "chap_user"))
		return config_err(
			err, errlen,
			"%s: [auth] mutual CHAP needs one-way CHAP too: set chap_user and "
			"chap_secret_file",
			nfile);
	if (serve && !config_get(c, "serve", "socket") == !config_get(c, "serve", "listen"))
		return config_err(err, errlen,
				  "%s: mode = serve needs exactly one of [serve] socket or listen",
				  nfile);
	return 0;
}

static bool good_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 48)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.:@", *s))
			return false;
	return true;
}

int config_load(const char *name, struct config *c, char *err, size_t errlen)
{
	char path[4096], global[4096];
	const char *base, *dot;
	int rc;

	config_init(c);
	if (!c->v)
		return config_err(err, errlen, "out of memory");
	if (strchr(name, '/')) {
		snprintf(path, sizeof(path), "%s", name);
		base = strrchr(name, '/') + 1;
		dot = strrchr(base, '.');
		c->name = strndup(base, dot && strcmp(dot, ".conf") == 0 ? (size_t)(dot - base)
									 : strlen(base));
		if (!c->name)
			return config_err(err, errlen, "out of memory");
		if (!good_name(c->name))
			return config_err(
				err, errlen,
				"%s: the file name (without .conf) must be a usable name: "
				"letters, digits, - _ . : @",
				name);
	} else {
		if (!good_name(name) || strcmp(name, CONFIG_GLOBAL_NAME) == 0)
			return config_err(err, errlen,
					  "bad configuration name '%s': give NAME of %s/NAME.conf "
					  "(letters, digits, - _ . : @; not %s) or a file path",
					  name, config_dir(), CONFIG_GLOBAL_NAME);
		snprintf(path, sizeof(path), "%s/%s.conf", config_dir(), name);
		c->name = strdup(name);
		if (!c->name)
			return config_err(err, errlen, "out of memory");
	}
	snprintf(global, sizeof(global), "%s/" CONFIG_GLOBAL_NAME ".conf", config_dir());
	if (access(global, F_OK) == 0) {
		rc = config_load_file(c, global, err, errlen);
		if (rc)
			return rc;
	}
	rc = config_load_file(c, path, err, errlen);
	if (rc)
		return rc;
	return check_whole(c, path, err, errlen);
}
