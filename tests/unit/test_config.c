/*
 * Configuration files (src/cli/conffile.c, confout.c) and the initiator
 * name (src/cli/initiator.c): every key of the table with a good and a bad
 * value, unknown keys and sections, FILE:LINE in every error, the
 * precedence defaults < global < NAME < command line, the dump never
 * showing a secret, the generated example being a valid file, and the
 * initiator name generated once, atomically, then kept; and every option
 * of the table in iscsi-nbd.8, a number option with the table's default
 * in its man entry and its --help text; and the table's default of each
 * number the path layer also defaults being the one it applies.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../checkmain.h"
#include "cli/attach.h"
#include "cli/cli.h"
#include "cli/conffile.h"
#include "cli/conffile_int.h"
#include "cli/initiator.h"
#include "path/device.h"
#include "path/internal.h"

/* main.c's, which this test does not link. */
void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/isn-config.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("ISCSI_NBD_CONFDIR", dir, 1);
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write dir/name with printf-style content; returns the path (static). */
static const char *write_file(const char *name, const char *fmt, ...) ISN_PRINTF(2, 3);
static const char *write_file(const char *name, const char *fmt, ...)
{
	static char path[2][512];
	static int which;
	FILE *f;
	va_list ap;
	char *p = path[which++ % 2];

	snprintf(p, 512, "%s/%s", dir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(fclose(f), 0);
	return p;
}

#define MINIMAL "[target]\nname = iqn.2026-01.com.example:t\nportal = 192.0.2.1\n"

/* A good value of each type, and its canonical text. */
static const char *good_value(const struct config_key *k, const char **canon)
{
	static char buf[64];

	switch (k->type) {
	case CONFIG_STRING:
	case CONFIG_NAME:
		return *canon = "abc-1";
	case CONFIG_IQN:
		return *canon = "iqn.2026-01.com.example:x";
	case CONFIG_PATH:
		return *canon = "/etc/iscsi-nbd/x";
	case CONFIG_UINT:
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)k->max);
		return *canon = buf;
	case CONFIG_DURATION:
		/* 1 h is inside every range but the shortest, and shows the unit conversion. */
		if (k->max >= 3600000 && k->min <= 3600000) {
			*canon = "3600s";
			return "1h";
		}
		return *canon = "1s";
	case CONFIG_ENUM: {
		size_t i = 0;

		while (k->values[i + 1])
			i++;
		return *canon = k->values[i];
	}
	case CONFIG_FAILBACK:
		return *canon = "5";
	case CONFIG_DEVICE:
		*canon = "/dev/nbd7";
		return "nbd7";
	case CONFIG_PORTAL:
		return *canon = "[2001:db8::1]:3261@eth0";
	}
	return NULL;
}

static const char *bad_value(const struct config_key *k)
{
	switch (k->type) {
	case CONFIG_STRING:
		return "a\x01"
		       "b";
	case CONFIG_NAME:
		return "a/b";
	case CONFIG_IQN:
		return "store";
	case CONFIG_PATH:
		return "relative/file";
	case CONFIG_UINT:
		return "99999999999";
	case CONFIG_DURATION:
		return "5 parsecs";
	case CONFIG_ENUM:
		return "sideways";
	case CONFIG_FAILBACK:
		return "later";
	case CONFIG_DEVICE:
		return "/dev/sda";
	case CONFIG_PORTAL:
		return "192.0.2.1:99999";
	}
	return NULL;
}

