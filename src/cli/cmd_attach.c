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

#include "cli/attach.h"
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

/*
 * One data-in command (CDB length n, or n < 0 if it did not fit) into buf:
 * the bytes received, -1 refused (bad status), -2 failed. A UNIT ATTENTION
 * after login is normal (RFC 7143): up to three tries, on a UNIT ATTENTION
 * only unless retry_any.
 */
static int preflight_read(struct cli_sync *y, const struct cli_target *t, struct sess_task *task,
			  int n, uint8_t *buf, uint32_t len, bool retry_any)
{
	task->cdb_len = (uint8_t)n;
	task->lun = t->lun;
	task->dir = SESS_DIR_READ;
	task->iov[0].iov_base = buf;
	task->iov[0].iov_len = len;
	task->iov_cnt = 1;
	task->xfer_len = len;
	for (int tries = 0; tries < 3; tries++) {
		struct scsi_sense sense;

		if (n < 0 || sync_task(y, task) != 0)
			return -2;
		if (task->response == 0 && task->status == 0)
			return (int)(len - (task->residual_under ? task->residual : 0));
		if (retry_any)
			continue;
		if (task->response == 0 && task->status == SCSI_STATUS_CHECK_CONDITION &&
		    task->sense_len &&
		    scsi_sense_parse(task->sense, task->sense_len, &sense) == 0 &&
		    sense.key == SCSI_SK_UNIT_ATTENTION)
			continue;
		return -1;
	}
	return -1;
}

