/*
 * iscsi-nbd attach / serve: parse the command line into an export config,
 * check that at least one portal really logs in (so a wrong IQN, a wrong
 * secret or a dead portal is reported here, with its exit code, and nothing
 * is left half-attached), then run the export, in the background unless -f.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/conffile.h"
#include "cli/ctl.h"
#include "cli/daemon.h"
#include "cli/export.h"
#include "cli/lunlock.h"
#include "cli/portal.h"
#include "cli/servetls.h"
#include "cli/sync.h"
#include "nbd/netlink.h"
#include "path/policy.h"
#include "path/reserve.h"
#include "scsi/sam.h"
#include "scsi/sbc.h"
#include "scsi/sense.h"
#include "scsi/spc.h"
#include "path/transport.h"
#include "util/log.h"

enum {
	OPT_POLICY = CLI_OPT_FIRST_FREE,
	OPT_DEVICE,
	OPT_CONNECTIONS,
	OPT_NAME,
	OPT_SOCKET,
	OPT_LISTEN,
	OPT_EXPORT_NAME,
	OPT_NO_PATH_RETRY,
	OPT_NOP_INTERVAL,
	OPT_NOP_TIMEOUT,
	OPT_CMD_TIMEOUT,
	OPT_DEAD_CONN_TIMEOUT,
	OPT_RR_MIN_IO,
	OPT_FAILBACK,
	OPT_LOG_FILE,
	OPT_MAX_CLIENTS,
	OPT_CONFIG,
	OPT_RESCAN_INTERVAL,
	OPT_COALESCE_US,
	OPT_IO_TIMEOUT,
	OPT_IO_RETRIES,
	OPT_TLS,
	OPT_TLS_PSK,
	OPT_TLS_CERTIFICATES,
	OPT_TLS_VERIFY_PEER,
	OPT_RESERVATION,
	OPT_READ_ONLY,
	OPT_PREEMPT,
	OPT_ROOT_STORAGE,
};

/* --reservation (iscsi-nbd.8 EXCLUSIVE ACCESS). */
enum resv_policy {
	RESV_EXCLUSIVE, /* reserve; a target without PR: warned */
	RESV_REQUIRED,	/* reserve; a target without PR: refused */
	RESV_NONE,	/* no reservation: a cluster filesystem shares the LUN */
};

/* What the preflight needs besides the target: filled by export_main. */
struct resv_opts {
	enum resv_policy policy;
	bool read_only, preempt;
	bool serve;
};

static const struct option attach_opts[] = {
	CLI_TARGET_LONGOPTS,
	{"foreground", no_argument, NULL, 'f'},
	{"help", no_argument, NULL, 'h'},
	{"policy", required_argument, NULL, OPT_POLICY},
	{"device", required_argument, NULL, OPT_DEVICE},
	{"connections", required_argument, NULL, OPT_CONNECTIONS},
	{"name", required_argument, NULL, OPT_NAME},
	{"socket", required_argument, NULL, OPT_SOCKET},
	{"listen", required_argument, NULL, OPT_LISTEN},
	{"export-name", required_argument, NULL, OPT_EXPORT_NAME},
	{"max-clients", required_argument, NULL, OPT_MAX_CLIENTS},
	{"tls", required_argument, NULL, OPT_TLS},
	{"tls-psk", required_argument, NULL, OPT_TLS_PSK},
	{"tls-certificates", required_argument, NULL, OPT_TLS_CERTIFICATES},
	{"tls-verify-peer", no_argument, NULL, OPT_TLS_VERIFY_PEER},
	{"no-path-retry", required_argument, NULL, OPT_NO_PATH_RETRY},
	{"nop-interval", required_argument, NULL, OPT_NOP_INTERVAL},
	{"nop-timeout", required_argument, NULL, OPT_NOP_TIMEOUT},
	{"cmd-timeout", required_argument, NULL, OPT_CMD_TIMEOUT},
	{"dead-conn-timeout", required_argument, NULL, OPT_DEAD_CONN_TIMEOUT},
	{"rr-min-io", required_argument, NULL, OPT_RR_MIN_IO},
	{"failback", required_argument, NULL, OPT_FAILBACK},
	{"log-file", required_argument, NULL, OPT_LOG_FILE},
	{"rescan-interval", required_argument, NULL, OPT_RESCAN_INTERVAL},
	{"coalesce-us", required_argument, NULL, OPT_COALESCE_US},
	{"io-timeout", required_argument, NULL, OPT_IO_TIMEOUT},
	{"io-retries", required_argument, NULL, OPT_IO_RETRIES},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"reservation", required_argument, NULL, OPT_RESERVATION},
	{"read-only", no_argument, NULL, OPT_READ_ONLY},
	{"preempt", no_argument, NULL, OPT_PREEMPT},
	{"root-storage", no_argument, NULL, OPT_ROOT_STORAGE},
	{NULL, 0, NULL, 0},
};

