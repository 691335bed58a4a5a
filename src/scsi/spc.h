/*
 * SPC-5 commands and their data: CDB builders and parsers for TEST UNIT
 * READY, INQUIRY (standard data and the VPD pages a block initiator needs),
 * MODE SENSE(6/10), REPORT LUNS, REPORT TARGET PORT GROUPS and PERSISTENT
 * RESERVE IN/OUT. SBC-4 VPD pages B0/B1/B2 are here too because they travel
 * as INQUIRY data and share the VPD header.
 *
 * Conventions (see sam.h): builders write into caller storage (cdb of at
 * least the command's length) and return that length or -EINVAL; parsers
 * take (buf, len, out) and return 0, -EINVAL or -EPROTO. Parsers that
 * return pointers into buf (designators, mode pages) borrow the caller's
 * buffer: those pointers are valid while buf is.
 *
 * Truncation: a device answers with at most ALLOCATION LENGTH bytes, so a
 * buffer may end before the length the data announces. Parsers use what is
 * complete, set `truncated` where they have one, and reject only data too
 * short for the fields the standard makes mandatory.
 */
#ifndef ISN_SCSI_SPC_H
#define ISN_SCSI_SPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scsi/sam.h"

/* SPC-5 operation codes used here (SPC-5 annex E). */
enum scsi_spc_opcode {
	SCSI_OP_TEST_UNIT_READY = 0x00,
	SCSI_OP_INQUIRY = 0x12,
	SCSI_OP_MODE_SENSE_6 = 0x1a,
	SCSI_OP_MODE_SENSE_10 = 0x5a,
	SCSI_OP_PERSISTENT_RESERVE_IN = 0x5e,
	SCSI_OP_PERSISTENT_RESERVE_OUT = 0x5f,
	SCSI_OP_REPORT_LUNS = 0xa0,
	SCSI_OP_MAINTENANCE_IN = 0xa3,
};

/* SPC-5 6.36: MAINTENANCE IN service action of REPORT TARGET PORT GROUPS. */
#define SCSI_SA_REPORT_TARGET_PORT_GROUPS 0x0a

/* ---- TEST UNIT READY (SPC-5 6.47) ---- */

int scsi_build_tur(uint8_t *cdb, size_t cdblen);

/* ---- INQUIRY (SPC-5 6.7) ---- */

/* Page codes of the VPD pages parsed here (SPC-5 7.7, SBC-4 6.6). */
enum scsi_vpd_page {
	SCSI_VPD_SUPPORTED_PAGES = 0x00,
	SCSI_VPD_UNIT_SERIAL = 0x80,
	SCSI_VPD_DEVICE_ID = 0x83,
	SCSI_VPD_BLOCK_LIMITS = 0xb0,
	SCSI_VPD_BLOCK_DEV_CHAR = 0xb1,
	SCSI_VPD_LB_PROVISIONING = 0xb2,
};

/* evpd=false asks for standard data, and then page must be 0 (-EINVAL otherwise). */
int scsi_build_inquiry(uint8_t *cdb, size_t cdblen, bool evpd, uint8_t page, uint16_t alloc_len);

/* Standard INQUIRY data (SPC-5 6.7.2 table 148); at least 36 bytes required. */
struct scsi_inquiry {
	uint8_t qualifier;   /* PERIPHERAL QUALIFIER: 0 = LU connected */
	uint8_t device_type; /* PERIPHERAL DEVICE TYPE: 0x00 = direct access block device */
	bool rmb;
	uint8_t version;
	uint8_t response_data_format; /* 2 for SPC-2 and later */
	bool hisup;
	uint8_t tpgs; /* TPGS: bit 0 implicit ALUA, bit 1 explicit ALUA */
	bool protect;
	bool multip;
	bool cmdque;
	char vendor[9];	  /* T10 VENDOR IDENTIFICATION, trailing spaces trimmed */
	char product[17]; /* PRODUCT IDENTIFICATION */
	char revision[5]; /* PRODUCT REVISION LEVEL */
};

int scsi_inquiry_parse(const uint8_t *buf, size_t len, struct scsi_inquiry *out);

/*
 * The start of every VPD page parser, on the common header (SPC-5 7.7.1):
 * checks that buf holds a page with code `page` and at least min_body
 * bytes of body, clears out (out_size bytes) and returns the body (after
 * the 4-byte header), cut to what both len and PAGE LENGTH allow.
 * *truncated (may be NULL) is set when len ends before PAGE LENGTH does.
 * -EINVAL without buf or out; -EPROTO for another page code, len < 4 or a
 * shorter body.
 */
