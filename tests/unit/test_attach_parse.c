/*
 * attach / serve's command line and --config (src/cli/attach_parse.c)
 * into struct attach_cmd, through the table's one setter: precedence
 * table defaults < iscsi-nbd.conf < NAME.conf < command line; -P replaces
 * the files' portals; the file's mode picks serve; a key for the other
 * mode is ignored; the command line and the files share each check
 * (device names, digests, failback); durations reach their fields in
 * their unit; a broken file or value is a usage error; and the stop
 * bound attach gives the export fits in the systemd unit's TimeoutStopSec.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../checkmain.h"
#include "cli/attach.h"
#include "cli/cli.h"
#include "cli/export.h"
#include "path/policy.h"

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
static char *portals[PATH_MAX_PATHS];
static struct attach_cmd a;

static void release(void)
{
	unsigned int i;

	serve_tls_release(&a.stls);
	attach_cmd_release(&a);
	for (i = 0; i < PATH_MAX_PATHS; i++) {
		free(portals[i]);
		portals[i] = NULL;
	}
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "%s/isn-attach.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("ISCSI_NBD_CONFDIR", dir, 1);
}

static void teardown(void)
{
	char cmd[300];

	release();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *name, const char *fmt, ...) ISN_PRINTF(2, 3);
static void write_file(const char *name, const char *fmt, ...)
{
	char p[512];
	FILE *f;
	va_list ap;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(fclose(f), 0);
}

/* attach_parse() on a NULL-terminated argument list, as `attach` (serve: as `serve`). */
static int parse(bool serve, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	release();
	memset(&a, 0, sizeof(a));
	a.serve = serve;
	a.portals = portals;
	argv[argc++] = serve ? "serve" : "attach";
	va_start(ap, serve);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	return attach_parse(argc, argv, &a);
}

#define MINIMAL "[target]\nname = iqn.2026-01.com.example:t\nportal = 192.0.2.1\n"

START_TEST(precedence_defaults_global_name_cli)
{
	write_file("iscsi-nbd.conf", "[path]\npolicy = failover\ncmd_timeout = 5s\n"
				     "nop_interval = 3s\n[iscsi]\nlogin_timeout = 2500ms\n");
	write_file("db.conf", MINIMAL "[path]\npolicy = queue-length\nnop_interval = 2s\n");
	ck_assert_int_eq(parse(false, "--config", "db", "--nop-interval", "700", NULL), 0);
	/* NAME.conf over the global file, the global file over the default. */
	ck_assert_int_eq(a.ec.dev.policy.kind, PATH_POLICY_QUEUE_LENGTH);
	ck_assert_uint_eq(a.ec.dev.cmd_timeout_ms, 5000);
	ck_assert(a.t.timeout > 2.49 && a.t.timeout < 2.51);
	/* The command line over both (its unit: milliseconds). */
	ck_assert_uint_eq(a.ec.dev.nop_interval_ms, 700);
	/* Defaults where nobody set anything; the name from NAME.conf. */
	ck_assert_uint_eq(a.ec.dev.nop_timeout_ms, 1500);
	ck_assert_uint_eq(a.ec.dev.io_retries, 8);
	ck_assert_uint_eq(a.ec.rescan_interval_s, 10);
	ck_assert_int_eq(a.ro.policy, RESV_EXCLUSIVE);
	ck_assert_int_eq(a.t.header_digest, SESS_DIGEST_NONE);
	ck_assert_str_eq(a.ec.name, "db");
	ck_assert_str_eq(a.t.target, "iqn.2026-01.com.example:t");
	ck_assert_uint_eq(a.np, 1);
	ck_assert_str_eq(a.portals[0], "192.0.2.1");
	ck_assert(!a.serve);

	/* Without --config the files are not read. */
	ck_assert_int_eq(parse(false, "-t", "iqn.2026-01.com.example:t", "-P", "192.0.2.9", NULL),
			 0);
	ck_assert_int_eq(a.ec.dev.policy.kind, PATH_POLICY_ROUND_ROBIN);
	ck_assert_uint_eq(a.ec.dev.cmd_timeout_ms, 30000);
	ck_assert_ptr_null(a.ec.name);
}
END_TEST