START_TEST(every_key_good_and_bad)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		const char *canon, *val = good_value(k, &canon);
		const char *path;
		struct config c;
		char err[600], want[300];
		int rc;

		if (!k->name)
			continue; /* an option only */
		/* Good: stored canonical, with its file and line. */
		path = write_file("k.conf", "# comment\n[%s]\n%s = %s\n", k->section, k->name, val);
		config_init(&c);
		rc = config_load_file(&c, path, err, sizeof(err));
		ck_assert_msg(rc == 0, "[%s] %s = %s: %s", k->section, k->name, val, err);
		ck_assert_str_eq(config_get(&c, k->section, k->name), canon);
		if (k->flags & CONFIG_F_LIST) {
			ck_assert_uint_eq(c.lists[i].n, 1);
			ck_assert_uint_eq(c.lists[i].v[0].line, 3);
		} else {
			ck_assert_uint_eq(c.v[i].line, 3);
			ck_assert_str_eq(c.v[i].file, path);
		}
		config_free(&c);

		/* Bad: FILE:LINE, the section, the key, and what is allowed. */
		path = write_file("k.conf", "[%s]\n\n%s = %s\n", k->section, k->name, bad_value(k));
		config_init(&c);
		rc = config_load_file(&c, path, err, sizeof(err));
		ck_assert_msg(rc == -EINVAL, "[%s] %s accepted a bad value", k->section, k->name);
		snprintf(want, sizeof(want), "%s:3: [%s] %s = ", path, k->section, k->name);
		ck_assert_msg(strstr(err, want), "'%s' lacks '%s'", err, want);
		ck_assert_msg(strstr(err, "give"), "'%s' does not say what is allowed", err);
		config_free(&c);
	}
}
END_TEST

/* RFC 7143 4.2.7: a config's target name is checked as -t checks it. */
START_TEST(target_names_checked)
{
	static const char *const bad[] = {
		"iqn.2026-11.org.x:a b", "iqn.2026-13.org.x", "iqn.x", "eui.0123", "naa.12345",
		"iqn.2026-11.org_x:y",
	};
	struct config c;
	char err[600];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *path =
			write_file("n.conf", "[target]\nname = %s\nportal = 192.0.2.1\n", bad[i]);

		config_init(&c);
		ck_assert_msg(config_load_file(&c, path, err, sizeof(err)) == -EINVAL,
			      "%s accepted", bad[i]);
		ck_assert_msg(strstr(err, "this one:"), "'%s' does not say what is wrong", err);
		config_free(&c);
	}
	config_init(&c);
	ck_assert_int_eq(config_load_file(&c, write_file("n.conf", MINIMAL), err, sizeof(err)), 0);
	config_free(&c);
}
END_TEST

START_TEST(defaults_pass_their_own_check)
{
	struct config c;
	size_t i;

	/* config_init aborts if a default in the table fails its key's check. */
	config_init(&c);
	for (i = 0; i < config_nkeys; i++)
		if (config_keys[i].def)
			ck_assert_ptr_nonnull(c.v[i].text);
	ck_assert_str_eq(config_get(&c, "path", "policy"), "round-robin");
	ck_assert_str_eq(config_get(&c, "path", "no_path_retry"), "15s");
	/*
	 * A row the setter stores needs its option, a number store a number
	 * type, an enum its values, a flag a yes / no value; a row is a key,
	 * an option, or both.
	 */
	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		bool num = k->store == CONFIG_STORE_U32 || k->store == CONFIG_STORE_MS ||
			   k->store == CONFIG_STORE_S || k->store == CONFIG_STORE_SECD;

		ck_assert(k->name || k->option);
		ck_assert(k->section);
		if (k->store != CONFIG_STORE_NONE)
			ck_assert_ptr_nonnull(k->option);
		ck_assert(num == (k->type == CONFIG_UINT || k->type == CONFIG_DURATION) ||
			  k->store == CONFIG_STORE_NONE);
		ck_assert(k->type == CONFIG_DURATION || k->store != CONFIG_STORE_MS);
		ck_assert(k->type == CONFIG_DURATION || k->store != CONFIG_STORE_S);
		if (k->type == CONFIG_ENUM)
			ck_assert_ptr_nonnull(k->values);
		if (k->flags & CONFIG_F_FLAG)
			ck_assert(k->type == CONFIG_ENUM && k->values &&
				  strcmp(k->values[1], "yes") == 0);
		if (k->store == CONFIG_STORE_ENUM)
			ck_assert(k->type == CONFIG_ENUM);
	}
	config_free(&c);
}
END_TEST

