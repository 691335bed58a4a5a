/*
 * The one-shot SCSI commands themselves (scsi_cmd.h): what each sends
 * through the runner of cmd_scsi.c and how it prints the answer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/scsi_cmd.h"
#include "scsi/sam.h"
#include "scsi/sbc.h"
#include "scsi/spc.h"
#include "util/cleanup.h"

/* ---- the commands ---------------------------------------------------------------- */

static const char *device_type_name(uint8_t t)
{
	switch (t) {
	case 0x00:
		return "direct access block device";
	case 0x05:
		return "CD/DVD";
	case 0x0c:
		return "storage array controller";
	case 0x0d:
		return "enclosure services";
	case 0x1f:
		return "unknown or no device";
	default:
		return "other";
	}
}

/* "NAME: N blocks", "NAME: unlimited" for all ones, or zero_means for 0. */
static void print_blocks(const char *name, uint32_t v, const char *zero_means)
{
	if (v == 0xffffffffu)
		printf("%s: unlimited\n", name);
	else if (v == 0)
		printf("%s: %s\n", name, zero_means);
	else
		printf("%s: %u blocks\n", name, v);
}

/* The Block Limits VPD page (SBC-4 6.6.4): 0 means "no limit reported", all ones "no limit". */
static void print_block_limits(const struct scsi_vpd_b0 *b0)
{
	print_blocks("max transfer", b0->max_xfer_len, "no limit");
	print_blocks("optimal transfer", b0->opt_xfer_len, "not reported");
	print_blocks("optimal transfer granularity", b0->opt_xfer_granularity, "not reported");
	print_blocks("max unmap", b0->max_unmap_lba_count, "none");
	if (b0->max_unmap_desc_count == 0xffffffffu)
		printf("max unmap descriptors: unlimited\n");
	else
		printf("max unmap descriptors: %u\n", b0->max_unmap_desc_count);
	print_blocks("unmap granularity", b0->opt_unmap_granularity, "not reported");
	printf("max write same: %llu blocks\n", (unsigned long long)b0->max_write_same_len);
}

/* The Block Device Characteristics VPD page: the rotation rate. 0 or a cli_exit code. */
static int inquiry_rotation(struct lun_ctx *c, uint8_t *buf)
{
	struct scsi_vpd_b1 b1;
	uint32_t got = 0;
	int rc = lun_get_vpd(c, SCSI_VPD_BLOCK_DEV_CHAR, buf, 64, &got, "INQUIRY VPD B1");

	if (rc > 0)
		return rc;
	if (rc == 0 && scsi_vpd_b1_parse(buf, got, &b1) == 0) {
		if (b1.rotation_rate == SCSI_ROTATION_NONE)
			printf("rotation: non-rotating\n");
		else if (b1.rotation_rate == SCSI_ROTATION_NOT_REPORTED)
			printf("rotation: not reported\n");
		else
			printf("rotation: %u rpm\n", b1.rotation_rate);
	}
	return 0;
}

/* The Logical Block Provisioning VPD page. 0 or a cli_exit code. */
static int inquiry_provisioning(struct lun_ctx *c, uint8_t *buf)
{
	static const char *const types[] = {"full", "resource", "thin"};
	struct scsi_vpd_b2 b2;
	uint32_t got = 0;
	int rc = lun_get_vpd(c, SCSI_VPD_LB_PROVISIONING, buf, 64, &got, "INQUIRY VPD B2");

	if (rc > 0)
		return rc;
	if (rc == 0 && scsi_vpd_b2_parse(buf, got, &b2) == 0)
		printf("provisioning: %s lbpu=%d lbpws=%d lbpws10=%d lbprz=%d\n",
		       b2.provisioning_type < 3 ? types[b2.provisioning_type] : "reserved", b2.lbpu,
		       b2.lbpws, b2.lbpws10, b2.lbprz_zero);
	return 0;
}