START_TEST(file_mode_portals_and_cli_portal)
{
	write_file("db.conf", MINIMAL "portal = 198.51.100.1:3261@eth1\n[path]\n"
				      "policy = queue-length\ncmd_timeout = 2s\n[daemon]\n"
				      "mode = serve\nname = dbsrv\n[serve]\nsocket = /run/x.sock\n"
				      "[attach]\ndevice = nbd3\n");
	/* More options than words: flags clustered in one word. */
	ck_assert_int_eq(parse(false, "-ffffffffffffffffffffffffffffffff", "-fffffffffff", NULL),
			 CLI_EXIT_USAGE);
	ck_assert(a.foreground); /* all of them taken, then refused: no -t, no -P */
	/* Abbreviated --config, clustered -fP: -P replaces the file's two portals. */
	ck_assert_int_eq(parse(false, "-fP", "10.7.7.7", "--conf=db", "--policy", "failover", NULL),
			 0);
	ck_assert(a.serve);
	ck_assert_int_eq(a.ec.mode, EXPORT_SERVER);
	ck_assert(a.foreground);
	ck_assert_str_eq(a.ec.socket_path, "/run/x.sock");
	ck_assert_str_eq(a.ec.name, "dbsrv");
	ck_assert_int_eq(a.ec.dev.policy.kind, PATH_POLICY_FAILOVER);
	ck_assert_uint_eq(a.ec.dev.cmd_timeout_ms, 2000);
	ck_assert_uint_eq(a.np, 1);
	ck_assert_str_eq(a.portals[0], "10.7.7.7");
	/* An [attach] key is not for serve. */
	ck_assert_int_eq(a.ec.index, -1);

	/* The file's portals, in order, PORTAL@IFACE split. */
	ck_assert_int_eq(parse(false, "--config", "db", NULL), 0);
	ck_assert_uint_eq(a.np, 2);
	ck_assert_str_eq(a.portals[0], "192.0.2.1");
	ck_assert_ptr_null(a.ifaces[0]);
	ck_assert_str_eq(a.portals[1], "198.51.100.1:3261");
	ck_assert_str_eq(a.ifaces[1], "eth1");

	/* mode = attach: the [attach] key applies. */
	write_file("db.conf", MINIMAL "[attach]\ndevice = nbd3\n");
	ck_assert_int_eq(parse(false, "--config", "db", NULL), 0);
	ck_assert_int_eq(a.ec.index, 3);
	ck_assert_int_eq(a.ec.mode, EXPORT_KERNEL);

	/* Long values pass whole (an IQN may be 223 bytes). */
	write_file("db.conf", "[target]\nname = iqn.2026-01.com.example:%s\nportal = 192.0.2.1\n",
		   "a-rather-long-target-name-that-is-longer-than-sixty-four-characters-x");
	ck_assert_int_eq(parse(false, "--config", "db", NULL), 0);
	ck_assert_str_eq(a.t.target, "iqn.2026-01.com.example:a-rather-long-target-name-that-is-"
				     "longer-than-sixty-four-characters-x");
}
END_TEST

