/*
 * Shared helper of the scsi unit tests: parsers get an exact-size heap copy
 * of each hand-written vector, so a read one byte past len is an ASan
 * error in the sanitizer build instead of a silent read of the next stack
 * byte.
 */
#ifndef ISN_TESTS_TEST_SCSI_VEC_H
#define ISN_TESTS_TEST_SCSI_VEC_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define VEC_MAX 256

static uint8_t *vec_bufs[VEC_MAX];
static int vec_n;

/* Copy of the first len bytes of v; freed by vec_free() (call in teardown). */
static inline const uint8_t *vec(const void *v, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_lt(vec_n, VEC_MAX);
	memcpy(b, v, len);
	vec_bufs[vec_n++] = b;
	return b;
}

static inline void vec_free(void)
{
	while (vec_n > 0)
		free(vec_bufs[--vec_n]);
}

#define CDB_EQ(got_len, cdb, want)                                                                 \
	do {                                                                                       \
		ck_assert_int_eq((got_len), (int)sizeof(want));                                    \
		ck_assert_mem_eq((cdb), (want), sizeof(want));                                     \
	} while (0)

#endif