/*
 * The table states the defaults of the path layer's numbers (nop_timeout,
 * io_retries ...) that path_device_new() applies to a field left 0 (the
 * library's other callers): each number row that sets a field of struct
 * path_device_config must, from its default text, store what the layer
 * applies, or the daemon and the library would disagree unseen. The rows
 * use the layer's PD_DEFAULT_ macros; this catches a row that does not.
 */
START_TEST(path_defaults_are_the_tables)
{
	const size_t lo = offsetof(struct attach_cmd, ec.dev);
	struct path_device_config zero = {.target_name = "iqn.2001-04.com.example:t",
					  .initiator_name = "iqn.2001-04.com.example:i",
					  .npaths = 1};
	struct path_device_config applied;
	struct attach_cmd *a = calloc(1, sizeof(*a));
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct path_device *dev;
	unsigned int n = 0;
	char why[300];

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(loop);
	dev = path_device_new(loop, &zero);
	ck_assert_ptr_nonnull(dev);
	applied = dev->cfg;
	applied.policy = dev->pol.cfg; /* rr_min_io is the selector's default */
	for (size_t i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		uint32_t table, layer;

		if ((k->store != CONFIG_STORE_U32 && k->store != CONFIG_STORE_MS) ||
		    k->field < lo || k->field >= lo + sizeof(applied))
			continue;
		ck_assert_msg(k->def, "--%s: no default", k->option);
		ck_assert_int_eq(opt_set(a, NULL, k, k->def, false, why, sizeof(why)), 0);
		memcpy(&table, (const char *)a + k->field, sizeof(table));
		memcpy(&layer, (const char *)&applied + (k->field - lo), sizeof(layer));
		ck_assert_msg(table == layer,
			      "[%s] %s = %s stores %u, path_device_new() applies %u", k->section,
			      k->name, k->def, table, layer);
		n++;
	}
	/* nop_interval nop_timeout cmd_timeout no_path_retry io_timeout io_retries rr_min_io */
	ck_assert_uint_ge(n, 7);
	path_device_free(dev);
	ev_loop_destroy(loop);
	free(a);
}
END_TEST

/* A row's default as its option writes it (a duration in the option's unit). */
static void option_default(const struct config_key *k, char *buf, size_t len)
{
	char v[48];

	config_option_default(k, v, sizeof(v));
	ck_assert_msg(v[0], "--%s: no default", k->option);
	snprintf(buf, len, "default %s", v);
}

/* s with every run of white space made one space (roff lines, help lines). */
static void squeeze(const char *s, char *out, size_t len)
{
	size_t n = 0;

	for (; *s && n + 1 < len; s++)
		if (!strchr(" \t\n", *s))
			out[n++] = *s;
		else if (n && out[n - 1] != ' ')
			out[n++] = ' ';
	out[n] = 0;
}

/*
 * The man page against the table: every option of the table (string,
 * enum, flag, list, number) is in iscsi-nbd.8 as an entry (.B
 * \-\-OPTION), and the entry of an option with a default and its
 * generated --help text state it. Adding a row without documenting it
 * fails here.
 */
