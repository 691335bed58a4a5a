#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/secret.h"
#include "util/cleanup.h"

void secret_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

int secret_read(const char *path, uint8_t *out, size_t *len)
{
	uint8_t buf[SECRET_MAX + 2];
	size_t n = 0;
	int code = secret_read_file(path, buf, sizeof(buf), &n);

	if (code)
		return code;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > SECRET_MAX) {
		cli_err("secret in %s is longer than %d bytes", path, SECRET_MAX);
		secret_wipe(buf, sizeof(buf));
		return CLI_EXIT_LOCAL;
	}
	if (n == 0) {
		cli_err("secret file %s is empty", path);
		return CLI_EXIT_LOCAL;
	}
	memcpy(out, buf, n);
	out[n] = 0;
	*len = n;
	secret_wipe(buf, sizeof(buf));
	return 0;
}

int secret_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
	CLEANUP_CLOSE int fd = -1;
	struct stat st;
	size_t n = 0;
	mode_t mode;

	/* O_NOFOLLOW: the checks below must be about the file we read. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		cli_err("cannot open secret file %s: %s", path, strerror(errno));
		return CLI_EXIT_LOCAL;
	}
	if (fstat(fd, &st) < 0) {
		cli_err("cannot stat secret file %s: %s", path, strerror(errno));
		return CLI_EXIT_LOCAL;
	}
	if (!S_ISREG(st.st_mode)) {
		cli_err("secret file %s is not a regular file", path);
		return CLI_EXIT_LOCAL;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		cli_err("secret file %s is owned by uid %u: it must belong to root "
			"(chown root:root %s)",
			path, (unsigned int)st.st_uid, path);
		return CLI_EXIT_LOCAL;
	}
	mode = st.st_mode & 07777;
	if (mode != 0600 && mode != 0400) {
		cli_err("secret file %s has mode %04o: others could read or change it; "
			"make it private with: chmod 600 %s",
			path, (unsigned int)mode, path);
		return CLI_EXIT_LOCAL;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			cli_err("cannot read secret file %s: %s", path, strerror(errno));
			secret_wipe(buf, cap);
			return CLI_EXIT_LOCAL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap)
			break;
	}
	/*
	 * From now on this process holds a secret: no core dump (and no
	 * ptrace by non-root) may carry it away.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		cli_err("warning: cannot disable core dumps (%s): a crash could leak the secret",
			strerror(errno));
	*len = n;
	return 0;
}