static void attach_usage(FILE *f, bool serve)
{
	if (serve)
		fprintf(f, "Usage: " CLI_PROG " serve -t IQN -P PORTAL [-P PORTAL ...] [-l LUN]\n"
			   "       (--socket PATH | --listen HOST:PORT) [OPTIONS]\n\n"
			   "Serve the LUN, over all its paths, to NBD clients (qemu, nbdcopy,\n"
			   "nbdinfo, fio) with the fixed newstyle handshake.\n\n");
	else
		fprintf(f,
			"Usage: " CLI_PROG " attach -t IQN -P PORTAL [-P PORTAL ...] [-l LUN]\n"
			"       [--device /dev/nbdN] [OPTIONS]\n\n"
			"Attach the LUN, over all its paths, as /dev/nbdN. Prints the device\n"
			"when it is ready and stays in the background (or in the foreground\n"
			"with -f). If --device names a device still connected after a daemon\n"
			"crash, the device is taken back without failing its I/O (requests the\n"
			"dead daemon held are re-sent by the kernel when its 30 s request timer\n"
			"fires). Online resize: when the LUN grows, /dev/nbdN grows with it.\n\n");
	fputs(cli_target_help, f);
	fprintf(f,
		"  (-P may be given up to %d times, one path each; PORTAL@IFACE binds that\n"
		"   path to a network interface, PORTAL@ADDR to a local source address)\n\n"
		"Path options:\n"
		"      --policy NAME            round-robin (default), failover, queue-length,\n"
		"                               service-time\n"
		"      --rr-min-io N            round-robin: commands per path turn (default 1)\n"
		"      --failback WHEN          failover: immediate (default), manual, or seconds\n"
		"      --no-path-retry SECONDS  how long I/O waits for a path (default 15)\n"
		"      --nop-interval MS        NOP-Out after this much silence (default 1000)\n"
		"      --nop-timeout MS         silence that fails a busy path (default 1500)\n"
		"      --cmd-timeout MS         per-command deadline (default 30000)\n"
		"      --io-timeout SECONDS     deadline of one request across all its\n"
		"                               retries and waits, then EIO (default 60)\n"
		"      --io-retries N           re-sends of a command after path failures\n"
		"                               before its request fails (default 8)\n"
		"      --rescan-interval SEC    re-read the LUN's capacity for online resize\n"
		"                               (default 10; 0: only on a capacity-changed\n"
		"                               unit attention)\n"
		"      --coalesce-us US         with %d or more requests in flight, gather\n"
		"                               events this long before each wait (default\n"
		"                               %d; 0: never)\n\n",
		PATH_MAX_PATHS, EXPORT_COALESCE_DEPTH, EXPORT_COALESCE_US);
	if (serve)
		fprintf(f, "Server options:\n"
			   "      --socket PATH            Unix socket (mode 0600)\n"
			   "      --listen HOST:PORT       TCP socket: any client can read and\n"
			   "                               write the LUN: TLS required by default\n"
			   "      --export-name NAME       export name (default \"\")\n"
			   "      --max-clients N          (default 16)\n"
			   "      --tls MODE               off, on (offer TLS) or require (refuse\n"
			   "                               plaintext clients); default: require\n"
			   "                               off loopback or with credentials, else\n"
			   "                               off (Unix socket, loopback)\n"
			   "      --tls-psk FILE           pre-shared keys, psktool format\n"
			   "                               (NAME:HEXKEY lines), mode 0600\n"
			   "      --tls-certificates DIR   X.509: ca-cert.pem, server-cert.pem,\n"
			   "                               server-key.pem\n"
			   "      --tls-verify-peer        require a client certificate that\n"
			   "                               DIR/ca-cert.pem signed\n");
	else
		fprintf(f, "Device options:\n"
			   "      --device /dev/nbdN       device to use (default: first free)\n"
			   "      --connections N          kernel sockets (queues): default CPUs, "
			   "max 4\n"
			   "      --dead-conn-timeout SEC  how long the kernel keeps I/O for a "
			   "restarted\n"
			   "                               daemon (default 60)\n");
	fprintf(f, "Exclusive access (SCSI-3 persistent reservations):\n"
		   "      --reservation POLICY     exclusive (default): register every path and\n"
		   "                               reserve the LUN (Write Exclusive - Registrants\n"
		   "                               Only), refuse a LUN another host holds (exit\n"
		   "                               10), warn if the target has no reservations;\n"
		   "                               required: refuse such a target too; none: no\n"
		   "                               reservation (only for a cluster filesystem)\n"
		   "      --read-only              export read-only, take no reservation: shares\n"
		   "                               a LUN another host holds; writes fail (EPERM)\n"
		   "      --preempt                take the LUN from another host (PREEMPT AND\n"
		   "                               ABORT): only when that host is dead\n");
	fprintf(f,
		"Daemon options:\n"
		"  -f, --foreground             stay in the foreground, log to stderr\n"
		"      --name NAME              control socket name (default nbdN / serve-PID)\n"
		"      --log-file FILE          background log (default %s/NAME.log)\n"
		"      --root-storage           the device holds the root filesystem: run as\n"
		"                               @" CLI_PROG " (systemd's shutdown spares it),\n"
		"                               fail unless all memory can be locked\n"
		"      --config NAME            read %s/NAME.conf (or a file) after\n"
		"                               " CONFIG_GLOBAL_NAME
		".conf; options given here win\n",
		ctl_dir(), config_dir());
}