START_TEST(options_in_man_page_with_defaults)
{
	const char *top = getenv("top_srcdir");
	char path[512], man[1 << 17], want[64], entry[4096], text[1024], esc[128];
	size_t i, n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/man/iscsi-nbd.8", top ? top : ".");
	f = fopen(path, "r");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	n = fread(man, 1, sizeof(man) - 1, f);
	ck_assert_msg(n < sizeof(man) - 1, "%s: larger than this test reads", path);
	man[n] = 0;
	fclose(f);
	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		const char *o, *e, *end;
		size_t j = 0;

		if (!k->option)
			continue;
		/* roff: "\-" for every hyphen of the option. */
		j = (size_t)snprintf(esc, sizeof(esc), "\\-\\-");
		for (o = k->option; *o && j + 3 < sizeof(esc); o++) {
			if (*o == '-')
				esc[j++] = '\\';
			esc[j++] = *o;
		}
		esc[j] = 0;
		ck_assert_msg(strstr(man, esc), "--%s is not in iscsi-nbd.8", k->option);
		/*
		 * Its entry: a paragraph (.TP) whose first line names the option
		 * (".B \-\-opt ARG", ".BR \-x \", \" \-\-opt", or a shared one).
		 */
		for (e = strstr(man, "\n.TP\n"); e; e = strstr(e + 1, "\n.TP\n")) {
			const char *line = e + 5, *eol = strchr(line, '\n'),
				   *hit = strstr(line, esc);

			if (hit && eol && hit < eol &&
			    !strchr("abcdefghijklmnopqrstuvwxyz\\", hit[j]))
				break;
		}
		ck_assert_msg(e, "iscsi-nbd.8 has no entry (.TP .B) for --%s", k->option);
		if (k->store == CONFIG_STORE_NONE || !k->def || (k->flags & CONFIG_F_FLAG))
			continue;
		option_default(k, want, sizeof(want));
		/* The entry: its lines up to the next paragraph or section. */
		end = e + 1;
		while ((end = strchr(end, '\n')) && strncmp(end + 1, ".TP", 3) &&
		       strncmp(end + 1, ".SH", 3) && strncmp(end + 1, ".SS", 3))
			end++;
		n = end ? (size_t)(end - e) : strlen(e);
		snprintf(entry, sizeof(entry), "%.*s",
			 (int)(n < sizeof(entry) ? n : sizeof(entry) - 1), e);
		squeeze(entry, text, sizeof(text));
		ck_assert_msg(strstr(text, want), "iscsi-nbd.8 --%s: '%s' lacks '%s'", k->option,
			      text, want);
		if (k->usage) {
			char *help = NULL;
			size_t hlen;
			FILE *hf = open_memstream(&help, &hlen);

			config_usage_row(hf, k, "/run", "/etc");
			fclose(hf);
			squeeze(help, text, sizeof(text));
			free(help);
			ck_assert_msg(strstr(text, want), "--help of --%s: '%s' lacks '%s'",
				      k->option, text, want);
		}
	}
}
END_TEST

/*
 * The rows the table flags as the one-shot commands' target options are
 * those whose value lands in struct cli_target (and the portal, one per
 * command): a field there without the flag would be one no one-shot
 * command could set; a flagged row stored elsewhere would be set nowhere
 * (only a row kept nowhere yet, CONFIG_STORE_NONE, is merely checked).
 * discover's rows are among them.
 */
START_TEST(oneshot_flags_match_struct_cli_target)
{
	size_t i, n = 0;

	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];
		bool flagged = k->flags & CONFIG_F_ONESHOT;

		if (k->flags & CONFIG_F_DISCOVERY)
			ck_assert_msg(flagged, "row %zu: a discover option, not a one-shot one", i);
		if (!k->option) {
			ck_assert_msg(!flagged, "row %zu: a one-shot option without option", i);
			continue;
		}
		if (opt_is_target(k))
			ck_assert_msg(flagged, "--%s: in struct cli_target, not flagged",
				      k->option);
		if (flagged) {
			ck_assert_msg(opt_is_target(k) || k->store == CONFIG_STORE_PORTAL ||
					      k->store == CONFIG_STORE_NONE,
				      "--%s: flagged, but not kept in struct cli_target",
				      k->option);
			n++;
		}
	}
	ck_assert_uint_ge(n, 11); /* -t -l -P, CHAP (4), digests (2), timeout, max-recv-dsl */
}
END_TEST

/* Whether shortopts has letter c, with ':' when arg. */
static bool has_short(const char *shortopts, char c, bool arg)
{
	const char *p = strchr(shortopts, c);

	return p && (p[1] == ':') == arg;
}

/*
 * A one-shot command's getopt tables: an entry per flagged row (its
 * argument, its letter), the command's own options, --help last; for
 * discover only its rows.
 */
