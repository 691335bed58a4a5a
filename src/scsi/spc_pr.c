/*
 * SPC-5 6.16 PERSISTENT RESERVE IN and 6.17 PERSISTENT RESERVE OUT.
 * Reservation keys are per I_T nexus: with several paths the initiator
 * registers the same key on each (or uses ALL_TG_PT), which is why the
 * parameter list builder exposes ALL_TG_PT.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "scsi/cdb.h"
#include "scsi/spc.h"
#include "util/bytes.h"
#include "util/compiler.h"

int scsi_build_pr_in(uint8_t *cdb, size_t cdblen, uint8_t service_action, uint16_t alloc_len)
{
	if (service_action > 0x1f)
		return -EINVAL;
	/* SPC-5 6.16.1 table 163 */
	if (cdb_start(cdb, cdblen, 10, SCSI_OP_PERSISTENT_RESERVE_IN))
		return -EINVAL;
	cdb[1] = service_action;      /* SERVICE ACTION */
	put_be16(cdb + 7, alloc_len); /* ALLOCATION LENGTH */
	return 10;
}

int scsi_pr_read_keys_parse(const uint8_t *buf, size_t len, struct scsi_pr_keys *out)
{
	uint32_t total;
	/* 6.16.2 table 165: PRGENERATION, ADDITIONAL LENGTH, then 8-byte keys. */
	int n = scsi_list8_parse(buf, len, 4, SCSI_PR_MAX_KEYS, out, sizeof(*out), &total);

	if (n < 0)
		return n;
	out->generation = get_be32(buf);
	out->total = total;
	out->n = (unsigned int)n;
	out->truncated = out->n < out->total;
	for (unsigned int i = 0; i < out->n; i++)
		out->key[i] = get_be64(buf + 8 + 8 * (size_t)i);
	return 0;
}

int scsi_pr_read_reservation_parse(const uint8_t *buf, size_t len, struct scsi_pr_reservation *out)
{
	uint32_t add_len;
	/* 6.16.3 tables 167/168: ADDITIONAL LENGTH is 0 (none) or 0x10. */
	int r = parse_start(buf, len, 8, out, sizeof(*out));

	if (r)
		return r;
	out->generation = get_be32(buf);
	add_len = get_be32(buf + 4);
	if (add_len == 0)
		return 0;
	if (add_len != 0x10 || len < 24)
		return -EPROTO;
	out->held = true;
	out->key = get_be64(buf + 8); /* RESERVATION KEY */
	out->scope = buf[21] >> 4;    /* SCOPE */
	out->type = buf[21] & 0x0f;   /* TYPE */
	return 0;
}

int scsi_build_pr_out(uint8_t *cdb, size_t cdblen, uint8_t service_action, uint8_t type)
{
	if (service_action > 0x1f || type > 0x0f)
		return -EINVAL;
	/* SPC-5 6.17.1 table 175; SCOPE 0h = LU_SCOPE, the only one SPC-5 keeps. */
	if (cdb_start(cdb, cdblen, 10, SCSI_OP_PERSISTENT_RESERVE_OUT))
		return -EINVAL;
	cdb[1] = service_action;		  /* SERVICE ACTION */
	cdb[2] = type;				  /* SCOPE (0), TYPE */
	put_be32(cdb + 5, SCSI_PR_OUT_PARAM_LEN); /* PARAMETER LIST LENGTH */
	return 10;
}

int scsi_build_pr_out_params(uint8_t *buf, size_t len, const struct scsi_pr_out_params *p)
{
	if (!buf || !p || len < SCSI_PR_OUT_PARAM_LEN)
		return -EINVAL;
	/* 6.17.3 table 178: basic parameter list. */
	memset(buf, 0, SCSI_PR_OUT_PARAM_LEN);
	put_be64(buf, p->key);				/* RESERVATION KEY */
	put_be64(buf + 8, p->sa_key);			/* SERVICE ACTION RESERVATION KEY */
	buf[20] = (uint8_t)((p->spec_i_pt ? 0x08 : 0) | /* SPEC_I_PT */
			    (p->all_tg_pt ? 0x04 : 0) | /* ALL_TG_PT */
			    (p->aptpl ? 0x01 : 0));	/* APTPL */
	return SCSI_PR_OUT_PARAM_LEN;
}

int scsi_pr_caps_parse(const uint8_t *buf, size_t len, struct scsi_pr_caps *out)
{
	/*
	 * Table 173, PERSISTENT RESERVATION TYPE MASK, bytes 4-5 read as one
	 * word: byte 4 WR_EX_AR(7) EX_AC_RO(6) WR_EX_RO(5) EX_AC(3) WR_EX(1),
	 * byte 5 EX_AC_AR(0); indexed by TYPE code.
	 */
	static const uint16_t mask_bits[] = {
		[SCSI_PR_WRITE_EXCLUSIVE] = 0x0200,    [SCSI_PR_EXCLUSIVE_ACCESS] = 0x0800,
		[SCSI_PR_WRITE_EXCLUSIVE_RO] = 0x2000, [SCSI_PR_EXCLUSIVE_ACCESS_RO] = 0x4000,
		[SCSI_PR_WRITE_EXCLUSIVE_AR] = 0x8000, [SCSI_PR_EXCLUSIVE_ACCESS_AR] = 0x0001,
	};
	uint16_t mask;
	/* 6.16.4 table 172: LENGTH (0008h), then two flag bytes and the type mask. */
	int r = parse_start(buf, len, SCSI_PR_CAPS_LEN, out, sizeof(*out));

	if (r)
		return r;
	if (get_be16(buf) < SCSI_PR_CAPS_LEN)
		return -EPROTO;
	out->crh = buf[2] & 0x10;		    /* CRH */
	out->sip_c = buf[2] & 0x08;		    /* SIP_C */
	out->atp_c = buf[2] & 0x04;		    /* ATP_C */
	out->ptpl_c = buf[2] & 0x01;		    /* PTPL_C */
	out->tmv = buf[3] & 0x80;		    /* TMV */
	out->allow_commands = (buf[3] >> 4) & 0x07; /* ALLOW COMMANDS */
	out->ptpl_a = buf[3] & 0x01;		    /* PTPL_A */
	if (!out->tmv)
		return 0;
	mask = get_be16(buf + 4);
	for (unsigned int type = 0; type < ARRAY_SIZE(mask_bits); type++)
		if (mask & mask_bits[type])
			out->type_mask |= 1u << type;
	return 0;
}

bool scsi_pr_caps_has_type(const struct scsi_pr_caps *c, uint8_t type)
{
	if (type > 0x0f)
		return false;
	return !c->tmv || (c->type_mask & (1u << type));
}

const char *scsi_pr_type_name(uint8_t type)
{
	/* SPC-5 6.16.3.4 table 170 */
	switch (type) {
	case SCSI_PR_WRITE_EXCLUSIVE:
		return "Write Exclusive";
	case SCSI_PR_EXCLUSIVE_ACCESS:
		return "Exclusive Access";
	case SCSI_PR_WRITE_EXCLUSIVE_RO:
		return "Write Exclusive - Registrants Only";
	case SCSI_PR_EXCLUSIVE_ACCESS_RO:
		return "Exclusive Access - Registrants Only";
	case SCSI_PR_WRITE_EXCLUSIVE_AR:
		return "Write Exclusive - All Registrants";
	case SCSI_PR_EXCLUSIVE_ACCESS_AR:
		return "Exclusive Access - All Registrants";
	default:
		return "unknown";
	}
}