int scsi_vpd_start(const uint8_t *buf, size_t len, uint8_t page, size_t min_body, void *out,
		   size_t out_size, const uint8_t **body, size_t *body_len, bool *truncated);

/* VPD 0x00 Supported VPD Pages (SPC-5 7.7.16), kept as a bitmap. */
struct scsi_vpd_supported {
	uint8_t map[32];
};

int scsi_vpd_supported_parse(const uint8_t *buf, size_t len, struct scsi_vpd_supported *out);
bool scsi_vpd_supported_has(const struct scsi_vpd_supported *s, uint8_t page);

/* VPD 0x80 Unit Serial Number (SPC-5 7.7.18): leading/trailing spaces trimmed,
 * non-printable bytes replaced by '?', cut at 255 characters (truncated set);
 * truncated is also set when the page is longer than the data received. */
struct scsi_vpd_serial {
	char serial[256];
	bool truncated;
};

int scsi_vpd_serial_parse(const uint8_t *buf, size_t len, struct scsi_vpd_serial *out);

/* VPD 0x83 Device Identification (SPC-5 7.7.6). */
enum scsi_desig_type {
	SCSI_DESIG_VENDOR = 0x0,
	SCSI_DESIG_T10_VENDOR_ID = 0x1,
	SCSI_DESIG_EUI64 = 0x2,
	SCSI_DESIG_NAA = 0x3,
	SCSI_DESIG_REL_TGT_PORT = 0x4,
	SCSI_DESIG_TGT_PORT_GROUP = 0x5,
	SCSI_DESIG_LU_GROUP = 0x6,
	SCSI_DESIG_MD5_LU = 0x7,
	SCSI_DESIG_SCSI_NAME = 0x8,
	SCSI_DESIG_PROTOCOL_PORT = 0x9,
	SCSI_DESIG_UUID = 0xa,
};

enum scsi_desig_assoc {
	SCSI_ASSOC_LU = 0,	    /* addressed logical unit */
	SCSI_ASSOC_TARGET_PORT = 1, /* the port the command came through */
	SCSI_ASSOC_TARGET_DEV = 2,  /* the SCSI target device */
};

enum scsi_code_set {
	SCSI_CODESET_BINARY = 1,
	SCSI_CODESET_ASCII = 2,
	SCSI_CODESET_UTF8 = 3,
};

struct scsi_designator {
	uint8_t protocol_id; /* PROTOCOL IDENTIFIER (5 = iSCSI), meaningful when piv */
	uint8_t code_set;    /* enum scsi_code_set */
	bool piv;
	uint8_t assoc;	     /* enum scsi_desig_assoc */
	uint8_t type;	     /* enum scsi_desig_type */
	uint8_t len;	     /* DESIGNATOR LENGTH */
	const uint8_t *data; /* borrowed from the parsed buffer */
};

#define SCSI_VPD83_MAX 32

struct scsi_vpd83 {
	unsigned int n;
	struct scsi_designator d[SCSI_VPD83_MAX];
	bool truncated; /* buffer or SCSI_VPD83_MAX ended before the page did */
};

int scsi_vpd83_parse(const uint8_t *buf, size_t len, struct scsi_vpd83 *out);

/*
 * The device identity used across paths and as the NBD BACKEND_IDENTIFIER:
 * the best logical-unit designator, NAA (16-byte before 8-byte) > EUI-64
 * (longest first) > SCSI name string > T10 vendor ID, printed as
 * "naa.<hex>", "eui.<hex>", the SCSI name string itself ("iqn...", "naa...")
 * or "t10.<ascii>". Designators with the wrong code set or length for
 * their type are ignored, and so is a T10 vendor ID without a vendor
 * specific part (it names the vendor, not the LU). Returns the string length, -ENOENT when no
 * usable designator exists, -ENOSPC when out is too small.
 */
int scsi_vpd83_identity(const struct scsi_vpd83 *v, char *out, size_t outlen);

/* The SCSI name string of the target device (association 2, e.g. the
 * target's IQN), printable: -ENOENT if absent, -ENOSPC if out is too small. */
int scsi_vpd83_target_name(const struct scsi_vpd83 *v, char *out, size_t outlen);

/* RELATIVE TARGET PORT IDENTIFIER and TARGET PORT GROUP of the port the
 * INQUIRY came through (association 1); -ENOENT for each one missing. */
