/*
 * One-shot SCSI commands on one LUN: inquiry, readcap, luns, tur, read,
 * write, unmap, sync. Each logs in, runs its command(s) through the
 * synchronous layer, logs out. CDBs and parsing come from src/scsi; the
 * meaning of a status + sense comes from its classification table.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/scsi_cmd.h"
#include "cli/sync.h"
#include "scsi/classify.h"
#include "scsi/sam.h"
#include "scsi/sbc.h"
#include "scsi/sense.h"
#include "scsi/spc.h"
#include "util/cleanup.h"

/* UNIT ATTENTION after login, BUSY, ...: how often a command is re-sent. */
#define RETRIES 5

enum scsi_optid {
	OPT_OFFSET = CLI_OPT_FIRST_FREE,
	OPT_LENGTH,
	OPT_FUA,
	OPT_IO_SIZE,
};

/* Which options a command takes (struct scsi_cmd.opts). */
enum {
	SO_RANGE = 1 << 0,   /* --offset, --length */
	SO_OUTPUT = 1 << 1,  /* --output */
	SO_INPUT = 1 << 2,   /* --input */
	SO_FUA = 1 << 3,     /* --fua */
	SO_IO_SIZE = 1 << 4, /* --io-size */
};

/* The SO_* bit a command needs to take option c; 0 for the options all take. */
static unsigned int option_bit(int c)
{
	switch (c) {
	case OPT_OFFSET:
	case OPT_LENGTH:
		return SO_RANGE;
	case 'o':
		return SO_OUTPUT;
	case 'i':
		return SO_INPUT;
	case OPT_FUA:
		return SO_FUA;
	case OPT_IO_SIZE:
		return SO_IO_SIZE;
	default:
		return 0;
	}
}

/*
 * The commands' own options; each command's synopsis names those it takes
 * (scsi_cmds[].args), --help lists the others.
 */
static const struct cli_own_opt scsi_opts[] = {
	{.opt = {"offset", required_argument, NULL, OPT_OFFSET}},
	{.opt = {"length", required_argument, NULL, OPT_LENGTH}},
	{.opt = {"output", required_argument, NULL, 'o'}},
	{.opt = {"input", required_argument, NULL, 'i'}},
	{.opt = {"fua", no_argument, NULL, OPT_FUA}},
	{.opt = {"io-size", required_argument, NULL, OPT_IO_SIZE},
	 .arg = "BYTES",
	 .usage = "largest single command (default: the\nLUN's limit, at most 16M)"},
	{.opt = {NULL, 0, NULL, 0}},
};

/* The one-shot commands (CLI_SCSI_CMDS), by index. */
enum scsi_cmd_id {
#define SCSI_CMD_ID(n, summary) SCSI_CMD_##n,
	CLI_SCSI_CMDS(SCSI_CMD_ID)
#undef SCSI_CMD_ID
		SCSI_CMD__COUNT
};

/* What runs each one, the options it takes and its help. */
#define SCSI_CMD_RUN(n, summary) [SCSI_CMD_##n].name = #n, [SCSI_CMD_##n].run = lun_cmd_##n,
static const struct scsi_cmd {
	const char *name;
	int (*run)(struct lun_ctx *c, const struct scsi_args *a);
	unsigned int opts;
	const char *args;
	const char *what;
} scsi_cmds[SCSI_CMD__COUNT] = {
	/* The macro's rows are not an expression: clang-format must leave them. */
	/* clang-format off */
	CLI_SCSI_CMDS(SCSI_CMD_RUN)
	[SCSI_CMD_inquiry].args = "",
	[SCSI_CMD_inquiry].what = "Print vendor, product, revision, serial, the VPD 0x83 identity,\n"
				  "block limits and provisioning of the LUN.",
	[SCSI_CMD_readcap].args = "",
	[SCSI_CMD_readcap].what =
		"Print the LUN's size, logical and physical block size, LBPME and LBPRZ.",
	[SCSI_CMD_luns].args = "",
	[SCSI_CMD_luns].what = "List the LUNs of the target (REPORT LUNS).",
	[SCSI_CMD_tur].args = "",
	[SCSI_CMD_tur].what = "TEST UNIT READY: exit 0 when the LUN is ready.",
	[SCSI_CMD_read].opts = SO_RANGE | SO_OUTPUT | SO_IO_SIZE,
	[SCSI_CMD_read].args = " --offset BYTES --length BYTES [--output FILE|-]",
	[SCSI_CMD_read].what = "Read LENGTH bytes at OFFSET (both multiples of the block size) to FILE\n"
			       "(default: stdout).",
	[SCSI_CMD_write].opts = SO_RANGE | SO_INPUT | SO_FUA | SO_IO_SIZE,
	[SCSI_CMD_write].args = " --offset BYTES [--input FILE|-] [--length BYTES] [--fua]",
	[SCSI_CMD_write].what =
		"Write FILE (default: stdin) at OFFSET; the amount must be a multiple of the\n"
		"block size. --fua: force unit access (data durable on completion).",
	[SCSI_CMD_unmap].opts = SO_RANGE,
	[SCSI_CMD_unmap].args = " --offset BYTES --length BYTES",
	[SCSI_CMD_unmap].what = "UNMAP (discard) the byte range.",
	[SCSI_CMD_sync].args = "",
	[SCSI_CMD_sync].what = "SYNCHRONIZE CACHE of the whole LUN.",
	/* clang-format on */
};
#undef SCSI_CMD_RUN