static int parse_uint(const char *what, const char *arg, uint64_t max, uint64_t *out)
{
	if (cli_parse_u64(arg, out) < 0 || *out > max) {
		cli_err("bad %s '%s': give a number up to %llu", what, arg,
			(unsigned long long)max);
		return -1;
	}
	return 0;
}

/* "192.0.2.7" / "2001:db8::7" (or "[2001:db8::7]"): a source address for the path. */
static int bind_source(const char *s, struct path_config *pc)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&pc->bind_addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&pc->bind_addr;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);

	memset(&pc->bind_addr, 0, sizeof(pc->bind_addr));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		pc->bind_addr_len = sizeof(*sin);
		return 0;
	}
	if (n >= 2 && n < sizeof(buf) && s[0] == '[' && s[n - 1] == ']') {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = 0;
		s = buf;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		pc->bind_addr_len = sizeof(*sin6);
		return 0;
	}
	pc->bind_addr.ss_family = AF_UNSPEC;
	pc->bind_addr_len = 0;
	return -EINVAL;
}

/*
 * A stable ISID per (initiator, target, portal, LUN): a restarted daemon
 * logs in with the same ISID, which reinstates (and so cleans up) the
 * session its predecessor left at the target (RFC 7143 6.3.5). The LUN is
 * part of it because each daemon has its own sessions: two daemons for two
 * LUNs of one target with one ISID per portal reinstate each other's
 * sessions on every login, forever (seen against tgtd, t-nbd-two-luns).
 * Format "random" (T = 10b, RFC 7143 11.12.5): 0x80 then 5 bytes of an
 * FNV-1a hash.
 */
static void stable_isid(uint8_t isid[6], const char *a, const char *b, const char *c, uint32_t lun)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char lunbuf[16];
	const char *parts[4] = {a, b, c, lunbuf};
	int i;

	snprintf(lunbuf, sizeof(lunbuf), "%u", lun);
	for (i = 0; i < 4; i++) {
		for (const char *p = parts[i] ? parts[i] : ""; *p; p++) {
			h ^= (unsigned char)*p;
			h *= 0x100000001b3ull;
		}
		h ^= 0xff;
		h *= 0x100000001b3ull;
	}
	isid[0] = 0x80;
	for (i = 1; i < 6; i++)
		isid[i] = (uint8_t)(h >> (8 * (i - 1)));
}

/*
 * The LUN must be a connected block device: a common slip is LUN 0 on
 * targets (tgt among them) whose LUN 0 is the storage controller. Saying
 * so now beats a path layer that retries a probe that can never succeed.
 */
static int preflight_lun(struct cli_sync *y, const struct cli_target *t)
{
	struct sess_task task = {0};
	struct scsi_inquiry inq;
	uint8_t buf[96];

	task.cdb_len =
		(uint8_t)scsi_build_inquiry(task.cdb, sizeof(task.cdb), false, 0, sizeof(buf));
	task.lun = t->lun;
	task.dir = SESS_DIR_READ;
	task.iov[0].iov_base = buf;
	task.iov[0].iov_len = sizeof(buf);
	task.iov_cnt = 1;
	task.xfer_len = sizeof(buf);
	if (sync_task(y, &task) != 0)
		return CLI_EXIT_CONNECT;
	/* The session checked that the residual fits EDTL and the data agrees. */
	if (task.response != 0 || task.status != 0 ||
	    scsi_inquiry_parse(buf, sizeof(buf) - (task.residual_under ? task.residual : 0), &inq) <
		    0) {
		cli_err("INQUIRY of LUN %u on %s failed (status 0x%02x): is the LUN number right? "
			"('" CLI_PROG " luns -t %s -P %s' lists them)",
			t->lun, t->target, task.status, t->target, t->portal);
		return CLI_EXIT_IO;
	}
	if (inq.qualifier != 0 || inq.device_type != 0) {
		cli_err("LUN %u of %s is not a connected disk (peripheral qualifier %u, type "
			"0x%02x%s); "
			"give the data LUN with -l ('" CLI_PROG " luns -t %s -P %s' lists them)",
			t->lun, t->target, inq.qualifier, inq.device_type,
			inq.device_type == 0x0c ? ": a storage controller" : "", t->target,
			t->portal);
		return CLI_EXIT_IO;
	}
	return 0;
}

/* One READ CAPACITY into buf; the bytes received, or -1 (refused or failed). */
static int preflight_readcap(struct cli_sync *y, const struct cli_target *t, bool sixteen,
			     uint8_t *buf, uint32_t len)
{
	struct sess_task task = {0};
	int n = sixteen ? scsi_build_readcap16(task.cdb, sizeof(task.cdb), len)
			: scsi_build_readcap10(task.cdb, sizeof(task.cdb));

	task.cdb_len = (uint8_t)n;
	task.lun = t->lun;
	task.dir = SESS_DIR_READ;
	task.iov[0].iov_base = buf;
	task.iov[0].iov_len = len;
	task.iov_cnt = 1;
	task.xfer_len = len;
	/* A UNIT ATTENTION after login is normal (RFC 7143): one more try. */
	for (int tries = 0; tries < 3; tries++) {
		if (n < 0 || sync_task(y, &task) != 0)
			return -1;
		if (task.response == 0 && task.status == 0)
			return (int)(len - (task.residual_under ? task.residual : 0));
	}
	return -1;
}

