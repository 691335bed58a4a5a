#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "cli/cli.h"
#include "cli/daemon.h"
#include "util/log.h"

#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#endif

static int report_fd = -1;

static void report(const char *line)
{
	size_t len = strlen(line);

	if (report_fd < 0)
		return;
	if (write(report_fd, line, len) != (ssize_t)len)
		log_warn("daemon: could not report to the parent: %s", strerror(errno));
	close(report_fd);
	report_fd = -1;
}

int daemon_background(const char *log_path)
{
	int pfd[2], fd;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid > 0) {
		char buf[1024];
		size_t got = 0;
		ssize_t n;
		int code;

		close(pfd[1]);
		while (got < sizeof(buf) - 1 &&
		       (n = read(pfd[0], buf + got, sizeof(buf) - 1 - got)) > 0)
			got += (size_t)n;
		buf[got] = 0;
		buf[strcspn(buf, "\n")] = 0;
		if (strncmp(buf, "ok ", 3) == 0) {
			printf("%s\n", buf + 3);
			exit(0);
		}
		if (sscanf(buf, "err %d", &code) == 1) {
			const char *msg = strchr(buf + 4, ' ');

			fprintf(stderr, "iscsi-nbd: %s\n", msg ? msg + 1 : "failed");
			exit(code > 0 ? code : 1);
		}
		waitpid(pid, NULL, WNOHANG);
		fprintf(stderr, "iscsi-nbd: the daemon exited before it was ready; see %s\n",
			log_path ? log_path : "its log");
		exit(1);
	}
	close(pfd[0]);
	report_fd = pfd[1];
	if (setsid() < 0)
		log_warn("daemon: setsid: %s", strerror(errno));
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		close(fd);
	}
	fd = log_path ? open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)
		      : open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 2);
		close(fd);
	}
	return 0;
}

void daemon_ready(const char *msg)
{
	char line[600];

	snprintf(line, sizeof(line), "ok %s\n", msg);
	report(line);
	sd_notifyf(0, "READY=1\nSTATUS=attached %s", msg);
}

void daemon_failed(int exit_code, const char *msg)
{
	char line[600];

	snprintf(line, sizeof(line), "err %d %s\n", exit_code, msg);
	report(line);
	sd_notifyf(0, "STATUS=failed: %s", msg);
}

void daemon_status(const char *line)
{
	sd_notifyf(0, "STATUS=%s", line);
}

void daemon_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

int daemon_writeback_safety(void)
{
	int failed = 0;
	int fd;

	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
		log_warn("daemon: mlockall: %s; memory may be paged out under pressure",
			 strerror(errno));
		failed++;
	}
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "-1000", 5) != 5) {
		log_warn("daemon: cannot set oom_score_adj -1000: %s", strerror(errno));
		failed++;
	}
	if (fd >= 0)
		close(fd);
	if (prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0) < 0) {
		log_warn("daemon: PR_SET_IO_FLUSHER: %s", strerror(errno));
		failed++;
	}
	return failed;
}

void daemon_root_storage_mark(char **argv)
{
	char *nargv[256];
	size_t n;

	if (!argv || !argv[0] || argv[0][0] == '@')
		return;
	nargv[0] = (char *)"@" CLI_PROG;
	for (n = 1; argv[n] && n < sizeof(nargv) / sizeof(nargv[0]) - 1; n++)
		nargv[n] = argv[n];
	if (!argv[n]) {
		nargv[n] = NULL;
		fflush(NULL);
		execv("/proc/self/exe", nargv);
		log_warn("daemon: cannot re-execute as @" CLI_PROG
			 " (%s); marking argv[0] in place",
			 strerror(errno));
	}
	argv[0][0] = '@';
}

int daemon_root_storage_lock(void)
{
	if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
		return -errno;
	return 0;
}
