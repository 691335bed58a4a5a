/*
 * A scripted fake iSCSI target for component tests. It runs on the test's
 * libev loop at the other end of a socketpair(), answers login (None or
 * CHAP MD5), serves READ/WRITE(10/16) from an in-memory LUN with R2T
 * sequences and many Data-In PDUs, NOPs, TMFs, logout, SendTargets over
 * several Text Responses, and checks what the initiator sends against the
 * rules it negotiated (violations are counted in ft->errors, with the first
 * one described in ft->first_error).
 *
 * Fault seam: every PDU the target sends goes through the rules added with
 * ft_fault_add(): mutate before digests, corrupt after digests, drop,
 * duplicate, delay until released, reorder with the next PDU.
 */
#ifndef ISN_TESTS_FAKETARGET_H
#define ISN_TESTS_FAKETARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "util/list.h"

struct ft;

struct ft_config {
	uint32_t max_recv_dsl;	      /* target's MaxRecvDataSegmentLength (default 8192) */
	uint32_t data_in_max;	      /* cap on Data-In segment size (default: initiator's MRDSL) */
	uint32_t first_burst;	      /* target's proposal bound (default 16384) */
	uint32_t max_burst;	      /* default 32768 */
	uint32_t max_outstanding_r2t; /* default 1 */
	bool initial_r2t;	      /* target insists on InitialR2T=Yes */
	bool no_immediate_data;
	bool digests;		/* accept CRC32C when offered */
	int cmd_window;		/* MaxCmdSN = ExpCmdSN + cmd_window - 1 (default 32) */
	uint32_t lun_blocks;	/* default 2048 */
	uint32_t block_size;	/* default 512 */
	bool status_in_data_in; /* S bit on the last Data-In instead of a SCSI Response */
	const char *chap_user;	/* non-NULL: require CHAP MD5 with this user/secret */
	const char *chap_secret;
	const char *login_garbage; /* answer the first login request with this text */
	uint32_t text_chunk;	   /* SendTargets answer split in PDUs of this size (default 64) */
	unsigned int n_targets;	   /* SendTargets answer size (default 3) */
	bool hold_cmds; /* record SCSI commands but do not answer (until ft_release_cmds) */
	const char *redirect_to; /* answer the first login with a temporary redirect here */
};

enum ft_action {
	FT_MUTATE,  /* call mutate() on BHS/data before digests are computed */
	FT_CORRUPT, /* flip bits of byte `param` of the wire PDU (after digests) */
	FT_DROP,
	FT_DUP,	    /* send twice */
	FT_DELAY,   /* hold until ft_release_delayed() */
	FT_REORDER, /* hold and send after the next PDU */
};

struct ft_fault {
	int opcode;	    /* match this target opcode, -1 any */
	unsigned int skip;  /* let this many matches pass first */
	unsigned int count; /* apply to this many (0 = 1) */
	enum ft_action action;
	uint32_t param;
	/* FT_MUTATE: may change bhs (48 bytes) and *data_len (data has room for 64 KiB). */
	void (*mutate)(uint8_t *bhs, uint8_t *data, uint32_t *data_len, void *opaque);
	void *opaque;
};

struct ft {
	struct ev_loop *loop;
	struct ft_config cfg;
	int fd;
	ev_io rio, wio;
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_len, out_cap;
	uint8_t *lun;

	/* Protocol state. */
	bool ffp;		 /* full feature phase reached */
	bool hdig, ddig;	 /* digests in effect */
	bool neg_hdig, neg_ddig; /* negotiated, in effect from the full feature phase */
	uint32_t ini_mrdsl;	 /* what we may send per PDU */
	uint32_t first_burst, max_burst, max_r2t;
	bool initial_r2t, immediate_data;
	uint32_t statsn, exp_cmdsn, max_cmdsn_override;
	bool max_override;
	uint16_t tsih;
	int login_round;
	int chap_step;
	uint8_t chap_id, chap_chal[16];
	uint32_t next_ttt;
	bool silent;
	bool closed;

	struct list_node tasks; /* struct ft_task, outstanding */

	/* Text (SendTargets) state. */
	char text[4096];
	size_t text_len, text_off;
	uint32_t text_ttt;

	/* Faults. */
	struct ft_fault faults[8];
	unsigned int nfaults;
	unsigned int fault_seen[8];
	uint8_t *held; /* FT_DELAY / FT_REORDER: wire bytes held back */
	size_t held_len;
	bool reorder_pending;

	/* Observations for tests. */
	unsigned int errors;
	char first_error[256];
	unsigned int cmds, reads, writes, nops, nop_echoes, tmfs, logouts, texts, data_outs, r2ts;
	uint32_t last_echo_ttt;
	uint64_t last_echo_lun;
	uint32_t last_cmdsn;
	uint32_t early_itt; /* write answered before its data: late Data-Out is not an error */
	unsigned int early_rsps;
	unsigned int max_seen_dout_len;
};

struct ft *ft_new(struct ev_loop *loop, int fd, const struct ft_config *cfg);
void ft_free(struct ft *ft);

void ft_fault_add(struct ft *ft, const struct ft_fault *f);
void ft_release_delayed(struct ft *ft);
/* Answer the held commands now (hold_cmds). */
void ft_release_cmds(struct ft *ft);
/* Stop answering anything (the connection stays open). */
void ft_set_silent(struct ft *ft, bool silent);
/* Close the target's end. */
void ft_close(struct ft *ft);

/* Scripted PDUs. */
void ft_send_nop_in(struct ft *ft, uint32_t ttt, uint64_t lun);
void ft_send_async(struct ft *ft, uint8_t event, uint16_t p1, uint16_t p2, uint16_t p3,
		   const uint8_t *sense, uint16_t sense_len);
/* Change the window (MaxCmdSN = ExpCmdSN + window - 1) and announce it in a NOP-In. */
void ft_set_window(struct ft *ft, int window, bool announce);
/* Send any PDU: bhs (48 bytes) and data (digests added as negotiated). */
void ft_send_raw(struct ft *ft, const uint8_t *bhs, const uint8_t *data, uint32_t len);

uint32_t ft_max_cmdsn(const struct ft *ft);

#endif