int scsi_vpd83_rel_port(const struct scsi_vpd83 *v, uint16_t *rel_port);
int scsi_vpd83_tpg(const struct scsi_vpd83 *v, uint16_t *tpg);

/* VPD 0xB0 Block Limits (SBC-4 6.6.4); fields the page does not reach stay 0. */
struct scsi_vpd_b0 {
	bool wsnz;
	uint8_t max_compare_write;
	uint16_t opt_xfer_granularity; /* blocks */
	uint32_t max_xfer_len;	       /* blocks, 0 = no limit */
	uint32_t opt_xfer_len;	       /* blocks */
	uint32_t max_prefetch_len;
	uint32_t max_unmap_lba_count; /* 0xffffffff = no limit */
	uint32_t max_unmap_desc_count;
	uint32_t opt_unmap_granularity;
	bool ugavalid;
	uint32_t unmap_granularity_align;
	uint64_t max_write_same_len;
};

int scsi_vpd_b0_parse(const uint8_t *buf, size_t len, struct scsi_vpd_b0 *out);

/* VPD 0xB1 Block Device Characteristics (SBC-4 6.6.2). */
#define SCSI_ROTATION_NOT_REPORTED 0x0000
#define SCSI_ROTATION_NONE	   0x0001 /* solid state */

struct scsi_vpd_b1 {
	uint16_t rotation_rate; /* MEDIUM ROTATION RATE: 0, 1 or rpm */
	uint8_t product_type;
	uint8_t form_factor;
	uint8_t zoned;
};

int scsi_vpd_b1_parse(const uint8_t *buf, size_t len, struct scsi_vpd_b1 *out);

/* VPD 0xB2 Logical Block Provisioning (SBC-4 6.6.6). */
struct scsi_vpd_b2 {
	uint8_t threshold_exponent;
	bool lbpu;	 /* UNMAP supported */
	bool lbpws;	 /* WRITE SAME(16) with UNMAP supported */
	bool lbpws10;	 /* WRITE SAME(10) with UNMAP supported */
	uint8_t lbprz;	 /* LBPRZ field (3 bits in SBC-4, 1 in SBC-3) */
	bool lbprz_zero; /* unmapped blocks read as zero: LBPRZ xx1b */
	bool anc_sup;
	bool dp;
	uint8_t provisioning_type; /* 0 full, 1 resource, 2 thin */
};

int scsi_vpd_b2_parse(const uint8_t *buf, size_t len, struct scsi_vpd_b2 *out);

/* ---- MODE SENSE (SPC-5 6.14, 6.15, 7.5) ---- */

#define SCSI_MODE_PAGE_CACHING	0x08
#define SCSI_MODE_PAGE_ALL	0x3f
#define SCSI_MODE_PC_CURRENT	0
#define SCSI_MODE_PC_CHANGEABLE 1
#define SCSI_MODE_PC_DEFAULT	2
#define SCSI_MODE_PC_SAVED	3

/* pc is the PAGE CONTROL (0..3), page < 0x40; dbd disables block descriptors. */
int scsi_build_mode_sense6(uint8_t *cdb, size_t cdblen, bool dbd, uint8_t pc, uint8_t page,
			   uint8_t subpage, uint8_t alloc_len);
int scsi_build_mode_sense10(uint8_t *cdb, size_t cdblen, bool dbd, uint8_t pc, uint8_t page,
			    uint8_t subpage, uint16_t alloc_len);

struct scsi_mode_sense {
	uint8_t medium_type;
	uint8_t dev_specific; /* DEVICE-SPECIFIC PARAMETER */
	bool wp;	      /* SBC-4 6.5.1: bit 7 of DEVICE-SPECIFIC PARAMETER */
	bool dpofua;	      /* bit 4: DPO and FUA supported */
	bool longlba;
	uint16_t block_desc_len;
	const uint8_t *pages; /* mode pages, borrowed from buf */
	size_t pages_len;
	bool have_caching; /* a complete caching mode page was found */
	bool wce;	   /* caching page byte 2 bit 2 */
	bool rcd;	   /* caching page byte 2 bit 0 */
};

/* ten selects the MODE SENSE(10) header layout, else the (6) one. */
int scsi_mode_sense_parse(const uint8_t *buf, size_t len, bool ten, struct scsi_mode_sense *out);