START_TEST(oneshot_getopt_tables_from_the_rows)
{
	static const struct cli_own_opt own[] = {
		{.opt = {"offset", required_argument, NULL, CLI_OPT_FIRST_FREE}},
		{.opt = {"output", required_argument, NULL, 'o'}},
		{.opt = {NULL, 0, NULL, 0}},
	};
	static struct cli_opts o;
	size_t i, n;

	for (int disc = 0; disc < 2; disc++) {
		unsigned int flag = disc ? CONFIG_F_DISCOVERY : CONFIG_F_ONESHOT;

		cli_opts_init(&o, disc, own, "o:");
		n = 0;
		for (i = 0; i < config_nkeys; i++) {
			const struct config_key *k = &config_keys[i];
			const struct option *e = &o.longopts[n];

			if (!k->option || !(k->flags & flag)) {
				ck_assert_msg(!k->shortopt ||
						      !has_short(o.shortopts, k->shortopt, true),
					      "-%c is not an option of this kind", k->shortopt);
				continue;
			}
			ck_assert_str_eq(e->name, k->option);
			ck_assert_int_eq(e->has_arg, (k->flags & CONFIG_F_FLAG)
							     ? no_argument
							     : required_argument);
			ck_assert_int_eq(e->val, CLI_OPT_ROW + (int)i);
			if (k->shortopt)
				ck_assert_msg(has_short(o.shortopts, k->shortopt,
							!(k->flags & CONFIG_F_FLAG)),
					      "'%s' lacks -%c", o.shortopts, k->shortopt);
			n++;
		}
		ck_assert_str_eq(o.longopts[n].name, "offset");
		ck_assert_str_eq(o.longopts[n + 1].name, "output");
		ck_assert_str_eq(o.longopts[n + 2].name, "help");
		ck_assert_int_eq(o.longopts[n + 2].val, 'h');
		ck_assert_ptr_null(o.longopts[n + 3].name);
		ck_assert_msg(has_short(o.shortopts, 'o', true) &&
				      has_short(o.shortopts, 'h', false),
			      "'%s'", o.shortopts);
		ck_assert_str_eq(cli_opt_name(&o, 'o'), "output");
		ck_assert_int_eq(has_short(o.shortopts, 't', true), !disc);
		ck_assert_int_eq(has_short(o.shortopts, 'l', true), !disc);
		ck_assert(has_short(o.shortopts, 'P', true));
	}
}
END_TEST

/*
 * cli_getopt_target: the target options set through the table's setter
 * and checks, the command's own returned, a bad value a usage error.
 */
START_TEST(oneshot_getopt_sets_and_checks)
{
	static const struct cli_own_opt own[] = {
		{.opt = {"offset", required_argument, NULL, CLI_OPT_FIRST_FREE}},
		{.opt = {NULL, 0, NULL, 0}},
	};
	char *argv[] = {"inquiry",
			"-t",
			"iqn.2026-01.com.example:x",
			"--lun",
			"0x10",
			"-P",
			"192.0.2.1:3261",
			"--timeout",
			"0.5",
			"--header-digest",
			"CRC32C",
			"--offset",
			"4096",
			"--chap-user",
			"alice",
			"--max-recv-dsl",
			"8K",
			NULL};
	char *bad[] = {"inquiry", "-l", "16384", NULL};
	char *disc[] = {"discover", "-t", "iqn.2026-01.com.example:x", NULL};
	struct cli_opts o;
	struct cli_target t;

	cli_target_init(&t);
	ck_assert_uint_eq(t.lun, 0);
	ck_assert(t.timeout == 30.0);
	ck_assert_int_eq(t.header_digest, SESS_DIGEST_NONE);
	cli_opts_init(&o, false, own, NULL);
	optind = 0;
	ck_assert_int_eq(cli_getopt_target(17, argv, &o, &t), CLI_OPT_FIRST_FREE);
	ck_assert_str_eq(optarg, "4096");
	ck_assert_int_eq(cli_getopt_target(17, argv, &o, &t), -1);
	ck_assert_str_eq(t.target, "iqn.2026-01.com.example:x");
	ck_assert_uint_eq(t.lun, 16);
	ck_assert_str_eq(t.portal, "192.0.2.1:3261");
	ck_assert(t.timeout == 0.5);
	ck_assert_int_eq(t.header_digest, SESS_DIGEST_CRC32C);
	ck_assert_int_eq(t.data_digest, SESS_DIGEST_NONE);
	ck_assert_str_eq(t.chap_user, "alice");
	ck_assert_uint_eq(t.max_recv_dsl, 8192);

	optind = 0;
	ck_assert_int_eq(cli_getopt_target(3, bad, &o, &t), CLI_GETOPT_BAD);
	/* discover has no -t: getopt's '?' reaches the command. */
	cli_opts_init(&o, true, NULL, NULL);
	optind = 0;
	opterr = 0;
	ck_assert_int_eq(cli_getopt_target(3, disc, &o, &t), '?');
}
END_TEST

