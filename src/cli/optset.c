/*
 * The one setter of a setting (attach.h): a value from the command line or
 * from a configuration file, checked by the one check of its kind
 * (config_check(), conffile.c) and stored where its row of the table
 * (confkeys.c) says. The command line and the files differ only in how a
 * number is written: an option takes a whole number in its unit (or a
 * fraction of seconds for --timeout), a key a duration with its unit.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/attach.h"
#include "cli/conffile.h"
#include "cli/conffile_int.h"
#include "path/policy.h"
#include "util/compiler.h"

/* CONFIG_STORE_ENUM writes an int. */
_Static_assert(sizeof(enum path_policy_kind) == sizeof(int), "an enum row stores an int");
_Static_assert(sizeof(enum sess_digest_pref) == sizeof(int), "an enum row stores an int");
_Static_assert(sizeof(enum resv_policy) == sizeof(int), "an enum row stores an int");
/* Every stored number is a uint32_t (nconns and max_clients are unsigned int). */
_Static_assert(sizeof(unsigned int) == sizeof(uint32_t), "a number row stores 32 bits");

bool opt_is_target(const struct config_key *k)
{
	size_t t = offsetof(struct attach_cmd, t);

	return k->store != CONFIG_STORE_NONE && k->field >= t &&
	       k->field < t + sizeof(struct cli_target);
}

void opt_getopt_rows(unsigned int flag, struct option *lo, size_t *n, char *so, size_t *s)
{
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		bool noarg = k->flags & CONFIG_F_FLAG;

		if (!k->option || (flag && !(k->flags & flag)))
			continue;
		lo[(*n)++] = (struct option){k->option, noarg ? no_argument : required_argument,
					     NULL, CLI_OPT_ROW + (int)i};
		if (k->shortopt) {
			so[(*s)++] = k->shortopt;
			if (!noarg)
				so[(*s)++] = ':';
		}
	}
}

const struct config_key *opt_row_of(int c, unsigned int flag)
{
	const struct config_key *k = NULL;

	if (c >= CLI_OPT_ROW && c < CLI_OPT_ROW + (int)config_nkeys)
		k = &config_keys[c - CLI_OPT_ROW];
	for (size_t i = 0; !k && c > 0 && c < CLI_OPT_FIRST_FREE && i < config_nkeys; i++)
		if (config_keys[i].shortopt == c)
			k = &config_keys[i];
	return k && k->option && (!flag || (k->flags & flag)) ? k : NULL;
}

/* Where row k's value goes: in a, or in t (a's own when a is given); NULL: nowhere. */
static void *field_of(struct attach_cmd *a, struct cli_target *t, const struct config_key *k)
{
	if (k->store == CONFIG_STORE_NONE)
		return NULL;
	if (opt_is_target(k))
		return (char *)(a ? &a->t : t) + (k->field - offsetof(struct attach_cmd, t));
	return a ? (char *)a + k->field : NULL;
}

/*
 * A number option: the row's range in the option's unit (a duration's
 * k->unit, whole numbers), 0 too with CONFIG_F_OPT_ZERO; *v in
 * milliseconds for a duration.
 */
static int cli_number(const struct config_key *k, const char *arg, uint64_t *v, char *why,
		      size_t whylen)
{
	uint64_t unit = k->type == CONFIG_DURATION && strcmp(k->unit, "s") == 0 ? 1000 : 1;
	uint64_t lo = k->flags & CONFIG_F_OPT_ZERO ? 0 : k->min / unit, hi = k->max / unit;

	if (cli_parse_u64(arg, v) < 0 || *v < lo || *v > hi) {
		if (lo)
			return config_err(why, whylen, "give a number from %llu to %llu",
					  (unsigned long long)lo, (unsigned long long)hi);
		return config_err(why, whylen, "give a number up to %llu", (unsigned long long)hi);
	}
	*v *= unit;
	return 0;
}

/* A number as a file writes it (checked): milliseconds for a duration. */
static int file_number(const struct config_key *k, const char *text, uint64_t *v)
{
	return k->type == CONFIG_DURATION ? config_parse_duration(text, k->unit, v)
					  : cli_parse_u64(text, v);
}

