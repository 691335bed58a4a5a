/* Small compiler helpers shared by every layer. */
#ifndef ISN_UTIL_COMPILER_H
#define ISN_UTIL_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Recover the owning struct from an embedded member (ev_io, ev_timer, list). */
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ISN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define ISN_UNUSED	 __attribute__((unused))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* Checked arithmetic for sizes and offsets from the wire: true on overflow. */
#define add_overflow(a, b, res) __builtin_add_overflow(a, b, res)
#define mul_overflow(a, b, res) __builtin_mul_overflow(a, b, res)

#endif