/* One READ CAPACITY into buf; the bytes received, or -1 (refused or failed). */
static int preflight_readcap(struct cli_sync *y, const struct cli_target *t, bool sixteen,
			     uint8_t *buf, uint32_t len)
{
	struct sess_task task = {0};
	int n = sixteen ? scsi_build_readcap16(task.cdb, sizeof(task.cdb), len)
			: scsi_build_readcap10(task.cdb, sizeof(task.cdb));
	int got = preflight_read(y, t, &task, n, buf, len, true);

	return got < 0 ? -1 : got;
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

	return preflight_read(y, t, &task, n, buf, len, false);
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

/*
 * The local checks before any login: the LUN lock, the kernel's nbd
 * driver, a --device another daemon of ours serves; then one login to
 * check the target, the LUN, its geometry and its reservation.
 */
static int attach_preflight(struct attach_cmd *a)
{
	int code;

	/* Before any lock or login: this may re-execute the whole command. */
	if (a->root_storage)
		daemon_root_storage_mark(cli_main_argv);
	code = export_take_lock(&a->t, a->ec.name, a->serve);
	if (code)
		return code;
	a->ec.lock = export_lock;
	if (!a->serve) {
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
	if (!a->serve && a->ec.index >= 0) {
		char nm[32], rsp[64];

		snprintf(nm, sizeof(nm), "nbd%d", a->ec.index);
		if (ctl_request(nm, "status", rsp, sizeof(rsp), 2000) == 0) {
			cli_err("/dev/nbd%d is in use: a running " CLI_PROG " serves it (control "
				"socket %s/%s.sock answers); detach it first or pick another "
				"--device",
				a->ec.index, ctl_dir(), nm);
			return CLI_EXIT_LOCAL;
		}
	}
	return preflight(&a->t, a->portals, a->np, a->serve, &a->ro);
}

/*
 * The device config: credentials and initiator name as the one-shot
 * commands find them (sc, which the caller releases after the run), one
 * path per portal, the reservation key.
 */
static int attach_resolve(struct attach_cmd *a, struct sess_config *sc)
{
	struct path_device_config *dev = &a->ec.dev;
	const struct resv_opts *ro = &a->ro;
	unsigned int i;
	int code;

	a->t.portal = a->portals[0];
	code = cli_config_build(&a->t, false, sc);
	if (code)
		return code;
	dev->initiator_name = sc->initiator_name;
	dev->target_name = a->t.target;
	dev->lun = a->t.lun;
	dev->chap = sc->chap;
	dev->header_digest = a->t.header_digest;
	dev->max_recv_dsl = a->t.max_recv_dsl;
	dev->data_digest = a->t.data_digest;
	for (i = 0; i < a->np; i++) {
		struct path_config *pc = &dev->paths[i];
		char err[160];

		if (portal_parse(a->portals[i], &pc->portal, &pc->portal_len, err, sizeof(err)) <
		    0) {
			cli_err("%s", err);
			cli_config_release(sc);
			return CLI_EXIT_USAGE;
		}
		/* PORTAL@IFACE binds the path to an interface, PORTAL@ADDR to a source address. */
		if (a->ifaces[i] && bind_source(a->ifaces[i], pc) == 0)
			pc->bind_ifname = NULL;
		else
			pc->bind_ifname = a->ifaces[i];
		stable_isid(pc->isid, sc->initiator_name, a->t.target, a->portals[i], a->t.lun);
	}
	dev->npaths = a->np;
	dev->read_only = ro->read_only;
	if (!ro->read_only && ro->policy != RESV_NONE) {
		dev->pr_key = path_resv_host_key(sc->initiator_name);
		dev->pr_required = ro->policy == RESV_REQUIRED;
		dev->pr_preempt = ro->preempt;
	} else if (!ro->read_only) {
		log_warn("--reservation none: nothing stops another host from writing this LUN "
			 "at the same time (only for a cluster filesystem)");
	}
	return 0;
}

/*
 * Into the background unless -f (the log in the run directory), then the
 * daemon's own setup: writeback safety, locked memory for root storage.
 */
static int attach_daemonize(struct attach_cmd *a)
{
	const char *log_file = a->log_file;
	char logbuf[300];
	int code;

	if (!a->foreground) {
		/* The log (and later the control socket) live in the run directory. */
		if (mkdir(ctl_dir(), 0755) < 0 && errno != EEXIST)
			log_warn("cannot create %s: %s", ctl_dir(), strerror(errno));
		if (!log_file) {
			snprintf(logbuf, sizeof(logbuf), "%s/%s.log", ctl_dir(),
				 a->ec.name ? a->ec.name
				 : a->serve ? "serve"
					    : "attach");
			log_file = logbuf;
		}
		if (daemon_background(log_file) < 0) {
			cli_err("cannot fork: %s", strerror(errno));
			return CLI_EXIT_LOCAL;
		}
		ev_loop_fork(EV_DEFAULT);
	}
	if (!a->serve)
		daemon_writeback_safety();
	/* The root filesystem's daemon must never page in from it. */
	if (a->root_storage && (code = daemon_root_storage_lock()) < 0) {
		char msg[200];

		snprintf(msg, sizeof(msg),
			 "--root-storage: cannot lock memory (mlockall: %s); raise "
			 "RLIMIT_MEMLOCK or run as root",
			 strerror(-code));
		cli_err("%s", msg);
		daemon_failed(CLI_EXIT_LOCAL, msg);
		return CLI_EXIT_LOCAL;
	}
	return 0;
}

/* Parse, preflight, resolve the configuration, daemonize, run. */
static int export_main(int argc, char **argv, struct attach_cmd *a)
{
	struct sess_config sc;
	int code;

	code = attach_parse(argc, argv, a);
	if (code || a->help)
		return code;
	code = attach_preflight(a);
	if (code)
		return code;
	code = attach_resolve(a, &sc);
	if (code)
		return code;
	code = attach_daemonize(a);
	if (code) {
		cli_config_release(&sc);
		return code;
	}
	/* The one-shot preflight stayed quiet; a daemon's log says what it does (-q still wins). */
	if (log_max_priority == LOG_WARNING)
		log_max_priority = LOG_INFO;
	if (a->serve)
		serve_tls_warn(&a->stls, a->ec.listen_addr ? a->ec.listen_addr : a->ec.socket_path);
	code = export_run(&a->ec);
	cli_config_release(&sc);
	return code;
}

/* The portal copies (-P), TLS and the configuration are freed here, whichever way it returns. */
static int cmd_export(int argc, char **argv, bool serve)
{
	char *portals[PATH_MAX_PATHS] = {0};
	struct attach_cmd a = {.serve = serve, .portals = portals};
	unsigned int i;
	int code = export_main(argc, argv, &a);

	serve_tls_release(&a.stls);
	attach_cmd_release(&a);
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
