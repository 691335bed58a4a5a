/*
 * Text that came from a peer (an iSCSI target's names, addresses and
 * aliases, a key's value quoted in an error, SCSI strings) is data, never
 * terminal control: it must not move the cursor, start an escape sequence,
 * end a log line early or forge the next line of `discover` output.
 *
 * str_escape() turns any bytes into printable ASCII: 0x20..0x7e pass
 * unchanged, a backslash becomes "\\", every other byte (controls, DEL,
 * every byte >= 0x80, so also any UTF-8) becomes "\xNN" with lower-case hex.
 * The mapping is reversible, so an escaped name still identifies the bytes
 * the peer sent.
 *
 * Contract
 * - No allocation, no I/O. out is the caller's, cap bytes; it is always
 *   NUL-terminated when cap > 0 and never holds more than cap - 1 chars.
 * - Output that does not fit ends in "..." and never ends inside an escape
 *   sequence (a cut "\x1" would be misread).
 * - Returns the length written, without the NUL.
 */
#ifndef ISN_UTIL_ESCAPE_H
#define ISN_UTIL_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest escape of one input byte ("\xNN"): size out as 4 * len + 1 for no truncation. */
#define STR_ESC_PER_BYTE 4

/* A buffer that holds any 255-byte iSCSI text value escaped, or a 223-byte name. */
#define STR_ESC_VALUE_MAX (255 * STR_ESC_PER_BYTE + 1)

enum str_esc_flags {
	/*
	 * Leave backslashes as they are. For a whole formatted log line, whose
	 * own text may contain backslashes and whose peer text was escaped
	 * already: it only makes sure no control byte reaches the log.
	 */
	STR_ESC_KEEP_BACKSLASH = 1u << 0,
};

size_t str_escape_flags(char *out, size_t cap, const void *in, size_t len, unsigned int flags);

static inline size_t str_escape(char *out, size_t cap, const void *in, size_t len)
{
	return str_escape_flags(out, cap, in, len, 0);
}

/* Escape a C string (NULL reads as "") into out; returns out, for use as a printf argument. */
const char *str_esc(char *out, size_t cap, const char *s);

/*
 * Make a formatted message inert in place: every control or non-ASCII byte
 * becomes "\xNN" (STR_ESC_KEEP_BACKSLASH), truncated to cap as above. For
 * messages that quote peer text at many call sites (login and session
 * errors), so that none of them can carry a raw byte upward to a status
 * report or a log. s must be NUL-terminated within cap; cap <= 1024.
 */
void str_make_inert(char *s, size_t cap);

/* True when str_escape() would leave in[0..len) unchanged (printable ASCII, no backslash). */
bool str_is_inert(const void *in, size_t len);

#endif