START_TEST(errors_and_shared_checks)
{
	const char *t = "iqn.2026-01.com.example:t";

	/* A bad value on the command line wins over a good one in the file: refused. */
	write_file("db.conf", MINIMAL "[path]\npolicy = failover\n");
	ck_assert_int_eq(parse(false, "--config", "db", "--policy", "sideways", NULL),
			 CLI_EXIT_USAGE);
	ck_assert_int_eq(parse(false, "--config", "db", "--config", "db", NULL), CLI_EXIT_USAGE);
	/* A broken file stops the command with a usage error. */
	write_file("db.conf", "[path]\npolicy = sideways\n");
	ck_assert_int_eq(parse(false, "--config", "db", NULL), CLI_EXIT_USAGE);
	/* No portal, a discovery portal nobody answers on: a connection error (2). */
	write_file("db.conf",
		   "[target]\nname = %s\ndiscovery = 127.0.0.1:1\n"
		   "[iscsi]\nlogin_timeout = 2s\n",
		   t);
	ck_assert_int_eq(parse(false, "--config", "db", NULL), CLI_EXIT_CONNECT);

	/* The device check of the files is the command line's. */
	ck_assert_int_eq(parse(false, "-t", t, "-P", "192.0.2.1", "--device", "/dev/sda", NULL),
			 CLI_EXIT_USAGE);
	ck_assert_int_eq(parse(false, "-t", t, "-P", "192.0.2.1", "--device", "nbd5", NULL), 0);
	ck_assert_int_eq(a.ec.index, 5);
	/* So is the digest check (any case), the failback's, the name's. */
	ck_assert_int_eq(parse(false, "-t", t, "-P", "192.0.2.1", "--header-digest", "CRC32C",
			       "--data-digest", "prefer-none", "--failback", "30", NULL),
			 0);
	ck_assert_int_eq(a.t.header_digest, SESS_DIGEST_CRC32C);
	ck_assert_int_eq(a.t.data_digest, SESS_DIGEST_PREFER_NONE);
	ck_assert_int_eq(a.ec.dev.policy.failback, PATH_FAILBACK_DELAYED);
	ck_assert_uint_eq(a.ec.dev.policy.failback_delay_ms, 30000);
	ck_assert_int_eq(parse(false, "-t", t, "-P", "192.0.2.1", "--header-digest", "md5", NULL),
			 CLI_EXIT_USAGE);
	ck_assert_int_eq(parse(false, "-t", t, "-P", "192.0.2.1", "--name", "a/b", NULL),
			 CLI_EXIT_USAGE);
	/* Flags and enums of the access block; --tls options are serve's. */
	ck_assert_int_eq(parse(false, "-t", t, "-P", "192.0.2.1", "--read-only", "--reservation",
			       "none", NULL),
			 0);
	ck_assert(a.ro.read_only);
	ck_assert_int_eq(a.ro.policy, RESV_NONE);
	ck_assert_int_eq(parse(false, "-t", t, "-P", "192.0.2.1", "--tls-verify-peer", NULL),
			 CLI_EXIT_USAGE);
	/* An option's file name may be relative (a file's may not), its text empty. */
	ck_assert_int_eq(parse(true, "-t", t, "-P", "192.0.2.1", "--socket", "rel.sock",
			       "--export-name", "", NULL),
			 0);
	ck_assert_str_eq(a.ec.socket_path, "rel.sock");
	ck_assert_str_eq(a.ec.export_name, "");
	write_file("db.conf", MINIMAL "[daemon]\nmode = serve\n[serve]\nsocket = rel.sock\n");
	ck_assert_int_eq(parse(false, "--config", "db", NULL), CLI_EXIT_USAGE);
	ck_assert_int_eq(parse(false, "-t", t, "-P", "192.0.2.1", "--no-path-retry", "0", NULL), 0);
	ck_assert_uint_eq(a.ec.dev.no_path_retry_ms, 1); /* 0: fail at once, stored as 1 ms */
}
END_TEST

/* The whole text of top_srcdir/rel (caller frees). */
static char *read_src(const char *rel)
{
	const char *top = getenv("top_srcdir");
	char path[512], *text;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", top ? top : ".", rel);
	f = fopen(path, "r");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	text = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = 0;
	fclose(f);
	return text;
}

/*
 * systemd kills the daemon TimeoutStopSec after SIGTERM: the daemon's own
 * bound of the whole stop (write-back, flush, logout), as attach sets it,
 * must end before that, or a stop that keeps its promise is cut short. And
 * the man page states that bound.
 */
START_TEST(stop_bound_fits_in_the_unit)
{
	char *unit = read_src("systemd/iscsi-nbd@.service.in");
	char *man = read_src("man/iscsi-nbd.8");
	char want[64], *p = strstr(unit, "\nTimeoutStopSec=");
	unsigned int unit_s = 0;
	char unit_suffix[3] = "";

	ck_assert_int_eq(parse(false, "-t", "iqn.2026-01.com.example:t", "-P", "192.0.2.9", NULL),
			 0);
	ck_assert_uint_eq(a.ec.stop_timeout_ms, EXPORT_STOP_TIMEOUT_MS);
	ck_assert_msg(p, "the unit has no TimeoutStopSec=");
	ck_assert_msg(sscanf(p, "\nTimeoutStopSec=%u%2[s\n]", &unit_s, unit_suffix) == 2 &&
			      strcmp(unit_suffix, "s\n") == 0,
		      "the unit's TimeoutStopSec is not N s");
	ck_assert_msg(a.ec.stop_timeout_ms < unit_s * 1000u,
		      "the daemon's stop bound %u ms does not fit in TimeoutStopSec=%us",
		      a.ec.stop_timeout_ms, unit_s);
	snprintf(want, sizeof(want), "the whole stop ends within %u s",
		 EXPORT_STOP_TIMEOUT_MS / 1000);
	ck_assert_msg(strstr(man, want), "iscsi-nbd.8 lacks '%s'", want);
	free(unit);
	free(man);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("attach_parse");
	TCase *tc = tcase_create("attach_parse");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, precedence_defaults_global_name_cli);
	tcase_add_test(tc, file_mode_portals_and_cli_portal);
	tcase_add_test(tc, errors_and_shared_checks);
	tcase_add_test(tc, stop_bound_fits_in_the_unit);
	suite_add_tcase(s, tc);
	return s;
}
