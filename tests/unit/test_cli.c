/*
 * Unit tests of the command line's input parsing: portal strings
 * (src/cli/portal.c) and CHAP secret files (src/cli/secret.c). No network:
 * only literal addresses and "localhost" are resolved.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../checkmain.h"
#include "cli/cli.h"
#include "cli/portal.h"
#include "cli/secret.h"

/* secret.c reports through cli_err (main.c): keep the last message. */
static char last_err[512];

void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
}

static void parse_ok(const char *in, const char *want)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char err[256] = "", out[80];

	ck_assert_msg(portal_parse(in, &ss, &len, err, sizeof(err)) == 0, "%s: %s", in, err);
	portal_format((struct sockaddr *)&ss, out, sizeof(out));
	ck_assert_str_eq(out, want);
	ck_assert_uint_eq(len, ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
						       : sizeof(struct sockaddr_in6));
}

static void parse_bad(const char *in, int want, const char *msg)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256] = "";

	ck_assert_int_eq(portal_parse(in, &ss, &len, err, sizeof(err)), want);
	ck_assert_msg(strstr(err, msg), "%s: message '%s' lacks '%s'", in, err, msg);
}

START_TEST(portal_forms)
{
	parse_ok("192.0.2.10", "192.0.2.10:3260");
	parse_ok("192.0.2.10:3261", "192.0.2.10:3261");
	parse_ok("192.0.2.10:3260,1", "192.0.2.10:3260"); /* SendTargets form */
	parse_ok("[2001:db8::1]", "[2001:db8::1]:3260");
	parse_ok("[2001:db8::1]:860", "[2001:db8::1]:860");
	parse_ok("[2001:db8::1]:3260,7", "[2001:db8::1]:3260");
	parse_ok("2001:db8::1", "[2001:db8::1]:3260"); /* bare IPv6: no port */
	parse_ok("::1", "[::1]:3260");
	parse_ok("1.2.3.4:65535", "1.2.3.4:65535");
}
END_TEST

START_TEST(portal_names)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256];

	/* localhost resolves without a network; either family is fine. */
	ck_assert_int_eq(portal_parse("localhost:3262", &ss, &len, err, sizeof(err)), 0);
	if (ss.ss_family == AF_INET)
		ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&ss)->sin_port), 3262);
	else
		ck_assert_uint_eq(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 3262);
	parse_bad("no-such-host.invalid", -ENOENT, "cannot resolve");
}
END_TEST

START_TEST(portal_errors)
{
	parse_bad("", -EINVAL, "empty portal");
	parse_bad("[2001:db8::1", -EINVAL, "missing ']'");
	parse_bad("[2001:db8::1]x", -EINVAL, "expected ':PORT'");
	parse_bad("[]:3260", -EINVAL, "no host");
	parse_bad(":3260", -EINVAL, "no host");
	parse_bad("10.0.0.1:0", -EINVAL, "bad port");
	parse_bad("10.0.0.1:65536", -EINVAL, "bad port");
	parse_bad("10.0.0.1:32a", -EINVAL, "bad port");
	parse_bad("10.0.0.1:", -EINVAL, "bad port");
	parse_bad("10.0.0.1:-1", -EINVAL, "bad port");
	parse_bad("10.0.0.1:3260,x", -EINVAL, "portal group tag");
	parse_bad("10.0.0.1:3260,", -EINVAL, "portal group tag");
}
END_TEST

/* A secret file with the given content and mode in a private folder. */
static char dir[64];

static const char *secret_file(const char *name, const char *content, size_t n, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, n), (ssize_t)n);
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
	return path;
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_cli.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(secret_good)
{
	uint8_t buf[SECRET_MAX + 1];
	size_t len = 0;

	/* One trailing newline is stripped, the rest kept byte for byte. */
	ck_assert_int_eq(secret_read(secret_file("a", "s3cret12345\n", 12, 0600), buf, &len), 0);
	ck_assert_uint_eq(len, 11);
	ck_assert_mem_eq(buf, "s3cret12345", 11);
	ck_assert_int_eq(secret_read(secret_file("b", "two\n\n", 5, 0400), buf, &len), 0);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(buf, "two\n", 4);
	ck_assert_int_eq(secret_read(secret_file("c", " sp ace", 7, 0600), buf, &len), 0);
	ck_assert_uint_eq(len, 7);
}
END_TEST

START_TEST(secret_refused)
{
	uint8_t buf[SECRET_MAX + 1];
	char big[SECRET_MAX + 2];
	size_t len;

	last_err[0] = 0;
	ck_assert_int_eq(secret_read(secret_file("d", "secret\n", 7, 0644), buf, &len),
			 CLI_EXIT_LOCAL);
	ck_assert_msg(strstr(last_err, "chmod 600"), "%s", last_err);
	ck_assert_int_eq(secret_read(secret_file("e", "secret\n", 7, 0640), buf, &len),
			 CLI_EXIT_LOCAL);
	ck_assert_msg(strstr(last_err, "0640"), "%s", last_err);
	ck_assert_int_eq(secret_read(secret_file("f", "secret\n", 7, 0700), buf, &len),
			 CLI_EXIT_LOCAL);
	ck_assert_int_eq(secret_read(secret_file("g", "\n", 1, 0600), buf, &len), CLI_EXIT_LOCAL);
	ck_assert_msg(strstr(last_err, "empty"), "%s", last_err);
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(secret_read(secret_file("h", big, sizeof(big), 0600), buf, &len),
			 CLI_EXIT_LOCAL);
	ck_assert_msg(strstr(last_err, "longer"), "%s", last_err);
	/* Exactly SECRET_MAX bytes plus a newline is fine. */
	big[SECRET_MAX] = '\n';
	ck_assert_int_eq(secret_read(secret_file("i", big, SECRET_MAX + 1, 0600), buf, &len), 0);
	ck_assert_uint_eq(len, SECRET_MAX);
	ck_assert_int_eq(secret_read("/nonexistent/secret", buf, &len), CLI_EXIT_LOCAL);
	ck_assert_int_eq(secret_read(dir, buf, &len), CLI_EXIT_LOCAL); /* a folder */
	/* A symlink is not followed: what was checked must be what is read. */
	{
		char link[160];

		snprintf(link, sizeof(link), "%s/link", dir);
		ck_assert_int_eq(symlink(secret_file("j", "secret", 6, 0600), link), 0);
		ck_assert_int_eq(secret_read(link, buf, &len), CLI_EXIT_LOCAL);
	}
	/* Never the secret in a message. */
	ck_assert_ptr_null(strstr(last_err, "secret\n"));
}
END_TEST

START_TEST(secret_owner)
{
	uint8_t buf[SECRET_MAX + 1];
	size_t len;
	const char *p;

	if (geteuid() != 0)
		return; /* cannot give a file away without root */
	p = secret_file("k", "secret", 6, 0600);
	ck_assert_int_eq(chown(p, 65534, 65534), 0);
	last_err[0] = 0;
	ck_assert_int_eq(secret_read(p, buf, &len), CLI_EXIT_LOCAL);
	ck_assert_msg(strstr(last_err, "chown root"), "%s", last_err);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("portal");

	tcase_add_test(tc, portal_forms);
	tcase_add_test(tc, portal_names);
	tcase_add_test(tc, portal_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("secret");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, secret_good);
	tcase_add_test(tc, secret_refused);
	tcase_add_test(tc, secret_owner);
	suite_add_tcase(s, tc);
	return s;
}
