/* Shared between the fake target's files; tests use faketarget.h. */
#ifndef ISN_TESTS_FAKETARGET_INT_H
#define ISN_TESTS_FAKETARGET_INT_H

#include "session/pdu.h"
#include "tests/component/faketarget.h"
#include "util/compiler.h"

/* Count a rule the initiator broke; the first one is kept in ft->first_error. */
void ft_err(struct ft *ft, const char *fmt, ...) ISN_PRINTF(2, 3);
/* Send a target PDU through the fault seam (DataSegmentLength set from len). */
void ft_emit(struct ft *ft, uint8_t *bhs, const uint8_t *data, uint32_t len);
/* ExpCmdSN / MaxCmdSN for the next target PDU. */
void ft_sn(struct ft *ft, uint32_t *exp, uint32_t *max);
/* Check and advance the initiator's CmdSN. */
void ft_cmdsn(struct ft *ft, bool immediate, uint32_t cmdsn);

void ft_login(struct ft *ft, const struct iscsi_pdu_login_req *rq, const uint8_t *data,
	      uint32_t len);
void ft_text(struct ft *ft, const struct iscsi_pdu_text_req *r, const uint8_t *data, uint32_t len);

#endif