/* Finds a complete page (page_0 or sub_page format) in the pages of a parsed
 * mode sense; *page_len counts the whole page including its header. -ENOENT. */
int scsi_mode_page_find(const struct scsi_mode_sense *ms, uint8_t page, uint8_t subpage,
			const uint8_t **p, size_t *page_len);

/* ---- REPORT LUNS (SPC-5 6.33) ---- */

#define SCSI_REPORT_LUNS_MAX 256

/* select_report 0x00 = all logical units except well-known; alloc_len >= 16. */
int scsi_build_report_luns(uint8_t *cdb, size_t cdblen, uint8_t select_report, uint32_t alloc_len);

struct scsi_report_luns {
	uint32_t total; /* LUN LIST LENGTH / 8: LUNs the target has */
	unsigned int n; /* LUNs present in lun[] */
	bool truncated; /* total > n: ask again with a bigger allocation length */
	uint8_t lun[SCSI_REPORT_LUNS_MAX][8];
};

int scsi_report_luns_parse(const uint8_t *buf, size_t len, struct scsi_report_luns *out);

/*
 * The lists of 8-byte entries after an 8-byte header (REPORT LUNS, PERSISTENT
 * RESERVE IN READ KEYS): the header's 32-bit list length in bytes, a
 * multiple of 8, stands at len_off. Clears out (out_size bytes), sets
 * *total to the entries the target has and returns how many of them buf
 * holds, at most max; -EINVAL without buf or out, -EPROTO for a short or
 * malformed header.
 */
int scsi_list8_parse(const uint8_t *buf, size_t len, size_t len_off, unsigned int max, void *out,
		     size_t out_size, uint32_t *total);

/* ---- REPORT TARGET PORT GROUPS (SPC-5 6.36) ---- */

/* SPC-5 6.36.2 table 232: ASYMMETRIC ACCESS STATE. */
enum scsi_alua_state {
	SCSI_ALUA_ACTIVE_OPTIMIZED = 0x0,
	SCSI_ALUA_ACTIVE_NON_OPTIMIZED = 0x1,
	SCSI_ALUA_STANDBY = 0x2,
	SCSI_ALUA_UNAVAILABLE = 0x3,
	SCSI_ALUA_LBA_DEPENDENT = 0x4,
	SCSI_ALUA_OFFLINE = 0xe,
	SCSI_ALUA_TRANSITIONING = 0xf,
};

const char *scsi_alua_state_name(uint8_t state);

/*
 * extended: PARAMETER DATA FORMAT 001b (header with IMPLICIT TRANSITION
 * TIME). Prefer the length-only format: LIO (seen on Linux 6.1) leaves the
 * 4 extra header bytes out of RETURN DATA LENGTH and of the transfer, so
 * the extended answer loses its last 4 bytes (a port descriptor), which
 * scsi_rtpg_parse() reports as truncated.
 */
int scsi_build_rtpg(uint8_t *cdb, size_t cdblen, bool extended, uint32_t alloc_len);

#define SCSI_RTPG_MAX_GROUPS 16
#define SCSI_RTPG_MAX_PORTS  16

struct scsi_tpg_desc {
	uint16_t id;
	uint8_t state; /* enum scsi_alua_state */
	bool pref;
	uint8_t supported; /* T_SUP O_SUP - LBD_SUP U_SUP S_SUP AN_SUP AO_SUP bits */
	uint8_t status_code;
	uint8_t port_count; /* TARGET PORT COUNT as sent */
	uint8_t nports;	    /* ports stored in port[] */
	uint16_t port[SCSI_RTPG_MAX_PORTS];
};

struct scsi_rtpg {
	bool extended;
	uint8_t implicit_transition_time; /* seconds, extended format only */
	unsigned int n;
	bool truncated;
	struct scsi_tpg_desc g[SCSI_RTPG_MAX_GROUPS];
};

int scsi_rtpg_parse(const uint8_t *buf, size_t len, struct scsi_rtpg *out);

/* The group that lists relative target port rel_port, or NULL. */
const struct scsi_tpg_desc *scsi_rtpg_find_port(const struct scsi_rtpg *r, uint16_t rel_port);

/* ---- PERSISTENT RESERVE IN / OUT (SPC-5 6.16, 6.17) ---- */

enum scsi_pr_in_sa {
	SCSI_PR_IN_READ_KEYS = 0x00,
	SCSI_PR_IN_READ_RESERVATION = 0x01,
	SCSI_PR_IN_REPORT_CAPABILITIES = 0x02,
	SCSI_PR_IN_READ_FULL_STATUS = 0x03,
};

