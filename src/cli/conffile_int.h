/*
 * Private to the configuration code (conffile.c, confout.c, and optset.c
 * for the durations of the files and the table's defaults): what the
 * reading side shares with the output side. Nothing else includes this.
 */
#ifndef ISN_CLI_CONFFILE_INT_H
#define ISN_CLI_CONFFILE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "util/compiler.h"

/* A duration ("15", "15s", "500ms", "2m", "1h", "0.5s"; bare: in unit) into milliseconds. */
int config_parse_duration(const char *s, const char *unit, uint64_t *ms);

/* The message into err (what is wrong and allowed); returns -EINVAL. */
int config_err(char *err, size_t errlen, const char *fmt, ...) ISN_PRINTF(3, 4);

#endif
