/*
 * SBC-4 6.6 VPD pages of block devices: B0 Block Limits, B1 Block Device
 * Characteristics, B2 Logical Block Provisioning. They travel as INQUIRY
 * data, so they share the VPD header parser of spc.c and are declared in
 * spc.h. Older targets send shorter pages (SBC-2 B0 stops after OPTIMAL
 * TRANSFER LENGTH): fields past the end stay 0, which each field defines
 * as "not reported".
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "scsi/spc.h"
#include "util/bytes.h"

/* Field at body offset off (page offset off + 4) of width w, if present. */
#define HAVE(n, off, w) ((n) + 4 >= (size_t)(off) + (w))

/*
 * The common start of the three parsers: the page's header checked by
 * scsi_vpd_body, at least min_body bytes of body, out cleared, and *p set
 * to the page start so that fields are indexed with the page offsets of
 * the SBC-4 tables; *n is the body length for HAVE().
 */
static int vpd_page(const uint8_t *buf, size_t len, uint8_t page, size_t min_body, void *out,
		    size_t out_size, const uint8_t **p, size_t *n)
{
	int r;

	if (!out)
		return -EINVAL;
	r = scsi_vpd_body(buf, len, page, p, n, NULL);
	if (r)
		return r;
	if (*n < min_body)
		return -EPROTO;
	memset(out, 0, out_size);
	*p -= 4;
	return 0;
}

int scsi_vpd_b0_parse(const uint8_t *buf, size_t len, struct scsi_vpd_b0 *out)
{
	const uint8_t *p;
	size_t n;
	int r;

	/* Page offsets of SBC-4 table 230; every field past the header is optional. */
	r = vpd_page(buf, len, SCSI_VPD_BLOCK_LIMITS, 0, out, sizeof(*out), &p, &n);
	if (r)
		return r;
	if (HAVE(n, 4, 1))
		out->wsnz = p[4] & 0x01; /* WSNZ */
	if (HAVE(n, 5, 1))
		out->max_compare_write = p[5]; /* MAXIMUM COMPARE AND WRITE LENGTH */
	if (HAVE(n, 6, 2))
		out->opt_xfer_granularity =
			get_be16(p + 6); /* OPTIMAL TRANSFER LENGTH GRANULARITY */
	if (HAVE(n, 8, 4))
		out->max_xfer_len = get_be32(p + 8); /* MAXIMUM TRANSFER LENGTH */
	if (HAVE(n, 12, 4))
		out->opt_xfer_len = get_be32(p + 12); /* OPTIMAL TRANSFER LENGTH */
	if (HAVE(n, 16, 4))
		out->max_prefetch_len = get_be32(p + 16); /* MAXIMUM PREFETCH LENGTH */
	if (HAVE(n, 20, 4))
		out->max_unmap_lba_count = get_be32(p + 20); /* MAXIMUM UNMAP LBA COUNT */
	if (HAVE(n, 24, 4))
		out->max_unmap_desc_count =
			get_be32(p + 24); /* MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT */
	if (HAVE(n, 28, 4))
		out->opt_unmap_granularity = get_be32(p + 28); /* OPTIMAL UNMAP GRANULARITY */
	if (HAVE(n, 32, 4)) {
		out->ugavalid = p[32] & 0x80; /* UGAVALID */
		out->unmap_granularity_align =
			get_be32(p + 32) & 0x7fffffffu; /* UNMAP GRANULARITY ALIGNMENT */
	}
	if (HAVE(n, 36, 8))
		out->max_write_same_len = get_be64(p + 36); /* MAXIMUM WRITE SAME LENGTH */
	return 0;
}

int scsi_vpd_b1_parse(const uint8_t *buf, size_t len, struct scsi_vpd_b1 *out)
{
	const uint8_t *p;
	size_t n;
	int r;

	/* SBC-4 table 225: MEDIUM ROTATION RATE is the field the page exists for. */
	r = vpd_page(buf, len, SCSI_VPD_BLOCK_DEV_CHAR, 2, out, sizeof(*out), &p, &n);
	if (r)
		return r;
	out->rotation_rate = get_be16(p + 4); /* MEDIUM ROTATION RATE */
	if (HAVE(n, 6, 1))
		out->product_type = p[6]; /* PRODUCT TYPE */
	if (HAVE(n, 7, 1))
		out->form_factor = p[7] & 0x0f; /* NOMINAL FORM FACTOR */
	if (HAVE(n, 8, 1))
		out->zoned = (p[8] >> 4) & 0x03; /* ZONED */
	return 0;
}

int scsi_vpd_b2_parse(const uint8_t *buf, size_t len, struct scsi_vpd_b2 *out)
{
	const uint8_t *p;
	size_t n;
	int r;

	/* SBC-4 table 234: the flags byte (byte 5) is what we need; PAGE LENGTH >= 4. */
	r = vpd_page(buf, len, SCSI_VPD_LB_PROVISIONING, 2, out, sizeof(*out), &p, &n);
	if (r)
		return r;
	out->threshold_exponent = p[4]; /* THRESHOLD EXPONENT */
	out->lbpu = p[5] & 0x80;	/* LBPU */
	out->lbpws = p[5] & 0x40;	/* LBPWS */
	out->lbpws10 = p[5] & 0x20;	/* LBPWS10 */
	/* LBPRZ: bits 4-2 in SBC-4, bit 2 alone in SBC-3; xx1b = reads zeros. */
	out->lbprz = (p[5] >> 2) & 0x07;
	out->lbprz_zero = out->lbprz & 0x01;
	out->anc_sup = p[5] & 0x02; /* ANC_SUP */
	out->dp = p[5] & 0x01;	    /* DP */
	if (HAVE(n, 6, 1))
		out->provisioning_type = p[6] & 0x07; /* PROVISIONING TYPE */
	return 0;
}