static void expect_error(const char *content, const char *want1, const char *want2)
{
	const char *path = write_file("e.conf", "%s", content);
	struct config c;
	char err[600];

	config_init(&c);
	ck_assert_int_lt(config_load_file(&c, path, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, want1), "'%s' lacks '%s'", err, want1);
	if (want2)
		ck_assert_msg(strstr(err, want2), "'%s' lacks '%s'", err, want2);
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "'%s' does not name the file", err);
	config_free(&c);
}

START_TEST(syntax_errors)
{
	expect_error(MINIMAL "[path]\nround_robin = 1\n", "e.conf:5: unknown key 'round_robin'",
		     "rr_min_io");
	/* The sections are listed from the key table, in its order. */
	expect_error(MINIMAL "[paths]\npolicy = failover\n", "e.conf:5: unknown section [paths]",
		     ": the sections are [target], [auth], [iscsi], [path], [attach], [serve] and "
		     "[daemon]");
	expect_error("policy = failover\n", "e.conf:1:",
		     "'policy' is outside a section: put it under [target], [auth], [iscsi], "
		     "[path], [attach], [serve] or [daemon]");
	expect_error(MINIMAL "[path]\npolicy = failover\n\npolicy = round-robin\n",
		     "e.conf:7: [path] policy is already set at line 5", NULL);
	expect_error(MINIMAL "[auth]\nchap_secret = hunter2\n",
		     "e.conf:5: unknown key 'chap_secret'", "chap_secret_file");
	expect_error(MINIMAL "this is not ini\n", "e.conf:4:", "key = value");
	expect_error(MINIMAL "[path]\npolicy =\n", "e.conf:5:", "empty");
	expect_error(MINIMAL
		     "[path]\n# ................................................................"
		     "................................................................"
		     "................................................................"
		     "................................................................\n",
		     "e.conf:5: line longer than", NULL);
	expect_error("[target]\nportal = a\nportal = b\nportal = c\nportal = d\nportal = e\n"
		     "portal = f\nportal = g\nportal = h\nportal = i\n",
		     "e.conf:10: [target] portal: at most 8", NULL);
	expect_error("[path]\nno_path_retry = 1500ms\n", "whole seconds", NULL);
	expect_error("[path]\nnop_interval = 0.5ms\n", "e.conf:2:", NULL);
}
END_TEST

