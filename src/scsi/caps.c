/* Combining parsed LU data into one set of facts; see caps.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scsi/caps.h"
#include "util/compiler.h"

static uint32_t blocks_to_bytes(uint64_t blocks, uint32_t bs)
{
	uint64_t b;

	if (mul_overflow(blocks, (uint64_t)bs, &b) || b > UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)b;
}

int scsi_lun_caps_build(struct scsi_lun_caps *caps, const struct scsi_lun_caps_src *src)
{
	const struct scsi_capacity *cap = src ? src->cap : NULL;
	bool lbpme;
	int r;

	if (!caps || !cap || cap->block_size == 0 || cap->need_rc16)
		return -EINVAL;
	memset(caps, 0, sizeof(*caps));
	if (src->inq && (src->inq->qualifier != 0 || src->inq->device_type != 0))
		return -ENODEV;

	caps->nblocks = cap->nblocks;
	caps->block_size = cap->block_size;
	if (mul_overflow(cap->nblocks, (uint64_t)cap->block_size, &caps->size_bytes))
		return -EOVERFLOW;
	/* SBC-4 5.21.2: physical block = 2^LBPPBE logical blocks. */
	if (cap->lbppbe >= 32 || ((uint64_t)cap->block_size << cap->lbppbe) > UINT32_MAX)
		return -EOVERFLOW;
	caps->phys_block_size = cap->block_size << cap->lbppbe;

	/* SBC-4 6.6.4: limits are in logical blocks, 0 = not reported. */
	if (src->limits) {
		const struct scsi_vpd_b0 *l = src->limits;

		if (l->max_xfer_len)
			caps->max_transfer_bytes =
				blocks_to_bytes(l->max_xfer_len, cap->block_size);
		if (l->opt_xfer_len)
			caps->opt_transfer_bytes =
				blocks_to_bytes(l->opt_xfer_len, cap->block_size);
		if (l->max_unmap_lba_count)
			caps->max_unmap_bytes =
				blocks_to_bytes(l->max_unmap_lba_count, cap->block_size);
		caps->max_unmap_descriptors = l->max_unmap_desc_count;
		if (l->max_write_same_len)
			caps->max_write_same_bytes =
				blocks_to_bytes(l->max_write_same_len, cap->block_size);
	}

	/* SBC-4 4.7.3.1: without LBPME the LU is fully provisioned and the
	 * provisioning VPD bits carry no promise. */
	lbpme = cap->lbpme;
	if (src->prov && lbpme) {
		caps->discard = src->prov->lbpu;
		caps->write_zeroes = src->prov->lbpws;
	}
	caps->read_zeroes_after_unmap =
		lbpme && (cap->lbprz || (src->prov && src->prov->lbprz_zero));

	if (src->mode) {
		caps->write_cache = src->mode->have_caching ? src->mode->wce : true;
		caps->fua = src->mode->dpofua;
		caps->read_only = src->mode->wp;
	} else {
		caps->write_cache = true;
	}
	caps->rotational = !(src->chars && src->chars->rotation_rate == SCSI_ROTATION_NONE);

	if (src->devid) {
		r = scsi_vpd83_identity(src->devid, caps->ident, sizeof(caps->ident));
		if (r >= 0)
			return 0;
		if (r != -ENOENT)
			return r;
	}
	/* SPC-2 era LUs without 0x83: the T10 vendor ID form Linux also falls back to. */
	/* Only a whole serial tells LUs apart: a cut one could match another LU's. */
	if (src->inq && src->serial && src->serial->serial[0] && !src->serial->truncated) {
		int n = snprintf(caps->ident, sizeof(caps->ident), "t10.%s %s %s", src->inq->vendor,
				 src->inq->product, src->serial->serial);

		if (n < 0 || (size_t)n >= sizeof(caps->ident))
			return -ENOSPC;
		for (char *c = caps->ident; *c; c++)
			if (*c == ' ')
				*c = '_';
		caps->ident_fallback = true;
		return 0;
	}
	if (src->devid && src->have_lun) {
		char name[SCSI_IDENT_MAX];
		int n;

		r = scsi_vpd83_target_name(src->devid, name, sizeof(name));
		if (r < 0)
			return r;
		n = snprintf(caps->ident, sizeof(caps->ident), "%s,lun%u", name, src->lun);
		if (n < 0 || (size_t)n >= sizeof(caps->ident))
			return -ENOSPC;
		caps->ident_fallback = true;
		return 0;
	}
	return -ENOENT;
}