int lun_cmd_inquiry(struct lun_ctx *c, const struct scsi_args *a)
{
	uint8_t cdb[SCSI_CDB_MAX];
	CLEANUP_FREE uint8_t *buf = malloc(1024);
	struct scsi_inquiry inq;
	struct scsi_vpd_supported sup;
	bool have_sup = false;
	uint32_t got = 0;
	int n, rc;

	if (!buf) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	n = scsi_build_inquiry(cdb, sizeof(cdb), false, 0, 96);
	rc = lun_run_cdb(c, cdb, n, SESS_DIR_READ, buf, 96, &got, "INQUIRY", false);
	if (rc)
		return rc;
	if (scsi_inquiry_parse(buf, got, &inq) < 0) {
		cli_err("the target's INQUIRY data is malformed (%u bytes)", got);
		return CLI_EXIT_PROTOCOL;
	}
	printf("vendor: %s\nproduct: %s\nrevision: %s\n", inq.vendor, inq.product, inq.revision);
	printf("device type: 0x%02x (%s)%s\n", inq.device_type, device_type_name(inq.device_type),
	       inq.qualifier ? ", not connected" : "");

	rc = lun_get_vpd(c, SCSI_VPD_SUPPORTED_PAGES, buf, 255, &got, "INQUIRY VPD 00");
	if (rc > 0)
		return rc;
	if (rc == 0 && scsi_vpd_supported_parse(buf, got, &sup) == 0)
		have_sup = true;
#define HAS(p) (!have_sup || scsi_vpd_supported_has(&sup, (p)))

	if (HAS(SCSI_VPD_UNIT_SERIAL)) {
		struct scsi_vpd_serial ser;

		rc = lun_get_vpd(c, SCSI_VPD_UNIT_SERIAL, buf, 255, &got, "INQUIRY VPD 80");
		if (rc > 0)
			return rc;
		if (rc == 0 && scsi_vpd_serial_parse(buf, got, &ser) == 0)
			printf("serial: %s%s\n", ser.serial, ser.truncated ? " (truncated)" : "");
	}
	if (HAS(SCSI_VPD_DEVICE_ID)) {
		struct scsi_vpd83 v;
		char ident[256];

		rc = lun_get_vpd(c, SCSI_VPD_DEVICE_ID, buf, 1024, &got, "INQUIRY VPD 83");
		if (rc > 0)
			return rc;
		if (rc == 0 && scsi_vpd83_parse(buf, got, &v) == 0 &&
		    scsi_vpd83_identity(&v, ident, sizeof(ident)) >= 0)
			printf("identity: %s\n", ident);
		else
			printf("identity: none\n");
	}
	if (HAS(SCSI_VPD_BLOCK_LIMITS)) {
		rc = lun_get_b0(c);
		if (rc)
			return rc;
		if (c->have_b0)
			print_block_limits(&c->b0);
	}
	if (HAS(SCSI_VPD_BLOCK_DEV_CHAR) && (rc = inquiry_rotation(c, buf)) != 0)
		return rc;
	if (HAS(SCSI_VPD_LB_PROVISIONING) && (rc = inquiry_provisioning(c, buf)) != 0)
		return rc;
#undef HAS
	return 0;
}

int lun_cmd_readcap(struct lun_ctx *c, const struct scsi_args *a)
{
	int rc = lun_get_capacity(c);

	if (rc)
		return rc;
	printf("size: %llu bytes\n", (unsigned long long)c->size_bytes);
	printf("blocks: %llu\n", (unsigned long long)c->cap.nblocks);
	printf("block size: %u\n", c->cap.block_size);
	printf("physical block size: %llu\n",
	       (unsigned long long)c->cap.block_size << (c->cap.lbppbe < 32 ? c->cap.lbppbe : 0));
	printf("lbpme: %d\nlbprz: %d\n", c->cap.lbpme, c->cap.lbprz);
	return 0;
}

