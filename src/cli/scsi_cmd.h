/*
 * Private to the one-shot SCSI commands (cmd_scsi.c: table, options and
 * the runner; scsi_cmds.c: what each command sends and prints). Nothing
 * else includes this.
 */
#ifndef ISN_CLI_SCSI_CMD_H
#define ISN_CLI_SCSI_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/cli.h"
#include "cli/sync.h"
#include "scsi/sbc.h"
#include "scsi/spc.h"

/* Largest single READ/WRITE we issue unless the LUN asks for less (VPD B0). */
#define IO_SIZE_MAX (16u << 20)
struct scsi_cmd;

struct scsi_args {
	const char *cmd;
	const struct scsi_cmd *def;
	struct cli_target t;
	uint64_t offset;
	uint64_t length;
	bool have_length;
	const char *output;
	const char *input;
	bool fua;
	uint64_t io_size;
};

struct lun_ctx {
	struct cli_sync y;
	uint32_t lun;
	struct scsi_capacity cap;
	uint64_t size_bytes; /* cap.nblocks * cap.block_size, checked */
	bool have_b0;
	struct scsi_vpd_b0 b0;
};

/*
 * Run one CDB; retried while the classification says the condition is
 * transient (UNIT ATTENTION after login, BUSY). *got: bytes transferred.
 * Returns 0 or an exit code after printing "WHAT failed: SENSE".
 * quiet: ILLEGAL REQUEST is expected (optional command): say nothing,
 * return -1.
 */
int lun_run_cdb(struct lun_ctx *c, const uint8_t *cdb, int cdb_len, enum sess_dir dir, void *buf,
		uint32_t len, uint32_t *got, const char *what, bool quiet);

/* The capacity into c->cap and c->size_bytes: 0 or an exit code. */
int lun_get_capacity(struct lun_ctx *c);

/* VPD page into buf (len bytes); 0, -1 when not supported, or an exit code. */
int lun_get_vpd(struct lun_ctx *c, uint8_t page, uint8_t *buf, uint16_t len, uint32_t *got,
		const char *what);

/* The Block Limits VPD page into c->b0 (c->have_b0) if the LUN has it: 0 or an exit code. */
int lun_get_b0(struct lun_ctx *c);

/* The commands (scsi_cmds.c): 0 or an exit code after printing the reason. */
int lun_cmd_inquiry(struct lun_ctx *c, const struct scsi_args *a);
int lun_cmd_readcap(struct lun_ctx *c, const struct scsi_args *a);
int lun_cmd_luns(struct lun_ctx *c, const struct scsi_args *a);
int lun_cmd_tur(struct lun_ctx *c, const struct scsi_args *a);
int lun_cmd_read(struct lun_ctx *c, const struct scsi_args *a);
int lun_cmd_write(struct lun_ctx *c, const struct scsi_args *a);
int lun_cmd_unmap(struct lun_ctx *c, const struct scsi_args *a);
int lun_cmd_sync(struct lun_ctx *c, const struct scsi_args *a);

#endif