static void store_number(void *field, const struct config_key *k, uint64_t v)
{
	if (k->store == CONFIG_STORE_SECD) {
		*(double *)field = (double)v / 1000;
		return;
	}
	if (k->store == CONFIG_STORE_S)
		v /= 1000;
	if (v == 0 && (k->flags & CONFIG_F_ZERO_1MS))
		v = 1;
	*(uint32_t *)field = (uint32_t)v;
}

/* --timeout SECONDS: a fraction is allowed, 0 is not. */
static int cli_seconds(const struct config_key *k, const char *arg, uint64_t *ms, char *why,
		       size_t whylen)
{
	char *end;
	double d = strtod(arg, &end);

	if (*arg == 0 || *end || !(d > 0) || d > (double)(k->max / 1000) || d * 1000 < 1)
		return config_err(why, whylen, "give seconds up to %llu, e.g. 30 or 0.5",
				  (unsigned long long)(k->max / 1000));
	*ms = (uint64_t)(d * 1000 + 0.5);
	return 0;
}

/* One path more: the copy goes to a->portals, PORTAL@IFACE split at the '@'. */
static int add_portal(struct attach_cmd *a, const char *text, char *why, size_t whylen)
{
	unsigned int np = a->np;

	if (np == PATH_MAX_PATHS)
		return config_err(why, whylen, "at most %d portals (paths)", PATH_MAX_PATHS);
	a->portals[np] = strdup(text);
	if (!a->portals[np])
		return -ENOMEM;
	a->ifaces[np] = strrchr(a->portals[np], '@');
	if (a->ifaces[np])
		*a->ifaces[np]++ = 0;
	a->np++;
	return 0;
}

/* The value of a checked, canonical text into field. */
static int store_text(struct attach_cmd *a, void *field, const struct config_key *k,
		      const char *text, const char *canon, char *why, size_t whylen)
{
	struct path_policy_config *pol = field;
	int i;

	switch (k->store) {
	case CONFIG_STORE_STR:
		*(const char **)field = text;
		return 0;
	case CONFIG_STORE_ENUM:
		i = config_enum_index(k, canon);
		*(int *)field = k->enum_map ? k->enum_map[i] : i;
		return 0;
	case CONFIG_STORE_BOOL:
		*(bool *)field = strcmp(canon, "yes") == 0;
		return 0;
	case CONFIG_STORE_DEV: /* canonical: /dev/nbdN */
		*(int32_t *)field = (int32_t)strtol(canon + strlen("/dev/nbd"), NULL, 10);
		return 0;
	case CONFIG_STORE_FAILBACK:
		return path_failback_parse(canon, &pol->failback, &pol->failback_delay_ms);
	case CONFIG_STORE_PORTAL:
		return add_portal(a, text, why, whylen);
	default:
		return 0;
	}
}

int opt_set(struct attach_cmd *a, struct cli_target *t, const struct config_key *k,
	    const char *text, bool cli, char *why, size_t whylen)
{
	void *field = field_of(a, t, k);
	bool number = k->type == CONFIG_UINT || k->type == CONFIG_DURATION;
	char *canon = NULL;
	uint64_t v;
	int rc;

	if (!field) { /* kept nowhere (yet): still checked */
		rc = text ? config_check(k, text, &canon, why, whylen) : 0;
		free(canon);
		return rc;
	}
	/*
	 * An option's text or file name is taken as given: a relative name is
	 * relative to where the command runs (a file's names must be absolute).
	 */
	if (cli && k->store == CONFIG_STORE_STR &&
	    (k->type == CONFIG_STRING || k->type == CONFIG_PATH)) {
		*(const char **)field = text;
		return 0;
	}
	if (cli && (k->flags & CONFIG_F_FLAG)) {
		*(bool *)field = true;
		return 0;
	}
	if (cli && number) {
		rc = k->store == CONFIG_STORE_SECD ? cli_seconds(k, text, &v, why, whylen)
						   : cli_number(k, text, &v, why, whylen);
		if (rc == 0)
			store_number(field, k, v);
		return rc;
	}
	rc = config_check(k, text, &canon, why, whylen);
	if (rc < 0)
		return rc;
	if (number) {
		rc = file_number(k, canon, &v);
		if (rc == 0)
			store_number(field, k, v);
	} else {
		rc = store_text(a, field, k, text, canon, why, whylen);
	}
	free(canon);
	return rc;
}