int lun_cmd_luns(struct lun_ctx *c, const struct scsi_args *a)
{
	uint8_t cdb[SCSI_CDB_MAX];
	uint32_t len = 16 + 8 * SCSI_REPORT_LUNS_MAX, got = 0;
	CLEANUP_FREE uint8_t *buf = malloc(len);
	CLEANUP_FREE struct scsi_report_luns *rl = malloc(sizeof(*rl));
	unsigned int i;
	int n, rc;

	if (!buf || !rl) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	n = scsi_build_report_luns(cdb, sizeof(cdb), 0, len);
	rc = lun_run_cdb(c, cdb, n, SESS_DIR_READ, buf, len, &got, "REPORT LUNS", false);
	if (rc)
		return rc;
	if (scsi_report_luns_parse(buf, got, rl) < 0) {
		cli_err("the target's REPORT LUNS data is malformed");
		return CLI_EXIT_PROTOCOL;
	}
	for (i = 0; i < rl->n; i++) {
		uint32_t lun;

		if (scsi_lun_from_wire(rl->lun[i], &lun) == 0)
			printf("%u\n", lun);
		else
			printf("0x%02x%02x%02x%02x%02x%02x%02x%02x\n", rl->lun[i][0], rl->lun[i][1],
			       rl->lun[i][2], rl->lun[i][3], rl->lun[i][4], rl->lun[i][5],
			       rl->lun[i][6], rl->lun[i][7]);
	}
	if (rl->truncated)
		fprintf(stderr, CLI_PROG ": the target has %u LUNs, %u listed\n", rl->total, rl->n);
	return 0;
}

int lun_cmd_tur(struct lun_ctx *c, const struct scsi_args *a)
{
	uint8_t cdb[SCSI_CDB_MAX];
	int n = scsi_build_tur(cdb, sizeof(cdb));
	int rc = lun_run_cdb(c, cdb, n, SESS_DIR_NONE, NULL, 0, NULL, "TEST UNIT READY", false);

	if (rc == 0)
		printf("ready\n");
	return rc;
}

int lun_cmd_sync(struct lun_ctx *c, const struct scsi_args *a)
{
	uint8_t cdb[SCSI_CDB_MAX];
	int n = scsi_build_sync_cache(cdb, sizeof(cdb), 0, 0, false);

	return lun_run_cdb(c, cdb, n, SESS_DIR_NONE, NULL, 0, NULL, "SYNCHRONIZE CACHE", false);
}