static const struct scsi_cmd *scsi_cmd_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(scsi_cmds); i++)
		if (strcmp(scsi_cmds[i].name, name) == 0)
			return &scsi_cmds[i];
	return NULL;
}

static void scsi_usage(FILE *f, const struct scsi_cmd *def)
{
	fprintf(f, "Usage: " CLI_PROG " %s -t IQN -P PORTAL [-l LUN]%s [OPTIONS]\n\n%s\n\n",
		def->name, def->args, def->what);
	cli_target_usage(f, false);
	for (const struct cli_own_opt *p = scsi_opts; p->opt.name; p++)
		if (!option_bit(p->opt.val) || (def->opts & option_bit(p->opt.val)))
			cli_own_usage(f, p);
	fprintf(f, "  -h, --help\n"
		   "Numbers take K, M, G suffixes (powers of 1024) or 0x hex.\n");
}

/* ---- running one command ---------------------------------------------------- */

/* scsi_cmd.h: one CDB, re-sent up to RETRIES times while the condition is transient. */
int lun_run_cdb(struct lun_ctx *c, const uint8_t *cdb, int cdb_len, enum sess_dir dir, void *buf,
		uint32_t len, uint32_t *got, const char *what, bool quiet)
{
	struct sess_task *t;
	int tries, rc;

	t = calloc(1, sizeof(*t));
	if (!t) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	for (tries = 0;; tries++) {
		struct scsi_sense sense, *sp = NULL;
		struct scsi_verdict v;
		char sbuf[160];

		memset(t, 0, sizeof(*t));
		memcpy(t->cdb, cdb, (size_t)cdb_len);
		t->cdb_len = (uint8_t)cdb_len;
		t->lun = c->lun;
		t->dir = len ? dir : SESS_DIR_NONE;
		if (len) {
			t->iov[0].iov_base = buf;
			t->iov[0].iov_len = len;
			t->iov_cnt = 1;
		}
		t->xfer_len = len;
		rc = sync_task(&c->y, t);
		if (rc)
			break;
		if (t->response != 0) {
			cli_err("%s failed: the target reports iSCSI response 0x%02x "
				"(target failure)",
				what, t->response);
			rc = CLI_EXIT_IO;
			break;
		}
		if (t->sense_len && scsi_sense_parse(t->sense, t->sense_len, &sense) == 0)
			sp = &sense;
		v = scsi_classify(t->status, sp);
		if (v.cls == SCSI_CLASS_OK) {
			if (got)
				*got = t->residual_under && t->residual <= len ? len - t->residual
									       : len;
			rc = 0;
			break;
		}
		if (v.cls == SCSI_CLASS_RETRY && tries < RETRIES)
			continue;
		if (quiet && sp && sp->key == SCSI_SK_ILLEGAL_REQUEST) {
			rc = -1;
			break;
		}
		if (sp)
			scsi_sense_format(sp, sbuf, sizeof(sbuf));
		else
			snprintf(sbuf, sizeof(sbuf), "no sense data");
		cli_err("%s failed on LUN %u: %s, %s", what, c->lun, scsi_status_name(t->status),
			sbuf);
		rc = CLI_EXIT_IO;
		break;
	}
	free(t);
	return rc;
}

/* The capacity in bytes, or an exit code: never a wrapped or zero size. */
static int capacity_bytes(struct lun_ctx *c, const char *what)
{
	int r = scsi_capacity_bytes(&c->cap, &c->size_bytes);

	if (r == -EOVERFLOW) {
		cli_err("%s: %llu blocks of %u bytes is more than 2^64 bytes: the size cannot be "
			"reported",
			what, (unsigned long long)c->cap.nblocks, c->cap.block_size);
		return CLI_EXIT_GEOMETRY;
	}
	if (r < 0) {
		cli_err("%s: no usable capacity (%llu blocks of %u bytes)", what,
			(unsigned long long)c->cap.nblocks, c->cap.block_size);
		return CLI_EXIT_PROTOCOL;
	}
	return 0;
}

/*
 * READ CAPACITY(16) first: it is the only one that reports LUNs of 2^32
 * blocks or more, and protection / provisioning bits. READ CAPACITY(10) is
 * the fallback for targets that refuse (16) (optional for small LUNs, SBC-4
 * 4.5.1); if (10) then says 0xffffffff, the size is unknowable.
 */
