/*
 * CHAP secrets come from files only: never argv (visible in ps), never the
 * environment (visible in /proc/PID/environ), never logs.
 */
#ifndef ISN_CLI_SECRET_H
#define ISN_CLI_SECRET_H

#include <stddef.h>
#include <stdint.h>

/* Longest secret accepted, bytes (RFC 7143 12.1.3 CHAP secrets are short strings). */
#define SECRET_MAX 255

/*
 * Read the secret in path into out (SECRET_MAX + 1 bytes), strip one
 * trailing newline, store its length in *len. Refuses (and says how to fix
 * it) a file that is not a regular file, not owned by root (or by the user
 * running us), or readable or writable by anyone else than its owner
 * (mode must be 0600 or 0400). Returns 0, or a cli_exit code after
 * printing the reason.
 */
int secret_read(const char *path, uint8_t *out, size_t *len);

/*
 * The same checks, then up to cap bytes of the file as they are (TLS PSK
 * files: many lines); a file of cap bytes or more is cut at cap (the
 * caller makes cap larger than any valid file). Returns 0 or a cli_exit
 * code after printing the reason.
 */
int secret_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len);

/* Wipe a secret buffer so the compiler cannot drop the stores. */
void secret_wipe(void *p, size_t n);

#endif