/* Offset and length against the LUN: block multiples, inside it. */
static int check_range(struct lun_ctx *c, uint64_t off, uint64_t len, bool len_known)
{
	uint32_t bs = c->cap.block_size;
	uint64_t size = c->size_bytes, end;

	if (off % bs || (len_known && len % bs)) {
		cli_err("offset %llu and length %llu must be multiples of the LUN's block size "
			"(%u bytes)",
			(unsigned long long)off, (unsigned long long)len, bs);
		return CLI_EXIT_USAGE;
	}
	if (add_overflow(off, len_known ? len : 0, &end) || end > size) {
		cli_err("range %llu+%llu is beyond the end of the LUN (%llu bytes)",
			(unsigned long long)off, (unsigned long long)len, (unsigned long long)size);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/*
 * What read and unmap need before their first command: an explicit
 * --length, the capacity, the range inside the LUN, and the Block Limits
 * page. 0 or a cli_exit code.
 */
static int lun_prepare_range(struct lun_ctx *c, const struct scsi_args *a, const char *what)
{
	int rc;

	if (!a->have_length) {
		cli_err("%s: how much? add --length BYTES", what);
		return CLI_EXIT_USAGE;
	}
	rc = lun_get_capacity(c);
	if (rc)
		return rc;
	rc = check_range(c, a->offset, a->length, true);
	if (rc)
		return rc;
	return lun_get_b0(c);
}

/* Largest single READ/WRITE: --io-size, the LUN's MAXIMUM TRANSFER LENGTH, 16 MiB. */
static uint32_t io_chunk(struct lun_ctx *c, uint64_t want)
{
	uint64_t chunk = want ? want : IO_SIZE_MAX;
	uint32_t bs = c->cap.block_size;

	if (c->have_b0 && c->b0.max_xfer_len && (uint64_t)c->b0.max_xfer_len * bs < chunk)
		chunk = (uint64_t)c->b0.max_xfer_len * bs;
	if (chunk > IO_SIZE_MAX)
		chunk = IO_SIZE_MAX;
	chunk -= chunk % bs;
	return chunk ? (uint32_t)chunk : bs;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read until n bytes or EOF; returns bytes read or -errno. */
static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, p + done, n - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

int lun_cmd_read(struct lun_ctx *c, const struct scsi_args *a)
{
	CLEANUP_CLOSE int fd = -1;
	CLEANUP_FREE uint8_t *buf = NULL;
	uint32_t chunk, bs;
	uint64_t off = a->offset, left = a->length;
	int rc;

	rc = lun_prepare_range(c, a, "read");
	if (rc)
		return rc;
	bs = c->cap.block_size;
	chunk = io_chunk(c, a->io_size);
	if (!a->output || strcmp(a->output, "-") == 0) {
		fd = dup(STDOUT_FILENO);
	} else {
		fd = open(a->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			cli_err("cannot create %s: %s", a->output, strerror(errno));
			return CLI_EXIT_LOCAL;
		}
	}
	buf = malloc(chunk);
	if (!buf || fd < 0) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	while (left) {
		uint8_t cdb[SCSI_CDB_MAX];
		uint32_t n = left < chunk ? (uint32_t)left : chunk, got = 0;
		int cl = scsi_build_rw(cdb, sizeof(cdb), false, off / bs, n / bs, 0);

		rc = lun_run_cdb(c, cdb, cl, SESS_DIR_READ, buf, n, &got, "READ", false);
		if (rc)
			return rc;
		if (got != n) {
			cli_err("READ at byte %llu returned %u of %u bytes",
				(unsigned long long)off, got, n);
			return CLI_EXIT_IO;
		}
		rc = write_all(fd, buf, n);
		if (rc < 0) {
			cli_err("cannot write %s: %s", a->output ? a->output : "stdout",
				strerror(-rc));
			return CLI_EXIT_LOCAL;
		}
		off += n;
		left -= n;
	}
	if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS) {
		cli_err("cannot flush %s: %s", a->output ? a->output : "stdout", strerror(errno));
		return CLI_EXIT_LOCAL;
	}
	return 0;
}

/* write's input: the file, or a copy of stdin. 0 or a cli_exit code. */
static int write_open_input(const char *in, int *fd)
{
	if (strcmp(in, "stdin") == 0) {
		*fd = dup(STDIN_FILENO);
	} else {
		*fd = open(in, O_RDONLY | O_CLOEXEC);
		if (*fd < 0) {
			cli_err("cannot open %s: %s", in, strerror(errno));
			return CLI_EXIT_LOCAL;
		}
	}
	if (*fd < 0) {
		cli_err("cannot use stdin: %s", strerror(errno));
		return CLI_EXIT_LOCAL;
	}
	return 0;
}

/*
 * The range to write must fit the LUN; a regular file's size is known, so
 * a bad range is refused before writing anything. 0 or a cli_exit code.
 */
static int write_check_range(struct lun_ctx *c, const struct scsi_args *a, int fd, const char *in)
{
	uint32_t bs = c->cap.block_size;
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		uint64_t len = a->have_length ? a->length : (uint64_t)st.st_size;

		if (a->have_length && a->length > (uint64_t)st.st_size) {
			cli_err("%s holds %llu bytes, less than --length %llu", in,
				(unsigned long long)st.st_size, (unsigned long long)a->length);
			return CLI_EXIT_USAGE;
		}
		if (len % bs) {
			cli_err("%s holds %llu bytes, not a multiple of the LUN's block size (%u); "
				"pad it or give --length",
				in, (unsigned long long)len, bs);
			return CLI_EXIT_USAGE;
		}
		return check_range(c, a->offset, len, true);
	}
	return check_range(c, a->offset, a->length, a->have_length);
}

int lun_cmd_write(struct lun_ctx *c, const struct scsi_args *a)
{
	CLEANUP_CLOSE int fd = -1;
	CLEANUP_FREE uint8_t *buf = NULL;
	const char *in = a->input && strcmp(a->input, "-") != 0 ? a->input : "stdin";
	uint32_t chunk, bs;
	uint64_t off = a->offset, done = 0;
	int rc;

	rc = write_open_input(in, &fd);
	if (rc)
		return rc;
	rc = lun_get_capacity(c);
	if (rc)
		return rc;
	bs = c->cap.block_size;
	rc = write_check_range(c, a, fd, in);
	if (rc)
		return rc;
	rc = lun_get_b0(c);
	if (rc)
		return rc;
	chunk = io_chunk(c, a->io_size);
	buf = malloc(chunk);
	if (!buf) {
		cli_err("out of memory");
		return CLI_EXIT_LOCAL;
	}
	for (;;) {
		uint8_t cdb[SCSI_CDB_MAX];
		uint64_t want = chunk;
		ssize_t n;
		int cl;

		if (a->have_length && a->length - done < want)
			want = a->length - done;
		if (want == 0)
			break;
		n = read_full(fd, buf, (size_t)want);
		if (n < 0) {
			cli_err("cannot read %s: %s", in, strerror((int)-n));
			return CLI_EXIT_LOCAL;
		}
		if (n == 0)
			break;
		if (n % bs) {
			cli_err("%s ended after %llu bytes, not a multiple of the block size (%u): "
				"the last %zd bytes were not written",
				in, (unsigned long long)(done + (uint64_t)n), bs, n % bs);
			return CLI_EXIT_USAGE;
		}
		if (off + (uint64_t)n > c->cap.nblocks * bs) {
			cli_err("%s is larger than the LUN from offset %llu", in,
				(unsigned long long)a->offset);
			return CLI_EXIT_USAGE;
		}
		cl = scsi_build_rw(cdb, sizeof(cdb), true, off / bs, (uint32_t)n / bs,
				   a->fua ? SCSI_RW_FUA : 0);
		rc = lun_run_cdb(c, cdb, cl, SESS_DIR_WRITE, buf, (uint32_t)n, NULL, "WRITE",
				 false);
		if (rc)
			return rc;
		off += (uint64_t)n;
		done += (uint64_t)n;
		if ((uint64_t)n < want)
			break;
	}
	if (a->have_length && done < a->length) {
		cli_err("%s ended after %llu of %llu bytes", in, (unsigned long long)done,
			(unsigned long long)a->length);
		return CLI_EXIT_LOCAL;
	}
	return 0;
}

int lun_cmd_unmap(struct lun_ctx *c, const struct scsi_args *a)
{
	uint32_t bs, max = 0xffffffffu;
	uint64_t lba, left;
	int rc;

	rc = lun_prepare_range(c, a, "unmap");
	if (rc)
		return rc;
	bs = c->cap.block_size;
	if (c->have_b0 && c->b0.max_unmap_lba_count)
		max = c->b0.max_unmap_lba_count;
	lba = a->offset / bs;
	left = a->length / bs;
	/* One extent per command, each within MAXIMUM UNMAP LBA COUNT (SBC-4 6.6.4). */
	while (left) {
		struct scsi_unmap_extent e = {.lba = lba,
					      .nblocks = left < max ? (uint32_t)left : max};
		uint8_t cdb[SCSI_CDB_MAX], params[24];
		int pl = scsi_build_unmap_params(params, sizeof(params), &e, 1);
		int cl = scsi_build_unmap(cdb, sizeof(cdb), (uint16_t)pl, false);

		rc = lun_run_cdb(c, cdb, cl, SESS_DIR_WRITE, params, (uint32_t)pl, NULL, "UNMAP",
				 false);
		if (rc)
			return rc;
		lba += e.nblocks;
		left -= e.nblocks;
	}
	return 0;
}