enum scsi_pr_out_sa {
	SCSI_PR_OUT_REGISTER = 0x00,
	SCSI_PR_OUT_RESERVE = 0x01,
	SCSI_PR_OUT_RELEASE = 0x02,
	SCSI_PR_OUT_CLEAR = 0x03,
	SCSI_PR_OUT_PREEMPT = 0x04,
	SCSI_PR_OUT_PREEMPT_AND_ABORT = 0x05,
	SCSI_PR_OUT_REGISTER_AND_IGNORE = 0x06,
};

/* SPC-5 6.16.3.4 table 170: persistent reservation TYPE. */
enum scsi_pr_type {
	SCSI_PR_WRITE_EXCLUSIVE = 0x1,
	SCSI_PR_EXCLUSIVE_ACCESS = 0x3,
	SCSI_PR_WRITE_EXCLUSIVE_RO = 0x5,
	SCSI_PR_EXCLUSIVE_ACCESS_RO = 0x6,
	SCSI_PR_WRITE_EXCLUSIVE_AR = 0x7,
	SCSI_PR_EXCLUSIVE_ACCESS_AR = 0x8,
};

int scsi_build_pr_in(uint8_t *cdb, size_t cdblen, uint8_t service_action, uint16_t alloc_len);

#define SCSI_PR_MAX_KEYS 64

struct scsi_pr_keys {
	uint32_t generation;
	uint32_t total; /* ADDITIONAL LENGTH / 8 */
	unsigned int n;
	bool truncated;
	uint64_t key[SCSI_PR_MAX_KEYS];
};

int scsi_pr_read_keys_parse(const uint8_t *buf, size_t len, struct scsi_pr_keys *out);

struct scsi_pr_reservation {
	uint32_t generation;
	bool held; /* ADDITIONAL LENGTH 0x10: a reservation exists */
	uint64_t key;
	uint8_t scope;
	uint8_t type; /* enum scsi_pr_type */
};

int scsi_pr_read_reservation_parse(const uint8_t *buf, size_t len, struct scsi_pr_reservation *out);

/* SPC-5 6.16.4 table 172: REPORT CAPABILITIES parameter data. */
#define SCSI_PR_CAPS_LEN 8

struct scsi_pr_caps {
	bool crh;    /* CRH: RESERVE of a held reservation by its holder is not a conflict */
	bool sip_c;  /* SIP_C: SPEC_I_PT supported */
	bool atp_c;  /* ATP_C: ALL_TG_PT supported */
	bool ptpl_c; /* PTPL_C: persist through power loss supported */
	bool tmv;    /* TMV: type_mask is valid */
	uint8_t allow_commands; /* ALLOW COMMANDS (0..5) */
	bool ptpl_a;		/* PTPL_A: persist through power loss active */
	/* PERSISTENT RESERVATION TYPE MASK, one bit per enum scsi_pr_type (1u << type). */
	uint16_t type_mask;
};

/* -EPROTO when shorter than the 8 bytes of table 172 or LENGTH says so;
 * longer answers (a later revision's fields) are read up to byte 7. */
int scsi_pr_caps_parse(const uint8_t *buf, size_t len, struct scsi_pr_caps *out);

/* Whether caps allow type t: with TMV clear the mask says nothing, so true. */
bool scsi_pr_caps_has_type(const struct scsi_pr_caps *c, uint8_t type);

/* "Write Exclusive - Registrants Only", ...; "unknown" for a reserved code. */
const char *scsi_pr_type_name(uint8_t type);

/* PR OUT CDB; type is ignored by the standard for REGISTER/CLEAR but sent as given.
 * The parameter list is always the 24-byte basic one (SPC-5 6.17.3). */
#define SCSI_PR_OUT_PARAM_LEN 24

int scsi_build_pr_out(uint8_t *cdb, size_t cdblen, uint8_t service_action, uint8_t type);

struct scsi_pr_out_params {
	uint64_t key;	 /* RESERVATION KEY: our registered key (0 when registering) */
	uint64_t sa_key; /* SERVICE ACTION RESERVATION KEY: new key / key to preempt */
	bool spec_i_pt;
	bool all_tg_pt;
	bool aptpl;
};

int scsi_build_pr_out_params(uint8_t *buf, size_t len, const struct scsi_pr_out_params *p);

#endif