START_TEST(whole_file_rules)
{
	struct config c;
	char err[600];

	write_file("a.conf", "[target]\nportal = 192.0.2.1\n");
	ck_assert_int_lt(config_load("a", &c, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "[target] name is missing"), "%s", err);
	config_free(&c);

	write_file("a.conf", "[target]\nname = iqn.2026-01.com.example:t\n");
	ck_assert_int_lt(config_load("a", &c, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "[target] portal is missing (or discovery"), "%s", err);
	config_free(&c);

	write_file("a.conf", "[target]\nname = iqn.2026-01.com.example:t\ndiscovery = 192.0.2.9\n");
	ck_assert_msg(config_load("a", &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(config_get(&c, "target", "discovery"), "192.0.2.9");
	ck_assert_ptr_null(config_get(&c, "target", "portal"));
	config_free(&c);

	write_file("a.conf", MINIMAL "[auth]\nchap_user = u\n");
	ck_assert_int_lt(config_load("a", &c, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "chap_secret_file go together"), "%s", err);
	config_free(&c);

	write_file("a.conf", MINIMAL "[daemon]\nmode = serve\n");
	ck_assert_int_lt(config_load("a", &c, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "socket or listen"), "%s", err);
	config_free(&c);

	ck_assert_int_lt(config_load("../etc/passwd", &c, err, sizeof(err)), 0);
	config_free(&c);
	ck_assert_int_lt(config_load("iscsi-nbd", &c, err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "bad configuration name"), "%s", err);
	config_free(&c);
	ck_assert_int_eq(config_load("absent", &c, err, sizeof(err)), -ENOENT);
	ck_assert_msg(strstr(err, "absent.conf"), "%s", err);
	config_free(&c);
}
END_TEST

START_TEST(precedence_global_then_name)
{
	struct config c;
	char err[600];

	write_file("iscsi-nbd.conf", "[path]\npolicy = failover\ncmd_timeout = 5s\n"
				     "[target]\nportal = 10.0.0.1\nportal = 10.0.0.2\n");
	write_file("db.conf", "[target]\nname = iqn.2026-01.com.example:db\nportal = 10.9.9.9\n"
			      "[path]\npolicy = queue-length\n");
	ck_assert_msg(config_load("db", &c, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(c.name, "db");
	/* NAME wins over global, global over the default. */
	ck_assert_str_eq(config_get(&c, "path", "policy"), "queue-length");
	ck_assert_uint_eq(c.v[config_key_index("path", "policy")].line, 5);
	ck_assert_str_eq(config_get(&c, "path", "cmd_timeout"), "5s");
	ck_assert_ptr_nonnull(
		strstr(c.v[config_key_index("path", "cmd_timeout")].file, "iscsi-nbd.conf"));
	ck_assert_str_eq(config_get(&c, "path", "nop_timeout"), "1500ms");
	ck_assert_ptr_null(c.v[config_key_index("path", "nop_timeout")].file);
	/* NAME's portal list replaces the global one. */
	ck_assert_uint_eq(config_get_list(&c, "target", "portal")->n, 1);
	ck_assert_str_eq(config_get_list(&c, "target", "portal")->v[0].text, "10.9.9.9");
	config_free(&c);

	/* Without portals in NAME, the global ones apply; also by path. */
	write_file("db.conf", "[target]\nname = iqn.2026-01.com.example:db\n");
	snprintf(err, sizeof(err), "%s/db.conf", dir);
	ck_assert_int_eq(config_load(err, &c, err, sizeof(err)), 0);
	ck_assert_uint_eq(config_get_list(&c, "target", "portal")->n, 2);
	ck_assert_str_eq(config_get_list(&c, "target", "portal")->v[1].text, "10.0.0.2");
	config_free(&c);
}
END_TEST

START_TEST(dump_names_secret_file_never_content)
{
	const char *secret = write_file("db.secret", "s3cr3t-content-4711\n");
	struct config c;
	char err[600], *out = NULL;
	size_t outlen = 0;
	FILE *f;

	chmod(secret, 0600);
	write_file("db.conf", MINIMAL "[auth]\nchap_user = alice\nchap_secret_file = %s\n", secret);
	ck_assert_msg(config_load("db", &c, err, sizeof(err)) == 0, "%s", err);
	f = open_memstream(&out, &outlen);
	config_dump(&c, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(out, secret));
	ck_assert_ptr_null(strstr(out, "s3cr3t"));
	ck_assert_ptr_nonnull(strstr(out, "chap_user = alice\t# "));
	ck_assert_ptr_nonnull(strstr(out, "db.conf:5"));
	ck_assert_ptr_nonnull(strstr(out, "policy = round-robin\t# default"));
	free(out);
	config_free(&c);
}
END_TEST

START_TEST(example_is_valid_and_complete)
{
	char path[512], *out = NULL, line[300];
	size_t outlen = 0, i;
	struct config c;
	FILE *f;

	snprintf(path, sizeof(path), "%s/example.conf", dir);
	f = fopen(path, "w");
	config_example(f);
	fclose(f);
	ck_assert_msg(config_load(path, &c, line, sizeof(line)) == 0, "%s", line);
	config_free(&c);
	f = open_memstream(&out, &outlen);
	config_example(f);
	fclose(f);
	for (i = 0; i < config_nkeys; i++) {
		if (!config_keys[i].name)
			continue;
		snprintf(line, sizeof(line), "\n%s%s =",
			 (config_keys[i].flags & CONFIG_F_REQUIRED) ||
					 strcmp(config_keys[i].name, "portal") == 0
				 ? ""
				 : "#",
			 config_keys[i].name);
		ck_assert_msg(strstr(out, line), "example lacks %s", config_keys[i].name);
	}
	free(out);
}
END_TEST

START_TEST(initiator_generated_once)
{
	char own[300], oi[300];
	const char *warn;
	char *a, *b;
	struct stat st;
	size_t i, plen = strlen(INITIATOR_IQN_PREFIX);

	snprintf(own, sizeof(own), "%s/sub/initiatorname", dir);
	snprintf(oi, sizeof(oi), "%s/initiatorname.iscsi", dir);
	a = initiator_name_load(oi, own, &warn);
	ck_assert_ptr_null(warn);
	ck_assert_int_eq(strncmp(a, INITIATOR_IQN_PREFIX, plen), 0);
	ck_assert_uint_eq(strlen(a), plen + 16);
	for (i = plen; a[i]; i++)
		ck_assert(strchr("0123456789abcdef", a[i]));
	ck_assert_int_eq(stat(own, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	/* Kept: the same name the next time, no temporary file left. */
	b = initiator_name_load(oi, own, &warn);
	ck_assert_str_eq(a, b);
	free(b);
	/* open-iscsi's file wins when present. */
	write_file("initiatorname.iscsi",
		   "## comment\nInitiatorName=iqn.1993-08.org.debian:01:abc\n");
	b = initiator_name_load(oi, own, &warn);
	ck_assert_str_eq(b, "iqn.1993-08.org.debian:01:abc");
	free(b);
	free(a);
	/* Cannot write: a stable name from the host name, and a warning. */
	a = initiator_name_load(NULL, "/proc/isn-nonexistent/initiatorname", &warn);
	ck_assert_ptr_nonnull(warn);
	ck_assert_int_eq(strncmp(a, INITIATOR_IQN_PREFIX, plen), 0);
	b = initiator_name_load(NULL, "/proc/isn-nonexistent/initiatorname", &warn);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_key_good_and_bad);
	tcase_add_test(tc, target_names_checked);
	tcase_add_test(tc, defaults_pass_their_own_check);
	tcase_add_test(tc, path_defaults_are_the_tables);
	tcase_add_test(tc, options_in_man_page_with_defaults);
	tcase_add_test(tc, oneshot_flags_match_struct_cli_target);
	tcase_add_test(tc, oneshot_getopt_tables_from_the_rows);
	tcase_add_test(tc, oneshot_getopt_sets_and_checks);
	tcase_add_test(tc, syntax_errors);
	tcase_add_test(tc, whole_file_rules);
	tcase_add_test(tc, precedence_global_then_name);
	tcase_add_test(tc, dump_names_secret_file_never_content);
	tcase_add_test(tc, example_is_valid_and_complete);
	tcase_add_test(tc, initiator_generated_once);
	suite_add_tcase(s, tc);
	return s;
}
