/*
 * The settings (conffile.h): every configuration key and every option of
 * attach / serve with its section, type, values, range, default, option,
 * help line and where its value goes, in one table that the file parser
 * (conffile.c), the outputs (confout.c: dump, example, --help blocks), the
 * one setter (optset.c), the command line of attach / serve
 * (attach_parse.c) and the target options of the one-shot commands (the
 * rows flagged CONFIG_F_ONESHOT, target.c) read. Adding a row is adding a
 * setting: nothing else needs an edit.
 */
#include "config.h"

#include <stddef.h>

#include "cli/attach.h"
#include "cli/conffile.h"
#include "cli/export.h"
#include "cli/initiator.h"
#include "nbd/tls.h"
#include "path/device.h"
#include "path/policy.h"
#include "util/compiler.h"

static const char *const digest_values[] = {"none", "crc32c", "prefer-crc32c", "prefer-none", NULL};
static const int digest_map[] = {SESS_DIGEST_NONE, SESS_DIGEST_CRC32C, SESS_DIGEST_PREFER_CRC32C,
				 SESS_DIGEST_PREFER_NONE};
static const char *const policy_values[] = {"round-robin", "failover", "queue-length",
					    "service-time", NULL};
static const int policy_map[] = {PATH_POLICY_ROUND_ROBIN, PATH_POLICY_FAILOVER,
				 PATH_POLICY_QUEUE_LENGTH, PATH_POLICY_SERVICE_TIME};
static const char *const mode_values[] = {"attach", "serve", NULL};
static const char *const reservation_values[] = {"exclusive", "required", "none", NULL};
static const int reservation_map[] = {RESV_EXCLUSIVE, RESV_REQUIRED, RESV_NONE};
static const char *const yes_no_values[] = {"no", "yes", NULL};
static const char *const io_engine_values[] = {"epoll", "uring", NULL};
static const char *const sched_values[] = {"normal", "batch", NULL};

#define MS(x)  ((uint64_t)(x))
#define SEC(x) ((uint64_t)(x)*1000)

#define STR(x)	#x
#define XSTR(x) STR(x)
/* A default the layer that applies it defines (an integer literal), as the row's text. */
#define DEF_S(x)  XSTR(x) "s"
#define DEF_MS(x) XSTR(x) "ms"

/* Where the value goes: a field of struct export_config, of attach_cmd, of its cli_target. */
#define FIELD(kind, member)                                                                        \
	.store = CONFIG_STORE_##kind, .field = offsetof(struct attach_cmd, ec.member)
#define CMD(kind, member) .store = CONFIG_STORE_##kind, .field = offsetof(struct attach_cmd, member)
#define TGT(kind, member)                                                                          \
	.store = CONFIG_STORE_##kind, .field = offsetof(struct attach_cmd, t.member)

/*
 * A target option every one-shot command takes, discover too: it concerns
 * the login (where, as whom, how long), not the target's name or its LUN.
 * The digests are not among them: discover has never taken them.
 */
#define LOGIN (CONFIG_F_ONESHOT | CONFIG_F_DISCOVERY)

/*
 * The rows, in the order the dump, the example and --help show them. A
 * default is stored before the files and the command line are read; a key
 * left unset in the files keeps it.
 */