int lun_get_capacity(struct lun_ctx *c)
{
	uint8_t cdb[SCSI_CDB_MAX], buf[SCSI_READCAP16_LEN];
	uint32_t got = 0;
	int n, rc;

	n = scsi_build_readcap16(cdb, sizeof(cdb), sizeof(buf));
	rc = lun_run_cdb(c, cdb, n, SESS_DIR_READ, buf, sizeof(buf), &got, "READ CAPACITY(16)",
			 true);
	if (rc == 0) {
		if (scsi_readcap16_parse(buf, got, &c->cap) < 0) {
			cli_err("the target's READ CAPACITY(16) data is malformed (%u bytes)", got);
			return CLI_EXIT_PROTOCOL;
		}
		return capacity_bytes(c, "READ CAPACITY(16)");
	}
	if (rc > 0)
		return rc;
	n = scsi_build_readcap10(cdb, sizeof(cdb));
	rc = lun_run_cdb(c, cdb, n, SESS_DIR_READ, buf, SCSI_READCAP10_LEN, &got,
			 "READ CAPACITY(10)", false);
	if (rc)
		return rc;
	if (scsi_readcap10_parse(buf, got, &c->cap) < 0) {
		cli_err("the target's READ CAPACITY(10) data is malformed (%u bytes)", got);
		return CLI_EXIT_PROTOCOL;
	}
	if (c->cap.need_rc16) {
		cli_err("LUN %u is too large for READ CAPACITY(10) (0xffffffff) and READ "
			"CAPACITY(16) was refused: its size is unknown",
			c->lun);
		return CLI_EXIT_GEOMETRY;
	}
	return capacity_bytes(c, "READ CAPACITY(10)");
}

int lun_get_vpd(struct lun_ctx *c, uint8_t page, uint8_t *buf, uint16_t len, uint32_t *got,
		const char *what)
{
	uint8_t cdb[SCSI_CDB_MAX];
	int n = scsi_build_inquiry(cdb, sizeof(cdb), true, page, len);

	return lun_run_cdb(c, cdb, n, SESS_DIR_READ, buf, len, got, what, true);
}

int lun_get_b0(struct lun_ctx *c)
{
	uint8_t buf[64];
	uint32_t got = 0;
	int rc = lun_get_vpd(c, SCSI_VPD_BLOCK_LIMITS, buf, sizeof(buf), &got, "INQUIRY VPD B0");

	if (rc > 0)
		return rc;
	if (rc == 0 && scsi_vpd_b0_parse(buf, got, &c->b0) == 0)
		c->have_b0 = true;
	return 0;
}

/* ---- option parsing ------------------------------------------------------------- */

/* --offset / --length: a byte count. 0 or CLI_EXIT_USAGE. */
static int parse_bytes(const char *opt, const char *arg, uint64_t *v)
{
	if (cli_parse_u64(arg, v) < 0) {
		cli_err("bad --%s '%s': give bytes, e.g. 4096 or 1M", opt, arg);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* The command line into *a (zeroed, the table's defaults): 0, -1 after --help, or an exit code. */
static int parse_args(int argc, char **argv, struct scsi_args *a)
{
	struct cli_opts o;
	int c;

	memset(a, 0, sizeof(*a));
	a->cmd = argv[0];
	a->def = scsi_cmd_find(a->cmd);
	if (!a->def)
		return CLI_EXIT_USAGE; /* only main.c's CLI_SCSI_CMDS rows come here */
	cli_target_init(&a->t);
	cli_opts_init(&o, false, scsi_opts,
		      "o:i:"); /* the target options and --help, from the table */
	while ((c = cli_getopt_target(argc, argv, &o, &a->t)) != -1) {
		unsigned int bit = option_bit(c);

		if (bit && !(a->def->opts & bit)) {
			cli_err("%s: option --%s does not apply; see '" CLI_PROG " %s --help'",
				a->cmd, cli_opt_name(&o, c), a->cmd);
			return CLI_EXIT_USAGE;
		}
		switch (c) {
		case CLI_GETOPT_BAD:
			return CLI_EXIT_USAGE;
		case 'h':
			scsi_usage(stdout, a->def);
			return -1;
		case OPT_OFFSET:
			if (parse_bytes("offset", optarg, &a->offset))
				return CLI_EXIT_USAGE;
			break;
		case OPT_LENGTH:
			if (parse_bytes("length", optarg, &a->length))
				return CLI_EXIT_USAGE;
			a->have_length = true;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'i':
			a->input = optarg;
			break;
		case OPT_FUA:
			a->fua = true;
			break;
		case OPT_IO_SIZE:
			if (cli_parse_u64(optarg, &a->io_size) < 0 || a->io_size == 0) {
				cli_err("bad --io-size '%s': give bytes, e.g. 1M", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "Try '" CLI_PROG " %s --help'.\n", a->cmd);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("%s: unexpected argument '%s'", a->cmd, argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (!a->t.target || !a->t.portal) {
		cli_err("%s needs -t IQN and -P PORTAL; see '" CLI_PROG " %s --help'", a->cmd,
			a->cmd);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

int cmd_scsi(int argc, char **argv)
{
	struct scsi_args a;
	struct lun_ctx *c;
	int rc = parse_args(argc, argv, &a);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	c = calloc(1, sizeof(*c));
	if (!c) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	c->lun = a.t.lun;
	rc = sync_login(&c->y, &a.t, false, NULL);
	if (rc == 0)
		rc = sync_done(&c->y, a.def->run(c, &a));
	free(c);
	return rc;
}
