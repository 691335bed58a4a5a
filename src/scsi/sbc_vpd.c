/*
 * SBC-4 6.6 VPD pages of block devices: B0 Block Limits, B1 Block Device
 * Characteristics, B2 Logical Block Provisioning. They travel as INQUIRY
 * data, so they share the VPD header parser of spc.c (scsi_vpd_start) and
 * are declared in spc.h. Older targets send shorter pages (SBC-2 B0 stops
 * after OPTIMAL TRANSFER LENGTH): fields past the end stay 0, which each
 * field defines as "not reported".
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>

#include "scsi/spc.h"
#include "util/bytes.h"

/* A VPD page of the three below: its start (page offsets index it) and body length. */
struct vpd_page {
	const uint8_t *p;
	size_t n;
};

/* scsi_vpd_start, with the page indexed from its start as the SBC-4 tables number it. */
static int vpd_page(const uint8_t *buf, size_t len, uint8_t page, size_t min_body, void *out,
		    size_t out_size, struct vpd_page *pg)
{
	const uint8_t *body;
	int r = scsi_vpd_start(buf, len, page, min_body, out, out_size, &body, &pg->n, NULL);

	if (r)
		return r;
	pg->p = body - 4;
	return 0;
}

/* Whether the w bytes at page offset off arrived; a field cut short did not. */
static bool vpd_has(const struct vpd_page *pg, size_t off, size_t w)
{
	return pg->n + 4 >= off + w;
}

/* The field at page offset off, or 0 ("not reported") when the page ends before it. */
static uint8_t vpd_u8(const struct vpd_page *pg, size_t off)
{
	return vpd_has(pg, off, 1) ? pg->p[off] : 0;
}

static uint16_t vpd_be16(const struct vpd_page *pg, size_t off)
{
	return vpd_has(pg, off, 2) ? get_be16(pg->p + off) : 0;
}

static uint32_t vpd_be32(const struct vpd_page *pg, size_t off)
{
	return vpd_has(pg, off, 4) ? get_be32(pg->p + off) : 0;
}

static uint64_t vpd_be64(const struct vpd_page *pg, size_t off)
{
	return vpd_has(pg, off, 8) ? get_be64(pg->p + off) : 0;
}

int scsi_vpd_b0_parse(const uint8_t *buf, size_t len, struct scsi_vpd_b0 *out)
{
	/* Page offsets of SBC-4 table 230; every field past the header is optional. */
	struct vpd_page pg;
	int r = vpd_page(buf, len, SCSI_VPD_BLOCK_LIMITS, 0, out, sizeof(*out), &pg);

	if (r)
		return r;
	out->wsnz = vpd_u8(&pg, 4) & 0x01;		/* WSNZ */
	out->max_compare_write = vpd_u8(&pg, 5);	/* MAXIMUM COMPARE AND WRITE LENGTH */
	out->opt_xfer_granularity = vpd_be16(&pg, 6);	/* OPTIMAL TRANSFER LENGTH GRANULARITY */
	out->max_xfer_len = vpd_be32(&pg, 8);		/* MAXIMUM TRANSFER LENGTH */
	out->opt_xfer_len = vpd_be32(&pg, 12);		/* OPTIMAL TRANSFER LENGTH */
	out->max_prefetch_len = vpd_be32(&pg, 16);	/* MAXIMUM PREFETCH LENGTH */
	out->max_unmap_lba_count = vpd_be32(&pg, 20);	/* MAXIMUM UNMAP LBA COUNT */
	out->max_unmap_desc_count = vpd_be32(&pg, 24);	/* MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT */
	out->opt_unmap_granularity = vpd_be32(&pg, 28); /* OPTIMAL UNMAP GRANULARITY */
	out->ugavalid = vpd_be32(&pg, 32) >> 31;	/* UGAVALID */
	out->unmap_granularity_align =
		vpd_be32(&pg, 32) & 0x7fffffffu;     /* UNMAP GRANULARITY ALIGNMENT */
	out->max_write_same_len = vpd_be64(&pg, 36); /* MAXIMUM WRITE SAME LENGTH */
	return 0;
}

int scsi_vpd_b1_parse(const uint8_t *buf, size_t len, struct scsi_vpd_b1 *out)
{
	/* SBC-4 table 225: MEDIUM ROTATION RATE is the field the page exists for. */
	struct vpd_page pg;
	int r = vpd_page(buf, len, SCSI_VPD_BLOCK_DEV_CHAR, 2, out, sizeof(*out), &pg);

	if (r)
		return r;
	out->rotation_rate = vpd_be16(&pg, 4);	   /* MEDIUM ROTATION RATE */
	out->product_type = vpd_u8(&pg, 6);	   /* PRODUCT TYPE */
	out->form_factor = vpd_u8(&pg, 7) & 0x0f;  /* NOMINAL FORM FACTOR */
	out->zoned = (vpd_u8(&pg, 8) >> 4) & 0x03; /* ZONED */
	return 0;
}

int scsi_vpd_b2_parse(const uint8_t *buf, size_t len, struct scsi_vpd_b2 *out)
{
	/* SBC-4 table 234: the flags byte (byte 5) is what we need; PAGE LENGTH >= 4. */
	struct vpd_page pg;
	uint8_t flags;
	int r = vpd_page(buf, len, SCSI_VPD_LB_PROVISIONING, 2, out, sizeof(*out), &pg);

	if (r)
		return r;
	flags = vpd_u8(&pg, 5);
	out->threshold_exponent = vpd_u8(&pg, 4); /* THRESHOLD EXPONENT */
	out->lbpu = flags & 0x80;		  /* LBPU */
	out->lbpws = flags & 0x40;		  /* LBPWS */
	out->lbpws10 = flags & 0x20;		  /* LBPWS10 */
	/* LBPRZ: bits 4-2 in SBC-4, bit 2 alone in SBC-3; xx1b = reads zeros. */
	out->lbprz = (flags >> 2) & 0x07;
	out->lbprz_zero = out->lbprz & 0x01;
	out->anc_sup = flags & 0x02;			/* ANC_SUP */
	out->dp = flags & 0x01;				/* DP */
	out->provisioning_type = vpd_u8(&pg, 6) & 0x07; /* PROVISIONING TYPE */
	return 0;
}