const struct config_key config_keys[] = {
	/* [target] */
	{.section = "target",
	 .name = "name",
	 .type = CONFIG_IQN,
	 .flags = CONFIG_F_REQUIRED | CONFIG_F_ONESHOT,
	 .option = "target",
	 .shortopt = 't',
	 .help = "iSCSI name (IQN) of the target",
	 .arg = "IQN",
	 .usage = "target name (required)",
	 TGT(STR, target)},
	{.section = "target",
	 .name = "lun",
	 .type = CONFIG_UINT,
	 .flags = CONFIG_F_ONESHOT,
	 .max = 16383,
	 .def = "0",
	 .option = "lun",
	 .shortopt = 'l',
	 .help = "logical unit number of the LUN to attach",
	 .arg = "N",
	 .usage = "logical unit number",
	 TGT(U32, lun)},
	{.section = "target",
	 .name = "portal",
	 .type = CONFIG_PORTAL,
	 .flags = CONFIG_F_LIST | LOGIN,
	 .def_text = "found by discovery",
	 .option = "portal",
	 .shortopt = 'P',
	 .help = "one path: HOST[:PORT] (IPv4, [IPv6]:PORT or a name; port 3260), optionally "
		 "@IFACE to bind the path to a network interface or @ADDR to a local source "
		 "address; repeat the key for each path, up to 8",
	 .arg = "HOST[:PORT]",
	 .usage = "portal (IPv4, [IPv6]:PORT or name; port 3260)",
	 CMD(PORTAL, portals)},
	{.section = "target",
	 .name = "discovery",
	 .type = CONFIG_PORTAL,
	 .flags = CONFIG_F_LIST,
	 .def_text = "none",
	 .help = "when no portal is given: a portal to ask (SendTargets) for the target's portals, "
		 "each of which becomes a path; repeat the key for each network (some targets, tgt "
		 "among them, answer with the portal asked only); @IFACE is not carried over"},
	{.section = "target",
	 .name = "initiator_name",
	 .type = CONFIG_IQN,
	 .flags = LOGIN,
	 .def_text = "InitiatorName= of /etc/iscsi/initiatorname.iscsi, else of "
		     "/etc/iscsi-nbd/initiatorname (generated once)",
	 .option = "initiator-name",
	 .help = "our iSCSI name, as the target's ACLs know it",
	 .arg = "NAME",
	 .usage = "default: " INITIATOR_OPENISCSI_FILE ",\n"
		  "else /etc/iscsi-nbd/initiatorname (made once)",
	 TGT(STR, initiator_name)},
	{.section = "target",
	 .name = "reservation",
	 .type = CONFIG_ENUM,
	 .values = reservation_values,
	 .def = "exclusive",
	 .option = "reservation",
	 .help = "exclusive access with SCSI-3 persistent reservations: exclusive (reserve the LUN "
		 "for this host, refuse one another host holds; warn if the target lacks "
		 "reservations), required (refuse such a target too) or none (no reservation: only "
		 "for a cluster filesystem)",
	 .arg = "POLICY",
	 .usage = "exclusive: register every path and\n"
		  "reserve the LUN (Write Exclusive - Registrants\n"
		  "Only), refuse a LUN another host holds (exit\n"
		  "11), warn if the target has no reservations;\n"
		  "required: refuse such a target too; none: no\n"
		  "reservation (only for a cluster filesystem)",
	 .enum_map = reservation_map,
	 .block = CONFIG_BLOCK_ACCESS,
	 CMD(ENUM, ro.policy)},
	{.section = "target",
	 .type = CONFIG_ENUM,
	 .flags = CONFIG_F_FLAG,
	 .values = yes_no_values,
	 .option = "read-only",
	 .usage = "export read-only, take no reservation: shares\n"
		  "a LUN another host holds; writes fail (EPERM)",
	 .block = CONFIG_BLOCK_ACCESS,
	 CMD(BOOL, ro.read_only)},
	{.section = "target",
	 .type = CONFIG_ENUM,
	 .flags = CONFIG_F_FLAG,
	 .values = yes_no_values,
	 .option = "preempt",
	 .usage = "take the LUN from another host (PREEMPT AND\n"
		  "ABORT): only when that host is dead",
	 .block = CONFIG_BLOCK_ACCESS,
	 CMD(BOOL, ro.preempt)},
	/* [auth] */
	{.section = "auth",
	 .name = "chap_user",
	 .type = CONFIG_STRING,
	 .flags = LOGIN,
	 .def_text = "no CHAP",
	 .option = "chap-user",
	 .help = "log in with CHAP as this user (needs chap_secret_file)",
	 .arg = "USER",
	 .usage = "log in with CHAP as USER",
	 TGT(STR, chap_user)},
	{.section = "auth",
	 .name = "chap_secret_file",
	 .type = CONFIG_PATH,
	 .flags = CONFIG_F_SECRET | LOGIN,
	 .option = "chap-secret-file",
	 .help = "file holding the CHAP secret: owned by root, mode 0600 (its content is never "
		 "shown)",
	 .arg = "FILE",
	 .usage = "CHAP secret (file owned by root, mode 0600)",
	 TGT(STR, chap_secret_file)},
	{.section = "auth",
	 .name = "mutual_user",
	 .type = CONFIG_STRING,
	 .flags = LOGIN,
	 .def_text = "one-way CHAP",
	 .option = "mutual-user",
	 .help = "mutual CHAP: the name the target must answer with",
	 .arg = "USER",
	 .usage = "mutual CHAP: the name the target must answer with",
	 TGT(STR, mutual_user)},
	{.section = "auth",
	 .name = "mutual_secret_file",
	 .type = CONFIG_PATH,
	 .flags = CONFIG_F_SECRET | LOGIN,
	 .option = "mutual-secret-file",
	 .help = "file holding the target's secret for mutual CHAP (mode 0600)",
	 .arg = "FILE",
	 .usage = "the target's secret (mode 0600)",
	 TGT(STR, mutual_secret_file)},
	/* [iscsi] */
	{.section = "iscsi",
	 .name = "header_digest",
	 .type = CONFIG_ENUM,
	 .flags = CONFIG_F_NOCASE | CONFIG_F_ONESHOT,
	 .values = digest_values,
	 .enum_map = digest_map,
	 .def = "none",
	 .option = "header-digest",
	 .help = "CRC32C header digest: none, crc32c, prefer-crc32c or prefer-none",
	 .usage = "CRC32C header digest",
	 TGT(ENUM, header_digest)},
	{.section = "iscsi",
	 .name = "data_digest",
	 .type = CONFIG_ENUM,
	 .flags = CONFIG_F_NOCASE | CONFIG_F_ONESHOT,
	 .values = digest_values,
	 .enum_map = digest_map,
	 .def = "none",
	 .option = "data-digest",
	 .help = "CRC32C data digest: none, crc32c, prefer-crc32c or prefer-none",
	 .usage = "CRC32C data digest",
	 TGT(ENUM, data_digest)},
	{.section = "iscsi",
	 .name = "login_timeout",
	 .type = CONFIG_DURATION,
	 .flags = CONFIG_F_FRACTION | LOGIN,
	 .min = MS(1),
	 .max = SEC(86400),
	 .unit = "s",
	 .def = "30s",
	 .option = "timeout",
	 .help = "bound of the first login that checks the target, the secrets and the LUN before "
		 "the daemon starts",
	 .arg = "SECONDS",
	 .usage = "bound of the command (attach, serve: of the\n"
		  "first login, before the daemon starts)",
	 TGT(SECD, timeout)},
	{.section = "iscsi",
	 .type = CONFIG_UINT,
	 .flags = LOGIN,
	 .min = 512,
	 .max = 0xffffff,
	 .option = "max-recv-dsl",
	 .arg = "BYTES",
	 .usage = "our MaxRecvDataSegmentLength (512-16M-1): the\n"
		  "largest PDU the target may send us",
	 TGT(U32, max_recv_dsl)},
	/* [path] */
	{.section = "path",
	 .name = "policy",
	 .type = CONFIG_ENUM,
	 .values = policy_values,
	 .def = "round-robin",
	 .option = "policy",
	 .help = "path selector: round-robin, failover, queue-length or service-time",
	 .arg = "NAME",
	 .usage = "round-robin, failover, queue-length or\n"
		  "service-time",
	 .enum_map = policy_map,
	 FIELD(ENUM, dev.policy.kind)},
	{.section = "path",
	 .name = "rr_min_io",
	 .type = CONFIG_UINT,
	 .flags = CONFIG_F_OPT_ZERO,
	 .min = 1,
	 .max = 1u << 20,
	 .def = XSTR(PATH_POLICY_DEFAULT_RR_MIN_IO),
	 .option = "rr-min-io",
	 .help = "round-robin: commands sent on a path before moving to the next",
	 FIELD(U32, dev.policy.rr_min_io),
	 .arg = "N",
	 .usage = "round-robin: commands per path turn"},
	{.section = "path",
	 .name = "failback",
	 .type = CONFIG_FAILBACK,
	 .def = "immediate",
	 .option = "failback",
	 .help = "failover: when the preferred path takes over again: immediate, manual, or a "
		 "number of seconds it must have been up",
	 .arg = "WHEN",
	 .usage = "failover: immediate, manual, or seconds",
	 FIELD(FAILBACK, dev.policy)},
	{.section = "path",
	 .name = "no_path_retry",
	 .type = CONFIG_DURATION,
	 .flags = CONFIG_F_ZERO_1MS,
	 .min = SEC(0),
	 .max = SEC(3600),
	 .unit = "s",
	 .def = DEF_S(PD_DEFAULT_NO_PATH_RETRY_S),
	 .option = "no-path-retry",
	 .help = "how long I/O waits when no path is left before it fails (0: fail at once)",
	 FIELD(MS, dev.no_path_retry_ms),
	 .arg = "SECONDS",
	 .usage = "how long I/O waits for a path"},
	{.section = "path",
	 .name = "nop_interval",
	 .type = CONFIG_DURATION,
	 .flags = CONFIG_F_OPT_ZERO,
	 .min = MS(1),
	 .max = SEC(3600),
	 .unit = "ms",
	 .def = DEF_S(PD_DEFAULT_NOP_INTERVAL_S),
	 .option = "nop-interval",
	 .help = "send a NOP-Out on a path after this much silence",
	 FIELD(MS, dev.nop_interval_ms),
	 .arg = "MS",
	 .usage = "NOP-Out after this much silence"},
	{.section = "path",
	 .name = "nop_timeout",
	 .type = CONFIG_DURATION,
	 .flags = CONFIG_F_OPT_ZERO,
	 .min = MS(1),
	 .max = SEC(3600),
	 .unit = "ms",
	 .def = DEF_MS(PD_DEFAULT_NOP_TIMEOUT_MS),
	 .option = "nop-timeout",
	 .help = "silence that fails a path that has commands outstanding",
	 FIELD(MS, dev.nop_timeout_ms),
	 .arg = "MS",
	 .usage = "silence that fails a busy path"},
	{.section = "path",
	 .name = "cmd_timeout",
	 .type = CONFIG_DURATION,
	 .flags = CONFIG_F_OPT_ZERO,
	 .min = MS(1),
	 .max = SEC(3600),
	 .unit = "ms",
	 .def = DEF_S(PD_DEFAULT_CMD_TIMEOUT_S),
	 .option = "cmd-timeout",
	 .help = "deadline of one command on a path; past it the path is failed",
	 FIELD(MS, dev.cmd_timeout_ms),
	 .arg = "MS",
	 .usage = "per-command deadline"},
	{.section = "path",
	 .name = "io_timeout",
	 .type = CONFIG_DURATION,
	 .min = SEC(1),
	 .max = SEC(86400),
	 .unit = "s",
	 .def = DEF_S(PD_DEFAULT_IO_TIMEOUT_S),
	 .option = "io-timeout",
	 .help = "deadline of one request across all its retries, re-sends and waits for a path; "
		 "past it the request fails with EIO",
	 FIELD(MS, dev.io_timeout_ms),
	 .arg = "SECONDS",
	 .usage = "deadline of one request across all its\n"
		  "retries and waits, then EIO"},
	{.section = "path",
	 .name = "io_retries",
	 .type = CONFIG_UINT,
	 .min = 1,
	 .max = 1000,
	 .def = XSTR(PD_DEFAULT_IO_RETRIES),
	 .option = "io-retries",
	 .help = "times a command is sent again after path failures before its request fails with "
		 "EIO",
	 FIELD(U32, dev.io_retries),
	 .arg = "N",
	 .usage = "re-sends of a command after path failures\nbefore its request fails"},
	{.section = "path",
	 .name = "rescan_interval",
	 .type = CONFIG_DURATION,
	 .min = SEC(0),
	 .max = SEC(86400),
	 .unit = "s",
	 .def = "10s",
	 .option = "rescan-interval",
	 .help = "re-read the LUN's capacity this often so an online growth reaches the device (0: "
		 "only on a capacity-changed unit attention)",
	 FIELD(S, rescan_interval_s),
	 .arg = "SEC",
	 .usage = "re-read the LUN's capacity for online resize\n"
		  "(0: only on a capacity-changed unit attention)"},
	{.section = "path",
	 .name = "coalesce_us",
	 .type = CONFIG_UINT,
	 .max = 10000,
	 .def = XSTR(EXPORT_COALESCE_US),
	 .option = "coalesce-us",
	 .help = "with " XSTR(
		 EXPORT_COALESCE_DEPTH) " or more requests in flight, gather events this many "
					"microseconds before "
					"each wait, so one wakeup serves many requests (0: never)",
	 FIELD(U32, coalesce_us),
	 .arg = "US",
	 .usage = "with " XSTR(
		 EXPORT_COALESCE_DEPTH) " or more requests in flight, gather\n"
					"events this long before each wait (0: never)"},
	{.section = "path",
	 .name = "poll_us",
	 .type = CONFIG_UINT,
	 .max = 1000,
	 .def = XSTR(EXPORT_POLL_US),
	 .option = "poll-us",
	 .help = "when requests and completions come fast, keep polling the sockets up to this "
		 "many microseconds before sleeping, which saves a wakeup per event at the cost of "
		 "up to " XSTR(EXPORT_POLL_BUDGET_PCT) "% of a CPU (0: never)",
	 FIELD(U32, poll_us),
	 .arg = "US",
	 .usage = "when events come fast, poll this long before\nsleeping (0: never)"},
	{.section = "path",
	 .name = "io_engine",
	 .type = CONFIG_ENUM,
	 .values = io_engine_values,
	 .def = "epoll",
	 .option = "io-engine",
	 .help = "how the iSCSI and plaintext NBD sockets are read and written: epoll "
		 "(readiness, then one system call per read or send) or uring (one io_uring per "
		 "loop: the receives and sends of a loop iteration go in one system call)",
	 .arg = "NAME",
	 .usage = "epoll or uring: the iSCSI and NBD sockets'\n"
		  "receives and sends through one io_uring",
	 FIELD(ENUM, io_engine)},
	{.section = "path",
	 .name = "sched",
	 .type = CONFIG_ENUM,
	 .values = sched_values,
	 .def = "normal",
	 .option = "sched",
	 .help = "the daemon's CPU scheduling policy: normal, or batch (SCHED_BATCH: waking the "
		 "daemon does not preempt the task running, so it wakes less often and finds more "
		 "to do each time; pays where one CPU runs the client, the daemon and the target)",
	 .arg = "NAME",
	 .usage = "normal or batch: batch, the daemon's wakeups\ndo not preempt (SCHED_BATCH)",
	 FIELD(ENUM, sched)},
	{.section = "path",
	 .name = "threads",
	 .type = CONFIG_UINT,
	 .min = 1,
	 .max = EXPORT_THREADS_MAX,
	 .def = "1",
	 .option = "threads",
	 .help = "threads that carry I/O: above 1, the NBD sockets (kernel sockets or clients) are "
		 "served by this many minus one worker threads, the paths stay on the main thread",
	 FIELD(U32, threads),
	 .arg = "N",
	 .usage = "threads carrying I/O (1: one loop; N > 1:\nN-1 threads serve the NBD sockets)"},
	/* [attach] */
	{.section = "attach",
	 .name = "device",
	 .type = CONFIG_DEVICE,
	 .flags = CONFIG_F_ATTACH,
	 .max = 65535,
	 .def_text = "the first free /dev/nbdN",
	 .option = "device",
	 .help = "the device to use, /dev/nbdN; naming it lets a restarted daemon take a still "
		 "connected device back (RECONFIGURE) without failing its I/O",
	 .arg = "/dev/nbdN",
	 .usage = "device to use (default: first free)",
	 FIELD(DEV, index)},
	{.section = "attach",
	 .name = "connections",
	 .type = CONFIG_UINT,
	 .flags = CONFIG_F_ATTACH,
	 .min = 1,
	 .max = 16,
	 .def_text = "the number of CPUs, at most 4",
	 .option = "connections",
	 .help = "kernel sockets (hardware queues) of the device",
	 FIELD(U32, nconns),
	 .arg = "N",
	 .usage = "kernel sockets (queues): default CPUs, max 4"},
	{.section = "attach",
	 .name = "dead_conn_timeout",
	 .type = CONFIG_DURATION,
	 .flags = CONFIG_F_ATTACH,
	 .min = SEC(0),
	 .max = SEC(86400),
	 .unit = "s",
	 .def = "60s",
	 .option = "dead-conn-timeout",
	 .help = "how long the kernel keeps the device's I/O for a restarted daemon",
	 FIELD(S, dead_conn_timeout_s),
	 .arg = "SEC",
	 .usage = "how long the kernel keeps I/O for a restarted\n"
		  "daemon"},
	/* [serve] */
	{.section = "serve",
	 .name = "socket",
	 .type = CONFIG_PATH,
	 .flags = CONFIG_F_SERVE,
	 .option = "socket",
	 .help = "Unix socket to serve NBD on (mode 0600); socket or listen is needed",
	 .arg = "PATH",
	 .usage = "Unix socket (mode 0600)",
	 FIELD(STR, socket_path)},
	{.section = "serve",
	 .name = "listen",
	 .type = CONFIG_STRING,
	 .flags = CONFIG_F_SERVE,
	 .option = "listen",
	 .help = "TCP address HOST:PORT to serve NBD on",
	 .arg = "HOST:PORT",
	 .usage = "TCP socket: any client can read and\n"
		  "write the LUN: TLS required by default",
	 FIELD(STR, listen_addr)},
	{.section = "serve",
	 .name = "export_name",
	 .type = CONFIG_STRING,
	 .flags = CONFIG_F_SERVE,
	 .def_text = "the empty name",
	 .option = "export-name",
	 .help = "NBD export name",
	 .arg = "NAME",
	 .usage = "export name (default \"\")",
	 FIELD(STR, export_name)},
	{.section = "serve",
	 .name = "max_clients",
	 .type = CONFIG_UINT,
	 .flags = CONFIG_F_SERVE,
	 .min = 1,
	 .max = 1024,
	 .def = "16",
	 .option = "max-clients",
	 .help = "NBD clients served at once",
	 FIELD(U32, max_clients),
	 .arg = "N",
	 .usage = "NBD clients served at once"},
	{.section = "serve",
	 .name = "tls",
	 .type = CONFIG_ENUM,
	 .flags = CONFIG_F_SERVE,
	 .values = nbdsrv_tls_mode_names,
	 .def_text = "require on a non-loopback listen address or with credentials, else off",
	 .option = "tls",
	 .help = "NBD over TLS (NBD_OPT_STARTTLS): off, on (offered; plaintext clients served too) "
		 "or require (clients without TLS get nothing)",
	 .arg = "MODE",
	 .usage = "off, on (offer TLS) or require (refuse\n"
		  "plaintext clients); default: require\n"
		  "off loopback or with credentials, else\n"
		  "off (Unix socket, loopback)",
	 CMD(STR, stls.mode_arg)},
	{.section = "serve",
	 .name = "tls_psk",
	 .type = CONFIG_PATH,
	 .flags = CONFIG_F_SERVE | CONFIG_F_SECRET,
	 .option = "tls-psk",
	 .help = "TLS pre-shared keys in psktool's format (NAME:HEXKEY lines): owned by root, mode "
		 "0600",
	 .arg = "FILE",
	 .usage = "pre-shared keys, psktool format\n"
		  "(NAME:HEXKEY lines), mode 0600",
	 CMD(STR, stls.psk_file)},
	{.section = "serve",
	 .name = "tls_certificates",
	 .type = CONFIG_PATH,
	 .flags = CONFIG_F_SERVE,
	 .option = "tls-certificates",
	 .help = "TLS X.509 directory: ca-cert.pem, server-cert.pem, server-key.pem (as nbdkit and "
		 "qemu lay it out)",
	 .arg = "DIR",
	 .usage = "X.509: ca-cert.pem, server-cert.pem,\n"
		  "server-key.pem",
	 CMD(STR, stls.cert_dir)},
	{.section = "serve",
	 .name = "tls_verify_peer",
	 .type = CONFIG_ENUM,
	 .flags = CONFIG_F_SERVE | CONFIG_F_FLAG,
	 .values = yes_no_values,
	 .def = "no",
	 .option = "tls-verify-peer",
	 .help = "yes: require a client certificate signed by tls_certificates' ca-cert.pem",
	 .usage = "require a client certificate that\n"
		  "DIR/ca-cert.pem signed",
	 CMD(BOOL, stls.verify_peer)},
	/* [daemon] */
	{.section = "daemon",
	 .type = CONFIG_ENUM,
	 .flags = CONFIG_F_FLAG,
	 .values = yes_no_values,
	 .option = "foreground",
	 .shortopt = 'f',
	 .usage = "stay in the foreground, log to stderr",
	 CMD(BOOL, foreground)},
	{.section = "daemon",
	 .name = "mode",
	 .type = CONFIG_ENUM,
	 .values = mode_values,
	 .def = "attach",
	 .help = "attach: the LUN as /dev/nbdN; serve: an NBD server (attach --config and serve "
		 "--config both run what this says)"},
	{.section = "daemon",
	 .name = "name",
	 .type = CONFIG_NAME,
	 .def_text = "NAME of NAME.conf",
	 .option = "name",
	 .help = "control socket name: what detach and status take",
	 .arg = "NAME",
	 .usage = "control socket name (default nbdN / serve-PID)",
	 FIELD(STR, name)},
	{.section = "daemon",
	 .name = "log_file",
	 .type = CONFIG_PATH,
	 .def_text = "/run/iscsi-nbd/NAME.log",
	 .option = "log-file",
	 .help = "log of a daemon in the background (with -f it logs to stderr)",
	 .arg = "FILE",
	 .usage = "background log (default {rundir}/NAME.log)",
	 CMD(STR, log_file)},
	{.section = "daemon",
	 .type = CONFIG_ENUM,
	 .flags = CONFIG_F_FLAG,
	 .values = yes_no_values,
	 .option = "root-storage",
	 .usage = "the device holds the root filesystem: run as\n"
		  "@" CLI_PROG " (systemd's shutdown spares it),\n"
		  "fail unless all memory can be locked",
	 CMD(BOOL, root_storage)},
	{.section = "daemon",
	 .type = CONFIG_STRING,
	 .option = "config",
	 .arg = "NAME",
	 .usage = "read {confdir}/NAME.conf (or a file) after\n" CONFIG_GLOBAL_NAME
		  ".conf; options given here win"},
};
const size_t config_nkeys = ARRAY_SIZE(config_keys);
/* conffile.c's parse_ctx.list_reset has one flag per row, 64 of them. */
_Static_assert(ARRAY_SIZE(config_keys) <= 64, "conffile.c's parse_ctx.list_reset is too small");
