#include "config.h"

#include <limits.h>
#include <isa-l/crc.h>

#include "util/crc32c.h"

uint32_t crc32c_update(uint32_t state, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	/* crc32_iscsi takes an int length; feed very large buffers in pieces. */
	while (len > 0) {
		int chunk = len > (size_t)INT_MAX ? INT_MAX : (int)len;

		state = crc32_iscsi((unsigned char *)p, chunk, state);
		p += chunk;
		len -= (size_t)chunk;
	}
	return state;
}