/*
 * The geometry must be one the export can carry (part of the exit status:
 * CLI_EXIT_GEOMETRY), said now rather than by a daemon that never becomes
 * ready. READ CAPACITY(16) first, as the path layer's probe does; (10) when
 * (16) is refused. A capacity we cannot read here is left to the probe.
 */
static int preflight_geometry(struct cli_sync *y, const struct cli_target *t, bool serve)
{
	uint8_t buf[SCSI_READCAP16_LEN];
	struct scsi_capacity cap;
	uint64_t size = 0;
	char why[160];
	int got, r;

	got = preflight_readcap(y, t, true, buf, sizeof(buf));
	if (got < 0 || scsi_readcap16_parse(buf, (size_t)got, &cap) < 0) {
		bool answered16 = got >= 0;

		got = preflight_readcap(y, t, false, buf, SCSI_READCAP10_LEN);
		if (got >= 0 && answered16 && scsi_readcap10_parse(buf, (size_t)got, &cap) < 0) {
			/*
			 * Both commands completed and neither answer parses (a
			 * block length of 0, a short answer): the probe would
			 * fail the same way on every login until the start
			 * timeout, so say it now.
			 */
			cli_err("LUN %u of %s answers READ CAPACITY(16) and (10) with no usable "
				"capacity (block length 0 or a short answer)",
				t->lun, t->target);
			return CLI_EXIT_GEOMETRY;
		}
		if (got < 0 || scsi_readcap10_parse(buf, (size_t)got, &cap) < 0)
			return 0;
		if (cap.need_rc16) {
			cli_err("LUN %u of %s is too large for READ CAPACITY(10) and refuses READ "
				"CAPACITY(16): its size is unknown",
				t->lun, t->target);
			return CLI_EXIT_GEOMETRY;
		}
	}
	r = scsi_capacity_bytes(&cap, &size);
	if (r < 0) {
		cli_err("LUN %u of %s: %llu blocks of %u bytes %s", t->lun, t->target,
			(unsigned long long)cap.nblocks, cap.block_size,
			r == -EOVERFLOW ? "is more than 2^64 bytes" : "is no usable capacity");
		return CLI_EXIT_GEOMETRY;
	}
	if (cap.lbppbe >= 32 || ((uint64_t)cap.block_size << cap.lbppbe) > UINT32_MAX) {
		cli_err("LUN %u of %s: physical block of 2^%u blocks of %u bytes is too large",
			t->lun, t->target, cap.lbppbe, cap.block_size);
		return CLI_EXIT_GEOMETRY;
	}
	if (export_geometry_check(serve ? EXPORT_SERVER : EXPORT_KERNEL, cap.block_size,
				  cap.block_size << cap.lbppbe, size, why, sizeof(why))) {
		cli_err("LUN %u of %s cannot be %s: %s", t->lun, t->target,
			serve ? "served" : "attached", why);
		return CLI_EXIT_GEOMETRY;
	}
	return 0;
}

/* One PR IN into buf: the bytes received, -1 refused (CHECK CONDITION), -2 failed. */
static int preflight_prin(struct cli_sync *y, const struct cli_target *t, uint8_t sa, uint8_t *buf,
			  uint16_t len)
{
	struct sess_task task = {0};
	int n = scsi_build_pr_in(task.cdb, sizeof(task.cdb), sa, len);

	task.cdb_len = (uint8_t)n;
	task.lun = t->lun;
	task.dir = SESS_DIR_READ;
	task.iov[0].iov_base = buf;
	task.iov[0].iov_len = len;
	task.iov_cnt = 1;
	task.xfer_len = len;
	/* A UNIT ATTENTION after login is normal (RFC 7143): one more try. */
	for (int tries = 0; tries < 3; tries++) {
		if (n < 0 || sync_task(y, &task) != 0)
			return -2;
		if (task.response == 0 && task.status == 0)
			return (int)(len - (task.residual_under ? task.residual : 0));
		if (task.response == 0 && task.status == SCSI_STATUS_CHECK_CONDITION &&
		    task.sense_len) {
			struct scsi_sense sense;

			if (scsi_sense_parse(task.sense, task.sense_len, &sense) == 0 &&
			    sense.key == SCSI_SK_UNIT_ATTENTION)
				continue;
		}
		return -1;
	}
	return -1;
}

/*
 * Another host holds the LUN: say so before any write, before the daemon
 * starts, with its key and what to do (iscsi-nbd.8 EXCLUSIVE ACCESS). Only
 * PR IN is sent here (READ RESERVATION needs no registration), so a
 * refused attach has changed nothing at the target. The path layer checks
 * again before each path registers (a host may reserve in between).
 */
