/*
 * Fuzz target: client bytes into the server handshake state machine, fed
 * in pieces whose sizes come from the input, output drained as a real
 * caller would. Invariants: feed() consumes all it is given unless it has
 * a reply to send or the handshake ended, the output stays within its
 * bound, and nothing is consumed once the handshake is over.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nbd/handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct nbdsrv_hs hs;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bdev_info info;
	struct nbdsrv_export ex;
	size_t pos = 1, steps = 0;
	uint8_t chunk;

	if (size < 1)
		return 0;
	memset(&info, 0, sizeof(info));
	info.size_bytes = 1ull << 30;
	info.logical_block_size = 512;
	info.physical_block_size = 4096;
	info.write_cache = info.fua = info.discard = true;
	nbdsrv_export_from_info(&ex, &info, false, "lun0", "a test export");
	nbdsrv_hs_init(&hs, &ex);
	/* The first byte picks the chunk size and the TLS mode (off, on, require). */
	nbdsrv_hs_set_tls(&hs, data[0] % 3);
	chunk = data[0] ? data[0] : 1;

	while (steps++ < 100000) {
		size_t outlen, want, used, n;

		nbdsrv_hs_output(&hs, &outlen);
		if (outlen > sizeof(hs.out))
			abort();
		nbdsrv_hs_consume_output(&hs, outlen);
		if (nbdsrv_hs_done(&hs) || nbdsrv_hs_failed(&hs)) {
			if (nbdsrv_hs_want(&hs) != 0 || nbdsrv_hs_feed(&hs, data, size) != 0)
				abort();
			break;
		}
		if (nbdsrv_hs_wants_tls(&hs)) {
			/* A TLS handshake that succeeded: options continue "over TLS". */
			if (hs.tls == 0 || hs.tls_active || nbdsrv_hs_want(&hs) != 0)
				abort();
			nbdsrv_hs_tls_started(&hs);
			continue;
		}
		if (pos >= size)
			break;
		want = nbdsrv_hs_want(&hs);
		if (want == 0)
			abort(); /* negotiating, output drained: it must want bytes */
		n = size - pos < chunk ? size - pos : chunk;
		used = nbdsrv_hs_feed(&hs, data + pos, n);
		nbdsrv_hs_output(&hs, &outlen);
		/* It stops early only for a reply to send or the end of the handshake. */
		if (used > n ||
		    (used < n && outlen == 0 && !nbdsrv_hs_done(&hs) && !nbdsrv_hs_failed(&hs)))
			abort();
		pos += used;
	}
	return 0;
}
