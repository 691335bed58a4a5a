/*
 * The peer half of the PDU codec, for fake targets in tests and fuzzing
 * only (libsessiontest.a; the daemon does not link it): the encoders of
 * the target PDUs and the decoders of the initiator PDUs, generated from
 * the same tables of pdu_wire.h and checked by the same rules
 * (pdu_codec.c) as the daemon's half.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "session/pdu.h"
#include "session/pdu_gen.h"
#include "session/pdu_wire.h"

#define GEN_ENC_INITIATOR(name, op)
#define GEN_ENC_TARGET(name, op)    PDU_GEN_ENC(name, op)
#define GEN_DEC_INITIATOR(name, op) PDU_GEN_DEC(name, op)
#define GEN_DEC_TARGET(name, op)
#define GEN(name, op, sender, title) GEN_ENC_##sender(name, op) GEN_DEC_##sender(name, op)
PDU_LIST(GEN)

PDU_GEN_DEC_FROM(iscsi_pdu_dec_initiator, iscsi_pdu_initiator_msg, INITIATOR,
		 "target opcode from an initiator")