static int preflight_reservation(struct cli_sync *y, const struct cli_target *t,
				 const struct resv_opts *ro, uint64_t host_key)
{
	uint8_t buf[24];
	struct scsi_pr_reservation r;
	struct scsi_pr_caps caps;
	int got;

	if (ro->read_only || ro->policy == RESV_NONE)
		return 0;
	got = preflight_prin(y, t, SCSI_PR_IN_REPORT_CAPABILITIES, buf, SCSI_PR_CAPS_LEN);
	if (got == -1 ||
	    (got >= 0 && (scsi_pr_caps_parse(buf, (size_t)got, &caps) < 0 ||
			  !scsi_pr_caps_has_type(&caps, SCSI_PR_WRITE_EXCLUSIVE_RO)))) {
		if (ro->policy == RESV_REQUIRED) {
			cli_err("LUN %u of %s: the target does not support persistent reservations "
				"(Write Exclusive - Registrants Only) and --reservation required "
				"was given",
				t->lun, t->target);
			return CLI_EXIT_RESERVED;
		}
		return 0; /* the daemon warns */
	}
	got = preflight_prin(y, t, SCSI_PR_IN_READ_RESERVATION, buf, sizeof(buf));
	if (got < 0 || scsi_pr_read_reservation_parse(buf, (size_t)got, &r) < 0)
		return 0; /* the path layer tries again and reports */
	if (!r.held || path_resv_ours(r.key, host_key))
		return 0;
	if (ro->preempt) {
		log_notice("LUN %u of %s is reserved by key 0x%016" PRIx64 " (%s): preempting it",
			   t->lun, t->target, r.key, scsi_pr_type_name(r.type));
		return 0;
	}
	cli_err("LUN %u of %s is reserved by another host: key 0x%016" PRIx64 " (%s); nothing "
		"was written. If that host is dead or detached, take the LUN over with "
		"'" CLI_PROG " %s ... --preempt' (PREEMPT AND ABORT: where the target supports it, "
		"that host's queued commands are aborted); "
		"to use it beside that host, add --read-only; '" CLI_PROG " pr keys -t %s -P %s "
		"-l %u' shows the registrations",
		t->lun, t->target, r.key, scsi_pr_type_name(r.type), ro->serve ? "serve" : "attach",
		t->target, t->portal, t->lun);
	return CLI_EXIT_RESERVED;
}

/* Log in once on some portal to report a wrong IQN / secret / dead portals now. */
static int preflight(struct cli_target *t, char **portals, unsigned int n, bool serve,
		     const struct resv_opts *ro)
{
	int first = CLI_EXIT_CONNECT;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct sess_config sc;
		struct cli_sync y;
		uint64_t host_key;
		int code;

		t->portal = portals[i];
		code = cli_config_build(t, false, &sc);
		if (code)
			return code;
		sc.isid[5] ^= 0x5a; /* never the ISID a path will use */
		host_key = path_resv_host_key(sc.initiator_name);
		code = sync_open(&y, &sc, t->timeout);
		cli_config_release(&sc);
		if (code == 0) {
			code = preflight_lun(&y, t);
			if (code == 0)
				code = preflight_geometry(&y, t, serve);
			if (code == 0)
				code = preflight_reservation(&y, t, ro, host_key);
			sync_close(&y);
			return code;
		}
		if (i == 0)
			first = code;
		/* Auth and login failures are the same on every portal: stop here. */
		if (code == CLI_EXIT_AUTH || code == CLI_EXIT_LOGIN)
			return code;
	}
	return first;
}

/* Held from before the first login until the daemon returns (lunlock.h). */
static struct lunlock *export_lock;

/*
 * One daemon per target LUN per host, checked before any login so that a
 * refused start costs the target nothing (a login with the running
 * daemon's ISIDs would reinstate its sessions).
 */
static int export_take_lock(const struct cli_target *t, const char *name, bool serve)
{
	struct lunlock_holder h;
	char who[300];
	int err;

	if (!name)
		name = serve ? "serve" : "attach";
	err = lunlock_take(t->target, t->lun, name, &export_lock, &h);

	if (err == -EBUSY) {
		if (h.pid)
			snprintf(who, sizeof(who), "PID %d (name %s, %s)", (int)h.pid, h.name,
				 strcmp(h.device, "-") ? h.device : "starting");
		else
			snprintf(who, sizeof(who), "another " CLI_PROG " that is starting");
		cli_err("%s LUN %" PRIu32 " is already attached or served on this host by %s: "
			"one daemon per LUN ('" CLI_PROG " detach %s' first); lock %s",
			t->target, t->lun, who, h.pid ? h.name : "NAME", h.path);
		return CLI_EXIT_BUSY;
	}
	if (err && lunlock_perm_error(err)) {
		/* Not root (serve needs no privilege): nobody holds it, we cannot take it. */
		log_warn("cannot take the LUN lock %s: %s; one daemon per LUN is not enforced "
			 "for this one (set ISCSI_NBD_RUNDIR to a folder of yours)",
			 h.path, strerror(-err));
		return 0;
	}
	if (err) {
		cli_err("cannot take the LUN lock %s: %s", h.path, strerror(-err));
		return CLI_EXIT_LOCAL;
	}
	return 0;
}

static int export_main(int argc, char **argv, bool serve, char **portals, struct serve_tls *stls)
{
	struct export_config ec = {0};
	struct resv_opts ro = {.policy = RESV_EXCLUSIVE};
	struct cli_target t;
	struct sess_config sc;
	char *ifaces[PATH_MAX_PATHS] = {0};
	unsigned int np = 0, i;
	bool foreground = false, root_storage = false;
	const char *log_file = NULL;
	char logbuf[300];
	uint64_t v;
	long ncpu;
	int c, code;
	bool tls_opt = false;

	cli_target_init(&t);
	ec.mode = serve ? EXPORT_SERVER : EXPORT_KERNEL;
	ec.index = -1;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	ec.nconns = ncpu < 1 ? 1 : ncpu > 4 ? 4 : (unsigned int)ncpu;
	ec.dead_conn_timeout_s = 60;
	ec.max_clients = 16;
	ec.start_timeout_ms = 30000;
	ec.rescan_interval_s = 10;
	ec.coalesce_us = EXPORT_COALESCE_US;
	ec.stop_timeout_ms = 20000;
	ec.dev.policy.kind = PATH_POLICY_ROUND_ROBIN;
	ec.dev.transport = &path_transport_sess;

	/* --config NAME: the file's values become options placed first. */
	code = config_expand_args(&argc, &argv, attach_opts, "t:P:l:fh", OPT_CONFIG, &serve);
	if (code)
		return code;
	ec.mode = serve ? EXPORT_SERVER : EXPORT_KERNEL;
	ro.serve = serve;
	while ((c = getopt_long(argc, argv, "t:P:l:fh", attach_opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (np == PATH_MAX_PATHS) {
				cli_err("at most %d portals (paths)", PATH_MAX_PATHS);
				return CLI_EXIT_USAGE;
			}
			portals[np] = strdup(optarg);
			if (!portals[np])
				return CLI_EXIT_LOCAL;
			/* PORTAL@IFACE: bind this path to an interface. */
			ifaces[np] = strrchr(portals[np], '@');
			if (ifaces[np])
				*ifaces[np]++ = 0;
			np++;
			continue;
		case 'f':
			foreground = true;
			continue;
		case 'h':
			attach_usage(stdout, serve);
			return CLI_EXIT_OK;
		case OPT_POLICY:
			if (path_policy_parse(optarg, &ec.dev.policy.kind) < 0) {
				cli_err("unknown policy '%s': give round-robin, failover, "
					"queue-length or service-time",
					optarg);
				return CLI_EXIT_USAGE;
			}
			continue;
		case OPT_RR_MIN_IO:
			if (parse_uint("--rr-min-io", optarg, 1u << 20, &v) < 0)
				return CLI_EXIT_USAGE;
			ec.dev.policy.rr_min_io = (uint32_t)v;
			continue;
		case OPT_FAILBACK:
			if (path_failback_parse(optarg, &ec.dev.policy.failback,
						&ec.dev.policy.failback_delay_ms) < 0) {
				cli_err("bad --failback '%s': give immediate, manual or seconds",
					optarg);
				return CLI_EXIT_USAGE;
			}
			continue;
		case OPT_DEVICE: {
			const char *p = optarg;
			char *end;
			long idx;

			if (strncmp(p, "/dev/", 5) == 0)
				p += 5;
			if (strncmp(p, "nbd", 3) == 0)
				p += 3;
			idx = strtol(p, &end, 10);
			if (*p == 0 || *end || idx < 0 || idx > 65535) {
				cli_err("bad --device '%s': give /dev/nbdN", optarg);
				return CLI_EXIT_USAGE;
			}
			ec.index = (int32_t)idx;
			continue;
		}
		case OPT_CONNECTIONS:
			if (parse_uint("--connections", optarg, 16, &v) < 0 || v == 0)
				return CLI_EXIT_USAGE;
			ec.nconns = (unsigned int)v;
			continue;
		case OPT_NAME:
			if (!*optarg || strchr(optarg, '/') || strlen(optarg) > 48) {
				cli_err("bad --name '%s': a short name without '/'", optarg);
				return CLI_EXIT_USAGE;
			}
			ec.name = optarg;
			continue;
		case OPT_SOCKET:
			ec.socket_path = optarg;
			continue;
		case OPT_LISTEN:
			ec.listen_addr = optarg;
			continue;
		case OPT_EXPORT_NAME:
			ec.export_name = optarg;
			continue;
		case OPT_TLS:
			stls->mode_arg = optarg;
			tls_opt = true;
			continue;
		case OPT_TLS_PSK:
			stls->psk_file = optarg;
			tls_opt = true;
			continue;
		case OPT_TLS_CERTIFICATES:
			stls->cert_dir = optarg;
			tls_opt = true;
			continue;
		case OPT_TLS_VERIFY_PEER:
			stls->verify_peer = true;
			tls_opt = true;
			continue;
		case OPT_MAX_CLIENTS:
			if (parse_uint("--max-clients", optarg, 1024, &v) < 0 || v == 0)
				return CLI_EXIT_USAGE;
			ec.max_clients = (unsigned int)v;
			continue;
		case OPT_NO_PATH_RETRY:
			if (parse_uint("--no-path-retry", optarg, 3600, &v) < 0)
				return CLI_EXIT_USAGE;
			/* 0 would mean "the default": fail at once is 1 ms. */
			ec.dev.no_path_retry_ms = v ? (uint32_t)v * 1000 : 1;
			continue;
		case OPT_NOP_INTERVAL:
			if (parse_uint("--nop-interval", optarg, 3600000, &v) < 0)
				return CLI_EXIT_USAGE;
			ec.dev.nop_interval_ms = (uint32_t)v;
			continue;
		case OPT_NOP_TIMEOUT:
			if (parse_uint("--nop-timeout", optarg, 3600000, &v) < 0)
				return CLI_EXIT_USAGE;
			ec.dev.nop_timeout_ms = (uint32_t)v;
			continue;
		case OPT_CMD_TIMEOUT:
			if (parse_uint("--cmd-timeout", optarg, 3600000, &v) < 0)
				return CLI_EXIT_USAGE;
			ec.dev.cmd_timeout_ms = (uint32_t)v;
			continue;
		case OPT_DEAD_CONN_TIMEOUT:
			if (parse_uint("--dead-conn-timeout", optarg, 86400, &v) < 0)
				return CLI_EXIT_USAGE;
			ec.dead_conn_timeout_s = (uint32_t)v;
			continue;
		case OPT_LOG_FILE:
			log_file = optarg;
			continue;
		case OPT_RESCAN_INTERVAL:
			if (parse_uint("--rescan-interval", optarg, 86400, &v) < 0)
				return CLI_EXIT_USAGE;
			ec.rescan_interval_s = (uint32_t)v;
			continue;
		case OPT_COALESCE_US:
			if (parse_uint("--coalesce-us", optarg, 10000, &v) < 0)
				return CLI_EXIT_USAGE;
			ec.coalesce_us = (uint32_t)v;
			continue;
		case OPT_IO_TIMEOUT:
			if (parse_uint("--io-timeout", optarg, 86400, &v) < 0 || v == 0)
				return CLI_EXIT_USAGE;
			ec.dev.io_timeout_ms = (uint32_t)v * 1000;
			continue;
		case OPT_IO_RETRIES:
			if (parse_uint("--io-retries", optarg, 1000, &v) < 0 || v == 0)
				return CLI_EXIT_USAGE;
			ec.dev.io_retries = (uint32_t)v;
			continue;
		case OPT_CONFIG: /* read by config_expand_args() */
			continue;
		case OPT_RESERVATION:
			if (strcmp(optarg, "exclusive") == 0)
				ro.policy = RESV_EXCLUSIVE;
			else if (strcmp(optarg, "required") == 0)
				ro.policy = RESV_REQUIRED;
			else if (strcmp(optarg, "none") == 0)
				ro.policy = RESV_NONE;
			else {
				cli_err("bad --reservation '%s': give exclusive, required or none",
					optarg);
				return CLI_EXIT_USAGE;
			}
			continue;
		case OPT_READ_ONLY:
			ro.read_only = true;
			continue;
		case OPT_PREEMPT:
			ro.preempt = true;
			continue;
		case OPT_ROOT_STORAGE:
			root_storage = true;
			continue;
		default:
			break;
		}
		code = cli_target_opt(&t, c, optarg);
		if (code == 1)
			continue;
		if (code == 0)
			attach_usage(stderr, serve);
		return CLI_EXIT_USAGE;
	}
	if (optind < argc) {
		cli_err("unexpected argument '%s'", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (!t.target || np == 0) {
		cli_err("%s needs -t IQN and at least one -P PORTAL (see --help)",
			serve ? "serve" : "attach");
		return CLI_EXIT_USAGE;
	}
	if (serve && !ec.socket_path == !ec.listen_addr) {
		cli_err("serve needs exactly one of --socket PATH or --listen HOST:PORT");
		return CLI_EXIT_USAGE;
	}
	if (!serve && tls_opt) {
		cli_err("--tls options are for serve: attach exports /dev/nbdN on this host only");
		return CLI_EXIT_USAGE;
	}
	/* Before any login: a network listen without credentials is refused right here. */
	if (serve) {
		code = serve_tls_setup(stls, ec.listen_addr, ec.socket_path);
		if (code)
			return code;
		ec.tls_mode = stls->mode;
		ec.tls = stls->tls;
	}
	if (ro.preempt && (ro.read_only || ro.policy == RESV_NONE)) {
		cli_err("--preempt takes the LUN's reservation: not with --read-only or "
			"--reservation none");
		return CLI_EXIT_USAGE;
	}
	if (root_storage && serve) {
		cli_err("--root-storage is for attach: serve exports no block device");
		return CLI_EXIT_USAGE;
	}
	/* Before any lock or login: this may re-execute the whole command. */
	if (root_storage)
		daemon_root_storage_mark(cli_main_argv);
	code = export_take_lock(&t, ec.name, serve);
	if (code)
		return code;
	ec.lock = export_lock;
	if (!serve) {
		struct nbdnl nl;
		int err = nbdnl_open(&nl);

		if (err == -ENOENT || err == -EOPNOTSUPP || err == -ENOSYS) {
			cli_err("the kernel has no nbd driver (generic netlink family \"nbd\" "
				"missing): run 'modprobe nbd', or use 'iscsi-nbd serve'");
			return CLI_EXIT_LOCAL;
		}
		if (err) {
			cli_err("cannot talk to the kernel's nbd driver: %s%s", strerror(-err),
				err == -EPERM ? " (attach needs root / CAP_SYS_ADMIN)" : "");
			return CLI_EXIT_LOCAL;
		}
		nbdnl_close(&nl);
	}

	/*
	 * A device a running daemon of ours serves is refused before any
	 * login: our paths log in with that daemon's ISIDs, which would
	 * reinstate (kill) its sessions, and RECONFIGURE cannot take a device
	 * whose sockets are alive anyway.
	 */
	if (!serve && ec.index >= 0) {
		char nm[32], rsp[64];

		snprintf(nm, sizeof(nm), "nbd%d", ec.index);
		if (ctl_request(nm, "status", rsp, sizeof(rsp), 2000) == 0) {
			cli_err("/dev/nbd%d is in use: a running " CLI_PROG " serves it (control "
				"socket %s/%s.sock answers); detach it first or pick another "
				"--device",
				ec.index, ctl_dir(), nm);
			return CLI_EXIT_LOCAL;
		}
	}

	code = preflight(&t, portals, np, serve, &ro);
	if (code)
		return code;

	/* The device config: credentials and initiator name as the one-shot commands find them. */
	t.portal = portals[0];
	code = cli_config_build(&t, false, &sc);
	if (code)
		return code;
	ec.dev.initiator_name = sc.initiator_name;
	ec.dev.target_name = t.target;
	ec.dev.lun = t.lun;
	ec.dev.chap_user = sc.chap_user;
	ec.dev.chap_secret = sc.chap_secret;
	ec.dev.chap_secret_len = sc.chap_secret_len;
	ec.dev.mutual_user = sc.mutual_user;
	ec.dev.mutual_secret = sc.mutual_secret;
	ec.dev.mutual_secret_len = sc.mutual_secret_len;
	ec.dev.header_digest = t.header_digest;
	ec.dev.max_recv_dsl = t.max_recv_dsl;
	ec.dev.data_digest = t.data_digest;
	for (i = 0; i < np; i++) {
		struct path_config *pc = &ec.dev.paths[i];
		char err[160];

		if (portal_parse(portals[i], &pc->portal, &pc->portal_len, err, sizeof(err)) < 0) {
			cli_err("%s", err);
			cli_config_release(&sc);
			return CLI_EXIT_USAGE;
		}
		/* PORTAL@IFACE binds the path to an interface, PORTAL@ADDR to a source address. */
		if (ifaces[i] && bind_source(ifaces[i], pc) == 0)
			pc->bind_ifname = NULL;
		else
			pc->bind_ifname = ifaces[i];
		stable_isid(pc->isid, sc.initiator_name, t.target, portals[i], t.lun);
	}
	ec.dev.npaths = np;
	ec.dev.read_only = ro.read_only;
	if (!ro.read_only && ro.policy != RESV_NONE) {
		ec.dev.pr_key = path_resv_host_key(sc.initiator_name);
		ec.dev.pr_required = ro.policy == RESV_REQUIRED;
		ec.dev.pr_preempt = ro.preempt;
	} else if (!ro.read_only) {
		log_warn("--reservation none: nothing stops another host from writing this LUN "
			 "at the same time (only for a cluster filesystem)");
	}

	if (!foreground) {
		/* The log (and later the control socket) live in the run directory. */
		if (mkdir(ctl_dir(), 0755) < 0 && errno != EEXIST)
			log_warn("cannot create %s: %s", ctl_dir(), strerror(errno));
		if (!log_file) {
			snprintf(logbuf, sizeof(logbuf), "%s/%s.log", ctl_dir(),
				 ec.name ? ec.name
				 : serve ? "serve"
					 : "attach");
			log_file = logbuf;
		}
		if (daemon_background(log_file) < 0) {
			cli_err("cannot fork: %s", strerror(errno));
			cli_config_release(&sc);
			return CLI_EXIT_LOCAL;
		}
		ev_loop_fork(EV_DEFAULT);
	}
	if (!serve)
		daemon_writeback_safety();
	/* The root filesystem's daemon must never page in from it. */
	if (root_storage && (code = daemon_root_storage_lock()) < 0) {
		char msg[200];

		snprintf(msg, sizeof(msg),
			 "--root-storage: cannot lock memory (mlockall: %s); raise "
			 "RLIMIT_MEMLOCK or run as root",
			 strerror(-code));
		cli_err("%s", msg);
		daemon_failed(CLI_EXIT_LOCAL, msg);
		cli_config_release(&sc);
		return CLI_EXIT_LOCAL;
	}
	/* The one-shot preflight stayed quiet; a daemon's log says what it does (-q still wins). */
	if (log_max_priority == LOG_WARNING)
		log_max_priority = LOG_INFO;
	if (serve)
		serve_tls_warn(stls, ec.listen_addr ? ec.listen_addr : ec.socket_path);
	code = export_run(&ec);
	cli_config_release(&sc);
	return code;
}

/* The portal copies (-P) are freed here, whichever way export_main returns. */
static int cmd_export(int argc, char **argv, bool serve)
{
	char *portals[PATH_MAX_PATHS] = {0};
	struct serve_tls stls = {0};
	unsigned int i;
	int code = export_main(argc, argv, serve, portals, &stls);

	serve_tls_release(&stls);
	for (i = 0; i < PATH_MAX_PATHS; i++)
		free(portals[i]);
	lunlock_release(export_lock);
	export_lock = NULL;
	return code;
}

int cmd_attach(int argc, char **argv)
{
	return cmd_export(argc, argv, false);
}

int cmd_serve(int argc, char **argv)
{
	return cmd_export(argc, argv, true);
}
